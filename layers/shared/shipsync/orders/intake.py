"""The webhook half of order-confirmed: authenticate, validate, enqueue, answer in milliseconds.

Zoho posts the sales order either as JSON (``{"salesorder": {...}}``) or, for older workflow
rules, as a form with one field ``JSONString``. We only trust the ids in it: the worker
re-reads the sales order from Zoho.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from shipsync.request_body import load_form_json, load_json, validated_object


class _WebhookSalesOrder(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1, max_length=32, pattern=r"^\d+$")
    # No U+FFFD: that is where request_body scrubbed a control character or a lone surrogate.
    salesorder_number: str = Field(min_length=1, max_length=50, pattern=r"^[^\ufffd]+$")
    order_status: str | None = None
    status: str | None = None


class _WebhookBody(BaseModel):
    model_config = ConfigDict(extra="ignore")

    salesorder: _WebhookSalesOrder


@dataclass(frozen=True)
class ConfirmedOrder:
    salesorder_id: str
    salesorder_number: str
    status: str

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"


def parse_salesorder(text: str, content_type: str | None) -> ConfirmedOrder:
    """The confirmed order in a body read by ``request_body.read_text``, or a 400 naming the field."""
    parsed = validated_object(_WebhookBody, _decode(text, content_type or ""), "a JSON object with a salesorder")
    status = (parsed.salesorder.order_status or parsed.salesorder.status or "").strip().lower()
    return ConfirmedOrder(parsed.salesorder.salesorder_id, parsed.salesorder.salesorder_number, status)


def _decode(text: str, content_type: str) -> Any:
    # Only the ids are read (the worker re-reads the order): a stray control character in an address
    # must not lose the order, so the rest is scrubbed rather than refused.
    if "x-www-form-urlencoded" in content_type or text.lstrip().startswith("JSONString="):
        return load_form_json(text, "JSONString", strings="scrub")
    return load_json(text, strings="scrub")
