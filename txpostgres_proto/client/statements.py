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

A described statement also keeps what its serial executions reuse: a compiled encoder of its
whole Bind/Execute/Sync (``client_binds.BindExecute.compile_checked``) and its run decoder, both
rebuilt when the session time zone changes.  `Statement.execution` answers with the bytes the
general path (`Statement.bind`) would produce, or None for a parameter set only the general
path can encode (None values, a ``str`` for a binary parameter, a bad value), so the two paths
never differ on the wire.  Like the connection's run decoders, these are built from the type
registry once: codecs registered later apply to statements prepared after that.
"""

from __future__ import annotations

import itertools
import re
import struct
from collections import OrderedDict
from collections.abc import Container, Sequence
from datetime import tzinfo
from typing import Any, Final

from ..protocol.client_binds import BindExecute, CheckedEncoder, ValueEncoder
from ..protocol.client_events import PreparedStatementInfo
from ..protocol.client_rows import RunDecoder
from ..protocol.messages import (
    BINARY_FORMAT,
    Bind,
    Close,
    Describe,
    FieldDescription,
    FrontendMessage,
    Parse,
)
from ..types import DEFAULT_REGISTRY, oids
from .codecs import ENCODING_ERRORS, ClientCodecs, ParameterError

__all__ = ["Statement", "StatementCache", "mentions_copy", "parameter_encoders"]

_names = itertools.count(1)
_COPY_WORD: Final = re.compile(r"\bcopy\b", re.IGNORECASE)
#: Stands for "not built yet" where None is a meaningful time zone.
_UNBUILT: Final = object()


#: Binary layouts of the fixed-width types whose registry encoder is a Python function around
#: ``struct.pack``: `parameter_encoders` calls the packer itself (no Python frame per value).
_PACKERS: Final = {
    oid: struct.Struct(layout)
    for oid, layout in (
        (oids.INT2, "!h"),
        (oids.INT4, "!i"),
        (oids.INT8, "!q"),
        (oids.OID, "!I"),
        (oids.FLOAT4, "!f"),
        (oids.FLOAT8, "!d"),
    )
}


def mentions_copy(sql: str) -> bool:
    """True when ``sql`` may run COPY (nothing may be pipelined behind COPY FROM STDIN)."""
    return _COPY_WORD.search(sql) is not None


def parameter_encoders(
    codecs: ClientCodecs,
    param_oids: Sequence[int] | None,
    declared_oids: Sequence[int],
    count: int,
    text_columns: Container[int] = (),
) -> tuple[tuple[int, ...], list[ValueEncoder], list[bool], list[int]]:
    """``codecs.batch_encoders`` (format codes, one encoder per parameter), which parameters go
    in text, and the fixed length of each encoder's output (0 when it varies).  The registry's
    own encoders of fixed-width binary types are replaced by the ``struct`` packers they call,
    which give the same bytes and raise the same errors."""
    formats, encoders = codecs.batch_encoders(param_oids, declared_oids, count, text_columns)
    text = [code != BINARY_FORMAT for code in formats] if formats else [True] * count
    widths = [0] * count
    if param_oids is not None:
        for index, (oid, in_text) in enumerate(zip(param_oids, text, strict=True)):
            layout = _PACKERS.get(oid)
            if (
                layout is not None
                and not in_text
                and encoders[index] is DEFAULT_REGISTRY.encoder(oid, BINARY_FORMAT)
            ):
                encoders[index] = layout.pack
                widths[index] = layout.size
    return formats, encoders, text, widths


class Statement:
    """A prepared statement on the server."""

    __slots__ = (
        "name",
        "sql",
        "declared_oids",
        "param_oids",
        "fields",
        "result_formats",
        "mentions_copy",
        "_execution",
        "_execution_zone",
        "_decoder",
        "_decoder_zone",
    )

    def __init__(self, name: str, sql: str, declared_oids: Sequence[int] = ()) -> None:
        self.name = name
        self.sql = sql
        self.declared_oids = tuple(declared_oids)
        #: The SQL may run COPY (see `mentions_copy`).
        self.mentions_copy = mentions_copy(sql)
        self._execution: CheckedEncoder | None = None
        self._execution_zone: tzinfo | None | object = _UNBUILT
        self._decoder: RunDecoder | None = None
        self._decoder_zone: tzinfo | None | object = _UNBUILT
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
        self._execution_zone = self._decoder_zone = _UNBUILT

    def run_decoder(self, codecs: ClientCodecs) -> RunDecoder | None:
        """The run decoder of the described result (None when it returns no rows)."""
        if self._decoder_zone is not codecs.timezone:
            fields = self.fields
            decoder = codecs.run_decoder(fields, self.result_formats) if fields else None
            self._decoder = decoder
            self._decoder_zone = codecs.timezone
        return self._decoder

    def execution(
        self, params: Sequence[Any], codecs: ClientCodecs
    ) -> tuple[bytes | None, RunDecoder | None]:
        """Bind (unnamed portal) + Execute (every row) + Sync of ``params``, byte for byte what
        `bind` would give, or None when `bind` must encode this parameter set; and the
        `run_decoder`.  (None, None) before the statement is described."""
        zone = codecs.timezone
        if self._execution_zone is not zone:
            if self.param_oids is None:
                return None, None
            self._execution = self._compile_execution(codecs)
            self._execution_zone = zone
        decoder = self._decoder if self._decoder_zone is zone else self.run_decoder(codecs)
        try:
            return self._execution(params), decoder  # type: ignore[misc]
        except ENCODING_ERRORS:
            return None, decoder

    def _compile_execution(self, codecs: ClientCodecs) -> CheckedEncoder:
        count = len(self.param_oids or ())
        formats, encoders, text, widths = parameter_encoders(
            codecs, self.param_oids, self.declared_oids, count
        )
        checked = [
            None if in_text else encode for encode, in_text in zip(encoders, text, strict=True)
        ]
        plan = BindExecute(self.name, formats, self.result_formats, sync=True)
        return plan.compile_checked(checked, widths)

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
        #: Names of statements to close ahead of the next request (see `take_closes`).
        self.to_close: list[str] = []

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
            self.to_close.append(evicted.name)
        return statement

    def discard(self, statement: Statement, *, close: bool) -> None:
        """Forget ``statement``; ``close`` when it still exists on the server."""
        key = (statement.sql, statement.declared_oids)
        if self._entries.get(key) is statement:
            del self._entries[key]
            if close:
                self.to_close.append(statement.name)

    def clear(self) -> None:
        """Forget everything (the server dropped all prepared statements)."""
        self._entries.clear()
        self.to_close.clear()

    def take_closes(self) -> list[FrontendMessage]:
        """Close messages for evicted statements, to send ahead of the next request."""
        if not self.to_close:
            return []
        closes: list[FrontendMessage] = [Close("S", name) for name in self.to_close]
        self.to_close.clear()
        return closes
