"""Serve the CSV files of a directory as read-only tables, with column types read from the data.

Run it (``TXPG_CSV_DIR`` picks the directory; by default ``examples/data``)::

    TXPG_CSV_DIR=/path/to/csvs twistd -n pgproto --handler examples.csv_example.CsvHandler
    psql -h localhost -p 55432 -c '\\d cities'
    psql -h localhost -p 55432 -c 'select name from cities where population > 3000000'

Each ``<name>.csv`` is a table ``<name>`` (lower-cased); the header row names the columns.  A
column's type is the narrowest that reads every non-empty value of the column: ``bigint``,
``double precision``, ``boolean``, ``date``, ``timestamp``, else ``text``; empty fields are
NULL.  Because the tables are described with typed `Column` objects, Describe, parameters
(``where population > $1`` takes a bigint) and ``\\d`` all see the real types.  WHERE, ORDER BY,
LIMIT and OFFSET are evaluated by ``rowfilter.py``.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from examples.rowfilter import Row, select_rows
from txpostgres_proto.catalog.schema import Column, Table
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.handler import PostgresRequestHandler

DEFAULT_DIRECTORY = Path(__file__).parent / "data"

_BOOLEANS = {"true": True, "false": False, "t": True, "f": False}


def _boolean(text: str) -> bool:
    return _BOOLEANS[text.lower()]


#: Candidate column types, narrowest first: (SQL type, converter raising on a foreign value).
_TYPES: tuple[tuple[str, Callable[[str], Any]], ...] = (
    ("bigint", int),
    ("double precision", float),
    ("boolean", _boolean),
    ("date", date.fromisoformat),
    ("timestamp", datetime.fromisoformat),
)


def _column_type(values: list[str]) -> tuple[str, Callable[[str], Any]]:
    present = [value for value in values if value != ""]
    for type_name, convert in _TYPES:
        try:
            for value in present:
                convert(value)
        except (ValueError, KeyError):
            continue
        if present:
            return type_name, convert
    return "text", str


@dataclass(frozen=True)
class CsvTable:
    """One CSV file: its table description and its rows as dicts of converted values."""

    table: Table
    rows: tuple[dict[str, Any], ...]


def load_csv(path: Path) -> CsvTable:
    """Read a CSV file with a header row, typing each column (see the module docstring)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, [])
        records = [record + [""] * (len(header) - len(record)) for record in reader]
    columns = []
    converters = []
    for index, name in enumerate(header):
        type_name, convert = _column_type([record[index] for record in records])
        columns.append(Column(name.strip(), type_name))
        converters.append(convert)
    rows = tuple(
        {
            column.name: (None if raw == "" else convert(raw))
            for column, convert, raw in zip(columns, converters, record, strict=False)
        }
        for record in records
    )
    return CsvTable(Table(path.stem.lower(), tuple(columns)), rows)


class CsvHandler(PostgresRequestHandler):
    """Serves ``*.csv`` of `directory` (``$TXPG_CSV_DIR`` or ``examples/data``)."""

    directory = Path(os.environ.get("TXPG_CSV_DIR", DEFAULT_DIRECTORY))

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, CsvTable] = {}

    def list_tables(self) -> list[Table]:
        """Read the directory again, so a new connection sees new or changed files."""
        loaded = (load_csv(path) for path in sorted(self.directory.glob("*.csv")))
        self.tables = {csv_table.table.name: csv_table for csv_table in loaded}
        return [csv_table.table for csv_table in self.tables.values()]

    def query_tables(self, stmt_info: Any) -> tuple[Iterator[Row], tuple[Column, ...]]:
        if len(stmt_info.tables) != 1:
            raise PostgresError("this example answers queries of exactly one table", "0A000")
        name = stmt_info.tables[0].name
        csv_table = self.tables.get(name)
        if csv_table is None:
            raise PostgresError(f'relation "{name}" does not exist', "42P01")
        return select_rows(csv_table.rows, stmt_info), csv_table.table.columns
