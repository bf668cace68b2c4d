"""The simulator's state and the request helpers every concern's mixin builds on."""

from __future__ import annotations

import copy
import itertools
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from local.sim.base import Request, Response, SimApp
from local.sim.zoho.common import ZohoError, _invalid, _not_found

DEFAULT_CLIENT_ID = "1000.SIMCLIENT"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
DEFAULT_REFRESH_TOKEN = "1000.sim-refresh-token"
DEFAULT_ORGANIZATION_ID = "60012345678"
DEFAULT_TOKEN_TTL_S = 3600
DEFAULT_PER_MINUTE_LIMIT = 100
DEFAULT_DAILY_CAP = 10000
DEFAULT_CONCURRENCY_LIMIT = 10
# The accepted API calls' times kept for ``/_sim/state`` (a bench's drain rate): the last this many.
ACCEPTED_CALL_TIMES_KEPT = 20_000
# Why a call was refused with a 429: per-minute limit (code 44), daily cap (45), too many in flight (1070).
REFUSAL_REASONS = ("per_minute", "daily_cap", "concurrency")

STATE_KEYS = (
    "salesorders",
    "items",
    "packages",
    "shipmentorders",
    "salesreturns",
    "salesreturnreceives",
    "creditnotes",
    "invoices",
    "customerpayments",
    "expenses",
    "locations",
    "journals",
)

IST = timezone(timedelta(hours=5, minutes=30))


@dataclass
class _Token:
    refresh_token: str
    expires_at: float


class ZohoState(SimApp):
    """Settings, records, numbering and token and rate bookkeeping (all cleared by ``reset``), with the
    helpers every concern's mixin uses."""

    def __init__(self) -> None:
        super().__init__()
        self.clock: Callable[[], float] = time.time
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.organization_id = DEFAULT_ORGANIZATION_ID
            self.token_ttl_s = DEFAULT_TOKEN_TTL_S
            self.per_minute_limit = DEFAULT_PER_MINUTE_LIMIT
            self.daily_cap = DEFAULT_DAILY_CAP
            self.concurrency_limit = DEFAULT_CONCURRENCY_LIMIT
            self.client_secrets: dict[str, str] = {DEFAULT_CLIENT_ID: DEFAULT_CLIENT_SECRET}
            self.refresh_tokens: dict[str, str] = {DEFAULT_REFRESH_TOKEN: DEFAULT_CLIENT_ID}
            self.token_requests: dict[str, deque[float]] = {}
            self.tokens: dict[str, _Token] = {}
            self.token_mints = 0
            self.minute_window: deque[float] = deque()
            self.accepted_call_times: deque[float] = deque(maxlen=ACCEPTED_CALL_TIMES_KEPT)
            self.refused: dict[str, int] = dict.fromkeys(REFUSAL_REASONS, 0)
            self.day_key = -1
            self.day_count = 0
            self.day_shift_s = 0.0
            self.records: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in STATE_KEYS}
            self.custom_field_ids: dict[str, str] = {}
            self._ids = itertools.count(4_600_000_000_000_100_001)
            self._package_numbers = itertools.count(1)
            self._salesreturn_numbers = itertools.count(1)
            self._receive_numbers = itertools.count(1)
            self._creditnote_numbers = itertools.count(1)
            self._invoice_numbers = itertools.count(1)
            self._payment_numbers = itertools.count(1)
            self._last_stamp = 0

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            state: dict[str, Any] = {key: copy.deepcopy(list(self.records[key].values())) for key in STATE_KEYS}
            state["token_mints"] = self.token_mints
            state["tokens_live"] = sum(1 for token in self.tokens.values() if token.expires_at > self.clock())
            # The organisation's day so far against its cap (``X-Rate-Limit-*``, docs/providers/zoho.md §4).
            state["daily_calls"] = {"cap": self.daily_cap, "used": self.day_count}
            # The rolling minute against its limit (code 44), the 429s answered by reason, and when the last
            # ``ACCEPTED_CALL_TIMES_KEPT`` accepted API calls came (epoch seconds, oldest first).
            now = self.clock()
            in_window = sum(1 for moment in self.minute_window if moment > now - 60)
            state["minute_calls"] = {"limit": self.per_minute_limit, "used": in_window}
            state["refused"] = dict(self.refused)
            state["accepted_call_times"] = list(self.accepted_call_times)
            return state

    def _new_id(self) -> str:
        return str(next(self._ids))

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self.clock(), tz=UTC).astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S%z")

    def _modified_stamp(self) -> str:
        """A record's new ``last_modified_time``: Zoho's format (to the second), and later than any given before, so
        two edits in one second still read as two revisions (the order worker looks at an edit only when its time
        is new)."""
        now = max(int(self.clock()), self._last_stamp + 1)
        self._last_stamp = now
        return datetime.fromtimestamp(now, tz=UTC).astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S%z")

    def _today(self) -> str:
        return datetime.fromtimestamp(self.clock(), tz=UTC).astimezone(IST).strftime("%Y-%m-%d")

    def _body(self, request: Request) -> dict[str, Any]:
        """Raw JSON, or the legacy form with one ``JSONString`` field; plain form fields are refused."""
        if not request.body:
            return {}
        text = request.body.decode("utf-8", errors="replace")
        if "application/x-www-form-urlencoded" in (request.header("content-type") or ""):
            form = request.form()
            if "JSONString" not in form:
                # Code 1038 for plain form fields is UNCERTAIN (docs/providers/zoho.md §3).
                raise ZohoError(400, 1038, "JSON is not well formed")
            text = form["JSONString"]
        try:
            data = json.loads(text)
        except json.JSONDecodeError:
            raise ZohoError(400, 1038, "JSON is not well formed") from None
        if not isinstance(data, dict):
            raise ZohoError(400, 1038, "JSON is not well formed")
        return data

    def _get(self, kind: str, record_id: str, entity: str) -> dict[str, Any]:
        record = self.records[kind].get(record_id)
        if record is None:
            raise _not_found(entity)
        return record

    def _page(self, request: Request, kind: str, rows: Iterable[dict[str, Any]], report: str) -> Response:
        try:
            page = int(request.query.get("page", "1"))
            per_page = int(request.query.get("per_page", "200"))
        except ValueError:
            raise _invalid("page") from None
        if page < 1 or not 1 <= per_page <= 200:
            raise _invalid("page" if page < 1 else "per_page")
        everything = list(rows)
        chunk = everything[(page - 1) * per_page : page * per_page]
        # Most published list schemas leave page_context out and Books expenses publish it as a one-element array;
        # every list here answers it as an object (GUESS, docs/providers/zoho.md §11).
        context = {
            "page": page,
            "per_page": per_page,
            "has_more_page": page * per_page < len(everything),
            "report_name": report,
            "applied_filter": "Status.All",
            "filter_by": "Status.All",
            "search_text": "",
            "sort_column": "created_time",
            "sort_order": "D",
        }
        return Response(200, {"code": 0, "message": "success", kind: chunk, "page_context": context})

    def _custom_field_id(self, api_name: str) -> str:
        return self.custom_field_ids.setdefault(api_name, self._new_id())

    def _custom_field(self, entry: dict[str, Any]) -> dict[str, Any]:
        api_name = str(entry.get("api_name") or entry.get("placeholder") or "")
        value = entry.get("value", "")
        return {
            "customfield_id": str(entry.get("customfield_id") or self._custom_field_id(api_name)),
            "api_name": api_name,
            "placeholder": api_name,
            "label": entry.get("label") or api_name.removeprefix("cf_").replace("_", " ").title(),
            "data_type": entry.get("data_type", "string"),
            "value": value,
            "value_formatted": "" if value is None else str(value),
        }

    def _required_query(self, request: Request, param: str) -> str:
        value = request.query.get(param, "").strip()
        if not value:
            raise _invalid(param)
        return value
