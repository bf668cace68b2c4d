"""Token refresh: when tokens are minted, the Zoho mint budget, stale requests, and the handler on its
three event shapes (schedule, FIFO refresh requests, POST /tokens/refresh) with moto and fake minters."""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from order_fakes import CountingMetrics, RecordingAlerts

from shipsync.config import TokenRefreshSettings
from shipsync.errors import PermanentError, ProviderRequestError, RateLimited, TransientError
from shipsync.tokens.refresher import MintBudgetExhausted, TokenRefresher
from tests.fixtures.lambda_app import LambdaContext, load_app

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "token_refresh"
DAY = 86_400
T0 = 1_717_200_000


@dataclass(frozen=True)
class Minted:
    access_token: str
    api_domain: str = "https://www.zohoapis.in"
    expires_in: int = 3600


class FakeMinters:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []
        self.zoho_mints: list[tuple[str, str, str, str]] = []
        self.fail_with: Exception | None = None
        self.fail_login_with: Exception | None = None
        # What Zoho says of the current access token when a 401 is reported (True: it still takes it).
        self.zoho_accepts: bool | Exception = False
        self.checked: list[str] = []

    def check(self, document: dict[str, Any]) -> bool:
        self.checked.append(str(document["access_token"]))
        if isinstance(self.zoho_accepts, Exception):
            raise self.zoho_accepts
        return self.zoho_accepts

    def login(self, email: str, password: str) -> str:
        if self.fail_with or self.fail_login_with:
            raise self.fail_with or self.fail_login_with
        self.logins.append((email, password))
        return f"jwt-{len(self.logins)}"

    def mint(self, accounts_url: str, client_id: str, client_secret: str, refresh_token: str) -> Minted:
        if self.fail_with:
            raise self.fail_with
        self.zoho_mints.append((accounts_url, client_id, client_secret, refresh_token))
        return Minted(access_token=f"1000.tok{len(self.zoho_mints)}")


class MemoryDocuments:
    def __init__(self, shiprocket: dict[str, Any], zoho: dict[str, Any]) -> None:
        self.docs = {"shiprocket": copy.deepcopy(shiprocket), "zoho": copy.deepcopy(zoho)}
        self.writes: list[tuple[str, dict[str, Any]]] = []

    def read(self, provider: str) -> dict[str, Any]:
        return copy.deepcopy(self.docs[provider])

    def write(self, provider: str, document: dict[str, Any]) -> None:
        self.writes.append((provider, copy.deepcopy(document)))
        self.docs[provider] = copy.deepcopy(document)


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def shiprocket_doc(**overrides: Any) -> dict[str, Any]:
    return {"email": "api@example.in", "password": "pw", "token": "jwt-0", "issued_at": T0, "version": 1, **overrides}


def zoho_doc(**overrides: Any) -> dict[str, Any]:
    return {
        "client_id": "1000.CID",
        "client_secret": "csecret",
        "refresh_token": "1000.refresh",
        "data_centre": "IN",
        "organization_id": "60012345678",
        "access_token": "1000.tok0",
        "api_domain": "https://www.zohoapis.in",
        "expires_at": T0 + 3600,
        "version": 7,
        "mints": [],
        **overrides,
    }


# The settings' required queues; the refresher itself sends nothing.
QUEUES = {"token_refresh_queue_url": "https://sqs.invalid/refresh", "token_refresh_dlq_url": "https://sqs.invalid/dlq"}


class Rig:
    def __init__(self, shiprocket: dict[str, Any], zoho: dict[str, Any], now: float = T0, **settings: Any) -> None:
        self.docs = MemoryDocuments(shiprocket, zoho)
        self.minters = FakeMinters()
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.clock = Clock(now)
        self.refresher = TokenRefresher(
            self.docs,
            shiprocket_login=self.minters.login,
            zoho_mint=self.minters.mint,
            zoho_token_check=self.minters.check,
            settings=TokenRefreshSettings(**{**QUEUES, **settings}),
            alerts=self.alerts,
            metrics=self.metrics,
            clock=self.clock,
        )


# ---------------------------------------------------------------- when a token is due


def test_shiprocket_is_due_at_nine_days_not_at_eight() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(expires_at=T0 + 20 * DAY), now=T0 + 8 * DAY)
    assert [o.action for o in rig.refresher.refresh_due()] == ["not_due", "not_due"]
    assert rig.minters.logins == []

    rig.clock.now = T0 + 9 * DAY
    outcomes = rig.refresher.refresh_due()
    assert [(o.provider, o.action, o.version) for o in outcomes] == [
        ("shiprocket", "minted", 2),
        ("zoho", "not_due", 7),
    ]
    assert rig.minters.logins == [("api@example.in", "pw")]
    assert rig.docs.docs["shiprocket"] == shiprocket_doc(token="jwt-1", issued_at=T0 + 9 * DAY, version=2)
    assert rig.metrics.counts["TokensMinted"] == 1


@pytest.mark.parametrize("doc", [shiprocket_doc(token=""), shiprocket_doc(issued_at=0)])
def test_shiprocket_missing_or_never_issued_is_due(doc: dict[str, Any]) -> None:
    rig = Rig(doc, zoho_doc())
    assert rig.refresher.is_due("shiprocket", doc)


def test_zoho_is_due_within_ten_minutes_of_expiry() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(expires_at=T0 + 601))
    assert not rig.refresher.is_due("zoho", rig.docs.read("zoho"))
    rig.clock.now = T0 + 1
    assert rig.refresher.is_due("zoho", rig.docs.read("zoho"))
    assert rig.refresher.is_due("zoho", zoho_doc(access_token=""))


def test_zoho_mint_writes_token_expiry_version_and_mint_time() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(expires_at=T0 + 300, mints=[T0 - 700, T0 - 100]))
    outcome = rig.refresher.refresh_due()[1]
    assert (outcome.action, outcome.version) == ("minted", 8)
    assert rig.minters.zoho_mints == [("https://accounts.zoho.in", "1000.CID", "csecret", "1000.refresh")]
    assert rig.docs.docs["zoho"] == zoho_doc(
        access_token="1000.tok1", expires_at=T0 + 3600, version=8, mints=[T0 - 100, T0]
    )


def test_zoho_accounts_url_follows_the_data_centre_or_the_override() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(data_centre="EU"))
    rig.refresher.force("zoho")
    assert rig.minters.zoho_mints[0][0] == "https://accounts.zoho.eu"
    rig = Rig(shiprocket_doc(), zoho_doc(), zoho_accounts_url="http://127.0.0.1:9999")
    rig.refresher.force("zoho")
    assert rig.minters.zoho_mints[0][0] == "http://127.0.0.1:9999"


# ---------------------------------------------------------------- refresh requests from workers


def test_request_for_a_replaced_version_is_dropped() -> None:
    rig = Rig(shiprocket_doc(version=5), zoho_doc(version=7))
    outcome = rig.refresher.handle_request("zoho", 6, "rejected")
    assert (outcome.action, outcome.version) == ("dropped", 7)
    assert rig.minters.zoho_mints == []
    assert rig.docs.writes == []


def test_rejected_current_version_mints_and_bumps_the_version() -> None:
    rig = Rig(shiprocket_doc(version=5), zoho_doc(version=7))
    assert rig.refresher.handle_request("shiprocket", 5, "rejected").version == 6
    assert rig.refresher.handle_request("zoho", 7, "rejected").version == 8
    # The fleet's later reports of the same rejected versions cost nothing.
    assert rig.refresher.handle_request("zoho", 7, "rejected").action == "dropped"
    assert rig.refresher.handle_request("shiprocket", 5, "rejected").action == "dropped"
    assert (len(rig.minters.logins), len(rig.minters.zoho_mints)) == (1, 1)


def test_a_401_on_a_zoho_token_zoho_still_accepts_does_not_spend_a_mint() -> None:
    # A blip, or a scope no mint can fix: each such 401 would otherwise cost one of ten mints a ten minutes.
    rig = Rig(shiprocket_doc(), zoho_doc(version=7, access_token="1000.live", expires_at=T0 + 3000))
    rig.minters.zoho_accepts = True
    outcome = rig.refresher.handle_request("zoho", 7, "rejected")
    assert (outcome.action, outcome.version) == ("still_valid", 7)
    assert rig.minters.checked == ["1000.live"]
    assert rig.minters.zoho_mints == []
    assert rig.metrics.counts["TokenRejectionUnconfirmed"] == 1


def test_a_token_check_that_cannot_answer_retries_the_request_and_mints_nothing() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(version=7, expires_at=T0 + 3000))
    rig.minters.zoho_accepts = TransientError("zoho: token check answered HTTP 503 code None")
    with pytest.raises(TransientError):
        rig.refresher.handle_request("zoho", 7, "rejected")
    assert rig.minters.zoho_mints == []


def test_a_due_token_is_minted_without_a_check() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(version=7, expires_at=T0 + 60))
    assert rig.refresher.handle_request("zoho", 7, "rejected").action == "minted"
    assert rig.minters.checked == []


def test_expired_report_of_a_fresh_token_does_not_mint() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc(expires_at=T0 + 3000))
    assert rig.refresher.handle_request("zoho", 7, "expired").action == "not_due"
    assert rig.minters.zoho_mints == []


def test_unknown_provider_is_refused() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc())
    with pytest.raises(ValueError, match="unknown token provider"):
        rig.refresher.handle_request("fedex", 1, "rejected")


# ---------------------------------------------------------------- the Zoho mint budget


def test_eleventh_mint_in_ten_minutes_is_refused_without_calling_zoho_and_pages_once() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc())
    for i in range(10):
        rig.clock.now = T0 + i * 10
        rig.refresher.force("zoho")
    assert len(rig.minters.zoho_mints) == 10

    rig.clock.now = T0 + 120
    with pytest.raises(MintBudgetExhausted) as refused:
        rig.refresher.handle_request("zoho", rig.docs.docs["zoho"]["version"], "rejected")
    assert isinstance(refused.value, TransientError), "a queue message must retry later"
    assert refused.value.retry_after_s == 480
    rig.clock.now = T0 + 130
    with pytest.raises(MintBudgetExhausted):
        rig.refresher.force("zoho")

    assert len(rig.minters.zoho_mints) == 10
    assert [page["kind"] for page in rig.alerts.pages] == ["token_refresh_failed"]
    assert "10 token mints in the last 600s" in rig.alerts.pages[0]["message"]
    assert rig.metrics.counts["TokenRefreshFailed"] == 2
    assert rig.docs.docs["zoho"]["version"] == 17

    rig.clock.now = T0 + 600  # the first mint has left the window
    assert rig.refresher.force("zoho").version == 18
    assert len(rig.docs.docs["zoho"]["mints"]) == 10


def test_scheduled_run_reports_a_spent_budget_without_raising() -> None:
    rig = Rig(shiprocket_doc(token=""), zoho_doc(access_token="", mints=[T0 - i for i in range(10)]))
    outcomes = rig.refresher.refresh_due()
    assert [(o.provider, o.action) for o in outcomes] == [("shiprocket", "minted"), ("zoho", "failed")]
    assert "next mint allowed in 591s" in outcomes[1].error
    assert rig.minters.zoho_mints == []


# ---------------------------------------------------------------- mint failures


def test_zoho_mint_failure_pages_counts_spends_budget_and_raises() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc())
    rig.minters.fail_with = ProviderRequestError("zoho", "token mint refused: invalid_code", http_status=200)
    with pytest.raises(ProviderRequestError, match="invalid_code"):
        rig.refresher.handle_request("zoho", 7, "rejected")
    assert rig.metrics.counts["TokenRefreshFailed"] == 1
    assert "invalid_code" in rig.alerts.pages[0]["message"]
    assert rig.docs.docs["zoho"]["mints"] == [T0], "Zoho counts the attempt: so do we"
    assert rig.docs.docs["zoho"]["version"] == 7


def test_shiprocket_login_failure_pages_and_raises() -> None:
    rig = Rig(shiprocket_doc(), zoho_doc())
    rig.minters.fail_with = ProviderRequestError("shiprocket", "login refused: Invalid credentials", http_status=401)
    with pytest.raises(ProviderRequestError):
        rig.refresher.force("shiprocket")
    assert rig.alerts.pages[0]["subject"] == "shiprocket token refresh failed"
    assert rig.docs.docs["shiprocket"] == shiprocket_doc(failure_alerted_at=T0), "the token is left alone"


def test_a_persistent_failure_pages_once_an_hour_not_every_tick() -> None:
    rig = Rig(shiprocket_doc(token=""), zoho_doc(expires_at=T0 + 20 * DAY))
    rig.minters.fail_with = ProviderRequestError("shiprocket", "login refused: Invalid credentials", http_status=401)
    for tick in range(13):  # an hour of 5-minute schedule ticks
        rig.clock.now = T0 + tick * 300
        assert rig.refresher.refresh_due()[0].action == "failed"
    assert len(rig.alerts.pages) == 2, "pages at T0 and T0 + 1 h"
    assert rig.metrics.counts["TokenRefreshFailed"] == 13, "the metric still counts every failure"


def test_secret_without_credentials_pages_instead_of_calling_the_provider() -> None:
    rig = Rig(shiprocket_doc(password=""), zoho_doc(refresh_token=""))
    with pytest.raises(PermanentError, match="email/password"):
        rig.refresher.force("shiprocket")
    with pytest.raises(PermanentError, match="refresh_token"):
        rig.refresher.force("zoho")
    assert (rig.minters.logins, rig.minters.zoho_mints) == ([], [])
    assert len(rig.alerts.pages) == 2


def test_secrets_never_reach_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    rig = Rig(shiprocket_doc(token=""), zoho_doc(access_token=""))
    rig.refresher.refresh_due()
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "token minted" in logged
    for secret in ("jwt-1", "1000.tok1", "pw", "csecret", "1000.refresh"):
        assert secret not in logged


# ---------------------------------------------------------------- the handler, end to end on moto


@dataclass
class Stack:
    handler: ModuleType
    minters: FakeMinters
    secrets: Any
    inbox_url: str

    def doc(self, provider: str) -> dict[str, Any]:
        return dict(json.loads(self.secrets.get_secret_value(SecretId=f"t/{provider}")["SecretString"]))

    def invoke(self, event: dict[str, Any]) -> Any:
        return self.handler.lambda_handler(event, LambdaContext("shipsync-test-token-refresh"))

    def alerts(self) -> list[dict[str, Any]]:
        messages = boto3.client("sqs").receive_message(QueueUrl=self.inbox_url, MaxNumberOfMessages=10)
        return [json.loads(json.loads(m["Body"])["Message"]) for m in messages.get("Messages", [])]


@pytest.fixture
def stack(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Stack:
    for name, value in {
        "POWERTOOLS_TRACE_DISABLED": "true",
        "SHIPROCKET_SECRET_ID": "t/shiprocket",
        "ZOHO_SECRET_ID": "t/zoho",
        "STAGE": "test",
    }.items():
        monkeypatch.setenv(name, value)
    secrets = boto3.client("secretsmanager")
    secrets.create_secret(Name="t/shiprocket", SecretString=json.dumps(shiprocket_doc(token="", issued_at=0)))
    secrets.create_secret(Name="t/zoho", SecretString=json.dumps(zoho_doc(access_token="", expires_at=0)))
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    inbox_url = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=inbox_arn)
    monkeypatch.setenv("OPS_TOPIC_ARN", topic)

    from shipsync.clients import auth

    minters = FakeMinters()
    monkeypatch.setattr(
        auth, "shiprocket_login", lambda base_url, email, password, timeout: minters.login(email, password)
    )
    monkeypatch.setattr(
        auth, "zoho_refresh_access_token", lambda url, *credentials, timeout: minters.mint(url, *credentials)
    )
    return Stack(load_app("token_refresh"), minters, secrets, inbox_url)


def _event(name: str) -> dict[str, Any]:
    return dict(json.loads((EVENTS / name).read_text()))


def _sqs_record(template: dict[str, Any], message_id: str, group: str, body: Any) -> dict[str, Any]:
    record = copy.deepcopy(template)
    record["messageId"] = message_id
    record["attributes"]["MessageGroupId"] = group
    record["body"] = body if isinstance(body, str) else json.dumps(body)
    return record


def test_schedule_event_mints_what_is_due(stack: Stack, capsys: pytest.CaptureFixture[str]) -> None:
    result = stack.invoke(_event("schedule.json"))
    assert [(t["provider"], t["action"], t["version"]) for t in result["tokens"]] == [
        ("shiprocket", "minted", 2),
        ("zoho", "minted", 8),
    ]
    assert stack.doc("shiprocket")["token"] == "jwt-1"
    assert stack.doc("zoho")["access_token"] == "1000.tok1"
    assert '"TokensMinted"' in capsys.readouterr().out, "EMF metrics are flushed"

    again = stack.invoke({"refresh": "scheduled"})
    assert [t["action"] for t in again["tokens"]] == ["not_due", "not_due"]
    assert len(stack.minters.logins) == 1


def test_sqs_request_from_the_sample_event_mints_zoho(stack: Stack) -> None:
    result = stack.invoke(_event("sqs_refresh_request.json"))
    assert result == {"batchItemFailures": []}
    assert stack.doc("zoho")["version"] == 8
    assert stack.minters.logins == []


def test_sqs_malformed_request_is_dead_lettered_and_a_failure_holds_back_its_group_only(stack: Stack) -> None:
    template = _event("sqs_refresh_request.json")["Records"][0]
    event = {
        "Records": [
            _sqs_record(template, "m-bad", "zoho", "{not json"),
            _sqs_record(template, "m-zoho-held", "zoho", {"provider": "zoho", "seen_version": 7, "reason": "rejected"}),
            _sqs_record(
                template, "m-sr", "shiprocket", {"provider": "shiprocket", "seen_version": 1, "reason": "rejected"}
            ),
            _sqs_record(
                template, "m-stale", "shiprocket", {"provider": "shiprocket", "seen_version": 0, "reason": "rejected"}
            ),
        ]
    }
    stack.minters.fail_login_with = RateLimited("shiprocket: 429")
    result = stack.invoke(event)
    assert result == {"batchItemFailures": [{"itemIdentifier": "m-sr"}, {"itemIdentifier": "m-stale"}]}
    assert stack.doc("zoho")["version"] == 8, "the malformed request does not hold back its group"
    assert stack.doc("shiprocket")["version"] == 1, "a message behind a failure in its group waits for the retry"
    moved = boto3.client("sqs").receive_message(QueueUrl=os.environ["TOKEN_REFRESH_DLQ_URL"])["Messages"]
    assert [m["Body"] for m in moved] == ["{not json"]
    assert sorted(a["kind"] for a in stack.alerts()) == ["MalformedMessage", "token_refresh_failed"]


def test_sqs_refused_mint_is_given_up_and_paged_once(stack: Stack) -> None:
    # Zoho refusing the refresh token needs a human (a new grant): retrying would only spend the mint budget.
    stack.minters.fail_with = ProviderRequestError("zoho", "token mint refused: invalid_code", http_status=200)
    result = stack.invoke(_event("sqs_refresh_request.json"))
    assert result == {"batchItemFailures": []}
    [alert] = stack.alerts()
    assert alert["kind"] == "token_refresh_failed"
    assert alert["stage"] == "test"
    assert alert["correlation_id"] == "0f0c8d4e-7a1b-4c5e-9d2f-3b6a8e1c4d70"


def test_api_refresh_returns_the_new_version(stack: Stack) -> None:
    response = stack.invoke(_event("api_refresh.json"))
    assert response["statusCode"] == 200
    assert json.loads(response["body"]) == {
        "tokens": {"zoho": {"provider": "zoho", "action": "minted", "version": 8, "reason": "forced"}}
    }
    assert stack.minters.logins == []


def test_api_refresh_all_when_asked(stack: Stack) -> None:
    event = _event("api_refresh.json")
    event["body"] = '{"provider": "all"}'
    response = stack.invoke(event)
    assert response["statusCode"] == 200
    assert {name: token["version"] for name, token in json.loads(response["body"])["tokens"].items()} == {
        "shiprocket": 2,
        "zoho": 8,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ('{"provider": "fedex"}', "provider"),
        ("{oops", "body"),
        ('["zoho"]', "body"),
        # No provider is not "all": each Zoho mint spends one of ten per ten minutes.
        ("{}", "provider"),
        ('{"force": true}', "provider"),
        (None, "body"),
        ('{"provider": "zoho", "extra": 1}', "extra"),
        ('{"provider": "zoho\\u0000"}', "provider"),
    ],
)
def test_api_bad_input_is_a_400_naming_the_field(stack: Stack, body: str | None, field: str) -> None:
    event = _event("api_refresh.json")
    event["body"] = body
    response = stack.invoke(event)
    assert response["statusCode"] == 400
    answer = json.loads(response["body"])
    assert answer["field"] == field
    assert answer["error"]
    assert (stack.minters.logins, stack.minters.zoho_mints) == ([], [])


def test_api_spent_budget_is_a_429(stack: Stack) -> None:
    import time

    now = int(time.time())
    stack.secrets.put_secret_value(
        SecretId="t/zoho", SecretString=json.dumps(zoho_doc(mints=[now - i for i in range(10)]))
    )
    response = stack.invoke(_event("api_refresh.json"))
    assert response["statusCode"] == 429
    assert "next mint allowed" in json.loads(response["body"])["errors"]["zoho"]
    assert stack.minters.zoho_mints == []


def test_unrecognised_event_raises(stack: Stack) -> None:
    with pytest.raises(ValueError, match="unrecognised event"):
        stack.invoke({"hello": "world"})
