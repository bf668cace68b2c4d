"""Warehouses and parcels, end to end (issue 13): an order whose lines leave from two Zoho warehouses ships as two
Shiprocket orders from two pickup locations, each with its own Zoho package, shipment order and AWB; it is
Delivered in Zoho only when both parcels are; a parcel's RTO restocks only its own units and its COD is paid on
the one invoice; an order too heavy for one box ships as parcels whose COD amounts add up to the total."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from test_cancel_flow import pages, post_order_webhook, seller_edits
from test_order_flow import ITEM, ITEM_ID, custom_fields, post_webhook, salesorder, sim_state, zoho_order
from test_remittance_flow import post_batch, remit
from test_status_flow import advance

from local.aws import client
from local.stack import LOCAL_WAREHOUSES, LocalStack

pytestmark = pytest.mark.e2e

CENTRAL, HADAPSAR = LOCAL_WAREHOUSES
KADAI_ID = "1947583000000077001"
# 12 kg a piece: two fill a 30 kg box, a third needs another.
KADAI = {
    "item_id": KADAI_ID,
    "name": "Cast Iron Kadai 12in",
    "sku": "KADAI-CI-12",
    "rate": 2499.0,
    "hsn_or_sac": "73239100",
    "product_type": "goods",
    "stock_on_hand": 20,
    "package_details": {"length": 40, "width": 40, "height": 20, "weight": 12, "weight_unit": "kg"},
}


def kadai_line(so_id: str, quantity: int, location_id: str | None = None) -> dict[str, Any]:
    line = {
        "line_item_id": f"{so_id[:-2]}92",
        "item_id": KADAI_ID,
        "sku": "KADAI-CI-12",
        "name": "Cast Iron Kadai 12in",
        "rate": 2499.0,
        "quantity": quantity,
        "tax_percentage": 12,
        "item_total": 2499.0 * quantity,
        "hsn_or_sac": "73239100",
    }
    if location_id:
        line |= {"location_id": location_id, "location_name": LOCAL_WAREHOUSES[location_id]["location_name"]}
    return line


def two_warehouse_order(number: int, *, payment: str = "COD") -> dict[str, Any]:
    """Two tees from the central warehouse, a kadai from Hadapsar; total = lines + 12 % GST."""
    so = salesorder(number, payment=payment)
    tee = so["line_items"][0] | {"location_id": CENTRAL, "location_name": LOCAL_WAREHOUSES[CENTRAL]["location_name"]}
    so["line_items"] = [tee, kadai_line(so["salesorder_id"], 1, HADAPSAR)]
    so["sub_total"] = 1198.0 + 2499.0
    so["total"] = round(so["sub_total"] * 1.12, 2)
    return so


def seed_with_invoice(stack: LocalStack, so: dict[str, Any]) -> str:
    invoice_id = f"{so['salesorder_id'][:-5]}9{so['salesorder_id'][-4:]}"
    invoice = {
        "invoice_id": invoice_id,
        "invoice_number": f"INV-{so['salesorder_number']}",
        "salesorder_id": so["salesorder_id"],
        "customer_id": so["customer_id"],
        "status": "sent",
    }
    body = {"salesorders": [so], "items": [ITEM, KADAI], "invoices": [invoice]}
    requests.post(f"{stack.zoho_url}/_sim/seed", json=body, timeout=10).raise_for_status()
    return invoice_id


def ledger_job(stack: LocalStack, job_id: str) -> dict[str, Any]:
    table = stack.runner.resources.ref("LedgerTable")
    item = client("dynamodb").get_item(TableName=table, Key={"pk": {"S": f"SO#{job_id}"}}, ConsistentRead=True)
    return {name: next(iter(value.values())) for name, value in item["Item"].items()}


def shiprocket_orders(stack: LocalStack, number: str) -> dict[str, dict[str, Any]]:
    return {o["order_id"]: o for o in sim_state(stack.shiprocket_url)["orders"] if o["order_id"].startswith(number)}


def test_an_order_from_two_warehouses_ships_as_two_parcels_is_delivered_remitted_and_restocked(
    fresh: LocalStack,
) -> None:
    so = two_warehouse_order(81)
    invoice_id = seed_with_invoice(fresh, so)

    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)

    orders = shiprocket_orders(fresh, "SO-00081")
    assert sorted(orders) == ["SO-00081-1", "SO-00081-2"]
    first, second = orders["SO-00081-1"], orders["SO-00081-2"]
    assert (first["request"]["pickup_location"], second["request"]["pickup_location"]) == ("Primary", "Pune-WH1")
    assert [i["sku"] for i in first["request"]["order_items"]] == ["TEE-BLK-M"]
    assert [i["sku"] for i in second["request"]["order_items"]] == ["KADAI-CI-12"]
    # The buyer pays once: the parcels' COD amounts add up to the order total, split by the goods' value.
    assert round(first["request"]["sub_total"] + second["request"]["sub_total"], 2) == so["total"]
    assert first["request"]["sub_total"] == round(so["total"] * 1198 / 3697, 2)
    # Each parcel was priced from its own pickup pincode.
    jobs = [ledger_job(fresh, f"{so['salesorder_id']}#SO-00081-{n}") for n in (1, 2)]
    assert [job["pickup_postcode"] for job in jobs] == ["411001", "411028"]

    fields = custom_fields(zoho_order(fresh, so["salesorder_id"]))
    awbs = [first["awb_code"], second["awb_code"]]
    assert fields["cf_awb_number"] == ", ".join(awbs)
    assert fields["cf_shipment_status"] == "Pickup Scheduled"
    zoho = sim_state(fresh.zoho_url)
    packages = {p["package_number"]: p for p in zoho["packages"]}
    assert sorted(packages) == ["PKG-SO-00081-1", "PKG-SO-00081-2"]
    assert [line["quantity"] for line in packages["PKG-SO-00081-1"]["line_items"]] == [2]
    assert [line["quantity"] for line in packages["PKG-SO-00081-2"]["line_items"]] == [1]
    assert sorted(s["tracking_number"] for s in zoho["shipmentorders"]) == sorted(awbs)

    # Parcel 1 delivered: the order is not Delivered yet.
    advance(fresh, {"awb": first["awb_code"]})
    fresh.wait_idle(60)
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Partially Delivered"
    delivered = {s["tracking_number"]: s["status"] for s in sim_state(fresh.zoho_url)["shipmentorders"]}
    assert delivered[first["awb_code"]] == "delivered"
    assert delivered[second["awb_code"]] != "delivered"

    # Parcel 1's COD is paid on the order's one invoice, for parcel 1's amount only.
    remit(fresh, "UTR81", [first["awb_code"]])
    batch = {
        "remittance_id": "UTR81",
        "remittance_date": "2025-06-12",
        "bank_transfer_amount": round(first["request"]["sub_total"] - 40, 2),
        "orders": [
            {
                "awb": first["awb_code"],
                "order_id": "SO-00081-1",
                "cod_amount": first["request"]["sub_total"],
                "deducted_charges": 40,
            }
        ],
    }
    assert post_batch(fresh, batch).status_code == 202
    fresh.wait_idle(60)
    [payment] = sim_state(fresh.zoho_url)["customerpayments"]
    assert float(payment["amount"]) == first["request"]["sub_total"]
    assert [i["invoice_id"] for i in payment["invoices"]] == [invoice_id]

    # Parcel 2 comes back: only the kadai is returned to stock.
    requests.post(
        f"{fresh.shiprocket_url}/_sim/seed", json={"lifecycles": {second["awb_code"]: "rto"}}, timeout=10
    ).raise_for_status()
    advance(fresh, {"awb": second["awb_code"]})
    fresh.wait_idle(90)
    zoho = sim_state(fresh.zoho_url)
    [salesreturn] = zoho["salesreturns"]
    assert [(line["item_id"], line["quantity"]) for line in salesreturn["line_items"]] == [(KADAI_ID, 1)]
    assert next(i for i in zoho["items"] if i["item_id"] == KADAI_ID)["stock_on_hand"] == 20
    assert next(i for i in zoho["items"] if i["item_id"] == ITEM_ID)["stock_on_hand"] == 48
    assert {q: d for q, d in fresh.queue_depths().items() if q.endswith("DLQ") and d} == {}


def test_a_prepaid_order_in_two_parcels_is_delivered_when_both_are(fresh: LocalStack) -> None:
    so = two_warehouse_order(82, payment="Prepaid")
    seed_with_invoice(fresh, so)
    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)
    orders = shiprocket_orders(fresh, "SO-00082")

    advance(fresh, {"awb": orders["SO-00082-2"]["awb_code"]})
    fresh.wait_idle(60)
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Partially Delivered"
    advance(fresh, {"awb": orders["SO-00082-1"]["awb_code"]})
    fresh.wait_idle(60)

    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Delivered"
    assert {s["status"] for s in sim_state(fresh.zoho_url)["shipmentorders"]} == {"delivered"}


def test_an_order_too_heavy_for_one_box_ships_as_parcels_whose_cod_adds_up(fresh: LocalStack) -> None:
    so = salesorder(83)
    so["line_items"] = [kadai_line(so["salesorder_id"], 3)]
    so["sub_total"], so["total"] = 7497.0, 8396.64
    seed_with_invoice(fresh, so)

    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)

    orders = shiprocket_orders(fresh, "SO-00083")
    assert sorted(orders) == ["SO-00083-1", "SO-00083-2"]
    units = [int(orders[ref]["request"]["order_items"][0]["units"]) for ref in ("SO-00083-1", "SO-00083-2")]
    assert units == [2, 1]
    assert all(orders[ref]["request"]["weight"] <= 30 for ref in orders)
    amounts = [orders[ref]["request"]["sub_total"] for ref in ("SO-00083-1", "SO-00083-2")]
    assert round(sum(amounts), 2) == 8396.64
    assert amounts == [5597.76, 2798.88]
    assert {o["request"]["pickup_location"] for o in orders.values()} == {"Primary"}
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_awb_number"].count(",") == 1


def test_a_line_from_an_unmapped_warehouse_holds_the_order_and_nothing_ships(fresh: LocalStack) -> None:
    so = two_warehouse_order(84)
    so["line_items"][1] |= {"location_id": "1947583000000299999", "location_name": "Nashik Godown"}
    seed_with_invoice(fresh, so)

    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)

    assert shiprocket_orders(fresh, "SO-00084") == {}
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "No Pickup Location"
    [page] = [p for p in pages(fresh) if p["kind"] == "NoPickupLocation"]
    assert "Nashik Godown" in page["message"]


def test_cancelling_an_order_in_two_parcels_cancels_both_and_returns_the_stock(fresh: LocalStack) -> None:
    so = two_warehouse_order(85)
    seed_with_invoice(fresh, so)
    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)
    assert len(shiprocket_orders(fresh, "SO-00085")) == 2

    seller_edits(
        fresh, salesorder_id=so["salesorder_id"], custom_fields=[{"api_name": "cf_shipment_action", "value": "Cancel"}]
    )
    post_order_webhook(fresh, so["salesorder_id"])
    fresh.wait_idle(60)

    assert {o["status"] for o in shiprocket_orders(fresh, "SO-00085").values()} == {"CANCELED"}
    zoho = sim_state(fresh.zoho_url)
    assert (zoho["packages"], zoho["shipmentorders"]) == ([], [])
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Cancelled"
    assert next(i for i in zoho["items"] if i["item_id"] == KADAI_ID)["stock_on_hand"] == 20


def test_both_parcels_remitted_in_one_batch_are_two_payments_that_settle_the_one_invoice(fresh: LocalStack) -> None:
    so = two_warehouse_order(86)
    invoice_id = seed_with_invoice(fresh, so)
    assert post_webhook(fresh, so).status_code == 202
    fresh.wait_idle(60)
    orders = shiprocket_orders(fresh, "SO-00086")
    for order in orders.values():
        advance(fresh, {"awb": order["awb_code"]})
    fresh.wait_idle(60)
    assert custom_fields(zoho_order(fresh, so["salesorder_id"]))["cf_shipment_status"] == "Delivered"

    lines = [
        {"awb": o["awb_code"], "order_id": ref, "cod_amount": o["request"]["sub_total"], "deducted_charges": 30}
        for ref, o in sorted(orders.items())
    ]
    remit(fresh, "UTR86", [line["awb"] for line in lines])
    batch = {
        "remittance_id": "UTR86",
        "remittance_date": "2025-06-12",
        "bank_transfer_amount": round(sum(line["cod_amount"] for line in lines) - 60, 2),
        "orders": lines,
    }
    assert post_batch(fresh, batch).status_code == 202
    assert post_batch(fresh, batch).status_code == 202  # the same batch again pays nothing twice
    fresh.wait_idle(60)

    zoho = sim_state(fresh.zoho_url)
    payments = sorted(float(p["amount"]) for p in zoho["customerpayments"])
    assert payments == sorted(line["cod_amount"] for line in lines)
    [invoice] = [i for i in zoho["invoices"] if i["invoice_id"] == invoice_id]
    assert float(invoice["balance"]) == 0
