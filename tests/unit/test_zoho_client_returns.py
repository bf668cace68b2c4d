"""ZohoClient sales returns, receives, invoices and credit notes (docs/providers/zoho.md §3, §4, §8, §9)."""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import CreditNoteLine, ReturnLine
from shipsync.errors import DailyCapReached, ProviderRequestError, RateLimited, TokenRejected, TransientError
from shipsync.ports import ZohoReturnsApi, ZohoStatusApi

API = "https://www.zohoapis.in"
ORG = "60012345678"
TOKEN = "1000.secret-access.token"
SO_ID = "1947583000000123001"
CUSTOMER_ID = "1947583000000098011"
TEE_ITEM, CAP_ITEM = "1947583000000045021", "1947583000000045022"
TEE_SO_LINE, CAP_SO_LINE = "1947583000000123005", "1947583000000123006"
TEE_RETURN_LINE, CAP_RETURN_LINE = "1947583000000161005", "1947583000000161006"
TEE_INVOICE_LINE, CAP_INVOICE_LINE = "1947583000000131081", "1947583000000131082"
SALESRETURN_ID = "1947583000000161001"
INVOICE_ID = "1947583000000131077"
CREDITNOTE_ID = "1947583000000171001"
TAX_ID = "1947583000000012345"

LINES = [
    ReturnLine(salesorder_item_id=TEE_SO_LINE, item_id=TEE_ITEM, quantity=2),
    ReturnLine(salesorder_item_id=CAP_SO_LINE, item_id=CAP_ITEM, quantity=1),
]

SALESRETURN_CREATED = {
    "code": 0,
    "message": "Sales Return has been created.",
    "salesreturn": {
        "salesreturn_id": SALESRETURN_ID,
        "salesreturn_number": "RMA-00012",
        "salesorder_id": SO_ID,
        "salesorder_number": "SO-01042",
        "salesreturn_status": "approved",
        "date": "2025-01-20",
        "line_items": [
            {
                "line_item_id": TEE_RETURN_LINE,
                "item_id": TEE_ITEM,
                "salesorder_item_id": TEE_SO_LINE,
                "quantity": 2,
            },
            {
                "line_item_id": CAP_RETURN_LINE,
                "item_id": CAP_ITEM,
                "salesorder_item_id": CAP_SO_LINE,
                "quantity": 1,
            },
        ],
    },
}

INVOICE = {
    "code": 0,
    "message": "success",
    "invoice": {
        "invoice_id": INVOICE_ID,
        "invoice_number": "INV-00042",
        "customer_id": CUSTOMER_ID,
        "status": "sent",
        "total": 1901.76,
        "balance": 1901.76,
        "line_items": [
            {
                "line_item_id": TEE_INVOICE_LINE,
                "item_id": TEE_ITEM,
                "salesorder_item_id": TEE_SO_LINE,
                "rate": 599.0,
                "tax_id": TAX_ID,
                "tax_percentage": 12,
            },
            {"line_item_id": CAP_INVOICE_LINE, "item_id": CAP_ITEM, "salesorder_item_id": CAP_SO_LINE, "rate": "499"},
            # A line typed on the invoice itself: no sales order line, nothing to credit.
            {"line_item_id": "1947583000000131083", "name": "Gift wrap", "rate": 50, "salesorder_item_id": ""},
        ],
    },
}


def _auth() -> ZohoAuth:
    return ZohoAuth(access_token=TOKEN, api_domain=API, organization_id=ORG, version=3)


@pytest.fixture
def client() -> ZohoClient:
    return ZohoClient(_auth, session=new_session(), item_cache=ItemCache())


def _query(rsps: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    url = rsps.calls[index].request.url
    assert url is not None
    return parse_qs(urlsplit(url).query)


def _sent_json(rsps: responses.RequestsMock, index: int = 0) -> Any:
    body = rsps.calls[index].request.body
    assert body is not None
    return json.loads(body)


# As ``returns.credit.creditnote_lines`` prepares them: the tee at its invoiced rate, tax and discount, the cap
# with nothing invoiced to carry.
CREDITNOTE_LINES = [
    CreditNoteLine(
        invoice_item_id=TEE_INVOICE_LINE,
        salesreturn_item_id=TEE_RETURN_LINE,
        item_id=TEE_ITEM,
        quantity=2,
        rate=599.0,
        discount="10%",
        tax_id=TAX_ID,
    ),
    CreditNoteLine(invoice_item_id=CAP_INVOICE_LINE, salesreturn_item_id=CAP_RETURN_LINE, quantity=1, discount=33.33),
]


@pytest.mark.parametrize("protocol", [ZohoStatusApi, ZohoReturnsApi])
def test_client_implements_the_issue_3_protocols(protocol: type) -> None:
    members = [name for name, value in vars(protocol).items() if callable(value) and not name.startswith("_")]

    assert members
    for name in members:
        expected = inspect.signature(getattr(protocol, name)).parameters
        actual = inspect.signature(getattr(ZohoClient, name)).parameters
        assert [(p.name, p.kind, p.default) for p in actual.values()] == [
            (p.name, p.kind, p.default) for p in expected.values()
        ], name


# ----------------------------------------------------------------------------- sales returns


def test_create_salesreturn_sends_lines_and_maps_return_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.post(f"{API}/inventory/v1/salesreturns", status=201, json=SALESRETURN_CREATED)

    created = client.create_salesreturn(
        SO_ID,
        date="2025-01-20",
        reason="RTO: undelivered",
        line_items=LINES,
        location_id="1947583000000009001",
        reference_number="RTO-1411220456789",
    )

    assert (created.salesreturn_id, created.salesreturn_number, created.salesreturn_status) == (
        SALESRETURN_ID,
        "RMA-00012",
        "approved",
    )
    assert created.salesorder_id == SO_ID
    assert created.line_item_ids == {TEE_SO_LINE: TEE_RETURN_LINE, CAP_SO_LINE: CAP_RETURN_LINE}
    assert _query(rsps) == {"organization_id": [ORG], "salesorder_id": [SO_ID]}
    assert _sent_json(rsps) == {
        "date": "2025-01-20",
        "reason": "RTO: undelivered",
        "line_items": [
            {"item_id": TEE_ITEM, "salesorder_item_id": TEE_SO_LINE, "quantity": 2},
            {"item_id": CAP_ITEM, "salesorder_item_id": CAP_SO_LINE, "quantity": 1},
        ],
        "location_id": "1947583000000009001",
        "reference_number": "RTO-1411220456789",
    }
    assert rsps.calls[0].request.headers["Authorization"] == f"Zoho-oauthtoken {TOKEN}"


def test_create_salesreturn_omits_unset_optionals(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.post(f"{API}/inventory/v1/salesreturns", status=201, json=SALESRETURN_CREATED)

    client.create_salesreturn(
        SO_ID,
        date="2025-01-20",
        reason="Customer return",
        line_items=[ReturnLine(salesorder_item_id=TEE_SO_LINE, quantity=1)],
    )

    assert _sent_json(rsps) == {
        "date": "2025-01-20",
        "reason": "Customer return",
        "line_items": [{"salesorder_item_id": TEE_SO_LINE, "quantity": 1}],
    }


def test_create_salesreturn_matches_lines_by_unique_item_when_zoho_omits_the_so_line(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    two_lines_same_item = [
        ReturnLine(salesorder_item_id=TEE_SO_LINE, item_id=TEE_ITEM, quantity=1),
        ReturnLine(salesorder_item_id="1947583000000123007", item_id=TEE_ITEM, quantity=1),
        ReturnLine(salesorder_item_id=CAP_SO_LINE, item_id=CAP_ITEM, quantity=1),
    ]
    answer = json.loads(json.dumps(SALESRETURN_CREATED))
    answer["salesreturn"]["line_items"] = [
        {"line_item_id": "1947583000000161007", "item_id": TEE_ITEM},
        {"line_item_id": "1947583000000161008", "item_id": TEE_ITEM},
        {"line_item_id": CAP_RETURN_LINE, "item_id": CAP_ITEM},
        {"item_id": CAP_ITEM},
        "junk",
    ]
    rsps.post(f"{API}/inventory/v1/salesreturns", status=201, json=answer)

    created = client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=two_lines_same_item)

    # The two tee lines cannot be told apart by item: left unmapped rather than guessed.
    assert created.line_item_ids == {CAP_SO_LINE: CAP_RETURN_LINE}


def test_create_salesreturn_needs_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="at least one line"):
        client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=[])
    assert len(rsps.calls) == 0


def test_create_salesreturn_of_unshipped_units_is_a_request_error(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.post(
        f"{API}/inventory/v1/salesreturns",
        status=400,
        json={"code": 36014, "message": "Sales return quantity cannot be greater than the shipped quantity."},
    )

    with pytest.raises(ProviderRequestError) as caught:
        client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=LINES)
    assert (caught.value.code, caught.value.http_status) == (36014, 400)


def test_create_salesreturn_answer_without_entity_is_a_request_error(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.post(f"{API}/inventory/v1/salesreturns", status=201, json={"code": 0, "message": "ok"})

    with pytest.raises(ProviderRequestError, match="salesreturn"):
        client.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=LINES)


def test_get_salesreturn_maps_return_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    stored = json.loads(json.dumps(SALESRETURN_CREATED))
    stored["message"] = "success"
    stored["salesreturn"].update({"salesreturn_status": "received", "reference_number": "RTO-1411220456789"})
    # A line without its sales order line cannot be mapped on a read: there is no request to match.
    stored["salesreturn"]["line_items"][1].pop("salesorder_item_id")
    rsps.get(f"{API}/inventory/v1/salesreturns/{SALESRETURN_ID}", json=stored)

    salesreturn = client.get_salesreturn(SALESRETURN_ID)

    assert (salesreturn.salesreturn_id, salesreturn.salesreturn_status, salesreturn.reference_number) == (
        SALESRETURN_ID,
        "received",
        "RTO-1411220456789",
    )
    assert salesreturn.line_item_ids == {TEE_SO_LINE: TEE_RETURN_LINE}
    assert _query(rsps) == {"organization_id": [ORG]}


# ----------------------------------------------------------------------------- receives


@pytest.mark.parametrize(
    ("key", "id_key"),
    [("salesreturnreceive", "receive_id"), ("salesreturnreceive", "salesreturnreceive_id"), ("receive", "receive_id")],
)
def test_create_salesreturn_receive(rsps: responses.RequestsMock, client: ZohoClient, key: str, id_key: str) -> None:
    body = {
        "code": 0,
        "message": "Sales Return Receive has been created.",
        key: {id_key: "1947583000000165001", "receive_number": "SRR-00012", "date": "2025-01-21"},
    }
    rsps.post(f"{API}/inventory/v1/salesreturnreceives", status=201, json=body)

    receive_id = client.create_salesreturn_receive(
        SALESRETURN_ID,
        date="2025-01-21",
        line_items=[(TEE_RETURN_LINE, 2), (CAP_RETURN_LINE, 1)],
        notes="RTO delivered to Pune-WH1, AWB 1411220456789",
    )

    assert receive_id == "1947583000000165001"
    assert _query(rsps) == {"organization_id": [ORG], "salesreturn_id": [SALESRETURN_ID]}
    assert _sent_json(rsps) == {
        "date": "2025-01-21",
        "line_items": [
            {"line_item_id": TEE_RETURN_LINE, "quantity": 2},
            {"line_item_id": CAP_RETURN_LINE, "quantity": 1},
        ],
        "notes": "RTO delivered to Pune-WH1, AWB 1411220456789",
    }


def test_create_salesreturn_receive_without_notes_or_id(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.post(
        f"{API}/inventory/v1/salesreturnreceives",
        status=201,
        json={"code": 0, "message": "ok", "salesreturnreceive": {"receive_number": "SRR-00012"}},
    )

    with pytest.raises(ProviderRequestError, match="receive_id"):
        client.create_salesreturn_receive(SALESRETURN_ID, date="2025-01-21", line_items=[(TEE_RETURN_LINE, 2)])
    assert "notes" not in _sent_json(rsps)


def test_create_salesreturn_receive_needs_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="at least one line"):
        client.create_salesreturn_receive(SALESRETURN_ID, date="2025-01-21", line_items=[])
    assert len(rsps.calls) == 0


# ----------------------------------------------------------------------------- invoices


def test_get_invoice_maps_sales_order_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.get(f"{API}/inventory/v1/invoices/{INVOICE_ID}", json=INVOICE)

    invoice = client.get_invoice(INVOICE_ID)

    assert (invoice.invoice_id, invoice.invoice_number, invoice.customer_id, invoice.status) == (
        INVOICE_ID,
        "INV-00042",
        CUSTOMER_ID,
        "sent",
    )
    assert (invoice.total, invoice.balance) == (1901.76, 1901.76)
    assert invoice.line_item_ids == {TEE_SO_LINE: TEE_INVOICE_LINE, CAP_SO_LINE: CAP_INVOICE_LINE}
    assert invoice.line_rates == {TEE_SO_LINE: 599.0, CAP_SO_LINE: 499.0}
    assert invoice.line_tax_ids == {TEE_SO_LINE: TAX_ID}
    assert _query(rsps) == {"organization_id": [ORG]}


def test_get_invoice_reads_line_discounts_and_quantities(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    answer = json.loads(json.dumps(INVOICE))
    tee, cap, wrap = answer["invoice"]["line_items"]
    tee.update({"quantity": 2, "discount": "10%"})
    cap.update({"quantity": "3", "discount": 99.96})
    wrap.update({"quantity": 1, "discount": 5})
    answer["invoice"]["line_items"] += [
        {"line_item_id": "1947583000000131084", "salesorder_item_id": "1947583000000123007", "discount": 0},
        {"line_item_id": "1947583000000131085", "salesorder_item_id": "1947583000000123008", "discount": ""},
    ]
    rsps.get(f"{API}/inventory/v1/invoices/{INVOICE_ID}", json=answer)

    invoice = client.get_invoice(INVOICE_ID)

    # As Zoho wrote them; no discount (0 or "") is no entry, and the invoice's own lines are not credited.
    assert invoice.line_discounts == {TEE_SO_LINE: "10%", CAP_SO_LINE: "99.96"}
    assert invoice.line_quantities == {TEE_SO_LINE: 2.0, CAP_SO_LINE: 3.0}


@pytest.mark.parametrize("discount", ["ten%", "-5", "NaN", "%"])
def test_an_unreadable_discount_still_reads(rsps: responses.RequestsMock, client: ZohoClient, discount: str) -> None:
    answer = json.loads(json.dumps(INVOICE))
    answer["invoice"]["line_items"][0]["discount"] = discount
    so_line = answer["invoice"]["line_items"][0]["salesorder_item_id"]
    rsps.get(f"{API}/inventory/v1/invoices/{INVOICE_ID}", json=answer)

    invoice = client.get_invoice(INVOICE_ID)  # the remittance only needs the balance: reading must not fail

    # As Zoho wrote it: crediting that line is what refuses it (tests/unit/test_credit_lines.py).
    assert invoice.line_discounts[so_line] == discount


def test_get_invoice_missing_is_a_request_error(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.get(f"{API}/inventory/v1/invoices/404", status=404, json={"code": 1002, "message": "Invoice does not exist."})

    with pytest.raises(ProviderRequestError) as caught:
        client.get_invoice("404")
    assert (caught.value.code, caught.value.http_status) == (1002, 404)


# ----------------------------------------------------------------------------- credit notes


def test_create_creditnote_sends_the_prepared_lines_against_the_invoice(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.post(
        f"{API}/inventory/v1/creditnotes",
        status=201,
        json={
            "code": 0,
            "message": "Credit Note has been created.",
            "creditnote": {"creditnote_id": CREDITNOTE_ID, "creditnote_number": "CN-00012", "total": 1901.76},
        },
    )

    creditnote_id = client.create_creditnote(
        customer_id=CUSTOMER_ID,
        date="2025-01-21",
        invoice_id=INVOICE_ID,
        lines=CREDITNOTE_LINES,
        reference_number="RTO-1411220456789",
    )

    assert creditnote_id == CREDITNOTE_ID
    assert _query(rsps) == {
        "organization_id": [ORG],
        "invoice_id": [INVOICE_ID],
        "ignore_auto_number_generation": ["false"],
    }
    sent = _sent_json(rsps)
    assert sent == {
        "customer_id": CUSTOMER_ID,
        "date": "2025-01-21",
        "reference_number": "RTO-1411220456789",
        "line_items": [
            {
                "item_id": TEE_ITEM,
                "invoice_id": INVOICE_ID,
                "invoice_item_id": TEE_INVOICE_LINE,
                "is_item_shipped": True,
                "salesreturn_item_id": TEE_RETURN_LINE,
                "is_returned_to_stock": True,
                "quantity": 2,
                "rate": 599.0,
                "discount": "10%",
                "tax_id": TAX_ID,
            },
            {
                # No item, invoiced rate or tax known: Zoho's defaults apply.
                "invoice_id": INVOICE_ID,
                "invoice_item_id": CAP_INVOICE_LINE,
                "is_item_shipped": True,
                "salesreturn_item_id": CAP_RETURN_LINE,
                "is_returned_to_stock": True,
                "quantity": 1,
                "discount": 33.33,
            },
        ],
    }
    # A percentage goes as the invoice's text, an amount as a number.
    assert [type(line["discount"]) for line in sent["line_items"]] == [str, float]


def test_create_creditnote_needs_lines(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="at least one line"):
        client.create_creditnote(
            customer_id=CUSTOMER_ID,
            date="2025-01-21",
            invoice_id=INVOICE_ID,
            lines=[],
            reference_number="RTO-1411220456789",
        )
    assert len(rsps.calls) == 0


def test_find_creditnote_by_reference_needs_an_exact_match(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    listing = {
        "code": 0,
        "message": "success",
        "creditnotes": [
            {"creditnote_id": "1947583000000171000", "reference_number": "RTO-1411220456789-2"},
            {"creditnote_id": CREDITNOTE_ID, "reference_number": "RTO-1411220456789", "status": "open"},
        ],
        "page_context": {"page": 1, "per_page": 200, "has_more_page": False},
    }
    rsps.get(f"{API}/inventory/v1/creditnotes", json=listing)

    assert client.find_creditnote_by_reference("RTO-1411220456789") == CREDITNOTE_ID
    assert _query(rsps) == {
        "organization_id": [ORG],
        "reference_number": ["RTO-1411220456789"],
        "page": ["1"],
        "per_page": ["200"],
    }


def test_find_creditnote_by_reference_reads_every_page(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    loose = {"creditnote_id": "1947583000000171000", "reference_number": "RTO-1411220456789-2"}
    rsps.get(
        f"{API}/inventory/v1/creditnotes",
        json={"code": 0, "creditnotes": [loose], "page_context": {"page": 1, "has_more_page": True}},
    )
    rsps.get(
        f"{API}/inventory/v1/creditnotes",
        json={
            "code": 0,
            "creditnotes": [{"creditnote_id": CREDITNOTE_ID, "reference_number": "RTO-1411220456789"}],
            "page_context": {"page": 2, "has_more_page": False},
        },
    )

    assert client.find_creditnote_by_reference("RTO-1411220456789") == CREDITNOTE_ID
    assert [_query(rsps, index)["page"] for index in range(len(rsps.calls))] == [["1"], ["2"]]


def test_find_creditnote_by_reference_refuses_a_row_without_an_id(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.get(
        f"{API}/inventory/v1/creditnotes",
        json={"code": 0, "creditnotes": [{"reference_number": "RTO-1411220456789"}]},
    )

    with pytest.raises(ProviderRequestError, match="creditnote_id"):
        client.find_creditnote_by_reference("RTO-1411220456789")


def test_find_creditnote_by_reference_needs_a_reference(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    with pytest.raises(ValueError, match="reference"):
        client.find_creditnote_by_reference("")
    assert len(rsps.calls) == 0


@pytest.mark.parametrize(
    "creditnotes",
    [[], [{"creditnote_id": "1947583000000171000", "reference_number": "RTO-1411220456789-2"}], ["junk"]],
)
def test_find_creditnote_by_reference_none(rsps: responses.RequestsMock, client: ZohoClient, creditnotes: Any) -> None:
    rsps.get(f"{API}/inventory/v1/creditnotes", json={"code": 0, "message": "success", "creditnotes": creditnotes})

    assert client.find_creditnote_by_reference("RTO-1411220456789") is None


@pytest.mark.parametrize("answer", [{"creditnotes": None}, {}], ids=["null", "absent"])
def test_find_creditnote_by_reference_refuses_an_unreadable_list(
    rsps: responses.RequestsMock, client: ZohoClient, answer: dict[str, Any]
) -> None:
    # The look-up guards a second credit note: no list is an error, not "none yet".
    rsps.get(f"{API}/inventory/v1/creditnotes", json={"code": 0, "message": "success", **answer})

    with pytest.raises(ProviderRequestError, match="creditnotes"):
        client.find_creditnote_by_reference("RTO-1411220456789")


def test_get_creditnote_reads_zohos_own_total_and_balance(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    answer = {
        "code": 0,
        "message": "success",
        "creditnote": {
            "creditnote_id": CREDITNOTE_ID,
            "creditnote_number": "CN-00017",
            "reference_number": "RTO-1411220456789",
            "status": "open",
            "invoice_id": INVOICE_ID,
            "customer_id": CUSTOMER_ID,
            "line_items": [{"line_item_id": "1947583000000171005", "quantity": 2}],
            "sub_total": 1612.0,
            "tax_total": 289.75,
            "total": "1901.75",
            "balance": 901.75,
        },
    }
    rsps.get(f"{API}/inventory/v1/creditnotes/{CREDITNOTE_ID}", json=answer)

    note = client.get_creditnote(CREDITNOTE_ID)

    assert (note.creditnote_id, note.creditnote_number, note.status) == (CREDITNOTE_ID, "CN-00017", "open")
    assert (note.total, note.balance) == (1901.75, 901.75)
    assert (note.reference_number, note.invoice_id) == ("RTO-1411220456789", INVOICE_ID)
    assert _query(rsps) == {"organization_id": [ORG]}


@pytest.mark.parametrize("missing", ["total", "balance"])
def test_get_creditnote_without_its_amounts_is_a_request_error(
    rsps: responses.RequestsMock, client: ZohoClient, missing: str
) -> None:
    note = {"creditnote_id": CREDITNOTE_ID, "total": 100.0, "balance": 100.0}
    del note[missing]
    rsps.get(f"{API}/inventory/v1/creditnotes/{CREDITNOTE_ID}", json={"code": 0, "creditnote": note})

    with pytest.raises(ProviderRequestError, match=missing):
        client.get_creditnote(CREDITNOTE_ID)


def test_get_unknown_creditnote_is_a_request_error(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.get(
        f"{API}/inventory/v1/creditnotes/{CREDITNOTE_ID}",
        status=404,
        json={"code": 1002, "message": "Credit Note does not exist."},
    )

    with pytest.raises(ProviderRequestError) as caught:
        client.get_creditnote(CREDITNOTE_ID)
    assert (caught.value.code, caught.value.http_status) == (1002, 404)


def test_apply_creditnote_to_invoice(rsps: responses.RequestsMock, client: ZohoClient) -> None:
    rsps.post(
        f"{API}/inventory/v1/creditnotes/{CREDITNOTE_ID}/invoices",
        json={"code": 0, "message": "Credits have been applied to the invoice(s).", "apply_to_invoices": {}},
    )

    client.apply_creditnote_to_invoice(CREDITNOTE_ID, INVOICE_ID, 1901.76)

    assert _sent_json(rsps) == {"invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 1901.76}]}
    assert _query(rsps) == {"organization_id": [ORG]}


@pytest.mark.parametrize("amount", [0, -1.0])
def test_apply_creditnote_needs_a_positive_amount(
    rsps: responses.RequestsMock, client: ZohoClient, amount: float
) -> None:
    with pytest.raises(ValueError, match="positive"):
        client.apply_creditnote_to_invoice(CREDITNOTE_ID, INVOICE_ID, amount)
    assert len(rsps.calls) == 0


def test_apply_more_credit_than_the_balance_is_a_request_error(
    rsps: responses.RequestsMock, client: ZohoClient
) -> None:
    rsps.post(
        f"{API}/inventory/v1/creditnotes/{CREDITNOTE_ID}/invoices",
        status=400,
        json={"code": 24016, "message": "The amount applied exceeds the invoice balance."},
    )

    with pytest.raises(ProviderRequestError) as caught:
        client.apply_creditnote_to_invoice(CREDITNOTE_ID, INVOICE_ID, 5000)
    assert caught.value.code == 24016


# ----------------------------------------------------------------------------- the one error model, every new call

Call = Callable[[ZohoClient], object]

CALLS: dict[str, tuple[str, str, Call]] = {
    "salesreturn": (
        "POST",
        "/inventory/v1/salesreturns",
        lambda c: c.create_salesreturn(SO_ID, date="2025-01-20", reason="RTO", line_items=LINES),
    ),
    "receive": (
        "POST",
        "/inventory/v1/salesreturnreceives",
        lambda c: c.create_salesreturn_receive(SALESRETURN_ID, date="2025-01-21", line_items=[(TEE_RETURN_LINE, 2)]),
    ),
    "get-salesreturn": (
        "GET",
        f"/inventory/v1/salesreturns/{SALESRETURN_ID}",
        lambda c: c.get_salesreturn(SALESRETURN_ID),
    ),
    "invoice": ("GET", f"/inventory/v1/invoices/{INVOICE_ID}", lambda c: c.get_invoice(INVOICE_ID)),
    "creditnote": (
        "POST",
        "/inventory/v1/creditnotes",
        lambda c: c.create_creditnote(
            customer_id=CUSTOMER_ID,
            date="2025-01-21",
            invoice_id=INVOICE_ID,
            lines=CREDITNOTE_LINES,
            reference_number="RTO-1411220456789",
        ),
    ),
    "find-creditnote": ("GET", "/inventory/v1/creditnotes", lambda c: c.find_creditnote_by_reference("RTO-1")),
    "get-creditnote": (
        "GET",
        f"/inventory/v1/creditnotes/{CREDITNOTE_ID}",
        lambda c: c.get_creditnote(CREDITNOTE_ID),
    ),
    "apply-creditnote": (
        "POST",
        f"/inventory/v1/creditnotes/{CREDITNOTE_ID}/invoices",
        lambda c: c.apply_creditnote_to_invoice(CREDITNOTE_ID, INVOICE_ID, 100.0),
    ),
}

ERRORS = [
    (401, {"code": 57, "message": "You are not authorized to perform this operation"}, TokenRejected),
    (429, {"code": 44, "message": "exceeded the maximum number of requests per minute"}, RateLimited),
    (429, {"code": 1070, "message": "maximum number of in process requests"}, RateLimited),
    (
        429,
        {"code": 45, "message": "The API call for this organization has exceeded the maximum call rate"},
        DailyCapReached,
    ),
    (500, {"code": 9999, "message": "Internal error"}, TransientError),
    (200, {"code": 1038, "message": "JSON is not well formed"}, ProviderRequestError),
    (400, {"code": 2, "message": "Invalid value passed for salesorder_id"}, ProviderRequestError),
]


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize(("status", "body", "error"), ERRORS, ids=[f"{s}-{b['code']}" for s, b, _ in ERRORS])
def test_every_new_call_goes_through_the_error_model(
    rsps: responses.RequestsMock,
    client: ZohoClient,
    call: str,
    status: int,
    body: dict[str, Any],
    error: type[Exception],
) -> None:
    method, path, invoke = CALLS[call]
    rsps.add(method, f"{API}{path}", status=status, json=body)

    with pytest.raises(error) as caught:
        invoke(client)

    assert type(caught.value) is error
    if isinstance(caught.value, ProviderRequestError):
        assert caught.value.code == body["code"]
