"""Cutting a byte stream into protocol messages, with a maximum length per message type.

The buffer is one `bytearray` plus a read offset; consumed bytes are dropped in one slice only
when they are a large part of the buffer, so reading N messages costs O(total bytes) rather than
O(N × buffer) as the ``buf = buf[n:]`` idiom would.

A length field is checked against the limit for its message type *before* anything waits for
the body: a stranger who announces a 1 GB message is refused after five bytes, and nothing is
allocated for it.  The limits mirror PostgreSQL's own (``PQ_SMALL_MESSAGE_LIMIT`` of 10,000
bytes for messages that are always small, a large limit for the rest), configurable because
applications differ in how large a query or a COPY row may be.
"""

from __future__ import annotations

from collections.abc import Mapping

from .errors import RemoteProtocolError
from .messages import INT32

#: PostgreSQL's limit for messages that are never large, and for startup packets.
SMALL_MESSAGE_LIMIT = 10_000
#: Default limit for messages that carry queries, parameters or data.
DEFAULT_LARGE_MESSAGE_LIMIT = 256 * 1024 * 1024

#: Frontend messages that may legitimately be large.
FRONTEND_LARGE_MESSAGES = frozenset(b"QPBdfFp")
#: Backend messages that may legitimately be large (rows, errors, notices, copy data …).
BACKEND_LARGE_MESSAGES = frozenset(b"DdTtENASVRvCGHW")

_COMPACT_THRESHOLD = 64 * 1024


def message_limits(large: frozenset[int], large_limit: int) -> dict[int, int]:
    """A table: type byte -> maximum message length (counting the length field itself)."""
    return {code: large_limit if code in large else SMALL_MESSAGE_LIMIT for code in range(256)}


class MessageBuffer:
    """Accumulates received bytes and hands out complete messages.

    `next_message` returns ``(type_byte, body)`` or None when more bytes are needed;
    `next_startup_packet` does the same for the untyped packets at the start of a connection.
    ``b""`` fed through `feed` is not special here: end of stream is the state machine's call.
    The hot loops of the sans-IO connections (``server.ServerConnection.next_event``,
    ``client_buffer.ClientBuffer``) read the slots directly, with the same checks.
    """

    __slots__ = ("_buffer", "_pos", "_limits")

    def __init__(self, limits: Mapping[int, int]) -> None:
        self._buffer = bytearray()
        self._pos = 0
        self._limits = limits

    def feed(self, data: bytes) -> None:
        if self._pos and self._pos >= _COMPACT_THRESHOLD and self._pos * 2 >= len(self._buffer):
            del self._buffer[: self._pos]
            self._pos = 0
        self._buffer += data

    @property
    def pending(self) -> int:
        """How many received bytes have not been handed out yet."""
        return len(self._buffer) - self._pos

    def take_all(self) -> bytes:
        """Remove and return every buffered byte (e.g. the raw bytes left after SSLRequest)."""
        data = bytes(self._buffer[self._pos :])
        self._buffer.clear()
        self._pos = 0
        return data

    def next_message(self) -> tuple[int, bytes] | None:
        buffer = self._buffer
        pos = self._pos
        if len(buffer) - pos < 5:
            return None
        code = buffer[pos]
        length = INT32.unpack_from(buffer, pos + 1)[0]
        if length < 4:
            raise RemoteProtocolError(f"invalid message length {length}")
        if length > self._limits[code]:
            raise RemoteProtocolError(
                f"message of type {chr(code)!r} too large ({length} bytes, "
                f"limit {self._limits[code]})",
                "08P01",
            )
        end = pos + 1 + length
        if end > len(buffer):
            return None
        body = bytes(buffer[pos + 5 : end])
        self._pos = end
        return code, body

    def next_startup_packet(self) -> bytes | None:
        buffer = self._buffer
        pos = self._pos
        if len(buffer) - pos < 4:
            return None
        length = INT32.unpack_from(buffer, pos)[0]
        if length < 8 or length > SMALL_MESSAGE_LIMIT:
            raise RemoteProtocolError(f"invalid length of startup packet ({length})")
        end = pos + length
        if end > len(buffer):
            return None
        body = bytes(buffer[pos + 4 : end])
        self._pos = end
        return body
