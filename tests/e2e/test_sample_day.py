"""The sample day through the whole local stack, and the data it replays.

The stack test replays one order per rule path (every failure scenario, the repeated
deliveries, a heavy COD parcel, a repeated SKU): the workers drain Zoho calls at the global
limiter's 90 per minute, so the whole day (``make run``) takes minutes and this subset ~20 s.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from local.sample_data import INVALID, SHIPPED, UNSERVICEABLE, SampleDay, generate, load, render
from local.sample_day import format_report, run_sample_day
from local.sim.shiprocket import DEFAULT_UNSERVICEABLE_PINCODES
from local.stack import LocalStack
from shipsync.domain.mapping import MappingOptions, to_shiprocket_order
from shipsync.domain.models import ZohoItem, ZohoSalesOrder
from shipsync.errors import InvalidOrder

DAY = load()


# --------------------------------------------------------------------------- the data


def test_committed_files_are_what_the_generator_writes() -> None:
    from local.sample_data import DATA_DIR

    for name, document in generate().items():
        assert (DATA_DIR / name).read_text(encoding="utf-8") == render(document), f"regenerate {name}"


def test_day_covers_the_issue_mix() -> None:
    orders = DAY.expected["orders"]
    expect = Counter(order["expect"] for order in orders)
    assert len(orders) >= 50
    assert expect[INVALID] == 3
    assert expect[UNSERVICEABLE] == 3
    assert {o["scenario"] for o in orders if o["expect"] == INVALID} == {
        "invalid_phone",
        "invalid_pincode",
        "invalid_no_items",
    }
    valid = [o for o in orders if o["expect"] == SHIPPED]
    assert {(o["payment"], o["tier"] == "tier1") for o in valid} == {
        ("COD", True),
        ("COD", False),
        ("Prepaid", True),
        ("Prepaid", False),
    }
    assert any(o["payment"] == "Prepaid" and o["total"] > 2000 for o in valid)
    assert any(o["heavy"] for o in valid)
    # One order delivered three times, once as the legacy JSONString form.
    (number, count), *_ = DAY.expected["repeated_deliveries"].items()
    deliveries = [hook for hook in DAY.webhooks if hook["salesorder_number"] == number]
    assert count == len(deliveries) == 3
    assert {hook["format"] for hook in deliveries} == {"json", "form"}
    assert len(DAY.webhooks) == DAY.expected["webhook_deliveries"] == len(orders) + count - 1


def test_zoho_records_are_in_zoho_shape() -> None:
    items = {item["item_id"]: item for item in DAY.zoho_seed["items"]}
    for so in DAY.zoho_seed["salesorders"]:
        assert len(so["salesorder_id"]) == 19
        assert so["salesorder_id"].isdigit()
        assert so["salesorder_number"].startswith("SO-")
        assert so["order_status"] == "confirmed"
        assert {f["api_name"] for f in so["custom_fields"]} >= {"cf_payment_method", "cf_shipment_status"}
        for line in so["line_items"]:
            assert line["item_id"] in items
    heavy_kg = [
        item["package_details"]["weight"] / (1000 if item["package_details"]["weight_unit"] == "g" else 1)
        for item in items.values()
    ]
    assert sum(1 for kg in heavy_kg if kg > 5) >= 2
    assert {item["package_details"]["weight_unit"] for item in items.values()} == {"g", "kg"}


def test_expectations_agree_with_the_mapping_and_the_unserviceable_pincodes() -> None:
    """The labels in expected.json are what the domain and the simulator make of the records."""
    unserviceable = set(DAY.shiprocket_seed["unserviceable_pincodes"]) | DEFAULT_UNSERVICEABLE_PINCODES
    items = {item["item_id"]: ZohoItem.model_validate(item) for item in DAY.zoho_seed["items"]}
    expected = {order["salesorder_number"]: order["expect"] for order in DAY.expected["orders"]}
    for raw in DAY.zoho_seed["salesorders"]:
        so = ZohoSalesOrder.model_validate(raw)
        try:
            order = to_shiprocket_order(so, items, MappingOptions(pickup_location="Primary"))
        except InvalidOrder:
            outcome = INVALID
        else:
            outcome = UNSERVICEABLE if order.delivery_postcode in unserviceable else SHIPPED
        assert outcome == expected[so.salesorder_number], so.salesorder_number


def test_subset_keeps_deliveries_and_expectations_together() -> None:
    numbers = DAY.rule_path_orders()
    part = DAY.only(numbers)
    assert {so["salesorder_number"] for so in part.zoho_seed["salesorders"]} == numbers
    assert {o["salesorder_number"] for o in part.expected["orders"]} == numbers
    assert {hook["salesorder_number"] for hook in part.webhooks} == numbers
    assert part.expected["webhook_deliveries"] == len(part.webhooks)
    assert part.expected["repeated_deliveries"] == DAY.expected["repeated_deliveries"]


# --------------------------------------------------------------------------- through the stack


@pytest.fixture(scope="module")
def replay(stack: LocalStack) -> tuple[SampleDay, dict[str, Any]]:
    stack.reset()
    day = DAY.only(DAY.rule_path_orders())
    return day, run_sample_day(stack, day, timeout=120)


@pytest.mark.e2e
def test_day_ends_as_expected(replay: tuple[SampleDay, dict[str, Any]]) -> None:
    day, report = replay
    assert report["mismatches"] == [], format_report(report)
    assert report["ok"] is True
    expect = Counter(order["expect"] for order in day.expected["orders"])
    assert report["webhooks"]["posted"] == report["webhooks"]["accepted"] == len(day.webhooks)
    assert report["orders"]["confirmed"] == len(day.expected["orders"])
    assert report["orders"]["shipped"] == expect[SHIPPED] == sum(report["shipped_by_courier"].values())
    failed = {status: {row["salesorder_number"] for row in rows} for status, rows in report["failures"].items()}
    for status in (INVALID, UNSERVICEABLE):
        wanted = {o["salesorder_number"] for o in day.expected["orders"] if o["expect"] == status}
        assert failed[status] == wanted
    assert all(depth == 0 for depth in report["dlq"].values())
    assert report["alerts"]["by_kind"] == {
        "InvalidOrder": expect[INVALID],
        "ServiceabilityFailed": expect[UNSERVICEABLE],
    }


@pytest.mark.e2e
def test_repeated_deliveries_make_one_shiprocket_order(replay: tuple[SampleDay, dict[str, Any]]) -> None:
    day, report = replay
    duplicates = report["duplicates"]
    assert duplicates["exactly_one_shiprocket_order_per_shipped_order"] is True
    assert duplicates["sales_orders_with_several_shiprocket_orders"] == []
    for number, count in day.expected["repeated_deliveries"].items():
        assert duplicates["orders_with_repeated_deliveries"][number] == {"deliveries": count, "shiprocket_orders": 1}


@pytest.mark.e2e
def test_api_economy(replay: tuple[SampleDay, dict[str, Any]]) -> None:
    day, report = replay
    shiprocket, zoho = report["api_calls"]["shiprocket"], report["api_calls"]["zoho"]
    unserviceable = sum(1 for order in day.expected["orders"] if order["expect"] == UNSERVICEABLE)
    # DESIGN §5: at most 2 Shiprocket calls per shipped order (an unserviceable one stops after
    # the serviceability check; a repeated delivery costs nothing), no Zoho searches.
    assert shiprocket["total"] <= 2 * report["orders"]["shipped"] + unserviceable
    assert not any(endpoint == "GET /inventory/v1/salesorders" for endpoint in zoho["by_endpoint"])
    assert report["token_mints"]["zoho"] <= 1


@pytest.mark.e2e
def test_report_schema_and_rendering(replay: tuple[SampleDay, dict[str, Any]]) -> None:
    _, report = replay
    assert json.loads(json.dumps(report)) == report
    assert set(report) == {
        "report_version",
        "ok",
        "day",
        "timings_s",
        "webhooks",
        "orders",
        "unfinished_orders",
        "shipped_by_courier",
        "shipped_by_payment",
        "shipped_by_tier",
        "failures",
        "duplicates",
        "api_calls",
        "token_mints",
        "alerts",
        "dlq",
        "dlq_messages",
        "queues",
        "mismatches",
    }
    assert set(report["webhooks"]["ack_ms"]) == {"p50", "p99", "max"}
    assert report["webhooks"]["ack_ms"]["p50"] <= report["webhooks"]["ack_ms"]["p99"]
    assert set(report["orders"]) == {"confirmed", "shipped", "failed", "unfinished", "expected"}
    for provider in ("shiprocket", "zoho"):
        assert set(report["api_calls"][provider]) == {"total", "per_shipped_order", "auth_calls", "by_endpoint"}
    for rows in report["failures"].values():
        for row in rows:
            assert set(row) == {"salesorder_number", "scenario", "reason"}
            assert row["reason"]
    text = format_report(report)
    assert "as expected" in text
    assert all(courier in text for courier in report["shipped_by_courier"])
