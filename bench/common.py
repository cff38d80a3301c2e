"""Shared helpers for the benchmarks: a real PostgreSQL to compare with, timing, a ratio table.

Benchmarks compare our implementation with peers (real PostgreSQL, other drivers) on the same
data in the same process tree, and report ratios rather than absolute numbers, which vary from
machine to machine.  The PostgreSQL server is the one the test suite uses (``tests/pgserver.py``),
so run benchmarks from the repository root as modules: ``python -m bench.<name>``.

Each peer measures in a process of its own (`run_worker`: the worker prints its result with
`report_result`; `measure_peers` interleaves peers over rounds), our server runs in a separate
process too (`our_server` starts ``python -m txpostgres_proto``), and every script ends with
`print_target_table`: peer, median, ratio to the baseline peer, the target from the issue, and
whether it was met.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import os
import queue
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.pgserver import TRUST_USER, RealPostgres, client_environment, find_bindir, free_port
from tests.pki import make_pki

#: The repository root: workers and servers run from here so ``-m bench.*`` imports work.
REPO_ROOT = Path(__file__).resolve().parent.parent

T = TypeVar("T")


@contextmanager
def real_postgres() -> Iterator[RealPostgres]:
    """Start a throw-away PostgreSQL (roles and database as in the tests); stop it afterwards."""
    bindir = find_bindir()
    if bindir is None:
        raise SystemExit("PostgreSQL server programs not found (initdb, pg_ctl, postgres)")
    with tempfile.TemporaryDirectory(prefix="txpg-bench-pki-") as pki_dir:
        with RealPostgres(bindir, make_pki(Path(pki_dir))) as server:
            yield server


def postgres_env(postgres: RealPostgres) -> dict[str, str]:
    """An environment for libpq programs (pgbench) pointing at ``postgres``'s bench database."""
    return client_environment(
        PGHOST=postgres.host, PGPORT=str(postgres.port), PGUSER=TRUST_USER,
        PGDATABASE=postgres.database, PGSSLMODE="disable",
    )  # fmt: skip


def median_seconds(run: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Wall-clock median of ``repeat`` calls of ``run``, after ``warmup`` untimed calls."""
    return statistics.median(timed_runs(run, repeat, warmup))


# -- peers in their own processes ---------------------------------------------------------------

#: Workers print one line starting with this marker, followed by their measurement as JSON.
RESULT_MARKER = "BENCH-RESULT "


class WorkerFailed(RuntimeError):
    """A peer's measurement process failed; the message ends with its stderr."""


def report_result(result: Mapping[str, object]) -> None:
    """Print a worker's measurement where `run_worker` finds it (call it once, at the end)."""
    print(RESULT_MARKER + json.dumps(dict(result)), flush=True)


def run_worker(
    module: str, *args: str, timeout: float = 600.0, exit_grace: float = 3.0
) -> dict[str, Any]:
    """Run ``python -m module *args`` and return the dict it passed to `report_result`.

    Every peer measures in a process of its own, so no driver shares interpreter state (imports,
    garbage, event loops) with another.  A worker that reported but does not exit within
    ``exit_grace`` seconds is killed, and its result gets a note saying so (a hang while closing
    a connection must not eat the run).  Raises `WorkerFailed` with the end of the worker's
    stderr when it reports nothing, or ``timeout`` seconds pass first.
    """
    argv = [sys.executable, "-m", module, *args]
    with tempfile.TemporaryFile("w+") as errors:
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO_ROOT
        )
        try:
            reported = _wait_for_result(process, timeout)
            if reported is not None:
                try:
                    process.wait(exit_grace)
                except subprocess.TimeoutExpired:
                    _add_note(reported, "worker hung after reporting; killed")
                else:
                    if process.returncode != 0:
                        _add_note(reported, f"worker exited with {process.returncode}")
        finally:
            stop_process(process, grace=2.0)
            if process.stdout is not None:
                process.stdout.close()
        if reported is not None:
            return reported
        errors.seek(0)
        tail = "\n".join(errors.read().strip().splitlines()[-15:])
    status = "timed out" if process.returncode in (-9, -15) else f"exited with {process.returncode}"
    raise WorkerFailed(f"{module} {' '.join(args)} {status}:\n{tail}")


def _wait_for_result(process: subprocess.Popen[str], timeout: float) -> dict[str, Any] | None:
    """The worker's reported dict, read from its stdout by a thread (so a deadline applies)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:
            return None
        if line.startswith(RESULT_MARKER):
            return dict(json.loads(line[len(RESULT_MARKER) :]))
        print(f"    | {line.rstrip()}", flush=True)
    return None


def _add_note(result: dict[str, Any], note: str) -> None:
    result["note"] = f"{result['note']}; {note}" if result.get("note") else note


def measure_peers(
    peers: Mapping[str, Mapping[str, object]],
    module: str,
    rounds: int = 1,
    unavailable: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> list[PeerResult]:
    """Measure every peer ``rounds`` times, interleaved (A B C, A B C ...), and return one row
    per peer with the median over the rounds.

    ``peers`` maps a peer name to its worker's parameters; each measurement is ``python -m
    module --worker PEER --params JSON`` (`run_worker`).  Interleaving spreads the noise of a
    busy machine over all peers instead of letting it hit whichever ran at the wrong moment.
    Peers in ``unavailable`` (peer -> reason) are not run; a peer whose worker fails is not run
    again and its row says why (its stderr is printed).
    """
    unavailable = dict(unavailable or {})
    values: dict[str, list[float]] = {peer: [] for peer in peers}
    notes: dict[str, list[str]] = {peer: [] for peer in peers}
    for round_number in range(1, rounds + 1):
        for peer, params in peers.items():
            if peer in unavailable:
                continue
            print(f"  round {round_number}/{rounds}: {peer} ...", flush=True)
            args = ("--worker", peer, "--params", json.dumps(dict(params)))
            try:
                measured = run_worker(module, *args, timeout=timeout)
            except WorkerFailed as error:
                print(f"  {peer} failed: {error}", file=sys.stderr, flush=True)
                lines = str(error).strip().splitlines()
                unavailable[peer] = f"failed: {lines[-1][:80]}"
                continue
            values[peer].append(float(measured["value"]))
            if (note := str(measured.get("note", ""))) and note not in notes[peer]:
                notes[peer].append(note)
    return summarize(list(peers), values, notes, unavailable)


def summarize(
    peers: Sequence[str],
    values: Mapping[str, Sequence[float]],
    notes: Mapping[str, Sequence[str]] | None = None,
    unavailable: Mapping[str, str] | None = None,
) -> list[PeerResult]:
    """One row per peer: the median of its values over the rounds, the spread when there was
    more than one, its notes, and why it is missing or failed (``unavailable``)."""
    results = []
    for peer in peers:
        measured = values.get(peer, ())
        peer_notes = list((notes or {}).get(peer, ()))
        reason = (unavailable or {}).get(peer)
        if len(measured) > 1:
            low, high = _format_number(min(measured)), _format_number(max(measured))
            peer_notes.insert(0, f"{len(measured)} rounds, {low}..{high}")
        if reason:
            peer_notes.append(reason)
        if not measured:
            results.append(PeerResult(peer, None, "; ".join(peer_notes) or "not measured"))
            continue
        results.append(PeerResult(peer, statistics.median(measured), "; ".join(peer_notes)))
    return results


def timed_runs(run: Callable[[], object], repeat: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of ``repeat`` calls of ``run``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return timings


async def timed_runs_async(
    run: Callable[[], Awaitable[object]], repeat: int, warmup: int = 1
) -> list[float]:
    """`timed_runs` for a function returning an awaitable (coroutine or Deferred)."""
    for _ in range(warmup):
        await run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        await run()
        timings.append(time.perf_counter() - started)
    return timings


def rate_result(timings: Sequence[float], items: int, **extra: object) -> dict[str, object]:
    """A worker's report for a rate: ``items`` per second at the median of ``timings``."""
    median = statistics.median(timings)
    return {"value": items / median, "median_seconds": median, "timings": list(timings), **extra}


def react(main: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """Run the coroutine function ``main(reactor)`` on Twisted's reactor; return its result.

    For workers measuring our client: the reactor starts, ``main`` runs to completion, the
    reactor stops, and ``main``'s exception (if any) is raised here rather than only logged.
    """
    from twisted.internet import task
    from twisted.internet.defer import Deferred

    outcome: dict[str, Any] = {}

    async def capture(reactor: Any) -> None:
        try:
            outcome["value"] = await main(reactor)
        except BaseException as error:  # re-raised below, outside the reactor
            outcome["error"] = error

    try:
        task.react(lambda reactor: Deferred.fromCoroutine(capture(reactor)))
    except SystemExit as stopped:
        if stopped.code not in (0, None):
            raise
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


def with_our_client(params: Mapping[str, Any], work: Callable[[Any], Awaitable[object]]) -> None:
    """In a client worker: connect our client to ``params["dsn"]`` (on the reactor, `react`),
    await ``work(connection)``, then close the connection."""

    async def main(reactor: Any) -> None:
        from txpostgres_proto.client.connect import connect

        connection = await connect(reactor, params["dsn"])
        await work(connection)
        await connection.close()

    react(main)


def with_asyncpg(params: Mapping[str, Any], work: Callable[[Any], Awaitable[object]]) -> None:
    """In a client worker: connect asyncpg with ``params["kwargs"]`` (on a new asyncio loop),
    await ``work(connection)``, then close the connection."""
    import asyncpg

    async def main() -> None:
        connection = await asyncpg.connect(**params["kwargs"])
        await work(connection)
        await connection.close()

    asyncio.run(main())


def worker_parser(doc: str | None) -> argparse.ArgumentParser:
    """`bench_parser` plus the hidden options the parent passes to a peer's worker process:
    ``--worker PEER`` and ``--params JSON`` (connection parameters and sizes)."""
    parser = bench_parser(doc)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--params", type=json.loads, default={}, help=argparse.SUPPRESS)
    return parser


def bench_main(
    parser: argparse.ArgumentParser,
    run: Callable[[argparse.Namespace], None],
    workers: Mapping[str, Callable[[dict[str, Any]], None]] | None = None,
) -> None:
    """A benchmark's ``main``: SIGTERM becomes SystemExit (`exit_on_sigterm`), then with
    ``--worker PEER`` (a `worker_parser` option) that peer of ``workers`` measures with
    ``--params``, otherwise ``run`` runs the whole benchmark."""
    exit_on_sigterm()
    args = parser.parse_args()
    if workers is not None and args.worker:
        workers[args.worker](args.params)
    else:
        run(args)


def measure_client_peers(
    workers: Mapping[str, object], module: str, params: Mapping[str, object], rounds: int
) -> list[PeerResult]:
    """`measure_peers` for client benchmarks: every worker gets the same ``params``, and our
    peers are "not available yet" while our client does not import."""
    missing = ours_missing(list(workers), "txpostgres_proto.client.connect")
    return measure_peers(dict.fromkeys(workers, params), module, rounds, missing)


def ours_missing(peers: Sequence[str], *modules: str) -> dict[str, str]:
    """``{peer: "not available yet (module)"}`` for the peers whose name starts with "ours"
    when one of ``modules`` does not import (parts of the project land while the benchmarks
    are written); empty when they all import."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            note = f"not available yet ({module})"
            return {peer: note for peer in peers if peer.startswith("ours")}
    return {}


# -- the final table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What ``peer`` should achieve: at least ``min_ratio`` times the value of ``baseline``
    (higher is better: rates), or at most ``max_value`` in the table's unit (memory)."""

    peer: str
    min_ratio: float | None = None
    baseline: str | None = None
    max_value: float | None = None

    def describe(self, unit: str, values: Mapping[str, float | None]) -> str:
        """The target, with the ratio achieved when it is against another peer."""
        if self.min_ratio is None:
            return f"<= {self.max_value:g} {unit}"
        text = f">= {self.min_ratio:g}x {self.baseline}"
        value, reference = values.get(self.peer), values.get(self.baseline or "")
        if value is not None and reference:
            text += f" (is {value / reference:.2f}x)"
        return text

    def met(self, values: Mapping[str, float | None]) -> bool | None:
        """Whether the target is met; None when a value it depends on was not measured."""
        value = values.get(self.peer)
        if value is None:
            return None
        if self.min_ratio is not None:
            reference = values.get(self.baseline or "")
            if not reference:
                return None
            return value / reference >= self.min_ratio
        return self.max_value is None or value <= self.max_value


@dataclass(frozen=True)
class PeerResult:
    """One row of a benchmark's final table: the peer's median (None when not measured)."""

    peer: str
    value: float | None
    note: str = ""


def print_target_table(
    title: str,
    unit: str,
    results: Sequence[PeerResult],
    baseline: str | None = None,
    targets: Sequence[Target] = (),
) -> None:
    """Print peer, median value, ratio to ``baseline`` (value / baseline value), target, met.

    Rows keep their order; a peer with several targets lists them all, and meets them all or
    not.  Rows without a value show their note ("not available yet", "failed: ...").
    """
    values = {result.peer: result.value for result in results}
    reference = values.get(baseline) if baseline is not None else None
    ratio_header = f"ratio vs {baseline}" if baseline else "ratio"
    headers = ("peer", f"median {unit}", ratio_header, "target", "met", "note")
    table: list[tuple[str, ...]] = []
    for result in results:
        own = [target for target in targets if target.peer == result.peer]
        value_text = ratio_text = met_text = "-"
        if result.value is not None:
            value_text = _format_number(result.value)
            if reference:
                ratio_text = f"{result.value / reference:.2f}x"
            outcomes = [target.met(values) for target in own]
            if outcomes and None not in outcomes:
                met_text = "yes" if all(outcomes) else "NO"
        target_text = "; ".join(target.describe(unit, values) for target in own)
        table.append((result.peer, value_text, ratio_text, target_text, met_text, result.note))
    widths = [max(len(row[i]) for row in (headers, *table)) for i in range(len(headers))]
    print(f"\n{title}")
    for row in (headers, *table):
        middle = zip(row[1:3], widths[1:3], strict=True)
        cells = [row[0].ljust(widths[0])] + [cell.rjust(width) for cell, width in middle]
        cells += [row[3].ljust(widths[3]), row[4].ljust(widths[4]), row[5]]
        print("  ".join(cells).rstrip())
    sys.stdout.flush()


def _format_number(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


# -- command lines, processes, memory -----------------------------------------------------------


def exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so ``with`` blocks stop the servers a benchmark started
    (call it first thing in a benchmark's main)."""
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser whose help is the module docstring, with ``--quick``."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast smoke run: less data, fewer repeats"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="measure every peer this many times, interleaved (default 3, 1 with --quick)",
    )
    return parser


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """Resident set size of process ``pid`` in KiB, from ``/proc/<pid>/status``: ``VmRSS``
    (now) or ``VmHWM`` (the peak).  Not ``ru_maxrss``: Linux keeps that across ``exec``, so
    a child started from a big parent would report the parent's size."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field} for process {pid}")


def process_tree_cpu_seconds(pid: int) -> float:
    """The CPU time (user + system) process ``pid`` and its running child processes (the
    workers of ``--workers``) have used so far, from ``/proc/<pid>/stat``."""
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
        children = [int(child) for child in listing.read().split()]
    return sum(_cpu_seconds(one) for one in (pid, *children))


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()  # from field 3 on: past the name
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu_seconds() -> float:
    """The CPU time (user + system) of this process's children that have exited and been
    waited for (e.g. every ``subprocess.run`` so far)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def raise_open_files_limit(wanted: int, pid: int = 0) -> int:
    """Raise RLIMIT_NOFILE of process ``pid`` (0: this one) to ``wanted`` if it can; return the
    limit it got.

    Raising the hard limit needs CAP_SYS_RESOURCE, which even root lacks in some containers
    (this machine's hard limit is 20,000); without it the soft limit goes up to the hard one.
    """
    soft, hard = resource.prlimit(pid, resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.prlimit(pid, resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            wanted = hard
    resource.prlimit(pid, resource.RLIMIT_NOFILE, (wanted, hard))
    return wanted


def stop_process(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """Terminate a child we started, killing it if it does not exit within ``grace`` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(grace)


@dataclass(frozen=True)
class ServerProcess:
    """A server we started in its own process (see `our_server`)."""

    process: subprocess.Popen[bytes]
    host: str
    port: int

    @property
    def pid(self) -> int:
        return self.process.pid

    def dsn(self, user: str = "bench", dbname: str = "bench") -> str:
        return f"host={self.host} port={self.port} user={user} dbname={dbname} sslmode=disable"

    def libpq_env(self, user: str = "bench", dbname: str = "bench") -> dict[str, str]:
        """An environment for libpq programs (pgbench) pointing at this server."""
        return client_environment(
            PGHOST=self.host, PGPORT=str(self.port), PGUSER=user, PGDATABASE=dbname,
            PGSSLMODE="disable",
        )  # fmt: skip


@dataclass(frozen=True)
class ServerSpec:
    """One of our servers as a benchmark row.

    ``args`` follow ``python -m <module> --listen tcp:PORT:...``: by default the project's own
    entry point (``python -m txpostgres_proto``, the same options as ``twistd pgproto``), so
    ``("--handler", "bench.backends:SmallQueryHandler")`` or ``()`` for the embedded SQLite
    default.  ``requires`` is the module without which the row says "not available yet".
    """

    name: str
    args: tuple[str, ...] = ()
    requires: str = "txpostgres_proto.tap"
    module: str = "txpostgres_proto"

    def missing(self) -> str | None:
        """None when the server can run, else why not."""
        return ours_missing(["ours"], self.requires).get("ours")

    def command(self, port: int) -> list[str]:
        listen = f"tcp:{port}:interface=127.0.0.1:backlog=1024"
        return [sys.executable, "-m", self.module, "--listen", listen, *self.args]


@contextmanager
def our_server(
    spec: ServerSpec, open_files: int | None = None, stop_grace: float = 10.0
) -> Iterator[ServerProcess]:
    """Run the server ``spec`` describes in a separate process while the block runs.

    It listens on a free loopback port; the block starts once the port accepts connections.
    ``open_files`` raises the server's RLIMIT_NOFILE (``prlimit`` on the child).
    At the end it gets SIGTERM and ``stop_grace`` seconds to exit cleanly (the embedded SQLite
    default deletes its temporary database then) before it is killed.  Its output goes to a
    temporary file (a pipe nobody reads could fill up and block it), shown when it fails to
    start.
    """
    host, port = "127.0.0.1", free_port()
    with tempfile.TemporaryFile(prefix="txpg-bench-server-") as log:
        process = subprocess.Popen(
            spec.command(port), stdout=log, stderr=subprocess.STDOUT, cwd=REPO_ROOT
        )
        try:
            if open_files is not None:
                raise_open_files_limit(open_files, process.pid)
            if not _accepts_connections(process, host, port):
                log.seek(0)
                output = log.read().decode(errors="replace")[-3000:]
                raise RuntimeError(f"{spec.name} did not start ({spec.command(port)}):\n{output}")
            yield ServerProcess(process, host, port)
        finally:
            stop_process(process, stop_grace)


def _accepts_connections(
    process: subprocess.Popen[bytes], host: str, port: int, timeout: float = 60.0
) -> bool:
    """Wait until ``port`` accepts a connection (True) or the process exits first (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            socket.create_connection((host, port), timeout=1.0).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def load_table(server: RealPostgres, sql: str) -> None:
    """Run setup SQL in the benchmark database as the trust user (the owner of what it creates)."""
    server.psql(sql, user=TRUST_USER)


def client_params(server: RealPostgres) -> dict[str, Any]:
    """How client workers reach ``server`` as its trust user (no password, no TLS): ``dsn``, a
    libpq string, and ``kwargs`` for drivers taking keywords (asyncpg, pg8000)."""
    kwargs = {"host": server.host, "port": server.port, "user": TRUST_USER}
    kwargs["database"] = server.database
    return {"dsn": server.dsn(TRUST_USER, sslmode="disable"), "kwargs": kwargs}
