"""Our codecs against what PostgreSQL 15 itself printed and sent (tables in pg_samples.py and
below): text output and binary bytes must be identical, and both must decode to the value."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any

import pytest

from tests.types.pg_samples import SAMPLES
from tests.types.support import same
from txpostgres_proto.types import DEFAULT_REGISTRY as REGISTRY
from txpostgres_proto.types import Interval, oids

IDS = [f"{oids.BUILTIN_TYPES[oid].name}:{text[:40]}" for oid, _, text, _ in SAMPLES]


def decoded_form(oid: int, value: Any, text: str) -> Any:
    """What decoding gives back for a sample value, by the documented mappings: an interval
    without months comes back as a (normalised) timedelta; a float4 read from text is the
    double nearest to the printed digits."""
    if isinstance(value, Interval) and value.months == 0:
        return value.to_timedelta()
    if oid == oids.FLOAT4:
        return float(text)
    return value


@pytest.mark.parametrize(("oid", "value", "text", "hexed"), SAMPLES, ids=IDS)
def test_text_output_matches_postgres(oid: int, value: Any, text: str, hexed: str) -> None:
    assert REGISTRY.encoder(oid, 0)(value) == text.encode()


@pytest.mark.parametrize(("oid", "value", "text", "hexed"), SAMPLES, ids=IDS)
def test_text_input_of_postgres_output(oid: int, value: Any, text: str, hexed: str) -> None:
    decoded = REGISTRY.decoder(oid, 0)(text.encode())
    expected = decoded_form(oid, value, text)
    assert same(decoded, expected), (decoded, expected)


@pytest.mark.parametrize(("oid", "value", "text", "hexed"), SAMPLES, ids=IDS)
def test_binary_output_matches_postgres(oid: int, value: Any, text: str, hexed: str) -> None:
    assert REGISTRY.encoder(oid, 1)(value).hex() == hexed


@pytest.mark.parametrize(("oid", "value", "text", "hexed"), SAMPLES, ids=IDS)
def test_binary_input_of_postgres_output(oid: int, value: Any, text: str, hexed: str) -> None:
    decoded = REGISTRY.decoder(oid, 1)(bytes.fromhex(hexed))
    expected = value.to_timedelta() if isinstance(value, Interval) and not value.months else value
    assert same(decoded, expected), (decoded, expected)


# timestamptz as printed in other session time zones (PGOPTIONS="-c timezone=...").
ZONED_OUTPUT = [
    (
        "Asia/Kolkata",
        datetime(2024, 1, 2, 2, 4, 5, 123456, tzinfo=UTC),
        "2024-01-02 07:34:05.123456+05:30",
    ),
    # Before standard time the zone's offset had seconds (local mean time).
    ("Asia/Kolkata", datetime(1850, 1, 1, tzinfo=UTC), "1850-01-01 05:53:28+05:53:28"),
    (
        "Asia/Kolkata",
        datetime(2024, 7, 1, 12, 0, 0, 500000, tzinfo=UTC),
        "2024-07-01 17:30:00.5+05:30",
    ),
    ("America/New_York", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-01 22:04:05-05"),
    ("America/New_York", datetime(2024, 7, 2, 3, 4, 5, tzinfo=UTC), "2024-07-01 23:04:05-04"),
    ("America/New_York", datetime(1883, 11, 18, 12, tzinfo=UTC), "1883-11-18 07:03:58-04:56:02"),
    ("<+02>-02", datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02 05:04:05+02"),
]


@pytest.mark.parametrize(("zone", "value", "text"), ZONED_OUTPUT)
def test_timestamptz_in_session_zone(zone: str, value: datetime, text: str) -> None:
    assert REGISTRY.encoder(oids.TIMESTAMPTZ, 0, timezone=zone)(value) == text.encode()
    decoded = REGISTRY.decoder(oids.TIMESTAMPTZ, 0, timezone=zone)(text.encode())
    assert decoded == value
    assert decoded.utcoffset() == value.astimezone(decoded.tzinfo).utcoffset()
    # Binary carries UTC; with the session zone it comes out in that zone too.
    binary = REGISTRY.encoder(oids.TIMESTAMPTZ, 1)(value)
    from_binary = REGISTRY.decoder(oids.TIMESTAMPTZ, 1, timezone=zone)(binary)
    assert from_binary == value
    assert from_binary.isoformat(" ").startswith(text[:19])


def test_timestamptz_without_zone_keeps_printed_offset() -> None:
    decoded = REGISTRY.decoder(oids.TIMESTAMPTZ, 0)(b"2024-01-01 22:04:05-05")
    assert decoded.utcoffset() == timedelta(hours=-5)
    assert REGISTRY.encoder(oids.TIMESTAMPTZ, 0)(decoded) == b"2024-01-01 22:04:05-05"
    binary = REGISTRY.decoder(oids.TIMESTAMPTZ, 1)(bytes.fromhex("0002b0ebae824f40"))
    assert binary == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert binary.tzinfo is UTC or binary.utcoffset() == timedelta(0)


# Other text PostgreSQL prints, checked with psql.
OTHER_TEXT = [
    (oids.INT4_ARRAY, "[0:1]={7,8}", [7, 8]),
    (oids.INT4_ARRAY, "[1:1][-2:-1]={{1,2}}", [[1, 2]]),
    (oids.INT4_ARRAY, "{{NULL}}", [[None]]),
    (oids.BOX_ARRAY, "{(1,2),(0,0);(3,3),(1,1)}", ["(1,2),(0,0)", "(3,3),(1,1)"]),
    (oids.TEXT_ARRAY, '{"\\\\NULL","NULL",NULL}', ["\\NULL", "NULL", None]),
    (oids.CHAR, "\\303", "\xc3"),
    (oids.TIMETZ, "12:30:00+05:30", time(12, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))),
    (oids.DATE, "infinity", date.max),
]


@pytest.mark.parametrize(("oid", "text", "value"), OTHER_TEXT)
def test_other_postgres_text(oid: int, text: str, value: Any) -> None:
    assert same(REGISTRY.decoder(oid, 0)(text.encode()), value)


def test_array_input_forms_postgres_accepts() -> None:
    # '{ a , "b" ,  c d }'::text[] is {a,b,"c d"} in PostgreSQL.
    assert REGISTRY.decoder(oids.TEXT_ARRAY, 0)(b'{ a , "b" ,  c d }') == ["a", "b", "c d"]
    assert REGISTRY.encoder(oids.TEXT_ARRAY, 0)(["a", "b", "c d"]) == b'{a,b,"c d"}'


def test_char_high_byte_prints_octal_like_postgres() -> None:
    # chr(200)::"char" is the first UTF-8 byte 0xc3: printed \303, sent as c3.
    assert REGISTRY.encoder(oids.CHAR, 0)("\xc3") == b"\\303"
    assert REGISTRY.encoder(oids.CHAR, 1)("\xc3") == b"\xc3"
    assert REGISTRY.decoder(oids.CHAR, 1)(b"\x00") == ""
    assert REGISTRY.encoder(oids.CHAR, 1)("") == b"\x00"


def test_bytea_escape_format() -> None:
    # SET bytea_output = escape; SELECT '\x00ff27205c7f80'::bytea  prints this:
    printed = b"\\000\\377' \\\\\\177\\200"
    assert REGISTRY.decoder(oids.BYTEA, 0)(printed) == bytes.fromhex("00ff27205c7f80")
