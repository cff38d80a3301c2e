"""twistd plugin: ``twistd pgproto`` runs a PostgreSQL-protocol server (txpostgres_proto.tap)."""

from twisted.application.service import ServiceMaker

pgproto = ServiceMaker(
    "txpostgres_proto", "txpostgres_proto.tap", "A PostgreSQL wire-protocol server.", "pgproto"
)
