"""Customer returns (POST /returns): validation, the Shiprocket return order (customer -> our
warehouse), courier fallback, idempotent repeats, and the route through the real handler."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from shipsync.domain.models import CreatedOrder, ShiprocketReturnOrder, ZohoSalesOrder
from shipsync.errors import AllCouriersRefused, InvalidOrder, NotConfigured, ProviderRequestError
from shipsync.ledger.restock import DynamoRestockLedger
from shipsync.returns.customer_return import (
    CustomerReturnService,
    ReturnRequest,
    Warehouse,
    parse_return_request,
)
from shipsync.routes import WebhookRejected
from tests.fixtures.lambda_app import LambdaContext, load_app
from tests.unit.order_fakes import CountingMetrics
from tests.unit.returns_fakes import (
    AWB,
    MUG_LINE,
    SO_ID,
    SO_NUMBER,
    TEE_LINE,
    FakeReturnsShiprocket,
    FakeReturnsZoho,
    MemoryRestockLedger,
    WorkerDied,
    salesorder,
)
from tests.unit.test_ledger import ledger_table_properties

ROOT = Path(__file__).resolve().parents[2]
EVENTS = ROOT / "events" / "rto_restock"
WAREHOUSE = Warehouse(
    name="Shipsync Returns Desk",
    address="Plot 22, MIDC Bhosari",
    city="Pune",
    state="Maharashtra",
    pincode="411026",
    phone="9822012345",
    email="returns@seller.example",
)


class World:
    def __init__(self, so: ZohoSalesOrder | None = None, *, shipped: bool = True) -> None:
        self.zoho = FakeReturnsZoho([so or salesorder()])
        self.shiprocket = FakeReturnsShiprocket()
        self.ledger = MemoryRestockLedger()
        if shipped:
            self.ledger.ship(SO_ID, SO_NUMBER, AWB)
        else:
            self.ledger.ensure(SO_ID, SO_NUMBER)
        self.metrics = CountingMetrics()
        self.service = CustomerReturnService(
            zoho=self.zoho, shiprocket=self.shiprocket, ledger=self.ledger, warehouse=WAREHOUSE, metrics=self.metrics
        )

    def book(self, **body: Any) -> Any:
        return self.service.create(ReturnRequest.model_validate(body))

    def the_order(self) -> ShiprocketReturnOrder:
        (record,) = self.shiprocket.orders.values()
        order = record["order"]
        assert isinstance(order, ShiprocketReturnOrder)
        return order


def rejected(world: World, **body: Any) -> WebhookRejected:
    with pytest.raises(WebhookRejected) as info:
        world.book(**body)
    return info.value


# ------------------------------------------------------------------------------ happy path


def test_return_of_one_line_books_a_pickup_from_the_customer_to_our_warehouse() -> None:
    world = World()
    booked = world.book(salesorder_number=SO_NUMBER, lines=[{"sku": "tee-blk-m", "quantity": 1}], reason="Too small")

    order = world.the_order()
    assert order.order_id == f"{SO_NUMBER}-RET1"
    assert (order.pickup_customer_name, order.pickup_last_name) == ("Ananya", "Iyer")
    assert order.pickup_phone == "9845012345"
    assert (order.pickup_pincode, order.pickup_city, order.pickup_state) == ("560038", "Bengaluru", "Karnataka")
    assert order.pickup_email == "ananya.iyer@example.in"
    assert (order.shipping_customer_name, order.shipping_pincode) == (WAREHOUSE.name, "411026")
    assert [(i.sku, i.units, i.selling_price) for i in order.order_items] == [("TEE-BLK-M", 1, 670.88)]
    assert order.sub_total == 670.88
    assert order.payment_method == "Prepaid"

    (args,) = world.shiprocket.serviceability_args
    assert args["is_return"] is True
    assert args["cod"] is False
    assert (args["pickup_postcode"], args["delivery_postcode"]) == ("560038", "411026")
    assert args["declared_value"] == 670.88

    # Cheapest first; the 78.50 tie goes to the faster courier; the blocked one is never tried.
    assert booked.courier == "DTDC Reverse"
    assert booked.body() == {
        "salesorder_number": SO_NUMBER,
        "return_order_id": f"{SO_NUMBER}-RET1",
        "awb": booked.awb,
        "courier": "DTDC Reverse",
    }
    assert booked.created is True
    awb_item = world.ledger.awbs[booked.awb]
    assert awb_item["is_return"] is True
    assert awb_item["salesorder_id"] == SO_ID
    assert awb_item["return_ref"] == f"{SO_NUMBER}-RET1"
    assert awb_item["lines"] == [{"salesorder_item_id": TEE_LINE, "item_id": "1947583000000045021", "quantity": 1.0}]
    assert awb_item["reason"] == "Too small"
    assert world.metrics.counts["CustomerReturnsBooked"] == 1


def test_an_unconfigured_warehouse_refuses_every_return_before_any_call() -> None:
    world = World()
    world.service = CustomerReturnService(
        zoho=world.zoho,
        shiprocket=world.shiprocket,
        ledger=world.ledger,
        warehouse=Warehouse(name="", address="", city="Pune", state="", pincode="411026", phone=""),
        metrics=world.metrics,
    )
    with pytest.raises(NotConfigured) as raised:
        world.book(salesorder_number=SO_NUMBER)
    assert "WAREHOUSE_NAME" in str(raised.value)
    assert "WAREHOUSE_CITY" not in str(raised.value)
    assert world.shiprocket.orders == {}


def test_without_lines_every_shipped_unit_comes_back() -> None:
    world = World()
    world.book(salesorder_id=SO_ID)

    order = world.the_order()
    assert [(i.sku, i.units) for i in order.order_items] == [("TEE-BLK-M", 2), ("MUG-WHT", 1)]
    assert order.weight == 1.5
    (awb_item,) = (v for v in world.ledger.awbs.values() if v.get("is_return"))
    assert [line["salesorder_item_id"] for line in awb_item["lines"]] == [TEE_LINE, MUG_LINE]
    assert awb_item["reason"] == "Customer return"


def test_a_refusing_courier_falls_back_to_the_next_cheapest() -> None:
    world = World()
    world.shiprocket.refusing[10] = "pickup pincode not covered"
    booked = world.book(salesorder_number=SO_NUMBER, lines=[{"salesorder_item_id": MUG_LINE, "quantity": 1}])

    assert booked.courier == "Ekart Reverse"
    (record,) = world.ledger.return_records[SO_ID].values()
    assert record["refusals"] == [
        {"courier_id": 10, "courier_name": "DTDC Reverse", "reason": "pickup pincode not covered"}
    ]


def test_every_courier_refusing_raises() -> None:
    world = World()
    world.shiprocket.refusing.update({10: "no", 51: "no", 43: "no"})
    with pytest.raises(AllCouriersRefused):
        world.book(salesorder_number=SO_NUMBER)


# ------------------------------------------------------------------------------ idempotency


def test_repeating_the_same_request_returns_the_booked_return() -> None:
    world = World()
    body = {"salesorder_number": SO_NUMBER, "lines": [{"sku": "MUG-WHT", "quantity": 1}]}
    first = world.book(**body)
    again = world.book(**body)

    assert again.body() == first.body()
    assert again.created is False
    assert world.shiprocket.calls["create_return_order"] == 1
    assert world.shiprocket.calls["assign_awb"] == 1
    assert world.zoho.calls["get_salesorder"] == 1  # the repeat is answered from the ledger alone


def test_a_request_id_identifies_the_request_whatever_its_lines() -> None:
    world = World()
    first = world.book(salesorder_number=SO_NUMBER, lines=[{"sku": "MUG-WHT", "quantity": 1}], request_id="T-1")
    again = world.book(salesorder_number=SO_NUMBER, request_id="T-1")
    assert again.awb == first.awb
    assert len(world.shiprocket.orders) == 1


def test_a_second_return_gets_the_next_number_and_only_what_is_left() -> None:
    world = World()
    world.book(salesorder_number=SO_NUMBER, lines=[{"sku": "TEE-BLK-M", "quantity": 1}])
    second = world.book(salesorder_number=SO_NUMBER, lines=[{"sku": "TEE-BLK-M", "quantity": 1}], request_id="2")
    assert second.return_order_id == f"{SO_NUMBER}-RET2"

    err = rejected(world, salesorder_number=SO_NUMBER, lines=[{"sku": "TEE-BLK-M", "quantity": 1}], request_id="3")
    assert (err.status, err.field) == (400, "lines.0.quantity")
    world.book(salesorder_number=SO_NUMBER, request_id="4")  # the mug is all that is left
    assert [i.sku for i in world.shiprocket.orders[f"{SO_NUMBER}-RET3"]["order"].order_items] == ["MUG-WHT"]
    err = rejected(world, salesorder_number=SO_NUMBER, request_id="5")
    assert err.status == 409


def test_a_crash_after_the_order_was_created_resumes_without_a_second_order() -> None:
    world = World()
    real_assign = world.shiprocket.assign_awb
    calls = {"n": 0}

    def dies_once(shipment_id: int, courier_id: int, *, is_return: bool = False) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerDied("assign")
        return real_assign(shipment_id, courier_id, is_return=is_return)

    world.shiprocket.assign_awb = dies_once  # type: ignore[method-assign]
    with pytest.raises(WorkerDied):
        world.book(salesorder_number=SO_NUMBER)
    booked = world.book(salesorder_number=SO_NUMBER)

    assert booked.return_order_id == f"{SO_NUMBER}-RET1"
    assert world.shiprocket.calls["create_return_order"] == 1
    assert world.shiprocket.calls["serviceability"] == 1


def test_duplicate_order_id_counts_as_created_when_the_ledger_has_it() -> None:
    world = World()
    real_create = world.shiprocket.create_return_order

    def raced(order: ShiprocketReturnOrder) -> CreatedOrder:
        # A concurrent duplicate request created the order and recorded it first.
        created = real_create(order)
        (key,) = world.ledger.return_records[SO_ID]
        world.ledger.save_return(SO_ID, key, sr_order_id=created.sr_order_id, shipment_id=created.shipment_id)
        return real_create(order)

    world.shiprocket.create_return_order = raced  # type: ignore[method-assign]
    booked = world.book(salesorder_number=SO_NUMBER)
    assert booked.return_order_id == f"{SO_NUMBER}-RET1"
    assert len(world.shiprocket.orders) == 1


def test_duplicate_order_id_unknown_to_the_ledger_is_a_conflict() -> None:
    world = World()
    world.shiprocket.orders[f"{SO_NUMBER}-RET1"] = {"sr_order_id": 1, "shipment_id": 2, "awb": None}
    err = rejected(world, salesorder_number=SO_NUMBER)
    assert err.status == 409


def test_another_taken_field_is_not_a_duplicate_order_id() -> None:
    world = World()
    taken = "The pickup location has already been taken."

    def refused(order: ShiprocketReturnOrder) -> CreatedOrder:
        raise ProviderRequestError("shiprocket", taken, http_status=422, field_errors={"pickup_location": [taken]})

    world.shiprocket.create_return_order = refused  # type: ignore[method-assign]
    with pytest.raises(ProviderRequestError, match="pickup location"):
        world.book(salesorder_number=SO_NUMBER)
    (record,) = world.ledger.return_records[SO_ID].values()
    assert record.get("shipment_id") is None


# ------------------------------------------------------------------------------ refusals


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"lines": [{"sku": "TEE-BLK-M", "quantity": 1}]}, "body"),
        ({"salesorder_number": SO_NUMBER, "lines": []}, "lines"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "TEE-BLK-M", "quantity": 0}]}, "lines.0.quantity"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "TEE-BLK-M", "quantity": "two"}]}, "lines.0.quantity"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"quantity": 1}]}, "lines.0"),
        (
            {"salesorder_number": SO_NUMBER, "lines": [{"sku": "A", "salesorder_item_id": "1", "quantity": 1}]},
            "lines.0",
        ),
        ({"salesorder_id": "SO-01042"}, "salesorder_id"),
        ({"salesorder_number": SO_NUMBER, "colour": "red"}, "colour"),
        ({"salesorder_number": SO_NUMBER, "reason": "x" * 501}, "reason"),
        # Strict types at the edge: a number as text, a boolean or a dict is a client bug, named.
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "A", "quantity": "1"}]}, "lines.0.quantity"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "A", "quantity": True}]}, "lines.0.quantity"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": {"a": 1}, "quantity": 1}]}, "lines.0.sku"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "A", "quantity": 10**6}]}, "lines.0.quantity"),
        ({"salesorder_number": 1042}, "salesorder_number"),
    ],
)
def test_invalid_requests_are_400_naming_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(WebhookRejected) as info:
        parse_return_request(json.dumps(body))
    assert (info.value.status, info.value.field) == (400, field)


@pytest.mark.parametrize(("raw", "status"), [("", 400), ("[1]", 400), ("{nope", 400), ("{}" + " " * 70000, 413)])
def test_unusable_bodies(raw: str, status: int) -> None:
    from types import SimpleNamespace

    from shipsync.request_body import read_text

    with pytest.raises(WebhookRejected) as info:
        parse_return_request(read_text(SimpleNamespace(body=raw, is_base64_encoded=False), 65536))
    assert info.value.status == status


def test_unknown_lines_and_too_many_units_are_400() -> None:
    world = World()
    err = rejected(world, salesorder_number=SO_NUMBER, lines=[{"sku": "HAT-RED", "quantity": 1}])
    assert (err.status, err.field) == (400, "lines.0.sku")
    err = rejected(world, salesorder_number=SO_NUMBER, lines=[{"salesorder_item_id": "999", "quantity": 1}])
    assert (err.status, err.field) == (400, "lines.0.salesorder_item_id")
    err = rejected(
        world,
        salesorder_number=SO_NUMBER,
        lines=[{"sku": "TEE-BLK-M", "quantity": 2}, {"salesorder_item_id": TEE_LINE, "quantity": 1}],
    )
    assert (err.status, err.field) == (400, "lines.1.quantity")
    assert world.shiprocket.calls == {}


def test_unknown_sales_orders_are_404() -> None:
    world = World()
    err = rejected(world, salesorder_number="SO-99999")
    assert (err.status, err.field) == (404, "salesorder_number")
    err = rejected(world, salesorder_id="1947583000000999999")
    assert (err.status, err.field) == (404, "salesorder_id")


def test_an_order_not_shipped_yet_is_409() -> None:
    world = World(shipped=False)
    err = rejected(world, salesorder_number=SO_NUMBER)
    assert err.status == 409
    assert "not shipped yet" in err.message
    assert world.shiprocket.calls == {}


def test_a_customer_without_a_usable_mobile_is_an_invalid_order() -> None:
    so = salesorder()
    assert so.shipping_address is not None
    so.shipping_address.phone = "080 2345 678"
    so.contact_person_details = []
    world = World(so)
    with pytest.raises(InvalidOrder) as info:
        world.book(salesorder_number=SO_NUMBER)
    assert info.value.field == "pickup_phone"


# ------------------------------------------------------------------------------ DynamoDB records


@pytest.fixture
def dynamo_ledger(aws_env: None) -> DynamoRestockLedger:
    boto3.client("dynamodb").create_table(TableName="ledger", **ledger_table_properties())
    return DynamoRestockLedger("ledger")


def test_dynamodb_return_numbers_are_per_request_and_steps_are_kept(dynamo_ledger: DynamoRestockLedger) -> None:
    lines = [{"salesorder_item_id": TEE_LINE, "quantity": 1.0}]
    first = dynamo_ledger.reserve_return(SO_ID, "key-a", lines=lines, reason="Too small")
    again = dynamo_ledger.reserve_return(SO_ID, "key-a", lines=[], reason="ignored")
    second = dynamo_ledger.reserve_return(SO_ID, "key-b", lines=lines, reason="x")
    dynamo_ledger.save_return(SO_ID, "key-a", shipment_id=170411259, ranking=[{"courier_id": 10, "courier_name": "D"}])

    assert (first["n"], again["n"], second["n"]) == (1, 1, 2)
    assert again["reason"] == "Too small"
    records = dynamo_ledger.returns(SO_ID)
    assert records["key-a"]["shipment_id"] == 170411259
    assert records["key-a"]["lines"] == lines
    assert records["key-a"]["ranking"] == [{"courier_id": 10, "courier_name": "D"}]
    assert dynamo_ledger.returns("other") == {}


def test_customer_return_over_dynamodb(dynamo_ledger: DynamoRestockLedger) -> None:
    from shipsync.ledger.dynamo import DynamoLedger

    forward = DynamoLedger("ledger")
    entry = forward.ensure(SO_ID, SO_NUMBER)
    entry.sr_order_id, entry.shipment_id = 1, 2
    forward.record_awb(entry, awb=AWB, courier_id=43, courier_name="Delhivery Surface")
    world = World()
    world.service.ledger = dynamo_ledger

    first = world.service.create(ReturnRequest(salesorder_number=SO_NUMBER))
    again = world.service.create(ReturnRequest(salesorder_number=SO_NUMBER))

    assert again.awb == first.awb
    assert world.shiprocket.calls["create_return_order"] == 1
    item = forward.find_by_awb(first.awb)
    assert item is not None
    assert item.is_return is True
    assert item.return_ref == f"{SO_NUMBER}-RET1"
    assert [line.quantity for line in item.lines] == [2, 1]


# ------------------------------------------------------------------------------ the handler


@pytest.fixture
def handler_world(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    from shipsync.returns import wiring as returns_wiring

    world = World()
    monkeypatch.setattr(returns_wiring, "customer_return_service", lambda metrics: world.service)
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "shipsync")
    monkeypatch.setenv("MAX_REQUEST_BODY_BYTES", "4096")
    returns_wiring.settings.cache_clear()
    yield world
    returns_wiring.settings.cache_clear()


def api_event(body: Any = None) -> dict[str, Any]:
    event = dict(json.loads((EVENTS / "api_returns.json").read_text()))
    if body is not None:
        event["body"] = body if isinstance(body, str) else json.dumps(body)
    return event


def invoke(event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    result = load_app("rto_restock").lambda_handler(event, LambdaContext("shipsync-test-rto-restock"))
    return int(result["statusCode"]), json.loads(result["body"])


def test_route_books_the_sample_request_and_repeats_it_idempotently(handler_world: World) -> None:
    status, body = invoke(api_event())
    assert status == 201
    assert body["salesorder_number"] == SO_NUMBER
    assert body["return_order_id"] == f"{SO_NUMBER}-RET1"
    assert body["courier"] == "DTDC Reverse"
    assert handler_world.ledger.awbs[body["awb"]]["reason"] == "Size too small"

    assert invoke(api_event()) == (201, body)
    assert handler_world.shiprocket.calls["create_return_order"] == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ("", 400, "body"),
        ({"salesorder_number": SO_NUMBER, "lines": [{"sku": "TEE-BLK-M"}]}, 400, "lines.0.quantity"),
        ({"salesorder_number": "SO-404"}, 404, "salesorder_number"),
        ({"salesorder_number": SO_NUMBER, "reason": "x" * 450, "request_id": "y" * 99, "pad": "z" * 4000}, 413, "body"),
    ],
)
def test_route_maps_refusals_to_4xx(handler_world: World, body: Any, status: int, field: str) -> None:
    code, answer = invoke(api_event(body))
    assert (code, answer["field"]) == (status, field)
    assert handler_world.shiprocket.calls == {}


def test_route_maps_domain_and_provider_errors(handler_world: World) -> None:
    so = handler_world.zoho.salesorders[SO_ID]
    assert so.shipping_address is not None
    so.shipping_address.zip = "56003"
    code, answer = invoke(api_event({"salesorder_number": SO_NUMBER}))
    assert (code, answer["field"]) == (422, "pickup_pincode")

    so.shipping_address.zip = "560038"

    def down(order: ShiprocketReturnOrder) -> CreatedOrder:
        raise ProviderRequestError("shiprocket", "Oops! Something went wrong", http_status=400)

    handler_world.shiprocket.create_return_order = down  # type: ignore[method-assign]
    code, answer = invoke(api_event({"salesorder_number": SO_NUMBER}))
    assert code == 502
    assert "Something went wrong" in answer["error"]
