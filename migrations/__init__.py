"""Alembic migrations of the relais database."""
