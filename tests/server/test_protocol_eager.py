"""The answers are the same bytes whether the backend answers at once or later.

The query handlers finish their work in one go when nothing waits (``eager.py``,
``extended_query.py``) and hand the event loop a command only when something does.  Each
conversation below runs against the same backend answering four ways: plainly, with fired
Deferreds, with Deferreds fired on a later reactor turn, and from ``async def`` methods that
wait on such Deferreds; the bytes the server sends must not differ.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest
from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.testing import MemoryReactorClock

from tests.server.test_protocol import Backend, Client
from txpostgres_proto.protocol import messages as m

Step = list[m.FrontendMessage]


def _extended(sql: str, *params: bytes | None, **options: Any) -> Step:
    formats = options.get("param_formats", ())
    return [
        m.Parse("", sql, options.get("types", ())),
        m.Bind("", "", formats, params, options.get("result_formats", ())),
        m.Describe("P", ""),
        m.Execute("", options.get("max_rows", 0)),
        m.Sync(),
    ]


CONVERSATIONS: dict[str, list[Step]] = {
    "pgbench cycle, again and again": [_extended("select $1", str(n).encode()) for n in range(3)],
    "binary parameter and results": [
        _extended(
            "select $1",
            struct.pack("!i", 9),
            types=(23,),
            param_formats=(1,),
            result_formats=(1,),
        )
    ],
    "rows in portions": [
        [
            m.Parse("", "count 5"),
            m.Bind("", "", (), (), ()),
            m.Execute("", 2),
            m.Execute("", 2),
            m.Execute("", 0),
            m.Sync(),
        ]
    ],
    "error until Sync, then recovery": [
        _extended("fail 42P01") + _extended("select 3"),
        _extended("crash"),
        _extended("select 4"),
    ],
    "bad parameter after good ones (the remembered decoders)": [
        [m.Parse("s", "select $1", (23,)), m.Sync()],
        [m.Bind("", "s", (), (b"1",), ()), m.Execute("", 0), m.Sync()],
        [m.Bind("", "s", (), (b"2",), ()), m.Execute("", 0), m.Sync()],
        [m.Bind("", "s", (), (b"x",), ()), m.Execute("", 0), m.Sync()],
        [m.Bind("", "s", (), (None,), ()), m.Execute("", 0), m.Sync()],
    ],
    "described statement, then executed": [
        [
            m.Parse("t", "items"),
            m.Describe("S", "t"),
            m.Bind("", "t", (), (), (1,)),
            m.Describe("P", ""),
            m.Execute("", 0),
            m.Sync(),
        ]
    ],
    "empty statement and no rows": [_extended(""), _extended("insert")],
    "simple queries": [
        [m.Query("select 1; items; insert; count 3")],
        [m.Query("")],
        [m.Query("select 1; crash; select 2")],
        [m.Query("fail 22012")],
        [m.Query("begin; select 5; fail 42601; select 6")],
        [m.Query("rollback")],
    ],
}


def _fired(method: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Deferred[Any]:
        return defer.maybeDeferred(method, *args)

    return call


def _later(method: Callable[..., Any], reactor: MemoryReactorClock) -> Callable[..., Any]:
    def call(*args: Any) -> Deferred[Any]:
        answer: Deferred[Any] = Deferred()
        reactor.callLater(0, lambda: defer.maybeDeferred(method, *args).chainDeferred(answer))
        return answer

    return call


def _awaiting(method: Callable[..., Any], reactor: MemoryReactorClock) -> Callable[..., Any]:
    later = _later(method, reactor)

    async def call(*args: Any) -> Any:
        return await later(*args)

    return call


def _backend_factory(flavour: str, reactor: MemoryReactorClock) -> Callable[[], Backend]:
    def make() -> Backend:
        backend = Backend()
        for name in ("execute", "describe"):
            method = getattr(backend, name)
            if flavour == "fired":
                setattr(backend, name, _fired(method))
            elif flavour == "later":
                setattr(backend, name, _later(method, reactor))
            elif flavour == "awaiting":
                setattr(backend, name, _awaiting(method, reactor))
        return backend

    return make


def _conversation(steps: list[Step], flavour: str) -> list[bytes]:
    reactor = MemoryReactorClock()
    client = Client(backend_factory=_backend_factory(flavour, reactor), reactor=reactor)
    client.startup()
    answers = []
    for step in steps:
        client.send(*step)
        while reactor.getDelayedCalls():
            reactor.advance(0)
        answers.append(client.raw())
    return answers


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_the_same_bytes_however_the_backend_answers(name: str) -> None:
    steps = CONVERSATIONS[name]
    plain = _conversation(steps, "plain")
    assert all(answer.endswith(b"Z\x00\x00\x00\x05I") for answer in plain[:1]), plain
    for flavour in ("fired", "later", "awaiting"):
        assert _conversation(steps, flavour) == plain, flavour
