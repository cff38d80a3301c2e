"""Prepared statements, portals and result streams: the objects of the extended query protocol.

Protocol section 55.2.3 ("Extended Query"): Parse creates a *prepared statement* (the SQL, its
parameter types), Bind turns one into a *portal* (the statement plus parameter values and the
result formats), Execute runs a portal, possibly a few rows at a time (PortalSuspended).  The
simple Query protocol runs each statement through an anonymous portal with text results.

A `ResultStream` is a portal's running result: the row source (list, iterator or async
iterator, consumed lazily so a huge result never sits in memory), the row encoder built once
from the column types and formats (``types.make_row_encoder``), and how many rows went out.  A
portal that had to run to be described (Describe of a portal whose statement the backend has
not described) keeps its result, so the following Execute does not run the query again.

When the backend gives no command tag, `statement_type` names the statement and
``sql.command_tag`` words the tag PostgreSQL would send (``SELECT n``, ``INSERT 0 n``,
``CREATE TABLE`` ...).
"""

from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.messages import FieldDescription, RowDescription
from txpostgres_proto.sql import (
    CloseStatement,
    CopyStatement,
    DeclareCursorStatement,
    SqlSyntaxError,
    UtilityStatement,
    command_tag,
    count_parameters,
    parse_utility,
    split_statements,
    tokenize,
)
from txpostgres_proto.sql.classify import classify
from txpostgres_proto.sql.token_list import TokenList
from txpostgres_proto.types import TimeZoneSpec, TypeRegistry, per_column_formats
from txpostgres_proto.types.rows import DataRowEncoder, RowEncoder

from .backend import QueryResult, ResultColumn, StatementDescription
from .session import SESSION_STATEMENTS

if TYPE_CHECKING:
    from .session import Session

__all__ = [
    "Portal",
    "PreparedStatement",
    "ResultStream",
    "result_tag",
    "statement_type",
    "row_description",
    "row_description_bytes",
]

#: First words of the utility statements (`utility_statement` parses nothing else).
_UTILITY_WORDS: Final = frozenset(
    "abort begin close commit copy deallocate declare discard end execute fetch listen move "
    "notify prepare release reset rollback savepoint set show start unlisten".split()
)
#: Bare tags the row count is added to.
_COUNTED_TAGS: Final = frozenset(
    {"SELECT", "INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "MOVE", "COPY"}
)
#: Statement types that return rows under a tag of their own.
_OWN_TAG_WITH_ROWS: Final = frozenset(
    {"INSERT", "UPDATE", "DELETE", "MERGE", "FETCH", "EXPLAIN", "SHOW", "CALL"}
)
_FIRST_WORD: Final = re.compile(r"\s*(?:(?:--[^\n]*\n|/\*.*?\*/)\s*)*([A-Za-z]+)", re.S)


def utility_statement(sql: str, standard_conforming_strings: bool) -> UtilityStatement | None:
    """``sql.parse_utility``, forgiving towards statements that are not utility commands.

    A malformed utility command is a syntax error (42601), as in PostgreSQL; anything else the
    parser cannot read is left to the backend, which may understand statements of its own.
    Statements that do not start with a utility command's keyword are not parsed at all (a
    ``WITH`` or parenthesised query never is a utility statement).
    """
    first = _FIRST_WORD.match(sql)
    if first is None or first[1].lower() not in _UTILITY_WORDS:
        return None
    return parse_utility(sql, standard_conforming_strings=standard_conforming_strings)


#: Statement types known from the first word alone (the common case, no tokenizing).
_SIMPLE_TYPES: Final = {
    "select": "SELECT",
    "insert": "INSERT",
    "update": "UPDATE",
    "delete": "DELETE",
    "merge": "MERGE",
    "values": "SELECT",
    "table": "SELECT",
}


@functools.lru_cache(maxsize=1024)
def statement_type(sql: str) -> str:
    """The statement type ``sql.command_tag`` names a tag after (``CREATE TABLE`` …); remembered
    per text, as every Execute of a statement asks again."""
    first = _FIRST_WORD.match(sql)
    word = first[1].lower() if first is not None else ""
    simple = _SIMPLE_TYPES.get(word)
    if simple is not None and not (word == "select" and " into " in sql.lower()):
        return simple
    try:
        return classify(TokenList(sql, tokenize(sql)))[0]
    except SqlSyntaxError:
        return word.upper()


def row_description(columns: Sequence[ResultColumn], formats: Sequence[int]) -> RowDescription:
    """RowDescription for ``columns`` sent in ``formats`` (one per column)."""
    return RowDescription(
        tuple(
            FieldDescription(
                column.name,
                column.type_oid,
                column.table_oid,
                column.column_attnum,
                column.type_size,
                column.type_modifier,
                fmt,
            )
            for column, fmt in zip(columns, formats, strict=True)
        )
    )


@functools.lru_cache(maxsize=512)
def _encoded_row_description(columns: tuple[ResultColumn, ...], formats: tuple[int, ...]) -> bytes:
    return row_description(columns, formats).encode()


def row_description_bytes(columns: Sequence[ResultColumn], formats: Sequence[int]) -> bytes:
    """The encoded RowDescription for ``columns`` in ``formats``, remembered for the result
    shapes seen last (a statement run again and again is described the same way each time)."""
    try:
        return _encoded_row_description(tuple(columns), tuple(formats))
    except TypeError:  # a column object that cannot be hashed: encode it every time
        return row_description(columns, formats).encode()


#: ``sql.command_tag`` remembered for the tags seen last (the same few come again and again).
_command_tag: Final = functools.lru_cache(maxsize=256)(command_tag)


def result_formats(formats: Sequence[int], count: int) -> Sequence[int]:
    """Bind's result-format codes for ``count`` columns; 08P01 when they do not fit."""
    if not formats:
        return (0,) * count  # all text: what most clients ask for
    try:
        expanded = per_column_formats(formats, count)
    except ValueError:
        raise PostgresError(
            f"bind message has {len(formats)} result formats but query has {count} columns",
            "08P01",
        ) from None
    for fmt in expanded:
        if fmt not in (0, 1):
            raise PostgresError(f"unsupported format code: {fmt}", "22023")
    return expanded


@functools.lru_cache(maxsize=1024)
def _analyse(query: str, scs: bool) -> tuple[str, UtilityStatement | None, int]:
    """Parse's reading of ``query``: the statement, its utility command (if one), how many
    parameters it uses.  It depends on the text alone, so clients preparing the same SQL again
    and again (every unnamed Parse does) have it read once."""
    statements = split_statements(query, standard_conforming_strings=scs)
    if len(statements) > 1:
        raise PostgresError("cannot insert multiple commands into a prepared statement", "42601")
    sql = statements[0] if statements else ""
    utility = utility_statement(sql, scs) if sql else None
    count = count_parameters(sql, standard_conforming_strings=scs) if sql else 0
    return sql, utility, count


@dataclass(eq=False)
class PreparedStatement:
    """What Parse (or SQL PREPARE) created: the statement, its parameter types, what is known.

    ``utility`` is the parsed utility statement when the statement is one the server answers
    itself (SET, SHOW, BEGIN, FETCH …); ``description`` is known at once for those, and filled
    in by the backend's ``describe`` otherwise (at Describe, or at Bind when binary parameters
    need their types).
    """

    name: str
    sql: str
    param_oids: tuple[int, ...]
    utility: UtilityStatement | None = None
    description: StatementDescription | None = None
    #: What the last Bind worked out, for the next one: (parameter formats as sent, parameter
    #: types, settings version, decoders); see ``extended_query.py``.
    bind_plan: tuple[Any, ...] | None = None
    #: How its last result was sent, for the next one (``bind_cycle.py``).
    rows_plan: Any = None
    #: The Parse message (decoded messages are shared while their bytes repeat) and the
    #: settings version it was made under, when Parse made it.
    parsed_by: tuple[Any, int] | None = None

    @property
    def empty(self) -> bool:
        return not self.sql

    @classmethod
    def create(
        cls, name: str, query: str, param_types: Sequence[int], session: Session
    ) -> PreparedStatement:
        """Check and classify ``query`` the way PostgreSQL's Parse does."""
        scs = session.settings.get("standard_conforming_strings") == "on"
        sql, utility, count = _analyse(query, scs)
        if max(count, len(param_types)) > 65535:
            raise PostgresError("number of parameters must be between 0 and 65535", "54000")
        param_oids = tuple(param_types) + (0,) * (count - len(param_types))
        statement = cls(name, sql, param_oids, utility)
        if not sql or isinstance(utility, DeclareCursorStatement | CloseStatement | CopyStatement):
            statement.description = StatementDescription(param_oids, None)
        elif isinstance(utility, SESSION_STATEMENTS):
            statement.description = StatementDescription(
                param_oids, session.result_columns(utility)
            )
        return statement


def result_tag(result: QueryResult, returns_rows: bool, sql: str, rows: int) -> str:
    """The CommandComplete tag for ``result`` of ``sql`` after ``rows`` rows in this Execute;
    ``returns_rows``: whether the result has columns."""
    tag = result.command_tag
    count = result.rowcount if result.rowcount is not None else rows
    if tag is None:
        kind = statement_type(sql)
        if returns_rows and kind not in _OWN_TAG_WITH_ROWS:
            kind = "SELECT"  # rows from a statement the parser does not know
        return _command_tag(kind, count)
    return _command_tag(tag, count) if tag in _COUNTED_TAGS else tag


class ResultStream:
    """A running result: rows still to send, and how to encode them."""

    def __init__(
        self,
        result: QueryResult,
        columns: Sequence[ResultColumn] | None,
        formats: Sequence[int],
        registry: TypeRegistry,
        timezone: TimeZoneSpec,
    ) -> None:
        self.result = result
        self.columns = columns
        self.sent_total = 0
        self.finished = columns is None
        self._encoder: RowEncoder | None = None
        self._data_row_encoder: DataRowEncoder | None = None
        self._registry = registry
        self._timezone = timezone
        #: The row source when it is synchronous (``rows.py`` iterates it directly).
        self.sync_rows: Iterator[Any] | None = None
        self._async_rows: AsyncIterator[Any] | None = None
        if columns is not None:
            self.formats = result_formats(formats, len(columns))
            rows = result.rows
            if hasattr(rows, "__aiter__"):
                self._async_rows = aiter(rows)  # type: ignore[arg-type]
            else:
                self.sync_rows = iter(rows)  # type: ignore[arg-type]

    @property
    def encoder(self) -> RowEncoder | None:
        """The row encoder (Python values -> fields) for these columns, None without columns;
        built on first use (DataRows come from `data_row_encoder`, so most results never do)."""
        if self._encoder is None and self.columns is not None:
            self._encoder = self._registry.make_row_encoder(
                [column.type_oid for column in self.columns], self.formats, self._timezone
            )
        return self._encoder

    def data_row_encoder(self) -> DataRowEncoder:
        """The row encoder that returns whole DataRow messages (built on first use)."""
        encoder = self._data_row_encoder
        if encoder is None:
            assert self.columns is not None
            encoder = self._data_row_encoder = self._registry.make_data_row_encoder(
                [column.type_oid for column in self.columns], self.formats, self._timezone
            )
        return encoder

    @property
    def is_async(self) -> bool:
        return self._async_rows is not None

    def next_sync_row(self) -> Any:
        """The next row of a synchronous source; raises StopIteration at the end."""
        assert self.sync_rows is not None
        return next(self.sync_rows)

    async def next_async_row(self) -> Any:
        """The next row of an async source; raises StopAsyncIteration at the end."""
        assert self._async_rows is not None
        return await anext(self._async_rows)

    def tag(self, sql: str, rows: int) -> str:
        """The CommandComplete tag for this result after ``rows`` rows in this Execute."""
        return result_tag(self.result, self.columns is not None, sql, rows)

    def close(self) -> None:
        """Stop the row source (generators get ``close``/``aclose``)."""
        self.finished = True
        rows, self.sync_rows = self.sync_rows, None
        close = getattr(rows, "close", None)
        if close is not None:
            close()
        arows, self._async_rows = self._async_rows, None
        aclose = getattr(arows, "aclose", None)
        if aclose is not None:
            # Drive aclose() one step: enough for an async generator whose cleanup does not
            # wait on anything; one that does is abandoned at its first wait.
            pending = aclose()
            try:
                pending.send(None)
            except StopIteration:
                pass
            except Exception:  # noqa: BLE001 - errors of a generator being thrown away
                pass
            else:
                pending.close()


@dataclass(eq=False)
class Portal:
    """What Bind created: a statement with parameter values, ready to Execute."""

    name: str
    statement: PreparedStatement
    params: tuple[Any, ...]
    result_formats: tuple[int, ...]
    #: The result once the portal has run (or was run to be described).
    stream: ResultStream | None = None
    #: Columns as announced to the client (Describe), if it was told before running.
    columns: tuple[ResultColumn, ...] | None = None
    #: A cursor declared WITH HOLD: it survives the end of its transaction.
    hold: bool = False
    #: Rows a cursor has moved past (FETCH/MOVE).
    position: int = 0

    def close(self) -> None:
        stream = self.stream
        if stream is not None and not stream.finished:  # a finished source has ended already
            stream.close()
