"""Token providers for the provider clients. They read the token store and never mint.

When a token is missing or expired they ask token-refresh for one and raise ``TokenMissing``, so the
SQS message is retried once token-refresh (the only code that mints) has written a new token.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from shipsync.clients.zoho import ZohoAuth
from shipsync.config import zoho_hosts
from shipsync.errors import TokenMissing, TokenRejected
from shipsync.ports import TokenRefreshRequester, TokenStore

SHIPROCKET = "shiprocket"
ZOHO = "zoho"
# A Zoho token this close to expiry is treated as expired: a call started now could outlive it.
ZOHO_EXPIRY_MARGIN_S = 30


def _version(document: dict[str, Any]) -> int:
    return int(document.get("version") or 0)


def shiprocket_token_provider(
    store: TokenStore, requester: TokenRefreshRequester
) -> Callable[[], tuple[str, int | None]]:
    """Returns (token, version) for ``ShiprocketClient``. Age is token-refresh's concern: a token past its
    10 days gets a 401, which the worker reports through ``on_token_rejected``."""

    def current() -> tuple[str, int | None]:
        document = store.get(SHIPROCKET)
        if not document.get("token"):
            # The cached copy may predate a mint: look once more before asking for one.
            store.invalidate(SHIPROCKET)
            document = store.get(SHIPROCKET)
        token = document.get("token")
        if not token:
            requester.request_refresh(SHIPROCKET, _version(document), "missing")
            raise TokenMissing(SHIPROCKET)
        return str(token), _version(document)

    return current


def zoho_auth_provider(
    store: TokenStore, requester: TokenRefreshRequester, *, clock: Callable[[], float] = time.time
) -> Callable[[], ZohoAuth]:
    """Returns the ``ZohoAuth`` for ``ZohoClient``; raises ``TokenMissing`` when the token is missing or expired."""

    def usable(document: dict[str, Any]) -> bool:
        return bool(document.get("access_token")) and float(document.get("expires_at") or 0) > (
            clock() + ZOHO_EXPIRY_MARGIN_S
        )

    def current() -> ZohoAuth:
        document = store.get(ZOHO)
        if not usable(document):
            store.invalidate(ZOHO)
            document = store.get(ZOHO)
        if not usable(document):
            reason = "expired" if document.get("access_token") else "missing"
            requester.request_refresh(ZOHO, _version(document), reason)
            raise TokenMissing(ZOHO)
        api_domain = str(document.get("api_domain") or zoho_hosts(str(document.get("data_centre") or "IN"))[1])
        return ZohoAuth(
            access_token=str(document["access_token"]),
            api_domain=api_domain,
            organization_id=str(document.get("organization_id") or ""),
            version=_version(document),
        )

    return current


def on_token_rejected(err: TokenRejected, store: TokenStore, requester: TokenRefreshRequester) -> None:
    """Call when a client raised ``TokenRejected``, then re-raise it so the message is retried: the next
    read bypasses the cache, and token-refresh replaces the token unless another worker's report
    already made it do so (it drops a request for a version it has replaced)."""
    store.invalidate(err.provider)
    requester.request_refresh(err.provider, err.version, "rejected")
