"""Zoho accounts + Inventory v1 + Books v3 simulator (reference: shared/reference/zoho-api.md).

One server plays both hosts: ``POST /oauth/v2/token`` (accounts) and the API routes under
``/inventory/v1`` and ``/books/v3``; the token response's ``api_domain`` points back here.

Faithful to the reference where it matters for shipsync: token-mint limits (10 requests per
refresh token per rolling 10 minutes, 10 live tokens), token errors inside HTTP 200, the
``code``/``message`` envelope, 401 code 57/14, 6041 for a wrong organization, per-minute (44),
daily (45) and concurrency (1070) limits with the ``X-Rate-Limit-*`` headers, JSON or legacy
``JSONString=`` bodies, ids in the query string for packages and shipment orders, and stock on
hand falling when a shipment (not a package) is created.

Seed knobs (``POST /_sim/seed``): ``organization_id``, ``token_ttl_s``, ``per_minute_limit``,
``daily_cap``, ``concurrency_limit``, ``oauth_clients`` ([{client_id, client_secret,
refresh_token}]) and records ``salesorders``, ``items``, ``invoices`` (merged by id; missing
fields get Zoho-like defaults). ``clock`` can be replaced in-process to move time in tests.
"""

from __future__ import annotations

import copy
import itertools
import json
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
# Code 1070 and this wording are UNCERTAIN in the reference (§4).
CONCURRENCY_MESSAGE = "The maximum number of in process requests for this organization has been exceeded."

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")
# Fields a partial PUT may not overwrite: they are derived from packages, shipments and invoices.
_SO_READ_ONLY = frozenset(
    {
        "salesorder_id",
        "line_items",
        "packages",
        "invoices",
        "salesreturns",
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
    # every entity (the reference has no other not-found code), answered with 404.
    return ZohoError(404, 1002, f"{entity} does not exist.")


def _already_exists(what: str) -> ZohoError:
    # 1001 is Zoho's "already exists" code for duplicate document numbers (UNCERTAIN for
    # packages and shipment orders, which the reference does not cover).
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
        for root in ("/inventory/v1", "/books/v3"):
            self._api("GET", f"{root}/organizations", self._organizations, needs_org=False)
            self._api("GET", f"{root}/invoices/{{invoice_id}}", self._get_invoice)
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
            # The reference documents only the refresh grant; the OAuth-standard error is assumed.
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
        # Throttled requests count too: the lock-out only clears after a quiet window (reference §1).
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
                # Code 1038 for plain form fields is UNCERTAIN (reference §3).
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
        context = {
            "page": page,
            "per_page": per_page,
            "has_more_page": page * per_page < len(everything),
            "report_name": report,
            "applied_filter": "Status.All",
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
        # Real responses carry package_details even when empty; unknown dimensions are null here.
        details = item.setdefault("package_details", {})
        for key in ("length", "width", "height", "weight"):
            details.setdefault(key, None)
        details.setdefault("weight_unit", "kg")
        details.setdefault("dimension_unit", "cm")
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
            ("paid_status", "not_paid"),
            ("currency_code", "INR"),
            ("contact_person_details", []),
            ("packages", []),
            ("invoices", []),
            ("salesreturns", []),
            ("created_time", self._now_text()),
            ("last_modified_time", self._now_text()),
        ):
            order.setdefault(key, default)
        for line in order.setdefault("line_items", []):
            line["line_item_id"] = str(line.get("line_item_id") or self._new_id())
            for key in ("quantity_packed", "quantity_shipped", "quantity_invoiced"):
                line.setdefault(key, 0)
            line.setdefault("unit", "pcs")
            line.setdefault("item_total", round(float(line.get("rate", 0)) * float(line.get("quantity", 0)), 2))
        order["custom_fields"] = [self._custom_field(entry) for entry in order.get("custom_fields", [])]
        self._rehash(order)
        order.setdefault("sub_total", round(sum(float(line["item_total"]) for line in order["line_items"]), 2))
        order.setdefault("tax_total", 0.0)
        order.setdefault("total", round(float(order["sub_total"]) + float(order["tax_total"]), 2))
        return order

    def _normalise_invoice(self, invoice: dict[str, Any]) -> dict[str, Any]:
        invoice["invoice_id"] = str(invoice.get("invoice_id") or self._new_id())
        total = invoice.setdefault("total", 0.0)
        for key, default in (
            ("invoice_number", f"INV-{invoice['invoice_id'][-5:]}"),
            ("date", self._today()),
            ("status", "sent"),
            ("balance", total),
            ("currency_code", "INR"),
            ("line_items", []),
            ("custom_fields", []),
            ("last_modified_time", self._now_text()),
        ):
            invoice.setdefault(key, default)
        return invoice

    def _link_invoice(self, invoice: dict[str, Any]) -> None:
        """Show a seeded invoice under its sales order's ``invoices[]``, as Zoho does."""
        order = self.records["salesorders"].get(str(invoice.get("salesorder_id", "")))
        if order is None:
            return
        ref = {key: invoice[key] for key in ("invoice_id", "invoice_number", "status", "date", "total", "balance")}
        order["invoices"] = [i for i in order["invoices"] if i.get("invoice_id") != invoice["invoice_id"]] + [ref]
        order["invoiced_status"] = "invoiced"

    def _rehash(self, order: dict[str, Any]) -> None:
        order["custom_field_hash"] = {field["api_name"]: field["value"] for field in order["custom_fields"]}

    # ------------------------------------------------------------------ organizations, invoices
    def _organizations(self, request: Request) -> Response:
        org = {
            "organization_id": self.organization_id,
            "name": "Shipsync Simulated Store",
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
        # List rows flatten custom fields to top-level cf_ keys ([ZTS]).
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
        message = "Sales Order information has been updated."
        return Response(200, {"code": 0, "message": message, "salesorder": copy.deepcopy(order)})

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
            "status": "not_shipped",
            "detailed_status": "",
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "notes": body.get("notes", ""),
            "line_items": package_lines,
            "shipment_order": {},
            "created_time": self._now_text(),
        }
        self.records["packages"][package["package_id"]] = package
        self._sync_packages(order)
        message = "Package created successfully. It's now time to ship!"
        return Response(201, {"code": 0, "message": message, "package": copy.deepcopy(package)})

    def _get_package(self, request: Request) -> Response:
        package = self._get("packages", request.params["package_id"], "Package")
        return Response(200, {"code": 0, "message": "success", "package": copy.deepcopy(package)})

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
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        package_ids = [p.strip() for p in self._required_query(request, "package_ids").split(",") if p.strip()]
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
                # Physical stock falls on shipment, not on packing (reference §7).
                item = self.records["items"].get(str(package_line.get("item_id")))
                if item is not None:
                    for key in ("stock_on_hand", "available_stock", "actual_available_stock"):
                        item[key] = _as_number(float(item.get(key, 0)) - float(package_line["quantity"]))
        self._sync_packages(order)
        return Response(
            201, {"code": 0, "message": "Shipment created successfully", "shipment_order": copy.deepcopy(shipment)}
        )

    def _get_shipmentorder(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        return Response(200, {"code": 0, "message": "success", "shipment_order": copy.deepcopy(shipment)})

    def _mark_delivered(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        body = self._body(request)
        if shipment["status"] == "delivered":
            # 37135 is what [ZTS] sees on a repeat; the wording is ours.
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


_ID_KEYS = {"items": "item_id", "salesorders": "salesorder_id", "invoices": "invoice_id"}
