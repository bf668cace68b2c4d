"""The report's lifecycle part: final statuses, tracking webhooks, restocks and stock, Zoho calls per phase."""

from __future__ import annotations

from collections import Counter
from typing import Any

from local.sample_data import DELIVERED_LIFECYCLES, SHIPPED, SampleDay
from local.sample_day.records import (
    CHANGES_PHASE,
    CUSTOMER_RETURN_PHASE,
    SHIPROCKET_AUTH_ENDPOINTS,
    ZOHO_AUTH_ENDPOINTS,
    Baseline,
    DayStates,
    Lifecycles,
    Phase,
    api_total,
    ratio,
)
from local.sample_day.sims import ours, shipment_status

ZOHO_STATUS_WRITE = "PUT /inventory/v1/salesorders/{salesorder_id}"
ZOHO_DELIVERED_MARK = "POST /inventory/v1/shipmentorders/{shipment_id}/status/delivered"


def lifecycle_report(
    day: SampleDay, states: DayStates, baseline: Baseline, lifecycles: Lifecycles | None, confirm: Phase
) -> dict[str, Any]:
    """Final statuses, restocks, tracking webhooks and calls per phase; ``mismatches`` is popped by the caller."""
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    zoho = states.zoho
    orders = ours(zoho, set(expected))
    ran = lifecycles is not None
    mismatches: list[str] = list(lifecycles.problems if lifecycles else [])
    finals: Counter[str] = Counter()
    for number, want in sorted(expected.items()):
        status = shipment_status(orders.get(number))
        finals[status or "nothing"] += 1
        if ran and status != want["final"]:
            what = want["lifecycle"] or want["scenario"]
            mismatches.append(f"{number} ({what}): expected to end '{want['final']}', got '{status or 'nothing'}'")

    shipments = {s["salesorder_number"]: s for s in zoho["shipmentorders"] if s["salesorder_number"] in expected}
    if ran:
        for number, want in sorted(expected.items()):
            if want["lifecycle"] is None or number not in shipments:
                continue
            delivered = shipments[number].get("status") == "delivered"
            if delivered != (want["lifecycle"] in DELIVERED_LIFECYCLES):
                state = "marked" if delivered else "not marked"
                mismatches.append(f"{number} ({want['lifecycle']}): the Zoho shipment is {state} delivered")

    booking = lifecycles.return_booking if lifecycles else None
    if booking is not None and booking["status"] != 201:
        mismatches.append(
            f"customer return of {booking['request']['salesorder_number']} answered {booking['status']}: "
            f"{booking.get('error') or '?'}"
        )
    restocks, restock_problems = restocks_of(day, zoho, expected)
    if ran:
        mismatches.extend(restock_problems)
        mismatches.extend(_stock_mismatches(day, zoho, expected))

    hooks = states.shiprocket.get("webhooks", [])[baseline.tracking_webhooks :]
    refused = [hook for hook in hooks if hook.get("http_status") != 200]
    mismatches.extend(
        f"tracking webhook {hook['awb']} status {hook['shipment_status_id']} answered "
        f"{hook.get('http_status')}: {hook.get('error') or ''}".rstrip(": ")
        for hook in refused[:10]
    )
    phases = [confirm, *(lifecycles.phases if lifecycles else [])]
    tracking_phases = [phase for phase in phases[1:] if phase.name != CHANGES_PHASE]
    changes, change_problems = changes_of(day, states, phases)
    if ran:
        mismatches.extend(change_problems)
    status_puts = sum(phase.zoho_calls.get(ZOHO_STATUS_WRITE, 0) for phase in tracking_phases)
    # Each restock ends with one "Returned" write; the other writes come from tracking events.
    restock_writes = sum(1 for row in restocks if row["sales_returns"])
    tracking = {
        "webhooks_received": len(hooks),
        "accepted": len(hooks) - len(refused),
        "by_http_status": dict(sorted(Counter(str(hook.get("http_status")) for hook in hooks).items())),
        "duplicates": sum(1 for hook in hooks if hook.get("duplicate")),
        "na_scans": sum(1 for hook in hooks if _last_scan_status(hook) == "NA"),
        "string_ids": sum(1 for hook in hooks if isinstance(hook["payload"].get("shipment_status_id"), str)),
        "return_shipment": sum(1 for hook in hooks if hook.get("is_return")),
        "advance_calls": sum(phase.advance_calls for phase in tracking_phases),
        "zoho_status_writes": status_puts - restock_writes,
        "zoho_delivered_marks": sum(phase.zoho_calls.get(ZOHO_DELIVERED_MARK, 0) for phase in tracking_phases),
        "zoho_returned_writes": restock_writes,
    }
    return {
        "lifecycle": {
            "planned": day.expected["lifecycle_summary"]["lifecycles"],
            "final_status": dict(sorted(finals.items())),
            "expected_final_status": day.expected["lifecycle_summary"]["final"],
        },
        "tracking": tracking,
        "restocks": {
            "sales_returns": sum(row["sales_returns"] for row in restocks),
            "receives": sum(row["receives"] for row in restocks),
            "credit_notes": sum(row["credit_notes"] for row in restocks),
            "units_restocked": sum(row["units_received"] for row in restocks),
            "expected": {
                key: day.expected["lifecycle_summary"][key]
                for key in ("sales_returns", "receives", "credit_notes", "units_restocked")
            },
            "invoices_left_with_balance": [
                row["salesorder_number"]
                for row in restocks
                if row["kind"] == "rto" and row["invoice_balance"] is not None and row["invoice_balance"] > 0.005
            ],
            "orders": restocks,
        },
        "changes": changes,
        "customer_return": lifecycles.return_booking if lifecycles else None,
        "phases": [_phase_row(phase) for phase in phases],
        "zoho_calls_per_lifecycle": _calls_per_lifecycle(phases),
        "mismatches": mismatches,
    }


def changes_of(day: SampleDay, states: DayStates, phases: list[Phase]) -> tuple[dict[str, Any], list[str]]:
    """The sellers' cancellations and address edits: what Shiprocket and Zoho show, and the calls each cost."""
    planned = day.tracking.get("changes") or []
    cancels = sorted(c["salesorder_number"] for c in planned if c["kind"] == "cancel")
    edits = sorted(c["salesorder_number"] for c in planned if c["kind"] == "address")
    shiprocket, zoho = states.shiprocket, states.zoho
    cancelled = sorted(set(shiprocket.get("cancelled_orders", [])) & {c["salesorder_number"] for c in planned})
    updated = sorted({str(u["order_id"]) for u in shiprocket.get("address_updates", [])} & set(edits))
    left_in_zoho = sorted(
        {str(p["salesorder_number"]) for p in [*zoho.get("packages", []), *zoho.get("shipmentorders", [])]}
        & set(cancels)
    )
    problems = []
    if cancelled != cancels:
        problems.append(f"cancelled at Shiprocket: {cancelled}, expected {cancels}")
    if updated != edits:
        problems.append(f"address updated at Shiprocket: {updated}, expected {edits}")
    problems += [
        f"{number}: cancelled, but its Zoho package or shipment order is still there" for number in left_in_zoho
    ]
    phase = next((p for p in phases if p.name == CHANGES_PHASE), None)
    calls = None
    if phase is not None:
        calls = {
            "zoho": api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS),
            "shiprocket": api_total(phase.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS),
            "per_change": {
                "zoho": ratio(api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS), len(planned)),
                "shiprocket": ratio(api_total(phase.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS), len(planned)),
            },
        }
    summary = {
        "cancelled_before_pickup": {"expected": cancels, "cancelled": cancelled},
        "address_changes": {"expected": edits, "updated": updated},
        "calls": calls,
    }
    return summary, problems


def _last_scan_status(hook: dict[str, Any]) -> str | None:
    scans = hook["payload"].get("scans") or [{}]
    return str(scans[-1].get("sr-status")) if isinstance(scans[-1], dict) else None


def restocks_of(
    day: SampleDay, zoho: dict[str, Any], expected: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per order that must come back (what Zoho holds for it), and what differs from expected."""
    ids = {want["salesorder_id"]: number for number, want in expected.items()}
    returns: dict[str, list[dict[str, Any]]] = {}
    for salesreturn in zoho["salesreturns"]:
        returns.setdefault(str(salesreturn["salesorder_id"]), []).append(salesreturn)
    receives: dict[str, list[dict[str, Any]]] = {}
    for receive in zoho["salesreturnreceives"]:
        receives.setdefault(str(receive["salesreturn_id"]), []).append(receive)
    invoices = {str(invoice["invoice_id"]): invoice for invoice in zoho["invoices"]}
    rows, problems = [], []
    for salesorder_id, found in sorted(returns.items()):
        number = ids.get(salesorder_id)
        if number is not None and not expected[number]["restock"]:
            problems.append(f"{number}: {len(found)} sales return(s) for an order that must not come back")
    for number, want in sorted(expected.items()):
        restock = want["restock"]
        if not restock:
            continue
        found = returns.get(want["salesorder_id"], [])
        return_ids = {str(r["salesreturn_id"]) for r in found}
        invoice_id = (want["invoice"] or {}).get("invoice_id")
        notes = [
            note
            for note in zoho["creditnotes"]
            if str(note.get("salesreturn_id")) in return_ids or (invoice_id and note.get("invoice_id") == invoice_id)
        ]
        got_receives = [receive for rid in sorted(return_ids) for receive in receives.get(rid, [])]
        line_of = {str(line["line_item_id"]): line for r in found for line in r["line_items"]}
        returned: Counter[str] = Counter()
        for r in found:
            for line in r["line_items"]:
                returned[str(line["salesorder_item_id"])] += line["quantity"]
        received: Counter[str] = Counter()
        for receive in got_receives:
            for line in receive["line_items"]:
                received[str(line_of[str(line["salesreturn_item_id"])]["salesorder_item_id"])] += line["quantity"]
        wanted: Counter[str] = Counter()
        for line in restock["lines"]:
            wanted[line["salesorder_item_id"]] += line["quantity"]
        invoice = invoices.get(str(invoice_id)) if invoice_id else None
        balance = float(invoice["balance"]) if invoice is not None else None
        rows.append(
            {
                "salesorder_number": number,
                "kind": restock["kind"],
                "lifecycle": want["lifecycle"],
                "payment": want["payment"],
                "sales_returns": len(found),
                "receives": len(got_receives),
                "units_received": sum(received.values()),
                "credit_notes": len(notes),
                "credit_total": round(sum(float(note["total"]) for note in notes), 2),
                "invoice_balance": balance,
            }
        )
        what = f"{number} ({restock['kind']})"
        if len(found) != 1 or len(got_receives) != 1:
            problems.append(
                f"{what}: {len(found)} sales return(s) and {len(got_receives)} receive(s), expected 1 and 1"
            )
        if found and dict(returned) != dict(wanted):
            problems.append(f"{what}: returned {dict(returned)}, expected {dict(wanted)}")
        if got_receives and dict(received) != dict(wanted):
            problems.append(f"{what}: received {dict(received)} into stock, expected {dict(wanted)}")
        if len(notes) != (1 if restock["credit_note"] else 0):
            problems.append(f"{what}: {len(notes)} credit note(s), expected {1 if restock['credit_note'] else 0}")
        if restock["kind"] == "rto" and balance is not None and balance > 0.005:
            problems.append(f"{what}: invoice {invoice_id} left with a balance of {balance:.2f} after the RTO")
        unused = sum(float(note.get("balance") or 0) for note in notes)
        if restock["kind"] == "rto" and unused > 0.005:
            # The whole order came back: a credit larger than the invoice leaves the buyer credit never billed.
            problems.append(f"{what}: credit notes left with {unused:.2f} unused after closing the invoice")
    return rows, problems


def _stock_mismatches(day: SampleDay, zoho: dict[str, Any], expected: dict[str, dict[str, Any]]) -> list[str]:
    """Stock on hand = opening stock - shipped units + units received back, item by item."""
    stock = {str(item["item_id"]): float(item["stock_on_hand"]) for item in day.zoho_seed["items"]}
    for so in day.zoho_seed["salesorders"]:
        want = expected[so["salesorder_number"]]
        # A cancelled order's shipment was deleted in Zoho: its stock came back.
        if want["expect"] == SHIPPED and want.get("change") != "cancel":
            for line in so["line_items"]:
                stock[str(line["item_id"])] -= line["quantity"]
    for want in expected.values():
        for line in (want["restock"] or {}).get("lines", []):
            stock[str(line["item_id"])] += line["quantity"]
    actual = {str(item["item_id"]): item for item in zoho["items"]}
    problems = []
    for item_id, quantity in sorted(stock.items()):
        item = actual.get(item_id, {})
        if abs(float(item.get("stock_on_hand", 0)) - quantity) > 1e-6:
            problems.append(
                f"{item.get('sku', item_id)}: stock on hand {item.get('stock_on_hand')}, expected {quantity:g}"
            )
    return problems


def _phase_row(phase: Phase) -> dict[str, Any]:
    return {
        "name": phase.name,
        "seconds": phase.seconds,
        "shipments": phase.shipments,
        "advance_calls": phase.advance_calls,
        "zoho_calls": api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS),
        "shiprocket_calls": api_total(phase.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS),
        "zoho_by_endpoint": {k: v for k, v in phase.zoho_calls.items() if k not in ZOHO_AUTH_ENDPOINTS},
        "shiprocket_by_endpoint": {
            k: v for k, v in phase.shiprocket_calls.items() if k not in SHIPROCKET_AUTH_ENDPOINTS
        },
    }


def _calls_per_lifecycle(phases: list[Phase]) -> dict[str, Any]:
    """Zoho calls per shipment: the confirm phase's average plus the tracking phases it went through."""
    by_name = {phase.name: phase for phase in phases}

    def per_shipment(name: str) -> float | None:
        phase = by_name.get(name)
        return ratio(api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS), phase.shipments) if phase else None

    confirm = per_shipment("confirm")
    delivered = per_shipment("delivered")
    rto_transit, rto_final = per_shipment("RTO in transit"), per_shipment("RTO delivered + restock")
    parts = (confirm, rto_transit, rto_final)
    customer_return = by_name.get(CUSTOMER_RETURN_PHASE)
    return {
        "confirm": confirm,
        "delivered": {
            "confirm": confirm,
            "tracking": delivered,
            "total": None if confirm is None or delivered is None else round(confirm + delivered, 2),
        },
        "rto": {
            "confirm": confirm,
            "tracking_to_last_leg": rto_transit,
            "rto_delivered_and_restock": rto_final,
            "total": None if any(part is None for part in parts) else round(sum(p or 0.0 for p in parts), 2),
        },
        "lost_and_ndr_tracking": per_shipment("lost and NDR"),
        "customer_return": None
        if customer_return is None
        else {
            "zoho": api_total(customer_return.zoho_calls, ZOHO_AUTH_ENDPOINTS),
            "shiprocket": api_total(customer_return.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS),
        },
    }
