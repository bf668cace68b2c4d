"""Accounts and limits: OAuth token minting, authentication, the organization and the rate limits
(docs/providers/zoho.md §1, §4)."""

from __future__ import annotations

import secrets
from collections import deque

from local.sim.base import Request, Response
from local.sim.zoho.common import ZohoError
from local.sim.zoho.state import IST, ZohoState, _Token

TOKEN_REQUEST_LIMIT = 10
TOKEN_REQUEST_WINDOW_S = 600.0
MAX_LIVE_TOKENS = 10

THROTTLED_BODY = {
    "error_description": "You have made too many requests continuously. Please try again after some time.",
    "error": "Access Denied",
    "status": "failure",
}
NOT_AUTHORIZED = "You are not authorized to perform this operation"
BAD_AUTH_VALUE = (
    "The request could not be authenticated as the authentication value you entered is invalid. "
    "Enter a valid authentication value and try again."
)
PER_MINUTE_MESSAGE = (
    "For security reasons your organization has been blocked as it have exceeded the maximum number of "
    "requests per minute that can originate from an organization."
)


class AuthMixin(ZohoState):
    # ------------------------------------------------------------------ OAuth
    def _token(self, request: Request) -> Response:
        params = dict(request.query)
        if request.body:
            params.update(request.form())
        if params.get("grant_type") != "refresh_token":
            # Only the refresh grant is documented (docs/providers/zoho.md §1); the OAuth-standard error is assumed.
            return Response(200, {"error": "unsupported_grant_type"})
        client_id = params.get("client_id", "")
        if client_id not in self.client_secrets:
            return Response(200, {"error": "invalid_client"})
        if params.get("client_secret") != self.client_secrets[client_id]:
            return Response(200, {"error": "invalid_client_secret"})
        refresh_token = params.get("refresh_token", "")
        if self.refresh_tokens.get(refresh_token) != client_id:
            return Response(200, {"error": "invalid_code"})
        now = self.clock()
        window = self.token_requests.setdefault(refresh_token, deque())
        while window and window[0] <= now - TOKEN_REQUEST_WINDOW_S:
            window.popleft()
        # Throttled requests count too: the lock-out only clears after a quiet window (docs/providers/zoho.md §1).
        window.append(now)
        if len(window) > TOKEN_REQUEST_LIMIT:
            # Kaizen #43 says HTTP 200, a live recording says 400; 400 makes clients that check
            # the status fail too, and clients must test for access_token either way.
            return Response(400, dict(THROTTLED_BODY))
        mine = [t for t, info in self.tokens.items() if info.refresh_token == refresh_token]
        for stale in mine[: max(0, len(mine) - MAX_LIVE_TOKENS + 1)]:
            del self.tokens[stale]
        access_token = f"1000.{secrets.token_hex(16)}.{secrets.token_hex(16)}"
        self.tokens[access_token] = _Token(refresh_token, now + self.token_ttl_s)
        self.token_mints += 1
        return Response(
            200,
            {
                "access_token": access_token,
                "api_domain": self.base_url,
                "token_type": "Bearer",
                "expires_in": self.token_ttl_s,
            },
        )

    def _authenticate(self, request: Request) -> None:
        header = (request.header("authorization") or "").strip()
        if not header:
            raise ZohoError(401, 57, NOT_AUTHORIZED)
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() not in ("zoho-oauthtoken", "bearer") or not token or " " in token:
            raise ZohoError(401, 14, BAD_AUTH_VALUE)
        live = self.tokens.get(token)
        if live is None or live.expires_at <= self.clock():
            raise ZohoError(401, 57, NOT_AUTHORIZED)

    # ------------------------------------------------------------------ organization
    def _organizations(self, request: Request) -> Response:
        org = {
            "organization_id": self.organization_id,
            "name": "Shipsync Simulated Store",
            "email": "accounts@shipsync-sim.example",
            "is_default_org": True,
            "country": "India",
            "currency_code": "INR",
            "time_zone": "Asia/Calcutta",
            "is_org_active": True,
        }
        return Response(200, {"code": 0, "message": "success", "organizations": [org]})

    # ------------------------------------------------------------------ rate limits
    def _day(self, now: float) -> tuple[int, int]:
        """(day number, seconds to its end) in the organization's time zone (IST), moved on by ``day_shift_s``
        (the ``new_day`` seed knob: a day that starts now)."""
        local = now + IST.utcoffset(None).total_seconds() + self.day_shift_s
        return int(local // 86400), int(86400 - local % 86400)

    def start_new_day(self) -> None:
        """The organisation's next day starts now, as at midnight IST: the count starts again and the reset
        answered is a whole day away."""
        local = self.clock() + IST.utcoffset(None).total_seconds() + self.day_shift_s
        self.day_shift_s += 86400 - local % 86400 + 1  # a second into the new day: no rounding back into the old

    def _count_call(self) -> Response | None:
        # One pool for Books and Inventory (sharing is UNCERTAIN; one pool is the stricter
        # reading). Rejected calls do not consume quota; they are counted by reason (``refused``), and the
        # accepted ones' times kept (``accepted_call_times``).
        now = self.clock()
        day, _ = self._day(now)
        if day != self.day_key:
            self.day_key, self.day_count = day, 0
        while self.minute_window and self.minute_window[0] <= now - 60:
            self.minute_window.popleft()
        if self.day_count >= self.daily_cap:
            message = (
                f"The API call for this organization has exceeded the maximum call rate limit of {self.daily_cap}."
            )
            self.refused["daily_cap"] += 1
            return Response(429, {"code": 45, "message": message})
        if len(self.minute_window) >= self.per_minute_limit:
            self.refused["per_minute"] += 1
            return Response(429, {"code": 44, "message": PER_MINUTE_MESSAGE})
        self.minute_window.append(now)
        self.accepted_call_times.append(now)
        self.day_count += 1
        return None

    def _rate_headers(self) -> dict[str, str]:
        _, reset = self._day(self.clock())
        return {
            "X-Rate-Limit-Limit": str(self.daily_cap),
            "X-Rate-Limit-Remaining": str(max(0, self.daily_cap - self.day_count)),
            "X-Rate-Limit-Reset": str(reset),
        }
