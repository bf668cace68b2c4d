"""What ops see: pages on the OpsAlerts topic and metrics in the functions' logs (EMF)."""
