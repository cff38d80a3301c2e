"""COPY FROM STDIN into SQLite at volume (``sqlite/copy.py``): many rows per INSERT, whole-column
casts, NULLs, and the same stored values and errors as one row at a time.

The protocol runs in memory (``tests/server/test_protocol.py``'s client) in front of the real
SQLite backend, inline (``threaded=False``), so CopyData goes through the stream's raw batches
and the parser's flat values exactly as in the server.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.sqlite.copy import ROWS_PER_INSERT, _Inserter
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite_backend import SQLiteBackend

from ..server.test_protocol import Client, connected, errors, kinds
from .conftest import Client as Session

ROWS = 2 * ROWS_PER_INSERT + 37  # whole widened INSERTs and a rest


@pytest.fixture
def client(database: SQLiteDatabase) -> Iterator[Client]:
    made = connected(backend_factory=lambda: SQLiteBackend(database, threaded=False))
    made.query("create table items (id int4, name text, price float8, at timestamp, n int8)")
    yield made
    made.disconnect()


def _line(i: int) -> str:
    """Row ``i`` in COPY text format, with NULLs in every column now and then."""
    fields = [
        str(i),
        f"name {i}",
        str(i / 4),
        f"2024-{1 + i % 12:02d}-{1 + i % 28:02d} {i % 24:02d}:{i % 60:02d}:{i * 7 % 60:02d}",
        str(i * 10**12),
    ]
    if i % 7 == 3:
        fields[i % 5] = "\\N"
    return "\t".join(fields) + "\n"


def _expected(i: int) -> tuple[Any, ...]:
    row: list[Any] = [
        i,
        f"name {i}",
        i / 4,
        datetime(2024, 1 + i % 12, 1 + i % 28, i % 24, i % 60, i * 7 % 60),
        i * 10**12,
    ]
    if i % 7 == 3:
        row[i % 5] = None
    return tuple(row)


def _copy(client: Client, sql: str, *chunks: bytes) -> list[str]:
    """The kinds of the answers after CopyInResponse."""
    client.send(m.Query(sql))
    assert kinds(client.received()) == ["CopyInResponse"]
    client.send(*(m.CopyData(chunk) for chunk in chunks), m.CopyDone())
    return kinds(client.received())


@pytest.fixture
def stored(connect: Callable[[], Session]) -> Callable[[str], list[tuple[Any, ...]]]:
    """The rows of a table (in insertion order), read by another session."""
    session = connect()

    def rows(table: str = "items") -> list[tuple[Any, ...]]:
        return session.rows(f"select * from {table} order by rowid")

    return rows


def test_many_rows_in_uneven_chunks_are_stored_exactly(client: Client, stored: Any) -> None:
    data = "".join(_line(i) for i in range(ROWS)).encode()
    chunks = [data[start : start + 977] for start in range(0, len(data), 977)]
    assert _copy(client, "copy items from stdin", *chunks) == [f"C:COPY {ROWS}", "Z:I"]
    assert stored() == [_expected(i) for i in range(ROWS)]


def test_the_same_rows_one_insert_at_a_time_store_the_same(client: Client, stored: Any) -> None:
    data = "".join(_line(i) for i in range(ROWS)).encode()
    _copy(client, "copy items from stdin", data)
    copied = stored()
    client.query("delete from items")
    for i in range(ROWS):
        fields = _line(i).rstrip("\n").split("\t")
        values = ", ".join("NULL" if v == "\\N" else f"'{v}'" for v in fields)
        assert kinds(client.query(f"insert into items values ({values})")) == [
            "C:INSERT 0 1",
            "Z:I",
        ]
    assert stored() == copied


def test_a_bad_value_after_nulls_names_its_line_and_stores_nothing(
    client: Client, stored: Any
) -> None:
    lines = [_line(i) for i in range(ROWS)]
    lines[150] = "150\tx\tnot a number\t\\N\t1\n"
    client.send(m.Query("copy items from stdin"))
    client.send(m.CopyData("".join(lines).encode()), m.CopyDone())
    answers = client.received()
    assert kinds(answers) == ["CopyInResponse", "E:22P02", "Z:I"]
    assert errors(answers)[0].fields["W"] == 'COPY items, line 151, column price: "not a number"'
    assert stored() == []


def test_out_of_range_and_constraint_errors_roll_back(client: Client, stored: Any) -> None:
    lines = [_line(i) for i in range(ROWS)]
    lines[-1] = "99999999999\tx\t1\t\\N\t1\n"
    assert _copy(client, "copy items from stdin", "".join(lines).encode()) == ["E:22003", "Z:I"]
    client.query("create table keyed (id int primary key, name text)")
    keyed = "".join(f"{i % (ROWS - 1)}\tk{i}\n" for i in range(ROWS)).encode()
    assert _copy(client, "copy keyed from stdin", keyed) == ["E:23505", "Z:I"]
    assert stored() == [] and stored("keyed") == []


def test_csv_with_a_column_list_and_escaped_text(client: Client, stored: Any) -> None:
    rows = "".join(f'{i},"a ""q"" {i}"\n' if i % 2 else f"{i},\n" for i in range(ROWS))
    sql = "copy items (id, name) from stdin (format csv)"
    assert _copy(client, sql, rows.encode()) == [f"C:COPY {ROWS}", "Z:I"]
    names = [row[1] for row in stored()]
    assert names[:4] == [None, 'a "q" 1', None, 'a "q" 3'] and len(names) == ROWS
    text = "".join(f"{i}\tline\\n{i}\\\\\n" for i in range(ROWS)).encode()
    client.query("delete from items")
    assert _copy(client, "copy items (id, name) from stdin", text)[0] == f"C:COPY {ROWS}"
    assert stored()[5][:2] == (5, "line\n5\\")


@pytest.mark.parametrize("count", [0, 1, ROWS_PER_INSERT - 1, ROWS_PER_INSERT, ROWS])
def test_widened_insert_stores_what_single_rows_store(count: int) -> None:
    values = [value for i in range(count) for value in (i, f"v{i}", None if i % 3 else i / 2)]
    stored = []
    for limit in (999, 3):  # room for many rows per statement; room for one only
        conn = sqlite3.connect(":memory:")
        conn.execute("create table t (a integer, b text, c real)")
        inserter = _Inserter("INSERT INTO t VALUES (?1, ?2, ?3)", 3, limit)
        assert (inserter.multi is None) == (limit == 3)
        inserter.run(conn, list(values))
        stored.append(conn.execute("select rowid, * from t").fetchall())
    assert stored[0] == stored[1]
    assert len(stored[0]) == count


def test_an_insert_with_more_after_values_is_not_widened() -> None:
    conn = sqlite3.connect(":memory:")
    conn.execute("create table t (a integer primary key)")
    inserter = _Inserter("INSERT INTO t VALUES (?1) ON CONFLICT DO NOTHING", 1, 999)
    assert inserter.multi is None
    inserter.run(conn, [1, 2, 2, 3])
    assert conn.execute("select a from t").fetchall() == [(1,), (2,), (3,)]
