"""Amended in Zoho after the order shipped (issue 12), over fakes: an address or phone edit before pickup updates
the Shiprocket order, a new pincode the courier does not serve or a change of lines ships again under a new
reference, an edit after pickup pages, an unchanged re-sent webhook is a no-op, and a cancelled order confirmed
again ships again."""

from __future__ import annotations

from typing import Any

import pytest
from test_order_cancel import NUMBER, SO_ID, World, shipped_world

from shipsync.domain.models import ZohoSalesOrder
from shipsync.errors import TransientError
from shipsync.ledger.records import CancelOutcome, JobState
from shipsync.orders.amend import what_changed
from shipsync.orders.messages import OrderMessage


def edit(world: World, **changes: Any) -> None:
    so = world.zoho.salesorders[SO_ID]
    data = so.model_dump()
    for key, value in changes.items():
        if key == "shipping_address":
            data["shipping_address"] = {**data["shipping_address"], **value}
        else:
            data[key] = value
    data["last_modified_time"] = f"2025-01-11T1{len(world.ledger.entries[SO_ID].get('amendments', []))}:30:00+0530"
    world.zoho.salesorders[SO_ID] = ZohoSalesOrder.model_validate(data)


def webhook(world: World) -> Any:
    revision = world.zoho.salesorders[SO_ID].last_modified_time
    message = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook", revision=revision)
    return world.policy.run(world.job.attempt(message))


def test_a_re_sent_webhook_of_the_shipped_revision_reads_nothing() -> None:
    world = shipped_world()

    assert webhook(world).detail == "duplicate"
    assert world.zoho.calls == {}


def test_an_edit_that_changes_nothing_shipped_is_read_once_and_remembered() -> None:
    world = shipped_world()
    edit(world, notes="gift wrap")

    assert webhook(world).detail == "edited, nothing shipped changed"
    assert webhook(world).detail == "duplicate"
    assert world.zoho.calls == {"get_salesorder": 1}
    assert world.shiprocket.calls == {}


def test_a_new_address_line_before_pickup_updates_the_shiprocket_order_only() -> None:
    world = shipped_world()
    edit(world, shipping_address={"address": "No. 22, 5th Main, HSR Layout"})

    outcome = webhook(world)

    assert outcome.detail == "amended: address updated"
    assert world.shiprocket.calls == {"get_order": 1, "update_address": 1}
    assert "delete_shipment" not in world.zoho.calls
    entry = world.entry()
    assert entry.shipped_snapshot["address"] == "No. 22, 5th Main, HSR Layout"
    assert [a["kind"] for a in entry.amendments] == ["address_updated"]
    assert entry.amendments[0]["changed"] == ["address"]


def test_a_new_pincode_the_courier_serves_is_an_address_update_and_one_it_does_not_ships_again() -> None:
    served = shipped_world()
    edit(served, shipping_address={"zip": "560102"})
    assert webhook(served).detail == "amended: address updated"
    assert served.shiprocket.address_updates[-1][1] == "560102"

    moved = shipped_world()
    old_awb = moved.entry().awb
    first_courier = moved.entry().courier_id
    # The new pincode is served, but not by the courier holding the AWB.
    moved.shiprocket.quotes = [q for q in moved.shiprocket.quotes if q.courier_company_id != first_courier]
    edit(moved, shipping_address={"zip": "560102"})

    outcome = webhook(moved)

    assert outcome.detail == "shipped again (the courier does not serve the new pincode)"
    assert moved.shiprocket.calls["cancel_orders"] == 1
    assert "update_address" not in moved.shiprocket.calls
    assert sorted(moved.shiprocket.orders) == ["SO-01042", "SO-01042-R1"]
    entry = moved.entry()
    assert (entry.state, entry.order_ref, entry.cancel_outcome) == (JobState.SYNCED, "SO-01042-R1", None)
    assert entry.awb != old_awb
    assert entry.courier_id != first_courier
    [history] = entry.amendments
    assert (history["kind"], history["previous_awb"]) == ("shipped_again", old_awb)
    assert history["cancelled_at"]
    assert moved.zoho.calls["delete_package"] == 1
    assert moved.zoho.calls["create_package"] == 1


def test_changed_lines_before_pickup_ship_again_with_the_new_content() -> None:
    world = shipped_world()
    so = world.zoho.salesorders[SO_ID]
    line = so.line_items[0].model_dump()
    edit(world, line_items=[{**line, "quantity": line["quantity"] + 1}])

    outcome = webhook(world)

    assert outcome.detail == "shipped again (its lines changed)"
    [(_package_id, lines)] = world.zoho.packages.items()
    assert lines == [(line["line_item_id"], line["quantity"] + 1)]
    assert world.entry().order_ref == "SO-01042-R1"


def test_an_edit_after_pickup_pages_once_and_changes_nothing() -> None:
    world = shipped_world()
    world.parcel("IN TRANSIT")
    edit(world, shipping_address={"phone": "+91 98450 99999"})

    assert webhook(world).detail == "edited after pickup: paged"
    assert webhook(world).detail == "duplicate"

    [page] = world.alerts.pages
    assert page["kind"] == "AmendedAfterPickup"
    assert "9999" in page["message"]
    assert "98450 99999" not in page["message"]
    assert "update_address" not in world.shiprocket.calls
    assert "cancel_orders" not in world.shiprocket.calls


def test_a_cancelled_order_confirmed_again_ships_under_the_next_reference() -> None:
    world = shipped_world()
    world.seller_cancels()
    world.cancel()
    so = world.zoho.salesorders[SO_ID]
    so.custom_fields = [f for f in so.custom_fields if f.api_name != "cf_shipment_action"]
    edit(world)

    outcome = webhook(world)

    assert outcome.detail == "shipped again (confirmed again after its cancellation)"
    entry = world.entry()
    assert (entry.state, entry.order_ref, entry.cancel_outcome) == (JobState.SYNCED, "SO-01042-R1", None)
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Pickup Scheduled"
    assert entry.amendments[0]["previous_ref"] == "SO-01042"


def test_an_edit_that_cannot_be_applied_pages_and_leaves_the_shipment() -> None:
    world = shipped_world()
    world.shiprocket.quotes = []  # nobody serves the new pincode
    edit(world, shipping_address={"zip": "560102"})

    outcome = webhook(world)

    assert outcome.state == "edit_refused"
    [page] = world.alerts.pages
    assert page["subject"] == f"Edit not applied: {NUMBER}"
    entry = world.entry()
    assert (entry.state, entry.order_ref, entry.cancel_outcome) == (JobState.SYNCED, "SO-01042", None)
    assert webhook(world).detail == "duplicate"  # the same revision is not looked at again


def test_what_changed_names_each_part() -> None:
    shipped = {"name": "A B", "address": "x", "city": "Pune", "pincode": "411001", "phone": "98", "lines": {"1": 2}}
    assert what_changed(shipped, dict(shipped)) == []
    assert what_changed(shipped, {**shipped, "city": "PUNE"}) == []  # case is not an edit
    assert what_changed(shipped, {**shipped, "pincode": "411002", "phone": "99", "lines": {"1": 3.0}}) == [
        "address",
        "phone",
        "lines",
    ]
    assert CancelOutcome.CANCELLED.value == "cancelled"


def test_a_stale_webhook_older_than_what_was_shipped_reads_nothing() -> None:
    world = shipped_world()
    older = "2020-01-01T00:00:00+0530"
    message = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook", revision=older)

    assert world.policy.run(world.job.attempt(message)).detail == "duplicate"
    assert world.zoho.calls == {}


def test_an_edit_carried_by_the_message_that_finishes_the_shipping_is_looked_at() -> None:
    world = World()
    # The first attempt creates the Shiprocket order, then dies on a lost AWB answer.
    world.shiprocket.fail_wrapper_after_create = True
    world.shiprocket.lose_answer.add("assign")
    first = OrderMessage(salesorder_id=SO_ID, salesorder_number=NUMBER, source="webhook")
    with pytest.raises(TransientError):
        world.policy.run(world.job.attempt(first))
    edit(world, shipping_address={"address": "No. 22, 5th Main, HSR Layout"})

    outcome = webhook(world)  # the edit's webhook is the message that completes the job

    assert outcome.detail == "amended: address updated"
    assert world.shiprocket.calls["update_address"] == 1
