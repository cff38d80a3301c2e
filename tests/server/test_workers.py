"""``--workers N``: one supervisor, N worker processes sharing the listening socket.

The server runs as users run it (``python -m txpostgres_proto --workers 2``) and real clients
(psycopg 3) talk to it.  Which worker serves a connection is read from ``/proc``: the worker
holding the server side of the connection's TCP socket.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from twisted.internet import reactor
from twisted.internet.task import deferLater
from twisted.python import usage

from txpostgres_proto import tap
from txpostgres_proto.server.backend import QueryResult, StatementDescription
from txpostgres_proto.server.columns import named_column
from txpostgres_proto.server.workers import WorkerSpec
from txpostgres_proto.types import oids

pytestmark = pytest.mark.timeout(120)

ROOT = Path(__file__).resolve().parents[2]
SLEEP_HANDLER = f"{__name__}:SleepBackend"


class SleepBackend:
    """``sleep S`` waits S seconds (cancellably) and answers S; anything else answers the
    process id of the worker."""

    def connection_made(self, session: Any) -> None:
        pass

    def transaction(self, command: str, savepoint: str | None = None) -> None:
        pass

    def connection_lost(self) -> None:
        pass

    def describe(self, sql: str, param_oids: Sequence[int]) -> StatementDescription:
        return StatementDescription((), (named_column("answer", oids.FLOAT8),))

    def execute(self, sql: str, params: Sequence[Any], param_oids: Sequence[int]) -> Any:
        column = (named_column("answer", oids.FLOAT8),)
        words = sql.split()
        if words and words[0].lower() == "sleep":
            seconds = float(words[1])
            return deferLater(reactor, seconds, lambda: QueryResult(column, [(seconds,)]))
        return QueryResult(column, [(float(os.getpid()),)])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int

    def connect(self, **kwargs: Any) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="test", dbname="test", sslmode="disable",
            connect_timeout=10, **kwargs,
        )  # fmt: skip

    def workers(self) -> set[int]:
        """Process ids of the supervisor's children."""
        return children(self.process.pid)


def children(parent: int) -> set[int]:
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rpartition(")")[2].split()
        if fields[0] != "Z" and int(fields[1]) == parent:
            found.add(int(entry))
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(*arguments: str, workers: int = 2) -> Server:
    port = free_port()
    argv = [sys.executable, "-m", "txpostgres_proto", "--workers", str(workers)]
    argv += ["--listen", f"tcp:{port}:interface=127.0.0.1", *arguments]
    return wait_until_serving(
        Server(subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL), port), workers
    )


def wait_until_serving(server: Server, workers: int = 2) -> Server:
    """``server`` once all its workers run and it answers a query."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.process.poll() is None, "the server exited"
        if len(server.workers()) == workers:
            try:
                with server.connect() as conn:
                    conn.execute("SELECT 1")
                return server
            except psycopg.OperationalError:
                pass
        time.sleep(0.1)
    server.process.kill()
    raise AssertionError("the server did not start")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(10)


def owner(server: Server, conn: psycopg.Connection[Any]) -> int:
    """The worker process holding the server side of ``conn``'s TCP connection."""
    with socket.socket(fileno=os.dup(conn.fileno())) as client:
        client_port = client.getsockname()[1]
    wanted = f":{server.port:04X}", f":{client_port:04X}"
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(wanted[0]) and fields[2].endswith(wanted[1]):
            inode = fields[9]
    assert inode is not None, "no server socket for this connection"
    for pid in server.workers():
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError("no worker holds the connection")


def spread(server: Server, count: int = 12) -> dict[int, list[psycopg.Connection[Any]]]:
    """Open connections until both workers have at least one; worker pid -> connections."""
    by_worker: dict[int, list[psycopg.Connection[Any]]] = {}
    deadline = time.monotonic() + 30  # a restarted worker needs a moment to start accepting
    while time.monotonic() < deadline:
        conn = server.connect(autocommit=True)
        by_worker.setdefault(owner(server, conn), []).append(conn)
        if len(by_worker) == 2 and sum(map(len, by_worker.values())) >= count:
            break
        if len(by_worker) < 2:
            time.sleep(0.02)
    return by_worker


def close_all(by_worker: dict[int, list[psycopg.Connection[Any]]]) -> None:
    for conns in by_worker.values():
        for conn in conns:
            conn.close()


@pytest.fixture(scope="module")
def sleepy() -> Iterator[Server]:
    server = start_server("--handler", SLEEP_HANDLER)
    yield server
    stop_server(server)


def test_worker_spec_round_trip() -> None:
    spec = WorkerSpec(3, 4, 3, 5)
    assert WorkerSpec.decode(spec.encode()) == spec
    with pytest.raises(ValueError):
        WorkerSpec.decode("nonsense")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [(["--workers", "0"], "at least 1"), (["--worker", "nonsense"], "bad --worker")],
)
def test_bad_worker_options(arguments: list[str], message: str) -> None:
    with pytest.raises(usage.UsageError, match=message):
        tap.Options().parseOptions(arguments)


def test_connections_spread_over_workers(sleepy: Server) -> None:
    by_worker = spread(sleepy)
    try:
        assert set(by_worker) == sleepy.workers()
        for pid, conns in by_worker.items():
            for conn in conns:
                answer = conn.execute("SELECT pid").fetchone()
                assert answer is not None and int(answer[0]) == pid
    finally:
        close_all(by_worker)


def test_connections_are_balanced(sleepy: Server) -> None:
    """The supervisor hands connections out round robin: 10 pooled connections make 5 + 5."""
    close_all(spread(sleepy, count=2))  # both workers are ready
    conns = [sleepy.connect() for _ in range(10)]
    try:
        owners = [owner(sleepy, conn) for conn in conns]
        assert sorted(owners.count(pid) for pid in set(owners)) == [5, 5]
    finally:
        for conn in conns:
            conn.close()


def test_cancel_reaches_the_right_worker(sleepy: Server) -> None:
    """psycopg's cancel opens a new connection, which lands in either worker; every one of
    several attempts must interrupt the query."""
    owners = set()
    for _ in range(8):
        with sleepy.connect() as conn:
            owners.add(owner(sleepy, conn))
            timer = threading.Timer(0.2, conn.cancel)
            timer.start()
            started = time.monotonic()
            with pytest.raises(psycopg.errors.QueryCanceled):
                conn.execute("sleep 20")
            timer.join()
            assert time.monotonic() - started < 5
            conn.rollback()
            assert conn.execute("SELECT pid").fetchone() is not None
    assert owners <= sleepy.workers()


def test_notify_crosses_workers(sleepy: Server) -> None:
    by_worker = spread(sleepy, count=2)
    try:
        (listener, *_), (notifier, *_) = by_worker.values()
        listener.execute("LISTEN news")
        notifier.execute("NOTIFY news, 'hello'")
        received = next(listener.notifies(timeout=5, stop_after=1), None)
        assert received is not None
        assert (received.channel, received.payload) == ("news", "hello")
    finally:
        close_all(by_worker)


def test_killed_worker_is_restarted(sleepy: Server) -> None:
    before = sleepy.workers()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = sleepy.workers()
        if len(now) == 2 and victim not in now:
            break
        time.sleep(0.1)
    else:
        raise AssertionError("the worker was not replaced")
    by_worker = spread(sleepy, count=2)
    try:
        assert set(by_worker) == now
    finally:
        close_all(by_worker)


def test_shared_memory_database() -> None:
    """The ``:memory:`` default is one temporary file for all workers, removed at the end."""
    server = start_server()
    try:
        by_worker = spread(server, count=2)
        try:
            (writer, *_), (reader, *_) = by_worker.values()
            columns = "SELECT data_type FROM information_schema.columns WHERE table_name = 'shared'"
            assert reader.execute(columns).fetchall() == []  # the reader's worker caches its schema
            writer.execute("CREATE TABLE shared (n integer)")
            writer.execute("INSERT INTO shared VALUES (1), (2)")
            assert reader.execute(columns).fetchall() == [("integer",)]  # the other worker's DDL
            assert reader.execute("SELECT sum(n) FROM shared").fetchone() == (3,)
            reader.execute("INSERT INTO shared VALUES (4)")
            assert writer.execute("SELECT count(*) FROM shared").fetchone() == (3,)
            database = [
                part for part in Path(f"/proc/{min(by_worker)}/cmdline").read_bytes().split(b"\0")
                if part.endswith(b".sqlite3")
            ]  # fmt: skip
        finally:
            close_all(by_worker)
        assert len(database) == 1 and Path(database[0].decode()).exists()
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(15) == 0
        assert not Path(database[0].decode()).parent.exists()
    finally:
        stop_server(server)


def test_sigterm_lets_running_queries_finish() -> None:
    server = start_server("--handler", SLEEP_HANDLER)
    try:
        workers = server.workers()
        idle = server.connect()
        results: list[Any] = []

        def run() -> None:
            with server.connect(autocommit=True) as conn:
                results.append(conn.execute("sleep 1.5").fetchone())

        query = threading.Thread(target=run)
        query.start()
        time.sleep(0.5)
        stopping = time.monotonic()
        server.process.send_signal(signal.SIGTERM)
        query.join(10)
        assert results == [(1.5,)]
        assert server.process.wait(10) == 0
        assert time.monotonic() - stopping < 6
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
        with pytest.raises(psycopg.OperationalError, match="administrator command"):
            idle.execute("SELECT pid")
        with pytest.raises(psycopg.OperationalError):
            server.connect()
    finally:
        stop_server(server)


def test_workers_exit_when_the_supervisor_dies() -> None:
    server = start_server("--handler", SLEEP_HANDLER)
    try:
        workers = server.workers()
        server.process.kill()
        server.process.wait(10)
        deadline = time.monotonic() + 20
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, "orphaned workers kept running"
            time.sleep(0.1)
    finally:
        stop_server(server)


@pytest.mark.skipif(shutil.which("pgbench") is None, reason="needs pgbench")
def test_pgbench_load_then_prepared_lookups(tmp_path: Path) -> None:
    """The workload of ``bench.server_point_lookups`` with ``--workers 2`` on a database file:
    ``pgbench -i`` (DDL and COPY through one worker), then ``pgbench -S -M prepared`` on
    connections of both workers, whose prepared lookups see the loaded table."""
    server = start_server("--database", str(tmp_path / "bench.sqlite3"))
    env = {
        **os.environ, "PGHOST": "127.0.0.1", "PGPORT": str(server.port), "PGUSER": "test",
        "PGDATABASE": "test", "PGSSLMODE": "disable",
    }  # fmt: skip

    def pgbench(*arguments: str) -> str:
        result = subprocess.run(
            ["pgbench", *arguments], env=env, capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    try:
        pgbench("-i", "-s", "1", "-q")
        by_worker = spread(server, count=2)
        try:
            for conn, *_ in by_worker.values():  # each worker sees the other's load
                assert conn.execute("SELECT count(*) FROM pgbench_accounts").fetchone() == (
                    100_000,
                )
        finally:
            close_all(by_worker)
        output = pgbench("-S", "-M", "prepared", "-n", "-c", "4", "-j", "2", "-t", "250")
        assert "number of transactions actually processed: 1000/1000" in output
        assert "number of failed transactions: 0" in output
    finally:
        stop_server(server)
