"""Zoho Inventory v1 + Books v3 client (docs/providers/zoho.md §1-11): one transport, both APIs."""

from __future__ import annotations

from shipsync.clients.zoho.books import ZohoBooks
from shipsync.clients.zoho.inventory import ZohoInventory
from shipsync.clients.zoho.transport import MAX_LIST_PAGES, ItemCache, ZohoAuth, raise_for_error

__all__ = ["MAX_LIST_PAGES", "ItemCache", "ZohoAuth", "ZohoClient", "raise_for_error"]


class ZohoClient(ZohoInventory, ZohoBooks):
    """Implements the Zoho ports (``ZohoApi``, ``ZohoStatusApi``, ``ZohoReturnsApi``, ``ZohoPaymentsApi``)."""
