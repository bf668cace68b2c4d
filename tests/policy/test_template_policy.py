"""Policy rules over the translated template.

Each ``check_*`` returns a list of violations (strings naming the offending resource). The real
template must have none; each rule is also run against a deliberately broken copy to prove it bites.
"""

from __future__ import annotations

import copy
import fnmatch
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from shipsync.config import CommonSettings

Template = dict[str, Any]
Check = Callable[[Template], list[str]]

FORBIDDEN_URL_PARTS = ("shiprocket", "kartrocket", "sr", "kr")
MIN_MAX_RECEIVE_COUNT = 5
VISIBILITY_TIMEOUT_FACTOR = 6
DEFAULT_VISIBILITY_TIMEOUT = 30
DEFAULT_RETENTION = 345600
DEFAULT_LAMBDA_TIMEOUT = 3

OPS_TOPIC = "OpsAlerts"
# The topic is encrypted with this key: publishing needs these two actions on it, and no role needs more of KMS.
OPS_KEY = "OpsAlertsKey"
OPS_KEY_ACTIONS = {"kms:Decrypt", "kms:GenerateDataKey*"}
TOKEN_MINTER_ROLE = "TokenRefreshFunctionRole"
PROVIDER_SECRETS = {"ShiprocketSecret", "ZohoSecret"}
SECRET_WRITE_ACTIONS = (
    "secretsmanager:PutSecretValue",
    "secretsmanager:UpdateSecret",
    "secretsmanager:UpdateSecretVersionStage",
    "secretsmanager:RotateSecret",
    "secretsmanager:DeleteSecret",
    "secretsmanager:RestoreSecret",
    "secretsmanager:CreateSecret",
    "secretsmanager:PutResourcePolicy",
)
# AWS managed policies SAM attaches on its own (logs, X-Ray, SQS polling) or that API Gateway logging needs.
ALLOWED_MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole",
    "AWSXrayWriteOnlyAccess",
    "AWSLambdaSQSQueueExecutionRole",
    "AmazonAPIGatewayPushToCloudWatchLogs",
}
# Actions that have no resource-level permissions, so Resource "*" is unavoidable.
WILDCARD_RESOURCE_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "cloudwatch:PutMetricData"}
# (metric, Powertools service) pairs ops must be paged for.
BUSINESS_ALARMS = {
    ("ServiceabilityFailed", "order-confirmed"),
    ("AwbFailed", "order-confirmed"),
    ("InvalidOrder", "order-confirmed"),
    ("EwayBillRequired", "order-confirmed"),
    ("NoPickupLocation", "order-confirmed"),
    ("StuckOrders", "order-confirmed"),
    ("CancelRefused", "order-confirmed"),
    ("CancelAfterPickup", "order-confirmed"),
    ("CancelledAtShiprocket", "order-confirmed"),
    ("AmendedAfterPickup", "order-confirmed"),
    ("AmendFailed", "order-confirmed"),
    ("ZohoDailyCapReached", "order-confirmed"),
    ("ShipmentLost", "shipment-status"),
    ("ZohoDailyCapReached", "shipment-status"),
    ("RestockFailed", "rto-restock"),
    ("ZohoDailyCapReached", "rto-restock"),
    ("TokenRefreshFailed", "token-refresh"),
    ("RemittanceMismatch", "cod-remittance"),
    ("UnremittedCod", "cod-remittance"),
    ("WalletLow", "cod-remittance"),
    ("PaymentRefused", "cod-remittance"),
    ("ZohoDailyCapReached", "cod-remittance"),
    ("OrderFailed", "order-confirmed"),
    ("TrackingFailed", "shipment-status"),
    ("MalformedMessage", "order-confirmed"),
    ("MalformedMessage", "shipment-status"),
    ("MalformedMessage", "rto-restock"),
    ("MalformedMessage", "cod-remittance"),
    ("MalformedMessage", "token-refresh"),
}
# Business alarms on a day's count above a configured rate, not on a first occurrence (each occurrence pages).
RATE_ALARMS = {"WeightDiscrepanciesAlarm"}
ADMIN_ROUTES = {
    ("/admin/dlq", "get"),
    ("/tokens/refresh", "post"),
    ("/returns", "post"),
    ("/admin/margin", "get"),
    ("/admin/orders/{salesorder_number}", "get"),
}
# Values the local runner can evaluate.
ENV_GETATT_ATTRIBUTES = {"Arn", "QueueUrl", "QueueName"}
PER_FUNCTION_ENV = {"POWERTOOLS_SERVICE_NAME"}
PASSTHROUGH_ENV_PREFIX = "POWERTOOLS_"

_SUB_VARIABLE = re.compile(r"\$\{(?!!)([A-Za-z0-9:]+)(?:\.[A-Za-z0-9.]+)?\}")


# ----- template helpers -----


def resources(cfn: Template, rtype: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in cfn["Resources"].items() if res.get("Type") == rtype}


def props(resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource.get("Properties", {})
    assert isinstance(properties, dict)
    return properties


def refs(expr: Any) -> set[str]:
    """Logical ids (resources or parameters) an expression refers to through Ref, GetAtt or Sub."""
    found: set[str] = set()
    if isinstance(expr, list):
        for item in expr:
            found |= refs(item)
    elif isinstance(expr, dict):
        for key, value in expr.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                found.add(value[0] if isinstance(value, list) else str(value).split(".", 1)[0])
            elif key == "Fn::Sub":
                text, variables = (value, {}) if isinstance(value, str) else (value[0], value[1])
                found |= {name for name in _SUB_VARIABLE.findall(text) if name not in variables}
                found |= refs(variables)
            else:
                found |= refs(value)
    return {name for name in found if not name.startswith("AWS::")}


def resolve(expr: Any, params: dict[str, str]) -> str | None:
    """Evaluate plain strings, parameter Refs and parameter-only Subs; None when a resource is involved."""
    if isinstance(expr, str | int | float) and not isinstance(expr, bool):
        return str(expr)
    if isinstance(expr, dict) and "Ref" in expr:
        return params.get(expr["Ref"])
    if isinstance(expr, dict) and "Fn::Sub" in expr and isinstance(expr["Fn::Sub"], str):
        unresolved = False

        def substitute(match: re.Match[str]) -> str:
            nonlocal unresolved
            value = params.get(match.group(1))
            unresolved = unresolved or value is None
            return value or ""

        text = _SUB_VARIABLE.sub(substitute, expr["Fn::Sub"])
        return None if unresolved else text
    return None


def stage_parameters(cfn: Template) -> list[dict[str, str]]:
    """One parameter set per allowed Stage, defaults for the rest."""
    defaults = {name: str(p.get("Default", "")) for name, p in cfn.get("Parameters", {}).items()}
    defaults |= {"AWS::Region": "ap-south-1", "AWS::Partition": "aws", "AWS::URLSuffix": "amazonaws.com"}
    stages = cfn["Parameters"]["Stage"].get("AllowedValues", [defaults["Stage"]])
    return [defaults | {"Stage": str(stage)} for stage in stages]


def queue_ids(cfn: Template) -> set[str]:
    return set(resources(cfn, "AWS::SQS::Queue"))


def dlq_ids(cfn: Template) -> set[str]:
    """Redrive targets, plus queues named *DLQ (so a queue that lost its redrive still counts as a DLQ)."""
    queues = resources(cfn, "AWS::SQS::Queue")
    targets = {
        target for q in queues.values() for target in refs(props(q).get("RedrivePolicy", {}).get("deadLetterTargetArn"))
    }
    return (targets | {lid for lid in queues if lid.endswith("DLQ")}) & set(queues)


def work_queue_ids(cfn: Template) -> set[str]:
    return queue_ids(cfn) - dlq_ids(cfn)


def sqs_mappings(cfn: Template) -> Iterator[tuple[str, str, str]]:
    """(mapping id, queue id, function id) for every event source mapping fed by a queue of this template."""
    queues = queue_ids(cfn)
    functions = set(resources(cfn, "AWS::Lambda::Function"))
    for lid, esm in resources(cfn, "AWS::Lambda::EventSourceMapping").items():
        queue = refs(props(esm).get("EventSourceArn")) & queues
        function = refs(props(esm).get("FunctionName")) & functions
        if queue:
            yield lid, queue.pop(), function.pop() if function else ""


def alarms(cfn: Template) -> dict[str, dict[str, Any]]:
    return {lid: props(a) for lid, a in resources(cfn, "AWS::CloudWatch::Alarm").items()}


def alarm_dimensions(alarm: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in alarm.get("Dimensions", [])}


def fires_on_any(alarm: dict[str, Any]) -> bool:
    raw = alarm.get("Threshold", 0)
    if not isinstance(raw, int | float | str):
        return False  # a parameter's threshold: a rate, not a first occurrence
    threshold = float(raw)
    operator = alarm.get("ComparisonOperator")
    return (operator == "GreaterThanThreshold" and threshold < 1) or (
        operator == "GreaterThanOrEqualToThreshold" and threshold <= 1
    )


def function_env(cfn: Template) -> dict[str, dict[str, Any]]:
    return {
        lid: props(fn).get("Environment", {}).get("Variables", {})
        for lid, fn in resources(cfn, "AWS::Lambda::Function").items()
    }


def api_operations(cfn: Template) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(api id, path, method, operation) for every route of every REST API."""
    for api_id, api in resources(cfn, "AWS::ApiGateway::RestApi").items():
        for path, methods in props(api).get("Body", {}).get("paths", {}).items():
            for method, operation in methods.items():
                yield api_id, path, method, operation


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def template_managed_policies(cfn: Template, role_id: str) -> list[str]:
    """This template's AWS::IAM::ManagedPolicy resources in the role's ManagedPolicyArns (a function's Policies entry
    ``!Ref <policy>``)."""
    managed = resources(cfn, "AWS::IAM::ManagedPolicy")
    return [
        arn["Ref"]
        for arn in props(cfn["Resources"][role_id]).get("ManagedPolicyArns", [])
        if isinstance(arn, dict) and arn.get("Ref") in managed
    ]


def role_statements(cfn: Template, role_id: str) -> Iterator[dict[str, Any]]:
    """Statements of a role's inline policies and of this template's managed policies it lists, both branches of
    conditional policies included."""

    def documents(policy: Any) -> Iterator[dict[str, Any]]:
        if isinstance(policy, dict) and "Fn::If" in policy:
            for branch in policy["Fn::If"][1:]:
                yield from documents(branch)
        elif isinstance(policy, dict) and "PolicyDocument" in policy:
            yield policy["PolicyDocument"]

    for policy in props(cfn["Resources"][role_id]).get("Policies", []):
        for document in documents(policy):
            yield from as_list(document.get("Statement", []))
    for policy_id in template_managed_policies(cfn, role_id):
        yield from as_list(props(cfn["Resources"][policy_id])["PolicyDocument"].get("Statement", []))


def matches_any(action: str, patterns: tuple[str, ...] | set[str]) -> bool:
    """True when an IAM action (possibly wildcarded) grants any of ``patterns``."""
    return any(fnmatch.fnmatchcase(p.lower(), action.lower()) for p in patterns)


# ----- checks -----


def check_queue_redrive(cfn: Template) -> list[str]:
    queues = resources(cfn, "AWS::SQS::Queue")
    dlqs = dlq_ids(cfn)
    violations = []
    for lid in sorted(work_queue_ids(cfn)):
        q = props(queues[lid])
        redrive = q.get("RedrivePolicy")
        if not redrive:
            violations.append(f"{lid}: work queue without RedrivePolicy")
            continue
        target = refs(redrive.get("deadLetterTargetArn")) & dlqs
        if not target:
            violations.append(f"{lid}: RedrivePolicy does not point at a DLQ of this template")
            continue
        dlq = props(queues[target.pop()])
        if int(redrive.get("maxReceiveCount", 0)) < MIN_MAX_RECEIVE_COUNT:
            violations.append(f"{lid}: maxReceiveCount {redrive.get('maxReceiveCount')} < {MIN_MAX_RECEIVE_COUNT}")
        if bool(q.get("FifoQueue")) != bool(dlq.get("FifoQueue")):
            violations.append(f"{lid}: queue and DLQ must both be FIFO or both standard")
        # A message keeps its original enqueue time in the DLQ, so a shorter DLQ retention silently drops it.
        if int(dlq.get("MessageRetentionPeriod", DEFAULT_RETENTION)) <= int(
            q.get("MessageRetentionPeriod", DEFAULT_RETENTION)
        ):
            violations.append(f"{lid}: DLQ retention must exceed the queue's")
    return violations


def check_queue_encryption(cfn: Template) -> list[str]:
    return [
        f"{lid}: queue not encrypted at rest"
        for lid, q in sorted(resources(cfn, "AWS::SQS::Queue").items())
        if props(q).get("SqsManagedSseEnabled") not in (True, "true") and not props(q).get("KmsMasterKeyId")
    ]


def check_queue_consumers(cfn: Template) -> list[str]:
    consumed: dict[str, int] = {}
    for _, queue, _ in sqs_mappings(cfn):
        consumed[queue] = consumed.get(queue, 0) + 1
    violations = [f"{q}: work queue has no consumer" for q in sorted(work_queue_ids(cfn)) if q not in consumed]
    violations += [f"{q}: a DLQ must not be consumed by a function" for q in sorted(dlq_ids(cfn)) if q in consumed]
    return violations


def check_dlq_alarms(cfn: Template) -> list[str]:
    violations = []
    for dlq in sorted(dlq_ids(cfn)):
        watched = [
            lid
            for lid, a in alarms(cfn).items()
            if a.get("Namespace") == "AWS/SQS"
            and a.get("MetricName") == "ApproximateNumberOfMessagesVisible"
            and dlq in refs(alarm_dimensions(a).get("QueueName"))
            and fires_on_any(a)
        ]
        if not watched:
            violations.append(f"{dlq}: no alarm on ApproximateNumberOfMessagesVisible > 0")
    return violations


def check_visibility_timeouts(cfn: Template) -> list[str]:
    queues = resources(cfn, "AWS::SQS::Queue")
    functions = resources(cfn, "AWS::Lambda::Function")
    violations = []
    for esm, queue, function in sqs_mappings(cfn):
        if not function:
            violations.append(f"{esm}: consumer function is not in this template")
            continue
        timeout = int(props(functions[function]).get("Timeout", DEFAULT_LAMBDA_TIMEOUT))
        visibility = int(props(queues[queue]).get("VisibilityTimeout", DEFAULT_VISIBILITY_TIMEOUT))
        if visibility < VISIBILITY_TIMEOUT_FACTOR * timeout:
            violations.append(
                f"{queue}: VisibilityTimeout {visibility} < {VISIBILITY_TIMEOUT_FACTOR} x {function} timeout {timeout}"
            )
    return violations


def check_partial_batch_failures(cfn: Template) -> list[str]:
    mappings = resources(cfn, "AWS::Lambda::EventSourceMapping")
    return [
        f"{esm}: SQS mapping without FunctionResponseTypes [ReportBatchItemFailures]"
        for esm, _, _ in sqs_mappings(cfn)
        if "ReportBatchItemFailures" not in props(mappings[esm]).get("FunctionResponseTypes", [])
    ]


def check_url_names(cfn: Template) -> list[str]:
    """Shiprocket refuses webhook URLs containing these substrings: paths, stage and API name must avoid them."""
    violations = []

    def inspect(what: str, text: str | None) -> None:
        if text is None:
            violations.append(f"{what}: cannot be resolved to check it")
            return
        bad = [part for part in FORBIDDEN_URL_PARTS if part in text.lower()]
        if bad:
            violations.append(f"{what}: {text!r} contains {bad}")

    for api_id, path, method, _ in api_operations(cfn):
        inspect(f"{api_id} {method.upper()} {path}", path)
    for params in stage_parameters(cfn):
        for lid, stage in resources(cfn, "AWS::ApiGateway::Stage").items():
            inspect(f"{lid} StageName", resolve(props(stage).get("StageName"), params))
        for lid, api in resources(cfn, "AWS::ApiGateway::RestApi").items():
            inspect(f"{lid} Name", resolve(props(api).get("Name", lid), params))
        for lid, domain in resources(cfn, "AWS::ApiGateway::DomainName").items():
            inspect(f"{lid} DomainName", resolve(props(domain).get("DomainName"), params))
    return violations


def check_route_auth(cfn: Template) -> list[str]:
    violations = []
    seen = set()
    for api_id, path, method, operation in api_operations(cfn):
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if "api_key" in schemes:
            # API Gateway API keys also travel in x-api-key, which carries the webhook secrets.
            violations.append(f"{api_id} {method.upper()} {path}: API key required")
        if (path, method) in ADMIN_ROUTES:
            seen.add((path, method))
            if schemes != {"AWS_IAM"}:
                violations.append(f"{api_id} {method.upper()} {path}: admin route must use AWS_IAM, has {schemes}")
        if "AWS_IAM" in schemes and operation.get("x-amazon-apigateway-integration", {}).get("credentials"):
            violations.append(f"{api_id} {method.upper()} {path}: invokes with caller credentials (InvokeRole)")
    violations += [f"{method.upper()} {path}: admin route missing" for path, method in sorted(ADMIN_ROUTES - seen)]
    return violations


def check_iam(cfn: Template) -> list[str]:
    violations = []
    roles = resources(cfn, "AWS::IAM::Role")
    minter_writes: set[str] = set()
    for role_id, role in sorted(roles.items()):
        own = template_managed_policies(cfn, role_id)
        for arn in props(role).get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and arn.get("Ref") in own:
                continue  # the template's own policy: its statements are checked below as the role's
            name = (resolve(arn, {"AWS::Partition": "aws"}) or "").rsplit("/", 1)[-1]
            if name not in ALLOWED_MANAGED_POLICIES:
                violations.append(f"{role_id}: managed policy {name or arn!r} is not on the allow-list")
        for statement in role_statements(cfn, role_id):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement or "NotResource" in statement:
                violations.append(f"{role_id}: NotAction/NotResource grants too much")
                continue
            actions = [str(a) for a in as_list(statement.get("Action", []))]
            resources_ = as_list(statement.get("Resource", []))
            for action in actions:
                if action == "*" or action.endswith(":*"):
                    violations.append(f"{role_id}: wildcard action {action!r}")
            if "*" in resources_ and not set(actions) <= WILDCARD_RESOURCE_ACTIONS:
                violations.append(f"{role_id}: Resource '*' for {actions}")
            if any(matches_any(action, SECRET_WRITE_ACTIONS) for action in actions):
                if role_id != TOKEN_MINTER_ROLE:
                    violations.append(f"{role_id}: may write secrets; only {TOKEN_MINTER_ROLE} may")
                targets = refs(resources_)
                if not targets or not targets <= PROVIDER_SECRETS or "*" in resources_:
                    violations.append(f"{role_id}: may write secrets other than {sorted(PROVIDER_SECRETS)}")
                elif any(matches_any(action, {"secretsmanager:PutSecretValue"}) for action in actions):
                    minter_writes |= targets
    if TOKEN_MINTER_ROLE in roles and minter_writes != PROVIDER_SECRETS:
        violations.append(f"{TOKEN_MINTER_ROLE}: must be able to PutSecretValue on {sorted(PROVIDER_SECRETS)}")
    return violations


def check_ops_alerts_key(cfn: Template) -> list[str]:
    violations = []
    for role_id in sorted(resources(cfn, "AWS::IAM::Role")):
        publishes, key_actions = False, set()
        for statement in role_statements(cfn, role_id):
            if statement.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in as_list(statement.get("Action", []))]
            targets = refs(statement.get("Resource"))
            publishes = publishes or (OPS_TOPIC in targets and any(matches_any(a, {"sns:Publish"}) for a in actions))
            for action in (a for a in actions if a.lower().startswith("kms:")):
                if action in OPS_KEY_ACTIONS and targets == {OPS_KEY}:
                    key_actions.add(action)
                else:
                    violations.append(f"{role_id}: {action} on {statement.get('Resource')!r} beyond {OPS_KEY} use")
        if publishes and key_actions != OPS_KEY_ACTIONS:
            violations.append(f"{role_id}: publishes to {OPS_TOPIC} without {sorted(OPS_KEY_ACTIONS - key_actions)}")
    return violations


def check_log_groups(cfn: Template) -> list[str]:
    groups = resources(cfn, "AWS::Logs::LogGroup")
    violations = []
    for lid, fn in sorted(resources(cfn, "AWS::Lambda::Function").items()):
        target = refs(props(fn).get("LoggingConfig", {}).get("LogGroup")) & set(groups)
        if not target:
            violations.append(f"{lid}: no explicit log group (LoggingConfig.LogGroup)")
            continue
        group = props(groups[target.pop()])
        if "RetentionInDays" not in group:
            violations.append(f"{lid}: log group without RetentionInDays")
        for params in stage_parameters(cfn):
            name, function_name = (
                resolve(group.get("LogGroupName"), params),
                resolve(props(fn).get("FunctionName"), params),
            )
            if function_name is None or name != f"/aws/lambda/{function_name}":
                violations.append(f"{lid}: log group {name!r} is not /aws/lambda/<FunctionName>")
    return violations


def check_alarm_actions(cfn: Template) -> list[str]:
    violations = []
    for lid, alarm in sorted(alarms(cfn).items()):
        if not alarm.get("AlarmActions"):
            violations.append(f"{lid}: no AlarmActions")
        for key in ("AlarmActions", "OKActions", "InsufficientDataActions"):
            for action in alarm.get(key, []):
                if action != {"Ref": OPS_TOPIC}:
                    violations.append(f"{lid}: {key} {action!r} is not the {OPS_TOPIC} topic")
    return violations


def check_business_alarms(cfn: Template) -> list[str]:
    """Powertools EMF metrics carry exactly one dimension, service = POWERTOOLS_SERVICE_NAME."""
    envs = function_env(cfn)
    namespaces = {env.get("POWERTOOLS_METRICS_NAMESPACE") for env in envs.values()}
    services = {env.get("POWERTOOLS_SERVICE_NAME") for env in envs.values()}
    violations = []
    if len(namespaces) != 1:
        return [f"functions disagree on POWERTOOLS_METRICS_NAMESPACE: {namespaces}"]
    namespace = namespaces.pop()
    covered = set()
    for lid, alarm in sorted(alarms(cfn).items()):
        if alarm.get("Namespace") != namespace:
            continue
        dims = alarm_dimensions(alarm)
        if set(dims) != {"service"} or dims["service"] not in services:
            violations.append(f"{lid}: dimensions {dims} never match a Powertools metric (services {services})")
            continue
        if lid in RATE_ALARMS:
            continue
        if not fires_on_any(alarm):
            violations.append(f"{lid}: does not fire on the first occurrence")
        covered.add((alarm.get("MetricName"), dims["service"]))
    violations += [
        f"no alarm on business metric {metric} (service {service})"
        for metric, service in sorted(BUSINESS_ALARMS - covered)
    ]
    return violations


def check_operational_alarms(cfn: Template) -> list[str]:
    all_alarms = alarms(cfn).values()

    def has(namespace: str, metric: str, dimension: str, target: str) -> bool:
        return any(
            a.get("Namespace") == namespace
            and a.get("MetricName") == metric
            and target in refs(alarm_dimensions(a).get(dimension))
            for a in all_alarms
        )

    violations = [
        f"{fn}: no {metric} alarm"
        for fn in sorted(resources(cfn, "AWS::Lambda::Function"))
        for metric in ("Errors", "Throttles")
        if not has("AWS/Lambda", metric, "FunctionName", fn)
    ]
    violations += [
        f"{q}: no ApproximateAgeOfOldestMessage alarm"
        for q in sorted(work_queue_ids(cfn))
        if not has("AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", q)
    ]
    for params in stage_parameters(cfn):
        for lid, api in resources(cfn, "AWS::ApiGateway::RestApi").items():
            name = resolve(props(api).get("Name"), params)
            if not any(
                a.get("Namespace") == "AWS/ApiGateway"
                and a.get("MetricName") == "5XXError"
                and resolve(alarm_dimensions(a).get("ApiName"), params) == name
                for a in all_alarms
            ):
                violations.append(f"{lid}: no 5XXError alarm for API {name!r}")
    return violations


def _env_value_ok(value: Any) -> bool:
    if isinstance(value, str):
        return True
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((key, arg),) = value.items()
    if key == "Ref":
        return isinstance(arg, str)
    if key == "Fn::GetAtt":
        attribute = str(arg[1]) if isinstance(arg, list) else str(arg).split(".", 1)[-1]
        return attribute in ENV_GETATT_ATTRIBUTES
    return bool(key == "Fn::Sub")


def _settings_fields() -> set[str]:
    classes, fields = [CommonSettings], set()
    while classes:
        cls = classes.pop()
        fields |= set(cls.model_fields)
        classes.extend(cls.__subclasses__())
    return fields


def check_environment(cfn: Template) -> list[str]:
    """The local runner runs every handler in one process from these values."""
    envs = function_env(cfn)
    fields = _settings_fields()
    violations = []
    first_seen: dict[str, tuple[str, Any]] = {}
    service_names: dict[str, str] = {}
    for fn, env in sorted(envs.items()):
        if "POWERTOOLS_SERVICE_NAME" not in env:
            violations.append(f"{fn}: POWERTOOLS_SERVICE_NAME not set")
        elif env["POWERTOOLS_SERVICE_NAME"] in service_names:
            violations.append(
                f"{fn}: POWERTOOLS_SERVICE_NAME shared with {service_names[env['POWERTOOLS_SERVICE_NAME']]}"
            )
        else:
            service_names[env["POWERTOOLS_SERVICE_NAME"]] = fn
        for name, value in sorted(env.items()):
            if not _env_value_ok(value):
                violations.append(
                    f"{fn}: {name} value {value!r} is not a string, Ref, GetAtt Arn/QueueUrl/QueueName or Sub"
                )
            if not name.startswith(PASSTHROUGH_ENV_PREFIX) and name.lower() not in fields:
                violations.append(f"{fn}: {name} is read by no settings field in shipsync.config")
            if name in PER_FUNCTION_ENV:
                continue
            other = first_seen.setdefault(name, (fn, value))
            if other[1] != value:
                violations.append(f"{fn}: {name} differs from {other[0]} ({value!r} != {other[1]!r})")
    return violations


CHECKS: list[Check] = [
    check_queue_redrive,
    check_queue_encryption,
    check_queue_consumers,
    check_dlq_alarms,
    check_visibility_timeouts,
    check_partial_batch_failures,
    check_url_names,
    check_route_auth,
    check_iam,
    check_ops_alerts_key,
    check_log_groups,
    check_alarm_actions,
    check_business_alarms,
    check_operational_alarms,
    check_environment,
]


# ----- the real template -----


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_template_has_no_violations(cfn: Template, check: Check) -> None:
    assert check(cfn) == []


def test_checks_see_the_resources_they_police(cfn: Template) -> None:
    assert work_queue_ids(cfn) == {"OrderQueue", "StatusQueue", "RtoQueue", "RemittanceQueue", "TokenRefreshQueue"}
    assert dlq_ids(cfn) == {"OrderDLQ", "StatusDLQ", "RtoDLQ", "RemittanceDLQ", "TokenRefreshDLQ"}
    assert {(q, f) for _, q, f in sqs_mappings(cfn)} == {
        ("OrderQueue", "OrderConfirmedFunction"),
        ("StatusQueue", "ShipmentStatusFunction"),
        ("RtoQueue", "RtoRestockFunction"),
        ("RemittanceQueue", "CodRemittanceFunction"),
        ("TokenRefreshQueue", "TokenRefreshFunction"),
    }
    assert {(p, m) for _, p, m, _ in api_operations(cfn)} == {
        ("/webhooks/zoho/salesorders", "post"),
        ("/webhooks/shipment-status", "post"),
        ("/webhooks/cod-remittance", "post"),
        ("/webhooks/wallet-statement", "post"),
        ("/admin/dlq", "get"),
        ("/admin/margin", "get"),
        ("/admin/orders/{salesorder_number}", "get"),
        ("/returns", "post"),
        ("/tokens/refresh", "post"),
    }
    assert {s["Sid"] for s in role_statements(cfn, TOKEN_MINTER_ROLE) if "Sid" in s} >= {"ReadAndWriteProviderTokens"}


def _alarm_summary(alarm: dict[str, Any], params: dict[str, str]) -> dict[str, Any]:
    return {
        "name": resolve(alarm["AlarmName"], params),
        "description": alarm["AlarmDescription"],
        "metric": (alarm["Namespace"], alarm["MetricName"]),
        "dimensions": {d["Name"]: refs(d["Value"]) or d["Value"] for d in alarm["Dimensions"]},
        "statistic": alarm["Statistic"],
        "periods": (alarm["Period"], alarm["EvaluationPeriods"]),
        "threshold": alarm["Threshold"],
    }


def test_alarms_are_the_alarm_table(source_template: Template, cfn: Template) -> None:
    """The Fn::ForEach loops give every row of the alarm table (Mappings) its alarms, under the logical ids ops know."""
    table = source_template["Mappings"]
    queues, functions, business = table["QueueAlarmTable"], table["FunctionAlarmTable"], table["BusinessAlarmTable"]
    assert {f"{q}Queue" for q in queues} == work_queue_ids(cfn)
    assert {f"{q}DLQ" for q in queues} == dlq_ids(cfn)
    assert {f"{f}Function": row["Service"] for f, row in functions.items()} == {
        fn: env["POWERTOOLS_SERVICE_NAME"] for fn, env in function_env(cfn).items()
    }
    assert {(row["Metric"], row["Service"]) for row in business.values()} == BUSINESS_ALARMS

    for params in stage_parameters(cfn):
        prefix = f"shipsync-{params['Stage']}"
        expected: dict[str, dict[str, Any]] = {}
        for q, row in queues.items():
            expected[f"{q}DLQAlarm"] = {
                "name": f"{prefix}-{row['Name']}-dlq-not-empty",
                "description": row["DlqDescription"],
                "metric": ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
                "dimensions": {"QueueName": {f"{q}DLQ"}},
                "statistic": "Maximum",
                "periods": (60, 1),
                "threshold": 0,
            }
            expected[f"{q}QueueAgeAlarm"] = {
                "name": f"{prefix}-{row['Name']}-queue-age",
                "description": row["AgeDescription"],
                "metric": ("AWS/SQS", "ApproximateAgeOfOldestMessage"),
                "dimensions": {"QueueName": {f"{q}Queue"}},
                "statistic": "Maximum",
                "periods": (300, 1),
                "threshold": 900,
            }
        for f, row in functions.items():
            expected[f"{f}ErrorsAlarm"] = {
                "name": f"{prefix}-{row['Service']}-errors",
                "description": f"{row['Service']} raised unhandled errors.",
                "metric": ("AWS/Lambda", "Errors"),
                "dimensions": {"FunctionName": {f"{f}Function"}},
                "statistic": "Sum",
                "periods": (300, 1),
                "threshold": 0,
            }
            expected[f"{f}ThrottlesAlarm"] = {
                "name": f"{prefix}-{row['Service']}-throttles",
                "description": row["ThrottlesDescription"],
                "metric": ("AWS/Lambda", "Throttles"),
                "dimensions": {"FunctionName": {f"{f}Function"}},
                "statistic": "Sum",
                "periods": (300, row["ThrottlesEvaluationPeriods"]),
                "threshold": 0,
            }
        for b, row in business.items():
            expected[f"{b}Alarm"] = {
                "name": f"{prefix}-{row['Name']}",
                "description": row["Description"],
                "metric": ("shipsync", row["Metric"]),
                "dimensions": {"service": row["Service"]},
                "statistic": row["Statistic"],
                "periods": (300, 1),
                "threshold": 0,
            }
        apart = {"ApiServerErrorsAlarm", *RATE_ALARMS}
        generated = {lid: _alarm_summary(a, params) for lid, a in alarms(cfn).items() if lid not in apart}
        assert generated == expected
        names = [resolve(a["AlarmName"], params) for a in alarms(cfn).values()]
        assert len(set(names)) == len(names) == len(expected) + len(apart)


def test_a_day_of_weight_discrepancies_above_the_configured_rate_alarms(cfn: Template) -> None:
    alarm = alarms(cfn)["WeightDiscrepanciesAlarm"]
    assert (alarm["Namespace"], alarm["MetricName"], alarm_dimensions(alarm)) == (
        "shipsync",
        "WeightDiscrepancy",
        {"service": "cod-remittance"},
    )
    assert (alarm["Statistic"], alarm["Period"], alarm["ComparisonOperator"]) == ("Sum", 86400, "GreaterThanThreshold")
    assert alarm["Threshold"] == {"Ref": "WeightDiscrepanciesPerDay"}
    assert refs(alarm["AlarmActions"]) == {"OpsAlerts"}


def test_order_queue_worker_is_throttled_for_zoho(cfn: Template) -> None:
    mapping = props(cfn["Resources"]["OrderConfirmedFunctionOrderQueueMessages"])
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 5}
    assert mapping["BatchSize"] == 5


def test_status_and_rto_workers_are_throttled_for_zoho(cfn: Template) -> None:
    status = props(cfn["Resources"]["ShipmentStatusFunctionStatusQueueMessages"])
    assert status["BatchSize"] == 10
    assert "MaximumBatchingWindowInSeconds" not in status  # not supported on FIFO event sources
    assert status["ScalingConfig"] == {"MaximumConcurrency": 5}
    rto = props(cfn["Resources"]["RtoRestockFunctionRtoQueueMessages"])
    assert rto["BatchSize"] == 5
    assert rto["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_shipment_status_webhook_is_open_for_shiprocket_and_polls_tracking(cfn: Template) -> None:
    operations = {(p, m): op for _, p, m, op in api_operations(cfn)}
    # Shiprocket cannot sign requests: the function checks its x-api-key token, API Gateway must not.
    assert operations[("/webhooks/shipment-status", "post")]["security"] == [{"NONE": []}]
    rules = [
        props(rule)
        for rule in resources(cfn, "AWS::Events::Rule").values()
        if "ShipmentStatusFunction" in refs(props(rule).get("Targets"))
    ]
    assert [(r["ScheduleExpression"], r["Targets"][0]["Input"]) for r in rules] == [
        ("rate(30 minutes)", '{"poll": "tracking"}')
    ]


def test_remittance_queue_serialises_payments_per_order(cfn: Template) -> None:
    queue = props(cfn["Resources"]["RemittanceQueue"])
    # FIFO message groups (one per AWB) keep two workers from booking the same order's payment at once.
    assert queue["FifoQueue"] is True
    assert queue["ContentBasedDeduplication"] is False  # the function sets its own deduplication ids
    assert props(cfn["Resources"]["RemittanceDLQ"])["FifoQueue"] is True
    mapping = props(cfn["Resources"]["CodRemittanceFunctionRemittanceQueueMessages"])
    assert mapping["BatchSize"] == 10
    assert "MaximumBatchingWindowInSeconds" not in mapping  # not supported on FIFO event sources
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": 2}


def test_cod_remittance_webhook_is_open_and_polls_remittances(cfn: Template) -> None:
    operations = {(p, m): op for _, p, m, op in api_operations(cfn)}
    # Integrators and panel uploads cannot sign requests: the function checks x-api-key, API Gateway must not.
    assert operations[("/webhooks/cod-remittance", "post")]["security"] == [{"NONE": []}]
    # The panel's statement export is uploaded the same way, checked against the same secret by the function.
    assert operations[("/webhooks/wallet-statement", "post")]["security"] == [{"NONE": []}]
    rules = [
        props(rule)
        for rule in resources(cfn, "AWS::Events::Rule").values()
        if "CodRemittanceFunction" in refs(props(rule).get("Targets"))
    ]
    assert sorted((r["ScheduleExpression"], r["Targets"][0]["Input"]) for r in rules) == [
        ("rate(1 hour)", '{"poll": "wallet"}'),
        ("rate(6 hours)", '{"poll": "remittance"}'),
    ]


def test_only_cod_remittance_feeds_the_remittance_queue(cfn: Template) -> None:
    senders = {
        role_id
        for role_id in resources(cfn, "AWS::IAM::Role")
        for statement in role_statements(cfn, role_id)
        if any(matches_any(str(a), {"sqs:SendMessage"}) for a in as_list(statement.get("Action", [])))
        and "RemittanceQueue" in refs(statement.get("Resource"))
    }
    assert senders == {"CodRemittanceFunctionRole"}


def test_only_shipment_status_feeds_the_rto_queue(cfn: Template) -> None:
    # POST /returns books synchronously: rto-restock consumes RtoQueue but never sends to it.
    senders = {
        role_id
        for role_id in resources(cfn, "AWS::IAM::Role")
        for statement in role_statements(cfn, role_id)
        if any(matches_any(str(a), {"sqs:SendMessage"}) for a in as_list(statement.get("Action", [])))
        and "RtoQueue" in refs(statement.get("Resource"))
    }
    assert senders == {"ShipmentStatusFunctionRole"}


def test_only_order_confirmed_reaches_the_idempotency_table(cfn: Template) -> None:
    # Powertools idempotency wraps shipment creation only (wiring.idempotent_shipping).
    users = {
        role_id
        for role_id in resources(cfn, "AWS::IAM::Role")
        for statement in role_statements(cfn, role_id)
        if "IdempotencyTable" in refs(statement.get("Resource"))
    }
    assert users == {"OrderConfirmedFunctionRole"}
    holders = {fn for fn, env in function_env(cfn).items() if "IDEMPOTENCY_TABLE" in env}
    assert holders == {"OrderConfirmedFunction"}


def test_token_refresh_is_a_single_minter(cfn: Template) -> None:
    assert props(cfn["Resources"]["TokenRefreshFunction"])["ReservedConcurrentExecutions"] == 1
    assert props(cfn["Resources"]["TokenRefreshQueue"])["FifoQueue"] is True
    assert props(cfn["Resources"]["StatusQueue"])["FifoQueue"] is True  # one message group per AWB


# ----- broken copies: every rule reports what it guards -----


def _props_of(template: Template, lid: str) -> dict[str, Any]:
    return props(template["Resources"][lid])


def _add_statement(template: Template, function: str, statement: dict[str, Any]) -> None:
    _props_of(template, function)["Policies"].append({"Statement": [statement]})


def _drop_redrive(t: Template) -> None:
    del _props_of(t, "OrderQueue")["RedrivePolicy"]


def _low_receive_count(t: Template) -> None:
    _props_of(t, "OrderQueue")["RedrivePolicy"]["maxReceiveCount"] = 2


def _short_dlq_retention(t: Template) -> None:
    _props_of(t, "OrderDLQ")["MessageRetentionPeriod"] = 60


def _unencrypted_dlq(t: Template) -> None:
    del _props_of(t, "TokenRefreshDLQ")["SqsManagedSseEnabled"]


def _standard_remittance_dlq(t: Template) -> None:
    del _props_of(t, "RemittanceDLQ")["FifoQueue"]
    _props_of(t, "RemittanceDLQ")["QueueName"] = {"Fn::Sub": "shipsync-${Stage}-remittance-dlq"}


def _shared_status_dlq(t: Template) -> None:
    _props_of(t, "RtoQueue")["RedrivePolicy"]["deadLetterTargetArn"] = {"Fn::GetAtt": ["StatusQueue", "Arn"]}


def _no_consumer(t: Template) -> None:
    del _props_of(t, "OrderConfirmedFunction")["Events"]["OrderQueueMessages"]


def _no_dlq_alarm(t: Template) -> None:
    del t["Resources"]["OrderDLQAlarm"]


def _short_visibility(t: Template) -> None:
    _props_of(t, "OrderQueue")["VisibilityTimeout"] = 60


def _short_rto_visibility(t: Template) -> None:
    _props_of(t, "RtoQueue")["VisibilityTimeout"] = 300


def _short_remittance_visibility(t: Template) -> None:
    _props_of(t, "RemittanceQueue")["VisibilityTimeout"] = 180


def _no_remittance_partial_failures(t: Template) -> None:
    events = _props_of(t, "CodRemittanceFunction")["Events"]
    del events["RemittanceQueueMessages"]["Properties"]["FunctionResponseTypes"]


def _no_partial_failures(t: Template) -> None:
    del _props_of(t, "OrderConfirmedFunction")["Events"]["OrderQueueMessages"]["Properties"]["FunctionResponseTypes"]


def _sr_across_words(t: Template) -> None:
    events = _props_of(t, "OrderConfirmedFunction")["Events"]
    events["ZohoSalesOrderWebhook"]["Properties"]["Path"] = "/webhooks/statusrefresh"


def _kr_stage(t: Template) -> None:
    t["Parameters"]["Stage"]["AllowedValues"].append("kr1")


def _shiprocket_in_status_route(t: Template) -> None:
    events = _props_of(t, "ShipmentStatusFunction")["Events"]
    events["ShipmentStatusWebhook"]["Properties"]["Path"] = "/webhooks/shiprocket-status"


def _sr_in_remittance_route(t: Template) -> None:
    _props_of(t, "CodRemittanceFunction")["Events"]["CodRemittanceWebhook"]["Properties"]["Path"] = "/webhooks/cod-srx"


def _open_returns_route(t: Template) -> None:
    _props_of(t, "RtoRestockFunction")["Events"]["CustomerReturn"]["Properties"]["Auth"] = {"Authorizer": "NONE"}


def _open_admin_route(t: Template) -> None:
    _props_of(t, "TokenRefreshFunction")["Events"]["AdminRefresh"]["Properties"]["Auth"] = {"Authorizer": "NONE"}


def _caller_credentials(t: Template) -> None:
    _props_of(t, "ShipsyncApi")["Auth"]["InvokeRole"] = "CALLER_CREDENTIALS"


def _order_confirmed_writes_secret(t: Template) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:PutSecretValue", "Resource": {"Ref": "ZohoSecret"}}
    _add_statement(t, "OrderConfirmedFunction", statement)


def _minter_writes_webhook_secret(t: Template) -> None:
    statement = {"Effect": "Allow", "Action": "secretsmanager:Put*", "Resource": {"Ref": "WebhookSecret"}}
    _add_statement(t, "TokenRefreshFunction", statement)


def _minter_loses_write(t: Template) -> None:
    policies = _props_of(t, "TokenRefreshFunction")["Policies"]
    policies[:] = [
        p for p in policies if "Statement" not in p or p["Statement"][0]["Sid"] != "ReadAndWriteProviderTokens"
    ]


def _wildcard_resource(t: Template) -> None:
    _add_statement(t, "OrderConfirmedFunction", {"Effect": "Allow", "Action": "dynamodb:GetItem", "Resource": "*"})


def _wildcard_action(t: Template) -> None:
    statement = {"Effect": "Allow", "Action": "sqs:*", "Resource": {"Fn::GetAtt": ["OrderQueue", "Arn"]}}
    _add_statement(t, "OrderConfirmedFunction", statement)


def _broad_managed_policy(t: Template) -> None:
    _props_of(t, "TokenRefreshFunction")["Policies"].append("AmazonS3FullAccess")


def _no_log_group(t: Template) -> None:
    del _props_of(t, "TokenRefreshFunction")["LoggingConfig"]


def _misnamed_log_group(t: Template) -> None:
    _props_of(t, "OrderConfirmedLogGroup")["LogGroupName"] = {"Fn::Sub": "/shipsync/${Stage}/order-confirmed"}


def _publisher_without_key(t: Template) -> None:
    _props_of(t, "RtoRestockFunction")["Policies"].remove({"Ref": "OpsAlertsKeyAccessPolicy"})


def _more_kms(t: Template) -> None:
    statement = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": {"Fn::GetAtt": ["OpsAlertsKey", "Arn"]}}
    _add_statement(t, "OrderConfirmedFunction", statement)


def _wildcard_in_managed_policy(t: Template) -> None:
    _props_of(t, "OpsAlertsKeyAccessPolicy")["PolicyDocument"]["Statement"][0]["Resource"] = "*"


def _alarm_elsewhere(t: Template) -> None:
    _props_of(t, "AwbFailedAlarm")["AlarmActions"] = ["arn:aws:sns:ap-south-1:123456789012:someone-else"]


def _no_business_alarm(t: Template) -> None:
    del t["Resources"]["TokenRefreshFailedAlarm"]


def _wrong_service_dimension(t: Template) -> None:
    _props_of(t, "ServiceabilityFailedAlarm")["Dimensions"][0]["Value"] = "order_confirmed"


def _no_remittance_dlq_alarm(t: Template) -> None:
    del t["Resources"]["RemittanceDLQAlarm"]


def _no_mismatch_alarm(t: Template) -> None:
    del t["Resources"]["RemittanceMismatchAlarm"]


def _no_unremitted_alarm(t: Template) -> None:
    del t["Resources"]["UnremittedCodAlarm"]


def _no_payment_refused_alarm(t: Template) -> None:
    del t["Resources"]["PaymentRefusedAlarm"]


def _mismatch_alarm_wrong_service(t: Template) -> None:
    _props_of(t, "RemittanceMismatchAlarm")["Dimensions"][0]["Value"] = "cod_remittance"


def _no_remittance_age_alarm(t: Template) -> None:
    del t["Resources"]["RemittanceQueueAgeAlarm"]


def _no_cod_throttles_alarm(t: Template) -> None:
    del t["Resources"]["CodRemittanceThrottlesAlarm"]


def _no_cod_log_group(t: Template) -> None:
    del _props_of(t, "CodRemittanceFunction")["LoggingConfig"]


def _remittance_queue_differs(t: Template) -> None:
    # A second function reading the variable must see the same queue (one process runs them all locally).
    variables = _props_of(t, "RtoRestockFunction")["Environment"]["Variables"]
    variables["REMITTANCE_QUEUE_URL"] = {"Ref": "RtoQueue"}


def _no_restock_alarm(t: Template) -> None:
    del t["Resources"]["RestockFailedAlarm"]


def _no_status_age_alarm(t: Template) -> None:
    del t["Resources"]["StatusQueueAgeAlarm"]


def _no_errors_alarm(t: Template) -> None:
    del t["Resources"]["OrderConfirmedErrorsAlarm"]


def _no_api_alarm(t: Template) -> None:
    del t["Resources"]["ApiServerErrorsAlarm"]


def _conflicting_env(t: Template) -> None:
    _props_of(t, "TokenRefreshFunction")["Environment"]["Variables"]["STAGE"] = "prod"


def _conditional_env(t: Template) -> None:
    variables = _props_of(t, "OrderConfirmedFunction")["Environment"]["Variables"]
    variables["PICKUP_LOCATION"] = {"Fn::If": ["IsProd", "Primary", "Test"]}


def _rto_queue_differs(t: Template) -> None:
    _props_of(t, "RtoRestockFunction")["Environment"]["Variables"]["RTO_QUEUE_URL"] = {"Ref": "StatusQueue"}


def _misspelt_env(t: Template) -> None:
    _props_of(t, "OrderConfirmedFunction")["Environment"]["Variables"]["PICKUP_POSTCOD"] = "411001"


BREAKAGES: list[tuple[Callable[[Template], None], Check, str]] = [
    (_drop_redrive, check_queue_redrive, "OrderQueue: work queue without RedrivePolicy"),
    (_low_receive_count, check_queue_redrive, "OrderQueue: maxReceiveCount 2"),
    (_short_dlq_retention, check_queue_redrive, "OrderQueue: DLQ retention"),
    (_standard_remittance_dlq, check_queue_redrive, "RemittanceQueue: queue and DLQ must both be FIFO"),
    (_shared_status_dlq, check_queue_consumers, "StatusQueue: a DLQ must not be consumed by a function"),
    (_unencrypted_dlq, check_queue_encryption, "TokenRefreshDLQ"),
    (_no_consumer, check_queue_consumers, "OrderQueue: work queue has no consumer"),
    (_no_dlq_alarm, check_dlq_alarms, "OrderDLQ"),
    (_short_visibility, check_visibility_timeouts, "OrderQueue: VisibilityTimeout 60"),
    (_short_rto_visibility, check_visibility_timeouts, "RtoQueue: VisibilityTimeout 300 < 6 x RtoRestockFunction"),
    (
        _short_remittance_visibility,
        check_visibility_timeouts,
        "RemittanceQueue: VisibilityTimeout 180 < 6 x CodRemittanceFunction",
    ),
    (_no_remittance_partial_failures, check_partial_batch_failures, "CodRemittanceFunctionRemittanceQueueMessages"),
    (_no_partial_failures, check_partial_batch_failures, "OrderConfirmedFunctionOrderQueueMessages"),
    (_sr_across_words, check_url_names, "'/webhooks/statusrefresh' contains ['sr']"),
    (_kr_stage, check_url_names, "'kr1'"),
    (_shiprocket_in_status_route, check_url_names, "'/webhooks/shiprocket-status' contains ['shiprocket']"),
    (_sr_in_remittance_route, check_url_names, "'/webhooks/cod-srx' contains ['sr']"),
    (_open_returns_route, check_route_auth, "/returns: admin route must use AWS_IAM"),
    (_open_admin_route, check_route_auth, "/tokens/refresh: admin route must use AWS_IAM"),
    (_caller_credentials, check_route_auth, "caller credentials"),
    (_order_confirmed_writes_secret, check_iam, "OrderConfirmedFunctionRole: may write secrets"),
    (_minter_writes_webhook_secret, check_iam, "TokenRefreshFunctionRole: may write secrets other than"),
    (_minter_loses_write, check_iam, "TokenRefreshFunctionRole: must be able to PutSecretValue"),
    (_wildcard_resource, check_iam, "OrderConfirmedFunctionRole: Resource '*'"),
    (_wildcard_action, check_iam, "OrderConfirmedFunctionRole: wildcard action 'sqs:*'"),
    (_broad_managed_policy, check_iam, "TokenRefreshFunctionRole: managed policy 'AmazonS3FullAccess'"),
    (_wildcard_in_managed_policy, check_iam, "ShipmentStatusFunctionRole: Resource '*'"),
    (_publisher_without_key, check_ops_alerts_key, "RtoRestockFunctionRole: publishes to OpsAlerts without"),
    (_more_kms, check_ops_alerts_key, "OrderConfirmedFunctionRole: kms:Encrypt"),
    (_no_log_group, check_log_groups, "TokenRefreshFunction: no explicit log group"),
    (_misnamed_log_group, check_log_groups, "OrderConfirmedFunction: log group '/shipsync/dev/order-confirmed'"),
    (_alarm_elsewhere, check_alarm_actions, "AwbFailedAlarm: AlarmActions"),
    (_no_business_alarm, check_business_alarms, "TokenRefreshFailed (service token-refresh)"),
    (_wrong_service_dimension, check_business_alarms, "ServiceabilityFailedAlarm: dimensions"),
    (_no_restock_alarm, check_business_alarms, "RestockFailed (service rto-restock)"),
    (_no_remittance_dlq_alarm, check_dlq_alarms, "RemittanceDLQ"),
    (_no_mismatch_alarm, check_business_alarms, "RemittanceMismatch (service cod-remittance)"),
    (_no_unremitted_alarm, check_business_alarms, "UnremittedCod (service cod-remittance)"),
    (_no_payment_refused_alarm, check_business_alarms, "PaymentRefused (service cod-remittance)"),
    (_mismatch_alarm_wrong_service, check_business_alarms, "RemittanceMismatchAlarm: dimensions"),
    (_no_remittance_age_alarm, check_operational_alarms, "RemittanceQueue: no ApproximateAgeOfOldestMessage alarm"),
    (_no_cod_throttles_alarm, check_operational_alarms, "CodRemittanceFunction: no Throttles alarm"),
    (_no_cod_log_group, check_log_groups, "CodRemittanceFunction: no explicit log group"),
    (_remittance_queue_differs, check_environment, "REMITTANCE_QUEUE_URL differs"),
    (_no_status_age_alarm, check_operational_alarms, "StatusQueue: no ApproximateAgeOfOldestMessage alarm"),
    (_no_errors_alarm, check_operational_alarms, "OrderConfirmedFunction: no Errors alarm"),
    (_no_api_alarm, check_operational_alarms, "ShipsyncApi: no 5XXError alarm"),
    (_conflicting_env, check_environment, "TokenRefreshFunction: STAGE differs"),
    (_conditional_env, check_environment, "OrderConfirmedFunction: PICKUP_LOCATION value"),
    (_rto_queue_differs, check_environment, "ShipmentStatusFunction: RTO_QUEUE_URL differs"),
    (_misspelt_env, check_environment, "PICKUP_POSTCOD is read by no settings field"),
]


@pytest.mark.parametrize(("breakage", "check", "expected"), BREAKAGES, ids=[b[0].__name__[1:] for b in BREAKAGES])
def test_check_reports_a_broken_template(
    source_template: Template,
    translate: Callable[[Template], Template],
    breakage: Callable[[Template], None],
    check: Check,
    expected: str,
) -> None:
    broken = copy.deepcopy(source_template)
    breakage(broken)
    violations = check(translate(broken))
    assert any(expected in v for v in violations), violations
