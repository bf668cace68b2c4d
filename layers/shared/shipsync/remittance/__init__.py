"""Remittance: Shiprocket COD remittances become Zoho Books payments, exactly once."""
