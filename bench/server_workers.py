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
Target (issue): ``--workers 2`` >= 1.6x one process.

pgbench runs on the same machine, so the servers share its cores with pgbench.  Each row
therefore also notes, at the median round, the CPU time (user + system, from ``/proc``) per
transaction of the server's processes (with ``--workers``: the supervisor and its workers
together) and of pgbench, and how many of the two cores they kept busy between them
(CPU time / wall time).  One process can use at most one core, so its row shows how much of
the other core pgbench left unused; a row well below two cores for ``--workers 2`` means the
kernel ran both workers on one core for part of the run (loopback wake-ups pull a woken process
onto the waker's CPU).

    python -m bench.server_workers [--quick] [--seconds N] [--rounds N]
"""

from __future__ import annotations

import argparse
import subprocess
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

from bench.common import (
    ServerProcess,
    ServerSpec,
    Target,
    bench_main,
    bench_parser,
    children_cpu_seconds,
    our_server,
    print_target_table,
    process_tree_cpu_seconds,
    summarize,
)
from bench.server_small_queries import pgbench, pgbench_counted, script_file

HANDLER = ("--handler", "bench.backends:SmallQueryBackend")
ONE_PROCESS = ServerSpec("1 process", HANDLER)
TWO_WORKERS = ServerSpec("--workers 2", (*HANDLER, "--workers", "2"))
SERVERS = (ONE_PROCESS, TWO_WORKERS)
WARMUP_SECONDS = 2
#: The cores the server and pgbench share.
CORES = 2


class Costs:
    """CPU microseconds per transaction of the server and of pgbench, and the cores both kept
    busy (CPU seconds per second), one entry per run."""

    def __init__(self) -> None:
        self.server: list[float] = []
        self.pgbench: list[float] = []
        self.busy: list[float] = []

    def median(self) -> tuple[float, float, float]:
        """(server, pgbench, busy) of the run with the median server cost."""
        order = sorted(range(len(self.server)), key=self.server.__getitem__)
        middle = order[(len(order) - 1) // 2]
        return self.server[middle], self.pgbench[middle], self.busy[middle]


def measured_rounds(
    servers: Mapping[str, ServerProcess],
    script: Path,
    seconds: int,
    rounds: int,
    notes: dict[str, str],
) -> tuple[dict[str, list[float]], dict[str, Costs]]:
    """pgbench against every server ``rounds`` times, interleaved: the tps of each run and
    the CPU costs per transaction, by name.  A server that fails is not run again and
    ``notes`` says why."""
    tps: dict[str, list[float]] = {}
    costs: dict[str, Costs] = {}
    for round_number in range(1, rounds + 1):
        for name, server in servers.items():
            if name in notes:
                continue
            print(f"  round {round_number}/{rounds}: {name} ...", flush=True)
            server_before = process_tree_cpu_seconds(server.pid)
            pgbench_before = children_cpu_seconds()
            try:
                rate, transactions = pgbench_counted(server.libpq_env(), script, seconds)
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"  {name}: {error}", flush=True)
                notes[name] = f"failed: {str(error).splitlines()[0][:80]}"
                continue
            server_used = process_tree_cpu_seconds(server.pid) - server_before
            pgbench_used = children_cpu_seconds() - pgbench_before
            cost = costs.setdefault(name, Costs())
            cost.server.append(server_used * 1e6 / transactions)
            cost.pgbench.append(pgbench_used * 1e6 / transactions)
            cost.busy.append((server_used + pgbench_used) / seconds)
            tps.setdefault(name, []).append(rate)
            print(
                f"    {rate:,.0f} tps, CPU per transaction: server {cost.server[-1]:.1f} us, "
                f"pgbench {cost.pgbench[-1]:.1f} us; cores busy {cost.busy[-1]:.2f}",
                flush=True,
            )
    return tps, costs


def run(args: argparse.Namespace) -> None:
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"server_workers: pgbench -M extended -c 10 -j 2 -T {seconds}, {rounds} round(s)")
    notes: dict[str, str] = {}
    with ExitStack() as stack, script_file() as script:
        servers = {}
        for spec in SERVERS:
            if missing := spec.missing():
                notes[spec.name] = missing
                continue
            servers[spec.name] = server = stack.enter_context(our_server(spec))
            pgbench(server.libpq_env(), script, WARMUP_SECONDS)
        tps, costs = measured_rounds(servers, script, seconds, rounds, notes)
    cpu_notes = {}
    for name, cost in costs.items():
        server_us, pgbench_us, busy = cost.median()
        cpu_notes[name] = [
            f"CPU/transaction: server {server_us:.1f} us, pgbench {pgbench_us:.1f} us; "
            f"cores busy {busy:.2f} of {CORES}"
        ]
    results = summarize([spec.name for spec in SERVERS], tps, cpu_notes, unavailable=notes)
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
