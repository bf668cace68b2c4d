"""Items re-weighed again and again (issue 14): an item in ``repeat_threshold`` or more of the weight discrepancies
of the wallet watch's window is paged once as "fix the item's weight in Zoho", with the weight the couriers charge.

The weights are the statement row's (``applied_weight``, ``charged_weight``: the whole parcel's, docs/providers/
shiprocket.md §17) and what the parcel holds is its Shiprocket order's ``products`` (``orders/show``, §14: each
parcel of a split order is an order of its own). Only a parcel that holds one item tells that item's weight: its
charged weight over its units. An item only ever packed with others is named with its parcels, since the couriers'
weight of it cannot be told apart from theirs.

``repeat_offenders`` is pure. ``ItemWeightAdvisor`` is the wallet watch's ``advise`` hook: it reads each order at
Shiprocket once (the ledger keeps what it held, ``parcel_contents``) and makes no Zoho call, Zoho's daily budget
being the scarce one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from statistics import median
from typing import Any, Protocol

from aws_lambda_powertools import Logger

from shipsync.domain.models import ShiprocketOrderDetails
from shipsync.errors import ProviderRequestError
from shipsync.freight.watch import Discrepancy
from shipsync.ledger.records import AwbRecord
from shipsync.ports import Alerts, MetricsSink

logger = Logger(child=True)


@dataclass(frozen=True)
class ParcelItem:
    sku: str
    name: str
    units: int


@dataclass(frozen=True)
class Parcel:
    """A re-weighed parcel: its AWB, its discrepancy's weights (the whole parcel's) and what it holds."""

    awb: str
    declared_kg: float
    charged_kg: float
    items: tuple[ParcelItem, ...]

    def describe(self) -> str:
        held = " + ".join(f"{item.units} x {item.sku} ({item.name})" for item in self.items)
        return f"AWB {self.awb}: {held}; declared {_kg(self.declared_kg)} kg, charged {_kg(self.charged_kg)} kg"


@dataclass(frozen=True)
class ItemFinding:
    """An item of ``parcels`` (each holding it) and, when some hold it alone, the median per-unit weights of
    those: what the couriers charge and what was declared (the order's weight, from Zoho)."""

    sku: str
    name: str
    parcels: tuple[Parcel, ...]
    charged_per_unit_kg: float | None
    declared_per_unit_kg: float | None

    @property
    def mark_key(self) -> str:
        """Paged once per item and measured weight: a weight that moves is news, the same one is not."""
        measured = "mixed" if self.charged_per_unit_kg is None else _kg(self.charged_per_unit_kg)
        return f"ITEMWEIGHT#{self.sku.casefold()}#{measured}"


def repeat_offenders(parcels: Iterable[Parcel], repeat_threshold: int) -> list[ItemFinding]:
    """The items held by ``repeat_threshold`` or more of ``parcels``, most re-weighed first. A parcel charged twice
    counts once, at its heavier charge. SKUs are compared without case, as Shiprocket does (``orders.mapping``)."""
    by_awb: dict[str, Parcel] = {}
    for parcel in parcels:
        kept = by_awb.get(parcel.awb)
        if kept is None or parcel.charged_kg > kept.charged_kg:
            by_awb[parcel.awb] = parcel
    holding: dict[str, list[tuple[Parcel, ParcelItem]]] = {}
    for parcel in by_awb.values():
        for item in _merged(parcel.items):
            holding.setdefault(item.sku.casefold(), []).append((parcel, item))
    findings = [_finding(seen) for seen in holding.values() if len(seen) >= repeat_threshold]
    return sorted(findings, key=lambda finding: (-len(finding.parcels), finding.sku.casefold()))


def _merged(items: Iterable[ParcelItem]) -> list[ParcelItem]:
    """One entry per SKU: a SKU listed twice in a parcel is one item line of the sum of its units."""
    merged: dict[str, ParcelItem] = {}
    for item in items:
        key = item.sku.casefold()
        kept = merged.get(key)
        merged[key] = item if kept is None else ParcelItem(kept.sku, kept.name, kept.units + item.units)
    return list(merged.values())


def _finding(seen: list[tuple[Parcel, ParcelItem]]) -> ItemFinding:
    alone = [(parcel, item) for parcel, item in seen if len(_merged(parcel.items)) == 1]
    first = seen[0][1]
    return ItemFinding(
        sku=first.sku,
        name=first.name,
        parcels=tuple(parcel for parcel, _ in seen),
        charged_per_unit_kg=median(p.charged_kg / item.units for p, item in alone) if alone else None,
        declared_per_unit_kg=median(p.declared_kg / item.units for p, item in alone) if alone else None,
    )


def advice_text(finding: ItemFinding, lookback_days: int) -> tuple[str, str]:
    """The page's subject and message."""
    raised = (
        f"SKU {finding.sku} ({finding.name}) raised {len(finding.parcels)} weight discrepancies in the last "
        f"{lookback_days} days"
    )
    parcels = "Parcels:\n" + "\n".join(parcel.describe() for parcel in finding.parcels)
    subject = f"Fix the item's weight in Zoho: SKU {finding.sku} ({finding.name})"
    if finding.charged_per_unit_kg is None or finding.declared_per_unit_kg is None:
        return subject, (
            f"Fix the item's weight in Zoho: {raised}, each time packed with other items, so the couriers' weight "
            "of one unit cannot be told apart from theirs. Weigh a packed unit and check the item's weight in Zoho "
            f"Inventory.\n{parcels}"
        )
    return subject, (
        f"Fix the item's weight in Zoho: {raised}; couriers charge ~{_kg(finding.charged_per_unit_kg)} kg per "
        f"unit, Zoho declares {_kg(finding.declared_per_unit_kg)} kg.\n"
        "Weigh a packed unit and correct the item's weight in Zoho Inventory: later orders then declare what the "
        "couriers charge. The discrepancies already charged are paged with their dispute deadlines "
        "(WeightDiscrepancy).\n"
        f"AWBs: {', '.join(parcel.awb for parcel in finding.parcels)}\n{parcels}"
    )


def _kg(weight: float) -> str:
    return f"{round(weight, 3):g}"


# ------------------------------------------------------------------------------ the advisor


class OrderContentsApi(Protocol):
    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails: ...


class AdviceLedger(Protocol):
    def find_by_awb(self, awb: str) -> AwbRecord | None: ...

    def mark_once(self, key: str) -> bool: ...

    def parcel_contents(self, sr_order_id: int, read: Callable[[], list[dict[str, Any]]]) -> list[dict[str, Any]]:
        """What the order's parcel holds: ``read`` the first time, kept for every later ask."""


@dataclass(frozen=True)
class ItemWeightSettings:
    repeat_threshold: int = 2
    # The wallet watch's look-back window, which the page names.
    lookback_days: int = 7


class ItemWeightAdvisor:
    """The wallet watch's ``advise`` hook: the window's discrepancies in, each item found paged once; returns how
    many were paged (metric ``ItemWeightAdvice``)."""

    def __init__(
        self,
        shiprocket: OrderContentsApi,
        ledger: AdviceLedger,
        alerts: Alerts,
        metrics: MetricsSink,
        settings: ItemWeightSettings,
    ) -> None:
        self._shiprocket = shiprocket
        self._ledger = ledger
        self._alerts = alerts
        self._metrics = metrics
        self._settings = settings

    def __call__(self, discrepancies: list[Discrepancy]) -> int:
        parcels = [parcel for discrepancy in discrepancies if (parcel := self._parcel(discrepancy)) is not None]
        paged = 0
        for finding in repeat_offenders(parcels, self._settings.repeat_threshold):
            if not self._ledger.mark_once(finding.mark_key):
                continue
            subject, message = advice_text(finding, self._settings.lookback_days)
            self._alerts.page(subject, message, kind="ItemWeight", correlation_id=finding.sku)
            paged += 1
        if paged:
            self._metrics.count("ItemWeightAdvice", paged)
        logger.info("item weight advice", extra={"parcels": len(parcels), "paged": paged})
        return paged

    def _parcel(self, discrepancy: Discrepancy) -> Parcel | None:
        sr_order_id = discrepancy.sr_order_id
        if sr_order_id is None:
            # A row without the order's id (the panel's CSV may leave it out): the AWB the ledger shipped says it.
            record = self._ledger.find_by_awb(discrepancy.awb)
            sr_order_id = record.sr_order_id if record is not None else None
        if sr_order_id is None:
            logger.warning(
                "re-weighed parcel of no known order: left out of the advice", extra={"awb": discrepancy.awb}
            )
            return None
        lines = self._ledger.parcel_contents(sr_order_id, lambda: self._read(sr_order_id))
        return Parcel(
            awb=discrepancy.awb,
            declared_kg=discrepancy.declared_kg,
            charged_kg=discrepancy.charged_kg,
            items=tuple(ParcelItem(line["sku"], line["name"], int(line["quantity"])) for line in lines),
        )

    def _read(self, sr_order_id: int) -> list[dict[str, Any]]:
        """The order's products; a charged parcel holds something, so an answer without them is unreadable, never
        "no items" (which would keep the parcel out of every count)."""
        order = self._shiprocket.get_order(sr_order_id)
        if not order.products:
            raise ProviderRequestError(
                "shiprocket", f"orders/show {sr_order_id} lists no readable products", http_status=200
            )
        return [product.model_dump() for product in order.products]
