"""Zoho accounts + Inventory v1 + Books v3 simulator (the facts: docs/providers/zoho.md).

One server plays both hosts: ``POST /oauth/v2/token`` (accounts) and the API routes under
``/inventory/v1`` and ``/books/v3``; the token response's ``api_domain`` points back here.

Success answers follow Zoho's published OpenAPI examples (``tests/contract/published/zoho/``, checked by
``tests/contract/test_published_zoho_sim.py``): their HTTP statuses, entity keys (``sales_order`` on an update,
``package`` as a one-element array, a receive under ``salesreturn``...), messages and fields, ids as strings.
Where the specs are silent the behaviour is marked GUESS here and listed in that folder's README.

Faithful to docs/providers/zoho.md where it matters for shipsync: token-mint limits (10 requests per
refresh token per rolling 10 minutes, 10 live tokens), token errors inside HTTP 200, the
``code``/``message`` envelope, 401 code 57/14, 6041 for a wrong organization, per-minute (44),
daily (45) and concurrency (1070) limits with the ``X-Rate-Limit-*`` headers, JSON or legacy
``JSONString=`` bodies, ids in the query string for packages, shipment orders, sales returns and
their receives, stock on hand falling when a shipment (not a package) is created and rising only
when a sales return is received, returns limited to shipped units, and credit notes whose
balance is applied to invoices (an invoice credited to zero shows as paid). Books customer
payments lower invoice balances (overpayment 24016, another customer's invoice 3004), are
listed by ``reference_number`` (no duplicate check: none is documented) and re-applied whole by a
PUT; expenses are recorded as sent and listed by ``reference_number``. Invoices made from a sales
order bill its lines at the order's line discounts, so they total what the order totals.

Seed knobs (``POST /_sim/seed``): ``organization_id``, ``token_ttl_s``, ``per_minute_limit``,
``daily_cap``, ``new_day`` (true: the organisation's next day starts now, as at midnight IST: the daily count
starts again and ``X-Rate-Limit-Reset`` is a day away), ``concurrency_limit``, ``oauth_clients`` ([{client_id,
client_secret, refresh_token}]) and records ``salesorders``, ``items``, ``invoices`` (merged by id; missing
fields get Zoho-like defaults; an invoice without lines bills its whole sales order), and
``customfields`` ({"salesorder": [{api_name, label?, data_type?, is_active?}]}: that entity's custom field
definitions replaced, as ``GET /inventory/v1/settings/preferences`` lists them; they start as the sample seller's
``DEFAULT_SALESORDER_CUSTOM_FIELDS``, the fields shipsync uses, and do not restrict writes). ``clock``
can be replaced in-process to move time in tests. ``POST /_sim/expire-tokens`` ends every live access
token now (as the Shiprocket simulator's does): the next call with one answers 401 code 57.

Besides the records and ``calls`` (per endpoint, refused calls included), ``GET /_sim/state`` answers the limits'
bookkeeping: ``daily_calls`` ({cap, used}), ``minute_calls`` ({limit, used}: the per-minute limit in force and the
calls of the rolling 60 s), ``refused`` ({per_minute, daily_cap, concurrency}: the 429s answered with code 44, 45
and 1070) and ``accepted_call_times`` (when the last 20,000 calls that counted against the limits were accepted,
epoch seconds, oldest first: a bench's drain rate). ``POST /_sim/reset`` clears them all.
"""

from local.sim.zoho.app import ZohoSim
from local.sim.zoho.settings import DEFAULT_SALESORDER_CUSTOM_FIELDS
from local.sim.zoho.state import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_PER_MINUTE_LIMIT,
    DEFAULT_REFRESH_TOKEN,
    STATE_KEYS,
)

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_ORGANIZATION_ID",
    "DEFAULT_PER_MINUTE_LIMIT",
    "DEFAULT_REFRESH_TOKEN",
    "DEFAULT_SALESORDER_CUSTOM_FIELDS",
    "STATE_KEYS",
    "ZohoSim",
]
