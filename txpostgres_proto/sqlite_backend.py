"""The embedded default: a real SQLite database served with PostgreSQL semantics.

``twistd -n pgproto`` without ``--handler`` serves this backend, so a new user runs one command,
connects with psql, creates a table, inserts, queries, and ``\\d`` shows the table::

    factory = PostgresServerFactory(make_backend_factory("data.sqlite3"))

API:

* ``make_backend_factory(database=":memory:")`` — what the tap calls: a no-argument callable
  the server factory calls once per connection;
* ``SQLiteBackend.configure(database, *, busy_timeout=5.0, threaded=True, reactor=None)`` — the
  same with options; it also makes plain ``SQLiteBackend()`` use that database;
  ``SQLiteBackend.factory(database)`` is ``configure`` with defaults (what the tap calls), and
  ``SQLiteBackend("app.sqlite3")`` opens that file once per process and shares it;
* ``SQLiteBackend`` — one instance per connection, a ``QueryBackend`` (``server/backend.py``).

How a statement is answered (the pieces live in ``txpostgres_proto/sqlite/``):

1. catalog queries (whatever ``Catalog.handles`` claims: ``pg_catalog``, ``information_schema``,
   ``version()``, ``SHOW`` …) go to the catalog emulation, which is fed the reflected SQLite
   schema, so psql's ``\\d``/``\\dt`` and ORMs' reflection see the real tables with their
   PostgreSQL types;
2. everything else is translated (``translate.py``: sqlglot plus our rewrites, cached per SQL
   text and schema version, and per shape of text for statements that carry their values as
   literals: ``templates.py``) and run on the session's own ``sqlite3`` connection;
3. results are typed from the declared column types (``resolve.py``) and converted back to
   PostgreSQL's Python values (``typemap.py``, one generated function per result shape:
   ``rowconvert.py``); SQLite errors become PostgreSQL errors with the right SQLSTATE
   (``errors.py``).

The catalog keeps its own SQLite store instead of being ATTACHed to the application database:
it is rebuilt from data files, is not thread-safe and runs in the reactor thread, while the
application database is shared by many connections, may be a user's file, and is used from
worker threads; catalog queries and application queries never join each other in practice.

Threads and locks.  SQLite calls block, so by default each statement runs in the reactor's
thread pool (one statement at a time per connection); the reactor never waits for SQLite.  A
statement that needs the write lock another connection holds waits up to ``busy_timeout``
seconds (in its worker thread) and then fails with 55P03; a CancelRequest interrupts the running
statement (``sqlite3.Connection.interrupt``) and the client gets 57014.  SQLite has one writer at
a time: a transaction that wrote something holds the database's write lock until it ends, so
keep write transactions short.  Writers of one process queue at the writer gate
(``sqlite/writers.py``) before SQLite's lock, so a waiting writer goes on the moment the
transaction before it ends instead of at the next wake-up of SQLite's busy handler.  BEGIN,
ROLLBACK and a COMMIT after reads only never wait for a lock and run in the reactor thread.
``threaded=False`` runs statements in the calling thread (for
tests and embedding without a reactor; then keep statements short: they block the reactor).
A thread hand-off costs more than a primary-key lookup, so a plain SELECT (no function calls, no
subqueries) is first tried in the reactor thread with no busy wait and a small budget of SQLite
VM steps; if it would wait or outgrows the budget it is aborted and runs in the pool as above
(``sqlite/inline.py``).

Short writes run in the reactor thread too (``sqlite/inline_writes.py`` has the reasoning):
inside a client's transaction, an INSERT, UPDATE or DELETE whose compiled program SQLite shows
to be bounded — no loop, so a key lookup rather than a scan, no trigger or cascading foreign
key, only cheap functions — runs here with the busy timeout off and is never aborted (an
interrupted write may roll back its whole transaction).  It takes the writer gate without
waiting (`WriterGate.try_enter`); when another session of this process holds the gate it waits
in the gate's queue without a thread, and runs when it is handed the gate, with the same busy
timeout (55P03) and cancel (57014) as in a worker thread (`_wait_for_gate`).  When another
process holds SQLite's write lock (``--workers``), or its snapshot is stale, SQLite refuses it at
once, before it touched anything, and it runs again in the pool, which waits as before (or
fails with 40001 as before); a constraint error is worded by the pool too (``violations.py``
may scan).  A COMMIT after at most a few such writes and nothing else in the pool runs here as
well, unless the WAL is close to the size at which the COMMIT would checkpoint (which fsyncs):
in WAL mode it takes no lock, and with ``synchronous=NORMAL`` it appends to the WAL without an
fsync in either thread, so durability is unchanged.  A TPC-B-like transaction thus needs no
worker thread at all.  Writes outside a transaction still run in the pool.

Statements sent again (prepared statements, drivers' statement caches) cost little: what the
backend derives from a translation (RowDescription columns, parameter binding, row conversion)
is kept with it (``sqlite/prepared.py``), and a plain SELECT seen before runs inline without
reading the database file's schema version first: SQLite recompiles a statement whose schema
changed, the backend notices that through the connection's authorizer and only then checks
(``_read_known``).  Each session also remembers its recent plain SELECTs by SQL text
(``_known_read``), so such a statement sent again goes from ``execute`` to SQLite's
``execute``/``fetchall`` through one dictionary lookup, the parameter binding and the guard.
Statements that carry their values as literals (``pgbench``'s simple mode, psycopg2) are new
texts every time; their *shape* (the text with its plain literals taken out) has an entry
instead (`_shaped`, ``sqlite/prepared.py``: `Shaped`), made from its first statement, so the
catalog's claim, the translation, RowDescription, the row converter and whether it runs inline
are worked out once per shape; where SQLite may take the literals as parameters
(``templates.py``) every statement of the shape is one SQLite text, compiled once, and a plain
read of a known shape goes the way of a known text (`_known_shaped_read`).
Such reads outside a client's transaction share one SQLite read transaction, kept open while
nothing is committed to the database by anyone (``sqlite/readhold.py``): starting and ending
one per statement is most of what SQLite spends on a point lookup.  It is let go before
anything else runs on the connection (`_let_go`) and when the session is idle.

Transactions follow ``transaction(command, savepoint)``: BEGIN (deferred), COMMIT, ROLLBACK,
SAVEPOINT, RELEASE, ROLLBACK TO map onto SQLite's; statements outside a block autocommit.  A
transaction sees a snapshot taken at its first read (PostgreSQL's REPEATABLE READ rather than
READ COMMITTED); a write that conflicts with a newer commit fails with 40001.

Results are read completely before they are sent (no streaming from SQLite yet).  COPY ... TO
STDOUT runs the table's SELECT; COPY ... FROM STDIN stores batches with ``executemany`` in one
transaction or savepoint (``sqlite/copy.py``).
"""

from __future__ import annotations

import functools
import re
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, ClassVar, NamedTuple

from twisted.internet import threads
from twisted.internet.defer import Deferred, fail, succeed
from twisted.python.failure import Failure

from txpostgres_proto.catalog import Catalog, SequenceInfo, SequenceState
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.columns import from_catalog, type_size
from txpostgres_proto.sqlite.copy import copy_from_stdin
from txpostgres_proto.sqlite.database import MEMORY, CatalogFeed, SQLiteDatabase
from txpostgres_proto.sqlite.errors import postgres_error
from txpostgres_proto.sqlite.functions import FunctionContext, register_functions
from txpostgres_proto.sqlite.inline import InlineGuard
from txpostgres_proto.sqlite.inline_writes import WriteVerdicts, verdicts_for
from txpostgres_proto.sqlite.literals import shape
from txpostgres_proto.sqlite.notify import register_pg_notify
from txpostgres_proto.sqlite.prepared import UNKNOWN_SHAPE, Prepared, prepare, prepare_shape
from txpostgres_proto.sqlite.readhold import CHECKPOINT_FRAMES, ReadHold
from txpostgres_proto.sqlite.reflect import Schema, reflect
from txpostgres_proto.sqlite.sequence_state import catalog_states
from txpostgres_proto.sqlite.translate import OutputColumn, Plan, needs_catalog
from txpostgres_proto.sqlite.violations import Violations
from txpostgres_proto.types import oids

__all__ = ["SQLiteBackend", "make_backend_factory"]

_TRANSACTION_SQL = {
    "BEGIN": "BEGIN",
    "COMMIT": "COMMIT",
    "ROLLBACK": "ROLLBACK",
    "SAVEPOINT": 'SAVEPOINT "{}"',
    "RELEASE": 'RELEASE SAVEPOINT "{}"',
    "ROLLBACK TO": 'ROLLBACK TO SAVEPOINT "{}"',
}
_STATEMENT_SAVEPOINT = "_txpg_statement"
#: Commands that take SQLite's write lock (with DDL: `Plan.changes_schema`), so the writer gate.
_WRITES = frozenset({"INSERT", "UPDATE", "DELETE", "TRUNCATE TABLE"})
#: SQLSTATEs of a write that did not get SQLite's write lock (``errors.py``).
_NOT_LOCKED = frozenset({"55P03", "40001"})
#: Transaction control that never waits for a lock (run in the reactor thread when it can).
_NEVER_WAITS = frozenset({"BEGIN", "ROLLBACK"})
#: Plain reads a session remembers by SQL text (`SQLiteBackend._known_read`).
_SESSION_READS = 64
#: A COMMIT after writes runs in the reactor thread only after this many bounded writes at most,
#: and only while the WAL has room for the frames they may add (pages changed: the table's and
#: each index's leaf, and the pages a split adds) before SQLite checkpoints.
_SHORT_TRANSACTION = 16
_FRAMES_PER_WRITE = 16
#: `SQLiteBackend._execute`: the statement's shape is not worked out yet.
_UNSHAPED: Any = object()
#: The parameters of a template's bound statement (``templates.py``: ``?1``, ``?2`` ...).
_BOUND_PARAMETER = re.compile(r"\?\d+")
#: The command tags of small SELECT results, made once.
_SELECT_TAGS = tuple(f"SELECT {count}" for count in range(256))


class _Run(NamedTuple):
    """One statement ready to run: its plan, its bound parameters, the client's text and the
    schema it was planned on (both for errors), and what an INSERT writes (for a violation's
    detail)."""

    plan: Plan
    bound: list[Any]
    sql: str
    schema: Schema
    inserted: Mapping[str, Any]


class SQLiteBackend:
    """One connection's `QueryBackend` on the shared SQLite database (module docstring)."""

    _configured: ClassVar[tuple[SQLiteDatabase, bool, Any] | None] = None
    #: Databases opened by path (``SQLiteBackend("app.sqlite3")``), one per path per process.
    _by_path: ClassVar[dict[str, SQLiteDatabase]] = {}

    def __init__(
        self,
        database: SQLiteDatabase | str | None = None,
        *,
        threaded: bool | None = None,
        reactor: Any = None,
    ) -> None:
        if isinstance(database, str):
            database = self._opened(database)
        if database is None:
            database, configured_threads, configured_reactor = self._defaults()
            threaded = configured_threads if threaded is None else threaded
            reactor = reactor or configured_reactor
        self.database = database
        self.threaded = True if threaded is None else threaded
        self._reactor = reactor
        self._lock = threading.Lock()
        # Opened on first use (`_open`); `_lost` once the client has gone.
        self._conn: sqlite3.Connection | None = None
        #: Whether SQLite compiled a statement on the connection since `_read_known` last
        #: found the schema unchanged.
        self._compiled = True
        #: The cursor that runs statements' results, reused (`_run_locked`).
        self._cursor: sqlite3.Cursor | None = None
        self._guard: InlineGuard | None = None
        #: The read transaction kept open between plain reads (threaded only: ``readhold.py``).
        self._hold: ReadHold | None = None
        self._lost = False
        #: Calls handed to the thread pool that have not come back yet (`_call`), and all the
        #: calls handed to it so far (`transaction`: a COMMIT after reads only).
        self._pending = 0
        self._pool_calls = 0
        self._pool_calls_at_begin = -1
        #: Bounded writes (``inline_writes.py``) since BEGIN, and how many of them ran in the
        #: thread pool (`_transaction_inline`: a COMMIT after writes).
        self._bounded_writes = 0
        self._bounded_pool_writes = 0
        #: Whether the database is in WAL mode (writes only run inline then: `_write_inline`).
        self._wal = False
        self._verdicts: WriteVerdicts = verdicts_for(database)
        self._context: FunctionContext | None = None
        self._feed: CatalogFeed | None = None
        self.session: Any = None
        #: Our own reflection while this session's transaction holds uncommitted DDL.
        self._private: Schema | None = None
        self._private_version = 0
        self._ddl_in_transaction = False
        #: Plain reads run before, by SQL text: (parameter types, statement) (`_known_read`).
        self._reads: dict[str, tuple[tuple[int, ...], Prepared]] = {}
        #: Plain reads of bound shapes run before, by shape (`_known_shaped_read`).
        self._shaped_reads: dict[str, Prepared] = {}

    # -- configuration ----------------------------------------------------------------------

    @classmethod
    def configure(
        cls,
        database: str = MEMORY,
        *,
        busy_timeout: float = 5.0,
        threaded: bool = True,
        reactor: Any = None,
    ) -> Callable[[], SQLiteBackend]:
        """Open (or create) ``database`` and return the per-connection backend factory.

        ``":memory:"`` is a temporary database removed when the process exits.  Afterwards
        ``SQLiteBackend()`` with no arguments uses this database too.
        """
        shared = SQLiteDatabase(database, busy_timeout=busy_timeout)
        cls._configured = (shared, threaded, reactor)
        return functools.partial(cls, shared, threaded=threaded, reactor=reactor)

    @classmethod
    def factory(cls, database: str = MEMORY) -> Callable[[], SQLiteBackend]:
        """``configure`` with default options (the hook ``txpostgres_proto.tap`` looks for)."""
        return cls.configure(database)

    @classmethod
    def _opened(cls, path: str) -> SQLiteDatabase:
        shared = cls._by_path.get(path)
        if shared is None:
            shared = cls._by_path[path] = SQLiteDatabase(path)
        return shared

    @classmethod
    def _defaults(cls) -> tuple[SQLiteDatabase, bool, Any]:
        if cls._configured is None:
            cls.configure()
        assert cls._configured is not None
        return cls._configured

    # -- QueryBackend -------------------------------------------------------------------------

    def connection_made(self, session: Any) -> None:
        self.session = session
        self._context = FunctionContext(
            sequences=self.database.sequences,
            user=getattr(session, "user", "postgres"),
            database=getattr(session, "database", "postgres"),
        )
        version = _setting(session, "server_version")
        self._feed = self.database.catalog_feed(self._context.database, version)

    def describe(self, sql: str, param_oids: Sequence[int]) -> Any:
        self._let_go()
        schema = self._schema()
        prepared = self._prepared(sql, param_oids, schema)
        if prepared is None:
            catalog = self._catalog(schema)
            inferred = catalog.parameter_types(sql)
            count = max(len(inferred), len(param_oids))
            catalog_types = tuple(
                _given(param_oids, i) or (inferred[i] if i < len(inferred) else 0) or oids.TEXT
                for i in range(count)
            )
            described = tuple(from_catalog(column) for column in catalog.describe(sql))
            return StatementDescription(catalog_types, described)
        plan = prepared.plan
        types = tuple(
            _given(param_oids, i) or pg_type.oid for i, pg_type in enumerate(plan.param_types)
        )
        columns = prepared.columns
        if plan.columns is None or len(plan.statements) != 1 or plan.explain:
            return StatementDescription(types, columns)
        checked = self._call(self._check, plan, schema)
        return _then(checked, lambda _: StatementDescription(types, columns))

    def execute(self, sql: str, params: Sequence[Any], param_oids: Sequence[int]) -> Any:
        prepared = self._known_read(sql, param_oids)
        shaped: Any = _UNSHAPED
        if prepared is not None:
            answered = self._read_known(prepared, params)
        else:
            if not params and not param_oids:
                shaped = shape(sql)
            found = self._known_shaped_read(shaped)
            if found is None:
                return self._execute(sql, params, param_oids, inline=True, shaped=shaped)
            answered = self._read_known(*found)
        if isinstance(answered, QueryResult):
            return answered
        return self._execute(sql, params, param_oids, inline=answered, shaped=shaped)

    def _execute(
        self,
        sql: str,
        params: Sequence[Any],
        param_oids: Sequence[int],
        *,
        inline: bool,
        shaped: Any = _UNSHAPED,
    ) -> Any:
        """`execute` with the schema checked first; ``inline``: a plain read may be tried in
        the reactor thread; ``shaped``: ``literals.shape(sql)`` when `execute` worked it out
        already."""
        self._let_go()
        schema = self._schema()
        statement = self._statement(sql, params, param_oids, schema, shaped)
        if statement is None:
            return self._catalog_query(sql, params, schema)
        prepared, params, inserted = statement
        plan = prepared.plan
        if plan.transaction is not None:
            command, savepoint = plan.transaction
            return _then(
                self.transaction(command, savepoint),
                lambda _: QueryResult(command_tag=plan.command),
            )
        if not plan.statements:
            self._send_notices(plan)
            return QueryResult(command_tag=plan.command)
        run = _Run(plan, prepared.bind(params, self._zone()), sql, schema, inserted)
        if inline and prepared.inline:
            found = self._run_inline(run)
            if found is not None:
                return self._result(prepared, found)
        elif prepared.write:
            written = self._write_inline(run) if inline else None
            if isinstance(written, Deferred):
                return written.addCallback(functools.partial(self._result, prepared))
            if written is not None:
                return succeed(self._result(prepared, written))  # as from the pool, a Deferred
            if self._bounded(plan, schema):
                self._bounded_writes += 1
                self._bounded_pool_writes += 1
        raw = self._call(self._run, run)
        return _then(raw, functools.partial(self._result, prepared))

    def _catalog_query(self, sql: str, params: Sequence[Any], schema: Schema) -> Any:
        """A query the catalog emulation answers.  One that reads sequences' states
        (``pg_sequences.last_value``, ``pg_sequence_last_value``, ``SELECT ... FROM seq``) has
        them read first on the session's connection, like any statement (in a worker thread
        when threaded), and handed to the catalog (``sequence_state.catalog_states``)."""
        read = self._catalog(schema).sequences(sql)
        if not read:
            return self._catalog_result(sql, params, schema, None)
        states = self._call(self._sequence_states, read, schema)
        return _then(states, functools.partial(self._catalog_result, sql, params, schema))

    def _sequence_states(
        self, read: Sequence[SequenceInfo], schema: Schema
    ) -> dict[SequenceInfo, SequenceState]:
        conn = self._connection()
        with self._lock:
            return catalog_states(conn, self.database.sequences, schema, read)

    def _catalog_result(
        self,
        sql: str,
        params: Sequence[Any],
        schema: Schema,
        states: Mapping[SequenceInfo, SequenceState] | None,
    ) -> QueryResult:
        """The catalog's answer (in the reactor thread: the catalog is shared by the
        sessions, and reloaded with ``schema`` if another session's was loaded since)."""
        result = self._catalog(schema).execute(sql, params, self.session, states)
        columns = tuple(from_catalog(column) for column in result.columns)
        return QueryResult(columns, result.rows, result.command_tag or None, len(result.rows))

    def _known_read(self, sql: str, param_oids: Sequence[int]) -> Prepared | None:
        """The prepared statement of a plain read this session may run inline at once,
        without checking the database file's schema first (`_read_known`); else None.

        The session remembers its last plain reads by SQL text (`_reads`), so a statement run
        again costs one dictionary lookup: an entry holds while the schema it was prepared on
        is still the known one (a schema change makes a new `Schema` object), and the client
        gives the same parameter types.  Entries are only made while the connection is open
        and statements run threaded (`connection_lost` forgets them).
        """
        if self._pending or self._ddl_in_transaction:
            return None
        schema = self.database.known_schema()
        if schema is None:
            return None
        remembered = self._reads.get(sql)
        if (
            remembered is not None
            and remembered[1].schema is schema
            and remembered[0] == param_oids
        ):
            return remembered[1]
        if not self.threaded or self._conn is None:
            return None
        found = self.database.prepared.get(sql, param_oids, self.database.schema_version, schema)
        if found is None or not found.inline:
            return None
        if len(self._reads) >= _SESSION_READS:
            self._reads.clear()
        self._reads[sql] = (tuple(param_oids), found)
        return found

    def _known_shaped_read(self, shaped: Any) -> tuple[Prepared, list[Any]] | None:
        """`_known_read` for a statement without parameters whose shape's literals are bound
        (``prepared.py``, `Shaped`; ``shaped``: ``literals.shape`` of its text, `_UNSHAPED` for
        a statement with parameters): a plain read of a shape this session may run inline at
        once, and the values of its literals; else None.  The entry must have been made on the
        known schema (`_read_known` checks the schema afterwards, as for a text read before);
        the session remembers its recent ones by shape (`_shaped_reads`), as `_known_read`
        its reads by text."""
        if shaped is None or shaped is _UNSHAPED or self._pending or self._ddl_in_transaction:
            return None
        if not self.threaded or self._conn is None:
            return None
        schema = self.database.known_schema()
        if schema is None:
            return None
        form, literals = shaped
        prepared = self._shaped_reads.get(form)
        if prepared is None or prepared.schema is not schema:
            version = self.database.schema_version
            entry = self.database.prepared.shape(form, (), version, schema)
            if entry is None or entry is UNKNOWN_SHAPE or entry.template.bound is None:
                return None
            prepared = entry.prepared
            if not prepared.inline:
                return None
            if len(self._shaped_reads) >= _SESSION_READS:
                self._shaped_reads.clear()
            self._shaped_reads[form] = prepared
        return prepared, [literal.value for literal in literals]

    def _read_known(self, prepared: Prepared, params: Sequence[Any]) -> QueryResult | bool:
        """Run a plain read prepared before, with the schema checked afterwards and only when
        SQLite compiled something: the result, or whether `_execute` may still try it inline.

        Reading the schema version costs as much as the read, and it only matters when
        another process (a ``--workers`` sibling, any SQLite tool) changed the schema:
        changes made here are known without it (`SQLiteDatabase.known_schema`).  SQLite
        itself notices such a change when a statement starts, and compiles the statement
        again; compiling calls the connection's authorizer (`_note_compile`).  So when nothing
        was compiled on this connection since the schema was last found unchanged here, the
        read ran on the schema it was translated for.  Otherwise (a statement compiled by any
        path) the version is read; if the schema did change, the result is dropped (a plain
        read changes nothing) and `_execute` translates and runs it again.  An error is left
        to `_execute` too, which checks the schema before it runs again and words the error.
        Otherwise this is `_run_inline`, `_run_locked` and `_result` for one SELECT, without
        what a SELECT does not need: the function context (`_prepare_context`) is left as it
        is, since a plain read calls none of our functions (``inline.py``), and a statement
        that does sets the context up itself.
        """
        cursor, guard = self._cursor, self._guard
        assert cursor is not None and guard is not None
        zone = getattr(self.session, "timezone", None)
        try:
            bound = prepared.bind(params, zone if zone is not None else UTC)
        except PostgresError:
            return True
        lock = self._lock
        if not lock.acquire(blocking=False):
            return False
        try:
            try:
                hold = self._hold
                if hold is not None:
                    hold.enter()
                rows = guard.fetch(cursor, prepared.plan.statements[0], bound)
            except (sqlite3.Error, OverflowError, PostgresError):
                return not guard.gave_up  # out of budget: straight to the pool
        finally:
            lock.release()
        if self._compiled:
            if self.database.schema() is not prepared.schema:
                return True
            self._compiled = False
        assert prepared.convert is not None
        rows = prepared.convert(rows)
        count = len(rows)
        tag = _SELECT_TAGS[count] if count < len(_SELECT_TAGS) else f"SELECT {count}"
        return QueryResult(prepared.columns, rows, tag, count)

    def transaction(self, command: str, savepoint: str | None = None) -> Any:
        self._let_go()
        kind = " ".join(command.upper().split())
        template = _TRANSACTION_SQL.get(kind)
        if template is None:
            raise PostgresError(f"transaction command {command!r} is not supported", "0A000")
        statement = template.format((savepoint or "").replace('"', '""'))
        try:
            inline = self._transaction_inline(kind, statement)
        except PostgresError as error:  # a COMMIT's deferred constraint check failed
            return fail(error)  # as from the pool
        if inline:
            self._transaction_done(kind)
            return succeed(None)  # as from the pool, a Deferred
        done = self._call(self._run_transaction, kind, statement)
        return _then(done, lambda _: self._transaction_done(kind))

    def _transaction_inline(self, kind: str, statement: str) -> bool:
        """Run transaction control that cannot wait in the reactor thread (a thread hand-off
        costs more than it does): BEGIN (SQLite's deferred BEGIN takes no lock), ROLLBACK,
        and a short COMMIT (`_short_commit`).  False when it must go to the pool: something of
        this session is there, or the statement might wait or take long.  Raises the error of
        a COMMIT that failed (a deferred constraint)."""
        if not self.threaded or self._lost or self._pending or self._conn is None:
            return False
        if kind not in _NEVER_WAITS and not self._short_commit(kind):
            return False
        lock = self._lock
        if not lock.acquire(blocking=False):
            return False
        try:
            self._transaction_locked(kind, statement)
        finally:
            lock.release()
        return True

    def _short_commit(self, kind: str) -> bool:
        """Whether ``kind`` is a COMMIT that cannot wait and writes little: after inline reads
        only (it holds no write lock and has nothing to write), or after a few bounded writes
        only (``inline_writes.py``) while the WAL is far from the size at which the COMMIT
        would checkpoint (`_commit_is_short`).  In WAL mode a COMMIT of a transaction holding
        the write lock takes no other lock: it appends the changed pages to the WAL (with
        ``synchronous=NORMAL`` without an fsync, in either thread: durability is the same)."""
        if kind != "COMMIT":
            return False
        others = self._pool_calls - self._pool_calls_at_begin - self._bounded_pool_writes
        if others:
            return False
        writes = self._bounded_writes
        return not writes or (writes <= _SHORT_TRANSACTION and self._commit_is_short(writes))

    def _commit_is_short(self, writes: int) -> bool:
        """Whether committing ``writes`` bounded writes now cannot make SQLite checkpoint
        (which copies the WAL into the database file and fsyncs both): the database is in WAL
        mode and the WAL has room for what they may add before ``wal_autocheckpoint``'s size
        (SQLite's default: the translator passes no PRAGMA through).  A wrong guess costs
        one slow COMMIT in the reactor thread, nothing else."""
        hold = self._hold
        frames = hold.wal_frames() if hold is not None and self._wal else None
        room = (writes + 1) * _FRAMES_PER_WRITE
        return frames is not None and frames + room < CHECKPOINT_FRAMES

    def copy_in(self, statement: Any, rows: Any) -> Any:
        """COPY ... FROM STDIN: the row batches stored all or nothing (``sqlite/copy.py``)."""
        self._let_go()
        return copy_from_stdin(self, statement, rows)

    def connection_lost(self) -> Any:
        self._lost = True
        self._reads.clear()
        self._shaped_reads.clear()
        self._let_go()
        hold, self._hold = self._hold, None
        if hold is not None:
            hold.close()
        conn, self._conn = self._conn, None
        self._guard = None
        if conn is None:
            return None
        conn.interrupt()
        return self._call(self._close, conn)

    # -- helpers: threads ---------------------------------------------------------------------

    def _call(self, function: Callable[..., Any], *args: Any) -> Any:
        """Run ``function`` in a worker thread (a cancellable Deferred), or inline."""
        self._pool_calls += 1
        if not self.threaded:
            return self._with_busy_timeout(function, *args)
        if self._conn is None and not self._lost:
            self._open()  # here, in the reactor thread, so that cancelling can interrupt it
        self._let_go()
        reactor = self._the_reactor()
        conn = self._conn
        context = self._context
        cancelled = threading.Event()

        def cancel(_: Deferred[Any]) -> None:
            cancelled.set()
            if conn is not None:
                conn.interrupt()

        result: Deferred[Any] = Deferred(canceller=cancel)

        def forward(outcome: Any) -> None:
            self._pending -= 1
            if not result.called:
                result.callback(outcome)

        function, args = self._with_busy_timeout, (function, *args)
        if context is not None:
            function, args = context.run_cancellable, (cancelled, function, *args)
        work = threads.deferToThreadPool(reactor, reactor.getThreadPool(), function, *args)
        self._pending += 1
        work.addBoth(forward)
        return result

    def _the_reactor(self) -> Any:
        reactor = self._reactor
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = self._reactor = global_reactor
        return reactor

    def _let_go(self) -> None:
        """End the read transaction held between plain reads (``readhold.py``): before
        anything else runs on the connection."""
        hold = self._hold
        if hold is not None and hold.held:
            with self._lock:
                hold.release()

    def _with_busy_timeout(self, function: Callable[..., Any], *args: Any) -> Any:
        """``function(*args)`` with the connection's busy timeout on: the last inline read may
        have left it off (``inline.py``), and no inline read runs while this call is pending."""
        guard = self._guard
        if guard is not None and guard.busy_off:
            with self._lock:
                guard.restore_busy_timeout()
        return function(*args)

    def _run_inline(
        self,
        run: _Run,
    ) -> tuple[list[Any], int] | None:
        """Run a cheap read in the reactor thread; None when it must go to the thread pool.

        A worker thread costs more than a point lookup, so a plain SELECT (`is_inline_read`)
        runs here first, with no busy wait and a budget of SQLite VM steps (`inline.py`).  If
        the budget runs out or the database is busy, it is aborted — a SELECT without function
        calls changes nothing, so aborting it undoes nothing — and runs again in the pool,
        where it can wait, take its time and be cancelled.  While something of this session is
        in the pool, everything else goes there too, in order.
        """
        if not self.threaded or self._lost or self._pending:
            return None
        lock = self._lock
        if not lock.acquire(blocking=False):
            return None
        try:
            self._connection()
            guard = self._guard
            assert guard is not None
            with guard:
                try:
                    return self._run_locked(run)
                except PostgresError as error:
                    if guard.should_retry(error):
                        return None
                    raise
        finally:
            lock.release()

    def _write_inline(
        self,
        run: _Run,
    ) -> tuple[list[Any], int] | Deferred[tuple[list[Any], int]] | None:
        """Run a bounded write in the reactor thread: its raw result, a Deferred of it when
        it waits for the writer gate, or None when it must go to the thread pool
        (``inline_writes.py``: why and when this is safe).

        It runs only inside a client's transaction: a write outside one commits at once, and
        its commit may checkpoint (which fsyncs), so it stays in the pool, as do the reads
        after it while it is there; a transaction's COMMIT is judged on its own
        (`_short_commit`).  It never blocks: when another session of this process holds the
        writer gate it waits in the gate's queue (`_wait_for_gate`), and SQLite's busy timeout
        is off, so when another process holds SQLite's write lock it fails at once with
        SQLITE_BUSY, before touching anything (`_write_entered`).
        """
        if not self.threaded or self._lost or self._pending or not self._wal:
            return None
        conn = self._conn
        if conn is None or not conn.in_transaction or self._ddl_in_transaction:
            return None
        if not self._verdicts.bounded(run.plan.statements[0], run.schema):
            return None
        gate = self.database.writers
        held = gate.holds(self)
        if not gate.try_enter(self):
            return self._wait_for_gate(run)
        return self._write_entered(run, held=held)

    def _write_entered(
        self,
        run: _Run,
        *,
        held: bool,
    ) -> tuple[list[Any], int] | None:
        """`_write_inline` once this session holds the writer gate (``held``: it did before
        this statement).  A write that fails because it would have waited for SQLite's lock,
        or on a constraint, while the connection is still in its transaction (SQLite undid the
        statement only), returns None: it runs again in the pool, which waits, and words a
        constraint error with its details, as before.  The gate is let go as the pool's `_run`
        would (kept while the session's transaction may hold SQLite's lock)."""
        gate = self.database.writers
        lock = self._lock
        if not lock.acquire(blocking=False):
            if not held:
                gate.leave(self)
            return None
        try:
            conn = self._connection()
            guard = self._guard
            assert guard is not None
            statement = run.plan.statements[0]
            keep = False
            with guard.for_write():
                try:
                    found = self._run_locked(run, diagnose=False)
                    keep = conn.in_transaction
                except PostgresError as error:
                    violated = error.sqlstate.startswith("23")
                    if (violated or error.sqlstate in _NOT_LOCKED) and conn.in_transaction:
                        # A statement that failed on a constraint may have taken SQLite's
                        # lock for the transaction (as the pool's `_run`, keep the gate);
                        # one that could not take it did not.
                        keep = held or violated
                        return None
                    keep = error.sqlstate not in _NOT_LOCKED and conn.in_transaction
                    raise
                finally:
                    if not keep:
                        gate.leave(self)
                    if guard.gave_up:
                        self._verdicts.outgrown(statement, run.schema)
            self._bounded_writes += 1
            return found
        finally:
            lock.release()

    def _wait_for_gate(
        self,
        run: _Run,
    ) -> tuple[list[Any], int] | Deferred[tuple[list[Any], int]] | None:
        """Wait, without blocking the reactor thread, for the writer gate another session of
        this process holds (`WriterGate.queue`: in turn with writers waiting in worker
        threads), then run the write (`_write_entered`, or in the pool if it cannot run here
        after all).  As in a worker thread (`_enter_gate`), the wait ends with 55P03 after the
        busy timeout, and a cancel ends it (the server answers 57014); nothing else of the
        session runs meanwhile (`_pending`)."""
        reactor = self._the_reactor()
        gate = self.database.writers
        pool: list[Deferred[Any]] = []

        def cancel(_: Deferred[Any]) -> None:
            if pool:
                pool[0].cancel()
            elif timer.active():
                timer.cancel()
                gate.withdraw(queued)
                self._pending -= 1

        result: Deferred[tuple[list[Any], int]] = Deferred(canceller=cancel)

        def deliver(outcome: Any) -> None:
            if not result.called:
                result.callback(outcome)

        def fail_with(failure: Any) -> None:
            if not result.called:
                result.errback(failure)

        def expire() -> None:
            gate.withdraw(queued)
            self._pending -= 1
            fail_with(self._lock_timeout(run.plan, run.sql, run.schema))

        def woken() -> None:
            if not timer.active():
                return  # it stopped waiting (`withdraw` handed the gate on)
            timer.cancel()
            self._pending -= 1
            if self._lost:
                gate.leave(self)
                fail_with(PostgresError("the connection to the SQLite database is closed", "08003"))
                return
            try:
                found = self._write_entered(run, held=False)
            except Exception:  # noqa: BLE001 - whatever it is, the client must get an answer
                fail_with(Failure())
                return
            if found is not None:
                deliver(found)
                return
            self._bounded_writes += 1
            self._bounded_pool_writes += 1
            pool.append(self._call(self._run, run))
            pool[0].addCallbacks(deliver, fail_with)

        ticket = gate.queue(self, lambda: reactor.callFromThread(woken))
        if ticket is None:  # let go meanwhile: this session holds it now
            return self._write_entered(run, held=False)
        queued = ticket
        self._pending += 1
        timer = reactor.callLater(self.database.busy_timeout, expire)
        return result

    def _bounded(self, plan: Plan, schema: Schema) -> bool:
        """Whether ``plan`` (a write candidate) was found bounded before, without compiling
        it now (for `_short_commit`'s count of a write that runs in the pool)."""
        return self._wal and self._verdicts.known(plan.statements[0], schema)

    def _close(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            conn.close()
        self.database.writers.leave(self)

    # -- helpers: schema and catalog ------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            if self._lost or self._context is None:
                raise PostgresError("the connection to the SQLite database is closed", "08003")
            return self._open()
        return self._conn

    def _open(self) -> sqlite3.Connection:
        """Open the session's sqlite3 connection, on first use rather than at connect: an idle
        client then costs no SQLite memory and no file descriptors."""
        assert self._context is not None
        conn = self.database.connect()
        register_functions(conn, self._context)
        register_pg_notify(conn, self.session, self._context)
        conn.set_authorizer(self._note_compile)
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        self._wal = str(mode).lower() == "wal"
        self._conn = conn
        self._cursor = conn.cursor()
        self._guard = InlineGuard(conn, self.database.busy_timeout)
        if self.threaded:
            reactor = self._the_reactor()

            def in_thread(function: Callable[[], None]) -> Deferred[None]:
                return threads.deferToThreadPool(reactor, reactor.getThreadPool(), function)

            self._hold = ReadHold(
                conn, self.database.path, reactor, lambda: self.database.empty_wal(in_thread)
            )
        return conn

    def _note_compile(self, action: int, *_: Any) -> int:
        """The connection's authorizer: SQLite compiles a statement; allow everything.
        BEGIN, COMMIT and ROLLBACK read no schema (and the read transaction held between
        reads compiles them: ``readhold.py``), so they do not count."""
        if action != sqlite3.SQLITE_TRANSACTION:
            self._compiled = True
        return sqlite3.SQLITE_OK

    def _schema(self) -> Schema:
        """The schema this session sees: the shared one, or its own while its transaction
        holds uncommitted DDL."""
        conn = self._connection()
        if self._ddl_in_transaction:
            if self._private is None:
                with self._lock:
                    self._private = reflect(conn)
                self._private_version = self.database.private_version()
            return self._private
        return self.database.schema()

    def _is_catalog_query(self, sql: str, schema: Schema) -> bool:
        """Whether the catalog emulation answers ``sql``.  Which statements it claims depends
        on the sequences of the schema it describes (it answers queries of sequences alone),
        so a claim of a catalog loaded with another schema is checked again with ``schema``
        loaded; a statement it does not claim needs no loading (queries of sequences created
        since are answered here as well: ``sequence_state.py``)."""
        assert self._feed is not None, "connection_made was not called"
        feed = self._feed
        if not feed.catalog.handles(sql) or not needs_catalog(sql):
            return False
        return feed.loaded is schema or self._catalog(schema).handles(sql)

    def _catalog(self, schema: Schema) -> Catalog:
        """The catalog describing ``schema`` (loading it costs a moment: only when needed)."""
        assert self._feed is not None, "connection_made was not called"
        return self._feed.use(schema)

    def _plan(self, sql: str, param_oids: Sequence[int], schema: Schema) -> Plan:
        version = self.database.schema_version if self._private is None else self._private_version
        return self.database.plans.plan(sql, param_oids, schema, version)

    def _prepared(self, sql: str, param_oids: Sequence[int], schema: Schema) -> Prepared | None:
        """The statement translated and prepared for running (``sqlite/prepared.py``); None for
        a query the catalog emulation answers."""
        version = self.database.schema_version if self._private is None else self._private_version
        cache = self.database.prepared
        found = cache.get(sql, param_oids, version, schema)
        if found is not None:
            return found
        if self._is_catalog_query(sql, schema):
            return None
        plan = self.database.plans.plan(sql, param_oids, schema, version)
        found = prepare(plan, schema, self._result_columns(plan, schema))
        cache.put(sql, param_oids, version, found)
        return found

    def _statement(
        self,
        sql: str,
        params: Sequence[Any],
        param_oids: Sequence[int],
        schema: Schema,
        shaped: Any = _UNSHAPED,
    ) -> tuple[Prepared, Sequence[Any], Mapping[str, Any]] | None:
        """The statement prepared for running (None: the catalog answers it), the parameters
        to give its ``bind``, and the values its single-row INSERT gives its columns (for a
        unique violation's detail).  A text prepared before is taken as it is; a statement
        without parameters whose shape has an entry (``prepared.py``, `Shaped`) is the
        entry's; anything else is prepared text by text (`_prepared`)."""
        if not params and not param_oids:
            version = (
                self.database.schema_version if self._private is None else self._private_version
            )
            if self.database.prepared.get(sql, (), version, schema) is None:
                if shaped is _UNSHAPED:
                    shaped = shape(sql)
                found = self._shaped(sql, shaped, schema, version)
                if found is not None:
                    return found
        prepared = self._prepared(sql, param_oids, schema)
        if prepared is None:
            return None
        plan = prepared.plan
        return prepared, params, (_inserted(plan, params) if plan.inserted else {})

    def _shaped(
        self, sql: str, shaped: Any, schema: Schema, version: int
    ) -> tuple[Prepared, list[Any], Mapping[str, Any]] | None:
        """The statement from its shape's entry (``shaped``: ``literals.shape(sql)``), made now
        for the first statement of a shape (`_new_shape`); None when the shape has none (no
        literals, a catalog query, no exact template)."""
        if shaped is None:
            return None
        form, literals = shaped
        cache = self.database.prepared
        entry = cache.shape(form, (), version, schema)
        if entry is UNKNOWN_SHAPE:
            entry = self._new_shape(sql, schema, version)
            if entry is UNKNOWN_SHAPE:
                return None
            cache.put_shape(form, (), version, schema, entry)
        if entry is None:
            return None
        return entry.statement(literals)

    def _new_shape(self, sql: str, schema: Schema, version: int) -> Any:
        """The `Shaped` entry of the shape of ``sql`` (a statement without parameters) on
        ``schema``, None, or `UNKNOWN_SHAPE` when it cannot be made now (the connection is in
        use in a worker thread: the statement goes the general way and the next one of its
        shape tries again).

        A template that binds its literals is only used when SQLite compiles both its
        statement and ``sql``'s own (`_both_compile`): a statement SQLite refuses names the
        token it stopped at, and SQLite refuses parameters in a few places (``likelihood``'s
        second argument, ...), so a failing statement is left to fail as written."""
        if self._is_catalog_query(sql, schema):
            return None
        try:
            plan, template = self.database.plans.plan_and_template(sql, (), schema, version)
        except PostgresError:
            return None
        if template is None:
            return None
        if template.bound is not None:
            compiles = self._both_compile(template.bound, plan.statements[0])
            if compiles is None:
                return UNKNOWN_SHAPE
            if not compiles:
                template = replace(template, bound=None)
        return prepare_shape(template, schema, self._result_columns(plan, schema))

    def _both_compile(self, bound: str, written: str) -> bool | None:
        """Whether SQLite compiles (without running) both statements on this session's
        connection; None when the connection is busy in a worker thread.  Threaded, this runs
        in the reactor thread, so only in WAL mode, where reading the schema never waits for
        a lock (else the statements are taken as not compiling: filled in as text)."""
        if self._pending:
            return None
        conn = self._connection()
        if self.threaded and not self._wal:
            return False
        lock = self._lock
        if not lock.acquire(blocking=False):
            return None
        try:
            count = len(set(_BOUND_PARAMETER.findall(bound)))
            conn.execute("EXPLAIN " + bound, [None] * count).close()
            conn.execute("EXPLAIN " + written).close()
        except (sqlite3.Error, sqlite3.Warning, OverflowError):
            return False
        finally:
            lock.release()
        return True

    def _result_columns(self, plan: Plan, schema: Schema) -> tuple[ResultColumn, ...] | None:
        if plan.columns is None:
            return None
        needed = any(column.table or column.pg_type.user_kind for column in plan.columns)
        catalog = self._catalog(schema) if needed else None
        return tuple(_result_column(column, catalog) for column in plan.columns)

    # -- helpers: running ---------------------------------------------------------------------

    def _zone(self) -> Any:
        zone = getattr(self.session, "timezone", None)
        return zone if zone is not None else UTC

    def _prepare_context(self) -> FunctionContext:
        context = self._context
        assert context is not None
        context.error = None
        context.drawn.clear()
        context.notices.clear()
        context.zone = self._zone()
        conn = self._connection()
        if not conn.in_transaction:
            context.started = datetime.now(UTC)
        return context

    def _check(self, plan: Plan, schema: Schema) -> None:
        """Compile (not run) the statement, so that Parse reports unknown tables/columns."""
        conn = self._connection()
        context = self._prepare_context()
        statement = plan.statements[-1]
        with self._lock:
            try:
                conn.execute("EXPLAIN " + statement, [None] * len(plan.param_types)).close()
            except sqlite3.Error as error:
                raise postgres_error(error, statement, plan, schema, context.error) from None

    def _run(
        self,
        run: _Run,
    ) -> tuple[list[Any], int]:
        """Run the plan's statements (in a worker thread); (raw rows, rows affected).

        A statement that writes takes the writer gate first (``sqlite/writers.py``) and keeps
        it while its transaction lasts (`_transaction_locked` lets it go)."""
        plan = run.plan
        if plan.command not in _WRITES and not plan.changes_schema:
            with self._lock:
                return self._run_locked(run)
        writers = self.database.writers
        self._enter_gate(plan, run.sql, run.schema)
        keep = False
        try:
            with self._lock:
                found = self._run_locked(run)
            keep = self._connection().in_transaction
            return found
        except PostgresError as error:
            keep = error.sqlstate not in _NOT_LOCKED and self._connection().in_transaction
            raise
        finally:
            if not keep:
                writers.leave(self)

    def _enter_gate(self, plan: Plan, sql: str, schema: Schema) -> None:
        """Wait for the writer gate as SQLite's busy handler would have waited: up to the busy
        timeout (then 55P03, as SQLite's busy error), or until the statement is cancelled."""
        context = self._context
        assert context is not None
        timeout = self.database.busy_timeout
        if self.database.writers.enter(self, timeout, context.cancel_requested):
            return
        if context.cancel_requested():
            raise PostgresError("canceling statement due to user request", "57014")
        raise self._lock_timeout(plan, sql, schema)

    @staticmethod
    def _lock_timeout(plan: Plan, sql: str, schema: Schema) -> PostgresError:
        """The error of a write that waited for the lock as long as the busy timeout allows:
        SQLite's busy error's (55P03)."""
        busy = sqlite3.OperationalError("database is locked")
        busy.sqlite_errorcode, busy.sqlite_errorname = sqlite3.SQLITE_BUSY, "SQLITE_BUSY"
        return postgres_error(busy, sql, plan, schema)

    def _run_locked(
        self,
        run: _Run,
        *,
        diagnose: bool = True,
    ) -> tuple[list[Any], int]:
        """`_run`, the caller holding the connection's lock; ``diagnose``: find the row a
        constraint error was about (``violations.py``: it may scan tables)."""
        plan, bound, sql, schema, inserted = run
        conn = self._connection()
        context = self._prepare_context()
        if plan.restart_sequences:
            tables = {table.lower() for table in plan.tables}
            names = {
                name for name, (table, _) in schema.sequences.items() if table.lower() in tables
            }
            if plan.command == "TRUNCATE TABLE":
                self.database.sequences.restart(conn, names, tables)
            else:
                self.database.sequences.forget(conn, names, tables)
        context.owners = schema.sequences
        context.owner_types = schema.sequence_types
        several = len(plan.statements) > 1
        cursor = self._cursor
        assert cursor is not None
        opened = None
        try:
            if several:
                opened = "savepoint" if conn.in_transaction else "transaction"
                conn.execute(
                    f'SAVEPOINT "{_STATEMENT_SAVEPOINT}"' if opened == "savepoint" else "BEGIN"
                )
            for statement in plan.statements[:-1]:
                conn.execute(statement)
            cursor.execute(plan.statements[-1], bound)
            rows = cursor.fetchall() if plan.columns is not None else []
            count = cursor.rowcount
            if opened == "savepoint":
                conn.execute(f'RELEASE SAVEPOINT "{_STATEMENT_SAVEPOINT}"')
            elif opened == "transaction":
                conn.execute("COMMIT")
        except sqlite3.Error as error:
            self._undo(conn, opened)
            violations = None
            if diagnose and not several and plan.command in _WRITES:
                violations = Violations(conn, plan.statements[-1], bound, schema, context.drawn)
            raise postgres_error(
                error, sql, plan, schema, context.error, inserted, violations
            ) from None
        except OverflowError:
            self._undo(conn, opened)
            raise PostgresError("value out of range for a 64-bit integer", "22003") from None
        except PostgresError:
            self._undo(conn, opened)
            raise
        return rows, count

    @staticmethod
    def _undo(conn: sqlite3.Connection, opened: str | None) -> None:
        if opened == "savepoint":
            conn.execute(f'ROLLBACK TO SAVEPOINT "{_STATEMENT_SAVEPOINT}"')
            conn.execute(f'RELEASE SAVEPOINT "{_STATEMENT_SAVEPOINT}"')
        elif opened == "transaction" and conn.in_transaction:
            conn.execute("ROLLBACK")

    def _result(self, prepared: Prepared, found: tuple[list[Any], int]) -> QueryResult:
        """Typed rows and the command tag (in the reactor thread)."""
        rows, count = found
        plan = prepared.plan
        context = self._context
        if plan.notices or (context is not None and context.notices):
            self._send_notices(plan)
        if plan.changes_schema:
            if self._connection().in_transaction:
                self._ddl_in_transaction = True
                self._private = None
            else:
                self.database.schema_changed()
        if plan.explain:
            rows = [(_explain_line(row),) for row in rows]
        elif prepared.convert is not None:
            rows = prepared.convert(rows)
        affected = len(rows) if plan.columns is not None else max(count, 0)
        command = plan.command
        if command == "INSERT":
            tag = f"INSERT 0 {affected}"
        elif command in ("UPDATE", "DELETE", "SELECT"):
            tag = f"{command} {affected}"
        else:
            tag = command
        return QueryResult(prepared.columns, rows, tag, affected)

    def _send_notices(self, plan: Plan) -> None:
        """The notices the statement's translation left for the client (what a DROP ...
        CASCADE dropped with it, a skipped ALTER TABLE IF EXISTS ...), then those our SQL
        functions left while it ran (a skipped DROP SEQUENCE IF EXISTS ...), as PostgreSQL
        words them."""
        notice = getattr(self.session, "notice", None)
        if notice is None:  # embedded with a plain catalog session: no client to tell
            return
        ran: list[tuple[str, str | None]] = []
        if self._context is not None:
            ran, self._context.notices = self._context.notices, ran
        for message, detail in (*plan.notices, *ran):
            if detail:
                notice(message, "00000", detail=detail)
            else:
                notice(message, "00000")

    def _run_transaction(self, kind: str, statement: str) -> None:
        with self._lock:
            self._transaction_locked(kind, statement)

    def _transaction_locked(self, kind: str, statement: str) -> None:
        """`_run_transaction`, the caller holding the connection's lock; the writer gate is
        let go once no transaction is open."""
        conn = self._connection()
        if kind == "BEGIN":
            self._pool_calls_at_begin = self._pool_calls
            self._bounded_writes = self._bounded_pool_writes = 0
            if not conn.in_transaction:
                conn.execute(statement)
                assert self._context is not None
                self._context.started = datetime.now(UTC)
            return
        if not conn.in_transaction:
            self.database.writers.leave(self)
            return
        try:
            conn.execute(statement)
        except sqlite3.Error as error:
            if kind == "COMMIT" and conn.in_transaction:
                conn.execute("ROLLBACK")
            raise postgres_error(error, statement, None, Schema()) from None
        finally:
            if not conn.in_transaction:
                self.database.writers.leave(self)

    def _transaction_done(self, kind: str) -> None:
        if kind in ("COMMIT", "ROLLBACK"):
            if self._ddl_in_transaction:
                self.database.schema_changed()
            self._ddl_in_transaction = False
            self._private = None
        elif kind == "ROLLBACK TO":
            self._private = None


def _then(value: Any, function: Callable[[Any], Any]) -> Any:
    """``function(value)``, after the fact when ``value`` is a Deferred."""
    if isinstance(value, Deferred):
        return value.addCallback(function)
    return function(value)


def _inserted(plan: Plan, params: Sequence[Any]) -> dict[str, Any]:
    """The values a single-row INSERT gives its columns (for a unique violation's detail)."""
    return {
        column: (params[number - 1] if 0 < number <= len(params) else None) if number else value
        for column, number, value in plan.inserted
    }


def _given(param_oids: Sequence[int], index: int) -> int:
    oid = param_oids[index] if index < len(param_oids) else 0
    return 0 if oid == oids.UNKNOWN else oid


def _setting(session: Any, name: str) -> str | None:
    getter = getattr(session, "get_setting", None)
    return getter(name) if getter is not None else None


def _result_column(column: OutputColumn, catalog: Catalog | None) -> ResultColumn:
    """RowDescription's column: an enum's values are of the enum's type (the catalog knows its
    OID), a domain's of its base type, as PostgreSQL describes them."""
    oid = column.pg_type.oid
    user_type = column.pg_type.user_type
    if column.pg_type.user_kind == "e" and catalog is not None and user_type is not None:
        oid = catalog.type_oid("public", user_type) or oid
    table_oid = catalog.table_oid("public", column.table) if catalog and column.table else None
    return ResultColumn(
        column.name,
        oid,
        column.pg_type.typmod,
        table_oid or 0,
        column.attnum if table_oid else 0,
        type_size(oid),
    )


def _explain_line(row: Any) -> str:
    return str(row[-1])


def make_backend_factory(database: str = MEMORY) -> Callable[[], SQLiteBackend]:
    """The per-connection backend factory for ``database`` (``:memory:``: temporary)."""
    return SQLiteBackend.configure(database)
