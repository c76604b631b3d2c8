"""What relais tells people by email: the catalog of messages and the outbox."""
