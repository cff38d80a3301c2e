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
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import psycopg2
import psycopg2.errors
import pytest

ROOT = Path(__file__).resolve().parents[2]
_STARTED = re.compile(r"PostgresServerFactory starting on (\d+)")
_START_TIMEOUT = 30.0


class ExampleServer:
    """A ``python -m twisted pgproto`` process serving one handler on a loopback port."""

    def __init__(self, handler: str, env: dict[str, str] | None = None) -> None:
        command = [
            sys.executable,
            "-m",
            "twisted",
            "--log-format=text",
            "pgproto",
            "--handler",
            handler,
            "--listen",
            "tcp:0:interface=127.0.0.1",
        ]
        environment = dict(os.environ, PYTHONPATH=str(ROOT), **(env or {}))
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.log: list[str] = []
        self._port: list[int] = []
        self._started = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        if not self._started.wait(_START_TIMEOUT) or not self._port:
            self.stop()
            raise RuntimeError("the example server did not start:\n" + "".join(self.log))
        self.port = self._port[0]

    def _drain(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.log.append(line)
            found = _STARTED.search(line)
            if found and not self._port:
                self._port.append(int(found.group(1)))
                self._started.set()
        self._started.set()

    @property
    def dsn(self) -> str:
        return f"host=127.0.0.1 port={self.port} user=tester dbname=examples connect_timeout=10"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)


def _serve(handler: str, env: dict[str, str] | None = None) -> Iterator[ExampleServer]:
    server = ExampleServer(handler, env)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dict_server() -> Iterator[ExampleServer]:
    yield from _serve("examples.dict_example.DictHandler")


@pytest.fixture(scope="module")
def csv_server() -> Iterator[ExampleServer]:
    yield from _serve(
        "examples.csv_example.CsvHandler", {"TXPG_CSV_DIR": str(ROOT / "examples/data")}
    )


@pytest.fixture(scope="module")
def app_server() -> Iterator[ExampleServer]:
    yield from _serve("examples.app_example.InventoryHandler")


def _asyncpg(server: ExampleServer, work: Any) -> Any:
    async def session() -> Any:
        connection = await asyncpg.connect(
            host="127.0.0.1", port=server.port, user="tester", database="examples", ssl=False
        )
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(asyncio.wait_for(session(), 60))


def _psql(server: ExampleServer, command: str) -> str:
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


def test_dict_example_with_psycopg(dict_server: ExampleServer) -> None:
    with psycopg.connect(dict_server.dsn, autocommit=True) as connection:
        assert connection.execute("select * from table1").fetchall() == [(1, "hello world")]
        cursor = connection.execute("select title from table1 where id = %s", [1])
        assert cursor.fetchall() == [("hello world",)]
        tables = connection.execute(
            "select table_name from information_schema.tables where table_schema = 'public'"
        ).fetchall()
        assert tables == [("table1",)]
        with pytest.raises(psycopg.errors.UndefinedTable):
            connection.execute("select * from missing")


def test_dict_example_with_asyncpg_uses_the_described_types(dict_server: ExampleServer) -> None:
    async def work(connection: Any) -> Any:
        return [tuple(row) for row in await connection.fetch("select id, title from table1")]

    # table1 is described by column names only, so Describe said text, and the rows follow.
    assert _asyncpg(dict_server, work) == [("1", "hello world")]


def test_dict_example_with_psql(dict_server: ExampleServer) -> None:
    output = _psql(dict_server, r"\d table1")
    assert "title" in output and "id" in output
    assert "hello world" in _psql(dict_server, "select * from table1")


# -- csv_example -------------------------------------------------------------------------------


def test_csv_example_with_psycopg(csv_server: ExampleServer) -> None:
    with psycopg.connect(csv_server.dsn, autocommit=True) as connection:
        cursor = connection.execute(
            "select name, population from cities where population > %s order by population desc",
            [3_000_000],
        )
        assert cursor.fetchall() == [("Tokyo", 13960236), ("Sydney", 5297089), ("Berlin", 3755251)]
        row = connection.execute("select capital, founded from cities where name = 'Berlin'")
        assert row.fetchone() == (True, datetime(1237, 10, 28).date())


def test_csv_example_with_asyncpg(csv_server: ExampleServer) -> None:
    async def work(connection: Any) -> Any:
        return await connection.fetch(
            "select city, temperature_c from weather where observed_at > $1 and city = $2",
            datetime(2024, 3, 1, 10),
            "Paris",
        )

    assert [tuple(row) for row in _asyncpg(csv_server, work)] == [("Paris", 11.2)]


def test_csv_example_with_psql(csv_server: ExampleServer) -> None:
    output = _psql(csv_server, r"\d cities")
    assert re.search(r"population\s*\|\s*bigint", output)
    assert re.search(r"area_km2\s*\|\s*double precision", output)


# -- app_example -------------------------------------------------------------------------------


def test_app_example_with_psycopg(app_server: ExampleServer) -> None:
    notices: list[str] = []
    with psycopg.connect(app_server.dsn, autocommit=True) as connection:
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


def test_app_example_with_asyncpg(app_server: ExampleServer) -> None:
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


def test_app_example_errors_with_psycopg2(app_server: ExampleServer) -> None:
    connection = psycopg2.connect(app_server.dsn)
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
