"""Several worker processes serving one set of listening sockets: using more than one core.

``twistd -n pgproto --workers N`` (and ``python -m txpostgres_proto --workers N``) runs a
supervisor (`WorkerSupervisor`) and N workers.  The supervisor binds every ``--listen``
endpoint, accepts the connections and hands each one to a worker, round robin, over a UNIX
socket pair (``SCM_RIGHTS``, ``workers_handoff.py``); the worker adopts it into an ordinary
`PostgresServerFactory` (``reactor.adoptStreamConnection``, ``workers_child.py``) and serves
it to the end.  The supervisor only accepts; all protocol work happens in the workers.

Why the supervisor accepts, rather than the workers accepting on a shared socket (inherited,
``reactor.adoptStreamPort``) or on sockets of their own (``SO_REUSEPORT``):

* balance: with a shared socket whichever worker wakes first takes the connections waiting in
  the queue, and ``SO_REUSEPORT`` spreads them by a hash of the addresses; both routinely put 7
  or more of 10 pooled connections on one of two workers (measured: 9/3 with pgbench -c 10),
  which leaves a core idle for as long as the pool lives.  Round robin gives 5/5;
* one bind, in the process the user started: ``tcp:0`` and UNIX sockets work, and "address in
  use" is reported at startup;
* a worker that crashes, starts or stops loses no waiting connection: the supervisor hands
  connections only to workers that said they are ready, and while none is, connections wait
  in the kernel's queue;
* the cost is one accept and one ``sendmsg`` in the supervisor per connection, not per query.

The supervisor also:

* restarts a worker that exits while the server is not stopping (after ``restart_delay``);
* relays control messages between workers over one pair of pipes per worker
  (``workers_control.py``): CancelRequests whose key the receiving worker does not own (the
  cancelling client opens a new connection, which may go to any worker) and committed NOTIFYs,
  so cancellation and LISTEN/NOTIFY work across workers;
* stops gracefully on SIGTERM or SIGINT: it stops accepting and sends SIGTERM to every worker,
  which lets running commands finish (up to ``drain_timeout`` seconds) and closes its
  connections (``workers_child.py``); workers still running ``drain_timeout + 5`` seconds later
  are killed.

Workers are started as ``python -m txpostgres_proto <the same options> --worker SPEC``
(`WorkerSpec` says which inherited descriptors are which), so a worker builds its factory from
the same options as a single-process server.  With the embedded SQLite backend and the
``:memory:`` default, every worker must see the same data: `shared_temporary_database` creates
one temporary database file for all of them, removed when the supervisor stops.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twisted.application.service import Service
from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.endpoints import serverFromString
from twisted.internet.error import ProcessDone
from twisted.internet.protocol import Factory, ProcessProtocol, Protocol
from twisted.logger import Logger
from twisted.python.failure import Failure

from .workers_control import ControlChannel, Message
from .workers_handoff import SEND_TIMEOUT, Acceptor, send_connection

__all__ = [
    "WorkerSpec",
    "WorkerSupervisor",
    "shared_temporary_database",
    "worker_command",
]

_log = Logger()
#: Descriptor numbers in a worker: control pipes first, then the listening sockets.
_CONTROL_OUT = 3  # worker -> supervisor
_CONTROL_IN = 4  # supervisor -> worker
_HANDOFF = 5  # connections, supervisor -> worker
#: Extra seconds the supervisor waits for workers after their drain timeout before killing.
_KILL_MARGIN = 5.0


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker inherited: its index and the descriptors of its control pipes and of its
    end of the connection hand-off socket."""

    index: int
    control_in: int
    control_out: int
    handoff: int

    def encode(self) -> str:
        """The ``--worker`` argument: ``index:in:out:handoff``."""
        return f"{self.index}:{self.control_in}:{self.control_out}:{self.handoff}"

    @classmethod
    def decode(cls, text: str) -> WorkerSpec:
        """Parse `encode`'s output (ValueError when it is something else)."""
        index, control_in, control_out, handoff = (int(part) for part in text.split(":"))
        return cls(index, control_in, control_out, handoff)


def shared_temporary_database() -> tuple[str, str]:
    """A new empty SQLite database file in WAL mode for all workers: (file path, its directory,
    which the caller removes when the server stops)."""
    directory = tempfile.mkdtemp(prefix="txpg-workers-")
    path = os.path.join(directory, "memory.sqlite3")
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
    finally:
        connection.close()
    return path, directory


class _ChildPipe:
    """The write side of a worker's control channel, as a transport for `ControlChannel`."""

    disconnecting = False  # read by LineOnlyReceiver

    def __init__(self, process: Any) -> None:
        self.process = process

    def write(self, data: bytes) -> None:
        self.process.writeToChild(_CONTROL_IN, data)

    def writeSequence(self, data: Sequence[bytes]) -> None:  # noqa: N802 - Twisted API
        self.write(b"".join(data))

    def loseConnection(self) -> None:  # noqa: N802 - Twisted API
        self.process.closeChildFD(_CONTROL_IN)


class _Worker(ProcessProtocol):
    """The supervisor's side of one worker process."""

    transport: Any  # IProcessTransport once spawned

    def __init__(self, supervisor: WorkerSupervisor, index: int, handoff: socket.socket) -> None:
        self.supervisor = supervisor
        self.index = index
        self.handoff = handoff
        self.channel = ControlChannel(self._on_message)
        self.ready = False
        self.ended: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.channel.makeConnection(_ChildPipe(self.transport))

    def childDataReceived(self, childFD: int, data: bytes) -> None:  # noqa: N803 - Twisted API
        if childFD == _CONTROL_OUT:
            self.channel.dataReceived(data)

    def _on_message(self, message: Message) -> None:
        if message["op"] == "ready":
            self.supervisor.worker_ready(self)
        else:
            self.supervisor.relay(self, message)

    def send(self, message: Message) -> None:
        if self.transport is not None and self.transport.pid is not None:
            self.channel.send(message)

    def signal(self, name: str) -> None:
        if self.transport is not None and self.transport.pid is not None:
            self.transport.signalProcess(name)

    def processEnded(self, reason: Failure) -> None:  # noqa: N802 - Twisted API
        self.ready = False
        self.channel.transport = None
        self.handoff.close()
        self.supervisor.worker_ended(self, reason)
        self.ended.callback(None)


class WorkerSupervisor(Service):
    """Open ``listen`` (Twisted endpoint strings), start ``count`` workers, keep them running,
    and hand every accepted connection to the next ready worker (round robin).

    ``worker_command`` is the command line of a worker without its ``--worker SPEC``
    argument.  ``cleanup_directory``, when given, is removed once every worker has stopped.
    """

    def __init__(
        self,
        listen: Sequence[str],
        count: int,
        worker_command: Sequence[str],
        *,
        reactor: Any,
        drain_timeout: float = 30.0,
        restart_delay: float = 1.0,
        cleanup_directory: str | None = None,
    ) -> None:
        if count < 1:
            raise ValueError("a server needs at least one worker")
        self.listen = tuple(listen)
        self.count = count
        self.worker_command = tuple(worker_command)
        self.reactor = reactor
        self.drain_timeout = drain_timeout
        self.restart_delay = restart_delay
        self.cleanup_directory = cleanup_directory
        self.workers: dict[int, _Worker] = {}
        self._ports: list[Any] = []
        self._acceptors: list[Acceptor] = []
        self._accepting = False
        self._next = 0
        self._stopping = False

    @property
    def ports(self) -> list[Any]:
        """The listening ports (their ``getHost()`` says where the server listens)."""
        return list(self._ports)

    def startService(self) -> None:  # noqa: N802 - Twisted API
        """Bind every endpoint (errors such as "address in use" are raised here), then start
        the workers; connections are accepted once a worker is ready for them."""
        for description in self.listen:
            port = self._bind(description)
            self._ports.append(port)
            self._acceptors.append(Acceptor(port.socket, self._dispatch))
        super().startService()
        for index in range(self.count):
            self._spawn(index)

    def _bind(self, description: str) -> Any:
        endpoint = serverFromString(self.reactor, description)
        bound: list[Any] = []
        failed: list[Failure] = []
        placeholder = Factory.forProtocol(Protocol)  # never used: the Acceptor accepts
        placeholder.noisy = False
        endpoint.listen(placeholder).addCallbacks(bound.append, failed.append)
        if failed:
            failed[0].raiseException()
        if not bound:
            raise ValueError(f"endpoint {description!r} does not listen synchronously")
        port = bound[0]
        port.stopReading()  # accepting is the Acceptor's job
        return port

    def _spawn(self, index: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        ours.settimeout(SEND_TIMEOUT)
        spec = WorkerSpec(index, _CONTROL_IN, _CONTROL_OUT, _HANDOFF)
        child_fds: dict[int, int | str] = {0: "w", 1: 1, 2: 2, _CONTROL_OUT: "r", _CONTROL_IN: "w"}
        child_fds[_HANDOFF] = theirs.fileno()
        argv = [*self.worker_command, "--worker", spec.encode()]
        worker = _Worker(self, index, ours)
        self.workers[index] = worker
        try:
            self.reactor.spawnProcess(
                worker, argv[0], argv, env=os.environ.copy(), childFDs=child_fds
            )
        finally:
            theirs.close()
        _log.info("started worker {index} (pid {pid})", index=index, pid=worker.transport.pid)

    def worker_ready(self, worker: _Worker) -> None:
        """The worker's reactor runs: give it connections from now on."""
        worker.ready = not self._stopping
        self._update_accepting()

    def _ready_workers(self) -> list[_Worker]:
        return [worker for worker in self.workers.values() if worker.ready]

    def _update_accepting(self) -> None:
        """Accept while some worker can take connections (otherwise they wait in the kernel's
        queue rather than being accepted and dropped)."""
        wanted = bool(self._ready_workers()) and not self._stopping
        if wanted != self._accepting:
            for acceptor in self._acceptors:
                if wanted:
                    self.reactor.addReader(acceptor)
                else:
                    self.reactor.removeReader(acceptor)
            self._accepting = wanted

    def _dispatch(self, connection: socket.socket) -> None:
        """Hand ``connection`` to the next ready worker; if one fails, try the others."""
        candidates = self._ready_workers()
        for attempt in range(len(candidates)):
            worker = candidates[(self._next + attempt) % len(candidates)]
            try:
                send_connection(worker.handoff, connection)
            except OSError as error:
                _log.warn(
                    "worker {index} did not take a connection: {error}",
                    index=worker.index,
                    error=error,
                )
                continue
            self._next = (self._next + attempt + 1) % len(candidates)
            return
        _log.warn("no worker could take a connection; closing it")

    def relay(self, sender: _Worker, message: Message) -> None:
        """Pass a cancel or notify message from one worker to all the others."""
        if message["op"] not in ("cancel", "notify"):
            _log.warn("unknown control message from worker {index}", index=sender.index)
            return
        for worker in self.workers.values():
            if worker is not sender:
                worker.send(message)

    def worker_ended(self, worker: _Worker, reason: Failure) -> None:
        if self.workers.get(worker.index) is worker:
            del self.workers[worker.index]
        self._update_accepting()
        if self._stopping:
            return
        clean = reason.check(ProcessDone) is not None
        _log.warn(
            "worker {index} exited ({how}); restarting it in {delay} s",
            index=worker.index,
            how="cleanly" if clean else reason.getErrorMessage(),
            delay=self.restart_delay,
        )
        self.reactor.callLater(self.restart_delay, self._respawn, worker.index)

    def _respawn(self, index: int) -> None:
        if not self._stopping and index not in self.workers:
            self._spawn(index)

    def stopService(self) -> Deferred[Any]:  # noqa: N802 - Twisted API
        """Stop accepting, ask every worker to finish its running commands and exit; kill
        those that take longer than ``drain_timeout`` plus a margin."""
        super().stopService()
        self._stopping = True
        self._update_accepting()
        for port in self._ports:
            port.stopListening()
        workers = list(self.workers.values())
        for worker in workers:
            worker.ready = False
            worker.signal("TERM")
        killer = self.reactor.callLater(self.drain_timeout + _KILL_MARGIN, self._kill, workers)
        done = DeferredList([worker.ended for worker in workers])

        def finished(result: object) -> object:
            if killer.active():
                killer.cancel()
            if self.cleanup_directory is not None:
                shutil.rmtree(self.cleanup_directory, ignore_errors=True)
            return result

        return done.addBoth(finished)

    def _kill(self, workers: Sequence[_Worker]) -> None:
        for worker in workers:
            if not worker.ended.called:
                _log.warn("worker {index} did not stop in time; killing it", index=worker.index)
                worker.signal("KILL")


def worker_command(argv: Sequence[str]) -> list[str]:
    """The command line of a worker: this Python running ``python -m txpostgres_proto`` with
    ``argv`` (the server's own options)."""
    return [sys.executable, "-m", "txpostgres_proto", *argv]
