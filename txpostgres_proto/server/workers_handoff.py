"""Handing accepted connections from the supervisor to a worker process (``workers.py``).

The supervisor accepts on the listening sockets (`Acceptor`) and passes each new connection to
a worker over a UNIX ``SOCK_SEQPACKET`` socket pair as ``SCM_RIGHTS`` ancillary data
(``unix(7)``), one connection per packet whose body is the address family.  The worker
(`Receiver`) turns each descriptor into an ordinary Twisted connection of its factory with
``reactor.adoptStreamConnection``.

Both readers are plain ``IReadDescriptor`` objects added to the reactor: the sockets involved
carry no byte stream, so a Twisted transport would only get in the way.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from twisted.python.failure import Failure

__all__ = ["Acceptor", "Receiver", "send_connection"]

#: Connections accepted per wake-up, so one busy listener cannot starve the rest of the loop.
_ACCEPTS_PER_READ = 64
#: Descriptors read per wake-up on the hand-off socket.
_RECEIVES_PER_READ = 64
#: How long the supervisor waits for a worker's hand-off socket to have room.
SEND_TIMEOUT = 2.0
_log = Logger()


def send_connection(channel: socket.socket, connection: socket.socket) -> None:
    """Pass ``connection`` to the worker at the other end of ``channel`` (OSError when the
    worker is gone or stuck); the caller still closes its own copy."""
    socket.send_fds(channel, [str(int(connection.family)).encode()], [connection.fileno()])


class Acceptor:
    """Accept on ``listening`` whenever the reactor says it is readable; give each new
    connection to ``dispatch`` (which must not keep the socket object: it is closed after)."""

    def __init__(self, listening: socket.socket, dispatch: Callable[[socket.socket], None]):
        self.listening = listening
        self.dispatch = dispatch

    def fileno(self) -> int:
        return self.listening.fileno()

    def logPrefix(self) -> str:  # noqa: N802 - Twisted API
        return "Acceptor"

    def doRead(self) -> None:  # noqa: N802 - Twisted API
        for _ in range(_ACCEPTS_PER_READ):
            try:
                connection, _ = self.listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:  # e.g. EMFILE: try again on the next wake-up
                _log.warn("accept failed: {error}", error=error)
                return
            with connection:
                self.dispatch(connection)

    def connectionLost(self, reason: Failure) -> None:  # noqa: N802 - Twisted API
        pass


class Receiver:
    """The worker's end of the hand-off socket: adopt every connection that arrives into
    ``factory``; ``on_closed`` runs when the supervisor's end goes away."""

    def __init__(
        self, channel: socket.socket, factory: Any, reactor: Any, on_closed: Callable[[], None]
    ) -> None:
        channel.setblocking(False)
        self.channel = channel
        self.factory = factory
        self.reactor = reactor
        self.on_closed = on_closed

    def fileno(self) -> int:
        return self.channel.fileno()

    def logPrefix(self) -> str:  # noqa: N802 - Twisted API
        return "Receiver"

    def doRead(self) -> None:  # noqa: N802 - Twisted API
        for _ in range(_RECEIVES_PER_READ):
            try:
                body, fds, _, _ = socket.recv_fds(self.channel, 16, 1)
            except (BlockingIOError, InterruptedError):
                return
            if not body and not fds:
                self.reactor.removeReader(self)
                self.on_closed()
                return
            for fd in fds:
                try:
                    self.reactor.adoptStreamConnection(fd, int(body), self.factory)
                except (ValueError, OSError) as error:
                    _log.warn("cannot adopt a connection: {error}", error=error)
                finally:
                    os.close(fd)  # adoptStreamConnection made its own copy

    def connectionLost(self, reason: Failure) -> None:  # noqa: N802 - Twisted API
        pass
