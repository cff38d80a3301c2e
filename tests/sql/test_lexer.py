"""The tokenizer: PostgreSQL's lexical rules, literal values, and errors with positions.

Every error message and position in ERRORS is what PostgreSQL 15 answered for the same text.
"""

from __future__ import annotations

import pytest

from txpostgres_proto.sql import SqlSyntaxError, TokenKind, tokenize
from txpostgres_proto.sql.lexer import fold_identifier


def kinds_and_values(sql: str) -> list[tuple[str, object]]:
    return [(token.kind.value, token.value) for token in tokenize(sql)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT Foo", [("ident", "select"), ("ident", "foo")]),
        ('"Foo""Bar"', [("qident", 'Foo"Bar')]),
        ("a$1 $1 $23", [("ident", "a$1"), ("param", 1), ("param", 23)]),
        ("'it''s'", [("string", "it's")]),
        ("'a\\n'", [("string", "a\\n")]),
        ("E'a\\n\\t\\'\\\\'", [("string", "a\n\t'\\")]),
        ("e'\\303\\251\\x41\\u00e9\\U0001F600'", [("string", "éAé😀")]),
        ("e'\\uD83D\\uDE00'", [("string", "😀")]),
        ("e'\\q'", [("string", "q")]),
        ("'a'\n'b'", [("string", "ab")]),
        ("'a' -- c\n  'b'", [("string", "ab")]),
        ("'a' 'b'", [("string", "a"), ("string", "b")]),
        ("e'a'\n'\\''", [("string", "a'")]),
        ("U&'d\\0061t\\+000061'", [("string", "data")]),
        ("U&'d!0061t' UESCAPE '!'", [("string", "dat")]),
        ('U&"\\0041b"', [("qident", "Ab")]),
        ("$$a'b$$ $q$x$$y$q$", [("string", "a'b"), ("string", "x$$y")]),
        ("B'0101' X'1F' N'x'", [("bitstring", "0101"), ("bitstring", "1F"), ("string", "x")]),
        ("date '2024-01-01'", [("ident", "date"), ("string", "2024-01-01")]),
        ("b&1", [("ident", "b"), ("op", "&"), ("integer", 1)]),
        ("e&'x'", [("ident", "e"), ("op", "&"), ("string", "x")]),
        ("u & 'x'", [("ident", "u"), ("op", "&"), ("string", "x")]),
        (
            "1 1.5 .5 1. 1e3 1.5E-2",
            [("integer", 1)] + [("numeric", v) for v in ("1.5", ".5", "1.", "1e3", "1.5E-2")],
        ),
        ("1..2", [("integer", 1), ("punct", ".."), ("integer", 2)]),
        ("9223372036854775807", [("integer", 9223372036854775807)]),
        ("9223372036854775808", [("numeric", "9223372036854775808")]),
        (
            "a::int[] := x",
            [
                ("ident", "a"),
                ("punct", "::"),
                ("ident", "int"),
                ("punct", "["),
                ("punct", "]"),
                ("punct", ":="),
                ("ident", "x"),
            ],
        ),
        (
            "a<>b!=c>=d",
            [
                ("ident", "a"),
                ("op", "<>"),
                ("ident", "b"),
                ("op", "!="),
                ("ident", "c"),
                ("op", ">="),
                ("ident", "d"),
            ],
        ),
        # trailing + and - are split off an operator unless it contains ~ ! @ # ^ & | ` ? %
        ("a=-1", [("ident", "a"), ("op", "="), ("op", "-"), ("integer", 1)]),
        ("a*-+1", [("ident", "a"), ("op", "*"), ("op", "-"), ("op", "+"), ("integer", 1)]),
        ("a @- b", [("ident", "a"), ("op", "@-"), ("ident", "b")]),
        # comments end operators and nest
        ("1 <-- c\n 2", [("integer", 1), ("op", "<"), ("integer", 2)]),
        ("1+/* a /* b */ */2", [("integer", 1), ("op", "+"), ("integer", 2)]),
        ("x -- all of this\n", [("ident", "x")]),
        ("", []),
    ],
)
def test_tokens(sql: str, expected: list[tuple[str, object]]) -> None:
    assert kinds_and_values(sql) == expected


def test_integers_beyond_bigint_are_numeric_whatever_their_length() -> None:
    digits = "9" * 5000  # longer than Python converts to int by default
    assert kinds_and_values(digits) == [("numeric", digits)]
    assert kinds_and_values("0" * 30 + "1") == [("integer", 1)]


def test_token_offsets_and_text() -> None:
    sql = "select  'a''b' , \"X\"/* c */from t"
    for token in tokenize(sql):
        assert sql[token.start : token.end] == token.text
    assert [token.text for token in tokenize(sql)] == ["select", "'a''b'", ",", '"X"', "from", "t"]


def test_keyword_is_only_for_unquoted_words() -> None:
    first, second, third = tokenize('SELECT "select" 1')
    assert first.keyword == "select"
    assert second.keyword == ""
    assert third.keyword == ""
    assert first.kind is TokenKind.IDENT


def test_identifiers_fold_like_postgresql() -> None:
    assert fold_identifier("ÉtÉ") == "ÉtÉ"  # only ASCII letters are folded
    assert fold_identifier("MiXeD") == "mixed"
    assert fold_identifier("MiXeD", quoted=True) == "MiXeD"
    assert fold_identifier("a" * 70) == "a" * 63
    assert fold_identifier("é" * 40) == "é" * 31  # 63 bytes, no split character


def test_standard_conforming_strings_off() -> None:
    tokens = tokenize("'a\\'b'", standard_conforming_strings=False)
    assert [(token.kind.value, token.value) for token in tokens] == [("string", "a'b")]


ERRORS = [
    ("select 'abc", 'unterminated quoted string at or near "\'abc"', 8),
    ("select /* abc", 'unterminated /* comment at or near "/* abc"', 8),
    ('select "abc', 'unterminated quoted identifier at or near ""abc"', 8),
    ("select $a$ abc", 'unterminated dollar-quoted string at or near "$a$ abc"', 8),
    ('select ""', 'zero-length delimited identifier at or near """"', 8),
    ("select 0x1F", 'trailing junk after numeric literal at or near "0x1F"', 8),
    ("select 1abc", 'trailing junk after numeric literal at or near "1abc"', 8),
    ("select 1.5e", 'trailing junk after numeric literal at or near "1.5e"', 8),
    ("select $1abc", 'trailing junk after parameter at or near "$1abc"', 8),
    ("select {1}", 'syntax error at or near "{"', 8),
    ("select 1 \\ 2", 'syntax error at or near "\\"', 10),
    ("select e'\\u12'", "invalid Unicode escape", 10),
    ("select e'\\uD800'", 'invalid Unicode surrogate pair at or near "\'"', 16),
    ("select e'ab\\uD800x'", 'invalid Unicode surrogate pair at or near "x"', 18),
    ("select e'\\uDC00'", 'invalid Unicode surrogate pair at or near "\\uDC00"', 10),
    ("select e'\\u0000'", 'invalid Unicode escape value at or near "\\u0000"', 10),
    ("select e'\\U00110000'", 'invalid Unicode escape value at or near "\\U00110000"', 10),
    ("select U&'\\00'", "invalid Unicode escape", 11),
    ("select U&'a\\D800'", "invalid Unicode surrogate pair", 17),
    ("select U&'\\0000'", "invalid Unicode escape value", 11),
    ("select U&'x' uescape 'ab'", "invalid Unicode escape character at or near \"'ab'\"", 22),
    # PostgreSQL reports these without a position; the string's start is given instead
    ("select e'\\0'", 'invalid byte sequence for encoding "UTF8": 0x00', 8),
    ("select e'\\377'", 'invalid byte sequence for encoding "UTF8": 0xff', 8),
    ("select e'\\xc3\\x28'", 'invalid byte sequence for encoding "UTF8": 0xc3 0x28', 8),
]


@pytest.mark.parametrize(("sql", "message", "position"), ERRORS)
def test_errors(sql: str, message: str, position: int) -> None:
    with pytest.raises(SqlSyntaxError) as caught:
        tokenize(sql)
    assert caught.value.message == message
    assert caught.value.position == position
    assert caught.value.sqlstate == "42601"
    assert isinstance(caught.value, ValueError)
