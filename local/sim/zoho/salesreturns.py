"""Sales returns of shipped units and the receives that restock them (docs/providers/zoho.md §8)."""

from __future__ import annotations

import copy
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import (
    ZohoError,
    _as_number,
    _body_date,
    _custom_field_entries,
    _invalid,
    _line_entries,
    _num,
    _upsert,
)
from local.sim.zoho.items import ItemsMixin


class SalesReturnsMixin(ItemsMixin):
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
        order["last_modified_time"] = self._modified_stamp()

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
