"""Speed through the wire: each query psql sends for ``\\d TABLE`` within 5 ms (median).

psql's ``-E`` prints the queries it sends; each is then run 15 times over one psycopg connection
(simple protocol, after a first run that compiles it) and its median round trip, minus the median
round trip of ``SELECT 1``, is the time the server spends answering it.  (On the embedded default
``SELECT 1`` runs in a SQLite worker thread while catalog queries are answered in the reactor
thread, so a catalog query may well be quicker than the baseline.)  The bound is loose on purpose
(CI machines are slow and shared); the measured medians are printed (``pytest -s``).
"""

from __future__ import annotations

import re
import statistics
import time

import psycopg

from tests.catalog_e2e.servers import ServerProcess, run_psql

_QUERY = re.compile(r"\*{9} QUERY \*{10}\n(.*?)\n\*{26}", re.S)
_RUNS = 15
BUDGET = 0.005


def _median_round_trip(conn: psycopg.Connection, sql: str, runs: int = _RUNS) -> float:
    conn.execute(sql, prepare=False)  # type: ignore[call-overload]
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        conn.execute(sql, prepare=False).fetchall()  # type: ignore[call-overload]
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def test_describe_table_queries_are_fast(server: ServerProcess) -> None:
    table = server.expected.table
    echoed = run_psql(server.host, server.port, rf"\d {table}", echo_hidden=True)
    assert echoed.returncode == 0, echoed.stderr
    queries = _QUERY.findall(echoed.stdout)
    assert len(queries) >= 5
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        baseline = _median_round_trip(conn, "SELECT 1", 3 * _RUNS)
        medians = {query: _median_round_trip(conn, query) for query in queries}
    print(f"\n{server.kind}: SELECT 1 {baseline * 1000:.3f} ms; \\d {table} queries, median "
          "round trip (ms):")  # fmt: skip
    for query, median in sorted(medians.items(), key=lambda item: item[1]):
        print(f"  {median * 1000:7.3f}  {' '.join(query.split())[:70]}")
    slow = {
        " ".join(query.split())[:70]: round((median - baseline) * 1000, 3)
        for query, median in medians.items()
        if median - baseline > BUDGET
    }
    assert slow == {}
