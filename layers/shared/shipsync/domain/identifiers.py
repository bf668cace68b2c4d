"""What an identifier that comes in from outside may look like, where it becomes an AWS key.

Pure and light (no pydantic): the webhook routes import it on their cold start.
"""

from __future__ import annotations

import re
from typing import Final

# An AWB becomes an SQS message group id (at most 128 letters, digits and punctuation: no spaces) and a
# DynamoDB key. Shiprocket publishes no format; its examples are 12-15 digits (docs/providers/shiprocket.md §4).
AWB_MAX: Final = 40
# Also what a remittance id may hold: it becomes a message group id too.
SQS_GROUP_SAFE: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")


def awb_problem(awb: str) -> str | None:
    """Why ``awb`` cannot be an AWB, or None."""
    if len(awb) > AWB_MAX:
        return f"longer than {AWB_MAX} characters"
    if not SQS_GROUP_SAFE.fullmatch(awb):
        return "only letters, digits and . _ / - (starting with a letter or digit)"
    return None
