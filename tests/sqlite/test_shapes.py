"""Statements of one shape answered from the shape's entry (``prepared.py``, `Shaped`) answer
byte for byte as the general path does, statement by statement.

Two servers on two copies of one database: one as shipped, one whose backend never uses shape
entries (every statement prepared text by text, as before they existed).  Both get the same
simple-protocol Query messages — statements of many shapes, each with several literal values,
writes and failing statements among them — and must send exactly the same bytes back:
RowDescription (names, type OIDs, typmods), DataRows, command tags, errors (SQLSTATE, message,
detail) and notices.  The threaded backend's inline paths (`SQLiteBackend._known_shaped_read`,
writes in the reactor thread) are compared the same way on `QueryResult` values.
"""

from __future__ import annotations

import ast
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from tests.server.test_protocol import Client
from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult
from txpostgres_proto.sqlite import literals, templates
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.literals import shape
from txpostgres_proto.sqlite.prepared import prepare_shape
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.templates import TranslationCache
from txpostgres_proto.sqlite.translate import Plan, translate
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .conftest import PoolReactor

SETUP = (
    "create table t (id int primary key, n int, big bigint, small smallint, "
    "price numeric(10,2), f float8, flag boolean, d date, ts timestamp, name text, "
    "code varchar(5), ch char(3), tags text[], doc jsonb)",
    "insert into t values (1, 10, 10000000000, 1, 1.50, 0.5, true, '2024-01-02', "
    "'2024-01-02 03:04:05', 'a', 'ab', 'x', '{a,b}', '{\"k\": 1}')",
    "insert into t values (2, -3, null, 2, 2.25, 1e10, false, '2023-12-31', "
    "'2023-12-31 23:59:59', 'it''s', 'cd', 'yz', '{}', '[1, 2]')",
    "insert into t values (3, null, 5, null, null, null, null, null, null, 'x(y', null, null, "
    "null, null)",
    "create table u (id serial primary key, k int unique, label text not null, "
    "check (k < 1000000))",
    "insert into u (k, label) values (1, 'one'), (2, 'two')",
    "create table p (id int primary key)",
    "create table c (id int primary key, pid int references p (id))",
    "insert into p values (1), (2)",
    "insert into c values (10, 1)",
    "create view v as select id, name from t",
    "create sequence s",
)

INTEGERS = ("0", "1", "2", "3", "7", "999999999", "123456789")
STRINGS = ("'a'", "''", "'it''s'", "'x(y'", "'ü\nz'", "'pg_class'", "'2000000001'", "'@txpg0@'")

#: Statements with ``{i}`` (integers), ``{j}`` (another integer), ``{s}`` (strings) holes.
SHAPES = (
    "select n, name from t where id = {i}",
    "SELECT abalance FROM t WHERE id = {i};",
    "select * from t where id = {i}",
    "select {i} + n from t where id = 1",
    "select n * {i} from t",
    "select small + {i} from t order by id",
    "select {i}, {s}",
    "select {s} as x, {i} as y",
    "select {s}",
    "select {i}::int2",
    "select * from t where name = {s}",
    "select id from t where name <> {s} order by id",
    "select * from t where d = {s}",
    "select * from t where d = date {s}",
    "select * from t where ts > {s}",
    "select id from t where code = {s} or ch = {s}",
    "select id from t where tags = {s}",
    "select name || {s} from t where id = {i}",
    "select id from t where name like {s}",
    "select * from t order by {i}",
    "select id from t order by ({i}) desc",
    "select id, n from t order by -{i}, ({i}), id desc",
    "select id from t order by {i} desc limit {j} offset {i}",
    "select id from t limit {i}",
    "select n, count(*) from t group by {i} order by 1",
    "select n from t group by n having count(*) > {i} order by n",
    "select id from t where id in ({i})",
    "select id from t where id in ({i}, {j})",
    "select id from t where id in ({i}, {j}, 3)",
    "select id from t where name in ({s}, 'a')",
    "select -{i}, - {i}, {i}-{j}, {i} - -{j}",
    "select id from t where n between {i} and {j}",
    "select case when n > {i} then {s} else 'no' end from t order by id",
    "select substr(name, {i}, {j}) from t order by id",
    "select n / {i} from t where n is not null",
    "select {i} / n from t where n <> 0",
    "select {i} % 3, {i} = {j}, {i} < {j}",
    "select {s}::int",
    "select {i}::text, {s}::text",
    "select * from t where id = {i} and true",
    "select * from t where {i} = 1",
    "select id from t where id = {i} union select {j} order by 1",
    "with x as (select {i} as a) select a + {j} from x",
    "values ({i}, {s})",
    "select * from v where id = {i}",
    "select * from generate_series({i}, 3)",
    "select pg_typeof({i})",
    "select relname from pg_class where relname = {s}",
    "select sum(n) over (order by id rows {i} preceding) from t order by id",
    "select sum(n) over (partition by {i}) from t order by id",
    "select price * {i}, f + {i} from t order by id",
    'select {i} as "{i}"',
    "select 'a' 'b', {s}",
    "select {s}\n{s}",
    "select id from t where flag = {s}",
    "select id from t where doc = {s}",
    "select big + {i} from t where id = 1",
    "select n from t where n = {s}",
    "update t set n = n + {i} where id = {j}",
    "update t set n = n * 1000 + {i} where id = 1",
    "update t set name = {s} where id = {j}",
    "update t set small = small + {i} where id = 2",
    "insert into u (k, label) values ({i}, {s})",
    "insert into u (k, label) values ({i}, {s}) returning id, k, label",
    "update u set k = {i} where id = {j}",
    "delete from u where k = {i}",
    "insert into c values ({i}, {j})",
    "delete from p where id = {i}",
    "insert into t (id, n, name) values ({i}, {j}, {s}) on conflict (id) do update set n = {j}",
    "select nextval('s') + {i}",
    "select * from nothing where id = {i}",
    "select nope from t where id = {i}",
    "BEGIN; update t set n = n + {i} where id = 1; select n from t where id = {j}; END;",
)

#: Statements whose literals are of other kinds (numerics, floats, NULL, booleans, E'' strings,
#: typed literals, numbers past int4 and int8), kept as they are by the shape, around the
#: holes the shape does take.
SPELLED = (
    "select 2147483647 + {i}",
    "select 2147483648, {i}",
    "select 9223372036854775807 + {i}",
    "select 9223372036854775808, {i}",
    "select 1.5 + {i}, .5, 1e3, 2.5e-3",
    "select null, true, false, {i}",
    "select E'a\\nb', {s}",
    "select e'it\\'s', {i}",
    "select date '2024-01-02' + {i}",
    "select interval '1 day' * {i}",
    "select id from t where price > 1.5 and id > {i}",
    "select id from t where f < 1e5 and n > -{i}",
    "select id from t where flag = true and id = {i}",
    "select id from t where n is null and id <> {i}",
    "select {i}::numeric(5, 1), {s}::varchar(2)",
    "select '{{1,2}}'::int[], {i}",
    "select $$dollar$$, {i}",
    "select /* comment */ {i}",
    "select {i} -- trailing\n",
)


def _variants(template: str) -> Iterator[str]:
    """The statement with several literal values (the first value twice: a shape seen again
    with the same text)."""
    for index, (i, j, s) in enumerate(
        zip(
            (*INTEGERS, INTEGERS[0]),
            (*INTEGERS[1:], INTEGERS[0], INTEGERS[1]),
            (*STRINGS, *STRINGS[:0], STRINGS[0]),
            strict=False,
        )
    ):
        if index > 8:
            break
        yield template.format(i=i, j=j, s=s)


class GeneralBackend(SQLiteBackend):
    """The backend with its shape entries out of use: every statement goes the general way."""

    def _shaped(self, sql: str, shaped: Any, schema: Schema, version: int) -> Any:
        return None

    def _known_shaped_read(self, shaped: Any) -> Any:
        return None


@pytest.fixture(scope="module")
def database_file(tmp_path_factory: pytest.TempPathFactory) -> str:
    file = str(tmp_path_factory.mktemp("shapes") / "shapes.sqlite3")
    database = SQLiteDatabase(file)
    setup = SQLiteBackend(database, threaded=False)
    setup.connection_made(SimpleSession())
    for statement in SETUP:
        setup.execute(statement, (), ())
    setup.connection_lost()
    database.close()
    return file


def _copy(file: str, directory: Path, name: str) -> SQLiteDatabase:
    """A new database holding what ``file`` holds (read through its WAL: SQLite's backup)."""
    target = str(directory / f"{name}.sqlite3")
    source, copy = sqlite3.connect(file), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return SQLiteDatabase(target)


def _client(backend: type[SQLiteBackend], database: SQLiteDatabase) -> Client:
    client = Client(backend_factory=lambda: backend(database, threaded=False))
    client.startup(user="postgres")
    client.raw()
    return client


def _kinds(answer: bytes) -> str:
    """The message types of a backend's answer, in order."""
    kinds = []
    at = 0
    while at < len(answer):
        kinds.append(chr(answer[at]))
        at += 1 + int.from_bytes(answer[at + 1 : at + 5], "big")
    return "".join(kinds)


def _answer(client: Client, sql: str) -> bytes:
    client.send(m.Query(sql))
    return client.raw()


def test_shaped_statements_answer_as_the_general_path_byte_for_byte(
    database_file: str, tmp_path: Path
) -> None:
    fast_database = _copy(database_file, tmp_path, "fast")
    fast = _client(SQLiteBackend, fast_database)
    general = _client(GeneralBackend, _copy(database_file, tmp_path, "general"))
    answered = failed = 0
    for template in (*SHAPES, *SPELLED):
        for sql in _variants(template):
            answer = _answer(fast, sql)
            assert answer == _answer(general, sql), sql
            kinds = _kinds(answer)
            answered += "D" in kinds
            failed += "E" in kinds
    assert answered > 400 and 50 < failed < 200, (answered, failed)
    shapes = fast_database.prepared._shapes.values()
    bound = [entry for _, entry in shapes if entry is not None and entry.template.bound]
    filled = [entry for _, entry in shapes if entry is not None and not entry.template.bound]
    assert len(bound) > 30 and filled, (len(bound), len(filled))


def test_a_transaction_of_shaped_writes_fails_and_recovers_as_the_general_path(
    database_file: str, tmp_path: Path
) -> None:
    fast = _client(SQLiteBackend, _copy(database_file, tmp_path, "fast"))
    general = _client(GeneralBackend, _copy(database_file, tmp_path, "general"))
    script = [
        "begin",
        "update t set n = n + 5 where id = 1",
        "insert into u (k, label) values (7, 'seven')",
        "insert into u (k, label) values (1, 'dup')",  # 23505, the transaction aborts
        "select n from t where id = 1",  # 25P02
        "rollback",
        "begin",
        "update u set k = 2 where id = 1",  # 23505 with the key's detail
        "rollback",
        "insert into u (k, label) values (5, null)",  # 23502
        "insert into u (k, label) values (1000001, 'big')",  # 23514
        "insert into c values (11, 9)",  # 23503
        "select n from t where id = 1",
    ]
    kinds = []
    for sql in script:
        answer = _answer(fast, sql)
        assert answer == _answer(general, sql), sql
        kinds.append(_kinds(answer))
    assert [kind.count("E") for kind in kinds] == [0, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 1, 0]


def _result(backend: SQLiteBackend, reactor: PoolReactor, sql: str) -> Any:
    try:
        outcome = backend.execute(sql, (), ())
        result = reactor.wait(outcome) if isinstance(outcome, Deferred) else outcome
    except PostgresError as error:
        return (error.sqlstate, error.message, error.detail)
    assert isinstance(result, QueryResult)
    rows = [tuple(row) for row in result.rows]  # type: ignore[union-attr]
    return (result.columns, rows, result.command_tag, result.rowcount)


def _transaction(backend: SQLiteBackend, reactor: PoolReactor, command: str) -> None:
    outcome = backend.transaction(command)
    if isinstance(outcome, Deferred):
        reactor.wait(outcome)


def test_threaded_shaped_reads_and_writes_answer_as_the_general_path(
    database_file: str, tmp_path: Path, reactor: PoolReactor
) -> None:
    fast_database = _copy(database_file, tmp_path, "fast")
    fast = SQLiteBackend(fast_database, threaded=True, reactor=reactor)
    general = GeneralBackend(
        _copy(database_file, tmp_path, "general"), threaded=True, reactor=reactor
    )
    for backend in (fast, general):
        backend.connection_made(SimpleSession())
    reads = [
        *_variants("select n, name from t where id = {i}"),
        *_variants("select id from t where name = {s}"),
        *_variants("select id, price from t where id >= {i} order by id"),
        "select nope from t where id = 4",
    ]
    for _ in range(2):  # the second time from the session's known shapes
        for sql in reads:
            assert _result(fast, reactor, sql) == _result(general, reactor, sql), sql
    known = fast._known_shaped_read(shape("select n, name from t where id = 12"))
    assert known is not None and known[1] == [12]
    for backend in (fast, general):
        _transaction(backend, reactor, "BEGIN")
    writes = [
        *_variants("update t set n = n + {i} where id = {j}"),
        *_variants("insert into u (k, label) values ({i}, {s})"),
        *_variants("select n from t where id = {i}"),
    ]
    for sql in writes:
        assert _result(fast, reactor, sql) == _result(general, reactor, sql), sql
    for backend in (fast, general):
        _transaction(backend, reactor, "ROLLBACK")
    assert fast._pool_calls < general._pool_calls or fast._pool_calls == 0
    for backend in (fast, general):
        outcome = backend.connection_lost()
        if isinstance(outcome, Deferred):
            reactor.wait(outcome)


@pytest.mark.parametrize(
    ("sql", "bound"),
    [
        ("select n from t where id = 5", 'SELECT n AS "n" FROM t WHERE id = ?1'),
        ("select id from t order by (2), id", None),
        ("select n, count(*) from t group by n having count(*) > 1 order by 1", "?1"),
        ("select 'a' as x from t where name = 'b'", "?1"),
        ("select 1 = 1", "?1"),
    ],
)
def test_which_templates_bind_their_literals(
    database_file: str, sql: str, bound: str | None
) -> None:
    database = SQLiteDatabase(database_file)
    try:
        schema = database.schema()
        shaped = shape(sql)
        assert shaped is not None
        _, template = TranslationCache().plan_and_template(sql, (), schema, 0)
        assert template is not None
        if bound is None:
            assert template.bound is None
        else:
            assert template.bound is not None and bound in template.bound, template.bound
    finally:
        database.close()


#: Texts aimed at where the quick candidate scan and the full scan could part: digits in and
#: after names, numbers glued to strings, comments, parameters, dollar quotes, typed strings.
TRICKY = (
    "select t1.a5 from t1 where x2 = 5 and y = 'a5'",
    "select 1.'x', 1.5'x', 1'x', 15'x', x'41', e'\\n', b'101', u&'a'",
    "select t.5, .5, 5., 5e3, 5e, 1e+5x, 0x1f, 007, 0",
    "select $1, a$1, $$x$$, $tag$y$tag$",
    "select 1 /* 2 */ + 3",
    "select 1 -- 2\n + 3 -- '4\n, '5'",
    'select "a 5", "it""s 6", \'x"7\'',
    "select 'unterminated",
    "select 5 from t order by 1, (2), 3 + 4 limit 5 offset 6",
    "select numeric(10, 2), a[1], b / 2, c % 3, d::int, 'x' || 'y'",
    "select 'a'\n'b', 'c' 'd'",
    "insert into t values (1, 'a'), (22, 'bb''')",
    "select ü5, 5ü, 'ü' from t where é = 7",
)


def _corpus() -> list[str]:
    found = set(TRICKY) | set(SETUP)
    for template in (*SHAPES, *SPELLED):
        found.update(_variants(template))
    for path in sorted(Path(__file__).parent.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
    return sorted(found)


def _replacing(value: str) -> Callable[[re.Match[str]], str]:
    """A ``sub`` replacement putting ``value`` in place of each string and number."""

    def replace(match: re.Match[str]) -> str:
        return value if match.lastgroup in ("string", "number") else match.group(0)

    return replace


def test_shape_takes_out_what_the_full_scan_takes_out() -> None:
    """`shape` decides once per skeleton; it must give what scanning each text in full gives,
    for texts seen first and again, and for other literals of each class in their places."""
    replacements = ("0", "7", "123456789", "1234567890", "1.5", "2.", "'z'", "'q''r'", "'\\'")
    checked = 0
    for text in _corpus():
        variants = [text]
        for replacement in replacements:
            variants.append(literals._CANDIDATE.sub(_replacing(replacement), text))
        for variant in variants:
            expected = literals._taken(variant, literals._scan(variant))
            for _ in range(2):
                assert shape(variant) == expected, variant
            checked += 1
    assert checked > 3000


@pytest.mark.parametrize(
    ("statement", "kinds", "bound"),
    [
        ("SELECT a FROM t WHERE a = 2000000000", "i", "SELECT a FROM t WHERE a = ?1"),
        ("SELECT a FROM t WHERE b = '@txpg1@' AND a = 2000000000", "is", "b = ?2 AND a = ?1"),
        ("SELECT a FROM t ORDER BY (2000000000)", "i", None),
        ("SELECT a FROM t GROUP BY a + 2000000000", "i", None),
        ("SELECT a FROM t ORDER BY a LIMIT 2000000000", "i", "LIMIT ?1"),
        ("SELECT rank() OVER (PARTITION BY 2000000000) FROM t", "i", None),
        ("SELECT a FROM t WHERE a = (SELECT b FROM u ORDER BY b) + 2000000000", "i", "+ ?1"),
        ("SELECT 'x 2000000000'", "i", None),
        ("SELECT a AS '@txpg0@' FROM t", "s", None),
        ("SELECT a FROM '@txpg0@'", "s", None),
        ("SELECT x'@txpg0@'", "s", None),
        ("SELECT 2000000000.5 + 2000000000", "i", "SELECT 2000000000.5 + ?1"),
        ("PRAGMA user_version = 2000000000", "i", None),
        ("SELECT 1; SELECT 2000000000", "i", None),
        ("UPDATE t SET a = '@txpg0@' WHERE b = 2000000001", "si", "a = ?1 WHERE b = ?2"),
    ],
)
def test_which_sqlite_statements_take_their_literals_as_parameters(
    statement: str, kinds: str, bound: str | None
) -> None:
    plan = Plan("SELECT", (statement,))
    found = templates._bound_statement(plan, tuple(kinds))
    if bound is None:
        assert found is None
    else:
        assert found is not None and bound in found, found


@pytest.mark.parametrize(
    "sql",
    [
        "insert into u (k, label) values (5, 'five')",
        "insert into u (label, k) values ('it''s', 0)",
        "insert into t (id, n, name, d) values (9, -3, 'x', date '2024-01-02')",
        "insert into c values (11, 9)",
    ],
)
def test_a_bound_insert_gives_its_columns_the_values_the_general_path_names(
    database_file: str, sql: str
) -> None:
    """What a unique or foreign key violation's detail may name: the values of the columns
    (`InsertedValues`), as the general path reads them from the statement's own plan."""
    database = SQLiteDatabase(database_file)
    try:
        schema = database.schema()
        cache = TranslationCache()
        first = sql.replace("9", "8").replace("5", "6")
        _, template = cache.plan_and_template(first, (), schema, 0)
        assert template is not None and template.bound is not None
        shaped = shape(sql)
        assert shaped is not None
        entry = prepare_shape(template, schema, None)
        _, values, inserted = entry.statement(shaped[1])
        own = translate(sql, schema, ())
        assert own.inserted
        assert dict(inserted) == {
            column: None if number else value for column, number, value in own.inserted
        }
        assert values == [literal.value for literal in shaped[1]]
    finally:
        database.close()


def test_shaped_reads_see_schema_changes_of_other_connections_and_sessions(
    database_file: str, tmp_path: Path, reactor: PoolReactor
) -> None:
    """A plain read of a known shape runs without asking the file's schema first (as a text
    read before does): a table another process replaced, or another session altered, is still
    seen by the next statement of the shape."""
    database = _copy(database_file, tmp_path, "changes")
    reader = SQLiteBackend(database, threaded=True, reactor=reactor)
    writer = SQLiteBackend(database, threaded=True, reactor=reactor)
    for backend in (reader, writer):
        backend.connection_made(SimpleSession())
    for key in (1, 2, 1):
        columns, rows, _, _ = _result(reader, reactor, f"select * from u where k = {key}")
    assert [column.name for column in columns] == ["id", "k", "label"] and rows == [(1, 1, "one")]
    other = sqlite3.connect(database.path, isolation_level=None)
    other.execute("DROP TABLE u")
    other.execute("CREATE TABLE u (id bigint PRIMARY KEY, k text, label integer)")
    other.execute("INSERT INTO u VALUES (1, '2', 42)")
    other.close()
    columns, rows, _, _ = _result(reader, reactor, "select * from u where k = 2")
    assert [(column.name, column.type_oid) for column in columns] == [
        ("id", 20),
        ("k", 25),
        ("label", 20),
    ]
    assert rows == [(1, "2", 42)]
    _result(writer, reactor, "alter table u rename column label to note")
    assert _result(reader, reactor, "select * from u where k = 3")[0][2].name == "note"
    assert _result(reader, reactor, "select label from u where k = 4")[0] == "42703"
    for backend in (reader, writer):
        outcome = backend.connection_lost()
        if isinstance(outcome, Deferred):
            reactor.wait(outcome)
