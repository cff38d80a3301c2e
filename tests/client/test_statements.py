"""`Statement`'s fast execution bytes against its general `bind`, and `parameter_encoders`.

A described statement encodes a serial execution with a compiled encoder
(`Statement.execution`); whatever it sends must be byte for byte what the general path (`bind`
+ Execute + Sync) sends for the same values, and wherever the general path would pick other
format codes or fail, the fast path must step aside (None).  No server is needed: statements
are described with the `PreparedStatementInfo` a server would send.
"""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.client.codecs import ClientCodecs, ParameterError
from txpostgres_proto.client.statements import Statement, parameter_encoders
from txpostgres_proto.protocol.client_events import PreparedStatementInfo
from txpostgres_proto.protocol.messages import (
    Execute,
    FieldDescription,
    RowDescription,
    Sync,
)
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

TAIL = Execute().encode() + Sync().encode()

#: Parameter types, and values of every kind the general path treats differently.
TYPES = [
    oids.INT2,
    oids.INT4,
    oids.INT8,
    oids.FLOAT8,
    oids.BOOL,
    oids.TEXT,
    oids.VARCHAR,
    oids.NUMERIC,
    oids.DATE,
    oids.TIMESTAMPTZ,
    oids.UUID,
    oids.BYTEA,
    oids.JSONB,
    oids.INT4_ARRAY,
    oids.TEXT_ARRAY,
]
VALUES = (
    st.none()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=False)
    | st.booleans()
    | st.text(max_size=8)
    | st.binary(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.dates()
    | st.datetimes(timezones=st.just(UTC))
    | st.uuids()
    | st.lists(st.integers(-100, 100) | st.none(), max_size=3)
    | st.lists(st.text(max_size=3), max_size=3)
)


def described(param_oids: tuple[int, ...], codecs: ClientCodecs, name: str = "s1") -> Statement:
    statement = Statement(name, "SELECT ...", ())
    columns = RowDescription((FieldDescription("n", oids.INT4, format=0),))
    info = PreparedStatementInfo(name, statement.sql, param_oids, columns)
    statement.describe(info, codecs)
    return statement


def general(statement: Statement, params: tuple[Any, ...], codecs: ClientCodecs) -> bytes | None:
    try:
        return statement.bind(params, codecs).encode() + TAIL
    except ParameterError:
        return None


def outcome(encode: Any) -> object:
    """What ``encode()`` gives: its bytes, or the type of what it raised."""
    try:
        return encode()
    except Exception as error:  # noqa: BLE001 - compared, not swallowed
        return type(error)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TYPES), max_size=4), st.data())
def test_fast_bytes_are_the_general_bytes(types: list[int], data: st.DataObject) -> None:
    codecs = ClientCodecs()
    statement = described(tuple(types), codecs)
    for _ in range(5):
        params = tuple(data.draw(VALUES) for _ in types)
        fast = outcome(lambda params=params: statement.execution(params, codecs)[0])
        if fast is not None:
            # Bytes must be the general path's, and an error the one the general path raises.
            assert fast == outcome(lambda params=params: general(statement, params, codecs))


@pytest.mark.parametrize(
    ("types", "params"),
    [
        ((oids.INT4,), (5,)),
        ((oids.INT4, oids.TEXT), (-7, "x")),
        ((oids.FLOAT8, oids.INT8, oids.VARCHAR), (0.5, 2**40, "héllo")),
        ((oids.UUID, oids.BOOL), (UUID(int=1), True)),
        ((oids.TIMESTAMPTZ,), (datetime(2024, 1, 2, tzinfo=UTC),)),
        ((oids.BYTEA, oids.DATE), (b"\x00\x01", date(2024, 5, 6))),
        ((oids.NUMERIC,), (Decimal("1.25"),)),
        ((), ()),
    ],
)
def test_common_parameter_sets_take_the_fast_path(
    types: tuple[int, ...], params: tuple[Any, ...]
) -> None:
    codecs = ClientCodecs()
    statement = described(types, codecs)
    fast, _ = statement.execution(params, codecs)
    assert fast is not None and fast == general(statement, params, codecs)


@pytest.mark.parametrize(
    ("types", "params"),
    [
        ((oids.INT4,), (None,)),  # NULL is sent in text format by the general path
        ((oids.INT4,), ("5",)),  # so is a str
        ((oids.NUMERIC, oids.DATE), ("1.5", "2024-01-02")),
        ((oids.TEXT,), (5,)),  # a non-str for a text parameter
        ((oids.INT4,), (2**40,)),  # out of range: the general path explains
        ((oids.INT4,), (1, 2)),  # wrong count
        ((), (1,)),
    ],
)
def test_other_sets_are_left_to_the_general_path(
    types: tuple[int, ...], params: tuple[Any, ...]
) -> None:
    codecs = ClientCodecs()
    statement = described(types, codecs)
    assert statement.execution(params, codecs)[0] is None


def test_out_of_range_still_fails_with_the_parameter_named() -> None:
    codecs = ClientCodecs()
    statement = described((oids.INT4,), codecs)
    assert statement.execution((2**40,), codecs)[0] is None
    with pytest.raises(ParameterError, match=r"\$1"):
        statement.bind((2**40,), codecs)


def test_a_new_session_time_zone_rebuilds_the_encoder_and_decoder() -> None:
    codecs = ClientCodecs()
    codecs.set_timezone(ZoneInfo("Europe/Berlin"))
    statement = described((oids.TIMESTAMPTZ,), codecs)
    value = (datetime(2024, 1, 2, 3, 4, tzinfo=UTC),)
    before, decoder = statement.execution(value, codecs)
    codecs.set_timezone(ZoneInfo("Asia/Tokyo"))
    after, new_decoder = statement.execution(value, codecs)
    assert after == general(statement, value, codecs) and before is not None
    assert new_decoder is codecs.run_decoder(statement.fields, statement.result_formats)
    assert new_decoder is not decoder


def test_undescribed_statements_have_no_fast_path_yet() -> None:
    codecs = ClientCodecs()
    statement = Statement("s2", "SELECT $1", (oids.INT4,))
    assert statement.execution((1,), codecs) == (None, None)
    statement = described((oids.INT4,), codecs)
    fast, decoder = statement.execution((1,), codecs)
    assert fast is not None and decoder is statement.run_decoder(codecs)


def test_registry_own_fixed_width_encoders_become_packers() -> None:
    codecs = ClientCodecs()
    types = (oids.INT4, oids.FLOAT8, oids.TEXT, oids.INT8)
    formats, encoders, text, widths = parameter_encoders(codecs, types, (), len(types))
    assert formats == (1, 1, 0, 1) and text == [False, False, True, False]
    assert widths == [4, 8, 0, 8]
    assert encoders[0](7) == struct.pack("!i", 7) == DEFAULT_REGISTRY.encoder(oids.INT4, 1)(7)
    assert encoders[3](-1) == DEFAULT_REGISTRY.encoder(oids.INT8, 1)(-1)


def test_custom_encoders_are_kept() -> None:
    registry = DEFAULT_REGISTRY.copy()

    def custom(value: Any) -> bytes:
        return struct.pack("!i", value + 1)

    registry.register(oids.INT4, "int4", binary_encoder=custom, binary_decoder=lambda d: 0)
    codecs = ClientCodecs(registry)
    _, encoders, _, widths = parameter_encoders(codecs, (oids.INT4,), (), 1)
    assert encoders == [custom] and widths == [0]
    statement = described((oids.INT4,), codecs)
    fast, _ = statement.execution((1,), codecs)
    assert fast is not None and struct.pack("!i", 2) in fast
    assert fast == general(statement, (1,), codecs)


def test_undescribed_batches_go_in_text() -> None:
    codecs = ClientCodecs()
    formats, _, text, widths = parameter_encoders(codecs, None, (oids.INT4, 0), 2)
    assert formats == () and text == [True, True] and widths == [0, 0]
