"""Property-based fuzzing of the server protocol after startup: nothing a client sends breaks it.

Hypothesis builds streams of frontend messages with arbitrary field values (Parse, Bind,
Describe, Close, Execute, Sync, Flush, Query, COPY messages out of place, FunctionCall,
Terminate) and corruptions of them (truncated bodies, wrong lengths, unknown type bytes,
missing terminators, counts that disagree with the data, random bytes), and cuts each stream
at random points into reads.  Against the in-memory protocol (``test_protocol.Client``) and the
small `Backend` of ``test_protocol.py`` the properties are the project's robustness standard:

* ``dataReceived`` never raises and nothing is logged as an unexpected error;
* every byte written parses as backend messages, and every ErrorResponse carries a severity
  and a well-formed SQLSTATE;
* a closed connection said why first (a FATAL ErrorResponse), unless the client sent Terminate;
* fed one message per read, each Sync and each Query that is not skipped after an error gets
  exactly one ReadyForQuery, at the end of its answer, and no other message gets one;
* the same stream gives the same bytes however it is cut into reads, and with the fast paths
  (``ServerConnection.take_cycle`` and the bind cycle) switched off;
* a second, well-behaved connection of the same factory works afterwards.

``tests/server/test_fuzz_sqlite.py`` runs the same streams against the SQLite default backend.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from twisted.internet.testing import MemoryReactorClock
from twisted.logger import globalLogPublisher

from tests.wire import INT16, corrupted, cstring, frame, sized
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.factory import PostgresServerFactory
from txpostgres_proto.server.protocol import PostgresServerProtocol

from .test_protocol import Backend, Client

#: ``FUZZ_EXAMPLES=20000 pytest tests/server/test_fuzz_*.py`` hunts with fresh random examples;
#: by default a fixed, repeatable set keeps CI fast (a few seconds per file).
_HUNT = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def fuzz_settings(examples: int) -> settings:
    """Hypothesis settings of the fuzz tests: ``examples`` repeatable examples (or a hunt)."""
    return settings(
        max_examples=_HUNT or examples,
        deadline=None,
        derandomize=not _HUNT,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        # (The explain phase can take minutes on these inputs; the shrunk example is enough.)
        phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
    )


SETTINGS = fuzz_settings(1000)

_SQLSTATE = re.compile(r"[0-9A-Z]{5}")

# -- raw frontend messages, any field values -----------------------------------------------


def int16s(values: list[int]) -> bytes:
    return struct.pack("!h", len(values)) + struct.pack(f"!{len(values)}h", *values)


_INT32 = st.one_of(st.sampled_from([0, 1, 2, -1]), st.integers(-(2**31), 2**31 - 1))
_OID = st.one_of(
    st.sampled_from([0, 16, 17, 20, 21, 23, 25, 700, 701, 1043, 1082, 1114, 1700, 2950]),
    st.integers(0, 2**32 - 1),
)
_COMMON_NAMES = st.sampled_from(["", "", "", "s1", "s2", "p1"])
_NAMES = st.one_of(
    *[_COMMON_NAMES] * 8,
    st.text(max_size=6),
    st.binary(max_size=6).filter(lambda b: b"\0" not in b),
)
_VALUES = st.one_of(
    st.none(),
    st.sampled_from([b"1", b"42", b"-7", b"x", b"", b"\0\0\0\1", b"t", b"2024-01-02"]),
    st.binary(max_size=12),
)


def sql_messages(texts: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """One well-framed frontend message per draw, fields drawn from anywhere."""
    kinds = st.sampled_from(["S", "P"]) | st.text(min_size=1, max_size=1)
    return st.one_of(
        st.builds(lambda sql: frame(b"Q", cstring(sql)), texts),
        parses(texts),
        binds(),
        st.builds(
            lambda code, kind, name: frame(code, cstring(kind)[:-1] + cstring(name)),
            st.sampled_from([b"D", b"C"]),
            kinds,
            _NAMES,
        ),
        executes(),
        st.just(frame(b"S", b"")),
        st.just(frame(b"S", b"")),
        st.just(frame(b"H", b"")),
        st.builds(lambda data: frame(b"d", data), st.binary(max_size=20)),
        st.just(frame(b"c", b"")),
        st.builds(lambda text: frame(b"f", cstring(text)), st.text(max_size=10)),
        st.builds(
            lambda oid, formats, args, result: frame(
                b"F",
                struct.pack("!I", oid)
                + int16s(formats)
                + struct.pack("!h", len(args))
                + sized(args)
                + struct.pack("!h", result),
            ),
            _OID,
            st.lists(INT16, max_size=2),
            st.lists(_VALUES, max_size=4),
            INT16,
        ),
    )


def parses(
    texts: st.SearchStrategy[str], names: st.SearchStrategy[str | bytes] = _NAMES
) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda name, sql, types: frame(
            b"P",
            cstring(name)
            + cstring(sql)
            + struct.pack("!h", len(types))
            + struct.pack(f"!{len(types)}I", *types),
        ),
        names,
        texts,
        st.lists(_OID, max_size=3),
    )


def binds(
    portals: st.SearchStrategy[str | bytes] = _NAMES,
    statements: st.SearchStrategy[str | bytes] = _NAMES,
) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda portal, name, formats, values, results: frame(
            b"B",
            cstring(portal)
            + cstring(name)
            + int16s(formats)
            + struct.pack("!h", len(values))
            + sized(values)
            + int16s(results),
        ),
        portals,
        statements,
        st.lists(st.sampled_from([0, 1]), max_size=2) | st.lists(INT16, max_size=3),
        st.lists(_VALUES, max_size=2) | st.lists(_VALUES, max_size=4),
        st.lists(st.sampled_from([0, 1]), max_size=2) | st.lists(INT16, max_size=3),
    )


def executes(portals: st.SearchStrategy[str | bytes] = _NAMES) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda portal, rows: frame(b"E", cstring(portal) + struct.pack("!i", rows)),
        portals,
        _INT32,
    )


@st.composite
def extended_cycles(draw: st.DrawFn, texts: st.SearchStrategy[str]) -> list[bytes]:
    """Parse, Bind, Describe, Execute and Sync of one statement and portal, as drivers send
    them (with parameter values and formats still drawn from anywhere)."""
    name = draw(_COMMON_NAMES)
    portal = draw(_COMMON_NAMES)
    cycle = [draw(parses(texts, st.just(name)))] if draw(st.integers(0, 3)) else []
    cycle.append(draw(binds(st.just(portal), st.just(name))))
    if draw(st.booleans()):
        cycle.append(frame(b"D", b"P" + cstring(portal)))
    cycle.append(draw(executes(st.just(portal))))
    return [*cycle, frame(b"S", b"")] if draw(st.booleans()) else cycle


@dataclass
class Piece:
    """One element of a fuzzed stream: its bytes and whether it is a well-framed message."""

    data: bytes
    framed: bool


def pieces(texts: st.SearchStrategy[str], size: int = 12) -> st.SearchStrategy[list[Piece]]:
    valid = sql_messages(texts)
    terminate = st.just(frame(b"X", b""))
    group = st.one_of(
        valid.map(lambda data: [Piece(data, True)]),
        valid.map(lambda data: [Piece(data, True)]),
        extended_cycles(texts).map(lambda cycle: [Piece(data, True) for data in cycle]),
        extended_cycles(texts).map(lambda cycle: [Piece(data, True) for data in cycle]),
        terminate.map(lambda data: [Piece(data, True)]),
        corrupted(valid).map(lambda data: [Piece(data, False)]),
    )
    return st.lists(group, max_size=size // 2).map(
        lambda groups: [piece for group in groups for piece in group]
    )


def cuts(stream: bytes) -> st.SearchStrategy[list[bytes]]:
    """``stream`` cut into reads at random points."""
    return st.lists(st.integers(0, len(stream)), max_size=6, unique=True).map(
        lambda points: [
            stream[start:end]
            for start, end in pairwise([0, *sorted(points), len(stream)])
            if end > start
        ]
    )


# -- running a stream and checking what came back ------------------------------------------


class LoggedFailures:
    """Every failure logged through Twisted's logger while it observes."""

    def __init__(self) -> None:
        self.failures: list[dict[str, Any]] = []

    def __call__(self, event: dict[str, Any]) -> None:
        if "log_failure" in event:
            self.failures.append(event)


def _backend_crash(event: dict[str, Any]) -> bool:
    """The one failure the server should log: the backend's own ``crash`` statement."""
    failure = event["log_failure"]
    return event.get("log_format") == "backend raised an unexpected error" and (
        isinstance(failure.value, RuntimeError) and str(failure.value) == "backend bug"
    )


@contextmanager
def no_logged_failures() -> Iterator[None]:
    """Fail if anything logs a failure (an exception nobody handled) inside the block, other
    than a backend's deliberate crash."""
    failures = LoggedFailures()
    observer: Any = failures
    globalLogPublisher.addObserver(observer)
    try:
        yield
    finally:
        globalLogPublisher.removeObserver(observer)
    unexpected = [event for event in failures.failures if not _backend_crash(event)]
    assert not unexpected, [
        (event.get("log_format"), event["log_failure"].getTraceback()) for event in unexpected
    ]


class GeneralProtocol(PostgresServerProtocol):
    """Every message through the general loop (no cycle shortcuts)."""

    fast_path = False


def factory(
    backend_factory: Callable[[], Any], protocol: type[PostgresServerProtocol]
) -> PostgresServerFactory:
    class Factory(PostgresServerFactory):
        def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 - Twisted API
            built = protocol()
            built.factory = self
            return built

    return Factory(backend_factory, reactor=MemoryReactorClock())


def started(made: PostgresServerFactory) -> Client:
    client = Client(factory=made)
    answers = client.startup()
    assert answers[-1] == m.ReadyForQuery(m.TransactionStatus.IDLE), answers
    return client


def check_answers(answers: list[m.BackendMessage]) -> None:
    for answer in answers:
        if isinstance(answer, m.ErrorResponse | m.NoticeResponse):
            assert _SQLSTATE.fullmatch(answer.sqlstate), answer
            assert answer.fields.get("S") and answer.fields.get("V"), answer
            assert answer.message, answer


def feed(client: Client, reads: list[bytes]) -> list[m.BackendMessage]:
    """Each read through ``dataReceived`` (which must not raise); what came back, decoded."""
    for data in reads:
        if client.closed:
            break
        client.protocol.dataReceived(data)
    return client.received()


def check_closed(client: Client, answers: list[m.BackendMessage], stream: bytes) -> None:
    if not client.closed:
        return
    last = answers[-1] if answers else None
    if not (isinstance(last, m.ErrorResponse) and last.severity == "FATAL"):
        assert b"X\0\0\0\4" in stream, answers


_EXTENDED = frozenset(b"PBDECH")


def fed_one_by_one(client: Client, stream: list[Piece]) -> list[m.BackendMessage]:
    """Each piece in a read of its own; for well-framed ones, the ReadyForQuery accounting.

    The accounting stops at the first piece that is not a message (from there on the framing
    of the stream is anyone's guess) and at a COPY (whose own flow decides which Sync counts).
    """
    answers: list[m.BackendMessage] = []
    skipping = False  # an extended-query message failed: everything up to Sync is ignored
    counting = True
    for piece in stream:
        if client.closed:
            break
        client.protocol.dataReceived(piece.data)
        got = client.received()
        answers += got
        check_answers(got)
        if not piece.framed or client.closed:
            counting = False
        if any(isinstance(a, m.CopyInResponse | m.CopyOutResponse) for a in got):
            counting = False
        if not counting:
            continue
        code = piece.data[0]
        ready = [i for i, a in enumerate(got) if isinstance(a, m.ReadyForQuery)]
        if code == ord("S") or (code in b"QF" and not skipping):
            assert ready == [len(got) - 1], (piece, got)
            skipping = False
        else:
            assert ready == [], (piece, got)
            if skipping:
                assert got == [], (piece, got)
            if code in _EXTENDED and any(isinstance(a, m.ErrorResponse) for a in got):
                skipping = True
    return answers


def check_second_connection(made: PostgresServerFactory, sql: str) -> None:
    other = started(made)
    answers = other.query(sql)
    assert isinstance(answers[-1], m.ReadyForQuery), answers
    assert not any(isinstance(a, m.ErrorResponse) for a in answers), answers
    other.disconnect()


# -- the raw Backend -----------------------------------------------------------------------


class FuzzBackend(Backend):
    """`Backend` that fails cleanly (42601) where it would trip over its own parsing of the
    statement (``select`` with no parameter, ``count`` without a number ...) or answer with a
    value its column cannot hold; its ``crash`` statement still raises RuntimeError, the
    unexpected error a handler may raise."""

    def describe(self, sql: str, param_oids: Any) -> Any:
        with _fails_cleanly():
            return super().describe(sql, param_oids)

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        with _fails_cleanly():
            if sql.startswith("select $") and params and params[0] is not None:
                # The value goes back in an int4 column: make it one (or fail cleanly).
                params = (int(params[0]), *params[1:])
            return super().execute(sql, params, param_oids)


@contextmanager
def _fails_cleanly() -> Iterator[None]:
    try:
        yield
    except (IndexError, ValueError, TypeError) as error:
        raise PostgresError(f"fuzz backend cannot run this: {error}", "42601") from None


#: Statements `Backend` answers, and text it answers with an empty result: anything whose
#: first word it does not know.
BACKEND_SQL = st.one_of(
    st.sampled_from(
        [
            "select 1",
            "select $1",
            "items",
            "count 3",
            "insert",
            "param",
            "fail 22012",
            "fail 08P01",
            "crash",
            "begin",
            "commit",
            "rollback",
            "savepoint a",
            "rollback to a",
            "",
            " ",
            "select 1; items",
            "begin; fail 23505; commit",
            "copy t from stdin",
            "copy t to stdout",
            "set x = 1",
            "show x",
            "listen c",
            "notify c, 'x'",
            "discard all",
            "deallocate all",
            "prepare q as select 1",
            "execute q",
            "declare c cursor for items",
            "fetch 1 from c",
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters=";$'\""), max_size=12).map(
        lambda text: "x" + text
    ),
)


@SETTINGS
@given(stream=pieces(BACKEND_SQL), data=st.data())
def test_any_stream_raw_backend(stream: list[Piece], data: st.DataObject) -> None:
    with no_logged_failures():
        run_stream(stream, data, FuzzBackend, "items")


def run_stream(
    stream: list[Piece],
    data: st.DataObject,
    backend_factory: Callable[[], Any],
    sql: str,
    protocols: tuple[type[PostgresServerProtocol], ...] = (
        PostgresServerProtocol,
        GeneralProtocol,
    ),
    compare: bool = True,
) -> None:
    """``stream`` one piece per read, then cut at random points on each of ``protocols``;
    ``compare``: every run must write the same bytes (for a backend that answers the same each
    time).  A second connection of each run's factory must work while the fuzzed one is open."""
    whole = b"".join(piece.data for piece in stream)
    reads = data.draw(cuts(whole))

    one = started(factory(backend_factory, PostgresServerProtocol))
    one_start = len(one.transport.value())
    by_piece = fed_one_by_one(one, stream)
    check_closed(one, by_piece, whole)
    written = {one.transport.value()[one_start:]}
    one.disconnect()

    for protocol in protocols:
        made = factory(backend_factory, protocol)
        client = started(made)
        start = len(client.transport.value())
        answers = feed(client, reads)
        check_answers(answers)
        check_closed(client, answers, whole)
        # Only a COPY FROM STDIN may still wait: for the client's data.
        fed = client.protocol
        assert client.closed or not fed._busy or fed._copy_stream, "a command hangs"
        written.add(client.transport.value()[start:])
        check_second_connection(made, sql)
        client.disconnect()
    assert len(written) == 1 or not compare
