"""The webhook half of order-confirmed: authenticate, validate, enqueue, answer in milliseconds.

Zoho posts the sales order either as JSON (``{"salesorder": {...}}``) or, for older workflow
rules, as a form with one field ``JSONString``. We only trust the ids in it: the worker
re-reads the sales order from Zoho.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shipsync.orders.intent import SHIPMENT_ACTION_FIELD, wants_cancel
from shipsync.request_body import load_form_json, load_json, validated_object


class _WebhookSalesOrder(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1, max_length=32, pattern=r"^\d+$")
    # No U+FFFD: that is where request_body scrubbed a control character or a lone surrogate.
    salesorder_number: str = Field(min_length=1, max_length=50, pattern=r"^[^\ufffd]+$")
    order_status: str | None = None
    status: str | None = None
    # Read leniently: they only tell a cancellation from a confirmation, and the worker re-reads the order.
    last_modified_time: Any = None
    custom_fields: Any = None
    custom_field_hash: Any = None


class _WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    salesorder: _WebhookSalesOrder


@dataclass(frozen=True)
class WebhookOrder:
    salesorder_id: str
    salesorder_number: str
    status: str
    wants_cancel: bool
    revision: str | None

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"


def parse_salesorder(text: str, content_type: str | None) -> WebhookOrder:
    """The sales order in a body read by ``request_body.read_text``, or a 400 naming the field."""
    parsed = validated_object(_WebhookBody, _decode(text, content_type or ""), "a JSON object with a salesorder")
    so = parsed.salesorder
    status = (so.order_status or so.status or "").strip().lower()
    revision = so.last_modified_time if isinstance(so.last_modified_time, str) else None
    return WebhookOrder(
        so.salesorder_id,
        so.salesorder_number,
        status,
        wants_cancel(status, _shipment_action(so)),
        revision if revision and len(revision) <= MAX_REVISION_CHARS else None,
    )


MAX_REVISION_CHARS = 40


def _shipment_action(so: _WebhookSalesOrder) -> str | None:
    """``cf_shipment_action`` from the order's custom fields, as a read answers them (``custom_fields[]`` by
    ``api_name`` or ``placeholder``, or ``custom_field_hash``, docs/providers/zoho.md §5)."""
    if isinstance(so.custom_field_hash, dict):
        value = so.custom_field_hash.get(SHIPMENT_ACTION_FIELD)
        if isinstance(value, str):
            return value
    for field in so.custom_fields if isinstance(so.custom_fields, list) else []:
        if isinstance(field, dict) and SHIPMENT_ACTION_FIELD in (field.get("api_name"), field.get("placeholder")):
            value = field.get("value")
            return value if isinstance(value, str) else None
    return None


def _decode(text: str, content_type: str) -> Any:
    # Only the ids are read (the worker re-reads the order): a stray control character in an address
    # must not lose the order, so the rest is scrubbed rather than refused.
    if "x-www-form-urlencoded" in content_type or text.lstrip().startswith("JSONString="):
        return load_form_json(text, "JSONString", strings="scrub")
    return load_json(text, strings="scrub")
