"""NDR records and the seller's actions on them (docs/providers/shiprocket.md §9)."""

from __future__ import annotations

import copy
import math
from datetime import datetime
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.state import DEFAULT_CHANNEL_ID, SimState, _Order
from local.sim.shiprocket.statuses import NDR_ORDER_STATUS, NDR_SHIPMENT_STATUS
from local.sim.shiprocket.values import _amount, _is_missing, _number, _sr_datetime

NDR_REATTEMPT_SCRIPT = [17, 7]
NDR_RETURN_SCRIPT = [9, 46, 10]
NDR_ACTIONS = ("re-attempt", "return", "fake-attempt")
NDR_REASONS = (
    "Customer not available at the address",
    "Customer refused to accept the delivery",
    "Address incomplete or incorrect",
    "Customer asked for a future delivery date",
    "Cash not ready at the time of delivery",
)
NDR_ACTION_ACCEPTED = {"status": "Data Updated Sucessfully"}  # sic, docs/providers/shiprocket.md §9
# `action_by` of an NDR history entry is a number: 3 on the published entry the courier raised; GUESS: 1 for the
# seller's action (no published entry shows one).
NDR_BY_COURIER = 3
NDR_BY_SELLER = 1
# GUESS: the only published values of these NDR record keys (their meaning is not published).
NDR_ESCALATION_STATUS = "N/A"
NDR_PAYMENT_STATUS = "2"


class NdrMixin(SimState):
    """``/ndr/all``, ``/ndr/{awb}`` and ``/ndr/{awb}/action``; tracking opens the records."""

    def _raise_ndr(self, order: _Order, when: datetime, reason: str) -> None:
        ndr = order.ndr
        if ndr is None:
            req = order.request
            side = order.customer_side
            items = req.get("order_items") or [{}]
            first = items[0] if isinstance(items[0], dict) else {}
            self.next_ndr_id += 1
            channel = _number(req.get("channel_id"))
            price = first.get("selling_price")
            # The keys of a published NDR record (docs/providers/shiprocket.md §9), plus our reference and the
            # Shiprocket order id, which published records do not carry.
            ndr = {
                "id": self.next_ndr_id,
                "shipment_id": order.shipment_id,
                "awb_code": order.awb_code,
                "order_id": order.sr_order_id,
                "channel_order_id": order.order_id,
                "courier": (order.courier or {}).get("courier_name"),
                "customer_name": req.get(f"{side}_customer_name"),
                "customer_email": req.get(f"{side}_email"),
                "customer_phone": str(req.get(f"{side}_phone", "")),
                "customer_address": req.get(f"{side}_address"),
                "customer_address_2": str(req.get(f"{side}_address_2") or ""),
                "customer_city": req.get(f"{side}_city"),
                "customer_state": req.get(f"{side}_state"),
                "customer_pincode": str(req.get(f"{side}_pincode", "")),
                "payment_status": NDR_PAYMENT_STATUS,
                "status": "UNDELIVERED",
                "status_code": NDR_ORDER_STATUS,
                "payment_method": "cod" if order.is_cod else "prepaid",
                "created_at": when.strftime("%d %b %Y, %I:%M %p"),
                "reason": reason,
                "attempts": 0,
                "ndr_raised_at": _sr_datetime(when),
                "escalation_status": NDR_ESCALATION_STATUS,
                "product_name": first.get("name"),
                # A string, as published ("1484.01").
                "product_price": f"{_amount(price):.2f}" if _number(price) is not None else "",
                "shipment_channel_id": int(channel) if channel else DEFAULT_CHANNEL_ID,
                "history": [],
                "delivered_date": "",
            }
            order.ndr = ndr
        ndr["attempts"] += 1
        ndr["reason"] = reason
        ndr["ndr_raised_at"] = _sr_datetime(when)
        ndr["history"].append(self._ndr_history(ndr, reason=reason, by=NDR_BY_COURIER, comment=reason, when=when))

    def _ndr_history(
        self, ndr: dict[str, Any], *, reason: str, by: int, comment: str, when: datetime
    ) -> dict[str, Any]:
        """One NDR history entry with the published keys; ``action`` is the simulator's own addition."""
        self.next_ndr_history_id += 1
        return {
            "id": self.next_ndr_history_id,
            "ndr_id": ndr["id"],
            "ndr_reason": reason,
            "action_by": by,
            "ndr_attempt": ndr["attempts"],
            "medium": None,
            "ndr_push_status": 0,
            "comment": comment,
            "call_center_call_recording": "",
            "call_center_recording_date": "",
            "proof_recording": None,
            "proof_image": None,
            "sms_response": "No Response",
            "ndr_raised_at": _sr_datetime(when),
            "action": None,
        }

    def _ndr_page(self, records: list[dict[str, Any]], page: int, per_page: int) -> dict[str, Any]:
        total_pages = max(math.ceil(len(records) / per_page), 1)
        rows = records[(page - 1) * per_page : page * per_page]
        links: dict[str, str] = {}  # `{}` when there is no next page, as published
        if page < total_pages:
            links = {"next": f"{self.base_url}{self.prefix}/ndr/all?page={page + 1}&per_page={per_page}"}
        return {
            "data": copy.deepcopy(rows),
            "meta": {
                "pagination": {
                    "total": len(records),
                    "count": len(rows),
                    "per_page": per_page,
                    "current_page": page,
                    "total_pages": total_pages,
                    "links": links,
                }
            },
        }

    def _ndr_all(self, request: Request) -> Response:
        def positive(name: str, default: int) -> int:
            value = _number(request.query.get(name))
            return int(value) if value is not None and value >= 1 else default

        records = [order.ndr for order in self._shipments() if order.ndr is not None]
        search = (request.query.get("search") or "").strip()
        if search:
            records = [r for r in records if search in (r["awb_code"] or "") or search == r["channel_order_id"]]
        since, until = request.query.get("from"), request.query.get("to")
        if since:
            records = [r for r in records if r["ndr_raised_at"][:10] >= since]
        if until:
            records = [r for r in records if r["ndr_raised_at"][:10] <= until]
        records.sort(key=lambda r: int(r["id"]), reverse=True)
        return Response(200, self._ndr_page(records, positive("page", 1), positive("per_page", 15)))

    def _ndr_show(self, request: Request) -> Response:
        # Documented as /ndr/{AWB}, published with the record's id in the path: either finds the record
        # (docs/providers/shiprocket.md §9).
        key = request.params["awb"]
        order = self._find_awb(key) or next(
            (order for order in self._shipments() if order.ndr is not None and str(order.ndr["id"]) == key), None
        )
        if order is None or order.ndr is None:
            # GUESS: nothing published for an AWB without an NDR.
            return Response(404, {"message": "No NDR found for this AWB.", "status_code": 404})
        return Response(200, self._ndr_page([order.ndr], 1, 15))

    def _ndr_action(self, request: Request) -> Response:
        body = request.json()
        body = body if isinstance(body, dict) else {}
        errors = {
            key: [f"The {key} field is required."] for key in ("action", "comments") if _is_missing(body.get(key))
        }
        if "action" not in errors and body["action"] not in NDR_ACTIONS:
            errors["action"] = ["The selected action is invalid."]
        if errors:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": errors, "status_code": 422})
        awb = request.params["awb"]
        order = self._find_awb(awb)
        # GUESS: the NDR action's errors are not published (docs/providers/shiprocket.md §9).
        if order is None or order.ndr is None:
            return Response(404, {"message": "No NDR found for this AWB.", "status_code": 404})
        ndr = order.ndr
        if self._status_id(order) != NDR_SHIPMENT_STATUS:
            return Response(
                400,
                {"message": "Action can be taken only on shipments in NDR (undelivered) state.", "status_code": 400},
            )
        attempt = ndr["attempts"]
        if any(entry["action_by"] == NDR_BY_SELLER and entry["ndr_attempt"] == attempt for entry in ndr["history"]):
            return Response(400, {"message": "Action has already been taken for this NDR attempt.", "status_code": 400})
        action = str(body["action"])
        order.remaining = list(NDR_RETURN_SCRIPT if action == "return" else NDR_REATTEMPT_SCRIPT)
        now = _sr_datetime(self._now())
        entry = self._ndr_history(
            ndr, reason=ndr["reason"], by=NDR_BY_SELLER, comment=str(body["comments"]), when=self._now()
        )
        entry.update(ndr_raised_at=ndr["ndr_raised_at"], action=action, action_date=now)
        ndr["history"].append(entry)
        self.ndr_actions.append(
            {
                "awb": awb,
                "order_id": order.order_id,
                "sr_order_id": order.sr_order_id,
                "shipment_id": order.shipment_id,
                "action": action,
                "comments": body["comments"],
                "ndr_attempt": attempt,
                "created_at": now,
                **{key: body[key] for key in ("phone", "address1", "address2", "deferred_date") if key in body},
            }
        )
        return Response(202, dict(NDR_ACTION_ACCEPTED))
