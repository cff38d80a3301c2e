"""Reading the relayed sockets in a batch per reactor wake-up, without per-read dispatch cost.

For every readable socket the Twisted reactor runs its general dispatch: a logging context is
built and torn down (``log.callWithLogger``), the event bits are checked, then the transport's
``doRead`` calls its protocol.  That costs more than everything the relay itself does with a
small message, and a relayed transaction takes two reads.

`ReadLoop` is one epoll set of the proxy's own, registered with the reactor as a single reader:
sockets adopted into it (`adopt`) are read by `ReadLoop.doRead`, which takes every ready socket
of one wake-up and hands each ``recv`` straight to the relay's receive function (and looks
again while that keeps finding several ready sockets).  Only the reading moves: writes, write
buffering, closing and connection loss remain the transport's.
The transport's ``startReading``/``stopReading`` are redirected to this set, so everything
that pauses or resumes the transport (flow control, ``loseConnection``, connection loss) keeps
working unchanged.  End of file and socket errors are handed back to the reactor (the transport
reads again in the usual way, and reports the loss as usual).

Adoption needs the epoll reactor (to know whether the transport is reading) and a plain
TCP/UNIX socket (a TLS transport's bytes must go through the TLS engine); anything else keeps
the reactor's normal reading.
"""

from __future__ import annotations

import select
import socket
import weakref
from collections.abc import Callable
from typing import Any, Final

from twisted.logger import Logger
from twisted.python.failure import Failure

__all__ = ["ReadLoop"]

#: Bytes asked for per read (Twisted's own socket read size).
_READ_SIZE: Final = 65536
#: Sockets handled per batch, and batches per reactor wake-up at most: the rest of the
#: reactor (accepting, timers, TLS connections) is never starved.
_EVENTS_PER_BATCH: Final = 256
_BATCHES_PER_WAKE: Final = 4


def _is_epoll_reactor(reactor: Any) -> bool:
    """Whether ``reactor`` is Twisted's epoll reactor (whose reading state `adopt` reads)."""
    try:
        from twisted.internet.epollreactor import EPollReactor
    except ImportError:  # no epoll on this system
        return False
    return isinstance(reactor, EPollReactor)


class ReadLoop:
    """An epoll set of relayed sockets, read as one reader of ``reactor`` (module docstring)."""

    _log = Logger()

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self._poller: select.epoll | None = None
        #: Sockets being read here: fd -> (socket, receive function, transport).
        self._readers: dict[int, tuple[socket.socket, Callable[[bytes], None], Any]] = {}
        #: Every transport whose reading is redirected here (reading or paused).
        self._adopted: weakref.WeakSet[Any] = weakref.WeakSet()

    def adopt(
        self, transport: Any, sock: socket.socket | None, receive: Callable[[bytes], None]
    ) -> bool:
        """Read ``transport`` here from now on, passing every chunk to ``receive``; False
        (nothing changed) when it cannot be (``sock``: `writer.relay_socket`'s answer)."""
        if sock is None or not _is_epoll_reactor(self.reactor) or not transport.connected:
            return False
        if self._poller is None:
            self._poller = select.epoll()
            self.reactor.addReader(self)
        fd = sock.fileno()
        was_reading = fd in self.reactor._reads  # noqa: SLF001 - the epoll reactor's fd set
        self.reactor.removeReader(transport)

        def start_reading() -> None:
            self._start(fd, sock, receive, transport)

        def stop_reading() -> None:
            self._stop(fd)

        transport.startReading = start_reading
        transport.stopReading = stop_reading
        self._adopted.add(transport)
        if was_reading:
            start_reading()
        return True

    def _start(
        self, fd: int, sock: socket.socket, receive: Callable[[bytes], None], transport: Any
    ) -> None:
        if fd not in self._readers and self._poller is not None:
            self._poller.register(fd, select.EPOLLIN)
            self._readers[fd] = (sock, receive, transport)

    def _stop(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None and self._poller is not None:
            try:
                self._poller.unregister(fd)
            except OSError:  # already closed: the kernel forgot it by itself
                pass

    def _release(self, transport: Any) -> None:
        """Give ``transport``'s reading back to the reactor (its own start/stop methods)."""
        self._adopted.discard(transport)
        del transport.startReading, transport.stopReading

    def _hand_back(self, fd: int, transport: Any) -> None:
        """Let the reactor read ``transport`` again (it then sees the end or error itself)."""
        self._stop(fd)
        self._release(transport)
        if transport.connected and not transport.disconnecting:
            transport.startReading()

    def close(self) -> None:
        """Give every socket back to the reactor and stop (the proxy is stopping)."""
        if self._poller is not None:
            self.reactor.removeReader(self)
            self._shut()

    def _shut(self) -> None:
        reading = [entry[2] for entry in self._readers.values()]
        self._readers.clear()
        for transport in list(self._adopted):
            self._release(transport)
        for transport in reading:
            if transport.connected and not transport.disconnecting:
                transport.startReading()
        if self._poller is not None:
            self._poller.close()
            self._poller = None

    # -- IReadDescriptor -------------------------------------------------------------------

    def fileno(self) -> int:
        return -1 if self._poller is None else self._poller.fileno()

    def logPrefix(self) -> str:  # noqa: N802 - Twisted API
        return "ReadLoop"

    def doRead(self) -> None:  # noqa: N802 - Twisted API
        """Read every ready socket; look again at once while batches keep coming (a busy
        proxy then spends fewer trips round the reactor per relayed message)."""
        for _ in range(_BATCHES_PER_WAKE):
            if self._poller is None:
                return
            events = self._poller.poll(0, _EVENTS_PER_BATCH)
            self._read(events)
            if len(events) < 2:
                return

    def _read(self, events: list[tuple[int, int]]) -> None:
        readers = self._readers
        for fd, _ in events:
            entry = readers.get(fd)
            if entry is None:  # stopped by a socket handled earlier in this batch
                continue
            sock, receive, transport = entry
            try:
                data = sock.recv(_READ_SIZE)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                self._hand_back(fd, transport)
                continue
            try:
                receive(data)
            except Exception:  # noqa: BLE001 - as the reactor does: log, drop that connection
                self._log.failure("relay failed", failure=Failure())
                transport.abortConnection()

    def connectionLost(self, reason: Failure) -> None:  # noqa: N802 - Twisted API
        """The reactor dropped this reader (after an unexpected error): the sockets go back
        to it, so no connection is left unread."""
        self._shut()
