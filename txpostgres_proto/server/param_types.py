"""The parameter types a ParameterDescription reports for a statement (protocol section 55.7).

PostgreSQL resolves the type of each ``$n`` while it analyses a statement: the type the client
gave in Parse wins, then an explicit cast (``$1::int4``), then the context (``id = $1`` takes
the type of ``id``; a value in ``INSERT INTO t (a) VALUES ($1)`` the type of ``a``; LIMIT and
OFFSET are ``bigint``), and a parameter nothing determines becomes ``text``.  A comparison
with a ``varchar`` column (or a LIKE) makes the parameter ``text``, as in PostgreSQL, where
varchar borrows text's operators; assigning to one keeps ``varchar``.

Every parameter gets a concrete type here, never ``unknown`` (0 or 705): asyncpg encodes
arguments by the reported types and refuses to run a statement with an unknown one, and JDBC
uses them to pick setters.  Text is also what PostgreSQL itself settles on for an otherwise
undetermined parameter (``SELECT $1``).  Columns an application described by name only are
``text`` here too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from txpostgres_proto.server.columns import column_result
from txpostgres_proto.server.targets import TableScope
from txpostgres_proto.sql.statement_info import Parameter, StatementInfo, Value
from txpostgres_proto.types import oids


def _numbers(value: Value) -> Iterator[int]:
    """The parameter numbers standing directly in ``value`` (or in its tuple items)."""
    if isinstance(value, Parameter):
        yield value.number
    elif isinstance(value, tuple):
        for item in value:
            yield from _numbers(item)


def _column_type(scope: TableScope, qualifier: str | None, name: str) -> int | None:
    found = scope.find_column(qualifier, name)
    if found is None:
        return None
    app_table, attnum = found
    column = app_table.table.columns[attnum - 1]
    return column_result(column).type_oid if app_table.is_typed(column) else None


def _insert_columns(stmt_info: StatementInfo, scope: TableScope) -> list[str]:
    if stmt_info.columns:
        return [column.name for column in stmt_info.columns]
    app_table = scope.tables[0][1] if scope.tables else None
    return [] if app_table is None else [column.name for column in app_table.table.columns]


def context_types(stmt_info: StatementInfo, scope: TableScope) -> dict[int, int]:
    """Parameter number -> type OID, for parameters whose context decides their type."""
    found: dict[int, int] = {}

    def note(value: Value, type_oid: int | None) -> None:
        if type_oid is not None:
            for number in _numbers(value):
                found.setdefault(number, type_oid)

    if stmt_info.where is not None:
        for condition in stmt_info.where.conditions:
            type_oid = _column_type(scope, condition.qualifier, condition.column)
            if type_oid == oids.VARCHAR or condition.operator.endswith("LIKE"):
                type_oid = oids.TEXT  # varchar compares with text's operators, LIKE is text's
            note(condition.value, type_oid)
    for assignment in stmt_info.assignments:
        note(assignment.value, _column_type(scope, None, assignment.column))
    if stmt_info.stmt_type == "INSERT" and stmt_info.values:
        names = _insert_columns(stmt_info, scope)
        for row in stmt_info.values:
            for name, value in zip(names, row, strict=False):
                note(value, _column_type(scope, None, name))
    note(stmt_info.limit, oids.INT8)
    note(stmt_info.offset, oids.INT8)
    return found


def parameter_types(
    given: Sequence[int],
    count: int,
    casts: dict[int, str],
    context: dict[int, int],
) -> tuple[int, ...]:
    """One type OID per parameter: given by the client (non-zero), else cast, else context,
    else text.  ``count`` is the number of parameters the statement uses (at least as many as
    the client gave types for)."""
    types = []
    for number in range(1, max(count, len(given)) + 1):
        type_oid = given[number - 1] if number <= len(given) else 0
        if not type_oid and number in casts:
            info = oids.type_by_name(casts[number])
            type_oid = info.oid if info is not None else 0
        types.append(type_oid or context.get(number, oids.TEXT))
    return tuple(types)
