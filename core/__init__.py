"""Foundations of relais: settings, clock, calendar, errors, database and models.

Nothing in this package imports the rest of relais.
"""
