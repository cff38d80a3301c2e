"""Data-row encoders (``TypeRegistry.make_data_row_encoder``): whole DataRow messages per row.

Checked against the pieces they fuse: the row encoder's fields framed by the protocol codec's
``encode_data_row``, and read back with the client's DataRow decoder.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from txpostgres_proto.protocol.messages import decode_data_row_values, encode_data_row
from txpostgres_proto.types import DEFAULT_REGISTRY, TypeRegistry, oids

COLUMNS = [oids.INT4, oids.TEXT, oids.FLOAT8, oids.TIMESTAMP, oids.BOOL, oids.NUMERIC]
ROWS: list[tuple[Any, ...]] = [
    (7, "x", 2.5, datetime(2024, 1, 2, 3, 4, 5, 120000), False, Decimal("1.50")),
    (None, "", None, None, None, None),
    (-1, "é" * 200, 1e20, datetime(1, 1, 1), True, Decimal("-0")),
    (2**31 - 1, "y" * 300, float("nan"), datetime(9999, 12, 31, 23, 59, 59), None, Decimal("NaN")),
]


def _framed(columns: list[int], formats: list[int], row: tuple[Any, ...]) -> bytes:
    return encode_data_row(DEFAULT_REGISTRY.make_row_encoder(columns, formats)(row))


@pytest.mark.parametrize("formats", [[], [0], [1], [0, 1, 0, 1, 0, 1]])
@pytest.mark.parametrize("row", ROWS)
def test_same_bytes_as_encoding_then_framing(formats: list[int], row: tuple[Any, ...]) -> None:
    message = DEFAULT_REGISTRY.make_data_row_encoder(COLUMNS, formats)(row)
    assert message == _framed(COLUMNS, formats, row)
    assert message[:1] == b"D"
    assert int.from_bytes(message[1:5], "big") == len(message) - 1
    fields = decode_data_row_values(message[5:])
    expected = DEFAULT_REGISTRY.make_row_encoder(COLUMNS, formats)(row)
    assert list(fields) == expected


@pytest.mark.parametrize("count", [0, 1, 2, 64, 65, 130])
def test_any_width(count: int) -> None:
    columns = [oids.INT4] * count
    encode = DEFAULT_REGISTRY.make_data_row_encoder(columns, [1])
    row = tuple(range(count))
    assert encode(row) == _framed(columns, [1], row)
    nulls = (None,) * count
    assert encode(nulls) == _framed(columns, [1], nulls)
    with pytest.raises(ValueError):
        encode((*row, 1))


def test_long_fields_get_full_length_prefixes() -> None:
    encode = DEFAULT_REGISTRY.make_data_row_encoder([oids.TEXT], [0])
    for size in (0, 255, 256, 70_000):
        message = encode(("a" * size,))
        assert message[7:11] == size.to_bytes(4, "big")
        assert len(message) == 11 + size


def test_encoders_are_reused_and_forgotten_on_registration() -> None:
    registry = TypeRegistry()
    first = registry.make_data_row_encoder([oids.INT4, oids.TEXT], [0])
    assert registry.make_data_row_encoder((oids.INT4, oids.TEXT), (0,)) is first
    assert registry.make_data_row_encoder([oids.INT4, oids.TEXT], [1]) is not first
    registry.register(16_600, "mood", text_encoder=str.encode, text_decoder=bytes.decode)
    assert registry.make_data_row_encoder([oids.INT4, oids.TEXT], [0]) is not first
