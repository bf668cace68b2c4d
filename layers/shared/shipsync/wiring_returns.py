"""Composition root of rto-restock: builds the restock job and the customer-return service once per
container, lazily, from the clients and adapters ``wiring`` already shares.

Tests replace ``restock_job`` / ``customer_return_service`` with fakes-backed services.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from shipsync import wiring
from shipsync.config import RtoRestockSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics

    from shipsync.adapters.restock_ledger import DynamoRestockLedger
    from shipsync.services.customer_return import CustomerReturnService, ReturnBooked, ReturnRequest
    from shipsync.services.rto_restock import RestockJob, RestockMessage, RestockOutcome


@cache
def returns_settings() -> RtoRestockSettings:
    return RtoRestockSettings.from_env()


@cache
def restock_ledger() -> DynamoRestockLedger:
    from shipsync.adapters.restock_ledger import DynamoRestockLedger

    return DynamoRestockLedger(returns_settings().ledger_table, wiring.ledger())


@cache
def restock_job(metrics: Metrics) -> RestockJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.services.rto_restock import RestockJob

    return RestockJob(
        zoho=wiring.zoho_client(),
        ledger=restock_ledger(),
        alerts=wiring.alerts(),
        metrics=wiring.PowertoolsMetricsSink(metrics),
        returns_location_id=returns_settings().returns_location_id,
    )


@cache
def customer_return_service(metrics: Metrics) -> CustomerReturnService:
    from shipsync.services.customer_return import CustomerReturnService, Warehouse

    settings = returns_settings()
    return CustomerReturnService(
        zoho=wiring.zoho_client(),
        shiprocket=wiring.shiprocket_client(),
        ledger=restock_ledger(),
        warehouse=Warehouse(
            name=settings.warehouse_name,
            address=settings.warehouse_address,
            city=settings.warehouse_city,
            state=settings.warehouse_state,
            pincode=settings.warehouse_pincode,
            phone=settings.warehouse_phone,
            email=settings.warehouse_email,
        ),
        metrics=wiring.PowertoolsMetricsSink(metrics),
    )


def restock(message: RestockMessage, metrics: Metrics) -> RestockOutcome:
    """Run one restock; a rejected token or an account-level problem is handled as everywhere else."""
    job = restock_job(metrics)
    return wiring.with_provider_recovery(lambda: job.process(message), message.awb, metrics)


def book_return(request: ReturnRequest, metrics: Metrics) -> ReturnBooked:
    service = customer_return_service(metrics)
    correlation_id = request.salesorder_number or request.salesorder_id or "return"
    return wiring.with_provider_recovery(lambda: service.create(request), correlation_id, metrics)
