"""Pickup addresses, pickup requests and labels (docs/providers/shiprocket.md §5, §15)."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.state import COMPANY_ID, COMPANY_NAME, SimState, _Order
from local.sim.shiprocket.statuses import (
    ORDER_PICKUP_SCHEDULED,
    ORDER_RETURN_PICKUP_GENERATED,
    SHIPMENT_PICKUP_SCHEDULED,
)
from local.sim.shiprocket.values import _field_name, _is_missing, _laravel_datetime, _number

# The keys of a published pickup address (docs/providers/shiprocket.md §15), with its constant values where the
# simulator has nothing to model (nothing in the project reads them).
# Shiprocket's limit on a pickup location's nickname (docs/providers/shiprocket.md §15).
MAX_PICKUP_NICKNAME = 36

_PICKUP_DEFAULTS: dict[str, Any] = {
    "address_type": None,
    "address": "Plot 12, Industrial Estate Road",
    "address_2": "",
    "updated_address": False,
    "old_address": "",
    "old_address2": "",
    "tag": "",
    "tag_value": "",
    "instruction": "",
    "city": "Pune",
    "state": "Maharashtra",
    "country": "India",
    "email": "warehouse@seller.example",
    "is_first_mile_pickup": 0,
    "phone": "9800000001",
    "name": "Seller Warehouse",
    "company_id": COMPANY_ID,
    "gstin": None,
    "vendor_name": None,
    "status": 2,
    "phone_verified": 1,
    # Coordinates are strings as published; GUESS: an address registered without them has "" and status 0.
    "lat": "",
    "long": "",
    "open_time": None,
    "close_time": None,
    "warehouse_code": None,
    "alternate_phone": "",
    "lat_long_status": 0,
    "new": 1,
    "associated_rto_address": None,
    "is_primary_location": 0,
}

DEFAULT_PICKUP_LOCATIONS: list[dict[str, Any]] = [
    {
        "pickup_location": "Primary",
        "pin_code": "411001",
        "address": "Shop 4, 17 Station Road",
        "lat": "18.528913",
        "long": "73.874431",
        "lat_long_status": 1,
        "is_primary_location": 1,
    },
    {
        "pickup_location": "Pune-WH1",
        "pin_code": "411028",
        "address": "Gala 9, 221 Hadapsar Industrial Estate",
        "lat": "18.502630",
        "long": "73.927536",
        "lat_long_status": 1,
    },
]

# A second pickup request this soon after the first is a "duplicate request" (500), later "already queued" (400).
PICKUP_DUPLICATE_WINDOW = timedelta(seconds=30)


class PickupMixin(SimState):
    """``/settings/company/pickup``, ``/courier/generate/pickup`` and ``/courier/generate/label``."""

    def _put_pickup_location(self, spec: dict[str, Any]) -> None:
        nickname = str(spec["pickup_location"])
        existing = self.pickup_locations.get(nickname)
        fresh_id = max((loc["id"] for loc in self.pickup_locations.values()), default=4123400) + 1
        location_id = existing["id"] if existing else fresh_id
        merged = {
            **(existing or _PICKUP_DEFAULTS),
            **spec,
            "pickup_location": nickname,
            "pin_code": str(spec["pin_code"]),
        }
        merged["id"] = location_id
        merged.setdefault("rto_address_id", location_id)
        self.pickup_locations[nickname] = merged

    def _pickup_locations(self, request: Request) -> Response:
        return Response(
            200,
            {
                "data": {
                    "shipping_address": list(self.pickup_locations.values()),
                    "allow_more": "true",
                    "is_blackbox_seller": False,
                    "company_name": COMPANY_NAME,
                    "recent_addresses": [],
                }
            },
        )

    def _add_pickup_location(self, request: Request) -> Response:
        """``/settings/company/addpickup`` (docs/providers/shiprocket.md §15): the published refusal of a missing
        phone, and the live one (a field map under ``message``) of everything else."""
        body = request.json()
        body = body if isinstance(body, dict) else {}
        if not re.fullmatch(r"[6-9]\d{9}", str(body.get("phone") or "")):
            # The collection's "Missing Fields" answer, exactly.
            errors = {"phone": ["The phone field is required."]}
            return Response(422, {"message": "Not a valid mobile number", "errors": errors, "status_code": 422})
        problems: dict[str, list[str]] = {
            key: [f"The {_field_name(key)} field is required."]
            for key in ("pickup_location", "name", "email", "address", "city", "state", "country", "pin_code")
            if _is_missing(body.get(key))
        }
        nickname = str(body.get("pickup_location") or "")
        if len(nickname) > MAX_PICKUP_NICKNAME:
            problems["pickup_location"] = [
                f"The pickup location may not be greater than {MAX_PICKUP_NICKNAME} characters."
            ]
        elif nickname in self.pickup_locations:
            # GUESS: a second address under a nickname in use is refused (no text is published).
            problems["pickup_location"] = ["Address nick name already in use"]
        address = str(body.get("address") or "")
        if address and not re.search(r"\d", address):
            # The live refusal (docs/providers/shiprocket.md §15); GUESS: a line with a number passes.
            problems["address"] = ["Address line 1 should have House no / Flat no / Road no."]
        if problems:
            return Response(422, {"message": problems})
        fields = ("name", "email", "phone", "address", "address_2", "city", "state", "country", "pin_code")
        self._put_pickup_location(
            {
                "pickup_location": nickname,
                **{key: body.get(key, "") for key in fields},
                "status": 1,
                "phone_verified": 0,
            }
        )
        added = self.pickup_locations[nickname]
        now = self._now().strftime("%Y-%m-%d %H:%M:%S")
        answer = {
            "success": True,
            "address": {
                "company_id": COMPANY_ID,
                "pickup_code": nickname,
                "address": added["address"],
                "address_2": added["address_2"],
                "address_type": None,
                "city": added["city"],
                "state": added["state"],
                "country": added["country"],
                "gstin": None,
                "pin_code": added["pin_code"],
                "phone": added["phone"],
                "email": added["email"],
                "name": added["name"],
                "alternate_phone": None,
                "lat": None,
                "long": None,
                "status": 1,
                "phone_verified": 0,
                "rto_address_id": added["rto_address_id"],
                "extra_info": json.dumps({"source": 3}, separators=(",", ":")),
                "updated_at": now,
                "created_at": now,
                "id": added["id"],
            },
            "pickup_id": added["id"],
            "company_name": COMPANY_NAME,
            "full_name": "API",
        }
        # The collection's "Successful Call".
        return Response(200, answer)

    # -- pickup ---------------------------------------------------------------------------
    def _pickup_problem(self, order: _Order | None) -> Response | None:
        """The published refusals of ``courier/generate/pickup`` (docs/providers/shiprocket.md §5)."""
        if order is None:
            return Response(400, {"message": "Invalid shipment id", "status_code": 400})
        if order.cancelled:
            # GUESS: no published body for a cancelled shipment.
            return Response(400, {"message": "Shipment is in cancelled state", "status_code": 400})
        if not order.awb_code:
            return Response(400, {"message": "Awb not Assigned"})
        if order.pickup_scheduled_date:
            requested_at = order.pickup_requested_at
            if requested_at is not None and self._now() - requested_at < PICKUP_DUPLICATE_WINDOW:
                # GUESS: when each of the two published "already" answers is given is not documented; a repeat
                # close on the heels of the first gets the 500, a later one the 400.
                return Response(500, {"message": "Duplicate request for pickup generation"})
            return Response(400, {"message": "Already in Pickup Queue."})
        return None

    def _pickup_slot(self, order: _Order, requested: date | None) -> str:
        """The courier's next cut-off (or the requested day's), a Sunday rolled to Monday."""
        now = self._now()
        cutoff = datetime.strptime(str((order.courier or {}).get("cutoff_time", "14:00")), "%H:%M").time()
        day = now.date() if now.time() < cutoff else now.date() + timedelta(days=1)
        if requested:
            day = max(day, requested)
        if day.weekday() == 6:  # Sunday pickups roll to Monday (GUESS: holidays are not modelled)
            day += timedelta(days=1)
        return f"{day.isoformat()} {cutoff.strftime('%H:%M:%S')}"

    def _schedule_pickup(self, order: _Order, requested: date | None) -> dict[str, Any]:
        now = self._now()
        courier = order.courier or {}
        scheduled = self._pickup_slot(order, requested)
        token = f"Reference No: {courier.get('courier_company_id')}_{self.next_pickup_token}"
        self.next_pickup_token += 1
        order.pickup_scheduled_date = scheduled
        order.pickup_token_number = token
        order.pickup_requested_at = now
        order.status = ORDER_RETURN_PICKUP_GENERATED if order.is_return else ORDER_PICKUP_SCHEDULED
        order.shipment_status = SHIPMENT_PICKUP_SCHEDULED
        self.pickups.append(
            {
                "order_id": order.order_id,
                "sr_order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "awb_code": order.awb_code,
                "courier_company_id": courier.get("courier_company_id"),
                "pickup_scheduled_date": scheduled,
                "pickup_token_number": token,
                "created_at": now.strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return {
            "pickup_scheduled_date": scheduled,
            "pickup_token_number": token,
            "status": SHIPMENT_PICKUP_SCHEDULED[1],
            "others": json.dumps({"courier": courier.get("courier_name"), "awb": order.awb_code}),
            "pickup_generated_date": _laravel_datetime(now),
            "data": f"Pickup is confirmed by {courier.get('courier_name')} For AWB :- {order.awb_code}",
        }

    def _generate_pickup(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        ids = body.get("shipment_id")
        if _is_missing(ids):
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"shipment_id": ["The shipment id field is required."]},
                    "status_code": 422,
                },
            )
        ids = ids if isinstance(ids, list) else [ids]
        if len(ids) != 1:
            return Response(400, {"message": "Pickup can be generated for one shipment at a time.", "status_code": 400})
        dates = body.get("pickup_date")
        requested = (dates[0] if isinstance(dates, list) and dates else dates) or None
        try:
            day = date.fromisoformat(str(requested)) if requested is not None else None
        except ValueError:
            day = None
        if requested is not None and (day is None or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(requested))):
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"pickup_date": ["The pickup date does not match the format Y-m-d."]},
                    "status_code": 422,
                },
            )
        order = self.by_shipment.get(int(_number(ids[0]) or 0))
        problem = self._pickup_problem(order)
        if problem is not None or order is None:
            return problem or Response(400, {"message": "Invalid shipment id", "status_code": 400})
        return Response(200, {"pickup_status": 1, "response": self._schedule_pickup(order, day)})

    # -- label ----------------------------------------------------------------------------
    def _make_label(self, orders: list[_Order]) -> str:
        name = "-".join(str(order.shipment_id) for order in orders)
        url = f"{self.base_url}/labels/{name}.pdf"
        for order in orders:
            order.label_url = url
        self.labels.append(
            {
                "shipment_ids": [order.shipment_id for order in orders],
                "awb_codes": [order.awb_code for order in orders],
                "label_url": url,
                "created_at": self._now().strftime("%Y-%m-%d %H:%M:%S"),
            }
        )
        return url

    def _generate_label(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        ids = body.get("shipment_id")
        if _is_missing(ids) or not isinstance(ids, list):
            message = "The shipment id field is required." if _is_missing(ids) else "The shipment id must be an array."
            return Response(
                422, {"message": "Oops! Invalid Data.", "errors": {"shipment_id": [message]}, "status_code": 422}
            )
        ready: list[_Order] = []
        not_created: list[Any] = []
        for raw in ids:
            order = self.by_shipment.get(int(_number(raw) or 0))
            if order is None:
                # Published for `[""]`: an id that is no shipment is left out of `not_created` (GUESS: a number
                # that is no shipment of the account is treated alike).
                continue
            if order.cancelled or not order.awb_code:
                not_created.append(raw)
            else:
                ready.append(order)
        if not ready and not not_created:
            # The collection's "Missing or Invalid Data" example (docs/providers/shiprocket.md §5).
            return Response(
                200, {"label_created": 0, "not_created": [], "response": "No valid shipment ids to print label"}
            )
        if not ready:
            # GUESS: nothing published for a shipment without an AWB (or cancelled); it is listed as not created.
            return Response(
                200,
                {
                    "label_created": 0,
                    "response": "Label can not be generated as AWB is not assigned to the shipment(s).",
                    "not_created": not_created,
                },
            )
        # A shipment keeps its label: asking again (a retry) answers the same document, no new one.
        again = len(ready) == 1 and ready[0].label_url
        return Response(
            200,
            {
                "label_created": 1,
                "label_url": ready[0].label_url if again else self._make_label(ready),
                "response": "Label has been created and uploaded successfully!",
                "not_created": not_created,
            },
        )
