"""One worker process of a multi-process server (the supervisor is in ``workers.py``).

A worker serves the connections the supervisor accepted and handed over (``workers_handoff.py``)
with an ordinary `PostgresServerFactory`; it tells the supervisor when its reactor runs, so no
connection is handed to a worker that is still starting.  Two of the factory's
shared objects are replaced by relaying variants so that the workers behave like one server:

* `RelayingCancelRegistry`: a CancelRequest (protocol section 55.2.9) arrives on a new
  connection, which the kernel may give to any worker.  When this worker does not own the key it
  passes the request to the supervisor, which hands it to every other worker;
* `RelayingNotificationHub`: a committed NOTIFY (section 55.2.7) is delivered to this worker's
  listeners and passed on, so listeners on every worker receive it.

Graceful stop (`WorkerService.stopService`, run on SIGTERM or when the supervisor goes away):
stop accepting, stop reading new queries, let every command in progress finish and send its
result, then close each connection with FATAL 57P01 ("terminating connection due to
administrator command", as PostgreSQL's fast shutdown does); connections still busy after
``drain_timeout`` seconds are aborted.  SIGINT is ignored: on Ctrl-C the whole process group gets
it, and the supervisor turns it into an orderly stop of every worker.
"""

from __future__ import annotations

import signal
import socket
import weakref
from typing import Any

from twisted.application.service import Service
from twisted.internet import stdio
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IAddress
from twisted.logger import Logger

from txpostgres_proto.protocol.errors import PostgresError

from .cancel import CancelRegistry
from .factory import PostgresServerFactory
from .notifications import NotificationHub
from .protocol import PostgresServerProtocol
from .workers_control import ControlChannel, Message
from .workers_handoff import Receiver

__all__ = [
    "RelayingCancelRegistry",
    "RelayingNotificationHub",
    "WorkerService",
    "is_idle",
]

#: How often a draining worker looks for connections whose command has finished.
_DRAIN_POLL = 0.02
_log = Logger()


class RelayingCancelRegistry(CancelRegistry):
    """A cancel registry that passes keys it does not own to the other workers."""

    def __init__(self, channel: ControlChannel) -> None:
        super().__init__()
        self._channel = channel

    def cancel(self, process_id: int, secret_key: bytes) -> bool:
        if super().cancel(process_id, secret_key):
            return True
        self._channel.send({"op": "cancel", "pid": process_id, "key": secret_key.hex()})
        return False

    def cancel_relayed(self, process_id: int, secret_key: bytes) -> bool:
        """A request another worker passed on: handled here or nowhere."""
        return super().cancel(process_id, secret_key)


class RelayingNotificationHub(NotificationHub):
    """A notification hub that also publishes this worker's NOTIFYs to the other workers."""

    def __init__(self, channel: ControlChannel) -> None:
        super().__init__()
        self._channel = channel

    def notify(self, process_id: int, channel: str, payload: str) -> None:
        super().notify(process_id, channel, payload)
        message = {"op": "notify", "pid": process_id, "channel": channel, "payload": payload}
        self._channel.send(message)

    def notify_relayed(self, process_id: int, channel: str, payload: str) -> None:
        """A NOTIFY committed on another worker: deliver to the listeners here only."""
        super().notify(process_id, channel, payload)


def is_idle(connection: PostgresServerProtocol) -> bool:
    """True when no command of ``connection`` is running (safe to close it).

    Reads the protocol's private state: the server protocol has no public "idle" flag yet.
    """
    return not (connection._busy or connection._running)  # noqa: SLF001


class WorkerService(Service):
    """Serve the connections handed over on ``handoff`` with ``factory``; talk to the
    supervisor over the pipes ``control_in`` and ``control_out`` (inherited descriptors)."""

    def __init__(
        self,
        factory: PostgresServerFactory,
        handoff: int,
        control_in: int,
        control_out: int,
        *,
        reactor: Any,
        drain_timeout: float = 30.0,
    ) -> None:
        self.factory = factory
        self.handoff = socket.socket(fileno=handoff)
        self.reactor = reactor
        self.drain_timeout = drain_timeout
        self._control_fds = (control_in, control_out)
        self.channel = ControlChannel(self._on_message, self._supervisor_gone)
        self.cancel_registry = RelayingCancelRegistry(self.channel)
        self.notifications = RelayingNotificationHub(self.channel)
        factory.cancel_registry = self.cancel_registry
        factory.notifications = self.notifications
        self._connections: weakref.WeakSet[PostgresServerProtocol] = weakref.WeakSet()
        self._receiver: Receiver | None = None
        self._build = factory.buildProtocol
        factory.buildProtocol = self._build_protocol  # type: ignore[method-assign]
        self._stopping: Deferred[None] | None = None
        self._deadline = 0.0
        self._stop_requested = False

    def _build_protocol(self, addr: IAddress | None) -> PostgresServerProtocol:
        connection = self._build(addr)
        self._connections.add(connection)
        return connection

    def startService(self) -> None:
        super().startService()
        self.factory.doStart()  # what a listening port does for its factory
        control_in, control_out = self._control_fds
        standard_io: Any = stdio.StandardIO  # the POSIX one: mypy sees the Windows signature
        standard_io(self.channel, stdin=control_in, stdout=control_out, reactor=self.reactor)
        self.reactor.callWhenRunning(self._running)

    def _running(self) -> None:
        """Install the signal handlers (after the reactor's own) and start taking connections."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, self._on_sigterm)
        if self._stopping is None:
            self._receiver = Receiver(
                self.handoff, self.factory, self.reactor, self._supervisor_gone
            )
            self.reactor.addReader(self._receiver)
            self.channel.send({"op": "ready"})

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.reactor.callFromThread(self._stop_reactor)

    def _supervisor_gone(self) -> None:
        self._stop_reactor()

    def _stop_reactor(self) -> None:
        """Stop once (SIGTERM and the supervisor's pipes closing may all ask)."""
        if self.reactor.running and not self._stop_requested:
            self._stop_requested = True
            self.reactor.stop()

    def _on_message(self, message: Message) -> None:
        op = message["op"]
        try:
            if op == "cancel":
                self.cancel_registry.cancel_relayed(
                    int(message["pid"]), bytes.fromhex(message["key"])
                )
            elif op == "notify":
                self.notifications.notify_relayed(
                    int(message["pid"]), str(message["channel"]), str(message["payload"])
                )
            else:
                _log.warn("unknown control message {op!r}", op=op)
        except (KeyError, ValueError, TypeError) as error:
            _log.warn("bad control message {message!r}: {error}", message=message, error=error)

    def stopService(self) -> Deferred[None]:
        super().stopService()
        if self._stopping is None:
            self._stopping = Deferred()
            if self._receiver is not None:
                self.reactor.removeReader(self._receiver)
                self._receiver = None
            self.handoff.close()
            for connection in list(self._connections):
                if connection.transport is not None:
                    connection.transport.pauseProducing()  # no new queries from now on
            self._deadline = self.reactor.seconds() + self.drain_timeout
            self._drain()
        return self._stopping

    def _drain(self) -> None:
        """Close idle connections; again shortly while some are busy; abort at the deadline."""
        late = self.reactor.seconds() >= self._deadline
        alive = False
        for connection in list(self._connections):
            transport = connection.transport
            if transport is None or not transport.connected or transport.disconnecting:
                continue
            if is_idle(connection):
                terminating = PostgresError(
                    "terminating connection due to administrator command", "57P01"
                )
                connection._send_fatal(terminating)  # noqa: SLF001 - no public close yet
            elif late:
                transport.abortConnection()
            else:
                alive = True
        if alive:
            self.reactor.callLater(_DRAIN_POLL, self._drain)
        elif self._stopping is not None:
            # Let the FATAL messages and FINs go out before the reactor stops.
            self.reactor.callLater(_DRAIN_POLL, self._stopped, self._stopping)

    def _stopped(self, stopping: Deferred[None]) -> None:
        self.factory.doStop()
        stopping.callback(None)
