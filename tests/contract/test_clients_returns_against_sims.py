"""The issue-3 client calls (tracking, NDR, return orders, sales returns, receives, credit notes)
against the local simulators over real sockets, so a drift between clients and simulators shows here."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD
from local.sim.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORGANIZATION_ID, DEFAULT_REFRESH_TOKEN
from shipsync.clients.auth import shiprocket_login, zoho_refresh_access_token
from shipsync.clients.shiprocket import ShiprocketClient, is_order_id_taken
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import (
    ReturnLine,
    ShiprocketOrder,
    ShiprocketOrderItem,
    ShiprocketReturnOrder,
    ZohoSalesOrder,
)
from shipsync.errors import ProviderRequestError
from shipsync.returns.credit import creditnote_lines

FAST = (1.0, 5.0)


def _sim_post(server: SimServer, path: str, body: dict[str, Any]) -> Any:
    response = requests.post(f"{server.url}{path}", json=body, timeout=FAST)
    response.raise_for_status()
    return response.json()


def _sim_state(server: SimServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}/_sim/state", timeout=FAST)
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


# =============================================================================== Shiprocket

WAREHOUSE_PINCODE = "411001"
CUSTOMER_PINCODE = "560034"


def _shiprocket_client(server: SimServer) -> ShiprocketClient:
    base = f"{server.url}/v1/external"
    token = shiprocket_login(base, DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, timeout=FAST)
    return ShiprocketClient(base, lambda: (token, 1), timeout=FAST)


def _forward_order(order_id: str) -> ShiprocketOrder:
    return ShiprocketOrder(
        order_id=order_id,
        order_date="2025-01-11 16:00",
        pickup_location="Primary",
        billing_customer_name="Ananya",
        billing_last_name="Iyer",
        billing_address="No. 14, 3rd Cross, Indiranagar",
        billing_city="Bengaluru",
        billing_pincode=CUSTOMER_PINCODE,
        billing_state="Karnataka",
        billing_email="ananya.iyer@example.in",
        billing_phone="9876501234",
        order_items=[ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=2, selling_price=599)],
        payment_method="COD",
        sub_total=1198,
        length=20,
        breadth=15,
        height=10,
        weight=0.5,
    )


def _return_order(order_id: str) -> ShiprocketReturnOrder:
    return ShiprocketReturnOrder(
        order_id=order_id,
        order_date="2025-01-20 11:00",
        pickup_customer_name="Ananya",
        pickup_last_name="Iyer",
        pickup_address="No. 14, 3rd Cross, Indiranagar",
        pickup_city="Bengaluru",
        pickup_state="Karnataka",
        pickup_pincode=CUSTOMER_PINCODE,
        pickup_email="ananya.iyer@example.in",
        pickup_phone="9876501234",
        shipping_customer_name="Seller Example Warehouse",
        shipping_address="Plot 7, Hadapsar Industrial Estate",
        shipping_city="Pune",
        shipping_state="Maharashtra",
        shipping_pincode=WAREHOUSE_PINCODE,
        shipping_phone="9822001234",
        order_items=[ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=1, selling_price=599)],
        sub_total=599,
        length=20,
        breadth=15,
        height=3,
        weight=0.3,
    )


def _shipped_awb(client: ShiprocketClient, order_id: str) -> str:
    quotes = client.serviceability(
        pickup_postcode=WAREHOUSE_PINCODE, delivery_postcode=CUSTOMER_PINCODE, cod=True, weight_kg=0.5
    )
    result = client.create_forward_shipment(_forward_order(order_id), courier_id=quotes[0].courier_company_id)
    assert result.awb is not None
    return result.awb.awb_code


def _advance(server: SimServer, awb: str, steps: int) -> None:
    _sim_post(server, "/_sim/tracking/advance", {"awb": awb, "steps": steps, "deliver_webhooks": False})


def test_shiprocket_track_awbs_follows_the_scripted_lifecycle(shiprocket_sim: SimServer) -> None:
    client = _shiprocket_client(shiprocket_sim)
    delivered = _shipped_awb(client, "SO-01042")
    lost = _shipped_awb(client, "SO-01043")
    _sim_post(shiprocket_sim, "/_sim/seed", {"lifecycles": {delivered: "delivered", lost: "lost"}})

    before = client.track_awbs([delivered, lost])
    assert {awb: data["track_status"] for awb, data in before.items()} == {delivered: 0, lost: 0}

    _advance(shiprocket_sim, delivered, 3)
    _advance(shiprocket_sim, lost, 5)
    tracked = client.track_awbs([delivered, lost, delivered])

    assert set(tracked) == {delivered, lost}
    in_transit, gone = tracked[delivered], tracked[lost]
    assert (in_transit["track_status"], in_transit["shipment_status"]) == (1, 6)
    assert (gone["track_status"], gone["shipment_status"]) == (1, 12)
    assert in_transit["shipment_track"][0]["awb_code"] == delivered
    activities = in_transit["shipment_track_activities"]
    assert len(activities) == 3
    # Newest first, with sr-status as a string (docs/providers/shiprocket.md §7).
    assert [activity["sr-status"] for activity in activities] == ["6", "42", "19"]

    _advance(shiprocket_sim, delivered, 10)
    assert client.track_awbs([delivered])[delivered]["shipment_status"] == 7
    assert _sim_state(shiprocket_sim)["calls"]["POST /courier/track/awbs"] == 3


def test_shiprocket_track_awbs_leaves_an_unknown_awb_out(shiprocket_sim: SimServer) -> None:
    client = _shiprocket_client(shiprocket_sim)

    # As the collection's "Invalid or Missing Data" example: unknown AWBs are not in the answer (issue 9, gap 8).
    assert client.track_awbs(["19041234567890"]) == {}


def test_shiprocket_ndr_action_reattempt_then_refusals(shiprocket_sim: SimServer) -> None:
    client = _shiprocket_client(shiprocket_sim)
    awb = _shipped_awb(client, "SO-01044")
    _sim_post(shiprocket_sim, "/_sim/seed", {"lifecycles": {awb: "ndr_then_rto"}})

    with pytest.raises(ProviderRequestError) as not_in_ndr:
        client.ndr_action(awb, "re-attempt", "NDR rule: re-attempt once")
    assert not_in_ndr.value.http_status == 404

    _advance(shiprocket_sim, awb, 7)
    assert client.track_awbs([awb])[awb]["shipment_status"] == 21

    client.ndr_action(awb, "re-attempt", "NDR rule: re-attempt once")
    with pytest.raises(ProviderRequestError, match="already been taken") as twice:
        client.ndr_action(awb, "return", "NDR rule: then return")
    assert twice.value.http_status == 400

    (action,) = _sim_state(shiprocket_sim)["ndr_actions"]
    assert (action["awb"], action["action"], action["comments"]) == (awb, "re-attempt", "NDR rule: re-attempt once")
    _advance(shiprocket_sim, awb, 10)
    assert client.track_awbs([awb])[awb]["shipment_status"] == 7, "the re-attempt rewrote the script"


def test_shiprocket_return_order_awb_and_tracking(shiprocket_sim: SimServer) -> None:
    client = _shiprocket_client(shiprocket_sim)
    _shipped_awb(client, "SO-01045")
    quotes = client.serviceability(
        pickup_postcode=CUSTOMER_PINCODE,
        delivery_postcode=WAREHOUSE_PINCODE,
        cod=False,
        weight_kg=0.3,
        declared_value=599,
        is_return=True,
    )

    created = client.create_return_order(_return_order("R-SO-01045"))
    assert (created.status, created.status_code) == ("RETURN PENDING", 21)
    assert created.shipment_id is not None
    assert created.awb_code is None

    for taken in ("R-SO-01045", "SO-01045"):
        with pytest.raises(ProviderRequestError) as duplicate:
            client.create_return_order(_return_order(taken))
        assert is_order_id_taken(duplicate.value)
        assert duplicate.value.field_errors == {"order_id": ["The order id has already been taken."]}

    with pytest.raises(ProviderRequestError) as invalid:
        client.create_return_order(_return_order("R-SO-01046").model_copy(update={"pickup_phone": "98765"}))
    assert not is_order_id_taken(invalid.value)
    assert "pickup_phone" in invalid.value.field_errors

    awb = client.assign_awb(created.shipment_id, quotes[0].courier_company_id, is_return=True)
    _advance(shiprocket_sim, awb.awb_code, 10)
    assert client.track_awbs([awb.awb_code])[awb.awb_code]["shipment_status"] == 7

    (stored,) = _sim_state(shiprocket_sim)["returns"]
    assert (stored["order_id"], stored["sr_order_id"]) == ("R-SO-01045", created.sr_order_id)
    assert stored["request"]["pickup_pincode"] == CUSTOMER_PINCODE


# =============================================================================== Zoho

SO_ID = "1947583000000123001"
CUSTOMER_ID = "1947583000000098011"
TEE_ITEM, CAP_ITEM = "1947583000000045021", "1947583000000045022"
TEE_LINE, CAP_LINE = "1947583000000123005", "1947583000000123006"
INVOICE_ID = "1947583000000131077"
TAX_ID = "1947583000000012345"
REFERENCE = "RTO-1411220456789"


def _so_line(line_id: str, item_id: str, sku: str, rate: float, quantity: int) -> dict[str, Any]:
    return {
        "line_item_id": line_id,
        "item_id": item_id,
        "sku": sku,
        "name": sku,
        "rate": rate,
        "quantity": quantity,
        "tax_id": TAX_ID,
        "tax_name": "GST12",
        "tax_percentage": 12,
        "hsn_or_sac": "61091000",
    }


SEED: dict[str, Any] = {
    "items": [
        {"item_id": TEE_ITEM, "name": "Cotton Tee Black M", "sku": "TEE-BLK-M", "rate": 599.0, "stock_on_hand": 40},
        {"item_id": CAP_ITEM, "name": "Canvas Cap", "sku": "CAP-KHK", "rate": 499.0, "stock_on_hand": 10},
    ],
    "salesorders": [
        {
            "salesorder_id": SO_ID,
            "salesorder_number": "SO-01042",
            "customer_id": CUSTOMER_ID,
            "customer_name": "Ananya Iyer",
            "line_items": [
                _so_line(TEE_LINE, TEE_ITEM, "TEE-BLK-M", 599.0, 2),
                _so_line(CAP_LINE, CAP_ITEM, "CAP-KHK", 499.0, 1),
            ],
            "custom_fields": [{"api_name": "cf_payment_method", "value": "COD"}],
        }
    ],
}


@pytest.fixture
def zoho_sim(zoho_server: SimServer) -> SimServer:
    _sim_post(zoho_server, "/_sim/reset", {})
    _sim_post(zoho_server, "/_sim/seed", SEED)
    return zoho_server


def _zoho_client(server: SimServer) -> ZohoClient:
    minted = zoho_refresh_access_token(
        server.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
    )
    auth = ZohoAuth(
        access_token=minted.access_token,
        api_domain=minted.api_domain,
        organization_id=DEFAULT_ORGANIZATION_ID,
        version=1,
    )
    return ZohoClient(lambda: auth, timeout=FAST, item_cache=ItemCache())


def _ship_everything(client: ZohoClient, caps: int = 1) -> ZohoSalesOrder:
    package_id = client.create_package(
        SO_ID, package_number="PKG-SO-01042", date="2025-01-11", line_items=[(TEE_LINE, 2), (CAP_LINE, caps)]
    )
    client.create_shipment_order(
        SO_ID,
        package_id,
        shipment_number="SH-SO-01042",
        date="2025-01-11",
        tracking_number="1411220456789",
        delivery_method="Delhivery Surface",
    )
    return client.get_salesorder(SO_ID)


def _stock(server: SimServer) -> dict[str, float]:
    return {item["item_id"]: item["stock_on_hand"] for item in _sim_state(server)["items"]}


def test_zoho_rto_restock_return_receive_credit_apply(zoho_sim: SimServer) -> None:
    client = _zoho_client(zoho_sim)
    order = _ship_everything(client)
    _sim_post(zoho_sim, "/_sim/seed", {"invoices": [{"invoice_id": INVOICE_ID, "salesorder_id": SO_ID}]})
    assert _stock(zoho_sim) == {TEE_ITEM: 38, CAP_ITEM: 9}
    lines = [
        ReturnLine(salesorder_item_id=line.line_item_id, item_id=line.item_id, quantity=line.quantity_shipped or 0)
        for line in order.line_items
    ]
    assert [(line.salesorder_item_id, line.quantity) for line in lines] == [(TEE_LINE, 2), (CAP_LINE, 1)]

    salesreturn = client.create_salesreturn(
        SO_ID, date="2025-01-20", reason="RTO: customer unreachable", line_items=lines, reference_number=REFERENCE
    )
    assert salesreturn.salesorder_id == SO_ID
    assert salesreturn.salesreturn_status == "approved"
    assert set(salesreturn.line_item_ids) == {TEE_LINE, CAP_LINE}
    assert _stock(zoho_sim) == {TEE_ITEM: 38, CAP_ITEM: 9}, "a sales return alone does not restock"

    reread = client.get_salesreturn(salesreturn.salesreturn_id)
    assert (reread.line_item_ids, reread.reference_number) == (salesreturn.line_item_ids, REFERENCE)

    receive_id = client.create_salesreturn_receive(
        salesreturn.salesreturn_id,
        date="2025-01-21",
        line_items=[(salesreturn.line_item_ids[line.salesorder_item_id], line.quantity) for line in lines],
        notes="RTO delivered, AWB 1411220456789",
    )
    assert receive_id
    assert _stock(zoho_sim) == {TEE_ITEM: 40, CAP_ITEM: 10}
    reread_after = client.get_salesreturn(salesreturn.salesreturn_id)
    assert (reread_after.salesreturn_status, reread_after.receive_status) == ("approved", "received")

    invoice = client.get_invoice(INVOICE_ID)
    assert invoice.customer_id == CUSTOMER_ID
    assert set(invoice.line_item_ids) == {TEE_LINE, CAP_LINE}
    assert invoice.line_rates == {TEE_LINE: 599.0, CAP_LINE: 499.0}
    assert invoice.line_tax_ids == {TEE_LINE: TAX_ID, CAP_LINE: TAX_ID}
    assert invoice.balance == invoice.total == round((2 * 599 + 499) * 1.12, 2)

    assert client.find_creditnote_by_reference(REFERENCE) is None
    creditnote_id = client.create_creditnote(
        customer_id=CUSTOMER_ID,
        date="2025-01-21",
        invoice_id=INVOICE_ID,
        lines=creditnote_lines(lines, salesreturn, invoice),
        reference_number=REFERENCE,
    )
    assert client.find_creditnote_by_reference(REFERENCE) == creditnote_id
    assert client.find_creditnote_by_reference(REFERENCE + "-2") is None

    (note,) = _sim_state(zoho_sim)["creditnotes"]
    assert note["creditnote_id"] == creditnote_id
    assert note["total"] == invoice.total, "invoiced rates and taxes: the credit reverses the whole invoice"
    assert {(line["invoice_item_id"], line["salesreturn_item_id"]) for line in note["line_items"]} == {
        (invoice.line_item_ids[so_line], salesreturn.line_item_ids[so_line]) for so_line in (TEE_LINE, CAP_LINE)
    }

    assert invoice.total is not None
    client.apply_creditnote_to_invoice(creditnote_id, INVOICE_ID, invoice.total)
    settled = client.get_invoice(INVOICE_ID)
    assert (settled.balance, settled.status) == (0, "paid")
    assert _stock(zoho_sim) == {TEE_ITEM: 40, CAP_ITEM: 10}, "a credit note never moves physical stock"


def test_zoho_credit_note_for_discounted_lines_reverses_the_invoice_to_the_paisa(zoho_sim: SimServer) -> None:
    order = copy.deepcopy(SEED["salesorders"][0])
    tee, cap = order["line_items"]
    tee["discount"] = "10%"
    # An amount discount covers the line's 3 units.
    cap.update({"quantity": 3, "discount": 99.96})
    _sim_post(zoho_sim, "/_sim/seed", {"salesorders": [order]})
    client = _zoho_client(zoho_sim)
    invoice_id = client.create_invoice_from_salesorder(SO_ID)
    shipped = _ship_everything(client, caps=3)
    lines = [
        ReturnLine(salesorder_item_id=line.line_item_id, item_id=line.item_id, quantity=line.quantity_shipped or 0)
        for line in shipped.line_items
    ]
    salesreturn = client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=lines)
    client.create_salesreturn_receive(
        salesreturn.salesreturn_id,
        date="2025-01-21",
        line_items=[(salesreturn.line_item_ids[line.salesorder_item_id], line.quantity) for line in lines],
    )

    invoice = client.get_invoice(invoice_id)
    assert invoice.line_discounts == {TEE_LINE: "10%", CAP_LINE: "99.96"}
    assert invoice.line_quantities == {TEE_LINE: 2, CAP_LINE: 3}
    # (2 x 599 - 10 %) + (3 x 499 - 99.96), plus 12 % GST.
    assert invoice.total == invoice.balance == round((1078.20 + 1397.04) * 1.12, 2) == 2772.27

    creditnote_id = client.create_creditnote(
        customer_id=CUSTOMER_ID,
        date="2025-01-21",
        invoice_id=invoice_id,
        lines=creditnote_lines(lines, salesreturn, invoice),
        reference_number=REFERENCE,
    )
    note = client.get_creditnote(creditnote_id)
    assert note.total == note.balance == invoice.total, "the credit reverses the discounted invoice, no more"
    (stored,) = _sim_state(zoho_sim)["creditnotes"]
    assert {line["invoice_item_id"]: (line["discount"], line["item_total"]) for line in stored["line_items"]} == {
        invoice.line_item_ids[TEE_LINE]: ("10%", 1078.2),
        invoice.line_item_ids[CAP_LINE]: (99.96, 1397.04),
    }

    client.apply_creditnote_to_invoice(creditnote_id, invoice_id, min(note.balance, invoice.total))
    settled = client.get_invoice(invoice_id)
    assert (settled.balance, settled.status) == (0, "paid")
    assert client.get_creditnote(creditnote_id).balance == 0, "no unused credit is left with the customer"


def test_zoho_returns_refusals(zoho_sim: SimServer) -> None:
    client = _zoho_client(zoho_sim)
    tee = [ReturnLine(salesorder_item_id=TEE_LINE, item_id=TEE_ITEM, quantity=2)]

    with pytest.raises(ProviderRequestError) as unshipped:
        client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=tee)
    assert unshipped.value.http_status == 400

    _ship_everything(client)
    salesreturn = client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=tee)
    with pytest.raises(ProviderRequestError, match="exceeds"):
        client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=tee)

    with pytest.raises(ProviderRequestError, match="exceeds"):
        client.create_salesreturn_receive(
            salesreturn.salesreturn_id, date="2025-01-21", line_items=[(salesreturn.line_item_ids[TEE_LINE], 3)]
        )

    with pytest.raises(ProviderRequestError) as missing_invoice:
        client.get_invoice("404404")
    assert missing_invoice.value.http_status == 404

    with pytest.raises(ProviderRequestError) as missing_return:
        client.get_salesreturn("404404")
    assert missing_return.value.http_status == 404

    _sim_post(zoho_sim, "/_sim/seed", {"invoices": [{"invoice_id": INVOICE_ID, "salesorder_id": SO_ID}]})
    invoice = client.get_invoice(INVOICE_ID)
    creditnote_id = client.create_creditnote(
        customer_id=CUSTOMER_ID,
        date="2025-01-21",
        invoice_id=INVOICE_ID,
        lines=creditnote_lines(tee, salesreturn, invoice),
        reference_number=REFERENCE,
    )
    assert invoice.total is not None
    with pytest.raises(ProviderRequestError, match="exceeds"):
        client.apply_creditnote_to_invoice(creditnote_id, INVOICE_ID, invoice.total)
