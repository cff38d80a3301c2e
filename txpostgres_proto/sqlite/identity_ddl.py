"""``ALTER TABLE ... ALTER COLUMN`` actions on identity columns (PostgreSQL docs, "ALTER
TABLE")::

    ALTER TABLE [IF EXISTS] [ONLY] name ALTER [COLUMN] column
        ADD GENERATED { ALWAYS | BY DEFAULT } AS IDENTITY [ ( sequence_options ) ]
      | SET GENERATED { ALWAYS | BY DEFAULT }
      | DROP IDENTITY [ IF EXISTS ]
      | RESTART [ [ WITH ] restart ] | SET sequence_option

pg_dump writes the first for every identity column.  sqlglot does not read these, so they are
recognized here, any number of them in one statement, each checked against the column as the
statement's earlier actions left it; its other actions go to ``alter.py``, and all of it runs
as one unit.  An identity column is a column whose default draws from its sequence, the
sequence's row saying which kind it is (``sequences.py``): adding one makes the sequence
(``sequence_ddl.column_sequence``) and sets the default by a rebuild (``alter.with_defaults``),
``SET GENERATED`` changes the row, ``DROP IDENTITY`` drops the default and the sequence, and
the sequence options go to ``ALTER SEQUENCE``.  The checks and messages are PostgreSQL 15's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite import alter, ddl
from txpostgres_proto.sqlite.dialect import READ, parse_statement
from txpostgres_proto.sqlite.reflect import ColumnInfo, Schema, TableInfo
from txpostgres_proto.sqlite.sequence_ddl import column_sequence, sequence_statement, unqualified
from txpostgres_proto.sqlite.sequences import SEQUENCE_TABLE, drop_sql
from txpostgres_proto.types import oids

__all__ = ["identity_statement"]

_NAME: Final = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_STATEMENT: Final = re.compile(
    rf"^ALTER\s+TABLE\s+(?P<exists>IF\s+EXISTS\s+)?(?:ONLY\s+)?(?P<table>{_NAME}(?:\s*\.\s*"
    rf"{_NAME})?)\s+(?P<actions>.*)$",
    re.IGNORECASE | re.DOTALL,
)
_ACTION: Final = re.compile(
    rf"^ALTER\s+(?:COLUMN\s+)?(?P<column>{_NAME})\s+(?P<action>"
    r"ADD\s+GENERATED\s+(?:ALWAYS|BY\s+DEFAULT)\s+AS\s+IDENTITY|SET\s+GENERATED\s+"
    r"(?:ALWAYS|BY\s+DEFAULT)|DROP\s+IDENTITY(?:\s+IF\s+EXISTS)?|RESTART\b.*|SET\s+(?:INCREMENT|"
    r"START|MINVALUE|MAXVALUE|NO|CACHE|CYCLE)\b.*)\s*$",
    re.IGNORECASE | re.DOTALL,
)
#: A quoted string or name, or any other character (to split actions at top-level commas).
_PIECE: Final = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|.", re.DOTALL)
_AS_IDENTITY: Final = re.compile(r"\bAS\s+IDENTITY\b", re.IGNORECASE)
_TYPES: Final = {oids.INT2: "smallint", oids.INT4: "integer", oids.INT8: "bigint"}


def _state(table: str, column: str, what: str) -> PostgresError:
    return PostgresError(f'column "{column}" of relation "{table}" {what}', "55000")


def _actions(text: str) -> list[str]:
    """The actions of an ALTER TABLE, split at the commas outside parentheses and quotes."""
    actions: list[str] = []
    current: list[str] = []
    depth = 0
    for piece in _PIECE.findall(text):
        depth += {"(": 1, ")": -1}.get(piece, 0)
        if piece == "," and depth == 0:
            actions.append("".join(current).strip())
            current = []
        else:
            current.append(piece)
    actions.append("".join(current).strip())
    return actions


@dataclass
class _Effects:
    """What the identity actions of one ALTER TABLE do, gathered in order: statements before
    the table is rebuilt (``before``), the new defaults of columns (None: none), statements
    after it (``after``), the other actions with their identity options (``rest``), and the
    notices of skipped ones."""

    table: TableInfo
    identity: dict[str, str] = field(default_factory=dict)  # column (lower case) -> kind
    sequence: dict[str, str] = field(default_factory=dict)  # column (lower case) -> sequence
    before: list[str] = field(default_factory=list)
    defaults: dict[str, str | None] = field(default_factory=dict)
    after: list[str] = field(default_factory=list)
    rest: list[str] = field(default_factory=list)
    rest_identities: list[ddl.IdentityOptions] = field(default_factory=list)
    #: PostgreSQL's notices for actions skipped (``DROP IDENTITY IF EXISTS``).
    notices: list[alter.Notice] = field(default_factory=list)

    @classmethod
    def of(cls, table: TableInfo) -> _Effects:
        effects = cls(table)
        for column in table.columns:
            if column.identity:
                effects.identity[column.name.lower()] = column.identity
                effects.sequence[column.name.lower()] = column.sequence or ""
        return effects


def identity_statement(
    sql: str, schema: Schema, identities: list[ddl.IdentityOptions]
) -> tuple[str, alter.Altered] | None:
    """(table, what to run) of an ALTER TABLE with identity actions (module docstring),
    None for any other statement; ``identities``: the options ``ddl.identity_options`` took
    out of it.  Its other actions apply as ``alter.alter_table`` has them."""
    found = _STATEMENT.match(sql)
    if found is None:
        return None
    actions = _actions(found.group("actions"))
    matched = [_ACTION.match(action) for action in actions]
    if not any(matched):
        return None
    name = unqualified(found.group("table"))
    table = schema.table(name)
    if table is None:
        if found.group("exists"):
            return name, alter.skipped(name)
        raise PostgresError(f'relation "{name}" does not exist', "42P01")
    effects = _Effects.of(table)
    remaining = list(identities)
    for action, match in zip(actions, matched, strict=True):
        taken = [remaining.pop(0) for _ in _AS_IDENTITY.finditer(action) if remaining]
        if match is None:
            effects.rest.append(action)
            effects.rest_identities.extend(taken)
        else:
            _apply(effects, match, taken)
    return table.name, _altered(effects, schema, found.group(0)[: found.start("actions")])


def _altered(effects: _Effects, schema: Schema, head: str) -> alter.Altered:
    """The statements of the gathered effects, with the other actions' (and notices)."""
    if effects.rest:
        tree = normalize_identifiers(
            parse_statement(alter.name_unnamed_checks(head + ", ".join(effects.rest))),
            dialect=READ,
        )
        assert isinstance(tree, exp.Alter)
        others = alter.alter_table(tree, schema, effects.rest_identities, effects.defaults)
    elif effects.defaults:
        others = alter.Altered(alter.with_defaults(effects.table, effects.defaults))
    else:
        others = alter.Altered([])
    statements = effects.before + others.statements + effects.after
    return alter.Altered(statements, (*effects.notices, *others.notices))


def _apply(effects: _Effects, found: re.Match[str], identities: list[ddl.IdentityOptions]) -> None:
    """Check one identity action against the table as the earlier ones left it, and gather
    what it does."""
    table = effects.table
    column_name = unqualified(found.group("column"))
    located = table.column(column_name)
    if located is None:
        raise PostgresError(
            f'column "{column_name}" of relation "{table.name}" does not exist', "42703"
        )
    column = located[1]
    key = column.name.lower()
    words = found.group("action").split()
    action = words[0].upper()
    if action == "ADD":
        _add(effects, column, "a" if words[2].upper() == "ALWAYS" else "d", identities)
        return
    kind = effects.identity.get(key)
    if not kind:
        if action == "DROP" and len(words) > 2:
            effects.notices.append(
                (
                    f'column "{column.name}" of relation "{table.name}" is not an identity '
                    "column, skipping",
                    None,
                )
            )
            return
        raise _state(table.name, column.name, "is not an identity column")
    sequence = effects.sequence[key]
    if action == "DROP":
        effects.defaults[column.name] = None
        effects.after.extend(drop_sql({sequence}, {sequence}))
        effects.identity[key] = ""
        return
    if action == "SET" and words[1].upper() == "GENERATED":
        kind = "a" if words[2].upper() == "ALWAYS" else "d"
        quoted = sequence.replace("'", "''")
        effects.identity[key] = kind
        effects.after.append(
            f"UPDATE {SEQUENCE_TABLE} SET identity = '{kind}' WHERE name = '{quoted}'"
        )
        return
    options = re.sub(r"\bSET\s+", " ", found.group("action"), flags=re.IGNORECASE)
    altered = sequence_statement(f'ALTER SEQUENCE "{sequence}" {options}')
    assert altered is not None
    effects.after.extend(altered[1])


def _add(
    effects: _Effects, column: ColumnInfo, kind: str, identities: list[ddl.IdentityOptions]
) -> None:
    """``ADD GENERATED … AS IDENTITY``: the sequence, made with the options, and the default."""
    table = effects.table
    data_type = _TYPES.get(column.pg_type.oid)
    if data_type is None:
        raise PostgresError("identity column type must be smallint, integer, or bigint", "22023")
    if not column.not_null:
        raise _state(
            table.name, column.name, "must be declared NOT NULL before identity can be added"
        )
    key = column.name.lower()
    if effects.identity.get(key):
        raise _state(table.name, column.name, "is already an identity column")
    has_default = effects.defaults.get(column.name, column.default)
    if has_default is not None:
        raise _state(table.name, column.name, "already has a default value")
    named, options = identities[0] if identities else (None, {})
    sequence = named or f"{table.name}_{column.name}_seq"
    changes = {"data_type": data_type, **options}
    changes.update(owned_by=table.name, owned_column=column.name, identity=kind)
    effects.before.append(column_sequence(sequence, changes, unless_table=None))
    effects.defaults[column.name] = f"(nextval({ddl.sql_literal(sequence)}))"
    effects.identity[key] = kind
    effects.sequence[key] = sequence
