"""The report as one self-contained HTML page (``reports/run.html``, written beside ``reports/run.json``), drawn with
the pieces of ``shipsync_cli.html_page`` (whose docstring says how each number names its place in the JSON)."""

from __future__ import annotations

from typing import Any

from shipsync_cli import html_page as page

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
    summary = page.table(
        (),
        [
            ["webhooks posted", page.at(report, "webhooks", "posted")],
            ["webhooks accepted", page.at(report, "webhooks", "accepted")],
            ["orders confirmed", page.at(report, "orders", "confirmed")],
            ["orders shipped", page.at(report, "orders", "shipped")],
            ["messages in DLQs", page.total(report, "dlq")],
            ["Zoho calls, whole day", page.total(report, "phases", of="zoho_calls")],
            ["differences from the expected day", page.length(report, "mismatches")],
            ["took (s)", page.at(report, "timings_s", "total", unit="number")],
        ],
    )
    nav = " ".join(f'<a href="#{anchor}">{page.escape(title)}</a>' for anchor, title in _SECTIONS)
    day = page.escape(report["day"]["date"])
    return f"<header><h1>Sample day {day}: {verdict}</h1><nav>{nav}</nav>{page.pair(summary)}</header>"


def _orders_section(report: dict[str, Any]) -> str:
    failures: dict[str, Any] = report["failures"]
    confirmed = [
        page.Bar("shipped", page.at(report, "orders", "shipped")),
        *(page.Bar(status, page.length(report, "failures", status), "bad") for status in failures),
        page.Bar("unfinished", page.at(report, "orders", "unfinished"), "bad"),
    ]
    counts = page.table(
        ["orders", ""],
        [[name, page.at(report, "orders", name)] for name in ("confirmed", "shipped", "failed", "unfinished")]
        + [
            [f"expected {status}", page.at(report, "orders", "expected", status)]
            for status in report["orders"]["expected"]
        ],
    )
    final: dict[str, Any] = report["lifecycle"]["final_status"]
    wanted: dict[str, Any] = report["lifecycle"]["expected_final_status"]
    ends = page.table(
        ["status", "orders", "expected"],
        [
            [
                status,
                page.at(report, "lifecycle", "final_status", status) if status in final else None,
                page.at(report, "lifecycle", "expected_final_status", status) if status in wanted else None,
            ]
            for status in [*final, *(status for status in wanted if status not in final)]
        ],
    )
    return page.section(
        "orders",
        _TITLES["orders"],
        page.pair(page.chart("When confirmed", confirmed), counts),
        page.pair(
            page.chart(
                "At the end of the day", [page.Bar(s, page.at(report, "lifecycle", "final_status", s)) for s in final]
            ),
            ends,
        ),
    )


def _failures_section(report: dict[str, Any]) -> str:
    failures: dict[str, list[dict[str, Any]]] = report["failures"]
    if not failures:
        return page.section("failures", _TITLES["failures"], page.note("No order failed."))
    by_scenario = [
        page.Bar(
            f"{status}: {scenario}",
            page.count_where(report, "failures", status, field="scenario", equals=scenario),
            "bad",
        )
        for status, rows in failures.items()
        for scenario in dict.fromkeys(str(row["scenario"]) for row in rows)
    ]
    rows = page.table(
        ["order", "status", "scenario", "reason"],
        [
            [str(row["salesorder_number"]), status, str(row["scenario"]), str(row["reason"] or "(no alert)")]
            for status, found in failures.items()
            for row in found
        ],
    )
    return page.section(
        "failures",
        _TITLES["failures"],
        page.pair(
            page.chart(
                "By status", [page.Bar(status, page.length(report, "failures", status), "bad") for status in failures]
            ),
            page.chart("By scenario", by_scenario),
        ),
        rows,
    )


def _wallet(report: dict[str, Any]) -> dict[str, Any]:
    # Reports written before the wallet phase existed have no "wallet" part; render.py reads them the same way.
    wallet: dict[str, Any] = report.get("wallet") or {"played": False}
    return wallet


def _exceptions_section(report: dict[str, Any]) -> str:
    paged = [
        page.Bar(label, page.count_containing(report, "alerts", "tracking_by_order", value=kind), "bad")
        for label, kind in (("NDR", "NdrRaised"), ("RTO", "RtoInitiated"), ("lost", "ShipmentLost"))
    ]
    planned = page.table(
        ["planned lifecycle", "parcels"],
        [[name, page.at(report, "lifecycle", "planned", name)] for name in report["lifecycle"]["planned"]],
    )
    wallet = _wallet(report)
    margin: dict[str, Any] = (wallet.get("margin") or {}) if wallet.get("played") else {}
    return page.section(
        "exceptions",
        _TITLES["exceptions"],
        page.pair(page.chart("Parcels paged about (NDR, RTO, lost)", paged), planned),
        _paged_by(report, "by_courier", "courier"),
        _paged_by(report, "by_tier", "pincode tier"),
        page.note("RTO costs by courier and tier come from the margin report of the wallet phase."),
        _rtos_by_courier(report, margin),
        _rtos_by_tier(report, margin),
    )


def _paged_by(report: dict[str, Any], group: str, heading: str) -> str:
    """NDRs and RTOs as ops were paged about them, per courier or tier of the shipped orders."""
    names = list(report["exceptions"][group])

    def at(name: str, key: str) -> page.Num:
        return page.at(report, "exceptions", group, name, key)

    table = page.table(
        [heading, "shipped", "NDRs", "RTOs"],
        [[name, at(name, "shipped"), at(name, "ndrs"), at(name, "rtos")] for name in names],
    )
    ndrs = page.chart(f"NDRs by {heading}", [page.Bar(name, at(name, "ndrs"), "bad") for name in names])
    rtos = page.chart(f"RTOs by {heading}", [page.Bar(name, at(name, "rtos"), "bad") for name in names])
    return f"<h3>Paged NDRs and RTOs by {page.escape(heading)}</h3>" + page.pair(table, ndrs, rtos)


def _rtos_by_courier(report: dict[str, Any], margin: dict[str, Any]) -> str:
    couriers: dict[str, Any] = margin.get("by_courier") or {}
    history: dict[str, Any] = margin.get("courier_history") or {}

    def at(courier: str, key: str, unit: page.Unit = "count") -> page.Num:
        return page.at(report, "wallet", "margin", "by_courier", courier, key, unit=unit)

    table = page.table(
        ["courier", "shipments", "RTOs", "RTO cost (₹)", "RTO rate (history)"],
        [
            [
                courier,
                at(courier, "shipments"),
                at(courier, "rtos"),
                at(courier, "rto_cost", "paise"),
                page.at(report, "wallet", "margin", "courier_history", courier, "rto_rate", unit="number")
                if courier in history
                else None,
            ]
            for courier in couriers
        ],
    )
    shipped = [
        page.Bar(courier, page.at(report, "shipped_by_courier", courier)) for courier in report["shipped_by_courier"]
    ]
    rtos = [page.Bar(courier, at(courier, "rtos"), "bad") for courier in couriers]
    return "<h3>By courier</h3>" + page.pair(page.chart("Shipped", shipped), page.chart("RTOs", rtos), table)


def _rtos_by_tier(report: dict[str, Any], margin: dict[str, Any]) -> str:
    tiers: dict[str, Any] = margin.get("by_tier") or {}

    def at(tier: str, key: str, unit: page.Unit = "count") -> page.Num:
        return page.at(report, "wallet", "margin", "by_tier", tier, key, unit=unit)

    table = page.table(
        ["tier (margin report)", "shipments", "RTOs", "RTO cost (₹)"],
        [[tier, at(tier, "shipments"), at(tier, "rtos"), at(tier, "rto_cost", "paise")] for tier in tiers],
    )
    shipped = [page.Bar(tier, page.at(report, "shipped_by_tier", tier)) for tier in report["shipped_by_tier"]]
    rtos = [page.Bar(tier, at(tier, "rtos"), "bad") for tier in tiers]
    parts = ["<h3>By pincode tier</h3>", page.pair(page.chart("Shipped", shipped), page.chart("RTOs", rtos), table)]
    if tiers:
        # The two tier lists differ on purpose; say so rather than leave ops to wonder which is wrong.
        parts.append(
            page.note(
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
                page.Bar(
                    "COD delivered (margin report)",
                    page.at(report, "wallet", "margin", "total", "cod_collected", unit="paise"),
                )
            ]
            if "cod_collected" in total
            else []
        ),
        page.Bar("remitted, gross (paid in Books)", page.at(report, "remittance", "cod_collected", unit="rupees")),
        page.Bar("deducted by Shiprocket", page.at(report, "remittance", "deducted", unit="rupees"), "bad"),
        page.Bar("remitted, net", page.at(report, "remittance", "remitted", unit="rupees")),
    ]
    orders = [
        page.Bar("remitted (payments made)", page.at(report, "remittance", "payments_created")),
        page.Bar("delivered, not remitted", page.length(report, "remittance", "unremitted_cod_orders"), "bad"),
    ]
    expected = page.table(
        ["delivered COD orders", ""],
        [
            ["payments expected", page.at(report, "remittance", "expected_payments")],
            ["unremitted expected", page.at(report, "remittance", "expected_unremitted")],
            [
                "Zoho calls per remitted order",
                page.at(report, "remittance", "zoho_calls_per_remitted_order", unit="number"),
            ],
        ],
    )
    batches = page.table(
        ["UTR", "route", "orders", "net due (₹)", "bank transfer (₹)", "difference (₹)", "balanced"],
        [
            [
                str(batch["utr"]),
                str(batch["route"]),
                page.at(report, "remittance", "batches", index, "orders"),
                page.at(report, "remittance", "batches", index, "expected_net", unit="rupees"),
                page.at(report, "remittance", "batches", index, "bank_transfer_amount", unit="rupees"),
                page.at(report, "remittance", "batches", index, "difference", unit="rupees"),
                "yes" if batch["balanced"] else "NO",
            ]
            for index, batch in enumerate(remittance["batches"])
        ],
    )
    unremitted = ", ".join(str(number) for number in remittance["unremitted_cod_orders"]) or "none"
    return page.section(
        "cod",
        _TITLES["cod"],
        page.pair(page.chart("Amounts (₹)", amounts), page.chart("Orders", orders), expected),
        "<h3>Remittance batches</h3>",
        batches,
        page.note(f"Delivered COD orders not remitted: {unremitted}."),
        page.note(
            "Aging: not in the report (it lists the unremitted orders, not when they were delivered); the stack "
            "pages UnremittedCod for COD delivered longer ago than CodAgingDays (default 10) and not remitted."
        ),
    )


def _dlq_section(report: dict[str, Any]) -> str:
    dlq: dict[str, Any] = report["dlq"]
    parked: dict[str, list[Any]] = report["dlq_messages"]
    depths = page.table(
        ["queue", "messages", "what they concern"],
        [[name, page.at(report, "dlq", name), ", ".join(str(m) for m in parked.get(name, []))] for name in dlq]
        + [[name, page.at(report, "queues", name), "(work queue, still to do)"] for name in report["queues"]],
    )
    bars = [page.Bar(name, page.at(report, "dlq", name), "bad" if depth else "") for name, depth in dlq.items()]
    return page.section("dlq", _TITLES["dlq"], page.pair(page.chart("Depth at the end of the day", bars), depths))


def _zoho_section(report: dict[str, Any]) -> str:
    phases: list[dict[str, Any]] = report["phases"]
    per_phase = [
        page.Bar(str(phase["name"]), page.at(report, "phases", index, "zoho_calls"))
        for index, phase in enumerate(phases)
    ]
    table = page.table(
        ["phase", "seconds", "shipments", "Zoho calls", "Shiprocket calls"],
        [
            [
                str(phase["name"]),
                page.at(report, "phases", index, "seconds", unit="number"),
                page.at(report, "phases", index, "shipments"),
                page.at(report, "phases", index, "zoho_calls"),
                page.at(report, "phases", index, "shiprocket_calls"),
            ]
            for index, phase in enumerate(phases)
        ],
    )
    zoho = report["api_calls"]["zoho"]
    totals = page.table(
        ["Zoho", ""],
        [
            ["calls, whole day", page.total(report, "phases", of="zoho_calls")],
            ["calls when confirming", page.at(report, "api_calls", "zoho", "total")],
            ["per shipped order, confirming", page.at(report, "api_calls", "zoho", "per_shipped_order", unit="number")],
            ["token endpoint calls", page.at(report, "api_calls", "zoho", "auth_calls")],
            ["access-token mints", page.at(report, "token_mints", "zoho")],
        ],
    )
    endpoints = page.table(
        ["endpoint (confirming)", "calls"],
        [[endpoint, page.at(report, "api_calls", "zoho", "by_endpoint", endpoint)] for endpoint in zoho["by_endpoint"]],
    )
    return page.section(
        "zoho",
        _TITLES["zoho"],
        page.pair(page.chart("Zoho calls per phase (token endpoints apart)", per_phase), table),
        page.pair(totals, endpoints),
        page.note("The report counts the calls made; Zoho's daily cap depends on the seller's plan and is not in it."),
    )


def _margin_unit(key: str) -> page.Unit:
    """The margin report's amounts are in paise; only its counts are not."""
    return "count" if key in _MARGIN_COUNTS else "paise"


def _margin_groups(report: dict[str, Any], group: str, title: str) -> str:
    groups: dict[str, Any] = report["wallet"]["margin"].get(group) or {}

    def at(name: str, key: str) -> page.Num:
        return page.at(report, "wallet", "margin", group, name, key, unit=_margin_unit(key))

    table = page.table(
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
    return page.pair(
        page.chart(f"Net margin by {title} (₹)", [page.Bar(name, at(name, "net")) for name in groups]), table
    )


def _wallet_section(report: dict[str, Any]) -> str:
    wallet = _wallet(report)
    if not wallet.get("played"):
        return page.section("wallet", _TITLES["wallet"], page.note("The wallet phase did not run."))

    def at(key: str, unit: page.Unit = "count") -> page.Num:
        return page.at(report, "wallet", key, unit=unit)

    rows = page.table(
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
    charges = [
        page.Bar(charge, page.at(report, "wallet", "rows_by_charge", charge)) for charge in wallet["rows_by_charge"]
    ]
    parts = [page.pair(page.chart("Statement rows by charge", charges), rows)]
    margin = wallet["margin"]
    total: dict[str, Any] = margin.get("total") or {}
    if not total:
        parts.append(page.note("No margin report: the admin route did not answer one."))
        return page.section("wallet", _TITLES["wallet"], *parts)
    headline = [
        page.Bar(key.replace("_", " "), page.at(report, "wallet", "margin", "total", key, unit="paise"))
        for key in ("earned", "shipping_cost", "net")
        if key in total
    ]
    amounts: list[list[page.Cell]] = [
        [key.replace("_", " "), page.at(report, "wallet", "margin", "total", key, unit=_margin_unit(key))]
        for key in total
    ]
    totals = page.table(
        ["margin, all orders", "₹"],
        [*amounts, ["orders in the margin report", page.at(report, "wallet", "margin", "orders")]],
    )
    parts.append(page.pair(page.chart("Margin (₹)", headline), totals))
    parts += [
        _margin_groups(report, "by_courier", "courier"),
        _margin_groups(report, "by_tier", "tier"),
        _margin_groups(report, "by_payment", "payment"),
    ]
    return page.section("wallet", _TITLES["wallet"], *parts)


def _alerts_section(report: dict[str, Any]) -> str:
    by_kind: dict[str, Any] = report["alerts"]["by_kind"]
    table = page.table(
        ["order", "alerts"],
        [
            [number, ", ".join(str(kind) for kind in kinds)]
            for number, kinds in report["alerts"]["tracking_by_order"].items()
        ],
    )
    return page.section(
        "alerts",
        _TITLES["alerts"],
        page.pair(
            page.chart(
                "Pages by kind", [page.Bar(kind, page.at(report, "alerts", "by_kind", kind)) for kind in by_kind]
            ),
            page.table((), [["pages in all", page.at(report, "alerts", "total")]]),
            table,
        ),
    )


def _mismatches_section(report: dict[str, Any]) -> str:
    mismatches: list[Any] = report["mismatches"]
    if not mismatches:
        return page.section("mismatches", _TITLES["mismatches"], page.note("Nothing: the day ended as expected."))
    items = "".join(f"<li>{page.escape(problem)}</li>" for problem in mismatches)
    return page.section("mismatches", _TITLES["mismatches"], f"<ul>{items}</ul>")


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
    return page.document(title, body)
