"""Shipment status domain (shipsync.tracking.events): mapping, parsing, forward-only machine."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shipsync.domain.india import IST
from shipsync.domain.statuses import TRACKING_STATUSES, ShipmentStatus
from shipsync.errors import PermanentError
from shipsync.tracking.events import (
    STATUS_BY_SHIPMENT_STATUS_ID,
    InvalidWebhook,
    TrackingEvent,
    advance,
    events_from_tracking,
    is_terminal,
    needs_ops,
    parse_timestamp,
    parse_webhook,
    rank,
    status_from_id,
)

S = ShipmentStatus

# docs/providers/shiprocket.md §8 lists 1-27, 38-52, 54-72 (international / fulfilment-centre steps) and 75-78;
# 28-37, 53, 73 and 74 are not in the table.
REFERENCE_IDS = [*range(1, 28), *range(38, 53), *range(54, 73), 75, 76, 77, 78]

# tests/fixtures-style webhook body with the published field names (docs/providers/shiprocket.md §7).
FIXTURE_WEBHOOK: dict[str, Any] = {
    "awb": "1411220456789",
    "courier_name": "Delhivery Surface",
    "current_status": "OUT FOR DELIVERY",
    "current_status_id": 19,
    "shipment_status": "OUT FOR DELIVERY",
    "shipment_status_id": 17,
    "current_timestamp": "14 01 2025 09:12:40",
    "order_id": "ZI-SO-00042",
    "sr_order_id": 612345678,
    "awb_assigned_date": "2025-01-11 16:05:02",
    "pickup_scheduled_date": "2025-01-12 10:00:00",
    "etd": "2025-01-14 20:00:00",
    "scans": [
        {
            "date": "2025-01-12 14:20:11",
            "status": "X-PPOM",
            "activity": "In Transit - Shipment picked up",
            "location": "Pune_Hadapsar_D (Maharashtra)",
            "sr-status": "42",
            "sr-status-label": "PICKED UP",
        },
        {
            "date": "2025-01-14 09:12:40",
            "status": "X-DDD3FD",
            "activity": "Dispatched - Out for delivery",
            "location": "Bengaluru_Koramangala_DC (Karnataka)",
            "sr-status": "17",
            "sr-status-label": "OUT FOR DELIVERY",
        },
    ],
    "is_return": 0,
    "channel_id": 5123456,
    "pod_status": "OTP Based Delivery",
    "pod": "Not Available",
    "qc_image": "",
    "qc_failure_reason": "",
}


def webhook(**changes: Any) -> dict[str, Any]:
    """The fixture with fields replaced; a value of ... removes the field."""
    body = copy.deepcopy(FIXTURE_WEBHOOK)
    for key, value in changes.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


T0 = datetime(2025, 1, 12, 10, 0, tzinfo=IST)


def event(status_id: int, at: datetime = T0, awb: str = "AWB1") -> TrackingEvent:
    return TrackingEvent(
        awb=awb,
        shipment_status_id=status_id,
        status=status_from_id(status_id),
        event_time=at,
        current_status_id=None,
        courier_name=None,
        sr_order_id=None,
        order_id=None,
        is_return=False,
        reason=None,
        location=None,
        raw_status_label=None,
    )


# ------------------------------------------------------------------------------ mapping


def test_every_reference_id_maps_to_a_known_status_and_nothing_else_is_mapped() -> None:
    unmapped = [i for i in REFERENCE_IDS if status_from_id(i) is S.UNKNOWN]
    assert unmapped == []
    assert set(STATUS_BY_SHIPMENT_STATUS_ID) == set(REFERENCE_IDS)


@pytest.mark.parametrize("status_id", [None, 0, 28, 37, 53, 73, 74, 79, 999, -1])
def test_ids_outside_the_table_are_unknown(status_id: int | None) -> None:
    assert status_from_id(status_id) is S.UNKNOWN


@pytest.mark.parametrize(
    ("ids", "expected"),
    [
        ((1, 2, 3, 4, 5, 11, 13, 15, 19, 20, 27, 47, 52), S.PICKUP_SCHEDULED),
        ((6, 42, 51), S.PICKED_UP),
        ((18, 22, 38, 39, 48, 49, 50, *range(54, 73)), S.IN_TRANSIT),
        ((17, 23), S.OUT_FOR_DELIVERY),
        ((7, 26, 43), S.DELIVERED),
        ((21, 77), S.UNDELIVERED),
        ((9, 14, 75), S.RTO_INITIATED),
        ((40, 41, 46, 78), S.RTO_IN_TRANSIT),
        ((10,), S.RTO_DELIVERED),
        ((12, 76), S.LOST),
        ((24, 25, 44), S.DAMAGED),
        ((8, 16, 45), S.CANCELLED),
    ],
)
def test_groups(ids: tuple[int, ...], expected: ShipmentStatus) -> None:
    assert {i: status_from_id(i) for i in ids} == dict.fromkeys(ids, expected)


def test_reference_terminal_ids_are_terminal_and_ndr_is_not() -> None:
    # §8a: "Terminal for our purposes: 7, 8, 10, 12, 24, 25, 44, 45. NDR: 21".
    assert all(is_terminal(status_from_id(i)) for i in (7, 8, 10, 12, 24, 25, 44, 45))
    assert not is_terminal(status_from_id(21))
    assert {s for s in S if is_terminal(s)} == {S.DELIVERED, S.RTO_DELIVERED, S.LOST, S.DAMAGED, S.CANCELLED}


def test_rank_order() -> None:
    forward = [S.PICKUP_SCHEDULED, S.PICKED_UP, S.IN_TRANSIT, S.OUT_FOR_DELIVERY, S.DELIVERED]
    assert [rank(s) for s in forward] == sorted({rank(s) for s in forward})
    assert rank(S.UNDELIVERED) == rank(S.OUT_FOR_DELIVERY)
    assert rank(S.UNKNOWN) < rank(S.PICKUP_SCHEDULED)
    assert rank(S.DELIVERED) < rank(S.RTO_INITIATED) < rank(S.RTO_IN_TRANSIT) < rank(S.RTO_DELIVERED)
    assert rank(S.RTO_DELIVERED) < rank(S.LOST) == rank(S.DAMAGED) == rank(S.CANCELLED)


def test_needs_ops() -> None:
    assert {s: needs_ops(s) for s in S if needs_ops(s)} == {
        S.RTO_INITIATED: "rto_initiated",
        S.LOST: "lost_or_damaged",
        S.DAMAGED: "lost_or_damaged",
        S.UNDELIVERED: "ndr",
    }


def test_status_values_are_the_zoho_texts() -> None:
    assert S.UNDELIVERED.value == "Undelivered (NDR)"
    assert S.DAMAGED.value == "Damaged/Destroyed"
    assert f"{S.OUT_FOR_DELIVERY}" == "Out for Delivery"


# ------------------------------------------------------------------------------ timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("14 01 2025 09:12:40", datetime(2025, 1, 14, 9, 12, 40, tzinfo=IST)),
        ("2025-01-12 14:20:11", datetime(2025, 1, 12, 14, 20, 11, tzinfo=IST)),
        ("12 Mar 2021, 04:16 PM", datetime(2021, 3, 12, 16, 16, tzinfo=IST)),
        ("12 Mar 2021, 12:05 AM", datetime(2021, 3, 12, 0, 5, tzinfo=IST)),
        ("  2025-01-12  14:20:11 ", datetime(2025, 1, 12, 14, 20, 11, tzinfo=IST)),
    ],
)
def test_parse_timestamp(text: str, expected: datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.utcoffset() == timedelta(hours=5, minutes=30)


@pytest.mark.parametrize("text", ["", "NA", "2025-01-12", "32 01 2025 09:12:40", "2025-01-12T14:20:11Z", "yesterday"])
def test_parse_timestamp_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="timestamp"):
        parse_timestamp(text)


# ------------------------------------------------------------------------------ webhook


def test_parse_reference_fixture_exactly() -> None:
    parsed = parse_webhook(FIXTURE_WEBHOOK)
    assert parsed == TrackingEvent(
        awb="1411220456789",
        shipment_status_id=17,
        status=S.OUT_FOR_DELIVERY,
        event_time=datetime(2025, 1, 14, 9, 12, 40, tzinfo=IST),
        current_status_id=19,
        courier_name="Delhivery Surface",
        sr_order_id=612345678,
        order_id="ZI-SO-00042",
        is_return=False,
        reason=None,
        location="Bengaluru_Koramangala_DC (Karnataka)",
        raw_status_label="OUT FOR DELIVERY",
        # The fixture's etd ("2025-01-14 ..."), as a date.
        expected_delivery="2025-01-14",
    )
    assert parsed.dedupe_key() == "1411220456789:17:2025-01-14T09:12:40+05:30"


@pytest.mark.parametrize("body", [None, [], [FIXTURE_WEBHOOK], "awb", 17, b"{}"])
def test_non_object_body(body: Any) -> None:
    with pytest.raises(InvalidWebhook) as caught:
        parse_webhook(body)
    assert caught.value.field == "body"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"awb": ...}, "awb"),
        ({"awb": ""}, "awb"),
        ({"awb": "   "}, "awb"),
        ({"awb": None}, "awb"),
        ({"awb": "NA"}, "awb"),
        ({"awb": ["1411220456789"]}, "awb"),
        ({"shipment_status_id": ...}, "shipment_status_id"),
        ({"shipment_status_id": None}, "shipment_status_id"),
        ({"shipment_status_id": ""}, "shipment_status_id"),
        ({"shipment_status_id": "NA"}, "shipment_status_id"),
        ({"shipment_status_id": "x"}, "shipment_status_id"),
        ({"shipment_status_id": 1.5}, "shipment_status_id"),
        ({"shipment_status_id": "1.5"}, "shipment_status_id"),
        ({"shipment_status_id": True}, "shipment_status_id"),
        ({"shipment_status_id": [17]}, "shipment_status_id"),
        ({"current_timestamp": ..., "scans": ...}, "current_timestamp"),
        ({"current_timestamp": "soon", "scans": []}, "current_timestamp"),
        ({"current_timestamp": None, "scans": [{"date": "NA", "sr-status": "NA"}]}, "current_timestamp"),
    ],
)
def test_bad_webhooks_name_the_field(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidWebhook) as caught:
        parse_webhook(webhook(**changes))
    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    # The service answers 4xx and never retries: both by type.
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, PermanentError)


def test_minimal_body_with_strings_for_ints() -> None:
    parsed = parse_webhook(
        {
            "awb": 1411220456789,
            "shipment_status_id": " 18 ",
            "current_timestamp": "2025-01-13 08:00:00",
            "current_status_id": "20",
            "sr_order_id": "612345678",
            "order_id": 42,
            "is_return": "1",
        }
    )
    assert (parsed.awb, parsed.shipment_status_id, parsed.status) == ("1411220456789", 18, S.IN_TRANSIT)
    assert (parsed.current_status_id, parsed.sr_order_id, parsed.order_id) == (20, 612345678, "42")
    assert parsed.is_return is True
    assert parsed.event_time == datetime(2025, 1, 13, 8, tzinfo=IST)
    assert (parsed.courier_name, parsed.reason, parsed.location, parsed.raw_status_label) == (None, None, None, None)


def test_optional_fields_junk_is_tolerated() -> None:
    parsed = parse_webhook(
        webhook(
            courier_name="NA",
            current_status_id="NA",
            sr_order_id="",
            order_id=None,
            is_return=None,
            shipment_status=...,
            scans="NA",
            etd="NA",
        )
    )
    assert parsed.status is S.OUT_FOR_DELIVERY
    assert (parsed.courier_name, parsed.current_status_id, parsed.sr_order_id, parsed.order_id) == (None,) * 4
    assert parsed.is_return is False
    assert (parsed.location, parsed.raw_status_label) == (None, None)


def test_na_scans_are_kept_out_and_timestamp_falls_back_to_newest_scan() -> None:
    scans = [
        {"date": "2025-01-14 09:12:40", "activity": "Dispatched", "sr-status": "17", "sr-status-label": "OFD"},
        {"date": "2025-01-14 18:40:00", "activity": "Consignee unavailable", "location": "Koramangala",
         "sr-status": "21", "sr-status-label": "UNDELIVERED"},
        {"date": "NA", "activity": "NA", "location": "NA", "sr-status": "NA", "sr-status-label": "NA"},
        {"date": "2025-01-14 18:41:00", "activity": "Call made", "sr-status": "NA", "sr-status-label": "NA"},
        "junk",
    ]  # fmt: skip
    parsed = parse_webhook(
        webhook(shipment_status_id="21", shipment_status="UNDELIVERED", current_timestamp=..., scans=scans)
    )
    assert parsed.status is S.UNDELIVERED
    assert parsed.event_time == datetime(2025, 1, 14, 18, 41, tzinfo=IST)
    # The reason is the activity of the newest scan reporting the event's own status.
    assert parsed.reason == "Consignee unavailable"
    assert parsed.location == "Koramangala"


@pytest.mark.parametrize("stamp", ["2025-01-14 09:12:40", "14 Jan 2025, 09:12 AM"])
def test_other_timestamp_formats_in_the_webhook(stamp: str) -> None:
    assert parse_webhook(webhook(current_timestamp=stamp)).event_time.replace(second=0) == datetime(
        2025, 1, 14, 9, 12, tzinfo=IST
    )


def test_rto_reason_and_unknown_id() -> None:
    rto = parse_webhook(
        webhook(
            shipment_status_id=9,
            scans=[{"date": "2025-01-15 10:00:00", "activity": "RTO - Customer refused", "sr-status": "9"}],
        )
    )
    assert (rto.status, rto.reason) == (S.RTO_INITIATED, "RTO - Customer refused")
    unknown = parse_webhook(webhook(shipment_status_id=73))
    assert (unknown.status, unknown.shipment_status_id) == (S.UNKNOWN, 73)


# ------------------------------------------------------------------------------ advance


def test_advance_rules() -> None:
    t1, t2 = T0, T0 + timedelta(hours=1)
    first = advance(None, None, event(42, t1))
    assert (first.previous, first.new, first.changed, first.reason) == (None, S.PICKED_UP, True, "advanced")
    assert advance(S.PICKED_UP, t1, event(42, t2)).reason == "duplicate"
    assert advance(S.IN_TRANSIT, t2, event(17, t1)).reason == "older than current"
    assert advance(S.IN_TRANSIT, t1, event(42, t2)).reason == "regression"
    assert advance(S.IN_TRANSIT, t1, event(17, t1)).changed  # same time, higher rank
    assert advance(S.IN_TRANSIT, None, event(17, t1)).changed  # stored time unknown: rank decides


def test_delivered_is_never_left() -> None:
    late = T0 + timedelta(days=3)
    for status_id in (9, 10, 12, 21, 17, 18, 24, 8):
        outcome = advance(S.DELIVERED, T0, event(status_id, late))
        assert (outcome.new, outcome.changed) == (S.DELIVERED, False), status_id


def test_ndr_and_out_for_delivery_alternate_by_time() -> None:
    t1, t2, t3 = T0, T0 + timedelta(hours=8), T0 + timedelta(days=1)
    assert advance(S.OUT_FOR_DELIVERY, t1, event(21, t2)).new is S.UNDELIVERED
    assert advance(S.UNDELIVERED, t2, event(17, t3)).new is S.OUT_FOR_DELIVERY
    assert not advance(S.UNDELIVERED, t2, event(17, t1)).changed
    assert advance(S.UNDELIVERED, t2, event(9, t3)).new is S.RTO_INITIATED


def test_lost_follows_any_non_terminal_status() -> None:
    for current in sorted(TRACKING_STATUSES):
        if current is S.UNKNOWN or is_terminal(current):
            continue
        assert advance(current, T0, event(12, T0 + timedelta(hours=1))).new is S.LOST, current


def test_unknown_never_changes_the_stored_status() -> None:
    kept = advance(S.IN_TRANSIT, T0, event(999, T0 + timedelta(days=1)))
    assert (kept.new, kept.changed, kept.reason) == (S.IN_TRANSIT, False, "unknown status id")
    nothing = advance(None, None, event(999))
    assert (nothing.previous, nothing.new, nothing.changed) == (None, S.UNKNOWN, False)


HAPPY = [1, 42, 18, 38, 17, 7]
NDR = [1, 42, 18, 38, 17, 21, 17, 7]
RTO = [1, 42, 18, 38, 17, 21, 9, 46, 10]
LOST = [1, 42, 18, 12]


@given(data=st.data(), sequence=st.sampled_from([HAPPY, NDR, RTO, LOST]))
def test_any_arrival_order_with_duplicates_ends_in_the_final_status(data: st.DataObject, sequence: list[int]) -> None:
    scans = [event(status_id, T0 + timedelta(hours=i)) for i, status_id in enumerate(sequence)]
    arrivals = list(data.draw(st.permutations(scans)))
    for duplicate in data.draw(st.lists(st.sampled_from(scans), max_size=10)):
        arrivals.insert(data.draw(st.integers(0, len(arrivals))), duplicate)

    current: ShipmentStatus | None = None
    current_time: datetime | None = None
    delivered_seen = False
    for arrived in arrivals:
        outcome = advance(current, current_time, arrived)
        assert outcome.previous is current
        if current is not None:
            assert rank(outcome.new) >= rank(current)
        if delivered_seen:
            assert outcome.new is S.DELIVERED
        if outcome.changed:
            current, current_time = outcome.new, arrived.event_time
        else:
            assert outcome.new is (current or S.UNKNOWN)
        delivered_seen = current is S.DELIVERED
    assert current is scans[-1].status


@given(
    st.lists(
        st.tuples(st.sampled_from([*REFERENCE_IDS, 53, 74, 999]), st.integers(0, 200)),
        min_size=1,
        max_size=30,
    )
)
def test_random_events_never_regress_or_leave_a_terminal_status(raw: list[tuple[int, int]]) -> None:
    current: ShipmentStatus | None = None
    current_time: datetime | None = None
    for status_id, hours in raw:
        arrived = event(status_id, T0 + timedelta(hours=hours))
        outcome = advance(current, current_time, arrived)
        if current is not None:
            assert rank(outcome.new) >= rank(current)
            if is_terminal(current):
                assert not outcome.changed
            if current_time is not None and arrived.event_time < current_time:
                assert not outcome.changed
        assert outcome.new is not S.UNKNOWN or current is None
        if outcome.changed:
            assert outcome.new is arrived.status
            current, current_time = outcome.new, arrived.event_time


# ------------------------------------------------------------------------------ pull API


def pull(**changes: Any) -> dict[str, Any]:
    """§7 ``tracking_data`` for a delivered shipment; activities newest first, ``sr-status`` strings."""
    data: dict[str, Any] = {
        "track_status": 1,
        "shipment_status": 7,
        "shipment_track": [
            {
                "id": 185584215,
                "awb_code": "1411220456789",
                "courier_company_id": 43,
                "shipment_id": 609876543,
                "order_id": "ZI-SO-00042",
                "pickup_date": "2025-01-12 14:20:11",
                "delivered_date": "2025-01-14 13:05:00",
                "weight": "0.5",
                "packages": 1,
                "current_status": "Delivered",
                "destination": "Bengaluru",
                "origin": "Pune",
                "courier_name": "Delhivery Surface",
                "edd": None,
                "pod": "Available",
                "pod_status": "OTP Based Delivery",
            }
        ],
        "shipment_track_activities": [
            {"date": "2025-01-14 13:05:00", "status": "DLVD", "activity": "Delivered", "location": "Koramangala",
             "sr-status": "7", "sr-status-label": "DELIVERED"},
            {"date": "2025-01-14 09:12:40", "status": "X-DDD3FD", "activity": "Out for delivery",
             "location": "Koramangala", "sr-status": "17", "sr-status-label": "OUT FOR DELIVERY"},
            {"date": "2025-01-13 03:10:00", "status": "X-ILL2F", "activity": "Bag received at hub",
             "location": "Bengaluru_Hub", "sr-status": "NA", "sr-status-label": "NA"},
            {"date": "2025-01-12 22:00:00", "status": "X-DLL2F", "activity": "In transit", "location": "Pune_Hub",
             "sr-status": "18", "sr-status-label": "IN TRANSIT"},
            {"date": "2025-01-12 14:20:11", "status": "X-PPOM", "activity": "Picked up", "location": "Pune",
             "sr-status": "42", "sr-status-label": "PICKED UP"},
        ],
        "track_url": "https://shiprocket.co//tracking/1411220456789",
        "etd": "2025-01-14 20:00:00",
    }  # fmt: skip
    data.update(changes)
    return data


def test_events_from_tracking_oldest_first_skipping_na() -> None:
    events = events_from_tracking("1411220456789", pull())
    assert [(e.shipment_status_id, e.status) for e in events] == [
        (42, S.PICKED_UP),
        (18, S.IN_TRANSIT),
        (17, S.OUT_FOR_DELIVERY),
        (7, S.DELIVERED),
    ]
    assert [e.event_time for e in events] == sorted(e.event_time for e in events)
    last = events[-1]
    assert last.event_time == datetime(2025, 1, 14, 13, 5, tzinfo=IST)
    assert (last.awb, last.courier_name, last.order_id, last.location) == (
        "1411220456789",
        "Delhivery Surface",
        "ZI-SO-00042",
        "Koramangala",
    )
    assert last.raw_status_label == "DELIVERED"

    current: ShipmentStatus | None = None
    current_time: datetime | None = None
    for item in events:
        outcome = advance(current, current_time, item)
        assert outcome.changed
        current, current_time = outcome.new, item.event_time
    assert current is S.DELIVERED


def test_current_status_is_added_when_no_activity_reports_it() -> None:
    activities = pull()["shipment_track_activities"][1:]  # the delivered scan not yet in the feed
    events = events_from_tracking("1411220456789", pull(shipment_status="7", shipment_track_activities=activities))
    assert [e.shipment_status_id for e in events] == [42, 18, 17, 7]
    assert events[-1].event_time == datetime(2025, 1, 14, 13, 5, tzinfo=IST)  # the delivered date
    assert events[-1].raw_status_label == "Delivered"


def test_current_status_without_any_time_of_its_own_takes_the_newest_scan_time() -> None:
    activities = [
        {"date": "2025-01-15 10:00:00", "activity": "Customer refused, return", "location": "Koramangala",
         "sr-status": "NA", "sr-status-label": "NA"},
        *pull()["shipment_track_activities"][1:],
    ]  # fmt: skip
    track = [{**pull()["shipment_track"][0], "delivered_date": "", "current_status": "RTO INITIATED"}]
    events = events_from_tracking(
        "1411220456789", pull(shipment_status=9, shipment_track=track, shipment_track_activities=activities)
    )
    assert [e.status for e in events][-1] is S.RTO_INITIATED
    assert events[-1].event_time == datetime(2025, 1, 15, 10, 0, tzinfo=IST)
    # No activity reports the RTO: the reason is the status itself; the newest scan is kept as the last scan.
    assert (events[-1].reason, events[-1].last_activity) == ("RTO INITIATED", "Customer refused, return")


@pytest.mark.parametrize(
    "data",
    [
        {"track_status": 0, "error": "Aahh! There is no activities found in our DB. Please have some patience."},
        {"track_status": "0"},
        {},
    ],
)
def test_no_scans_yet(data: dict[str, Any]) -> None:
    assert events_from_tracking("1411220456789", data) == []


def test_the_tracking_statuses_are_exactly_those_the_state_machine_ranks() -> None:
    for status in TRACKING_STATUSES:
        rank(status)
    for mark in set(ShipmentStatus) - TRACKING_STATUSES:
        with pytest.raises(KeyError):
            rank(mark)
    assert set(STATUS_BY_SHIPMENT_STATUS_ID.values()) <= TRACKING_STATUSES
