"""psycopg 3 and asyncpg through the proxy: pipelining, binary, prepared statements, COPY,
LISTEN/NOTIFY, cancel, and the isolation of transactions under transaction pooling."""

from __future__ import annotations

import asyncio
import threading
import time

import asyncpg
import psycopg
import pytest
from psycopg import errors

from tests.pgserver import RealPostgres
from tests.proxy.proxyprocess import ProxyProcess


def test_psycopg_pipeline_binary(transaction_proxy: ProxyProcess) -> None:
    with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as conn:
        with conn.pipeline():
            cursors = [
                conn.execute("select %s::int * 2, %s::text", (i, f"v{i}"), binary=i % 2 == 0)
                for i in range(50)
            ]
        assert [cur.fetchone() for cur in cursors] == [(i * 2, f"v{i}") for i in range(50)]
        with pytest.raises(errors.DivisionByZero), conn.pipeline():
            conn.execute("select 1/0")
            conn.execute("select 1").fetchone()
        assert conn.execute("select 'after'").fetchone() == ("after",)


def test_psycopg_copy_both_directions(transaction_proxy: ProxyProcess) -> None:
    with psycopg.connect(transaction_proxy.dsn()) as conn:
        conn.execute("create temp table c (a int, b text)")
        with conn.cursor().copy("copy c from stdin") as copy:
            for i in range(1000):
                copy.write_row((i, f"row {i}"))
        with conn.cursor().copy("copy c to stdout (format binary)") as copy:
            copy.set_types(["int4", "text"])
            rows = list(copy.rows())
        assert rows == [(i, f"row {i}") for i in range(1000)]
        conn.rollback()


def test_named_statements_follow_the_client_across_upstreams(
    transaction_proxy: ProxyProcess,
) -> None:
    # prepare_threshold=0: every query becomes a named statement (_pg3_0, _pg3_1 ...), so
    # two clients use the same statement names for different queries.
    first = psycopg.connect(transaction_proxy.dsn(), autocommit=True, prepare_threshold=0)
    second = psycopg.connect(transaction_proxy.dsn(), autocommit=True, prepare_threshold=0)
    with first, second:
        row = first.execute("select 'first', pg_backend_pid()").fetchone()
        assert row is not None and row[0] == "first"
        pids = {row[1]}
        assert second.execute("select 'second', %s::int", (2,)).fetchone() == ("second", 2)
        with psycopg.connect(transaction_proxy.dsn()) as holder:
            for _ in range(3):
                holder.execute("select 1")  # keeps the last used upstream in its transaction
                row = first.execute("select 'first', pg_backend_pid()").fetchone()
                assert row is not None and row[0] == "first"
                pids.add(row[1])
                row = second.execute("select 'second', %s::int", (3,)).fetchone()
                assert row == ("second", 3)
            holder.rollback()
        assert len(pids) >= 2  # the first client's statement ran on two upstreams


def test_asyncpg_prepared_binary_transaction_pooling(transaction_proxy: ProxyProcess) -> None:
    async def client(number: int) -> list[object]:
        conn = await asyncpg.connect(transaction_proxy.uri())
        try:
            results: list[object] = []
            statement = await conn.prepare("select $1::int8 + $2, $3::bytea, now()::date")
            for i in range(20):
                row = await statement.fetchrow(i, number, bytes([number, i]))
                results.append((row[0], row[1]))
                results.append(await conn.fetchval("select $1::float8 * 2", float(number)))
            async with conn.transaction():
                await conn.execute("create temp table a (x int) on commit drop")
                await conn.executemany("insert into a values ($1)", [(n,) for n in range(10)])
                results.append(await conn.fetchval("select sum(x) from a"))
            return results
        finally:
            await conn.close()

    async def main() -> list[list[object]]:
        return await asyncio.gather(*(client(n) for n in range(6)))

    for number, results in enumerate(asyncio.run(main())):
        expected: list[object] = []
        for i in range(20):
            expected += [(i + number, bytes([number, i])), float(number) * 2]
        assert results == [*expected, 45]


def test_cancel_through_the_proxy(transaction_proxy: ProxyProcess) -> None:
    with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as conn:
        timer = threading.Timer(0.5, conn.cancel)
        timer.start()
        started = time.monotonic()
        with pytest.raises(errors.QueryCanceled):
            conn.execute("select pg_sleep(10)")
        assert time.monotonic() - started < 5
        assert conn.execute("select 'still usable'").fetchone() == ("still usable",)


def test_listen_notify(transaction_proxy: ProxyProcess) -> None:
    with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as listener:
        listener.execute("listen proxy_channel")  # pins the session to its upstream
        with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as sender:
            sender.execute("notify proxy_channel, 'hello'")
            sender.execute("select pg_notify('proxy_channel', 'again')")
        received = list(listener.notifies(timeout=5, stop_after=2))
        assert [n.payload for n in received] == ["hello", "again"]
        assert all(n.channel == "proxy_channel" for n in received)


def test_listen_as_a_prepared_statement_pins(transaction_proxy: ProxyProcess) -> None:
    """LISTEN sent with Parse/Bind/Execute pins the session as a simple Query does."""
    with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as listener:
        listener.execute("listen proxy_prepared", prepare=True)
        for payload in ("one", "two"):
            with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as sender:
                sender.execute("select pg_notify('proxy_prepared', %s)", (payload,))
        received = list(listener.notifies(timeout=5, stop_after=2))
        assert [n.payload for n in received] == ["one", "two"]


def test_transactions_do_not_interleave(
    real_postgres: RealPostgres, transaction_proxy: ProxyProcess
) -> None:
    real_postgres.psql("create table if not exists iso (x int); grant all on iso to public")
    with (
        psycopg.connect(transaction_proxy.dsn()) as a,
        psycopg.connect(transaction_proxy.dsn(), autocommit=True) as b,
    ):
        a_pid = a.execute("select pg_backend_pid()").fetchone()
        a.execute("insert into iso values (1)")
        for _ in range(10):
            assert b.execute("select count(*) from iso where x = 1").fetchone() == (0,)
            assert b.execute("select pg_backend_pid()").fetchone() != a_pid
            assert a.execute("select pg_backend_pid()").fetchone() == a_pid
        a.rollback()


def test_settings_follow_the_client_across_upstreams(transaction_proxy: ProxyProcess) -> None:
    def setting(conn: psycopg.Connection[tuple[object, ...]], name: str) -> object:
        row = conn.execute("select current_setting(%s)", (name,)).fetchone()
        return None if row is None else row[0]

    with (
        psycopg.connect(transaction_proxy.dsn(application_name="alpha"), autocommit=True) as a,
        psycopg.connect(transaction_proxy.dsn(application_name="beta"), autocommit=True) as b,
    ):
        a.execute("set timezone = 'Asia/Tokyo'")
        assert a.info.parameter_status("TimeZone") == "Asia/Tokyo"
        for _ in range(5):
            with psycopg.connect(transaction_proxy.dsn()) as holder:
                holder.execute("select 1")  # keeps one upstream busy: the others rotate
                assert setting(a, "application_name") == "alpha"
                assert setting(b, "application_name") == "beta"
                assert setting(a, "TimeZone") == "Asia/Tokyo"
                assert setting(b, "TimeZone") != "Asia/Tokyo"


def test_large_copy_from_stdin(session_proxy: ProxyProcess) -> None:
    """10 MB of COPY data: the proxy streams it under backpressure, all of it arrives."""
    block = b"".join(b"%d\t%s\n" % (i, b"x" * 90) for i in range(10_000))
    with psycopg.connect(session_proxy.dsn()) as conn:
        conn.execute("create temp table big (n int, t text)")
        with conn.cursor().copy("copy big from stdin") as copy:
            for _ in range(10):
                copy.write(block)
        row = conn.execute("select count(*), sum(length(t)) from big").fetchone()
        assert row == (100_000, 9_000_000)


def test_failed_named_parse_leaves_no_statement(transaction_proxy: ProxyProcess) -> None:
    with psycopg.connect(transaction_proxy.dsn(), autocommit=True) as conn:
        pgconn = conn.pgconn
        failed = pgconn.prepare(b"broken", b"selec 1")
        assert failed.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"42601"
        missing = pgconn.exec_prepared(b"broken", None)
        assert missing.error_field(psycopg.pq.DiagnosticField.SQLSTATE) == b"26000"
        assert pgconn.prepare(b"broken", b"select 7").status == psycopg.pq.ExecStatus.COMMAND_OK
        result = pgconn.exec_prepared(b"broken", None)
        assert result.get_value(0, 0) == b"7"
