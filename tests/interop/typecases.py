"""Values of the common PostgreSQL types that every driver test sends and expects back.

Each driver sends these as query parameters, casts them server-side to the named type, and must
get an equal Python value of the same class back — through text or binary encoding, whichever
the driver uses (PostgreSQL documentation, chapter 8 "Data Types", and the send/recv functions
for the binary forms).  JSON is the exception drivers disagree on: some parse it, some hand back
the text, so tests adapt that one case.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class TypeCase:
    """One value and the SQL type it is cast to on the server."""

    sql_type: str
    value: object

    @property
    def is_json(self) -> bool:
        return self.sql_type in ("json", "jsonb")


_UTC = datetime.UTC

TYPE_CASES: tuple[TypeCase, ...] = (
    TypeCase("int2", -12345),
    TypeCase("int4", 2_000_000_000),
    TypeCase("int8", 2**40 + 3),
    TypeCase("text", "héllo, wörld ✓ 'quoted' \"double\""),
    TypeCase("float8", -2.5),
    TypeCase("numeric", Decimal("12345.678900")),
    TypeCase("bool", True),
    TypeCase("date", datetime.date(2024, 2, 29)),
    TypeCase("timestamp", datetime.datetime(2024, 2, 29, 13, 14, 15, 123456)),
    TypeCase("timestamptz", datetime.datetime(2024, 2, 29, 13, 14, 15, 123456, tzinfo=_UTC)),
    TypeCase("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
    TypeCase("bytea", b"\x00\x01 binary \xfe\xff"),
    TypeCase("json", {"a": [1, 2, "three"], "b": None, "c": {"d": True}}),
    TypeCase("jsonb", {"k": "v", "n": 1.5}),
    TypeCase("int4[]", [1, 2, 3, -4]),
    TypeCase("text[]", ["a", "b c", "d,e", None]),
)


def select_list(placeholder: str) -> str:
    """``SELECT <p1>::type1, <p2>::type2, ...`` with ``placeholder`` formatted by position.

    ``placeholder`` is a ``str.format`` pattern taking the 1-based index as ``n``, such as
    ``"${n}"`` (asyncpg), ``"%s"`` (psycopg) or ``":p{n}"`` (pg8000 native).
    """
    columns = (
        f"{placeholder.format(n=number)}::{case.sql_type}"
        for number, case in enumerate(TYPE_CASES, start=1)
    )
    return "SELECT " + ", ".join(columns)


def assert_same_values(received: tuple[object, ...], *, json_as_text: bool = False) -> None:
    """Check a received row against :data:`TYPE_CASES` (values and Python classes)."""
    assert len(received) == len(TYPE_CASES)
    for case, got in zip(TYPE_CASES, received, strict=True):
        expected = case.value
        if case.is_json and json_as_text:
            assert isinstance(got, str), (case.sql_type, got)
            got = json.loads(got)
        assert got == expected, (case.sql_type, got, expected)
        # subclasses are fine (asyncpg returns its own uuid.UUID subclass)
        assert isinstance(got, type(expected)), (case.sql_type, type(got), type(expected))
