"""`Row` and the run decoders that build rows straight from runs of DataRow messages."""

from __future__ import annotations

import gc
import pickle
import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_rows import (
    RUN_PADDING,
    TEXT_PARSER,
    UTF8_TEXT,
    Row,
    make_run_decoder,
    row_class,
)
from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.protocol.messages import encode_data_row


def decode(decoder: Any, *messages: bytes) -> list[Any]:
    data = b"".join(messages)
    rows: list[Any] = []
    decoder(data + RUN_PADDING, 0, len(data), rows.append)
    return rows


def test_row_reads_like_a_tuple_and_like_a_mapping() -> None:
    row = row_class(["id", "name", "id"])((1, "a", 2))
    assert isinstance(row, tuple) and isinstance(row, Row)
    assert row == (1, "a", 2) and len(row) == 3
    assert row[0] == 1 and row[-1] == 2 and row[1:] == ("a", 2)
    assert row["name"] == "a" and row["id"] == 1
    assert row.keys() == ("id", "name", "id")
    assert dict(row_class(["a", "b"])((1, 2))) == {"a": 1, "b": 2}
    assert row.get("missing", "default") == "default"
    assert row.items() == [("id", 1), ("name", "a"), ("id", 2)]
    with pytest.raises(KeyError):
        row["missing"]
    a, b, c = row
    assert (a, b, c) == (1, "a", 2)
    assert repr(row) == "Row(id=1, name='a', id=2)"
    assert pickle.loads(pickle.dumps(row)) == row
    assert pickle.loads(pickle.dumps(row)).keys() == row.keys()


def test_row_classes_are_cached_per_shape() -> None:
    assert row_class(["x", "y"]) is row_class(("x", "y"))
    assert row_class(["x", "y"]) is not row_class(["y", "x"])


def int4(value: int) -> bytes:
    return struct.pack("!i", value)


def int8(value: int) -> bytes:
    return struct.pack("!q", value)


def float8(value: float) -> bytes:
    return struct.pack("!d", value)


def unpack_int4(data: bytes) -> int:
    return int(struct.unpack("!i", data)[0])


def unpack_int8(data: bytes) -> int:
    return int(struct.unpack("!q", data)[0])


def unpack_float8(data: bytes) -> float:
    return float(struct.unpack("!d", data)[0])


def text(data: bytes) -> str:
    return data.decode()


@pytest.mark.parametrize("codes", [[None, None, None, None], ["i", "q", None, "d"]])
def test_mixed_rows_with_nulls(codes: list[str | None]) -> None:
    decoder = make_run_decoder(
        ["a", "b", "c", "d"], [unpack_int4, unpack_int8, text, unpack_float8], codes
    )
    messages = [
        encode_data_row([int4(1), int8(2), b"three", float8(4.5)]),
        encode_data_row([None, int8(-2), None, float8(-1.0)]),
        encode_data_row([int4(7), None, b"", None]),
        encode_data_row([None, None, None, None]),
    ]
    rows = decode(decoder, *messages)
    assert rows == [(1, 2, "three", 4.5), (None, -2, None, -1.0), (7, None, "", None)] + [
        (None, None, None, None)
    ]
    assert rows[0]["c"] == "three"


def test_all_fixed_rows_use_one_unpack_and_fall_back_for_nulls() -> None:
    decoder = make_run_decoder(["a", "b", "c"], [unpack_int4, unpack_int8, bool], ["i", "q", "?"])
    rows = decode(
        decoder,
        encode_data_row([int4(1), int8(2), b"\x01"]),
        encode_data_row([int4(3), None, b"\x00"]),
        encode_data_row([None, None, None]),
    )
    assert rows == [(1, 2, True), (3, None, False), (None, None, None)]


@given(st.lists(st.lists(st.none() | st.integers(-(2**31), 2**31 - 1), min_size=40, max_size=40)))
def test_long_runs_of_fixed_width_fields(rows: list[list[int | None]]) -> None:
    # 40 int4 columns with a text column in the middle: several segments, NULLs anywhere.
    names = [f"c{i}" for i in range(41)]
    codes: list[str | None] = ["i"] * 20 + [UTF8_TEXT] + ["i"] * 20
    decoders = [unpack_int4] * 20 + [text] + [unpack_int4] * 20
    decoder = make_run_decoder(names, decoders, codes)
    messages = []
    expected = []
    for row in rows:
        values = [*row[:20], "mid", *row[20:]]
        expected.append(tuple(values))
        fields = [None if v is None else int4(v) for v in row]
        messages.append(encode_data_row([*fields[:20], b"mid", *fields[20:]]))
    assert decode(decoder, *messages) == expected


def test_wide_rows_use_the_looping_decoder() -> None:
    names = [f"c{i}" for i in range(100)]
    decoder = make_run_decoder(names, [text] * 100)
    values = [str(i).encode() if i % 3 else None for i in range(100)]
    (row,) = decode(decoder, encode_data_row(values))
    assert row["c1"] == "1" and row["c99"] is None and len(row) == 100


@pytest.mark.parametrize("codes", [[None, None], ["i", None]])
@pytest.mark.parametrize(
    "message",
    [
        encode_data_row([int4(1)]),  # too few fields
        encode_data_row([int4(1), b"x", b"y"]),  # too many
        encode_data_row([b"\x00\x01", b"x"]),  # a 2-byte int4
        b"D\x00\x00\x00\x0e\x00\x02\x00\x00\x00\x04\x00\x00",  # truncated field
        b"D\x00\x00\x00\x0e\x00\x02\xff\xff\xff\xfe\x00\x00\x00\x00",  # length -2
        encode_data_row([int4(1), b"x"])[:-1] + b"\x00\x00",  # length disagrees
    ],
)
def test_malformed_rows_raise_remote_protocol_error(
    codes: list[str | None], message: bytes
) -> None:
    decoder = make_run_decoder(["i", "t"], [unpack_int4, text], codes)
    with pytest.raises(RemoteProtocolError):
        decode(decoder, message)


def test_atomic_rows_leave_the_garbage_collector_alone() -> None:
    message = encode_data_row([int4(1), b"text"])
    atomic = make_run_decoder(["i", "t"], [unpack_int4, text], ["i", UTF8_TEXT], atomic=True)
    tracked = make_run_decoder(["i", "t"], [unpack_int4, text], ["i", UTF8_TEXT])
    (untracked_row,) = decode(atomic, message)
    (tracked_row,) = decode(tracked, message)
    assert not gc.is_tracked(untracked_row) and gc.is_tracked(tracked_row)
    assert untracked_row == tracked_row == (1, "text")


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        make_run_decoder(["a"], [text, text])
    with pytest.raises(ValueError):
        make_run_decoder(["a"], [text], ["x"])
    with pytest.raises(ValueError):  # TEXT_PARSER without a parser
        make_run_decoder(["a"], [text], [TEXT_PARSER])
    with pytest.raises(ValueError):  # a parser for a column that does not use it
        make_run_decoder(["a"], [text], [None], parsers=[int])


def test_text_parsers_run_inline_and_leave_what_they_reject_to_the_decoder() -> None:
    calls: list[bytes] = []

    def decimal_or_special(data: bytes) -> Any:
        calls.append(data)
        special = {b"big": 10**30, b"\xff": "undecodable"}
        return special[data] if data in special else data.decode()

    decoder = make_run_decoder(
        ["n", "t", "i"],
        [decimal_or_special, text, unpack_int4],
        [TEXT_PARSER, UTF8_TEXT, "i"],
        parsers=[lambda value: int(value) // 2 * 2, None, None],
    )
    messages = [
        encode_data_row([b"12", b"a", int4(1)]),
        encode_data_row([b"big", b"b", int4(2)]),  # int() raises ValueError
        encode_data_row([None, b"c", None]),
        encode_data_row([b"\xff", b"d", int4(4)]),  # not UTF-8: UnicodeDecodeError
        encode_data_row([b"7", b"e", int4(5)]),
    ]
    assert decode(decoder, *messages) == [
        (12, "a", 1),
        (10**30, "b", 2),
        (None, "c", None),
        ("undecodable", "d", 4),
        (6, "e", 5),
    ]
    assert calls == [b"big", b"\xff"]


@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-(2**31), 2**31 - 1),
            st.none() | st.integers(-(2**63), 2**63 - 1),
            st.none() | st.text(),
            st.none() | st.floats(allow_nan=False),
        ),
        max_size=20,
    )
)
def test_decoded_rows_match_the_values(values: list[tuple[Any, ...]]) -> None:
    encoders: list[Any] = [int4, int8, str.encode, float8]
    messages = [
        encode_data_row([None if v is None else f(v) for f, v in zip(encoders, row, strict=True)])
        for row in values
    ]
    for codes in ([None] * 4, ["i", "q", None, "d"], ["i", "q", UTF8_TEXT, "d"]):
        decoder = make_run_decoder(
            ["a", "b", "c", "d"], [unpack_int4, unpack_int8, text, unpack_float8], codes
        )
        assert decode(decoder, *messages) == values
