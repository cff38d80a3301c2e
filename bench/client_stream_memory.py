"""Client benchmark: peak memory while streaming a 5,000,000-row result.

What: ``SELECT <six mixed-type columns> FROM generate_series(1, 5000000)`` (``bench/data.py``)
consumed row by row without keeping the rows, through our client's streaming APIs
(``Connection.stream`` with a callback, and ``Connection.cursor``, chunks of 1,000 rows), and,
for reference, asyncpg's cursor (prefetch 1,000) and a psycopg 3 server-side cursor
(itersize 1,000).  A client that buffers the whole result would need gigabytes here.

How: each peer streams in a process of its own; the value is that process's peak RSS
(``VmHWM``) at the end, interpreter and imports included; the note gives the RSS before the
query (after connecting) and the rows/s.  One round by default: this measures memory, not
speed.  Target (issue): ours (stream) < 100 MB peak.

    python -m bench.client_stream_memory [--quick] [--rows N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from typing import Any

from bench.common import (
    Target,
    bench_main,
    client_params,
    measure_client_peers,
    print_target_table,
    real_postgres,
    report_result,
    rss_kb,
    with_asyncpg,
    with_our_client,
    worker_parser,
)
from bench.data import generate_sql

OURS = "ours stream"
ASYNCPG = "asyncpg cursor"
CHUNK = 1000


class _Tally:
    """Counts rows as they stream by and reports the process's memory at the end."""

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.rows = 0
        self.rss_before_kb = rss_kb(os.getpid())
        self.started = time.perf_counter()

    def add(self, row: Any) -> None:
        self.rows += 1

    def report(self) -> None:
        elapsed = time.perf_counter() - self.started
        if self.rows != self.expected:
            raise AssertionError(f"streamed {self.rows} rows, expected {self.expected}")
        peak_kb = rss_kb(os.getpid(), "VmHWM")
        rate = self.rows / elapsed
        note = f"RSS before query {self.rss_before_kb / 1024:.0f} MB, {rate:,.0f} rows/s"
        report_result({"value": peak_kb / 1024, "seconds": elapsed, "note": note})


def _ours(params: dict[str, Any], use_cursor: bool) -> None:
    async def work(connection: Any) -> None:
        sql = generate_sql(params["rows"])
        tally = _Tally(params["rows"])
        if use_cursor:
            async with connection.cursor(sql, chunk=CHUNK) as cursor:
                async for row in cursor:
                    tally.add(row)
        else:
            await connection.stream(sql, callback=tally.add)
        tally.report()

    with_our_client(params, work)


def _asyncpg(params: dict[str, Any]) -> None:
    async def work(connection: Any) -> None:
        tally = _Tally(params["rows"])
        async with connection.transaction():
            async for row in connection.cursor(generate_sql(params["rows"]), prefetch=CHUNK):
                tally.add(row)
        tally.report()

    with_asyncpg(params, work)


def _psycopg(params: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(params["dsn"]) as connection:
        tally = _Tally(params["rows"])
        with connection.cursor(name="bench_stream") as cursor:
            cursor.itersize = CHUNK
            cursor.execute(generate_sql(params["rows"]))
            for row in cursor:
                tally.add(row)
        tally.report()


WORKERS: dict[str, Callable[[dict[str, Any]], None]] = {
    OURS: lambda params: _ours(params, use_cursor=False),
    "ours cursor": lambda params: _ours(params, use_cursor=True),
    ASYNCPG: _asyncpg,
    "psycopg 3 server-side cursor": _psycopg,
}


def run(args: argparse.Namespace) -> None:
    rows = args.rows or (500_000 if args.quick else 5_000_000)
    rounds = args.rounds or 1
    print(f"client_stream_memory: {rows:,} rows x 6 columns streamed, {rounds} round(s)")
    with real_postgres() as server:
        params = {**client_params(server), "rows": rows}
        results = measure_client_peers(WORKERS, "bench.client_stream_memory", params, rounds)
    print_target_table(
        f"Peak RSS streaming {rows:,} rows (lower is better)",
        "MB",
        results,
        baseline=ASYNCPG,
        targets=[Target(OURS, max_value=100.0)],
    )


def main() -> None:
    parser = worker_parser(__doc__)
    parser.add_argument("--rows", type=int, help="rows streamed (default 5,000,000)")
    bench_main(parser, run, WORKERS)


if __name__ == "__main__":
    main()
