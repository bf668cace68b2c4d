"""The confirm phase (every webhook delivery posted, then the wait for the orders) and the whole day's run."""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, TextIO

import requests

from local.sample_data import INVALID, SHIPPED, UNSERVICEABLE, SampleDay, load
from local.sample_day.chaos import Chaos, chaos_report, disordered_day, drain
from local.sample_day.play_lifecycles import PhaseCounts, play_lifecycles, play_wallet
from local.sample_day.progress import Progress
from local.sample_day.records import Ack, Baseline, DayStates
from local.sample_day.report import alert_fields, build_report
from local.sample_day.sims import Stack, ours, shipment_status, sim_get, sim_post
from local.sample_day.stacks import RemoteStack
from local.sample_day.zoho_cap import HoldingStack, ZohoCap, before_reset, reset_and_drain, split_alerts

WEBHOOK_PATH = "/webhooks/zoho/salesorders"
WORKERS = 4
DEFAULT_TIMEOUT_S = 900.0
IDLE_GRACE_S = 2.0
TERMINAL_STATUSES = frozenset({SHIPPED, INVALID, UNSERVICEABLE, "AWB Failed"})


def _request_body(delivery: dict[str, Any]) -> tuple[str, str]:
    document = json.dumps(delivery["body"])
    if delivery["format"] == "form":
        return urllib.parse.urlencode({"JSONString": document}), "application/x-www-form-urlencoded"
    return document, "application/json"


def post_webhooks(
    stack: Stack,
    webhooks: list[dict[str, Any]],
    progress: Progress,
    workers: int = WORKERS,
    halfway: Callable[[], None] | None = None,
) -> list[Ack]:
    """Post every delivery in order through ``workers`` connections; the client-side ack time is measured.
    ``halfway`` runs once half of them are acknowledged (the chaos day expires the tokens then)."""
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
            if halfway is not None and len(acks) == len(webhooks) // 2:
                halfway()
    progress.done(f"posted {len(webhooks)} webhooks")
    return sorted(acks, key=lambda ack: ack.seq)


def _finished(so: dict[str, Any] | None) -> bool:
    status = shipment_status(so)
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
        orders = ours(sim_get(stack.zoho_url, "/_sim/state"), numbers)
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


def take_baseline(stack: Stack) -> Baseline:
    zoho = sim_get(stack.zoho_url, "/_sim/state")
    shiprocket = sim_get(stack.shiprocket_url, "/_sim/state")
    return Baseline(
        zoho["calls"],
        shiprocket["calls"],
        int(zoho.get("token_mints", 0)),
        len(stack.alerts()),
        len(shiprocket.get("webhooks", [])),
        float(shiprocket.get("wallet_balance", 0.0)),
        len(shiprocket.get("wallet_rows", [])),
    )


def run_sample_day(
    stack: Stack,
    day: SampleDay | None = None,
    *,
    progress: TextIO | None = None,
    timeout: float = DEFAULT_TIMEOUT_S,
    workers: int = WORKERS,
    chaos: Chaos | None = None,
    zoho_cap: ZohoCap | None = None,
) -> dict[str, Any]:
    """Replay the day on a started stack and return the report (``report["ok"]``: as expected).

    With ``chaos`` the day plays under its storm (``local.sample_day.chaos``), the faults are cleared after the
    last phase and the stack drains; ``report["chaos"]`` counts what was lost, duplicated or dead-lettered, and
    ``report["ok"]`` is its verdict.

    With ``zoho_cap`` the day plays under a small Zoho daily cap, then Zoho's day resets and the stack drains
    (``local.sample_day.zoho_cap``); ``report["zoho_cap"]`` says what was done before the reset and what waited,
    and the day's checks read the drained state."""
    day = day or load()
    if chaos is not None:
        day = disordered_day(day, chaos.rate, chaos.seed)
    bar = Progress(progress)
    numbers = {order["salesorder_number"] for order in day.expected["orders"]}
    present = ours(sim_get(stack.zoho_url, "/_sim/state"), numbers)
    if any(shipment_status(so) for so in present.values()):
        raise RuntimeError("this stack has already replayed the sample day: restart it (or reset it) first")
    started = time.monotonic()
    sim_post(stack.zoho_url, "/_sim/seed", day.zoho_seed)
    sim_post(stack.shiprocket_url, "/_sim/seed", day.shiprocket_seed)
    # After the seeds: the day's wallet starts at the seeded balance (seeding calls no API).
    baseline = take_baseline(stack)
    cap_in_force = zoho_cap.start(stack) if zoho_cap is not None else None
    if chaos is not None:
        chaos.start()
    halfway = (lambda: chaos.at("confirm")) if chaos is not None else None
    acks = post_webhooks(stack, day.webhooks, bar, workers, halfway)
    posted = time.monotonic()
    problem = wait_for_day(stack, numbers, bar, timeout)
    confirmed = time.monotonic()
    confirmed_zoho = sim_get(stack.zoho_url, "/_sim/state")
    confirmed_shiprocket = sim_get(stack.shiprocket_url, "/_sim/state")
    lifecycles = None
    if problem is None:
        counts = PhaseCounts(stack, confirmed_zoho["calls"], confirmed_shiprocket["calls"])
        lifecycles = play_lifecycles(
            stack, day, confirmed_shiprocket, counts, bar, max(timeout - (confirmed - started), 30.0), chaos
        )
    capped: dict[str, Any] | None = None
    if zoho_cap is not None and lifecycles is not None:
        now_states = DayStates(
            confirmed_zoho,
            confirmed_shiprocket,
            sim_get(stack.zoho_url, "/_sim/state"),
            sim_get(stack.shiprocket_url, "/_sim/state"),
        )
        held = stack.held() if isinstance(stack, HoldingStack) else 0
        before = before_reset(stack, day, now_states, lifecycles, stack.alerts()[baseline.alerts :], held)
        after = reset_and_drain(stack, cap_in_force or zoho_cap.calls, bar, play_wallet)
        # The day's wallet checks read the watch as it ended: after the reset, with every row booked.
        lifecycles.wallet = after.pop("wallet")
        capped = {
            "cap": zoho_cap.calls,
            "reserve": zoho_cap.reserve,
            "cap_in_force": cap_in_force,
            "before_reset": before,
            "after_reset": after,
        }
    drained: dict[str, Any] = {}
    if chaos is not None:
        chaos.clear()
        bar.note("chaos: faults cleared, draining")
        drained = drain(stack)
        bar.done(f"chaos: drained in {drained['seconds']} s")
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
    parked = peek_dlqs(stack, depths)
    alerts, budget_alerts = split_alerts(stack.alerts()[baseline.alerts :])
    report = build_report(
        day,
        acks,
        states,
        depths,
        alerts if zoho_cap is not None else [*alerts, *budget_alerts],
        baseline,
        timings,
        problem,
        parked,
        lifecycles,
    )
    if capped is not None:
        capped["budget_pages"] = dict(Counter(str(alert_fields(alert)["kind"]) for alert in budget_alerts))
        report["zoho_cap"] = capped
        report["ok"] = report["ok"] and capped["before_reset"]["essential"]["complete"]
    elif zoho_cap is not None:
        report["ok"] = False  # the day ended before its lifecycles: build_report says why
    if chaos is not None:
        report["chaos"] = chaos_report(chaos, day, states.zoho, states.shiprocket, depths, parked, drained)
        report["ok"] = report["chaos"]["ok"]
    return report


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
