"""A period's operations (ops.period) and ``shipsync report``'s page (shipsync_cli.report): the counts from the
ledger's records, and every number on the page read back against the JSON; nothing on it from the network, and
nothing from the ledger able to inject markup."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from shipsync.ledger.records import AwbRecord, JobState, OrderRecord
from shipsync.ops.period import PeriodFacts, compose
from shipsync_cli.report import period_days, render_html, render_text
from tests.unit.test_run_html import numbers_differing, read_page

NOW = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>'


def job(number: int, state: JobState, confirmed_at: str, **fields: Any) -> OrderRecord:
    return OrderRecord(
        salesorder_id=f"ID-{number}",
        salesorder_number=f"SO-{number:05d}",
        state=state,
        confirmed_at=confirmed_at,
        **fields,
    )


def shipment(number: int, **fields: Any) -> AwbRecord:
    defaults: dict[str, Any] = {
        "awb": f"1904{number:010d}",
        "salesorder_id": f"ID-{number}",
        "salesorder_number": f"SO-{number:05d}",
        "courier_name": "Delhivery Surface",
        "created_at": "2026-12-05T08:00:00+00:00",
        "status": "In Transit",
        "payment_method": "Prepaid",
        "order_value": 1000.0,
    }
    return AwbRecord(**{**defaults, **fields})


def facts() -> PeriodFacts:
    jobs = [
        job(1, JobState.SYNCED, "2026-12-05T05:00:00+00:00", shipped_snapshot={"pincode": "560038"}),
        job(2, JobState.SYNCED, "2026-12-05T20:00:00+00:00"),  # 01:30 IST on the 6th
        job(3, JobState.SYNCED, "2026-12-06T10:00:00+00:00"),
        job(4, JobState.INVALID, "2026-12-06T11:00:00+00:00", failure_reason="invalid order: phone 9845012345"),
        job(5, JobState.NOT_SERVICEABLE, "2026-12-07T01:00:00+00:00", failure_reason=f"{HOSTILE}: no courier"),
    ]
    shipments = [
        # Bengaluru by the order's pincode: tier-1 with no city on the shipment.
        shipment(
            1, status="Delivered", payment_method="COD", order_value=1499.5, delivered_at="2026-12-06T09:00:00+00:00"
        ),
        shipment(2, status="RTO In Transit", ndr_count=2, delivery_city="Gaya", courier_name=HOSTILE),
        shipment(
            3,
            status="Delivered",
            payment_method="COD",
            order_value=250.0,
            delivery_city="Mumbai",
            delivered_at="2026-11-20T09:00:00+00:00",
            payment_id="PAY-3",
        ),
        shipment(6, status="Undelivered (NDR)", ndr_count=1, delivery_city="Pune", courier_name="Xpressbees"),
    ]
    return PeriodFacts(
        first_day=date(2026, 12, 5),
        last_day=date(2026, 12, 7),
        jobs=jobs,
        shipments=shipments,
        dlq_depths={"StatusDLQ": 0, "OrderDLQ": 2, HOSTILE: 1},
        zoho_calls_left=1412,
        zoho_daily_cap=2000,
    )


def test_the_period_is_counted_from_the_ledgers_records() -> None:
    report = compose(facts(), NOW)

    assert report["period"] == {"from": "2026-12-05", "to": "2026-12-07", "days": 3, "generated_at": NOW.isoformat()}
    orders = report["orders"]
    assert (orders["confirmed"], orders["shipped"], orders["failed"]) == (5, 3, 2)
    # Days are IST: the job confirmed at 20:00 UTC on the 5th is the 6th's.
    assert orders["by_day"] == [
        {"day": "2026-12-05", "confirmed": 1, "shipped": 1, "failed": 0},
        {"day": "2026-12-06", "confirmed": 3, "shipped": 2, "failed": 1},
        {"day": "2026-12-07", "confirmed": 1, "shipped": 0, "failed": 1},
    ]
    assert report["failures"] == {"invalid order: invalid order": 1, f"not serviceable: {HOSTILE}": 1}
    exceptions = report["exceptions"]
    assert (exceptions["ndrs"], exceptions["ndrs_waiting"], exceptions["rtos"]) == (2, 1, 1)
    assert exceptions["by_tier"] == {
        "tier-1": {"shipments": 3, "ndrs": 1, "rtos": 0},
        "tier-2/3": {"shipments": 1, "ndrs": 1, "rtos": 1},
    }
    assert exceptions["by_courier"]["Delhivery Surface"] == {"shipments": 2, "ndrs": 0, "rtos": 0}
    assert report["cod"] == {
        "delivered": 2,
        "delivered_paise": 174950,
        "remitted": 1,
        "remitted_paise": 25000,
        "not_remitted": 1,
        "not_remitted_paise": 149950,
        "aging": {"0-7 d": 1, "8-14 d": 0, "over 14 d": 0},
    }
    assert report["zoho"] == {"daily_cap": 2000, "calls_left": 1412, "calls_used": 588}
    assert "9845012345" not in json.dumps(report)


def test_every_number_on_the_page_is_the_jsons_and_the_page_needs_no_network() -> None:
    report = json.loads(json.dumps(compose(facts(), NOW)))  # as read back from its JSON

    page = render_html(report)

    assert numbers_differing(page, report) == []
    numbers = read_page(page).numbers
    keys = {attrs["data-key"] for attrs, _ in numbers}
    # Every section draws its numbers.
    assert {"orders.by_day.1.shipped", "cod.not_remitted_paise", "exceptions.by_tier.tier-2/3.rtos"} <= keys
    assert {"zoho.calls_left", "dlq.OrderDLQ", "failures.invalid order: invalid order"} <= keys
    assert len(numbers) >= 40
    tags = read_page(page).tags
    assert not [tag for tag, _ in tags if tag in ("script", "link", "img", "iframe")]
    assert not [a for _, a in tags for v in a.values() if v.startswith(("http:", "https:", "//"))]
    assert HOSTILE not in page


def test_a_period_with_nothing_in_it_still_draws_every_section() -> None:
    empty = PeriodFacts(date(2026, 12, 7), date(2026, 12, 7), [], [], {}, None, None)
    report = json.loads(json.dumps(compose(empty, NOW)))

    page = render_html(report)

    assert numbers_differing(page, report) == []
    assert 'id="exceptions"' in page
    assert "No order failed in the period." in page
    assert render_text(report).splitlines()[-1] == "Zoho calls left today: ? of ?"


def test_the_period_is_the_last_n_days_today_included() -> None:
    today = date(2026, 12, 7)
    assert period_days("7d", today) == (date(2026, 12, 1), today)
    assert period_days("1d", today) == (today, today)
    for wrong in ("0d", "7", "48h", "93d", "-1d"):
        with pytest.raises(ValueError, match="--since"):
            period_days(wrong, today)
