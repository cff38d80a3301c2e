"""The proxy under test, run as ``python -m txpostgres_proto --proxy URL`` on a free port.

A real process, like the clients that use it (psql, pgbench, psycopg, asyncpg): the tests talk
to it over loopback TCP exactly as applications would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from tests.pgserver import free_port

_REPO = Path(__file__).resolve().parents[2]


class ProxyProcess:
    """``with ProxyProcess(upstream_url, "--pool-mode", "session") as proxy:`` …"""

    def __init__(self, upstream: str, *options: str, log: Path, script: str | None = None) -> None:
        """``script``: a program taking the upstream as its first argument instead (an
        example), with the same ``--listen`` and other options."""
        self.host = "127.0.0.1"
        self.port = free_port(self.host)
        self.log = log
        program = [script, upstream] if script else ["-m", "txpostgres_proto", "--proxy", upstream]
        self.argv: Sequence[str] = [
            sys.executable, *program,
            "--listen", f"tcp:{self.port}:interface={self.host}", *options,
        ]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ProxyProcess:
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(
                self.argv, cwd=_REPO, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the proxy exited: {self.log.read_text()}")
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.__exit__(None, None, None)
        raise RuntimeError("the proxy did not start listening")

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()

    @contextmanager
    def frozen(self) -> Iterator[None]:
        """The proxy process stopped (SIGSTOP) until the block ends: whatever clients send
        meanwhile is waiting for it together when it goes on."""
        assert self._process is not None
        os.kill(self._process.pid, signal.SIGSTOP)
        try:
            yield
        finally:
            os.kill(self._process.pid, signal.SIGCONT)

    def dsn(self, user: str = "app", **params: object) -> str:
        fields: dict[str, object] = {"host": self.host, "port": self.port, "user": user}
        fields.setdefault("dbname", "testdb")
        fields.update(params)
        return " ".join(f"{key}={value}" for key, value in fields.items())

    def uri(self, user: str = "app", dbname: str = "testdb") -> str:
        return f"postgresql://{user}@{self.host}:{self.port}/{dbname}"
