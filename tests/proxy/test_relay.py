"""The relay is byte-exact: a conversation through the proxy gets PostgreSQL's own bytes.

A raw protocol client sends the same messages to PostgreSQL directly and through proxies, and
every answer after start-up must be identical byte for byte.  The proxies cover both reading
and writing paths: plain TCP on both sides (sockets read by the proxy's `ReadLoop` and written
directly) and TLS on both sides (the reactor's reading and the transports' TLS writes), in both
pool modes.  The conversation has results spanning many reads, a result the client does not
read for a while (flow control), errors, notices, a ParameterStatus, COPY OUT, named and
unnamed extended-protocol statements and pipelined queries.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pgserver import TRUST_USER, RealPostgres
from tests.pki import Pki
from tests.proxy.proxyprocess import ProxyProcess
from tests.proxy.rawclient import RawClient
from txpostgres_proto.protocol import messages as m

_BIG = "select g, repeat('x', 500) from generate_series(1, 3000) g"
_SLOWLY_READ = "select repeat('y', 1000) from generate_series(1, 8000)"

#: (messages to send, ReadyForQuery answers to wait for, seconds before reading).
_CONVERSATION: list[tuple[list[m.FrontendMessage], int, float]] = [
    ([m.Query(_BIG)], 1, 0.0),
    ([m.Query(_SLOWLY_READ)], 1, 0.3),
    ([m.Query("select 1/0")], 1, 0.0),
    ([m.Query("do $$ begin raise notice 'relayed %', 42; end $$")], 1, 0.0),
    ([m.Query("set application_name = 'relay_test'")], 1, 0.0),
    (
        [
            m.Parse("", "select $1::int + 1", (23,)),
            m.Bind("", "", (), (b"41",), ()),
            m.Describe("P", ""),
            m.Execute("", 0),
            m.Sync(),
        ],
        1,
        0.0,
    ),
    ([m.Parse("s1", "select $1::text || 'y'", ()), m.Sync()], 1, 0.0),
    ([m.Bind("", "s1", (), (b"x",), ()), m.Execute("", 0), m.Sync()], 1, 0.0),
    ([m.Close("S", "s1"), m.Sync()], 1, 0.0),
    ([m.Query("copy (select g from generate_series(1, 20000) g) to stdout")], 1, 0.0),
    ([m.Query("select 1"), m.Query("select 2")], 2, 0.0),
    ([m.Query("begin"), m.Query("select 42"), m.Query("commit")], 3, 0.0),
    (
        [m.Query("begin"), m.Query("select 1/0"), m.Query("select 1"), m.Query("rollback")],
        4,
        0.0,
    ),
]


def _conversation(host: str, port: int, tls: bool = False) -> list[bytes]:
    client = RawClient(host, port, tls)
    try:
        return [client.exchange(*step) for step in _CONVERSATION]
    finally:
        client.close()


@pytest.fixture(scope="module")
def direct_answers(real_postgres: RealPostgres) -> list[bytes]:
    return _conversation(real_postgres.host, real_postgres.port)


@pytest.fixture(scope="module", params=["session", "transaction", "multiplex"])
def plain_proxy(
    request: pytest.FixtureRequest,
    real_postgres: RealPostgres,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ProxyProcess]:
    upstream = real_postgres.uri(TRUST_USER, sslmode="disable")
    log = tmp_path_factory.mktemp("relay") / "plain.log"
    mode: tuple[str, ...] = ("--pool-mode", request.param, "--pool-size", "2")
    if request.param == "multiplex":
        mode = ("--pool-mode", "transaction", "--pool-size", "2", "--multiplex", "4")
    with ProxyProcess(upstream, *mode, log=log) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def tls_both_sides_proxy(
    real_postgres: RealPostgres, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    directory: Path = tmp_path_factory.mktemp("relay")
    upstream = real_postgres.uri(TRUST_USER, sslmode="require")
    with ProxyProcess(
        upstream, "--pool-mode", "transaction", "--pool-size", "2",
        "--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key), "--require-tls",
        log=directory / "tls.log",
    ) as proxy:  # fmt: skip
        yield proxy


def test_plain_relay_is_byte_exact(plain_proxy: ProxyProcess, direct_answers: list[bytes]) -> None:
    assert _conversation(plain_proxy.host, plain_proxy.port) == direct_answers


def test_tls_relay_is_byte_exact(
    tls_both_sides_proxy: ProxyProcess, direct_answers: list[bytes]
) -> None:
    answers = _conversation(tls_both_sides_proxy.host, tls_both_sides_proxy.port, tls=True)
    assert answers == direct_answers


@pytest.fixture(scope="module")
def one_upstream_proxy(
    real_postgres: RealPostgres, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProxyProcess]:
    upstream = real_postgres.uri(TRUST_USER, sslmode="disable")
    log = tmp_path_factory.mktemp("relay") / "one.log"
    with ProxyProcess(upstream, "--pool-mode", "transaction", "--pool-size", "1", log=log) as p:
        yield p


def test_an_answer_that_fills_the_client_buffer_leaves_the_upstream_reading(
    one_upstream_proxy: ProxyProcess,
) -> None:
    """The last answer of a transaction pauses the upstream when the client's send buffer
    overflows (one 8 MB row arrives as one frame); the upstream then goes back to the pool
    and must still be read for the next client."""
    first = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    second = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    second.sock.settimeout(5)
    try:
        big = first.exchange([m.Query("select repeat('z', 8000000)")], 1, 0.3)
        assert b"SELECT 1\x00" in big and len(big) > 8_000_000
        assert b"C\x00\x00\x00\rSELECT 1\x00" in second.exchange([m.Query("select 1")], 1, 0.0)
    finally:
        first.close()
        second.close()


def test_borrowing_by_turns_keeps_each_clients_settings_and_bytes(
    one_upstream_proxy: ProxyProcess,
) -> None:
    """Each way of borrowing and returning the one upstream, in a fixed order."""
    show = [m.Query("show application_name")]
    a = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    b = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    try:
        b_own = b.exchange(show, 1, 0.0)
        assert b"relay_turns" not in b_own
        a_set = a.exchange([m.Query("set application_name = 'relay_turns'")], 1, 0.0)
        assert b"application_name\x00relay_turns\x00" in a_set
        # The upstream now has A's setting: B's borrow must SET B's value back first.
        assert b.exchange(show, 1, 0.0) == b_own
        a_own = a.exchange(show, 1, 0.0)
        assert b"relay_turns" in a_own
        assert a.exchange(show, 1, 0.0) == a_own  # same settings: borrowed inline
        # A holds the upstream in a transaction; B waits for it and gets it on COMMIT.
        assert a.exchange([m.Query("begin")], 1, 0.0).endswith(b"Z\x00\x00\x00\x05T")
        b.sock.sendall(m.Query("show application_name").encode())
        time.sleep(0.2)
        assert a.exchange([m.Query("commit")], 1, 0.0).endswith(b"Z\x00\x00\x00\x05I")
        assert b.exchange([], 1, 0.0) == b_own
    finally:
        a.close()
        b.close()


def test_a_failed_transaction_keeps_its_upstream_until_it_ends(
    one_upstream_proxy: ProxyProcess,
) -> None:
    """ReadyForQuery 'T' and then 'E' (an error inside the transaction) keep the one upstream
    lent to A: B waits until A's ROLLBACK answers with 'I'."""
    a = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    b = RawClient(one_upstream_proxy.host, one_upstream_proxy.port)
    try:
        assert a.exchange([m.Query("begin")], 1, 0.0).endswith(b"Z\x00\x00\x00\x05T")
        failed = a.exchange([m.Query("select 1/0")], 1, 0.0)
        assert b"C22012\x00" in failed and failed.endswith(b"Z\x00\x00\x00\x05E")
        b.sock.sendall(m.Query("select 7").encode())
        b.sock.settimeout(0.3)
        with pytest.raises(TimeoutError):
            b.sock.recv(1)
        b.sock.settimeout(30)
        refused = a.exchange([m.Query("select 1")], 1, 0.0)
        assert b"C25P02\x00" in refused and refused.endswith(b"Z\x00\x00\x00\x05E")
        assert a.exchange([m.Query("rollback")], 1, 0.0).endswith(b"Z\x00\x00\x00\x05I")
        answer = b.exchange([], 1, 0.0)
        assert b"D\x00\x00\x00\x0b\x00\x01\x00\x00\x00\x017" in answer
    finally:
        a.close()
        b.close()


def test_answers_are_what_the_conversation_asked(direct_answers: list[bytes]) -> None:
    """The comparison above is only worth something if the answers are the real ones."""
    big, slow, division, notice, setting, *_ = direct_answers
    assert big.count(b"xxxxx") >= 3000 and b"SELECT 3000\x00" in big
    assert len(slow) > 8_000_000 and b"SELECT 8000\x00" in slow
    assert b"C22012\x00" in division and b"relayed 42" in notice
    assert b"application_name\x00relay_test\x00" in setting
    assert b"COPY 20000\x00" in direct_answers[9]
    failed_transaction = direct_answers[12]
    assert b"C22012\x00" in failed_transaction and b"C25P02\x00" in failed_transaction
    assert failed_transaction.count(b"Z\x00\x00\x00\x05E") == 2
