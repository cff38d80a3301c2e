"""``ALTER TABLE ... ALTER COLUMN`` actions on identity columns (PostgreSQL docs, "ALTER
TABLE")::

    ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column
        ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [ ( sequence_options ) ]
      | SET GENERATED { ALWAYS | BY DEFAULT }
      | DROP IDENTITY [ IF EXISTS ]
      | RESTART [ [ WITH ] restart ] | SET sequence_option

pg_dump writes the first for every identity column.  sqlglot does not read these, so they are
recognized here, one action per statement.  An identity column is a column whose default draws
from its sequence, the sequence's row saying which kind it is (``sequences.py``): adding one
makes the sequence (``sequence_ddl.column_sequence``) and sets the default by a rebuild
(``alter.with_default``), ``SET GENERATED`` changes the row, ``DROP IDENTITY`` drops the default
and the sequence, and the sequence options go to ``ALTER SEQUENCE``.  The checks and messages
are PostgreSQL 15's.
"""

from __future__ import annotations

import re
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite import alter, ddl
from txpostgres_proto.sqlite.reflect import ColumnInfo, Schema, TableInfo
from txpostgres_proto.sqlite.sequence_ddl import column_sequence, sequence_statement, unqualified
from txpostgres_proto.sqlite.sequences import SEQUENCE_TABLE, drop_sql
from txpostgres_proto.types import oids

__all__ = ["identity_statement"]

_NAME: Final = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_STATEMENT: Final = re.compile(
    rf"^ALTER\s+TABLE\s+(?P<exists>IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_NAME}(?:\s*\.\s*"
    rf"{_NAME})?)\s+ALTER\s+(?:COLUMN\s+)?(?P<column>{_NAME})\s+(?P<action>"
    r"ADD\s+GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY|SET\s+GENERATED\s+"
    r"(?:ALWAYS|BY\s+DEFAULT)|DROP\s+IDENTITY(?:\s+IF\s+EXISTS)?|RESTART\b.*|SET\s+(?:INCREMENT|"
    r"START|MINVALUE|MAXVALUE|NO|CACHE|CYCLE)\b.*)\s*$",
    re.IGNORECASE | re.DOTALL,
)
_TYPES: Final = {oids.INT2: "smallint", oids.INT4: "integer", oids.INT8: "bigint"}


def _state(table: str, column: str, what: str) -> PostgresError:
    return PostgresError(f'column "{column}" of relation "{table}" {what}', "55000")


def identity_statement(
    sql: str, schema: Schema, identities: list[ddl.IdentityOptions]
) -> tuple[str, list[str]] | None:
    """(table, SQLite statements) of an identity action (module docstring), None for any
    other statement; ``identities``: the options ``ddl.identity_options`` took out of it."""
    found = _STATEMENT.match(sql)
    if found is None:
        return None
    name = unqualified(found.group("table"))
    table = schema.table(name)
    if table is None:
        if found.group("exists"):
            return name, []
        raise PostgresError(f'relation "{name}" does not exist', "42P01")
    column_name = unqualified(found.group("column"))
    located = table.column(column_name)
    if located is None:
        raise PostgresError(
            f'column "{column_name}" of relation "{table.name}" does not exist', "42703"
        )
    column = located[1]
    words = found.group("action").split()
    action = words[0].upper()
    if action == "ADD":
        return table.name, _add(
            table, column, "a" if words[2].upper() == "ALWAYS" else "d", identities
        )
    if not column.identity:
        if action == "DROP" and len(words) > 2:
            return table.name, []
        raise _state(table.name, column.name, "is not an identity column")
    sequence = column.sequence or ""
    if action == "DROP":
        statements = alter.with_default(table, column.name, None)
        return table.name, statements + drop_sql({sequence}, {sequence})
    if action == "SET" and words[1].upper() == "GENERATED":
        kind = "a" if words[2].upper() == "ALWAYS" else "d"
        quoted = sequence.replace("'", "''")
        update = f"UPDATE {SEQUENCE_TABLE} SET identity = '{kind}' WHERE name = '{quoted}'"
        return table.name, [update]
    options = re.sub(r"\bSET\s+", " ", found.group("action"), flags=re.IGNORECASE)
    altered = sequence_statement(f'ALTER SEQUENCE "{sequence}" {options}')
    assert altered is not None
    return table.name, list(altered[1])


def _add(
    table: TableInfo, column: ColumnInfo, kind: str, identities: list[ddl.IdentityOptions]
) -> list[str]:
    """``ADD GENERATED … AS IDENTITY``: the sequence, made with the options, and the default."""
    data_type = _TYPES.get(column.pg_type.oid)
    if data_type is None:
        raise PostgresError("identity column type must be smallint, integer, or bigint", "22023")
    if not column.not_null:
        raise _state(
            table.name, column.name, "must be declared NOT NULL before identity can be added"
        )
    if column.identity:
        raise _state(table.name, column.name, "is already an identity column")
    if column.default is not None:
        raise _state(table.name, column.name, "already has a default value")
    named, options = identities[0] if identities else (None, {})
    sequence = named or f"{table.name}_{column.name}_seq"
    changes = {"data_type": data_type, **options}
    changes.update(owned_by=table.name, owned_column=column.name, identity=kind)
    default = f"(nextval({ddl.sql_literal(sequence)}))"
    return [
        column_sequence(sequence, changes, unless_table=None),
        *alter.with_default(table, column.name, default),
    ]
