"""TLS on the client: every ``sslmode`` against the real server and against fake listeners.

The real PostgreSQL of the session speaks TLS with the test PKI (``tests/pki.py``).  The fake
listeners run on the test reactor and speak just enough protocol for one case each:

* ``PlaintextOnly`` answers SSLRequest with ``N`` and then relays the conversation to the real
  server — a PostgreSQL built without TLS;
* ``BrokenTls`` answers ``S`` and hangs up (a failed handshake), but relays a plaintext
  start-up — to see ``sslmode=prefer`` retry without TLS, as libpq does;
* ``Injecting`` answers ``S`` *and* a plaintext message in the same packet — the
  man-in-the-middle of CVE-2021-23222, which must be refused;
* ``ErrorAnswer`` answers SSLRequest with an ErrorResponse, ``GarbageAnswer`` with nonsense.
"""

from __future__ import annotations

import datetime
import shutil
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.protocol import Factory, Protocol

from tests.client.conftest import ReactorThread, connect_failure, query_once
from tests.pgserver import RealPostgres
from tests.pki import Pki, make_pki
from txpostgres_proto.client.connect_errors import (
    CertificateVerificationError,
    TlsConfigurationError,
    TlsError,
)
from txpostgres_proto.protocol.messages import SSL_REQUEST_CODE, ErrorResponse
from txpostgres_proto.protocol.sqlstates import (
    InvalidAuthorizationSpecification,
    TooManyConnections,
)

WHO = "SELECT current_user, s.ssl, s.version FROM pg_stat_ssl s WHERE s.pid = pg_backend_pid()"


@pytest.fixture(autouse=True)
def home(libpq_home: Path) -> Path:
    """No PG* variables; an empty home directory (`libpq_home`)."""
    return libpq_home


def who(run: ReactorThread, dsn: str, **params: Any) -> tuple[Any, ...]:
    return query_once(run, WHO, dsn, **params)


# ------------------------------------------------------------------------- the real server


@pytest.mark.parametrize(
    ("sslmode", "extra", "encrypted"),
    [
        ("disable", {}, False),
        ("allow", {}, False),
        ("prefer", {}, True),
        ("require", {}, True),
        ("verify-ca", {"with_root": True}, True),
        ("verify-full", {"with_root": True, "host": "localhost"}, True),
        ("verify-full", {"with_root": True, "host": "127.0.0.1"}, True),
    ],
)
def test_sslmodes_against_a_tls_server(
    run: ReactorThread,
    real_postgres: RealPostgres,
    pki: Pki,
    sslmode: str,
    extra: dict[str, Any],
    encrypted: bool,
) -> None:
    params: dict[str, Any] = {"sslmode": sslmode}
    if extra.get("with_root"):
        params["sslrootcert"] = pki.ca_cert
    if "host" in extra:
        params["host"] = extra["host"]
    dsn = real_postgres.dsn("scram_user", "scram_user_pw", **params)
    user, ssl, version = who(run, dsn)
    assert (user, ssl) == ("scram_user", encrypted)
    assert (version is not None) == encrypted


def test_allow_retries_with_tls_when_the_server_rejects_plaintext(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    dsn = real_postgres.dsn("ssl_only_user", "ssl_only_user_pw", sslmode="allow")
    assert who(run, dsn)[:2] == ("ssl_only_user", True)


def test_tls_protocol_versions(run: ReactorThread, real_postgres: RealPostgres) -> None:
    dsn = real_postgres.dsn("trust_user", sslmode="require")
    assert who(run, dsn, ssl_max_protocol_version="TLSv1.2")[2] == "TLSv1.2"
    assert who(run, dsn, ssl_min_protocol_version="TLSv1.3")[2] == "TLSv1.3"


def test_verify_full_host_name_mismatch(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki
) -> None:
    dsn = real_postgres.dsn(
        "trust_user",
        host="wrong.example",
        hostaddr="127.0.0.1",
        sslmode="verify-full",
        sslrootcert=pki.ca_cert,
    )
    error = connect_failure(run, dsn)
    assert isinstance(error, CertificateVerificationError)
    assert str(error) == (
        'server certificate for "localhost" (and 2 other names) does not match host name '
        '"wrong.example"'
    )
    assert error.sqlstate == "08001"
    # verify-ca does not look at the name.
    assert who(run, dsn, sslmode="verify-ca")[:2] == ("trust_user", True)


@pytest.fixture(scope="module")
def other_pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A second CA that did not sign the server certificate."""
    return make_pki(tmp_path_factory.mktemp("other-pki"))


@pytest.mark.parametrize("sslmode", ["verify-ca", "verify-full", "require"])
def test_untrusted_server_certificate(
    run: ReactorThread, real_postgres: RealPostgres, other_pki: Pki, sslmode: str
) -> None:
    # With sslrootcert given, require checks the chain too (as libpq does).
    dsn = real_postgres.dsn("trust_user", host="localhost", sslmode=sslmode)
    error = connect_failure(run, dsn, sslrootcert=other_pki.ca_cert)
    assert isinstance(error, CertificateVerificationError)
    assert str(error).startswith("certificate verify failed: ")


def test_default_root_certificate_file(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki, other_pki: Pki, home: Path
) -> None:
    dsn = real_postgres.dsn("trust_user", host="localhost")
    error = connect_failure(run, dsn, sslmode="verify-ca")
    assert isinstance(error, TlsConfigurationError)
    assert f'root certificate file "{home}/.postgresql/root.crt" does not exist' in str(error)
    (home / ".postgresql").mkdir()
    shutil.copy(pki.ca_cert, home / ".postgresql" / "root.crt")
    assert who(run, dsn, sslmode="verify-full")[:2] == ("trust_user", True)
    # An existing root.crt makes require (and prefer) check the chain, as in libpq.
    shutil.copy(other_pki.ca_cert, home / ".postgresql" / "root.crt")
    assert isinstance(connect_failure(run, dsn, sslmode="require"), CertificateVerificationError)


def test_system_roots_do_not_trust_the_test_ca(
    run: ReactorThread, real_postgres: RealPostgres
) -> None:
    dsn = real_postgres.dsn("trust_user", host="localhost", sslmode="verify-full")
    error = connect_failure(run, dsn, sslrootcert="system")
    assert isinstance(error, CertificateVerificationError)


def _revocation_list(pki: Pki, path: Path) -> Path:
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    server = x509.load_pem_x509_certificate(pki.server_cert.read_bytes())
    now = datetime.datetime.now(datetime.UTC)
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(server.serial_number)
        .revocation_date(now - datetime.timedelta(minutes=1))
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now - datetime.timedelta(minutes=5))
        .next_update(now + datetime.timedelta(days=1))
        .add_revoked_certificate(revoked)
        .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    path.write_bytes(crl.public_bytes(serialization.Encoding.PEM))
    return path


def test_revoked_server_certificate(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki, tmp_path: Path
) -> None:
    crl = _revocation_list(pki, tmp_path / "root.crl")
    dsn = real_postgres.dsn("trust_user", sslmode="verify-ca", sslrootcert=pki.ca_cert)
    error = connect_failure(run, dsn, sslcrl=crl)
    assert isinstance(error, CertificateVerificationError)
    assert "revoked" in str(error)


# ------------------------------------------------------------------------- client certificates


def test_client_certificate_login(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki
) -> None:
    dsn = real_postgres.dsn(
        "certuser",
        host="localhost",
        sslmode="verify-full",
        sslrootcert=pki.ca_cert,
        sslcert=pki.client_cert,
        sslkey=pki.client_key,
    )
    assert who(run, dsn)[:2] == ("certuser", True)


def test_client_certificate_from_home(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki, home: Path
) -> None:
    dsn = real_postgres.dsn("certuser", sslmode="require")
    error = connect_failure(run, dsn)
    assert isinstance(error, InvalidAuthorizationSpecification)
    assert "certificate" in str(error)
    directory = home / ".postgresql"
    directory.mkdir()
    shutil.copy(pki.client_cert, directory / "postgresql.crt")
    shutil.copy(pki.client_key, directory / "postgresql.key")
    (directory / "postgresql.key").chmod(0o600)
    assert who(run, dsn)[:2] == ("certuser", True)
    (directory / "postgresql.key").chmod(0o644)
    error = connect_failure(run, dsn)
    assert isinstance(error, TlsConfigurationError)
    assert "has group or world access" in str(error)
    (directory / "postgresql.key").unlink()
    error = connect_failure(run, dsn)
    assert isinstance(error, TlsConfigurationError)
    assert "certificate present, but not private key file" in str(error)


def test_encrypted_client_key(
    run: ReactorThread, real_postgres: RealPostgres, pki: Pki, tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.key"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key secret"),
        )
    )
    encrypted.chmod(0o600)
    dsn = real_postgres.dsn(
        "certuser", sslmode="require", sslcert=pki.client_cert, sslkey=encrypted
    )
    assert who(run, dsn, sslpassword="key secret")[:2] == ("certuser", True)
    for wrong in ("wrong", None):
        error = connect_failure(run, dsn, sslpassword=wrong)
        assert isinstance(error, TlsConfigurationError)
        assert "could not load private key file" in str(error)


# ------------------------------------------------------------------------- fake listeners


def _is_ssl_request(data: bytes) -> bool:
    return len(data) >= 8 and struct.unpack("!ii", data[:8]) == (8, SSL_REQUEST_CODE)


class _Relay(Protocol):
    """The leg to the real server: copies what it receives back to the client."""

    def __init__(self, front: Protocol) -> None:
        self.front = front

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        self.front.transport.write(data)  # type: ignore[union-attr]

    def connectionLost(self, reason: Any = None) -> None:  # noqa: N802
        self.front.transport.loseConnection()  # type: ignore[union-attr]


class FakeServer(Protocol):
    """Answers SSLRequest per ``answer``; relays a plaintext start-up to the real server."""

    answer: bytes | None = b"N"
    hang_up_after_answer = False

    def __init__(self, target: tuple[str, int], reactor: Any) -> None:
        self.target = target
        self.reactor = reactor
        self.buffer = b""
        self.relay: _Relay | None = None
        self.relaying = False

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self.relay is not None:
            self.relay.transport.write(data)  # type: ignore[union-attr]
            return
        self.buffer += data
        if self.relaying:
            return
        if _is_ssl_request(self.buffer):
            self.buffer = self.buffer[8:]
            if self.answer is not None:
                self.transport.write(self.answer)  # type: ignore[union-attr]
            if self.hang_up_after_answer:
                self.transport.loseConnection()  # type: ignore[union-attr]
            return
        if len(self.buffer) >= 8:
            self.relaying = True
            endpoint = TCP4ClientEndpoint(self.reactor, *self.target)
            connectProtocol(endpoint, _Relay(self)).addCallback(self._relay_ready)

    def _relay_ready(self, relay: _Relay) -> None:
        self.relay = relay
        relay.transport.write(self.buffer)  # type: ignore[union-attr]
        self.buffer = b""

    def connectionLost(self, reason: Any = None) -> None:  # noqa: N802
        if self.relay is not None:
            self.relay.transport.loseConnection()  # type: ignore[union-attr]


class PlaintextOnly(FakeServer):
    answer = b"N"


class BrokenTls(FakeServer):
    answer = b"S"
    hang_up_after_answer = True


class Injecting(FakeServer):
    # "S", then a plaintext ReadyForQuery that a MITM slipped in before the handshake.
    answer = b"SZ\x00\x00\x00\x05I"


class ErrorAnswer(FakeServer):
    answer = ErrorResponse(
        {"S": "FATAL", "V": "FATAL", "C": "53300", "M": "sorry, too many clients already"}
    ).encode()
    hang_up_after_answer = True


class GarbageAnswer(FakeServer):
    answer = b"X"


@pytest.fixture
def fake_server(run: ReactorThread, real_postgres: RealPostgres) -> Iterator[Any]:
    """``fake_server(kind)`` -> port of a listener of that kind (stopped after the test)."""
    listeners: list[Any] = []

    def start(kind: type[FakeServer]) -> int:
        async def listen() -> Any:
            factory = Factory.forProtocol(
                lambda: kind((real_postgres.host, real_postgres.port), run.reactor)
            )
            return run.reactor.listenTCP(0, factory, interface="127.0.0.1")

        listener = run(listen)
        listeners.append(listener)
        return int(listener.getHost().port)

    yield start

    async def stop() -> None:
        for listener in listeners:
            await listener.stopListening()

    run(stop)


def _fake_dsn(port: int, **params: Any) -> str:
    words = [f"host=127.0.0.1 port={port} user=trust_user dbname=testdb"]
    words += [f"{key}={value}" for key, value in params.items()]
    return " ".join(words)


@pytest.mark.parametrize("sslmode", ["disable", "allow", "prefer"])
def test_plaintext_server_is_fine_unless_tls_is_required(
    run: ReactorThread, fake_server: Any, sslmode: str
) -> None:
    port = fake_server(PlaintextOnly)
    assert who(run, _fake_dsn(port, sslmode=sslmode))[:2] == ("trust_user", False)


@pytest.mark.parametrize("sslmode", ["require", "verify-ca", "verify-full"])
def test_plaintext_server_refused_when_tls_is_required(
    run: ReactorThread, fake_server: Any, pki: Pki, sslmode: str
) -> None:
    port = fake_server(PlaintextOnly)
    error = connect_failure(run, _fake_dsn(port, sslmode=sslmode, sslrootcert=pki.ca_cert))
    assert isinstance(error, TlsError)
    assert str(error) == "server does not support SSL, but SSL was required"


def test_prefer_retries_without_tls_after_a_failed_handshake(
    run: ReactorThread, fake_server: Any
) -> None:
    port = fake_server(BrokenTls)
    assert who(run, _fake_dsn(port, sslmode="prefer"))[:2] == ("trust_user", False)
    error = connect_failure(run, _fake_dsn(port, sslmode="require"))
    assert isinstance(error, TlsError)


def test_plaintext_injected_after_the_ssl_answer_is_refused(
    run: ReactorThread, fake_server: Any
) -> None:
    port = fake_server(Injecting)
    for sslmode in ("prefer", "require"):
        error = connect_failure(run, _fake_dsn(port, sslmode=sslmode))
        assert isinstance(error, TlsError)
        assert "received unencrypted data after SSL response" in str(error)


def test_error_answer_to_ssl_request(run: ReactorThread, fake_server: Any) -> None:
    port = fake_server(ErrorAnswer)
    error = connect_failure(run, _fake_dsn(port, sslmode="require"))
    assert isinstance(error, TooManyConnections)
    assert str(error) == "sorry, too many clients already"


def test_garbage_answer_to_ssl_request(run: ReactorThread, fake_server: Any) -> None:
    port = fake_server(GarbageAnswer)
    error = connect_failure(run, _fake_dsn(port, sslmode="prefer"))
    assert isinstance(error, TlsError)
    assert "received invalid response to SSL negotiation" in str(error)
