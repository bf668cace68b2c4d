"""Tracking: Shiprocket's status events move the ledger and Zoho forward, never back."""
