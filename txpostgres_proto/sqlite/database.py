"""The one SQLite database a server process serves, shared by all its connections.

Every client connection gets its own ``sqlite3`` connection to the same database file, so
sessions see each other's *committed* data and never each other's uncommitted changes, as in
PostgreSQL.  The file is put in WAL mode (SQLite docs, "Write-Ahead Logging"): readers never
block and are never blocked, and one writer at a time holds the write lock until its transaction
ends — SQLite serialises writers, which is the main difference from PostgreSQL's row locks.

``:memory:`` (the default) does not use SQLite's in-memory databases: a shared-cache memory
database (``file:…?mode=memory&cache=shared``) locks whole tables, gives SQLITE_LOCKED at once
instead of waiting (the busy timeout does not apply to it) and, to avoid that, tempts one into
``read_uncommitted``, i.e. dirty reads.  Instead the database lives in a temporary file that is
deleted when the server stops: it behaves exactly like a file database (WAL, snapshot reads,
busy timeout) and vanishes like a memory one.

Each connection reads the database file through a memory map (``PRAGMA mmap_size``, SQLite
docs "Memory-Mapped I/O"): a page is read from the operating system's page cache, which all
connections share, instead of being copied by a ``pread`` into each connection's own page
cache, which with many connections and random reads (point lookups) misses most of the time.
Pages still in the WAL are read as before.  The map is address space, not memory; SQLite
re-maps after another connection grows or truncates the file.

`SQLiteDatabase` also holds what the connections share: the sequences (``sequences.py``), the
writer gate (``writers.py``), the reflected schema (re-read after DDL, see `schema_version`),
the plan caches (``templates.py``, ``prepared.py``), and the catalog emulation fed from the
schema (`CatalogFeed`; the catalog serves every database name a client asks for, so one per
SQLite database is enough).
"""

from __future__ import annotations

import atexit
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from txpostgres_proto.catalog import Catalog
from txpostgres_proto.sqlite.functions import FunctionContext, register_functions
from txpostgres_proto.sqlite.prepared import PreparedCache
from txpostgres_proto.sqlite.reflect import Schema, reflect
from txpostgres_proto.sqlite.sequences import Sequences
from txpostgres_proto.sqlite.templates import TranslationCache
from txpostgres_proto.sqlite.writers import WriterGate

MEMORY = ":memory:"
#: Bytes of the database file each connection maps (the rest is read with ``pread``).
MMAP_SIZE = 1 << 30
#: `SQLiteDatabase.empty_wal`: tried at most this often; waits at most this long for locks.
WAL_RETRY_SECONDS = 1.0
WAL_WAIT_SECONDS = 0.1


class CatalogFeed:
    """The catalog emulation of a database, loaded with the schema it was last given.

    The catalog reads the sequences (``sequence_reads``): ``pg_sequences.last_value``,
    ``pg_sequence_last_value`` and queries of sequences alone, with the states the backend
    reads for each such query (``sequence_state.catalog_states``)."""

    def __init__(self, database_name: str, server_version: str | None) -> None:
        self.catalog = (
            Catalog(database_name, server_version, sequence_reads=True)
            if server_version
            else Catalog(database_name, sequence_reads=True)
        )
        #: The schema the catalog describes now.
        self.loaded: Schema | None = None

    def use(self, schema: Schema) -> Catalog:
        """The catalog, describing ``schema`` (reloaded only when it is another snapshot)."""
        if schema is not self.loaded:
            self.catalog.set_tables(
                schema.catalog_tables(), schema.catalog_types(), schema.catalog_sequences()
            )
            self.loaded = schema
        return self.catalog


class SQLiteDatabase:
    """A database file (or a temporary one for ``:memory:``) and the state its sessions share.

    ``busy_timeout`` is how long a statement waits for another connection's write lock before
    failing with 55P03 (SQLite's busy handler; it waits in the statement's worker thread).
    """

    def __init__(self, path: str = MEMORY, *, busy_timeout: float = 5.0) -> None:
        self.requested = path
        self.busy_timeout = busy_timeout
        self._tempdir: str | None = None
        if path == MEMORY:
            self._tempdir = tempfile.mkdtemp(prefix="txpg-sqlite-")
            self.path = os.path.join(self._tempdir, "memory.sqlite3")
            atexit.register(self.close)
        else:
            self.path = str(Path(path).expanduser())
        self.sequences = Sequences()
        #: The writer of this process (``writers.py``).
        self.writers = WriterGate()
        self.plans = TranslationCache()
        self.prepared = PreparedCache()
        #: Bumped whenever a committed schema change may have happened.
        self.schema_version = 0
        self._emptying = False
        self._emptied_at = -WAL_RETRY_SECONDS
        self._schema: Schema | None = None
        self._schema_seen = -1
        self._file_schema_version = -1
        self._private_versions = 0
        self._feed: CatalogFeed | None = None
        self._reflector: sqlite3.Connection | None = None
        setup = self.connect()
        try:
            setup.execute("PRAGMA journal_mode=WAL")
            self.sequences.create(setup)
        finally:
            setup.close()

    def connect(self) -> sqlite3.Connection:
        """A new connection with the settings every session needs.

        ``isolation_level=None``: no implicit transactions, the backend issues BEGIN/COMMIT
        itself.  ``check_same_thread=False``: statements run in worker threads, one at a time
        per connection.  Foreign keys are enforced and LIKE is case-sensitive, as in
        PostgreSQL.
        """
        conn = sqlite3.connect(
            self.path,
            isolation_level=None,
            check_same_thread=False,
            timeout=self.busy_timeout,
        )
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA case_sensitive_like=ON")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(f"PRAGMA mmap_size={MMAP_SIZE}")
        return conn

    def empty_wal(self, in_thread: Callable[[Callable[[], None]], Any]) -> None:
        """Empty the WAL (``PRAGMA wal_checkpoint(TRUNCATE)``) in a worker thread, unless that
        is under way or was tried less than `WAL_RETRY_SECONDS` ago: for a quiet database whose
        long WAL keeps its sessions from holding their reads (``readhold.py``).  The checkpoint
        waits at most `WAL_WAIT_SECONDS` for readers and writers, then gives up until the next
        try; writers wait for it no longer than that.  ``in_thread(function)`` runs
        ``function`` in a worker thread and returns a Deferred of its end."""
        now = time.monotonic()
        if self._emptying or now - self._emptied_at < WAL_RETRY_SECONDS:
            return
        self._emptying = True
        self._emptied_at = now

        def done(_: object) -> None:
            self._emptying = False

        in_thread(self._truncate_wal).addBoth(done)

    def _truncate_wal(self) -> None:
        conn = sqlite3.connect(self.path, timeout=WAL_WAIT_SECONDS, isolation_level=None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()

    def schema_changed(self) -> None:
        """A committed (or rolled back) DDL statement: reflect again on next use."""
        self.schema_version += 1

    def schema(self) -> Schema:
        """The committed schema, reflected again after a change.  Reflection uses a connection
        of its own that is never inside a transaction, so it sees the latest commit whatever the
        sessions' transactions see."""
        if self._reflector is None:
            self._reflector = self.connect()
            # Reading a view's columns compiles its definition, which may call our functions
            # (``pg_sleep``, ``now``): without them the view would look broken and be hidden.
            register_functions(self._reflector, FunctionContext(self.sequences))
        # Another process on the same file (a --workers sibling, any SQLite tool) may have
        # changed the schema: SQLite's own counter in the file header tells.
        file_version = self._reflector.execute("PRAGMA schema_version").fetchone()[0]
        if file_version != self._file_schema_version:
            self._file_schema_version = file_version
            self.schema_version += 1
        if self._schema is None or self._schema_seen != self.schema_version:
            self._schema_seen = self.schema_version
            self._schema = reflect(self._reflector)
        return self._schema

    def known_schema(self) -> Schema | None:
        """The schema as `schema` last reflected it when no change made in this process came
        since (None: call `schema`).  The database file is not asked, so a change made by
        another process is not seen: only a caller that notices such a change itself may use
        this (``SQLiteBackend._read_known``)."""
        return self._schema if self._schema_seen == self.schema_version else None

    def private_version(self) -> int:
        """A plan-cache version for a session's private schema (negative, never reused)."""
        self._private_versions -= 1
        return self._private_versions

    def catalog_feed(self, database_name: str, server_version: str | None) -> CatalogFeed:
        """The catalog emulation shared by this database's sessions (made on first use)."""
        if self._feed is None:
            self._feed = CatalogFeed(database_name, server_version)
        return self._feed

    def close(self) -> None:
        """Close the reflection connection; remove the temporary database of ``:memory:`` (a
        file database stays)."""
        if self._reflector is not None:
            self._reflector.close()
            self._reflector = None
        if self._tempdir is not None:
            shutil.rmtree(self._tempdir, ignore_errors=True)
            self._tempdir = None
