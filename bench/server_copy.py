"""Server benchmark: psycopg 3 loading rows with COPY ... FROM STDIN.

What: ``COPY bench_copy FROM STDIN`` of ``--rows`` rows (default 1,000,000; int4, text, float8,
timestamp) in text format, written by psycopg 3 in 64 KB-ish chunks (``copy.write``), into a
real PostgreSQL 15 and into our embedded SQLite default (``python -m txpostgres_proto`` with no
handler: rows stored with ``executemany`` in one transaction, ``sqlite/copy.py``).

How: every server is measured once per round (rounds interleaved) by a psycopg 3 worker in a
process of its own: the table is dropped and created before each timed COPY (untimed), then
``--repeat`` timed COPYs, each checked by ``count(*)``; rows/s at the median run, ratio to
PostgreSQL.  Target (issue): ours >= 0.5x PostgreSQL.

    python -m bench.server_copy [--quick] [--rows N] [--repeat N] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
from typing import Any

from bench.common import (
    ServerSpec,
    Target,
    client_params,
    exit_on_sigterm,
    measure_peers,
    our_server,
    print_target_table,
    rate_result,
    real_postgres,
    report_result,
    timed_runs,
    worker_parser,
)

TABLE = "bench_copy"
POSTGRES = "postgresql"
OURS = ServerSpec("ours embedded SQLite", (), "txpostgres_proto.sqlite_backend")
#: Rows per ``copy.write`` call.
CHUNK_ROWS = 1000


def copy_chunks(rows: int) -> list[bytes]:
    """The COPY text data of ``rows`` rows, cut into chunks of `CHUNK_ROWS` lines."""
    chunks = []
    for start in range(0, rows, CHUNK_ROWS):
        lines = [
            f"{i}\tname {i % 1000}\t{i * 0.25}\t2024-{1 + i % 12:02d}-{1 + i % 28:02d} "
            f"{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}\n"
            for i in range(start, min(start + CHUNK_ROWS, rows))
        ]
        chunks.append("".join(lines).encode())
    return chunks


def _psycopg_worker(params: dict[str, Any]) -> None:
    import psycopg

    rows = params["rows"]
    chunks = copy_chunks(rows)
    with psycopg.connect(params["dsn"], autocommit=True) as connection:

        def create() -> None:
            connection.execute(f"DROP TABLE IF EXISTS {TABLE}")
            connection.execute(f"CREATE TABLE {TABLE} (i int4, t text, f float8, ts timestamp)")

        def load() -> None:
            with connection.cursor().copy(f"COPY {TABLE} FROM STDIN") as copy:
                for chunk in chunks:
                    copy.write(chunk)
            counted = connection.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
            if counted != (rows,):
                raise AssertionError(f"expected {rows} rows, found {counted}")

        timings = []
        for _ in range(params["repeat"]):
            create()  # untimed: an empty table for each timed COPY
            timings.extend(timed_runs(load, 1, warmup=0))
        report_result(rate_result(timings, rows))


def run(args: argparse.Namespace) -> None:
    rows = args.rows or (200_000 if args.quick else 1_000_000)
    repeat = args.repeat or (1 if args.quick else 3)
    rounds = args.rounds or (1 if args.quick else 3)
    print(
        f"server_copy: psycopg 3 COPY FROM STDIN of {rows:,} rows (int4, text, float8, "
        f"timestamp), median of {repeat} runs, {rounds} round(s)"
    )
    unavailable: dict[str, str] = {}
    with real_postgres() as postgres, contextlib.ExitStack() as stack:
        sizes = {"rows": rows, "repeat": repeat}
        servers: dict[str, dict[str, object]] = {POSTGRES: {**client_params(postgres), **sizes}}
        if missing := OURS.missing():
            unavailable[OURS.name] = missing
        else:
            process = stack.enter_context(our_server(OURS))
            servers[OURS.name] = {"dsn": process.dsn(), **sizes}
        results = measure_peers(servers, "bench.server_copy", rounds, unavailable)
    print_target_table(
        f"COPY FROM STDIN of {rows:,} rows x 4 types (higher is better)",
        "rows/s",
        results,
        baseline=POSTGRES,
        targets=[Target(OURS.name, min_ratio=0.5, baseline=POSTGRES)],
    )


def main() -> None:
    exit_on_sigterm()
    parser = worker_parser(__doc__)
    parser.add_argument("--rows", type=int, help="rows per COPY (default 1,000,000)")
    parser.add_argument("--repeat", type=int, help="timed COPYs per measurement (default 3)")
    args = parser.parse_args()
    if args.worker:
        _psycopg_worker(args.params)
    else:
        run(args)


if __name__ == "__main__":
    main()
