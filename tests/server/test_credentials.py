"""The password store, the choice of exchange, twisted.cred, and pgbouncer's auth_file format.

The round trips run the server's side exactly as the server glue will (plan, then the stored
secret or a ScramServer) against our client code, for every stored form and method.  The
auth_file parser is checked against pgbouncer itself reading the same file.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import psycopg2
import pytest
from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import ICredentials, IUsernamePassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet.defer import Deferred
from twisted.python.failure import Failure
from zope.interface import Interface, implementer
from zope.interface.verify import verifyObject

from tests.pgserver import free_port
from txpostgres_proto.protocol.md5 import md5_password_hash, md5_response
from txpostgres_proto.protocol.scram import (
    SCRAM_SHA_256,
    SCRAM_SHA_256_PLUS,
    ScramAuthenticationError,
    ScramClient,
    ScramServer,
    make_scram_verifier,
    select_scram_mechanism,
)
from txpostgres_proto.server.credentials import (
    AuthExchange,
    AuthMethod,
    AuthPlan,
    PasswordStore,
    PasswordStoreChecker,
    SecretKind,
    StoredSecret,
    load_auth_file,
    parse_auth_file,
    plan_authentication,
)

PASSWORD = "s3cret p\u00e4ss"
SCRAM_SECRET = make_scram_verifier(PASSWORD, salt=b"fixed salt 16 by").format()
CB = b"\x01" * 32
CAROL_PASSWORD = "carol p\u00e4ss"


def _store() -> PasswordStore:
    return PasswordStore(
        {
            "plain": PASSWORD,
            "hashed": md5_password_hash("hashed", PASSWORD),
            "scram": SCRAM_SECRET,
        },
        mock_secret=b"test mock secret",
    )


# -- auth_file -------------------------------------------------------------------------------


def test_parse_auth_file() -> None:
    text = (
        '; a comment\n'
        '\n'
        '   "alice"   "pa""ss w;#rd"   "ignored" and more\n'
        '# another comment\n'
        '"b""ob" "md5' + "0" * 32 + '"\n'
        '"carol"\t"' + SCRAM_SECRET + '"\n'
        '"dave" ""\n'
        '"alice" "second wins"\n'
    )  # fmt: skip
    assert parse_auth_file(text) == {
        "alice": "second wins",
        'b"ob': "md5" + "0" * 32,
        "carol": SCRAM_SECRET,
        "dave": "",
    }


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("alice secret", "expected a double-quoted field"),
        ('"alice"', "expected a double-quoted field"),
        ('"alice" secret', "expected a double-quoted field"),
        ('"alice" "secret', "unterminated"),
        ('"alice', "unterminated"),
    ],
)
def test_parse_auth_file_refuses_broken_lines(line: str, problem: str) -> None:
    with pytest.raises(ValueError, match=f"users.txt:2: {problem}"):
        parse_auth_file('"ok" "fine"\n' + line + "\n", "users.txt")


def test_load_auth_file_classifies_secrets(tmp_path: Path) -> None:
    path = tmp_path / "users.txt"
    path.write_text(
        f'"plain" "{PASSWORD}"\n"hashed" "{md5_password_hash("hashed", PASSWORD)}"\n'
        f'"scram" "{SCRAM_SECRET}"\n',
        encoding="utf-8",
    )
    store = load_auth_file(path)
    kinds = {user: store.get_secret(user) for user in ("plain", "hashed", "scram", "nobody")}
    assert {user: s.kind if s else None for user, s in kinds.items()} == {
        "plain": SecretKind.PLAINTEXT,
        "hashed": SecretKind.MD5,
        "scram": SecretKind.SCRAM,
        "nobody": None,
    }
    with pytest.raises(FileNotFoundError):
        load_auth_file(tmp_path / "missing.txt")


# -- stored secrets --------------------------------------------------------------------------


@pytest.mark.parametrize("user", ["plain", "hashed", "scram"])
def test_check_plaintext_for_every_kind(user: str) -> None:
    secret = _store().get_secret(user)
    assert secret is not None
    assert secret.check_plaintext(PASSWORD)
    assert secret.check_plaintext(PASSWORD.encode())
    assert not secret.check_plaintext(PASSWORD + "x")
    assert not secret.check_plaintext("")


def test_md5_check_per_kind() -> None:
    store, salt = _store(), b"\x00\xff\x10\x20"
    for user in ("plain", "hashed"):
        secret = store.get_secret(user)
        assert secret is not None
        assert secret.md5_check(user, salt, md5_response(user, PASSWORD, salt))
        assert not secret.md5_check(user, salt, md5_response(user, "wrong", salt))
    scram = store.get_secret("scram")
    assert scram is not None
    assert not scram.md5_check("scram", salt, md5_response("scram", PASSWORD, salt))


def test_scram_verifier_per_kind() -> None:
    store = _store()
    plain, hashed, scram = (store.get_secret(u) for u in ("plain", "hashed", "scram"))
    assert plain is not None and hashed is not None and scram is not None
    derived = plain.scram_verifier()
    assert derived is not None and derived.verify_password(PASSWORD)
    assert plain.scram_verifier() is derived  # derived once, then reused
    assert hashed.scram_verifier() is None  # SCRAM is impossible from an md5 hash
    stored = scram.scram_verifier()
    assert stored is not None and stored.format() == SCRAM_SECRET


def test_stored_secret_repr_hides_the_secret() -> None:
    text = repr(StoredSecret("alice", "hunter2"))
    assert "hunter2" not in text and "plaintext" in text


def test_scram_verifier_for_unknown_or_md5_roles_is_a_stable_mock() -> None:
    store = _store()
    for user in ("nobody", "hashed"):
        mock = store.scram_verifier_for(user)
        assert mock.doomed
        assert mock == store.scram_verifier_for(user)
    assert store.scram_verifier_for("nobody").salt != store.scram_verifier_for("other").salt
    other_server = PasswordStore(mock_secret=b"another secret")
    assert other_server.scram_verifier_for("nobody") != store.scram_verifier_for("nobody")
    assert not store.scram_verifier_for("scram").doomed
    store.set_secret("nobody", "now exists")
    assert not store.scram_verifier_for("nobody").doomed


# -- choosing the exchange -------------------------------------------------------------------

T, R, C, M, S = (
    AuthExchange.TRUST,
    AuthExchange.REJECT,
    AuthExchange.CLEARTEXT,
    AuthExchange.MD5,
    AuthExchange.SCRAM,
)
PLAN_TABLE = {  # method: (plaintext, md5, scram, unknown) — the module docstring's table
    "trust": (T, T, T, T),
    "password": (C, C, C, C),
    "md5": (M, M, S, S),
    "scram-sha-256": (S, S, S, S),
    "reject": (R, R, R, R),
}


@pytest.mark.parametrize("method", list(PLAN_TABLE))
def test_plan_authentication_table(method: str) -> None:
    store = _store()
    secrets = [store.get_secret(user) for user in ("plain", "hashed", "scram", "nobody")]
    assert [plan_authentication(method, secret).exchange for secret in secrets] == list(
        PLAN_TABLE[method]
    )


def test_plan_offers_plus_with_channel_binding() -> None:
    secret = _store().get_secret("scram")
    assert plan_authentication(AuthMethod.SCRAM_SHA_256, secret) == AuthPlan(
        AuthExchange.SCRAM, (SCRAM_SHA_256,)
    )
    assert plan_authentication("scram-sha-256", secret, CB) == AuthPlan(
        AuthExchange.SCRAM, (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)
    )
    assert plan_authentication("md5", secret, CB).mechanisms == (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)
    assert plan_authentication("password", secret, CB).mechanisms == ()
    with pytest.raises(ValueError):
        plan_authentication("ident", secret)


# -- round trips: the server glue's steps against our client ---------------------------------


def _authenticate(
    store: PasswordStore,
    method: str,
    user: str,
    password: str,
    channel_binding: bytes | None = None,
) -> tuple[AuthExchange, bool]:
    """Run what the server glue runs for ``method``; our client code answers."""
    secret = store.get_secret(user)
    plan = plan_authentication(method, secret, channel_binding)
    if plan.exchange is AuthExchange.TRUST:
        return plan.exchange, True
    if plan.exchange is AuthExchange.REJECT:
        return plan.exchange, False
    if plan.exchange is AuthExchange.CLEARTEXT:
        return plan.exchange, secret is not None and secret.check_plaintext(password)
    if plan.exchange is AuthExchange.MD5:
        assert secret is not None  # the plan never asks an unknown role for md5
        salt = os.urandom(4)
        return plan.exchange, secret.md5_check(user, salt, md5_response(user, password, salt))
    server = ScramServer(store.scram_verifier_for(user), channel_binding)
    assert server.mechanisms == plan.mechanisms
    mechanism = select_scram_mechanism(plan.mechanisms, channel_binding)
    client = ScramClient(password, channel_binding, mechanism=mechanism)
    try:
        server_first = server.handle_client_first(mechanism, client.client_first())
        server_final = server.handle_client_final(client.handle_server_first(server_first))
    except ScramAuthenticationError:
        return plan.exchange, False
    client.verify_server_final(server_final)
    assert client.done and server.authenticated
    return plan.exchange, True


ROUND_TRIPS = [
    # (method, user, exchange, succeeds with the right password)
    ("password", "plain", C, True),
    ("password", "hashed", C, True),
    ("password", "scram", C, True),
    ("password", "nobody", C, False),
    ("md5", "plain", M, True),
    ("md5", "hashed", M, True),
    ("md5", "scram", S, True),
    ("md5", "nobody", S, False),
    ("scram-sha-256", "plain", S, True),
    ("scram-sha-256", "hashed", S, False),  # md5 hash stored: SCRAM cannot succeed
    ("scram-sha-256", "scram", S, True),
    ("scram-sha-256", "nobody", S, False),
    ("trust", "nobody", T, True),
    ("reject", "scram", R, False),
]


@pytest.mark.parametrize("channel_binding", [None, CB], ids=["plain", "tls"])
@pytest.mark.parametrize(("method", "user", "exchange", "succeeds"), ROUND_TRIPS)
def test_round_trip(
    method: str,
    user: str,
    exchange: AuthExchange,
    succeeds: bool,
    channel_binding: bytes | None,
) -> None:
    store = _store()
    assert _authenticate(store, method, user, PASSWORD, channel_binding) == (exchange, succeeds)
    wrong = _authenticate(store, method, user, "wrong " + PASSWORD, channel_binding)
    assert wrong == (exchange, exchange is AuthExchange.TRUST)


# -- twisted.cred ----------------------------------------------------------------------------


class ISession(Interface):
    """The avatar interface of the test realm."""


@implementer(IRealm)
class Realm:
    def requestAvatar(  # noqa: N802 - twisted.cred's interface
        self, avatarId: str | bytes, mind: object, *interfaces: type[Interface]
    ) -> tuple[type[Interface], str, object]:
        return interfaces[0], f"session of {avatarId!r}", lambda: None


def _fired(deferred: Deferred[Any]) -> object:
    results: list[object] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    return results[0]


def test_checker_provides_the_interface() -> None:
    checker = PasswordStoreChecker(_store())
    assert verifyObject(ICredentialsChecker, checker)
    assert IUsernamePassword in checker.credentialInterfaces


def _portal() -> Portal:
    checker = cast(ICredentialsChecker, PasswordStoreChecker(_store()))
    return Portal(cast(IRealm, Realm()), [checker])


def _credentials(user: bytes, password: bytes) -> ICredentials:
    return cast(ICredentials, UsernamePassword(user, password))


@pytest.mark.parametrize("user", [b"plain", b"hashed", b"scram"])
def test_portal_login_with_the_store(user: bytes) -> None:
    portal = _portal()
    password = PASSWORD.encode()
    result = _fired(portal.login(_credentials(user, password), None, ISession))
    assert isinstance(result, tuple)
    interface, avatar, _logout = result
    assert interface is ISession and avatar == f"session of {user!r}"


@pytest.mark.parametrize(("user", "password"), [(b"scram", b"wrong"), (b"nobody", b"x")])
def test_portal_login_refused(user: bytes, password: bytes) -> None:
    result = _fired(_portal().login(_credentials(user, password), None, ISession))
    assert isinstance(result, Failure) and result.check(UnauthorizedLogin)
    assert "password authentication failed" in str(result.value)


# -- pgbouncer reads the same auth_file the same way -----------------------------------------


@pytest.fixture
def pgbouncer_auth_file() -> Iterator[tuple[int, Path]]:
    """Start pgbouncer (admin console only) on an auth_file; yield its port and the file."""
    program = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.access("/usr/sbin/pgbouncer", os.X_OK) else None
    )
    if program is None:
        pytest.skip("pgbouncer is not installed")
    # Not pytest's tmp_path: pgbouncer runs as another user, who cannot enter that tree.
    directory = Path(tempfile.mkdtemp(prefix="txpg-pgbouncer-"))
    try:
        yield from _run_pgbouncer(program, directory)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _run_pgbouncer(program: str, directory: Path) -> Iterator[tuple[int, Path]]:
    port = free_port()
    auth_file = directory / "users.txt"
    bob_hash = md5_password_hash('b"ob', "bobpw")
    carol_verifier = make_scram_verifier(CAROL_PASSWORD).format()
    auth_file.write_text(
        "; users for the admin console\n"
        "\n"
        '  "alice"  "pa""ss w;#rd"  "ignored" trailing words\n'
        f'"b""ob" "{bob_hash}"\n'
        f'"carol" "{carol_verifier}"\n',
        encoding="utf-8",
    )
    (directory / "pgbouncer.ini").write_text(
        "[databases]\n[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\n"
        f"auth_type = md5\nauth_file = {auth_file}\n"
        'admin_users = alice, b"ob, carol\n'
        f"logfile = {directory / 'pgbouncer.log'}\npidfile = {directory / 'pgbouncer.pid'}\n",
        encoding="utf-8",
    )
    argv = [program, "-d", str(directory / "pgbouncer.ini")]
    if os.geteuid() == 0:  # pgbouncer refuses to run as root
        owner = pwd.getpwnam("postgres")
        for path in (directory, *directory.iterdir()):
            os.chown(path, owner.pw_uid, owner.pw_gid)
        argv = ["runuser", "-u", "postgres", "--", *argv]
    subprocess.run(argv, check=True, capture_output=True, timeout=30)
    pid = _wait_for_pgbouncer(directory / "pgbouncer.pid", port)
    try:
        yield port, auth_file
    finally:
        os.kill(pid, signal.SIGTERM)


def _wait_for_pgbouncer(pidfile: Path, port: int) -> int:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pid = int(pidfile.read_text())
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except (OSError, ValueError):
            time.sleep(0.05)
            continue
        return pid
    raise AssertionError("pgbouncer did not start")


def test_pgbouncer_agrees_with_parse_auth_file(pgbouncer_auth_file: tuple[int, Path]) -> None:
    port, auth_file = pgbouncer_auth_file
    store = load_auth_file(auth_file)
    passwords = {"alice": 'pa"ss w;#rd', 'b"ob': "bobpw", "carol": CAROL_PASSWORD}
    for user, password in passwords.items():
        secret = store.get_secret(user)
        assert secret is not None and secret.check_plaintext(password)
        connection = psycopg2.connect(
            host="127.0.0.1", port=port, user=user, password=password, dbname="pgbouncer",
            sslmode="disable", gssencmode="disable", connect_timeout=10,
        )  # fmt: skip
        connection.close()
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed"):
        psycopg2.connect(
            host="127.0.0.1", port=port, user="alice", password="pa", dbname="pgbouncer",
            sslmode="disable", gssencmode="disable", connect_timeout=10,
        )  # fmt: skip
