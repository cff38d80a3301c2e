"""`ClientBuffer._run_end` (chunked header checks) against a plain message-by-message scan."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_buffer import ClientBuffer
from txpostgres_proto.protocol.errors import RemoteProtocolError

_LIMIT = 1 << 20


def _reference_end(data: bytes, code: int) -> int | str:
    """End of the complete ``code`` messages at the front, one message at a time, or
    ``"error"`` for a bad length."""
    pos = 0
    while pos + 5 <= len(data) and data[pos] == code:
        length = struct.unpack_from("!i", data, pos + 1)[0]
        if length < 4 or length > _LIMIT:
            return "error"
        if pos + 1 + length > len(data):
            break
        pos += 1 + length
    return pos


def _run_end(data: bytes, code: int) -> int | str:
    buffer = ClientBuffer(_LIMIT)
    buffer.feed(data)
    try:
        return buffer._run_end(code)
    except RemoteProtocolError:
        return "error"


def _messages(code: bytes, body_size: int, count: int) -> bytes:
    body = bytes(body_size)
    return (code + struct.pack("!i", body_size + 4) + body) * count


_runs = st.lists(
    st.tuples(st.sampled_from([b"D", b"D", b"D", b"C"]), st.integers(0, 40), st.integers(1, 300)),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(runs=_runs, cut=st.integers(0, 20), tail=st.binary(max_size=9))
def test_chunked_scan_matches_message_by_message(
    runs: list[tuple[bytes, int, int]], cut: int, tail: bytes
) -> None:
    data = b"".join(_messages(code, size, count) for code, size, count in runs) + tail
    data = data[: max(0, len(data) - cut)]
    assert _run_end(data, ord("D")) == _reference_end(data, ord("D"))


@pytest.mark.parametrize("position", [0, 1, 100, 254, 255, 256, 299])
def test_a_bad_length_inside_a_chunk_is_reported(position: int) -> None:
    messages = [_messages(b"D", 10, 1)] * 300
    messages[position] = b"D" + struct.pack("!i", 3) + bytes(10)
    data = b"".join(messages)
    assert _reference_end(data, ord("D")) == "error"
    assert _run_end(data, ord("D")) == "error"


@pytest.mark.parametrize("position", [1, 17, 256, 299])
def test_a_different_message_inside_a_chunk_ends_the_run(position: int) -> None:
    messages = [_messages(b"D", 10, 1)] * 300
    messages[position] = _messages(b"C", 10, 1)
    data = b"".join(messages)
    assert _run_end(data, ord("D")) == position * 15 == _reference_end(data, ord("D"))


def test_a_length_change_inside_a_chunk_is_followed() -> None:
    data = _messages(b"D", 10, 120) + _messages(b"D", 11, 200) + _messages(b"D", 10, 3)
    assert _run_end(data, ord("D")) == len(data)
