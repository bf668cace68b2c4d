"""Typed shapes shared by the domain, the clients and the services.

Zoho shapes keep only the fields shipsync reads (``extra="ignore"``); Shiprocket request
shapes are exactly what we send. Ids from Zoho are 15-19 digit strings: kept as strings.
"""

from __future__ import annotations

import types
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Final, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, model_validator

# Zoho Books ``reference_number`` holds at most 100 characters (docs/providers/zoho.md §9).
ZOHO_REFERENCE_MAX: Final = 100


# --------------------------------------------------------------------------- Zoho (input)


_NUMBER_TYPES: Final = (int, float, Decimal)


def _is_number_annotation(annotation: Any) -> bool:
    """``float``, ``Decimal | None``, ``int | str | None``...: a type that admits a number."""
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_number_annotation(arg) for arg in get_args(annotation))
    return isinstance(annotation, type) and issubclass(annotation, _NUMBER_TYPES) and annotation is not bool


class _ZohoModel(BaseModel):
    """Zoho sends an unset number as ``""`` (item and line ``package_details``, rates, totals: see
    docs/providers/zoho.md §10): a blank in a number field with a default means unset. A blank in a
    required number stays an error, because an amount we cannot read must never be taken as zero."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_numbers_are_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        blanks = [name for name in cls._optional_number_fields() if _is_blank(data.get(name))]
        if not blanks:
            return data
        return {key: value for key, value in data.items() if key not in blanks}

    @classmethod
    @cache
    def _optional_number_fields(cls) -> frozenset[str]:
        return frozenset(
            name
            for name, info in cls.model_fields.items()
            if not info.is_required() and _is_number_annotation(info.annotation) and not _admits_text(info.annotation)
        )


def _admits_text(annotation: Any) -> bool:
    """A field such as ``discount: float | str | None`` keeps its text: ``""`` is a value there."""
    return str in get_args(annotation) or annotation is str


def _is_blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip()


class ZohoAddress(_ZohoModel):
    attention: str | None = None
    address: str | None = None
    street2: str | None = None
    city: str | None = None
    state: str | None = None
    state_code: str | None = None
    zip: str | None = None
    country: str | None = None
    country_code: str | None = None
    phone: str | None = None


class ZohoContactPerson(_ZohoModel):
    contact_person_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None


class ZohoCustomField(_ZohoModel):
    api_name: str | None = None
    label: str | None = None
    placeholder: str | None = None
    value: str | float | int | bool | None = None


class ZohoCustomFieldDefinition(_ZohoModel):
    """A custom field the organisation defines for an entity, as ``GET /settings/preferences`` lists it under
    ``customfields.<entity>`` (docs/providers/zoho.md §17: not in Zoho's published specs, UNCERTAIN). The keys
    beyond ``api_name`` are those of a custom field on a live sales order (GUESS that a definition has them)."""

    api_name: str
    customfield_id: str | None = None
    label: str | None = None
    data_type: str | None = None
    # None when the answer does not say: only an explicit false is reported as inactive.
    is_active: bool | None = None


class ZohoLineItem(_ZohoModel):
    line_item_id: str
    item_id: str | None = None
    sku: str | None = None
    name: str
    rate: float = 0.0
    quantity: float = 0.0
    discount: float | str | None = None
    tax_percentage: float | None = None
    item_total: float | None = None
    hsn_or_sac: str | None = None
    location_id: str | None = None
    location_name: str | None = None
    # None when the answer carries no fulfilment figures (e.g. a webhook payload).
    quantity_shipped: float | None = None
    # Units already in a package (packed by hand, or an earlier shipment): only the rest ships.
    quantity_packed: float | None = None

    @property
    def unpacked_quantity(self) -> float:
        return max(self.quantity - (self.quantity_packed or 0.0), 0.0)

    @property
    def shipped_quantity(self) -> float:
        """Units shipped, or the whole quantity when the answer has no fulfilment figures."""
        return self.quantity if self.quantity_shipped is None else self.quantity_shipped


class ZohoPackageRef(_ZohoModel):
    package_id: str
    package_number: str | None = None
    status: str | None = None
    shipment_id: str | None = None
    shipment_number: str | None = None
    tracking_number: str | None = None


class ZohoInvoiceRef(_ZohoModel):
    invoice_id: str
    invoice_number: str | None = None
    status: str | None = None
    total: float | None = None
    balance: float | None = None


class ZohoSalesReturnRef(_ZohoModel):
    """A sales return as listed under ``salesorder.salesreturns[]``."""

    salesreturn_id: str
    salesreturn_number: str | None = None
    reference_number: str | None = None
    salesreturn_status: str | None = None


class ZohoSalesOrder(_ZohoModel):
    salesorder_id: str
    salesorder_number: str
    date: str | None = None
    reference_number: str | None = None
    customer_id: str | None = None
    customer_name: str | None = None
    email: str | None = None
    contact_person_details: list[ZohoContactPerson] = Field(default_factory=list)
    status: str | None = None
    order_status: str | None = None
    payment_terms: int | str | None = None
    payment_terms_label: str | None = None
    currency_code: str | None = None
    sub_total: float | None = None
    tax_total: float | None = None
    # None when Zoho left it blank or out: the mapping refuses to ship an order whose value it cannot read.
    total: float | None = None
    shipping_charge: float | None = None
    discount: float | str | None = None
    # True when line rates and item totals already include GST (a per-order Zoho setting).
    is_inclusive_tax: bool = False
    billing_address: ZohoAddress | None = None
    shipping_address: ZohoAddress | None = None
    line_items: list[ZohoLineItem] = Field(default_factory=list)
    custom_fields: list[ZohoCustomField] = Field(default_factory=list)
    packages: list[ZohoPackageRef] = Field(default_factory=list)
    invoices: list[ZohoInvoiceRef] = Field(default_factory=list)
    salesreturns: list[ZohoSalesReturnRef] = Field(default_factory=list)
    created_time: str | None = None
    last_modified_time: str | None = None
    # India GST: the buyer's GSTIN and its treatment (business_gst for a registered buyer), docs/providers/zoho.md §5.
    gst_no: str | None = None
    gst_treatment: str | None = None
    # The order's Zoho location (warehouse); a line may name its own (docs/providers/zoho.md §5).
    location_id: str | None = None
    location_name: str | None = None

    def custom_field(self, api_name: str) -> str | None:
        """Value of a custom field by ``api_name`` (or its ``cf_`` placeholder), or None."""
        for field in self.custom_fields:
            if api_name in (field.api_name, field.placeholder):
                return None if field.value is None else str(field.value)
        return None


class ZohoPackageDetails(_ZohoModel):
    length: float | None = None
    width: float | None = None
    height: float | None = None
    weight: float | None = None
    weight_unit: str | None = None
    dimension_unit: str | None = None


class ZohoItem(_ZohoModel):
    item_id: str
    name: str | None = None
    sku: str | None = None
    rate: float | None = None
    hsn_or_sac: str | None = None
    product_type: str | None = None
    package_details: ZohoPackageDetails | None = None


class ZohoLocationAddress(_ZohoModel):
    street_address1: str | None = None
    street_address2: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None
    # Not in the published location (docs/providers/zoho.md §15): GUESS that a live answer carries it here.
    zip: str | None = None


class ZohoLocation(_ZohoModel):
    """A Zoho Inventory location (warehouse), as ``GET /locations`` lists it or ``GET /locations/{id}`` reads it.
    The list leaves out whether it is active and primary; the read has ``is_location_active`` /
    ``is_primary_location``, the create answer ``status`` / ``is_primary`` (docs/providers/zoho.md §15)."""

    location_id: str
    location_name: str
    type: str | None = None
    address: ZohoLocationAddress = Field(default_factory=ZohoLocationAddress)
    phone: str | None = None
    email: str | None = None
    # The location's GSTIN in an Indian organisation (the spec's example is one).
    tax_reg_no: str | None = None
    is_location_active: bool | None = None
    is_primary_location: bool | None = None
    status: str | None = None
    is_primary: bool | None = None

    @property
    def active(self) -> bool | None:
        """None when the answer does not say (a list row)."""
        if self.is_location_active is not None:
            return self.is_location_active
        return None if self.status is None else self.status.lower() == "active"

    @property
    def primary(self) -> bool | None:
        return self.is_primary_location if self.is_primary_location is not None else self.is_primary


# ------------------------------------------------------------------ Shiprocket (request)

PaymentMethod = Literal["COD", "Prepaid"]


class ShiprocketOrderItem(BaseModel):
    name: str
    sku: str
    units: int
    selling_price: float
    discount: float = 0.0
    tax: float | None = None
    hsn: str | None = None


class ShiprocketPickupAddress(BaseModel):
    """Body of ``POST /settings/company/addpickup`` (docs/providers/shiprocket.md §15)."""

    pickup_location: str = Field(min_length=1, max_length=36)
    name: str
    email: str
    phone: str
    address: str = Field(max_length=80)
    address_2: str = ""
    city: str
    state: str
    country: str = "India"
    pin_code: str


class ShiprocketPickupLocation(BaseModel):
    """One row of ``GET /settings/company/pickup`` (docs/providers/shiprocket.md §15)."""

    id: int
    pickup_location: str
    pin_code: str
    # What the numbers mean is not published: 0 is taken as inactive (GUESS, §15).
    status: int | None = None
    phone_verified: bool = False
    is_primary_location: bool = False
    address: str = ""
    city: str = ""

    @property
    def active(self) -> bool:
        return self.status != 0


class ShiprocketOrder(BaseModel):
    """Body of ``POST /orders/create/adhoc`` (and the adhoc part of the one-call wrapper)."""

    order_id: str
    order_date: str
    pickup_location: str
    billing_customer_name: str
    billing_last_name: str = ""
    billing_address: str
    billing_address_2: str = ""
    billing_city: str
    billing_pincode: str
    billing_state: str
    billing_country: str = "India"
    billing_email: str
    billing_phone: str
    shipping_is_billing: bool = True
    shipping_customer_name: str = ""
    shipping_last_name: str = ""
    shipping_address: str = ""
    shipping_address_2: str = ""
    shipping_city: str = ""
    shipping_pincode: str = ""
    shipping_state: str = ""
    shipping_country: str = ""
    shipping_email: str = ""
    shipping_phone: str = ""
    order_items: list[ShiprocketOrderItem]
    payment_method: PaymentMethod
    shipping_charges: float = 0.0
    total_discount: float = 0.0
    sub_total: float
    length: float
    breadth: float
    height: float
    weight: float
    # The papers (docs/providers/shiprocket.md §3: optional strings, "" when there is none).
    ewaybill_no: str = ""
    customer_gstin: str = ""
    invoice_number: str = ""

    @property
    def delivery_postcode(self) -> str:
        return self.billing_pincode if self.shipping_is_billing else self.shipping_pincode

    @property
    def delivery_city(self) -> str:
        return self.billing_city if self.shipping_is_billing else self.shipping_city

    @property
    def is_cod(self) -> bool:
        return self.payment_method == "COD"


# ----------------------------------------------------------------- Shiprocket (response)


class CourierQuote(BaseModel):
    """One entry of serviceability ``available_courier_companies`` (the subset we rank on)."""

    model_config = ConfigDict(extra="ignore")

    courier_company_id: int
    courier_name: str
    rate: float
    cod: int = 1
    estimated_delivery_days: int | None = None
    etd_hours: float | None = None
    rating: float | None = None
    rto_performance: float | None = None
    delivery_performance: float | None = None
    is_surface: bool | None = None
    zone: str | None = None
    blocked: int = 0


class CreatedOrder(BaseModel):
    """Shiprocket's answer to a create (new or existing-duplicate)."""

    sr_order_id: int
    shipment_id: int | None
    status: str | None = None
    status_code: int | None = None
    awb_code: str | None = None
    courier_company_id: int | None = None
    courier_name: str | None = None

    @property
    def is_cancelled(self) -> bool:
        return self.status_code == 5 or (self.status or "").upper() in {"CANCELED", "CANCELLED"}


class AwbAssignment(BaseModel):
    awb_code: str
    courier_company_id: int
    courier_name: str


class PickupResult(BaseModel):
    pickup_scheduled_date: str | None = None
    pickup_token_number: str | None = None
    # A retried request answered "Already in Pickup Queue." (or "Duplicate request"): the pickup exists,
    # its date and token were in the answer that was lost.
    already_requested: bool = False


class LabelResult(BaseModel):
    # None only when a retried request was answered "already generated" without the URL.
    label_url: str | None = None
    already_generated: bool = False


class ForwardShipmentResult(BaseModel):
    """Answer of the one-call wrapper. Any step may have failed after the order was created:
    ``awb_refusal`` / flags say which, so the service continues step by step from there."""

    sr_order_id: int | None
    shipment_id: int | None
    order_created: bool
    awb: AwbAssignment | None = None
    awb_refusal: str | None = None
    pickup: PickupResult | None = None
    label: LabelResult | None = None
    error_message: str | None = None


# ------------------------------------------------------------ returns (RTO and customer)


class ReturnLine(BaseModel):
    """One line to return: the sales order line, its item and how many units."""

    salesorder_item_id: str
    item_id: str | None = None
    quantity: float


class ZohoSalesReturn(_ZohoModel):
    salesreturn_id: str
    salesreturn_number: str | None = None
    salesorder_id: str | None = None
    salesreturn_status: str | None = None
    reference_number: str | None = None
    # "received" once every returned unit is back in stock (read after an interrupted receive).
    receive_status: str | None = None
    # (salesorder_item_id -> the return's own line_item_id), needed by the receive and the credit note.
    line_item_ids: dict[str, str] = Field(default_factory=dict)


class ZohoInvoice(_ZohoModel):
    invoice_id: str
    invoice_number: str | None = None
    customer_id: str | None = None
    status: str | None = None
    total: float | None = None
    # Required: what the invoice still owes guards a payment and a credit, so an answer without it is an error.
    balance: float
    # (salesorder_item_id -> invoice line_item_id), needed to credit the returned lines.
    line_item_ids: dict[str, str] = Field(default_factory=dict)
    # (salesorder_item_id -> invoiced rate): a credit note reverses what was billed, not the item's list rate.
    line_rates: dict[str, float] = Field(default_factory=dict)
    # (salesorder_item_id -> invoice line tax_id): without it a credit note line credits the pre-tax amount.
    line_tax_ids: dict[str, str] = Field(default_factory=dict)
    # (salesorder_item_id -> invoice line discount as Zoho wrote it, "10%" or an amount such as "99.96"):
    # without it a credit note credits more than the discounted line billed.
    line_discounts: dict[str, str] = Field(default_factory=dict)
    # (salesorder_item_id -> invoiced quantity): an amount discount covers it, so a partial credit takes its share.
    line_quantities: dict[str, float] = Field(default_factory=dict)


def discount_number(text: str) -> Decimal | None:
    """The number in a line discount as Zoho writes it ("10%" -> 10), or None when the text is not a discount."""
    try:
        number = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


class CreditNoteLine(BaseModel):
    """One credit note line: the invoice line it credits and the return line whose units it reverses.

    Fields carry the names of Zoho's credit note line (docs/providers/zoho.md §8); None is left out of the
    request, so Zoho's default applies."""

    model_config = ConfigDict(frozen=True)

    invoice_item_id: str
    salesreturn_item_id: str
    item_id: str | None = None
    quantity: float
    rate: float | None = None
    # "10%" as the invoice wrote it, or the amount (a number) that falls on the credited quantity.
    discount: str | float | None = None
    tax_id: str | None = None


class ZohoCreditNote(_ZohoModel):
    """A credit note as Zoho holds it: its own total and the credit still available to apply."""

    creditnote_id: str
    creditnote_number: str | None = None
    reference_number: str | None = None
    status: str | None = None
    invoice_id: str | None = None
    total: float
    balance: float


class ShiprocketReturnOrder(BaseModel):
    """Body of ``POST /orders/create/return``: pickup = the customer, shipping = our warehouse."""

    order_id: str
    order_date: str
    pickup_customer_name: str
    pickup_last_name: str = ""
    pickup_address: str
    pickup_address_2: str = ""
    pickup_city: str
    pickup_state: str
    pickup_country: str = "India"
    pickup_pincode: str
    pickup_email: str
    pickup_phone: str
    shipping_customer_name: str
    shipping_last_name: str = ""
    shipping_address: str
    shipping_address_2: str = ""
    shipping_city: str
    shipping_state: str
    shipping_country: str = "India"
    shipping_pincode: str
    shipping_email: str = ""
    shipping_phone: str
    order_items: list[ShiprocketOrderItem]
    payment_method: Literal["Prepaid"] = "Prepaid"
    total_discount: float = 0.0
    sub_total: float
    length: float
    breadth: float
    height: float
    weight: float


# ------------------------------------------------------------------- COD remittance (issue 4)


class ZohoPaymentInvoice(_ZohoModel):
    """One invoice a customer payment was applied to (``payment.invoices[]``)."""

    invoice_id: str
    invoice_number: str | None = None
    amount_applied: Decimal
    balance_amount: Decimal | None = None


class ZohoCustomerPayment(_ZohoModel):
    """A Books customer payment. List rows carry ``invoice_numbers`` but no ``invoices``; a created or
    fetched payment carries both. ``custom_fields`` maps api_name -> value."""

    payment_id: str
    payment_number: str | None = None
    payment_mode: str | None = None
    customer_id: str | None = None
    date: str | None = None
    amount: Decimal
    bank_charges: Decimal = Decimal("0")
    reference_number: str | None = None
    description: str | None = None
    account_id: str | None = None
    invoice_numbers: list[str] = Field(default_factory=list)
    invoices: list[ZohoPaymentInvoice] = Field(default_factory=list)
    custom_fields: dict[str, str] = Field(default_factory=dict)


class ShiprocketOrderProduct(BaseModel):
    """A line of an order's ``products`` on ``orders/show`` (docs/providers/shiprocket.md §14): the SKU and name
    we sent (``ShiprocketOrderItem``) and its units (``quantity``)."""

    sku: str
    name: str
    quantity: int = Field(gt=0)


class ShiprocketListedOrder(BaseModel):
    """One order of ``GET /orders`` as a reconciliation against Zoho reads it (docs/providers/shiprocket.md §14a)."""

    model_config = ConfigDict(frozen=True)

    sr_order_id: int
    # Our reference: the ``order_id`` our create sent (the sales order number, ``orders.mapping``), which
    # Shiprocket echoes as ``channel_order_id``. None when the entry carries none.
    channel_order_id: str | None = None
    # As Shiprocket prints it ("31 Jul 2019, 03:03 PM", IST), not parsed.
    created_at: str | None = None
    status: str | None = None
    status_code: int | None = None
    # The entry's shipments: their AWBs ("" before one is assigned: left out) and ids.
    awbs: tuple[str, ...] = ()
    shipment_ids: tuple[int, ...] = ()


class ShiprocketOrderDetails(BaseModel):
    """``GET /orders/show/{id}`` as the remittance poll reads it; empty strings arrive as None."""

    sr_order_id: int
    channel_order_id: str | None = None
    status: str | None = None
    status_code: int | None = None
    awb: str | None = None
    payment_method: PaymentMethod | None = None
    # What the courier collects (0 for prepaid orders), in rupees.
    cod_amount: Decimal = Decimal("0")
    remittance_utr: str | None = None
    remittance_date: str | None = None
    remittance_status: str | None = None
    # The shipment's courier, once an AWB is assigned (``shipments.courier`` / ``shipments.courier_id``).
    courier_name: str | None = None
    courier_id: int | None = None
    # What the parcel holds (freight.item_weights); None when the answer has no readable ``products`` list, which
    # only that reader refuses.
    products: list[ShiprocketOrderProduct] | None = None

    @property
    def is_cod(self) -> bool:
        return self.payment_method == "COD"

    @property
    def is_remitted(self) -> bool:
        return bool(self.remittance_utr)
