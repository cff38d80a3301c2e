"""Which statements may run in the reactor thread, and the guard that keeps them short.

Handing a statement to a worker thread costs far more than a primary-key lookup takes, so the
backend (``sqlite_backend.py``) first tries a plain read in the reactor thread.  Only reads
qualify: aborting a SELECT undoes nothing, whereas an interrupted INSERT, UPDATE or DELETE
inside a transaction makes SQLite roll the whole transaction back (SQLite docs,
``sqlite3_interrupt``), so a write is never aborted: writes that run in the reactor thread are
chosen by another rule, the boundedness of their compiled program (``inline_writes.py``), and
run under `InlineGuard.for_write`, whose budget only counts.

A read qualifies when its translation is one SELECT with no parenthesis at all: no function
calls (``pg_sleep`` would block the reactor, ``nextval`` would run twice on a retry), no
subqueries, no aggregates, and no ``REGEXP`` (our Python regular expressions) — neither in the
statement nor in the definition of any view it names (a view is expanded where it is read, so
``SELECT * FROM v`` over ``CREATE VIEW v AS SELECT pg_sleep(5)`` would block too).  That alone does
not bound its cost (``SELECT * FROM big`` scans), so `InlineGuard` gives it a budget of
virtual-machine steps (``set_progress_handler``) and turns the busy timeout off (a reader in WAL
mode is rarely busy, but must never wait here).  When either trips, the caller runs the
statement again in a worker thread.

A PRAGMA costs about as much as the lookup itself, so the busy timeout is not switched back
after every inline read: it stays off until a statement is about to run in a worker thread,
where the backend calls `InlineGuard.restore_busy_timeout` first.  A run of cheap reads thus
sets it once; statements in the pool always run with it.  The progress handler is installed
and removed along with it, and counts only while a guarded statement runs (``armed``): other
statements of the reactor thread (BEGIN, COMMIT) are not limited by it.
"""

from __future__ import annotations

import re
import sqlite3
from types import TracebackType
from typing import Any

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.translate import Plan

#: VM instructions between two progress-handler calls, and calls allowed before giving up:
#: about 20,000 instructions, a millisecond or so (a primary-key lookup needs a few dozen).
_STEP_INTERVAL = 1_000
_STEP_CALLS = 20
#: SQLSTATEs of SQLITE_BUSY/SQLITE_LOCKED (``errors.py``): a worker thread would have waited.
_WAITABLE = frozenset({"55P03", "40001"})
#: Operators SQLite answers by calling a Python function (``~`` becomes ``REGEXP``): a
#: pathological pattern could take long between two VM steps, where the budget cannot see it.
_PYTHON_OPERATORS = re.compile(r"\b(?:REGEXP|MATCH)\b", re.IGNORECASE)
#: Identifiers of an SQLite statement, quoted (group 1) or bare (group 2).
_IDENTIFIER = re.compile(r'"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_$]*)')


def is_inline_read(plan: Plan, schema: Schema) -> bool:
    """Whether ``plan`` is a single plain SELECT that is safe to abort and run again."""
    if plan.command != "SELECT" or plan.columns is None or plan.explain:
        return False
    if plan.changes_schema or plan.restart_sequences or len(plan.statements) != 1:
        return False
    statement = plan.statements[0]
    if statement.lstrip()[:6].upper() != "SELECT":
        return False
    return _plain(statement, _view_definitions(schema), set())


def _view_definitions(schema: Schema) -> dict[str, str]:
    """Each view's definition by lower-cased name."""
    return {
        name.lower(): table.definition or "("
        for name, table in schema.tables.items()
        if table.kind == "v"
    }


def _plain(sql: str, views: dict[str, str], seen: set[str]) -> bool:
    """No parenthesis or Python operator in ``sql`` nor in the views it names, recursively."""
    if "(" in sql or _PYTHON_OPERATORS.search(sql):
        return False
    for quoted, bare in _IDENTIFIER.findall(sql):
        name = (quoted.replace('""', '"') if quoted else bare).lower()
        if name in views and name not in seen:
            seen.add(name)
            if not _plain(views[name], views, seen):
                return False
    return True


class InlineGuard:
    """The guard of one ``sqlite3`` connection: while entered, no busy wait and a step budget;
    ``gave_up`` when the budget aborted the statement (module docstring)."""

    def __init__(self, conn: sqlite3.Connection, busy_timeout: float) -> None:
        self._conn = conn
        self._busy_ms = int(busy_timeout * 1000)
        self._calls = 0
        #: Whether the connection's busy timeout is off and the progress handler installed
        #: (left so by the last inline read).
        self.busy_off = False
        #: Whether a guarded statement is running (only then the progress handler counts).
        self._armed = False
        #: Whether running out of budget aborts the statement (not for writes: `for_write`).
        self._aborts = True
        self.gave_up = False

    def _progress(self) -> int:
        if not self._armed:
            return 0
        self._calls += 1
        if self._calls > _STEP_CALLS:
            self.gave_up = True
            return 1 if self._aborts else 0
        return 0

    def _install(self) -> None:
        """Busy timeout off, progress handler on (until `restore_busy_timeout`)."""
        self._conn.execute("PRAGMA busy_timeout=0")
        self._conn.set_progress_handler(self._progress, _STEP_INTERVAL)
        self.busy_off = True

    def __enter__(self) -> InlineGuard:
        if not self.busy_off:
            self._install()
        self._calls = 0
        self.gave_up = False
        self._armed = True
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._armed = False
        self._aborts = True

    def for_write(self) -> InlineGuard:
        """The guard for a write (``inline_writes.py``), to be entered: busy timeout off and
        the budget counted as for a read, but running out of it only sets `gave_up` and never
        aborts the statement (an interrupted write may roll back its whole transaction)."""
        self._aborts = False
        return self

    def fetch(self, cursor: sqlite3.Cursor, statement: str, bound: list[Any]) -> list[Any]:
        """All rows of ``statement`` run on ``cursor`` (of this connection) under the guard:
        entering, running and leaving in one call, for the backend's fast path."""
        if not self.busy_off:
            self._install()
        self._calls = 0
        self.gave_up = False
        self._armed = True
        try:
            cursor.execute(statement, bound)
            return cursor.fetchall()
        finally:
            self._armed = False

    def restore_busy_timeout(self) -> None:
        """Give the connection its busy timeout back: before a statement that may wait for
        another connection's lock (the caller holds the connection, outside the guard)."""
        if self.busy_off:
            self._conn.set_progress_handler(None, _STEP_INTERVAL)
            self._conn.execute(f"PRAGMA busy_timeout={self._busy_ms}")
            self.busy_off = False

    def should_retry(self, error: PostgresError) -> bool:
        """Whether ``error`` means "run it in the pool": the budget ran out, or the database
        was busy or locked (which in the pool would be waited for)."""
        return self.gave_up or error.sqlstate in _WAITABLE
