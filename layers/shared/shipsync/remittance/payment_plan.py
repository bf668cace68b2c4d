"""Zoho Books payments for remitted orders: one payment per order, its deductions booked once.

Pure: no I/O (docs/providers/zoho.md §9).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from shipsync.errors import PermanentError
from shipsync.remittance.batches import RemittanceLine
from shipsync.remittance.money import Paise, format_inr

__all__ = ["ChargesMode", "PaymentPlan", "PaymentRefused", "charges_still_to_book", "payment_plan", "remittance_key"]

ChargesMode = Literal["bank_charges", "expense"]


class PaymentRefused(PermanentError):
    """No payment may be recorded for this line (overpayment, nothing collected): alert instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class PaymentPlan:
    """One Zoho Books customer payment for one remitted order (docs/providers/zoho.md §9)."""

    # Gross COD: what the buyer paid, applied to the invoice in full.
    amount_paise: Paise
    # Deductions on the payment itself (deposit = amount - bank charges)...
    bank_charges_paise: Paise
    # ...or as a separate expense against the deposit account; exactly one of the two is non-zero.
    expense_paise: Paise
    reference_number: str

    @property
    def deposit_paise(self) -> Paise:
        """What the bank account gains net of Shiprocket's deductions, whichever way they are booked."""
        return self.amount_paise - self.bank_charges_paise - self.expense_paise


def payment_plan(
    line: RemittanceLine,
    invoice_balance_paise: Paise,
    *,
    remittance_id: str,
    charges_mode: ChargesMode = "bank_charges",
) -> PaymentPlan:
    """The payment for ``line`` of remittance ``remittance_id`` against an invoice with that balance.

    Raises PaymentRefused when nothing was collected or the gross exceeds the invoice balance
    (a partial application would hide the excess; ops decide).
    """
    if line.cod_amount == 0:
        raise PaymentRefused(f"AWB {line.awb}: no COD collected in remittance {remittance_id}")
    if line.cod_amount > invoice_balance_paise:
        raise PaymentRefused(
            f"AWB {line.awb}: COD {format_inr(line.cod_amount)} exceeds the invoice balance "
            f"{format_inr(invoice_balance_paise)} (remittance {remittance_id})"
        )
    deductions = line.deducted_charges
    return PaymentPlan(
        amount_paise=line.cod_amount,
        bank_charges_paise=deductions if charges_mode == "bank_charges" else 0,
        expense_paise=deductions if charges_mode == "expense" else 0,
        reference_number=remittance_id,
    )


def remittance_key(remittance_id: str, awb: str) -> str:
    """What tells one order's payment or expense apart among the many that carry one UTR."""
    return f"{remittance_id}:{awb}"


def charges_still_to_book(line: RemittanceLine, booked_paise: Paise, *, remittance_id: str) -> Paise:
    """Deductions a line asks for that are not yet booked against its existing payment.

    A payment made from the poll carries none (``orders/show`` has no deductions): the remittance's
    later post or CSV supplies them, once. A line naming no deductions asks for nothing. Raises
    PaymentRefused when other deductions are already booked: the sources disagree and ops decide.
    """
    if line.deducted_charges == 0 or line.deducted_charges == booked_paise:
        return 0
    if booked_paise:
        raise PaymentRefused(
            f"AWB {line.awb}: remittance {remittance_id} now lists deductions of {format_inr(line.deducted_charges)}, "
            f"but {format_inr(booked_paise)} are already booked"
        )
    return line.deducted_charges
