"""``shipsync report [--since 7d] [--html FILE] [--json]``: a period's operations (``shipsync.ops.period``) as text,
JSON, or one self-contained HTML page whose every number names its place in the JSON (``shipsync_cli.html_page``)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from shipsync_cli import html_page as page

OK, PROBLEMS = 0, 1
_DAYS = re.compile(r"^(?P<days>[1-9]\d?)d$")
MAX_DAYS = 92


def add_report(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    report = commands.add_parser(
        "report",
        help="the period's orders, failures, NDRs, RTOs, COD, DLQs and Zoho budget; --html FILE draws a page",
        description=(
            "Read the ledger for the period's orders (by state and by day), failures by reason, shipments by "
            "status, NDRs and RTOs by courier and destination tier, COD delivered against remitted with the age of "
            "what is owed, and read the DLQs' depth and Zoho's daily budget (one Zoho read). Read-only. --html "
            "writes one page that opens offline. Exit 1 when a DLQ holds messages or an order failed."
        ),
    )
    report.add_argument("--since", default="7d", help=f"the last N days, today included: 1d to {MAX_DAYS}d (7d)")
    report.add_argument("--html", type=Path, metavar="FILE", help="also write the report as one HTML page")
    report.add_argument("--json", action="store_true", help="print the report as JSON (amounts in paise)")
    report.set_defaults(command=report_command)


def period_days(text: str, today: date) -> tuple[date, date]:
    found = _DAYS.match(text.strip())
    if found is None or int(found["days"]) > MAX_DAYS:
        raise ValueError(f"--since {text!r}: a number of days from 1d to {MAX_DAYS}d, like 7d")
    return today - timedelta(days=int(found["days"]) - 1), today


def report_command(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.domain.india import IST
    from shipsync.ops.wiring import period_report
    from shipsync_cli.targets import TargetError

    try:
        first, last = period_days(args.since, datetime.now(IST).date())
    except ValueError as problem:
        raise TargetError(str(problem)) from None
    report = period_report(first, last)
    if args.html:
        args.html.write_text(render_html(report), encoding="utf-8")
    print(json.dumps(report, indent=2) if args.json else render_text(report), file=out)
    return PROBLEMS if sum(report["dlq"].values()) or report["orders"]["failed"] else OK


def render_text(report: dict[str, Any]) -> str:
    period, orders, cod = report["period"], report["orders"], report["cod"]
    exceptions, zoho = report["exceptions"], report["zoho"]
    waiting = {name: depth for name, depth in report["dlq"].items() if depth}
    lines = [
        f"{period['from']} to {period['to']} (IST): {orders['confirmed']} confirmed, {orders['shipped']} shipped, "
        f"{orders['failed']} failed",
        *(f"  {count} x {reason}" for reason, count in report["failures"].items()),
        f"Shipments: {report['shipments']['total']}; NDRs {exceptions['ndrs']} ({exceptions['ndrs_waiting']} "
        f"waiting), RTOs {exceptions['rtos']}",
        f"COD delivered {cod['delivered']} (₹{cod['delivered_paise'] / 100:,.2f}), remitted {cod['remitted']}, "
        f"not remitted {cod['not_remitted']} (₹{cod['not_remitted_paise'] / 100:,.2f})",
        "DLQs: " + (", ".join(f"{name} {depth}" for name, depth in waiting.items()) if waiting else "all empty"),
        f"Zoho calls left today: {_maybe(zoho['calls_left'])} of {_maybe(zoho['daily_cap'])}",
    ]
    return "\n".join(lines)


def _maybe(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


# ------------------------------------------------------------------------------------------------ the page

_SECTIONS = (
    ("orders", "Orders by status"),
    ("failures", "Failures by reason"),
    ("exceptions", "NDRs and RTOs by courier and tier"),
    ("cod", "COD delivered and remitted"),
    ("dlq", "Dead-letter queues"),
    ("zoho", "Zoho API budget"),
)
_TITLES = dict(_SECTIONS)


def render_html(report: dict[str, Any]) -> str:
    period = report["period"]
    title = f"shipsync {period['from']} to {period['to']}"
    nav = " ".join(f'<a href="#{anchor}">{page.escape(name)}</a>' for anchor, name in _SECTIONS)
    summary = page.table(
        (),
        [
            ["days", page.at(report, "period", "days")],
            ["orders confirmed", page.at(report, "orders", "confirmed")],
            ["orders shipped", page.at(report, "orders", "shipped")],
            ["orders failed", page.at(report, "orders", "failed")],
            ["shipments recorded", page.at(report, "shipments", "total")],
            ["messages in DLQs", page.total(report, "dlq")],
        ],
    )
    header = (
        f"<header><h1>{page.escape(title)} (IST)</h1><nav>{nav}</nav>{page.pair(summary)}"
        f"{page.note('Generated ' + str(period['generated_at']) + ' from the ledger.')}</header>"
    )
    body = "".join(
        [header, _orders(report), _failures(report), _exceptions(report), _cod(report), _dlq(report), _zoho(report)]
    )
    return page.document(title, body)


def _orders(report: dict[str, Any]) -> str:
    by_state = report["orders"]["by_state"]
    states = page.chart(
        "Orders by state", [page.Bar(state, page.at(report, "orders", "by_state", state)) for state in by_state]
    )
    days = report["orders"]["by_day"]
    shipped = page.chart(
        "Shipped per day",
        [page.Bar(day["day"], page.at(report, "orders", "by_day", n, "shipped")) for n, day in enumerate(days)],
    )
    table = page.table(
        ["day", "confirmed", "shipped", "failed"],
        [
            [day["day"], *(page.at(report, "orders", "by_day", n, key) for key in ("confirmed", "shipped", "failed"))]
            for n, day in enumerate(days)
        ],
    )
    statuses = page.chart(
        "Shipments by status now",
        [
            page.Bar(status, page.at(report, "shipments", "by_status", status))
            for status in report["shipments"]["by_status"]
        ],
    )
    return page.section("orders", _TITLES["orders"], page.pair(states, table), page.pair(shipped, statuses))


def _failures(report: dict[str, Any]) -> str:
    reasons = report["failures"]
    if not reasons:
        return page.section("failures", _TITLES["failures"], page.note("No order failed in the period."))
    bars = [page.Bar(reason, page.at(report, "failures", reason), "bad") for reason in reasons]
    return page.section("failures", _TITLES["failures"], page.chart("Failed orders by reason", bars))


def _exceptions(report: dict[str, Any]) -> str:
    exceptions = report["exceptions"]
    totals = page.table(
        (),
        [
            ["shipments with an NDR", page.at(report, "exceptions", "ndrs")],
            ["NDRs waiting for an action", page.at(report, "exceptions", "ndrs_waiting")],
            ["RTOs", page.at(report, "exceptions", "rtos")],
        ],
    )
    parts = [page.pair(totals)]
    for group, heading in (("by_courier", "courier"), ("by_tier", "tier")):
        names = list(exceptions[group])
        rows = [
            [name, *(page.at(report, "exceptions", group, name, key) for key in ("shipments", "ndrs", "rtos"))]
            for name in names
        ]
        rtos = page.chart(
            f"RTOs by {heading}",
            [page.Bar(name, page.at(report, "exceptions", group, name, "rtos"), "bad") for name in names],
        )
        parts.append(page.pair(page.table([heading, "shipments", "NDRs", "RTOs"], rows), rtos))
    return page.section("exceptions", _TITLES["exceptions"], *parts)


def _cod(report: dict[str, Any]) -> str:
    amounts = page.chart(
        "COD amounts (₹)",
        [
            page.Bar("delivered", page.at(report, "cod", "delivered_paise", unit="paise")),
            page.Bar("remitted (paid in Books)", page.at(report, "cod", "remitted_paise", unit="paise")),
            page.Bar("not remitted", page.at(report, "cod", "not_remitted_paise", unit="paise"), "bad"),
        ],
    )
    counts = page.table(
        (),
        [
            ["COD orders delivered", page.at(report, "cod", "delivered")],
            ["remitted", page.at(report, "cod", "remitted")],
            ["not remitted", page.at(report, "cod", "not_remitted")],
        ],
    )
    aging = page.chart(
        "Not remitted, by days since delivery",
        [page.Bar(label, page.at(report, "cod", "aging", label), "bad") for label in report["cod"]["aging"]],
    )
    return page.section("cod", _TITLES["cod"], page.pair(amounts, counts), aging)


def _dlq(report: dict[str, Any]) -> str:
    bars = [
        page.Bar(name, page.at(report, "dlq", name), "bad" if depth else "") for name, depth in report["dlq"].items()
    ]
    return page.section(
        "dlq", _TITLES["dlq"], page.chart("Messages waiting", bars), page.note("shipsync dlq lists them.")
    )


def _zoho(report: dict[str, Any]) -> str:
    budget = page.table(
        (),
        [
            ["daily cap", page.at(report, "zoho", "daily_cap")],
            ["calls used today", page.at(report, "zoho", "calls_used")],
            ["calls left today", page.at(report, "zoho", "calls_left")],
        ],
    )
    why = "As Zoho's answer to this report's one read said (X-Rate-Limit-* headers); blank when it sent none."
    return page.section("zoho", _TITLES["zoho"], page.pair(budget), page.note(why))
