"""Shared helpers for the benchmarks: a real PostgreSQL to compare with, timing, a ratio table.

Benchmarks compare our implementation with peers (real PostgreSQL, other drivers) on the same
data in the same process tree, and report ratios rather than absolute numbers, which vary from
machine to machine.  The PostgreSQL server is the one the test suite uses (``tests/pgserver.py``),
so run benchmarks from the repository root as modules: ``python -m bench.<name>``.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from tests.pgserver import RealPostgres, find_bindir
from tests.pki import make_pki


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
