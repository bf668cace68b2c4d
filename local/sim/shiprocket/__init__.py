"""Shiprocket external API v1 simulator (docs/providers/shiprocket.md §1-10, §12, §14, §14a, §15).

Served under ``/v1/external`` (a client's base URL is ``<server url>/v1/external``); the
``/_sim/*`` endpoints of ``local.sim.base`` stay at the root, plus ``POST /_sim/expire-tokens``
(every issued token expires now: the next call answers 401, a fresh login works again).

Answers take the status and form of Shiprocket's published examples
(``tests/contract/published/shiprocket/``, judged by ``tests/contract/test_published_shiprocket_sim.py``);
where nothing is published the behaviour is marked GUESS here and listed in that folder's README ("Where the
material is silent"). Faithful to the traps docs/providers/shiprocket.md lists: errors inside HTTP 200
(serviceability ``status: 404``, ``awb_assign_status: 0``, ``label_created: 0``, wrapper ``status: 0``),
Laravel-style 422 field maps, duplicate ``order_id`` answering the existing order, burnt cancelled orders,
wallet code 350, 10-day bearer tokens, request errors answered as 500s.

``POST /_sim/seed`` keys (lists merge by their key; ``"replace": true`` first drops the
defaults of every list given):

- ``pickup_locations``: entries shaped like ``GET /settings/company/pickup``
  ``data.shipping_address[]`` (``pickup_location`` and ``pin_code`` required).
- ``couriers``: merged by ``courier_company_id`` onto ``COURIER_DEFAULTS``; see
  ``DEFAULT_COURIERS`` for the keys (rate card per zone as ``[first 0.5 kg, each further
  0.5 kg]``, ``cod_charge`` as ``[flat, percent]`` whichever is higher, ``refuse_awb`` reason,
  ``refuse_awb_pincodes``, ``max_weight``, ``zones`` served, ``awb_prefix``/``awb_digits``).
- ``unserviceable_pincodes``, ``api_users`` (``[{"email", "password"}]``), ``wallet_balance``,
  ``token_ttl_s``, ``expire_tokens`` (bool).
- ``order_updates``: ``[{"order_id" | "awb_code", "status", "status_code", "shipment_status",
  "shipment_status_id", "remittance_date", "remittance_utr", "remittance_status",
  "delivered_date"}]`` to move orders on as couriers and the COD cycle would.

- ``lifecycles``: ``{awb or our order_id: name | [shipment status ids]}`` with the names of
  ``LIFECYCLES`` ("delivered", "rto", "lost", "damaged", "ndr_then_delivered", "ndr_then_rto",
  "return_delivered"); ``default_lifecycle`` (forward shipments without one; returns default to
  "return_delivered"). Re-seeding a shipment already on its way continues from its status.
- ``webhook``: ``{"url", "token"}`` (token sent as ``x-api-key``; null removes the target);
  ``webhook_options``: ``{"duplicates": probability or count, "reorder", "na_scans",
  "string_ids", "sparse": bool or probability}`` (``sparse`` leaves out the optional keys a live post may
  omit; an RTO-initiated post always does); ``random_seed`` reseeds the tracking RNG.

COD remittance (no API at Shiprocket, docs/providers/shiprocket.md §11) is driven by ``POST /_sim/remit``
``{"utr", "date": "YYYY-MM-DD", "awbs"?: [...], "deductions"?: {awb: rupees}}`` (or
``ShiprocketSim.remit``): delivered, unremitted COD orders (all of them, or the AWBs named) get
``remittance_utr``/``remittance_date``/``remittance_status`` on ``GET /orders/show/{id}``, and the
answer is the batch as integrators post it: ``{remittance_id, remittance_date,
bank_transfer_amount, orders[{awb, order_id, cod_amount, deducted_charges}]}``, where an order's
deduction defaults to what its AWB cost on the rate card (freight + COD charge). Batches are kept
under ``remittances`` in the state.

Tracking is driven by ``POST /_sim/tracking/advance`` ``{"awb"?, "steps"?, "deliver_webhooks"?,
<webhook options>?}`` (or ``ShiprocketSim.advance``): each shipment with an AWB takes the next
statuses of its script, records a courier scan per status (IST, hours apart from the sim clock
on) and, with a target configured, the webhook of every event is POSTed synchronously (after
the lock is released) and recorded under ``webhooks`` in the state. Reaching 21 (UNDELIVERED)
opens an NDR; ``POST /ndr/{awb}/action`` rewrites the rest of the script.

Ids, AWBs and tokens come from counters and a seeded RNG, so runs are repeatable; dates come
from ``clock`` (injectable for tests). GUESS: no rate limit is published, so the simulator never answers 429 on
its own (a fault rule can).
"""

from local.sim.shiprocket.app import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, ShiprocketSim
from local.sim.shiprocket.catalogue import DEFAULT_COURIERS, DEFAULT_UNSERVICEABLE_PINCODES
from local.sim.shiprocket.tracking import LIFECYCLES, remaining_after
from local.sim.shiprocket.values import IST

__all__ = [
    "DEFAULT_API_EMAIL",
    "DEFAULT_API_PASSWORD",
    "DEFAULT_COURIERS",
    "DEFAULT_UNSERVICEABLE_PINCODES",
    "IST",
    "LIFECYCLES",
    "ShiprocketSim",
    "remaining_after",
]
