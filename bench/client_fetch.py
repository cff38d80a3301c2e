"""Client benchmark: fetching a 100,000-row result of six types from a real PostgreSQL.

What: ``SELECT i, t, f, ts, b, n FROM bench_fetch`` (int4, text, float8, timestamp, bool,
numeric; ``bench/data.py``) fetched completely into Python values by our client
(``Connection.query``), psycopg 3 (text results, its default, and binary), asyncpg, psycopg2
and pg8000 (native API).

How: one PostgreSQL 15 started for the run holds the table; each peer runs in its own process
with one connection, fetches once untimed, then ``--repeat`` times timed (rows/s at the median
run); peers take turns for ``--rounds`` rounds and the table shows the median round and the
ratio to psycopg 3.  Targets (issue): ours >= 1.0x psycopg 3 and
>= 10x pg8000.

    python -m bench.client_fetch [--quick] [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

from bench.common import (
    Target,
    bench_main,
    client_params,
    load_table,
    measure_client_peers,
    print_target_table,
    rate_result,
    real_postgres,
    report_result,
    timed_runs,
    timed_runs_async,
    with_asyncpg,
    with_our_client,
    worker_parser,
)
from bench.data import create_table_sql, select_sql

TABLE = "bench_fetch"
OURS = "ours"
PSYCOPG = "psycopg 3"
PG8000 = "pg8000"


def _fetch_checked(fetch: Callable[[], Any], count: int) -> Callable[[], Any]:
    def run() -> None:
        rows = fetch()
        if len(rows) != count:
            raise AssertionError(f"fetched {len(rows)} rows, expected {count}")

    return run


def _fetch_checked_async(fetch: Callable[[], Awaitable[Any]], count: int) -> Callable[[], Any]:
    async def run() -> None:
        rows = await fetch()
        if len(rows) != count:
            raise AssertionError(f"fetched {len(rows)} rows, expected {count}")

    return run


def _measure(fetch: Callable[[], Any], params: dict[str, Any]) -> None:
    """Fetch once untimed, then time ``repeat`` fetches, and report."""
    timings = timed_runs(_fetch_checked(fetch, params["rows"]), params["repeat"])
    report_result(rate_result(timings, params["rows"]))


async def _measure_async(fetch: Callable[[], Awaitable[Any]], params: dict[str, Any]) -> None:
    """`_measure` for fetches returning a coroutine or a Deferred."""
    run = _fetch_checked_async(fetch, params["rows"])
    report_result(rate_result(await timed_runs_async(run, params["repeat"]), params["rows"]))


def _ours(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        await _measure_async(lambda: connection.query(select_sql(TABLE)), params)

    with_our_client(params, work)


def _psycopg(params: dict[str, Any], binary: bool) -> None:
    import psycopg

    with psycopg.connect(params["dsn"]) as connection, connection.cursor() as cursor:

        def fetch() -> list[Any]:
            cursor.execute(select_sql(TABLE), binary=binary)
            return cursor.fetchall()

        _measure(fetch, params)


def _asyncpg(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        await _measure_async(lambda: connection.fetch(select_sql(TABLE)), params)

    with_asyncpg(params, work)


def _psycopg2(params: dict[str, Any]) -> None:
    import psycopg2

    connection = psycopg2.connect(params["dsn"])
    try:
        cursor = connection.cursor()

        def fetch() -> list[Any]:
            cursor.execute(select_sql(TABLE))
            return cursor.fetchall()

        _measure(fetch, params)
    finally:
        connection.close()


def _pg8000(params: dict[str, Any]) -> None:
    import pg8000.native

    kwargs = params["kwargs"]
    connection = pg8000.native.Connection(
        kwargs["user"], host=kwargs["host"], port=kwargs["port"], database=kwargs["database"]
    )
    try:
        _measure(lambda: connection.run(select_sql(TABLE)), params)
    finally:
        connection.close()


WORKERS: dict[str, Callable[[dict[str, Any]], None]] = {
    OURS: _ours,
    PSYCOPG: lambda params: _psycopg(params, binary=False),
    "psycopg 3 binary": lambda params: _psycopg(params, binary=True),
    "asyncpg": _asyncpg,
    "psycopg2": _psycopg2,
    PG8000: _pg8000,
}


def run(args: argparse.Namespace) -> None:
    rows = args.rows or (10_000 if args.quick else 100_000)
    repeat = args.repeat or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"client_fetch: {rows:,} rows x 6 columns, median of {repeat} runs per peer")
    with real_postgres() as server:
        load_table(server, create_table_sql(TABLE, rows))
        params = {**client_params(server), "rows": rows, "repeat": repeat}
        results = measure_client_peers(WORKERS, "bench.client_fetch", params, rounds)
    print_target_table(
        f"Fetching {rows:,} rows x 6 types from PostgreSQL 15 (higher is better)",
        "rows/s",
        results,
        baseline=PSYCOPG,
        targets=[
            Target(OURS, min_ratio=1.0, baseline=PSYCOPG),
            Target(OURS, min_ratio=10.0, baseline=PG8000),
        ],
    )


def main() -> None:
    parser = worker_parser(__doc__)
    parser.add_argument("--rows", type=int, help="rows in the result (default 100,000)")
    parser.add_argument("--repeat", type=int, help="timed runs per peer (default 5)")
    bench_main(parser, run, WORKERS)


if __name__ == "__main__":
    main()
