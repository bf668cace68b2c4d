"""Composition of the tokens feature (token-refresh): its settings, the refresher with its minters and
the TokenRefreshQueue worker, built once per container, lazily (a warm container keeps its clients)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from shipsync import wiring
from shipsync.config import TokenRefreshSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from shipsync.policy.outcomes import QueueWorker
    from shipsync.tokens.messages import RefreshRequest
    from shipsync.tokens.refresher import MintedZohoToken, TokenRefresher


@cache
def settings() -> TokenRefreshSettings:
    return TokenRefreshSettings.from_env()


@cache
def refresher(metrics: Metrics, log: Logger) -> TokenRefresher:
    """One per container (keyed on the handler's Metrics and Logger): pages carry the log's correlation id."""
    from shipsync.adapters.secrets import SecretWriter
    from shipsync.clients.auth import shiprocket_login, zoho_refresh_access_token, zoho_token_accepted
    from shipsync.clients.http import timeout_from_settings
    from shipsync.tokens.refresher import TokenRefresher

    config = settings()
    timeout = timeout_from_settings(config)

    def login(email: str, password: str) -> str:
        return shiprocket_login(config.shiprocket_base_url, email, password, timeout=timeout)

    def mint(accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> MintedZohoToken:
        return zoho_refresh_access_token(accounts_url, client_id, client_secret, refresh_token, timeout=timeout)

    def zoho_token_check(document: dict[str, Any]) -> bool:
        api_base = config.zoho_api_base_url or str(document.get("api_domain") or "")
        return zoho_token_accepted(api_base, str(document["access_token"]), timeout=timeout)

    return TokenRefresher(
        SecretWriter(config),
        shiprocket_login=login,
        zoho_mint=mint,
        zoho_token_check=zoho_token_check,
        settings=config,
        alerts=wiring.alerts(),
        metrics=wiring.metrics_sink(metrics),
        correlation_id=log.get_correlation_id,
    )


@cache
def refresh_worker(metrics: Metrics, log: Logger) -> QueueWorker[RefreshRequest]:
    """TokenRefreshQueue's record handler: one request under the outcome policy."""
    from shipsync.tokens.messages import RefreshRequest

    policy = wiring.outcome_policy(metrics)
    return wiring.queue_worker(
        "TokenRefreshQueue",
        RefreshRequest,
        lambda request: policy.run(refresher(metrics, log).attempt(request)).as_dict(),
        dlq_url=settings().token_refresh_dlq_url,
        metrics=metrics,
        log=log,
    )
