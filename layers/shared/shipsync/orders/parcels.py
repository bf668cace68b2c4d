"""How many Shiprocket orders a sales order becomes: one per Zoho location its lines leave from, and within a
location one per box when the goods exceed the courier rules' parcel limit (issue 13).

Shiprocket publishes no multi-piece order: one order is one parcel with one AWB (docs/providers/shiprocket.md
§3), so a sales order shipped as several is several orders, ``SO-00042-1``, ``SO-00042-2``… An order that fits
one box from one location ships as today, under its own number.

The plan is pure and deterministic (lines in Zoho's order, units packed first-fit in that order), and the job
records it before its first write: retries, duplicates and a later re-read ship exactly the parcels planned.

Money: the collectable amount (Zoho's total, or the unpacked share of it) is split over the parcels in
proportion to the GST-inclusive value of their units, in paise, the last parcel taking the rounding remainder,
so the parts add up to the invoice exactly and a COD buyer is never asked for the whole amount twice.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from shipsync.domain.models import ZohoItem, ZohoLineItem, ZohoSalesOrder
from shipsync.orders.courier import VOLUMETRIC_DIVISOR, ParcelLimit
from shipsync.orders.locations import PickupLocations, PickupPoint
from shipsync.orders.mapping import MappingOptions, line_amount, unit_dims_cm, unit_weight_kg, unpacked_share


class ParcelPlan(BaseModel):
    """One parcel of a sales order, as the ledger keeps it (``OrderRecord.parcels``)."""

    model_config = ConfigDict(frozen=True)

    parcel: int  # 1-based
    order_ref: str  # the Shiprocket order_id: SO-00042-1
    pickup_location: str
    pickup_postcode: str
    location_id: str | None = None
    location_name: str | None = None
    lines: dict[str, float]  # Zoho line_item_id -> units in this parcel
    amount_paise: int  # what this parcel collects (COD) or declares (prepaid)


@dataclass
class _Box:
    lines: dict[str, float]
    weight_kg: float = 0.0
    volume_cm3: float = 0.0
    longest: float = 0.0
    widest: float = 0.0
    tallest: float = 0.0

    def with_unit(self, weight: float, sides: tuple[float, float, float]) -> tuple[float, float]:
        """The chargeable weight and the longest side this box would have with one more such unit, by the box
        heuristic of ``orders.mapping`` (largest footprint, tall enough for the summed volume)."""
        longest, widest = max(self.longest, sides[0]), max(self.widest, sides[1])
        tallest = max(self.tallest, sides[2])
        volume = self.volume_cm3 + sides[0] * sides[1] * sides[2]
        box_volume = max(longest * widest * tallest, volume)
        return max(self.weight_kg + weight, box_volume / VOLUMETRIC_DIVISOR), longest

    def add(self, line_id: str, weight: float, sides: tuple[float, float, float]) -> None:
        self.lines[line_id] = self.lines.get(line_id, 0.0) + 1
        self.weight_kg += weight
        self.volume_cm3 += sides[0] * sides[1] * sides[2]
        self.longest, self.widest = max(self.longest, sides[0]), max(self.widest, sides[1])
        self.tallest = max(self.tallest, sides[2])


def plan_parcels(
    so: ZohoSalesOrder,
    items: Mapping[str, ZohoItem],
    options: MappingOptions,
    locations: PickupLocations,
    limit: ParcelLimit,
    *,
    order_ref: str | None = None,
) -> list[ParcelPlan]:
    """The parcels ``so`` ships as, for an order the mapping accepts (whole units: ``to_shiprocket_order`` is
    checked on the whole order first). One parcel keeps the sales order number as its reference; several are
    numbered after ``order_ref`` (the sales order number, or ``SO-…-R1`` when it ships again). A location with no
    pickup location raises ``NoPickupLocation`` (nothing is sent anywhere)."""
    groups: dict[str | None, list[ZohoLineItem]] = {}
    names: dict[str | None, str | None] = {}
    for line in so.line_items:
        if line.unpacked_quantity <= 0 or _is_service(line, items):
            continue
        location_id = line.location_id or so.location_id
        groups.setdefault(location_id, []).append(line)
        names.setdefault(location_id, line.location_name if line.location_id else so.location_name)
    boxes: list[tuple[PickupPoint, str | None, _Box]] = []
    for location_id, lines in groups.items():
        point = locations.point_for(location_id, names[location_id])
        boxes.extend((point, location_id, box) for box in _pack(lines, items, options, limit))
    if not boxes:
        # Nothing left to pack: the mapping names the problem (InvalidOrder) when the order is built.
        return []
    amounts = _split_paise(_collectable_paise(so), [_box_value(box.lines, so) for _, _, box in boxes])
    several = len(boxes) > 1
    base = order_ref or so.salesorder_number
    return [
        ParcelPlan(
            parcel=n,
            order_ref=f"{base}-{n}" if several else base,
            pickup_location=point.nickname,
            pickup_postcode=point.pincode,
            location_id=location_id,
            location_name=names[location_id],
            lines=box.lines,
            amount_paise=amount,
        )
        for n, ((point, location_id, box), amount) in enumerate(zip(boxes, amounts, strict=True), start=1)
    ]


def parcel_view(so: ZohoSalesOrder, plan: ParcelPlan) -> ZohoSalesOrder:
    """The sales order as parcel ``plan`` ships it: only its lines, each with its units (none packed yet) and its
    share of the line amount, and its part of the total. Shipping charge and order discount are the first
    parcel's (they are inside the total, so the parts still add up)."""
    lines = []
    for line in so.line_items:
        units = plan.lines.get(line.line_item_id)
        if not units:
            continue
        share = units / line.quantity
        lines.append(
            line.model_copy(
                update={
                    "quantity": units,
                    "quantity_packed": 0.0,
                    "quantity_shipped": None,
                    "item_total": line_amount(line) * share,
                }
            )
        )
    first = plan.parcel == 1
    return so.model_copy(
        update={
            "line_items": lines,
            "total": plan.amount_paise / 100,
            "shipping_charge": so.shipping_charge if first else None,
            "discount": so.discount if first else None,
        }
    )


def _is_service(line: ZohoLineItem, items: Mapping[str, ZohoItem]) -> bool:
    item = items.get(line.item_id) if line.item_id else None
    return item is not None and (item.product_type or "").casefold() == "service"


def _pack(
    lines: Sequence[ZohoLineItem], items: Mapping[str, ZohoItem], options: MappingOptions, limit: ParcelLimit
) -> list[_Box]:
    """First fit, unit by unit in line order: a unit goes in the open box unless it would take the box over the
    limit; then a new box starts. A unit over the limit on its own travels alone (the courier decides)."""
    boxes = [_Box(lines={})]
    for line in lines:
        item = items.get(line.item_id) if line.item_id else None
        weight = unit_weight_kg(item, options.default_item_weight_kg)
        sides = unit_dims_cm(item, options.default_box_cm)
        for _ in range(round(line.unpacked_quantity)):
            box = boxes[-1]
            chargeable, longest = box.with_unit(weight, sides)
            if box.lines and (chargeable > limit.max_weight_kg or longest > limit.max_side_cm):
                box = _Box(lines={})
                boxes.append(box)
            box.add(line.line_item_id, weight, sides)
    return [box for box in boxes if box.lines]


def _collectable_paise(so: ZohoSalesOrder) -> int:
    return round(round((so.total or 0.0) * unpacked_share(so), 2) * 100)


def _box_value(box: Mapping[str, float], so: ZohoSalesOrder) -> float:
    """The GST-inclusive value of a box's units (the weights of the split)."""
    value = 0.0
    for line in so.line_items:
        units = box.get(line.line_item_id)
        if units and line.quantity > 0:
            amount = line_amount(line) * units / line.quantity
            value += amount if so.is_inclusive_tax else amount * (1 + (line.tax_percentage or 0.0) / 100)
    return value


def _split_paise(total: int, weights: Sequence[float]) -> list[int]:
    """``total`` in parts proportional to ``weights`` (equal parts when they are all 0), adding up exactly."""
    whole = sum(weights)
    shares = [w / whole for w in weights] if whole > 0 else [1 / len(weights)] * len(weights)
    parts = [round(total * share) for share in shares[:-1]]
    return [*parts, total - sum(parts)]
