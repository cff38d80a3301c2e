"""txpostgres_proto: the PostgreSQL wire protocol for Twisted, both sides."""
