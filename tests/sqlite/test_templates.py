"""Statements of one shape share a translation (``literals.py``, ``templates.py``).

The template path must give exactly the plan translating the text gives, or the same error.
Checked on the SQL the other tests of this directory send (collected from their source) and
on statements aimed at what a template must not get wrong: positions, counts, type modifiers,
typed literals, strings meeting typed columns, quotes, newlines and unicode in strings.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.literals import Literal, shape
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.templates import TranslationCache
from txpostgres_proto.sqlite.translate import Plan, translate

from .conftest import Client

SCHEMA = """
create type mood as enum ('sad', 'ok', 'happy');
create table k (id serial primary key, n int, big bigint, price numeric(10,2), f float8,
    flag boolean, d date, ts timestamp, tz timestamptz, span interval, name text,
    code varchar(10), tags text[], doc jsonb, feeling mood, raw bytea);
create table pgbench_accounts (aid int primary key, bid int, abalance int, filler char(84));
create table pgbench_history (tid int, bid int, aid int, delta int, mtime timestamp,
    filler char(22))
"""

STATEMENTS = (
    "select * from k where id = 5",
    "select n, count(*) from k group by 1 order by 2 desc, 1 limit 10 offset 3",
    "select name from k order by 1",
    "select name from k where n > 2 order by n fetch first 3 rows only",
    "select cast(price as numeric(12, 3)), code::varchar(4) from k where n = 1",
    "select * from k where d = '2024-01-02' and ts > '2024-01-02 03:04:05'",
    "select * from k where d = date '2024-01-02' and span > interval '1 day'",
    "select * from k where flag = 't' and feeling = 'ok' and tags = '{a,b}'",
    "select * from k where doc = '{\"a\": 1}' and raw = '\\x00ff'",
    "select * from k where name like 'ab%' or name ilike 'X_' or code in ('a', 'b', 'c')",
    "select * from k where n between 1 and 10 and name <> 'it''s'",
    "select 'a' || name || 'b', substr(name, 2, 3), n + 5 * 2 from k",
    "select case when n = 1 then 'one' else 'many' end from k",
    "select d + 7, ts + interval '2 hours', span * 3 from k where id = 4",
    "select '5'::int + 1, '2024-01-01'::date, 'x'::text, E'a\\nb'",
    "select 1, 'one', 2 as two",
    "select generate_series(1, 5)",
    "insert into k (n, name, d, flag) values (1, 'a', '2024-01-01', 'true')",
    "insert into k (n, name) values (1, 'a') returning id, name",
    "insert into k (id, n) values (7, 1) on conflict (id) do update set n = 2",
    "update k set n = n + -5, name = 'z' where id = 3",
    "delete from k where id = 9 and name = 'q'",
    "UPDATE pgbench_accounts SET abalance = abalance + -2738 WHERE aid = 43615",
    "SELECT abalance FROM pgbench_accounts WHERE aid = 43615",
    "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES "
    "(5, 1, 43615, -2738, CURRENT_TIMESTAMP)",
    "select * from k where n = any('{1,2,3}') and name = 'line\none'",
    "select n from k where n = 'abc'",
    "select * from nothing where n = 1",
    "select id from k where id in (select n from k where n > 3 order by 1 limit 2)",
    "select string_agg(name, ',' order by 1) from k where n = 1",
    "select n::numeric(5, 1) from k where n = 3",
)

#: Literal values tried in place of the originals.
INTEGERS = ("0", "1", "2", "7", "42", "123456789")
STRINGS = ("'x'", "''", "'it''s'", "'ü\nz'", "'2024-02-03'", "'t'", "'{1,2}'", "'1 day'")


def _collected() -> list[str]:
    """The SQL text literals the other tests here pass to ``run``/``rows``/``value``."""
    found: set[str] = set()
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("run", "rows", "value")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return sorted(found)


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Schema]:
    """The tables above and those the other tests create (the first of each name)."""
    database = SQLiteDatabase(str(tmp_path_factory.mktemp("templates") / "t.sqlite3"))
    client = Client(database)
    creates = [sql for sql in _collected() if sql.lower().startswith(("create table", "create t"))]
    for sql in [*SCHEMA.split(";"), *creates]:
        try:
            client.run(sql)
        except PostgresError:
            pass  # a name another test file also uses
    yield database.schema()
    client.backend.connection_lost()
    database.close()


def _outcome(sql: str, schema: Schema, cache: TranslationCache | None) -> Plan | tuple[str, str]:
    try:
        if cache is None:
            return translate(sql, schema, ())
        return cache.plan(sql, (), schema, 1)
    except PostgresError as error:
        return (str(error.sqlstate), str(error))


def _variants(sql: str) -> Iterator[str]:
    """``sql`` with its literals replaced by other values of their kind."""
    shaped = shape(sql)
    assert shaped is not None
    key, literals = shaped
    for round_number in range(4):
        parts = key.split("\x00")
        out = [parts[0]]
        for number, part in enumerate(parts[1:]):
            values = INTEGERS if part[0] == "i" else STRINGS
            out.append(values[(number + round_number * 3) % len(values)])
            out.append(part[1:])
        yield "".join(out)


def test_templates_answer_exactly_as_translating(schema: Schema) -> None:
    corpus = [sql for sql in (*STATEMENTS, *_collected()) if shape(sql) is not None]
    assert len(corpus) > 100
    templated = 0
    for sql in corpus:
        cache = TranslationCache()
        assert _outcome(sql, schema, cache) == _outcome(sql, schema, None), sql
        key, _ = shape(sql) or ("", ())
        if cache._templates.get((key, (), 1)) is not None:
            templated += 1
        for variant in itertools.chain(_variants(sql)):
            assert _outcome(variant, schema, cache) == _outcome(variant, schema, None), variant
    # Most statements of the corpus get a template (the test is not vacuous).
    assert templated > len(corpus) // 2


@pytest.mark.parametrize(
    ("sql", "kept"),
    [
        ("select * from t where a = 3 order by 1, 2 limit 5 offset 6", "order by 1, 2 limit 5"),
        ("select a[1], b / 0, c % 2 from t where y = 1", "a[1], b / 0, c % 2"),
        ("select x::numeric(10, 2) from t where a = 3", "numeric(10, 2)"),
        ("select * from t where d = date '2024-01-01' and y = 1", "date '2024-01-01'"),
        ("select E'a', 'b\\c', x from t where y = 1", "E'a', 'b\\c'"),
        ("select 1.5, 30000000000 from t where y = 1", "1.5, 30000000000"),
    ],
)
def test_what_stays_in_the_shape(sql: str, kept: str) -> None:
    shaped = shape(sql)
    assert shaped is not None
    key, literals = shaped
    assert kept in key
    assert literals == (Literal("i", "1"),) or literals == (Literal("i", "3"),)


def test_what_has_no_shape() -> None:
    assert shape("select 1.5 from t") is None
    assert shape("select $$x$$, 1") is None
    assert shape("select /* c */ 1") is None
    assert shape("select 'open") is None


def test_pgbench_statements_share_one_template(schema: Schema) -> None:
    cache = TranslationCache()
    first = cache.plan("UPDATE pgbench_accounts SET abalance = abalance + 5 WHERE aid = 1", (),
                       schema, 1)  # fmt: skip
    second = cache.plan("UPDATE pgbench_accounts SET abalance = abalance + 77 WHERE aid = 3", (),
                        schema, 1)  # fmt: skip
    assert first.statements != second.statements
    assert "77" in second.statements[0] and "= 3" in second.statements[0]
    assert len(cache._templates) == 1 and not cache._plans
    inserted = (
        cache.plan("insert into k (n, name) values (1, 'a')", (), schema, 1),
        cache.plan("insert into k (n, name) values (2, 'it''s')", (), schema, 1),
    )
    assert inserted[1].inserted == (("n", 0, 2), ("name", 0, "it's"))
    assert inserted[1] == translate("insert into k (n, name) values (2, 'it''s')", schema, ())


def test_statements_that_look_like_sentinels_get_no_template(schema: Schema) -> None:
    cache = TranslationCache()
    for sql in (
        "select * from k where big = 2000000001 and n = 1",
        "select * from k where name = E'@txpg0@' and code = 'x'",
    ):
        assert cache.plan(sql, (), schema, 1) == translate(sql, schema, ())
    assert list(cache._templates.values()) == [None, None]
