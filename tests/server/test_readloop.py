"""The server's plain sockets are read by the factory's `ReadLoop`, TLS ones by the reactor.

A real epoll reactor the test turns by hand (``test_protocol_direct_write.Server``) serves a
plain socket client.  The answers through the read loop must be byte-identical to those of a
connection given back to the reactor's own reading; a connection that switches to TLS leaves
the read loop before the handshake; backpressure (the server pausing its reading while complete
messages pile up), end of file, connections handed over by file descriptor (as ``--workers``
children receive them) and stopping the factory all work through it.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from tests.pki import Pki
from tests.server.test_protocol_direct_write import (
    Server,
    available,
    ends_with_ready_for_query,
    request_tls,
    start_session,
)
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.protocol_core import MAX_BUFFERED_INPUT
from txpostgres_proto.server.tls import load_server_tls

#: (request, ReadyForQuery answers it gets).
_CONVERSATION = [
    (m.Query("items").encode(), 1),
    (
        m.Parse("", "select $1").encode()
        + m.Bind("", "", (), (b"41",), ()).encode()
        + m.Describe("P", "").encode()
        + m.Execute("", 0).encode()
        + m.Sync().encode(),
        1,
    ),
    (m.Query("select 7").encode() + m.Query("count 3").encode(), 2),
    (m.Query("fail 22012").encode(), 1),
    (m.Query("begin").encode() + m.Query("select 1").encode() + m.Query("commit").encode(), 3),
]


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.close()


def read_by_loop(server: Server, transport: Any) -> bool:
    """Whether ``transport`` is read by the read loop (not by the reactor itself)."""
    readers = server.reactor.getReaders()
    return server.factory.read_loop in readers and transport not in readers


def ready_count(data: bytes) -> int:
    return data.count(b"Z\x00\x00\x00\x05")


def converse(server: Server, sock: socket.socket) -> list[bytes]:
    replies = []
    for request, expected in _CONVERSATION:
        sock.sendall(request)
        reply = b""
        for _ in range(20):
            server.turn()
            reply += available(sock)
            if ready_count(reply) == expected:
                break
        replies.append(reply)
    return replies


def test_answers_through_the_read_loop_equal_the_reactors(server: Server) -> None:
    with (
        socket.create_connection(server.address, timeout=5) as looped,
        socket.create_connection(server.address, timeout=5) as plain,
    ):
        server.turn()
        first, second = server.protocols
        assert read_by_loop(server, first.transport) and read_by_loop(server, second.transport)
        server.factory.read_loop.release(second.transport)
        assert second.transport in server.reactor.getReaders()
        assert read_by_loop(server, first.transport)
        start_session(server, looped)
        start_session(server, plain)
        through_loop = converse(server, looped)
        through_reactor = converse(server, plain)
    assert through_loop == through_reactor
    assert all(ends_with_ready_for_query(reply) for reply in through_loop), through_loop
    assert b"two" in through_loop[0] and b"22012" in through_loop[3]


def test_a_connection_switching_to_tls_leaves_the_read_loop(pki: Pki) -> None:
    server = Server(tls=load_server_tls(pki.server_cert, pki.server_key))
    try:
        with socket.create_connection(server.address, timeout=5) as raw:
            server.turn()
            transport = server.protocols[0].transport
            assert read_by_loop(server, transport)
            assert request_tls(server, raw) == b"S"
            assert transport.TLS
            assert transport in server.reactor.getReaders()  # the TLS engine's bytes
            assert server.factory.read_loop.adopt(transport, lambda data: None) is False
    finally:
        server.close()


def test_reading_pauses_while_messages_pile_up_and_resumes(server: Server) -> None:
    with socket.create_connection(server.address, timeout=5) as sock:
        server.turn()
        start_session(server, sock)
        protocol = server.protocols[0]
        sock.sendall(m.Query("wait").encode())
        server.turn()
        backend = protocol.backend
        assert len(backend.waiting) == 1
        count = MAX_BUFFERED_INPUT // len(m.Query("select 5").encode()) + 2000
        pile = m.Query("select 5").encode() * count
        sock.setblocking(False)
        sent = 0
        for _ in range(500):
            if sent < len(pile):
                try:
                    sent += sock.send(pile[sent:])
                except BlockingIOError:
                    pass
            server.turn()
            if protocol._reading_paused:  # noqa: SLF001 - the backlog paused the socket
                break
        assert protocol._reading_paused  # noqa: SLF001
        assert protocol.transport not in server.reactor.getReaders()
        buffered = protocol._conn.buffered_bytes  # noqa: SLF001
        server.turn()
        assert protocol._conn.buffered_bytes == buffered  # noqa: SLF001 - nothing more read
        sock.setblocking(True)
        backend.waiting[0].callback(None)
        received = b""
        for _ in range(2000):
            if sent < len(pile):
                sock.setblocking(False)
                try:
                    sent += sock.send(pile[sent:])
                except BlockingIOError:
                    pass
                sock.setblocking(True)
            server.turn()
            received += available(sock)
            if ready_count(received) == count + 1:
                break
        assert ready_count(received) == count + 1
        assert read_by_loop(server, protocol.transport)


def test_end_of_file_reaches_the_protocol(server: Server) -> None:
    sock = socket.create_connection(server.address, timeout=5)
    server.turn()
    start_session(server, sock)
    protocol = server.protocols[0]
    backend = protocol.backend
    sock.close()
    for _ in range(5):
        server.turn()
        if backend.lost:
            break
    assert backend.lost
    assert not protocol.transport.connected


def test_a_connection_handed_over_by_descriptor_is_read_by_the_loop(server: Server) -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    with listener, socket.create_connection(listener.getsockname(), timeout=5) as sock:
        accepted, _ = listener.accept()
        with accepted:
            server.reactor.adoptStreamConnection(accepted.fileno(), socket.AF_INET, server.factory)
        transport = server.protocols[0].transport
        assert read_by_loop(server, transport)
        start_session(server, sock)
        assert converse(server, sock)[2].count(b"C\x00") == 2


def test_stopping_the_factory_gives_connections_back_to_the_reactor(server: Server) -> None:
    with socket.create_connection(server.address, timeout=5) as sock:
        server.turn()
        start_session(server, sock)
        transport = server.protocols[0].transport
        assert read_by_loop(server, transport)
        server.factory.stopFactory()
        readers = server.reactor.getReaders()
        assert transport in readers and server.factory.read_loop not in readers
        sock.sendall(m.Query("select 9").encode())
        reply = b""
        for _ in range(5):
            server.turn()
            reply += available(sock)
            if ends_with_ready_for_query(reply):
                break
        assert ends_with_ready_for_query(reply) and b"9" in reply
