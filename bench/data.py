"""The benchmark data set: rows of six mixed types, identical in PostgreSQL and in Python.

Row ``g`` (1-based) is ``(g, 'row g of the benchmark data', g * 0.25, 2024-01-01 00:00:00 + g
seconds, g is even, g / 100 as numeric(12,2))``: int4, text, float8, timestamp, bool, numeric.
`create_table_sql` fills a PostgreSQL table with exactly these values (every float is a
multiple of 0.25, so exact in binary, and the numeric is exact in both) and `python_rows`
builds the same rows as Python values for our server's backends to return.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Final

#: Column names and PostgreSQL types of the mixed-type rows, in order.
COLUMNS: Final = (
    ("i", "int4"),
    ("t", "text"),
    ("f", "float8"),
    ("ts", "timestamp"),
    ("b", "bool"),
    ("n", "numeric(12,2)"),
)
_EPOCH: Final = datetime.datetime(2024, 1, 1)


def select_sql(table: str) -> str:
    """The query every peer runs to fetch the whole table."""
    return f"SELECT {', '.join(name for name, _ in COLUMNS)} FROM {table}"


def row_expressions(series: str = "g") -> str:
    """The select list computing the mixed-type row from an integer ``series`` column."""
    return (
        f"{series}::int4 AS i, 'row ' || {series} || ' of the benchmark data' AS t, "
        f"{series} * 0.25::float8 AS f, "
        f"timestamp '2024-01-01' + {series} * interval '1 second' AS ts, "
        f"{series} % 2 = 0 AS b, ({series}::numeric / 100)::numeric(12,2) AS n"
    )


def generate_sql(count: int) -> str:
    """A query producing ``count`` mixed-type rows without a table (``generate_series``)."""
    return f"SELECT {row_expressions()} FROM generate_series(1, {count}) AS g"


def create_table_sql(table: str, count: int) -> str:
    """SQL creating ``table`` with rows 1..count (and analysing it)."""
    columns = ", ".join(f"{name} {type_}" for name, type_ in COLUMNS)
    return (
        f"DROP TABLE IF EXISTS {table};\n"
        f"CREATE TABLE {table} ({columns});\n"
        f"INSERT INTO {table} {generate_sql(count)};\n"
        f"VACUUM ANALYZE {table};\n"
    )


def python_row(g: int) -> tuple[int, str, float, datetime.datetime, bool, Decimal]:
    """Row ``g`` as Python values."""
    return (
        g,
        f"row {g} of the benchmark data",
        g * 0.25,
        _EPOCH + datetime.timedelta(seconds=g),
        g % 2 == 0,
        Decimal(g).scaleb(-2),
    )


def python_rows(count: int) -> list[tuple[int, str, float, datetime.datetime, bool, Decimal]]:
    """Rows 1..count as Python values."""
    return [python_row(g) for g in range(1, count + 1)]
