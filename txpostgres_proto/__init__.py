"""txpostgres_proto: the PostgreSQL wire protocol for Twisted, both sides.

The public API, re-exported from the modules that define it.  Names are resolved lazily
(PEP 562) so that importing the sans-IO core (``txpostgres_proto.protocol``, ``.types``,
``.sql``) never imports Twisted as a side effect of this package's ``__init__``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    # server: the application API
    "PostgresRequestHandler": "txpostgres_proto.server.handler",
    "stmt_handler": "txpostgres_proto.server.handler",
    "Column": "txpostgres_proto.server.handler",
    "Table": "txpostgres_proto.server.handler",
    "QueryResult": "txpostgres_proto.server.handler",
    "Index": "txpostgres_proto.catalog.schema",
    "ResultColumn": "txpostgres_proto.server.backend",
    "StatementDescription": "txpostgres_proto.server.backend",
    "QueryBackend": "txpostgres_proto.server.backend",
    "PostgresServerFactory": "txpostgres_proto.server.factory",
    # errors, shared by both sides
    "PostgresError": "txpostgres_proto.protocol.errors",
    "catch_all_as_postgres_error_context": "txpostgres_proto.protocol.errors",
    "ProtocolError": "txpostgres_proto.protocol.errors",
    # the forgiving SQL layer
    "parse_sql": "txpostgres_proto.sql",
    "StatementInfo": "txpostgres_proto.sql",
    # client
    "connect": "txpostgres_proto.client.connect",
    "Connection": "txpostgres_proto.client.connection",
    "ConnectionPool": "txpostgres_proto.client.pool",
}

__all__ = [
    "Column",
    "Connection",
    "ConnectionPool",
    "Index",
    "PostgresError",
    "PostgresRequestHandler",
    "PostgresServerFactory",
    "ProtocolError",
    "QueryBackend",
    "QueryResult",
    "ResultColumn",
    "StatementDescription",
    "StatementInfo",
    "Table",
    "catch_all_as_postgres_error_context",
    "connect",
    "parse_sql",
    "stmt_handler",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'txpostgres_proto' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:
    from .catalog.schema import Index
    from .client.connect import connect
    from .client.connection import Connection
    from .client.pool import ConnectionPool
    from .protocol.errors import PostgresError, ProtocolError, catch_all_as_postgres_error_context
    from .server.backend import QueryBackend, ResultColumn, StatementDescription
    from .server.factory import PostgresServerFactory
    from .server.handler import Column, PostgresRequestHandler, QueryResult, Table, stmt_handler
    from .sql import StatementInfo, parse_sql
