"""The template as the SAM transform receives it: YAML with CloudFormation's short tags, and the
``AWS::LanguageExtensions`` loops (``Fn::ForEach``, the alarm table) unrolled as CloudFormation would."""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class TemplateError(ValueError):
    """The template uses something the local stack cannot honour."""


# -- template loading ---------------------------------------------------------------------


LANGUAGE_EXTENSIONS = "AWS::LanguageExtensions"
_FOR_EACH = "Fn::ForEach::"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that turns ``!Ref``/``!GetAtt``/``!Sub``... into their JSON (``Fn::``) form."""


def _intrinsic(loader: yaml.SafeLoader, tag_suffix: str, node: yaml.Node) -> dict[str, Any]:
    name = tag_suffix if tag_suffix in ("Ref", "Condition") else f"Fn::{tag_suffix}"
    value: Any
    if tag_suffix == "GetAtt" and isinstance(node, yaml.ScalarNode):
        value = str(loader.construct_scalar(node)).split(".", 1)
    elif isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: str | Path) -> dict[str, Any]:
    """Parse a CloudFormation/SAM template (YAML or JSON) with the short intrinsic tags.

    A template declaring ``AWS::LanguageExtensions`` comes back expanded, as the SAM transform receives it.
    """
    text = Path(path).read_text(encoding="utf-8")
    document = yaml.load(text, Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass
    if not isinstance(document, dict) or not isinstance(document.get("Resources"), dict):
        raise TemplateError(f"{path}: not a CloudFormation template (no Resources mapping)")
    return expand_language_extensions(document)


def expand_language_extensions(document: Mapping[str, Any]) -> dict[str, Any]:
    """The ``AWS::LanguageExtensions`` transform, as far as this project's templates use it.

    ``Fn::ForEach`` loops over literal lists are unrolled: ``${Id}`` and ``&{Id}`` are replaced in keys and strings,
    ``Ref: Id`` by the value. What that leaves static is then resolved: ``Fn::FindInMap`` with literal keys, and
    ``Fn::Sub`` variables with literal values; a ``Fn::Sub`` left without variables becomes its string, so ``Ref: !Sub
    "${Id}Function"`` names its resource. The transform leaves ``Transform``; a template without it is returned as is.
    """
    transforms = document.get("Transform") or []
    transforms = [transforms] if isinstance(transforms, str) else list(transforms)
    if LANGUAGE_EXTENSIONS not in transforms:
        return dict(document)
    expanded = {key: value for key, value in document.items() if key != "Transform"}
    remaining = [name for name in transforms if name != LANGUAGE_EXTENSIONS]
    if remaining:
        expanded["Transform"] = remaining
    mappings = document.get("Mappings") or {}
    for section in ("Conditions", "Resources", "Outputs"):
        if section in expanded:
            expanded[section] = _fill_in(_unroll(expanded[section]), mappings)
    return expanded


def _unroll(node: Any) -> Any:
    if isinstance(node, list):
        return [_unroll(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        _merge_unique(out, _for_each(key, value) if key.startswith(_FOR_EACH) else {key: _unroll(value)}, key)
    return out


def _for_each(key: str, value: Any) -> dict[str, Any]:
    if not (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[2], dict)):
        raise TemplateError(f"{key}: expected [Identifier, Collection, {{OutputKey: OutputValue}}]")
    identifier, collection, body = value
    if not (isinstance(collection, list) and all(isinstance(item, str) for item in collection)):
        raise TemplateError(f"{key}: the local stack only expands a literal list of strings, not {collection!r}")
    out: dict[str, Any] = {}
    for item in collection:
        _merge_unique(out, _unroll(_substitute(body, identifier, item)), key)
    return out


def _merge_unique(target: dict[str, Any], entries: Mapping[str, Any], origin: str) -> None:
    for name, entry in entries.items():
        if name in target:
            raise TemplateError(f"{origin}: {name} is defined twice")
        target[name] = entry


def _substitute(body: Any, identifier: str, value: str) -> Any:
    # &{Id} is the value reduced to what a logical id may contain.
    tokens = {f"${{{identifier}}}": value, f"&{{{identifier}}}": re.sub("[^A-Za-z0-9]", "", value)}

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            for token, replacement in tokens.items():
                node = node.replace(token, replacement)
            return node
        if isinstance(node, list):
            return [walk(item) for item in node]
        if isinstance(node, dict):
            return value if node == {"Ref": identifier} else {walk(key): walk(item) for key, item in node.items()}
        return node

    return walk(body)


def _fill_in(node: Any, mappings: Mapping[str, Any]) -> Any:
    if isinstance(node, list):
        return [_fill_in(item, mappings) for item in node]
    if not isinstance(node, dict):
        return node
    filled = {key: _fill_in(value, mappings) for key, value in node.items()}
    if len(filled) != 1:
        return filled
    ((key, arg),) = filled.items()
    if key == "Fn::FindInMap" and isinstance(arg, list) and len(arg) == 3 and all(isinstance(a, str) for a in arg):
        try:
            return copy.deepcopy(mappings[arg[0]][arg[1]][arg[2]])
        except (KeyError, TypeError):
            raise TemplateError(f"Fn::FindInMap {arg}: not in Mappings") from None
    if key == "Fn::Sub":
        return _fill_in_sub(arg)
    return filled


def _fill_in_sub(arg: Any) -> Any:
    text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], dict(arg[1]))
    literal = {name: value for name, value in variables.items() if isinstance(value, str) and "${" not in value}
    for name, value in literal.items():
        text = text.replace(f"${{{name}}}", value)
    rest = {name: value for name, value in variables.items() if name not in literal}
    if rest:
        return {"Fn::Sub": [text, rest]}
    return text if "${" not in text else {"Fn::Sub": text}
