"""``shipsync doctor`` (issue 15): a deployment's configuration checked end to end, changing nothing, each problem
with the step that fixes it.

The verdicts are pure functions of what was read (``check_*``); ``Doctor`` reads through small ports (the CLI hands
it boto3 and the provider clients) and decides which checks can run. A provider check runs only on a token that the
token store already holds and that has not expired: the token providers ask token-refresh for a token they lack, a
queue write a read-only command must not make, so the doctor reports a missing or stale token instead of calling.

Each check ends ``ok``, ``problem`` or ``cannot_check``. A check no API can answer (Zoho's workflow rules,
Shiprocket's webhook setting) is ``cannot_check`` with ``manual`` set and the step to check it by hand; any other
``cannot_check`` means this run could not look (a provider down, no access), which is not a clean bill of health.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

from shipsync.config import ZOHO_DATA_CENTRES
from shipsync.domain.models import ShiprocketPickupLocation, ZohoCustomFieldDefinition, ZohoLocation
from shipsync.errors import NotConfigured, ProviderRequestError, ShipsyncError, TokenRejected
from shipsync.orders.pickup_check import PickupCheck
from shipsync.tokens.providers import ZOHO_EXPIRY_MARGIN_S

# docs/providers/shiprocket.md §7: the panel refuses a webhook URL holding any of these (read as substrings of the
# whole URL, the strict reading the simulator applies too).
FORBIDDEN_URL_WORDS = ("shiprocket", "kartrocket", "sr", "kr")
# docs/providers/shiprocket.md §1: a Shiprocket token lives 10 days.
SHIPROCKET_TOKEN_DAYS = 10
# Zoho's answer for an organisation the user does not belong to (docs/providers/zoho.md §3).
_WRONG_ORGANIZATION_CODE = 6041
# Zoho's answer for a path it does not serve (docs/providers/zoho.md §3).
_UNKNOWN_URL_CODE = 5

SHIPROCKET, ZOHO, WEBHOOKS = "shiprocket", "zoho", "webhooks"
_TITLES = {SHIPROCKET: "Shiprocket", ZOHO: "Zoho", WEBHOOKS: "Webhook"}
_REFRESH = 'POST /tokens/refresh {"provider": "%s"} (the admin route), or wait for the token-refresh schedule'
_FIELDS_BY_HAND = (
    "in Zoho Inventory, Settings > Preferences > Sales Orders > Field Customization: every field below must exist, "
    "active, with exactly this API name: {names}"
)


class Verdict(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    CANNOT_CHECK = "cannot_check"


@dataclass(frozen=True)
class Finding:
    """One thing wrong, and the step that fixes it. ``kind`` is for scripts (``missing``, ``unverified``...)."""

    subject: str
    detail: str
    fix: str
    kind: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    verdict: Verdict
    summary: str
    findings: tuple[Finding, ...] = ()
    # A check that could not be made: the step to make it by hand.
    by_hand: str | None = None
    # No API answers it: checking by hand is the only way, not a failure of this run.
    manual: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "check": self.name,
            "title": self.title,
            "verdict": self.verdict.value,
            "summary": self.summary,
            "findings": [
                {"subject": f.subject, "kind": f.kind, "detail": f.detail, "fix": f.fix} for f in self.findings
            ],
            "by_hand": self.by_hand,
            "manual": self.manual,
        }


def passed(name: str, title: str, summary: str) -> Check:
    return Check(name, title, Verdict.OK, summary)


def judged(name: str, title: str, summary: str, findings: Sequence[Finding]) -> Check:
    """A check that looked: a problem when it found anything, else ok."""
    return Check(name, title, Verdict.PROBLEM if findings else Verdict.OK, summary, tuple(findings))


def not_checked(name: str, title: str, reason: str, by_hand: str, *, manual: bool = False) -> Check:
    return Check(name, title, Verdict.CANNOT_CHECK, reason, by_hand=by_hand, manual=manual)


@dataclass
class DoctorReport:
    checks: list[Check] = field(default_factory=list)

    @property
    def problems(self) -> list[Check]:
        return [check for check in self.checks if check.verdict is Verdict.PROBLEM]

    @property
    def unchecked(self) -> list[Check]:
        """What this run could not look at although an API exists for it (a provider down, no access)."""
        return [check for check in self.checks if check.verdict is Verdict.CANNOT_CHECK and not check.manual]

    @property
    def by_hand(self) -> list[Check]:
        return [check for check in self.checks if check.verdict is Verdict.CANNOT_CHECK and check.manual]

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": not self.problems and not self.unchecked,
            "problems": len(self.problems),
            "unchecked": len(self.unchecked),
            "by_hand": len(self.by_hand),
            "checks": [check.as_dict() for check in self.checks],
        }


# ----------------------------------------------------------------------------------------------- what is checked


@dataclass(frozen=True)
class RequiredField:
    """A sales-order custom field shipsync reads or writes by API name (README "Configuration reference")."""

    api_name: str
    label: str
    why: str
    kind: str = "a text field"


def required_salesorder_fields(payment_method_field: str, eway_bill_field: str) -> tuple[RequiredField, ...]:
    """Every sales-order custom field the code uses (``orders/job.py``, ``orders/mapping.py``, ``orders/intent.py``,
    ``tracking/job.py``, ``remittance/job.py``); the two configurable names as the deployment sets them."""
    return (
        RequiredField(
            payment_method_field,
            "Payment Method",
            "reads it to tell COD from prepaid (without it, the payment terms decide)",
            "a drop-down with COD and Prepaid",
        ),
        RequiredField("cf_awb_number", "AWB Number", "writes the AWB there at shipping"),
        RequiredField(
            "cf_shiprocket_order_id", "Shiprocket Order ID", "writes the Shiprocket order id there at shipping"
        ),
        RequiredField("cf_courier_partner", "Courier Partner", "writes the courier there at shipping"),
        RequiredField("cf_shipment_status", "Shipment Status", "writes every status change there"),
        RequiredField(
            "cf_shipment_action",
            "Shipment Action",
            "reads it: Cancel there cancels a shipped order",
            "a drop-down with Cancel",
        ),
        RequiredField(eway_bill_field, "E-way Bill No", "reads the e-way bill number of a high-value order from it"),
        RequiredField("cf_label_url", "Label URL", "writes every parcel's label URL there at shipping"),
        RequiredField(
            "cf_expected_delivery",
            "Expected Delivery",
            "writes the expected delivery date there, at shipping and from tracking",
        ),
        RequiredField(
            "cf_cod_remittance_id", "COD Remittance ID", "writes the remittance id there once a COD payment is booked"
        ),
    )


SECRET_KEYS: Mapping[str, tuple[str, ...]] = {
    SHIPROCKET: ("email", "password"),
    ZOHO: ("client_id", "client_secret", "refresh_token", "data_centre", "organization_id"),
    WEBHOOKS: ("zoho_webhook", "shiprocket_webhook", "remittance_webhook"),
}
_KEY_FIXES: Mapping[str, str] = {
    "email": "the e-mail of a Shiprocket API user (panel: Settings > API; not the account's login, no two-factor)",
    "password": "that API user's password",
    "client_id": "the client id of a Zoho self client (api-console.zoho.in or your data centre's)",
    "client_secret": "that client's secret",
    "refresh_token": "a refresh token minted for that client with the Inventory and Books scopes",
    "data_centre": f"the organisation's data centre, one of {', '.join(ZOHO_DATA_CENTRES)}",
    "organization_id": "the organisation's id (Zoho: Settings > Organization Profile)",
    "zoho_webhook": "a random token; the same value goes in the Zoho webhook's x-api-key header",
    "shiprocket_webhook": "the security token set in Shiprocket's webhook settings (Settings > API > Webhooks)",
    "remittance_webhook": "the token integrators send with remittance uploads (until set, the route refuses all)",
}


@dataclass(frozen=True)
class DoctorTarget:
    """What the doctor checks against: the deployment's names and URLs (no secret's value)."""

    secret_ids: Mapping[str, str]
    ops_topic_arn: str
    payment_method_field: str
    eway_bill_field: str
    # The stack's own webhook URLs; None with ``urls_unavailable`` saying why.
    zoho_webhook_url: str | None = None
    shipment_status_webhook_url: str | None = None
    urls_unavailable: str = ""


# ------------------------------------------------------------------------------------------------------ the ports


class SecretMissing(Exception):
    """The secret does not exist."""


class SecretMalformed(Exception):
    """The secret exists and its value is not a JSON object."""


class SecretUnreadable(Exception):
    """This caller could not read the secret (no access, no network): nothing is known of it."""


class SecretReader(Protocol):
    def read(self, secret_id: str) -> Mapping[str, Any]: ...


class ZohoSettingsApi(Protocol):
    def list_locations(self) -> list[ZohoLocation]: ...
    def list_salesorder_custom_fields(self) -> list[ZohoCustomFieldDefinition]: ...


class ShiprocketSettingsApi(Protocol):
    def list_pickup_locations(self) -> list[ShiprocketPickupLocation]: ...


@dataclass(frozen=True)
class Subscription:
    protocol: str
    endpoint: str
    subscription_arn: str

    @property
    def confirmed(self) -> bool:
        # SNS lists an unconfirmed subscription with the ARN "PendingConfirmation" (and a removed one "Deleted").
        return self.subscription_arn.startswith("arn:")


class SubscriptionsUnreadable(Exception):
    """The topic's subscriptions could not be listed."""


class TopicSubscriptions(Protocol):
    def list(self, topic_arn: str) -> list[Subscription]: ...


# ------------------------------------------------------------------------------------------------- the verdicts


def secret_name(secret_id: str) -> str:
    """An ARN's name part, for messages (the template passes ARNs)."""
    return secret_id.split(":secret:", 1)[-1]


def check_secret(provider: str, secret_id: str, document: Mapping[str, Any]) -> Check:
    name = secret_name(secret_id)
    title = f"{_TITLES[provider]} secret ({name})"
    findings = [
        Finding(key, f"{key} is not set", f"set {key} in {name}: {_KEY_FIXES[key]}", "missing_key")
        for key in SECRET_KEYS[provider]
        if document.get(key) in (None, "")
    ]
    data_centre = document.get("data_centre")
    if provider == ZOHO and data_centre not in (None, "") and str(data_centre).upper() not in ZOHO_DATA_CENTRES:
        # A data centre is a region's name, not a secret: it is named.
        findings.append(
            Finding(
                "data_centre",
                f"data_centre is {str(data_centre)!r}",
                f"set data_centre in {name}: {_KEY_FIXES['data_centre']}",
                "invalid_value",
            )
        )
    keys = ", ".join(SECRET_KEYS[provider])
    return judged(f"{provider}_secret", title, f"{keys}: set" if not findings else f"needs {keys}", findings)


def unreadable_secret(provider: str, secret_id: str, error: Exception) -> Check:
    name = secret_name(secret_id)
    title = f"{_TITLES[provider]} secret ({name})"
    if isinstance(error, SecretMissing):
        return judged(
            f"{provider}_secret",
            title,
            "missing",
            [Finding(name, "the secret does not exist", "deploy the stack (it creates it), then fill it", "missing")],
        )
    if isinstance(error, SecretMalformed):
        fix = f"put a JSON object with {', '.join(SECRET_KEYS[provider])} in {name}"
        return judged(f"{provider}_secret", title, "not JSON", [Finding(name, str(error), fix, "not_json")])
    return not_checked(
        f"{provider}_secret",
        title,
        f"could not be read: {error}",
        f"read it with secretsmanager:GetSecretValue (your credentials need it on {name})",
    )


def zoho_token_state(document: Mapping[str, Any], now: float) -> Finding | None:
    """What keeps the stored Zoho token from being used, or None when it can be."""
    if not document.get("access_token"):
        return Finding("access_token", "no Zoho access token stored yet", _token_fix(ZOHO), "token_missing")
    expires_at = _number(document.get("expires_at"))
    # The token provider's own margin: a token this close to its end is one the functions would not use either.
    if expires_at <= now + ZOHO_EXPIRY_MARGIN_S:
        when = _utc(expires_at) if expires_at else "an unknown time"
        return Finding(
            "access_token",
            f"the Zoho access token expired at {when} (they last an hour): token-refresh has not replaced it",
            _token_fix(ZOHO),
            "token_expired",
        )
    return None


def shiprocket_token_state(document: Mapping[str, Any], now: float) -> Finding | None:
    if not document.get("token"):
        return Finding("token", "no Shiprocket token stored yet", _token_fix(SHIPROCKET), "token_missing")
    issued_at = _number(document.get("issued_at"))
    age_days = (now - issued_at) / 86400 if issued_at else None
    if age_days is not None and age_days >= SHIPROCKET_TOKEN_DAYS:
        return Finding(
            "token",
            f"the Shiprocket token was issued {age_days:.0f} days ago (at {_utc(issued_at)}); they last "
            f"{SHIPROCKET_TOKEN_DAYS} days",
            _token_fix(SHIPROCKET),
            "token_expired",
        )
    return None


def _token_fix(provider: str) -> str:
    # Only token-refresh mints (README "Architecture"): the doctor points at it rather than logging in itself.
    return (
        _REFRESH % provider + "; if no token comes, `shipsync dlq` shows the TokenRefreshDLQ's reason and the "
        "token-refresh function's log names the refused credentials"
    )


def check_custom_fields(
    definitions: Sequence[ZohoCustomFieldDefinition], required: Sequence[RequiredField]
) -> list[Finding]:
    """Each required field by its API name: missing, under another API name (same label), or inactive."""
    by_name = {definition.api_name: definition for definition in definitions}
    findings = []
    for wanted in required:
        found = by_name.get(wanted.api_name)
        create = (
            f"create a sales-order custom field with API name {wanted.api_name} (label {wanted.label!r}, "
            f"{wanted.kind}) in Zoho Inventory: Settings > Preferences > Sales Orders > Field Customization"
        )
        if found is not None:
            if found.is_active is False:
                findings.append(
                    Finding(
                        wanted.api_name,
                        f"{wanted.api_name} is inactive; shipsync {wanted.why}",
                        f"mark the field {found.label or wanted.api_name!r} active in Zoho Inventory: Settings > "
                        "Preferences > Sales Orders > Field Customization",
                        "inactive",
                    )
                )
            continue
        # The field made under shipsync's label with another API name: the code writes by API name, so it is missed.
        namesakes = [d for d in definitions if _words(d.label) == _words(wanted.label)]
        if namesakes:
            other = namesakes[0]
            findings.append(
                Finding(
                    wanted.api_name,
                    f"no field has API name {wanted.api_name}; the field {other.label!r} has API name "
                    f"{other.api_name}, which shipsync does not use; shipsync {wanted.why}",
                    f"give the field {other.label!r} the API name {wanted.api_name}, or {create}",
                    "wrong_api_name",
                )
            )
            continue
        findings.append(
            Finding(
                wanted.api_name,
                f"no sales-order custom field has API name {wanted.api_name}; shipsync {wanted.why}",
                create,
                "missing",
            )
        )
    return findings


def forbidden_words(url: str) -> list[str]:
    lowered = url.lower()
    return [word for word in FORBIDDEN_URL_WORDS if word in lowered]


def check_subscriptions(topic_arn: str, subscriptions: Sequence[Subscription]) -> Check:
    title = "alarms subscribed (OpsAlerts)"
    confirmed = [s for s in subscriptions if s.confirmed]
    pending = [s for s in subscriptions if s.subscription_arn == "PendingConfirmation"]
    findings = [
        Finding(
            mask_endpoint(s.protocol, s.endpoint),
            f"the {s.protocol} subscription is pending confirmation: nothing reaches it until it is confirmed",
            "open the link in the e-mail from AWS Notifications (an HTTPS endpoint must answer SNS's "
            "SubscriptionConfirmation), or ask for a new one: SNS console > Subscriptions > Request confirmation",
            "pending",
        )
        for s in pending
    ]
    if not confirmed:
        findings.append(
            Finding(
                topic_arn.rsplit(":", 1)[-1],
                "no confirmed subscription: alarms and pages reach no one",
                "set OpsAlertEmail or OpsAlertHttpsEndpoint (samconfig.toml parameter_overrides), `make deploy`, "
                "then confirm the subscription",
                "no_subscription",
            )
        )
    listed = ", ".join(f"{s.protocol} {mask_endpoint(s.protocol, s.endpoint)}" for s in confirmed) or "none"
    return judged("alarms", title, f"{len(confirmed)} confirmed: {listed}", findings)


def mask_endpoint(protocol: str, endpoint: str) -> str:
    """Enough to recognise a subscription, never a whole address, phone number or URL (which may carry a key)."""
    if protocol in ("email", "email-json"):
        local, _, domain = endpoint.partition("@")
        return f"{local[:1]}***@{domain}" if domain else "***"
    if protocol in ("http", "https"):
        host = re.match(r"^(https?://[^/?#]+)", endpoint)
        return f"{host.group(1)}/..." if host else "***"
    if protocol == "sms":
        digits = re.sub(r"\D", "", endpoint)
        return f"***{digits[-4:]}" if len(digits) >= 4 else "***"
    if endpoint.startswith("arn:"):
        return endpoint.rsplit(":", 1)[-1]
    return "***"


# --------------------------------------------------------------------------------------------------- the doctor


class Doctor:
    def __init__(
        self,
        target: DoctorTarget,
        *,
        secrets: SecretReader,
        zoho: ZohoSettingsApi,
        shiprocket: ShiprocketSettingsApi,
        pickups: Callable[[], PickupCheck],
        topics: TopicSubscriptions,
        clock: Callable[[], float],
    ) -> None:
        self._target = target
        self._secrets = secrets
        self._zoho = zoho
        self._shiprocket = shiprocket
        self._pickups = pickups
        self._topics = topics
        self._clock = clock

    def run(self) -> DoctorReport:
        report = DoctorReport()
        documents: dict[str, Mapping[str, Any] | None] = {}
        for provider in (SHIPROCKET, ZOHO, WEBHOOKS):
            check, documents[provider] = self._secret(provider)
            report.checks.append(check)
        zoho_token = self._zoho_token(documents[ZOHO])
        shiprocket_token = self._shiprocket_token(documents[SHIPROCKET])
        report.checks += [zoho_token, shiprocket_token]
        zoho_ready = zoho_token.verdict is Verdict.OK
        shiprocket_ready = shiprocket_token.verdict is Verdict.OK
        report.checks.append(self._custom_fields(zoho_ready))
        report.checks.append(self._zoho_webhook())
        report.checks.append(self._pickup_locations(zoho_ready and shiprocket_ready))
        report.checks += self._shiprocket_webhook()
        report.checks.append(self._alarms())
        return report

    # -- secrets and tokens
    def _secret(self, provider: str) -> tuple[Check, Mapping[str, Any] | None]:
        secret_id = self._target.secret_ids[provider]
        try:
            document = self._secrets.read(secret_id)
        except (SecretMissing, SecretMalformed, SecretUnreadable) as error:
            return unreadable_secret(provider, secret_id, error), None
        return check_secret(provider, secret_id, document), document

    def _zoho_token(self, document: Mapping[str, Any] | None) -> Check:
        name, title = "zoho_token", "Zoho token valid"
        if document is None:
            return not_checked(name, title, "the Zoho secret was not read", "fix the Zoho secret (above) first")
        stale = zoho_token_state(document, self._clock())
        if stale is not None:
            return judged(name, title, "not usable", [stale])
        return self._probe(name, title, ZOHO, "GET /locations", self._zoho.list_locations)

    def _shiprocket_token(self, document: Mapping[str, Any] | None) -> Check:
        name, title = "shiprocket_token", "Shiprocket token valid"
        if document is None:
            return not_checked(name, title, "the Shiprocket secret was not read", "fix the Shiprocket secret first")
        stale = shiprocket_token_state(document, self._clock())
        if stale is not None:
            return judged(name, title, "not usable", [stale])
        return self._probe(
            name, title, SHIPROCKET, "GET /settings/company/pickup", self._shiprocket.list_pickup_locations
        )

    def _probe(self, name: str, title: str, provider: str, call: str, read: Callable[[], object]) -> Check:
        """One cheap read with the stored token: accepted, refused, or no answer to judge by."""
        try:
            read()
        except TokenRejected:
            fix = _token_fix(provider)
            if provider == ZOHO:
                fix += "; a new token refused too lacks a scope (code 57 says both, docs/providers/zoho.md §3)"
            else:
                fix += "; a login refused means the API user's e-mail or password is wrong"
            return judged(
                name,
                title,
                "refused",
                [Finding(call, f"{provider} refused the stored token (401)", fix, "token_rejected")],
            )
        except ProviderRequestError as error:
            if provider == ZOHO and error.code == _WRONG_ORGANIZATION_CODE:
                finding = Finding(
                    "organization_id",
                    "Zoho says this user is not in the organisation the secret names (code 6041)",
                    f"set organization_id in the Zoho secret: {_KEY_FIXES['organization_id']}",
                    "wrong_organization",
                )
                return judged(name, title, "refused", [finding])
            return not_checked(name, title, f"{call}: {error}", f"run the doctor again; {provider} answered an error")
        except ShipsyncError as error:
            return not_checked(name, title, f"{call}: {error}", f"run the doctor again once {provider} answers")
        return passed(name, title, f"accepted ({call})")

    # -- Zoho
    def _custom_fields(self, zoho_ready: bool) -> Check:
        name, title = "zoho_custom_fields", "Zoho custom fields (sales orders)"
        required = required_salesorder_fields(self._target.payment_method_field, self._target.eway_bill_field)
        by_hand = _FIELDS_BY_HAND.format(names=", ".join(field.api_name for field in required))
        if not zoho_ready:
            return not_checked(name, title, "needs a usable Zoho token (above)", by_hand)
        try:
            definitions = self._zoho.list_salesorder_custom_fields()
        except ProviderRequestError as error:
            # GET /settings/preferences is not in Zoho's published specs (docs/providers/zoho.md §17): an
            # organisation that does not serve it leaves the check to a person, it is not this run's failure.
            unserved = error.code == _UNKNOWN_URL_CODE or error.http_status == 404
            reason = f"Zoho does not answer GET /settings/preferences here ({error})" if unserved else str(error)
            return not_checked(name, title, reason, by_hand, manual=unserved)
        except ShipsyncError as error:
            return not_checked(name, title, f"GET /settings/preferences: {error}", by_hand)
        findings = check_custom_fields(definitions, required)
        summary = f"{len(required) - len(findings)} of {len(required)} present and active"
        return judged(name, title, summary, findings)

    def _zoho_webhook(self) -> Check:
        url = self._target.zoho_webhook_url or f"the ZohoSalesOrderWebhookUrl output ({self._target.urls_unavailable})"
        secret = secret_name(self._target.secret_ids[WEBHOOKS])
        return not_checked(
            "zoho_webhook",
            "Zoho webhook and workflow rules point at the stack",
            "Zoho publishes no API to read workflow rules or webhooks (docs/providers/zoho.md §6, §17)",
            f"in Zoho Inventory, Settings > Automation > Webhooks: a webhook that POSTs to {url} with the custom "
            f"header x-api-key set to zoho_webhook of {secret}; Settings > Automation > Workflow Rules: Sales Order "
            "rules that send it when Status is Confirmed, when cf_shipment_action is updated, when Status is Void and "
            "when the shipping address, phone or line items are updated",
            manual=True,
        )

    # -- Shiprocket
    def _pickup_locations(self, ready: bool) -> Check:
        name, title = "pickup_locations", "Shiprocket pickup locations present and verified"
        by_hand = "`shipsync pickups` once both tokens work"
        if not ready:
            return not_checked(name, title, "needs usable Zoho and Shiprocket tokens (above)", by_hand)
        try:
            check = self._pickups()
        except NotConfigured as error:
            finding = Finding(
                "PICKUP_LOCATIONS_JSON",
                str(error),
                "correct PickupLocationsJson (samconfig.toml parameter_overrides) and `make deploy`",
                "mapping_malformed",
            )
            return judged(name, title, "the warehouse mapping cannot be read", [finding])
        except ShipsyncError as error:
            return not_checked(name, title, str(error), by_hand)
        findings = [
            Finding(f.pickup_location or f.location_id or "mapping", f.detail, f.fix, f.problem.value)
            for f in check.findings
        ]
        points = ", ".join(f"{p.pickup_location} ({p.pincode})" for p in check.points)
        return judged(name, title, f"{len(check.points)} ship from: {points}", findings)

    def _shiprocket_webhook(self) -> list[Check]:
        url = self._target.shipment_status_webhook_url
        name, title = "shiprocket_webhook_url", "Shiprocket webhook URL free of the words Shiprocket rejects"
        if url is None:
            words_check = not_checked(
                name,
                title,
                f"the stack's ShipmentStatusWebhookUrl is not known ({self._target.urls_unavailable})",
                "read it from the stack's outputs and check it holds none of " + ", ".join(FORBIDDEN_URL_WORDS),
            )
        else:
            found = forbidden_words(url)
            finding = Finding(
                url,
                f"the URL holds {', '.join(found)}: Shiprocket's panel refuses it (docs/providers/shiprocket.md §7)",
                "serve the API under a custom domain (API Gateway custom domain name and base path) whose host and "
                "path hold none of " + ", ".join(FORBIDDEN_URL_WORDS),
                "forbidden_word",
            )
            words_check = judged(
                name, title, f"{url}: none of {', '.join(FORBIDDEN_URL_WORDS)}", [finding] if found else []
            )
        secret = secret_name(self._target.secret_ids[WEBHOOKS])
        setting = not_checked(
            "shiprocket_webhook",
            "Shiprocket webhook set in the panel",
            "Shiprocket publishes no API to read its webhook setting (docs/providers/shiprocket.md §7)",
            f"in the Shiprocket panel, Settings > API > Webhooks: URL {url or 'ShipmentStatusWebhookUrl'}, the toggle "
            f"on, security token = shiprocket_webhook of {secret}",
            manual=True,
        )
        return [words_check, setting]

    # -- AWS
    def _alarms(self) -> Check:
        name, title = "alarms", "alarms subscribed (OpsAlerts)"
        topic = self._target.ops_topic_arn
        if not topic:
            finding = Finding(
                "OPS_TOPIC_ARN",
                "the functions name no alert topic: alarms and pages go nowhere",
                "deploy with template.yaml (it sets OPS_TOPIC_ARN to the OpsAlerts topic)",
                "no_topic",
            )
            return judged(name, title, "no topic", [finding])
        try:
            subscriptions = self._topics.list(topic)
        except SubscriptionsUnreadable as error:
            return not_checked(
                name, title, f"could not be listed: {error}", "your credentials need sns:ListSubscriptionsByTopic"
            )
        return check_subscriptions(topic, subscriptions)


def _number(value: Any) -> float:
    try:
        return float(value or 0)
    except (TypeError, ValueError):
        return 0.0


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).isoformat(timespec="seconds")


def _words(text: str | None) -> str:
    """A label compared as its letters and digits: 'AWB No.' and 'awb no' are one label."""
    return re.sub(r"[^a-z0-9]", "", (text or "").lower())
