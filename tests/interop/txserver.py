"""Our own server, ``python -m txpostgres_proto``, run as a subprocess for the interop suite.

The interop tests must see our server exactly as users run it: a separate process started from
the command line, on a loopback port, with TLS from the test PKI and the same login roles as the
real-PostgreSQL target.  :class:`TxServerPool` starts such processes (``tests/ourserver.py``)
on demand and stops every one at the end of the session.

The server takes one authentication method per process (``--auth``, like one ``pg_hba.conf``
line for every role), so each method the target offers gets its own process on its own port,
started the first time a test asks for that login (:class:`LazyLogins`).  All processes read the
same pgbouncer-style users file, written the way PostgreSQL stores the roles of
``tests/pgserver.py``: an md5 hash for the md5 role, a SCRAM-SHA-256 verifier for the others.
``ssl-only`` is ``--require-tls`` (PostgreSQL's ``hostssl``).  Client-certificate
authentication is not offered, because the server has no ``cert`` method.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from tests import pgserver
from tests.interop.targets import Login
from tests.ourserver import OurServer, start_server
from tests.pki import Pki
from txpostgres_proto.protocol.md5 import md5_password_hash
from txpostgres_proto.protocol.scram import make_scram_verifier

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


class TxServerPool:
    """Our server processes of one test session, keyed by a name; stopped all at once."""

    def __init__(self, directory: Path, pki: Pki) -> None:
        self.directory = directory
        self.pki = pki
        self.users_file = write_users_file(directory / "users.txt")
        self._servers: dict[str, OurServer] = {}

    def server(self, name: str, argv: Sequence[str]) -> OurServer:
        """The running server called ``name``, started with ``argv`` the first time."""
        if name not in self._servers:
            log_file = self.directory / f"{name}.log"
            self._servers[name] = start_server(argv, self.directory, log_file=log_file)
        return self._servers[name]

    def tls_options(self) -> list[str]:
        return ["--tls-cert", str(self.pki.server_cert), "--tls-key", str(self.pki.server_key)]

    def sqlite_server(self, method: str) -> OurServer:
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
