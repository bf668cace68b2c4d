"""Small Protocols between the services and the edge (clients, AWS adapters).

Services depend on these only; production wires the real clients/adapters, tests wire
fakes. Every method that writes to Shiprocket or Zoho is called at most once per step
per sales order: the ledger records each step before the next runs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, Unpack

# Annotations only: importing every model here would put ~20 ms on the cold start of functions
# (token-refresh) that use none of them.
if TYPE_CHECKING:
    from shipsync.domain.models import (
        AwbAssignment,
        CourierQuote,
        CreatedOrder,
        CreditNoteLine,
        ForwardShipmentResult,
        LabelResult,
        PickupResult,
        ReturnLine,
        ShiprocketOrder,
        ShiprocketOrderDetails,
        ShiprocketReturnOrder,
        ZohoCreditNote,
        ZohoCustomerPayment,
        ZohoInvoice,
        ZohoItem,
        ZohoSalesOrder,
        ZohoSalesReturn,
    )
    from shipsync.ledger.records import AwbChanges, OrderChanges, OrderRecord


class ShiprocketApi(Protocol):
    def serviceability(
        self,
        *,
        pickup_postcode: str,
        delivery_postcode: str,
        cod: bool,
        weight_kg: float,
        length_cm: float | None = None,
        breadth_cm: float | None = None,
        height_cm: float | None = None,
        declared_value: float | None = None,
        is_return: bool = False,
    ) -> list[CourierQuote]:
        """Serviceable couriers; raises NotServiceable when there are none."""

    def create_forward_shipment(
        self, order: ShiprocketOrder, *, courier_id: int, request_pickup: bool = True, print_label: bool = True
    ) -> ForwardShipmentResult:
        """One-call wrapper: order + AWB + pickup + label. Partial results are returned, not raised."""

    def create_adhoc_order(self, order: ShiprocketOrder) -> CreatedOrder:
        """Create (or get back the existing duplicate of) an order."""

    def assign_awb(self, shipment_id: int, courier_id: int) -> AwbAssignment:
        """Raises AwbRefused when the courier refuses, AwbAlreadyAssigned when a retry finds it done."""

    def generate_pickup(self, shipment_id: int) -> PickupResult:
        """``already_requested`` when a retry finds the pickup already queued."""

    def generate_label(self, shipment_id: int) -> LabelResult: ...

    def cancel_awbs(self, awbs: Sequence[str]) -> None: ...

    def cancel_orders(self, sr_order_ids: Sequence[int]) -> None: ...

    def update_delivery_address(self, sr_order_id: int, order: ShiprocketOrder) -> None: ...

    def ndr_action(self, awb: str, action: str, comments: str) -> None: ...

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        """``GET /orders/show/{id}``: read back what a lost answer said (the AWB, the pickup state)."""


class ZohoApi(Protocol):
    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder: ...

    def get_item(self, item_id: str) -> ZohoItem:
        """Cached per container: item weights and HSN codes rarely change."""

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None: ...

    def create_package(
        self, salesorder_id: str, *, package_number: str, date: str, line_items: Sequence[tuple[str, float]]
    ) -> str:
        """Returns the package id. ``line_items`` are (so_line_item_id, quantity)."""

    def create_shipment_order(
        self,
        salesorder_id: str,
        package_id: str,
        *,
        shipment_number: str,
        date: str,
        tracking_number: str,
        delivery_method: str,
        tracking_link: str | None = None,
    ) -> str:
        """Returns the shipment id."""

    def delete_shipment_order(self, shipment_id: str) -> bool:
        """False when it was gone already."""

    def delete_package(self, package_id: str) -> bool:
        """False when it was gone already."""


class TokenStore(Protocol):
    """Reads provider tokens. Reading never mints: only token-refresh writes tokens."""

    def get(self, provider: str) -> dict[str, Any]:
        """The provider's secret document (cached briefly)."""

    def invalidate(self, provider: str) -> None:
        """Forget the cached copy so the next ``get`` reads Secrets Manager."""


class TokenRefreshRequester(Protocol):
    def request_refresh(self, provider: str, seen_version: int | None, reason: str) -> None: ...


class Alerts(Protocol):
    def page(self, subject: str, message: str, *, kind: str, correlation_id: str | None = None) -> None: ...


class MetricsSink(Protocol):
    def count(self, name: str, value: int = 1) -> None: ...


class ShipmentLedgerPort(Protocol):
    """The ledger operations order-confirmed needs (``ledger.dynamo.DynamoLedger``)."""

    def get(self, salesorder_id: str) -> OrderRecord | None: ...

    def ensure(self, salesorder_id: str, salesorder_number: str) -> OrderRecord: ...

    def ensure_parcel(self, order: OrderRecord, *, parcel: int, order_ref: str, lines: dict[str, float]) -> OrderRecord:
        """Parcel ``parcel`` of ``order``'s job (``SO#<id>#<order_ref>``), created on first sight."""

    def update(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None: ...

    def close_job(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> None: ...

    def record_awb(self, entry: OrderRecord, *, awb: str, courier_id: int, courier_name: str) -> None: ...

    def open_jobs(self, confirmed_before: str, limit: int = 100) -> list[OrderRecord]: ...

    def claim_for_shipping(self, salesorder_id: str) -> bool:
        """False when a cancellation closed the job first."""

    def cancel_unclaimed(self, salesorder_id: str, **changes: Unpack[OrderChanges]) -> bool:
        """False when a confirmation claimed the job for shipping first."""

    def update_awb(self, awb: str, **changes: Unpack[AwbChanges]) -> None: ...

    def close_tracking(self, awb: str) -> None: ...

    def reopen_job(self, salesorder_id: str, *, order_ref: str, recreate_count: int) -> None:
        """The job from the start under a new Shiprocket reference, after its shipment was cancelled."""


# ---------------------------------------------------------------- shipment status (issue 3)


class ShiprocketTrackingApi(Protocol):
    def track_awbs(self, awbs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """``POST /courier/track/awbs`` (<= 50 AWBs): each AWB's raw ``tracking_data`` object."""

    def ndr_action(self, awb: str, action: str, comments: str) -> None:
        """``POST /ndr/{awb}/action`` with action ``re-attempt`` | ``return`` | ``fake-attempt``."""


class ZohoStatusApi(Protocol):
    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None: ...

    def mark_shipment_delivered(self, shipment_id: str, delivered_date: str | None = None) -> None:
        """A shipment already delivered (Zoho code 37135) counts as done."""


# ---------------------------------------------------------------- returns and restock (issue 3)


class ShiprocketReturnsApi(Protocol):
    def serviceability(
        self,
        *,
        pickup_postcode: str,
        delivery_postcode: str,
        cod: bool,
        weight_kg: float,
        length_cm: float | None = None,
        breadth_cm: float | None = None,
        height_cm: float | None = None,
        declared_value: float | None = None,
        is_return: bool = False,
    ) -> list[CourierQuote]: ...

    def create_return_order(self, order: ShiprocketReturnOrder) -> CreatedOrder:
        """A duplicate order_id raises ``OrderIdTaken`` (Shiprocket's 422 "The order id has already been taken.")."""

    def assign_awb(self, shipment_id: int, courier_id: int, *, is_return: bool = False) -> AwbAssignment: ...

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails: ...


class ZohoReturnsApi(Protocol):
    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder: ...

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None: ...

    def create_salesreturn(
        self,
        salesorder_id: str,
        *,
        date: str,
        reason: str,
        line_items: Sequence[ReturnLine],
        location_id: str | None = None,
        reference_number: str | None = None,
    ) -> ZohoSalesReturn:
        """``POST /salesreturns?salesorder_id=``; only shipped units can be returned."""

    def create_salesreturn_receive(
        self, salesreturn_id: str, *, date: str, line_items: Sequence[tuple[str, float]], notes: str = ""
    ) -> str:
        """``POST /salesreturnreceives?salesreturn_id=`` with (return line_item_id, quantity): restocks."""

    def get_salesreturn(self, salesreturn_id: str) -> ZohoSalesReturn:
        """``GET /salesreturns/{id}`` with ``line_item_ids``: resumes a return an interrupted attempt made."""

    def get_invoice(self, invoice_id: str) -> ZohoInvoice: ...

    def create_creditnote(
        self,
        *,
        customer_id: str,
        date: str,
        invoice_id: str,
        lines: Sequence[CreditNoteLine],
        reference_number: str,
    ) -> str:
        """A credit note of ``returns.credit.creditnote_lines`` against the invoice; returns the credit note id."""

    def find_creditnote_by_reference(self, reference_number: str) -> str | None:
        """``GET /creditnotes?reference_number=``: the credit note an earlier attempt created, if any."""

    def get_creditnote(self, creditnote_id: str) -> ZohoCreditNote:
        """``GET /creditnotes/{id}``: Zoho's own total and the balance still available to apply."""

    def apply_creditnote_to_invoice(self, creditnote_id: str, invoice_id: str, amount: float) -> None:
        """``POST /creditnotes/{id}/invoices``: closes the receivable the credit covers."""


# ---------------------------------------------------------------- COD remittance (issue 4)


class ZohoExpensesApi(Protocol):
    def find_expenses_by_reference(self, reference_number: str) -> list[str]:
        """``GET /books/v3/expenses?reference_number=``: ids of the expenses with exactly this reference."""

    def create_expense(
        self,
        *,
        account_id: str,
        paid_through_account_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
    ) -> str:
        """``POST /books/v3/expenses``; returns the expense id."""


class ZohoFreightApi(ZohoExpensesApi, Protocol):
    """What the wallet's booking needs (``freight.booking``): expenses for debits, journals for credits."""

    def find_journals_by_reference(self, reference_number: str) -> list[str]:
        """``GET /books/v3/journals?reference_number=``: ids of the journals with exactly this reference."""

    def create_journal(
        self,
        *,
        date: str,
        reference_number: str,
        notes: str,
        debit_account_id: str,
        credit_account_id: str,
        amount: Decimal,
    ) -> str:
        """``POST /books/v3/journals``, published, two lines; returns the journal id."""


class ZohoPaymentsApi(ZohoExpensesApi, Protocol):
    def get_salesorder(self, salesorder_id: str) -> ZohoSalesOrder: ...

    def get_invoice(self, invoice_id: str) -> ZohoInvoice: ...

    def update_salesorder_custom_fields(self, salesorder_id: str, values: Mapping[str, str]) -> None: ...

    def find_payments_by_reference(self, reference_number: str) -> list[ZohoCustomerPayment]:
        """``GET /books/v3/customerpayments?reference_number=``: every payment with exactly this reference.

        Zoho has no duplicate check on references: look before creating. One UTR covers many orders, so the
        caller tells its own payment apart by ``invoice_numbers``, ``description`` or ``custom_fields``."""

    def create_customer_payment(
        self,
        *,
        customer_id: str,
        invoice_id: str,
        amount: Decimal,
        date: str,
        reference_number: str,
        description: str,
        bank_charges: Decimal = Decimal("0"),
        account_id: str | None = None,
        custom_fields: Mapping[str, str] | None = None,
    ) -> ZohoCustomerPayment:
        """``POST /books/v3/customerpayments`` (bank transfer) applying ``amount`` to one invoice.
        Overpayment is a ``ProviderRequestError`` with code 24016."""

    def get_customer_payment(self, payment_id: str) -> ZohoCustomerPayment:
        """``GET /books/v3/customerpayments/{id}``: the whole payment, bank charges and invoices included."""

    def set_payment_bank_charges(self, payment: ZohoCustomerPayment, bank_charges: Decimal) -> ZohoCustomerPayment:
        """``PUT /books/v3/customerpayments/{id}``: ``payment`` (as fetched) with these bank charges."""

    def create_invoice_from_salesorder(self, salesorder_id: str) -> str:
        """``POST /books/v3/invoices/fromsalesorder`` then marks it sent; returns the invoice id."""


class ShiprocketOrdersApi(Protocol):
    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        """``GET /orders/show/{id}``: status, AWB, COD amount and the remittance fields."""


class ShiprocketRemittanceApi(ShiprocketOrdersApi, Protocol):
    def track_awbs(self, awbs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Asked when a remitted shipment is not delivered in the ledger: was its delivered webhook lost?"""


# Two counts whose resets are further apart than this are of different days (a reset drifts by seconds between
# answers of the same day).
DAYS_APART_S = 600.0


@dataclass(frozen=True)
class DayBudget:
    """What a Zoho answer said of the organisation's day: calls left, the cap, when the count resets."""

    remaining: int
    cap: int | None
    resets_at: float  # epoch seconds


class DailyBudgetStore(Protocol):
    """The stack's shared view of Zoho's daily budget (adapters.rate_limit.DynamoDailyBudget)."""

    def record(self, budget: DayBudget) -> None: ...
    def current(self) -> DayBudget | None: ...
