"""Parameter values inside the statement a handler receives.

`parse_sql` reports ``$n`` placeholders as `Parameter` objects wherever a value stands (WHERE
conditions, VALUES rows, SET assignments, LIMIT, OFFSET).  Handlers want the values: `bind`
returns a `BoundStatementInfo` in which each such `Parameter` is replaced by the value the
client bound (already decoded to Python by the protocol), and which carries all values in
order as ``param_values``, so a handler can read ``id = $1`` as ``Condition("id", "=", 42)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from txpostgres_proto.sql.statement_info import (
    Assignment,
    Parameter,
    StatementInfo,
    Value,
)


@dataclass(frozen=True, slots=True)
class BoundStatementInfo(StatementInfo):
    """A `StatementInfo` whose placeholders hold the bound values (``param_values[n - 1]`` is
    ``$n``)."""

    param_values: tuple[Any, ...] = ()


def _value(value: Value, params: Sequence[Any]) -> Any:
    if isinstance(value, Parameter):
        if not 1 <= value.number <= len(params):
            return value  # left for the handler: no value was bound for it
        return params[value.number - 1]
    if isinstance(value, tuple):
        return tuple(_value(item, params) for item in value)
    return value


def bind(stmt_info: StatementInfo, params: Sequence[Any]) -> BoundStatementInfo:
    """``stmt_info`` with every `Parameter` value replaced by its bound value."""
    where = stmt_info.where
    if where is not None:
        conditions = tuple(
            replace(condition, value=_value(condition.value, params))
            for condition in where.conditions
        )
        where = replace(where, conditions=conditions)
    fields = {name: getattr(stmt_info, name) for name in StatementInfo.__dataclass_fields__}
    fields.update(
        where=where,
        values=tuple(tuple(_value(item, params) for item in row) for row in stmt_info.values),
        assignments=tuple(
            Assignment(assignment.column, _value(assignment.value, params))
            for assignment in stmt_info.assignments
        ),
        limit=_value(stmt_info.limit, params),
        offset=_value(stmt_info.offset, params),
    )
    return BoundStatementInfo(**fields, param_values=tuple(params))
