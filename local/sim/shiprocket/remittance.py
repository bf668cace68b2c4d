"""COD remittance (docs/providers/shiprocket.md §11): no API at Shiprocket, driven by ``POST /_sim/remit``."""

from __future__ import annotations

import copy
import re
from typing import Any

from local.sim.base import Response
from local.sim.shiprocket.state import SimState, _Order, _UnknownShipment
from local.sim.shiprocket.statuses import ORDER_DELIVERED_CODE
from local.sim.shiprocket.values import _number

# GUESS: Shiprocket's value for a remitted order is not published (docs/providers/shiprocket.md §11; only "" is
# shown); empty until then.
REMITTED_STATUS = "remitted"


def _paise(value: Any, name: str) -> int:
    """Rupees as whole paise, so a batch total is exact."""
    rupees = _number(value)
    if rupees is None or rupees < 0:
        raise ValueError(f"{name} must be a non-negative amount in rupees, not {value!r}")
    return round(rupees * 100)


class RemittanceMixin(SimState):
    """Marks delivered COD orders remitted and keeps the batches."""

    def _remit_request(self, body: Any) -> Response:
        if not isinstance(body, dict):
            raise TypeError("the remit body is a JSON object")
        awbs = body.get("awbs")
        if awbs is not None and not (isinstance(awbs, list) and all(isinstance(awb, str) for awb in awbs)):
            raise TypeError("awbs is a list of AWB strings")
        deductions = body.get("deductions") or {}
        if not isinstance(deductions, dict):
            raise TypeError("deductions is an object {awb: rupees}")
        return Response(200, self.remit(utr=body.get("utr"), date=body.get("date"), awbs=awbs, deductions=deductions))

    def remit(
        self,
        *,
        utr: Any,
        date: Any,
        awbs: list[str] | None = None,
        deductions: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Remit delivered COD orders under one UTR; returns the batch (see the package docstring)."""
        if not isinstance(utr, str) or not utr.strip():
            raise ValueError("utr is required")
        if not isinstance(date, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
            raise ValueError("date is required as YYYY-MM-DD")
        overrides = deductions or {}
        with self.lock:
            if awbs is None:
                chosen = [order for order in self.orders.values() if self._remittable(order)]
            else:
                chosen = []
                for awb in dict.fromkeys(awbs):
                    order = self._find_awb(awb)
                    if order is None:
                        raise _UnknownShipment(f"no shipment with AWB {awb}")
                    if not self._remittable(order):
                        raise ValueError(f"AWB {awb} is not a delivered, unremitted COD order")
                    chosen.append(order)
            unknown = sorted(set(overrides) - {order.awb_code for order in chosen})
            if unknown:
                raise ValueError(f"deductions name AWBs outside this remittance: {unknown}")
            lines = []
            net_paise = 0
            for order in chosen:
                awb = order.awb_code or ""
                cod_paise = _paise(order.request.get("sub_total"), "sub_total")
                # Default: what the AWB cost on the rate card (freight + COD charge), as Shiprocket nets it out.
                deducted_paise = _paise(overrides.get(awb, order.freight_charges), "deduction")
                net_paise += cod_paise - deducted_paise
                lines.append(
                    {
                        "awb": awb,
                        "order_id": order.order_id,
                        "cod_amount": cod_paise / 100,
                        "deducted_charges": deducted_paise / 100,
                    }
                )
            batch = {
                "remittance_id": utr,
                "remittance_date": date,
                "bank_transfer_amount": net_paise / 100,
                "orders": lines,
            }
            # Marked only once every line is valid: a refused request remits nothing.
            for order in chosen:
                order.extra.update(remittance_utr=utr, remittance_date=date, remittance_status=REMITTED_STATUS)
            self.remittances.append(copy.deepcopy(batch))
            return batch

    @staticmethod
    def _remittable(order: _Order) -> bool:
        return (
            order.is_cod
            and not order.is_return
            and order.status[1] == ORDER_DELIVERED_CODE
            and bool(order.awb_code)
            and not order.extra.get("remittance_utr")
        )
