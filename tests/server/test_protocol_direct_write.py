"""Replies leave at once on plain TCP connections, and through ``transport.write`` under TLS.

Twisted's socket transports buffer every ``write`` until the reactor's next iteration; the server
sends a reply straight to the socket while it handles the request (``direct_write.py``), so a
client has its answer after the one reactor iteration that read the request.  Through TLS the
bytes must pass the TLS engine: they go through ``transport.write`` and its buffer as before.

The reactor here is a real epoll reactor that is not running: the test turns it one iteration
at a time while a plain (blocking or ``ssl``) socket plays the client.
"""

from __future__ import annotations

import socket
import ssl
import struct
from collections.abc import Iterator
from typing import Any

import pytest
from twisted.internet import reactor as global_reactor
from twisted.internet.epollreactor import EPollReactor

from tests.pki import Pki
from tests.server.test_protocol import Backend
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.factory import PostgresServerFactory
from txpostgres_proto.server.tls import load_server_tls


class Server:
    """Our server on a loopback port of a reactor the test turns by hand."""

    def __init__(self, **options: Any) -> None:
        self.reactor = EPollReactor()
        self.factory = PostgresServerFactory(Backend, reactor=self.reactor, **options)
        self.protocols: list[Any] = []
        build = self.factory.buildProtocol

        def remember(address: Any) -> Any:
            protocol = build(address)
            self.protocols.append(protocol)
            return protocol

        self.factory.buildProtocol = remember  # type: ignore[method-assign]
        self.port = self.reactor.listenTCP(0, self.factory, interface="127.0.0.1")

    @property
    def address(self) -> tuple[str, int]:
        return ("127.0.0.1", self.port.getHost().port)

    def turn(self) -> None:
        """One reactor iteration (waiting at most a second for something to do).

        Twisted's TLS layer schedules its writes on the global reactor's clock, so what is
        due there runs too."""
        global_reactor.runUntilCurrent()  # type: ignore[attr-defined]
        self.reactor.runUntilCurrent()
        self.reactor.doIteration(1.0)

    def close(self) -> None:
        for protocol in self.protocols:
            protocol.transport.abortConnection()
        self.port.stopListening()
        for _ in range(3):
            self.reactor.doIteration(0)
        self.reactor.disconnectAll()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def buffered(transport: Any) -> int:
    """Bytes waiting in a Twisted socket transport's buffers."""
    return int(transport._tempDataLen) + len(transport.dataBuffer) - int(transport.offset)


def available(sock: socket.socket | ssl.SSLSocket) -> bytes:
    """What the client can read right now, without waiting."""
    sock.setblocking(False)
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (BlockingIOError, ssl.SSLWantReadError):
        pass
    finally:
        sock.setblocking(True)
    return data


def request_tls(server: Server, raw: socket.socket) -> bytes:
    """Send SSLRequest on ``raw`` and turn the server until its one-byte answer arrives."""
    raw.sendall(m.SSLRequest().encode())
    answer = b""
    while not answer:
        server.turn()
        answer = available(raw)
    return answer


def ends_with_ready_for_query(data: bytes) -> bool:
    return data[-6:-1] == b"Z" + struct.pack("!i", 5)


def start_session(server: Server, sock: socket.socket | ssl.SSLSocket) -> None:
    sock.sendall(m.StartupMessage({"user": "alice", "database": "db"}).encode())
    received = b""
    for _ in range(20):
        server.turn()
        received += available(sock)
        if ends_with_ready_for_query(received):
            return
    raise AssertionError(f"no ReadyForQuery after startup: {received!r}")


def test_a_reply_is_on_the_socket_after_the_iteration_that_read_the_request(
    server: Server,
) -> None:
    with socket.create_connection(server.address, timeout=5) as sock:
        server.turn()  # accept
        start_session(server, sock)
        transport = server.protocols[0].transport
        cycle = (
            m.Parse("", "select $1").encode()
            + m.Bind("", "", (), (b"41",), ()).encode()
            + m.Describe("P", "").encode()
            + m.Execute("", 0).encode()
            + m.Sync().encode()
        )
        replies = []
        for request in (m.Query("items").encode(), cycle, m.Query("select 7").encode()):
            sock.sendall(request)
            server.turn()  # reads the request and answers it; nothing else
            assert buffered(transport) == 0
            replies.append(available(sock))
        assert all(ends_with_ready_for_query(reply) for reply in replies), replies
        assert b"two" in replies[0] and b"41" in replies[1] and b"7" in replies[2]


def test_the_extended_reply_is_complete_at_once(server: Server) -> None:
    with socket.create_connection(server.address, timeout=5) as sock:
        server.turn()
        start_session(server, sock)
        sock.sendall(
            m.Parse("", "select $1").encode()
            + m.Bind("", "", (), (b"41",), ()).encode()
            + m.Describe("P", "").encode()
            + m.Execute("", 0).encode()
            + m.Sync().encode()
        )
        server.turn()
        reply = available(sock)
    codes = []
    pos = 0
    while pos < len(reply):
        codes.append(chr(reply[pos]))
        pos += 1 + struct.unpack_from("!i", reply, pos + 1)[0]
    assert codes == ["1", "2", "T", "D", "C", "Z"]
    assert b"\x00\x00\x00\x0241" in reply  # the DataRow's value


def test_replies_through_tls_go_through_the_transport_buffer(pki: Pki) -> None:
    tls = load_server_tls(pki.server_cert, pki.server_key)
    server = Server(tls=tls)
    try:
        raw = socket.create_connection(server.address, timeout=5)
        server.turn()
        assert request_tls(server, raw) == b"S"
        context = ssl.create_default_context(cafile=str(pki.ca_cert))
        sock = context.wrap_socket(raw, server_hostname="localhost", do_handshake_on_connect=False)
        sock.setblocking(False)
        for _ in range(50):
            try:
                sock.do_handshake()
                break
            except (ssl.SSLWantReadError, ssl.SSLWantWriteError):
                server.turn()
        else:
            raise AssertionError("TLS handshake did not finish")
        sock.setblocking(True)
        start_session(server, sock)
        sock.sendall(m.Query("select 7").encode())
        server.turn()  # reads and answers: the reply waits in the TLS transport's buffer
        assert server.protocols[0].session.tls
        assert available(sock) == b""
        server.turn()  # the next iteration writes it
        assert ends_with_ready_for_query(available(sock))
        sock.close()
    finally:
        server.close()
