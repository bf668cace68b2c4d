"""What a parcel holds, as ``ShiprocketClient.get_order`` reads it from ``orders/show``'s ``products``
(docs/providers/shiprocket.md §14): the published answer varied line by line, and the simulator's answer to an
order the client created, over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest
import responses

from local.sim.base import SimServer
from local.sim.shiprocket import DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD
from shipsync.clients.auth import shiprocket_login
from shipsync.clients.http import new_session
from shipsync.clients.shiprocket import ShiprocketClient
from shipsync.domain.models import ShiprocketOrder, ShiprocketOrderItem, ShiprocketOrderProduct
from tests.fixtures import published

BASE = "https://apiv2.shiprocket.in/v1/external"
URL = f"{BASE}/orders/show/259492257"
FAST = (1.0, 5.0)


def read(vary: Any) -> list[ShiprocketOrderProduct] | None:
    """The published "Successful Call", its ``data`` varied by ``vary``, through the client."""
    body = published.body("shiprocket", "orders_show", "Successful Call")
    vary(body["data"])
    with responses.RequestsMock() as rsps:
        rsps.add("GET", URL, json=body, status=200)
        return ShiprocketClient(BASE, lambda: ("jwt", 1), session=new_session()).get_order(259492257).products


def test_the_published_product_is_read_as_sku_name_and_units() -> None:
    assert read(lambda data: None) == [ShiprocketOrderProduct(sku="Tshirt-Blue-41", name="watch", quantity=1)]


def test_units_as_text_are_read_and_every_line_is_kept() -> None:
    def two_lines(data: dict[str, Any]) -> None:
        data["products"][0]["quantity"] = "2"
        data["products"].append({**data["products"][0], "sku": "Mug-01", "name": "", "quantity": 1})

    assert read(two_lines) == [
        ShiprocketOrderProduct(sku="Tshirt-Blue-41", name="watch", quantity=2),
        ShiprocketOrderProduct(sku="Mug-01", name="Mug-01", quantity=1),
    ]


@pytest.mark.parametrize(
    "vary",
    [
        lambda data: data.pop("products"),
        lambda data: data.update(products="[]"),
        lambda data: data["products"][0].update(sku=""),
        lambda data: data["products"][0].update(quantity=1.5),
        lambda data: data["products"][0].update(quantity=0),
        lambda data: data["products"].append("watch"),
    ],
    ids=["absent", "not a list", "a line without sku", "fractional units", "no units", "a line not an object"],
)
def test_products_that_cannot_be_read_whole_are_none_and_the_rest_of_the_order_still_reads(vary: Any) -> None:
    # None, not a shorter list: a missing line would under-state what the parcel holds.
    assert read(vary) is None


def test_the_simulator_lists_what_the_client_sent(shiprocket_server: SimServer) -> None:
    base = f"{shiprocket_server.url}/v1/external"
    token = shiprocket_login(base, DEFAULT_API_EMAIL, DEFAULT_API_PASSWORD, timeout=FAST)
    client = ShiprocketClient(base, lambda: (token, 1), timeout=FAST)
    created = client.create_adhoc_order(
        ShiprocketOrder(
            order_id="SO-07701",
            order_date="2025-06-10 10:00",
            pickup_location="Primary",
            billing_customer_name="Ananya",
            billing_address="No. 14, 3rd Cross, Indiranagar",
            billing_city="Bengaluru",
            billing_pincode="560038",
            billing_state="Karnataka",
            billing_email="ananya@example.in",
            billing_phone="9845012345",
            order_items=[
                ShiprocketOrderItem(name="Cotton Tee Black M", sku="TEE-BLK-M", units=2, selling_price=599),
                ShiprocketOrderItem(name="Canvas Tote", sku="TOTE-01", units=1, selling_price=249),
            ],
            payment_method="Prepaid",
            sub_total=1447,
            length=30,
            breadth=25,
            height=8,
            weight=0.9,
        )
    )

    assert client.get_order(created.sr_order_id).products == [
        ShiprocketOrderProduct(sku="TEE-BLK-M", name="Cotton Tee Black M", quantity=2),
        ShiprocketOrderProduct(sku="TOTE-01", name="Canvas Tote", quantity=1),
    ]
