"""TLS on both sides of the proxy and client authentication by the proxy itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from tests.pgserver import RealPostgres
from tests.pki import Pki
from tests.proxy.proxyprocess import ProxyProcess


@pytest.fixture(scope="module")
def tls_proxy(
    real_postgres: RealPostgres, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    directory: Path = tmp_path_factory.mktemp("tlsproxy")
    users = directory / "users.txt"
    users.write_text('"alice" "alice secret"\n"bob" "bob secret"\n', encoding="utf-8")
    upstream = real_postgres.uri(
        "ssl_only_user",
        real_postgres.password("ssl_only_user"),
        sslmode="verify-ca",
        sslrootcert=str(pki.ca_cert),
    )
    with ProxyProcess(
        upstream,
        "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--require-tls",
        "--auth", "scram-sha-256", "--users", str(users),
        log=directory / "proxy.log",
    ) as proxy:  # fmt: skip
        yield proxy


def test_tls_both_sides_and_scram(tls_proxy: ProxyProcess, pki: Pki) -> None:
    dsn = tls_proxy.dsn(
        "alice", password="'alice secret'", sslmode="verify-ca", sslrootcert=pki.ca_cert
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        assert conn.pgconn.ssl_in_use
        row = conn.execute(
            "select current_user, ssl from pg_stat_ssl where pid = pg_backend_pid()"
        ).fetchone()
        assert row == ("ssl_only_user", True)  # the upstream connection is TLS too


def test_wrong_password_is_refused_by_the_proxy(tls_proxy: ProxyProcess) -> None:
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(tls_proxy.dsn("bob", password="wrong", sslmode="require"))


def test_plaintext_client_is_refused(tls_proxy: ProxyProcess) -> None:
    with pytest.raises(psycopg.OperationalError, match="pg_hba.conf"):
        psycopg.connect(tls_proxy.dsn("bob", password="'bob secret'", sslmode="disable"))


def test_errors_keep_sqlstate(tls_proxy: ProxyProcess) -> None:
    dsn = tls_proxy.dsn("bob", password="'bob secret'", sslmode="require")
    with psycopg.connect(dsn) as conn:
        with pytest.raises(errors.UndefinedTable) as caught:
            conn.execute("select * from no_such_table")
        assert caught.value.diag.sqlstate == "42P01"
        assert caught.value.diag.statement_position == "15"
