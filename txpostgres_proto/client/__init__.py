"""Twisted glue for clients: Protocol, connect(), Connection, pool."""
