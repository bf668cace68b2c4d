"""The report's COD remittance part: what Zoho Books was paid per batch against what Shiprocket remitted."""

from __future__ import annotations

from typing import Any

from local.sample_data import SampleDay
from local.sample_day.records import REMITTANCE_PHASE, ZOHO_AUTH_ENDPOINTS, Lifecycles, api_total, ratio
from local.sample_day.sims import ours

# Alerts the remittance phase checks itself: their correlation id is a UTR, not a sales order.
REMITTANCE_ALERT_KINDS = frozenset({"RemittanceMismatch", "PaymentRefused", "UnremittedCod"})


def _paise(rupees: Any) -> int:
    return round(float(rupees) * 100)


def remittance_report(
    day: SampleDay, zoho: dict[str, Any], alert_rows: list[dict[str, Any]], lifecycles: Lifecycles | None
) -> dict[str, Any]:
    """COD paid in Zoho Books per remittance batch, in paise until printed, and what differs from the plan."""
    rows = (lifecycles.remittances if lifecycles else None) or []
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    summary = day.expected["lifecycle_summary"]
    invoice_of = {number: str(want["invoice"]["invoice_id"]) for number, want in expected.items() if want["invoice"]}
    number_of_invoice = {invoice_id: number for number, invoice_id in invoice_of.items()}
    invoices = {str(invoice["invoice_id"]): invoice for invoice in zoho["invoices"]}
    orders = ours(zoho, set(expected))
    payments: dict[str, list[dict[str, Any]]] = {}
    for payment in zoho.get("customerpayments", []):
        for applied in payment.get("invoices") or []:
            number = number_of_invoice.get(str(applied["invoice_id"]))
            if number is not None:
                payments.setdefault(number, []).append(payment)
    mismatches: list[str] = []
    batches = []
    paid_gross = paid_deducted = 0
    phase = next((p for p in (lifecycles.phases if lifecycles else []) if p.name == REMITTANCE_PHASE), None)
    for row in rows:
        lines = {line["awb"]: line for line in (row.get("batch") or {}).get("orders", [])}
        net = sum(_paise(line["cod_amount"]) - _paise(line["deducted_charges"]) for line in lines.values())
        transfer = _paise(row.get("bank_transfer_amount", 0))
        for number, awb in zip(row["orders"], row["awbs"], strict=True):
            found = [p for p in payments.get(number, []) if p.get("reference_number") == row["utr"]]
            line = lines.get(awb)
            if len(found) != 1 or line is None:
                mismatches.append(f"{number} ({row['utr']}): {len(found)} payment(s), expected exactly 1")
                continue
            gross, deducted = _paise(found[0]["amount"]), _paise(found[0]["bank_charges"])
            paid_gross, paid_deducted = paid_gross + gross, paid_deducted + deducted
            if (gross, deducted) != (_paise(line["cod_amount"]), _paise(line["deducted_charges"])):
                mismatches.append(
                    f"{number} ({row['utr']}): paid {gross / 100:.2f} less {deducted / 100:.2f}, "
                    f"remitted {line['cod_amount']:.2f} less {line['deducted_charges']:.2f}"
                )
            field = ((orders.get(number) or {}).get("custom_field_hash") or {}).get("cf_cod_remittance_id")
            if field != row["utr"]:
                mismatches.append(f"{number}: cf_cod_remittance_id is {field!r}, expected {row['utr']}")
        batches.append(
            {
                "utr": row["utr"],
                "route": row["route"],
                "orders": len(row["orders"]),
                "expected_net": net / 100,
                "bank_transfer_amount": transfer / 100,
                "balanced": net == transfer,
                "difference": (net - transfer) / 100,
            }
        )
    remitted_numbers = [number for row in rows for number in row["orders"]]
    with_balance = [
        number
        for number in remitted_numbers
        if number in invoice_of and _paise(invoices.get(invoice_of[number], {}).get("balance", 0)) != 0
    ]
    mismatches.extend(
        f"{number}: invoice left with a balance of {invoices[invoice_of[number]]['balance']} after its remittance"
        for number in with_balance
    )
    payments_created = sum(
        1 for number in remitted_numbers for p in payments.get(number, []) if p.get("reference_number")
    )
    unremitted = sorted(
        number
        for number, want in expected.items()
        if want["payment"] == "COD" and want["final"] == "Delivered" and not payments.get(number)
    )
    alerts = [alert for alert in alert_rows if alert["kind"] in REMITTANCE_ALERT_KINDS]
    mismatch_alerts = sorted(str(a["correlation_id"]) for a in alerts if a["kind"] == "RemittanceMismatch")
    unbalanced = sorted(batch["utr"] for batch in batches if not batch["balanced"])
    if rows:
        planned_short = sorted(row["utr"] for row in rows if row["short_by"])
        if unbalanced != planned_short:
            mismatches.append(f"unbalanced batches {unbalanced}, expected {planned_short}")
        if mismatch_alerts != planned_short:
            mismatches.append(
                f"RemittanceMismatch alerts for {mismatch_alerts}, expected one for each of {planned_short}"
            )
        mismatches.extend(
            f"unexpected alert {a['kind']}: {a['subject']}" for a in alerts if a["kind"] != "RemittanceMismatch"
        )
        if payments_created != summary["remitted_orders"]:
            mismatches.append(f"{payments_created} payments for {summary['remitted_orders']} remitted orders")
        if len(unremitted) != summary["unremitted_delivered_cod"]:
            mismatches.append(
                f"{len(unremitted)} delivered COD orders unremitted, expected {summary['unremitted_delivered_cod']}"
            )
    zoho_calls = api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS) if phase else 0
    return {
        "cod_collected": paid_gross / 100,
        "deducted": paid_deducted / 100,
        "remitted": (paid_gross - paid_deducted) / 100,
        "batches": batches,
        "payments_created": payments_created,
        "expected_payments": summary["remitted_orders"],
        "invoices_left_with_balance": with_balance,
        "mismatch_alerts": mismatch_alerts,
        "zoho_calls_per_remitted_order": ratio(zoho_calls, len(remitted_numbers)) if phase else None,
        "unremitted_cod_orders": unremitted,
        "expected_unremitted": summary["unremitted_delivered_cod"],
        "mismatches": mismatches,
    }
