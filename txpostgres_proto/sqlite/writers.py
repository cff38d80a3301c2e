"""One writer at a time per process, handed over the moment the previous one finishes.

SQLite lets one connection write at a time; another that wants to write waits in SQLite's busy
handler, which sleeps and polls with growing pauses (1 ms up to 100 ms: SQLite docs,
``sqlite3_busy_timeout``), so a session of this process waiting for another session of this
process wakes up long after that one committed.  `WriterGate` is taken before SQLite's own
lock by every statement that writes (``SQLiteBackend._run``) and kept, while the session's
transaction lasts, until COMMIT or ROLLBACK; a waiting writer is woken as soon as it is let go.

SQLite's locking stays the arbiter: the gate only orders the writers of one process, so several
processes serving one file (``--workers``) still wait for each other in SQLite's busy handler,
and a path that writes without the gate (COPY) is still correct.  Waiting for the gate counts
against the same busy timeout: when it runs out, the statement fails as SQLite's busy handler
would have made it fail (55P03).  A cancelled statement stops waiting (57014).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

__all__ = ["WriterGate"]

#: How often a waiting writer looks whether its statement was cancelled (seconds).
_CANCEL_POLL = 0.05


class WriterGate:
    """The writer of this process: whichever session holds the gate (module docstring)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: object | None = None

    def holds(self, session: object) -> bool:
        return self._holder is session

    def enter(
        self, session: object, timeout: float, cancelled: Callable[[], bool] | None = None
    ) -> bool:
        """Take the gate for ``session`` (at once when it holds it already), waiting up to
        ``timeout`` seconds; False when it did not come free in time.  Raises nothing: the
        caller decides what a timeout means.  ``cancelled`` is asked while waiting and ends the
        wait (False) when it says so."""
        with self._changed:
            if self._holder is None or self._holder is session:
                self._holder = session
                return True
            deadline = time.monotonic() + max(timeout, 0.0)
            while self._holder is not None:
                left = deadline - time.monotonic()
                if left <= 0 or (cancelled is not None and cancelled()):
                    return False
                self._changed.wait(min(left, _CANCEL_POLL))
            self._holder = session
            return True

    def leave(self, session: object) -> None:
        """Let the gate go, when ``session`` holds it, and wake a waiting writer."""
        if self._holder is not session:
            return
        with self._changed:
            if self._holder is session:
                self._holder = None
                self._changed.notify()
