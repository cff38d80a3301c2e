"""The application's tables as one connection sees them: ``list_tables`` + ``describe_table``.

The seed API lets an application describe its schema loosely: ``list_tables()`` returns table
names or `Table` objects, ``describe_table(name)`` returns column names or `Column` objects.
`load_app_schema` turns whatever came back into `Table` objects (what the catalog emulation is
fed) and remembers which columns were given by name only: their type is unknown until rows are
seen, so Describe reports them as ``text`` while results infer a type from the values.

Name lookup is forgiving: an exact match first, then a case-insensitive one (PostgreSQL folds
unquoted identifiers to lower case; applications often name tables after files or classes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer

from txpostgres_proto.catalog.schema import Column, Table


@dataclass(frozen=True)
class AppTable:
    """One application table and the names of its columns whose type was not declared."""

    table: Table
    untyped: frozenset[str] = frozenset()

    def column(self, name: str) -> tuple[int, Column] | None:
        """``(attnum, Column)`` of the column called ``name`` (attnums count from 1)."""
        columns = self.table.columns
        for attnum, column in enumerate(columns, 1):
            if column.name == name:
                return attnum, column
        folded = name.lower()
        for attnum, column in enumerate(columns, 1):
            if column.name.lower() == folded:
                return attnum, column
        return None

    def is_typed(self, column: Column) -> bool:
        """True when the application declared the column's type."""
        return column.name not in self.untyped


def _match(wanted: str, names: Sequence[str]) -> int | None:
    if wanted in names:
        return names.index(wanted)
    folded = [name.lower() for name in names]
    return folded.index(wanted.lower()) if wanted.lower() in folded else None


class AppSchema:
    """The tables of one connection's application, searchable by (schema, name)."""

    def __init__(self, tables: Iterable[AppTable] = ()) -> None:
        self.app_tables: tuple[AppTable, ...] = tuple(tables)
        #: The `Table` objects, as the catalog wants them.
        self.tables: tuple[Table, ...] = tuple(app_table.table for app_table in self.app_tables)

    def find(self, name: str, schema: str | None = None) -> AppTable | None:
        """The table called ``name`` (in ``schema`` when given; ``public`` first otherwise)."""
        candidates = [
            app_table
            for app_table in self.app_tables
            if schema is None or _match(schema, [app_table.table.schema]) is not None
        ]
        candidates.sort(key=lambda app_table: app_table.table.schema != "public")
        index = _match(name, [app_table.table.name for app_table in candidates])
        return None if index is None else candidates[index]


def _column(item: str | Column) -> Column:
    if isinstance(item, Column):
        return item
    if isinstance(item, str):
        return Column(item)
    raise TypeError(f"describe_table() must give column names or Column objects, not {item!r}")


async def load_app_schema(
    list_tables: Callable[[], Any], describe_table: Callable[[str], Any]
) -> AppSchema:
    """Ask the application for its tables; each hook may return a value, a Deferred or be
    ``async def``.  ``describe_table`` is only called for tables listed by name."""
    listed = await defer.maybeDeferred(list_tables)
    app_tables = []
    for item in listed or ():
        if isinstance(item, Table):
            app_tables.append(AppTable(item))
            continue
        if not isinstance(item, str):
            raise TypeError(f"list_tables() must give table names or Table objects, not {item!r}")
        described = await defer.maybeDeferred(describe_table, item)
        items = list(described or ())
        columns = tuple(_column(column) for column in items)
        untyped = frozenset(column for column in items if isinstance(column, str))
        app_tables.append(AppTable(Table(item, columns), untyped))
    return AppSchema(app_tables)
