"""The report as one self-contained HTML page (``reports/run.html``, written beside ``reports/run.json``).

Charts are inline SVG bars with their numbers written beside them, each next to a table. There is no script, no
network, no external font or style sheet: the page opens offline, as a file or an e-mail attachment. Every string
from the report is escaped. Every number is an element whose ``data-key`` is its dotted path in the report's JSON
(list items by index), so a test can read the page back against the JSON:

- no ``data-agg``: the value at that path; ``data-agg="len"``: the length of the list or object there;
  ``data-agg="sum"``: the sum of its values (of each item's ``data-field`` when given); ``data-agg="count"``: how
  many of its values are lists holding ``data-contains``, or objects whose ``data-field`` is ``data-equals``;
- ``data-unit="paise"``: an amount in paise shown in rupees; ``data-unit="rupees"``: rupees shown to the paisa.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Unit = Literal["count", "number", "rupees", "paise"]
Tone = Literal["", "bad"]
PathPart = str | int

# The bar chart's geometry, in SVG user units (= CSS pixels).
_LABEL_W, _BAR_W, _NUMBER_W, _ROW, _PAD = 250, 240, 100, 22, 6
_LABEL_CHARS = 36
_DASH = "\N{EN DASH}"

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d2430; margin: 0 auto;
       max-width: 1180px; padding: 16px 20px 40px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid #d7dce3; }
h3 { font-size: 14px; margin: 14px 0 6px; }
nav a { margin-right: 12px; color: #2f5f98; }
.ok { color: #1f7a3a; } .not-ok { color: #b3261e; }
.pair { display: flex; flex-wrap: wrap; gap: 12px 28px; align-items: flex-start; margin: 8px 0 16px; }
figure { margin: 0; } figcaption { font-weight: 600; margin-bottom: 2px; }
svg text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; fill: #1d2430; }
svg rect { fill: #4a7ab5; } svg rect.bad { fill: #c2473a; } svg rect.negative { fill: #c98a2b; }
svg line { stroke: #8a94a3; }
table { border-collapse: collapse; font-size: 13px; }
th, td { border-bottom: 1px solid #e3e7ec; padding: 3px 10px 3px 0; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.empty, p.empty { color: #6b7480; font-style: italic; }
p.note { color: #4d5662; max-width: 900px; }
li { margin-bottom: 2px; }
"""


@dataclass(frozen=True)
class Num:
    """A number on the page and where in the report it came from (see the module docstring)."""

    path: tuple[PathPart, ...]
    value: int | float | None
    unit: Unit = "count"
    agg: tuple[tuple[str, str], ...] = ()

    @property
    def size(self) -> float:
        """The bar's length, in the unit the number is shown in."""
        if self.value is None:
            return 0.0
        return self.value / 100 if self.unit == "paise" else float(self.value)


@dataclass(frozen=True)
class Bar:
    label: str
    num: Num
    tone: Tone = ""


Cell = str | Num | None


# --------------------------------------------------------------------------- numbers and where they come from


def _get(report: dict[str, Any], path: Sequence[PathPart]) -> Any:
    node: Any = report
    for part in path:
        node = node[part]
    return node


def _at(report: dict[str, Any], *path: PathPart, unit: Unit = "count") -> Num:
    return Num(path, _get(report, path), unit)


def _length(report: dict[str, Any], *path: PathPart) -> Num:
    return Num(path, len(_get(report, path)), agg=(("agg", "len"),))


def _sum(report: dict[str, Any], *path: PathPart, of: str | None = None, unit: Unit = "count") -> Num:
    node = _get(report, path)
    items = node.values() if isinstance(node, dict) else node
    total = sum(item[of] if of else item for item in items)
    return Num(path, total, unit, (("agg", "sum"), *((("field", of),) if of else ())))


def _count_containing(report: dict[str, Any], *path: PathPart, value: str) -> Num:
    count = sum(1 for item in _get(report, path).values() if value in item)
    return Num(path, count, agg=(("agg", "count"), ("contains", value)))


def _count_where(report: dict[str, Any], *path: PathPart, field: str, equals: str) -> Num:
    count = sum(1 for item in _get(report, path) if item.get(field) == equals)
    return Num(path, count, agg=(("agg", "count"), ("field", field), ("equals", equals)))


def _shown(num: Num) -> str:
    value = num.value
    if value is None:
        return _DASH
    if num.unit == "paise":
        return f"{value / 100:,.2f}"
    if num.unit == "rupees":
        return f"{value:,.2f}"
    return f"{value:,}"


# --------------------------------------------------------------------------- HTML and SVG pieces


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _num_attrs(num: Num) -> str:
    attrs = [("key", ".".join(str(part) for part in num.path)), *num.agg]
    if num.unit in ("paise", "rupees"):
        attrs.append(("unit", num.unit))
    return " ".join(f'data-{name}="{_e(value)}"' for name, value in attrs)


def _cell(cell: Cell) -> str:
    if isinstance(cell, Num):
        return f'<td class="n" {_num_attrs(cell)}>{_e(_shown(cell))}</td>'
    if cell is None:
        return f'<td class="n">{_DASH}</td>'
    return f"<td>{_e(cell)}</td>"


def _table(head: Sequence[str], rows: Iterable[Sequence[Cell]]) -> str:
    """A table; with no ``head``, a list of labelled numbers."""
    header = "".join(f"<th>{_e(title)}</th>" for title in head)
    body = "".join("<tr>" + "".join(_cell(cell) for cell in row) + "</tr>" for row in rows)
    if not body:
        body = f'<tr><td class="empty" colspan="{max(len(head), 1)}">none</td></tr>'
    thead = f"<thead><tr>{header}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{body}</tbody></table>"


def _short(label: str) -> str:
    return label if len(label) <= _LABEL_CHARS else label[: _LABEL_CHARS - 1] + "\N{HORIZONTAL ELLIPSIS}"


def _chart(title: str, bars: Sequence[Bar]) -> str:
    """Horizontal bars from a zero line (negative amounts, a loss, go left of it), each number written after it."""
    if not bars:
        return f'<p class="empty">{_e(title)}: nothing to draw.</p>'
    sizes = [bar.num.size for bar in bars]
    low, high = min(0.0, *sizes), max(0.0, *sizes)
    span = (high - low) or 1.0
    zero = _LABEL_W + _BAR_W * -low / span
    width, height = _LABEL_W + _BAR_W + _NUMBER_W, _ROW * len(bars) + _PAD
    parts = [
        f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><title>{_e(title)}</title>'
    ]
    for row, (bar, size) in enumerate(zip(bars, sizes, strict=True)):
        top = _PAD + row * _ROW
        end = _LABEL_W + _BAR_W * (size - low) / span
        tone = bar.tone or ("negative" if size < 0 else "")
        css_class = f' class="{tone}"' if tone else ""
        parts.append(
            f'<text x="{_LABEL_W - 8}" y="{top + 12}" text-anchor="end">{_e(_short(bar.label))}</text>'
            f'<rect x="{min(zero, end):.1f}" y="{top}" width="{abs(end - zero):.1f}" height="{_ROW - 8}"{css_class}/>'
            f'<text x="{max(zero, end) + 6:.1f}" y="{top + 12}" {_num_attrs(bar.num)}>{_e(_shown(bar.num))}</text>'
        )
    parts.append(f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}"/></svg>')
    return f"<figure><figcaption>{_e(title)}</figcaption>{''.join(parts)}</figure>"


def _pair(*parts: str) -> str:
    return f'<div class="pair">{"".join(parts)}</div>'


def _note(text: str) -> str:
    return f'<p class="note">{_e(text)}</p>'


def _section(anchor: str, title: str, *parts: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{"".join(parts)}</section>'


# --------------------------------------------------------------------------- the sections

_SECTIONS = (
    ("orders", "Orders by status"),
    ("failures", "Failures by reason"),
    ("exceptions", "NDRs and RTOs"),
    ("cod", "COD delivered and remitted"),
    ("dlq", "Dead-letter queues"),
    ("zoho", "Zoho API budget"),
    ("wallet", "Wallet and margin"),
    ("alerts", "Ops alerts"),
    ("mismatches", "Differs from the expected day"),
)
_TITLES = dict(_SECTIONS)
_MARGIN_COUNTS = frozenset({"shipments", "rtos"})


def _header(report: dict[str, Any]) -> str:
    ok = bool(report["ok"])
    verdict = '<span class="ok">as expected</span>' if ok else '<span class="not-ok">NOT as expected</span>'
    summary = _table(
        (),
        [
            ["webhooks posted", _at(report, "webhooks", "posted")],
            ["webhooks accepted", _at(report, "webhooks", "accepted")],
            ["orders confirmed", _at(report, "orders", "confirmed")],
            ["orders shipped", _at(report, "orders", "shipped")],
            ["messages in DLQs", _sum(report, "dlq")],
            ["Zoho calls, whole day", _sum(report, "phases", of="zoho_calls")],
            ["differences from the expected day", _length(report, "mismatches")],
            ["took (s)", _at(report, "timings_s", "total", unit="number")],
        ],
    )
    nav = " ".join(f'<a href="#{anchor}">{_e(title)}</a>' for anchor, title in _SECTIONS)
    return (
        f"<header><h1>Sample day {_e(report['day']['date'])}: {verdict}</h1><nav>{nav}</nav>{_pair(summary)}</header>"
    )


def _orders_section(report: dict[str, Any]) -> str:
    failures: dict[str, Any] = report["failures"]
    confirmed = [
        Bar("shipped", _at(report, "orders", "shipped")),
        *(Bar(status, _length(report, "failures", status), "bad") for status in failures),
        Bar("unfinished", _at(report, "orders", "unfinished"), "bad"),
    ]
    counts = _table(
        ["orders", ""],
        [[name, _at(report, "orders", name)] for name in ("confirmed", "shipped", "failed", "unfinished")]
        + [
            [f"expected {status}", _at(report, "orders", "expected", status)] for status in report["orders"]["expected"]
        ],
    )
    final: dict[str, Any] = report["lifecycle"]["final_status"]
    wanted: dict[str, Any] = report["lifecycle"]["expected_final_status"]
    ends = _table(
        ["status", "orders", "expected"],
        [
            [
                status,
                _at(report, "lifecycle", "final_status", status) if status in final else None,
                _at(report, "lifecycle", "expected_final_status", status) if status in wanted else None,
            ]
            for status in [*final, *(status for status in wanted if status not in final)]
        ],
    )
    return _section(
        "orders",
        _TITLES["orders"],
        _pair(_chart("When confirmed", confirmed), counts),
        _pair(
            _chart("At the end of the day", [Bar(s, _at(report, "lifecycle", "final_status", s)) for s in final]), ends
        ),
    )


def _failures_section(report: dict[str, Any]) -> str:
    failures: dict[str, list[dict[str, Any]]] = report["failures"]
    if not failures:
        return _section("failures", _TITLES["failures"], _note("No order failed."))
    by_scenario = [
        Bar(f"{status}: {scenario}", _count_where(report, "failures", status, field="scenario", equals=scenario), "bad")
        for status, rows in failures.items()
        for scenario in dict.fromkeys(str(row["scenario"]) for row in rows)
    ]
    rows = _table(
        ["order", "status", "scenario", "reason"],
        [
            [str(row["salesorder_number"]), status, str(row["scenario"]), str(row["reason"] or "(no alert)")]
            for status, found in failures.items()
            for row in found
        ],
    )
    return _section(
        "failures",
        _TITLES["failures"],
        _pair(
            _chart("By status", [Bar(status, _length(report, "failures", status), "bad") for status in failures]),
            _chart("By scenario", by_scenario),
        ),
        rows,
    )


def _wallet(report: dict[str, Any]) -> dict[str, Any]:
    # Reports written before the wallet phase existed have no "wallet" part; render.py reads them the same way.
    wallet: dict[str, Any] = report.get("wallet") or {"played": False}
    return wallet


def _exceptions_section(report: dict[str, Any]) -> str:
    paged = [
        Bar(label, _count_containing(report, "alerts", "tracking_by_order", value=kind), "bad")
        for label, kind in (("NDR", "NdrRaised"), ("RTO", "RtoInitiated"), ("lost", "ShipmentLost"))
    ]
    planned = _table(
        ["planned lifecycle", "parcels"],
        [[name, _at(report, "lifecycle", "planned", name)] for name in report["lifecycle"]["planned"]],
    )
    wallet = _wallet(report)
    margin: dict[str, Any] = (wallet.get("margin") or {}) if wallet.get("played") else {}
    return _section(
        "exceptions",
        _TITLES["exceptions"],
        _pair(_chart("Parcels paged about (NDR, RTO, lost)", paged), planned),
        _note(
            "NDRs by courier and by pincode tier: not in the report (its NDR pages name the order, not the courier "
            "or the tier). RTOs by courier and tier come from the margin report of the wallet phase."
        ),
        _rtos_by_courier(report, margin),
        _rtos_by_tier(report, margin),
    )


def _rtos_by_courier(report: dict[str, Any], margin: dict[str, Any]) -> str:
    couriers: dict[str, Any] = margin.get("by_courier") or {}
    history: dict[str, Any] = margin.get("courier_history") or {}

    def at(courier: str, key: str, unit: Unit = "count") -> Num:
        return _at(report, "wallet", "margin", "by_courier", courier, key, unit=unit)

    table = _table(
        ["courier", "shipments", "RTOs", "RTO cost (₹)", "RTO rate (history)"],
        [
            [
                courier,
                at(courier, "shipments"),
                at(courier, "rtos"),
                at(courier, "rto_cost", "paise"),
                _at(report, "wallet", "margin", "courier_history", courier, "rto_rate", unit="number")
                if courier in history
                else None,
            ]
            for courier in couriers
        ],
    )
    shipped = [Bar(courier, _at(report, "shipped_by_courier", courier)) for courier in report["shipped_by_courier"]]
    rtos = [Bar(courier, at(courier, "rtos"), "bad") for courier in couriers]
    return "<h3>By courier</h3>" + _pair(_chart("Shipped", shipped), _chart("RTOs", rtos), table)


def _rtos_by_tier(report: dict[str, Any], margin: dict[str, Any]) -> str:
    tiers: dict[str, Any] = margin.get("by_tier") or {}

    def at(tier: str, key: str, unit: Unit = "count") -> Num:
        return _at(report, "wallet", "margin", "by_tier", tier, key, unit=unit)

    table = _table(
        ["tier (margin report)", "shipments", "RTOs", "RTO cost (₹)"],
        [[tier, at(tier, "shipments"), at(tier, "rtos"), at(tier, "rto_cost", "paise")] for tier in tiers],
    )
    shipped = [Bar(tier, _at(report, "shipped_by_tier", tier)) for tier in report["shipped_by_tier"]]
    rtos = [Bar(tier, at(tier, "rtos"), "bad") for tier in tiers]
    parts = ["<h3>By pincode tier</h3>", _pair(_chart("Shipped", shipped), _chart("RTOs", rtos), table)]
    if tiers:
        # The two tier lists differ on purpose; say so rather than leave ops to wonder which is wrong.
        parts.append(
            _note(
                "Shipped counts use the sample day's tiers; the margin report splits tier-1 from the rest, "
                "as the courier rules do."
            )
        )
    return "".join(parts)


def _cod_section(report: dict[str, Any]) -> str:
    remittance = report["remittance"]
    wallet = _wallet(report)
    total = ((wallet.get("margin") or {}).get("total") or {}) if wallet.get("played") else {}
    amounts = [
        *(
            [
                Bar(
                    "COD delivered (margin report)",
                    _at(report, "wallet", "margin", "total", "cod_collected", unit="paise"),
                )
            ]
            if "cod_collected" in total
            else []
        ),
        Bar("remitted, gross (paid in Books)", _at(report, "remittance", "cod_collected", unit="rupees")),
        Bar("deducted by Shiprocket", _at(report, "remittance", "deducted", unit="rupees"), "bad"),
        Bar("remitted, net", _at(report, "remittance", "remitted", unit="rupees")),
    ]
    orders = [
        Bar("remitted (payments made)", _at(report, "remittance", "payments_created")),
        Bar("delivered, not remitted", _length(report, "remittance", "unremitted_cod_orders"), "bad"),
    ]
    expected = _table(
        ["delivered COD orders", ""],
        [
            ["payments expected", _at(report, "remittance", "expected_payments")],
            ["unremitted expected", _at(report, "remittance", "expected_unremitted")],
            [
                "Zoho calls per remitted order",
                _at(report, "remittance", "zoho_calls_per_remitted_order", unit="number"),
            ],
        ],
    )
    batches = _table(
        ["UTR", "route", "orders", "net due (₹)", "bank transfer (₹)", "difference (₹)", "balanced"],
        [
            [
                str(batch["utr"]),
                str(batch["route"]),
                _at(report, "remittance", "batches", index, "orders"),
                _at(report, "remittance", "batches", index, "expected_net", unit="rupees"),
                _at(report, "remittance", "batches", index, "bank_transfer_amount", unit="rupees"),
                _at(report, "remittance", "batches", index, "difference", unit="rupees"),
                "yes" if batch["balanced"] else "NO",
            ]
            for index, batch in enumerate(remittance["batches"])
        ],
    )
    unremitted = ", ".join(str(number) for number in remittance["unremitted_cod_orders"]) or "none"
    return _section(
        "cod",
        _TITLES["cod"],
        _pair(_chart("Amounts (₹)", amounts), _chart("Orders", orders), expected),
        "<h3>Remittance batches</h3>",
        batches,
        _note(f"Delivered COD orders not remitted: {unremitted}."),
        _note(
            "Aging: not in the report (it lists the unremitted orders, not when they were delivered); the stack "
            "pages UnremittedCod for COD delivered longer ago than CodAgingDays (default 10) and not remitted."
        ),
    )


def _dlq_section(report: dict[str, Any]) -> str:
    dlq: dict[str, Any] = report["dlq"]
    parked: dict[str, list[Any]] = report["dlq_messages"]
    depths = _table(
        ["queue", "messages", "what they concern"],
        [[name, _at(report, "dlq", name), ", ".join(str(m) for m in parked.get(name, []))] for name in dlq]
        + [[name, _at(report, "queues", name), "(work queue, still to do)"] for name in report["queues"]],
    )
    bars = [Bar(name, _at(report, "dlq", name), "bad" if depth else "") for name, depth in dlq.items()]
    return _section("dlq", _TITLES["dlq"], _pair(_chart("Depth at the end of the day", bars), depths))


def _zoho_section(report: dict[str, Any]) -> str:
    phases: list[dict[str, Any]] = report["phases"]
    per_phase = [
        Bar(str(phase["name"]), _at(report, "phases", index, "zoho_calls")) for index, phase in enumerate(phases)
    ]
    table = _table(
        ["phase", "seconds", "shipments", "Zoho calls", "Shiprocket calls"],
        [
            [
                str(phase["name"]),
                _at(report, "phases", index, "seconds", unit="number"),
                _at(report, "phases", index, "shipments"),
                _at(report, "phases", index, "zoho_calls"),
                _at(report, "phases", index, "shiprocket_calls"),
            ]
            for index, phase in enumerate(phases)
        ],
    )
    zoho = report["api_calls"]["zoho"]
    totals = _table(
        ["Zoho", ""],
        [
            ["calls, whole day", _sum(report, "phases", of="zoho_calls")],
            ["calls when confirming", _at(report, "api_calls", "zoho", "total")],
            ["per shipped order, confirming", _at(report, "api_calls", "zoho", "per_shipped_order", unit="number")],
            ["token endpoint calls", _at(report, "api_calls", "zoho", "auth_calls")],
            ["access-token mints", _at(report, "token_mints", "zoho")],
        ],
    )
    endpoints = _table(
        ["endpoint (confirming)", "calls"],
        [[endpoint, _at(report, "api_calls", "zoho", "by_endpoint", endpoint)] for endpoint in zoho["by_endpoint"]],
    )
    return _section(
        "zoho",
        _TITLES["zoho"],
        _pair(_chart("Zoho calls per phase (token endpoints apart)", per_phase), table),
        _pair(totals, endpoints),
        _note("The report counts the calls made; Zoho's daily cap depends on the seller's plan and is not in it."),
    )


def _margin_unit(key: str) -> Unit:
    """The margin report's amounts are in paise; only its counts are not."""
    return "count" if key in _MARGIN_COUNTS else "paise"


def _margin_groups(report: dict[str, Any], group: str, title: str) -> str:
    groups: dict[str, Any] = report["wallet"]["margin"].get(group) or {}

    def at(name: str, key: str) -> Num:
        return _at(report, "wallet", "margin", group, name, key, unit=_margin_unit(key))

    table = _table(
        [title, "shipments", "RTOs", "earned (₹)", "shipping cost (₹)", "net (₹)"],
        [
            [
                name,
                at(name, "shipments"),
                at(name, "rtos"),
                at(name, "earned"),
                at(name, "shipping_cost"),
                at(name, "net"),
            ]
            for name in groups
        ],
    )
    return _pair(_chart(f"Net margin by {title} (₹)", [Bar(name, at(name, "net")) for name in groups]), table)


def _wallet_section(report: dict[str, Any]) -> str:
    wallet = _wallet(report)
    if not wallet.get("played"):
        return _section("wallet", _TITLES["wallet"], _note("The wallet phase did not run."))

    def at(key: str, unit: Unit = "count") -> Num:
        return _at(report, "wallet", key, unit=unit)

    rows = _table(
        ["wallet", ""],
        [
            ["statement rows", at("statement_rows")],
            ["Books entries", at("books_entries")],
            ["rows of no known shipment", at("unattributed_rows")],
            ["watch runs", at("watch_runs")],
            ["weight discrepancies", at("weight_discrepancies")],
            ["weight discrepancies paged", at("weight_discrepancies_paged")],
            ["low-balance pages", at("low_balance_paged")],
            ["opening balance (₹)", at("opening_balance", "rupees")],
            ["closing balance (₹)", at("closing_balance", "rupees")],
            ["wallet movements (₹)", at("wallet_movement_paise", "paise")],
            ["Zoho calls", at("zoho_calls")],
            ["Zoho calls per shipped order", at("zoho_calls_per_shipment", "number")],
        ],
    )
    charges = [Bar(charge, _at(report, "wallet", "rows_by_charge", charge)) for charge in wallet["rows_by_charge"]]
    parts = [_pair(_chart("Statement rows by charge", charges), rows)]
    margin = wallet["margin"]
    total: dict[str, Any] = margin.get("total") or {}
    if not total:
        parts.append(_note("No margin report: the admin route did not answer one."))
        return _section("wallet", _TITLES["wallet"], *parts)
    headline = [
        Bar(key.replace("_", " "), _at(report, "wallet", "margin", "total", key, unit="paise"))
        for key in ("earned", "shipping_cost", "net")
        if key in total
    ]
    amounts: list[list[Cell]] = [
        [key.replace("_", " "), _at(report, "wallet", "margin", "total", key, unit=_margin_unit(key))] for key in total
    ]
    totals = _table(
        ["margin, all orders", "₹"],
        [*amounts, ["orders in the margin report", _at(report, "wallet", "margin", "orders")]],
    )
    parts.append(_pair(_chart("Margin (₹)", headline), totals))
    parts += [
        _margin_groups(report, "by_courier", "courier"),
        _margin_groups(report, "by_tier", "tier"),
        _margin_groups(report, "by_payment", "payment"),
    ]
    return _section("wallet", _TITLES["wallet"], *parts)


def _alerts_section(report: dict[str, Any]) -> str:
    by_kind: dict[str, Any] = report["alerts"]["by_kind"]
    table = _table(
        ["order", "alerts"],
        [
            [number, ", ".join(str(kind) for kind in kinds)]
            for number, kinds in report["alerts"]["tracking_by_order"].items()
        ],
    )
    return _section(
        "alerts",
        _TITLES["alerts"],
        _pair(
            _chart("Pages by kind", [Bar(kind, _at(report, "alerts", "by_kind", kind)) for kind in by_kind]),
            _table((), [["pages in all", _at(report, "alerts", "total")]]),
            table,
        ),
    )


def _mismatches_section(report: dict[str, Any]) -> str:
    mismatches: list[Any] = report["mismatches"]
    if not mismatches:
        return _section("mismatches", _TITLES["mismatches"], _note("Nothing: the day ended as expected."))
    items = "".join(f"<li>{_e(problem)}</li>" for problem in mismatches)
    return _section("mismatches", _TITLES["mismatches"], f"<ul>{items}</ul>")


def render_html(report: dict[str, Any]) -> str:
    """The page for a report as ``build_report`` returns it (or as read back from its JSON)."""
    body = "".join(
        [
            _header(report),
            _orders_section(report),
            _failures_section(report),
            _exceptions_section(report),
            _cod_section(report),
            _dlq_section(report),
            _zoho_section(report),
            _wallet_section(report),
            _alerts_section(report),
            _mismatches_section(report),
        ]
    )
    title = f"shipsync sample day {report['day']['date']}"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>{body}</body></html>\n"
    )
