"""The Zoho transport under both APIs (docs/providers/zoho.md §1-4, §11): the token, the rate limiter, the one
error model and list paging.

Every call carries ``organization_id`` and passes the global rate limiter first; every answer
goes through ``raise_for_error`` (envelope ``code`` != 0, 401, 429 codes 44/45/1070, 5xx).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import requests
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shipsync.clients.http import DEFAULT_TIMEOUT, Timeout, json_or_none, send, shared_session
from shipsync.domain.models import ZohoItem
from shipsync.errors import (
    DailyCapReached,
    ProviderRequestError,
    RateLimited,
    RecordMissing,
    TokenRejected,
    TransientError,
)
from shipsync.ports import DAYS_APART_S, DailyBudgetStore, DayBudget

logger = Logger(child=True)

PROVIDER = "zoho"
ITEM_CACHE_TTL_S = 15 * 60

_TOKEN_CODES = frozenset({14, 57})
_PER_MINUTE_CODES = frozenset({44, 1070})
_DAILY_CAP_CODE = 45
# "<Entity> does not exist." (docs/providers/zoho.md §3: documented for invoices, the generic not-found code).
_DOES_NOT_EXIST_CODE = 1002

# The key each list answer holds its rows under: Books' spec names the payments list ``customer_payments``, Zoho's
# own SDKs and the Inventory host ``customerpayments`` (docs/providers/zoho.md §9); either is read.
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "/books/v3/customerpayments": ("customerpayments", "customer_payments"),
    "/books/v3/expenses": ("expenses",),
    "/books/v3/journals": ("journals",),
    "/inventory/v1/creditnotes": ("creditnotes",),
}

# (entity key, id key) of the detail answer behind a list row.
_DETAIL_KEYS: dict[str, tuple[str, str]] = {
    "/books/v3/customerpayments": ("payment", "payment_id"),
    "/books/v3/expenses": ("expense", "expense_id"),
    "/books/v3/journals": ("journal", "journal_id"),
    "/inventory/v1/creditnotes": ("creditnote", "creditnote_id"),
}

# Books lists answer at most 200 rows a page (docs/providers/zoho.md §11): one reference never spans this many.
LIST_PAGE_SIZE = 200
MAX_LIST_PAGES = 10

_Model = TypeVar("_Model", bound=BaseModel)


class ZohoAuth(BaseModel):
    """What a Zoho call needs from the token store."""

    model_config = ConfigDict(frozen=True)

    access_token: str = Field(repr=False)
    api_domain: str
    organization_id: str
    version: int | None = None


class ItemCache:
    """Per-process item cache keyed by (organization_id, item_id): weights and HSN codes rarely change."""

    def __init__(self, ttl_s: float = ITEM_CACHE_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: dict[tuple[str, str], tuple[float, ZohoItem]] = {}

    def get(self, key: tuple[str, str]) -> ZohoItem | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, item = entry
        if self._clock() >= expires_at:
            del self._entries[key]
            return None
        return item

    def put(self, key: tuple[str, str], item: ZohoItem) -> None:
        self._entries[key] = (self._clock() + self._ttl_s, item)


_PROCESS_ITEM_CACHE = ItemCache()


def _no_limit() -> None:
    return None


class ZohoTransport:
    """One organisation's Zoho connection, shared by the Inventory and the Books endpoints."""

    def __init__(
        self,
        token_provider: Callable[[], ZohoAuth],
        *,
        api_base_override: str = "",
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        limiter: Callable[[], None] | None = None,
        item_cache: ItemCache | None = None,
        budget: DailyBudgetStore | None = None,
    ) -> None:
        self._token_provider = token_provider
        self._api_base_override = api_base_override.rstrip("/")
        self._session = session or shared_session()
        self._timeout = timeout
        self._limiter = limiter or _no_limit
        self._item_cache = item_cache or _PROCESS_ITEM_CACHE
        # The day's remaining calls as Zoho's last answer gave them, and when that count resets (epoch seconds).
        self._daily_remaining: tuple[int, float] | None = None
        self._daily_cap: int | None = None
        self._budget = budget

    def daily_calls_left(self) -> int | None:
        """What is left of the organisation's daily cap (``X-Rate-Limit-Remaining``, docs/providers/zoho.md §4): the
        lower of what Zoho's last answer to this process said and what the stack's shared budget holds (other
        functions spend the same pool); None when neither knows today's, or once its ``X-Rate-Limit-Reset``
        passed."""
        own = self._daily_remaining if self._daily_remaining and time.time() < self._daily_remaining[1] else None
        shared = self._shared_budget()
        if own is None or shared is None:
            return own[0] if own else shared.remaining if shared else None
        # Of two days' counts the later day's is today's (this process's last answer may be of yesterday);
        # within a day, the lowest.
        if abs(shared.resets_at - own[1]) > DAYS_APART_S:
            return shared.remaining if shared.resets_at > own[1] else own[0]
        return min(own[0], shared.remaining)

    def daily_calls_cap(self) -> int | None:
        """The organisation's daily cap as Zoho's answers gave it (``X-Rate-Limit-Limit``); None before."""
        if self._daily_cap is not None:
            return self._daily_cap
        shared = self._shared_budget()
        return shared.cap if shared else None

    def _shared_budget(self) -> DayBudget | None:
        if self._budget is None:
            return None
        try:
            return self._budget.current()
        except Exception:  # the shared figure is advice: this process's own count still stands
            logger.warning("zoho daily budget not read", exc_info=True)
            return None

    def _request(
        self,
        method: str,
        path_template: str,
        *,
        auth: ZohoAuth | None = None,
        params: Mapping[str, str] | None = None,
        body: Any = None,
        **path_params: str,
    ) -> dict[str, Any]:
        auth = auth or self._token_provider()
        base = self._api_base_override or auth.api_domain.rstrip("/")
        self._limiter()
        response = send(
            self._session,
            method,
            base + path_template.format(**path_params),
            provider=PROVIDER,
            path_template=path_template,
            timeout=self._timeout,
            params={"organization_id": auth.organization_id, **(params or {})},
            json_body=body,
            headers={"Authorization": f"Zoho-oauthtoken {auth.access_token}", "Accept": "application/json"},
        )
        self._note_daily_remaining(response.headers)
        payload = json_or_none(response)
        try:
            raise_for_error(response.status_code, payload, auth.version)
        except DailyCapReached as err:
            # The queued work waits for the reset (policy.outcomes), which this answer's headers give.
            known = self._daily_remaining
            err.resets_at = known[1] if known is not None and known[1] > time.time() else None
            raise
        if not isinstance(payload, dict):
            raise ProviderRequestError(PROVIDER, "expected a JSON object", http_status=response.status_code)
        return payload

    def _note_daily_remaining(self, headers: Mapping[str, str]) -> None:
        remaining, reset = headers.get("X-Rate-Limit-Remaining"), headers.get("X-Rate-Limit-Reset")
        if remaining is None or not remaining.strip().isdigit():
            return
        seconds = int(reset) if reset is not None and reset.strip().isdigit() else 0
        self._daily_remaining = (int(remaining), time.time() + seconds)
        cap = headers.get("X-Rate-Limit-Limit")
        if cap is not None and cap.strip().isdigit():
            self._daily_cap = int(cap)
        if self._budget is not None:
            try:
                self._budget.record(DayBudget(int(remaining), self._daily_cap, self._daily_remaining[1]))
            except Exception:  # never fails the call it rode on: the next answer writes it again
                logger.warning("zoho daily budget not recorded", exc_info=True)
        logger.debug("zoho rate limit", extra={"rate_limit_remaining": remaining, "reset_s": seconds})

    def _rows_by_reference(self, path: str, reference_number: str) -> list[dict[str, Any]]:
        """List rows whose ``reference_number`` is exactly ``reference_number``, over every page."""
        if not reference_number:
            raise ValueError("a lookup by reference needs a reference number")
        keys = _LIST_KEYS.get(path) or (path.rsplit("/", 1)[-1],)
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_LIST_PAGES + 1):
            body = self._request(
                "GET",
                path,
                params={"reference_number": reference_number, "page": str(page), "per_page": str(LIST_PAGE_SIZE)},
            )
            listed = next((body[key] for key in keys if isinstance(body.get(key), list)), None)
            if listed is None:
                # This look-up guards a write (a payment, an expense, a credit note): a list we cannot find is an
                # error, never "nothing there", or every retry would write again.
                raise ProviderRequestError(PROVIDER, f"list answer has none of {list(keys)}", code=body.get("code"))
            # The list filter may match loosely: only an exact reference proves it is ours. A row that leaves the
            # reference out (Books' spec lists payments without it, docs/providers/zoho.md §9) is read whole.
            rows = [row if "reference_number" in row else self._detail(path, row) for row in dicts(listed)]
            found += [row for row in rows if str(row.get("reference_number") or "") == reference_number]
            if not _has_more_pages(body.get("page_context"), len(listed)):
                return found
        # Stopping short would hide an existing record and invite a duplicate: refuse instead.
        raise ProviderRequestError(PROVIDER, f"more than {MAX_LIST_PAGES} pages of {keys[0]} for one reference")

    def _detail(self, path: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """The whole record behind a list row, to read what the row leaves out."""
        entity, id_key = _DETAIL_KEYS[path]
        body = self._request("GET", f"{path}/{{record_id}}", record_id=entity_id(row, id_key))
        return entity_of(body, entity)


# ---------------------------------------------------------------------- the one error model


def raise_for_error(http_status: int, payload: Any, token_version: int | None) -> None:
    """Raise the typed error for a Zoho answer; return for ``code == 0`` on 2xx."""
    envelope = payload if isinstance(payload, dict) else {}
    code = envelope.get("code")
    code = code if isinstance(code, int) else None
    message = str(envelope.get("message") or f"HTTP {http_status}")
    ok_status = 200 <= http_status < 300
    # code 57 is also "missing scope": a refresh will not fix that, but token-refresh decides.
    if http_status == 401 or code in _TOKEN_CODES:
        raise TokenRejected(PROVIDER, token_version, message)
    if code == _DAILY_CAP_CODE:
        raise DailyCapReached(f"{PROVIDER}: {message}")
    if http_status == 429 or code in _PER_MINUTE_CODES:
        raise RateLimited(f"{PROVIDER}: {message}")
    if http_status >= 500:
        raise TransientError(f"{PROVIDER}: HTTP {http_status}: {message}")
    if payload is None:
        raise ProviderRequestError(PROVIDER, "answer is not JSON", http_status=http_status)
    if code == _DOES_NOT_EXIST_CODE:
        raise RecordMissing(PROVIDER, message, http_status=http_status, code=code)
    if not ok_status or (code is not None and code != 0):
        raise ProviderRequestError(PROVIDER, message, http_status=http_status, code=code)


# ---------------------------------------------------------------------- reading answers, writing requests


def entity_of(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    entity = body.get(key)
    if not isinstance(entity, dict):
        raise ProviderRequestError(PROVIDER, f"answer has no {key!r} object", code=body.get("code"))
    return entity


def entity_id(entity: Mapping[str, Any], key: str) -> str:
    value = entity.get(key)
    if value in (None, ""):
        raise ProviderRequestError(PROVIDER, f"answer has no {key!r}")
    return str(value)


def parse_answer(model: type[_Model], data: Mapping[str, Any]) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Only the locations: input values are customer data (addresses, phones).
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise ProviderRequestError(PROVIDER, f"unexpected answer shape for {model.__name__}: {fields}") from exc


def dicts(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def custom_fields_body(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"api_name": name, "value": value} for name, value in values.items()]


def _has_more_pages(context: Any, rows: int) -> bool:
    """Whether a list goes on past this page. ``page_context`` is an object, or (Books' expenses spec) a list
    holding one; when it does not say, a full page may have a next one and a short page cannot."""
    if isinstance(context, list):
        context = next((entry for entry in context if isinstance(entry, dict)), None)
    said = context.get("has_more_page") if isinstance(context, dict) else None
    return said if isinstance(said, bool) else rows >= LIST_PAGE_SIZE
