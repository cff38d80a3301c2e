"""The client's receive buffer: `framing.MessageBuffer` plus two bulk cuts for the hot paths.

A large result arrives as thousands of consecutive DataRow messages, a COPY TO STDOUT as
thousands of consecutive CopyData messages.  Cutting them one message object at a time costs
more than decoding them, so `ClientBuffer` can hand out a whole *run* at once:

* `take_data_rows` finds the complete DataRow messages at the front of the buffer, copies
  exactly that span (plus ``RUN_PADDING``) to one ``bytes`` object and gives it to a run
  decoder (``client_rows.make_run_decoder``) which builds the rows;
* `take_copy_data` joins the payloads of consecutive CopyData messages;
* `take_routine_answers` skips the BindComplete / CommandComplete pairs that answer a batch
  of executions (``executemany``), adding up the row counts.

Each length field is checked against the same per-type limit as `MessageBuffer.next_message`
before anything waits for the body, so an absurd length is refused at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from .client_rows import RUN_PADDING
from .errors import RemoteProtocolError
from .framing import BACKEND_LARGE_MESSAGES, SMALL_MESSAGE_LIMIT, MessageBuffer, message_limits
from .messages import INT32

__all__ = ["ClientBuffer"]

_DATA_ROW = ord("D")
_BIND_COMPLETE = ord("2")
_COPY_DATA = ord("d")
_unpack_int32 = INT32.unpack_from

RunDecoderFn = Callable[[bytes, int, int, Callable[[Any], None]], None]


class ClientBuffer(MessageBuffer):
    """Received backend bytes, cut into messages or into runs of DataRow / CopyData."""

    __slots__ = ("_large_limit",)

    def __init__(self, large_limit: int) -> None:
        super().__init__(message_limits(BACKEND_LARGE_MESSAGES, large_limit))
        self._large_limit = large_limit

    def peek_code(self) -> int | None:
        """The type byte of the next message, or None when the buffer is empty."""
        if self._pos < len(self._buffer):
            return self._buffer[self._pos]
        return None

    def _run_end(self, code: int) -> int:
        """End offset of the complete messages of type ``code`` at the front of the buffer."""
        buffer = self._buffer
        end = len(buffer)
        limit = self._large_limit
        pos = self._pos
        while pos + 5 <= end and buffer[pos] == code:
            length = _unpack_int32(buffer, pos + 1)[0]
            if length < 4 or length > limit:
                raise RemoteProtocolError(f"invalid message length {length}")
            stop = pos + 1 + length
            if stop > end:
                break
            pos = stop
        return pos

    def take_data_rows(self, decode: RunDecoderFn, append: Callable[[Any], None]) -> bool:
        """Decode the complete DataRow messages at the front; False when there are none."""
        start = self._pos
        stop = self._run_end(_DATA_ROW)
        if stop == start:
            return False
        with memoryview(self._buffer) as view:
            data = b"".join((view[start:stop], RUN_PADDING))
        self._pos = stop
        decode(data, 0, stop - start, append)
        return True

    def take_routine_answers(self, expected: Iterator[int]) -> tuple[int, int]:
        """Consume BindComplete / CommandComplete messages at the front while their type bytes
        follow ``expected``; returns (messages consumed, sum of the CommandComplete row
        counts).  Only the row count of a tag is read: the trailing number, if any."""
        buffer = self._buffer
        end = len(buffer)
        pos = self._pos
        consumed = rowcount = 0
        for code in expected:
            if pos + 5 > end or buffer[pos] != code:
                break
            length = _unpack_int32(buffer, pos + 1)[0]
            stop = pos + 1 + length
            if length < 4 or length > SMALL_MESSAGE_LIMIT:
                raise RemoteProtocolError(f"invalid message length {length}")
            if stop > end:
                break
            if code == _BIND_COMPLETE:
                if length != 4:
                    raise RemoteProtocolError("invalid BindComplete message format")
            else:
                tag = buffer[pos + 5 : stop]
                if tag[-1:] != b"\x00" or tag.find(0) != len(tag) - 1:
                    raise RemoteProtocolError("invalid CommandComplete message format")
                count = tag[:-1].rpartition(b" ")[2]
                if count.isdigit():
                    rowcount += int(count)
            pos = stop
            consumed += 1
        self._pos = pos
        return consumed, rowcount

    def take_copy_data(self) -> bytes | None:
        """The joined payloads of the complete CopyData messages at the front, or None."""
        buffer = self._buffer
        pos = self._pos
        stop = self._run_end(_COPY_DATA)
        if stop == pos:
            return None
        parts = []
        while pos < stop:
            end = pos + 1 + _unpack_int32(buffer, pos + 1)[0]
            parts.append(buffer[pos + 5 : end])
            pos = end
        self._pos = stop
        return b"".join(parts)
