"""Load template.yaml, expand AWS::LanguageExtensions as the local stack does, translate it offline with
aws-sam-translator (no AWS calls)."""

from __future__ import annotations

import copy
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import yaml
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import intrinsics_multi_constructor

from local.cfn_template import expand_language_extensions

TEMPLATE_PATH = Path(__file__).resolve().parents[2] / "template.yaml"
REGION = "ap-south-1"

# Managed policies the template (or a mutation in the tests) may name in a function's Policies. Fake ARNs are
# enough: the translator only substitutes them.
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{name}"
    for name in ("AmazonS3FullAccess", "AWSLambdaBasicExecutionRole", "AWSXrayWriteOnlyAccess")
}

Template = dict[str, Any]
Translate = Callable[[Template], Template]


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation short tags, without touching yaml.SafeLoader globally."""


_CfnLoader.add_multi_constructor("!", intrinsics_multi_constructor)


class _StubPolicyLoader:
    def load(self) -> dict[str, str]:
        return dict(MANAGED_POLICIES)


def load_template(path: Path = TEMPLATE_PATH) -> Template:
    """The template as the SAM transform receives it: Fn::ForEach loops (the alarms) unrolled."""
    with path.open(encoding="utf-8") as fh:
        loaded = yaml.load(fh, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    assert isinstance(loaded, dict)
    return expand_language_extensions(loaded)


def _with_s3_code(template: Template) -> Template:
    """The translator only accepts S3 code locations; `sam build`/`sam package` do the same swap."""
    out = copy.deepcopy(template)
    for logical_id, resource in out.get("Resources", {}).items():
        props = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if isinstance(props.get(key), str) and not props[key].startswith("s3://"):
                props[key] = f"s3://shipsync-policy-test/{logical_id}.zip"
    return out


def translate_template(template: Template, parameters: dict[str, Any] | None = None) -> Template:
    # The translator reads the region from the default boto3 session.
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": REGION}):
        translated: Template = transform(_with_s3_code(template), dict(parameters or {}), _StubPolicyLoader())
    return translated


@pytest.fixture(scope="session")
def source_template() -> Template:
    return load_template()


@pytest.fixture(scope="session")
def translate() -> Translate:
    return translate_template


@pytest.fixture(scope="session")
def cfn(source_template: Template) -> Template:
    return translate_template(source_template)
