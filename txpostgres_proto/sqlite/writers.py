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

Writers wait in one queue, first come first served, and `leave` hands the gate straight to the
first of them.  A writer waits either in a worker thread (`enter`, blocking) or, for a write run
in the reactor thread (``inline_writes.py``), which must never block, as a `Ticket` whose
``wake`` is called when the gate is handed to it (`queue`; `withdraw` when it stops waiting).
`try_enter` takes the gate without waiting at all, not even for the gate's own mutex: only when
it is free (or already the session's) and nobody is queued, so no writer overtakes another.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Ticket", "WriterGate"]

#: How often a waiting writer looks whether its statement was cancelled (seconds).
_CANCEL_POLL = 0.05


@dataclass(eq=False)
class Ticket:
    """A writer in the queue: its session, and what to call when the gate is handed to it
    (None: a worker thread waiting in `WriterGate.enter`)."""

    session: object
    wake: Callable[[], None] | None = None


class WriterGate:
    """The writer of this process: whichever session holds the gate (module docstring)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._holder: object | None = None
        self._queue: deque[Ticket] = deque()

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
            if self._holder is session:
                return True
            if self._holder is None and not self._queue:
                self._holder = session
                return True
            ticket = Ticket(session)
            self._queue.append(ticket)
            deadline = time.monotonic() + max(timeout, 0.0)
            while self._holder is not session:
                left = deadline - time.monotonic()
                if left <= 0 or (cancelled is not None and cancelled()):
                    self._queue.remove(ticket)
                    return False
                self._changed.wait(min(left, _CANCEL_POLL))
            return True

    def try_enter(self, session: object) -> bool:
        """Take the gate for ``session`` without waiting at all: True when it holds it now
        (it held it already, or the gate was free and nobody is queued for it)."""
        if self._holder is session:
            return True
        changed = self._changed
        if not changed.acquire(blocking=False):
            return False
        try:
            if self._holder is not None or self._queue:
                return False
            self._holder = session
            return True
        finally:
            changed.release()

    def queue(self, session: object, wake: Callable[[], None]) -> Ticket | None:
        """Queue ``session`` without blocking: None when it holds the gate now, else its
        ticket, and ``wake()`` is called (by whoever lets the gate go, in any thread) once
        the gate is handed to it."""
        with self._changed:
            if self._holder is session or (self._holder is None and not self._queue):
                self._holder = session
                return None
            ticket = Ticket(session, wake)
            self._queue.append(ticket)
            return ticket

    def withdraw(self, ticket: Ticket) -> None:
        """``ticket``'s writer stops waiting: out of the queue, or, when the gate was handed
        to it already, handed on."""
        with self._changed:
            if ticket in self._queue:
                self._queue.remove(ticket)
                return
        self.leave(ticket.session)

    def leave(self, session: object) -> None:
        """Let the gate go, when ``session`` holds it, handing it to the first writer queued."""
        if self._holder is not session:
            return
        wake = None
        with self._changed:
            if self._holder is not session:
                return
            self._holder = None
            if self._queue:
                ticket = self._queue.popleft()
                self._holder = ticket.session
                wake = ticket.wake
                if wake is None:
                    self._changed.notify_all()
        if wake is not None:
            wake()
