"""``python -m local.sample_day``: the flags, the log file, the printed summary and the exit code."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from local import sample_day
from local.runner.service_logs import stack_log
from local.sample_data import from_documents, generate, load
from local.sample_day.chaos import DEFAULT_SEED, READ_TIMEOUT_S, Chaos, format_chaos
from local.sample_day.html import render_html
from local.sample_day.play import DEFAULT_TIMEOUT_S, run_sample_day
from local.sample_day.render import format_report
from local.sample_day.stacks import SHIPSYNC_ZOHO_PER_MINUTE, ZOHO_LIMIT_SCALE, ZOHO_PER_MINUTE, open_stack
from local.sample_day.zoho_cap import ZohoCap, format_cap


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.sample_day", description=(sample_day.__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument(
        "--report",
        type=Path,
        default=Path("reports/run.json"),
        help="JSON report path; the HTML page goes beside it (the same path ending in .html)",
    )
    parser.add_argument(
        "--api",
        type=Path,
        metavar="STATE_JSON",
        help="replay against a running `make serve` described by this file (its .local-stack.json)",
    )
    parser.add_argument("--port", type=int, default=3000, help="API port of the stack started here (0 = any)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, help="seconds to wait for the day")
    parser.add_argument("--data", type=Path, help="sample day directory (default events/sample_day)")
    parser.add_argument(
        "--rule-paths",
        action="store_true",
        help="replay only one order per rule path (failures, repeated delivery, heavy COD, repeated SKU, "
        "an invoiced RTO, the lost parcel, an NDR, the customer return): ~20 s",
    )
    parser.add_argument(
        "--real-zoho-limits",
        action="store_true",
        help=f"keep Zoho's 100 requests/minute (the day then takes ~7 min) instead of scaling it by {ZOHO_LIMIT_SCALE}",
    )
    parser.add_argument(
        "--orders",
        type=int,
        metavar="N",
        help="replay a generated day of N orders (at least 60) instead of the committed one",
    )
    parser.add_argument(
        "--chaos",
        type=float,
        metavar="RATE",
        help="a chaos day: about RATE of the provider calls faulted (5xx, 429, slow, lost answers, 401s), tokens "
        "expired twice, more duplicate and reordered webhooks; then the faults stop and the stack drains; exit 0 "
        "only when nothing was lost, duplicated or dead-lettered (see local.sample_day.chaos)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="the chaos day's random seed")
    parser.add_argument(
        "--zoho-daily-cap",
        type=int,
        metavar="N",
        help="Zoho allows only N calls today: the essential work goes on, the rest waits for the reset, which "
        "then comes and the stack drains (see local.sample_day.zoho_cap); exit 0 only when every essential "
        "write was done before the reset and the drained day is as expected",
    )
    parser.add_argument(
        "--zoho-reserve",
        type=int,
        metavar="R",
        help="with --zoho-daily-cap: the stack's ZohoReserve (default: a quarter of N)",
    )
    args = parser.parse_args(argv)
    if args.chaos is not None and not 0 < args.chaos < 1:
        parser.error("--chaos takes a rate between 0 and 1")
    if args.chaos is not None and args.api:
        parser.error("--chaos needs a stack started here (its clients' read timeout is shortened)")
    if args.zoho_daily_cap is not None and (args.api or args.chaos is not None):
        parser.error("--zoho-daily-cap needs a stack started here, without --chaos")
    if args.zoho_reserve is not None and args.zoho_daily_cap is None:
        parser.error("--zoho-reserve goes with --zoho-daily-cap")
    if args.report.suffix == ".html":
        parser.error("--report names the JSON file: the HTML page is written beside it")
    if args.orders is not None and args.data:
        parser.error("--orders generates its day: not with --data")
    day = load(args.data) if args.data else load()
    if args.orders is not None:
        day = from_documents(generate(order_count=args.orders))
    if args.rule_paths:
        day = day.only(day.rule_path_orders())
    args.report.parent.mkdir(parents=True, exist_ok=True)
    log_path = args.report.with_suffix(".log")

    print(f"replaying {len(day.webhooks)} webhook deliveries for {len(day.expected['orders'])} orders", file=sys.stderr)
    # stdout carries only the table: the stack's logs go to the log file.
    with stack_log(log_path):
        scale = 1 if args.real_zoho_limits else ZOHO_LIMIT_SCALE
        extra_env = {"HTTP_READ_TIMEOUT_S": str(READ_TIMEOUT_S)} if args.chaos is not None else None
        zoho_cap = None
        if args.zoho_daily_cap is not None:
            reserve = args.zoho_reserve if args.zoho_reserve is not None else args.zoho_daily_cap // 4
            zoho_cap = ZohoCap(args.zoho_daily_cap, reserve)
            extra_env = zoho_cap.environment()
        with open_stack(args.api, args.port, scale, extra_env) as stack:
            chaos = Chaos(stack, args.chaos, args.seed) if args.chaos is not None else None
            report = run_sample_day(
                stack, day, progress=sys.stderr, timeout=args.timeout, chaos=chaos, zoho_cap=zoho_cap
            )
    args.report.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    page_path = args.report.with_suffix(".html")
    page_path.write_text(render_html(report), encoding="utf-8")
    print(format_report(report))
    if "chaos" in report:
        print(format_chaos(report))
    if "zoho_cap" in report:
        print(format_cap(report["zoho_cap"]))
    if not args.api:
        print(
            f"\nZoho limits: simulator {ZOHO_PER_MINUTE * scale}/min, shipsync limiter "
            f"{SHIPSYNC_ZOHO_PER_MINUTE * scale}/min (real: {ZOHO_PER_MINUTE}/{SHIPSYNC_ZOHO_PER_MINUTE})"
        )
    print(f"\nreport written to {args.report} (page: {page_path}); stack logs in {log_path}")
    return 0 if report["ok"] else 1
