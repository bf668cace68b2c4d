"""The report: webhooks, orders and shipments, provider calls and alerts, with what differs from the expected day."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from typing import Any

from local.sample_data import SHIPPED, SampleDay
from local.sample_data.catalogue import WAREHOUSES
from local.sample_day.records import (
    SHIPROCKET_AUTH_ENDPOINTS,
    ZOHO_AUTH_ENDPOINTS,
    Ack,
    Baseline,
    DayStates,
    Lifecycles,
    Phase,
    delta,
)
from local.sample_day.report_lifecycles import lifecycle_report
from local.sample_day.report_remittance import REMITTANCE_ALERT_KINDS, remittance_report
from local.sample_day.report_wallet import WALLET_ALERT_KINDS, wallet_report
from local.sample_day.sims import ours, shipment_status

REPORT_VERSION = 2


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: the value a real request saw)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def alert_fields(alert: dict[str, Any]) -> dict[str, Any]:
    """kind, subject, message and correlation id of an OpsAlerts message (our JSON body inside SNS)."""
    try:
        body = json.loads(alert.get("message") or "")
    except (TypeError, json.JSONDecodeError):
        body = None
    if not isinstance(body, dict):
        body = {"message": alert.get("message")}
    kind = body.get("kind") or (alert.get("attributes") or {}).get("kind") or "unknown"
    return {
        "kind": str(kind),
        "subject": body.get("subject") or alert.get("subject"),
        "message": body.get("message"),
        "correlation_id": body.get("correlation_id"),
    }


_REASON = re.compile(r"Reason: (?P<reason>.*?)\. The sales order is marked", re.DOTALL)


def _reason(alerts: list[dict[str, Any]], number: str) -> str | None:
    for alert in alerts:
        if alert["correlation_id"] == number and alert["message"]:
            found = _REASON.search(alert["message"])
            return found.group("reason") if found else str(alert["message"])
    return None


def _provider_calls(calls: dict[str, int], auth: frozenset[str], shipped: int) -> dict[str, Any]:
    api = {endpoint: count for endpoint, count in calls.items() if endpoint not in auth}
    total = sum(api.values())
    return {
        "total": total,
        "per_shipped_order": round(total / shipped, 2) if shipped else None,
        "auth_calls": sum(count for endpoint, count in calls.items() if endpoint in auth),
        "by_endpoint": api,
    }


def build_report(
    day: SampleDay,
    acks: list[Ack],
    states: DayStates,
    queue_depths: dict[str, int],
    alerts: list[dict[str, Any]],
    baseline: Baseline,
    timings: dict[str, float],
    wait_problem: str | None = None,
    dlq_messages: dict[str, list[str]] | None = None,
    lifecycles: Lifecycles | None = None,
) -> dict[str, Any]:
    """The report; the order and shipment checks read the confirmed states, the lifecycle checks the final ones."""
    zoho_state, shiprocket_state = states.confirmed_zoho, states.confirmed_shiprocket
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    numbers = set(expected)
    orders = ours(zoho_state, numbers)
    sr_by_number: dict[str, list[dict[str, Any]]] = {number: [] for number in numbers}
    for sr_order in shiprocket_state["orders"]:
        base = re.sub(r"-R\d+$", "", str(sr_order["order_id"]))
        if base in sr_by_number:
            sr_by_number[base].append(sr_order)
    packages = Counter(p["salesorder_number"] for p in zoho_state["packages"] if p["salesorder_number"] in numbers)
    shipments = {s["salesorder_number"]: s for s in zoho_state["shipmentorders"] if s["salesorder_number"] in numbers}
    shipment_count = Counter(
        s["salesorder_number"] for s in zoho_state["shipmentorders"] if s["salesorder_number"] in numbers
    )
    alert_rows = [alert_fields(alert) for alert in alerts]

    mismatches: list[str] = []
    if wait_problem:
        mismatches.append(f"the day did not finish: {wait_problem}")
    for ack in acks:
        if not 200 <= ack.status < 300:
            mismatches.append(f"webhook #{ack.seq} ({ack.salesorder_number}) answered {ack.status}: {ack.error}")
        elif ack.acknowledged_as != ack.salesorder_number:
            mismatches.append(
                f"webhook #{ack.seq} for {ack.salesorder_number} was acknowledged as {ack.acknowledged_as}"
            )

    shipped: list[str] = []
    failures: dict[str, list[dict[str, Any]]] = {}
    by_courier: Counter[str] = Counter()
    by_payment: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    by_pickup: Counter[str] = Counter()
    # NDRs and RTOs as ops were paged about them (NdrRaised, RtoInitiated), per courier and per pincode tier.
    exceptions: dict[str, dict[str, dict[str, int]]] = {"by_courier": {}, "by_tier": {}}
    for number in sorted(numbers):
        want = expected[number]
        so = orders.get(number)
        status = shipment_status(so)
        fields = (so or {}).get("custom_field_hash") or {}
        sr_orders = sr_by_number[number]
        if status == SHIPPED:
            shipped.append(number)
            courier = str(fields.get("cf_courier_partner") or "?")
            by_courier[courier] += 1
            by_payment[want["payment"]] += 1
            by_tier[want["tier"]] += 1
            paged = {alert["kind"] for alert in alert_rows if alert["correlation_id"] == number}
            for group, name in (("by_courier", courier), ("by_tier", want["tier"])):
                row = exceptions[group].setdefault(name, {"shipped": 0, "ndrs": 0, "rtos": 0})
                row["shipped"] += 1
                row["ndrs"] += "NdrRaised" in paged
                row["rtos"] += "RtoInitiated" in paged
            by_pickup.update(str(o.get("pickup_location")) for o in sr_orders)
            warehouse = WAREHOUSES.get(str((so or {}).get("location_id")))
            if warehouse and any(o.get("pickup_location") != warehouse["pickup_location"] for o in sr_orders):
                mismatches.append(f"{number}: shipped from {sr_orders[0].get('pickup_location')}, not its warehouse's")
        elif status:
            failures.setdefault(status, []).append(
                {"salesorder_number": number, "scenario": want["scenario"], "reason": _reason(alert_rows, number)}
            )
        if status != want["expect"]:
            mismatches.append(
                f"{number} ({want['scenario']}): expected '{want['expect']}', got '{status or 'nothing'}'"
            )
        if len(sr_orders) > 1:
            mismatches.append(f"{number}: {len(sr_orders)} Shiprocket orders (duplicate shipment)")
        if packages[number] > 1 or shipment_count[number] > 1:
            mismatches.append(f"{number}: {packages[number]} Zoho packages, {shipment_count[number]} shipment orders")
        if want["expect"] == SHIPPED and status == SHIPPED:
            awb = fields.get("cf_awb_number")
            sr_awbs = [o.get("awb_code") for o in sr_orders]
            if len(sr_orders) != 1 or not awb or sr_awbs != [awb]:
                mismatches.append(f"{number}: Zoho AWB {awb!r} does not match Shiprocket {sr_awbs}")
            shipment = shipments.get(number)
            if shipment is None or shipment.get("tracking_number") != awb:
                mismatches.append(f"{number}: the Zoho shipment order does not carry the AWB")
        if want["expect"] != SHIPPED and sr_orders:
            mismatches.append(f"{number}: a Shiprocket order exists for an order that must not ship")
    mismatches.extend(_alert_mismatches(expected, alert_rows, lifecycles is not None))

    dlq = {name: depth for name, depth in sorted(queue_depths.items()) if "dlq" in name.lower()}
    work = {name: depth for name, depth in sorted(queue_depths.items()) if name not in dlq}
    parked = dlq_messages or {}
    mismatches.extend(
        f"{name} holds {depth} message(s): {', '.join(parked.get(name, [])) or '?'}"
        for name, depth in dlq.items()
        if depth
    )
    mismatches.extend(f"{name} still holds {depth} message(s)" for name, depth in work.items() if depth)

    unfinished = sorted(number for number in numbers if not shipment_status(orders.get(number)))
    repeated = day.expected["repeated_deliveries"]
    duplicates = {
        "orders_with_repeated_deliveries": {
            number: {"deliveries": count, "shiprocket_orders": len(sr_by_number.get(number, []))}
            for number, count in repeated.items()
        },
        "sales_orders_with_several_shiprocket_orders": sorted(n for n, o in sr_by_number.items() if len(o) > 1),
        "exactly_one_shiprocket_order_per_shipped_order": all(len(sr_by_number[n]) == 1 for n in shipped),
    }
    zoho_calls = delta(zoho_state["calls"], baseline.zoho_calls)
    shiprocket_calls = delta(shiprocket_state["calls"], baseline.shiprocket_calls)
    confirm = Phase("confirm", round(timings.get("confirm", 0.0), 2), len(shipped), 0, zoho_calls, shiprocket_calls)
    lifecycle = lifecycle_report(day, states, baseline, lifecycles, confirm)
    mismatches.extend(lifecycle.pop("mismatches"))
    remittance = remittance_report(day, states.zoho, alert_rows, lifecycles)
    mismatches.extend(remittance.pop("mismatches"))
    wallet = wallet_report(day.expected, states.shiprocket, states.zoho, alert_rows, baseline, lifecycles)
    mismatches.extend(wallet.pop("mismatches"))
    latencies = [ack.latency_ms for ack in acks]
    statuses = Counter(str(ack.status) for ack in acks)
    expected_counts = Counter(want["expect"] for want in expected.values())
    return {
        "report_version": REPORT_VERSION,
        "ok": not mismatches,
        "day": {"date": day.expected["date"], "seed": day.expected["seed"]},
        "timings_s": {key: round(value, 2) for key, value in timings.items()},
        "webhooks": {
            "posted": len(acks),
            "accepted": sum(1 for ack in acks if 200 <= ack.status < 300),
            "by_status": dict(sorted(statuses.items())),
            "ack_ms": {
                "p50": round(_percentile(latencies, 50), 1),
                "p99": round(_percentile(latencies, 99), 1),
                "max": round(max(latencies, default=0.0), 1),
            },
        },
        "orders": {
            "confirmed": len(numbers),
            "shipped": len(shipped),
            "failed": sum(len(rows) for rows in failures.values()),
            "unfinished": len(unfinished),
            "expected": dict(sorted(expected_counts.items())),
        },
        "unfinished_orders": unfinished,
        "shipped_by_courier": dict(by_courier.most_common()),
        "shipped_by_payment": dict(sorted(by_payment.items())),
        "shipped_by_tier": dict(sorted(by_tier.items())),
        "shipped_by_pickup_location": dict(sorted(by_pickup.items())),
        "exceptions": {group: dict(sorted(rows.items())) for group, rows in exceptions.items()},
        "failures": dict(sorted(failures.items())),
        "duplicates": duplicates,
        "api_calls": {
            "shiprocket": _provider_calls(shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS, len(shipped)),
            "zoho": _provider_calls(zoho_calls, ZOHO_AUTH_ENDPOINTS, len(shipped)),
        },
        "token_mints": {
            "zoho": int(zoho_state.get("token_mints", 0)) - baseline.zoho_token_mints,
            "shiprocket_logins": shiprocket_calls.get("POST /auth/login", 0),
        },
        "alerts": {
            "total": len(alert_rows),
            "by_kind": dict(sorted(Counter(alert["kind"] for alert in alert_rows).items())),
            "tracking_by_order": {
                number: sorted(a["kind"] for a in alert_rows if a["correlation_id"] == number)
                for number in sorted(numbers)
                if expected[number]["expect"] == SHIPPED and any(a["correlation_id"] == number for a in alert_rows)
            },
        },
        **lifecycle,
        "remittance": remittance,
        "wallet": wallet,
        "dlq": dlq,
        "dlq_messages": {name: messages for name, messages in sorted(parked.items()) if messages},
        "queues": work,
        "mismatches": mismatches,
    }


def _alert_mismatches(
    expected: dict[str, dict[str, Any]], alert_rows: list[dict[str, Any]], tracked: bool
) -> list[str]:
    """Every order raised the alerts it must, and nobody was paged about anything else."""
    problems: list[str] = []
    raised: dict[str, Counter[str]] = {}
    for alert in alert_rows:
        raised.setdefault(str(alert["correlation_id"]), Counter())[alert["kind"]] += 1
    for number, want in sorted(expected.items()):
        # Before the parcels move, only the orders that never ship have anything to page about.
        required = want["alerts"] if tracked or want["expect"] != SHIPPED else []
        got = raised.get(number, Counter())
        problems.extend(f"{number}: no {kind} alert (ops were not paged)" for kind in required if not got[kind])
    for alert in alert_rows:
        if alert["kind"] in REMITTANCE_ALERT_KINDS | WALLET_ALERT_KINDS:
            continue
        order = expected.get(str(alert["correlation_id"]))
        if order is None or alert["kind"] not in {*order["alerts"], *order["may_alert"]}:
            problems.append(f"unexpected alert {alert['kind']}: {alert['subject']}")
    return problems
