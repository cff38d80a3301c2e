"""Huge results with flat memory: the cursor (row-limited Execute) and stream (TCP backpressure).

A million rows of about 200 bytes would take well over 200 MB if they were all held at once;
the peak resident size (``VmHWM``, reset through ``/proc/self/clear_refs``) may grow by a small
fraction of that.  Each scenario runs in a fresh Python process (``memory_scenario.py``): the
peak of the pytest process would also count what the rest of the suite does meanwhile.
"""

from __future__ import annotations

import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.client.conftest import Database, ReactorThread
from tests.pgserver import TRUST_USER, RealPostgres
from txpostgres_proto.protocol.client_rows import Row

ROWS = 1_000_000
LIMIT = 60 * 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def run_scenario(server: RealPostgres, scenario: str) -> dict[str, Any]:
    """Run ``memory_scenario.py`` for ``scenario`` against ``server``; its JSON result."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.client.memory_scenario", scenario]
        + [server.dsn(TRUST_USER), str(ROWS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_cursor_memory_stays_flat(real_postgres: RealPostgres) -> None:
    result = run_scenario(real_postgres, "cursor")
    assert result["count"] == ROWS and result["total"] == ROWS * (ROWS + 1) // 2
    growth = result["growth"]
    assert isinstance(growth, int) and growth < LIMIT, (
        f"peak memory grew by {growth / 2**20:.0f} MB"
    )


def test_stream_memory_stays_flat(real_postgres: RealPostgres) -> None:
    result = run_scenario(real_postgres, "stream")
    assert result["tag"] == f"SELECT {ROWS}"
    assert result["count"] == ROWS and result["total"] == ROWS * (ROWS + 1) // 2
    growth = result["growth"]
    assert isinstance(growth, int) and growth < LIMIT, (
        f"peak memory grew by {growth / 2**20:.0f} MB"
    )


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
