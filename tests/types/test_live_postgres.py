"""Random values through our codecs and through a real PostgreSQL: the text we print must be the
text PostgreSQL prints for the same value (its output function applied to our text), the bytes
we send must be what its send function returns, and we must decode its output back to the value.

Uses the session's ``real_postgres`` server (tests/conftest.py) through psycopg 3.
"""

from __future__ import annotations

import ipaddress
import math
import struct
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta, timezone
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pgserver import TRUST_USER, RealPostgres
from tests.types.support import same
from txpostgres_proto.types import DEFAULT_REGISTRY, Interval, oids, parse_interval

LIVE = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

ZONE = "America/New_York"


@pytest.fixture(scope="module")
def connection(real_postgres: RealPostgres) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(real_postgres.dsn(TRUST_USER), autocommit=True) as conn:
        conn.execute(
            f"SET timezone = '{ZONE}'; SET datestyle = 'ISO, MDY'; "
            "SET intervalstyle = 'postgres'; SET extra_float_digits = 1; "
            "SET bytea_output = 'hex'"
        )
        yield conn


def postgres_view(conn: psycopg.Connection[Any], oid: int, text: bytes) -> tuple[str, bytes]:
    """PostgreSQL's output text and send bytes of the value whose input text is ``text``."""
    row = conn.execute(
        "SELECT t.typoutput::text, t.typsend::text, format_type(t.oid, NULL)"
        " FROM pg_type t WHERE t.oid = %s",
        (oid,),
    ).fetchone()
    assert row is not None
    output, send, sql_type = row
    result = conn.execute(
        f"SELECT {output}(%s::{sql_type})::text, {send}(%s::{sql_type})",
        (text.decode(), text.decode()),
    ).fetchone()
    assert result is not None
    return result[0], bytes(result[1])


def check(conn: psycopg.Connection[Any], oid: int, value: Any, exact_text: bool = True) -> None:
    ours_text = DEFAULT_REGISTRY.encoder(oid, 0, timezone=ZONE)(value)
    ours_binary = DEFAULT_REGISTRY.encoder(oid, 1)(value)
    their_text, their_binary = postgres_view(conn, oid, ours_text)
    if exact_text:
        assert their_text.encode() == ours_text
    assert their_binary == ours_binary
    decoded = DEFAULT_REGISTRY.decoder(oid, 0, timezone=ZONE)(their_text.encode())
    from_binary = DEFAULT_REGISTRY.decoder(oid, 1, timezone=ZONE)(their_binary)
    if oid == oids.FLOAT4:
        # Text gives the double nearest the printed digits; binary the exact float4.
        decoded = struct.unpack("!f", struct.pack("!f", decoded))[0]
    assert same(decoded, from_binary) or decoded == from_binary


def canonical_nan(value: float) -> float:
    """Text carries no NaN payload: PostgreSQL reads 'NaN' as the one canonical NaN."""
    return math.nan if math.isnan(value) else value


floats = st.floats().map(canonical_nan)


def ints(bits: int) -> st.SearchStrategy[int]:
    return st.integers(-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)


SCALARS: list[tuple[int, st.SearchStrategy[Any]]] = [
    (oids.INT2, ints(16)),
    (oids.INT4, ints(32)),
    (oids.INT8, ints(64)),
    (oids.OID, st.integers(0, 2**32 - 1)),
    (oids.BOOL, st.booleans()),
    (oids.FLOAT8, floats),
    (oids.FLOAT4, st.floats(width=32).map(canonical_nan)),
    (oids.NUMERIC, st.decimals(allow_nan=True).filter(lambda d: not d.is_snan())),
    (oids.TEXT, st.text(st.characters(codec="utf-8", exclude_characters="\x00"))),
    (oids.BYTEA, st.binary()),
    (oids.DATE, st.dates()),
    (oids.TIME, st.times()),
    (
        oids.TIMETZ,
        st.builds(
            time.replace,
            st.times(),
            tzinfo=st.integers(-15 * 60, 15 * 60).map(
                lambda minutes: timezone(timedelta(minutes=minutes))
            ),
        ),
    ),
    (oids.TIMESTAMP, st.datetimes()),
    (
        oids.TIMESTAMPTZ,
        st.datetimes(
            min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
        ),
    ),
    (
        oids.INTERVAL,
        st.builds(
            Interval,
            st.integers(-(10**6), 10**6),
            st.integers(-(10**6), 10**6),
            st.integers(-(2**62), 2**62),
        ),
    ),
    (
        oids.INTERVAL,
        st.timedeltas(min_value=timedelta(days=-(10**6)), max_value=timedelta(days=10**6)),
    ),
    (oids.UUID, st.uuids()),
    (oids.INET, st.ip_addresses()),
    (
        oids.INET,
        st.tuples(st.ip_addresses(v=4), st.integers(0, 32)).map(ipaddress.ip_interface),
    ),
    (
        oids.CIDR,
        st.tuples(st.ip_addresses(v=6), st.integers(0, 128)).map(
            lambda pair: ipaddress.ip_network(pair, strict=False)
        ),
    ),
    (oids.INT4_ARRAY, st.lists(st.one_of(st.none(), ints(32)))),
    (
        oids.TEXT_ARRAY,
        st.lists(
            st.lists(
                st.one_of(
                    st.none(), st.text(st.characters(codec="utf-8", exclude_characters="\x00"))
                ),
                min_size=2,
                max_size=2,
            ),
            min_size=1,
        ),
    ),
    (oids.FLOAT8_ARRAY, st.lists(floats)),
    (oids.TIMESTAMP_ARRAY, st.lists(st.one_of(st.none(), st.datetimes()))),
    (oids.NUMERIC_ARRAY, st.lists(st.decimals(allow_nan=False, places=3))),
]


@pytest.mark.parametrize(
    ("oid", "values"),
    SCALARS,
    ids=[f"{oids.BUILTIN_TYPES[oid].name}-{index}" for index, (oid, _) in enumerate(SCALARS)],
)
def test_same_as_postgres(
    connection: psycopg.Connection[Any], oid: int, values: st.SearchStrategy[Any]
) -> None:
    @LIVE
    @given(values)
    def run(value: Any) -> None:
        check(connection, oid, value)

    run()


def test_float4_half_way_digits_round_to_even(connection: psycopg.Connection[Any]) -> None:
    # Between 2**20 and 2**24 a float4 has 1 to 3 binary places, so many values sit exactly
    # half-way between the two shortest decimals; PostgreSQL's Ryu then keeps the even digit.
    values = [2.0**20 + step / 4 for step in range(1, 40)] + [2.0**23 + 0.5, 3.0 * 2**21 + 0.5]
    for value in values:
        check(connection, oids.FLOAT4, value)


def test_jsonb_same_value_as_postgres(connection: psycopg.Connection[Any]) -> None:
    # jsonb output order and number spelling are PostgreSQL's own; compare values.
    value = {"b": [1, 2.5, None, True], "a": {"x": "y\u00e9"}, "long key": -3}
    text = DEFAULT_REGISTRY.encoder(oids.JSONB, 0)(value)
    their_text, their_binary = postgres_view(connection, oids.JSONB, text)
    assert DEFAULT_REGISTRY.decoder(oids.JSONB, 0)(their_text.encode()) == value
    assert DEFAULT_REGISTRY.decoder(oids.JSONB, 1)(their_binary) == value


@pytest.mark.parametrize("style", ["postgres", "postgres_verbose", "iso_8601"])
def test_parse_every_interval_style(connection: psycopg.Connection[Any], style: str) -> None:
    @LIVE
    @given(
        st.builds(
            Interval,
            st.integers(-(10**5), 10**5),
            st.integers(-(10**5), 10**5),
            st.integers(-(2**50), 2**50),
        )
    )
    def run(value: Interval) -> None:
        text = DEFAULT_REGISTRY.encoder(oids.INTERVAL, 0)(value).decode()
        row = connection.execute("SELECT interval_out(%s::interval)::text", (text,)).fetchone()
        assert row is not None
        assert parse_interval(row[0]) == (value.months, value.days, value.microseconds), row[0]

    connection.execute(f"SET intervalstyle = '{style}'")
    try:
        run()
    finally:
        connection.execute("SET intervalstyle = 'postgres'")
