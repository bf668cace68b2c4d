"""Token refresh: the only code that mints provider tokens (README.md, Architecture).

- Shiprocket: log in when the token is missing, older than ``shiprocket_max_token_age_hours`` (the JWT lives
  10 days) or reported rejected.
- Zoho: mint an access token when it is missing, expires within ``zoho_refresh_before_expiry_s`` or is
  reported rejected, never more than ``zoho_max_mints_per_window`` per ``zoho_mint_window_s``: Zoho locks
  the refresh token out after 10 mints in 10 minutes, for every function at once.

Every new token bumps the secret's ``version``; a refresh request names the version its worker saw and is
dropped when that version has already been replaced, so a fleet of 401s costs one mint.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from aws_lambda_powertools import Logger

from shipsync.config import TokenRefreshSettings, zoho_hosts
from shipsync.errors import PermanentError, ShipsyncError, TransientError
from shipsync.policy.outcomes import Failure
from shipsync.ports import Alerts, MetricsSink
from shipsync.tokens.messages import RefreshRequest

logger = Logger(child=True)

SHIPROCKET = "shiprocket"
ZOHO = "zoho"
PROVIDERS = (SHIPROCKET, ZOHO)

METRIC_MINTED = "TokensMinted"
METRIC_FAILED = "TokenRefreshFailed"
ALERT_KIND = "token_refresh_failed"
# The schedule retries a failing mint every few minutes; ops need one page per hour, not one per tick.
FAILURE_PAGE_INTERVAL_S = 3600


class MintedZohoToken(Protocol):
    """What ``clients.auth.zoho_refresh_access_token`` returns."""

    @property
    def access_token(self) -> str: ...

    @property
    def api_domain(self) -> str: ...

    @property
    def expires_in(self) -> int: ...


ShiprocketLogin = Callable[[str, str], str]
"""(email, password) -> token."""

ZohoMint = Callable[[str, str, str, str], MintedZohoToken]
# Whether Zoho accepts the token document's access token right now (clients.auth.zoho_token_accepted).
ZohoTokenCheck = Callable[[dict[str, Any]], bool]
"""(accounts_url, client_id, client_secret, refresh_token) -> minted token."""


class TokenDocuments(Protocol):
    """Uncached access to the provider secrets (``adapters.secrets.SecretWriter``)."""

    def read(self, provider: str) -> dict[str, Any]: ...

    def write(self, provider: str, document: dict[str, Any]) -> None: ...


class MintBudgetExhausted(TransientError):
    """Zoho's mint budget for the window is spent: retry after ``retry_after_s``."""

    def __init__(self, mints: int, window_s: int, retry_after_s: int) -> None:
        super().__init__(f"zoho: {mints} token mints in the last {window_s}s; next mint allowed in {retry_after_s}s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class RefreshOutcome:
    provider: str
    action: Literal["minted", "not_due", "dropped", "still_valid", "failed"]
    version: int
    reason: str = ""
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {key: value for key, value in asdict(self).items() if value != ""}


def _version(document: dict[str, Any]) -> int:
    return int(document.get("version") or 0)


def _check_provider(provider: str) -> None:
    if provider not in PROVIDERS:
        raise ValueError(f"unknown token provider {provider!r}; expected one of {', '.join(PROVIDERS)}")


class TokenRefresher:
    def __init__(
        self,
        documents: TokenDocuments,
        *,
        shiprocket_login: ShiprocketLogin,
        zoho_mint: ZohoMint,
        zoho_token_check: ZohoTokenCheck,
        settings: TokenRefreshSettings,
        alerts: Alerts,
        metrics: MetricsSink,
        clock: Callable[[], float] = time.time,
        correlation_id: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._documents = documents
        self._shiprocket_login = shiprocket_login
        self._zoho_mint = zoho_mint
        self._zoho_token_check = zoho_token_check
        self._settings = settings
        self._alerts = alerts
        self._metrics = metrics
        self._clock = clock
        self._correlation_id = correlation_id

    # ------------------------------------------------------------------ entry points
    def attempt(self, request: RefreshRequest) -> RefreshAttempt:
        return RefreshAttempt(self, request)

    def refresh_due(self) -> list[RefreshOutcome]:
        """Scheduled run: mint whatever is due. A failure is alerted and reported, not raised, so one
        provider's outage does not block the other and the next tick simply tries again."""
        outcomes = []
        for provider in PROVIDERS:
            document = self._documents.read(provider)
            try:
                if self.is_due(provider, document):
                    outcomes.append(self._mint(provider, document, "scheduled"))
                else:
                    outcomes.append(RefreshOutcome(provider, "not_due", _version(document)))
            except ShipsyncError as exc:
                outcomes.append(RefreshOutcome(provider, "failed", _version(document), "scheduled", str(exc)))
        return outcomes

    def handle_request(self, provider: str, seen_version: int | None, reason: str) -> RefreshOutcome:
        """A worker's request. Raises on failure so the queue message is retried."""
        _check_provider(provider)
        document = self._documents.read(provider)
        version = _version(document)
        if seen_version is not None and seen_version != version:
            logger.info(
                "refresh request dropped: token already replaced",
                extra={"provider": provider, "seen_version": seen_version, "version": version, "reason": reason},
            )
            return RefreshOutcome(provider, "dropped", version, reason)
        if self.is_due(provider, document):
            return self._mint(provider, document, reason)
        if reason != "rejected":
            return RefreshOutcome(provider, "not_due", version, reason)
        if provider == ZOHO and self._zoho_token_check(document):
            # A 401 on a token Zoho still takes (a blip, a scope a mint cannot fix): minting would spend one of the
            # ten mints a ten minutes for nothing, and a day of such 401s would empty the budget.
            logger.warning("refresh request dropped: Zoho still accepts the token", extra={"version": version})
            self._metrics.count("TokenRejectionUnconfirmed")
            return RefreshOutcome(provider, "still_valid", version, reason)
        return self._mint(provider, document, reason)

    def force(self, provider: str) -> RefreshOutcome:
        """Operator request: mint now (the Zoho budget still applies)."""
        _check_provider(provider)
        return self._mint(provider, self._documents.read(provider), "forced")

    # ------------------------------------------------------------------ policy

    def is_due(self, provider: str, document: dict[str, Any]) -> bool:
        _check_provider(provider)
        now = self._clock()
        if provider == SHIPROCKET:
            issued_at = float(document.get("issued_at") or 0)
            max_age_s = self._settings.shiprocket_max_token_age_hours * 3600
            return not document.get("token") or not issued_at or now - issued_at >= max_age_s
        expires_at = float(document.get("expires_at") or 0)
        return not document.get("access_token") or expires_at - now <= self._settings.zoho_refresh_before_expiry_s

    def _recent_mints(self, document: dict[str, Any], now: float) -> list[int]:
        window = self._settings.zoho_mint_window_s
        return sorted(int(t) for t in document.get("mints") or [] if now - float(t) < window)

    # ------------------------------------------------------------------ minting

    def _mint(self, provider: str, document: dict[str, Any], reason: str) -> RefreshOutcome:
        if provider == SHIPROCKET:
            return self._mint_shiprocket(document, reason)
        return self._mint_zoho(document, reason)

    def _mint_shiprocket(self, document: dict[str, Any], reason: str) -> RefreshOutcome:
        email, password = document.get("email"), document.get("password")
        if not email or not password:
            raise self._failed(
                SHIPROCKET, document, PermanentError("shiprocket: the secret has no email/password for the API user")
            )
        now = self._clock()
        try:
            token = self._shiprocket_login(str(email), str(password))
        except ShipsyncError as exc:
            self._failed(SHIPROCKET, document, exc)
            raise
        new = {**document, "token": token, "issued_at": int(now), "version": _version(document) + 1}
        return self._store_minted(SHIPROCKET, document, new, reason)

    def _mint_zoho(self, document: dict[str, Any], reason: str) -> RefreshOutcome:
        settings = self._settings
        now = self._clock()
        mints = self._recent_mints(document, now)
        if len(mints) >= settings.zoho_max_mints_per_window:
            raise self._budget_exhausted(document, mints, now)
        credentials = [document.get(key) for key in ("client_id", "client_secret", "refresh_token")]
        if not all(credentials):
            raise self._failed(
                ZOHO, document, PermanentError("zoho: the secret lacks client_id, client_secret or refresh_token")
            )
        try:
            accounts_url = settings.zoho_accounts_url or zoho_hosts(str(document.get("data_centre") or "IN"))[0]
        except ValueError as exc:
            raise self._failed(ZOHO, document, PermanentError(f"zoho: {exc}")) from exc
        # Zoho counts token requests, not successes: an attempt spends budget whatever its answer.
        mints.append(int(now))
        try:
            minted = self._zoho_mint(accounts_url, *(str(value) for value in credentials))
        except ShipsyncError as exc:
            self._failed(ZOHO, document, exc, mints=mints)
            raise
        new = {
            **document,
            "access_token": minted.access_token,
            "api_domain": minted.api_domain or document.get("api_domain", ""),
            "expires_at": int(now) + int(minted.expires_in),
            "version": _version(document) + 1,
            "mints": mints,
        }
        return self._store_minted(ZOHO, document, new, reason)

    def _store_minted(self, provider: str, old: dict[str, Any], new: dict[str, Any], reason: str) -> RefreshOutcome:
        self._documents.write(provider, new)
        self._metrics.count(METRIC_MINTED)
        logger.info(
            "token minted",
            extra={
                "provider": provider,
                "version": new["version"],
                "previous_version": _version(old),
                "reason": reason,
            },
        )
        return RefreshOutcome(provider, "minted", int(new["version"]), reason)

    def _budget_exhausted(self, document: dict[str, Any], mints: list[int], now: float) -> MintBudgetExhausted:
        window = self._settings.zoho_mint_window_s
        retry_after = max(1, int(mints[0] + window - now))
        error = MintBudgetExhausted(len(mints), window, retry_after)
        self._metrics.count(METRIC_FAILED)
        logger.error(
            "zoho mint refused locally: budget spent", extra={"mints": len(mints), "retry_after_s": retry_after}
        )
        # One page per window, however many requests hit the wall.
        message = f"{error}. Workers retry meanwhile; repeated 401s may mean a missing scope."
        paged = self._page_unless_recent(ZOHO, document, "budget_alerted_at", window, message)
        if paged:
            self._documents.write(ZOHO, {**document, **paged})
        return error

    def _failed(self, provider: str, document: dict[str, Any], exc: ShipsyncError, **updates: Any) -> ShipsyncError:
        """Count and page a mint failure, store ``updates`` in the secret; the caller raises the error."""
        self._metrics.count(METRIC_FAILED)
        logger.error("token mint failed", extra={"provider": provider, "error": str(exc)})
        message = f"{provider} token mint failed: {exc}"
        updates |= self._page_unless_recent(provider, document, "failure_alerted_at", FAILURE_PAGE_INTERVAL_S, message)
        if updates:
            self._documents.write(provider, {**document, **updates})
        return exc

    def _page_unless_recent(
        self, provider: str, document: dict[str, Any], key: str, interval_s: float, message: str
    ) -> dict[str, int]:
        """Page unless ``document[key]`` records a page within ``interval_s``; returns the secret update that
        records this page. The time lives in the secret because the container that paged may not be the
        one that sees the next failure."""
        now = self._clock()
        if now - float(document.get(key) or 0) < interval_s:
            return {}
        self._alerts.page(
            f"{provider} token refresh failed", message, kind=ALERT_KIND, correlation_id=self._correlation_id()
        )
        return {key: int(now)}


@dataclass
class RefreshAttempt:
    """One worker's refresh request (``policy.outcomes.Attempt``). A failed mint is paged by the refresher
    itself, at most once per interval (the secret records when), so the policy's give-up does not page again."""

    refresher: TokenRefresher
    request: RefreshRequest

    @property
    def correlation_id(self) -> str:
        return self.request.provider

    def run(self) -> RefreshOutcome:
        request = self.request
        return self.refresher.handle_request(request.provider, request.seen_version, request.reason)

    def give_up(self, err: PermanentError) -> Failure[RefreshOutcome]:
        request = self.request
        return Failure(
            outcome=RefreshOutcome(request.provider, "failed", request.seen_version or 0, request.reason, str(err)),
            metric=METRIC_FAILED,
            subject=f"{request.provider} token refresh failed",
            message=str(err),
            correlation_id=request.provider,
            page=False,
        )
