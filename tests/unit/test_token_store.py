"""The token store, refresh requests and alerts adapters against moto, and the workers' token
providers over an in-memory store: workers read and ask, they never mint."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from shipsync.adapters.refresh_requests import SqsRefreshRequester, dedup_id
from shipsync.adapters.secrets import SecretsTokenStore, SecretWriter
from shipsync.config import CommonSettings
from shipsync.errors import NotConfigured, TokenMissing, TokenRejected, TransientError
from shipsync.observability.alerts import SnsAlerts, sns_subject
from shipsync.tokens.providers import on_token_rejected, shiprocket_token_provider, zoho_auth_provider

SHIPROCKET_DOC = {
    "email": "api@example.in",
    "password": "pw",
    "token": "jwt-1",
    "issued_at": 1_700_000_000,
    "version": 3,
}
WEBHOOKS_DOC = {"zoho_webhook": "zw", "shiprocket_webhook": "sw", "admin": "ad"}


@pytest.fixture
def aws(aws_env: None) -> Any:
    return boto3.client("secretsmanager")


@pytest.fixture
def settings(aws: Any) -> CommonSettings:
    aws.create_secret(Name="t/shiprocket", SecretString=json.dumps(SHIPROCKET_DOC))
    aws.create_secret(Name="t/zoho", SecretString=json.dumps({"access_token": "", "version": 0}))
    aws.create_secret(Name="t/webhooks", SecretString=json.dumps(WEBHOOKS_DOC))
    return CommonSettings(
        token_refresh_queue_url="https://sqs.invalid/refresh",
        shiprocket_secret_id="t/shiprocket",
        zoho_secret_id="t/zoho",
        webhook_secret_id="t/webhooks",
    )


def _put(aws: Any, secret_id: str, doc: dict[str, Any]) -> None:
    aws.put_secret_value(SecretId=secret_id, SecretString=json.dumps(doc))


# ---------------------------------------------------------------- SecretsTokenStore / SecretWriter


def test_reads_are_cached_until_invalidated(aws: Any, settings: CommonSettings) -> None:
    store = SecretsTokenStore(settings)
    assert store.get("shiprocket")["token"] == "jwt-1"

    _put(aws, "t/shiprocket", {**SHIPROCKET_DOC, "token": "jwt-2", "version": 4})
    assert store.get("shiprocket")["token"] == "jwt-1", "second read within max_age must come from the cache"
    assert SecretsTokenStore(settings).get("shiprocket")["version"] == 3, "the cache outlives one store object"

    store.invalidate("shiprocket")
    assert store.get("shiprocket")["token"] == "jwt-2"
    _put(aws, "t/shiprocket", {**SHIPROCKET_DOC, "token": "jwt-3", "version": 5})
    assert store.get("shiprocket")["token"] == "jwt-2", "invalidation forces one read, not every read"


def test_invalidation_survives_a_new_store_object(aws: Any, settings: CommonSettings) -> None:
    SecretsTokenStore(settings).get("shiprocket")
    _put(aws, "t/shiprocket", {**SHIPROCKET_DOC, "version": 4})
    SecretsTokenStore(settings).invalidate("shiprocket")
    assert SecretsTokenStore(settings).get("shiprocket")["version"] == 4


def test_zero_max_age_reads_every_time(aws: Any, settings: CommonSettings) -> None:
    store = SecretsTokenStore(settings.model_copy(update={"secret_cache_seconds": 0}))
    store.get("shiprocket")
    _put(aws, "t/shiprocket", {**SHIPROCKET_DOC, "version": 9})
    assert store.get("shiprocket")["version"] == 9


def test_webhook_secrets_and_unknown_provider(settings: CommonSettings) -> None:
    store = SecretsTokenStore(settings)
    assert store.get_webhook_secrets() == WEBHOOKS_DOC
    with pytest.raises(ValueError, match="unknown token provider 'fedex'"):
        store.get("fedex")


def test_missing_or_broken_secret_is_transient(aws: Any, settings: CommonSettings) -> None:
    with pytest.raises(TransientError, match="t/nothing"):
        SecretsTokenStore(settings.model_copy(update={"zoho_secret_id": "t/nothing"})).get("zoho")
    _put(aws, "t/zoho", {"x": 1})
    aws.put_secret_value(SecretId="t/webhooks", SecretString="not json")
    with pytest.raises(TransientError, match="t/webhooks"):
        SecretsTokenStore(settings).get_webhook_secrets()


def test_writer_reads_uncached_and_marks_the_cache_stale(aws: Any, settings: CommonSettings) -> None:
    store, writer = SecretsTokenStore(settings), SecretWriter(settings)
    assert store.get("shiprocket")["version"] == 3
    _put(aws, "t/shiprocket", {**SHIPROCKET_DOC, "version": 4})
    assert writer.read("shiprocket")["version"] == 4, "token-refresh must see the truth, not a cached copy"

    writer.write("shiprocket", {**SHIPROCKET_DOC, "token": "jwt-9", "version": 5})
    stored = json.loads(aws.get_secret_value(SecretId="t/shiprocket")["SecretString"])
    assert stored == {**SHIPROCKET_DOC, "token": "jwt-9", "version": 5}
    assert store.get("shiprocket")["version"] == 5


def test_writer_failure_is_transient(settings: CommonSettings) -> None:
    writer = SecretWriter(settings.model_copy(update={"zoho_secret_id": "t/absent"}))
    with pytest.raises(TransientError, match="could not be written"):
        writer.write("zoho", {"version": 1})
    with pytest.raises(TransientError, match="could not be read"):
        writer.read("zoho")


# ---------------------------------------------------------------- SqsRefreshRequester


def test_dedup_id_names_provider_version_and_reason() -> None:
    assert dedup_id("zoho", 7, "rejected") == "zoho-v7-rejected"
    assert dedup_id("shiprocket", None, "missing") == "shiprocket-vnone-missing"


def test_a_fleet_of_identical_requests_is_one_message(aws: Any) -> None:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="refresh.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    requester = SqsRefreshRequester(queue_url)
    for _ in range(5):
        requester.request_refresh("zoho", 7, "rejected")
    requester.request_refresh("zoho", 8, "rejected")

    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]).get(
        "Messages", []
    )
    bodies = [json.loads(m["Body"]) for m in messages]
    assert [(b["provider"], b["seen_version"], b["reason"]) for b in bodies] == [
        ("zoho", 7, "rejected"),
        ("zoho", 8, "rejected"),
    ]
    assert all(b["requested_at"] for b in bodies)
    assert {m["Attributes"]["MessageGroupId"] for m in messages} == {"zoho"}
    assert messages[0]["Attributes"]["MessageDeduplicationId"] == "zoho-v7-rejected"


def test_settings_without_the_refresh_queue_fail_on_first_use_naming_it() -> None:
    with pytest.raises(NotConfigured, match="TOKEN_REFRESH_QUEUE_URL"):
        CommonSettings.from_env({"TOKEN_REFRESH_QUEUE_URL": ""})


# ---------------------------------------------------------------- SnsAlerts


def test_alert_is_published_with_subject_kind_and_json_body(aws: Any) -> None:
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="ops")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="ops-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)

    SnsAlerts(topic, stage="test").page("zoho token refresh failed", "boom", kind="token", correlation_id="c-1")

    envelope = json.loads(sqs.receive_message(QueueUrl=queue_url)["Messages"][0]["Body"])
    assert envelope["Subject"] == "[shipsync test] zoho token refresh failed"
    assert envelope["MessageAttributes"]["kind"]["Value"] == "token"
    body = json.loads(envelope["Message"])
    assert {k: body[k] for k in ("kind", "subject", "message", "correlation_id", "stage")} == {
        "kind": "token",
        "subject": "zoho token refresh failed",
        "message": "boom",
        "correlation_id": "c-1",
        "stage": "test",
    }
    assert body["at"].endswith("+00:00")


def test_alert_without_topic_logs_an_error_and_does_not_raise(caplog: pytest.LogCaptureFixture) -> None:
    SnsAlerts("", stage="test").page("subject", "message", kind="k")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "alert not sent: OPS_TOPIC_ARN is not set")
    ]


def test_sns_subject_is_one_printable_ascii_line_of_at_most_100_chars() -> None:
    assert sns_subject("Café\nfailed\t₹ 500") == "Cafe failed 500"
    long = sns_subject("x" * 150)
    assert len(long) == 100
    assert long.endswith("...")
    assert sns_subject("\n\n") == "shipsync alert"


# ---------------------------------------------------------------- token providers (workers)


class MemoryStore:
    """A store whose cache can lag: ``cached`` is served until ``invalidate``."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.truth: dict[str, dict[str, Any]] = {"shiprocket": dict(doc), "zoho": dict(doc)}
        self.cached = {name: dict(value) for name, value in self.truth.items()}
        self.invalidated: list[str] = []

    def get(self, provider: str) -> dict[str, Any]:
        return self.cached[provider]

    def invalidate(self, provider: str) -> None:
        self.invalidated.append(provider)
        self.cached[provider] = dict(self.truth[provider])


class RecordingRequester:
    def __init__(self) -> None:
        self.requests: list[tuple[str, int | None, str]] = []

    def request_refresh(self, provider: str, seen_version: int | None, reason: str) -> None:
        self.requests.append((provider, seen_version, reason))


ZOHO_DOC = {
    "access_token": "1000.abc",
    "api_domain": "https://www.zohoapis.in",
    "organization_id": "60012345678",
    "expires_at": 10_000,
    "version": 4,
}


def test_shiprocket_provider_returns_token_and_version() -> None:
    requester = RecordingRequester()
    assert shiprocket_token_provider(MemoryStore(SHIPROCKET_DOC), requester)() == ("jwt-1", 3)
    assert requester.requests == []


def test_shiprocket_provider_rereads_then_asks_when_missing() -> None:
    store, requester = MemoryStore({"token": "", "version": 0}), RecordingRequester()
    with pytest.raises(TokenMissing):
        shiprocket_token_provider(store, requester)()
    assert store.invalidated == ["shiprocket"]
    assert requester.requests == [("shiprocket", 0, "missing")]


def test_shiprocket_provider_uses_a_token_minted_since_the_cached_read() -> None:
    store, requester = MemoryStore({"token": "", "version": 0}), RecordingRequester()
    store.truth["shiprocket"] = {"token": "jwt-new", "version": 1}
    assert shiprocket_token_provider(store, requester)() == ("jwt-new", 1)
    assert requester.requests == []


def test_zoho_provider_builds_auth_and_never_mints() -> None:
    requester = RecordingRequester()
    auth = zoho_auth_provider(MemoryStore(ZOHO_DOC), requester, clock=lambda: 5_000)()
    assert (auth.access_token, auth.api_domain, auth.organization_id, auth.version) == (
        "1000.abc",
        "https://www.zohoapis.in",
        "60012345678",
        4,
    )
    assert requester.requests == []


def test_zoho_provider_falls_back_to_the_data_centre_host() -> None:
    doc = {**ZOHO_DOC, "api_domain": "", "data_centre": "EU"}
    auth = zoho_auth_provider(MemoryStore(doc), RecordingRequester(), clock=lambda: 5_000)()
    assert auth.api_domain == "https://www.zohoapis.eu"


@pytest.mark.parametrize(
    ("doc", "now", "reason"),
    [
        (ZOHO_DOC, 10_001, "expired"),
        (ZOHO_DOC, 9_990, "expired"),  # inside the safety margin
        ({**ZOHO_DOC, "access_token": ""}, 0, "missing"),
    ],
)
def test_zoho_provider_asks_for_a_token_when_unusable(doc: dict[str, Any], now: float, reason: str) -> None:
    store, requester = MemoryStore(doc), RecordingRequester()
    with pytest.raises(TokenMissing):
        zoho_auth_provider(store, requester, clock=lambda: now)()
    assert store.invalidated == ["zoho"]
    assert requester.requests == [("zoho", 4, reason)]


def test_on_token_rejected_invalidates_and_requests_for_the_seen_version() -> None:
    store, requester = MemoryStore(ZOHO_DOC), RecordingRequester()
    on_token_rejected(TokenRejected("zoho", 4), store, requester)
    assert store.invalidated == ["zoho"]
    assert requester.requests == [("zoho", 4, "rejected")]
