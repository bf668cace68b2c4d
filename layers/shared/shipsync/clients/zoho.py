"""Zoho Inventory v1 + Books v3 client (docs/providers/zoho.md §1-11).

Every call carries ``organization_id`` and passes the global rate limiter first; every answer
goes through ``raise_for_error`` (envelope ``code`` != 0, 401, 429 codes 44/45/1070, 5xx).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, TypeVar

import requests
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shipsync.clients.http import DEFAULT_TIMEOUT, Timeout, json_or_none, send, shared_session
from shipsync.domain.models import (
    ZOHO_REFERENCE_MAX,
    ReturnLine,
    ZohoCreditNote,
    ZohoCustomerPayment,
    ZohoInvoice,
    ZohoItem,
    ZohoSalesOrder,
    ZohoSalesReturn,
)
from shipsync.errors import DailyCapReached, ProviderRequestError, RateLimited, TokenRejected, TransientError

logger = Logger(child=True)

PROVIDER = "zoho"
ITEM_CACHE_TTL_S = 15 * 60

_TOKEN_CODES = frozenset({14, 57})
_PER_MINUTE_CODES = frozenset({44, 1070})
_DAILY_CAP_CODE = 45
_ALREADY_DELIVERED_CODE = 37135
# Zoho's spec answers a receive under ``salesreturn`` (docs/providers/zoho.md §8); the other spellings are the
# entity's own name, in case the live answer follows it. The id is ``receive_id``, never the return's id.
_RECEIVE_KEYS = ("salesreturn", "salesreturnreceive", "salesreturn_receive", "receive")
_RECEIVE_ID_KEYS = ("receive_id", "salesreturnreceive_id")

# The key each list answer holds its rows under: Books' spec names the payments list ``customer_payments``, Zoho's
# own SDKs and the Inventory host ``customerpayments`` (docs/providers/zoho.md §9); either is read.
_LIST_KEYS: dict[str, tuple[str, ...]] = {
    "/books/v3/customerpayments": ("customerpayments", "customer_payments"),
    "/books/v3/expenses": ("expenses",),
    "/inventory/v1/creditnotes": ("creditnotes",),
}

# (entity key, id key) of the detail answer behind a list row.
_DETAIL_KEYS: dict[str, tuple[str, str]] = {
    "/books/v3/customerpayments": ("payment", "payment_id"),
    "/books/v3/expenses": ("expense", "expense_id"),
    "/inventory/v1/creditnotes": ("creditnote", "creditnote_id"),
}

# Books lists answer at most 200 rows a page (docs/providers/zoho.md §11): one reference never spans this many.
LIST_PAGE_SIZE = 200
MAX_LIST_PAGES = 10
PAYMENT_MODE_BANK_TRANSFER = "banktransfer"
_PAISA = Decimal("0.01")

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


class ZohoClient:
    """Implements ``ports.ZohoApi`` against ``/inventory/v1``."""

    def __init__(
        self,
        token_provider: Callable[[], ZohoAuth],
        *,
        api_base_override: str = "",
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        limiter: Callable[[], None] | None = None,
        item_cache: ItemCache | None = None,
    ) -> None:
        self._token_provider = token_provider
        self._api_base_override = api_base_override.rstrip("/")
        self._session = session or shared_session()
        self._timeout = timeout
        self._limiter = limiter or _no_limit
        self._item_cache = item_cache or _PROCESS_ITEM_CACHE

    # ------------------------------------------------------------------ endpoints

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        body = self._request("GET", "/inventory/v1/salesorders/{salesorder_id}", salesorder_id=salesorder_id)
        return _parse(ZohoSalesOrder, _entity(body, "salesorder"))

    def get_item(self, item_id: str) -> ZohoItem:
        auth = self._token_provider()
        key = (auth.organization_id, item_id)
        cached = self._item_cache.get(key)
        if cached is not None:
            return cached
        body = self._request("GET", "/inventory/v1/items/{item_id}", auth=auth, item_id=item_id)
        item = _parse(ZohoItem, _entity(body, "item"))
        self._item_cache.put(key, item)
        return item

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self._request(
            "PUT",
            "/inventory/v1/salesorders/{salesorder_id}",
            body={"custom_fields": _custom_fields(values)},
            salesorder_id=salesorder_id,
        )

    def create_package(
        self, salesorder_id: str, *, package_number: str, date: str, line_items: Sequence[tuple[str, float]]
    ) -> str:
        body = self._request(
            "POST",
            "/inventory/v1/packages",
            params={"salesorder_id": salesorder_id, "ignore_auto_number_generation": "true"},
            body={
                "date": date,
                "package_number": package_number,
                "line_items": [{"so_line_item_id": line_id, "quantity": quantity} for line_id, quantity in line_items],
            },
        )
        package = body.get("package")
        # Zoho's spec answers the created package as a one-element array (docs/providers/zoho.md §7); live clients
        # read an object. Either is taken, but only one package.
        if isinstance(package, list) and len(package) == 1 and isinstance(package[0], dict):
            package = package[0]
        if not isinstance(package, dict):
            raise ProviderRequestError(PROVIDER, "answer has no single 'package'", code=body.get("code"))
        return _entity_id(package, "package_id")

    def create_shipment_order(
        self,
        salesorder_id: str,
        package_id: str,
        *,
        shipment_number: str,
        date: str,
        tracking_number: str,
        delivery_method: str,
        tracking_link: str | None = None,
    ) -> str:
        request_body = {
            "shipment_number": shipment_number,
            "date": date,
            "delivery_method": delivery_method,
            "tracking_number": tracking_number,
        }
        if tracking_link:
            request_body["tracking_link"] = tracking_link
        body = self._request(
            "POST",
            "/inventory/v1/shipmentorders",
            params={"salesorder_id": salesorder_id, "package_ids": package_id},
            body=request_body,
        )
        # The published OpenAPI says ``shipment_order``; live clients read ``shipmentorder``.
        key = "shipment_order" if isinstance(body.get("shipment_order"), dict) else "shipmentorder"
        return _entity_id(_entity(body, key), "shipment_id")

    def mark_shipment_delivered(self, shipment_id: str, delivered_date: str | None = None) -> None:
        """Marks a shipment delivered; a shipment already delivered (code 37135) counts as done.

        A ``code`` 0 answer may still list failures in ``data.statusupdate_error_list`` (docs/providers/zoho.md §7):
        a non-empty list is a failure."""
        try:
            body = self._request(
                "POST",
                "/inventory/v1/shipmentorders/{shipment_id}/status/delivered",
                body={"delivered_date": delivered_date} if delivered_date else None,
                shipment_id=shipment_id,
            )
        except ProviderRequestError as exc:
            if exc.code != _ALREADY_DELIVERED_CODE:
                raise
            logger.info("zoho shipment already delivered", extra={"code": exc.code})
            return
        data = body.get("data")
        failures = data.get("statusupdate_error_list") if isinstance(data, dict) else None
        if failures:
            raise ProviderRequestError(PROVIDER, f"shipment not marked delivered: {_describe_failures(failures)}")

    def create_salesreturn(
        self,
        salesorder_id: str,
        *,
        date: str,
        reason: str,
        line_items: Sequence[ReturnLine],
        location_id: str | None = None,
        reference_number: str | None = None,
    ) -> ZohoSalesReturn:
        """Only shipped units can be returned; ``line_item_ids`` maps each sales order line to its return line."""
        if not line_items:
            raise ValueError("a sales return needs at least one line")
        request_body: dict[str, Any] = {
            "date": date,
            "reason": reason,
            "line_items": [_salesreturn_line(line) for line in line_items],
        }
        if location_id:
            request_body["location_id"] = location_id
        if reference_number:
            request_body["reference_number"] = reference_number
        body = self._request(
            "POST", "/inventory/v1/salesreturns", params={"salesorder_id": salesorder_id}, body=request_body
        )
        entity = _entity(body, "salesreturn")
        line_item_ids = _return_line_ids(entity.get("line_items"), line_items)
        return _parse(ZohoSalesReturn, {**entity, "line_item_ids": line_item_ids})

    def get_salesreturn(self, salesreturn_id: str) -> ZohoSalesReturn:
        """The return as Zoho holds it, to resume after an interrupted attempt."""
        body = self._request("GET", "/inventory/v1/salesreturns/{salesreturn_id}", salesreturn_id=salesreturn_id)
        entity = _entity(body, "salesreturn")
        return _parse(ZohoSalesReturn, {**entity, "line_item_ids": _return_line_ids(entity.get("line_items"), ())})

    def create_salesreturn_receive(
        self, salesreturn_id: str, *, date: str, line_items: Sequence[tuple[str, float]], notes: str = ""
    ) -> str:
        """Puts the returned units back into physical stock; returns the receive id."""
        if not line_items:
            raise ValueError("a sales return receive needs at least one line")
        request_body: dict[str, Any] = {
            "date": date,
            "line_items": [{"line_item_id": line_id, "quantity": quantity} for line_id, quantity in line_items],
        }
        if notes:
            request_body["notes"] = notes
        body = self._request(
            "POST",
            "/inventory/v1/salesreturnreceives",
            params={"salesreturn_id": salesreturn_id},
            body=request_body,
        )
        entity = next((body[key] for key in _RECEIVE_KEYS if isinstance(body.get(key), dict)), None)
        if entity is None:
            # The goods are back in stock by now: an answer we cannot read must say so, not be retried blind.
            raise ProviderRequestError(
                PROVIDER, f"receive answer has none of {list(_RECEIVE_KEYS)}", code=body.get("code")
            )
        id_key = next((id_key for id_key in _RECEIVE_ID_KEYS if entity.get(id_key)), _RECEIVE_ID_KEYS[0])
        return _entity_id(entity, id_key)

    def get_invoice(self, invoice_id: str) -> ZohoInvoice:
        body = self._request("GET", "/inventory/v1/invoices/{invoice_id}", invoice_id=invoice_id)
        entity = _entity(body, "invoice")
        line_item_ids: dict[str, str] = {}
        line_rates: dict[str, float] = {}
        line_tax_ids: dict[str, str] = {}
        line_discounts: dict[str, str] = {}
        line_quantities: dict[str, float] = {}
        for line in _dicts(entity.get("line_items")):
            so_item_id, line_id = line.get("salesorder_item_id"), line.get("line_item_id")
            # Lines added on the invoice itself (shipping, fees) have no sales order line: nothing to credit.
            if so_item_id in (None, "") or line_id in (None, ""):
                continue
            key = str(so_item_id)
            line_item_ids[key] = str(line_id)
            rate = _float_or_none(line.get("rate"))
            if rate is not None:
                line_rates[key] = rate
            if line.get("tax_id") not in (None, ""):
                line_tax_ids[key] = str(line["tax_id"])
            discount = _discount_text(line.get("discount"))
            if discount is not None:
                line_discounts[key] = discount
            quantity = _float_or_none(line.get("quantity"))
            if quantity is not None:
                line_quantities[key] = quantity
        return _parse(
            ZohoInvoice,
            {
                **entity,
                "line_item_ids": line_item_ids,
                "line_rates": line_rates,
                "line_tax_ids": line_tax_ids,
                "line_discounts": line_discounts,
                "line_quantities": line_quantities,
            },
        )

    def create_creditnote(
        self,
        *,
        customer_id: str,
        date: str,
        invoice_id: str,
        salesreturn: ZohoSalesReturn,
        invoice: ZohoInvoice,
        lines: Sequence[ReturnLine],
        reference_number: str,
    ) -> str:
        """A credit note from the return against the invoice (docs/providers/zoho.md §8); returns the credit note id.

        Rates, discounts and taxes are the invoiced ones, so the credit reverses exactly what was billed. A line
        missing from the return or the invoice raises ``ProviderRequestError`` before anything is sent.
        """
        if not lines:
            raise ValueError("a credit note needs at least one line")
        line_items = [_creditnote_line(line, invoice_id, salesreturn, invoice) for line in lines]
        body = self._request(
            "POST",
            "/inventory/v1/creditnotes",
            params={"invoice_id": invoice_id, "ignore_auto_number_generation": "false"},
            body={
                "customer_id": customer_id,
                "date": date,
                "reference_number": reference_number,
                "line_items": line_items,
            },
        )
        return _entity_id(_entity(body, "creditnote"), "creditnote_id")

    def find_creditnote_by_reference(self, reference_number: str) -> str | None:
        """The id of a credit note carrying exactly this reference (a retry's earlier attempt), or None."""
        rows = self._rows_by_reference("/inventory/v1/creditnotes", reference_number)
        return _entity_id(rows[0], "creditnote_id") if rows else None

    def get_creditnote(self, creditnote_id: str) -> ZohoCreditNote:
        """The note as Zoho computed it: its total may differ from ours by rounding, and its balance is what applies."""
        body = self._request("GET", "/inventory/v1/creditnotes/{creditnote_id}", creditnote_id=creditnote_id)
        return _parse(ZohoCreditNote, _entity(body, "creditnote"))

    def apply_creditnote_to_invoice(self, creditnote_id: str, invoice_id: str, amount: float) -> None:
        if amount <= 0:
            raise ValueError(f"credit to apply must be positive, got {amount}")
        self._request(
            "POST",
            "/inventory/v1/creditnotes/{creditnote_id}/invoices",
            body={"invoices": [{"invoice_id": invoice_id, "amount_applied": amount}]},
            creditnote_id=creditnote_id,
        )

    # ------------------------------------------------------------- Books: COD remittance (docs/providers/zoho.md §9)

    def find_payments_by_reference(self, reference_number: str) -> list[ZohoCustomerPayment]:
        """Every customer payment carrying exactly this reference (all pages)."""
        return [_payment(row) for row in self._rows_by_reference("/books/v3/customerpayments", reference_number)]

    def get_customer_payment(self, payment_id: str) -> ZohoCustomerPayment:
        """The whole payment: list rows may leave out ``bank_charges`` and ``invoices``."""
        body = self._request("GET", "/books/v3/customerpayments/{payment_id}", payment_id=payment_id)
        return _payment(_entity(body, "payment"))

    def set_payment_bank_charges(self, payment: ZohoCustomerPayment, bank_charges: Decimal) -> ZohoCustomerPayment:
        """``PUT /books/v3/customerpayments/{id}`` with the payment as read and new bank charges.

        The update takes the whole payment (customer, mode, amount and invoices are required, [OAS-B]
        customer-payments.yml), so everything else goes back unchanged. Setting a value, not adding one,
        makes a repeat harmless."""
        if not payment.invoices:
            raise ValueError("updating a payment needs the payment as fetched, with its invoices")
        if bank_charges < 0 or bank_charges > payment.amount:
            raise ValueError(f"bank charges must be between 0 and the amount, got {bank_charges}")
        request_body: dict[str, Any] = {
            "customer_id": payment.customer_id,
            "payment_mode": payment.payment_mode or PAYMENT_MODE_BANK_TRANSFER,
            "amount": _money(payment.amount),
            "date": payment.date,
            "reference_number": payment.reference_number or "",
            "description": payment.description or "",
            "bank_charges": _money(bank_charges),
            "invoices": [
                {"invoice_id": entry.invoice_id, "amount_applied": _money(entry.amount_applied)}
                for entry in payment.invoices
            ],
            "custom_fields": _custom_fields(payment.custom_fields),
        }
        if payment.account_id:
            request_body["account_id"] = payment.account_id
        body = self._request(
            "PUT", "/books/v3/customerpayments/{payment_id}", body=request_body, payment_id=payment.payment_id
        )
        return _payment(_entity(body, "payment"))

    def find_expenses_by_reference(self, reference_number: str) -> list[str]:
        """The ids of every expense carrying exactly this reference (all pages)."""
        rows = self._rows_by_reference("/books/v3/expenses", reference_number)
        return [_entity_id(row, "expense_id") for row in rows]

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
            rows = [row if "reference_number" in row else self._detail(path, row) for row in _dicts(listed)]
            found += [row for row in rows if str(row.get("reference_number") or "") == reference_number]
            if not _has_more_pages(body.get("page_context"), len(listed)):
                return found
        # Stopping short would hide an existing record and invite a duplicate: refuse instead.
        raise ProviderRequestError(PROVIDER, f"more than {MAX_LIST_PAGES} pages of {keys[0]} for one reference")

    def _detail(self, path: str, row: Mapping[str, Any]) -> dict[str, Any]:
        """The whole record behind a list row, to read what the row leaves out."""
        entity, id_key = _DETAIL_KEYS[path]
        body = self._request("GET", f"{path}/{{record_id}}", record_id=_entity_id(row, id_key))
        return _entity(body, entity)

    def create_customer_payment(
        self,
        *,
        customer_id: str,
        invoice_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
        bank_charges: Decimal = Decimal("0"),
        account_id: str | None = None,
        custom_fields: Mapping[str, str] | None = None,
    ) -> ZohoCustomerPayment:
        """A bank-transfer payment of ``amount`` applied whole to one invoice; overpayment is code 24016."""
        if amount <= 0:
            raise ValueError(f"a payment amount must be positive, got {amount}")
        if bank_charges < 0 or bank_charges > amount:
            raise ValueError(f"bank charges must be between 0 and the amount, got {bank_charges}")
        if len(reference_number) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"a reference number holds at most {ZOHO_REFERENCE_MAX} characters")
        request_body: dict[str, Any] = {
            "customer_id": customer_id,
            "payment_mode": PAYMENT_MODE_BANK_TRANSFER,
            "amount": _money(amount),
            "date": date,
            "reference_number": reference_number,
            "description": description,
            "bank_charges": _money(bank_charges),
            "invoices": [{"invoice_id": invoice_id, "amount_applied": _money(amount)}],
        }
        if account_id:
            request_body["account_id"] = account_id
        if custom_fields:
            request_body["custom_fields"] = _custom_fields(custom_fields)
        body = self._request("POST", "/books/v3/customerpayments", body=request_body)
        return _payment(_entity(body, "payment"))

    def create_expense(
        self,
        *,
        account_id: str,
        paid_through_account_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
    ) -> str:
        """Records Shiprocket's deductions as an expense paid from the deposit account; returns the expense id."""
        if amount <= 0:
            raise ValueError(f"an expense amount must be positive, got {amount}")
        if len(reference_number) > ZOHO_REFERENCE_MAX:
            raise ValueError(f"a reference number holds at most {ZOHO_REFERENCE_MAX} characters")
        body = self._request(
            "POST",
            "/books/v3/expenses",
            body={
                "account_id": account_id,
                "paid_through_account_id": paid_through_account_id,
                "amount": _money(amount),
                "date": date,
                "reference_number": reference_number,
                "description": description,
            },
        )
        return _entity_id(_entity(body, "expense"), "expense_id")

    def create_invoice_from_salesorder(self, salesorder_id: str) -> str:
        """Invoices what is left of the order and marks it sent (Zoho creates drafts); returns the invoice id."""
        body = self._request(
            "POST", "/books/v3/invoices/fromsalesorder", params={"salesorder_id": salesorder_id}, body={}
        )
        invoice_id = _entity_id(_entity(body, "invoice"), "invoice_id")
        self._request("POST", "/books/v3/invoices/{invoice_id}/status/sent", invoice_id=invoice_id)
        return invoice_id

    # ------------------------------------------------------------------ plumbing

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
        remaining = response.headers.get("X-Rate-Limit-Remaining")
        if remaining is not None:
            logger.debug("zoho rate limit", extra={"path": path_template, "rate_limit_remaining": remaining})
        payload = json_or_none(response)
        raise_for_error(response.status_code, payload, auth.version)
        if not isinstance(payload, dict):
            raise ProviderRequestError(PROVIDER, "expected a JSON object", http_status=response.status_code)
        return payload


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
    if not ok_status or (code is not None and code != 0):
        raise ProviderRequestError(PROVIDER, message, http_status=http_status, code=code)


def _entity(body: Mapping[str, Any], key: str) -> dict[str, Any]:
    entity = body.get(key)
    if not isinstance(entity, dict):
        raise ProviderRequestError(PROVIDER, f"answer has no {key!r} object", code=body.get("code"))
    return entity


def _entity_id(entity: Mapping[str, Any], key: str) -> str:
    value = entity.get(key)
    if value in (None, ""):
        raise ProviderRequestError(PROVIDER, f"answer has no {key!r}")
    return str(value)


def _parse(model: type[_Model], data: Mapping[str, Any]) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Only the locations: input values are customer data (addresses, phones).
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise ProviderRequestError(PROVIDER, f"unexpected answer shape for {model.__name__}: {fields}") from exc


def _money(amount: Decimal) -> float:
    """Rupees to two decimals as a JSON number: the float only carries an already-rounded Decimal."""
    return float(amount.quantize(_PAISA, rounding=ROUND_HALF_UP))


def _payment(entity: Mapping[str, Any]) -> ZohoCustomerPayment:
    """A payment from a detail answer or a list row (comma-separated ``invoice_numbers``, flattened ``cf_`` keys)."""
    custom_fields = {key: str(value) for key, value in entity.items() if key.startswith("cf_") and value is not None}
    for field in _dicts(entity.get("custom_fields")):
        name = field.get("api_name") or field.get("placeholder")
        if name and field.get("value") is not None:
            custom_fields[str(name)] = str(field["value"])
    invoices = _dicts(entity.get("invoices"))
    # List rows name the invoices paid as ``invoice_numbers`` (comma-separated) or, in Books' spec, ``invoice_number``.
    raw_numbers = entity.get("invoice_numbers") or entity.get("invoice_number")
    if isinstance(raw_numbers, str) and raw_numbers.strip():
        numbers = [number.strip() for number in raw_numbers.split(",") if number.strip()]
    else:
        numbers = [str(entry["invoice_number"]) for entry in invoices if entry.get("invoice_number")]
    data = {
        **{
            key: value
            for key, value in entity.items()
            if key not in ("custom_fields", "invoices", "invoice_numbers", "invoice_number")
        },
        "invoices": invoices,
        "invoice_numbers": numbers,
        "custom_fields": custom_fields,
    }
    if data.get("bank_charges") in (None, ""):
        data["bank_charges"] = "0"
    return _parse(ZohoCustomerPayment, data)


def _has_more_pages(context: Any, rows: int) -> bool:
    """Whether a list goes on past this page. ``page_context`` is an object, or (Books' expenses spec) a list
    holding one; when it does not say, a full page may have a next one and a short page cannot."""
    if isinstance(context, list):
        context = next((entry for entry in context if isinstance(entry, dict)), None)
    said = context.get("has_more_page") if isinstance(context, dict) else None
    return said if isinstance(said, bool) else rows >= LIST_PAGE_SIZE


def _describe_failures(failures: Any) -> str:
    """The messages of a ``statusupdate_error_list`` (its entries' shape is not published: text or objects)."""
    entries = failures if isinstance(failures, list) else [failures]
    texts = [str(entry.get("message") or entry) if isinstance(entry, dict) else str(entry) for entry in entries]
    return "; ".join(texts)


def _custom_fields(values: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"api_name": name, "value": value} for name, value in values.items()]


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [entry for entry in value if isinstance(entry, dict)] if isinstance(value, list) else []


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _salesreturn_line(line: ReturnLine) -> dict[str, Any]:
    entry: dict[str, Any] = {"salesorder_item_id": line.salesorder_item_id, "quantity": line.quantity}
    if line.item_id:
        entry["item_id"] = line.item_id
    return entry


def _return_line_ids(answer_lines: Any, requested: Sequence[ReturnLine]) -> dict[str, str]:
    """(salesorder_item_id -> return line_item_id) from the created return.

    Zoho echoes ``salesorder_item_id`` on return lines; when a line lacks it, its ``item_id`` is
    used, but only if that item appears on one requested line (otherwise the match is ambiguous).
    Without ``requested`` (a read), only lines carrying ``salesorder_item_id`` are mapped.
    """
    item_counts: dict[str, int] = {}
    for line in requested:
        if line.item_id:
            item_counts[line.item_id] = item_counts.get(line.item_id, 0) + 1
    by_item = {
        line.item_id: line.salesorder_item_id for line in requested if line.item_id and item_counts[line.item_id] == 1
    }
    mapping: dict[str, str] = {}
    for answer in _dicts(answer_lines):
        line_id = answer.get("line_item_id")
        if line_id in (None, ""):
            continue
        so_item_id = answer.get("salesorder_item_id") or by_item.get(str(answer.get("item_id")))
        if so_item_id:
            mapping[str(so_item_id)] = str(line_id)
    unmatched = sum(1 for line in requested if line.salesorder_item_id not in mapping)
    if unmatched:
        logger.warning("sales return lines without a matching answer line", extra={"unmatched": unmatched})
    return mapping


def _creditnote_line(
    line: ReturnLine, invoice_id: str, salesreturn: ZohoSalesReturn, invoice: ZohoInvoice
) -> dict[str, Any]:
    so_item_id = line.salesorder_item_id
    invoice_item_id = invoice.line_item_ids.get(so_item_id)
    salesreturn_item_id = salesreturn.line_item_ids.get(so_item_id)
    if invoice_item_id is None or salesreturn_item_id is None:
        missing = "invoice" if invoice_item_id is None else "sales return"
        raise ProviderRequestError(PROVIDER, f"sales order line {so_item_id} is not on the {missing}")
    entry: dict[str, Any] = {
        "invoice_id": invoice_id,
        "invoice_item_id": invoice_item_id,
        "is_item_shipped": True,
        "salesreturn_item_id": salesreturn_item_id,
        # Every returned unit is received back (RTO and customer returns); credit-only lines are not used.
        "is_returned_to_stock": True,
        "quantity": line.quantity,
    }
    if line.item_id:
        entry["item_id"] = line.item_id
    rate = invoice.line_rates.get(so_item_id)
    if rate is not None:
        entry["rate"] = rate
    discount = _credited_discount(invoice, so_item_id, line.quantity)
    if discount is not None:
        entry["discount"] = discount
    tax_id = invoice.line_tax_ids.get(so_item_id)
    if tax_id is not None:
        entry["tax_id"] = tax_id
    return entry


def _discount_text(value: Any) -> str | None:
    """An invoice line's discount as Zoho wrote it ("10%" or an amount), or None when the line has none.

    Text that is not a discount is kept as it is: crediting that line fails, reading the invoice (which the
    remittance needs for its balance) does not."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return None if not text or _discount_value(text) == 0 else text


def _discount_value(text: str) -> Decimal | None:
    """The number in a discount ("10%" -> 10), or None when the text is not a discount."""
    try:
        number = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _credited_discount(invoice: ZohoInvoice, so_item_id: str, quantity: float) -> str | float | None:
    """The invoice line's discount for the credited quantity, in the form the invoice used.

    Zoho's credit-notes docs describe a line ``discount`` as a percentage, its invoice docs as "12.5%" or an
    amount (UNCERTAIN which credit notes take): it is sent in the invoice's own form. A percentage holds for
    any quantity; an amount covers the whole invoiced quantity, so a partial credit takes its share.
    """
    discount = invoice.line_discounts.get(so_item_id)
    if discount is None:
        return None
    amount = _discount_value(discount)
    if amount is None:
        # Guessing an unreadable discount would credit more or less than was billed.
        raise ProviderRequestError(PROVIDER, "unreadable discount on an invoice line")
    if discount.endswith("%"):
        return discount
    invoiced = invoice.line_quantities.get(so_item_id)
    if invoiced is None or invoiced <= 0:
        raise ProviderRequestError(PROVIDER, f"invoice line {so_item_id} has an amount discount but no quantity")
    return _money(amount * Decimal(str(quantity)) / Decimal(str(invoiced)))
