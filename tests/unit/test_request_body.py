"""The one entry for every route body (``shipsync.request_body``): anything a client sends is a value or a 4xx."""

from __future__ import annotations

import base64
import codecs
import json
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shipsync.request_body import MAX_DEPTH, check_text, load_form_json, load_json, read_text
from shipsync.routes import WebhookRejected, printable


def event(body: str | None, *, base64_encoded: bool = False) -> SimpleNamespace:
    return SimpleNamespace(body=body, is_base64_encoded=base64_encoded)


def encoded(data: bytes) -> SimpleNamespace:
    return event(base64.b64encode(data).decode(), base64_encoded=True)


def rejected(call: object, *args: object) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as info:
        call(*args)  # type: ignore[operator]
    return info.value


# ------------------------------------------------------------------------------------ bytes to text


def test_utf8_text_and_bytes_pass_and_a_utf8_bom_is_dropped() -> None:
    assert read_text(event('{"a": "Zoë"}'), 100) == '{"a": "Zoë"}'
    assert read_text(encoded('{"a": "Zoë"}'.encode()), 100) == '{"a": "Zoë"}'
    assert read_text(encoded(codecs.BOM_UTF8 + b'{"a": 1}'), 100) == '{"a": 1}'


@pytest.mark.parametrize(
    "data",
    [
        '{"a": "Zoë"}'.encode("latin-1"),
        '{"a": 1}'.encode("utf-16"),
        '{"a": 1}'.encode("utf-32"),
        b'{"a": "\xed\xa0\x80"}',  # a surrogate encoded as UTF-8 ("CESU"), which UTF-8 forbids
        b"\xff\xfe\x00",
    ],
)
def test_bytes_that_are_not_utf8_are_a_415_naming_the_body(data: bytes) -> None:
    err = rejected(read_text, encoded(data), 100)
    assert (err.status, err.field) == (415, "body")
    assert "UTF-8" in err.message


def test_a_text_body_holding_a_lone_surrogate_is_not_utf8() -> None:
    assert rejected(read_text, event('{"a": "\ud800"}'), 100).status == 415


@pytest.mark.parametrize("body", [None, "", "  \n\t"])
def test_an_empty_body_is_a_400(body: str | None) -> None:
    assert rejected(read_text, event(body), 100).status == 400


def test_the_size_limit_holds_for_text_and_base64_before_decoding() -> None:
    assert rejected(read_text, event("x" * 101), 100).status == 413
    # 60 characters of "é" are 120 bytes.
    assert rejected(read_text, event("é" * 60), 100).status == 413
    assert rejected(read_text, encoded(b"x" * 101), 100).status == 413
    assert read_text(encoded(b"x" * 100), 100) == "x" * 100


def test_a_body_flagged_base64_that_is_not_is_a_400() -> None:
    assert rejected(read_text, event("not base64!", base64_encoded=True), 100).status == 400


# ------------------------------------------------------------------------------------ JSON


@pytest.mark.parametrize(
    ("text", "field", "says"),
    [
        ('{"a": ' + "9" * 5000 + "}", "body", "5000 digits"),
        ('{"a": ' + "1" * 41 + "}", "body", "41 digits"),
        ('{"a": 1e999}', "body", "out of range"),
        ('{"a": NaN}', "body", "NaN"),
        ('{"a": -Infinity}', "body", "-Infinity"),
        ('{"a": 0.' + "1" * 100 + "}", "body", "102 characters"),
        ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "body", "deeper"),
        ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "body", "deeper"),
        ('{"a": "x\\ud800"}', "a", "surrogate"),
        ('{"a": {"b\\udfff": 1}}', "a.b\\udfff", "surrogate"),
        ('{"a": ["ok", "nul\\u0000"]}', "a.1", "U+0000"),
        ('{"a": "esc\\u001b[31m"}', "a", "U+001B"),
        ('{"a": "del\\u007f"}', "a", "U+007F"),
        ('{"a": 1', "body", "malformed JSON"),
    ],
)
def test_json_limits_and_unclean_strings_are_a_400_naming_the_field(text: str, field: str, says: str) -> None:
    err = rejected(load_json, text)
    assert (err.status, err.field) == (400, field)
    assert says in err.message


def test_nesting_up_to_the_limit_and_brackets_inside_strings_pass() -> None:
    deep = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert load_json(deep) is not None
    assert load_json(json.dumps({"note": "[[[[" * 100})) == {"note": "[[[[" * 100}


def test_tabs_and_newlines_and_any_printable_unicode_pass() -> None:
    document = {
        "address": "No. 14\n3rd Cross\tIndiranagar",
        "name": "अनन्या \u27e8\U0001d54a\u27e9",
        "n": 1947583000000123001,
    }
    assert load_json(json.dumps(document)) == document


def test_scrubbing_replaces_what_refusing_would_refuse_keys_included() -> None:
    text = '{"a\\u0000": ["ok", "nul\\u0000 \\ud800 tab\\t"], "n": 1}'
    assert load_json(text, strings="scrub") == {"a\ufffd": ["ok", "nul\ufffd \ufffd tab\t"], "n": 1}
    # The limits before the strings still hold.
    assert rejected(lambda t: load_json(t, strings="scrub"), '{"a": ' + "9" * 50 + "}").status == 400


def test_a_form_field_is_read_whole_once_and_utf8_only() -> None:
    assert load_form_json("JSONString=%7B%22a%22%3A1%7D", "JSONString") == {"a": 1}
    assert rejected(load_form_json, "JSONString=%FF%7B%7D", "JSONString").field == "JSONString"
    assert "2 times" in rejected(load_form_json, "JSONString=%7B%7D&JSONString=%7B%7D", "JSONString").message
    assert rejected(load_form_json, "other=1", "JSONString").field == "JSONString"
    assert rejected(load_form_json, "&".join(f"f{i}=1" for i in range(50)), "JSONString").status == 400
    err = rejected(load_form_json, "JSONString=%7B%22a%22%3A%22%5Cud800%22%7D", "JSONString")
    assert err.field == "JSONString.a"


def test_csv_text_names_the_line_of_a_control_character() -> None:
    check_text("AWB,COD\n123,10\n", "rows")
    err = rejected(check_text, "AWB,COD\n123,10\n456,1\x000\n", "rows")
    assert (err.status, err.field) == (400, "rows.3")


def test_what_a_rejection_echoes_is_printable_and_short() -> None:
    err = WebhookRejected(400, "key \ud800 \x1b end " + "x" * 1000, "a.\ud800")
    assert err.field == "a.\\ud800"
    assert "\\u001b" in err.message
    assert len(err.message) <= 303
    err.message.encode("utf-8")  # a log line can carry it
    assert printable("plain") == "plain"


def outcome(call: object, *args: object) -> tuple[int, str]:
    """200 and "" when ``call`` returns, else the rejection's status and message."""
    try:
        call(*args)  # type: ignore[operator]
    except WebhookRejected as err:
        return err.status, err.message
    return 200, ""


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(codec=None), max_size=200))
def test_any_text_is_a_value_or_a_400(text: str) -> None:
    status, message = outcome(load_json, text)
    assert status in (200, 400)
    message.encode("utf-8")  # printable: a log line can carry it


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.binary(max_size=300))
def test_any_bytes_are_text_or_a_4xx(data: bytes) -> None:
    status, _ = outcome(read_text, encoded(data), 1000)
    assert status in (200, 400, 413, 415)
