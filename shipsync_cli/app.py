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
