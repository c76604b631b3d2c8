"""The HTTP interface of relais (FastAPI): thin routers over the domain services."""
