"""What each output column of a statement is: a column of an application table, or an expression.

A select list (or a RETURNING list) names its output columns; `output_targets` resolves each
item against the application's tables (`AppSchema`) so that

* Describe can answer without running the statement: a column taken straight from a table has
  the table's declared type (``text`` when ``describe_table`` gave names only), ``*`` and
  ``t.*`` expand to the table's columns, and a few expressions have an obvious type (a cast
  ``x::int4``, a number or string literal, ``true``, ``count(...)``); anything else is ``text``;
* execution can project an application's result onto the columns asked for, and fill the table
  OID and column number of RowDescription (protocol section 55.7, "RowDescription") for columns
  that come straight from a table, as PostgreSQL does.

``*`` expands over the statement's own FROM items: the first table, plus one more per JOIN.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.app_schema import AppSchema, AppTable
from txpostgres_proto.server.backend import ResultColumn
from txpostgres_proto.server.columns import column_result, named_column
from txpostgres_proto.sql.statement_info import ColumnRef, StatementInfo, TableRef
from txpostgres_proto.types import oids

_IDENT: Final = r'(?:[A-Za-z_][A-Za-z0-9_$]*|"(?:[^"]|"")+")'
_COLUMN: Final = re.compile(rf"^\s*(?:({_IDENT})\s*\.\s*)?({_IDENT})\s*$")
_STAR: Final = re.compile(rf"^\s*(?:({_IDENT})\s*\.\s*)?\*\s*$")
_JOIN: Final = re.compile(r"\bjoin\b", re.IGNORECASE)
_CAST: Final = re.compile(r"::\s*([A-Za-z_][\w .\"]*(?:\([\d, ]*\))?(?:\s*\[\s*\])*)\s*$")
_CAST_CALL: Final = re.compile(r"^\s*cast\s*\(.*\bas\s+([^()]+(?:\([\d, ]*\))?)\)\s*$", re.I | re.S)
_INTEGER: Final = re.compile(r"^\s*[-+]?\d+\s*$")
_DECIMAL: Final = re.compile(r"^\s*[-+]?(\d+\.\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_STRING: Final = re.compile(r"^\s*'(?:[^']|'')*'\s*$")
_BOOLEAN: Final = re.compile(r"^\s*(true|false)\s*$", re.IGNORECASE)
_COUNT: Final = re.compile(r"^\s*count\s*\(", re.IGNORECASE)

#: The table OID the catalog gave an application table (0 when it has none).
TableOid = Callable[[AppTable], int]


@dataclass(frozen=True)
class Target:
    """One output column.

    ``column`` is what Describe reports.  ``source`` is the name of the application table column
    it comes straight from (None for expressions); ``declared`` is True when ``column``'s type
    was declared by the application rather than assumed.
    """

    column: ResultColumn
    source: str | None = None
    declared: bool = False


def _identifier(text: str) -> str:
    """An identifier as PostgreSQL folds it: quoted kept (quotes removed), unquoted lowered."""
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.lower()


def expression_type(expression: str) -> int:
    """The type OID of an expression whose type is obvious from its text; text otherwise."""
    cast = _CAST.search(expression) or _CAST_CALL.match(expression)
    if cast is not None:
        info = oids.type_by_name(cast.group(1))
        return info.oid if info is not None else oids.TEXT
    if _INTEGER.match(expression):
        value = int(expression)
        if -(2**31) <= value < 2**31:
            return oids.INT4
        return oids.INT8 if -(2**63) <= value < 2**63 else oids.NUMERIC
    if _DECIMAL.match(expression):
        return oids.NUMERIC
    if _BOOLEAN.match(expression):
        return oids.BOOL
    if _COUNT.match(expression):
        return oids.INT8
    return oids.TEXT


class TableScope:
    """The application tables a statement names, with the names it refers to them by."""

    def __init__(self, refs: Sequence[TableRef], schema: AppSchema, table_oid: TableOid) -> None:
        self.tables: list[tuple[TableRef, AppTable | None]] = [
            (ref, schema.find(ref.name, ref.schema)) for ref in refs
        ]
        self._table_oid = table_oid

    def named(self, qualifier: str) -> AppTable | None:
        for ref, app_table in self.tables:
            if qualifier in (ref.alias, ref.name):
                return app_table
        return None

    def target(self, app_table: AppTable, attnum: int, name: str | None = None) -> Target:
        column = app_table.table.columns[attnum - 1]
        declared = app_table.is_typed(column)
        typed = column_result(column) if declared else named_column(column.name, oids.TEXT)
        result = replace(
            typed,
            name=name or column.name,
            table_oid=self._table_oid(app_table),
            column_attnum=attnum,
        )
        return Target(result, column.name, declared)

    def star(self, app_table: AppTable) -> list[Target]:
        return [self.target(app_table, n) for n in range(1, len(app_table.table.columns) + 1)]

    def find_column(self, qualifier: str | None, name: str) -> tuple[AppTable, int] | None:
        """The table and attnum of column ``name`` (of table or alias ``qualifier`` if given,
        else of the first table that has one)."""
        candidates = [self.named(qualifier)] if qualifier else [t for _, t in self.tables]
        for app_table in candidates:
            found = app_table.column(name) if app_table is not None else None
            if found is not None:
                return app_table, found[0]  # type: ignore[return-value]
        return None

    def column(self, qualifier: str | None, name: str, output: str) -> Target | None:
        found = self.find_column(qualifier, name)
        return None if found is None else self.target(found[0], found[1], output)


def _star_tables(star: re.Match[str], scope: TableScope, from_items: int) -> list[AppTable]:
    if star.group(1):
        qualifier = _identifier(star.group(1))
        app_table = scope.named(qualifier)
        if app_table is None:
            raise PostgresError(f'missing FROM-clause entry for table "{qualifier}"', "42P01")
        return [app_table]
    refs = scope.tables[:from_items]
    if not refs:
        raise PostgresError("SELECT * with no tables specified is not valid", "42601")
    for ref, app_table in refs:
        if app_table is None:
            raise PostgresError(f'relation "{ref.name}" does not exist', "42P01")
    return [app_table for _, app_table in refs if app_table is not None]


def _resolve(item: ColumnRef, scope: TableScope, from_items: int) -> list[Target]:
    star = _STAR.match(item.expression)
    if star is not None:
        return [
            target
            for app_table in _star_tables(star, scope, from_items)
            for target in scope.star(app_table)
        ]
    plain = _COLUMN.match(item.expression)
    if plain is not None:
        qualifier = _identifier(plain.group(1)) if plain.group(1) else None
        found = scope.column(qualifier, _identifier(plain.group(2)), item.name)
        if found is not None:
            return [found]
    return [Target(named_column(item.name, expression_type(item.expression)))]


def output_targets(
    items: Sequence[ColumnRef],
    tables: Sequence[TableRef],
    schema: AppSchema,
    table_oid: TableOid,
    from_items: int = 1,
) -> tuple[Target, ...]:
    """The output columns of a select list or RETURNING list.

    Raises `PostgresError` 42P01 when a ``*`` names a table the application did not list: its
    columns cannot be known without running the statement.
    """
    scope = TableScope(tables, schema, table_oid)
    return tuple(target for item in items for target in _resolve(item, scope, from_items))


def statement_targets(
    stmt_info: StatementInfo, schema: AppSchema, table_oid: TableOid
) -> tuple[Target, ...] | None:
    """The output columns of a statement: its select list for SELECT, its RETURNING list for
    data-modifying statements; None for statements that return no rows.  Raises like
    `output_targets`."""
    if stmt_info.stmt_type == "SELECT":
        from_items = 1 + len(_JOIN.findall(stmt_info.sql))
        return output_targets(stmt_info.columns, stmt_info.tables, schema, table_oid, from_items)
    if stmt_info.returning:
        return output_targets(stmt_info.returning, stmt_info.tables[:1], schema, table_oid)
    return None
