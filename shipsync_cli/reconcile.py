"""``shipsync reconcile [--since 7d] [--fix [--yes]]``: the ledger, Shiprocket and Zoho compared for the shipments of
the period (``shipsync.ops.reconcile``); ``--fix`` re-drives the safe kinds through the normal path."""

from __future__ import annotations

import argparse
import json
import os
import re
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from shipsync.ops.reconcile import ReconcileReport

OK, PROBLEMS = 0, 1
_PERIOD = re.compile(r"^(?P<count>[1-9]\d{0,2})(?P<unit>[dh])$")


def add_reconcile(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    reconcile = commands.add_parser(
        "reconcile",
        help="compare the ledger, Shiprocket and Zoho for recent shipments; --fix repairs the safe differences",
        description=(
            "List each difference between the ledger, Shiprocket's tracking and Zoho's sales orders for the "
            "shipments recorded in the period, with its kind and the step that fixes it. Read-only unless --fix: "
            "then the safe kinds are re-driven through the normal path (tracking events re-sent, a Zoho step "
            "reopened), after printing what will be done; --yes does it. Costs one Zoho read per sales order."
        ),
    )
    reconcile.add_argument("--since", default="7d", help="the period: 48h, 7d... (default 7d)")
    reconcile.add_argument("--fix", action="store_true", help="repair the kinds that are safe to repair")
    reconcile.add_argument("--yes", action="store_true", help="with --fix: do it (without: say what it would do)")
    reconcile.add_argument("--json", action="store_true", help="print the result as JSON")
    reconcile.set_defaults(command=reconcile_command)


def since_time(text: str, now: datetime) -> str:
    found = _PERIOD.match(text.strip())
    if found is None:
        raise ValueError(f"--since {text!r}: a number of hours or days, like 48h or 7d")
    count = int(found["count"])
    span = timedelta(days=count) if found["unit"] == "d" else timedelta(hours=count)
    return (now - span).astimezone(UTC).isoformat(timespec="seconds")


def reconcile_command(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.ops.wiring import reconciler
    from shipsync.orders.wiring import settings as order_settings
    from shipsync_cli.targets import TargetError

    try:
        since = since_time(args.since, datetime.now(UTC))
    except ValueError as problem:
        raise TargetError(str(problem)) from None
    status_queue_url = os.environ.get("STATUS_QUEUE_URL") or _deployed_status_queue(args)
    if not status_queue_url:
        raise TargetError("the stack names no StatusQueue (where re-sent tracking events go)")
    job = reconciler(status_queue_url, order_settings().order_queue_url)
    report = job.run(since, fix=args.fix and args.yes)
    if args.json:
        print(json.dumps(report.as_dict(), indent=2), file=out)
    else:
        print(render(report, since, dry_run=args.fix and not args.yes), file=out)
    left = [d for d in report.differences if d not in report.fixed]
    return PROBLEMS if left or (args.fix and not args.yes and report.differences) else OK


def render(report: ReconcileReport, since: str, *, dry_run: bool) -> str:
    calls = ", ".join(f"{count} {name}" for name, count in report.provider_calls.items()) or "none"
    lines = [f"{report.shipments} shipment(s) since {since}; provider calls: {calls}"]
    if not report.differences:
        return "\n".join([*lines, "No differences."])
    lines.append(f"{len(report.differences)} difference(s):")
    for difference in report.differences:
        mark = "fixed" if difference in report.fixed else "would fix" if dry_run and difference.fixable else "to do"
        lines.append(
            f"  [{difference.kind.value}] {difference.salesorder_number} AWB {difference.awb}: {difference.detail}"
        )
        lines.append(f"      {mark}: {difference.fix}")
    if dry_run:
        lines.append("Nothing was changed: add --yes to repair the fixable ones.")
    return "\n".join(lines)


def _deployed_status_queue(args: argparse.Namespace) -> str | None:
    """A deployed stack's StatusQueue, from its outputs: the order function's environment does not name it."""
    if not args.stack:
        return None
    import boto3

    from shipsync_cli.targets import stack_outputs

    cloudformation = boto3.session.Session(region_name=args.region).client("cloudformation")
    return stack_outputs(args.stack, cloudformation).get("StatusQueueUrl")
