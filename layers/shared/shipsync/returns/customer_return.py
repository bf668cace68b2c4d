"""Customer return: support asks for a reverse pickup of a shipped sales order (``POST /returns``).

    validate -> sales order (ledger number -> id, then Zoho) -> shipped? -> lines (<= shipped - returned)
    -> reserve <SO>-RET<n> in the ledger -> serviceability (is_return=1, cheapest first)
    -> Shiprocket return order -> AWB (falling back down the ranking) -> AWB# item (is_return) -> 201

Every step is recorded under the request's key in ``RETURNS#<salesorder_id>`` before the next, so
a repeated request (same ``request_id``, or the same order and lines) answers with the return it
already booked instead of booking a second one. The return's AWB is then tracked by shipment-status
and, once delivered, restocked by ``RestockJob`` from the lines recorded on its ``AWB#`` item.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol, Self

from aws_lambda_powertools import Logger
from pydantic import BaseModel, ConfigDict, Field, model_validator

from shipsync.domain.india import IST, state_name
from shipsync.domain.models import (
    CourierQuote,
    ReturnLine,
    ShiprocketOrderItem,
    ShiprocketReturnOrder,
    ZohoAddress,
    ZohoLineItem,
    ZohoSalesOrder,
)
from shipsync.errors import (
    AllCouriersRefused,
    AwbAlreadyAssigned,
    AwbRefused,
    InvalidOrder,
    NotConfigured,
    NotServiceable,
    OrderIdTaken,
    ProviderRequestError,
)
from shipsync.ledger.records import AwbRecord
from shipsync.orders.job import read_back_awb
from shipsync.orders.mapping import (
    DEFAULT_BOX_CM,
    DEFAULT_ITEM_WEIGHT_KG,
    FALLBACK_EMAIL,
    buyer_email,
    buyer_phone,
    normalise_pincode,
)
from shipsync.ports import MetricsSink, ShiprocketReturnsApi, ZohoReturnsApi
from shipsync.request_body import load_json, validated_object
from shipsync.routes import WebhookRejected

logger = Logger(child=True)

# --------------------------------------------------------------------------- request


class ReturnLineRequest(BaseModel):
    # Strict: a support tool sends numbers as numbers; "2" or true for a quantity is a client bug to report.
    model_config = ConfigDict(extra="forbid", strict=True)

    sku: str | None = Field(default=None, min_length=1, max_length=100)
    salesorder_item_id: str | None = Field(default=None, pattern=r"^\d{1,25}$")
    # Couriers carry whole units; no parcel holds more than this.
    quantity: int = Field(gt=0, le=10_000)

    @model_validator(mode="after")
    def _one_reference(self) -> Self:
        if (self.sku is None) == (self.salesorder_item_id is None):
            raise ValueError("give exactly one of sku or salesorder_item_id")
        return self


class ReturnRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    salesorder_number: str | None = Field(default=None, min_length=1, max_length=40)
    salesorder_id: str | None = Field(default=None, pattern=r"^\d{1,25}$")
    lines: list[ReturnLineRequest] | None = Field(default=None, min_length=1, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    # A client's own key: repeats of it never book a second return.
    request_id: str | None = Field(default=None, min_length=1, max_length=100)

    @model_validator(mode="after")
    def _order_given(self) -> Self:
        if self.salesorder_number is None and self.salesorder_id is None:
            raise ValueError("give salesorder_number or salesorder_id")
        return self

    def key(self, salesorder_id: str) -> str:
        """Idempotency key: the client's request id, else the order and the lines as asked."""
        if self.request_id is not None:
            basis: Any = ["request", self.request_id]
        else:
            lines = sorted((line.sku or "", line.salesorder_item_id or "", line.quantity) for line in self.lines or [])
            basis = ["lines", salesorder_id, lines or "all"]
        return hashlib.sha256(json.dumps(basis).encode()).hexdigest()[:32]


def parse_return_request(text: str) -> ReturnRequest:
    """The validated request in a body read by ``request_body.read_text``, or ``WebhookRejected`` (400 naming
    the field)."""
    return validated_object(ReturnRequest, load_json(text))


# --------------------------------------------------------------------------- ports and results


class ReturnsLedgerPort(Protocol):
    """``adapters.restock_ledger.DynamoRestockLedger``."""

    def find_salesorder_id(self, salesorder_number: str) -> str | None: ...

    def shipment_awb(self, salesorder_id: str) -> str | None:
        """The forward shipment's AWB, None when the order has not shipped."""

    def returns(self, salesorder_id: str) -> dict[str, Any]:
        """Request key -> the record of every return booked for the order."""

    def reserve_return(self, salesorder_id: str, request_key: str, **fields: Any) -> dict[str, Any]:
        """The request's record; a new one gets the next return number ``n``."""

    def save_return(self, salesorder_id: str, request_key: str, **fields: Any) -> None: ...

    def put_awb(self, record: AwbRecord) -> bool: ...


@dataclass(frozen=True)
class Warehouse:
    """Our warehouse: the destination (``shipping_*``) of a return order."""

    name: str
    address: str
    city: str
    state: str
    pincode: str
    phone: str
    email: str = ""

    def missing_settings(self) -> list[str]:
        """Warehouse settings a return order cannot do without (Shiprocket requires them)."""
        required = {
            "WAREHOUSE_NAME": self.name,
            "WAREHOUSE_ADDRESS": self.address,
            "WAREHOUSE_CITY": self.city,
            "WAREHOUSE_STATE": self.state,
            "WAREHOUSE_PINCODE": self.pincode,
            "WAREHOUSE_PHONE": self.phone,
        }
        return [name for name, value in required.items() if not value.strip()]


@dataclass(frozen=True)
class ReturnBooked:
    salesorder_number: str
    return_order_id: str
    awb: str
    courier: str
    created: bool

    def body(self) -> dict[str, str]:
        return {
            "salesorder_number": self.salesorder_number,
            "return_order_id": self.return_order_id,
            "awb": self.awb,
            "courier": self.courier,
        }


# --------------------------------------------------------------------------- the service


@dataclass
class CustomerReturnService:
    zoho: ZohoReturnsApi
    shiprocket: ShiprocketReturnsApi
    ledger: ReturnsLedgerPort
    warehouse: Warehouse
    metrics: MetricsSink
    default_item_weight_kg: float = DEFAULT_ITEM_WEIGHT_KG
    default_box_cm: float = DEFAULT_BOX_CM
    fallback_email: str = FALLBACK_EMAIL
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def create(self, request: ReturnRequest) -> ReturnBooked:
        missing = self.warehouse.missing_settings()
        if missing:
            # Fail closed with the reason, before any Zoho or Shiprocket call: a deployment fault.
            raise NotConfigured(f"customer returns are not configured: set {', '.join(missing)}")
        salesorder_id = self._salesorder_id(request)
        key = request.key(salesorder_id)
        booked = self.ledger.returns(salesorder_id)
        record = booked.get(key)
        if record is not None and record.get("awb"):
            # A repeat costs no Zoho or Shiprocket call.
            logger.info("return already booked", extra={"awb": record["awb"]})
            return _booked(record, created=False)
        so = self._salesorder(salesorder_id, request)
        if self.ledger.shipment_awb(so.salesorder_id) is None:
            raise WebhookRejected(409, f"{so.salesorder_number} is not shipped yet", "salesorder_number")
        if record is None:
            lines = self._lines(request, so, booked)
            record = self.ledger.reserve_return(
                so.salesorder_id,
                key,
                salesorder_number=so.salesorder_number,
                lines=[line.model_dump() for line in lines],
                reason=request.reason or "Customer return",
            )
        record["order_id"] = record.get("order_id") or f"{so.salesorder_number}-RET{record['n']}"
        return self._book(so, key, record)

    # ------------------------------------------------------------------ order and lines
    def _salesorder_id(self, request: ReturnRequest) -> str:
        if request.salesorder_id is not None:
            return request.salesorder_id
        assert request.salesorder_number is not None
        salesorder_id = self.ledger.find_salesorder_id(request.salesorder_number)
        if salesorder_id is None:
            raise WebhookRejected(404, f"unknown sales order {request.salesorder_number}", "salesorder_number")
        return salesorder_id

    def _salesorder(self, salesorder_id: str, request: ReturnRequest) -> ZohoSalesOrder:
        try:
            so = self.zoho.get_salesorder(salesorder_id)
        except ProviderRequestError as err:
            if err.http_status == 404:
                field = "salesorder_id" if request.salesorder_id else "salesorder_number"
                raise WebhookRejected(404, f"unknown sales order {salesorder_id}", field) from None
            raise
        if request.salesorder_number is not None and request.salesorder_number != so.salesorder_number:
            raise WebhookRejected(400, "salesorder_number does not match salesorder_id", "salesorder_number")
        return so

    def _lines(self, request: ReturnRequest, so: ZohoSalesOrder, booked: dict[str, Any]) -> list[ReturnLine]:
        returned: dict[str, float] = {}
        for record in booked.values():
            for line in record.get("lines", []):
                returned[line["salesorder_item_id"]] = returned.get(line["salesorder_item_id"], 0) + line["quantity"]

        def left(line: ZohoLineItem) -> float:
            return line.shipped_quantity - returned.get(line.line_item_id, 0)

        if request.lines is None:
            lines = [
                ReturnLine(salesorder_item_id=line.line_item_id, item_id=line.item_id, quantity=left(line))
                for line in so.line_items
                if left(line) > 0
            ]
            if not lines:
                raise WebhookRejected(409, f"every shipped unit of {so.salesorder_number} is already returned", "lines")
            return lines
        wanted: dict[str, float] = {}
        result: list[ReturnLine] = []
        for i, asked in enumerate(request.lines):
            line = _find_line(so, asked)
            if line is None:
                ref_field = "sku" if asked.sku is not None else "salesorder_item_id"
                raise WebhookRejected(400, f"no such line on {so.salesorder_number}", f"lines.{i}.{ref_field}")
            wanted[line.line_item_id] = wanted.get(line.line_item_id, 0) + asked.quantity
            if wanted[line.line_item_id] > left(line):
                raise WebhookRejected(
                    400, f"more units than shipped and not yet returned ({left(line):g})", f"lines.{i}.quantity"
                )
            result.append(
                ReturnLine(salesorder_item_id=line.line_item_id, item_id=line.item_id, quantity=asked.quantity)
            )
        return result

    # ------------------------------------------------------------------ Shiprocket
    def _book(self, so: ZohoSalesOrder, key: str, record: dict[str, Any]) -> ReturnBooked:
        lines = [ReturnLine.model_validate(line) for line in record["lines"]]
        order = self._return_order(so, record["order_id"], lines)
        if not record.get("ranking"):
            ranking = self._rank(order)
            self._save(so, key, record, order_id=order.order_id, ranking=ranking)
        if record.get("shipment_id") is None:
            self._create(so, key, record, order)
        refused = {r["courier_id"] for r in record.get("refusals", [])}
        refusals = [AwbRefused(r["courier_id"], r["courier_name"], r["reason"]) for r in record.get("refusals", [])]
        for courier in record["ranking"]:
            if courier["courier_id"] in refused:
                continue
            try:
                assignment = self.shiprocket.assign_awb(
                    int(record["shipment_id"]), int(courier["courier_id"]), is_return=True
                )
            except AwbAlreadyAssigned:
                assignment = read_back_awb(
                    self.shiprocket, int(record["sr_order_id"]), int(courier["courier_id"]), courier["courier_name"]
                )
            except AwbRefused as refusal:
                logger.warning("courier refused the return AWB", extra={"courier": courier["courier_name"]})
                refusals.append(refusal)
                entry = {"courier_id": courier["courier_id"], "courier_name": courier["courier_name"]}
                self._save(so, key, record, refusals=[*record.get("refusals", []), {**entry, "reason": refusal.reason}])
                continue
            self.ledger.put_awb(
                AwbRecord(
                    awb=assignment.awb_code,
                    is_return=True,
                    salesorder_id=so.salesorder_id,
                    salesorder_number=so.salesorder_number,
                    order_ref=order.order_id,
                    return_ref=order.order_id,
                    sr_order_id=record["sr_order_id"],
                    shipment_id=record["shipment_id"],
                    courier_id=assignment.courier_company_id,
                    courier_name=assignment.courier_name,
                    lines=record["lines"],
                    reason=record["reason"],
                )
            )
            self._save(so, key, record, awb=assignment.awb_code, courier_name=assignment.courier_name)
            self.metrics.count("CustomerReturnsBooked")
            logger.info("customer return booked", extra={"awb": assignment.awb_code, "order_id": order.order_id})
            return _booked(record, created=True)
        raise AllCouriersRefused(refusals)

    def _create(self, so: ZohoSalesOrder, key: str, record: dict[str, Any], order: ShiprocketReturnOrder) -> None:
        try:
            created = self.shiprocket.create_return_order(order)
        except OrderIdTaken:
            # Created by an earlier or concurrent attempt: only its ledger record knows the ids.
            current = self.ledger.returns(so.salesorder_id).get(key, {})
            if current.get("shipment_id") is None:
                raise WebhookRejected(
                    409,
                    f"return order {order.order_id} exists at Shiprocket but is not recorded yet; retry shortly",
                    "salesorder_number",
                ) from None
            record.update(current)
            return
        if created.shipment_id is None:
            raise ProviderRequestError("shiprocket", f"return order {order.order_id} was created without a shipment")
        self._save(so, key, record, sr_order_id=created.sr_order_id, shipment_id=created.shipment_id)

    def _rank(self, order: ShiprocketReturnOrder) -> list[dict[str, Any]]:
        quotes = self.shiprocket.serviceability(
            pickup_postcode=order.pickup_pincode,
            delivery_postcode=order.shipping_pincode,
            cod=False,
            weight_kg=order.weight,
            length_cm=order.length,
            breadth_cm=order.breadth,
            height_cm=order.height,
            declared_value=order.sub_total,
            is_return=True,
        )
        usable = sorted((q for q in quotes if not q.blocked), key=_cheapest_first)
        if not usable:
            raise NotServiceable(f"no courier picks up returns from {order.pickup_pincode}")
        return [{"courier_id": q.courier_company_id, "courier_name": q.courier_name} for q in usable]

    def _return_order(self, so: ZohoSalesOrder, order_id: str, lines: Sequence[ReturnLine]) -> ShiprocketReturnOrder:
        address = so.shipping_address if _has_address(so.shipping_address) else so.billing_address
        if address is None or not _has_address(address):
            raise InvalidOrder("pickup_address", "the sales order has neither a shipping nor a billing address")
        name = " ".join((address.attention or so.customer_name or "").split())
        if not name:
            raise InvalidOrder("pickup_customer_name", "no attention name on the address and no customer name")
        first, _, last = name.partition(" ")
        state = state_name(address.state, address.state_code)
        if not state:
            raise InvalidOrder("pickup_state", "state is empty")
        if not (address.city or "").strip():
            raise InvalidOrder("pickup_city", "city is empty")
        items = [_order_item(so, line) for line in lines]
        units = sum(item.units for item in items)
        side = self.default_box_cm
        return ShiprocketReturnOrder(
            order_id=order_id,
            order_date=self.clock().astimezone(IST).date().isoformat(),
            pickup_customer_name=first,
            pickup_last_name=last,
            pickup_address=" ".join((address.address or "").split()),
            pickup_address_2=" ".join((address.street2 or "").split()),
            pickup_city=" ".join((address.city or "").split()),
            pickup_state=state,
            pickup_pincode=normalise_pincode(address.zip, field="pickup_pincode"),
            pickup_email=buyer_email(so, self.fallback_email),
            pickup_phone=buyer_phone(so, field="pickup_phone"),
            shipping_customer_name=self.warehouse.name,
            shipping_address=self.warehouse.address,
            shipping_city=self.warehouse.city,
            shipping_state=self.warehouse.state,
            shipping_pincode=self.warehouse.pincode,
            shipping_email=self.warehouse.email,
            shipping_phone=self.warehouse.phone,
            order_items=items,
            sub_total=round(sum(item.selling_price * item.units for item in items), 2),
            # Default box per unit, stacked: what order-confirmed declares for items without package details.
            length=side,
            breadth=side,
            height=side * max(1, units),
            weight=round(units * self.default_item_weight_kg, 3),
        )

    def _save(self, so: ZohoSalesOrder, key: str, record: dict[str, Any], **fields: Any) -> None:
        self.ledger.save_return(so.salesorder_id, key, **fields)
        record.update(fields)


# --------------------------------------------------------------------------- helpers


def _booked(record: dict[str, Any], *, created: bool) -> ReturnBooked:
    return ReturnBooked(
        str(record["salesorder_number"]),
        str(record["order_id"]),
        str(record["awb"]),
        str(record["courier_name"]),
        created,
    )


def _find_line(so: ZohoSalesOrder, asked: ReturnLineRequest) -> ZohoLineItem | None:
    for line in so.line_items:
        if asked.salesorder_item_id is not None and line.line_item_id == asked.salesorder_item_id:
            return line
        if asked.sku is not None and (line.sku or "").casefold() == asked.sku.casefold():
            return line
    return None


def _order_item(so: ZohoSalesOrder, line: ReturnLine) -> ShiprocketOrderItem:
    so_line = next(entry for entry in so.line_items if entry.line_item_id == line.salesorder_item_id)
    unit_price = (so_line.item_total / so_line.quantity) if so_line.item_total and so_line.quantity else so_line.rate
    if not so.is_inclusive_tax:
        unit_price *= 1 + (so_line.tax_percentage or 0.0) / 100
    return ShiprocketOrderItem(
        name=so_line.name,
        sku=so_line.sku or so_line.item_id or so_line.line_item_id,
        units=round(line.quantity),
        selling_price=round(unit_price, 2),
        hsn=so_line.hsn_or_sac,
    )


def _cheapest_first(quote: CourierQuote) -> tuple[float, float]:
    return quote.rate, quote.etd_hours if quote.etd_hours is not None else math.inf


def _has_address(address: ZohoAddress | None) -> bool:
    return address is not None and bool((address.address or "").strip() and (address.zip or "").strip())
