"""Server benchmark: pgbench running a tiny query, against PostgreSQL and against our server.

What: ``pgbench -n -M extended -c 10 -j 2 -T 10`` with a custom script ``\\set aid random(1,
100000)`` / ``SELECT :aid;`` — in extended mode that is Parse/Bind/Describe/Execute/Sync of
``SELECT $1`` per transaction, which our servers answer without the catalog.  Servers: a real
PostgreSQL 15; our server with a raw `QueryBackend` (protocol cost only), with a
`PostgresRequestHandler` subclass (the seed API: statement parsing and result normalising
included), and the embedded SQLite default (real SQL through SQLite) when it exists — see
``bench/backends.py``.  Our servers run as separate processes, started the way users start
them: ``python -m txpostgres_proto --handler ...`` (the options of ``twistd pgproto``; no
``--handler`` for the SQLite default), one Python process each, except the ``--workers 2`` row:
PostgreSQL uses every core, so that row runs the raw `QueryBackend` in two worker processes
behind a supervisor (``txpostgres_proto/server/workers.py``), as users would on a multi-core
machine.

How: all servers are started first; then every server gets one pgbench run per round, rounds
interleaved; the table shows transactions/s at the median round and the ratio to PostgreSQL.
pgbench runs on the same two cores, so it takes CPU from whichever server it drives.  Target
(issue): ours >= 0.7x PostgreSQL.

    python -m bench.server_small_queries [--quick] [--seconds N] [--rounds N]
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.common import (
    ServerSpec,
    Target,
    bench_main,
    bench_parser,
    our_server,
    postgres_env,
    print_target_table,
    real_postgres,
    summarize,
)

SCRIPT = "\\set aid random(1, 100000)\nSELECT :aid;\n"
POSTGRES = "postgresql"
#: Our servers under test (backends in bench/backends.py).
OUR_SERVERS = (
    ServerSpec("ours QueryBackend", ("--handler", "bench.backends:SmallQueryBackend")),
    ServerSpec(
        "ours QueryBackend --workers 2",
        ("--handler", "bench.backends:SmallQueryBackend", "--workers", "2"),
    ),
    ServerSpec("ours PostgresRequestHandler", ("--handler", "bench.backends:SmallQueryHandler")),
    ServerSpec("ours embedded SQLite", (), "txpostgres_proto.sqlite_backend"),
)
_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.MULTILINE)
_FAILED = re.compile(r"number of failed transactions: (\d+)")
_PROCESSED = re.compile(r"number of transactions actually processed: (\d+)")


def pgbench(env: Mapping[str, str], script: Path, seconds: int) -> float:
    """Run pgbench once; transactions per second (raises when it fails or a transaction does)."""
    return pgbench_counted(env, script, seconds)[0]


def pgbench_counted(env: Mapping[str, str], script: Path, seconds: int) -> tuple[float, int]:
    """Run pgbench once: (transactions per second, transactions processed); raises when it
    fails or a transaction does."""
    argv = ["pgbench", "-n", "-M", "extended", "-c", "10", "-j", "2", "-T", str(seconds)]
    argv += ["-f", str(script)]
    result = subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    output = result.stdout + result.stderr
    tps = _TPS.search(result.stdout)
    processed = _PROCESSED.search(result.stdout)
    if result.returncode != 0 or tps is None or processed is None:
        raise RuntimeError(f"pgbench failed ({result.returncode}): {output.strip()[-500:]}")
    failed = _FAILED.search(result.stdout)
    if failed is not None and failed.group(1) != "0":
        raise RuntimeError(f"pgbench: {failed.group(1)} failed transactions")
    return float(tps.group(1)), int(processed.group(1))


@contextmanager
def script_file() -> Iterator[Path]:
    """`SCRIPT` in a temporary file, for ``pgbench -f``."""
    with tempfile.TemporaryDirectory(prefix="txpg-bench-") as scratch:
        script = Path(scratch) / "select_param.sql"
        script.write_text(SCRIPT, encoding="utf-8")
        yield script


def pgbench_rounds(
    targets: Mapping[str, Mapping[str, str]],
    script: Path,
    seconds: int,
    rounds: int,
    notes: dict[str, str],
) -> dict[str, list[float]]:
    """`pgbench` against every target (name -> libpq environment) ``rounds`` times,
    interleaved: the tps of each run by name.  A target that fails is not run again and
    ``notes`` says why; targets already in ``notes`` are not run."""
    tps: dict[str, list[float]] = {}
    for round_number in range(1, rounds + 1):
        for name, env in targets.items():
            if name in notes:
                continue
            print(f"  round {round_number}/{rounds}: {name} ...", flush=True)
            try:
                tps.setdefault(name, []).append(pgbench(env, script, seconds))
            except (RuntimeError, subprocess.TimeoutExpired) as error:
                print(f"  {name}: {error}", flush=True)
                notes[name] = f"failed: {str(error).splitlines()[0][:80]}"
    return tps


def run(args: argparse.Namespace) -> None:
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"server_small_queries: pgbench -M extended -c 10 -j 2 -T {seconds}, {rounds} round(s)")
    notes: dict[str, str] = {}
    with ExitStack() as stack, script_file() as script:
        postgres = stack.enter_context(real_postgres())
        targets = {POSTGRES: postgres_env(postgres)}
        for spec in OUR_SERVERS:
            if missing := spec.missing():
                notes[spec.name] = missing
                continue
            targets[spec.name] = stack.enter_context(our_server(spec)).libpq_env()
        tps = pgbench_rounds(targets, script, seconds, rounds, notes)
    names = [POSTGRES, *(spec.name for spec in OUR_SERVERS)]
    results = summarize(names, tps, unavailable=notes)
    print_target_table(
        "pgbench SELECT :aid, extended protocol, 10 clients (higher is better)",
        "tps",
        results,
        baseline=POSTGRES,
        targets=[Target(spec.name, min_ratio=0.7, baseline=POSTGRES) for spec in OUR_SERVERS],
    )


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--seconds", type=int, help="pgbench -T per run (default 10)")
    bench_main(parser, run)


if __name__ == "__main__":
    main()
