"""Returns: RTO and customer-return shipments back into Zoho stock, credit notes applied."""
