"""The sample day under a small Zoho daily cap (``--zoho-daily-cap N``): issue 16's deferral, shown end to end.

The day plays with the Zoho simulator allowing ``N`` more calls today and the stack keeping ``ZohoReserve`` of them
for essential work (confirmations, payments, restocks, cancellations). Below the reserve the work that can wait
waits: the status writes in the ledger (``tracking.job``), the freight rows for a later watch run
(``freight.booking``); work that meets code 45 anyway waits invisible in its queue until the reset
(``policy.outcomes``). Before the reset the report counts what was done and what waits. Then Zoho's day resets:
the simulator starts a new day, the held messages come back (their holds would end at the reset; here it is
now), the tracking poll flushes the statuses that waited and the wallet watch books the rows that waited. The
day's usual checks then run on the drained state: "as expected" means nothing was lost or done twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from local.sample_data import SHIPPED, SampleDay
from local.sample_day.progress import Progress
from local.sample_day.records import DayStates, Lifecycles
from local.sample_day.report import alert_fields
from local.sample_day.report_lifecycles import changes_of, restocks_of
from local.sample_day.report_remittance import remittance_report
from local.sample_day.sims import Stack, ours, shipment_status, sim_get, sim_post

# Pages the cap brings, which no order of the day expects: counted here, not in the day's alert checks.
BUDGET_ALERT_KINDS = frozenset({"ZohoBudgetLow", "ZohoDailyCapReached"})
TRACKING_POLL = {"poll": "tracking", "quiet_after_minutes": 0}
# A function reads the stack's day budget at most every 30 s (adapters.rate_limit.DynamoDailyBudget.READ_TTL_S;
# not imported: the parent process must not load the layer). Hours pass before a real reset.
BUDGET_READ_AGE_S = 31.0


@runtime_checkable
class HoldingStack(Protocol):
    """A stack started here (``local.stack.LocalStack``), which knows the messages its functions held."""

    def held(self) -> int: ...

    def zoho_day_reset(self, calls: int) -> int: ...


@dataclass(frozen=True)
class ZohoCap:
    """``calls``: what the simulator allows from the day's start; ``reserve``: the stack's ``ZohoReserve``."""

    calls: int
    reserve: int

    def environment(self) -> dict[str, str]:
        return {"ZOHO_RESERVE": str(self.reserve)}

    def start(self, stack: Stack) -> int:
        """The simulator's cap set to what it counted so far plus ``calls``; returns the cap in force."""
        used = int(sim_get(stack.zoho_url, "/_sim/state")["daily_calls"]["used"])
        sim_post(stack.zoho_url, "/_sim/seed", {"daily_cap": used + self.calls})
        return used + self.calls


def split_alerts(alerts: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the day's own alerts, the budget's)."""
    budget = [alert for alert in alerts if alert_fields(alert)["kind"] in BUDGET_ALERT_KINDS]
    return [alert for alert in alerts if alert not in budget], budget


def before_reset(
    stack: Stack,
    day: SampleDay,
    states: DayStates,
    lifecycles: Lifecycles | None,
    alerts: list[dict[str, Any]],
    held: int,
) -> dict[str, Any]:
    """What the day got done under the cap, and what waits for the reset."""
    expected = {order["salesorder_number"]: order for order in day.expected["orders"]}
    zoho = states.zoho
    orders = ours(zoho, set(expected))
    # Shipped and kept: a cancelled order's shipment order is deleted (its cancellation is checked below).
    shipped = [number for number, want in expected.items() if want["expect"] == SHIPPED and want["change"] != "cancel"]
    shipment_awbs = {s["salesorder_number"]: s.get("tracking_number") for s in zoho["shipmentorders"]}
    confirmed = [number for number in shipped if shipment_awbs.get(number)]
    _, restock_problems = restocks_of(day, zoho, expected)
    phases = lifecycles.phases if lifecycles else []
    _, change_problems = changes_of(day, states, phases)
    payment_problems = remittance_report(day, zoho, [alert_fields(alert) for alert in alerts], lifecycles)["mismatches"]
    unwritten = sorted(
        number
        for number, want in expected.items()
        if want.get("final") and shipment_status(orders.get(number)) != want["final"]
    )
    wallet_runs = (lifecycles.wallet or {}).get("runs", []) if lifecycles else []
    last_run = wallet_runs[-1] if wallet_runs and isinstance(wallet_runs[-1], dict) else {}
    zoho_state = sim_get(stack.zoho_url, "/_sim/state")
    essential_problems = [*restock_problems, *change_problems, *payment_problems]
    essential_problems.extend(f"{number}: not confirmed in Zoho" for number in shipped if number not in confirmed)
    return {
        "daily_calls": zoho_state["daily_calls"],
        "refused_daily_cap": int(zoho_state.get("refused", {}).get("daily_cap", 0)),
        "essential": {
            "orders_confirmed": len(confirmed),
            "orders_to_confirm": len(shipped),
            "problems": essential_problems,
            "complete": not essential_problems,
        },
        "deferred": {
            "orders_whose_status_waits": len(unwritten),
            "freight_rows_waiting": int(last_run.get("deferred") or 0),
            "messages_held_until_reset": held,
        },
    }


def reset_and_drain(
    stack: Stack, cap: int, progress: Progress, play_wallet: Callable[[Stack, Progress], dict[str, Any]]
) -> dict[str, Any]:
    """Zoho's new day (``cap`` calls): the held work back, the waiting statuses flushed, the waiting freight
    booked."""
    sim_post(stack.zoho_url, "/_sim/seed", {"new_day": True})
    progress.note("Zoho's day reset: the functions' cached budget ages")
    ended = stack.zoho_day_reset(cap) if isinstance(stack, HoldingStack) else 0
    time.sleep(BUDGET_READ_AGE_S)
    stack.wait_idle(timeout=120.0)
    invoke = getattr(stack, "invoke", None)
    flushed: Any = None
    if invoke is not None:
        progress.note("Zoho's day reset: flushing the statuses that waited")
        flushed = invoke("ShipmentStatusFunction", TRACKING_POLL)
        stack.wait_idle(timeout=120.0)
    wallet = play_wallet(stack, progress)
    progress.done(f"Zoho's day reset: {ended} held message(s) back, statuses flushed, freight booked")
    return {"held_messages_back": ended, "tracking_poll": flushed, "wallet": wallet}


def format_cap(section: dict[str, Any]) -> str:
    before = section["before_reset"]
    essential, deferred = before["essential"], before["deferred"]
    calls = before["daily_calls"]
    lines = [
        "",
        f"Zoho daily cap: {section['cap']} calls allowed today, ZohoReserve {section['reserve']}",
        f"  before the reset: {calls['used']} of {calls['cap']} counted, {before['refused_daily_cap']} refused (45)",
        f"  essential: {essential['orders_confirmed']}/{essential['orders_to_confirm']} orders confirmed, "
        f"{len(essential['problems'])} essential problem(s): {'complete' if essential['complete'] else 'NOT complete'}",
        f"  deferred: {deferred['orders_whose_status_waits']} order(s) whose status waits, "
        f"{deferred['freight_rows_waiting']} freight row(s), {deferred['messages_held_until_reset']} held message(s)",
        f"  budget pages: {section['budget_pages']}",
        f"  after the reset: {section['after_reset']['held_messages_back']} held message(s) back; the day's checks "
        "below ran on the drained state",
    ]
    return "\n".join(lines)
