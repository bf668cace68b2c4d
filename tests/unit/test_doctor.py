"""``shipsync doctor`` (ops.doctor, shipsync_cli.doctor): each check's verdict from fakes of what it reads, the
order in which checks depend on one another (no provider call on a token the store cannot vouch for), what is
never printed, and the exit code."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import pytest
import responses

from local.sim.zoho import DEFAULT_SALESORDER_CUSTOM_FIELDS, ZohoSim
from shipsync.clients.http import new_session
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import ShiprocketPickupLocation, ZohoCustomFieldDefinition, ZohoLocation
from shipsync.errors import NotConfigured, ProviderRequestError, TokenRejected, TransientError
from shipsync.ops.doctor import (
    SHIPROCKET,
    WEBHOOKS,
    ZOHO,
    Doctor,
    DoctorReport,
    DoctorTarget,
    SecretMalformed,
    SecretMissing,
    SecretUnreadable,
    Subscription,
    SubscriptionsUnreadable,
    Verdict,
    forbidden_words,
    mask_endpoint,
    required_salesorder_fields,
)
from shipsync.orders.pickup_check import CheckedPoint, Finding, PickupCheck, Problem
from shipsync_cli.doctor import (
    CANNOT_RUN,
    OK,
    PROBLEMS,
    SecretsManagerReader,
    SnsSubscriptions,
    exit_code,
    render,
)

NOW = 1_760_000_000.0
DAY = 86400
IDS = {
    SHIPROCKET: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:shipsync/prod/shiprocket-Ab12Cd",
    ZOHO: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:shipsync/prod/zoho-Ef34Gh",
    WEBHOOKS: "arn:aws:secretsmanager:ap-south-1:123456789012:secret:shipsync/prod/webhooks-Ij56Kl",
}
TOPIC = "arn:aws:sns:ap-south-1:123456789012:shipsync-prod-OpsAlerts"
STATUS_URL = "https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/prod/webhooks/shipment-status"
ZOHO_URL = "https://a1b2c3d4e5.execute-api.ap-south-1.amazonaws.com/prod/webhooks/zoho/salesorders"
# Values that must never appear in what the doctor prints.
PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, JWT = "hunter2-pw", "zoho-client-secret-9", "1000.live-access", "eyJ.jwt.sig"


def documents() -> dict[str, dict[str, Any]]:
    return {
        IDS[SHIPROCKET]: {"email": "api@seller.example", "password": PASSWORD, "token": JWT, "issued_at": NOW - DAY},
        IDS[ZOHO]: {
            "client_id": "1000.CLIENT",
            "client_secret": CLIENT_SECRET,
            "refresh_token": "1000.refresh",
            "data_centre": "IN",
            "organization_id": "60012345678",
            "access_token": ACCESS_TOKEN,
            "expires_at": NOW + 1800,
        },
        IDS[WEBHOOKS]: {"zoho_webhook": "zw", "shiprocket_webhook": "sw", "remittance_webhook": "rw"},
    }


class FakeSecrets:
    def __init__(self, answers: Mapping[str, dict[str, Any] | Exception]) -> None:
        self.answers = answers

    def read(self, secret_id: str) -> Mapping[str, Any]:
        answer = self.answers[secret_id]
        if isinstance(answer, Exception):
            raise answer
        return answer


def definitions(*, leave_out: tuple[str, ...] = (), **changed: dict[str, Any]) -> list[ZohoCustomFieldDefinition]:
    rows = [dict(row) for row in DEFAULT_SALESORDER_CUSTOM_FIELDS if row["api_name"] not in leave_out]
    for row in rows:
        row.update(changed.get(row["api_name"], {}))
    return [ZohoCustomFieldDefinition.model_validate(row) for row in rows]


class FakeZoho:
    def __init__(
        self, *, locations: Exception | None = None, fields: list[ZohoCustomFieldDefinition] | Exception | None = None
    ) -> None:
        self.calls: list[str] = []
        self._locations = locations
        self._fields = definitions() if fields is None else fields

    def list_locations(self) -> list[ZohoLocation]:
        self.calls.append("locations")
        if self._locations is not None:
            raise self._locations
        return []

    def list_salesorder_custom_fields(self) -> list[ZohoCustomFieldDefinition]:
        self.calls.append("customfields")
        if isinstance(self._fields, Exception):
            raise self._fields
        return self._fields


class FakeShiprocket:
    def __init__(self, error: Exception | None = None) -> None:
        self.calls = 0
        self._error = error

    def list_pickup_locations(self) -> list[ShiprocketPickupLocation]:
        self.calls += 1
        if self._error is not None:
            raise self._error
        return []


class FakeTopics:
    def __init__(self, answer: list[Subscription] | Exception) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def list(self, topic_arn: str) -> list[Subscription]:
        self.asked.append(topic_arn)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


CONFIRMED = Subscription("email", "ops@seller.example", TOPIC + ":6f1e2d3c")
POINTS = [
    CheckedPoint("Primary", "411001", ("1001",), registered=True, active=True, phone_verified=True),
    CheckedPoint("Pune-WH1", "411028", ("1002",), registered=True, active=True, phone_verified=True),
]


def clean_pickups() -> PickupCheck:
    return PickupCheck(points=list(POINTS))


def target(**changes: Any) -> DoctorTarget:
    values: dict[str, Any] = {
        "secret_ids": IDS,
        "ops_topic_arn": TOPIC,
        "payment_method_field": "cf_payment_method",
        "eway_bill_field": "cf_eway_bill_no",
        "zoho_webhook_url": ZOHO_URL,
        "shipment_status_webhook_url": STATUS_URL,
    }
    return DoctorTarget(**(values | changes))


def run(
    *,
    secrets: Mapping[str, dict[str, Any] | Exception] | None = None,
    zoho: FakeZoho | None = None,
    shiprocket: FakeShiprocket | None = None,
    pickups: Callable[[], PickupCheck] = clean_pickups,
    topics: FakeTopics | None = None,
    **target_changes: Any,
) -> DoctorReport:
    doctor = Doctor(
        target(**target_changes),
        secrets=FakeSecrets(documents() if secrets is None else secrets),
        zoho=zoho or FakeZoho(),
        shiprocket=shiprocket or FakeShiprocket(),
        pickups=pickups,
        topics=topics or FakeTopics([CONFIRMED]),
        clock=lambda: NOW,
    )
    return doctor.run()


def verdicts(report: DoctorReport) -> dict[str, str]:
    return {check.name: check.verdict.value for check in report.checks}


def kinds(report: DoctorReport, name: str) -> list[tuple[str, str]]:
    (check,) = [check for check in report.checks if check.name == name]
    return [(finding.subject, finding.kind) for finding in check.findings]


def printed(report: DoctorReport) -> str:
    return render(report, "stack shipsync-prod") + json.dumps(report.as_dict())


# ----------------------------------------------------------------------------------------------- a clean stack

ALL_OK = {
    "shiprocket_secret": "ok",
    "zoho_secret": "ok",
    "webhooks_secret": "ok",
    "zoho_token": "ok",
    "shiprocket_token": "ok",
    "zoho_custom_fields": "ok",
    "zoho_webhook": "cannot_check",
    "pickup_locations": "ok",
    "shiprocket_webhook_url": "ok",
    "shiprocket_webhook": "cannot_check",
    "alarms": "ok",
}


def test_a_clean_deployment_is_ok_but_for_the_two_steps_no_api_can_check() -> None:
    zoho, shiprocket = FakeZoho(), FakeShiprocket()

    report = run(zoho=zoho, shiprocket=shiprocket)

    assert verdicts(report) == ALL_OK
    assert [check.name for check in report.by_hand] == ["zoho_webhook", "shiprocket_webhook"]
    assert (report.problems, report.unchecked, exit_code(report)) == ([], [], OK)
    # One read each to prove the token, one for the fields; the pickup check makes its own.
    assert (zoho.calls, shiprocket.calls) == (["locations", "customfields"], 1)
    # The by-hand steps name where to look and what to find there.
    zoho_webhook, setting = report.by_hand
    assert ZOHO_URL in (zoho_webhook.by_hand or "")
    assert "x-api-key" in (zoho_webhook.by_hand or "")
    assert "Settings > API > Webhooks" in (setting.by_hand or "")
    assert STATUS_URL in (setting.by_hand or "")
    assert "shipsync/prod/webhooks-Ij56Kl" in (setting.by_hand or "")


def test_no_secret_token_or_password_is_ever_printed() -> None:
    text = printed(run())

    for value in (PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, JWT, "1000.refresh", "zw", '"sw"', "rw"):
        assert value not in text
    assert "ops@seller.example" not in text  # a subscription's address is masked
    assert "o***@seller.example" in text


# ---------------------------------------------------------------------------------------------------- secrets


def test_a_secret_missing_keys_names_each_key_and_what_goes_in_it() -> None:
    answers: dict[str, Any] = documents()
    answers[IDS[SHIPROCKET]] |= {"password": ""}
    answers[IDS[ZOHO]] |= {"data_centre": "XX"}
    del answers[IDS[WEBHOOKS]]["remittance_webhook"]

    report = run(secrets=answers)

    assert kinds(report, "shiprocket_secret") == [("password", "missing_key")]
    assert kinds(report, "zoho_secret") == [("data_centre", "invalid_value")]
    assert kinds(report, "webhooks_secret") == [("remittance_webhook", "missing_key")]
    (finding,) = report.checks[2].findings
    assert "the route refuses all" in finding.fix
    assert exit_code(report) == PROBLEMS


def test_a_missing_secret_is_a_problem_and_an_unreadable_one_is_not_checked_nor_are_its_tokens() -> None:
    answers: dict[str, Any] = documents()
    answers[IDS[ZOHO]] = SecretMissing(IDS[ZOHO])
    answers[IDS[SHIPROCKET]] = SecretUnreadable("AccessDeniedException")
    answers[IDS[WEBHOOKS]] = SecretMalformed("the value is not JSON")
    zoho, shiprocket = FakeZoho(), FakeShiprocket()

    report = run(secrets=answers, zoho=zoho, shiprocket=shiprocket)

    assert verdicts(report) == ALL_OK | {
        "zoho_secret": "problem",
        "shiprocket_secret": "cannot_check",
        "webhooks_secret": "problem",
        "zoho_token": "cannot_check",
        "shiprocket_token": "cannot_check",
        "zoho_custom_fields": "cannot_check",
        "pickup_locations": "cannot_check",
    }
    assert kinds(report, "zoho_secret") == [("shipsync/prod/zoho-Ef34Gh", "missing")]
    assert kinds(report, "webhooks_secret") == [("shipsync/prod/webhooks-Ij56Kl", "not_json")]
    assert "AccessDeniedException" in report.checks[0].summary
    # Nothing asked of a provider whose credentials are unknown.
    assert (zoho.calls, shiprocket.calls) == ([], 0)
    assert exit_code(report) == PROBLEMS


# ----------------------------------------------------------------------------------------------------- tokens


def test_a_missing_or_expired_token_is_reported_without_calling_the_provider() -> None:
    answers: dict[str, Any] = documents()
    answers[IDS[ZOHO]] |= {"expires_at": NOW + 10}  # inside the providers' 30 s margin
    answers[IDS[SHIPROCKET]] |= {"token": ""}
    zoho, shiprocket = FakeZoho(), FakeShiprocket()

    report = run(secrets=answers, zoho=zoho, shiprocket=shiprocket)

    assert kinds(report, "zoho_token") == [("access_token", "token_expired")]
    assert kinds(report, "shiprocket_token") == [("token", "token_missing")]
    # A token provider asks token-refresh for a token it lacks (a queue write): the doctor never gets that far.
    assert (zoho.calls, shiprocket.calls) == ([], 0)
    assert verdicts(report)["zoho_custom_fields"] == verdicts(report)["pickup_locations"] == "cannot_check"
    fix = report.checks[3].findings[0].fix
    assert 'POST /tokens/refresh {"provider": "zoho"}' in fix


def test_a_shiprocket_token_past_its_ten_days_is_stale() -> None:
    answers: dict[str, Any] = documents()
    answers[IDS[SHIPROCKET]] |= {"issued_at": NOW - 11 * DAY}

    report = run(secrets=answers)

    assert kinds(report, "shiprocket_token") == [("token", "token_expired")]
    assert "11 days ago" in report.checks[4].findings[0].detail


@pytest.mark.parametrize(
    ("error", "verdict", "kind"),
    [
        (TokenRejected("zoho", 3, "Invalid OAuthtoken"), "problem", "token_rejected"),
        (
            ProviderRequestError("zoho", "This user is not associated with the CompanyID", http_status=400, code=6041),
            "problem",
            "wrong_organization",
        ),
        (TransientError("zoho: HTTP 503: down"), "cannot_check", None),
    ],
)
def test_the_zoho_token_probe_tells_a_refused_token_a_wrong_organisation_and_no_answer_apart(
    error: Exception, verdict: str, kind: str | None
) -> None:
    report = run(zoho=FakeZoho(locations=error))

    assert verdicts(report)["zoho_token"] == verdict
    assert [k for _, k in kinds(report, "zoho_token")] == ([kind] if kind else [])
    assert verdicts(report)["zoho_custom_fields"] == "cannot_check"
    assert exit_code(report) == (CANNOT_RUN if verdict == "cannot_check" else PROBLEMS)


def test_a_refused_shiprocket_token_is_a_problem() -> None:
    report = run(shiprocket=FakeShiprocket(TokenRejected("shiprocket", 4)))

    assert kinds(report, "shiprocket_token") == [("GET /settings/company/pickup", "token_rejected")]
    assert verdicts(report)["pickup_locations"] == "cannot_check"


# ---------------------------------------------------------------------------------------------- custom fields


def test_custom_fields_missing_under_another_api_name_or_inactive_are_each_named() -> None:
    fields = definitions(leave_out=("cf_label_url", "cf_awb_number"), cf_shipment_action={"is_active": False})
    fields.append(ZohoCustomFieldDefinition(api_name="cf_awb_no", label="AWB number"))

    report = run(zoho=FakeZoho(fields=fields))

    assert kinds(report, "zoho_custom_fields") == [
        ("cf_awb_number", "wrong_api_name"),
        ("cf_shipment_action", "inactive"),
        ("cf_label_url", "missing"),
    ]
    wrong, inactive, missing = report.checks[5].findings
    assert "'AWB number' has API name cf_awb_no" in wrong.detail
    assert "give the field 'AWB number' the API name cf_awb_number" in wrong.fix
    assert "mark the field 'Shipment Action' active" in inactive.fix
    assert "API name cf_label_url (label 'Label URL'" in missing.fix
    assert report.checks[5].summary == "7 of 10 present and active"


def test_the_configured_payment_and_eway_field_names_are_the_ones_required() -> None:
    names = [field.api_name for field in required_salesorder_fields("cf_pay_mode", "cf_ewb")]
    assert names[0] == "cf_pay_mode"
    assert "cf_ewb" in names
    assert "cf_payment_method" not in names

    report = run(payment_method_field="cf_pay_mode")

    # The organisation's "Payment Method" field is cf_payment_method, not the configured name.
    assert kinds(report, "zoho_custom_fields") == [("cf_pay_mode", "wrong_api_name")]


def test_an_organisation_without_the_preferences_endpoint_leaves_the_fields_to_a_person() -> None:
    unserved = ProviderRequestError("zoho", "Invalid URL Passed", http_status=404, code=5)

    report = run(zoho=FakeZoho(fields=unserved))

    (check,) = [check for check in report.checks if check.name == "zoho_custom_fields"]
    assert (check.verdict, check.manual) == (Verdict.CANNOT_CHECK, True)
    assert "cf_awb_number" in (check.by_hand or "")
    assert "Field Customization" in (check.by_hand or "")
    assert exit_code(report) == OK


def test_preferences_that_do_not_answer_are_not_checked_and_the_run_is_not_clean() -> None:
    report = run(zoho=FakeZoho(fields=TransientError("zoho: HTTP 502: bad gateway")))

    assert [check.name for check in report.unchecked] == ["zoho_custom_fields"]
    assert exit_code(report) == CANNOT_RUN


# ---------------------------------------------------------------------------------------------------- pickups


def test_pickup_findings_keep_their_kind_and_their_fix() -> None:
    def unverified() -> PickupCheck:
        return PickupCheck(
            points=list(POINTS),
            findings=[
                Finding(Problem.UNVERIFIED, "pickup location 'Pune-WH1' (1002): its phone is not verified", "the OTP")
            ],
        )

    unverified_finding = Finding(
        Problem.UNVERIFIED,
        "pickup location 'Pune-WH1' (1002): its phone is not verified",
        "the OTP",
        "1002",
        "Pune-WH1",
    )
    report = run(pickups=lambda: PickupCheck(points=list(POINTS), findings=[unverified_finding]))

    assert kinds(report, "pickup_locations") == [("Pune-WH1", "unverified")]
    assert report.checks[7].findings[0].fix == "the OTP"
    assert report.checks[7].summary == "2 ship from: Primary (411001), Pune-WH1 (411028)"
    # A finding that names no pickup location falls back to its Zoho location.
    report = run(pickups=unverified)
    assert kinds(report, "pickup_locations") == [("mapping", "unverified")]


def test_a_malformed_warehouse_mapping_is_a_problem_and_a_provider_error_is_not_checked() -> None:
    def malformed() -> PickupCheck:
        raise NotConfigured("PICKUP_LOCATIONS_JSON is not JSON: Expecting value")

    assert kinds(run(pickups=malformed), "pickup_locations") == [("PICKUP_LOCATIONS_JSON", "mapping_malformed")]

    def down() -> PickupCheck:
        raise TransientError("shiprocket: HTTP 502")

    assert verdicts(run(pickups=down))["pickup_locations"] == "cannot_check"


# ------------------------------------------------------------------------------------------------ webhook URL


def test_the_words_shiprocket_refuses_are_found_anywhere_in_the_url() -> None:
    assert forbidden_words("https://abkr12xyz9.execute-api.ap-south-1.amazonaws.com/prod/webhooks/x") == ["kr"]
    assert forbidden_words("https://hooks.seller.example/SR/status") == ["sr"]
    assert forbidden_words("https://my-shiprocket-hooks.example/t") == ["shiprocket"]
    assert forbidden_words(STATUS_URL) == []

    report = run(shipment_status_webhook_url="https://abkr12xyz9.execute-api.ap-south-1.amazonaws.com/prod/webhooks/s")

    assert kinds(report, "shiprocket_webhook_url")[0][1] == "forbidden_word"
    assert "custom domain" in report.checks[8].findings[0].fix


def test_a_url_the_stack_does_not_name_is_not_checked() -> None:
    report = run(
        zoho_webhook_url=None, shipment_status_webhook_url=None, urls_unavailable="no ShipmentStatusWebhookUrl output"
    )

    assert verdicts(report)["shiprocket_webhook_url"] == "cannot_check"
    assert "no ShipmentStatusWebhookUrl output" in report.checks[8].summary
    assert exit_code(report) == CANNOT_RUN


# ----------------------------------------------------------------------------------------------------- alarms


def test_alarms_need_a_confirmed_subscription_and_a_pending_one_is_a_problem() -> None:
    pending = Subscription("email", "oncall@seller.example", "PendingConfirmation")
    pager = Subscription("https", "https://pager.example/hook?key=s3cret", TOPIC + ":1a2b")

    only_pending = run(topics=FakeTopics([pending]))
    assert kinds(only_pending, "alarms") == [
        ("o***@seller.example", "pending"),
        ("shipsync-prod-OpsAlerts", "no_subscription"),
    ]

    both = run(topics=FakeTopics([pending, pager]))
    assert kinds(both, "alarms") == [("o***@seller.example", "pending")]
    assert both.checks[-1].summary == "1 confirmed: https https://pager.example/..."
    assert "s3cret" not in printed(both)

    assert kinds(run(topics=FakeTopics([])), "alarms") == [("shipsync-prod-OpsAlerts", "no_subscription")]
    assert kinds(run(ops_topic_arn=""), "alarms") == [("OPS_TOPIC_ARN", "no_topic")]
    unreadable = run(topics=FakeTopics(SubscriptionsUnreadable("AuthorizationError")))
    assert verdicts(unreadable)["alarms"] == "cannot_check"


def test_endpoints_are_masked_by_protocol() -> None:
    assert mask_endpoint("email", "ops@seller.example") == "o***@seller.example"
    assert mask_endpoint("sms", "+91 98220 11223") == "***1223"
    assert mask_endpoint("https", "https://pager.example:8443/x?token=1") == "https://pager.example:8443/..."
    assert mask_endpoint("sqs", "arn:aws:sqs:ap-south-1:123456789012:alerts-inbox") == "alerts-inbox"
    assert mask_endpoint("application", "something") == "***"


# ---------------------------------------------------------------------------------------- exit code and output


def test_problems_outrank_what_could_not_be_checked() -> None:
    answers: dict[str, Any] = documents()
    answers[IDS[SHIPROCKET]] |= {"token": ""}

    report = run(secrets=answers, zoho=FakeZoho(fields=TransientError("zoho: HTTP 502")))

    assert report.unchecked
    assert report.problems
    assert exit_code(report) == PROBLEMS


def test_the_text_gives_every_finding_its_fix_and_every_manual_check_its_step() -> None:
    report = run(zoho=FakeZoho(fields=definitions(leave_out=("cf_label_url",))))

    text = render(report, "stack shipsync-prod")

    assert text.splitlines()[0] == "shipsync doctor: stack shipsync-prod"
    assert "  PROBLEM      Zoho custom fields (sales orders): 9 of 10 present and active" in text
    assert "      cf_label_url [missing]: no sales-order custom field has API name cf_label_url" in text
    assert "        fix: create a sales-order custom field with API name cf_label_url" in text
    assert "  BY HAND      Zoho webhook and workflow rules point at the stack" in text
    assert text.splitlines()[-1] == "11 checks: 8 ok, 1 with problems, 0 not checked, 2 to check by hand."
    document = report.as_dict()
    assert (document["ok"], document["problems"], document["by_hand"]) == (False, 1, 2)


# ----------------------------------------------------------------------------------- the AWS and Zoho readers


def test_secrets_manager_reader_tells_missing_malformed_and_readable_apart(aws_env: None) -> None:
    client = boto3.client("secretsmanager", region_name="ap-south-1")
    client.create_secret(Name="shipsync/test/zoho", SecretString=json.dumps({"client_id": "c"}))
    client.create_secret(Name="shipsync/test/raw", SecretString="not json at all")
    reader = SecretsManagerReader(client)

    assert reader.read("shipsync/test/zoho") == {"client_id": "c"}
    with pytest.raises(SecretMissing):
        reader.read("shipsync/test/none")
    with pytest.raises(SecretMalformed, match="not JSON") as malformed:
        reader.read("shipsync/test/raw")
    assert "not json at all" not in str(malformed.value)


def test_sns_subscriptions_are_read_page_by_page_and_a_refusal_is_named() -> None:
    class Pages:
        def __init__(self) -> None:
            self.tokens: list[str | None] = []

        def list_subscriptions_by_topic(self, **kwargs: Any) -> dict[str, Any]:
            self.tokens.append(kwargs.get("NextToken"))
            if "NextToken" not in kwargs:
                return {
                    "Subscriptions": [{"Protocol": "email", "Endpoint": "a@b.c", "SubscriptionArn": "arn:1"}],
                    "NextToken": "p2",
                }
            return {
                "Subscriptions": [{"Protocol": "sqs", "Endpoint": "arn:q", "SubscriptionArn": "PendingConfirmation"}]
            }

    pages = Pages()
    found = SnsSubscriptions(pages).list(TOPIC)

    assert [(s.protocol, s.confirmed) for s in found] == [("email", True), ("sqs", False)]
    assert pages.tokens == [None, "p2"]

    from botocore.exceptions import ClientError

    class Refusing:
        def list_subscriptions_by_topic(self, **kwargs: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AuthorizationError", "Message": "no"}}, "ListSubscriptionsByTopic")

    with pytest.raises(SubscriptionsUnreadable, match="AuthorizationError"):
        SnsSubscriptions(Refusing()).list(TOPIC)


API = "https://www.zohoapis.in"


def zoho_client() -> ZohoClient:
    return ZohoClient(
        lambda: ZohoAuth(access_token="1000.t", api_domain=API, organization_id="60012345678", version=1),
        session=new_session(),
        item_cache=ItemCache(),
    )


@pytest.mark.parametrize(
    "body",
    [
        {"code": 0, "message": "success"},
        {"code": 0, "message": "success", "customfields": {"invoice": []}},
        {"code": 0, "message": "success", "customfields": {"salesorder": {"api_name": "cf_x"}}},
        {"code": 0, "message": "success", "customfields": {"salesorder": ["cf_x"]}},
        {"code": 0, "message": "success", "customfields": {"salesorder": [{"label": "No name"}]}},
    ],
)
def test_a_preferences_answer_the_client_cannot_read_is_an_error_never_no_fields(
    rsps: responses.RequestsMock, body: dict[str, Any]
) -> None:
    rsps.get(f"{API}/inventory/v1/settings/preferences", json=body)

    with pytest.raises(ProviderRequestError):
        zoho_client().list_salesorder_custom_fields()


def test_a_definition_named_only_by_placeholder_is_read(rsps: responses.RequestsMock) -> None:
    rows = [{"placeholder": "cf_awb_number", "label": "AWB Number", "is_active": True}]
    rsps.get(f"{API}/inventory/v1/settings/preferences", json={"code": 0, "customfields": {"salesorder": rows}})

    (found,) = zoho_client().list_salesorder_custom_fields()

    assert (found.api_name, found.label, found.is_active) == ("cf_awb_number", "AWB Number", True)


# --------------------------------------------------------------------------------------------- the simulator


def test_the_simulators_custom_fields_are_seeded_whole_or_not_at_all_and_reset_to_the_sellers() -> None:
    sim = ZohoSim()
    default = [row["api_name"] for row in sim._preferences_rows("salesorder")]
    assert default == [row["api_name"] for row in DEFAULT_SALESORDER_CUSTOM_FIELDS]
    assert "cf_cod_remittance_id" in default

    kept = [row for row in DEFAULT_SALESORDER_CUSTOM_FIELDS if row["api_name"] != "cf_label_url"]
    answer = sim.seed({"customfields": {"salesorder": kept}})
    assert answer["seeded"] == {"customfields": ["salesorder"]}
    assert answer["ignored_keys"] == []
    assert "cf_label_url" not in [row["api_name"] for row in sim._preferences_rows("salesorder")]

    with pytest.raises(ValueError, match="api_name"):
        sim.seed({"customfields": {"salesorder": [{"label": "No API name"}]}})
    assert len(sim._preferences_rows("salesorder")) == len(kept)

    sim.reset()
    assert len(sim._preferences_rows("salesorder")) == len(DEFAULT_SALESORDER_CUSTOM_FIELDS)


def test_a_definition_carries_the_id_a_value_of_the_field_carries_on_an_order() -> None:
    sim = ZohoSim()
    sim.seed({"salesorders": [{"salesorder_id": "1", "custom_fields": [{"api_name": "cf_awb_number", "value": "A"}]}]})
    (value,) = sim.records["salesorders"]["1"]["custom_fields"]

    (definition,) = [row for row in sim._preferences_rows("salesorder") if row["api_name"] == "cf_awb_number"]

    assert definition["customfield_id"] == value["customfield_id"]


def test_the_cli_prints_json_and_exits_by_the_report(monkeypatch: pytest.MonkeyPatch) -> None:
    from shipsync_cli import doctor as cli

    report = run(zoho=FakeZoho(fields=definitions(leave_out=("cf_label_url",))))
    monkeypatch.setattr(cli, "_run", lambda args: report)
    monkeypatch.setattr(cli, "_target_name", lambda args: "stack shipsync-prod")
    out = io.StringIO()

    code = cli.doctor_command(_args(json=True), out)

    assert code == PROBLEMS
    document = json.loads(out.getvalue())
    assert document["target"] == "stack shipsync-prod"
    assert [c["check"] for c in document["checks"] if c["verdict"] == "problem"] == ["zoho_custom_fields"]


def _args(**values: Any) -> Any:
    import argparse

    return argparse.Namespace(**({"stack": "shipsync-prod", "local_stack": None, "region": None} | values))
