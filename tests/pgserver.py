"""A real PostgreSQL server, started from scratch for a test session (or a benchmark).

Interop tests need the genuine article: our client must talk to it, and our server must behave
like it.  :class:`RealPostgres` runs ``initdb`` into a temporary directory, configures a free
loopback port, a private unix socket directory, TLS with the test PKI (see ``tests/pki.py``),
and a ``pg_hba.conf`` with one role per authentication method (PostgreSQL documentation,
chapter 21 "Client Authentication"), then starts the server with ``pg_ctl``.

PostgreSQL refuses to run as root, so when the tests run as root the server binaries are run as
the ``postgres`` system user through ``runuser``; the temporary directory and the copies of the
certificate files the server reads are handed to that user.  Client programs (psql) run as the
current user.  Start-up takes about two seconds: no fsync, a C locale and a small cluster.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import quote, urlencode

from tests.pki import CLIENT_CERT_USER, Pki

SERVER_PROGRAMS = ("initdb", "pg_ctl", "postgres")
SUPERUSER = "postgres"
DATABASE = "testdb"
TRUST_USER = "trust_user"
PASSWORD_USER = "password_user"
MD5_USER = "md5_user"
SCRAM_USER = "scram_user"
CERT_USER = CLIENT_CERT_USER
SSL_ONLY_USER = "ssl_only_user"
_COMMAND_TIMEOUT = 60.0


@dataclass(frozen=True)
class Role:
    """A login role and the ``pg_hba.conf`` method that authenticates it over TCP."""

    name: str
    password: str
    method: str
    ssl_only: bool = False
    password_encryption: str = "scram-sha-256"


ROLES: tuple[Role, ...] = (
    Role(TRUST_USER, "trust_user_pw", "trust"),
    Role(PASSWORD_USER, "password_user_pw", "password"),
    Role(MD5_USER, "md5_user_pw", "md5", password_encryption="md5"),
    Role(SCRAM_USER, "scram_user_pw", "scram-sha-256"),
    Role(CERT_USER, "certuser_pw", "cert clientcert=verify-full", ssl_only=True),
    Role(SSL_ONLY_USER, "ssl_only_user_pw", "scram-sha-256", ssl_only=True),
)


class PostgresCommandError(RuntimeError):
    """A PostgreSQL program exited with a non-zero status."""


def _version_key(bindir: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name)) or (0,)


def find_bindir() -> Path | None:
    """Locate the directory holding initdb, pg_ctl and postgres (newest version first).

    ``TXPG_PG_BINDIR`` overrides the search; then Debian's ``/usr/lib/postgresql/*/bin``; then
    ``PATH``.  Returns ``None`` when the server programs are not installed.
    """
    candidates: list[Path] = []
    if override := os.environ.get("TXPG_PG_BINDIR"):
        candidates.append(Path(override))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    if initdb := shutil.which("initdb"):
        candidates.append(Path(initdb).resolve().parent)
    for bindir in candidates:
        if all(os.access(bindir / name, os.X_OK) for name in SERVER_PROGRAMS):
            return bindir
    return None


def free_port(host: str = "127.0.0.1") -> int:
    """Return a TCP port on ``host`` that nothing listens on right now."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def client_environment(**variables: str) -> dict[str, str]:
    """The current environment without any ``PG*`` variable, plus ``variables``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(variables)
    return env


def _libpq_value(value: object) -> str:
    text = str(value)
    if text and not re.search(r"[\s'\\]", text):
        return text
    escaped = text.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class RealPostgres:
    """One PostgreSQL cluster in a temporary directory, listening on loopback only.

    Use it as a context manager (``with RealPostgres(bindir, pki) as pg:``): entering creates,
    configures and starts the cluster and creates the roles of :data:`ROLES` and the database
    ``testdb``; leaving stops it and deletes the directory.
    """

    def __init__(self, bindir: Path, pki: Pki, host: str = "127.0.0.1") -> None:
        self.bindir = bindir
        self.pki = pki
        self.host = host
        self.port = free_port(host)
        self.database = DATABASE
        self.roles: Mapping[str, Role] = {role.name: role for role in ROLES}
        self.base_dir = Path(tempfile.mkdtemp(prefix="txpg-postgres-"))
        self.data_dir = self.base_dir / "data"
        self.unix_socket_dir = self.base_dir / "sock"
        self.log_file = self.base_dir / "postgres.log"
        self._running = False
        self._owner = pwd.getpwnam(SUPERUSER) if os.geteuid() == 0 else None

    # -- lifecycle -----------------------------------------------------------------------

    def __enter__(self) -> RealPostgres:
        try:
            self.create()
            self.start()
            self._create_roles()
        except BaseException:
            self.cleanup()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.cleanup()

    def create(self) -> None:
        """Run initdb and write the configuration, TLS files and pg_hba.conf."""
        self.unix_socket_dir.mkdir()
        self._give_to_owner(self.base_dir)
        self._give_to_owner(self.unix_socket_dir)
        self._run_as_owner(
            "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        for source, name, mode in (
            (self.pki.server_cert, "server.crt", 0o644),
            (self.pki.server_key, "server.key", 0o600),
            (self.pki.ca_cert, "root.crt", 0o644),
        ):
            target = self.data_dir / name
            shutil.copyfile(source, target)
            os.chmod(target, mode)
            self._give_to_owner(target)
        settings = {
            "listen_addresses": self.host,
            "port": str(self.port),
            "unix_socket_directories": str(self.unix_socket_dir),
            "max_connections": "200",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "ssl": "on",
            "ssl_cert_file": "server.crt",
            "ssl_key_file": "server.key",
            "ssl_ca_file": "root.crt",
            "password_encryption": "scram-sha-256",
            "logging_collector": "off",
        }
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# added by tests/pgserver.py\n")
            conf.writelines(f"{key} = {_sql_literal(value)}\n" for key, value in settings.items())
        (self.data_dir / "pg_hba.conf").write_text(self._hba(), encoding="utf-8")

    def _hba(self) -> str:
        networks = ("127.0.0.1/32", "::1/128")
        lines = ["local all all trust"]
        lines += [f"host all {SUPERUSER} {net} trust" for net in networks]
        for role in ROLES:
            kind = "hostssl" if role.ssl_only else "host"
            lines += [f"{kind} all {role.name} {net} {role.method}" for net in networks]
        return "\n".join(lines) + "\n"

    def _create_roles(self) -> None:
        statements: list[str] = []
        for role in ROLES:
            encryption = _sql_literal(role.password_encryption)
            statements.append(f"SET password_encryption = {encryption};")
            statements.append(
                f"CREATE ROLE {role.name} LOGIN PASSWORD {_sql_literal(role.password)};"
            )
        statements.append(f"CREATE DATABASE {DATABASE} OWNER {TRUST_USER};")
        statements.append(f"\\connect {DATABASE}")
        statements.append("GRANT CREATE ON SCHEMA public TO PUBLIC;")
        self.psql("\n".join(statements), dbname="postgres")

    def start(self) -> None:
        """Start the server and wait until it accepts connections (no-op when running)."""
        if self._running:
            return
        self._pg_ctl("start", "-w", "-t", "30", "-l", str(self.log_file))
        self._running = True

    def stop(self) -> None:
        """Stop the server with a fast shutdown (no-op when stopped)."""
        if not self._running:
            return
        self._pg_ctl("stop", "-w", "-t", "30", "-m", "fast")
        self._running = False

    def restart(self) -> None:
        """Stop and start again; established connections are terminated."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self._running

    def cleanup(self) -> None:
        """Stop the server if it runs and delete the cluster directory."""
        try:
            if self.data_dir.joinpath("postmaster.pid").exists():
                self._running = True
                self.stop()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)

    # -- connecting ----------------------------------------------------------------------

    def password(self, user: str) -> str:
        """The password given to ``user`` (one of :data:`ROLES`)."""
        return self.roles[user].password

    def dsn(self, user: str, password: str | None = None, **params: object) -> str:
        """A libpq ``key=value`` connection string for TCP; ``dbname`` defaults to testdb."""
        fields: dict[str, object] = {"host": self.host, "port": self.port, "user": user}
        fields["dbname"] = params.pop("dbname", self.database)
        if password is not None:
            fields["password"] = password
        fields.update(params)
        return " ".join(f"{key}={_libpq_value(value)}" for key, value in fields.items())

    def uri(self, user: str, password: str | None = None, **params: object) -> str:
        """A ``postgresql://`` URI for TCP; ``dbname`` defaults to testdb."""
        dbname = str(params.pop("dbname", self.database))
        credentials = quote(user, safe="")
        if password is not None:
            credentials += ":" + quote(password, safe="")
        host = f"[{self.host}]" if ":" in self.host else self.host
        query = urlencode({key: str(value) for key, value in params.items()})
        query = f"?{query}" if query else ""
        return f"postgresql://{credentials}@{host}:{self.port}/{quote(dbname, safe='')}{query}"

    def program(self, name: str) -> Path:
        """Path of a client program (psql, pgbench, ...) of the same PostgreSQL version."""
        candidate = self.bindir / name
        if os.access(candidate, os.X_OK):
            return candidate
        found = shutil.which(name)
        if found is None:
            raise FileNotFoundError(f"{name} not found in {self.bindir} or PATH")
        return Path(found)

    def psql(self, sql: str, user: str = SUPERUSER, dbname: str = DATABASE) -> str:
        """Run a psql script over the unix socket; return its unaligned, tuples-only output."""
        argv = [
            str(self.program("psql")), "-X", "-At", "-v", "ON_ERROR_STOP=1", "-f", "-",
            "-h", str(self.unix_socket_dir), "-p", str(self.port), "-U", user, "-d", dbname,
        ]  # fmt: skip
        result = subprocess.run(
            argv,
            input=sql,
            capture_output=True,
            text=True,
            env=client_environment(),
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresCommandError(f"psql failed ({result.returncode}): {result.stderr}")
        return result.stdout.rstrip("\n")

    # -- running server programs as the cluster owner -------------------------------------

    def _give_to_owner(self, path: Path) -> None:
        if self._owner is not None:
            os.chown(path, self._owner.pw_uid, self._owner.pw_gid)

    def _pg_ctl(self, *args: str) -> None:
        try:
            self._run_as_owner("pg_ctl", *args, "-D", str(self.data_dir))
        except PostgresCommandError as error:
            raise PostgresCommandError(f"{error}\nserver log:\n{self.log_tail()}") from None

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server log (for failure messages)."""
        try:
            text = self.log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _run_as_owner(self, program: str, *args: str) -> None:
        argv: Sequence[str] = [str(self.bindir / program), *args]
        if self._owner is not None:
            argv = ["runuser", "-u", SUPERUSER, "--", *argv]
        result = subprocess.run(
            argv,
            cwd=self.base_dir,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=client_environment(LC_ALL="C"),
            timeout=_COMMAND_TIMEOUT,
            check=False,
        )
        if result.returncode != 0:
            raise PostgresCommandError(
                f"{program} {' '.join(args)} failed ({result.returncode}):\n"
                f"{result.stdout}{result.stderr}"
            )
