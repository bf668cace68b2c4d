"""The AWS half of the local stack: an in-process moto server and the template's resources in it.

``MotoServer.acquire()`` starts one moto server per process (reference counted, so a test
session can run the real stack and a fixture stack side by side) and points every boto3
client of the process at it through ``AWS_ENDPOINT_URL``. Requests are served one at a
time: moto's backends are not thread-safe, and a conditional DynamoDB write racing another
one must behave as atomically as it does in AWS (idempotency and the ledger rely on it).
Only long-polling SQS receives run outside that lock, since they wait. ``StackResources`` creates the
template's queues, tables, secrets, topics and parameters there and resolves the
intrinsics (``Ref``, ``GetAtt``, ``Sub``, ``Join``...) the functions' environment uses; the template
itself is read by ``local.cfn_template``.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import secrets
import string
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import boto3

from local.cfn_template import TemplateError

log = logging.getLogger("local.aws")

REGION = "ap-south-1"
ACCOUNT_ID = "123456789012"  # moto's default account
ALERTS_INBOX = "local-ops-alerts-inbox"

_PROCESS_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    # LocalStack.reset purges every queue between tests, more often than AWS's one purge a minute.
    "MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR": "false",
}


def client_environment(url: str) -> dict[str, str]:
    """What another process needs to reach this moto server with boto3 (credentials are moto's dummies)."""
    names = ("AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
    return {**{name: _PROCESS_ENV[name] for name in names}, "AWS_ENDPOINT_URL": url}


# -- the moto server ----------------------------------------------------------------------


class HeldMessages:
    """Receipt handles whose visibility a function set itself (``ChangeMessageVisibility``, one message: the
    local runner's own retries use the batch call). Lambda leaves such a message as the function set it, so the
    runner must not shorten it to its retry delay."""

    def __init__(self) -> None:
        self._handles: set[str] = set()
        self._lock = threading.Lock()

    def add(self, receipt_handle: str) -> None:
        with self._lock:
            self._handles.add(receipt_handle)

    def take(self, receipt_handle: str) -> bool:
        """True (once) if a function held the message received with ``receipt_handle``."""
        with self._lock:
            if receipt_handle in self._handles:
                self._handles.discard(receipt_handle)
                return True
            return False


HELD_BY_FUNCTIONS = HeldMessages()


class _OneAtATime:
    """WSGI middleware running moto's handlers one request at a time (long polls excepted), noting the messages
    a function held (``HELD_BY_FUNCTIONS``)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if _is_long_poll(environ):
            result: Iterable[bytes] = self.app(environ, start_response)
            return result
        held = _held_receipt_handle(environ)
        statuses: list[str] = []

        def noting_status(status: str, *args: Any) -> Any:
            statuses.append(status)
            return start_response(status, *args)

        with self.lock:
            # Drain the response inside the lock: a lazy iterable would run the backend outside it.
            body = list(self.app(environ, noting_status))
        if held and statuses and statuses[0].startswith("200"):
            HELD_BY_FUNCTIONS.add(held)
        return body


def _held_receipt_handle(environ: dict[str, Any]) -> str | None:
    if environ.get("HTTP_X_AMZ_TARGET", "") != "AmazonSQS.ChangeMessageVisibility":
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    with contextlib.suppress(ValueError, AttributeError):
        handle = json.loads(body or b"{}").get("ReceiptHandle")
        return str(handle) if handle else None
    return None


def _is_long_poll(environ: dict[str, Any]) -> bool:
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target and target != "AmazonSQS.ReceiveMessage":
        return False
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    wait: Any = 0
    if target:
        with contextlib.suppress(ValueError):
            wait = json.loads(body or b"{}").get("WaitTimeSeconds", 0)
    elif b"Action=ReceiveMessage" in body:
        wait = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("WaitTimeSeconds", ["0"])[0]
    try:
        return int(wait) > 0
    except (TypeError, ValueError):
        return False


class MotoServer:
    """One moto server per process, started on first ``acquire`` and stopped on the last ``release``."""

    _lock = threading.Lock()
    _users = 0
    _server: Any = None
    _thread: threading.Thread | None = None
    _url = ""
    _saved_env: dict[str, str | None] = {}

    @classmethod
    def acquire(cls) -> str:
        """Start the server if needed and return its URL; the process's boto3 clients now use it."""
        with cls._lock:
            if cls._users == 0:
                from moto.moto_server.werkzeug_app import (
                    DomainDispatcherApplication,
                    MotoRequestHandler,
                    create_backend_app,
                )
                from werkzeug.serving import make_server

                # moto's werkzeug server logs every request at INFO: thousands of lines per run.
                logging.getLogger("werkzeug").setLevel(logging.WARNING)
                app = _OneAtATime(DomainDispatcherApplication(create_backend_app))
                server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=MotoRequestHandler)
                cls._thread = threading.Thread(target=server.serve_forever, name="moto", daemon=True)
                cls._thread.start()
                cls._server = server
                cls._url = f"http://127.0.0.1:{server.port}"
                env = {**_PROCESS_ENV, "AWS_ENDPOINT_URL": cls._url}
                cls._saved_env = {name: os.environ.get(name) for name in [*env, "AWS_PROFILE"]}
                # A profile that does not exist on this machine makes every boto3 session fail.
                os.environ.pop("AWS_PROFILE", None)
                os.environ.update(env)
                log.info("moto server on %s", cls._url)
            cls._users += 1
            return cls._url

    @classmethod
    def release(cls) -> None:
        with cls._lock:
            if cls._users == 0:
                return
            cls._users -= 1
            if cls._users:
                return
            cls._server.shutdown()
            cls._server.server_close()
            if cls._thread is not None:
                cls._thread.join(timeout=10)
            cls._server = cls._thread = None
            cls._url = ""
            for name, value in cls._saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value


def client(service: str) -> Any:
    """A boto3 client for the local moto server (endpoint from the process environment)."""
    return boto3.session.Session().client(service, region_name=REGION)


# -- resources ----------------------------------------------------------------------------

_PSEUDO = {
    "AWS::Region": REGION,
    "AWS::AccountId": ACCOUNT_ID,
    "AWS::Partition": "aws",
    "AWS::URLSuffix": "amazonaws.com",
}
_NO_VALUE = object()


def _random_password(spec: Mapping[str, Any]) -> str:
    alphabet = ""
    if not spec.get("ExcludeLowercase"):
        alphabet += string.ascii_lowercase
    if not spec.get("ExcludeUppercase"):
        alphabet += string.ascii_uppercase
    if not spec.get("ExcludeNumbers"):
        alphabet += string.digits
    if not spec.get("ExcludePunctuation"):
        alphabet += "!#$%&()*+,-.:;<=>?@[]^_{|}~"
    if spec.get("IncludeSpace"):
        alphabet += " "
    excluded = set(str(spec.get("ExcludeCharacters", "")))
    alphabet = "".join(ch for ch in alphabet if ch not in excluded) or string.ascii_letters
    length = int(spec.get("PasswordLength", 32))
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_secret_string(spec: Mapping[str, Any]) -> str:
    """What Secrets Manager's GenerateSecretString produces: a JSON document or a bare password."""
    password = _random_password(spec)
    template = spec.get("SecretStringTemplate")
    key = spec.get("GenerateStringKey")
    if template is None or key is None:
        return password
    document = json.loads(template)
    document[key] = password
    return json.dumps(document)


class StackResources:
    """Creates a template's data resources in moto and resolves intrinsics against them.

    Resources are created lazily in dependency order: resolving ``!GetAtt OrderDLQ.Arn``
    while creating ``OrderQueue`` creates the DLQ first.
    """

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        stack_name: str = "shipsync-local",
        parameters: Mapping[str, str] | None = None,
        alerts_inbox: str = ALERTS_INBOX,
    ) -> None:
        self.template = template
        self.stack_name = stack_name
        self.alerts_inbox = alerts_inbox
        self.resources: dict[str, dict[str, Any]] = dict(template.get("Resources") or {})
        self.parameters = self._parameter_values(parameters or {})
        self.refs: dict[str, str] = {}
        self.attrs: dict[str, dict[str, str]] = {}
        self.types: dict[str, str] = {name: str(res.get("Type", "")) for name, res in self.resources.items()}
        self._creating: set[str] = set()
        self._conditions: dict[str, bool] = {}
        self.alerts_inbox_url = ""
        self._creators: dict[str, Callable[[str, dict[str, Any]], None]] = {
            "AWS::SQS::Queue": self._create_queue,
            "AWS::DynamoDB::Table": self._create_table,
            "AWS::Serverless::SimpleTable": self._create_simple_table,
            "AWS::SecretsManager::Secret": self._create_secret,
            "AWS::SNS::Topic": self._create_topic,
            "AWS::SSM::Parameter": self._create_parameter,
        }

    # -- public -------------------------------------------------------------------------
    def create_all(self) -> None:
        inbox = client("sqs").create_queue(QueueName=self.alerts_inbox)
        self.alerts_inbox_url = inbox["QueueUrl"]
        for logical_id, type_ in self.types.items():
            condition = self.resources[logical_id].get("Condition")
            if type_ not in self._creators or (condition and not self.condition(condition)):
                log.debug("not created locally: %s (%s)", logical_id, type_)
                continue
            self._ensure(logical_id)

    def of_type(self, *types: str) -> list[str]:
        return [name for name, type_ in self.types.items() if type_ in types]

    def queue_url(self, logical_id: str) -> str:
        self._ensure(logical_id)
        return self.attrs[logical_id]["QueueUrl"]

    def resolve(self, value: Any) -> Any:
        """Resolve every intrinsic inside ``value`` (``AWS::NoValue`` entries are dropped)."""
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def ref(self, name: str) -> str:
        if name in _PSEUDO:
            return _PSEUDO[name]
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::StackId":
            return f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{self.stack_name}/local"
        if name in self.parameters:
            return self.parameters[name]
        if name not in self.resources:
            raise TemplateError(f"Ref to unknown parameter or resource {name!r}")
        self._ensure(name)
        return self.refs[name]

    def get_att(self, name: str, attribute: str) -> str:
        if name not in self.resources:
            raise TemplateError(f"GetAtt on unknown resource {name!r}")
        self._ensure(name)
        try:
            return self.attrs[name][attribute]
        except KeyError:
            raise TemplateError(f"GetAtt {name}.{attribute}: attribute not available locally") from None

    # -- parameters and conditions ------------------------------------------------------
    def _parameter_values(self, overrides: Mapping[str, str]) -> dict[str, str]:
        values: dict[str, str] = {}
        for name, spec in (self.template.get("Parameters") or {}).items():
            if name in overrides:
                values[name] = str(overrides[name])
            elif isinstance(spec, dict) and "Default" in spec:
                default = spec["Default"]
                values[name] = ",".join(map(str, default)) if isinstance(default, list) else str(default)
            else:
                raise TemplateError(f"parameter {name} has no Default: pass it in the parameter overrides")
        unknown = set(overrides) - set(values)
        if unknown:
            raise TemplateError(f"parameter overrides for undeclared parameters: {sorted(unknown)}")
        return values

    def condition(self, name: str) -> bool:
        if name not in self._conditions:
            spec = (self.template.get("Conditions") or {}).get(name)
            if spec is None:
                raise TemplateError(f"unknown condition {name!r}")
            self._conditions[name] = self._evaluate(spec)
        return self._conditions[name]

    def _evaluate(self, spec: Any) -> bool:
        if isinstance(spec, dict) and len(spec) == 1:
            ((fn, arg),) = spec.items()
            if fn == "Condition":
                return self.condition(arg)
            if fn == "Fn::Equals":
                left, right = (self.resolve(item) for item in arg)
                return str(left) == str(right)
            if fn == "Fn::Not":
                return not self._evaluate(arg[0])
            if fn == "Fn::And":
                return all(self._evaluate(item) for item in arg)
            if fn == "Fn::Or":
                return any(self._evaluate(item) for item in arg)
        raise TemplateError(f"unsupported condition expression {spec!r}")

    # -- intrinsics ---------------------------------------------------------------------
    def _resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            items = [self._resolve(item) for item in value]
            return [item for item in items if item is not _NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return _NO_VALUE if arg == "AWS::NoValue" else self.ref(arg)
            if key.startswith("Fn::"):
                return self._function(key, arg)
        resolved = {key: self._resolve(item) for key, item in value.items()}
        return {key: item for key, item in resolved.items() if item is not _NO_VALUE}

    def _function(self, name: str, arg: Any) -> Any:
        if name == "Fn::GetAtt":
            target, attribute = arg if isinstance(arg, list) else str(arg).split(".", 1)
            return self.get_att(str(target), str(attribute))
        if name == "Fn::Sub":
            return self._sub(arg)
        if name == "Fn::Join":
            separator, items = arg
            return str(separator).join(str(item) for item in self._resolve(items))
        if name == "Fn::Select":
            index, items = arg
            return self._resolve(items)[int(self._resolve(index))]
        if name == "Fn::Split":
            separator, source = arg
            return str(self._resolve(source)).split(str(separator))
        if name == "Fn::If":
            condition, when_true, when_false = arg
            return self._resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::ToJsonString":
            return json.dumps(self._resolve(arg))
        raise TemplateError(f"intrinsic {name} is not supported by the local stack")

    def _sub(self, arg: Any) -> str:
        if isinstance(arg, list):
            text, variables = str(arg[0]), {k: self._resolve(v) for k, v in (arg[1] or {}).items()}
        else:
            text, variables = str(arg), {}
        out: list[str] = []
        position = 0
        while True:
            start = text.find("${", position)
            if start < 0:
                out.append(text[position:])
                return "".join(out)
            end = text.find("}", start)
            if end < 0:
                raise TemplateError(f"unterminated ${{ in Fn::Sub {text!r}")
            out.append(text[position:start])
            token = text[start + 2 : end]
            if token.startswith("!"):
                out.append("${" + token[1:] + "}")  # ${!Literal} is an escape
            elif token in variables:
                out.append(str(variables[token]))
            elif "." in token and not token.startswith("AWS::"):
                target, attribute = token.split(".", 1)
                out.append(self.get_att(target, attribute))
            else:
                out.append(self.ref(token))
            position = end + 1

    # -- creation -----------------------------------------------------------------------
    def _ensure(self, logical_id: str) -> None:
        if logical_id in self.refs:
            return
        resource = self.resources[logical_id]
        condition = resource.get("Condition")
        if condition and not self.condition(condition):
            raise TemplateError(f"{logical_id} is disabled by condition {condition}")
        if logical_id in self._creating:
            raise TemplateError(f"circular reference through {logical_id}")
        self._creating.add(logical_id)
        try:
            creator = self._creators.get(self.types[logical_id])
            if creator is None:
                self._placeholder(logical_id, resource.get("Properties") or {})
            else:
                creator(logical_id, self.resolve(resource.get("Properties") or {}))
        finally:
            self._creating.discard(logical_id)

    def _default_name(self, logical_id: str) -> str:
        return f"{self.stack_name}-{logical_id}"

    def _placeholder(self, logical_id: str, properties: dict[str, Any]) -> None:
        """Resources that do not exist locally still get a stable name and ARN for Ref/GetAtt."""
        # Only the name is resolved: the rest (policies, events...) has no local meaning.
        type_ = self.types[logical_id]
        explicit = properties.get("FunctionName") or properties.get("Name")
        name = str(self.resolve(explicit) if explicit else self._default_name(logical_id))
        service = type_.split("::")[1].lower() if type_.count("::") >= 2 else "local"
        if type_ == "AWS::Serverless::Function":
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
        else:
            arn = f"arn:aws:{service}:{REGION}:{ACCOUNT_ID}:{name}"
        self.refs[logical_id] = name
        self.attrs[logical_id] = {"Arn": arn, "Name": name}

    def _create_queue(self, logical_id: str, properties: dict[str, Any]) -> None:
        fifo = str(properties.get("FifoQueue", "false")).lower() == "true"
        name = str(properties.get("QueueName") or self._default_name(logical_id) + (".fifo" if fifo else ""))
        attributes: dict[str, str] = {}
        for key in (
            "FifoQueue",
            "ContentBasedDeduplication",
            "VisibilityTimeout",
            "MessageRetentionPeriod",
            "DelaySeconds",
            "ReceiveMessageWaitTimeSeconds",
            "MaximumMessageSize",
            "DeduplicationScope",
            "FifoThroughputLimit",
        ):
            if key in properties:
                value = properties[key]
                attributes[key] = str(value).lower() if isinstance(value, bool) else str(value)
        if "RedrivePolicy" in properties:
            policy = properties["RedrivePolicy"]
            attributes["RedrivePolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        url = client("sqs").create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
        self.refs[logical_id] = url
        self.attrs[logical_id] = {"Arn": arn, "QueueUrl": url, "QueueName": name}
        log.debug("queue %s -> %s", logical_id, name)

    def _create_table(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(properties.get("TableName") or self._default_name(logical_id))
        billing = str(properties.get("BillingMode", "PROVISIONED"))
        request: dict[str, Any] = {
            "TableName": name,
            "KeySchema": properties["KeySchema"],
            "AttributeDefinitions": properties["AttributeDefinitions"],
            "BillingMode": billing,
        }
        if billing == "PROVISIONED":
            request["ProvisionedThroughput"] = _throughput(properties.get("ProvisionedThroughput"))
        indexes = []
        for index in properties.get("GlobalSecondaryIndexes") or []:
            entry = {key: index[key] for key in ("IndexName", "KeySchema", "Projection") if key in index}
            if billing == "PROVISIONED":
                entry["ProvisionedThroughput"] = _throughput(index.get("ProvisionedThroughput"))
            indexes.append(entry)
        if indexes:
            request["GlobalSecondaryIndexes"] = indexes
        if properties.get("LocalSecondaryIndexes"):
            request["LocalSecondaryIndexes"] = properties["LocalSecondaryIndexes"]
        stream = properties.get("StreamSpecification")
        if stream:
            request["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": stream["StreamViewType"]}
        dynamodb = client("dynamodb")
        try:
            description = dynamodb.create_table(**request)["TableDescription"]
        except dynamodb.exceptions.ResourceInUseException:
            description = dynamodb.describe_table(TableName=name)["Table"]
        ttl = properties.get("TimeToLiveSpecification")
        if ttl and str(ttl.get("Enabled", "false")).lower() == "true":
            dynamodb.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl["AttributeName"]}
            )
        self.refs[logical_id] = name
        self.attrs[logical_id] = {"Arn": description["TableArn"], "StreamArn": description.get("LatestStreamArn", "")}

    def _create_simple_table(self, logical_id: str, properties: dict[str, Any]) -> None:
        key = properties.get("PrimaryKey") or {"Name": "id", "Type": "String"}
        short = {"String": "S", "Number": "N", "Binary": "B"}[key["Type"]]
        self._create_table(
            logical_id,
            {
                "TableName": properties.get("TableName"),
                "KeySchema": [{"AttributeName": key["Name"], "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": key["Name"], "AttributeType": short}],
                "BillingMode": "PAY_PER_REQUEST",
            },
        )

    def _create_secret(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(properties.get("Name") or f"{self.stack_name}/{logical_id}")
        if "SecretString" in properties:
            value = str(properties["SecretString"])
        else:
            value = generate_secret_string(properties.get("GenerateSecretString") or {})
        manager = client("secretsmanager")
        try:
            arn = manager.create_secret(Name=name, SecretString=value)["ARN"]
        except manager.exceptions.ResourceExistsException:
            arn = manager.put_secret_value(SecretId=name, SecretString=value)["ARN"]
        self.refs[logical_id] = arn
        self.attrs[logical_id] = {"Id": arn, "Arn": arn, "Name": name}

    def _create_topic(self, logical_id: str, properties: dict[str, Any]) -> None:
        fifo = str(properties.get("FifoTopic", "false")).lower() == "true"
        name = str(properties.get("TopicName") or self._default_name(logical_id) + (".fifo" if fifo else ""))
        attributes = {key: str(properties[key]) for key in ("DisplayName",) if key in properties}
        if fifo:
            attributes["FifoTopic"] = "true"
            attributes["ContentBasedDeduplication"] = str(properties.get("ContentBasedDeduplication", False)).lower()
        sns = client("sns")
        arn = sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]
        # Alerts are read back from an SQS inbox; the SNS envelope is kept so the subject survives.
        inbox_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{self.alerts_inbox}"
        sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=inbox_arn)
        for subscription in properties.get("Subscription") or []:
            if subscription.get("Protocol") == "sqs":
                sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=subscription["Endpoint"])
        self.refs[logical_id] = arn
        self.attrs[logical_id] = {"TopicArn": arn, "TopicName": name}

    def _create_parameter(self, logical_id: str, properties: dict[str, Any]) -> None:
        name = str(properties.get("Name") or f"CFN-{logical_id}-{self.stack_name}")
        parameter_type = str(properties.get("Type", "String"))
        client("ssm").put_parameter(Name=name, Value=str(properties["Value"]), Type=parameter_type, Overwrite=True)
        self.refs[logical_id] = name
        self.attrs[logical_id] = {"Type": parameter_type, "Value": str(properties["Value"])}


def _throughput(spec: Mapping[str, Any] | None) -> dict[str, int]:
    spec = spec or {}
    return {
        "ReadCapacityUnits": int(spec.get("ReadCapacityUnits", 5)),
        "WriteCapacityUnits": int(spec.get("WriteCapacityUnits", 5)),
    }
