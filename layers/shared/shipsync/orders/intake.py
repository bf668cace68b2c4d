"""The webhook half of order-confirmed: authenticate, validate, enqueue, answer in milliseconds.

Zoho posts the sales order either as JSON (``{"salesorder": {...}}``) or, for older workflow
rules, as a form with one field ``JSONString``. The route needs only its ids and status. When the body is
the whole sales order (a workflow's default payload: lines with their packed quantities, the packages, the
shipping address; docs/providers/zoho.md §6) it rides on the queue message as ``snapshot``, and the worker's
first attempt ships from it instead of reading the order again (issue 16: a Zoho call less per order). A
partial body, one the scrubbing touched, or one too large for a queue message is not kept: the worker reads.
"""

from __future__ import annotations

import json
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
    # The whole sales order as posted, when it is one the worker may ship from (see the module doc).
    snapshot: dict[str, Any] | None = None

    @property
    def is_confirmed(self) -> bool:
        return self.status == "confirmed"


def parse_salesorder(text: str, content_type: str | None) -> WebhookOrder:
    """The sales order in a body read by ``request_body.read_text``, or a 400 naming the field."""
    document = _decode(text, content_type or "")
    parsed = validated_object(_WebhookBody, document, "a JSON object with a salesorder")
    so = parsed.salesorder
    status = (so.order_status or so.status or "").strip().lower()
    revision = so.last_modified_time if isinstance(so.last_modified_time, str) else None
    return WebhookOrder(
        so.salesorder_id,
        so.salesorder_number,
        status,
        wants_cancel(status, _shipment_action(so)),
        revision if revision and len(revision) <= MAX_REVISION_CHARS else None,
        _snapshot(document.get("salesorder")),
    )


MAX_REVISION_CHARS = 40
# A queue message holds at most 256 KB: the snapshot leaves room for the rest and for JSON's escapes.
MAX_SNAPSHOT_BYTES = 160 * 1024
# What a worker reads off the sales order before its first write: without one of these the body is partial.
_SNAPSHOT_KEYS = ("line_items", "packages", "shipping_address", "last_modified_time", "customer_id")


def _snapshot(raw: Any) -> dict[str, Any] | None:
    """``raw`` when it is a whole sales order the worker can ship from, else None (it reads the order)."""
    from pydantic import ValidationError

    from shipsync.domain.models import ZohoSalesOrder

    if not isinstance(raw, dict) or any(key not in raw for key in _SNAPSHOT_KEYS):
        return None
    lines, packages = raw["line_items"], raw["packages"]
    if not isinstance(lines, list) or not lines or not isinstance(packages, list):
        return None
    # Packed quantities say what is left to pack; a line without them is a partial payload.
    if not all(isinstance(line, dict) and "quantity_packed" in line for line in lines):
        return None
    encoded = json.dumps(raw, ensure_ascii=False)
    if "\ufffd" in encoded or len(encoded.encode()) > MAX_SNAPSHOT_BYTES:
        return None  # scrubbed (a control character, a lone surrogate) or too big: Zoho's own copy is read
    try:
        ZohoSalesOrder.model_validate(raw)
    except ValidationError:
        return None
    return raw


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
    # A stray control character in an address must not lose the order, so it is scrubbed rather than refused
    # (and the body is then not kept as a snapshot).
    if "x-www-form-urlencoded" in content_type or text.lstrip().startswith("JSONString="):
        return load_form_json(text, "JSONString", strings="scrub")
    return load_json(text, strings="scrub")
