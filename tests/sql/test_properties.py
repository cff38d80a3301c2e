"""Property tests: whatever text arrives, the SQL layer answers or raises SqlSyntaxError, and
splitting is consistent with joining."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from txpostgres_proto.sql import (
    SqlSyntaxError,
    count_parameters,
    is_empty_query,
    parse_sql,
    parse_utility,
    split_statements,
    split_statements_with_offsets,
    tokenize,
)

FAST = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of SQL that exercise every lexical rule and most of the analysers.
WORDS = (
    "select from where and or not in is null between like ilike as on join left using "
    "group by order limit offset fetch first rows only union all with recursive values "
    "insert into update set delete returning create table drop alter index view function "
    "begin atomic end case when then else commit rollback savepoint release to show reset "
    "discard listen unlisten notify prepare execute deallocate declare cursor move close "
    "copy stdin stdout csv binary interval time zone at cast array row exists distinct "
    "lateral only default transaction isolation level read write t x y e u uescape"
).split()
SYMBOLS = [
    "(",
    ")",
    "[",
    "]",
    ",",
    ";",
    ".",
    "::",
    ":",
    "*",
    "=",
    "<>",
    "!=",
    "-",
    "+",
    "/",
    "||",
    "'",
    '"',
    "$",
    "$1",
    "$2",
    "$$",
    "$a$",
    "--",
    "/*",
    "*/",
    "\n",
    "\\",
    "e'",
    "E'",
    "U&'",
    'U&"',
    "b'",
    "x'",
    "'a''b'",
    "'x;y'",
    '"Q;"',
    "$$ ; $$",
    "e'\\';'",
    "/* ; */",
    "-- ;\n",
    "1",
    "1.5",
    ".5",
    "1e3",
    "0x1",
    "9999999999999",
    "é",
    "\u00a0",
    "\x00",
]
fragments = st.sampled_from(WORDS + SYMBOLS)
sql_like = st.lists(fragments, max_size=40).map(" ".join) | st.lists(fragments, max_size=40).map(
    "".join
)
any_text = st.text(max_size=200) | sql_like


DEEP = [
    "(" * 2000 + "select 1" + ")" * 2000,
    "with a as (select 1) " + "(with a as (select 1) " * 400 + "select 1" + ")" * 400,
    "execute p(" + "cast(" * 2000 + "1" + " as int)" * 2000 + ")",
    "select " + "cast(" * 2000 + "1" + " as int)" * 2000,
    "prepare p as " * 2000 + "select 1",
    "explain " * 2000 + "select 1",
    "with a as (select 1) " * 2000 + "select 1",
    "select " + "case when true then " * 3000 + "1" + " end" * 3000,
    "select " + "not " * 5000 + "true",
    "select * from t where " + "(a = 1 and " * 300 + "b = 2" + ")" * 300,
    "copy (" * 500 + "select 1" + ")" * 500 + " to stdout",
    "select 1 " + "+-" * 20000 + " 1",
]


@pytest.mark.parametrize("sql", DEEP, ids=range(len(DEEP)))
def test_deep_nesting_and_long_chains(sql: str) -> None:
    for function in (split_statements, count_parameters, tokenize, parse_sql, parse_utility):
        _only_syntax_errors(function, sql)


def _only_syntax_errors(function, sql: str) -> None:  # type: ignore[no-untyped-def]
    try:
        function(sql)
    except SqlSyntaxError as error:
        assert isinstance(error.position, int)
        assert 1 <= error.position <= len(sql) + 1


@FAST
@given(any_text)
def test_the_splitter_never_raises(sql: str) -> None:
    statements = split_statements(sql)
    assert all(
        statement and statement == statement.strip(" \t\n\r\f\v") for statement in statements
    )
    assert is_empty_query(sql) == (statements == [])
    _only_syntax_errors(count_parameters, sql)


@FAST
@given(any_text)
def test_parsers_raise_nothing_but_syntax_errors(sql: str) -> None:
    _only_syntax_errors(tokenize, sql)
    _only_syntax_errors(parse_sql, sql)
    _only_syntax_errors(parse_utility, sql)
    for statement in split_statements(sql):
        _only_syntax_errors(parse_sql, statement)
        _only_syntax_errors(parse_utility, statement)


@FAST
@given(any_text)
def test_splitting_then_joining_preserves_the_statements(sql: str) -> None:
    statements = split_statements(sql)
    assert split_statements("\n;\n".join(statements)) == statements


@FAST
@given(any_text)
def test_offsets_locate_the_statements(sql: str) -> None:
    pairs = split_statements_with_offsets(sql)
    assert [text for _, text in pairs] == split_statements(sql)
    previous_end = 0
    for offset, text in pairs:
        assert offset >= previous_end
        assert sql[offset : offset + len(text)] == text
        previous_end = offset + len(text)


# Statements whose semicolons and "$n" all hide inside literals, identifiers and comments.
HIDING = [
    "'a;b'",
    "'it''s;'",
    '"c;d"',
    '"e""f;"',
    "$$;$2$$",
    "$q$ $$ ; $q$",
    "e'\\';$9'",
    "/* ; $3 */",
    "/* /* ; */ ; */",
    "-- ; $4\n",
    "U&'\\0041;'",
    "x$1",
]
hiding_statement = st.lists(st.sampled_from(HIDING + ["a", "1", "+", ","]), max_size=8).map(
    lambda parts: "select " + " ".join(parts)
)


@FAST
@given(st.lists(hiding_statement, min_size=1, max_size=6), st.sampled_from([";", " ; ", ";\n;"]))
def test_semicolons_inside_literals_and_comments_do_not_split(
    statements: list[str], separator: str
) -> None:
    sql = separator.join(statements)
    assert split_statements(sql) == [statement.strip() for statement in statements]
    assert count_parameters(sql) == 0


@FAST
@given(st.lists(st.integers(min_value=1, max_value=70000), max_size=10), st.sampled_from(HIDING))
def test_count_parameters_is_the_highest_number(numbers: list[int], noise: str) -> None:
    sql = "select " + ", ".join([f"${n}" for n in numbers] + [noise])
    assert count_parameters(sql) == max(numbers, default=0)
