"""The phases after confirm: the sellers' cancellations and edits, parcel lifecycles through tracking webhooks, the
customer return, COD remittance."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping
from typing import Any

import requests

from local.sample_data import RTO_LIFECYCLES, SampleDay
from local.sample_day.chaos import REMITTANCE_REPOSTS, SYNC_ATTEMPTS, Chaos
from local.sample_day.progress import Progress
from local.sample_day.records import (
    CHANGES_PHASE,
    CUSTOMER_RETURN_PHASE,
    REMITTANCE_PHASE,
    WALLET_PHASE,
    Lifecycles,
    Phase,
    delta,
)
from local.sample_day.sims import Stack, sim_get, sim_post
from local.sim.shiprocket import LIFECYCLES, remaining_after

RETURNS_PATH = "/returns"
WEBHOOK_PATH = "/webhooks/zoho/salesorders"
# (phase, lifecycles it advances, statuses held back for a later phase, extra webhook options key)
TRACKING_PHASES: tuple[tuple[str, frozenset[str], int, str | None], ...] = (
    ("delivered", frozenset({"delivered"}), 0, None),
    ("lost and NDR", frozenset({"lost", "ndr_then_delivered"}), 0, None),
    ("RTO in transit", RTO_LIFECYCLES, 1, None),
    ("RTO delivered + restock", RTO_LIFECYCLES, 0, "rto_delivered_options"),
)
REMITTANCE_PATH = "/webhooks/cod-remittance"
REMITTANCE_FUNCTION = "CodRemittanceFunction"
MARGIN_PATH = "/admin/margin"
# A watch run books at most 40 rows (freight.booking): a day of ~150 rows needs a few runs.
WALLET_WATCH_RUNS = 10


class PhaseCounts:
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
            delta(zoho, self._zoho),
            delta(shiprocket, self._shiprocket),
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
    stack: Stack,
    day: SampleDay,
    shiprocket_state: dict[str, Any],
    counts: PhaseCounts,
    progress: Progress,
    timeout: float,
    chaos: Chaos | None = None,
) -> Lifecycles:
    """The tracking and customer-return phases on a day whose orders have shipped; ``chaos`` is told of each
    phase as it starts."""
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
    # By sales order number: an order re-created under a new reference (``<number>-R1``) is still that order's.
    forward = {re.sub(r"-R\d+$", "", str(o["order_id"])): o for o in shiprocket_state["orders"] if o.get("awb_code")}
    result = Lifecycles(phases=[], problems=[])
    changes = tracking.get("changes") or []
    if changes:
        if chaos is not None:
            chaos.at(CHANGES_PHASE)
        play_changes(stack, changes, progress, SYNC_ATTEMPTS if chaos is not None else 1)
        problem = _wait(stack, deadline, CHANGES_PHASE)
        result.phases.append(counts.phase(CHANGES_PHASE, len(changes), 0))
        if problem:
            result.problems.append(problem)
            return result
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
        if chaos is not None:
            chaos.at(name)
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
    attempts = SYNC_ATTEMPTS if chaos is not None else 1
    if tracking.get("customer_return"):
        result.return_booking = book_customer_return(stack, tracking["customer_return"], attempts)
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
        reposts = {_first_posted(batches): REMITTANCE_REPOSTS} if chaos is not None else {}
        result.remittances = play_remittance(stack, day, awb_of, progress, reposts, attempts)
        problem = _wait(stack, deadline, REMITTANCE_PHASE)
        remitted = sum(len(batch["orders"]) for batch in batches)
        result.phases.append(counts.phase(REMITTANCE_PHASE, remitted, 0))
        result.problems.extend(str(b["problem"]) for b in result.remittances if b.get("problem"))
        if problem:
            result.problems.append(problem)
            return result
    if chaos is not None:
        chaos.at(WALLET_PHASE)
    result.wallet = play_wallet(stack, progress, attempts)
    problem = _wait(stack, deadline, WALLET_PHASE)
    result.phases.append(counts.phase(WALLET_PHASE, len(forward), 0))
    result.problems.extend(str(p) for p in [result.wallet.get("problem"), problem] if p)
    progress.done(f"tracking: {sum(p.advance_calls for p in result.phases)} advance calls, done")
    return result


def play_wallet(stack: Stack, progress: Progress, attempts: int = 1) -> dict[str, Any]:
    """The hourly wallet watch, fired until it has booked every row it can (a run books a bounded share), then
    the margin report as support would fetch it (``GET /admin/margin``, admin bearer token)."""
    invoke = getattr(stack, "invoke", None)
    if invoke is None:
        return {"problem": "the wallet watch needs a stack started here (not --api)"}
    runs: list[Any] = []
    for _ in range(WALLET_WATCH_RUNS):
        progress.note(f"wallet: watch run {len(runs) + 1}")
        try:
            answer = _fire_until_done(invoke, {"poll": "wallet"}, attempts)
        except Exception as err:  # a run the storm failed: the next hour's schedule would run again
            answer = {"failed": f"{type(err).__name__}: {err}"[:200]}
        runs.append(answer)
        stack.wait_idle(timeout=60.0)
        if isinstance(answer, dict) and not answer.get("failed") and not answer.get("deferred"):
            break
    for attempt in range(1, attempts + 1):
        margin = requests.get(
            stack.api_url.rstrip("/") + MARGIN_PATH,
            params={"days": 2},
            headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
            timeout=60,
        )
        if margin.status_code < 500 or attempt == attempts:
            break
        time.sleep(1.0)
    result: dict[str, Any] = {"runs": runs, "margin_status": margin.status_code}
    try:
        result["margin"] = margin.json()
    except ValueError:
        result["margin"] = None
    if margin.status_code != 200:
        result["problem"] = f"GET {MARGIN_PATH} answered {margin.status_code}: {margin.text[:200]}"
    progress.done(f"wallet: {len(runs)} watch run(s), margin {margin.status_code}")
    return result


def play_changes(stack: Stack, changes: list[dict[str, Any]], progress: Progress, attempts: int = 1) -> None:
    """The sellers' changes after confirming: each edit made in Zoho (the simulator's ``salesorder_edits``), then
    the workflow rule's webhook with the whole sales order as Zoho now holds it."""
    url = stack.api_url.rstrip("/") + WEBHOOK_PATH
    for change in changes:
        progress.note(f"changes: {change['kind']} {change['salesorder_number']}")
        sim_post(
            stack.zoho_url,
            "/_sim/seed",
            {"salesorder_edits": [{"salesorder_id": change["salesorder_id"], **change["edit"]}]},
        )
        salesorder = next(
            so
            for so in sim_get(stack.zoho_url, "/_sim/state")["salesorders"]
            if so["salesorder_id"] == change["salesorder_id"]
        )
        for attempt in range(1, attempts + 1):
            answer = requests.post(
                url,
                json={"salesorder": salesorder},
                headers={"x-api-key": stack.tokens["zoho_webhook"], "user-agent": "Zoho-Webhook"},
                timeout=15,
            )
            if answer.status_code < 500 or attempt == attempts:
                break
            time.sleep(1.0)
    progress.done(f"changes: {len(changes)} posted")


def _first_posted(batches: list[dict[str, Any]]) -> str:
    """The UTR of the first batch that reaches the stack as a posted JSON remittance (else the first batch)."""
    return str(next((b["utr"] for b in batches if b["route"] == "webhook"), batches[0]["utr"]))


def play_remittance(
    stack: Stack,
    day: SampleDay,
    awb_of: Mapping[str, str],
    progress: Progress,
    reposts: Mapping[str, int] | None = None,
    attempts: int = 1,
) -> list[dict[str, Any]]:
    """Shiprocket remits each planned batch (``awb_of``: order number -> AWB); it reaches the stack as
    posted JSON, or through the poll followed by the seller's upload of the panel CSV (which alone
    carries the deductions). ``reposts`` (UTR -> times) posts a batch more than once; the poll is
    fired up to ``attempts`` times until it does not fail."""
    plan = day.tracking["remittance"]
    done: list[dict[str, Any]] = []
    for batch in plan["batches"]:
        progress.note(f"remittance: {batch['utr']} ({batch['route']})")
        row: dict[str, Any] = {**batch, "awbs": [awb_of.get(number) for number in batch["orders"]]}
        times = (reposts or {}).get(batch["utr"], 1)
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
                row["poll"] = _poll_until_done(invoke, attempts)
                row["bank_transfer_amount"] = remitted["bank_transfer_amount"]
                stack.wait_idle(timeout=60.0)
                answer = _post_remittance(stack, remittance_csv(remitted).encode(), "text/csv", times)
            else:
                # The deliberate mismatch: the bank credited less than the orders' net.
                transfer = round(remitted["bank_transfer_amount"] - batch["short_by"], 2)
                row["bank_transfer_amount"] = transfer
                body = json.dumps({**remitted, "bank_transfer_amount": transfer}).encode()
                answer = _post_remittance(stack, body, "application/json", times)
            row["status"] = answer.status_code
            if not answer.ok:
                row["problem"] = f"remittance {batch['utr']} answered {answer.status_code}: {answer.text[:200]}"
            stack.wait_idle(timeout=60.0)
        except TimeoutError as err:
            row["problem"] = f"remittance {batch['utr']}: {err}"
    progress.done(f"remittance: {len(done)} batches")
    return done


def _post_remittance(stack: Stack, body: bytes, content_type: str, times: int = 1) -> requests.Response:
    """Post a remittance ``times`` times (a sender that repeats itself); the last answer."""
    for _ in range(times):
        answer = requests.post(
            stack.api_url.rstrip("/") + REMITTANCE_PATH,
            data=body,
            headers={"x-api-key": stack.tokens["remittance_webhook"], "content-type": content_type},
            timeout=30,
        )
    return answer


def _poll_until_done(invoke: Any, attempts: int) -> Any:
    """Fire the remittance poll; one the storm fails, or that could not read every order, is fired again (as its
    next schedule would be), up to ``attempts`` runs in all: the last run's answer."""
    return _fire_until_done(invoke, {"poll": "remittance"}, attempts)


def _fire_until_done(invoke: Any, event: dict[str, Any], attempts: int) -> Any:
    for attempt in range(1, attempts + 1):
        try:
            answer = invoke(REMITTANCE_FUNCTION, event)
        except Exception:
            if attempt == attempts:
                raise
        else:
            if attempt == attempts or not (isinstance(answer, dict) and answer.get("unread")):
                return answer
        time.sleep(1.0)
    raise ValueError("attempts must be at least 1")


def remittance_csv(batch: dict[str, Any]) -> str:
    """A remittance as the Shiprocket panel's export: one row per order, CRLF line ends."""
    rows = ["AWB,Order ID,COD Amount,Deductions,UTR,Remittance Date,Bank Transfer Amount"]
    rows += [
        f"{o['awb']},{o.get('order_id') or ''},{o['cod_amount']},{o['deducted_charges']},"
        f"{batch['remittance_id']},{batch['remittance_date']},{batch['bank_transfer_amount']}"
        for o in batch["orders"]
    ]
    return "\r\n".join(rows) + "\r\n"


def book_customer_return(stack: Stack, request: dict[str, Any], attempts: int = 1) -> dict[str, Any]:
    """``POST /returns`` as support would (admin bearer token): the status, and the answer's awb when booked.
    A 5xx or a 409 ("retry shortly": the booking is half-recorded) is posted again, up to ``attempts`` posts in
    all, as support would try again."""
    started = time.perf_counter()
    for attempt in range(1, attempts + 1):
        try:
            response = requests.post(
                stack.api_url.rstrip("/") + RETURNS_PATH,
                json=request,
                headers={"Authorization": f"Bearer {stack.tokens['admin']}"},
                timeout=30,
            )
        except requests.RequestException as err:
            return {"request": request, "status": 0, "error": type(err).__name__}
        if (response.status_code < 500 and response.status_code != 409) or attempt == attempts:
            break
        time.sleep(1.0)
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
