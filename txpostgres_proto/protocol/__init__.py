"""Sans-IO core of the PostgreSQL protocol: messages, framing, state machines, auth, errors.

Nothing here imports Twisted; the server and client glue, or any other I/O loop, drive it.
"""

from txpostgres_proto.protocol.client import ProtocolState, SansIOClient
from txpostgres_proto.protocol.client_events import (
    NEED_DATA,
    AuthenticationCompleted,
    ConnectionClosed,
    CopyOutData,
    DataRows,
    PreparedStatementInfo,
)
from txpostgres_proto.protocol.errors import (
    LocalProtocolError,
    PostgresError,
    ProtocolError,
    RemoteProtocolError,
)
from txpostgres_proto.protocol.server import ServerConnection

__all__ = [
    "NEED_DATA",
    "AuthenticationCompleted",
    "ConnectionClosed",
    "CopyOutData",
    "DataRows",
    "LocalProtocolError",
    "PostgresError",
    "PreparedStatementInfo",
    "ProtocolError",
    "ProtocolState",
    "RemoteProtocolError",
    "SansIOClient",
    "ServerConnection",
]
