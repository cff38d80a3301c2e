"""The fuzzed frontend streams of ``test_fuzz_protocol.py`` against the SQLite default backend.

The same properties hold in front of a real database (inline, ``threaded=False``): no raised
or logged exception, well-formed answers, a FATAL before any close, one ReadyForQuery per
Sync or Query, and a second connection of the same database working while the fuzzed one is
open.  The database is shared by every example (creating one costs a catalog load), so its
rows change from run to run and the runs are not compared byte for byte; only the general
protocol loop's run is checked besides the one-message-per-read run.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.protocol import PostgresServerProtocol
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .test_fuzz_protocol import (
    Piece,
    factory,
    fuzz_settings,
    no_logged_failures,
    pieces,
    run_stream,
)
from .test_fuzz_protocol import started as started_client

SQLITE_SQL = st.one_of(
    st.sampled_from(
        [
            "select 1",
            "select $1",
            "select $1::int4 + 1",
            "select $1::text, $2::int8",
            "select * from t",
            "select a, b from t where a = $1",
            "insert into t values (1, 'x')",
            "insert into t values ($1, $2)",
            "update t set b = $1 where a = 1",
            "delete from t where a = $1",
            "select 1/0",
            "select nosuch from t",
            "select * from nosuch",
            "begin",
            "commit",
            "rollback",
            "savepoint a",
            "release a",
            "rollback to a",
            "copy t from stdin",
            "copy t to stdout",
            "copy t (a) from stdin with (format csv)",
            "copy (select 1) to stdout",
            "select typname from pg_catalog.pg_type where oid = $1",
            "show server_version",
            "set application_name = 'fuzz'",
            "select version()",
            "",
            ";",
            "select 1; select 2",
            "listen c",
            "notify c, 'x'",
            "prepare q as select 1",
            "execute q",
            "deallocate q",
            "declare c cursor for select * from t",
            "fetch 1 from c",
            "close c",
            "discard all",
        ]
    ),
    st.text(max_size=16),
)


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SQLiteDatabase]:
    shared = SQLiteDatabase(str(tmp_path_factory.mktemp("fuzz") / "fuzz.sqlite3"), busy_timeout=0)
    client = started_client(
        factory(lambda: SQLiteBackend(shared, threaded=False), PostgresServerProtocol)
    )
    client.query("create table t (a int4, b text)")
    client.disconnect()
    yield shared
    shared.close()


@fuzz_settings(400)
@given(stream=pieces(SQLITE_SQL, size=8), data=st.data())
def test_any_stream_sqlite_backend(
    database: SQLiteDatabase, stream: list[Piece], data: st.DataObject
) -> None:
    with no_logged_failures():
        run_stream(
            stream,
            data,
            lambda: SQLiteBackend(database, threaded=False),
            "select count(*) from t",
            protocols=(PostgresServerProtocol,),
            compare=False,
        )


@fuzz_settings(400)
@given(stream=pieces(SQLITE_SQL, size=8), drop=st.integers(0, 8))
def test_a_dropped_connection_leaves_the_database_usable(
    database: SQLiteDatabase, stream: list[Piece], drop: int
) -> None:
    """The fuzzed client goes away after ``drop`` pieces (in a transaction, a COPY, a message
    ...): its work is rolled back and the next connection can write at once (no busy wait)."""
    made = factory(lambda: SQLiteBackend(database, threaded=False), PostgresServerProtocol)
    with no_logged_failures():
        client = started_client(made)
        for piece in stream[:drop]:
            if client.closed:
                break
            client.protocol.dataReceived(piece.data)
        client.received()
        client.disconnect()
        other = started_client(made)
        answers = other.query("begin; insert into t values (7, 'after'); rollback")
        assert [type(a) for a in answers][-1] is m.ReadyForQuery, answers
        assert not any(isinstance(a, m.ErrorResponse) for a in answers), answers
        other.disconnect()
