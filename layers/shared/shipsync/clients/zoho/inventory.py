"""Zoho Inventory v1 endpoints (docs/providers/zoho.md §5, §7, §8, §10, §15, §17): sales orders, items, packages,
shipment orders, sales returns and their receives, invoices read, credit notes, locations, custom field settings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from aws_lambda_powertools import Logger

from shipsync.clients.zoho.transport import (
    PROVIDER,
    ZohoTransport,
    custom_fields_body,
    dicts,
    entity_id,
    entity_of,
    parse_answer,
)
from shipsync.domain.models import (
    CreditNoteLine,
    ReturnLine,
    ZohoCreditNote,
    ZohoCustomFieldDefinition,
    ZohoInvoice,
    ZohoItem,
    ZohoLocation,
    ZohoSalesOrder,
    ZohoSalesReturn,
    discount_number,
)
from shipsync.errors import ProviderRequestError, RecordMissing

logger = Logger(child=True)

_ALREADY_DELIVERED_CODE = 37135
# Zoho's spec answers a receive under ``salesreturn`` (docs/providers/zoho.md §8); the other spellings are the
# entity's own name, in case the live answer follows it. The id is ``receive_id``, never the return's id.
_RECEIVE_KEYS = ("salesreturn", "salesreturnreceive", "salesreturn_receive", "receive")
_RECEIVE_ID_KEYS = ("receive_id", "salesreturnreceive_id")


class ZohoInventory(ZohoTransport):
    """The ``/inventory/v1`` endpoints shipsync calls."""

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        body = self._request("GET", "/inventory/v1/salesorders/{salesorder_id}", salesorder_id=salesorder_id)
        return parse_answer(ZohoSalesOrder, entity_of(body, "salesorder"))

    def get_item(self, item_id: str) -> ZohoItem:
        auth = self._token_provider()
        key = (auth.organization_id, item_id)
        cached = self._item_cache.get(key)
        if cached is not None:
            return cached
        body = self._request("GET", "/inventory/v1/items/{item_id}", auth=auth, item_id=item_id)
        item = parse_answer(ZohoItem, entity_of(body, "item"))
        self._item_cache.put(key, item)
        return item

    def list_locations(self) -> list[ZohoLocation]:
        """``GET /locations``: the organisation's locations (warehouses), docs/providers/zoho.md §15. The setup
        check registers pickup locations from it, so an answer without the list is an error."""
        body = self._request("GET", "/inventory/v1/locations")
        rows = body.get("locations")
        if not isinstance(rows, list):
            raise ProviderRequestError(PROVIDER, "locations answer has no 'locations' list", code=body.get("code"))
        return [parse_answer(ZohoLocation, row) for row in dicts(rows)]

    def get_location(self, location_id: str) -> ZohoLocation:
        body = self._request("GET", "/inventory/v1/locations/{location_id}", location_id=location_id)
        return parse_answer(ZohoLocation, entity_of(body, "location"))

    def list_salesorder_custom_fields(self) -> list[ZohoCustomFieldDefinition]:
        """``GET /settings/preferences``: the sales-order custom fields the organisation defines, under
        ``customfields.salesorder`` (docs/providers/zoho.md §17; not in Zoho's published specs, UNCERTAIN). The doctor
        reports a field missing from this list, so an answer it cannot read is an error, never "no fields"."""
        body = self._request("GET", "/inventory/v1/settings/preferences")
        groups = body.get("customfields")
        rows = groups.get("salesorder") if isinstance(groups, dict) else None
        if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
            raise ProviderRequestError(
                PROVIDER, "preferences answer has no customfields.salesorder list", code=body.get("code")
            )
        # A read entry names its field by api_name, or by placeholder (the same cf_ name, docs/providers/zoho.md §5).
        return [
            parse_answer(ZohoCustomFieldDefinition, {**row, "api_name": row.get("api_name") or row.get("placeholder")})
            for row in rows
        ]

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self._request(
            "PUT",
            "/inventory/v1/salesorders/{salesorder_id}",
            body={"custom_fields": custom_fields_body(values)},
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
        return entity_id(package, "package_id")

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
        return entity_id(entity_of(body, key), "shipment_id")

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

    def delete_shipment_order(self, shipment_id: str) -> bool:
        """Deletes a shipment order, which returns its stock (docs/providers/zoho.md §7). False when Zoho says it
        does not exist: an earlier attempt deleted it and lost the answer."""
        path = "/inventory/v1/shipmentorders/{shipment_id}"
        return _deleted(lambda: self._request("DELETE", path, shipment_id=shipment_id), path)

    def delete_package(self, package_id: str) -> bool:
        """Deletes a package (its shipment order first, docs/providers/zoho.md §7). False when it is gone already."""
        path = "/inventory/v1/packages/{package_id}"
        return _deleted(lambda: self._request("DELETE", path, package_id=package_id), path)

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
        entity = entity_of(body, "salesreturn")
        line_item_ids = _return_line_ids(entity.get("line_items"), line_items)
        return parse_answer(ZohoSalesReturn, {**entity, "line_item_ids": line_item_ids})

    def get_salesreturn(self, salesreturn_id: str) -> ZohoSalesReturn:
        """The return as Zoho holds it, to resume after an interrupted attempt."""
        body = self._request("GET", "/inventory/v1/salesreturns/{salesreturn_id}", salesreturn_id=salesreturn_id)
        entity = entity_of(body, "salesreturn")
        return parse_answer(
            ZohoSalesReturn, {**entity, "line_item_ids": _return_line_ids(entity.get("line_items"), ())}
        )

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
        return entity_id(entity, id_key)

    def get_invoice(self, invoice_id: str) -> ZohoInvoice:
        body = self._request("GET", "/inventory/v1/invoices/{invoice_id}", invoice_id=invoice_id)
        entity = entity_of(body, "invoice")
        line_item_ids: dict[str, str] = {}
        line_rates: dict[str, float] = {}
        line_tax_ids: dict[str, str] = {}
        line_discounts: dict[str, str] = {}
        line_quantities: dict[str, float] = {}
        for line in dicts(entity.get("line_items")):
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
        return parse_answer(
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
        lines: Sequence[CreditNoteLine],
        reference_number: str,
    ) -> str:
        """A credit note against the invoice (docs/providers/zoho.md §8); returns the credit note id.

        ``lines`` come from ``returns.credit.creditnote_lines``: the invoiced rates, discounts and taxes, so the
        credit reverses exactly what was billed."""
        if not lines:
            raise ValueError("a credit note needs at least one line")
        body = self._request(
            "POST",
            "/inventory/v1/creditnotes",
            params={"invoice_id": invoice_id, "ignore_auto_number_generation": "false"},
            body={
                "customer_id": customer_id,
                "date": date,
                "reference_number": reference_number,
                "line_items": [_creditnote_line(invoice_id, line) for line in lines],
            },
        )
        return entity_id(entity_of(body, "creditnote"), "creditnote_id")

    def find_creditnote_by_reference(self, reference_number: str) -> str | None:
        """The id of a credit note carrying exactly this reference (a retry's earlier attempt), or None."""
        rows = self._rows_by_reference("/inventory/v1/creditnotes", reference_number)
        return entity_id(rows[0], "creditnote_id") if rows else None

    def get_creditnote(self, creditnote_id: str) -> ZohoCreditNote:
        """The note as Zoho computed it: its total may differ from ours by rounding, and its balance is what applies."""
        body = self._request("GET", "/inventory/v1/creditnotes/{creditnote_id}", creditnote_id=creditnote_id)
        return parse_answer(ZohoCreditNote, entity_of(body, "creditnote"))

    def apply_creditnote_to_invoice(self, creditnote_id: str, invoice_id: str, amount: float) -> None:
        if amount <= 0:
            raise ValueError(f"credit to apply must be positive, got {amount}")
        self._request(
            "POST",
            "/inventory/v1/creditnotes/{creditnote_id}/invoices",
            body={"invoices": [{"invoice_id": invoice_id, "amount_applied": amount}]},
            creditnote_id=creditnote_id,
        )


def _deleted(delete: Callable[[], object], path: str) -> bool:
    try:
        delete()
    except RecordMissing as gone:
        logger.info("zoho record already deleted", extra={"path": path, "code": gone.code})
        return False
    return True


def _describe_failures(failures: Any) -> str:
    """The messages of a ``statusupdate_error_list`` (its entries' shape is not published: text or objects)."""
    entries = failures if isinstance(failures, list) else [failures]
    texts = [str(entry.get("message") or entry) if isinstance(entry, dict) else str(entry) for entry in entries]
    return "; ".join(texts)


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
    for answer in dicts(answer_lines):
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


def _discount_text(value: Any) -> str | None:
    """An invoice line's discount as Zoho wrote it ("10%" or an amount), or None when the line has none.

    Text that is not a discount is kept as it is: crediting that line fails, reading the invoice (which the
    remittance needs for its balance) does not."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip()
    return None if not text or discount_number(text) == 0 else text


def _creditnote_line(invoice_id: str, line: CreditNoteLine) -> dict[str, Any]:
    return {
        "invoice_id": invoice_id,
        "is_item_shipped": True,
        # Every returned unit is received back (RTO and customer returns); credit-only lines are not used.
        "is_returned_to_stock": True,
        **line.model_dump(exclude_none=True),
    }
