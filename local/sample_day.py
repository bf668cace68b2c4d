"""``make run``: replay the sample day through the local stack and report what happened.

Seeds the simulators with ``events/sample_day/`` (see ``local.sample_data``) and plays the day
in phases, waiting for the queue workers to go idle after each so every phase's provider calls
are counted apart:

1. confirm: every "sales order confirmed" delivery is posted to the public webhook route the way
   Zoho would (a few at a time, JSON or the legacy ``JSONString`` form); orders ship.
2. tracking: the Shiprocket simulator plays each parcel's lifecycle (``tracking.json``) and posts
   its real tracking webhooks, with duplicates, reordering, "NA" scans and string ids, a few
   statuses per advance call and parcel in turn so the events of different parcels interleave:
   the delivered parcels, then the lost and NDR ones, then the RTOs up to their last leg, then
   the RTOs delivered back to the warehouse (each such event posted twice), which restocks them.
3. customer return: support books a return through ``POST /returns``; the return parcel is
   advanced to the warehouse and restocked.

Then the outcome is read back from the simulators, the queues and the ops-alert inbox. The
summary goes to stdout as a table and to ``--report`` as JSON; the exit code is 0 only when the
day ends as ``expected.json`` says and every DLQ is empty.

    python -m local.sample_day --report reports/run.json          # own stack on 127.0.0.1:3000
    python -m local.sample_day --api .local-stack.json            # a running `make serve`
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import re
import sys
import threading
import time
import urllib.parse
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TextIO

import requests

from local.sample_data import (
    DELIVERED_LIFECYCLES,
    INVALID,
    RTO_LIFECYCLES,
    SHIPPED,
    UNSERVICEABLE,
    SampleDay,
    load,
)
from local.sim.shiprocket import LIFECYCLES, remaining_after
from local.sim.zoho import DEFAULT_PER_MINUTE_LIMIT

if TYPE_CHECKING:
    from local.stack import LocalStack

WEBHOOK_PATH = "/webhooks/zoho/salesorders"
WORKERS = 4
DEFAULT_TIMEOUT_S = 900.0
IDLE_GRACE_S = 2.0
TERMINAL_STATUSES = frozenset({SHIPPED, INVALID, UNSERVICEABLE, "AWB Failed"})
# Token endpoints are reported as mints/logins, not as per-order API traffic.
ZOHO_AUTH_ENDPOINTS = frozenset({"POST /oauth/v2/token"})
SHIPROCKET_AUTH_ENDPOINTS = frozenset({"POST /auth/login", "POST /auth/logout"})
REPORT_VERSION = 2
RETURNS_PATH = "/returns"
ZOHO_STATUS_WRITE = "PUT /inventory/v1/salesorders/{salesorder_id}"
ZOHO_DELIVERED_MARK = "POST /inventory/v1/shipmentorders/{shipment_id}/status/delivered"
# (phase, lifecycles it advances, statuses held back for a later phase, extra webhook options key)
TRACKING_PHASES: tuple[tuple[str, frozenset[str], int, str | None], ...] = (
    ("delivered", frozenset({"delivered"}), 0, None),
    ("lost and NDR", frozenset({"lost", "ndr_then_delivered"}), 0, None),
    ("RTO in transit", RTO_LIFECYCLES, 1, None),
    ("RTO delivered + restock", RTO_LIFECYCLES, 0, "rto_delivered_options"),
)
CUSTOMER_RETURN_PHASE = "customer return"
REMITTANCE_PHASE = "COD remittance"
REMITTANCE_PATH = "/webhooks/cod-remittance"
REMITTANCE_FUNCTION = "CodRemittanceFunction"
# Alerts the remittance phase checks itself: their correlation id is a UTR, not a sales order.
REMITTANCE_ALERT_KINDS = frozenset({"RemittanceMismatch", "PaymentRefused", "UnremittedCod"})
REMITTANCE_ROUTES = {"webhook": "posted as JSON", "poll": "found by the poll, then its CSV uploaded"}
# `make run` compresses the day: Zoho's per-minute limit and our limiter are both scaled by
# this factor, keeping their ratio (limiter at 90 % of Zoho's ceiling, so still no 429).
ZOHO_LIMIT_SCALE = 5
ZOHO_PER_MINUTE = DEFAULT_PER_MINUTE_LIMIT
# shipsync's own limiter default (CommonSettings.zoho_requests_per_minute); not imported, because the runner
# loads the layer per invocation and the parent process must not hold its own copy of it.
SHIPSYNC_ZOHO_PER_MINUTE = 90


class Stack(Protocol):
    """What the sample day needs from a stack: ``local.stack.LocalStack`` or a running ``make serve``."""

    api_url: str
    shiprocket_url: str
    zoho_url: str
    tokens: dict[str, str]

    def wait_idle(self, timeout: float = 30.0) -> None: ...

    def queue_depths(self) -> dict[str, int]: ...

    def queue_url(self, logical_id: str) -> str: ...

    def alerts(self) -> list[dict[str, Any]]: ...


# --------------------------------------------------------------------------- progress


class Progress:
    """A plain-text progress bar on a stream; redrawn in place on a terminal, sparse lines elsewhere."""

    WIDTH = 30

    def __init__(self, stream: TextIO | None) -> None:
        self._stream = stream
        self._tty = bool(stream is not None and stream.isatty())
        self._last_line = ""
        self._last_print = 0.0

    def _emit(self, line: str, *, force: bool = False) -> None:
        if self._stream is None or line == self._last_line:
            return
        now = time.monotonic()
        if self._tty:
            self._stream.write("\r" + line.ljust(len(self._last_line)))
        elif force or now - self._last_print >= 5.0:
            self._stream.write(line + "\n")
        else:
            return
        self._stream.flush()
        self._last_line, self._last_print = line, now

    def bar(self, done: int, total: int, label: str) -> None:
        filled = self.WIDTH * done // total if total else self.WIDTH
        self._emit(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {done}/{total} {label}", force=done == total)

    def note(self, line: str) -> None:
        self._emit(line)

    def done(self, line: str) -> None:
        self._emit(line, force=True)
        if self._stream is not None and self._tty:
            self._stream.write("\n")
            self._stream.flush()
        self._last_line = ""


# --------------------------------------------------------------------------- posting


@dataclass(frozen=True)
class Ack:
    seq: int
    salesorder_number: str
    status: int
    latency_ms: float
    error: str | None = None
    # The sales order number the route says it queued: it must be the one posted.
    acknowledged_as: str | None = None


def _request_body(delivery: dict[str, Any]) -> tuple[str, str]:
    document = json.dumps(delivery["body"])
    if delivery["format"] == "form":
        return urllib.parse.urlencode({"JSONString": document}), "application/x-www-form-urlencoded"
    return document, "application/json"


def post_webhooks(
    stack: Stack, webhooks: list[dict[str, Any]], progress: Progress, workers: int = WORKERS
) -> list[Ack]:
    """Post every delivery in order through ``workers`` connections; the client-side ack time is measured."""
    url = stack.api_url.rstrip("/") + WEBHOOK_PATH
    token = stack.tokens["zoho_webhook"]
    local = threading.local()

    def post(delivery: dict[str, Any]) -> Ack:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body, content_type = _request_body(delivery)
        headers = {"content-type": content_type, "x-api-key": token, "user-agent": "Zoho-Webhook"}
        started = time.perf_counter()
        try:
            response = session.post(url, data=body.encode(), headers=headers, timeout=15)
        except requests.RequestException as err:
            elapsed = (time.perf_counter() - started) * 1000
            return Ack(delivery["seq"], delivery["salesorder_number"], 0, elapsed, type(err).__name__)
        elapsed = (time.perf_counter() - started) * 1000
        error = None if response.ok else response.text[:200]
        try:
            answer = response.json()
        except ValueError:
            answer = None
        queued_as = answer.get("salesorder_number") if isinstance(answer, dict) else None
        return Ack(delivery["seq"], delivery["salesorder_number"], response.status_code, elapsed, error, queued_as)

    acks: list[Ack] = []
    progress.bar(0, len(webhooks), "webhooks")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="webhook") as pool:
        futures = [pool.submit(post, delivery) for delivery in webhooks]
        for future in as_completed(futures):
            acks.append(future.result())
            progress.bar(len(acks), len(webhooks), "webhooks")
    progress.done(f"posted {len(webhooks)} webhooks")
    return sorted(acks, key=lambda ack: ack.seq)


# --------------------------------------------------------------------------- simulators


def sim_get(url: str, path: str) -> dict[str, Any]:
    response = requests.get(url.rstrip("/") + path, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def sim_post(url: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(url.rstrip("/") + path, json=body, timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def _ours(zoho_state: dict[str, Any], numbers: set[str]) -> dict[str, dict[str, Any]]:
    return {so["salesorder_number"]: so for so in zoho_state["salesorders"] if so["salesorder_number"] in numbers}


def _status(so: dict[str, Any] | None) -> str:
    if so is None:
        return ""
    return str((so.get("custom_field_hash") or {}).get("cf_shipment_status") or "")


def _finished(so: dict[str, Any] | None) -> bool:
    status = _status(so)
    if status not in TERMINAL_STATUSES:
        return False
    # The custom fields are written before the package and shipment: a shipped order is done
    # only once Zoho shows it shipped.
    return status != SHIPPED or (so or {}).get("shipped_status") in ("shipped", "fulfilled")


def wait_for_day(stack: Stack, numbers: set[str], progress: Progress, timeout: float) -> str | None:
    """Wait until every order is finished in Zoho and the stack is idle; None, or why it stopped early.

    A stack that stays idle with orders unfinished has parked them (DLQ) or lost them: waiting
    longer changes nothing, so the wait ends after ``IDLE_GRACE_S`` of continuous idleness.
    """
    deadline = time.monotonic() + timeout
    idle_since: float | None = None
    while True:
        orders = _ours(sim_get(stack.zoho_url, "/_sim/state"), numbers)
        left = sum(1 for number in numbers if not _finished(orders.get(number)))
        progress.note(f"processing... {left} orders left")
        if left == 0:
            break
        if time.monotonic() >= deadline:
            progress.done(f"gave up waiting: {left} orders unfinished after {timeout:.0f} s")
            return f"{left} orders unfinished after {timeout:.0f} s"
        try:
            stack.wait_idle(timeout=0.5)
        except TimeoutError:
            idle_since = None
            continue
        now = time.monotonic()
        idle_since = idle_since or now
        if now - idle_since >= IDLE_GRACE_S:
            progress.done(f"stack idle with {left} orders unfinished")
            return None
        time.sleep(0.2)
    try:
        stack.wait_idle(timeout=max(deadline - time.monotonic(), 5.0))
    except TimeoutError as err:
        progress.done("stack not idle")
        return str(err)
    progress.done("processing... done")
    return None


# --------------------------------------------------------------------------- lifecycles


@dataclass(frozen=True)
class Phase:
    """One phase of the day and the provider calls made during it (token endpoints included)."""

    name: str
    seconds: float
    shipments: int
    advance_calls: int
    zoho_calls: dict[str, int]
    shiprocket_calls: dict[str, int]


@dataclass
class Lifecycles:
    """What the tracking, customer-return and remittance phases did; ``problems`` end the day early."""

    phases: list[Phase]
    problems: list[str]
    return_booking: dict[str, Any] | None = None
    # Per batch: the plan (utr, route, short_by, orders), the simulator's batch, what was posted and the answer.
    remittances: list[dict[str, Any]] | None = None


class _Counts:
    """Per-endpoint call counters of both simulators, read between phases."""

    def __init__(self, stack: Stack, zoho: dict[str, int], shiprocket: dict[str, int]) -> None:
        self._stack = stack
        self._zoho, self._shiprocket = dict(zoho), dict(shiprocket)
        self._since = time.monotonic()

    def phase(self, name: str, shipments: int, advance_calls: int) -> Phase:
        zoho = sim_get(self._stack.zoho_url, "/_sim/state")["calls"]
        shiprocket = sim_get(self._stack.shiprocket_url, "/_sim/state")["calls"]
        now = time.monotonic()
        phase = Phase(
            name,
            round(now - self._since, 2),
            shipments,
            advance_calls,
            _delta(zoho, self._zoho),
            _delta(shiprocket, self._shiprocket),
        )
        self._zoho, self._shiprocket, self._since = zoho, shiprocket, now
        return phase


def advance_in_turns(
    stack: Stack,
    left: dict[str, int | None],
    *,
    hold: int,
    steps: int,
    options: dict[str, Any],
    progress: Progress,
    label: str,
) -> int:
    """Move each AWB in turn ``steps`` statuses at a time until ``hold`` statuses are left; advance calls made.

    ``left`` (statuses still to come per AWB, None when unknown) is updated from the simulator's answers.
    """
    calls = 0
    while True:
        moving = [awb for awb, count in left.items() if count is None or count > hold]
        if not moving:
            return calls
        for awb in moving:
            count = left[awb]
            body = {"awb": awb, "steps": steps if count is None else min(steps, count - hold), **options}
            answer = sim_post(stack.shiprocket_url, "/_sim/tracking/advance", body)
            calls += 1
            moved = answer.get("advanced") or []
            left[awb] = len(moved[0]["remaining"]) if moved else 0
            progress.note(f"tracking: {label}, {calls} advance calls")


def _wait(stack: Stack, deadline: float, phase: str) -> str | None:
    try:
        stack.wait_idle(timeout=max(deadline - time.monotonic(), 5.0))
    except TimeoutError as err:
        return f"{phase}: {err}"
    return None


def play_lifecycles(
    stack: Stack, day: SampleDay, shiprocket_state: dict[str, Any], counts: _Counts, progress: Progress, timeout: float
) -> Lifecycles:
    """The tracking and customer-return phases on a day whose orders have shipped."""
    deadline = time.monotonic() + timeout
    tracking = day.tracking
    sim_post(
        stack.shiprocket_url,
        "/_sim/seed",
        {
            "lifecycles": tracking["lifecycles"],
            "webhook_options": tracking["webhook_options"],
            "random_seed": tracking["random_seed"],
        },
    )
    forward = {o["order_id"]: o for o in shiprocket_state["orders"] if o.get("awb_code")}
    result = Lifecycles(phases=[], problems=[])
    # The statuses still to come per AWB, carried from one phase to the next (RTOs stop one short).
    left: dict[str, int | None] = {}
    for name, lifecycles, hold, options_key in TRACKING_PHASES:
        awbs = {
            str(forward[number]["awb_code"]): lifecycle
            for number, lifecycle in sorted(tracking["lifecycles"].items())
            if lifecycle in lifecycles and number in forward
        }
        if not awbs:
            continue
        for awb, lifecycle in awbs.items():
            if awb not in left:
                order = next(o for o in forward.values() if o["awb_code"] == awb)
                left[awb] = len(remaining_after(LIFECYCLES[lifecycle], order.get("shipment_status_id")))
        turn = {awb: left[awb] for awb in awbs}
        options = tracking.get(options_key, {}) if options_key else {}
        calls = advance_in_turns(
            stack, turn, hold=hold, steps=tracking["steps_per_advance"], options=options, progress=progress, label=name
        )
        left.update(turn)
        problem = _wait(stack, deadline, name)
        result.phases.append(counts.phase(name, len(awbs), calls))
        if problem:
            result.problems.append(problem)
            return result
    if tracking.get("customer_return"):
        result.return_booking = book_customer_return(stack, tracking["customer_return"])
        calls = 0
        return_awb = result.return_booking.get("awb")
        if return_awb:
            calls = advance_in_turns(
                stack,
                {str(return_awb): None},
                hold=0,
                steps=tracking["steps_per_advance"],
                options={},
                progress=progress,
                label=CUSTOMER_RETURN_PHASE,
            )
        problem = _wait(stack, deadline, CUSTOMER_RETURN_PHASE)
        result.phases.append(counts.phase(CUSTOMER_RETURN_PHASE, 1, calls))
        if problem:
            result.problems.append(problem)
            return result
    batches = day.tracking.get("remittance", {}).get("batches") or []
    if batches:
        awb_of = {number: str(order["awb_code"]) for number, order in forward.items()}
        result.remittances = play_remittance(stack, day, awb_of, progress)
        problem = _wait(stack, deadline, REMITTANCE_PHASE)
        remitted = sum(len(batch["orders"]) for batch in batches)
        result.phases.append(counts.phase(REMITTANCE_PHASE, remitted, 0))
        result.problems.extend(str(b["problem"]) for b in result.remittances if b.get("problem"))
        if problem:
            result.problems.append(problem)
    progress.done(f"tracking: {sum(p.advance_calls for p in result.phases)} advance calls, done")
    return result


def play_remittance(
    stack: Stack, day: SampleDay, awb_of: Mapping[str, str], progress: Progress
) -> list[dict[str, Any]]:
    """Shiprocket remits each planned batch (``awb_of``: order number -> AWB); it reaches the stack as
    posted JSON, or through the poll followed by the seller's upload of the panel CSV (which alone
    carries the deductions)."""
    plan = day.tracking["remittance"]
    done: list[dict[str, Any]] = []
    for batch in plan["batches"]:
        progress.note(f"remittance: {batch['utr']} ({batch['route']})")
        row: dict[str, Any] = {**batch, "awbs": [awb_of.get(number) for number in batch["orders"]]}
        done.append(row)
        if None in row["awbs"]:
            row["problem"] = f"remittance {batch['utr']}: no AWB for {batch['orders']}"
            continue
        remitted = sim_post(
            stack.shiprocket_url, "/_sim/remit", {"utr": batch["utr"], "date": plan["date"], "awbs": row["awbs"]}
        )
        row["batch"] = remitted
        try:
            if batch["route"] == "poll":
                invoke = getattr(stack, "invoke", None)
                if invoke is None:
                    row["problem"] = f"remittance {batch['utr']}: the poll needs a stack started here (not --api)"
                    continue
                row["poll"] = invoke(REMITTANCE_FUNCTION, {"poll": "remittance"})
                row["bank_transfer_amount"] = remitted["bank_transfer_amount"]
                stack.wait_idle(timeout=60.0)
                answer = _post_remittance(stack, remittance_csv(remitted).encode(), "text/csv")
            else:
                # The deliberate mismatch: the bank credited less than the orders' net.
                transfer = round(remitted["bank_transfer_amount"] - batch["short_by"], 2)
                row["bank_transfer_amount"] = transfer
                body = json.dumps({**remitted, "bank_transfer_amount": transfer}).encode()
                answer = _post_remittance(stack, body, "application/json")
            row["status"] = answer.status_code
            if not answer.ok:
                row["problem"] = f"remittance {batch['utr']} answered {answer.status_code}: {answer.text[:200]}"
            stack.wait_idle(timeout=60.0)
        except TimeoutError as err:
            row["problem"] = f"remittance {batch['utr']}: {err}"
    progress.done(f"remittance: {len(done)} batches")
    return done


def _post_remittance(stack: Stack, body: bytes, content_type: str) -> requests.Response:
    return requests.post(
        stack.api_url.rstrip("/") + REMITTANCE_PATH,
        data=body,
        headers={"x-api-key": stack.tokens["remittance_webhook"], "content-type": content_type},
        timeout=30,
    )


def remittance_csv(batch: dict[str, Any]) -> str:
    """A remittance as the Shiprocket panel's export: one row per order, CRLF line ends."""
    rows = ["AWB,Order ID,COD Amount,Deductions,UTR,Remittance Date,Bank Transfer Amount"]
    rows += [
        f"{o['awb']},{o.get('order_id') or ''},{o['cod_amount']},{o['deducted_charges']},"
        f"{batch['remittance_id']},{batch['remittance_date']},{batch['bank_transfer_amount']}"
        for o in batch["orders"]
    ]
    return "\r\n".join(rows) + "\r\n"


def book_customer_return(stack: Stack, request: dict[str, Any]) -> dict[str, Any]:
    """``POST /returns`` as support would (admin bearer token): the status, and the answer's awb when booked."""
    started = time.perf_counter()
    try:
        response = requests.post(
            stack.api_url.rstrip("/") + RETURNS_PATH,
            json=request,
            headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
            timeout=30,
        )
    except requests.RequestException as err:
        return {"request": request, "status": 0, "error": type(err).__name__}
    try:
        answer = response.json()
    except ValueError:
        answer = {"error": response.text[:200]}
    answer = answer if isinstance(answer, dict) else {"error": str(answer)[:200]}
    return {
        "request": request,
        "status": response.status_code,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        **{key: answer.get(key) for key in ("awb", "return_order_id", "courier", "error", "field") if key in answer},
    }


# --------------------------------------------------------------------------- summary


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (no interpolation: the value a real request saw)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    return {key: value for key, value in sorted(changed.items()) if value}


def _alert_fields(alert: dict[str, Any]) -> dict[str, Any]:
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


@dataclass(frozen=True)
class Baseline:
    """Counters before the day starts, so a stack that already did work reports only this day."""

    zoho_calls: dict[str, int]
    shiprocket_calls: dict[str, int]
    zoho_token_mints: int
    alerts: int
    tracking_webhooks: int


def take_baseline(stack: Stack) -> Baseline:
    zoho = sim_get(stack.zoho_url, "/_sim/state")
    shiprocket = sim_get(stack.shiprocket_url, "/_sim/state")
    return Baseline(
        zoho["calls"],
        shiprocket["calls"],
        int(zoho.get("token_mints", 0)),
        len(stack.alerts()),
        len(shiprocket.get("webhooks", [])),
    )


def _provider_calls(calls: dict[str, int], auth: frozenset[str], shipped: int) -> dict[str, Any]:
    api = {endpoint: count for endpoint, count in calls.items() if endpoint not in auth}
    total = sum(api.values())
    return {
        "total": total,
        "per_shipped_order": round(total / shipped, 2) if shipped else None,
        "auth_calls": sum(count for endpoint, count in calls.items() if endpoint in auth),
        "by_endpoint": api,
    }


@dataclass(frozen=True)
class DayStates:
    """The simulators' states once the orders are confirmed (``confirmed_*``) and at the end of the day."""

    confirmed_zoho: dict[str, Any]
    confirmed_shiprocket: dict[str, Any]
    zoho: dict[str, Any]
    shiprocket: dict[str, Any]


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
    orders = _ours(zoho_state, numbers)
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
    alert_rows = [_alert_fields(alert) for alert in alerts]

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
    for number in sorted(numbers):
        want = expected[number]
        so = orders.get(number)
        status = _status(so)
        fields = (so or {}).get("custom_field_hash") or {}
        sr_orders = sr_by_number[number]
        if status == SHIPPED:
            shipped.append(number)
            by_courier[str(fields.get("cf_courier_partner") or "?")] += 1
            by_payment[want["payment"]] += 1
            by_tier[want["tier"]] += 1
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

    unfinished = sorted(number for number in numbers if not _status(orders.get(number)))
    repeated = day.expected["repeated_deliveries"]
    duplicates = {
        "orders_with_repeated_deliveries": {
            number: {"deliveries": count, "shiprocket_orders": len(sr_by_number.get(number, []))}
            for number, count in repeated.items()
        },
        "sales_orders_with_several_shiprocket_orders": sorted(n for n, o in sr_by_number.items() if len(o) > 1),
        "exactly_one_shiprocket_order_per_shipped_order": all(len(sr_by_number[n]) == 1 for n in shipped),
    }
    zoho_calls = _delta(zoho_state["calls"], baseline.zoho_calls)
    shiprocket_calls = _delta(shiprocket_state["calls"], baseline.shiprocket_calls)
    confirm = Phase("confirm", round(timings.get("confirm", 0.0), 2), len(shipped), 0, zoho_calls, shiprocket_calls)
    lifecycle = _lifecycle_report(day, states, baseline, lifecycles, confirm)
    mismatches.extend(lifecycle.pop("mismatches"))
    remittance = _remittance_report(day, states.zoho, alert_rows, lifecycles)
    mismatches.extend(remittance.pop("mismatches"))
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
        if alert["kind"] in REMITTANCE_ALERT_KINDS:
            continue
        order = expected.get(str(alert["correlation_id"]))
        if order is None or alert["kind"] not in {*order["alerts"], *order["may_alert"]}:
            problems.append(f"unexpected alert {alert['kind']}: {alert['subject']}")
    return problems


def _api_total(calls: dict[str, int], auth: frozenset[str]) -> int:
    return sum(count for endpoint, count in calls.items() if endpoint not in auth)


def _per(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _lifecycle_report(
    day: SampleDay, states: DayStates, baseline: Baseline, lifecycles: Lifecycles | None, confirm: Phase
) -> dict[str, Any]:
    """Final statuses, restocks, tracking webhooks and calls per phase; ``mismatches`` is popped by the caller."""
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    zoho = states.zoho
    orders = _ours(zoho, set(expected))
    ran = lifecycles is not None
    mismatches: list[str] = list(lifecycles.problems if lifecycles else [])
    finals: Counter[str] = Counter()
    for number, want in sorted(expected.items()):
        status = _status(orders.get(number))
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
    restocks, restock_problems = _restocks(day, zoho, expected)
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
    tracking_phases = phases[1:]
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
        "customer_return": lifecycles.return_booking if lifecycles else None,
        "phases": [_phase_row(phase) for phase in phases],
        "zoho_calls_per_lifecycle": _calls_per_lifecycle(phases),
        "mismatches": mismatches,
    }


def _paise(rupees: Any) -> int:
    return round(float(rupees) * 100)


def _remittance_report(
    day: SampleDay, zoho: dict[str, Any], alert_rows: list[dict[str, Any]], lifecycles: Lifecycles | None
) -> dict[str, Any]:
    """COD paid in Zoho Books per remittance batch, in paise until printed, and what differs from the plan."""
    rows = (lifecycles.remittances if lifecycles else None) or []
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    summary = day.expected["lifecycle_summary"]
    invoice_of = {number: str(want["invoice"]["invoice_id"]) for number, want in expected.items() if want["invoice"]}
    number_of_invoice = {invoice_id: number for number, invoice_id in invoice_of.items()}
    invoices = {str(invoice["invoice_id"]): invoice for invoice in zoho["invoices"]}
    orders = _ours(zoho, set(expected))
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
    zoho_calls = _api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS) if phase else 0
    return {
        "cod_collected": paid_gross / 100,
        "deducted": paid_deducted / 100,
        "remitted": (paid_gross - paid_deducted) / 100,
        "batches": batches,
        "payments_created": payments_created,
        "expected_payments": summary["remitted_orders"],
        "invoices_left_with_balance": with_balance,
        "mismatch_alerts": mismatch_alerts,
        "zoho_calls_per_remitted_order": _per(zoho_calls, len(remitted_numbers)) if phase else None,
        "unremitted_cod_orders": unremitted,
        "expected_unremitted": summary["unremitted_delivered_cod"],
        "mismatches": mismatches,
    }


def _last_scan_status(hook: dict[str, Any]) -> str | None:
    scans = hook["payload"].get("scans") or [{}]
    return str(scans[-1].get("sr-status")) if isinstance(scans[-1], dict) else None


def _restocks(
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
        if expected[so["salesorder_number"]]["expect"] == SHIPPED:
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
        "zoho_calls": _api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS),
        "shiprocket_calls": _api_total(phase.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS),
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
        return _per(_api_total(phase.zoho_calls, ZOHO_AUTH_ENDPOINTS), phase.shipments) if phase else None

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
            "zoho": _api_total(customer_return.zoho_calls, ZOHO_AUTH_ENDPOINTS),
            "shiprocket": _api_total(customer_return.shiprocket_calls, SHIPROCKET_AUTH_ENDPOINTS),
        },
    }


def run_sample_day(
    stack: Stack,
    day: SampleDay | None = None,
    *,
    progress: TextIO | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    workers: int = WORKERS,
) -> dict[str, Any]:
    """Replay the day on a started stack and return the report (``report["ok"]``: as expected)."""
    day = day or load()
    bar = Progress(progress)
    numbers = {order["salesorder_number"] for order in day.expected["orders"]}
    present = _ours(sim_get(stack.zoho_url, "/_sim/state"), numbers)
    if any(_status(so) for so in present.values()):
        raise RuntimeError("this stack has already replayed the sample day: restart it (or reset it) first")
    baseline = take_baseline(stack)
    started = time.monotonic()
    sim_post(stack.zoho_url, "/_sim/seed", day.zoho_seed)
    sim_post(stack.shiprocket_url, "/_sim/seed", day.shiprocket_seed)
    acks = post_webhooks(stack, day.webhooks, bar, workers)
    posted = time.monotonic()
    problem = wait_for_day(stack, numbers, bar, timeout)
    confirmed = time.monotonic()
    confirmed_zoho = sim_get(stack.zoho_url, "/_sim/state")
    confirmed_shiprocket = sim_get(stack.shiprocket_url, "/_sim/state")
    lifecycles = None
    if problem is None:
        counts = _Counts(stack, confirmed_zoho["calls"], confirmed_shiprocket["calls"])
        lifecycles = play_lifecycles(
            stack, day, confirmed_shiprocket, counts, bar, max(timeout - (confirmed - started), 30.0)
        )
    finished = time.monotonic()
    timings = {
        "posting": posted - started,
        "processing": confirmed - posted,
        "confirm": confirmed - started,
        "lifecycles": finished - confirmed,
        "total": finished - started,
    }
    depths = stack.queue_depths()
    states = DayStates(
        confirmed_zoho,
        confirmed_shiprocket,
        sim_get(stack.zoho_url, "/_sim/state"),
        sim_get(stack.shiprocket_url, "/_sim/state"),
    )
    return build_report(
        day,
        acks,
        states,
        depths,
        stack.alerts()[baseline.alerts :],
        baseline,
        timings,
        problem,
        peek_dlqs(stack, depths),
        lifecycles,
    )


def peek_dlqs(stack: Stack, depths: dict[str, int]) -> dict[str, list[str]]:
    """Which jobs each non-empty DLQ holds (up to 10 per queue), leaving them in place."""
    if isinstance(stack, RemoteStack):
        sqs = stack.sqs
    else:
        from local.aws import client

        sqs = client("sqs")
    found: dict[str, list[str]] = {}
    for name, depth in depths.items():
        if "dlq" not in name.lower() or not depth:
            continue
        received = sqs.receive_message(
            QueueUrl=stack.queue_url(name),
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        found[name] = [_describe_job(message) for message in received]
    return found


def _describe_job(message: dict[str, Any]) -> str:
    try:
        job = json.loads(message["Body"])
    except json.JSONDecodeError:
        job = None
    if not isinstance(job, dict):
        return f"message {message['MessageId']}"
    what = job.get("salesorder_number") or job.get("awb") or job.get("provider") or message["MessageId"]
    return f"{what} ({job.get('source', 'job')})"


# --------------------------------------------------------------------------- printing


def _table(rows: list[tuple[str, Any]], indent: int = 2) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"{' ' * indent}{label:<{width}}  {value}" for label, value in rows]


def format_report(report: dict[str, Any]) -> str:
    webhooks, orders, calls = report["webhooks"], report["orders"], report["api_calls"]
    lines = [f"Sample day {report['day']['date']}: {'as expected' if report['ok'] else 'NOT as expected'}", ""]
    lines.append("Webhooks")
    lines += _table(
        [
            ("posted / accepted", f"{webhooks['posted']} / {webhooks['accepted']}  (HTTP {webhooks['by_status']})"),
            ("ack p50 / p99 / max", "{p50} / {p99} / {max} ms".format(**webhooks["ack_ms"])),
        ]
    )
    lines += ["", "Orders"]
    lines += _table(
        [
            ("confirmed", orders["confirmed"]),
            ("shipped", orders["shipped"]),
            ("failed", orders["failed"]),
            ("unfinished", f"{orders['unfinished']}  {' '.join(report['unfinished_orders'])}".rstrip()),
            ("by payment", ", ".join(f"{k} {v}" for k, v in report["shipped_by_payment"].items()) or "-"),
            ("by city tier", ", ".join(f"{k} {v}" for k, v in report["shipped_by_tier"].items()) or "-"),
        ]
    )
    lines += ["", "Shipped per courier"]
    lines += _table(list(report["shipped_by_courier"].items())) or ["  -"]
    lines += ["", "Failures"]
    for status, rows in report["failures"].items():
        lines.append(f"  {status} ({len(rows)})")
        lines += [f"    {row['salesorder_number']}  {row['reason'] or '(no alert)'}" for row in rows]
    if not report["failures"]:
        lines.append("  -")
    dup = report["duplicates"]
    lines += ["", "Duplicate deliveries"]
    lines += _table(
        [
            (number, f"{info['deliveries']} deliveries -> {info['shiprocket_orders']} Shiprocket order(s)")
            for number, info in dup["orders_with_repeated_deliveries"].items()
        ]
        + [("one Shiprocket order per shipped order", dup["exactly_one_shiprocket_order_per_shipped_order"])]
    )
    lines += ["", "Provider API calls (token endpoints apart)"]
    lines += _table(
        [
            (name, f"{info['total']} calls, {info['per_shipped_order']} per shipped order, {info['auth_calls']} auth")
            for name, info in calls.items()
        ]
    )
    for name, info in calls.items():
        lines += _table([(f"{name} {endpoint}", count) for endpoint, count in info["by_endpoint"].items()], indent=4)
    mints = report["token_mints"]
    lines += ["", "Tokens"]
    lines += _table([("Zoho access-token mints", mints["zoho"]), ("Shiprocket logins", mints["shiprocket_logins"])])
    lines += _format_lifecycles(report)
    lines += _format_remittance(report["remittance"])
    lines += ["", "Alerts"]
    lines += _table([("total", report["alerts"]["total"]), *report["alerts"]["by_kind"].items()])
    lines += _table([(n, ", ".join(kinds)) for n, kinds in report["alerts"]["tracking_by_order"].items()], indent=4)
    lines += ["", "Queues"]
    lines += _table([*report["dlq"].items(), *report["queues"].items()]) or ["  -"]
    timings = report["timings_s"]
    lines += [
        "",
        f"Took {timings['total']} s (posting {timings['posting']} s, processing {timings['processing']} s, "
        f"lifecycles {timings.get('lifecycles', 0)} s)",
    ]
    if report["mismatches"]:
        lines += ["", "Differs from the expected day:"]
        lines += [f"  - {problem}" for problem in report["mismatches"]]
    return "\n".join(lines)


def _format_remittance(remittance: dict[str, Any]) -> list[str]:
    if not remittance["batches"]:
        return []
    lines = ["", "COD remittance"]
    lines += _table(
        [
            ("COD collected (paid, gross)", f"{remittance['cod_collected']:.2f}"),
            ("deducted (bank charges)", f"{remittance['deducted']:.2f}"),
            ("remitted (net)", f"{remittance['remitted']:.2f}"),
            ("payments created", f"{remittance['payments_created']} (expected {remittance['expected_payments']})"),
            ("remitted invoices left with a balance", len(remittance["invoices_left_with_balance"])),
            ("mismatch alerts", ", ".join(remittance["mismatch_alerts"]) or "0"),
            ("Zoho calls per remitted order", remittance["zoho_calls_per_remitted_order"]),
            (
                "unremitted COD orders left",
                f"{len(remittance['unremitted_cod_orders'])} (expected {remittance['expected_unremitted']})",
            ),
        ]
    )
    lines += _table(
        [
            (
                batch["utr"],
                f"{REMITTANCE_ROUTES[batch['route']]}, {batch['orders']} orders, net {batch['expected_net']:.2f}, "
                f"transfer {batch['bank_transfer_amount']:.2f}: "
                + ("balanced" if batch["balanced"] else f"NOT balanced, difference {batch['difference']:.2f}"),
            )
            for batch in remittance["batches"]
        ],
        indent=4,
    )
    return lines


def _format_lifecycles(report: dict[str, Any]) -> list[str]:
    lifecycle, tracking, restocks = report["lifecycle"], report["tracking"], report["restocks"]
    final, wanted = lifecycle["final_status"], lifecycle["expected_final_status"]
    lines = ["", "Lifecycles (planned: " + ", ".join(f"{k} {v}" for k, v in lifecycle["planned"].items()) + ")"]
    lines += _table([(status, f"{final.get(status, 0)} (expected {wanted.get(status, 0)})") for status in wanted])
    lines += _table([(status, f"{count} (expected 0)") for status, count in final.items() if status not in wanted])
    lines += ["", "Tracking webhooks (Shiprocket simulator)"]
    lines += _table(
        [
            ("received / accepted", f"{tracking['webhooks_received']} / {tracking['accepted']}"),
            (
                "noise",
                f"{tracking['duplicates']} duplicates, {tracking['na_scans']} NA scans, "
                f"{tracking['string_ids']} with string ids, {tracking['return_shipment']} for the return parcel",
            ),
            ("advance calls", tracking["advance_calls"]),
            ("Zoho status writes", f"{tracking['zoho_status_writes']} (of {tracking['webhooks_received']} events)"),
            ("Zoho shipments marked delivered", tracking["zoho_delivered_marks"]),
        ]
    )
    expect = restocks["expected"]
    lines += ["", "Restocks (RTOs and the customer return)"]
    lines += _table(
        [
            (key.replace("_", " "), f"{restocks[key]} (expected {expect[key]})")
            for key in ("sales_returns", "receives", "credit_notes", "units_restocked")
        ]
        + [("RTO invoices left with a balance", ", ".join(restocks["invoices_left_with_balance"]) or "0")]
    )
    lines += _table(
        [
            (
                row["salesorder_number"],
                f"{row['kind']} ({row['lifecycle']}, {row['payment']}): {row['sales_returns']} return, "
                f"{row['receives']} receive, {row['units_received']} units back, {row['credit_notes']} credit note"
                + (
                    f" {row['credit_total']:.2f}, invoice balance {row['invoice_balance']:.2f}"
                    if row["credit_notes"]
                    else ""
                ),
            )
            for row in restocks["orders"]
        ],
        indent=4,
    )
    booking = report["customer_return"]
    if booking:
        asked = booking["request"]
        lines += ["", "Customer return"]
        lines += _table(
            [
                (
                    "request",
                    f"{asked['salesorder_number']} {asked.get('lines') or 'all lines'} ({asked.get('reason')})",
                ),
                ("answer", f"HTTP {booking['status']} AWB {booking.get('awb')} {booking.get('error') or ''}".rstrip()),
            ]
        )
    per = report["zoho_calls_per_lifecycle"]
    delivered, rto = per["delivered"], per["rto"]
    lines += ["", "Zoho calls per shipment (token endpoints apart)"]
    rows = [
        ("delivered: confirm -> delivered", f"{delivered['total']} ({delivered['confirm']} + {delivered['tracking']})"),
        (
            "RTO: confirm -> restocked",
            f"{rto['total']} ({rto['confirm']} + {rto['tracking_to_last_leg']} + {rto['rto_delivered_and_restock']})",
        ),
        ("lost / NDR: tracking", per["lost_and_ndr_tracking"]),
    ]
    if per["customer_return"]:
        rows.append(
            (
                "customer return: booked -> restocked",
                f"{per['customer_return']['zoho']} (+ {per['customer_return']['shiprocket']} Shiprocket)",
            )
        )
    lines += _table(rows)
    lines += ["", "Phases"]
    lines += _table(
        [
            (
                phase["name"],
                f"{phase['seconds']} s, {phase['shipments']} shipments, {phase['zoho_calls']} Zoho + "
                f"{phase['shiprocket_calls']} Shiprocket calls",
            )
            for phase in report["phases"]
        ]
    )
    return lines


# --------------------------------------------------------------------------- a running `make serve`


class RemoteStack:
    """A stack started elsewhere (``make serve``), driven through ``.local-stack.json``."""

    def __init__(self, state: dict[str, Any]) -> None:
        import boto3

        from local.aws import ALERTS_INBOX, REGION

        self.api_url = str(state["api"])
        self.shiprocket_url = str(state["shiprocket"])
        self.zoho_url = str(state["zoho"])
        self.tokens = {str(k): str(v) for k, v in state["tokens"].items()}
        self._sqs = boto3.client(
            "sqs",
            endpoint_url=state["aws"],
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        self._inbox = ALERTS_INBOX
        self._alerts: list[dict[str, Any]] = []

    @property
    def sqs(self) -> Any:
        return self._sqs

    def _queues(self) -> dict[str, str]:
        urls = self._sqs.list_queues().get("QueueUrls", [])
        return {url.rsplit("/", 1)[-1]: url for url in urls if not url.endswith("/" + self._inbox)}

    def queue_url(self, logical_id: str) -> str:
        # Remotely only the queue names are known: the depths are keyed by name, and so is this.
        return self._queues()[logical_id]

    def queue_depths(self) -> dict[str, int]:
        names = [
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ]
        return {
            name: sum(
                int(v)
                for v in self._sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"].values()
            )
            for name, url in self._queues().items()
        }

    def wait_idle(self, timeout: float = 30.0) -> None:
        # Without the runner's view of running invocations, two empty looks a second apart stand in.
        deadline = time.monotonic() + timeout
        quiet = 0
        while True:
            depths = self.queue_depths()
            busy = {name: depth for name, depth in depths.items() if depth and "dlq" not in name.lower()}
            quiet = 0 if busy else quiet + 1
            if quiet >= 2:
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"remote stack not idle after {timeout} s: {busy}")
            time.sleep(0.5 if busy else 1.0)

    def alerts(self) -> list[dict[str, Any]]:
        from local.stack import _alert

        url = self._sqs.get_queue_url(QueueName=self._inbox)["QueueUrl"]
        while True:
            received = self._sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
            messages = received.get("Messages", [])
            if not messages:
                return list(self._alerts)
            self._alerts.extend(_alert(message["Body"]) for message in messages)
            self._sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)],
            )


@contextlib.contextmanager
def _stack(api_state: Path | None, port: int, zoho_limit_scale: int) -> Iterator[Stack]:
    if api_state is not None:
        yield RemoteStack(json.loads(api_state.read_text(encoding="utf-8")))
        return
    with scaled_local_stack(port, zoho_limit_scale) as stack:
        yield stack


@contextlib.contextmanager
def scaled_local_stack(port: int, zoho_limit_scale: int) -> Iterator[LocalStack]:
    """A local stack whose Zoho limits (the simulator's and shipsync's limiter) are both ``zoho_limit_scale``
    times the real ones, so a day of orders is not paced by the real 100 requests a minute."""
    from local.stack import LocalStack

    env = {"ZOHO_REQUESTS_PER_MINUTE": str(SHIPSYNC_ZOHO_PER_MINUTE * zoho_limit_scale)}
    with LocalStack(api_port=port, extra_env=env) as stack:
        sim_post(stack.zoho_url, "/_sim/seed", {"per_minute_limit": ZOHO_PER_MINUTE * zoho_limit_scale})
        yield stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sample_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, default=Path("reports/run.json"), help="JSON report path")
    parser.add_argument(
        "--api",
        type=Path,
        metavar="STATE_JSON",
        help="replay against a running `make serve` described by this file (its .local-stack.json)",
    )
    parser.add_argument("--port", type=int, default=3000, help="API port of the stack started here (0 = any)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the day")
    parser.add_argument("--data", type=Path, help="sample day directory (default events/sample_day)")
    parser.add_argument(
        "--rule-paths",
        action="store_true",
        help="replay only one order per rule path (failures, repeated delivery, heavy COD, repeated SKU, "
        "an invoiced RTO, the lost parcel, an NDR, the customer return): ~20 s",
    )
    parser.add_argument(
        "--real-zoho-limits",
        action="store_true",
        help=f"keep Zoho's 100 requests/minute (the day then takes ~7 min) instead of scaling it by {ZOHO_LIMIT_SCALE}",
    )
    args = parser.parse_args(argv)
    day = load(args.data) if args.data else load()
    if args.rule_paths:
        day = day.only(day.rule_path_orders())
    args.report.parent.mkdir(parents=True, exist_ok=True)
    log_path = args.report.with_suffix(".log")

    print(f"replaying {len(day.webhooks)} webhook deliveries for {len(day.expected['orders'])} orders", file=sys.stderr)
    # The handlers log every step (and their metrics) as JSON on stdout, bound when they are
    # imported at stack start: send all of it to a log file so stdout carries only the table.
    # Powertools warns on every invocation that published no metric (webhook acks): noise here.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    with log_path.open("w", encoding="utf-8") as log_file, contextlib.redirect_stdout(log_file):
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s", stream=log_file, force=True
        )
        scale = 1 if args.real_zoho_limits else ZOHO_LIMIT_SCALE
        with _stack(args.api, args.port, scale) as stack:
            report = run_sample_day(stack, day, progress=sys.stderr, timeout=args.timeout)
        logging.shutdown()
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(format_report(report))
    if not args.api:
        print(
            f"\nZoho limits: simulator {ZOHO_PER_MINUTE * scale}/min, shipsync limiter "
            f"{SHIPSYNC_ZOHO_PER_MINUTE * scale}/min (real: {ZOHO_PER_MINUTE}/{SHIPSYNC_ZOHO_PER_MINUTE})"
        )
    print(f"\nreport written to {args.report}; stack logs in {log_path}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
