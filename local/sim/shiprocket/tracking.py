"""Lifecycle scripts, courier scans and pull tracking (docs/providers/shiprocket.md §7, §8)."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.catalogue import _city_of, _place
from local.sim.shiprocket.ndr import NDR_REASONS, NdrMixin
from local.sim.shiprocket.state import _Order, _UnknownShipment
from local.sim.shiprocket.statuses import (
    FORWARD_FALLBACK_ORDER_STATUS,
    FORWARD_ORDER_STATUS,
    NDR_SHIPMENT_STATUS,
    ORDER_STATUS_NAMES,
    RETURN_FALLBACK_ORDER_STATUS,
    RETURN_ORDER_STATUS,
    SHIPMENT_STATUS_NAMES,
    TERMINAL_SHIPMENT_STATUSES,
)
from local.sim.shiprocket.values import IST, _flag, _is_missing, _number, _sr_datetime
from local.sim.shiprocket.webhooks import WEBHOOK_OPTION_KEYS, WebhooksMixin, _chance, _check_webhook_url, _post_webhook

_FORWARD_LEG = [19, 42, 6, 18, 38, 17]
LIFECYCLES: dict[str, list[int]] = {
    "delivered": [*_FORWARD_LEG, 7],
    "rto": [*_FORWARD_LEG, 9, 46, 10],
    "lost": [19, 42, 6, 18, 12],
    "damaged": [19, 42, 6, 18, 25],
    "ndr_then_delivered": [*_FORWARD_LEG, 21, 17, 7],
    "ndr_then_rto": [*_FORWARD_LEG, 21, 17, 21, 9, 46, 10],
    "return_delivered": [3, 42, 18, 7],
}
DEFAULT_LIFECYCLE = "delivered"
DEFAULT_RETURN_LIFECYCLE = "return_delivered"

# Per shipment status: courier scan code, activity text, where it happens, hours after the previous
# scan. Codes for 42 and 17 are the fixture's; the others are invented in the same style.
_SCAN_STYLE: dict[int, tuple[str, str, str, tuple[float, float]]] = {
    3: ("X-UCI", "Manifested - Pickup request generated", "origin", (0.1, 1.0)),
    19: ("X-ASP", "Pickup Assigned - Out for pickup", "origin", (0.2, 1.5)),
    42: ("X-PPOM", "In Transit - Shipment picked up", "origin", (0.5, 3.0)),
    6: ("X-DBL1F", "In Transit - Bag dispatched from origin hub", "origin_hub", (2.0, 6.0)),
    18: ("X-DLL2F", "In Transit - Shipment in transit to destination", "transit", (4.0, 16.0)),
    38: ("X-IBD3F", "In Transit - Shipment received at destination hub", "dest_hub", (8.0, 30.0)),
    17: ("X-DDD3FD", "Dispatched - Out for delivery", "dest", (6.0, 14.0)),
    7: ("EOD-38", "Delivered - Delivered to consignee", "dest", (1.0, 6.0)),
    21: ("EOD-74", "Undelivered", "dest", (2.0, 7.0)),
    9: ("RT-101", "RTO Initiated - Return to origin initiated", "dest", (6.0, 24.0)),
    46: ("RT-IT", "RTO In Transit - Return shipment in transit to origin", "transit", (12.0, 40.0)),
    41: ("RT-OFD", "RTO Out for delivery - Out for delivery to shipper", "origin", (12.0, 30.0)),
    10: ("RT-110", "RTO Delivered - Returned to shipper", "origin", (2.0, 8.0)),
    12: ("LT-100", "Lost - Shipment lost in transit", "transit", (24.0, 72.0)),
    25: ("DMG-01", "Damaged - Shipment damaged in transit", "transit", (12.0, 48.0)),
    24: ("DST-01", "Destroyed - Shipment destroyed", "transit", (24.0, 72.0)),
}
_DEFAULT_SCAN_STYLE = ("X-UPD", "Status updated", "transit", (2.0, 12.0))
_NA_SCAN = ("X-ILL1F", "In Transit - Bag received at facility", (1.0, 4.0))
# Couriers attempt pickups and deliveries in daylight.
_DAYTIME_STATUSES = frozenset({3, 19, 41, 42, 17, 7, 21, 10})

NO_ACTIVITIES = {
    "tracking_data": {
        "track_status": 0,
        "error": "Aahh! There is no activities found in our DB. Please have some patience it will be updated soon.",
    }
}
MAX_TRACK_AWBS = 50


def resolve_lifecycle(spec: Any) -> list[int]:
    """A lifecycle name of ``LIFECYCLES`` or an explicit list of shipment status ids, as ids."""
    if isinstance(spec, str):
        if spec not in LIFECYCLES:
            raise ValueError(f"unknown lifecycle {spec!r}; known: {', '.join(LIFECYCLES)}")
        return list(LIFECYCLES[spec])
    if (
        isinstance(spec, list)
        and spec
        and all(isinstance(step, int) and not isinstance(step, bool) and step > 0 for step in spec)
    ):
        return list(spec)
    raise ValueError(f"a lifecycle is a name or a non-empty list of shipment status ids, not {spec!r}")


def remaining_after(script: list[int], current: int | None) -> list[int]:
    """What is left of ``script`` for a shipment already at ``current``."""
    if current in script:
        return script[script.index(current) + 1 :]
    return list(script)


class TrackingMixin(WebhooksMixin, NdrMixin):
    """``POST /_sim/tracking/advance`` and the ``/courier/track*`` endpoints."""

    def _seed_tracking(self, payload: dict[str, Any]) -> None:
        if "random_seed" in payload:
            self.track_rng.seed(payload["random_seed"])
        if "default_lifecycle" in payload:
            resolve_lifecycle(payload["default_lifecycle"])
            self.default_lifecycle = payload["default_lifecycle"]
        lifecycles = payload.get("lifecycles") or {}
        if not isinstance(lifecycles, dict):
            raise TypeError("lifecycles is an object {awb or order_id: lifecycle}")
        for key, spec in lifecycles.items():
            script = resolve_lifecycle(spec)
            self.lifecycles[str(key)] = spec
            for order in self._shipments():
                if order.remaining is not None and str(key) in (order.awb_code, order.order_id):
                    # A shipment already on its way continues its new script from where it is.
                    order.lifecycle = spec
                    order.remaining = remaining_after(script, self._status_id(order))
        if "webhook" in payload:
            hook = payload["webhook"]
            if hook is None:
                self.webhook = None
            elif isinstance(hook, dict):
                token = hook.get("token")
                self.webhook = {"url": _check_webhook_url(hook.get("url")), "token": str(token) if token else None}
            else:
                raise TypeError('webhook is {"url": ..., "token": ...} or null')
        if "webhook_options" in payload:
            self.webhook_options = self._check_options({**self.webhook_options, **payload["webhook_options"]})

    def _advance_request(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise TypeError("the advance body is a JSON object")
        options = {**(body.get("webhook_options") or {}), **{k: body[k] for k in WEBHOOK_OPTION_KEYS if k in body}}
        awb = body.get("awb")
        result = self.advance(
            awb=None if awb is None else str(awb),
            steps=body.get("steps"),
            deliver_webhooks=_flag(body.get("deliver_webhooks"), True),
            options=options,
        )
        return Response(200, result)

    def advance(
        self,
        awb: str | None = None,
        steps: int | None = None,
        *,
        deliver_webhooks: bool = True,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Move shipments with an AWB ``steps`` statuses along their scripts (default: to the end).

        Answers ``{"advanced": [...], "events": [payloads in posting order], "webhooks": [attempts]}``.
        Webhooks are posted after the lock is released: the receiver may call this simulator back.
        """
        if steps is not None and (not isinstance(steps, int) or isinstance(steps, bool) or steps < 1):
            raise ValueError("steps is a positive integer")
        with self.lock:
            chosen = self._check_options({**self.webhook_options, **(options or {})})
            if awb is not None:
                found = self._find_awb(awb)
                if found is None:
                    raise _UnknownShipment(f"no shipment with AWB {awb}")
                targets = [found]
            else:
                targets = [order for order in self._shipments() if order.awb_code]
            moved: list[dict[str, Any]] = []
            groups: list[list[dict[str, Any]]] = []
            for order in targets:
                if order.cancelled:
                    continue
                events, stepped = self._walk(order, steps, chosen)
                if stepped:
                    groups.append(events)
                    moved.append(
                        {
                            "awb": order.awb_code,
                            "order_id": order.order_id,
                            "is_return": order.is_return,
                            "steps": stepped,
                            "shipment_status_id": self._status_id(order),
                            "status_code": order.status[1],
                            "remaining": list(order.remaining or []),
                        }
                    )
            posts = self._arrange(groups, chosen)
            hook = dict(self.webhook) if self.webhook and deliver_webhooks else None
        records: list[dict[str, Any]] = []
        if hook is not None:
            url, token = str(hook["url"]), hook["token"]
            for payload, duplicate in posts:
                status, error = _post_webhook(url, token, payload)
                records.append(
                    {
                        "url": url,
                        "awb": payload["awb"],
                        "is_return": int(payload["is_return"]),
                        "shipment_status_id": int(payload["shipment_status_id"]),
                        "current_timestamp": payload["current_timestamp"],
                        "duplicate": duplicate,
                        "http_status": status,
                        "error": error,
                        "posted_at": _sr_datetime(self._now()),
                        "payload": payload,
                    }
                )
            with self.lock:
                self.webhooks.extend(copy.deepcopy(records))
        return copy.deepcopy({"advanced": moved, "events": [payload for payload, _ in posts], "webhooks": records})

    def _walk(
        self, order: _Order, steps: int | None, options: dict[str, Any]
    ) -> tuple[list[dict[str, Any]], list[int]]:
        """Take up to ``steps`` scripted statuses: (webhook payloads, status ids taken)."""
        if order.remaining is None:
            spec = self.lifecycles.get(order.awb_code or "") or self.lifecycles.get(order.order_id)
            if spec is None:
                spec = DEFAULT_RETURN_LIFECYCLE if order.is_return else self.default_lifecycle
            order.lifecycle = spec
            order.remaining = remaining_after(resolve_lifecycle(spec), self._status_id(order))
        na_chance = _chance(options.get("na_scans"), "na_scans")
        sparse_chance = _chance(options.get("sparse"), "sparse")
        count = len(order.remaining) if steps is None else min(steps, len(order.remaining))
        events: list[dict[str, Any]] = []
        stepped: list[int] = []
        for _ in range(count):
            status_id = order.remaining.pop(0)
            when = self._scan_time(order, status_id)
            self._record_scan(order, status_id, when)
            stepped.append(status_id)
            sparse = bool(sparse_chance) and self.track_rng.random() < sparse_chance
            events.append(self._webhook_payload(order, when, sparse=sparse))
            if status_id not in TERMINAL_SHIPMENT_STATUSES and na_chance and self.track_rng.random() < na_chance:
                # A hub scan the courier reports but Shiprocket maps to nothing (docs/providers/shiprocket.md §8a).
                when = self._scan_time(order, None)
                order.scans.append(
                    {
                        "date": _sr_datetime(when),
                        "status": _NA_SCAN[0],
                        "activity": _NA_SCAN[1],
                        "location": order.scans[-1]["location"],
                        "sr-status": "NA",
                        "sr-status-label": "NA",
                    }
                )
                events.append(self._webhook_payload(order, when))
        return events, stepped

    def _scan_time(self, order: _Order, status_id: int | None) -> datetime:
        """The sim clock, the AWB and the pickup slot bound the first scan; each scan adds some hours."""
        start = order.track_cursor
        if start is None:
            start = max(self._now(), order.assigned_at or self._now())
            if order.pickup_scheduled_date:
                try:
                    slot = datetime.strptime(order.pickup_scheduled_date, "%Y-%m-%d %H:%M:%S").replace(tzinfo=IST)
                except ValueError:
                    slot = start
                start = max(start, slot)
        low, high = _NA_SCAN[2] if status_id is None else _SCAN_STYLE.get(status_id, _DEFAULT_SCAN_STYLE)[3]
        moment = start + timedelta(seconds=self.track_rng.randint(int(low * 3600), int(high * 3600)))
        if status_id in _DAYTIME_STATUSES and not 9 <= moment.hour < 20:
            day = moment.date() if moment.hour < 9 else moment.date() + timedelta(days=1)
            moment = datetime.combine(day, datetime.min.time(), IST) + timedelta(
                hours=9, seconds=self.track_rng.randint(0, 3 * 3600)
            )
        moment = moment.replace(microsecond=0)
        order.track_cursor = moment
        return moment

    def _location(self, order: _Order, where: str) -> str:
        origin, destination = str(order.pickup["pin_code"]), order.delivery_pincode
        if where in ("origin", "origin_hub", "transit"):
            return _place(origin, {"origin_hub": "hub"}.get(where, where))
        return _place(destination, {"dest_hub": "hub"}.get(where, where))

    def _record_scan(self, order: _Order, status_id: int, when: datetime) -> None:
        code, activity, where, _ = _SCAN_STYLE.get(status_id, _DEFAULT_SCAN_STYLE)
        name = SHIPMENT_STATUS_NAMES.get(status_id, "UNKNOWN")
        if status_id == NDR_SHIPMENT_STATUS:
            reason = self.track_rng.choice(NDR_REASONS)
            activity = f"{activity} - {reason}"
            self._raise_ndr(order, when, reason)
        order.scans.append(
            {
                "date": _sr_datetime(when),
                "status": code,
                "activity": activity,
                "location": self._location(order, where),
                "sr-status": str(status_id),
                "sr-status-label": name,
            }
        )
        order.shipment_status = (name, status_id)
        self._charge_after_scan(order, status_id)
        if order.is_return:
            order_status = RETURN_ORDER_STATUS.get(status_id, RETURN_FALLBACK_ORDER_STATUS)
        else:
            order_status = FORWARD_ORDER_STATUS.get(status_id, FORWARD_FALLBACK_ORDER_STATUS)
        order.status = (ORDER_STATUS_NAMES[order_status], order_status)
        if status_id == 7:
            order.extra["delivered_date"] = _sr_datetime(when)
            if order.ndr is not None:
                order.ndr["delivered_date"] = _sr_datetime(when)
        if status_id == 3 and not order.pickup_scheduled_date:
            order.pickup_scheduled_date = _sr_datetime(when)

    # -- pull tracking --------------------------------------------------------------------
    def _tracking_data(self, order: _Order | None) -> dict[str, Any]:
        if order is None or not order.scans:
            return copy.deepcopy(NO_ACTIVITIES)
        status_name, status_id = order.shipment_status or ("NA", 0)

        def first_date(sr_status: int) -> str | None:
            return next((scan["date"] for scan in order.scans if scan["sr-status"] == str(sr_status)), None)

        etd = self._etd(order)
        track = {
            "id": order.shipment_id + 11_000_000,
            "awb_code": order.awb_code,
            "courier_company_id": (order.courier or {}).get("courier_company_id"),
            "shipment_id": order.shipment_id,
            "order_id": order.sr_order_id,
            "pickup_date": first_date(42),
            "delivered_date": first_date(7),
            "weight": str(order.request.get("weight", "")),
            "packages": 1,
            "current_status": status_name,
            "destination": _city_of(order.delivery_pincode),
            "origin": _city_of(str(order.pickup["pin_code"])),
            "courier_name": (order.courier or {}).get("courier_name"),
            "edd": etd or None,
            "pod": "Available" if status_id == 7 else "Not Available",
            "pod_status": "" if order.is_return else "OTP Based Delivery",
            # Published on every entry: the destination city (even before delivery), the buyer, no agent.
            "delivered_to": _city_of(order.delivery_pincode),
            "consignee_name": order.request.get(f"{order.customer_side}_customer_name") or "",
            "courier_agent_details": None,
        }
        return {
            "tracking_data": {
                "track_status": 1,
                "shipment_status": status_id,
                "shipment_track": [track],
                "shipment_track_activities": [dict(scan) for scan in reversed(order.scans)],
                "track_url": f"https://shiprocket.co/tracking/{order.awb_code}",
                "etd": etd,
                # GUESS: empty unless a QC return failed (the simulator has no QC); "" as published.
                "qc_response": {"qc_image": "", "qc_failed_reason": ""},
            }
        }

    def _track_awb(self, request: Request) -> Response:
        return Response(200, self._tracking_data(self._find_awb(request.params["awb"])))

    def _track_awbs(self, request: Request) -> Response:
        """As the collection's Get Tracking Data for Multiple AWBS: unknown AWBs are left out (``{}`` when none is
        known), and ``awbs`` that is not a list is PHP's 500 (docs/providers/shiprocket.md §7)."""
        body = request.json()
        awbs = body.get("awbs") if isinstance(body, dict) else None
        if not isinstance(awbs, list):
            return Response(500, {"message": "Invalid argument supplied for foreach()", "status_code": 500})
        if len(awbs) > MAX_TRACK_AWBS:
            # GUESS: the limit of 50 is published, the answer to more is not.
            error = f"The awbs may not have more than {MAX_TRACK_AWBS} items."
            return Response(422, {"message": "Oops! Invalid Data.", "errors": {"awbs": [error]}, "status_code": 422})
        known = {str(awb): self._find_awb(str(awb)) for awb in awbs}
        return Response(200, {awb: self._tracking_data(order) for awb, order in known.items() if order is not None})

    def _track_shipment(self, request: Request) -> Response:
        order = self.by_shipment.get(int(_number(request.params["shipment_id"]) or 0))
        return Response(200, self._tracking_data(order))

    def _track_order(self, request: Request) -> Response:
        order_id = request.query.get("order_id")
        if _is_missing(order_id):
            # GUESS: nothing published without `order_id`.
            return Response(
                422,
                {
                    "message": "Oops! Invalid Data.",
                    "errors": {"order_id": ["The order id field is required."]},
                    "status_code": 422,
                },
            )
        matches = [order for order in self._shipments() if order.order_id == order_id]
        return Response(200, [self._tracking_data(order) for order in matches])
