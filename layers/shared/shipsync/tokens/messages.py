"""TokenRefreshQueue's message: built by any worker whose token was rejected or missing
(``adapters.refresh_requests``), read by token-refresh."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class RefreshRequest(BaseModel):
    """Mint a new token for ``provider`` unless one newer than ``seen_version`` exists already."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    provider: Literal["shiprocket", "zoho"]
    seen_version: int | None = None
    reason: str = "requested"
    requested_at: str | None = None

    def log_keys(self) -> dict[str, str]:
        return {"provider": self.provider}
