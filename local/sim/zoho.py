"""Zoho accounts + Inventory v1 + Books v3 simulator (the facts: docs/providers/zoho.md).

One server plays both hosts: ``POST /oauth/v2/token`` (accounts) and the API routes under
``/inventory/v1`` and ``/books/v3``; the token response's ``api_domain`` points back here.

Success answers follow Zoho's published OpenAPI examples (``tests/contract/published/zoho/``, checked by
``tests/contract/test_published_zoho_sim.py``): their HTTP statuses, entity keys (``sales_order`` on an update,
``package`` as a one-element array, a receive under ``salesreturn``...), messages and fields, ids as strings.
Where the specs are silent the behaviour is marked GUESS here and listed in that folder's README.

Faithful to docs/providers/zoho.md where it matters for shipsync: token-mint limits (10 requests per
refresh token per rolling 10 minutes, 10 live tokens), token errors inside HTTP 200, the
``code``/``message`` envelope, 401 code 57/14, 6041 for a wrong organization, per-minute (44),
daily (45) and concurrency (1070) limits with the ``X-Rate-Limit-*`` headers, JSON or legacy
``JSONString=`` bodies, ids in the query string for packages, shipment orders, sales returns and
their receives, stock on hand falling when a shipment (not a package) is created and rising only
when a sales return is received, returns limited to shipped units, and credit notes whose
balance is applied to invoices (an invoice credited to zero shows as paid). Books customer
payments lower invoice balances (overpayment 24016, another customer's invoice 3004), are
listed by ``reference_number`` (no duplicate check: none is documented) and re-applied whole by a
PUT; expenses are recorded as sent and listed by ``reference_number``. Invoices made from a sales
order bill its lines at the order's line discounts, so they total what the order totals.

Seed knobs (``POST /_sim/seed``): ``organization_id``, ``token_ttl_s``, ``per_minute_limit``,
``daily_cap``, ``concurrency_limit``, ``oauth_clients`` ([{client_id, client_secret,
refresh_token}]) and records ``salesorders``, ``items``, ``invoices`` (merged by id; missing
fields get Zoho-like defaults; an invoice without lines bills its whole sales order). ``clock``
can be replaced in-process to move time in tests.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import secrets
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from local.sim.base import Request, Response, SimApp

DEFAULT_CLIENT_ID = "1000.SIMCLIENT"
DEFAULT_CLIENT_SECRET = "sim-client-secret"
DEFAULT_REFRESH_TOKEN = "1000.sim-refresh-token"
DEFAULT_ORGANIZATION_ID = "60012345678"
DEFAULT_TOKEN_TTL_S = 3600
DEFAULT_PER_MINUTE_LIMIT = 100
DEFAULT_DAILY_CAP = 10000
DEFAULT_CONCURRENCY_LIMIT = 10

TOKEN_REQUEST_LIMIT = 10
TOKEN_REQUEST_WINDOW_S = 600.0
MAX_LIVE_TOKENS = 10

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
)

API_PREFIXES = ("/inventory/v1/", "/books/v3/")
IST = timezone(timedelta(hours=5, minutes=30))

THROTTLED_BODY = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}
NOT_AUTHORIZED = "You are not authorized to perform this operation"
BAD_AUTH_VALUE = (
    "The request could not be authenticated as the authentication value you entered is invalid. "
    "Enter a valid authentication value and try again."
)
PER_MINUTE_MESSAGE = (
    "For security reasons your organization has been blocked as it have exceeded the maximum number of "
    "requests per minute that can originate from an organization."
)
# Code 1070 and this wording are UNCERTAIN (docs/providers/zoho.md §4).
CONCURRENCY_MESSAGE = "The maximum number of in process requests for this organization has been exceeded."

# Books' payment modes (docs/providers/zoho.md §9).
PAYMENT_MODES = frozenset(
    {"cash", "check", "creditcard", "banktransfer", "bankremittance", "autotransaction", "others"}
)
MAX_REFERENCE_LENGTH = 100

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
# Fields a PUT may not overwrite: they are derived from packages, shipments and invoices. The published update
# requires the whole order (salesorder_number, customer_id, line_items); a partial body is accepted and the lines
# sent are left as they are (GUESS: docs/providers/zoho.md §12 lists partial PUTs as an open question).
_SO_READ_ONLY = frozenset(
    {
        "salesorder_id",
        "line_items",
        "packages",
        "invoices",
        "salesreturns",
        "creditnotes",
        "custom_field_hash",
        "shipped_status",
        "invoiced_status",
        "created_time",
        "last_modified_time",
    }
)


class ZohoError(Exception):
    """An error answer in Zoho's envelope."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _invalid(param: str) -> ZohoError:
    return ZohoError(400, 2, f"Invalid value passed for {param}")


def _not_found(entity: str) -> ZohoError:
    # 1002 is documented for "Invoice does not exist."; assumed to be the generic code for
    # every entity (no other not-found code is known), answered with 404: GUESS (docs/providers/zoho.md §3).
    return ZohoError(404, 1002, f"{entity} does not exist.")


def _already_exists(what: str) -> ZohoError:
    # 1001 is Zoho's "already exists" code for duplicate document numbers (UNCERTAIN for
    # packages and shipment orders; GUESS in docs/providers/zoho.md §3).
    return ZohoError(400, 1001, f"{what} already exists.")


def _num(value: Any, param: str) -> int | float:
    """A positive quantity as JSON would show it (2, not 2.0)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(param) from None
    if number <= 0:
        raise _invalid(param)
    return int(number) if number.is_integer() else number


def _as_number(value: Any) -> int | float:
    number = float(value or 0)
    return int(number) if number.is_integer() else number


@dataclass
class _Token:
    refresh_token: str
    expires_at: float


ApiHandler = Callable[[Request], Response]


class ZohoSim(SimApp):
    name = "zoho"

    def __init__(self) -> None:
        super().__init__()
        self.clock: Callable[[], float] = time.time
        self._inflight = 0
        self._inflight_lock = threading.Lock()
        self.reset()
        self.route("POST", "/oauth/v2/token")(self._token)
        # Inventory and Books share one database (docs/providers/zoho.md §2): invoices, credit notes and payments
        # answer on both hosts. ``POST /inventory/v1/invoices/fromsalesorder`` is only in Books' spec, but a live
        # integrator calls it on the Inventory host (docs/providers/zoho.md §9, UNCERTAIN there): served on both.
        for root in ("/inventory/v1", "/books/v3"):
            self._api("GET", f"{root}/organizations", self._organizations, needs_org=False)
            self._api("GET", f"{root}/invoices/{{invoice_id}}", self._get_invoice)
            self._api("POST", f"{root}/invoices/fromsalesorder", self._invoice_from_salesorder)
            self._api("POST", f"{root}/invoices/{{invoice_id}}/status/sent", self._mark_invoice_sent)
            self._api("POST", f"{root}/creditnotes", self._create_creditnote)
            self._api("GET", f"{root}/creditnotes", self._list_creditnotes)
            self._api("GET", f"{root}/creditnotes/{{creditnote_id}}", self._get_creditnote)
            self._api("POST", f"{root}/creditnotes/{{creditnote_id}}/invoices", self._apply_creditnote)
            self._api("POST", f"{root}/customerpayments", self._create_customerpayment)
            self._api("GET", f"{root}/customerpayments", self._list_customerpayments)
            self._api("GET", f"{root}/customerpayments/{{payment_id}}", self._get_customerpayment)
            self._api("PUT", f"{root}/customerpayments/{{payment_id}}", self._update_customerpayment)
        books = "/books/v3"
        self._api("POST", f"{books}/expenses", self._create_expense)
        self._api("GET", f"{books}/expenses", self._list_expenses)
        self._api("GET", f"{books}/expenses/{{expense_id}}", self._get_expense)
        inv = "/inventory/v1"
        self._api("GET", f"{inv}/salesorders", self._list_salesorders)
        self._api("GET", f"{inv}/salesorders/{{salesorder_id}}", self._get_salesorder)
        self._api("PUT", f"{inv}/salesorders/{{salesorder_id}}", self._update_salesorder)
        self._api("GET", f"{inv}/items", self._list_items)
        self._api("GET", f"{inv}/items/{{item_id}}", self._get_item)
        self._api("POST", f"{inv}/packages", self._create_package)
        self._api("GET", f"{inv}/packages/{{package_id}}", self._get_package)
        self._api("POST", f"{inv}/shipmentorders", self._create_shipmentorder)
        self._api("GET", f"{inv}/shipmentorders/{{shipment_id}}", self._get_shipmentorder)
        self._api("POST", f"{inv}/shipmentorders/{{shipment_id}}/status/delivered", self._mark_delivered)
        self._api("POST", f"{inv}/salesreturns", self._create_salesreturn)
        self._api("GET", f"{inv}/salesreturns/{{salesreturn_id}}", self._get_salesreturn)
        self._api("POST", f"{inv}/salesreturnreceives", self._create_salesreturn_receive)

    # ------------------------------------------------------------------ SimApp hooks
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
            self.day_key = -1
            self.day_count = 0
            self.records: dict[str, dict[str, dict[str, Any]]] = {key: {} for key in STATE_KEYS}
            self.custom_field_ids: dict[str, str] = {}
            self._ids = itertools.count(4_600_000_000_000_100_001)
            self._package_numbers = itertools.count(1)
            self._salesreturn_numbers = itertools.count(1)
            self._receive_numbers = itertools.count(1)
            self._creditnote_numbers = itertools.count(1)
            self._invoice_numbers = itertools.count(1)
            self._payment_numbers = itertools.count(1)

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            settings = {
                "organization_id": str,
                "token_ttl_s": int,
                "per_minute_limit": int,
                "daily_cap": int,
                "concurrency_limit": int,
            }
            for key, cast in settings.items():
                if key in payload:
                    setattr(self, key, cast(payload[key]))
            for client in payload.get("oauth_clients", []):
                self.client_secrets[str(client["client_id"])] = str(client["client_secret"])
                self.refresh_tokens[str(client["refresh_token"])] = str(client["client_id"])
            seeded: dict[str, Any] = {}
            seeders: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
                "items": self._normalise_item,
                "salesorders": self._normalise_salesorder,
                "invoices": self._normalise_invoice,
            }
            for key, normalise in seeders.items():
                ids = []
                for raw in payload.get(key, []):
                    record = normalise(copy.deepcopy(raw))
                    record_id = record[_ID_KEYS[key]]
                    self.records[key][record_id] = record
                    ids.append(record_id)
                if ids:
                    seeded[key] = ids
            for invoice_id in seeded.get("invoices", []):
                self._link_invoice(self.records["invoices"][invoice_id])
            ignored = sorted(set(payload) - set(settings) - set(seeders) - {"oauth_clients"})
            return {"seeded": seeded, "organization_id": self.organization_id, "ignored_keys": ignored}

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            state: dict[str, Any] = {key: copy.deepcopy(list(self.records[key].values())) for key in STATE_KEYS}
            state["token_mints"] = self.token_mints
            state["tokens_live"] = sum(1 for token in self.tokens.values() if token.expires_at > self.clock())
            return state

    # ------------------------------------------------------------------ dispatch
    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        # Concurrency is measured on arrival, outside the app lock the handlers run under:
        # requests queued for the lock (or slowed by a delay fault) are "in process" at Zoho too.
        path = urllib.parse.urlsplit(raw_path).path
        endpoint = self._endpoint(method, path) if path.startswith(API_PREFIXES) else None
        if endpoint is None:
            return super().handle(method, raw_path, headers, body)
        with self._inflight_lock:
            admitted = self._inflight < self.concurrency_limit
            if admitted:
                self._inflight += 1
        if not admitted:
            with self.lock:
                self.calls[endpoint] += 1
            return Response(429, {"code": 1070, "message": CONCURRENCY_MESSAGE})
        try:
            return super().handle(method, raw_path, headers, body)
        finally:
            with self._inflight_lock:
                self._inflight -= 1

    def not_found(self, method: str, path: str) -> Response:
        return Response(404, {"code": 5, "message": "Invalid URL Passed"})

    def _endpoint(self, method: str, path: str) -> str | None:
        for route in self.routes:
            if route.method == method and route.pattern.match(path):
                return f"{route.method} {route.template}"
        return None

    def _api(self, method: str, template: str, handler: ApiHandler, *, needs_org: bool = True) -> None:
        def guarded(request: Request) -> Response:
            try:
                self._authenticate(request)
                if needs_org and request.query.get("organization_id") != self.organization_id:
                    org = request.query.get("organization_id", "")
                    raise ZohoError(400, 6041, f"This user is not associated with the CompanyID/CompanyName:{org}.")
            except ZohoError as error:
                return Response(error.status, {"code": error.code, "message": error.message})
            limited = self._count_call()
            if limited is not None:
                response = limited
            else:
                try:
                    response = handler(request)
                except ZohoError as error:
                    response = Response(error.status, {"code": error.code, "message": error.message})
            response.headers.update(self._rate_headers())
            return response

        self.route(method, template)(guarded)

    # ------------------------------------------------------------------ OAuth
    def _token(self, request: Request) -> Response:
        params = dict(request.query)
        if request.body:
            params.update(request.form())
        if params.get("grant_type") != "refresh_token":
            # Only the refresh grant is documented (docs/providers/zoho.md §1); the OAuth-standard error is assumed.
            return Response(200, {"error": "unsupported_grant_type"})
        client_id = params.get("client_id", "")
        if client_id not in self.client_secrets:
            return Response(200, {"error": "invalid_client"})
        if params.get("client_secret") != self.client_secrets[client_id]:
            return Response(200, {"error": "invalid_client_secret"})
        refresh_token = params.get("refresh_token", "")
        if self.refresh_tokens.get(refresh_token) != client_id:
            return Response(200, {"error": "invalid_code"})
        now = self.clock()
        window = self.token_requests.setdefault(refresh_token, deque())
        while window and window[0] <= now - TOKEN_REQUEST_WINDOW_S:
            window.popleft()
        # Throttled requests count too: the lock-out only clears after a quiet window (docs/providers/zoho.md §1).
        window.append(now)
        if len(window) > TOKEN_REQUEST_LIMIT:
            # Kaizen #43 says HTTP 200, a live recording says 400; 400 makes clients that check
            # the status fail too, and clients must test for access_token either way.
            return Response(400, dict(THROTTLED_BODY))
        mine = [t for t, info in self.tokens.items() if info.refresh_token == refresh_token]
        for stale in mine[: max(0, len(mine) - MAX_LIVE_TOKENS + 1)]:
            del self.tokens[stale]
        access_token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        self.tokens[access_token] = _Token(refresh_token, now + self.token_ttl_s)
        self.token_mints += 1
        return Response(
            200,
            {
                "access_token": access_token,
                "api_domain": self.base_url,
                "token_type": "Bearer",
                "expires_in": self.token_ttl_s,
            },
        )

    def _authenticate(self, request: Request) -> None:
        header = (request.header("authorization") or "").strip()
        if not header:
            raise ZohoError(401, 57, NOT_AUTHORIZED)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() not in ("zoho-oauthtoken", "bearer") or not token or " " in token:
            raise ZohoError(401, 14, BAD_AUTH_VALUE)
        live = self.tokens.get(token)
        if live is None or live.expires_at <= self.clock():
            raise ZohoError(401, 57, NOT_AUTHORIZED)

    # ------------------------------------------------------------------ rate limits
    def _day(self, now: float) -> tuple[int, int]:
        """(day number, seconds to its end) in the organization's time zone (IST)."""
        local = now + IST.utcoffset(None).total_seconds()
        return int(local // 86400), int(86400 - local % 86400)

    def _count_call(self) -> Response | None:
        # One pool for Books and Inventory (sharing is UNCERTAIN; one pool is the stricter
        # reading). Rejected calls do not consume quota.
        now = self.clock()
        day, _ = self._day(now)
        if day != self.day_key:
            self.day_key, self.day_count = day, 0
        while self.minute_window and self.minute_window[0] <= now - 60:
            self.minute_window.popleft()
        if self.day_count >= self.daily_cap:
            message = (
                f"The API call for this organization has exceeded the maximum call rate limit of {self.daily_cap}."
            )
            return Response(429, {"code": 45, "message": message})
        if len(self.minute_window) >= self.per_minute_limit:
            return Response(429, {"code": 44, "message": PER_MINUTE_MESSAGE})
        self.minute_window.append(now)
        self.day_count += 1
        return None

    def _rate_headers(self) -> dict[str, str]:
        _, reset = self._day(self.clock())
        return {
            "X-Rate-Limit-Limit": str(self.daily_cap),
            "X-Rate-Limit-Remaining": str(max(0, self.daily_cap - self.day_count)),
            "X-Rate-Limit-Reset": str(reset),
        }

    # ------------------------------------------------------------------ helpers
    def _new_id(self) -> str:
        return str(next(self._ids))

    def _now_text(self) -> str:
        return datetime.fromtimestamp(self.clock(), tz=UTC).astimezone(IST).strftime("%Y-%m-%dT%H:%M:%S%z")

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

    # ------------------------------------------------------------------ normalising seeds
    def _normalise_item(self, item: dict[str, Any]) -> dict[str, Any]:
        item["item_id"] = str(item.get("item_id") or self._new_id())
        stock = item.setdefault("stock_on_hand", 0)
        for key, default in (
            ("name", item.get("sku", "Item")),
            ("sku", ""),
            ("rate", 0.0),
            ("unit", "pcs"),
            ("hsn_or_sac", ""),
            ("product_type", "goods"),
            ("item_type", "inventory"),
            ("status", "active"),
            ("available_stock", stock),
            ("actual_available_stock", stock),
            ("custom_fields", []),
        ):
            item.setdefault(key, default)
        item["package_details"] = _package_details(item.get("package_details"))
        return item

    def _normalise_salesorder(self, order: dict[str, Any]) -> dict[str, Any]:
        order["salesorder_id"] = str(order.get("salesorder_id") or self._new_id())
        status = order.get("order_status") or order.get("status") or "confirmed"
        for key, default in (
            ("salesorder_number", f"SO-{order['salesorder_id'][-5:]}"),
            ("date", self._today()),
            ("status", status),
            ("order_status", status),
            ("shipped_status", "pending"),
            ("invoiced_status", "not_invoiced"),
            # docs/providers/zoho.md §5: live orders say "unpaid", not the "not_paid" of one client's schema.
            ("paid_status", "unpaid"),
            ("currency_code", "INR"),
            # Fields the published GET has and the client reads: an order without them is Zoho's zero, ``false``
            # or a blank address (every field "", as the live body leaves unset text), GUESS for the values.
            ("discount", 0),
            ("shipping_charge", 0.0),
            ("is_inclusive_tax", False),
            ("billing_address", _blank_address()),
            ("shipping_address", _blank_address()),
            ("contact_person_details", []),
            ("packages", []),
            ("invoices", []),
            ("salesreturns", []),
            ("creditnotes", []),
            ("created_time", self._now_text()),
            ("last_modified_time", self._now_text()),
        ):
            order.setdefault(key, default)
        for line in order.setdefault("line_items", []):
            line["line_item_id"] = str(line.get("line_item_id") or self._new_id())
            for key in ("quantity_packed", "quantity_shipped", "quantity_invoiced"):
                line.setdefault(key, 0)
            line.setdefault("unit", "pcs")
            line.setdefault("item_total", _line_amount(line))
            line["package_details"] = _package_details(line.get("package_details"))
        order["custom_fields"] = [self._custom_field(entry) for entry in order.get("custom_fields", [])]
        self._rehash(order)
        order.setdefault("sub_total", round(sum(float(line["item_total"]) for line in order["line_items"]), 2))
        order.setdefault("tax_total", 0.0)
        order.setdefault("total", round(float(order["sub_total"]) + float(order["tax_total"]), 2))
        return order

    def _normalise_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        invoice["invoice_id"] = str(invoice.get("invoice_id") or self._new_id())
        order = self.records["salesorders"].get(str(invoice.get("salesorder_id") or ""))
        if order is not None:
            for key in ("customer_id", "customer_name", "salesorder_number"):
                invoice.setdefault(key, order.get(key))
            if not invoice.get("line_items"):
                # A seeded invoice without lines bills the whole order, as fromsalesorder would.
                invoice["line_items"] = [
                    self._invoice_line(line, float(line.get("quantity", 0))) for line in order["line_items"]
                ]
        for line in invoice.setdefault("line_items", []):
            line["line_item_id"] = str(line.get("line_item_id") or self._new_id())
            line.setdefault("discount", 0)
            line.setdefault("item_total", _line_amount(line))
        sub_total, tax_total = _totals(invoice["line_items"])
        invoice.setdefault("sub_total", sub_total)
        invoice.setdefault("tax_total", tax_total)
        total = invoice.setdefault("total", round(sub_total + tax_total + float(invoice.get("shipping_charge", 0)), 2))
        status = invoice.setdefault("status", "sent")
        for key, default in (
            ("invoice_number", f"INV-{invoice['invoice_id'][-5:]}"),
            ("date", self._today()),
            ("balance", 0.0 if status == "paid" else total),
            ("credits_applied", 0.0),
            ("currency_code", "INR"),
            ("custom_fields", []),
            ("last_modified_time", self._now_text()),
        ):
            invoice.setdefault(key, default)
        return invoice

    @staticmethod
    def _invoice_line(so_line: dict[str, Any], quantity: float) -> dict[str, Any]:
        """An invoice line billing ``quantity`` of a sales order line, at the order line's discount."""
        line = {key: so_line.get(key) for key in ("item_id", "sku", "name", "rate", "unit", "hsn_or_sac")}
        line["salesorder_item_id"] = so_line["line_item_id"]
        line["quantity"] = _as_number(quantity)
        for key in ("tax_id", "tax_name", "tax_type", "tax_percentage"):
            if key in so_line:
                line[key] = so_line[key]
        discount = so_line.get("discount") or 0
        if isinstance(discount, str) and discount.strip().endswith("%"):
            line["discount"] = discount
        elif float(discount) and float(so_line.get("quantity") or 0) > 0:
            # An amount discount covers the order line's whole quantity: bill its share.
            line["discount"] = round(float(discount) * quantity / float(so_line["quantity"]), 2)
        else:
            # Every published invoice line carries ``discount`` (0 when there is none).
            line["discount"] = 0
        return line

    def _link_invoice(self, invoice: dict[str, Any]) -> None:
        """Show an invoice under its sales order's ``invoices[]`` and derive the order's invoiced/paid state."""
        order = self.records["salesorders"].get(str(invoice.get("salesorder_id", "")))
        if order is None:
            return
        ref = {key: invoice[key] for key in ("invoice_id", "invoice_number", "status", "date", "total", "balance")}
        _upsert(order["invoices"], "invoice_id", ref)
        live = [
            i
            for i in self.records["invoices"].values()
            if i.get("salesorder_id") == order["salesorder_id"] and i["status"] != "void"
        ]
        invoiced: dict[str, float] = {}
        for billed in live:
            for line in billed["line_items"]:
                key = str(line.get("salesorder_item_id", ""))
                invoiced[key] = invoiced.get(key, 0.0) + float(line.get("quantity", 0))
        for line in order["line_items"]:
            line["quantity_invoiced"] = _as_number(invoiced.get(line["line_item_id"], 0))
        if not live:
            order["invoiced_status"] = "not_invoiced"
        elif all(float(line["quantity_invoiced"]) >= float(line.get("quantity", 0)) for line in order["line_items"]):
            order["invoiced_status"] = "invoiced"
        else:
            order["invoiced_status"] = "partially_invoiced"
        if live and all(i["status"] == "paid" for i in live):
            order["paid_status"] = "paid"
        elif any(i["status"] in ("paid", "partially_paid") for i in live):
            order["paid_status"] = "partially_paid"
        else:
            order["paid_status"] = "unpaid"
        order["last_modified_time"] = self._now_text()

    def _rehash(self, order: dict[str, Any]) -> None:
        order["custom_field_hash"] = {field["api_name"]: field["value"] for field in order["custom_fields"]}

    # ------------------------------------------------------------------ organizations, invoices
    def _organizations(self, request: Request) -> Response:
        org = {
            "organization_id": self.organization_id,
            "name": "Shipsync Simulated Store",
            "email": "accounts@shipsync-sim.example",
            "is_default_org": True,
            "country": "India",
            "currency_code": "INR",
            "time_zone": "Asia/Calcutta",
            "is_org_active": True,
        }
        return Response(200, {"code": 0, "message": "success", "organizations": [org]})

    def _get_invoice(self, request: Request) -> Response:
        invoice = self._get("invoices", request.params["invoice_id"], "Invoice")
        return Response(200, {"code": 0, "message": "success", "invoice": copy.deepcopy(invoice)})

    # ------------------------------------------------------------------ sales orders
    def _get_salesorder(self, request: Request) -> Response:
        order = self._get("salesorders", request.params["salesorder_id"], "Sales Order")
        return Response(200, {"code": 0, "message": "success", "salesorder": copy.deepcopy(order)})

    def _list_salesorders(self, request: Request) -> Response:
        columns = (
            "salesorder_id",
            "salesorder_number",
            "customer_id",
            "customer_name",
            "status",
            "order_status",
            "shipped_status",
            "invoiced_status",
            "paid_status",
            "date",
            "shipment_date",
            "reference_number",
            "total",
            "currency_code",
            "created_time",
            "last_modified_time",
        )
        # List rows flatten custom fields to top-level cf_ keys ([ZTS], UNCERTAIN: docs/providers/zoho.md §5).
        rows = (
            {**{key: order.get(key) for key in columns}, **order["custom_field_hash"]}
            for order in self.records["salesorders"].values()
        )
        return self._page(request, "salesorders", rows, "Sales Orders")

    def _update_salesorder(self, request: Request) -> Response:
        order = self._get("salesorders", request.params["salesorder_id"], "Sales Order")
        body = self._body(request)
        updates = body.pop("custom_fields", None)
        if updates is not None:
            if not isinstance(updates, list) or not all(isinstance(entry, dict) for entry in updates):
                raise _invalid("custom_fields")
            for entry in updates:
                self._set_custom_field(order, entry)
            self._rehash(order)
        for key, value in body.items():
            if key not in _SO_READ_ONLY:
                order[key] = value
        order["last_modified_time"] = self._now_text()
        # The spec's update-a-sales-order-response names the order ``sales_order`` (GET says ``salesorder``),
        # docs/providers/zoho.md §3, §5.
        message = "Sales Order has been updated."
        return Response(200, {"code": 0, "message": message, "sales_order": copy.deepcopy(order)})

    def _set_custom_field(self, order: dict[str, Any], entry: dict[str, Any]) -> None:
        if "value" not in entry:
            raise _invalid("custom_fields")
        fields: list[dict[str, Any]] = order["custom_fields"]
        for key in ("api_name", "customfield_id", "placeholder", "label"):
            wanted = entry.get(key)
            if not wanted:
                continue
            match = next((field for field in fields if field.get(key) == wanted), None)
            if match is None and key == "customfield_id":
                known = {v: k for k, v in self.custom_field_ids.items()}.get(str(wanted))
                if known is None:
                    raise _invalid("custom_fields")
                match = self._custom_field({"api_name": known, "customfield_id": wanted})
                fields.append(match)
            if match is not None:
                match["value"] = entry["value"]
                match["value_formatted"] = "" if entry["value"] is None else str(entry["value"])
                return
        api_name = entry.get("api_name") or entry.get("placeholder")
        if not api_name:
            raise _invalid("custom_fields")
        # Unknown api_names are created rather than refused: the org's field definitions are
        # whatever the seed and the integration use (a real org defines them in Settings).
        fields.append(self._custom_field({"api_name": api_name, "value": entry["value"]}))

    # ------------------------------------------------------------------ items
    def _get_item(self, request: Request) -> Response:
        item = self._get("items", request.params["item_id"], "Item")
        return Response(200, {"code": 0, "message": "success", "item": copy.deepcopy(item)})

    def _list_items(self, request: Request) -> Response:
        return self._page(request, "items", copy.deepcopy(list(self.records["items"].values())), "Items")

    # ------------------------------------------------------------------ packages
    def _required_query(self, request: Request, param: str) -> str:
        value = request.query.get(param, "").strip()
        if not value:
            raise _invalid(param)
        return value

    def _create_package(self, request: Request) -> Response:
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        body = self._body(request)
        date = str(body.get("date", ""))
        if not _DATE.match(date):
            raise _invalid("date")
        number = body.get("package_number")
        if number:
            if request.query.get("ignore_auto_number_generation") != "true":
                # Zoho's answer to a manual number under auto-numbering is UNCERTAIN; refusing it
                # keeps a client that forgets the flag from relying on numbers it did not get.
                raise _invalid("package_number")
            if any(p["package_number"] == number for p in self.records["packages"].values()):
                raise _already_exists(f'Package Number "{number}"')
        else:
            number = f"PKG-{next(self._package_numbers):05d}"
        lines = body.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise _invalid("line_items")
        custom_fields = _custom_field_entries(body)
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        wanted: dict[str, int | float] = {}
        for entry in lines:
            so_line_id = str(entry.get("so_line_item_id", "")) if isinstance(entry, dict) else ""
            if so_line_id not in by_id:
                raise _invalid("so_line_item_id")
            wanted[so_line_id] = _as_number(wanted.get(so_line_id, 0) + _num(entry.get("quantity"), "quantity"))
        for so_line_id, quantity in wanted.items():
            line = by_id[so_line_id]
            remaining = float(line.get("quantity", 0)) - float(line.get("quantity_packed", 0))
            if quantity > remaining:
                raise ZohoError(
                    400, 2, f"Quantity to be packed for {line.get('name', so_line_id)} exceeds the unpacked quantity."
                )
        package_lines = []
        for so_line_id, quantity in wanted.items():
            line = by_id[so_line_id]
            line["quantity_packed"] = _as_number(float(line.get("quantity_packed", 0)) + quantity)
            package_lines.append(
                {
                    "line_item_id": self._new_id(),
                    "so_line_item_id": so_line_id,
                    "item_id": line.get("item_id"),
                    "sku": line.get("sku"),
                    "name": line.get("name"),
                    "quantity": quantity,
                    "unit": line.get("unit"),
                }
            )
        package = {
            "package_id": self._new_id(),
            "package_number": number,
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "date": date,
            # The published package has no status of its own (only its shipment_order's):
            # GUESS (docs/providers/zoho.md §7).
            "status": "not_shipped",
            "detailed_status": "",
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "notes": body.get("notes", ""),
            "line_items": package_lines,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "shipment_order": {},
            "created_time": self._now_text(),
        }
        self.records["packages"][package["package_id"]] = package
        self._sync_packages(order)
        message = "Package created successfully. It's now time to ship!"
        # The spec's creating-a-package-response holds the package in a one-element array; live clients read an
        # object (UNCERTAIN which is live, docs/providers/zoho.md §7), the client takes either.
        return Response(201, {"code": 0, "message": message, "package": [copy.deepcopy(package)]})

    def _get_package(self, request: Request) -> Response:
        package = self._get("packages", request.params["package_id"], "Package")
        # As the create answer: retrieving-a-package-response holds the package in a one-element array
        # (docs/providers/zoho.md §7).
        return Response(200, {"code": 0, "message": "success", "package": [copy.deepcopy(package)]})

    def _sync_packages(self, order: dict[str, Any]) -> None:
        """Rebuild the order's ``packages[]`` and ``shipped_status`` from the package records."""
        ours = [p for p in self.records["packages"].values() if p["salesorder_id"] == order["salesorder_id"]]
        refs = [ref for ref in order["packages"] if ref.get("package_id") not in self.records["packages"]]
        for package in ours:
            shipment = self.records["shipmentorders"].get(package["shipment_order"].get("shipment_id", ""), {})
            refs.append(
                {
                    "package_id": package["package_id"],
                    "package_number": package["package_number"],
                    "date": package["date"],
                    "status": package["status"],
                    "detailed_status": package["detailed_status"],
                    "quantity": _as_number(sum(float(line["quantity"]) for line in package["line_items"])),
                    "shipment_id": shipment.get("shipment_id", ""),
                    "shipment_number": shipment.get("shipment_number", ""),
                    "shipment_date": shipment.get("date", ""),
                    "shipment_status": shipment.get("status", ""),
                    "carrier": shipment.get("carrier", ""),
                    "delivery_method": shipment.get("delivery_method", ""),
                    "tracking_number": shipment.get("tracking_number", ""),
                    "tracking_link": shipment.get("tracking_link", ""),
                }
            )
        order["packages"] = refs
        lines = order["line_items"]
        if lines and all(float(line["quantity_shipped"]) >= float(line.get("quantity", 0)) for line in lines):
            delivered = bool(ours) and all(p["status"] == "delivered" for p in ours)
            order["shipped_status"] = "fulfilled" if delivered else "shipped"
        elif any(float(line["quantity_shipped"]) > 0 for line in lines):
            order["shipped_status"] = "partially_shipped"
        order["last_modified_time"] = self._now_text()

    # ------------------------------------------------------------------ shipment orders
    def _create_shipmentorder(self, request: Request) -> Response:
        order, package_ids = self._shipment_parents(request)
        body = self._body(request)
        for field in ("shipment_number", "date", "delivery_method", "tracking_number"):
            if not str(body.get(field, "")).strip():
                raise _invalid(field)
        if not _DATE.match(str(body["date"])):
            raise _invalid("date")
        number = str(body["shipment_number"])
        if any(s["shipment_number"] == number for s in self.records["shipmentorders"].values()):
            raise _already_exists(f'Shipment Order Number "{number}"')
        packages = []
        for package_id in package_ids:
            package = self.records["packages"].get(package_id)
            if package is None or package["salesorder_id"] != order["salesorder_id"]:
                raise _invalid("package_ids")
            if package["status"] != "not_shipped":
                raise ZohoError(400, 2, f"Package {package['package_number']} has already been shipped.")
            packages.append(package)
        shipment = {
            "shipment_id": self._new_id(),
            "shipment_number": number,
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "date": body["date"],
            "status": "shipped",
            "detailed_status": "",
            "carrier": body["delivery_method"],
            "delivery_method": body["delivery_method"],
            "tracking_number": str(body["tracking_number"]),
            "tracking_link": body.get("tracking_link", ""),
            "reference_number": body.get("reference_number", ""),
            "shipping_charge": body.get("shipping_charge", 0.0),
            "notes": body.get("notes", ""),
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "package_ids": package_ids,
            "packages": [{"package_id": p["package_id"], "package_number": p["package_number"]} for p in packages],
            "delivered_date": "",
            "created_time": self._now_text(),
        }
        self.records["shipmentorders"][shipment["shipment_id"]] = shipment
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        for package in packages:
            package["status"] = "shipped"
            package["shipment_order"] = {key: shipment[key] for key in ("shipment_id", "shipment_number")}
            for package_line in package["line_items"]:
                line = by_id[package_line["so_line_item_id"]]
                line["quantity_shipped"] = _as_number(float(line["quantity_shipped"]) + package_line["quantity"])
                # Physical stock falls on shipment, not on packing (docs/providers/zoho.md §7).
                self._move_stock(package_line.get("item_id"), -float(package_line["quantity"]))
        self._sync_packages(order)
        return Response(
            201, {"code": 0, "message": "Shipment created successfully.", "shipment_order": copy.deepcopy(shipment)}
        )

    def _shipment_parents(self, request: Request) -> tuple[dict[str, Any], list[str]]:
        """The sales order and the packages a shipment ships, from the optional query ids.

        ``salesorder_id`` and ``package_ids`` are both optional as published (docs/providers/zoho.md §7); what
        Zoho does without them is not. GUESS: without ``salesorder_id`` the order is the packages' own (they must
        all belong to one order); without ``package_ids`` every package of the order not yet shipped goes; with
        neither, or nothing left to ship, there is nothing to ship (400 code 2 naming ``package_ids``). The
        client always sends both.
        """
        package_ids = list(dict.fromkeys(p.strip() for p in request.query.get("package_ids", "").split(",")))
        package_ids = [package_id for package_id in package_ids if package_id]
        salesorder_id = request.query.get("salesorder_id", "").strip()
        if not salesorder_id:
            owners = {str(self.records["packages"].get(p, {}).get("salesorder_id", "")) for p in package_ids}
            if len(owners) != 1 or "" in owners:
                raise _invalid("package_ids")
            salesorder_id = owners.pop()
        order = self._get("salesorders", salesorder_id, "Sales Order")
        if not package_ids:
            package_ids = [
                package["package_id"]
                for package in self.records["packages"].values()
                if package["salesorder_id"] == order["salesorder_id"] and package["status"] == "not_shipped"
            ]
            if not package_ids:
                raise _invalid("package_ids")
        return order, package_ids

    def _get_shipmentorder(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        return Response(200, {"code": 0, "message": "success", "shipment_order": copy.deepcopy(shipment)})

    def _mark_delivered(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        body = self._body(request)
        if shipment["status"] == "delivered":
            # 37135 is what [ZTS] sees on a repeat (docs/providers/zoho.md §7); the wording is ours.
            raise ZohoError(400, 37135, "The Shipment Order has already been marked as Delivered.")
        delivered_date = str(body.get("delivered_date") or self._now_text()[:16].replace("T", " "))
        if not _DATE_TIME.match(delivered_date):
            raise _invalid("delivered_date")
        shipment["status"] = "delivered"
        shipment["delivered_date"] = delivered_date
        for package_id in shipment["package_ids"]:
            self.records["packages"][package_id]["status"] = "delivered"
        self._sync_packages(self.records["salesorders"][shipment["salesorder_id"]])
        return Response(200, {"code": 0, "message": "The Shipment Order has been marked as Delivered."})

    # ------------------------------------------------------------------ invoices
    def _invoice_from_salesorder(self, request: Request) -> Response:
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        if order["order_status"] in ("draft", "void"):
            raise ZohoError(400, 2, f"Sales order {order['salesorder_number']} is {order['order_status']}.")
        lines = []
        for so_line in order["line_items"]:
            remaining = float(so_line.get("quantity", 0)) - float(so_line.get("quantity_invoiced", 0))
            if remaining > 0:
                lines.append(self._invoice_line(so_line, remaining))
        if not lines:
            raise ZohoError(400, 2, "All the items in this sales order have already been invoiced.")
        billed_before = any(
            i.get("salesorder_id") == order["salesorder_id"] and i["status"] != "void"
            for i in self.records["invoices"].values()
        )
        used = {i["invoice_number"] for i in self.records["invoices"].values()}
        number = next(n for n in (f"INV-{k:06d}" for k in self._invoice_numbers) if n not in used)
        invoice = self._normalise_invoice(
            {
                "invoice_number": number,
                "salesorder_id": order["salesorder_id"],
                "date": self._today(),
                # Zoho creates the invoice as a draft; POST /invoices/{id}/status/sent opens it
                # (docs/providers/zoho.md §9).
                "status": "draft",
                "line_items": lines,
                # The order's shipping charge is billed once, on its first invoice.
                "shipping_charge": 0.0 if billed_before else float(order.get("shipping_charge") or 0),
                "created_time": self._now_text(),
            }
        )
        self.records["invoices"][invoice["invoice_id"]] = invoice
        self._link_invoice(invoice)
        message = "The invoice has been created."
        return Response(201, {"code": 0, "message": message, "invoice": copy.deepcopy(invoice)})

    def _mark_invoice_sent(self, request: Request) -> Response:
        invoice = self._get("invoices", request.params["invoice_id"], "Invoice")
        if invoice["status"] == "void":
            raise ZohoError(400, 2, f"Invoice {invoice['invoice_number']} is void.")
        if invoice["status"] == "draft":
            invoice["status"] = "sent"
            invoice["last_modified_time"] = self._now_text()
            self._link_invoice(invoice)
        return Response(200, {"code": 0, "message": "Invoice status has been changed to Sent."})

    # ------------------------------------------------------------------ sales returns and receives
    def _create_salesreturn(self, request: Request) -> Response:
        # salesorder_id is optional as published, what Zoho does without it is not: it stays required here
        # (GUESS; the client always sends it, docs/providers/zoho.md §8).
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        body = self._body(request)
        date = _body_date(body)
        entries = _line_entries(body)
        custom_fields = _custom_field_entries(body)
        if not any(float(line["quantity_shipped"]) > 0 for line in order["line_items"]):
            # Only shipped units can be returned (docs/providers/zoho.md §8, §11); the real error code is UNCERTAIN.
            raise ZohoError(
                400, 2, f"Sales order {order['salesorder_number']} has no shipped items, so it cannot be returned."
            )
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        asked: dict[str, float] = {}
        parsed = []
        for entry in entries:
            so_line = by_id.get(str(entry.get("salesorder_item_id", "")))
            if so_line is None:
                raise _invalid("salesorder_item_id")
            if str(entry.get("item_id", "")) != str(so_line.get("item_id")):
                raise _invalid("item_id")
            quantity = _num(entry.get("quantity"), "quantity")
            non_receive = _quantity_or_zero(entry.get("non_receive_quantity"), "non_receive_quantity")
            if non_receive > quantity:
                raise _invalid("non_receive_quantity")
            asked[so_line["line_item_id"]] = asked.get(so_line["line_item_id"], 0.0) + quantity
            parsed.append((so_line, quantity, non_receive))
        returned = self._returned_quantities(order["salesorder_id"])
        for so_line_id, quantity in asked.items():
            line = by_id[so_line_id]
            returnable = float(line["quantity_shipped"]) - returned.get(so_line_id, 0.0)
            if quantity > returnable:
                raise ZohoError(
                    400,
                    2,
                    f"Quantity to be returned for {line.get('name', so_line_id)} exceeds the shipped quantity "
                    f"that has not been returned ({_as_number(max(returnable, 0.0))}).",
                )
        salesreturn = {
            "salesreturn_id": self._new_id(),
            "salesreturn_number": f"RMA-{next(self._salesreturn_numbers):05d}",
            "date": date,
            "reason": body.get("reason", ""),
            "reference_number": body.get("reference_number", ""),
            "location_id": body.get("location_id", ""),
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "salesreturn_status": "approved",
            # GUESS: the spec gives only "received"; before and between receives the value is not published.
            "receive_status": "pending",
            "line_items": [
                {
                    "line_item_id": self._new_id(),
                    "item_id": so_line.get("item_id"),
                    "salesorder_item_id": so_line["line_item_id"],
                    "sku": so_line.get("sku"),
                    "name": so_line.get("name"),
                    "rate": so_line.get("rate"),
                    "unit": so_line.get("unit"),
                    "quantity": quantity,
                    "non_receive_quantity": non_receive,
                    "quantity_received": 0,
                }
                for so_line, quantity, non_receive in parsed
            ],
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "salesreturnreceives": [],
            "creditnotes": [],
            "created_time": self._now_text(),
        }
        self.records["salesreturns"][salesreturn["salesreturn_id"]] = salesreturn
        self._link_salesreturn(salesreturn)
        message = "Return created successfully"
        return Response(201, {"code": 0, "message": message, "salesreturn": copy.deepcopy(salesreturn)})

    def _get_salesreturn(self, request: Request) -> Response:
        salesreturn = self._get("salesreturns", request.params["salesreturn_id"], "Sales Return")
        return Response(200, {"code": 0, "message": "success", "salesreturn": copy.deepcopy(salesreturn)})

    def _returned_quantities(self, salesorder_id: str) -> dict[str, float]:
        returned: dict[str, float] = {}
        for salesreturn in self.records["salesreturns"].values():
            if salesreturn["salesorder_id"] == salesorder_id:
                for line in salesreturn["line_items"]:
                    key = line["salesorder_item_id"]
                    returned[key] = returned.get(key, 0.0) + float(line["quantity"])
        return returned

    def _link_salesreturn(self, salesreturn: dict[str, Any]) -> None:
        order = self.records["salesorders"].get(salesreturn["salesorder_id"])
        if order is None:
            return
        ref = {key: salesreturn[key] for key in ("salesreturn_id", "salesreturn_number", "date", "salesreturn_status")}
        ref["quantity"] = _as_number(sum(float(line["quantity"]) for line in salesreturn["line_items"]))
        _upsert(order["salesreturns"], "salesreturn_id", ref)
        order["last_modified_time"] = self._now_text()

    def _create_salesreturn_receive(self, request: Request) -> Response:
        # Like a return's salesorder_id, salesreturn_id is optional as published and required here
        # (GUESS, docs/providers/zoho.md §8).
        salesreturn = self._get("salesreturns", self._required_query(request, "salesreturn_id"), "Sales Return")
        body = self._body(request)
        date = _body_date(body)
        by_id = {line["line_item_id"]: line for line in salesreturn["line_items"]}
        asked: dict[str, float] = {}
        for entry in _line_entries(body):
            line_id = str(entry.get("line_item_id", ""))
            if line_id not in by_id:
                raise _invalid("line_item_id")
            asked[line_id] = asked.get(line_id, 0.0) + _num(entry.get("quantity"), "quantity")
        for line_id, quantity in asked.items():
            line = by_id[line_id]
            # Credit-only units (non_receive_quantity) never come back into stock (docs/providers/zoho.md §8).
            pending = float(line["quantity"]) - float(line["non_receive_quantity"]) - float(line["quantity_received"])
            if quantity > pending:
                raise ZohoError(
                    400,
                    2,
                    f"Quantity to be received for {line.get('name') or line_id} exceeds the returned quantity "
                    f"yet to be received ({_as_number(max(pending, 0.0))}).",
                )
        receive_lines = []
        for line_id, quantity in asked.items():
            line = by_id[line_id]
            line["quantity_received"] = _as_number(float(line["quantity_received"]) + quantity)
            # A receive is what restocks physical stock (docs/providers/zoho.md §8).
            self._move_stock(line.get("item_id"), quantity)
            receive_lines.append(
                {
                    "line_item_id": self._new_id(),
                    "salesreturn_item_id": line_id,
                    "item_id": line.get("item_id"),
                    "sku": line.get("sku"),
                    "name": line.get("name"),
                    "unit": line.get("unit"),
                    "quantity": _as_number(quantity),
                }
            )
        receive = {
            "receive_id": self._new_id(),
            # The receive numbering scheme is not published (the spec's example is PR-00002); this prefix is ours.
            "receive_number": f"SRR-{next(self._receive_numbers):05d}",
            "date": date,
            "notes": body.get("notes", ""),
            "salesreturn_id": salesreturn["salesreturn_id"],
            "salesreturn_number": salesreturn["salesreturn_number"],
            "salesorder_id": salesreturn["salesorder_id"],
            "line_items": receive_lines,
            "created_time": self._now_text(),
        }
        self.records["salesreturnreceives"][receive["receive_id"]] = receive
        salesreturn["salesreturnreceives"].append(
            {key: receive[key] for key in ("receive_id", "receive_number", "date")}
        )
        # The return itself stays "approved"; its receive_status tells the stock is back (docs/providers/zoho.md §8).
        fully = all(
            float(line["quantity_received"]) >= float(line["quantity"]) - float(line["non_receive_quantity"])
            for line in salesreturn["line_items"]
        )
        salesreturn["receive_status"] = "received" if fully else "partially_received"
        self._link_salesreturn(salesreturn)
        # The spec's create-a-sales-return-receive-response names the receive object ``salesreturn``.
        message = "Sales Return Receive Created Successfully"
        return Response(201, {"code": 0, "message": message, "salesreturn": copy.deepcopy(receive)})

    # ------------------------------------------------------------------ credit notes
    def _create_creditnote(self, request: Request) -> Response:
        body = self._body(request)
        customer_id = str(body.get("customer_id") or "").strip()
        if not customer_id:
            raise _invalid("customer_id")
        date = _body_date(body)
        entries = _line_entries(body)
        custom_fields = _custom_field_entries(body)
        invoice: dict[str, Any] | None = None
        if request.query.get("invoice_id", "").strip():
            invoice = self.records["invoices"].get(request.query["invoice_id"].strip())
            if invoice is None:
                raise _invalid("invoice_id")
        used = {c["creditnote_number"] for c in self.records["creditnotes"].values()}
        number = body.get("creditnote_number")
        if number:
            if request.query.get("ignore_auto_number_generation") != "true":
                raise _invalid("creditnote_number")
            if number in used:
                raise _already_exists(f'Credit Note Number "{number}"')
        lines = [self._creditnote_line(entry, invoice) for entry in entries]
        invoices = [self.records["invoices"][line["invoice_id"]] for line in lines if line["invoice_id"]]
        if any(i.get("customer_id") not in (None, customer_id) for i in [*invoices, *filter(None, [invoice])]):
            raise _invalid("customer_id")
        self._check_credited_quantities(lines)
        invoice = invoice or (invoices[0] if invoices else None)
        # Numbered only once valid, so a refused request leaves no gap in the series.
        number = number or next(n for n in (f"CN-{k:05d}" for k in self._creditnote_numbers) if n not in used)
        sub_total, tax_total = _totals(lines)
        total = round(sub_total + tax_total, 2)
        return_ids = sorted(
            {self._salesreturn_of(line["salesreturn_item_id"])[0] for line in lines if line["salesreturn_item_id"]}
        )
        creditnote = {
            "creditnote_id": self._new_id(),
            "creditnote_number": number,
            "date": date,
            "status": "open",
            "customer_id": customer_id,
            "customer_name": (invoice or {}).get("customer_name", ""),
            "reference_number": body.get("reference_number", ""),
            "invoice_id": (invoice or {}).get("invoice_id", ""),
            "invoice_number": (invoice or {}).get("invoice_number", ""),
            "salesreturn_id": return_ids[0] if return_ids else "",
            "currency_code": "INR",
            "line_items": lines,
            "sub_total": sub_total,
            "tax_total": tax_total,
            "total": total,
            # An unapplied credit note's whole total is available credit.
            "balance": total,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "invoices_credited": [],
            "created_time": self._now_text(),
            "last_modified_time": self._now_text(),
        }
        self.records["creditnotes"][creditnote["creditnote_id"]] = creditnote
        self._link_creditnote(creditnote)
        message = "The credit note has been created."
        return Response(201, {"code": 0, "message": message, "creditnote": copy.deepcopy(creditnote)})

    def _creditnote_line(self, entry: dict[str, Any], default_invoice: dict[str, Any] | None) -> dict[str, Any]:
        invoice_id = str(entry.get("invoice_id") or (default_invoice or {}).get("invoice_id") or "")
        invoice = self.records["invoices"].get(invoice_id) if invoice_id else None
        if invoice_id and invoice is None:
            raise _invalid("invoice_id")
        invoice_item_id = str(entry.get("invoice_item_id") or "")
        invoice_line: dict[str, Any] | None = None
        if invoice_item_id:
            lines = invoice["line_items"] if invoice is not None else []
            invoice_line = next((line for line in lines if line["line_item_id"] == invoice_item_id), None)
            if invoice_line is None:
                raise _invalid("invoice_item_id")
        salesreturn_item_id = str(entry.get("salesreturn_item_id") or "")
        return_line = self._salesreturn_of(salesreturn_item_id)[1] if salesreturn_item_id else None
        item_id = str(entry.get("item_id") or (invoice_line or {}).get("item_id") or "")
        if not item_id or any(
            ref is not None and str(ref.get("item_id")) != item_id for ref in (invoice_line, return_line)
        ):
            raise _invalid("item_id")
        quantity = _num(entry.get("quantity"), "quantity")
        rate = _money(entry.get("rate", (invoice_line or {}).get("rate")), "rate", positive=False)
        # Like tax_id, the discount is only what the request sends (UNCERTAIN whether Zoho copies the invoice
        # line's discount by itself): leaving it out credits the undiscounted amount.
        discount = _creditnote_discount(entry.get("discount"), quantity * rate)
        tax_id = str(entry.get("tax_id") or "")
        named = invoice_line or return_line or self.records["items"].get(item_id) or {}
        return {
            "line_item_id": self._new_id(),
            "item_id": item_id,
            "sku": named.get("sku"),
            "name": named.get("name"),
            "unit": named.get("unit", ""),
            "hsn_or_sac": named.get("hsn_or_sac", ""),
            "quantity": quantity,
            "rate": rate,
            "discount": discount,
            "item_total": _line_amount({"rate": rate, "quantity": quantity, "discount": discount}),
            # Tax follows the line's tax_id only: leaving it out credits the pre-tax amount (UNCERTAIN
            # whether Zoho copies the invoice line's tax by itself; sending tax_id is right either way).
            "tax_id": tax_id,
            "tax_percentage": self._tax_percentage(tax_id) if tax_id else 0,
            "invoice_id": invoice_id,
            "invoice_item_id": invoice_item_id,
            "salesreturn_item_id": salesreturn_item_id,
            "is_item_shipped": _flag(entry.get("is_item_shipped")),
            "is_returned_to_stock": _flag(entry.get("is_returned_to_stock")),
        }

    def _salesreturn_of(self, salesreturn_item_id: str) -> tuple[str, dict[str, Any]]:
        """(sales return id, return line) for a return line id."""
        for salesreturn in self.records["salesreturns"].values():
            for line in salesreturn["line_items"]:
                if line["line_item_id"] == salesreturn_item_id:
                    return salesreturn["salesreturn_id"], line
        raise _invalid("salesreturn_item_id")

    def _tax_percentage(self, tax_id: str) -> float:
        """The org's rate for a tax id, as the seeded orders and invoices carry it."""
        documents = [*self.records["salesorders"].values(), *self.records["invoices"].values()]
        for document in documents:
            for line in document["line_items"]:
                if str(line.get("tax_id", "")) == tax_id and line.get("tax_percentage") is not None:
                    return float(line["tax_percentage"])
        raise _invalid("tax_id")

    def _check_credited_quantities(self, lines: list[dict[str, Any]]) -> None:
        # Zoho tracks what of a return has been credited; its error for over-crediting is UNCERTAIN.
        credited: dict[str, float] = {}
        for note in self.records["creditnotes"].values():
            if note["status"] != "void":
                for line in note["line_items"]:
                    if line["salesreturn_item_id"]:
                        key = line["salesreturn_item_id"]
                        credited[key] = credited.get(key, 0.0) + float(line["quantity"])
        for line in lines:
            key = line["salesreturn_item_id"]
            if not key:
                continue
            credited[key] = credited.get(key, 0.0) + float(line["quantity"])
            returned = float(self._salesreturn_of(key)[1]["quantity"])
            if credited[key] > returned:
                raise ZohoError(
                    400, 2, f"Quantity to be credited for {line.get('name') or key} exceeds the returned quantity."
                )

    def _link_creditnote(self, creditnote: dict[str, Any]) -> None:
        """Show the credit note on its sales return and on the sales order it credits."""
        ref = {
            key: creditnote[key] for key in ("creditnote_id", "creditnote_number", "date", "status", "total", "balance")
        }
        salesreturn = self.records["salesreturns"].get(creditnote["salesreturn_id"])
        if salesreturn is not None:
            _upsert(salesreturn["creditnotes"], "creditnote_id", ref)
        invoice = self.records["invoices"].get(creditnote["invoice_id"], {})
        salesorder_id = (salesreturn or {}).get("salesorder_id") or invoice.get("salesorder_id")
        order = self.records["salesorders"].get(str(salesorder_id or ""))
        if order is not None:
            _upsert(order["creditnotes"], "creditnote_id", ref)

    def _get_creditnote(self, request: Request) -> Response:
        creditnote = self._get("creditnotes", request.params["creditnote_id"], "Credit Note")
        return Response(200, {"code": 0, "message": "success", "creditnote": copy.deepcopy(creditnote)})

    def _list_creditnotes(self, request: Request) -> Response:
        columns = (
            "creditnote_id",
            "creditnote_number",
            "status",
            "date",
            "reference_number",
            "customer_id",
            "customer_name",
            "invoice_id",
            "total",
            "balance",
            "currency_code",
            "created_time",
            "last_modified_time",
        )
        filters = {
            key: request.query[key]
            for key in ("reference_number", "customer_id", "creditnote_number", "status")
            if request.query.get(key)
        }
        rows = (
            {key: note.get(key) for key in columns}
            for note in self.records["creditnotes"].values()
            if all(str(note.get(key)) == value for key, value in filters.items())
        )
        return self._page(request, "creditnotes", rows, "Credit Notes")

    def _apply_creditnote(self, request: Request) -> Response:
        creditnote = self._get("creditnotes", request.params["creditnote_id"], "Credit Note")
        body = self._body(request)
        entries = body.get("invoices")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise _invalid("invoices")
        if creditnote["status"] not in ("open", "closed"):
            raise ZohoError(400, 2, f"Credit note {creditnote['creditnote_number']} is {creditnote['status']}.")
        per_invoice: dict[str, int] = {}
        for entry in entries:
            invoice = self.records["invoices"].get(str(entry.get("invoice_id") or ""))
            if invoice is None:
                raise _invalid("invoice_id")
            if invoice["status"] in ("draft", "void"):
                # Credits go to open invoices only (UNCERTAIN wording and code).
                raise ZohoError(
                    400, 2, f"Credits cannot be applied to the {invoice['status']} invoice {invoice['invoice_number']}."
                )
            if invoice.get("customer_id") not in (None, creditnote["customer_id"]):
                raise ZohoError(400, 2, "Credits can be applied only to invoices of the same customer.")
            cents = _cents(_money(entry.get("amount_applied"), "amount_applied", positive=True))
            per_invoice[invoice["invoice_id"]] = per_invoice.get(invoice["invoice_id"], 0) + cents
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            if cents > _cents(invoice["balance"]):
                raise ZohoError(
                    400,
                    2,
                    f"The amount applied to invoice {invoice['invoice_number']} exceeds its balance due "
                    f"({invoice['balance']}).",
                )
        if sum(per_invoice.values()) > _cents(creditnote["balance"]):
            raise ZohoError(
                400, 2, f"The amount applied exceeds the credit note's available balance ({creditnote['balance']})."
            )
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            amount = cents / 100
            # Zoho shows an invoice settled by credits as paid (closed) at zero balance.
            self._settle_invoice(invoice, cents, settled_by="credits_applied")
            creditnote["invoices_credited"].append(
                {
                    "creditnote_invoice_id": self._new_id(),
                    "invoice_id": invoice_id,
                    "invoice_number": invoice["invoice_number"],
                    "date": self._today(),
                    "amount_applied": amount,
                }
            )
        creditnote["balance"] = (_cents(creditnote["balance"]) - sum(per_invoice.values())) / 100
        creditnote["status"] = "closed" if creditnote["balance"] == 0 else "open"
        creditnote["last_modified_time"] = self._now_text()
        self._link_creditnote(creditnote)
        applied = [{"invoice_id": key, "amount_applied": cents / 100} for key, cents in per_invoice.items()]
        message = "Credits have been applied to the invoice(s)."
        # The spec's answer is the envelope alone; the ``apply_to_invoices`` echo follows Zoho's Books docs page
        # (UNCERTAIN) and nothing reads it.
        return Response(200, {"code": 0, "message": message, "apply_to_invoices": {"invoices": applied}})

    # ------------------------------------------------------------------ customer payments (docs/providers/zoho.md §9)
    def _create_customerpayment(self, request: Request) -> Response:
        payment = self._record_payment(self._body(request), replacing=None)
        # No duplicate check on reference_number: none is documented (docs/providers/zoho.md §9); a repeat pays twice.
        message = "The payment has been created."
        return Response(201, {"code": 0, "message": message, "payment": copy.deepcopy(payment)})

    def _update_customerpayment(self, request: Request) -> Response:
        # PUT /customerpayments/{payment_id} takes the whole payment (customer_id, payment_mode, amount and
        # invoices required, per [OAS-B] customer-payments.yml) and re-applies it to its invoices.
        old = self._get("customerpayments", request.params["payment_id"], "Payment")
        payment = self._record_payment(self._body(request), replacing=old)
        message = "The payment details have been updated."
        return Response(200, {"code": 0, "message": message, "payment": copy.deepcopy(payment)})

    def _record_payment(self, body: dict[str, Any], *, replacing: dict[str, Any] | None) -> dict[str, Any]:
        """Validates a payment body, applies it to its invoices (undoing what ``replacing`` applied) and stores it."""
        customer_id = str(body.get("customer_id") or "").strip()
        if not customer_id:
            raise _invalid("customer_id")
        payment_mode = str(body.get("payment_mode") or "")
        if payment_mode not in PAYMENT_MODES:
            raise _invalid("payment_mode")
        amount = _cents(_money(body.get("amount"), "amount", positive=True))
        date = _body_date(body) if replacing is None or "date" in body else str(replacing["date"])
        bank_charges = _cents(_money(body.get("bank_charges") or 0, "bank_charges", positive=False))
        if bank_charges > amount:
            raise _invalid("bank_charges")
        reference_number = str(body.get("reference_number") or "")
        if len(reference_number) > MAX_REFERENCE_LENGTH:
            raise _invalid("reference_number")
        custom_fields = _custom_field_entries(body)
        entries = body.get("invoices")
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise _invalid("invoices")
        applied_before = {
            str(entry["invoice_id"]): _cents(entry["amount_applied"]) for entry in (replacing or {}).get("invoices", [])
        }
        per_invoice: dict[str, int] = {}
        for entry in entries:
            invoice = self.records["invoices"].get(str(entry.get("invoice_id") or ""))
            if invoice is None:
                raise _invalid("invoice_id")
            if invoice["status"] in ("draft", "void"):
                # Wording and code UNCERTAIN; refusing drafts catches a client that forgets to mark an invoice sent.
                raise ZohoError(
                    400,
                    2,
                    f"Payments cannot be recorded for the {invoice['status']} invoice {invoice['invoice_number']}.",
                )
            if invoice.get("customer_id") not in (None, customer_id):
                # 3004 comes from the Zoho Invoice docs; UNCERTAIN for Books (docs/providers/zoho.md §3, §9).
                raise ZohoError(400, 3004, "The customer of the payment does not match the customer of the invoice.")
            cents = _cents(_money(entry.get("amount_applied"), "amount_applied", positive=True))
            per_invoice[invoice["invoice_id"]] = per_invoice.get(invoice["invoice_id"], 0) + cents
        for invoice_id, cents in per_invoice.items():
            if cents > _cents(self.records["invoices"][invoice_id]["balance"]) + applied_before.get(invoice_id, 0):
                raise ZohoError(
                    400, 24016, "The amount entered is more than the balance due for the selected invoices."
                )
        applied_total = sum(per_invoice.values())
        if applied_total > amount:
            # The real code for applying more than was received is not published: GUESS.
            raise ZohoError(400, 2, "The amount applied to invoices exceeds the amount received.")
        for invoice_id, cents in applied_before.items():
            self._settle_invoice(self.records["invoices"][invoice_id], -cents)
        first_invoice = self.records["invoices"][next(iter(per_invoice))]
        applied = []
        for invoice_id, cents in per_invoice.items():
            invoice = self.records["invoices"][invoice_id]
            self._settle_invoice(invoice, cents)
            applied.append(
                {
                    "invoice_payment_id": self._new_id(),
                    "invoice_id": invoice_id,
                    "invoice_number": invoice["invoice_number"],
                    "date": invoice["date"],
                    "total": invoice["total"],
                    "amount_applied": cents / 100,
                    "balance_amount": invoice["balance"],
                }
            )
        if replacing is None:
            used = {p["payment_number"] for p in self.records["customerpayments"].values()}
            number = next(n for n in (str(k) for k in self._payment_numbers) if n not in used)
            identity = {"payment_id": self._new_id(), "payment_number": number, "created_time": self._now_text()}
        else:
            identity = {key: replacing[key] for key in ("payment_id", "payment_number", "created_time")}
        payment = {
            "payment_id": identity["payment_id"],
            "payment_number": identity["payment_number"],
            "payment_mode": payment_mode,
            "date": date,
            # The published status of a recorded payment (docs/providers/zoho.md §9); no other value is modelled.
            "status": "success",
            "amount": amount / 100,
            "bank_charges": bank_charges / 100,
            "unused_amount": (amount - applied_total) / 100,
            "reference_number": reference_number,
            "description": str(body.get("description") or ""),
            "customer_id": customer_id,
            "customer_name": first_invoice.get("customer_name", ""),
            "account_id": str(body.get("account_id") or ""),
            "currency_code": "INR",
            "invoices": applied,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "created_time": identity["created_time"],
            "last_modified_time": self._now_text(),
        }
        self.records["customerpayments"][payment["payment_id"]] = payment
        return payment

    def _move_stock(self, item_id: Any, quantity: float) -> None:
        """Physical stock of a known item rises (receive) or falls (shipment) by ``quantity``."""
        item = self.records["items"].get(str(item_id))
        if item is not None:
            for key in ("stock_on_hand", "available_stock", "actual_available_stock"):
                item[key] = _as_number(float(item.get(key, 0)) + quantity)

    def _settle_invoice(self, invoice: dict[str, Any], cents: int, *, settled_by: str = "payment_made") -> None:
        """Applies ``cents`` of a payment (or, ``settled_by="credits_applied"``, of credits) to an invoice;
        negative cents take an application back."""
        invoice["balance"] = (_cents(invoice["balance"]) - cents) / 100
        invoice[settled_by] = (_cents(invoice.get(settled_by, 0)) + cents) / 100
        if invoice["balance"] == 0:
            invoice["status"] = "paid"
        elif invoice.get("payment_made") or invoice.get("credits_applied"):
            invoice["status"] = "partially_paid"
        elif invoice["status"] in ("paid", "partially_paid"):
            invoice["status"] = "sent"
        invoice["last_modified_time"] = self._now_text()
        self._link_invoice(invoice)

    def _get_customerpayment(self, request: Request) -> Response:
        payment = self._get("customerpayments", request.params["payment_id"], "Payment")
        return Response(200, {"code": 0, "message": "success", "payment": copy.deepcopy(payment)})

    def _list_customerpayments(self, request: Request) -> Response:
        columns = (
            "payment_id",
            "payment_number",
            "payment_mode",
            "date",
            "amount",
            "bank_charges",
            "unused_amount",
            "reference_number",
            "description",
            "customer_id",
            "customer_name",
            "account_id",
            "created_time",
            "last_modified_time",
        )
        rows = (
            {
                **{key: payment[key] for key in columns},
                # Both specs name the invoice paid ``invoice_number`` (several joined by commas: GUESS); custom
                # fields are flattened as on the sales order list ([ZTS]).
                "invoice_number": ",".join(entry["invoice_number"] for entry in payment["invoices"]),
                **{field["api_name"]: field["value"] for field in payment["custom_fields"]},
            }
            for payment in self.records["customerpayments"].values()
            if _reference_matches(payment, request.query) and _equals(payment, request.query, "customer_id")
        )
        # Books' spec lists payments under ``customer_payments``, Inventory's under ``customerpayments``
        # (docs/providers/zoho.md §9).
        key = "customer_payments" if request.path.startswith("/books/") else "customerpayments"
        return self._page(request, key, rows, "Customer Payments")

    # ------------------------------------------------------------------ expenses (Books, docs/providers/zoho.md §9)
    def _create_expense(self, request: Request) -> Response:
        body = self._body(request)
        for field in ("account_id", "paid_through_account_id"):
            if not str(body.get(field) or "").strip():
                raise _invalid(field)
        date = _body_date(body)
        amount = _money(body.get("amount"), "amount", positive=True)
        reference_number = str(body.get("reference_number") or "")
        if len(reference_number) > MAX_REFERENCE_LENGTH:
            raise _invalid("reference_number")
        expense: dict[str, Any] = {
            "expense_id": self._new_id(),
            "account_id": str(body["account_id"]),
            "paid_through_account_id": str(body["paid_through_account_id"]),
            "date": date,
            "amount": amount,
            "total": amount,
            "reference_number": reference_number,
            "description": str(body.get("description") or ""),
            "vendor_id": str(body.get("vendor_id") or ""),
            "currency_code": "INR",
            "status": "nonbillable",
            "created_time": self._now_text(),
            "last_modified_time": self._now_text(),
        }
        self.records["expenses"][expense["expense_id"]] = expense
        message = "The expense has been recorded."
        # Books' create-an-expense-response is a 200, unlike its other creates (docs/providers/zoho.md §3, §9).
        return Response(200, {"code": 0, "message": message, "expense": copy.deepcopy(expense)})

    def _get_expense(self, request: Request) -> Response:
        expense = self._get("expenses", request.params["expense_id"], "Expense")
        return Response(200, {"code": 0, "message": "success", "expense": copy.deepcopy(expense)})

    def _list_expenses(self, request: Request) -> Response:
        rows = (
            copy.deepcopy(expense)
            for expense in self.records["expenses"].values()
            if _reference_matches(expense, request.query)
        )
        return self._page(request, "expenses", rows, "Expenses")


_ID_KEYS = {"items": "item_id", "salesorders": "salesorder_id", "invoices": "invoice_id"}


def _reference_matches(record: dict[str, Any], query: dict[str, str]) -> bool:
    """The list filters ``reference_number``, ``reference_number_startswith`` and ``reference_number_contains``."""
    reference = str(record.get("reference_number") or "")
    exact = query.get("reference_number")
    starts = query.get("reference_number_startswith")
    contains = query.get("reference_number_contains")
    return (
        (not exact or reference == exact)
        and (not starts or reference.startswith(starts))
        and (not contains or contains in reference)
    )


def _equals(record: dict[str, Any], query: dict[str, str], key: str) -> bool:
    return not query.get(key) or str(record.get(key)) == query[key]


_PACKAGE_NUMBERS = ("length", "width", "height", "weight")


def _package_details(given: Any) -> dict[str, Any]:
    """``package_details`` as Zoho answers it on items and sales-order lines: always present, and an unset
    number is ``""`` (docs/providers/zoho.md §10), never null."""
    details = dict(given) if isinstance(given, dict) else {}
    for key in _PACKAGE_NUMBERS:
        if details.get(key) is None:
            details[key] = ""
    details.setdefault("weight_unit", "kg")
    details.setdefault("dimension_unit", "cm")
    return details


_ADDRESS_KEYS = (
    "attention",
    "address",
    "street2",
    "city",
    "state",
    "state_code",
    "zip",
    "country",
    "country_code",
    "phone",
)


def _blank_address() -> dict[str, str]:
    return dict.fromkeys(_ADDRESS_KEYS, "")


def _line_amount(line: dict[str, Any]) -> float:
    """rate x quantity less the line's discount, which Zoho takes as an amount or as "10%"."""
    gross = float(line.get("rate", 0)) * float(line.get("quantity", 0))
    discount = line.get("discount") or 0
    if isinstance(discount, str) and discount.strip().endswith("%"):
        discount = round(gross * float(discount.strip()[:-1]) / 100, 2)
    return round(gross - float(discount), 2)


def _creditnote_discount(value: Any, gross: float) -> str | float:
    """A credit note line's discount as sent: "10%" kept as text, an amount as a number; 0 when none."""
    if value in (None, ""):
        return 0
    if isinstance(value, bool):
        raise _invalid("discount")
    text = str(value).strip()
    if text.endswith("%"):
        if _money(text[:-1], "discount", positive=False) > 100:
            raise _invalid("discount")
        return text
    amount = _money(value, "discount", positive=False)
    if amount > round(gross, 2):
        raise _invalid("discount")
    return _as_number(amount)


def _totals(lines: list[dict[str, Any]]) -> tuple[float, float]:
    """(sub total, tax total) of document lines, tax from each line's ``tax_percentage``."""
    sub_total = round(sum(float(line.get("item_total", 0)) for line in lines), 2)
    tax_total = round(
        sum(float(line.get("item_total", 0)) * float(line.get("tax_percentage") or 0) / 100 for line in lines), 2
    )
    return sub_total, tax_total


def _upsert(refs: list[dict[str, Any]], key: str, ref: dict[str, Any]) -> None:
    """Replace the entry with ref's id in place (keeping the list's order), or append it."""
    for index, existing in enumerate(refs):
        if existing.get(key) == ref[key]:
            refs[index] = ref
            return
    refs.append(ref)


def _custom_field_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A body's ``custom_fields``: a list of objects, or none."""
    entries = body.get("custom_fields") or []
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise _invalid("custom_fields")
    return entries


def _body_date(body: dict[str, Any]) -> str:
    date = str(body.get("date", ""))
    if not _DATE.match(date):
        raise _invalid("date")
    return date


def _line_entries(body: dict[str, Any]) -> list[dict[str, Any]]:
    lines = body.get("line_items")
    if not isinstance(lines, list) or not lines or not all(isinstance(line, dict) for line in lines):
        raise _invalid("line_items")
    return lines


def _quantity_or_zero(value: Any, param: str) -> int | float:
    if value in (None, ""):
        return 0
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(param) from None
    if not number >= 0:
        raise _invalid(param)
    return _as_number(number)


def _money(value: Any, param: str, *, positive: bool) -> float:
    try:
        amount = round(float(value), 2)
    except (TypeError, ValueError):
        raise _invalid(param) from None
    if not math.isfinite(amount) or not (amount > 0 if positive else amount >= 0):
        raise _invalid(param)
    return amount


def _cents(value: Any) -> int:
    # Money is compared in whole paise so that 1341.76 - 1341.76 is exactly zero.
    return round(float(value) * 100)


def _flag(value: Any) -> bool:
    return value is True or str(value).lower() == "true"
