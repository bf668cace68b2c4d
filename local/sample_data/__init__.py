"""The sample day's data: a deterministic generator for ``events/sample_day/``.

``python -m local.sample_data`` rewrites the committed files; ``load()`` reads them back.
The generator is the source of truth: the files are what it writes, byte for byte, so a
reviewer sees the day in the diff and the replay never depends on a random draw.

Files (Zoho and Shiprocket simulator seed formats, see README.md, the local stack):

- ``zoho_seed.json``: ``{"salesorders": [...], "items": [...]}`` in Zoho Inventory's own shapes
  (like tests/fixtures/reference.py's sales order): confirmed sales orders of one day, items with package details.
- ``shiprocket_seed.json``: the pincodes no courier serves, merged into the simulator's defaults.
- ``webhooks.json``: the "sales order confirmed" deliveries in the order Zoho sends them
  (fixture B shape), including a retried delivery and a legacy ``JSONString`` form re-post.
- ``tracking.json``: what happens to the shipped parcels: the Shiprocket simulator's lifecycle
  per sales order, the webhook noise, how many statuses one advance call moves, and the customer
  return support books for a delivered order.
- ``expected.json``: what the day should end in, per sales order: the ``cf_shipment_status`` the
  confirmation must write (``expect``) and the one the order ends with (``final``), the scenario,
  the lifecycle, the invoice, the restock (sales return lines, credit note or not) and the ops
  alerts it must (``alerts``) or may (``may_alert``) raise.
"""

from __future__ import annotations

from local.sample_data.day import (
    CANCELLED,
    DATA_DIR,
    DELIVERED,
    DELIVERED_LIFECYCLES,
    FINAL_BY_LIFECYCLE,
    INVALID,
    LOST,
    NDR_LIFECYCLES,
    RETURNED,
    RTO_LIFECYCLES,
    SHIPPED,
    UNSERVICEABLE,
    SampleDay,
    from_documents,
    lifecycle_summary,
    load,
    render,
)
from local.sample_data.generate import generate, write

__all__ = [
    "CANCELLED",
    "DATA_DIR",
    "DELIVERED",
    "DELIVERED_LIFECYCLES",
    "FINAL_BY_LIFECYCLE",
    "INVALID",
    "LOST",
    "NDR_LIFECYCLES",
    "RETURNED",
    "RTO_LIFECYCLES",
    "SHIPPED",
    "UNSERVICEABLE",
    "SampleDay",
    "from_documents",
    "generate",
    "lifecycle_summary",
    "load",
    "render",
    "write",
]
