"""Token minting calls. Only the token-refresh function imports this module (README.md, Architecture):
every other code path reads tokens from the store, so a fleet of cold Lambdas can never
trip Zoho's 10-mints-per-10-minutes lock-out or log Shiprocket in per request.
"""

from __future__ import annotations

from typing import Any

import requests
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shipsync.clients import shiprocket
from shipsync.clients.http import DEFAULT_TIMEOUT, Timeout, json_or_none, send, shared_session
from shipsync.errors import ProviderRequestError, RateLimited, TransientError

_ZOHO_THROTTLE_ERRORS = frozenset({"access denied"})
_ZOHO_THROTTLE_HINTS = ("too many requests", "rate limit exceeded")


class ZohoMintedToken(BaseModel):
    model_config = ConfigDict(frozen=True)

    access_token: str = Field(repr=False)
    api_domain: str = ""
    expires_in: int = 3600


def shiprocket_login(
    base_url: str,
    email: str,
    password: str,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> str:
    """A fresh Shiprocket JWT for the API user (valid 10 days)."""
    response = send(
        session or shared_session(),
        "POST",
        base_url.rstrip("/") + "/auth/login",
        provider="shiprocket",
        path_template="/auth/login",
        timeout=timeout,
        json_body={"email": email, "password": password},
        headers={"Accept": "application/json"},
    )
    payload = json_or_none(response)
    # A 401/403 here means wrong credentials or a blocked IP, not a stale token: a human must act.
    if response.status_code in (401, 403):
        message = payload.get("message") if isinstance(payload, dict) else None
        raise ProviderRequestError(
            "shiprocket", f"login refused: {message or 'no message'}", http_status=response.status_code
        )
    shiprocket.raise_for_error(response.status_code, payload, None)
    body: dict[str, Any] = payload if isinstance(payload, dict) else {}
    if body.get("is_mfa_enabled"):
        raise ProviderRequestError("shiprocket", "login needs an OTP: use an API user without MFA", http_status=200)
    token = body.get("token")
    if not isinstance(token, str) or not token:
        raise ProviderRequestError("shiprocket", "login answered without a token", http_status=response.status_code)
    return token


def zoho_token_accepted(
    api_base: str,
    access_token: str,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> bool:
    """Whether Zoho takes ``access_token`` now: ``GET /inventory/v1/organizations`` (the one Inventory call without an
    organization, docs/providers/zoho.md §2) answers 200 code 0 with a token it accepts and 401 (code 14 or 57) with
    one it does not. Anything else is not an answer to that question: TransientError."""
    response = send(
        session or shared_session(),
        "GET",
        api_base.rstrip("/") + "/inventory/v1/organizations",
        provider="zoho",
        path_template="/inventory/v1/organizations",
        timeout=timeout,
        headers={"Authorization": f"Zoho-oauthtoken {access_token}", "Accept": "application/json"},
    )
    payload = json_or_none(response)
    code = payload.get("code") if isinstance(payload, dict) else None
    if response.status_code == 200 and code == 0:
        return True
    if response.status_code == 401:
        return False
    raise TransientError(f"zoho: token check answered HTTP {response.status_code} code {code}")


def zoho_refresh_access_token(
    accounts_url: str,
    client_id: str,
    client_secret: str,
    refresh_token: str,
    *,
    session: requests.Session | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> ZohoMintedToken:
    """Mint a Zoho access token from the refresh token (at most 10 per 10 minutes per refresh token)."""
    response = send(
        session or shared_session(),
        "POST",
        accounts_url.rstrip("/") + "/oauth/v2/token",
        provider="zoho-accounts",
        path_template="/oauth/v2/token",
        timeout=timeout,
        form={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": client_secret,
            "refresh_token": refresh_token,
        },
        headers={"Accept": "application/json"},
    )
    payload = json_or_none(response)
    body: dict[str, Any] = payload if isinstance(payload, dict) else {}
    # Failures come as 200 or 400 with only ``error``: the presence of the token is the test.
    if body.get("access_token"):
        try:
            return ZohoMintedToken.model_validate(body)
        except ValidationError as exc:
            raise ProviderRequestError("zoho", "token answer has an unexpected shape") from exc
    error = str(body.get("error") or "")
    description = str(body.get("error_description") or "")
    if (
        response.status_code == 429
        or error.lower() in _ZOHO_THROTTLE_ERRORS
        or any(hint in description.lower() for hint in _ZOHO_THROTTLE_HINTS)
    ):
        raise RateLimited(f"zoho: token mint throttled: {description or error or 'HTTP 429'}")
    if response.status_code >= 500:
        raise TransientError(f"zoho: token mint failed with HTTP {response.status_code}")
    raise ProviderRequestError(
        "zoho", f"token mint refused: {error or 'no access_token in the answer'}", http_status=response.status_code
    )
