"""Rows encoders (``TypeRegistry.make_data_rows_encoder``) and the fast paths of both DataRow
encoders, against the general path: each value encoded by its codec alone, framed by the
protocol codec.

Edge values of every inlined or cached case are covered in text and binary: NULL, zero and
negative zero, NaN and infinities, tiny and huge numbers, numerics of several scales,
timestamps with and without microseconds and the infinities, aware timestamps, non-ASCII and
long text, subclasses and values of other types (which must reach the codec), and errors.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from tests.types.row_oracle import cycled_rows, general_data_row
from txpostgres_proto.protocol.messages import encode_data_row
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

COLUMNS = [
    oids.INT4,
    oids.TEXT,
    oids.FLOAT8,
    oids.TIMESTAMP,
    oids.BOOL,
    oids.NUMERIC,
    oids.INT8,
    oids.INT2,
    oids.FLOAT4,
    oids.VARCHAR,
]
FORMATS = [[0], [1], [0, 1] * 5, [1, 0] * 5]
PLUS_TWO = timezone(timedelta(hours=2))


class Text(str):
    def __str__(self) -> str:
        return "sub:" + super().__str__()


class Stamp(datetime):
    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "stamp"


VALUES: list[list[Any]] = [
    [0, -1, 2**31 - 1, -(2**31), True, None, Decimal("12"), 7.0, "42", 10**300],
    ["", "é" * 300, "naïve ✓", "x" * 255, "y" * 256, Text("t"), b"raw", 5, None],
    [0.0, -0.0, 2.5, -2.5, 1e-300, 1e300, 1e15, 1e-5, 0.1, 2.0**60, 3, None]
    + [float("nan"), math.inf, -math.inf, 5e-324, Decimal("0.5"), 1.7976931348623157e308],
    [datetime(2024, 1, 1, 0, 0, 1), datetime(2024, 1, 1, 0, 0, 1, 500), datetime(1, 1, 1)]
    + [datetime.max, datetime.min, datetime(2024, 5, 6, 7, 8, 9, tzinfo=PLUS_TWO)]
    + [datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC), Stamp(2024, 1, 1), None]
    + [datetime(2000, 1, 1, 0, 0, 0, 120000)],
    [True, False, 0, 1, "", "x", None, 2.5],
    [Decimal("1.50"), Decimal("1.5"), Decimal("-0"), Decimal("0.00"), Decimal("1E+3")]
    + [Decimal("NaN"), Decimal("-NaN"), Decimal("Infinity"), Decimal("-Infinity"), 2, 0.1]
    + [Decimal("1E-9"), Decimal("-7.2"), Decimal("9" * 40 + "." + "1" * 30), None]
    + [Decimal("-12345678901234567890.000001"), Decimal("1E+30")],
    [0, -(2**63), 2**63 - 1, False, None, 12],
    [0, -(2**15), 2**15 - 1, None, 3],
    [0.0, -0.0, 1.5, float("nan"), math.inf, 1e-40, None, 3],
    ["abc", "", "ü", None, 4],
]


def _general(formats: list[int], row: tuple[Any, ...]) -> bytes:
    return general_data_row(COLUMNS, formats, row)


def _rows() -> list[tuple[Any, ...]]:
    """Every value of each column, the shorter columns cycled; then a NULL row."""
    return cycled_rows(VALUES) + [(None,) * len(COLUMNS)]


def _expected(formats: list[int], row: tuple[Any, ...]) -> bytes | type[Exception]:
    try:
        return _general(formats, row)
    except Exception as error:  # the codec refuses a value: the fast paths must too
        return type(error)


@pytest.mark.parametrize("formats", FORMATS)
def test_row_encoder_matches_the_codecs(formats: list[int]) -> None:
    encode = DEFAULT_REGISTRY.make_data_row_encoder(COLUMNS, formats)
    for row in _rows():
        expected = _expected(formats, row)
        for _ in range(2):  # the second time, cached values are used
            if isinstance(expected, bytes):
                assert encode(row) == expected, row
            else:
                with pytest.raises(expected):
                    encode(row)


@pytest.mark.parametrize("formats", FORMATS)
def test_rows_encoder_matches_the_codecs(formats: list[int]) -> None:
    encode_rows = DEFAULT_REGISTRY.make_data_rows_encoder(COLUMNS, formats)
    for row in _rows():
        expected = _expected(formats, row)
        for _ in range(2):
            out: list[bytes] = []
            if isinstance(expected, bytes):
                assert encode_rows(iter([row]), out, 0, 1 << 20) == (1, len(expected), False)
                assert b"".join(out) == expected, row
            else:
                with pytest.raises(expected):
                    encode_rows(iter([row]), out, 0, 1 << 20)
                assert out == []


def test_equal_values_that_print_differently_are_kept_apart() -> None:
    """The caches hold values by equality: equal values with other bytes must not share."""
    columns = [oids.FLOAT8, oids.TIMESTAMP, oids.NUMERIC, oids.TIMESTAMP]
    aware = datetime(2024, 5, 6, 7, 8, 9, tzinfo=PLUS_TWO)
    same_instant = aware.astimezone(UTC)
    rows = [
        (0.0, aware, Decimal("1.5"), datetime(2024, 1, 1)),
        (-0.0, same_instant, Decimal("1.50"), datetime(2024, 1, 1, fold=1)),
        (1, aware.replace(tzinfo=None), Decimal("1.500"), Stamp(2024, 1, 1)),
    ]
    for formats in ([0], [1]):
        encode = DEFAULT_REGISTRY.make_data_row_encoder(columns, formats)
        encode_rows = DEFAULT_REGISTRY.make_data_rows_encoder(columns, formats)
        per_column = formats * len(columns)
        for _ in range(2):
            for row in rows:
                fields = [
                    DEFAULT_REGISTRY.encoder(oid, fmt)(value)
                    for oid, fmt, value in zip(columns, per_column, row, strict=True)
                ]
                assert encode(row) == encode_data_row(fields), row
                out: list[bytes] = []
                encode_rows(iter([row]), out, 0, 1 << 20)
                assert b"".join(out) == encode_data_row(fields), row


def test_rows_encoder_stops_at_the_row_limit_and_the_byte_limit() -> None:
    encode_rows = DEFAULT_REGISTRY.make_data_rows_encoder([oids.INT4, oids.TEXT], [0])
    rows = [(n, "x" * n) for n in range(100)]
    messages = [encode_data_row([b"%d" % n, b"x" * n]) for n in range(100)]
    source = iter(rows)
    out: list[bytes] = []
    assert encode_rows(source, out, 3, 1 << 20) == (3, sum(map(len, messages[:3])), True)
    assert b"".join(out) == b"".join(messages[:3])
    out = []
    # Stops at the row that reaches the byte limit, and never reads the row after it.
    count, size, stopped = encode_rows(source, out, 0, len(messages[3]) + 1)
    assert (count, size, stopped) == (2, len(messages[3]) + len(messages[4]), True)
    assert next(source) == rows[5]
    out = []
    assert encode_rows(source, out, 0, 1 << 20) == (94, sum(map(len, messages[6:])), False)
    assert b"".join(out) == b"".join(messages[6:])
    assert encode_rows(source, [], 0, 1 << 20) == (0, 0, False)


def test_a_failing_row_leaves_the_rows_before_it() -> None:
    encode_rows = DEFAULT_REGISTRY.make_data_rows_encoder([oids.INT4, oids.NUMERIC], [0])
    rows = [(1, Decimal("1")), (2, Decimal("2")), (3, Decimal("sNaN")), (4, Decimal("4"))]
    out: list[bytes] = []
    with pytest.raises(ValueError):
        encode_rows(iter(rows), out, 0, 1 << 20)
    assert b"".join(out) == b"".join(encode_data_row([b"%d" % n, b"%d" % n]) for n in (1, 2))
    with pytest.raises(ValueError):  # the wrong number of values
        encode_rows(iter([(1,)]), [], 0, 1 << 20)


@pytest.mark.parametrize("count", [0, 1, 64, 65])
def test_rows_encoder_of_any_width(count: int) -> None:
    columns = [oids.INT4] * count
    for formats in ([0], [1]):
        encode_rows = DEFAULT_REGISTRY.make_data_rows_encoder(columns, formats)
        encode = DEFAULT_REGISTRY.make_data_row_encoder(columns, formats)
        rows = [tuple(range(count)), (None,) * count]
        out: list[bytes] = []
        assert encode_rows(iter(rows), out, 0, 1 << 20)[::2] == (2, False)
        assert b"".join(out) == b"".join(map(encode, rows))
        assert encode(rows[1]) == encode_data_row([None] * count)


def test_long_rows_get_full_lengths() -> None:
    for size in (900, 1017, 1018, 1019, 5000, 70_000):
        row = ("a" * size,)
        expected = encode_data_row([row[0].encode()])
        assert DEFAULT_REGISTRY.make_data_row_encoder([oids.TEXT], [0])(row) == expected
        out: list[bytes] = []
        DEFAULT_REGISTRY.make_data_rows_encoder([oids.TEXT], [0])(iter([row]), out, 0, 1)
        assert b"".join(out) == expected


def test_rows_encoders_are_reused() -> None:
    first = DEFAULT_REGISTRY.make_data_rows_encoder([oids.INT4, oids.TEXT], [0])
    assert DEFAULT_REGISTRY.make_data_rows_encoder((oids.INT4, oids.TEXT), (0,)) is first
    assert DEFAULT_REGISTRY.make_data_row_encoder([oids.INT4, oids.TEXT], [0]) is not first
