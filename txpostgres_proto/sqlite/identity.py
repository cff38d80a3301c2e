"""What INSERT and UPDATE may write into identity columns (PostgreSQL docs, "CREATE TABLE",
``GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY``, and "INSERT", ``OVERRIDING { SYSTEM |
USER } VALUE``).

An identity column is stored like a serial one (its SQLite default draws from its sequence,
``ddl.py``); the kind is kept with the sequence (``sequences.py``) and read back as
`ColumnInfo.identity`.  PostgreSQL's rules are applied to the statement before it is written
for SQLite:

* a value other than ``DEFAULT`` for a ``GENERATED ALWAYS`` column is refused (428C9) unless
  the INSERT says ``OVERRIDING SYSTEM VALUE``; an UPDATE may only set it to ``DEFAULT``;
* ``OVERRIDING USER VALUE`` drops the values given for any identity column: each row draws
  from the sequence instead;
* ``DEFAULT`` in a ``VALUES`` row for a column with a sequence becomes the call of its
  ``nextval`` (SQLite has no ``DEFAULT`` there).

sqlglot does not read the ``OVERRIDING`` clause: `split_overriding` takes it out first.
"""

from __future__ import annotations

import re
from typing import Final

from sqlglot import exp

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.reflect import ColumnInfo, Schema, TableInfo

__all__ = ["apply_insert_rules", "check_update", "split_overriding"]

_OVERRIDING: Final = re.compile(r"\s+OVERRIDING\s+(SYSTEM|USER)\s+VALUE\b", re.IGNORECASE)
_INSERT: Final = re.compile(r"^\s*(?:WITH\b.*?)?\bINSERT\s+INTO\b", re.IGNORECASE | re.DOTALL)


def split_overriding(sql: str) -> tuple[str, str | None]:
    """``sql`` without its ``OVERRIDING … VALUE`` clause, and which it was (``"system"``,
    ``"user"``, None)."""
    if _INSERT.match(sql) is None:
        return sql, None
    found = _OVERRIDING.search(sql)
    if found is None:
        return sql, None
    return sql[: found.start()] + sql[found.end() :], found.group(1).lower()


def _always(column: str) -> str:
    return f'Column "{column}" is an identity column defined as GENERATED ALWAYS.'


def _is_default(node: exp.Expression) -> bool:
    return isinstance(node, exp.Var) and node.name.upper() == "DEFAULT"


def _next_value(column: ColumnInfo) -> exp.Expression:
    return exp.Anonymous(this="nextval", expressions=[exp.Literal.string(column.sequence or "")])


def _targets(insert: exp.Insert, table: TableInfo) -> list[ColumnInfo | None]:
    """The column each value position of the INSERT writes (None: unknown)."""
    target = insert.this
    if isinstance(target, exp.Schema) and target.expressions:
        found = [table.column(node.name) for node in target.expressions]
        return [item[1] if item is not None else None for item in found]
    return list(table.columns)


def _rows(insert: exp.Insert) -> list[list[exp.Expression]] | None:
    """The value lists of a VALUES source or the select list of a plain SELECT (None: another
    source, such as a set operation)."""
    source = insert.expression
    if isinstance(source, exp.Values):
        return [list(row.expressions) for row in source.expressions]
    if isinstance(source, exp.Select):
        return [list(source.expressions)]
    return None


def apply_insert_rules(insert: exp.Insert, schema: Schema, overriding: str | None) -> None:
    """Check and rewrite, in place, what ``insert`` writes into sequence-fed columns
    (module docstring)."""
    target = insert.this.this if isinstance(insert.this, exp.Schema) else insert.this
    table = schema.table(target.name) if isinstance(target, exp.Table) else None
    if table is None:
        return
    columns = _targets(insert, table)
    if not any(column is not None and column.sequence for column in columns):
        return
    rows = _rows(insert)
    if rows is None:
        if any(column is not None and column.identity == "a" for column in columns):
            if overriding != "system":
                name = next(c.name for c in columns if c is not None and c.identity == "a")
                raise _refused(name)
        return
    is_values = isinstance(insert.expression, exp.Values)
    for row in rows:
        for column, value in zip(columns, row, strict=False):
            if column is None or not column.sequence:
                continue
            if is_values and _is_default(value):
                value.replace(_next_value(column))
            elif column.identity and overriding == "user":
                value.replace(_next_value(column))
            elif column.identity == "a" and overriding != "system":
                raise _refused(column.name)


def _refused(column: str) -> PostgresError:
    return PostgresError(
        f'cannot insert a non-DEFAULT value into column "{column}"',
        "428C9",
        detail=_always(column),
        hint="Use OVERRIDING SYSTEM VALUE to override.",
    )


def check_update(update: exp.Update, schema: Schema) -> None:
    """428C9 for an UPDATE setting a ``GENERATED ALWAYS`` identity column to a value."""
    target = update.this
    table = schema.table(target.name) if isinstance(target, exp.Table) else None
    if table is None or not any(column.identity == "a" for column in table.columns):
        return
    for assignment in update.expressions:
        if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
            continue
        found = table.column(assignment.this.name)
        if found is not None and found[1].identity == "a":
            if _is_default(assignment.expression):
                assignment.set("expression", _next_value(found[1]))
                continue
            raise PostgresError(
                f'column "{found[1].name}" can only be updated to DEFAULT',
                "428C9",
                detail=_always(found[1].name),
            )
