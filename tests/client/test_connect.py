"""`connect()` against the real PostgreSQL: authentication, hosts, sockets, timeouts, sessions.

Every authentication method of the test cluster (``tests/pgserver.py``) is exercised over TCP
with and without TLS, plus the Unix socket, several hosts (the first one down), a listener
that accepts and never answers (``connect_timeout``), ``target_session_attrs``, the password
file and cancellation through the connector `connect` installs.  TLS itself is covered in
``test_tls.py``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.protocol import Factory, Protocol

from tests.client.conftest import ReactorThread, connect_failure, query_once
from tests.pgserver import RealPostgres, free_port
from txpostgres_proto.client.connect import connect
from txpostgres_proto.client.connect_errors import (
    AllHostsFailed,
    ConnectError,
    ConnectTimeoutError,
    SessionAttributesError,
)
from txpostgres_proto.client.conninfo import DsnError
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.sqlstates import (
    InvalidAuthorizationSpecification,
    InvalidCatalogName,
    InvalidPassword,
    QueryCanceled,
)

WHO = "SELECT current_user, s.ssl FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"


pytestmark = pytest.mark.usefixtures("libpq_home")


def who(run: ReactorThread, dsn: str | None = None, **params: Any) -> tuple[Any, ...]:
    """Connect, return (current_user, ssl in use), close."""
    return query_once(run, WHO, dsn, **params)


# ------------------------------------------------------------------------- authentication


@pytest.mark.parametrize("user", ["trust_user", "password_user", "md5_user", "scram_user"])
@pytest.mark.parametrize("sslmode", ["disable", "require"])
def test_every_password_method(
    run: ReactorThread, real_postgres: RealPostgres, user: str, sslmode: str
) -> None:
    dsn = real_postgres.dsn(user, real_postgres.password(user), sslmode=sslmode)
    assert who(run, dsn) == (user, sslmode == "require")


def test_uri_and_keyword_arguments(run: ReactorThread, real_postgres: RealPostgres) -> None:
    uri = real_postgres.uri("scram_user", "scram_user_pw", sslmode="prefer")
    assert who(run, uri) == ("scram_user", True)
    assert who(
        run,
        host=real_postgres.host,
        port=real_postgres.port,
        user="md5_user",
        password="md5_user_pw",
        dbname="testdb",
        sslmode="disable",
    ) == ("md5_user", False)


def test_scram_plus_with_channel_binding_required(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    dsn = real_postgres.dsn("scram_user", "scram_user_pw", sslmode="require")
    assert who(run, dsn, channel_binding="require") == ("scram_user", True)
    assert who(run, dsn, channel_binding="disable") == ("scram_user", True)


def test_channel_binding_required_without_tls_or_scram_fails(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    plain = real_postgres.dsn("scram_user", "scram_user_pw", sslmode="disable")
    error = connect_failure(run, plain, channel_binding="require")
    assert isinstance(error, ConnectError)
    assert "channel binding is required, but SSL is not in use" in str(error)
    md5 = real_postgres.dsn("md5_user", "md5_user_pw", sslmode="require")
    error = connect_failure(run, md5, channel_binding="require")
    assert "channel binding required, but the server asked for md5 authentication" in str(error)


@pytest.mark.parametrize("user", ["password_user", "md5_user", "scram_user"])
@pytest.mark.parametrize("sslmode", ["disable", "prefer"])
def test_wrong_password_is_invalid_password(
    run: ReactorThread, real_postgres: RealPostgres, user: str, sslmode: str
) -> None:
    error = connect_failure(run, real_postgres.dsn(user, "wrong", sslmode=sslmode))
    assert isinstance(error, InvalidPassword)
    assert error.sqlstate == "28P01"
    assert f'password authentication failed for user "{user}"' in str(error)


def test_missing_password_is_reported(run: ReactorThread, real_postgres: RealPostgres) -> None:
    error = connect_failure(run, real_postgres.dsn("scram_user", sslmode="disable"))
    assert "SCRAM authentication, but no password was supplied" in str(error)


def test_server_errors_keep_their_class(run: ReactorThread, real_postgres: RealPostgres) -> None:
    error = connect_failure(
        run, real_postgres.dsn("trust_user", dbname="no_such_db", sslmode="disable")
    )
    assert isinstance(error, InvalidCatalogName)
    assert 'database "no_such_db" does not exist' in str(error)
    error = connect_failure(
        run, real_postgres.dsn("ssl_only_user", "ssl_only_user_pw", sslmode="disable")
    )
    assert isinstance(error, InvalidAuthorizationSpecification)
    assert "no encryption" in str(error)


class _AsksForGssapi(Protocol):
    """A server that wants GSSAPI (AuthenticationGSS, code 7), which the client lacks."""

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if data[4:8] == b"\x04\xd2\x16\x2f":  # SSLRequest: no TLS here
            self.transport.write(b"N")  # type: ignore[union-attr]
        else:
            self.transport.write(b"R\x00\x00\x00\x08\x00\x00\x00\x07")  # type: ignore[union-attr]


def test_unsupported_authentication_method(run: ReactorThread) -> None:
    async def listen() -> Any:
        factory = Factory.forProtocol(_AsksForGssapi)
        return run.reactor.listenTCP(0, factory, interface="127.0.0.1")

    listener = run(listen)
    try:
        error = connect_failure(run, f"host=127.0.0.1 port={listener.getHost().port} user=u")
        assert "AuthenticationGSS is not supported" in str(error)
    finally:
        _stop(run, listener)


def test_invalid_parameters_fail_the_deferred(run: ReactorThread) -> None:
    error = connect_failure(run, "host=x sslmode=sometimes")
    assert isinstance(error, DsnError)
    assert 'invalid sslmode value: "sometimes"' in str(error)


def test_startup_parameters_reach_the_server(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    async def go() -> list[Any]:
        connection = await connect(
            run.reactor,
            real_postgres.dsn("trust_user", options="-c search_path=custom,public"),
            application_name="connect-test",
            server_settings={"work_mem": "5MB"},
        )
        rows = await connection.query(
            "SELECT current_setting('application_name'), current_setting('search_path'), "
            "current_setting('work_mem')"
        )
        await connection.close()
        return list(rows[0])

    assert run(go) == ["connect-test", "custom,public", "5MB"]


# ------------------------------------------------------------------------- password file


def test_password_file(run: ReactorThread, real_postgres: RealPostgres, tmp_path: Path) -> None:
    passfile = tmp_path / "pgpass"
    passfile.write_text(
        f"{real_postgres.host}:{real_postgres.port}:testdb:scram_user:scram_user_pw\n"
        f"*:*:*:md5_user:not-the-password\n",
        encoding="utf-8",
    )
    passfile.chmod(0o600)
    dsn = real_postgres.dsn("scram_user", sslmode="disable", passfile=passfile)
    assert who(run, dsn) == ("scram_user", False)
    error = connect_failure(
        run, real_postgres.dsn("md5_user", sslmode="disable", passfile=passfile)
    )
    assert isinstance(error, InvalidPassword)
    assert f'password retrieved from file "{passfile}"' in "\n".join(error.__notes__)
    passfile.chmod(0o644)  # readable by others: ignored, as libpq does
    error = connect_failure(run, dsn)
    assert "no password was supplied" in str(error)


# ------------------------------------------------------------------------- where to connect


def test_unix_socket(run: ReactorThread, real_postgres: RealPostgres) -> None:
    directory = str(real_postgres.unix_socket_dir)
    dsn = f"host={directory} port={real_postgres.port} user=trust_user dbname=testdb"
    # sslmode=require is satisfied without TLS on a Unix socket, as in libpq.
    assert who(run, dsn, sslmode="require") == ("trust_user", False)
    assert who(run, dsn, requirepeer="postgres") == ("trust_user", False)
    error = connect_failure(run, dsn, requirepeer="nobody")
    assert isinstance(error, ConnectError)
    assert 'requirepeer parameter is "nobody" but actual peer user name is "postgres"' in str(error)


def test_host_name_is_resolved(run: ReactorThread, real_postgres: RealPostgres) -> None:
    dsn = f"host=localhost port={real_postgres.port} user=trust_user dbname=testdb"
    assert who(run, dsn, sslmode="disable") == ("trust_user", False)


def test_first_host_down(run: ReactorThread, real_postgres: RealPostgres) -> None:
    down = free_port()
    dsn = (
        f"host=127.0.0.1,{real_postgres.host} port={down},{real_postgres.port} "
        "user=trust_user dbname=testdb"
    )
    assert who(run, dsn) == ("trust_user", True)


def test_all_hosts_down(run: ReactorThread) -> None:
    ports = free_port(), free_port()
    error = connect_failure(run, f"host=127.0.0.1,127.0.0.1 port={ports[0]},{ports[1]} user=u")
    assert isinstance(error, AllHostsFailed)
    assert len(error.errors) == 2
    for port in ports:
        assert f'connection to server at "127.0.0.1", port {port} failed' in str(error)
    assert "refused" in str(error)
    assert error.sqlstate == "08001"


def test_server_error_wins_over_unreachable_hosts(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    down = free_port()
    dsn = (
        f"host=127.0.0.1,{real_postgres.host} port={down},{real_postgres.port} "
        "user=scram_user password=wrong dbname=testdb sslmode=disable"
    )
    error = connect_failure(run, dsn)
    assert isinstance(error, InvalidPassword)
    assert any(f"port {down} failed" in note for note in error.__notes__)


class _Silent(Protocol):
    """Accepts the connection and never says a word."""


def _black_hole(run: ReactorThread) -> tuple[int, Any]:
    async def listen() -> Any:
        return run.reactor.listenTCP(0, Factory.forProtocol(_Silent), interface="127.0.0.1")

    port = run(listen)
    return port.getHost().port, port


def _stop(run: ReactorThread, listener: Any) -> None:
    async def stop() -> None:
        await listener.stopListening()

    run(stop)


def test_connect_timeout_against_a_black_hole(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    hole, listener = _black_hole(run)
    try:
        started = time.monotonic()
        error = connect_failure(run, f"host=127.0.0.1 port={hole} user=u", connect_timeout=0.3)
        assert isinstance(error, ConnectTimeoutError)
        assert "timeout expired" in str(error)
        assert 0.25 < time.monotonic() - started < 3
        # The next host is tried after the timeout (which applies to each host: long enough
        # here for the real server to finish its start-up on a loaded machine).
        dsn = (
            f"host=127.0.0.1,{real_postgres.host} port={hole},{real_postgres.port} "
            "user=trust_user dbname=testdb"
        )
        started = time.monotonic()
        assert who(run, dsn, connect_timeout=1.5) == ("trust_user", True)
        assert time.monotonic() - started >= 1.4  # the black hole was waited for first
    finally:
        _stop(run, listener)


# ------------------------------------------------------------------------- sessions


def test_target_session_attrs(run: ReactorThread, real_postgres: RealPostgres) -> None:
    dsn = real_postgres.dsn("trust_user")
    for attrs in ("any", "read-write", "primary", "prefer-standby"):
        assert who(run, dsn, target_session_attrs=attrs) == ("trust_user", True)
    for attrs, message in (
        ("read-only", "session is not read-only"),
        ("standby", "server is not in hot standby mode"),
    ):
        error = connect_failure(run, dsn, target_session_attrs=attrs)
        assert isinstance(error, SessionAttributesError)
        assert message in str(error)
    read_only = real_postgres.dsn("trust_user", options="-c default_transaction_read_only=on")
    assert who(run, read_only, target_session_attrs="read-only") == ("trust_user", True)
    error = connect_failure(run, read_only, target_session_attrs="read-write")
    assert "session is read-only" in str(error)


@pytest.mark.parametrize("where", ["tls", "unix"])
def test_cancel_uses_the_connection_route(
    run: ReactorThread, real_postgres: RealPostgres, where: str
) -> None:
    if where == "tls":
        dsn = real_postgres.dsn("scram_user", "scram_user_pw", sslmode="require")
    else:
        dsn = f"host={real_postgres.unix_socket_dir} port={real_postgres.port} user=trust_user"

    async def go() -> tuple[PostgresError, float, int]:
        connection = await connect(run.reactor, dsn, dbname="testdb")
        started = time.monotonic()
        try:
            await connection.query("SELECT pg_sleep(20)", timeout=0.3)
        except PostgresError as error:
            caught = error
        else:
            raise AssertionError("pg_sleep was not cancelled")
        elapsed = time.monotonic() - started
        value = (await connection.query("SELECT 42"))[0][0]
        await connection.close()
        return caught, elapsed, value

    error, elapsed, value = run(go)
    assert isinstance(error, QueryCanceled)
    assert elapsed < 5
    assert value == 42
