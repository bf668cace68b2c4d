"""Return orders: ``POST /orders/create/return`` (docs/providers/shiprocket.md §9)."""

from __future__ import annotations

import copy
import json
import re

from local.sim.base import Request, Response
from local.sim.shiprocket.catalogue import _valid_pincode
from local.sim.shiprocket.state import COMPANY_NAME, SimState, _Order
from local.sim.shiprocket.statuses import ORDER_RETURN_PENDING
from local.sim.shiprocket.values import _field_name, _is_missing, _number, _sr_datetime

RETURN_REQUIRED = (
    "order_id",
    "order_date",
    "pickup_customer_name",
    "pickup_address",
    "pickup_city",
    "pickup_state",
    "pickup_country",
    "pickup_pincode",
    "pickup_email",
    "pickup_phone",
    "shipping_customer_name",
    "shipping_address",
    "shipping_city",
    "shipping_state",
    "shipping_country",
    "shipping_pincode",
    "shipping_phone",
    "order_items",
    "payment_method",
    "sub_total",
    "length",
    "breadth",
    "height",
    "weight",
)


class ReturnsMixin(SimState):
    """Returns travel from the customer to our warehouse; their AWB and pickup go through the forward endpoints."""

    def _create_return(self, request: Request) -> Response:
        try:
            body = request.json()
        except json.JSONDecodeError:
            # The collection's "Wrong Format" (a comma missing): the body reads as empty, so every required field
            # is reported missing in one 422 (docs/providers/shiprocket.md §9).
            body = {}
        body = body if isinstance(body, dict) else {}
        errors = {
            key: [f"The {_field_name(key)} field is required."] for key in RETURN_REQUIRED if _is_missing(body.get(key))
        }
        order_id = str(body.get("order_id", ""))
        # One order table behind both endpoints: a forward order's reference is taken as well.
        if "order_id" not in errors and (order_id in self.returns or order_id in self.orders):
            errors["order_id"] = ["The order id has already been taken."]
        if "order_date" not in errors and not re.fullmatch(
            r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?", str(body["order_date"])
        ):
            errors["order_date"] = ["The order date does not match the format Y-m-d H:i."]
        for key in ("pickup_phone", "shipping_phone"):
            if key not in errors and not re.fullmatch(r"\d{10}", str(body[key])):
                errors[key] = [f"The {_field_name(key)} must be 10 digits."]
        for key in ("pickup_pincode", "shipping_pincode"):
            if key not in errors and not _valid_pincode(str(body[key])):
                errors[key] = [f"The {_field_name(key)} must be 6 digits."]
        for key in ("length", "breadth", "height", "weight", "sub_total"):
            if key not in errors and (
                (_number(body[key]) or 0) <= (0.5 if key in ("length", "breadth", "height") else 0)
            ):
                errors[key] = [f"The {_field_name(key)} must be a number greater than 0."]
        items = body.get("order_items")
        if "order_items" not in errors:
            if not isinstance(items, list):
                errors["order_items"] = ["The order items must be an array."]
            else:
                for index, item in enumerate(items):
                    item = item if isinstance(item, dict) else {}
                    for key in ("name", "sku", "units", "selling_price"):
                        if _is_missing(item.get(key)):
                            errors[f"order_items.{index}.{key}"] = [f"The order_items.{index}.{key} field is required."]
        if errors:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": errors, "status_code": 422})
        customer = {
            "id": 0,
            "pickup_location": "",
            "name": body["pickup_customer_name"],
            "address": body["pickup_address"],
            "address_2": body.get("pickup_address_2", ""),
            "city": body["pickup_city"],
            "state": body["pickup_state"],
            "country": body["pickup_country"],
            "pin_code": str(body["pickup_pincode"]),
            "phone": str(body["pickup_phone"]),
            "email": body["pickup_email"],
        }
        order = _Order(
            order_id=order_id,
            sr_order_id=self.next_sr_order_id,
            shipment_id=self.next_shipment_id,
            request=copy.deepcopy(body),
            pickup=customer,
            created_at=_sr_datetime(self._now()),
            status=ORDER_RETURN_PENDING,
            is_return=True,
        )
        self.next_sr_order_id += 1
        self.next_shipment_id += 1
        self.returns[order_id] = order
        self.by_shipment[order.shipment_id] = order
        self.by_sr_id[order.sr_order_id] = order
        return Response(
            200,
            {
                "order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "status": ORDER_RETURN_PENDING[0],
                "status_code": ORDER_RETURN_PENDING[1],
                "company_name": COMPANY_NAME,
            },
        )
