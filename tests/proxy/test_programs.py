"""psql and pgbench through the proxy, in both pool modes, against a real PostgreSQL 15."""

from __future__ import annotations

import re
import subprocess

from tests.pgserver import RealPostgres, client_environment
from tests.proxy.proxyprocess import ProxyProcess


def _run(real_postgres: RealPostgres, program: str, proxy: ProxyProcess, *args: str) -> str:
    env = client_environment(
        PGHOST=proxy.host, PGPORT=str(proxy.port), PGUSER="app", PGDATABASE="testdb"
    )
    result = subprocess.run(
        [str(real_postgres.program(program)), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _tps_run(output: str, transactions: int) -> None:
    processed = re.search(r"actually processed: (\d+)/(\d+)", output)
    assert processed is not None, output
    assert int(processed.group(1)) == transactions
    assert "number of failed transactions: 0" in output


def test_psql_queries_and_verbose_errors(
    real_postgres: RealPostgres, transaction_proxy: ProxyProcess
) -> None:
    out = _run(real_postgres, "psql", transaction_proxy, "-X", "-At", "-c", "select 6 * 7, 'x'")
    assert out.strip() == "42|x"
    env = client_environment(PGHOST=transaction_proxy.host, PGPORT=str(transaction_proxy.port))
    failed = subprocess.run(
        [str(real_postgres.program("psql")), "-X", "-v", "VERBOSITY=verbose", "-U", "app",
         "-d", "testdb", "-c", "select 1/0"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    # Every field of the upstream's ErrorResponse arrives: SQLSTATE and source location.
    assert "ERROR:  22012: division by zero" in failed.stderr
    assert "LOCATION:  int4div" in failed.stderr


def test_pgbench_through_transaction_pooling(
    real_postgres: RealPostgres, transaction_proxy: ProxyProcess
) -> None:
    _run(real_postgres, "pgbench", transaction_proxy, "-i", "-s", "1", "-q")  # COPY FROM STDIN
    out = _run(real_postgres, "pgbench", transaction_proxy, "-S", "-n", "-t", "200", "-c", "4")
    _tps_run(out, 800)
    out = _run(
        real_postgres, "pgbench", transaction_proxy, "-S", "-n", "-t", "200", "-c", "4",
        "-M", "prepared",
    )  # fmt: skip
    _tps_run(out, 800)
    out = _run(
        real_postgres, "pgbench", transaction_proxy, "-n", "-t", "50", "-c", "4",
        "-M", "prepared",
    )  # fmt: skip
    _tps_run(out, 200)
    history = real_postgres.psql("select count(*) from pgbench_history")
    assert int(history) == 200


def test_pgbench_through_session_pooling(
    real_postgres: RealPostgres, session_proxy: ProxyProcess
) -> None:
    _run(real_postgres, "pgbench", session_proxy, "-i", "-s", "1", "-q")
    out = _run(
        real_postgres, "pgbench", session_proxy, "-n", "-t", "50", "-c", "4", "-M", "extended"
    )
    _tps_run(out, 200)
