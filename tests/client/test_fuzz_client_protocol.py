"""Property-based fuzzing of the Twisted client (`ClientProtocol`) with a broken server.

The protocol runs over an in-memory transport: the "server" is whatever Hypothesis draws —
the answers the client waits for with arbitrary values, any other backend messages, and
corruptions (the strategies of ``tests/protocol/test_fuzz_client.py``) — cut into reads at
random points, sent while the connection starts up or after it is ready and several queries
(simple, with parameters, a prepared statement's, a simple query's results) are pipelined.
Then the connection is lost.  Properties (the module docstring of ``client/protocol.py``
promises them: "every pending operation fails ..., never hangs"):

* ``dataReceived`` and ``connectionLost`` never raise, nothing is logged as an unexpected error;
* every Deferred the application holds has fired by the end, each with a result or one of the
  documented errors (`PostgresError`, `ProtocolError`, `ConnectionClosedError`,
  `InterfaceError`, a column decoder's ValueError for a value it cannot read).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import pairwise
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from twisted.internet.defer import Deferred
from twisted.internet.protocol import connectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import globalLogPublisher
from twisted.python.failure import Failure

from tests.protocol.test_fuzz_client import SETTINGS, STARTUP_REPORT, STREAMS
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.errors import ConnectionClosedError, InterfaceError
from txpostgres_proto.client.protocol import ClientProtocol
from txpostgres_proto.protocol.errors import PostgresError, ProtocolError
from txpostgres_proto.protocol.messages import AuthenticationOk

#: What an operation may fail with when the server misbehaves.
DOCUMENTED = (
    PostgresError,
    ProtocolError,
    ConnectionClosedError,
    InterfaceError,
    ValueError,  # a column decoder that cannot read a value (int4 "x", bad UTF-8 ...)
    OverflowError,
)


@contextmanager
def no_logged_failures() -> Iterator[None]:
    failures: list[dict[str, Any]] = []

    def keep(event: dict[str, Any]) -> None:
        if "log_failure" in event:
            failures.append(event)

    observe: Any = keep
    globalLogPublisher.addObserver(observe)
    try:
        yield
    finally:
        globalLogPublisher.removeObserver(observe)
    assert not failures, [event["log_failure"].getTraceback() for event in failures]


def outcome(deferred: Deferred[Any]) -> list[Any]:
    """Where ``deferred``'s result lands (empty until it fires); its failure is handled."""
    found: list[Any] = []

    def keep(result: Any) -> None:
        found.append(result)

    deferred.addBoth(keep)
    return found


def issue(connection: Connection, which: list[int]) -> list[list[Any]]:
    """Pipeline some queries of each kind the client sends differently."""
    calls: list[Callable[[], Deferred[Any]]] = [
        lambda: connection.query("select 1"),
        lambda: connection.query("select $1::int4", 5),
        lambda: connection.execute("update t set a = $1", "x"),
        lambda: connection.simple_query("select 1; select 2"),
        lambda: connection.query_one("select $1::text", "y"),
    ]
    return [outcome(calls[index]()) for index in which]


@SETTINGS
@given(
    startup=st.booleans(),
    which=st.lists(st.integers(0, 4), max_size=4),
    stream=STREAMS,
    data=st.data(),
)
def test_any_server_answer(
    startup: bool, which: list[int], stream: list[bytes], data: st.DataObject
) -> None:
    whole = b"".join(stream)
    points = data.draw(st.lists(st.integers(0, len(whole)), max_size=4))
    reads = [whole[a:b] for a, b in pairwise([0, *sorted(points), len(whole)]) if b > a]
    with no_logged_failures():
        protocol = ClientProtocol("alice", "shop", "secret", reactor=MemoryReactorClock())
        protocol.makeConnection(StringTransport())
        ready = outcome(protocol.when_ready())
        pending = [ready]
        if not startup:
            protocol.dataReceived(AuthenticationOk().encode() + STARTUP_REPORT)
            assert ready and isinstance(ready[0], Connection), ready
            pending += issue(ready[0], which)
        for read in reads:
            protocol.dataReceived(read)
        protocol.connectionLost(Failure(connectionDone.value))
    for result in pending:
        assert result, "an operation never finished"
        if isinstance(result[0], Failure):
            assert result[0].check(*DOCUMENTED), result[0].getTraceback()
