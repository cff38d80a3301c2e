"""Our own server, ``python -m txpostgres_proto``, run as a subprocess for the interop suite.

The interop tests must see our server exactly as users run it: a separate process started from
the command line, on a loopback port, with TLS from the test PKI and the same login roles as the
real-PostgreSQL target.  :class:`TxServer` is one such process; :class:`TxServerPool` starts
them on demand and stops every one at the end of the session.

The server takes one authentication method per process (``--auth``, like one ``pg_hba.conf``
line for every role), so each method the target offers gets its own process on its own port,
started the first time a test asks for that login (:class:`LazyLogins`).  All processes read the
same pgbouncer-style users file, written the way PostgreSQL stores the roles of
``tests/pgserver.py``: an md5 hash for the md5 role, a SCRAM-SHA-256 verifier for the others.
``ssl-only`` is ``--require-tls`` (PostgreSQL's ``hostssl``).  Client-certificate
authentication is not offered, because the server has no ``cert`` method.
"""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from tests import pgserver
from tests.interop.targets import Login
from tests.pki import Pki
from txpostgres_proto.protocol.md5 import md5_password_hash
from txpostgres_proto.protocol.scram import make_scram_verifier

HOST = "127.0.0.1"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
_START_TIMEOUT = 20.0
_STOP_TIMEOUT = 5.0
_PORT_ATTEMPTS = 3
#: the auth method each role of tests/pgserver.py logs in with on our server
_ROLE_METHODS = {
    "trust": pgserver.TRUST_USER,
    "password": pgserver.PASSWORD_USER,
    "md5": pgserver.MD5_USER,
    "scram-sha-256": pgserver.SCRAM_USER,
    "ssl-only": pgserver.SSL_ONLY_USER,
}
#: what each auth-method name means on our command line: (--auth, --require-tls)
_METHOD_OPTIONS = {
    "trust": ("trust", False),
    "password": ("password", False),
    "md5": ("md5", False),
    "scram-sha-256": ("scram-sha-256", False),
    "ssl-only": ("scram-sha-256", True),
}
AUTH_METHODS: tuple[str, ...] = tuple(_ROLE_METHODS)


def role(name: str) -> pgserver.Role:
    """The role of ``tests/pgserver.py`` called ``name``."""
    return next(role for role in pgserver.ROLES if role.name == name)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def write_users_file(path: Path) -> Path:
    """The users file (pgbouncer auth_file format) for every role of ``tests/pgserver.py``."""
    lines = []
    for role in pgserver.ROLES:
        if role.password_encryption == "md5":
            secret = md5_password_hash(role.name, role.password)
        else:
            secret = make_scram_verifier(role.password).format()
        lines.append(f"{_quoted(role.name)} {_quoted(secret)}\n")
    path.write_text("".join(lines), encoding="utf-8")
    return path


def _die_with_parent() -> None:
    """In the child before exec: get SIGTERM when the test process dies (Linux), so a killed
    test run leaves no server behind."""
    pr_set_pdeathsig = 1
    try:
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    except (OSError, AttributeError):
        pass  # not Linux: the session finaliser still stops the server


class TxServerError(RuntimeError):
    """Our server process did not start."""


class TxServer:
    """One ``python -m txpostgres_proto`` process listening on a free loopback port."""

    def __init__(self, argv: Sequence[str], log_file: Path) -> None:
        self.host = HOST
        self.port = pgserver.free_port(HOST)
        self.log_file = log_file
        self._argv = [
            sys.executable, "-m", "txpostgres_proto", "--listen",
            f"tcp:{self.port}:interface={self.host}", *argv,
        ]  # fmt: skip
        self._process: subprocess.Popen[bytes] | None = None
        self._interrupted = False

    def start(self) -> None:
        """Start the process and wait until the port accepts connections."""
        with open(self.log_file, "wb") as log:
            self._process = subprocess.Popen(
                self._argv,
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=pgserver.client_environment(PYTHONUNBUFFERED="1"),
                preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise TxServerError(f"server exited with {self._process.returncode}:\n{self.log()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise TxServerError(f"server did not listen within {_START_TIMEOUT}s:\n{self.log()}")

    def interrupt(self) -> None:
        """Ask the process to stop (SIGINT: the reactor shuts down cleanly); see `stop`."""
        if self._process is not None and not self._interrupted and self._process.poll() is None:
            self._process.send_signal(signal.SIGINT)
            self._interrupted = True

    def stop(self) -> None:
        """Interrupt the process and wait for it; kill it if it hangs."""
        self.interrupt()
        process, self._process = self._process, None
        if process is None:
            return
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT)

    def log(self) -> str:
        """What the server wrote so far (for failure messages)."""
        try:
            return self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"


class TxServerPool:
    """Our server processes of one test session, keyed by a name; stopped all at once."""

    def __init__(self, directory: Path, pki: Pki) -> None:
        self.directory = directory
        self.pki = pki
        self.users_file = write_users_file(directory / "users.txt")
        self._servers: dict[str, TxServer] = {}

    def server(self, name: str, argv: Sequence[str]) -> TxServer:
        """The running server called ``name``, started with ``argv`` the first time."""
        if name not in self._servers:
            self._servers[name] = self._started(argv, self.directory / f"{name}.log")
        return self._servers[name]

    @staticmethod
    def _started(argv: Sequence[str], log_file: Path) -> TxServer:
        """A started server; another free port is tried when the first was taken meanwhile."""
        attempts = 1
        while True:
            server = TxServer(argv, log_file)
            try:
                server.start()
            except TxServerError:
                if "Address already in use" not in server.log() or attempts == _PORT_ATTEMPTS:
                    raise
                attempts += 1
            else:
                return server

    def tls_options(self) -> list[str]:
        return ["--tls-cert", str(self.pki.server_cert), "--tls-key", str(self.pki.server_key)]

    def sqlite_server(self, method: str) -> TxServer:
        """The SQLite-backed server authenticating every role with ``method``."""
        auth, require_tls = _METHOD_OPTIONS[method]
        argv = [
            "--database", str(self.directory / f"{method}.sqlite3"), *self.tls_options(),
            "--auth", auth, "--users", str(self.users_file),
        ]  # fmt: skip
        if require_tls:
            argv.append("--require-tls")
        return self.server(f"sqlite-{method}", argv)

    def stop_all(self) -> None:
        """Stop every server (all interrupted first, so they shut down in parallel)."""
        for server in self._servers.values():
            server.interrupt()
        while self._servers:
            _, server = self._servers.popitem()
            server.stop()


class LazyLogins(Mapping[str, Login]):
    """Logins by auth method; the server behind one starts when a test first asks for it."""

    def __init__(self, makers: Mapping[str, Callable[[], Login]]) -> None:
        self._makers = dict(makers)
        self._logins: dict[str, Login] = {}

    def __getitem__(self, method: str) -> Login:
        if method not in self._logins:
            self._logins[method] = self._makers[method]()
        return self._logins[method]

    def __iter__(self) -> Iterator[str]:
        return iter(self._makers)

    def __len__(self) -> int:
        return len(self._makers)


def sqlite_login(pool: TxServerPool, method: str) -> Login:
    """The login of ``method``'s role on the server that authenticates with ``method``."""
    user = role(_ROLE_METHODS[method])
    server = pool.sqlite_server(method)
    password = None if method == "trust" else user.password
    return Login(user.name, password, ssl_only=user.ssl_only, port=server.port)
