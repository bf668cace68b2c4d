"""``shipsync doctor``: a deployment's configuration checked end to end without changing anything
(``shipsync.ops.doctor`` judges; this module reads Secrets Manager, SNS and the stack's outputs with boto3, and hands
the doctor the provider clients the functions use).

Exit 0: every check that an API can answer is ok (the ones no API answers are listed with the step to check them by
hand); 1: problems found; 2: a check could not be made (no access, a provider not answering), or no stack.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

if TYPE_CHECKING:
    from shipsync.domain.models import ZohoCustomFieldDefinition, ZohoLocation
    from shipsync.ops.doctor import DoctorReport, DoctorTarget, Subscription

T = TypeVar("T")

# 2 is the CLI's "could not run" (shipsync_cli.app).
OK, PROBLEMS, CANNOT_RUN = 0, 1, 2
# The routes' paths (template.yaml): a local stack serves them under its state file's ``api``.
ZOHO_WEBHOOK_PATH = "/webhooks/zoho/salesorders"
STATUS_WEBHOOK_PATH = "/webhooks/shipment-status"
# The stack outputs that carry the same URLs when deployed.
ZOHO_WEBHOOK_OUTPUT = "ZohoSalesOrderWebhookUrl"
STATUS_WEBHOOK_OUTPUT = "ShipmentStatusWebhookUrl"


def add_doctor(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    doctor = commands.add_parser(
        "doctor",
        help="check the deployment's configuration end to end: secrets, tokens, Zoho fields, pickups, webhooks, alarms",
        description=(
            "Check, without changing anything: the three secrets have their keys, the stored Zoho and Shiprocket "
            "tokens are accepted (one read each), Zoho has the sales-order custom fields shipsync uses under their "
            "API names, the Shiprocket pickup locations are registered, active and verified (`shipsync pickups`), "
            "the stack's Shiprocket webhook URL holds none of the words Shiprocket refuses, and the alert topic has "
            "a confirmed subscription. What no API can tell (Zoho's workflow rules, Shiprocket's webhook setting) is "
            "printed as a step to check by hand. Exit 0: all ok; 1: problems; 2: something could not be checked."
        ),
    )
    doctor.add_argument("--json", action="store_true", help="print the result as JSON")
    doctor.set_defaults(command=doctor_command)


def doctor_command(args: argparse.Namespace, out: TextIO) -> int:
    report = _run(args)
    where = _target_name(args)
    if args.json:
        print(json.dumps({"target": where, **report.as_dict()}, indent=2), file=out)
    else:
        print(render(report, where), file=out)
    return exit_code(report)


def exit_code(report: DoctorReport) -> int:
    """Problems first: a run that found one is 1 even if another check could not be made."""
    return PROBLEMS if report.problems else CANNOT_RUN if report.unchecked else OK


def _run(args: argparse.Namespace) -> DoctorReport:
    import boto3

    from shipsync import wiring
    from shipsync.ops.doctor import Doctor
    from shipsync.orders.wiring import pickup_setup

    # Made after the CLI took on the stack's environment: a local stack's points boto3 at moto.
    session = boto3.session.Session(region_name=args.region)
    doctor = Doctor(
        _target(args, session),
        secrets=SecretsManagerReader(session.client("secretsmanager")),
        zoho=ZohoReads(wiring.zoho_client()),
        shiprocket=wiring.shiprocket_client(),
        # Built when called: a malformed warehouse mapping is then the check's finding, not the command's end.
        pickups=lambda: _limiter_errors_named(lambda: pickup_setup().run(register=False)),
        topics=SnsSubscriptions(session.client("sns")),
        clock=time.time,
    )
    return doctor.run()


def _target_name(args: argparse.Namespace) -> str:
    return f"stack {args.stack}" if args.stack else f"local stack {_state_file(args)}"


def _state_file(args: argparse.Namespace) -> Path:
    from shipsync_cli.app import DEFAULT_STATE_FILE

    return Path(args.local_stack or DEFAULT_STATE_FILE)


def _target(args: argparse.Namespace, session: Any) -> DoctorTarget:
    from shipsync import wiring
    from shipsync.ops.doctor import SHIPROCKET, WEBHOOKS, ZOHO, DoctorTarget
    from shipsync.orders.wiring import settings as order_settings

    common, order = wiring.common_settings(), order_settings()
    zoho_url, status_url, unavailable = _webhook_urls(args, session)
    return DoctorTarget(
        secret_ids={
            SHIPROCKET: common.shiprocket_secret_id,
            ZOHO: common.zoho_secret_id,
            WEBHOOKS: common.webhook_secret_id,
        },
        ops_topic_arn=common.ops_topic_arn,
        payment_method_field=order.payment_method_field,
        eway_bill_field=order.eway_bill_field,
        zoho_webhook_url=zoho_url,
        shipment_status_webhook_url=status_url,
        urls_unavailable=unavailable,
    )


def _webhook_urls(args: argparse.Namespace, session: Any) -> tuple[str | None, str | None, str]:
    """The stack's own webhook URLs: its outputs when deployed, its state file's ``api`` locally; and, when they are
    not known, why (the checks that need them say so instead of the command stopping)."""
    from shipsync_cli.targets import TargetError, stack_outputs

    if args.stack:
        try:
            outputs = stack_outputs(args.stack, session.client("cloudformation"))
        except TargetError as err:
            return None, None, f"outputs not read: {err}"
        missing = [key for key in (ZOHO_WEBHOOK_OUTPUT, STATUS_WEBHOOK_OUTPUT) if not outputs.get(key)]
        reason = f"no {' or '.join(missing)} output" if missing else ""
        return outputs.get(ZOHO_WEBHOOK_OUTPUT) or None, outputs.get(STATUS_WEBHOOK_OUTPUT) or None, reason
    path = _state_file(args)
    try:
        api = json.loads(path.read_text(encoding="utf-8")).get("api")
    except (OSError, ValueError, AttributeError) as err:
        return None, None, f"{path}: {err}"
    if not isinstance(api, str) or not api:
        return None, None, f"{path} names no api"
    base = api.rstrip("/")
    return base + ZOHO_WEBHOOK_PATH, base + STATUS_WEBHOOK_PATH, ""


class ZohoReads:
    """The Zoho client's reads the doctor makes. Each first takes a place in the shared Zoho limiter, a DynamoDB
    table: an AWS error there (no access to the ledger table) is named as such, not a traceback."""

    def __init__(self, zoho: Any) -> None:
        self._zoho = zoho

    def list_locations(self) -> list[ZohoLocation]:
        return _limiter_errors_named(self._zoho.list_locations)

    def list_salesorder_custom_fields(self) -> list[ZohoCustomFieldDefinition]:
        return _limiter_errors_named(self._zoho.list_salesorder_custom_fields)


def _limiter_errors_named(call: Callable[[], T]) -> T:
    from botocore.exceptions import BotoCoreError, ClientError

    from shipsync.errors import TransientError

    try:
        return call()
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code") or type(err).__name__
        raise TransientError(f"the Zoho limiter's table (LEDGER_TABLE) could not be used: {code}") from err
    except BotoCoreError as err:
        raise TransientError(
            f"the Zoho limiter's table (LEDGER_TABLE) could not be used: {type(err).__name__}"
        ) from err


class SecretsManagerReader:
    """The secrets as the functions store them, read once each (``secretsmanager:GetSecretValue``). Only the keys
    and a few non-secret values (the data centre) ever leave the doctor; the document is never printed."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def read(self, secret_id: str) -> dict[str, Any]:
        from botocore.exceptions import BotoCoreError, ClientError

        from shipsync.ops.doctor import SecretMalformed, SecretMissing, SecretUnreadable

        try:
            answer = self._client.get_secret_value(SecretId=secret_id)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException":
                raise SecretMissing(secret_id) from err
            raise SecretUnreadable(code or type(err).__name__) from err
        except BotoCoreError as err:
            raise SecretUnreadable(type(err).__name__) from err
        text = answer.get("SecretString")
        if not text:
            raise SecretMalformed("the secret has no text value")
        try:
            document = json.loads(text)
        except ValueError:
            # The value may be a credential pasted as is: the error says what is wrong, never what is there.
            raise SecretMalformed("the value is not JSON") from None
        if not isinstance(document, dict):
            raise SecretMalformed("the value is JSON but not an object")
        return document


class SnsSubscriptions:
    """Every subscription of a topic (``sns:ListSubscriptionsByTopic``, page by page)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def list(self, topic_arn: str) -> list[Subscription]:
        from botocore.exceptions import BotoCoreError, ClientError

        from shipsync.ops.doctor import Subscription, SubscriptionsUnreadable

        found: list[Subscription] = []
        token: str | None = None
        try:
            while True:
                page = self._client.list_subscriptions_by_topic(
                    TopicArn=topic_arn, **({"NextToken": token} if token else {})
                )
                found += [
                    Subscription(
                        protocol=str(entry.get("Protocol") or ""),
                        endpoint=str(entry.get("Endpoint") or ""),
                        subscription_arn=str(entry.get("SubscriptionArn") or ""),
                    )
                    for entry in page.get("Subscriptions", [])
                ]
                token = page.get("NextToken")
                if not token:
                    return found
        except ClientError as err:
            raise SubscriptionsUnreadable(err.response.get("Error", {}).get("Code") or str(err)) from err
        except BotoCoreError as err:
            raise SubscriptionsUnreadable(type(err).__name__) from err


_MARKS = {"ok": "ok", "problem": "PROBLEM", "cannot_check": "NOT CHECKED"}


def render(report: DoctorReport, where: str) -> str:
    from shipsync.ops.doctor import Verdict

    lines = [f"shipsync doctor: {where}"]
    for check in report.checks:
        mark = "BY HAND" if check.manual else _MARKS[check.verdict.value]
        lines.append(f"  {mark:<12} {check.title}: {check.summary}")
        for finding in check.findings:
            kind = f" [{finding.kind}]" if finding.kind else ""
            lines += [f"      {finding.subject}{kind}: {finding.detail}", f"        fix: {finding.fix}"]
        if check.verdict is Verdict.CANNOT_CHECK and check.by_hand:
            lines.append(f"        {'check' if check.manual else 'then'}: {check.by_hand}")
    ok = sum(1 for check in report.checks if check.verdict is Verdict.OK)
    lines.append(
        f"{len(report.checks)} checks: {ok} ok, {len(report.problems)} with problems, {len(report.unchecked)} not "
        f"checked, {len(report.by_hand)} to check by hand."
    )
    return "\n".join(lines)
