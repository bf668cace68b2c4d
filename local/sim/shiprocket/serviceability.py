"""Courier quotes from the rate cards: ``GET /courier/serviceability/`` (docs/providers/shiprocket.md §2)."""

from __future__ import annotations

import copy
import json
from datetime import datetime, timedelta
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.catalogue import (
    _CITY_BY_PREFIX,
    COURIER_DEFAULTS,
    METRO_PREFIXES,
    ZONES,
    _state_of,
    _valid_pincode,
    charge_weight,
    slab_freight,
    zone_for,
)
from local.sim.shiprocket.state import SimState, _Order
from local.sim.shiprocket.values import IST, _field_name, _flag, _is_missing, _number

# GUESS: no not-serviceable body is published; an error inside HTTP 200 like the unknown-order one.
NOT_SERVICEABLE = {"status": 404, "message": "Delivery postcode not serviceable", "data": []}

# Keys of a published serviceability courier entry the simulator has no model for, with the published values
# (docs/providers/shiprocket.md §2; nothing in the project reads them).
QUOTE_CONSTANTS: dict[str, Any] = {
    "assured_amount": 0,
    "base_courier_id": None,
    "base_weight": "",
    "cost": "",
    "description": "",
    "is_custom_rate": 0,
    "new_edd": 0,
    "others": json.dumps({"allow_postcode_auto_sync": 1, "cancel_real_time": True}, separators=(",", ":")),
    "pickup_availability": "0",
    "pickup_priority": "",
    "pickup_supress_hours": 0,  # sic
    "qc_courier": 0,
    "rank": "",
    "seconds_left_for_pickup": 0,
    "secure_shipment_disabled": False,
    "ship_type": 1,
    "suppress_date": "",
    "suppress_text": "",
    "suppression_dates": None,
    "volumetric_max_weight": None,
}


class ServiceabilityMixin(SimState):
    """Quotes a lane or an order; ``couriers`` seeding lands here."""

    def _put_courier(self, spec: dict[str, Any]) -> None:
        courier_id = int(spec["courier_company_id"])
        base = self.couriers.get(courier_id) or {
            **copy.deepcopy(COURIER_DEFAULTS),
            "courier_name": f"Courier {courier_id}",
        }
        merged = {**base, **copy.deepcopy(spec), "courier_company_id": courier_id}
        if merged.get("awb_prefix") is None:
            merged["awb_prefix"] = f"SR{courier_id}"
        for zone in merged["zones"]:
            if zone not in ZONES or len(merged["rates"][zone]) != 2 or zone not in merged["edd_days"]:
                raise ValueError(f"courier {courier_id}: zone {zone} needs rates [first, additional] and edd_days")
        if len(merged["cod_charge"]) != 2:
            raise ValueError(f"courier {courier_id}: cod_charge is [flat, percent]")
        self.couriers[courier_id] = merged

    def _quotes(
        self,
        pickup: str,
        delivery: str,
        *,
        weight: float,
        dims: tuple[float, float, float] | None,
        cod: bool,
        declared_value: float,
        mode: str | None = None,
    ) -> tuple[str, list[dict[str, Any]]] | None:
        """(zone, courier entries) for a lane, or None when the lane is not serviceable at all."""
        if not (_valid_pincode(pickup) and _valid_pincode(delivery)) or delivery in self.unserviceable:
            return None
        zone = zone_for(pickup, delivery)
        now = self._now()
        city = _CITY_BY_PREFIX.get(delivery[:3]) or _state_of(delivery) or ""
        entries = []
        for courier in self.couriers.values():
            if zone not in courier["zones"] or (cod and not courier["cod"]):
                continue
            if mode and str(courier["mode"]).lower() != mode.lower():
                continue
            weight_charged = charge_weight(weight, dims, float(courier["min_weight"]))
            if weight_charged > float(courier["max_weight"]):
                continue
            freight = slab_freight(courier, zone, weight_charged)
            flat, percent = courier["cod_charge"]
            cod_charges = round(max(flat, declared_value * percent / 100), 2) if cod else 0.0
            days = int(courier["edd_days"][zone])
            etd = datetime.combine(now.date() + timedelta(days=days), datetime.min.time(), IST) + timedelta(hours=20)
            air = str(courier["mode"]).lower() == "air"
            entries.append(
                {
                    "id": courier["courier_company_id"] * 1000 + ZONES.index(zone) * 100 + int(weight_charged * 2),
                    "courier_company_id": courier["courier_company_id"],
                    "courier_name": courier["courier_name"],
                    "courier_type": "0",
                    "rate": round(freight + cod_charges, 2),
                    "freight_charge": freight,
                    "cod_charges": cod_charges,
                    "rto_charges": round(freight * float(courier["rto_factor"]), 2),
                    "coverage_charges": 0,
                    "other_charges": 0,
                    "entry_tax": 0,
                    "cod": int(courier["cod"]),
                    "cod_multiplier": courier["cod_charge"][1],
                    "cod_charge_flat": courier["cod_charge"][0],
                    "estimated_delivery_days": str(days),
                    "etd": etd.strftime("%b %d, %Y"),
                    "etd_hours": max(int((etd - now).total_seconds() // 3600), 1),
                    "edd": "",
                    "rating": courier["rating"],
                    "delivery_performance": courier["delivery_performance"],
                    "pickup_performance": courier["pickup_performance"],
                    "rto_performance": courier["rto_performance"],
                    "tracking_performance": courier["tracking_performance"],
                    "is_surface": not air,
                    "mode": 1 if air else 0,
                    "air_max_weight": f"{float(courier['max_weight']):.2f}" if air else "0.00",
                    "surface_max_weight": "0.00" if air else f"{float(courier['max_weight']):.2f}",
                    "min_weight": courier["min_weight"],
                    "charge_weight": weight_charged,
                    "weight_cases": 0.5,
                    "zone": zone,
                    "city": city,
                    "state": _state_of(delivery),
                    "postcode": delivery,
                    "region": 1,
                    "cutoff_time": courier["cutoff_time"],
                    "realtime_tracking": "Real Time",
                    "pod_available": "Instant",
                    "call_before_delivery": "Available",
                    "delivery_boy_contact": "Available",
                    "is_hyperlocal": False,
                    "is_international": 0,
                    "is_rto_address_available": True,
                    "odablock": False,
                    "blocked": 0,
                    "local_region": 0,
                    "metro": 1 if delivery[:3] in METRO_PREFIXES else 0,
                    **QUOTE_CONSTANTS,
                }
            )
        return zone, entries

    @staticmethod
    def _recommend(entries: list[dict[str, Any]]) -> dict[str, Any]:
        """Best rated among the near-cheapest (within 25 % of the cheapest), then cheapest."""
        cheapest = min(entry["rate"] for entry in entries)
        near = [entry for entry in entries if entry["rate"] <= cheapest * 1.25]
        return min(near, key=lambda e: (-e["rating"], e["rate"], e["courier_company_id"]))

    def _order_quotes(self, order: _Order) -> tuple[str, list[dict[str, Any]]] | None:
        req = order.request
        return self._quotes(
            str(order.pickup["pin_code"]),
            order.delivery_pincode,
            weight=float(req["weight"]),
            dims=(float(req["length"]), float(req["breadth"]), float(req["height"])),
            cod=order.is_cod,
            declared_value=float(req["sub_total"]),
            mode=req.get("mode") if isinstance(req.get("mode"), str) else None,
        )

    def _serviceability(self, request: Request) -> Response:
        # The parameters are a query string; GUESS: a JSON body on the GET is read too (the saved examples show
        # neither).
        try:
            data = request.json() if request.body else {}
        except json.JSONDecodeError:
            data = {}
        params: dict[str, Any] = {**(data if isinstance(data, dict) else {}), **request.query}
        errors: dict[str, list[str]] = {}
        for key in ("pickup_postcode", "delivery_postcode"):
            if _is_missing(params.get(key)):
                errors[key] = [f"The {_field_name(key)} field is required."]
        by_order = not _is_missing(params.get("order_id"))
        is_return = _flag(params.get("is_return"), False)
        if not by_order:
            # Returns are always prepaid, so a return quote needs no cod flag.
            for key in ("weight",) if is_return else ("weight", "cod"):
                if _is_missing(params.get(key)):
                    errors[key] = [f"The {key} field is required when order id is not present."]
            if errors.keys() & {"weight", "cod"}:
                # The published wording (docs/providers/shiprocket.md §2).
                errors["order_id"] = [
                    "The order id field is required when pickup postcode / delivery postcode / cod / weight is not "
                    "present."
                ]
        if is_return and _is_missing(params.get("declared_value")):
            errors["declared_value"] = ["The declared value field is required when is return is 1."]
        if errors:
            return Response(422, {"message": "Required field missing", "errors": errors, "status_code": 422})

        if by_order:
            order = self.by_sr_id.get(int(_number(params["order_id"]) or 0))
            if order is None:
                return Response(200, {"status": 404, "message": "Order does not exist!"})
            req = order.request
            weight: float | None = float(req["weight"])
            dims: tuple[float, float, float] | None = (
                float(req["length"]),
                float(req["breadth"]),
                float(req["height"]),
            )
            cod = order.is_cod
            declared: float | None = float(req["sub_total"])
        else:
            weight = _number(params["weight"])
            dims = None
            cod = not is_return and _flag(params.get("cod"), False)
            declared = _number(params.get("declared_value", 0) or 0)
            sizes = [_number(params.get(key)) for key in ("length", "breadth", "height")]
            if all(size is not None for size in sizes):
                dims = (sizes[0] or 0.0, sizes[1] or 0.0, sizes[2] or 0.0)
        invalid = {}
        if weight is None or weight <= 0:
            invalid["weight"] = ["The weight must be a number greater than 0."]
        if declared is None:
            invalid["declared_value"] = ["The declared value must be a number."]
        if str(params.get("cod", "0")) not in {"0", "1", "True", "False", "true", "false"}:
            invalid["cod"] = ["The cod field must be 0 or 1."]
        if invalid or weight is None or declared is None:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": invalid, "status_code": 422})

        mode = params.get("mode")
        quoted = self._quotes(
            str(params["pickup_postcode"]).strip(),
            str(params["delivery_postcode"]).strip(),
            weight=weight,
            dims=dims,
            cod=cod,
            declared_value=declared,
            mode=mode if isinstance(mode, str) and mode else None,
        )
        if quoted is None or not quoted[1]:
            return Response(200, NOT_SERVICEABLE)
        entries = quoted[1]
        recommended = self._recommend(entries)["courier_company_id"]
        return Response(
            200,
            {
                "status": 200,
                "currency": "INR",
                "company_auto_shipment_insurance_setting": False,
                "covid_zones": {"delivery_zone": None, "pickup_zone": None},
                "dg_courier": 0,
                "eligible_for_insurance": False,
                "insurace_opted_at_order_creation": False,  # sic
                "is_allow_templatized_pricing": True,
                "is_latlong": 0,
                "is_old_zone_opted": False,
                "is_zone_from_mongo": True,
                "label_generate_type": 0,
                "on_new_zone": 2,
                "seller_address": [],
                "user_insurance_manadatory": False,  # sic
                "data": {
                    "available_courier_companies": entries,
                    "blocked_courier_companies": [],
                    "recommended_courier_company_id": recommended,
                    "shiprocket_recommended_courier_id": recommended,
                    "recommended_by": {"id": 6, "title": "Recommendation By Shiprocket"},
                    "is_recommendation_enabled": 1,
                    "recommendation_advance_rule": 0,
                    "child_courier_id": None,
                },
            },
        )
