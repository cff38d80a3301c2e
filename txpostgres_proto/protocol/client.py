"""The sans-IO PostgreSQL client: start-up, authentication, queries, COPY, pipelining.

`SansIOClient` keeps the state of one client connection and turns intentions into bytes and
received bytes into events; it never touches a socket (the contract of h11, and the low-level
API of pg-purepy, whose names it keeps):

1. call a ``do_*`` method (or `submit` for any group of frontend messages) and send the bytes
   it returns (or `data_to_send`);
2. run the ready loop: feed received bytes to `receive_bytes`, pull events from `next_event`
   until it returns `NEED_DATA`, send `get_needed_synchronisation` (authentication answers).

Events are the backend messages of ``messages.py`` plus the summaries of ``client_events.py``
(AuthenticationCompleted, PreparedStatementInfo, DataRows ...).  `next_response` returns each
event together with the `Request` it answers (see ``client_pipeline.py``), so several requests
may be in flight at once and each answer still finds its request; asynchronous messages
(NoticeResponse, NotificationResponse, ParameterStatus, an ErrorResponse outside any request)
come with request None.

States live in one table, `_HANDLERS`: for each `ProtocolState`, which backend message types
are allowed and which method handles them.  A message type not in the table for the current
state, or one that does not match the answer the head of the queue expects, raises
`RemoteProtocolError` and moves the client to FAILED; asking for something the current state
does not allow raises `LocalProtocolError`.  A FATAL ErrorResponse is delivered as an event,
then the client is FAILED too (the server closes the connection after it).

Things the protocol leaves to the client and how they are handled here:

* a multi-statement simple Query yields every result set (RowDescription, rows, CommandComplete
  per statement), not just the first;
* COPY is a state, not an error: COPY_OUT delivers CopyData (or batched `CopyOutData`) events,
  COPY_IN accepts `send_copy_data` / `send_copy_done` / `send_copy_fail`.  When a COPY FROM
  STDIN was started by an extended-protocol Execute, the server ignores the Sync that was
  already sent after it, so the client sends a fresh Sync with CopyDone/CopyFail;
* nothing may be pipelined *behind* a statement that turns out to be COPY FROM STDIN (the
  server would read those messages as a broken copy stream); callers must wait for the COPY to
  finish before submitting more;
* big answers stay cheap: a request with a run decoder gets its rows as `DataRows` batches cut
  and decoded straight from the receive buffer, and a *quiet* request (a batch of executions)
  has its BindComplete / CommandComplete answers consumed without an event each, their row
  counts added up in ``Request.rowcount`` (runs of identical answers are skipped by comparing
  bytes);
* small answers stay cheap too: a *combine* request (a serial query) whose BindComplete, rows,
  CommandComplete and ReadyForQuery were received together gets them as one
  `ExecutionCompleted` event, recognised in one scan of the buffer; anything else (split
  arrival, a notice, an error, a malformed message) takes the message-by-message path;
  `send_execution` and `next_sole_execution` are the serial query's shortcuts around the
  general `submit` loop and ready loop, with the same requests, bytes and events.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import tzinfo
from itertools import repeat
from operator import call
from typing import Any, Final
from zoneinfo import ZoneInfo

from .client_auth import ClientAuthenticator
from .client_buffer import ClientBuffer
from .client_events import (
    NEED_DATA,
    AuthenticationCompleted,
    ConnectionClosed,
    CopyOutData,
    DataRows,
    ExecutionCompleted,
    NeedData,
    PreparedStatementInfo,
)
from .client_pipeline import (
    EXECUTION,
    ROUTINE_ANSWERS,
    SYNC_POINTS,
    Expect,
    PreEncoded,
    Request,
    expectation_of,
)
from .errors import LocalProtocolError, ProtocolError, RemoteProtocolError
from .framing import DEFAULT_LARGE_MESSAGE_LIMIT
from .messages import (
    PROTOCOL_3_0,
    AuthenticationOk,
    BackendKeyData,
    BackendMessage,
    Bind,
    CancelRequest,
    Close,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyFail,
    CopyInResponse,
    CopyOutResponse,
    DataRow,
    Describe,
    EmptyQueryResponse,
    ErrorResponse,
    Execute,
    FrontendMessage,
    NegotiateProtocolVersion,
    NoData,
    ParameterDescription,
    ParameterStatus,
    Parse,
    PortalSuspended,
    Query,
    ReadyForQuery,
    RowDescription,
    StartupMessage,
    Sync,
    Terminate,
    TransactionStatus,
    decode_backend,
)

__all__ = ["NEED_DATA", "ProtocolState", "SansIOClient"]

Event = Any
Response = tuple[Request | None, Event]

_FATAL_SEVERITIES: Final = frozenset(("FATAL", "PANIC"))
_SYNC_BYTES: Final = Sync().encode()


class ProtocolState(enum.Enum):
    """Where the connection is in its life (see the module docstring)."""

    #: Nothing sent yet; `do_startup` is the only thing allowed.
    STARTUP = "startup"
    #: StartupMessage sent; the server is authenticating us.
    AUTHENTICATING = "authenticating"
    #: Authenticated; the server is reporting parameters until its first ReadyForQuery.
    STARTING = "starting"
    #: Idle: nothing in flight.
    READY = "ready"
    #: Requests in flight.
    BUSY = "busy"
    #: The server waits for COPY data from us.
    COPY_IN = "copy_in"
    #: The server is sending COPY data.
    COPY_OUT = "copy_out"
    #: We sent Terminate.
    TERMINATED = "terminated"
    #: The server closed the connection.
    CLOSED = "closed"
    #: A protocol error or a FATAL error ended the connection.
    FAILED = "failed"


_DEAD_STATES: Final = frozenset(
    (ProtocolState.TERMINATED, ProtocolState.CLOSED, ProtocolState.FAILED)
)
_ASYNC = {ord("S"): "_on_parameter_status", ord("N"): "_on_async", ord("A"): "_on_async"}

#: state -> backend type byte -> handler method name.  Anything missing is a protocol error.
_HANDLERS: Final[dict[ProtocolState, dict[int, str]]] = {
    ProtocolState.AUTHENTICATING: {
        ord("R"): "_on_authentication",
        ord("v"): "_on_negotiate_protocol_version",
        ord("E"): "_on_error",
        ord("N"): "_on_async",
    },
    ProtocolState.STARTING: {
        ord("S"): "_on_parameter_status",
        ord("K"): "_on_backend_key_data",
        ord("Z"): "_on_startup_ready",
        ord("E"): "_on_error",
        ord("N"): "_on_async",
    },
    ProtocolState.READY: {**_ASYNC, ord("E"): "_on_error"},
    ProtocolState.BUSY: {
        **_ASYNC,
        ord("1"): "_on_parse_complete",
        ord("2"): "_on_bind_complete",
        ord("3"): "_on_close_complete",
        ord("t"): "_on_parameter_description",
        ord("T"): "_on_row_description",
        ord("n"): "_on_no_data",
        ord("D"): "_on_data_row",
        ord("C"): "_on_command_complete",
        ord("I"): "_on_empty_query",
        ord("s"): "_on_portal_suspended",
        ord("G"): "_on_copy_in_response",
        ord("H"): "_on_copy_out_response",
        ord("V"): "_on_function_call_response",
        ord("E"): "_on_error",
        ord("Z"): "_on_ready_for_query",
    },
    ProtocolState.COPY_IN: {**_ASYNC, ord("E"): "_on_error"},
    ProtocolState.COPY_OUT: {
        **_ASYNC,
        ord("d"): "_on_copy_data",
        ord("c"): "_on_copy_done",
        ord("E"): "_on_error",
    },
    ProtocolState.TERMINATED: {**_ASYNC, ord("E"): "_on_error"},
}

#: The states in which each kind of local action is allowed.
_MAY_SUBMIT: Final = frozenset((ProtocolState.READY, ProtocolState.BUSY))
_MAY_COPY: Final = frozenset((ProtocolState.COPY_IN,))


def default_timezone_resolver(name: str) -> tzinfo | None:
    """The session time zone for a TimeZone setting, or None when it is not an IANA name."""
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError, OSError):  # ZoneInfoNotFoundError is a KeyError
        return None


class SansIOClient:
    """One client connection's protocol state (no I/O); see the module docstring."""

    def __init__(
        self,
        username: str,
        database: str | None = None,
        password: str | bytes | None = None,
        application_name: str | None = None,
        *,
        parameters: Mapping[str, str] | None = None,
        channel_binding: str = "prefer",
        tls_server_end_point: bytes | None = None,
        timezone_resolver: Callable[[str], tzinfo | None] = default_timezone_resolver,
        max_message_size: int = DEFAULT_LARGE_MESSAGE_LIMIT,
    ) -> None:
        """Prepare a connection for ``username`` to ``database`` (default: same as the user).

        ``parameters`` are extra start-up parameters (``options``, ``search_path`` ...).
        ``tls_server_end_point`` is the channel-binding hash of the server certificate when
        the connection is TLS (``auth.tls_server_end_point_hash``); ``channel_binding`` is
        ``disable``, ``prefer`` or ``require`` as in libpq.  ``timezone_resolver`` turns the
        server's TimeZone setting into a tzinfo for `timezone`.
        """
        self.username = username
        self.database = database or username
        startup = {"user": username, "database": self.database}
        if application_name is not None:
            startup["application_name"] = application_name
        startup.update(parameters or {})
        startup["client_encoding"] = "UTF8"  # the codec speaks UTF-8 only
        self.startup_parameters: dict[str, str] = startup
        self._authenticator = ClientAuthenticator(
            username,
            password,
            channel_binding=channel_binding,
            tls_server_end_point=tls_server_end_point,
        )
        self._resolve_timezone = timezone_resolver
        self._buffer = ClientBuffer(max_message_size)
        self._outbox: list[bytes] = []
        self._expect: deque[tuple[Expect, Request, str | None]] = deque()
        self._events: deque[Response] = deque()
        self._statements: dict[str, str] = {}
        self._parameter_oids: tuple[int, ...] | None = None
        self._in_result_set = False
        self._terminating = False
        self._copy_needs_sync = False
        self._eof = False
        self._error: ProtocolError | None = None
        self._state = ProtocolState.STARTUP
        self._handlers = {
            state: {code: getattr(self, name) for code, name in table.items()}
            for state, table in _HANDLERS.items()
        }
        #: The server's run-time parameters, as reported by ParameterStatus.
        self.server_parameters: dict[str, str] = {}
        #: (process id, secret key) for cancel requests, once the server sent them.
        self.backend_key: tuple[int, bytes] | None = None
        #: The transaction status of the last ReadyForQuery.
        self.transaction_status = TransactionStatus.IDLE
        #: Protocol minor version and options the server reported it does not support.
        self.negotiated: NegotiateProtocolVersion | None = None
        self._timezone: tzinfo | None = None

    # ------------------------------------------------------------------ properties

    @property
    def state(self) -> ProtocolState:
        """The current `ProtocolState`."""
        return self._state

    @property
    def ready(self) -> bool:
        """True when nothing is in flight and a new command may be sent."""
        return self._state is ProtocolState.READY

    @property
    def dead(self) -> bool:
        """True once the connection has ended (terminated, closed, or failed)."""
        return self._state in _DEAD_STATES

    @property
    def encoding(self) -> str:
        """The client encoding the server reported (always UTF8 for this client)."""
        return self.server_parameters.get("client_encoding", "UTF8")

    @property
    def timezone(self) -> tzinfo | None:
        """The session time zone (ParameterStatus TimeZone) as a tzinfo, when known."""
        return self._timezone

    @property
    def authentication_method(self) -> str | None:
        """How the server authenticated us: ``password``, ``md5``, a SASL mechanism name, or
        None (trust, or not yet)."""
        return self._authenticator.method

    @property
    def in_flight(self) -> int:
        """How many answers are still expected."""
        return len(self._expect)

    # ------------------------------------------------------------------ sending

    def _require(self, allowed: frozenset[ProtocolState], action: str) -> None:
        if self._state not in allowed or self._terminating:
            raise LocalProtocolError(f"cannot {action} in state {self._state.value}")

    def do_startup(self) -> bytes:
        """The StartupMessage; the only thing allowed first."""
        if self._state is not ProtocolState.STARTUP:
            raise LocalProtocolError("the connection has already started")
        self._state = ProtocolState.AUTHENTICATING
        return StartupMessage(self.startup_parameters, PROTOCOL_3_0).encode()

    def submit(
        self,
        messages: Iterable[FrontendMessage],
        owner: Any = None,
        *,
        row_decoder: Callable[..., Any] | None = None,
        batch_copy: bool = False,
        quiet: bool = False,
        combine: bool = False,
    ) -> Request:
        """Queue a group of frontend messages; their bytes wait in `data_to_send`.

        Returns the `Request` that `next_response` will pair with every answer to them.
        The group should end with Sync (or be a Query) unless the caller sends one later.
        ``combine`` asks for one `ExecutionCompleted` event for a closing Bind/Execute/Sync
        (see `Request`); it is ignored when the group does not end with those three.
        """
        self._check_may_submit()
        request = Request(owner, row_decoder, batch_copy, quiet)
        expect = self._expect
        parts: list[bytes] = []
        routine: list[bytes] = []
        for message in messages:
            if type(message) is PreEncoded:
                kinds = message.expects
                if Expect.DESCRIBE_STATEMENT in kinds:
                    raise LocalProtocolError("a statement Describe cannot be pre-encoded")
                parts.append(message.data)
                if quiet:
                    routine.append(bytes(kinds))
                    expect.extend(zip(kinds, repeat(request), repeat(None)))
                else:
                    for kind in kinds:
                        expect.append((kind, request, None))
                request.outstanding += len(kinds)
                continue
            kinds = expectation_of(message)
            if quiet:
                routine.append(bytes(kinds))
            detail = None
            if type(message) is Parse:
                self._statements[message.name] = message.query
            elif type(message) is Describe:
                detail = message.name
            elif type(message) is Close and message.kind == "S":
                self._statements.pop(message.name, None)
            for kind in kinds:
                expect.append((kind, request, detail))
            request.outstanding += len(kinds)
            parts.append(message.encode())
        if combine and request.outstanding >= 3:
            request.combine = (expect[-3][0], expect[-2][0], expect[-1][0]) == EXECUTION
        if quiet:
            request.routine = b"".join(routine).translate(ROUTINE_ANSWERS)
        self._outbox.append(b"".join(parts))
        if expect:
            self._state = ProtocolState.BUSY
        return request

    def send_execution(
        self,
        data: bytes,
        owner: Any = None,
        row_decoder: Callable[..., Any] | None = None,
        combine: bool = False,
    ) -> tuple[Request, bytes]:
        """`submit` of one pre-encoded Bind/Execute/Sync (``data``) followed by `data_to_send`,
        without the general loop (the fast path of a serial prepared query): the same
        `Request` and expectations as ``submit([PreEncoded(data, EXECUTION)], ...)``, and the
        bytes to send."""
        self._check_may_submit()
        request = Request(owner, row_decoder, False, False, combine)
        request.outstanding = len(EXECUTION)
        self._expect.extend((kind, request, None) for kind in EXECUTION)
        self._state = ProtocolState.BUSY
        if self._outbox:
            self._outbox.append(data)
            return request, self.data_to_send()
        return request, data

    def _check_may_submit(self) -> None:
        """A request may be sent: the connection is ready or busy, and not terminating."""
        state = self._state
        if (state is not ProtocolState.BUSY and state is not ProtocolState.READY) or (
            self._terminating
        ):
            self._require(_MAY_SUBMIT, "send a request")

    def data_to_send(self) -> bytes:
        """Every byte queued for the server (requests, authentication answers, copy data)."""
        if not self._outbox:
            return b""
        data = b"".join(self._outbox)
        self._outbox.clear()
        return data

    get_needed_synchronisation = data_to_send

    def do_simple_query(self, query: str) -> bytes:
        """A simple Query (one or more statements, text results)."""
        self.submit((Query(query),))
        return self.data_to_send()

    def do_create_prepared_statement(self, name: str, query: str) -> bytes:
        """Parse + Describe + Sync: answered by ParseComplete, ParameterDescription and a
        `PreparedStatementInfo`."""
        self.submit((Parse(name, query), Describe("S", name), Sync()))
        return self.data_to_send()

    def do_bind_execute(
        self,
        info: PreparedStatementInfo,
        params: Sequence[str | bytes | None] = (),
        max_rows: int = 0,
        *,
        param_formats: Sequence[int] = (),
        result_formats: Sequence[int] = (),
    ) -> bytes:
        """Bind ``params`` to the prepared statement ``info`` (unnamed portal), Execute, Sync.

        Parameters are already-encoded field values: ``str`` is sent as UTF-8 text, ``bytes``
        as given (in the format ``param_formats`` says, text by default), None as NULL.
        """
        if len(params) != len(info.parameter_oids):
            raise LocalProtocolError(
                f"statement {info.name!r} takes {len(info.parameter_oids)} parameters, "
                f"{len(params)} given"
            )
        values = tuple(value.encode() if isinstance(value, str) else value for value in params)
        bind = Bind("", info.name, tuple(param_formats), values, tuple(result_formats))
        self.submit((bind, Execute("", max_rows), Sync()))
        return self.data_to_send()

    def do_terminate(self) -> bytes:
        """The Terminate message; the connection is over afterwards."""
        if self._state in _DEAD_STATES or self._terminating:
            raise LocalProtocolError(f"cannot terminate in state {self._state.value}")
        self._terminating = True
        if not self._expect:
            self._state = ProtocolState.TERMINATED
        self._outbox.append(Terminate().encode())
        return self.data_to_send()

    def send_copy_data(self, data: bytes) -> None:
        """Queue a chunk of COPY FROM STDIN data."""
        self._require(_MAY_COPY, "send COPY data")
        self._outbox.append(CopyData(data).encode())

    def send_copy_done(self) -> None:
        """End COPY FROM STDIN successfully."""
        self._finish_copy_in(CopyDone().encode())

    def send_copy_fail(self, message: str) -> None:
        """Abort COPY FROM STDIN; the server answers with an ErrorResponse quoting ``message``."""
        self._finish_copy_in(CopyFail(message).encode())

    def _finish_copy_in(self, data: bytes) -> None:
        self._require(_MAY_COPY, "end COPY")
        self._outbox.append(data)
        if self._copy_needs_sync:
            self._outbox.append(_SYNC_BYTES)
            self._copy_needs_sync = False
        self._state = ProtocolState.BUSY

    def set_tls_server_end_point(self, data: bytes | None) -> None:
        """Channel-binding data of the server certificate, known once TLS is up (before SASL)."""
        self._authenticator.tls_server_end_point = data

    def cancel_request(self) -> CancelRequest:
        """The CancelRequest to send, on a new connection, to cancel what this one runs."""
        if self.backend_key is None:
            raise LocalProtocolError("the server sent no cancellation key")
        process_id, secret = self.backend_key
        return CancelRequest(process_id, secret)

    # ------------------------------------------------------------------ receiving

    def receive_bytes(self, data: bytes) -> None:
        """Buffer bytes from the server; ``b""`` means the server closed the connection."""
        if data:
            self._buffer.feed(data)
        else:
            self._eof = True

    def next_event(self) -> Event | NeedData:
        """The next event, or `NEED_DATA` (see the module docstring)."""
        response = self.next_response()
        if response is NEED_DATA:
            return NEED_DATA
        return response[1]  # type: ignore[index]

    def next_response(self) -> Response | NeedData:
        """The next event paired with the `Request` it answers (None for asynchronous ones)."""
        if self._events:
            return self._events.popleft()
        if self._error is not None:
            raise self._error
        try:
            return self._next_response()
        except ProtocolError as error:
            self._fail(error)
            raise

    def next_sole_execution(self) -> tuple[Request, ExecutionCompleted] | None:
        """The fast path of `next_response` for the common serial case: when the buffer holds
        exactly one complete answer to the head request's closing Bind/Execute/Sync and nothing
        else (no queued event, nothing after it), that answer as one `ExecutionCompleted`,
        exactly as `next_response` would give it (after which it would say `NEED_DATA`);
        otherwise None, consuming nothing."""
        expect = self._expect
        if self._state is not ProtocolState.BUSY or not expect or self._events or self._outbox:
            return None
        kind, request, _ = expect[0]
        if kind is not Expect.BIND or not request.combine or request.outstanding != 3:
            return None
        if request.quiet or self._error is not None or self._eof:
            return None
        buffer = self._buffer
        found = buffer.execution_answer()
        # The answer starts 5 bytes (its BindComplete) before ``found[0]``: it must end the buffer.
        if found is None or found[2] - found[0] + 5 != buffer.pending:
            return None
        if found[0] != found[1] and request.row_decoder is None:
            return None
        try:
            return self._take_execution(request, *found)
        except ProtocolError as error:
            self._fail(error)
            raise

    def _fail(self, error: ProtocolError) -> None:
        self._error = error
        self._state = ProtocolState.FAILED
        self._expect.clear()

    @property
    def current_request(self) -> Request | None:
        """The request the next answer belongs to (the head of the queue), if any."""
        return self._expect[0][1] if self._expect else None

    def _next_response(self) -> Response | NeedData:
        buffer = self._buffer
        if buffer.exhausted() and not self._eof:
            return NEED_DATA
        while True:
            state = self._state
            if state is ProtocolState.BUSY and self._expect:
                kind, request, _ = self._expect[0]
                if request.quiet and self._skip_quiet_answers(request):
                    continue
                if kind is Expect.BIND and request.combine and request.outstanding == 3:
                    found = buffer.execution_answer()
                    if found is not None and (found[0] == found[1] or request.row_decoder):
                        return self._take_execution(request, *found)
                if request.row_decoder is not None and (
                    kind is Expect.EXECUTE or kind is Expect.QUERY
                ):
                    if buffer.peek_code() == 0x44:  # "D"
                        if kind is Expect.QUERY and not self._in_result_set:
                            raise RemoteProtocolError("unexpected DataRow without RowDescription")
                        rows: list[Any] = []
                        if buffer.take_data_rows(request.row_decoder, rows.append):
                            return request, DataRows(rows)
            elif state is ProtocolState.COPY_OUT and self._expect:
                request = self._expect[0][1]
                if request.batch_copy:
                    chunk = buffer.take_copy_data()
                    if chunk is not None:
                        return request, CopyOutData(chunk)
            item = buffer.next_message()
            if item is None:
                return self._no_message()
            code, body = item
            handler = self._handlers.get(state, {}).get(code)
            if handler is None:
                raise self._unexpected_code(code)
            result = handler(decode_backend(code, body))
            if result is not None:
                return result  # type: ignore[no-any-return]

    def _take_execution(
        self,
        request: Request,
        rows_start: int,
        rows_end: int,
        end: int,
        tag: str,
        status: TransactionStatus,
    ) -> tuple[Request, ExecutionCompleted]:
        """Consume the answer `ClientBuffer.execution_answer` found for the request's closing
        Bind/Execute/Sync (its last three expectations), as one `ExecutionCompleted`."""
        expect = self._expect
        expect.popleft()  # BindComplete
        request.outstanding -= 1
        rows: list[Any] = []
        # A decoder failure leaves the CommandComplete and ReadyForQuery to the usual path.
        self._buffer.take_execution(rows_start, rows_end, end, request.row_decoder, rows.append)
        expect.popleft()  # CommandComplete
        expect.popleft()  # ReadyForQuery
        request.outstanding -= 2
        self.transaction_status = status
        if not expect:
            self._state = ProtocolState.TERMINATED if self._terminating else ProtocolState.READY
        return request, ExecutionCompleted(rows, tag, status)

    def _skip_quiet_answers(self, request: Request) -> bool:
        """Consume the BindComplete / CommandComplete answers of a quiet request at the front
        of the buffer without producing events; True when any was consumed."""
        routine = request.routine
        index = len(routine) - request.outstanding
        consumed, rowcount = self._buffer.take_routine_answers(routine, index)
        if consumed:
            # Pop that many expectations, looping in C rather than in Python.
            deque(map(call, repeat(self._expect.popleft, consumed)), maxlen=0)
            request.outstanding -= consumed
            request.rowcount += rowcount
        return consumed > 0

    def _no_message(self) -> Response | NeedData:
        if not self._eof:
            return NEED_DATA
        if self._buffer.pending:
            raise RemoteProtocolError("the server closed the connection in the middle of a message")
        if self._state is not ProtocolState.TERMINATED and self._state is not ProtocolState.FAILED:
            self._state = ProtocolState.CLOSED
        self._expect.clear()
        return None, ConnectionClosed()

    def _unexpected_code(self, code: int) -> RemoteProtocolError:
        if self._state in _DEAD_STATES:
            return RemoteProtocolError(
                f"message type {chr(code)!r} received after the connection ended"
            )
        return RemoteProtocolError(
            f"unexpected message type {chr(code)!r} in state {self._state.value}"
        )

    # ------------------------------------------------------------------ expectation queue

    def _head(self, message: BackendMessage) -> tuple[Expect, Request]:
        if not self._expect:
            raise RemoteProtocolError(f"unexpected {type(message).__name__}: nothing in flight")
        kind, request, _ = self._expect[0]
        return kind, request

    def _pop(self, request: Request) -> None:
        self._expect.popleft()
        request.outstanding -= 1

    def _answer(self, expected: Expect, message: BackendMessage) -> Response:
        kind, request = self._head(message)
        if kind is not expected:
            raise RemoteProtocolError(
                f"unexpected {type(message).__name__} (waiting for the answer to {kind.name})"
            )
        self._pop(request)
        return request, message

    # ------------------------------------------------------------------ start-up handlers

    def _on_authentication(self, message: BackendMessage) -> Response:
        reply = self._authenticator.handle(message)
        if reply is not None:
            self._outbox.append(reply.encode())
        elif isinstance(message, AuthenticationOk):
            self._state = ProtocolState.STARTING
        return None, message

    def _on_negotiate_protocol_version(self, message: NegotiateProtocolVersion) -> Response:
        self.negotiated = message
        return None, message

    def _on_backend_key_data(self, message: BackendKeyData) -> Response:
        self.backend_key = (message.process_id, message.secret_key)
        return None, message

    def _on_startup_ready(self, message: ReadyForQuery) -> Response:
        self.transaction_status = message.status
        self._state = ProtocolState.READY
        pid, secret = self.backend_key or (None, None)
        completed = AuthenticationCompleted(dict(self.server_parameters), pid, secret)
        self._events.append((None, message))
        return None, completed

    # ------------------------------------------------------------------ asynchronous messages

    def _on_parameter_status(self, message: ParameterStatus) -> Response:
        self.server_parameters[message.name] = message.value
        if message.name == "TimeZone":
            self._timezone = self._resolve_timezone(message.value)
        return None, message

    def _on_async(self, message: BackendMessage) -> Response:
        return None, message

    def _on_error(self, message: ErrorResponse) -> Response:
        fatal = message.severity in _FATAL_SEVERITIES
        request: Request | None = None
        state = self._state
        if state in (ProtocolState.BUSY, ProtocolState.COPY_IN, ProtocolState.COPY_OUT):
            kind, request, _ = self._expect[0]
            self._in_result_set = False
            self._parameter_oids = None
            if state is ProtocolState.COPY_IN and self._copy_needs_sync:
                # The server now skips to a Sync, and ignored the one sent with the Execute.
                self._outbox.append(_SYNC_BYTES)
            self._copy_needs_sync = False
            if kind is not Expect.QUERY and kind is not Expect.FUNCTION_CALL:
                # The server skips the rest of this group, up to the next Sync.
                while self._expect and self._expect[0][0] is not Expect.SYNC:
                    skipped = self._expect.popleft()[1]
                    skipped.outstanding -= 1
            self._state = ProtocolState.BUSY
        if fatal:
            self._state = ProtocolState.FAILED
            self._error = RemoteProtocolError(
                f"the server ended the connection: {message.message}", message.sqlstate or None
            )
        elif state in (ProtocolState.AUTHENTICATING, ProtocolState.STARTING):
            raise RemoteProtocolError(f"non-fatal error during start-up: {message.message}")
        return request, message

    # ------------------------------------------------------------------ answers

    def _on_parse_complete(self, message: BackendMessage) -> Response:
        return self._answer(Expect.PARSE, message)

    def _on_bind_complete(self, message: BackendMessage) -> Response:
        return self._answer(Expect.BIND, message)

    def _on_close_complete(self, message: BackendMessage) -> Response:
        return self._answer(Expect.CLOSE, message)

    def _on_parameter_description(self, message: ParameterDescription) -> Response:
        kind, request = self._head(message)
        if kind is not Expect.DESCRIBE_STATEMENT:
            raise RemoteProtocolError("unexpected ParameterDescription")
        if self._parameter_oids is not None:
            raise RemoteProtocolError("unexpected second ParameterDescription")
        self._parameter_oids = message.type_oids
        return request, message

    def _statement_info(self, message: BackendMessage, rows: RowDescription | None) -> Response:
        _, request, name = self._expect[0]
        if self._parameter_oids is None:
            raise RemoteProtocolError(f"{type(message).__name__} before ParameterDescription")
        self._pop(request)
        name = name or ""
        info = PreparedStatementInfo(
            name, self._statements.get(name, ""), self._parameter_oids, rows
        )
        self._parameter_oids = None
        return request, info

    def _on_row_description(self, message: RowDescription) -> Response | None:
        kind, request = self._head(message)
        if kind is Expect.DESCRIBE_STATEMENT:
            return self._statement_info(message, message)
        if kind is Expect.DESCRIBE_PORTAL:
            self._pop(request)
            return request, message
        if kind is Expect.QUERY and not self._in_result_set:
            self._in_result_set = True
            return request, message
        raise RemoteProtocolError("unexpected RowDescription")

    def _on_no_data(self, message: NoData) -> Response:
        kind, request = self._head(message)
        if kind is Expect.DESCRIBE_STATEMENT:
            return self._statement_info(message, None)
        if kind is Expect.DESCRIBE_PORTAL:
            self._pop(request)
            return request, message
        raise RemoteProtocolError("unexpected NoData")

    def _on_data_row(self, message: DataRow) -> Response:
        kind, request = self._head(message)
        if kind is Expect.EXECUTE or (kind is Expect.QUERY and self._in_result_set):
            return request, message
        raise RemoteProtocolError("unexpected DataRow")

    def _end_of_statement(self, message: BackendMessage, pop_execute: bool = True) -> Response:
        kind, request = self._head(message)
        if kind is Expect.EXECUTE:
            if pop_execute:
                self._pop(request)
            return request, message
        if kind is Expect.QUERY:
            self._in_result_set = False
            return request, message
        raise RemoteProtocolError(f"unexpected {type(message).__name__}")

    def _on_command_complete(self, message: CommandComplete) -> Response:
        return self._end_of_statement(message)

    def _on_empty_query(self, message: EmptyQueryResponse) -> Response:
        return self._end_of_statement(message)

    def _on_portal_suspended(self, message: PortalSuspended) -> Response:
        kind, request = self._head(message)
        if kind is not Expect.EXECUTE:
            raise RemoteProtocolError("unexpected PortalSuspended")
        self._pop(request)
        return request, message

    def _on_copy_in_response(self, message: CopyInResponse) -> Response:
        request, _ = self._end_of_statement(message, pop_execute=False)
        if self._expect[0][0] is Expect.EXECUTE:
            # The Sync already sent after this Execute is ignored in copy-in mode.
            follows = self._expect[1][0] if len(self._expect) > 1 else None
            self._copy_needs_sync = follows is Expect.SYNC
        self._state = ProtocolState.COPY_IN
        return request, message

    def _on_copy_out_response(self, message: CopyOutResponse) -> Response:
        response = self._end_of_statement(message, pop_execute=False)
        self._state = ProtocolState.COPY_OUT
        return response

    def _on_copy_data(self, message: CopyData) -> Response:
        return self._expect[0][1], message

    def _on_copy_done(self, message: CopyDone) -> Response:
        self._state = ProtocolState.BUSY
        return self._expect[0][1], message

    def _on_function_call_response(self, message: BackendMessage) -> Response:
        kind, request = self._head(message)
        if kind is not Expect.FUNCTION_CALL:
            raise RemoteProtocolError("unexpected FunctionCallResponse")
        return request, message

    def _on_ready_for_query(self, message: ReadyForQuery) -> Response:
        kind, request = self._head(message)
        if kind not in SYNC_POINTS:
            raise RemoteProtocolError(f"unexpected ReadyForQuery (waiting for {kind.name})")
        self._pop(request)
        self._in_result_set = False
        self.transaction_status = message.status
        if not self._expect:
            self._state = ProtocolState.TERMINATED if self._terminating else ProtocolState.READY
        return request, message
