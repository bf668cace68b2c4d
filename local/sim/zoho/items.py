"""Items: their seeds, reads and the physical stock that shipments and receives move (docs/providers/zoho.md §10)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import _as_number
from local.sim.zoho.state import ZohoState


class ItemsMixin(ZohoState):
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

    def _get_item(self, request: Request) -> Response:
        item = self._get("items", request.params["item_id"], "Item")
        return Response(200, {"code": 0, "message": "success", "item": copy.deepcopy(item)})

    def _list_items(self, request: Request) -> Response:
        return self._page(request, "items", copy.deepcopy(list(self.records["items"].values())), "Items")

    def _move_stock(self, item_id: Any, quantity: float) -> None:
        """Physical stock of a known item rises (receive) or falls (shipment) by ``quantity``."""
        item = self.records["items"].get(str(item_id))
        if item is not None:
            for key in ("stock_on_hand", "available_stock", "actual_available_stock"):
                item[key] = _as_number(float(item.get(key, 0)) + quantity)


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
