"""``make run``: replay the sample day through the local stack and report what happened.

Seeds the simulators with ``events/sample_day/`` (see ``local.sample_data``) and plays the day
in phases, waiting for the queue workers to go idle after each so every phase's provider calls
are counted apart:

1. confirm: every "sales order confirmed" delivery is posted to the public webhook route the way
   Zoho would (a few at a time, JSON or the legacy ``JSONString`` form); orders ship.
2. tracking: the Shiprocket simulator plays each parcel's lifecycle (``tracking.json``) and posts
   its real tracking webhooks, with duplicates, reordering, "NA" scans and string ids, a few
   statuses per advance call and parcel in turn so the events of different parcels interleave:
   the delivered parcels, then the lost and NDR ones, then the RTOs up to their last leg, then
   the RTOs delivered back to the warehouse (each such event posted twice), which restocks them.
3. customer return: support books a return through ``POST /returns``; the return parcel is
   advanced to the warehouse and restocked.

Then the outcome is read back from the simulators, the queues and the ops-alert inbox. The
summary goes to stdout as a table and to ``--report`` as JSON, with a self-contained HTML page of charts
beside it (``run.html``, ``local.sample_day.html``); the exit code is 0 only when the day ends as
``expected.json`` says and every DLQ is empty.

    python -m local.sample_day --report reports/run.json          # own stack on 127.0.0.1:3000
    python -m local.sample_day --api .local-stack.json            # a running `make serve`
    python -m local.sample_day --orders 160                        # a generated day of 160 orders
    python -m local.sample_day --chaos 0.1 --orders 160 --seed 3   # the chaos day (local.sample_day.chaos)

A chaos day plays the same phases under a storm of transient faults, then clears them and lets the stack
drain; its report (``report["chaos"]``) counts lost, duplicated, dead-lettered and pending work, and its
exit code is 0 only when the first three are 0.
"""

from __future__ import annotations

from local.sample_day.html import render_html
from local.sample_day.play import run_sample_day
from local.sample_day.play_lifecycles import remittance_csv
from local.sample_day.records import Baseline, DayStates, Lifecycles, Phase
from local.sample_day.render import format_report
from local.sample_day.report import build_report
from local.sample_day.sims import Stack
from local.sample_day.stacks import ZOHO_LIMIT_SCALE, RemoteStack, scaled_local_stack

__all__ = [
    "ZOHO_LIMIT_SCALE",
    "Baseline",
    "DayStates",
    "Lifecycles",
    "Phase",
    "RemoteStack",
    "Stack",
    "build_report",
    "format_report",
    "remittance_csv",
    "render_html",
    "run_sample_day",
    "scaled_local_stack",
]
