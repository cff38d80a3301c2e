"""PostgreSQL's sequences for the SQLite default, kept in the database file itself.

Every sequence is a row of `SEQUENCE_TABLE` holding what PostgreSQL keeps for it (PostgreSQL
docs, "CREATE SEQUENCE", "ALTER SEQUENCE", "Sequence Manipulation Functions"): its options —
data type, increment, minimum, maximum, start, cache, cycle — and its state, ``last_value``
and ``is_called``.  `Sequences` implements ``nextval``, ``setval``, the reading of the state
(``SELECT last_value, is_called FROM seq``) and the statements (``CREATE``/``ALTER``/``DROP
SEQUENCE``, whose options `settle` checks as PostgreSQL 15 does, with its messages).

Every connection, and every process serving the same file (``--workers``), draws from the one
stored row: a value is taken by the statement that asks for it, on that statement's
connection, under the write lock SQLite gives one writer at a time, so no two sessions get the
same value.  The stored row is transactional, PostgreSQL's sequences are not: so the process
also remembers the last value it handed out, and does not hand a value out again after a
rollback undid the stored one (values are skipped, as in PostgreSQL).  That memory holds only
while the row is the one it was taken from: each (re)start of a sequence — first use,
``setval``, ``RESTART``, ``TRUNCATE ... RESTART IDENTITY``, dropping the owning table — stores
a new random ``generation``, so a restart made by any process is obeyed by all.  A negative
generation stands for ``is_called`` false: the next ``nextval`` returns ``last_value`` itself;
taking a value makes it positive.

The sequence of a serial or identity column (``DEFAULT nextval('t_id_seq')``) needs no
``CREATE SEQUENCE``: its row is made, with the default options, on first use, starting after
the largest value already in its column, so a database written by other tools carries on where
its data ends.  ``created`` marks rows made by ``CREATE SEQUENCE`` (relations of their own,
``reflect.py``); ``owned_by`` and ``owned_column`` are the column of ``OWNED BY`` (``owned_by``
``""``: ``OWNED BY NONE``; NULL: never said, so a column's sequence belongs to the column), and
``identity`` marks the sequence of an identity column, ``"a"`` for ``GENERATED ALWAYS``, ``"d"``
for ``BY DEFAULT``: what the catalog shows (``pg_attribute.attidentity``) and INSERT obeys.
A table's sequences go with it (``forget``), as a column's do (`drop_sql`).  One a column's
default drew from leaves a fresh row marked ``dropped``: no sequence for ``nextval``, ``setval``
or ``ALTER SEQUENCE`` (42P01, as in PostgreSQL), but the new generation a column made again
under the name starts from.

A database file written before the options were kept has the table without them (and stored
``last_value`` one below the next value while not called): `create_table` adds the columns
and converts those rows once.
"""

from __future__ import annotations

import json
import random
import sqlite3
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from txpostgres_proto.protocol.errors import PostgresError

__all__ = [
    "SEQUENCE_TABLE",
    "TYPE_RANGES",
    "OptionChanges",
    "Owner",
    "SequenceOptions",
    "Sequences",
    "column_owner",
    "drop_sql",
    "rename_sql",
    "serial_keep_sql",
    "serial_sql",
    "settle",
]

#: Where the sequences live (hidden from the catalog by its ``_txpg_`` prefix).
SEQUENCE_TABLE: Final = "_txpg_sequences"
_BIGINT_MAX: Final = 2**63 - 1
#: The range of each data type a sequence may have.
TYPE_RANGES: Final = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), _BIGINT_MAX),
}
#: The columns the table has beyond (name, last_value, generation), with their definitions
#: (the defaults are those of a serial column's sequence: what rows written before had).
_OPTION_COLUMNS: Final = (
    ("data_type", "TEXT NOT NULL DEFAULT 'bigint'"),
    ("increment", "INTEGER NOT NULL DEFAULT 1"),
    ("min_value", "INTEGER NOT NULL DEFAULT 1"),
    ("max_value", f"INTEGER NOT NULL DEFAULT {_BIGINT_MAX}"),
    ("start_value", "INTEGER NOT NULL DEFAULT 1"),
    ("cache", "INTEGER NOT NULL DEFAULT 1"),
    ("cycle", "INTEGER NOT NULL DEFAULT 0"),
    ("created", "INTEGER NOT NULL DEFAULT 0"),
    ("owned_by", "TEXT"),
    ("owned_column", "TEXT"),
    ("identity", "TEXT"),
    ("dropped", "INTEGER NOT NULL DEFAULT 0"),
)
_OPTIONS: Final = "data_type, increment, min_value, max_value, start_value, cache, cycle"
#: Whether the next step of an ascending (descending) sequence passes its maximum (minimum);
#: written so that no intermediate result overflows (PostgreSQL's ``nextval_internal``).
_PAST_MAX: Final = (
    "(increment > 0 AND CASE WHEN max_value >= 0 THEN last_value > max_value - increment "
    "ELSE last_value + increment > max_value END)"
)
_PAST_MIN: Final = (
    "(increment < 0 AND CASE WHEN min_value < 0 THEN last_value < min_value - increment "
    "ELSE last_value + increment < min_value END)"
)
_NEXT_SET: Final = (
    f"UPDATE {SEQUENCE_TABLE} SET last_value = CASE WHEN generation < 0 THEN last_value "
    f"WHEN {_PAST_MAX} THEN min_value WHEN {_PAST_MIN} THEN max_value "
    "ELSE last_value + increment END, generation = abs(generation)"
)
_NEXT_WHERE: Final = (
    f"WHERE name = ? AND (generation < 0 OR cycle OR NOT ({_PAST_MAX} OR {_PAST_MIN})) "
)
_NEXT_RETURNING: Final = "RETURNING last_value, generation, increment, min_value, max_value, cycle"
#: ``nextval`` of a column's sequence (a row left by a dropped column is taken over) and of
#: a sequence no column's default draws from (a row left by a dropped column is no sequence).
_NEXT_OF_COLUMN: Final = f"{_NEXT_SET}, dropped = 0 {_NEXT_WHERE}{_NEXT_RETURNING}"
_NEXT_OF_NONE: Final = f"{_NEXT_SET} {_NEXT_WHERE}AND dropped = 0 {_NEXT_RETURNING}"
_UPSERT: Final = (
    f"INSERT INTO {SEQUENCE_TABLE} (name, last_value, generation, {_OPTIONS}, created, "
    "owned_by, owned_column, identity, dropped) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET "
    "last_value = excluded.last_value, generation = excluded.generation, "
    "data_type = excluded.data_type, increment = excluded.increment, "
    "min_value = excluded.min_value, max_value = excluded.max_value, "
    "start_value = excluded.start_value, cache = excluded.cache, cycle = excluded.cycle, "
    "created = excluded.created, owned_by = excluded.owned_by, "
    "owned_column = excluded.owned_column, identity = excluded.identity, "
    "dropped = excluded.dropped"
)


@dataclass(frozen=True, slots=True)
class SequenceOptions:
    """A sequence's options (the defaults: those of a serial column's sequence, bigint)."""

    data_type: str = "bigint"
    increment: int = 1
    min_value: int = 1
    max_value: int = _BIGINT_MAX
    start: int = 1
    cache: int = 1
    cycle: bool = False

    def row(self) -> tuple[Any, ...]:
        """The values of the table's option columns (`_OPTIONS` order)."""
        return (
            self.data_type,
            self.increment,
            self.min_value,
            self.max_value,
            self.start,
            self.cache,
            int(self.cycle),
        )


@dataclass(frozen=True, slots=True)
class OptionChanges:
    """What a CREATE/ALTER SEQUENCE statement says (None: not said).  ``min_value`` and
    ``max_value`` are ``"default"`` for ``NO MINVALUE``/``NO MAXVALUE``; ``restart`` is
    ``"start"`` for a ``RESTART`` without a value; ``owned_by`` is the table of ``OWNED BY
    table.column`` (``owned_column`` the column), ``""`` for ``OWNED BY NONE``; ``identity``
    is ``"a"`` (``GENERATED ALWAYS``) or ``"d"`` (``BY DEFAULT``) for an identity column's
    sequence."""

    data_type: str | None = None
    increment: int | None = None
    min_value: int | str | None = None
    max_value: int | str | None = None
    start: int | None = None
    restart: int | str | None = None
    cache: int | None = None
    cycle: bool | None = None
    owned_by: str | None = None
    owned_column: str | None = None
    identity: str | None = None


def _invalid(message: str) -> PostgresError:
    return PostgresError(message, "22023")


def settle(
    changes: OptionChanges, current: SequenceOptions | None, last_value: int | None = None
) -> tuple[SequenceOptions, int | None]:
    """The options after ``changes`` (``current`` None: a new sequence), and the value to
    restart at (None: no restart), checked in PostgreSQL 15's order with its messages (its
    ``init_params``); ``last_value`` is the current one, checked against new bounds."""
    creating = current is None
    base = current or SequenceOptions()
    data_type = changes.data_type or base.data_type
    reset_max = reset_min = False
    if not creating and changes.data_type is not None:
        low, high = TYPE_RANGES[base.data_type]
        reset_max = (base.increment > 0 and base.max_value == high) or (
            base.increment < 0 and base.max_value == -1
        )
        reset_min = (base.increment > 0 and base.min_value == 1) or (
            base.increment < 0 and base.min_value == low
        )
    increment = base.increment if changes.increment is None else changes.increment
    if increment == 0:
        raise _invalid("INCREMENT must not be zero")
    low, high = TYPE_RANGES[data_type]
    maximum = changes.max_value
    if isinstance(maximum, int):
        max_value = maximum
    elif creating or maximum is not None or reset_max:
        max_value = high if increment > 0 else -1
    else:
        max_value = base.max_value
    if not low <= max_value <= high:
        raise _invalid(f"MAXVALUE ({max_value}) is out of range for sequence data type {data_type}")
    minimum = changes.min_value
    if isinstance(minimum, int):
        min_value = minimum
    elif creating or minimum is not None or reset_min:
        min_value = 1 if increment > 0 else low
    else:
        min_value = base.min_value
    if not low <= min_value <= high:
        raise _invalid(f"MINVALUE ({min_value}) is out of range for sequence data type {data_type}")
    if min_value >= max_value:
        raise _invalid(f"MINVALUE ({min_value}) must be less than MAXVALUE ({max_value})")
    if changes.start is not None:
        start = changes.start
    elif creating:
        start = min_value if increment > 0 else max_value
    else:
        start = base.start
    if start < min_value:
        raise _invalid(f"START value ({start}) cannot be less than MINVALUE ({min_value})")
    if start > max_value:
        raise _invalid(f"START value ({start}) cannot be greater than MAXVALUE ({max_value})")
    restart: int | None = None
    if changes.restart is not None:
        restart = start if changes.restart == "start" else int(changes.restart)
    elif creating:
        restart = start
    current_value = restart if restart is not None else last_value
    if current_value is not None and current_value < min_value:
        raise _invalid(
            f"RESTART value ({current_value}) cannot be less than MINVALUE ({min_value})"
        )
    if current_value is not None and current_value > max_value:
        raise _invalid(
            f"RESTART value ({current_value}) cannot be greater than MAXVALUE ({max_value})"
        )
    cache = base.cache if changes.cache is None else changes.cache
    if cache <= 0:
        raise _invalid(f"CACHE ({cache}) must be greater than zero")
    cycle = base.cycle if changes.cycle is None else changes.cycle
    options = SequenceOptions(data_type, increment, min_value, max_value, start, cache, cycle)
    return options, restart


def _present(conn: sqlite3.Connection) -> set[str]:
    """The columns the table has (none: no table yet)."""
    return {row[1] for row in conn.execute(f"PRAGMA table_info({SEQUENCE_TABLE})")}


def create_table(conn: sqlite3.Connection) -> None:
    """Make the table, or bring one written before the options were kept up to date (in one
    write transaction, so two processes opening the file at once do it once)."""
    columns = ", ".join(f"{name} {definition}" for name, definition in _OPTION_COLUMNS)
    if _present(conn) >= {name for name, _ in _OPTION_COLUMNS}:
        return  # up to date: no write lock needed
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SEQUENCE_TABLE} (name TEXT PRIMARY KEY, "
            f"last_value INTEGER NOT NULL, generation INTEGER NOT NULL, {columns})"
        )
        present = _present(conn)
        if present and "increment" not in present:
            # Not called used to be stored as one below the next value (increment 1).
            conn.execute(
                f"UPDATE {SEQUENCE_TABLE} SET last_value = last_value + 1 WHERE generation < 0"
            )
        for name, definition in _OPTION_COLUMNS:
            if name not in present:
                conn.execute(f"ALTER TABLE {SEQUENCE_TABLE} ADD COLUMN {name} {definition}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


#: ``(owned_by, owned_column, identity)`` of a row: ``owned_by`` the table of ``OWNED BY``,
#: ``""`` for ``OWNED BY NONE``, None when never said (a column's sequence is then its
#: column's); ``identity`` ``"a"``/``"d"`` for an identity column's sequence, else None.
Ownership = tuple[str | None, str | None, str | None]
UNSET: Final[Ownership] = (None, None, None)

#: What this process remembers of a sequence it handed out nothing of.
_NOTHING: Final = (0, 0)
#: What `Sequences.state` reads of a sequence's row.
_STATE_COLUMNS: Final = "last_value, generation, increment, dropped"


def _new_generation(called: bool) -> int:
    generation = random.getrandbits(62) + 1
    return generation if called else -generation


def _missing(name: str) -> PostgresError:
    return PostgresError(f'relation "{name}" does not exist', "42P01")


def _step(value: int, increment: int, low: int, high: int, cycle: bool) -> int | None:
    """The value after ``value`` (None: past the bounds without CYCLE)."""
    following = value + increment
    if low <= following <= high:
        return following
    if not cycle:
        return None
    return low if increment > 0 else high


def _exhausted(name: str, increment: int, low: int, high: int) -> PostgresError:
    if increment > 0:
        return PostgresError(
            f'nextval: reached maximum value of sequence "{name}" ({high})', "2200H"
        )
    return PostgresError(f'nextval: reached minimum value of sequence "{name}" ({low})', "2200H")


@dataclass(frozen=True, slots=True)
class Owner:
    """The column whose default a sequence is: ``largest`` reads its largest value now (where
    the sequence starts when first used); ``data_type`` names its type (the sequence's, as
    ``serial``/``smallserial``/identity columns have it)."""

    largest: Callable[[], int]
    data_type: str = "bigint"

    def options(self) -> SequenceOptions:
        """The options of this column's sequence made with no CREATE SEQUENCE."""
        return SequenceOptions(self.data_type, max_value=TYPE_RANGES[self.data_type][1])


#: The owner given to `Sequences` methods; None when no column's default is the sequence
#: (an unknown name then, unless the table has its row).
Start = Owner | None


def column_owner(
    conn: sqlite3.Connection,
    owners: Mapping[str, tuple[str, str]],
    owner_types: Mapping[str, str],
    name: str,
) -> Start:
    """The `Owner` of sequence ``name``: the column (table, column) ``owners`` says its
    default is, of the sequence data type ``owner_types`` gives (bigint when not given), whose
    largest value is read on ``conn``; None when no column's default is the sequence."""
    owner = owners.get(name)
    if owner is None:
        return None
    table, column = (part.replace('"', '""') for part in owner)

    def largest() -> int:
        row = conn.execute(f'SELECT max("{column}") FROM "{table}"').fetchone()
        return int(row[0]) if row and isinstance(row[0], int) else 0

    return Owner(largest, owner_types.get(name, "bigint"))


class Sequences:
    """Every sequence of the database (module docstring), as this process remembers them."""

    def __init__(self) -> None:
        self._handed_out: dict[str, tuple[int, int]] = {}  # name -> (generation, value)
        self._lock = threading.Lock()

    def create(self, conn: sqlite3.Connection) -> None:
        """Make (or update) the table: `create_table`."""
        create_table(conn)

    def _remember(self, name: str, generation: int, value: int) -> None:
        with self._lock:
            self._handed_out[name] = (generation, value)

    def next(self, conn: sqlite3.Connection, name: str, start: Start) -> int:
        """``nextval``: the next value of ``name``; ``start``: the column it belongs to (None:
        none, so the sequence must have its row)."""
        row = conn.execute(_NEXT_OF_NONE if start is None else _NEXT_OF_COLUMN, (name,)).fetchone()
        if row is None:
            return self._first_or_exhausted(conn, name, start)
        stored, generation, increment, low, high, cycle = row
        value = stored
        with self._lock:
            remembered, last = self._handed_out.get(name, _NOTHING)
            # The stored row went on from the value remembered: nothing was undone.
            if remembered == generation and last + increment != stored:
                following = _step(last, increment, low, high, bool(cycle))
                if following is None:
                    raise _exhausted(name, increment, low, high)
                value = max(stored, following) if increment > 0 else min(stored, following)
            self._handed_out[name] = (generation, value)
        if value != stored:
            conn.execute(
                f"UPDATE {SEQUENCE_TABLE} SET last_value = ? WHERE name = ?", (value, name)
            )
        return value

    def _first_or_exhausted(self, conn: sqlite3.Connection, name: str, start: Start) -> int:
        found = conn.execute(
            f"SELECT increment, min_value, max_value, dropped FROM {SEQUENCE_TABLE} WHERE name = ?",
            (name,),
        ).fetchone()
        if found is not None and not (found[3] and start is None):
            raise _exhausted(name, *(int(part) for part in found[:3]))
        if start is None:
            raise _missing(name)
        # First use (or this process's first use was rolled back).
        with self._lock:
            _, last = self._handed_out.get(name, (0, 0))
        value = max(start.largest(), last) + 1
        options = start.options()
        if value > options.max_value:
            raise _exhausted(name, 1, options.min_value, options.max_value)
        self._store(conn, name, value, called=True, options=options)
        return value

    def _store(
        self,
        conn: sqlite3.Connection,
        name: str,
        value: int,
        *,
        called: bool,
        options: SequenceOptions,
        created: bool = False,
        owner: Ownership = UNSET,
        dropped: bool = False,
    ) -> None:
        generation = _new_generation(called)
        self._remember(name, generation, value)
        row = (name, value, generation, *options.row(), int(created), *owner, int(dropped))
        conn.execute(_UPSERT, row)

    def _row(
        self, conn: sqlite3.Connection, name: str, start: Start = None
    ) -> tuple[Any, ...] | None:
        """(last_value, generation, the option columns…, created, owned_by, owned_column,
        identity) of ``name``; None for a row its column's drop left (`forget`) unless the
        default of a column (``start``) draws from it again."""
        row = conn.execute(
            f"SELECT last_value, generation, {_OPTIONS}, created, owned_by, owned_column, "
            "identity, dropped "
            f"FROM {SEQUENCE_TABLE} WHERE name = ?",
            (name,),
        ).fetchone()
        if row is None or (row[13] and start is None):
            return None
        return row[:13]

    def assign(
        self, conn: sqlite3.Connection, name: str, value: int, start: Start, *, called: bool
    ) -> None:
        """``setval(name, value, called)``: 22003 outside the sequence's bounds."""
        row = self._row(conn, name, start)
        if row is None and start is None:
            raise _missing(name)
        if row is not None:
            options = _options(row[2:9])
        else:
            assert start is not None
            options = start.options()
        if not options.min_value <= value <= options.max_value:
            raise PostgresError(
                f'setval: value {value} is out of bounds for sequence "{name}" '
                f"({options.min_value}..{options.max_value})",
                "22003",
            )
        generation = _new_generation(called)
        self._remember(name, generation, value)
        if row is None:
            conn.execute(_UPSERT, (name, value, generation, *options.row(), 0, *UNSET, 0))
            return
        conn.execute(
            f"UPDATE {SEQUENCE_TABLE} SET last_value = ?, generation = ?, dropped = 0 "
            "WHERE name = ?",
            (value, generation, name),
        )

    def state(self, conn: sqlite3.Connection, name: str, start: Start) -> tuple[int, bool]:
        """PostgreSQL's ``(last_value, is_called)`` of ``name``: the last value handed out (by
        any process, or by this one before a rollback) and true, or the next value and false
        when none was since the sequence (re)started; ``start`` as for `next`."""
        row = conn.execute(
            f"SELECT {_STATE_COLUMNS} FROM {SEQUENCE_TABLE} WHERE name = ?", (name,)
        ).fetchone()
        return self._state_of(name, row, start)

    def states(
        self, conn: sqlite3.Connection, starts: Mapping[str, Start]
    ) -> dict[str, tuple[int, bool]]:
        """`state` of every sequence named in ``starts`` (name → its column, as for `next`),
        read with one query; a name that is no sequence (42P01 for `state`) is left out."""
        rows = {
            row[0]: row[1:]
            for row in conn.execute(
                f"SELECT name, {_STATE_COLUMNS} FROM {SEQUENCE_TABLE} "
                "WHERE name IN (SELECT value FROM json_each(?))",
                (json.dumps(list(starts)),),
            )
        }
        found = {}
        for name, start in starts.items():
            try:
                found[name] = self._state_of(name, rows.get(name), start)
            except PostgresError:
                continue
        return found

    def _state_of(self, name: str, row: Any, start: Start) -> tuple[int, bool]:
        """`state` from ``name``'s row of the table (`_STATE_COLUMNS`; None: it has none)."""
        with self._lock:
            remembered = self._handed_out.get(name)
        if row is not None and row[3] and start is None:
            raise _missing(name)
        if row is None:
            if start is None:
                raise _missing(name)
            last = max(start.largest(), remembered[1] if remembered else 0)
            return (last, True) if last > 0 else (1, False)
        stored, generation, increment = (int(part) for part in row[:3])
        if remembered is not None and remembered[0] == abs(generation):
            ahead = remembered[1] > stored if increment > 0 else remembered[1] < stored
            if ahead:
                return remembered[1], True
        return stored, generation > 0

    def restart(self, conn: sqlite3.Connection, names: set[str], tables: set[str]) -> None:
        """Start the sequences owned by the tables (of their columns' sequences ``names``, and
        those ``OWNED BY`` them) again at their start values (``TRUNCATE ... RESTART
        IDENTITY``)."""
        for name in sorted(_belonging(conn, names, tables)):
            row = self._row(conn, name)
            options = SequenceOptions() if row is None else _options(row[2:9])
            if row is None:
                self._store(conn, name, options.start, called=False, options=options)
                continue
            generation = _new_generation(False)
            self._remember(name, generation, options.start)
            conn.execute(
                f"UPDATE {SEQUENCE_TABLE} SET last_value = start_value, generation = ? "
                "WHERE name = ?",
                (generation, name),
            )

    def forget(self, conn: sqlite3.Connection, names: set[str], tables: set[str]) -> None:
        """The tables were dropped, and with them the sequences they own (of their columns'
        sequences ``names``, and those ``OWNED BY`` them; others, ``OWNED BY NONE`` or made by
        CREATE SEQUENCE without ``OWNED BY``, stay): one a column's default drew from becomes a
        fresh row (so a table made again under the name starts from 1 in every process), any
        other goes."""
        for name in sorted(_belonging(conn, names, tables)):
            row = self._row(conn, name)
            if row is not None and row[9] and name not in names:
                conn.execute(f"DELETE FROM {SEQUENCE_TABLE} WHERE name = ?", (name,))
            else:
                self._store(conn, name, 1, called=False, options=SequenceOptions(), dropped=True)

    def define(
        self,
        conn: sqlite3.Connection,
        name: str,
        changes: OptionChanges,
        *,
        if_not_exists: bool,
        owned: bool,
    ) -> str | None:
        """``CREATE SEQUENCE``: 42P07 when a sequence of that name exists (made by CREATE
        SEQUENCE, or a column's: ``owned``) unless ``IF NOT EXISTS``, which skips it (the
        notice PostgreSQL gives is returned; None when the sequence was made).  `alter` and
        `drop` return theirs the same way."""
        row = self._row(conn, name)
        exists = (row is not None and bool(row[9])) or owned or _relation_named(conn, name)
        if exists:
            if if_not_exists:
                return f'relation "{name}" already exists, skipping'
            raise PostgresError(f'relation "{name}" already exists', "42P07")
        options, restart = settle(changes, None)
        assert restart is not None
        owner = _ownership(changes) if changes.owned_by is not None else UNSET
        self._store(conn, name, restart, called=False, options=options, created=True, owner=owner)
        return None

    def attach(self, conn: sqlite3.Connection, name: str, changes: OptionChanges) -> None:
        """The sequence of an identity column (``changes``: its options, owning column and
        kind): stored now (any row left under the name by a dropped table is replaced)."""
        options, restart = settle(changes, None)
        assert restart is not None
        self._store(conn, name, restart, called=False, options=options, owner=_ownership(changes))

    def alter(
        self,
        conn: sqlite3.Connection,
        name: str,
        changes: OptionChanges,
        start: Start,
        *,
        if_exists: bool,
    ) -> str | None:
        """``ALTER SEQUENCE``: the options changed, checked against the current value; a
        ``RESTART`` makes the next value the restart value.  ``start`` as for `next`.  The
        row is stored again under a new generation, with the current value as this process
        knows it: what other processes remember of the old options no longer applies."""
        row = self._row(conn, name, start)
        if row is None and start is None:
            if if_exists:
                return f'relation "{name}" does not exist, skipping'
            raise _missing(name)
        last_value, called = self.state(conn, name, start)
        owner: Ownership
        if row is None:
            assert start is not None
            current, created, owner = start.options(), False, UNSET
        else:
            current, created, owner = _options(row[2:9]), bool(row[9]), tuple(row[10:13])
        if changes.owned_by is not None and owner[2]:
            raise PostgresError(
                "cannot change ownership of identity sequence",
                "0A000",
                detail=f'Sequence "{name}" is linked to table "{owner[0]}".',
            )
        options, restart = settle(changes, current, last_value)
        if changes.owned_by is not None:
            # Owned by what OWNED BY says, no longer by its column: a relation of its own,
            # which stays when the column or table goes.
            owner, created = (*_ownership(changes)[:2], owner[2]), True
        if restart is not None:
            last_value, called = restart, False
        self._store(
            conn,
            name,
            last_value,
            called=called,
            options=options,
            created=created,
            owner=owner,
        )
        return None

    def drop(
        self,
        conn: sqlite3.Connection,
        name: str,
        owner: tuple[str, str] | None,
        *,
        if_exists: bool,
    ) -> str | None:
        """``DROP SEQUENCE``: 2BP01 while a column's default uses it (``owner``: that
        column's table and name); an identity column's sequence goes only with it."""
        row = self._row(conn, name)
        if owner is not None:
            table, column = owner
            if row is not None and row[12]:
                raise PostgresError(
                    f"cannot drop sequence {name} because column {column} of table {table} "
                    "requires it",
                    "2BP01",
                    hint=f"You can drop column {column} of table {table} instead.",
                )
            raise PostgresError(
                f"cannot drop sequence {name} because other objects depend on it",
                "2BP01",
                detail=f"default value for column {column} of table {table} depends on "
                f"sequence {name}",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        if row is None or not row[9]:
            if if_exists:
                return f'sequence "{name}" does not exist, skipping'
            raise PostgresError(f'sequence "{name}" does not exist', "42P01")
        conn.execute(f"DELETE FROM {SEQUENCE_TABLE} WHERE name = ?", (name,))
        return None


def _ownership(changes: OptionChanges) -> Ownership:
    """What a statement's ``OWNED BY`` (and an identity column's kind) stores."""
    owned_by = changes.owned_by
    return (owned_by, changes.owned_column if owned_by else None, changes.identity)


def _belonging(conn: sqlite3.Connection, names: set[str], tables: set[str]) -> set[str]:
    """Which sequences the tables (lower-case names) own: those ``OWNED BY`` one of their
    columns, and of their columns' sequences (``names``) those owned implicitly, as a serial
    column's is (no ``OWNED BY`` said, not made by CREATE SEQUENCE, or no row yet)."""
    owned = set()
    if tables:
        marks = ", ".join("?" * len(tables))
        rows = conn.execute(
            f"SELECT name FROM {SEQUENCE_TABLE} WHERE lower(owned_by) IN ({marks})",
            sorted(tables),
        ).fetchall()
        owned = {row[0] for row in rows}
    for name in names - owned:
        row = conn.execute(
            f"SELECT created, owned_by FROM {SEQUENCE_TABLE} WHERE name = ?", (name,)
        ).fetchone()
        if row is None or (not row[0] and row[1] is None):
            owned.add(name)
    return owned


def _options(values: Any) -> SequenceOptions:
    data_type, increment, low, high, start, cache, cycle = values
    return SequenceOptions(
        str(data_type), int(increment), int(low), int(high), int(start), int(cache), bool(cycle)
    )


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


#: A row made fresh, as `Sequences.forget` leaves a dropped table's column sequence (the
#: generation a new random negative number: not called, and restarted for every process).
_FRESH: Final = (
    "last_value = 1, generation = -1 - (random() & 4611686018427387903), "
    f"data_type = 'bigint', increment = 1, min_value = 1, max_value = {_BIGINT_MAX}, "
    "start_value = 1, cache = 1, cycle = 0, owned_by = NULL, owned_column = NULL, "
    "identity = NULL, dropped = 1"
)


def drop_sql(names: set[str], defaults: set[str]) -> list[str]:
    """The statements dropping sequences ``names`` with the column that owns them (``ALTER
    TABLE ... DROP COLUMN``/``DROP IDENTITY``), as `Sequences.forget` does for a table's:
    those a dropped default drew from (``defaults``) become fresh rows, others made by CREATE
    SEQUENCE go."""
    if not names:
        return []
    listed = ", ".join(_text(name) for name in sorted(names))
    kept = ", ".join(_text(name) for name in sorted(defaults)) or "NULL"
    return [
        f"DELETE FROM {SEQUENCE_TABLE} WHERE created = 1 AND name IN ({listed}) "
        f"AND name NOT IN ({kept})",
        f"UPDATE {SEQUENCE_TABLE} SET {_FRESH}, created = 0 WHERE name IN ({listed})",
    ]


def serial_sql(name: str, data_type: str) -> str:
    """The statement making the sequence of a serial column added to a table (its default
    draws from it while the rows are copied, before the column is in the schema): a fresh
    row of the column's type, unless a sequence of that name exists."""
    high = TYPE_RANGES[data_type][1]
    return (
        f"INSERT INTO {SEQUENCE_TABLE} (name, last_value, generation, data_type, max_value) "
        f"VALUES ({_text(name)}, 1, -1 - (random() & 4611686018427387903), {_text(data_type)}, "
        f"{high}) ON CONFLICT (name) DO UPDATE SET {_FRESH}, created = 0, "
        f"data_type = excluded.data_type, max_value = excluded.max_value, dropped = 0 "
        "WHERE dropped = 1"
    )


def serial_keep_sql(name: str, options: SequenceOptions, table: str, column: str) -> str:
    """The statement keeping the options of the sequence of serial column ``column`` of
    ``table`` when the column's type changes (PostgreSQL leaves a serial's sequence as it
    is): stored in its row, which names the column as its owner unless ``OWNED BY`` said
    otherwise; a row made now carries on after the column's largest value, as `Sequences.next`
    would have started it."""
    values = ", ".join(str(part) for part in options.row()[1:])
    largest = f"coalesce(max({_identifier(column)}), 0) + 1"
    source = _identifier(table)
    updated = ", ".join(f"{part} = excluded.{part}" for part in _OPTIONS.split(", "))
    return (
        f"INSERT INTO {SEQUENCE_TABLE} (name, last_value, generation, {_OPTIONS}, owned_by, "
        f"owned_column) SELECT {_text(name)}, {largest}, -1 - (random() & 4611686018427387903), "
        f"{_text(options.data_type)}, {values}, {_text(table)}, {_text(column)} FROM {source} "
        f"WHERE true ON CONFLICT (name) DO UPDATE SET {updated}, dropped = 0, "
        "owned_column = CASE WHEN owned_by IS NULL THEN excluded.owned_column "
        "ELSE owned_column END, owned_by = coalesce(owned_by, excluded.owned_by)"
    )


def rename_sql(table: str, new_table: str | None, column: str = "", new_column: str = "") -> str:
    """The statement keeping ``OWNED BY`` on a renamed table (``new_table``) or column."""
    if new_table is not None:
        return (
            f"UPDATE {SEQUENCE_TABLE} SET owned_by = {_text(new_table)} "
            f"WHERE lower(owned_by) = lower({_text(table)})"
        )
    return (
        f"UPDATE {SEQUENCE_TABLE} SET owned_column = {_text(new_column)} "
        f"WHERE lower(owned_by) = lower({_text(table)}) "
        f"AND lower(owned_column) = lower({_text(column)})"
    )


def _relation_named(conn: sqlite3.Connection, name: str) -> bool:
    """Whether a table, view or index is called ``name``: sequences share their namespace."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE name = ? AND type IN ('table', 'view', 'index')",
        (name,),
    )
    return found.fetchone() is not None
