"""Which writes may run in the reactor thread: those SQLite itself compiles to bounded work.

A thread hand-off costs more than a single-row UPDATE, so the backend (``sqlite_backend.py``)
runs short writes in the reactor thread too, like plain reads (``inline.py``).  Writes need a
different rule from reads, because of what may happen to them there:

* **They are never aborted by a step budget.**  An INSERT, UPDATE or DELETE interrupted inside
  an explicit transaction (the progress handler returning non-zero is ``SQLITE_INTERRUPT``) may
  make SQLite roll the *whole* transaction back (SQLite docs, ``sqlite3_interrupt``; its VDBE
  treats an interrupted write like an I/O error), so an inline write cannot be given up on and
  retried.  Instead only writes whose work is bounded *by their shape* qualify, so there is
  nothing to abort: `bounded_program` reads the statement's compiled program (``EXPLAIN``) and
  accepts it only when

  - every opcode is one of a short list (`_STRAIGHT`, `_BRANCHES`, ``Goto``, ``Halt``,
    ``Init``) — seeks by key, column reads, arithmetic, record building, row and index inserts
    and deletes, foreign-key parent lookups — with no loops (``Next``/``Prev``/``Rewind``),
    no sorter, no ephemeral tables, no ``Clear`` (``DELETE FROM t`` without WHERE), and no
    ``Program``: a trigger, and a foreign key's ``ON DELETE/UPDATE`` action (``CASCADE``,
    ``SET NULL`` …), are sub-programs, so a table with either never qualifies;
  - its control flow is acyclic, so each opcode runs at most once: a lookup that is not by a
    unique key (several rows) needs a ``Next`` loop, and the checks of a child table without
    an index on its foreign key (``DELETE`` of a parent row scans it) need one too;
  - every function it calls is one of `_CHEAP_FUNCTIONS` (``now()``, our integer range check
    ``pg_int_range``, casts, ``lower`` …): not ``nextval`` (it runs SQL of its own, and on first
    use scans its column), not ``pg_sleep``, regular expressions or string builders.  This
    covers the statement, column defaults, CHECK constraints, generated columns and
    expression or partial indexes alike, since all of them are compiled into the program.

  So ``UPDATE t SET … WHERE pk = $1``, ``DELETE FROM t WHERE pk = $1`` and a single-row
  ``INSERT … VALUES`` qualify on tables without triggers and cascading foreign keys, and
  anything that may touch a number of rows not fixed by the statement does not.

  The program must be the one of the schema the statement will run on.  A connection
  compiles with the schema it last loaded, and only notices a change (another process's
  ``CREATE TRIGGER``, a new child table with ``ON DELETE CASCADE``) when a statement runs
  and checks the file's schema cookie; and a session's connection inside a transaction sees
  its snapshot's schema.  So `WriteVerdicts` compiles on a connection of its own, never in a
  transaction and without a statement cache, after running a statement that reads the schema
  table (which makes it load the schema again if it changed): its program is the one of the
  latest committed schema, which is the only one a write can run on (a write in an older
  snapshot fails with SQLITE_BUSY_SNAPSHOT, before doing anything).  The backend reads the
  schema version before every write and keeps verdicts per `Schema` object, so a change
  committed since gives new verdicts.  (A session whose own transaction changed the schema
  does not write inline at all.)  Statements that differ only in their literals (pgbench's
  simple protocol) share a verdict, since literals are loaded by straight-line opcodes and
  do not change the control flow.  Should a write still outrun the read's step budget (a
  schema changed between the check and the run, a misjudged statement), it is not aborted: it
  finishes, and its shape is never run inline again (`WriteVerdicts.outgrown`).

* **A write that would wait is refused before it did anything, then retried where it may
  wait.**  Inline the busy timeout is off, so a write that needs the write lock another
  connection (another process, or a COPY) holds fails at once with ``SQLITE_BUSY``, and one
  whose snapshot is older than the last commit with ``SQLITE_BUSY_SNAPSHOT``.  SQLite's docs
  ("Response To Errors Within A Transaction") list SQLITE_BUSY among the errors after which
  SQLite may have to roll back the whole transaction, depending on where it happened, and
  name ``sqlite3_get_autocommit`` as the way to tell.  In WAL mode (the backend only writes
  inline on a WAL database) both errors come from the first thing the program does,
  ``OP_Transaction`` taking the write lock, before any row is touched, and SQLite's VDBE
  forces a transaction rollback only for its "special" errors (out of memory, I/O error, disk
  full, interrupt), so only the statement, which had done nothing, is undone.  The backend
  checks anyway (``Connection.in_transaction`` is ``sqlite3_get_autocommit``) that the
  connection is still in its transaction before it retries the statement in a worker
  thread, which waits with the busy timeout (55P03 when it runs out), or fails with 40001,
  as before.  A constraint error is handled the same way (SQLite undid the statement; it
  runs again in a worker thread, which words the error with its ``Key (…)`` detail, work
  that may scan and so is not done in the reactor thread); its transaction keeps the writer
  gate, since the failed statement may have taken SQLite's lock for it.

* **The writer gate is never waited for in the reactor thread.**  A write takes it with
  ``WriterGate.try_enter`` (no wait, not even for the gate's mutex); when another session of
  this process holds it, the write waits in the gate's queue, first come first served with
  writers waiting in worker threads, as a callback rather than a blocked thread, and runs
  when the gate is handed to it, with the busy timeout (55P03) and cancel of a wait in a
  worker thread (``SQLiteBackend._wait_for_gate``).
"""

from __future__ import annotations

import functools
import re
import sqlite3
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from txpostgres_proto.sqlite.functions import FunctionContext, register_functions
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.translate import Plan

__all__ = ["WriteVerdicts", "bounded_program", "is_write_candidate", "verdicts_for"]

_WRITES: Final = frozenset({"INSERT", "UPDATE", "DELETE"})
#: Opcodes that run once and go on to the next one.
_STRAIGHT: Final = frozenset(
    {
        "Transaction", "Noop", "Explain", "Null", "SoftNull", "Integer", "Int64", "Real",
        "String8", "String", "Blob", "Variable", "Move", "Copy", "SCopy", "IntCopy",
        "Affinity", "TypeCheck", "RealAffinity", "Cast", "OpenRead", "OpenWrite", "Close",
        "DeferredSeek", "FinishSeek", "Rowid", "IdxRowid", "Column", "Add", "Subtract",
        "Multiply", "Divide", "Remainder", "Concat", "BitAnd", "BitOr", "BitNot", "ShiftLeft",
        "ShiftRight", "Not", "And", "Or", "IsTrue", "ZeroOrNull", "MakeRecord", "Delete",
        "Insert", "IdxInsert", "IdxDelete", "NewRowid", "HaltIfNull", "FkCounter", "CollSeq",
        "Function", "PureFunc", "AddImm",
    }
)  # fmt: skip
#: Opcodes that go on to the next one or jump to their P2.
_BRANCHES: Final = frozenset(
    {
        "IsNull", "NotNull", "SeekGE", "SeekGT", "SeekLE", "SeekLT", "IdxGT", "IdxGE",
        "IdxLT", "IdxLE", "SeekRowid", "NotExists", "NotFound", "Found", "NoConflict", "Eq",
        "Ne", "Lt", "Le", "Gt", "Ge", "If", "IfNot", "Once", "FkIfZero", "MustBeInt",
    }
)  # fmt: skip
#: Functions that take time in proportion to their arguments and run no SQL of their own.
_CHEAP_FUNCTIONS: Final = frozenset(
    {
        "pg_int_range", "pg_nonzero", "pg_numeric_div", "pg_cast", "now",
        "transaction_timestamp", "statement_timestamp", "clock_timestamp",
        "pg_localtimestamp", "pg_current_date", "pg_current_time", "current_user",
        "session_user", "current_database", "current_schema", "pg_octet_length",
        "gen_random_uuid", "uuid_generate_v4", "abs", "coalesce", "ifnull", "iif", "nullif",
        "lower", "upper", "length", "octet_length", "substr", "substring", "trim", "ltrim",
        "rtrim", "round", "typeof", "min", "max", "sign", "instr", "unicode",
    }
)  # fmt: skip
#: Strings, quoted identifiers (group 1), bare names and parameters (``?N``) and numbers of a
#: SQLite statement.
_TOKENS: Final = re.compile(
    r"'(?:[^']|'')*'|(\"(?:[^\"]|\"\")*\")|[A-Za-z_][\w$]*|\?\d*|\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"
)
#: Its string and number literals (a number not part of a name or parameter), and its quoted
#: identifiers (group 1, kept): statements alike but for the literals share a verdict.
_LITERALS: Final = re.compile(
    r"'(?:[^']|'')*'|(\"(?:[^\"]|\"\")*\")|(?<![\w$?])\d+(?:\.\d*)?(?:[eE][+-]?\d+)?"
)
#: Run before compiling: reads the schema table, so the connection reloads a changed schema.
_SCHEMA_PROBE: Final = "SELECT 1 FROM sqlite_master LIMIT 0"
#: Statement shapes remembered per database.
_VERDICTS: Final = 512


def is_write_candidate(plan: Plan) -> bool:
    """Whether ``plan`` is one INSERT, UPDATE or DELETE statement without RETURNING (so worth
    compiling to see whether it is bounded: `bounded_program`)."""
    return (
        plan.command in _WRITES
        and len(plan.statements) == 1
        and plan.columns is None
        and not plan.changes_schema
        and not plan.restart_sequences
        and not plan.explain
    )


def bounded_program(program: Iterable[Sequence[Any]]) -> bool:
    """Whether the rows of ``EXPLAIN`` (address, opcode, p1, p2, p3, p4 …) describe a program
    that runs each of its opcodes at most once and calls only cheap functions (module
    docstring)."""
    successors: dict[int, tuple[int, ...]] = {}
    previous = -1
    for row in program:
        address, opcode, p2, p4 = row[0], row[1], row[3], row[5]
        if address <= previous:
            return False  # a sub-program (trigger, foreign key action) follows
        previous = address
        if opcode in _STRAIGHT:
            if opcode in ("Function", "PureFunc") and not _cheap(p4):
                return False
            successors[address] = (address + 1,)
        elif opcode in _BRANCHES:
            successors[address] = (address + 1, p2) if p2 else (address + 1,)
        elif opcode in ("Goto", "Init"):
            successors[address] = (p2,)
        elif opcode == "Halt":
            successors[address] = ()
        else:
            return False
    return bool(successors) and _acyclic(successors)


def _cheap(p4: Any) -> bool:
    """Whether the function ``p4`` names (``name(arguments)``) is a cheap one."""
    return isinstance(p4, str) and p4.partition("(")[0].lower() in _CHEAP_FUNCTIONS


def _acyclic(successors: dict[int, tuple[int, ...]]) -> bool:
    """Whether no path from address 0 comes back to an address it passed (depth first)."""
    on_path: set[int] = set()
    done: set[int] = set()
    stack: list[tuple[int, int]] = [(0, 0)]
    on_path.add(0)
    while stack:
        address, index = stack[-1]
        following = successors.get(address)
        if following is None:
            return False  # a jump out of the program
        if index == len(following):
            stack.pop()
            on_path.discard(address)
            done.add(address)
            continue
        stack[-1] = (address, index + 1)
        target = following[index]
        if target in on_path:
            return False
        if target not in done:
            on_path.add(target)
            stack.append((target, 0))
    return True


@functools.lru_cache(maxsize=1024)
def shape_of(statement: str) -> str:
    """``statement`` with its string and number literals replaced by ``?`` (remembered: the
    simple protocol binds a statement's literals as parameters, so its text repeats)."""
    return _LITERALS.sub(_masked, statement)


def _parameter_count(statement: str) -> int:
    """How many parameters SQLite numbers in ``statement`` (``?N`` is the N-th, a bare ``?``
    the one after the largest so far)."""
    count = 0
    for found in _TOKENS.finditer(statement):
        token = found.group()
        if token[0] == "?":
            count = max(count, int(token[1:])) if len(token) > 1 else count + 1
    return count


def _masked(match: re.Match[str]) -> str:
    return match.group(1) or "?"


class WriteVerdicts:
    """Whether statements of a shape are bounded writes, per schema (module docstring).

    ``connect`` opens the connection that compiles them (on first use): one to the
    database with the session connections' settings and functions.  Used from the reactor
    thread only.
    """

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._conn: sqlite3.Connection | None = None
        self._verdicts: OrderedDict[str, tuple[Schema, bool]] = OrderedDict()

    def bounded(self, statement: str, schema: Schema) -> bool:
        """Whether ``statement`` compiles to a bounded program on the latest committed schema
        (``schema``: the caller's reflection of it), compiled the first time its shape is seen
        on it."""
        key = shape_of(statement)
        known = self._verdicts.get(key)
        if known is not None and known[0] is schema:
            self._verdicts.move_to_end(key)
            return known[1]
        try:
            conn = self._conn
            if conn is None:
                conn = self._conn = self._connect()
            conn.execute(_SCHEMA_PROBE).fetchall()
            parameters = [None] * _parameter_count(statement)
            verdict = bounded_program(conn.execute("EXPLAIN " + statement, parameters).fetchall())
        except (sqlite3.Error, sqlite3.Warning):
            return False  # not kept: the statement runs in the pool, which words any error
        self._verdicts[key] = (schema, verdict)
        if len(self._verdicts) > _VERDICTS:
            self._verdicts.popitem(last=False)
        return verdict

    def known(self, statement: str, schema: Schema) -> bool:
        """Whether ``statement`` was found bounded on ``schema`` (False when not yet known)."""
        known = self._verdicts.get(shape_of(statement))
        return known is not None and known[0] is schema and known[1]

    def outgrown(self, statement: str, schema: Schema) -> None:
        """``statement`` took longer than its shape promised: never run it inline again."""
        self._verdicts[shape_of(statement)] = (schema, False)

    def close(self) -> None:
        """Close the connection that compiles (opened again when needed)."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None


_BY_DATABASE: weakref.WeakKeyDictionary[Any, WriteVerdicts] = weakref.WeakKeyDictionary()


def verdicts_for(database: Any) -> WriteVerdicts:
    """The `WriteVerdicts` of ``database`` (an ``SQLiteDatabase``), made on first use; its
    connection is closed when the database is gone."""
    found = _BY_DATABASE.get(database)
    if found is None:
        found = _BY_DATABASE[database] = WriteVerdicts(functools.partial(_compiler, database))
        weakref.finalize(database, found.close)
    return found


def _compiler(database: Any) -> sqlite3.Connection:
    """A connection to ``database`` that compiles as the sessions' do (foreign keys on, our
    functions known), never waits for a lock, and caches no statement."""
    conn = sqlite3.connect(
        database.path, isolation_level=None, check_same_thread=False, timeout=0,
        cached_statements=0,
    )  # fmt: skip
    conn.execute("PRAGMA foreign_keys=ON")
    register_functions(conn, FunctionContext(database.sequences))
    return conn
