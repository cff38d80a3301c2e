"""Authentication exchanges of the server protocol: trust, password, md5, SCRAM, refusals."""

from __future__ import annotations

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.md5 import md5_password_hash, md5_response
from txpostgres_proto.protocol.scram import ScramClient, make_scram_verifier
from txpostgres_proto.server.credentials import PasswordStore

from .test_protocol import Client, kinds

PASSWORD = "s3cret pässword"


def store() -> PasswordStore:
    return PasswordStore(
        {
            "plain": PASSWORD,
            "hashed": md5_password_hash("hashed", PASSWORD),
            "scram": make_scram_verifier(PASSWORD).format(),
        }
    )


def client(method: str) -> Client:
    return Client(auth=method, password_store=store())


def assert_failed(answers: list[m.BackendMessage], client: Client, user: str) -> None:
    error = answers[-1]
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", "28P01")
    assert error.message == f'password authentication failed for user "{user}"'
    assert client.closed
    assert client.backend is None


def scram_login(c: Client, user: str, password: str) -> list[m.BackendMessage]:
    answers = c.startup(user=user)
    assert answers == [m.AuthenticationSASL(("SCRAM-SHA-256",))]
    scram = ScramClient(password)
    c.send(m.SASLInitialResponse("SCRAM-SHA-256", scram.client_first()))
    [server_first] = c.received()
    if isinstance(server_first, m.ErrorResponse):
        return [server_first]
    assert isinstance(server_first, m.AuthenticationSASLContinue)
    c.send(m.SASLResponse(scram.handle_server_first(server_first.data)))
    answers = c.received()
    if isinstance(answers[0], m.AuthenticationSASLFinal):
        scram.verify_server_final(answers[0].data)
        assert scram.done
    return answers


@pytest.mark.parametrize("user", ["plain", "hashed", "scram"])
def test_cleartext_password_with_every_stored_form(user: str) -> None:
    c = client("password")
    assert c.startup(user=user) == [m.AuthenticationCleartextPassword()]
    c.send(m.PasswordMessage(PASSWORD))
    answers = c.received()
    assert answers[0] == m.AuthenticationOk()
    assert answers[-1] == m.ReadyForQuery()
    assert c.session.user == user


@pytest.mark.parametrize("user", ["plain", "nobody"])
def test_cleartext_password_failures(user: str) -> None:
    c = client("password")
    c.startup(user=user)
    c.send(m.PasswordMessage("wrong"))
    assert_failed(c.received(), c, user)


def test_empty_password_fails() -> None:
    c = client("password")
    c.startup(user="plain")
    c.send(m.PasswordMessage(""))
    assert_failed(c.received(), c, "plain")


@pytest.mark.parametrize("user", ["plain", "hashed"])
def test_md5(user: str) -> None:
    c = client("md5")
    [request] = c.startup(user=user)
    assert isinstance(request, m.AuthenticationMD5Password)
    c.send(m.PasswordMessage(md5_response(user, PASSWORD, request.salt)))
    assert kinds(c.received())[-1] == "Z:I"


def test_md5_wrong_password() -> None:
    c = client("md5")
    [request] = c.startup(user="plain")
    assert isinstance(request, m.AuthenticationMD5Password)
    c.send(m.PasswordMessage(md5_response("plain", "nope", request.salt)))
    assert_failed(c.received(), c, "plain")


def test_md5_method_with_a_scram_verifier_runs_scram() -> None:
    c = client("md5")
    answers = scram_login(c, "scram", PASSWORD)
    assert kinds(answers)[-1] == "Z:I"


@pytest.mark.parametrize("user", ["plain", "scram"])
def test_scram(user: str) -> None:
    c = client("scram-sha-256")
    answers = scram_login(c, user, PASSWORD)
    assert isinstance(answers[0], m.AuthenticationSASLFinal)
    assert answers[1] == m.AuthenticationOk()
    assert answers[-1] == m.ReadyForQuery()


@pytest.mark.parametrize("user", ["plain", "hashed", "nobody"])
def test_scram_failures_look_alike(user: str) -> None:
    c = client("scram-sha-256")
    password = "wrong" if user == "plain" else PASSWORD
    assert_failed(scram_login(c, user, password), c, user)


def test_scram_malformed_message_is_fatal_08p01() -> None:
    c = client("scram-sha-256")
    c.startup(user="plain")
    c.send(m.SASLInitialResponse("SCRAM-SHA-256", b"garbage"))
    [error] = c.received()
    assert isinstance(error, m.ErrorResponse) and error.sqlstate == "08P01"
    assert c.closed


def test_password_message_where_sasl_is_expected() -> None:
    c = client("scram-sha-256")
    c.startup(user="plain")
    c.send(m.AuthResponse(b"x\x00"))
    [error] = c.received()
    assert isinstance(error, m.ErrorResponse) and error.sqlstate == "08P01"


def test_reject() -> None:
    c = client("reject")
    [error] = c.startup(user="plain")
    assert isinstance(error, m.ErrorResponse)
    assert error.sqlstate == "28000"
    assert error.message == (
        'pg_hba.conf rejects connection for host "127.0.0.1", user "plain", database "db", '
        "no encryption"
    )


def test_require_tls_refuses_plaintext_clients() -> None:
    from txpostgres_proto.server.tls import ServerTLS

    tls = ServerTLS(context_factory=None, certificate_der=b"")  # type: ignore[arg-type]
    c = Client(require_tls=True, tls=tls)
    [error] = c.startup()
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", "28000")
    assert error.message == (
        'no pg_hba.conf entry for host "127.0.0.1", user "alice", database "db", no encryption'
    )
    assert c.closed


def test_require_tls_needs_a_certificate() -> None:
    with pytest.raises(ValueError):
        Client(require_tls=True)
