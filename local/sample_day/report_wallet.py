"""The report's wallet part: the simulator's statement rows of the day against what Zoho Books holds, the pages the
wallet watch sent, and the margin report's totals against the wallet's movements, to the paisa."""

from __future__ import annotations

from collections import Counter
from typing import Any

from local.sample_day.records import WALLET_PHASE, ZOHO_AUTH_ENDPOINTS, Baseline, Lifecycles, api_total, ratio

# Alerts the wallet phase checks itself: their correlation id is an AWB, or none.
WALLET_ALERT_KINDS = frozenset({"WeightDiscrepancy", "WalletLow", "FreightUnmatched", "ItemWeight"})
# The simulator's ``charge`` texts (local/sim/shiprocket/state.py) that Books gets no entry for.
_NOT_BOOKED = frozenset({"Wallet Recharge"})
_WEIGHT_CHARGE = "Weight Discrepancy Charges"


def _paise(amount: Any) -> int:
    return round(float(amount or 0) * 100)


def _movement(row: dict[str, Any]) -> int:
    return _paise(row.get("debit_amount")) - _paise(row.get("credit_amount"))


def wallet_report(
    expected: dict[str, Any],
    shiprocket: dict[str, Any],
    zoho: dict[str, Any],
    alert_rows: list[dict[str, Any]],
    baseline: Baseline,
    lifecycles: Lifecycles | None,
) -> dict[str, Any]:
    played = lifecycles.wallet if lifecycles else None
    if not played:
        return {"played": False, "mismatches": []}
    mismatches: list[str] = []
    rows = shiprocket.get("wallet_rows", [])[baseline.wallet_rows :]
    movement = sum(_movement(row) for row in rows if row.get("charge") not in _NOT_BOOKED)
    balance_moved = _paise(baseline.wallet_balance) - _paise(shiprocket.get("wallet_balance"))
    if balance_moved != sum(_movement(row) for row in rows):
        mismatches.append(f"the wallet moved {balance_moved} paise but its statement rows add up to another sum")

    margin = played.get("margin") or {}
    unattributed = {str(row["transaction_id"]) for row in margin.get("unattributed", [])}
    references = Counter(
        str(entry.get("reference_number"))
        for entry in [*zoho.get("expenses", []), *zoho.get("journals", [])]
        if str(entry.get("reference_number", "")).startswith("SRW-")
    )
    booked = 0
    for row in rows:
        transaction = str(row["transaction_id"])
        entries = references.get(f"SRW-{transaction}", 0)
        if row.get("charge") in _NOT_BOOKED or transaction in unattributed:
            if entries:
                mismatches.append(f"wallet transaction {transaction} ({row['charge']}) booked, but it is not a cost")
            continue
        booked += entries
        if entries != 1:
            mismatches.append(f"wallet transaction {transaction} ({row['charge']}): {entries} Books entries, not 1")

    discrepancies = [row for row in rows if row.get("charge") == _WEIGHT_CHARGE]
    paged = "\n".join(str(a["message"]) for a in alert_rows if a["kind"] == "WeightDiscrepancy")
    unpaged = sorted(str(row["awb_code"]) for row in discrepancies if f"AWB {row['awb_code']} " not in paged)
    if unpaged:
        mismatches.append(f"weight discrepancies not paged for AWBs {unpaged}")
    if discrepancies and "dispute by" not in paged:
        mismatches.append("the weight discrepancy page gives no dispute deadline")
    runs = played.get("runs") or []
    # A run the storm failed decides nothing (the next hour's would run again): the last one that ran through.
    last = next((run for run in reversed(runs) if isinstance(run, dict) and not run.get("failed")), {})
    if runs and not last:
        mismatches.append(f"none of the {len(runs)} wallet watch runs ran through")
    low_pages = sum(1 for a in alert_rows if a["kind"] == "WalletLow")
    if low_pages != (1 if last.get("low") else 0):
        mismatches.append(f"{low_pages} WalletLow page(s), the watch found the wallet low: {bool(last.get('low'))}")
    if "wallet_low_at_day_end" in expected and bool(last.get("low")) != expected["wallet_low_at_day_end"]:
        mismatches.append(f"the wallet ended {'low' if last.get('low') else 'above a day of need'}, expected otherwise")
    if last.get("deferred"):
        mismatches.append(f"the last watch run left {last['deferred']} rows to book")

    reconciliation = margin.get("reconciliation") or {}
    total = margin.get("total") or {}
    if played.get("margin_status") == 200:
        if reconciliation.get("wallet_movement") != movement:
            mismatches.append(
                f"the margin report saw {reconciliation.get('wallet_movement')} paise of wallet movements, "
                f"the simulator's statement {movement}"
            )
        if not reconciliation.get("balanced") or total.get("shipping_cost") != reconciliation.get("attributed"):
            mismatches.append("the margin report's orders do not add up to its attributed wallet movements")
    unmatched_pages = sum(1 for a in alert_rows if a["kind"] == "FreightUnmatched")
    if unattributed and not unmatched_pages:
        mismatches.append(f"{len(unattributed)} wallet rows match no shipment and ops were not paged")
    phase = next((p for p in (lifecycles.phases if lifecycles else []) if p.name == WALLET_PHASE), None)
    zoho_calls = api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS) if phase else 0
    return {
        "played": True,
        "statement_rows": len(rows),
        "rows_by_charge": dict(sorted(Counter(str(row.get("charge")) for row in rows).items())),
        "wallet_movement_paise": movement,
        "opening_balance": baseline.wallet_balance,
        "closing_balance": shiprocket.get("wallet_balance"),
        "books_entries": booked,
        "unattributed_rows": len(unattributed),
        "watch_runs": len(runs),
        "weight_discrepancies": len(discrepancies),
        "weight_discrepancies_paged": len(discrepancies) - len(unpaged),
        "low_balance_paged": low_pages,
        "zoho_calls": zoho_calls,
        "zoho_calls_per_shipment": ratio(zoho_calls, phase.shipments) if phase else None,
        "margin": {
            key: margin.get(key)
            for key in ("total", "by_courier", "by_tier", "by_payment", "courier_history", "reconciliation")
        }
        | {"orders": len(margin.get("orders") or [])},
        "mismatches": mismatches,
    }
