"""Property-based fuzzing of the start of a server connection, before and during authentication.

Hypothesis builds what a client may send first — SSLRequest, GSSENCRequest, CancelRequest,
StartupMessages with any version and parameters, password / SASL answers right or wrong or
mangled, Terminate, other messages too early, plain garbage — cut into reads at random points,
against trust, password, md5 and SCRAM authentication.  Properties:

* ``dataReceived`` never raises and nothing is logged as an unexpected error;
* everything written is the one-byte answers to encryption requests followed by well-formed
  backend messages; every ErrorResponse before ReadyForQuery is FATAL with a SQLSTATE the
  start-up can end with (08P01, 28P01, 28000, 0A000 ...);
* a closed connection said why (a FATAL ErrorResponse) unless the client asked for it
  (Terminate, a CancelRequest); ReadyForQuery only comes after AuthenticationOk;
* a connection left waiting is closed by the startup timeout: nothing hangs;
* afterwards a second client logs in on the same factory.
"""

from __future__ import annotations

import struct

from hypothesis import given
from hypothesis import strategies as st

from tests.wire import frame
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.md5 import md5_password_hash, md5_response
from txpostgres_proto.protocol.scram import ScramClient, make_scram_verifier
from txpostgres_proto.server.credentials import PasswordStore

from .test_fuzz_protocol import (
    check_answers,
    cuts,
    fuzz_settings,
    no_logged_failures,
)
from .test_protocol import Client

PASSWORD = "s3cret"
USERS = ["plain", "hashed", "scram", "nobody", ""]
METHODS = ["trust", "password", "md5", "scram-sha-256"]
#: What a start-up may end with: protocol violation, bad password, no such role / refused,
#: unsupported protocol version or feature, invalid parameter, bad encoding, timeout, and a
#: database or setting the server does not know.
STARTUP_SQLSTATES = {
    "08P01",
    "28P01",
    "28000",
    "0A000",
    "22023",
    "22021",
    "57014",
    "3D000",
    "42704",
    "53300",
}


def store() -> PasswordStore:
    return PasswordStore(
        {
            "plain": PASSWORD,
            "hashed": md5_password_hash("hashed", PASSWORD),
            "scram": make_scram_verifier(PASSWORD, iterations=64).format(),
        }
    )


def startup_packet(body: bytes) -> bytes:
    return struct.pack("!i", len(body) + 4) + body


_STRINGS = st.one_of(
    st.sampled_from(["", "db", "postgres", "UTF8", "-c search_path=x", "-c work_mem=1"]),
    st.text(max_size=8),
)
_PARAMETER_NAMES = st.one_of(
    st.sampled_from(
        [
            "user",
            "database",
            "options",
            "application_name",
            "client_encoding",
            "replication",
            "DateStyle",
            "TimeZone",
            "_pq_.x",
            "search_path",
            "nosuch",
        ]
    ),
    st.text(max_size=6),
)


@st.composite
def startup_messages(draw: st.DrawFn) -> bytes:
    version = draw(
        st.sampled_from([m.PROTOCOL_3_0, m.PROTOCOL_3_0, 3 << 16 | 2, 2 << 16, 4 << 16])
        | st.integers(0, 2**32 - 1)
    )
    parameters = [("user", draw(st.sampled_from(USERS)))] if draw(st.integers(0, 4)) else []
    parameters += draw(st.lists(st.tuples(_PARAMETER_NAMES, _STRINGS), max_size=3))
    body = struct.pack("!I", version)
    for name, value in parameters:
        body += name.encode() + b"\0" + value.encode() + b"\0"
    if draw(st.integers(0, 5)):
        body += b"\0"
    return startup_packet(body)


@st.composite
def auth_answers(draw: st.DrawFn) -> bytes:
    """A ``p`` message: a password, an md5 answer, a SASL message, right or wrong."""
    user = draw(st.sampled_from(USERS))
    password = draw(st.sampled_from([PASSWORD, "wrong", ""]))
    how = draw(st.sampled_from(["cleartext", "md5", "sasl-first", "sasl-final", "raw"]))
    if how == "cleartext":
        return frame(b"p", password.encode() + b"\0")
    if how == "md5":
        salt = draw(st.binary(min_size=4, max_size=4))
        return frame(b"p", md5_response(user, password, salt).encode() + b"\0")
    if how == "sasl-first":
        mechanism = draw(st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "PLAIN", ""]))
        data = ScramClient(password).client_first() if draw(st.booleans()) else draw(st.binary())
        length = draw(st.sampled_from([len(data), -1, len(data) + 3, 0]))
        return frame(b"p", mechanism.encode() + b"\0" + struct.pack("!i", length) + data)
    if how == "sasl-final":
        proof = "c=biws,r=" + draw(st.text(max_size=10)) + ",p=" + draw(st.text(max_size=10))
        return frame(b"p", proof.encode())
    return frame(b"p", draw(st.binary(max_size=24)))


_SSL = startup_packet(struct.pack("!I", m.SSL_REQUEST_CODE))
_GSS = startup_packet(struct.pack("!I", m.GSSENC_REQUEST_CODE))

_ANYTHING = st.one_of(
    startup_messages(),
    auth_answers(),
    st.just(_SSL),
    st.just(_GSS),
    st.builds(
        lambda pid, key, extra: startup_packet(
            struct.pack("!IiI", m.CANCEL_REQUEST_CODE, pid, key) + extra
        ),
        st.integers(-(2**31), 2**31 - 1),
        st.integers(0, 2**32 - 1),
        st.sampled_from([b"", b"x"]),
    ),
    st.just(frame(b"X", b"")),
    st.just(frame(b"Q", b"select 1\0")),
    st.just(frame(b"S", b"")),
    st.builds(
        lambda length, body: struct.pack("!i", length) + body,
        st.integers(-(2**31), 2**31 - 1) | st.integers(-2, 20),
        st.binary(max_size=12),
    ),
    st.binary(min_size=1, max_size=16),
)
#: Encryption requests, a StartupMessage (usually), then answers to authentication (usually).
_PACKETS = st.builds(
    lambda encryption, first, rest: [*encryption, first, *rest],
    st.lists(st.sampled_from([_SSL, _GSS]), max_size=2),
    st.one_of(*[startup_messages()] * 4, _ANYTHING),
    st.lists(st.one_of(*[auth_answers()] * 3, _ANYTHING), max_size=4),
)


def answers_of(client: Client, encryption_requests: int) -> list[m.BackendMessage]:
    """What the server wrote: up to ``encryption_requests`` single-byte answers (dropped),
    then backend messages."""
    data = client.transport.value()
    skip = 0
    while skip < min(encryption_requests, len(data)) and data[skip : skip + 1] in (b"N", b"S"):
        skip += 1
    client._read = skip
    return client.received()


def log_in(client: Client, method: str) -> list[m.BackendMessage]:
    """A well-behaved client's start-up with the right password."""
    if method == "scram-sha-256":
        scram = ScramClient(PASSWORD)
        assert client.startup(user="scram") == [m.AuthenticationSASL(("SCRAM-SHA-256",))]
        client.send(m.SASLInitialResponse("SCRAM-SHA-256", scram.client_first()))
        [first] = client.received()
        assert isinstance(first, m.AuthenticationSASLContinue), first
        client.send(m.SASLResponse(scram.handle_server_first(first.data)))
        return client.received()
    answers = client.startup(user="plain")
    if method == "password":
        assert answers == [m.AuthenticationCleartextPassword()]
        client.send(m.PasswordMessage(PASSWORD))
        return client.received()
    if method == "md5":
        request = answers[0]
        assert isinstance(request, m.AuthenticationMD5Password), answers
        client.send(m.PasswordMessage(md5_response("plain", PASSWORD, request.salt)))
        return client.received()
    return answers


def check_startup(client: Client, answers: list[m.BackendMessage], stream: bytes) -> None:
    check_answers(answers)
    ready = next((i for i, a in enumerate(answers) if isinstance(a, m.ReadyForQuery)), None)
    before = answers if ready is None else answers[:ready]
    for answer in before:
        if isinstance(answer, m.ErrorResponse):
            assert answer.severity == "FATAL", answers
            assert answer.sqlstate in STARTUP_SQLSTATES, answers
    if ready is not None:
        assert m.AuthenticationOk() in answers[:ready], answers
    if client.closed:
        last = answers[-1] if answers else None
        if not (isinstance(last, m.ErrorResponse) and last.severity == "FATAL"):
            assert frame(b"X", b"") in stream or struct.pack("!I", m.CANCEL_REQUEST_CODE) in stream


@fuzz_settings(1500)
@given(
    method=st.sampled_from(METHODS),
    packets=_PACKETS,
    data=st.data(),
)
def test_any_start_up(method: str, packets: list[bytes], data: st.DataObject) -> None:
    stream = b"".join(packets)
    reads = data.draw(cuts(stream))
    with no_logged_failures():
        client = Client(auth=method, password_store=store())
        for read in reads:
            if client.closed:
                break
            client.protocol.dataReceived(read)
        answers = answers_of(client, packets.count(_SSL) + packets.count(_GSS))
        check_startup(client, answers, stream)
        if not client.closed and not any(isinstance(a, m.ReadyForQuery) for a in answers):
            client.reactor.advance(client.factory.startup_timeout + 1)
            assert client.closed, "a half-started connection outlived the startup timeout"
            late = client.received()
            check_answers(late)
            assert all(isinstance(a, m.ErrorResponse) and a.severity == "FATAL" for a in late)
        client.disconnect()

        other = Client(factory=client.factory)
        answers = log_in(other, method)
        assert isinstance(answers[-1], m.ReadyForQuery), answers
        other.disconnect()
