"""Evaluate the simple parts of a statement on in-memory rows: WHERE, ORDER BY, LIMIT/OFFSET.

`parse_sql` reports a WHERE clause's AND-ed simple comparisons as `Condition` objects (with
``$n`` parameters already replaced by their values in the ``stmt_info`` a handler receives) and
says whether they are the complete clause.  The examples answer queries over Python dicts with
these helpers; a clause they cannot evaluate exactly (an OR, a function call) is refused with
SQLSTATE 0A000 rather than answered wrongly.

Comparisons follow SQL: NULL matches nothing but ``IS NULL``; a string compared with a number,
date or boolean column is converted first, as PostgreSQL converts an untyped literal (so
``id = '1'`` and a text parameter ``id = $1`` both find the row whose id is the int 1).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from typing import Any

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import Condition, Expression, Parameter, StatementInfo, WhereClause

Row = Mapping[str, Any]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_TRUE_WORDS = {"t", "true", "y", "yes", "on", "1"}
_FALSE_WORDS = {"f", "false", "n", "no", "off", "0"}


def _to_bool(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE_WORDS:
        return True
    if word in _FALSE_WORDS:
        return False
    raise ValueError(text)


_CONVERTERS: tuple[tuple[type, Callable[[str], Any]], ...] = (
    (bool, _to_bool),
    (int, int),
    (float, float),
    (Decimal, Decimal),
    (datetime, datetime.fromisoformat),
    (date, date.fromisoformat),
)


def coerce(value: Any, like: Any) -> Any:
    """``value`` converted to the Python type of ``like`` when it is a string and ``like`` is
    not; 22P02 (invalid_text_representation) when it does not convert."""
    if not isinstance(value, str) or like is None or isinstance(like, str):
        return value
    for kind, convert in _CONVERTERS:
        if isinstance(like, kind):
            try:
                return convert(value)
            except (ValueError, InvalidOperation):
                raise PostgresError(
                    f'invalid input syntax for type {kind.__name__}: "{value}"', "22P02"
                ) from None
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Expression | Parameter):
        raise PostgresError(f"cannot evaluate {value!r} in this example", "0A000")
    return value


def _like(pattern: str, case_insensitive: bool) -> re.Pattern[str]:
    parts = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if case_insensitive else 0))


def _column(row: Row, name: str) -> Any:
    if name in row:
        return row[name]
    for key, value in row.items():
        if key.lower() == name.lower():
            return value
    raise PostgresError(f'column "{name}" does not exist', "42703")


def matches(row: Row, condition: Condition) -> bool:
    """Whether ``row`` satisfies one condition (SQL semantics: NULL satisfies no comparison)."""
    actual = _column(row, condition.column)
    op = condition.operator
    value = _plain(condition.value)
    if op in ("IS", "IS NOT"):
        same = actual is value if value is None else actual == value
        return same if op == "IS" else not same
    if actual is None:
        return False
    negated = op.startswith("NOT ")
    base = op[4:] if negated else op
    if base in ("IN", "BETWEEN"):
        items = [coerce(_plain(item), actual) for item in value]
        if base == "IN":
            found = actual in [item for item in items if item is not None]
        else:
            found = items[0] <= actual <= items[1]
    elif base in ("LIKE", "ILIKE"):
        found = _like(str(value), base == "ILIKE").fullmatch(str(actual)) is not None
    else:
        if value is None:
            return False
        return _COMPARE[op](actual, coerce(value, actual))
    return found != negated


def where_predicate(where: WhereClause | None) -> Callable[[Row], bool]:
    """A function telling whether a row satisfies the WHERE clause; 0A000 when the clause has
    terms beyond simple AND-ed comparisons."""
    if where is None:
        return lambda row: True
    if not where.complete:
        raise PostgresError(f"cannot evaluate WHERE {where.text} in this example", "0A000")
    conditions = where.conditions
    return lambda row: all(matches(row, condition) for condition in conditions)


def _count(value: Any, what: str) -> int | None:
    if value is None:
        return None
    try:
        return int(_plain(value))
    except (TypeError, ValueError):
        raise PostgresError(f"invalid {what}: {value!r}", "22023") from None


def _sort_column(expression: str, stmt_info: StatementInfo) -> str:
    """The column an ORDER BY item sorts by: a column name, or a select list position."""
    text = expression.strip()
    if text.isdigit():
        position = int(text)
        items = stmt_info.columns
        if not 1 <= position <= len(items) or items[position - 1].expression == "*":
            raise PostgresError(f"cannot ORDER BY {position} in this example", "0A000")
        text = items[position - 1].expression
    return text.strip('"')


def select_rows(rows: Iterable[Row], stmt_info: StatementInfo) -> Iterator[Row]:
    """The rows a SELECT asks for: filtered by WHERE, sorted by ORDER BY (column names or
    select list positions; NULLs last ascending and first descending, as PostgreSQL does), cut
    by OFFSET and LIMIT.
    Without ORDER BY the rows stream: nothing is read beyond what LIMIT needs."""
    keep = where_predicate(stmt_info.where)
    selected: Iterable[Row] = (row for row in rows if keep(row))
    if stmt_info.order_by:
        ordered = list(selected)
        for item in reversed(stmt_info.order_by):
            name = _sort_column(item.expression, stmt_info)

            def key(row: Row, name: str = name) -> tuple[bool, Any]:
                value = _column(row, name)
                return value is None, value

            ordered.sort(key=key, reverse=not item.ascending)
        selected = ordered
    offset = _count(stmt_info.offset, "OFFSET") or 0
    limit = _count(stmt_info.limit, "LIMIT")
    return islice(selected, offset, None if limit is None else offset + limit)
