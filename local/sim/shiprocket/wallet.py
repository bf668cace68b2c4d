"""The wallet: its balance and its statement (docs/providers/shiprocket.md §17).

Every movement the simulator makes (freight and the COD fee at AWB assignment, the re-weighed freight of a seeded
weight discrepancy after pickup, the RTO freight when a parcel turns back, the reversal when an AWB is cancelled or
reassigned) is a statement row in the published row shape (``SimState._wallet_move``). As published, the answer is
``{"data": [...]}`` with no page information, and its first row is a "Wallet Balance" row with every other field
empty; here that row carries the balance before the first row listed (GUESS: the example's balance is "0").
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.state import SimState
from local.sim.shiprocket.values import _date_bounds

# GUESS: no page size is published.
DEFAULT_STATEMENT_PAGE_SIZE = 50
_OPENING_ROW: dict[str, Any] = {
    "transaction_id": "",
    "order_id": "",
    "channel_order_id": "",
    "awb_code": "",
    "return_awb_code": None,
    "applied_weight": "",
    "charged_weight": "",
    "billed_weight": "",
    "action": "",
    "charge": "",
    "description": "Wallet Balance",
    "debit_amount": "",
    "credit_amount": "",
    "balance_amount": "0",
    "balance_weight": 0,
    "volumetric_weight": "",
    "entered_weight": "",
    "created_at": "",
    "can_ship": True,
}


class WalletMixin(SimState):
    def _wallet_balance(self, request: Request) -> Response:
        return Response(200, {"data": {"balance_amount": f"{self.wallet_balance:.2f}"}})

    def _statement(self, request: Request) -> Response:
        """``GET /account/details/statement?from&to&page&per_page``, every parameter optional as published."""
        bounds, problems = _date_bounds(request.query)
        page, per_page = _whole(request.query.get("page"), 1), _whole(request.query.get("per_page"), 0)
        for key, value in (("page", page), ("per_page", per_page)):
            if value is None:
                problems[key] = [f"The {key} must be an integer."]
        if problems or page is None or per_page is None:
            return Response(422, {"message": "The given data was invalid.", "errors": problems, "status_code": 422})
        rows = [row for row in self.wallet_rows if _within(row["created_at"][:10], bounds["from"], bounds["to"])]
        size = per_page or DEFAULT_STATEMENT_PAGE_SIZE
        listed = rows[(page - 1) * size : page * size]
        if page == 1:
            listed = [{**_OPENING_ROW, "balance_amount": f"{self._opening_balance(rows):.2f}"}, *listed]
        return Response(200, {"data": [dict(row) for row in listed]})

    def _opening_balance(self, rows: list[dict[str, Any]]) -> Decimal:
        """The balance before the first row listed (the current one when none is)."""
        if not rows:
            return Decimal(str(self.wallet_balance))
        first = rows[0]
        return (
            Decimal(first["balance_amount"])
            + Decimal(first["debit_amount"] or 0)
            - Decimal(first["credit_amount"] or 0)
        )


def _whole(raw: str | None, default: int) -> int | None:
    if raw is None or raw.strip() == "":
        return default
    return int(raw) if raw.strip().isdigit() and int(raw) > 0 else None


def _within(day: str, start: date | None, end: date | None) -> bool:
    moment = date.fromisoformat(day)
    return (start is None or moment >= start) and (end is None or moment <= end)
