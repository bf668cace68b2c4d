"""The wallet statement upload route (POST /webhooks/wallet-statement) through the real cod-remittance handler,
moto for SQS and Secrets Manager: the panel's CSV is queued whole in chunks or not at all; 401 fails closed; 400
names the row; the worker hands each chunk to the wallet watch."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import boto3
import pytest

from shipsync.freight.statement import Statement
from tests.fixtures.lambda_app import LambdaContext, load_app

EVENTS = Path(__file__).resolve().parents[2] / "events" / "cod_remittance"
TOKEN = "local-remittance-webhook-token"
PATH = "/webhooks/wallet-statement"
HEADER = "Transaction ID,AWB Code,Channel Order ID,Charge,Description,Debit Amount,Credit Amount,Created At"


def line(number: int, debit: str = "85.50", credit: str = "") -> str:
    awb = "19041234567890"
    return f"{7_100_000 + number},{awb},SO-00042,Freight Charges,Freight for AWB {awb},{debit},{credit},2025-06-11"


def statement_csv(*lines: str) -> str:
    return "\r\n".join((HEADER, *lines)) + "\r\n"


@pytest.fixture
def aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("WEBHOOK_SECRET_ID", "shipsync/test/webhooks")
    queue_url = boto3.client("sqs").create_queue(
        QueueName="shipsync-test-remittance.fifo", Attributes={"FifoQueue": "true"}
    )["QueueUrl"]
    monkeypatch.setenv("REMITTANCE_QUEUE_URL", queue_url)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="shipsync/test/webhooks", SecretString=json.dumps({"remittance_webhook": TOKEN}))
    return {"queue_url": queue_url, "secrets": secrets}


def event(body: str | None, key: str | None = TOKEN) -> dict[str, Any]:
    """The remittance CSV upload's API Gateway event, sent to this route."""
    loaded = dict(json.loads((EVENTS / "webhook_csv.json").read_text()))
    loaded["resource"] = loaded["path"] = PATH
    loaded["requestContext"] = {**loaded["requestContext"], "resourcePath": PATH, "path": f"/dev{PATH}"}
    loaded["headers"] = {"content-type": "text/csv", **({} if key is None else {"x-api-key": key})}
    loaded["multiValueHeaders"] = {name: [value] for name, value in loaded["headers"].items()}
    loaded["body"] = body
    return loaded


def invoke(request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = load_app("cod_remittance").lambda_handler(request, LambdaContext("shipsync-test-cod-remittance"))
    return int(result["statusCode"]), json.loads(result["body"])


def received(queue_url: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    while (
        batch := boto3.client("sqs")
        .receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, AttributeNames=["All"])
        .get("Messages", [])
    ):
        found += batch
    return found


def test_an_upload_is_queued_in_chunks_of_25_rows_in_one_group(aws: dict[str, Any]) -> None:
    status, body = invoke(event(statement_csv(*(line(n) for n in range(30)))))

    assert (status, body["status"], body["rows"]) == (202, "queued", 30)
    assert [m["rows"] for m in body["messages"]] == [25, 5]
    messages = received(aws["queue_url"])
    assert sorted(m["MessageId"] for m in messages) == sorted(m["message_id"] for m in body["messages"])
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"wallet-statement"}
    bodies = sorted((json.loads(m["Body"]) for m in messages), key=lambda b: len(b["rows"]), reverse=True)
    assert [b["kind"] for b in bodies] == ["wallet_rows", "wallet_rows"]
    assert [r["transaction_id"] for b in bodies for r in b["rows"]] == [str(7_100_000 + n) for n in range(30)]
    assert bodies[0]["rows"][0] == {
        "transaction_id": "7100000",
        "awb_code": "19041234567890",
        "channel_order_id": "SO-00042",
        "charge": "Freight Charges",
        "description": "Freight for AWB 19041234567890",
        "debit_amount": "85.50",
        "credit_amount": "",
        "created_at": "2025-06-11",
    }
    assert date.fromisoformat(bodies[0]["received_on"])
    assert bodies[0]["pass_number"] == 1


def test_the_same_file_posted_twice_at_once_is_queued_once(aws: dict[str, Any]) -> None:
    upload = statement_csv(line(1), line(2))

    first, again = invoke(event(upload)), invoke(event(upload))

    assert first[0] == again[0] == 202
    # The same body, so the same deduplication id: SQS keeps one within its five-minute window.
    assert len(received(aws["queue_url"])) == 1


@pytest.mark.parametrize("key", [None, "wrong"])
def test_missing_or_wrong_token_is_401_and_nothing_queued(aws: dict[str, Any], key: str | None) -> None:
    status, body = invoke(event(statement_csv(line(1)), key=key))

    assert status == 401
    assert "x-api-key" in body["error"]
    assert received(aws["queue_url"]) == []


def test_unset_secret_rejects_everything(aws: dict[str, Any]) -> None:
    aws["secrets"].put_secret_value(SecretId="shipsync/test/webhooks", SecretString=json.dumps({}))

    assert invoke(event(statement_csv(line(1))))[0] == 401
    assert received(aws["queue_url"]) == []


def test_a_bad_row_is_400_naming_it_and_nothing_is_queued(aws: dict[str, Any]) -> None:
    rows = [line(n) for n in range(30)]
    rows[27] = line(27, debit="85.5.0")

    status, body = invoke(event(statement_csv(*rows)))

    assert (status, body["field"]) == (400, "rows.29.debit_amount")
    assert "line 29 (transaction 7100027), column 'Debit Amount'" in body["error"]
    # The first 25 rows were fine: still nothing of the file is queued.
    assert received(aws["queue_url"]) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ("Transaction ID,AWB,Debit\r\n7100001,1904,1.00\r\n", "columns"),
        (statement_csv(line(1), line(1, debit="99.00")), "rows.3.transaction_id"),
        (statement_csv(line(1, debit="", credit="")), "rows.2"),
        (statement_csv(line(1)).replace("Freight for", "Freight\x07for"), "rows.2"),
        (statement_csv(), "rows"),
    ],
)
def test_unusable_files_are_400_naming_the_field(aws: dict[str, Any], body: str, field: str) -> None:
    status, answer = invoke(event(body))

    assert (status, answer["field"]) == (400, field)
    assert received(aws["queue_url"]) == []


@pytest.mark.parametrize(("body", "status"), [(None, 400), ("x" * (1024 * 1024 + 1), 413)])
def test_an_empty_or_oversize_body_is_refused(aws: dict[str, Any], body: str | None, status: int) -> None:
    assert invoke(event(body))[0] == status


def test_a_queued_chunk_reaches_the_wallet_watch_as_uploaded(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shipsync.remittance import wiring as remittance_wiring

    taken: list[tuple[Statement, date, int | None]] = []

    class RecordingWatch:
        def __init__(self, max_writes: int | None) -> None:
            self.max_writes = max_writes

        def take(self, statement: Statement, today: date) -> dict[str, object]:
            taken.append((statement, today, self.max_writes))
            return {"rows": len(statement.rows), "deferred": 0}

    monkeypatch.setattr(
        remittance_wiring, "build_wallet_watch", lambda metrics, max_writes=None: RecordingWatch(max_writes)
    )
    assert invoke(event(statement_csv(line(1), line(2, debit="", credit="85.50"))))[0] == 202
    [message] = received(aws["queue_url"])
    records = json.loads((EVENTS / "sqs_order.json").read_text())
    records["Records"][0]["body"] = message["Body"]

    answer = load_app("cod_remittance").lambda_handler(records, LambdaContext("shipsync-test-cod-remittance"))

    assert answer == {"batchItemFailures": []}
    [(statement, today, max_writes)] = taken
    assert [(r.transaction_id, r.amount_paise) for r in statement.rows] == [("7100001", 8550), ("7100002", -8550)]
    assert today == date.fromisoformat(json.loads(message["Body"])["received_on"])
    # Ten messages a receive, four entries each: the 40 a scheduled run may write.
    assert max_writes == remittance_wiring.WALLET_WRITES_PER_MESSAGE == 4


def test_an_uploaded_chunk_books_four_entries_a_pass_and_the_schedule_its_own_bound(
    aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from aws_lambda_powertools import Metrics

    from shipsync.freight.booking import BookingResult
    from shipsync.freight.statement import read_statement
    from shipsync.remittance import wiring as remittance_wiring

    monkeypatch.setenv("FREIGHT_EXPENSE_ACCOUNT_ID", "520")
    monkeypatch.setenv("WALLET_ACCOUNT_ID", "530")
    bounds: list[int | None] = []

    class Booker:
        def book(self, rows: Any) -> BookingResult:
            return BookingResult()

    def booker(accounts: Any, today: date, max_writes: int | None = None) -> Booker:
        bounds.append(max_writes)
        return Booker()

    monkeypatch.setattr(remittance_wiring, "freight_booker", booker)
    metrics = Metrics(namespace="shipsync", service="cod-remittance")
    statement = read_statement([{"transaction_id": "7100001", "awb_code": "1904", "debit_amount": "1.00"}])

    remittance_wiring.build_wallet_watch(metrics, max_writes=4).take(statement, date(2025, 6, 14))
    remittance_wiring.build_wallet_watch(metrics).take(statement, date(2025, 6, 14))

    assert bounds == [4, None]
