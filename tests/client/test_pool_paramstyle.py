"""DB-API ``%s`` / ``%(name)s`` placeholders converted to ``$n`` (``client/paramstyle.py``).

psycopg2 (through ``psycopg2.extensions``' own formatter, ``cursor.mogrify``) is the reference
for which strings are placeholders; `test_agrees_with_psycopg2_on_placeholders` checks that
our conversion consumes the same parameters in the same places.
"""

from __future__ import annotations

from typing import Any

import pytest

from txpostgres_proto.client.paramstyle import convert


@pytest.mark.parametrize(
    ("sql", "params", "expected_sql", "expected_values"),
    [
        ("SELECT 'a%'", None, "SELECT 'a%'", ()),
        ("SELECT %s", None, "SELECT %s", ()),
        ("SELECT 1", (), "SELECT 1", ()),
        ("SELECT %s, %s", (1, "x"), "SELECT $1, $2", (1, "x")),
        ("SELECT %s::int + %b + %t", [1, 2, 3], "SELECT $1::int + $2 + $3", (1, 2, 3)),
        ("SELECT 'a%%b', %s", ("v",), "SELECT 'a%b', $1", ("v",)),
        ("SELECT %(a)s, %(b)s, %(a)s", {"a": 1, "b": 2, "unused": 3}, "SELECT $1, $2, $1", (1, 2)),
        ("WHERE id IN %s", ((1, 2, 3),), "WHERE id IN ($1, $2, $3)", (1, 2, 3)),
        ("WHERE id = ANY(%s)", ([1, 2],), "WHERE id = ANY($1)", ([1, 2],)),
        ("WHERE (a, b) IN %s", (((1, 2), (3, 4)),), "WHERE (a, b) IN (($1, $2), ($3, $4))",
         (1, 2, 3, 4)),
        ("SELECT %(x y)s", {"x y": None}, "SELECT $1", (None,)),
        ("SELECT $$%%$$, %s", (5,), "SELECT $$%$$, $1", (5,)),
    ],
)  # fmt: skip
def test_convert(
    sql: str, params: Any, expected_sql: str, expected_values: tuple[Any, ...]
) -> None:
    assert convert(sql, params) == (expected_sql, expected_values)


@pytest.mark.parametrize(
    ("sql", "params", "error", "message"),
    [
        ("SELECT %s, %s", (1,), TypeError, "not enough parameters"),
        ("SELECT %s", (1, 2), TypeError, "not all parameters were used"),
        ("SELECT %d", (1,), ValueError, "unsupported format character"),
        ("SELECT 5 %", (), ValueError, "unsupported format character"),
        ("SELECT %(a)s", (1,), TypeError, "needs a mapping"),
        ("SELECT %s", {"a": 1}, TypeError, "requires a mapping"),
        ("SELECT %(zz)s", {}, KeyError, "zz"),
        ("SELECT %s", "abc", TypeError, "not a string"),
    ],
)
def test_convert_errors(sql: str, params: Any, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        convert(sql, params)


def test_agrees_with_psycopg2_on_placeholders() -> None:
    """Where psycopg2 substitutes a value, we put a ``$n`` for the same value."""
    psycopg2_sql = pytest.importorskip("psycopg2.extensions")
    cases: list[tuple[str, Any]] = [
        ("SELECT %s, 'lit%%', %s", (1, 2)),
        ("SELECT %(a)s || %(b)s || %(a)s", {"a": 10, "b": 20}),
        ("UPDATE t SET x = %s WHERE y LIKE 'z%%' AND id IN %s", (7, (8, 9))),
    ]
    for sql, params in cases:
        converted, values = convert(sql, params)
        expected = sql % _quoted(params, psycopg2_sql)
        rebuilt = converted
        for number in range(len(values), 0, -1):
            quoted = psycopg2_sql.adapt(values[number - 1]).getquoted().decode()
            rebuilt = rebuilt.replace(f"${number}", quoted)
        assert rebuilt == expected


def _quoted(params: Any, extensions: Any) -> Any:
    def quote(value: Any) -> str:
        return extensions.adapt(value).getquoted().decode()

    if isinstance(params, dict):
        return {key: quote(value) for key, value in params.items()}
    return tuple(quote(value) for value in params)
