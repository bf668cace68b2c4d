"""Sales orders: their seeds, reads, list rows and updates, custom fields included (docs/providers/zoho.md §5)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import ZohoError, _invalid, _line_amount
from local.sim.zoho.items import _package_details
from local.sim.zoho.state import ZohoState

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


class SalesOrdersMixin(ZohoState):
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
            ("last_modified_time", self._modified_stamp()),
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

    def _rehash(self, order: dict[str, Any]) -> None:
        order["custom_field_hash"] = {field["api_name"]: field["value"] for field in order["custom_fields"]}

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
        order["last_modified_time"] = self._modified_stamp()
        # The spec's update-a-sales-order-response names the order ``sales_order`` (GET says ``salesorder``),
        # docs/providers/zoho.md §3, §5.
        message = "Sales Order has been updated."
        return Response(200, {"code": 0, "message": message, "sales_order": copy.deepcopy(order)})

    def _void_salesorder(self, request: Request) -> Response:
        order = self._get("salesorders", request.params["salesorder_id"], "Sales Order")
        self._void(order)
        # The spec's mark-as-void-response (docs/providers/zoho.md §5).
        return Response(200, {"code": 0, "message": "The status of the Sales Order has been changed to void."})

    def _void(self, order: dict[str, Any]) -> None:
        if order["packages"]:
            # GUESS (code and text): Zoho will not void an order that has packages, which is why a seller cancels a
            # shipped order with cf_shipment_action instead (docs/providers/zoho.md §5).
            raise ZohoError(400, 36014, "Sales orders that have packages or shipments cannot be voided.")
        order["order_status"] = order["status"] = "void"
        order["last_modified_time"] = self._modified_stamp()

    def edit_salesorder(self, edit: dict[str, Any]) -> str:
        """A seller's edit in Zoho's own screens (``/_sim/seed`` ``salesorder_edits``): custom fields, addresses,
        notes, and ``order_status: void`` under the void rule; the same rules as the API."""
        order = self._get("salesorders", str(edit.get("salesorder_id", "")), "Sales Order")
        for entry in edit.get("custom_fields", []):
            self._set_custom_field(order, entry)
        self._rehash(order)
        for key in ("shipping_address", "billing_address"):
            if isinstance(edit.get(key), dict):
                order[key] = {**order.get(key, {}), **edit[key]}
        if "notes" in edit:
            order["notes"] = str(edit["notes"])
        order["last_modified_time"] = self._modified_stamp()
        if str(edit.get("order_status", "")).lower() == "void":
            self._void(order)
        return str(order["salesorder_id"])

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
