"""Hypothesis round trips: decode(encode(v)) == v in text and binary for random values."""

from __future__ import annotations

import math
import struct
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.types.support import same
from txpostgres_proto.types import DEFAULT_REGISTRY, Interval, oids

FORMATS = pytest.mark.parametrize("fmt", [0, 1])
# Per-test settings (not a global profile, which would change other areas' tests).
EXAMPLES = settings(max_examples=40, deadline=None)


def round_trip(oid: int, fmt: int, value: Any) -> Any:
    encoded = DEFAULT_REGISTRY.encoder(oid, fmt)(value)
    assert isinstance(encoded, bytes)
    return DEFAULT_REGISTRY.decoder(oid, fmt)(encoded)


def int_range(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


@FORMATS
@EXAMPLES
@given(st.data())
def test_integers(fmt: int, data: st.DataObject) -> None:
    for oid, bits in ((oids.INT2, 16), (oids.INT4, 32), (oids.INT8, 64)):
        value = data.draw(int_range(bits))
        assert same(round_trip(oid, fmt, value), value)
    oid_value = data.draw(st.integers(0, 2**32 - 1))
    assert same(round_trip(oids.OID, fmt, oid_value), oid_value)


@FORMATS
@EXAMPLES
@given(st.floats(allow_nan=True, allow_infinity=True))
def test_float8(fmt: int, value: float) -> None:
    assert same(round_trip(oids.FLOAT8, fmt, value), value)


@FORMATS
@EXAMPLES
@given(st.floats(width=32, allow_nan=True, allow_infinity=True))
def test_float4(fmt: int, value: float) -> None:
    decoded = round_trip(oids.FLOAT4, fmt, value)
    # Text prints the shortest digits that identify the float4: they read back to the same
    # single-precision number, though not necessarily to the same double.
    as_single = struct.unpack("!f", struct.pack("!f", decoded))[0]
    assert same(as_single, value)


def test_float_text_is_shortest_round_trip() -> None:
    encode = DEFAULT_REGISTRY.encoder(oids.FLOAT8, 0)
    for value in (0.1, 2 / 3, 1e22, 1.5e-7, 123456789012345.6, 9007199254740993.0):
        text = encode(value)
        assert float(text) == value
        assert len(text.replace(b"-", b"").replace(b".", b"").split(b"e")[0]) <= len(
            repr(value).replace(".", "").split("e")[0]
        )


decimals = st.decimals(allow_nan=True, allow_infinity=True).filter(
    lambda value: not value.is_snan()
)


@FORMATS
@EXAMPLES
@given(decimals)
def test_numeric(fmt: int, value: Decimal) -> None:
    decoded = round_trip(oids.NUMERIC, fmt, value)
    if value.is_nan():
        assert decoded.is_nan()
        return
    assert decoded == value
    if value.is_finite():
        # Same display scale (numeric keeps it), except that a positive exponent is expanded.
        assert decoded.as_tuple().exponent == min(value.as_tuple().exponent, 0)  # type: ignore[operator]


@FORMATS
@EXAMPLES
@given(
    st.integers(-(10**60), 10**60),
    st.integers(0, 40),
)
def test_numeric_scaled_integers(fmt: int, unscaled: int, scale: int) -> None:
    value = Decimal(f"{unscaled}E-{scale}")
    decoded = round_trip(oids.NUMERIC, fmt, value)
    assert decoded == value and str(decoded) == str(value)


@FORMATS
@EXAMPLES
@given(st.text())
def test_text(fmt: int, value: str) -> None:
    value = value.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    for oid in (oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME):
        assert round_trip(oid, fmt, value) == value


@FORMATS
@EXAMPLES
@given(st.binary())
def test_bytea(fmt: int, value: bytes) -> None:
    assert round_trip(oids.BYTEA, fmt, value) == value


aware_datetimes = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30))]),
)


@FORMATS
@EXAMPLES
@given(st.datetimes(), aware_datetimes, st.dates())
def test_datetimes(fmt: int, naive: datetime, aware: datetime, day: date) -> None:
    assert round_trip(oids.TIMESTAMP, fmt, naive) == naive
    decoded = round_trip(oids.TIMESTAMPTZ, fmt, aware)
    assert decoded == aware and decoded.tzinfo is not None
    assert round_trip(oids.DATE, fmt, day) == day


@FORMATS
@EXAMPLES
@given(st.times(), st.integers(-15 * 3600, 15 * 3600).map(lambda s: timezone(timedelta(seconds=s))))
def test_times(fmt: int, value: time, zone: timezone) -> None:
    assert round_trip(oids.TIME, fmt, value) == value
    aware = value.replace(tzinfo=zone)
    decoded = round_trip(oids.TIMETZ, fmt, aware)
    assert decoded == aware and decoded.utcoffset() == aware.utcoffset()


intervals = st.builds(
    Interval,
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**31), 2**31 - 1),
    st.integers(-(2**63), 2**63 - 1),
)


@FORMATS
@EXAMPLES
@given(
    intervals, st.timedeltas(min_value=timedelta(days=-(10**8)), max_value=timedelta(days=10**8))
)
def test_intervals(fmt: int, interval: Interval, delta: timedelta) -> None:
    decoded = round_trip(oids.INTERVAL, fmt, interval)
    if isinstance(decoded, Interval):
        # Months, or more days than a timedelta holds: kept as they are.
        assert decoded == interval
        if not interval.months:
            with pytest.raises(OverflowError):
                timedelta(days=interval.days, microseconds=interval.microseconds)
    else:
        assert interval.months == 0
        assert decoded == timedelta(days=interval.days, microseconds=interval.microseconds)
    assert round_trip(oids.INTERVAL, fmt, delta) == delta


def _nested(elements: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    """Rectangular lists of 1 to 3 dimensions with NULLs."""
    items = st.one_of(st.none(), elements)

    def shape(dims: list[int]) -> st.SearchStrategy[Any]:
        if len(dims) == 1:
            return st.lists(items, min_size=dims[0], max_size=dims[0])
        return st.lists(shape(dims[1:]), min_size=dims[0], max_size=dims[0])

    return st.lists(st.integers(1, 3), min_size=1, max_size=3).flatmap(shape)


ARRAY_CASES = [
    (oids.INT4_ARRAY, int_range(32)),
    (oids.INT8_ARRAY, int_range(64)),
    (oids.TEXT_ARRAY, st.text().map(lambda text: text.replace("\x00", ""))),
    (oids.FLOAT8_ARRAY, st.floats(allow_nan=False)),
    (oids.BOOL_ARRAY, st.booleans()),
    (oids.NUMERIC_ARRAY, st.decimals(allow_nan=False, allow_infinity=False)),
    (oids.BYTEA_ARRAY, st.binary()),
    (oids.TIMESTAMP_ARRAY, st.datetimes()),
    (oids.DATE_ARRAY, st.dates()),
    (oids.JSONB_ARRAY, st.dictionaries(st.text(), st.integers())),
]


@FORMATS
@pytest.mark.parametrize(("oid", "elements"), ARRAY_CASES, ids=[str(c[0]) for c in ARRAY_CASES])
@EXAMPLES
@given(data=st.data())
def test_arrays(fmt: int, oid: int, elements: st.SearchStrategy[Any], data: st.DataObject) -> None:
    value = data.draw(_nested(elements))
    decoded = round_trip(oid, fmt, value)
    assert same(decoded, value), (decoded, value)


@EXAMPLES
@given(st.lists(st.text(alphabet=' ,{}"\\\tNULnul\n', max_size=6), max_size=5))
def test_array_quoting_of_special_strings(value: list[str]) -> None:
    assert round_trip(oids.TEXT_ARRAY, 0, value) == value


@EXAMPLES
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_float_text_has_no_python_spelling(value: float) -> None:
    text = DEFAULT_REGISTRY.encoder(oids.FLOAT8, 0)(value)
    assert not text.endswith(b".0") and b"inf" not in text
    assert float(text) == value or (math.isnan(value) and text == b"NaN")
