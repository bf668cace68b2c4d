"""The gaps of issue 9: answers shaped as the live services send them, where the old code failed.

Each section names its gap; every test here failed before its fix. The bodies are the providers'
published examples (``tests/contract/published/``) or realistic variations of them, with the
variation named at the call site.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import (
    ShiprocketReturnOrder,
    ZohoItem,
    ZohoSalesOrder,
)
from shipsync.domain.statuses import ShipmentStatus
from shipsync.errors import AwbAlreadyAssigned, AwbRefused, InvalidOrder, OrderIdTaken, ProviderRequestError
from shipsync.orders.mapping import MappingOptions, to_shiprocket_order
from shipsync.tracking.events import parse_webhook
from tests.fixtures import published
from tests.fixtures.reference import shiprocket_return_order, zoho_item_a, zoho_salesorder_a

API = "https://www.zohoapis.in"
SHIPROCKET = "https://apiv2.shiprocket.in/v1/external"
ORG = "60012345678"
SO_ID = "1947583000000123001"
ITEM_ID = "1947583000000045021"
INVOICE_ID = "1947583000000131077"

# Unset package details as Zoho sends them on items and on sales-order lines: every number an empty string.
BLANK_PACKAGE = {"length": "", "width": "", "height": "", "weight": "", "weight_unit": "kg", "dimension_unit": "cm"}


def _auth() -> ZohoAuth:
    return ZohoAuth(access_token="1000.token", api_domain=API, organization_id=ORG, version=1)


@pytest.fixture
def zoho() -> ZohoClient:
    return ZohoClient(_auth, session=new_session(), item_cache=ItemCache())


@pytest.fixture
def shiprocket() -> ShiprocketClient:
    return ShiprocketClient(SHIPROCKET, lambda: ("jwt", 1), session=new_session())


# ------------------------------------------------------------------ gap 1: blank numbers are unset


def test_an_item_with_blank_package_details_reads_as_unset(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    body = {"code": 0, "message": "success", "item": zoho_item_a(package_details=BLANK_PACKAGE, rate="")}
    rsps.get(f"{API}/inventory/v1/items/{ITEM_ID}", json=body)

    item = zoho.get_item(ITEM_ID)

    assert item.package_details is not None
    details = item.package_details
    assert (details.length, details.width, details.height, details.weight) == (None, None, None, None)
    assert item.rate is None


def test_a_sales_order_whose_lines_carry_blank_package_details_reads(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    order = zoho_salesorder_a()
    order["line_items"][0].update(package_details=BLANK_PACKAGE, discount="", tax_percentage="")
    order["shipping_charge"] = ""
    rsps.get(f"{API}/inventory/v1/salesorders/{SO_ID}", json={"code": 0, "message": "success", "salesorder": order})

    read = zoho.get_salesorder(SO_ID)

    assert read.line_items[0].tax_percentage is None
    assert read.shipping_charge is None
    assert read.total == 1341.76


def test_blank_dimensions_ship_on_the_default_weight_and_box() -> None:
    so = ZohoSalesOrder.model_validate(zoho_salesorder_a())
    item = ZohoItem.model_validate(zoho_item_a(package_details=copy.deepcopy(BLANK_PACKAGE)))

    order = to_shiprocket_order(so, {ITEM_ID: item}, MappingOptions(pickup_location="Pune-WH1"))

    # Two units at the 0.5 kg default; two 10 cm default cubes stacked.
    assert order.weight == 1.0
    assert (order.length, order.breadth, order.height) == (10.0, 10.0, 20.0)


def test_a_blank_order_total_is_refused_rather_than_collected_as_zero() -> None:
    so = ZohoSalesOrder.model_validate(zoho_salesorder_a(total=""))

    with pytest.raises(InvalidOrder) as refused:
        to_shiprocket_order(so, {}, MappingOptions(pickup_location="Pune-WH1"))

    assert refused.value.field == "total"


@pytest.mark.parametrize("balance", [{"balance": ""}, {}], ids=["blank", "absent"])
def test_an_invoice_without_a_readable_balance_is_an_error_not_a_zero(
    rsps: responses.RequestsMock, zoho: ZohoClient, balance: dict[str, Any]
) -> None:
    # The balance guards a payment and a credit application: it must be read, never assumed.
    invoice: dict[str, Any] = {"invoice_id": INVOICE_ID, "invoice_number": "INV-1", "total": 1341.76, **balance}
    rsps.get(f"{API}/inventory/v1/invoices/{INVOICE_ID}", json={"code": 0, "message": "success", "invoice": invoice})

    with pytest.raises(ProviderRequestError, match="balance"):
        zoho.get_invoice(INVOICE_ID)


# ------------------------------------------------------------------ gap 2: "already done" completes a retried write

# Both are published answers of POST /courier/generate/pickup (Postman collection, "Generate Pickup" examples
# "Already In PickUp Queue" and "Duplicate Request For Pickup Error").
PICKUP_ALREADY = [
    (400, {"message": "Already in Pickup Queue."}),
    (500, {"message": "Duplicate request for pickup generation"}),
]


@pytest.mark.parametrize(("status", "body"), PICKUP_ALREADY, ids=["400 queue", "500 duplicate"])
def test_a_retried_pickup_answered_already_is_done(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient, status: int, body: dict[str, Any]
) -> None:
    rsps.post(f"{SHIPROCKET}/courier/generate/pickup", status=status, json=body)

    result = shiprocket.generate_pickup(609876543)

    assert result.already_requested
    assert (result.pickup_scheduled_date, result.pickup_token_number) == (None, None)


def test_a_pickup_refused_for_another_reason_still_fails(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    rsps.post(f"{SHIPROCKET}/courier/generate/pickup", status=400, json={"message": "Awb not Assigned"})

    with pytest.raises(ProviderRequestError, match="Awb not Assigned"):
        shiprocket.generate_pickup(609876543)


def test_a_retried_awb_assignment_answered_already_assigned_is_not_a_refusal(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    body = {"awb_assign_status": 0, "response": {"data": {"awb_assign_error": "AWB is already assigned"}}}
    rsps.post(f"{SHIPROCKET}/courier/assign/awb", json=body)

    with pytest.raises(AwbAlreadyAssigned) as already:
        shiprocket.assign_awb(609876543, 43)

    assert not isinstance(already.value, AwbRefused)
    assert already.value.shipment_id == 609876543


def test_a_retried_label_answered_already_generated_is_done(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    # GUESS (no published body): a label refusal whose text says it already exists.
    body = {"label_created": 0, "not_created": [], "response": "Label already generated for the shipment."}
    rsps.post(f"{SHIPROCKET}/courier/generate/label", json=body)

    label = shiprocket.generate_label(609876543)

    assert (label.already_generated, label.label_url) == (True, None)


# ------------------------------------------------------------------ gap 3: the receive answers under "salesreturn"

SALESRETURN_ID = "1947583000000161001"
RECEIVE_ID = "1947583000000165001"


def test_a_receive_answered_under_salesreturn_gives_the_receive_id(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    # Zoho Inventory's spec, create_sales_return_receive: the receive object sits under ``salesreturn`` and
    # carries both ids; only ``receive_id`` is the receive's.
    body = {
        "code": 0,
        "message": "Sales Return Receive Created Successfully",
        "salesreturn": {
            "receive_id": RECEIVE_ID,
            "receive_number": "SR-00001",
            "salesreturn_id": SALESRETURN_ID,
            "salesreturn_number": "RMA-00001",
            "date": "2025-01-21",
            "line_items": [{"line_item_id": "1947583000000165011", "quantity": 2}],
        },
    }
    rsps.post(f"{API}/inventory/v1/salesreturnreceives", status=201, json=body)

    assert zoho.create_salesreturn_receive(SALESRETURN_ID, date="2025-01-21", line_items=[("l1", 2)]) == RECEIVE_ID


def test_a_receive_answer_without_the_receive_is_an_error(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.post(f"{API}/inventory/v1/salesreturnreceives", status=201, json={"code": 0, "message": "done"})

    with pytest.raises(ProviderRequestError, match="salesreturn"):
        zoho.create_salesreturn_receive(SALESRETURN_ID, date="2025-01-21", line_items=[("l1", 2)])


# ------------------------------------------------------------------ gap 4: the payment look-up never fails open

UTR = "UTR-HDFCN24164123456"
PAYMENTS = f"{API}/books/v3/customerpayments"


def _payment_row(**fields: Any) -> dict[str, Any]:
    # A row of the Books spec's list-customer-payments answer, carrying our reference.
    row = {
        "payment_id": "9030000079467",
        "payment_number": "2",
        "invoice_number": "INV-384",
        "date": "2016-06-05",
        "payment_mode": "banktransfer",
        "amount": 450,
        "reference_number": UTR,
    }
    return {**row, **fields}


@pytest.mark.parametrize("key", ["customer_payments", "customerpayments"])
def test_payments_are_found_under_either_list_key(rsps: responses.RequestsMock, zoho: ZohoClient, key: str) -> None:
    rsps.get(PAYMENTS, json={"code": 0, "message": "success", key: [_payment_row()]})

    [payment] = zoho.find_payments_by_reference(UTR)

    assert payment.payment_id == "9030000079467"
    assert payment.invoice_numbers == ["INV-384"]


def test_a_list_answer_without_its_rows_is_an_error_not_no_payment(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    # An answer we cannot read guards a payment: "nothing found" here would pay again on every retry.
    rsps.get(PAYMENTS, json={"code": 0, "message": "success", "payments": [_payment_row()]})

    with pytest.raises(ProviderRequestError, match="customer_payments"):
        zoho.find_payments_by_reference(UTR)


def test_an_empty_list_is_no_payment(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(PAYMENTS, json={"code": 0, "message": "success", "customer_payments": []})

    assert zoho.find_payments_by_reference(UTR) == []


# ------------------------------------------------------------------ gap 7: a 422 is judged by its whole error map


def _return_order() -> ShiprocketReturnOrder:
    return ShiprocketReturnOrder.model_validate(shiprocket_return_order())


# The published "Missing Fields" (422) and "Invalid Data" (422) answers of POST /orders/create/return.
SEVERAL_ERRORS = {
    "message": "Oops! Invalid Data.",
    "errors": {
        "pickup_country": ["The pickup country field is required"],
        "order_id": ["The order id has already been taken."],
    },
    "status_code": 422,
}
ONLY_TAKEN = {"message": "Oops! Invalid Data.", "errors": {"order_id": ["The order id has already been taken."]}}


def test_a_422_listing_a_taken_order_id_and_a_missing_field_is_not_order_id_taken(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    rsps.post(f"{SHIPROCKET}/orders/create/return", status=422, json=SEVERAL_ERRORS)

    with pytest.raises(ProviderRequestError) as refused:
        shiprocket.create_return_order(_return_order())

    assert not isinstance(refused.value, OrderIdTaken)
    assert set(refused.value.field_errors) == {"pickup_country", "order_id"}


def test_a_422_whose_only_error_is_the_taken_order_id_is_order_id_taken(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    rsps.post(f"{SHIPROCKET}/orders/create/return", status=422, json={**ONLY_TAKEN, "status_code": 422})

    with pytest.raises(OrderIdTaken):
        shiprocket.create_return_order(_return_order())


# -------------------------------------------------------------- gap 6: the RTO page names the RTO, not the last scan


def test_an_rto_webhook_without_an_rto_scan_names_the_rto_as_the_reason() -> None:
    event = parse_webhook(published.rto_initiated_webhook())

    assert event.status is ShipmentStatus.RTO_INITIATED
    assert event.reason == "RTO INITIATED"
    # The sample's newest scan is still told, as where the parcel was, not as why it returns.
    assert event.last_activity == "In Transit - Shipment Received at Facility"
    assert event.location == "Mumbai_MiraRdIndEstate_I (Maharashtra)"


# ------------------------------------------------------------------ gap 8: answers as published


@pytest.mark.parametrize("form", ["array", "object"])
def test_a_created_package_is_read_in_the_array_and_the_object_form(
    rsps: responses.RequestsMock, zoho: ZohoClient, form: str
) -> None:
    answer = published.body("zoho", "inventory_packages_create")
    assert isinstance(answer["package"], list)  # the spec's form
    if form == "object":
        answer["package"] = answer["package"][0]
    rsps.post(f"{API}/inventory/v1/packages", status=201, json=answer)

    package_id = zoho.create_package(SO_ID, package_number="PK-SO-01042", date="2025-01-11", line_items=[("l1", 2)])

    assert package_id == "504366000000062100"


def test_two_packages_in_a_create_answer_are_an_error(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    answer = published.body("zoho", "inventory_packages_create")
    answer["package"] = answer["package"] * 2
    rsps.post(f"{API}/inventory/v1/packages", status=201, json=answer)

    with pytest.raises(ProviderRequestError, match="single 'package'"):
        zoho.create_package(SO_ID, package_number="PK-SO-01042", date="2025-01-11", line_items=[("l1", 2)])


def test_mark_delivered_with_a_status_update_error_list_is_a_failure(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    answer = published.body("zoho", "inventory_shipmentorders_delivered")
    answer["data"] = {"statusupdate_error_list": [{"shipment_id": "5005", "message": "Shipment is not yet shipped."}]}
    rsps.post(f"{API}/inventory/v1/shipmentorders/5005/status/delivered", json=answer)

    with pytest.raises(ProviderRequestError, match="not yet shipped"):
        zoho.mark_shipment_delivered("5005")


# ------------------------------------------------------------------ found beyond the list


def test_a_return_awb_is_asked_for_as_a_return(rsps: responses.RequestsMock, shiprocket: ShiprocketClient) -> None:
    # The collection's "Generate AWB for Return Shipment" request marks is_return (1) as required.
    rsps.post(f"{SHIPROCKET}/courier/assign/awb", json=published.body("shiprocket", "courier_assign_awb", status=200))

    shiprocket.assign_awb(280640636, 142, is_return=True)
    shiprocket_forward = json.loads(rsps.calls[0].request.body or "{}")

    assert shiprocket_forward == {"shipment_id": 280640636, "courier_id": 142, "is_return": 1}


def test_a_payment_list_row_without_its_reference_is_read_whole(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    # Books' spec lists payments without reference_number: the row is read in full, never dropped as "not ours".
    rsps.get(PAYMENTS, json=published.body("zoho", "books_customerpayments_list"))
    rsps.get(f"{PAYMENTS}/9030000079467", json=published.body("zoho", "books_customerpayments_get"))

    [payment] = zoho.find_payments_by_reference("INV-384")

    assert (payment.payment_id, payment.reference_number) == ("9030000079467", "INV-384")


@pytest.mark.parametrize(
    ("context", "pages"),
    [
        ([{"has_more_page": True}], 2),  # Books' expenses spec publishes page_context as a list
        ({}, 2),  # silent, and the page is full: there may be another
        (None, 2),
    ],
    ids=["list", "empty", "absent"],
)
def test_a_guard_look_up_reads_on_when_the_page_context_does_not_say_stop(
    rsps: responses.RequestsMock, zoho: ZohoClient, context: Any, pages: int
) -> None:
    expenses = f"{API}/books/v3/expenses"
    full = [{"expense_id": str(i), "reference_number": f"OTHER-{i}"} for i in range(200)]
    first: dict[str, Any] = {"code": 0, "message": "success", "expenses": full}
    if context is not None:
        first["page_context"] = context
    rsps.get(expenses, json=first)
    ours = {"expense_id": "982000000030049", "reference_number": "UTR-1:AWB-1"}
    rsps.get(expenses, json={"code": 0, "message": "success", "expenses": [ours], "page_context": {}})

    assert zoho.find_expenses_by_reference("UTR-1:AWB-1") == ["982000000030049"]
    assert len(rsps.calls) == pages
