"""The client's receive buffer: `framing.MessageBuffer` plus two bulk cuts for the hot paths.

A large result arrives as thousands of consecutive DataRow messages, a COPY TO STDOUT as
thousands of consecutive CopyData messages.  Cutting them one message object at a time costs
more than decoding them, so `ClientBuffer` can hand out a whole *run* at once:

* `take_data_rows` finds the complete DataRow messages at the front of the buffer, copies
  exactly that span (plus ``RUN_PADDING``) to one ``bytes`` object and gives it to a run
  decoder (``client_rows.make_run_decoder``) which builds the rows;
* `take_copy_data` joins the payloads of consecutive CopyData messages;
* `take_routine_answers` skips the BindComplete / CommandComplete pairs that answer a batch
  of executions (``executemany``), adding up the row counts;
* `execution_answer` recognises the whole answer to one Bind/Execute/Sync — BindComplete,
  DataRows, CommandComplete, ReadyForQuery — at the front of the buffer in one scan, so a
  serial query's answer is taken with one more call (`take_execution`) instead of
  one message object each.  It only accepts well-formed messages and never raises: anything
  unusual (an error, a notice, a malformed message) is left to the message-by-message path,
  which reports it.

Each length field is checked against the same per-type limit as `MessageBuffer.next_message`
before anything waits for the body, so an absurd length is refused at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .client_rows import RUN_PADDING
from .errors import RemoteProtocolError
from .framing import BACKEND_LARGE_MESSAGES, SMALL_MESSAGE_LIMIT, MessageBuffer, message_limits
from .messages import INT32, TransactionStatus

__all__ = ["ClientBuffer"]

_DATA_ROW = ord("D")
_BIND_COMPLETE = ord("2")
_COMMAND_COMPLETE = ord("C")
_READY_FOR_QUERY = ord("Z")
_COPY_DATA = ord("d")
_unpack_int32 = INT32.unpack_from
#: The answers a Bind and its Execute wait for, as `take_routine_answers` codes.
_PAIR_CODES = b"2C"
_STATUSES = {ord(status.value): status for status in TransactionStatus}
#: A BindComplete message: type byte and a length of 4.
_BIND_COMPLETE_MESSAGE = b"2\x00\x00\x00\x04"
#: The frame of a ReadyForQuery message, before its status byte.
_READY_FRAME = b"Z\x00\x00\x00\x05"

#: Messages checked at once by `ClientBuffer._run_end`, and the most messages it reads one by
#: one after chunks that do not match.
_CHUNK = 256
_MAX_BACKOFF = 64

RunDecoderFn = Callable[[bytes, int, int, Callable[[Any], None]], None]


def _same_headers(
    buffer: bytearray, first: int, start: int, end: int, size: int, count: int
) -> bool:
    """True when the ``count`` messages of ``size`` bytes from ``start`` to ``end`` all have
    the 5-byte header of the message at ``first``."""
    if not buffer.startswith(buffer[first : first + 5], end - size):
        return False  # the last one differs: the usual miss, found with one comparison
    return all(
        buffer[start + index : end : size] == buffer[first + index : first + index + 1] * count
        for index in range(5)
    )


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

    def _run_end(self, code: int, start: int | None = None, strict: bool = True) -> int:
        """End offset of the complete messages of type ``code`` at the front of the buffer
        (from ``start`` when given).  A message with an invalid length raises
        `RemoteProtocolError`, or with ``strict`` False ends the run (as an incomplete one
        does).

        After each message read one by one, the next messages are checked in one chunk, on
        the guess that they have the same header (type byte and length, as fixed-layout
        DataRows do): five strided slices compare their headers with its header at once.
        A chunk that does not match is left to the message-by-message loop, and the guess
        waits for twice as many messages after each miss in a row (up to `_MAX_BACKOFF`), so
        rows of varying length cost little more.  Either way every message's header is
        checked, with the same outcome.
        """
        buffer = self._buffer
        end = len(buffer)
        limit = self._large_limit
        pos = self._pos if start is None else start
        wait = 0
        backoff = 1
        while pos + 5 <= end and buffer[pos] == code:
            length = _unpack_int32(buffer, pos + 1)[0]
            if length < 4 or length > limit:
                if not strict:
                    break
                raise RemoteProtocolError(f"invalid message length {length}")
            stop = pos + 1 + length
            if stop > end:
                break
            if wait:
                wait -= 1
            else:
                size = length + 1
                count = min(_CHUNK, (end - stop) // size)
                chunk_end = stop + count * size
                if count > 1 and _same_headers(buffer, pos, stop, chunk_end, size, count):
                    stop = chunk_end
                    backoff = 1
                else:
                    wait = backoff
                    backoff = min(2 * backoff, _MAX_BACKOFF)
            pos = stop
        return pos

    def execution_answer(self) -> tuple[int, int, int, str, TransactionStatus] | None:
        """When the buffer starts with BindComplete, DataRow messages, CommandComplete and
        ReadyForQuery, all complete and well formed: (start and end of the DataRows, end of
        the ReadyForQuery, command tag, transaction status); otherwise None.  Consumes
        nothing."""
        buffer = self._buffer
        start = self._pos + 5
        if not buffer.startswith(_BIND_COMPLETE_MESSAGE, start - 5):
            return None
        end = len(buffer)
        limit = self._large_limit
        # A bad length is left to `take_data_rows`, which reports it.
        rows_end = self._run_end(_DATA_ROW, start, strict=False)
        if rows_end + 5 > end or buffer[rows_end] != _COMMAND_COMPLETE:
            return None
        length = _unpack_int32(buffer, rows_end + 1)[0]
        ready = rows_end + 1 + length
        if length < 5 or length > limit or ready + 6 > end:
            return None
        status = _STATUSES.get(buffer[ready + 5])
        tag = buffer[rows_end + 5 : ready - 1]
        if (
            status is None
            or not buffer.startswith(_READY_FRAME, ready)
            or buffer[ready - 1] != 0
            or 0 in tag
        ):
            return None
        try:
            return start, rows_end, ready + 6, tag.decode(), status
        except UnicodeDecodeError:
            return None

    def take_execution(
        self,
        start: int,
        stop: int,
        end: int,
        decode: RunDecoderFn | None,
        append: Callable[[Any], None],
    ) -> None:
        """Consume an answer `execution_answer` found (its offsets are ``start``, ``stop``,
        ``end``), decoding its rows.  When the decoder raises, the buffer stops after the
        rows: the CommandComplete and ReadyForQuery are still to be read."""
        if stop > start:
            assert decode is not None
            with memoryview(self._buffer) as view:
                data = b"".join((view[start:stop], RUN_PADDING))
            self._pos = stop
            decode(data, 0, stop - start, append)
        self._pos = end

    def exhausted(self) -> bool:
        """True when every received byte has been consumed."""
        return self._pos == len(self._buffer)

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

    def take_routine_answers(self, codes: bytes, index: int) -> tuple[int, int]:
        """Consume BindComplete / CommandComplete messages at the front while their type bytes
        follow ``codes`` from ``index`` on (a 0 in ``codes`` stops); returns (messages
        consumed, sum of the CommandComplete row counts).  Only the row count of a tag is
        read: the trailing number, if any.

        A batch of executions is answered by thousands of identical BindComplete +
        CommandComplete pairs (``INSERT 0 1``): a run of pairs identical to the first one is
        recognised by comparing bytes, not message by message.
        """
        consumed = rowcount = 0
        limit = len(codes)
        while index < limit:
            if codes.startswith(_PAIR_CODES, index):
                pairs, pairs_rowcount = self._take_identical_pairs(codes, index)
                if pairs:
                    consumed += 2 * pairs
                    rowcount += pairs_rowcount
                    index += 2 * pairs
                    continue
            taken = self._take_routine_answer(codes[index])
            if taken is None:
                break
            consumed += 1
            rowcount += taken
            index += 1
        return consumed, rowcount

    def _take_routine_answer(self, code: int) -> int | None:
        """Consume one complete message of type ``code`` (BindComplete or CommandComplete) at
        the front; returns its row count (0 when none), or None when there is none."""
        buffer = self._buffer
        pos = self._pos
        end = len(buffer)
        if code == 0 or pos + 5 > end or buffer[pos] != code:
            return None
        length = _unpack_int32(buffer, pos + 1)[0]
        stop = pos + 1 + length
        if length < 4 or length > SMALL_MESSAGE_LIMIT:
            raise RemoteProtocolError(f"invalid message length {length}")
        if stop > end:
            return None
        count = 0
        if code == _BIND_COMPLETE:
            if length != 4:
                raise RemoteProtocolError("invalid BindComplete message format")
        else:
            count = _tag_rowcount(buffer[pos + 5 : stop])
        self._pos = stop
        return count

    def _take_identical_pairs(self, codes: bytes, index: int) -> tuple[int, int]:
        """Consume the longest run of BindComplete + CommandComplete pairs identical to the
        complete, valid pair at the front, as far as ``codes`` from ``index`` expects pairs;
        returns (pairs consumed, their row count)."""
        buffer = self._buffer
        pos = self._pos
        end = len(buffer)
        if not buffer.startswith(_BIND_COMPLETE_MESSAGE, pos) or pos + 10 > end:
            return 0, 0
        if buffer[pos + 5] != _COMMAND_COMPLETE:
            return 0, 0
        length = _unpack_int32(buffer, pos + 6)[0]
        stop = pos + 6 + length
        if length < 4 or length > SMALL_MESSAGE_LIMIT or stop > end:
            return 0, 0  # left to `_take_routine_answer`, which reports a bad length
        pair = bytes(buffer[pos:stop])
        count = _tag_rowcount(pair[10:])
        wanted = codes.find(0, index)
        wanted = ((len(codes) if wanted < 0 else wanted) - index) // 2
        if not codes.startswith(_PAIR_CODES * wanted, index):
            wanted = 1
        # The longest prefix of pair * n in the buffer, n <= wanted: all of it, or a search.
        low, high = 1, min(wanted, (end - pos) // len(pair))
        if not buffer.startswith(pair * high, pos):
            while low < high:
                middle = (low + high + 1) // 2
                if buffer.startswith(pair * middle, pos):
                    low = middle
                else:
                    high = middle - 1
        self._pos = pos + high * len(pair)
        return high, high * count

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


def _tag_rowcount(message: bytes | bytearray) -> int:
    """The row count of a CommandComplete body (NUL-terminated tag): its trailing number."""
    if message[-1:] != b"\x00" or message.find(0) != len(message) - 1:
        raise RemoteProtocolError("invalid CommandComplete message format")
    count = message[:-1].rpartition(b" ")[2]
    return int(count) if count.isdigit() else 0
