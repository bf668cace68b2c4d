"""shipsync: Zoho Inventory / Books <-> Shiprocket automation (shared Lambda layer)."""
