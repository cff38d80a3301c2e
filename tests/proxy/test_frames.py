"""Cutting relayed byte streams into frames (`proxy.frames.FrameCutter`), no network.

However a stream is split into received chunks, the frames handed on must add up to the stream
byte for byte, and the notable frames must be reported once each at their true positions.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.proxy.frames import FrameCutter, frame, frame_end

_NOTABLE = frozenset(b"Z1ES")


def _cut(cutter: FrameCutter, chunk: bytes) -> tuple[bytes, list[int]]:
    """One `FrameCutter.cut`, its offsets as a list (it may answer with a tuple)."""
    frames, offsets = cutter.cut(chunk)
    return frames, list(offsets)


def _relay(chunks: list[bytes], cutter: FrameCutter) -> tuple[bytes, list[tuple[int, int]]]:
    """Feed ``chunks``: everything handed on, and (stream offset, type) of notable frames."""
    relayed = bytearray()
    notable: list[tuple[int, int]] = []
    for chunk in chunks:
        frames, offsets = cutter.cut(chunk)
        notable += [(len(relayed) + offset, frames[offset]) for offset in offsets]
        relayed += frames
    return bytes(relayed), notable


_frames = st.lists(
    st.tuples(st.sampled_from(b"ZDTC1ESNd"), st.binary(max_size=300)).map(
        lambda pair: frame(bytes([pair[0]]), pair[1])
    ),
    max_size=12,
)


@given(_frames, st.lists(st.integers(min_value=0, max_value=4000), max_size=10))
def test_any_chunking_relays_the_same_bytes(frames: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(frames)
    points = sorted({0, len(stream), *(cut % (len(stream) + 1) for cut in cuts)})
    chunks = [stream[a:b] for a, b in zip(points, points[1:], strict=False)]
    relayed, notable = _relay(chunks, FrameCutter(_NOTABLE))
    assert relayed == stream
    expected, offset = [], 0
    for one in frames:
        if one[0] in _NOTABLE:
            expected.append((offset, one[0]))
        offset += len(one)
    assert notable == expected


@given(_frames)
def test_one_frame_per_chunk_gives_what_the_walk_gives(frames: list[bytes]) -> None:
    # A chunk that is exactly one frame takes the cutter's shortcut: the same bytes and the
    # same notable offsets as walking the frames inside one chunk.
    walked = _relay([b"".join(frames)], FrameCutter(_NOTABLE))
    assert _relay(frames, FrameCutter(_NOTABLE)) == walked
    cutter = FrameCutter(_NOTABLE)
    for one in frames:
        assert _cut(cutter, one) == (one, [0] if one[0] in _NOTABLE else [])


def test_a_whole_frame_over_the_limit_is_refused() -> None:
    whole = frame(b"Q", b"x" * 30)
    assert _cut(FrameCutter(_NOTABLE, limit=34), whole) == (whole, [])
    with pytest.raises(RemoteProtocolError):
        FrameCutter(_NOTABLE, limit=33).cut(whole)


def test_an_incomplete_frame_waits_for_its_rest() -> None:
    cutter = FrameCutter(_NOTABLE)
    ready, row = frame(b"Z", b"I"), frame(b"D", b"\x00\x01" + b"x" * 100)
    assert _cut(cutter, ready + row[:3]) == (ready, [0])
    assert _cut(cutter, row[3:50]) == (b"", [])
    assert _cut(cutter, row[50:] + ready) == (row + ready, [len(row)])
    assert frame_end(row + ready, len(row)) == len(row) + len(ready)


def test_a_frame_arriving_byte_by_byte() -> None:
    cutter, row = FrameCutter(_NOTABLE), frame(b"D", b"y" * 40)
    pieces = [_cut(cutter, row[i : i + 1]) for i in range(len(row))]
    assert pieces[:-1] == [(b"", [])] * (len(row) - 1)
    assert pieces[-1] == (row, [])


@pytest.mark.parametrize("length", [3, -1, (1 << 31) - 1])
def test_bad_lengths_are_protocol_errors(length: int) -> None:
    header = b"D" + length.to_bytes(4, "big", signed=True)
    with pytest.raises(RemoteProtocolError):
        FrameCutter(_NOTABLE, limit=1 << 20).cut(header)
    cutter = FrameCutter(_NOTABLE, limit=1 << 20)
    assert _cut(cutter, header[:2]) == (b"", [])
    with pytest.raises(RemoteProtocolError):  # also when the length arrives in pieces
        cutter.cut(header[2:])


#: A realistic answer stream: a row result, a notice and an error inside a transaction, a
#: setting change, a named statement's ParseComplete — each ending in ReadyForQuery.
_ANSWERS = b"".join(
    [
        frame(b"T", b"\x00\x01abalance\x00" + bytes(18)),
        frame(b"D", b"\x00\x01\x00\x00\x00\x04-123"),
        frame(b"C", b"SELECT 1\x00"),
        frame(b"Z", b"T"),
        frame(b"N", b"SNOTICE\x00C00000\x00Mrelayed 42\x00\x00"),
        frame(b"E", b"SERROR\x00C22012\x00Mdivision by zero\x00\x00"),
        frame(b"Z", b"E"),
        frame(b"S", b"application_name\x00relay\x00"),
        frame(b"C", b"SET\x00"),
        frame(b"Z", b"I"),
        frame(b"1", b""),
        frame(b"Z", b"I"),
    ]
)


def _walked(stream: bytes) -> list[tuple[int, int]]:
    """(offset, type) of every notable frame of ``stream``, found by reading the lengths."""
    found, offset = [], 0
    while offset < len(stream):
        if stream[offset] in _NOTABLE:
            found.append((offset, stream[offset]))
        offset = frame_end(stream, offset)
    return found


@pytest.mark.parametrize("split", range(1, len(_ANSWERS)))
def test_a_read_ending_anywhere_relays_what_one_read_would(split: int) -> None:
    # Every place a read can end: inside a type byte's length, inside a body, just after a
    # ReadyForQuery.  The second read then starts with the held rest of a frame (or a new
    # frame) and may hold one frame or several.
    chunks = [_ANSWERS[:split], _ANSWERS[split:]]
    assert _relay(chunks, FrameCutter(_NOTABLE)) == (_ANSWERS, _walked(_ANSWERS))
    assert _relay([_ANSWERS], FrameCutter(_NOTABLE)) == (_ANSWERS, _walked(_ANSWERS))


def test_a_length_is_checked_before_its_frame_is_taken_whole() -> None:
    # The first frame's length is read once for the one-frame shortcut and reused by the
    # walk: a chunk of two frames whose first is over the limit is refused all the same.
    first, second = frame(b"D", b"x" * 40), frame(b"Z", b"I")
    assert _cut(FrameCutter(_NOTABLE, limit=44), first + second) == (first + second, [45])
    with pytest.raises(RemoteProtocolError):
        FrameCutter(_NOTABLE, limit=43).cut(first + second)
    with pytest.raises(RemoteProtocolError):  # a bad length after whole frames, too
        FrameCutter(_NOTABLE).cut(second + b"D\x00\x00\x00\x02")
