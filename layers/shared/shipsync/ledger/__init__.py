"""The ledger: one DynamoDB table holding every step shipsync took, so a retry continues and never repeats."""
