"""Which shipment a wallet statement row belongs to, and what the ledger knows of it (``freight.margin``).

By the row's AWB first (one GetItem); a row whose AWB the ledger never recorded (an AWB cancelled and
re-assigned before its lookup item was written) or that names none is matched on its order reference (the sales
order number, a re-ship's ``-R1``, a parcel's ``-<n>``), and then counts as a shipment of that order that did not
go out. Every answer is cached for the report's run: a shipment has several rows.
"""

from __future__ import annotations

import re
from typing import Protocol

from shipsync.domain.india import destination_tier
from shipsync.domain.statuses import ShipmentStatus
from shipsync.freight.margin import UNKNOWN, Outcome, ShipmentFacts
from shipsync.freight.statement import WalletRow
from shipsync.ledger.records import AwbRecord, CancelOutcome, JobState, OrderRecord
from shipsync.remittance.money import Paise, parse_paise

_RESHIP_SUFFIX = re.compile(r"-R\d+$")
_PARCEL_SUFFIX = re.compile(r"-\d+$")
_RTO = frozenset(
    {ShipmentStatus.RTO_INITIATED, ShipmentStatus.RTO_IN_TRANSIT, ShipmentStatus.RTO_DELIVERED, ShipmentStatus.RETURNED}
)
_LOST = frozenset({ShipmentStatus.LOST, ShipmentStatus.DAMAGED})


class ShipmentLedger(Protocol):
    def find_by_awb(self, awb: str) -> AwbRecord | None: ...
    def find_salesorder_id(self, salesorder_number: str) -> str | None: ...
    def get(self, salesorder_id: str) -> OrderRecord | None: ...


class LedgerShipments:
    def __init__(self, ledger: ShipmentLedger) -> None:
        self._ledger = ledger
        self._facts: dict[str, ShipmentFacts | None] = {}
        self._jobs: dict[str, OrderRecord | None] = {}

    def __call__(self, row: WalletRow) -> ShipmentFacts | None:
        key = row.awb or row.channel_order_id or ""
        if key not in self._facts:
            self._facts[key] = self._read(row)
        return self._facts[key]

    def _read(self, row: WalletRow) -> ShipmentFacts | None:
        record = self._ledger.find_by_awb(row.awb) if row.awb else None
        if record is not None:
            return self._of_awb(record)
        job = self._job_of_reference(row.channel_order_id)
        if job is None:
            return None
        # Not the AWB the ledger holds for the job: a shipment of the order that did not go out.
        return _facts(job, awb=row.awb or f"order {row.channel_order_id}", outcome=Outcome.CANCELLED)

    def _of_awb(self, record: AwbRecord) -> ShipmentFacts:
        job = self._job(record.job_id)
        outcome = Outcome.RETURN if record.is_return else _outcome(record.status)
        if job is not None and not record.is_return and (job.awb != record.awb or _cancelled(job)):
            outcome = Outcome.CANCELLED if outcome is Outcome.IN_TRANSIT else outcome
        snapshot = (job.shipped_snapshot if job is not None else None) or {}
        # A customer return's shipment is of the order it returns: its payment method and destination are the order's.
        payment = record.payment_method or (job.payment_method if job is not None else None)
        city = record.delivery_city or (job.delivery_city if job is not None else None)
        return ShipmentFacts(
            awb=record.awb,
            salesorder_number=record.salesorder_number or (job.salesorder_number if job else record.salesorder_id),
            courier=record.courier_name or UNKNOWN,
            tier=destination_tier(city, snapshot.get("pincode")),
            payment_method=payment or UNKNOWN,
            invoice_paise=0 if record.is_return else _paise(record.order_value),
            outcome=outcome,
            parcel=record.parcel,
            cod_deductions_paise=record.charges_paise,
        )

    def _job(self, job_id: str) -> OrderRecord | None:
        if job_id not in self._jobs:
            self._jobs[job_id] = self._ledger.get(job_id)
        return self._jobs[job_id]

    def _job_of_reference(self, reference: str | None) -> OrderRecord | None:
        if not reference:
            return None
        number = _RESHIP_SUFFIX.sub("", reference)
        salesorder_id = self._ledger.find_salesorder_id(number) or self._ledger.find_salesorder_id(
            _PARCEL_SUFFIX.sub("", number)
        )
        return self._job(salesorder_id) if salesorder_id else None


def _facts(job: OrderRecord, *, awb: str, outcome: Outcome) -> ShipmentFacts:
    snapshot = job.shipped_snapshot or {}
    return ShipmentFacts(
        awb=awb,
        salesorder_number=job.salesorder_number,
        courier=job.courier_name or UNKNOWN,
        tier=destination_tier(job.delivery_city, snapshot.get("pincode")),
        payment_method=job.payment_method or UNKNOWN,
        invoice_paise=_paise(job.order_value),
        outcome=outcome,
        parcel=job.parcel,
    )


def _outcome(status: str | None) -> Outcome:
    if status == ShipmentStatus.DELIVERED:
        return Outcome.DELIVERED
    if status in _RTO:
        return Outcome.RTO
    if status in _LOST:
        return Outcome.LOST
    if status == ShipmentStatus.CANCELLED:
        return Outcome.CANCELLED
    return Outcome.IN_TRANSIT


def _cancelled(job: OrderRecord) -> bool:
    return job.state is JobState.CANCELLED or job.cancel_outcome in (
        CancelOutcome.CANCELLED,
        CancelOutcome.NEVER_SHIPPED,
    )


def _paise(value: float | None) -> Paise:
    return parse_paise(value) if value is not None and value >= 0 else 0
