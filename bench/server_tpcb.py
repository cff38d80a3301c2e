"""Server benchmark: pgbench's default TPC-B-like transaction, one and ten clients.

What: ``pgbench -n -c 1 -T N`` and ``pgbench -n -c 10 -j 2 -T N``, each with ``-M simple`` and
``-M prepared``, running pgbench's built-in script: ``BEGIN``; ``UPDATE pgbench_accounts``
by ``aid``; ``SELECT abalance`` of that account; ``UPDATE pgbench_tellers`` by ``tid``;
``UPDATE pgbench_branches`` by ``bid``; ``INSERT INTO pgbench_history ... VALUES``; ``END`` —
against a real PostgreSQL 15 and against our embedded SQLite default (``python -m
txpostgres_proto --database FILE``, no ``--handler``).  Both are loaded first with ``pgbench -i
-s 1 -q`` (the account count is checked, as in ``server_point_lookups.py``).  With scale 1
there is one branch, so every transaction updates the same ``pgbench_branches`` row: writers
queue behind each other on both sides (PostgreSQL on the row lock, SQLite on its one write
lock).

Durability is not the same on both sides, and neither side fsyncs at COMMIT:

* PostgreSQL runs as the test suite starts it (``tests/pgserver.py``): ``fsync=off`` and
  ``synchronous_commit=off``, so a COMMIT returns before its WAL is written out, and a crash of
  the machine can lose or corrupt recent transactions;
* ours runs as users run it: SQLite in WAL mode with ``synchronous=NORMAL``
  (``sqlite/database.py``): a COMMIT has written its pages to the WAL file (the operating
  system's cache) before it returns, so it survives a crash of the server process, but is only
  fsynced at checkpoints: a power loss may lose the last transactions, never the database's
  consistency.

How: the servers are started and loaded, then for each configuration (clients, protocol) every
target gets one pgbench run per round, rounds alternating; the table shows transactions/s at
the median round and the ratio to PostgreSQL.  pgbench runs on the same cores, so it takes CPU
from whichever server it drives.  Our rows also note the CPU time (user + system) our server
process used per transaction at the median round: unlike transactions/s it hardly changes with
what else the machine is doing.  At the end the balances of accounts, tellers and branches
and the deltas of the history must add up to the same total on every server (each
transaction applied whole or not at all).

    python -m bench.server_tpcb [--quick] [--seconds N] [--rounds N] [--scale N]
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
from collections.abc import Mapping
from contextlib import ExitStack
from pathlib import Path

from bench.common import (
    ServerSpec,
    bench_main,
    bench_parser,
    our_server,
    postgres_env,
    print_target_table,
    process_tree_cpu_seconds,
    real_postgres,
    summarize,
)
from bench.server_point_lookups import load_all

POSTGRES = "postgresql"
OURS_NAME = "ours embedded SQLite"
OURS_REQUIRES = "txpostgres_proto.sqlite_backend"
#: (clients, pgbench threads) of each configuration.
CLIENTS = ((1, 1), (10, 2))
PROTOCOLS = ("simple", "prepared")
_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.MULTILINE)
_PROCESSED = re.compile(r"number of transactions actually processed: (\d+)")
_FAILED = re.compile(r"number of failed transactions: (\d+)")


def pgbench_tpcb(
    env: Mapping[str, str], clients: int, threads: int, protocol: str, seconds: int
) -> tuple[float, int]:
    """One run of pgbench's default script: (transactions per second, transactions); raises
    RuntimeError when pgbench fails or reports a failed transaction."""
    argv = ["pgbench", "-n", "-M", protocol, "-c", str(clients), "-j", str(threads)]
    argv += ["-T", str(seconds)]
    result = subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    output = result.stdout + result.stderr
    tps, processed = _TPS.search(output), _PROCESSED.search(output)
    if result.returncode != 0 or tps is None or processed is None:
        raise RuntimeError(f"pgbench failed ({result.returncode}): {output.strip()[-500:]}")
    failed = _FAILED.search(output)
    if failed is not None and failed.group(1) != "0":
        raise RuntimeError(f"pgbench: {failed.group(1)} failed transactions")
    return float(tps.group(1)), int(processed.group(1))


#: After any number of complete TPC-B transactions the four sums are equal.
_BALANCES = (
    "SELECT (SELECT sum(abalance) FROM pgbench_accounts), "
    "(SELECT sum(tbalance) FROM pgbench_tellers), (SELECT sum(bbalance) FROM pgbench_branches), "
    "(SELECT coalesce(sum(delta), 0) FROM pgbench_history), (SELECT count(*) FROM pgbench_history)"
)


def check_balances(env: Mapping[str, str]) -> str:
    """Whether every transaction was applied whole: accounts, tellers, branches and history
    must add up to the same total (raises RuntimeError when they do not)."""
    result = subprocess.run(
        ["psql", "-XtAc", _BALANCES], env=dict(env), capture_output=True, text=True, timeout=60
    )
    values = result.stdout.strip().split("|")
    if result.returncode != 0 or len(values) != 5 or len(set(values[:4])) != 1:
        raise RuntimeError(f"balances do not add up: {(result.stdout + result.stderr).strip()}")
    return f"{values[4]} transactions in pgbench_history, all balances add up to {values[0]}"


def measure(
    targets: Mapping[str, Mapping[str, str]],
    cpu_of: Mapping[str, int],
    seconds: int,
    rounds: int,
    notes: dict[str, str],
) -> None:
    """Every configuration against every target, rounds alternating; prints one table per
    configuration.  ``cpu_of``: the server pid of targets whose CPU time is noted."""
    for clients, threads in CLIENTS:
        for protocol in PROTOCOLS:
            label = f"{clients} client(s), -M {protocol}"
            tps: dict[str, list[float]] = {}
            cpu: dict[str, list[float]] = {}
            failed: dict[str, str] = dict(notes)
            for round_number in range(1, rounds + 1):
                for name, env in targets.items():
                    if name in failed:
                        continue
                    print(f"  {label}, round {round_number}/{rounds}: {name} ...", flush=True)
                    pid = cpu_of.get(name, 0)
                    try:
                        used = process_tree_cpu_seconds(pid) if pid else 0.0
                        rate, count = pgbench_tpcb(env, clients, threads, protocol, seconds)
                        used = process_tree_cpu_seconds(pid) - used if pid else 0.0
                    except (RuntimeError, subprocess.TimeoutExpired) as error:
                        print(f"  {name}: {error}", flush=True)
                        failed[name] = f"failed: {str(error).splitlines()[0][:80]}"
                        continue
                    tps.setdefault(name, []).append(rate)
                    cpu_note = ""
                    if pid and count:
                        cpu.setdefault(name, []).append(used * 1e6 / count)
                        cpu_note = f", server CPU {cpu[name][-1]:.0f} us/transaction"
                    print(f"    {rate:,.0f} tps{cpu_note}", flush=True)
            cpu_notes = {
                name: [f"server CPU {statistics.median(values):.0f} us/transaction"]
                for name, values in cpu.items()
            }
            results = summarize(list(targets), tps, cpu_notes, unavailable=failed)
            print_target_table(
                f"pgbench TPC-B-like, {label}, scale 1 (higher is better)",
                "tps",
                results,
                baseline=POSTGRES,
            )


def run(args: argparse.Namespace) -> None:
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"server_tpcb: pgbench (TPC-B-like) -T {seconds}, scale {args.scale}, {rounds} round(s)")
    notes: dict[str, str] = {}
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="txpg-bench-")))
        postgres = stack.enter_context(real_postgres())
        targets: dict[str, Mapping[str, str]] = {POSTGRES: postgres_env(postgres)}
        cpu_of: dict[str, int] = {}
        ours = ServerSpec(OURS_NAME, ("--database", str(scratch / "tpcb.sqlite3")), OURS_REQUIRES)
        if missing := ours.missing():
            notes[OURS_NAME] = missing
        else:
            server = stack.enter_context(our_server(ours))
            targets[OURS_NAME] = server.libpq_env()
            cpu_of[OURS_NAME] = server.pid
        loaded = load_all(targets, args.scale, notes)
        measure(loaded, cpu_of, seconds, rounds, notes)
        for name, env in loaded.items():
            print(f"  {name}: {check_balances(env)}", flush=True)


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--seconds", type=int, help="pgbench -T per run (default 10, 3 quick)")
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i -s (default 1)")
    bench_main(parser, run)


if __name__ == "__main__":
    main()
