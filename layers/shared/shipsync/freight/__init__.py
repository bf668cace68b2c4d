"""The other half of the money (issue 14): Shiprocket's wallet statement, what each row is, and what it costs."""
