"""The chaos day: the sample day under a storm of transient faults, then the count of what did not survive it.

``python -m local.sample_day --chaos 0.1 [--orders 160] [--seed N]`` plays the day with about
``rate`` of the provider calls faulted on both simulators (``POST /_sim/faults`` rules with a
seeded ``probability``, see ``local.sim.base``):

- 500, 502, 503 and 429 answers (Zoho's 429 with its per-minute code 44);
- answers slower than the clients' read timeout (the stack runs with ``HTTP_READ_TIMEOUT_S`` =
  ``READ_TIMEOUT_S``): the simulator still does the work, the caller never hears of it;
- ``lose_answer`` on writes (POST, PUT): the write is done, the connection closes unanswered;
- 401s: a share of the answers of both providers say the token is not taken (Shiprocket "Token has
  expired", Zoho code 57) although it is, and every live token of both providers is expired twice
  (``POST /_sim/expire-tokens``): once while the confirmations are coming in, once before the RTO
  parcels reach the warehouse. Token-refresh asks Zoho whether it still takes a token reported
  rejected before spending one of its ten mints a ten minutes on it. The token endpoints themselves
  are kept out of the storm: a mint is not per-order work;

and with more disorder at the edges: each confirmation webhook is delivered a second time with
probability ``rate`` and neighbouring deliveries swap places with that probability (on top of the
day's own repeated deliveries and Shiprocket's duplicated and reordered tracking webhooks), a
remittance batch is posted three times, and the remittance poll and the customer-return booking
are repeated until they answer (as the next schedule, or support, would).

After the day's phases the faults are cleared and the stack drains: messages still waiting for a
retry complete normally. Then the report counts, from the simulators' final records:

lost
    an expected outcome the day did not reach: an order whose ``cf_shipment_status`` is not the
    ``final`` of ``expected.json`` (never shipped, shipped but not delivered, gave up though only
    transient faults met it), a delivered parcel whose Zoho shipment is not marked delivered, a
    restock missing its sales return, its receive or the credit note it needs, a remitted order
    with no payment for its UTR. The expected outcomes hold under chaos: every fault injected is
    transient and the couriers' refusals are seeded per courier, not drawn per call, so an order
    that ends otherwise than expected was lost to the storm.
duplicates
    anything made twice: a second Shiprocket order or AWB for a sales order, a second Zoho
    package or shipment order, a second sales return, receive or credit note for a restock, a
    second payment for one order and UTR, a second return order for the customer return.
dlq
    messages left in each DLQ, with the job each names.
pending
    what is still in a work queue, or a sales order with no status at all, once the drain ends.

The exit code is 0 only when lost = duplicates = DLQ messages = 0 (pending work counts as lost
where it names an expected outcome). The normal day's other expectations (calls per order, the
alerts raised) are reported under ``mismatches`` for reading, not judged: a storm costs calls,
and a 401 or a full minute pages nobody but may be logged.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from local.sample_data import DELIVERED_LIFECYCLES, SampleDay
from local.sample_day.sims import Stack, ours, shipment_status, sim_post

# The clients' read timeout on a chaos stack, and how long a slow fault keeps its caller waiting.
READ_TIMEOUT_S = 2.0
SLOW_S = READ_TIMEOUT_S + 0.5
DEFAULT_SEED = 1
# How long the stack may take to drain once the faults are cleared: the last retries wait 16 s.
DRAIN_TIMEOUT_S = 180.0
# Share of the faulted calls per kind of fault (writes only for a lost answer, so its share of all calls is lower).
FAULT_MIX: tuple[tuple[str, float], ...] = (
    ("500", 0.2),
    ("502", 0.12),
    ("503", 0.18),
    ("429", 0.15),
    ("slow", 0.15),
    ("lost answer", 0.12),
    ("401", 0.08),
)
TOKEN_ENDPOINTS = {"zoho": ("POST /oauth/v2/token",), "shiprocket": ("POST /auth/login", "POST /auth/logout")}
# When every live token of both providers is expired.
EXPIRE_TOKENS_AT = ("confirm", "RTO delivered + restock")
REMITTANCE_REPOSTS = 3
# Attempts of a synchronous call the storm may fail (the remittance poll, the customer-return booking).
SYNC_ATTEMPTS = 10

_BODIES: dict[str, dict[str, dict[str, Any]]] = {
    "zoho": {
        "500": {"code": 1, "message": "Internal Server Error"},
        "502": {"message": "Bad Gateway"},
        "503": {"message": "Service Temporarily Unavailable"},
        "429": {"code": 44, "message": "You have exceeded the maximum number of requests per minute."},
        "401": {"code": 57, "message": "You are not authorized to perform this operation"},
    },
    "shiprocket": {
        "500": {"message": "Server Error", "status_code": 500},
        "502": {"message": "Bad Gateway", "status_code": 502},
        "503": {"message": "Service Unavailable", "status_code": 503},
        "429": {"message": "Too Many Attempts.", "status_code": 429},
        "401": {"message": "Token has expired", "status_code": 401},
    },
}


def fault_rules(provider: str, rate: float) -> list[dict[str, Any]]:
    """The storm for one simulator: token endpoints passed through, then one ``*`` rule per kind of fault.

    The rules are tried in turn, so each one's probability is its share of the calls the rules before it spared.
    """
    rules: list[dict[str, Any]] = [{"endpoint": endpoint} for endpoint in TOKEN_ENDPOINTS[provider]]
    spared = 1.0
    for kind, share in FAULT_MIX:
        wanted = rate * share
        rule: dict[str, Any] = {"endpoint": "*", "probability": round(wanted / spared, 6)}
        if kind == "slow":
            rule["delay_s"] = SLOW_S
        elif kind == "lost answer":
            rule.update(lose_answer=True, methods=["POST", "PUT"])
        else:
            rule.update(status=int(kind), body=_BODIES[provider][kind])
        rules.append(rule)
        spared -= wanted
    return rules


def disordered_day(day: SampleDay, rate: float, seed: int) -> SampleDay:
    """The day with each confirmation delivered again with probability ``rate`` (a few deliveries later) and
    neighbouring deliveries swapped with that probability; the expectations follow the added deliveries."""
    rng = random.Random(seed)
    deliveries = [dict(hook) for hook in day.webhooks]
    for hook in list(deliveries):
        if rng.random() < rate:
            again = {**hook, "kind": "chaos repeat"}
            deliveries.insert(min(deliveries.index(hook) + rng.randint(1, 8), len(deliveries)), again)
    for index in range(len(deliveries) - 1):
        if rng.random() < rate:
            deliveries[index], deliveries[index + 1] = deliveries[index + 1], deliveries[index]
    webhooks = [{**hook, "seq": seq} for seq, hook in enumerate(deliveries, start=1)]
    counts = Counter(hook["salesorder_number"] for hook in webhooks)
    expected = {
        **day.expected,
        "webhook_deliveries": len(webhooks),
        "repeated_deliveries": {number: count for number, count in sorted(counts.items()) if count > 1},
    }
    return replace(day, webhooks=webhooks, expected=expected)


@dataclass
class Chaos:
    """The storm on a stack: started before the day, token expiries at named moments, cleared before the drain."""

    stack: Stack
    rate: float
    seed: int
    expired: list[dict[str, Any]] = field(default_factory=list)
    applied: dict[str, dict[str, int]] = field(default_factory=dict)

    def urls(self) -> dict[str, str]:
        return {"zoho": self.stack.zoho_url, "shiprocket": self.stack.shiprocket_url}

    def start(self) -> None:
        for offset, (provider, url) in enumerate(self.urls().items()):
            sim_post(
                url,
                "/_sim/faults",
                {"clear": True, "seed": self.seed + offset, "rules": fault_rules(provider, self.rate)},
            )

    def at(self, moment: str) -> None:
        """Called as the day reaches ``moment`` (a phase name): expires every live token where the plan says."""
        if moment not in EXPIRE_TOKENS_AT:
            return
        expired = {
            provider: sim_post(url, "/_sim/expire-tokens", {})["expired"] for provider, url in self.urls().items()
        }
        self.expired.append({"moment": moment, **expired})

    def clear(self) -> None:
        for provider, url in self.urls().items():
            self.applied[provider] = sim_post(url, "/_sim/faults", {"clear": True})["applied"]


# ---------------------------------------------------------------------- the count


def chaos_report(
    chaos: Chaos,
    day: SampleDay,
    zoho: dict[str, Any],
    shiprocket: dict[str, Any],
    depths: dict[str, int],
    dlq_messages: dict[str, list[str]],
    drain: dict[str, Any],
) -> dict[str, Any]:
    """Lost, duplicated, dead-lettered and pending work at the end of a chaos day (the module docstring)."""
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    lost = _lost_orders(expected, zoho) + _lost_restocks(expected, zoho) + _lost_payments(day, expected, zoho)
    duplicates = _duplicates(day, expected, zoho, shiprocket)
    dlq = {name: depth for name, depth in sorted(depths.items()) if "dlq" in name.lower() and depth}
    pending_queues = {name: depth for name, depth in sorted(depths.items()) if "dlq" not in name.lower() and depth}
    orders = ours(zoho, set(expected))
    no_status = sorted(number for number in expected if not shipment_status(orders.get(number)))
    calls = {
        "zoho": sum(zoho["calls"].values()),
        "shiprocket": sum(shiprocket["calls"].values()),
    }
    faults = {provider: dict(sorted(counts.items())) for provider, counts in chaos.applied.items()}
    injected = sum(sum(counts.values()) for counts in chaos.applied.values())
    return {
        "rate": chaos.rate,
        "seed": chaos.seed,
        "orders": len(expected),
        "provider_calls": calls,
        "faults_injected": {"total": injected, **faults},
        "fault_share": round(injected / max(sum(calls.values()), 1), 4),
        "token_expiries": chaos.expired,
        # The whole day's, the stack's first token of each provider included (the report's token_mints stop at
        # the confirmations).
        "token_mints": {
            "zoho": int(zoho.get("token_mints", 0)),
            "shiprocket_logins": int(shiprocket["calls"].get("POST /auth/login", 0)),
        },
        "drain": drain,
        "lost": {"count": len(lost), "items": lost},
        "duplicates": {"count": len(duplicates), "items": duplicates},
        "dlq": {"count": sum(dlq.values()), "by_queue": dlq, "messages": {n: dlq_messages.get(n, []) for n in dlq}},
        "pending": {"queues": pending_queues, "orders_without_status": no_status},
        "ok": not lost and not duplicates and not dlq,
    }


def _lost_orders(expected: dict[str, dict[str, Any]], zoho: dict[str, Any]) -> list[str]:
    orders = ours(zoho, set(expected))
    shipments = {s["salesorder_number"]: s for s in zoho["shipmentorders"] if s["salesorder_number"] in expected}
    lost = []
    for number, want in sorted(expected.items()):
        status = shipment_status(orders.get(number))
        if status != want["final"]:
            what = want["lifecycle"] or want["scenario"]
            lost.append(f"{number} ({what}): ends '{status or 'nothing'}', expected '{want['final']}'")
        if want["lifecycle"] in DELIVERED_LIFECYCLES and (shipments.get(number) or {}).get("status") != "delivered":
            lost.append(f"{number}: delivered, but its Zoho shipment is not marked delivered")
    return lost


def _returns_by_salesorder(zoho: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for salesreturn in zoho["salesreturns"]:
        found.setdefault(str(salesreturn["salesorder_id"]), []).append(salesreturn)
    return found


def _restock_records(want: dict[str, Any], zoho: dict[str, Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """(sales returns, receives, credit notes) Zoho holds for an order that comes back."""
    returns = _returns_by_salesorder(zoho).get(want["salesorder_id"], [])
    ids = {str(r["salesreturn_id"]) for r in returns}
    receives = [r for r in zoho["salesreturnreceives"] if str(r["salesreturn_id"]) in ids]
    invoice_id = (want["invoice"] or {}).get("invoice_id")
    notes = [
        note
        for note in zoho["creditnotes"]
        if str(note.get("salesreturn_id")) in ids or (invoice_id and note.get("invoice_id") == invoice_id)
    ]
    return returns, receives, notes


def _lost_restocks(expected: dict[str, dict[str, Any]], zoho: dict[str, Any]) -> list[str]:
    lost = []
    for number, want in sorted(expected.items()):
        restock = want["restock"]
        if not restock:
            continue
        returns, receives, notes = _restock_records(want, zoho)
        missing = [
            what
            for what, present in (
                ("sales return", returns),
                ("receive", receives),
                ("credit note", notes if restock["credit_note"] else [True]),
            )
            if not present
        ]
        if missing:
            lost.append(f"{number} ({restock['kind']}): never restocked in full, no {', no '.join(missing)}")
    return lost


def _payments_by_order(expected: dict[str, dict[str, Any]], zoho: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    number_of_invoice = {str(w["invoice"]["invoice_id"]): n for n, w in expected.items() if w["invoice"]}
    found: dict[str, list[dict[str, Any]]] = {}
    for payment in zoho.get("customerpayments", []):
        for applied in payment.get("invoices") or []:
            number = number_of_invoice.get(str(applied["invoice_id"]))
            if number is not None:
                found.setdefault(number, []).append(payment)
    return found


def _lost_payments(day: SampleDay, expected: dict[str, dict[str, Any]], zoho: dict[str, Any]) -> list[str]:
    payments = _payments_by_order(expected, zoho)
    lost = []
    for number, want in sorted(expected.items()):
        utr = want.get("remittance")
        if utr and not any(p.get("reference_number") == utr for p in payments.get(number, [])):
            lost.append(f"{number}: remitted in {utr}, but no payment for it in Zoho Books")
    return lost


def _duplicates(
    day: SampleDay, expected: dict[str, dict[str, Any]], zoho: dict[str, Any], shiprocket: dict[str, Any]
) -> list[str]:
    found: list[str] = []
    forward: dict[str, list[dict[str, Any]]] = {}
    for order in shiprocket["orders"]:
        forward.setdefault(re.sub(r"-R\d+$", "", str(order["order_id"])), []).append(order)
    for number in sorted(expected):
        orders = forward.get(number, [])
        awbs = {o["awb_code"] for o in orders if o.get("awb_code")}
        if len(orders) > 1 or len(awbs) > 1:
            found.append(f"{number}: {len(orders)} Shiprocket orders, AWBs {sorted(awbs)}")
    for kind in ("packages", "shipmentorders"):
        counts = Counter(str(record["salesorder_number"]) for record in zoho[kind])
        found += [
            f"{number}: {count} Zoho {kind}"
            for number, count in sorted(counts.items())
            if number in expected and count > 1
        ]
    for number, want in sorted(expected.items()):
        if want["restock"]:
            returns, receives, notes = _restock_records(want, zoho)
            for what, records in (("sales returns", returns), ("receives", receives), ("credit notes", notes)):
                if len(records) > 1:
                    found.append(f"{number}: {len(records)} {what}")
    for number, payments in sorted(_payments_by_order(expected, zoho).items()):
        per_utr = Counter(str(p.get("reference_number") or "") for p in payments)
        found += [
            f"{number}: {count} payments for {utr}" for utr, count in sorted(per_utr.items()) if utr and count > 1
        ]
    customer_return = day.tracking.get("customer_return")
    if customer_return:
        number = customer_return["salesorder_number"]
        returns = [r for r in shiprocket.get("returns", []) if str(r.get("order_id", "")).startswith(number + "-")]
        if len(returns) > 1:
            found.append(f"{number}: {len(returns)} Shiprocket return orders for one customer return")
    # The wallet's statement rows: one Books entry per transaction, however often the watch met a lost answer.
    booked = Counter(
        str(entry.get("reference_number"))
        for entry in [*zoho.get("expenses", []), *zoho.get("journals", [])]
        if str(entry.get("reference_number", "")).startswith("SRW-")
    )
    found += [f"wallet {reference}: {count} Books entries" for reference, count in sorted(booked.items()) if count > 1]
    return found


def drain(stack: Stack, timeout: float = DRAIN_TIMEOUT_S) -> dict[str, Any]:
    """Wait for the stack to go idle once the faults are cleared: how long it took, or what was still busy."""
    started = time.monotonic()
    try:
        stack.wait_idle(timeout=timeout)
    except TimeoutError as err:
        return {"seconds": round(time.monotonic() - started, 2), "idle": False, "problem": str(err)}
    return {"seconds": round(time.monotonic() - started, 2), "idle": True}


def format_chaos(report: dict[str, Any]) -> str:
    chaos = report["chaos"]
    faults = chaos["faults_injected"]
    lines = [
        "",
        f"Chaos day (rate {chaos['rate']}, seed {chaos['seed']}): {'survived' if chaos['ok'] else 'NOT survived'}",
        f"  orders                {chaos['orders']}",
        "  provider calls        Zoho {zoho}, Shiprocket {shiprocket}".format(**chaos["provider_calls"]),
        f"  faults injected       {faults['total']} ({chaos['fault_share']:.1%} of calls)",
    ]
    lines += [f"    {provider:<20}{counts}" for provider, counts in faults.items() if provider != "total"]
    lines += [
        f"  token expiries        {len(chaos['token_expiries'])}",
        "  token mints (day)     Zoho {zoho}, Shiprocket logins {shiprocket_logins}".format(**chaos["token_mints"]),
        f"  drain                 {chaos['drain']['seconds']} s{'' if chaos['drain']['idle'] else ' (not idle)'}",
        f"  lost                  {chaos['lost']['count']}",
    ]
    lines += [f"    {item}" for item in chaos["lost"]["items"]]
    lines.append(f"  duplicates            {chaos['duplicates']['count']}")
    lines += [f"    {item}" for item in chaos["duplicates"]["items"]]
    lines.append(f"  DLQ messages          {chaos['dlq']['count']}")
    lines += [f"    {name}: {', '.join(messages) or '?'}" for name, messages in chaos["dlq"]["messages"].items()]
    pending = chaos["pending"]
    waiting = len(pending["orders_without_status"])
    lines.append(f"  pending               queues {pending['queues'] or '-'}, orders without status {waiting}")
    return "\n".join(lines)
