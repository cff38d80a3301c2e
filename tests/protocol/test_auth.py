"""Authentication math: SASLprep, md5, SCRAM-SHA-256(-PLUS) and tls-server-end-point.

Checked three ways: published vectors (RFC 7677, RFC 4013), our client against our server in
every combination, and against real programs — the PostgreSQL 15 server (its stored secrets and
its SCRAM/md5 exchanges, with our client over a raw socket) and libpq and pg8000 (as clients of
our ScramServer, over a raw socket, with and without TLS channel binding).
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import shutil
import socket
import ssl
import struct
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pg8000.native
import psycopg2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pgserver import MD5_USER, SCRAM_USER, RealPostgres
from tests.pki import Pki
from txpostgres_proto.protocol.auth import (
    prepare_password,
    saslprep,
    tls_server_end_point_hash,
)
from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.protocol.md5 import (
    is_md5_hash,
    md5_check,
    md5_password_hash,
    md5_response,
)
from txpostgres_proto.protocol.scram import (
    SCRAM_SHA_256,
    SCRAM_SHA_256_PLUS,
    ScramAuthenticationError,
    ScramChannelBindingError,
    ScramClient,
    ScramError,
    ScramServer,
    ScramVerifier,
    is_scram_secret,
    make_scram_verifier,
    mock_scram_verifier,
    scram_mechanisms,
    select_scram_mechanism,
)

# -- SASLprep (RFC 4013, PostgreSQL flavour) ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I\u00adX", "IX"),  # RFC 4013 section 3, example 1: SOFT HYPHEN maps to nothing
        ("user", "user"),  # example 2
        ("USER", "USER"),  # example 3: case is kept
        ("\u00aa", "a"),  # example 4: NFKC
        ("\u2168", "IX"),  # example 5: NFKC
        ("a\u00a0b\u3000c", "a b c"),  # non-ASCII spaces become U+0020
        ("\u0627\u0031\u0628", "\u0627\u0031\u0628"),  # a valid right-to-left string
        ("caf\u00e9", "caf\u00e9"),
        ("\ufb01x", "fix"),  # ligature, NFKC
        ("\x07bell", "\x07bell"),  # pure ASCII is used as is, as PostgreSQL does
    ],
)
def test_saslprep_maps_and_normalises(text: str, expected: str) -> None:
    assert saslprep(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "\u00e9\x07",  # example 6: control character (outside the pure-ASCII shortcut)
        "\u0627\u0031",  # example 7: RandALCat must also end the string
        "\u00ad",  # maps to nothing at all
        "a\u0340",  # C.8 before normalisation (PostgreSQL checks the un-normalised string)
        "\u0627x\u0628",  # mixes RandALCat and LCat
        "\u00e9\U000e0001",  # tagging character (C.9)
        "\u00e9\u0221",  # unassigned in Unicode 3.2
        "\u00e9\ue000",  # private use (C.3)
    ],
)
def test_saslprep_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="SASLprep"):
        saslprep(text)


def test_prepare_password_falls_back_to_raw_bytes() -> None:
    assert prepare_password("\u2168") == b"IX"
    assert prepare_password("\u2168".encode()) == b"IX"
    assert prepare_password(b"\xff\xfe not utf-8") == b"\xff\xfe not utf-8"
    assert prepare_password("\u0627\u0031") == "\u0627\u0031".encode()
    assert prepare_password("pencil") == b"pencil"


# -- md5 -------------------------------------------------------------------------------------


def test_md5_password_hash_and_response_follow_the_documented_formula() -> None:
    salt = b"\x01\x02\x03\x04"
    inner = hashlib.md5(b"secretalice").hexdigest()
    outer = hashlib.md5(inner.encode() + salt).hexdigest()
    assert md5_password_hash("alice", "secret") == "md5" + inner
    assert md5_response("alice", "secret", salt) == "md5" + outer
    assert md5_response("alice", b"secret", salt) == "md5" + outer
    # The stored hash works in place of the password (pass-the-hash, as pgbouncer does).
    assert md5_response("alice", "md5" + inner, salt) == "md5" + outer


def test_md5_check_accepts_plaintext_or_hash_and_refuses_wrong_answers() -> None:
    salt = b"salt"
    good = md5_response("bob", "hunter2", salt)
    assert md5_check("hunter2", "bob", salt, good)
    assert md5_check(md5_password_hash("bob", "hunter2"), "bob", salt, good.encode())
    assert not md5_check("hunter3", "bob", salt, good)
    assert not md5_check("hunter2", "bob", b"tlas", good)
    assert not md5_check("hunter2", "eve", salt, good)
    assert not md5_check("hunter2", "bob", salt, good[:-1])
    with pytest.raises(ValueError, match="4 bytes"):
        md5_response("bob", "hunter2", b"12345")


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("md5" + "0" * 32, True),
        ("md5" + "abcdef0123456789" * 2, True),
        ("md5" + "A" * 32, False),  # PostgreSQL only knows lowercase hex
        ("md5" + "0" * 31, False),
        ("md5" + "0" * 33, False),
        ("MD5" + "0" * 32, False),
        ("md5" + "g" * 32, False),
        ("md5" + "\u0660" * 32, False),
    ],
)
def test_is_md5_hash(secret: str, expected: bool) -> None:
    assert is_md5_hash(secret) is expected


# -- tls-server-end-point (RFC 5929 section 4.1) ----------------------------------------------


SigningHash = hashes.SHA224 | hashes.SHA256 | hashes.SHA384 | hashes.SHA512


def _self_signed(
    key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey, algorithm: SigningHash | None
) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cb-test")])
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    return builder.sign(key, algorithm).public_bytes(serialization.Encoding.DER)


@pytest.fixture(scope="module")
def ec_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.mark.parametrize(
    ("signature_hash", "binding_hash"),
    [
        (hashes.SHA256(), "sha256"),
        (hashes.SHA384(), "sha384"),
        (hashes.SHA512(), "sha512"),
        (hashes.SHA224(), "sha224"),
    ],
    ids=["sha256", "sha384", "sha512", "sha224"],
)
def test_tls_server_end_point_uses_the_signature_hash(
    ec_key: ec.EllipticCurvePrivateKey, signature_hash: SigningHash, binding_hash: str
) -> None:
    der = _self_signed(ec_key, signature_hash)
    assert tls_server_end_point_hash(der) == hashlib.new(binding_hash, der).digest()


@pytest.mark.parametrize(
    ("key_options", "digest"),
    [
        (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "sha1"),
        (["-newkey", "rsa:1024"], "md5"),
    ],
    ids=["ecdsa-sha1", "rsa-md5"],
)
def test_tls_server_end_point_replaces_md5_and_sha1_by_sha256(
    tmp_path: Path, key_options: list[str], digest: str
) -> None:
    """cryptography no longer signs with these hashes, so the openssl program makes the
    certificates."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl program is not installed")
    subprocess.run(
        [openssl, "req", "-x509", *key_options, "-nodes", "-keyout", str(tmp_path / "key.pem"),
         "-out", str(tmp_path / "cert.der"), "-outform", "DER", "-subj", "/CN=cb-test",
         "-days", "1", f"-{digest}"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    der = (tmp_path / "cert.der").read_bytes()
    algorithm = x509.load_der_x509_certificate(der).signature_hash_algorithm
    assert algorithm is not None and algorithm.name == digest
    assert tls_server_end_point_hash(der) == hashlib.sha256(der).digest()


def test_tls_server_end_point_is_undefined_for_ed25519() -> None:
    der = _self_signed(ed25519.Ed25519PrivateKey.generate(), None)
    with pytest.raises(ValueError, match="no hash"):
        tls_server_end_point_hash(der)


def test_tls_server_end_point_of_the_test_pki(pki: Pki) -> None:
    der = ssl.PEM_cert_to_DER_cert(pki.server_cert.read_text())
    assert tls_server_end_point_hash(der) == hashlib.sha256(der).digest()


# -- SCRAM: RFC 7677 section 3 test vector ----------------------------------------------------

RFC_PASSWORD = "pencil"
RFC_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
RFC_SALT = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
RFC_CLIENT_FIRST = b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
RFC_SERVER_FIRST = (
    b"r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
)
RFC_CLIENT_FINAL = (
    b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
)
RFC_SERVER_FINAL = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="


def test_rfc7677_vector_client_side() -> None:
    client = ScramClient(RFC_PASSWORD, username="user", nonce=RFC_CLIENT_NONCE)
    assert client.client_first() == RFC_CLIENT_FIRST
    assert client.handle_server_first(RFC_SERVER_FIRST) == RFC_CLIENT_FINAL
    assert not client.done
    client.verify_server_final(RFC_SERVER_FINAL)
    assert client.done


def test_rfc7677_vector_server_side() -> None:
    verifier = make_scram_verifier(RFC_PASSWORD, salt=RFC_SALT, iterations=4096)
    server = ScramServer(verifier, nonce=RFC_SERVER_NONCE)
    assert server.mechanisms == (SCRAM_SHA_256,)
    assert server.handle_client_first(SCRAM_SHA_256, RFC_CLIENT_FIRST) == RFC_SERVER_FIRST
    assert not server.authenticated
    assert server.handle_client_final(RFC_CLIENT_FINAL) == RFC_SERVER_FINAL
    assert server.authenticated


def test_rfc7677_vector_detects_a_tampered_server_signature() -> None:
    client = ScramClient(RFC_PASSWORD, username="user", nonce=RFC_CLIENT_NONCE)
    client.handle_server_first(RFC_SERVER_FIRST)
    signature = bytearray(base64.b64decode(RFC_SERVER_FINAL[2:]))
    signature[0] ^= 1
    with pytest.raises(ScramAuthenticationError, match="server signature"):
        client.verify_server_final(b"v=" + base64.b64encode(bytes(signature)))
    assert not client.done


# -- SCRAM verifier format --------------------------------------------------------------------


def test_verifier_format_round_trip() -> None:
    verifier = make_scram_verifier("secret", salt=b"0123456789abcdef", iterations=4096)
    text = verifier.format()
    assert text.startswith("SCRAM-SHA-256$4096:MDEyMzQ1Njc4OWFiY2RlZg==$")
    assert ScramVerifier.parse(text) == verifier
    assert ScramVerifier.parse(text).format() == text
    assert is_scram_secret(text)
    assert verifier.verify_password("secret")
    assert not verifier.verify_password("Secret")
    assert "stored_key" not in repr(verifier) and "server_key" not in repr(verifier)


def test_make_scram_verifier_uses_random_salt_and_saslprep() -> None:
    first, second = make_scram_verifier("pw"), make_scram_verifier("pw")
    assert first.salt != second.salt and len(first.salt) == 16
    assert first.iterations == 4096
    assert make_scram_verifier("\u2168", salt=b"s").verify_password("IX")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "md5" + "0" * 32,
        "SCRAM-SHA-1$4096:c2FsdA==$" + "A" * 28 + ":" + "A" * 28,
        "SCRAM-SHA-256$0:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=",  # zero iterations
        "SCRAM-SHA-256$x:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=",
        "SCRAM-SHA-256$4096:c2Fsd!==$" + "A" * 43 + "=:" + "A" * 43 + "=",  # bad base64
        "SCRAM-SHA-256$4096:c2FsdA==$" + "A" * 28 + ":" + "A" * 43 + "=",  # short StoredKey
        "SCRAM-SHA-256$4096:c2FsdA==$" + "A" * 43 + "=",  # no ServerKey
        "SCRAM-SHA-256$4096:c2FsdA==$" + "A" * 43 + "=:" + "A" * 43 + "=$",
    ],
)
def test_verifier_parse_refuses_malformed_text(text: str) -> None:
    with pytest.raises(ValueError):
        ScramVerifier.parse(text)
    assert not is_scram_secret(text)


# -- SCRAM: our client against our server -----------------------------------------------------

CB_SERVER = hashlib.sha256(b"the server certificate").digest()
CB_OTHER = hashlib.sha256(b"a man in the middle's certificate").digest()


def _exchange(client: ScramClient, server: ScramServer) -> None:
    """Run a whole exchange; raise the first error either side reports."""
    server_first = server.handle_client_first(client.mechanism, client.client_first())
    server_final = server.handle_client_final(client.handle_server_first(server_first))
    client.verify_server_final(server_final)


@pytest.mark.parametrize(
    ("server_cb", "client_cb", "mechanism", "flag"),
    [
        (None, None, SCRAM_SHA_256, b"n,,"),  # no TLS
        (CB_SERVER, None, SCRAM_SHA_256, b"n,,"),  # client cannot bind at all: allowed
        (None, CB_SERVER, SCRAM_SHA_256, b"y,,"),  # client could bind, server cannot
        (CB_SERVER, CB_SERVER, SCRAM_SHA_256_PLUS, b"p=tls-server-end-point,,"),
    ],
    ids=["plain", "server-binds-client-cannot", "client-binds-server-cannot", "plus"],
)
def test_round_trip(
    server_cb: bytes | None, client_cb: bytes | None, mechanism: str, flag: bytes
) -> None:
    server = ScramServer(make_scram_verifier("correct horse"), server_cb)
    assert select_scram_mechanism(server.mechanisms, client_cb) == mechanism
    client = ScramClient("correct horse", client_cb, mechanism=mechanism)
    assert client.client_first().startswith(flag + b"n=,r=")
    _exchange(client, server)
    assert client.done and server.authenticated


def test_round_trip_with_saslprep_equivalent_password() -> None:
    server = ScramServer(make_scram_verifier("I\u00adX"))
    client = ScramClient("IX")
    _exchange(client, server)
    assert client.done


def test_wrong_password_is_an_authentication_error() -> None:
    server = ScramServer(make_scram_verifier("correct horse"))
    client = ScramClient("battery staple")
    with pytest.raises(ScramAuthenticationError, match="invalid client proof") as info:
        _exchange(client, server)
    assert info.value.sqlstate == "28P01"
    assert isinstance(info.value, RemoteProtocolError)
    assert not server.authenticated and not client.done
    with pytest.raises(ScramError, match="unexpected"):  # the exchange is over
        server.handle_client_final(b"c=biws,r=x,p=AAAA")


def test_client_detects_a_server_that_does_not_know_the_password() -> None:
    """A server that skips the proof check (an impostor) cannot forge the server signature."""
    impostor = ScramServer(make_scram_verifier("something else"))
    client = ScramClient("correct horse")
    server_first = impostor.handle_client_first(SCRAM_SHA_256, client.client_first())
    client.handle_server_first(server_first)
    forged = b"v=" + base64.b64encode(hashlib.sha256(b"guess").digest())
    with pytest.raises(ScramAuthenticationError, match="server signature"):
        client.verify_server_final(forged)


def test_channel_binding_mismatch_is_detected() -> None:
    """The client saw a different certificate (a TLS-terminating man in the middle)."""
    server = ScramServer(make_scram_verifier("pw"), CB_SERVER)
    client = ScramClient("pw", CB_OTHER, mechanism=SCRAM_SHA_256_PLUS)
    with pytest.raises(ScramChannelBindingError, match="channel binding check failed") as info:
        _exchange(client, server)
    assert info.value.sqlstate == "28000"


def test_downgrade_to_non_plus_is_refused() -> None:
    """-PLUS was stripped from the offer: the client says 'y', the server knows better."""
    server = ScramServer(make_scram_verifier("pw"), CB_SERVER)
    client = ScramClient("pw", CB_SERVER, mechanism=SCRAM_SHA_256)
    with pytest.raises(ScramChannelBindingError, match="negotiation error") as info:
        server.handle_client_first(SCRAM_SHA_256, client.client_first())
    assert info.value.sqlstate == "28000"


def test_plus_is_refused_without_channel_binding_data() -> None:
    server = ScramServer(make_scram_verifier("pw"))
    client = ScramClient("pw", CB_SERVER, mechanism=SCRAM_SHA_256_PLUS)
    with pytest.raises(ScramError, match="invalid SASL authentication mechanism"):
        server.handle_client_first(SCRAM_SHA_256_PLUS, client.client_first())


@pytest.mark.parametrize(
    ("mechanism", "message", "error"),
    [
        (SCRAM_SHA_256_PLUS, b"n,,n=,r=abc", "does not include channel binding"),
        (SCRAM_SHA_256_PLUS, b"y,,n=,r=abc", "does not include channel binding"),
        (SCRAM_SHA_256, b"p=tls-server-end-point,,n=,r=abc", "includes channel binding"),
        (SCRAM_SHA_256_PLUS, b"p=tls-unique,,n=,r=abc", "unsupported SCRAM channel-binding"),
        (SCRAM_SHA_256, b"n,a=admin,n=,r=abc", "authorization identity"),
        (SCRAM_SHA_256, b"n,,m=ext,n=,r=abc", "unsupported SCRAM extension"),
        (SCRAM_SHA_256, b"n,,n=,r=a\x7fb", "non-printable"),
        (SCRAM_SHA_256, b"n,,n=,r=", "non-printable"),
        (SCRAM_SHA_256, b"n,,r=abc", "expected attribute 'n'"),
        (SCRAM_SHA_256, b"n,,n=", "expected attribute 'r'"),
        (SCRAM_SHA_256, b"x,,n=,r=abc", "channel-binding flag"),
        (SCRAM_SHA_256, b"n,,n=,r=abc,", "bad attribute"),
        (SCRAM_SHA_256, b"n,n=,r=abc", "authorization identity"),
        (SCRAM_SHA_256, b"n", "no GS2 header"),
        (SCRAM_SHA_256, b"n,,n=\xff,r=abc", "not valid UTF-8"),
        ("SCRAM-SHA-1", b"n,,n=,r=abc", "invalid SASL authentication mechanism"),
    ],
)
def test_server_refuses_bad_client_first(mechanism: str, message: bytes, error: str) -> None:
    server = ScramServer(make_scram_verifier("pw"), CB_SERVER if "PLUS" in mechanism else None)
    with pytest.raises(ScramError, match=error):
        server.handle_client_first(mechanism, message)
    with pytest.raises(ScramError, match="unexpected SCRAM message"):
        server.handle_client_first(SCRAM_SHA_256, b"n,,n=,r=abc")


def test_server_accepts_and_ignores_the_user_name_and_extensions() -> None:
    server = ScramServer(make_scram_verifier("pw"), nonce="SERVER")
    reply = server.handle_client_first(SCRAM_SHA_256, b"n,,n=somebody=2Celse,r=CLIENT,x=ext")
    assert reply.startswith(b"r=CLIENTSERVER,s=")


def _started_server(client: ScramClient, cb: bytes | None = None) -> tuple[ScramServer, bytes]:
    server = ScramServer(make_scram_verifier("pw"), cb)
    server_first = server.handle_client_first(client.mechanism, client.client_first())
    return server, client.handle_server_first(server_first)


def test_server_refuses_a_replaced_nonce() -> None:
    client = ScramClient("pw")
    server, client_final = _started_server(client)
    nonce = client_final.split(b",")[1]
    tampered = client_final.replace(nonce, nonce[:-1] + (b"A" if nonce[-1:] != b"A" else b"B"))
    with pytest.raises(ScramError, match="nonce does not match") as info:
        server.handle_client_final(tampered)
    assert not isinstance(info.value, ScramAuthenticationError)


def test_server_refuses_a_tampered_channel_binding_attribute() -> None:
    """Changing 'c=' from the y flag to the n flag (a downgrade hidden in client-final)."""
    client = ScramClient("pw", CB_SERVER)  # flag y, server without binding
    server, client_final = _started_server(client)
    assert client_final.startswith(b"c=eSws,")
    with pytest.raises(ScramError, match="channel binding check failed"):
        server.handle_client_final(b"c=biws," + client_final[len(b"c=eSws,") :])


@pytest.mark.parametrize(
    ("mutate", "error"),
    [
        (lambda m: m.rsplit(b",p=", 1)[0], "no proof"),
        (lambda m: m + b",x=1", "misplaced proof"),  # garbage after the proof
        (lambda m: m.rsplit(b",p=", 1)[0] + b",x=1", "expected attribute 'p'"),
        (lambda m: m.replace(b",p=", b",p=AAAA,p="), "misplaced proof"),
        (lambda m: m.rsplit(b",p=", 1)[0] + b",p=AAAA", "malformed proof"),
        (lambda m: m.rsplit(b",p=", 1)[0] + b",p=!!!", "malformed proof"),
        (lambda m: m.replace(b"c=biws,", b""), "expected attribute 'c'"),
        (lambda m: b"c=biws," + m.split(b",", 2)[2], "expected attribute 'r'"),
        (lambda m: b"\xff" + m, "not valid UTF-8"),
    ],
)
def test_server_refuses_bad_client_final(mutate: Callable[[bytes], bytes], error: str) -> None:
    client = ScramClient("pw")
    server, client_final = _started_server(client)
    with pytest.raises(ScramError, match=error):
        server.handle_client_final(mutate(client_final))
    assert not server.authenticated


def test_server_accepts_extensions_before_the_proof() -> None:
    client = ScramClient("pw")
    server, client_final = _started_server(client)
    head, proof = client_final.rsplit(b",p=", 1)
    # Extensions are part of client-final-message-without-proof, so the proof no longer
    # matches; the server must still parse the message and answer with an auth failure.
    with pytest.raises(ScramAuthenticationError):
        server.handle_client_final(head + b",x=ext,p=" + proof)


def test_client_final_before_client_first_is_refused() -> None:
    server = ScramServer(make_scram_verifier("pw"))
    with pytest.raises(ScramError, match="unexpected SCRAM message"):
        server.handle_client_final(RFC_CLIENT_FINAL)


@pytest.mark.parametrize(
    ("server_first", "error"),
    [
        (b"r=someone-else,s=c2FsdA==,i=4096", "nonce mismatch"),
        (b"r=CLIENTSERVER,s=!!,i=4096", "invalid salt"),
        (b"r=CLIENTSERVER,s=,i=4096", "invalid salt"),
        (b"r=CLIENTSERVER,s=c2FsdA==,i=0", "iteration count"),
        (b"r=CLIENTSERVER,s=c2FsdA==,i=-1", "iteration count"),
        (b"r=CLIENTSERVER,s=c2FsdA==,i=\xd9\xa1", "iteration count"),
        (b"r=CLIENTSERVER,s=c2FsdA==", "expected attribute 'i'"),
        (b"m=x,r=CLIENTSERVER,s=c2FsdA==,i=1", "unsupported SCRAM extension"),
        (b"e=other-error", "expected attribute 'r'"),
        (b"", "bad attribute"),
    ],
)
def test_client_refuses_bad_server_first(server_first: bytes, error: str) -> None:
    client = ScramClient("pw", nonce="CLIENT")
    with pytest.raises(ScramError, match=error):
        client.handle_server_first(server_first)


def test_client_refuses_server_final_out_of_order_or_with_error() -> None:
    client = ScramClient("pw", nonce="CLIENT")
    with pytest.raises(ScramError, match="unexpected server-final"):
        client.verify_server_final(RFC_SERVER_FINAL)
    client.handle_server_first(b"r=CLIENTSERVER,s=c2FsdA==,i=1")
    with pytest.raises(ScramError, match="unexpected second server-first"):
        client.handle_server_first(b"r=CLIENTSERVER,s=c2FsdA==,i=1")
    with pytest.raises(ScramAuthenticationError, match="invalid-proof"):
        client.verify_server_final(b"e=invalid-proof")
    with pytest.raises(ScramAuthenticationError, match="server signature"):
        client.verify_server_final(b"v=!!")


def test_client_argument_checks() -> None:
    with pytest.raises(ValueError, match="needs channel-binding data"):
        ScramClient("pw", None, mechanism=SCRAM_SHA_256_PLUS)
    with pytest.raises(ValueError, match="unsupported SASL mechanism"):
        ScramClient("pw", mechanism="SCRAM-SHA-1")
    with pytest.raises(ValueError, match="printable"):
        ScramClient("pw", nonce="a,b")
    with pytest.raises(ValueError, match="printable"):
        ScramServer(make_scram_verifier("pw"), nonce="")


def test_select_scram_mechanism() -> None:
    both = [SCRAM_SHA_256_PLUS, SCRAM_SHA_256]
    assert select_scram_mechanism(both, CB_SERVER) == SCRAM_SHA_256_PLUS
    assert select_scram_mechanism(both, None) == SCRAM_SHA_256
    assert select_scram_mechanism([SCRAM_SHA_256], CB_SERVER) == SCRAM_SHA_256
    with pytest.raises(ScramError, match="channel binding required"):
        select_scram_mechanism([SCRAM_SHA_256], CB_SERVER, require_channel_binding=True)
    with pytest.raises(ScramError, match="none of the server's"):
        select_scram_mechanism(["SCRAM-SHA-1", "GSSAPI"], None)
    assert scram_mechanisms(None) == (SCRAM_SHA_256,)
    assert scram_mechanisms(CB_SERVER) == (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)


def test_mock_verifier_is_stable_per_user_and_always_fails() -> None:
    secret = b"server secret"
    alice = mock_scram_verifier("alice", secret)
    assert alice == mock_scram_verifier("alice", secret)
    assert alice.salt != mock_scram_verifier("bob", secret).salt
    assert alice.salt != mock_scram_verifier("alice", b"other secret").salt
    assert alice.doomed and len(alice.salt) == 16 and alice.iterations == 4096
    assert not alice.verify_password("anything")

    # The exchange looks like a real one up to the very end.
    server = ScramServer(alice, nonce="SERVER")
    client = ScramClient("anything", nonce="CLIENT")
    server_first = server.handle_client_first(SCRAM_SHA_256, client.client_first())
    salt_b64 = base64.b64encode(alice.salt)
    assert server_first == b"r=CLIENTSERVER,s=" + salt_b64 + b",i=4096"
    with pytest.raises(ScramAuthenticationError):
        server.handle_client_final(client.handle_server_first(server_first))


def test_doomed_verifier_fails_even_with_the_right_keys() -> None:
    real = make_scram_verifier("pw")
    doomed = ScramVerifier(real.iterations, real.salt, real.stored_key, real.server_key, True)
    with pytest.raises(ScramAuthenticationError):
        _exchange(ScramClient("pw"), ScramServer(doomed))


FAST_VERIFIER = make_scram_verifier("pw", iterations=16)


@settings(max_examples=400, deadline=None)
@given(st.integers(0, 3), st.integers(min_value=0), st.integers(1, 255))
def test_tampering_with_any_message_in_flight_fails(which: int, position: int, mask: int) -> None:
    """Flip bits in one byte of one of the four messages: some side must notice.

    The one harmless exception is base64 malleability of the proof or signature itself (spare
    bits of the last character), which leaves the decoded value, and so the check, unchanged.
    """
    tampered: list[tuple[bytes, bytes]] = []

    def relay(index: int, message: bytes) -> bytes:
        if index != which:
            return message
        changed = bytearray(message)
        changed[position % len(message)] ^= mask
        tampered.append((message, bytes(changed)))
        return bytes(changed)

    client = ScramClient("pw", CB_SERVER, mechanism=SCRAM_SHA_256_PLUS)
    server = ScramServer(FAST_VERIFIER, CB_SERVER)
    try:
        server_first = server.handle_client_first(
            SCRAM_SHA_256_PLUS, relay(0, client.client_first())
        )
        client_final = client.handle_server_first(relay(1, server_first))
        client.verify_server_final(relay(3, server.handle_client_final(relay(2, client_final))))
    except ScramError:
        return
    ((original, changed),) = tampered
    assert which in (2, 3), "tampering went unnoticed"
    prefix = original.rpartition(b",p=")[0] + b",p=" if which == 2 else b"v="
    assert changed.startswith(prefix), "tampering went unnoticed"
    decoded = [base64.b64decode(m[len(prefix) :], validate=True) for m in (original, changed)]
    assert decoded[0] == decoded[1]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.sampled_from([SCRAM_SHA_256, SCRAM_SHA_256_PLUS]))
def test_server_only_raises_scram_errors_on_garbage(data: bytes, mechanism: str) -> None:
    server = ScramServer(mock_scram_verifier("x", b"k", iterations=1), CB_SERVER)
    try:
        server.handle_client_first(mechanism, data)
        server.handle_client_final(data)
    except ScramError:
        pass
    assert not server.authenticated


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120))
def test_client_only_raises_scram_errors_on_garbage(data: bytes) -> None:
    client = ScramClient("pw", nonce="N")
    try:
        client.handle_server_first(b"r=N" + data + b",s=c2FsdA==,i=1")
    except ScramError:
        pass
    try:
        client.verify_server_final(data)
    except ScramError:
        pass
    assert not client.done


# -- a minimal wire codec for the tests below (no dependency on protocol/messages.py) ----------

PROTOCOL_3_0 = 196608
SSL_REQUEST = 80877103
GSSENC_REQUEST = 80877104


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("peer closed the connection")
        data += chunk
    return data


def _send(sock: socket.socket, code: bytes, body: bytes) -> None:
    sock.sendall(code + struct.pack("!i", len(body) + 4) + body)


def _receive(sock: socket.socket) -> tuple[bytes, bytes]:
    header = _recv_exactly(sock, 5)
    (length,) = struct.unpack("!i", header[1:])
    return header[:1], _recv_exactly(sock, length - 4)


def _cstr(text: str) -> bytes:
    return text.encode() + b"\0"


def _sasl_initial(mechanism: str, data: bytes) -> bytes:
    return _cstr(mechanism) + struct.pack("!i", len(data)) + data


def _error_fields(body: bytes) -> dict[str, str]:
    return {part[:1].decode(): part[1:].decode() for part in body.split(b"\0") if part}


# -- against the real PostgreSQL server: our client, its secrets -------------------------------


def _stored_secret(pg: RealPostgres, role: str) -> str:
    return pg.psql(f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}'", dbname="postgres")


def test_postgres_scram_secret_parses_and_matches_ours(real_postgres: RealPostgres) -> None:
    stored = _stored_secret(real_postgres, SCRAM_USER)
    verifier = ScramVerifier.parse(stored)
    assert verifier.format() == stored
    assert verifier.iterations == 4096 and len(verifier.salt) == 16
    ours = make_scram_verifier(
        real_postgres.password(SCRAM_USER), salt=verifier.salt, iterations=verifier.iterations
    )
    assert ours == verifier
    assert verifier.verify_password(real_postgres.password(SCRAM_USER))


def test_postgres_md5_secret_equals_ours(real_postgres: RealPostgres) -> None:
    stored = _stored_secret(real_postgres, MD5_USER)
    assert is_md5_hash(stored)
    assert stored == md5_password_hash(MD5_USER, real_postgres.password(MD5_USER))


def _unicode_literal(text: str) -> str:
    return "U&'" + "".join(f"\\+{ord(char):06X}" for char in text) + "'"


@pytest.mark.parametrize(
    "password",
    [
        "I\u00adX",  # mapped to nothing
        "\u2168\u00aa",  # NFKC
        "p\u00e4ss\u00a0w\u00f6rd",  # non-ASCII space
        "\u0627\u0031\u0628",  # valid bidi
        "\u0627\u0031",  # invalid bidi: PostgreSQL falls back to the raw bytes
        "\u00e9\x07",  # prohibited: raw bytes
        "a\u0340",  # prohibited before normalisation: raw bytes
        "\u00ad",  # empty after mapping: raw bytes
        "\U0001f600 emoji",  # unassigned in Unicode 3.2: raw bytes
    ],
)
def test_postgres_builds_the_same_verifier_after_saslprep(
    real_postgres: RealPostgres, password: str
) -> None:
    role = "auth_saslprep_probe"
    output = real_postgres.psql(
        f"DROP ROLE IF EXISTS {role};"
        f"SET password_encryption = 'scram-sha-256';"
        f"CREATE ROLE {role} NOLOGIN PASSWORD {_unicode_literal(password)};"
        f"SELECT rolpassword FROM pg_authid WHERE rolname = '{role}';"
        f"DROP ROLE {role};",
        dbname="postgres",
    )
    (stored,) = [line for line in output.splitlines() if line.startswith("SCRAM-SHA-256$")]
    verifier = ScramVerifier.parse(stored)
    assert make_scram_verifier(password, verifier.salt, verifier.iterations) == verifier


@dataclass
class LoginOutcome:
    """What happened when our client logged in to a server over a raw socket."""

    ok: bool
    methods: list[str] = field(default_factory=list)  # "md5" or the SASL mechanism used
    offered: tuple[str, ...] = ()
    error: dict[str, str] = field(default_factory=dict)


def _connect(pg: RealPostgres, pki: Pki, tls: bool) -> tuple[socket.socket, bytes | None]:
    sock = socket.create_connection((pg.host, pg.port), timeout=10)
    if not tls:
        return sock, None
    sock.sendall(struct.pack("!ii", 8, SSL_REQUEST))
    assert _recv_exactly(sock, 1) == b"S"
    context = ssl.create_default_context(cafile=str(pki.ca_cert))
    wrapped = context.wrap_socket(sock, server_hostname="localhost")
    der = wrapped.getpeercert(binary_form=True)
    assert der is not None
    return wrapped, tls_server_end_point_hash(der)


def _login(
    pg: RealPostgres,
    pki: Pki,
    user: str,
    password: str,
    *,
    tls: bool = False,
    plus: bool = True,
    fake_cb_data: bytes | None = None,
) -> LoginOutcome:
    """Authenticate to PostgreSQL with our auth code; ``plus=False`` refuses -PLUS,
    ``fake_cb_data`` replaces the channel-binding data of the server certificate."""
    sock, cb_data = _connect(pg, pki, tls)
    if fake_cb_data is not None:
        cb_data = fake_cb_data
    outcome = LoginOutcome(ok=False)
    scram: ScramClient | None = None
    startup = struct.pack("!i", PROTOCOL_3_0) + _cstr("user") + _cstr(user)
    startup += _cstr("database") + _cstr(pg.database) + b"\0"
    with sock:
        sock.sendall(struct.pack("!i", len(startup) + 4) + startup)
        while True:
            code, body = _receive(sock)
            if code == b"E":
                outcome.error = _error_fields(body)
                return outcome
            assert code == b"R", code
            (kind,) = struct.unpack("!i", body[:4])
            if kind == 0:
                outcome.ok = True
                assert scram is None or scram.done, "AuthenticationOk before SASL completed"
                _send(sock, b"X", b"")
                return outcome
            if kind == 5:
                outcome.methods.append("md5")
                _send(sock, b"p", _cstr(md5_response(user, password, body[4:8])))
            elif kind == 10:
                outcome.offered = tuple(m.decode() for m in body[4:].split(b"\0") if m)
                offered = outcome.offered if plus else (SCRAM_SHA_256,)
                mechanism = select_scram_mechanism(offered, cb_data)
                outcome.methods.append(mechanism)
                scram = ScramClient(password, cb_data, mechanism=mechanism)
                _send(sock, b"p", _sasl_initial(mechanism, scram.client_first()))
            elif kind == 11:
                assert scram is not None
                _send(sock, b"p", scram.handle_server_first(body[4:]))
            elif kind == 12:
                assert scram is not None
                scram.verify_server_final(body[4:])
            else:
                raise AssertionError(f"unexpected authentication request {kind}")


def test_scram_login_to_postgres(real_postgres: RealPostgres, pki: Pki) -> None:
    outcome = _login(real_postgres, pki, SCRAM_USER, real_postgres.password(SCRAM_USER))
    assert outcome.ok, outcome.error
    assert outcome.offered == (SCRAM_SHA_256,)
    assert outcome.methods == [SCRAM_SHA_256]


def test_scram_plus_login_to_postgres_over_tls(real_postgres: RealPostgres, pki: Pki) -> None:
    password = real_postgres.password(SCRAM_USER)
    outcome = _login(real_postgres, pki, SCRAM_USER, password, tls=True)
    assert outcome.ok, outcome.error
    assert outcome.offered == (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)
    assert outcome.methods == [SCRAM_SHA_256_PLUS]


def test_postgres_refuses_our_client_downgrading_over_tls(
    real_postgres: RealPostgres, pki: Pki
) -> None:
    """Our client picks plain SCRAM with binding data: flag 'y', which PostgreSQL refuses just
    as our ScramServer does (test_downgrade_to_non_plus_is_refused)."""
    password = real_postgres.password(SCRAM_USER)
    outcome = _login(real_postgres, pki, SCRAM_USER, password, tls=True, plus=False)
    assert not outcome.ok
    assert outcome.error["C"] == ScramChannelBindingError.sqlstate
    assert outcome.error["M"] == "SCRAM channel binding negotiation error"


def test_postgres_refuses_other_channel_binding_data(real_postgres: RealPostgres, pki: Pki) -> None:
    """What PostgreSQL does when our client saw another certificate: what ScramServer does."""
    password = real_postgres.password(SCRAM_USER)
    outcome = _login(real_postgres, pki, SCRAM_USER, password, tls=True, fake_cb_data=CB_OTHER)
    assert outcome.methods == [SCRAM_SHA_256_PLUS]
    assert not outcome.ok
    assert outcome.error["C"] == ScramChannelBindingError.sqlstate
    assert outcome.error["M"] == "SCRAM channel binding check failed"


def test_scram_login_to_postgres_with_wrong_password(real_postgres: RealPostgres, pki: Pki) -> None:
    outcome = _login(real_postgres, pki, SCRAM_USER, "not the password", tls=True)
    assert not outcome.ok
    assert outcome.error["C"] == "28P01"


def test_md5_login_to_postgres(real_postgres: RealPostgres, pki: Pki) -> None:
    outcome = _login(real_postgres, pki, MD5_USER, real_postgres.password(MD5_USER))
    assert outcome.ok, outcome.error
    assert outcome.methods == ["md5"]


def test_md5_login_to_postgres_with_the_stored_hash(real_postgres: RealPostgres, pki: Pki) -> None:
    outcome = _login(real_postgres, pki, MD5_USER, _stored_secret(real_postgres, MD5_USER))
    assert outcome.ok, outcome.error


def test_md5_login_to_postgres_with_wrong_password(real_postgres: RealPostgres, pki: Pki) -> None:
    outcome = _login(real_postgres, pki, MD5_USER, "not the password")
    assert not outcome.ok
    assert outcome.error["C"] == "28P01"


# -- real clients (libpq, pg8000) against our ScramServer --------------------------------------


@dataclass
class _TlsFiles:
    cert: Path
    key: Path


class OneShotScramServer:
    """Serves one connection on loopback: TLS if configured, SCRAM with our ScramServer, then
    the minimum a client needs to consider itself connected; waits for Terminate."""

    def __init__(
        self, verifier: ScramVerifier, tls: _TlsFiles | None = None, *, offer_plus: bool = True
    ) -> None:
        self.verifier = verifier
        self.tls = tls
        self.offer_plus = offer_plus
        self.client_first: bytes = b""
        self.mechanism = ""
        self.failure: ScramError | None = None
        self.authenticated = False
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(10)
        self.port: int = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._crash: BaseException | None = None

    def __enter__(self) -> OneShotScramServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._thread.join(10)
        self._listener.close()
        assert not self._thread.is_alive(), "fake server did not finish"
        if self._crash is not None:
            raise self._crash

    def _run(self) -> None:
        try:
            conn, _ = self._listener.accept()
            conn.settimeout(10)
            with conn:
                self._serve(conn)
        except BaseException as error:  # reported by __exit__
            self._crash = error

    def _startup(self, conn: socket.socket) -> tuple[socket.socket, bytes | None]:
        """Answer SSLRequest/GSSENCRequest until the StartupMessage; return the (possibly TLS)
        socket and the channel-binding data of our certificate when TLS is on."""
        cb_data = None
        while True:
            (length,) = struct.unpack("!i", _recv_exactly(conn, 4))
            (code,) = struct.unpack("!i", _recv_exactly(conn, length - 4)[:4])
            if code == PROTOCOL_3_0:
                return conn, cb_data
            if code == SSL_REQUEST and self.tls is not None and cb_data is None:
                conn.sendall(b"S")
                context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                context.load_cert_chain(self.tls.cert, self.tls.key)
                conn = context.wrap_socket(conn, server_side=True)
                cb_data = tls_server_end_point_hash(
                    ssl.PEM_cert_to_DER_cert(self.tls.cert.read_text())
                )
            else:
                assert code in (SSL_REQUEST, GSSENC_REQUEST), code
                conn.sendall(b"N")

    def _serve(self, conn: socket.socket) -> None:
        conn, cb_data = self._startup(conn)
        server = ScramServer(self.verifier, cb_data if self.offer_plus else None)
        _send(conn, b"R", struct.pack("!i", 10) + b"".join(map(_cstr, server.mechanisms)) + b"\0")
        code, body = _receive(conn)
        assert code == b"p"
        mechanism, _, rest = body.partition(b"\0")
        self.mechanism = mechanism.decode()
        self.client_first = rest[4:]
        try:
            server_first = server.handle_client_first(self.mechanism, self.client_first)
            _send(conn, b"R", struct.pack("!i", 11) + server_first)
            code, body = _receive(conn)
            assert code == b"p"
            server_final = server.handle_client_final(body)
        except ScramError as error:
            self.failure = error
            fields = {"S": "FATAL", "V": "FATAL", "C": error.sqlstate, "M": str(error)}
            _send(conn, b"E", b"".join(_cstr(k + v) for k, v in fields.items()) + b"\0")
            return
        self.authenticated = server.authenticated
        _send(conn, b"R", struct.pack("!i", 12) + server_final)
        _send(conn, b"R", struct.pack("!i", 0))
        for name, value in (
            ("client_encoding", "UTF8"),
            ("server_encoding", "UTF8"),
            ("server_version", "15.0"),
            ("DateStyle", "ISO, MDY"),
            ("integer_datetimes", "on"),
            ("standard_conforming_strings", "on"),
            ("TimeZone", "UTC"),
        ):
            _send(conn, b"S", _cstr(name) + _cstr(value))
        _send(conn, b"K", struct.pack("!ii", 1234, 5678))
        _send(conn, b"Z", b"I")
        while True:
            try:
                code, _ = _receive(conn)
            except (ConnectionError, OSError):
                return
            if code == b"X":
                return


@pytest.fixture(scope="module")
def sha384_tls(tmp_path_factory: pytest.TempPathFactory) -> _TlsFiles:
    """A self-signed ECDSA certificate signed with SHA-384: the binding hash must follow it."""
    key = ec.generate_private_key(ec.SECP384R1())
    directory = tmp_path_factory.mktemp("sha384")
    files = _TlsFiles(directory / "server.crt", directory / "server.key")
    der = _self_signed(key, hashes.SHA384())
    files.cert.write_text(ssl.DER_cert_to_PEM_cert(der))
    files.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


@pytest.fixture
def verifier() -> ScramVerifier:
    return make_scram_verifier("libpq p\u00e4ssword", iterations=4096)


@pytest.fixture
def pki_tls(pki: Pki) -> _TlsFiles:
    return _TlsFiles(pki.server_cert, pki.server_key)


def _psycopg2_connect(port: int, password: str, **options: str) -> None:
    connection = psycopg2.connect(
        host="127.0.0.1",
        port=port,
        user="alice",
        dbname="db",
        password=password,
        connect_timeout=10,
        gssencmode="disable",
        **options,
    )
    connection.close()


def test_libpq_authenticates_with_our_scram_server(verifier: ScramVerifier) -> None:
    with OneShotScramServer(verifier) as server:
        _psycopg2_connect(server.port, "libpq p\u00e4ssword", sslmode="disable")
    assert server.authenticated
    assert server.mechanism == SCRAM_SHA_256
    assert server.client_first.startswith(b"n,,n=,r=")


@pytest.mark.parametrize("tls_name", ["pki_tls", "sha384_tls"])
def test_libpq_binds_the_channel_with_our_scram_server(
    verifier: ScramVerifier, tls_name: str, request: pytest.FixtureRequest
) -> None:
    tls: _TlsFiles = request.getfixturevalue(tls_name)
    with OneShotScramServer(verifier, tls) as server:
        _psycopg2_connect(
            server.port, "libpq p\u00e4ssword", sslmode="require", channel_binding="require"
        )
    assert server.authenticated
    assert server.mechanism == SCRAM_SHA_256_PLUS
    assert server.client_first.startswith(b"p=tls-server-end-point,,n=,r=")


def test_libpq_says_y_when_our_server_does_not_offer_plus(
    verifier: ScramVerifier, pki_tls: _TlsFiles
) -> None:
    with OneShotScramServer(verifier, pki_tls, offer_plus=False) as server:
        _psycopg2_connect(server.port, "libpq p\u00e4ssword", sslmode="require")
    assert server.authenticated
    assert server.client_first.startswith(b"y,,n=,r=")


def test_libpq_wrong_password_gets_our_error(verifier: ScramVerifier) -> None:
    with OneShotScramServer(verifier) as server:
        with pytest.raises(psycopg2.OperationalError, match="invalid client proof"):
            _psycopg2_connect(server.port, "wrong", sslmode="disable")
    assert isinstance(server.failure, ScramAuthenticationError)


def test_pg8000_authenticates_with_our_scram_server(verifier: ScramVerifier) -> None:
    with OneShotScramServer(verifier) as server:
        connection = pg8000.native.Connection(
            "alice", host="127.0.0.1", port=server.port, password="libpq p\u00e4ssword", timeout=10
        )
        connection.close()
    assert server.authenticated
