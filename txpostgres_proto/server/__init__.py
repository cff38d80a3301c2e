"""Twisted glue for servers: Protocol, Factory, handler API, TLS, authentication."""
