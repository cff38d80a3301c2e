"""Binary timestamptz decoding per session zone: UTC sessions skip the zone conversion."""

from __future__ import annotations

import struct
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from txpostgres_proto.types.datetimes import make_timestamptz_binary_decoder

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def wire(value: datetime) -> bytes:
    return struct.pack("!q", (value - EPOCH) // timedelta(microseconds=1))


@pytest.mark.parametrize("zone", [None, UTC, timezone(timedelta(0))])
def test_utc_sessions_get_utc_values(zone: timezone | None) -> None:
    decode = make_timestamptz_binary_decoder(zone)
    value = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    decoded = decode(wire(value))
    assert decoded == value and decoded.tzinfo is UTC
    assert decode(struct.pack("!q", 2**63 - 1)) == datetime.max.replace(tzinfo=UTC)
    assert decode(struct.pack("!q", -(2**63))) == datetime.min.replace(tzinfo=UTC)
    with pytest.raises(ValueError):
        decode(struct.pack("!q", 2**62))


def test_other_sessions_get_their_zone() -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    decoded = make_timestamptz_binary_decoder(zone)(wire(datetime(2024, 7, 1, 12, tzinfo=UTC)))
    assert (
        decoded.tzinfo is zone and decoded.hour == 14 and decoded.utcoffset() == timedelta(hours=2)
    )
