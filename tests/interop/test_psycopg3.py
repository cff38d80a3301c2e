"""psycopg 3 (libpq, extended query protocol with server-side parameters).

psycopg 3 sends every parameterised query as Parse/Bind/Execute, names and reuses prepared
statements on request, asks for binary parameters and results when told to, batches many
statements before one Sync in pipeline mode, runs named cursors with DECLARE/FETCH and cancels a
running query through a CancelRequest on a second connection.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import psycopg.errors
import pytest
from psycopg.types.json import Json, Jsonb

from tests.interop.targets import TargetServer
from tests.interop.typecases import TYPE_CASES, assert_same_values, select_list

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def conn(target_server: TargetServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(target_server.conninfo(), autocommit=True) as connection:
        yield connection


def _parameters() -> list[object]:
    wrappers = {"json": Json, "jsonb": Jsonb}
    return [wrappers.get(case.sql_type, lambda value: value)(case.value) for case in TYPE_CASES]


def test_parameters(conn: psycopg.Connection) -> None:
    row = conn.execute(
        "SELECT %s::int4 + 1, %s || '!', %s::text IS NULL", (41, "hi", None)
    ).fetchone()
    assert row == (42, "hi!", True)
    named = conn.execute("SELECT %(a)s::int4 * %(b)s::int4", {"a": 6, "b": 7}).fetchone()
    assert named == (42,)


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_type_round_trip(conn: psycopg.Connection, binary: bool) -> None:
    placeholder = "%b" if binary else "%t"
    cur = conn.cursor(binary=binary)
    cur.execute(select_list(placeholder), _parameters())
    row = cur.fetchone()
    assert row is not None
    assert_same_values(row)
    assert cur.pgresult is not None
    assert cur.pgresult.fformat(0) == (1 if binary else 0)


def test_prepared_statement_reuse(conn: psycopg.Connection) -> None:
    query = "SELECT %s::int4 * 2, %s::text"
    results = [conn.execute(query, (n, f"n{n}"), prepare=True).fetchone() for n in range(6)]
    assert results == [(n * 2, f"n{n}") for n in range(6)]


def test_prepare_threshold(target_server: TargetServer) -> None:
    # prepare_threshold=0 prepares every statement at its first execution
    with psycopg.connect(target_server.conninfo(), autocommit=True, prepare_threshold=0) as conn:
        for n in range(3):
            assert conn.execute("SELECT %s::int8 + 1", (n,)).fetchone() == (n + 1,)
        with pytest.raises(psycopg.errors.DivisionByZero):
            conn.execute("SELECT 1 / %s::int4", (0,))
        assert conn.execute("SELECT 1 / %s::int4", (1,)).fetchone() == (1,)


def test_pipeline(conn: psycopg.Connection, table_name: str) -> None:
    with conn.pipeline():
        conn.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text)")
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {table_name} VALUES (%s, %s)",
                [(number, f"label {number}") for number in range(1, 11)],
            )
        count = conn.execute(f"SELECT count(*) FROM {table_name}")
        label = conn.execute(f"SELECT label FROM {table_name} WHERE id = %s", (7,))
        conn.execute(f"UPDATE {table_name} SET label = upper(label) WHERE id > %s", (8,))
        upper = conn.execute(f"SELECT label FROM {table_name} WHERE id > 8 ORDER BY id")
    assert count.fetchone() == (10,)
    assert label.fetchone() == ("label 7",)
    assert upper.fetchall() == [("LABEL 9",), ("LABEL 10",)]


def test_pipeline_error_aborts_until_sync(conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.errors.DivisionByZero):
        with conn.pipeline():
            before = conn.execute("SELECT 'before'")
            conn.execute("SELECT 1 / %s::int4", (0,))
            conn.execute("SELECT 'skipped'")
    assert before.fetchone() == ("before",)
    assert conn.execute("SELECT 'after'").fetchone() == ("after",)


def test_named_cursor_in_chunks(conn: psycopg.Connection) -> None:
    chunks: list[list[tuple[int, str]]] = []
    with conn.transaction():
        with conn.cursor(name="interop_chunks") as cur:
            cur.execute("SELECT g, 'row ' || g FROM generate_series(1, 25) AS g")
            assert cur.description is not None
            assert [column.name for column in cur.description] == ["g", "?column?"]
            while rows := cur.fetchmany(10):
                chunks.append(rows)
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]
    assert [row for chunk in chunks for row in chunk] == [(n, f"row {n}") for n in range(1, 26)]


@pytest.mark.parametrize("method", ["cancel", "cancel_safe"])
def test_cancel_sleep(target_server: TargetServer, method: str) -> None:
    # cancel_safe uses libpq's newer cancel API, which encrypts the cancel connection when the
    # main connection is encrypted (CancelRequest sent after an SSLRequest)
    sslmode = "verify-full" if target_server.ssl else "disable"
    with psycopg.connect(target_server.conninfo(sslmode=sslmode), autocommit=True) as conn:
        done = threading.Event()

        def keep_cancelling() -> None:
            # repeat, in case the first cancel arrives before the query started
            while not done.wait(0.3):
                getattr(conn, method)()

        canceller = threading.Thread(target=keep_cancelling)
        canceller.start()
        try:
            with pytest.raises(psycopg.errors.QueryCanceled) as canceled:
                conn.execute("SELECT pg_sleep(10)")
        finally:
            done.set()
            canceller.join()
        assert canceled.value.sqlstate == "57014"
        assert conn.execute("SELECT 'usable'").fetchone() == ("usable",)
