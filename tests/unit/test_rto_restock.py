"""RestockJob: a returned shipment is restocked (sales return + receive) and credited when invoiced,
exactly once per AWB under duplicate messages, concurrent workers and a crash after any step."""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from shipsync.domain.models import ReturnLine, ZohoInvoice, ZohoSalesOrder
from shipsync.errors import BusyElsewhere, RateLimited
from shipsync.ledger.records import AwbRecord, RestockState
from shipsync.ledger.restock import DynamoRestockLedger
from shipsync.returns.messages import RestockMessage
from shipsync.returns.restock import RestockJob, RestockOutcome, shipped_lines
from tests.fixtures.lambda_app import LambdaContext, load_app
from tests.unit.order_fakes import CountingMetrics, RecordingAlerts, outcome_policy
from tests.unit.returns_fakes import (
    AWB,
    CREATING_WRITES,
    INVOICE_ID,
    MUG_LINE,
    SO_ID,
    SO_NUMBER,
    TEE_LINE,
    FakeReturnsZoho,
    MemoryRestockLedger,
    WorkerDied,
    invoice,
    salesorder,
)
from tests.unit.test_ledger import ledger_table_properties

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "rto_restock"
NOW = datetime(2024, 6, 8, 11, 30, tzinfo=UTC)
RETURNS_LOCATION = "460000000099001"
IDENTITY = {"kind": "rto", "salesorder_id": SO_ID, "salesorder_number": SO_NUMBER}


def rto(awb: str = AWB) -> RestockMessage:
    return RestockMessage(
        kind="rto", awb=awb, salesorder_id=SO_ID, salesorder_number=SO_NUMBER, event_time="2024-06-08T16:42:00+05:30"
    )


class World:
    def __init__(
        self,
        so: ZohoSalesOrder | None = None,
        invoices: tuple[ZohoInvoice, ...] = (),
        returns_location_id: str = RETURNS_LOCATION,
        ledger: Any = None,
    ) -> None:
        self.zoho = FakeReturnsZoho([so or salesorder()], invoices)
        if ledger is None:
            ledger = MemoryRestockLedger()
            ledger.ship(SO_ID, SO_NUMBER, AWB, courier_name="Delhivery Surface")
        self.ledger = ledger
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.job = RestockJob(
            zoho=self.zoho,
            ledger=self.ledger,
            metrics=self.metrics,
            returns_location_id=returns_location_id,
            clock=lambda: NOW,
        )
        self.policy = outcome_policy(self.alerts, self.metrics)

    def process(self, message: RestockMessage) -> RestockOutcome:
        """As the RtoQueue worker runs it: under the outcome policy."""
        return self.policy.run(self.job.attempt(message))

    def creating_writes(self) -> Counter[str]:
        return Counter({name: self.zoho.calls[name] for name in CREATING_WRITES if self.zoho.calls[name]})

    def assert_fully_restocked(self, *, credited: bool) -> None:
        assert len(self.zoho.salesreturns) == 1
        assert len(self.zoho.receives) == 1
        assert len(self.zoho.creditnotes) == (1 if credited else 0)
        assert self.zoho.custom_fields[SO_ID] == {"cf_shipment_status": "Returned"}
        assert self.ledger.restocks[AWB]["state"] == "done"
        expected = {"create_salesreturn": 1, "create_salesreturn_receive": 1}
        if credited:
            expected |= {"create_creditnote": 1, "apply_creditnote": 1}
        assert self.creating_writes() == expected


# ------------------------------------------------------------------------------ the happy paths


def test_rto_returns_and_receives_every_shipped_unit_into_the_returns_warehouse() -> None:
    world = World()
    outcome = world.process(rto())

    assert outcome.state == "done"
    (salesreturn,) = world.zoho.salesreturns.values()
    assert salesreturn["lines"] == [(TEE_LINE, "1947583000000045021", 2), (MUG_LINE, "1947583000000045022", 1)]
    assert salesreturn["reason"] == "RTO: returned to origin by Delhivery Surface"
    assert salesreturn["reference_number"] == AWB
    assert salesreturn["location_id"] == RETURNS_LOCATION
    (receive,) = world.zoho.receives
    ids = salesreturn["line_item_ids"]
    assert receive["lines"] == [(ids[TEE_LINE], 2), (ids[MUG_LINE], 1)]
    assert AWB in receive["notes"]
    assert world.zoho.creditnotes == {}
    assert world.zoho.calls["get_invoice"] == 0
    assert world.zoho.custom_fields[SO_ID] == {"cf_shipment_status": "Returned"}
    assert world.metrics.counts == Counter({"Restocked": 1})
    assert world.alerts.pages == []


def test_partly_shipped_lines_return_only_what_shipped_and_the_line_location_is_used() -> None:
    so = salesorder()
    so.line_items[0].quantity_shipped = 1
    so.line_items[1].quantity_shipped = 0
    world = World(so, returns_location_id="")
    world.process(rto())

    (salesreturn,) = world.zoho.salesreturns.values()
    assert salesreturn["lines"] == [(TEE_LINE, "1947583000000045021", 1)]
    assert salesreturn["location_id"] == "460000000038080"


def test_missing_shipped_figures_fall_back_to_the_ordered_quantity() -> None:
    so = salesorder()
    for line in so.line_items:
        line.quantity_shipped = None
    assert [(line.salesorder_item_id, line.quantity) for line in shipped_lines(so)] == [(TEE_LINE, 2), (MUG_LINE, 1)]


def test_shipped_quantity_trusts_a_zero_shipped_figure() -> None:
    line, *_ = salesorder().line_items
    line.quantity_shipped = 0
    assert line.shipped_quantity == 0
    line.quantity_shipped = None
    assert line.shipped_quantity == line.quantity == 2


def test_unpaid_cod_invoice_is_credited_and_closed() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    outcome = world.process(rto())

    (note_id, note), *_ = world.zoho.creditnotes.items()
    assert outcome.creditnote_id == note_id
    assert note["reference_number"] == f"RTO-{AWB}"
    assert note["invoice_id"] == INVOICE_ID
    assert note["salesreturn_id"] == outcome.salesreturn_id
    assert note["lines"] == [(TEE_LINE, 2), (MUG_LINE, 1)]
    # 2 x 599 + 12 % GST and 349 + 18 % GST: the whole invoice.
    assert world.zoho.applications == [(note_id, INVOICE_ID, 1753.58)]
    assert world.zoho.invoices[INVOICE_ID].balance == 0
    world.assert_fully_restocked(credited=True)


def test_credit_is_applied_only_up_to_the_open_balance() -> None:
    world = World(salesorder(invoiced=True), (invoice(balance=500.0),))
    world.process(rto())

    assert [amount for _, _, amount in world.zoho.applications] == [500.0]
    assert world.zoho.invoices[INVOICE_ID].balance == 0


def test_paid_invoice_gets_a_credit_note_but_nothing_to_apply() -> None:
    world = World(salesorder(invoiced=True), (invoice(balance=0.0),))
    world.process(rto())

    assert len(world.zoho.creditnotes) == 1
    assert world.zoho.applications == []
    assert world.ledger.restocks[AWB]["credit_applied"] == 0.0


def test_void_invoice_means_no_credit_note() -> None:
    so = salesorder(invoiced=True)
    so.invoices[0].status = "void"
    world = World(so, (invoice(),))
    world.process(rto())

    assert world.zoho.creditnotes == {}
    world.assert_fully_restocked(credited=False)


def test_customer_return_restocks_the_booked_lines_with_the_customers_reason() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    world.ledger.put_awb(
        AwbRecord(
            awb="R170411259",
            is_return=True,
            salesorder_id=SO_ID,
            salesorder_number=SO_NUMBER,
            return_ref=f"{SO_NUMBER}-RET1",
            lines=[ReturnLine(salesorder_item_id=TEE_LINE, quantity=1)],
            reason="Size too small",
        )
    )
    message = RestockMessage(kind="customer_return", awb="R170411259", salesorder_id=SO_ID)
    world.process(message)

    (salesreturn,) = world.zoho.salesreturns.values()
    assert salesreturn["lines"] == [(TEE_LINE, "1947583000000045021", 1)]
    assert salesreturn["reason"] == "Size too small"
    (note,) = world.zoho.creditnotes.values()
    assert note["reference_number"] == "RET-R170411259"
    assert world.zoho.applications[0][2] == round(599 * 1.12, 2)


def test_a_credit_note_a_paisa_below_our_estimate_is_applied_in_full() -> None:
    # Zoho rounds GST once per document: invoice and note come to 1753.57, not our line-wise 1753.58.
    zoho_rounded = invoice(balance=1753.57)
    zoho_rounded.total = 1753.57
    world = World(salesorder(invoiced=True), (zoho_rounded,))
    world.zoho.creditnote_rounding = -0.01
    outcome = world.process(rto())

    assert outcome.state == "done"
    (note_id, note), *_ = world.zoho.creditnotes.items()
    assert note["total"] == 1753.57
    assert world.zoho.applications == [(note_id, INVOICE_ID, 1753.57)]
    assert world.zoho.invoices[INVOICE_ID].balance == 0
    assert note["balance"] == 0
    assert world.ledger.restocks[AWB]["credit_total"] == 1753.57
    assert world.alerts.pages == []
    world.assert_fully_restocked(credited=True)


def test_a_partial_return_applies_the_notes_own_total_not_the_estimate() -> None:
    # The invoice owes more than the note holds, so only the note's real balance caps the application.
    world = World(salesorder(invoiced=True), (invoice(),))
    world.zoho.creditnote_rounding = -0.01
    world.ledger.put_awb(
        AwbRecord(
            awb="R170411259",
            is_return=True,
            salesorder_id=SO_ID,
            lines=[ReturnLine(salesorder_item_id=TEE_LINE, quantity=1)],
            reason="Size too small",
        )
    )
    outcome = world.process(RestockMessage(kind="customer_return", awb="R170411259", salesorder_id=SO_ID))

    assert outcome.state == "done"
    (note,) = world.zoho.creditnotes.values()
    assert [amount for _, _, amount in world.zoho.applications] == [round(599 * 1.12 - 0.01, 2)]
    assert note["balance"] == 0
    assert world.zoho.invoices[INVOICE_ID].balance == round(1753.58 - 670.87, 2)
    assert world.alerts.pages == []


def test_credit_already_used_elsewhere_is_not_applied_twice() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    real_create = world.zoho.create_creditnote

    def create_then_spend(**kwargs: Any) -> str:
        creditnote_id = real_create(**kwargs)
        world.zoho.creditnotes[creditnote_id]["balance"] = 1000.0  # ops refunded part of it by hand
        return creditnote_id

    world.zoho.create_creditnote = create_then_spend  # type: ignore[method-assign]
    world.process(rto())

    assert [amount for _, _, amount in world.zoho.applications] == [1000.0]
    assert world.zoho.invoices[INVOICE_ID].balance == 753.58
    assert world.ledger.restocks[AWB]["credit_total"] == 1753.58


# ------------------------------------------------------------------------------ exactly once


def test_three_duplicate_messages_restock_once() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    outcomes = [world.process(rto()) for _ in range(3)]

    assert [o.state for o in outcomes] == ["done"] * 3
    assert [o.detail for o in outcomes] == [None, "duplicate", "duplicate"]
    world.assert_fully_restocked(credited=True)
    assert world.metrics.counts == Counter({"Restocked": 1, "RestockDuplicate": 2})
    # A duplicate costs no Zoho call at all.
    assert world.zoho.calls["get_salesorder"] == 1


@pytest.mark.parametrize("write", [*CREATING_WRITES, "update_salesorder"])
def test_worker_dying_after_a_zoho_write_does_not_repeat_it(write: str) -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    world.zoho.die_after = write
    with pytest.raises(WorkerDied):
        world.process(rto())
    assert world.ledger.restocks[AWB]["state"] == "in_progress"
    assert "lock_owner" not in world.ledger.restocks[AWB]

    world.process(rto())
    world.assert_fully_restocked(credited=True)
    assert world.zoho.invoices[INVOICE_ID].balance == 0


def test_worker_dying_after_any_ledger_write_does_not_repeat_a_zoho_write() -> None:
    clean = World(salesorder(invoiced=True), (invoice(),))
    clean.process(rto())
    steps = clean.ledger.saves
    assert steps >= 8

    for k in range(1, steps + 1):
        world = World(salesorder(invoiced=True), (invoice(),))
        world.ledger.die_on_save = k
        with pytest.raises(WorkerDied):
            world.process(rto())
        world.process(rto())
        world.process(rto())
        world.assert_fully_restocked(credited=True)
        assert world.zoho.invoices[INVOICE_ID].balance == 0, f"crash after ledger save {k}"


def test_a_restock_running_elsewhere_is_retried_later_without_touching_zoho() -> None:
    world = World()
    world.ledger.begin(
        AWB, owner="other", now=NOW.isoformat(), lease_until=(NOW + timedelta(minutes=5)).isoformat(), **IDENTITY
    )
    with pytest.raises(BusyElsewhere):
        world.process(rto())
    assert sum(world.zoho.calls.values()) == 0

    world.ledger.release(AWB, "other")
    assert world.process(rto()).state == "done"


def test_an_expired_lease_of_a_dead_worker_is_taken_over() -> None:
    world = World()
    world.ledger.begin(
        AWB, owner="dead", now=NOW.isoformat(), lease_until=(NOW - timedelta(seconds=1)).isoformat(), **IDENTITY
    )
    assert world.process(rto()).state == "done"


def test_transient_errors_raise_for_a_retry_and_leave_the_restock_open() -> None:
    world = World()

    def limited(salesorder_id: str) -> ZohoSalesOrder:
        raise RateLimited("zoho: too many requests")

    world.zoho.get_salesorder = limited  # type: ignore[method-assign]
    with pytest.raises(RateLimited):
        world.process(rto())
    assert world.ledger.restocks[AWB]["state"] == "in_progress"
    assert world.metrics.counts["RestockFailed"] == 0


# ------------------------------------------------------------------------------ permanent failures


def test_zoho_refusing_unshipped_units_pages_ops_and_ends_the_restock() -> None:
    world = World()
    for line in world.zoho.salesorders[SO_ID].line_items:
        line.quantity_shipped = None  # no shipped figures: the job asks for every unit, Zoho knows none shipped

    outcome = world.process(rto())

    assert outcome.state == "failed"
    assert "Only shipped items can be returned" in (outcome.detail or "")
    assert world.metrics.counts["RestockFailed"] == 1
    (page,) = world.alerts.pages
    assert page["kind"] == "RestockFailed"
    assert AWB in page["subject"]
    assert world.ledger.restocks[AWB]["state"] == "failed"
    assert world.creating_writes() == Counter()
    # A later duplicate does not retry the failed restock.
    assert world.process(rto()).state == "failed"
    assert len(world.alerts.pages) == 1


def test_nothing_shipped_is_a_permanent_failure_that_marks_the_order_and_pages() -> None:
    world = World(salesorder(shipped=False))
    outcome = world.process(rto())

    assert outcome.state == "failed"
    assert world.zoho.salesreturns == {}
    assert world.zoho.custom_fields == {SO_ID: {"cf_shipment_status": "Restock Failed"}}
    assert world.ledger.restocks[AWB]["state"] == "failed"
    [page] = world.alerts.pages
    assert page["kind"] == "RestockFailed"
    assert "no shipped units to return" in page["message"]
    assert "Done so far: nothing" in page["message"]


def test_customer_return_message_for_an_unbooked_awb_fails() -> None:
    world = World()
    outcome = world.process(RestockMessage(kind="customer_return", awb="R-UNKNOWN", salesorder_id=SO_ID))
    assert outcome.state == "failed"
    assert world.zoho.salesreturns == {}


# ------------------------------------------------------------------------------ the DynamoDB ledger


@pytest.fixture
def dynamo_ledger(aws_env: None) -> DynamoRestockLedger:
    boto3.client("dynamodb").create_table(TableName="ledger", **ledger_table_properties())
    return DynamoRestockLedger("ledger")


def test_restock_over_dynamodb_is_exactly_once(dynamo_ledger: DynamoRestockLedger) -> None:
    dynamo_ledger.put_awb(
        AwbRecord(awb=AWB, salesorder_id=SO_ID, salesorder_number=SO_NUMBER, courier_name="Delhivery Surface")
    )
    world = World(salesorder(invoiced=True), (invoice(),), ledger=dynamo_ledger)
    world.zoho.die_after = "create_creditnote"
    with pytest.raises(WorkerDied):
        world.process(rto())
    outcomes = [world.process(rto()) for _ in range(3)]

    assert [o.detail for o in outcomes] == [None, "duplicate", "duplicate"]
    assert world.creating_writes() == {
        "create_salesreturn": 1,
        "create_salesreturn_receive": 1,
        "create_creditnote": 1,
        "apply_creditnote": 1,
    }
    item = boto3.resource("dynamodb").Table("ledger").get_item(Key={"pk": f"RESTOCK#{AWB}"})["Item"]
    assert item["state"] == "done"
    assert item["reason"] == "RTO: returned to origin by Delhivery Surface"
    assert float(item["credit_applied"]) == 1753.58
    assert "lock_owner" not in item


def test_dynamodb_lease_keeps_a_second_worker_out(dynamo_ledger: DynamoRestockLedger) -> None:
    now, later = NOW.isoformat(), (NOW + timedelta(minutes=5)).isoformat()
    first = dynamo_ledger.begin(AWB, owner="a", now=now, lease_until=later, **IDENTITY)
    assert first is not None
    assert (first.awb, first.kind) == (AWB, "rto")
    assert dynamo_ledger.begin(AWB, owner="b", now=now, lease_until=later, **IDENTITY) is None
    dynamo_ledger.save(AWB, state=RestockState.DONE)
    dynamo_ledger.release(AWB, "b")  # not b's lease: nothing happens
    assert dynamo_ledger.begin(AWB, owner="b", now=now, lease_until=later, **IDENTITY) is None
    dynamo_ledger.release(AWB, "a")
    again = dynamo_ledger.begin(
        AWB, owner="b", now=now, lease_until=later, kind="customer_return", salesorder_id="other", salesorder_number=""
    )
    assert again is not None
    assert (again.kind, again.salesorder_id, again.state) == ("rto", SO_ID, "done")


# ------------------------------------------------------------------------------ the handler


def sqs_event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


@pytest.fixture
def handler_world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    from shipsync import wiring
    from shipsync.returns import wiring as returns_wiring

    world = World(salesorder(invoiced=True), (invoice(),))
    monkeypatch.setattr(returns_wiring, "restock_job", lambda metrics: world.job)
    monkeypatch.setattr(wiring, "alerts", lambda: world.alerts)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    return world


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return dict(load_app("rto_restock").lambda_handler(event, LambdaContext("shipsync-test-rto-restock")))


def test_handler_restocks_the_rto_message_of_the_sample_event(handler_world: World) -> None:
    assert invoke(sqs_event("sqs_rto.json")) == {"batchItemFailures": []}
    handler_world.assert_fully_restocked(credited=True)


def test_handler_restocks_a_delivered_customer_return(handler_world: World) -> None:
    event = sqs_event("sqs_customer_return.json")
    awb = json.loads(event["Records"][0]["body"])["awb"]
    handler_world.ledger.put_awb(
        AwbRecord(
            awb=awb, is_return=True, salesorder_id=SO_ID, lines=[ReturnLine(salesorder_item_id=MUG_LINE, quantity=1)]
        )
    )
    assert invoke(event) == {"batchItemFailures": []}
    (note,) = handler_world.zoho.creditnotes.values()
    assert note["reference_number"] == f"RET-{awb}"


def test_handler_reports_a_failed_record_for_retry_and_a_duplicate_finishes_the_job(handler_world: World) -> None:
    handler_world.zoho.die_after = "create_salesreturn_receive"
    event = sqs_event("sqs_rto.json")
    duplicate = {**event["Records"][0], "messageId": "7d1c2a40-5b1e-4c8e-9a57-3f2b1e000099"}
    event["Records"].append(duplicate)
    failed = event["Records"][0]["messageId"]

    assert invoke(event) == {"batchItemFailures": [{"itemIdentifier": failed}]}
    handler_world.assert_fully_restocked(credited=True)
    assert invoke({"Records": [event["Records"][0]]}) == {"batchItemFailures": []}
    handler_world.assert_fully_restocked(credited=True)


def test_handler_dead_letters_a_malformed_message_on_its_first_receive_and_pages_ops(handler_world: World) -> None:
    event = sqs_event("sqs_rto.json")
    body = json.dumps({"kind": "exchange", "awb": ""})
    event["Records"][0]["body"] = body
    assert invoke(event) == {"batchItemFailures": []}
    (page,) = handler_world.alerts.pages
    assert page["kind"] == "MalformedMessage"
    assert "awb" in page["message"]
    assert "kind" in page["message"]
    assert handler_world.zoho.calls == Counter()
    dlq = boto3.client("sqs").receive_message(
        QueueUrl=os.environ["RTO_DLQ_URL"], MessageAttributeNames=["All"], MaxNumberOfMessages=10
    )
    [moved] = dlq["Messages"]
    assert moved["Body"] == body
    assert "awb" in moved["MessageAttributes"]["shipsync_rejected"]["StringValue"]
