"""What the play hands the report: the acks, the phases and their provider calls, the counters and states."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CUSTOMER_RETURN_PHASE = "customer return"
CHANGES_PHASE = "cancellations and edits"
REMITTANCE_PHASE = "COD remittance"
WALLET_PHASE = "wallet and margin"
# Token endpoints are reported as mints/logins, not as per-order API traffic.
ZOHO_AUTH_ENDPOINTS = frozenset({"POST /oauth/v2/token"})
SHIPROCKET_AUTH_ENDPOINTS = frozenset({"POST /auth/login", "POST /auth/logout"})


@dataclass(frozen=True)
class Ack:
    seq: int
    salesorder_number: str
    status: int
    latency_ms: float
    error: str | None = None
    # The sales order number the route says it queued: it must be the one posted.
    acknowledged_as: str | None = None


@dataclass(frozen=True)
class Phase:
    """One phase of the day and the provider calls made during it (token endpoints included)."""

    name: str
    seconds: float
    shipments: int
    advance_calls: int
    zoho_calls: dict[str, int]
    shiprocket_calls: dict[str, int]


@dataclass
class Lifecycles:
    """What the tracking, customer-return and remittance phases did; ``problems`` end the day early."""

    phases: list[Phase]
    problems: list[str]
    return_booking: dict[str, Any] | None = None
    # Per batch: the plan (utr, route, short_by, orders), the simulator's batch, what was posted and the answer.
    remittances: list[dict[str, Any]] | None = None
    # The wallet watch's runs (their answers) and the margin report the admin route gave afterwards.
    wallet: dict[str, Any] | None = None


@dataclass(frozen=True)
class Baseline:
    """Counters before the day starts, so a stack that already did work reports only this day."""

    zoho_calls: dict[str, int]
    shiprocket_calls: dict[str, int]
    zoho_token_mints: int
    alerts: int
    tracking_webhooks: int
    # The Shiprocket wallet before the day: its balance and how many statement rows it had.
    wallet_balance: float = 0.0
    wallet_rows: int = 0


@dataclass(frozen=True)
class DayStates:
    """The simulators' states once the orders are confirmed (``confirmed_*``) and at the end of the day."""

    confirmed_zoho: dict[str, Any]
    confirmed_shiprocket: dict[str, Any]
    zoho: dict[str, Any]
    shiprocket: dict[str, Any]


def delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    changed = {key: after.get(key, 0) - before.get(key, 0) for key in after}
    return {key: value for key, value in sorted(changed.items()) if value}


def api_total(calls: dict[str, int], auth: frozenset[str]) -> int:
    return sum(count for endpoint, count in calls.items() if endpoint not in auth)


def ratio(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None
