"""Session settings through the protocol: SET/SHOW/RESET/DISCARD and ParameterStatus reports.

Expected values and messages were taken from a real PostgreSQL 15 server.
"""

from __future__ import annotations

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.settings import Settings
from txpostgres_proto.types import oids

from .test_protocol import connected, errors, kinds


def show(client: object, name: str) -> str:
    answers = client.query(f"SHOW {name}")  # type: ignore[attr-defined]
    rows = [a.values for a in answers if isinstance(a, m.DataRow)]
    assert len(rows) == 1, answers
    value = rows[0][0]
    assert value is not None
    return value.decode()


def reports(answers: list[m.BackendMessage]) -> dict[str, str]:
    return {a.name: a.value for a in answers if isinstance(a, m.ParameterStatus)}


def test_show_has_one_text_column_named_after_the_setting() -> None:
    client = connected()
    answers = client.query("show datestyle")
    assert answers == [
        m.RowDescription((m.FieldDescription("DateStyle", oids.TEXT),)),
        m.DataRow((b"ISO, MDY",)),
        m.CommandComplete("SHOW"),
        m.ReadyForQuery(),
    ]
    answers = client.query("show time zone; show transaction isolation level")
    names = [a.fields[0].name for a in answers if isinstance(a, m.RowDescription)]
    assert names == ["TimeZone", "transaction_isolation"]


def test_show_all() -> None:
    client = connected()
    answers = client.query("SHOW ALL")
    description = answers[0]
    assert isinstance(description, m.RowDescription)
    assert [f.name for f in description.fields] == ["name", "setting", "description"]
    rows = {a.values[0]: a.values[1] for a in answers if isinstance(a, m.DataRow)}
    assert rows[b"application_name"] == b""
    assert rows[b"work_mem"] == b"4MB"
    assert rows[b"search_path"] == b'"$user", public'
    assert b"is_superuser" not in rows  # hidden like in PostgreSQL


def test_set_reports_changed_guc_report_settings_before_ready_for_query() -> None:
    client = connected()
    answers = client.query("SET datestyle = 'iso, dmy'; set extra_float_digits = 3")
    assert kinds(answers) == ["C:SET", "C:SET", "ParameterStatus", "Z:I"]
    assert reports(answers) == {"DateStyle": "ISO, DMY"}
    assert show(client, "extra_float_digits") == "3"
    # Unchanged by the end of the query: nothing to report.
    answers = client.query("begin; set local application_name = x; commit")
    assert reports(answers) == {}
    answers = client.query("begin; set application_name = y; rollback")
    assert reports(answers) == {}
    answers = client.query("set application_name = 'my app'; set application_name = 'my app'")
    assert reports(answers) == {"application_name": "my app"}
    assert client.session.application_name == "my app"


def test_error_undoes_the_sets_of_the_implicit_transaction() -> None:
    client = connected()
    answers = client.query("set standard_conforming_strings = false; set time zone 'bogus'")
    assert kinds(answers) == ["C:SET", "E:22023", "Z:I"]
    assert errors(answers)[0].message == 'invalid value for parameter "TimeZone": "bogus"'
    assert show(client, "standard_conforming_strings") == "on"


def test_rollback_and_savepoints_undo_sets() -> None:
    client = connected()
    client.query("begin; set search_path = a; savepoint s; set search_path = b")
    assert show(client, "search_path") == "b"
    client.query("rollback to s")
    assert show(client, "search_path") == "a"
    client.query("rollback")
    assert show(client, "search_path") == '"$user", public'
    client.query("begin; set search_path = c; set local work_mem = '64MB'; commit")
    assert show(client, "search_path") == "c"
    assert show(client, "work_mem") == "4MB"


def test_set_local_outside_a_block_warns() -> None:
    client = connected()
    answers = client.query("set local datestyle = german")
    assert kinds(answers) == ["N:25P01", "C:SET", "Z:I"]
    assert answers[0].message == "SET LOCAL can only be used in transaction blocks"  # type: ignore[attr-defined]
    assert show(client, "datestyle") == "ISO, MDY"


def test_reset_and_reset_all_and_discard_all() -> None:
    client = connected()
    client.query("set datestyle = german; set work_mem = 65536; set foo.bar = 1")
    assert show(client, "work_mem") == "64MB"
    answers = client.query("reset datestyle")
    assert reports(answers) == {"DateStyle": "ISO, MDY"}
    client.query("reset all")
    assert show(client, "work_mem") == "4MB"
    client.query("set datestyle = german")
    answers = client.query("discard all")
    assert kinds(answers) == ["C:DISCARD ALL", "ParameterStatus", "Z:I"]
    answers = client.query("begin; discard all")
    assert kinds(answers) == ["C:BEGIN", "E:25001", "Z:E"]


def test_unknown_and_custom_settings() -> None:
    client = connected()
    answers = client.query("set foo = 1")
    assert errors(answers)[0].fields["C"] == "42704"
    assert errors(answers)[0].message == 'unrecognized configuration parameter "foo"'
    assert kinds(client.query("show foo.bar")) == ["E:42704", "Z:I"]
    client.query("set foo.bar = 'x y'")
    assert show(client, "foo.bar") == "x y"
    assert show(client, "FOO.BAR") == "x y"
    answers = client.query("set server_version = 1")
    assert errors(answers)[0].message == 'parameter "server_version" cannot be changed'


def test_transaction_characteristics() -> None:
    client = connected()
    answers = client.query("set transaction isolation level serializable")
    assert kinds(answers) == ["N:25P01", "C:SET", "Z:I"]
    client.query("begin isolation level repeatable read, read only")
    assert show(client, "transaction_isolation") == "repeatable read"
    assert show(client, "transaction_read_only") == "on"
    client.query("commit")
    assert show(client, "transaction_isolation") == "read committed"
    client.query("set session characteristics as transaction isolation level serializable")
    assert show(client, "transaction_isolation") == "serializable"
    client.query("begin; set transaction read only")
    assert show(client, "transaction_read_only") == "on"
    client.query("commit and chain")
    assert show(client, "transaction_read_only") == "on"
    assert client.query("rollback")[-1] == m.ReadyForQuery()


def test_session_api_for_the_catalog() -> None:
    client = connected()
    session = client.session
    assert session.backend_pid == session.process_id
    assert session.get_setting("TIMEZONE") == "UTC"
    assert session.get_setting("nope") is None
    assert session.set_config("application_name", "cat", False) == "cat"
    assert session.current_setting("application_name") == "cat"
    with pytest.raises(PostgresError) as caught:
        session.current_setting("nope")
    assert caught.value.sqlstate == "42704"
    assert session.current_setting("nope", missing_ok=True) is None
    assert dict(session.all_settings())["application_name"] == "cat"
    answers = client.query("select 1")
    assert reports(answers) == {"application_name": "cat"}


def test_notices_from_the_backend_come_before_command_complete() -> None:
    client = connected()
    client.session.notice("hello", detail="there")
    answers = client.query("select 1")
    assert kinds(answers) == ["RowDescription", "DataRow", "N:00000", "C:SELECT 1", "Z:I"]
    assert answers[2].fields["D"] == "there"  # type: ignore[attr-defined]


# -- the settings store -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        ("datestyle", "german", "German, DMY"),
        ("DateStyle", "sql, dmy", "SQL, DMY"),
        ("DateStyle", "ymd", "ISO, YMD"),
        ("statement_timeout", "1min", "1min"),
        ("statement_timeout", "90000", "90s"),
        ("statement_timeout", "1.5s", "1500ms"),
        ("work_mem", "65536", "64MB"),
        ("work_mem", "1GB", "1GB"),
        ("enable_seqscan", "yes", "on"),
        ("enable_seqscan", "0", "off"),
        ("bytea_output", "HEX", "hex"),
        ("timezone", "europe/paris", "Europe/Paris"),
        ("timezone", "5", "<+05>-05"),
        ("timezone", "-3.5", "<-03:30>+03:30"),
        ("client_encoding", "latin1", "UTF8"),
        ("application_name", "tab\there", "tab?here"),
        ("cursor_tuple_fraction", "0.5", "0.5"),
    ],
)
def test_values_are_canonical(name: str, value: str, shown: str) -> None:
    settings = Settings()
    settings.set(name, value)
    assert settings.get(name) == shown


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (
            "extra_float_digits",
            "4",
            '4 is outside the valid range for parameter "extra_float_digits" (-15 .. 3)',
        ),
        (
            "statement_timeout",
            "-1",
            '-1 ms is outside the valid range for parameter "statement_timeout" (0 .. 2147483647)',
        ),
        ("enable_seqscan", "maybe", 'parameter "enable_seqscan" requires a Boolean value'),
        ("bytea_output", "foo", 'invalid value for parameter "bytea_output": "foo"'),
        ("datestyle", "iso, sql", 'invalid value for parameter "DateStyle": "iso, sql"'),
        ("work_mem", "10 parsecs", 'invalid value for parameter "work_mem": "10 parsecs"'),
    ],
)
def test_invalid_values(name: str, value: str, message: str) -> None:
    with pytest.raises(PostgresError) as caught:
        Settings().set(name, value)
    assert caught.value.sqlstate == "22023"
    assert caught.value.message == message


def test_settings_transactions_copy_values_only_when_changed() -> None:
    settings = Settings()
    assert settings.get("search_path") == '"$user", public'
    settings.begin()
    settings.commit()  # a transaction that changed nothing
    settings.begin()
    settings.set("search_path", "app")
    settings.set("my.flag", "on")
    assert settings.get("search_path") == "app"  # a remembered answer does not go stale
    level = settings.savepoint()
    settings.set("search_path", "other", local=True)
    assert settings.get("search_path") == "other"
    settings.rollback_to(level)
    assert settings.get("search_path") == "app"
    settings.rollback()
    assert settings.get("search_path") == '"$user", public'
    assert settings.find("my.flag") is None
    settings.savepoint()  # outside a transaction: nothing to return to but the savepoint
    settings.set("search_path", "kept")
    settings.begin()
    settings.commit()
    assert settings.get("search_path") == "kept"
