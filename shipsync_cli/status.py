"""``shipsync status SO-00231`` (or an AWB, or a Zoho id): the ledger's story of one order (``shipsync.ops.story``)."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

# 2 is the CLI's "could not run" (shipsync_cli.app).
OK, PROBLEMS, NOT_FOUND = 0, 1, 3


def add_status(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    status = commands.add_parser(
        "status",
        help="an order's story from the ledger: steps, shipments, payments, restocks, open problems",
        description=(
            "Tell what shipsync did with one order, from the ledger alone (no provider call): every step with its "
            "time, the Shiprocket ids, each shipment's statuses, COD payments, restocks, cancellations and what is "
            "still open, with links to the Zoho and Shiprocket pages. Read-only. Exit 0: no open problem; 1: open "
            "problems; 3: no such order."
        ),
    )
    status.add_argument("key", metavar="ORDER", help="the sales order number (SO-00231), its Zoho id, or an AWB")
    status.add_argument("--json", action="store_true", help="print the story as JSON")
    status.set_defaults(command=status_command)


def status_command(args: argparse.Namespace, out: TextIO) -> int:
    from shipsync.ops.story import render
    from shipsync.ops.wiring import story_reader

    story = story_reader().story(args.key)
    if story is None:
        print(f"no order {args.key!r} in the ledger", file=out)
        return NOT_FOUND
    print(json.dumps(story.as_dict(), indent=2) if args.json else render(story), file=out)
    return PROBLEMS if story.problems else OK
