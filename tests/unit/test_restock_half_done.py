"""A half-done restock pages RestockFailed with what was done and what was not (issue 11, item 4): when it gives
up, and when a transient failure on its last receive sends its message to RtoDLQ."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from shipsync.config import CommonSettings
from shipsync.domain.models import CreditNoteLine, ZohoSalesOrder
from shipsync.errors import ProviderRequestError, TransientError
from shipsync.returns.restock import restock_progress
from tests.fixtures.lambda_app import LambdaContext, load_app
from tests.unit.returns_fakes import AWB, SO_NUMBER, FakeReturnsZoho, WorkerDied, invoice, salesorder
from tests.unit.test_rto_restock import World, rto

EVENTS = Path(__file__).resolve().parents[2] / "events" / "rto_restock"
# The receive after which SQS moves a failed message to RtoDLQ (template.yaml's maxReceiveCount).
LAST_RECEIVE = CommonSettings.model_fields["queue_max_receives"].default


def failing_credit_notes(world: World, error: Exception) -> None:
    def create_creditnote(
        *, customer_id: str, date: str, invoice_id: str, lines: Sequence[CreditNoteLine], reference_number: str
    ) -> str:
        raise error

    world.zoho.create_creditnote = create_creditnote  # type: ignore[method-assign]


@pytest.fixture
def world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> World:
    from shipsync import wiring
    from shipsync.returns import wiring as returns_wiring

    world = World(salesorder(invoiced=True), (invoice(),))
    failing_credit_notes(world, TransientError("zoho: HTTP 503: Service Unavailable"))
    monkeypatch.setattr(returns_wiring, "restock_job", lambda metrics: world.job)
    monkeypatch.setattr(wiring, "alerts", lambda: world.alerts)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    return world


def receive(count: int) -> dict[str, Any]:
    event = dict(json.loads((EVENTS / "sqs_rto.json").read_text()))
    event["Records"][0]["attributes"]["ApproximateReceiveCount"] = str(count)
    return event


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    return dict(load_app("rto_restock").lambda_handler(event, LambdaContext("shipsync-test-rto-restock")))


def invoke_failing(event: dict[str, Any]) -> None:
    """A batch whose every record fails: Lambda is told by the handler raising (Powertools' batch processor)."""
    with pytest.raises(BatchProcessingError, match="All records failed"):
        invoke(event)


def test_a_restock_left_half_done_by_its_last_receive_pages_what_was_done_and_what_was_not(world: World) -> None:
    invoke_failing(receive(LAST_RECEIVE))

    [page] = world.alerts.pages
    assert page["kind"] == "RestockFailed"
    assert AWB in page["subject"]
    assert page["correlation_id"] == SO_NUMBER
    done, not_done = page["message"].split("Done in Zoho: ")[1].split(" Not done: ")
    [salesreturn_id] = world.zoho.salesreturns
    assert f"sales return {salesreturn_id}" in done
    assert "receive into stock" in done
    assert "credit note" not in done
    assert "credit note" in not_done
    assert "'Returned' written on the sales order" in not_done
    assert "RtoDLQ" in page["message"]
    assert "HTTP 503" in page["message"]
    assert world.metrics.counts["RestockFailed"] == 1


def test_a_restock_failing_before_its_last_receive_retries_without_a_page(world: World) -> None:
    invoke_failing(receive(LAST_RECEIVE - 1))
    assert world.alerts.pages == []


def test_a_last_receive_that_fails_before_any_step_pages_nobody(world: World) -> None:
    def unavailable(salesorder_id: str) -> Any:
        raise TransientError("zoho: HTTP 502: Bad Gateway")

    world.zoho.get_salesorder = unavailable  # type: ignore[method-assign]
    invoke_failing(receive(LAST_RECEIVE))
    assert world.alerts.pages == []  # nothing half-done: the DLQ alarm says it all


def test_a_given_up_restock_says_what_was_done_and_what_was_not() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    failing_credit_notes(world, ProviderRequestError("zoho", "Credit note total exceeds invoice", code=12345))

    outcome = world.process(rto())

    assert outcome.state == "failed"
    [page] = world.alerts.pages
    assert page["kind"] == "RestockFailed"
    assert "Done so far: sales return" in page["message"]
    assert "Not done: credit note" in page["message"]


def test_progress_of_a_restock_that_needs_no_credit_note_leaves_it_out() -> None:
    world = World()
    world.process(rto())
    record = world.job.ledger.restock(AWB)
    assert record is not None
    done, not_done = restock_progress(record)
    assert not_done == []
    assert not any("credit" in step for step in done)


def test_the_last_receive_the_workers_know_is_the_templates_max_receive_count() -> None:
    from local.cfn_template import load_template

    template = load_template(Path(__file__).resolve().parents[2] / "template.yaml")
    counts = {
        name: resource["Properties"]["RedrivePolicy"]["maxReceiveCount"]
        for name, resource in template["Resources"].items()
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in resource.get("Properties", {})
    }
    assert set(counts) == {"OrderQueue", "TokenRefreshQueue", "StatusQueue", "RtoQueue", "RemittanceQueue"}
    assert set(counts.values()) == {LAST_RECEIVE}


class SimLikeZoho(FakeReturnsZoho):
    """Zoho as the simulator answers: a sales order's ``salesreturns[]`` entries leave ``reference_number`` out
    (what they hold is not published, docs/providers/zoho.md §8); the sales return itself carries it."""

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        so = super().get_salesorder(salesorder_id)
        for ref in so.salesreturns:
            ref.reference_number = None
        return so


def test_a_sales_return_whose_answer_was_lost_is_found_again_though_the_order_does_not_show_its_reference() -> None:
    world = World(salesorder(invoiced=True), (invoice(),))
    world.zoho = SimLikeZoho(list(world.zoho.salesorders.values()), tuple(world.zoho.invoices.values()))
    world.job.zoho = world.zoho
    world.zoho.die_after = "create_salesreturn"  # Zoho made it; the answer never came back

    with pytest.raises(WorkerDied):
        world.process(rto())
    world.process(rto())

    world.assert_fully_restocked(credited=True)
    assert len(world.zoho.salesreturns) == 1
    assert world.zoho.calls["create_salesreturn"] == 1
    assert world.alerts.pages == []
