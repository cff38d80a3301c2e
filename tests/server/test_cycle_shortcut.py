"""A read holding one whole extended-query cycle is handled in one pass, with the same answers.

`ServerConnection.take_cycle` cuts such a read at once and `ServerProtocolCore._run_cycle`
handles its messages without a `next_event` round each; `ServerConnection.take_bind_cycle`
recognises the commonest cycle (one statement through the unnamed portal) and
`BindCycleFlow._run_bind_cycle` answers it as one unit.  Here every script runs twice, on a
protocol with the shortcuts and on one with ``fast_path = False``, and the bytes written, the
backend's calls and the session's state must be the same; a subclass counts the reads each
shortcut took, to show which scripts they took and which they left to the general loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from twisted.internet.testing import MemoryReactorClock

from tests.server.test_protocol import ITEMS, NUMBER, Backend, Client
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.server import NEED_DATA, BindCycle, ServerConnection, ServerState
from txpostgres_proto.server.backend import QueryResult, StatementDescription
from txpostgres_proto.server.factory import PostgresServerFactory
from txpostgres_proto.server.protocol import PostgresServerProtocol
from txpostgres_proto.types import oids


class CountingProtocol(PostgresServerProtocol):
    """Counts the reads each shortcut handled."""

    shortcuts = 0
    bind_cycles = 0

    def _run_cycle(self, data: bytes, cycle: Any) -> None:
        type(self).shortcuts += 1
        super()._run_cycle(data, cycle)

    def _run_bind_cycle(self, data: bytes, cycle: BindCycle) -> bool:
        taken = super()._run_bind_cycle(data, cycle)
        type(self).bind_cycles += taken
        return taken


class GeneralProtocol(PostgresServerProtocol):
    """Every message through the general loop."""

    fast_path = False


class ShortcutBackend(Backend):
    """`Backend`, and results that take the bind cycle's other ways: ``mixed`` (a list whose
    second row does not encode), ``many`` (a list too long to send in one piece), ``stream``
    (an async iterator), ``now`` (an ``async def`` answer that never waits) and ``wide`` (one
    column more than it is described with)."""

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        if sql == "wide":
            return StatementDescription((), NUMBER)
        return super().describe(sql, param_oids)

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        if sql == "mixed":
            return QueryResult(NUMBER, [(1,), ("two",), (3,)])
        if sql == "many":
            return QueryResult(NUMBER, [(n,) for n in range(200)])
        if sql == "stream":
            return QueryResult(NUMBER, _numbers(3))
        if sql == "now":
            return _answer_now()
        if sql == "wide":
            return QueryResult(ITEMS, [(1, "one")])
        return super().execute(sql, params, param_oids)


async def _numbers(count: int) -> AsyncIterator[tuple[int]]:
    for number in range(count):
        yield (number,)


async def _answer_now() -> QueryResult:
    return QueryResult(NUMBER, [(7,)])


def _client(protocol: type[PostgresServerProtocol]) -> Client:
    class Factory(PostgresServerFactory):
        def buildProtocol(self, addr: Any) -> PostgresServerProtocol:  # noqa: N802 - Twisted API
            built = protocol()
            built.factory = self
            return built

    client = Client(factory=Factory(ShortcutBackend, reactor=MemoryReactorClock()))
    client.startup()
    client.raw()
    return client


def _wire(*messages: m.FrontendMessage) -> bytes:
    return b"".join(message.encode() for message in messages)


def _cycle(sql: str, *params: bytes | None, name: str = "") -> bytes:
    return _wire(
        m.Parse(name, sql, ()),
        m.Bind("", name, (), params, ()),
        m.Describe("P", ""),
        m.Execute("", 0),
        m.Sync(),
    )


def _described_then_run(name: str, sql: str) -> list[bytes]:
    """Statement ``name`` prepared and described, then run with and without Describe."""
    return [
        _wire(m.Parse(name, sql, ()), m.Describe("S", name), m.Sync()),
        _wire(m.Bind("", name, (), (), ()), m.Describe("P", ""), m.Execute("", 0), m.Sync()),
        _wire(m.Bind("", name, (), (), ()), m.Execute("", 0), m.Sync()),
    ]


CYCLE, BIND = "cycle", "bind cycle"

SCRIPTS: dict[str, tuple[list[bytes], set[str]]] = {
    # name: (reads, the shortcuts that take at least one of them)
    # (A statement's first Bind with parameters makes its bind plan the general way, so the
    # bind cycle takes only the repeats.)
    "select": ([_cycle("select $1", b"7"), _cycle("select $1", b"8")], {CYCLE, BIND}),
    "rows": ([_cycle("items"), _cycle("count 3")], {BIND}),
    "insert": ([_cycle("insert x")], {BIND}),
    "named statement": (
        [
            _wire(m.Parse("s1", "select $1", ()), m.Describe("S", "s1"), m.Sync()),
            _wire(
                m.Bind("", "s1", (), (b"5",), ()),
                m.Describe("P", ""),
                m.Execute("", 0),
                m.Sync(),
            ),
            _wire(m.Bind("", "s1", (), (b"6",), (1,)), m.Execute("", 0), m.Sync()),
        ],
        {CYCLE, BIND},
    ),
    "bad parameter": ([_cycle("select $1", b"x7"), _cycle("select $1", b"9")], {CYCLE, BIND}),
    "bad binary parameter after a plan": (
        [
            _wire(m.Parse("", "select $1", (oids.INT4,)), m.Bind("", "", (1,), (b"\0\0\0\1",), ()))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
            _wire(m.Parse("", "select $1", (oids.INT4,)), m.Bind("", "", (1,), (b"\0\1",), ()))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
            _wire(m.Parse("", "select $1", (oids.INT4,)), m.Bind("", "", (1,), (b"\0\0\0\2",), ()))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
        ],
        {CYCLE, BIND},
    ),
    "parameter count": (
        [_cycle("select $1", b"1"), _cycle("select $1", b"1", b"2"), _cycle("select $1", b"3")],
        {CYCLE, BIND},
    ),
    "backend error": ([_cycle("fail 22012"), _cycle("select 1")], {BIND}),
    "backend crash": ([_cycle("crash"), _cycle("select 1")], {BIND}),
    "unknown portal": (
        [_wire(m.Bind("", "nope", (), (), ()), m.Execute("", 0), m.Sync()), _cycle("select 1")],
        {CYCLE, BIND},
    ),
    "row limit": (
        [
            _wire(
                m.Parse("", "count 5", ()),
                m.Bind("", "", (), (), ()),
                m.Execute("", 2),
                m.Execute("", 2),
                m.Execute("", 0),
                m.Sync(),
            )
        ],
        {CYCLE},
    ),
    "row limit in one cycle": (
        [
            _wire(
                m.Parse("", "count 5", ()),
                m.Bind("", "", (), (), ()),
                m.Describe("P", ""),
                m.Execute("", 2),
                m.Sync(),
            )
        ],
        {BIND},
    ),
    "transaction block": (
        [
            _cycle("begin"),
            _cycle("select 1"),
            _cycle("fail 23505"),
            _cycle("select 2"),
            _cycle("rollback"),
        ],
        {CYCLE, BIND},
    ),
    "portal kept in a block": (
        [
            _cycle("begin"),
            _wire(
                m.Parse("", "count 4", ()), m.Bind("", "", (), (), ()), m.Execute("", 3), m.Sync()
            ),
            _wire(m.Execute("", 0), m.Sync()),
            _cycle("commit"),
        ],
        {CYCLE, BIND},
    ),
    "described statement": (
        [
            _wire(m.Parse("s2", "items", ()), m.Describe("S", "s2"), m.Sync()),
            _wire(m.Bind("", "s2", (), (), (1,)), m.Describe("P", ""), m.Execute("", 0), m.Sync()),
            _wire(m.Bind("", "s2", (), (), (1, 0, 1)), m.Describe("P", ""), m.Sync()),
            _wire(m.Bind("", "s2", (), (), ()), m.Describe("P", ""), m.Execute("", 0), m.Sync()),
        ],
        {CYCLE, BIND},
    ),
    "utility statement": ([_cycle("set search_path = a"), _cycle("show search_path")], {CYCLE}),
    "empty statement": ([_cycle(""), _cycle("")], {CYCLE}),
    "named parse": ([_cycle("select 1", name="s3")], {CYCLE}),
    "flush inside": (
        [_wire(m.Parse("", "select 3", ()), m.Flush(), m.Bind("", "", (), (), ()), m.Sync())],
        {CYCLE},
    ),
    "two cycles in one read": ([_cycle("select 1") + _cycle("select 2")], set()),
    "split read": ([_cycle("select 1")[:9], _cycle("select 1")[9:]], set()),
    "simple query": ([m.Query("select 1").encode()], {CYCLE}),
    "simple queries": (
        [
            m.Query("select 1; items; insert x").encode(),
            m.Query("").encode(),
            m.Query("select 2; fail 22012; select 3").encode(),
            m.Query("begin; select 4").encode(),
            m.Query("fail 23505").encode(),
            m.Query("select 5").encode(),
            m.Query("rollback").encode(),
            m.Query("wait; select 6").encode(),
            m.Query("mixed").encode(),
        ],
        {CYCLE},
    ),
    "query with more after it": (
        [m.Query("select 1").encode() + _cycle("select 2"), m.Query("select 3").encode()[:4]],
        set(),
    ),
    "cycle after a partial message": (
        [m.Query("select 4").encode()[:3], m.Query("select 4").encode()[3:] + _cycle("items")],
        set(),
    ),
    "malformed bind": (
        [_wire(m.Parse("", "select 1", ())) + b"B\x00\x00\x00\x05\x00" + _wire(m.Sync())],
        set(),
    ),
    "waiting backend": ([_cycle("wait"), _cycle("select 1")], {BIND}),
    "row that does not encode": ([_cycle("mixed"), _cycle("select 1")], {BIND}),
    "long result": ([_cycle("many"), _cycle("many")], {BIND}),
    "async rows": ([_cycle("stream"), _cycle("stream")], {BIND}),
    "answer that never waits": ([_cycle("now"), _cycle("now")], {BIND}),
    "undescribed answer that never waits": (
        [_wire(m.Parse("", "now", ()), m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync())],
        {BIND},
    ),
    "more columns than described": (
        _described_then_run("s4", "wide"),
        {CYCLE, BIND},
    ),
    "binary results": (
        [
            _wire(m.Parse("", "items", ()), m.Bind("", "", (), (), (1,)))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
            _wire(m.Parse("", "items", ()), m.Bind("", "", (), (), (0, 1)))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
            _wire(m.Parse("", "items", ()), m.Bind("", "", (), (), (0, 1, 0)))
            + _wire(m.Describe("P", ""), m.Execute("", 0), m.Sync()),
        ],
        {BIND},
    ),
    "waiting described statement": (
        _described_then_run("w", "wait"),
        {CYCLE, BIND},
    ),
}


def _run(protocol: type[PostgresServerProtocol], reads: list[bytes]) -> tuple[Any, ...]:
    client = _client(protocol)
    written = []
    for data in reads:
        client.protocol.dataReceived(data)
        while client.backend is not None and client.backend.waiting:
            client.backend.waiting.pop(0).callback(None)
        written.append(client.raw())
    session = client.session
    return (
        written,
        client.backend.calls if client.backend is not None else None,
        None if session is None else session.transaction_status,
        None if session is None else sorted(session.statements),
        None if session is None else sorted(session.portals),
        client.closed,
    )


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_shortcut_answers_like_the_general_loop(name: str) -> None:
    reads, shortcuts = SCRIPTS[name]
    CountingProtocol.shortcuts = CountingProtocol.bind_cycles = 0
    fast = _run(CountingProtocol, reads)
    general = _run(GeneralProtocol, reads)
    assert fast == general
    taken = {CYCLE} if CountingProtocol.shortcuts else set()
    if CountingProtocol.bind_cycles:
        taken.add(BIND)
    assert taken == shortcuts
    assert b"".join(fast[0]).endswith(m.ReadyForQuery(fast[2]).encode()) or fast[5]


def _ready_connection() -> ServerConnection:
    conn = ServerConnection()
    conn.state = ServerState.READY
    return conn


def test_take_cycle_cuts_a_whole_cycle_and_enters_extended_mode() -> None:
    conn = _ready_connection()
    data = _cycle("select $1", b"1")
    cycle = conn.take_cycle(data)
    assert cycle is not None
    assert [type(message) for message, _, _ in cycle] == [
        m.Parse,
        m.Bind,
        m.Describe,
        m.Execute,
        m.Sync,
    ]
    assert [state for _, _, state in cycle] == [ServerState.IN_EXTENDED] * 4 + [ServerState.SYNCING]
    assert cycle[-1][1] == len(data)
    assert conn.state is ServerState.IN_EXTENDED
    assert conn.buffered_bytes == 0


def test_take_cycle_cuts_one_query_and_enters_the_simple_query_state() -> None:
    conn = _ready_connection()
    data = m.Query("select 1; select 2").encode()
    assert conn.take_cycle(data) == [
        (m.Query("select 1; select 2"), len(data), ServerState.IN_SIMPLE_QUERY)
    ]
    assert conn.state is ServerState.IN_SIMPLE_QUERY and conn.buffered_bytes == 0


@pytest.mark.parametrize(
    "data",
    [
        _cycle("select 1")[:-1],  # the Sync is cut short
        m.Query("select 1").encode()[:-1],  # the Query is cut short
        b"Q\x00\x00\x00\x05x",  # a Query without its terminator
        _cycle("select 1") + _cycle("select 2"),  # a second cycle after the first Sync
        m.Query("select 1").encode() + m.Sync().encode(),  # more after a Query
        b"P\xff\xff\xff\xff" + m.Sync().encode(),  # a length over the limit
        b"B\x00\x00\x00\x05\x00" + m.Sync().encode(),  # a malformed Bind
    ],
)
def test_take_cycle_leaves_anything_else_alone(data: bytes) -> None:
    conn = _ready_connection()
    assert conn.take_cycle(data) is None
    assert conn.state is ServerState.READY
    assert conn.buffered_bytes == 0


def test_take_cycle_only_when_waiting_for_a_query_with_nothing_buffered() -> None:
    conn = _ready_connection()
    conn.receive_data(m.Query("select 1").encode()[:3])
    assert conn.take_cycle(_cycle("select 1")) is None
    assert conn.buffered_bytes == 3
    busy = _ready_connection()
    busy.receive_data(m.Query("select 1").encode())
    assert busy.next_event() == m.Query("select 1")
    assert busy.take_cycle(_cycle("select 1")) is None
    assert busy.state is ServerState.IN_SIMPLE_QUERY
    assert busy.next_event() is not NEED_DATA  # paused until the query is answered


def test_take_bind_cycle_reads_the_commonest_cycle_without_moving_the_state() -> None:
    conn = _ready_connection()
    data = _wire(
        m.Parse("", "select $1", (oids.INT4,)),
        m.Bind("", "", (1,), (b"\0\0\0\7",), (1,)),
        m.Describe("P", ""),
        m.Execute("", 25),
        m.Sync(),
    )
    cycle = conn.take_bind_cycle(data)
    assert cycle is not None
    assert cycle.parse == m.Parse("", "select $1", (oids.INT4,))
    assert cycle.bind == m.Bind("", "", (1,), (b"\0\0\0\7",), (1,))
    assert cycle.describe and cycle.max_rows == 25
    assert data[cycle.bind_end : cycle.describe_end] == m.Describe("P", "").encode()
    assert data[cycle.describe_end : cycle.execute_end] == m.Execute("", 25).encode()
    assert data[cycle.execute_end :] == m.Sync().encode()
    assert conn.state is ServerState.READY and conn.buffered_bytes == 0

    prepared = _wire(m.Bind("", "s", (), (), ()), m.Execute("", 0), m.Sync())
    cycle = conn.take_bind_cycle(prepared)
    assert cycle is not None and cycle.parse is None and not cycle.describe
    assert cycle.bind.statement == "s" and cycle.bind_end == cycle.describe_end


@pytest.mark.parametrize(
    "data",
    [
        _cycle("select 1", name="s"),  # a named statement is parsed: it must not exist yet
        _wire(m.Bind("p", "", (), (), ()), m.Execute("p", 0), m.Sync()),  # a named portal
        _wire(m.Bind("", "", (), (), ()), m.Describe("S", ""), m.Execute("", 0), m.Sync()),
        _wire(m.Bind("", "", (), (), ()), m.Sync()),  # no Execute
        _wire(m.Bind("", "", (), (), ()), m.Execute("", 0), m.Execute("", 0), m.Sync()),
        _wire(m.Bind("", "", (), (), ()), m.Execute("", 0), m.Flush(), m.Sync()),
        _wire(m.Parse("", "x", ()), m.Parse("", "y", ()), m.Bind("", "", (), (), ()))
        + _wire(m.Execute("", 0), m.Sync()),
        _cycle("select 1") + _cycle("select 2"),
        _cycle("select 1")[:-1],
        b"B\x00\x00\x00\x05\x00" + _wire(m.Execute("", 0), m.Sync()),  # a malformed Bind
        b"P\x7f\xff\xff\xff" + _wire(m.Bind("", "", (), (), ()), m.Execute("", 0), m.Sync()),
    ],
)
def test_take_bind_cycle_leaves_anything_else_alone(data: bytes) -> None:
    conn = _ready_connection()
    assert conn.take_bind_cycle(data) is None
    assert conn.state is ServerState.READY


def test_take_bind_cycle_only_while_waiting_for_a_query_with_nothing_buffered() -> None:
    data = _cycle("select 1")
    conn = _ready_connection()
    conn.receive_data(m.Query("x").encode()[:3])
    assert conn.take_bind_cycle(data) is None
    conn = _ready_connection()
    conn.state = ServerState.IN_EXTENDED
    assert conn.take_bind_cycle(data) is None
