"""The simulator: every concern's mixin composed into ``ZohoSim``, its routes and its request dispatch."""

from __future__ import annotations

import copy
import threading
import urllib.parse
from collections.abc import Callable
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.auth import AuthMixin
from local.sim.zoho.common import ZohoError
from local.sim.zoho.creditnotes import CreditNotesMixin
from local.sim.zoho.invoices import InvoicesMixin
from local.sim.zoho.items import ItemsMixin
from local.sim.zoho.locations import LocationsMixin
from local.sim.zoho.packages import PackagesMixin
from local.sim.zoho.payments import PaymentsMixin
from local.sim.zoho.salesorders import SalesOrdersMixin
from local.sim.zoho.salesreturns import SalesReturnsMixin
from local.sim.zoho.settings import SettingsMixin

API_PREFIXES = ("/inventory/v1/", "/books/v3/")

# Code 1070 and this wording are UNCERTAIN (docs/providers/zoho.md §4).
CONCURRENCY_MESSAGE = "The maximum number of in process requests for this organization has been exceeded."

ApiHandler = Callable[[Request], Response]

_ID_KEYS = {
    "items": "item_id",
    "salesorders": "salesorder_id",
    "invoices": "invoice_id",
    "locations": "location_id",
}


class ZohoSim(
    AuthMixin,
    SalesOrdersMixin,
    PackagesMixin,
    SalesReturnsMixin,
    ItemsMixin,
    CreditNotesMixin,
    PaymentsMixin,
    InvoicesMixin,
    LocationsMixin,
    SettingsMixin,
):
    """One mixin a concern over ``ZohoState``. The bases list each mixin before the one it builds on
    (packages and returns move item stock, credit notes and payments settle invoices), as Python's method
    resolution order requires."""

    name = "zoho"

    def __init__(self) -> None:
        super().__init__()
        self._inflight = 0
        self._inflight_lock = threading.Lock()
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
        self._api("POST", f"{books}/journals", self._create_journal)
        self._api("GET", f"{books}/journals", self._list_journals)
        self._api("GET", f"{books}/journals/{{journal_id}}", self._get_journal)
        inv = "/inventory/v1"
        self._api("GET", f"{inv}/salesorders", self._list_salesorders)
        self._api("GET", f"{inv}/salesorders/{{salesorder_id}}", self._get_salesorder)
        self._api("PUT", f"{inv}/salesorders/{{salesorder_id}}", self._update_salesorder)
        self._api("POST", f"{inv}/salesorders/{{salesorder_id}}/status/void", self._void_salesorder)
        self._api("GET", f"{inv}/locations", self._list_locations)
        self._api("GET", f"{inv}/locations/{{location_id}}", self._get_location)
        self._api("GET", f"{inv}/settings/preferences", self._preferences)
        self._api("GET", f"{inv}/items", self._list_items)
        self._api("GET", f"{inv}/items/{{item_id}}", self._get_item)
        self._api("POST", f"{inv}/packages", self._create_package)
        self._api("GET", f"{inv}/packages/{{package_id}}", self._get_package)
        self._api("DELETE", f"{inv}/packages/{{package_id}}", self._delete_package)
        self._api("POST", f"{inv}/shipmentorders", self._create_shipmentorder)
        self._api("GET", f"{inv}/shipmentorders/{{shipment_id}}", self._get_shipmentorder)
        self._api("DELETE", f"{inv}/shipmentorders/{{shipment_id}}", self._delete_shipmentorder)
        self._api("POST", f"{inv}/shipmentorders/{{shipment_id}}/status/delivered", self._mark_delivered)
        self._api("POST", f"{inv}/salesreturns", self._create_salesreturn)
        self._api("GET", f"{inv}/salesreturns/{{salesreturn_id}}", self._get_salesreturn)
        self._api("POST", f"{inv}/salesreturnreceives", self._create_salesreturn_receive)

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
            if payload.get("new_day"):
                self.start_new_day()
            for client in payload.get("oauth_clients", []):
                self.client_secrets[str(client["client_id"])] = str(client["client_secret"])
                self.refresh_tokens[str(client["refresh_token"])] = str(client["client_id"])
            seeded: dict[str, Any] = {}
            seeders: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
                "items": self._normalise_item,
                "salesorders": self._normalise_salesorder,
                "invoices": self._normalise_invoice,
                "locations": self._normalise_location,
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
            if "customfields" in payload:
                seeded["customfields"] = self.seed_customfields(payload["customfields"])
            edited, refused = [], []
            for edit in payload.get("salesorder_edits", []):
                try:
                    edited.append(self.edit_salesorder(edit))
                except ZohoError as error:
                    refused.append({"salesorder_id": edit.get("salesorder_id"), "message": error.message})
            known = {"oauth_clients", "salesorder_edits", "customfields", "new_day"}
            ignored = sorted(set(payload) - set(settings) - set(seeders) - known)
            return {
                "seeded": seeded,
                "edited": edited,
                "refused_edits": refused,
                "organization_id": self.organization_id,
                "ignored_keys": ignored,
            }

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
                self.refused["concurrency"] += 1
            return Response(429, {"code": 1070, "message": CONCURRENCY_MESSAGE})
        try:
            return super().handle(method, raw_path, headers, body)
        finally:
            with self._inflight_lock:
                self._inflight -= 1

    def not_found(self, method: str, path: str) -> Response:
        return Response(404, {"code": 5, "message": "Invalid URL Passed"})

    def _builtin(self, method: str, path: str, body: bytes) -> Response | None:
        if (method, path) == ("POST", "/_sim/expire-tokens"):
            return Response(200, {"expired": self.expire_tokens()})
        return super()._builtin(method, path, body)

    def expire_tokens(self) -> int:
        """Every live access token ends now: the token expiry a long day meets, on demand."""
        with self.lock:
            past = self.clock() - 1
            live = [token for token in self.tokens.values() if token.expires_at > past]
            for token in live:
                token.expires_at = past
            return len(live)

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
