"""The Twisted protocol of a PostgreSQL server connection (model: twisted/web/_http2.py).

A thin adapter between a transport and the sans-IO `ServerConnection`: ``dataReceived`` feeds
the connection, the events that come out are dispatched to small ``_on_*`` methods, and what
they produce is written back.  Everything about message order lives in the state machine;
everything about SQL lives in the backend (``backend.py``) and, for settings and transaction
control, in the `Session`.  This module does the rest of protocol chapter 55:

* startup: SSL/GSS negotiation (``S`` then ``transport.startTLS``), protocol negotiation,
  authentication (``authentication.py``), startup settings and ``options``, ParameterStatus,
  BackendKeyData, and a startup timeout;
* simple query (55.2.2): statements split like PostgreSQL splits them, one CommandComplete each,
  EmptyQueryResponse, the rest skipped after an error, ReadyForQuery with the transaction status
  and the ParameterStatus of settings that changed;
* extended query (55.2.3): statements and portals (``extended.py``), parameters decoded with the
  type registry, Describe without executing when the backend can describe, PortalSuspended,
  error-until-Sync (done by the state machine), Flush;
* results: encoded with one row encoder per result, written in batches (one ``write`` per
  batch), streamed under backpressure — the protocol is the transport's push producer and stops
  pulling rows while paused, so a result of any size runs in constant memory;
* errors: `PostgresError` becomes an ErrorResponse with all its fields, anything else is logged
  and answered with XX000 and the connection lives on; protocol violations end the connection
  with FATAL 08P01;
* cancellation (55.2.9): a CancelRequest with the right key cancels the Deferred of the running
  command, which then fails with 57014; a client that disconnects cancels it too.

One command runs at a time: while a backend Deferred is pending no further message is read, so
pipelined messages are answered in order; reading from the socket pauses when too many of them
pile up.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, Final

from twisted.internet import defer, interfaces
from twisted.internet.defer import CancelledError, Deferred
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
    EncryptionResponse,
    ServerConnection,
    ServerState,
    negotiate_protocol,
)
from txpostgres_proto.sql import (
    CloseStatement,
    CopyStatement,
    DeclareCursorStatement,
    ExecuteStatement,
    FetchStatement,
    Parameter,
    SqlSyntaxError,
    UtilityStatement,
    split_statements_with_offsets,
)
from txpostgres_proto.types import oids

from .authentication import Authenticator, fatal
from .backend import QueryResult, ResultColumn, StatementDescription
from .copy import CopyFormat, copy_insert_query, copy_source_query
from .copy_in import CopyInStream, CopyParser, column_option
from .extended import (
    Portal,
    PreparedStatement,
    ResultStream,
    result_formats,
    row_description_bytes,
    utility_statement,
)
from .session import SESSION_STATEMENTS, Session, transaction_exit_allowed
from .settings import REPORTED, Settings

if TYPE_CHECKING:
    from .factory import PostgresServerFactory

__all__ = ["PostgresServerProtocol"]

#: Encoded rows are written once this many bytes have accumulated.
ROW_BATCH_BYTES: Final = 64 * 1024
#: Stop reading from the socket while this many received bytes wait to be processed.
MAX_BUFFERED_INPUT: Final = 1024 * 1024
#: Startup parameters that are not settings.
_STARTUP_KEYS: Final = frozenset({"user", "database", "options", "replication"})


class _Stopped(Exception):
    """The connection went away while a command was producing output."""


def _split_options(options: str) -> list[str]:
    """Split ``options`` at whitespace; a backslash makes the next character literal."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    chars = iter(options)
    for char in chars:
        if char.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
            continue
        in_word = True
        current.append(next(chars, "") if char == "\\" else char)
    if in_word:
        words.append("".join(current))
    return words


def _options_settings(options: str) -> list[tuple[str, str]]:
    """The ``-c name=value`` / ``--name=value`` pairs of the startup ``options`` parameter."""
    words = _split_options(options)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            setting = words[index + 1]
            index += 2
        elif word.startswith("-c") and len(word) > 2:
            setting, index = word[2:], index + 1
        elif word.startswith("--") and "=" in word:
            name, _, value = word[2:].partition("=")
            setting, index = f"{name.replace('-', '_')}={value}", index + 1
        else:
            raise fatal(
                f"invalid command-line argument for server process: {word}",
                "42601",
                hint='Try "postgres --help" for more information.',
            )
        name, equals, value = setting.partition("=")
        if not equals:
            raise fatal(f"-c {setting} requires a value", "42601")
        pairs.append((name, value))
    return pairs


@implementer(interfaces.IPushProducer)
class PostgresServerProtocol(Protocol):
    """One server connection; built by `PostgresServerFactory`."""

    _log = Logger()
    factory: PostgresServerFactory
    #: A TCP (or UNIX) transport: ITransport, IPushProducer, ITLSTransport, IConsumer.
    transport: Any

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
        self._authenticator: Authenticator | None = None
        self._startup: m.StartupMessage | None = None
        self.session: Session | None = None
        self.backend: Any = None
        self._reported: dict[str, str] = {}
        self._settings_version = -1
        self._notifications: list[m.NotificationResponse] = []
        #: The running COPY FROM STDIN's row stream.
        self._copy_stream: CopyInStream | None = None

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
        if factory.startup_timeout:
            self._startup_timer = factory.reactor.callLater(
                factory.startup_timeout, self._startup_timed_out
            )

    def dataReceived(self, data: bytes) -> None:
        if self._stopped or self._conn is None:
            return
        self._conn.receive_data(data)
        self._run()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._stopped = True
        self._cancel_startup_timer()
        pending, self._pending_call = self._pending_call, None
        if pending is not None:
            pending.cancel()
        self._wake_writers()
        if self._copy_stream is not None:
            self._copy_stream.fail(_Stopped())
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

    # -- output ----------------------------------------------------------------------------

    def _send(self, message: m.BackendMessage) -> None:
        assert self._conn is not None
        self._out.append(self._conn.send(message))

    def _send_encoded(self, kind: type[m.BackendMessage], data: bytes) -> None:
        """Send an already-encoded message of a ``kind`` that leaves the state as it is."""
        assert self._conn is not None
        self._out.append(self._conn.send_batch(kind, data))

    def _flush(self) -> None:
        if self._out and not self._stopped:
            data = b"".join(self._out) if len(self._out) > 1 else self._out[0]
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
            self._throttle_input()
            return
        conn = self._conn
        assert conn is not None
        self._running = True
        try:
            # A command reading COPY data still lets CopyData/CopyDone/CopyFail through (until
            # unread data piles up: then the socket is left unread, the client is held back).
            while (not self._busy or self._copy_accepting()) and not self._stopped:
                try:
                    event = conn.next_event()
                except ProtocolError as error:
                    self._send_fatal(error)
                    break
                if event is NEED_DATA or event is PAUSED or isinstance(event, ConnectionClosed):
                    if self._copy_accepting():
                        self._copy_stream.input_idle()  # type: ignore[union-attr]
                    break
                handler = self._handlers.get(type(event))
                assert handler is not None, event
                command = handler(self, event)
                if command is not None:
                    self._step(command)
        finally:
            self._running = False
        self._flush()
        self._throttle_input()

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

    def _throttle_input(self) -> None:
        conn = self._conn
        if conn is None or self._stopped:
            return
        backlog = conn.buffered_bytes > MAX_BUFFERED_INPUT
        if backlog and not self._reading_paused:
            self._reading_paused = True
            self.transport.pauseProducing()
        elif not backlog and self._reading_paused:
            self._reading_paused = False
            self.transport.resumeProducing()

    async def _writable(self) -> None:
        """Wait until the transport wants more output; raise if the command must stop."""
        while True:
            if self._stopped:
                raise _Stopped
            if self._cancel_requested:
                raise PostgresError("canceling statement due to user request", "57014")
            if not self._producer_paused:
                return
            waiter: Deferred[None] = Deferred()
            self._resume_waiters.append(waiter)
            await waiter

    # -- calling the backend ---------------------------------------------------------------

    async def _call_backend(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call a backend method the cancellable way; cancellation becomes 57014."""
        if self._cancel_requested:
            raise PostgresError("canceling statement due to user request", "57014")
        result = method(*args)
        if isinstance(result, Coroutine):
            call: Deferred[Any] = Deferred.fromCoroutine(result)
        elif isinstance(result, Deferred):
            call = result
        else:
            return result
        if call.called:
            return await call
        self._pending_call = call
        self._flush()
        try:
            return await call
        except CancelledError:
            if self._stopped:
                raise _Stopped from None
            raise PostgresError("canceling statement due to user request", "57014") from None
        finally:
            self._pending_call = None

    def cancel_current_command(self) -> None:
        """A CancelRequest for this connection arrived (see ``cancel.py``)."""
        if not self._busy:
            return
        self._cancel_requested = True
        if self._copy_stream is not None:
            self._copy_stream.fail(
                PostgresError("canceling statement due to user request", "57014")
            )
        if self._pending_call is not None:
            self._pending_call.cancel()
        self._wake_writers()

    # -- errors ----------------------------------------------------------------------------

    def _error_fields(self, error: BaseException) -> dict[str, str]:
        if isinstance(error, PostgresError):
            return error.to_fields()
        if isinstance(error, ProtocolError):
            return {"S": "FATAL", "V": "FATAL", "C": error.sqlstate, "M": error.message}
        if isinstance(error, SqlSyntaxError):
            return {
                "S": "ERROR",
                "V": "ERROR",
                "C": error.sqlstate,
                "M": error.message,
                "P": str(error.position),
            }
        self._log.failure("backend raised an unexpected error", failure=Failure(error))
        message = str(error) or type(error).__name__
        return {"S": "ERROR", "V": "ERROR", "C": "XX000", "M": message}

    def _report_error(self, error: BaseException) -> None:
        """Answer a failed statement with ErrorResponse; the transaction fails or is undone."""
        if isinstance(error, _Stopped) or self._stopped:
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
                self._send(m.NoticeResponse(fields))

    # -- startup ---------------------------------------------------------------------------

    def _startup_timed_out(self) -> None:
        self._startup_timer = None
        if self._stopped:
            return
        if self._startup is not None:
            self._send_fatal(fatal("canceling authentication due to timeout", "57014"))
        else:
            self._close()

    def _cancel_startup_timer(self) -> None:
        timer, self._startup_timer = self._startup_timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _on_ssl_request(self, _: m.SSLRequest) -> None:
        tls = self.factory.tls
        self._send(EncryptionResponse(tls is not None))
        self._flush()
        if tls is not None:
            self.transport.startTLS(tls.context_factory)
            self._tls = True

    def _on_gssenc_request(self, _: m.GSSENCRequest) -> None:
        self._send(EncryptionResponse(False))

    def _on_cancel_request(self, request: m.CancelRequest) -> None:
        self.factory.cancel_registry.cancel(request.process_id, request.secret_key)
        self._close()

    def _peer_description(self, user: str, database: str) -> str:
        peer = self.transport.getPeer()
        host = getattr(peer, "host", None) or "[local]"
        encryption = "SSL encryption" if self._tls else "no encryption"
        return f'host "{host}", user "{user}", database "{database}", {encryption}'

    def _on_startup(self, startup: m.StartupMessage) -> Coroutine[Any, Any, None] | None:
        self._startup = startup
        factory = self.factory
        user = startup.parameters.get("user", "")
        if not user:
            self._send_fatal(fatal("no PostgreSQL user name specified in startup packet", "28000"))
            return None
        database = startup.parameters.get("database") or user
        negotiation = negotiate_protocol(startup)
        if negotiation is not None:
            self._send(negotiation)
        where = self._peer_description(user, database)
        if factory.require_tls and not self._tls:
            self._send_fatal(fatal(f"no pg_hba.conf entry for {where}", "28000"))
            return None
        tls = factory.tls
        self._authenticator = Authenticator(
            factory.auth,
            factory.password_store,
            user,
            channel_binding=tls.channel_binding if tls is not None and self._tls else None,
            refusal=where,
        )
        return self._auth_step(self._authenticator.start)

    def _on_auth_response(self, message: m.FrontendMessage) -> Coroutine[Any, Any, None] | None:
        assert self._authenticator is not None
        authenticator = self._authenticator
        return self._auth_step(lambda: authenticator.receive(message))

    def _auth_step(self, step: Callable[[], Any]) -> Coroutine[Any, Any, None] | None:
        try:
            outcome = step()
        except PostgresError as error:
            self._send_fatal(error)
            return None
        for message in outcome.messages:
            self._send(message)
        if not outcome.ok:
            return None
        self._authenticator = None
        self._send(m.AuthenticationOk())
        return self._start_session()

    def _session_settings(self, startup: m.StartupMessage, user: str) -> Settings:
        settings = Settings()
        for name, value in self.factory.parameters.items():
            settings.set(name, value, source="internal")
        settings.set("session_authorization", user, source="internal")
        if self._tls:
            settings.set("ssl", "on", source="internal")
        for name, value in startup.parameters.items():
            if name in _STARTUP_KEYS or name.startswith("_pq_."):
                continue
            settings.set(name, value, source="startup")
        for name, value in _options_settings(startup.parameters.get("options", "")):
            settings.set(name, value, source="startup")
        return settings

    async def _start_session(self) -> None:
        startup = self._startup
        assert startup is not None
        factory = self.factory
        user = startup.parameters["user"]
        try:
            settings = self._session_settings(startup, user)
        except PostgresError as error:
            self._send_fatal(error)
            return
        process_id, secret = factory.cancel_registry.register(self)
        session = Session(
            user=user,
            database=startup.parameters.get("database") or user,
            process_id=process_id,
            secret_key=secret,
            settings=settings,
            peer=self.transport.getPeer(),
            tls=self._tls,
            startup_parameters=startup.parameters,
            registry=factory.registry,
        )
        session.close_portals = self._close_portals
        self.session = session
        backend = factory.backend_factory()
        self.backend = backend
        session.attach(backend, self._call_backend, factory.notifications, self)
        self._flush()
        try:
            await self._call_backend(backend.connection_made, session)
        except _Stopped:
            return
        except Exception as error:  # noqa: BLE001 - the client is told, and the log too
            fields = self._error_fields(error)
            self._send_fatal(PostgresError(fields["M"], fields["C"], severity="FATAL"))
            return
        self._cancel_startup_timer()
        for name, value in settings.reported_values().items():
            self._send(m.ParameterStatus(name, value))
        self._reported = settings.reported_values()
        self._settings_version = settings.version
        self._send(m.BackendKeyData(process_id, secret))
        self._send(m.ReadyForQuery(session.transaction_status))

    # -- command cycle ---------------------------------------------------------------------

    def _ready_for_query(self) -> None:
        session = self.session
        assert session is not None
        session.end_implicit_transaction()
        self._send_notices()
        if self._notifications and not session.in_transaction_block:
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
        self._send(m.ReadyForQuery(session.transaction_status))
        self._cancel_requested = False

    def _check_not_failed(self, utility: UtilityStatement | None) -> None:
        session = self.session
        assert session is not None
        if session.failed and not transaction_exit_allowed(utility):
            raise PostgresError(
                "current transaction is aborted, commands ignored until end of transaction block",
                "25P02",
            )

    async def _run_sql(
        self,
        sql: str,
        utility: UtilityStatement | None,
        params: tuple[Any, ...] = (),
        param_oids: tuple[int, ...] = (),
    ) -> QueryResult:
        """Run one statement: the session's own, a cursor command, or the backend's."""
        session = self.session
        assert session is not None
        session.start_implicit_transaction()
        if isinstance(utility, SESSION_STATEMENTS):
            return await session.execute_utility(utility)
        if isinstance(utility, DeclareCursorStatement):
            return await self._declare_cursor(utility, params, param_oids)
        if isinstance(utility, FetchStatement):
            return await self._fetch(utility)
        if isinstance(utility, CloseStatement):
            return self._close_cursor(utility)
        if isinstance(utility, ExecuteStatement):
            return await self._execute_prepared(utility, params)
        if isinstance(utility, CopyStatement):
            return await self._copy(sql, utility, params, param_oids)
        return await self._backend_execute(sql, params, param_oids)

    async def _backend_execute(
        self, sql: str, params: tuple[Any, ...], param_oids: tuple[int, ...]
    ) -> QueryResult:
        result = await self._call_backend(self.backend.execute, sql, params, param_oids)
        if result is None:
            return QueryResult()
        if not isinstance(result, QueryResult):
            raise TypeError(f"backend.execute returned {result!r}, not a QueryResult")
        return result

    def _stream(
        self, result: QueryResult, columns: tuple[ResultColumn, ...] | None, formats: Any
    ) -> ResultStream:
        session = self.session
        assert session is not None
        if columns is None and result.columns is not None:
            columns = tuple(result.columns)
        elif columns is not None and result.columns is not None:
            if len(result.columns) != len(columns):
                raise PostgresError(
                    f"query returned {len(result.columns)} columns but was described with "
                    f"{len(columns)}",
                    "XX000",
                )
        return ResultStream(result, columns, formats, session.registry, session.timezone)

    # -- cursors and SQL-level prepared statements -----------------------------------------

    def _cursor(self, name: str) -> Portal:
        session = self.session
        assert session is not None
        portal = session.portals.get(name)
        if portal is None:
            raise PostgresError(f'cursor "{name}" does not exist', "34000")
        return portal

    async def _declare_cursor(
        self, declare: DeclareCursorStatement, params: tuple[Any, ...], param_oids: tuple[int, ...]
    ) -> QueryResult:
        """DECLARE: run the query now, keep its rows in a portal FETCH reads from."""
        session = self.session
        assert session is not None
        if not declare.hold and not session.in_transaction_block:
            raise PostgresError("DECLARE CURSOR can only be used in transaction blocks", "25P01")
        if declare.name in session.portals:
            raise PostgresError(f'cursor "{declare.name}" already exists', "42P03")
        inner = PreparedStatement.create("", declare.query, param_oids, session)
        if inner.utility is not None:
            raise PostgresError("cannot open a cursor for a utility statement", "42601")
        result = await self._run_sql(inner.sql, None, params, param_oids)
        if result.columns is None:
            raise PostgresError("cursor query does not return rows", "42P11")
        formats = (1,) if declare.binary else ()
        portal = Portal(declare.name, inner, params, formats, hold=declare.hold)
        portal.stream = self._stream(result, None, formats)
        session.portals[declare.name] = portal
        return QueryResult(command_tag="DECLARE CURSOR")

    async def _fetch(self, fetch: FetchStatement) -> QueryResult:
        """FETCH/MOVE forward through a cursor (backward needs SCROLL, which is not kept)."""
        cursor = self._cursor(fetch.cursor)
        stream = cursor.stream
        assert stream is not None
        count = fetch.count
        if fetch.direction in ("ABSOLUTE", "RELATIVE") and count is not None:
            target = count if fetch.direction == "ABSOLUTE" else cursor.position + count
            if target <= cursor.position:
                raise PostgresError(
                    "cursor can only scan forward",
                    "55000",
                    hint="Declare it with SCROLL option to enable backward scan.",
                )
            await self._skip(cursor, target - cursor.position - 1)
            count = 1
        elif fetch.direction != "FORWARD" or (count is not None and count < 0):
            raise PostgresError(
                "cursor can only scan forward",
                "55000",
                hint="Declare it with SCROLL option to enable backward scan.",
            )
        if fetch.kind == "MOVE":
            moved = await self._skip(cursor, count)
            return QueryResult(command_tag="MOVE", rowcount=moved)
        rows = self._cursor_rows(cursor, count)
        return QueryResult(columns=stream.columns, rows=rows, command_tag="FETCH")

    async def _skip(self, cursor: Portal, count: int | None) -> int:
        stream = cursor.stream
        assert stream is not None
        moved = 0
        while not stream.finished and (count is None or moved < count):
            try:
                if stream.is_async:
                    await stream.next_async_row()
                else:
                    stream.next_sync_row()
            except (StopIteration, StopAsyncIteration):
                stream.finished = True
                break
            moved += 1
        cursor.position += moved
        return moved

    def _cursor_rows(self, cursor: Portal, count: int | None) -> Any:
        stream = cursor.stream
        assert stream is not None
        if stream.is_async:

            async def async_rows() -> Any:
                taken = 0
                while not stream.finished and (count is None or taken < count):
                    try:
                        row = await stream.next_async_row()
                    except StopAsyncIteration:
                        stream.finished = True
                        return
                    taken += 1
                    cursor.position += 1
                    yield row

            return async_rows()

        def rows() -> Any:
            taken = 0
            while not stream.finished and (count is None or taken < count):
                try:
                    row = stream.next_sync_row()
                except StopIteration:
                    stream.finished = True
                    return
                taken += 1
                cursor.position += 1
                yield row

        return rows()

    def _close_cursor(self, close: CloseStatement) -> QueryResult:
        session = self.session
        assert session is not None
        if close.name is None:
            self._close_portals(False)
        else:
            self._cursor(close.name)
            session.portals.pop(close.name).close()
        return QueryResult(command_tag="CLOSE CURSOR" if close.name else "CLOSE CURSOR ALL")

    async def _execute_prepared(
        self, execute: ExecuteStatement, outer_params: tuple[Any, ...]
    ) -> QueryResult:
        """EXECUTE name(args): run a statement made by PREPARE (or Parse) with literal args."""
        prepared = self._statement(execute.name)
        expected = len(prepared.param_oids)
        if len(execute.args) != expected:
            raise PostgresError(
                f'wrong number of parameters for prepared statement "{execute.name}"',
                "42601",
                detail=f"Expected {expected} parameters but got {len(execute.args)}.",
            )
        args: list[Any] = []
        for arg in execute.args:
            if isinstance(arg, Parameter):
                args.append(outer_params[arg.number - 1])
            elif arg is None or isinstance(arg, int | float | str | bool):
                args.append(arg)
            else:
                raise PostgresError("EXECUTE arguments must be constants", "0A000")
        return await self._run_sql(prepared.sql, prepared.utility, tuple(args), prepared.param_oids)

    async def _send_rows(
        self,
        stream: ResultStream,
        max_rows: int,
        frame: Callable[[list[bytes | None]], bytes] = m.encode_data_row,
        kind: type[m.BackendMessage] = m.DataRow,
    ) -> tuple[int, bool]:
        """Send up to ``max_rows`` rows (0: all); returns (rows sent, suspended).

        Each row is encoded by the stream's row encoder and framed (a DataRow, or CopyData for
        COPY TO STDOUT); DataRows come whole from the stream's data-row encoder.  Rows are
        written in batches of `ROW_BATCH_BYTES`, one ``write`` each, and early when an async
        row source has to wait (so slow sources still deliver promptly); after each write the
        transport may pause us (`_writable`).
        """
        conn = self._conn
        assert conn is not None and stream.columns is not None
        if stream.finished:
            return 0, False
        if frame is m.encode_data_row:
            encode_row = stream.data_row_encoder()
        else:
            encode = stream.encoder
            assert encode is not None

            def encode_row(row: Any) -> bytes:
                return frame(encode(row))

        batch: list[bytes] = []
        size = 0
        count = 0
        is_async = stream.is_async

        def write_batch() -> None:
            nonlocal batch, size
            self._out.append(conn.send_batch(kind, b"".join(batch)))
            self._flush()
            batch = []
            size = 0

        try:
            while not max_rows or count < max_rows:
                try:
                    if is_async:
                        pending = Deferred.fromCoroutine(stream.next_async_row())
                        if not pending.called and batch:
                            write_batch()
                        row = await pending
                    else:
                        row = stream.next_sync_row()
                except (StopIteration, StopAsyncIteration):
                    stream.finished = True
                    break
                encoded = encode_row(row)
                batch.append(encoded)
                size += len(encoded)
                count += 1
                if size >= ROW_BATCH_BYTES:
                    write_batch()
                    await self._writable()
        except BaseException:
            if batch and not self._stopped:
                self._out.append(conn.send_batch(kind, b"".join(batch)))
            stream.close()
            raise
        if batch:
            self._out.append(conn.send_batch(kind, b"".join(batch)))
        stream.sent_total += count
        return count, not stream.finished

    # -- COPY ------------------------------------------------------------------------------

    async def _copy(
        self,
        sql: str,
        statement: CopyStatement,
        params: tuple[Any, ...],
        param_oids: tuple[int, ...],
    ) -> QueryResult:
        """COPY ... TO STDOUT / FROM STDIN through the backend's SELECT and INSERT (or its own
        ``copy_in(statement, rows)``); COPY to or from a server file is the backend's."""
        if statement.filename is not None:
            return await self._backend_execute(sql, params, param_oids)
        copy_format = CopyFormat.of(statement)
        if statement.direction == "TO":
            return await self._copy_out(statement, copy_format)
        return await self._copy_in(statement, copy_format)

    async def _copy_out(self, statement: CopyStatement, copy_format: CopyFormat) -> QueryResult:
        session = self.session
        assert session is not None
        result = await self._backend_execute(copy_source_query(statement), (), ())
        if result.columns is None:
            raise PostgresError("COPY query must have a RETURNING clause", "0A000")
        count = len(result.columns)
        formats = (1 if copy_format.binary else 0,) * count
        stream = self._stream(result, None, formats)
        self._send(m.CopyOutResponse(1 if copy_format.binary else 0, formats))
        header = copy_format.header_line([column.name for column in result.columns])
        # PostgreSQL sends the binary signature in the CopyData of the first row (or of the
        # trailer), and clients parse it that way; a CSV header line is a CopyData of its own.
        prefix = header if copy_format.binary else b""
        if header and not prefix:
            self._send(m.CopyData(header))

        def frame(fields: list[bytes | None]) -> bytes:
            nonlocal prefix
            data = copy_format.format_row(fields)
            if prefix:
                data, prefix = prefix + data, b""
            return m.CopyData(data).encode()

        sent, _ = await self._send_rows(stream, 0, frame, m.CopyData)
        trailer = copy_format.trailer()
        if trailer:
            self._send(m.CopyData(prefix + trailer))
        self._send(m.CopyDone())
        return QueryResult(command_tag="COPY", rowcount=sent)

    async def _copy_in(self, statement: CopyStatement, copy_format: CopyFormat) -> QueryResult:
        """COPY ... FROM STDIN: the rows go to the backend as they arrive (see copy_in.py)."""
        session = self.session
        assert session is not None and statement.table is not None
        columns = await self._copy_target_columns(statement)
        names = [column.name for column in columns] if columns else list(statement.columns)
        decoders = []
        if copy_format.binary:
            if columns is None:
                raise PostgresError("binary COPY needs the table's column types", "0A000")
            registry, zone = session.registry, session.timezone
            decoders = [registry.decoder(c.type_oid, 1, timezone=zone) for c in columns]
        parser = CopyParser(
            copy_format,
            statement.table.name,
            names,
            decoders,
            column_option(statement, "force_not_null", names),
            column_option(statement, "force_null", names),
        )
        stream = CopyInStream(parser, self._copy_drained)
        code = 1 if copy_format.binary else 0
        self._send(m.CopyInResponse(code, (code,) * len(names)))
        self._flush()
        self._copy_stream = stream
        self._copy_drained()  # COPY data may have arrived while the target was described
        try:
            backend_copy = getattr(self.backend, "copy_in", None)
            if backend_copy is not None:
                outcome = await self._call_backend(backend_copy, statement, stream)
            else:
                typed = columns if copy_format.binary else None
                outcome = await self._copy_in_by_inserts(statement, stream, typed)
            async for _ in stream:  # what the backend left unread, up to CopyDone
                pass
        finally:
            self._copy_stream = None
        if isinstance(outcome, QueryResult):
            return outcome
        return QueryResult(
            command_tag="COPY", rowcount=stream.rows_read if outcome is None else outcome
        )

    async def _copy_target_columns(
        self, statement: CopyStatement
    ) -> tuple[ResultColumn, ...] | None:
        """The COPY's target columns as the backend describes them (None: it cannot say)."""
        describe = getattr(self.backend, "describe", None)
        if describe is None:
            return None
        described = await self._call_backend(describe, copy_source_query(statement), ())
        if not isinstance(described, StatementDescription) or described.columns is None:
            return None
        return tuple(described.columns)

    async def _copy_in_by_inserts(
        self,
        statement: CopyStatement,
        stream: CopyInStream,
        columns: tuple[ResultColumn, ...] | None,
    ) -> int:
        """A backend without ``copy_in``: one INSERT per row through ``execute`` (parameter
        types: the ``columns`` of decoded binary values, else unknown: text to be cast)."""
        count = 0
        async for batch in stream:
            for row in batch:
                width = len(row)
                oids = tuple(c.type_oid for c in columns) if columns else (0,) * width
                await self._backend_execute(copy_insert_query(statement, width), row, oids)
                count += 1
        return count

    def _copy_accepting(self) -> bool:
        """Whether a COPY FROM STDIN takes more CopyData now."""
        stream = self._copy_stream
        return stream is not None and not stream.done and not stream.full

    def _copy_drained(self) -> None:
        """COPY data may be taken again (the backend read a backlog): read buffered input."""
        if not self._running and not self._stopped:
            self._run()

    def _on_copy_data(self, data: m.CopyData) -> None:
        if self._copy_stream is not None:
            self._copy_stream.feed(data.data)

    def _on_copy_done(self, _: m.CopyDone) -> None:
        if self._copy_stream is not None:
            self._copy_stream.finish()

    def _on_copy_fail(self, fail: m.CopyFail) -> None:
        if self._copy_stream is not None:
            self._copy_stream.fail(
                PostgresError(f"COPY from stdin failed: {fail.message}", "57014")
            )

    # -- simple query ----------------------------------------------------------------------

    async def _on_query(self, query: m.Query) -> None:
        session = self.session
        assert session is not None
        scs = session.settings.get("standard_conforming_strings") == "on"
        statements = split_statements_with_offsets(query.query, standard_conforming_strings=scs)
        if not statements:
            self._send(m.EmptyQueryResponse())
        for offset, sql in statements:
            try:
                await self._simple_statement(sql, scs)
            except SqlSyntaxError as error:
                self._report_error(SqlSyntaxError(error.message, error.position + offset))
                break
            except Exception as error:  # noqa: BLE001 - reported to the client
                self._report_error(error)
                break
        if not self._stopped:
            self._ready_for_query()

    async def _simple_statement(self, sql: str, scs: bool) -> None:
        utility = utility_statement(sql, scs)
        self._check_not_failed(utility)
        result = await self._run_sql(sql, utility)
        stream = self._stream(result, None, ())
        if stream.columns is not None:
            self._send_encoded(
                m.RowDescription, row_description_bytes(stream.columns, stream.formats)
            )
            count, _ = await self._send_rows(stream, 0)
        else:
            count = 0
        self._send_notices()
        self._send(m.CommandComplete(stream.tag(sql, count)))

    def _on_function_call(self, _: m.FunctionCall) -> None:
        self._report_error(PostgresError("function call messages are not supported", "0A000"))
        self._ready_for_query()

    # -- extended query --------------------------------------------------------------------

    def _extended(self, work: Coroutine[Any, Any, None]) -> Coroutine[Any, Any, None]:
        async def guarded() -> None:
            try:
                await work
            except Exception as error:  # noqa: BLE001 - reported to the client
                self._report_error(error)

        return guarded()

    def _on_parse(self, parse: m.Parse) -> Coroutine[Any, Any, None] | None:
        try:
            self._parse(parse)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
        return None

    def _parse(self, parse: m.Parse) -> None:
        session = self.session
        assert session is not None
        if parse.name and parse.name in session.statements:
            raise PostgresError(f'prepared statement "{parse.name}" already exists', "42P05")
        statement = PreparedStatement.create(parse.name, parse.query, parse.param_types, session)
        self._check_not_failed(statement.utility)
        session.statements[parse.name] = statement
        self._send(m.ParseComplete())

    def _statement(self, name: str) -> PreparedStatement:
        session = self.session
        assert session is not None
        statement = session.statements.get(name)
        if statement is None:
            if name:
                raise PostgresError(f'prepared statement "{name}" does not exist', "26000")
            raise PostgresError("unnamed prepared statement does not exist", "26000")
        return statement

    def _portal(self, name: str) -> Portal:
        session = self.session
        assert session is not None
        portal = session.portals.get(name)
        if portal is None:
            raise PostgresError(f'portal "{name}" does not exist', "34000")
        return portal

    async def _describe_statement(self, statement: PreparedStatement) -> StatementDescription:
        utility = statement.utility
        if isinstance(utility, FetchStatement):
            stream = self._cursor(utility.cursor).stream
            assert stream is not None
            columns = None if stream.columns is None else tuple(stream.columns)
            return StatementDescription(statement.param_oids, columns)
        if isinstance(utility, ExecuteStatement):
            inner = await self._describe_statement(self._statement(utility.name))
            return StatementDescription(statement.param_oids, inner.columns)
        if statement.description is None:
            described = await self._call_backend(
                self.backend.describe, statement.sql, statement.param_oids
            )
            if not isinstance(described, StatementDescription):
                raise TypeError(
                    f"backend.describe returned {described!r}, not a StatementDescription"
                )
            given = statement.param_oids
            found = tuple(described.param_oids) + (0,) * (len(given) - len(described.param_oids))
            merged = tuple(
                given_oid or found_oid or oids.TEXT
                for given_oid, found_oid in zip(given, found, strict=False)
            )
            columns = None if described.columns is None else tuple(described.columns)
            statement.description = StatementDescription(merged, columns)
        return statement.description

    def _on_bind(self, bind: m.Bind) -> Coroutine[Any, Any, None]:
        return self._extended(self._bind(bind))

    async def _bind(self, bind: m.Bind) -> None:
        session = self.session
        assert session is not None
        statement = self._statement(bind.statement)
        self._check_not_failed(statement.utility)
        if bind.portal and bind.portal in session.portals:
            raise PostgresError(f'cursor "{bind.portal}" already exists', "42P03")
        count = len(bind.params)
        formats = bind.param_formats
        if len(formats) > 1 and len(formats) != count:
            raise PostgresError(
                f"bind message has {len(formats)} parameter formats but {count} parameters",
                "08P01",
            )
        if count != len(statement.param_oids):
            raise PostgresError(
                f"bind message supplies {count} parameters, but prepared statement "
                f'"{statement.name}" requires {len(statement.param_oids)}',
                "08P01",
            )
        per_param = tuple(formats) * count if len(formats) == 1 else tuple(formats) or (0,) * count
        # Parameter types: as described (when the statement was), else as Parse gave them; a
        # binary value of unspecified type needs the backend to describe the statement.
        described = statement.description
        types = described.param_oids if described is not None else statement.param_oids
        if any(fmt == 1 and oid == 0 for fmt, oid in zip(per_param, types, strict=True)):
            types = (await self._describe_statement(statement)).param_oids
        params = self._decode_params(bind, per_param, types)
        old = session.portals.pop(bind.portal, None)
        if old is not None:
            old.close()
        session.portals[bind.portal] = Portal(
            bind.portal, statement, params, tuple(bind.result_formats)
        )
        self._send(m.BindComplete())

    def _decode_params(
        self, bind: m.Bind, formats: tuple[int, ...], types: tuple[int, ...]
    ) -> tuple[Any, ...]:
        session = self.session
        assert session is not None
        registry = session.registry
        values: list[Any] = []
        for index, (raw, fmt, oid) in enumerate(zip(bind.params, formats, types, strict=True)):
            if raw is None:
                values.append(None)
                continue
            if fmt not in (0, 1):
                raise PostgresError(f"unsupported format code: {fmt}", "08P01")
            try:
                decoder = registry.decoder(oid, fmt, timezone=session.timezone)
                values.append(decoder(raw))
            except Exception:  # noqa: BLE001 - any codec failure is bad input
                info = registry.type_info(oid)
                type_name = info.name if info is not None else str(oid)
                where = (
                    f"unnamed portal parameter ${index + 1}"
                    if not bind.portal
                    else (f'portal "{bind.portal}" parameter ${index + 1}')
                )
                if fmt == 1:
                    raise PostgresError(
                        f"incorrect binary data format in bind parameter {index + 1}",
                        "22P03",
                        where=where,
                    ) from None
                text = raw.decode("utf-8", "replace")
                raise PostgresError(
                    f'invalid input syntax for type {type_name}: "{text}"', "22P02", where=where
                ) from None
        return tuple(values)

    def _on_describe(self, describe: m.Describe) -> Coroutine[Any, Any, None]:
        return self._extended(self._describe(describe))

    async def _describe(self, describe: m.Describe) -> None:
        if describe.kind == "S":
            statement = self._statement(describe.name)
            description = await self._describe_statement(statement)
            self._send(m.ParameterDescription(description.param_oids))
            if description.columns is None:
                self._send(m.NoData())
            else:
                formats = (0,) * len(description.columns)
                self._send_encoded(
                    m.RowDescription, row_description_bytes(description.columns, formats)
                )
            return
        portal = self._portal(describe.name)
        columns = await self._portal_columns(portal)
        if columns is None:
            self._send(m.NoData())
            return
        portal.columns = columns
        formats = tuple(result_formats(portal.result_formats, len(columns)))
        self._send_encoded(m.RowDescription, row_description_bytes(columns, formats))

    async def _portal_columns(self, portal: Portal) -> tuple[ResultColumn, ...] | None:
        """The columns a portal returns; runs it (keeping the result) if nothing else tells."""
        if portal.stream is not None:
            return None if portal.stream.columns is None else tuple(portal.stream.columns)
        description = portal.statement.description
        if description is not None:
            return description.columns
        await self._start_portal(portal)
        assert portal.stream is not None
        return None if portal.stream.columns is None else tuple(portal.stream.columns)

    async def _start_portal(self, portal: Portal) -> None:
        statement = portal.statement
        result = await self._run_sql(
            statement.sql, statement.utility, portal.params, statement.param_oids
        )
        columns = portal.columns
        if columns is None and statement.description is not None:
            columns = statement.description.columns
        portal.stream = self._stream(result, columns, portal.result_formats)

    def _on_execute(self, execute: m.Execute) -> Coroutine[Any, Any, None]:
        return self._extended(self._execute(execute))

    async def _execute(self, execute: m.Execute) -> None:
        portal = self._portal(execute.portal)
        statement = portal.statement
        self._check_not_failed(statement.utility)
        if statement.empty:
            self._send(m.EmptyQueryResponse())
            return
        if portal.stream is None:
            await self._start_portal(portal)
        stream = portal.stream
        assert stream is not None
        count = 0
        if stream.columns is not None:
            count, suspended = await self._send_rows(stream, max(execute.max_rows, 0))
            if suspended:
                self._send(m.PortalSuspended())
                return
        self._send_notices()
        self._send(m.CommandComplete(stream.tag(statement.sql, count)))

    def _on_close(self, close: m.Close) -> None:
        session = self.session
        assert session is not None
        if close.kind == "S":
            session.statements.pop(close.name, None)
        else:
            portal = session.portals.pop(close.name, None)
            if portal is not None:
                portal.close()
        self._send(m.CloseComplete())

    def _on_sync(self, _: m.Sync) -> None:
        self._ready_for_query()

    def _on_flush(self, _: m.Flush) -> None:
        self._flush()

    def _on_terminate(self, _: m.Terminate) -> None:
        self._close()

    def _close_portals(self, keep_held: bool = False) -> None:
        session = self.session
        if session is None:
            return
        for name, portal in list(session.portals.items()):
            if not (keep_held and portal.hold):
                del session.portals[name]
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

    _handlers: dict[type, Callable[[Any, Any], Any]] = {
        m.SSLRequest: _on_ssl_request,
        m.GSSENCRequest: _on_gssenc_request,
        m.CancelRequest: _on_cancel_request,
        m.StartupMessage: _on_startup,
        m.PasswordMessage: _on_auth_response,
        m.SASLInitialResponse: _on_auth_response,
        m.SASLResponse: _on_auth_response,
        m.Query: _on_query,
        m.FunctionCall: _on_function_call,
        m.Parse: _on_parse,
        m.Bind: _on_bind,
        m.Describe: _on_describe,
        m.Execute: _on_execute,
        m.Close: _on_close,
        m.Sync: _on_sync,
        m.Flush: _on_flush,
        m.Terminate: _on_terminate,
        m.CopyData: _on_copy_data,
        m.CopyDone: _on_copy_done,
        m.CopyFail: _on_copy_fail,
    }
