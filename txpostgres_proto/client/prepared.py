"""`PreparedStatement`: a statement the caller prepared explicitly and runs many times.

Unlike the automatic statement cache behind ``Connection.query``, its lifetime is the caller's:
it stays on the server until `PreparedStatement.close` (or the end of the session).  The
server's description is available at once: `columns` (the result's FieldDescriptions) and
`param_types` (the parameter type OIDs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from ..protocol.client_rows import Row
from ..protocol.messages import FieldDescription
from .operations import CloseStatement, ExecuteMany, ExecuteQuery, ExtendedQuery
from .statements import Statement

if TYPE_CHECKING:
    from .protocol import ClientProtocol

__all__ = ["PreparedStatement"]


class PreparedStatement:
    """A named statement on the server; run it with `query`, `execute`, `executemany`."""

    def __init__(self, protocol: ClientProtocol, statement: Statement) -> None:
        self._protocol = protocol
        self._statement = statement
        self.closed = False

    @property
    def name(self) -> str:
        return self._statement.name

    @property
    def sql(self) -> str:
        return self._statement.sql

    @property
    def columns(self) -> tuple[FieldDescription, ...]:
        """The result columns (empty for a statement that returns no rows)."""
        return self._statement.fields

    @property
    def param_types(self) -> tuple[int, ...]:
        """The parameter type OIDs the server inferred or was told."""
        return self._statement.param_oids or ()

    def query(self, *params: Any, timeout: float | None = None) -> Deferred[list[Row]]:
        """Run with ``params``; fires with the rows."""
        statement = self._statement
        operation = ExtendedQuery(self._protocol, statement.sql, params, statement=statement)
        return self._protocol.enqueue(operation, timeout)

    def execute(self, *params: Any, timeout: float | None = None) -> Deferred[str]:
        """Run with ``params``; fires with the command tag."""
        operation = ExecuteQuery(self._protocol, self.sql, params, statement=self._statement)
        return self._protocol.enqueue(operation, timeout)

    def executemany(
        self, param_sets: Sequence[Sequence[Any]], timeout: float | None = None
    ) -> Deferred[int]:
        """Run once per parameter set, pipelined before one Sync; fires with the row count."""
        operation = ExecuteMany(self._protocol, self.sql, param_sets, statement=self._statement)
        return self._protocol.enqueue(operation, timeout)

    def close(self) -> Deferred[None]:
        """Deallocate the statement on the server."""
        self.closed = True
        return self._protocol.enqueue(CloseStatement(self._protocol, self.name))

    def __repr__(self) -> str:
        return f"<PreparedStatement {self.name!r} {self.sql!r:.60}>"
