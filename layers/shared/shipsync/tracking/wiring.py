"""Composition of the tracking feature (shipment-status): its settings, the status job, the StatusQueue
worker, the tracking poll and the StatusQueue / RtoQueue / OrderQueue producers, built once per container, lazily."""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from shipsync import wiring
from shipsync.config import ShipmentStatusSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from shipsync.orders.messages import OrderMessage
    from shipsync.policy.outcomes import QueueWorker
    from shipsync.returns.messages import RestockMessage
    from shipsync.tracking.job import ShipmentStatusJob
    from shipsync.tracking.messages import StatusMessage


@cache
def settings() -> ShipmentStatusSettings:
    return ShipmentStatusSettings.from_env()


@cache
def status_job(metrics: Metrics) -> ShipmentStatusJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.tracking.job import ShipmentStatusJob

    config = settings()
    return ShipmentStatusJob(
        zoho=wiring.zoho_client(),
        shiprocket=wiring.shiprocket_client(),
        ledger=wiring.ledger(),
        alerts=wiring.alerts(),
        metrics=wiring.metrics_sink(metrics),
        hand_to_restock=hand_to_restock,
        hand_to_orders=hand_to_orders,
        requeue=enqueue_status,
        ndr_rule=config.ndr_rule,
        ndr_max_reattempts=config.ndr_max_reattempts,
        coalesce=timedelta(minutes=config.status_coalesce_minutes),
        zoho_calls_left=wiring.zoho_client().daily_calls_left,
        zoho_reserve=config.zoho_reserve,
    )


@cache
def status_worker(metrics: Metrics, log: Logger) -> QueueWorker[StatusMessage]:
    """StatusQueue's record handler: one event applied under the outcome policy."""
    from shipsync.tracking.messages import StatusMessage

    policy = wiring.outcome_policy(metrics)
    return wiring.queue_worker(
        "StatusQueue",
        StatusMessage,
        lambda message: policy.run(status_job(metrics).attempt(message)),
        dlq_url=settings().status_dlq_url,
        metrics=metrics,
        log=log,
    )


def poll(metrics: Metrics, quiet_after_minutes: int | None) -> dict[str, Any]:
    """The tracking poll under the outcome policy (a rejected token asks token-refresh for a new one)."""
    config = settings()
    quiet_after = timedelta(minutes=config.quiet_after_minutes if quiet_after_minutes is None else quiet_after_minutes)
    job = status_job(metrics)

    def run() -> dict[str, Any]:
        return job.poll_quiet(quiet_after, config.poll_batch_size) | {"coalesced": job.flush_due()}

    return wiring.outcome_policy(metrics).run_schedule("tracking poll", run)


def enqueue_status(message: StatusMessage) -> str:
    """Durably put a tracking event on the StatusQueue FIFO: one message group per AWB serialises a
    shipment's events; an identical re-post within five minutes is dropped by SQS itself."""
    from shipsync.adapters.queues import send

    return send(settings().status_queue_url, message, group=message.event.awb)


def hand_to_restock(message: RestockMessage) -> str:
    """An RTO-delivered or returned shipment for rto-restock (RtoQueue)."""
    from shipsync.adapters.queues import send

    return send(settings().rto_queue_url, message)


def hand_to_orders(message: OrderMessage) -> str:
    """A cancellation seen in tracking, for order-confirmed to undo the Zoho side (orders.cancel)."""
    from shipsync.adapters.queues import send

    return send(settings().order_queue_url, message)
