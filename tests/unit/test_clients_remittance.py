"""The COD-remittance client methods (Zoho Books payments/expenses/invoices, Shiprocket orders/show)
against realistic bodies with the published field names (docs/providers/zoho.md §9; shiprocket.md §11)."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.clients.zoho import MAX_LIST_PAGES, ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import ZohoCustomerPayment
from shipsync.errors import ProviderRequestError, RateLimited, TokenRejected, TransientError

ZOHO = "https://www.zohoapis.in"
ORG = "60012345678"
PAYMENTS = f"{ZOHO}/books/v3/customerpayments"
EXPENSES = f"{ZOHO}/books/v3/expenses"
SHIPROCKET = "https://apiv2.shiprocket.in/v1/external"

UTR = "UTR-HDFCN24164123456"
AWB = "19041234567890"
CUSTOMER_ID = "1947583000000098011"
INVOICE_ID = "1947583000000131077"
SO_ID = "1947583000000123001"
ACCOUNT_ID = "1947583000000003210"

# What the reference's fixture C request is answered with (docs/providers/zoho.md §9 names the fields).
PAYMENT_CREATED = {
    "code": 0,
    "message": "The payment has been created.",
    "payment": {
        "payment_id": "1947583000000140001",
        "payment_number": "7",
        "payment_mode": "banktransfer",
        "amount": 1341.76,
        "bank_charges": 62.5,
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "customer_id": CUSTOMER_ID,
        "account_id": ACCOUNT_ID,
        "invoices": [
            {
                "invoice_id": INVOICE_ID,
                "invoice_number": "INV-000031",
                "amount_applied": 1341.76,
                "balance_amount": 0,
            }
        ],
        "custom_fields": [{"api_name": "cf_remit_key", "value": f"{UTR}:{AWB}"}],
    },
}


def _auth() -> ZohoAuth:
    return ZohoAuth(access_token="1000.secret", api_domain=ZOHO, organization_id=ORG, version=4)


@pytest.fixture
def zoho() -> ZohoClient:
    return ZohoClient(_auth, session=new_session(), item_cache=ItemCache())


@pytest.fixture
def shiprocket() -> ShiprocketClient:
    return ShiprocketClient(SHIPROCKET, lambda: ("eyJ.jwt.sig", 9), session=new_session())


def _query(rsps: responses.RequestsMock, index: int = 0) -> dict[str, list[str]]:
    url = rsps.calls[index].request.url
    assert url is not None
    return parse_qs(urlsplit(url).query)


def _sent(rsps: responses.RequestsMock, index: int = 0) -> Any:
    body = rsps.calls[index].request.body
    assert body is not None
    return json.loads(body)


def _raw(rsps: responses.RequestsMock, index: int = 0) -> str:
    body = rsps.calls[index].request.body
    assert body is not None
    return body.decode() if isinstance(body, bytes) else body


def _pay(zoho: ZohoClient, **overrides: Any) -> ZohoCustomerPayment:
    arguments: dict[str, Any] = {
        "customer_id": CUSTOMER_ID,
        "invoice_id": INVOICE_ID,
        "amount": Decimal("1341.76"),
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "bank_charges": Decimal("62.50"),
        "account_id": ACCOUNT_ID,
        "custom_fields": {"cf_remit_key": f"{UTR}:{AWB}"},
        **overrides,
    }
    return zoho.create_customer_payment(**arguments)


# ------------------------------------------------------------------ Zoho: customer payments


def test_create_customer_payment_sends_fixture_c_and_reads_the_payment(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.post(PAYMENTS, json=PAYMENT_CREATED, status=201)

    payment = _pay(zoho)

    assert _query(rsps)["organization_id"] == [ORG]
    assert rsps.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken 1000.secret"
    assert _sent(rsps) == {
        "customer_id": CUSTOMER_ID,
        "payment_mode": "banktransfer",
        "amount": 1341.76,
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "bank_charges": 62.5,
        "account_id": ACCOUNT_ID,
        "invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 1341.76}],
        "custom_fields": [{"api_name": "cf_remit_key", "value": f"{UTR}:{AWB}"}],
    }
    assert payment.payment_id == "1947583000000140001"
    assert (payment.amount, payment.bank_charges) == (Decimal("1341.76"), Decimal("62.5"))
    assert payment.invoice_numbers == ["INV-000031"]
    assert payment.invoices[0].invoice_id == INVOICE_ID
    assert payment.invoices[0].balance_amount == Decimal("0")
    assert payment.custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}


def test_payment_amounts_are_sent_as_two_decimal_numbers_without_float_drift(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.post(PAYMENTS, json=PAYMENT_CREATED, status=201)

    # 0.1 + 0.2 style sums: a Decimal built from paise, rounded half up to the paisa before sending.
    _pay(zoho, amount=Decimal("0.1") + Decimal("0.2"), bank_charges=Decimal("0.005"), account_id=None, custom_fields={})

    raw = _raw(rsps)
    assert '"amount": 0.3,' in raw
    assert '"amount_applied": 0.3}' in raw
    assert '"bank_charges": 0.01' in raw
    sent = _sent(rsps)
    assert "account_id" not in sent
    assert "custom_fields" not in sent


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"amount": Decimal("0")}, "positive"),
        ({"bank_charges": Decimal("-1")}, "bank charges"),
        ({"bank_charges": Decimal("2000")}, "bank charges"),
        ({"reference_number": "U" * 101}, "100 characters"),
    ],
)
def test_create_customer_payment_refuses_bad_input_before_calling(
    zoho: ZohoClient, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        _pay(zoho, **overrides)


@pytest.mark.parametrize(
    ("status", "answer", "error", "code"),
    [
        (
            400,
            {"code": 24016, "message": "The amount entered is more than the balance due."},
            ProviderRequestError,
            24016,
        ),
        (400, {"code": 3004, "message": "Customer mismatch."}, ProviderRequestError, 3004),
        (200, {"code": 2, "message": "Invalid value passed for amount"}, ProviderRequestError, 2),
        (401, {"code": 57, "message": "You are not authorized to perform this operation"}, TokenRejected, None),
        (429, {"code": 44, "message": "blocked for a minute"}, RateLimited, None),
        (503, {"code": 0, "message": "down"}, TransientError, None),
    ],
)
def test_create_customer_payment_errors_use_the_error_model(
    rsps: responses.RequestsMock,
    zoho: ZohoClient,
    status: int,
    answer: dict[str, Any],
    error: type[Exception],
    code: int | None,
) -> None:
    rsps.post(PAYMENTS, json=answer, status=status)

    with pytest.raises(error) as raised:
        _pay(zoho)

    if code is not None:
        assert isinstance(raised.value, ProviderRequestError)
        assert raised.value.code == code


def test_create_customer_payment_without_payment_object_is_refused(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.post(PAYMENTS, json={"code": 0, "message": "The payment has been created."}, status=201)

    with pytest.raises(ProviderRequestError, match="'payment'"):
        _pay(zoho)


def test_find_payments_by_reference_keeps_exact_matches_across_pages(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    row = {
        "payment_id": "1",
        "payment_number": "1",
        "amount": 1341.76,
        "bank_charges": 62.5,
        "reference_number": UTR,
        "description": f"AWB {AWB}",
        "invoice_numbers": "INV-000031, INV-000032",
        "customer_id": CUSTOMER_ID,
        "cf_remit_key": f"{UTR}:{AWB}",
    }
    loose = {**row, "payment_id": "2", "reference_number": f"{UTR}-OLD"}
    rsps.get(PAYMENTS, json={"code": 0, "customerpayments": [row, loose], "page_context": {"has_more_page": True}})
    rsps.get(
        PAYMENTS,
        json={
            "code": 0,
            "customerpayments": [{**row, "payment_id": "3", "bank_charges": "", "invoice_numbers": ""}],
            "page_context": {"has_more_page": False},
        },
    )

    found = zoho.find_payments_by_reference(UTR)

    assert [payment.payment_id for payment in found] == ["1", "3"]
    assert found[0].invoice_numbers == ["INV-000031", "INV-000032"]
    assert found[0].custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}
    assert found[1].bank_charges == Decimal("0")
    assert found[1].invoice_numbers == []
    first, second = _query(rsps, 0), _query(rsps, 1)
    assert first["reference_number"] == [UTR]
    assert first["organization_id"] == [ORG]
    assert (first["page"], second["page"]) == (["1"], ["2"])


def test_find_payments_by_reference_finds_none(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(PAYMENTS, json={"code": 0, "customerpayments": [], "page_context": {"has_more_page": False}})

    assert zoho.find_payments_by_reference(UTR) == []


def test_find_payments_by_reference_refuses_an_endless_listing(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(PAYMENTS, json={"code": 0, "customerpayments": [], "page_context": {"has_more_page": True}})

    with pytest.raises(ProviderRequestError, match="pages"):
        zoho.find_payments_by_reference(UTR)

    assert len(rsps.calls) == 10


def test_find_payments_by_reference_needs_a_reference(zoho: ZohoClient) -> None:
    with pytest.raises(ValueError, match="reference"):
        zoho.find_payments_by_reference("")


def test_find_payments_by_reference_wrong_org_is_a_request_error(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.get(PAYMENTS, json={"code": 6041, "message": "This user is not associated with the CompanyID"}, status=400)

    with pytest.raises(ProviderRequestError) as raised:
        zoho.find_payments_by_reference(UTR)

    assert raised.value.code == 6041


# ------------------------------------------------------------------ Zoho: expenses and invoices


def test_create_expense(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.post(EXPENSES, json={"code": 0, "message": "The expense has been recorded.", "expense": {"expense_id": "55"}})

    expense_id = zoho.create_expense(
        account_id="EXP-ACC",
        paid_through_account_id=ACCOUNT_ID,
        amount=Decimal("97.25"),
        date="2024-06-12",
        reference_number=UTR,
        description=f"Shiprocket deductions, AWB {AWB}",
    )

    assert expense_id == "55"
    assert _sent(rsps) == {
        "account_id": "EXP-ACC",
        "paid_through_account_id": ACCOUNT_ID,
        "amount": 97.25,
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket deductions, AWB {AWB}",
    }
    assert _query(rsps)["organization_id"] == [ORG]


def test_create_expense_errors(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.post(EXPENSES, json={"code": 2, "message": "Invalid value passed for account_id"}, status=400)

    with pytest.raises(ProviderRequestError) as raised:
        zoho.create_expense(
            account_id="x",
            paid_through_account_id="y",
            amount=Decimal("1"),
            date="2024-06-12",
            reference_number=UTR,
            description="",
        )

    assert raised.value.code == 2
    with pytest.raises(ValueError, match="positive"):
        zoho.create_expense(
            account_id="x",
            paid_through_account_id="y",
            amount=Decimal("0"),
            date="2024-06-12",
            reference_number=UTR,
            description="",
        )


def test_create_invoice_from_salesorder_creates_then_marks_sent(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.post(
        f"{ZOHO}/books/v3/invoices/fromsalesorder",
        json={"code": 0, "message": "Invoice has been created.", "invoice": {"invoice_id": INVOICE_ID}},
        status=201,
    )
    rsps.post(
        f"{ZOHO}/books/v3/invoices/{INVOICE_ID}/status/sent",
        json={"code": 0, "message": "Invoice status has been changed to Sent."},
    )

    assert zoho.create_invoice_from_salesorder(SO_ID) == INVOICE_ID

    assert _query(rsps, 0)["salesorder_id"] == [SO_ID]
    assert _query(rsps, 1)["organization_id"] == [ORG]


def test_create_invoice_from_fully_invoiced_salesorder_is_a_request_error(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.post(
        f"{ZOHO}/books/v3/invoices/fromsalesorder",
        json={"code": 2, "message": "All the items in this sales order have already been invoiced."},
        status=400,
    )

    with pytest.raises(ProviderRequestError, match="already been invoiced"):
        zoho.create_invoice_from_salesorder(SO_ID)


# ------------------------------------------------------------------ Shiprocket: orders/show


def _show(**overrides: Any) -> dict[str, Any]:
    """``GET /orders/show/{id}`` trimmed to what the poll reads; remittance fields empty as in the doc example."""
    data: dict[str, Any] = {
        "id": 612345678,
        "channel_order_id": "SO-01042",
        "status": "DELIVERED",
        "status_code": 7,
        "payment_method": "cod",
        "total": "1499.00",
        "shipments": {"id": 609876543, "awb": "1411220456789"},
        "awb_data": {"awb": "1411220456789"},
        "remittance_date": "",
        "remittance_utr": "",
        "remittance_status": "",
        **overrides,
    }
    return {"data": data}


def test_get_order_reads_a_delivered_unremitted_cod_order(
    rsps: responses.RequestsMock, shiprocket: ShiprocketClient
) -> None:
    rsps.get(f"{SHIPROCKET}/orders/show/612345678", json=_show())

    order = shiprocket.get_order(612345678)

    assert rsps.calls[0].request.headers["Authorization"] == "Bearer eyJ.jwt.sig"
    assert (order.sr_order_id, order.channel_order_id, order.status, order.status_code) == (
        612345678,
        "SO-01042",
        "DELIVERED",
        7,
    )
    assert (order.awb, order.payment_method, order.cod_amount) == ("1411220456789", "COD", Decimal("1499.00"))
    assert (order.remittance_utr, order.remittance_date, order.remittance_status) == (None, None, None)
    assert order.is_cod
    assert not order.is_remitted


def test_get_order_reads_the_remittance(rsps: responses.RequestsMock, shiprocket: ShiprocketClient) -> None:
    answer = _show(
        total=1341.76,
        awb_data={"awb": ""},
        shipments=[{"awb": "1411220456789"}],
        remittance_utr=UTR,
        remittance_date="2025-01-22",
        remittance_status="remitted",
    )
    rsps.get(f"{SHIPROCKET}/orders/show/612345678", json=answer)

    order = shiprocket.get_order(612345678)

    assert order.awb == "1411220456789"
    assert order.cod_amount == Decimal("1341.76")
    assert (order.remittance_utr, order.remittance_date, order.remittance_status) == (UTR, "2025-01-22", "remitted")
    assert order.is_remitted


def test_get_order_prepaid_has_no_cod_amount(rsps: responses.RequestsMock, shiprocket: ShiprocketClient) -> None:
    rsps.get(f"{SHIPROCKET}/orders/show/612345678", json=_show(payment_method="prepaid", awb_data=None, shipments={}))

    order = shiprocket.get_order(612345678)

    assert (order.payment_method, order.cod_amount, order.awb) == ("Prepaid", Decimal("0"), None)
    assert not order.is_cod


def test_get_order_unreadable_cod_amount_is_refused(rsps: responses.RequestsMock, shiprocket: ShiprocketClient) -> None:
    rsps.get(f"{SHIPROCKET}/orders/show/612345678", json=_show(total="n/a"))

    with pytest.raises(ProviderRequestError, match="COD amount"):
        shiprocket.get_order(612345678)


@pytest.mark.parametrize(
    ("status", "answer", "error"),
    [
        (404, {"message": "No order found with this id.", "status_code": 404}, ProviderRequestError),
        (200, {"message": "No order found with this id.", "status_code": 404}, ProviderRequestError),
        (200, {"data": []}, ProviderRequestError),
        (401, {"message": "Token has expired", "status_code": 401}, TokenRejected),
        (429, {"message": "Too Many Attempts."}, RateLimited),
        (502, {"message": "Bad gateway"}, TransientError),
    ],
)
def test_get_order_errors_use_the_error_model(
    rsps: responses.RequestsMock,
    shiprocket: ShiprocketClient,
    status: int,
    answer: dict[str, Any],
    error: type[Exception],
) -> None:
    rsps.get(f"{SHIPROCKET}/orders/show/612345678", json=answer, status=status)

    with pytest.raises(error):
        shiprocket.get_order(612345678)


# ------------------------------------------------------------------ Zoho: a payment's bank charges, expense lookup

PAYMENT_ID = "1947583000000140001"

# GET /books/v3/customerpayments/{id}: the detail carries the invoices and the custom fields as a list.
PAYMENT_DETAIL = {
    "code": 0,
    "message": "success",
    "payment": {
        "payment_id": PAYMENT_ID,
        "payment_number": "7",
        "payment_mode": "banktransfer",
        "amount": 1341.76,
        "bank_charges": 0,
        "unused_amount": 0,
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "customer_id": CUSTOMER_ID,
        "account_id": ACCOUNT_ID,
        "customer_name": "Ananya Iyer",
        "currency_code": "INR",
        "invoices": [
            {
                "invoice_payment_id": "1947583000000140003",
                "invoice_id": INVOICE_ID,
                "invoice_number": "INV-000031",
                "date": "2024-06-03",
                "total": 1341.76,
                "amount_applied": 1341.76,
                "balance_amount": 0,
            }
        ],
        "custom_fields": [
            {
                "customfield_id": "1947583000000077009",
                "api_name": "cf_remit_key",
                "placeholder": "cf_remit_key",
                "label": "Remit Key",
                "data_type": "string",
                "value": f"{UTR}:{AWB}",
                "value_formatted": f"{UTR}:{AWB}",
            }
        ],
    },
}


def _detail(**overrides: Any) -> ZohoCustomerPayment:
    data: dict[str, Any] = {
        "payment_id": PAYMENT_ID,
        "payment_number": "7",
        "payment_mode": "banktransfer",
        "customer_id": CUSTOMER_ID,
        "date": "2024-06-12",
        "amount": Decimal("1341.76"),
        "bank_charges": Decimal("0"),
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "account_id": ACCOUNT_ID,
        "invoice_numbers": ["INV-000031"],
        "invoices": [
            {
                "invoice_id": INVOICE_ID,
                "invoice_number": "INV-000031",
                "amount_applied": Decimal("1341.76"),
                "balance_amount": Decimal("0"),
            }
        ],
        "custom_fields": {"cf_remit_key": f"{UTR}:{AWB}"},
        **overrides,
    }
    return ZohoCustomerPayment.model_validate(data)


def test_get_customer_payment_reads_the_detail(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    detail = copy.deepcopy(PAYMENT_DETAIL)
    detail["payment"]["bank_charges"] = 62.5
    rsps.get(f"{PAYMENTS}/{PAYMENT_ID}", json=detail)

    payment = zoho.get_customer_payment(PAYMENT_ID)

    assert _query(rsps)["organization_id"] == [ORG]
    assert rsps.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken 1000.secret"
    assert (payment.payment_id, payment.payment_number, payment.payment_mode) == (PAYMENT_ID, "7", "banktransfer")
    assert (payment.customer_id, payment.date, payment.account_id) == (CUSTOMER_ID, "2024-06-12", ACCOUNT_ID)
    assert (payment.amount, payment.bank_charges) == (Decimal("1341.76"), Decimal("62.5"))
    assert payment.reference_number == UTR
    assert payment.description == f"Shiprocket COD remittance, AWB {AWB}, SO-01042"
    assert [(i.invoice_id, i.invoice_number, i.amount_applied, i.balance_amount) for i in payment.invoices] == [
        (INVOICE_ID, "INV-000031", Decimal("1341.76"), Decimal("0"))
    ]
    # Without a comma-separated list the numbers come from the invoices.
    assert payment.invoice_numbers == ["INV-000031"]
    assert payment.custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}


def test_get_customer_payment_without_bank_charges_reads_zero(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    detail = copy.deepcopy(PAYMENT_DETAIL)
    del detail["payment"]["bank_charges"]
    rsps.get(f"{PAYMENTS}/{PAYMENT_ID}", json=detail)

    assert zoho.get_customer_payment(PAYMENT_ID).bank_charges == Decimal("0")


def test_get_customer_payment_errors(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(f"{PAYMENTS}/404", json={"code": 1002, "message": "Payment does not exist."}, status=404)
    rsps.get(f"{PAYMENTS}/{PAYMENT_ID}", json={"code": 0, "message": "success"})

    with pytest.raises(ProviderRequestError) as raised:
        zoho.get_customer_payment("404")
    assert (raised.value.code, raised.value.http_status) == (1002, 404)
    with pytest.raises(ProviderRequestError, match="'payment'"):
        zoho.get_customer_payment(PAYMENT_ID)


def test_set_payment_bank_charges_puts_the_payment_as_read_with_new_charges(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    answer = copy.deepcopy(PAYMENT_DETAIL)
    answer["message"] = "The payment details have been updated."
    answer["payment"]["bank_charges"] = 62.5
    rsps.put(f"{PAYMENTS}/{PAYMENT_ID}", json=answer)

    updated = zoho.set_payment_bank_charges(_detail(), Decimal("62.50"))

    assert rsps.calls[0].request.method == "PUT"
    assert _query(rsps)["organization_id"] == [ORG]
    assert rsps.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken 1000.secret"
    assert _sent(rsps) == {
        "customer_id": CUSTOMER_ID,
        "payment_mode": "banktransfer",
        "amount": 1341.76,
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "bank_charges": 62.5,
        "invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 1341.76}],
        "custom_fields": [{"api_name": "cf_remit_key", "value": f"{UTR}:{AWB}"}],
        "account_id": ACCOUNT_ID,
    }
    assert (updated.payment_id, updated.payment_number) == (PAYMENT_ID, "7")
    assert updated.bank_charges == Decimal("62.5")
    assert [(i.invoice_id, i.balance_amount) for i in updated.invoices] == [(INVOICE_ID, Decimal("0"))]
    assert updated.custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}


def test_set_payment_bank_charges_keeps_every_invoice_and_omits_a_missing_account(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    rsps.put(f"{PAYMENTS}/{PAYMENT_ID}", json=PAYMENT_DETAIL)
    payment = _detail(
        payment_mode=None,
        account_id=None,
        amount=Decimal("2000.00"),
        invoices=[
            {"invoice_id": INVOICE_ID, "amount_applied": Decimal("1341.76")},
            {"invoice_id": "INV-2", "amount_applied": Decimal("658.24")},
        ],
    )

    zoho.set_payment_bank_charges(payment, Decimal("0.005"))

    sent = _sent(rsps)
    assert "account_id" not in sent
    # A payment read without a mode goes back as the bank transfer a remittance is.
    assert sent["payment_mode"] == "banktransfer"
    assert sent["invoices"] == [
        {"invoice_id": INVOICE_ID, "amount_applied": 1341.76},
        {"invoice_id": "INV-2", "amount_applied": 658.24},
    ]
    assert '"bank_charges": 0.01' in _raw(rsps)


@pytest.mark.parametrize("bank_charges", [Decimal("0"), Decimal("1341.76")])
def test_set_payment_bank_charges_accepts_zero_up_to_the_amount(
    rsps: responses.RequestsMock, zoho: ZohoClient, bank_charges: Decimal
) -> None:
    rsps.put(f"{PAYMENTS}/{PAYMENT_ID}", json=PAYMENT_DETAIL)

    zoho.set_payment_bank_charges(_detail(bank_charges=Decimal("62.5")), bank_charges)

    assert _sent(rsps)["bank_charges"] == float(bank_charges)


@pytest.mark.parametrize(
    ("overrides", "bank_charges", "message"),
    [
        # A list row has invoice_numbers but no invoices: a PUT from it would drop the application.
        ({"invoices": []}, Decimal("62.50"), "invoices"),
        ({}, Decimal("1341.77"), "bank charges"),
        ({}, Decimal("-0.01"), "bank charges"),
    ],
)
def test_set_payment_bank_charges_refuses_before_calling(
    rsps: responses.RequestsMock, zoho: ZohoClient, overrides: dict[str, Any], bank_charges: Decimal, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        zoho.set_payment_bank_charges(_detail(**overrides), bank_charges)

    assert len(rsps.calls) == 0


def test_set_payment_bank_charges_error_uses_the_error_model(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.put(
        f"{PAYMENTS}/{PAYMENT_ID}",
        json={"code": 24016, "message": "The amount entered is more than the balance due for the selected invoices."},
        status=400,
    )

    with pytest.raises(ProviderRequestError) as raised:
        zoho.set_payment_bank_charges(_detail(), Decimal("62.50"))

    assert (raised.value.code, raised.value.http_status) == (24016, 400)


def _expense_row(expense_id: str, reference_number: str) -> dict[str, Any]:
    return {
        "expense_id": expense_id,
        "account_id": "EXP-SHIPPING",
        "paid_through_account_id": ACCOUNT_ID,
        "date": "2024-06-12",
        "amount": 97.25,
        "total": 97.25,
        "reference_number": reference_number,
        "description": f"Shiprocket deductions, AWB {AWB}",
        "status": "nonbillable",
    }


def test_find_expenses_by_reference_keeps_exact_matches_across_pages(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    reference = f"{UTR}:{AWB}"
    rsps.get(
        EXPENSES,
        json={
            "code": 0,
            "expenses": [_expense_row("E1", reference), _expense_row("E2", f"{reference}-OLD"), "not a row"],
            "page_context": {"has_more_page": True},
        },
    )
    rsps.get(
        EXPENSES,
        json={
            "code": 0,
            "expenses": [_expense_row("E3", reference), _expense_row("E4", UTR)],
            "page_context": {"has_more_page": False},
        },
    )

    assert zoho.find_expenses_by_reference(reference) == ["E1", "E3"]

    first, second = _query(rsps, 0), _query(rsps, 1)
    assert first["reference_number"] == [reference]
    assert first["organization_id"] == [ORG]
    assert first["per_page"] == ["200"]
    assert (first["page"], second["page"]) == (["1"], ["2"])
    assert rsps.calls[0].request.headers["Authorization"] == "Zoho-oauthtoken 1000.secret"


def test_find_expenses_by_reference_finds_none(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    # A page_context-less answer is the last page.
    rsps.get(EXPENSES, json={"code": 0, "message": "success", "expenses": []})

    assert zoho.find_expenses_by_reference(f"{UTR}:{AWB}") == []
    assert len(rsps.calls) == 1


def test_find_expenses_by_reference_refuses_an_endless_listing(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(
        EXPENSES,
        json={"code": 0, "expenses": [_expense_row("E1", UTR)], "page_context": {"has_more_page": True}},
    )

    with pytest.raises(ProviderRequestError, match="pages of expenses"):
        zoho.find_expenses_by_reference(UTR)

    assert len(rsps.calls) == MAX_LIST_PAGES


def test_find_expenses_by_reference_needs_a_reference(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    with pytest.raises(ValueError, match="reference"):
        zoho.find_expenses_by_reference("")

    assert len(rsps.calls) == 0


def test_find_expenses_by_reference_refuses_a_matching_row_without_an_id(
    rsps: responses.RequestsMock, zoho: ZohoClient
) -> None:
    row = {key: value for key, value in _expense_row("E1", UTR).items() if key != "expense_id"}
    rsps.get(EXPENSES, json={"code": 0, "expenses": [row], "page_context": {"has_more_page": False}})

    with pytest.raises(ProviderRequestError, match="expense_id"):
        zoho.find_expenses_by_reference(UTR)


def test_find_expenses_by_reference_errors_use_the_error_model(rsps: responses.RequestsMock, zoho: ZohoClient) -> None:
    rsps.get(EXPENSES, json={"code": 57, "message": "You are not authorized to perform this operation"}, status=401)

    with pytest.raises(TokenRejected):
        zoho.find_expenses_by_reference(UTR)
