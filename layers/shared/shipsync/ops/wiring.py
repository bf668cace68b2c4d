"""The ops views' reading (``ops.story``): the ledger and the restock ledger, and the Zoho organisation for links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING, Any

from shipsync import wiring

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

    from shipsync.ops.dead_letters import DeadLetterQueue
    from shipsync.ops.reconcile import Reconciler
    from shipsync.ops.story import StoryReader


def story_reader() -> StoryReader:
    from shipsync.ledger.restock import DynamoRestockLedger
    from shipsync.ops.story import StoryReader

    ledger = wiring.ledger()
    # The organisation id names the Zoho web page of the order; the secret is read (cached), Zoho is not called.
    organization_id = str(wiring.token_store().get("zoho").get("organization_id") or "")
    return StoryReader(
        ledger, DynamoRestockLedger(wiring.common_settings().ledger_table, ledger), organization_id=organization_id
    )


def reconciler(status_queue_url: str, order_queue_url: str) -> Reconciler:
    """``status_queue_url``, ``order_queue_url``: where re-sent tracking events and reopened jobs go (the command
    takes the StatusQueue from the stack: the order function's environment does not name it)."""
    from shipsync.adapters.queues import send
    from shipsync.ledger.restock import DynamoRestockLedger
    from shipsync.ops.reconcile import Reconciler

    ledger = wiring.ledger()
    return Reconciler(
        ledger,
        DynamoRestockLedger(wiring.common_settings().ledger_table, ledger),
        wiring.shiprocket_client(),
        wiring.zoho_client(),
        send_status=lambda message: send(status_queue_url, message, group=message.event.awb),
        # The StatusQueue is FIFO, by AWB; the OrderQueue is a standard queue.
        send_order=lambda message: send(order_queue_url, message),
    )


def nightly_reconcile(metrics: Metrics, remaining_ms: Callable[[], int]) -> dict[str, object]:
    """One run of the night's reconciliation pass (``ops.nightly``), in the shipment-status function;
    ``remaining_ms``: the Lambda's time left."""
    from datetime import UTC, datetime

    from shipsync.ops.nightly import STOP_MARGIN_MS, NightlyReconcile
    from shipsync.tracking.wiring import settings as tracking_settings

    settings = tracking_settings()
    zoho = wiring.zoho_client()
    job = reconciler(settings.status_queue_url, settings.order_queue_url)
    budget: dict[str, int | None] = {}

    def stop() -> bool:
        left = zoho.daily_calls_left()
        if left is not None and left < settings.zoho_reserve:
            budget["zoho_calls_left"] = left
            return True
        return remaining_ms() < STOP_MARGIN_MS

    nightly = NightlyReconcile(
        wiring.ledger(),
        lambda shipments, *, stop: job.compare(shipments, stop=stop),
        lambda since: job.orphans(since, {}),
        wiring.alerts(),
        days=settings.reconcile_days,
    )
    run = nightly.run(datetime.now(UTC), stop)
    sink = wiring.metrics_sink(metrics)
    sink.count("ReconcileCompared", run.compared)
    if run.paged:
        sink.count("ReconcileNewDifferences", run.paged)
    if budget:
        sink.count("ReconcileDeferred")
    return run.as_dict() | budget


def morning_digest(metrics: Metrics, day: str | None = None) -> dict[str, object]:
    """Yesterday (IST) in one OpsAlerts message (``ops.digest``); ``day`` (YYYY-MM-DD) asks for another day's."""
    from datetime import UTC, date, datetime, timedelta

    from shipsync.adapters.aws import client
    from shipsync.domain.india import IST
    from shipsync.ops.dead_letters import depth
    from shipsync.ops.digest import DigestReader, compose

    def dlq_depths() -> dict[str, int]:
        sqs = client("sqs")
        return {queue.name: sum(depth(sqs, queue.url)) for queue in dead_letter_queues()}

    now = datetime.now(UTC)
    reader = DigestReader(wiring.ledger(), dlq_depths, wiring.zoho_client().daily_calls_left)
    wanted = date.fromisoformat(day) if day else now.astimezone(IST).date() - timedelta(days=1)
    facts = reader.facts(wanted, now)
    subject, message = compose(facts, now)
    wiring.alerts().page(subject, message, kind="MorningDigest")
    wiring.metrics_sink(metrics).count("MorningDigest")
    return {"subject": subject, "lines": message.count("\n") + 1, "orders": len(facts.jobs)}


def dead_letter_queues() -> list[DeadLetterQueue]:
    """Every DLQ of the stack, by logical name: the order function's ``DLQ_URLS_JSON``."""
    import json

    from shipsync.ops.dead_letters import from_names
    from shipsync.orders.wiring import settings as order_settings

    return from_names(json.loads(order_settings().dlq_urls_json))


def dead_letter_document(limit: int) -> dict[str, object]:
    """``GET /admin/dlq``: each DLQ's depth and up to ``limit`` of its messages, left in their queue; what
    ``shipsync dlq --json`` prints."""
    from shipsync.adapters.aws import client
    from shipsync.ops.dead_letters import LedgerReasons, listing_document, look

    sqs = client("sqs")
    ledger = LedgerReasons(client("dynamodb"), wiring.common_settings().ledger_table)
    return listing_document([look(sqs, queue, ledger=ledger, limit=limit) for queue in dead_letter_queues()], ledger)


def period_report(first_day: date, last_day: date) -> dict[str, Any]:
    """The days from ``first_day`` to ``last_day`` (IST, both included) as ``ops.period`` composes them. Zoho's
    budget costs one read (``GET /locations``): its answer's headers say what is left of the day."""
    from datetime import UTC, datetime

    from shipsync.adapters.aws import client
    from shipsync.ops.dead_letters import depth
    from shipsync.ops.period import PeriodReader, compose

    def dlq_depths() -> dict[str, int]:
        sqs = client("sqs")
        return {queue.name: sum(depth(sqs, queue.url)) for queue in dead_letter_queues()}

    def zoho_budget() -> tuple[int | None, int | None]:
        zoho = wiring.zoho_client()
        zoho.list_locations()
        return zoho.daily_calls_left(), zoho.daily_calls_cap()

    facts = PeriodReader(wiring.ledger(), dlq_depths, zoho_budget).facts(first_day, last_day)
    return compose(facts, datetime.now(UTC))
