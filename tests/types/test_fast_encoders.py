"""Fast paths of the server's encoders give exactly the bytes of the general paths.

Data-row encoders spell out the common case of some codecs inline (``types.data_rows``); float8
text, timestamp text and binary and numeric binary keep recently encoded values; numeric text
prints through ``str``. Each is
compared here, on many values, with the codec called on its own (framed by the protocol codec)
or with an independent spelling of PostgreSQL's output rules.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.types.row_oracle import cycled_rows, general_data_row
from txpostgres_proto.protocol.messages import encode_data_row
from txpostgres_proto.types import DEFAULT_REGISTRY, oids
from txpostgres_proto.types.datetimes import (
    _encode_timestamp_binary,
    decode_timestamp_binary,
    encode_timestamp_binary,
    encode_timestamp_text,
)
from txpostgres_proto.types.floats import encode_float8
from txpostgres_proto.types.numeric import (
    _encode_numeric_binary,
    decode_numeric_binary,
    encode_numeric_binary,
    encode_numeric_text,
)

COLUMNS = [oids.INT4, oids.TEXT, oids.FLOAT8, oids.TIMESTAMP, oids.BOOL, oids.NUMERIC, oids.INT8]


class Text(str):
    """A str subclass: the inline ``type(v) is str`` test must leave it to the codec."""

    def __str__(self) -> str:
        return "subclass:" + super().__str__()


VALUES: list[list[Any]] = [
    [0, -1, 2**31 - 1, True, False, None, Decimal("12"), 7.0, "42"],
    ["", "é" * 300, "x", Text("t"), b"raw", 5, None],
    [0.0, -0.0, 2.5, 1e20, float("nan"), float("inf"), 3, None, 1e-5],
    [datetime(2024, 1, 1, 0, 0, 1), datetime(1, 1, 1), datetime.max, None],
    [True, False, 0, 1, "", "x", None],
    [Decimal("1.50"), Decimal("-0"), Decimal("1E+3"), Decimal("NaN"), 2, 0.1, None]
    + [Decimal("1E-9"), Decimal("-Infinity"), Decimal("0.00"), Decimal("sNaN"), Decimal("-7.2")],
    [0, -(2**63), 2**63 - 1, False, None],
]


def _general(formats: list[int], row: tuple[Any, ...]) -> bytes:
    return general_data_row(COLUMNS, formats, row)


def _rows() -> list[tuple[Any, ...]]:
    return cycled_rows(VALUES)


@pytest.mark.parametrize("formats", [[], [1], [0, 1, 0, 1, 0, 1, 0], [1, 0, 1, 0, 1, 0, 1]])
def test_inlined_data_rows_match_codec_calls(formats: list[int]) -> None:
    encode = DEFAULT_REGISTRY.make_data_row_encoder(COLUMNS, formats)
    for row in _rows():
        try:
            expected = _general(formats, row)
        except Exception as error:  # the codec refuses a value: the inlined path must too
            with pytest.raises(type(error)):
                encode(row)
            continue
        assert encode(row) == expected, row
        assert encode(row) == expected, row  # values the codecs have cached now


def test_inlined_bool_and_text_bytes() -> None:
    encode = DEFAULT_REGISTRY.make_data_row_encoder([oids.BOOL, oids.TEXT, oids.BOOL], [1, 0, 0])
    assert encode((True, Text("a"), 0)) == encode_data_row([b"\x01", b"subclass:a", b"f"])


def _float8_reference(value: float) -> bytes:
    """float8out for values printed positionally: repr without a trailing ``.0``."""
    if value != value:
        return b"NaN"
    text = repr(value)
    return (text[:-2] if text.endswith(".0") else text).encode()


@given(st.floats(allow_infinity=False, allow_nan=False, min_value=-1e15, max_value=1e15))
def test_float8_text_cached_or_not(value: float) -> None:
    if value != 0 and not 1e-4 <= abs(value) < 1e15:
        return
    expected = _float8_reference(value)
    assert encode_float8(value) == expected  # printed (or already cached)
    assert encode_float8(value) == expected  # from the cache


def test_float8_text_zeros_and_specials_are_not_confused() -> None:
    for _ in range(2):
        assert encode_float8(0.0) == b"0"
        assert encode_float8(-0.0) == b"-0"
        assert encode_float8(float("nan")) == b"NaN"
        assert encode_float8(-math.inf) == b"-Infinity"
        assert encode_float8(1.0) == b"1"
        assert encode_float8(1) == b"1"
        assert encode_float8(1e15) == b"1e+15"


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)))
def test_timestamp_text_cached_or_not(value: datetime) -> None:
    stamp = f"{value.year:04d}-{value.month:02d}-{value.day:02d} {value:%H:%M:%S}"
    if value.microsecond:
        stamp += f".{value.microsecond:06d}".rstrip("0")
    assert encode_timestamp_text(value) == stamp.encode()
    assert encode_timestamp_text(value) == stamp.encode()
    assert encode_timestamp_text(value.replace(fold=1)) == stamp.encode()


def test_timestamp_text_cache_keeps_being_right_past_its_size() -> None:
    start = datetime(2024, 1, 1)
    for second in range(1, 10_000, 7):
        value = start + timedelta(seconds=second, microseconds=second * 10)
        assert encode_timestamp_text(value) == value.isoformat(" ").rstrip("0").encode()


@given(
    st.decimals(allow_nan=False, allow_infinity=False)
    | st.integers(-(10**30), 10**30).map(Decimal)
    | st.builds(
        Decimal, st.from_regex(r"-?[0-9]{1,12}(\.[0-9]{0,12})?(E[+-]?[0-9]{1,2})?", fullmatch=True)
    )
)
def test_numeric_text_is_positional_without_negative_zero(value: Decimal) -> None:
    expected = format(abs(value) if value.is_zero() else value, "f").encode()
    assert encode_numeric_text(value) == expected
    assert b"E" not in expected and b"e" not in expected


@given(
    st.decimals(allow_nan=False, allow_infinity=False) | st.integers(-(10**30), 10**30).map(Decimal)
)
def test_numeric_binary_cached_or_not(value: Decimal) -> None:
    expected = _encode_numeric_binary(value)
    assert encode_numeric_binary(value) == expected
    assert encode_numeric_binary(value) == expected
    assert decode_numeric_binary(expected) == value


def test_numeric_binary_cache_tells_equal_values_of_other_scales_apart() -> None:
    for _ in range(2):
        assert encode_numeric_binary(Decimal("1.5")) == _encode_numeric_binary(Decimal("1.5"))
        assert encode_numeric_binary(Decimal("1.50")) == _encode_numeric_binary(Decimal("1.50"))
        assert encode_numeric_binary(Decimal("1.5")) != encode_numeric_binary(Decimal("1.50"))
        assert encode_numeric_binary(Decimal("-0")) == encode_numeric_binary(Decimal("0"))
        assert encode_numeric_binary(Decimal("NaN")) == _encode_numeric_binary(Decimal("NaN"))
        with pytest.raises(ValueError):
            encode_numeric_binary(Decimal("sNaN"))


@given(st.datetimes())
def test_timestamp_binary_cached_or_not(value: datetime) -> None:
    expected = _encode_timestamp_binary(value)
    assert encode_timestamp_binary(value) == expected
    assert encode_timestamp_binary(value.replace(fold=1)) == expected
    assert decode_timestamp_binary(expected) == value
