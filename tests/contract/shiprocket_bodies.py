"""Request bodies the Shiprocket simulator tests send, in the shape Shiprocket's collection documents."""

from __future__ import annotations

from typing import Any


def return_body(order_id: str = "ZI-SO-00042-RET1", **overrides: Any) -> dict[str, Any]:
    """A customer return of the kurta: from the buyer in Bengaluru (pickup_*) to the seller's Pune warehouse."""
    body: dict[str, Any] = {
        "order_id": order_id,
        "order_date": "2025-01-20",
        "pickup_customer_name": "Asha",
        "pickup_last_name": "Rao",
        "pickup_address": "14 MG Road, Koramangala",
        "pickup_city": "Bengaluru",
        "pickup_state": "Karnataka",
        "pickup_country": "India",
        "pickup_pincode": 560034,
        "pickup_email": "asha@example.com",
        "pickup_phone": "9876501234",
        "shipping_customer_name": "Seller Warehouse",
        "shipping_address": "Gala 9, 221 Hadapsar Industrial Estate",
        "shipping_city": "Pune",
        "shipping_state": "Maharashtra",
        "shipping_country": "India",
        "shipping_pincode": 411028,
        "shipping_phone": "9800000001",
        "order_items": [{"name": "Cotton kurta", "sku": "KUR-001", "units": 1, "selling_price": 1499}],
        "payment_method": "Prepaid",
        "sub_total": 1499,
        "length": 20,
        "breadth": 15,
        "height": 10,
        "weight": 0.5,
    }
    body.update(overrides)
    return body
