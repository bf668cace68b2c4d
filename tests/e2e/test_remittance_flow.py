"""cod-remittance end to end: a delivered, invoiced COD order is remitted by the Shiprocket
simulator; the batch it returns is posted (JSON, then again as CSV) to the real route; Zoho Books
must hold exactly one payment for the gross COD with the deductions as bank charges."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from typing import Any

import pytest
import requests
from test_order_flow import custom_fields, faults, post_webhook, salesorder, seed, sim_state, zoho_order
from test_status_flow import advance

from local.sample_day import remittance_csv
from local.stack import LocalStack

pytestmark = pytest.mark.e2e


def ship_invoiced_cod(stack: LocalStack, number: int) -> tuple[dict[str, Any], str, str]:
    so = salesorder(number)
    seed(stack, so)
    invoice_id = f"19475830000001{number:05d}"
    invoice = {
        "invoice_id": invoice_id,
        "invoice_number": f"INV-{number:06d}",
        "salesorder_id": so["salesorder_id"],
        "customer_id": so["customer_id"],
        "status": "sent",
    }
    requests.post(f"{stack.zoho_url}/_sim/seed", json={"invoices": [invoice]}, timeout=10).raise_for_status()
    assert post_webhook(stack, so).status_code == 202
    stack.wait_idle(60)
    return so, str(custom_fields(zoho_order(stack, so["salesorder_id"]))["cf_awb_number"]), invoice_id


def ship_invoiced_cod_and_deliver(stack: LocalStack, number: int) -> tuple[dict[str, Any], str, str]:
    so, awb, invoice_id = ship_invoiced_cod(stack, number)
    advance(stack, {"awb": awb})
    stack.wait_idle(60)
    return so, awb, invoice_id


def remit(stack: LocalStack, utr: str, awbs: list[str]) -> dict[str, Any]:
    response = requests.post(
        f"{stack.shiprocket_url}/_sim/remit", json={"utr": utr, "date": "2025-06-12", "awbs": awbs}, timeout=10
    )
    response.raise_for_status()
    return dict(response.json())


def post_batch(stack: LocalStack, batch: dict[str, Any]) -> requests.Response:
    return requests.post(
        f"{stack.api_url}/webhooks/cod-remittance",
        json=batch,
        headers={"x-api-key": stack.tokens["remittance_webhook"]},
        timeout=10,
    )


def upload_csv(stack: LocalStack, batch: dict[str, Any]) -> requests.Response:
    """The seller uploads the panel's CSV export of ``batch``."""
    return requests.post(
        f"{stack.api_url}/webhooks/cod-remittance",
        data=remittance_csv(batch),
        headers={"x-api-key": stack.tokens["remittance_webhook"], "content-type": "text/csv"},
        timeout=10,
    )


def test_remitted_cod_order_is_paid_once_across_json_and_csv(fresh: LocalStack) -> None:
    so, awb, invoice_id = ship_invoiced_cod_and_deliver(fresh, 31)
    batch = remit(fresh, "UTR-E2E-0001", [awb])

    assert post_batch(fresh, batch).status_code == 202
    fresh.wait_idle(60)
    assert upload_csv(fresh, batch).status_code == 202
    fresh.wait_idle(60)

    zoho = sim_state(fresh.zoho_url)
    [payment] = zoho["customerpayments"]
    [line] = batch["orders"]
    assert Decimal(str(payment["amount"])) == Decimal(str(line["cod_amount"]))
    assert Decimal(str(payment["bank_charges"])) == Decimal(str(line["deducted_charges"]))
    assert payment["reference_number"] == "UTR-E2E-0001"
    [invoice] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice_id]
    assert Decimal(str(invoice["balance"])) == 0
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_cod_remittance_id"] == "UTR-E2E-0001"
    assert not [a for a in fresh.alerts() if "RemittanceMismatch" in a["message"]]
    assert fresh.queue_depths()["RemittanceDLQ"] == 0


def test_unbalanced_batch_pages_ops_with_the_difference(fresh: LocalStack) -> None:
    _, awb, _ = ship_invoiced_cod_and_deliver(fresh, 32)
    batch = remit(fresh, "UTR-E2E-0002", [awb])
    short = copy.deepcopy(batch)
    short["bank_transfer_amount"] = round(float(batch["bank_transfer_amount"]) - 100, 2)

    assert post_batch(fresh, short).status_code == 202
    fresh.wait_idle(60)

    [page] = [json.loads(a["message"]) for a in fresh.alerts() if "RemittanceMismatch" in a["message"]]
    assert "UTR-E2E-0002" in page["message"]
    assert awb in page["message"]
    # The order itself was remitted: it is still paid once, for its own gross.
    assert len(sim_state(fresh.zoho_url)["customerpayments"]) == 1


def test_a_remittance_for_a_delivery_whose_webhook_was_lost_is_paid_once(fresh: LocalStack) -> None:
    # Issue 9, gap 5: the remittance asks Shiprocket's tracking, records the delivery through the status path,
    # then pays; it is neither refused nor paid twice.
    so, awb, invoice_id = ship_invoiced_cod(fresh, 35)
    advance(fresh, {"awb": awb, "deliver_webhooks": False})  # delivered at Shiprocket; no webhook reached us
    fresh.wait_idle(30)
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Pickup Scheduled"
    batch = remit(fresh, "UTR-E2E-0005", [awb])

    assert post_batch(fresh, batch).status_code == 202
    fresh.wait_idle(90)
    assert post_batch(fresh, batch).status_code == 202  # and posted again
    fresh.wait_idle(60)

    zoho = sim_state(fresh.zoho_url)
    [payment] = zoho["customerpayments"]
    assert (payment["reference_number"], Decimal(str(payment["amount"]))) == ("UTR-E2E-0005", Decimal("1341.76"))
    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    assert (fields["cf_shipment_status"], fields["cf_cod_remittance_id"]) == ("Delivered", "UTR-E2E-0005")
    [shipment] = [s for s in zoho["shipmentorders"] if s["salesorder_id"] == so["salesorder_id"]]
    assert shipment["status"] == "delivered"
    [invoice] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice_id]
    assert Decimal(str(invoice["balance"])) == 0
    assert sim_state(fresh.shiprocket_url)["calls"]["POST /courier/track/awbs"] >= 1
    assert not [a for a in fresh.alerts() if "PaymentRefused" in a["message"]]
    assert all(depth == 0 for queue, depth in fresh.queue_depths().items() if queue.endswith("DLQ"))


def test_rto_order_in_a_remittance_is_refused_not_paid(fresh: LocalStack) -> None:
    so = salesorder(33)
    seed(fresh, so)
    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)
    awb = str(custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"])
    requests.post(f"{fresh.shiprocket_url}/_sim/seed", json={"lifecycles": {awb: "rto"}}, timeout=10).raise_for_status()
    advance(fresh, {"awb": awb})
    fresh.wait_idle(90)
    batch = {
        "remittance_id": "UTR-E2E-0003",
        "remittance_date": "2025-06-12",
        "bank_transfer_amount": 1279.26,
        "orders": [{"awb": awb, "order_id": "SO-00033", "cod_amount": 1341.76, "deducted_charges": 62.50}],
    }

    assert post_batch(fresh, batch).status_code == 202
    fresh.wait_idle(60)

    assert sim_state(fresh.zoho_url)["customerpayments"] == []
    refused = [json.loads(a["message"]) for a in fresh.alerts() if "PaymentRefused" in a["message"]]
    assert len(refused) == 1
    assert "no COD collected" in refused[0]["message"]


def test_poll_finds_a_remittance_nobody_posted_and_its_later_csv_adds_the_deductions(fresh: LocalStack) -> None:
    so, awb, invoice_id = ship_invoiced_cod_and_deliver(fresh, 34)
    batch = remit(fresh, "UTR-E2E-0004", [awb])  # Shiprocket remitted; no batch reaches our route

    fresh.runner.invoke("CodRemittanceFunction", {"poll": "remittance"})
    fresh.wait_idle(60)

    [payment] = sim_state(fresh.zoho_url)["customerpayments"]
    assert payment["reference_number"] == "UTR-E2E-0004"
    assert Decimal(str(payment["bank_charges"])) == 0  # orders/show carries no deductions
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_cod_remittance_id"] == "UTR-E2E-0004"
    again = fresh.runner.invoke("CodRemittanceFunction", {"poll": "remittance"})
    assert again["open"] == 0  # remitted orders leave the poll

    # The seller uploads the panel's CSV of that remittance, twice.
    for _ in range(2):
        assert upload_csv(fresh, batch).status_code == 202
        fresh.wait_idle(60)

    zoho = sim_state(fresh.zoho_url)
    [booked] = zoho["customerpayments"]
    [line] = batch["orders"]
    assert booked["payment_id"] == payment["payment_id"]
    assert Decimal(str(booked["amount"])) == Decimal(str(line["cod_amount"]))
    assert Decimal(str(booked["bank_charges"])) == Decimal(str(line["deducted_charges"])) > 0
    [invoice] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice_id]
    assert Decimal(str(invoice["balance"])) == 0
    assert not [a for a in fresh.alerts() if "PaymentRefused" in a["message"]]
    assert fresh.queue_depths()["RemittanceDLQ"] == 0


def test_zoho_outages_mid_remittance_end_in_one_payment_with_its_deductions(fresh: LocalStack) -> None:
    _, awb, invoice_id = ship_invoiced_cod_and_deliver(fresh, 35)
    batch = remit(fresh, "UTR-E2E-0005", [awb])
    down = {"status": 503, "body": {"code": 9999, "message": "Service temporarily unavailable"}, "times": 1}
    faults(
        fresh.zoho_url,
        {"endpoint": "GET /books/v3/customerpayments", **down},
        {"endpoint": "POST /books/v3/customerpayments", **down},
    )
    fresh.runner.invoke("CodRemittanceFunction", {"poll": "remittance"})
    fresh.wait_idle(90)
    faults(fresh.zoho_url, {"endpoint": "PUT /books/v3/customerpayments/{payment_id}", **down})

    assert upload_csv(fresh, batch).status_code == 202
    fresh.wait_idle(90)

    zoho = sim_state(fresh.zoho_url)
    [payment] = zoho["customerpayments"]
    [line] = batch["orders"]
    assert Decimal(str(payment["bank_charges"])) == Decimal(str(line["deducted_charges"])) > 0
    assert zoho["calls"]["POST /books/v3/customerpayments"] == 2  # the 503, then the one payment
    assert zoho["calls"]["PUT /books/v3/customerpayments/{payment_id}"] == 2  # the 503, then the charges
    [invoice] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice_id]
    assert Decimal(str(invoice["balance"])) == 0
    assert fresh.queue_depths()["RemittanceDLQ"] == 0
