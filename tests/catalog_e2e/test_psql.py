"""psql's describe commands against our servers, as a user types them.

Every command must exit 0 with nothing on stderr and list the application's objects with
PostgreSQL's type names, nullability, defaults and indexes.  For the embedded default, whose
schema is also loaded into a real PostgreSQL 15, the table-related commands must print exactly
what PostgreSQL prints.
"""

from __future__ import annotations

import pytest

from tests.catalog_e2e.servers import DATABASE, USER, ServerProcess, psql_rows, run_psql
from tests.pgserver import RealPostgres

COMMANDS = (r"\d", r"\dt", r"\dv", r"\d TABLE", r"\d+ TABLE", r"\l", r"\dn", r"\df", r"\du", r"\dT")


def _describe(server: ServerProcess, command: str) -> str:
    command = command.replace("TABLE", server.expected.table)
    run = run_psql(server.host, server.port, command)
    assert run.returncode == 0, run.stderr
    assert run.stderr == ""
    return run.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_psql_command(server: ServerProcess, command: str) -> None:
    expected = server.expected
    output = _describe(server, command)
    rows = psql_rows(output)
    relations = {row[1]: row[2] for row in rows[1:] if len(row) == 4}
    if command == r"\d":
        assert relations[expected.table] == "table"
        assert relations[expected.view] == "view"
        assert relations[f"{expected.table}_id_seq"] == "sequence"
    elif command == r"\dt":
        assert relations[expected.table] == "table"
        assert expected.view not in relations
    elif command == r"\dv":
        assert relations == {expected.view: "view"}
    elif command in (r"\d TABLE", r"\d+ TABLE"):
        assert f'Table "public.{expected.table}"' in output
        header = rows[0]
        assert header[:5] == ["Column", "Type", "Collation", "Nullable", "Default"]
        described = {row[0]: row for row in rows[1:]}
        assert list(described) == [column.name for column in expected.columns]
        for column in expected.columns:
            row = described[column.name]
            assert row[1] == column.type, column
            assert row[3] == ("not null" if column.not_null else ""), column
            assert row[4] == column.default, column
        assert f'"{expected.table}_pkey" PRIMARY KEY, btree (id)' in output
        for index in expected.indexes:
            assert f'"{index}" btree (name)' in output
        if command == r"\d+ TABLE":
            assert header[5:] == ["Storage", "Compression", "Stats target", "Description"]
            assert "Access method: heap" in output
    elif command == r"\l":
        assert rows[0][:3] == ["Name", "Owner", "Encoding"]
        assert DATABASE in {row[0] for row in rows[1:]}
    elif command == r"\dn":
        assert ["public", "pg_database_owner"] in rows
    elif command == r"\df":
        assert "List of functions" in output
        assert rows[0] == ["Schema", "Name", "Result data type", "Argument data types", "Type"]
    elif command == r"\du":
        assert USER in {row[0] for row in rows[1:]}
        assert "Superuser" in output
    elif command == r"\dT":
        assert rows[0] == ["Schema", "Name", "Description"]
        types = {row[1] for row in rows[1:]}
        assert types == ({"mood", "posint"} if server.kind == "default" else set())


def test_psql_view_columns(server: ServerProcess) -> None:
    expected = server.expected
    output = _describe(server, rf"\d {expected.view}")
    assert f'View "public.{expected.view}"' in output
    assert [row[0] for row in psql_rows(output)[1:]] == list(expected.view_columns)


@pytest.mark.parametrize(
    "command",
    [r"\d", r"\dt", r"\dv", r"\di", r"\ds", r"\d items", r"\d+ items", r"\d feelings",
     r"\d cheap_items", r"\dn", r"\df", r"\dT", r"\dT+"],
)  # fmt: skip
def test_default_server_prints_what_postgresql_prints(
    default_server: ServerProcess, reference: RealPostgres, command: str
) -> None:
    ours = run_psql(default_server.host, default_server.port, command)
    theirs = run_psql(reference.host, reference.port, command)
    assert theirs.returncode == 0, theirs.stderr
    assert (ours.returncode, ours.stderr) == (0, "")
    assert ours.stdout == theirs.stdout
