"""The Zoho client against the published answer of every endpoint it calls, and its requests against the spec.

Each example of ``tests/contract/published/zoho/`` (assembled from the example values of Zoho's own OpenAPI files
for Inventory and Books, plus a captured live webhook) is served as published and the client must read it into
its typed result. Zoho's specs publish success answers only; the error answers are judged in
``tests/unit/test_zoho_client.py`` against Zoho's documented codes (docs/providers/zoho.md §3). The request the
client sends is held to the spec's required query parameters and body fields, except where a published
source says Zoho takes less (listed with its reason).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import responses

from shipsync.clients.http import new_session
from shipsync.clients.zoho import ItemCache, ZohoAuth, ZohoClient
from shipsync.domain.models import CreditNoteLine, ReturnLine, ZohoCustomerPayment
from shipsync.orders.intake import parse_salesorder
from tests.fixtures import published

API = "https://www.zohoapis.in"
ORG = "60012345678"

RETURN_LINE = ReturnLine(salesorder_item_id="4815000000044892", item_id="4815000000044100", quantity=1)
CREDITNOTE_LINE = CreditNoteLine(
    invoice_item_id="90300000072369", salesreturn_item_id="4815000000044897", item_id="4815000000044100", quantity=1
)
# The published payment as the client read it (its custom field has no api_name, so none is kept).
PAYMENT = ZohoCustomerPayment.model_validate(
    {**published.body("zoho", "books_customerpayments_get")["payment"], "custom_fields": {}}
)


@dataclass(frozen=True)
class Case:
    """One client call: the fixture files whose answers it is served (in order), and what it must return."""

    files: tuple[str, ...]
    call: Callable[[ZohoClient], Any]
    check: Callable[[Any], None]
    # Spec-required request fields the client leaves out, and the published reason it may.
    not_sent: tuple[str, ...] = ()


def _equals(expected: Any) -> Callable[[Any], None]:
    def check(outcome: Any) -> None:
        assert outcome == expected

    return check


def _salesorder(order: Any) -> None:
    assert (order.salesorder_id, order.salesorder_number, order.total, order.shipping_charge) == (
        "4815000000044895",
        "SO-00003",
        350,
        7,
    )
    [line] = order.line_items
    assert (line.line_item_id, line.item_id, line.quantity, line.shipped_quantity) == (
        "4815000000044897",
        "4815000000044100",
        2,
        2,
    )
    assert [(p.package_id, p.shipment_id, p.tracking_number) for p in order.packages] == [
        ("4815000000044905", "4815000000044917", "TRK214124124")
    ]
    assert [(i.invoice_id, i.balance) for i in order.invoices] == [("4815000000045091", 0)]
    assert order.shipping_address is not None
    assert order.shipping_address.zip == "11364"


def _item(item: Any) -> None:
    # Numbers where strings are expected (ids, the HSN code) arrive as numbers in the spec: read as text.
    assert (item.item_id, item.sku, item.rate, item.hsn_or_sac, item.package_details) == (
        "4815000000044208",
        "SK123",
        6,
        "85423100",
        None,
    )


def _salesreturn(salesreturn: Any) -> None:
    assert (salesreturn.salesreturn_id, salesreturn.salesreturn_status) == ("4815000000044972", "approved")
    assert salesreturn.line_item_ids == {"4815000000044892": "4815000000044897"}


def _salesreturn_read(salesreturn: Any) -> None:
    _salesreturn(salesreturn)
    assert salesreturn.receive_status == "received"


def _invoice(invoice: Any) -> None:
    assert (invoice.invoice_id, invoice.invoice_number, invoice.customer_id, invoice.balance) == (
        "982000000567114",
        "INV-00003",
        "982000000567001",
        40.6,
    )
    # UNCERTAIN (docs/providers/zoho.md §9): the spec's invoice lines carry no salesorder_item_id, so no line
    # can be matched to a sales order line for a credit note; the remittance needs only the balance.
    assert invoice.line_item_ids == {}


def _creditnote(note: Any) -> None:
    assert (note.creditnote_id, note.total, note.balance, note.reference_number) == (
        "90300000072369",
        450,
        10,
        "INV-384",
    )


def _payment(payment: Any) -> None:
    assert isinstance(payment, ZohoCustomerPayment)
    assert (payment.payment_id, payment.amount, payment.bank_charges, payment.reference_number) == (
        "9030000079467",
        Decimal("450"),
        Decimal("10"),
        "INV-384",
    )
    assert payment.invoice_numbers == ["INV-384"]
    assert [(i.invoice_id, i.amount_applied, i.balance_amount) for i in payment.invoices] == [
        ("90300000079426", Decimal("450"), Decimal("0"))
    ]


def _locations(locations: Any) -> None:
    # The list row says neither whether the location is active nor whether it is primary (§15).
    [location] = locations
    assert (location.location_id, location.location_name, location.active, location.primary) == (
        "460000000038080",
        "Head Office",
        None,
        None,
    )
    assert (location.address.street_address1, location.address.city, location.address.zip) == (
        "No:234,90 Church Street",
        "New York City",
        None,
    )


def _location(location: Any) -> None:
    assert (location.location_id, location.active, location.primary, location.tax_reg_no) == (
        "460000000038080",
        True,
        True,
        "29AAAAA0000A1Z5",
    )
    assert (location.phone, location.email) == ("+1-925-921-9201", "willsmith@bowmanfurniture.com")


def _custom_field_definitions(definitions: Any) -> None:
    # Not published: the shape a live integrator reads, with the captured order's one field (docs/providers/zoho.md
    # §17). The doctor judges by api_name, names the field by label and reports an explicit is_active false.
    assert [(d.api_name, d.customfield_id, d.label, d.data_type, d.is_active) for d in definitions] == [
        ("cf_remark", "1783541000007214019", "Remark", "string", True)
    ]


def _payments_found(payments: Any) -> None:
    # The Books list row has no reference_number: the payment was read whole (one more call) and matched.
    [payment] = payments
    _payment(payment)


CASES: dict[str, Case] = {
    "get_salesorder": Case(("inventory_salesorders_get",), lambda z: z.get_salesorder("4815000000044895"), _salesorder),
    "get_item": Case(("inventory_items_get",), lambda z: z.get_item("4815000000044208"), _item),
    "find_journals_by_reference": Case(
        ("books_journals_list",), lambda z: z.find_journals_by_reference("7355"), _equals(["460000000038001"])
    ),
    "create_journal": Case(
        ("books_journals_create",),
        lambda z: z.create_journal(
            date="2013-09-04",
            reference_number="7355",
            notes="Loan repayment",
            debit_account_id="460000000000361",
            credit_account_id="460000000000362",
            amount=Decimal("5000"),
        ),
        _equals("460000000038001"),
    ),
    "list_locations": Case(("inventory_locations_list",), lambda z: z.list_locations(), _locations),
    "get_location": Case(("inventory_locations_get",), lambda z: z.get_location("460000000038080"), _location),
    "list_salesorder_custom_fields": Case(
        ("inventory_settings_preferences",), lambda z: z.list_salesorder_custom_fields(), _custom_field_definitions
    ),
    "update_salesorder_custom_fields": Case(
        ("inventory_salesorders_update",),
        lambda z: z.update_salesorder_custom_fields("4815000000044895", {"cf_awb_number": "1411220456789"}),
        _equals(None),
        # A partial update: [ZTS] live tests update custom fields alone (docs/providers/zoho.md §5).
        not_sent=("salesorder_number", "customer_id", "line_items"),
    ),
    "create_package": Case(
        ("inventory_packages_create",),
        lambda z: z.create_package(
            "504366000000062000", package_number="PK-SO-00003", date="2025-01-11", line_items=[("5043660000", 2)]
        ),
        _equals("504366000000062100"),
    ),
    "create_shipment_order": Case(
        ("inventory_shipmentorders_create",),
        lambda z: z.create_shipment_order(
            "4815000000044895",
            "4815000000044905",
            shipment_number="SH-SO-00003",
            date="2025-01-11",
            tracking_number="1411220456789",
            delivery_method="Delhivery Surface",
        ),
        _equals("4815000000044917"),
    ),
    "mark_shipment_delivered": Case(
        ("inventory_shipmentorders_delivered",), lambda z: z.mark_shipment_delivered("4815000000044917"), _equals(None)
    ),
    "delete_shipment_order": Case(
        ("inventory_shipmentorders_delete",), lambda z: z.delete_shipment_order("4815000000044917"), _equals(True)
    ),
    "delete_package": Case(
        ("inventory_packages_delete",), lambda z: z.delete_package("4815000000044905"), _equals(True)
    ),
    "create_salesreturn": Case(
        ("inventory_salesreturns_create",),
        lambda z: z.create_salesreturn("4815000000044936", date="2025-01-20", reason="RTO", line_items=[RETURN_LINE]),
        _salesreturn,
    ),
    "get_salesreturn": Case(
        ("inventory_salesreturns_get",), lambda z: z.get_salesreturn("4815000000044972"), _salesreturn_read
    ),
    "create_salesreturn_receive": Case(
        ("inventory_salesreturnreceives_create",),
        lambda z: z.create_salesreturn_receive("4815000000044972", date="2025-01-21", line_items=[("l1", 1)]),
        _equals("4815000000045035"),
    ),
    "get_invoice": Case(("inventory_invoices_get",), lambda z: z.get_invoice("982000000567114"), _invoice),
    "create_creditnote": Case(
        ("inventory_creditnotes_create",),
        lambda z: z.create_creditnote(
            customer_id="903000000000099",
            date="2025-01-21",
            invoice_id="90300000079426",
            lines=[CREDITNOTE_LINE],
            reference_number="RTO-1411220456789",
        ),
        _equals("90300000072369"),
        # Sent with auto-numbering on (ignore_auto_number_generation=false): Zoho numbers the note.
        not_sent=("creditnote_number",),
    ),
    "find_creditnote_by_reference": Case(
        ("inventory_creditnotes_list",), lambda z: z.find_creditnote_by_reference("INV-384"), _equals("90300000072369")
    ),
    "get_creditnote": Case(("inventory_creditnotes_get",), lambda z: z.get_creditnote("90300000072369"), _creditnote),
    "apply_creditnote_to_invoice": Case(
        ("inventory_creditnotes_apply",),
        lambda z: z.apply_creditnote_to_invoice("90300000072369", "90300000079426", 10.0),
        _equals(None),
        # The spec lists the invoices[] members as top-level requirements too (a slip of the spec: its own
        # example body nests them).
        not_sent=("invoice_id", "amount_applied"),
    ),
    "find_payments_by_reference": Case(
        ("books_customerpayments_list", "books_customerpayments_get"),
        lambda z: z.find_payments_by_reference("INV-384"),
        _payments_found,
    ),
    "get_customer_payment": Case(
        ("books_customerpayments_get",), lambda z: z.get_customer_payment("9030000079467"), _payment
    ),
    "set_payment_bank_charges": Case(
        ("books_customerpayments_update",),
        lambda z: z.set_payment_bank_charges(PAYMENT, Decimal("10")),
        _payment,
        not_sent=("invoice_id", "amount_applied"),  # the same slip: they are members of invoices[]
    ),
    "create_customer_payment": Case(
        ("books_customerpayments_create",),
        lambda z: z.create_customer_payment(
            customer_id="903000000000099",
            invoice_id="90300000079426",
            amount=Decimal("450"),
            date="2025-06-12",
            reference_number="UTR-HDFCN24164123456",
            description="Shiprocket COD remittance",
        ),
        _payment,
        not_sent=("invoice_id", "amount_applied"),
    ),
    "find_expenses_by_reference": Case(
        # The published row's reference_number is null: not ours, and nothing more is read.
        ("books_expenses_list",),
        lambda z: z.find_expenses_by_reference("UTR-HDFCN24164123456:19041234567890"),
        _equals([]),
    ),
    "create_expense": Case(
        ("books_expenses_create",),
        lambda z: z.create_expense(
            account_id="982000000561057",
            paid_through_account_id="982000000561060",
            amount=Decimal("62.50"),
            date="2025-06-12",
            reference_number="UTR-HDFCN24164123456:19041234567890",
            description="Shiprocket deductions",
        ),
        _equals("982000000030049"),
    ),
    "create_invoice_from_salesorder": Case(
        ("books_invoices_fromsalesorder", "books_invoices_sent"),
        lambda z: z.create_invoice_from_salesorder("4815000000044895"),
        _equals("982000000567114"),
    ),
}


def _url(fixture: dict[str, Any]) -> str:
    # Any id fills a path parameter: the mock answers every id of the endpoint.
    path = fixture["path"].split("{", 1)[0].rstrip("/")
    return f"{API}{path}"


@pytest.mark.parametrize("name", list(CASES))
def test_the_client_reads_the_published_answer_and_sends_what_the_spec_requires(name: str) -> None:
    case = CASES[name]
    fixtures = [published.endpoint("zoho", file) for file in case.files]
    client = ZohoClient(
        lambda: ZohoAuth(access_token="1000.t", api_domain=API, organization_id=ORG, version=1),
        session=new_session(),
        item_cache=ItemCache(),
    )
    with responses.RequestsMock(assert_all_requests_are_fired=True) as rsps:
        for fixture in fixtures:
            [example] = fixture["examples"]
            url_pattern = _url(fixture)
            rsps.add(
                fixture["method"],
                responses.matchers.re.compile(f"^{url_pattern}(/[^/?]+)*(\\?.*)?$")
                if "{" in fixture["path"]
                else url_pattern,
                json=example["body"],
                status=example["status"],
            )
        outcome = case.call(client)
        sent = list(rsps.calls)

    case.check(outcome)
    first = fixtures[0]
    query = parse_qs(urlsplit(sent[0].request.url or "").query)
    missing_query = [key for key, rule in first["query"].items() if rule.get("required") and key not in query]
    assert missing_query == [], f"{name} leaves out required query parameters {missing_query}"
    if first["request_required"]:
        body = json.loads(sent[0].request.body or "{}")
        missing = sorted(set(first["request_required"]) - set(body) - set(case.not_sent))
        assert missing == [], f"{name} leaves out required body fields {missing}"


def test_every_published_answer_of_a_called_endpoint_is_judged() -> None:
    used = {file for case in CASES.values() for file in case.files}
    for file in used:
        assert len(published.examples("zoho", file)) == 1, f"{file} has an example with no expectation here"


def test_the_captured_live_webhook_is_read_by_the_order_route() -> None:
    # A real India-org workflow webhook (lightsout-aditya/innovine): the default JSON payload.
    body = published.body("zoho", "inventory_webhook_salesorder")
    order = parse_salesorder(json.dumps(body), "application/json")
    # order_status says confirmed while status already says shipped: the route reads order_status first.
    assert (order.salesorder_id, order.salesorder_number, order.is_confirmed) == (
        "1783541000007331300",
        "SO-00823",
        True,
    )
