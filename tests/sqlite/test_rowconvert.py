"""The generated result converter (``sqlite/rowconvert.py``) gives exactly what reading every
value with its type's reader gives (``typemap.reader_for``): the same values of the same types
(``repr`` tells ``Decimal('1.0')`` from ``Decimal('1')``), the same errors, whatever order
values arrive in and whatever its remembered values hold.  (``test_values.py`` checks the
values end to end through the backend.)
"""

from __future__ import annotations

from typing import Any

import pytest

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.rowconvert import compile_converter
from txpostgres_proto.sqlite.typemap import PgType, pg_type_named, reader_for

#: Declared types and values SQLite may hand back for them: the usual stored forms and the odd
#: ones another SQLite tool (or loose typing) leaves behind.
_STORED: dict[str, list[Any]] = {
    "int2": [0, 1, -32768, 32767, 7.0, "12", " 3 "],
    "int4": [5, -(2**31), 2**31 - 1, 2.6, "42"],
    "int8": [2**62, -1, 3.5, "9"],
    "float8": [0.25, -0.0, 3, "1.5", 1e300],
    "float4": [1.5, 2],
    "text": ["row", "", 12, 1.0, 2.5, b"\x01\xff"],
    "varchar(10)": ["v", 3],
    "bool": [0, 1, 1.0, 0.0, 2, "t", "off", "yes"],
    "timestamp": [
        "2024-01-01 00:00:01",
        "2024-01-01 00:00:01.5",
        "2024-01-01 00:00:01+00:00",
        "2024-01-01T10:00:00Z",
        "infinity",
        "2024-01-01 00:00:01",
    ],
    "timestamptz": ["2024-01-01 00:00:01+00:00", "2024-01-01 00:00:01"],
    "numeric(12,2)": [0.01, 0.0, -0.0, 1, 1.0, 1.005, "2.5", 10, 0.01, -0.0, 0.0],
    "numeric": [1.0, 1, 0.0, -0.0, 2.5, "NaN", 1.0, 1, -0.0, 0.0],
    "date": ["2024-02-03"],
    "jsonb": ['{"a": 1}', 3],
    "_int4": ["[1, 2]", "[[1], [2]]"],
    "bytea": [b"\x00", "x"],
    "uuid": ["12345678-1234-5678-1234-567812345678"],
}
_BAD: dict[str, list[Any]] = {
    "int2": [32768, "x"],
    "int4": [2**31, 1e300],
    "bool": ["maybe"],
    "timestamp": ["yesterday"],
    "numeric(12,2)": ["abc"],
    "float8": ["one"],
}


def _general(pg_types: list[PgType], rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    readers = [reader_for(pg_type) for pg_type in pg_types]
    return [
        tuple(
            None if value is None or read is None else read(value)
            for read, value in zip(readers, row, strict=True)
        )
        for row in rows
    ]


def _typed(declared: str) -> PgType:
    found = pg_type_named(declared)
    assert found is not None
    return found


@pytest.mark.parametrize("declared", sorted(_STORED))
def test_each_type_converts_as_its_reader(declared: str) -> None:
    pg_types = [_typed(declared)]
    rows = [(value,) for value in _STORED[declared]] + [(None,)]
    convert = compile_converter(pg_types)
    for attempt in range(2):  # the second time, remembered values answer
        ordered = rows if attempt == 0 else rows[::-1]
        assert repr(convert(ordered)) == repr(_general(pg_types, ordered))


def test_mixed_columns_convert_as_their_readers() -> None:
    declared = ["int4", "text", "float8", "timestamp", "bool", "numeric(12,2)", "jsonb"]
    pg_types = [_typed(name) for name in declared]
    rows = [tuple(_STORED[name][i % len(_STORED[name])] for name in declared) for i in range(12)]
    rows.append((None,) * len(declared))
    assert repr(compile_converter(pg_types)(rows)) == repr(_general(pg_types, rows))


@pytest.mark.parametrize(("declared", "value"), [(k, v) for k, vs in _BAD.items() for v in vs])
def test_values_a_type_cannot_hold_fail_as_with_the_reader(declared: str, value: Any) -> None:
    pg_types = [_typed(declared)]
    with pytest.raises(PostgresError) as general:
        _general(pg_types, [(value,)])
    with pytest.raises(PostgresError) as generated:
        compile_converter(pg_types)([(value,)])
    assert (generated.value.sqlstate, str(generated.value)) == (
        general.value.sqlstate,
        str(general.value),
    )


def test_rows_of_another_width_are_refused() -> None:
    with pytest.raises(ValueError):
        compile_converter([_typed("int4"), _typed("text")])([(1,)])
