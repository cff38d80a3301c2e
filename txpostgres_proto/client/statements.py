"""Server-side prepared statements: what the client knows about each, and the automatic cache.

`Statement` is one named statement on the server (protocol section 55.2.3): its SQL, the
parameter types declared in Parse, and — once the server answered Describe — the parameter
types and result columns it reported.  `Statement.bind` builds the Bind for a set of values,
choosing formats as ``codecs.py`` explains.

`StatementCache` is the automatic cache behind ``Connection.query``: (SQL text, declared
parameter types) -> Statement, least recently used first out.  The declared types come from
the Python types of the values (``codecs.py``), so the same SQL run with an ``int`` and with a
``str`` gets two statements, each typed for its values, instead of the first call deciding
the parameter types of every later one.  A statement is parsed and described once, on its first use,
in the same pipelined request as its first execution; later uses send only Bind/Execute/Sync.
An evicted statement is closed with a Close message sent ahead of the next request.  Entries
are dropped when the server says the statement is gone or stale (26000, 0A000 "cached plan
must not change result type") and all at once after ``DISCARD ALL`` / ``DEALLOCATE ALL``,
which drop every prepared statement of the session.  With a capacity of 0 every query uses
the unnamed statement (for poolers in transaction mode, where named statements do not
survive).
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from ..protocol.client_events import PreparedStatementInfo
from ..protocol.messages import Bind, Close, Describe, FieldDescription, FrontendMessage, Parse
from .codecs import ClientCodecs, ParameterError

__all__ = ["Statement", "StatementCache"]

_names = itertools.count(1)


class Statement:
    """A prepared statement on the server."""

    __slots__ = ("name", "sql", "declared_oids", "param_oids", "fields", "result_formats")

    def __init__(self, name: str, sql: str, declared_oids: Sequence[int] = ()) -> None:
        self.name = name
        self.sql = sql
        self.declared_oids = tuple(declared_oids)
        #: Parameter types the server reported; None until described.
        self.param_oids: tuple[int, ...] | None = None
        #: Result columns (empty when the statement returns no rows).
        self.fields: tuple[FieldDescription, ...] = ()
        #: Format codes to request for the result columns.
        self.result_formats: tuple[int, ...] = ()

    @property
    def described(self) -> bool:
        return self.param_oids is not None

    def parse_messages(self) -> list[FrontendMessage]:
        """Parse + Describe for this statement."""
        return [Parse(self.name, self.sql, self.declared_oids), Describe("S", self.name)]

    def describe(self, info: PreparedStatementInfo, codecs: ClientCodecs) -> None:
        """Record the server's description (parameter types, result columns)."""
        self.param_oids = info.parameter_oids
        self.fields = info.columns
        self.result_formats = codecs.result_formats(self.fields)

    def bind(self, params: Sequence[Any], codecs: ClientCodecs, portal: str = "") -> Bind:
        """The Bind of ``params`` to this statement, creating ``portal``."""
        oids = self.param_oids
        if oids is None:
            # Not described yet: text parameters, text results.
            declared = self.declared_oids
            if len(params) > len(declared):
                declared += (0,) * (len(params) - len(declared))
            values = codecs.encode_text_params(declared[: len(params)], params)
            return Bind(portal, self.name, (), values, ())
        if len(params) != len(oids):
            raise ParameterError(
                f"the statement takes {len(oids)} parameter(s), {len(params)} given"
            )
        formats, values = codecs.encode_params(oids, params)
        return Bind(portal, self.name, formats, values, self.result_formats)

    def __repr__(self) -> str:
        return f"<Statement {self.name!r} {self.sql!r:.60}>"


class StatementCache:
    """SQL text -> `Statement`, least recently used evicted first (see the module docstring)."""

    def __init__(self, capacity: int = 256) -> None:
        if capacity < 0:
            raise ValueError("the statement cache capacity cannot be negative")
        self.capacity = capacity
        self._entries: OrderedDict[tuple[str, tuple[int, ...]], Statement] = OrderedDict()
        self._to_close: list[str] = []

    def __len__(self) -> int:
        return len(self._entries)

    def statements(self) -> list[Statement]:
        """The cached statements, least recently used first."""
        return list(self._entries.values())

    def get(self, sql: str, declared_oids: tuple[int, ...]) -> Statement | None:
        """The cached statement (now the most recently used), or None."""
        key = (sql, declared_oids)
        statement = self._entries.get(key)
        if statement is not None:
            self._entries.move_to_end(key)
        return statement

    def add(self, sql: str, declared_oids: tuple[int, ...]) -> Statement:
        """A new statement: cached and named, or unnamed when the capacity is 0."""
        if self.capacity == 0:
            return Statement("", sql, declared_oids)
        statement = Statement(f"txpg_{next(_names)}", sql, declared_oids)
        self._entries[(sql, declared_oids)] = statement
        while len(self._entries) > self.capacity:
            _, evicted = self._entries.popitem(last=False)
            self._to_close.append(evicted.name)
        return statement

    def discard(self, statement: Statement, *, close: bool) -> None:
        """Forget ``statement``; ``close`` when it still exists on the server."""
        key = (statement.sql, statement.declared_oids)
        if self._entries.get(key) is statement:
            del self._entries[key]
            if close:
                self._to_close.append(statement.name)

    def clear(self) -> None:
        """Forget everything (the server dropped all prepared statements)."""
        self._entries.clear()
        self._to_close.clear()

    def take_closes(self) -> list[FrontendMessage]:
        """Close messages for evicted statements, to send ahead of the next request."""
        if not self._to_close:
            return []
        closes: list[FrontendMessage] = [Close("S", name) for name in self._to_close]
        self._to_close.clear()
        return closes
