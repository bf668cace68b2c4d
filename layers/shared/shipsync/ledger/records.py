"""The ledger's records, typed: what each item holds (a pydantic model, read back with its defaults) and what
a step may change on it (a ``TypedDict`` of the writable fields, so a renamed or misspelt field fails at
type-check time: ``ledger.update(id, **changes)`` takes ``Unpack[OrderChanges]``).

Items of the one table (partition key ``pk``):
- ``SO#<salesorder_id>``: ``OrderRecord``, one sales order's shipping job.
- ``SO#<salesorder_id>#<parcel_ref>``: ``OrderRecord`` too, a parcel of a sales order shipped as several
  (``orders.parcels``): its own Shiprocket order, AWB, Zoho package and shipment order.
- ``AWB#<awb>``: ``AwbRecord``, what tracking, remittance and restock need to know about a shipment in one
  GetItem (forward shipments and customer returns' own shipments).
- ``RESTOCK#<awb>``: ``RestockRecord``, the steps of one returned shipment's restock.
- ``REMIT#<remittance_id>``: ``RemittanceHeader``, a remittance batch as it arrived.

``tests/unit/test_ledger_records.py`` holds each ``*Changes`` to its record, key for key.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from shipsync.domain.models import ReturnLine
from shipsync.domain.statuses import ShipmentStatus


class JobState(StrEnum):
    """Where a sales order's shipping job is. Terminal ones end the job: a new webhook for it is then a no-op."""

    RECEIVED = "received"
    ORDER_CREATED = "order_created"
    AWB_ASSIGNED = "awb_assigned"
    SYNCED = "synced"
    INVALID = "invalid"
    NOT_SERVICEABLE = "not_serviceable"
    AWB_FAILED = "awb_failed"
    # A provider refused a request of ours (docs/providers: a 4xx, an error inside HTTP 200).
    FAILED = "failed"
    # Zoho says the sales order does not exist: its first message was dead-lettered and paged; a Zoho id is never
    # reused, so a repeat of it is acknowledged without a Zoho call or another page.
    MISSING = "missing"
    # Cancelled before pickup (by the seller in Zoho or at Shiprocket) and reversed on both sides (orders.cancel).
    CANCELLED = "cancelled"


class CancelOutcome(StrEnum):
    """How a cancellation ended, once: a repeat of it (or a late one) finds this and does nothing again."""

    CANCELLED = "cancelled"  # Shiprocket order and AWB cancelled, Zoho shipment and package deleted
    NEVER_SHIPPED = "never_shipped"  # nothing existed at Shiprocket: the job is closed so nothing ships
    IN_TRANSIT = "in_transit"  # picked up already: marked and paged; the RTO, when it comes, restocks
    RETURNING = "returning"  # already on its way back (RTO): the restock will follow
    REFUSED = "refused"  # delivered, or Shiprocket refused: paged with why


TERMINAL_STATES = frozenset(
    {
        JobState.SYNCED,
        JobState.INVALID,
        JobState.NOT_SERVICEABLE,
        JobState.AWB_FAILED,
        JobState.FAILED,
        JobState.MISSING,
        JobState.CANCELLED,
    }
)
# Terminal, but a seller who edits the sales order and confirms it again gets another attempt.
RETRIED_WHEN_EDITED = frozenset({JobState.INVALID, JobState.FAILED})


class RestockState(StrEnum):
    IN_PROGRESS = "in_progress"
    DONE = "done"
    FAILED = "failed"


# ---------------------------------------------------------------------------------------------- SO#


class OrderRecord(BaseModel):
    """``SO#<salesorder_id>``: one sales order's shipping job, one field (or flag) per step."""

    model_config = ConfigDict(extra="ignore")

    salesorder_id: str
    salesorder_number: str
    # 0: the sales order's own job. n >= 1: its parcel n, shipped by the order's job under ``parcel_ref``
    # (``SO-00042-<n>``, or ``SO-00042-R1-<n>`` once the order was shipped again), which names the job for good.
    parcel: int = 0
    parcel_ref: str | None = None
    state: JobState = JobState.RECEIVED
    order_ref: str = ""  # the Shiprocket order_id we sent (SO number, or SO-00042-R1 after a re-create)
    # The order's parcels as planned once (orders.parcels.ParcelPlan, dumped): empty when it ships as one.
    parcels: list[dict[str, Any]] = Field(default_factory=list)
    # A parcel's lines (Zoho line_item_id -> units): what its package holds and its RTO restocks.
    parcel_lines: dict[str, float] = Field(default_factory=dict)
    recreate_count: int = 0
    confirmed_at: str = ""
    sr_order_id: int | None = None
    shipment_id: int | None = None
    delivery_city: str | None = None
    order_value: float | None = None
    payment_method: str | None = None
    courier_ranking: list[dict[str, Any]] = Field(default_factory=list)
    # The pincode of the pickup location it ships from (orders.locations), for a later serviceability check.
    pickup_postcode: str | None = None
    refusals: list[dict[str, Any]] = Field(default_factory=list)
    awb: str | None = None
    courier_id: int | None = None
    courier_name: str | None = None
    # The pickup and label steps are done once these are set: by the answer itself, or by a retry that heard
    # "already done" (the details of the lost answer then stay None, see docs/providers/shiprocket.md §5).
    pickup_requested: bool = False
    pickup_scheduled_date: str | None = None
    pickup_token_number: str | None = None
    # Shiprocket's order status read back when a retried pickup answered "already requested".
    pickup_status: str | None = None
    label_generated: bool = False
    label_url: str | None = None
    zoho_fields_written: bool = False
    zoho_package_id: str | None = None
    zoho_shipment_id: str | None = None
    shipment_status: str | None = None
    failure_reason: str | None = None
    so_last_modified: str | None = None
    redrive_count: int = 0
    alerted_stuck: bool = False
    # What the shipment carries that a seller can edit (orders.mapping.delivery_snapshot), and the sales order's
    # last_modified_time last acted on: a webhook of a newer one is compared with it (orders.amend).
    shipped_snapshot: dict[str, Any] | None = None
    so_revision: str | None = None
    amendments: list[dict[str, Any]] = Field(default_factory=list)
    # Set (conditionally) before the first Shiprocket write; a cancellation closes only an unclaimed job.
    shipping_claimed: bool = False
    # Cancellation, one flag per step (orders.cancel); ``cancel_outcome`` is set once, when it ends.
    cancel_seen_at: str | None = None
    sr_awb_cancel_sent: bool = False
    sr_order_cancel_sent: bool = False
    sr_cancelled_at: str | None = None
    ndr_return_requested: bool = False
    zoho_shipment_deleted: bool = False
    zoho_package_deleted: bool = False
    zoho_cancel_written: bool = False
    # When the cancellation was complete: the freight refund in the wallet statement is matched on it.
    cancelled_at: str | None = None
    cancel_outcome: CancelOutcome | None = None
    updated_at: str = ""

    @property
    def job_id(self) -> str:
        """The ledger's name for this job: the sales order id, suffixed ``#<parcel_ref>`` for a parcel."""
        return parcel_job_id(self.salesorder_id, self.parcel_ref)

    def parcel_job_ids(self) -> list[str]:
        """The jobs of this order's parcels, in order (none when it ships as one)."""
        return [parcel_job_id(self.salesorder_id, str(parcel["order_ref"])) for parcel in self.parcels]

    @classmethod
    def parcel_of(
        cls, order: OrderRecord, *, parcel: int, order_ref: str, lines: dict[str, float], now: str
    ) -> OrderRecord:
        """The job of ``order``'s parcel ``parcel``, as first written (``ensure_parcel``)."""
        return cls(
            salesorder_id=order.salesorder_id,
            salesorder_number=order.salesorder_number,
            parcel=parcel,
            parcel_ref=order_ref,
            order_ref=order_ref,
            parcel_lines=lines,
            confirmed_at=order.confirmed_at,
            updated_at=now,
        )

    def mirror(self, changes: OrderChanges) -> None:
        """Changes just written to the ledger, applied to this in-memory copy, so the next step reads them."""
        for name, value in changes.items():
            setattr(self, name, value)


def parcel_job_id(salesorder_id: str, parcel_ref: str | None) -> str:
    return f"{salesorder_id}#{parcel_ref}" if parcel_ref else salesorder_id


class OrderChanges(TypedDict, total=False):
    state: JobState
    order_ref: str
    parcels: list[dict[str, Any]]
    recreate_count: int
    sr_order_id: int | None
    shipment_id: int | None
    delivery_city: str | None
    order_value: float | None
    payment_method: str | None
    courier_ranking: list[dict[str, Any]]
    pickup_postcode: str | None
    refusals: list[dict[str, Any]]
    awb: str | None
    courier_id: int | None
    courier_name: str | None
    pickup_requested: bool
    pickup_scheduled_date: str | None
    pickup_token_number: str | None
    pickup_status: str | None
    label_generated: bool
    label_url: str | None
    zoho_fields_written: bool
    zoho_package_id: str | None
    zoho_shipment_id: str | None
    shipment_status: str | None
    failure_reason: str | None
    so_last_modified: str | None
    redrive_count: int
    alerted_stuck: bool
    shipped_snapshot: dict[str, Any] | None
    so_revision: str | None
    amendments: list[dict[str, Any]]
    cancel_seen_at: str | None
    sr_awb_cancel_sent: bool
    sr_order_cancel_sent: bool
    sr_cancelled_at: str | None
    ndr_return_requested: bool
    zoho_shipment_deleted: bool
    zoho_package_deleted: bool
    zoho_cancel_written: bool
    cancelled_at: str | None
    cancel_outcome: CancelOutcome | None


# --------------------------------------------------------------------------------------------- AWB#


class AwbRecord(BaseModel):
    """``AWB#<awb>``: a shipment as tracking, remittance and restock see it (denormalised from its order, so an
    AWB lookup is one GetItem and never a Zoho search). The ``*_open`` / ``remit_waiting`` flags are "1" while
    the shipment is in a sparse index (see ``ledger.dynamo``)."""

    model_config = ConfigDict(extra="ignore")

    awb: str
    salesorder_id: str
    salesorder_number: str | None = None
    # The parcel of a sales order shipped as several (0: the whole order); its ``lines`` are what it carries.
    parcel: int = 0
    parcel_ref: str | None = None
    order_ref: str | None = None
    sr_order_id: int | None = None
    shipment_id: int | None = None
    courier_id: int | None = None
    courier_name: str | None = None
    # What tracking alerts quote: where the parcel goes, what it is worth, how it is paid.
    delivery_city: str | None = None
    order_value: float | None = None
    payment_method: str | None = None
    created_at: str | None = None
    # tracking
    status: str | None = None
    status_time: str | None = None
    last_event_at: str | None = None
    tracking_open: str | None = None
    seen_events: list[str] = Field(default_factory=list)
    transitions: list[dict[str, Any]] = Field(default_factory=list)
    ndr_count: int = 0
    ndr_actions: list[dict[str, Any]] = Field(default_factory=list)
    # The courier's expected delivery date last written to Zoho (cf_expected_delivery), YYYY-MM-DD.
    expected_delivery: str | None = None
    # Zoho fields of a status not written yet (tracking.job coalesces intermediate ones, and holds every status while
    # Zoho's day is at its reserve), and when they are due; the shipment's delivery not marked yet (its time).
    zoho_pending: dict[str, str] | None = None
    zoho_due_at: str | None = None
    zoho_delivered_pending: str | None = None
    # a customer return's own shipment (``lines`` also: what a parcel of a split order carries)
    is_return: bool = False
    return_ref: str | None = None
    lines: list[ReturnLine] = Field(default_factory=list)
    reason: str | None = None
    # COD remittance
    cod_open: str | None = None
    delivered_at: str | None = None
    payment_id: str | None = None
    # Set just before a payment is written to Zoho: a later attempt that finds it without ``payment_id`` may have
    # paid (its answer lost), so only that attempt looks for the payment by reference (remittance.job).
    payment_attempt: str | None = None
    remitted_utr: str | None = None
    remittance_date: str | None = None
    remitted_at: str | None = None
    charges_paise: int = 0
    remittance_problem: str | None = None
    remit_waiting: str | None = None
    remit_next_check: str | None = None
    remit_pending: dict[str, Any] | None = None
    updated_at: str | None = None

    @property
    def job_id(self) -> str:
        """The ledger job (``OrderRecord``) that shipped this AWB."""
        return parcel_job_id(self.salesorder_id, self.parcel_ref)

    def tracked_from(self, now: str) -> AwbRecord:
        """This shipment entering the tracking poll's index at ``now`` (as its lookup item is first written)."""
        return self.model_copy(update={"created_at": now, "tracking_open": "1", "last_event_at": now})

    @classmethod
    def of_shipped_order(
        cls, entry: OrderRecord, *, awb: str, courier_id: int, courier_name: str, now: str
    ) -> AwbRecord:
        """The lookup item of an order's new AWB, tracked from ``now``."""
        return cls(
            awb=awb,
            salesorder_id=entry.salesorder_id,
            salesorder_number=entry.salesorder_number,
            parcel=entry.parcel,
            parcel_ref=entry.parcel_ref,
            lines=[
                ReturnLine(salesorder_item_id=line_id, quantity=units) for line_id, units in entry.parcel_lines.items()
            ],
            order_ref=entry.order_ref,
            sr_order_id=entry.sr_order_id,
            shipment_id=entry.shipment_id,
            courier_id=courier_id,
            courier_name=courier_name,
            delivery_city=entry.delivery_city,
            order_value=entry.order_value,
            payment_method=entry.payment_method,
            # What order-confirmed writes to Zoho; tracking moves it forward from here.
            status=ShipmentStatus.PICKUP_SCHEDULED.value,
        ).tracked_from(now)


class AwbChanges(TypedDict, total=False):
    status: str | None
    status_time: str | None
    last_event_at: str | None
    seen_events: list[str]
    transitions: list[dict[str, Any]]
    ndr_count: int
    ndr_actions: list[dict[str, Any]]
    expected_delivery: str | None
    zoho_pending: dict[str, str] | None
    zoho_due_at: str | None
    zoho_delivered_pending: str | None
    cod_open: str | None
    delivered_at: str | None
    payment_id: str | None
    payment_attempt: str | None
    remitted_utr: str | None
    remittance_date: str | None
    remitted_at: str | None
    charges_paise: int
    remittance_problem: str | None
    remit_waiting: str | None
    remit_next_check: str | None
    remit_pending: dict[str, Any] | None


# ----------------------------------------------------------------------------------------- RESTOCK#


class RestockRecord(BaseModel):
    """``RESTOCK#<awb>``: one returned shipment's restock, one field (or flag) per step."""

    model_config = ConfigDict(extra="ignore")

    awb: str
    kind: str
    salesorder_id: str
    salesorder_number: str = ""
    state: RestockState = RestockState.IN_PROGRESS
    lines: list[ReturnLine] = Field(default_factory=list)
    reason: str | None = None
    location_id: str | None = None
    salesreturn_id: str | None = None
    return_line_ids: dict[str, str] = Field(default_factory=dict)
    receive_started: bool = False
    receive_id: str | None = None
    receive_done: bool = False
    invoice_checked: bool = False
    invoice_id: str | None = None
    creditnote_id: str | None = None
    # The note's total as Zoho computed it (read back before applying).
    credit_total: float | None = None
    # The invoice balance seen just before the apply call: a lower balance on a retry means it went through.
    apply_balance_before: float | None = None
    credit_applied: float | None = None
    status_written: bool = False
    failure_reason: str | None = None


class RestockChanges(TypedDict, total=False):
    state: RestockState
    lines: list[ReturnLine]
    reason: str | None
    location_id: str | None
    salesreturn_id: str | None
    return_line_ids: dict[str, str]
    receive_started: bool
    receive_id: str | None
    receive_done: bool
    invoice_checked: bool
    invoice_id: str | None
    creditnote_id: str | None
    credit_total: float | None
    apply_balance_before: float | None
    credit_applied: float | None
    status_written: bool
    failure_reason: str | None


# ------------------------------------------------------------------------------------------- REMIT#


class RemittanceHeader(BaseModel):
    """``REMIT#<remittance_id>``: a remittance batch as it arrived (its orders are paid one by one)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    remittance_id: str
    remittance_date: str
    source: str
    bank_transfer_paise: int
    expected_paise: int
    balanced: bool
    balance_known: bool
    awbs: list[str]
    received_at: str


# A wallet statement row's booking claim (``DynamoLedger.claim_wallet_row``): claimed now, booked before, claimed
# moments ago by an attempt that may still be writing (``busy``: leave it to that attempt), or left in flight by an
# attempt that stopped between its claim and its booking.
WalletClaim = Literal["new", "booked", "busy", "in_flight"]
# Longer than any function's timeout: a claim this old belongs to an attempt that is no longer running.
WALLET_CLAIM_SETTLE_S = 300


class ReconcilePass(BaseModel):
    """``RECONCILE#<night>``: one night's reconciliation (``ops.nightly``), compared over several scheduled runs.

    The cursor is the last shipment compared, in the order ``shipments_since`` gives them (created_at, then AWB).
    ``new`` holds the differences no earlier pass paged, kept until the pass pages them."""

    model_config = ConfigDict(extra="ignore")

    night: str  # YYYY-MM-DD, IST
    since: str  # ISO time: the shipments recorded at or after it
    total: int  # shipments in the period when the pass began
    compared: int = 0
    differences: int = 0
    through_created_at: str | None = None
    through_awb: str | None = None
    new: list[dict[str, str]] = []
    new_unlisted: int = 0  # past the page's length
    runs: int = 0
    done: bool = False
    paged: bool = False
