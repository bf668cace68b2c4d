"""Composition of the orders feature (order-confirmed): its settings, the order job, the OrderQueue
worker, the stuck-order sweep and the OrderQueue producer, built once per container, lazily."""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from shipsync import wiring
from shipsync.config import OrderConfirmedSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from shipsync.orders.courier import CourierRules
    from shipsync.orders.job import OrderConfirmedJob
    from shipsync.orders.locations import PickupLocations
    from shipsync.orders.messages import OrderMessage
    from shipsync.orders.pickup_setup import PickupSetup
    from shipsync.orders.sweep import StuckOrderSweep
    from shipsync.policy.outcomes import QueueWorker

# How long a finished order's result answers a duplicate of its message (see idempotency_config).
STORED_RESULT_SECONDS = 5
# How long a warm container trusts the courier rules it read from SSM before reading them again.
COURIER_RULES_MAX_AGE_S = 300


@cache
def settings() -> OrderConfirmedSettings:
    return OrderConfirmedSettings.from_env()


@cache
def order_job(metrics: Metrics) -> OrderConfirmedJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.orders.job import OrderConfirmedJob
    from shipsync.orders.mapping import MappingOptions

    config = settings()
    return OrderConfirmedJob(
        zoho=wiring.zoho_client(),
        shiprocket=wiring.shiprocket_client(),
        ledger=wiring.ledger(),
        metrics=wiring.metrics_sink(metrics),
        rules=courier_rules,
        options=MappingOptions(
            pickup_location=config.pickup_location,
            payment_method_field=config.payment_method_field,
            default_item_weight_kg=config.default_item_weight_kg,
            default_box_cm=config.default_box_cm,
            fallback_email=config.fallback_email,
            eway_bill_threshold=config.eway_bill_threshold,
            eway_bill_field=config.eway_bill_field,
        ),
        pickup_postcode=config.pickup_postcode,
        alerts=wiring.alerts(),
        locations=pickup_locations if config.pickup_locations_json else None,
    )


@cache
def pickup_locations() -> PickupLocations:
    """The configured Zoho location -> pickup location map, read once per container (a malformed one raises
    NotConfigured, and the order retries until ops fix it)."""
    from shipsync.orders.locations import PickupLocations, PickupPoint

    config = settings()
    default = PickupPoint(config.pickup_location, config.pickup_postcode)
    return PickupLocations.from_json(config.pickup_locations_json, default)


def pickup_setup() -> PickupSetup:
    """The setup check of the mapping (the ``shipsync pickups`` command): without a map, the single pickup
    location every order leaves from."""
    from shipsync.orders.locations import PickupLocations, PickupPoint
    from shipsync.orders.pickup_setup import PickupSetup

    config = settings()
    mapping = (
        pickup_locations()
        if config.pickup_locations_json
        else PickupLocations(PickupPoint(config.pickup_location, config.pickup_postcode))
    )
    return PickupSetup(wiring.zoho_client(), wiring.shiprocket_client(), mapping)


def courier_rules() -> CourierRules:
    """The courier rule table, asked for by every order: the SSM parameter (Powertools caches it for
    ``COURIER_RULES_MAX_AGE_S``, so a seller's edit reaches warm containers), else COURIER_RULES_JSON,
    else the packaged default."""
    from shipsync.orders.courier import CourierRules

    config = settings()
    if config.courier_rules_parameter:
        from aws_lambda_powertools.utilities import parameters

        text = parameters.get_parameter(config.courier_rules_parameter, max_age=COURIER_RULES_MAX_AGE_S)
        return CourierRules.from_json(str(text))
    if config.courier_rules_json:
        return _rules_from_json(config.courier_rules_json)
    return _default_rules()


@cache
def _rules_from_json(text: str) -> CourierRules:
    from shipsync.orders.courier import CourierRules

    return CourierRules.from_json(text)


@cache
def _default_rules() -> CourierRules:
    from shipsync.orders.courier import CourierRules

    return CourierRules.default()


@cache
def idempotency_config() -> IdempotencyConfig:
    """The lock of one order's messages: the handler registers each invocation's context on it, so an in-progress
    record expires with the invocation that wrote it."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    # The lock is what idempotency is for here (the ledger makes a repeat a no-op). A stored result answers only a
    # message of the same revision, for a few seconds; another revision fails validation (see order_worker).
    return IdempotencyConfig(
        event_key_jmespath="[salesorder_id, intent]",
        payload_validation_jmespath="revision",
        expires_after_seconds=STORED_RESULT_SECONDS,
    )


@cache
def revision_idempotency_config() -> IdempotencyConfig:
    """One revision's own key, for a message that arrives while another revision's result is stored."""
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[salesorder_id, intent, revision]", expires_after_seconds=STORED_RESULT_SECONDS
    )


def register_idempotency(context: Any) -> None:
    for config in (idempotency_config(), revision_idempotency_config()):
        config.register_lambda_context(context)


@cache
def order_worker(metrics: Metrics, log: Logger) -> QueueWorker[OrderMessage]:
    """OrderQueue's record handler: the order shipped (or cancelled) under the outcome policy, inside Powertools
    idempotency keyed on the sales order id and the intent.

    The ledger already makes a repeated order a no-op; idempotency adds the lock it cannot give: while
    one worker ships (or amends) an order, a concurrent message for it raises IdempotencyAlreadyInProgressError
    and retries later instead of racing the first worker. A completed result answers a duplicate of the same
    revision for a few seconds; another revision (an edit, a fix-and-reconfirm) then runs under its own key.
    """
    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer, idempotent_function
    from aws_lambda_powertools.utilities.idempotency.exceptions import IdempotencyValidationError

    from shipsync.orders.messages import OrderMessage

    table = settings().idempotency_table
    policy = wiring.outcome_policy(metrics)

    def run(message: OrderMessage) -> dict[str, Any]:
        return asdict(policy.run(order_job(metrics).attempt(message)))

    # One persistence layer per config: a layer keeps the first configuration it is given.
    locked = idempotent_function(
        data_keyword_argument="message",
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
        config=idempotency_config(),
    )
    by_revision = idempotent_function(
        data_keyword_argument="message",
        persistence_store=DynamoDBPersistenceLayer(table_name=table),
        config=revision_idempotency_config(),
    )
    ship, ship_revision = locked(run), by_revision(run)

    def handle(message: OrderMessage) -> dict[str, Any]:
        try:
            return dict(ship(message=message))
        except IdempotencyValidationError:
            # Another revision's result is stored: its run has ended, so this revision runs now under its own key
            # (duplicates of it still share one) rather than being answered with that result or waiting for it.
            log.info(
                "another revision was just handled: this one runs under its own key", extra={"intent": message.intent}
            )
            return dict(ship_revision(message=message))

    return wiring.queue_worker(
        "OrderQueue",
        OrderMessage,
        handle,
        dlq_url=settings().order_dlq_url,
        metrics=metrics,
        log=log,
    )


def stuck_order_sweep(metrics: Metrics) -> StuckOrderSweep:
    from shipsync.orders.sweep import StuckOrderSweep

    config = settings()
    return StuckOrderSweep(
        ledger=wiring.ledger(),
        enqueue=enqueue_order,
        alerts=wiring.alerts(),
        metrics=wiring.metrics_sink(metrics),
        stuck_after=timedelta(minutes=config.stuck_after_minutes),
        alert_after=timedelta(minutes=config.stuck_alert_after_minutes),
    )


def enqueue_order(message: OrderMessage) -> str:
    """Durably put an order on OrderQueue; returns the SQS message id."""
    from shipsync.adapters.queues import send

    return send(settings().order_queue_url, message)
