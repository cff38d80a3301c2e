"""Proxy benchmark: pgbench -S through our pooling proxy and through pgbouncer, same PostgreSQL.

What: ``pgbench -S -n -c 10 -j 2 -T 10`` (the built-in select-only script: one indexed
``SELECT abalance`` per transaction, simple protocol) against a real PostgreSQL 15, through
Debian's pgbouncer (transaction pooling, ``default_pool_size`` 20, run as the ``postgres`` user
with a generated ini and auth_file in a temporary directory), and through our proxy
(``python -m txpostgres_proto --proxy URL --pool-mode transaction --pool-size 20``; a second
row with ``--workers 2``).  Neither pooler uses TLS upstream (pgbouncer's default; our URL says
``sslmode=disable``); clients authenticate with ``trust`` on both.  A third row has our proxy
multiplex (``--multiplex 16``: short SELECTs of clients arriving together share one upstream
connection, ``txpostgres_proto/proxy/multiplex.py``), which pgbouncer cannot do.

How: the pgbench tables (scale 1) are created directly in PostgreSQL; every target gets an
untimed one-second warm-up run, then one pgbench run per round, rounds interleaved; the table
shows tps at the median round and the ratio to pgbouncer.  pgbench, the pooler and PostgreSQL
share the machine's two cores, so each row also notes the CPU time per transaction (user +
system, median round; the user-mode part in parentheses) of the pooler (all its processes, from
``/proc``), of PostgreSQL (the postmaster and its backends) and of pgbench (its rusage): without
multiplexing the two poolers make the same syscalls, so the user-mode part is where they differ.
Unlike tps, these figures hardly move when other jobs load the machine, and their sum bounds
the tps the two cores allow.
Target (issue 5): our proxy >= 1.0x pgbouncer.

    python -m bench.proxy_vs_pgbouncer [--quick] [--seconds N] [--rounds N]
"""

from __future__ import annotations

import argparse
import os
import pwd
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path

from bench.common import (
    ServerProcess,
    ServerSpec,
    Target,
    _accepts_connections,
    bench_parser,
    exit_on_sigterm,
    our_server,
    postgres_env,
    print_target_table,
    real_postgres,
    stop_process,
    summarize,
)
from tests.pgserver import TRUST_USER, RealPostgres, client_environment, free_port

PGBOUNCER = "pgbouncer"
PGBOUNCER_PROGRAM = "/usr/sbin/pgbouncer"
POOL_SIZE = 20
OURS = "ours proxy"
OURS_WORKERS = "ours proxy --workers 2"
MULTIPLEX_DEPTH = 16
OURS_MULTIPLEX = f"ours proxy --multiplex {MULTIPLEX_DEPTH}"
_TPS = re.compile(r"^tps = ([\d.]+) \(without initial connection time\)", re.MULTILINE)
#: Suffix of the user-mode share of a process's CPU time in the per-transaction figures.
_USER = " user"
_PROCESSED = re.compile(r"^number of transactions actually processed: (\d+)", re.MULTILINE)


def process_tree_cpu(pid: int) -> tuple[float, float]:
    """CPU seconds (user, system) used so far by process ``pid`` and all its descendants
    (pgbouncer runs under ``runuser``; our ``--workers`` server is a supervisor and workers)."""
    user = system = 0.0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            with open(f"/proc/{current}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()  # from field 3 on: past the name
            with open(f"/proc/{current}/task/{current}/children", encoding="ascii") as children:
                pending += [int(child) for child in children.read().split()]
        except FileNotFoundError:  # it exited meanwhile
            continue
        user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
        system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
    return user, system


def _children_cpu() -> float:
    """CPU seconds used by this process's children that have been waited for."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def postmaster_pid(postgres: RealPostgres) -> int:
    """The process id of ``postgres``'s postmaster (its backends are its children)."""
    return int((postgres.data_dir / "postmaster.pid").read_text(encoding="ascii").split()[0])


def pgbench_select_only(
    env: Mapping[str, str], seconds: int, pids: Mapping[str, int]
) -> tuple[float, dict[str, float]]:
    """One ``pgbench -S`` run: (transactions per second, CPU microseconds per transaction
    used by each process tree of ``pids`` and by pgbench itself, plus the user-mode part of
    each tree's as ``"<name> user"``); raises if any transaction failed."""
    argv = ["pgbench", "-S", "-n", "-c", "10", "-j", "2", "-T", str(seconds)]
    before = {name: process_tree_cpu(pid) for name, pid in pids.items()}
    pgbench_before = _children_cpu()
    result = subprocess.run(
        argv, env=dict(env), capture_output=True, text=True, timeout=seconds + 120, check=False
    )
    cpu: dict[str, float] = {}
    for name, pid in pids.items():
        user, system = process_tree_cpu(pid)
        cpu[name] = user + system - sum(before[name])
        cpu[f"{name}{_USER}"] = user - before[name][0]
    cpu["pgbench"] = _children_cpu() - pgbench_before
    tps = _TPS.search(result.stdout)
    processed = _PROCESSED.search(result.stdout)
    if (
        result.returncode != 0
        or tps is None
        or processed is None
        or "failed transactions: 0 " not in result.stdout
    ):
        output = (result.stdout + result.stderr).strip()[-500:]
        raise RuntimeError(f"pgbench failed ({result.returncode}): {output}")
    transactions = int(processed.group(1))
    return float(tps.group(1)), {name: used / transactions * 1e6 for name, used in cpu.items()}


@contextmanager
def pgbouncer(postgres: RealPostgres) -> Iterator[ServerProcess]:
    """pgbouncer in transaction pooling mode in front of ``postgres``, on a free port."""
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="txpg-bench-pgbouncer-") as scratch:
        directory = Path(scratch)
        (directory / "users.txt").write_text(f'"{TRUST_USER}" ""\n', encoding="utf-8")
        ini = directory / "pgbouncer.ini"
        ini.write_text(
            "[databases]\n"
            f"{postgres.database} = host={postgres.host} port={postgres.port} "
            f"dbname={postgres.database} user={TRUST_USER}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
            f"auth_type = trust\nauth_file = {directory / 'users.txt'}\n"
            f"pool_mode = transaction\ndefault_pool_size = {POOL_SIZE}\n"
            "max_client_conn = 200\n",
            encoding="utf-8",
        )
        argv = [PGBOUNCER_PROGRAM, str(ini)]
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            owner = pwd.getpwnam("postgres")
            for path in (directory, *directory.iterdir()):
                os.chown(path, owner.pw_uid, owner.pw_gid)
            argv = ["runuser", "-u", "postgres", "--", *argv]
        process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            if not _accepts_connections(process, "127.0.0.1", port):
                raise RuntimeError("pgbouncer did not start")
            yield ServerProcess(process, "127.0.0.1", port)
        finally:
            stop_process(process)


def _env(server: ServerProcess, postgres: RealPostgres) -> Mapping[str, str]:
    return client_environment(
        PGHOST=server.host, PGPORT=str(server.port), PGUSER=TRUST_USER,
        PGDATABASE=postgres.database, PGSSLMODE="disable",
    )  # fmt: skip


def run(args: argparse.Namespace) -> None:
    seconds = args.seconds or (3 if args.quick else 10)
    rounds = args.rounds or (1 if args.quick else 3)
    print(f"proxy_vs_pgbouncer: pgbench -S -n -c 10 -j 2 -T {seconds}, {rounds} round(s)")
    notes: dict[str, str] = {}
    tps: dict[str, list[float]] = {}
    cpu: dict[str, dict[str, list[float]]] = {}
    with ExitStack() as stack:
        postgres = stack.enter_context(real_postgres())
        subprocess.run(
            ["pgbench", "-i", "-s", "1", "-q"],
            env=postgres_env(postgres),
            check=True, capture_output=True,
        )  # fmt: skip
        upstream = postgres.uri(TRUST_USER, sslmode="disable")
        postmaster = postmaster_pid(postgres)
        proxy_args = ("--proxy", upstream, "--pool-mode", "transaction")
        targets: dict[str, tuple[Mapping[str, str], int]] = {}
        if shutil.which(PGBOUNCER_PROGRAM):
            bouncer = stack.enter_context(pgbouncer(postgres))
            targets[PGBOUNCER] = (_env(bouncer, postgres), bouncer.pid)
        else:
            notes[PGBOUNCER] = f"{PGBOUNCER_PROGRAM} not installed"
        for name, extra in (
            (OURS, ("--pool-size", str(POOL_SIZE))),
            (OURS_MULTIPLEX, ("--pool-size", str(POOL_SIZE), "--multiplex", str(MULTIPLEX_DEPTH))),
            (OURS_WORKERS, ("--workers", "2", "--pool-size", str(POOL_SIZE // 2))),
        ):
            spec = ServerSpec(name, (*proxy_args, *extra), "txpostgres_proto.proxy")
            if missing := spec.missing():
                notes[name] = missing
                continue
            server = stack.enter_context(our_server(spec))
            targets[name] = (_env(server, postgres), server.pid)
        # A short untimed run per target first: a --workers proxy's workers are still
        # importing when its supervisor starts listening, and that CPU must not land in the
        # first timed round of another target.
        for env, _ in targets.values():
            subprocess.run(
                ["pgbench", "-S", "-n", "-c", "10", "-j", "2", "-T", "1"],
                env=dict(env), capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        for round_number in range(1, rounds + 1):
            for name, (env, pid) in targets.items():
                print(f"  round {round_number}/{rounds}: {name} ...", flush=True)
                try:
                    rate, per_transaction = pgbench_select_only(
                        env, seconds, {"pooler": pid, "PostgreSQL": postmaster}
                    )
                except (RuntimeError, subprocess.TimeoutExpired) as error:
                    print(f"  {name}: {error}", flush=True)
                    notes[name] = f"failed: {str(error).splitlines()[0][:80]}"
                    continue
                print(f"    {rate:,.0f} tps, CPU per transaction: {_cpu_text(per_transaction)}")
                tps.setdefault(name, []).append(rate)
                for process, used in per_transaction.items():
                    cpu.setdefault(name, {}).setdefault(process, []).append(used)
    cpu_notes = {
        name: [
            "CPU "
            + _cpu_text({process: statistics.median(used) for process, used in values.items()})
        ]
        for name, values in cpu.items()
    }
    peers = [PGBOUNCER, OURS, OURS_MULTIPLEX, OURS_WORKERS]
    results = summarize(peers, tps, cpu_notes, unavailable=notes)
    print_target_table(
        "pgbench -S (select only), 10 clients, transaction pooling (higher is better)",
        "tps",
        results,
        baseline=PGBOUNCER,
        targets=[Target(name, min_ratio=1.0, baseline=PGBOUNCER) for name in peers[1:]],
    )


def _cpu_text(per_transaction: Mapping[str, float]) -> str:
    """``pooler 19.1 (user 5.2) + PostgreSQL 24.0 (user 9.8) + pgbench 10.2 = 53.3
    us/transaction``: the user-mode part shows what the syscalls (equal for both poolers)
    leave to the pooler's own code."""
    parts, total = [], 0.0
    for name, used in per_transaction.items():
        if name.endswith(_USER):
            continue
        user = per_transaction.get(f"{name}{_USER}")
        parts.append(f"{name} {used:.1f}" + (f" (user {user:.1f})" if user is not None else ""))
        total += used
    return f"{' + '.join(parts)} = {total:.1f} us/transaction"


def main() -> None:
    exit_on_sigterm()
    parser = bench_parser(__doc__)
    parser.add_argument("--seconds", type=int, help="pgbench -T per run (default 10)")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
