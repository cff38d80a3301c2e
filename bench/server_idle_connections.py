"""Server benchmark: memory per idle connection held by one server process.

What: N (default 10,000) plain TCP connections to one server process, each completing startup
(StartupMessage, trust authentication, ParameterStatus, BackendKeyData, ReadyForQuery) and then
staying idle.  Servers: our server with a raw `QueryBackend`, with a `PostgresRequestHandler`
subclass (each connection gets its catalog emulation), and the embedded SQLite default when it
exists; and, as the floor, a bare Twisted protocol that answers the startup packet with two
canned messages (``bench/bare_server.py``).  PostgreSQL itself forks a process per connection,
so it is no peer here.

How: the server process is started with a raised open-files limit (as is this one); first a
warm-up of connections is opened and closed, so one-time allocations (imports, caches, memory
pools) are done; then the server's RSS (``VmRSS`` from ``/proc/<pid>/status``) is read, N
connections are opened in batches (connect, send startup, read to ReadyForQuery), the RSS is
read again, and a few of the connections run ``SELECT 1`` to show they are alive.  The value is
(RSS after - RSS before) / N.  Target (issue): <= 20 KB per connection.

    python -m bench.server_idle_connections [--quick] [--count N] [--rounds N]
"""

from __future__ import annotations

import argparse
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager

from bench.common import (
    ServerSpec,
    Target,
    bench_main,
    bench_parser,
    our_server,
    print_target_table,
    raise_open_files_limit,
    rss_kb,
    summarize,
)

FLOOR = "twisted bare protocol (floor)"
SERVERS = (
    ServerSpec(FLOOR, module="bench.bare_server", requires="twisted"),
    ServerSpec("ours QueryBackend", ("--handler", "bench.backends:SmallQueryBackend")),
    ServerSpec("ours PostgresRequestHandler", ("--handler", "bench.backends:SmallQueryHandler")),
    ServerSpec("ours embedded SQLite", (), "txpostgres_proto.sqlite_backend"),
)
BATCH = 100
#: File descriptors the server may need per connection: the socket, plus (embedded SQLite
#: default) the database file, its WAL and its shared-memory file of the session's own SQLite
#: connection.  The server's limit is raised that far, capped by the hard limit.
SERVER_FDS_PER_CONNECTION = 4
_HEADER = struct.Struct("!cI")
_STARTUP_BODY = b"".join(
    (struct.pack("!I", 196608), b"user\0bench\0database\0bench\0application_name\0idle\0\0")
)
STARTUP = struct.pack("!I", 4 + len(_STARTUP_BODY)) + _STARTUP_BODY
SELECT_ONE = b"Q" + struct.pack("!I", 4 + 9) + b"SELECT 1\0"


def read_until_ready(sock: socket.socket) -> list[bytes]:
    """Read backend messages up to and including ReadyForQuery; return their type bytes.

    Raises when the server sends an ErrorResponse or closes the connection.
    """
    buffer = b""
    types: list[bytes] = []
    while True:
        while len(buffer) >= 5:
            kind, length = _HEADER.unpack_from(buffer)
            if len(buffer) < 1 + length:
                break
            body, buffer = buffer[5 : 1 + length], buffer[1 + length :]
            types.append(kind)
            if kind == b"E":
                raise RuntimeError(f"server error: {body!r}")
            if kind == b"Z":
                return types
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("server closed the connection")
        buffer += chunk


def open_connections(port: int, count: int) -> list[socket.socket]:
    """``count`` connections through startup, ``BATCH`` at a time (all connect and send their
    startup packet, then each reads its answer)."""
    opened: list[socket.socket] = []
    ready = 0
    try:
        while len(opened) < count:
            batch = []
            for _ in range(min(BATCH, count - len(opened))):
                sock = socket.create_connection(("127.0.0.1", port), timeout=60)
                batch.append(sock)
                opened.append(sock)
                sock.sendall(STARTUP)
            for sock in batch:
                read_until_ready(sock)
                ready += 1
    except (OSError, RuntimeError) as error:
        close_all(opened)
        raise RuntimeError(f"after {ready:,} connections: {error}") from error
    except BaseException:
        close_all(opened)
        raise
    return opened


def close_all(sockets: list[socket.socket]) -> None:
    for sock in sockets:
        sock.close()


@contextmanager
def connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    opened = open_connections(port, count)
    try:
        yield opened
    finally:
        close_all(opened)


def settle(pid: int, seconds: float = 1.0) -> int:
    """The server's RSS after it had ``seconds`` to finish what it was doing."""
    time.sleep(seconds)
    return rss_kb(pid)


def measure(spec: ServerSpec, count: int, warmup: int) -> tuple[float, str]:
    """(KB per connection, note) for one server process holding ``count`` connections."""
    with our_server(spec, SERVER_FDS_PER_CONNECTION * count + 200, stop_grace=60.0) as server:
        with connections(server.port, warmup):
            pass
        before = settle(server.pid)
        started = time.perf_counter()
        with connections(server.port, count) as opened:
            elapsed = time.perf_counter() - started
            after = settle(server.pid)
            if spec.name != FLOOR:  # the floor answers startup only
                for sock in opened[:: max(1, count // 5)]:
                    sock.sendall(SELECT_ONE)
                    if b"D" not in read_until_ready(sock):
                        raise RuntimeError("SELECT 1 returned no row")
    note = f"RSS {before / 1024:.0f} -> {after / 1024:.0f} MB, {count / elapsed:,.0f} conn/s"
    return (after - before) / count, note


def run(args: argparse.Namespace) -> None:
    count = args.count or (1000 if args.quick else 10_000)
    rounds = args.rounds or 1
    limit = raise_open_files_limit(count + 200)
    if limit < count + 50:
        count = limit - 50
        print(f"open-files limit is {limit}: holding {count} connections instead")
    warmup = min(200, max(count // 10, 10))
    print(f"server_idle_connections: {count:,} idle connections per server, {rounds} round(s)")
    values: dict[str, list[float]] = {}
    notes: dict[str, list[str]] = {}
    unavailable: dict[str, str] = {}
    for round_number in range(1, rounds + 1):
        for spec in SERVERS:
            if spec.name in unavailable:
                continue
            if missing := spec.missing():
                unavailable[spec.name] = missing
                continue
            print(f"  round {round_number}/{rounds}: {spec.name} ...", flush=True)
            try:
                per_connection, note = measure(spec, count, warmup)
            except (OSError, RuntimeError) as error:
                print(f"  {spec.name} failed: {error}", flush=True)
                unavailable[spec.name] = f"failed: {str(error)[:80]}"
                continue
            values.setdefault(spec.name, []).append(per_connection)
            notes.setdefault(spec.name, []).append(note)
    names = [spec.name for spec in SERVERS]
    print_target_table(
        f"Server RSS growth per idle connection, {count:,} connections (lower is better)",
        "KB",
        summarize(names, values, notes, unavailable),
        baseline=FLOOR,
        targets=[Target(name, max_value=20.0) for name in names if name != FLOOR],
    )


def main() -> None:
    parser = bench_parser(__doc__)
    parser.add_argument("--count", type=int, help="idle connections to hold (default 10,000)")
    bench_main(parser, run)


if __name__ == "__main__":
    main()
