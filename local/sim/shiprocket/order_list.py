"""``GET /orders``: the account's orders, a page at a time (docs/providers/shiprocket.md §14a).

Each entry has every key of the published list entry (``tests/contract/published/shiprocket/orders_list.json``), with
the list's own formats: ``created_at`` as "31 Jul 2019, 03:03 PM", ``total`` a string, ``shipments`` a **list**
whose ``awb`` is "" before an AWB (``orders/show`` has an object there, and null). The page sits under
``meta.pagination`` as published; ``links`` is ``{}`` on the last page and carries only ``next`` otherwise.

The parameters of the request's table that are served: ``page``, ``per_page`` (15 unless asked, as the example
without parameters shows), ``from`` / ``to`` (``YYYY-MM-DD``, both days included, on the day the order was created,
IST), ``sort`` / ``sort_by`` (``id`` or ``status``; newest id first unless asked, as that example lists them),
``search`` (an AWB or our ``order_id``), ``channel_id`` and ``filter_by`` / ``filter`` (``status`` by code,
``payment_method``, ``channel_order_id``, ``delivery_country``). ``pickup_location``, ``fbs``, ``fbs_all_orders``
and the ``updated_from`` / ``updated_to`` pair of the request's prose are ignored: nothing here sends them.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from local.sim.base import Request, Response
from local.sim.shiprocket.state import DEFAULT_CHANNEL_ID, SimState, _Order
from local.sim.shiprocket.values import _amount, _date_bounds, _number

# The page size of the published answer to a call without parameters (per_page 15).
DEFAULT_ORDER_PAGE_SIZE = 15
_FILTERS = ("status", "payment_method", "channel_order_id", "delivery_country")

# Keys of the published entry the simulator has no model for, with the published values.
ORDER_LIST_CONSTANTS: dict[str, Any] = {
    "tax": "0.00",
    "sla": "2 days",
    "shipping_method": "SR",
    "expedited": 0,
    "is_international": 0,
    "purpose_of_shipment": 0,
    "allow_return": 0,
    "is_incomplete": 0,
    "errors": [],
    "show_escalation_btn": 0,
    "escalation_status": "",
    "escalation_history": [],
}
ORDER_LIST_SHIPMENT_CONSTANTS: dict[str, Any] = {
    "isd_code": "+91",
    "return_awb": "",
    "pod": None,
    # GUESS: published only as this placeholder, for orders never returned.
    "rto_delivered_date": "0000-00-00 00:00:00",
    "etd_escalation_btn": False,
}


def _list_datetime(moment: datetime) -> str:
    """The list's format, with a comma: "31 Jul 2019, 03:03 PM" (``orders/show`` prints it without)."""
    return moment.strftime("%d %b %Y, %I:%M %p")


def _positive(raw: str | None, default: int) -> int:
    # GUESS: nothing published for a page that is no whole number; the default, as `GET /ndr/all` here.
    value = _number(raw)
    return int(value) if value is not None and value >= 1 and value == int(value) else default


class OrderListMixin(SimState):
    """The forward orders as the panel's order list shows them."""

    def _list_orders(self, request: Request) -> Response:
        """``GET /orders`` with the query of the collection's parameter table (docs/providers/shiprocket.md §14a)."""
        query = request.query
        bounds, problems = _date_bounds(query)
        if problems:
            return Response(422, {"message": "The given data was invalid.", "errors": problems, "status_code": 422})
        # GUESS: return orders have their own list (Return & Exchange Orders / Get All Return Orders); this one
        # holds the forward orders.
        orders = list(self.orders.values())
        for order in orders:
            self._settle_awb_cancel(order, reading=False)
        # GUESS: the published table says only "start date" / "end date"; taken as the day the order was created,
        # both included. A `from` after `to` (as in the table's own examples) matches nothing.
        since, until = bounds["from"], bounds["to"]
        orders = [
            order
            for order in orders
            if (since is None or date.fromisoformat(order.created_at[:10]) >= since)
            and (until is None or date.fromisoformat(order.created_at[:10]) <= until)
        ]
        orders = [order for order in orders if self._listed_by(order, query)]
        # UNCERTAIN: the example without parameters lists the higher id first, so that is the default.
        descending = (query.get("sort") or "DESC").strip().upper() != "ASC"
        if (query.get("sort_by") or "").strip().lower() == "status":
            orders.sort(key=lambda order: (order.status[1], order.sr_order_id), reverse=descending)
        else:
            orders.sort(key=lambda order: order.sr_order_id, reverse=descending)
        page = _positive(query.get("page"), 1)
        per_page = _positive(query.get("per_page"), DEFAULT_ORDER_PAGE_SIZE)
        total_pages = max(math.ceil(len(orders) / per_page), 1)
        rows = orders[(page - 1) * per_page : page * per_page]
        links: dict[str, str] = {}  # `{}` when there is no next page, as published
        if page < total_pages:
            # As published: the same URL with the next page number (no `previous` link is shown: none is sent).
            links = {"next": f"{self.base_url}{self.prefix}/orders?{urlencode({**query, 'page': page + 1})}"}
        return Response(
            200,
            {
                "data": [self._list_entry(order) for order in rows],
                "meta": {
                    "pagination": {
                        "total": len(orders),
                        "count": len(rows),
                        "per_page": per_page,
                        "current_page": page,
                        "total_pages": total_pages,
                        "links": links,
                    }
                },
            },
        )

    def _listed_by(self, order: _Order, query: dict[str, str]) -> bool:
        """``search``, ``channel_id`` and ``filter_by`` / ``filter``; GUESS: exact matches without case, an AWB
        searched by its digits anywhere (as `GET /ndr/all` here)."""
        search = (query.get("search") or "").strip()
        if search and not (search in (order.awb_code or "") or search == order.order_id):
            return False
        channel = _number(query.get("channel_id"))
        if channel is not None and channel != self._channel_id(order):
            return False
        field, wanted = (query.get("filter_by") or "").strip().lower(), (query.get("filter") or "").strip().lower()
        if field not in _FILTERS or not wanted:
            return True
        value = {
            "status": str(order.status[1]),
            "payment_method": "cod" if order.is_cod else "prepaid",
            "channel_order_id": order.order_id.lower(),
            "delivery_country": str(order.request.get(f"{order.customer_side}_country") or "India").lower(),
        }[field]
        return value == wanted

    @staticmethod
    def _channel_id(order: _Order) -> int:
        channel = _number(order.request.get("channel_id"))
        return int(channel) if channel else DEFAULT_CHANNEL_ID

    def _list_entry(self, order: _Order) -> dict[str, Any]:
        req = order.request
        side = order.customer_side
        courier = order.courier or {}
        created = datetime.strptime(order.created_at, "%Y-%m-%d %H:%M:%S")
        sizes = [float(_amount(req.get(key))) for key in ("length", "breadth", "height")]
        items = [item if isinstance(item, dict) else {} for item in req.get("order_items", [])]
        # GUESS: published only for a new order ("UNDEFINED") and a cancelled one ("CANCELED").
        product_status = "CANCELED" if order.cancelled else "UNDEFINED"
        # GUESS: the published entries show these three activities only; the others are not listed.
        activities = ["ORDER_CREATED"]
        if any(update["order_id"] == order.order_id for update in self.address_updates):
            activities.append("ADDRESS_MODIFIED")
        if order.cancelled:
            activities.append("ORDER_CANCELLED")
        return {
            **ORDER_LIST_CONSTANTS,
            "id": order.sr_order_id,
            "channel_id": self._channel_id(order),
            "channel_name": "CUSTOM",
            "base_channel_code": "CS",
            "channel_order_id": order.order_id,
            "customer_name": req.get(f"{side}_customer_name"),
            "customer_email": req.get(f"{side}_email"),
            "customer_phone": str(req.get(f"{side}_phone")),
            "pickup_location": order.pickup["pickup_location"],
            "payment_status": "" if order.is_cod else "paid",
            "total": f"{_amount(req.get('sub_total')):.2f}",
            "status": order.status[0],
            "status_code": order.status[1],
            "payment_method": "cod" if order.is_cod else "prepaid",
            "channel_created_at": _list_datetime(created),
            "created_at": _list_datetime(created),
            "products": [
                {
                    "id": order.sr_order_id * 10 + index,
                    "channel_order_product_id": str(order.sr_order_id * 10 + index),
                    "name": item.get("name"),
                    "channel_sku": item.get("sku"),
                    "quantity": int(_number(item.get("units")) or 0),
                    "product_id": order.sr_order_id * 10 + index,
                    # GUESS: the stock Shiprocket holds for the SKU; the simulator keeps none.
                    "available": 0,
                    "status": product_status,
                    "hsn": str(item.get("hsn", "")),
                }
                for index, item in enumerate(items)
            ],
            "shipments": [
                {
                    **ORDER_LIST_SHIPMENT_CONSTANTS,
                    "id": order.shipment_id,
                    "courier": courier.get("courier_name") or "",
                    "weight": _amount(req.get("weight")),
                    "dimensions": "x".join(f"{size:.2f}" for size in sizes),
                    "pickup_scheduled_date": order.pickup_scheduled_date,
                    "pickup_token_number": order.pickup_token_number,
                    # "" before an AWB, as published (orders/show says null there).
                    "awb": order.awb_code or "",
                    "volumetric_weight": round(sizes[0] * sizes[1] * sizes[2] / 5000, 3),
                    "etd": self._etd(order) or "NA",
                    "delivered_date": order.extra.get("delivered_date") or None,
                }
            ],
            "activities": activities,
        }
