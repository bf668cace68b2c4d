"""The day as the replay reads it: the statuses orders end in, the files loaded back, a day cut to some orders."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).resolve().parents[2] / "events" / "sample_day"

SHIPPED = "Pickup Scheduled"
INVALID = "Invalid Order"
UNSERVICEABLE = "Serviceability Failed"
# What cf_shipment_status ends as once the parcel's lifecycle is over.
DELIVERED = "Delivered"
RETURNED = "Returned"
LOST = "Lost"
FINAL_BY_LIFECYCLE = {
    "delivered": DELIVERED,
    "ndr_then_delivered": DELIVERED,
    "rto": RETURNED,
    "ndr_then_rto": RETURNED,
    "lost": LOST,
}
CANCELLED = "Cancelled"
RTO_LIFECYCLES = frozenset({"rto", "ndr_then_rto"})
NDR_LIFECYCLES = frozenset({"ndr_then_delivered", "ndr_then_rto"})
DELIVERED_LIFECYCLES = frozenset({"delivered", "ndr_then_delivered"})


def lifecycle_summary(orders: list[dict[str, Any]]) -> dict[str, Any]:
    """The day's totals after the parcels' lifecycles (recomputed for a subset of the orders)."""
    restocks = [o["restock"] for o in orders if o.get("restock")]
    return {
        "final": dict(sorted(Counter(o["final"] for o in orders).items())),
        "lifecycles": dict(sorted(Counter(o["lifecycle"] for o in orders if o.get("lifecycle")).items())),
        "sales_returns": len(restocks),
        "receives": len(restocks),
        "credit_notes": sum(1 for r in restocks if r["credit_note"]),
        "units_restocked": sum(line["quantity"] for r in restocks for line in r["lines"]),
        "cancelled_before_pickup": sum(1 for o in orders if o.get("change") == "cancel"),
        "address_changes": sum(1 for o in orders if o.get("change") == "address"),
        "remitted_orders": sum(1 for o in orders if o.get("remittance")),
        "unremitted_delivered_cod": sum(
            1 for o in orders if o["payment"] == "COD" and o["final"] == DELIVERED and not o.get("remittance")
        ),
    }


@dataclass(frozen=True)
class SampleDay:
    zoho_seed: dict[str, Any]
    shiprocket_seed: dict[str, Any]
    webhooks: list[dict[str, Any]]
    expected: dict[str, Any]
    tracking: dict[str, Any]

    def rule_path_orders(self) -> set[str]:
        """One order per path beyond the plain happy one: every failure, every repeated
        delivery, the first heavy COD parcel (the heavy rule outranks the COD rules), the first
        repeated SKU, then one invoiced RTO, the lost parcel, one NDR, the customer return and one re-weighed
        parcel.
        Small enough to replay in seconds under Zoho's request budget."""
        orders = self.expected["orders"]
        picked = {
            o["salesorder_number"]
            for o in orders
            if o["expect"] != SHIPPED or o["salesorder_number"] in self.expected["repeated_deliveries"]
        }
        shipped = [o for o in orders if o["expect"] == SHIPPED]
        picked.add(next(o["salesorder_number"] for o in shipped if o["heavy"] and o["payment"] == "COD"))
        picked.add(next(o["salesorder_number"] for o in shipped if o["repeated_sku"]))
        picked.add(next(o["salesorder_number"] for o in shipped if o["lifecycle"] == "rto" and o["invoice"]))
        picked.add(next(o["salesorder_number"] for o in shipped if o["lifecycle"] == "lost"))
        picked.add(next(o["salesorder_number"] for o in shipped if o["lifecycle"] in NDR_LIFECYCLES))
        picked.add(self.tracking["customer_return"]["salesorder_number"])
        # One parcel the courier re-weighs (a weight discrepancy in the wallet).
        reweighed = self.shiprocket_seed.get("weight_discrepancies", {})
        picked.add(next(o["salesorder_number"] for o in shipped if o["salesorder_number"] in reweighed))
        # One seller's cancellation and the address change.
        changes = self.tracking.get("changes", [])
        picked.update(
            next(c["salesorder_number"] for c in changes if c["kind"] == kind) for kind in {c["kind"] for c in changes}
        )
        return picked

    def only(self, numbers: set[str]) -> SampleDay:
        """The same day restricted to some sales orders (their deliveries keep their order)."""
        ids = {so["salesorder_id"] for so in self.zoho_seed["salesorders"] if so["salesorder_number"] in numbers}
        orders = [o for o in self.expected["orders"] if o["salesorder_number"] in numbers]
        customer_return = self.tracking["customer_return"]
        remittance = self.tracking["remittance"]
        return SampleDay(
            zoho_seed={
                **self.zoho_seed,
                "salesorders": [so for so in self.zoho_seed["salesorders"] if so["salesorder_id"] in ids],
                "invoices": [i for i in self.zoho_seed.get("invoices", []) if i["salesorder_id"] in ids],
            },
            shiprocket_seed=self.shiprocket_seed,
            webhooks=[hook for hook in self.webhooks if hook["salesorder_number"] in numbers],
            expected={
                **self.expected,
                "orders": orders,
                "webhook_deliveries": sum(1 for hook in self.webhooks if hook["salesorder_number"] in numbers),
                "repeated_deliveries": {
                    number: count for number, count in self.expected["repeated_deliveries"].items() if number in numbers
                },
                "lifecycle_summary": lifecycle_summary(orders),
                # Part of the day costs part of the wallet: it ends well above a day's need.
                "wallet_low_at_day_end": False,
            },
            tracking={
                **self.tracking,
                "lifecycles": {n: name for n, name in self.tracking["lifecycles"].items() if n in numbers},
                "customer_return": customer_return if customer_return["salesorder_number"] in numbers else None,
                "changes": [c for c in self.tracking.get("changes", []) if c["salesorder_number"] in numbers],
                "remittance": {
                    **remittance,
                    "batches": [
                        {**batch, "orders": [n for n in batch["orders"] if n in numbers]}
                        for batch in remittance["batches"]
                        if any(n in numbers for n in batch["orders"])
                    ],
                },
            },
        )


def load(directory: Path = DATA_DIR) -> SampleDay:
    return from_documents(
        {path.name: json.loads(path.read_text(encoding="utf-8")) for path in directory.glob("*.json")}
    )


def from_documents(documents: Mapping[str, Any]) -> SampleDay:
    """The day from its files' documents (keyed by file name), as ``load`` reads them or ``generate`` makes them."""
    return SampleDay(
        zoho_seed=documents["zoho_seed.json"],
        shiprocket_seed=documents["shiprocket_seed.json"],
        webhooks=documents["webhooks.json"],
        expected=documents["expected.json"],
        tracking=documents["tracking.json"],
    )


def render(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
