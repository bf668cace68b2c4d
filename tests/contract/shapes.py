"""Compare a simulator's answer with a provider's published example by shape, not by value.

``drift(published, answer)`` lists every place where the answer differs from the example in form: a key the
example has and the answer lacks, a value of another JSON type (a string where the example has a number...),
an object where the example has a list. Values themselves are free: ids, dates and amounts differ by nature.
A null in the example says nothing of the type, so any value matches it; an empty list or object in the
example fixes only the container.

``ignore`` names the paths (dotted, ``[]`` for list items, e.g. ``data.shipments.awb`` or
``orders[].awb``) that a test knowingly lets differ, each with its reason at the call site: the simulator's
guesses where the published material is silent, and the spec's own slips (an id published as a number
although the field is declared a string).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def drift(published: Any, answer: Any, *, ignore: Collection[str] = (), path: str = "") -> list[str]:
    """Every difference in form between ``answer`` and the ``published`` example (empty when they agree)."""
    here = path or "(body)"
    if path in ignore or published is None:
        return []
    expected, got = json_type(published), json_type(answer)
    if expected != got:
        return [f"{here}: published {expected}, answered {got}"]
    if isinstance(published, dict):
        found: list[str] = []
        for key, value in published.items():
            child = f"{path}.{key}" if path else key
            if child in ignore:
                continue
            if key not in answer:
                found.append(f"{child}: missing")
            else:
                found += drift(value, answer[key], ignore=ignore, path=child)
        return found
    if isinstance(published, list) and published and answer:
        # The first published entry stands for all of them; every answered entry must have its form.
        return sorted(
            {problem for entry in answer for problem in drift(published[0], entry, ignore=ignore, path=f"{path}[]")}
        )
    return []
