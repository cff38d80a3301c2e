"""parse_utility: the statements the server answers itself, parsed as PostgreSQL parses them.

Where a value's spelling matters (SET values as SHOW displays them afterwards), the expected
text is what PostgreSQL 15 showed after running the same SET.
"""

from __future__ import annotations

import pytest

from txpostgres_proto.sql import (
    CloseStatement,
    CopyStatement,
    DeallocateStatement,
    DeclareCursorStatement,
    DiscardStatement,
    ExecuteStatement,
    Expression,
    FetchStatement,
    ListenStatement,
    NotifyStatement,
    Parameter,
    PrepareStatement,
    ResetStatement,
    SetConstraintsStatement,
    SetStatement,
    SetTransactionStatement,
    ShowStatement,
    SqlSyntaxError,
    TableRef,
    TransactionStatement,
    UnlistenStatement,
    UtilityStatement,
    parse_utility,
)

PARSED: list[tuple[str, UtilityStatement]] = [
    ("SET extra_float_digits = 3", SetStatement("extra_float_digits", ("3",))),
    ("set extra_float_digits to -1", SetStatement("extra_float_digits", ("-1",))),
    (
        "SET application_name = 'PostgreSQL JDBC Driver'",
        SetStatement("application_name", ("PostgreSQL JDBC Driver",)),
    ),
    ("set application_name = Foo", SetStatement("application_name", ("foo",))),
    ("set application_name = 1.50", SetStatement("application_name", ("1.50",))),
    ("SET DateStyle = ISO, MDY", SetStatement("datestyle", ("iso", "mdy"))),
    ("set session enable_seqscan to true", SetStatement("enable_seqscan", ("true",))),
    ("set local enable_seqscan = off", SetStatement("enable_seqscan", ("off",), local=True)),
    ("set enable_seqscan = default", SetStatement("enable_seqscan", (), is_default=True)),
    ('set "Search_Path" to a', SetStatement("Search_Path", ("a",))),
    ("set myapp.Setting = 'x';", SetStatement("myapp.setting", ("x",))),
    ("set x from current", SetStatement("x", (), from_current=True)),
    ("set time zone 'Europe/Paris'", SetStatement("timezone", ("Europe/Paris",))),
    ("set time zone -3", SetStatement("timezone", ("-3",))),
    ("set time zone interval '+02:00' hour to minute", SetStatement("timezone", ("+02:00",))),
    ("set time zone local", SetStatement("timezone", (), is_default=True)),
    ("set local time zone default", SetStatement("timezone", (), local=True, is_default=True)),
    ("set names 'utf8'", SetStatement("client_encoding", ("utf8",))),
    ("set names", SetStatement("client_encoding", (), is_default=True)),
    ("set schema 'public'", SetStatement("search_path", ("public",))),
    ("set role none", SetStatement("role", ("none",))),
    ("set role 'Admin'", SetStatement("role", ("Admin",))),
    ("set role to x", SetStatement("role", ("x",))),
    (
        "set session authorization default",
        SetStatement("session_authorization", (), is_default=True),
    ),
    ("set session authorization 'u'", SetStatement("session_authorization", ("u",))),
    ("set xml option document", SetStatement("xmloption", ("document",))),
    ("set transaction snapshot '0001'", SetStatement("transaction_snapshot", ("0001",))),
    ("set transaction read only", SetTransactionStatement(read_only=True)),
    (
        "set transaction isolation level read committed, read write not deferrable",
        SetTransactionStatement("read committed", False, False),
    ),
    (
        "set session characteristics as transaction isolation level serializable",
        SetTransactionStatement("serializable", session=True),
    ),
    ("set constraints all deferred", SetConstraintsStatement(None, True)),
    ("set constraints a, s.b immediate", SetConstraintsStatement(("a", "s.b"), False)),
    ("show transaction isolation level", ShowStatement("transaction_isolation")),
    ("SHOW TIME ZONE", ShowStatement("timezone")),
    ("show session authorization", ShowStatement("session_authorization")),
    ("show all", ShowStatement("all")),
    ("SHOW Standard_Conforming_Strings", ShowStatement("standard_conforming_strings")),
    ("reset all", ResetStatement("all")),
    ("reset time zone", ResetStatement("timezone")),
    ("reset myapp.x", ResetStatement("myapp.x")),
    ("begin", TransactionStatement("BEGIN")),
    ("BEGIN;", TransactionStatement("BEGIN")),
    (
        "begin work isolation level repeatable read read only, not deferrable",
        TransactionStatement("BEGIN", "repeatable read", True, False),
    ),
    (
        "start transaction isolation level read uncommitted, deferrable",
        TransactionStatement("BEGIN", "read uncommitted", deferrable=True, start_transaction=True),
    ),
    ("commit", TransactionStatement("COMMIT")),
    ("commit work and chain", TransactionStatement("COMMIT", chain=True)),
    ("end transaction and no chain", TransactionStatement("COMMIT")),
    ("rollback", TransactionStatement("ROLLBACK")),
    ("abort and chain", TransactionStatement("ROLLBACK", chain=True)),
    ("rollback to savepoint s", TransactionStatement("ROLLBACK TO", savepoint="s")),
    ('rollback transaction to "S"', TransactionStatement("ROLLBACK TO", savepoint="S")),
    ("savepoint sp1", TransactionStatement("SAVEPOINT", savepoint="sp1")),
    ("release savepoint sp1", TransactionStatement("RELEASE", savepoint="sp1")),
    ("release sp1", TransactionStatement("RELEASE", savepoint="sp1")),
    ("prepare transaction 'g1'", TransactionStatement("PREPARE TRANSACTION", gid="g1")),
    ("commit prepared 'g1'", TransactionStatement("COMMIT PREPARED", gid="g1")),
    ("rollback prepared 'g1'", TransactionStatement("ROLLBACK PREPARED", gid="g1")),
    ("discard all", DiscardStatement("ALL")),
    ("DISCARD TEMPORARY", DiscardStatement("TEMP")),
    ("listen Foo", ListenStatement("foo")),
    ("unlisten *", UnlistenStatement(None)),
    ('unlisten "Foo"', UnlistenStatement("Foo")),
    ("notify ch", NotifyStatement("ch")),
    ("notify ch, 'it''s'", NotifyStatement("ch", "it's")),
    ("deallocate all", DeallocateStatement(None)),
    ('DEALLOCATE "_PLAN0x55b0b223e760"', DeallocateStatement("_PLAN0x55b0b223e760")),
    ("deallocate prepare p1", DeallocateStatement("p1")),
    (
        "prepare p1 (int, text, double precision, varchar(10)[]) as select $1, $2",
        PrepareStatement("p1", ("int4", "text", "float8", "_varchar"), "select $1, $2"),
    ),
    (
        "prepare p2 as\n  insert into t values ($1)",
        PrepareStatement("p2", (), "insert into t values ($1)"),
    ),
    (
        "execute p1(1, 'x', $1, now(), -2.5)",
        ExecuteStatement("p1", (1, "x", Parameter(1), Expression("now()"), -2.5)),
    ),
    ("execute p2", ExecuteStatement("p2")),
    (
        'DECLARE "sc" CURSOR FOR select id from items',
        DeclareCursorStatement("sc", "select id from items"),
    ),
    (
        "declare c binary insensitive no scroll cursor with hold for select 1",
        DeclareCursorStatement("c", "select 1", True, False, True, True),
    ),
    (
        "declare c scroll cursor without hold for values (1)",
        DeclareCursorStatement("c", "values (1)", scroll=True),
    ),
    ('FETCH FORWARD 10 FROM "sc"', FetchStatement("FETCH", "FORWARD", 10, "sc")),
    ("fetch c", FetchStatement("FETCH", "FORWARD", 1, "c")),
    ("fetch from c", FetchStatement("FETCH", "FORWARD", 1, "c")),
    ("fetch next in c", FetchStatement("FETCH", "FORWARD", 1, "c")),
    ("fetch prior c", FetchStatement("FETCH", "BACKWARD", 1, "c")),
    ("fetch first c", FetchStatement("FETCH", "ABSOLUTE", 1, "c")),
    ("fetch last c", FetchStatement("FETCH", "ABSOLUTE", -1, "c")),
    ("fetch absolute -2 c", FetchStatement("FETCH", "ABSOLUTE", -2, "c")),
    ("fetch relative 3 from c", FetchStatement("FETCH", "RELATIVE", 3, "c")),
    ("fetch 5 c", FetchStatement("FETCH", "FORWARD", 5, "c")),
    ("fetch -5 from c", FetchStatement("FETCH", "FORWARD", -5, "c")),
    ("fetch all in c", FetchStatement("FETCH", "FORWARD", None, "c")),
    ("fetch forward c", FetchStatement("FETCH", "FORWARD", 1, "c")),
    ("move backward all c", FetchStatement("MOVE", "BACKWARD", None, "c")),
    ("move backward 2 in c", FetchStatement("MOVE", "BACKWARD", 2, "c")),
    ('CLOSE "sc"', CloseStatement("sc")),
    ("close all", CloseStatement(None)),
    (
        "COPY items (id, name) TO STDOUT",
        CopyStatement(TableRef(None, "items"), ("id", "name"), None, "TO"),
    ),
    (
        "copy pgbench_accounts from stdin with (freeze on)",
        CopyStatement(
            TableRef(None, "pgbench_accounts"), (), None, "FROM", options=(("freeze", "on"),)
        ),
    ),
    (
        "copy s.t from stdin with csv header delimiter as ';' null 'N' force not null a, b",
        CopyStatement(
            TableRef("s", "t"),
            (),
            None,
            "FROM",
            options=(
                ("format", "csv"),
                ("header", None),
                ("delimiter", ";"),
                ("null", "N"),
                ("force_not_null", ("a", "b")),
            ),
        ),
    ),
    (
        "copy (select 1) to stdout with (format binary, header, force_quote *, force_null (a))",
        CopyStatement(
            None,
            (),
            "select 1",
            "TO",
            options=(
                ("format", "binary"),
                ("header", None),
                ("force_quote", "*"),
                ("force_null", ("a",)),
            ),
        ),
    ),
    (
        "copy binary t to '/tmp/x'",
        CopyStatement(
            TableRef(None, "t"), (), None, "TO", "/tmp/x", options=(("format", "binary"),)
        ),
    ),
    (
        "copy t from program 'gunzip < x.gz' where a > 1",
        CopyStatement(TableRef(None, "t"), (), None, "FROM", "gunzip < x.gz", True, where="a > 1"),
    ),
]


@pytest.mark.parametrize(("sql", "expected"), PARSED)
def test_parse_utility(sql: str, expected: UtilityStatement) -> None:
    assert parse_utility(sql) == expected


@pytest.mark.parametrize(
    ("sql", "shown"),
    [
        # what SHOW answered after this SET on PostgreSQL 15
        (
            'set search_path = "$user", public, \'My Schema\', "Foo"',
            '"$user", public, "My Schema", "Foo"',
        ),
        ("set search_path = 'a,b'", '"a,b"'),
        ("set search_path to a", "a"),
        ("set application_name = Foo", "foo"),
        ("set extra_float_digits = -1", "-1"),
        ("set application_name = 1.50", "1.50"),
        ("set datestyle = 'ISO'", "ISO"),
    ],
)
def test_set_value_as_postgresql_flattens_it(sql: str, shown: str) -> None:
    statement = parse_utility(sql)
    assert isinstance(statement, SetStatement)
    assert statement.value == shown


def test_set_default_has_no_value() -> None:
    statement = parse_utility("set search_path to default")
    assert isinstance(statement, SetStatement)
    assert statement.value is None


def test_tags() -> None:
    assert parse_utility("start transaction").tag == "START TRANSACTION"  # type: ignore[union-attr]
    assert parse_utility("begin").tag == "BEGIN"  # type: ignore[union-attr]
    assert parse_utility("rollback to s").tag == "ROLLBACK"  # type: ignore[union-attr]
    assert parse_utility("discard all").tag == "DISCARD ALL"  # type: ignore[union-attr]
    assert parse_utility("deallocate all").tag == "DEALLOCATE ALL"  # type: ignore[union-attr]
    assert parse_utility("fetch 1 c").tag == "FETCH"  # type: ignore[union-attr]
    assert parse_utility("set x = 1").tag == "SET"  # type: ignore[union-attr]


def test_copy_format() -> None:
    copy = parse_utility("copy t from stdin (format CSV)")
    assert isinstance(copy, CopyStatement)
    assert copy.format == "csv"
    assert copy.option("format") == "csv"  # an identifier, folded
    assert copy.option("header") is None
    plain = parse_utility("copy t to stdout")
    assert isinstance(plain, CopyStatement)
    assert plain.format == "text"


@pytest.mark.parametrize(
    "sql",
    [
        "",
        "-- nothing",
        "select 1",
        "insert into t values (1)",
        "create table t (a int)",
        "with x as (select 1) select 1",
        "vacuum",
        "explain select 1",
    ],
)
def test_not_utility(sql: str) -> None:
    assert parse_utility(sql) is None


@pytest.mark.parametrize(
    ("sql", "message", "position"),
    [
        ("set", "syntax error at end of input", 4),
        ("set x", "syntax error at end of input", 6),
        ("set x = ", "syntax error at end of input", 9),
        ("set search_path = a.b", 'syntax error at or near "."', 20),
        ("begin foo", 'syntax error at or near "foo"', 7),
        ("begin isolation level foo", 'syntax error at or near "foo"', 23),
        ("discard", "syntax error at end of input", 8),
        ("discard everything", 'syntax error at or near "everything"', 9),
        ("savepoint", "syntax error at end of input", 10),
        ("listen 'x'", "syntax error at or near \"'x'\"", 8),
        ("notify ch, 1", 'syntax error at or near "1"', 12),
        ("copy t", "syntax error at end of input", 7),
        ("copy (select 1) from stdin", 'syntax error at or near "from"', 17),
        ("copy t to stdout with (format csv,)", 'syntax error at or near ")"', 35),
        ("fetch", "syntax error at end of input", 6),
        ("declare c for select 1", 'syntax error at or near "for"', 11),
        ("prepare p (int, 1) as select 1", 'syntax error at or near "1"', 17),
        ("commit and", "syntax error at end of input", 11),
        ("commit and no", "syntax error at end of input", 14),
        ("set constraints all later", 'syntax error at or near "later"', 21),
        ("show 'x'", "syntax error at or near \"'x'\"", 6),
    ],
)
def test_errors(sql: str, message: str, position: int) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        parse_utility(sql)
    assert (caught.value.message, caught.value.position) == (message, position)
