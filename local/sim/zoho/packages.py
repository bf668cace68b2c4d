"""Packages and the shipment orders that ship them (docs/providers/zoho.md §7)."""

from __future__ import annotations

import copy
import re
from typing import Any

from local.sim.base import Request, Response
from local.sim.zoho.common import (
    _DATE,
    ZohoError,
    _already_exists,
    _as_number,
    _custom_field_entries,
    _invalid,
    _num,
)
from local.sim.zoho.items import ItemsMixin

_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2})?)?$")


class PackagesMixin(ItemsMixin):
    def _create_package(self, request: Request) -> Response:
        order = self._get("salesorders", self._required_query(request, "salesorder_id"), "Sales Order")
        body = self._body(request)
        date = str(body.get("date", ""))
        if not _DATE.match(date):
            raise _invalid("date")
        number = body.get("package_number")
        if number:
            if request.query.get("ignore_auto_number_generation") != "true":
                # Zoho's answer to a manual number under auto-numbering is UNCERTAIN; refusing it
                # keeps a client that forgets the flag from relying on numbers it did not get.
                raise _invalid("package_number")
            if any(p["package_number"] == number for p in self.records["packages"].values()):
                raise _already_exists(f'Package Number "{number}"')
        else:
            number = f"PKG-{next(self._package_numbers):05d}"
        lines = body.get("line_items")
        if not isinstance(lines, list) or not lines:
            raise _invalid("line_items")
        custom_fields = _custom_field_entries(body)
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        wanted: dict[str, int | float] = {}
        for entry in lines:
            so_line_id = str(entry.get("so_line_item_id", "")) if isinstance(entry, dict) else ""
            if so_line_id not in by_id:
                raise _invalid("so_line_item_id")
            wanted[so_line_id] = _as_number(wanted.get(so_line_id, 0) + _num(entry.get("quantity"), "quantity"))
        for so_line_id, quantity in wanted.items():
            line = by_id[so_line_id]
            remaining = float(line.get("quantity", 0)) - float(line.get("quantity_packed", 0))
            if quantity > remaining:
                raise ZohoError(
                    400, 2, f"Quantity to be packed for {line.get('name', so_line_id)} exceeds the unpacked quantity."
                )
        package_lines = []
        for so_line_id, quantity in wanted.items():
            line = by_id[so_line_id]
            line["quantity_packed"] = _as_number(float(line.get("quantity_packed", 0)) + quantity)
            package_lines.append(
                {
                    "line_item_id": self._new_id(),
                    "so_line_item_id": so_line_id,
                    "item_id": line.get("item_id"),
                    "sku": line.get("sku"),
                    "name": line.get("name"),
                    "quantity": quantity,
                    "unit": line.get("unit"),
                }
            )
        package = {
            "package_id": self._new_id(),
            "package_number": number,
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "date": date,
            # The published package has no status of its own (only its shipment_order's):
            # GUESS (docs/providers/zoho.md §7).
            "status": "not_shipped",
            "detailed_status": "",
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "notes": body.get("notes", ""),
            "line_items": package_lines,
            "custom_fields": [self._custom_field(entry) for entry in custom_fields],
            "shipment_order": {},
            "created_time": self._now_text(),
        }
        self.records["packages"][package["package_id"]] = package
        self._sync_packages(order)
        message = "Package created successfully. It's now time to ship!"
        # The spec's creating-a-package-response holds the package in a one-element array; live clients read an
        # object (UNCERTAIN which is live, docs/providers/zoho.md §7), the client takes either.
        return Response(201, {"code": 0, "message": message, "package": [copy.deepcopy(package)]})

    def _get_package(self, request: Request) -> Response:
        package = self._get("packages", request.params["package_id"], "Package")
        # As the create answer: retrieving-a-package-response holds the package in a one-element array
        # (docs/providers/zoho.md §7).
        return Response(200, {"code": 0, "message": "success", "package": [copy.deepcopy(package)]})

    def _delete_package(self, request: Request) -> Response:
        package = self._get("packages", request.params["package_id"], "Package")
        if package["shipment_order"]:
            # The shipment goes first (docs/providers/zoho.md §7); the code and text are a GUESS.
            raise ZohoError(400, 2, f"Package {package['package_number']} is shipped: delete its shipment first.")
        order = self.records["salesorders"][package["salesorder_id"]]
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        for package_line in package["line_items"]:
            line = by_id[package_line["so_line_item_id"]]
            line["quantity_packed"] = _as_number(float(line.get("quantity_packed", 0)) - package_line["quantity"])
        del self.records["packages"][package["package_id"]]
        order["packages"] = [ref for ref in order["packages"] if ref.get("package_id") != package["package_id"]]
        self._sync_packages(order)
        # The spec's deleting-a-package-response, exclamation and all (docs/providers/zoho.md §7).
        return Response(200, {"code": 0, "message": "Whooooosh! Package Deleted Successfully."})

    def _sync_packages(self, order: dict[str, Any]) -> None:
        """Rebuild the order's ``packages[]`` and ``shipped_status`` from the package records."""
        ours = [p for p in self.records["packages"].values() if p["salesorder_id"] == order["salesorder_id"]]
        refs = [ref for ref in order["packages"] if ref.get("package_id") not in self.records["packages"]]
        for package in ours:
            shipment = self.records["shipmentorders"].get(package["shipment_order"].get("shipment_id", ""), {})
            refs.append(
                {
                    "package_id": package["package_id"],
                    "package_number": package["package_number"],
                    "date": package["date"],
                    "status": package["status"],
                    "detailed_status": package["detailed_status"],
                    "quantity": _as_number(sum(float(line["quantity"]) for line in package["line_items"])),
                    "shipment_id": shipment.get("shipment_id", ""),
                    "shipment_number": shipment.get("shipment_number", ""),
                    "shipment_date": shipment.get("date", ""),
                    "shipment_status": shipment.get("status", ""),
                    "carrier": shipment.get("carrier", ""),
                    "delivery_method": shipment.get("delivery_method", ""),
                    "tracking_number": shipment.get("tracking_number", ""),
                    "tracking_link": shipment.get("tracking_link", ""),
                }
            )
        order["packages"] = refs
        lines = order["line_items"]
        if lines and all(float(line["quantity_shipped"]) >= float(line.get("quantity", 0)) for line in lines):
            delivered = bool(ours) and all(p["status"] == "delivered" for p in ours)
            order["shipped_status"] = "fulfilled" if delivered else "shipped"
        elif any(float(line["quantity_shipped"]) > 0 for line in lines):
            order["shipped_status"] = "partially_shipped"
        order["last_modified_time"] = self._modified_stamp()

    # ------------------------------------------------------------------ shipment orders
    def _create_shipmentorder(self, request: Request) -> Response:
        order, package_ids = self._shipment_parents(request)
        body = self._body(request)
        for field in ("shipment_number", "date", "delivery_method", "tracking_number"):
            if not str(body.get(field, "")).strip():
                raise _invalid(field)
        if not _DATE.match(str(body["date"])):
            raise _invalid("date")
        number = str(body["shipment_number"])
        if any(s["shipment_number"] == number for s in self.records["shipmentorders"].values()):
            raise _already_exists(f'Shipment Order Number "{number}"')
        packages = []
        for package_id in package_ids:
            package = self.records["packages"].get(package_id)
            if package is None or package["salesorder_id"] != order["salesorder_id"]:
                raise _invalid("package_ids")
            if package["status"] != "not_shipped":
                raise ZohoError(400, 2, f"Package {package['package_number']} has already been shipped.")
            packages.append(package)
        shipment = {
            "shipment_id": self._new_id(),
            "shipment_number": number,
            "salesorder_id": order["salesorder_id"],
            "salesorder_number": order["salesorder_number"],
            "date": body["date"],
            "status": "shipped",
            "detailed_status": "",
            "carrier": body["delivery_method"],
            "delivery_method": body["delivery_method"],
            "tracking_number": str(body["tracking_number"]),
            "tracking_link": body.get("tracking_link", ""),
            "reference_number": body.get("reference_number", ""),
            "shipping_charge": body.get("shipping_charge", 0.0),
            "notes": body.get("notes", ""),
            "customer_id": order.get("customer_id"),
            "customer_name": order.get("customer_name"),
            "package_ids": package_ids,
            "packages": [{"package_id": p["package_id"], "package_number": p["package_number"]} for p in packages],
            "delivered_date": "",
            "created_time": self._now_text(),
        }
        self.records["shipmentorders"][shipment["shipment_id"]] = shipment
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        for package in packages:
            package["status"] = "shipped"
            package["shipment_order"] = {key: shipment[key] for key in ("shipment_id", "shipment_number")}
            for package_line in package["line_items"]:
                line = by_id[package_line["so_line_item_id"]]
                line["quantity_shipped"] = _as_number(float(line["quantity_shipped"]) + package_line["quantity"])
                # Physical stock falls on shipment, not on packing (docs/providers/zoho.md §7).
                self._move_stock(package_line.get("item_id"), -float(package_line["quantity"]))
        self._sync_packages(order)
        return Response(
            201, {"code": 0, "message": "Shipment created successfully.", "shipment_order": copy.deepcopy(shipment)}
        )

    def _shipment_parents(self, request: Request) -> tuple[dict[str, Any], list[str]]:
        """The sales order and the packages a shipment ships, from the optional query ids.

        ``salesorder_id`` and ``package_ids`` are both optional as published (docs/providers/zoho.md §7); what
        Zoho does without them is not. GUESS: without ``salesorder_id`` the order is the packages' own (they must
        all belong to one order); without ``package_ids`` every package of the order not yet shipped goes; with
        neither, or nothing left to ship, there is nothing to ship (400 code 2 naming ``package_ids``). The
        client always sends both.
        """
        package_ids = list(dict.fromkeys(p.strip() for p in request.query.get("package_ids", "").split(",")))
        package_ids = [package_id for package_id in package_ids if package_id]
        salesorder_id = request.query.get("salesorder_id", "").strip()
        if not salesorder_id:
            owners = {str(self.records["packages"].get(p, {}).get("salesorder_id", "")) for p in package_ids}
            if len(owners) != 1 or "" in owners:
                raise _invalid("package_ids")
            salesorder_id = owners.pop()
        order = self._get("salesorders", salesorder_id, "Sales Order")
        if not package_ids:
            package_ids = [
                package["package_id"]
                for package in self.records["packages"].values()
                if package["salesorder_id"] == order["salesorder_id"] and package["status"] == "not_shipped"
            ]
            if not package_ids:
                raise _invalid("package_ids")
        return order, package_ids

    def _delete_shipmentorder(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        if shipment["status"] == "delivered":
            # GUESS (code and text): nothing published about deleting a delivered shipment; refused here.
            raise ZohoError(400, 2, "A delivered shipment order cannot be deleted.")
        order = self.records["salesorders"][shipment["salesorder_id"]]
        by_id = {line["line_item_id"]: line for line in order["line_items"]}
        for package_id in shipment["package_ids"]:
            package = self.records["packages"][package_id]
            package["status"] = "not_shipped"
            package["shipment_order"] = {}
            for package_line in package["line_items"]:
                line = by_id[package_line["so_line_item_id"]]
                line["quantity_shipped"] = _as_number(float(line["quantity_shipped"]) - package_line["quantity"])
                # The stock the shipment took comes back (docs/providers/zoho.md §7).
                self._move_stock(package_line.get("item_id"), float(package_line["quantity"]))
        del self.records["shipmentorders"][shipment["shipment_id"]]
        self._sync_packages(order)
        lines = order["line_items"]
        if not any(float(line["quantity_shipped"]) > 0 for line in lines):
            order["shipped_status"] = "pending"
        # The spec's delete-a-shipment-order-response (docs/providers/zoho.md §7).
        return Response(200, {"code": 0, "message": "The Shipment Order has been deleted."})

    def _get_shipmentorder(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        return Response(200, {"code": 0, "message": "success", "shipment_order": copy.deepcopy(shipment)})

    def _mark_delivered(self, request: Request) -> Response:
        shipment = self._get("shipmentorders", request.params["shipment_id"], "Shipment Order")
        body = self._body(request)
        if shipment["status"] == "delivered":
            # 37135 is what [ZTS] sees on a repeat (docs/providers/zoho.md §7); the wording is ours.
            raise ZohoError(400, 37135, "The Shipment Order has already been marked as Delivered.")
        delivered_date = str(body.get("delivered_date") or self._now_text()[:16].replace("T", " "))
        if not _DATE_TIME.match(delivered_date):
            raise _invalid("delivered_date")
        shipment["status"] = "delivered"
        shipment["delivered_date"] = delivered_date
        for package_id in shipment["package_ids"]:
            self.records["packages"][package_id]["status"] = "delivered"
        self._sync_packages(self.records["salesorders"][shipment["salesorder_id"]])
        return Response(200, {"code": 0, "message": "The Shipment Order has been marked as Delivered."})
