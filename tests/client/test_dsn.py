"""libpq connection parameters: URIs, key=value strings, environment, services, defaults, checks.

Expected values follow the libpq documentation (34.1.1 "Connection Strings", 34.15
"Environment Variables", 34.17 "The Connection Service File"); the examples of section 34.1.1
are in the tables verbatim.  `test_agrees_with_psycopg2` cross-checks the syntax against the
real libpq through psycopg2's ``conninfo_to_dict``.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

import pytest

from txpostgres_proto.client.conninfo import DsnError, parse_conninfo
from txpostgres_proto.client.dsn import Host, default_host, parse_dsn

ENVIRONMENT_VARIABLES = (
    "PGHOST PGHOSTADDR PGPORT PGUSER PGPASSWORD PGDATABASE PGAPPNAME PGSSLMODE PGSSLROOTCERT "
    "PGSSLCERT PGSSLKEY PGCONNECT_TIMEOUT PGPASSFILE PGCHANNELBINDING PGOPTIONS "
    "PGTARGETSESSIONATTRS PGSERVICE PGSERVICEFILE PGDATESTYLE PGTZ PGGEQO PGCLIENTENCODING"
).split()


@pytest.fixture(autouse=True)
def clean_environment(libpq_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No PG* variables, a home directory without .pgpass or .pg_service.conf
    (`libpq_home`), and no system-wide service file."""
    monkeypatch.setenv("PGSYSCONFDIR", str(tmp_path / "sysconf"))
    return libpq_home


OS_USER = pwd.getpwuid(os.geteuid()).pw_name


# ------------------------------------------------------------------------- syntax tables

URI_TABLE: list[tuple[str, dict[str, str]]] = [
    ("postgresql://", {}),
    ("postgres://", {}),
    ("postgresql://localhost", {"host": "localhost"}),
    ("postgresql://localhost:5433", {"host": "localhost", "port": "5433"}),
    ("postgresql://localhost/mydb", {"host": "localhost", "dbname": "mydb"}),
    ("postgresql://user@localhost", {"user": "user", "host": "localhost"}),
    (
        "postgresql://user:secret@localhost",
        {"user": "user", "password": "secret", "host": "localhost"},
    ),
    (
        "postgresql://other@localhost/otherdb?connect_timeout=10&application_name=myapp",
        {
            "user": "other",
            "host": "localhost",
            "dbname": "otherdb",
            "connect_timeout": "10",
            "application_name": "myapp",
        },
    ),
    (
        "postgresql://host1:123,host2:456/somedb?target_session_attrs=any&application_name=myapp",
        {
            "host": "host1,host2",
            "port": "123,456",
            "dbname": "somedb",
            "target_session_attrs": "any",
            "application_name": "myapp",
        },
    ),
    ("postgresql://h1,h2:5433", {"host": "h1,h2", "port": ",5433"}),
    ("postgresql://[::1]:5433/db", {"host": "::1", "port": "5433", "dbname": "db"}),
    ("postgresql://[2001:db8::1234]/database", {"host": "2001:db8::1234", "dbname": "database"}),
    (
        "postgresql:///dbname?host=/var/lib/postgresql",
        {"dbname": "dbname", "host": "/var/lib/postgresql"},
    ),
    (
        "postgresql://%2Fvar%2Flib%2Fpostgresql/dbname",
        {"host": "/var/lib/postgresql", "dbname": "dbname"},
    ),
    (
        "postgresql://us%40er:p%3As%2Fw%25rd@h/d%20b",
        {"user": "us@er", "password": "p:s/w%rd", "host": "h", "dbname": "d b"},
    ),
    ("postgresql://u:@h", {"user": "u", "host": "h"}),
    ("postgresql://:5433", {"port": "5433"}),
    ("postgresql://h/?application_name=a+b%C3%A9", {"host": "h", "application_name": "a+bé"}),
    ("postgresql://h?ssl=true", {"host": "h", "sslmode": "require"}),
    ("postgresql://h?sslmode=verify-full&sslmode=disable", {"host": "h", "sslmode": "disable"}),
    ("postgresql:///?host=a&port=1&dbname=x&", {"host": "a", "port": "1", "dbname": "x"}),
    ("postgresql://h?", {"host": "h"}),
    ("postgresql://,", {"host": ",", "port": ","}),
    ("postgresql://a@b@c/d", {"user": "a", "host": "b@c", "dbname": "d"}),
    ("postgresql://h:12:13/d", {"host": "h", "port": "12:13", "dbname": "d"}),
    ("postgresql://h?host=", {"host": ""}),
]


@pytest.mark.parametrize(("uri", "expected"), URI_TABLE)
def test_uri(uri: str, expected: dict[str, str]) -> None:
    assert parse_conninfo(uri) == expected


KEYWORD_VALUE_TABLE: list[tuple[str, dict[str, str]]] = [
    ("", {}),
    ("   ", {}),
    (
        "host=localhost port=5432 dbname=mydb connect_timeout=10",
        {"host": "localhost", "port": "5432", "dbname": "mydb", "connect_timeout": "10"},
    ),
    ("host = localhost  dbname= x user =y", {"host": "localhost", "dbname": "x", "user": "y"}),
    ("password='it\\'s a \\\\ secret'", {"password": "it's a \\ secret"}),
    ("password=''", {"password": ""}),
    ("options=-c\\ search_path=x", {"options": "-c search_path=x"}),
    ("application_name='a b'dbname=c", {"application_name": "a b", "dbname": "c"}),
    ("user=a user=b", {"user": "b"}),
    ("host=a,b,c port=1", {"host": "a,b,c", "port": "1"}),
    ("\thost=x\n", {"host": "x"}),
]


@pytest.mark.parametrize(("text", "expected"), KEYWORD_VALUE_TABLE)
def test_keyword_value(text: str, expected: dict[str, str]) -> None:
    assert parse_conninfo(text) == expected


SYNTAX_ERRORS: list[tuple[str, str]] = [
    ("host", 'missing "=" after "host"'),
    ("host=localhost foo", 'missing "=" after "foo"'),
    ("password='abc", "unterminated quoted string"),
    ("nosuch=1", 'invalid connection option "nosuch"'),
    ("postgresql://[::1", 'matching "]"'),
    ("postgresql://[]/db", "IPv6 host address may not be empty"),
    ("postgresql://[::1]x/db", 'unexpected character "x"'),
    ("postgresql://h?foo=bar", 'invalid URI query parameter: "foo"'),
    ("postgresql://h?sslmode", 'missing key/value separator "="'),
    ("postgresql://h?host=a&&port=1", 'missing key/value separator "="'),
    ("postgresql://h?ssl=false", 'invalid URI query parameter: "ssl"'),
    ("postgresql://h?sslmode=a=b", 'extra key/value separator "="'),
    ("postgresql://h/%zz", "invalid percent-encoded token"),
    ("postgresql://h/a%0", "invalid percent-encoded token"),
    ("postgresql://h/a%00b", "forbidden value %00"),
    ("mydb", 'missing "=" after "mydb"'),
]


@pytest.mark.parametrize(("text", "message"), SYNTAX_ERRORS)
def test_syntax_errors(text: str, message: str) -> None:
    with pytest.raises(DsnError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_conninfo(text)


def test_agrees_with_psycopg2() -> None:
    """libpq itself (through psycopg2) parses every table entry the same way, and refuses
    every string we refuse."""
    psycopg2 = pytest.importorskip("psycopg2")
    from psycopg2.extensions import parse_dsn as libpq_parse

    for text, expected in URI_TABLE + KEYWORD_VALUE_TABLE:
        assert libpq_parse(text) == expected, text
    for text, _ in SYNTAX_ERRORS:
        with pytest.raises(psycopg2.ProgrammingError):
            libpq_parse(text)


# ------------------------------------------------------------------------- resolution


def test_defaults() -> None:
    params = parse_dsn()
    assert params.hosts == (Host(default_host(), 5432),)
    assert default_host() == (
        "/var/run/postgresql" if os.path.isdir("/var/run/postgresql") else "localhost"
    )
    assert params.user == OS_USER
    assert params.database == OS_USER
    assert params.password is None
    assert params.sslmode == "prefer"
    assert params.channel_binding == "prefer"
    assert params.target_session_attrs == "any"
    assert params.connect_timeout is None
    assert params.ssl_min_protocol_version == "TLSv1.2"
    assert params.passfile == str(Path.home() / ".pgpass")


def test_hosts_and_ports() -> None:
    params = parse_dsn("host=a,/tmp,[x] port=1,2,3")
    assert [(h.host, h.port) for h in params.hosts] == [("a", 1), ("/tmp", 2), ("[x]", 3)]
    assert [h.is_unix_socket for h in params.hosts] == [False, True, False]
    assert params.hosts[1].socket_path == "/tmp/.s.PGSQL.2"
    assert parse_dsn("host=a,b port=7").hosts == (Host("a", 7), Host("b", 7))
    assert parse_dsn("postgresql://h1,h2:5433").hosts == (Host("h1", 5432), Host("h2", 5433))
    both = parse_dsn("host=db.example hostaddr=127.0.0.1")
    assert both.hosts == (Host("db.example", 5432, "127.0.0.1"),)
    assert both.hosts[0].address == "127.0.0.1"
    assert parse_dsn("hostaddr=::1").hosts == (Host("", 5432, "::1"),)
    assert parse_dsn("host=,b").hosts[0].host == default_host()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("host=a,b port=1,2,3", "could not match 3 port numbers to 2 hosts"),
        ("host=a,b hostaddr=127.0.0.1", "could not match 2 host names to 1 hostaddr values"),
        ("port=abc", 'invalid integer value "abc" for connection option "port"'),
        ("port=70000", 'invalid port number: "70000"'),
        ("sslmode=maybe", 'invalid sslmode value: "maybe"'),
        ("channel_binding=always", 'invalid channel_binding value: "always"'),
        ("target_session_attrs=master", 'invalid target_session_attrs value: "master"'),
        ("connect_timeout=ten", 'invalid integer value "ten" for connection option'),
        ("sslrootcert=system sslmode=verify-ca", 'weak sslmode "verify-ca" may not be used'),
        ("gssencmode=require", "GSSAPI"),
        ("client_encoding=LATIN1", "UTF8"),
        ("ssl_min_protocol_version=TLSv1.3 ssl_max_protocol_version=TLSv1.2", "range"),
        ("ssl_min_protocol_version=SSLv3", "invalid ssl_min_protocol_version value"),
        ("load_balance_hosts=round-robin", "invalid load_balance_hosts value"),
    ],
)
def test_invalid_values(text: str, message: str) -> None:
    with pytest.raises(DsnError, match=message):
        parse_dsn(text)


def test_connect_timeout() -> None:
    assert parse_dsn("connect_timeout=10").connect_timeout == 10.0
    assert parse_dsn("connect_timeout=1").connect_timeout == 2.0  # libpq's minimum
    assert parse_dsn("connect_timeout=0").connect_timeout is None
    assert parse_dsn("connect_timeout=-5").connect_timeout is None
    assert parse_dsn(connect_timeout=0.25).connect_timeout == 0.25
    assert parse_dsn(connect_timeout="3").connect_timeout == 3.0


def test_environment_supplies_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    environment = {
        "PGHOST": "envhost",
        "PGPORT": "6000",
        "PGUSER": "envuser",
        "PGPASSWORD": "envpass",
        "PGDATABASE": "envdb",
        "PGAPPNAME": "envapp",
        "PGSSLMODE": "verify-ca",
        "PGSSLROOTCERT": "/r.crt",
        "PGSSLCERT": "/c.crt",
        "PGSSLKEY": "/c.key",
        "PGCONNECT_TIMEOUT": "7",
        "PGPASSFILE": str(tmp_path / "pw"),
        "PGCHANNELBINDING": "require",
        "PGOPTIONS": "-c search_path=s",
        "PGTARGETSESSIONATTRS": "read-write",
        "PGTZ": "UTC",
        "PGDATESTYLE": "ISO, DMY",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    params = parse_dsn()
    assert params.hosts == (Host("envhost", 6000),)
    assert (params.user, params.password, params.database) == ("envuser", "envpass", "envdb")
    assert params.application_name == "envapp"
    assert (params.sslmode, params.sslrootcert) == ("verify-ca", "/r.crt")
    assert (params.sslcert, params.sslkey) == ("/c.crt", "/c.key")
    assert params.connect_timeout == 7.0
    assert params.passfile == str(tmp_path / "pw")
    assert params.channel_binding == "require"
    assert params.target_session_attrs == "read-write"
    assert params.startup_parameters() == {
        "timezone": "UTC",
        "datestyle": "ISO, DMY",
        "options": "-c search_path=s",
    }
    # The connection string beats the environment; keyword arguments beat both.
    mixed = parse_dsn("host=strhost user=struser", user="kwuser", database="kwdb", port=None)
    assert mixed.hosts == (Host("strhost", 6000),)
    assert (mixed.user, mixed.database) == ("kwuser", "kwdb")
    # An empty value in the string counts as set: the environment does not fill it.
    assert parse_dsn("host='' sslmode=''").hosts == (Host(default_host(), 6000),)
    assert parse_dsn("sslmode=''").sslmode == "prefer"


def test_keyword_arguments() -> None:
    params = parse_dsn(
        "postgresql://u@h/db",
        password="pw",
        sslmode="require",
        server_settings={"search_path": "x", "work_mem": 1024},
        application_name="kw",
        keepalives=False,
    )
    assert params.password == "pw"
    assert params.sslmode == "require"
    assert params.keepalives is False
    assert params.startup_parameters() == {"search_path": "x", "work_mem": "1024"}
    assert "pw" not in repr(params)
    with pytest.raises(DsnError, match='invalid connection option "nosuch"'):
        parse_dsn(nosuch=1)


def test_fallback_application_name() -> None:
    assert parse_dsn("fallback_application_name=f").application_name == "f"
    assert parse_dsn("fallback_application_name=f application_name=a").application_name == "a"


def test_service_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    services = tmp_path / "services.conf"
    services.write_text(
        "# comment\n[mydb]\nhost=svchost\nport=6432\nuser=svcuser\ndbname=svcdb\n"
        "[other]\nhost=elsewhere\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGUSER", "envuser")
    monkeypatch.setenv("PGPORT", "1111")
    params = parse_dsn("service=mydb dbname=strdb")
    assert params.hosts == (Host("svchost", 6432),)
    assert (params.user, params.database) == ("svcuser", "strdb")
    monkeypatch.setenv("PGSERVICE", "other")
    assert parse_dsn().hosts == (Host("elsewhere", 1111),)
    with pytest.raises(DsnError, match='definition of service "missing" not found'):
        parse_dsn(service="missing")
    sysconf = tmp_path / "sysconf"
    sysconf.mkdir()
    (sysconf / "pg_service.conf").write_text("[system]\nport=2222\n", encoding="utf-8")
    assert parse_dsn(service="system").hosts[0].port == 2222


# ------------------------------------------------------------------------- password file

PGPASS = """\
# a comment line
db.example:5432:*:alice:alice-example
*:5433:*:alice:any-host-5433
localhost:5432:shop:alice:local-shop
localhost:*:*:bob:bob\\:colon\\\\backslash
/tmp/sock:5432:*:alice:from-socket-path
127.0.0.1:5432:*:carol:by-hostaddr
a\\:b:5432:*:alice:escaped-host
*:*:*:alice:fallback
*:*:*:short
"""


@pytest.fixture
def passfile(tmp_path: Path) -> Path:
    path = tmp_path / "pgpass"
    path.write_text(PGPASS, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("host=db.example user=alice", "alice-example"),
        ("host=db.example port=5433 user=alice", "any-host-5433"),
        ("host=localhost dbname=shop user=alice", "local-shop"),
        ("host=/var/run/postgresql dbname=shop user=alice", "local-shop"),
        ("host=/tmp/sock user=alice", "from-socket-path"),
        ("host=/other/dir dbname=shop user=alice", "fallback"),
        ("host=localhost user=bob", "bob:colon\\backslash"),
        ("hostaddr=127.0.0.1 user=carol", "by-hostaddr"),
        ("host=a:b user=alice", "escaped-host"),
        ("host=elsewhere user=alice", "fallback"),
        ("host=elsewhere user=short", None),
        ("host=elsewhere user=nobody", None),
        ("host=db.example user=alice password=given", "given"),
    ],
)
def test_password_file_lookup(dsn: str, expected: str | None, passfile: Path) -> None:
    params = parse_dsn(dsn, passfile=str(passfile))
    assert params.password_for(params.hosts[0]) == expected


def test_password_file_from_environment_and_home(
    monkeypatch: pytest.MonkeyPatch, passfile: Path, clean_environment: Path
) -> None:
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    params = parse_dsn("host=db.example user=alice")
    assert params.password_for(params.hosts[0]) == "alice-example"
    monkeypatch.delenv("PGPASSFILE")
    (clean_environment / ".pgpass").write_text("*:*:*:*:from-home\n", encoding="utf-8")
    (clean_environment / ".pgpass").chmod(0o600)
    params = parse_dsn("host=db.example user=alice")
    assert params.password_for(params.hosts[0]) == "from-home"


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o644])
def test_password_file_readable_by_others_is_ignored(passfile: Path, mode: int) -> None:
    passfile.chmod(mode)
    params = parse_dsn("host=db.example user=alice", passfile=str(passfile))
    assert params.password_for(params.hosts[0]) is None


def test_password_file_that_is_not_a_file_is_ignored(tmp_path: Path) -> None:
    params = parse_dsn("host=h user=alice", passfile=str(tmp_path))
    assert params.password_for(params.hosts[0]) is None
    params = parse_dsn("host=h user=alice", passfile=str(tmp_path / "missing"))
    assert params.password_for(params.hosts[0]) is None
