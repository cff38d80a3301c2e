"""Client benchmark: fetching a 100,000-row result of six types from a real PostgreSQL.

What: ``SELECT i, t, f, ts, b, n FROM bench_fetch`` (int4, text, float8, timestamp, bool,
numeric; ``bench/data.py``) fetched completely into Python values, by our client
(``Connection.query``), psycopg 3 (text results, its default, and binary), asyncpg, psycopg2
and pg8000 (native API).  How: one PostgreSQL 15 started for the run holds the table; each peer
runs in its own process with one connection, fetches once untimed, then ``--repeat`` times
timed; the table shows rows/s at the median run.  Targets (issue): ours >= 1.0x psycopg 3 and
>= 10x pg8000.

    python -m bench.client_fetch [--quick] [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Callable
from typing import Any

from bench.common import (
    PeerResult,
    Target,
    load_table,
    measure_peer,
    ours_missing,
    print_target_table,
    rate_result,
    react,
    real_postgres,
    report_result,
    trust_dsn,
    worker_parser,
)
from bench.data import create_table_sql, select_sql

TABLE = "bench_fetch"
OURS = "ours"
PSYCOPG = "psycopg 3"


def _check(rows: Any, count: int) -> None:
    if len(rows) != count:
        raise AssertionError(f"fetched {len(rows)} rows, expected {count}")


def _timed_sync(fetch: Callable[[], Any], count: int, repeat: int) -> list[float]:
    _check(fetch(), count)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        rows = fetch()
        timings.append(time.perf_counter() - started)
        _check(rows, count)
    return timings


def _ours(params: dict[str, Any]) -> list[float]:
    async def main(reactor: Any) -> list[float]:
        from txpostgres_proto.client.connect import connect

        connection = await connect(reactor, params["dsn"])
        sql, count = select_sql(TABLE), params["rows"]
        _check(await connection.query(sql), count)
        timings = []
        for _ in range(params["repeat"]):
            started = time.perf_counter()
            rows = await connection.query(sql)
            timings.append(time.perf_counter() - started)
            _check(rows, count)
        await connection.close()
        return timings

    return react(main)


def _psycopg(params: dict[str, Any], binary: bool) -> list[float]:
    import psycopg

    with psycopg.connect(params["dsn"]) as connection, connection.cursor() as cursor:

        def fetch() -> list[Any]:
            cursor.execute(select_sql(TABLE), binary=binary)
            return cursor.fetchall()

        return _timed_sync(fetch, params["rows"], params["repeat"])


def _asyncpg(params: dict[str, Any]) -> list[float]:
    import asyncpg

    async def main() -> list[float]:
        connection = await asyncpg.connect(**params["kwargs"])
        sql, count = select_sql(TABLE), params["rows"]
        _check(await connection.fetch(sql), count)
        timings = []
        for _ in range(params["repeat"]):
            started = time.perf_counter()
            rows = await connection.fetch(sql)
            timings.append(time.perf_counter() - started)
            _check(rows, count)
        await connection.close()
        return timings

    return asyncio.run(main())


def _psycopg2(params: dict[str, Any]) -> list[float]:
    import psycopg2

    connection = psycopg2.connect(params["dsn"])
    try:
        cursor = connection.cursor()

        def fetch() -> list[Any]:
            cursor.execute(select_sql(TABLE))
            return cursor.fetchall()

        return _timed_sync(fetch, params["rows"], params["repeat"])
    finally:
        connection.close()


def _pg8000(params: dict[str, Any]) -> list[float]:
    import pg8000.native

    kwargs = params["kwargs"]
    connection = pg8000.native.Connection(
        kwargs["user"], host=kwargs["host"], port=kwargs["port"], database=kwargs["database"]
    )
    try:
        return _timed_sync(
            lambda: connection.run(select_sql(TABLE)), params["rows"], params["repeat"]
        )
    finally:
        connection.close()


WORKERS: dict[str, Callable[[dict[str, Any]], list[float]]] = {
    OURS: _ours,
    PSYCOPG: lambda params: _psycopg(params, binary=False),
    "psycopg 3 binary": lambda params: _psycopg(params, binary=True),
    "asyncpg": _asyncpg,
    "psycopg2": _psycopg2,
    "pg8000": _pg8000,
}


def run(args: argparse.Namespace) -> None:
    rows = args.rows or (10_000 if args.quick else 100_000)
    repeat = args.repeat or (3 if args.quick else 5)
    print(f"client_fetch: {rows:,} rows x 6 columns, median of {repeat} runs per peer")
    with real_postgres() as server:
        load_table(server, create_table_sql(TABLE, rows))
        kwargs = {
            "host": server.host,
            "port": server.port,
            "user": "trust_user",
            "database": server.database,
        }
        params = {"dsn": trust_dsn(server), "kwargs": kwargs, "rows": rows, "repeat": repeat}
        results: list[PeerResult] = []
        for peer in WORKERS:
            if peer == OURS and (missing := ours_missing("txpostgres_proto.client.connect")):
                results.append(PeerResult(peer, None, missing))
                continue
            measure_peer(results, peer, "bench.client_fetch", params)
    print_target_table(
        f"Fetching {rows:,} rows x 6 types from PostgreSQL 15 (rows/s, higher is better)",
        "rows/s",
        results,
        baseline=PSYCOPG,
        targets=[
            Target(OURS, min_ratio=1.0, baseline=PSYCOPG),
            Target(OURS, min_ratio=10.0, baseline="pg8000"),
        ],
    )


def main() -> None:
    parser = worker_parser(__doc__)
    parser.add_argument("--rows", type=int, help="rows in the result (default 100,000)")
    parser.add_argument("--repeat", type=int, help="timed runs per peer (default 5)")
    args = parser.parse_args()
    if args.worker:
        report_result(rate_result(WORKERS[args.worker](args.params), args.params["rows"]))
    else:
        run(args)


if __name__ == "__main__":
    main()
