"""What each order really earned (issue 14): its invoice value less what shipping it cost, from the wallet
statement's rows, and the totals a seller changes the courier rules with.

Pure. The caller gives the statement's rows (``freight.statement``) and, for each shipment they name, what the
ledger knows of it (``ShipmentFacts``). Every row is either attributed to a shipment or listed as unattributed,
so the report's rows add up to the wallet's movements to the paisa (``Reconciliation``): nothing is dropped and
nothing is guessed. A wallet recharge is the seller's own money moving, not a cost: it is counted apart.

What a line means:
- ``invoice``: the shipment's order value (a parcel's own value); a shipment replaced by another for the same
  parcel (an AWB cancelled and re-assigned, an order shipped again) is not counted twice.
- ``earned``: the invoice of what reached, or is on its way to, the buyer; nothing for an RTO, a cancellation or
  a loss.
- ``cod_collected``: the order value of a delivered COD shipment, what the courier collected.
- the costs, each the sum of its rows (a reversal is negative: money back); ``shipping_cost`` is their sum.
- ``cod_deductions``: what a COD remittance withheld (``AwbRecord.charges_paise``), money the seller did not get.
- ``net`` = earned - shipping_cost - cod_deductions.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum

from shipsync.freight.statement import RowKind, WalletRow
from shipsync.remittance.money import Paise, rupees


class Outcome(StrEnum):
    DELIVERED = "delivered"
    IN_TRANSIT = "in_transit"
    RTO = "rto"
    CANCELLED = "cancelled"
    LOST = "lost"
    # A customer return's own shipment back to the warehouse: a cost of the order, never its value.
    RETURN = "return"


EARNING = frozenset({Outcome.DELIVERED, Outcome.IN_TRANSIT})
# A courier, tier or payment method the ledger does not know.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class ShipmentFacts:
    """One shipment as the ledger knows it."""

    awb: str
    salesorder_number: str
    courier: str
    # "tier-1", "tier-2/3", or "unknown" when the destination is not known.
    tier: str
    payment_method: str
    invoice_paise: Paise
    outcome: Outcome
    # 0: the order's only shipment; n: its parcel n. Two shipments of one parcel are one replacing the other.
    parcel: int = 0
    cod_deductions_paise: Paise = 0


@dataclass
class Money:
    invoice: Paise = 0
    earned: Paise = 0
    cod_collected: Paise = 0
    freight: Paise = 0
    cod_fee: Paise = 0
    rto_freight: Paise = 0
    weight_adjustments: Paise = 0
    reversals: Paise = 0
    cod_deductions: Paise = 0

    @property
    def shipping_cost(self) -> Paise:
        return self.freight + self.cod_fee + self.rto_freight + self.weight_adjustments + self.reversals

    @property
    def net(self) -> Paise:
        return self.earned - self.shipping_cost - self.cod_deductions

    def add(self, other: Money) -> None:
        for name in _MONEY_FIELDS:
            setattr(self, name, getattr(self, name) + getattr(other, name))

    def as_dict(self) -> dict[str, Paise]:
        return {**asdict(self), "shipping_cost": self.shipping_cost, "net": self.net}


_MONEY_FIELDS = tuple(f.name for f in fields(Money))
_COST_FIELD = {
    RowKind.FREIGHT: "freight",
    RowKind.COD_FEE: "cod_fee",
    RowKind.RTO_FREIGHT: "rto_freight",
    RowKind.WEIGHT_ADJUSTMENT: "weight_adjustments",
    RowKind.REVERSAL: "reversals",
}


@dataclass
class OrderMargin:
    salesorder_number: str
    awbs: list[str] = field(default_factory=list)
    couriers: list[str] = field(default_factory=list)
    tier: str = "unknown"
    payment_method: str = "unknown"
    outcomes: list[str] = field(default_factory=list)
    money: Money = field(default_factory=Money)

    def as_dict(self) -> dict[str, object]:
        return {
            "salesorder_number": self.salesorder_number,
            "awbs": self.awbs,
            "couriers": self.couriers,
            "tier": self.tier,
            "payment_method": self.payment_method,
            "outcomes": self.outcomes,
            **self.money.as_dict(),
        }


@dataclass
class GroupTotal:
    shipments: int = 0
    rtos: int = 0
    money: Money = field(default_factory=Money)
    # The whole shipping cost of the shipments that came back (forward and RTO freight, fees, adjustments).
    rto_cost: Paise = 0

    def as_dict(self) -> dict[str, object]:
        return {"shipments": self.shipments, "rtos": self.rtos, "rto_cost": self.rto_cost, **self.money.as_dict()}


@dataclass(frozen=True)
class Reconciliation:
    """Every non-recharge row is in ``attributed`` or ``unattributed``: their sum is the wallet's net debit."""

    wallet_movement: Paise
    attributed: Paise
    unattributed: Paise
    recharges: Paise

    @property
    def balanced(self) -> bool:
        return self.attributed + self.unattributed == self.wallet_movement


@dataclass
class MarginReport:
    orders: list[OrderMargin]
    by_courier: dict[str, GroupTotal]
    by_tier: dict[str, GroupTotal]
    by_payment: dict[str, GroupTotal]
    total: Money
    unattributed: list[WalletRow]
    reconciliation: Reconciliation

    def courier_history(self) -> dict[str, dict[str, float | int]]:
        """Each courier's record in the shape the courier rules' ``history`` takes (``orders.courier``): the
        share of its shipments that came back, and what one of those cost, in rupees."""
        return {
            courier: {
                "shipments": total.shipments,
                "rto_rate": round(total.rtos / total.shipments, 4),
                # Refunds larger than a return's costs would make it negative, which the rules refuse.
                "rto_cost": float(rupees(max(total.rto_cost, 0) // total.rtos)) if total.rtos else 0.0,
            }
            for courier, total in sorted(self.by_courier.items())
            if total.shipments and courier != UNKNOWN
        }

    def as_dict(self) -> dict[str, object]:
        """Amounts in paise, as everywhere in shipsync (the CSV gives rupees)."""
        return {
            "orders": [order.as_dict() for order in self.orders],
            "by_courier": {key: total.as_dict() for key, total in self.by_courier.items()},
            "by_tier": {key: total.as_dict() for key, total in self.by_tier.items()},
            "by_payment": {key: total.as_dict() for key, total in self.by_payment.items()},
            "total": self.total.as_dict(),
            "courier_history": self.courier_history(),
            "unattributed": [
                {
                    "transaction_id": row.transaction_id,
                    "kind": row.kind.value,
                    "amount": row.amount_paise,
                    "awb": row.awb,
                    "order": row.channel_order_id or row.sr_order_id,
                }
                for row in self.unattributed
            ],
            "reconciliation": {**asdict(self.reconciliation), "balanced": self.reconciliation.balanced},
        }


CSV_COLUMNS = (
    "salesorder_number",
    "awbs",
    "couriers",
    "tier",
    "payment_method",
    "outcomes",
    *_MONEY_FIELDS,
    "shipping_cost",
    "net",
)


def to_csv(report: MarginReport) -> str:
    """One row per order, amounts in rupees with two decimals, several AWBs or couriers joined by ``|``."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for order in report.orders:
        row = order.as_dict()
        writer.writerow(
            [
                "|".join(value) if isinstance(value := row[column], list) else _csv_value(column, value)
                for column in CSV_COLUMNS
            ]
        )
    return out.getvalue()


def _csv_value(column: str, value: object) -> str:
    if column in _MONEY_FIELDS or column in ("shipping_cost", "net"):
        assert isinstance(value, int)
        return f"{rupees(value):.2f}"
    return str(value)


def margin_report(rows: Iterable[WalletRow], facts_of: Callable[[WalletRow], ShipmentFacts | None]) -> MarginReport:
    """``facts_of``: the shipment a row belongs to, or None when the ledger knows none."""
    shipments: dict[str, ShipmentFacts] = {}
    costs: dict[str, Money] = {}
    unattributed: list[WalletRow] = []
    movement = attributed = unattributed_paise = recharges = 0
    for row in rows:
        if row.kind is RowKind.RECHARGE:
            recharges += -row.amount_paise
            continue
        movement += row.amount_paise
        facts = facts_of(row) if row.kind in _COST_FIELD else None
        if facts is None:
            unattributed.append(row)
            unattributed_paise += row.amount_paise
            continue
        shipments[facts.awb] = facts
        money = costs.setdefault(facts.awb, Money())
        name = _COST_FIELD[row.kind]
        setattr(money, name, getattr(money, name) + row.amount_paise)
        attributed += row.amount_paise

    orders: dict[str, OrderMargin] = {}
    groups: tuple[dict[str, GroupTotal], dict[str, GroupTotal], dict[str, GroupTotal]] = ({}, {}, {})
    total = Money()
    counted = _counted_shipments(shipments.values())
    for awb, facts in sorted(shipments.items(), key=lambda item: (item[1].salesorder_number, item[0])):
        money = costs[awb]
        if awb in counted:
            money.invoice = facts.invoice_paise
            money.earned = facts.invoice_paise if facts.outcome in EARNING else 0
            delivered_cod = facts.outcome is Outcome.DELIVERED and facts.payment_method == "COD"
            money.cod_collected = facts.invoice_paise if delivered_cod else 0
            money.cod_deductions = facts.cod_deductions_paise
        order = orders.setdefault(facts.salesorder_number, OrderMargin(facts.salesorder_number))
        order.awbs.append(awb)
        if facts.courier not in order.couriers:
            order.couriers.append(facts.courier)
        order.tier, order.payment_method = facts.tier, facts.payment_method
        order.outcomes.append(facts.outcome.value)
        order.money.add(money)
        total.add(money)
        for group, key in zip(groups, (facts.courier, facts.tier, facts.payment_method), strict=True):
            line = group.setdefault(key, GroupTotal())
            # A courier's record counts the parcels it took out (its RTO rate); a return's cost still counts.
            line.shipments += facts.outcome is not Outcome.RETURN
            line.money.add(money)
            if facts.outcome is Outcome.RTO:
                line.rtos += 1
                line.rto_cost += money.shipping_cost
    by_courier, by_tier, by_payment = (dict(sorted(group.items())) for group in groups)
    return MarginReport(
        orders=sorted(orders.values(), key=lambda order: order.salesorder_number),
        by_courier=by_courier,
        by_tier=by_tier,
        by_payment=by_payment,
        total=total,
        unattributed=unattributed,
        reconciliation=Reconciliation(movement, attributed, unattributed_paise, recharges),
    )


def _counted_shipments(shipments: Iterable[ShipmentFacts]) -> set[str]:
    """The shipment whose value counts for each parcel of each order: one not cancelled, else any (the cancelled
    order then earns nothing), so a re-assigned AWB or a re-ship does not count an order's value twice."""
    chosen: dict[tuple[str, int], ShipmentFacts] = {}
    for facts in sorted((f for f in shipments if f.outcome is not Outcome.RETURN), key=lambda f: f.awb):
        key = (facts.salesorder_number, facts.parcel)
        held = chosen.get(key)
        if held is None or (held.outcome is Outcome.CANCELLED and facts.outcome is not Outcome.CANCELLED):
            chosen[key] = facts
    return {facts.awb for facts in chosen.values()}
