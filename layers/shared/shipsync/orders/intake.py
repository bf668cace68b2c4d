"""The webhook half of order-confirmed: authenticate, validate, enqueue, answer in milliseconds.

Zoho posts the sales order either as JSON (``{"salesorder": {...}}``) or, for older workflow
rules, as a form with one field ``JSONString``. We only trust the ids in it: the worker
re-reads the sales order from Zoho.
"""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from shipsync.routes import WebhookRejected, load_json, require_body


class _WebhookSalesOrder(BaseModel):
    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)

    salesorder_id: str = Field(min_length=1, max_length=32, pattern=r"^\d+$")
    salesorder_number: str = Field(min_length=1, max_length=50)
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


def parse_salesorder(body: str | None, content_type: str | None, *, max_bytes: int) -> ConfirmedOrder:
    document = _decode(require_body(body, max_bytes), content_type or "")
    try:
        parsed = _WebhookBody.model_validate(document)
    except ValidationError as err:
        first = err.errors()[0]
        field = ".".join(str(part) for part in first["loc"])
        raise WebhookRejected(400, f"{field}: {first['msg']}", field) from None
    status = (parsed.salesorder.order_status or parsed.salesorder.status or "").strip().lower()
    return ConfirmedOrder(parsed.salesorder.salesorder_id, parsed.salesorder.salesorder_number, status)


def _decode(body: str, content_type: str) -> Any:
    text = body
    if "x-www-form-urlencoded" in content_type or body.lstrip().startswith("JSONString="):
        form = urllib.parse.parse_qs(body, keep_blank_values=True)
        if "JSONString" not in form:
            raise WebhookRejected(400, "form body without a JSONString field", "JSONString")
        text = form["JSONString"][0]
    document = load_json(text)
    if not isinstance(document, dict):
        raise WebhookRejected(400, "body must be a JSON object with a salesorder", "body")
    return document
