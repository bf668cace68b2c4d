"""Shiprocket external API v1 client (docs/providers/shiprocket.md §1-7, §9, §12, §14, §14a).

Every answer goes through ``raise_for_error`` first (HTTP status, wallet code 350, error
envelopes); each method then checks the errors Shiprocket reports inside HTTP 200
(``status``, ``awb_assign_status``, ``pickup_status``, ``label_created``, wrapper ``status``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import requests
from aws_lambda_powertools import Logger
from pydantic import BaseModel, ValidationError

from shipsync.clients.http import DEFAULT_TIMEOUT, Timeout, json_or_none, send, shared_session
from shipsync.domain.models import (
    AwbAssignment,
    CourierQuote,
    CreatedOrder,
    ForwardShipmentResult,
    LabelResult,
    PickupResult,
    ShiprocketListedOrder,
    ShiprocketOrder,
    ShiprocketOrderDetails,
    ShiprocketPickupAddress,
    ShiprocketPickupLocation,
    ShiprocketReturnOrder,
)
from shipsync.errors import (
    AwbAlreadyAssigned,
    AwbRefused,
    NotServiceable,
    OrderIdTaken,
    PickupAddressRejected,
    ProviderRequestError,
    RateLimited,
    TokenRejected,
    TransientError,
    WalletTooLow,
)
from shipsync.freight.statement import is_opening_row

logger = Logger(child=True)

PROVIDER = "shiprocket"
WALLET_TOO_LOW_CODE = 350
MAX_TRACKED_AWBS = 50
# The published limit of one AWB cancellation (docs/providers/shiprocket.md §10).
MAX_CANCELLED_AWBS = 2000
NDR_ACTIONS = frozenset({"re-attempt", "return", "fake-attempt"})
ORDER_ID_TAKEN = "The order id has already been taken."
# Rows asked per statement page, and how many pages one read may take (50,000 rows: months of a busy seller).
STATEMENT_PAGE_SIZE = 100
MAX_STATEMENT_PAGES = 500
# Orders asked per page of ``GET /orders``, and how many pages one listing may take by default (5,000 orders). No
# page size limit is published; the answer's own ``meta.pagination`` decides where the pages end (§14a).
ORDER_LIST_PAGE_SIZE = 100
MAX_ORDER_LIST_PAGES = 50

# What Shiprocket answers when a retried write had already gone through (docs/providers/shiprocket.md §4, §5):
# the step is done, whatever the HTTP status (400 and 500 are both published for the pickup).
PICKUP_ALREADY_REQUESTED = ("already in pickup queue", "duplicate request for pickup generation")
AWB_ALREADY_ASSIGNED = ("awb is already assigned", "already assigned")
LABEL_ALREADY_GENERATED = ("already generated",)

ShiprocketTokenProvider = Callable[[], tuple[str, int | None]]
_Model = TypeVar("_Model", bound=BaseModel)


class ShiprocketClient:
    """Implements ``ports.ShiprocketApi``. ``token_provider`` returns (token, token version)."""

    def __init__(
        self,
        base_url: str,
        token_provider: ShiprocketTokenProvider,
        *,
        session: requests.Session | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._token_provider = token_provider
        self._session = session or shared_session()
        self._timeout = timeout

    # ------------------------------------------------------------------ endpoints

    def serviceability(
        self,
        *,
        pickup_postcode: str,
        delivery_postcode: str,
        cod: bool,
        weight_kg: float,
        length_cm: float | None = None,
        breadth_cm: float | None = None,
        height_cm: float | None = None,
        declared_value: float | None = None,
        is_return: bool = False,
    ) -> list[CourierQuote]:
        params: dict[str, Any] = {
            "pickup_postcode": pickup_postcode,
            "delivery_postcode": delivery_postcode,
            "cod": 1 if cod else 0,
            "weight": weight_kg,
        }
        optional = {"length": length_cm, "breadth": breadth_cm, "height": height_cm, "declared_value": declared_value}
        params.update({key: value for key, value in optional.items() if value is not None})
        if is_return:
            params["is_return"] = 1
        body = self._request("GET", "/courier/serviceability/", params=params)
        lane = f"{pickup_postcode} -> {delivery_postcode} ({'COD' if cod else 'prepaid'})"
        # Not-serviceable has no documented shape: any of these means "no courier".
        if not isinstance(body, dict) or str(body.get("status")) != "200":
            raise NotServiceable(f"{PROVIDER}: {lane}: {_describe(body)[0]}")
        data = body.get("data")
        couriers = data.get("available_courier_companies") if isinstance(data, dict) else None
        if not isinstance(couriers, list) or not couriers:
            raise NotServiceable(f"{PROVIDER}: {lane}: no courier available")
        quotes = [quote for quote in (_courier_quote(entry) for entry in couriers) if quote is not None]
        if not quotes:
            raise NotServiceable(f"{PROVIDER}: {lane}: no courier entry could be read")
        return quotes

    def create_adhoc_order(self, order: ShiprocketOrder) -> CreatedOrder:
        body = _object(self._request("POST", "/orders/create/adhoc", body=order.model_dump()))
        return _created_order(body, "order create")

    def assign_awb(self, shipment_id: int, courier_id: int, *, is_return: bool = False) -> AwbAssignment:
        """Raises ``AwbRefused`` when the courier refuses, ``AwbAlreadyAssigned`` when a retry finds the AWB done.

        A return shipment's AWB must say ``is_return: 1`` (required there, docs/providers/shiprocket.md §9)."""
        request_body: dict[str, Any] = {"shipment_id": shipment_id, "courier_id": courier_id}
        if is_return:
            request_body["is_return"] = 1
        http_status, payload, version = self._call("POST", "/courier/assign/awb", body=request_body)
        already = _already_done(payload, AWB_ALREADY_ASSIGNED)
        if already is not None:
            raise AwbAlreadyAssigned(shipment_id, already)
        try:
            raise_for_error(http_status, payload, version)
        except ProviderRequestError as exc:
            # 400 = "Cannot reassign courier" or a "cancelled state" / missing-data list.
            if exc.http_status == 400:
                raise AwbRefused(courier_id, "courier", exc.message) from exc
            raise
        body = _object(payload)
        data = _awb_data(body)
        courier_name = str(data.get("courier_name") or "courier")
        if not _flag(body.get("awb_assign_status")):
            reason = data.get("awb_assign_error") or _describe(body)[0]
            raise AwbRefused(courier_id, courier_name, str(reason))
        if not data.get("awb_code"):
            raise AwbRefused(courier_id, courier_name, "no AWB code in the answer")
        return _parse(
            AwbAssignment,
            {
                "awb_code": str(data["awb_code"]),
                "courier_company_id": data.get("courier_company_id") or courier_id,
                "courier_name": courier_name,
            },
        )

    def generate_pickup(self, shipment_id: int) -> PickupResult:
        """The pickup; a retry of one already requested answers ``already_requested`` instead of failing."""
        http_status, payload, version = self._call(
            "POST", "/courier/generate/pickup", body={"shipment_id": [shipment_id]}
        )
        if _already_done(payload, PICKUP_ALREADY_REQUESTED) is not None:
            logger.info("pickup already requested by an earlier call", extra={"shipment_id": shipment_id})
            return PickupResult(already_requested=True)
        if isinstance(payload, dict) and _flag(payload.get("pickup_generated")):
            # The flat answer of the collection's other pickup example, saved there under HTTP 500.
            return _pickup_result(payload)
        raise_for_error(http_status, payload, version)
        body = _object(payload)
        response = body.get("response")
        details = response if isinstance(response, dict) else {}
        if not _flag(body.get("pickup_status")):
            _reject(body, str(details.get("data") or "pickup not generated"))
        return _pickup_result(details)

    def generate_label(self, shipment_id: int) -> LabelResult:
        """The label; a retry answered "already generated" without a URL still completes the step."""
        body = _object(self._request("POST", "/courier/generate/label", body={"shipment_id": [shipment_id]}))
        label_url = body.get("label_url")
        if _flag(body.get("label_created")) and label_url:
            return LabelResult(label_url=str(label_url))
        if _already_done(body, LABEL_ALREADY_GENERATED) is not None:
            return LabelResult(label_url=_str_or_none(label_url), already_generated=True)
        response = body.get("response")
        _reject(body, str(response) if isinstance(response, str) and response else "label not created")

    def create_forward_shipment(
        self, order: ShiprocketOrder, *, courier_id: int, request_pickup: bool = True, print_label: bool = True
    ) -> ForwardShipmentResult:
        request_body = {
            **order.model_dump(),
            "courier_id": courier_id,
            "request_pickup": request_pickup,
            "print_label": print_label,
            "generate_manifest": False,
        }
        body = _object(self._request("POST", "/shipments/create/forward-shipment", body=request_body))
        raw_payload = body.get("payload")
        payload: dict[str, Any] = raw_payload if isinstance(raw_payload, dict) else {}
        sr_order_id = payload.get("order_id") or None
        shipment_id = payload.get("shipment_id") or None
        error_message = _str_or_none(payload.get("error_message"))
        if not _flag(body.get("status")) and sr_order_id is None and shipment_id is None:
            action = payload.get("action")
            message = error_message or _describe(body)[0]
            _reject(body, f"{action}: {message}" if action else message)
        awb: AwbAssignment | None = None
        awb_refusal: str | None = None
        if payload.get("awb_code"):
            awb = _parse(
                AwbAssignment,
                {
                    "awb_code": str(payload["awb_code"]),
                    "courier_company_id": payload.get("courier_company_id") or courier_id,
                    "courier_name": str(payload.get("courier_name") or "courier"),
                },
            )
        else:
            awb_refusal = str(payload.get("awb_assign_error") or error_message or "AWB not generated")
        pickup = _pickup_result(payload) if _flag(payload.get("pickup_generated")) else None
        label_url = payload.get("label_url")
        return _parse(
            ForwardShipmentResult,
            {
                "sr_order_id": sr_order_id,
                "shipment_id": shipment_id,
                # A duplicate order_id answers with the existing ids and order_created 0.
                "order_created": _flag(payload.get("order_created", 1)),
                "awb": awb,
                "awb_refusal": awb_refusal,
                "pickup": pickup,
                "label": LabelResult(label_url=str(label_url)) if label_url else None,
                "error_message": error_message,
            },
        )

    def create_return_order(self, order: ShiprocketReturnOrder) -> CreatedOrder:
        """A reused ``order_id`` is a 422 ``ProviderRequestError`` (see ``is_order_id_taken``), not the old order."""
        body = _object(self._request("POST", "/orders/create/return", body=order.model_dump()))
        return _created_order(body, "return order create")

    def track_awbs(self, awbs: Sequence[str]) -> dict[str, dict[str, Any]]:
        """Each AWB's raw ``tracking_data``; AWBs missing from the answer or unreadable are left out."""
        wanted = list(dict.fromkeys(awbs))
        if len(wanted) > MAX_TRACKED_AWBS:
            raise ValueError(f"track_awbs takes at most {MAX_TRACKED_AWBS} AWBs per call, got {len(wanted)}")
        if not wanted:
            return {}
        body = _object(self._request("POST", "/courier/track/awbs", body={"awbs": wanted}))
        tracked: dict[str, dict[str, Any]] = {}
        missing = 0
        for awb in wanted:
            entry = body.get(awb)
            if entry is None:
                missing += 1
                continue
            tracking_data = entry.get("tracking_data") if isinstance(entry, dict) else None
            if not isinstance(tracking_data, dict):
                logger.warning("skipping unreadable tracking entry", extra={"awb": awb})
                continue
            tracked[awb] = tracking_data
        if missing:
            # Not an error: an AWB left out of the answer is simply asked again on the next poll.
            logger.info("awbs missing from tracking answer", extra={"missing": missing, "asked": len(wanted)})
        return tracked

    def ndr_action(self, awb: str, action: str, comments: str) -> None:
        """Acts on an undelivered shipment; the documented success is 202 ``{"status": "Data Updated Sucessfully"}``."""
        if action not in NDR_ACTIONS:
            raise ValueError(f"NDR action must be one of {sorted(NDR_ACTIONS)}, got {action!r}")
        if not awb:
            raise ValueError("NDR action needs an AWB")
        body = _object(
            self._request(
                "POST",
                f"/ndr/{quote(awb, safe='')}/action",
                body={"action": action, "comments": comments},
                path_template="/ndr/{awb}/action",
            )
        )
        status = body.get("status")
        # The "Sucessfully" typo is Shiprocket's; match on the stable word only.
        if not isinstance(status, str) or "updated" not in status.lower():
            _reject(body, f"NDR {action} not accepted: {_describe(body)[0]}")

    def cancel_awbs(self, awbs: Sequence[str]) -> None:
        """``POST /orders/cancel/shipment/awbs``: cancels the AWBs (not the orders), before OUT FOR PICKUP only.

        Published answer: 204 with ``{"message": "Bulk Shipment cancellation is in progress. ..."}``: the cancel is
        asynchronous, so only the order's state read afterwards says it is done (docs/providers/shiprocket.md §10)."""
        wanted = [awb for awb in dict.fromkeys(awbs) if awb]
        if not wanted or len(wanted) > MAX_CANCELLED_AWBS:
            raise ValueError(f"cancel_awbs takes 1 to {MAX_CANCELLED_AWBS} AWBs, got {len(wanted)}")
        self._accepted_write("POST", "/orders/cancel/shipment/awbs", {"awbs": wanted})

    def cancel_orders(self, sr_order_ids: Sequence[int]) -> None:
        """``POST /orders/cancel``: published answer 204 with an empty body; an unknown id is a 500
        ("Trying to get property of non-object"), retried like any 5xx (docs/providers/shiprocket.md §10)."""
        wanted = [int(sr_order_id) for sr_order_id in dict.fromkeys(sr_order_ids)]
        if not wanted:
            raise ValueError("cancel_orders needs at least one order id")
        self._accepted_write("POST", "/orders/cancel", {"ids": wanted})

    def wallet_statement(self, start: date, end: date) -> list[dict[str, Any]]:
        """``GET /account/details/statement``: every row from ``start`` to ``end`` (dates, both included), page by
        page, raw (``freight.statement`` reads them). The published answer has no page information, so a page
        shorter than asked is the last (docs/providers/shiprocket.md §17). The rows decide what is booked: an
        answer without the list is an error, never "no movements"."""
        if end < start:
            raise ValueError(f"the statement ends ({end}) before it starts ({start})")
        rows: list[dict[str, Any]] = []
        for page in range(1, MAX_STATEMENT_PAGES + 1):
            params = {"from": start.isoformat(), "to": end.isoformat(), "page": page, "per_page": STATEMENT_PAGE_SIZE}
            body = _object(self._request("GET", "/account/details/statement", params=params))
            listed = body.get("data")
            if not isinstance(listed, list):
                _reject(body, "statement answer has no data list")
            rows += listed
            movements = [row for row in listed if not (isinstance(row, dict) and is_opening_row(row))]
            if len(movements) < STATEMENT_PAGE_SIZE:
                return rows
        # Stopping short would leave rows unbooked without saying so.
        raise ProviderRequestError(PROVIDER, f"more than {MAX_STATEMENT_PAGES} statement pages from {start} to {end}")

    def wallet_balance(self) -> Decimal:
        """``GET /account/details/wallet-balance``: rupees, negative when the account owes (as published)."""
        body = _object(self._request("GET", "/account/details/wallet-balance"))
        data = body.get("data")
        raw = data.get("balance_amount") if isinstance(data, dict) else None
        if raw is None or str(raw).strip() == "":
            _reject(body, "wallet balance answer has no data.balance_amount")
        try:
            return _decimal(raw, signed=True)
        except ProviderRequestError:
            _reject(body, "wallet balance is not a number")

    def list_pickup_locations(self) -> list[ShiprocketPickupLocation]:
        """``GET /settings/company/pickup``: every pickup location of the account (docs/providers/shiprocket.md
        §15). It decides which ones the setup check registers, so an answer without the list is an error, never
        "none registered"."""
        body = _object(self._request("GET", "/settings/company/pickup"))
        data = body.get("data")
        rows = data.get("shipping_address") if isinstance(data, dict) else None
        if not isinstance(rows, list):
            _reject(body, "pickup locations answer has no data.shipping_address list")
        locations = []
        for row in rows:
            if not isinstance(row, dict) or not str(row.get("pickup_location") or "").strip():
                _reject(body, "a pickup location row has no pickup_location")
            locations.append(
                _parse(
                    ShiprocketPickupLocation,
                    {
                        "id": row.get("id"),
                        "pickup_location": str(row["pickup_location"]),
                        "pin_code": str(row.get("pin_code") or ""),
                        "status": _int_or_none(row.get("status")),
                        "phone_verified": _flag(row.get("phone_verified")),
                        "is_primary_location": _flag(row.get("is_primary_location")),
                        "address": str(row.get("address") or ""),
                        "city": str(row.get("city") or ""),
                    },
                )
            )
        return locations

    def add_pickup_location(self, address: ShiprocketPickupAddress) -> int:
        """``POST /settings/company/addpickup``: the new pickup location's id (``pickup_id``). An address line 1
        without a house / flat / road number is ``PickupAddressRejected``, named, not a 422 dump
        (docs/providers/shiprocket.md §15)."""
        try:
            body = _object(self._request("POST", "/settings/company/addpickup", body=address.model_dump()))
        except ProviderRequestError as refused:
            lines = refused.field_errors.get("address", [])
            if any("house" in line.lower() for line in lines):
                raise PickupAddressRejected(
                    PROVIDER,
                    f"pickup location {address.pickup_location}: {lines[0]} (address line 1 was {address.address!r})",
                    http_status=refused.http_status,
                    field_errors=refused.field_errors,
                ) from refused
            raise
        pickup_id = _int_or_none(body.get("pickup_id"))
        if not body.get("success") or pickup_id is None:
            _reject(body, "pickup location not added")
        return pickup_id

    def update_delivery_address(self, sr_order_id: int, order: ShiprocketOrder) -> None:
        """``POST /orders/address/update``: the delivery name, address and phone of an order, all of them, from
        ``order`` as mapped (its shipping side, or its billing side when they are one). Published answer: 202 with
        an empty body (docs/providers/shiprocket.md §10)."""
        side = "billing" if order.shipping_is_billing else "shipping"

        def field(name: str) -> str:
            return str(getattr(order, f"{side}_{name}") or "")

        body = {
            "order_id": int(sr_order_id),
            "shipping_customer_name": " ".join(part for part in (field("customer_name"), field("last_name")) if part),
            "shipping_phone": field("phone"),
            "shipping_address": field("address"),
            "shipping_address_2": field("address_2"),
            "shipping_city": field("city"),
            "shipping_state": field("state"),
            "shipping_country": field("country") or "India",
            "shipping_pincode": field("pincode"),
            "shipping_email": field("email"),
        }
        self._accepted_write("POST", "/orders/address/update", body)

    def _accepted_write(self, method: str, path: str, body: Mapping[str, Any]) -> None:
        """A write whose success is a 2xx with an empty body or a message; an error inside it still raises."""
        http_status, payload, version = self._call(method, path, body=body)
        if 200 <= http_status < 300 and payload is None:
            return
        raise_for_error(http_status, payload, version)
        logger.info("shiprocket accepted", extra={"path": path, "answer": _describe(payload)[0]})

    def get_order(self, sr_order_id: int) -> ShiprocketOrderDetails:
        """``GET /orders/show/{id}``: status, AWB, courier, COD amount, the remittance fields and the products.

        See docs/providers/shiprocket.md §11, §14.

        Shiprocket sends ``""`` for what it does not know yet (AWB, remittance): those become None.
        """
        body = _object(self._request("GET", f"/orders/show/{int(sr_order_id)}", path_template="/orders/show/{id}"))
        data = body.get("data")
        if not isinstance(data, dict):
            _reject(body, "order answer has no data object")
        method = str(data.get("payment_method") or "").strip().lower()
        payment_method = {"cod": "COD", "prepaid": "Prepaid"}.get(method)
        is_cod = payment_method == "COD" or _flag(data.get("cod"))
        if is_cod:
            payment_method = "COD"
        awb_data = data.get("awb_data")
        shipments = data.get("shipments")
        # ``shipments`` is an object on orders/show and a list on the order list; accept both.
        shipment = shipments[0] if isinstance(shipments, list) and shipments else shipments
        awb = _str_or_none((awb_data or {}).get("awb") if isinstance(awb_data, dict) else None)
        shipment = shipment if isinstance(shipment, dict) else {}
        if awb is None:
            awb = _str_or_none(shipment.get("awb"))
        return _parse(
            ShiprocketOrderDetails,
            {
                "sr_order_id": data.get("id") or sr_order_id,
                "channel_order_id": _str_or_none(data.get("channel_order_id")),
                "status": _str_or_none(data.get("status")),
                "status_code": _int_or_none(data.get("status_code")),
                "awb": awb,
                "payment_method": payment_method,
                "cod_amount": _decimal(data.get("total")) if is_cod else Decimal("0"),
                "remittance_utr": _str_or_none(data.get("remittance_utr")),
                "remittance_date": _str_or_none(data.get("remittance_date")),
                "remittance_status": _str_or_none(data.get("remittance_status")),
                "courier_name": _str_or_none(shipment.get("courier")),
                "courier_id": _int_or_none(shipment.get("courier_id")),
                "products": _products(data.get("products")),
            },
        )

    def list_orders(
        self,
        start: date,
        end: date,
        *,
        per_page: int = ORDER_LIST_PAGE_SIZE,
        max_pages: int = MAX_ORDER_LIST_PAGES,
    ) -> list[ShiprocketListedOrder]:
        """``GET /orders?from&to``: the account's orders of ``start`` to ``end`` (dates, both included), lowest
        Shiprocket id first, page by page until ``meta.pagination`` says the last (docs/providers/shiprocket.md §14a).

        A reconciliation looks for what is missing, so an answer it cannot read (no ``data`` list, no readable
        ``meta.pagination``, another page than asked, an order without an id) is a ``ProviderRequestError``, never
        "no orders"; so is a listing of more than ``max_pages`` pages, which would stop short. An order listed on
        two pages (the list moved while it was read) is kept once."""
        if end < start:
            raise ValueError(f"the order list ends ({end}) before it starts ({start})")
        if per_page < 1 or max_pages < 1:
            raise ValueError(f"per_page and max_pages must be positive, got {per_page} and {max_pages}")
        listed: dict[int, ShiprocketListedOrder] = {}
        page = 1
        while True:
            # Ascending ids: an order created while the pages are read lands on the last page, not before.
            params = {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "page": page,
                "per_page": per_page,
                "sort": "ASC",
                "sort_by": "id",
            }
            body = _object(self._request("GET", "/orders", params=params))
            rows = body.get("data")
            if not isinstance(rows, list):
                _reject(body, "order list answer has no data list")
            current_page, total_pages = _pagination(body)
            if current_page != page:
                _reject(body, f"order list answered page {current_page} when page {page} was asked")
            if total_pages > max_pages:
                raise ProviderRequestError(
                    PROVIDER, f"{total_pages} order list pages from {start} to {end}, more than {max_pages}"
                )
            for row in rows:
                order = _listed_order(row)
                listed.setdefault(order.sr_order_id, order)
            # total_pages is at most max_pages: the pages end here, never short of the last.
            if page >= total_pages:
                return list(listed.values())
            page += 1

    # ------------------------------------------------------------------ plumbing

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        path_template: str | None = None,
    ) -> Any:
        """``path_template`` replaces ``path`` in the log when the path carries an id (AWB)."""
        http_status, payload, version = self._call(method, path, params=params, body=body, path_template=path_template)
        raise_for_error(http_status, payload, version)
        return payload

    def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        path_template: str | None = None,
    ) -> tuple[int, Any, int | None]:
        """One call, unjudged: (HTTP status, decoded body or None, token version)."""
        token, version = self._token_provider()
        response = send(
            self._session,
            method,
            self._base_url + path,
            provider=PROVIDER,
            path_template=path_template or path,
            timeout=self._timeout,
            params=params,
            json_body=body,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )
        return response.status_code, json_or_none(response), version


# ---------------------------------------------------------------------- the one error model


def is_order_id_taken(error: ProviderRequestError) -> bool:
    """True for the 422 a create answers when our ``order_id`` already naming an order is its *only* problem.

    The error map is judged whole: the published return-order 422 lists "The order id has already been taken."
    next to a missing ``pickup_country`` (docs/providers/shiprocket.md §9), and re-using the old order cannot
    fix a missing field."""
    if error.http_status != 422:
        return False
    problems = [(field, text) for field, texts in error.field_errors.items() for text in texts]
    if not problems:
        return ORDER_ID_TAKEN.lower() in error.message.lower()
    return all(field == "order_id" and ORDER_ID_TAKEN.lower() in text.lower() for field, text in problems)


def raise_for_error(http_status: int, payload: Any, token_version: int | None) -> None:
    """Raise the typed error an answer stands for; return when it is not an envelope-level error.

    Errors that Shiprocket reports inside HTTP 200 with endpoint-specific flags are left to the
    endpoint, except an error ``status_code`` in the body, which counts as the HTTP status.
    """
    status = http_status
    if 200 <= status < 300 and isinstance(payload, dict):
        embedded = payload.get("status_code")
        if isinstance(embedded, int) and 400 <= embedded < 600:
            status = embedded
    if status == 401:
        raise TokenRejected(PROVIDER, token_version)
    message, field_errors = _describe(payload)
    # The wallet code has been seen with several HTTP statuses and nested in wrapper payloads.
    if _has_wallet_code(payload):
        raise WalletTooLow(f"{PROVIDER}: {message}")
    if status == 429:
        raise RateLimited(f"{PROVIDER}: rate limited (HTTP 429)")
    if status >= 500:
        raise TransientError(f"{PROVIDER}: HTTP {status}: {message}")
    if payload is None:
        raise ProviderRequestError(PROVIDER, "answer is not JSON", http_status=http_status)
    if not 200 <= status < 300:
        error = ProviderRequestError(PROVIDER, message, http_status=status, field_errors=field_errors)
        if is_order_id_taken(error):
            raise OrderIdTaken(PROVIDER, message, http_status=status, field_errors=field_errors)
        raise error


def _describe(payload: Any) -> tuple[str, dict[str, list[str]]]:
    """(message, field errors) from any of the error envelopes of docs/providers/shiprocket.md §12."""
    if isinstance(payload, list):
        return "; ".join(str(entry) for entry in payload) or "error", {}
    if not isinstance(payload, dict):
        return "unexpected answer", {}
    field_errors = _field_errors(payload.get("errors"))
    message = payload.get("message")
    if isinstance(message, dict):
        # Pickup-address 422: ``message`` itself is the field map.
        field_errors = {**_field_errors(message), **field_errors}
        return "invalid data", field_errors
    if isinstance(message, list):
        return "; ".join(str(entry) for entry in message), field_errors
    if message:
        return str(message), field_errors
    return "no message", field_errors


def _field_errors(raw: Any) -> dict[str, list[str]]:
    if not isinstance(raw, dict):
        return {}
    return {
        str(key): [str(v) for v in value] if isinstance(value, list) else [str(value)] for key, value in raw.items()
    }


def _has_wallet_code(node: Any) -> bool:
    if isinstance(node, dict):
        if str(node.get("status_code")) == str(WALLET_TOO_LOW_CODE):
            return True
        return any(_has_wallet_code(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_wallet_code(value) for value in node)
    return False


def _already_done(payload: Any, phrases: Sequence[str]) -> str | None:
    """The message of an answer saying a retried write had already happened, else None.

    Read from the error message or the AWB error, at any HTTP status: the published pickup examples say it with
    a 400 and with a 500."""
    if not isinstance(payload, dict):
        return None
    texts = [_describe(payload)[0], str(_awb_data(payload).get("awb_assign_error") or "")]
    response = payload.get("response")
    if isinstance(response, str):
        texts.append(response)
    return next((text for text in texts if any(phrase in text.lower() for phrase in phrases)), None)


def _awb_data(body: Mapping[str, Any]) -> Mapping[str, Any]:
    """``response.data`` of an AWB assignment answer, or {}."""
    response = body.get("response")
    data = response.get("data") if isinstance(response, dict) else None
    return data if isinstance(data, dict) else {}


def _pickup_result(details: Mapping[str, Any]) -> PickupResult:
    return PickupResult(
        pickup_scheduled_date=_str_or_none(details.get("pickup_scheduled_date")),
        pickup_token_number=_str_or_none(details.get("pickup_token_number")),
    )


def _reject(body: Any, message: str) -> NoReturn:
    """An error reported inside HTTP 200."""
    raise ProviderRequestError(PROVIDER, message, http_status=200, field_errors=_describe(body)[1])


def _created_order(body: dict[str, Any], what: str) -> CreatedOrder:
    """The answer of an order create (adhoc or return): Shiprocket's ids and status."""
    if not body.get("order_id"):
        _reject(body, f"{what} answered without an order id")
    return _parse(
        CreatedOrder,
        {
            "sr_order_id": body["order_id"],
            "shipment_id": body.get("shipment_id") or None,
            "status": body.get("status"),
            "status_code": body.get("status_code"),
            # A duplicate of an order without AWB answers "" where a new one answers null.
            "awb_code": body.get("awb_code") or None,
            "courier_company_id": body.get("courier_company_id") or None,
            "courier_name": body.get("courier_name") or None,
        },
    )


def _object(payload: Any) -> dict[str, Any]:
    if not isinstance(payload, dict):
        _reject(payload, "expected a JSON object")
    return payload


def _parse(model: type[_Model], data: Mapping[str, Any]) -> _Model:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        # Only the locations: input values could be customer data.
        fields = sorted({".".join(str(part) for part in error["loc"]) for error in exc.errors()})
        raise ProviderRequestError(PROVIDER, f"unexpected answer shape for {model.__name__}: {fields}") from exc


_OPTIONAL_NUMBERS = ("etd_hours", "rating", "rto_performance", "delivery_performance")


def _courier_quote(entry: Any) -> CourierQuote | None:
    """One ``available_courier_companies`` entry; numbers arrive as strings, sometimes empty."""
    if not isinstance(entry, dict):
        return None
    cleaned = dict(entry)
    cleaned["estimated_delivery_days"] = _leading_int(entry.get("estimated_delivery_days"))
    for key in _OPTIONAL_NUMBERS:
        cleaned[key] = _float_or_none(entry.get(key))
    try:
        return CourierQuote.model_validate(cleaned)
    except ValidationError:
        logger.warning(
            "skipping unreadable courier entry", extra={"courier_company_id": entry.get("courier_company_id")}
        )
        return None


def _leading_int(value: Any) -> int | None:
    """``"3"`` -> 3, ``"3-4"`` -> 3, ``""`` -> None."""
    found = re.match(r"\s*(\d+)", str(value)) if value is not None else None
    return int(found.group(1)) if found else None


def _float_or_none(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _flag(value: Any) -> bool:
    """Shiprocket's 0/1 flags arrive as ints, strings or booleans."""
    return value in (1, "1")


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _decimal(value: Any, *, signed: bool = False) -> Decimal:
    """Rupees from a number or a numeric string (``"1499.00"``); via ``str`` so a float keeps its shown digits.
    Negative only when ``signed`` (a wallet balance can be, a COD amount cannot)."""
    try:
        amount = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        raise ProviderRequestError(PROVIDER, "order answer has no readable COD amount") from None
    if not amount.is_finite() or (amount < 0 and not signed):
        raise ProviderRequestError(PROVIDER, "order answer has no readable COD amount")
    return amount


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _pagination(body: Mapping[str, Any]) -> tuple[int, int]:
    """(``current_page``, ``total_pages``) of a list answer's ``meta.pagination``; an error when unreadable."""
    meta = body.get("meta")
    pagination = meta.get("pagination") if isinstance(meta, dict) else None
    if not isinstance(pagination, dict):
        _reject(body, "list answer has no meta.pagination")
    current_page, total_pages = (
        _int_or_none(pagination.get("current_page")),
        _int_or_none(pagination.get("total_pages")),
    )
    if current_page is None or total_pages is None or current_page < 1 or total_pages < 0:
        _reject(body, "list answer has no readable meta.pagination current_page / total_pages")
    return current_page, total_pages


def _listed_order(row: Any) -> ShiprocketListedOrder:
    """One ``data`` entry of ``GET /orders``; ``shipments`` is a list there (an object on orders/show: both read)."""
    sr_order_id = _int_or_none(row.get("id")) if isinstance(row, dict) else None
    if not isinstance(row, dict) or sr_order_id is None:
        _reject(row, "an order of the order list has no id")
    shipments = row.get("shipments")
    if shipments is None:
        shipments = []
    elif isinstance(shipments, dict):
        shipments = [shipments]
    if not isinstance(shipments, list) or not all(isinstance(shipment, dict) for shipment in shipments):
        _reject(row, f"order {sr_order_id} of the order list has unreadable shipments")
    awbs = [awb for awb in (_str_or_none(shipment.get("awb")) for shipment in shipments) if awb is not None]
    shipment_ids = [
        found for found in (_int_or_none(shipment.get("id")) for shipment in shipments) if found is not None
    ]
    return _parse(
        ShiprocketListedOrder,
        {
            "sr_order_id": sr_order_id,
            "channel_order_id": _str_or_none(row.get("channel_order_id")),
            "created_at": _str_or_none(row.get("created_at")),
            "status": _str_or_none(row.get("status")),
            "status_code": _int_or_none(row.get("status_code")),
            "awbs": tuple(awbs),
            "shipment_ids": tuple(shipment_ids),
        },
    )


def _products(value: Any) -> list[dict[str, Any]] | None:
    """The ``products`` of orders/show as SKU, name and units; None when a line has no SKU or no whole positive
    ``quantity``: a list short of a line would under-state what the parcel holds."""
    if not isinstance(value, list):
        return None
    lines = []
    for entry in value:
        if not isinstance(entry, dict):
            return None
        sku, units = _str_or_none(entry.get("sku")), entry.get("quantity")
        if isinstance(units, str) and units.strip().isdigit():
            units = int(units)
        if sku is None or not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            return None
        lines.append({"sku": sku, "name": _str_or_none(entry.get("name")) or sku, "quantity": units})
    return lines
