"""Domain events, written to a durable outbox in the same transaction as the change they describe."""
