"""Errors of the Twisted client that are not SQL errors from the server.

SQL errors arrive as ErrorResponse and are raised as ``PostgresError.from_fields`` (the most
specific registered subclass for the SQLSTATE).  What is left:

* `ConnectionClosedError` — the connection ended (lost, closed by the server, by a FATAL error
  or a protocol violation) before the operation finished.  It is a Twisted ``ConnectionLost``
  so code that already handles lost connections handles this one;
* `InterfaceError` — the client was used wrongly (a query on a closed connection, ...);
* `query_canceled` — the error a cancelled operation fails with: ``QueryCanceled`` (SQLSTATE
  57014), the same error PostgreSQL reports for a cancelled statement.

Importing this module registers the SQLSTATE classes of ``protocol.sqlstates``, so every
server error the client raises is of its most specific class.
"""

from __future__ import annotations

from twisted.internet.error import ConnectionLost

from ..protocol import sqlstates
from ..protocol.errors import PostgresError

__all__ = ["ConnectionClosedError", "InterfaceError", "query_canceled"]


class ConnectionClosedError(ConnectionLost):
    """The connection to the server ended before the operation completed."""

    def __str__(self) -> str:
        return " ".join(str(arg) for arg in self.args) or "connection to the server closed"


class InterfaceError(Exception):
    """The client was asked for something it cannot do in its current state."""


def query_canceled(reason: str = "canceling statement due to user request") -> PostgresError:
    """The error an operation cancelled by the client fails with (``QueryCanceled``, 57014)."""
    fields = {"S": "ERROR", "V": "ERROR", "C": sqlstates.QueryCanceled.default_sqlstate}
    fields["M"] = reason
    return PostgresError.from_fields(fields)
