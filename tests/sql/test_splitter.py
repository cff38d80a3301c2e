"""split_statements, split_statements_with_offsets, count_parameters, is_empty_query.

The splitting table was checked against PostgreSQL 15: each multi-statement string was sent as
one simple Query and the server returned one result per statement listed here.
"""

from __future__ import annotations

import time

import pytest

from txpostgres_proto.sql import (
    SqlSyntaxError,
    count_parameters,
    is_empty_query,
    split_statements,
    split_statements_with_offsets,
)

SPLITS = [
    ("select 1; select 2", ["select 1", "select 2"]),
    ("select ';'; select 2;", ["select ';'", "select 2"]),
    ("select 'it''s; fine'; select 2", ["select 'it''s; fine'", "select 2"]),
    # standard_conforming_strings: a backslash does not escape the quote
    ("select 'a\\'; select 2", ["select 'a\\'", "select 2"]),
    # E'' strings do take backslash escapes
    ("select E'\\';'; select 2", ["select E'\\';'", "select 2"]),
    ("select e'\\\\'; select 2", ["select e'\\\\'", "select 2"]),
    ("select e'\\\\\\''; select 2", ["select e'\\\\\\''", "select 2"]),
    # xe'...' is an identifier followed by a standard string
    ("select xe'\\'; select 2", ["select xe'\\'", "select 2"]),
    # a continuation line keeps the escaping of the E'' string it continues
    ("select e'a'\n'\\';x'; select 2", ["select e'a'\n'\\';x'", "select 2"]),
    ("select e'a' -- c\n '\\';x'; select 2", ["select e'a' -- c\n '\\';x'", "select 2"]),
    ("select 'a'\n'b;c'; select 2", ["select 'a'\n'b;c'", "select 2"]),
    ("select U&'\\0041;' uescape '\\'; select 2", ["select U&'\\0041;' uescape '\\'", "select 2"]),
    ("select b'1'; select x'1f'; select n'x;'", ["select b'1'", "select x'1f'", "select n'x;'"]),
    ('select 1 as "a;b"; select 3', ['select 1 as "a;b"', "select 3"]),
    ('select 1 as "x""y;"; select 2', ['select 1 as "x""y;"', "select 2"]),
    ('select U&"a;b" from t; select 2', ['select U&"a;b" from t', "select 2"]),
    (
        "select $$;$$; select $a$ $$; $a$; select 3",
        ["select $$;$$", "select $a$ $$; $a$", "select 3"],
    ),
    ("select $q$ $$ ; $q$, $_$;$_$; select 2", ["select $q$ $$ ; $q$, $_$;$_$", "select 2"]),
    # "$" inside an identifier starts nothing
    ("select a$b$; select $1", ["select a$b$", "select $1"]),
    ("select 1 -- ; comment\n; select 2", ["select 1 -- ; comment", "select 2"]),
    ("select 1 --x;", ["select 1 --x;"]),
    ("select /* /* ; */ ; */ 1; select 2", ["select /* /* ; */ ; */ 1", "select 2"]),
    ("select 1 /*/ ; */; select 2", ["select 1 /*/ ; */", "select 2"]),
    (
        "select 1 /* a */ /* b /* c */ ; */ ; select 2",
        ["select 1 /* a */ /* b /* c */ ; */", "select 2"],
    ),
    (
        "select 1 - -1; select 2/*x*/-- y\n;select 3",
        ["select 1 - -1", "select 2/*x*/-- y", "select 3"],
    ),
    ("select 1;;; select 2;", ["select 1", "select 2"]),
    ("  \n select 1  \t;\n", ["select 1"]),
    # semicolons inside parentheses do not end a statement (CREATE RULE ... DO (a; b))
    (
        "create rule r as on insert to t do also (select 1; select 2); select 3",
        ["create rule r as on insert to t do also (select 1; select 2)", "select 3"],
    ),
    # BEGIN ATOMIC bodies of SQL-standard function bodies
    (
        "create function f() returns int language sql begin atomic select 1; "
        "select case when true then 1 end; end; select 2",
        [
            "create function f() returns int language sql begin atomic select 1; "
            "select case when true then 1 end; end",
            "select 2",
        ],
    ),
    (
        "select 3; create or replace procedure p(x int) language sql\nbegin atomic\n"
        "  select (case when x > 0 then 1 else 2 end);\n  select 1;\nend; select 4",
        [
            "select 3",
            "create or replace procedure p(x int) language sql\nbegin atomic\n"
            "  select (case when x > 0 then 1 else 2 end);\n  select 1;\nend",
            "select 4",
        ],
    ),
    (
        "create function f() returns int language sql as $$ select 1; $$; select 5",
        ["create function f() returns int language sql as $$ select 1; $$", "select 5"],
    ),
    ("begin; select 1; commit", ["begin", "select 1", "commit"]),
    # unterminated literals run to the end (the parser reports them)
    ("select 1; select 'abc; select 2", ["select 1", "select 'abc; select 2"]),
    ("select 1; /* abc; select 2", ["select 1", "/* abc; select 2"]),
]


@pytest.mark.parametrize(("sql", "expected"), SPLITS)
def test_split_statements(sql: str, expected: list[str]) -> None:
    assert split_statements(sql) == expected


@pytest.mark.parametrize(
    "sql", ["", "   ", ";", ";;  ; -- only\n /* c */ ;", "-- comment", "/* a /* b */ */", "\n;\n"]
)
def test_empty_queries(sql: str) -> None:
    assert split_statements(sql) == []
    assert is_empty_query(sql)


@pytest.mark.parametrize("sql", ["select 1", ";x", "/* c */ select 1 -- d", "'abc"])
def test_not_empty(sql: str) -> None:
    assert not is_empty_query(sql)


def test_leading_comments_stay_with_their_statement() -> None:
    assert split_statements("/* hint */ select 1; -- note\nselect 2") == [
        "/* hint */ select 1",
        "-- note\nselect 2",
    ]


def test_offsets_point_at_the_statements() -> None:
    sql = "  select 1 ;\n\n  select 'x;y' ;; update t set a = 1"
    pairs = split_statements_with_offsets(sql)
    assert [text for _, text in pairs] == ["select 1", "select 'x;y'", "update t set a = 1"]
    for offset, text in pairs:
        assert sql[offset : offset + len(text)] == text


def test_backslash_escapes_when_standard_conforming_strings_is_off() -> None:
    sql = "select 'a\\'; select 2'; select 3"
    assert split_statements(sql) == ["select 'a\\'", "select 2'; select 3"]
    assert split_statements(sql, standard_conforming_strings=False) == [
        "select 'a\\'; select 2'",
        "select 3",
    ]


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("select 1", 0),
        ("select $1", 1),
        ("select * from t where a = $2 and b = $10", 10),
        ("select '$3', \"$4\", $$ $5 $$, $q$$6$q$, e'\\'$7' -- $8\n /* $9 */", 0),
        ("select a$3 from t", 0),
        ("select $1::int, $1, ($2)", 2),
        ("select $0007", 7),
        ("insert into t values ($1, $2); select $3", 3),
    ],
)
def test_count_parameters(sql: str, count: int) -> None:
    assert count_parameters(sql) == count


def test_count_parameters_rejects_numbers_beyond_int32() -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        count_parameters("select $1, $99999999999")
    assert caught.value.position == len("select $1, ") + 1
    assert count_parameters("select $2147483647") == 2147483647


def test_a_long_operator_run_is_scanned_in_linear_time() -> None:
    sql = "select 1 " + "+-" * 20000 + " 1; select 2"
    started = time.perf_counter()
    assert len(split_statements(sql)) == 2
    assert time.perf_counter() - started < 1.0


def test_splitting_is_fast_on_a_large_query() -> None:
    sql = "select 'a;b', \"c;d\", $$e;f$$, e'\\';' /* x; */ -- y;\n from t where a = $1;" * 2000
    started = time.perf_counter()
    statements = split_statements(sql)
    elapsed = time.perf_counter() - started
    assert len(statements) == 2000
    assert elapsed < 1.0  # about 10 ms on a laptop
