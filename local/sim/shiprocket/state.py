"""The simulated account's identity, its order record, and the state and lookups every concern shares."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from local.sim.base import SimApp
from local.sim.shiprocket.catalogue import charge_weight, slab_freight
from local.sim.shiprocket.statuses import ORDER_CANCELED, ORDER_NEW
from local.sim.shiprocket.values import IST, _flag, _sr_datetime

COMPANY_ID = 123456
COMPANY_NAME = "Seller Example Pvt Ltd"

DEFAULT_CHANNEL_ID = 5123456
# GUESS: the simulated account has one channel, the custom one its API orders land on.
CHANNEL_IDS = frozenset({float(DEFAULT_CHANNEL_ID)})


@dataclass
class _Order:
    order_id: str
    sr_order_id: int
    shipment_id: int
    request: dict[str, Any]
    pickup: dict[str, Any]
    created_at: str
    status: tuple[str, int] = ORDER_NEW
    shipment_status: tuple[str, int] | None = None
    awb_code: str | None = None
    courier: dict[str, Any] | None = None
    assigned_at: datetime | None = None
    applied_weight: float | None = None
    zone: str | None = None
    freight_charges: float = 0.0
    pickup_scheduled_date: str | None = None
    pickup_token_number: str | None = None
    pickup_requested_at: datetime | None = None
    label_url: str | None = None
    manifest_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    is_return: bool = False
    # Tracking: courier scans oldest first, the scripted statuses still to come (None until the
    # first advance picks the lifecycle), when the last scan happened, and the NDR record if any.
    scans: list[dict[str, str]] = field(default_factory=list)
    remaining: list[int] | None = None
    lifecycle: str | list[int] | None = None
    track_cursor: datetime | None = None
    ndr: dict[str, Any] | None = None
    # Reads of orders/show left before an AWB cancellation in progress completes (None: none in progress).
    awb_cancel_reads_left: int | None = None

    @property
    def delivery_pincode(self) -> str:
        # A return travels from the customer (pickup_*) to our warehouse (shipping_*).
        bill = not self.is_return and _flag(self.request.get("shipping_is_billing"), True)
        return str(self.request.get("billing_pincode" if bill else "shipping_pincode", ""))

    @property
    def customer_side(self) -> str:
        """The prefix of the request fields that describe the buyer; a return's customer is its pickup address."""
        if self.is_return:
            return "pickup"
        return "billing" if _flag(self.request.get("shipping_is_billing"), True) else "shipping"

    @property
    def is_cod(self) -> bool:
        return str(self.request.get("payment_method", "")).upper() == "COD"

    @property
    def cancelled(self) -> bool:
        return self.status == ORDER_CANCELED

    def state(self) -> dict[str, Any]:
        return {
            "order_id": self.order_id,
            "sr_order_id": self.sr_order_id,
            "shipment_id": self.shipment_id,
            "awb_code": self.awb_code,
            "courier_company_id": self.courier["courier_company_id"] if self.courier else None,
            "courier_name": self.courier["courier_name"] if self.courier else None,
            "status": self.status[0],
            "status_code": self.status[1],
            "shipment_status": self.shipment_status[0] if self.shipment_status else None,
            "shipment_status_id": self.shipment_status[1] if self.shipment_status else None,
            "pickup_location": self.pickup["pickup_location"],
            "applied_weight": self.applied_weight,
            "zone": self.zone,
            "freight_charges": self.freight_charges,
            "pickup_scheduled_date": self.pickup_scheduled_date,
            "label_url": self.label_url,
            "manifest_url": self.manifest_url,
            "created_at": self.created_at,
            "request": self.request,
            "is_return": self.is_return,
            "scans": self.scans,
            "lifecycle": self.lifecycle,
            "lifecycle_remaining": self.remaining,
            "ndr": self.ndr,
            **self.extra,
        }


# What a statement row's ``charge`` says (GUESS: the published example leaves it empty, §17).
WALLET_FREIGHT = "Freight Charges"
WALLET_COD_FEE = "COD Charges"
WALLET_RTO_FREIGHT = "RTO Freight Charges"
WALLET_WEIGHT_DISCREPANCY = "Weight Discrepancy Charges"
WALLET_FREIGHT_REVERSAL = "Freight Reversal"
# Scans that mean the parcel is with the courier (it re-weighs then), and that it is going back.
_AFTER_PICKUP = frozenset({42, 6, 18})
_RTO_STATUSES = frozenset({9, 10, 14, 40, 41, 46})


class _UnknownShipment(Exception):
    """A simulator control call named an AWB the simulator does not hold."""


class SimState(SimApp):
    """What the simulator holds, declared once for every concern's mixin; ``ShiprocketSim.reset`` fills it."""

    clock: Callable[[], float]
    rng: random.Random
    couriers: dict[int, dict[str, Any]]
    pickup_locations: dict[str, dict[str, Any]]
    unserviceable: set[str]
    api_users: dict[str, str]
    token_ttl_s: float
    tokens: dict[str, float]
    wallet_balance: float
    orders: dict[str, _Order]
    by_shipment: dict[int, _Order]
    by_sr_id: dict[int, _Order]
    pickups: list[dict[str, Any]]
    labels: list[dict[str, Any]]
    returns: dict[str, _Order]
    track_rng: random.Random
    lifecycles: dict[str, str | list[int]]
    default_lifecycle: str | list[int]
    webhook: dict[str, str | None] | None
    webhook_options: dict[str, Any]
    webhooks: list[dict[str, Any]]
    ndr_actions: list[dict[str, Any]]
    remittances: list[dict[str, Any]]
    next_ndr_id: int
    next_ndr_history_id: int
    next_sr_order_id: int
    next_shipment_id: int
    next_awb: int
    next_pickup_token: int
    awb_cancel_settle_reads: int
    cancelled_awbs: list[dict[str, Any]]
    address_updates: list[dict[str, Any]]
    # The wallet statement (``local/sim/shiprocket/wallet.py``): every movement, oldest first.
    wallet_rows: list[dict[str, Any]]
    next_wallet_transaction: int
    # Parcels the courier re-weighs: order id or AWB -> the weight it charges (kg).
    weight_discrepancies: dict[str, float]

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), IST)

    def _shipments(self) -> list[_Order]:
        return [*self.orders.values(), *self.returns.values()]

    def _settle_awb_cancel(self, order: _Order, *, reading: bool = True) -> None:
        """An order whose AWB cancellation is in progress reads CANCELLATION REQUESTED ``awb_cancel_reads_left``
        more times; the read after those completes it."""
        if order.awb_cancel_reads_left is None:
            return
        if order.awb_cancel_reads_left > 0:
            if reading:
                order.awb_cancel_reads_left -= 1
            return
        order.awb_cancel_reads_left = None
        if order.cancelled:
            return
        self._refund(order)
        order.awb_code = None
        order.status = ORDER_NEW
        order.shipment_status = None

    def _refund(self, order: _Order) -> None:
        # Cancelling gives the freight back to the wallet, once (docs/providers/shiprocket.md §10).
        if order.freight_charges:
            self._wallet_move(order, -order.freight_charges, WALLET_FREIGHT_REVERSAL)
        order.freight_charges = 0.0

    def _charge_after_scan(self, order: _Order, status_id: int) -> None:
        """What a forward parcel's scans cost afterwards: the courier's re-weighed freight once picked up (for the
        parcels seeded in ``weight_discrepancies``), and the RTO freight once it turns back."""
        if order.is_return or order.courier is None:
            return
        charged = self.weight_discrepancies.get(order.order_id) or self.weight_discrepancies.get(order.awb_code or "")
        if status_id in _AFTER_PICKUP and charged and not order.extra.get("reweighed"):
            order.extra["reweighed"] = True
            weight = charge_weight(charged, None)
            extra = slab_freight(order.courier, str(order.zone), weight) - float(order.extra["freight"])
            if extra > 0:
                self._wallet_move(order, extra, WALLET_WEIGHT_DISCREPANCY, charged_weight=weight)
        if status_id in _RTO_STATUSES and not order.extra.get("rto_charged"):
            order.extra["rto_charged"] = True
            self._wallet_move(order, float(order.extra.get("rto_charges") or 0.0), WALLET_RTO_FREIGHT)

    def _wallet_move(self, order: _Order, amount: float, charge: str, *, charged_weight: float | None = None) -> None:
        """Debit (``amount`` > 0) or credit the wallet for ``order``, and write the statement row that says so
        (docs/providers/shiprocket.md §17: the published row keys; the ``charge`` texts are GUESSES)."""
        amount = round(amount, 2)
        self.wallet_balance = round(self.wallet_balance - amount, 2)
        self.next_wallet_transaction += 1
        applied = f"{order.applied_weight:.2f}" if order.applied_weight is not None else ""
        charged = f"{charged_weight:.2f}" if charged_weight is not None else applied
        self.wallet_rows.append(
            {
                "transaction_id": str(self.next_wallet_transaction),
                "order_id": str(order.sr_order_id),
                "channel_order_id": order.order_id,
                "awb_code": order.awb_code or "",
                "return_awb_code": None,
                "applied_weight": applied,
                "charged_weight": charged,
                "billed_weight": charged,
                "action": "debit" if amount > 0 else "credit",
                "charge": charge,
                "description": f"{charge} for AWB {order.awb_code or '-'}",
                "debit_amount": f"{amount:.2f}" if amount > 0 else "",
                "credit_amount": f"{-amount:.2f}" if amount < 0 else "",
                "balance_amount": f"{self.wallet_balance:.2f}",
                "balance_weight": 0,
                "volumetric_weight": "",
                "entered_weight": applied,
                "created_at": self._now().strftime("%Y-%m-%d %H:%M:%S"),
                "can_ship": self.wallet_balance > 0,
            }
        )

    def _find_awb(self, awb: str) -> _Order | None:
        return next((order for order in self.by_shipment.values() if order.awb_code and order.awb_code == awb), None)

    @staticmethod
    def _status_id(order: _Order) -> int | None:
        return order.shipment_status[1] if order.shipment_status else None

    def _etd(self, order: _Order) -> str:
        days = (order.courier or {}).get("edd_days", {}).get(order.zone or "")
        if order.assigned_at is None or days is None:
            return ""
        due = datetime.combine(order.assigned_at.date() + timedelta(days=int(days)), datetime.min.time(), IST)
        return _sr_datetime(due + timedelta(hours=20))
