"""`ClientProtocol`: the Twisted protocol running a `SansIOClient` for one connection.

It is a thin adapter, in the style of ``twisted.web._http2`` around h2: ``dataReceived`` feeds
the sans-IO client and runs the ready loop, handing each event to the operation whose request
it answers; operations are written as soon as they are issued, so calls made without waiting
are pipelined on the wire and complete in the order they were made.

The seam for ``connect()``: construct ``ClientProtocol(user, database, password, reactor=...)``,
connect it to an already negotiated transport (plain TCP, or TLS after SSLRequest), and wait
for `when_ready`, which fires with the `Connection` once authentication succeeded and the
server sent its first ReadyForQuery (or fails with the server's error).  When the transport is
TLS, the server certificate's channel-binding hash is taken from it for SCRAM-SHA-256-PLUS.
``cancel_connector`` is how cancellation reaches the server: a callable taking a
CancelRequest and returning a Deferred that fires once it was delivered on a new connection.

Flow of operations:

* the write queue holds operations not yet written; they are written in order unless a
  *barrier* (a COPY FROM STDIN in progress) or a *cancel hold* (a cancel request in flight)
  stops it;
* `pause_reading` / `resume_reading` stop and restart both the transport and the event loop
  (row streaming and COPY TO consumers apply backpressure that way);
* when the connection ends — lost, closed by the server, a FATAL error, a malformed message —
  every pending operation fails (with the server's error when it sent one, otherwise
  `ConnectionClosedError`), never hangs;
* the common case has fast paths with the same outcome as the general machinery: an extended
  query on a described statement, issued while nothing waits to be written, is encoded and
  written at once (`enqueue`), and a read holding exactly one whole answer to such a
  query is handled as one `ExecutionCompleted` without the ready loop (`dataReceived`);
  pipelined answers, errors, notices, COPY and everything else go through `_pump`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from datetime import tzinfo
from typing import Any, Final

from cryptography.hazmat.primitives.serialization import Encoding
from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import ISSLTransport
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..direct_write import can_write_now, write_now
from ..protocol.auth import tls_server_end_point_hash
from ..protocol.client import NEED_DATA, SansIOClient
from ..protocol.client_events import (
    AuthenticationCompleted,
    ConnectionClosed,
    ExecutionCompleted,
)
from ..protocol.errors import PostgresError, ProtocolError
from ..protocol.messages import (
    CancelRequest,
    ErrorResponse,
    NoticeResponse,
    NotificationResponse,
    ParameterStatus,
)
from ..types import TypeRegistry, resolve_timezone
from .codecs import ClientCodecs
from .connection import Connection
from .errors import ConnectionClosedError, InterfaceError
from .notify import NoticeDispatcher, NotificationDispatcher
from .operations import Operation
from .statements import StatementCache

__all__ = ["CancelConnector", "ClientProtocol"]

#: Bytes asked for per socket read.
READ_SIZE: Final = 256 * 1024

CancelConnector = Callable[[CancelRequest], Deferred[Any]]

_FATAL = frozenset(("FATAL", "PANIC"))


def _session_zone(name: str) -> tzinfo | None:
    try:
        return resolve_timezone(name)
    except ValueError:
        return None


class ClientProtocol(Protocol):
    """One connection to a PostgreSQL server (see the module docstring)."""

    log = Logger()
    transport: Any  # TCP, UNIX or TLS: write, pause/resumeProducing, getPeerCertificate ...
    reactor: Any  # IReactorTime
    #: Take the fast paths of a serial query (see `enqueue` and `dataReceived`); False
    #: sends everything through the write queue and the ready loop (the tests compare both).
    fast_path: bool = True

    def __init__(
        self,
        user: str,
        database: str | None = None,
        password: str | bytes | None = None,
        *,
        reactor: Any,
        application_name: str | None = None,
        parameters: Mapping[str, str] | None = None,
        channel_binding: str = "prefer",
        tls_server_end_point: bytes | None = None,
        cancel_connector: CancelConnector | None = None,
        registry: TypeRegistry | None = None,
        statement_cache_size: int = 256,
    ) -> None:
        self.reactor = reactor
        self.client = SansIOClient(
            user,
            database,
            password,
            application_name,
            parameters=parameters,
            channel_binding=channel_binding,
            tls_server_end_point=tls_server_end_point,
            timezone_resolver=_session_zone,
        )
        self._binding_known = tls_server_end_point is not None
        self.cancel_connector = cancel_connector
        self.codecs = ClientCodecs(registry)
        self.statements = StatementCache(statement_cache_size)
        self.notifications = NotificationDispatcher()
        self.notices = NoticeDispatcher()
        self.connection: Connection | None = None
        self._ready_waiters: list[Deferred[Connection]] = []
        self._close_waiters: list[Deferred[None]] = []
        self._queue: deque[Operation] = deque()
        self._in_flight: deque[Operation] = deque()
        self._barrier: Operation | None = None
        self._cancel_holds = 0
        self._pauses: set[object] = set()
        self._pumping = False
        self._closing = False
        self._terminated = False
        self._on_complete: dict[Operation, Callable[[], None]] = {}
        self._ended: BaseException | None = None
        self._fatal: PostgresError | None = None
        #: Relay mode (see `relay_to`): who receives the raw bytes instead of the client core.
        self._relay: Protocol | None = None
        #: Whether the transport takes `write_now` (a socket connection without TLS).
        self._direct = False

    # ------------------------------------------------------------------ connect() seam

    def when_ready(self) -> Deferred[Connection]:
        """Fires with the `Connection` once start-up finished, or fails with the reason."""
        if self.connection is not None:
            return succeed(self.connection)
        waiter: Deferred[Connection] = Deferred()
        if self._ended is not None:
            waiter.errback(self._ended)
        else:
            self._ready_waiters.append(waiter)
        return waiter

    @property
    def ended(self) -> bool:
        """True once the connection is over (no operation can be issued any more)."""
        return self._ended is not None

    # ------------------------------------------------------------------ Twisted Protocol

    def connectionMade(self) -> None:
        # Pipelined requests end in small writes (a Sync): Nagle's algorithm would hold them
        # back until the previous segment is acknowledged.  libpq and asyncpg disable it too.
        if hasattr(self.transport, "setTcpNoDelay"):
            self.transport.setTcpNoDelay(True)
        if hasattr(self.transport, "bufferSize"):
            # Large results arrive faster than 64 KB reads (Twisted's default) take them: fewer,
            # larger reads cost less per row, and an idle connection holds no buffer.
            self.transport.bufferSize = READ_SIZE
        self._direct = can_write_now(self.transport)
        self.transport.write(self.client.do_startup())

    def relay_to(self, receiver: Protocol) -> None:
        """Relay mode, the proxy's seam: hand every later byte and the end to ``receiver``.

        Only for a connection that finished start-up and has nothing in flight: from now on
        the client state machine is bypassed, ``receiver.dataReceived`` gets the server's raw
        bytes and ``receiver.connectionLost`` the end; the caller writes to `transport`.
        """
        self._relay = receiver

    def dataReceived(self, data: bytes) -> None:
        if self._relay is not None:
            self._relay.dataReceived(data)
            return
        if self._ended is not None:
            return
        if not self._binding_known:
            self._learn_channel_binding()
        client = self.client
        client.receive_bytes(data)
        if self.fast_path and not self._pauses and not self._pumping:
            # Fast path: the read holds exactly one whole answer to a serial query.
            try:
                response = client.next_sole_execution()
            except ProtocolError as error:
                self._protocol_failure(error)
                return
            except Exception as error:  # a column decoder rejected a value
                self._decode_failure(error)
            else:
                if response is not None:  # what `_pump` does with it, and then NEED_DATA
                    request, event = response
                    operation: Operation = request.owner
                    try:
                        operation.on_execution_completed(event)
                    except Exception as error:
                        if operation.error is None:
                            operation.error = error
                    if request.outstanding == 0 and request is operation.request:
                        if not operation.sending:
                            self._complete(operation)
                    return
        self._pump()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if self._relay is not None:
            self._relay.connectionLost(reason)
        if self._ended is None:
            self.client.receive_bytes(b"")
            self._pump()
        why = reason.getErrorMessage()
        error = self._ended or ConnectionClosedError(f"connection to the server lost: {why}")
        self._end(error)
        waiters, self._close_waiters = self._close_waiters, []
        for waiter in waiters:
            waiter.callback(None)

    def _learn_channel_binding(self) -> None:
        # Called when the server's first bytes arrive: a TLS handshake is complete by then.
        self._binding_known = True
        if not ISSLTransport.providedBy(self.transport):
            return
        certificate = self.transport.getPeerCertificate()
        if certificate is None:
            return
        try:
            der = certificate.to_cryptography().public_bytes(Encoding.DER)
            data = tls_server_end_point_hash(der)
        except ValueError:
            return  # a signature algorithm without a hash: no binding, as libpq does
        self.client.set_tls_server_end_point(data)

    # ------------------------------------------------------------------ ready loop

    def _pump(self) -> None:
        if self._pumping:
            return
        self._pumping = True
        client = self.client
        next_response = client.next_response
        try:
            while not self._pauses and self._ended is None:
                try:
                    item = next_response()
                except ProtocolError as error:
                    self._protocol_failure(error)
                    return
                except Exception as error:  # a column decoder rejected a value
                    self._decode_failure(error)
                    continue
                if item is NEED_DATA:
                    break
                request, event = item  # type: ignore[misc]
                if request is None:
                    if type(event) is ConnectionClosed:
                        break
                    self._session_event(event)
                    continue
                operation: Operation = request.owner
                kind = type(event)
                try:
                    if kind is ExecutionCompleted:
                        operation.on_execution_completed(event)
                    else:
                        operation.handle(event)
                except Exception as error:
                    if operation.error is None:
                        operation.error = error
                if kind is ErrorResponse and event.severity in _FATAL:
                    self._fatal = PostgresError.from_fields(event.fields)
                if request.outstanding == 0 and request is operation.request:
                    if not operation.sending:
                        self._complete(operation)
        finally:
            self._pumping = False
        if self._ended is None:
            data = client.data_to_send()
            if data:
                self._write(data)

    def _decode_failure(self, error: Exception) -> None:
        request = self.client.current_request
        if request is not None and request.owner.error is None:
            request.owner.error = error

    def _session_event(self, event: Any) -> None:
        kind = type(event)
        if kind is NotificationResponse:
            self.notifications.dispatch(event)
        elif kind is NoticeResponse:
            self.notices.dispatch(event)
        elif kind is ParameterStatus:
            if event.name == "TimeZone":
                self.codecs.set_timezone(self.client.timezone)
        elif kind is AuthenticationCompleted:
            self._started()
        elif kind is ErrorResponse:  # outside any request: the server is going away
            error = PostgresError.from_fields(event.fields)
            if event.severity in _FATAL:
                self._fatal = error
            else:
                self.log.warn("PostgreSQL error outside any request: {error}", error=error)

    def _started(self) -> None:
        self.codecs.set_timezone(self.client.timezone)
        self.connection = Connection(self)
        waiters, self._ready_waiters = self._ready_waiters, []
        for waiter in waiters:
            waiter.callback(self.connection)
        self._drain()

    def _complete(self, operation: Operation) -> None:
        in_flight = self._in_flight
        if in_flight and in_flight[0] is operation:
            in_flight.popleft()
        else:
            in_flight.remove(operation)
        if self._barrier is operation:
            self._barrier = None
        operation.finish()
        if operation.request is not None:  # not re-queued for a retry
            operation.detach()
        if self._on_complete:
            after = self._on_complete.pop(operation, None)
            if after is not None:
                after()
        if in_flight and in_flight[0].cancel_when_running:
            head = in_flight[0]
            head.cancel_when_running = False
            self._send_cancel(head)
        if self._queue or self._closing:
            self._drain()

    # ------------------------------------------------------------------ issuing operations

    def enqueue(self, operation: Operation, timeout: float | None = None) -> Deferred[Any]:
        """Queue ``operation`` for writing; its Deferred fires with the result."""
        if self._ended is not None:
            operation.fail(ConnectionClosedError("the connection is closed"))
        elif self._closing:
            operation.fail(InterfaceError("the connection is closing"))
        else:
            if timeout is not None:
                self._arm_timeout(operation, timeout)
            data = None
            if not (
                self._queue
                or not self.fast_path
                or self._barrier is not None
                or self._cancel_holds
                or self.connection is None
                or self.statements.to_close
            ):
                # Fast path of `_drain`: an operation that is one pre-encoded Bind/Execute/Sync
                # (`Operation.execution_data`) is submitted and written at once.
                try:
                    data = operation.execution_data()
                except Exception:
                    pass  # `_drain` builds its messages again and fails it the usual way
            if data is None:
                self._queue.append(operation)
                self._drain()
            else:
                operation.request, data = self.client.send_execution(
                    data, operation, operation.row_decoder, operation.combine
                )
                self._in_flight.append(operation)
                if self.transport is not None:  # what `_write` does
                    if self._direct:
                        write_now(self.transport, data)
                    else:
                        self.transport.write(data)
        return operation.deferred

    def submit_more(self, operation: Operation, messages: list[Any]) -> None:
        """Write further messages of an operation already in flight (executemany chunks)."""
        request = self.client.submit(messages, operation, quiet=operation.quiet)
        operation.submitted(request)
        self._write(self.client.data_to_send())

    def release_barrier(self, operation: Operation) -> None:
        """``operation`` wrote its last message: later operations may follow it on the wire."""
        if self._barrier is operation:
            self._barrier = None
            self._drain()

    def retry(self, operation: Operation) -> None:
        """Write ``operation`` again, ahead of anything queued (see ExtendedQuery)."""
        self._queue.appendleft(operation)

    def nothing_in_flight(self) -> bool:
        return not self._in_flight

    def _arm_timeout(self, operation: Operation, timeout: float) -> None:
        def expire() -> None:
            operation.cancel_reason = f"canceling statement due to client timeout ({timeout:g} s)"
            operation.deferred.cancel()

        call = self.reactor.callLater(timeout, expire)

        def disarm(result: Any) -> Any:
            if call.active():
                call.cancel()
            return result

        operation.deferred.addBoth(disarm)

    def _drain(self) -> None:
        """Write queued operations, in order, while nothing holds the queue."""
        if self.connection is None or self._ended is not None:
            return
        client = self.client
        queue = self._queue
        while queue and self._barrier is None and not self._cancel_holds:
            operation = queue.popleft()
            try:
                messages = operation.messages()
            except Exception as error:
                operation.not_sent()
                operation.fail(error)
                continue
            if self.statements.to_close:
                messages = [*self.statements.take_closes(), *messages]
            request = client.submit(
                messages,
                operation,
                row_decoder=operation.row_decoder,
                batch_copy=operation.batch_copy,
                quiet=operation.quiet,
                combine=operation.combine,
            )
            operation.submitted(request)
            self._in_flight.append(operation)
            if operation.exclusive:
                self._barrier = operation
        if self._closing and not queue and not self._in_flight and not self._terminated:
            self._terminated = True
            self._write(client.data_to_send())
            self._write(client.do_terminate())
            self.transport.loseConnection()
            return
        self._write(client.data_to_send())

    def _write(self, data: bytes) -> None:
        if data and self.transport is not None:
            if self._direct:
                write_now(self.transport, data)  # no reactor iteration before it is sent
            else:
                self.transport.write(data)

    # ------------------------------------------------------------------ hooks for operations

    def copy_data(self, data: bytes) -> None:
        self.client.send_copy_data(data)
        self._write(self.client.data_to_send())

    def copy_done(self) -> None:
        self.client.send_copy_done()
        self._write(self.client.data_to_send())

    def copy_fail(self, message: str) -> None:
        self.client.send_copy_fail(message)
        self._write(self.client.data_to_send())

    def pause_reading(self, reason: object) -> None:
        """Stop reading from the server until `resume_reading` with the same reason."""
        if not self._pauses and self.transport is not None:
            self.transport.pauseProducing()
        self._pauses.add(reason)

    def resume_reading(self, reason: object) -> None:
        if reason not in self._pauses:
            return
        self._pauses.discard(reason)
        if not self._pauses and self._ended is None:
            self.transport.resumeProducing()
            self._pump()

    # ------------------------------------------------------------------ cancellation

    def cancel(self, operation: Operation) -> None:
        """The caller cancelled ``operation``: stop it on the server if it got there.

        Its Deferred fails with 57014 right away; its answers are still read (and dropped).
        An operation not written yet is simply removed; one still waiting behind others gets
        its cancel request when it reaches the head of the pipeline.
        """
        if operation in self._queue:
            self._queue.remove(operation)
            return
        if operation not in self._in_flight or operation.abort("canceled by the client"):
            return
        if self._in_flight[0] is operation:
            self._send_cancel(operation)
        else:
            operation.cancel_when_running = True

    def _send_cancel(self, operation: Operation) -> None:
        if self.cancel_connector is None or self.client.backend_key is None:
            self.log.warn("cannot cancel on the server (no cancel connector); result dropped")
            return
        # Hold later writes until the cancel was delivered and this operation ended, so the
        # cancel cannot hit a statement issued after it.
        self._cancel_holds += 1
        pending = [2]

        def release(result: Any = None) -> Any:
            pending[0] -= 1
            if pending[0] == 0:
                self._cancel_holds -= 1
                self._drain()
            return result

        delivered = self.cancel_connector(self.client.cancel_request())
        delivered.addErrback(
            lambda failure: self.log.failure("cancel request failed", failure=failure)
        )
        delivered.addBoth(release)
        self._on_complete[operation] = release

    # ------------------------------------------------------------------ the end

    def close(self) -> Deferred[None]:
        """Send Terminate once pending operations finished; fires when the connection closed."""
        if self._ended is not None:
            return succeed(None)
        waiter: Deferred[None] = Deferred()
        self._close_waiters.append(waiter)
        if not self._closing:
            self._closing = True
            self._drain()
        return waiter

    def _protocol_failure(self, error: ProtocolError) -> None:
        if self._fatal is None:
            self.log.error("protocol error from the server: {error}", error=error)
        self._end(ConnectionClosedError(f"protocol error: {error}"))
        if self.transport is not None:
            self.transport.abortConnection()

    def _end(self, error: BaseException) -> None:
        if self._ended is None:
            self._ended = self._fatal or error
        reason = self._ended
        operations = [*self._in_flight, *self._queue]
        self._in_flight.clear()
        self._queue.clear()
        self._barrier = None
        self._on_complete.clear()
        for operation in operations:
            operation.fail(reason)
            operation.detach()
        waiters, self._ready_waiters = self._ready_waiters, []
        for waiter in waiters:
            waiter.errback(reason)
