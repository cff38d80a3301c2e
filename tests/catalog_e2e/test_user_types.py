"""CREATE TYPE … AS ENUM, CREATE DOMAIN and DROP TYPE/DOMAIN on the embedded default.

The same statements run on our default server and on a real PostgreSQL 15 (psycopg, one
statement at a time); each must end the same way there: the same command tag, rows or SQLSTATE.
Two constraint violations are reported with another SQLSTATE of the same class (noted in
``DEVIATIONS``): SQLite enforces an enum's labels and a domain's NOT NULL with CHECK
constraints.  A file database keeps its types across a server restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.catalog_e2e.servers import DATABASE, USER, ServerProcess, psql_rows, run_psql
from tests.pgserver import RealPostgres

SCRIPT = (
    "CREATE TYPE ut_color AS ENUM ('red', 'green', 'it''s')",
    "CREATE TYPE ut_color AS ENUM ('x')",
    "CREATE TYPE items AS ENUM ('x')",
    "CREATE DOMAIN ut_code AS varchar(5) NOT NULL DEFAULT 'none' CHECK (length(VALUE) > 1)",
    "CREATE DOMAIN ut_bad AS no_such_type",
    "CREATE TABLE ut_things(id integer PRIMARY KEY, color ut_color, code ut_code)",
    "INSERT INTO ut_things(id, color) VALUES (1, 'red')",
    "INSERT INTO ut_things VALUES (2, 'it''s', 'ab')",
    "SELECT id, color, code FROM ut_things ORDER BY id",
    "SELECT count(*) FROM ut_things WHERE color = 'red'",
    "INSERT INTO ut_things VALUES (3, 'blue', 'ab')",
    "INSERT INTO ut_things VALUES (4, 'green', 'x')",
    "INSERT INTO ut_things VALUES (5, 'green', NULL)",
    "SELECT typname, typtype FROM pg_type WHERE typname LIKE 'ut\\_%' ORDER BY typname",
    "SELECT enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid"
    " WHERE t.typname = 'ut_color' ORDER BY enumsortorder",
    "DROP TYPE ut_color",
    "DROP DOMAIN ut_color",
    "DROP TABLE ut_things",
    "DROP TYPE ut_color, ut_code",
    "DROP TYPE ut_color",
    "DROP DOMAIN IF EXISTS ut_code",
)
#: statement index → (PostgreSQL's SQLSTATE, ours)
DEVIATIONS = {10: ("22P02", "23514"), 12: ("23502", "23514")}
CLEANUP = ("DROP TABLE IF EXISTS ut_things", "DROP TYPE IF EXISTS ut_color, ut_code")


def _outcome(conn: psycopg.Connection, sql: str) -> tuple[Any, ...]:
    try:
        cursor = conn.execute(sql)
    except psycopg.Error as error:
        return ("error", error.sqlstate)
    rows = cursor.fetchall() if cursor.description else None
    return (cursor.statusmessage, rows)


@pytest.fixture
def connections(
    default_server: ServerProcess, reference: RealPostgres
) -> Iterator[tuple[psycopg.Connection, psycopg.Connection]]:
    ours = psycopg.connect(default_server.dsn(), autocommit=True)
    theirs = psycopg.connect(reference.dsn(USER, dbname=DATABASE), autocommit=True)
    yield ours, theirs
    for conn in (ours, theirs):
        for statement in CLEANUP:
            conn.execute(statement)
        conn.close()


def test_type_statements_end_like_on_postgresql(
    connections: tuple[psycopg.Connection, psycopg.Connection],
) -> None:
    ours, theirs = connections
    for index, sql in enumerate(SCRIPT):
        expected = _outcome(theirs, sql)
        if index in DEVIATIONS:
            assert expected == ("error", DEVIATIONS[index][0]), sql
            expected = ("error", DEVIATIONS[index][1])
        assert (index, _outcome(ours, sql)) == (index, expected), sql


def test_a_file_database_keeps_its_types(psql: str, tmp_path: Path) -> None:
    database = tmp_path / "types.sqlite3"
    first = ServerProcess("default", tmp_path, database)
    try:
        created = run_psql(
            first.host,
            first.port,
            script="CREATE TYPE level AS ENUM ('low', 'high');\n"
            "CREATE TABLE alarms(id integer PRIMARY KEY, level level NOT NULL);\n"
            "INSERT INTO alarms VALUES (1, 'high');\n",
        )
        assert (created.returncode, created.stderr) == (0, "")
    finally:
        first.stop()
    second = ServerProcess("default", tmp_path, database)
    try:
        described = run_psql(second.host, second.port, r"\dT", r"\d alarms")
        with psycopg.connect(second.dsn(), autocommit=True) as conn:
            rows = conn.execute("SELECT id, level FROM alarms").fetchall()
            level_type = conn.execute("SELECT 'level'::regtype::oid").fetchone()
            described_type = conn.execute("SELECT level FROM alarms").description[0].type_code  # type: ignore[index]
    finally:
        second.stop()
    assert (described.returncode, described.stderr) == (0, "")
    assert ["public", "level", ""] in psql_rows(described.stdout)
    assert ["level", "level", "", "not null", ""] in psql_rows(described.stdout)
    assert rows == [(1, "high")]
    assert level_type is not None and described_type == level_type[0]
