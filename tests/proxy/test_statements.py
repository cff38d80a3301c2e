"""The rewriting of named prepared statements for transaction pooling (no network)."""

from __future__ import annotations

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.proxy.frames import FrameCutter, frame_end
from txpostgres_proto.proxy.statements import StatementMap


class _Target:
    """The statement bookkeeping of an upstream connection, as `Upstream` keeps it."""

    def __init__(self) -> None:
        self.prepared: set[bytes] = set()
        self.parses: list[tuple[bytes | None, bool]] = []

    def note_parse(self, name: bytes | None, swallow: bool) -> None:
        self.parses.append((name, swallow))


def _messages(out: list[bytes]) -> list[m.FrontendMessage]:
    data = b"".join(out)
    frames, starts = FrameCutter(range(256)).cut(data)
    assert frames == data
    return [m.decode_frontend(data[s], data[s + 5 : frame_end(data, s)]) for s in starts]


def _parse(name: str, sql: str, oids: tuple[int, ...] = ()) -> bytes:
    return m.Parse(name, sql, oids).encode()[5:]


def _bind(statement: str) -> bytes:
    return m.Bind("", statement, (), (b"1",), ()).encode()[5:]


def test_same_name_different_queries_get_different_upstream_names() -> None:
    first, second, target = StatementMap(), StatementMap(), _Target()
    out: list[bytes] = []
    first.parse(_parse("s1", "select 1"), target, out)
    second.parse(_parse("s1", "select 2"), target, out)
    one, two = _messages(out)
    assert isinstance(one, m.Parse) and isinstance(two, m.Parse)
    assert one.name != two.name and one.name.startswith("pxs_")
    assert (one.query, two.query) == ("select 1", "select 2")
    assert target.parses == [(one.name.encode(), False), (two.name.encode(), False)]


def test_bind_on_a_new_upstream_injects_a_swallowed_parse() -> None:
    statements, old, new = StatementMap(), _Target(), _Target()
    statements.parse(_parse("s", "select $1::int", (23,)), old, [])
    out: list[bytes] = []
    statements.bind(_bind("s"), new, out)
    parse, bind = _messages(out)
    assert isinstance(parse, m.Parse) and isinstance(bind, m.Bind)
    assert parse.query == "select $1::int" and tuple(parse.param_types) == (23,)
    assert bind.statement == parse.name
    assert new.parses == [(parse.name.encode(), True)]
    out.clear()
    statements.bind(_bind("s"), new, out)  # known there now: no second Parse
    assert [type(message) for message in _messages(out)] == [m.Bind]


def test_parse_of_a_statement_the_upstream_has_keeps_the_answer_in_order() -> None:
    statements, target = StatementMap(), _Target()
    statements.parse(_parse("s", "select 1"), target, [])
    out: list[bytes] = []
    StatementMap().parse(_parse("other", "select 1"), target, out)
    (parse,) = _messages(out)
    assert isinstance(parse, m.Parse) and parse.name == "" and parse.query == ""


def test_close_keeps_the_shared_statement_and_unnamed_messages_pass() -> None:
    statements, target = StatementMap(), _Target()
    statements.parse(_parse("s", "select 1"), target, [])
    out: list[bytes] = []
    statements.close(m.Close("S", "s").encode()[5:], out)
    statements.bind(_bind(""), target, out)
    close, bind = _messages(out)
    assert isinstance(close, m.Close) and close.name == ""
    assert isinstance(bind, m.Bind) and bind.statement == ""
    assert len(statements) == 0 and len(target.prepared) == 1
