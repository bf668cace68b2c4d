"""The commands and what they print. Each returns its exit code: 0 all well, 1 problems found, 2 could not run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from shipsync_cli.targets import TargetError, deployed_environment, local_environment

if TYPE_CHECKING:
    from shipsync.freight.margin import MarginReport
    from shipsync.freight.statement import RefusedRow
    from shipsync.orders.pickup_check import PickupCheck

OK, PROBLEMS, CANNOT_RUN = 0, 1, 2
DEFAULT_STATE_FILE = Path(".local-stack.json")


def main(argv: Sequence[str], out: TextIO = sys.stdout, err: TextIO = sys.stderr) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        _use_stack(args)
        command: Callable[[argparse.Namespace, TextIO], int] = args.command
        # The layer logs as a function does, to standard output: here that is the result's place, so its logs
        # go to standard error (the loggers bind their stream when the layer is imported, below).
        with contextlib.redirect_stdout(err):
            return command(args, out)
    except TargetError as problem:
        print(f"shipsync: {problem}", file=err)
        return CANNOT_RUN
    except Exception as problem:  # a provider or configuration error: one line, the reason, no traceback
        from shipsync.errors import ShipsyncError

        if not isinstance(problem, ShipsyncError):
            raise
        print(f"shipsync: {type(problem).__name__}: {problem}", file=err)
        return CANNOT_RUN


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shipsync", description="Set up and run shipsync.")
    target = parser.add_mutually_exclusive_group()
    target.add_argument(
        "--local-stack",
        type=Path,
        metavar="FILE",
        help=f"a running `make serve`, through its state file (default: {DEFAULT_STATE_FILE})",
    )
    target.add_argument("--stack", metavar="NAME", help="a deployed stack, through boto3 and your AWS credentials")
    parser.add_argument("--region", help="the deployed stack's region (default: your AWS configuration's)")
    parser.add_argument("--verbose", action="store_true", help="log the provider calls (to standard error)")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    pickups = commands.add_parser(
        "pickups",
        help="check Zoho locations against Shiprocket pickup locations",
        description=(
            "Compare Zoho's locations (warehouses), the PickupLocationsJson mapping and Shiprocket's pickup "
            "locations; report what is unmapped, missing, inactive, unverified or on another pincode. Changes "
            "nothing unless --register is given."
        ),
    )
    pickups.add_argument("--register", action="store_true", help="register the missing pickup locations from Zoho")
    pickups.add_argument("--json", action="store_true", help="print the result as JSON")
    pickups.set_defaults(command=_pickups)
    margin = commands.add_parser(
        "margin",
        help="what each order earned, less its freight, from the Shiprocket wallet statement",
        description=(
            "Join the wallet statement's rows of a period to the shipments in the ledger: per sales order its "
            "invoice value, COD collected, freight, COD fee, RTO freight, weight adjustments, reversals and net; "
            "totals per courier, pincode tier and payment method; each courier's RTO record in the courier "
            "rules' `history` shape. Read-only."
        ),
    )
    margin.add_argument("--days", type=int, default=7, help="the period: the last N days, today included (default 7)")
    margin.add_argument("--json", action="store_true", help="print the whole report as JSON (amounts in paise)")
    margin.add_argument("--csv", type=Path, metavar="FILE", help="also write one row per order to FILE (rupees)")
    margin.add_argument(
        "--rules-history", action="store_true", help="print only the couriers' record, for the courier rules"
    )
    margin.set_defaults(command=_margin)
    return parser


def _use_stack(args: argparse.Namespace) -> None:
    """Take on the environment of the stack's order function; the layer's wiring reads it on first use."""
    if args.stack:
        import boto3

        session = boto3.session.Session(region_name=args.region)
        environment = deployed_environment(args.stack, session.client("cloudformation"), session.client("lambda"))
        if session.region_name:
            environment |= {"AWS_REGION": session.region_name, "AWS_DEFAULT_REGION": session.region_name}
    else:
        environment = local_environment(args.local_stack or DEFAULT_STATE_FILE)
    os.environ.update(environment | {"POWERTOOLS_LOG_LEVEL": "INFO" if args.verbose else "WARNING"})


def _pickups(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.orders.wiring import pickup_setup

    check = pickup_setup().run(register=args.register)
    if args.json:
        print(json.dumps(check.as_json(), indent=2), file=out)
    else:
        print(render_pickups(check), file=out)
    return OK if check.ok else PROBLEMS


def _margin(args: argparse.Namespace, out: TextIO) -> int:
    from datetime import datetime

    from shipsync.domain.india import IST
    from shipsync.freight.margin import to_csv
    from shipsync.freight.wiring import margin, report_period

    try:
        start, end = report_period(str(args.days), datetime.now(IST).date())
    except ValueError as problem:
        raise TargetError(f"--days: {problem}") from None
    report, refused = margin(start, end)
    if args.csv:
        args.csv.write_text(to_csv(report), encoding="utf-8")
    if args.rules_history:
        print(json.dumps({"history": report.courier_history()}, indent=2), file=out)
    elif args.json:
        document = report.as_dict() | {
            "period": {"start": start.isoformat(), "end": end.isoformat()},
            "refused": [{"row": row.name, "reason": row.reason} for row in refused],
        }
        print(json.dumps(document, indent=2), file=out)
    else:
        print(render_margin(report, refused), file=out)
    balanced = report.reconciliation.balanced and not refused
    return OK if balanced and not report.unattributed else PROBLEMS


def render_margin(report: MarginReport, refused: Sequence[RefusedRow]) -> str:
    from shipsync.remittance.money import format_inr

    lines = [f"Margin of {len(report.orders)} order(s): net {format_inr(report.total.net)}"]
    for title, groups in (("courier", report.by_courier), ("tier", report.by_tier), ("payment", report.by_payment)):
        lines.append(f"By {title}:")
        for name, total in groups.items():
            money = total.money
            lines.append(
                f"  {name}: {total.shipments} shipment(s), {total.rtos} RTO; earned {format_inr(money.earned)}, "
                f"shipping {format_inr(money.shipping_cost)}, net {format_inr(money.net)}"
                + (f"; RTO cost {format_inr(total.rto_cost)}" if total.rtos else "")
            )
    check = report.reconciliation
    lines.append(
        f"Wallet: {format_inr(check.wallet_movement)} of shipping movements, {format_inr(check.attributed)} "
        f"attributed to orders, {format_inr(check.unattributed)} to no known shipment; recharges "
        f"{format_inr(check.recharges)}."
    )
    lines += [
        f"  unattributed: transaction {row.transaction_id} {row.kind.value} {format_inr(row.amount_paise)} "
        f"(AWB {row.awb or '-'}, order {row.channel_order_id or row.sr_order_id or '-'})"
        for row in report.unattributed
    ]
    lines += [f"  not readable: {row.name}: {row.reason}" for row in refused]
    return "\n".join(lines)


def render_pickups(check: PickupCheck) -> str:
    lines = ["Pickup locations:"]
    for point in check.points:
        state = (
            "not at Shiprocket"
            if not point.registered
            else "inactive"
            if not point.active
            else "phone not verified"
            if not point.phone_verified
            else "ok"
        )
        used_by = ", ".join(point.location_ids) or "orders naming no location"
        lines.append(f"  {point.pickup_location} ({point.pincode}) for {used_by}: {state}")
    for nickname, pickup_id in check.registered.items():
        lines.append(f"Registered {nickname} at Shiprocket (pickup id {pickup_id}).")
    if check.ok:
        lines.append("No problems.")
        return "\n".join(lines)
    lines.append(f"{len(check.findings)} problem(s):")
    for finding in check.findings:
        lines += [f"  [{finding.problem.value}] {finding.detail}", f"      fix: {finding.fix}"]
    return "\n".join(lines)
