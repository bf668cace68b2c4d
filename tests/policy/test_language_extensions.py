"""local.aws.expand_language_extensions: the local stack and these policy tests read template.yaml through it."""

from __future__ import annotations

from typing import Any

import pytest

from local.cfn_template import TemplateError, expand_language_extensions

TRANSFORMS = ["AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"]


def _template(resources: dict[str, Any], **sections: Any) -> dict[str, Any]:
    return {"Transform": list(TRANSFORMS), "Resources": resources, **sections}


def test_loops_unroll_with_their_rows_looked_up() -> None:
    mappings = {"Sizes": {"Small": {"Name": "small", "Limit": 10}, "Big": {"Name": "big", "Limit": 99}}}
    loop = [
        "Size",
        ["Small", "Big"],
        {
            "${Size}Queue": {"Type": "AWS::SQS::Queue"},
            "${Size}Alarm": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": {
                        "Fn::Sub": [
                            "${AWS::StackName}-${Name}",
                            {"Name": {"Fn::FindInMap": ["Sizes", {"Ref": "Size"}, "Name"]}},
                        ]
                    },
                    "Threshold": {"Fn::FindInMap": ["Sizes", {"Ref": "Size"}, "Limit"]},
                    "Queue": {"Fn::GetAtt": [{"Fn::Sub": "${Size}Queue"}, "QueueName"]},
                    "Other": {"Ref": {"Fn::Sub": "${Size}Queue"}},
                    "Escaped": {"Fn::Sub": "${!Size}"},
                },
            },
        },
    ]
    expanded = expand_language_extensions(
        _template({"Fn::ForEach::Sizes": loop, "Kept": {"Type": "X"}}, Mappings=mappings)
    )

    assert expanded["Transform"] == ["AWS::Serverless-2016-10-31"]
    assert list(expanded["Resources"]) == ["SmallQueue", "SmallAlarm", "BigQueue", "BigAlarm", "Kept"]
    assert expanded["Resources"]["BigAlarm"]["Properties"] == {
        "AlarmName": {"Fn::Sub": "${AWS::StackName}-big"},
        "Threshold": 99,
        "Queue": {"Fn::GetAtt": ["BigQueue", "QueueName"]},
        "Other": {"Ref": "BigQueue"},
        "Escaped": {"Fn::Sub": "${!Size}"},
    }


def test_nested_loops_and_logical_id_safe_values() -> None:
    inner = ["Port", ["80", "443"], {"Rule&{Host}P${Port}": {"Type": "X", "Properties": {"Target": "${Host}:${Port}"}}}]
    outer = ["Host", ["10.0.0.1"], {"Fn::ForEach::Ports": inner}]
    resources = expand_language_extensions(_template({"Fn::ForEach::Hosts": outer}))["Resources"]
    assert resources == {
        "Rule10001P80": {"Type": "X", "Properties": {"Target": "10.0.0.1:80"}},
        "Rule10001P443": {"Type": "X", "Properties": {"Target": "10.0.0.1:443"}},
    }


def test_a_template_without_the_transform_is_left_alone() -> None:
    document = {"Transform": "AWS::Serverless-2016-10-31", "Resources": {"Fn::ForEach::X": ["A", ["B"], {}]}}
    assert expand_language_extensions(document) == document


@pytest.mark.parametrize(
    ("resources", "error"),
    [
        ({"Fn::ForEach::Q": ["Q", ["A", "A"], {"${Q}Queue": {"Type": "X"}}]}, "AQueue is defined twice"),
        ({"Fn::ForEach::Q": ["Q", ["A"], {"${Q}Queue": {"Type": "X"}}], "AQueue": {"Type": "X"}}, "defined twice"),
        ({"Fn::ForEach::Q": ["Q", {"Ref": "Names"}, {"${Q}Queue": {"Type": "X"}}]}, "literal list of strings"),
        ({"Fn::ForEach::Q": ["Q", ["A"]]}, "expected [Identifier, Collection"),
        ({"Q": {"Type": "X", "Properties": {"N": {"Fn::FindInMap": ["Nope", "A", "B"]}}}}, "not in Mappings"),
    ],
    ids=["duplicate-in-loop", "duplicate-with-resource", "parameter-collection", "malformed", "missing-row"],
)
def test_what_cannot_be_expanded_is_refused(resources: dict[str, Any], error: str) -> None:
    with pytest.raises(TemplateError, match=error.replace("[", r"\[")):
        expand_language_extensions(_template(resources, Mappings={}))
