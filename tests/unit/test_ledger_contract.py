"""One suite, two ledgers: the unit tests' ``MemoryLedger`` and the DynamoDB adapters (``DynamoLedger`` +
``DynamoRestockLedger``) on moto with the table of template.yaml. What the services may rely on holds for both,
so a fake that drifts from the real ledger fails here, not in production."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from shipsync.domain.models import ReturnLine
from shipsync.ledger.dynamo import DynamoLedger
from shipsync.ledger.records import (
    AwbChanges,
    AwbRecord,
    CancelOutcome,
    JobState,
    OrderChanges,
    OrderRecord,
    ReconcilePass,
    RemittanceHeader,
    RestockChanges,
    RestockRecord,
    RestockState,
)
from shipsync.ledger.restock import DynamoRestockLedger
from tests.unit.memory_ledger import MemoryLedger
from tests.unit.test_ledger import ledger_table_properties

EVER = "9999-12-31T00:00:00"
NEVER = "2000-01-01T00:00:00"
NOW = "2025-06-12T10:00:00+00:00"
LATER = "2025-06-12T10:05:00+00:00"


@dataclass
class Ledgers:
    """The order/tracking/remittance ledger and the restock/returns ledger (one object in memory)."""

    main: Any
    restock: Any


@pytest.fixture(params=["memory", "dynamodb"])
def ledgers(request: pytest.FixtureRequest) -> Iterator[Ledgers]:
    if request.param == "memory":
        memory = MemoryLedger()
        yield Ledgers(memory, memory)
        return
    request.getfixturevalue("aws_env")
    boto3.client("dynamodb").create_table(TableName="ledger", **ledger_table_properties())
    main = DynamoLedger("ledger")
    yield Ledgers(main, DynamoRestockLedger("ledger", main))


def shipped(ledgers: Ledgers, salesorder_id: str, awb: str, **changes: Any) -> OrderRecord:
    entry = ledgers.main.ensure(salesorder_id, f"SO-{salesorder_id}")
    ledgers.main.update(salesorder_id, sr_order_id=11, shipment_id=22, payment_method="COD", **changes)
    entry = ledgers.main.get(salesorder_id)
    ledgers.main.record_awb(entry, awb=awb, courier_id=43, courier_name="Delhivery Surface")
    return ledgers.main.get(salesorder_id)


# ------------------------------------------------------------------------------ MARK#


def test_a_mark_is_made_once_per_key(ledgers: Ledgers) -> None:
    assert ledgers.main.mark_once("WEIGHTDISPUTE#7100001") is True
    assert ledgers.main.mark_once("WEIGHTDISPUTE#7100001") is False
    assert ledgers.main.mark_once("WEIGHTDISPUTE#7100002") is True


def test_a_nights_reconciliation_pass_is_kept_whole_and_replaced(ledgers: Ledgers) -> None:
    ledger = ledgers.main
    assert ledger.reconcile_pass("2026-12-07") is None
    first = ReconcilePass(night="2026-12-07", since="2026-12-04T00:00:00+00:00", total=3)
    ledger.save_reconcile_pass(first)
    assert ledger.reconcile_pass("2026-12-07") == first

    new = [{"kind": "status_behind", "awb": "111", "salesorder_number": "SO-1", "detail": "d", "fix": "f"}]
    later = first.model_copy(
        update={"compared": 2, "through_created_at": "2026-12-05T10:00:00+00:00", "through_awb": "111", "new": new}
    )
    ledger.save_reconcile_pass(later)

    assert ledger.reconcile_pass("2026-12-07") == later
    assert ledger.reconcile_pass("2026-12-06") is None


def test_a_wallet_row_is_claimed_once_and_stays_in_flight_until_booked(ledgers: Ledgers) -> None:
    assert ledgers.main.claim_wallet_row("7100001") == "new"
    # Claimed moments ago: its claimant may be writing it now.
    assert ledgers.main.claim_wallet_row("7100001") == "busy"
    # A retry after a stop between the claim and the booking (the claim older than any attempt): Zoho must be asked.
    assert ledgers.main.claim_wallet_row("7100001", settle_s=0) == "in_flight"
    ledgers.main.mark_wallet_row_booked("7100001", "4600000000000100001")
    assert ledgers.main.claim_wallet_row("7100001") == "booked"
    assert ledgers.main.claim_wallet_row("7100002") == "new"


def test_a_parcels_contents_are_read_once_and_kept(ledgers: Ledgers) -> None:
    reads: list[int] = []

    def read(units: int) -> list[dict[str, Any]]:
        reads.append(units)
        return [{"sku": "TEE-BLK-M", "name": "Cotton Tee Black M", "quantity": units}]

    first = ledgers.main.parcel_contents(612345678, lambda: read(2))
    again = ledgers.main.parcel_contents(612345678, lambda: read(5))
    other = ledgers.main.parcel_contents(612345679, lambda: read(1))

    assert first == again == [{"sku": "TEE-BLK-M", "name": "Cotton Tee Black M", "quantity": 2}]
    assert other[0]["quantity"] == 1
    assert reads == [2, 1]


# ------------------------------------------------------------------------------ SO#


def test_an_order_is_created_once_and_keeps_what_its_steps_recorded(ledgers: Ledgers) -> None:
    first = ledgers.main.ensure("101", "SO-00101")
    ledgers.main.update("101", sr_order_id=612345678, refusals=[{"courier_id": 43, "reason": "x"}])
    again = ledgers.main.ensure("101", "SO-00101")

    assert (first.state, first.order_ref) == (JobState.RECEIVED, "SO-00101")
    assert (again.sr_order_id, again.refusals) == (612345678, [{"courier_id": 43, "reason": "x"}])
    assert again.confirmed_at == first.confirmed_at
    assert ledgers.main.find_salesorder_id("SO-00101") == "101"
    assert ledgers.main.get("nope") is None


def test_open_jobs_are_the_unfinished_orders_until_they_are_closed(ledgers: Ledgers) -> None:
    ledgers.main.ensure("103", "SO-00103")
    ledgers.main.ensure("104", "SO-00104")
    ledgers.main.close_job("104", state=JobState.SYNCED, shipment_status="Pickup Scheduled")

    assert [e.salesorder_number for e in ledgers.main.open_jobs(EVER)] == ["SO-00103"]
    assert ledgers.main.open_jobs(NEVER) == []
    closed = ledgers.main.get("104")
    assert (closed.state, closed.shipment_status) == (JobState.SYNCED, "Pickup Scheduled")


def test_a_claim_for_shipping_and_a_cancellation_of_an_unclaimed_job_exclude_each_other(ledgers: Ledgers) -> None:
    ledger = ledgers.main
    assert not ledger.claim_for_shipping("404")  # no job, nothing to claim
    ledger.ensure("1", "SO-1")
    assert ledger.claim_for_shipping("1")
    assert ledger.claim_for_shipping("1")  # each retry claims again
    assert not ledger.cancel_unclaimed("1", state=JobState.CANCELLED)
    assert ledger.get("1").state == JobState.RECEIVED

    ledger.ensure("2", "SO-2")
    assert ledger.cancel_unclaimed("2", state=JobState.CANCELLED, cancel_outcome=CancelOutcome.NEVER_SHIPPED)
    assert not ledger.claim_for_shipping("2")
    entry = ledger.get("2")
    assert (entry.state, entry.cancel_outcome) == (JobState.CANCELLED, CancelOutcome.NEVER_SHIPPED)
    assert [job.salesorder_id for job in ledger.open_jobs(EVER)] == ["1"]


def test_a_reopened_job_forgets_its_steps_and_ships_again_under_a_new_reference(ledgers: Ledgers) -> None:
    ledger = ledgers.main
    ledger.ensure("3", "SO-3")
    ledger.claim_for_shipping("3")
    ledger.update("3", sr_order_id=11, awb="A1", zoho_package_id="P1", amendments=[{"kind": "address_updated"}])
    ledger.close_job("3", state=JobState.CANCELLED, cancel_outcome=CancelOutcome.CANCELLED, cancelled_at=NOW)

    ledger.reopen_job("3", order_ref="SO-3-R1", recreate_count=1)

    entry = ledger.get("3")
    assert (entry.state, entry.order_ref, entry.recreate_count) == (JobState.RECEIVED, "SO-3-R1", 1)
    assert (entry.sr_order_id, entry.awb, entry.zoho_package_id, entry.cancel_outcome) == (None, None, None, None)
    assert entry.amendments == [{"kind": "address_updated"}]
    assert ledger.claim_for_shipping("3")
    assert [job.salesorder_id for job in ledger.open_jobs(EVER)] == ["3"]


def test_an_awb_is_recorded_on_its_order_and_as_a_lookup_with_what_tracking_needs(ledgers: Ledgers) -> None:
    entry = shipped(ledgers, "102", "1411220456789", delivery_city="Bengaluru", order_value=1299.0)

    assert (entry.awb, entry.courier_id, entry.state) == ("1411220456789", 43, JobState.AWB_ASSIGNED)
    found = ledgers.main.find_by_awb("1411220456789")
    assert (found.salesorder_id, found.salesorder_number, found.shipment_id) == ("102", "SO-102", 22)
    assert (found.delivery_city, found.order_value, found.payment_method) == ("Bengaluru", 1299.0, "COD")
    assert (found.status, found.tracking_open, found.is_return) == ("Pickup Scheduled", "1", False)
    assert ledgers.main.find_by_awb("0000") is None
    assert ledgers.restock.shipment_awb("102") == "1411220456789"


def test_a_parcel_is_a_job_of_its_own_found_by_its_reference_and_its_awb_carries_its_lines(ledgers: Ledgers) -> None:
    order = ledgers.main.ensure("107", "SO-107")
    parcel = ledgers.main.ensure_parcel(order, parcel=2, order_ref="SO-107-2", lines={"L1": 3.0})
    ledgers.main.update(parcel.job_id, sr_order_id=12, shipment_id=23, payment_method="COD")
    again = ledgers.main.ensure_parcel(order, parcel=2, order_ref="SO-107-2", lines={"L1": 99.0})

    assert (again.job_id, again.parcel, again.parcel_lines, again.sr_order_id) == ("107#SO-107-2", 2, {"L1": 3.0}, 12)
    assert ledgers.main.find_salesorder_id("SO-107-2") == "107#SO-107-2"
    # The order's own job is untouched, and only it waits in the stuck-order index.
    assert ledgers.main.get("107").sr_order_id is None
    assert [e.job_id for e in ledgers.main.open_jobs(EVER)] == ["107"]
    ledgers.main.record_awb(again, awb="AWB107B", courier_id=43, courier_name="Delhivery Surface")
    found = ledgers.main.find_by_awb("AWB107B")
    assert (found.salesorder_id, found.parcel, found.job_id, found.order_ref) == ("107", 2, "107#SO-107-2", "SO-107-2")
    assert [(line.salesorder_item_id, line.quantity) for line in found.lines] == [("L1", 3.0)]
    assert (ledgers.main.get("107#SO-107-2").awb, ledgers.main.get("107").awb) == ("AWB107B", None)


# ------------------------------------------------------------------------------ AWB#


def test_a_return_awb_is_put_once_and_tracked_until_tracking_closes(ledgers: Ledgers) -> None:
    shipped(ledgers, "106", "AWB106")
    booked = AwbRecord(
        awb="RET106", is_return=True, salesorder_id="106", lines=[ReturnLine(salesorder_item_id="L1", quantity=2)]
    )
    assert ledgers.restock.put_awb(booked) is True
    assert ledgers.restock.put_awb(booked) is False

    returned = ledgers.restock.awb_item("RET106")
    assert (returned.is_return, returned.lines[0].quantity) == (True, 2)
    assert {s.awb for s in ledgers.main.quiet_shipments(EVER)} == {"AWB106", "RET106"}
    ledgers.main.update_awb("AWB106", status="Delivered", seen_events=["AWB106:7:t"])
    ledgers.main.close_tracking("AWB106")
    assert {s.awb for s in ledgers.main.quiet_shipments(EVER)} == {"RET106"}
    assert ledgers.main.quiet_shipments(NEVER) == []
    assert ledgers.main.find_by_awb("AWB106").seen_events == ["AWB106:7:t"]


def test_a_delivered_cod_shipment_waits_for_its_remittance_then_leaves_the_index_in_one_write(
    ledgers: Ledgers,
) -> None:
    shipped(ledgers, "201", "AWB201")
    ledgers.main.update_awb("AWB201", cod_open="1", delivered_at=NOW)
    assert [s.awb for s in ledgers.main.unremitted_cod()] == ["AWB201"]

    ledgers.main.mark_remitted("AWB201", remitted_utr="UTR1", payment_id="P1", charges_paise=6250)
    assert ledgers.main.unremitted_cod() == []
    paid = ledgers.main.find_by_awb("AWB201")
    assert (paid.remitted_utr, paid.payment_id, paid.charges_paise, paid.cod_open) == ("UTR1", "P1", 6250, None)


def test_a_parked_remittance_line_is_due_at_its_next_check_until_it_stops_waiting(ledgers: Ledgers) -> None:
    shipped(ledgers, "202", "AWB202")
    ledgers.main.park_remittance("AWB202", next_check=LATER, pending={"remittance_id": "UTR2", "checks": 1})

    assert ledgers.main.waiting_remittances(NOW) == []
    [due] = ledgers.main.waiting_remittances(LATER)
    assert (due.awb, due.remit_pending) == ("AWB202", {"remittance_id": "UTR2", "checks": 1})
    ledgers.main.close_waiting("AWB202")
    assert ledgers.main.waiting_remittances(EVER) == []
    assert ledgers.main.find_by_awb("AWB202").remit_pending == {"remittance_id": "UTR2", "checks": 1}


def test_a_remittance_header_is_kept(ledgers: Ledgers) -> None:
    header = RemittanceHeader(
        remittance_id="UTR3",
        remittance_date="2025-06-12",
        source="csv",
        bank_transfer_paise=127926,
        expected_paise=127926,
        balanced=True,
        balance_known=True,
        awbs=["A1"],
        received_at=NOW,
    )
    ledgers.main.record_remittance(header)

    # Written for ops and audits, never read back by the code: read the stored item itself.
    if isinstance(ledgers.main, MemoryLedger):
        stored = ledgers.main.remittances["UTR3"]
    else:
        stored = ledgers.main.table.get_item(Key={"pk": "REMIT#UTR3"})["Item"]
    assert (stored["source"], int(stored["bank_transfer_paise"]), stored["awbs"]) == ("csv", 127926, ["A1"])


# ------------------------------------------------------------------------------ RESTOCK# and RETURNS#


def test_a_restock_lease_keeps_a_second_worker_out_and_its_identity_is_set_once(ledgers: Ledgers) -> None:
    identity = {"kind": "rto", "salesorder_id": "301", "salesorder_number": "SO-301"}
    first = ledgers.restock.begin("AWB301", owner="a", now=NOW, lease_until=LATER, **identity)
    assert isinstance(first, RestockRecord)
    assert (first.awb, first.kind, first.state) == ("AWB301", "rto", RestockState.IN_PROGRESS)
    assert ledgers.restock.begin("AWB301", owner="b", now=NOW, lease_until=LATER, **identity) is None

    ledgers.restock.save("AWB301", state=RestockState.DONE, lines=[ReturnLine(salesorder_item_id="L1", quantity=1)])
    ledgers.restock.release("AWB301", "b")  # not b's lease: nothing happens
    assert ledgers.restock.begin("AWB301", owner="b", now=NOW, lease_until=LATER, **identity) is None
    ledgers.restock.release("AWB301", "a")
    again = ledgers.restock.begin(
        "AWB301", owner="b", now=NOW, lease_until=LATER, kind="customer_return", salesorder_id="x", salesorder_number=""
    )
    assert (again.kind, again.salesorder_id, again.state) == ("rto", "301", RestockState.DONE)
    assert again.lines == [ReturnLine(salesorder_item_id="L1", quantity=1)]


def test_an_expired_lease_is_taken_over(ledgers: Ledgers) -> None:
    identity = {"kind": "rto", "salesorder_id": "302", "salesorder_number": "SO-302"}
    ledgers.restock.begin("AWB302", owner="dead", now=NOW, lease_until=NOW, **identity)
    assert ledgers.restock.begin("AWB302", owner="b", now=LATER, lease_until=EVER, **identity) is not None


def test_a_return_request_gets_the_next_number_once_and_keeps_its_steps(ledgers: Ledgers) -> None:
    first = ledgers.restock.reserve_return("401", "key-1", salesorder_number="SO-401", reason="size")
    second = ledgers.restock.reserve_return("401", "key-2", salesorder_number="SO-401")
    again = ledgers.restock.reserve_return("401", "key-1", salesorder_number="SO-401")
    assert (first["n"], second["n"], again["n"]) == (1, 2, 1)

    ledgers.restock.save_return("401", "key-1", sr_order_id=9, awb="RET401")
    booked = ledgers.restock.returns("401")
    assert (booked["key-1"]["awb"], booked["key-1"]["reason"], booked["key-2"]["n"]) == ("RET401", "size", 2)
    assert ledgers.restock.returns("nope") == {}


# ------------------------------------------------------------------------------ the typed changes


@pytest.mark.parametrize(
    ("changes", "record", "identity"),
    [
        # shipping_claimed is written only by claim_for_shipping, the conditional write a cancellation races; a
        # parcel's number and lines only by ensure_parcel.
        (
            OrderChanges,
            OrderRecord,
            {
                "salesorder_id",
                "salesorder_number",
                "confirmed_at",
                "updated_at",
                "shipping_claimed",
                "parcel",
                "parcel_ref",
                "parcel_lines",
            },
        ),
        (
            AwbChanges,
            AwbRecord,
            {
                "awb",
                "salesorder_id",
                "salesorder_number",
                "parcel",
                "parcel_ref",
                "order_ref",
                "sr_order_id",
                "shipment_id",
                "courier_id",
                "courier_name",
                "delivery_city",
                "order_value",
                "payment_method",
                "created_at",
                "tracking_open",
                "is_return",
                "return_ref",
                "lines",
                "reason",
                "updated_at",
            },
        ),
        (RestockChanges, RestockRecord, {"awb", "kind", "salesorder_id", "salesorder_number"}),
    ],
)
def test_each_writable_field_is_a_field_of_its_record_and_only_identity_is_not_writable(
    changes: type, record: type, identity: set[str]
) -> None:
    writable = set(changes.__annotations__)
    assert writable <= set(record.model_fields)
    assert set(record.model_fields) - writable == identity


def test_shipments_since_lists_the_awbs_written_from_a_time(ledgers: Ledgers) -> None:
    for awb in ("A1", "A2"):
        ledgers.main.put_awb(AwbRecord(awb=awb, salesorder_id="SO-ID"))  # stamped with the time it is written

    assert {r.awb for r in ledgers.main.shipments_since("2000-01-01T00:00:00+00:00")} == {"A1", "A2"}
    assert len(ledgers.main.shipments_since("2000-01-01T00:00:00+00:00", limit=1)) == 1
    assert ledgers.main.shipments_since("2999-01-01T00:00:00+00:00") == []


def test_the_days_jobs_and_remittances_are_found_by_their_times(ledgers: Ledgers) -> None:
    order = ledgers.main.ensure("SO-ID-1", "SO-00001")
    ledgers.main.ensure_parcel(order, parcel=1, order_ref="SO-00001-1", lines={"L1": 1.0})
    confirmed = order.confirmed_at
    header = RemittanceHeader(
        remittance_id="UTR-1",
        remittance_date="2025-06-19",
        source="webhook",
        bank_transfer_paise=100,
        expected_paise=200,
        balanced=False,
        balance_known=True,
        awbs=["A1"],
        received_at=confirmed,
    )
    ledgers.main.record_remittance(header)

    # The order's own job only, not its parcel's.
    assert [job.salesorder_number for job in ledgers.main.jobs_confirmed_between(confirmed, "9999")] == ["SO-00001"]
    assert ledgers.main.jobs_confirmed_between("9998", "9999") == []
    assert ledgers.main.remittances_received_between(confirmed, "9999") == [header]
    assert ledgers.main.remittances_received_between("9998", "9999") == []
