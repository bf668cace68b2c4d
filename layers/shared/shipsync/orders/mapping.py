"""Zoho sales order -> Shiprocket adhoc order (docs/providers/shiprocket.md §3, docs/providers/zoho.md §5, §10).

Pure: no I/O. Anything that makes the order unshippable as it stands raises
``InvalidOrder(field, reason)`` naming the Shiprocket (or Zoho custom) field, so the service can
mark the sales order ``Invalid Order`` and tell ops exactly what to fix. Reasons never quote a
phone number (PII); they say what is wrong with it instead.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shipsync.domain.india import IST, is_valid_pincode, state_name
from shipsync.domain.models import (
    PaymentMethod,
    ShiprocketOrder,
    ShiprocketOrderItem,
    ZohoAddress,
    ZohoItem,
    ZohoLineItem,
    ZohoSalesOrder,
)
from shipsync.errors import EwayBillRequired, InvalidOrder

# Shiprocket limits (docs/providers/shiprocket.md §3).
MAX_ORDER_ID_LEN = 50
MAX_CITY_LEN = 30
# Shiprocket wants every box side strictly above 0.5 cm; a 1 cm floor keeps clear of the edge.
MIN_BOX_CM = 1.0


# What a parcel is declared as when Zoho's items say nothing (forward shipments and customer returns alike):
# each unit a 0.5 kg, 10 cm cube.
DEFAULT_ITEM_WEIGHT_KG = 0.5
DEFAULT_BOX_CM = 10.0
# Shiprocket requires a buyer e-mail; the reserved .invalid domain (RFC 2606) never reaches a stranger.
FALLBACK_EMAIL = "no-email@shipsync.invalid"


@dataclass(frozen=True)
class MappingOptions:
    pickup_location: str
    payment_method_field: str = "cf_payment_method"
    default_item_weight_kg: float = DEFAULT_ITEM_WEIGHT_KG
    default_box_cm: float = DEFAULT_BOX_CM
    # Shiprocket requires billing_email but many Zoho orders carry none. Failing those orders
    # would block real shipments over a field the courier never uses, so they get this address
    # instead. The reserved ``.invalid`` TLD (RFC 2606) guarantees no stranger ever receives
    # Shiprocket's customer mails; sellers who want them can set their own mailbox here.
    fallback_email: str = FALLBACK_EMAIL
    # GST rules (CGST Rule 138): a consignment worth more than ₹50,000 travels with an e-way bill. The number comes
    # from this custom field; without one the order is held (EwayBillRequired) rather than refused later.
    eway_bill_threshold: float = 50_000.0
    eway_bill_field: str = "cf_eway_bill_no"


# --------------------------------------------------------------------------- phone / pincode

# Optional country prefix (91 or 0091), optional trunk 0, then a mobile number (starts 6-9).
_PHONE = re.compile(r"(?:(?:00)?91)?0?([6-9]\d{9})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def normalise_phone(raw: str | None, *, field: str = "billing_phone") -> str:
    """10-digit Indian mobile number from "+91 98450 12345", "098450-12345", "91-9845012345"..."""
    if raw is None or not raw.strip():
        raise InvalidOrder(field, "phone number is missing")
    digits = re.sub(r"\D", "", raw)
    match = _PHONE.fullmatch(digits)
    if match is None:
        raise InvalidOrder(
            field,
            f"not a 10-digit Indian mobile number starting 6-9 (has {len(digits)} digits)",
        )
    return match.group(1)


def normalise_pincode(raw: str | None, *, field: str = "billing_pincode") -> str:
    if raw is None or not raw.strip():
        raise InvalidOrder(field, "pincode is missing")
    pincode = "".join(raw.split())
    if not is_valid_pincode(pincode):
        raise InvalidOrder(field, f"pincode {pincode[:12]!r} is not 6 digits starting 1-9")
    return pincode


# --------------------------------------------------------------------------- payment method

_COD_VALUES = frozenset({"cod", "cash on delivery", "cash"})
_PREPAID_VALUES = frozenset({"prepaid", "pre paid", "paid", "online", "online payment"})


def _words(text: str) -> str:
    return " ".join(re.sub(r"[-_/]", " ", text.casefold()).split())


def payment_method(so: ZohoSalesOrder, field: str) -> PaymentMethod:
    """COD or Prepaid from the custom field, else from the payment terms label.

    A custom-field value we do not recognise is an InvalidOrder rather than a guess: shipping a
    COD order as prepaid loses the money, and the reverse makes a paid customer pay twice.
    """
    raw = so.custom_field(field)
    if raw is not None and raw.strip():
        value = _words(raw)
        if value in _COD_VALUES:
            return "COD"
        if value in _PREPAID_VALUES:
            return "Prepaid"
        raise InvalidOrder(field, f"unrecognised payment method {raw.strip()[:40]!r}; expected COD or Prepaid")
    terms = _words(so.payment_terms_label or "")
    if "cash on delivery" in terms or re.search(r"\bcod\b", terms):
        return "COD"
    return "Prepaid"


# --------------------------------------------------------------------------- numbering


def shipment_number(so_number: str) -> str:
    """Zoho shipment number for a sales order: fixed, so a retried create is recognisable."""
    return f"SHP-{so_number}"


def package_number(so_number: str) -> str:
    return f"PKG-{so_number}"


def required_item_ids(so: ZohoSalesOrder) -> list[str]:
    """Distinct item ids (first-seen order) whose package details and SKU the mapping reads."""
    return list(dict.fromkeys(line.item_id for line in so.line_items if line.item_id))


# --------------------------------------------------------------------------- addresses


def _clean(text: str | None) -> str:
    """Single-line text: address lines joined with ", ", whitespace collapsed."""
    parts = (" ".join(part.split()).strip(" ,") for part in re.split(r"[\r\n]+", text or ""))
    return ", ".join(part for part in parts if part)


def _truncate(text: str, limit: int) -> str:
    """Cut at a word boundary when one is in the second half, so "Navi Mumbai Sector" does not
    become "Navi Mumbai Sec"; a single long word is cut hard."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    space = head.rfind(" ")
    cut = head[:space] if space >= limit // 2 else text[:limit]
    return cut.rstrip(" ,.-/")


_INDIA = frozenset({"", "india", "in", "ind", "bharat"})


@dataclass(frozen=True)
class _Party:
    first_name: str
    last_name: str
    address: str
    address_2: str
    city: str
    pincode: str
    state: str
    country: str

    def key(self) -> tuple[str, ...]:
        return tuple(
            v.casefold()
            for v in (
                self.first_name,
                self.last_name,
                self.address,
                self.address_2,
                self.city,
                self.pincode,
                self.state,
            )
        )


def _is_blank(address: ZohoAddress | None) -> bool:
    return address is None or not any(_clean(v) for v in (address.address, address.city, address.zip))


def _party(address: ZohoAddress, customer_name: str | None, prefix: str) -> _Party:
    name = _clean(address.attention) or _clean(customer_name)
    if not name:
        raise InvalidOrder(f"{prefix}_customer_name", "no attention name on the address and no customer name")
    first, _, last = name.partition(" ")
    line1 = _clean(address.address)
    if not line1:
        raise InvalidOrder(f"{prefix}_address", "address line is empty")
    city = _truncate(_clean(address.city), MAX_CITY_LEN)
    if not city:
        raise InvalidOrder(f"{prefix}_city", "city is empty")
    state = state_name(address.state, address.state_code)
    if not state:
        raise InvalidOrder(f"{prefix}_state", "state is empty")
    country = _clean(address.country)
    code = _clean(address.country_code).upper()
    if country.casefold() not in _INDIA or code not in ("", "IN"):
        raise InvalidOrder(f"{prefix}_country", f"only domestic shipments are supported, got {country or code!r}")
    return _Party(
        first_name=first,
        last_name=last.strip(),
        address=line1,
        address_2=_clean(address.street2),
        city=city,
        pincode=normalise_pincode(address.zip, field=f"{prefix}_pincode"),
        state=state,
        country="India",
    )


def phone_candidates(so: ZohoSalesOrder) -> Iterator[str | None]:
    """Where a buyer's number may be, in the order it is tried: addresses, then contact persons."""
    for address in (so.shipping_address, so.billing_address):
        if address is not None:
            yield address.phone
    for person in so.contact_person_details:
        yield person.mobile
        yield person.phone


def buyer_phone(so: ZohoSalesOrder, *, field: str = "billing_phone") -> str:
    """First valid number, recipient's first: a landline in the address must not block an order
    whose contact person has a usable mobile. All invalid -> the first one's reason."""
    first_error: InvalidOrder | None = None
    for raw in phone_candidates(so):
        if raw is None or not raw.strip():
            continue
        try:
            return normalise_phone(raw, field=field)
        except InvalidOrder as exc:
            first_error = first_error or exc
    raise first_error or InvalidOrder(
        field, "no phone number on the shipping address, billing address or contact person"
    )


def buyer_email(so: ZohoSalesOrder, fallback: str) -> str:
    """The first well-formed address of the contact persons, then the order's; ``fallback`` when none is."""
    for candidate in [p.email for p in so.contact_person_details] + [so.email]:
        email = (candidate or "").strip()
        if _EMAIL.fullmatch(email):
            return email
    return fallback


def _order_date(so: ZohoSalesOrder) -> str:
    """IST "YYYY-MM-DD HH:MM" from created_time (any offset), else the order's date."""
    if so.created_time:
        try:
            created = datetime.fromisoformat(so.created_time.strip())
        except ValueError:
            created = None
        if created is not None:
            # Zoho always sends an offset; a bare timestamp can only be the org's local (IST) time.
            if created.tzinfo is None:
                created = created.replace(tzinfo=IST)
            return created.astimezone(IST).strftime("%Y-%m-%d %H:%M")
    try:
        return date.fromisoformat((so.date or "").strip()).isoformat()
    except ValueError:
        raise InvalidOrder("order_date", f"sales order has no usable created_time or date ({so.date!r})") from None


# --------------------------------------------------------------------------- items, weight, box

_WEIGHT_TO_KG: dict[str, float] = {
    "kg": 1.0,
    "kgs": 1.0,
    "g": 0.001,
    "gm": 0.001,
    "gms": 0.001,
    "gram": 0.001,
    "grams": 0.001,
    "lb": 0.45359237,
    "lbs": 0.45359237,
    "oz": 0.028349523125,
}
_LENGTH_TO_CM: dict[str, float] = {
    "cm": 1.0,
    "mm": 0.1,
    "m": 100.0,
    "in": 2.54,
    "inch": 2.54,
    "inches": 2.54,
    "ft": 30.48,
}


def unit_weight_kg(item: ZohoItem | None, default: float) -> float:
    details = item.package_details if item else None
    if details is None or details.weight is None or details.weight <= 0:
        return default
    # Zoho omits the unit only when the org default applies; ours is kg. An unknown unit is
    # treated as missing rather than guessed at.
    factor = _WEIGHT_TO_KG.get((details.weight_unit or "kg").strip().casefold())
    return default if factor is None else details.weight * factor


def unit_dims_cm(item: ZohoItem | None, default: float) -> tuple[float, float, float]:
    """Item sides, longest first (a packer turns each item onto its largest face)."""
    details = item.package_details if item else None
    fallback = (default, default, default)
    if details is None:
        return fallback
    sides = (details.length, details.width, details.height)
    factor = _LENGTH_TO_CM.get((details.dimension_unit or "cm").strip().casefold())
    if factor is None or any(s is None or s <= 0 for s in sides):
        return fallback
    a, b, c = sorted((float(s or 0) * factor for s in sides), reverse=True)
    return a, b, c


def _ceil(value: float, places: int) -> float:
    """Round up, so the declared weight/box is never below what was computed (couriers
    re-weigh and bill the difference); the inner round() absorbs float noise like 1.0000000002."""
    scale = 10.0**places
    return math.ceil(round(value * scale, 6)) / scale


@dataclass
class _MergedLine:
    name: str
    sku: str
    units: int
    value: float  # GST-inclusive rupees for all units
    tax: float | None
    hsn: str | None


@dataclass(frozen=True)
class _Parcel:
    items: list[ShiprocketOrderItem]
    weight_kg: float
    length_cm: float
    breadth_cm: float
    height_cm: float


def _parcel(so: ZohoSalesOrder, items: Mapping[str, ZohoItem], options: MappingOptions) -> _Parcel:
    merged: dict[str, _MergedLine] = {}
    weight = 0.0
    volume = 0.0
    longest = widest = tallest = 0.0
    for line in so.line_items:
        quantity = line.unpacked_quantity
        if quantity <= 0:
            continue
        item = items.get(line.item_id) if line.item_id else None
        if item is not None and (item.product_type or "").casefold() == "service":
            continue  # charges such as installation travel with the money, not in the box
        # The item id is stable per product, so repeated lines without a SKU still merge; the
        # line id is the last resort for ad-hoc lines that have no item at all.
        sku = _clean(line.sku) or _clean(item.sku if item else None) or line.item_id or line.line_item_id
        units = round(quantity)
        if abs(quantity - units) > 1e-9:
            raise InvalidOrder("line_items", f"{sku}: quantity {quantity:g} is not a whole number of units")
        # Shiprocket's selling_price is per unit and GST-inclusive. item_total is Zoho's line
        # amount after the line discount, so the discount is already inside the price (item
        # discount stays 0 and is not applied twice); GST is added unless the order is entered
        # tax-inclusive.
        amount = line_amount(line) * quantity / line.quantity
        if not so.is_inclusive_tax:
            amount *= 1 + (line.tax_percentage or 0.0) / 100
        hsn = _clean(line.hsn_or_sac) or _clean(item.hsn_or_sac if item else None) or None
        key = sku.casefold()  # Shiprocket compares SKUs case-insensitively when refusing repeats
        if key in merged:
            entry = merged[key]
            entry.units += units
            entry.value += amount
            entry.tax = entry.tax if entry.tax is not None else line.tax_percentage
            entry.hsn = entry.hsn or hsn
        else:
            merged[key] = _MergedLine(_clean(line.name) or sku, sku, units, amount, line.tax_percentage, hsn)

        weight += units * unit_weight_kg(item, options.default_item_weight_kg)
        length, width, height = unit_dims_cm(item, options.default_box_cm)
        volume += units * length * width * height
        longest, widest, tallest = max(longest, length), max(widest, width), max(tallest, height)

    if not merged:
        raise InvalidOrder("line_items", "no shippable line items with a quantity left to pack")
    # Box heuristic: the largest item footprint, tall enough to hold the summed item volume
    # and never lower than the tallest item. Its volumetric weight therefore never undercuts
    # the goods' own volume, which is what couriers bill on.
    height = max(tallest, volume / (longest * widest))
    order_items = [
        ShiprocketOrderItem(
            name=m.name,
            sku=m.sku,
            units=m.units,
            selling_price=round(m.value / m.units, 2),
            discount=0.0,
            tax=m.tax,
            hsn=m.hsn,
        )
        for m in merged.values()
    ]
    return _Parcel(
        items=order_items,
        weight_kg=_ceil(weight, 3),
        length_cm=max(MIN_BOX_CM, _ceil(longest, 1)),
        breadth_cm=max(MIN_BOX_CM, _ceil(widest, 1)),
        height_cm=max(MIN_BOX_CM, _ceil(height, 1)),
    )


def line_amount(line: ZohoLineItem) -> float:
    """Zoho's line amount after its discount (``item_total``), or rate times quantity when it left it out."""
    return line.item_total if line.item_total is not None else line.rate * line.quantity


def unpacked_share(so: ZohoSalesOrder) -> float:
    """The part of the order's value still to ship: 1 when nothing is packed yet; the unpacked lines' share of
    the line amounts when some units were packed already (by hand, or an earlier shipment)."""
    lines = [line for line in so.line_items if line.quantity > 0]
    whole = sum(line_amount(line) for line in lines)
    left = sum(line_amount(line) * line.unpacked_quantity / line.quantity for line in lines)
    if whole <= 0 or abs(whole - left) < 1e-9:
        return 1.0
    return left / whole


def _money(value: float | str | None) -> float:
    """Numeric amounts only: a "10%" discount string is a rate, not rupees."""
    if isinstance(value, int | float):
        return round(float(value), 2)
    try:
        return round(float((value or "").strip()), 2)
    except ValueError:
        return 0.0


# --------------------------------------------------------------------------- the mapping


# A GSTIN: state code, PAN, entity number, Z, check character (15 characters).
_GSTIN = re.compile(r"^\d{2}[A-Z]{5}\d{4}[A-Z][1-9A-Z]Z[0-9A-Z]$")


def buyer_gstin(so: ZohoSalesOrder) -> str:
    """The buyer's GSTIN for a B2B order (Zoho's ``gst_no``), or "" for a consumer. One that is not a GSTIN is
    refused by name: a tax invoice with a wrong number is worse than none."""
    gstin = (so.gst_no or "").strip().upper()
    if not gstin:
        return ""
    if not _GSTIN.match(gstin):
        raise InvalidOrder("gst_no", f"{gstin!r} is not a GSTIN (15 characters: state code, PAN, entity, Z, check)")
    return gstin


def delivery_snapshot(so: ZohoSalesOrder) -> dict[str, Any]:
    """What a shipment carries that a seller can still edit after confirming: where it goes, the buyer's phone,
    and the lines (line id -> quantity), as ``to_shiprocket_order`` reads them. The ledger keeps the one shipped;
    an edit is a difference from it (orders.amend)."""
    source = so.shipping_address if not _is_blank(so.shipping_address) else so.billing_address
    if source is None or _is_blank(source):
        raise InvalidOrder("shipping_address", "the sales order has neither a shipping nor a billing address")
    party = _party(source, so.customer_name, "shipping")
    return {
        "name": f"{party.first_name} {party.last_name}".strip(),
        "address": party.address,
        "address_2": party.address_2,
        "city": party.city,
        "state": party.state,
        "pincode": party.pincode,
        "country": party.country,
        "phone": buyer_phone(so),
        "lines": {line.line_item_id: line.quantity for line in so.line_items if line.quantity > 0},
    }


def to_shiprocket_order(
    so: ZohoSalesOrder,
    items: Mapping[str, ZohoItem],
    options: MappingOptions,
    *,
    order_ref: str | None = None,
) -> ShiprocketOrder:
    """The adhoc-order body for a sales order.

    ``order_id`` is the sales order number (or ``order_ref`` for a re-create after an upstream
    cancel), so Shiprocket's own duplicate guard holds and its webhooks map back to Zoho
    without a search. ``items`` maps item_id -> item master (see ``required_item_ids``);
    missing entries fall back to the configured default weight and box.
    """
    ref = (order_ref or so.salesorder_number).strip()
    if not ref or len(ref) > MAX_ORDER_ID_LEN:
        raise InvalidOrder("order_id", f"order reference must be 1-{MAX_ORDER_ID_LEN} characters, got {len(ref)}")

    billing_src = so.billing_address if not _is_blank(so.billing_address) else so.shipping_address
    shipping_src = so.shipping_address if not _is_blank(so.shipping_address) else so.billing_address
    if billing_src is None or shipping_src is None or _is_blank(shipping_src):
        raise InvalidOrder("shipping_address", "the sales order has neither a shipping nor a billing address")
    billing = _party(billing_src, so.customer_name, "billing")
    shipping = _party(shipping_src, so.customer_name, "shipping")
    shipping_is_billing = billing.key() == shipping.key()
    phone = buyer_phone(so)
    email = buyer_email(so, options.fallback_email)
    method = payment_method(so, options.payment_method_field)
    parcel = _parcel(so, items, options)
    if so.total is None:
        # COD collects exactly this amount: an order whose total Zoho left blank must not ship for 0.
        raise InvalidOrder("total", "the sales order carries no total")

    ewaybill = (so.custom_field(options.eway_bill_field) or "").strip()
    if not ewaybill and so.total >= options.eway_bill_threshold:
        raise EwayBillRequired(so.total, options.eway_bill_threshold, options.eway_bill_field)

    order = ShiprocketOrder(
        order_id=ref,
        order_date=_order_date(so),
        pickup_location=options.pickup_location,
        billing_customer_name=billing.first_name,
        billing_last_name=billing.last_name,
        billing_address=billing.address,
        billing_address_2=billing.address_2,
        billing_city=billing.city,
        billing_pincode=billing.pincode,
        billing_state=billing.state,
        billing_country=billing.country,
        billing_email=email,
        billing_phone=phone,
        shipping_is_billing=shipping_is_billing,
        order_items=parcel.items,
        payment_method=method,
        shipping_charges=_money(so.shipping_charge),
        total_discount=_money(so.discount),
        # What the courier collects on COD and the declared value on prepaid: Shiprocket
        # does not compute it, so it must be Zoho's final total (incl. GST and shipping).
        # A partly packed order collects (and declares) only the share of the rest (issue 13: never twice).
        sub_total=round(so.total * unpacked_share(so), 2),
        length=parcel.length_cm,
        breadth=parcel.breadth_cm,
        height=parcel.height_cm,
        weight=parcel.weight_kg,
        ewaybill_no=ewaybill,
        customer_gstin=buyer_gstin(so),
        invoice_number=next((i.invoice_number for i in so.invoices if i.invoice_number), "") or "",
    )
    if shipping_is_billing:
        return order
    return order.model_copy(
        update={
            "shipping_customer_name": shipping.first_name,
            "shipping_last_name": shipping.last_name,
            "shipping_address": shipping.address,
            "shipping_address_2": shipping.address_2,
            "shipping_city": shipping.city,
            "shipping_pincode": shipping.pincode,
            "shipping_state": shipping.state,
            "shipping_country": shipping.country,
            "shipping_email": email,
            "shipping_phone": phone,
        }
    )
