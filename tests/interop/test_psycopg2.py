"""psycopg2 (libpq, simple query protocol, client-side parameter interpolation).

Covers what applications built on psycopg2 rely on: parameters of the common types, executemany,
explicit transactions and the transaction status libpq reads from ReadyForQuery, errors mapped
from SQLSTATE to exception classes, SQL-level cursors (DECLARE/FETCH, used for named cursors) and
``cursor.description`` built from RowDescription (type OIDs, sizes, numeric typmod).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import psycopg2
import psycopg2.errors
import psycopg2.extensions
import pytest

from tests.interop.targets import TargetServer

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def conn(target_server: TargetServer) -> Iterator[psycopg2.extensions.connection]:
    connection = psycopg2.connect(target_server.conninfo())
    yield connection
    connection.close()


def test_parameters(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT %s::int4 + 1, %s::text, %s::numeric, %s, %s::bool, %s::date, %s::bytea",
            (41, "it's \\ 'quoted'", Decimal("1.50"), None, True, datetime.date(2024, 2, 29),
             b"\x00\xff"),
        )  # fmt: skip
        row = cur.fetchone()
    assert row is not None
    assert row[:6] == (
        42,
        "it's \\ 'quoted'",
        Decimal("1.50"),
        None,
        True,
        datetime.date(2024, 2, 29),
    )
    assert bytes(row[6]) == b"\x00\xff"


def test_named_parameters(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute("SELECT %(a)s * %(b)s, %(a)s", {"a": 6, "b": 7})
        assert cur.fetchall() == [(42, 6)]


def test_description(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        cur.execute(
            "SELECT 1::int4 AS i, 'x'::text AS t, 12.5::numeric(7, 2) AS n, "
            "now() AS ts, true AS b, 2::int8 AS big"
        )
        description = cur.description
        assert cur.rowcount == 1
    assert [column.name for column in description] == ["i", "t", "n", "ts", "b", "big"]
    assert [column.type_code for column in description] == [23, 25, 1700, 1184, 16, 20]
    assert description[0].internal_size == 4
    assert description[5].internal_size == 8
    assert (description[2].precision, description[2].scale) == (7, 2)


def test_executemany(conn: psycopg2.extensions.connection, table_name: str) -> None:
    with conn.cursor() as cur:
        cur.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text)")
        cur.executemany(
            f"INSERT INTO {table_name} (id, label) VALUES (%s, %s)",
            [(number, f"row {number}") for number in range(1, 21)],
        )
        assert cur.rowcount == 20
        cur.execute(f"SELECT count(*), sum(id), max(label) FROM {table_name}")
        assert cur.fetchone() == (20, 210, "row 9")
    conn.commit()


def test_commit_and_rollback(target_server: TargetServer, table_name: str) -> None:
    writer = psycopg2.connect(target_server.conninfo())
    reader = psycopg2.connect(target_server.conninfo())
    reader.autocommit = True
    try:
        with writer.cursor() as cur:
            cur.execute(f"CREATE TABLE {table_name} (id integer)")
            writer.commit()
            assert writer.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_IDLE

            cur.execute(f"INSERT INTO {table_name} VALUES (1)")
            assert writer.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INTRANS
            writer.rollback()
            cur.execute(f"INSERT INTO {table_name} VALUES (2)")
            with reader.cursor() as peek:
                peek.execute(f"SELECT count(*) FROM {table_name}")
                assert peek.fetchone() == (0,)  # uncommitted rows are invisible
            writer.commit()
        with reader.cursor() as peek:
            peek.execute(f"SELECT id FROM {table_name}")
            assert peek.fetchall() == [(2,)]
    finally:
        writer.close()
        reader.close()


def test_errors(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor() as cur:
        with pytest.raises(psycopg2.errors.DivisionByZero) as division:
            cur.execute("SELECT 1 / 0")
        assert division.value.pgcode == "22012"
        assert division.value.diag.message_primary == "division by zero"
        assert division.value.diag.severity == "ERROR"
        assert conn.get_transaction_status() == psycopg2.extensions.TRANSACTION_STATUS_INERROR

        with pytest.raises(psycopg2.errors.InFailedSqlTransaction) as aborted:
            cur.execute("SELECT 1")
        assert aborted.value.pgcode == "25P02"
        conn.rollback()

        with pytest.raises(psycopg2.errors.UndefinedTable) as undefined:
            cur.execute("SELECT * FROM interop_no_such_table")
        assert undefined.value.pgcode == "42P01"
        conn.rollback()

        with pytest.raises(psycopg2.errors.SyntaxError) as syntax:
            cur.execute("SELEC 1")
        assert syntax.value.pgcode == "42601"
        conn.rollback()

        cur.execute("SELECT 'still alive'")
        assert cur.fetchone() == ("still alive",)


def test_named_server_side_cursor(conn: psycopg2.extensions.connection) -> None:
    with conn.cursor(name="interop_cursor") as cur:
        cur.itersize = 7
        cur.execute("SELECT g, g * g FROM generate_series(1, 50) AS g")
        first = cur.fetchmany(10)
        rest = list(cur)
    assert first == [(n, n * n) for n in range(1, 11)]
    assert rest == [(n, n * n) for n in range(11, 51)]
    conn.commit()
