"""The report as the plain-text summary ``make run`` prints."""

from __future__ import annotations

from typing import Any

REMITTANCE_ROUTES = {"webhook": "posted as JSON", "poll": "found by the poll, then its CSV uploaded"}


def _table(rows: list[tuple[str, Any]], indent: int = 2) -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"{' ' * indent}{label:<{width}}  {value}" for label, value in rows]


def format_report(report: dict[str, Any]) -> str:
    webhooks, orders, calls = report["webhooks"], report["orders"], report["api_calls"]
    lines = [f"Sample day {report['day']['date']}: {'as expected' if report['ok'] else 'NOT as expected'}", ""]
    lines.append("Webhooks")
    lines += _table(
        [
            ("posted / accepted", f"{webhooks['posted']} / {webhooks['accepted']}  (HTTP {webhooks['by_status']})"),
            ("ack p50 / p99 / max", "{p50} / {p99} / {max} ms".format(**webhooks["ack_ms"])),
        ]
    )
    lines += ["", "Orders"]
    lines += _table(
        [
            ("confirmed", orders["confirmed"]),
            ("shipped", orders["shipped"]),
            ("failed", orders["failed"]),
            ("unfinished", f"{orders['unfinished']}  {' '.join(report['unfinished_orders'])}".rstrip()),
            ("by payment", ", ".join(f"{k} {v}" for k, v in report["shipped_by_payment"].items()) or "-"),
            ("by city tier", ", ".join(f"{k} {v}" for k, v in report["shipped_by_tier"].items()) or "-"),
            ("by pickup", ", ".join(f"{k} {v}" for k, v in report["shipped_by_pickup_location"].items()) or "-"),
        ]
    )
    lines += ["", "Shipped per courier"]
    lines += _table(list(report["shipped_by_courier"].items())) or ["  -"]
    lines += ["", "Failures"]
    for status, rows in report["failures"].items():
        lines.append(f"  {status} ({len(rows)})")
        lines += [f"    {row['salesorder_number']}  {row['reason'] or '(no alert)'}" for row in rows]
    if not report["failures"]:
        lines.append("  -")
    dup = report["duplicates"]
    lines += ["", "Duplicate deliveries"]
    lines += _table(
        [
            (number, f"{info['deliveries']} deliveries -> {info['shiprocket_orders']} Shiprocket order(s)")
            for number, info in dup["orders_with_repeated_deliveries"].items()
        ]
        + [("one Shiprocket order per shipped order", dup["exactly_one_shiprocket_order_per_shipped_order"])]
    )
    lines += ["", "Provider API calls (token endpoints apart)"]
    lines += _table(
        [
            (name, f"{info['total']} calls, {info['per_shipped_order']} per shipped order, {info['auth_calls']} auth")
            for name, info in calls.items()
        ]
    )
    for name, info in calls.items():
        lines += _table([(f"{name} {endpoint}", count) for endpoint, count in info["by_endpoint"].items()], indent=4)
    mints = report["token_mints"]
    lines += ["", "Tokens"]
    lines += _table([("Zoho access-token mints", mints["zoho"]), ("Shiprocket logins", mints["shiprocket_logins"])])
    lines += _format_lifecycles(report)
    lines += _format_remittance(report["remittance"])
    lines += _format_wallet(report.get("wallet") or {})
    lines += ["", "Alerts"]
    lines += _table([("total", report["alerts"]["total"]), *report["alerts"]["by_kind"].items()])
    lines += _table([(n, ", ".join(kinds)) for n, kinds in report["alerts"]["tracking_by_order"].items()], indent=4)
    lines += ["", "Queues"]
    lines += _table([*report["dlq"].items(), *report["queues"].items()]) or ["  -"]
    timings = report["timings_s"]
    lines += [
        "",
        f"Took {timings['total']} s (posting {timings['posting']} s, processing {timings['processing']} s, "
        f"lifecycles {timings.get('lifecycles', 0)} s)",
    ]
    if report["mismatches"]:
        lines += ["", "Differs from the expected day:"]
        lines += [f"  - {problem}" for problem in report["mismatches"]]
    return "\n".join(lines)


def _format_remittance(remittance: dict[str, Any]) -> list[str]:
    if not remittance["batches"]:
        return []
    lines = ["", "COD remittance"]
    lines += _table(
        [
            ("COD collected (paid, gross)", f"{remittance['cod_collected']:.2f}"),
            ("deducted (bank charges)", f"{remittance['deducted']:.2f}"),
            ("remitted (net)", f"{remittance['remitted']:.2f}"),
            ("payments created", f"{remittance['payments_created']} (expected {remittance['expected_payments']})"),
            ("remitted invoices left with a balance", len(remittance["invoices_left_with_balance"])),
            ("mismatch alerts", ", ".join(remittance["mismatch_alerts"]) or "0"),
            ("Zoho calls per remitted order", remittance["zoho_calls_per_remitted_order"]),
            (
                "unremitted COD orders left",
                f"{len(remittance['unremitted_cod_orders'])} (expected {remittance['expected_unremitted']})",
            ),
        ]
    )
    lines += _table(
        [
            (
                batch["utr"],
                f"{REMITTANCE_ROUTES[batch['route']]}, {batch['orders']} orders, net {batch['expected_net']:.2f}, "
                f"transfer {batch['bank_transfer_amount']:.2f}: "
                + ("balanced" if batch["balanced"] else f"NOT balanced, difference {batch['difference']:.2f}"),
            )
            for batch in remittance["batches"]
        ],
        indent=4,
    )
    return lines


def _rupees(paise: Any) -> str:
    return f"{(paise or 0) / 100:.2f}"


def _format_wallet(wallet: dict[str, Any]) -> list[str]:
    if not wallet.get("played"):
        return []
    margin = wallet["margin"]
    total = margin.get("total") or {}
    lines = ["", "Wallet and margin"]
    lines += _table(
        [
            (
                "statement rows",
                f"{wallet['statement_rows']} ({', '.join(f'{k} {v}' for k, v in wallet['rows_by_charge'].items())})",
            ),
            (
                "wallet movements",
                f"{_rupees(wallet['wallet_movement_paise'])} (balance {wallet['opening_balance']:.2f} -> "
                f"{wallet['closing_balance']:.2f})",
            ),
            (
                "Books entries",
                f"{wallet['books_entries']} in {wallet['watch_runs']} watch run(s); "
                f"{wallet['unattributed_rows']} rows of no known shipment",
            ),
            (
                "weight discrepancies paged",
                f"{wallet['weight_discrepancies_paged']} of {wallet['weight_discrepancies']}",
            ),
            ("low-balance pages", wallet["low_balance_paged"]),
            ("Zoho calls per shipped order", wallet["zoho_calls_per_shipment"]),
            ("orders in the margin report", margin["orders"]),
            (
                "earned, shipping cost, net",
                f"{_rupees(total.get('earned'))}, {_rupees(total.get('shipping_cost'))}, {_rupees(total.get('net'))}",
            ),
        ]
    )
    for title in ("by_courier", "by_tier", "by_payment"):
        lines += _table(
            [
                (
                    f"{title.removeprefix('by_')} {name}",
                    f"{group['shipments']} shipments, {group['rtos']} RTO, shipping {_rupees(group['shipping_cost'])}, "
                    f"net {_rupees(group['net'])}"
                    + (f", RTO cost {_rupees(group['rto_cost'])}" if group["rtos"] else ""),
                )
                for name, group in (margin.get(title) or {}).items()
            ],
            indent=4,
        )
    return lines


def _format_lifecycles(report: dict[str, Any]) -> list[str]:
    lifecycle, tracking, restocks = report["lifecycle"], report["tracking"], report["restocks"]
    final, wanted = lifecycle["final_status"], lifecycle["expected_final_status"]
    lines = ["", "Lifecycles (planned: " + ", ".join(f"{k} {v}" for k, v in lifecycle["planned"].items()) + ")"]
    lines += _table([(status, f"{final.get(status, 0)} (expected {wanted.get(status, 0)})") for status in wanted])
    lines += _table([(status, f"{count} (expected 0)") for status, count in final.items() if status not in wanted])
    lines += ["", "Tracking webhooks (Shiprocket simulator)"]
    lines += _table(
        [
            ("received / accepted", f"{tracking['webhooks_received']} / {tracking['accepted']}"),
            (
                "noise",
                f"{tracking['duplicates']} duplicates, {tracking['na_scans']} NA scans, "
                f"{tracking['string_ids']} with string ids, {tracking['return_shipment']} for the return parcel",
            ),
            ("advance calls", tracking["advance_calls"]),
            ("Zoho status writes", f"{tracking['zoho_status_writes']} (of {tracking['webhooks_received']} events)"),
            ("Zoho shipments marked delivered", tracking["zoho_delivered_marks"]),
        ]
    )
    expect = restocks["expected"]
    lines += ["", "Restocks (RTOs and the customer return)"]
    lines += _table(
        [
            (key.replace("_", " "), f"{restocks[key]} (expected {expect[key]})")
            for key in ("sales_returns", "receives", "credit_notes", "units_restocked")
        ]
        + [("RTO invoices left with a balance", ", ".join(restocks["invoices_left_with_balance"]) or "0")]
    )
    lines += _table(
        [
            (
                row["salesorder_number"],
                f"{row['kind']} ({row['lifecycle']}, {row['payment']}): {row['sales_returns']} return, "
                f"{row['receives']} receive, {row['units_received']} units back, {row['credit_notes']} credit note"
                + (
                    f" {row['credit_total']:.2f}, invoice balance {row['invoice_balance']:.2f}"
                    if row["credit_notes"]
                    else ""
                ),
            )
            for row in restocks["orders"]
        ],
        indent=4,
    )
    changes = report.get("changes") or {}
    if changes.get("calls"):
        cancels, edits, calls = changes["cancelled_before_pickup"], changes["address_changes"], changes["calls"]
        lines += ["", "Cancellations and edits (sellers, before pickup)"]
        lines += _table(
            [
                ("cancelled in Zoho", f"{len(cancels['cancelled'])} (expected {len(cancels['expected'])})"),
                ("address updated", f"{len(edits['updated'])} (expected {len(edits['expected'])})"),
                (
                    "calls per change",
                    f"{calls['per_change']['zoho']} Zoho + {calls['per_change']['shiprocket']} Shiprocket",
                ),
            ]
        )
    booking = report["customer_return"]
    if booking:
        asked = booking["request"]
        lines += ["", "Customer return"]
        lines += _table(
            [
                (
                    "request",
                    f"{asked['salesorder_number']} {asked.get('lines') or 'all lines'} ({asked.get('reason')})",
                ),
                ("answer", f"HTTP {booking['status']} AWB {booking.get('awb')} {booking.get('error') or ''}".rstrip()),
            ]
        )
    per = report["zoho_calls_per_lifecycle"]
    delivered, rto = per["delivered"], per["rto"]
    lines += ["", "Zoho calls per shipment (token endpoints apart)"]
    rows = [
        ("delivered: confirm -> delivered", f"{delivered['total']} ({delivered['confirm']} + {delivered['tracking']})"),
        (
            "RTO: confirm -> restocked",
            f"{rto['total']} ({rto['confirm']} + {rto['tracking_to_last_leg']} + {rto['rto_delivered_and_restock']})",
        ),
        ("lost / NDR: tracking", per["lost_and_ndr_tracking"]),
    ]
    if per["customer_return"]:
        rows.append(
            (
                "customer return: booked -> restocked",
                f"{per['customer_return']['zoho']} (+ {per['customer_return']['shiprocket']} Shiprocket)",
            )
        )
    lines += _table(rows)
    lines += ["", "Phases"]
    lines += _table(
        [
            (
                phase["name"],
                f"{phase['seconds']} s, {phase['shipments']} shipments, {phase['zoho_calls']} Zoho + "
                f"{phase['shiprocket_calls']} Shiprocket calls",
            )
            for phase in report["phases"]
        ]
    )
    return lines
