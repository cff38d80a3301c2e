"""TLS over a real loopback connection: SSLRequest, startTLS, SCRAM-SHA-256-PLUS, require-TLS.

The server runs in a child process (``python -m txpostgres_proto``) with `TlsTestBackend`, and
real clients (psycopg through libpq, asyncpg) connect to it.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import psycopg
import pytest

from tests.pki import Pki
from txpostgres_proto.protocol.auth import tls_server_end_point_hash
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.tls import load_server_tls
from txpostgres_proto.types import oids

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "tls-secret"


class TlsTestBackend:
    """Answers every query with the session's user and whether it runs over TLS."""

    def connection_made(self, session: Any) -> None:
        self.session = session

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        return StatementDescription((), self._columns())

    def _columns(self) -> tuple[ResultColumn, ...]:
        return (ResultColumn("usr", oids.TEXT), ResultColumn("tls", oids.BOOL))

    def execute(self, sql: str, params: Any, param_oids: Any) -> QueryResult:
        return QueryResult(self._columns(), [(self.session.user, self.session.tls)])


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(arguments: list[str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    command = [
        sys.executable,
        "-m",
        "txpostgres_proto",
        "--listen",
        f"tcp:{port}:interface=127.0.0.1",
    ]
    command += ["--handler", f"{__name__}:TlsTestBackend", *arguments]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise RuntimeError(f"server exited: {output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("server did not start listening")


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("users") / "users.txt"
    path.write_text(f'"alice" "{PASSWORD}"\n')
    return path


@pytest.fixture(scope="module")
def tls_server(pki: Pki, users_file: Path) -> Iterator[int]:
    process, port = _start(
        [
            "--tls-cert",
            str(pki.server_cert),
            "--tls-key",
            str(pki.server_key),
            "--auth",
            "scram-sha-256",
            "--users",
            str(users_file),
            "--require-tls",
        ]
    )
    yield port
    process.terminate()
    process.wait(10)


def _conninfo(port: int, pki: Pki, **extra: str) -> str:
    params = {
        "host": "localhost",
        "port": str(port),
        "user": "alice",
        "password": PASSWORD,
        "dbname": "db",
        "sslmode": "verify-full",
        "sslrootcert": str(pki.ca_cert),
        "connect_timeout": "5",
    }
    params.update(extra)
    return " ".join(f"{key}={value}" for key, value in params.items())


def test_channel_binding_data_of_the_certificate(pki: Pki) -> None:
    tls = load_server_tls(pki.server_cert, pki.server_key)
    assert tls.channel_binding == tls_server_end_point_hash(tls.certificate_der)
    assert len(tls.channel_binding or b"") == 32  # SHA-256 signature -> SHA-256 hash
    assert tls.context_factory.getContext() is tls.context_factory.getContext()


def test_missing_or_bad_files(pki: Pki, tmp_path: Path) -> None:
    with pytest.raises(OSError):
        load_server_tls(tmp_path / "nope.crt", pki.server_key)
    bad = tmp_path / "bad.crt"
    bad.write_text("not a certificate")
    with pytest.raises(ValueError):
        load_server_tls(bad, pki.server_key)


def test_psycopg_over_tls_with_scram_sha_256_plus(tls_server: int, pki: Pki) -> None:
    conninfo = _conninfo(tls_server, pki, channel_binding="require")
    with psycopg.connect(conninfo) as conn:
        assert conn.info.pgconn.ssl_in_use
        assert conn.execute("select usr, tls").fetchone() == ("alice", True)
        assert conn.execute("SHOW ssl").fetchone() == ("on",)


def test_wrong_password_over_tls(tls_server: int, pki: Pki) -> None:
    with pytest.raises(
        psycopg.OperationalError, match='password authentication failed for user "alice"'
    ):
        psycopg.connect(_conninfo(tls_server, pki, password="wrong"))


def test_plaintext_refused_when_tls_is_required(tls_server: int, pki: Pki) -> None:
    with pytest.raises(psycopg.OperationalError, match="no pg_hba.conf entry.*no encryption"):
        psycopg.connect(_conninfo(tls_server, pki, sslmode="disable"))


def test_asyncpg_over_tls(tls_server: int, pki: Pki) -> None:
    context = ssl.create_default_context(cafile=str(pki.ca_cert))

    async def run() -> Any:
        conn = await asyncpg.connect(
            host="localhost",
            port=tls_server,
            user="alice",
            password=PASSWORD,
            database="db",
            ssl=context,
        )
        try:
            return await conn.fetchrow("select usr, tls")
        finally:
            await conn.close()

    row = asyncio.run(run())
    assert tuple(row) == ("alice", True)


def test_tls_offered_but_optional(pki: Pki) -> None:
    process, port = _start(["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)])
    try:
        with psycopg.connect(_conninfo(port, pki, sslmode="disable")) as conn:
            assert conn.execute("select usr, tls").fetchone() == ("alice", False)
        with psycopg.connect(_conninfo(port, pki, sslmode="require")) as conn:
            assert conn.execute("select usr, tls").fetchone() == ("alice", True)
    finally:
        process.terminate()
        process.wait(10)
