"""COD remittance over real HTTP: the Zoho Books payments/expenses and the Shiprocket orders/show +
``/_sim/remit`` of the simulators, driven through the production clients where one exists."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
import requests

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD
from local.sim.zoho import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
    DEFAULT_ORGANIZATION_ID,
    DEFAULT_REFRESH_TOKEN,
)
from shipsync.clients.auth import shiprocket_login, zoho_refresh_access_token
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import PaymentMethod, ShiprocketOrder, ShiprocketOrderItem
from shipsync.errors import ProviderRequestError
from tests.fixtures.reference import zoho_salesorder_a

FAST = (1.0, 5.0)
SO_ID = "1947583000000123001"
CUSTOMER_ID = "1947583000000098011"
INVOICE_ID = "1947583000000131077"
ACCOUNT_ID = "1947583000000003210"
UTR = "UTR-HDFCN24164123456"
AWB = "19041234567890"
# Fixture A bills 2 x 599 at 12 % GST.
INVOICE_TOTAL = Decimal("1341.76")


def _post(url: str, body: Any) -> Any:
    response = requests.post(url, json=body, timeout=FAST)
    response.raise_for_status()
    return response.json()


def _state(server: SimServer) -> dict[str, Any]:
    response = requests.get(f"{server.url}/_sim/state", timeout=FAST)
    response.raise_for_status()
    state: dict[str, Any] = response.json()
    return state


# ================================================================================== Zoho Books


@pytest.fixture
def zoho_sim(zoho_server: SimServer) -> SimServer:
    _post(f"{zoho_server.url}/_sim/reset", {})
    _post(
        f"{zoho_server.url}/_sim/seed",
        {
            "salesorders": [zoho_salesorder_a(), zoho_salesorder_a(salesorder_id="SO-2", customer_id="CUST-2")],
            "invoices": [{"invoice_id": INVOICE_ID, "salesorder_id": SO_ID}],
        },
    )
    return zoho_server


@pytest.fixture
def zoho_auth(zoho_sim: SimServer) -> ZohoAuth:
    minted = zoho_refresh_access_token(
        zoho_sim.url, DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_REFRESH_TOKEN, timeout=FAST
    )
    return ZohoAuth(
        access_token=minted.access_token,
        api_domain=minted.api_domain,
        organization_id=DEFAULT_ORGANIZATION_ID,
        version=1,
    )


@pytest.fixture
def zoho(zoho_auth: ZohoAuth) -> ZohoClient:
    return ZohoClient(lambda: zoho_auth, timeout=FAST, item_cache=ItemCache())


def _books(auth: ZohoAuth, method: str, path: str, body: Any = None, **params: str) -> tuple[int, Any]:
    """A raw Books call (endpoints and bodies the client does not make)."""
    response = requests.request(
        method,
        f"{auth.api_domain}/books/v3{path}",
        params={"organization_id": auth.organization_id, **params},
        headers={"Authorization": f"Zoho-oauthtoken {auth.access_token}"},
        json=body,
        timeout=FAST,
    )
    return response.status_code, response.json()


def _pay(zoho: ZohoClient, amount: str, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "customer_id": CUSTOMER_ID,
        "invoice_id": INVOICE_ID,
        "amount": Decimal(amount),
        "date": "2024-06-12",
        "reference_number": UTR,
        "description": f"Shiprocket COD remittance, AWB {AWB}, SO-01042",
        "bank_charges": Decimal("62.50"),
        "account_id": ACCOUNT_ID,
        "custom_fields": {"cf_remit_key": f"{UTR}:{AWB}"},
        **overrides,
    }
    return zoho.create_customer_payment(**arguments)


def test_a_payment_lowers_the_invoice_balance_and_the_reference_search_finds_it(
    zoho_sim: SimServer, zoho: ZohoClient, zoho_auth: ZohoAuth
) -> None:
    assert zoho.find_payments_by_reference(UTR) == []

    payment = _pay(zoho, "1341.76")

    assert payment.amount == INVOICE_TOTAL
    assert payment.bank_charges == Decimal("62.5")
    assert payment.reference_number == UTR
    assert [(i.invoice_id, i.amount_applied, i.balance_amount) for i in payment.invoices] == [
        (INVOICE_ID, INVOICE_TOTAL, Decimal("0"))
    ]
    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("paid", 0)
    order = zoho.get_salesorder(SO_ID)
    assert [(ref.invoice_id, ref.status, ref.balance) for ref in order.invoices] == [(INVOICE_ID, "paid", 0)]

    found = zoho.find_payments_by_reference(UTR)
    assert [p.payment_id for p in found] == [payment.payment_id]
    assert found[0].invoice_numbers == [invoice.invoice_number]
    assert found[0].custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}
    assert zoho.find_payments_by_reference(f"{UTR}-OTHER") == []

    status, detail = _books(zoho_auth, "GET", f"/customerpayments/{payment.payment_id}")
    assert status == 200
    assert detail["payment"]["invoices"][0]["balance_amount"] == 0
    status, listed = _books(zoho_auth, "GET", "/customerpayments", reference_number_contains="HDFCN")
    assert [row["payment_id"] for row in listed["customer_payments"]] == [payment.payment_id]
    assert _state(zoho_sim)["calls"]["POST /books/v3/customerpayments"] == 1


def test_partial_payments_share_a_reference_and_overpayment_is_24016(zoho_sim: SimServer, zoho: ZohoClient) -> None:
    first = _pay(zoho, "1000.00")
    # No duplicate check on the reference (docs/providers/zoho.md §9): a second payment with it is accepted.
    second = _pay(zoho, "300.00", bank_charges=Decimal("0"))

    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("partially_paid", 41.76)
    assert zoho.get_salesorder(SO_ID).invoices[0].status == "partially_paid"
    assert {p.payment_id for p in zoho.find_payments_by_reference(UTR)} == {first.payment_id, second.payment_id}

    with pytest.raises(ProviderRequestError) as raised:
        _pay(zoho, "41.77", bank_charges=Decimal("0"))
    assert (raised.value.code, raised.value.http_status) == (24016, 400)
    assert zoho.get_invoice(INVOICE_ID).balance == 41.76

    _pay(zoho, "41.76", bank_charges=Decimal("0"))
    assert zoho.get_invoice(INVOICE_ID).status == "paid"
    assert zoho.get_salesorder(SO_ID).invoices[0].balance == 0


def test_payment_refusals(zoho_sim: SimServer, zoho: ZohoClient, zoho_auth: ZohoAuth) -> None:
    with pytest.raises(ProviderRequestError) as raised:
        _pay(zoho, "100.00", customer_id="CUST-2")
    assert raised.value.code == 3004
    with pytest.raises(ProviderRequestError) as raised:
        _pay(zoho, "100.00", invoice_id="404")
    assert raised.value.code == 2
    assert _state(zoho_sim)["customerpayments"] == []
    assert zoho.get_invoice(INVOICE_ID).balance == float(INVOICE_TOTAL)

    # More applied to invoices than the payment brings in.
    status, answer = _books(
        zoho_auth,
        "POST",
        "/customerpayments",
        {
            "customer_id": CUSTOMER_ID,
            "payment_mode": "banktransfer",
            "amount": 100,
            "date": "2024-06-12",
            "invoices": [{"invoice_id": INVOICE_ID, "amount_applied": 150}],
        },
    )
    assert (status, answer["code"]) == (400, 2)
    assert zoho.get_invoice(INVOICE_ID).balance == float(INVOICE_TOTAL)


def test_invoice_from_salesorder_is_sent_and_payable(zoho_sim: SimServer, zoho: ZohoClient) -> None:
    invoice_id = zoho.create_invoice_from_salesorder("SO-2")

    invoice = zoho.get_invoice(invoice_id)
    assert (invoice.status, invoice.balance) == ("sent", float(INVOICE_TOTAL))
    assert [ref.invoice_id for ref in zoho.get_salesorder("SO-2").invoices] == [invoice_id]

    payment = _pay(zoho, "1341.76", customer_id="CUST-2", invoice_id=invoice_id)
    assert payment.invoices[0].balance_amount == 0
    with pytest.raises(ProviderRequestError, match="already been invoiced"):
        zoho.create_invoice_from_salesorder("SO-2")


def test_expense_is_recorded_and_listed_by_reference(zoho: ZohoClient, zoho_auth: ZohoAuth) -> None:
    expense_id = zoho.create_expense(
        account_id="EXP-SHIPPING",
        paid_through_account_id=ACCOUNT_ID,
        amount=Decimal("97.25"),
        date="2024-06-12",
        reference_number=UTR,
        description=f"Shiprocket deductions, AWB {AWB}",
    )

    status, listed = _books(zoho_auth, "GET", "/expenses", reference_number=UTR)
    assert status == 200
    assert [(row["expense_id"], row["amount"]) for row in listed["expenses"]] == [(expense_id, 97.25)]
    status, detail = _books(zoho_auth, "GET", f"/expenses/{expense_id}")
    assert (status, detail["expense"]["paid_through_account_id"]) == (200, ACCOUNT_ID)
    with pytest.raises(ProviderRequestError) as raised:
        zoho.create_expense(
            account_id="",
            paid_through_account_id=ACCOUNT_ID,
            amount=Decimal("1"),
            date="2024-06-12",
            reference_number=UTR,
            description="",
        )
    assert raised.value.code == 2


def test_cod_remittance_id_custom_field_through_the_salesorder_put(zoho_sim: SimServer, zoho: ZohoClient) -> None:
    zoho.update_salesorder_custom_fields(SO_ID, {"cf_cod_remittance_id": UTR})

    assert zoho.get_salesorder(SO_ID).custom_field("cf_cod_remittance_id") == UTR


# ================================================================================== Shiprocket


@pytest.fixture
def shiprocket(shiprocket_sim: SimServer) -> ShiprocketClient:
    base = f"{shiprocket_sim.url}/v1/external"
    token = shiprocket_login(base, DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, timeout=FAST)
    return ShiprocketClient(base, lambda: (token, 1), timeout=FAST)


def _ship(
    client: ShiprocketClient, order_id: str, *, payment_method: PaymentMethod = "COD", sub_total: float = 1499
) -> Any:
    order = ShiprocketOrder(
        order_id=order_id,
        order_date="2025-01-11 10:00",
        pickup_location="Pune-WH1",
        billing_customer_name="Asha",
        billing_address="14 MG Road, Koramangala",
        billing_city="Bengaluru",
        billing_pincode="560034",
        billing_state="Karnataka",
        billing_email="asha@example.com",
        billing_phone="9876501234",
        order_items=[ShiprocketOrderItem(name="Kurta", sku="KUR-001", units=1, selling_price=sub_total)],
        payment_method=payment_method,
        sub_total=sub_total,
        length=20,
        breadth=15,
        height=10,
        weight=0.5,
    )
    created = client.create_adhoc_order(order)
    assert created.shipment_id is not None
    awb = client.assign_awb(created.shipment_id, 43)
    return created.sr_order_id, awb.awb_code


def _deliver(server: SimServer, awb: str, lifecycle: str = "delivered") -> None:
    _post(f"{server.url}/_sim/seed", {"lifecycles": {awb: lifecycle}})
    _post(f"{server.url}/_sim/tracking/advance", {"awb": awb, "deliver_webhooks": False})


def _freight(server: SimServer, awb: str) -> float:
    order = next(o for o in _state(server)["orders"] if o["awb_code"] == awb)
    freight: float = order["freight_charges"]
    return freight


def test_remit_fills_orders_show_and_returns_a_balanced_batch(
    shiprocket_sim: SimServer, shiprocket: ShiprocketClient
) -> None:
    first_id, first_awb = _ship(shiprocket, "SO-1", sub_total=1499)
    second_id, second_awb = _ship(shiprocket, "SO-2", sub_total=1341.76)
    prepaid_id, prepaid_awb = _ship(shiprocket, "SO-3", payment_method="Prepaid")
    waiting_id, _ = _ship(shiprocket, "SO-4")
    rto_id, rto_awb = _ship(shiprocket, "SO-5")
    for awb in (first_awb, second_awb, prepaid_awb):
        _deliver(shiprocket_sim, awb)
    _deliver(shiprocket_sim, rto_awb, "rto")

    before = shiprocket.get_order(first_id)
    assert (before.status, before.status_code, before.awb) == ("DELIVERED", 7, first_awb)
    assert (before.payment_method, before.cod_amount) == ("COD", Decimal("1499"))
    assert (before.remittance_utr, before.remittance_date, before.remittance_status) == (None, None, None)

    batch = _post(f"{shiprocket_sim.url}/_sim/remit", {"utr": UTR, "date": "2025-01-22"})

    assert (batch["remittance_id"], batch["remittance_date"]) == (UTR, "2025-01-22")
    assert [(line["awb"], line["order_id"], line["cod_amount"]) for line in batch["orders"]] == [
        (first_awb, "SO-1", 1499),
        (second_awb, "SO-2", 1341.76),
    ]
    for line in batch["orders"]:
        # Default deduction: the AWB's rate-card cost (freight + COD charge).
        assert line["deducted_charges"] == _freight(shiprocket_sim, line["awb"]) > 0
    net = sum(Decimal(str(line["cod_amount"])) - Decimal(str(line["deducted_charges"])) for line in batch["orders"])
    assert Decimal(str(batch["bank_transfer_amount"])) == net

    after = shiprocket.get_order(second_id)
    assert (after.remittance_utr, after.remittance_date, after.remittance_status) == (UTR, "2025-01-22", "remitted")
    assert after.cod_amount == Decimal("1341.76")
    assert shiprocket.get_order(prepaid_id).cod_amount == Decimal("0")
    for untouched in (prepaid_id, waiting_id, rto_id):
        assert shiprocket.get_order(untouched).remittance_utr is None
    assert shiprocket.get_order(rto_id).status_code != 7

    again = _post(f"{shiprocket_sim.url}/_sim/remit", {"utr": "UTR-NEXT", "date": "2025-01-24"})
    assert (again["orders"], again["bank_transfer_amount"]) == ([], 0)
    assert [b["remittance_id"] for b in _state(shiprocket_sim)["remittances"]] == [UTR, "UTR-NEXT"]


def test_remit_named_awbs_with_deductions(shiprocket_sim: SimServer, shiprocket: ShiprocketClient) -> None:
    first_id, first_awb = _ship(shiprocket, "SO-1", sub_total=1499)
    second_id, second_awb = _ship(shiprocket, "SO-2", sub_total=999.5)
    for awb in (first_awb, second_awb):
        _deliver(shiprocket_sim, awb)

    batch = _post(
        f"{shiprocket_sim.url}/_sim/remit",
        {"utr": UTR, "date": "2025-01-22", "awbs": [second_awb], "deductions": {second_awb: 70.1}},
    )

    assert batch["orders"] == [{"awb": second_awb, "order_id": "SO-2", "cod_amount": 999.5, "deducted_charges": 70.1}]
    assert batch["bank_transfer_amount"] == 929.4
    assert shiprocket.get_order(second_id).remittance_utr == UTR
    assert shiprocket.get_order(first_id).remittance_utr is None


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"date": "2025-01-22"}, 400),
        ({"utr": UTR, "date": "22-01-2025"}, 400),
        ({"utr": UTR, "date": "2025-01-22", "awbs": ["NOPE"]}, 404),
        ({"utr": UTR, "date": "2025-01-22", "deductions": {"NOPE": 1}}, 400),
    ],
)
def test_remit_refusals(shiprocket_sim: SimServer, body: dict[str, Any], status: int) -> None:
    response = requests.post(f"{shiprocket_sim.url}/_sim/remit", json=body, timeout=FAST)
    assert response.status_code == status
    assert _state(shiprocket_sim)["remittances"] == []


def test_remit_refuses_an_undelivered_awb_and_remits_nothing(
    shiprocket_sim: SimServer, shiprocket: ShiprocketClient
) -> None:
    delivered_id, delivered_awb = _ship(shiprocket, "SO-1")
    _, waiting_awb = _ship(shiprocket, "SO-2")
    _deliver(shiprocket_sim, delivered_awb)

    response = requests.post(
        f"{shiprocket_sim.url}/_sim/remit",
        json={"utr": UTR, "date": "2025-01-22", "awbs": [delivered_awb, waiting_awb]},
        timeout=FAST,
    )

    assert response.status_code == 400
    assert waiting_awb in response.json()["message"]
    assert shiprocket.get_order(delivered_id).remittance_utr is None


def test_order_updates_seed_still_sets_the_remittance(shiprocket_sim: SimServer, shiprocket: ShiprocketClient) -> None:
    sr_order_id, awb = _ship(shiprocket, "SO-1")
    _post(
        f"{shiprocket_sim.url}/_sim/seed",
        {
            "order_updates": [
                {
                    "awb_code": awb,
                    "status": "DELIVERED",
                    "status_code": 7,
                    "remittance_date": "2025-01-22",
                    "remittance_utr": "UTR0001",
                    "remittance_status": "remitted",
                }
            ]
        },
    )

    order = shiprocket.get_order(sr_order_id)
    assert (order.status_code, order.remittance_utr, order.remittance_date) == (7, "UTR0001", "2025-01-22")
    # Already remitted by the seed: the next cycle leaves it alone.
    assert _post(f"{shiprocket_sim.url}/_sim/remit", {"utr": UTR, "date": "2025-01-24"})["orders"] == []


def test_unknown_order_is_a_400_request_error(shiprocket: ShiprocketClient) -> None:
    with pytest.raises(ProviderRequestError, match="Order ID not found") as raised:
        shiprocket.get_order(1)
    assert raised.value.http_status == 400


# ------------------------------------------------------------------ Zoho Books: bank charges set on a payment


def test_bank_charges_are_set_on_the_payment_in_place_and_a_repeat_changes_nothing(
    zoho_sim: SimServer, zoho: ZohoClient
) -> None:
    created = _pay(zoho, "1341.76", bank_charges=Decimal("0"))
    created_time = _state(zoho_sim)["customerpayments"][0]["created_time"]

    read = zoho.get_customer_payment(created.payment_id)
    assert read.bank_charges == Decimal("0")
    assert [(i.invoice_id, i.amount_applied) for i in read.invoices] == [(INVOICE_ID, INVOICE_TOTAL)]

    updated = zoho.set_payment_bank_charges(read, Decimal("62.50"))

    assert (updated.payment_id, updated.payment_number) == (created.payment_id, created.payment_number)
    assert updated.bank_charges == Decimal("62.5")
    assert (updated.amount, updated.reference_number, updated.date) == (INVOICE_TOTAL, UTR, "2024-06-12")
    assert (updated.customer_id, updated.account_id, updated.payment_mode) == (CUSTOMER_ID, ACCOUNT_ID, "banktransfer")
    assert updated.description == f"Shiprocket COD remittance, AWB {AWB}, SO-01042"
    assert updated.custom_fields == {"cf_remit_key": f"{UTR}:{AWB}"}
    assert [(i.invoice_id, i.amount_applied, i.balance_amount) for i in updated.invoices] == [
        (INVOICE_ID, INVOICE_TOTAL, Decimal("0"))
    ]
    # Re-applying the same amount leaves the invoice paid, not paid twice or reopened.
    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("paid", 0)
    assert [(ref.status, ref.balance) for ref in zoho.get_salesorder(SO_ID).invoices] == [("paid", 0)]

    again = zoho.set_payment_bank_charges(zoho.get_customer_payment(created.payment_id), Decimal("62.50"))

    assert again.payment_id == created.payment_id
    state = _state(zoho_sim)
    assert [(p["payment_id"], p["bank_charges"]) for p in state["customerpayments"]] == [(created.payment_id, 62.5)]
    assert state["customerpayments"][0]["created_time"] == created_time
    assert state["calls"]["POST /books/v3/customerpayments"] == 1
    assert state["calls"]["PUT /books/v3/customerpayments/{payment_id}"] == 2
    stored_invoice = next(i for i in state["invoices"] if i["invoice_id"] == INVOICE_ID)
    assert (stored_invoice["balance"], stored_invoice["payment_made"]) == (0, float(INVOICE_TOTAL))
    assert [p.bank_charges for p in zoho.find_payments_by_reference(UTR)] == [Decimal("62.5")]


def _put_payment(auth: ZohoAuth, payment_id: str, amount: str, **overrides: Any) -> tuple[int, Any]:
    body = {
        "customer_id": CUSTOMER_ID,
        "payment_mode": "banktransfer",
        "amount": float(amount),
        "date": "2024-06-12",
        "reference_number": UTR,
        "bank_charges": 0,
        "invoices": [{"invoice_id": INVOICE_ID, "amount_applied": float(amount)}],
        **overrides,
    }
    return _books(auth, "PUT", f"/customerpayments/{payment_id}", body)


def test_a_payment_update_may_apply_the_balance_plus_its_own_application_and_no_more(
    zoho_sim: SimServer, zoho: ZohoClient, zoho_auth: ZohoAuth
) -> None:
    first = _pay(zoho, "1000.00")
    other = _pay(zoho, "200.00", bank_charges=Decimal("0"))
    before = _state(zoho_sim)
    # Balance 141.76 plus the 1000.00 the payment applied before: 1141.76 is the most it may apply now.

    status, answer = _put_payment(zoho_auth, first.payment_id, "1141.77")

    assert (status, answer["code"]) == (400, 24016)
    after = _state(zoho_sim)
    assert after["customerpayments"] == before["customerpayments"]
    assert after["invoices"] == before["invoices"]
    assert after["salesorders"] == before["salesorders"]
    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("partially_paid", 141.76)

    status, answer = _put_payment(zoho_auth, first.payment_id, "1141.76")

    assert (status, answer["code"], answer["message"]) == (200, 0, "The payment details have been updated.")
    assert (answer["payment"]["payment_id"], answer["payment"]["payment_number"]) == (
        first.payment_id,
        first.payment_number,
    )
    assert answer["payment"]["invoices"][0]["balance_amount"] == 0
    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("paid", 0)
    payments = {p["payment_id"]: p["amount"] for p in _state(zoho_sim)["customerpayments"]}
    assert payments == {first.payment_id: 1141.76, other.payment_id: 200}


def test_a_payment_update_shrinking_the_application_reopens_the_invoice(
    zoho_sim: SimServer, zoho: ZohoClient, zoho_auth: ZohoAuth
) -> None:
    payment = _pay(zoho, "1341.76")

    status, answer = _put_payment(zoho_auth, payment.payment_id, "341.76")

    assert (status, answer["code"]) == (200, 0)
    invoice = zoho.get_invoice(INVOICE_ID)
    assert (invoice.status, invoice.balance) == ("partially_paid", 1000)
    assert zoho.get_salesorder(SO_ID).invoices[0].status == "partially_paid"


def test_payment_update_refusals_change_nothing(zoho_sim: SimServer, zoho: ZohoClient, zoho_auth: ZohoAuth) -> None:
    payment = _pay(zoho, "1000.00")
    before = _state(zoho_sim)

    # More applied than the payment brings in.
    status, answer = _put_payment(
        zoho_auth, payment.payment_id, "1000.00", invoices=[{"invoice_id": INVOICE_ID, "amount_applied": 1000.01}]
    )
    assert (status, answer["code"]) == (400, 2)
    # The update takes the whole payment: without invoices it is refused, not read as "unapply everything".
    status, answer = _put_payment(zoho_auth, payment.payment_id, "1000.00", invoices=[])
    assert (status, answer["code"]) == (400, 2)
    status, answer = _put_payment(zoho_auth, payment.payment_id, "1000.00", bank_charges=1000.01)
    assert (status, answer["code"]) == (400, 2)
    status, answer = _put_payment(zoho_auth, payment.payment_id, "1000.00", customer_id="CUST-2")
    assert (status, answer["code"]) == (400, 3004)

    after = _state(zoho_sim)
    assert (after["customerpayments"], after["invoices"]) == (before["customerpayments"], before["invoices"])
    status, answer = _put_payment(zoho_auth, "404", "1.00")
    assert (status, answer["code"]) == (404, 1002)
    with pytest.raises(ProviderRequestError) as raised:
        zoho.set_payment_bank_charges(payment.model_copy(update={"payment_id": "404"}), Decimal("1"))
    assert raised.value.code == 1002


# ------------------------------------------------------------------ Zoho Books: expenses found by reference


def test_find_expenses_by_reference_finds_exactly_that_reference(zoho: ZohoClient) -> None:
    reference = f"{UTR}:{AWB}"

    def expense(reference_number: str) -> str:
        return zoho.create_expense(
            account_id="EXP-SHIPPING",
            paid_through_account_id=ACCOUNT_ID,
            amount=Decimal("97.25"),
            date="2024-06-12",
            reference_number=reference_number,
            description=f"Shiprocket deductions, AWB {AWB}",
        )

    assert zoho.find_expenses_by_reference(reference) == []
    expense_id = expense(reference)
    expense(UTR)
    expense(f"{reference}-2")

    assert zoho.find_expenses_by_reference(reference) == [expense_id]
    assert zoho.find_expenses_by_reference(f"{UTR}:19040000000000") == []


# ------------------------------------------------------------------ Zoho Books: invoices of discounted orders


def _discounted_order(salesorder_id: str) -> dict[str, Any]:
    """Fixture A with two discounted GST-12 lines, totals as Zoho states them (tax on the discounted amount)."""
    line = zoho_salesorder_a()["line_items"][0]
    lines = [
        # 2 x 599 = 1198 less 10 % = 1078.20
        {**line, "line_item_id": f"{salesorder_id}-L1", "discount": "10%", "item_total": 1078.2},
        # 4 x 249.99 = 999.96 less 99.96 = 900
        {
            **line,
            "line_item_id": f"{salesorder_id}-L2",
            "item_id": "1947583000000045022",
            "sku": "TEE-WHT-S",
            "name": "Cotton Tee White S",
            "rate": 249.99,
            "quantity": 4,
            "discount": 99.96,
            "item_total": 900.0,
        },
    ]
    return zoho_salesorder_a(
        salesorder_id=salesorder_id, line_items=lines, sub_total=1978.2, tax_total=237.38, total=2215.58
    )


def test_an_invoice_from_a_discounted_order_totals_what_the_order_totals(zoho_sim: SimServer, zoho: ZohoClient) -> None:
    _post(f"{zoho_sim.url}/_sim/seed", {"salesorders": [_discounted_order("SO-D")]})

    invoice_id = zoho.create_invoice_from_salesorder("SO-D")

    order = zoho.get_salesorder("SO-D")
    invoice = zoho.get_invoice(invoice_id)
    assert (invoice.status, invoice.total, invoice.balance) == ("sent", order.total, order.total)
    assert order.total == 2215.58
    stored = next(i for i in _state(zoho_sim)["invoices"] if i["invoice_id"] == invoice_id)
    assert [(line["discount"], line["item_total"]) for line in stored["line_items"]] == [("10%", 1078.2), (99.96, 900)]
    assert stored["sub_total"] == 1978.2
    # The remittance pays the order's total: it must settle the invoice exactly, not hit 24016.
    payment = _pay(zoho, "2215.58", invoice_id=invoice_id)
    assert payment.invoices[0].balance_amount == 0
    assert zoho.get_invoice(invoice_id).status == "paid"


def test_an_amount_discount_is_billed_in_proportion_to_the_quantity_invoiced(
    zoho_sim: SimServer, zoho: ZohoClient
) -> None:
    order = _discounted_order("SO-P")
    # One of the four L2 units is already billed, with its quarter of the 99.96 discount.
    billed = {
        **{key: order["line_items"][1][key] for key in ("item_id", "sku", "name", "rate", "tax_percentage")},
        "salesorder_item_id": "SO-P-L2",
        "quantity": 1,
        "discount": 24.99,
    }
    _post(
        f"{zoho_sim.url}/_sim/seed",
        {
            "salesorders": [order],
            "invoices": [{"invoice_id": "INV-P1", "salesorder_id": "SO-P", "line_items": [billed]}],
        },
    )

    invoice_id = zoho.create_invoice_from_salesorder("SO-P")

    stored = next(i for i in _state(zoho_sim)["invoices"] if i["invoice_id"] == invoice_id)
    assert [(line["salesorder_item_id"], line["quantity"], line["discount"]) for line in stored["line_items"]] == [
        ("SO-P-L1", 2, "10%"),
        ("SO-P-L2", 3, 74.97),
    ]
    totals = [zoho.get_invoice(key).total for key in ("INV-P1", invoice_id)]
    # 249.99 - 24.99 = 225 plus 12 % is 252; the rest of the order is 2215.58 - 252.
    assert totals == [252.0, 1963.58]
    assert sum(Decimal(str(total)) for total in totals) == Decimal("2215.58")
    stored_order = next(o for o in _state(zoho_sim)["salesorders"] if o["salesorder_id"] == "SO-P")
    assert [line["quantity_invoiced"] for line in stored_order["line_items"]] == [2, 4]
    assert stored_order["invoiced_status"] == "invoiced"
