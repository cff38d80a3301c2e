"""Edge cases of individual codecs: intervals, date/time limits, arrays, numeric, network."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from txpostgres_proto.types import (
    DEFAULT_REGISTRY,
    Interval,
    format_interval,
    oids,
    parse_interval,
    resolve_timezone,
)


def encode(oid: int, fmt: int, value: Any) -> bytes:
    return DEFAULT_REGISTRY.encoder(oid, fmt)(value)


def decode(oid: int, fmt: int, data: bytes) -> Any:
    return DEFAULT_REGISTRY.decoder(oid, fmt)(data)


# --- intervals --------------------------------------------------------------------------------

# Outputs of PostgreSQL 15 for '1 year 2 mons 3 days 04:05:06.5' and
# '-1 year -2 mons +3 days -04:05:06' in each IntervalStyle (checked with psql).
STYLE_OUTPUTS = [
    ("1 year 2 mons 3 days 04:05:06.5", (14, 3, 14_706_500_000)),
    ("-1 years -2 mons +3 days -04:05:06", (-14, 3, -14_706_000_000)),
    ("@ 1 year 2 mons 3 days 4 hours 5 mins 6.5 secs", (14, 3, 14_706_500_000)),
    ("@ 1 year 2 mons -3 days 4 hours 5 mins 6 secs ago", (-14, 3, -14_706_000_000)),
    ("@ 0", (0, 0, 0)),
    ("P1Y2M3DT4H5M6.5S", (14, 3, 14_706_500_000)),
    ("P-1Y-2M3DT-4H-5M-6S", (-14, 3, -14_706_000_000)),
    ("PT0S", (0, 0, 0)),
    ("00:00:00", (0, 0, 0)),
    ("2562047788:00:54.775807", (0, 0, 2**63 - 1)),
    ("-2562047788:00:54.775808", (0, 0, -(2**63))),
    ("1 day -00:00:01", (0, 1, -1_000_000)),
    ("-1 mons +1 day", (-1, 1, 0)),
    ("3 weeks", (0, 21, 0)),
    ("1 hour 30 minutes", (0, 0, 5_400_000_000)),
]


@pytest.mark.parametrize(("text", "parts"), STYLE_OUTPUTS)
def test_parse_interval(text: str, parts: tuple[int, int, int]) -> None:
    assert parse_interval(text) == parts


@pytest.mark.parametrize("text", ["", "P", "1 fortnight", "x", "1.5 days", "@"])
def test_parse_interval_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_interval(text)


def test_format_interval() -> None:
    assert format_interval(0, 0, 0) == "00:00:00"
    assert format_interval(-1, 0, 0) == "-1 mons"
    assert format_interval(-13, 0, 0) == "-1 years -1 mons"
    assert format_interval(12, -1, 1) == "1 year -1 days +00:00:00.000001"
    assert str(Interval(1, 2, 3_000_000)) == "1 mon 2 days 00:00:03"


def test_timedelta_sign_is_kept_together() -> None:
    assert encode(oids.INTERVAL, 0, timedelta(seconds=-1)) == b"-00:00:01"
    assert encode(oids.INTERVAL, 0, timedelta(days=-3)) == b"-3 days"
    assert encode(oids.INTERVAL, 0, -timedelta(days=1, hours=1)) == b"-1 days -01:00:00"
    assert encode(oids.INTERVAL, 0, timedelta(days=2, minutes=1)) == b"2 days 00:01:00"
    assert Interval.from_timedelta(timedelta(hours=-23)) == Interval(0, 0, -23 * 3_600_000_000)


def test_interval_decoding_choices() -> None:
    assert decode(oids.INTERVAL, 0, b"1 day 02:00:00") == timedelta(days=1, hours=2)
    assert decode(oids.INTERVAL, 0, b"1 mon") == Interval(1, 0, 0)
    huge = Interval(0, 2**31 - 1, 2**63 - 1)  # beyond timedelta's range
    assert decode(oids.INTERVAL, 1, encode(oids.INTERVAL, 1, huge)) == huge
    assert Interval(1, 2, 3).to_timedelta() == timedelta(days=32, microseconds=3)


def test_exact_interval_decoders_can_be_registered() -> None:
    from txpostgres_proto.types.intervals import (
        decode_interval_binary_exact,
        decode_interval_text_exact,
    )

    registry = DEFAULT_REGISTRY.copy()
    registry.register(
        oids.INTERVAL,
        "interval",
        text_decoder=decode_interval_text_exact,
        binary_decoder=decode_interval_binary_exact,
        array_oid=oids.INTERVAL_ARRAY,
    )
    assert registry.decoder(oids.INTERVAL, 0)(b"1 day -00:00:01") == Interval(0, 1, -1_000_000)
    assert registry.decoder(oids.INTERVAL_ARRAY, 0)(b'{"1 day"}') == [Interval(0, 1, 0)]


# --- dates and times --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("oid", "text"),
    [
        (oids.DATE, b"0044-03-15 BC"),
        (oids.TIMESTAMP, b"0044-03-15 12:00:00 BC"),
        (oids.TIMESTAMPTZ, b"0044-03-15 12:00:00+00:01:15 BC"),
        (oids.DATE, b"10000-01-01"),
        (oids.TIMESTAMP, b"294276-12-31 23:59:59"),
    ],
)
def test_dates_outside_python_raise_clearly(oid: int, text: bytes) -> None:
    with pytest.raises(ValueError, match="AD"):
        decode(oid, 0, text)


@pytest.mark.parametrize(
    ("oid", "hexed"),
    [
        (oids.DATE, "fff0f0f0"),  # far BC
        (oids.TIMESTAMP, "8000000000000001"),
        (oids.TIMESTAMPTZ, "7ffffffffffffffe"),
    ],
)
def test_binary_dates_outside_python_raise(oid: int, hexed: str) -> None:
    with pytest.raises(ValueError, match="range"):
        decode(oid, 1, bytes.fromhex(hexed))


def test_malformed_dates_raise() -> None:
    for oid in (oids.DATE, oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.TIME):
        with pytest.raises(ValueError):
            decode(oid, 0, b"yesterday")


def test_infinity() -> None:
    assert decode(oids.TIMESTAMPTZ, 0, b"infinity") == datetime.max.replace(tzinfo=UTC)
    assert decode(oids.TIMESTAMPTZ, 1, bytes.fromhex("8000000000000000")).year == 1
    assert encode(oids.TIMESTAMPTZ, 0, datetime.max.replace(tzinfo=UTC)) == b"infinity"
    assert encode(oids.TIMESTAMPTZ, 1, datetime.min) == bytes.fromhex("8000000000000000")
    assert encode(oids.DATE, 0, datetime.max) == b"infinity"


def test_time_24_00() -> None:
    assert decode(oids.TIME, 0, b"24:00:00") == time.max
    assert decode(oids.TIME, 1, bytes.fromhex("000000141dd76000")) == time.max
    assert decode(oids.TIMETZ, 0, b"24:00:00+02").utcoffset() == timedelta(hours=2)


def test_naive_values_for_zoned_types_are_utc() -> None:
    assert encode(oids.TIMESTAMPTZ, 0, datetime(2024, 1, 2, 3)) == b"2024-01-02 03:00:00+00"
    assert encode(oids.TIMESTAMPTZ, 1, datetime(2000, 1, 1)) == bytes(8)
    assert encode(oids.TIMETZ, 0, time(1, 2)) == b"01:02:00+00"
    # timestamp takes the wall-clock fields of an aware value.
    aware = datetime(2024, 1, 2, 3, tzinfo=timezone(timedelta(hours=5)))
    assert encode(oids.TIMESTAMP, 0, aware) == b"2024-01-02 03:00:00"
    assert encode(oids.DATE, 0, datetime(2024, 1, 2, 3)) == b"2024-01-02"


def test_resolve_timezone() -> None:
    assert resolve_timezone(None) is None
    assert resolve_timezone("UTC") is UTC
    assert resolve_timezone("Etc/UTC") is UTC
    posix = resolve_timezone("<+02>-02")
    assert posix is not None and posix.utcoffset(None) == timedelta(hours=2)
    west = resolve_timezone("<-03:30>+03:30")
    assert west is not None and west.utcoffset(None) == -timedelta(hours=3, minutes=30)
    paris = resolve_timezone("Europe/Paris")
    assert resolve_timezone(paris) is paris
    with pytest.raises(ValueError):
        resolve_timezone("Not/AZone")


# --- arrays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b"{}", []),
        (b"  {}  ", []),
        (b"{1, 2 ,3}", [1, 2, 3]),
        (b"{null,NULL,Null}", [None, None, None]),
        (b'{"1"}', [1]),
        (b"{{1},{NULL}}", [[1], [None]]),
        (b"[2:3]={1,2}", [1, 2]),
        (b"{ {1,2} , {3,4} }", [[1, 2], [3, 4]]),
    ],
)
def test_int_array_text_input(text: bytes, value: list[Any]) -> None:
    assert decode(oids.INT4_ARRAY, 0, text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b'{"a\\"b","c\\\\d"}', ['a"b', "c\\d"]),
        (b"{a\\,b,c\\ }", ["a,b", "c "]),
        (b'{"",""}', ["", ""]),
        (b'{"NULL",\\NULL}', ["NULL", "NULL"]),
        ('{"ü ☃",é}'.encode(), ["ü ☃", "é"]),
        (b'{"{}","}{"}', ["{}", "}{"]),
    ],
)
def test_text_array_text_input(text: bytes, value: list[Any]) -> None:
    assert decode(oids.TEXT_ARRAY, 0, text) == value


@pytest.mark.parametrize("text", [b"{1,2", b"1,2}", b"{{1},2}x", b'{"a}', b"", b"{1}}"])
def test_malformed_arrays_raise(text: bytes) -> None:
    with pytest.raises(ValueError):
        decode(oids.INT4_ARRAY, 0, text)


@pytest.mark.parametrize("value", [[[1, 2], [3]], [[1], 2], [1, [2]], [[1], []]])
def test_ragged_arrays_raise(value: list[Any]) -> None:
    for fmt in (0, 1):
        with pytest.raises(ValueError):
            encode(oids.INT4_ARRAY, fmt, value)


def test_array_encoding_accepts_tuples_and_empty_nesting() -> None:
    assert encode(oids.INT4_ARRAY, 0, (1, 2)) == b"{1,2}"
    assert encode(oids.INT4_ARRAY, 0, [[]]) == b"{}"
    assert encode(oids.INT4_ARRAY, 1, []) == bytes.fromhex("000000000000000000000017")


def test_binary_array_lower_bounds_are_dropped() -> None:
    # SELECT array_send('[0:1]={7,8}'::int[])
    data = bytes.fromhex("000000010000000000000017000000020000000000000004000000070000000400000008")
    assert decode(oids.INT4_ARRAY, 1, data) == [7, 8]


def test_vectors() -> None:
    assert encode(oids.INT2VECTOR, 0, [1, 2]) == b"1 2"
    assert decode(oids.OIDVECTOR, 0, b"") == []
    assert decode(oids.OIDVECTOR, 0, b"23 25") == [23, 25]


# --- numeric and friends ----------------------------------------------------------------------


def test_numeric_huge_values_round_trip() -> None:
    for text in ("9" * 5000 + "." + "1" * 3000, "-0." + "0" * 4000 + "1", "1" + "0" * 10000):
        value = Decimal(text)
        for fmt in (0, 1):
            assert decode(oids.NUMERIC, fmt, encode(oids.NUMERIC, fmt, value)) == value


def test_numeric_accepts_ints_and_floats() -> None:
    assert encode(oids.NUMERIC, 0, 12) == b"12"
    assert encode(oids.NUMERIC, 0, 0.1) == b"0.1"
    assert encode(oids.NUMERIC, 1, 0.1) == encode(oids.NUMERIC, 1, Decimal("0.1"))
    with pytest.raises(ValueError):
        encode(oids.NUMERIC, 0, Decimal("sNaN"))
    with pytest.raises(ValueError):
        decode(oids.NUMERIC, 1, bytes.fromhex("0000000012340000"))


def test_integer_text_encoder_rejects_fractions() -> None:
    assert encode(oids.INT4, 0, Decimal("3")) == b"3"
    assert encode(oids.INT4, 0, True) == b"1"
    with pytest.raises(ValueError):
        encode(oids.INT4, 0, 2.5)


def test_bool_text_spellings() -> None:
    for text, value in ((b"true", True), (b"off", False), (b" YES ", True), (b"0", False)):
        assert decode(oids.BOOL, 0, text) is value
    with pytest.raises(ValueError):
        decode(oids.BOOL, 0, b"maybe")


def test_float4_range() -> None:
    with pytest.raises(ValueError):
        encode(oids.FLOAT4, 0, 1e39)


def test_network_values() -> None:
    assert encode(oids.INET, 0, ipaddress.ip_interface("10.0.0.1/32")) == b"10.0.0.1"
    assert encode(oids.INET, 0, "10.0.0.1/8") == b"10.0.0.1/8"
    assert encode(oids.CIDR, 0, ipaddress.ip_address("::1")) == b"::1/128"
    assert encode(oids.CIDR, 1, ipaddress.ip_network("10.0.0.0/8"))[2] == 1
    assert encode(oids.INET, 0, ipaddress.ip_address("::0.1.0.0")) == b"::0.1.0.0"
    with pytest.raises(ValueError):
        encode(oids.CIDR, 0, "10.0.0.1/8")  # bits set right of the mask, as PostgreSQL says
    with pytest.raises(TypeError):
        encode(oids.INET, 0, 12)


def test_misc_types() -> None:
    assert decode(oids.MACADDR8, 1, bytes.fromhex("08002b0102030405")) == "08:00:2b:01:02:03:04:05"
    assert encode(oids.MACADDR, 1, "08-00-2b-01-02-03") == bytes.fromhex("08002b010203")
    assert decode(oids.PG_LSN, 1, bytes.fromhex("00000016b374d848")) == "16/B374D848"
    assert encode(oids.PG_LSN, 1, "16/B374D848") == bytes.fromhex("00000016b374d848")
    assert encode(oids.VARBIT, 1, "101010101") == bytes.fromhex("00000009aa80")
    assert encode(oids.UUID, 0, "12345678123456781234567812345678") == (
        b"12345678-1234-5678-1234-567812345678"
    )
    assert encode(oids.JSONB, 0, "a") == b'"a"'
    with pytest.raises(ValueError):
        decode(oids.JSONB, 1, b"\x02{}")
    assert encode(oids.DATE, 1, date(2000, 1, 2)) == bytes.fromhex("00000001")
