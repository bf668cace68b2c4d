"""Composition of the remittance feature (cod-remittance): its settings, the remittance job, the
RemittanceQueue worker and producer, the remittance poll and the wallet watch (its schedule and the uploaded
statement's chunks), built once per container, lazily."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Any, Final

from shipsync import wiring
from shipsync.config import CodRemittanceSettings

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger, Metrics

    from shipsync.errors import PermanentError
    from shipsync.freight.booking import BookingAccounts, FreightBooker
    from shipsync.freight.statement import WalletRow
    from shipsync.freight.watch import WalletWatch
    from shipsync.policy.outcomes import Failure, QueueWorker
    from shipsync.remittance.job import RemittanceJob
    from shipsync.remittance.messages import BatchMessage, LineMessage, RemittanceQueueMessage, WalletRowsMessage
    from shipsync.tracking.messages import StatusMessage

# Books entries one uploaded chunk may create per pass. A worker gets up to 10 RemittanceQueue messages at once
# (the event source's BatchSize) within the function's 60 s, and Zoho is paced at 90 calls a minute: 10 x 4 is
# the 40 entries a scheduled run may create (FreightBooker's max_writes), and the rest of a chunk goes round again.
WALLET_WRITES_PER_MESSAGE: Final = 4


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
def remittance_worker(metrics: Metrics, log: Logger) -> QueueWorker[RemittanceQueueMessage]:
    """RemittanceQueue's record handler: a batch, one order or a chunk of the uploaded statement, under the
    outcome policy."""
    from shipsync.remittance.messages import RemittanceMessage, RemittanceQueueMessage, WalletRowsMessage

    policy = wiring.outcome_policy(metrics)

    def handle(message: RemittanceQueueMessage) -> object:
        if isinstance(message.root, WalletRowsMessage):
            watch = build_wallet_watch(metrics, max_writes=WALLET_WRITES_PER_MESSAGE)
            return policy.run(TakeWalletRows(watch, message.root, enqueue_remittance))
        return policy.run(remittance_job(metrics).attempt(RemittanceMessage(message.root)))

    return wiring.queue_worker(
        "RemittanceQueue",
        RemittanceQueueMessage,
        handle,
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
    return wiring.outcome_policy(metrics).run_schedule("wallet watch", build_wallet_watch(metrics).run)


@cache
def build_wallet_watch(metrics: Metrics, *, max_writes: int | None = None) -> WalletWatch:
    """The wallet watch as configured, for the schedule and for the uploaded statement alike (one ledger, one set
    of marks and claims: a row either describes is paged and booked once). ``max_writes``: Books entries one
    ``take`` may create; None: the booker's own bound, a scheduled run's."""
    from datetime import datetime

    from shipsync.domain.india import IST
    from shipsync.freight.booking import BookingAccounts
    from shipsync.freight.item_weights import ItemWeightAdvisor, ItemWeightSettings
    from shipsync.freight.watch import WalletWatch, WatchSettings

    config = settings()
    accounts = BookingAccounts(
        freight=config.freight_expense_account_id,
        wallet=config.wallet_account_id,
        rto=config.rto_expense_account_id,
    )
    return WalletWatch(
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
        book=(lambda rows, today: freight_booker(accounts, today, max_writes).book(rows)) if accounts.enabled else None,
        advise=ItemWeightAdvisor(
            shiprocket=wiring.shiprocket_client(),
            ledger=wiring.ledger(),
            alerts=wiring.alerts(),
            metrics=wiring.metrics_sink(metrics),
            settings=ItemWeightSettings(
                lookback_days=config.wallet_lookback_days, repeat_threshold=config.item_weight_repeats
            ),
        ),
    )


@dataclass(frozen=True)
class TakeWalletRows:
    """One pass over a chunk of the uploaded statement (``policy.outcomes.Attempt``): its discrepancies paged and
    its rows booked by the wallet watch, each once per transaction id, however often the chunk comes."""

    watch: WalletWatch
    message: WalletRowsMessage
    send_back: Callable[[WalletRowsMessage], object]

    @property
    def correlation_id(self) -> str:
        return f"wallet-statement-{self.message.rows[0].get('transaction_id', '')}"

    def run(self) -> dict[str, object]:
        from shipsync.errors import TransientError
        from shipsync.freight.statement import read_statement

        summary = self.watch.take(read_statement(self.message.rows), self.message.received_on)
        if summary.get("busy"):
            # The schedule is booking some of these rows right now: the chunk comes back once its claims settle
            # (the queue's visibility timeout is longer than WALLET_CLAIM_SETTLE_S); what this pass booked stays.
            raise TransientError(f"{summary['busy']} statement rows are being booked by another attempt")
        if summary.get("deferred"):
            # This pass spent its share of Zoho: the chunk goes round again, and what it booked now costs a claim.
            self.send_back(self.message.next_pass())
        return summary

    def give_up(self, err: PermanentError) -> Failure[dict[str, object]]:
        from shipsync.policy.outcomes import Failure

        ids = self.message.log_keys()["transactions"]
        return Failure(
            outcome={"transactions": ids, "error": str(err)},
            metric="StatementBookingFailed",
            subject=f"Uploaded wallet statement rows {ids} not booked",
            message=f"{len(self.message.rows)} rows of the uploaded wallet statement (transactions {ids}) stopped: "
            f"{err}. Rows booked before stay booked, once; upload the statement again once the cause is fixed.",
            correlation_id=self.correlation_id,
        )


def freight_booker(accounts: BookingAccounts, today: date, max_writes: int | None = None) -> FreightBooker:
    from shipsync.freight.booking import DEFAULT_MAX_WRITES, FreightBooker
    from shipsync.freight.shipments import LedgerShipments

    ledger = wiring.ledger()
    # The margin report's matching, so a row is the same order's in the books and in the margin.
    shipments = LedgerShipments(ledger)

    def shipment_of(row: WalletRow) -> str | None:
        """The sales order of the row's AWB, else of its order reference (a parcel's or a re-ship's too)."""
        facts = shipments(row)
        return facts.salesorder_number if facts is not None else None

    zoho = wiring.zoho_client()
    return FreightBooker(
        zoho,
        ledger,
        shipment_of,
        accounts,
        today,
        max_writes=DEFAULT_MAX_WRITES if max_writes is None else max_writes,
        calls_left=zoho.daily_calls_left,
        reserve=settings().zoho_reserve,
    )


def enqueue_remittance(message: BatchMessage | LineMessage | WalletRowsMessage) -> str:
    """RemittanceQueue is FIFO: orders are grouped by AWB (two sources describing the same order are
    handled one after the other), batches by remittance id, the uploaded statement's chunks all in one group;
    identical messages within five minutes are dropped by SQS."""
    from shipsync.adapters.queues import send

    return send(settings().remittance_queue_url, message, group=message.group)


def record_delivery(message: StatusMessage) -> str:
    """A delivery Shiprocket shows and our ledger missed, onto the normal status path (StatusQueue)."""
    from shipsync.adapters.queues import send

    return send(settings().status_queue_url, message, group=message.event.awb)
