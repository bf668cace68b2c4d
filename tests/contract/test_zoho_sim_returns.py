"""Contract tests for the Zoho simulator's returns side (docs/providers/zoho.md §7-§9, §11) over real HTTP:
sales returns of shipped units, receives that restock, invoices, credit notes and applying them."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.zoho import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_ORGANIZATION_ID, DEFAULT_REFRESH_TOKEN
from tests.fixtures.reference import zoho_item_a, zoho_salesorder_a

SO_ID = "1947583000000123001"
LINE_ID = "1947583000000123005"
ITEM_ID = "1947583000000045021"
CUSTOMER_ID = "1947583000000098011"
TAX_ID = "1947583000000012345"
INVOICE_ID = "1947583000000131077"
INV = "/inventory/v1"


@dataclass
class Zoho:
    url: str
    token: str

    def seed(self, payload: dict[str, Any]) -> None:
        requests.post(f"{self.url}/_sim/seed", json=payload, timeout=5).raise_for_status()

    def state(self) -> dict[str, Any]:
        result: dict[str, Any] = requests.get(f"{self.url}/_sim/state", timeout=5).json()
        return result

    def call(self, method: str, path: str, params: dict[str, str] | None = None, **kwargs: Any) -> requests.Response:
        query = {"organization_id": DEFAULT_ORGANIZATION_ID, **(params or {})}
        headers = {"Authorization": f"Zoho-oauthtoken {self.token}"}
        return requests.request(method, f"{self.url}{path}", params=query, headers=headers, timeout=5, **kwargs)

    def get(self, path: str, key: str) -> dict[str, Any]:
        response = self.call("GET", path)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()[key]
        return result

    def stock(self) -> int:
        stock: int = self.get(f"{INV}/items/{ITEM_ID}", "item")["stock_on_hand"]
        return stock

    def ship(self, quantity: int = 2) -> None:
        body = {"date": "2024-06-02", "line_items": [{"so_line_item_id": LINE_ID, "quantity": quantity}]}
        packed = self.call("POST", f"{INV}/packages", {"salesorder_id": SO_ID}, json=body)
        assert packed.status_code == 201, packed.text
        shipment = {
            "shipment_number": f"SH-{packed.json()['package'][0]['package_number']}",
            "date": "2024-06-02",
            "delivery_method": "Delhivery Surface",
            "tracking_number": "19041234567890",
        }
        params = {"salesorder_id": SO_ID, "package_ids": packed.json()["package"][0]["package_id"]}
        shipped = self.call("POST", f"{INV}/shipmentorders", params, json=shipment)
        assert shipped.status_code == 201, shipped.text

    def salesreturn(self, quantity: int, non_receive: int = 0, **kwargs: Any) -> requests.Response:
        line = {"item_id": ITEM_ID, "salesorder_item_id": LINE_ID, "quantity": quantity}
        if non_receive:
            line["non_receive_quantity"] = non_receive
        body = {"date": "2024-06-09", "reason": "RTO", "line_items": [line]}
        return self.call("POST", f"{INV}/salesreturns", {"salesorder_id": SO_ID}, json=body, **kwargs)

    def receive(self, salesreturn_id: str, line_item_id: str, quantity: int) -> requests.Response:
        body = {"date": "2024-06-10", "line_items": [{"line_item_id": line_item_id, "quantity": quantity}], "notes": ""}
        return self.call("POST", f"{INV}/salesreturnreceives", {"salesreturn_id": salesreturn_id}, json=body)


@pytest.fixture
def zoho(zoho_server: SimServer) -> Zoho:
    url = zoho_server.url
    requests.post(f"{url}/_sim/reset", timeout=5).raise_for_status()
    params = {
        "refresh_token": DEFAULT_REFRESH_TOKEN,
        "client_id": DEFAULT_CLIENT_ID,
        "client_secret": DEFAULT_CLIENT_SECRET,
        "grant_type": "refresh_token",
    }
    token = requests.post(f"{url}/oauth/v2/token", params=params, timeout=5).json()["access_token"]
    zoho = Zoho(url, token)
    zoho.seed({"salesorders": [zoho_salesorder_a()], "items": [zoho_item_a()]})
    return zoho


def invoice_seed() -> dict[str, Any]:
    return {"invoice_id": INVOICE_ID, "invoice_number": "INV-000042", "salesorder_id": SO_ID}


def creditnote_body(invoice: dict[str, Any], salesreturn: dict[str, Any], **extra: Any) -> dict[str, Any]:
    (invoice_line,) = invoice["line_items"]
    (return_line,) = salesreturn["line_items"]
    line = {
        "item_id": ITEM_ID,
        "invoice_id": invoice["invoice_id"],
        "invoice_item_id": invoice_line["line_item_id"],
        "is_item_shipped": True,
        "salesreturn_item_id": return_line["line_item_id"],
        "is_returned_to_stock": True,
        "quantity": return_line["quantity"],
        "rate": invoice_line["rate"],
        "tax_id": invoice_line["tax_id"],
    }
    return {"customer_id": CUSTOMER_ID, "date": "2024-06-10", "line_items": [line], **extra}


# ---------------------------------------------------------------------------- sales returns


def test_only_shipped_units_can_be_returned(zoho: Zoho) -> None:
    unshipped = zoho.salesreturn(1)
    assert unshipped.status_code == 400
    assert unshipped.json()["code"] == 2
    assert "no shipped items" in unshipped.json()["message"]

    zoho.ship(quantity=1)
    too_many = zoho.salesreturn(2)
    assert too_many.status_code == 400
    assert too_many.json()["code"] == 2
    assert "exceeds the shipped quantity" in too_many.json()["message"]
    assert zoho.state()["salesreturns"] == []

    created = zoho.salesreturn(1)
    assert created.status_code == 201, created.text
    salesreturn = created.json()["salesreturn"]
    assert created.json()["code"] == 0
    assert salesreturn["salesreturn_number"] == "RMA-00001"
    assert salesreturn["salesreturn_status"] == "approved"
    assert salesreturn["salesorder_id"] == SO_ID
    (line,) = salesreturn["line_items"]
    assert (line["item_id"], line["salesorder_item_id"], line["quantity"]) == (ITEM_ID, LINE_ID, 1)
    assert line["line_item_id"] not in (LINE_ID, ITEM_ID)
    # A return alone moves no stock: only its receive does.
    assert zoho.stock() == 39

    order = zoho.get(f"{INV}/salesorders/{SO_ID}", "salesorder")
    assert [ref["salesreturn_id"] for ref in order["salesreturns"]] == [salesreturn["salesreturn_id"]]
    assert zoho.get(f"{INV}/salesreturns/{salesreturn['salesreturn_id']}", "salesreturn") == salesreturn

    again = zoho.salesreturn(1)
    assert again.status_code == 400
    assert "(0)" in again.json()["message"]


def test_return_lines_must_match_the_order(zoho: Zoho) -> None:
    zoho.ship()
    body = {"date": "2024-06-09", "line_items": [{"item_id": "42", "salesorder_item_id": LINE_ID, "quantity": 1}]}
    wrong_item = zoho.call("POST", f"{INV}/salesreturns", {"salesorder_id": SO_ID}, json=body)
    body["line_items"] = [{"item_id": ITEM_ID, "salesorder_item_id": "42", "quantity": 1}]
    wrong_line = zoho.call("POST", f"{INV}/salesreturns", {"salesorder_id": SO_ID}, json=body)
    credit_only_above_quantity = zoho.salesreturn(1, non_receive=2)

    assert wrong_item.json() == {"code": 2, "message": "Invalid value passed for item_id"}
    assert wrong_line.json() == {"code": 2, "message": "Invalid value passed for salesorder_item_id"}
    assert credit_only_above_quantity.json() == {"code": 2, "message": "Invalid value passed for non_receive_quantity"}


# ---------------------------------------------------------------------------- receives


def test_receive_restocks_and_cannot_exceed_the_return(zoho: Zoho) -> None:
    zoho.ship()
    assert zoho.stock() == 38
    salesreturn = zoho.salesreturn(2).json()["salesreturn"]
    return_id = salesreturn["salesreturn_id"]
    line_id = salesreturn["line_items"][0]["line_item_id"]

    first = zoho.receive(return_id, line_id, 1)

    assert first.status_code == 201, first.text
    # The spec answers the receive under ``salesreturn`` (issue 9, gap 3).
    receive = first.json()["salesreturn"]
    assert receive["receive_id"] != return_id
    assert (receive["salesreturn_id"], receive["receive_number"]) == (return_id, "SRR-00001")
    assert receive["line_items"][0]["quantity"] == 1
    item = zoho.get(f"{INV}/items/{ITEM_ID}", "item")
    assert (item["stock_on_hand"], item["available_stock"]) == (39, 39)
    partly = zoho.get(f"{INV}/salesreturns/{return_id}", "salesreturn")
    assert (partly["salesreturn_status"], partly["receive_status"]) == ("approved", "partially_received")

    over = zoho.receive(return_id, line_id, 2)
    assert over.status_code == 400
    assert over.json()["code"] == 2
    assert "exceeds the returned quantity yet to be received (1)" in over.json()["message"]
    assert zoho.stock() == 39

    assert zoho.receive(return_id, line_id, 1).status_code == 201
    assert zoho.stock() == 40
    # After the receive the return stays approved; receive_status says the goods are back.
    done = zoho.get(f"{INV}/salesreturns/{return_id}", "salesreturn")
    assert (done["salesreturn_status"], done["receive_status"]) == ("approved", "received")

    assert zoho.receive(return_id, line_id, 1).status_code == 400
    assert zoho.stock() == 40
    assert len(zoho.state()["salesreturnreceives"]) == 2
    unknown = zoho.receive(return_id, LINE_ID, 1)
    assert unknown.json() == {"code": 2, "message": "Invalid value passed for line_item_id"}


def test_credit_only_units_are_never_received(zoho: Zoho) -> None:
    zoho.ship()
    salesreturn = zoho.salesreturn(2, non_receive=1).json()["salesreturn"]
    return_id = salesreturn["salesreturn_id"]
    line_id = salesreturn["line_items"][0]["line_item_id"]

    assert zoho.receive(return_id, line_id, 2).status_code == 400
    assert zoho.receive(return_id, line_id, 1).status_code == 201

    assert zoho.stock() == 39
    assert zoho.get(f"{INV}/salesreturns/{return_id}", "salesreturn")["receive_status"] == "received"


# ---------------------------------------------------------------------------- the RTO flow end to end


def test_rto_flow_restocks_and_credits_the_invoice_to_zero(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"/books/v3/invoices/{INVOICE_ID}", "invoice")
    assert (invoice["status"], invoice["total"], invoice["balance"]) == ("sent", 1341.76, 1341.76)
    (invoice_line,) = invoice["line_items"]
    assert (invoice_line["salesorder_item_id"], invoice_line["item_id"]) == (LINE_ID, ITEM_ID)
    assert (invoice_line["quantity"], invoice_line["rate"], invoice_line["item_total"]) == (2, 599.0, 1198.0)
    assert zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice") == invoice

    zoho.ship()
    salesreturn = zoho.salesreturn(2).json()["salesreturn"]
    line_id = salesreturn["line_items"][0]["line_item_id"]
    assert zoho.receive(salesreturn["salesreturn_id"], line_id, 2).status_code == 201
    assert zoho.stock() == 40

    body = creditnote_body(invoice, salesreturn, reference_number="RTO-19041234567890")
    created = zoho.call("POST", f"{INV}/creditnotes", {"invoice_id": INVOICE_ID}, json=body)

    assert created.status_code == 201, created.text
    creditnote = created.json()["creditnote"]
    assert creditnote["creditnote_number"] == "CN-00001"
    assert (creditnote["customer_id"], creditnote["invoice_id"]) == (CUSTOMER_ID, INVOICE_ID)
    assert (creditnote["total"], creditnote["balance"], creditnote["status"]) == (1341.76, 1341.76, "open")
    assert creditnote["reference_number"] == "RTO-19041234567890"
    assert creditnote["line_items"][0]["salesreturn_item_id"] == line_id
    # A credit note reverses revenue, not physical stock (docs/providers/zoho.md §8).
    assert zoho.stock() == 40

    cn_id = creditnote["creditnote_id"]
    applied = zoho.call(
        "POST",
        f"{INV}/creditnotes/{cn_id}/invoices",
        json={"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 1341.76}]},
    )

    assert applied.status_code == 200, applied.text
    assert applied.json()["code"] == 0
    invoice = zoho.get(f"/books/v3/invoices/{INVOICE_ID}", "invoice")
    assert (invoice["balance"], invoice["status"], invoice["credits_applied"]) == (0, "paid", 1341.76)
    creditnote = zoho.get(f"/books/v3/creditnotes/{cn_id}", "creditnote")
    assert (creditnote["balance"], creditnote["status"]) == (0, "closed")
    assert creditnote["invoices_credited"][0]["amount_applied"] == 1341.76
    order = zoho.get(f"{INV}/salesorders/{SO_ID}", "salesorder")
    (invoice_ref,) = order["invoices"]
    assert (invoice_ref["status"], invoice_ref["balance"], order["paid_status"]) == ("paid", 0, "paid")
    assert [ref["creditnote_id"] for ref in order["creditnotes"]] == [cn_id]

    state = zoho.state()
    for key in ("salesreturns", "salesreturnreceives", "creditnotes", "invoices"):
        assert len(state[key]) == 1, key
    assert state["items"][0]["stock_on_hand"] == 40
    for endpoint in (
        "POST /inventory/v1/salesreturns",
        "POST /inventory/v1/salesreturnreceives",
        "POST /inventory/v1/creditnotes",
        "POST /inventory/v1/creditnotes/{creditnote_id}/invoices",
    ):
        assert state["calls"][endpoint] == 1, endpoint


def test_credit_cannot_exceed_its_balance_nor_the_invoice_balance(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    zoho.ship()
    salesreturn = zoho.salesreturn(1).json()["salesreturn"]
    creditnote = zoho.call("POST", f"{INV}/creditnotes", json=creditnote_body(invoice, salesreturn)).json()[
        "creditnote"
    ]
    assert creditnote["total"] == 670.88
    path = f"{INV}/creditnotes/{creditnote['creditnote_id']}/invoices"

    over_credit = zoho.call("POST", path, json={"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 700}]})
    zoho.seed({"invoices": [{**invoice_seed(), "invoice_id": "77", "invoice_number": "INV-77", "total": 100.0}]})
    over_invoice = zoho.call("POST", path, json={"invoices": [{"invoice_id": "77", "amount_applied": 150}]})
    zero = zoho.call("POST", path, json={"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 0}]})

    assert over_credit.status_code == 400
    assert "available balance (670.88)" in over_credit.json()["message"]
    assert over_invoice.status_code == 400
    assert "exceeds its balance due (100.0)" in over_invoice.json()["message"]
    assert zero.json() == {"code": 2, "message": "Invalid value passed for amount_applied"}
    assert zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")["balance"] == 1341.76

    partial = zoho.call("POST", path, json={"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 600}]})
    assert partial.status_code == 200
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    assert (invoice["balance"], invoice["status"]) == (741.76, "partially_paid")
    assert zoho.get(f"{INV}/creditnotes/{creditnote['creditnote_id']}", "creditnote")["balance"] == 70.88


def test_invoice_from_salesorder_is_a_draft_until_sent(zoho: Zoho) -> None:
    created = zoho.call("POST", f"{INV}/invoices/fromsalesorder", {"salesorder_id": SO_ID})

    assert created.status_code == 201, created.text
    invoice = created.json()["invoice"]
    assert (invoice["status"], invoice["invoice_number"], invoice["customer_id"]) == (
        "draft",
        "INV-000001",
        CUSTOMER_ID,
    )
    assert (invoice["sub_total"], invoice["tax_total"], invoice["total"], invoice["balance"]) == (
        1198.0,
        143.76,
        1341.76,
        1341.76,
    )
    assert invoice["line_items"][0]["salesorder_item_id"] == LINE_ID
    order = zoho.get(f"{INV}/salesorders/{SO_ID}", "salesorder")
    assert (order["invoiced_status"], order["line_items"][0]["quantity_invoiced"]) == ("invoiced", 2)
    again = zoho.call("POST", "/books/v3/invoices/fromsalesorder", {"salesorder_id": SO_ID})
    assert again.status_code == 400
    assert "already been invoiced" in again.json()["message"]

    zoho.ship()
    salesreturn = zoho.salesreturn(2).json()["salesreturn"]
    cn = zoho.call("POST", f"{INV}/creditnotes", json=creditnote_body(invoice, salesreturn)).json()["creditnote"]
    apply = {"invoices": [{"invoice_id": invoice["invoice_id"], "amount_applied": 10}]}
    path = f"{INV}/creditnotes/{cn['creditnote_id']}/invoices"
    to_draft = zoho.call("POST", path, json=apply)
    assert to_draft.status_code == 400
    assert "draft" in to_draft.json()["message"]

    sent = zoho.call("POST", f"{INV}/invoices/{invoice['invoice_id']}/status/sent")
    assert sent.json()["code"] == 0
    assert zoho.call("POST", path, json=apply).status_code == 200


# ---------------------------------------------------------------------------- credit notes


def test_creditnotes_can_be_looked_up_by_reference_number(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    zoho.ship()
    salesreturn = zoho.salesreturn(2).json()["salesreturn"]
    body = creditnote_body(invoice, salesreturn)
    body["line_items"][0]["quantity"] = 1
    for reference in ("RTO-A", "RTO-B"):
        created = zoho.call("POST", f"{INV}/creditnotes", json={**body, "reference_number": reference})
        assert created.status_code == 201, created.text

    for root in (INV, "/books/v3"):
        found = zoho.call("GET", f"{root}/creditnotes", {"reference_number": "RTO-B"}).json()
        assert [row["reference_number"] for row in found["creditnotes"]] == ["RTO-B"]
        assert found["creditnotes"][0]["creditnote_number"] == "CN-00002"
        assert found["page_context"]["has_more_page"] is False
    missing = zoho.call("GET", f"{INV}/creditnotes", {"reference_number": "RTO-C"}).json()
    assert (missing["code"], missing["creditnotes"]) == (0, [])
    everything = zoho.call("GET", f"{INV}/creditnotes", {"per_page": "1"}).json()
    assert len(everything["creditnotes"]) == 1
    assert everything["page_context"]["has_more_page"] is True


def test_creditnote_validation(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    zoho.ship()
    salesreturn = zoho.salesreturn(1).json()["salesreturn"]
    good = creditnote_body(invoice, salesreturn)

    def post(body: dict[str, Any], params: dict[str, str] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = zoho.call("POST", f"{INV}/creditnotes", params, json=body).json()
        return result

    no_customer = {key: value for key, value in good.items() if key != "customer_id"}
    assert post(no_customer)["message"] == "Invalid value passed for customer_id"
    assert post({**good, "customer_id": "999"})["message"] == "Invalid value passed for customer_id"
    assert post({**good, "line_items": []})["message"] == "Invalid value passed for line_items"
    bad_line = copy.deepcopy(good)
    bad_line["line_items"][0]["invoice_item_id"] = "1"
    assert post(bad_line)["message"] == "Invalid value passed for invoice_item_id"
    more_than_returned = copy.deepcopy(good)
    more_than_returned["line_items"][0]["quantity"] = 2
    assert "exceeds the returned quantity" in post(more_than_returned)["message"]
    assert post(good, {"invoice_id": "1"})["message"] == "Invalid value passed for invoice_id"
    manual = {**good, "creditnote_number": "CN-RTO-1"}
    assert post(manual)["message"] == "Invalid value passed for creditnote_number"
    assert post(manual, {"ignore_auto_number_generation": "true"})["creditnote"]["creditnote_number"] == "CN-RTO-1"
    # The return's one unit is now credited: a second credit note for it is refused.
    assert "exceeds the returned quantity" in post(good)["message"]
    assert len(zoho.state()["creditnotes"]) == 1
    # Refused requests used no number from the series.
    second_return = zoho.salesreturn(1).json()["salesreturn"]
    assert post(creditnote_body(invoice, second_return))["creditnote"]["creditnote_number"] == "CN-00001"


def test_creditnote_line_discount_is_kept_and_lowers_the_line(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    zoho.ship()
    salesreturn = zoho.salesreturn(2).json()["salesreturn"]
    body = creditnote_body(invoice, salesreturn)
    body["line_items"][0]["quantity"] = 1

    def post(discount: Any) -> dict[str, Any]:
        line = {**body["line_items"][0], "discount": discount}
        result: dict[str, Any] = zoho.call("POST", f"{INV}/creditnotes", json={**body, "line_items": [line]}).json()
        return result

    for bad in ("ten%", "101%", "-5%", -1, "abc", True, 599.01, [10]):
        assert post(bad)["message"] == "Invalid value passed for discount", bad
    assert zoho.state()["creditnotes"] == []

    # 599 at 10 % and 12 % GST; then 599 less an amount of 99.96 sent as text.
    percent, amount = post("10%")["creditnote"], post("99.96")["creditnote"]
    assert [(n["line_items"][0]["discount"], n["line_items"][0]["item_total"]) for n in (percent, amount)] == [
        ("10%", 539.1),
        (99.96, 499.04),
    ]
    assert (percent["total"], amount["total"]) == (round(539.1 * 1.12, 2), round(499.04 * 1.12, 2))


# ---------------------------------------------------------------------------- bodies and query ids


def test_jsonstring_form_bodies_are_accepted(zoho: Zoho) -> None:
    zoho.seed({"invoices": [invoice_seed()]})
    invoice = zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")
    zoho.ship()

    def form(path: str, params: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
        response = zoho.call("POST", path, params, data={"JSONString": json.dumps(body)})
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    line = {"item_id": ITEM_ID, "salesorder_item_id": LINE_ID, "quantity": 2}
    salesreturn = form(
        f"{INV}/salesreturns", {"salesorder_id": SO_ID}, {"date": "2024-06-09", "reason": "RTO", "line_items": [line]}
    )["salesreturn"]
    receive_line = {"line_item_id": salesreturn["line_items"][0]["line_item_id"], "quantity": 2}
    form(
        f"{INV}/salesreturnreceives",
        {"salesreturn_id": salesreturn["salesreturn_id"]},
        {"date": "2024-06-10", "line_items": [receive_line]},
    )
    creditnote = form(f"{INV}/creditnotes", {}, creditnote_body(invoice, salesreturn))["creditnote"]
    form(
        f"{INV}/creditnotes/{creditnote['creditnote_id']}/invoices",
        {},
        {"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": creditnote["total"]}]},
    )

    assert zoho.stock() == 40
    assert zoho.get(f"{INV}/invoices/{INVOICE_ID}", "invoice")["status"] == "paid"
    plain = zoho.call("POST", f"{INV}/salesreturns", {"salesorder_id": SO_ID}, data={"date": "2024-06-09"})
    assert plain.json()["code"] == 1038


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        (f"{INV}/salesreturns", "salesorder_id"),
        (f"{INV}/salesreturnreceives", "salesreturn_id"),
        (f"{INV}/invoices/fromsalesorder", "salesorder_id"),
        ("/books/v3/invoices/fromsalesorder", "salesorder_id"),
    ],
)
def test_ids_belong_in_the_query_string(zoho: Zoho, path: str, missing: str) -> None:
    # The id in the body instead of the query is what a client gets wrong (docs/providers/zoho.md §11).
    body = {missing: SO_ID, "date": "2024-06-09", "line_items": [{"quantity": 1}]}

    response = zoho.call("POST", path, json=body)

    assert response.status_code == 400
    assert response.json() == {"code": 2, "message": f"Invalid value passed for {missing}"}


def test_unknown_ids_are_1002(zoho: Zoho) -> None:
    checks = [
        ("POST", f"{INV}/salesreturns", {"salesorder_id": "1"}, "Sales Order does not exist."),
        ("POST", f"{INV}/salesreturnreceives", {"salesreturn_id": "1"}, "Sales Return does not exist."),
        ("GET", f"{INV}/creditnotes/1", {}, "Credit Note does not exist."),
        ("POST", "/books/v3/creditnotes/1/invoices", {}, "Credit Note does not exist."),
    ]
    for method, path, params, message in checks:
        response = zoho.call(method, path, params, json={})
        assert (response.status_code, response.json()) == (404, {"code": 1002, "message": message}), path
