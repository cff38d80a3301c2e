"""Server benchmark: psycopg 3 fetching a 1,000-row result of six types, again and again.

What: ``SELECT i, t, f, ts, b, n FROM bench_rows`` (int4, text, float8, timestamp, bool,
numeric; ``bench/data.py``) fetched completely with psycopg 3 (``cursor.execute`` +
``fetchall``, text results, its default).  Servers: a real PostgreSQL 15 holding the rows in a
table; our server with a raw `QueryBackend` returning the same 1,000 rows, with a
`PostgresRequestHandler` subclass declaring the table and returning them from
``query_tables``, and the embedded SQLite default (table created and filled through the
server itself) when it exists.  Our servers run as separate processes
(``python -m txpostgres_proto --handler ...``, the ``twistd pgproto`` options).

How: every server is measured once per round (rounds interleaved) by a psycopg 3 worker in a
process of its own: one untimed run, then ``--repeat`` runs of ``--fetches`` fetches each;
rows/s at the median run, ratio to PostgreSQL.  Target (issue): ours >= 0.5x PostgreSQL.
Rates suffer when other programs share the machine; the CPU time our server process used per
row during the timed runs (``/proc/<pid>/stat``, 10 ms ticks) suffers much less, so each of our
rows notes it.

It also checks that our server writes a result in batches (``ROW_BATCH_BYTES``, one
``transport.write`` per batch rather than one per row): in this process, each backend answers
the same query over a transport that counts ``write`` calls — once with the simple protocol,
once with the extended one (Parse/Bind/Describe/Execute/Sync).

    python -m bench.server_fetch_rows [--quick] [--fetches N] [--repeat N] [--rounds N]
"""

from __future__ import annotations

import argparse
import contextlib
import math
from collections.abc import Callable
from typing import Any

from bench.common import (
    ServerSpec,
    Target,
    client_params,
    exit_on_sigterm,
    load_table,
    measure_peers,
    our_server,
    print_target_table,
    process_tree_cpu_seconds,
    rate_result,
    real_postgres,
    report_result,
    timed_runs,
    worker_parser,
)
from bench.data import COLUMNS, create_table_sql, python_rows, select_sql

TABLE = "bench_rows"
ROWS = 1000
POSTGRES = "postgresql"
OUR_SERVERS = (
    ServerSpec("ours QueryBackend", ("--handler", "bench.backends:FetchRowsBackend")),
    ServerSpec("ours PostgresRequestHandler", ("--handler", "bench.backends:FetchRowsHandler")),
    ServerSpec("ours embedded SQLite", (), "txpostgres_proto.sqlite_backend"),
)
#: Servers that hold no data of their own: the worker creates and fills the table first.
_FILLED_BY_WORKER = frozenset({"ours embedded SQLite"})


def _fill_through_server(connection: Any) -> None:
    columns = ", ".join(f"{name} {type_}" for name, type_ in COLUMNS)
    placeholders = ", ".join(["%s"] * len(COLUMNS))
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")
        cursor.execute(f"CREATE TABLE {TABLE} ({columns})")
        cursor.executemany(f"INSERT INTO {TABLE} VALUES ({placeholders})", python_rows(ROWS))
    connection.commit()


def _psycopg_worker(params: dict[str, Any]) -> None:
    import psycopg

    with psycopg.connect(params["dsn"]) as connection:
        if params.get("fill"):
            _fill_through_server(connection)
        cursor = connection.cursor()

        def run() -> None:
            for _ in range(params["fetches"]):
                cursor.execute(select_sql(TABLE))
                if len(cursor.fetchall()) != ROWS:
                    raise AssertionError(f"expected {ROWS} rows")

        run()
        pid = params.get("pid")
        before = process_tree_cpu_seconds(pid) if pid else 0.0
        timings = timed_runs(run, params["repeat"], warmup=0)
        extra = {}
        if pid:
            used = process_tree_cpu_seconds(pid) - before
            rows = ROWS * params["fetches"] * params["repeat"]
            extra["note"] = f"server CPU {used / rows * 1e9:,.0f} ns/row"
        report_result(rate_result(timings, ROWS * params["fetches"], **extra))


# -- counting transport writes in this process ----------------------------------------------


def count_writes(backend_factory: Callable[[], Any], extended: bool) -> tuple[int, int]:
    """(transport writes, bytes written) while our server answers the 1,000-row query once."""
    from twisted.internet.address import IPv4Address
    from twisted.internet.task import Clock
    from twisted.internet.testing import StringTransport

    from txpostgres_proto.protocol import messages as m
    from txpostgres_proto.server.factory import PostgresServerFactory

    class CountingTransport(StringTransport):
        writes = 0

        def write(self, data: bytes) -> None:
            self.writes += 1
            super().write(data)

    clock: Any = Clock()
    factory = PostgresServerFactory(backend_factory, reactor=clock)
    address: Any = IPv4Address("TCP", "127.0.0.1", 5432)
    protocol = factory.buildProtocol(address)
    transport = CountingTransport()
    protocol.makeConnection(transport)
    protocol.dataReceived(m.StartupMessage({"user": "bench", "database": "bench"}).encode())
    if not transport.value().endswith(b"Z\x00\x00\x00\x05I"):
        raise AssertionError("no ReadyForQuery after startup")
    transport.clear()
    transport.writes = 0
    sql = select_sql(TABLE)
    if extended:
        requests = [m.Parse("", sql), m.Bind("", ""), m.Describe("P"), m.Execute(), m.Sync()]
    else:
        requests = [m.Query(sql)]
    protocol.dataReceived(b"".join(request.encode() for request in requests))
    written = transport.value()
    if not written.endswith(b"Z\x00\x00\x00\x05I") or written.count(b"SELECT 1000\x00") != 1:
        raise AssertionError(f"incomplete answer: {written[-60:]!r}")
    protocol.connectionLost(None)  # type: ignore[arg-type]
    return transport.writes, len(written)


def print_write_counts() -> None:
    from bench.backends import FetchRowsBackend, FetchRowsHandler
    from txpostgres_proto.server.protocol import ROW_BATCH_BYTES

    print(f"\nTransport writes for one {ROWS}-row result (batch size {ROW_BATCH_BYTES:,} bytes)")
    print(
        f"{'backend':<18} {'protocol':<9} {'bytes':>7} {'writes':>6} {'batches':>7}  one per batch"
    )
    for backend in (FetchRowsBackend, FetchRowsHandler):
        for extended in (False, True):
            try:
                writes, size = count_writes(backend, extended)
            except Exception as error:  # report and go on: the rates above still stand
                print(f"{backend.__name__:<18} failed: {error!r}"[:150])
                continue
            batches = math.ceil(size / ROW_BATCH_BYTES)
            kind = "extended" if extended else "simple"
            ok = "yes" if writes <= batches else "NO"
            print(f"{backend.__name__:<18} {kind:<9} {size:>7,} {writes:>6} {batches:>7}  {ok}")


# -- the run --------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> None:
    fetches = args.fetches or (20 if args.quick else 50)
    repeat = args.repeat or (3 if args.quick else 5)
    rounds = args.rounds or (1 if args.quick else 3)
    print(
        f"server_fetch_rows: psycopg 3, {fetches} fetches of {ROWS:,} rows per run, "
        f"median of {repeat} runs, {rounds} round(s)"
    )
    unavailable: dict[str, str] = {}
    with real_postgres() as postgres, contextlib.ExitStack() as stack:
        load_table(postgres, create_table_sql(TABLE, ROWS))
        sizes = {"fetches": fetches, "repeat": repeat}
        servers: dict[str, dict[str, object]] = {POSTGRES: {**client_params(postgres), **sizes}}
        for spec in OUR_SERVERS:
            if missing := spec.missing():
                unavailable[spec.name] = missing
                continue
            process = stack.enter_context(our_server(spec))
            fill = spec.name in _FILLED_BY_WORKER
            servers[spec.name] = {"dsn": process.dsn(), "fill": fill, "pid": process.pid, **sizes}
        results = measure_peers(servers, "bench.server_fetch_rows", rounds, unavailable)
    print_target_table(
        f"psycopg 3 fetching {ROWS:,} rows x 6 types (higher is better)",
        "rows/s",
        results,
        baseline=POSTGRES,
        targets=[Target(spec.name, min_ratio=0.5, baseline=POSTGRES) for spec in OUR_SERVERS],
    )
    print_write_counts()


def main() -> None:
    exit_on_sigterm()
    parser = worker_parser(__doc__)
    parser.add_argument("--fetches", type=int, help="fetches per timed run (default 50)")
    parser.add_argument("--repeat", type=int, help="timed runs per measurement (default 5)")
    args = parser.parse_args()
    if args.worker:
        _psycopg_worker(args.params)
    else:
        run(args)


if __name__ == "__main__":
    main()
