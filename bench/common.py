"""Shared helpers for the benchmarks: a real PostgreSQL to compare with, timing, a ratio table.

Benchmarks compare our implementation with peers (real PostgreSQL, other drivers) on the same
data in the same process tree, and report ratios rather than absolute numbers, which vary from
machine to machine.  The PostgreSQL server is the one the test suite uses (``tests/pgserver.py``),
so run benchmarks from the repository root as modules: ``python -m bench.<name>``.

Each peer measures in a process of its own (`run_worker`: the worker prints its result with
`report_result`), our server runs in a separate process too (`our_server`, which starts
``bench/serve.py``), and every script ends with `print_target_table`: peer, median, ratio to
the baseline peer, the target from the issue, and whether it was met.
"""

from __future__ import annotations

import argparse
import importlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Coroutine, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from tests.pgserver import TRUST_USER, RealPostgres, client_environment, find_bindir
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


def median_seconds(run: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Wall-clock median of ``repeat`` calls of ``run``, after ``warmup`` untimed calls."""
    for _ in range(warmup):
        run()
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def print_ratio_table(
    title: str, seconds: Mapping[str, float], baseline: str | None = None
) -> None:
    """Print peers fastest first with their time and their ratio to ``baseline``.

    ``baseline`` defaults to the fastest peer; a ratio of 2.00 means twice as slow.
    """
    if not seconds:
        raise ValueError("no timings to print")
    reference = seconds[baseline] if baseline is not None else min(seconds.values())
    width = max(len(name) for name in seconds)
    print(f"\n{title}")
    print(f"{'peer':<{width}}  {'median ms':>10}  {'ratio':>7}")
    for name, value in sorted(seconds.items(), key=lambda item: item[1]):
        print(f"{name:<{width}}  {value * 1000:>10.2f}  {value / reference:>7.2f}")


# -- peers in their own processes ---------------------------------------------------------------

#: Workers print one line starting with this marker, followed by their measurement as JSON.
RESULT_MARKER = "BENCH-RESULT "


class WorkerFailed(RuntimeError):
    """A peer's measurement process failed; the message ends with its stderr."""


def report_result(result: Mapping[str, object]) -> None:
    """Print a worker's measurement where `run_worker` finds it (call it once, at the end)."""
    print(RESULT_MARKER + json.dumps(dict(result)), flush=True)


def run_worker(
    module: str,
    *args: str,
    timeout: float = 600.0,
    preexec: Callable[[], None] | None = None,
) -> dict[str, Any]:
    """Run ``python -m module *args`` and return the dict it passed to `report_result`.

    Every peer measures in a process of its own, so no driver shares interpreter state (imports,
    garbage, event loops) with another.  Raises `WorkerFailed` with the worker's stderr when it
    exits with an error or reports nothing.
    """
    argv = [sys.executable, "-m", module, *args]
    try:
        completed = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            preexec_fn=preexec,
            cwd=REPO_ROOT,
        )
    except subprocess.TimeoutExpired as error:
        raise WorkerFailed(f"{module} {' '.join(args)}: timed out after {timeout:.0f} s") from error
    for line in reversed(completed.stdout.splitlines()):
        if line.startswith(RESULT_MARKER):
            if completed.returncode == 0:
                return dict(json.loads(line[len(RESULT_MARKER) :]))
            break
    tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
    raise WorkerFailed(f"{module} {' '.join(args)} exited with {completed.returncode}:\n{tail}")


def measure_peer(
    results: list[PeerResult],
    peer: str,
    module: str,
    params: Mapping[str, object],
    timeout: float = 600.0,
) -> dict[str, Any] | None:
    """Run ``peer``'s worker (``python -m module --worker peer --params JSON``) and append its
    row to ``results``; a failure becomes a row with the reason (and the worker's stderr)."""
    print(f"  measuring {peer} ...", flush=True)
    args = ("--worker", peer, "--params", json.dumps(dict(params)))
    try:
        measured = run_worker(module, *args, timeout=timeout)
    except WorkerFailed as error:
        print(f"  {peer} failed: {error}", file=sys.stderr, flush=True)
        last_line = str(error).strip().splitlines()[-1]
        results.append(PeerResult(peer, None, f"failed: {last_line[:80]}"))
        return None
    results.append(PeerResult(peer, float(measured["value"]), str(measured.get("note", ""))))
    return measured


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


def libpq_conninfo(params: Mapping[str, object]) -> str:
    """A libpq ``key=value`` string from plain values (host, port, user, dbname; no quoting
    needed for the loopback addresses and role names the benchmarks use)."""
    return " ".join(f"{key}={value}" for key, value in params.items())


def worker_parser(doc: str | None) -> argparse.ArgumentParser:
    """`bench_parser` plus the hidden options the parent passes to a peer's worker process:
    ``--worker PEER`` and ``--params JSON`` (connection parameters and sizes)."""
    parser = bench_parser(doc)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--params", type=json.loads, default={}, help=argparse.SUPPRESS)
    return parser


def ours_missing(*modules: str) -> str | None:
    """None when every module imports, else a "not available yet" note naming the first one
    that does not (other parts of the project land while the benchmarks are written)."""
    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            return f"not available yet ({module})"
    return None


# -- the final table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What ``peer`` should achieve: at least ``min_ratio`` times the value of ``baseline``
    (higher is better: rates), or at most ``max_value`` in the table's unit (memory)."""

    peer: str
    min_ratio: float | None = None
    baseline: str | None = None
    max_value: float | None = None

    def describe(self, unit: str) -> str:
        if self.min_ratio is not None:
            return f">= {self.min_ratio:g}x {self.baseline}"
        return f"<= {self.max_value:g} {unit}"

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
    headers = ("peer", f"median {unit}", f"ratio vs {baseline}" if baseline else "ratio")
    headers += ("target", "met", "note")
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
        target_text = "; ".join(target.describe(unit) for target in own)
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


def bench_parser(doc: str | None) -> argparse.ArgumentParser:
    """An argument parser whose help is the module docstring, with ``--quick``."""
    parser = argparse.ArgumentParser(
        description=doc, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="a fast smoke run: less data, fewer repeats"
    )
    return parser


def rss_kb(pid: int) -> int:
    """Resident set size of process ``pid`` in KiB (``VmRSS`` in ``/proc/<pid>/status``)."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for process {pid}")


def raise_open_files_limit(wanted: int) -> int:
    """Raise this process's RLIMIT_NOFILE to at least ``wanted`` if it can; return the limit.

    Raising the hard limit needs privileges (we run as root here); without them the soft limit
    goes up to the hard one.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    if hard != resource.RLIM_INFINITY and hard < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
            return wanted
        except (ValueError, OSError):
            wanted = hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
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

    process: subprocess.Popen[str]
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


@contextmanager
def our_server(*selector: str, open_files: int | None = None) -> Iterator[ServerProcess]:
    """Run our server (``bench/serve.py``) in a separate process while the block runs.

    ``selector`` is ``("--backend", "module:name")`` or ``("--factory-maker", "module:name")``
    (see ``bench/serve.py`` and ``bench/backends.py``).  The server listens on a free loopback
    port it picks itself and says which.  ``open_files`` raises the server's RLIMIT_NOFILE (its
    own, before it listens).  Its stderr goes to a temporary file (a pipe nobody reads could
    fill up and block it), shown when it fails to start.
    """
    argv = [sys.executable, "-m", "bench.serve", *selector]
    if open_files is not None:
        argv += ["--open-files", str(open_files)]
    with tempfile.TemporaryFile("w+", prefix="txpg-bench-server-") as errors:
        process = subprocess.Popen(
            argv, stdout=subprocess.PIPE, stderr=errors, text=True, cwd=REPO_ROOT
        )
        try:
            port = _wait_for_listening(process)
            if port is None:
                errors.seek(0)
                raise RuntimeError(f"our server did not start:\n{errors.read()[-3000:]}")
            yield ServerProcess(process, "127.0.0.1", port)
        finally:
            stop_process(process)
            if process.stdout is not None:
                process.stdout.close()
            errors.seek(0)
            logged = errors.read()
            if logged.strip():
                print(
                    f"  (our server logged {len(logged.splitlines())} lines to stderr; "
                    f"last: {logged.strip().splitlines()[-1][:200]})",
                    file=sys.stderr,
                )


def _wait_for_listening(process: subprocess.Popen[str]) -> int | None:
    """The port from the server's ``LISTENING <port>`` line; None when it exits first."""
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("LISTENING "):
            return int(line.split()[1])
    return None


def load_table(server: RealPostgres, sql: str) -> None:
    """Run setup SQL in the benchmark database as the trust user (the owner of what it creates)."""
    server.psql(sql, user=TRUST_USER)


def trust_dsn(server: RealPostgres) -> str:
    """A libpq connection string for the trust user of ``server`` (no password, no TLS)."""
    return server.dsn(TRUST_USER, sslmode="disable")
