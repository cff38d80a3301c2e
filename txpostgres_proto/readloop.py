"""Reading plain sockets in a batch per reactor wake-up, without the reactor's per-read cost.

For every readable socket the Twisted reactor runs its general dispatch: a logging context is
built and torn down (``log.callWithLogger``), the event bits are checked, then the transport's
``doRead`` calls its protocol.  For a small message that costs more than handling the message
itself: a server answering one small query, or the proxy relaying one, pays it on every read.

`ReadLoop` is one epoll set of its own, registered with the reactor as a single reader: the
transports adopted into it (`ReadLoop.adopt`) are read by `ReadLoop.doRead`, which takes every
ready socket of one wake-up and hands each ``recv`` straight to the receive function given for
it (and looks again while that keeps finding several ready sockets).  Only the reading moves:
writes, write buffering, closing and connection loss remain the transport's.  The transport's
``startReading``/``stopReading`` are redirected to this set, so everything that pauses or
resumes the transport (flow control, ``pauseProducing``, ``loseConnection``, connection loss)
keeps working unchanged.  End of file and socket errors are handed back to the reactor (the
transport reads again in the usual way, and reports the loss as usual).  `ReadLoop.release`
gives a transport back to the reactor for good: a server connection does so before
``startTLS``, whose bytes must then pass through the TLS engine.  Functions in `after_batch`
run after each batch: the proxy's multiplexer sends what one batch collected
(``proxy/multiplex.py``).

Adoption needs the epoll reactor (to know whether the transport is reading) and one of
Twisted's own TCP/UNIX socket connections without TLS (``direct_write.can_write_now``); any
other transport keeps the reactor's normal reading.  Used by the server (``server/``) for its
client connections and by the proxy (``proxy/``) for both of its sides.
"""

from __future__ import annotations

import select
import socket
import weakref
from collections.abc import Callable
from typing import Any, Final

from twisted.logger import Logger
from twisted.python.failure import Failure

from .direct_write import can_write_now

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


class _Reader:
    """One adopted transport: its socket, receive function, and redirected start/stop."""

    __slots__ = ("fd", "loop", "receive", "sock", "transport")

    def __init__(
        self, loop: ReadLoop, transport: Any, sock: socket.socket, receive: Callable[[bytes], None]
    ) -> None:
        self.loop = loop
        self.transport = transport
        self.sock = sock
        self.fd = sock.fileno()
        self.receive = receive

    def start_reading(self) -> None:
        self.loop._start(self)

    def stop_reading(self) -> None:
        self.loop._stop(self.fd)


def _reader_of(transport: Any) -> _Reader | None:
    """The `_Reader` ``transport`` is adopted by, if any."""
    owner = getattr(getattr(transport, "startReading", None), "__self__", None)
    return owner if isinstance(owner, _Reader) else None


class ReadLoop:
    """An epoll set of plain sockets, read as one reader of ``reactor`` (module docstring)."""

    _log = Logger()

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self._poller: select.epoll | None = None
        #: Readers being read here, by file descriptor.
        self._readers: dict[int, _Reader] = {}
        #: Every transport whose reading is redirected here (reading or paused).
        self._adopted: weakref.WeakSet[Any] = weakref.WeakSet()
        #: True while a batch is being read: what receive functions start then can wait for
        #: its end.
        self.reading = False
        #: Called after every batch (the proxy's multiplexer sends what the batch collected).
        self.after_batch: list[Callable[[], None]] = []

    def adopt(self, transport: Any, receive: Callable[[bytes], None]) -> bool:
        """Read ``transport`` here from now on, passing every chunk to ``receive``; False
        (nothing changed) when it cannot be.  Adopting a transport again only changes the
        function its chunks go to."""
        reader = _reader_of(transport)
        if reader is not None and reader.loop is self:
            reader.receive = receive
            return True
        if (
            reader is not None
            or not can_write_now(transport)
            or not _is_epoll_reactor(self.reactor)
            or not transport.connected
        ):
            return False
        if self._poller is None:
            self._poller = select.epoll()
            self.reactor.addReader(self)
        reader = _Reader(self, transport, transport.socket, receive)
        was_reading = reader.fd in self.reactor._reads  # noqa: SLF001 - the epoll reactor's fds
        self.reactor.removeReader(transport)
        transport.startReading = reader.start_reading
        transport.stopReading = reader.stop_reading
        self._adopted.add(transport)
        if was_reading:
            self._start(reader)
        return True

    def release(self, transport: Any) -> None:
        """Give ``transport``'s reading back to the reactor for good, reading or paused as it
        is here (nothing happens to a transport not adopted here)."""
        reader = _reader_of(transport)
        if reader is None or reader.loop is not self:
            return
        reading = self._readers.get(reader.fd) is reader
        self._stop(reader.fd)
        self._restore(transport)
        if reading and transport.connected and not transport.disconnecting:
            transport.startReading()

    def _start(self, reader: _Reader) -> None:
        if reader.fd not in self._readers and self._poller is not None:
            self._poller.register(reader.fd, select.EPOLLIN)
            self._readers[reader.fd] = reader

    def _stop(self, fd: int) -> None:
        if self._readers.pop(fd, None) is not None and self._poller is not None:
            try:
                self._poller.unregister(fd)
            except OSError:  # already closed: the kernel forgot it by itself
                pass

    def _restore(self, transport: Any) -> None:
        """Put the transport's own start/stop methods back."""
        self._adopted.discard(transport)
        del transport.startReading, transport.stopReading

    def _hand_back(self, reader: _Reader) -> None:
        """Let the reactor read the transport again (it then sees the end or error itself)."""
        self._stop(reader.fd)
        transport = reader.transport
        self._restore(transport)
        if transport.connected and not transport.disconnecting:
            transport.startReading()

    def close(self) -> None:
        """Give every socket back to the reactor and stop (the factory is stopping)."""
        if self._poller is not None:
            self.reactor.removeReader(self)
            self._shut()

    def _shut(self) -> None:
        reading = [reader.transport for reader in self._readers.values()]
        self._readers.clear()
        for transport in list(self._adopted):
            self._restore(transport)
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
        process then spends fewer trips round the reactor per message)."""
        for _ in range(_BATCHES_PER_WAKE):
            if self._poller is None:
                return
            events = self._poller.poll(0, _EVENTS_PER_BATCH)
            self._read(events)
            if len(events) < 2:
                return

    def _read(self, events: list[tuple[int, int]]) -> None:
        self.reading = True
        try:
            self._receive_all(events)
        finally:
            self.reading = False
        for hook in self.after_batch:
            try:
                hook()
            except Exception:  # noqa: BLE001 - as the reactor does: log and go on
                self._log.failure("after a read batch", failure=Failure())

    def _receive_all(self, events: list[tuple[int, int]]) -> None:
        readers = self._readers
        for fd, _ in events:
            reader = readers.get(fd)
            if reader is None:  # stopped by a socket handled earlier in this batch
                continue
            try:
                data = reader.sock.recv(_READ_SIZE)
            except (BlockingIOError, InterruptedError):
                continue
            except OSError:
                data = b""
            if not data:
                self._hand_back(reader)
                continue
            try:
                reader.receive(data)
            except Exception:  # noqa: BLE001 - as the reactor does: log, drop that connection
                self._log.failure("receiving failed", failure=Failure())
                reader.transport.abortConnection()

    def connectionLost(self, reason: Failure) -> None:  # noqa: N802 - Twisted API
        """The reactor dropped this reader (after an unexpected error): the sockets go back
        to it, so no connection is left unread."""
        self._shut()
