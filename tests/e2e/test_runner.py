"""The local runner against tests/fixtures/mini_template.yaml (echo and worker handlers), then
the whole local stack's contract (template.yaml + simulators) through the ``fresh`` fixture.

The mini tests are independent of template.yaml: a module-scoped runner on the process's moto
server, beside the session's ``stack``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from local.aws import MotoServer, StackResources, client
from local.cfn_template import TemplateError, load_template
from local.runner import Runner
from local.sim import shiprocket as shiprocket_sim
from local.sim import zoho as zoho_sim
from local.stack import LocalStack

pytestmark = pytest.mark.e2e

MINI = Path(__file__).resolve().parent.parent / "fixtures" / "mini_template.yaml"


@pytest.fixture(scope="module")
def mini() -> Iterator[Runner]:
    MotoServer.acquire()
    runner = Runner(MINI, api_port=0, stack_name="mini", alerts_inbox="mini-alerts-inbox", admin_token="admin-tok")
    try:
        with runner:
            yield runner
    finally:
        MotoServer.release()


@pytest.fixture
def worker_seen(mini: Runner) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = mini.modules["WorkerFunction"].SEEN
    mini.wait_idle(15)
    seen.clear()
    return seen


def _echo(response: requests.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _receive_all(queue_url: str) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = (
        client("sqs").receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
    )
    return messages


# -- API --------------------------------------------------------------------------------------


def test_api_event_has_the_api_gateway_rest_proxy_shape(mini: Runner) -> None:
    response = requests.post(
        f"{mini.api_url}/hooks/echo?a=1&a=2&b=x",
        data=b'{"hello": "world"}',
        headers={"X-Test": "yes", "Content-Type": "application/json"},
        timeout=5,
    )
    body = _echo(response)
    assert response.headers["X-Handler"] == "echo"
    event = body["event"]
    assert event["resource"] == "/hooks/echo"
    assert event["path"] == "/hooks/echo"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Test"] == "yes"
    assert event["multiValueHeaders"]["X-Test"] == ["yes"]
    assert event["queryStringParameters"] == {"a": "2", "b": "x"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["body"] == '{"hello": "world"}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "test"
    assert context["resourcePath"] == "/hooks/echo"
    assert context["httpMethod"] == "POST"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert abs(context["requestTimeEpoch"] / 1000 - time.time()) < 60
    uuid.UUID(context["requestId"])


def test_handler_sees_resolved_environment_layer_and_lambda_context(mini: Runner) -> None:
    body = _echo(requests.post(f"{mini.api_url}/hooks/echo", data=b"{}", timeout=5))
    env = body["env"]
    assert env["MINI_STAGE"] == "test"
    assert env["MINI_TABLE"] == "mini-MiniTable"
    assert env["MINI_LOCATION"] == "ap-south-1/mini/123456789012"
    assert env["MINI_MODE"] == "sandbox"  # !If on a false condition
    assert env["MINI_WORK_QUEUE_URL"].endswith("/123456789012/mini-WorkQueue")
    assert env["MINI_WORK_QUEUE_NAME"] == "mini-WorkQueue"
    assert env["MINI_TOPIC_ARN"] == "arn:aws:sns:ap-south-1:123456789012:mini-Alerts"
    assert env["MINI_SECRET_ARN"].startswith(
        "arn:aws:secretsmanager:ap-south-1:123456789012:secret:mini/GeneratedSecret"
    )
    assert env["MINI_SETTING"] == "CFN-Setting-mini"
    assert env["MINI_JOINED"] == "a:test:arn:aws:sqs:ap-south-1:123456789012:mini-WorkDLQ"
    assert body["service_name_set"] is False  # per-function value: the code passes it explicitly
    assert body["greeting"] == "hello from the mini layer"
    context = body["context"]
    assert context["function_name"] == "mini-EchoFunction"
    assert context["memory_limit_in_mb"] == 256
    assert context["invoked_function_arn"] == "arn:aws:lambda:ap-south-1:123456789012:function:mini-EchoFunction"
    assert 0 < context["remaining_ms"] <= 10_000


def test_path_parameters_binary_bodies_and_multi_value_response_headers(mini: Runner) -> None:
    event = _echo(requests.get(f"{mini.api_url}/items/abc%20d", timeout=5))["event"]
    assert event["resource"] == "/items/{item_id}"
    assert event["pathParameters"] == {"item_id": "abc d"}
    assert event["body"] is None

    binary = _echo(requests.post(f"{mini.api_url}/hooks/echo", data=b"\xff\xfe\x00", timeout=5))["event"]
    assert binary["isBase64Encoded"] is True
    assert binary["body"] == "//4A"

    raw = requests.get(f"{mini.api_url}/items/raw", timeout=5)
    assert raw.status_code == 201
    assert raw.content == b"\x00\x01raw"
    assert raw.headers["Content-Type"] == "application/octet-stream"
    assert raw.headers["X-Echo"] == "one, two"  # two header lines, folded by the client


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("GET", "/hooks/echo"), ("DELETE", "/items/1")])
def test_unknown_route_or_method_is_api_gateways_403(mini: Runner, method: str, path: str) -> None:
    response = requests.request(method, f"{mini.api_url}{path}", timeout=5)
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_iam_route_needs_the_admin_bearer_token(mini: Runner) -> None:
    url = f"{mini.api_url}/admin/echo"
    missing = requests.post(url, data=b"{}", timeout=5)
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}
    wrong = requests.post(url, data=b"{}", headers={"Authorization": "Bearer nope"}, timeout=5)
    assert wrong.status_code == 403
    allowed = requests.post(url, data=b"{}", headers={"Authorization": "Bearer admin-tok"}, timeout=5)
    assert _echo(allowed)["event"]["resource"] == "/admin/echo"


def test_handler_exception_and_malformed_response_are_502(mini: Runner) -> None:
    errors_before = mini.metrics.snapshot()["errors"].get("EchoFunction", 0)
    for body in (b"boom", b"malformed"):
        response = requests.post(f"{mini.api_url}/hooks/echo", data=body, timeout=5)
        assert response.status_code == 502
        assert response.json() == {"message": "Internal server error"}
    snapshot = mini.metrics.snapshot()
    assert snapshot["errors"]["EchoFunction"] == errors_before + 1  # only the raise is a function error
    assert snapshot["api_status"][502] >= 2
    assert snapshot["api_latency_ms"]["POST /hooks/echo"]


# -- SQS --------------------------------------------------------------------------------------


def test_partial_batch_failure_deletes_successes_and_redrives_the_failure(
    mini: Runner, worker_seen: list[dict[str, Any]]
) -> None:
    sqs = client("sqs")
    run = uuid.uuid4().hex[:8]
    queue = mini.resources.queue_url("WorkQueue")
    for index in range(4):
        sqs.send_message(
            QueueUrl=queue,
            MessageBody=json.dumps({"id": f"{run}-{index}", "fail": index == 2}),
            MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}},
        )
    mini.wait_idle(20)

    assert mini.queue_depth(queue) == 0
    dead = _receive_all(mini.resources.queue_url("WorkDLQ"))
    assert [json.loads(m["Body"])["id"] for m in dead] == [f"{run}-2"]
    for message in dead:
        sqs.delete_message(QueueUrl=mini.resources.queue_url("WorkDLQ"), ReceiptHandle=message["ReceiptHandle"])

    by_id: dict[str, list[dict[str, Any]]] = {}
    for seen in worker_seen:
        by_id.setdefault(seen["body"]["id"], []).append(seen["record"])
    assert {key: len(records) for key, records in by_id.items()} == {
        f"{run}-0": 1,
        f"{run}-1": 1,
        f"{run}-2": 2,  # maxReceiveCount (the MaxReceives parameter), then moto moves it to the DLQ
        f"{run}-3": 1,
    }
    assert [r["attributes"]["ApproximateReceiveCount"] for r in by_id[f"{run}-2"]] == ["1", "2"]
    record = by_id[f"{run}-0"][0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == "arn:aws:sqs:ap-south-1:123456789012:mini-WorkQueue"
    assert record["awsRegion"] == "ap-south-1"
    assert record["md5OfBody"]
    assert record["messageAttributes"]["kind"]["stringValue"] == "test"
    assert record["messageAttributes"]["kind"]["dataType"] == "String"
    assert all(seen["batch_size"] <= 5 for seen in worker_seen)

    table = client("dynamodb")
    done = {f"{run}-{i}" for i in (0, 1, 3)}
    for key in done:
        assert table.get_item(TableName="mini-MiniTable", Key={"pk": {"S": key}})["Item"]["status"] == {"S": "done"}
    assert "Item" not in table.get_item(TableName="mini-MiniTable", Key={"pk": {"S": f"{run}-2"}})


def test_handler_exception_retries_the_whole_batch(mini: Runner, worker_seen: list[dict[str, Any]]) -> None:
    errors_before = mini.metrics.snapshot()["errors"].get("WorkerFunction", 0)
    queue = mini.resources.queue_url("WorkQueue")
    client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"id": "explodes", "raise": True}))
    mini.wait_idle(20)
    dlq = mini.resources.queue_url("WorkDLQ")
    dead = _receive_all(dlq)
    assert [json.loads(m["Body"])["id"] for m in dead] == ["explodes"]
    client("sqs").delete_message(QueueUrl=dlq, ReceiptHandle=dead[0]["ReceiptHandle"])
    assert len(worker_seen) == 2
    assert mini.metrics.snapshot()["errors"]["WorkerFunction"] == errors_before + 2


def test_fifo_queue_is_processed_in_order_one_message_at_a_time(
    mini: Runner, worker_seen: list[dict[str, Any]]
) -> None:
    queue = mini.resources.queue_url("OrderedQueue")
    for index in range(6):
        client("sqs").send_message(
            QueueUrl=queue, MessageBody=json.dumps({"id": f"fifo-{index}"}), MessageGroupId="group-a"
        )
    mini.wait_idle(20)
    ordered = [seen for seen in worker_seen if seen["record"]["eventSourceARN"].endswith(".fifo")]
    assert [seen["body"]["id"] for seen in ordered] == [f"fifo-{i}" for i in range(6)]
    assert {seen["batch_size"] for seen in ordered} == {1}
    assert ordered[0]["record"]["attributes"]["MessageGroupId"] == "group-a"


def test_retry_delay_backs_off_up_to_the_queue_visibility_timeout(mini: Runner) -> None:
    source = next(s for s in mini.sqs_sources if s.queue == "WorkQueue")
    assert source.visibility_timeout_s == 60
    assert [mini.retry_delay(source, n) for n in (1, 2, 6)] == [1, 1, 1]  # the default: flat and short
    backing_off = Runner(
        MINI, api_port=0, stack_name="mini-backoff", alerts_inbox="mini-backoff-inbox", retry_delay_s=2, retry_backoff=3
    )
    source = next(s for s in backing_off.sqs_sources if s.queue == "WorkQueue")
    assert [backing_off.retry_delay(source, n) for n in (1, 2, 3, 4, 5)] == [2, 6, 18, 54, 60]


def test_wait_idle_times_out_while_work_is_running(mini: Runner, worker_seen: list[dict[str, Any]]) -> None:
    queue = mini.resources.queue_url("WorkQueue")
    client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps({"id": "slow", "sleep": 1.5}))
    with pytest.raises(TimeoutError, match="not idle"):
        mini.wait_idle(0.3)
    mini.wait_idle(10)
    assert [seen["body"]["id"] for seen in worker_seen] == ["slow"]


# -- schedules --------------------------------------------------------------------------------


def test_fire_schedule_passes_the_input_or_the_eventbridge_event(mini: Runner) -> None:
    assert mini.fire_schedule("WorkerFunction", "Sweep") == {"scheduled": {"job": "sweep", "limit": 25}}
    nightly = mini.fire_schedule("WorkerFunction", "Nightly")["scheduled"]
    assert nightly["detail-type"] == "Scheduled Event"
    assert nightly["source"] == "aws.events"
    assert nightly["detail"] == {}
    assert nightly["resources"][0].startswith("arn:aws:events:ap-south-1:123456789012:rule/")
    with pytest.raises(ValueError, match="several schedules"):
        mini.fire_schedule("WorkerFunction")
    with pytest.raises(KeyError):
        mini.fire_schedule("EchoFunction")
    intervals = {s.event_name: s.interval_s for s in mini.schedules}
    assert intervals == {"Sweep": 600, "Nightly": None}


def test_time_scale_fires_rate_schedules_by_themselves(mini: Runner) -> None:
    # 10 minutes / 3000 = 0.2 s; a second runner on its own stack name shares nothing with `mini`.
    with Runner(MINI, api_port=0, stack_name="mini-scaled", alerts_inbox="mini-scaled-inbox", time_scale=3000) as fast:
        deadline = time.monotonic() + 5
        while fast.metrics.snapshot()["invocations"].get("WorkerFunction", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert fast.metrics.snapshot()["invocations"]["WorkerFunction"] >= 2
    assert mini.modules["WorkerFunction"] is not fast.modules["WorkerFunction"]


# -- template handling ------------------------------------------------------------------------

CONFLICT_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        SHARED: same
Resources:
  One:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: one/
      Handler: app.handler
      Environment:
        Variables: {{POWERTOOLS_SERVICE_NAME: one, MODE: {one}}}
  Two:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: two/
      Handler: app.handler
      Environment:
        Variables: {{POWERTOOLS_SERVICE_NAME: two, MODE: {two}}}
"""


def test_conflicting_environment_values_across_functions_are_rejected(tmp_path: Path, mini: Runner) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(CONFLICT_TEMPLATE.format(one="fast", two="slow"))
    with pytest.raises(TemplateError, match=r"MODE: One='fast' vs Two='slow'"):
        Runner(template, api_port=0, stack_name="conflict", alerts_inbox="conflict-inbox")
    overridden = Runner(
        template, api_port=0, stack_name="conflict", alerts_inbox="conflict-inbox", overrides={"MODE": "local"}
    )
    assert overridden.environment == {"SHARED": "same", "MODE": "local"}

    template.write_text(CONFLICT_TEMPLATE.format(one="same", two="same"))
    agreeing = Runner(template, api_port=0, stack_name="conflict", alerts_inbox="conflict-inbox")
    assert agreeing.environment == {"SHARED": "same", "MODE": "same"}  # service names differ: allowed


def test_intrinsics_resolve_without_touching_aws() -> None:
    resources = StackResources(
        {"Parameters": {"Stage": {"Type": "String", "Default": "dev"}}, "Resources": {}},
        stack_name="s",
        parameters={"Stage": "prod"},
    )
    assert resources.resolve({"Fn::Sub": "${AWS::StackName}-${Stage}-${!Literal}"}) == "s-prod-${Literal}"
    assert resources.resolve({"Fn::Sub": ["${A}/${Stage}", {"A": {"Ref": "AWS::Region"}}]}) == "ap-south-1/prod"
    assert resources.resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert resources.resolve({"Fn::Join": ["-", ["x", {"Ref": "AWS::AccountId"}]]}) == "x-123456789012"
    assert resources.resolve({"Keep": 1, "Drop": {"Ref": "AWS::NoValue"}}) == {"Keep": 1}
    with pytest.raises(TemplateError, match="unknown parameter or resource"):
        resources.resolve({"Ref": "Missing"})
    with pytest.raises(TemplateError, match="not supported"):
        resources.resolve({"Fn::ImportValue": "elsewhere"})
    with pytest.raises(TemplateError, match="undeclared parameters"):
        StackResources({"Resources": {}}, parameters={"Nope": "x"})


def test_template_loader_reads_short_form_tags() -> None:
    document = load_template(MINI)
    resources = document["Resources"]
    assert resources["WorkQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WorkDLQ", "Arn"]
    }
    assert document["Conditions"]["IsProd"] == {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}


# -- moto resources ---------------------------------------------------------------------------


def test_moto_resources_follow_the_template(mini: Runner) -> None:
    sqs = client("sqs")
    fifo = sqs.get_queue_attributes(QueueUrl=mini.resources.queue_url("OrderedQueue"), AttributeNames=["All"])[
        "Attributes"
    ]
    assert fifo["FifoQueue"] == "true"
    assert fifo["ContentBasedDeduplication"] == "true"
    assert fifo["VisibilityTimeout"] == "60"
    assert json.loads(fifo["RedrivePolicy"]) == {
        "deadLetterTargetArn": "arn:aws:sqs:ap-south-1:123456789012:mini-OrderedDLQ.fifo",
        "maxReceiveCount": 3,
    }
    assert mini.resources.attrs["OrderedDLQ"]["QueueName"] == "mini-OrderedDLQ.fifo"
    assert "ProdOnlyQueue" not in mini.resources.refs  # its condition is false
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="mini-ProdOnly")

    table = client("dynamodb").describe_table(TableName="mini-MiniTable")["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert [index["IndexName"] for index in table["GlobalSecondaryIndexes"]] == ["ByStatus"]
    ttl = client("dynamodb").describe_time_to_live(TableName="mini-MiniTable")["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires_at"}

    secrets = client("secretsmanager")
    generated = json.loads(secrets.get_secret_value(SecretId=mini.resources.ref("GeneratedSecret"))["SecretString"])
    assert generated["username"] == "svc"
    assert len(generated["password"]) == 20
    assert generated["password"].isalnum()
    assert json.loads(secrets.get_secret_value(SecretId="mini/plain")["SecretString"]) == {"api_key": "fixture"}
    parameter = client("ssm").get_parameter(Name="CFN-Setting-mini")["Parameter"]
    assert parameter["Value"] == "stage=test"


def test_messages_published_to_a_topic_reach_the_alerts_inbox(mini: Runner) -> None:
    client("sns").publish(TopicArn=mini.resources.ref("Alerts"), Subject="AWB Failed", Message="SO-1 refused")
    messages = _receive_all(mini.resources.alerts_inbox_url)
    envelopes = [json.loads(m["Body"]) for m in messages]
    assert [(e["Subject"], e["Message"]) for e in envelopes] == [("AWB Failed", "SO-1 refused")]


# -- the whole local stack (template.yaml + simulators) ----------------------------------------


def test_local_stack_serves_the_documented_contract(fresh: LocalStack) -> None:
    state = fresh.state()
    assert set(state) == {"api", "shiprocket", "zoho", "aws", "tokens", "environment"}
    assert set(state["tokens"]) == {"zoho_webhook", "shiprocket_webhook", "remittance_webhook", "admin"}
    assert all(state[key].startswith("http://127.0.0.1:") for key in ("api", "shiprocket", "zoho", "aws"))
    # The functions' environment, pointed at this stack, and never a secret's value.
    environment = state["environment"]
    assert environment["AWS_ENDPOINT_URL"] == state["aws"]
    assert environment["SHIPROCKET_BASE_URL"].startswith(state["shiprocket"])
    assert environment["ZOHO_API_BASE_URL"] == state["zoho"]
    assert environment["LEDGER_TABLE"] == fresh.runner.resources.ref("LedgerTable")
    secret_values = [*state["tokens"].values(), shiprocket_sim.DEFAULT_API_PASSWORD, zoho_sim.DEFAULT_CLIENT_SECRET]
    assert [name for name, value in environment.items() if any(s in value for s in secret_values)] == []
    assert "orders" in requests.get(f"{fresh.shiprocket_url}/_sim/state", timeout=5).json()
    assert "salesorders" in requests.get(f"{fresh.zoho_url}/_sim/state", timeout=5).json()

    assert requests.get(f"{fresh.api_url}/nowhere", timeout=5).status_code == 403
    assert requests.post(f"{fresh.api_url}/tokens/refresh", timeout=5).status_code == 403  # AWS_IAM route

    secrets = client("secretsmanager")
    resources = fresh.runner.resources
    webhooks = json.loads(secrets.get_secret_value(SecretId=resources.ref("WebhookSecret"))["SecretString"])
    assert webhooks["zoho_webhook"] == fresh.tokens["zoho_webhook"]
    assert webhooks["shiprocket_webhook"] == fresh.tokens["shiprocket_webhook"]
    shiprocket = json.loads(secrets.get_secret_value(SecretId=resources.ref("ShiprocketSecret"))["SecretString"])
    assert shiprocket["email"] == shiprocket_sim.DEFAULT_API_EMAIL
    zoho = json.loads(secrets.get_secret_value(SecretId=resources.ref("ZohoSecret"))["SecretString"])
    assert (zoho["client_id"], zoho["organization_id"], zoho["data_centre"]) == (
        zoho_sim.DEFAULT_CLIENT_ID,
        zoho_sim.DEFAULT_ORGANIZATION_ID,
        "IN",
    )

    depths = fresh.queue_depths()
    assert {"OrderQueue", "OrderDLQ", "TokenRefreshQueue", "TokenRefreshDLQ"} <= set(depths)
    assert set(depths.values()) == {0}

    client("sns").publish(TopicArn=resources.ref("OpsAlerts"), Subject="Test page", Message="hello ops")
    alerts = fresh.alerts()
    assert [(a["subject"], a["message"]) for a in alerts] == [("Test page", "hello ops")]
    assert fresh.alerts() == alerts  # read once, kept until the next reset
    fresh.reset()
    assert fresh.alerts() == []
