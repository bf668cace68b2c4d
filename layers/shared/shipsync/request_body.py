"""The one way into shipsync for a request body: bytes from API Gateway to a value a route can trust.

Every route's body passes here in this order, so nothing a client sends can crash a handler (a 5xx,
which Shiprocket counts as a failed delivery and retries, or makes Zoho's workflow log an error):

1. size, before anything is decoded (413);
2. decoding: UTF-8 only, a UTF-8 byte-order mark tolerated. Neither provider names a charset, and JSON
   between systems is UTF-8 (RFC 8259 §8.1; docs/providers/zoho.md §6, shiprocket.md §7, §11), so
   UTF-16/32 (even with a BOM), Latin-1 and any other bytes are refused with 415 naming the byte; a
   base64 body that is not base64 is a 400;
3. JSON: nesting deeper than ``MAX_DEPTH`` and numbers longer than ``MAX_NUMBER_CHARS`` are refused
   before ``json`` builds them (Python's int() raises ValueError past 4,300 digits, and deep nesting
   raises RecursionError), as are ``NaN`` and ``Infinity``, which are not JSON;
4. text: every string (keys too) must be free of lone UTF-16 surrogates (they cannot be encoded, so
   they break log lines and AWS calls) and of control characters other than tab, CR and LF. A route
   whose sender cannot fix its data (Zoho's sales order, a courier's scan text relayed by Shiprocket)
   loads with ``strings="scrub"`` instead: such characters become U+FFFD, and the route refuses them
   only in the fields it uses (an id, an AWB), so one stray byte in an address never loses an order.

Each refusal is a ``WebhookRejected`` with the field it concerns (``salesorder.customer_name``,
``rows.3``, ``body``): the route error handlers turn it into the 4xx.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import json
import math
import re
import urllib.parse
from collections.abc import Iterator
from typing import Any, Final, Literal, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from shipsync.routes import WebhookRejected

M = TypeVar("M", bound=BaseModel)

REPLACEMENT: Final = "\ufffd"
MAX_DEPTH: Final = 32
# No amount, id or count shipsync reads is longer (Zoho ids are 19 digits).
MAX_NUMBER_CHARS: Final = 40
# C0 controls except tab, LF and CR; DEL; lone surrogates.
_FORBIDDEN: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_BRACKETS: Final = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
_WIDE_BOMS: Final = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class ProxyEvent(Protocol):
    """What is read of Powertools' ``APIGatewayProxyEvent``."""

    @property
    def body(self) -> str | None: ...

    @property
    def is_base64_encoded(self) -> bool | None: ...


def read_text(event: ProxyEvent, max_bytes: int) -> str:
    """The body as text: 400 when empty or not base64 as flagged, 413 over ``max_bytes``, 415 when not UTF-8."""
    raw = event.body
    if not raw:
        raise WebhookRejected(400, "empty body", "body")
    if event.is_base64_encoded:
        # Base64 grows 4 bytes for 3: refuse an oversize body before decoding it.
        if len(raw) > (max_bytes + 2) // 3 * 4:
            raise _too_large(max_bytes)
        try:
            data = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise WebhookRejected(400, "body is flagged base64 but is not valid base64", "body") from None
    else:
        if len(raw) > max_bytes:
            raise _too_large(max_bytes)
        # API Gateway hands over text; a string that cannot be UTF-8 fails the decoding below like bytes would.
        data = raw.encode("utf-8", errors="surrogatepass")
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    text = decode_utf8(data)
    if not text.strip():
        raise WebhookRejected(400, "empty body", "body")
    return text


def decode_utf8(data: bytes, field: str = "body") -> str:
    if data.startswith(_WIDE_BOMS):
        raise WebhookRejected(415, f"{field}: UTF-16/UTF-32 is not accepted; send UTF-8", field)
    try:
        return data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as err:
        raise WebhookRejected(415, f"{field}: not UTF-8 (byte {err.start}); send UTF-8", field) from None


def _too_large(max_bytes: int) -> WebhookRejected:
    return WebhookRejected(413, f"body larger than {max_bytes} bytes", "body")


def load_json(text: str, field: str = "body", *, strings: Literal["refuse", "scrub"] = "refuse") -> Any:
    """Parsed JSON whose every string is clean (refused, or scrubbed to U+FFFD), or a 400 naming the field
    (see the module doc)."""
    _check_depth(text, field)
    try:
        document = json.loads(text, parse_int=_bounded_int, parse_float=_bounded_float, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise WebhookRejected(400, f"{field}: malformed JSON: {err.msg} at position {err.pos}", field) from None
    except _NumberRefused as err:
        raise WebhookRejected(400, f"{field}: {err}", field) from None
    except RecursionError:  # only past MAX_DEPTH, which _check_depth refused already: kept as the last guard
        raise WebhookRejected(400, f"{field}: JSON nested too deep", field) from None
    if strings == "scrub":
        return _scrubbed(document)
    check_strings(document, field)
    return document


def validated_object(model: type[M], document: Any, expected: str = "a JSON object") -> M:
    """``document`` as ``model``, or a 400 naming the first field pydantic refused (``lines.0.sku``)."""
    if not isinstance(document, dict):
        raise WebhookRejected(400, f"body: expected {expected}", "body")
    try:
        return model.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "body"
        raise WebhookRejected(400, f"{field}: {first['msg']}", field) from None


def load_form_json(text: str, name: str, *, strings: Literal["refuse", "scrub"] = "refuse") -> Any:
    """The JSON in form field ``name`` of an ``application/x-www-form-urlencoded`` body (Zoho's ``JSONString``)."""
    try:
        form = urllib.parse.parse_qs(text, keep_blank_values=True, errors="strict", max_num_fields=20)
    except UnicodeDecodeError:
        raise WebhookRejected(400, f"{name}: percent-encoded bytes are not UTF-8", name) from None
    except ValueError:
        raise WebhookRejected(400, "form body with too many fields", "body") from None
    values = form.get(name)
    if not values:
        raise WebhookRejected(400, f"form body without a {name} field", name)
    if len(values) > 1:
        raise WebhookRejected(400, f"{name} given {len(values)} times", name)
    return load_json(values[0], name, strings=strings)


def check_strings(document: Any, field: str) -> None:
    """Refuse a lone surrogate or a control character in any key or string value, naming its path."""
    for path, text in _strings(document, field):
        found = _FORBIDDEN.search(text)
        if found:
            raise WebhookRejected(400, f"{path}: {_describe(found.group())} at character {found.start()}", path)


def check_text(text: str, field: str) -> None:
    """``check_strings`` for a text that is not JSON (a CSV): the field names the line, ``rows.N``."""
    found = _FORBIDDEN.search(text)
    if found:
        line = text.count("\n", 0, found.start()) + 1
        raise WebhookRejected(400, f"{field}.{line}: {_describe(found.group())}", f"{field}.{line}")


def _scrubbed(document: Any) -> Any:
    if isinstance(document, str):
        return _FORBIDDEN.sub(REPLACEMENT, document)
    if isinstance(document, dict):
        return {_FORBIDDEN.sub(REPLACEMENT, key): _scrubbed(value) for key, value in document.items()}
    if isinstance(document, list):
        return [_scrubbed(value) for value in document]
    return document


def _describe(character: str) -> str:
    if "\ud800" <= character <= "\udfff":
        return "a lone UTF-16 surrogate"
    return f"control character U+{ord(character):04X}"


def _strings(document: Any, path: str) -> Iterator[tuple[str, str]]:
    # Depth is bounded by _check_depth, so the recursion is too.
    if isinstance(document, str):
        yield path, document
    elif isinstance(document, dict):
        for key, value in document.items():
            child = f"{path}.{key}" if path != "body" else str(key)
            yield child, key
            yield from _strings(value, child)
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _strings(value, f"{path}.{index}" if path != "body" else str(index))


def _check_depth(text: str, field: str) -> None:
    depth = 0
    for token in _BRACKETS.finditer(text):
        mark = token.group()
        if mark in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise WebhookRejected(400, f"{field}: JSON nested deeper than {MAX_DEPTH} levels", field)
        elif mark in "]}":
            depth -= 1


class _NumberRefused(ValueError):
    pass


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberRefused(f"a number of {len(text)} digits (at most {MAX_NUMBER_CHARS})")
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _NumberRefused(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise _NumberRefused(f"the number {text} is out of range")
    return value


def _refuse_constant(name: str) -> Any:
    raise _NumberRefused(f"{name} is not a JSON number")
