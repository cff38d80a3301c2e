"""Server benchmark: small queries with ``--workers 2`` against one server process.

What: the pgbench run of ``server_small_queries`` (``pgbench -n -M extended -c 10 -j 2 -T 10``
with ``SELECT :aid``, i.e. Parse/Bind/Describe/Execute/Sync of ``SELECT $1``) against our
server with the raw `SmallQueryBackend` (``bench/backends.py``: protocol cost only), started as
users start it: ``python -m txpostgres_proto --handler bench.backends:SmallQueryBackend``, once
as one process and once with ``--workers 2`` (a supervisor that accepts and hands each connection
to the next of two workers, so pgbench's 10 connections split 5/5;
``txpostgres_proto/server/workers.py``).

How: both servers are started, then warmed up by a short pgbench run each (a worker starts
accepting a moment after the supervisor binds the port); then every round runs pgbench once
against each server, rounds interleaved; the table shows transactions/s at the median round.
pgbench runs on the same machine, so the servers share its cores with pgbench: on two cores the
gain is bounded by what pgbench leaves over.  Target (issue): ``--workers 2`` >= 1.6x one process.

    python -m bench.server_workers [--quick] [--seconds N] [--rounds N]
"""

from __future__ import annotations

import argparse
from contextlib import ExitStack

from bench.common import (
    ServerSpec,
    Target,
    bench_main,
    bench_parser,
    our_server,
    print_target_table,
    summarize,
)
from bench.server_small_queries import pgbench, pgbench_rounds, script_file

HANDLER = ("--handler", "bench.backends:SmallQueryBackend")
ONE_PROCESS = ServerSpec("1 process", HANDLER)
TWO_WORKERS = ServerSpec("--workers 2", (*HANDLER, "--workers", "2"))
SERVERS = (ONE_PROCESS, TWO_WORKERS)
WARMUP_SECONDS = 2


def run(args: argparse.Namespace) -> None:
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"server_workers: pgbench -M extended -c 10 -j 2 -T {seconds}, {rounds} round(s)")
    notes: dict[str, str] = {}
    with ExitStack() as stack, script_file() as script:
        targets = {}
        for spec in SERVERS:
            if missing := spec.missing():
                notes[spec.name] = missing
                continue
            targets[spec.name] = env = stack.enter_context(our_server(spec)).libpq_env()
            pgbench(env, script, WARMUP_SECONDS)
        tps = pgbench_rounds(targets, script, seconds, rounds, notes)
    results = summarize([spec.name for spec in SERVERS], tps, unavailable=notes)
    print_target_table(
        "pgbench SELECT :aid, extended protocol, 10 clients, raw QueryBackend (higher is better)",
        "tps",
        results,
        baseline=ONE_PROCESS.name,
        targets=[Target(TWO_WORKERS.name, min_ratio=1.6, baseline=ONE_PROCESS.name)],
    )


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--seconds", type=int, help="pgbench -T per run (default 10)")
    bench_main(parser, run)


if __name__ == "__main__":
    main()
