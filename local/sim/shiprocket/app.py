"""The simulator: its routes, the bearer-token gate, and the ``/_sim`` hooks (docs/providers/shiprocket.md §1)."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import random
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from local.sim.base import Handler, Request, Response
from local.sim.shiprocket.catalogue import DEFAULT_COURIERS, DEFAULT_UNSERVICEABLE_PINCODES
from local.sim.shiprocket.forward_shipment import ForwardShipmentMixin
from local.sim.shiprocket.order_list import OrderListMixin
from local.sim.shiprocket.order_show import OrderShowMixin
from local.sim.shiprocket.pickup import DEFAULT_PICKUP_LOCATIONS
from local.sim.shiprocket.remittance import RemittanceMixin
from local.sim.shiprocket.returns import ReturnsMixin
from local.sim.shiprocket.state import COMPANY_ID, _UnknownShipment
from local.sim.shiprocket.tracking import DEFAULT_LIFECYCLE, TrackingMixin
from local.sim.shiprocket.values import IST, _is_missing
from local.sim.shiprocket.wallet import WalletMixin

_log = logging.getLogger("local.sim.shiprocket")

DEFAULT_API_EMAIL = "api-user@seller.example"
DEFAULT_API_PASSWORD = "sim-password-1"
DEFAULT_TOKEN_TTL_S = 10 * 24 * 3600
DEFAULT_WALLET_BALANCE = 100_000.0
# An AWB cancellation is asynchronous as published (docs/providers/shiprocket.md §10): it completes on this read.
DEFAULT_AWB_CANCEL_SETTLE_READS = 1

RNG_SEED = 20250111

# An expired token's answer is the one integrators captured (docs/providers/shiprocket.md §1); a token never
# issued gets Laravel's default (GUESS: nothing published).
TOKEN_EXPIRED = {"message": "Token has expired", "status_code": 401}
UNAUTHENTICATED = {"message": "Unauthenticated.", "status_code": 401}


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class ShiprocketSim(
    ForwardShipmentMixin, OrderShowMixin, OrderListMixin, TrackingMixin, ReturnsMixin, RemittanceMixin, WalletMixin
):
    """One mixin per concern over ``SimState``; the routes are wired here, all but login behind the bearer token."""

    name = "shiprocket"
    prefix = "/v1/external"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.reset()
        public: list[tuple[str, str, Callable[[Request], Response]]] = [("POST", "/auth/login", self._login)]
        authed: list[tuple[str, str, Callable[[Request], Response]]] = [
            ("POST", "/auth/logout", self._logout),
            ("GET", "/courier/serviceability/", self._serviceability),
            ("POST", "/orders/create/adhoc", self._create_adhoc),
            ("POST", "/courier/assign/awb", self._assign_awb),
            ("POST", "/courier/generate/pickup", self._generate_pickup),
            ("POST", "/courier/generate/label", self._generate_label),
            ("POST", "/shipments/create/forward-shipment", self._forward_shipment),
            ("GET", "/orders/show/{id}", self._show_order),
            ("GET", "/orders", self._list_orders),
            ("POST", "/orders/cancel", self._cancel_orders),
            ("POST", "/orders/cancel/shipment/awbs", self._cancel_awbs),
            ("POST", "/orders/address/update", self._update_address),
            ("GET", "/settings/company/pickup", self._pickup_locations),
            ("POST", "/settings/company/addpickup", self._add_pickup_location),
            ("POST", "/orders/create/return", self._create_return),
            ("GET", "/courier/track/awb/{awb}", self._track_awb),
            ("POST", "/courier/track/awbs", self._track_awbs),
            ("GET", "/courier/track/shipment/{shipment_id}", self._track_shipment),
            ("GET", "/courier/track", self._track_order),
            # /ndr/all first: the {awb} template would match "all" too.
            ("GET", "/ndr/all", self._ndr_all),
            ("GET", "/ndr/{awb}", self._ndr_show),
            ("POST", "/ndr/{awb}/action", self._ndr_action),
            ("GET", "/account/details/wallet-balance", self._wallet_balance),
            ("GET", "/account/details/statement", self._statement),
        ]
        for method, template, handler in public:
            self.route(method, template)(handler)
        for method, template, handler in authed:
            self.route(method, template)(self._authed(handler))

    # -- SimApp hooks -------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.rng = random.Random(RNG_SEED)
            self.couriers = {}
            for courier in DEFAULT_COURIERS:
                self._put_courier(courier)
            self.pickup_locations = {}
            for location in DEFAULT_PICKUP_LOCATIONS:
                self._put_pickup_location(location)
            self.unserviceable = set(DEFAULT_UNSERVICEABLE_PINCODES)
            self.api_users = {DEFAULT_API_EMAIL: DEFAULT_API_PASSWORD}
            self.token_ttl_s = DEFAULT_TOKEN_TTL_S
            self.tokens = {}
            self.wallet_balance = DEFAULT_WALLET_BALANCE
            self.orders = {}
            self.by_shipment = {}
            self.by_sr_id = {}
            self.pickups = []
            self.labels = []
            self.returns = {}
            # A separate stream keeps tracking runs repeatable whatever else used self.rng.
            self.track_rng = random.Random(RNG_SEED + 7)
            self.lifecycles = {}
            self.default_lifecycle = DEFAULT_LIFECYCLE
            self.webhook = None
            self.webhook_options = {}
            self.webhooks = []
            self.ndr_actions = []
            self.remittances = []
            self.next_ndr_id = 880000
            self.next_ndr_history_id = 50_340_000
            # Counters start at the ids of tests/fixtures/reference.py so the first order reproduces them.
            self.next_sr_order_id = 612345678
            self.next_shipment_id = 609876543
            self.next_awb = 456789
            self.next_pickup_token = 1001
            self.awb_cancel_settle_reads = DEFAULT_AWB_CANCEL_SETTLE_READS
            self.cancelled_awbs = []
            self.address_updates = []
            self.wallet_rows = []
            self.next_wallet_transaction = 7_100_000
            self.weight_discrepancies = {}

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(payload, dict):
            raise TypeError("seed payload must be a JSON object")
        replace = bool(payload.get("replace"))
        with self.lock:
            if "pickup_locations" in payload:
                if replace:
                    self.pickup_locations.clear()
                for location in payload["pickup_locations"]:
                    self._put_pickup_location(location)
            if "couriers" in payload:
                if replace:
                    self.couriers.clear()
                for courier in payload["couriers"]:
                    self._put_courier(courier)
            if "unserviceable_pincodes" in payload:
                if replace:
                    self.unserviceable.clear()
                self.unserviceable.update(str(pin) for pin in payload["unserviceable_pincodes"])
            if "api_users" in payload:
                if replace:
                    self.api_users.clear()
                for user in payload["api_users"]:
                    self.api_users[str(user["email"])] = str(user["password"])
            if "wallet_balance" in payload:
                self.wallet_balance = float(payload["wallet_balance"])
            for key, weight in dict(payload.get("weight_discrepancies") or {}).items():
                self.weight_discrepancies[str(key)] = float(weight)
            if "token_ttl_s" in payload:
                self.token_ttl_s = float(payload["token_ttl_s"])
            if "awb_cancel_settle_reads" in payload:
                self.awb_cancel_settle_reads = max(0, int(payload["awb_cancel_settle_reads"]))
            expired = self.expire_tokens() if payload.get("expire_tokens") else 0
            self._seed_tracking(payload)
            updated = [self._apply_order_update(update) for update in payload.get("order_updates", [])]
            return {
                "pickup_locations": len(self.pickup_locations),
                "couriers": len(self.couriers),
                "unserviceable_pincodes": len(self.unserviceable),
                "api_users": len(self.api_users),
                "wallet_balance": self.wallet_balance,
                "token_ttl_s": self.token_ttl_s,
                "awb_cancel_settle_reads": self.awb_cancel_settle_reads,
                "tokens_expired": expired,
                "orders_updated": updated,
                "lifecycles": len(self.lifecycles),
                "webhook_url": self.webhook["url"] if self.webhook else None,
                "webhook_options": self.webhook_options,
            }

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy(
                {
                    "orders": [order.state() for order in self.orders.values()],
                    "pickups": self.pickups,
                    "labels": self.labels,
                    "returns": [order.state() for order in self.returns.values()],
                    "webhooks": self.webhooks,
                    "ndr_actions": self.ndr_actions,
                    "remittances": self.remittances,
                    "cancelled_awbs": self.cancelled_awbs,
                    "address_updates": self.address_updates,
                    "cancelled_orders": [o.order_id for o in self.orders.values() if o.cancelled],
                    "webhook_url": self.webhook["url"] if self.webhook else None,
                    "wallet_balance": round(self.wallet_balance, 2),
                    "wallet_rows": self.wallet_rows,
                    "pickup_locations": list(self.pickup_locations.values()),
                    "couriers": list(self.couriers.values()),
                    "unserviceable_pincodes": sorted(self.unserviceable),
                    "active_tokens": sum(1 for exp in self.tokens.values() if exp > self.clock()),
                }
            )

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        try:
            return super().handle(method, raw_path, headers, body)
        except Exception:
            # Answer like the PHP backend's 500s instead of dropping the connection; the traceback
            # still reaches the log so a simulator bug is visible.
            _log.exception("shiprocket simulator failed on %s %s", method, raw_path.split("?")[0])
            return Response(500, {"message": "Server Error", "status_code": 500})

    def _builtin(self, method: str, path: str, body: bytes) -> Response | None:
        if (method, path) == ("POST", "/_sim/expire-tokens"):
            return Response(200, {"expired": self.expire_tokens()})
        try:
            if (method, path) == ("POST", "/_sim/tracking/advance"):
                return self._advance_request(json.loads(body or b"{}"))
            if (method, path) == ("POST", "/_sim/remit"):
                return self._remit_request(json.loads(body or b"{}"))
            return super()._builtin(method, path, body)
        except _UnknownShipment as exc:
            return Response(404, {"message": str(exc)})
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            return Response(400, {"message": f"bad simulator request: {exc}"})

    def _apply_order_update(self, update: dict[str, Any]) -> str:
        order = self.orders.get(str(update.get("order_id"))) or self.returns.get(str(update.get("order_id")))
        if order is None:
            order = self._find_awb(str(update.get("awb_code") or ""))
        if order is None:
            raise KeyError(f"no order for update {update}")
        if "status" in update:
            order.status = (str(update["status"]), int(update["status_code"]))
        if "shipment_status" in update:
            order.shipment_status = (str(update["shipment_status"]), int(update["shipment_status_id"]))
        for key in ("remittance_date", "remittance_utr", "remittance_status", "delivered_date"):
            if key in update:
                order.extra[key] = update[key]
        return order.order_id

    # -- auth ---------------------------------------------------------------------------
    def expire_tokens(self) -> int:
        with self.lock:
            past = self.clock() - 1
            for token in self.tokens:
                self.tokens[token] = past
            return len(self.tokens)

    def _authed(self, handler: Callable[[Request], Response]) -> Handler:
        def guarded(request: Request) -> Response:
            authorization = request.header("authorization") or ""
            scheme, _, token = authorization.partition(" ")
            expiry = self.tokens.get(token.strip()) if scheme.lower() == "bearer" else None
            if expiry is None:
                return Response(401, UNAUTHENTICATED)
            if expiry <= self.clock():
                return Response(401, TOKEN_EXPIRED)
            return handler(request)

        return guarded

    def _issue_token(self, user_id: int, now: float) -> str:
        header = _b64url(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
        claims = {
            "sub": user_id,
            "iss": "https://apiv2.shiprocket.in/v1/external/auth/login",
            "iat": int(now),
            "exp": int(now + self.token_ttl_s),
            "nbf": int(now),
            "jti": f"{self.rng.getrandbits(64):016x}",
        }
        unsigned = f"{header}.{_b64url(json.dumps(claims).encode())}"
        signature = hmac.new(b"shiprocket-sim", unsigned.encode(), hashlib.sha256).digest()
        return f"{unsigned}.{_b64url(signature)}"

    def _login(self, request: Request) -> Response:
        """GUESS: the collection saves no login answer; the body is the one other code bases read, a wrong
        password a 400 (docs/providers/shiprocket.md §1)."""
        body = request.json()
        if not isinstance(body, dict):
            body = {}
        missing = {
            key: [f"The {key} field is required."] for key in ("email", "password") if _is_missing(body.get(key))
        }
        if missing:
            return Response(422, {"message": "Oops! Invalid Data.", "errors": missing, "status_code": 422})
        email, password = str(body["email"]), str(body["password"])
        if not hmac.compare_digest(self.api_users.get(email, "\0"), password):
            return Response(400, {"message": "Invalid email and password combination", "status_code": 400})
        now = self.clock()
        user_id = 4000000 + sorted(self.api_users).index(email)
        token = self._issue_token(user_id, now)
        self.tokens[token] = now + self.token_ttl_s
        created = datetime.fromtimestamp(now, IST).strftime("%Y-%m-%d %H:%M:%S")
        return Response(
            200,
            {
                "id": user_id,
                "first_name": "API",
                "last_name": "User",
                "email": email,
                "company_id": COMPANY_ID,
                "created_at": created,
                "token": token,
            },
        )

    def _logout(self, request: Request) -> Response:
        """GUESS: the collection saves no logout answer."""
        token = (request.header("authorization") or "").partition(" ")[2].strip()
        self.tokens.pop(token, None)
        return Response(200, {"message": "Successfully logged out"})
