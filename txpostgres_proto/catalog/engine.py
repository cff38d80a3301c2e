"""The catalog engine: answers clients' catalog SQL from an emulated pg_catalog.

:class:`Catalog` is what the server calls.  It owns an SQLite store holding every relation of
PostgreSQL 15's ``pg_catalog`` and ``information_schema`` (built-in rows from the data file,
application rows from :meth:`Catalog.set_tables`), compiles each client query once
(``compiler.py``; an LRU cache keyed by the SQL text), runs it with the session's parameters
and converts the rows to the Python values the type codecs encode.  What does not depend on the
values (SHOW or not, how each parameter binds, how each column converts, the sequences read)
is worked out with the plan; a query of bare parameters and integers (``SELECT $1``,
``SELECT 1``: drivers' pings, pgbench) is answered without SQLite when SQLite would hand its
values back unchanged.

``handles(sql)`` decides whether a statement is the catalog's business: it reads only
``pg_catalog``/``information_schema`` relations (qualified, or unqualified names of
``pg_catalog`` relations, which PostgreSQL finds first on every search path), or it has no
FROM and calls only functions the catalog implements (``SELECT 1``, ``select version()``,
``SELECT current_setting('x')``), or it is ``SHOW``.  Anything touching an application table
belongs to the application.  The application's sequences are the exception when the catalog
is made with ``sequence_reads=True``: then they are catalog relations whose one row
(``last_value``, ``is_called``) the caller supplies per query (``sequences.py``):
:meth:`Catalog.sequences` says which a query reads, and :meth:`Catalog.execute` takes their
states.  Handler applications and the SQLite default both set it; the SQLite default reads
the states from its own sequence storage only for the queries that need them.

The engine is not thread-safe (the server runs it from the reactor thread); session-dependent
functions read the session passed to :meth:`Catalog.execute` for the duration of the call.
"""

from __future__ import annotations

import datetime
import re
import sqlite3
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any, Final

from sqlglot import exp

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.application import (
    AppRelation,
    AppSequence,
    AppType,
    OidAllocator,
    layout,
    layout_sequences,
    layout_types,
)
from txpostgres_proto.catalog.arrays import from_storage, to_storage
from txpostgres_proto.catalog.builtin import FIRST_NORMAL_OID, load
from txpostgres_proto.catalog.compiler import Compiler, constant_row
from txpostgres_proto.catalog.dialect import parse
from txpostgres_proto.catalog.directory import Directory
from txpostgres_proto.catalog.functions import is_known
from txpostgres_proto.catalog.literals import parse_number
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.catalog.rows import application_rows, application_type_rows
from txpostgres_proto.catalog.schema import SequenceDef, Table, UserType
from txpostgres_proto.catalog.scopes import Compiled, cast_target, ident
from txpostgres_proto.catalog.sequences import (
    SequenceInfo,
    SequenceState,
    create_state_table,
    store_states,
)
from txpostgres_proto.catalog.session import SessionInfo
from txpostgres_proto.catalog.sqlfuncs import reg_lookup, reg_name, register
from txpostgres_proto.catalog.store import Store
from txpostgres_proto.catalog.udf import FunctionContext
from txpostgres_proto.catalog.views import (
    VIEW_APPLICATION_ROWS,
    activity_row,
    application_view_rows,
    builtin_view_rows,
    database_rows,
    role_rows,
    settings_rows,
)
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

_SHOW: Final = re.compile(r"^\s*show\s+(.+?)\s*;?\s*$", re.IGNORECASE | re.DOTALL)
_SHOW_ALIASES: Final = {
    "transaction isolation level": "transaction_isolation",
    "time zone": "timezone",
    "session authorization": "session_authorization",
}
_MENTIONS_CATALOG: Final = re.compile(r"pg_|information_schema", re.IGNORECASE)
_STRING_LITERAL: Final = re.compile(r"'(?:[^']|'')*'")
#: Leading comments and the first word of a statement; only queries can be catalog statements.
_QUERY_START: Final = re.compile(
    r"^(?:\s+|--[^\n]*(?:\n|$)|/\*.*?\*/)*(?:\(|(select|with|values|table)\b)",
    re.IGNORECASE | re.DOTALL,
)
_FROM_TOKENS: Final = re.compile(r"\(|\)|\bfrom\s+[\w.\"]++\s*+(\()?", re.IGNORECASE)
#: Base catalogs holding application rows, and the predicate selecting those rows.
_APPLICATION_ROWS: Final = {
    "pg_namespace": "oid >= 16384",
    "pg_class": "oid >= 16384",
    "pg_attribute": "attrelid >= 16384",
    "pg_type": "oid >= 16384",
    "pg_enum": "oid >= 16384",
    "pg_index": "indexrelid >= 16384",
    "pg_constraint": "oid >= 16384",
    "pg_attrdef": "oid >= 16384",
    "pg_description": "objoid >= 16384",
    "pg_sequence": "seqrelid >= 16384",
    "pg_depend": "objid >= 16384",
    "pg_rewrite": "oid >= 16384",
}


@dataclass(frozen=True, slots=True)
class ResultColumn:
    """A result column as RowDescription describes it."""

    name: str
    type_oid: int
    typmod: int = -1
    table_oid: int = 0
    attnum: int = 0


@dataclass(slots=True)
class CatalogResult:
    """Rows of a catalog query, values ready for the type codecs.

    ``columns`` is shared by every result of the same statement (it is the compiled plan's):
    callers may keep it, and may recognise it by identity, but not change it.  (Not frozen:
    one is made per query, and a frozen dataclass costs twice as much to make.)
    """

    columns: Sequence[ResultColumn]
    rows: list[tuple[Any, ...]]
    command_tag: str = ""


@dataclass(frozen=True, slots=True)
class _Plan:
    """A compiled statement with everything its executions need, worked out once."""

    compiled: Compiled
    columns: tuple[ResultColumn, ...]
    #: ``p1``, ``p2``...: the names the compiled SQL gives ``$1``, ``$2``...
    param_names: tuple[str, ...]
    #: Per parameter: its client value as the compiled SQL expects it (`_bind`).
    binders: tuple[Callable[[Any], Any], ...]
    #: SQLite's rows as the Python values the codecs encode.
    convert_rows: Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]
    #: The application sequences the statement reads, in OID order.
    sequences: tuple[SequenceInfo, ...]
    #: The one row of a query of bare parameters and integers (`compiler.constant_row`).
    constant: tuple[str | int, ...] | None


@dataclass(frozen=True, slots=True)
class _Show:
    """A ``SHOW`` statement: what follows the keyword."""

    spelling: str


class _LRU(OrderedDict[str, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def lookup(self, key: str) -> Any:
        value = self.get(key)
        if value is not None:
            self.move_to_end(key)
        return value

    def store(self, key: str, value: Any) -> None:
        self[key] = value
        if len(self) > self.size:
            self.popitem(last=False)


class Catalog:
    """Emulated ``pg_catalog``/``information_schema`` describing the application's tables."""

    def __init__(
        self,
        database: str = "postgres",
        server_version: str = "15.18",
        owner: str = "postgres",
        cache_size: int = 512,
        *,
        sequence_reads: bool = False,
    ) -> None:
        self.database = database
        self._sequence_reads = sequence_reads
        self.server_version = server_version
        self._data = load()
        self._store = Store()
        self._alloc = OidAllocator()
        self._directory = Directory(self._data, owner)
        self._context = FunctionContext(
            self._directory, server_version, datetime.datetime.now(datetime.UTC)
        )
        register(self._store.conn, self._context)
        self._plans = _LRU(cache_size)
        self._routing = _LRU(cache_size * 4)
        self._relations: list[AppRelation] = []
        self._types: list[AppType] = []
        self._sequences: dict[tuple[str, str], SequenceInfo] = {}
        self._sequence_names: re.Pattern[str] | None = None
        create_state_table(self._store.conn)
        self._views_database = database
        #: The (user, database) `_sync_session` made visible last.
        self._synced: tuple[str, str] | None = None
        #: The spelling of each setting SHOW knows, by its lower-case name.
        self._show_names: dict[str, str] = {}
        for name in self._data.show:
            self._show_names.setdefault(name.lower(), name)
        #: The session settings ``pg_settings`` was last filled with (`_refresh_dynamic`).
        self._settings_values: dict[str, str] | None = None
        self._directory.databases[database] = self._alloc.oid("database", database)
        self._store.conn.execute("BEGIN")
        for name, rows in builtin_view_rows(self._data, self._directory, database).items():
            self._store.replace(name, rows)
        self._store.conn.execute("COMMIT")

    # -- the application's schema ------------------------------------------------------

    def set_tables(
        self,
        tables: Iterable[Table],
        types: Iterable[UserType] = (),
        sequences: Iterable[SequenceDef] = (),
    ) -> None:
        """(Re)load the application's relations, types and sequences; OIDs stay stable across
        calls.

        ``types`` are the application's enums and domains; those the tables' columns use are
        included whether listed or not.  ``sequences`` are the sequences with their options
        (``CREATE SEQUENCE``): a column default ``nextval('name')`` draws from the one of that
        name, and those not given are taken for ``serial`` ones (default options, owned by
        the column).  Raises ValueError for two different types of the same name, or a type
        named like a table (PostgreSQL's row types share the namespace).
        """
        tables = list(tables)
        user_types = _user_types(tables, types)
        namespaces = {
            name: oid for oid, name in self._directory.namespaces.items() if oid < FIRST_NORMAL_OID
        }
        laid_out_types = layout_types(user_types, namespaces, self._alloc)
        relations = layout(tables, namespaces, self._alloc)
        laid_out_sequences = layout_sequences(relations, sequences, namespaces, self._alloc)
        app_namespaces = {name: oid for name, oid in namespaces.items() if oid >= FIRST_NORMAL_OID}
        self._directory.set_application(
            relations,
            app_namespaces,
            application_type_rows(self._data, relations, laid_out_types),
            laid_out_types,
            laid_out_sequences,
        )
        conn = self._store.conn
        conn.execute("BEGIN")
        try:
            rows = application_rows(
                self._data, relations, namespaces, laid_out_types, laid_out_sequences
            )
            for name, where in _APPLICATION_ROWS.items():
                self._store.replace(f"pg_catalog.{name}", rows[name], where)
            views = application_view_rows(relations, rows, self._directory, self._views_database)
            for name, where in VIEW_APPLICATION_ROWS.items():
                self._store.replace(name, views.get(name, ()), where)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._relations = relations
        self._types = laid_out_types
        self._set_sequences(laid_out_sequences)

    def _set_sequences(self, laid_out: list[AppSequence]) -> None:
        if not self._sequence_reads:
            return
        sequences = {
            (seq.schema, seq.name): SequenceInfo(
                seq.schema, seq.name, seq.oid,
                seq.owner[0] if seq.owner else None, seq.owner[1] if seq.owner else None,
                start=seq.start,
            )
            for seq in laid_out
        }  # fmt: skip
        if sequences == self._sequences:
            return
        self._sequences = sequences
        names = sorted({re.escape(name) for _, name in sequences}, key=len, reverse=True)
        self._sequence_names = re.compile("|".join(names), re.IGNORECASE) if names else None
        # Which statements are the catalog's, and what their relations are, changed.
        self._plans.clear()
        self._routing.clear()

    def table_oid(self, schema: str, name: str) -> int | None:
        """OID of an application relation (for RowDescription), None if unknown."""
        for rel in self._relations:
            if rel.schema == schema and rel.name == name:
                return rel.oid
        return None

    def type_oid(self, schema: str, name: str) -> int | None:
        """OID of an application type: an enum, a domain or a table's row type; None if
        unknown."""
        for user_type in self._types:
            if user_type.schema == schema and user_type.name == name:
                return user_type.oid
        for rel in self._relations:
            if rel.schema == schema and rel.name == name:
                return rel.type_oid
        return None

    # -- routing -----------------------------------------------------------------------

    def handles(self, sql: str) -> bool:
        """True when ``sql`` is a query this catalog answers (see the module docstring)."""
        cached = self._routing.lookup(sql)
        if cached is not None:
            return bool(cached)
        answer = self._classify(sql)
        self._routing.store(sql, answer)
        return answer

    def _classify(self, sql: str) -> bool:
        if _SHOW.match(sql):
            return True
        if not _QUERY_START.match(sql):
            return False
        is_with = sql.lstrip()[:4].lower() == "with"
        if (
            not is_with
            and not _MENTIONS_CATALOG.search(sql)
            and (self._sequence_names is None or not self._sequence_names.search(sql))
            and _names_a_relation(sql)
        ):
            return False  # fast path: reads a relation, and none of the catalog's
        try:
            tree = parse(sql)
        except PostgresError:
            return False
        if not isinstance(tree, exp.Select | exp.SetOperation | exp.Subquery | exp.Values):
            return False
        ctes = {ident(cte.alias) for cte in tree.find_all(exp.CTE)}
        has_relation = False
        for table in tree.find_all(exp.Table):
            if not isinstance(table.this, exp.Identifier):
                continue
            has_relation = True
            schema = ident(table.args.get("db")) if table.args.get("db") else ""
            name = ident(table.this)
            if schema in ("pg_catalog", "information_schema"):
                continue
            if not schema and name in ctes:
                continue
            if not schema and ("pg_catalog", name) in self._data.relations:
                continue
            if (schema or "public", name) not in self._sequences:
                return False
        if has_relation:
            return True
        for call in tree.find_all(exp.Anonymous):
            if not is_known(str(call.this).lower()):
                return False
        for cast in tree.find_all(exp.Cast):
            if cast_target(cast) is None:
                return False
        return True

    # -- compiling ---------------------------------------------------------------------

    def _entry(self, sql: str) -> _Plan | _Show:
        """What ``sql`` is: a compiled query or a SHOW, remembered by SQL text (so is a
        statement that does not compile: its error is raised again)."""
        cached = self._plans.lookup(sql)
        if cached is None:
            return self._prepare(sql)
        if isinstance(cached, tuple):  # a statement that does not compile: (message, sqlstate)
            raise PostgresError(*cached)
        return cached  # type: ignore[no-any-return]

    def _prepare(self, sql: str) -> _Plan | _Show:
        entry: _Plan | _Show
        show = _SHOW.match(sql)
        if show is not None:
            entry = _Show(show.group(1))
        else:
            try:
                sequences = self._sequences if self._sequence_reads else None
                compiled = Compiler(sequences).compile(parse(sql))
            except PostgresError as error:
                self._plans.store(sql, (error.message, error.sqlstate))
                raise
            entry = self._make_plan(compiled)
        self._plans.store(sql, entry)
        return entry

    def _make_plan(self, compiled: Compiled) -> _Plan:
        columns = tuple(
            ResultColumn(c.name, c.ty.oid, c.ty.typmod, c.table_oid, c.attnum)
            for c in compiled.columns
        )
        converters = [t.converter(c.ty, self._reg_name) for c in compiled.columns]
        return _Plan(
            compiled,
            columns,
            tuple(f"p{n}" for n in range(1, len(compiled.param_types) + 1)),
            tuple(self._binder(ty) for ty in compiled.param_types),
            _rows_converter(converters),
            tuple(sorted(compiled.sequences, key=lambda seq: seq.oid)),
            constant_row(compiled.sql),
        )

    def _reg_name(self, type_oid: int, oid: int) -> str:
        kind = t.REG_KINDS.get(type_oid, "")
        return reg_name(self._directory, self._context.search_path(), kind, oid)

    def describe(self, sql: str) -> list[ResultColumn]:
        """Result columns of ``sql`` without running it (for Describe)."""
        entry = self._entry(sql)
        if isinstance(entry, _Show):
            return self._show_columns(entry.spelling)
        return list(entry.columns)

    def parameter_types(self, sql: str) -> list[int]:
        """Type OIDs of ``$1``, ``$2``... as PostgreSQL would infer them (ParameterDescription)."""
        entry = self._entry(sql)
        if isinstance(entry, _Show):
            return []
        return [ty.oid for ty in entry.compiled.param_types]

    def sequences(self, sql: str) -> tuple[SequenceInfo, ...]:
        """The application sequences whose state ``sql`` reads (in OID order): those it
        selects from, or all of them when it reads ``pg_sequences`` or calls
        ``pg_sequence_last_value``."""
        if not self._sequences:
            return ()
        entry = self._entry(sql)
        return () if isinstance(entry, _Show) else entry.sequences

    # -- running -----------------------------------------------------------------------

    def execute(
        self,
        sql: str,
        params: Sequence[Any],
        session: SessionInfo,
        sequence_states: Mapping[SequenceInfo, SequenceState] | None = None,
    ) -> CatalogResult:
        """Run a catalog query for ``session`` with ``params`` bound to ``$1``, ``$2``...

        ``sequence_states`` are the states of the sequences the query reads (see
        `sequences`); one left out reads as freshly created.
        """
        self._context.begin(session)
        if (session.user, session.database) != self._synced:
            self._sync_session(session)
        plan = self._entry(sql)
        if isinstance(plan, _Show):
            return self._show(plan.spelling)
        compiled = plan.compiled
        if compiled.dynamic:
            self._refresh_dynamic(compiled.dynamic, session, sql)
        if compiled.sequences:
            given = sequence_states or {}
            states = {
                seq: given[seq] if seq in given else SequenceState.fresh(seq)
                for seq in compiled.sequences
            }
            store_states(self._store.conn, states)
        binders = plan.binders
        if len(params) != len(binders):  # a missing value binds NULL, an extra one nothing
            params = [*params[: len(binders)], *[None] * (len(binders) - len(params))]
        bound = {
            name: bind(value)
            for name, bind, value in zip(plan.param_names, binders, params, strict=True)
        }
        raw = None if plan.constant is None else _constant_rows(plan.constant, bound)
        if raw is None:
            try:
                raw = self._store.conn.execute(compiled.sql, bound).fetchall()
            except sqlite3.Error as error:
                if self._context.error is not None:
                    raise self._context.error from None
                raise PostgresError(f"catalog query failed: {error}", "XX000") from None
        rows = plan.convert_rows(raw)
        return CatalogResult(plan.columns, rows, f"SELECT {len(rows)}")

    def _binder(self, ty: Ty) -> Callable[[Any], Any]:
        """`_bind` for parameters of type ``ty``, its type-dependent choices made once."""
        if ty.oid in t.REG_KINDS:
            return partial(self._bind, ty=ty)
        return _binder(ty)

    def _bind(self, value: Any, ty: Ty) -> Any:
        """A parameter value as the compiled SQL expects it; reg* names become OIDs."""
        kind = t.REG_KINDS.get(ty.oid)
        if kind is not None and isinstance(value, str | bytes):
            text = value.decode() if isinstance(value, bytes) else value
            if not text.strip().isdigit():
                return reg_lookup(self._directory, self._context.search_path(), kind, text)
        return _bind(value, ty)

    def _sync_session(self, session: SessionInfo) -> None:
        """Make the session's role and database visible in the catalogs (and remember whose
        they are: roles and databases are only ever added, so they stay visible)."""
        directory = self._directory
        if session.user not in directory.roles.values():
            directory.ensure_role(session.user, lambda name: self._alloc.oid("role", name))
            for name, rows in role_rows(self._data, directory).items():
                self._store.replace(name, rows)
            self._store.replace(
                "information_schema.enabled_roles",
                [{"role_name": name} for name in directory.roles.values()],
            )
        if session.database not in directory.databases:
            directory.databases[session.database] = self._alloc.oid("database", session.database)
            for name, rows in database_rows(directory).items():
                self._store.replace(name, rows)
        if session.database != self._views_database:
            self._rename_catalog(self._views_database, session.database)
            self._views_database = session.database
        self._synced = (session.user, session.database)

    def _rename_catalog(self, old: str, new: str) -> None:
        """Point information_schema's ``*_catalog`` columns at another database name."""
        conn = self._store.conn
        conn.execute("BEGIN")
        for (schema, name), relation in self._data.relations.items():
            if schema != "information_schema":
                continue
            for column in relation.columns:
                if column.name.endswith("_catalog") or column.name == "catalog_name":
                    conn.execute(
                        f'UPDATE information_schema."{name}" SET "{column.name}" = ? '
                        f'WHERE "{column.name}" = ?',
                        (new, old),
                    )
        conn.execute("COMMIT")

    def _refresh_dynamic(self, names: frozenset[str], session: SessionInfo, sql: str) -> None:
        if "pg_settings" in names:
            values = {name.lower(): value for name, value in session.all_settings()}
            if values != self._settings_values:  # else the table holds these values already
                self._store.replace("pg_catalog.pg_settings", settings_rows(self._data, values))
                self._settings_values = values
        if "pg_stat_activity" in names:
            row = activity_row(
                self._directory, session, self._context.setting("application_name") or "",
                self._context.start_time, self._context.query_time, sql,
            )  # fmt: skip
            self._store.replace("pg_catalog.pg_stat_activity", [row])

    # -- SHOW ----------------------------------------------------------------------------

    def _setting_name(self, spelling: str) -> str:
        key = " ".join(spelling.strip().strip('"').split()).lower()
        key = _SHOW_ALIASES.get(key, key)
        return self._show_names.get(key, key)

    def _show_columns(self, spelling: str) -> list[ResultColumn]:
        if spelling.strip().lower() == "all":
            return [ResultColumn(name, oids.TEXT) for name in ("name", "setting", "description")]
        return [ResultColumn(self._setting_name(spelling), oids.TEXT)]

    def _show(self, spelling: str) -> CatalogResult:
        columns = self._show_columns(spelling)
        if spelling.strip().lower() == "all":
            descriptions = {
                row["name"]: row["short_desc"]
                for row in self._data.table("pg_catalog.pg_settings").dicts()
            }
            names = sorted(set(self._data.show) | {n for n, _ in _session_settings(self._context)},
                           key=str.lower)  # fmt: skip
            rows = [(name, self._context.setting(name), descriptions.get(name)) for name in names]
            return CatalogResult(columns, rows, "SHOW")
        name = columns[0].name
        value = self._context.setting(name)
        if value is None:
            raise PostgresError(f'unrecognized configuration parameter "{name}"', "42704")
        return CatalogResult(columns, [(value,)], "SHOW")


def _user_types(tables: list[Table], listed: Iterable[UserType]) -> list[UserType]:
    """The listed types plus those the columns use, each once (see `Catalog.set_tables`)."""
    found: dict[tuple[str, str], UserType] = {}
    used = (column.user_type for table in tables for column in table.columns)
    for user_type in [*listed, *used]:
        if user_type is None:
            continue
        key = (user_type.schema, user_type.name)
        if found.setdefault(key, user_type) != user_type:
            raise ValueError(f"two different types are named {user_type.name!r}")
    for table in tables:
        if (table.schema, table.name) in found:
            raise ValueError(f"type {table.name!r} has the name of a table")
    return list(found.values())


def _names_a_relation(sql: str) -> bool:
    """Whether the top-level FROM clause starts with a plain name (not a function call,
    VALUES or a subquery); ``substring(x FROM 2)`` and the like are inside parentheses."""
    depth = 0
    for match in _FROM_TOKENS.finditer(_STRING_LITERAL.sub("''", sql)):
        token = match.group(0)
        if token == "(":
            depth += 1
        elif token == ")":
            depth -= 1
        elif depth == 0 and match.group(1) is None:
            return True
    return False


def _session_settings(context: FunctionContext) -> Iterable[tuple[str, str]]:
    return context.session.all_settings() if context.session is not None else ()


def _rows_converter(
    converters: Sequence[Callable[[Any], Any]],
) -> Callable[[list[tuple[Any, ...]]], list[tuple[Any, ...]]]:
    """SQLite rows -> codec values, NULL staying None (one column, the common case of
    function calls and lookups, without a list per row; a list rather than a generator per
    row otherwise, which is three times faster)."""
    if len(converters) == 1:
        (convert,) = converters
        return lambda raw: [(None if row[0] is None else convert(row[0]),) for row in raw]
    return lambda raw: [
        tuple([None if value is None else convert(value)
               for convert, value in zip(converters, row, strict=True)])
        for row in raw
    ]  # fmt: skip


def _constant_rows(
    constant: tuple[str | int, ...], bound: dict[str, Any]
) -> list[tuple[Any, ...]] | None:
    """What SQLite returns for a `compiler.constant_row` query: its row, the bound values in
    place of the parameters; None (run it) unless every bound value is one SQLite gives back
    unchanged (NULL, a 64-bit integer, ASCII text: not a NaN, nor a string it cannot encode).
    """
    row: list[Any] = []
    for item in constant:
        if type(item) is str:
            item = bound[item]
            kind = type(item)
            if not (
                item is None
                or (kind is str and item.isascii())
                or (kind is int and -(2**63) <= item < 2**63)
            ):
                return None
        row.append(item)
    return [tuple(row)]


def _binder(ty: Ty) -> Callable[[Any], Any]:
    """`_bind` for type ``ty``; where `_bind` leaves a ``str`` as it is, a ``str`` skips it."""
    keeps_text = not (
        t.is_array(ty)
        or ty.oid == oids.BOOL
        or ty.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC)
        or t.is_integer_like(ty)
    )
    if keeps_text:
        return lambda value: value if type(value) is str else _bind(value, ty)
    return partial(_bind, ty=ty)


def _bind(value: Any, ty: Ty) -> Any:
    """A parameter value as the compiled SQL expects it (see store.py's conventions)."""
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        value = bytes(value).decode()
    if t.is_array(ty):
        items = list(value) if isinstance(value, list | tuple) else from_storage(str(value))
        element = t.element_of(ty)
        if items is not None and (t.is_integer_like(element) and element.oid not in t.REG_TYPES):
            items = [None if item is None else int(item) for item in items]
        return to_storage(items)
    if ty.oid == oids.BOOL:
        if isinstance(value, str):
            return int(value.strip().lower() in ("t", "true", "1", "y", "yes", "on"))
        return int(bool(value))
    numeric = ty.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC)
    if isinstance(value, str) and (numeric or ty.oid in t.INTEGER_TYPES):
        return parse_number(value, ty)
    if t.is_integer_like(ty):
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)  # an OID
        return int(value) if isinstance(value, int | float | Decimal) else value
    if numeric:
        return float(value) if isinstance(value, Decimal) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return value
    return str(value)
