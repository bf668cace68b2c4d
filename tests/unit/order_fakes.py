"""In-memory fakes behind the order-confirmed Protocols (ports.py), for fast service tests."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from shipsync.domain.models import (
    AwbAssignment,
    CourierQuote,
    CreatedOrder,
    ForwardShipmentResult,
    LabelResult,
    PickupResult,
    ShiprocketOrder,
    ShiprocketOrderDetails,
    ZohoItem,
    ZohoPackageRef,
    ZohoSalesOrder,
)
from shipsync.errors import AwbAlreadyAssigned, AwbRefused, NotServiceable, TokenRejected, TransientError
from shipsync.orders.courier import CourierRules
from shipsync.orders.job import OrderConfirmedJob
from shipsync.orders.mapping import MappingOptions
from shipsync.policy.outcomes import OutcomePolicy
from shipsync.ports import ShipmentLedgerPort


def quote(courier_id: int, name: str, rate: float, *, cod: int = 1, etd_hours: float = 72) -> CourierQuote:
    return CourierQuote(
        courier_company_id=courier_id,
        courier_name=name,
        rate=rate,
        cod=cod,
        etd_hours=etd_hours,
        estimated_delivery_days=round(etd_hours / 24),
        rto_performance=4.0,
    )


DEFAULT_QUOTES = [
    quote(43, "Delhivery Surface", 62.5),
    quote(45, "Ecom Express Surface", 58.0),
    quote(51, "Ekart Logistics", 55.0),
    quote(10, "DTDC Surface", 60.0),
]


class FakeShiprocket:
    def __init__(self, quotes: Sequence[CourierQuote] = DEFAULT_QUOTES) -> None:
        self.quotes = list(quotes)
        self.refusing: dict[int, str] = {}
        self.orders: dict[str, dict[str, Any]] = {}  # by order_id (our reference)
        self.calls: Counter[str] = Counter()
        self.fail_wrapper_after_create = False
        self.cancel_settle_reads = 0
        self.address_updates: list[tuple[int, str]] = []
        self.serviceability_asks: list[dict[str, Any]] = []
        self.ndr_actions: list[tuple[str, str]] = []
        # Steps ("assign", "pickup", "label") whose next call does the work, then loses its answer (a timeout).
        self.lose_answer: set[str] = set()
        self._ids = itertools.count(1000)

    def serviceability(self, **kwargs: Any) -> list[CourierQuote]:
        self.calls["serviceability"] += 1
        self.serviceability_asks.append(kwargs)
        if not self.quotes:
            raise NotServiceable("Delivery postcode not serviceable")
        return list(self.quotes)

    def _create(self, order: ShiprocketOrder) -> tuple[dict[str, Any], bool]:
        if order.order_id in self.orders:
            return self.orders[order.order_id], False
        record = {
            "sr_order_id": next(self._ids),
            "shipment_id": next(self._ids),
            "status": "NEW",
            "awb": None,
            "pickup_location": order.pickup_location,
        }
        self.orders[order.order_id] = record
        return record, True

    def create_forward_shipment(
        self, order: ShiprocketOrder, *, courier_id: int, request_pickup: bool = True, print_label: bool = True
    ) -> ForwardShipmentResult:
        self.calls["wrapper"] += 1
        record, created = self._create(order)
        base = {"sr_order_id": record["sr_order_id"], "shipment_id": record["shipment_id"], "order_created": created}
        if record["status"] == "CANCELED":
            return ForwardShipmentResult(**base, awb_refusal="order is in cancelled state")
        if courier_id in self.refusing or self.fail_wrapper_after_create:
            return ForwardShipmentResult(**base, awb_refusal=self.refusing.get(courier_id, "courier timed out"))
        awb = self._awb(record, courier_id)
        return ForwardShipmentResult(
            **base,
            awb=awb,
            pickup=PickupResult(pickup_scheduled_date="2025-01-12 10:00:00", pickup_token_number="Ref 1"),
            label=LabelResult(label_url=f"https://labels.example/{record['shipment_id']}.pdf"),
        )

    def create_adhoc_order(self, order: ShiprocketOrder) -> CreatedOrder:
        self.calls["adhoc"] += 1
        record, _ = self._create(order)
        status_code = 5 if record["status"] == "CANCELED" else 1
        return CreatedOrder(
            sr_order_id=record["sr_order_id"],
            shipment_id=record["shipment_id"],
            status=record["status"],
            status_code=status_code,
        )

    def assign_awb(self, shipment_id: int, courier_id: int) -> AwbAssignment:
        self.calls["assign"] += 1
        record = self._by_shipment(shipment_id)
        if record["awb"]:
            raise AwbAlreadyAssigned(shipment_id, "AWB is already assigned")
        if courier_id in self.refusing:
            raise AwbRefused(courier_id, self._name(courier_id), self.refusing[courier_id])
        return self._answer("assign", self._awb(record, courier_id))

    def _by_shipment(self, shipment_id: int) -> dict[str, Any]:
        return next(r for r in self.orders.values() if r["shipment_id"] == shipment_id)

    def _answer(self, step: str, answer: Any) -> Any:
        if step in self.lose_answer:
            self.lose_answer.discard(step)
            raise TransientError(f"shiprocket {step}: ReadTimeout")
        return answer

    def _awb(self, record: dict[str, Any], courier_id: int) -> AwbAssignment:
        record["awb"] = f"AWB{record['shipment_id']}"
        record["courier_id"] = courier_id
        return AwbAssignment(awb_code=record["awb"], courier_company_id=courier_id, courier_name=self._name(courier_id))

    def _name(self, courier_id: int) -> str:
        return next(
            (q.courier_name for q in self.quotes if q.courier_company_id == courier_id), f"courier {courier_id}"
        )

    def generate_pickup(self, shipment_id: int) -> PickupResult:
        self.calls["pickup"] += 1
        record = self._by_shipment(shipment_id)
        if record.get("pickup"):
            return PickupResult(already_requested=True)
        record["pickup"], record["status"] = True, "PICKUP SCHEDULED"
        return self._answer(
            "pickup", PickupResult(pickup_scheduled_date="2025-01-12 10:00:00", pickup_token_number="Ref 2")
        )

    def generate_label(self, shipment_id: int) -> LabelResult:
        self.calls["label"] += 1
        return self._answer("label", LabelResult(label_url=f"https://labels.example/{shipment_id}.pdf"))

    def cancel_awbs(self, awbs: Sequence[str]) -> None:
        self.calls["cancel_awbs"] += 1
        for record in self.orders.values():
            if record["awb"] in awbs:
                record["awb_cancelled"] = True
        self._answer("cancel_awbs", None)

    def cancel_orders(self, sr_order_ids: Sequence[int]) -> None:
        self.calls["cancel_orders"] += 1
        for record in self.orders.values():
            if record["sr_order_id"] in sr_order_ids:
                # Shiprocket may answer before it is done: the order reads "requested" for that many reads first.
                pending = self.cancel_settle_reads
                record["status"] = "CANCELLATION REQUESTED" if pending else "CANCELED"
                record["cancel_reads_left"] = pending
        self._answer("cancel_orders", None)

    def ndr_action(self, awb: str, action: str, comments: str) -> None:
        self.calls["ndr_action"] += 1
        self.ndr_actions.append((awb, action))

    def update_delivery_address(self, sr_order_id: int, order: ShiprocketOrder) -> None:
        self.calls["update_address"] += 1
        self.address_updates.append((sr_order_id, order.delivery_postcode))

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        self.calls["get_order"] += 1
        record = next(r for r in self.orders.values() if r["sr_order_id"] == sr_order_id)
        if record.get("cancel_reads_left"):
            record["cancel_reads_left"] -= 1
        elif record["status"] == "CANCELLATION REQUESTED":
            record["status"] = "CANCELED"
        courier_id = record.get("courier_id")
        return ShiprocketOrderDetails(
            sr_order_id=sr_order_id,
            status=record["status"],
            status_code=record.get("status_code"),
            awb=record["awb"],
            courier_id=courier_id,
            courier_name=self._name(courier_id) if courier_id else None,
        )


class FakeZoho:
    def __init__(self, salesorders: Sequence[ZohoSalesOrder], items: Sequence[ZohoItem] = ()) -> None:
        self.salesorders = {so.salesorder_id: so for so in salesorders}
        self.items = {item.item_id: item for item in items}
        self.custom_fields: dict[str, dict[str, str]] = {}
        self.packages: dict[str, list[tuple[str, float]]] = {}
        self.shipments: dict[str, dict[str, str]] = {}
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(5000)

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        self.calls["get_salesorder"] += 1
        return self.salesorders[salesorder_id].model_copy(deep=True)

    def get_item(self, item_id: str) -> ZohoItem:
        self.calls["get_item"] += 1
        return self.items[item_id]

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None:
        self.calls["update_salesorder"] += 1
        self.custom_fields.setdefault(salesorder_id, {}).update(values)

    def create_package(
        self, salesorder_id: str, *, package_number: str, date: str, line_items: Sequence[tuple[str, float]]
    ) -> str:
        self.calls["create_package"] += 1
        package_id = str(next(self._ids))
        self.packages[package_id] = list(line_items)
        so = self.salesorders[salesorder_id]
        so.packages.append(ZohoPackageRef(package_id=package_id, package_number=package_number))
        return package_id

    def create_shipment_order(
        self,
        salesorder_id: str,
        package_id: str,
        *,
        shipment_number: str,
        date: str,
        tracking_number: str,
        delivery_method: str,
        tracking_link: str | None = None,
    ) -> str:
        self.calls["create_shipment"] += 1
        shipment_id = str(next(self._ids))
        self.shipments[shipment_id] = {
            "package_id": package_id,
            "tracking_number": tracking_number,
            "tracking_link": tracking_link,
        }
        return shipment_id

    def delete_shipment_order(self, shipment_id: str) -> bool:
        self.calls["delete_shipment"] += 1
        return self.shipments.pop(shipment_id, None) is not None

    def delete_package(self, package_id: str) -> bool:
        self.calls["delete_package"] += 1
        assert not any(s["package_id"] == package_id for s in self.shipments.values()), "shipment goes first"
        for so in self.salesorders.values():
            so.packages = [p for p in so.packages if p.package_id != package_id]
        return self.packages.pop(package_id, None) is not None


class RecordingAlerts:
    def __init__(self) -> None:
        self.pages: list[dict[str, Any]] = []

    def page(self, subject: str, message: str, *, kind: str, correlation_id: str | None = None) -> None:
        self.pages.append({"subject": subject, "message": message, "kind": kind, "correlation_id": correlation_id})


class CountingMetrics:
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()

    def count(self, name: str, value: int = 1) -> None:
        self.counts[name] += value


def order_job(
    zoho: Any,
    shiprocket: Any,
    ledger: ShipmentLedgerPort,
    alerts: RecordingAlerts,
    metrics: CountingMetrics,
    now: datetime | None = None,
) -> OrderConfirmedJob:
    """The order job over fakes, with the default courier rules, pickup "Primary" at 411001 and a fixed clock."""
    moment = now or datetime(2025, 1, 11, 10, 0, tzinfo=UTC)
    return OrderConfirmedJob(
        zoho=zoho,
        shiprocket=shiprocket,
        ledger=ledger,
        metrics=metrics,
        rules=CourierRules.default,
        options=MappingOptions(pickup_location="Primary"),
        pickup_postcode="411001",
        alerts=alerts,
        clock=lambda: moment,
    )


class RecordingRefreshes:
    """The outcome policy's token refresh, recorded: (provider, token version) per rejected token."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, int | None]] = []

    def __call__(self, err: TokenRejected) -> None:
        self.requests.append((err.provider, err.version))


def outcome_policy(
    alerts: RecordingAlerts, metrics: CountingMetrics, refreshes: RecordingRefreshes | None = None
) -> OutcomePolicy:
    """The production outcome policy over fakes: what every worker's entry point applies."""
    return OutcomePolicy(alerts=alerts, metrics=metrics, refresh_token=refreshes or RecordingRefreshes())
