"""``shipsync dlq`` and ``shipsync replay`` (issue 15) on moto: a standard DLQ and a FIFO one, each the redrive
target of its work queue as template.yaml makes them, and the ledger table the last errors are read from."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.cfn_template import load_template
from shipsync.ops import dead_letters as queues
from shipsync_cli.app import CANNOT_RUN, OK, PROBLEMS, main
from shipsync_cli.targets import TargetError, stack_outputs

REGION = "ap-south-1"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
LEDGER = "shipsync-test-ledger"
PHONE = "+91 98450 67321"


@dataclass
class Stack:
    sqs: Any
    dynamodb: Any
    order_queue: str
    order_dlq: str
    status_queue: str
    status_dlq: str
    state_file: Path

    def depth(self, url: str) -> tuple[int, int]:
        return queues.depth(self.sqs, url)

    def cli(self, *args: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        code = main(["--local-stack", str(self.state_file), *args], out, err)
        return code, out.getvalue(), err.getvalue()


def _queue_pair(sqs: Any, name: str, *, fifo: bool, max_receives: int = 1) -> tuple[str, str]:
    suffix = ".fifo" if fifo else ""
    attributes = {"FifoQueue": "true"} if fifo else {}
    dlq = sqs.create_queue(QueueName=f"shipsync-test-{name}-dlq{suffix}", Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": max_receives})
    queue = sqs.create_queue(
        QueueName=f"shipsync-test-{name}{suffix}", Attributes=attributes | {"RedrivePolicy": redrive}
    )["QueueUrl"]
    return queue, dlq


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Stack]:
    """The queues and ledger in moto, and a ``.local-stack.json`` naming them as a local stack's does."""
    for name, value in {
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs", region_name=REGION)
        dynamodb = boto3.client("dynamodb", region_name=REGION)
        dynamodb.create_table(
            TableName=LEDGER,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        order_queue, order_dlq = _queue_pair(sqs, "order", fifo=False)
        status_queue, status_dlq = _queue_pair(sqs, "status", fifo=True)
        environment = {
            "ORDER_QUEUE_URL": order_queue,
            "ORDER_DLQ_URL": order_dlq,
            "STATUS_QUEUE_URL": status_queue,
            "STATUS_DLQ_URL": status_dlq,
            "LEDGER_TABLE": LEDGER,
            "AWS_DEFAULT_REGION": REGION,
        }
        # main() takes the stack's environment into os.environ: set here first, monkeypatch puts it all back.
        for name, value in environment.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("POWERTOOLS_LOG_LEVEL", "WARNING")
        state_file = tmp_path / "local-stack.json"
        state_file.write_text(json.dumps({"environment": environment}), encoding="utf-8")
        yield Stack(sqs, dynamodb, order_queue, order_dlq, status_queue, status_dlq, state_file)


def order_job(number: int) -> dict[str, Any]:
    return {
        "salesorder_id": f"19475830000001{number:05d}",
        "salesorder_number": f"SO-{number:05d}",
        "source": "webhook",
        "intent": "ship",
    }


def status_event(awb: str, status_id: int) -> dict[str, Any]:
    return {"awb": awb, "order_id": "SO-00007", "shipment_status_id": status_id, "shipment_status": "In Transit"}


def body_hash(body: dict[str, Any]) -> str:
    """A FIFO message's deduplication id as the workers make it (shipsync.adapters.queues.send)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def dead_letter(stack: Stack, queue: str, body: dict[str, Any], *, group: str | None = None) -> str:
    """``body`` through its work queue into the DLQ, as SQS does it: received past maxReceiveCount."""
    extra = {"MessageGroupId": group, "MessageDeduplicationId": body_hash(body)} if group else {}
    message_id = str(stack.sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(body), **extra)["MessageId"])
    for _ in range(2):  # the first receive is the one allowed; the second moves it
        for message in stack.sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0).get("Messages", []):
            assert message["MessageId"] == message_id
    return message_id


def received(stack: Stack, url: str) -> list[dict[str, Any]]:
    """Every message of a queue, read and deleted (a work queue at the end of a test)."""
    found: list[dict[str, Any]] = []
    while page := stack.sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"], MessageAttributeNames=["All"]
    ).get("Messages", []):
        found += page
        for message in page:
            stack.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found


# --------------------------------------------------------------------------------------------- finding them


def _dead_letter_targets(resources: dict[str, Any]) -> set[str]:
    """The logical ids of the queues some queue's redrive policy names."""
    return {
        resource["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for resource in resources.values()
        if resource["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in resource.get("Properties", {})
    }


def _refs(value: Any) -> str | None:
    return value.get("Ref") if isinstance(value, dict) else None


def test_the_template_names_every_dlq_as_a_stack_output_and_in_a_functions_environment() -> None:
    # The two places the commands look (shipsync.ops.dead_letters): a new DLQ missing from either would go unlisted.
    template = load_template(TEMPLATE)
    resources = template["Resources"]
    dead_letter_targets = _dead_letter_targets(resources)
    outputs = {key: _refs(output["Value"]) or "" for key, output in template["Outputs"].items()}
    variables: dict[str, str] = {}
    for block in [template["Globals"]["Function"], *(r["Properties"] for r in resources.values())]:
        for name, value in block.get("Environment", {}).get("Variables", {}).items():
            if _refs(value):
                variables[name] = str(_refs(value))

    # Passing the logical id as the "URL": each found name must be the resource it points at.
    from_outputs = queues.from_outputs(outputs)
    from_environment = queues.from_environment(variables)

    assert {queue.name for queue in from_outputs} == dead_letter_targets
    assert {queue.name for queue in from_environment} == dead_letter_targets
    assert all(queue.name == queue.url for queue in [*from_outputs, *from_environment])
    assert len(dead_letter_targets) == 5


def test_the_order_function_names_every_dlq_by_its_logical_name_for_the_admin_read() -> None:
    # GET /admin/dlq and the digest read DLQ_URLS_JSON: {"OrderDLQ": "${OrderDLQ}", ...}, one entry per DLQ.
    template = load_template(TEMPLATE)
    resources = template["Resources"]
    dead_letter_targets = _dead_letter_targets(resources)
    variables = resources["OrderConfirmedFunction"]["Properties"]["Environment"]["Variables"]
    named = json.loads(variables["DLQ_URLS_JSON"]["Fn::Sub"])

    found = queues.from_names(named)

    assert {queue.name for queue in found} == dead_letter_targets
    assert all(queue.url == "${" + queue.name + "}" for queue in found)


def test_a_deployed_stacks_outputs_are_read_by_key() -> None:
    class FakeCloudFormation:
        def describe_stacks(self, **kwargs: Any) -> dict[str, Any]:
            assert kwargs == {"StackName": "shipsync-prod"}
            outputs = [
                {"OutputKey": "OrderDLQUrl", "OutputValue": "https://sqs/1/shipsync-prod-order-dlq"},
                {"OutputKey": "OrderQueueUrl", "OutputValue": "https://sqs/1/shipsync-prod-order"},
            ]
            return {"Stacks": [{"Outputs": outputs}]}

    found = queues.from_outputs(stack_outputs("shipsync-prod", FakeCloudFormation()))

    assert found == [queues.DeadLetterQueue("OrderDLQ", "https://sqs/1/shipsync-prod-order-dlq")]


def test_a_stack_whose_outputs_cannot_be_read_is_named() -> None:
    class Refusing:
        def describe_stacks(self, **kwargs: Any) -> dict[str, Any]:
            raise RuntimeError("Stack with id shipsync-dev does not exist")

    with pytest.raises(TargetError, match="stack shipsync-dev: Stack with id shipsync-dev does not exist"):
        stack_outputs("shipsync-dev", Refusing())


# ----------------------------------------------------------------------------------------------------- dlq


def test_a_look_lists_every_message_past_a_page_and_leaves_them_all_visible(stack: Stack) -> None:
    ids = {dead_letter(stack, stack.order_queue, order_job(n)) for n in range(1, 24)}
    dlq = queues.DeadLetterQueue("OrderDLQ", stack.order_dlq)

    first = queues.look(stack.sqs, dlq)
    second = queues.look(stack.sqs, dlq)

    assert {letter.message_id for letter in first.letters} == ids
    assert {letter.message_id for letter in second.letters} == ids
    assert (first.depth, first.capped, first.unlisted) == (23, False, 0)
    # Released at once, not held for the look's hold: nothing in flight, all visible.
    assert stack.depth(stack.order_dlq) == (23, 0)
    assert stack.depth(stack.order_queue) == (0, 0)


def test_a_look_stops_at_its_cap_and_says_so(stack: Stack) -> None:
    for n in range(1, 13):
        dead_letter(stack, stack.order_queue, order_job(n))

    listing = queues.look(stack.sqs, queues.DeadLetterQueue("OrderDLQ", stack.order_dlq), limit=5)

    assert (len(listing.letters), listing.depth, listing.capped, listing.unlisted) == (5, 12, True, 7)
    assert stack.depth(stack.order_dlq) == (12, 0)


def test_dlq_names_what_each_message_concerns_with_the_ledgers_reason(stack: Stack) -> None:
    failed = order_job(1)
    stack.dynamodb.put_item(
        TableName=LEDGER,
        Item={
            "pk": {"S": f"SO#{failed['salesorder_id']}"},
            "state": {"S": "failed"},
            "failure_reason": {"S": f"Shiprocket refused: billing_phone {PHONE} is not valid"},
        },
    )
    failed_id = dead_letter(stack, stack.order_queue, failed)
    unknown_id = dead_letter(stack, stack.order_queue, order_job(2))
    event_id = dead_letter(stack, stack.status_queue, status_event("19041424751540", 18), group="19041424751540")

    code, out, _ = stack.cli("dlq", "--json")

    assert code == PROBLEMS
    document = json.loads(out)
    assert document["ok"] is False
    assert document["ledger"] == "read"
    by_queue = {queue["queue"]: queue for queue in document["queues"]}
    assert {name: queue["depth"] for name, queue in by_queue.items()} == {"OrderDLQ": 2, "StatusDLQ": 1}
    letters = {letter["message_id"]: letter for letter in by_queue["OrderDLQ"]["messages"]}
    assert letters[failed_id]["concerns"] == {
        "salesorder_number": "SO-00001",
        "salesorder_id": failed["salesorder_id"],
    }
    assert letters[failed_id]["job"] == "ship webhook"
    assert letters[failed_id]["last_error"] == "Shiprocket refused: billing_phone ***21 is not valid"
    assert letters[failed_id]["ledger_state"] == "failed"
    assert letters[failed_id]["receive_count"] >= 2  # the work queue's receives, then this look
    assert letters[failed_id]["sent_at"].endswith("+00:00")
    assert (letters[unknown_id]["last_error"], letters[unknown_id]["ledger_state"]) == (None, None)
    [event] = by_queue["StatusDLQ"]["messages"]
    assert (event["message_id"], event["group"]) == (event_id, "19041424751540")
    assert event["concerns"] == {"awb": "19041424751540", "order_id": "SO-00007"}
    assert event["job"] == "status In Transit"
    assert "98450" not in out

    code, text, _ = stack.cli("dlq")

    assert code == PROBLEMS
    assert "OrderDLQ (standard): 2 message(s)" in text
    assert "StatusDLQ (FIFO): 1 message(s)" in text
    assert "SO-00001: ship webhook" in text
    assert "AWB 19041424751540, order SO-00007: status In Transit" in text
    assert "ledger: failed" in text
    assert "98450" not in text


def _bodies() -> list[tuple[Any, dict[str, str], str]]:
    """A message of every queue, built by its own model, with what a listing must name of it."""
    from shipsync.orders.messages import OrderMessage
    from shipsync.remittance.batches import RemittanceLine
    from shipsync.remittance.messages import LineMessage, WalletRowsMessage
    from shipsync.returns.messages import RestockMessage
    from shipsync.tokens.messages import RefreshRequest

    day = date(2025, 1, 20)
    return [
        (
            OrderMessage(salesorder_id="1947583000000100007", salesorder_number="SO-00007", source="sweep"),
            {"salesorder_number": "SO-00007", "salesorder_id": "1947583000000100007"},
            "ship sweep",
        ),
        (
            RestockMessage(kind="rto", awb="19041424751540", salesorder_id="1947583000000100007"),
            {"salesorder_id": "1947583000000100007", "awb": "19041424751540"},
            "rto",
        ),
        (
            LineMessage(
                remittance_id="CODR-2025-118",
                remittance_date=day,
                line=RemittanceLine(awb="19041424751540", order_id="SO-00007", cod_amount=134176),
            ),
            {"remittance_id": "CODR-2025-118", "awb": "19041424751540", "order_id": "SO-00007"},
            "remittance line",
        ),
        (
            WalletRowsMessage(received_on=day, rows=[{"transaction_id": "T-1"}, {"transaction_id": "T-9"}]),
            {"transactions": "T-1..T-9"},
            "wallet rows",
        ),
        (RefreshRequest(provider="zoho", reason="401 from Zoho"), {"provider": "zoho"}, "token refresh"),
    ]


def test_each_queues_message_names_its_identifiers_and_its_job() -> None:
    for model, concerns, job in _bodies():
        body = json.dumps(model.model_dump(mode="json"), sort_keys=True)
        message = {"MessageId": "m-1", "Body": body, "Attributes": {"ApproximateReceiveCount": "3"}}

        letter = queues.read_message(message)

        assert (letter.concerns, letter.job, letter.receive_count) == (concerns, job, 3), type(model).__name__


def test_a_body_that_is_not_json_is_listed_by_its_id_alone() -> None:
    letter = queues.read_message({"MessageId": "m-2", "Body": "SO-00001 phone 9845067321", "Attributes": {}})

    assert (letter.concerns, letter.job, letter.sent_at) == ({}, "unreadable body", None)


def test_dlq_of_empty_queues_is_clean(stack: Stack) -> None:
    code, out, _ = stack.cli("dlq")

    assert code == OK
    assert out.splitlines() == ["OrderDLQ: empty", "StatusDLQ: empty", "No dead letters."]


def test_a_body_holding_a_buyers_phone_never_prints_it(stack: Stack) -> None:
    # What no model could read (a whole Zoho webhook), moved by the worker with its rejection reason, which
    # quotes the input as pydantic does.
    webhook = {
        "salesorder": {
            "salesorder_id": "1947583000000100042",
            "salesorder_number": "SO-00042",
            "shipping_address": {"attention": "Ananya Iyer", "phone": PHONE},
            "billing_address": {"phone": "9845067321"},
            "contact_person_details": [{"mobile": "09845067321", "email": "ananya@example.in"}],
        }
    }
    reason = (
        f"1 validation error for OrderMessage\nsource\n  Field required [type=missing, input_value={webhook!r}, "
        "input_type=dict]\n    For further information visit https://errors.pydantic.dev/2.13/v/missing"
    )
    stack.sqs.send_message(
        QueueUrl=stack.order_dlq,
        MessageBody=json.dumps(webhook),
        MessageAttributes={"shipsync_rejected": {"DataType": "String", "StringValue": reason}},
    )

    outputs = [stack.cli("dlq"), stack.cli("dlq", "--json"), stack.cli("replay", "OrderDLQ", "--all")]

    for code, out, err in outputs:
        assert code == PROBLEMS
        assert "SO-00042" in out
        for shown in (out, err):
            assert "98450" not in shown
            assert "67321" not in shown
            assert "Ananya" not in shown
            assert "example.in" not in shown
    [letter] = json.loads(outputs[1][1])["queues"][0]["messages"]
    assert letter["concerns"] == {"salesorder_number": "SO-00042", "salesorder_id": "1947583000000100042"}
    assert letter["last_error"].startswith(
        "1 validation error for OrderMessage source Field required [type=missing, input_value=…]"
    )


# -------------------------------------------------------------------------------------------------- replay


def test_replay_without_yes_says_what_it_would_send_and_changes_nothing(stack: Stack) -> None:
    ids = [dead_letter(stack, stack.order_queue, order_job(n)) for n in (1, 2)]

    code, out, _ = stack.cli("replay", "OrderDLQ", "--all")

    assert code == PROBLEMS
    assert "OrderDLQ -> shipsync-test-order (standard): would send back 2 message(s):" in out
    assert all(message_id in out for message_id in ids)
    assert "Nothing changed: add --yes to send them back." in out
    assert stack.depth(stack.order_dlq) == (2, 0)
    assert stack.depth(stack.order_queue) == (0, 0)


def test_replay_yes_sends_a_standard_dlq_back_once_and_a_second_replay_sends_nothing(stack: Stack) -> None:
    bodies = [order_job(n) for n in (1, 2, 3)]
    ids = [dead_letter(stack, stack.order_queue, body) for body in bodies]

    code, out, _ = stack.cli("replay", "OrderDLQ", "--all", "--yes", "--json")

    assert code == OK
    result = json.loads(out)
    assert (result["applied"], result["ok"], result["source"]) == (True, True, "shipsync-test-order")
    assert sorted(sent["message_id"] for sent in result["sent"]) == sorted(ids)
    assert stack.depth(stack.order_dlq) == (0, 0)

    code, again, _ = stack.cli("replay", "OrderDLQ", "--all", "--yes")

    assert code == OK
    assert again.strip() == "OrderDLQ -> shipsync-test-order (standard): nothing to send back."
    back = received(stack, stack.order_queue)
    assert sorted(json.loads(message["Body"])["salesorder_number"] for message in back) == [
        "SO-00001",
        "SO-00002",
        "SO-00003",
    ]
    assert {message["MessageId"] for message in back} == {sent["new_message_id"] for sent in result["sent"]}


def test_replay_keeps_a_messages_attributes(stack: Stack) -> None:
    stack.sqs.send_message(
        QueueUrl=stack.order_dlq,
        MessageBody=json.dumps(order_job(5)),
        MessageAttributes={"shipsync_rejected": {"DataType": "String", "StringValue": "sales order gone"}},
    )

    assert stack.cli("replay", "OrderDLQ", "--all", "--yes")[0] == OK

    [back] = received(stack, stack.order_queue)
    assert back["MessageAttributes"]["shipsync_rejected"]["StringValue"] == "sales order gone"


def test_replay_of_a_fifo_dlq_keeps_each_group_and_its_order_with_a_new_deduplication_id(stack: Stack) -> None:
    first = status_event("AWB-A", 6)
    second = status_event("AWB-A", 18)
    other = status_event("AWB-B", 6)
    for body in (first, second, other):
        dead_letter(stack, stack.status_queue, body, group=body["awb"])
    assert stack.depth(stack.status_dlq) == (3, 0)

    code, out, _ = stack.cli("replay", "StatusDLQ", "--all", "--yes")

    assert code == OK
    assert "StatusDLQ -> shipsync-test-status.fifo (FIFO): sent back 3 message(s):" in out
    assert stack.depth(stack.status_dlq) == (0, 0)
    back = received(stack, stack.status_queue)
    by_group: dict[str, list[int]] = {}
    for message in back:
        body = json.loads(message["Body"])
        assert message["Attributes"]["MessageGroupId"] == body["awb"]
        # The original's id (its body) may still be in the queue's five-minute window, where SQS would drop it.
        assert message["Attributes"]["MessageDeduplicationId"] != body_hash(body)
        by_group.setdefault(body["awb"], []).append(body["shipment_status_id"])
    assert by_group == {"AWB-A": [6, 18], "AWB-B": [6]}
    assert stack.cli("replay", "StatusDLQ", "--all", "--yes")[1].strip().endswith("nothing to send back.")


def test_replay_of_an_id_sends_only_that_message(stack: Stack) -> None:
    ids = [dead_letter(stack, stack.order_queue, order_job(n)) for n in (1, 2, 3)]

    code, out, _ = stack.cli("replay", "orderdlq", "--id", ids[1], "--yes")

    assert code == OK
    assert f"{ids[1]} -> " in out
    [back] = received(stack, stack.order_queue)
    assert json.loads(back["Body"])["salesorder_number"] == "SO-00002"
    # The others stay, visible again at once.
    assert stack.depth(stack.order_dlq) == (2, 0)
    assert {
        letter.message_id for letter in queues.look(stack.sqs, queues.DeadLetterQueue("x", stack.order_dlq)).letters
    } == {
        ids[0],
        ids[2],
    }


def test_replay_of_an_id_the_dlq_does_not_hold_says_so(stack: Stack) -> None:
    dead_letter(stack, stack.order_queue, order_job(1))

    code, out, _ = stack.cli("replay", "OrderDLQ", "--id", "no-such-message", "--yes")

    assert code == PROBLEMS
    assert "not found in OrderDLQ: no-such-message" in out
    assert stack.depth(stack.order_dlq) == (1, 0)
    assert stack.depth(stack.order_queue) == (0, 0)


def test_replay_of_an_unknown_queue_or_one_without_a_source_cannot_run(stack: Stack) -> None:
    code, _, err = stack.cli("replay", "OrdersDLQ", "--all", "--yes")

    assert code == CANNOT_RUN
    assert "no DLQ named OrdersDLQ in this stack (its DLQs: OrderDLQ, StatusDLQ)" in err

    dead_letter(stack, stack.order_queue, order_job(1))
    stack.sqs.delete_queue(QueueUrl=stack.order_queue)

    code, _, err = stack.cli("replay", "OrderDLQ", "--all", "--yes")

    assert code == CANNOT_RUN
    assert "OrderDLQ is the DLQ of 0 queues" in err
    assert stack.depth(stack.order_dlq) == (1, 0)


def test_a_send_that_fails_keeps_the_message_and_those_after_it_in_its_group(stack: Stack) -> None:
    for body in (status_event("AWB-A", 6), status_event("AWB-A", 18), status_event("AWB-B", 6)):
        dead_letter(stack, stack.status_queue, body, group=body["awb"])
    real_send = stack.sqs.send_message
    sends: list[str] = []

    class FlakySqs:
        """The stack's SQS, refusing the first send of AWB-A's group."""

        def __getattr__(self, name: str) -> Any:
            return getattr(stack.sqs, name)

        def send_message(self, **kwargs: Any) -> dict[str, Any]:
            sends.append(kwargs["MessageGroupId"])
            if sends.count("AWB-A") == 1 and kwargs["MessageGroupId"] == "AWB-A":
                raise RuntimeError("throttled")
            return dict(real_send(**kwargs))

    result = queues.replay(FlakySqs(), queues.DeadLetterQueue("StatusDLQ", stack.status_dlq), ids=None, apply=True)

    assert [sent.letter.group for sent in result.sent] == ["AWB-B"]
    assert [(letter.group, error) for letter, error in result.failed] == [
        ("AWB-A", "RuntimeError: throttled"),
        ("AWB-A", "kept: an earlier message of its group was not sent"),
    ]
    assert sends == ["AWB-A", "AWB-B"]  # the second of AWB-A is never sent ahead of the first
    assert not result.ok
    assert stack.depth(stack.status_dlq) == (2, 0)


def test_scrub_masks_phone_numbers_and_tokens_but_keeps_zoho_ids() -> None:
    text = (
        "phone +91 98450 12345, 9845012345, (0)98450-12345, +1 (415) 555-0134; sales order 1947583000000100001; "
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl; buyer ananya.iyer@example.in"
    )

    scrubbed = queues.scrub(text)

    assert "98450" not in scrubbed
    assert "555-0134" not in scrubbed
    assert "eyJ" not in scrubbed
    assert "ananya" not in scrubbed
    assert "1947583000000100001" in scrubbed
    assert scrubbed.startswith("phone ***45, ***45, (***45, ***34; sales order")


class MoveTaskSqs:
    """moto's SQS with the message move task moto lacks, doing what SQS documents: every message of the source
    queue to the destination, the task RUNNING for its first ``running`` listings and ``ends`` after."""

    def __init__(self, sqs: Any, *, ends: str = "COMPLETED", running: int = 1) -> None:
        self._sqs = sqs
        self.ends = ends
        self.running = running
        self.started: list[dict[str, Any]] = []
        self.listed = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sqs, name)

    def _url(self, arn: str) -> str:
        return str(self._sqs.get_queue_url(QueueName=arn.rsplit(":", 1)[-1])["QueueUrl"])

    def start_message_move_task(self, **kwargs: Any) -> dict[str, Any]:
        self.started.append(kwargs)
        source, destination = self._url(kwargs["SourceArn"]), self._url(kwargs["DestinationArn"])
        self.moved = 0
        while messages := self._sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                self._sqs.send_message(QueueUrl=destination, MessageBody=message["Body"])
                self._sqs.delete_message(QueueUrl=source, ReceiptHandle=message["ReceiptHandle"])
                self.moved += 1
        return {"TaskHandle": "task-1"}

    def list_message_move_tasks(self, **kwargs: Any) -> dict[str, Any]:
        assert kwargs["MaxResults"] == 1
        self.listed += 1
        status = "RUNNING" if self.listed <= self.running else self.ends
        task = {"Status": status, "ApproximateNumberOfMessagesMoved": self.moved, "SourceArn": kwargs["SourceArn"]}
        if status == "FAILED":
            task["FailureReason"] = f"AccessDenied for {PHONE}"
        return {"Results": [task]}


def test_a_deployed_standard_dlq_is_moved_by_sqss_move_task_and_waited_for(stack: Stack) -> None:
    for number in (1, 2):
        dead_letter(stack, stack.order_queue, order_job(number))
    dlq = queues.DeadLetterQueue("OrderDLQ", stack.order_dlq)
    sqs, naps = MoveTaskSqs(stack.sqs), []

    result = queues.move_back(sqs, dlq, sleep=naps.append)

    assert (result.method, result.task_handle, result.moved, result.ok) == ("move_task", "task-1", 2, True)
    assert naps == [queues.MOVE_TASK_POLL_S]  # listed RUNNING once, then COMPLETED
    arn = stack.sqs.get_queue_attributes(QueueUrl=stack.order_queue, AttributeNames=["QueueArn"])["Attributes"]
    assert sqs.started[0]["DestinationArn"] == arn["QueueArn"]
    assert sqs.started[0]["SourceArn"].endswith(":shipsync-test-order-dlq")
    assert stack.depth(stack.order_dlq) == (0, 0)
    assert sorted(json.loads(m["Body"])["salesorder_number"] for m in received(stack, stack.order_queue)) == [
        "SO-00001",
        "SO-00002",
    ]

    # replay --all --yes of a deployed standard DLQ takes this path; a second one moves nothing.
    again = queues.replay(MoveTaskSqs(stack.sqs, running=0), dlq, ids=None, apply=True, move_task=True)

    assert (again.method, again.moved, again.ok, again.sent) == ("move_task", 0, True, [])


def test_a_failed_move_task_is_said_without_the_phone_its_reason_quotes(stack: Stack) -> None:
    dead_letter(stack, stack.order_queue, order_job(1))
    naps: list[float] = []

    result = queues.move_back(
        MoveTaskSqs(stack.sqs, ends="FAILED"), queues.DeadLetterQueue("OrderDLQ", stack.order_dlq), sleep=naps.append
    )

    assert not result.ok
    assert result.stopped is not None
    assert result.stopped.startswith("the move task ended FAILED: AccessDenied for ***21")
    assert naps == [queues.MOVE_TASK_POLL_S]


def test_a_fifo_dlq_or_chosen_messages_are_resent_even_where_a_move_task_was_asked(stack: Stack) -> None:
    event = status_event("19041234560007", 6)
    dead_letter(stack, stack.status_queue, event, group="19041234560007")
    order_id = dead_letter(stack, stack.order_queue, order_job(1))
    sqs = MoveTaskSqs(stack.sqs)

    fifo = queues.replay(
        sqs, queues.DeadLetterQueue("StatusDLQ", stack.status_dlq), ids=None, apply=True, move_task=True
    )
    chosen = queues.replay(
        sqs, queues.DeadLetterQueue("OrderDLQ", stack.order_dlq), ids=[order_id], apply=True, move_task=True
    )

    assert (fifo.method, len(fifo.sent), chosen.method, len(chosen.sent)) == ("resend", 1, "resend", 1)
    assert sqs.started == []
