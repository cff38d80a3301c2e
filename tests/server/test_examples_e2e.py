"""The examples served for real: ``python -m twisted pgproto --handler ...`` and real clients.

Each example runs in its own server process (the twistd plugin, as a user starts it), listening
on a free loopback port it reports in its log; psycopg (3), psycopg2, asyncpg and psql connect
to it over TCP.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest

from tests.ourserver import ROOT, OurServer, serving

#: the twist runner, as in ``python -m twisted pgproto ...``
_TWIST = (sys.executable, "-m", "twisted", "--log-format=text")


def _serve(
    tmp_path_factory: pytest.TempPathFactory, handler: str, env: dict[str, str] | None = None
) -> Iterator[OurServer]:
    workdir = tmp_path_factory.mktemp("example")
    arguments = ["pgproto", "--handler", handler]
    with serving(arguments, workdir, command=_TWIST, env=env) as server:
        yield server


def _dsn(server: OurServer) -> str:
    return f"host=127.0.0.1 port={server.port} user=tester dbname=examples connect_timeout=10"


@pytest.fixture(scope="module")
def dict_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OurServer]:
    yield from _serve(tmp_path_factory, "examples.dict_example.DictHandler")


@pytest.fixture(scope="module")
def csv_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OurServer]:
    yield from _serve(
        tmp_path_factory,
        "examples.csv_example.CsvHandler",
        {"TXPG_CSV_DIR": str(ROOT / "examples/data")},
    )


@pytest.fixture(scope="module")
def app_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OurServer]:
    yield from _serve(tmp_path_factory, "examples.app_example.InventoryHandler")


def _asyncpg(server: OurServer, work: Any) -> Any:
    async def session() -> Any:
        connection = await asyncpg.connect(
            host="127.0.0.1", port=server.port, user="tester", database="examples", ssl=False
        )
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(asyncio.wait_for(session(), 60))


def _psql(server: OurServer, command: str) -> str:
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    completed = subprocess.run(
        [psql, "-X", "-h", "127.0.0.1", "-p", str(server.port), "-U", "tester", "-d", "examples"]
        + ["-c", command],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, PGCONNECT_TIMEOUT="10"),
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


# -- dict_example ------------------------------------------------------------------------------


def test_dict_example_with_psycopg(dict_server: OurServer) -> None:
    with psycopg.connect(_dsn(dict_server), autocommit=True) as connection:
        assert connection.execute("select * from table1").fetchall() == [(1, "hello world")]
        cursor = connection.execute("select title from table1 where id = %s", [1])
        assert cursor.fetchall() == [("hello world",)]
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        ).fetchall()
        assert tables == [("table1",)]
        with pytest.raises(psycopg.errors.UndefinedTable):
            connection.execute("select * from missing")


def test_dict_example_with_asyncpg_uses_the_described_types(dict_server: OurServer) -> None:
    async def work(connection: Any) -> Any:
        return [tuple(row) for row in await connection.fetch("select id, title from table1")]

    # table1 is described by column names only, so Describe said text, and the rows follow.
    assert _asyncpg(dict_server, work) == [("1", "hello world")]


def test_dict_example_with_psql(dict_server: OurServer) -> None:
    output = _psql(dict_server, r"\d table1")
    assert "title" in output and "id" in output
    assert "hello world" in _psql(dict_server, "select * from table1")


# -- csv_example -------------------------------------------------------------------------------


def test_csv_example_with_psycopg(csv_server: OurServer) -> None:
    with psycopg.connect(_dsn(csv_server), autocommit=True) as connection:
        cursor = connection.execute(
            "select name, population from cities where population > %s order by population desc",
            [3_000_000],
        )
        assert cursor.fetchall() == [("Tokyo", 13960236), ("Sydney", 5297089), ("Berlin", 3755251)]
        row = connection.execute("select capital, founded from cities where name = 'Berlin'")
        assert row.fetchone() == (True, datetime(1237, 10, 28).date())


def test_csv_example_with_asyncpg(csv_server: OurServer) -> None:
    async def work(connection: Any) -> Any:
        return await connection.fetch(
            "select city, temperature_c from weather where observed_at > $1 and city = $2",
            datetime(2024, 3, 1, 10),
            "Paris",
        )

    assert [tuple(row) for row in _asyncpg(csv_server, work)] == [("Paris", 11.2)]


def test_csv_example_with_psql(csv_server: OurServer) -> None:
    output = _psql(csv_server, r"\d cities")
    assert re.search(r"population\s*\|\s*bigint", output)
    assert re.search(r"area_km2\s*\|\s*double precision", output)


# -- app_example -------------------------------------------------------------------------------


def test_app_example_with_psycopg(app_server: OurServer) -> None:
    notices: list[str] = []
    with psycopg.connect(_dsn(app_server), autocommit=True) as connection:
        connection.add_notice_handler(
            lambda diagnostic: notices.append(diagnostic.message_primary or "")
        )
        cursor = connection.execute(
            "insert into items (name, price, quantity) values (%s, %s, %s), ('nut', 0.1, 5) "
            "returning id, name",
            ["bolt", Decimal("0.25"), 100],
        )
        ids = cursor.fetchall()
        assert [name for _, name in ids] == ["bolt", "nut"]
        cursor = connection.execute("update items set quantity = %s where name = %s", [7, "nut"])
        assert cursor.rowcount == 1
        rows = connection.execute(
            "select name, price, quantity, active from items where id in (%s, %s) order by name",
            [i for i, _ in ids],
        )
        assert rows.fetchall() == [
            ("bolt", Decimal("0.25"), 100, True),
            ("nut", Decimal("0.10"), 7, True),
        ]
        numbers = connection.execute("select n, square from numbers limit 20000").fetchall()
        assert (len(numbers), numbers[-1]) == (20000, (20000, 400000000))
        assert connection.execute("delete from items").rowcount >= 2
    assert any("deleting all" in message for message in notices)


def test_app_example_with_asyncpg(app_server: OurServer) -> None:
    async def work(connection: Any) -> Any:
        row = await connection.fetchrow(
            "insert into items (name, price, quantity) values ($1, $2, $3) returning id, price",
            "washer",
            Decimal("1.5"),
            3,
        )
        found = await connection.fetchval("select quantity from items where id = $1", row["id"])
        await connection.execute("delete from items where id = $1", row["id"])
        return row["price"], found

    assert _asyncpg(app_server, work) == (Decimal("1.50"), 3)


def test_app_example_errors_with_psycopg2(app_server: OurServer) -> None:
    connection = psycopg2.connect(_dsn(app_server))
    try:
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute("insert into items (id, name) values (1000, 'x')")
            with pytest.raises(psycopg2.errors.UniqueViolation):
                cursor.execute("insert into items (id, name) values (1000, 'y')")
            with pytest.raises(psycopg2.errors.FeatureNotSupported):
                cursor.execute("delete from items where id = 1 or id = 2")
            cursor.execute("delete from items where id = %s", (1000,))
            assert cursor.rowcount == 1
            started = time.monotonic()
            cursor.execute("vacuum")
            assert time.monotonic() - started < 10
    finally:
        connection.close()
