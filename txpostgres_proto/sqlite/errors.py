"""SQLite's errors as PostgreSQL's: SQLSTATE, message wording, constraint and position fields.

SQLite reports constraint violations tersely ("UNIQUE constraint failed: items.name") and names
no constraint for foreign keys; clients and ORMs look at the SQLSTATE (psycopg's
``UniqueViolation``, asyncpg's ``UniqueViolationError``, SQLAlchemy's ``IntegrityError``) and
people read the message.  `postgres_error` rebuilds what PostgreSQL would have said from the
SQLite error, the statement's `Plan`, the reflected `Schema`, the values a single-row INSERT
was inserting and, for the row any other INSERT, UPDATE or DELETE failed at (the ``Key
(…)=(…)`` details of 23505 and 23503), ``violations.py``:

==================================  =====  ==================================================
SQLite                              code   PostgreSQL message
==================================  =====  ==================================================
UNIQUE / PRIMARY KEY failed         23505  duplicate key value violates unique constraint "…"
NOT NULL failed                     23502  null value in column "c" of relation "t" violates …
CHECK failed                        23514  new row for relation "t" violates check constraint
FOREIGN KEY failed                  23503  insert or update on table "t" violates foreign key …
                                           (or update or delete on table "p" … on table "t")
no such table                       42P01  relation "x" does not exist
no such column                      42703  column "x" does not exist
… already exists                    42P07  relation "x" already exists
syntax error                        42601  syntax error at or near "x"
no such function                    42883  function f does not exist
datatype mismatch                   42804  datatype mismatch
database is locked (busy)           55P03  canceling statement due to lock timeout
busy snapshot                       40001  could not serialize access due to concurrent update
interrupted                         57014  canceling statement due to user request
==================================  =====  ==================================================

A user function that raised (division by zero, invalid input for a cast …) left its own
`PostgresError` in the function context; that one wins.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.translate import Plan
from txpostgres_proto.sqlite.violations import ForeignKeyFinding, Violations

_UNIQUE: Final = re.compile(r"UNIQUE constraint failed: (.+)$")
_UNIQUE_INDEX: Final = re.compile(r"UNIQUE constraint failed: index '([^']+)'")
_NOT_NULL: Final = re.compile(r"NOT NULL constraint failed: (?:(\w+)\.)?(.+)$")
_CHECK: Final = re.compile(r"CHECK constraint failed: (.+)$")
_NEAR: Final = re.compile(r'near "(.*)": syntax error')

#: (pattern, SQLSTATE, message template using the pattern's groups)
_OPERATIONAL: Final[tuple[tuple[re.Pattern[str], str, str], ...]] = tuple(
    (re.compile(pattern), sqlstate, template)
    for pattern, sqlstate, template in (
        (r"no such table: (?:main\.)?(.+)$", "42P01", 'relation "{0}" does not exist'),
        (r"no such view: (?:main\.)?(.+)$", "42P01", 'view "{0}" does not exist'),
        (r"no such index: (?:main\.)?(.+)$", "42704", 'index "{0}" does not exist'),
        (r"no such column: (\w+)$", "42703", 'column "{0}" does not exist'),
        (r"no such column: (.+)$", "42703", "column {0} does not exist"),
        (
            r"(?:table|index|view) (?:\"?)(.+?)(?:\"?) already exists",
            "42P07",
            'relation "{0}" already exists',
        ),
        (r"duplicate column name: (.+)$", "42701", 'column "{0}" specified more than once'),
        (r"no such function: (.+)$", "42883", "function {0} does not exist"),
        (
            r"wrong number of arguments to function (\w+)",
            "42883",
            "function {0} with this number of arguments does not exist",
        ),
        (r"ambiguous column name: (.+)$", "42702", 'column reference "{0}" is ambiguous'),
        (r"no such savepoint: (.+)$", "3B001", 'savepoint "{0}" does not exist'),
        (
            r"misuse of (?:aggregate|window) function (\w+)",
            "42803",
            "aggregate functions are not allowed here ({0})",
        ),
        (
            r"a GROUP BY clause is required before HAVING",
            "42803",
            "HAVING requires a GROUP BY clause here",
        ),
        (
            r"(\d+)(?:st|nd|rd|th) ORDER BY term out of range",
            "42P10",
            "ORDER BY position {0} is not in select list",
        ),
        (
            r"do not have the same number of result columns",
            "42601",
            "each UNION query must have the same number of columns",
        ),
        (
            r"table .+ has (\d+) columns but (\d+) values were supplied",
            "42601",
            "INSERT has more expressions than target columns",
        ),
        (
            r"(\d+) values for (\d+) columns",
            "42601",
            "INSERT has more expressions than target columns",
        ),
        (
            r"cannot (?:VACUUM|change into wal mode) from within a transaction",
            "25001",
            "VACUUM cannot run inside a transaction block",
        ),
        (
            r"Cannot add a (.+)",
            "0A000",
            "ALTER TABLE ADD COLUMN cannot add a {0} on the SQLite backend",
        ),
        (
            r"cannot drop column \"?([^\"]+)\"?: (.+)$",
            "2BP01",
            "cannot drop column {0} because other objects depend on it ({1})",
        ),
        (
            r"cannot drop (PRIMARY KEY|UNIQUE) column",
            "2BP01",
            "cannot drop a {0} column on the SQLite backend",
        ),
        (r"use DROP (TABLE|VIEW) to delete", "42809", "use DROP {0} to remove it"),
        (
            r"attempt to write a readonly database",
            "25006",
            "cannot execute this statement in a read-only transaction",
        ),
        (r"database or disk is full", "53100", "could not extend file: disk full"),
        (r"incomplete input", "42601", "syntax error at end of input"),
        (
            r"sub-select returns (\d+) columns - expected 1",
            "42601",
            "subquery must return only one column",
        ),
        (r"row value misused", "42601", "row value misused"),
        (r"too many SQL variables", "54000", "too many parameters"),
        (r"interrupted", "57014", "canceling statement due to user request"),
    )
)


def _position(sql: str, token: str) -> int | None:
    """1-based position of ``token`` in ``sql`` (case-insensitive), for the P field."""
    if not token:
        return None
    found = sql.lower().find(token.lower())
    return found + 1 if found >= 0 else None


def _shown(values: Sequence[Any]) -> str:
    return ", ".join("null" if value is None else str(value) for value in values)


def _unique(
    message: str,
    plan: Plan | None,
    schema: Schema,
    values: Callable[[str], Any],
    violations: Violations | None,
) -> PostgresError:
    by_index = _UNIQUE_INDEX.search(message)
    if by_index is not None:
        name = by_index.group(1)
        return PostgresError(
            f'duplicate key value violates unique constraint "{name}"',
            "23505",
            constraint_name=name,
        )
    match = _UNIQUE.search(message)
    columns = [part.strip() for part in match.group(1).split(",")] if match else []
    table_name = (
        columns[0].split(".")[0] if columns else (plan.tables[0] if plan and plan.tables else "")
    )
    names = tuple(column.split(".", 1)[-1] for column in columns)
    table = schema.table(table_name)
    index = table.index_on(names) if table is not None else None
    constraint = index.name if index is not None else f"{table_name}_{'_'.join(names)}_key"
    detail = None
    found: Sequence[Any] | None = [values(name) for name in names]
    if found is not None and any(value is _MISSING for value in found):
        found = violations.unique_key(table_name, names) if violations is not None else None
    if names and found is not None:
        detail = f"Key ({', '.join(names)})=({_shown(found)}) already exists."
    return PostgresError(
        f'duplicate key value violates unique constraint "{constraint}"',
        "23505",
        detail=detail,
        schema_name="public",
        table_name=table_name or None,
        constraint_name=constraint,
    )


def _not_null(message: str, plan: Plan | None) -> PostgresError:
    match = _NOT_NULL.search(message)
    table = (
        match.group(1)
        if match and match.group(1)
        else (plan.tables[0] if plan and plan.tables else "")
    )
    column = match.group(2) if match else "?"
    return PostgresError(
        f'null value in column "{column}" of relation "{table}" violates not-null constraint',
        "23502",
        schema_name="public",
        table_name=table or None,
        column_name=column,
    )


def _check(message: str, plan: Plan | None) -> PostgresError:
    match = _CHECK.search(message)
    table = plan.tables[0] if plan and plan.tables else ""
    name = match.group(1) if match else f"{table}_check"
    if not re.fullmatch(r"[\w$]+", name):
        name = f"{table}_check"
    return PostgresError(
        f'new row for relation "{table}" violates check constraint "{name}"',
        "23514",
        schema_name="public",
        table_name=table or None,
        constraint_name=name,
    )


def _broken(finding: ForeignKeyFinding) -> PostgresError:
    """The 23503 of a foreign key found broken (``violations.py``)."""
    key, child = finding.key, finding.child
    shown = f"Key ({', '.join(finding.columns)})=({_shown(finding.values)})"
    if finding.referenced:
        message = (
            f'update or delete on table "{key.ref_table}" violates foreign key constraint '
            f'"{key.name}" on table "{child}"'
        )
        detail = f'{shown} is still referenced from table "{child}".'
    else:
        message = (
            f'insert or update on table "{child}" violates foreign key constraint "{key.name}"'
        )
        detail = f'{shown} is not present in table "{key.ref_table}".'
    return PostgresError(
        message,
        "23503",
        detail=detail,
        schema_name="public",
        table_name=child,
        constraint_name=key.name,
    )


def _foreign_key(
    plan: Plan | None,
    schema: Schema,
    values: Callable[[str], Any],
    violations: Violations | None,
) -> PostgresError:
    table_name = plan.tables[0] if plan and plan.tables else ""
    command = plan.command if plan is not None else ""
    if violations is not None and command in ("UPDATE", "DELETE"):
        finding = violations.broken_reference()
        if finding is not None:
            return _broken(finding)
    if command in ("DELETE", "DROP TABLE", "TRUNCATE TABLE"):
        for other in schema.tables.values():
            for key in other.foreign_keys:
                if key.ref_table.lower() == table_name.lower():
                    return PostgresError(
                        f'update or delete on table "{table_name}" violates foreign key '
                        f'constraint "{key.name}" on table "{other.name}"',
                        "23503",
                        schema_name="public",
                        table_name=other.name,
                        constraint_name=key.name,
                    )
    table = schema.table(table_name)
    keys = table.foreign_keys if table is not None else ()
    # A key with a NULL column is never checked (MATCH SIMPLE): of the keys whose values the
    # statement gave in full, one failed; when that is one key, it is named with its values.
    given = [(key, [values(column) for column in key.columns]) for key in keys]
    complete = [
        (key, found)
        for key, found in given
        if all(value is not _MISSING and value is not None for value in found)
    ]
    if len(complete) == 1:
        key, found = complete[0]
        return _broken(ForeignKeyFinding(False, key, table_name, key.columns, tuple(found)))
    if violations is not None and command == "INSERT":
        finding = violations.missing_reference(table_name)
        if finding is not None:
            return _broken(finding)
    name = keys[0].name if keys else f"{table_name}_fkey"
    detail = f'Key is not present in table "{keys[0].ref_table}".' if len(keys) == 1 else None
    return PostgresError(
        f'insert or update on table "{table_name}" violates foreign key constraint "{name}"',
        "23503",
        detail=detail,
        schema_name="public",
        table_name=table_name or None,
        constraint_name=name,
    )


def _integrity(
    error: sqlite3.Error,
    plan: Plan | None,
    schema: Schema,
    values: Callable[[str], Any],
    violations: Violations | None,
) -> PostgresError:
    name = getattr(error, "sqlite_errorname", "")
    message = str(error)
    if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
        return _unique(message, plan, schema, values, violations)
    if name == "SQLITE_CONSTRAINT_NOTNULL":
        return _not_null(message, plan)
    if name == "SQLITE_CONSTRAINT_CHECK":
        return _check(message, plan)
    if name == "SQLITE_CONSTRAINT_FOREIGNKEY" or (
        name == "SQLITE_CONSTRAINT_TRIGGER" and "FOREIGN KEY" in message
    ):
        return _foreign_key(plan, schema, values, violations)
    if name == "SQLITE_MISMATCH":
        return PostgresError(f"datatype mismatch: {message}", "42804")
    return PostgresError(message, "23000")


def _operational(error: sqlite3.Error, sql: str) -> PostgresError:
    name = getattr(error, "sqlite_errorname", "")
    message = str(error)
    if name == "SQLITE_BUSY_SNAPSHOT":
        return PostgresError("could not serialize access due to concurrent update", "40001")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return PostgresError(
            "canceling statement due to lock timeout",
            "55P03",
            detail="Another connection holds the database's write lock (SQLite serialises "
            "writers).",
        )
    near = _NEAR.search(message)
    if near is not None:
        token = near.group(1)
        return PostgresError(
            f'syntax error at or near "{token}"', "42601", position=_position(sql, token)
        )
    for pattern, sqlstate, template in _OPERATIONAL:
        match = pattern.search(message)
        if match is not None:
            groups = match.groups()
            text = template.format(*groups)
            position = _position(sql, groups[0].split(".")[-1]) if groups else None
            if sqlstate not in ("42P01", "42703", "42883", "42702"):
                position = None
            return PostgresError(text, sqlstate, position=position)
    return PostgresError(message, "XX000")


_MISSING: Final = object()


def postgres_error(
    error: sqlite3.Error,
    sql: str,
    plan: Plan | None,
    schema: Schema,
    raised: PostgresError | None = None,
    inserted: Mapping[str, Any] | None = None,
    violations: Violations | None = None,
) -> PostgresError:
    """The PostgreSQL error for a SQLite error (module docstring).

    ``raised`` is the error a user function left behind; ``inserted`` maps column names to the
    values of a single-row INSERT (for the ``Key (…)=(…)`` details of 23505 and 23503);
    ``violations`` finds the row any other INSERT, UPDATE or DELETE failed at.
    """
    if raised is not None:
        return raised
    known = inserted or {}

    def value_of(column: str) -> Any:
        for name, value in known.items():
            if name.lower() == column.lower():
                return value
        return _MISSING

    if isinstance(error, sqlite3.IntegrityError):
        return _integrity(error, plan, schema, value_of, violations)
    if isinstance(error, sqlite3.ProgrammingError | sqlite3.InterfaceError):
        return PostgresError(str(error), "08P01")
    if isinstance(error, sqlite3.DataError):
        return PostgresError(str(error), "22000")
    return _operational(error, sql)
