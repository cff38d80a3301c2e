"""Client benchmark: 10,000 parameterised INSERTs sent as one batch.

What: ``INSERT INTO bench_insert (i, t, f) VALUES ($1, $2, $3)`` for 10,000 rows of (int4,
text, float8), by our client's ``Connection.executemany`` (every Bind/Execute pipelined before
one Sync), asyncpg's ``executemany`` and psycopg 3's ``executemany`` (pipeline mode).

How: one PostgreSQL 15 for the run; each peer in its own process with one connection; before
every run the table is emptied (TRUNCATE, not timed) and after it the row count is checked;
one untimed run, then ``--repeat`` timed (rows/s at the median run); peers take turns for
``--rounds`` rounds, the table shows the median round.  Target (issue): ours >=
1.0x asyncpg.

    python -m bench.client_executemany [--quick] [--rows N] [--repeat N]
"""

from __future__ import annotations

import argparse
import time
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
    with_asyncpg,
    with_our_client,
    worker_parser,
)

TABLE = "bench_insert"
INSERT = f"INSERT INTO {TABLE} (i, t, f) VALUES ($1, $2, $3)"
COUNT = f"SELECT count(*) FROM {TABLE}"
TRUNCATE = f"TRUNCATE {TABLE}"
OURS = "ours"
ASYNCPG = "asyncpg"


def _rows(count: int) -> list[tuple[int, str, float]]:
    return [(n, f"inserted row {n}", n * 0.5) for n in range(count)]


def _expect_count(found: Any, wanted: int) -> None:
    if found != wanted:
        raise AssertionError(f"table holds {found} rows, expected {wanted}")


async def _runs_async(
    insert: Callable[[], Awaitable[Any]],
    reset: Callable[[], Awaitable[Any]],
    count: Callable[[], Awaitable[int]],
    params: dict[str, Any],
) -> list[float]:
    """One untimed and ``repeat`` timed batches, each into an emptied table."""
    timings = []
    for run in range(params["repeat"] + 1):
        await reset()
        started = time.perf_counter()
        await insert()
        elapsed = time.perf_counter() - started
        _expect_count(await count(), params["rows"])
        if run:
            timings.append(elapsed)
    return timings


async def _measure_async(
    connection: Any, count: Callable[[], Awaitable[int]], params: dict[str, Any]
) -> None:
    """Time ``connection.executemany`` (our client and asyncpg spell it alike), and report."""
    rows = _rows(params["rows"])
    timings = await _runs_async(
        lambda: connection.executemany(INSERT, rows),
        lambda: connection.execute(TRUNCATE),
        count,
        params,
    )
    report_result(rate_result(timings, params["rows"]))


def _ours(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        async def count() -> int:
            return int((await connection.query(COUNT))[0][0])

        await _measure_async(connection, count, params)

    with_our_client(params, work)


def _asyncpg(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        async def count() -> int:
            return int(await connection.fetchval(COUNT))

        await _measure_async(connection, count, params)

    with_asyncpg(params, work)


def _psycopg(params: dict[str, Any]) -> None:
    import psycopg

    rows = _rows(params["rows"])
    insert = INSERT.replace("$1", "%s").replace("$2", "%s").replace("$3", "%s")
    with psycopg.connect(params["dsn"], autocommit=True) as connection:
        cursor = connection.cursor()
        timings = []
        for run in range(params["repeat"] + 1):
            cursor.execute(TRUNCATE)
            started = time.perf_counter()
            cursor.executemany(insert, rows)
            elapsed = time.perf_counter() - started
            row = cursor.execute(COUNT).fetchone()
            _expect_count(row[0] if row else None, params["rows"])
            if run:
                timings.append(elapsed)
        report_result(rate_result(timings, params["rows"]))


WORKERS: dict[str, Callable[[dict[str, Any]], None]] = {
    OURS: _ours,
    ASYNCPG: _asyncpg,
    "psycopg 3": _psycopg,
}


def run(args: argparse.Namespace) -> None:
    rows = args.rows or (2_000 if args.quick else 10_000)
    repeat = args.repeat or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"client_executemany: {rows:,} inserts per batch, median of {repeat} batches")
    with real_postgres() as server:
        load_table(server, f"CREATE TABLE {TABLE} (i int4, t text, f float8);")
        params = {**client_params(server), "rows": rows, "repeat": repeat}
        results = measure_client_peers(WORKERS, "bench.client_executemany", params, rounds)
    print_target_table(
        f"executemany of {rows:,} INSERTs (int4, text, float8) (higher is better)",
        "rows/s",
        results,
        baseline=ASYNCPG,
        targets=[Target(OURS, min_ratio=1.0, baseline=ASYNCPG)],
    )


def main() -> None:
    parser = worker_parser(__doc__)
    parser.add_argument("--rows", type=int, help="inserts per batch (default 10,000)")
    parser.add_argument("--repeat", type=int, help="timed batches per peer (default 5)")
    bench_main(parser, run, WORKERS)


if __name__ == "__main__":
    main()
