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
        assert cutter.cut(one) == (one, [0] if one[0] in _NOTABLE else [])


def test_a_whole_frame_over_the_limit_is_refused() -> None:
    whole = frame(b"Q", b"x" * 30)
    assert FrameCutter(_NOTABLE, limit=34).cut(whole) == (whole, [])
    with pytest.raises(RemoteProtocolError):
        FrameCutter(_NOTABLE, limit=33).cut(whole)


def test_an_incomplete_frame_waits_for_its_rest() -> None:
    cutter = FrameCutter(_NOTABLE)
    ready, row = frame(b"Z", b"I"), frame(b"D", b"\x00\x01" + b"x" * 100)
    assert cutter.cut(ready + row[:3]) == (ready, [0])
    assert cutter.cut(row[3:50]) == (b"", [])
    assert cutter.cut(row[50:] + ready) == (row + ready, [len(row)])
    assert frame_end(row + ready, len(row)) == len(row) + len(ready)


def test_a_frame_arriving_byte_by_byte() -> None:
    cutter, row = FrameCutter(_NOTABLE), frame(b"D", b"y" * 40)
    pieces = [cutter.cut(row[i : i + 1]) for i in range(len(row))]
    assert pieces[:-1] == [(b"", [])] * (len(row) - 1)
    assert pieces[-1] == (row, [])


@pytest.mark.parametrize("length", [3, -1, (1 << 31) - 1])
def test_bad_lengths_are_protocol_errors(length: int) -> None:
    header = b"D" + length.to_bytes(4, "big", signed=True)
    with pytest.raises(RemoteProtocolError):
        FrameCutter(_NOTABLE, limit=1 << 20).cut(header)
    cutter = FrameCutter(_NOTABLE, limit=1 << 20)
    assert cutter.cut(header[:2]) == (b"", [])
    with pytest.raises(RemoteProtocolError):  # also when the length arrives in pieces
        cutter.cut(header[2:])
