"""Reading a SAM template's functions the way SAM does: Globals merged in, events, layers, one environment."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from local.aws import ACCOUNT_ID, REGION, StackResources
from local.cfn_template import TemplateError
from local.runner.specs import ApiRoute, FunctionSpec, Schedule, SqsSource, log

# Set per function by the code itself: one process cannot hold a value per function.
PER_FUNCTION_ENV = frozenset({"POWERTOOLS_SERVICE_NAME"})
DEFAULT_CONCURRENCY = 2
MAX_CONCURRENCY = 5


def _route_pattern(path: str) -> re.Pattern[str]:
    regex = ""
    for piece in re.split(r"(\{[^}]+\})", path.rstrip("/") or "/"):
        if piece.startswith("{") and piece.endswith("+}"):
            regex += f"(?P<{piece[1:-2]}>.+)"
        elif piece.startswith("{"):
            regex += f"(?P<{piece[1:-1]}>[^/]+)"
        else:
            regex += re.escape(piece)
    return re.compile(f"^{regex}/?$")


def _optional_int(value: Any) -> int | None:
    return None if value is None else int(value)


def _env_value(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """SAM Globals semantics: maps merge (function wins), lists append, scalars are replaced."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        elif isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = [*merged[key], *value]
        else:
            merged[key] = value
    return merged


class TemplateFunctions:
    """The template's functions and the routes, queues, schedules and layers that drive them, in template order."""

    def __init__(self, template: dict[str, Any], resources: StackResources, root: Path) -> None:
        self.template = template
        self.resources = resources
        self.root = root
        self.functions: dict[str, FunctionSpec] = {}
        self.routes: list[ApiRoute] = []
        self.sqs_sources: list[SqsSource] = []
        self.schedules: list[Schedule] = []
        self.layer_paths: list[Path] = []
        self._parse()

    def _parse(self) -> None:
        globals_ = self.template.get("Globals") or {}
        function_globals = globals_.get("Function") or {}
        for logical_id, resource in self.resources.resources.items():
            if resource.get("Type") != "AWS::Serverless::Function":
                continue
            properties = _merge(function_globals, resource.get("Properties") or {})
            code_uri = properties.get("CodeUri")
            handler = properties.get("Handler")
            if not isinstance(code_uri, str) or not isinstance(handler, str):
                raise TemplateError(f"{logical_id}: CodeUri and Handler must be plain strings locally")
            raw_env = (properties.get("Environment") or {}).get("Variables") or {}
            environment = {name: _env_value(value) for name, value in self.resources.resolve(raw_env).items()}
            self.functions[logical_id] = FunctionSpec(
                logical_id=logical_id,
                function_name=self.resources.ref(logical_id),
                arn=self.resources.get_att(logical_id, "Arn"),
                code_uri=(self.root / code_uri).resolve(),
                handler=handler,
                timeout_s=float(self.resources.resolve(properties.get("Timeout", 3))),
                memory_mb=int(self.resources.resolve(properties.get("MemorySize", 128))),
                environment=environment,
                reserved_concurrency=_optional_int(
                    self.resources.resolve(properties.get("ReservedConcurrentExecutions"))
                ),
            )
            for layer in properties.get("Layers") or []:
                self._add_layer(layer)
            for event_name, event in (properties.get("Events") or {}).items():
                self._parse_event(logical_id, event_name, event.get("Type"), event.get("Properties") or {})

    def _add_layer(self, layer: Any) -> None:
        if not (isinstance(layer, dict) and "Ref" in layer and layer["Ref"] in self.resources.resources):
            log.debug("layer %r is not in the template: not on the local import path", layer)
            return
        properties = self.resources.resources[layer["Ref"]].get("Properties") or {}
        content = properties.get("ContentUri")
        if isinstance(content, str):
            path = (self.root / content).resolve()
            if path not in self.layer_paths:
                self.layer_paths.append(path)

    def _parse_event(self, function: str, name: str, kind: str | None, properties: dict[str, Any]) -> None:
        if kind == "Api":
            self._parse_api(function, properties)
        elif kind == "SQS":
            self._parse_sqs(function, name, properties)
        elif kind in ("Schedule", "ScheduleV2"):
            expression = properties.get("Schedule") or properties.get("ScheduleExpression") or ""
            state = str(properties.get("State", "ENABLED")).upper()
            enabled = str(properties.get("Enabled", True)).lower() == "true" and state == "ENABLED"
            rule = f"arn:aws:events:{REGION}:{ACCOUNT_ID}:rule/{self.resources.stack_name}-{function}{name}"
            raw_input = properties.get("Input")
            self.schedules.append(
                Schedule(
                    function,
                    name,
                    str(self.resources.resolve(expression)),
                    self.resources.resolve(raw_input),
                    enabled,
                    rule,
                )
            )
        else:
            log.debug("%s: event %s of type %s is not driven locally", function, name, kind)

    def _parse_api(self, function: str, properties: dict[str, Any]) -> None:
        api_globals = (self.template.get("Globals") or {}).get("Api") or {}
        api_properties: dict[str, Any] = dict(api_globals)
        rest_api = properties.get("RestApiId")
        if isinstance(rest_api, dict) and rest_api.get("Ref") in self.resources.resources:
            api_properties = _merge(api_globals, self.resources.resources[rest_api["Ref"]].get("Properties") or {})
        default_authorizer = (api_properties.get("Auth") or {}).get("DefaultAuthorizer", "NONE")
        authorizer = (properties.get("Auth") or {}).get("Authorizer", default_authorizer)
        if authorizer not in ("NONE", "AWS_IAM"):
            log.warning("%s: authorizer %s is enforced locally as the admin bearer token", function, authorizer)
        path = str(properties["Path"])
        self.routes.append(
            ApiRoute(
                function=function,
                method=str(properties["Method"]).upper(),
                path=path,
                iam=authorizer != "NONE",
                stage=str(self.resources.resolve(api_properties.get("StageName", "Prod"))),
                pattern=_route_pattern(path),
            )
        )

    def _parse_sqs(self, function: str, name: str, properties: dict[str, Any]) -> None:
        if str(properties.get("Enabled", True)).lower() == "false":
            return
        arn = self.resources.resolve(properties["Queue"])
        queue = next(
            (lid for lid, attrs in self.resources.attrs.items() if attrs.get("Arn") == arn and "QueueUrl" in attrs),
            None,
        )
        if queue is None:
            raise TemplateError(f"{function}.{name}: queue {arn} is not a queue of this template")
        fifo = self.resources.attrs[queue]["QueueName"].endswith(".fifo")
        queue_properties = self.resources.resources[queue].get("Properties") or {}
        visibility = int(self.resources.resolve(queue_properties.get("VisibilityTimeout", 30)))
        scaling = properties.get("ScalingConfig") or {}
        concurrency = int(scaling.get("MaximumConcurrency", DEFAULT_CONCURRENCY))
        self.sqs_sources.append(
            SqsSource(
                function=function,
                event_name=name,
                queue=queue,
                queue_url=self.resources.attrs[queue]["QueueUrl"],
                queue_arn=arn,
                batch_size=int(properties.get("BatchSize", 10)),
                report_failures="ReportBatchItemFailures" in (properties.get("FunctionResponseTypes") or []),
                concurrency=1 if fifo else max(1, min(concurrency, MAX_CONCURRENCY)),
                fifo=fifo,
                visibility_timeout_s=visibility,
            )
        )

    def union_environment(self, overrides: dict[str, str]) -> dict[str, str]:
        union: dict[str, str] = {}
        owner: dict[str, str] = {}
        conflicts: list[str] = []
        for function in self.functions.values():
            for name, value in function.environment.items():
                if name in PER_FUNCTION_ENV or name in overrides:
                    continue
                if name in union and union[name] != value:
                    conflicts.append(f"{name}: {owner[name]}={union[name]!r} vs {function.logical_id}={value!r}")
                union.setdefault(name, value)
                owner.setdefault(name, function.logical_id)
        if conflicts:
            raise TemplateError(
                "functions share one process locally, so an environment variable must have one value "
                "across functions: " + "; ".join(conflicts)
            )
        return {**union, **overrides}
