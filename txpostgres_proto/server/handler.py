"""`PostgresRequestHandler`: the application API, the backend most servers subclass.

The seed API of postgres_proto, made Deferred-friendly.  An application subclasses the handler
and overrides what it needs::

    class MyHandler(PostgresRequestHandler):
        def query_tables(self, stmt_info):          # SELECT -> (rows, columns)
            ...
        def list_tables(self):                      # table names or Table objects
            ...
        def describe_table(self, table_name):       # column names or Column objects
            ...
        def sequence_state(self, sequence):         # (last_value, is_called) of a sequence
            ...
        @stmt_handler("INSERT")
        async def insert(self, stmt_info):          # any statement type
            ...

Every hook may return a plain value, a Deferred, or be ``async def``.  The server factory
creates one handler per connection (the class is the backend factory), so instance attributes
are per-connection state.

What happens to a statement the session does not answer itself (transaction control and
SET/SHOW/RESET/DISCARD are the session's), in ``execute_query``:

1. catalog queries (``pg_catalog``, ``information_schema``, ``version()`` …, whatever
   ``Catalog.handles`` claims) run in the catalog emulation, which knows the application's
   tables from ``list_tables``/``describe_table`` (asked at connect and again after a DDL
   statement, or when `refresh_catalog` is called);
2. the statement is parsed (`parse_sql`; a syntax error answers 42601 with its position) and
   routed by type: SELECT to ``query_tables``, other types to ``@stmt_handler`` methods;
3. a type without a handler answers an empty success if it is in
   ``ignore_missing_statement_types``, else 0A000 (feature_not_supported).

The sequences of the application's serial columns are catalog relations: reading one
(``SELECT last_value, is_called FROM items_id_seq``, as pg_dump does; ``pg_sequences``;
``pg_sequence_last_value``) asks ``sequence_state`` for its state first; the default derives it
from the largest value of the column (``app_sequences.py`` says why and when that falls short).
``LOCK TABLE`` is accepted in a transaction block (``lock_tables``), as pg_dump needs.

Handlers receive a `BoundStatementInfo`: the parsed statement with ``$n`` placeholders replaced
by the bound values.  What they return is normalised by ``results.py`` (dict rows, columns by
name with inferred types, command tags).  A `PostgresError` they raise becomes the client's
error; any other exception propagates to the protocol, which logs it and answers XX000.

Describe (extended protocol) never runs the statement: catalog queries are described by the
catalog, other statements by ``describe_query`` (by default: the select list resolved against
the application's tables; columns described by name only are ``text``).  Parameter types come
from the client, casts and context (``param_types.py``).  The columns described for a SQL text
are remembered, and a later execution of that text is conformed to them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Coroutine, Sequence
from functools import lru_cache
from typing import Any, ClassVar, Final, Protocol, TypeVar

from twisted.internet import defer

from txpostgres_proto.catalog import Catalog
from txpostgres_proto.catalog.schema import Column, Table
from txpostgres_proto.catalog.session import SessionInfo
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.app_schema import AppSchema, AppTable, load_app_schema
from txpostgres_proto.server.app_sequences import (
    SequenceInfo,
    SequenceState,
    as_sequence_state,
    highest_value,
    max_query,
    state_after,
)
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.catalogs import shared_catalog
from txpostgres_proto.server.columns import (
    ColumnSpec,
    declared_column,
    from_catalog,
    named_column,
    spec_name,
)
from txpostgres_proto.server.eager import Resumption, run_now
from txpostgres_proto.server.param_types import context_types, parameter_types
from txpostgres_proto.server.params import BoundStatementInfo, bind
from txpostgres_proto.server.results import NormalizedResult, ResultContext, to_query_result
from txpostgres_proto.server.routing import normalize_statement_type, statement_routes, stmt_handler
from txpostgres_proto.server.targets import TableScope, Target, statement_targets
from txpostgres_proto.sql import SqlSyntaxError, command_tag, parse_sql
from txpostgres_proto.sql.statement_info import StatementInfo
from txpostgres_proto.types import oids

__all__ = [
    "Column",
    "PostgresRequestHandler",
    "QueryResult",
    "SequenceInfo",
    "SequenceState",
    "Table",
    "stmt_handler",
]

#: Statement types after which the application's tables may have changed.
_DDL_PREFIXES = ("CREATE ", "ALTER ", "DROP ", "COMMENT", "SELECT INTO")
#: How many described statements a connection remembers.
_DESCRIBED_CACHE_SIZE = 256
#: How many parsed statements the process remembers.
_PARSED_CACHE_SIZE = 1024

T = TypeVar("T")


class HandlerSession(SessionInfo, Protocol):
    """What a handler needs of its connection (`server.session.Session` is one): who is
    connected and the settings (the catalog's `SessionInfo`), and a way to send notices."""

    def notice(
        self, message: str, sqlstate: str = "00000", *, severity: str = "NOTICE", **fields: str
    ) -> None: ...

    def notify(self, channel: str, payload: str = "") -> None: ...

    @property
    def in_transaction_block(self) -> bool: ...


def _deferred(coroutine: Coroutine[Any, Any, T]) -> defer.Deferred[T]:
    """``defer.ensureDeferred(coroutine)``, made cheaply when the coroutine never waits (most
    statements: the hooks answer at once): it runs now and its outcome comes in a fired
    Deferred; one that waits goes on under ``ensureDeferred`` (cancellable as usual)."""
    try:
        value, rest = run_now(coroutine)
    except Exception:  # noqa: BLE001 - the Deferred carries it, as ensureDeferred's would
        return defer.fail()
    if rest is None:
        return defer.succeed(value)  # type: ignore[arg-type]
    return defer.ensureDeferred(_finish(rest))


async def _finish(rest: Resumption[T]) -> T:
    return await rest


def _syntax_error(error: SqlSyntaxError) -> PostgresError:
    return PostgresError(error.message, "42601", position=error.position)


#: Statement routes every handler has (``@stmt_handler`` methods add to and override them).
_DEFAULT_ROUTES: Final = {"SELECT": "query_tables", "LOCK TABLE": "lock_tables"}


class PostgresRequestHandler:
    """Answers one connection's SQL from an application's tables (see the module docstring)."""

    #: Statement types answered with an empty success when no handler claims them.
    ignore_missing_statement_types: ClassVar[Collection[str]] = ()
    #: Statement type -> method name; built per subclass from ``@stmt_handler`` marks.
    _routes: ClassVar[dict[str, str]] = dict(_DEFAULT_ROUTES)

    #: The connection (set in `connection_made`).
    session: HandlerSession
    #: The catalog emulation (set in `connection_made`; shared by the connections of this
    #: handler class to one database, see ``catalogs.py``).
    catalog: Catalog

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._routes = statement_routes(cls, _DEFAULT_ROUTES)

    def __init__(self) -> None:
        self._app_schema: AppSchema | None = None
        self._described: OrderedDict[str, tuple[ResultColumn, ...]] = OrderedDict()
        self._targets_cache: dict[str, tuple[Target, ...] | None] = {}
        #: Catalog result columns as `ResultColumn`s, by the id of the catalog's columns
        #: (which it repeats for every result of a statement): (its columns, ours).
        self._catalog_columns: dict[int, tuple[Sequence[Any], tuple[ResultColumn, ...]]] = {}

    # -- the statement parser (seed API: ``self.parse_sql``) ------------------------------

    #: `sql.parse_sql`, remembering the last statements parsed (clients repeat their SQL).
    parse_sql = staticmethod(lru_cache(maxsize=_PARSED_CACHE_SIZE)(parse_sql))

    # -- QueryBackend ---------------------------------------------------------------------

    def connection_made(self, session: HandlerSession) -> defer.Deferred[None]:
        """Remember the session, create the catalog, and load the application's tables."""
        self.session = session
        version = session.get_setting("server_version")
        self._shared_catalog = shared_catalog(type(self), session.database, version)
        self.catalog = self._shared_catalog.catalog
        return self.refresh_catalog()

    def describe(self, sql: str, param_oids: Sequence[int]) -> defer.Deferred[StatementDescription]:
        """Parameter types and result columns of ``sql``, without executing it."""
        return _deferred(self._describe(sql, param_oids))

    def execute(
        self, sql: str, params: Sequence[Any], param_oids: Sequence[int]
    ) -> defer.Deferred[QueryResult]:
        """Run one statement through `execute_query` and normalise its result.

        A catalog query of a connection whose tables are loaded, with the default
        `execute_query`, is answered without the coroutines of `_execute` (they would not
        wait) unless it reads sequences (their states come from a hook that may wait): the
        same result in a fired Deferred.
        """
        if (
            self._app_schema is not None
            and type(self).execute_query is _DEFAULT_EXECUTE_QUERY
            and self.catalog.handles(sql)
        ):
            try:
                if not self.catalog.sequences(sql):
                    return defer.succeed(self._catalog_now(sql, params))
            except Exception:  # noqa: BLE001 - the Deferred carries it, as on the general path
                return defer.fail()
        return _deferred(self._execute(sql, params))

    def transaction(self, command: str, savepoint: str | None = None) -> Any:
        """Told about BEGIN/COMMIT/ROLLBACK/SAVEPOINT/RELEASE/ROLLBACK TO; override to map
        them to the application's own transactions.  Does nothing by default."""

    def connection_lost(self) -> Any:
        """The connection is gone.  Override to release per-connection resources."""

    # -- hooks an application overrides (seed API) -----------------------------------------

    def query_tables(self, stmt_info: BoundStatementInfo) -> Any:
        """Answer a SELECT: ``(rows, columns)``, a `QueryResult`, or None (no rows).

        The default knows no tables: 42P01 for the first table the statement names.
        """
        if stmt_info.tables:
            raise PostgresError(f'relation "{stmt_info.tables[0].name}" does not exist', "42P01")
        raise PostgresError("this server answers no queries without a table", "0A000")

    async def lock_tables(self, stmt_info: BoundStatementInfo) -> None:
        """LOCK TABLE, checked as PostgreSQL checks it (only in a transaction block; every
        table must exist), then nothing to do: the application's tables have no locks.  An
        application that has locks to take routes the statement itself
        (``@stmt_handler("LOCK TABLE")``).  pg_dump locks every table it dumps."""
        if not self.session.in_transaction_block:
            raise PostgresError("LOCK TABLE can only be used in transaction blocks", "25P01")
        schema = await self._ensure_schema()
        for table in stmt_info.tables:
            if schema.find(table.name, table.schema) is None:
                raise PostgresError(f'relation "{table.name}" does not exist', "42P01")

    def list_tables(self) -> Any:
        """The application's tables: names (then `describe_table` is asked) or `Table` objects."""
        return ()

    def describe_table(self, table_name: str) -> Any:
        """The columns of ``table_name``: names (types inferred from rows) or `Column` objects."""
        return ()

    async def sequence_state(self, sequence: SequenceInfo) -> Any:
        """The state of one of the application's sequences, asked whenever a query reads it.

        ``sequence`` says which (``schema``, ``name``) and, for the sequence of a serial
        column, which ``table`` and ``column`` it numbers.  Return a `SequenceState`, a
        ``(last_value, is_called)`` pair, the last value handed out (an ``int``), or None for
        a sequence nothing was taken from.  The default is the largest value of the column,
        read with ``SELECT column FROM table`` through `query_tables` (see
        ``app_sequences.py``); override it when the application counts for itself.
        """
        sql = max_query(sequence)
        if sql is None:
            return None
        result = await self._execute(sql, ())
        return state_after(await highest_value(result.rows), sequence)

    def describe_query(self, stmt_info: BoundStatementInfo) -> Any:
        """The result columns of a statement, without running it (names, `Column` or
        `ResultColumn` objects), or None when it returns no rows.

        The default resolves the select list (or RETURNING list) against the application's
        tables.  Override it for statements whose columns only the application knows.
        """
        targets = statement_targets(stmt_info, self.app_schema, self._table_oid)
        return None if targets is None else [target.column for target in targets]

    def execute_query(self, sql: str, params: Sequence[Any]) -> Any:
        """Answer one statement (the lower-level hook; see the module docstring for routing).

        Override it to take full control of every statement the session does not handle
        itself; return anything a statement handler may return.  Describe does not call it:
        such an application should also override `describe` (or `describe_query`).
        """
        return defer.ensureDeferred(self._route(sql, params))

    # -- helpers for applications ----------------------------------------------------------

    @property
    def app_schema(self) -> AppSchema:
        """The application's tables as last loaded (empty before `connection_made`)."""
        return self._app_schema or AppSchema()

    def refresh_catalog(self) -> defer.Deferred[None]:
        """Ask ``list_tables``/``describe_table`` again and update the catalog."""
        return defer.ensureDeferred(self._load_schema())

    def notice(
        self, message: str, severity: str = "NOTICE", sqlstate: str | None = None, **fields: str
    ) -> None:
        """Send the client a NoticeResponse (before the current statement completes).

        ``severity`` is WARNING, NOTICE, INFO, LOG or DEBUG; the SQLSTATE defaults to 01000
        (warning) for warnings and 00000 otherwise; ``fields`` are further error fields by
        name (``detail=``, ``hint=`` …).
        """
        if sqlstate is None:
            sqlstate = "01000" if severity == "WARNING" else "00000"
        self.session.notice(message, sqlstate, severity=severity, **fields)

    def notify(self, channel: str, payload: str = "") -> None:
        """NOTIFY ``channel`` from this session: every session listening on it receives a
        NotificationResponse with ``payload`` when the current transaction commits (at the end
        of the statement outside a transaction block); a rollback drops it."""
        self.session.notify(channel, payload)

    # -- internals -------------------------------------------------------------------------

    async def _load_schema(self) -> None:
        self._app_schema = await load_app_schema(self.list_tables, self.describe_table)
        self._targets_cache.clear()
        self._described.clear()  # descriptions made against the old tables no longer hold
        self._shared_catalog.use(self._app_schema.tables)

    async def _ensure_schema(self) -> AppSchema:
        """This connection's tables, loaded if stale, and loaded into the catalog."""
        if self._app_schema is None:
            await self._load_schema()
        schema = self.app_schema
        self._shared_catalog.use(schema.tables)
        return schema

    def _table_oid(self, app_table: AppTable) -> int:
        return int(self.catalog.table_oid(app_table.table.schema, app_table.table.name) or 0)

    def _parse(self, sql: str) -> tuple[str, StatementInfo]:
        try:
            stmt_type, stmt_info = self.parse_sql(sql)
        except SqlSyntaxError as error:
            raise _syntax_error(error) from error
        return normalize_statement_type(stmt_type), stmt_info

    def _method_for(self, stmt_type: str) -> Any:
        name = self._routes.get(stmt_type)
        if name is not None:
            return getattr(self, name)
        ignored = {normalize_statement_type(t) for t in self.ignore_missing_statement_types}
        if stmt_type in ignored:
            return None
        raise PostgresError(f'statement type "{stmt_type}" is not supported', "0A000")

    def _targets(self, stmt_info: StatementInfo) -> tuple[Target, ...] | None:
        """The statement's output columns for projection and table OIDs (cached by SQL text
        until the schema is loaded again)."""
        cache = self._targets_cache
        if stmt_info.sql in cache:
            return cache[stmt_info.sql]
        try:
            targets = statement_targets(stmt_info, self.app_schema, self._table_oid)
        except PostgresError:
            targets = None  # a table only the application knows: nothing to project onto
        if len(cache) >= _DESCRIBED_CACHE_SIZE:
            cache.clear()
        cache[stmt_info.sql] = targets
        return targets

    def _remember(self, sql: str, columns: tuple[ResultColumn, ...] | None) -> None:
        if columns is None:
            self._described.pop(sql, None)
            return
        self._described[sql] = columns
        self._described.move_to_end(sql)
        while len(self._described) > _DESCRIBED_CACHE_SIZE:
            self._described.popitem(last=False)

    async def _catalog_result(self, sql: str, params: Sequence[Any]) -> NormalizedResult:
        await self._ensure_schema()
        states = {}
        for sequence in self.catalog.sequences(sql):
            value = await defer.maybeDeferred(self.sequence_state, sequence)
            states[sequence] = as_sequence_state(value, sequence)
        return self._catalog_now(sql, params, states)

    def _catalog_now(
        self,
        sql: str,
        params: Sequence[Any],
        sequence_states: dict[SequenceInfo, SequenceState] | None = None,
    ) -> NormalizedResult:
        """A catalog query's result, the tables loaded (`_ensure_schema` minus the load)."""
        self._shared_catalog.use(self.app_schema.tables)
        result = self.catalog.execute(sql, params, self.session, sequence_states)
        found = result.columns
        # The catalog returns a statement's columns as one shared sequence: known by identity
        # (the entry keeps it alive, so its id is not reused while remembered).
        known = self._catalog_columns.get(id(found))
        if known is not None and known[0] is found:
            columns = known[1]
        else:
            if len(self._catalog_columns) >= _DESCRIBED_CACHE_SIZE:
                self._catalog_columns.clear()
            columns = tuple(from_catalog(c) for c in found)
            self._catalog_columns[id(found)] = (found, columns)
        tag = result.command_tag or None
        return NormalizedResult(columns, result.rows, tag, len(result.rows), {"catalog": True})

    async def _route(self, sql: str, params: Sequence[Any]) -> QueryResult:
        if self.catalog.handles(sql):
            return await self._catalog_result(sql, params)
        stmt_type, stmt_info = self._parse(sql)
        method = self._method_for(stmt_type)
        if method is None:
            return NormalizedResult(None, (), command_tag(stmt_type, 0))
        await self._ensure_schema()
        value = await defer.maybeDeferred(method, bind(stmt_info, params))
        if stmt_type.startswith(_DDL_PREFIXES):
            self._app_schema = None  # reloaded on next use
        context = ResultContext(stmt_type, self._targets(stmt_info), self._described.get(sql))
        return await to_query_result(value, context)

    async def _execute(self, sql: str, params: Sequence[Any]) -> QueryResult:
        if type(self).execute_query is PostgresRequestHandler.execute_query:
            value = await self._route(sql, params)  # the default hook, minus its Deferred
        else:
            value = await defer.maybeDeferred(self.execute_query, sql, params)
        if isinstance(value, NormalizedResult):
            return value
        return await to_query_result(value, ResultContext(described=self._described.get(sql)))

    async def _describe(self, sql: str, param_oids: Sequence[int]) -> StatementDescription:
        if self.catalog.handles(sql):
            await self._ensure_schema()
            found = tuple(from_catalog(column) for column in self.catalog.describe(sql))
            return StatementDescription(self._catalog_param_types(sql, param_oids), found)
        stmt_type, stmt_info = self._parse(sql)
        self._method_for(stmt_type)  # 0A000 now rather than at execution
        schema = await self._ensure_schema()
        described = await defer.maybeDeferred(self.describe_query, bind(stmt_info, ()))
        targets = self._targets(stmt_info) or ()
        columns = None if described is None else tuple(_described(described, targets))
        self._remember(sql, columns)
        scope = TableScope(stmt_info.tables, schema, self._table_oid)
        types = parameter_types(
            param_oids,
            max(stmt_info.params, default=0),
            dict(stmt_info.param_casts),
            context_types(stmt_info, scope),
        )
        return StatementDescription(types, columns)

    def _catalog_param_types(self, sql: str, param_oids: Sequence[int]) -> tuple[int, ...]:
        inferred = self.catalog.parameter_types(sql)
        known = {
            number: type_oid
            for number, type_oid in enumerate(inferred, 1)
            if type_oid not in (0, oids.UNKNOWN)
        }
        return parameter_types(param_oids, len(inferred), {}, known)


_DEFAULT_EXECUTE_QUERY: Final = PostgresRequestHandler.execute_query


def _described(specs: Sequence[ColumnSpec], targets: Sequence[Target]) -> list[ResultColumn]:
    """Result columns from what `describe_query` gave: typed specs as given, names typed like
    the resolved target of that name when it has a declared type, else text."""
    by_name = {target.column.name: target for target in targets}
    columns = []
    for spec in specs:
        column = declared_column(spec)
        if column is None:
            target = by_name.get(spec_name(spec))
            column = target.column if target is not None else named_column(spec, oids.TEXT)  # type: ignore[arg-type]
        columns.append(column)
    return columns
