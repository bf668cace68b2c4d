"""The shape comparison the published-example tests rely on must itself catch drift."""

from __future__ import annotations

from tests.contract.shapes import drift


def test_missing_keys_wrong_types_and_list_entries_are_drift() -> None:
    published = {"a": 1, "b": {"c": "x", "d": [{"e": 1}]}, "n": None}
    answer = {"a": 2.5, "b": {"c": 3, "d": [{"e": 1}, {"f": 2}]}, "n": 5, "extra": True}

    assert drift(published, answer) == ["b.c: published string, answered number", "b.d[].e: missing"]


def test_null_matches_anything_and_ignored_paths_are_skipped() -> None:
    assert drift({"n": None, "id": 1}, {"n": {"deep": 1}, "id": "1"}, ignore={"id"}) == []
    assert drift({"a": []}, {"a": {}}) == ["a: published array, answered object"]
    assert drift([{"x": 1}], []) == []
