"""The commands and what they print. Each returns its exit code: 0 all well, 1 problems found, 2 could not run."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from shipsync_cli.doctor import add_doctor
from shipsync_cli.reconcile import add_reconcile
from shipsync_cli.report import add_report
from shipsync_cli.status import add_status
from shipsync_cli.targets import TargetError, deployed_environment, local_environment, stack_outputs

if TYPE_CHECKING:
    from shipsync.freight.margin import MarginReport
    from shipsync.freight.statement import RefusedRow
    from shipsync.ops.dead_letters import DeadLetter, DeadLetterQueue, Listing, Replay
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
    add_status(commands)
    add_reconcile(commands)
    add_report(commands)
    add_doctor(commands)
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
    _add_dead_letter_commands(commands)
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


# ----- the DLQs: `dlq` and `replay` (issue 15); the SQS and CloudFormation work is in shipsync.ops.dead_letters -----


def _add_dead_letter_commands(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    dlq = commands.add_parser(
        "dlq",
        help="every DLQ with its depth and what each message concerns",
        description=(
            "List every DLQ of the stack with its depth and, per message (up to 100 a queue), the order, AWB, "
            "remittance or provider it concerns, its receive count, when it was first sent, its message id and the "
            "last error the worker or the ledger recorded. Messages stay in their queue. Exit 0 when every DLQ is "
            "empty, 1 when any holds messages."
        ),
    )
    dlq.add_argument("--json", action="store_true", help="print the result as JSON")
    dlq.set_defaults(command=_dlq)
    replay = commands.add_parser(
        "replay",
        help="send a DLQ's messages back to their source queue (asks for --yes)",
        description=(
            "Send messages of a DLQ back to the queue that dead-lettered them, where the normal idempotent path "
            "runs them again. A deployed stack's standard DLQ with --all is moved by SQS (StartMessageMoveTask); "
            "otherwise each message is sent, then deleted from the DLQ, and a FIFO message keeps its group and gets "
            "a new deduplication id. Without --yes it only prints what it would send."
        ),
    )
    replay.add_argument("queue", metavar="QUEUE", help="the DLQ's logical name: OrderDLQ, StatusDLQ, RtoDLQ...")
    which = replay.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--id", dest="ids", action="extend", nargs="+", metavar="MESSAGE_ID", help="these messages (from `dlq`)"
    )
    which.add_argument("--all", action="store_true", help="every message the DLQ holds when it starts")
    replay.add_argument("--yes", action="store_true", help="do it (without: print what it would do, change nothing)")
    replay.add_argument(
        "--resend",
        action="store_true",
        help="receive and resend each message even where SQS's move task could move them (a deployed stack's "
        "standard DLQ with --all)",
    )
    replay.add_argument("--json", action="store_true", help="print the result as JSON")
    replay.set_defaults(command=_replay)


def _dlq(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.ops import dead_letters as queues

    session = _aws_session(args)
    with _aws_errors():
        sqs = session.client("sqs")
        ledger = queues.LedgerReasons(session.client("dynamodb"), os.environ.get("LEDGER_TABLE"))
        listings = [queues.look(sqs, queue, ledger=ledger) for queue in _dead_letter_queues(args, session)]
    if args.json:
        print(json.dumps(queues.listing_document(listings, ledger), indent=2), file=out)
    else:
        print(render_dlq(listings, ledger.problem), file=out)
    return PROBLEMS if any(listing.depth for listing in listings) else OK


def _replay(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.ops import dead_letters as queues

    session = _aws_session(args)
    with _aws_errors():
        queue = queues.find(_dead_letter_queues(args, session), args.queue)
        # moto, the local AWS, has no move task: a local stack's replays are receive-and-resend.
        result = queues.replay(
            session.client("sqs"),
            queue,
            ids=None if args.all else args.ids,
            apply=args.yes,
            move_task=bool(args.stack) and not args.resend,
        )
    if args.json:
        print(json.dumps(result.as_json(), indent=2), file=out)
    else:
        print(render_replay(result), file=out)
    if not result.applied:
        # Nothing was done: 1 when there was something to do, so a script cannot take a dry run for a replay.
        return PROBLEMS if result.sent or not result.ok else OK
    return OK if result.ok else PROBLEMS


def _aws_session(args: argparse.Namespace) -> Any:
    import boto3

    # Made after _use_stack: a local stack's environment points boto3 at moto (AWS_ENDPOINT_URL).
    return boto3.session.Session(region_name=args.region)


def _dead_letter_queues(args: argparse.Namespace, session: Any) -> list[DeadLetterQueue]:
    """Every DLQ: a deployed stack's outputs, or a local stack's environment (shipsync.ops.dead_letters says why)."""
    from shipsync.ops import dead_letters as queues

    if args.stack:
        found = queues.from_outputs(stack_outputs(args.stack, session.client("cloudformation")))
    else:
        found = queues.from_environment(local_environment(args.local_stack or DEFAULT_STATE_FILE))
    if not found:
        raise TargetError("the stack names no DLQ (no *DLQUrl output, no *_DLQ_URL in its environment)")
    return found


@contextlib.contextmanager
def _aws_errors() -> Iterator[None]:
    """An AWS error (no access, no queue, no endpoint) or a DLQ that cannot be used: one line, exit 2."""
    from botocore.exceptions import BotoCoreError, ClientError

    from shipsync.ops.dead_letters import QueueError

    try:
        yield
    except (BotoCoreError, ClientError, QueueError) as err:
        raise TargetError(str(err)) from err


def render_dlq(listings: Sequence[Listing], ledger_problem: str | None) -> str:
    lines = []
    for listing in listings:
        if not listing.depth:
            lines.append(f"{listing.queue.name}: empty")
            continue
        kind = "FIFO" if listing.queue.fifo else "standard"
        in_flight = f", {listing.in_flight} in flight" if listing.in_flight else ""
        lines.append(f"{listing.queue.name} ({kind}): {listing.depth} message(s){in_flight}")
        for letter in listing.letters:
            group = f", group {letter.group}" if letter.group else ""
            lines += [
                f"  {_concerns(letter)}: {letter.job}",
                f"      message {letter.message_id}{group}, {letter.receive_count} receive(s), "
                f"first sent {letter.sent_at or '-'}",
                f"      last error: {letter.last_error or '-'}; ledger: {letter.ledger_state or '-'}",
            ]
        if listing.capped:
            lines.append(f"  ... listed the first {len(listing.letters)} of {listing.depth}")
        elif listing.unlisted:
            lines.append(
                f"  ... {listing.unlisted} not listed: in flight, or behind an earlier message of their FIFO group"
            )
    waiting = [listing for listing in listings if listing.depth]
    if ledger_problem and waiting:
        lines.append(f"Ledger not read ({ledger_problem}): last errors only where the message carries one.")
    if not waiting:
        lines.append("No dead letters.")
    else:
        total = sum(listing.depth for listing in waiting)
        lines.append(
            f"{total} message(s) in {len(waiting)} DLQ(s). `shipsync replay QUEUE --all` says what it would send "
            "back; add --yes to send."
        )
    return "\n".join(lines)


def render_replay(result: Replay) -> str:
    route = f"{result.queue.name} -> {result.source_name} ({'FIFO' if result.queue.fifo else 'standard'})"
    if result.method == "move_task":
        moved = "?" if result.moved is None else str(result.moved)
        line = f"{route}: SQS move task {result.task_handle or '(not started)'} moved {moved} message(s)."
        return line + (f"\nStopped: {result.stopped}." if result.stopped else "")
    if not result.sent and result.ok:
        return f"{route}: nothing to send back."
    verb = "sent back" if result.applied else "would send back"
    lines = [f"{route}: {verb} {len(result.sent)} message(s)" + (":" if result.sent else ".")]
    for sent in result.sent:
        new = f" -> {sent.new_message_id}" if sent.new_message_id else ""
        lines.append(f"  {sent.letter.message_id}{new}: {_concerns(sent.letter)}: {sent.letter.job}")
    lines += [f"  not sent: {letter.message_id}: {_concerns(letter)}: {error}" for letter, error in result.failed]
    lines += [
        f"  sent, but still in {result.queue.name} (it will show again): {letter.message_id}"
        for letter in result.not_deleted
    ]
    lines += [f"  not found in {result.queue.name}: {message_id}" for message_id in result.not_found]
    if result.stopped:
        lines.append(f"Stopped: {result.stopped}.")
    if not result.applied:
        lines.append("Nothing changed: add --yes to send them back.")
    return "\n".join(lines)


def _concerns(letter: DeadLetter) -> str:
    labels = {
        "salesorder_number": "{}",
        "salesorder_id": "sales order id {}",
        "awb": "AWB {}",
        "order_id": "order {}",
        "remittance_id": "remittance {}",
        "provider": "provider {}",
        "transactions": "transactions {}",
    }
    concerns = dict(letter.concerns)
    if "salesorder_number" in concerns:
        # The number says which order; the id is for the ledger.
        concerns.pop("salesorder_id", None)
    named = [labels.get(key, key + " {}").format(value) for key, value in concerns.items()]
    return ", ".join(named) or "names nothing known"


# ----- end of the DLQ commands -----


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
