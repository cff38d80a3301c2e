"""Huge results with flat memory: the cursor (row-limited Execute) and stream (TCP backpressure).

A million rows of about 200 bytes would take well over 200 MB if they were all held at once;
the process's peak resident size (``VmHWM``, reset through ``/proc/self/clear_refs``) may grow
by a small fraction of that.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred

from tests.client.conftest import Database, ReactorThread
from txpostgres_proto.protocol.client_rows import Row

ROWS = 1_000_000
SQL = "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, $1) g"
LIMIT = 60 * 1024 * 1024


def peak_rss() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc/self/status")


def reset_peak() -> int:
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss()


def test_cursor_memory_stays_flat(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        baseline = reset_peak()
        count = total = 0
        async with connection.cursor(SQL, ROWS, chunk=5000) as cursor:
            async for row in cursor:
                count += 1
                total += row[0]
        return [count, total, peak_rss() - baseline]

    count, total, growth = run(body, timeout=120)
    assert count == ROWS and total == ROWS * (ROWS + 1) // 2
    assert growth < LIMIT, f"peak memory grew by {growth / 2**20:.0f} MB"


def test_stream_memory_stays_flat(run: ReactorThread, db: Database) -> None:
    async def body() -> list[Any]:
        connection = await db.connect()
        baseline = reset_peak()
        seen = [0, 0]

        def callback(row: Row) -> Deferred[None] | None:
            seen[0] += 1
            seen[1] += row[0]
            if seen[0] % 100_000 == 0:
                # A slow consumer: while it waits, reading stops, and the rest of the result
                # (about 180 MB) stays on the server instead of piling up here.
                waiter: Deferred[None] = Deferred()
                db.reactor.callLater(0.5 if seen[0] == 100_000 else 0.01, waiter.callback, None)
                return waiter
            return None

        tag = await connection.stream(SQL, ROWS, callback=callback)
        return [tag, seen, peak_rss() - baseline]

    tag, (count, total), growth = run(body, timeout=120)
    assert tag == f"SELECT {ROWS}" and count == ROWS and total == ROWS * (ROWS + 1) // 2
    assert growth < LIMIT, f"peak memory grew by {growth / 2**20:.0f} MB"


def test_results_are_freed_without_the_garbage_collector(run: ReactorThread, db: Database) -> None:
    """No reference cycle keeps a finished call's rows alive until a full collection."""

    async def body() -> list[int]:
        connection = await db.connect()
        counts = []
        gc.disable()
        try:
            for _ in range(2):  # first text, then binary results
                rows = await connection.query("SELECT g, 'x' FROM generate_series(1, 10) g")
                await connection.query("SELECT 1")  # the first call is long finished now
                counts.append(sys.getrefcount(rows))
            stream_rows: list[Row] = []
            await connection.stream("SELECT 1", callback=stream_rows.append)
            await connection.executemany("SELECT $1::int", [(1,), (2,)])
            counts.append(sys.getrefcount(stream_rows))
        finally:
            gc.enable()
        return counts

    # The local name and getrefcount's argument: nobody else holds the lists.
    assert run(body) == [2, 2, 2]
