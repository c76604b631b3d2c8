"""Benchmarks of relais against the database's own limit: ``python -m benchmarks``.

Each figure is printed as ``NAME: VALUE UNIT`` and each comparison with a reference measured
in the same run as ``ratio NAME: X`` (1.0: as fast as the reference). PostgreSQL only
(``RELAIS_DATABASE_URL``): a throw-away database is created next to it and dropped at the end.
"""
