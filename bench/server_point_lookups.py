"""Server benchmark: pgbench's select-only workload (point lookups by primary key), prepared.

What: ``pgbench -S -M prepared -n -c 10 -j 2 -T 10`` — every transaction is ``SELECT abalance
FROM pgbench_accounts WHERE aid = $1`` with a random ``aid``, parsed once per connection and then
only bound and executed — against a real PostgreSQL 15 and against our embedded SQLite default
(``python -m txpostgres_proto --database FILE``, no ``--handler``: real SQL through SQLite, the
lookup served by the primary key index).  Both are loaded first with ``pgbench -i -s 1 -q``
(100,000 accounts; our server takes the data through COPY FROM STDIN like PostgreSQL does), and
the row count is checked on both before measuring.  PostgreSQL uses every core, so our server
also runs as users would run it on a multi-core machine: ``--workers 2`` (a supervisor handing
connections to two worker processes, ``txpostgres_proto/server/workers.py``) sharing one
database file of its own, loaded through the workers the same way.

How: the servers are started and loaded, then each gets one pgbench run per round, rounds
alternating (PostgreSQL, ours, ours --workers 2, PostgreSQL ...); the table shows transactions/s
at the median round and the ratio to PostgreSQL.  pgbench runs on the same two cores, so it
takes CPU from whichever server it drives.  Target (issue 4): ours >= 0.5x PostgreSQL.  Our rows
also note the CPU time (user + system) our server's processes (with ``--workers``: supervisor
and workers together) used per transaction, at the median round: unlike transactions/s it
hardly changes with what else the machine is doing.

``--backend-only`` measures just the part below the backend interface, in this process: the
CPU time (``time.process_time``) one ``SQLiteBackend.execute`` of a point lookup takes, on a
``pgbench_accounts`` table of the same shape and size, the way the server calls it for ``-M
prepared`` (``SELECT abalance FROM pgbench_accounts WHERE aid = $1``, the parameter as the text
the client sent, its type left to the server) and for the simple protocol (the key as a
literal), over one session and over ten sessions taking turns with random keys.

    python -m bench.server_point_lookups [--quick] [--seconds N] [--rounds N] [--scale N]
    python -m bench.server_point_lookups --backend-only [--quick]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import (
    ServerSpec,
    Target,
    bench_main,
    bench_parser,
    our_server,
    postgres_env,
    print_target_table,
    process_tree_cpu_seconds,
    real_postgres,
    summarize,
)

#: The lookup ``pgbench -S`` sends, as the server gives it to the backend (``-M prepared``).
LOOKUP = "SELECT abalance FROM pgbench_accounts WHERE aid = $1"

POSTGRES = "postgresql"
OURS_NAME = "ours embedded SQLite"
OURS_WORKERS_NAME = "ours embedded SQLite --workers 2"
OURS_REQUIRES = "txpostgres_proto.sqlite_backend"
#: pgbench's accounts per unit of scale (``-s``).
ACCOUNTS_PER_SCALE = 100_000
_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.MULTILINE)
_FAILED = re.compile(r"number of failed transactions: (\d+)")
_PROCESSED = re.compile(r"number of transactions actually processed: (\d+)")


def _run(argv: Sequence[str], env: Mapping[str, str], timeout: float) -> str:
    """Run a libpq program; its stdout (raises RuntimeError with its output when it fails)."""
    result = subprocess.run(
        list(argv), env=dict(env), capture_output=True, text=True, timeout=timeout, check=False
    )
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()[-500:]
        raise RuntimeError(f"{argv[0]} failed ({result.returncode}): {output}")
    return result.stdout


def pgbench_load(env: Mapping[str, str], scale: int) -> float:
    """``pgbench -i -s scale -q``, then check the account count; seconds the load took."""
    started = time.perf_counter()
    _run(["pgbench", "-i", "-s", str(scale), "-q"], env, timeout=600)
    elapsed = time.perf_counter() - started
    counted = _run(["psql", "-XtAc", "SELECT count(*) FROM pgbench_accounts"], env, timeout=60)
    if counted.strip() != str(scale * ACCOUNTS_PER_SCALE):
        raise RuntimeError(f"pgbench_accounts has {counted.strip()!r} rows after pgbench -i")
    return elapsed


def pgbench_select_only(env: Mapping[str, str], seconds: int) -> tuple[float, int]:
    """One ``pgbench -S -M prepared`` run with 10 clients: (transactions per second,
    transactions) (raises when pgbench fails or reports a failed transaction)."""
    argv = ["pgbench", "-S", "-M", "prepared", "-n", "-c", "10", "-j", "2", "-T", str(seconds)]
    output = _run(argv, env, timeout=seconds + 120)
    tps = _TPS.search(output)
    processed = _PROCESSED.search(output)
    if tps is None or processed is None:
        raise RuntimeError(f"pgbench printed no tps: {output.strip()[-500:]}")
    failed = _FAILED.search(output)
    if failed is not None and failed.group(1) != "0":
        raise RuntimeError(f"pgbench: {failed.group(1)} failed transactions")
    return float(tps.group(1)), int(processed.group(1))


def alternate_rounds(
    targets: Mapping[str, Mapping[str, str]],
    seconds: int,
    rounds: int,
    notes: dict[str, str],
    cpu: Mapping[str, tuple[int, list[float]]] = {},  # noqa: B006 - read only
) -> dict[str, list[float]]:
    """`pgbench_select_only` against every target (name -> libpq environment) ``rounds`` times,
    alternating: the tps of each run by name.  A target that fails is not run again and
    ``notes`` says why; targets already in ``notes`` are not run.  For a target in ``cpu``
    (name -> (server pid, list)) the list gets the server's CPU microseconds per transaction
    of each run."""
    tps: dict[str, list[float]] = {}
    for round_number in range(1, rounds + 1):
        for name, env in targets.items():
            if name in notes:
                continue
            print(f"  round {round_number}/{rounds}: {name} ...", flush=True)
            pid, per_transaction = cpu.get(name, (0, []))
            try:
                used = process_tree_cpu_seconds(pid) if pid else 0.0
                rate, transactions = pgbench_select_only(env, seconds)
                used = process_tree_cpu_seconds(pid) - used if pid else 0.0
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"  {name}: {error}", flush=True)
                notes[name] = f"failed: {str(error).splitlines()[0][:80]}"
                continue
            tps.setdefault(name, []).append(rate)
            cpu_note = ""
            if pid and transactions:
                per_transaction.append(used * 1e6 / transactions)
                cpu_note = f", server CPU {per_transaction[-1]:.0f} us/transaction"
            print(f"    {rate:,.0f} tps{cpu_note}", flush=True)
    return tps


def load_all(
    targets: dict[str, Mapping[str, str]], scale: int, notes: dict[str, str]
) -> dict[str, Mapping[str, str]]:
    """`pgbench_load` every target; the ones that loaded (a failure goes to ``notes``)."""
    loaded: dict[str, Mapping[str, str]] = {}
    for name, env in targets.items():
        print(f"  loading {name}: pgbench -i -s {scale} -q ...", flush=True)
        try:
            elapsed = pgbench_load(env, scale)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            print(f"  {name}: {error}", flush=True)
            notes[name] = f"load failed: {str(error).splitlines()[0][:80]}"
            continue
        print(f"    loaded in {elapsed:.1f} s", flush=True)
        loaded[name] = env
    return loaded


def backend_microseconds(scale: int, lookups: int) -> dict[str, float]:
    """CPU microseconds per ``SQLiteBackend.execute`` of a point lookup, in this process (the
    module docstring's ``--backend-only``), by way of calling it."""
    from twisted.internet.task import Clock
    from twisted.python.threadpool import ThreadPool

    from txpostgres_proto.catalog import SimpleSession
    from txpostgres_proto.server.backend import QueryResult
    from txpostgres_proto.sqlite.database import SQLiteDatabase
    from txpostgres_proto.sqlite_backend import SQLiteBackend

    accounts = scale * ACCOUNTS_PER_SCALE
    with tempfile.TemporaryDirectory(prefix="txpg-bench-") as scratch:
        database = SQLiteDatabase(str(Path(scratch) / "lookups.sqlite3"))
        loader = SQLiteBackend(database, threaded=False)
        loader.connection_made(SimpleSession())
        loader.execute(
            "CREATE TABLE pgbench_accounts (aid int PRIMARY KEY, bid int, abalance int, "
            "filler char(84))",
            (),
            (),
        )
        loader.execute(
            "INSERT INTO pgbench_accounts SELECT g, 1, 0, '' FROM generate_series(1, $1) AS g",
            (accounts,),
            (),
        )
        loader.connection_lost()
        # Threaded, as the server runs it: reads are answered in the calling thread; the
        # stand-in reactor's thread pool only closes the sessions' connections at the end.
        pool = ThreadPool(minthreads=1, maxthreads=1)
        clock: Any = Clock()
        clock.getThreadPool = lambda: pool
        clock.callFromThread = lambda function, *args: function(*args)
        pool.start()
        sessions = []
        for _ in range(10):
            session = SQLiteBackend(database, threaded=True, reactor=clock)
            session.connection_made(SimpleSession())
            sessions.append(session)
        keys = [str(random.randint(1, accounts)) for _ in range(lookups)]
        simple = "SELECT abalance FROM pgbench_accounts WHERE aid = 123;"

        def per_lookup(call: Callable[[int], object]) -> float:
            for index in range(100):  # translated, prepared, remembered
                call(index)
            started = time.process_time()
            for index in range(lookups):
                call(index)
            return (time.process_time() - started) * 1e6 / lookups

        def answered(result: object) -> object:
            if not isinstance(result, QueryResult) or result.rowcount != 1:
                raise RuntimeError(f"a lookup was not answered at once: {result!r}")
            return result

        one = sessions[0]
        figures = {
            "prepared, one session, aid 123": per_lookup(
                lambda _: answered(one.execute(LOOKUP, ("123",), (0,)))
            ),
            "simple, one session, aid 123": per_lookup(
                lambda _: answered(one.execute(simple, (), ()))
            ),
            "prepared, 10 sessions in turn, random aid": per_lookup(
                lambda i: answered(sessions[i % 10].execute(LOOKUP, (keys[i],), (0,)))
            ),
        }
        for session in sessions:
            session.connection_lost()
        pool.stop()
        database.close()
    return figures


def run_backend_only(args: argparse.Namespace) -> None:
    lookups = 20_000 if args.quick else 200_000
    print(f"server_point_lookups --backend-only: {lookups:,} lookups per figure, in process")
    for name, microseconds in backend_microseconds(args.scale, lookups).items():
        print(f"  {name:45s} {microseconds:6.2f} us CPU per execute")


def run(args: argparse.Namespace) -> None:
    if args.backend_only:
        run_backend_only(args)
        return
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    scale = args.scale
    print(
        f"server_point_lookups: pgbench -S -M prepared -c 10 -j 2 -T {seconds}, scale {scale}, "
        f"{rounds} round(s)"
    )
    notes: dict[str, str] = {}
    with ExitStack() as stack:
        scratch = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="txpg-bench-")))
        postgres = stack.enter_context(real_postgres())
        targets: dict[str, Mapping[str, str]] = {POSTGRES: postgres_env(postgres)}
        cpu: dict[str, tuple[int, list[float]]] = {}
        for name, extra in ((OURS_NAME, ()), (OURS_WORKERS_NAME, ("--workers", "2"))):
            database = scratch / f"bench-{len(targets)}.sqlite3"
            ours = ServerSpec(name, ("--database", str(database), *extra), OURS_REQUIRES)
            if missing := ours.missing():
                notes[name] = missing
                continue
            server = stack.enter_context(our_server(ours))
            targets[name] = server.libpq_env()
            cpu[name] = (server.pid, [])
        tps = alternate_rounds(load_all(targets, scale, notes), seconds, rounds, notes, cpu)
    cpu_notes = {
        name: [f"server CPU {statistics.median(values):.0f} us/transaction"]
        for name, (_, values) in cpu.items()
        if values
    }
    ours_names = [OURS_NAME, OURS_WORKERS_NAME]
    results = summarize([POSTGRES, *ours_names], tps, cpu_notes, unavailable=notes)
    print_target_table(
        f"pgbench -S (point lookups by primary key), -M prepared, 10 clients, scale {scale} "
        "(higher is better)",
        "tps",
        results,
        baseline=POSTGRES,
        targets=[Target(name, min_ratio=0.5, baseline=POSTGRES) for name in ours_names],
    )


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--seconds", type=int, help="pgbench -T per run (default 10, 3 quick)")
    parser.add_argument("--scale", type=int, default=1, help="pgbench -i -s (default 1)")
    parser.add_argument(
        "--backend-only",
        action="store_true",
        help="time the SQLite backend's execute in process instead (module docstring)",
    )
    bench_main(parser, run)


if __name__ == "__main__":
    main()
