"""The sample day's HTML page (``local.sample_day.html``): its numbers are the report's, it needs nothing from the
network, and nothing in the report can inject markup into it.

The report is built without a stack, as tests/e2e/test_sample_day.py's report tests do: made-up simulator states
for the rule-path orders, with a remittance batch, a wallet statement and a margin report, so every section has
something to draw. ``numbers_differing`` is shared with tests/e2e/test_run_html_flow.py, which reads back the page
a real replay wrote.
"""

from __future__ import annotations

import html
import json
from html.parser import HTMLParser
from typing import Any

import pytest

from local.sample_data import NDR_LIFECYCLES, SHIPPED, SampleDay, load
from local.sample_day import Baseline, DayStates, Lifecycles, Phase, build_report, render_html
from local.sample_day.records import REMITTANCE_PHASE, WALLET_PHASE, Ack

_WHOLE_DAY = load()
DAY = _WHOLE_DAY.only(_WHOLE_DAY.rule_path_orders())
HOSTILE_REASON = "<script>alert(1)</script>"
HOSTILE_COURIER = 'Evil "Courier" <b>&amp;'
HOSTILE_DLQ_MESSAGE = "<img src=x onerror=alert(1)>"
_DASH = "\N{EN DASH}"


# --------------------------------------------------------------------------- reading the page back


class _PageReader(HTMLParser):
    """Every element with a ``data-key`` (its attributes and text), and every tag's attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.numbers: list[tuple[dict[str, str], str]] = []
        self.tags: list[tuple[str, dict[str, str]]] = []
        self._open: dict[str, str] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = {name: value or "" for name, value in attrs}
        self.tags.append((tag, named))
        if "data-key" in named:
            self._open, self._text = named, []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if self._open is not None:
            self.numbers.append((self._open, "".join(self._text)))
            self._open = None


def read_page(page: str) -> _PageReader:
    reader = _PageReader()
    reader.feed(page)
    reader.close()
    return reader


def _resolve(node: Any, key: str) -> Any:
    """The value at a dotted path; an object's keys may hold dots themselves (the longest that leads on wins)."""
    if isinstance(node, list):
        head, _, rest = key.partition(".")
        child = node[int(head)]
        return _resolve(child, rest) if rest else child
    if key in node:
        return node[key]
    for name in sorted(node, key=len, reverse=True):
        if key.startswith(name + "."):
            try:
                return _resolve(node[name], key[len(name) + 1 :])
            except (LookupError, ValueError, TypeError):
                continue
    raise KeyError(key)


def _expected(report: dict[str, Any], attrs: dict[str, str]) -> Any:
    node = _resolve(report, attrs["data-key"])
    agg = attrs.get("data-agg")
    if agg is None:
        return node
    items = list(node.values()) if isinstance(node, dict) else list(node)
    if agg == "len":
        return len(items)
    if agg == "sum":
        return sum(item[attrs["data-field"]] if "data-field" in attrs else item for item in items)
    if agg == "count" and "data-contains" in attrs:
        return sum(1 for item in items if attrs["data-contains"] in item)
    if agg == "count":
        return sum(1 for item in items if item.get(attrs["data-field"]) == attrs["data-equals"])
    raise AssertionError(f"unknown data-agg {agg!r}")


def numbers_differing(page: str, report: dict[str, Any]) -> list[str]:
    """Each number on the page that is not what the JSON holds at its ``data-key``, as a readable line."""
    problems = []
    for attrs, text in read_page(page).numbers:
        where = f"{attrs['data-key']} {attrs.get('data-agg', '')}".rstrip()
        try:
            want = _expected(report, attrs)
        except (LookupError, ValueError, TypeError) as error:
            problems.append(f"{where}: not in the report ({error!r})")
            continue
        if want is None:
            if text != _DASH:
                problems.append(f"{where}: shows {text!r} for null")
            continue
        if isinstance(want, bool) or not isinstance(want, int | float):
            problems.append(f"{where}: the report holds {want!r}, not a number")
            continue
        unit = attrs.get("data-unit")
        shown = float(text.replace(",", "")) * (100 if unit == "paise" else 1)
        tolerance = {"paise": 0.5, "rupees": 0.005 + 1e-9}.get(unit or "", 0.0)
        if abs(shown - want) > tolerance:
            problems.append(f"{where}: shows {text!r}, the report holds {want!r}")
    return problems


# --------------------------------------------------------------------------- a report without a stack


def _alert(kind: str, number: str, message: str) -> dict[str, Any]:
    body = {"kind": kind, "subject": f"{kind} {number}", "message": message, "correlation_id": number}
    return {"message": json.dumps(body)}


def _group(shipments: int, rtos: int, earned: int, shipping: int) -> dict[str, int]:
    return {
        "shipments": shipments,
        "rtos": rtos,
        "rto_cost": rtos * 9900,
        "earned": earned,
        "shipping_cost": shipping,
        "net": earned - shipping,
    }


def _margin() -> dict[str, Any]:
    couriers = {"Delhivery Surface": _group(5, 1, 1_250_050, 95_050), HOSTILE_COURIER: _group(4, 0, 10_000, 12_345)}
    return {
        "total": {
            "earned": 1_260_050,
            "cod_collected": 250_050,
            "reversals": -9900,
            "shipping_cost": 107_395,
            "net": 1_152_655,
        },
        "by_courier": couriers,
        "by_tier": {"tier-1": _group(6, 1, 1_000_000, 60_000), "tier-2/3": _group(3, 0, 260_050, 47_395)},
        "by_payment": {"COD": _group(4, 1, 250_050, 40_000), "Prepaid": _group(5, 0, 1_010_000, 67_395)},
        "courier_history": {"Delhivery Surface": {"shipments": 5, "rto_rate": 0.2, "rto_cost": 99.0}},
        "reconciliation": {"wallet_movement": 12_050, "attributed": 107_395, "unattributed": 0, "balanced": True},
        "orders": [{}] * 9,
    }


def _states(day: SampleDay, cod_invoice: str) -> DayStates:
    """Confirmed as expected, ended as expected; one COD order paid in Books, two wallet rows booked."""
    confirmed, final = [], []
    couriers = ("Delhivery Surface", HOSTILE_COURIER)
    for index, (so, want) in enumerate(zip(day.zoho_seed["salesorders"], day.expected["orders"], strict=True)):
        courier = {"cf_courier_partner": couriers[index % 2]}
        confirmed.append({**so, "custom_field_hash": {**courier, "cf_shipment_status": want["expect"]}})
        final.append({**so, "custom_field_hash": {**courier, "cf_shipment_status": want["final"]}})
    confirmed_zoho = {
        "salesorders": confirmed,
        "packages": [],
        "shipmentorders": [],
        "calls": {"GET /inventory/v1/salesorders/{salesorder_id}": 16, "POST /oauth/v2/token": 1},
    }
    zoho = {
        "salesorders": final,
        "shipmentorders": [],
        "salesreturns": [],
        "salesreturnreceives": [],
        "creditnotes": [],
        "invoices": [{**invoice, "balance": 0.0} for invoice in day.zoho_seed["invoices"]],
        "items": day.zoho_seed["items"],
        "customerpayments": [
            {
                "amount": 1250.5,
                "bank_charges": 40.25,
                "reference_number": "UTR-1",
                "invoices": [{"invoice_id": cod_invoice}],
            }
        ],
        "expenses": [{"reference_number": "SRW-T1"}, {"reference_number": "SRW-T2"}],
        "calls": {},
    }
    shiprocket = {
        "orders": [],
        "webhooks": [],
        "calls": {"GET /courier/serviceability/": 12},
        "wallet_rows": [
            {"transaction_id": "T1", "charge": "Freight Charges", "debit_amount": 95.5, "awb_code": "AWB1"},
            {"transaction_id": "T2", "charge": "RTO Freight Charges", "debit_amount": 25.0, "awb_code": "AWB2"},
        ],
        "wallet_balance": 879.5,
    }
    return DayStates(confirmed_zoho, shiprocket, zoho, shiprocket)


def _report(played: bool = True, margin: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report as run.json holds it; ``played=False``: a day stopped before its lifecycles (no remittance, no
    wallet)."""
    orders = DAY.expected["orders"]
    cod = next(o for o in orders if o["payment"] == "COD" and o["final"] == "Delivered" and o["invoice"])
    failed = next(o for o in orders if o["expect"] != SHIPPED)
    alerts = [
        _alert(kind, o["salesorder_number"], HOSTILE_REASON if o is failed else f"{kind} of {o['salesorder_number']}")
        for o in orders
        for kind in [*o["alerts"], *(["NdrRaised"] if o["lifecycle"] in NDR_LIFECYCLES else [])]
    ]
    lifecycles = Lifecycles(
        phases=[
            Phase("delivered", 2.5, 6, 18, {"PUT /inventory/v1/salesorders/{salesorder_id}": 14}, {}),
            Phase(REMITTANCE_PHASE, 1.25, 1, 0, {"POST /books/v3/customerpayments": 1}, {"GET /orders/show/{id}": 1}),
            Phase(WALLET_PHASE, 1.0, 9, 0, {"POST /books/v3/expenses": 2}, {"GET /account/details/statement": 1}),
        ],
        problems=[],
        remittances=[
            {
                "utr": "UTR-1",
                "route": "webhook",
                "short_by": 100.0,
                "orders": [cod["salesorder_number"]],
                "awbs": ["AWB1"],
                "batch": {"orders": [{"awb": "AWB1", "cod_amount": 1250.5, "deducted_charges": 40.25}]},
                "bank_transfer_amount": 1110.25,
            }
        ],
        wallet={"runs": [{"booked": 2}], "margin_status": 200, "margin": _margin() if margin is None else margin},
    )
    number = orders[0]["salesorder_number"]
    report = build_report(
        DAY,
        [Ack(1, number, 202, 12.5, acknowledged_as=number), Ack(2, number, 202, 30.25, acknowledged_as=number)],
        _states(DAY, str(cod["invoice"]["invoice_id"])),
        {"OrderDLQ": 2, "StatusDLQ": 0, "OrderQueue": 1},
        alerts,
        Baseline({}, {}, 0, 0, 0, wallet_balance=1000.0),
        {"confirm": 1.0, "posting": 0.5, "processing": 0.5, "lifecycles": 4.75, "total": 5.75},
        dlq_messages={"OrderDLQ": [number, HOSTILE_DLQ_MESSAGE]},
        lifecycles=lifecycles if played else None,
    )
    # The page is made from the report as written to run.json.
    loaded: dict[str, Any] = json.loads(json.dumps(report))
    return loaded


# --------------------------------------------------------------------------- the tests


def test_every_number_on_the_page_is_the_report_s() -> None:
    report = _report()
    page = render_html(report)
    assert numbers_differing(page, report) == []
    keys = {attrs["data-key"] for attrs, _ in read_page(page).numbers}
    # One number from each section, so a section that stops drawing is noticed.
    assert {
        "orders.shipped",
        "failures.Invalid Order",
        "lifecycle.final_status.Delivered",
        "alerts.tracking_by_order",
        "shipped_by_courier.Delhivery Surface",
        "shipped_by_tier.tier1",
        "wallet.margin.by_courier.Delhivery Surface.rtos",
        "wallet.margin.by_tier.tier-2/3.rtos",
        "remittance.cod_collected",
        "remittance.unremitted_cod_orders",
        "remittance.batches.0.difference",
        "dlq.OrderDLQ",
        "phases",
        "phases.1.zoho_calls",
        "api_calls.zoho.total",
        "wallet.rows_by_charge.Freight Charges",
        "wallet.margin.total.net",
        "wallet.margin.by_payment.COD.net",
        f"wallet.margin.by_courier.{HOSTILE_COURIER}.net",
        "exceptions.by_courier.Delhivery Surface.ndrs",
        "exceptions.by_tier.tier1.rtos",
    } <= keys


def test_ndrs_and_rtos_per_courier_and_tier_are_the_orders_ops_were_paged_about() -> None:
    report = _report()
    paged = report["alerts"]["tracking_by_order"]
    for group in ("by_courier", "by_tier"):
        rows = report["exceptions"][group].values()
        assert sum(row["ndrs"] for row in rows) == sum("NdrRaised" in kinds for kinds in paged.values())
        assert sum(row["rtos"] for row in rows) == sum("RtoInitiated" in kinds for kinds in paged.values())
        assert sum(row["shipped"] for row in rows) == report["orders"]["shipped"]
    assert sum(row["ndrs"] for row in report["exceptions"]["by_tier"].values()) > 0
    assert {name: row["shipped"] for name, row in report["exceptions"]["by_tier"].items()} == report["shipped_by_tier"]


def test_the_read_back_catches_a_number_that_is_not_the_report_s() -> None:
    report = _report()
    page = render_html(report)
    report["orders"]["shipped"] += 1
    report["wallet"]["margin"]["total"]["net"] += 1
    report["remittance"]["cod_collected"] += 0.01
    report["failures"]["Invalid Order"].pop()
    problems = numbers_differing(page, report)
    for key in ("orders.shipped", "wallet.margin.total.net", "remittance.cod_collected", "failures.Invalid Order"):
        assert any(problem.startswith(key + ":") or problem.startswith(key + " ") for problem in problems), key


def test_the_charts_are_drawn_from_the_numbers() -> None:
    report = _report()
    tags = read_page(render_html(report)).tags
    rects = [attrs for tag, attrs in tags if tag == "rect"]
    assert len([tag for tag, _ in tags if tag == "svg"]) >= 10
    assert all(float(rect["width"]) >= 0 for rect in rects)
    # The loss-making courier's bar goes left of the zero line, in its own colour.
    assert any(rect.get("class") == "negative" for rect in rects)


def test_the_page_needs_nothing_from_the_network() -> None:
    page = render_html(_report())
    lowered = page.lower()
    for needle in ("<script", "http://", "https://", "<link", "@import", "url(", "<iframe", "<object"):
        assert needle not in lowered, needle
    for tag, attrs in read_page(page).tags:
        assert "src" not in attrs, tag
        assert attrs.get("href", "#").startswith("#"), attrs
        assert not any(name.startswith("on") for name in attrs), attrs


def test_strings_from_the_report_are_escaped() -> None:
    report = _report()
    assert any(row["reason"] == HOSTILE_REASON for rows in report["failures"].values() for row in rows), (
        "the failure reason did not reach the report"
    )
    assert HOSTILE_COURIER in report["shipped_by_courier"]
    page = render_html(report)
    assert HOSTILE_REASON not in page
    assert html.escape(HOSTILE_REASON) in page
    assert HOSTILE_DLQ_MESSAGE not in page
    assert "<b>" not in page
    assert not any(tag in ("script", "img", "b") for tag, _ in read_page(page).tags)
    # The courier's name survives as an attribute: its numbers read back (checked above) under its own key.
    assert f"shipped_by_courier.{HOSTILE_COURIER}" in {attrs["data-key"] for attrs, _ in read_page(page).numbers}


@pytest.mark.parametrize(
    ("played", "margin"),
    [(False, None), (True, {"total": None, "by_courier": None, "by_tier": None, "orders": 0})],
    ids=["no-lifecycles", "no-margin-report"],
)
def test_an_empty_wallet_and_remittance_render(played: bool, margin: dict[str, Any] | None) -> None:
    report = _report(played=played, margin=margin)
    if not played:
        assert report["wallet"] == {"played": False}
        assert report["remittance"]["batches"] == []
    page = render_html(report)
    assert numbers_differing(page, report) == []
    assert ("The wallet phase did not run." in page) is not played
    assert ("No margin report" in page) is played
