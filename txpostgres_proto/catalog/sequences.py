"""The application's sequences as relations a query can read: ``SELECT last_value, is_called
FROM public.items_id_seq``.

PostgreSQL stores a sequence as a one-row relation with the columns ``last_value bigint``,
``log_cnt bigint`` and ``is_called boolean`` (docs: "CREATE SEQUENCE", and "Sequence
Manipulation Functions" for what ``is_called`` means: false when the next ``nextval`` returns
``last_value`` itself, true when it returns the value after it).  pg_dump reads exactly that row
for every sequence whose data it dumps, and turns it into ``setval(seq, last_value,
is_called)``.

The catalog knows an application's sequences (those of ``serial`` columns and of
``DEFAULT nextval(...)``) but not their state: the application holds it.  So the state is
passed in per query: the engine tells which sequences a query reads (:class:`SequenceInfo`),
the caller asks the application and hands the answers (:class:`SequenceState`) to the
engine's ``execute``, which writes them into one SQLite table, ``main.app_sequence_state``,
right before the query runs.  A sequence relation compiles to a one-row subquery of that
table; ``pg_sequences.last_value`` and ``pg_sequence_last_value(regclass)`` read it too (NULL
when ``is_called`` is false, as PostgreSQL answers).  A sequence nobody reported a state for
reads as freshly created: ``last_value`` = 1, ``is_called`` false.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Final

from txpostgres_proto.catalog.builtin import ColumnDef, RelationDef
from txpostgres_proto.types import oids

#: The SQLite table holding the states of the sequences the running query reads.
STATE_TABLE: Final = "main.app_sequence_state"
#: The columns of every sequence relation, as PostgreSQL 15 describes them.
SEQUENCE_COLUMNS: Final = (
    ColumnDef("last_value", oids.INT8, -1, 1),
    ColumnDef("log_cnt", oids.INT8, -1, 2),
    ColumnDef("is_called", oids.BOOL, -1, 3),
)


@dataclass(frozen=True, slots=True)
class SequenceInfo:
    """One application sequence: where it is, and the column it numbers (``table`` and
    ``column`` are None for a sequence no column owns)."""

    schema: str
    name: str
    oid: int
    table: str | None = None
    column: str | None = None
    start: int = 1


@dataclass(frozen=True, slots=True)
class SequenceState:
    """What ``SELECT last_value, is_called FROM seq`` answers."""

    last_value: int
    is_called: bool = True

    @classmethod
    def fresh(cls, sequence: SequenceInfo) -> SequenceState:
        """A sequence nothing has been taken from: ``nextval`` gives its start value."""
        return cls(sequence.start, False)


def relation_def(sequence: SequenceInfo) -> RelationDef:
    """The sequence as the compiler types it."""
    return RelationDef(sequence.schema, sequence.name, sequence.oid, "S", SEQUENCE_COLUMNS)


def relation_sql(oid: int, alias: str) -> str:
    """The FROM item reading sequence ``oid``'s row from the state table as ``alias`` (an
    already quoted identifier)."""
    return (
        f"(SELECT last_value, log_cnt, is_called FROM {STATE_TABLE} "
        f"WHERE seqrelid = {int(oid)}) AS {alias}"
    )


def last_value_sql(oid_sql: str) -> str:
    """``pg_sequence_last_value(oid)``: the last value, NULL until ``nextval`` was called."""
    return (
        f"(SELECT CASE WHEN is_called THEN last_value END FROM {STATE_TABLE} "
        f"WHERE seqrelid = {oid_sql})"
    )


def create_state_table(conn: sqlite3.Connection) -> None:
    conn.execute(
        f"CREATE TABLE {STATE_TABLE} (seqrelid INTEGER PRIMARY KEY, last_value INTEGER NOT NULL, "
        "log_cnt INTEGER NOT NULL, is_called INTEGER NOT NULL)"
    )


def store_states(conn: sqlite3.Connection, states: dict[SequenceInfo, SequenceState]) -> None:
    """Make the state table hold ``states`` (and nothing else), and ``pg_sequences`` show the
    same last values."""
    conn.execute(f"DELETE FROM {STATE_TABLE}")
    conn.executemany(
        f"INSERT INTO {STATE_TABLE} VALUES (?, ?, 0, ?)",
        [(seq.oid, state.last_value, int(state.is_called)) for seq, state in states.items()],
    )
    conn.execute("UPDATE pg_catalog.pg_sequences SET last_value = NULL")
    conn.executemany(
        "UPDATE pg_catalog.pg_sequences SET last_value = ? "
        "WHERE schemaname = ? AND sequencename = ?",
        [
            (state.last_value, seq.schema, seq.name)
            for seq, state in states.items()
            if state.is_called
        ],
    )
