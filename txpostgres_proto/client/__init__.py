"""Twisted glue for clients: connect(), Connection, transactions, cursors, COPY, LISTEN, pool."""

from txpostgres_proto.client.cancel import endpoint_cancel_connector
from txpostgres_proto.client.codecs import ParameterError
from txpostgres_proto.client.connect import connect, connect_params
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.cursor import Cursor
from txpostgres_proto.client.dsn import ConnectParams, parse_dsn
from txpostgres_proto.client.errors import ConnectionClosedError, InterfaceError
from txpostgres_proto.client.operations import Result
from txpostgres_proto.client.pool import ConnectionPool
from txpostgres_proto.client.prepared import PreparedStatement
from txpostgres_proto.client.protocol import ClientProtocol
from txpostgres_proto.client.transaction import Transaction
from txpostgres_proto.protocol.client_rows import Row

__all__ = [
    "ClientProtocol",
    "ConnectParams",
    "Connection",
    "ConnectionClosedError",
    "ConnectionPool",
    "Cursor",
    "InterfaceError",
    "ParameterError",
    "PreparedStatement",
    "Result",
    "Row",
    "Transaction",
    "connect",
    "connect_params",
    "endpoint_cancel_connector",
    "parse_dsn",
]
