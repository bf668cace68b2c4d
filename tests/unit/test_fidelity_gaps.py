"""The gaps of issue 9: answers shaped as the live services send them, where the old code failed.

Each section names its gap; every test here failed before its fix. The bodies are the providers'
published examples (``tests/contract/published/``) or realistic variations of them, with the
variation named at the call site.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.mapping import MappingOptions, to_shiprocket_order
from shipsync.domain.models import ZohoItem, ZohoSalesOrder
from shipsync.errors import AwbAlreadyAssigned, AwbRefused, InvalidOrder, ProviderRequestError
from tests.fixtures.reference import zoho_item_a, zoho_salesorder_a

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
