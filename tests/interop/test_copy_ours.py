"""COPY and LISTEN/NOTIFY against our own default server, with real clients.

One ``python -m txpostgres_proto`` process on a database file serves every test of this module;
each test uses its own tables.  Covered: psql ``\\copy`` both ways (text, CSV with a header),
psycopg 3 ``cursor.copy()`` in text and binary both ways, asyncpg's binary COPY helpers,
``pgbench -i`` then ``-S`` on the loaded data, a 1,000,000-row round trip, malformed rows,
CopyFail and a client vanishing mid-COPY (nothing half-applied), and notifications between
sessions (psycopg and psql).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import asyncpg
import psycopg
import pytest

ROOT = Path(__file__).resolve().parents[2]
PSQL = shutil.which("psql")
PGBENCH = shutil.which("pgbench")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """Our default server (SQLite on a file) on a free loopback port."""
    workdir = tmp_path_factory.mktemp("copy")
    port = _free_port()
    log = workdir / "server.log"
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    )
    command = [
        sys.executable, "-m", "txpostgres_proto",
        "--listen", f"tcp:{port}:interface=127.0.0.1",
        "--database", str(workdir / "app.sqlite3"),
    ]  # fmt: skip
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, log.read_text()
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _dsn(port: int) -> str:
    return f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"


def _env(port: int) -> dict[str, str]:
    return dict(
        os.environ,
        PGHOST="127.0.0.1",
        PGPORT=str(port),
        PGUSER="postgres",
        PGDATABASE="postgres",
        PGCONNECT_TIMEOUT="10",
    )


def _psql(port: int, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    assert PSQL is not None
    return subprocess.run(
        [PSQL, "-X", "-v", "ON_ERROR_STOP=1", *arguments],
        input=stdin, capture_output=True, text=True, timeout=60, env=_env(port),
    )  # fmt: skip


def _query(port: int, sql: str) -> list[tuple[object, ...]]:
    with psycopg.connect(_dsn(port), autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description is not None else []


# -- psql ----------------------------------------------------------------------------------


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_copy_both_ways_text_and_csv(server: int, tmp_path: Path) -> None:
    _query(server, "create table psql_items (id int, name text, price float8)")
    source = tmp_path / "in.txt"
    source.write_text("1\tapple\t1.5\n2\t\\N\t2\n3\ttab\\there\t-0.25\n")
    done = _psql(server, "-c", f"\\copy psql_items from '{source}'")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "COPY 3"
    out = tmp_path / "out.csv"
    done = _psql(server, "-c", f"\\copy psql_items to '{out}' with (format csv, header)")
    assert done.returncode == 0, done.stderr
    assert out.read_text() == "id,name,price\n1,apple,1.5\n2,,2\n3,tab\there,-0.25\n"
    done = _psql(server, "-c", f"\\copy psql_items from '{out}' with (format csv, header)")
    assert done.stdout.strip() == "COPY 3", done.stderr
    text_out = _psql(server, "-c", "\\copy (select * from psql_items order by id) to stdout")
    assert text_out.stdout.splitlines()[:2] == ["1\tapple\t1.5", "1\tapple\t1.5"]
    assert "3\ttab\\there\t-0.25" in text_out.stdout
    assert _query(server, "select count(*), sum(id) from psql_items") == [(6, 12)]


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_malformed_row_is_rejected_whole(server: int) -> None:
    _query(server, "create table psql_bad (a int, b text)")
    done = _psql(server, "-c", "\\copy psql_bad from stdin", stdin="1\tx\n2\ty\nthree\tz\n")
    assert done.returncode != 0
    assert 'invalid input syntax for type integer: "three"' in done.stderr
    assert 'COPY psql_bad, line 3, column a: "three"' in done.stderr
    done = _psql(server, "-c", "\\copy psql_bad from stdin", stdin="1\tx\n2\n")
    assert 'missing data for column "b"' in done.stderr
    assert 'COPY psql_bad, line 2: "2"' in done.stderr
    assert _query(server, "select count(*) from psql_bad") == [(0,)]


# -- psycopg 3 ------------------------------------------------------------------------------


def test_psycopg_copy_text_and_binary_both_ways(server: int) -> None:
    rows = [
        (1, "one", 1.5, datetime(2024, 1, 2, 3, 4, 5)),
        (2, None, -2.25, datetime(2023, 12, 31, 23, 59, 59, 123456)),
        (3, 'quote " tab\t nl\n', None, None),
    ]
    with psycopg.connect(_dsn(server), autocommit=True) as conn:
        conn.execute("create table pg3 (i int, t text, f float8, ts timestamp)")
        with conn.cursor() as cur:
            with cur.copy("copy pg3 (i, t, f, ts) from stdin") as copy:
                for row in rows:
                    copy.write_row(row)
            assert cur.rowcount == 3
            with cur.copy("copy pg3 from stdin (format binary)") as copy:
                copy.set_types(["int4", "text", "float8", "timestamp"])
                for row in rows:
                    copy.write_row((row[0] + 10, *row[1:]))
            with cur.copy("copy (select * from pg3 order by i) to stdout") as copy:
                text_rows = list(copy.rows())
            with cur.copy("copy pg3 to stdout (format binary)") as copy:
                copy.set_types(["int4", "text", "float8", "timestamp"])
                binary_rows = sorted(copy.rows(), key=lambda row: row[0])
    assert text_rows[:3] == [
        ("1", "one", "1.5", "2024-01-02 03:04:05"),
        ("2", None, "-2.25", "2023-12-31 23:59:59.123456"),
        ("3", 'quote " tab\t nl\n', None, None),
    ]
    assert binary_rows == rows + [(row[0] + 10, *row[1:]) for row in rows]


def test_psycopg_copy_fail_and_errors_leave_nothing(server: int) -> None:
    with psycopg.connect(_dsn(server), autocommit=True) as conn:
        conn.execute("create table pg3_fail (i int primary key, t text)")
        # psycopg answers an exception in the block with CopyFail, then re-raises it.
        with pytest.raises(RuntimeError, match="client gave up"):
            with conn.cursor().copy("copy pg3_fail from stdin") as copy:
                copy.write_row((1, "a"))
                raise RuntimeError("client gave up")
        with pytest.raises(psycopg.errors.UniqueViolation):
            with conn.cursor().copy("copy pg3_fail from stdin") as copy:
                for i in (1, 2, 3, 2):
                    copy.write_row((i, "x"))
        with pytest.raises(psycopg.errors.BadCopyFileFormat) as caught:
            with conn.cursor().copy("copy pg3_fail from stdin (format csv)") as copy:
                copy.write(b'1,"unterminated\n')
        assert caught.value.sqlstate == "22P04"
        assert conn.execute("select count(*) from pg3_fail").fetchone() == (0,)
        # Inside a transaction block a failed COPY fails the block; a good one is kept to COMMIT.
        with conn.transaction():
            with conn.cursor().copy("copy pg3_fail from stdin") as copy:
                copy.write_row((5, "kept"))
        assert conn.execute("select i, t from pg3_fail").fetchall() == [(5, "kept")]


def test_disconnect_mid_copy_applies_nothing(server: int) -> None:
    _query(server, "create table pg3_gone (i int)")
    conn = psycopg.connect(_dsn(server), autocommit=True)
    copy_cm = conn.cursor().copy("copy pg3_gone from stdin")
    copy = copy_cm.__enter__()
    for i in range(50_000):
        copy.write_row((i,))
    conn.pgconn.flush()
    os.close(conn.pgconn.socket)  # vanish without CopyDone or Terminate
    time.sleep(0.5)
    assert _query(server, "select count(*) from pg3_gone") == [(0,)]
    # The table is not left locked: another session writes at once.
    _query(server, "insert into pg3_gone values (1)")
    assert _query(server, "select count(*) from pg3_gone") == [(1,)]


def test_million_row_round_trip(server: int) -> None:
    count = 1_000_000
    with psycopg.connect(_dsn(server), autocommit=True) as conn:
        conn.execute("create table million (id int, label text, ratio float8)")
        with conn.cursor().copy("copy million from stdin") as copy:
            chunk: list[str] = []
            for i in range(count):
                chunk.append(f"{i}\tlabel {i % 97}\t{i / 4}\n")
                if len(chunk) == 10_000:
                    copy.write("".join(chunk))
                    chunk = []
        assert conn.execute("select count(*), sum(id), sum(ratio) from million").fetchone() == (
            count,
            count * (count - 1) // 2,
            count * (count - 1) / 8,
        )
        total = 0
        seen = 0
        with conn.cursor().copy("copy million (id) to stdout") as copy:
            for data in copy:
                for line in bytes(data).splitlines():
                    total += int(line)
                    seen += 1
        assert (seen, total) == (count, count * (count - 1) // 2)


# -- asyncpg --------------------------------------------------------------------------------


def test_asyncpg_binary_copy(server: int) -> None:
    async def run() -> None:
        conn = await asyncpg.connect(host="127.0.0.1", port=server, user="postgres")
        try:
            await conn.execute("create table apg (id int, name text, at timestamp)")
            records = [(1, "a", datetime(2024, 5, 6, 7, 8, 9)), (2, None, None)]
            tag = await conn.copy_records_to_table("apg", records=records)
            assert tag == "COPY 2"
            import io

            source = io.BytesIO(b"3\tc\t2020-01-01 00:00:00\n4\td\t\\N\n")
            assert await conn.copy_to_table("apg", source=source) == "COPY 2"
            out = io.BytesIO()
            tag = await conn.copy_from_table("apg", output=out, format="csv", header=True)
            assert tag == "COPY 4"
            lines = out.getvalue().decode().splitlines()
            assert lines[0] == "id,name,at"
            assert sorted(lines[1:]) == [
                "1,a,2024-05-06 07:08:09",
                "2,,",
                "3,c,2020-01-01 00:00:00",
                "4,d,",
            ]
            fetched = await conn.fetch("select id, name, at from apg order by id")
            assert [tuple(r) for r in fetched][:2] == records
        finally:
            await conn.close()

    asyncio.run(run())


# -- pgbench --------------------------------------------------------------------------------


@pytest.mark.skipif(PGBENCH is None or PSQL is None, reason="pgbench is not installed")
def test_pgbench_initialise_and_select_only(server: int) -> None:
    assert PGBENCH is not None
    env = _env(server)
    init = subprocess.run(
        [PGBENCH, "-i", "-s", "2"], capture_output=True, text=True, timeout=120, env=env
    )
    assert init.returncode == 0, init.stderr
    assert "done in" in init.stderr
    assert _query(server, "select count(*), sum(abalance) from pgbench_accounts") == [(200_000, 0)]
    assert _query(server, "select count(*) from pgbench_tellers") == [(20,)]
    for mode in ("simple", "prepared"):
        run = subprocess.run(
            [PGBENCH, "-S", "-n", "-t", "100", "-c", "2", "-M", mode],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        assert "number of transactions actually processed: 200/200" in run.stdout
        assert "number of failed transactions: 0" in run.stdout


# -- LISTEN / NOTIFY ------------------------------------------------------------------------


def test_notify_in_a_transaction_is_delivered_at_commit(server: int) -> None:
    with (
        psycopg.connect(_dsn(server), autocommit=True) as listener,
        psycopg.connect(_dsn(server), autocommit=True) as notifier,
    ):
        listener.execute("listen jobs")
        with notifier.transaction():
            notifier.execute("notify jobs, 'first'")
            notifier.execute("notify jobs, 'first'")  # folded into one
            notifier.execute("select pg_notify('jobs', 'second')")
            assert list(listener.notifies(timeout=0.3)) == []
        received = [
            (n.channel, n.payload, n.pid) for n in listener.notifies(timeout=1, stop_after=2)
        ]
        pid = notifier.info.backend_pid
        assert received == [("jobs", "first", pid), ("jobs", "second", pid)]
        with notifier.transaction(force_rollback=True):
            notifier.execute("notify jobs, 'never'")
        notifier.execute("notify other, 'not listened'")
        assert list(listener.notifies(timeout=0.3)) == []
        listener.execute("unlisten jobs")
        notifier.execute("notify jobs, 'after unlisten'")
        assert list(listener.notifies(timeout=0.3)) == []


@pytest.mark.skipif(PSQL is None, reason="psql is not installed")
def test_psql_prints_asynchronous_notification(server: int) -> None:
    assert PSQL is not None
    process = subprocess.Popen(
        [PSQL, "-X", "-n"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True, env=_env(server),
    )  # fmt: skip
    assert process.stdin is not None
    process.stdin.write("LISTEN x;\n")
    process.stdin.flush()
    time.sleep(0.5)
    with psycopg.connect(_dsn(server), autocommit=True) as notifier:
        notifier.execute("notify x, 'hello'")
        pid = notifier.info.backend_pid
    time.sleep(0.3)
    output, _ = process.communicate("select 1;\n", timeout=30)
    expected = (
        'Asynchronous notification "x" with payload "hello" received from server process '
        f"with PID {pid}."
    )
    assert expected in output, output
