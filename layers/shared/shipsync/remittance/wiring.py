"""Composition of the remittance feature (cod-remittance): its settings, the remittance job, the
RemittanceQueue worker and producer, the remittance poll and the wallet watch, built once per container, lazily."""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from shipsync import wiring
from shipsync.config import CodRemittanceSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from shipsync.freight.booking import BookingAccounts, FreightBooker
    from shipsync.freight.statement import WalletRow
    from shipsync.policy.outcomes import QueueWorker
    from shipsync.remittance.job import RemittanceJob
    from shipsync.remittance.messages import BatchMessage, LineMessage, RemittanceMessage
    from shipsync.tracking.messages import StatusMessage


@cache
def settings() -> CodRemittanceSettings:
    return CodRemittanceSettings.from_env()


@cache
def remittance_job(metrics: Metrics) -> RemittanceJob:
    """One job per container (keyed on the handler's Metrics instance)."""
    from shipsync.remittance.job import RemittanceJob

    config = settings()
    return RemittanceJob(
        zoho=wiring.zoho_client(),
        ledger=wiring.ledger(),
        alerts=wiring.alerts(),
        metrics=wiring.metrics_sink(metrics),
        fan_out=enqueue_remittance,
        shiprocket=wiring.shiprocket_client(),
        record_delivery=record_delivery,
        delivery_wait=timedelta(hours=config.delivery_wait_hours),
        charges_mode=config.charges_mode,
        deposit_account_id=config.deposit_account_id,
        charges_expense_account_id=config.charges_expense_account_id,
        create_missing_invoices=config.create_missing_invoices,
    )


@cache
def remittance_worker(metrics: Metrics, log: Logger) -> QueueWorker[RemittanceMessage]:
    """RemittanceQueue's record handler: a batch or one order, under the outcome policy."""
    from shipsync.remittance.messages import RemittanceMessage

    policy = wiring.outcome_policy(metrics)
    return wiring.queue_worker(
        "RemittanceQueue",
        RemittanceMessage,
        lambda message: policy.run(remittance_job(metrics).attempt(message)),
        dlq_url=settings().remittance_dlq_url,
        metrics=metrics,
        log=log,
    )


def poll(metrics: Metrics) -> dict[str, Any]:
    job = remittance_job(metrics)
    aging_days = settings().aging_days
    return wiring.outcome_policy(metrics).run_schedule("remittance poll", lambda: job.poll(aging_days=aging_days))


def wallet_watch(metrics: Metrics) -> dict[str, Any]:
    """The wallet watch's scheduled run (freight.watch), under the outcome policy."""
    from datetime import datetime

    from shipsync.domain.india import IST
    from shipsync.freight.booking import BookingAccounts
    from shipsync.freight.watch import WalletWatch, WatchSettings

    config = settings()
    accounts = BookingAccounts(
        freight=config.freight_expense_account_id,
        wallet=config.wallet_account_id,
        rto=config.rto_expense_account_id,
    )
    watch = WalletWatch(
        shiprocket=wiring.shiprocket_client(),
        marks=wiring.ledger(),
        alerts=wiring.alerts(),
        metrics=wiring.metrics_sink(metrics),
        settings=WatchSettings(
            lookback_days=config.wallet_lookback_days,
            dispute_window_days=config.weight_dispute_days,
            min_balance_paise=int(config.wallet_min_balance * 100),
        ),
        today=lambda: datetime.now(IST).date(),
        book=(lambda rows, today: freight_booker(accounts, today).book(rows)) if accounts.enabled else None,
    )
    return wiring.outcome_policy(metrics).run_schedule("wallet watch", watch.run)


def freight_booker(accounts: BookingAccounts, today: date) -> FreightBooker:
    from shipsync.freight.booking import FreightBooker

    ledger = wiring.ledger()

    def shipment_of(row: WalletRow) -> str | None:
        """The sales order of the row's AWB, else of its order reference (a parcel's or a re-ship's too)."""
        record = ledger.find_by_awb(row.awb) if row.awb else None
        if record is not None:
            return record.salesorder_number or record.parcel_ref
        reference = row.channel_order_id
        return reference if reference and ledger.find_salesorder_id(reference) else None

    return FreightBooker(wiring.zoho_client(), ledger, shipment_of, accounts, today)


def enqueue_remittance(message: BatchMessage | LineMessage) -> str:
    """RemittanceQueue is FIFO: orders are grouped by AWB (two sources describing the same order are
    handled one after the other), batches by remittance id; identical messages within five minutes are
    dropped by SQS."""
    from shipsync.adapters.queues import send

    return send(settings().remittance_queue_url, message, group=message.group)


def record_delivery(message: StatusMessage) -> str:
    """A delivery Shiprocket shows and our ledger missed, onto the normal status path (StatusQueue)."""
    from shipsync.adapters.queues import send

    return send(settings().status_queue_url, message, group=message.event.awb)
