"""Client benchmark: serial round trips of a prepared ``SELECT $1::int``.

What: one connection runs a prepared statement ``SELECT $1::int`` with a different integer each
time and waits for the row before sending the next — the latency of one round trip through the
driver, the event loop and PostgreSQL.  Peers: our client (a `PreparedStatement` from
``Connection.prepare``, and ``Connection.query`` through its automatic statement cache),
asyncpg (``prepare`` + ``fetchval``) and psycopg 3 (``execute(..., prepare=True)``).

How: one PostgreSQL 15 for the run; each peer in its own process; ``--queries`` round trips per
run, one untimed run, then ``--repeat`` timed runs (queries/s at the median run); peers take
turns for ``--rounds`` rounds, the table shows the median round.  Target
(issue): ours (prepared) >= 1.0x asyncpg.

    python -m bench.client_roundtrips [--quick] [--queries N] [--repeat N]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from bench.common import (
    Target,
    bench_main,
    client_params,
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

SQL = "SELECT $1::int"
OURS = "ours prepared"
ASYNCPG = "asyncpg"


def _expect(value: Any, wanted: int) -> None:
    if value != wanted:
        raise AssertionError(f"got {value!r}, expected {wanted}")


def _ours(params: dict[str, Any], prepared: bool) -> None:
    async def work(connection: Any) -> None:
        statement = await connection.prepare(SQL) if prepared else None

        async def run() -> None:
            for number in range(params["queries"]):
                if statement is not None:
                    rows = await statement.query(number)
                else:
                    rows = await connection.query(SQL, number)
                _expect(rows[0][0], number)

        timings = await timed_runs_async(run, params["repeat"])
        report_result(rate_result(timings, params["queries"]))

    with_our_client(params, work)


def _asyncpg(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        statement = await connection.prepare(SQL)

        async def run() -> None:
            for number in range(params["queries"]):
                _expect(await statement.fetchval(number), number)

        timings = await timed_runs_async(run, params["repeat"])
        report_result(rate_result(timings, params["queries"]))

    with_asyncpg(params, work)


def _psycopg(params: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(params["dsn"], autocommit=True) as connection:
        cursor = connection.cursor()

        def run() -> None:
            for number in range(params["queries"]):
                cursor.execute("SELECT %s::int", (number,), prepare=True)
                row = cursor.fetchone()
                assert row is not None
                _expect(row[0], number)

        timings = timed_runs(run, params["repeat"])
        report_result(rate_result(timings, params["queries"]))


WORKERS: dict[str, Callable[[dict[str, Any]], None]] = {
    OURS: lambda params: _ours(params, prepared=True),
    "ours query (statement cache)": lambda params: _ours(params, prepared=False),
    ASYNCPG: _asyncpg,
    "psycopg 3 prepared": _psycopg,
}


def run(args: argparse.Namespace) -> None:
    queries = args.queries or (2_000 if args.quick else 10_000)
    repeat = args.repeat or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"client_roundtrips: {queries:,} serial queries per run, median of {repeat} runs")
    with real_postgres() as server:
        params = {**client_params(server), "queries": queries}
        params["repeat"] = repeat
        results = measure_client_peers(WORKERS, "bench.client_roundtrips", params, rounds)
    print_target_table(
        f"Serial round trips of a prepared {SQL} (higher is better)",
        "queries/s",
        results,
        baseline=ASYNCPG,
        targets=[Target(OURS, min_ratio=1.0, baseline=ASYNCPG)],
    )


def main() -> None:
    parser = worker_parser(__doc__)
    parser.add_argument("--queries", type=int, help="round trips per run (default 10,000)")
    parser.add_argument("--repeat", type=int, help="timed runs per peer (default 5)")
    bench_main(parser, run, WORKERS)


if __name__ == "__main__":
    main()
