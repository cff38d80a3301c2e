"""Run one huge-result scenario in a process of its own and print what it measured.

``python -m tests.client.memory_scenario cursor|stream DSN ROWS`` connects to ``DSN`` with the
client, reads ``ROWS`` rows of about 200 bytes through a row-limited cursor or through
``Connection.stream`` with a slow consumer, and prints one JSON object: the row count, the sum
of the first column, the command tag (stream only) and how much the process's peak resident
size (``VmHWM``, reset through ``/proc/self/clear_refs`` just before the query) grew.

A fresh process is the only place where that peak means something: in the pytest process it
also counts whatever the rest of the test suite (other threads, other reactors, memory its
earlier tests left behind) does while the rows stream.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from twisted.internet import epollreactor

epollreactor.install()

from twisted.internet import reactor as installed_reactor  # noqa: E402
from twisted.internet.defer import Deferred, ensureDeferred  # noqa: E402

from txpostgres_proto.client.connect import connect  # noqa: E402
from txpostgres_proto.protocol.client_rows import Row  # noqa: E402

reactor: Any = installed_reactor
SQL = "SELECT g, repeat('x', 200) AS pad FROM generate_series(1, $1) g"


def peak_rss() -> int:
    """The process's peak resident size in bytes (``VmHWM``)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def reset_peak() -> int:
    """Reset the peak to the current resident size and return it."""
    Path("/proc/self/clear_refs").write_text("5")
    return peak_rss()


async def through_cursor(dsn: str, rows: int) -> dict[str, Any]:
    connection = await connect(reactor, dsn)
    try:
        baseline = reset_peak()
        count = total = 0
        async with connection.cursor(SQL, rows, chunk=5000) as cursor:
            async for row in cursor:
                count += 1
                total += row[0]
        return {"count": count, "total": total, "growth": peak_rss() - baseline}
    finally:
        await connection.close()


async def through_stream(dsn: str, rows: int) -> dict[str, Any]:
    connection = await connect(reactor, dsn)
    try:
        baseline = reset_peak()
        seen = [0, 0]

        def callback(row: Row) -> Deferred[None] | None:
            seen[0] += 1
            seen[1] += row[0]
            if seen[0] % 100_000 == 0:
                # A slow consumer: while it waits, reading stops, and the rest of the result
                # stays on the server instead of piling up here.
                waiter: Deferred[None] = Deferred()
                reactor.callLater(0.5 if seen[0] == 100_000 else 0.01, waiter.callback, None)
                return waiter
            return None

        tag = await connection.stream(SQL, rows, callback=callback)
        return {"count": seen[0], "total": seen[1], "tag": tag, "growth": peak_rss() - baseline}
    finally:
        await connection.close()


SCENARIOS = {"cursor": through_cursor, "stream": through_stream}


def main(argv: list[str]) -> int:
    scenario, dsn, rows = SCENARIOS[argv[1]], argv[2], int(argv[3])
    outcome: list[Any] = []

    def finish(result: Any) -> None:
        outcome.append(result)
        reactor.stop()

    def start() -> None:
        ensureDeferred(scenario(dsn, rows)).addBoth(finish)

    reactor.callWhenRunning(start)
    reactor.run()
    result = outcome[0]
    if not isinstance(result, dict):
        result.printTraceback(file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
