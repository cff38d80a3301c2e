"""TypeRegistry lookups, fallbacks, custom types, type inference and the row converters."""

from __future__ import annotations

import ipaddress
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any
from uuid import UUID

import pytest

from txpostgres_proto.types import (
    DEFAULT_REGISTRY,
    Interval,
    TypeRegistry,
    infer_oid,
    make_row_decoder,
    make_row_encoder,
    oids,
    per_column_formats,
)

# --- fallbacks --------------------------------------------------------------------------------


def test_unknown_type_text_is_str_and_binary_is_bytes() -> None:
    enum_oid = 16_500
    assert DEFAULT_REGISTRY.decoder(enum_oid, 0)(b"happy") == "happy"
    assert DEFAULT_REGISTRY.decoder(enum_oid, 1)(b"\x00\x01") == b"\x00\x01"
    assert DEFAULT_REGISTRY.encoder(enum_oid, 1)("happy") == b"happy"
    assert DEFAULT_REGISTRY.encoder(enum_oid, 1)(b"\x00") == b"\x00"
    with pytest.raises(TypeError):
        DEFAULT_REGISTRY.encoder(enum_oid, 1)(12)
    assert not DEFAULT_REGISTRY.supports_binary(enum_oid)


@pytest.mark.parametrize("oid", [0, oids.UNKNOWN, 16_500])
@pytest.mark.parametrize(
    ("value", "text"),
    [
        ("x y", b"x y"),
        (True, b"t"),
        (False, b"f"),
        (12, b"12"),
        (1.5, b"1.5"),
        (Decimal("1.50"), b"1.50"),
        (b"\x01", b"\\x01"),
        (date(2024, 1, 2), b"2024-01-02"),
        (datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), b"2024-01-02 03:04:05+00"),
        (timedelta(days=1), b"1 day"),
        ({"a": 1}, b'{"a": 1}'),
        ([1, "a b", None, True], b'{1,"a b",NULL,t}'),
        (UUID(int=1), b"00000000-0000-0000-0000-000000000001"),
    ],
)
def test_untyped_text_encodes_by_value_type(oid: int, value: Any, text: bytes) -> None:
    assert DEFAULT_REGISTRY.encoder(oid, 0)(value) == text


def test_types_without_own_codecs_are_text_only() -> None:
    assert DEFAULT_REGISTRY.decoder(oids.POINT, 0)(b"(1,2)") == "(1,2)"
    assert DEFAULT_REGISTRY.decoder(oids.POINT_ARRAY, 0)(b'{"(1,2)"}') == ["(1,2)"]
    assert not DEFAULT_REGISTRY.supports_binary(oids.POINT)
    assert not DEFAULT_REGISTRY.supports_binary(oids.POINT_ARRAY)
    assert DEFAULT_REGISTRY.supports_binary(oids.INT4_ARRAY)
    assert DEFAULT_REGISTRY.supports_binary(oids.TIMESTAMPTZ)


def test_reg_types_are_names_in_text_and_oids_in_binary() -> None:
    assert DEFAULT_REGISTRY.decoder(oids.REGCLASS, 0)(b"pg_class") == "pg_class"
    assert DEFAULT_REGISTRY.decoder(oids.REGCLASS, 1)(bytes.fromhex("000004eb")) == 1259
    assert DEFAULT_REGISTRY.encoder(oids.REGTYPE, 1)(23) == bytes.fromhex("00000017")


def test_bad_format_code() -> None:
    with pytest.raises(ValueError):
        DEFAULT_REGISTRY.decoder(oids.INT4, 2)


def test_lookups_are_cached() -> None:
    assert DEFAULT_REGISTRY.decoder(oids.INT4_ARRAY, 1) is DEFAULT_REGISTRY.decoder(
        oids.INT4_ARRAY, 1
    )
    zoned = DEFAULT_REGISTRY.decoder(oids.TIMESTAMPTZ, 0, timezone="Europe/Paris")
    assert zoned is DEFAULT_REGISTRY.decoder(oids.TIMESTAMPTZ, 0, timezone="Europe/Paris")
    assert zoned is not DEFAULT_REGISTRY.decoder(oids.TIMESTAMPTZ, 0)


def test_record_binary_decodes_columns() -> None:
    # SELECT encode(record_send(row(1,'a'::text)),'hex')
    data = bytes.fromhex("00000002000000170000000400000001000000190000000161")
    assert DEFAULT_REGISTRY.decoder(oids.RECORD, 1)(data) == (1, "a")
    with_null = bytes.fromhex("0000000100000017ffffffff")
    assert DEFAULT_REGISTRY.decoder(oids.RECORD, 1)(with_null) == (None,)
    assert DEFAULT_REGISTRY.decoder(oids.RECORD, 0)(b'(1,"a b",)') == '(1,"a b",)'


def test_void() -> None:
    assert DEFAULT_REGISTRY.decoder(oids.VOID, 0)(b"") is None
    assert DEFAULT_REGISTRY.decoder(oids.VOID, 1)(b"") is None


# --- custom types -----------------------------------------------------------------------------


class Point:
    def __init__(self, x: float, y: float) -> None:
        self.x, self.y = x, y

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Point) and (self.x, self.y) == (other.x, other.y)


def _point_text(value: Point) -> bytes:
    return f"({value.x},{value.y})".encode()


def _point_parse(data: bytes) -> Point:
    x, y = data.decode().strip("()").split(",")
    return Point(float(x), float(y))


def test_register_custom_type_on_a_copy() -> None:
    registry = DEFAULT_REGISTRY.copy()
    registry.register(
        oids.POINT,
        "point",
        text_encoder=_point_text,
        text_decoder=_point_parse,
        array_oid=oids.POINT_ARRAY,
        python_type=Point,
    )
    assert registry.decoder(oids.POINT, 0)(b"(1.5,2)") == Point(1.5, 2.0)
    assert registry.encoder(oids.POINT_ARRAY, 0)([Point(1, 2), None]) == b'{"(1,2)",NULL}'
    assert registry.decoder(oids.POINT_ARRAY, 0)(b'{"(1,2)",NULL}') == [Point(1, 2), None]
    assert registry.infer_oid(Point(0, 0)) == oids.POINT
    assert registry.infer_oid([Point(0, 0)]) == oids.POINT_ARRAY
    # The shared default registry is untouched.
    assert DEFAULT_REGISTRY.decoder(oids.POINT, 0)(b"(1.5,2)") == "(1.5,2)"
    assert DEFAULT_REGISTRY.infer_oid(Point(0, 0)) == oids.TEXT


def test_register_new_oid_with_binary_and_array() -> None:
    registry = TypeRegistry()
    hstore, hstore_array = 90_001, 90_002
    registry.register(
        hstore,
        "mytype",
        binary_encoder=lambda value: value.encode()[::-1],
        binary_decoder=lambda data: data[::-1].decode(),
        array_oid=hstore_array,
    )
    assert registry.supports_binary(hstore_array)
    encoded = registry.encoder(hstore_array, 1)(["ab", None])
    assert registry.decoder(hstore_array, 1)(encoded) == ["ab", None]
    assert encoded[8:12] == hstore.to_bytes(4, "big")
    info = registry.type_info(hstore_array)
    assert info is not None and info.name == "_mytype" and info.element_oid == hstore
    # Text falls back to the generic codecs.
    assert registry.decoder(hstore, 0)(b"x") == "x"


def test_register_replaces_cached_codec() -> None:
    registry = DEFAULT_REGISTRY.copy()
    assert registry.decoder(oids.INT4_ARRAY, 0)(b"{1}") == [1]
    registry.register(oids.INT4, "int4", text_decoder=lambda data: int(data) * 10)
    assert registry.decoder(oids.INT4, 0)(b"2") == 20
    assert registry.decoder(oids.INT4_ARRAY, 0)(b"{1}") == [10]


# --- inference --------------------------------------------------------------------------------


class Mood(StrEnum):
    HAPPY = "happy"


class Level(IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    ("value", "oid"),
    [
        (None, oids.UNKNOWN),
        (True, oids.BOOL),
        (1, oids.INT8),
        (-(2**63), oids.INT8),
        (2**63, oids.NUMERIC),
        (Level.HIGH, oids.INT8),
        (1.5, oids.FLOAT8),
        (Decimal("1"), oids.NUMERIC),
        ("x", oids.TEXT),
        (Mood.HAPPY, oids.TEXT),
        (b"x", oids.BYTEA),
        (bytearray(b"x"), oids.BYTEA),
        (memoryview(b"x"), oids.BYTEA),
        (datetime(2024, 1, 1), oids.TIMESTAMP),
        (datetime(2024, 1, 1, tzinfo=UTC), oids.TIMESTAMPTZ),
        (date(2024, 1, 1), oids.DATE),
        (time(1, 2), oids.TIME),
        (time(1, 2, tzinfo=UTC), oids.TIMETZ),
        (timedelta(1), oids.INTERVAL),
        (Interval(1, 0, 0), oids.INTERVAL),
        (UUID(int=0), oids.UUID),
        ({"a": 1}, oids.JSONB),
        (ipaddress.ip_address("1.2.3.4"), oids.INET),
        (ipaddress.ip_interface("::1/64"), oids.INET),
        (ipaddress.ip_network("10.0.0.0/8"), oids.CIDR),
        ([1, 2], oids.INT8_ARRAY),
        ([None, "a"], oids.TEXT_ARRAY),
        ([[None], [True]], oids.BOOL_ARRAY),
        ([], oids.TEXT_ARRAY),
        ([None], oids.TEXT_ARRAY),
        ([{"a": 1}], oids.JSONB_ARRAY),
        ([datetime(2024, 1, 1, tzinfo=UTC)], oids.TIMESTAMPTZ_ARRAY),
        (object(), oids.TEXT),
    ],
)
def test_infer_oid(value: Any, oid: int) -> None:
    assert infer_oid(value) == oid


# --- rows -------------------------------------------------------------------------------------

COLUMNS = [oids.INT4, oids.TEXT, oids.FLOAT8, oids.TIMESTAMP, oids.BOOL, oids.NUMERIC]
ROW = (7, "x", 2.5, datetime(2024, 1, 2, 3, 4, 5), False, Decimal("1.0"))


@pytest.mark.parametrize("formats", [[], [0], [1], [0, 1, 0, 1, 0, 1], [1, 1, 1, 0, 0, 0]])
def test_row_round_trip(formats: list[int]) -> None:
    encode = make_row_encoder(COLUMNS, formats)
    decode = make_row_decoder(COLUMNS, formats)
    fields = encode(ROW)
    assert isinstance(fields, list) and all(isinstance(field, bytes) for field in fields)
    assert decode(fields) == ROW
    nulls = (None,) * len(COLUMNS)
    assert encode(nulls) == [None] * len(COLUMNS)
    assert decode([None] * len(COLUMNS)) == nulls


def test_row_text_fields() -> None:
    assert make_row_encoder(COLUMNS, [0])(ROW) == [
        b"7",
        b"x",
        b"2.5",
        b"2024-01-02 03:04:05",
        b"f",
        b"1.0",
    ]


def test_row_wrong_length_raises() -> None:
    decode = make_row_decoder(COLUMNS, [0])
    with pytest.raises(ValueError):
        decode([b"1"])
    with pytest.raises(ValueError):
        make_row_encoder([oids.INT4], [0])([1, 2])


@pytest.mark.parametrize("count", [0, 1, 2, 64, 65, 200])
def test_row_any_width(count: int) -> None:
    columns = [oids.INT4] * count
    decode = make_row_decoder(columns, [1])
    encode = make_row_encoder(columns, [1])
    row = tuple(range(count))
    assert decode(encode(row)) == row
    with pytest.raises(ValueError):
        decode([b"\x00\x00\x00\x01"] * (count + 1))


def test_row_decoder_with_session_zone() -> None:
    decode = make_row_decoder([oids.TIMESTAMPTZ], [0], timezone="Asia/Tokyo")
    (value,) = decode([b"2024-01-02 03:04:05+00"])
    assert value.isoformat() == "2024-01-02T12:04:05+09:00"
    encode = make_row_encoder([oids.TIMESTAMPTZ], [0], timezone="Asia/Tokyo")
    assert encode([value]) == [b"2024-01-02 12:04:05+09"]


def test_per_column_formats() -> None:
    assert list(per_column_formats([], 3)) == [0, 0, 0]
    assert list(per_column_formats([1], 3)) == [1, 1, 1]
    assert list(per_column_formats([0, 1], 2)) == [0, 1]
    with pytest.raises(ValueError):
        per_column_formats([0, 1], 3)
