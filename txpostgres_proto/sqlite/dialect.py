"""Read PostgreSQL with sqlglot, write SQLite: the two dialect classes and the parse entry point.

Reading (`PgRead`): sqlglot's PostgreSQL dialect, except that ordinary function calls are not
mapped onto sqlglot's portable expression classes: every ``name(args)`` stays
``exp.Anonymous`` with the name the client wrote.  The backend needs that name twice: to pick
the SQLite implementation (a built-in, a renamed built-in or one of our user functions) and to
name and type the result column the way PostgreSQL does (``count(*)`` is a column ``count`` of
type ``int8``).  Calls with special syntax keep their parsers (``CAST``, ``EXTRACT``,
``POSITION``, ``SUBSTRING``, ``TRIM``, ``OVERLAY``).

Writing (`SQLiteWrite`): sqlglot's SQLite dialect with PostgreSQL's ``$n`` parameters written as
SQLite's numbered ``?n`` (a parameter used twice stays one value, SQLite docs "Parameters"), and
every identifier that is a SQLite keyword quoted (``AS nothing`` is valid PostgreSQL, a syntax
error in SQLite).

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


#: SQLite's keywords (SQLite docs, "SQL As Understood By SQLite: SQLite Keywords").  Some are
#: ordinary identifiers in PostgreSQL (``nothing``, ``plan``, ``query``, ``glob`` …) but a syntax
#: error in SQLite where its grammar has no fallback for them, so they are always written quoted.
SQLITE_KEYWORDS: Final = frozenset(
    """
    abort action add after all alter always analyze and as asc attach autoincrement before
    begin between by cascade case cast check collate column commit conflict constraint create
    cross current current_date current_time current_timestamp database default deferrable
    deferred delete desc detach distinct do drop each else end escape except exclude exclusive
    exists explain fail filter first following for foreign from full generated glob group
    groups having if ignore immediate in index indexed initially inner insert instead intersect
    into is isnull join key last left like limit match materialized natural no not nothing
    notnull null nulls of offset on or order others outer over partition plan pragma preceding
    primary query raise range recursive references regexp reindex release rename replace
    restrict returning right rollback row rows savepoint select set table temp temporary then
    ties to transaction trigger unbounded union unique update using vacuum values view virtual
    when where window with without
    """.split()
)


class SQLiteWrite(SQLite):
    """SQLite output with ``$n`` parameters as ``?n`` and keywords quoted as identifiers."""

    class Generator(SQLite.Generator):  # type: ignore[misc, valid-type]
        RESERVED_KEYWORDS = set(SQLITE_KEYWORDS)  # noqa: RUF012

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
