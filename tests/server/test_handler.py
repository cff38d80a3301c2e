"""PostgresRequestHandler: lifecycle, routing, errors, parameters, notices, catalog queries.

The handler is driven directly (no protocol): ``connect`` gives it a session, ``execute`` and
``describe`` return the Deferreds the protocol would get.  The session is the catalog's
`SimpleSession` (a real in-memory SessionInfo) that also records notices.  The helpers at the
top are shared by the other ``test_handler_*`` and ``test_examples*`` modules.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

from txpostgres_proto.catalog import SimpleSession
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.handler import Column, PostgresRequestHandler, Table, stmt_handler
from txpostgres_proto.types import oids

# -- helpers shared by the handler and example tests ---------------------------------------


@dataclass
class RecordingSession(SimpleSession):
    """A SimpleSession that keeps the notices a handler sends."""

    notices: list[dict[str, Any]] = field(default_factory=list)

    def notice(
        self, message: str, sqlstate: str = "00000", *, severity: str = "NOTICE", **fields: str
    ) -> None:
        self.notices.append({"message": message, "sqlstate": sqlstate, "severity": severity})
        self.notices[-1].update(fields)


def resolved(deferred: defer.Deferred[Any]) -> Any:
    """The result of a Deferred that has fired (raising its failure's exception)."""
    outcome: list[Any] = []
    deferred.addBoth(outcome.append)
    assert outcome, "the Deferred has not fired"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


def connect(handler_class: type[PostgresRequestHandler], **session: Any) -> Any:
    handler = handler_class()
    resolved(handler.connection_made(RecordingSession(**session)))
    return handler


async def _collect(rows: AsyncIterable[Any]) -> list[Any]:
    return [row async for row in rows]


def rows_of(result: QueryResult) -> list[tuple[Any, ...]]:
    """Every row of a result, whatever kind of iterable it holds."""
    if isinstance(result.rows, AsyncIterable):
        return [tuple(row) for row in resolved(defer.ensureDeferred(_collect(result.rows)))]
    return [tuple(row) for row in result.rows]


def run(handler: Any, sql: str, *params: Any) -> QueryResult:
    result = resolved(handler.execute(sql, params, ()))
    assert isinstance(result, QueryResult)
    return result


def describe(handler: Any, sql: str, param_oids: tuple[int, ...] = ()) -> StatementDescription:
    description = resolved(handler.describe(sql, param_oids))
    assert isinstance(description, StatementDescription)
    return description


def error_of(deferred: defer.Deferred[Any]) -> PostgresError:
    with pytest.raises(PostgresError) as info:
        resolved(deferred)
    return info.value


def columns_of(result: QueryResult | StatementDescription) -> Sequence[ResultColumn]:
    assert result.columns is not None
    return result.columns


def names_and_types(result: QueryResult | StatementDescription) -> list[tuple[str, int]]:
    return [(column.name, column.type_oid) for column in columns_of(result)]


# -- the seed example ------------------------------------------------------------------------

DATABASE: dict[str, list[dict[str, Any]]] = {"table1": [{"id": 1, "title": "hello world"}]}


class SeedHandler(PostgresRequestHandler):
    """Verbatim the seed README's handler."""

    def query_tables(self, stmt_info: Any) -> Any:
        rows = DATABASE.get(stmt_info.tables[0].name, [])
        return rows, rows[0].keys()

    def list_tables(self) -> Any:
        return DATABASE.keys()

    def describe_table(self, table_name: str) -> Any:
        return DATABASE.get(table_name, [[]])[0].keys()  # type: ignore[union-attr]


def test_seed_handler_answers_select_with_inferred_types() -> None:
    handler = connect(SeedHandler)
    result = run(handler, "select * from table1")
    assert names_and_types(result) == [("id", oids.INT8), ("title", oids.TEXT)]
    assert rows_of(result) == [(1, "hello world")]
    assert result.command_tag == "SELECT 1"


def test_result_columns_of_application_tables_carry_table_oid_and_attnum() -> None:
    handler = connect(SeedHandler)
    result = run(handler, "select title, id from table1")
    table_oid = handler.catalog.table_oid("public", "table1")
    assert table_oid and table_oid >= 16384
    assert [(c.table_oid, c.column_attnum) for c in columns_of(result)] == [
        (table_oid, 2),
        (table_oid, 1),
    ]
    expression = run(handler, "select 1")
    assert (columns_of(expression)[0].table_oid, columns_of(expression)[0].column_attnum) == (0, 0)


def test_all_columns_returned_are_projected_onto_the_select_list() -> None:
    handler = connect(SeedHandler)
    result = run(handler, "select title as heading from table1")
    assert names_and_types(result) == [("heading", oids.TEXT)]
    assert rows_of(result) == [("hello world",)]


def test_seed_tables_are_visible_in_the_catalog() -> None:
    handler = connect(SeedHandler)
    result = run(
        handler,
        "select column_name, ordinal_position from information_schema.columns "
        "where table_name = 'table1' order by ordinal_position",
    )
    assert rows_of(result) == [("id", 1), ("title", 2)]
    tables = run(handler, "select relname from pg_catalog.pg_class where relname = 'table1'")
    assert rows_of(tables) == [("table1",)]


# -- routing ---------------------------------------------------------------------------------


class Recorder(PostgresRequestHandler):
    """Records which hook answered; statement handlers of several kinds."""

    ignore_missing_statement_types = ("vacuum", "CREATE  INDEX")

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[tuple[str, Any]] = []

    def list_tables(self) -> Any:
        self.calls.append(("list_tables", None))
        return [Table("t", (Column("id", "int4", primary_key=True), Column("name", "text")))]

    def query_tables(self, stmt_info: Any) -> Any:
        self.calls.append(("query_tables", stmt_info))
        return [(1, "one"), (2, "two")], ["id", "name"]

    @stmt_handler("INSERT")
    async def insert(self, stmt_info: Any) -> Any:
        self.calls.append(("insert", stmt_info))
        return len(stmt_info.values)

    @stmt_handler("UPDATE", "DELETE")
    def change(self, stmt_info: Any) -> Any:
        self.calls.append((stmt_info.stmt_type.lower(), stmt_info))
        return defer.succeed(3)


def test_select_goes_to_query_tables_and_other_types_to_their_handlers() -> None:
    handler = connect(Recorder)
    assert run(handler, "select * from t").command_tag == "SELECT 2"
    assert run(handler, "insert into t values (1, 'a'), (2, 'b')").command_tag == "INSERT 0 2"
    assert run(handler, "update t set name = 'x'").command_tag == "UPDATE 3"
    assert run(handler, "delete from t where id = 1").command_tag == "DELETE 3"
    kinds = [kind for kind, _ in handler.calls if kind != "list_tables"]
    assert kinds == ["query_tables", "insert", "update", "delete"]


def test_a_subclass_overriding_a_handler_keeps_its_route() -> None:
    class Sub(Recorder):
        def change(self, stmt_info: Any) -> Any:
            return 7

        @stmt_handler("SELECT")
        def select(self, stmt_info: Any) -> Any:
            return [("sub",)], ["who"]

    handler = connect(Sub)
    assert run(handler, "delete from t").command_tag == "DELETE 7"
    assert rows_of(run(handler, "select * from t")) == [("sub",)]
    assert run(handler, "insert into t values (1, 'a')").command_tag == "INSERT 0 1"


def test_stmt_handler_needs_a_statement_type() -> None:
    with pytest.raises(TypeError):
        stmt_handler()


def test_ignored_statement_types_succeed_empty() -> None:
    handler = connect(Recorder)
    vacuum = run(handler, "VACUUM")
    assert (vacuum.columns, vacuum.command_tag) == (None, "VACUUM")
    assert run(handler, "create index i on t (name)").command_tag == "CREATE INDEX"


def test_statement_types_without_handler_are_not_supported() -> None:
    handler = connect(Recorder)
    error = error_of(handler.execute("truncate t", (), ()))
    assert (error.sqlstate, error.message) == (
        "0A000",
        'statement type "TRUNCATE" is not supported',
    )


def test_syntax_errors_answer_42601_with_the_position() -> None:
    handler = connect(Recorder)
    error = error_of(handler.execute("select 'unterminated from t", (), ()))
    assert error.sqlstate == "42601"
    assert error.position == "8"
    error = error_of(handler.execute("selec * from t", (), ()))
    assert (error.sqlstate, error.position) == ("42601", "1")


def test_postgres_errors_of_handlers_reach_the_client_and_others_propagate() -> None:
    class Failing(Recorder):
        def query_tables(self, stmt_info: Any) -> Any:
            raise PostgresError("no such thing", "42P01", hint="look elsewhere")

        @stmt_handler("DELETE")
        async def delete(self, stmt_info: Any) -> Any:
            raise RuntimeError("bug in the application")

    handler = connect(Failing)
    error = error_of(handler.execute("select * from t", (), ()))
    assert (error.sqlstate, error.hint) == ("42P01", "look elsewhere")
    with pytest.raises(RuntimeError, match="bug in the application"):
        resolved(handler.execute("delete from t", (), ()))


def test_the_default_query_tables_knows_no_tables() -> None:
    handler = connect(PostgresRequestHandler)
    assert error_of(handler.execute("select * from anything", (), ())).sqlstate == "42P01"


# -- plain values, Deferreds and coroutines --------------------------------------------------


class Later(PostgresRequestHandler):
    """Every hook answers through a Deferred the test fires by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: list[tuple[defer.Deferred[Any], Any]] = []

    def _later(self, value: Any) -> defer.Deferred[Any]:
        deferred: defer.Deferred[Any] = defer.Deferred()
        self.pending.append((deferred, value))
        return deferred

    def fire_all(self) -> None:
        while self.pending:
            deferred, value = self.pending.pop(0)
            deferred.callback(value)

    def list_tables(self) -> Any:
        return self._later(["later"])

    def describe_table(self, table_name: str) -> Any:
        return self._later([Column("x", "int2")])

    def query_tables(self, stmt_info: Any) -> Any:
        return self._later(([(5,)], ["x"]))


def test_deferred_hooks_hold_the_answer_until_they_fire() -> None:
    handler = Later()
    connected = handler.connection_made(RecordingSession())
    assert not connected.called
    handler.fire_all()
    handler.fire_all()
    resolved(connected)
    execution = handler.execute("select x from later", (), ())
    assert not execution.called
    handler.fire_all()
    result = resolved(execution)
    assert names_and_types(result) == [("x", oids.INT2)]
    assert rows_of(result) == [(5,)]


class AsyncHooks(PostgresRequestHandler):
    async def list_tables(self) -> Any:
        return ["a"]

    async def describe_table(self, table_name: str) -> Any:
        return ["v"]

    async def query_tables(self, stmt_info: Any) -> Any:
        await defer.succeed(None)
        return [{"v": True}], ["v"]


def test_async_def_hooks_work() -> None:
    handler = connect(AsyncHooks)
    result = run(handler, "select * from a")
    assert names_and_types(result) == [("v", oids.BOOL)]
    assert rows_of(result) == [(True,)]


# -- parameters ------------------------------------------------------------------------------


def test_handlers_see_parameter_values_in_the_statement() -> None:
    handler = connect(Recorder)
    run(
        handler, "select * from t where id = $1 and name in ($2, 'z') limit $3 offset 1", 42, "y", 5
    )
    stmt_info = handler.calls[-1][1]
    conditions = stmt_info.where.conditions
    assert [(c.column, c.operator, c.value) for c in conditions] == [
        ("id", "=", 42),
        ("name", "IN", ("y", "z")),
    ]
    assert (stmt_info.limit, stmt_info.offset) == (5, 1)
    assert stmt_info.param_values == (42, "y", 5)
    run(handler, "insert into t (id, name) values ($1, $2)", 9, None)
    assert handler.calls[-1][1].values == ((9, None),)
    run(handler, "update t set name = $2 where id = $1", 3, "new")
    stmt_info = handler.calls[-1][1]
    assert [(a.column, a.value) for a in stmt_info.assignments] == [("name", "new")]
    assert stmt_info.where.conditions[0].value == 3


def test_self_parse_sql_is_the_statement_parser() -> None:
    handler = connect(Recorder)
    stmt_type, stmt_info = handler.parse_sql("delete from t where id = 1")
    assert stmt_type == "DELETE"
    assert stmt_info.tables[0].name == "t"


# -- notices ---------------------------------------------------------------------------------


def test_notice_sends_through_the_session() -> None:
    class Noisy(Recorder):
        @stmt_handler("DELETE")
        def delete(self, stmt_info: Any) -> Any:
            self.notice("gone", detail="all of it")
            self.notice("careful", severity="WARNING")
            self.notice("custom", sqlstate="01003", severity="WARNING")
            return 0

    handler = connect(Noisy)
    run(handler, "delete from t")
    assert handler.session.notices == [
        {"message": "gone", "sqlstate": "00000", "severity": "NOTICE", "detail": "all of it"},
        {"message": "careful", "sqlstate": "01000", "severity": "WARNING"},
        {"message": "custom", "sqlstate": "01003", "severity": "WARNING"},
    ]


# -- the catalog and the application's schema -------------------------------------------------


def test_catalog_queries_do_not_reach_the_application() -> None:
    handler = connect(Recorder)
    result = run(handler, "select version()")
    assert "PostgreSQL" in rows_of(result)[0][0]
    run(handler, "select * from pg_catalog.pg_type where typname = $1", "int4")
    assert [kind for kind, _ in handler.calls] == ["list_tables"]


def test_typed_tables_reach_the_catalog_with_their_types_and_keys() -> None:
    handler = connect(Recorder)
    result = run(
        handler,
        "select a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
        "from pg_attribute a join pg_class c on c.oid = a.attrelid "
        "where c.relname = 't' and a.attnum > 0 order by a.attnum",
    )
    assert rows_of(result) == [("id", "integer", True), ("name", "text", False)]
    keys = run(
        handler,
        "select conname from pg_constraint where conrelid = 't'::regclass and contype = 'p'",
    )
    assert rows_of(keys) == [("t_pkey",)]


class Growing(PostgresRequestHandler):
    """Creates tables on CREATE TABLE; counts how often its schema is asked for."""

    tables: dict[str, list[str]] = {}
    asked = 0

    def list_tables(self) -> Any:
        type(self).asked += 1
        return list(self.tables)

    def describe_table(self, table_name: str) -> Any:
        return self.tables[table_name]

    @stmt_handler("CREATE TABLE")
    def create(self, stmt_info: Any) -> Any:
        self.tables[stmt_info.tables[0].name] = [column.name for column in stmt_info.columns]


def _table_names(handler: Any) -> list[str]:
    result = run(
        handler,
        "select table_name from information_schema.tables where table_schema = 'public' order by 1",
    )
    return [row[0] for row in rows_of(result)]


def test_schema_is_asked_at_connect_and_again_after_ddl_only() -> None:
    Growing.tables = {"first": ["a"]}
    Growing.asked = 0
    handler = connect(Growing)
    assert Growing.asked == 1
    assert _table_names(handler) == ["first"]
    _table_names(handler)
    assert Growing.asked == 1
    assert run(handler, "create table second (b int, c text)").command_tag == "CREATE TABLE"
    assert _table_names(handler) == ["first", "second"]
    assert Growing.asked == 2


def test_refresh_catalog_picks_up_outside_changes() -> None:
    Growing.tables = {"first": ["a"]}
    handler = connect(Growing)
    Growing.tables["third"] = ["x"]
    assert _table_names(handler) == ["first"]
    resolved(handler.refresh_catalog())
    assert _table_names(handler) == ["first", "third"]


def test_connections_share_a_catalog_but_each_sees_its_own_tables() -> None:
    Growing.tables = {"first": ["a"]}
    one = connect(Growing)
    Growing.tables = {"other": ["z"]}
    two = connect(Growing)
    assert one.catalog is two.catalog
    assert _table_names(one) == ["first"]
    assert _table_names(two) == ["other"]
    assert _table_names(one) == ["first"]
    assert connect(Recorder).catalog is not one.catalog


def test_list_tables_must_give_names_or_tables() -> None:
    class Wrong(PostgresRequestHandler):
        def list_tables(self) -> Any:
            return [42]

    with pytest.raises(TypeError, match="table names or Table objects"):
        connect(Wrong)


# -- execute_query: full control ----------------------------------------------------------------


class FullControl(PostgresRequestHandler):
    """Answers every statement itself, catalog queries included."""

    def execute_query(self, sql: str, params: Any) -> Any:
        if sql.startswith("passthrough "):
            return super().execute_query(sql[len("passthrough ") :], params)
        return [{"sql": sql, "params": list(params)}], ["sql", "params"]


def test_execute_query_can_take_full_control() -> None:
    handler = connect(FullControl)
    result = run(handler, "select * from pg_class", 1)
    assert names_and_types(result) == [("sql", oids.TEXT), ("params", oids.INT8_ARRAY)]
    assert rows_of(result) == [("select * from pg_class", [1])]
    assert result.command_tag is None  # the protocol words it from the SQL
    passed = run(handler, "passthrough select 1 as one")
    assert rows_of(passed) == [(1,)]


@dataclass
class BlockSession(RecordingSession):
    in_transaction_block: bool = False


def test_lock_table_is_checked_as_postgresql_checks_it_then_a_no_op() -> None:
    handler = SeedHandler()
    session = BlockSession()
    resolved(handler.connection_made(session))
    refused = error_of(handler.execute("LOCK TABLE table1 IN ACCESS SHARE MODE", (), ()))
    assert (refused.sqlstate, refused.message) == (
        "25P01",
        "LOCK TABLE can only be used in transaction blocks",
    )
    session.in_transaction_block = True
    assert run(handler, "LOCK TABLE table1 IN ACCESS SHARE MODE").command_tag == "LOCK TABLE"
    missing = error_of(handler.execute("LOCK TABLE table1, nope", (), ()))
    assert (missing.sqlstate, missing.message) == ("42P01", 'relation "nope" does not exist')
