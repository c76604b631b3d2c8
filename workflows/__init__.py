"""Prefect flows that enforce time: sweep the timers, deliver the outbox, send the digest."""
