"""The admin route's half of token-refresh: ``POST /tokens/refresh`` names what to mint, explicitly.

Every Zoho mint is one of the ten Zoho allows in ten minutes (docs/providers/zoho.md), so a body that
does not say which provider (an empty object, a typo) is refused instead of read as "all".
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from shipsync.request_body import load_json, validated_object
from shipsync.tokens.refresher import PROVIDERS

# The request has one field; anything bigger is not one.
MAX_BODY_BYTES = 4096


class ForceRefresh(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    provider: Literal["shiprocket", "zoho", "all"]

    def providers(self) -> tuple[str, ...]:
        return PROVIDERS if self.provider == "all" else (self.provider,)


def parse_force_refresh(text: str) -> ForceRefresh:
    """The request in a body read by ``request_body.read_text``, or a 400 naming the field."""
    return validated_object(ForceRefresh, load_json(text), 'a JSON object {"provider": ...}')
