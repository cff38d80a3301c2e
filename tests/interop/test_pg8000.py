"""pg8000 (pure Python, extended protocol, text-format parameters and results).

pg8000 sends typed parameters in text format with the OIDs it infers, reads text results, and
turns an ErrorResponse into an exception carrying all the response fields keyed by their
one-letter codes (SQLSTATE in ``C``).  Both its native API (``:name`` parameters) and its DB-API
(``%s`` parameters, implicit transactions) are used.
"""

from __future__ import annotations

from collections.abc import Iterator

import pg8000.dbapi
import pg8000.exceptions
import pg8000.native
import pytest

from tests.interop.targets import CONNECT_TIMEOUT, TargetServer
from tests.interop.typecases import TYPE_CASES, assert_same_values, select_list

pytestmark = pytest.mark.timeout(60)


def _options(target: TargetServer) -> dict[str, object]:
    return {
        "host": target.host,
        "port": target.port,
        "database": target.database,
        "user": target.user,
        "password": target.password,
        "timeout": CONNECT_TIMEOUT,
    }


@pytest.fixture
def native(target_server: TargetServer) -> Iterator[pg8000.native.Connection]:
    conn = pg8000.native.Connection(**_options(target_server))
    yield conn
    conn.close()


def test_native_parameters_and_columns(native: pg8000.native.Connection) -> None:
    rows = native.run(
        "SELECT :a::int4 + 1 AS answer, :b::text AS word, :c AS nothing", a=41, b="hi", c=None
    )
    assert rows == [[42, "hi", None]]
    assert native.columns is not None
    assert [column["name"] for column in native.columns] == ["answer", "word", "nothing"]
    assert [column["type_oid"] for column in native.columns[:2]] == [23, 25]


def test_native_type_round_trip(native: pg8000.native.Connection) -> None:
    parameters = {f"p{number}": case.value for number, case in enumerate(TYPE_CASES, start=1)}
    rows = native.run(select_list(":p{n}"), **parameters)
    assert len(rows) == 1
    assert_same_values(tuple(rows[0]))


def test_native_errors(native: pg8000.native.Connection) -> None:
    with pytest.raises(pg8000.exceptions.DatabaseError) as division:
        native.run("SELECT 1 / :zero::int4", zero=0)
    fields = division.value.args[0]
    assert fields["C"] == "22012"
    assert fields["M"] == "division by zero"
    assert fields["S"] == "ERROR"
    with pytest.raises(pg8000.exceptions.DatabaseError) as syntax:
        native.run("SELEC 1")
    assert syntax.value.args[0]["C"] == "42601"
    assert native.run("SELECT 'usable'") == [["usable"]]


def test_dbapi_parameters_and_transactions(target_server: TargetServer, table_name: str) -> None:
    conn = pg8000.dbapi.connect(**_options(target_server))
    try:
        cur = conn.cursor()
        cur.execute(f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text)")
        cur.executemany(
            f"INSERT INTO {table_name} VALUES (%s, %s)", [(n, f"label {n}") for n in range(1, 6)]
        )
        conn.commit()
        cur.execute(f"DELETE FROM {table_name} WHERE id > %s", (2,))
        assert cur.rowcount == 3
        conn.rollback()
        cur.execute(f"SELECT id, label FROM {table_name} WHERE id >= %s ORDER BY id", (4,))
        assert cur.fetchall() == ([4, "label 4"], [5, "label 5"])
        assert [column[0] for column in cur.description] == ["id", "label"]
        with pytest.raises(pg8000.dbapi.DatabaseError) as undefined:
            cur.execute("SELECT * FROM interop_no_such_table")
        assert undefined.value.args[0]["C"] == "42P01"
        conn.rollback()
        cur.execute("SELECT count(*) FROM " + table_name)
        assert cur.fetchone() == [5]
        conn.commit()
    finally:
        conn.close()


@pytest.mark.needs_tls
def test_tls(target_server: TargetServer) -> None:
    conn = pg8000.native.Connection(
        **_options(target_server), ssl_context=target_server.ssl_context()
    )
    try:
        assert conn.run("SELECT current_user") == [[target_server.user]]
    finally:
        conn.close()
