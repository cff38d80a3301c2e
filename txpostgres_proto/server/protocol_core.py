"""The core of a server connection: the event loop between a transport and `ServerConnection`.

`ServerProtocolCore` is the part of `PostgresServerProtocol` (``protocol.py``) every other part
builds on: the connection's state, ``dataReceived`` feeding the sans-IO `ServerConnection`, the
loop that takes events out of it and dispatches them to the ``_on_*`` handlers (the table
``_handlers``, filled in by ``protocol.py``; a read that is one whole extended-query cycle goes
to the same handlers in one pass, `_run_cycle`), the output buffer written once per read, error
reporting, the end of every command cycle (ReadyForQuery, protocol section 55.2) and the
delivery of notifications.  The rest lives in modules of its own: ``backend_calls.py``,
``rows.py``, ``startup.py``, ``simple_query.py``, ``extended_query.py``, ``statements.py``,
``copy_flow.py``.

A handler either finishes at once and returns None, or returns a command: a coroutine the loop
runs (`_step`) until it waits for a Deferred that has not fired.  While a command waits the
protocol is busy: no further message is read, so pipelined messages are answered in order, and
reading from the socket pauses when too many complete ones pile up.  Everything written during
one read goes out in one write (`_flush`), straight to the socket when the transport allows it
(``direct_write.py``); a plain socket is read by the factory's `ReadLoop` (``readloop.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, Final

from twisted.internet import defer, interfaces
from twisted.internet.defer import Deferred
from twisted.internet.protocol import Protocol, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure
from zope.interface import implementer

from txpostgres_proto.direct_write import can_write_now, write_now
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError, ProtocolError
from txpostgres_proto.protocol.server import (
    NEED_DATA,
    PAUSED,
    ConnectionClosed,
    ServerConnection,
    ServerState,
)
from txpostgres_proto.sql import SqlSyntaxError, UtilityStatement

from .copy_in import CopyInStream
from .extended import PreparedStatement
from .session import Session, transaction_exit_allowed
from .settings import REPORTED

if TYPE_CHECKING:
    from .factory import PostgresServerFactory

__all__ = ["MAX_BUFFERED_INPUT", "ServerProtocolCore"]

#: Stop reading from the socket while this many received bytes wait to be processed.
MAX_BUFFERED_INPUT: Final = 1024 * 1024

_FAILED: Final = m.TransactionStatus.FAILED
_IDLE: Final = m.TransactionStatus.IDLE
#: CommandComplete by tag, for the tags seen last (a statement run again gets the same one).
_COMMAND_COMPLETE: Final[dict[str, bytes]] = {}
_COMMAND_COMPLETE_ENTRIES: Final = 256
#: What a SQLSTATE looks like (protocol section 55.8, Appendix A).
_SQLSTATE: Final = re.compile(r"[0-9A-Z]{5}")
#: ReadyForQuery for each transaction status, encoded once.
_READY_FOR_QUERY: Final = {
    status: m.ReadyForQuery(status).encode() for status in m.TransactionStatus
}


def _sendable_fields(fields: dict[str, str]) -> dict[str, str]:
    """``fields`` (changed in place) as an ErrorResponse or NoticeResponse can carry them.

    Their values often quote what the client sent (a parameter value, a name), which may hold
    NUL characters a protocol string cannot (they are NUL-terminated): those are shown as
    ``\\0``.  A SQLSTATE that is not five digits or upper-case letters (a handler's typo)
    becomes XX000, so a client can still read the error's class.
    """
    for code, value in fields.items():
        if "\0" in value:
            fields[code] = value.replace("\0", "\\0")
    if not _SQLSTATE.fullmatch(fields.get("C", "")):
        fields["C"] = "XX000"
    return fields


class Stopped(Exception):
    """The connection went away while a command was producing output."""


def cancelled_error() -> PostgresError:
    """The error a cancelled command ends with (57014)."""
    return PostgresError("canceling statement due to user request", "57014")


@implementer(interfaces.IPushProducer)
class ServerProtocolCore(Protocol):
    """The connection state and event loop of `PostgresServerProtocol`."""

    _log = Logger()
    factory: PostgresServerFactory
    #: A TCP (or UNIX) transport: ITransport, IPushProducer, ITLSTransport, IConsumer.
    transport: Any
    #: Frontend message class -> handler; filled in by ``protocol.py``.
    _handlers: ClassVar[dict[type, Callable[[Any, Any], Any]]] = {}
    #: Whether a read holding one whole extended-query cycle is handled in one pass
    #: (`_run_cycle`); off, every message goes through `_run` (tests compare the two).
    fast_path: ClassVar[bool] = True

    def __init__(self) -> None:
        self._conn: ServerConnection | None = None
        self._out: list[bytes] = []
        self._busy = False
        self._running = False
        self._stopped = False
        self._tls = False
        #: Whether the transport takes `write_now` (a socket connection without TLS).
        self._direct = False
        self._reading_paused = False
        self._producer_paused = False
        self._resume_waiters: list[Deferred[None]] = []
        self._pending_call: Deferred[Any] | None = None
        self._cancel_requested = False
        self._startup_timer: Any = None
        self._startup: m.StartupMessage | None = None
        self.session: Session | None = None
        self.backend: Any = None
        self._reported: dict[str, str] = {}
        self._settings_version = -1
        self._notifications: list[m.NotificationResponse] = []
        #: The running COPY FROM STDIN's row stream.
        self._copy_stream: CopyInStream | None = None
        #: How simple queries' short results were sent, by their columns (``rows.py``).
        self._simple_plans: dict[tuple[Any, ...], Any] = {}

    # -- Twisted interface -----------------------------------------------------------------

    def connectionMade(self) -> None:
        factory = self.factory
        self._conn = ServerConnection(max_message_size=factory.max_message_size)
        # Replies are small and often written after a Deferred fires: without TCP_NODELAY,
        # Nagle's algorithm holds each one back ~40 ms waiting for the client's delayed ACK.
        if hasattr(self.transport, "setTcpNoDelay"):
            self.transport.setTcpNoDelay(True)
        self.transport.registerProducer(self, True)
        self._direct = can_write_now(self.transport)
        factory.read_loop.adopt(self.transport, self.dataReceived)
        if factory.startup_timeout:
            self._startup_timer = factory.reactor.callLater(
                factory.startup_timeout, self._startup_timed_out
            )

    def dataReceived(self, data: bytes) -> None:
        conn = self._conn
        # An empty read is no message and not the end of the stream either (that is
        # connectionLost): to `ServerConnection.receive_data`, b"" would mean end of stream.
        if self._stopped or conn is None or not data:
            return
        if self.fast_path and not self._busy and not self._running and self._copy_stream is None:
            cycle = conn.take_cycle(data)
            if cycle is not None:
                self._run_cycle(data, cycle)
                return
        conn.receive_data(data)
        self._run()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._stopped = True
        self._cancel_startup_timer()
        pending, self._pending_call = self._pending_call, None
        if pending is not None:
            pending.cancel()
        self._wake_writers()
        if self._copy_stream is not None:
            self._copy_stream.fail(Stopped())
        session = self.session
        if session is not None:
            self.factory.cancel_registry.unregister(session.process_id)
            session.unlisten_all()
            self._close_portals(False)
        backend, self.backend = self.backend, None
        if backend is not None:
            method = getattr(backend, "connection_lost", None)
            if method is not None:
                defer.maybeDeferred(method).addErrback(
                    lambda failure: self._log.failure(
                        "backend connection_lost failed", failure=failure
                    )
                )

    # IPushProducer: the transport asks us to stop producing output (its buffer is full).

    def pauseProducing(self) -> None:
        self._producer_paused = True

    def resumeProducing(self) -> None:
        self._producer_paused = False
        self._wake_writers()

    def stopProducing(self) -> None:
        self._stopped = True
        self._wake_writers()

    def _wake_writers(self) -> None:
        waiters, self._resume_waiters = self._resume_waiters, []
        for waiter in waiters:
            waiter.callback(None)

    def _startup_timed_out(self) -> None:
        """Overridden by the startup flow (``startup.py``)."""

    def _cancel_startup_timer(self) -> None:
        timer, self._startup_timer = self._startup_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    # -- output ----------------------------------------------------------------------------

    def _send(self, message: m.BackendMessage) -> None:
        assert self._conn is not None
        self._out.append(self._conn.send(message))

    def _send_encoded(self, kind: type[m.BackendMessage], data: bytes) -> None:
        """Send already-encoded messages of one ``kind`` (see `ServerConnection.send_encoded`)."""
        conn = self._conn
        assert conn is not None
        self._out.append(data if kind in conn.quiet else conn.send_encoded(kind, data))

    def _flush(self) -> None:
        out = self._out
        if out and not self._stopped:
            data = b"".join(out) if len(out) > 1 else out[0]
            self._out = []
            if self._direct:
                write_now(self.transport, data)  # no reactor iteration before it is sent
            else:
                self.transport.write(data)
        else:
            self._out = []

    def _close(self) -> None:
        if self._stopped:
            return
        self._flush()
        self._stopped = True
        # A registered producer would hold back the TLS shutdown (close_notify) indefinitely.
        self.transport.unregisterProducer()
        self.transport.loseConnection()

    def _send_fatal(self, error: BaseException) -> None:
        fields = self._error_fields(error)
        fields["S"] = fields["V"] = "FATAL"
        try:
            self._send(m.ErrorResponse(fields))
        except ProtocolError:
            pass
        self._close()

    # -- the event loop --------------------------------------------------------------------

    def _run(self) -> None:
        """Handle buffered messages until one needs to wait, or none is complete."""
        if self._running or (self._busy and not self._copy_accepting()):
            self._throttle_input(False)
            return
        conn = self._conn
        assert conn is not None
        next_event = conn.next_event
        handlers = self._handlers
        starved = False
        self._running = True
        try:
            # A command reading COPY data still lets CopyData/CopyDone/CopyFail through (until
            # unread data piles up: then the socket is left unread, the client is held back).
            while (not self._busy or self._copy_accepting()) and not self._stopped:
                try:
                    event = next_event()
                except ProtocolError as error:
                    self._send_fatal(error)
                    break
                handler = handlers.get(event.__class__)
                if handler is None:
                    assert event is NEED_DATA or event is PAUSED or type(event) is ConnectionClosed
                    starved = event is NEED_DATA
                    if self._copy_stream is not None and self._copy_accepting():
                        self._copy_stream.input_idle()
                    break
                command = handler(self, event)
                if command is not None:
                    self._step(command)
        finally:
            self._running = False
        self._flush()
        if self._reading_paused or not starved:
            self._throttle_input(starved)

    def _run_cycle(self, data: bytes, cycle: list[tuple[Any, int, ServerState]]) -> None:
        """Handle a whole extended-query cycle cut by `ServerConnection.take_cycle`; whatever
        is left when a message has to wait or fails goes the usual way (`_run`)."""
        conn = self._conn
        assert conn is not None
        handlers = self._handlers
        rest = b""
        self._running = True
        try:
            for message, end, state in cycle:
                if conn.state is not state:
                    conn.state = state
                command = handlers[message.__class__](self, message)
                if command is not None:
                    self._step(command)
                if self._busy or self._stopped or conn.state is not state:
                    rest = data[end:]
                    break
        finally:
            self._running = False
        self._end_cycle(rest)

    def _end_cycle(self, rest: bytes) -> None:
        """After a cycle handled in one pass: ``rest``, the bytes of the messages it did not
        get to (one had to wait or failed), go the usual way; the answers go out."""
        if self._stopped:
            return
        if rest:
            assert self._conn is not None
            self._conn.receive_data(rest)
            if not self._busy:
                self._run()
                return
        self._flush()

    def _step(self, command: Coroutine[Any, Any, None], result: object = None) -> None:
        """Run ``command`` until it finishes or waits for a Deferred that has not fired.

        Most commands never really wait (the backend answers at once), so they run to the end
        right here, with no Deferred around them (awaiting a fired Deferred does not suspend a
        coroutine).  One that waits makes the protocol busy and is resumed from the callback
        of the Deferred it waits on, while that Deferred still holds its result — which is how
        ``await`` reads it.  Cancelling that Deferred throws CancelledError into the command.
        """
        try:
            if isinstance(result, Failure):
                waiting = result.throwExceptionIntoGenerator(command)  # type: ignore[arg-type]
            else:
                waiting = command.send(result)
        except StopIteration:
            self._busy = False
            return
        except Exception:  # noqa: BLE001 - a bug in a command; the connection cannot go on
            self._busy = False
            failure = Failure()
            self._log.failure("unexpected error in the protocol", failure=failure)
            self._send_fatal(failure.value)
            return
        if not isinstance(waiting, Deferred):
            command.close()
            self._busy = False
            self._send_fatal(TypeError(f"a command awaited {waiting!r}, not a Deferred"))
            return
        self._busy = True
        waiting.addBoth(self._resume, command)

    def _resume(self, result: object, command: Coroutine[Any, Any, None]) -> None:
        self._step(command, result)
        if not self._busy and not self._running and not self._stopped:
            self._run()

    def _throttle_input(self, starved: bool) -> None:
        """Pause reading while complete messages pile up; ``starved``: the loop stopped for
        want of bytes (whatever is buffered is part of a message, so reading must go on)."""
        conn = self._conn
        if conn is None or self._stopped:
            return
        backlog = not starved and conn.buffered_bytes > MAX_BUFFERED_INPUT
        if backlog and not self._reading_paused:
            self._reading_paused = True
            self.transport.pauseProducing()
        elif not backlog and self._reading_paused:
            self._reading_paused = False
            self.transport.resumeProducing()

    def _copy_accepting(self) -> bool:
        """Whether a COPY FROM STDIN takes more CopyData now."""
        stream = self._copy_stream
        return stream is not None and not stream.done and not stream.full

    # -- errors ----------------------------------------------------------------------------

    def _error_fields(self, error: BaseException) -> dict[str, str]:
        """The ErrorResponse fields that report ``error``, fit to be sent (`_sendable_fields`)."""
        if isinstance(error, PostgresError):
            fields = error.to_fields()
        elif isinstance(error, ProtocolError):
            fields = {"S": "FATAL", "V": "FATAL", "C": error.sqlstate, "M": error.message}
        elif isinstance(error, SqlSyntaxError):
            fields = {
                "S": "ERROR",
                "V": "ERROR",
                "C": error.sqlstate,
                "M": error.message,
                "P": str(error.position),
            }
        else:
            self._log.failure("backend raised an unexpected error", failure=Failure(error))
            message = str(error) or type(error).__name__
            fields = {"S": "ERROR", "V": "ERROR", "C": "XX000", "M": message}
        return _sendable_fields(fields)

    def _report_error(self, error: BaseException) -> None:
        """Answer a failed statement with ErrorResponse; the transaction fails or is undone."""
        if isinstance(error, Stopped) or self._stopped:
            return
        if isinstance(error, ProtocolError) or (
            isinstance(error, PostgresError) and error.severity in ("FATAL", "PANIC")
        ):
            self._send_fatal(error)
            return
        self._send_notices()
        self._send(m.ErrorResponse(self._error_fields(error)))
        if self.session is not None:
            self.session.statement_failed()

    def _send_notices(self) -> None:
        session = self.session
        if session is not None and session.pending_notices:
            notices, session.pending_notices = session.pending_notices, []
            for fields in notices:
                self._send(m.NoticeResponse(_sendable_fields(dict(fields))))

    # -- command cycle ---------------------------------------------------------------------

    def _send_command_complete(self, tag: str) -> None:
        """The notices the statement raised, then its CommandComplete."""
        session = self.session
        conn = self._conn
        assert session is not None and conn is not None
        if session.pending_notices:
            self._send_notices()
        data = _COMMAND_COMPLETE.get(tag)
        if data is None:
            if len(_COMMAND_COMPLETE) >= _COMMAND_COMPLETE_ENTRIES:
                _COMMAND_COMPLETE.clear()
            data = _COMMAND_COMPLETE[tag] = m.CommandComplete(tag).encode()
        kind = m.CommandComplete
        self._out.append(data if kind in conn.quiet else conn.send_encoded(kind, data))

    def _ready_for_query(self, _: object = None) -> None:
        """End the command cycle (also the handler of Sync): commit an implicit transaction,
        send what waited for it, and ReadyForQuery."""
        session = self.session
        conn = self._conn
        assert session is not None and conn is not None
        session.end_implicit_transaction()
        if session.pending_notices:
            self._send_notices()
        status = session.transaction_status
        if self._notifications and status is _IDLE:
            notifications, self._notifications = self._notifications, []
            for notification in notifications:
                self._send(notification)
        settings = session.settings
        if settings.version != self._settings_version:
            self._settings_version = settings.version
            for name in REPORTED:
                value = settings.get(name)
                if self._reported.get(name) != value:
                    self._reported[name] = value
                    self._send(m.ParameterStatus(name, value))
        self._out.append(conn.send_encoded(m.ReadyForQuery, _READY_FOR_QUERY[status]))
        self._cancel_requested = False

    def _check_not_failed(self, utility: UtilityStatement | None) -> None:
        session = self.session
        assert session is not None
        if session.transaction_status is _FAILED and not transaction_exit_allowed(utility):
            raise PostgresError(
                "current transaction is aborted, commands ignored until end of transaction block",
                "25P02",
            )

    def _statement(self, name: str) -> PreparedStatement:
        session = self.session
        assert session is not None
        statement = session.statements.get(name)
        if statement is None:
            if name:
                raise PostgresError(f'prepared statement "{name}" does not exist', "26000")
            raise PostgresError("unnamed prepared statement does not exist", "26000")
        return statement

    def _close_portals(self, keep_held: bool = False) -> None:
        session = self.session
        if session is None:
            return
        portals = session.portals
        if not portals:
            return
        for name, portal in list(portals.items()):
            if not (keep_held and portal.hold):
                del portals[name]
                portal.close()

    # -- LISTEN / NOTIFY -------------------------------------------------------------------

    def deliver_notification(self, process_id: int, channel: str, payload: str) -> None:
        """A committed NOTIFY on a channel this session listens on (see notifications.py)."""
        if self._stopped:
            return
        notification = m.NotificationResponse(process_id, channel, payload)
        session = self.session
        conn = self._conn
        idle = (
            not self._busy
            and not self._running
            and session is not None
            and not session.in_transaction_block
            and conn is not None
            and conn.state is ServerState.READY
        )
        if idle:
            self._send(notification)
            self._flush()
        else:
            self._notifications.append(notification)
