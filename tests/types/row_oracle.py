"""The reference the fast DataRow encoders are checked against: one codec call per field.

Shared by the tests of the generated row encoders (``test_fast_encoders.py``,
``test_data_rows_many.py``): each builds rows from per-column value lists and compares the
encoder under test with `general_data_row` on every row.
"""

from __future__ import annotations

from typing import Any

from txpostgres_proto.protocol.messages import encode_data_row
from txpostgres_proto.types import DEFAULT_REGISTRY


def general_data_row(columns: list[int], formats: list[int], row: tuple[Any, ...]) -> bytes:
    """The DataRow of ``row`` (types ``columns``, Bind-style ``formats``), field by field."""
    per_column = formats * len(columns) if len(formats) == 1 else formats or [0] * len(columns)
    fields = [
        None if value is None else DEFAULT_REGISTRY.encoder(oid, fmt)(value)
        for oid, fmt, value in zip(columns, per_column, row, strict=True)
    ]
    return encode_data_row(fields)


def cycled_rows(values: list[list[Any]]) -> list[tuple[Any, ...]]:
    """Rows holding every value of each column, the shorter columns cycled."""
    longest = max(map(len, values))
    return [tuple(column[i % len(column)] for column in values) for i in range(longest)]
