"""Bulk reading of DataRow runs (``client_row_bulk``) against row-by-row decoding.

A run decoder reads rows whose field lengths repeat in bulk, and every other row one by one.
The reference here is the same decoder shape used on one message at a time, each with a fresh
decoder, which never reads in bulk (a fresh decoder has no layout yet, and learning one takes
the whole message).  Both must give equal rows and raise the same errors after the same rows,
whatever the field lengths, NULLs, rejected values and cuts between runs.
"""

from __future__ import annotations

import gc
import struct
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_rows import (
    RUN_PADDING,
    TEXT_PARSER,
    UTF8_TEXT,
    RunDecoder,
    make_run_decoder,
)
from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.protocol.messages import encode_data_row

NAMES = ["i", "t", "f", "ts", "b", "n"]
CODES: list[str | None] = ["i", UTF8_TEXT, "d", TEXT_PARSER, "?", TEXT_PARSER]


def _timestamp(data: bytes) -> Any:
    text = data.decode()
    return text if text in ("infinity", "-infinity") else datetime.fromisoformat(text)


def _numeric(data: bytes) -> Decimal:
    return Decimal(data.decode())


def _int4(data: bytes) -> int:
    return int(struct.unpack("!i", data)[0])


def _float8(data: bytes) -> float:
    return float(struct.unpack("!d", data)[0])


DECODERS: list[Callable[[bytes], Any]] = [_int4, bytes.decode, _float8, _timestamp, _numeric, bool]
PARSERS: list[Callable[[str], Any] | None] = [
    None,
    None,
    None,
    datetime.fromisoformat,
    None,
    Decimal,
]


def mixed_decoder(atomic: bool = True) -> RunDecoder:
    return make_run_decoder(NAMES, DECODERS, CODES, atomic=atomic, parsers=PARSERS)


def mixed_row(g: int, text: str = "", stamp: str = "", number: str = "") -> bytes:
    """Row ``g`` of the benchmark's shape; empty strings pick the usual values."""
    return encode_data_row(
        [
            struct.pack("!i", g),
            (text or f"row {g} of the data").encode(),
            struct.pack("!d", g * 0.25),
            (stamp or f"2024-01-01 00:{g // 60 % 60:02}:{g % 60:02}").encode(),
            bytes([g % 2]),
            (number or f"{g / 100:.2f}").encode(),
        ]
    )


def run(decoder: RunDecoder, messages: Sequence[bytes], cuts: Sequence[int] = ()) -> list[Any]:
    """Decode ``messages`` as consecutive runs, a new run starting at each message index in
    ``cuts`` (as the receive buffer hands them over)."""
    rows: list[Any] = []
    bounds = [0, *sorted(set(cuts)), len(messages)]
    for start, stop in zip(bounds, bounds[1:], strict=False):
        data = b"".join(messages[start:stop])
        decoder(data + RUN_PADDING, 0, len(data), rows.append)
    return rows


def one_by_one(make: Callable[[], RunDecoder], messages: Sequence[bytes]) -> list[Any]:
    rows: list[Any] = []
    for message in messages:
        rows += run(make(), [message])
    return rows


def test_long_runs_of_one_layout_and_layout_changes() -> None:
    # Text and numeric lengths change at 10, 100, 1000, 10000 as in the benchmark table.
    messages = [mixed_row(g) for g in range(1, 12_000)]
    rows = run(mixed_decoder(), messages, cuts=range(0, len(messages), 613))
    assert rows == one_by_one(mixed_decoder, messages)
    assert len(rows) == 11_999
    assert rows[9_998] == (
        9_999,
        "row 9999 of the data",
        2_499.75,
        datetime(2024, 1, 1, 0, 46, 39),
        True,
        Decimal("99.99"),
    )
    assert rows[4]["ts"] == datetime(2024, 1, 1, 0, 0, 5) and rows[4][1] == rows[4]["t"]


@pytest.mark.parametrize("period", [1, 2, 3, 5, 64, 129, 300])
def test_alternating_lengths_nulls_and_rejected_values(period: int) -> None:
    messages = []
    for g in range(1, 2000):
        kind = g // period % 6
        if kind == 1:
            messages.append(mixed_row(g, text="x" * (g % 7 + 1)))
        elif kind == 2:
            messages.append(encode_data_row([None, b"t", None, None, None, None]))
        elif kind == 3:
            messages.append(mixed_row(g, stamp="infinity", number="NaN"))
        elif kind == 4:
            messages.append(mixed_row(g, text="é" * period))
        else:
            messages.append(mixed_row(g))
    expected = one_by_one(mixed_decoder, messages)
    # repr: Decimal("NaN") is not equal to itself
    assert repr(run(mixed_decoder(), messages)) == repr(expected)
    assert repr(run(mixed_decoder(), messages, cuts=range(0, 2000, 97))) == repr(expected)
    assert any(row[3] == "infinity" for row in expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-(2**31), 2**31 - 1),
            st.none() | st.sampled_from(["", "a", "bb", "ccc", "é", "x" * 40]),
            st.none() | st.floats(allow_nan=False),
        ),
        max_size=300,
    ).flatmap(lambda rows: st.tuples(st.just(rows), st.lists(st.integers(0, len(rows)))))
)
def test_any_rows_and_cuts_match_one_by_one(case: tuple[list[tuple[Any, ...]], list[int]]) -> None:
    values, cuts = case
    messages = [
        encode_data_row(
            [
                None if i is None else struct.pack("!i", i),
                None if t is None else t.encode(),
                None if f is None else struct.pack("!d", f),
            ]
        )
        for i, t, f in values
    ]
    shapes: list[list[str | None]] = [["i", UTF8_TEXT, "d"], [None, None, None], ["i", None, "d"]]
    for codes in shapes:

        def make(codes: list[str | None] = codes) -> RunDecoder:
            return make_run_decoder(["i", "t", "f"], [_int4, bytes.decode, _float8], codes)

        assert run(make(), messages, cuts) == one_by_one(make, messages) == values


def test_all_fixed_width_rows_in_bulk_with_nulls() -> None:
    def make() -> RunDecoder:
        return make_run_decoder(["a", "b"], [_int4, bool], ["i", "?"], atomic=True)

    messages = [
        encode_data_row([None if g % 50 == 0 else struct.pack("!i", g), bytes([g % 2])])
        for g in range(1, 1000)
    ]
    rows = run(make(), messages)
    assert rows == one_by_one(make, messages)
    assert rows[48] == (49, True) and rows[49] == (None, False)


def test_a_value_a_decoder_rejects_stops_at_the_same_row() -> None:
    def strict(data: bytes) -> str:
        if data == b"bad":
            raise ValueError("bad value")
        return data.decode()

    def make() -> RunDecoder:
        return make_run_decoder(["i", "s"], [_int4, strict], ["i", None])

    messages = [encode_data_row([struct.pack("!i", g), b"abc"]) for g in range(300)]
    messages[250] = encode_data_row([struct.pack("!i", 250), b"bad"])
    rows: list[Any] = []
    data = b"".join(messages)
    with pytest.raises(ValueError, match="bad value"):
        make()(data + RUN_PADDING, 0, len(data), rows.append)
    assert rows == one_by_one(make, messages[:250])
    assert rows[-1] == (249, "abc")


def test_malformed_row_after_a_bulk_run_raises_after_the_good_rows() -> None:
    good = [mixed_row(g) for g in range(100, 400)]
    message = bytearray(mixed_row(400))
    message[7:11] = struct.pack("!i", 5)  # int4 field claims 5 bytes
    rows: list[Any] = []
    data = b"".join([*good, bytes(message)])
    with pytest.raises(RemoteProtocolError):
        mixed_decoder()(data + RUN_PADDING, 0, len(data), rows.append)
    assert rows == one_by_one(mixed_decoder, good)


def test_rows_without_columns() -> None:
    decoder = make_run_decoder([], [], [])
    assert run(decoder, [encode_data_row([])] * 5) == [()] * 5


def test_bulk_rows_leave_the_garbage_collector_alone_only_when_atomic() -> None:
    messages = [mixed_row(g) for g in range(1, 200)]
    untracked = run(mixed_decoder(atomic=True), messages)
    tracked = run(mixed_decoder(atomic=False), messages)
    assert untracked == tracked
    assert not any(gc.is_tracked(row) for row in untracked)
    assert all(gc.is_tracked(row) for row in tracked)


def test_rows_with_the_same_nulls_in_bulk() -> None:
    always_null = []
    for g in range(1, 300):
        fields: list[bytes | None] = [struct.pack("!i", g), None, struct.pack("!d", 0.5)]
        always_null.append(encode_data_row([*fields, b"2024-01-01 00:00:00", None, b"1.5"]))
    all_null = [encode_data_row([None] * 6)] * 300
    for messages in (always_null, all_null, always_null + all_null + always_null):
        rows = run(mixed_decoder(), messages, cuts=range(0, len(messages), 128))
        assert rows == one_by_one(mixed_decoder, messages)
    assert run(mixed_decoder(), all_null) == [(None,) * 6] * 300
    (first, *_) = run(mixed_decoder(), always_null)
    assert first == (1, None, 0.5, datetime(2024, 1, 1), None, Decimal("1.5"))


@pytest.mark.parametrize("position", [2, 3, 40, 200, 511, 700, 999])
def test_a_row_of_the_same_size_but_other_field_lengths_inside_a_batch(position: int) -> None:
    # Text one byte longer and numeric one byte shorter: the message length is unchanged, so
    # only the field lengths tell the layouts apart.
    messages = [mixed_row(g, text="abcd", number="12.34") for g in range(1000)]
    messages[position] = mixed_row(position, text="abcde", number="2.34")
    assert len({len(message) for message in messages}) == 1
    rows = run(mixed_decoder(), messages)
    assert rows == one_by_one(mixed_decoder, messages)
    assert rows[position][1] == "abcde"
    assert rows[position][5] == Decimal("2.34")


def test_a_null_of_the_same_size_inside_a_batch() -> None:
    # A NULL numeric of the same message size as its neighbours (one byte more of text).
    messages = [mixed_row(g, text="abcd", number="1") for g in range(600)]
    messages[300] = encode_data_row(
        [struct.pack("!i", 1), b"abcde", struct.pack("!d", 0.5), b"2024-01-01 00:00:00", b"\x01"]
        + [None]
    )
    assert len({len(message) for message in messages}) == 1
    rows = run(mixed_decoder(), messages)
    assert rows == one_by_one(mixed_decoder, messages)
    assert rows[300][5] is None
