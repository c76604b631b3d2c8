"""Use cases and read models: what the API, the pages and the flows call."""
