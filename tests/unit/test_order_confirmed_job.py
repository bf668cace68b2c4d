"""The order-confirmed job over fakes: happy path, retries continue from the ledger, every
failure marks the sales order and pages ops, nothing is created twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from memory_ledger import MemoryLedger
from order_fakes import (
    CountingMetrics,
    FakeShiprocket,
    FakeZoho,
    RecordingAlerts,
    order_job,
    outcome_policy,
    quote,
)

from shipsync.domain.models import ZohoItem, ZohoSalesOrder
from shipsync.errors import ProviderRequestError, TransientError
from shipsync.ledger.records import JobState
from shipsync.orders.courier import CourierRules
from shipsync.orders.mapping import MappingOptions
from shipsync.orders.messages import OrderMessage
from shipsync.orders.sweep import StuckOrderSweep
from tests.fixtures.reference import zoho_salesorder_a

SO_ID = "1947583000000123001"


# Fixture A trimmed to what the job reads: no contact id, street2 or state/country codes, only the payment
# custom field, and none of the optional terms and totals.
TRIMMED: dict[str, Any] = {
    "contact_person_details": [{"email": "ananya.iyer@example.in", "mobile": "+91 98450 12345"}],
    "shipping_address": {
        key: value
        for key, value in zoho_salesorder_a()["shipping_address"].items()
        if key not in {"street2", "state_code", "country_code"}
    },
    "custom_fields": [{"api_name": "cf_payment_method", "value": "COD"}],
    "reference_number": None,
    "status": None,
    "payment_terms": None,
    "payment_terms_label": None,
    "currency_code": None,
    "sub_total": None,
    "tax_total": None,
}


def salesorder(**overrides: Any) -> ZohoSalesOrder:
    return ZohoSalesOrder.model_validate(zoho_salesorder_a(**{**TRIMMED, **overrides}))


ITEM = ZohoItem.model_validate(
    {
        "item_id": "1947583000000045021",
        "sku": "TEE-BLK-M",
        "package_details": {"length": 30, "width": 25, "height": 3, "weight": 250, "weight_unit": "g"},
    }
)


class World:
    def __init__(self, so: ZohoSalesOrder | None = None, shiprocket: FakeShiprocket | None = None) -> None:
        self.zoho = FakeZoho([so or salesorder()], [ITEM])
        self.shiprocket = shiprocket or FakeShiprocket()
        self.ledger = MemoryLedger()
        self.alerts = RecordingAlerts()
        self.metrics = CountingMetrics()
        self.job = order_job(self.zoho, self.shiprocket, self.ledger, self.alerts, self.metrics)

        self.policy = outcome_policy(self.alerts, self.metrics)

    def run(self, snapshot: dict[str, Any] | None = None) -> Any:
        message = OrderMessage(salesorder_id=SO_ID, salesorder_number="SO-01042", source="webhook", salesorder=snapshot)
        return self.policy.run(self.job.attempt(message))


def test_happy_path_ships_with_two_shiprocket_calls_and_writes_everything_back() -> None:
    world = World()
    outcome = world.run()

    assert outcome.state == JobState.SYNCED
    assert sum(world.shiprocket.calls.values()) == 2  # serviceability + the one-call wrapper
    fields = world.zoho.custom_fields[SO_ID]
    assert fields["cf_awb_number"] == outcome.awb
    assert fields["cf_shipment_status"] == "Pickup Scheduled"
    assert fields["cf_courier_partner"] == outcome.courier_name
    assert fields["cf_shiprocket_order_id"] == str(world.shiprocket.orders["SO-01042"]["sr_order_id"])
    [shipment] = world.zoho.shipments.values()
    assert shipment["tracking_number"] == outcome.awb
    assert world.zoho.calls["get_salesorder"] == 1
    assert world.ledger.awbs[outcome.awb]["salesorder_id"] == SO_ID
    assert not world.ledger.awaiting
    assert world.alerts.pages == []


def test_cod_to_tier1_city_picks_a_preferred_courier() -> None:
    outcome = World().run()
    assert outcome.courier_name in {"Delhivery Surface", "Ecom Express Surface"}


def test_duplicate_confirmation_is_a_no_op() -> None:
    world = World()
    first = world.run()
    calls_before = (sum(world.shiprocket.calls.values()), sum(world.zoho.calls.values()))
    second = world.run()
    third = world.run()

    assert second.awb == third.awb == first.awb
    assert second.detail == "duplicate"
    assert (sum(world.shiprocket.calls.values()), sum(world.zoho.calls.values())) == calls_before
    assert len(world.shiprocket.orders) == 1


def test_refused_awb_falls_back_down_the_ranking_without_a_new_order() -> None:
    shiprocket = FakeShiprocket()
    world = World(shiprocket=shiprocket)
    first_choice = CourierRules.default().rank(shiprocket.quotes, _order(world))[0]
    shiprocket.refusing[first_choice.courier_company_id] = "Pincode blocked for COD"

    outcome = world.run()

    assert outcome.state == JobState.SYNCED
    assert outcome.courier_name != first_choice.courier_name
    assert len(shiprocket.orders) == 1
    refusals = world.ledger.entries[SO_ID]["refusals"]
    assert refusals[0]["reason"] == "Pincode blocked for COD"
    assert world.metrics.counts["AwbFallbacks"] == 0  # the wrapper refusal is recorded, the next assign works


def test_every_courier_refusing_marks_awb_failed_and_names_each_refusal() -> None:
    shiprocket = FakeShiprocket()
    for q in shiprocket.quotes:
        shiprocket.refusing[q.courier_company_id] = f"{q.courier_name} says no"
    world = World(shiprocket=shiprocket)

    outcome = world.run()

    assert outcome.state == JobState.AWB_FAILED
    assert world.zoho.custom_fields[SO_ID] == {"cf_shipment_status": "AWB Failed"}
    [page] = world.alerts.pages
    assert page["kind"] == "AwbFailed"
    for q in shiprocket.quotes:
        assert f"{q.courier_name} says no" in page["message"]
    assert world.metrics.counts["AwbFailed"] == 1
    assert len(shiprocket.orders) == 1


def test_unserviceable_marks_the_order_and_pages_ops() -> None:
    world = World(shiprocket=FakeShiprocket(quotes=[]))
    outcome = world.run()
    assert outcome.state == JobState.NOT_SERVICEABLE
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Serviceability Failed"
    assert world.alerts.pages[0]["kind"] == "ServiceabilityFailed"
    assert world.shiprocket.calls["wrapper"] == 0


def test_cod_only_couriers_without_cod_are_not_serviceable_for_cod() -> None:
    world = World(shiprocket=FakeShiprocket(quotes=[quote(7, "Blue Dart Air", 90, cod=0)]))
    assert world.run().state == JobState.NOT_SERVICEABLE


@pytest.mark.parametrize(
    ("override", "field"),
    [
        (
            {"shipping_address": {"address": "x", "city": "Pune", "state": "MH", "zip": "4110", "phone": "9845012345"}},
            "pincode",
        ),
        (
            {"shipping_address": {"address": "x", "city": "Pune", "state": "MH", "zip": "411001", "phone": "12345"}},
            "phone",
        ),
        ({"line_items": []}, "line_items"),
    ],
)
def test_invalid_order_is_marked_not_retried_and_names_the_field(override: dict[str, Any], field: str) -> None:
    so = salesorder(**override, contact_person_details=[])
    world = World(so=so)
    outcome = world.run()

    assert outcome.state == JobState.INVALID
    assert world.zoho.custom_fields[SO_ID] == {"cf_shipment_status": "Invalid Order"}
    assert field in world.alerts.pages[0]["message"]
    assert world.shiprocket.calls == {}
    # The same (unchanged) order again: nothing more happens.
    world.run()
    assert len(world.alerts.pages) == 1


def test_invalid_order_fixed_and_confirmed_again_ships() -> None:
    world = World(so=salesorder(line_items=[]))
    assert world.run().state == JobState.INVALID
    world.zoho.salesorders[SO_ID] = salesorder(last_modified_time="2024-06-01T11:00:00+0530")
    assert world.run().state == JobState.SYNCED


def test_orphan_order_continues_from_the_ledger_after_a_failure() -> None:
    world = World()
    world.shiprocket.fail_wrapper_after_create = True
    world.shiprocket.refusing = {}

    def failing_pickup(shipment_id: int) -> Any:
        raise TransientError("pickup endpoint 503")

    world.shiprocket.generate_pickup = failing_pickup  # type: ignore[method-assign]
    with pytest.raises(TransientError):
        world.run()
    assert world.ledger.entries[SO_ID]["sr_order_id"] is not None
    assert world.ledger.entries[SO_ID]["awb"] is not None

    del world.shiprocket.generate_pickup  # back to the real fake method
    world.shiprocket.fail_wrapper_after_create = False
    outcome = world.run()

    assert outcome.state == JobState.SYNCED
    assert len(world.shiprocket.orders) == 1
    assert world.shiprocket.calls["wrapper"] == 1  # the retry did not create again
    assert world.shiprocket.calls["pickup"] == 1


@pytest.mark.parametrize("step", ["assign", "pickup", "label"])
def test_a_step_whose_answer_was_lost_completes_on_the_retry(step: str) -> None:
    # Issue 9, gap 2: the retry of an AWB or a pickup that went through is answered "already done"; that
    # completes the step (read back from orders/show), it never refuses a courier or fails the order.
    world = World()
    world.shiprocket.fail_wrapper_after_create = True
    world.shiprocket.lose_answer = {step}
    with pytest.raises(TransientError):
        world.run()

    world.shiprocket.fail_wrapper_after_create = False
    outcome = world.run()

    assert outcome.state == JobState.SYNCED
    record = world.shiprocket.orders["SO-01042"]
    assert outcome.awb == record["awb"]
    assert world.zoho.custom_fields[SO_ID]["cf_awb_number"] == record["awb"]
    entry = world.ledger.entries[SO_ID]
    assert (entry["pickup_requested"], entry["label_generated"]) == (True, True)
    assert world.alerts.pages == []
    # One AWB and one pickup for the shipment; the label may be asked twice (it is regenerated, never refused).
    assert world.shiprocket.calls["assign"] == (2 if step == "assign" else 1)
    assert world.shiprocket.calls["pickup"] == (2 if step == "pickup" else 1)
    assert world.shiprocket.calls["get_order"] == (1 if step in ("assign", "pickup") else 0)
    if step == "pickup":
        assert entry["pickup_status"] == "PICKUP SCHEDULED"
    # The "already assigned" answer is not a courier refusal: no courier was skipped because of it.
    assert all("already" not in refusal["reason"].lower() for refusal in entry["refusals"])


def test_a_sales_order_read_without_its_packages_is_not_taken_as_having_none() -> None:
    # The packages list guards against a second Zoho package: an answer without it raises, nothing is created.
    so = salesorder()
    world = World(so=ZohoSalesOrder.model_validate(so.model_dump(exclude={"packages"})))

    outcome = world.run()

    assert outcome.state == JobState.FAILED
    assert world.zoho.calls["create_package"] == 0
    assert world.zoho.custom_fields[SO_ID]["cf_shipment_status"] == "Shipping Failed"
    [page] = world.alerts.pages
    assert "without its packages" in page["message"]


def test_cancelled_upstream_order_is_recreated_under_a_suffixed_reference() -> None:
    world = World()
    world.shiprocket.orders["SO-01042"] = {"sr_order_id": 1, "shipment_id": 2, "status": "CANCELED", "awb": None}

    outcome = world.run()

    assert outcome.state == JobState.SYNCED
    assert "SO-01042-R1" in world.shiprocket.orders
    entry = world.ledger.entries[SO_ID]
    assert entry["order_ref"] == "SO-01042-R1"
    assert entry["recreate_count"] == 1
    assert entry["sr_order_id"] == world.shiprocket.orders["SO-01042-R1"]["sr_order_id"]


def test_zoho_package_made_by_a_dead_attempt_is_reused_not_duplicated() -> None:
    world = World()
    calls = 0
    real = world.zoho.create_shipment_order

    def flaky_shipment(*args: Any, **kwargs: Any) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TransientError("Zoho 500")
        return real(*args, **kwargs)

    world.zoho.create_shipment_order = flaky_shipment  # type: ignore[method-assign]
    # Lose the ledger's memory of the package, as if the process died right after creating it.
    with pytest.raises(TransientError):
        world.run()
    world.ledger.entries[SO_ID]["zoho_package_id"] = None

    assert world.run().state == JobState.SYNCED
    assert world.zoho.calls["create_package"] == 1
    assert len(world.zoho.shipments) == 1


def test_sweep_redrives_stuck_orders_and_alerts_once() -> None:
    ledger = MemoryLedger()
    ledger.ensure("1", "SO-1")
    ledger.ensure("2", "SO-2")
    ledger.close_job("2", state=JobState.SYNCED)
    queued: list[dict[str, str]] = []
    alerts = RecordingAlerts()
    sweep = StuckOrderSweep(
        ledger=ledger,
        enqueue=queued.append,
        alerts=alerts,
        metrics=CountingMetrics(),
        stuck_after=timedelta(minutes=15),
        alert_after=timedelta(minutes=60),
        clock=lambda: datetime(2025, 1, 11, 12, 0, tzinfo=UTC),
    )

    assert sweep.run() == {"redriven": 1, "alerted": 1}
    assert queued == [OrderMessage(salesorder_id="1", salesorder_number="SO-1", source="sweep")]
    assert "SO-1" in alerts.pages[0]["message"]
    assert sweep.run() == {"redriven": 1, "alerted": 0}  # re-driven again, but paged only once
    assert len(alerts.pages) == 1


def _order(world: World) -> Any:
    from shipsync.orders.mapping import to_shiprocket_order

    so = world.zoho.salesorders[SO_ID]
    return to_shiprocket_order(so, {ITEM.item_id: ITEM}, MappingOptions(pickup_location="Primary"))


def test_a_request_shiprocket_refuses_marks_the_order_and_pages_instead_of_retrying() -> None:
    world = World()

    def refuse(order: Any, **kwargs: Any) -> Any:
        raise ProviderRequestError("shiprocket", "Wrong Pickup location entered", http_status=422)

    world.shiprocket.create_forward_shipment = refuse  # type: ignore[method-assign]

    outcome = world.run()

    assert outcome.state == JobState.FAILED
    assert world.zoho.custom_fields[SO_ID] == {"cf_shipment_status": "Shipping Failed"}
    entry = world.ledger.entries[SO_ID]
    assert (entry["state"], entry["shipment_status"]) == ("failed", "Shipping Failed")
    assert "Wrong Pickup location entered" in entry["failure_reason"]
    assert SO_ID not in world.ledger.awaiting
    [page] = world.alerts.pages
    assert (page["kind"], page["subject"]) == ("OrderFailed", "Shipping Failed: SO-01042")
    assert "Wrong Pickup location entered" in page["message"]
    assert world.metrics.counts["OrderFailed"] == 1

    # The same order confirmed again, unchanged: not looked at; edited in Zoho: tried again.
    assert world.run().detail == "unchanged since it failed"
    del world.shiprocket.create_forward_shipment
    world.zoho.salesorders[SO_ID] = world.zoho.salesorders[SO_ID].model_copy(
        update={"last_modified_time": "2025-01-11T16:00:00+0530"}
    )
    assert world.run().state == JobState.SYNCED


# ------------------------------------------------------------------ the webhook's own sales order (issue 16)


def test_a_fresh_job_ships_from_the_webhooks_sales_order_without_reading_it_again() -> None:
    world = World()
    snapshot = world.zoho.salesorders[SO_ID].model_dump(mode="json")

    outcome = world.run(snapshot)

    assert outcome.state == JobState.SYNCED
    assert world.zoho.calls["get_salesorder"] == 0
    assert world.metrics.counts["SalesOrderFromWebhook"] == 1
    assert world.zoho.custom_fields[SO_ID]["cf_awb_number"] == outcome.awb
    assert len(world.zoho.packages) == 1


def test_a_retried_job_reads_the_order_even_with_the_webhooks_copy() -> None:
    # The first attempt wrote to Shiprocket and died: only Zoho can say what the Zoho side holds now.
    world = World()
    snapshot = world.zoho.salesorders[SO_ID].model_dump(mode="json")
    world.shiprocket.fail_wrapper_after_create = True
    world.shiprocket.lose_answer = {"pickup"}
    with pytest.raises(TransientError):
        world.run(snapshot)
    world.shiprocket.fail_wrapper_after_create = False

    outcome = world.run(snapshot)

    assert outcome.state == JobState.SYNCED
    assert world.zoho.calls["get_salesorder"] == 1
    assert len(world.shiprocket.orders) == 1


def test_a_copy_of_another_order_is_not_taken_for_this_one() -> None:
    world = World()
    other = world.zoho.salesorders[SO_ID].model_dump(mode="json") | {"salesorder_id": "1947583000000999999"}

    world.run(other)

    assert world.zoho.calls["get_salesorder"] == 1
