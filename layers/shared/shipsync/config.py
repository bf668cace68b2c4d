"""Configuration: one pydantic settings model per function, read from the environment.

Field names map to upper-case environment variables (``ledger_table`` <- ``LEDGER_TABLE``).
Values that differ per deployment come from template.yaml; locally from the runner. A setting without
a default (a queue URL) is required: a function missing one fails on its first use with
``NotConfigured`` naming the variables, instead of sending to an empty URL later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from decimal import Decimal
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, ValidationError

from shipsync.errors import NotConfigured

SHIPROCKET_BASE_URL = "https://apiv2.shiprocket.in/v1/external"

# Zoho data centres: accounts host (token mint) and API host (/inventory/v1, /books/v3).
ZOHO_DATA_CENTRES: dict[str, tuple[str, str]] = {
    "US": ("https://accounts.zoho.com", "https://www.zohoapis.com"),
    "IN": ("https://accounts.zoho.in", "https://www.zohoapis.in"),
    "EU": ("https://accounts.zoho.eu", "https://www.zohoapis.eu"),
    "AU": ("https://accounts.zoho.com.au", "https://www.zohoapis.com.au"),
    "JP": ("https://accounts.zoho.jp", "https://www.zohoapis.jp"),
    "CA": ("https://accounts.zohocloud.ca", "https://www.zohoapis.ca"),
    "SA": ("https://accounts.zoho.sa", "https://www.zohoapis.sa"),
    "CN": ("https://accounts.zoho.com.cn", "https://www.zohoapis.com.cn"),
}


def zoho_hosts(data_centre: str) -> tuple[str, str]:
    """(accounts URL, API URL) for a data centre code such as ``IN``."""
    try:
        return ZOHO_DATA_CENTRES[data_centre.upper()]
    except KeyError:
        known = ", ".join(ZOHO_DATA_CENTRES)
        raise ValueError(f"unknown Zoho data centre {data_centre!r}; expected one of {known}") from None


class _Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for name in cls.model_fields:
            raw = env.get(name.upper())
            if raw not in (None, ""):
                values[name] = raw
        try:
            return cls.model_validate(values)
        except ValidationError as err:
            names = sorted({str(e["loc"][0]).upper() for e in err.errors() if e["loc"]})
            raise NotConfigured(f"{cls.__name__}: set {', '.join(names)} ({err.error_count()} problem(s))") from None


class CommonSettings(_Settings):
    stage: str = "dev"
    ledger_table: str = "shipsync-ledger"
    ops_topic_arn: str = ""
    token_refresh_queue_url: str
    shiprocket_secret_id: str = "shipsync/shiprocket"  # noqa: S105 - a secret name, not a secret
    zoho_secret_id: str = "shipsync/zoho"  # noqa: S105 - a secret name, not a secret
    webhook_secret_id: str = "shipsync/webhooks"  # noqa: S105 - a secret name, not a secret
    # Overrides point the clients at the local simulators; empty in production.
    shiprocket_base_url: str = SHIPROCKET_BASE_URL
    zoho_api_base_url: str = ""
    http_connect_timeout_s: float = 3.05
    http_read_timeout_s: float = 20.0
    # How long a cached secret is trusted before Secrets Manager is read again.
    secret_cache_seconds: int = 60
    # Shared by every Lambda of the stack; Zoho blocks an organization above 100 per rolling minute.
    zoho_requests_per_minute: int = 90
    # maxReceiveCount of every work queue's redrive policy (template.yaml): the receive after which SQS moves a
    # message that failed again to its DLQ.
    queue_max_receives: int = 10
    # Zoho calls of the day kept for the work that cannot wait (confirmations, payments, restocks): below it the
    # work that can (wallet entries in the books, the nightly reconciliation) waits for the reset, and ops are
    # paged once (policy.zoho_budget).
    zoho_reserve: int = 300


class OrderConfirmedSettings(CommonSettings):
    order_queue_url: str
    order_dlq_url: str
    idempotency_table: str = "shipsync-idempotency"
    pickup_location: str = "Primary"
    pickup_postcode: str = "411001"
    payment_method_field: str = "cf_payment_method"
    default_item_weight_kg: float = 0.5
    default_box_cm: float = 10.0
    # Shiprocket requires a buyer e-mail; orders without one get this (reserved .invalid domain).
    fallback_email: str = "no-email@shipsync.invalid"
    # An order worth this much (its total, GST included) needs an e-way bill number in eway_bill_field.
    eway_bill_threshold: float = 50_000.0
    eway_bill_field: str = "cf_eway_bill_no"
    # Zoho location -> Shiprocket pickup location (orders.locations); empty: every order leaves from pickup_location.
    pickup_locations_json: str = ""
    courier_rules_parameter: str = ""
    courier_rules_json: str = ""
    max_webhook_body_bytes: int = 256 * 1024
    # Sweep: orders confirmed this long ago with no AWB are re-driven, and alerted after
    # ``stuck_alert_after_minutes``.
    stuck_after_minutes: int = 15
    # Every DLQ, which the morning digest counts and GET /admin/dlq lists: a JSON object, logical name -> URL.
    dlq_urls_json: str = "{}"
    stuck_alert_after_minutes: int = 60


class TokenRefreshSettings(CommonSettings):
    token_refresh_dlq_url: str
    zoho_accounts_url: str = ""
    shiprocket_max_token_age_hours: float = 9 * 24
    zoho_refresh_before_expiry_s: int = 600
    zoho_max_mints_per_window: int = 10
    zoho_mint_window_s: int = 600


class ShipmentStatusSettings(CommonSettings):
    status_queue_url: str
    status_dlq_url: str
    rto_queue_url: str
    order_queue_url: str
    max_webhook_body_bytes: int = 256 * 1024
    # Tracking poll: shipments not terminal and quiet for this long are polled, 50 AWBs a call.
    quiet_after_minutes: int = 360
    poll_batch_size: int = 50
    # Optional NDR rule, e.g. "re-attempt-then-return": re-attempt the first NDR, return after.
    ndr_rule: str = ""
    ndr_max_reattempts: int = 1
    # An intermediate status (Picked Up, In Transit, Out for Delivery, RTO In Transit) may wait this long for the
    # next status to be written with it to Zoho (tracking.job.COALESCED); 0 writes each at once.
    status_coalesce_minutes: int = 60
    # The nightly reconciliation (ops.nightly): the days of shipments it compares (it waits below zoho_reserve).
    reconcile_days: int = 3


class RtoRestockSettings(CommonSettings):
    rto_dlq_url: str
    # Warehouse (Zoho location) that receives returned goods; empty = the order line's own.
    returns_location_id: str = ""
    # Our warehouse as the destination of customer returns (Shiprocket return order "shipping_*").
    warehouse_name: str = ""
    warehouse_address: str = ""
    warehouse_city: str = ""
    warehouse_state: str = ""
    warehouse_pincode: str = ""
    warehouse_phone: str = ""
    warehouse_email: str = ""
    max_request_body_bytes: int = 64 * 1024


class CodRemittanceSettings(CommonSettings):
    remittance_queue_url: str
    remittance_dlq_url: str
    max_body_bytes: int = 1024 * 1024
    # A seller's own panel-CSV header names, as JSON ({"awb": ["Tracking ID"], ...}); empty = defaults.
    csv_column_mapping: str = ""
    # Shiprocket's deductions: on the payment as bank charges (default) or as a separate expense.
    charges_mode: Literal["bank_charges", "expense"] = "bank_charges"
    deposit_account_id: str = ""
    charges_expense_account_id: str = ""
    create_missing_invoices: bool = False
    aging_days: int = 10
    # A remitted COD shipment still in transit at Shiprocket waits this long for its delivery before ops are paged.
    delivery_wait_hours: int = 72
    # Where a delivery found by the remittance (its webhook lost) goes through the normal status path.
    status_queue_url: str
    # The wallet watch (freight.watch): a page when the balance is below this many rupees (0: a day's average
    # shipping cost over the look-back days), and each weight discrepancy with its dispute deadline.
    wallet_min_balance: Decimal = Decimal("0")
    wallet_lookback_days: int = 7
    # The shorter of the windows Shiprocket's help pages give (docs/providers/shiprocket.md §17).
    weight_dispute_days: int = 4
    # An item in this many of the window's weight discrepancies is paged as "fix its weight" (freight.item_weights).
    item_weight_repeats: int = 2
    # Books accounts for the wallet's shipping debits (freight.booking); booking is off until both of the first
    # two are set. RTO freight goes to its own account when one is given.
    freight_expense_account_id: str = ""
    wallet_account_id: str = ""
    rto_expense_account_id: str = ""
