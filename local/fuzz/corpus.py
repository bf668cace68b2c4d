"""Hostile requests for the six routes that take a body, from a seed: what an attacker or a broken client sends.

Each request starts from a valid body (the sample events in ``events/``) and is then broken one way,
named by its ``kind``: a number too long for Python's int conversion, JSON nested thousands deep,
bytes that are not UTF-8, a value of the wrong type at some key, a lone UTF-16 surrogate or a control
character in a string, an over-long id, a deleted or an extra key, a truncated body, random bytes,
CSV junk (binary, a NUL, a huge cell, a date or amount no one can read), a broken form body, an
oversize body, a missing or wrong credential. ``unchanged`` requests stay valid, so the fuzz also
proves that valid input still passes.

Used by the HTTP fuzz (``python -m local.fuzz``, ``make fuzz``) and in-process by
``tests/unit/test_fuzz_routes.py``: the same seed gives the same requests.
"""

from __future__ import annotations

import copy
import json
import random
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

EVENTS: Final = Path(__file__).resolve().parents[2] / "events"


@dataclass(frozen=True)
class Route:
    """A public route: where it is, which credential it takes, and valid bodies to break."""

    name: str
    path: str
    # The key of the token in ``.local-stack.json``; webhooks send it as x-api-key, admin routes as a bearer token.
    token: str
    admin: bool
    samples: tuple[tuple[str, str], ...]  # (content type, body)


@dataclass(frozen=True)
class HostileRequest:
    route: str
    path: str
    kind: str
    body: bytes
    headers: dict[str, str]


def _event_body(relative: str) -> tuple[str, str]:
    event = json.loads((EVENTS / relative).read_text(encoding="utf-8"))
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    return headers.get("content-type", "application/json"), str(event["body"])


def routes() -> tuple[Route, ...]:
    return (
        Route(
            "zoho-salesorders",
            "/webhooks/zoho/salesorders",
            "zoho_webhook",
            False,
            (_event_body("order_confirmed/webhook_json.json"), _event_body("order_confirmed/webhook_form.json")),
        ),
        Route(
            "shipment-status",
            "/webhooks/shipment-status",
            "shiprocket_webhook",
            False,
            (_event_body("shipment_status/webhook.json"),),
        ),
        Route(
            "cod-remittance",
            "/webhooks/cod-remittance",
            "remittance_webhook",
            False,
            (_event_body("cod_remittance/webhook_json.json"), _event_body("cod_remittance/webhook_csv.json")),
        ),
        Route("returns", "/returns", "admin", True, (_event_body("rto_restock/api_returns.json"),)),
        Route("tokens-refresh", "/tokens/refresh", "admin", True, (_event_body("token_refresh/api_refresh.json"),)),
        Route(
            "wallet-statement",
            "/webhooks/wallet-statement",
            "remittance_webhook",
            False,
            (_event_body("cod_remittance/webhook_wallet_statement_csv.json"),),
        ),
    )


# -------------------------------------------------------------------------------- JSON documents

_HUGE_INT: Final = "9" * 5000
_PLACEHOLDER: Final = "\x00fuzz-huge-int\x00"
_Path = tuple[str | int, ...]


def _paths(document: Any, prefix: _Path = ()) -> list[_Path]:
    """Every key path in the document (the root excluded), parents before children."""
    found: list[_Path] = []
    if isinstance(document, dict):
        for key, value in document.items():
            found.append((*prefix, key))
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found.append((*prefix, index))
            found.extend(_paths(value, (*prefix, index)))
    return found


def _set(document: Any, path: _Path, value: Any) -> None:
    target = document
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value


def _delete(document: Any, path: _Path) -> None:
    target = document
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]


def _wrong_value(rng: random.Random) -> Any:
    return rng.choice(
        [
            {"nested": {"value": "x"}},
            ["a", "list"],
            [["nested", ["list"]]],
            True,
            None,
            0,
            -1,
            1.5e308,
            "",
            "NA",
            {},
            [],
        ]
    )


def _hostile_text(rng: random.Random) -> str:
    return rng.choice(
        [
            "\ud800x",
            "x\udfff",
            "nul\x00inside",
            "esc\x1b[31mred",
            "bell\x07",
            "A" * 300,
            "9" * 200,
            "\U0001d54a\U0001d546-0001",  # mathematical double-struck letters
            "' OR 1=1 --",
            "<script>alert(1)</script>",
            "../../etc/passwd",
            "\u202eRTL",
        ]
    )


def _json_body(document: Any) -> str:
    return json.dumps(document).replace(json.dumps(_PLACEHOLDER), _HUGE_INT)


def _json_mutations() -> dict[str, Callable[[random.Random, Any], str]]:
    def huge_int(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _set(document, rng.choice(paths), _PLACEHOLDER)
            return _json_body(document)
        return _HUGE_INT

    def deep_nesting(rng: random.Random, document: Any) -> str:
        depth = rng.choice([200, 1200, 5000, 100_000])
        nested = rng.choice(["[", '{"a":'])
        closing = "]" if nested == "[" else "}"
        deep = nested * depth + "1" + closing * depth
        paths = _paths(document)
        if not paths or rng.random() < 0.4:
            return deep
        _set(document, rng.choice(paths), _PLACEHOLDER)
        return json.dumps(document).replace(json.dumps(_PLACEHOLDER), deep)

    def wrong_type(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _set(document, rng.choice(paths), _wrong_value(rng))
        return _json_body(document)

    def hostile_string(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _set(document, rng.choice(paths), _hostile_text(rng))
        return json.dumps(document)

    def hostile_key(rng: random.Random, document: Any) -> str:
        if isinstance(document, dict):
            document[_hostile_text(rng)] = "value"
        return json.dumps(document)

    def drop_key(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _delete(document, rng.choice(paths))
        return json.dumps(document)

    def extra_key(rng: random.Random, document: Any) -> str:
        containers = [p for p in _paths(document) if isinstance(_get(document, p), dict)] or [()]
        target = _get(document, rng.choice(containers))
        if isinstance(target, dict):
            target[rng.choice(["__proto__", "extra", "constructor", "salesorder_id", "awb"])] = _wrong_value(rng)
        return json.dumps(document)

    def nan_and_infinity(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _set(document, rng.choice(paths), _PLACEHOLDER)
        return json.dumps(document).replace(json.dumps(_PLACEHOLDER), rng.choice(["NaN", "Infinity", "-Infinity"]))

    def long_number(rng: random.Random, document: Any) -> str:
        paths = _paths(document)
        if paths:
            _set(document, rng.choice(paths), _PLACEHOLDER)
        number = rng.choice(["1" + "0" * 400 + ".5", "1e999", "-1e999", "0." + "1" * 5000, "1" * 4000 + "e-4000"])
        return json.dumps(document).replace(json.dumps(_PLACEHOLDER), number)

    def not_an_object(rng: random.Random, document: Any) -> str:
        return json.dumps(rng.choice([[document], "text", 42, None, True, []]))

    return {
        "huge_int": huge_int,
        "deep_nesting": deep_nesting,
        "wrong_type": wrong_type,
        "hostile_string": hostile_string,
        "hostile_key": hostile_key,
        "drop_key": drop_key,
        "extra_key": extra_key,
        "nan_and_infinity": nan_and_infinity,
        "long_number": long_number,
        "not_an_object": not_an_object,
    }


def _get(document: Any, path: _Path) -> Any:
    for part in path:
        document = document[part]
    return document


# -------------------------------------------------------------------------------- bytes

_LATIN1_NAME: Final = "Zoë Müller, Café Straße"


def _byte_mutations() -> dict[str, Callable[[random.Random, str], bytes]]:
    def latin1(rng: random.Random, body: str) -> bytes:
        return body.replace("a", _LATIN1_NAME, 1).encode("latin-1", errors="replace")

    def utf16(rng: random.Random, body: str) -> bytes:
        return body.encode(rng.choice(["utf-16", "utf-16-le", "utf-16-be", "utf-32"]))

    def invalid_utf8(rng: random.Random, body: str) -> bytes:
        raw = bytearray(body.encode())
        for _ in range(rng.randint(1, 4)):
            raw.insert(rng.randrange(len(raw) + 1), rng.choice([0xFF, 0xC0, 0x80, 0xED]))
        return bytes(raw)

    def random_bytes(rng: random.Random, body: str) -> bytes:
        return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 2048)))

    def truncated(rng: random.Random, body: str) -> bytes:
        return body.encode()[: rng.randrange(max(len(body), 1))]

    def empty(rng: random.Random, body: str) -> bytes:
        return rng.choice([b"", b" ", b"\n\t", b"null", b"{}", b"[]"])

    def oversize(rng: random.Random, body: str) -> bytes:
        return b'{"pad": "' + b"x" * rng.choice([300_000, 1_200_000]) + b'"}'

    return {
        "latin1": latin1,
        "utf16": utf16,
        "invalid_utf8": invalid_utf8,
        "random_bytes": random_bytes,
        "truncated": truncated,
        "empty": empty,
        "oversize": oversize,
    }


def _csv_junk(rng: random.Random, body: str) -> bytes:
    header, _, rest = body.partition("\n")
    row = rest.strip().split(",")
    choice = rng.randrange(8)
    if choice == 0:
        return bytes(rng.getrandbits(8) for _ in range(512))
    if choice == 1:
        row[rng.randrange(len(row))] = "12\x0034"
    elif choice == 2:
        row[rng.randrange(len(row))] = "9" * 200_000
    elif choice == 3:
        row[5] = rng.choice(["31-02-2025", "yesterday", "2025-13-45", "9" * 30, "\ud800"])
    elif choice == 4:
        row[2] = rng.choice(["1,34,176.00", "₹ lots", "1e999", "NaN", "-5", "9" * 5000, "0x10"])
    elif choice == 5:
        return (header + "\n" + '"unterminated,' + ",".join(row) + "\n").encode()
    elif choice == 6:
        return (",".join(["col"] * 5000) + "\n" + ",".join(row) + "\n").encode()
    else:
        return (header + "\n" + "\n".join(",".join(row) for _ in range(rng.randint(2, 3)))).encode()
    return (header + "\n" + ",".join(row) + "\n").encode("utf-8", errors="surrogatepass")


def _form_junk(rng: random.Random, document: Any) -> bytes:
    choice = rng.randrange(6)
    text = json.dumps(document)
    if choice == 0:
        return b"JSONString=%FF%FE" + urllib.parse.quote(text).encode()
    if choice == 1:
        return b"other=1"
    if choice == 2:
        return b"JSONString=" + urllib.parse.quote("not json").encode()
    if choice == 3:
        return ("JSONString=" + urllib.parse.quote("[" * 5000)).encode()
    if choice == 4:
        return ("JSONString=" + urllib.parse.quote(text) + "&JSONString=" + urllib.parse.quote("{}")).encode()
    return ("JSONString=" + urllib.parse.quote(text.replace('"SO-', '"\\ud800SO-'))).encode()


# -------------------------------------------------------------------------------- the requests

_KIND_WEIGHTS: Final = {
    "unchanged": 3,
    "huge_int": 4,
    "deep_nesting": 3,
    "wrong_type": 8,
    "hostile_string": 6,
    "hostile_key": 1,
    "drop_key": 4,
    "extra_key": 3,
    "nan_and_infinity": 2,
    "long_number": 2,
    "not_an_object": 2,
    "latin1": 2,
    "utf16": 2,
    "invalid_utf8": 2,
    "random_bytes": 2,
    "truncated": 3,
    "empty": 1,
    "oversize": 1,
    "wrong_content_type": 1,
    "bad_credential": 1,
    "csv_junk": 4,
    "form_junk": 3,
}


def hostile_requests(seed: int, count: int, tokens: dict[str, str]) -> Iterator[HostileRequest]:
    """``count`` requests spread evenly over the routes, each broken by one kind (weights above)."""
    rng = random.Random(seed)
    all_routes = routes()
    json_mutations = _json_mutations()
    byte_mutations = _byte_mutations()
    for index in range(count):
        route = all_routes[index % len(all_routes)]
        content_type, body = rng.choice(route.samples)
        kinds = [
            kind
            for kind in _KIND_WEIGHTS
            if not (kind == "csv_junk" and "csv" not in content_type)
            and not (kind == "form_junk" and "form" not in content_type)
        ]
        kind = rng.choices(kinds, weights=[_KIND_WEIGHTS[k] for k in kinds])[0]
        headers = {"content-type": content_type, **_credential(route, tokens)}
        payload = _break(rng, kind, content_type, body, json_mutations, byte_mutations, headers)
        yield HostileRequest(route.name, route.path, kind, payload, headers)


def _credential(route: Route, tokens: dict[str, str]) -> dict[str, str]:
    token = tokens[route.token]
    return {"authorization": f"Bearer {token}"} if route.admin else {"x-api-key": token}


def _break(
    rng: random.Random,
    kind: str,
    content_type: str,
    body: str,
    json_mutations: dict[str, Callable[[random.Random, Any], str]],
    byte_mutations: dict[str, Callable[[random.Random, str], bytes]],
    headers: dict[str, str],
) -> bytes:
    if kind == "unchanged":
        return body.encode()
    if kind == "wrong_content_type":
        headers["content-type"] = rng.choice(["text/csv", "application/x-www-form-urlencoded", "image/png", ""])
        return body.encode()
    if kind == "bad_credential":
        for name in list(headers):
            if name != "content-type":
                headers[name] = rng.choice(["", "wrong", headers[name][:-1], headers[name] + "\x00"])
        return body.encode()
    if kind in byte_mutations:
        return byte_mutations[kind](rng, body)
    if kind == "csv_junk":
        return _csv_junk(rng, body)
    form = "form" in content_type
    document = _document(body, form)
    if kind == "form_junk":
        return _form_junk(rng, document)
    if document is None:  # a CSV sample: JSON mutations break its text instead
        return byte_mutations["truncated"](rng, body)
    text = json_mutations[kind](rng, copy.deepcopy(document))
    if form:
        return ("JSONString=" + urllib.parse.quote(text)).encode()
    return text.encode("utf-8", errors="surrogatepass")


def _document(body: str, form: bool) -> Any:
    if form:
        return json.loads(urllib.parse.parse_qs(body)["JSONString"][0])
    try:
        return json.loads(body)
    except ValueError:
        return None
