"""Composition root: builds the real clients and adapters once per container, lazily.

Handlers ask this module for what they need; tests build the services with fakes instead.
Nothing here runs at import time, so a webhook cold start never pays for the clients.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, cast

from aws_lambda_powertools import Logger

from shipsync.config import CodRemittanceSettings, CommonSettings, OrderConfirmedSettings, ShipmentStatusSettings
from shipsync.errors import DailyCapReached, TokenRejected, WalletTooLow

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from shipsync.adapters.ledger import DynamoLedger
    from shipsync.adapters.secrets import SecretsTokenStore
    from shipsync.clients.shiprocket import ShiprocketClient
    from shipsync.clients.zoho import ZohoClient
    from shipsync.ports import Alerts, TokenRefreshRequester
    from shipsync.services.cod_remittance import RemittanceJob
    from shipsync.services.order_confirmed import OrderConfirmedJob, StuckOrderSweep
    from shipsync.services.shipment_status import ShipmentStatusJob

logger = Logger(child=True)

T = TypeVar("T")


@cache
def common_settings() -> CommonSettings:
    return CommonSettings.from_env()


@cache
def order_settings() -> OrderConfirmedSettings:
    return OrderConfirmedSettings.from_env()


@cache
def status_settings() -> ShipmentStatusSettings:
    return ShipmentStatusSettings.from_env()


@cache
def token_store() -> SecretsTokenStore:
    from shipsync.adapters.secrets import SecretsTokenStore

    return SecretsTokenStore(common_settings())


@cache
def refresh_requester() -> TokenRefreshRequester:
    from shipsync.adapters.refresh_requests import SqsRefreshRequester

    return SqsRefreshRequester(common_settings().token_refresh_queue_url)


@cache
def alerts() -> Alerts:
    from shipsync.adapters.alerts import SnsAlerts

    return SnsAlerts(common_settings().ops_topic_arn, stage=common_settings().stage)


@cache
def zoho_client() -> ZohoClient:
    """The Zoho client every function shares: token from the store, global rate limiter."""
    from shipsync.adapters.rate_limit import DynamoMinuteLimiter, LimiterSettings
    from shipsync.auth_tokens import zoho_auth_provider
    from shipsync.clients.http import timeout_from_settings
    from shipsync.clients.zoho import ZohoClient

    settings = common_settings()
    limiter = DynamoMinuteLimiter(
        settings.ledger_table, key="zoho", settings=LimiterSettings(per_minute=settings.zoho_requests_per_minute)
    )
    return ZohoClient(
        zoho_auth_provider(token_store(), refresh_requester()),
        api_base_override=settings.zoho_api_base_url,
        timeout=timeout_from_settings(settings),
        limiter=limiter,
    )


@cache
def shiprocket_client() -> ShiprocketClient:
    from shipsync.auth_tokens import shiprocket_token_provider
    from shipsync.clients.http import timeout_from_settings
    from shipsync.clients.shiprocket import ShiprocketClient

    settings = common_settings()
    return ShiprocketClient(
        settings.shiprocket_base_url,
        shiprocket_token_provider(token_store(), refresh_requester()),
        timeout=timeout_from_settings(settings),
    )


@cache
def ledger() -> DynamoLedger:
    from shipsync.adapters.ledger import DynamoLedger

    return DynamoLedger(common_settings().ledger_table)


def webhook_secret(name: str) -> str | None:
    """One webhook token from the webhook secret (cached); None when unset: callers fail closed."""
    secrets = token_store().get_webhook_secrets()
    value = secrets.get(name)
    return str(value) if value else None


class PowertoolsMetricsSink:
    """``ports.MetricsSink`` over a Powertools Metrics instance (EMF in the function's logs)."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def count(self, name: str, value: int = 1) -> None:
        from aws_lambda_powertools.metrics import MetricUnit

        self._metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


@cache
def order_job(metrics: Metrics) -> OrderConfirmedJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.domain.mapping import MappingOptions
    from shipsync.services.order_confirmed import OrderConfirmedJob

    settings = order_settings()
    return OrderConfirmedJob(
        zoho=zoho_client(),
        shiprocket=shiprocket_client(),
        ledger=ledger(),
        alerts=alerts(),
        metrics=PowertoolsMetricsSink(metrics),
        rules=courier_rules(),
        options=MappingOptions(
            pickup_location=settings.pickup_location,
            payment_method_field=settings.payment_method_field,
            default_item_weight_kg=settings.default_item_weight_kg,
            default_box_cm=settings.default_box_cm,
            fallback_email=settings.fallback_email,
        ),
        pickup_postcode=settings.pickup_postcode,
    )


@cache
def idempotent_shipping(metrics: Metrics) -> Callable[..., dict[str, Any]]:
    """``ship(job=...)`` wrapped in Powertools idempotency, keyed on the sales order id.

    The ledger already makes a repeated order a no-op; this adds the lock it cannot give: while
    one worker ships an order, a concurrent duplicate raises IdempotencyAlreadyInProgressError
    and its message retries later instead of racing the first worker. Completed results are
    kept only briefly, so a fixed-and-reconfirmed invalid order is looked at again.
    """
    from dataclasses import asdict

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function

    persistence = DynamoDBPersistenceLayer(table_name=order_settings().idempotency_table)

    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="job", persistence_store=persistence, config=idempotency_config()
    )
    def ship(job: dict[str, Any]) -> dict[str, Any]:
        job_for_order = order_job(metrics)
        outcome = with_provider_recovery(
            lambda: job_for_order.process(job["salesorder_id"], job["salesorder_number"]),
            job["salesorder_number"],
            metrics,
        )
        return asdict(outcome)

    return cast(Callable[..., dict[str, Any]], ship)


@cache
def idempotency_config() -> IdempotencyConfig:
    """One config per container: the handler registers each invocation's context on it, so an
    in-progress record expires with the invocation that wrote it."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="salesorder_id", expires_after_seconds=60)


def courier_rules() -> Any:
    """The courier rule table: SSM parameter, else COURIER_RULES_JSON, else the packaged default."""
    from shipsync.domain.courier import CourierRules

    settings = order_settings()
    if settings.courier_rules_parameter:
        from aws_lambda_powertools.utilities import parameters

        return CourierRules.from_json(str(parameters.get_parameter(settings.courier_rules_parameter, max_age=300)))
    if settings.courier_rules_json:
        return CourierRules.from_json(settings.courier_rules_json)
    return CourierRules.default()


def stuck_order_sweep(metrics: Metrics) -> StuckOrderSweep:
    from datetime import timedelta

    from shipsync.services.order_confirmed import StuckOrderSweep

    settings = order_settings()
    return StuckOrderSweep(
        ledger=ledger(),
        enqueue=enqueue_order,
        alerts=alerts(),
        metrics=PowertoolsMetricsSink(metrics),
        stuck_after=timedelta(minutes=settings.stuck_after_minutes),
        alert_after=timedelta(minutes=settings.stuck_alert_after_minutes),
    )


def enqueue_order(body: Mapping[str, Any]) -> str:
    """Durably put an order job on OrderQueue; returns the SQS message id."""
    return _send(order_settings().order_queue_url, body)


def enqueue_status(body: Mapping[str, Any], awb: str) -> str:
    """Durably put a tracking event (as Shiprocket sent it) on the StatusQueue FIFO: one message
    group per AWB serialises a shipment's events; an identical re-post within five minutes is
    dropped by SQS itself."""
    return _send(status_settings().status_queue_url, body, group=awb)


def hand_to_restock(body: Mapping[str, Any]) -> str:
    """An RTO-delivered or returned shipment for rto-restock (RtoQueue)."""
    return _send(status_settings().rto_queue_url, body)


def _send(queue_url: str, body: Mapping[str, Any], *, group: str | None = None) -> str:
    """One SQS message; with ``group``, a FIFO message in that group whose deduplication id is
    the body's hash (keys sorted, so the same content always hashes the same)."""
    from shipsync.adapters.aws import client

    if group is None:
        response = client("sqs").send_message(QueueUrl=queue_url, MessageBody=json.dumps(body))
        return str(response["MessageId"])
    text = json.dumps(body, sort_keys=True)
    response = client("sqs").send_message(
        QueueUrl=queue_url,
        MessageBody=text,
        MessageGroupId=group,
        MessageDeduplicationId=hashlib.sha256(text.encode()).hexdigest(),
    )
    return str(response["MessageId"])


@cache
def status_job(metrics: Metrics) -> ShipmentStatusJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.services.shipment_status import ShipmentStatusJob

    settings = status_settings()
    return ShipmentStatusJob(
        zoho=zoho_client(),
        shiprocket=shiprocket_client(),
        ledger=ledger(),
        alerts=alerts(),
        metrics=PowertoolsMetricsSink(metrics),
        hand_to_restock=hand_to_restock,
        requeue=lambda payload: enqueue_status(payload, str(payload["awb"])),
        ndr_rule=settings.ndr_rule,
        ndr_max_reattempts=settings.ndr_max_reattempts,
    )


ACCOUNT_PROBLEM_METRICS = {DailyCapReached: "ZohoDailyCapReached", WalletTooLow: "ShiprocketWalletTooLow"}


def with_provider_recovery(work: Callable[[], T], correlation_id: str, metrics: Metrics) -> T:
    """Run a worker step; on a rejected token ask token-refresh for a new one, on account-level
    problems (Zoho daily cap, Shiprocket wallet) page ops; then re-raise so the SQS message is
    retried and, if the problem lasts, lands in the DLQ."""
    try:
        return work()
    except TokenRejected as err:
        from shipsync.auth_tokens import on_token_rejected

        on_token_rejected(err, token_store(), refresh_requester())
        raise
    except (DailyCapReached, WalletTooLow) as err:
        metric = ACCOUNT_PROBLEM_METRICS[type(err)]
        PowertoolsMetricsSink(metrics).count(metric)
        alerts().page(f"{metric}: {correlation_id}", str(err), kind=metric, correlation_id=correlation_id)
        raise


# ---------------------------------------------------------------- cod-remittance


@cache
def remittance_settings() -> CodRemittanceSettings:
    return CodRemittanceSettings.from_env()


def enqueue_remittance(body: Mapping[str, Any], group: str) -> str:
    """RemittanceQueue is FIFO: orders are grouped by AWB (two sources describing the same order
    are handled one after the other), batches by remittance id; identical messages within five
    minutes are dropped by SQS."""
    return _send(remittance_settings().remittance_queue_url, body, group=group)


@cache
def remittance_job(metrics: Metrics) -> RemittanceJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.services.cod_remittance import RemittanceJob

    settings = remittance_settings()
    return RemittanceJob(
        zoho=zoho_client(),
        ledger=ledger(),
        alerts=alerts(),
        metrics=PowertoolsMetricsSink(metrics),
        fan_out=lambda message: enqueue_remittance(message, group=str(message["line"]["awb"])),
        shiprocket=shiprocket_client(),
        record_delivery=lambda payload: _send(settings.status_queue_url, payload, group=str(payload["awb"])),
        delivery_wait=timedelta(hours=settings.delivery_wait_hours),
        charges_mode=settings.charges_mode,
        deposit_account_id=settings.deposit_account_id,
        charges_expense_account_id=settings.charges_expense_account_id,
        create_missing_invoices=settings.create_missing_invoices,
    )
