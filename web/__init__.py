"""relais's own web pages: server-rendered, in French, on the same services as the API."""
