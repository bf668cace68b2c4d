"""The deterministic generator of ``events/sample_day/``: orders, their webhook deliveries and their fates."""

from __future__ import annotations

import copy
import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from local.sample_data.catalogue import (
    EMAIL_DOMAINS,
    FIRST_NAMES,
    HEAVY_ITEMS,
    ITEMS,
    LANDMARKS,
    LAST_NAMES,
    LIGHT_ITEMS,
    STREETS,
    TIER1,
    TIER23,
    UNSERVICEABLE_CITIES,
    WAREHOUSES,
    City,
    Item,
)
from local.sample_data.day import (
    CANCELLED,
    DATA_DIR,
    DELIVERED,
    DELIVERED_LIFECYCLES,
    FINAL_BY_LIFECYCLE,
    INVALID,
    NDR_LIFECYCLES,
    RETURNED,
    RTO_LIFECYCLES,
    SHIPPED,
    UNSERVICEABLE,
    lifecycle_summary,
    render,
)

SEED = 20250611
DAY = "2025-06-11"
# The committed day's size. A bigger day (``generate(order_count=160)``) repeats the committed day's
# pattern in blocks of this many orders: the same positions fail, repeat and weigh, per block, and
# every block brings its share of RTOs, NDRs, losses and invoices.
ORDER_COUNT = 60

IST = timezone(timedelta(hours=5, minutes=30))
# Zoho ids are 19-digit strings: an organization prefix and a running number.
_ID_PREFIX = 1947583000000000000

# Positions (0-based) of the orders that must fail, spread over the day.
_INVALID_AT = {8: "invalid_phone", 26: "invalid_pincode", 43: "invalid_no_items"}
_UNSERVICEABLE_AT = (13, 32, 50)
_DUPLICATE_AT = 19
_HEAVY_AT = (4, 11, 22, 30, 37, 46, 55)
_REPEATED_SKU_AT = (6, 40)

# The parcels' fates come from their own generator, so the orders above never change with them.
TRACKING_SEED = SEED + 1
# Couriers return COD parcels far more often than prepaid ones: most exceptions are COD.
_COD_FATES = ("rto", "rto", "rto", "rto", "ndr_then_rto", "ndr_then_delivered")
_PREPAID_FATES = ("rto", "ndr_then_delivered", "lost")
_INVOICED_RTOS = 2
_INVOICED_DELIVERED_COD = 2
WEBHOOK_NOISE = {"duplicates": 0.15, "reorder": 0.3, "na_scans": 0.2, "string_ids": 0.3}
STEPS_PER_ADVANCE = 3
# Shiprocket re-posts the final RTO scan: every RTO-delivered event arrives twice.
RTO_DELIVERED_NOISE = {"duplicates": 1}
RETURN_REASON = "Size does not fit"
# After the confirmations, before the parcels move: sellers cancel some orders and fix one address (issue 12).
_CANCELS = 2
_ADDRESS_CHANGES = 1
CHANGES_SEED = SEED + 12
# Shiprocket remits on D+8. Three batches of the delivered, invoiced COD orders: one posted as JSON,
# one found only by the poll, one posted with a bank transfer short by SHORT_TRANSFER rupees.
REMITTANCE_DATE = "2025-06-19"
# Couriers re-weigh a few delivered parcels heavier than declared (issue 14): the wallet is debited the extra
# freight once they are picked up, and the wallet watch pages each with its dispute deadline.
_REWEIGHED_PER_BLOCK = 3
# What the courier's scale finds beyond the items' declared dead weight (the box, the filler).
REWEIGHED_EXTRA_KG = 1.5
# The wallet the day starts with, per block of orders: a little more than the day costs (₹23,874 for the committed
# day, ₹68,160 for 160 orders), so it ends below a day's need (a seventh of the day's cost, the watch's 7-day
# average) and the wallet watch pages it (WalletLow), without ever running short of an AWB's freight.
WALLET_OPENING_PER_BLOCK = 25_500.0
REMITTANCE_BATCHES = (("UTR-SR-0619-A", "webhook", 0), ("UTR-SR-0619-B", "poll", 0), ("UTR-SR-0619-C", "webhook", 100))
# The last delivered, invoiced COD order(s) stay unremitted (next cycle).
_UNREMITTED_INVOICED_COD = 1


class _Ids:
    def __init__(self, start: int) -> None:
        self._next = start

    def __call__(self) -> str:
        self._next += 1
        return str(_ID_PREFIX + self._next)


def _messy_phone(rng: random.Random) -> str:
    """A valid Indian mobile number in one of the shapes customers type into checkout forms."""
    digits = str(rng.choice("6789")) + "".join(str(rng.randrange(10)) for _ in range(9))
    head, tail = digits[:5], digits[5:]
    shapes = (
        f"+91 {head} {tail}",
        f"0{head}-{tail}",
        f"91-{digits}",
        digits,
        f"+91{digits}",
        f"0091 {head} {tail}",
        f"{head} {tail}",
    )
    return rng.choice(shapes)


def _custom_fields(payment: str) -> list[dict[str, Any]]:
    fields = [
        ("cf_payment_method", "Payment Method", "dropdown", payment),
        ("cf_awb_number", "AWB Number", "string", ""),
        ("cf_shiprocket_order_id", "Shiprocket Order ID", "string", ""),
        ("cf_courier_partner", "Courier Partner", "string", ""),
        ("cf_shipment_status", "Shipment Status", "string", ""),
    ]
    return [
        {
            "customfield_id": str(_ID_PREFIX + 77001 + index),
            "api_name": api_name,
            "placeholder": api_name,
            "label": label,
            "data_type": data_type,
            "value": value,
        }
        for index, (api_name, label, data_type, value) in enumerate(fields)
    ]


def _zoho_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S%z")


@dataclass
class _Plan:
    index: int
    scenario: str
    expect: str
    city: City
    payment: str
    heavy: bool
    repeated_sku: bool


def _plan(rng: random.Random, order_count: int) -> list[_Plan]:
    plans = []
    for index in range(order_count):
        scenario, expect = "valid", SHIPPED
        at = index % ORDER_COUNT
        if at in _INVALID_AT:
            scenario, expect = _INVALID_AT[at], INVALID
        elif at in _UNSERVICEABLE_AT:
            scenario, expect = "unserviceable", UNSERVICEABLE
        if scenario == "unserviceable":
            city = UNSERVICEABLE_CITIES[_UNSERVICEABLE_AT.index(at)]
        else:
            # About half the orders go to the six metros, as for most Indian D2C sellers.
            city = rng.choice(TIER1) if rng.random() < 0.5 else rng.choice(TIER23)
        payment = "COD" if rng.random() < 0.45 else "Prepaid"
        plans.append(_Plan(index, scenario, expect, city, payment, at in _HEAVY_AT, at in _REPEATED_SKU_AT))
    return plans


def _line(item: Item, quantity: int, line_id: str, item_id: str, discount_pct: float = 0.0) -> dict[str, Any]:
    gross = item.rate * quantity
    discount = round(gross * discount_pct / 100, 2)
    return {
        "line_item_id": line_id,
        "item_id": item_id,
        "sku": item.sku,
        "name": item.name,
        "description": "",
        "rate": item.rate,
        "quantity": quantity,
        "discount": f"{discount_pct:g}%" if discount_pct else 0.0,
        "discount_amount": discount,
        "quantity_packed": 0,
        "quantity_shipped": 0,
        "quantity_invoiced": 0,
        "unit": "pcs",
        "tax_id": str(_ID_PREFIX + 12000 + int(item.gst)),
        "tax_name": f"GST{item.gst:g}",
        "tax_type": "tax_group",
        "tax_percentage": item.gst,
        "item_total": round(gross - discount, 2),
        "hsn_or_sac": item.hsn,
    }


def _address(rng: random.Random, name: str, city: City, pincode: str, phone: str) -> dict[str, Any]:
    house = rng.choice(("Flat", "No.", "House No.", "B-", "Plot"))
    number = f"{rng.randint(1, 48)}{rng.choice(('', '/A', '/2'))}" if house != "B-" else str(rng.randint(101, 904))
    return {
        "attention": name,
        "address": f"{house} {number}, {rng.choice(STREETS)}, {rng.choice(city.localities)}".replace("B- ", "B-"),
        "street2": rng.choice(LANDMARKS),
        "city": city.name,
        "state": city.state,
        "state_code": city.state_code,
        "zip": pincode,
        "country": "India",
        "country_code": "IN",
        "phone": phone,
        "fax": "",
    }


def _lines_for(rng: random.Random, plan: _Plan, item_ids: dict[str, str], line_ids: _Ids) -> list[dict[str, Any]]:
    if plan.scenario == "invalid_no_items":
        return []
    picks: list[tuple[Item, int, float]] = []
    if plan.heavy:
        picks.append((rng.choice(HEAVY_ITEMS), 1, 0.0))
    for item in rng.sample(LIGHT_ITEMS, rng.choice((1, 1, 1, 2, 2, 3)) - (1 if plan.heavy else 0)):
        # Bulky cookware twice over pushes an order into the heavy band: keep light orders light.
        quantity = 1 if item.weight_kg > 1 else rng.choice((1, 1, 1, 2, 3))
        picks.append((item, quantity, rng.choice((0.0, 0.0, 0.0, 10.0))))
    if plan.repeated_sku:
        # The same SKU on two lines (a promo line at a discount): Shiprocket refuses repeated SKUs.
        tee = LIGHT_ITEMS[0]
        picks = [(tee, 2, 0.0), (tee, 1, 50.0), *[p for p in picks if p[0] is not tee][:1]]
    return [_line(item, quantity, line_ids(), item_ids[item.sku], discount) for item, quantity, discount in picks]


def _salesorder(
    rng: random.Random, plan: _Plan, item_ids: dict[str, str], ids: _Ids, line_ids: _Ids, created: datetime
) -> dict[str, Any]:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = f"{first} {last}"
    pincode = rng.choice(plan.city.pincodes)
    phone = _messy_phone(rng)
    if plan.scenario == "invalid_phone":
        phone = "12345"
    if plan.scenario == "invalid_pincode":
        pincode = pincode[:5]
    shipping = _address(rng, name, plan.city, pincode, phone)
    billing = dict(shipping)
    if rng.random() < 0.12 and plan.scenario == "valid":
        # A gift: billed to the buyer, shipped to someone else at the same city.
        recipient = f"{rng.choice(FIRST_NAMES)} {last}"
        shipping = _address(rng, recipient, plan.city, rng.choice(plan.city.pincodes), _messy_phone(rng))
    email = f"{first.lower()}.{last.lower()}{rng.randint(1, 99)}@{rng.choice(EMAIL_DOMAINS)}"
    has_email = rng.random() < 0.8
    contact_phone = "12345" if plan.scenario == "invalid_phone" else phone
    lines = _lines_for(rng, plan, item_ids, line_ids)
    sub_total = round(sum(line["item_total"] for line in lines), 2)
    tax_total = round(sum(line["item_total"] * line["tax_percentage"] / 100 for line in lines), 2)
    shipping_charge = 0.0 if plan.payment == "Prepaid" or sub_total >= 999 else 49.0
    salesorder_id = ids()
    number = f"SO-{plan.index + 1:05d}"
    modified = created + timedelta(minutes=rng.randint(2, 25), seconds=rng.randint(0, 59))
    # A two-warehouse seller: every third order is fulfilled from Hadapsar, the rest from Pune Central.
    location_id = list(WAREHOUSES)[1 if plan.index % 3 == 2 else 0]
    return {
        "salesorder_id": salesorder_id,
        "salesorder_number": number,
        "date": DAY,
        "shipment_date": DAY,
        "reference_number": f"WEB-{88000 + plan.index * 7 + rng.randint(0, 6)}",
        "customer_id": str(_ID_PREFIX + 98000 + plan.index),
        "customer_name": name,
        "email": email if has_email else "",
        "contact_person_details": [
            {
                "contact_person_id": str(_ID_PREFIX + 99000 + plan.index),
                "first_name": first,
                "last_name": last,
                "email": email if has_email else "",
                "phone": "",
                "mobile": contact_phone,
                "is_primary_contact": True,
            }
        ],
        "status": "confirmed",
        "order_status": "confirmed",
        "shipped_status": "pending",
        "invoiced_status": "not_invoiced",
        "paid_status": "paid" if plan.payment == "Prepaid" else "unpaid",
        "payment_terms": 0,
        "payment_terms_label": "Due on Receipt",
        "currency_code": "INR",
        "gst_treatment": "consumer",
        "place_of_supply": plan.city.state_code,
        "is_inclusive_tax": False,
        "billing_address": billing,
        "shipping_address": shipping,
        "location_id": location_id,
        "location_name": WAREHOUSES[location_id]["location_name"],
        "line_items": lines,
        "sub_total": sub_total,
        "tax_total": tax_total,
        "shipping_charge": shipping_charge,
        "discount": 0.0,
        "total": round(sub_total + tax_total + shipping_charge, 2),
        "custom_fields": _custom_fields(plan.payment),
        "packages": [],
        "invoices": [],
        "salesreturns": [],
        "created_time": _zoho_time(created),
        "last_modified_time": _zoho_time(modified),
    }


def _item_record(item: Item, item_id: str, rng: random.Random) -> dict[str, Any]:
    stock = rng.randint(40, 400)
    length, width, height = item.dims_cm
    return {
        "item_id": item_id,
        "name": item.name,
        "sku": item.sku,
        "rate": item.rate,
        "unit": "pcs",
        "hsn_or_sac": item.hsn,
        "product_type": "goods",
        "item_type": "inventory",
        "status": "active",
        "tax_percentage": item.gst,
        "stock_on_hand": stock,
        "available_stock": stock,
        "actual_available_stock": stock,
        "package_details": {
            "length": length,
            "width": width,
            "height": height,
            "weight": item.weight,
            "weight_unit": item.weight_unit,
            "dimension_unit": "cm",
        },
    }


def _webhook_body(order: dict[str, Any], delivery_format: str) -> dict[str, Any]:
    """A JSON delivery is a workflow's default payload, the whole sales order (as the live body published in
    tests/contract/published/zoho/inventory_webhook_salesorder.json); the older rule's form body is a custom
    payload of a few fields, from which the worker must read the order (orders.intake)."""
    if delivery_format == "json":
        return {"salesorder": copy.deepcopy(order)}
    shipping = order["shipping_address"]
    return {
        "salesorder": {
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "order_status": "confirmed",
            "customer_id": order["customer_id"],
            "customer_name": order["customer_name"],
            "total": order["total"],
            "currency_code": "INR",
            "shipping_address": {key: shipping[key] for key in ("address", "city", "state", "zip", "country", "phone")},
            "line_items": [
                {key: line[key] for key in ("line_item_id", "sku", "quantity", "rate")} for line in order["line_items"]
            ],
            "custom_fields": [
                {"api_name": "cf_payment_method", "value": order["custom_fields"][0]["value"]},
            ],
            "last_modified_time": order["last_modified_time"],
        }
    }


def generate(order_count: int = ORDER_COUNT) -> dict[str, Any]:
    """Every file of the day as JSON-ready objects, keyed by file name: the committed day, or a day of
    ``order_count`` orders (at least ``ORDER_COUNT``) built the same way."""
    if order_count < ORDER_COUNT:
        raise ValueError(f"a generated day has at least {ORDER_COUNT} orders (fewer: SampleDay.only)")
    blocks = math.ceil(order_count / ORDER_COUNT)
    rng = random.Random(SEED)
    item_ids = {item.sku: str(_ID_PREFIX + 45021 + 7 * index) for index, item in enumerate(ITEMS)}
    items = [_item_record(item, item_ids[item.sku], rng) for item in ITEMS]
    ids, line_ids = _Ids(123000), _Ids(223000)
    plans = _plan(rng, order_count)
    opening = datetime.fromisoformat(f"{DAY}T08:05:00").replace(tzinfo=IST)
    salesorders = []
    moment = opening
    for plan in plans:
        # A bigger day is a busier day, not a longer one: the orders come closer together.
        minutes = rng.randint(3, 14) * ORDER_COUNT // order_count
        moment += timedelta(minutes=minutes, seconds=rng.randint(0, 59))
        salesorders.append(_salesorder(rng, plan, item_ids, ids, line_ids, moment))

    deliveries: list[dict[str, Any]] = []
    for order in salesorders:
        deliveries.append({"salesorder_number": order["salesorder_number"], "format": "json", "kind": "original"})
    duplicates = [salesorders[at]["salesorder_number"] for at in range(_DUPLICATE_AT, order_count, ORDER_COUNT)]
    for block, duplicate in enumerate(duplicates):
        # Zoho re-sends a delivery it thinks failed a few orders later, and an older workflow rule
        # on the same trigger posts the legacy form body much later in the day. Each block's two
        # inserted deliveries shift the later blocks' positions by two.
        at = _DUPLICATE_AT + block * (ORDER_COUNT + 2)
        deliveries.insert(at + 4, {"salesorder_number": duplicate, "format": "json", "kind": "retry"})
        deliveries.insert(at + 24, {"salesorder_number": duplicate, "format": "form", "kind": "second rule"})
    by_number = {order["salesorder_number"]: order for order in salesorders}
    webhooks = [
        {
            "seq": seq,
            "salesorder_id": by_number[d["salesorder_number"]]["salesorder_id"],
            **d,
            "body": _webhook_body(by_number[d["salesorder_number"]], d["format"]),
        }
        for seq, d in enumerate(deliveries, start=1)
    ]

    fates = _fates(plans, salesorders, blocks)
    orders = [
        {
            "salesorder_number": order["salesorder_number"],
            "salesorder_id": order["salesorder_id"],
            "expect": plan.expect,
            "scenario": plan.scenario,
            "payment": plan.payment,
            "city": plan.city.name,
            "tier": plan.city.tier,
            "heavy": plan.heavy,
            "repeated_sku": plan.repeated_sku,
            "total": order["total"],
            **fates.expectation(plan, order),
        }
        for plan, order in zip(plans, salesorders, strict=True)
    ]
    expected = {
        "seed": SEED,
        "date": DAY,
        "orders": orders,
        "webhook_deliveries": len(webhooks),
        "repeated_deliveries": {
            duplicate: sum(1 for d in deliveries if d["salesorder_number"] == duplicate) for duplicate in duplicates
        },
        "lifecycle_summary": lifecycle_summary(orders),
        # The day costs a little less than WALLET_OPENING_PER_BLOCK a block: the watch finds the wallet low.
        "wallet_low_at_day_end": True,
    }
    _check_mix(expected)
    return {
        "zoho_seed.json": {"salesorders": salesorders, "items": items, "invoices": fates.invoices},
        "shiprocket_seed.json": {
            "unserviceable_pincodes": [c.pincodes[0] for c in UNSERVICEABLE_CITIES],
            "weight_discrepancies": _reweighed(fates.lifecycles, salesorders, blocks),
            "wallet_balance": WALLET_OPENING_PER_BLOCK * blocks,
        },
        "webhooks.json": webhooks,
        "tracking.json": {
            "random_seed": TRACKING_SEED,
            "webhook_options": WEBHOOK_NOISE,
            "steps_per_advance": STEPS_PER_ADVANCE,
            "rto_delivered_options": RTO_DELIVERED_NOISE,
            "lifecycles": fates.lifecycles,
            "customer_return": fates.customer_return,
            "remittance": {"date": REMITTANCE_DATE, "batches": fates.remittances},
            "changes": fates.changes,
        },
        "expected.json": expected,
    }


@dataclass
class _Fates:
    """What happens to every shipped parcel after the pickup: lifecycle, invoice, customer return."""

    lifecycles: dict[str, str]
    invoices: list[dict[str, Any]]
    customer_return: dict[str, Any]
    # {"utr", "route": "webhook" | "poll", "short_by": rupees, "orders": [sales order numbers]}
    remittances: list[dict[str, Any]]
    # {"salesorder_number", "salesorder_id", "kind": "cancel" | "address", "edit": a salesorder_edits entry}
    changes: list[dict[str, Any]]

    def remittance_of(self, number: str) -> str | None:
        return next((batch["utr"] for batch in self.remittances if number in batch["orders"]), None)

    def expectation(self, plan: _Plan, order: dict[str, Any]) -> dict[str, Any]:
        number = order["salesorder_number"]
        lifecycle = self.lifecycles.get(number)
        invoice = next((i for i in self.invoices if i["salesorder_id"] == order["salesorder_id"]), None)
        alerts: list[str] = {INVALID: ["InvalidOrder"], UNSERVICEABLE: ["ServiceabilityFailed"]}.get(plan.expect, [])
        may_alert: list[str] = []
        final, restock = plan.expect, None
        change = next((c["kind"] for c in self.changes if c["salesorder_number"] == number), None)
        if change == "cancel":
            final = CANCELLED
        if lifecycle is not None:
            final = FINAL_BY_LIFECYCLE[lifecycle]
            # RTO and loss need ops whatever order the scans arrive in; an NDR that a later scan has
            # already overtaken (re-attempted, delivered, returning) needs nobody.
            alerts = (
                ["RtoInitiated"] if lifecycle in RTO_LIFECYCLES else ["ShipmentLost"] if lifecycle == "lost" else []
            )
            may_alert = ["NdrRaised"] if lifecycle in NDR_LIFECYCLES else []
        if lifecycle in RTO_LIFECYCLES:
            lines = [(line, line["quantity"]) for line in order["line_items"]]
            restock = _restock("rto", lines, invoice is not None)
        elif self.customer_return["salesorder_number"] == number:
            final = RETURNED
            by_sku = {line["sku"]: line for line in order["line_items"]}
            lines = [(by_sku[asked["sku"]], asked["quantity"]) for asked in self.customer_return["lines"]]
            restock = _restock("customer_return", lines, invoice is not None)
        return {
            "lifecycle": lifecycle,
            "change": change,
            "final": final,
            "invoice": None if invoice is None else {"invoice_id": invoice["invoice_id"], "status": invoice["status"]},
            "restock": restock,
            "remittance": self.remittance_of(number),
            "alerts": alerts,
            "may_alert": may_alert,
        }


def _restock(kind: str, lines: list[tuple[dict[str, Any], int]], credit_note: bool) -> dict[str, Any]:
    return {
        "kind": kind,
        "lines": [
            {"salesorder_item_id": line["line_item_id"], "item_id": line["item_id"], "sku": line["sku"], "quantity": q}
            for line, q in lines
        ],
        "credit_note": credit_note,
    }


def _invoice(index: int, order: dict[str, Any], status: str) -> dict[str, Any]:
    # The simulator bills the order's lines (as fromsalesorder would); ids follow Zoho's shape.
    return {
        "invoice_id": str(_ID_PREFIX + 131000 + index),
        "invoice_number": f"INV-{index:06d}",
        "salesorder_id": order["salesorder_id"],
        "customer_id": order["customer_id"],
        "date": DAY,
        "status": status,
    }


def _reweighed(lifecycles: dict[str, str], salesorders: list[dict[str, Any]], blocks: int) -> dict[str, float]:
    """Every seventh delivered order, up to ``_REWEIGHED_PER_BLOCK`` a block, with the weight the courier charges:
    its items' dead weight and ``REWEIGHED_EXTRA_KG``, which crosses the slab its declared weight was billed at."""
    by_sku = {item.sku: item for item in (*LIGHT_ITEMS, *HEAVY_ITEMS)}
    by_number = {order["salesorder_number"]: order for order in salesorders}
    delivered = sorted(number for number, fate in lifecycles.items() if fate == "delivered")
    return {
        number: round(
            sum(line["quantity"] * by_sku[line["sku"]].weight_kg for line in by_number[number]["line_items"])
            + REWEIGHED_EXTRA_KG,
            2,
        )
        for number in delivered[::7][: _REWEIGHED_PER_BLOCK * blocks]
    }


def _fates(plans: list[_Plan], salesorders: list[dict[str, Any]], blocks: int) -> _Fates:
    """The parcels' fates; a day of several blocks has each kind of fate and invoice ``blocks`` times."""
    rng = random.Random(TRACKING_SEED)
    cod_fates, prepaid_fates = _COD_FATES * blocks, _PREPAID_FATES * blocks
    invoiced_rtos, invoiced_delivered = _INVOICED_RTOS * blocks, _INVOICED_DELIVERED_COD * blocks
    shipped = [(plan, order) for plan, order in zip(plans, salesorders, strict=True) if plan.expect == SHIPPED]
    lifecycles = {order["salesorder_number"]: "delivered" for _, order in shipped}
    # Invoices without a shipping charge only: the simulator bills lines, not the COD shipping fee.
    free_shipping_cod = [o for p, o in shipped if p.payment == "COD" and not o["shipping_charge"]]
    other_cod = [o for p, o in shipped if p.payment == "COD" and o["shipping_charge"]]
    # The first invoiced COD orders come back (RTO), the others are delivered and await remittance.
    invoiced = rng.sample(free_shipping_cod, invoiced_rtos + invoiced_delivered)
    uninvoiced_cod = [o for o in free_shipping_cod + other_cod if o not in invoiced]
    cod_picks = invoiced[:invoiced_rtos] + rng.sample(uninvoiced_cod, len(cod_fates) - invoiced_rtos)
    for order, fate in zip(cod_picks, cod_fates, strict=True):
        lifecycles[order["salesorder_number"]] = fate
    prepaid = [o for p, o in shipped if p.payment == "Prepaid"]
    prepaid_picks = rng.sample(prepaid, len(prepaid_fates))
    for order, fate in zip(prepaid_picks, prepaid_fates, strict=True):
        lifecycles[order["salesorder_number"]] = fate
    # Support books a return of one unit of one line of a delivered, paid-up prepaid order.
    returnable = [
        o
        for p, o in shipped
        if p.payment == "Prepaid"
        and not p.repeated_sku
        and o not in prepaid_picks
        and len({line["sku"] for line in o["line_items"]}) >= 2
    ]
    returned = rng.choice(returnable)
    invoices = [_invoice(index, order, "sent") for index, order in enumerate(invoiced, start=25)]
    invoices.append(_invoice(25 + len(invoices), returned, "paid"))
    # Only invoiced COD orders can be paid at remittance: every delivered free-shipping one is invoiced.
    awaiting = [o for o in free_shipping_cod if lifecycles[o["salesorder_number"]] in DELIVERED_LIFECYCLES]
    invoices += [
        _invoice(index, order, "sent")
        for index, order in enumerate([o for o in awaiting if o not in invoiced], start=25 + len(invoices))
    ]
    remitted = sorted(o["salesorder_number"] for o in awaiting)[:-_UNREMITTED_INVOICED_COD]
    size = math.ceil(len(remitted) / len(REMITTANCE_BATCHES))
    remittances = [
        {"utr": utr, "route": route, "short_by": short_by, "orders": remitted[index * size : (index + 1) * size]}
        for index, (utr, route, short_by) in enumerate(REMITTANCE_BATCHES)
    ]
    customer_return = {
        "salesorder_number": returned["salesorder_number"],
        "lines": [{"sku": returned["line_items"][0]["sku"], "quantity": 1}],
        "reason": RETURN_REASON,
    }
    changes = _changes(shipped, lifecycles, invoices, returned, blocks)
    for change in changes:
        if change["kind"] == "cancel":
            del lifecycles[change["salesorder_number"]]
    return _Fates(lifecycles, invoices, customer_return, remittances, changes)


def _changes(
    shipped: list[tuple[_Plan, dict[str, Any]]],
    lifecycles: dict[str, str],
    invoices: list[dict[str, Any]],
    returned: dict[str, Any],
    blocks: int,
) -> list[dict[str, Any]]:
    """Orders the seller changes before pickup: cancelled (``cf_shipment_action = Cancel``) or given a new
    address line (same pincode), chosen among plain delivered prepaid parcels (no invoice, no return) so that
    the other fates stay as they were."""
    rng = random.Random(CHANGES_SEED)
    invoiced = {invoice["salesorder_id"] for invoice in invoices}
    plain = [
        order
        for plan, order in shipped
        if plan.payment == "Prepaid"
        and lifecycles[order["salesorder_number"]] == "delivered"
        and order["salesorder_id"] not in invoiced
        and order is not returned
    ]
    picks = rng.sample(plain, (_CANCELS + _ADDRESS_CHANGES) * blocks)
    changes = [
        {
            "salesorder_number": order["salesorder_number"],
            "salesorder_id": order["salesorder_id"],
            "kind": "cancel",
            "edit": {"custom_fields": [{"api_name": "cf_shipment_action", "value": "Cancel"}]},
        }
        for order in picks[: _CANCELS * blocks]
    ]
    changes += [
        {
            "salesorder_number": order["salesorder_number"],
            "salesorder_id": order["salesorder_id"],
            "kind": "address",
            "edit": {
                "shipping_address": {"address": f"Flat {rng.randint(2, 40)}, {order['shipping_address']['address']}"}
            },
        }
        for order in picks[_CANCELS * blocks :]
    ]
    return sorted(changes, key=lambda change: change["salesorder_number"])


def _check_mix(expected: dict[str, Any]) -> None:
    """The day must exercise every rule path; a seed change that loses one is a bug."""
    valid = [o for o in expected["orders"] if o["expect"] == SHIPPED]
    restocks = [o for o in valid if o["restock"]]
    checks = {
        "at least 50 orders": len(expected["orders"]) >= 50,
        "COD and prepaid": {o["payment"] for o in valid} == {"COD", "Prepaid"},
        "tier-1, tier-2 and tier-3": {o["tier"] for o in valid} == {"tier1", "tier2", "tier3"},
        "heavy COD and heavy prepaid": {o["payment"] for o in valid if o["heavy"]} == {"COD", "Prepaid"},
        "prepaid over 2000": sum(1 for o in valid if o["payment"] == "Prepaid" and o["total"] > 2000) >= 3,
        "COD tier-1 and COD tier-2/3": {o["tier"] == "tier1" for o in valid if o["payment"] == "COD"} == {True, False},
        "repeated SKU": any(o["repeated_sku"] for o in valid),
        "every shipped order not cancelled has a lifecycle": all(
            o["lifecycle"] or o["change"] == "cancel" for o in valid
        ),
        "cancellations and an address change": {o["change"] for o in valid} == {None, "cancel", "address"},
        "every lifecycle": {o["lifecycle"] for o in valid if o["lifecycle"]} == set(FINAL_BY_LIFECYCLE),
        "mostly delivered": sum(1 for o in valid if o["final"] == DELIVERED) > len(valid) * 3 // 4,
        "two invoiced COD RTOs": sum(
            1 for o in restocks if o["restock"]["kind"] == "rto" and o["payment"] == "COD" and o["invoice"]
        )
        >= 2,
        "one partial customer return": [o["restock"]["kind"] for o in restocks].count("customer_return") == 1,
        "three remittance batches": len({o["remittance"] for o in valid if o["remittance"]}) == len(REMITTANCE_BATCHES),
        "remitted orders are delivered and invoiced": all(
            o["final"] == DELIVERED and o["invoice"] for o in valid if o["remittance"]
        ),
        "an unremitted delivered COD order": any(
            o["payment"] == "COD" and o["final"] == DELIVERED and not o["remittance"] for o in valid
        ),
    }
    missing = [name for name, ok in checks.items() if not ok]
    if missing:
        raise ValueError(f"sample day seed {SEED} does not cover: {', '.join(missing)}")


def write(directory: Path = DATA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in generate().items():
        path = directory / name
        path.write_text(render(document), encoding="utf-8")
        written.append(path)
    return written


def main() -> None:
    for path in write():
        print(f"wrote {path}")
