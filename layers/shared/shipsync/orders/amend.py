"""Amended in Zoho: what changed between the shipment as shipped and the sales order now, and what to do.

The ledger keeps ``delivery_snapshot`` of the order it shipped; a webhook for a newer revision of a shipped order
is read back and compared (never trusted by its status). Before pickup:

    address or phone, same pincode          -> orders/address/update (docs/providers/shiprocket.md §10)
    new pincode the AWB's courier serves    -> orders/address/update
    new pincode it does not serve, or lines -> cancel on both sides, ship again under SO-…-R<n> (orders.cancel)

After pickup nothing can change the parcel: ops are paged with what changed ("ask the courier").
"""

from __future__ import annotations

from typing import Any

ADDRESS_KEYS = ("name", "address", "address_2", "city", "state", "pincode", "country")


def what_changed(shipped: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The parts of the shipment an edit changed, in a fixed order: "address", "phone", "lines"."""
    changed = []
    if any(str(shipped.get(key) or "").casefold() != str(now.get(key) or "").casefold() for key in ADDRESS_KEYS):
        changed.append("address")
    if shipped.get("phone") != now.get("phone"):
        changed.append("phone")
    if {str(k): float(v) for k, v in (shipped.get("lines") or {}).items()} != {
        str(k): float(v) for k, v in (now.get("lines") or {}).items()
    }:
        changed.append("lines")
    return changed


def describe(shipped: dict[str, Any], now: dict[str, Any], changed: list[str]) -> str:
    """For a page: each changed part, from what was shipped to what Zoho says now (the phone masked)."""
    parts = []
    if "address" in changed:
        before = ", ".join(str(shipped.get(key) or "") for key in ("address", "city", "pincode"))
        after = ", ".join(str(now.get(key) or "") for key in ("address", "city", "pincode"))
        parts.append(f"address: {before} -> {after}")
    if "phone" in changed:
        parts.append(f"phone: {_masked(shipped.get('phone'))} -> {_masked(now.get('phone'))}")
    if "lines" in changed:
        parts.append(f"lines: {shipped.get('lines')} -> {now.get('lines')}")
    return "; ".join(parts)


def _masked(phone: Any) -> str:
    text = str(phone or "")
    return f"xxxxxx{text[-4:]}" if len(text) > 4 else "xxxx"
