"""``GET /orders/show/{id}`` (docs/providers/shiprocket.md §14)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from local.sim.base import Request, Response
from local.sim.shiprocket.state import COMPANY_NAME, DEFAULT_CHANNEL_ID, SimState
from local.sim.shiprocket.statuses import SHIPMENT_STATUS_NAMES
from local.sim.shiprocket.values import _amount, _flag, _number, _sr_datetime

# Keys of the published orders/show answer (docs/providers/shiprocket.md §14) the simulator has no model for,
# with the published values: nothing in the project reads them.
ORDER_SHOW_CONSTANTS: dict[str, Any] = {
    "is_document": 0,
    "ship_type": "",
    "courier_mode": "",
    "currency": "INR",
    "country_code": 99,
    "exchange_rate_usd": 0,
    "exchange_rate_inr": 0,
    "state_code": 0,
    "total_inr": 0,
    "total_usd": 0,
    "other_charges": "0.00",
    "other_discounts": "0.00",
    "giftwrap_charges": "0.00",
    "expedited": 0,
    "sla": "2 days",
    "tax": 0,
    "total_kerala_cess": "",
    "discount": 0,
    "sub_status": None,
    "purpose_of_shipment": 0,
    "company_logo": None,
    "allow_return": 0,
    "is_incomplete": 0,
    "payment_code": None,
    "coupon_is_visible": False,
    "coupons": "",
    "billing_mobile_country_code": "+91",
    "isd_code": "",
    "billing_state_id": "",
    "billing_country_id": "",
    "freight_description": "Forward charges",
    "shipping_title": "",
    "allow_channel_order_sync": False,
    "uib-tooltip-text": "Re-fetch orders with updated details",
    "api_order_id": "",
    "allow_multiship": 0,
    "other_sub_orders": [],
    "is_order_verified": 0,
    "dup": 0,
    "is_blackbox_seller": False,
    "shipping_method": "SR",
    "pickup_address": [],
    "eway_bill_number": "",
    "eway_bill_url": "",
    "eway_required": False,
    "irn_no": "",
    "engage": None,
    "seller_can_edit": False,
    "seller_can_cancell": False,  # sic
    "is_post_ship_status": False,
    "order_tag": "",
    "qc_status": "",
    "qc_reason": "",
    "qc_image": "",
    "seller_request": None,
    "change_payment_mode": True,
    "etd_date": None,
    "out_for_delivery_date": None,
    "insurance_excluded": True,
    "can_edit_dimension": True,
}
ORDER_PRODUCT_CONSTANTS: dict[str, Any] = {
    "description": "",
    "model": None,
    "manufacturer": None,
    "brand": "",
    "color": "",
    "size": None,
    "custom_field": "",
    "custom_field_value": "",
    "custom_field_value_string": "",
    "weight": 0,
    "dimensions": "0x0x0",
    "returnable_quantity": 0,
    "tax": 0,
    "status": 1,
    "product_options": [],
    "discount_including_tax": 0,
    "channel_category": "Default Category",
    "packaging_material": "",
    "additional_material": "",
    "is_free_product": "",
}
ORDER_SHIPMENT_CONSTANTS: dict[str, Any] = {
    "order_product_id": None,
    "code": "",
    "cost": "0.00",
    "tax": "0.00",
    "rto_awb": "",
    "cod_charges": "0.00",
    "number": None,
    "name": None,
    "order_item_id": None,
    "comment": "",
    "manifest_id": "",
    "manifest_escalate": False,
    "isd_code": "+91",
    "eway_bill_number": "-",
    "eway_bill_date": None,
    "rto_initiated_date": "",
    "rto_delivered_date": "",
    "shipped_date": "",
    "package_images": "",
    "is_rto": False,
    "eway_required": False,
    "invoice_link": "",
    "is_darkstore_courier": 0,
    "courier_custom_rule": "",
    "is_single_shipment": True,
}


# The panel's date formats on orders/show (docs/providers/shiprocket.md §12, §14): "21 Sep 2022 05:28 PM",
# "21 Sep 2022" and, on the shipment, "21st Sep 2022 05:28 PM".
def _panel_datetime(moment: datetime) -> str:
    return moment.strftime("%d %b %Y %I:%M %p")


def _panel_date(text: str) -> str:
    """``YYYY-MM-DD[ ...]`` as "21 Sep 2022"; "" when it is not such a date."""
    try:
        return datetime.strptime(text[:10], "%Y-%m-%d").strftime("%d %b %Y")
    except ValueError:
        return ""


def _ordinal_datetime(moment: datetime) -> str:
    day = moment.day
    suffix = "th" if 10 <= day % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix} {moment.strftime('%b %Y %I:%M %p')}"


class OrderShowMixin(SimState):
    """An order or return as the panel shows it."""

    def _show_order(self, request: Request) -> Response:
        """``GET /orders/show/{id}`` with every key of the published answer (docs/providers/shiprocket.md §14)."""
        order = self.by_sr_id.get(int(_number(request.params["id"]) or 0))
        if order is None:
            # The collection's "Invalid Data" example of Get Specific Order Details.
            return Response(400, {"message": "Order ID not found", "status_code": 400})
        self._settle_awb_cancel(order)
        req = order.request
        side = order.customer_side
        courier = order.courier or {}
        items = [item if isinstance(item, dict) else {} for item in req.get("order_items", [])]
        sizes = [float(req[key]) for key in ("length", "breadth", "height")]
        dims = "x".join(f"{size:.3f}" for size in sizes)
        total = _amount(req.get("sub_total"))
        created = datetime.strptime(order.created_at, "%Y-%m-%d %H:%M:%S")
        updated = max([created, *(datetime.strptime(scan["date"], "%Y-%m-%d %H:%M:%S") for scan in order.scans)])
        channel = _number(req.get("channel_id"))
        channel_id = int(channel) if channel else DEFAULT_CHANNEL_ID
        delivery = str(req.get("pickup_pincode")) if order.is_return else order.delivery_pincode
        quantity = sum(int(_number(item.get("units")) or 0) for item in items)
        products = [
            {
                **ORDER_PRODUCT_CONSTANTS,
                "id": order.sr_order_id * 10 + index,
                "order_id": order.sr_order_id,
                "product_id": order.sr_order_id * 10 + index,
                "name": item.get("name"),
                "sku": item.get("sku"),
                "channel_order_product_id": str(order.sr_order_id * 10 + index),
                "channel_sku": item.get("sku"),
                "hsn": str(item.get("hsn", "")),
                "price": _amount(item.get("selling_price")),
                "cost": _amount(item.get("selling_price")),
                "mrp": _amount(item.get("selling_price")),
                "quantity": int(_number(item.get("units")) or 0),
                "net_total": round(_amount(item.get("selling_price")) * (_number(item.get("units")) or 0), 2),
                "discount": _amount(item.get("discount") or 0),
                "selling_price": _amount(item.get("selling_price")),
                "tax_percentage": _amount(item.get("tax") or 0),
            }
            for index, item in enumerate(items)
        ]
        # The buyer's billing block: "" on the published return order, whose customer is its pickup address.
        billing = {
            key: "" if order.is_return else str(req.get(source, ""))
            for key, source in (
                ("billing_city", "billing_city"),
                ("billing_name", "billing_customer_name"),
                ("billing_email", "billing_email"),
                ("billing_phone", "billing_phone"),
                ("billing_alternate_phone", "billing_alternate_phone"),
                ("billing_state_name", "billing_state"),
                ("billing_address", "billing_address"),
                ("billing_country_name", "billing_country"),
                ("billing_pincode", "billing_pincode"),
                ("billing_address_2", "billing_address_2"),
            )
        }
        data = {
            **ORDER_SHOW_CONSTANTS,
            "id": order.sr_order_id,
            "channel_id": channel_id,
            "channel_name": "CUSTOM",
            "base_channel_code": "CS",
            "channel_order_id": order.order_id,
            "customer_name": req.get(f"{side}_customer_name"),
            "customer_email": req.get(f"{side}_email"),
            "customer_phone": str(req.get(f"{side}_phone")),
            "customer_address": req.get(f"{side}_address"),
            "customer_address_2": req.get(f"{side}_address_2", ""),
            "customer_city": req.get(f"{side}_city"),
            "customer_state": req.get(f"{side}_state"),
            "customer_pincode": delivery,
            "customer_country": req.get(f"{side}_country"),
            # A return has no pickup address of ours: "" as published.
            "pickup_code": "" if order.is_return else order.pickup["pin_code"],
            "pickup_location": order.pickup["pickup_location"],
            "pickup_location_id": "" if order.is_return else order.pickup["id"],
            "pickup_id": order.pickup_token_number or "",
            "delivery_code": delivery,
            "total": total,
            "net_total": f"{total:.2f}",
            "cod": int(order.is_cod),
            "status": order.status[0],
            "status_code": order.status[1],
            "master_status": order.status[0],
            "payment_method": "cod" if order.is_cod else "prepaid",
            "payment_status": "" if order.is_cod else "paid",
            "sub_total": total,
            "channel_created_at": _panel_datetime(created),
            "created_at": _panel_datetime(created),
            "order_date": _panel_date(str(req.get("order_date", ""))) or _panel_date(order.created_at),
            "updated_at": _panel_datetime(updated),
            "product_quantity": quantity,
            "products": products,
            "invoice_no": f"Retail{order.sr_order_id % 100000:05d}",
            "shipments": {
                **ORDER_SHIPMENT_CONSTANTS,
                "id": order.shipment_id,
                "order_id": order.sr_order_id,
                "channel_id": channel_id,
                # null before the AWB, as published; `awb_data.awb` is "" then.
                "awb": order.awb_code,
                "awb_assign_date": _sr_datetime(order.assigned_at) if order.assigned_at else None,
                "etd": self._etd(order),
                "delivered_date": order.extra.get("delivered_date", ""),
                "quantity": quantity,
                "weight": req.get("weight"),
                "volumetric_weight": round(sizes[0] * sizes[1] * sizes[2] / 5000, 3),
                "dimensions": dims,
                "courier": courier.get("courier_name") or "",
                "courier_id": courier.get("courier_company_id") or "",
                "status": order.shipment_status[0] if order.shipment_status else SHIPMENT_STATUS_NAMES[11],
                "created_at": _ordinal_datetime(created),
                "updated_at": _ordinal_datetime(updated),
                "pod": None,
                "length": sizes[0],
                "breadth": sizes[1],
                "height": sizes[2],
                "pickup_scheduled_date": order.pickup_scheduled_date,
                "pickup_token_number": order.pickup_token_number,
                "return_awb": "",
            },
            "awb_data": {
                "awb": order.awb_code or "",
                "applied_weight": order.applied_weight or "",
                "charged_weight": order.applied_weight or "",
                "billed_weight": "",
                "routing_code": "",
                "rto_routing_code": "",
                "charges": {
                    "zone": order.zone or "",
                    "cod_charges": "",
                    "applied_weight_amount": "",
                    "freight_charges": f"{order.freight_charges:.2f}",
                    "applied_weight": order.applied_weight or "",
                    "charged_weight": order.applied_weight or "",
                    "charged_weight_amount": "",
                    "charged_weight_amount_rto": "",
                    "applied_weight_amount_rto": "",
                    "service_type_id": "",
                },
            },
            "is_return": int(order.is_return),
            "is_international": 0,
            "errors": [],
            **billing,
            "shipping_is_billing": int(not order.is_return and _flag(req.get("shipping_is_billing"), True)),
            "reseller_name": str(req.get("reseller_name", "")),
            "company_name": COMPANY_NAME,
            "others": {
                "weight": req.get("weight"),
                "dimensions": dims,
                "order_items": items,
                "billing_city": req.get("billing_city"),
                "billing_state": req.get("billing_state"),
                "billing_pincode": req.get("billing_pincode"),
                "shipping_is_billing": int(_flag(req.get("shipping_is_billing"), True)),
                "company_name": req.get("company_name", ""),
                "reseller_name": req.get("reseller_name", ""),
            },
            "delivered_date": order.extra.get("delivered_date"),
            "remittance_date": order.extra.get("remittance_date", ""),
            "remittance_utr": order.extra.get("remittance_utr", ""),
            "remittance_status": order.extra.get("remittance_status", ""),
        }
        return Response(200, {"data": data})
