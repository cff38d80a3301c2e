"""The server side of one PostgreSQL connection as a sans-IO state machine (model: h11).

`ServerConnection` knows the order of messages the frontend/backend protocol allows (protocol
chapter 55.2, "Message Flow") and nothing about SQL, sockets or time:

* ``receive_data(data)`` only buffers what the client sent (``b""`` means end of stream);
* ``next_event()`` cuts the next message out of the buffer and returns it, or `NEED_DATA`
  (more bytes are needed), or `PAUSED` (the server must answer before it reads on: after a
  Query, a Sync, an SSLRequest ...), or `ConnectionClosed` once the stream has ended;
* ``send(message)`` returns the bytes to write and moves the state on; ``send_encoded(kind,
  data)`` does the same for messages the caller encoded (or cached) itself;
* ``take_cycle(data)`` is the shortcut of a busy server: a read that is exactly one whole
  query cycle (extended, or one Query) is cut in one pass, each message with the state the same
  table gives;
  ``take_bind_cycle(data)`` recognises the commonest such cycle, one statement run through the
  unnamed portal (`BindCycle`), so the caller can run it as one unit.

Every transition lives in the tables below: `_FRONTEND` says which client message is allowed in
which state and where it leads, `_BACKEND` the same for our own messages.  A client message not
allowed in the current state raises `RemoteProtocolError`; one of our own raises
`LocalProtocolError` (a bug in the caller).  Either moves the connection to `ServerState.ERROR`,
where the only thing left to send is a FATAL ErrorResponse.

Points of the protocol handled here rather than left to the caller:

* SSLRequest and GSSENCRequest may come (once each, in any order) before the StartupMessage.
  Bytes the client sent after such a request but before reading our one-byte answer are a
  protocol violation: they were not protected by the encryption being negotiated (CVE-2021-23214),
  so both `next_event` and the answer itself refuse them.
* The password message ``p`` means something different at each step of authentication; the
  connection remembers which authentication request it sent last and decodes the answer as the
  `PasswordMessage`, `SASLInitialResponse` or `SASLResponse` that request asked for.
* Until authentication succeeds every message is limited to a small size (PostgreSQL allows
  65535 bytes for authentication tokens); afterwards the configurable limits of
  `framing.MessageBuffer` apply.  A length field over the limit is refused before its body
  arrives.
* After an error in extended-query mode every message up to the next Sync is discarded, as is
  stray COPY data arriving after a COPY failed (protocol section 55.2.3 and 55.2.6).
* A StartupMessage for a major version other than 3 is refused with SQLSTATE 0A000 worded like
  PostgreSQL's; `negotiate_protocol` says what to answer to a 3.x newer than 3.0 or to
  ``_pq_.`` options.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, Final, NamedTuple

from . import messages as m
from .errors import LocalProtocolError, RemoteProtocolError
from .framing import (
    DEFAULT_LARGE_MESSAGE_LIMIT,
    FRONTEND_LARGE_MESSAGES,
    SMALL_MESSAGE_LIMIT,
    MessageBuffer,
    message_limits,
)

__all__ = [
    "NEED_DATA",
    "PAUSED",
    "BindCycle",
    "ConnectionClosed",
    "EncryptionResponse",
    "ServerConnection",
    "ServerState",
    "negotiate_protocol",
]

#: The protocol version this server speaks (3.0; 3.2 is answered with NegotiateProtocolVersion).
SUPPORTED_PROTOCOL: Final = m.PROTOCOL_3_0
#: Largest authentication message accepted (PostgreSQL's PG_MAX_AUTH_TOKEN_LENGTH).
MAX_AUTH_MESSAGE: Final = 65535


class _Sentinel:
    __slots__ = ("_name",)

    def __init__(self, name: str) -> None:
        self._name = name

    def __repr__(self) -> str:
        return self._name


#: `next_event` needs more bytes before it can return a message.
NEED_DATA: Final = _Sentinel("NEED_DATA")
#: `next_event` will not read on until the server has answered (ReadyForQuery, SSL answer …).
PAUSED: Final = _Sentinel("PAUSED")


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The client closed its side of the connection (``receive_data(b"")`` was called)."""


@dataclass(frozen=True, slots=True)
class EncryptionResponse(m.BackendMessage):
    """The single unframed byte answering SSLRequest or GSSENCRequest: ``S``/``G`` or ``N``."""

    accepted: bool
    code: ClassVar[bytes] = b""

    def encode(self) -> bytes:
        return b"S" if self.accepted else b"N"


class ServerState(enum.Enum):
    """Where the conversation is, from the server's point of view."""

    # Members are singletons compared by identity: hash them in C (the tables below are keyed
    # by state, looked up for every message) rather than with Enum's Python-level __hash__.
    __hash__ = object.__hash__

    AWAITING_STARTUP = "awaiting startup packet"
    SSL_NEGOTIATION = "answering SSLRequest"
    GSS_NEGOTIATION = "answering GSSENCRequest"
    AUTHENTICATING = "authenticating"
    STARTING = "sending startup parameters"
    READY = "ready for query"
    IN_SIMPLE_QUERY = "in simple query"
    IN_EXTENDED = "in extended query"
    FAILED_UNTIL_SYNC = "skipping until Sync"
    SYNCING = "answering Sync"
    IN_COPY_IN = "in COPY FROM STDIN"
    IN_COPY_OUT = "in COPY TO STDOUT"
    CLOSED = "closed"
    ERROR = "error"


S = ServerState
_QUERY_STATES: Final = (S.READY, S.IN_EXTENDED)
_EXTENDED_MESSAGES: Final = (m.Parse, m.Bind, m.Describe, m.Execute, m.Close, m.Flush)
#: Sentinel target state: the message is accepted and silently dropped.
_DISCARD: Final = _Sentinel("DISCARD")


def _frontend_table() -> dict[tuple[ServerState, type[m.Message]], object]:
    table: dict[tuple[ServerState, type[m.Message]], object] = {}
    message: type[m.Message]
    for state in _QUERY_STATES:
        table[state, m.Query] = S.IN_SIMPLE_QUERY
        table[state, m.FunctionCall] = S.IN_SIMPLE_QUERY
        for message in _EXTENDED_MESSAGES:
            table[state, message] = S.IN_EXTENDED
        table[state, m.Sync] = S.SYNCING
        table[state, m.Terminate] = S.CLOSED
        # Leftovers of a COPY FROM STDIN the server already ended with an error.
        for message in (m.CopyData, m.CopyDone, m.CopyFail):
            table[state, message] = _DISCARD
    table[S.FAILED_UNTIL_SYNC, m.Sync] = S.SYNCING
    table[S.FAILED_UNTIL_SYNC, m.Terminate] = S.CLOSED
    table[S.IN_COPY_IN, m.CopyData] = S.IN_COPY_IN
    table[S.IN_COPY_IN, m.CopyDone] = "return"
    table[S.IN_COPY_IN, m.CopyFail] = "return"
    table[S.IN_COPY_IN, m.Flush] = _DISCARD
    table[S.IN_COPY_IN, m.Sync] = _DISCARD
    for response in (m.PasswordMessage, m.SASLInitialResponse, m.SASLResponse):
        table[S.AUTHENTICATING, response] = S.AUTHENTICATING
    table[S.AUTHENTICATING, m.Terminate] = S.CLOSED
    return table


#: (state, frontend message class) -> next state, "return" (leave COPY) or _DISCARD.
_FRONTEND: Final = _frontend_table()

#: States in which next_event does not read: the server has to answer first.
_PAUSED_STATES: Final = frozenset(
    {
        S.SSL_NEGOTIATION,
        S.GSS_NEGOTIATION,
        S.STARTING,
        S.IN_SIMPLE_QUERY,
        S.SYNCING,
        S.IN_COPY_OUT,
    }
)

_ASYNC_MESSAGES: Final = (m.NoticeResponse, m.ParameterStatus, m.NotificationResponse)
_ANY_AUTH_REQUEST: Final = (
    m.AuthenticationCleartextPassword,
    m.AuthenticationMD5Password,
    m.AuthenticationSASL,
    m.AuthenticationSASLContinue,
    m.AuthenticationSASLFinal,
)
#: Authentication request -> how the client's next ``p`` message is decoded (None: no answer).
_AUTH_ANSWERS: Final[dict[type[m.Message], Callable[[bytes], m.FrontendMessage] | None]] = {
    m.AuthenticationCleartextPassword: m.PasswordMessage.from_payload,
    m.AuthenticationMD5Password: m.PasswordMessage.from_payload,
    m.AuthenticationSASL: m.SASLInitialResponse.from_payload,
    m.AuthenticationSASLContinue: m.SASLResponse.from_payload,
    m.AuthenticationSASLFinal: None,
}


def _backend_table() -> dict[tuple[ServerState, type[m.Message]], object]:
    table: dict[tuple[ServerState, type[m.Message]], object] = {}
    message: type[m.Message]
    table[S.SSL_NEGOTIATION, EncryptionResponse] = S.AWAITING_STARTUP
    table[S.GSS_NEGOTIATION, EncryptionResponse] = S.AWAITING_STARTUP
    table[S.AUTHENTICATING, m.NegotiateProtocolVersion] = S.AUTHENTICATING
    for request in _ANY_AUTH_REQUEST:
        table[S.AUTHENTICATING, request] = S.AUTHENTICATING
    table[S.AUTHENTICATING, m.AuthenticationOk] = S.STARTING
    table[S.STARTING, m.BackendKeyData] = S.STARTING
    table[S.STARTING, m.ReadyForQuery] = S.READY
    for state in (S.STARTING, S.READY, S.IN_SIMPLE_QUERY, S.IN_EXTENDED, S.FAILED_UNTIL_SYNC,
                  S.SYNCING, S.IN_COPY_IN, S.IN_COPY_OUT):  # fmt: skip
        for message in _ASYNC_MESSAGES:
            table[state, message] = state
    results = (m.RowDescription, m.DataRow, m.CommandComplete, m.EmptyQueryResponse)
    for message in results:
        table[S.IN_SIMPLE_QUERY, message] = S.IN_SIMPLE_QUERY
        table[S.IN_EXTENDED, message] = S.IN_EXTENDED
    table[S.IN_SIMPLE_QUERY, m.FunctionCallResponse] = S.IN_SIMPLE_QUERY
    for message in (m.ParseComplete, m.BindComplete, m.CloseComplete, m.ParameterDescription,
                    m.NoData, m.PortalSuspended):  # fmt: skip
        table[S.IN_EXTENDED, message] = S.IN_EXTENDED
    for state in (S.IN_SIMPLE_QUERY, S.IN_EXTENDED):
        table[state, m.CopyInResponse] = S.IN_COPY_IN
        table[state, m.CopyOutResponse] = S.IN_COPY_OUT
    table[S.IN_SIMPLE_QUERY, m.ErrorResponse] = S.IN_SIMPLE_QUERY
    table[S.IN_EXTENDED, m.ErrorResponse] = S.FAILED_UNTIL_SYNC
    table[S.SYNCING, m.ErrorResponse] = S.SYNCING
    table[S.IN_COPY_IN, m.ErrorResponse] = "return-failed"
    table[S.IN_COPY_OUT, m.ErrorResponse] = "return-failed"
    table[S.IN_COPY_OUT, m.CopyData] = S.IN_COPY_OUT
    table[S.IN_COPY_OUT, m.CopyDone] = "return"
    table[S.IN_SIMPLE_QUERY, m.ReadyForQuery] = S.READY
    table[S.SYNCING, m.ReadyForQuery] = S.READY
    return table


#: (state, backend message class) -> next state, "return" or "return-failed" (leave COPY).
_BACKEND: Final = _backend_table()

_Row = dict[type[m.Message], object]


def _rows(table: dict[tuple[ServerState, type[m.Message]], object]) -> dict[ServerState, _Row]:
    """A table split by state, so a lookup per message hashes only the message class."""
    rows: dict[ServerState, _Row] = {state: {} for state in ServerState}
    for (state, kind), target in table.items():
        rows[state][kind] = target
    return rows


_FRONTEND_ROWS: Final = _rows(_FRONTEND)
_BACKEND_ROWS: Final = _rows(_BACKEND)
#: Backend messages whose transition depends on more than their kind (the severity of an
#: error, what an answer to SSLRequest accepted, the state COPY returns to, the step of
#: authentication): they must go through `ServerConnection.send`.
_SEND_WHOLE: Final = frozenset(
    {m.ErrorResponse, EncryptionResponse, m.CopyInResponse, m.CopyOutResponse, m.AuthenticationOk}
    | set(_AUTH_ANSWERS)
)
#: Everything a state change sets, in one lookup: (frontend row, backend row, paused, quiet).
_ENTER: Final = {
    state: (
        _FRONTEND_ROWS[state],
        _BACKEND_ROWS[state],
        state in _PAUSED_STATES,
        frozenset(
            kind
            for kind, target in _BACKEND_ROWS[state].items()
            if target is state and kind not in _SEND_WHOLE
        ),
    )
    for state in ServerState
}

# The states `next_event` tests for every message, bound once: reading a member off an Enum
# class goes through a Python-level descriptor (about 50 ns each on 3.11).
_AWAITING_STARTUP: Final = S.AWAITING_STARTUP
_AUTHENTICATING: Final = S.AUTHENTICATING
_FAILED_UNTIL_SYNC: Final = S.FAILED_UNTIL_SYNC
_CLOSED: Final = S.CLOSED
_ERROR: Final = S.ERROR
#: States `next_event` leaves to `_next_startup_event`.
_STARTUP_STATES: Final = frozenset({_AWAITING_STARTUP, _AUTHENTICATING, _CLOSED, _ERROR})
_READY: Final = S.READY
_IN_EXTENDED: Final = S.IN_EXTENDED
_SYNCING: Final = S.SYNCING
_IN_SIMPLE_QUERY: Final = S.IN_SIMPLE_QUERY
_EXTENDED_ROW: Final = _FRONTEND_ROWS[S.IN_EXTENDED]
#: A Sync message: the end of every extended-query cycle.
_SYNC: Final = m.Sync().encode()
#: Describe of the unnamed portal, and the start of an Execute of it (before its row limit).
_DESCRIBE_UNNAMED_PORTAL: Final = m.Describe("P", "").encode()
_EXECUTE_UNNAMED_PORTAL: Final = m.Execute("", 0).encode()[:6]
_PARSE_CODE: Final = ord("P")
_QUERY_CODE: Final = ord("Q")
_BIND_CODE: Final = ord("B")

#: Decoded messages by body, for the kinds whose bodies repeat (a client runs the same
#: statements again and again): the messages are immutable, so one decoding serves every
#: connection.  Bind is not here (its parameter values differ every time), nor are bodies over
#: `_MEMO_MAX_BODY` bytes; a table is emptied when it reaches `_MEMO_ENTRIES`.
_MEMO_MAX_BODY: Final = 2048
_MEMO_ENTRIES: Final = 256
_DECODED: Final[dict[int, dict[bytes, m.FrontendMessage]]] = {ord(code): {} for code in "QPDCESHc"}
#: By type byte: (the memo of its messages or None, its decoder or None if there is none).
_DECODING: Final = [(_DECODED.get(code), m.FRONTEND_DECODERS.get(code)) for code in range(256)]
_unpack_int32: Final = m.INT32.unpack_from


def _decode_query_message(code: int, body: bytes) -> m.FrontendMessage:
    """The message of type ``code`` with ``body``, from the memo when its body was seen."""
    memo, decode = _DECODING[code]
    if memo is None:  # (no typing.cast: a call per message on the hottest path)
        decoded = m.decode_frontend(code, body) if decode is None else decode(body)
        return decoded  # type: ignore[return-value]
    message = memo.get(body)
    if message is None:
        message = m.decode_frontend(code, body)
        if len(body) <= _MEMO_MAX_BODY:
            if len(memo) >= _MEMO_ENTRIES:
                memo.clear()
            memo[body] = message
    return message


class BindCycle(NamedTuple):
    """One statement run through the unnamed portal: ``[Parse] Bind [Describe] Execute Sync``
    with an unnamed Parse (if any), portal and Describe — how drivers run a query.  The offsets
    say where the Bind, the Describe (or the Bind when there is none) and the Execute end."""

    parse: m.Parse | None
    bind: m.Bind
    #: Whether the portal is described.
    describe: bool
    bind_end: int
    describe_end: int
    execute_end: int
    max_rows: int


def negotiate_protocol(startup: m.StartupMessage) -> m.NegotiateProtocolVersion | None:
    """What to send before authentication when the client asked for more than 3.0.

    PostgreSQL answers a newer 3.x minor version, or any ``_pq_.`` protocol option, with
    NegotiateProtocolVersion carrying the newest version it speaks (the whole version number,
    as PostgreSQL sends it) and every ``_pq_.`` option it did not recognise — here, all of them.
    """
    options = tuple(name for name in startup.parameters if name.startswith("_pq_."))
    if startup.protocol_version > SUPPORTED_PROTOCOL or options:
        return m.NegotiateProtocolVersion(SUPPORTED_PROTOCOL, options)
    return None


def _startup_limits() -> dict[int, int]:
    limits = dict.fromkeys(range(256), SMALL_MESSAGE_LIMIT)
    limits[ord("p")] = MAX_AUTH_MESSAGE
    return limits


# The limit tables are read-only and the same for every connection: one copy each, rather than
# two 256-entry dicts (about 9 KB each) held by every connection.
_STARTUP_LIMITS: Final = _startup_limits()


@functools.lru_cache(maxsize=8)
def _message_limits(max_message_size: int) -> dict[int, int]:
    return message_limits(FRONTEND_LARGE_MESSAGES, max_message_size)


class ServerConnection:
    """The protocol state of one client connection; see the module docstring."""

    def __init__(self, *, max_message_size: int = DEFAULT_LARGE_MESSAGE_LIMIT) -> None:
        self._state = ServerState.AWAITING_STARTUP
        self._frontend_row, self._backend_row, self._paused, self.quiet = _ENTER[self._state]
        self._buffer = MessageBuffer(_STARTUP_LIMITS)
        self._limits = _message_limits(max_message_size)
        self._eof = False
        self._ssl_done = False
        self._gss_done = False
        self._auth_answer: Callable[[bytes], m.FrontendMessage] | None = None
        self._copy_return = ServerState.IN_SIMPLE_QUERY

    #: The kinds of backend message allowed now that leave the state as it is (results, most
    #: extended-query answers, notices …): a caller may send those without `send_encoded`.
    quiet: frozenset[type[m.Message]]

    @property
    def state(self) -> ServerState:
        """Where the conversation is (see `ServerState`)."""
        return self._state

    @state.setter
    def state(self, state: ServerState) -> None:
        self._state = state
        self._frontend_row, self._backend_row, self._paused, self.quiet = _ENTER[state]

    # -- receiving -------------------------------------------------------------------------

    @property
    def buffered_bytes(self) -> int:
        """How many received bytes are not yet handed out as events."""
        return self._buffer.pending

    def take_unprocessed(self) -> bytes:
        """Remove and return the bytes not yet handed out as events.

        The seam for a proxy that takes the stream over after authentication and relays the
        client's messages itself instead of running them through this state machine.
        """
        return self._buffer.take_all()

    def receive_data(self, data: bytes) -> None:
        """Buffer bytes from the client; ``b""`` marks the end of the stream."""
        if not data:
            self._eof = True
            return
        if self._eof:
            raise LocalProtocolError("received data after end of stream")
        self._buffer.feed(data)

    def next_event(self) -> m.FrontendMessage | ConnectionClosed | _Sentinel:
        """The next client message, `NEED_DATA`, `PAUSED` or `ConnectionClosed`."""
        try:
            if self._state in _STARTUP_STATES:
                return self._next_startup_event()
            # The query cycle, once per message: cut, decode (memoised for repeated bodies),
            # look the transition up, move — in one function, it is most of the server's work.
            # The framing is `MessageBuffer.next_message`, inlined: its slots are read here.
            buffer = self._buffer
            while True:
                if self._paused:
                    return PAUSED
                data = buffer._buffer
                pos = buffer._pos
                if len(data) - pos < 5:
                    return self._out_of_data() if self._eof else NEED_DATA
                code = data[pos]
                length = _unpack_int32(data, pos + 1)[0]
                if length < 4 or length > buffer._limits[code]:
                    buffer.next_message()  # raises the error that says what is wrong
                end = pos + 1 + length
                if end > len(data):
                    return self._out_of_data() if self._eof else NEED_DATA
                buffer._pos = end
                message = _decode_query_message(code, bytes(data[pos + 5 : end]))
                state = self._state
                target = self._frontend_row.get(message.__class__)
                if target is None:
                    if state is _FAILED_UNTIL_SYNC:
                        continue
                    raise RemoteProtocolError(
                        f"unexpected message type {chr(code)!r} ({type(message).__name__}) "
                        f"while {state.value}"
                    )
                if target is _DISCARD:
                    continue
                if target is not state:
                    if target == "return":
                        target = self._copy_return
                    self._state = target  # type: ignore[assignment]
                    self._frontend_row, self._backend_row, self._paused, self.quiet = _ENTER[target]  # type: ignore[index]
                return message
        except RemoteProtocolError:
            self.state = ServerState.ERROR
            raise

    def take_cycle(self, data: bytes) -> list[tuple[m.FrontendMessage, int, ServerState]] | None:
        """``data`` as one whole query cycle, when it is exactly that, received while the
        connection waits for a query with nothing buffered: extended-query messages the cycle
        accepts now ending with its only Sync, or one Query.  Each message comes with the
        offset where it ends in ``data`` and the state it leads to (from the same table
        `next_event` uses); the connection is left as `next_event` leaves it after the first
        one.  The caller
        handles them in order, moving to each one's state before handling it; if it stops
        early (a message had to wait or failed), it gives the rest of ``data`` to
        `receive_data` and goes on with `next_event`.  None, with nothing changed, for
        anything else (a partial or oversized message, a Query with more after it, a Flush …):
        then ``data`` takes the usual way.

        This is the shortcut of a busy server: drivers send a whole cycle in one write
        (Parse/Bind/Describe/Execute/Sync, Bind/Execute/Sync of a prepared statement, or a
        Query), and cutting it in one pass here spares a `next_event` round per message.
        """
        if self._state is not _READY or self._eof or self._buffer.pending:
            return None
        size = len(data)
        if size > 5 and data[0] == _QUERY_CODE:
            return self._take_query(data)
        if data[-5:] != _SYNC:
            return None
        limits = self._limits
        row = self._frontend_row
        cycle: list[tuple[m.FrontendMessage, int, ServerState]] = []
        pos = 0
        try:
            while pos < size:
                if size - pos < 5:
                    return None
                code = data[pos]
                length = _unpack_int32(data, pos + 1)[0]
                end = pos + 1 + length
                if length < 4 or length > limits[code] or end > size:
                    return None
                message = _decode_query_message(code, data[pos + 5 : end])
                target = row.get(message.__class__)
                if target is not (_SYNCING if end == size else _IN_EXTENDED):
                    return None
                cycle.append((message, end, target))  # type: ignore[arg-type]
                pos = end
                row = _EXTENDED_ROW
        except Exception:  # noqa: BLE001 - malformed: `next_event` says how, the usual way
            return None
        self.state = _IN_EXTENDED
        return cycle

    def _take_query(self, data: bytes) -> list[tuple[m.FrontendMessage, int, ServerState]] | None:
        """`take_cycle` of a read that is one whole Query message."""
        if _unpack_int32(data, 1)[0] + 1 != len(data) or len(data) - 1 > self._limits[_QUERY_CODE]:
            return None
        try:
            query = _decode_query_message(_QUERY_CODE, data[5:])
        except Exception:  # noqa: BLE001 - malformed: `next_event` says how, the usual way
            return None
        self.state = _IN_SIMPLE_QUERY
        return [(query, len(data), _IN_SIMPLE_QUERY)]

    def take_bind_cycle(self, data: bytes) -> BindCycle | None:
        """``data`` as a `BindCycle`, when it is exactly one and arrives while the connection
        waits for a query with nothing buffered; None, with nothing changed, otherwise.

        Unlike `take_cycle` the state does not move: the caller moves it as it answers (to
        `ServerState.IN_EXTENDED` for the answers to Parse, Bind, Describe and Execute, then to
        `ServerState.SYNCING` for the Sync), and when it stops early it hands the bytes after
        the last message it answered to `receive_data`, in `ServerState.IN_EXTENDED`.
        """
        if self._state is not _READY or self._eof or self._buffer.pending:
            return None
        size = len(data)
        if size < 26 or not data.endswith(_SYNC):
            return None
        limits = self._limits
        try:
            parse = None
            pos = 0
            if data[0] == _PARSE_CODE:
                end = 1 + _unpack_int32(data, 1)[0]
                if end < 5 or end > limits[_PARSE_CODE] + 1 or end > size:
                    return None
                parse = _decode_query_message(_PARSE_CODE, data[5:end])
                if parse.name:  # type: ignore[attr-defined]
                    return None
                pos = end
            if data[pos] != _BIND_CODE:
                return None
            end = pos + 1 + _unpack_int32(data, pos + 1)[0]
            if end < pos + 5 or end > pos + 1 + limits[_BIND_CODE] or end > size:
                return None
            bind = m.decode_bind(data[pos + 5 : end])
            if bind.portal:
                return None
            describe = data.startswith(_DESCRIBE_UNNAMED_PORTAL, end)
            describe_end = end + 7 if describe else end
            execute_end = describe_end + 10
            if execute_end + 5 != size or not data.startswith(
                _EXECUTE_UNNAMED_PORTAL, describe_end
            ):
                return None
            max_rows = _unpack_int32(data, describe_end + 6)[0]
        except Exception:  # noqa: BLE001 - malformed: `next_event` says how, the usual way
            return None
        return BindCycle(parse, bind, describe, end, describe_end, execute_end, max_rows)  # type: ignore[arg-type]

    def _out_of_data(self) -> ConnectionClosed | _Sentinel:
        """What `next_event` returns when no complete message is buffered."""
        if self._eof:
            if self._buffer.pending:
                raise RemoteProtocolError("unexpected EOF within message")
            self.state = _CLOSED
            return ConnectionClosed()
        return NEED_DATA

    def _next_startup_event(self) -> m.FrontendMessage | ConnectionClosed | _Sentinel:
        """`next_event` before the query cycle: startup packets and authentication answers,
        and after it: closed or failed connections."""
        state = self._state
        if self._paused or (state is _AUTHENTICATING and self._auth_answer is None):
            return PAUSED
        if state is _ERROR:
            raise RemoteProtocolError("connection is in the error state")
        if state is _CLOSED:
            return ConnectionClosed()
        if state is _AWAITING_STARTUP:
            event = self._next_startup_packet()
        else:
            event = self._next_auth_message()
        if event is NEED_DATA:
            return self._out_of_data()
        return event

    def _next_startup_packet(self) -> m.FrontendMessage | _Sentinel:
        body = self._buffer.next_startup_packet()
        if body is None:
            return NEED_DATA
        packet = m.decode_startup(body)
        if isinstance(packet, m.SSLRequest | m.GSSENCRequest):
            already = self._ssl_done if isinstance(packet, m.SSLRequest) else self._gss_done
            if already:
                code = (
                    m.SSL_REQUEST_CODE
                    if isinstance(packet, m.SSLRequest)
                    else (m.GSSENC_REQUEST_CODE)
                )
                raise _unsupported_version(code)
            self._refuse_unencrypted_leftovers()
            if isinstance(packet, m.SSLRequest):
                self._ssl_done = True
                self.state = ServerState.SSL_NEGOTIATION
            else:
                self._gss_done = True
                self.state = ServerState.GSS_NEGOTIATION
        elif isinstance(packet, m.CancelRequest):
            self.state = ServerState.CLOSED
        else:
            if packet.major_version != 3:
                raise _unsupported_version(packet.protocol_version)
            self.state = ServerState.AUTHENTICATING
        return packet

    def _refuse_unencrypted_leftovers(self) -> None:
        if self._buffer.pending:
            raise RemoteProtocolError("received unencrypted data after SSL request")

    def _next_auth_message(self) -> m.FrontendMessage | _Sentinel:
        cut = self._buffer.next_message()
        if cut is None:
            return NEED_DATA
        code, body = cut
        message = m.decode_frontend(code, body)
        if isinstance(message, m.AuthResponse):
            assert self._auth_answer is not None
            message = self._auth_answer(message.payload)
            self._auth_answer = None
        elif not isinstance(message, m.Terminate):
            raise RemoteProtocolError(f"expected password response, got message type {code}")
        target = self._frontend_row[type(message)]
        if target is not _AUTHENTICATING:
            self.state = target  # type: ignore[assignment]
        return message

    # -- sending ---------------------------------------------------------------------------

    def send(self, message: m.BackendMessage) -> bytes:
        """The bytes of ``message``, after checking it is allowed now and moving the state."""
        self._transition(message)
        return message.encode()

    def send_encoded(self, kind: type[m.BackendMessage], data: bytes) -> bytes:
        """``data``, already-encoded messages of one ``kind`` (a batch of DataRows, a cached
        RowDescription, ReadyForQuery …), after checking and moving the state as `send` would.

        The kinds whose transition depends on their content (`_SEND_WHOLE`: errors, COPY
        responses, authentication) must go through `send`.
        """
        target = self._backend_row.get(kind)
        if target is self._state:  # allowed, nothing changes: most messages
            return data
        if kind in _SEND_WHOLE:
            raise LocalProtocolError(f"{kind.__name__} must be sent with send()")
        self._move(kind, target)
        return data

    def _transition(self, message: m.BackendMessage) -> None:
        state = self._state
        kind = type(message)
        if kind is m.ErrorResponse and message.severity in ("FATAL", "PANIC"):  # type: ignore[attr-defined]
            if state is ServerState.CLOSED:
                raise LocalProtocolError("cannot send an error on a closed connection")
            self.state = ServerState.CLOSED
            return
        if kind is EncryptionResponse:
            if state is ServerState.GSS_NEGOTIATION and message.accepted:  # type: ignore[attr-defined]
                self.state = ServerState.ERROR
                raise LocalProtocolError("GSSAPI encryption is not supported")
            if state in (ServerState.SSL_NEGOTIATION, ServerState.GSS_NEGOTIATION):
                self._refuse_unencrypted_leftovers()
        self._move(kind, self._backend_row.get(kind))

    def _move(self, kind: type[m.BackendMessage], target: object) -> None:
        """Sending a ``kind`` leads to ``target`` (from the backend table): go there."""
        state = self._state
        if target is None:
            self.state = ServerState.ERROR
            raise LocalProtocolError(f"cannot send {kind.__name__} while {state.value}")
        if target == "return":
            target = self._copy_return
        elif target == "return-failed":
            target = (
                ServerState.FAILED_UNTIL_SYNC
                if self._copy_return is ServerState.IN_EXTENDED
                else self._copy_return
            )
        if kind in (m.CopyInResponse, m.CopyOutResponse):
            self._copy_return = state
        if state is _AUTHENTICATING and kind in _AUTH_ANSWERS:
            self._auth_answer = _AUTH_ANSWERS[kind]
        elif kind is m.AuthenticationOk:
            self._auth_answer = None
            # Authenticated: from now on the (larger) configured message limits apply.
            leftover = self._buffer.take_all()
            self._buffer = MessageBuffer(self._limits)
            self._buffer.feed(leftover)
        if target is not state:
            self.state = target  # type: ignore[assignment]


def _unsupported_version(version: int) -> RemoteProtocolError:
    major, minor = version >> 16, version & 0xFFFF
    return RemoteProtocolError(
        f"unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.0", "0A000"
    )
