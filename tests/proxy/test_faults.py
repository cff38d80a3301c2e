"""Faults: clients leaving mid-transaction, upstream backends killed, the upstream restarting.

``test_upstream_restart`` restarts the shared PostgreSQL server; the test after it runs on
upstream connections the proxy made after the restart.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from tests.pgserver import RealPostgres
from tests.proxy.proxyprocess import ProxyProcess


@pytest.fixture(scope="module")
def single_upstream_proxy(
    real_postgres: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    """Transaction pooling over one upstream connection: every client shares it."""
    log = tmp_path_factory.mktemp("proxy") / "single.log"
    upstream = real_postgres.uri("trust_user", sslmode="disable")  # plain TCP upstream
    with ProxyProcess(upstream, "--pool-mode", "transaction", "--pool-size", "1", log=log) as p:
        yield p


def test_client_leaving_mid_transaction_is_rolled_back(
    real_postgres: RealPostgres, single_upstream_proxy: ProxyProcess
) -> None:
    real_postgres.psql("create table if not exists leave (x int); grant all on leave to public")
    conn = psycopg.connect(single_upstream_proxy.dsn())
    conn.execute("insert into leave values (1)")
    conn.execute("lock table leave in access exclusive mode")
    conn.close()  # no COMMIT: the upstream must not keep the transaction (or the lock)
    with psycopg.connect(single_upstream_proxy.dsn()) as other:
        other.execute("set local lock_timeout = '2s'")
        other.execute("lock table leave in access exclusive mode nowait")
        assert other.execute("select count(*) from leave").fetchone() == (0,)


def test_client_vanishing_mid_query(single_upstream_proxy: ProxyProcess) -> None:
    conn = psycopg.connect(single_upstream_proxy.dsn(), autocommit=True)
    pid = conn.execute("select pg_backend_pid()").fetchone()
    conn.pgconn.send_query(b"select pg_sleep(2)")
    conn.pgconn.flush()
    time.sleep(0.2)
    conn.pgconn.finish()  # the socket closes while the upstream runs the query
    with psycopg.connect(single_upstream_proxy.dsn(), autocommit=True) as other:
        row = other.execute("select 1, pg_backend_pid()").fetchone()
        assert row is not None and row[0] == 1
        assert (row[1],) != pid  # the busy upstream was discarded, not reused


def test_upstream_backend_killed_mid_query(
    real_postgres: RealPostgres, single_upstream_proxy: ProxyProcess
) -> None:
    with psycopg.connect(single_upstream_proxy.dsn(), autocommit=True) as conn:
        pid = conn.execute("select pg_backend_pid()").fetchone()
        assert pid is not None
        killer = threading.Timer(
            0.3, real_postgres.psql, (f"select pg_terminate_backend({pid[0]})",)
        )
        killer.start()
        with pytest.raises(errors.AdminShutdown):
            conn.execute("select pg_sleep(10)")
        killer.join()
    with psycopg.connect(single_upstream_proxy.dsn(), autocommit=True) as fresh:
        assert fresh.execute("select 'reconnected'").fetchone() == ("reconnected",)


def test_upstream_restart(real_postgres: RealPostgres, session_proxy: ProxyProcess) -> None:
    conn = psycopg.connect(session_proxy.dsn(), autocommit=True)
    assert conn.execute("select 1").fetchone() == (1,)
    real_postgres.restart()
    with pytest.raises(psycopg.OperationalError) as caught:
        conn.execute("select 1")
    assert caught.value.sqlstate == "57P01"  # the upstream's own FATAL, relayed
    conn.close()
    with psycopg.connect(session_proxy.dsn(), autocommit=True) as fresh:
        assert fresh.execute("select 'after restart'").fetchone() == ("after restart",)


def test_session_pooling_resets_upstream_with_discard_all(
    real_postgres: RealPostgres, tmp_path: Path
) -> None:
    upstream = real_postgres.uri("trust_user", sslmode="disable")
    options = ("--pool-mode", "session", "--pool-size", "1")  # both clients get the same one
    with (
        ProxyProcess(upstream, *options, log=tmp_path / "proxy.log") as proxy,
        psycopg.connect(proxy.dsn(), autocommit=True) as first,
    ):
        pid = first.execute("select pg_backend_pid()").fetchone()
        first.execute("set work_mem = '77MB'")
        first.execute("create temp table leftover (x int)")
        first.execute("prepare leftover_statement as select 1")
        first.close()  # the second client waits until the reset is done
        second = psycopg.connect(proxy.dsn(), autocommit=True)
        with second:
            assert second.execute("select pg_backend_pid()").fetchone() == pid
            assert second.execute("show work_mem").fetchone() != ("77MB",)
            statements = second.execute("select count(*) from pg_prepared_statements")
            assert statements.fetchone() == (0,)
            missing = second.execute("select to_regclass('pg_temp.leftover')").fetchone()
            assert missing == (None,)
