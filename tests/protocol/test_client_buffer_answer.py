"""`ClientBuffer.execution_answer` (whose DataRow scan is the chunked `_run_end`) against a
plain message-by-message reading of the same bytes.

The answer to one Bind/Execute/Sync is BindComplete, DataRows, CommandComplete and
ReadyForQuery.  Whatever the number and sizes of the rows, a DataRow with an invalid length
anywhere among them, or bytes cut off at the end, the offsets found (or None) must be those of
the reference.
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_buffer import ClientBuffer
from txpostgres_proto.protocol.messages import TransactionStatus

_LIMIT = 1 << 20
_BIND_COMPLETE = b"2\x00\x00\x00\x04"
_COMMAND_COMPLETE = b"C" + struct.pack("!i", 4 + 11) + b"SELECT 123\x00"
_READY = b"Z\x00\x00\x00\x05I"


def _reference(data: bytes) -> tuple[int, int, int, str, TransactionStatus] | None:
    if not data.startswith(_BIND_COMPLETE):
        return None
    pos = start = 5
    while pos + 5 <= len(data) and data[pos] == ord("D"):
        length = struct.unpack_from("!i", data, pos + 1)[0]
        if length < 4 or length > _LIMIT or pos + 1 + length > len(data):
            break
        pos += 1 + length
    if not data.startswith(_COMMAND_COMPLETE + _READY, pos):
        return None
    ready = pos + len(_COMMAND_COMPLETE)
    return start, pos, ready + 6, "SELECT 123", TransactionStatus.IDLE


def _found(data: bytes) -> tuple[int, int, int, str, TransactionStatus] | None:
    buffer = ClientBuffer(_LIMIT)
    buffer.feed(data)
    return buffer.execution_answer()


def _rows(size: int, count: int) -> bytes:
    return (b"D" + struct.pack("!i", size + 4) + bytes(size)) * count


@settings(max_examples=300, deadline=None)
@given(
    runs=st.lists(st.tuples(st.integers(2, 30), st.integers(1, 400)), max_size=5),
    bad=st.none() | st.tuples(st.integers(0, 2000), st.sampled_from([-1, 0, 3, _LIMIT + 1])),
    cut=st.integers(0, 12),
)
def test_answer_offsets_match_a_message_by_message_reading(
    runs: list[tuple[int, int]], bad: tuple[int, int] | None, cut: int
) -> None:
    rows = b"".join(_rows(size, count) for size, count in runs)
    if bad is not None and rows:
        # An invalid length in the message starting at or after byte ``bad[0]`` of the rows.
        position = rows.find(b"D", min(bad[0], len(rows) - 1))
        if position >= 0:
            rows = rows[: position + 1] + struct.pack("!i", bad[1]) + rows[position + 5 :]
    data = _BIND_COMPLETE + rows + _COMMAND_COMPLETE + _READY
    data = data[: len(data) - cut]
    assert _found(data) == _reference(data)


def test_a_long_answer_is_found_whole() -> None:
    data = _BIND_COMPLETE + _rows(20, 3000) + _COMMAND_COMPLETE + _READY
    found = _found(data)
    assert found == (5, 5 + 25 * 3000, len(data), "SELECT 123", TransactionStatus.IDLE)
    assert _found(data[:-1]) is None
