"""The outcome policy: one table from error type to what happens, applied around every worker, schedule
and route (``policy.outcomes``)."""
