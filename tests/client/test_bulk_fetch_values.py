"""Large results from a real PostgreSQL decode to exactly what the registry's decoders give.

A result of a few thousand rows is read by the bulk row reader (runs of same-layout DataRows,
converted column by column, numerics parsed by an exact ``create_decimal``, timestamps by
``fromisoformat``).  Each row here also carries the server's text form of its values, decoded
field by field with the registry's text decoders (the general path): both must agree in type
and ``repr`` for NULLs, NaN and infinite floats, infinite timestamps, negative and long
numerics and non-ASCII text, on the first execution (all text) and on later ones (binary
fixed-width columns).  A value the decoder refuses (a BC timestamp) fails the query with the
decoder's error, in bulk as for a lone row.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.client.codecs import _TEXT_PARSERS
from txpostgres_proto.protocol.messages import TEXT_FORMAT
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

ROWS = 3000

#: Each column cycles through edge values in runs of a few dozen rows.
EDGE_SQL = f"""
SELECT g,
  CASE WHEN g % 97 = 0 THEN NULL
       ELSE (ARRAY[-2147483648, -1, 0, 2147483647])[1 + g / 37 % 4] END::int4 AS i,
  (ARRAY[NULL, '', 'é', '日本語', '🐘 x', 'plain text'])[1 + g / 41 % 6] AS t,
  (ARRAY[NULL, 'NaN', 'Infinity', '-Infinity', '-0', '1e308', '5e-324', '0.1'])
    [1 + g / 43 % 8]::float8 AS f,
  (ARRAY[NULL, 'infinity', '-infinity', '2024-02-29 23:59:59.999999', '0001-01-01 00:00:00',
         '9999-12-31 23:59:59'])[1 + g / 47 % 6]::timestamp AS ts,
  CASE WHEN g % 3 = 0 THEN NULL ELSE g % 2 = 0 END AS b,
  (ARRAY[NULL, 'NaN', 'Infinity', '-Infinity', '-123456789012345678901234567890.123456789',
         '0.000', '1e-300', '12345.67', '-0.5'])[1 + g / 53 % 9]::numeric AS n
FROM generate_series(1, {ROWS}) AS g
"""
TEXT_FORMS = "SELECT i::text, f::text, ts::text, n::text FROM ({}) AS edge ORDER BY g"


def _text_decoded(oid: int, text: str | None) -> Any:
    if text is None:
        return None
    return DEFAULT_REGISTRY.decoder(oid, TEXT_FORMAT)(text.encode())


def _identical(left: Any, right: Any) -> bool:
    """Same type and same ``repr``: exact for these types, and true for NaN and NaN."""
    return type(left) is type(right) and repr(left) == repr(right)


def test_edge_values_match_the_general_decoders(run: ReactorThread, db: Database) -> None:
    async def body() -> tuple[list[list[Any]], list[Any]]:
        connection = await db.connect()
        fetched = [list(await connection.query(EDGE_SQL + " ORDER BY g")) for _ in range(3)]
        texts = list(await connection.query(TEXT_FORMS.format(EDGE_SQL)))
        return fetched, texts

    fetched, texts = run(body)
    for rows in fetched:
        assert len(rows) == ROWS
        for row, (i, f, ts, n) in zip(rows, texts, strict=True):
            expected = (
                _text_decoded(oids.INT4, i),
                _text_decoded(oids.FLOAT8, f),
                _text_decoded(oids.TIMESTAMP, ts),
                _text_decoded(oids.NUMERIC, n),
            )
            got = (row["i"], row["f"], row["ts"], row["n"])
            assert all(map(_identical, got, expected)), (row, expected)
    rows = fetched[-1]
    assert {row["t"] for row in rows} == {None, "", "é", "日本語", "🐘 x", "plain text"}
    assert {row["b"] for row in rows} == {None, True, False}
    assert any(isinstance(row["f"], float) and math.isnan(row["f"]) for row in rows)
    assert any(repr(row["n"]) == "Decimal('-Infinity')" for row in rows)


def test_a_value_the_decoder_refuses_fails_the_query_as_for_one_row(
    run: ReactorThread, db: Database
) -> None:
    sql = (
        "SELECT g, CASE WHEN g = $1 THEN timestamp '0044-03-15 12:00:00 BC'"
        " ELSE timestamp '2024-01-01' + g * interval '1 second' END AS ts"
        " FROM generate_series($1 - 999, $1 + 1000) AS g"
    )

    async def body() -> list[str]:
        connection = await db.connect()
        errors = []
        for _ in range(2):  # text, then binary where it applies
            for query in (sql, "SELECT * FROM (" + sql + ") AS one WHERE g = $1"):
                try:
                    await connection.query(query, 5000)
                except ValueError as error:
                    errors.append(str(error))
                else:
                    errors.append("no error")
        return errors

    errors = run(body)
    assert len(set(errors)) == 1 and "before 1 AD" in errors[0], errors


PG_NUMERIC_TEXTS = [
    "0",
    "-0.00",
    "NaN",
    "Infinity",
    "-Infinity",
    "0." + "0" * 16382 + "1",
    "9" * 131072,
    "-" + "1" * 1000 + "." + "2" * 1000,
]


@pytest.mark.parametrize("text", PG_NUMERIC_TEXTS, ids=lambda text: text[:12])
def test_the_numeric_parser_takes_what_postgresql_prints(text: str) -> None:
    parsed = _TEXT_PARSERS[oids.NUMERIC](text)
    assert type(parsed) is Decimal and repr(parsed) == repr(Decimal(text))


@settings(max_examples=300, deadline=None)
@given(
    st.decimals(allow_nan=True, allow_infinity=True).map(str)
    | st.from_regex(r"\A\s*-?[0-9_]{0,5}(\.[0-9]*)?([eE][+-]?[0-9]{1,20})?\s*\Z")
)
def test_the_numeric_parser_is_exact_or_refuses(text: str) -> None:
    parse = _TEXT_PARSERS[oids.NUMERIC]
    try:
        parsed = parse(text)
    except (ValueError, ArithmeticError):
        return  # the registry's decoder gets the value
    assert type(parsed) is Decimal and repr(parsed) == repr(Decimal(text))
