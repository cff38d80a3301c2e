"""psql, the reference libpq client, against the server under test.

psql speaks the simple query protocol only; what it shows depends on RowDescription, CommandComplete
tags, ErrorResponse fields (severity, SQLSTATE, message) and the transaction status byte of
ReadyForQuery.  Logins cover every authentication method the target declares, over TLS where the
method requires it.
"""

from __future__ import annotations

import dataclasses

import pytest

from tests.interop.targets import Login, TargetServer, run_psql

pytestmark = pytest.mark.timeout(120)


def test_several_statements_in_one_command(target_server: TargetServer) -> None:
    result = run_psql(target_server, "-At", "-c", "SELECT 1; SELECT 'a' || 'b'; SELECT 2 + 2")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "1\nab\n4\n"


def test_aligned_rows_with_header_and_footer(target_server: TargetServer) -> None:
    sql = "SELECT * FROM (VALUES (1, 'one'), (2, NULL)) AS v(n, name) ORDER BY n"
    result = run_psql(target_server, "-A", "-F", "|", "-P", "null=<null>", "-c", sql)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "n|name\n1|one\n2|<null>\n(2 rows)\n"


def test_ddl_and_dml_command_tags(target_server: TargetServer, table_name: str) -> None:
    result = run_psql(
        target_server,
        "-At",
        "-c", f"CREATE TABLE {table_name} (id integer PRIMARY KEY, label text)",
        "-c", f"INSERT INTO {table_name} VALUES (1, 'one'), (2, 'two'), (3, 'three')",
        "-c", f"UPDATE {table_name} SET label = upper(label) WHERE id >= 2",
        "-c", f"DELETE FROM {table_name} WHERE id = 1",
        "-c", f"SELECT id, label FROM {table_name} ORDER BY id",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "CREATE TABLE",
        "INSERT 0 3",
        "UPDATE 2",
        "DELETE 1",
        "2|TWO",
        "3|THREE",
    ]


def test_variables_and_gset(target_server: TargetServer) -> None:
    script = "\n".join(
        [
            r"\set answer 41",
            r"\set word 'it''s'",
            "SELECT :answer + 1;",
            "SELECT :'word';",
            r"SELECT 6 * 7 AS product, 'x' AS letter \gset v_",
            "SELECT :v_product * 2, :'v_letter';",
            r"\echo product=:v_product",
        ]
    )
    result = run_psql(target_server, "-At", "-v", "ON_ERROR_STOP=1", script=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "42\nit's\n84|x\nproduct=42\n"


def test_error_with_verbose_sqlstate_stops_script(target_server: TargetServer) -> None:
    script = "\\set VERBOSITY verbose\nSELECT 'before';\nSELECT 1 / 0;\nSELECT 'not reached';\n"
    result = run_psql(target_server, "-At", "-v", "ON_ERROR_STOP=1", script=script)
    assert result.returncode == 3, (result.returncode, result.stderr)
    assert result.stdout == "before\n"
    assert "ERROR:  22012: division by zero" in result.stderr


def test_error_in_command_exits_with_one(target_server: TargetServer) -> None:
    result = run_psql(target_server, "-At", "-c", "SELECT * FROM interop_no_such_table")
    assert result.returncode == 1
    assert 'ERROR:  relation "interop_no_such_table" does not exist' in result.stderr


def test_session_continues_after_errors(target_server: TargetServer) -> None:
    script = "\n".join(
        [
            r"\set VERBOSITY verbose",
            "SELECT 1 / 0;",
            "SELECT 'after error';",
            "BEGIN;",
            "SELECT 1 / 0;",
            "SELECT 'ignored';",
            "ROLLBACK;",
            "SELECT 'after rollback';",
        ]
    )
    result = run_psql(target_server, "-At", script=script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["after error", "BEGIN", "ROLLBACK", "after rollback"]
    assert result.stderr.count("ERROR:  22012: division by zero") == 2
    assert "ERROR:  25P02: current transaction is aborted" in result.stderr


@pytest.mark.needs_tls
def test_sslmode_require(target_server: TargetServer) -> None:
    result = run_psql(target_server, "-c", r"\conninfo", sslmode="require")
    assert result.returncode == 0, result.stderr
    assert "SSL connection (protocol: TLSv1." in result.stdout


@pytest.mark.needs_tls
def test_sslmode_verify_full_with_test_ca(target_server: TargetServer) -> None:
    result = run_psql(target_server, "-At", "-c", "SELECT 'verified'", sslmode="verify-full")
    assert result.returncode == 0, result.stderr
    assert result.stdout == "verified\n"


def test_login(target_server: TargetServer, auth_method: str, login: Login) -> None:
    result = run_psql(target_server, "-At", "-c", "SELECT current_user", login=login)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"{login.user}\n"


def test_login_with_wrong_credentials(
    target_server: TargetServer, auth_method: str, login: Login
) -> None:
    if auth_method == "trust":
        # trust never asks for a password, so a wrong one does not matter
        result = run_psql(
            target_server,
            "-At",
            "-c",
            "SELECT current_user",
            login=dataclasses.replace(login, password="wrong"),
        )
        assert result.returncode == 0, result.stderr
        return
    if auth_method == "cert":
        result = run_psql(
            target_server, "-c", "SELECT 1", login=dataclasses.replace(login, client_cert=False)
        )
    elif login.ssl_only:
        result = run_psql(target_server, "-c", "SELECT 1", login=login, sslmode="disable")
    else:
        bad = dataclasses.replace(login, password="wrong-password")
        result = run_psql(target_server, "-c", "SELECT 1", login=bad)
        assert f'password authentication failed for user "{login.user}"' in result.stderr
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "FATAL:  " in result.stderr
