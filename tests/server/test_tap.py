"""The twistd plugin, its options and ``python -m txpostgres_proto``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from twisted.application.service import IServiceMaker
from twisted.internet.testing import MemoryReactor
from twisted.plugin import getPlugins
from twisted.python import usage

from tests.pki import Pki
from txpostgres_proto import tap
from txpostgres_proto.__main__ import main
from txpostgres_proto.server.credentials import AuthMethod
from txpostgres_proto.server.factory import PostgresServerFactory

from .test_protocol import Backend

ROOT = Path(__file__).resolve().parents[2]
HANDLER = f"{__name__.rpartition('.')[0]}.test_protocol:Backend"


def parse(*arguments: str) -> tap.Options:
    options = tap.Options()
    options.parseOptions(list(arguments))
    return options


def test_defaults() -> None:
    options = parse("--handler", HANDLER)
    assert options["listen"] == ["tcp:55432"]
    assert options["auth"] == "trust"
    assert options["startup-timeout"] == 60.0
    assert options["server-version"] == "15.18"
    assert not options["require-tls"]


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--tls-cert", "a.pem"], "go together"),
        (["--require-tls"], "needs --tls-cert"),
        (["--auth", "kerberos"], "unknown --auth"),
        (["--auth", "md5"], "needs --users"),
        (["--set", "novalue"], "NAME=VALUE"),
        (["--startup-timeout", "soon"], "could not convert"),
    ],
)
def test_bad_options(arguments: list[str], message: str) -> None:
    with pytest.raises(usage.UsageError, match=message):
        parse(*arguments)


@pytest.mark.parametrize("spec", [HANDLER, HANDLER.replace(":", ".")])
def test_load_handler_both_spellings(spec: str) -> None:
    assert tap.load_handler(spec) is Backend


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Backend", "module.Class"),
        ("no_such_module:X", "cannot import"),
        (f"{HANDLER.partition(':')[0]}:Missing", "has no 'Missing'"),
        (f"{HANDLER.partition(':')[0]}:ITEMS", "not callable"),
    ],
)
def test_load_handler_errors(spec: str, message: str) -> None:
    with pytest.raises(usage.UsageError, match=message):
        tap.load_handler(spec)


def test_make_service_listens_on_every_endpoint(tmp_path: Path, pki: Pki) -> None:
    users = tmp_path / "users.txt"
    users.write_text('"alice" "secret"\n')
    options = parse(
        "--handler",
        HANDLER,
        "--listen",
        "tcp:6001:interface=127.0.0.1",
        "--listen",
        "tcp:6002",
        "--tls-cert",
        str(pki.server_cert),
        "--tls-key",
        str(pki.server_key),
        "--require-tls",
        "--auth",
        "scram-sha-256",
        "--users",
        str(users),
        "--set",
        "TimeZone=Europe/Paris",
        "--server-version",
        "16.2",
        "--startup-timeout",
        "7",
    )
    reactor = MemoryReactor()
    service = tap.makeService(options, reactor)
    service.startService()
    ports = [(port, interface) for port, _, _, interface in reactor.tcpServers]
    assert ports == [(6001, "127.0.0.1"), (6002, "")]
    factory = reactor.tcpServers[0][1]
    assert isinstance(factory, PostgresServerFactory)
    assert factory is reactor.tcpServers[1][1]
    assert factory.backend_factory is Backend
    assert factory.auth is AuthMethod.SCRAM_SHA_256
    assert factory.require_tls and factory.tls is not None
    assert factory.password_store is not None and factory.password_store.get_secret("alice")
    assert factory.parameters["TimeZone"] == "Europe/Paris"
    assert factory.parameters["server_version_num"] == "160002"
    assert factory.startup_timeout == 7.0
    assert factory.reactor is reactor
    service.stopService()


def test_unreadable_files_are_usage_errors(tmp_path: Path) -> None:
    options = parse("--handler", HANDLER, "--auth", "password", "--users", str(tmp_path / "x"))
    with pytest.raises(usage.UsageError, match="cannot read --users"):
        tap.make_factory(options, MemoryReactor())
    options = parse("--handler", HANDLER, "--tls-cert", "/nonexistent", "--tls-key", "/x")
    with pytest.raises(usage.UsageError, match="TLS certificate"):
        tap.make_factory(options, MemoryReactor())


def test_bad_endpoint_is_a_usage_error() -> None:
    options = parse("--handler", HANDLER, "--listen", "carrier-pigeon:1")
    with pytest.raises(usage.UsageError, match="bad --listen"):
        tap.makeService(options, MemoryReactor())


def test_without_handler_uses_the_sqlite_backend_or_says_why() -> None:
    options = parse()
    try:
        factory = tap.make_factory(options, MemoryReactor())
    except usage.UsageError as error:
        assert "built-in SQLite backend is not available" in str(error)
        assert "--handler" in str(error)
    else:
        assert callable(factory.backend_factory)


def test_plugin_is_discoverable() -> None:
    makers = {maker.tapname: maker for maker in getPlugins(IServiceMaker)}
    maker = makers["pgproto"]
    assert maker.options is tap.Options
    assert "PostgreSQL" in maker.description


def test_main_reports_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--auth", "md5"]) == 2
    assert "--auth md5 needs --users FILE" in capsys.readouterr().err
    assert main(["--handler", "no_such_module:X"]) == 2
    assert "cannot import" in capsys.readouterr().err


def test_help_explains_the_options() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "txpostgres_proto", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    for option in ("--listen", "--handler", "--tls-cert", "--require-tls", "--users", "--auth"):
        assert option in result.stdout


def test_bad_server_parameter_is_a_usage_error() -> None:
    options = parse("--handler", HANDLER, "--set", "TimeZone=Mars/Base")
    with pytest.raises(usage.UsageError, match="bad server parameter TimeZone"):
        tap.make_factory(options, MemoryReactor())
