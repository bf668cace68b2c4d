"""The balance check of a remittance batch, to the paisa, and the ops alert when it fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from shipsync.remittance.batches import RemittanceBatch, net
from shipsync.remittance.money import Paise, format_inr

__all__ = ["BalanceLine", "BalanceResult", "check_balance", "describe_mismatch"]


class BalanceLine(NamedTuple):
    awb: str
    cod: Paise
    deductions: Paise
    net: Paise


@dataclass(frozen=True)
class BalanceResult:
    expected_paise: Paise
    received_paise: Paise
    # received - expected: negative when the bank got less than the orders add up to.
    difference_paise: Paise
    balanced: bool
    lines: list[BalanceLine]
    # False when the source had no transfer total: "balanced" then holds by construction.
    balance_known: bool = True


def check_balance(batch: RemittanceBatch) -> BalanceResult:
    """Sum of nets against the bank transfer, to the paisa."""
    lines = [BalanceLine(line.awb, line.cod_amount, line.deducted_charges, net(line)) for line in batch.orders]
    expected = sum(line.net for line in lines)
    received = batch.bank_transfer_amount
    return BalanceResult(
        expected_paise=expected,
        received_paise=received,
        difference_paise=received - expected,
        balanced=expected == received,
        lines=lines,
        balance_known=batch.balance_known,
    )


def describe_mismatch(batch: RemittanceBatch, result: BalanceResult) -> str:
    """The ops alert text for an unbalanced batch: totals, difference and every order's line."""
    by_awb = {line.awb: line.order_id for line in batch.orders}
    width = max(len(line.awb) for line in result.lines)
    rows = []
    for line in result.lines:
        order = f" (order {by_awb[line.awb]})" if by_awb.get(line.awb) else ""
        rows.append(
            f"  AWB {line.awb:<{width}}{order}: COD {format_inr(line.cod)}"
            f" - deductions {format_inr(line.deductions)} = net {format_inr(line.net)}"
        )
    return "\n".join(
        [
            f"COD remittance {batch.remittance_id} of {batch.remittance_date.isoformat()} ({batch.source})"
            " does not balance.",
            f"Expected (sum of COD - deductions): {format_inr(result.expected_paise)}",
            f"Received (bank transfer):           {format_inr(result.received_paise)}",
            f"Difference (received - expected):   {format_inr(result.difference_paise)}",
            f"Orders ({len(result.lines)}):",
            *rows,
        ]
    )
