"""The embedded default end to end: a real server process, real clients (psql, psycopg, asyncpg).

The server runs as ``python -m txpostgres_proto`` on a database file, and as ``twistd -n
pgproto`` with no options but ``--listen`` (the in-memory default), each in its own process on
a free loopback port.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import asyncpg
import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.ourserver import running_server

PSQL = shutil.which("psql")
TWISTD = shutil.which("twistd")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``python -m txpostgres_proto`` serving a database file."""
    workdir = tmp_path_factory.mktemp("e2e")
    with running_server(["--database", str(workdir / "app.sqlite3")], workdir) as port:
        yield port


def _dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"


def _psql(port: int, *arguments: str) -> str:
    assert PSQL is not None
    completed = subprocess.run(
        [PSQL, "-X", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
         "-d", "postgres", *arguments],
        capture_output=True, text=True, timeout=60, env=dict(os.environ, PGCONNECT_TIMEOUT="10"),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_create_insert_select_describe(server: int) -> None:
    script = (
        "create table items (id serial primary key, name varchar(20) not null, "
        "added timestamptz default now(), price numeric(10,2), tags text[]);\n"
        "create index items_name_idx on items (name);\n"
        "insert into items (name, price, tags) values ('apple', 1.5, '{red,fruit}'), "
        "('pear', 2, null);\n"
        "select id, name, price, tags from items order by id;\n"
    )
    output = _psql(server, "-A", "-c", script)
    assert "INSERT 0 2" in output
    assert "1|apple|1.50|{red,fruit}\n2|pear|2.00|\n" in output
    described = _psql(server, "-c", r"\d items")
    assert 'Table "public.items"' in described
    for line in (
        "id     | integer                  |           | not null | "
        "nextval('items_id_seq'::regclass)",
        "name   | character varying(20)    |           | not null |",
        "added  | timestamp with time zone |           |          | now()",
        "price  | numeric(10,2)",
        "tags   | text[]",
        '"items_pkey" PRIMARY KEY, btree (id)',
        '"items_name_idx" btree (name)',
    ):
        assert line in described, described
    listed = _psql(server, "-c", r"\dt")
    assert "public | items | table | postgres" in listed


def test_psycopg_parameters_binary_results_and_errors(server: int) -> None:
    with psycopg.connect(_dsn(server)) as conn:
        conn.execute(
            "create table orders (id bigserial primary key, customer text unique, "
            "total numeric(8,2), placed timestamptz, paid boolean, meta jsonb)"
        )
        placed = datetime(2024, 3, 4, 5, 6, 7, tzinfo=UTC)
        row = conn.execute(
            "insert into orders (customer, total, placed, paid, meta) "
            "values (%s, %s, %s, %s, %s) returning id",
            ("ann", Decimal("12.50"), placed, True, Jsonb({"n": 1})),
        ).fetchone()
        assert row == (1,)
        conn.commit()
        for binary in (False, True):
            cursor = conn.cursor(binary=binary)
            cursor.execute(
                "select customer, total, placed, paid, meta from orders where id = %s", (1,)
            )
            assert cursor.fetchall() == [("ann", Decimal("12.50"), placed, True, {"n": 1})]
        with pytest.raises(psycopg.errors.UniqueViolation) as raised:
            conn.execute("insert into orders (customer) values ('ann')")
        assert raised.value.diag.constraint_name == "orders_customer_key"
        conn.rollback()
        with pytest.raises(psycopg.errors.UndefinedTable):
            conn.execute("select * from nowhere")
        conn.rollback()
        with conn.transaction():
            conn.execute("insert into orders (customer) values ('bob')")
            with pytest.raises(psycopg.errors.DivisionByZero), conn.transaction():
                conn.execute("insert into orders (customer) values ('cyd')")
                conn.execute("select 1 / 0")
        names = conn.execute("select customer from orders order by id").fetchall()
        assert names == [("ann",), ("bob",)]


def test_sessions_see_each_others_commits(server: int) -> None:
    with psycopg.connect(_dsn(server)) as writer, psycopg.connect(_dsn(server)) as reader:
        writer.execute("create table shared (v int)")
        writer.commit()
        writer.execute("insert into shared values (1)")
        reader.rollback()
        assert reader.execute("select count(*) from shared").fetchone() == (0,)
        reader.rollback()
        writer.commit()
        assert reader.execute("select count(*) from shared").fetchone() == (1,)


def test_asyncpg_prepared_statements(server: int) -> None:
    async def scenario() -> None:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=server, user="postgres", database="postgres", timeout=10
        )
        try:
            await conn.execute("create table points (id serial primary key, x int, label text)")
            await conn.executemany(
                "insert into points (x, label) values ($1, $2)", [(1, "a"), (2, "b"), (3, "c")]
            )
            statement = await conn.prepare(
                "select label, x * 2 as doubled from points where x >= $1"
            )
            assert [(a.name, a.type.name) for a in statement.get_attributes()] == [
                ("label", "text"),
                ("doubled", "int4"),
            ]
            rows = await statement.fetch(2)
            assert [tuple(row) for row in rows] == [("b", 4), ("c", 6)]
            assert (
                await conn.fetchval("select count(*) from points where label = any($1)", ["a", "c"])
                == 2
            )
        finally:
            await conn.close()

    asyncio.run(scenario())


def test_a_writer_waits_for_the_lock_without_blocking_the_server(server: int) -> None:
    with psycopg.connect(_dsn(server)) as holder, psycopg.connect(_dsn(server)) as other:
        holder.execute("create table queue (v int)")
        holder.commit()
        holder.execute("insert into queue values (1)")  # the transaction holds the write lock
        finished: list[float] = []

        def write() -> None:
            with psycopg.connect(_dsn(server), autocommit=True) as waiter:
                waiter.execute("insert into queue values (2)")
                finished.append(time.monotonic())

        thread = threading.Thread(target=write)
        thread.start()
        time.sleep(0.5)
        assert not finished  # still waiting for SQLite's write lock...
        assert other.execute("select 41 + 1").fetchone() == (42,)  # ...while others are served
        holder.commit()
        thread.join(10)
        assert finished
        assert other.execute("select count(*) from queue").fetchone() == (2,)


def test_cancel_interrupts_a_running_statement(server: int) -> None:
    with psycopg.connect(_dsn(server)) as conn:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(psycopg.errors.QueryCanceled):
            conn.execute("select count(*) from generate_series(1, 1000000000)")
        assert time.monotonic() - started < 10
        conn.rollback()
        assert conn.execute("select 1").fetchone() == (1,)


@pytest.mark.skipif(PSQL is None or TWISTD is None, reason="psql or twistd is not installed")
def test_twistd_pgproto_default_is_sqlite(tmp_path: Path) -> None:
    twistd = [TWISTD or "twistd", "-n", "--pidfile="]
    with running_server(["pgproto"], tmp_path, command=twistd) as running:
        output = _psql(
            running,
            "-c",
            "create table t (x int); insert into t values (41); select x + 1 as answer from t;",
        )
        assert "answer" in output and "42" in output
