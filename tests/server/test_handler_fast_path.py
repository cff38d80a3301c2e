"""A handler answers catalog queries the short way with the same bytes as the general way.

`PostgresRequestHandler.execute` runs a catalog query of a connection whose tables are loaded
without the coroutines of the general path (``_execute`` -> ``_route`` -> ``_catalog_result``).
A subclass that overrides ``execute_query`` (here: only to call the default) always takes the
general path, so the two servers below must send the same bytes for every conversation:
pgbench's Parse/Bind/Describe/Execute/Sync cycle, simple queries, errors in the middle of a
batch, row limits (PortalSuspended), transaction blocks and a failed transaction.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.server.test_protocol import Client
from txpostgres_proto.catalog.schema import Column
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.handler import PostgresRequestHandler, Table
from txpostgres_proto.types import oids

Step = list[m.FrontendMessage]


class Fast(PostgresRequestHandler):
    """The default ``execute_query``: catalog queries take the short path."""

    def list_tables(self) -> Any:
        return [Table("items", (Column("id", oids.INT4), Column("name", oids.TEXT)))]

    def query_tables(self, stmt_info: Any) -> Any:
        return [(1, "one"), (2, "two")], ["id", "name"]


class General(Fast):
    """The same answers, always through the general path."""

    def execute_query(self, sql: str, params: Any) -> Any:
        return super().execute_query(sql, params)


def _extended(sql: str, *params: bytes | None, max_rows: int = 0) -> Step:
    return [
        m.Parse("", sql, ()),
        m.Bind("", "", (), params, ()),
        m.Describe("P", ""),
        m.Execute("", max_rows),
        m.Sync(),
    ]


CONVERSATIONS: dict[str, list[Step]] = {
    "pgbench cycle": [_extended("SELECT $1", str(n).encode()) for n in (7, 8, 9)],
    "constant and version": [_extended("select 1"), _extended("select version()")],
    "catalog then application": [
        _extended("select relname from pg_class where relname = $1", b"items"),
        _extended("select id, name from items"),
    ],
    "error mid-batch, then the rest skipped until Sync": [
        _extended("select $1::int", b"abc") + _extended("select 2"),
        _extended("select $1", b"after"),
    ],
    "row limit": [
        [
            m.Parse("", "select * from generate_series(1, 5)", ()),
            m.Bind("", "", (), (), ()),
            m.Execute("", 2),
            m.Execute("", 0),
            m.Sync(),
        ]
    ],
    "simple queries and a failed block": [
        [m.Query("select 1; select 'a' || 'b'")],
        [m.Query("begin")],
        _extended("select $1", b"in block"),
        [m.Query("select 'abc'::int")],
        _extended("select 3"),
        [m.Query("rollback")],
        _extended("select 4"),
    ],
}


def _conversation(handler: type[PostgresRequestHandler], steps: list[Step]) -> list[bytes]:
    client = Client(backend_factory=handler)
    client.startup()
    client.raw()
    answers = []
    for step in steps:
        client.send(*step)
        answers.append(client.raw())
    return answers


@pytest.mark.parametrize("name", sorted(CONVERSATIONS))
def test_catalog_queries_answer_the_same_bytes_either_way(name: str) -> None:
    steps = CONVERSATIONS[name]
    fast = _conversation(Fast, steps)
    assert all(
        answer.endswith((b"Z\x00\x00\x00\x05I", b"Z\x00\x00\x00\x05T", b"Z\x00\x00\x00\x05E"))
        for answer in fast
    )
    assert fast == _conversation(General, steps)


def test_the_error_conversations_do_fail() -> None:
    for name in (
        "error mid-batch, then the rest skipped until Sync",
        "simple queries and a failed block",
    ):
        answers = _conversation(Fast, CONVERSATIONS[name])
        assert any(b"SERROR" in answer for answer in answers), name


def test_pgbench_cycle_echoes_the_parameter() -> None:
    client = Client(backend_factory=Fast)
    client.startup()
    client.received()
    client.send(*_extended("SELECT $1", b"42"))
    answers = client.received()
    assert [a for a in answers if isinstance(a, m.DataRow)] == [m.DataRow((b"42",))]
    assert m.CommandComplete("SELECT 1") in answers
