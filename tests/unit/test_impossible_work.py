"""Accepted but impossible work fails at once (issue 11, item 2): a queued message naming a record the
provider does not have is dead-lettered on its first receive with a page naming it, after one call."""

from __future__ import annotations

from collections import Counter

import pytest
from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from memory_ledger import MemoryLedger
from order_fakes import CountingMetrics, FakeShiprocket, FakeZoho, RecordingAlerts, order_job, outcome_policy

from shipsync.clients.zoho.transport import raise_for_error as zoho_raise_for_error
from shipsync.domain.models import ZohoSalesOrder
from shipsync.errors import NamedRecordMissing, ProviderRequestError, RecordMissing
from shipsync.ledger.records import JobState
from shipsync.orders.messages import OrderMessage
from shipsync.policy.outcomes import Action, QueueWorker, action_for

MISSING_ID = "1947583000000199999"


def record(body: str, receives: int = 1) -> SQSRecord:
    return SQSRecord(
        {
            "messageId": f"m-{receives}",
            "receiptHandle": "r",
            "body": body,
            "attributes": {"ApproximateReceiveCount": str(receives)},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
        }
    )


def test_zoho_does_not_exist_is_a_missing_record_and_an_unknown_url_is_not() -> None:
    with pytest.raises(RecordMissing) as missing:
        zoho_raise_for_error(404, {"code": 1002, "message": "Sales Order does not exist."}, 1)
    assert missing.value.code == 1002
    # Code 1002 is the signal, whatever the status (docs/providers/zoho.md §3: its HTTP status is a guess).
    with pytest.raises(RecordMissing):
        zoho_raise_for_error(400, {"code": 1002, "message": "Invoice does not exist."}, 1)
    with pytest.raises(ProviderRequestError) as unknown_url:
        zoho_raise_for_error(404, {"code": 5, "message": "Invalid URL Passed"}, 1)
    assert not isinstance(unknown_url.value, RecordMissing)


def test_a_named_record_that_does_not_exist_is_dead_lettered() -> None:
    err = NamedRecordMissing("sales order", "SO-99999", RecordMissing("zoho", "Sales Order does not exist."))
    assert action_for(err) is Action.DEAD_LETTER


class MissingZoho(FakeZoho):
    """Zoho without the sales order the message names (404, code 1002)."""

    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder:
        self.calls["get_salesorder"] += 1
        raise RecordMissing("zoho", "Sales Order does not exist.", http_status=404, code=1002)


def test_an_order_for_a_sales_order_zoho_does_not_have_is_dead_lettered_on_its_first_receive_after_one_call() -> None:
    zoho, ledger, alerts, metrics = MissingZoho([]), MemoryLedger(), RecordingAlerts(), CountingMetrics()
    policy = outcome_policy(alerts, metrics)
    job = order_job(zoho, FakeShiprocket(), ledger, alerts, metrics)
    dead: list[tuple[str, str]] = []
    worker = QueueWorker(
        "OrderQueue",
        OrderMessage,
        lambda message: policy.run(job.attempt(message)),
        lambda rec, reason: dead.append((rec.message_id, reason)),
        policy,
        Logger(service="test"),
    )
    message = OrderMessage(salesorder_id=MISSING_ID, salesorder_number="SO-99999", source="webhook")

    assert worker(record(message.model_dump_json())) is None  # acknowledged: never received again

    assert zoho.calls == Counter({"get_salesorder": 1})  # no mark, no second round
    [(message_id, reason)] = dead
    assert message_id == "m-1"
    assert "sales order SO-99999 does not exist" in reason
    [page] = alerts.pages
    assert page["kind"] == "NamedRecordMissing"
    assert page["correlation_id"] == "SO-99999"
    assert "SO-99999" in page["subject"]
    assert "DLQ on its first receive" in page["message"]
    assert metrics.counts["NamedRecordMissing"] == 1
    # Closed in the ledger: the stuck-order sweep does not bring it back every 15 minutes.
    entry = ledger.get(MISSING_ID)
    assert entry is not None
    assert entry.state == JobState.MISSING
    assert ledger.open_jobs("9999-12-31T00:00:00") == []

    # Zoho re-sends the webhook (or a forged one comes again): acknowledged at once, no Zoho call, no second page.
    assert worker(record(message.model_dump_json())) is not None
    assert zoho.calls == Counter({"get_salesorder": 1})
    assert len(dead) == 1
    assert len(alerts.pages) == 1
