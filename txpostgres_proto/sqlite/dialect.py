"""Read PostgreSQL with sqlglot, write SQLite: the two dialect classes and the parse entry point.

Reading (`PgRead`): sqlglot's PostgreSQL dialect, except that ordinary function calls are not
mapped onto sqlglot's portable expression classes: every ``name(args)`` stays
``exp.Anonymous`` with the name the client wrote.  The backend needs that name twice: to pick
the SQLite implementation (a built-in, a renamed built-in or one of our user functions) and to
name and type the result column the way PostgreSQL does (``count(*)`` is a column ``count`` of
type ``int8``).  Calls with special syntax keep their parsers (``CAST``, ``EXTRACT``,
``POSITION``, ``SUBSTRING``, ``TRIM``, ``OVERLAY``).

Writing (`SQLiteWrite`): sqlglot's SQLite dialect with PostgreSQL's ``$n`` parameters written as
SQLite's numbered ``?n`` (a parameter used twice stays one value, SQLite docs "Parameters").

`parse_statement` turns sqlglot's parse errors into SQLSTATE 42601 with PostgreSQL's wording
(``syntax error at or near "x"``) and the 1-based character position of the offending token.
"""

from __future__ import annotations

import logging
from typing import Final, cast

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import ParseError, SqlglotError, TokenError

from txpostgres_proto.protocol.errors import PostgresError

_SPECIAL_SYNTAX: Final = frozenset({"CAST", "EXTRACT", "POSITION", "SUBSTRING", "TRIM", "OVERLAY"})

# sqlglot logs a warning whenever it falls back to an opaque Command; the backend decides what
# to do with those statements itself, so the warnings are noise in a server log.
logging.getLogger("sqlglot").setLevel(logging.ERROR)


class PgRead(Postgres):
    """PostgreSQL syntax with function calls kept as written (module docstring)."""

    class Parser(Postgres.Parser):  # type: ignore[misc, valid-type]
        FUNCTIONS: dict = {}  # type: ignore[type-arg]  # noqa: RUF012
        FUNCTION_PARSERS = {
            name: parser
            for name, parser in Postgres.Parser.FUNCTION_PARSERS.items()
            if name in _SPECIAL_SYNTAX
        }


class SQLiteWrite(SQLite):
    """SQLite output with ``$n`` parameters as ``?n``."""

    class Generator(SQLite.Generator):  # type: ignore[misc, valid-type]
        def parameter_sql(self, expression: exp.Parameter) -> str:
            return f"?{expression.name}"


READ: Final = PgRead()
WRITE: Final = SQLiteWrite()


def _position(sql: str, line: int, column: int, highlight: str) -> int:
    """1-based character offset of a token sqlglot reports by line and end column."""
    lines = sql.split("\n")
    offset = sum(len(text) + 1 for text in lines[: max(line - 1, 0)])
    return max(offset + column - len(highlight) + 1, 1)


def syntax_error(sql: str, error: SqlglotError) -> PostgresError:
    """A sqlglot error as PostgreSQL's 42601 ``syntax error at or near "…"``."""
    details = getattr(error, "errors", None) or []
    if details:
        first = details[0]
        highlight = first.get("highlight") or ""
        if highlight:
            position = _position(sql, first.get("line", 1), first.get("col", 1), highlight)
            return PostgresError(
                f'syntax error at or near "{highlight}"', "42601", position=position
            )
    return PostgresError("syntax error at end of input", "42601", position=len(sql) + 1)


def parse_statement(sql: str) -> exp.Expression:
    """The one statement in ``sql``; 42601 when it does not parse or holds several."""
    try:
        trees = [tree for tree in sqlglot.parse(sql, dialect=READ) if tree is not None]
    except (ParseError, TokenError) as error:
        raise syntax_error(sql, error) from None
    if len(trees) != 1:
        raise PostgresError("cannot insert multiple commands into a prepared statement", "42601")
    return cast(exp.Expression, trees[0])


def to_sqlite(tree: exp.Expression) -> str:
    """SQLite text of a (rewritten) tree."""
    return tree.sql(dialect=WRITE, normalize_functions="lower")
