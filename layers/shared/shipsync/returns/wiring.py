"""Composition of the returns feature (rto-restock): its settings, the restock job and its RtoQueue worker,
and the customer-return service behind POST /returns, built once per container, lazily."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shipsync import wiring
from shipsync.config import RtoRestockSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from shipsync.ledger.restock import DynamoRestockLedger
    from shipsync.policy.outcomes import QueueWorker
    from shipsync.returns.customer_return import CustomerReturnService
    from shipsync.returns.messages import RestockMessage
    from shipsync.returns.restock import RestockJob


@cache
def settings() -> RtoRestockSettings:
    return RtoRestockSettings.from_env()


@cache
def restock_ledger() -> DynamoRestockLedger:
    from shipsync.ledger.restock import DynamoRestockLedger

    return DynamoRestockLedger(settings().ledger_table, wiring.ledger())


@cache
def restock_job(metrics: Metrics) -> RestockJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.returns.restock import RestockJob

    return RestockJob(
        zoho=wiring.zoho_client(),
        ledger=restock_ledger(),
        metrics=wiring.metrics_sink(metrics),
        returns_location_id=settings().returns_location_id,
    )


@cache
def restock_worker(metrics: Metrics, log: Logger) -> QueueWorker[RestockMessage]:
    """RtoQueue's record handler: one restock under the outcome policy; a restock its last retry leaves half-done
    pages ``RestockFailed`` with what was done and what was not."""
    from shipsync.returns.messages import RestockMessage

    policy = wiring.outcome_policy(metrics)

    def page_unfinished(message: RestockMessage, err: Exception) -> None:
        page = restock_job(metrics).unfinished(message, err)
        if page is not None:
            policy.alerts.page(*page, kind="RestockFailed", correlation_id=message.salesorder_number or message.awb)

    return wiring.queue_worker(
        "RtoQueue",
        RestockMessage,
        lambda message: policy.run(restock_job(metrics).attempt(message)),
        dlq_url=settings().rto_dlq_url,
        metrics=metrics,
        log=log,
        on_last_failure=page_unfinished,
    )


@cache
def customer_return_service(metrics: Metrics) -> CustomerReturnService:
    from shipsync.returns.customer_return import CustomerReturnService, Warehouse

    config = settings()
    return CustomerReturnService(
        zoho=wiring.zoho_client(),
        shiprocket=wiring.shiprocket_client(),
        ledger=restock_ledger(),
        warehouse=Warehouse(
            name=config.warehouse_name,
            address=config.warehouse_address,
            city=config.warehouse_city,
            state=config.warehouse_state,
            pincode=config.warehouse_pincode,
            phone=config.warehouse_phone,
            email=config.warehouse_email,
        ),
        metrics=wiring.metrics_sink(metrics),
    )
