"""Provider secrets in Secrets Manager: cached reads for every function, uncached writes for token-refresh.

Secret documents (JSON SecretString), one per provider:
- shiprocket: ``email``, ``password``, ``token``, ``issued_at`` (epoch s, 0 = never), ``version``
- zoho: ``client_id``, ``client_secret``, ``refresh_token``, ``data_centre``, ``organization_id``,
  ``access_token``, ``api_domain``, ``expires_at`` (epoch s), ``version``, ``mints`` (epoch s of recent mints)
- webhooks: ``zoho_webhook``, ``shiprocket_webhook``, ``admin`` (local only)

``version`` is bumped on every new token, so a worker that gets a 401 can say which token it saw.
"""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools import Logger

from shipsync.adapters.aws import client
from shipsync.config import CommonSettings
from shipsync.errors import TransientError

logger = Logger(child=True)

# Secret ids whose next read must bypass the cache. Module-level, like the Powertools cache itself,
# so an invalidation outlives the store object of the invocation that saw the 401.
_stale: set[str] = set()


def secret_ids(settings: CommonSettings) -> dict[str, str]:
    return {"shiprocket": settings.shiprocket_secret_id, "zoho": settings.zoho_secret_id}


def _secret_id(ids: dict[str, str], provider: str) -> str:
    try:
        return ids[provider]
    except KeyError:
        raise ValueError(f"unknown token provider {provider!r}; expected one of {', '.join(ids)}") from None


class SecretsTokenStore:
    """Implements ``ports.TokenStore``: reads cached for ``secret_cache_seconds`` across warm invocations."""

    def __init__(self, settings: CommonSettings) -> None:
        self._ids = secret_ids(settings)
        self._webhook_secret_id = settings.webhook_secret_id
        self._max_age = settings.secret_cache_seconds

    def get(self, provider: str) -> dict[str, Any]:
        return self._read(_secret_id(self._ids, provider))

    def invalidate(self, provider: str) -> None:
        _stale.add(_secret_id(self._ids, provider))

    def get_webhook_secrets(self) -> dict[str, str]:
        return {name: str(value) for name, value in self._read(self._webhook_secret_id).items()}

    def _read(self, secret_id: str) -> dict[str, Any]:
        from aws_lambda_powertools.utilities import parameters

        try:
            value = parameters.get_secret(
                secret_id, transform="json", max_age=self._max_age, force_fetch=secret_id in _stale
            )
        except (parameters.GetParameterError, parameters.TransformParameterError) as exc:
            # A missing or broken secret is a deployment fault: the message waits in its queue meanwhile.
            raise TransientError(f"secret {secret_id} could not be read: {type(exc).__name__}") from exc
        _stale.discard(secret_id)
        if not isinstance(value, dict):
            raise TransientError(f"secret {secret_id} is not a JSON object")
        return value


class SecretWriter:
    """Uncached reads and whole-document writes of the provider secrets; only token-refresh uses it.

    Read-modify-write without a conditional check is safe because token-refresh is the only writer and
    never runs twice at once (ReservedConcurrentExecutions 1, FIFO queue with one group per provider).
    """

    def __init__(self, settings: CommonSettings) -> None:
        self._ids = secret_ids(settings)

    def read(self, provider: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        secret_id = _secret_id(self._ids, provider)
        try:
            response = client("secretsmanager").get_secret_value(SecretId=secret_id)
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(f"secret {secret_id} could not be read: {type(exc).__name__}") from exc
        try:
            document = json.loads(response["SecretString"])
        except (KeyError, ValueError) as exc:
            raise TransientError(f"secret {secret_id} is not a JSON SecretString") from exc
        if not isinstance(document, dict):
            raise TransientError(f"secret {secret_id} is not a JSON object")
        return document

    def write(self, provider: str, document: dict[str, Any]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        secret_id = _secret_id(self._ids, provider)
        try:
            client("secretsmanager").put_secret_value(SecretId=secret_id, SecretString=json.dumps(document))
        except (BotoCoreError, ClientError) as exc:
            raise TransientError(f"secret {secret_id} could not be written: {type(exc).__name__}") from exc
        # This container's cached copy (if any) is now behind.
        _stale.add(secret_id)
        logger.info("secret written", extra={"provider": provider, "version": document.get("version")})
