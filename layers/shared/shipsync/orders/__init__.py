"""Orders: a confirmed Zoho sales order becomes a Shiprocket shipment, written back to Zoho."""
