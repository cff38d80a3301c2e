"""What the interop tests know about a server under test: address, logins, TLS material.

:class:`TargetServer` is the one object every interop test receives (through the
``target_server`` fixture in ``conftest.py``); it turns a :class:`Login` into the connection
parameters of each client family (libpq key/value strings, ``PG*`` environment variables, a
Python ``ssl.SSLContext``), and `run_psql` runs psql against it.  :class:`TargetSpec` describes
a server implementation to the collection hook before any server is started.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from ssl import SSLContext, create_default_context

import psycopg
import pytest

from tests import pgserver

CONNECT_TIMEOUT = 5
PROGRAM_TIMEOUT = 60.0


@dataclass(frozen=True)
class Login:
    """Credentials that one authentication method of the target accepts."""

    user: str
    password: str | None
    ssl_only: bool = False
    client_cert: bool = False
    port: int | None = None  # where this login's server listens, when not the target's port


@dataclass(frozen=True)
class TargetServer:
    """Where the server under test listens and how clients log in to it."""

    name: str
    host: str
    port: int
    database: str
    user: str
    password: str
    ssl: bool
    ca_cert: Path | None = None
    client_cert: Path | None = None
    client_key: Path | None = None
    logins: Mapping[str, Login] = field(default_factory=dict)

    @property
    def auth_methods(self) -> frozenset[str]:
        return frozenset(self.logins)

    @property
    def default_login(self) -> Login:
        return Login(self.user, self.password)

    def port_of(self, login: Login | None) -> int:
        """The port to connect to for ``login`` (the target's own port by default)."""
        if login is not None and login.port is not None:
            return login.port
        return self.port

    def libpq_params(
        self, login: Login | None = None, sslmode: str | None = None
    ) -> dict[str, str]:
        """Connection parameters for libpq-based clients (psycopg, psycopg2).

        ``sslmode`` defaults to what the login needs: ``verify-full`` for logins that only
        work over TLS, ``disable`` for the rest.
        """
        login = login or self.default_login
        if sslmode is None:
            sslmode = "verify-full" if login.ssl_only else "disable"
        params = {
            "host": self.host,
            "port": str(self.port_of(login)),
            "dbname": self.database,
            "user": login.user,
            "sslmode": sslmode,
            "connect_timeout": str(CONNECT_TIMEOUT),
        }
        if login.password is not None:
            params["password"] = login.password
        if self.ca_cert is not None:
            params["sslrootcert"] = str(self.ca_cert)
        if login.client_cert and self.client_cert and self.client_key:
            params["sslcert"] = str(self.client_cert)
            params["sslkey"] = str(self.client_key)
        return params

    def conninfo(self, login: Login | None = None, sslmode: str | None = None) -> str:
        """A libpq ``key=value`` connection string."""
        return psycopg.conninfo.make_conninfo(**self.libpq_params(login, sslmode))

    def libpq_env(self, login: Login | None = None, sslmode: str | None = None) -> dict[str, str]:
        """An environment for libpq programs (psql, pgbench): ``PG*`` variables only."""
        names = {
            "host": "PGHOST",
            "port": "PGPORT",
            "dbname": "PGDATABASE",
            "user": "PGUSER",
            "password": "PGPASSWORD",
            "sslmode": "PGSSLMODE",
            "sslrootcert": "PGSSLROOTCERT",
            "sslcert": "PGSSLCERT",
            "sslkey": "PGSSLKEY",
            "connect_timeout": "PGCONNECT_TIMEOUT",
        }
        params = self.libpq_params(login, sslmode)
        return pgserver.client_environment(**{names[key]: value for key, value in params.items()})

    def ssl_context(self) -> SSLContext:
        """A client TLS context that trusts the target's CA and checks the host name."""
        context = create_default_context(cafile=str(self.ca_cert) if self.ca_cert else None)
        context.check_hostname = True
        return context


@dataclass(frozen=True)
class TargetSpec:
    """A server implementation the interop suite can run against."""

    name: str
    auth_methods: tuple[str, ...]
    tls: bool
    start: Callable[[pytest.FixtureRequest], TargetServer]


def find_program(name: str) -> str:
    """Path of a PostgreSQL client program; skip the test when it is not installed."""
    found = shutil.which(name)
    if found is None:
        bindir = pgserver.find_bindir()
        if bindir is not None and os.access(bindir / name, os.X_OK):
            found = str(bindir / name)
    if found is None:
        pytest.skip(f"{name} is not installed (not on PATH or in /usr/lib/postgresql/*/bin)")
    return found


def run_psql(
    target: TargetServer,
    *args: str,
    script: str | None = None,
    login: Login | None = None,
    sslmode: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run psql (no psqlrc) with ``args``; a ``script`` is fed on stdin as ``-f -``."""
    argv = [find_program("psql"), "-X", *args]
    if script is not None:
        argv += ["-f", "-"]
    return subprocess.run(
        argv,
        input=script,
        capture_output=True,
        text=True,
        env=target.libpq_env(login, sslmode),
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )
