"""Shared composition root: the clients, adapters and outcome policy every feature uses, built once per
container, lazily. Each feature's own wiring (``<feature>/wiring.py``) builds its jobs from these.

Handlers ask the wiring for what they need; tests build the services with fakes instead.
Nothing here runs at import time, so a webhook cold start never pays for the clients.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, TypeVar

from shipsync.config import CommonSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from shipsync.adapters.secrets import SecretsTokenStore
    from shipsync.clients.shiprocket import ShiprocketClient
    from shipsync.clients.zoho import ZohoClient
    from shipsync.ledger.dynamo import DynamoLedger
    from shipsync.observability.metrics import PowertoolsMetricsSink
    from shipsync.policy.outcomes import OutcomePolicy, QueueMessage, QueueWorker
    from shipsync.ports import Alerts, DayBudget, TokenRefreshRequester

M = TypeVar("M", bound="QueueMessage")


@cache
def common_settings() -> CommonSettings:
    return CommonSettings.from_env()


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
    from shipsync.observability.alerts import SnsAlerts

    return SnsAlerts(common_settings().ops_topic_arn, stage=common_settings().stage)


def metrics_sink(metrics: Metrics) -> PowertoolsMetricsSink:
    from shipsync.observability.metrics import PowertoolsMetricsSink

    return PowertoolsMetricsSink(metrics)


@cache
def zoho_client() -> ZohoClient:
    """The Zoho client every function shares: token from the store, global rate limiter, shared daily budget."""
    from shipsync.adapters.rate_limit import DynamoDailyBudget, DynamoMinuteLimiter, LimiterSettings
    from shipsync.clients.http import timeout_from_settings
    from shipsync.clients.zoho import ZohoClient
    from shipsync.tokens.providers import zoho_auth_provider

    settings = common_settings()
    limiter = DynamoMinuteLimiter(
        settings.ledger_table, key="zoho", settings=LimiterSettings(per_minute=settings.zoho_requests_per_minute)
    )
    return ZohoClient(
        zoho_auth_provider(token_store(), refresh_requester()),
        api_base_override=settings.zoho_api_base_url,
        timeout=timeout_from_settings(settings),
        limiter=limiter,
        # The day's calls left as the whole stack heard them, next to the per-minute buckets; a low count pages.
        budget=DynamoDailyBudget(settings.ledger_table, key="zoho", watch=_zoho_budget_watch()),
    )


def _zoho_budget_watch() -> Callable[[DayBudget], None]:
    from aws_lambda_powertools import Metrics

    from shipsync.policy.zoho_budget import ZohoBudgetWatch

    # Powertools' Metrics instances of a namespace share one set: the count flushes with the handler's metrics.
    metrics = metrics_sink(Metrics(namespace="shipsync"))
    return ZohoBudgetWatch(common_settings().zoho_reserve, ledger(), alerts(), metrics)


@cache
def shiprocket_client() -> ShiprocketClient:
    from shipsync.clients.http import timeout_from_settings
    from shipsync.clients.shiprocket import ShiprocketClient
    from shipsync.tokens.providers import shiprocket_token_provider

    settings = common_settings()
    return ShiprocketClient(
        settings.shiprocket_base_url,
        shiprocket_token_provider(token_store(), refresh_requester()),
        timeout=timeout_from_settings(settings),
    )


@cache
def ledger() -> DynamoLedger:
    from shipsync.ledger.dynamo import DynamoLedger

    return DynamoLedger(common_settings().ledger_table)


def webhook_secret(name: str) -> str | None:
    """One webhook token from the webhook secret (cached); None when unset: callers fail closed."""
    secrets = token_store().get_webhook_secrets()
    value = secrets.get(name)
    return str(value) if value else None


@cache
def outcome_policy(metrics: Metrics) -> OutcomePolicy:
    """One per container (keyed on the handler's Metrics instance)."""
    from shipsync.policy.outcomes import OutcomePolicy
    from shipsync.tokens.providers import on_token_rejected

    return OutcomePolicy(
        alerts=alerts(),
        metrics=metrics_sink(metrics),
        refresh_token=lambda err: on_token_rejected(err, token_store(), refresh_requester()),
        mark_once=lambda key: ledger().mark_once(key),
    )


def queue_worker(
    queue: str,
    model: type[M],
    handle: Callable[[M], object],
    *,
    dlq_url: str,
    metrics: Metrics,
    log: Logger,
    on_last_failure: Callable[[M, Exception], None] | None = None,
) -> QueueWorker[M]:
    """The record handler of a worker reading ``queue``; malformed messages go to ``dlq_url``; ``on_last_failure``
    is told of a message that failed on the receive after which SQS dead-letters it."""
    from shipsync.adapters.queues import dead_letter, hold
    from shipsync.policy.outcomes import QueueWorker

    def to_dlq(record: SQSRecord, reason: str) -> None:
        dead_letter(dlq_url, record, reason)

    return QueueWorker(
        queue,
        model,
        handle,
        to_dlq,
        outcome_policy(metrics),
        log,
        on_last_failure=on_last_failure,
        max_receives=common_settings().queue_max_receives,
        hold=hold,
    )
