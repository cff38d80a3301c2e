"""Keeping a session's read transaction open between plain reads while nothing commits.

In autocommit SQLite starts and ends a read transaction around every statement; in WAL mode
that means taking and dropping a read lock in the ``-shm`` file (two ``fcntl`` calls) and
checking the file's size: for a primary-key lookup two thirds of SQLite's time.  A point lookup
run inside an open read transaction costs a third of one run on its own.

`ReadHold` keeps such a transaction (``BEGIN`` and the read that takes its snapshot) open after
a plain read (``inline.py``), and the next plain read runs in it *only while nothing has been
committed to the database since the snapshot was taken*, by any connection of any process.
That is told by the WAL-index header, the first 48 bytes of the ``-shm`` file that every
connection maps (SQLite's "WAL-mode File Format", section "The WAL-Index Format"): a commit
rewrites it (its change counter, last frame, checksums; a restarted WAL new salts), and it is
rewritten before the committing connection's COMMIT returns.  The header is read (through our
own read-only mapping of the file) *before* the snapshot is taken, so a commit that lands in
between makes the saved header old and the next read starts over: a held snapshot is never
older than the last commit a client could have seen acknowledged.  A torn read of a header
being rewritten differs from the saved one too, which only costs a fresh transaction.

A held read mark keeps SQLite's checkpoints from copying newer pages into the database file
and from restarting the WAL, and beginning and ending it costs two statements, so a session
only holds while the database is quiet: its last `QUIET_READS` reads found the header as it is
(nothing committed since).  After a commit reads run on their own, as before, until that many
have seen nothing committed.  Nor does it hold once the WAL has reached the size at which
SQLite checkpoints after each commit (``PRAGMA wal_autocheckpoint``, 1,000 pages by default):
then the checkpoint can finish and the next writer restart the WAL, which keeps it from growing
as it would if readers held on to it.  Under a steady stream of commits sessions thus mostly
read without holding, as before; a read-mostly load holds nearly always.

The backend lets the transaction go (`release`) before anything else it runs on the
connection — writes (which would fail with SQLITE_BUSY_SNAPSHOT on an old snapshot, and must
commit at once), transaction control, DDL, COPY, anything handed to a worker thread — and when
the session has been idle for a moment (`IDLE_SECONDS`, a reactor timer), because a held read
mark keeps SQLite's checkpoints from restarting the WAL.  While the session's own client has a
transaction open, nothing is held: its statements run in its transaction as before.

A database that has gone quiet with a long WAL (a bulk load just ended) would stay unheld:
no writer comes to restart the WAL.  So a session that finds it so tells the backend
(``long_wal``), which empties the WAL with a checkpoint of its own
(`SQLiteDatabase.empty_wal`); the header then changes, and the sessions hold again.

The same header tells the backend how long the WAL is (`ReadHold.wal_frames`), so that a
COMMIT it runs in the reactor thread is not the one that reaches ``wal_autocheckpoint`` and
checkpoints (``SQLiteBackend._commit_is_short``).

The ``-shm`` file exists, and keeps its first page, while any connection has the database open
in WAL mode (the session's own connection does while it holds), and SQLite allows leaving WAL
mode only to a connection with exclusive access, which our open connection prevents.
"""

from __future__ import annotations

import mmap
import os
import sqlite3
import struct
from collections.abc import Callable
from typing import Any

__all__ = ["CHECKPOINT_FRAMES", "IDLE_SECONDS", "QUIET_READS", "ReadHold", "wal_index_header"]

#: How long an unused held read transaction is kept, at least (and at most twice this).
IDLE_SECONDS = 0.05
#: Reads in a row that must find nothing committed before the session holds.
QUIET_READS = 2
#: The WAL-index header: two copies of 48 bytes; the first one is what readers check.
_HEADER_BYTES = 48
_MAPPED_BYTES = 2 * _HEADER_BYTES
#: ``iVersion`` of the WAL-index format SQLite writes (3.7.0 onwards), and ``isInit``'s offset.
_WAL_INDEX_VERSION = 3007000
_IS_INIT = 12
#: ``mxFrame``, the WAL's last frame (native byte order, as the whole wal-index).
_LAST_FRAME = struct.Struct("=I")
_LAST_FRAME_AT = 16
#: SQLite's default ``wal_autocheckpoint``: from this many frames on, commits checkpoint.
CHECKPOINT_FRAMES = 1000


def wal_index_header(database_path: str) -> mmap.mmap | None:
    """A read-only mapping of the WAL-index header of the database at ``database_path``, or
    None when there is no initialised one (not in WAL mode, or no connection has read yet)."""
    try:
        with open(database_path + "-shm", "rb") as shm:
            if os.fstat(shm.fileno()).st_size < _MAPPED_BYTES:
                return None
            mapped = mmap.mmap(shm.fileno(), _MAPPED_BYTES, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    (version,) = struct.unpack_from("=I", mapped, 0)
    if version != _WAL_INDEX_VERSION or mapped[_IS_INIT] != 1:
        mapped.close()
        return None
    return mapped


class ReadHold:
    """The held read transaction of one session's ``sqlite3`` connection (module docstring).

    Used from the reactor thread only, by a caller holding the connection (its lock, nothing
    of the session in a worker thread).  ``reactor`` gives the idle timer (``callLater``).
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        database_path: str,
        reactor: Any,
        long_wal: Callable[[], None] | None = None,
    ) -> None:
        self._conn = conn
        self._path = database_path
        self._reactor = reactor
        #: Told when a quiet database cannot be held because its WAL is long.
        self._long_wal = long_wal
        self._header: mmap.mmap | None = None
        #: The header when the held transaction began; None while nothing is held.
        self._seen: bytes | None = None
        #: The header at the last read run without holding, and how many reads in a row have
        #: found it so (holding needs `QUIET_READS`).
        self._last: bytes | None = None
        self._quiet = 0
        self._used = False
        self._timer: Any = None

    @property
    def held(self) -> bool:
        return self._seen is not None

    def enter(self) -> None:
        """Before a plain read: make sure that, if it runs in a held transaction, that one's
        snapshot is current.  The one held if nothing committed since; else a new one if the
        database is quiet; else none (the read then runs on its own), as when the client's own
        transaction is open or the header cannot be read."""
        seen = self._seen
        header = self._header
        if seen is not None:
            assert header is not None
            if header[:_HEADER_BYTES] == seen:
                self._used = True
                return
            self.release()
        conn = self._conn
        if conn.in_transaction:
            return
        if header is None:
            header = self._header = wal_index_header(self._path)
            if header is None:
                return
        seen = header[:_HEADER_BYTES]
        if seen != self._last:
            self._last = seen  # a commit since this session's last read: not quiet yet
            self._quiet = 0
            return
        self._quiet += 1
        if self._quiet < QUIET_READS:
            return
        if _LAST_FRAME.unpack_from(seen, _LAST_FRAME_AT)[0] >= CHECKPOINT_FRAMES:
            # Commits are checkpointing: let them finish and the next writer restart the WAL.
            # A quiet database has no next writer: ask for the WAL to be emptied.
            if self._long_wal is not None:
                self._long_wal()
            return
        conn.execute("BEGIN")
        self._seen = seen
        self._used = True
        if self._timer is None:
            self._timer = self._reactor.callLater(IDLE_SECONDS, self._tick)

    def wal_frames(self) -> int | None:
        """The WAL's last committed frame as the WAL-index header says (None when there is no
        header to read).  Read without a lock: a torn read gives a wrong number, which only
        matters to an estimate (``SQLiteBackend._commit_is_short``)."""
        header = self._header
        if header is None:
            header = self._header = wal_index_header(self._path)
            if header is None:
                return None
        return int(_LAST_FRAME.unpack_from(header, _LAST_FRAME_AT)[0])

    def release(self) -> None:
        """End the held transaction, if any (it only read: COMMIT just ends it)."""
        if self._seen is None:
            return
        self._seen = None
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()
        if self._conn.in_transaction:
            self._conn.execute("COMMIT")

    def close(self) -> None:
        """Release and forget the mapping (the connection is about to close)."""
        self.release()
        if self._header is not None:
            self._header.close()
            self._header = None

    def _tick(self) -> None:
        """The idle timer: let go of a transaction no read used since the last tick."""
        self._timer = None
        if self._seen is None:
            return
        if not self._used:
            self.release()
            return
        self._used = False
        self._timer = self._reactor.callLater(IDLE_SECONDS, self._tick)
