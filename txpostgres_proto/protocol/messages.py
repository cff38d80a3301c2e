"""Every message of the PostgreSQL frontend/backend protocol 3.0 (and 3.2's additions), both ways.

Implements the formats of "Message Formats" (protocol chapter 55.7).  Each message is a frozen,
slotted dataclass with ``encode() -> bytes`` producing the complete wire form (type byte,
length, body).  Decoding goes the other way: `decode_frontend` / `decode_backend` turn a type
byte and a body (as cut out by `framing.MessageBuffer`) into a message, and `decode_startup`
handles the untyped packets a connection starts with.  The messages of every extended-query
cycle (Parse, Bind, Describe, Execute, Close) are read with direct offsets when well formed
and fall back to the field-by-field `BodyReader` otherwise, so errors are worded the same.

Frontend and backend type bytes are two separate namespaces (`FrontendCode`, `BackendCode`):
the same letter means different things in each direction (``D`` is Describe going up and DataRow
coming down), so a single table would be a trap.  Messages whose format is identical both ways
(CopyData, CopyDone) are one class registered in both tables.

Strings on the wire are NUL-terminated and encoded as UTF-8 (the only client_encoding this
project speaks).  Anything malformed — a missing terminator, a short or over-long body, bad
UTF-8 — raises `RemoteProtocolError` with SQLSTATE 08P01 (or 22021 for bad encoding), never
IndexError or struct.error.

The password message type ``p`` carries different payloads depending on the authentication in
progress, so it decodes to `AuthResponse` and the state machine re-reads it as a
`PasswordMessage`, `SASLInitialResponse`, `SASLResponse` or `GSSResponse`.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar, Final

from .errors import RemoteProtocolError

INT32 = struct.Struct("!i")
UINT32 = struct.Struct("!I")
INT16 = struct.Struct("!h")
_INT32_PAIR = struct.Struct("!ii")
_FIELD_DESCRIPTION = struct.Struct("!IhIhih")
_NULL_FIELD = INT32.pack(-1)

PROTOCOL_3_0 = 196608  # 3 << 16
PROTOCOL_3_2 = 196610
SSL_REQUEST_CODE = 80877103
GSSENC_REQUEST_CODE = 80877104
CANCEL_REQUEST_CODE = 80877102

TEXT_FORMAT = 0
BINARY_FORMAT = 1


class FrontendCode(bytes, enum.Enum):
    """Type bytes of messages sent by the client."""

    BIND = b"B"
    CLOSE = b"C"
    COPY_DATA = b"d"
    COPY_DONE = b"c"
    COPY_FAIL = b"f"
    DESCRIBE = b"D"
    EXECUTE = b"E"
    FLUSH = b"H"
    FUNCTION_CALL = b"F"
    PARSE = b"P"
    PASSWORD = b"p"  # also SASLInitialResponse, SASLResponse, GSSResponse
    QUERY = b"Q"
    SYNC = b"S"
    TERMINATE = b"X"


class BackendCode(bytes, enum.Enum):
    """Type bytes of messages sent by the server."""

    AUTHENTICATION = b"R"
    BACKEND_KEY_DATA = b"K"
    BIND_COMPLETE = b"2"
    CLOSE_COMPLETE = b"3"
    COMMAND_COMPLETE = b"C"
    COPY_DATA = b"d"
    COPY_DONE = b"c"
    COPY_IN_RESPONSE = b"G"
    COPY_OUT_RESPONSE = b"H"
    COPY_BOTH_RESPONSE = b"W"
    DATA_ROW = b"D"
    EMPTY_QUERY_RESPONSE = b"I"
    ERROR_RESPONSE = b"E"
    FUNCTION_CALL_RESPONSE = b"V"
    NEGOTIATE_PROTOCOL_VERSION = b"v"
    NO_DATA = b"n"
    NOTICE_RESPONSE = b"N"
    NOTIFICATION_RESPONSE = b"A"
    PARAMETER_DESCRIPTION = b"t"
    PARAMETER_STATUS = b"S"
    PARSE_COMPLETE = b"1"
    PORTAL_SUSPENDED = b"s"
    READY_FOR_QUERY = b"Z"
    ROW_DESCRIPTION = b"T"


# --------------------------------------------------------------------------- body reading


class BodyReader:
    """Reads the fields of one message body, turning every malformation into 08P01."""

    __slots__ = ("data", "pos", "what")

    def __init__(self, data: bytes, what: str) -> None:
        self.data = data
        self.pos = 0
        self.what = what

    def _fail(self, problem: str) -> RemoteProtocolError:
        return RemoteProtocolError(f"invalid {self.what} message format: {problem}")

    def int32(self) -> int:
        pos = self.pos
        if pos + 4 > len(self.data):
            raise self._fail("truncated int32")
        self.pos = pos + 4
        return INT32.unpack_from(self.data, pos)[0]

    def uint32(self) -> int:
        pos = self.pos
        if pos + 4 > len(self.data):
            raise self._fail("truncated int32")
        self.pos = pos + 4
        return UINT32.unpack_from(self.data, pos)[0]

    def int16(self) -> int:
        pos = self.pos
        if pos + 2 > len(self.data):
            raise self._fail("truncated int16")
        self.pos = pos + 2
        return INT16.unpack_from(self.data, pos)[0]

    def byte(self) -> str:
        pos = self.pos
        if pos >= len(self.data):
            raise self._fail("truncated byte")
        self.pos = pos + 1
        return chr(self.data[pos])

    def raw(self, length: int) -> bytes:
        pos = self.pos
        if length < 0 or pos + length > len(self.data):
            raise self._fail("value longer than the message")
        self.pos = pos + length
        return self.data[pos : pos + length]

    def rest(self) -> bytes:
        value = self.data[self.pos :]
        self.pos = len(self.data)
        return value

    def cstring(self) -> str:
        end = self.data.find(b"\x00", self.pos)
        if end < 0:
            raise self._fail("missing string terminator")
        value = self.data[self.pos : end]
        self.pos = end + 1
        return decode_text(value)

    def sized_value(self) -> bytes | None:
        """An int32 length then that many bytes; length -1 is NULL."""
        length = self.int32()
        if length == -1:
            return None
        if length < -1:
            raise self._fail("negative value length")
        return self.raw(length)

    def int16_list(self, count: int | None = None) -> tuple[int, ...]:
        if count is None:
            count = self.int16()
        if count < 0 or self.pos + 2 * count > len(self.data):
            raise self._fail("bad int16 array")
        values = struct.unpack_from(f"!{count}h", self.data, self.pos)
        self.pos += 2 * count
        return values

    def end(self) -> None:
        if self.pos != len(self.data):
            raise self._fail("trailing bytes")


def decode_text(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = " ".join(f"0x{byte:02x}" for byte in exc.object[exc.start : exc.end])
        raise RemoteProtocolError(
            f'invalid byte sequence for encoding "UTF8": {bad}', "22021"
        ) from None


def cstr(value: str) -> bytes:
    """Encode a protocol string (UTF-8, NUL-terminated); embedded NULs are not allowed."""
    encoded = value.encode("utf-8")
    if b"\x00" in encoded:
        raise ValueError("protocol strings cannot contain NUL characters")
    return encoded + b"\x00"


def frame(code: bytes, body: bytes) -> bytes:
    """A typed message: type byte, int32 length (counting itself), body."""
    return code + INT32.pack(len(body) + 4) + body


def _int16_array(values: Sequence[int]) -> bytes:
    return INT16.pack(len(values)) + struct.pack(f"!{len(values)}h", *values)


# --------------------------------------------------------------------------- base classes


class Message:
    """Base of every protocol message."""

    __slots__ = ()
    code: ClassVar[bytes] = b""

    def encode(self) -> bytes:
        raise NotImplementedError


class FrontendMessage(Message):
    __slots__ = ()


class BackendMessage(Message):
    __slots__ = ()


class _Empty:
    """Mixin for messages with an empty body."""

    __slots__ = ()
    code: ClassVar[bytes]

    def encode(self) -> bytes:
        return self.code + b"\x00\x00\x00\x04"


# --------------------------------------------------------------------------- startup packets


@dataclass(frozen=True, slots=True)
class StartupMessage(FrontendMessage):
    """The first packet of a normal connection: protocol version and parameters (user, database…).

    Keys starting with ``_pq_.`` are protocol options; the server answers unknown ones with
    NegotiateProtocolVersion.
    """

    parameters: Mapping[str, str]
    protocol_version: int = PROTOCOL_3_0

    def encode(self) -> bytes:
        body = INT32.pack(self.protocol_version)
        body += b"".join(cstr(k) + cstr(v) for k, v in self.parameters.items()) + b"\x00"
        return INT32.pack(len(body) + 4) + body

    @property
    def major_version(self) -> int:
        return self.protocol_version >> 16

    @property
    def minor_version(self) -> int:
        return self.protocol_version & 0xFFFF


@dataclass(frozen=True, slots=True)
class SSLRequest(FrontendMessage):
    """Asks the server to start TLS; answered by the single byte ``S`` or ``N``."""

    def encode(self) -> bytes:
        return _INT32_PAIR.pack(8, SSL_REQUEST_CODE)


@dataclass(frozen=True, slots=True)
class GSSENCRequest(FrontendMessage):
    """Asks for GSSAPI encryption; this project always answers ``N``."""

    def encode(self) -> bytes:
        return _INT32_PAIR.pack(8, GSSENC_REQUEST_CODE)


@dataclass(frozen=True, slots=True)
class CancelRequest(FrontendMessage):
    """Sent on a fresh connection to cancel the query running in another one.

    ``secret_key`` is 4 bytes in protocol 3.0 and up to 256 bytes in 3.2.
    """

    process_id: int
    secret_key: bytes

    def encode(self) -> bytes:
        body = _INT32_PAIR.pack(CANCEL_REQUEST_CODE, self.process_id) + self.secret_key
        return INT32.pack(len(body) + 4) + body


StartupPacket = StartupMessage | SSLRequest | GSSENCRequest | CancelRequest


def decode_startup(body: bytes) -> StartupPacket:
    """Decode an untyped startup packet (the body after its int32 length)."""
    reader = BodyReader(body, "startup packet")
    code = reader.int32()
    if code == SSL_REQUEST_CODE:
        reader.end()
        return SSLRequest()
    if code == GSSENC_REQUEST_CODE:
        reader.end()
        return GSSENCRequest()
    if code == CANCEL_REQUEST_CODE:
        process_id = reader.int32()
        secret = reader.rest()
        if not 4 <= len(secret) <= 256:
            raise RemoteProtocolError("invalid cancel request: bad secret key length")
        return CancelRequest(process_id, secret)
    parameters: dict[str, str] = {}
    while True:
        name = reader.cstring()
        if not name:
            break
        parameters[name] = reader.cstring()
    reader.end()
    return StartupMessage(parameters, code)


# --------------------------------------------------------------------------- frontend


@dataclass(frozen=True, slots=True)
class Query(FrontendMessage):
    """Simple query: one string, possibly several statements."""

    query: str
    code: ClassVar[bytes] = b"Q"

    def encode(self) -> bytes:
        return frame(b"Q", cstr(self.query))


@dataclass(frozen=True, slots=True)
class Parse(FrontendMessage):
    """Create a prepared statement (``name`` empty for the unnamed one)."""

    name: str
    query: str
    param_types: tuple[int, ...] = ()
    code: ClassVar[bytes] = b"P"

    def encode(self) -> bytes:
        types = self.param_types
        body = (
            cstr(self.name)
            + cstr(self.query)
            + INT16.pack(len(types))
            + struct.pack(f"!{len(types)}I", *(t & 0xFFFFFFFF for t in types))
        )
        return frame(b"P", body)


@dataclass(frozen=True, slots=True)
class Bind(FrontendMessage):
    """Bind parameter values to a statement, creating a portal.

    ``param_formats`` and ``result_formats`` follow the protocol's shorthand: empty means all
    text, one entry applies to every column, otherwise one entry per column.
    """

    portal: str
    statement: str
    param_formats: tuple[int, ...] = ()
    params: tuple[bytes | None, ...] = ()
    result_formats: tuple[int, ...] = ()
    code: ClassVar[bytes] = b"B"

    def encode(self) -> bytes:
        parts = [
            cstr(self.portal),
            cstr(self.statement),
            _int16_array(self.param_formats),
            INT16.pack(len(self.params)),
        ]
        for value in self.params:
            if value is None:
                parts.append(_NULL_FIELD)
            else:
                parts.append(INT32.pack(len(value)))
                parts.append(value)
        parts.append(_int16_array(self.result_formats))
        return frame(b"B", b"".join(parts))


@dataclass(frozen=True, slots=True)
class Describe(FrontendMessage):
    """Describe a statement (``kind`` ``S``) or a portal (``P``)."""

    kind: str
    name: str = ""
    code: ClassVar[bytes] = b"D"

    def encode(self) -> bytes:
        return frame(b"D", self.kind.encode("ascii") + cstr(self.name))


@dataclass(frozen=True, slots=True)
class Close(FrontendMessage):
    """Close a statement (``kind`` ``S``) or a portal (``P``)."""

    kind: str
    name: str = ""
    code: ClassVar[bytes] = b"C"

    def encode(self) -> bytes:
        return frame(b"C", self.kind.encode("ascii") + cstr(self.name))


@dataclass(frozen=True, slots=True)
class Execute(FrontendMessage):
    """Run a portal; ``max_rows`` 0 means no limit, otherwise PortalSuspended after that many."""

    portal: str = ""
    max_rows: int = 0
    code: ClassVar[bytes] = b"E"

    def encode(self) -> bytes:
        return frame(b"E", cstr(self.portal) + INT32.pack(self.max_rows))


@dataclass(frozen=True, slots=True)
class Sync(_Empty, FrontendMessage):
    """End of an extended-query cycle: commit an implicit transaction, send ReadyForQuery."""

    code: ClassVar[bytes] = b"S"


@dataclass(frozen=True, slots=True)
class Flush(_Empty, FrontendMessage):
    """Ask the server to send everything it has produced so far, without a Sync."""

    code: ClassVar[bytes] = b"H"


@dataclass(frozen=True, slots=True)
class Terminate(_Empty, FrontendMessage):
    """The client is closing the connection."""

    code: ClassVar[bytes] = b"X"


@dataclass(frozen=True, slots=True)
class CopyData(FrontendMessage, BackendMessage):
    """A chunk of COPY data (either direction)."""

    data: bytes
    code: ClassVar[bytes] = b"d"

    def encode(self) -> bytes:
        return b"d" + INT32.pack(len(self.data) + 4) + self.data


@dataclass(frozen=True, slots=True)
class CopyDone(_Empty, FrontendMessage, BackendMessage):
    """End of COPY data (either direction)."""

    code: ClassVar[bytes] = b"c"


@dataclass(frozen=True, slots=True)
class CopyFail(FrontendMessage):
    """The client aborts COPY FROM STDIN with an error message."""

    message: str
    code: ClassVar[bytes] = b"f"

    def encode(self) -> bytes:
        return frame(b"f", cstr(self.message))


@dataclass(frozen=True, slots=True)
class FunctionCall(FrontendMessage):
    """The legacy fast-path function call."""

    function_oid: int
    arg_formats: tuple[int, ...] = ()
    args: tuple[bytes | None, ...] = ()
    result_format: int = TEXT_FORMAT
    code: ClassVar[bytes] = b"F"

    def encode(self) -> bytes:
        parts = [UINT32.pack(self.function_oid), _int16_array(self.arg_formats)]
        parts.append(INT16.pack(len(self.args)))
        for value in self.args:
            parts.append(_NULL_FIELD if value is None else INT32.pack(len(value)) + value)
        parts.append(INT16.pack(self.result_format))
        return frame(b"F", b"".join(parts))


@dataclass(frozen=True, slots=True)
class AuthResponse(FrontendMessage):
    """A ``p`` message as received: its meaning depends on the authentication in progress."""

    payload: bytes
    code: ClassVar[bytes] = b"p"

    def encode(self) -> bytes:
        return frame(b"p", self.payload)


@dataclass(frozen=True, slots=True)
class PasswordMessage(FrontendMessage):
    """Cleartext password or md5 response (NUL-terminated string)."""

    password: str
    code: ClassVar[bytes] = b"p"

    def encode(self) -> bytes:
        return frame(b"p", cstr(self.password))

    @classmethod
    def from_payload(cls, payload: bytes) -> PasswordMessage:
        reader = BodyReader(payload, "password")
        password = reader.cstring()
        reader.end()
        return cls(password)


@dataclass(frozen=True, slots=True)
class SASLInitialResponse(FrontendMessage):
    """The chosen SASL mechanism and the client-first message (``None``: no initial data)."""

    mechanism: str
    data: bytes | None
    code: ClassVar[bytes] = b"p"

    def encode(self) -> bytes:
        data = _NULL_FIELD if self.data is None else INT32.pack(len(self.data)) + self.data
        return frame(b"p", cstr(self.mechanism) + data)

    @classmethod
    def from_payload(cls, payload: bytes) -> SASLInitialResponse:
        reader = BodyReader(payload, "SASLInitialResponse")
        mechanism = reader.cstring()
        data = reader.sized_value()
        reader.end()
        return cls(mechanism, data)


@dataclass(frozen=True, slots=True)
class SASLResponse(FrontendMessage):
    """A later SASL message from the client (client-final for SCRAM)."""

    data: bytes
    code: ClassVar[bytes] = b"p"

    def encode(self) -> bytes:
        return frame(b"p", self.data)

    @classmethod
    def from_payload(cls, payload: bytes) -> SASLResponse:
        return cls(bytes(payload))


@dataclass(frozen=True, slots=True)
class GSSResponse(FrontendMessage):
    """GSSAPI/SSPI token from the client (decoded for completeness; not supported)."""

    data: bytes
    code: ClassVar[bytes] = b"p"

    def encode(self) -> bytes:
        return frame(b"p", self.data)


# --------------------------------------------------------------------------- backend


@dataclass(frozen=True, slots=True)
class AuthenticationOk(BackendMessage):
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return b"R\x00\x00\x00\x08\x00\x00\x00\x00"


@dataclass(frozen=True, slots=True)
class AuthenticationKerberosV5(BackendMessage):
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(2))


@dataclass(frozen=True, slots=True)
class AuthenticationCleartextPassword(BackendMessage):
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(3))


@dataclass(frozen=True, slots=True)
class AuthenticationMD5Password(BackendMessage):
    salt: bytes
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(5) + self.salt)


@dataclass(frozen=True, slots=True)
class AuthenticationGSS(BackendMessage):
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(7))


@dataclass(frozen=True, slots=True)
class AuthenticationGSSContinue(BackendMessage):
    data: bytes
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(8) + self.data)


@dataclass(frozen=True, slots=True)
class AuthenticationSSPI(BackendMessage):
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(9))


@dataclass(frozen=True, slots=True)
class AuthenticationSASL(BackendMessage):
    """The server offers these SASL mechanisms, in order of preference."""

    mechanisms: tuple[str, ...]
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(10) + b"".join(map(cstr, self.mechanisms)) + b"\x00")


@dataclass(frozen=True, slots=True)
class AuthenticationSASLContinue(BackendMessage):
    data: bytes
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(11) + self.data)


@dataclass(frozen=True, slots=True)
class AuthenticationSASLFinal(BackendMessage):
    data: bytes
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(12) + self.data)


@dataclass(frozen=True, slots=True)
class AuthenticationUnsupported(BackendMessage):
    """An authentication request this library does not implement (e.g. SCM credentials)."""

    method: int
    data: bytes = b""
    code: ClassVar[bytes] = b"R"

    def encode(self) -> bytes:
        return frame(b"R", INT32.pack(self.method) + self.data)


@dataclass(frozen=True, slots=True)
class ParameterStatus(BackendMessage):
    """A run-time parameter's current value (server_version, client_encoding, TimeZone …)."""

    name: str
    value: str
    code: ClassVar[bytes] = b"S"

    def encode(self) -> bytes:
        return frame(b"S", cstr(self.name) + cstr(self.value))


@dataclass(frozen=True, slots=True)
class BackendKeyData(BackendMessage):
    """Process id and secret key the client needs to cancel queries later."""

    process_id: int
    secret_key: bytes
    code: ClassVar[bytes] = b"K"

    def encode(self) -> bytes:
        return frame(b"K", INT32.pack(self.process_id) + self.secret_key)


class TransactionStatus(enum.StrEnum):
    """The status byte of ReadyForQuery."""

    IDLE = "I"
    IN_TRANSACTION = "T"
    FAILED = "E"


@dataclass(frozen=True, slots=True)
class ReadyForQuery(BackendMessage):
    status: TransactionStatus = TransactionStatus.IDLE
    code: ClassVar[bytes] = b"Z"

    def encode(self) -> bytes:
        return b"Z\x00\x00\x00\x05" + self.status.value.encode("ascii")


@dataclass(frozen=True, slots=True)
class FieldDescription:
    """One column of a RowDescription."""

    name: str
    type_oid: int
    table_oid: int = 0
    column_attnum: int = 0
    type_size: int = -1
    type_modifier: int = -1
    format: int = TEXT_FORMAT

    def encode(self) -> bytes:
        return cstr(self.name) + _FIELD_DESCRIPTION.pack(
            self.table_oid,
            self.column_attnum,
            self.type_oid,
            self.type_size,
            self.type_modifier,
            self.format,
        )


@dataclass(frozen=True, slots=True)
class RowDescription(BackendMessage):
    fields: tuple[FieldDescription, ...]
    code: ClassVar[bytes] = b"T"

    def encode(self) -> bytes:
        body = INT16.pack(len(self.fields)) + b"".join(f.encode() for f in self.fields)
        return frame(b"T", body)


@dataclass(frozen=True, slots=True)
class DataRow(BackendMessage):
    """One result row: each value is the column's bytes in its format, or None for NULL."""

    values: tuple[bytes | None, ...]
    code: ClassVar[bytes] = b"D"

    def encode(self) -> bytes:
        return encode_data_row(self.values)


def encode_data_row(values: Sequence[bytes | None]) -> bytes:
    """The wire form of a DataRow from already-encoded column values (the server's hot path)."""
    parts: list[bytes] = [b""]
    append = parts.append
    size = 6
    pack = INT32.pack
    for value in values:
        if value is None:
            append(_NULL_FIELD)
            size += 4
        else:
            append(pack(len(value)))
            append(value)
            size += 4 + len(value)
    parts[0] = b"D" + pack(size) + INT16.pack(len(values))
    return b"".join(parts)


def decode_data_row_values(body: bytes) -> tuple[bytes | None, ...]:
    """The column values of a DataRow body (the client's hot path)."""
    try:
        count = INT16.unpack_from(body, 0)[0]
        values: list[bytes | None] = []
        append = values.append
        pos = 2
        unpack = INT32.unpack_from
        for _ in range(count):
            length = unpack(body, pos)[0]
            pos += 4
            if length < 0:
                append(None)
            else:
                end = pos + length
                append(body[pos:end])
                pos = end
    except struct.error:
        raise RemoteProtocolError("invalid DataRow message format: truncated") from None
    if pos != len(body):
        raise RemoteProtocolError("invalid DataRow message format: length mismatch")
    return tuple(values)


@dataclass(frozen=True, slots=True)
class CommandComplete(BackendMessage):
    """End of one statement's results, with its command tag (``SELECT 3``, ``INSERT 0 1`` …)."""

    tag: str
    code: ClassVar[bytes] = b"C"

    def encode(self) -> bytes:
        return frame(b"C", cstr(self.tag))

    @property
    def rowcount(self) -> int | None:
        """The row count at the end of the tag, when it has one."""
        last = self.tag.rpartition(" ")[2]
        return int(last) if last.isdigit() else None


@dataclass(frozen=True, slots=True)
class EmptyQueryResponse(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"I"


@dataclass(frozen=True, slots=True)
class ParseComplete(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"1"


@dataclass(frozen=True, slots=True)
class BindComplete(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"2"


@dataclass(frozen=True, slots=True)
class CloseComplete(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"3"


@dataclass(frozen=True, slots=True)
class NoData(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"n"


@dataclass(frozen=True, slots=True)
class PortalSuspended(_Empty, BackendMessage):
    code: ClassVar[bytes] = b"s"


@dataclass(frozen=True, slots=True)
class ParameterDescription(BackendMessage):
    type_oids: tuple[int, ...]
    code: ClassVar[bytes] = b"t"

    def encode(self) -> bytes:
        oids = self.type_oids
        return frame(b"t", INT16.pack(len(oids)) + struct.pack(f"!{len(oids)}I", *oids))


class _FieldsMessage(BackendMessage):
    """ErrorResponse and NoticeResponse: the same body of coded fields, and readable accessors."""

    __slots__ = ()
    code: ClassVar[bytes]
    fields: Mapping[str, str]

    def encode(self) -> bytes:
        body = b"".join(key.encode("ascii") + cstr(value) for key, value in self.fields.items())
        return frame(self.code, body + b"\x00")

    @property
    def sqlstate(self) -> str:
        return self.fields.get("C", "")

    @property
    def message(self) -> str:
        return self.fields.get("M", "")

    @property
    def severity(self) -> str:
        return self.fields.get("V") or self.fields.get("S", "")


@dataclass(frozen=True, slots=True)
class ErrorResponse(_FieldsMessage):
    """An error: field code -> value (see `errors.FIELD_NAMES`)."""

    fields: Mapping[str, str] = field(default_factory=dict)
    code: ClassVar[bytes] = b"E"


@dataclass(frozen=True, slots=True)
class NoticeResponse(_FieldsMessage):
    """A notice or warning: field code -> value, like ErrorResponse."""

    fields: Mapping[str, str] = field(default_factory=dict)
    code: ClassVar[bytes] = b"N"


@dataclass(frozen=True, slots=True)
class NotificationResponse(BackendMessage):
    """A NOTIFY delivered to a listening session."""

    process_id: int
    channel: str
    payload: str = ""
    code: ClassVar[bytes] = b"A"

    def encode(self) -> bytes:
        return frame(b"A", INT32.pack(self.process_id) + cstr(self.channel) + cstr(self.payload))


class _CopyResponse(BackendMessage):
    """The three COPY start messages share one body: overall format, then per-column formats."""

    __slots__ = ()
    code: ClassVar[bytes]
    format: int
    column_formats: tuple[int, ...]

    def encode(self) -> bytes:
        return frame(self.code, bytes((self.format,)) + _int16_array(self.column_formats))


@dataclass(frozen=True, slots=True)
class CopyInResponse(_CopyResponse):
    """The server is ready for COPY FROM STDIN data (format 0 text/CSV, 1 binary)."""

    format: int = TEXT_FORMAT
    column_formats: tuple[int, ...] = ()
    code: ClassVar[bytes] = b"G"


@dataclass(frozen=True, slots=True)
class CopyOutResponse(_CopyResponse):
    """COPY TO STDOUT data follows."""

    format: int = TEXT_FORMAT
    column_formats: tuple[int, ...] = ()
    code: ClassVar[bytes] = b"H"


@dataclass(frozen=True, slots=True)
class CopyBothResponse(_CopyResponse):
    """Start of a bidirectional copy (streaming replication)."""

    format: int = TEXT_FORMAT
    column_formats: tuple[int, ...] = ()
    code: ClassVar[bytes] = b"W"


@dataclass(frozen=True, slots=True)
class FunctionCallResponse(BackendMessage):
    result: bytes | None
    code: ClassVar[bytes] = b"V"

    def encode(self) -> bytes:
        value = _NULL_FIELD if self.result is None else INT32.pack(len(self.result)) + self.result
        return frame(b"V", value)


@dataclass(frozen=True, slots=True)
class NegotiateProtocolVersion(BackendMessage):
    """The newest protocol version the server supports, and the ``_pq_.`` options it ignored.

    PostgreSQL sends the whole version number here (196608 for 3.0), not just the minor part
    the documentation's wording suggests; libpq compares it with the version it asked for.
    """

    newest_version: int
    unrecognized_options: tuple[str, ...] = ()
    code: ClassVar[bytes] = b"v"

    def encode(self) -> bytes:
        options = self.unrecognized_options
        body = _INT32_PAIR.pack(self.newest_version, len(options)) + b"".join(map(cstr, options))
        return frame(b"v", body)


# --------------------------------------------------------------------------- decoding tables

_Decoder = Callable[[bytes], Message]


def _empty(cls: type[Message]) -> _Decoder:
    instance = cls()

    def decode(body: bytes) -> Message:
        if body:
            raise RemoteProtocolError(f"invalid {cls.__name__} message format: trailing bytes")
        return instance

    return decode


def _decode_query(body: bytes) -> Query:
    reader = BodyReader(body, "Query")
    query = reader.cstring()
    reader.end()
    return Query(query)


def _decode_parse(body: bytes) -> Parse:
    # Fast path for a well-formed body; anything else goes to the field-by-field reader, which
    # raises the precise error.
    try:
        first = body.index(0)
        second = body.index(0, first + 1)
        count = INT16.unpack_from(body, second + 1)[0]
        if count >= 0 and second + 3 + 4 * count == len(body):
            types = struct.unpack_from(f"!{count}I", body, second + 3) if count else ()
            name = body[:first].decode("utf-8")
            return Parse(name, body[first + 1 : second].decode("utf-8"), types)
    except (ValueError, struct.error):  # no terminator, bad UTF-8, body too short
        pass
    return _decode_parse_checked(body)


def _decode_parse_checked(body: bytes) -> Parse:
    reader = BodyReader(body, "Parse")
    name = reader.cstring()
    query = reader.cstring()
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative parameter count")
    types = tuple(reader.uint32() for _ in range(count))
    reader.end()
    return Parse(name, query, types)


def decode_bind(body: bytes) -> Bind:
    """Bind, read with direct offsets: the hottest message of extended-query traffic.

    Anything unusual (a missing terminator, a negative count, a short or over-long body, bad
    UTF-8) is handed to `_decode_bind_checked`, which reads the body field by field and raises
    the precise error; a well-formed body decodes to exactly what that reader would return.
    """
    try:
        first = body.index(0)
        second = body.index(0, first + 1)
        portal = body[:first].decode("utf-8") if first else ""  # mostly the unnamed one
        statement = body[first + 1 : second].decode("utf-8")
        pos = second + 1
        count = INT16.unpack_from(body, pos)[0]
        pos += 2
        if count:
            if count < 0:
                return _decode_bind_checked(body)
            param_formats = (
                _INT16_ARRAYS[count] if count < _ARRAYS else _int16_array_struct(count)
            ).unpack_from(body, pos)
            pos += 2 * count
        else:
            param_formats = ()
        count = INT16.unpack_from(body, pos)[0]
        pos += 2
        if count < 0:
            return _decode_bind_checked(body)
        size = len(body)
        params: list[bytes | None] = []
        append = params.append
        unpack_int32 = INT32.unpack_from
        for _ in range(count):
            length = unpack_int32(body, pos)[0]
            pos += 4
            if length == -1:
                append(None)
                continue
            end = pos + length
            if length < 0 or end > size:
                return _decode_bind_checked(body)
            append(body[pos:end])
            pos = end
        count = INT16.unpack_from(body, pos)[0]
        pos += 2
        if count:
            if count < 0:
                return _decode_bind_checked(body)
            result_formats = (
                _INT16_ARRAYS[count] if count < _ARRAYS else _int16_array_struct(count)
            ).unpack_from(body, pos)
            pos += 2 * count
        else:
            result_formats = ()
    except (ValueError, struct.error):  # no terminator, bad UTF-8, body too short
        return _decode_bind_checked(body)
    if pos != size:
        return _decode_bind_checked(body)
    # The fields are set directly: a frozen dataclass's __init__ goes through
    # object.__setattr__ once per field, which costs more than the rest of this decoding.
    bind = _new_message(Bind)
    _set_bind_portal(bind, portal)
    _set_bind_statement(bind, statement)
    _set_bind_param_formats(bind, param_formats)
    _set_bind_params(bind, tuple(params))
    _set_bind_result_formats(bind, result_formats)
    return bind


#: Structs reading arrays of 0..63 int16s (format codes), made once.
_ARRAYS: Final = 64
_INT16_ARRAYS: Final = tuple(struct.Struct(f"!{count}h") for count in range(_ARRAYS))
_new_message: Final = object.__new__
_set_bind_portal: Final = vars(Bind)["portal"].__set__
_set_bind_statement: Final = vars(Bind)["statement"].__set__
_set_bind_param_formats: Final = vars(Bind)["param_formats"].__set__
_set_bind_params: Final = vars(Bind)["params"].__set__
_set_bind_result_formats: Final = vars(Bind)["result_formats"].__set__


def _int16_array_struct(count: int) -> struct.Struct:
    """The Struct reading ``count`` int16s."""
    return _INT16_ARRAYS[count] if count < _ARRAYS else struct.Struct(f"!{count}h")


def _decode_bind_checked(body: bytes) -> Bind:
    reader = BodyReader(body, "Bind")
    portal = reader.cstring()
    statement = reader.cstring()
    param_formats = reader.int16_list()
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative parameter count")
    params = tuple(reader.sized_value() for _ in range(count))
    result_formats = reader.int16_list()
    reader.end()
    return Bind(portal, statement, param_formats, params, result_formats)


_KINDS: Final = {ord("S"): "S", ord("P"): "P"}


def _decode_kind_name(cls: type[Describe] | type[Close]) -> _Decoder:
    def decode(body: bytes) -> Message:
        # Fast path: a known kind byte and the only NUL at the very end.
        last = len(body) - 1
        if last > 0 and body.find(0, 1) == last and body[0] in _KINDS:
            return cls(_KINDS[body[0]], decode_text(body[1:last]))
        reader = BodyReader(body, cls.__name__)
        kind = reader.byte()
        if kind not in ("S", "P"):
            raise RemoteProtocolError(f"invalid {cls.__name__} message subtype {kind!r}")
        name = reader.cstring()
        reader.end()
        return cls(kind, name)

    return decode


def _decode_execute(body: bytes) -> Execute:
    # Fast path: the portal name's terminator is the first NUL, followed by exactly an int32.
    end = len(body) - 5
    if end >= 0 and body.find(0) == end:
        return Execute(decode_text(body[:end]), INT32.unpack_from(body, end + 1)[0])
    reader = BodyReader(body, "Execute")
    portal = reader.cstring()
    max_rows = reader.int32()
    reader.end()
    return Execute(portal, max_rows)


def _decode_copy_fail(body: bytes) -> CopyFail:
    reader = BodyReader(body, "CopyFail")
    message = reader.cstring()
    reader.end()
    return CopyFail(message)


def _decode_function_call(body: bytes) -> FunctionCall:
    reader = BodyReader(body, "FunctionCall")
    oid = reader.uint32()
    arg_formats = reader.int16_list()
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative argument count")
    args = tuple(reader.sized_value() for _ in range(count))
    result_format = reader.int16()
    reader.end()
    return FunctionCall(oid, arg_formats, args, result_format)


FRONTEND_DECODERS: dict[int, _Decoder] = {
    ord("Q"): _decode_query,
    ord("P"): _decode_parse,
    ord("B"): decode_bind,
    ord("D"): _decode_kind_name(Describe),
    ord("C"): _decode_kind_name(Close),
    ord("E"): _decode_execute,
    ord("S"): _empty(Sync),
    ord("H"): _empty(Flush),
    ord("X"): _empty(Terminate),
    ord("d"): lambda body: CopyData(bytes(body)),
    ord("c"): _empty(CopyDone),
    ord("f"): _decode_copy_fail,
    ord("F"): _decode_function_call,
    ord("p"): lambda body: AuthResponse(bytes(body)),
}


def decode_frontend(code: int, body: bytes) -> FrontendMessage:
    """Decode a client message from its type byte (as an int) and body."""
    decoder = FRONTEND_DECODERS.get(code)
    if decoder is None:
        raise RemoteProtocolError(f"invalid frontend message type {code}")
    return decoder(body)  # type: ignore[return-value]


def _decode_authentication(body: bytes) -> Message:
    reader = BodyReader(body, "Authentication")
    method = reader.int32()
    if method == 0:
        reader.end()
        return AuthenticationOk()
    if method == 3:
        reader.end()
        return AuthenticationCleartextPassword()
    if method == 5:
        salt = reader.raw(4)
        reader.end()
        return AuthenticationMD5Password(salt)
    if method == 10:
        mechanisms = []
        while True:
            name = reader.cstring()
            if not name:
                break
            mechanisms.append(name)
        reader.end()
        return AuthenticationSASL(tuple(mechanisms))
    if method == 11:
        return AuthenticationSASLContinue(reader.rest())
    if method == 12:
        return AuthenticationSASLFinal(reader.rest())
    if method == 2:
        return AuthenticationKerberosV5()
    if method == 7:
        return AuthenticationGSS()
    if method == 8:
        return AuthenticationGSSContinue(reader.rest())
    if method == 9:
        return AuthenticationSSPI()
    return AuthenticationUnsupported(method, reader.rest())


def _decode_parameter_status(body: bytes) -> ParameterStatus:
    reader = BodyReader(body, "ParameterStatus")
    name = reader.cstring()
    value = reader.cstring()
    reader.end()
    return ParameterStatus(name, value)


def _decode_backend_key_data(body: bytes) -> BackendKeyData:
    reader = BodyReader(body, "BackendKeyData")
    pid = reader.int32()
    secret = reader.rest()
    if not 4 <= len(secret) <= 256:
        raise RemoteProtocolError("invalid BackendKeyData message format: bad key length")
    return BackendKeyData(pid, secret)


_STATUSES = {ord(s.value): s for s in TransactionStatus}


def _decode_ready_for_query(body: bytes) -> ReadyForQuery:
    if len(body) != 1 or body[0] not in _STATUSES:
        raise RemoteProtocolError("invalid ReadyForQuery message format")
    return ReadyForQuery(_STATUSES[body[0]])


def _decode_row_description(body: bytes) -> RowDescription:
    reader = BodyReader(body, "RowDescription")
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative field count")
    fields = []
    size = _FIELD_DESCRIPTION.size
    for _ in range(count):
        name = reader.cstring()
        raw = reader.raw(size)
        table_oid, attnum, type_oid, type_size, typmod, fmt = _FIELD_DESCRIPTION.unpack(raw)
        fields.append(FieldDescription(name, type_oid, table_oid, attnum, type_size, typmod, fmt))
    reader.end()
    return RowDescription(tuple(fields))


def _decode_command_complete(body: bytes) -> CommandComplete:
    reader = BodyReader(body, "CommandComplete")
    tag = reader.cstring()
    reader.end()
    return CommandComplete(tag)


def _decode_parameter_description(body: bytes) -> ParameterDescription:
    reader = BodyReader(body, "ParameterDescription")
    count = reader.int16()
    if count < 0:
        raise reader._fail("negative parameter count")
    oids = tuple(reader.uint32() for _ in range(count))
    reader.end()
    return ParameterDescription(oids)


def decode_fields(body: bytes, what: str) -> dict[str, str]:
    """The fields of an ErrorResponse/NoticeResponse body."""
    reader = BodyReader(body, what)
    fields: dict[str, str] = {}
    while True:
        code = reader.byte()
        if code == "\x00":
            break
        fields[code] = reader.cstring()
    reader.end()
    return fields


def _decode_notification(body: bytes) -> NotificationResponse:
    reader = BodyReader(body, "NotificationResponse")
    pid = reader.int32()
    channel = reader.cstring()
    payload = reader.cstring()
    reader.end()
    return NotificationResponse(pid, channel, payload)


def _decode_copy_response(
    cls: type[CopyInResponse | CopyOutResponse | CopyBothResponse],
) -> _Decoder:
    def decode(body: bytes) -> Message:
        reader = BodyReader(body, cls.__name__)
        fmt = ord(reader.byte())
        formats = reader.int16_list()
        reader.end()
        return cls(fmt, formats)

    return decode


def _decode_function_call_response(body: bytes) -> FunctionCallResponse:
    reader = BodyReader(body, "FunctionCallResponse")
    value = reader.sized_value()
    reader.end()
    return FunctionCallResponse(value)


def _decode_negotiate(body: bytes) -> NegotiateProtocolVersion:
    reader = BodyReader(body, "NegotiateProtocolVersion")
    minor = reader.int32()
    count = reader.int32()
    if count < 0:
        raise reader._fail("negative option count")
    options = tuple(reader.cstring() for _ in range(count))
    reader.end()
    return NegotiateProtocolVersion(minor, options)


BACKEND_DECODERS: dict[int, _Decoder] = {
    ord("R"): _decode_authentication,
    ord("S"): _decode_parameter_status,
    ord("K"): _decode_backend_key_data,
    ord("Z"): _decode_ready_for_query,
    ord("T"): _decode_row_description,
    ord("D"): lambda body: DataRow(decode_data_row_values(body)),
    ord("C"): _decode_command_complete,
    ord("I"): _empty(EmptyQueryResponse),
    ord("1"): _empty(ParseComplete),
    ord("2"): _empty(BindComplete),
    ord("3"): _empty(CloseComplete),
    ord("n"): _empty(NoData),
    ord("s"): _empty(PortalSuspended),
    ord("t"): _decode_parameter_description,
    ord("E"): lambda body: ErrorResponse(decode_fields(body, "ErrorResponse")),
    ord("N"): lambda body: NoticeResponse(decode_fields(body, "NoticeResponse")),
    ord("A"): _decode_notification,
    ord("d"): lambda body: CopyData(bytes(body)),
    ord("c"): _empty(CopyDone),
    ord("G"): _decode_copy_response(CopyInResponse),
    ord("H"): _decode_copy_response(CopyOutResponse),
    ord("W"): _decode_copy_response(CopyBothResponse),
    ord("V"): _decode_function_call_response,
    ord("v"): _decode_negotiate,
}


def decode_backend(code: int, body: bytes) -> BackendMessage:
    """Decode a server message from its type byte (as an int) and body."""
    decoder = BACKEND_DECODERS.get(code)
    if decoder is None:
        raise RemoteProtocolError(f"invalid backend message type {code}")
    return decoder(body)  # type: ignore[return-value]
