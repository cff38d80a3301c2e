"""COPY's options, HEADER MATCH, ENCODING, FORCE_QUOTE and ``FROM STDIN WHERE`` against the real
SQLite default, through the in-memory protocol (``server/copy_options.py``, ``copy_where.py``).

Every message and SQLSTATE expected here was read off PostgreSQL 15 running the same statement.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite_backend import SQLiteBackend

from ..server.test_protocol import Client, connected, errors, kinds
from .conftest import Client as Session


@pytest.fixture
def client(database: SQLiteDatabase) -> Iterator[Client]:
    made = connected(backend_factory=lambda: SQLiteBackend(database, threaded=False))
    made.query("create table t (a int4, b text)")
    made.query("create table u (a int4, b text, c timestamp, d numeric, e boolean)")
    yield made
    made.disconnect()


@pytest.fixture
def stored(connect: Callable[[], Session]) -> Callable[[str], list[tuple[Any, ...]]]:
    session = connect()
    return lambda sql: session.rows(sql)


def copy_in(client: Client, sql: str, data: bytes) -> list[m.BackendMessage]:
    """Run COPY ... FROM STDIN with ``data``; the answers after CopyInResponse."""
    client.send(m.Query(sql))
    assert kinds(client.received()) == ["CopyInResponse"]
    client.send(m.CopyData(data), m.CopyDone())
    return client.received()


def copy_out(client: Client, sql: str) -> bytes:
    answers = client.query(sql)
    assert not errors(answers), errors(answers)
    return b"".join(a.data for a in answers if isinstance(a, m.CopyData))


def refused(client: Client, sql: str) -> tuple[str, str]:
    """The (SQLSTATE, message) of a COPY refused before any data; the session goes on."""
    answers = client.query(sql)
    assert kinds(answers)[-1] == "Z:I", kinds(answers)
    assert "CopyInResponse" not in kinds(answers) and "CopyOutResponse" not in kinds(answers)
    [error] = errors(answers)
    return error.fields["C"], error.fields["M"]


@pytest.mark.parametrize(
    ("sql", "sqlstate", "message"),
    [
        ("COPY t FROM STDIN (FORMAT text, QUOTE '\"')", "0A000",
         "COPY quote available only in CSV mode"),
        ("COPY t FROM STDIN (HEADER MATCH, FORMAT binary)", "0A000",
         "cannot specify HEADER in BINARY mode"),
        ("COPY t TO STDOUT (HEADER MATCH, FORMAT csv)", "0A000",
         'cannot use "match" with HEADER in COPY TO'),
        ("COPY t FROM STDIN (DELIMITER ',,')", "0A000",
         "COPY delimiter must be a single one-byte character"),
        ("COPY t FROM STDIN (DELIMITER E'\\n')", "22023",
         "COPY delimiter cannot be newline or carriage return"),
        ("COPY t FROM STDIN (FORMAT csv, DELIMITER ',', NULL 'a,b')", "0A000",
         "COPY delimiter must not appear in the NULL specification"),
        ("COPY t FROM STDIN (FORMAT csv, QUOTE ',')", "22023",
         "COPY delimiter and quote must be different"),
        ("COPY t FROM STDIN (FORMAT text, ESCAPE '\"')", "0A000",
         "COPY escape available only in CSV mode"),
        ("COPY t FROM STDIN (FORMAT csv, FORCE_QUOTE (a))", "0A000",
         "COPY force quote only available using COPY TO"),
        ("COPY t TO STDOUT (FORMAT csv, FORCE_NOT_NULL (a))", "0A000",
         "COPY force not null only available using COPY FROM"),
        ("COPY t FROM STDIN (FORMAT bogus)", "22023", 'COPY format "bogus" not recognized'),
        ("COPY t FROM STDIN (FORMAT csv, FORMAT csv)", "42601",
         "conflicting or redundant options"),
        ("COPY t FROM STDIN (bogus 1)", "42601", 'option "bogus" not recognized'),
        ("COPY t FROM STDIN (HEADER 'maybe')", "42601",
         'header requires a Boolean value or "match"'),
        ("COPY t FROM STDIN (HEADER tr)", "42601", 'header requires a Boolean value or "match"'),
        ("COPY t FROM STDIN (DELIMITER '\\')", "22023", 'COPY delimiter cannot be "\\"'),
        ("COPY t FROM STDIN (DELIMITER 'a')", "22023", 'COPY delimiter cannot be "a"'),
        ("COPY t FROM STDIN (NULL E'\\n')", "22023",
         "COPY null representation cannot use newline or carriage return"),
        ("COPY t FROM STDIN (FORMAT binary, NULL 'x')", "42601",
         "cannot specify NULL in BINARY mode"),
        ("COPY t FROM STDIN (FORMAT csv, NULL '\"x')", "0A000",
         "CSV quote character must not appear in the NULL specification"),
        ("COPY t FROM STDIN (FORMAT csv, FORCE_NOT_NULL *)", "22023",
         'argument to option "force_not_null" must be a list of column names'),
        ("COPY t FROM STDIN (ENCODING 'nope')", "22023",
         'argument to option "encoding" must be a valid encoding name'),
        ("COPY t TO STDOUT (FORMAT csv, FORCE_QUOTE (nope))", "42703",
         'column "nope" of relation "t" does not exist'),
        ("COPY t TO STDOUT WHERE a > 1", "42601", "WHERE clause not allowed with COPY TO"),
        ("COPY t FROM STDIN WHERE count(*) > 1", "42803",
         "aggregate functions are not allowed in COPY FROM WHERE conditions"),
        ("COPY t FROM STDIN WHERE row_number() over () > 1", "42P20",
         "window functions are not allowed in COPY FROM WHERE conditions"),
        ("COPY t FROM STDIN WHERE generate_series(1, 2) > 1", "0A000",
         "set-returning functions are not allowed in COPY FROM WHERE conditions"),
        ("COPY t FROM STDIN WHERE (SELECT 1) = 1", "0A000",
         "cannot use subquery in COPY FROM WHERE condition"),
        ("COPY t FROM STDIN WHERE nope > 1", "42703", 'column "nope" does not exist'),
    ],
)  # fmt: skip
def test_options_postgresql_refuses_are_refused_alike(
    client: Client, sql: str, sqlstate: str, message: str
) -> None:
    assert refused(client, sql) == (sqlstate, message)


def test_options_postgresql_accepts_are_accepted(client: Client) -> None:
    for sql in (
        "COPY t TO STDOUT (HEADER off, FREEZE false)",
        "COPY t TO STDOUT (FORMAT csv, HEADER 1, DELIMITER 'A', ENCODING 'utf-8')",
        "COPY t TO STDOUT WITH CSV HEADER FORCE QUOTE *",
    ):
        assert not errors(client.query(sql)), sql


def test_header_match_accepts_the_column_names_in_order(client: Client, stored: Any) -> None:
    answers = copy_in(client, "COPY t (b, a) FROM STDIN (FORMAT csv, HEADER MATCH)", b"b,a\nz,3\n")
    assert kinds(answers) == ["C:COPY 1", "Z:I"]
    answers = copy_in(client, "COPY t FROM STDIN (HEADER MATCH)", b"a\tb\n4\ty\n")
    assert kinds(answers) == ["C:COPY 1", "Z:I"]
    assert stored("select a, b from t order by a") == [(3, "z"), (4, "y")]


@pytest.mark.parametrize(
    ("data", "message", "where"),
    [
        (b"a,c\n1,x\n", 'column name mismatch in header line field 2: got "c", expected "b"',
         'COPY t, line 1: "a,c"'),
        (b"a\n1,x\n", "wrong number of fields in header line: got 1, expected 2",
         'COPY t, line 1: "a"'),
        (b"a,b,c\n1,x\n", "wrong number of fields in header line: got 3, expected 2",
         'COPY t, line 1: "a,b,c"'),
        (b",b\n1,x\n",
         'column name mismatch in header line field 1: got null value (""), expected "a"',
         'COPY t, line 1: ",b"'),
    ],
)  # fmt: skip
def test_header_match_refuses_other_names_and_stores_nothing(
    client: Client, stored: Any, data: bytes, message: str, where: str
) -> None:
    answers = copy_in(client, "COPY t FROM STDIN (FORMAT csv, HEADER MATCH)", data)
    [error] = errors(answers)
    assert (error.fields["C"], error.fields["M"], error.fields["W"]) == ("22P04", message, where)
    assert stored("select count(*) from t") == [(0,)]


def test_where_stores_only_the_rows_that_satisfy_it(client: Client, stored: Any) -> None:
    data = (
        b"a,b,c,d,e\n"
        b"1,x,2021-03-04 05:06:07,1.5,t\n"
        b'2,"y,z",2019-01-01 00:00:00,2.5,t\n'
        b"3,,2022-01-01 00:00:00,,f\n"
        b"4,q,2023-01-01 00:00:00,4.25,true\n"
    )
    sql = "COPY u FROM STDIN (FORMAT csv, HEADER MATCH) WHERE c > '2020-01-01' AND e"
    assert kinds(copy_in(client, sql, data)) == ["C:COPY 2", "Z:I"]
    sql = "COPY t FROM STDIN WHERE a % 2 = 0 AND b IS NOT NULL"
    assert kinds(copy_in(client, sql, b"11\todd\n12\teven\n14\t\\N\n")) == ["C:COPY 1", "Z:I"]
    sql = "COPY t FROM STDIN WHERE lower(b) LIKE 'k%' OR t.a IN (20, 21)"
    assert kinds(copy_in(client, sql, b"20\tX\n22\tKeep\n23\tdrop\n")) == ["C:COPY 2", "Z:I"]
    assert stored("select a, b from u order by a") == [(1, "x"), (4, "q")]
    assert stored("select a, b from t order by a") == [(12, "even"), (20, "X"), (22, "Keep")]


def test_where_with_binary_data(client: Client, stored: Any) -> None:
    client.query("insert into t values (1, 'one'), (2, 'two'), (3, 'three')")
    binary = copy_out(client, "COPY t TO STDOUT (FORMAT binary)")
    client.query("delete from t")
    answers = copy_in(client, "COPY t FROM STDIN (FORMAT binary) WHERE a <> 2", binary)
    assert kinds(answers) == ["C:COPY 2", "Z:I"]
    assert stored("select a, b from t order by a") == [(1, "one"), (3, "three")]


def test_force_quote_quotes_every_non_null_value_of_its_columns(client: Client) -> None:
    client.query("insert into t values (1, 'x'), (2, null)")
    out = copy_out(client, "COPY t TO STDOUT (FORMAT csv, FORCE_QUOTE (b))")
    assert out == b'1,"x"\n2,\n'
    out = copy_out(client, "COPY t TO STDOUT (FORMAT csv, HEADER, FORCE_QUOTE *)")
    assert out == b'a,b\n"1","x"\n"2",\n'


def test_encoding_converts_copy_data_both_ways(client: Client, stored: Any) -> None:
    answers = copy_in(client, "COPY t FROM STDIN (ENCODING 'LATIN1')", b"1\tcaf\xe9\n")
    assert kinds(answers) == ["C:COPY 1", "Z:I"]
    assert stored("select b from t") == [("café",)]
    assert copy_out(client, "COPY t TO STDOUT (ENCODING 'latin-1')") == b"1\tcaf\xe9\n"
    assert copy_out(client, "COPY t TO STDOUT") == "1\tcafé\n".encode()
    client.query("insert into t values (2, '€')")
    [error] = errors(client.query("COPY t TO STDOUT (ENCODING 'LATIN1')"))
    assert error.fields["C"] == "22P05"


def test_invalid_bytes_in_the_named_encoding_are_22021(client: Client, stored: Any) -> None:
    answers = copy_in(client, "COPY t FROM STDIN (ENCODING 'UTF8')", b"1\tok\n2\tcaf\xe9\n")
    [error] = errors(answers)
    assert (error.fields["C"], error.fields["W"]) == ("22021", "COPY t, line 2")
    assert stored("select count(*) from t") == [(0,)]


def test_octal_and_hex_escapes_are_bytes_of_utf8(client: Client, stored: Any) -> None:
    answers = copy_in(client, "COPY t FROM STDIN", b"1\tcaf\\303\\251\n2\t\\x41\\x42\n")
    assert kinds(answers) == ["C:COPY 2", "Z:I"]
    assert stored("select b from t order by a") == [("café",), ("AB",)]
    answers = copy_in(client, "COPY t FROM STDIN", b"3\tcaf\\xe9\n")
    [error] = errors(answers)
    assert error.fields["C"] == "22021"
    assert error.fields["M"] == 'invalid byte sequence for encoding "UTF8": 0xe9'
    assert error.fields["W"] == 'COPY t, line 1: "3\tcaf\\xe9"'
