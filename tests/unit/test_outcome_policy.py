"""The one outcome policy (shipsync.policy.outcomes): the table, the give-up sequence, the schedules, and
the entry points that apply it: every SQS worker dead-letters a malformed message on its first receive,
the tracking poll asks for a new token after a 401, warm containers see edited courier rules."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from order_fakes import CountingMetrics, RecordingAlerts, RecordingRefreshes, outcome_policy

from shipsync.domain.india import IST
from shipsync.errors import (
    AllCouriersRefused,
    BusyElsewhere,
    DailyCapReached,
    InvalidOrder,
    MalformedMessage,
    NotServiceable,
    PermanentError,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
    TransientError,
    WalletTooLow,
)
from shipsync.policy.outcomes import MAX_HOLD_S, Action, Failure, QueueWorker, action_for, hold_seconds
from tests.fixtures.lambda_app import LambdaContext, load_app

EVENTS = Path(__file__).resolve().parents[2] / "events"


@pytest.mark.parametrize(
    ("error", "action"),
    [
        (MalformedMessage("OrderMessage", ["salesorder_id"]), Action.DEAD_LETTER),
        (TokenRejected("zoho", 3), Action.REFRESH_TOKEN_AND_RETRY),
        (DailyCapReached("zoho: code 45"), Action.WAIT_FOR_RESET),
        (WalletTooLow("shiprocket: 350"), Action.PAGE_AND_RETRY),
        (RateLimited("zoho: 44"), Action.RETRY),
        (BusyElsewhere("another worker"), Action.RETRY),
        (InvalidOrder("phone", "not 10 digits"), Action.GIVE_UP),
        (NotServiceable("no courier"), Action.GIVE_UP),
        (AllCouriersRefused([]), Action.GIVE_UP),
        (ProviderRequestError("shiprocket", "Oops", http_status=422), Action.GIVE_UP),
        (KeyError("a bug"), Action.RETRY),
    ],
)
def test_each_error_type_has_one_action(error: Exception, action: Action) -> None:
    assert action_for(error) is action


@dataclass
class Work:
    """An attempt that raises ``error`` and records what its give-up was asked to do."""

    error: Exception | None = None
    mark_error: Exception | None = None
    calls: list[str] = field(default_factory=list)

    @property
    def correlation_id(self) -> str:
        return "SO-01042"

    def run(self) -> str:
        self.calls.append("run")
        if self.error is not None:
            raise self.error
        return "done"

    def give_up(self, err: PermanentError) -> Failure[str]:
        def mark() -> None:
            self.calls.append("mark")
            if self.mark_error is not None:
                raise self.mark_error

        return Failure(
            outcome=f"gave up: {err}",
            metric="OrderFailed",
            subject="Shipping Failed: SO-01042",
            message=f"Reason: {err}.",
            correlation_id="SO-01042",
            mark=mark,
            record=lambda: self.calls.append("record"),
        )


class Rig:
    def __init__(self) -> None:
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.refreshes = RecordingRefreshes()
        self.policy = outcome_policy(self.alerts, self.metrics, self.refreshes)


def test_a_permanent_error_is_marked_then_recorded_then_paged_and_acknowledged() -> None:
    rig, work = Rig(), Work(ProviderRequestError("shiprocket", "pickup_location: invalid", http_status=422))
    assert rig.policy.run(work) == "gave up: shiprocket: pickup_location: invalid"
    assert work.calls == ["run", "mark", "record"]
    [page] = rig.alerts.pages
    assert (page["kind"], page["correlation_id"]) == ("OrderFailed", "SO-01042")
    assert "pickup_location: invalid" in page["message"]
    assert rig.metrics.counts["OrderFailed"] == 1


def test_a_mark_zoho_refuses_still_pages_and_says_the_mark_is_missing() -> None:
    rig = Rig()
    work = Work(InvalidOrder("phone", "not 10 digits"), mark_error=ProviderRequestError("zoho", "custom field"))
    rig.policy.run(work)
    assert work.calls == ["run", "mark", "record"]
    [page] = rig.alerts.pages
    assert "could not be marked in Zoho either: zoho: custom field" in page["message"]


def test_a_mark_that_fails_for_now_retries_the_whole_work_before_anything_is_recorded() -> None:
    rig = Rig()
    work = Work(InvalidOrder("phone", "not 10 digits"), mark_error=RateLimited("zoho: 44"))
    with pytest.raises(RateLimited):
        rig.policy.run(work)
    assert work.calls == ["run", "mark"]
    assert rig.alerts.pages == []


def test_a_rejected_token_asks_for_a_refresh_and_retries() -> None:
    rig = Rig()
    with pytest.raises(TokenRejected):
        rig.policy.run(Work(TokenRejected("shiprocket", 4)))
    assert rig.refreshes.requests == [("shiprocket", 4)]
    assert rig.alerts.pages == []


def test_a_wallet_too_low_pages_and_retries() -> None:
    rig = Rig()
    with pytest.raises(WalletTooLow):
        rig.policy.run(Work(WalletTooLow("350")))
    [page] = rig.alerts.pages
    assert (page["kind"], page["correlation_id"]) == ("ShiprocketWalletTooLow", "SO-01042")
    assert rig.metrics.counts["ShiprocketWalletTooLow"] == 1


def test_zoho_s_daily_cap_pages_once_a_day_however_many_messages_meet_it() -> None:
    rig = Rig()
    marks: set[str] = set()

    def mark_once(key: str) -> bool:
        new = key not in marks
        marks.add(key)
        return new

    rig.policy.mark_once = mark_once
    for _ in range(3):
        with pytest.raises(DailyCapReached):
            rig.policy.run(Work(DailyCapReached("zoho: code 45")))

    [page] = rig.alerts.pages
    assert page["kind"] == "ZohoDailyCapReached"
    assert "Zoho's daily cap is reached" in page["subject"]
    assert "waits in its queue until the reset" in page["message"]
    assert "SO-01042" in page["message"]
    assert rig.metrics.counts["ZohoDailyCapReached"] == 3  # each meeting still counts
    # The wallet is the seller's own account problem per order: it still pages each time.
    with pytest.raises(WalletTooLow):
        rig.policy.run(Work(WalletTooLow("350")))
    assert len(rig.alerts.pages) == 2


def test_a_bug_is_retried_without_a_give_up() -> None:
    rig, work = Rig(), Work(KeyError("salesorder"))
    with pytest.raises(KeyError):
        rig.policy.run(work)
    assert work.calls == ["run"]
    assert rig.alerts.pages == []


def test_a_schedule_that_meets_a_permanent_error_pages_and_ends() -> None:
    rig = Rig()

    def sweep() -> dict[str, Any]:
        raise ProviderRequestError("zoho", "organization_id: invalid")

    assert rig.policy.run_schedule("stuck-order sweep", sweep) == {"error": "zoho: organization_id: invalid"}
    [page] = rig.alerts.pages
    assert page["kind"] == "ScheduleFailed"
    assert "stuck-order sweep" in page["subject"]


# ------------------------------------------------------------------------------ the entry points


@pytest.fixture
def pages(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> RecordingAlerts:
    from shipsync import wiring

    alerts = RecordingAlerts()
    monkeypatch.setattr(wiring, "alerts", lambda: alerts)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    return alerts


def sqs_event(function: str, sample: str, body: str) -> dict[str, Any]:
    event = dict(json.loads((EVENTS / function / sample).read_text()))
    event["Records"] = [{**event["Records"][0], "body": body}]
    return event


@pytest.mark.parametrize(
    ("function", "sample", "dlq"),
    [
        ("order_confirmed", "sqs_batch.json", "ORDER_DLQ_URL"),
        ("shipment_status", "sqs_batch.json", "STATUS_DLQ_URL"),
        ("rto_restock", "sqs_rto.json", "RTO_DLQ_URL"),
        ("cod_remittance", "sqs_order.json", "REMITTANCE_DLQ_URL"),
        ("token_refresh", "sqs_refresh_request.json", "TOKEN_REFRESH_DLQ_URL"),
    ],
)
def test_every_worker_dead_letters_a_malformed_message_on_its_first_receive_with_a_page(
    pages: RecordingAlerts, function: str, sample: str, dlq: str
) -> None:
    body = json.dumps({"kind": "exchange", "awb": ""})
    event = sqs_event(function, sample, body)

    answer = load_app(function).lambda_handler(event, LambdaContext(f"shipsync-test-{function}"))

    assert answer == {"batchItemFailures": []}
    moved = boto3.client("sqs").receive_message(QueueUrl=os.environ[dlq], MessageAttributeNames=["All"])
    [message] = moved["Messages"]
    assert message["Body"] == body
    [page] = pages.pages
    assert page["kind"] == "MalformedMessage"
    assert event["Records"][0]["messageId"] in page["message"]


def test_a_401_during_the_tracking_poll_asks_token_refresh_for_a_new_token(
    pages: RecordingAlerts, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipsync.tracking import wiring as tracking

    class RejectingJob:
        def poll_quiet(self, quiet_for: timedelta, batch_size: int) -> dict[str, int]:
            raise TokenRejected("shiprocket", 5)

    monkeypatch.setattr(tracking, "status_job", lambda metrics: RejectingJob())
    event = json.loads((EVENTS / "shipment_status" / "schedule_poll.json").read_text())

    with pytest.raises(TokenRejected):
        load_app("shipment_status").lambda_handler(event, LambdaContext("shipsync-test-shipment-status"))

    received = boto3.client("sqs").receive_message(QueueUrl=os.environ["TOKEN_REFRESH_QUEUE_URL"])
    [request] = [json.loads(m["Body"]) for m in received["Messages"]]
    assert (request["provider"], request["seen_version"], request["reason"]) == ("shiprocket", 5, "rejected")


def test_edited_courier_rules_reach_a_warm_order_job_within_their_cache_age(
    aws_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools import Metrics
    from aws_lambda_powertools.utilities.parameters import base

    from shipsync.orders import wiring as orders

    rules = {"rules": [{"name": "first", "prefer": ["delhivery"]}]}
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/shipsync/test/courier-rules", Value=json.dumps(rules), Type="String")
    monkeypatch.setenv("COURIER_RULES_PARAMETER", "/shipsync/test/courier-rules")
    job = orders.order_job(Metrics(namespace="shipsync", service="test"))
    assert [rule.name for rule in job.rules().rules] == ["first"]

    edited = {"rules": [{"name": "edited", "prefer": ["ekart"]}]}
    ssm.put_parameter(Name="/shipsync/test/courier-rules", Value=json.dumps(edited), Type="String", Overwrite=True)
    assert [rule.name for rule in job.rules().rules] == ["first"], "cached for its max age"

    later = datetime.now() + timedelta(seconds=orders.COURIER_RULES_MAX_AGE_S + 1)

    class Later(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Later:  # type: ignore[override]
            return cls.fromtimestamp(later.timestamp(), tz)

    monkeypatch.setattr(base, "datetime", Later)
    assert [rule.name for rule in job.rules().rules] == ["edited"], "the same warm job reads the edit"


NOW = datetime(2026, 12, 7, 15, 0, tzinfo=IST).timestamp()  # 15:00 IST


@pytest.mark.parametrize(
    ("resets_at", "spread", "seconds"),
    [
        (NOW + 3600, 0.0, 3600),  # the reset Zoho's answer gave
        (NOW + 3600, 250.4, 3850),  # plus the spread
        (None, 0.0, 9 * 3600),  # no reset given: the next midnight in India
        (NOW - 5, 0.0, 9 * 3600),  # a reset already past is no reset
        (NOW + 20 * 3600, 0.0, MAX_HOLD_S),  # SQS holds a received message at most 12 hours
        (NOW + 1, 0.0, 60),  # never less than a minute
    ],
)
def test_work_that_met_the_daily_cap_waits_until_the_reset(
    resets_at: float | None, spread: float, seconds: int
) -> None:
    assert hold_seconds(resets_at, NOW, spread) == seconds


class HeldRecords:
    def __init__(self, fails: bool = False) -> None:
        self.held: list[tuple[str, int]] = []
        self.fails = fails

    def __call__(self, record: Any, seconds: int) -> None:
        if self.fails:
            raise RuntimeError("sqs down")
        self.held.append((record.message_id, seconds))


def cap_worker(rig: Rig, error: Exception, holds: HeldRecords) -> QueueWorker[Any]:
    from aws_lambda_powertools import Logger

    from shipsync.orders.messages import OrderMessage

    def handle(message: OrderMessage) -> object:
        return rig.policy.run(Work(error))

    return QueueWorker(
        "OrderQueue",
        OrderMessage,
        handle,
        dead_letter=lambda record, reason: None,
        policy=rig.policy,
        log=Logger(service="test"),
        hold=holds,
        clock=lambda: NOW,
        spread=lambda: 30.0,
    )


def order_record(receives: int = 1) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    event = json.loads((EVENTS / "order_confirmed" / "sqs_batch.json").read_text())
    raw = event["Records"][0]
    return SQSRecord({**raw, "attributes": {**raw["attributes"], "ApproximateReceiveCount": str(receives)}})


def test_a_message_that_meets_the_daily_cap_is_held_until_the_reset_and_still_reported_failed() -> None:
    rig, holds = Rig(), HeldRecords()
    worker = cap_worker(rig, DailyCapReached("zoho: code 45", resets_at=NOW + 7200), holds)
    record = order_record()

    with pytest.raises(DailyCapReached):
        worker(record)

    assert holds.held == [(record.message_id, 7230)]
    assert rig.metrics.counts["ZohoWorkHeld"] == 1
    assert rig.metrics.counts["ZohoDailyCapReached"] == 1


@pytest.mark.parametrize("error", [RateLimited("zoho: 44"), TransientError("zoho: HTTP 503")])
def test_other_retries_are_not_held(error: Exception) -> None:
    rig, holds = Rig(), HeldRecords()

    with pytest.raises(type(error)):
        cap_worker(rig, error, holds)(order_record())

    assert holds.held == []


def test_a_hold_that_fails_leaves_the_message_to_retry_as_any_failure() -> None:
    rig = Rig()
    worker = cap_worker(rig, DailyCapReached("zoho: code 45"), HeldRecords(fails=True))

    with pytest.raises(DailyCapReached):
        worker(order_record())

    assert "ZohoWorkHeld" not in rig.metrics.counts


def test_a_held_message_is_invisible_in_its_queue_until_the_hold_ends(aws_env: None) -> None:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from shipsync.adapters.queues import hold

    sqs = boto3.client("sqs")
    url = os.environ["ORDER_QUEUE_URL"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    [received] = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]

    hold(SQSRecord({"receiptHandle": received["ReceiptHandle"], "eventSourceARN": arn, "body": "{}"}), 3600)

    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "1"
