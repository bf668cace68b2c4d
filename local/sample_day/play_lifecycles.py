"""The phases after confirm: parcel lifecycles through tracking webhooks, the customer return, COD remittance."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

import requests

from local.sample_data import RTO_LIFECYCLES, SampleDay
from local.sample_day.progress import Progress
from local.sample_day.records import CUSTOMER_RETURN_PHASE, REMITTANCE_PHASE, Lifecycles, Phase, delta
from local.sample_day.sims import Stack, sim_get, sim_post
from local.sim.shiprocket import LIFECYCLES, remaining_after

RETURNS_PATH = "/returns"
# (phase, lifecycles it advances, statuses held back for a later phase, extra webhook options key)
TRACKING_PHASES: tuple[tuple[str, frozenset[str], int, str | None], ...] = (
    ("delivered", frozenset({"delivered"}), 0, None),
    ("lost and NDR", frozenset({"lost", "ndr_then_delivered"}), 0, None),
    ("RTO in transit", RTO_LIFECYCLES, 1, None),
    ("RTO delivered + restock", RTO_LIFECYCLES, 0, "rto_delivered_options"),
)
REMITTANCE_PATH = "/webhooks/cod-remittance"
REMITTANCE_FUNCTION = "CodRemittanceFunction"


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
