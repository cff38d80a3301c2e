"""Read the schema of the SQLite database back, in PostgreSQL's terms.

After DDL the backend reflects the database (``sqlite_schema`` plus the ``table_info``,
``index_list``, ``index_info`` and ``foreign_key_list`` pragmas) into a `Schema`: tables and
views with their columns' PostgreSQL types (from the declared types, see ``typemap.py``),
nullability, defaults, primary keys, indexes and foreign keys.  The same snapshot serves three
purposes:

* the catalog emulation is fed from it (`Schema.catalog_tables`), so ``\\d items`` shows what
  ``CREATE TABLE`` said: a column's default as the application wrote it in PostgreSQL
  (`DEFAULTS_TABLE`, kept by ``ddl.py`` and ``alter.py`` while the SQLite default is the one
  it was written for; a file written before has its defaults read back from their SQLite
  translation, `pg_default`);
* result columns and parameters are typed from it (``resolve.py``);
* SQLite's terse constraint errors are turned into PostgreSQL's, which name the constraint
  (``errors.py``).

The application's enums and domains (``usertypes.py``) are read along with the tables, so that
the catalog can describe them and ``CREATE TABLE`` can use them; so are the sequences' options
(the sequence table, ``sequences.py``), which the catalog shows in ``pg_sequence`` (psql's
``\\d seq``, pg_dump's ``CREATE SEQUENCE``), with their owning columns.

Constraint and index names follow PostgreSQL's defaults for what SQLite leaves unnamed
(``items_pkey``, ``items_name_key``, ``items_owner_fkey``); names given with ``CONSTRAINT name``
are read back from the stored ``CREATE TABLE``, and indexes made with ``CREATE INDEX`` keep
theirs.  Tables whose name starts with ``sqlite_`` or ``_txpg_`` are internal and not
shown.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import sqlite3
from dataclasses import dataclass, field
from typing import Any, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from txpostgres_proto.catalog.defaults import quote_identifier
from txpostgres_proto.catalog.schema import (
    REFERENTIAL_ACTIONS,
    Column,
    Domain,
    EnumType,
    ForeignKey,
    Index,
    SequenceDef,
    Table,
)
from txpostgres_proto.sqlite.sequence_ddl import unqualified
from txpostgres_proto.sqlite.sequences import SEQUENCE_TABLE, TYPE_RANGES, SequenceOptions
from txpostgres_proto.sqlite.typemap import PgType, format_type_name, pg_type_of
from txpostgres_proto.sqlite.usertypes import UserTypeDef, read_user_types
from txpostgres_proto.types import oids

_NEXTVAL: Final = re.compile(r"^nextval\('([^']+)'\)$", re.IGNORECASE)
#: A call of ``nextval`` anywhere in a default (its argument possibly cast to regclass).
_CALLED: Final = re.compile(r"\bnextval\(\s*(?:pg_cast\(\s*)?'((?:[^']|'')+)'", re.IGNORECASE)
_STRING: Final = re.compile(r"^'((?:[^']|'')*)'$")
#: What an array element's text needs quoting for (PostgreSQL's array_out).
_NEEDS_QUOTES: Final = re.compile(r'[{}",\\\s]')
#: The functions a default's SQLite text calls for SQL's keywords (``rewrite.py``).
_SQLITE_KEYWORDS: Final[dict[str, type[exp.Expression]]] = {
    "pg_current_date": exp.CurrentDate,
    "pg_current_time": exp.CurrentTime,
    "pg_localtimestamp": exp.Localtimestamp,
}
INTERNAL_PREFIXES: Final = ("sqlite_", "_txpg_")
#: The PostgreSQL text of column defaults (written by ``ddl.py``): for each (table, column),
#: the default as the application wrote it (``expression``; NULL when the column has none of
#: its own in PostgreSQL: a domain's default written into the column) and the SQLite default
#: text it was kept for (``stored``, as ``PRAGMA table_info`` gives it).
DEFAULTS_TABLE: Final = "_txpg_defaults"
DEFAULTS_TABLE_SQL: Final = (
    f'CREATE TABLE IF NOT EXISTS "{DEFAULTS_TABLE}" (relation TEXT NOT NULL, '
    "attribute TEXT NOT NULL, stored TEXT NOT NULL, expression TEXT, "
    "PRIMARY KEY (relation, attribute))"
)
_COLUMN_CONSTRAINT_KINDS: Final[dict[type, str]] = {
    exp.PrimaryKeyColumnConstraint: "pk",
    exp.UniqueColumnConstraint: "u",
    exp.Reference: "fk",
}


@dataclass(frozen=True, slots=True)
class ColumnInfo:
    """One column: its PostgreSQL type, NOT NULL, SQLite default text, place in the primary key."""

    name: str
    pg_type: PgType
    not_null: bool
    default: str | None
    pk_position: int
    #: ``"a"`` (``GENERATED ALWAYS AS IDENTITY``), ``"d"`` (``BY DEFAULT``) or ``""``: the
    #: column's sequence's row says so (``sequences.py``).
    identity: str = ""
    #: Whether the PostgreSQL text of the default was kept (``ddl.DEFAULTS_TABLE``), and that
    #: text (None: the column has no default of its own in PostgreSQL).
    kept: bool = False
    written: str | None = None

    @property
    def sequence(self) -> str | None:
        """The sequence of a serial/identity column (its default is ``nextval('seq')``)."""
        match = _NEXTVAL.match(self.default or "")
        return match.group(1) if match else None

    @property
    def sequences_used(self) -> tuple[str, ...]:
        """Every sequence whose ``nextval`` the column's default calls (it depends on them)."""
        if self.sequence is not None:
            return (self.sequence,)
        return tuple(
            dict.fromkeys(unqualified(name) for name in _CALLED.findall(self.default or ""))
        )


@dataclass(frozen=True, slots=True)
class IndexInfo:
    """An index; ``columns`` holds None for expression parts."""

    name: str
    columns: tuple[str | None, ...]
    unique: bool
    primary: bool
    constraint: bool


@dataclass(frozen=True, slots=True)
class ForeignKeyInfo:
    name: str
    columns: tuple[str, ...]
    ref_table: str
    ref_columns: tuple[str, ...]
    on_update: str = "NO ACTION"
    on_delete: str = "NO ACTION"


@dataclass(frozen=True, slots=True)
class TableInfo:
    """A table (``kind`` ``r``) or view (``v``)."""

    name: str
    kind: str
    columns: tuple[ColumnInfo, ...]
    indexes: tuple[IndexInfo, ...] = ()
    foreign_keys: tuple[ForeignKeyInfo, ...] = ()
    definition: str | None = None
    #: The stored ``CREATE TABLE`` and ``CREATE INDEX`` statements (for ALTER's rebuilds).
    sql: str | None = None
    index_sql: tuple[str, ...] = ()

    def column(self, name: str) -> tuple[int, ColumnInfo] | None:
        """``(attnum, column)`` by name: exact match first, then case-insensitive."""
        for attnum, column in enumerate(self.columns, 1):
            if column.name == name:
                return attnum, column
        folded = name.lower()
        for attnum, column in enumerate(self.columns, 1):
            if column.name.lower() == folded:
                return attnum, column
        return None

    def index_on(self, columns: tuple[str, ...]) -> IndexInfo | None:
        """The unique index (or primary key) over exactly ``columns``."""
        wanted = tuple(column.lower() for column in columns)
        for index in self.indexes:
            names = tuple((column or "").lower() for column in index.columns)
            if index.unique and names == wanted:
                return index
        return None


@dataclass(frozen=True, slots=True)
class StoredSequence:
    """A row of the sequence table: the options, whether ``CREATE SEQUENCE`` made it, the
    table and column of its ``OWNED BY`` (table ``""``: ``OWNED BY NONE``; None: never said;
    column None: a row written before the column was kept), and the kind of identity column
    it is the sequence of (``"a"``, ``"d"``, None)."""

    options: SequenceOptions
    created: bool
    owned_by: str | None
    owned_column: str | None = None
    identity: str | None = None

    def owned_by_column(self, table: str, column: str) -> bool:
        """Whether ``OWNED BY`` names this column of this table."""
        return (
            self.owned_by is not None
            and self.owned_by.lower() == table.lower()
            and (self.owned_column or "").lower() == column.lower()
        )


@dataclass(frozen=True)
class Schema:
    """Every user table and view of the database, and its enums and domains, by name."""

    tables: dict[str, TableInfo] = field(default_factory=dict)
    types: dict[str, UserTypeDef] = field(default_factory=dict)
    #: The sequences made with CREATE SEQUENCE (relations of their own: ``sequences.py``).
    created_sequences: frozenset[str] = frozenset()
    #: Every row of the sequence table, by sequence name (in the order they were made).
    stored_sequences: dict[str, StoredSequence] = field(default_factory=dict)

    def table(self, name: str) -> TableInfo | None:
        found = self.tables.get(name)
        if found is not None:
            return found
        folded = name.lower()
        for table_name, table in self.tables.items():
            if table_name.lower() == folded:
                return table
        return None

    @functools.cached_property
    def sequences(self) -> dict[str, tuple[str, str]]:
        """Sequence name → (table, column) for every serial/identity column: of the columns
        whose default draws from a sequence, the one it was made for (an identity column, or
        the serial column named in the sequence's name), else the first."""
        users: dict[str, list[tuple[str, str]]] = {}
        for table in self.tables.values():
            for column in table.columns:
                if column.sequence is not None:
                    users.setdefault(column.sequence, []).append((table.name, column.name))
        owned: dict[str, tuple[str, str]] = {}
        for name, found in users.items():
            made_for = [
                (table, column)
                for table, column in found
                if f"{table}_{column}_seq" == name or self._is_identity(table, column)
            ]
            owned[name] = (made_for or found)[0]
        return owned

    @functools.cached_property
    def sequence_users(self) -> dict[str, list[tuple[str, str]]]:
        """Sequence name → every (table, column) whose default calls its ``nextval`` (and so
        depends on it), in the order of the tables and their columns."""
        users: dict[str, list[tuple[str, str]]] = {}
        for table in self.tables.values():
            for column in table.columns:
                for name in column.sequences_used:
                    users.setdefault(name, []).append((table.name, column.name))
        return users

    def _is_identity(self, table: str, column: str) -> bool:
        found = self.tables[table].column(column)
        return found is not None and bool(found[1].identity)

    @functools.cached_property
    def sequence_types(self) -> dict[str, str]:
        """Sequence name → its data type, that of its serial/identity column."""
        types = {oids.INT2: "smallint", oids.INT4: "integer"}
        found = {}
        for name, (table, column) in self.sequences.items():
            info = self.tables[table].column(column)
            oid = info[1].pg_type.oid if info is not None else oids.INT8
            found[name] = types.get(oid, "bigint")
        return found

    def catalog_tables(self) -> tuple[Table, ...]:
        """The schema as the catalog emulation's `Table` objects."""
        types = {name: found.catalog_type() for name, found in self.types.items()}
        return tuple(_catalog_table(table, types) for table in self.tables.values())

    def catalog_sequences(self) -> tuple[SequenceDef, ...]:
        """The sequences with their options as the catalog emulation's objects: those made
        with CREATE SEQUENCE, and those of serial and identity columns (owned by the column
        unless ``OWNED BY`` said otherwise)."""
        found = [
            _sequence_def(name, stored.options, self._owned_by(name, stored))
            for name, stored in self.stored_sequences.items()
            if stored.created
        ]
        for name, owner in self.sequences.items():
            row = self.stored_sequences.get(name)
            if row is None or not row.created:
                said = owner if row is None or row.owned_by is None else self._owned_by(name, row)
                found.append(_sequence_def(name, self._column_options(name, row), said))
        return tuple(definition for definition in found if definition is not None)

    def owned_sequences(self, table: str, column: str) -> set[str]:
        """The sequences column ``column`` of ``table`` owns (dropped with it): those ``OWNED
        BY`` it, and those its default draws from that no ``OWNED BY`` gave away (a serial
        or identity column's; not one made by CREATE SEQUENCE without ``OWNED BY``)."""
        found = {
            name
            for name, stored in self.stored_sequences.items()
            if stored.owned_by_column(table, column)
        }
        for name, (owner, used_by) in self.sequences.items():
            if owner.lower() != table.lower() or used_by.lower() != column.lower():
                continue
            stored = self.stored_sequences.get(name)
            if stored is None or (stored.owned_by is None and not stored.created):
                found.add(name)
            elif stored.owned_column is None and (stored.owned_by or "").lower() == owner.lower():
                found.add(name)  # a row that kept only the table
        return found

    def _owned_by(self, name: str, stored: StoredSequence) -> tuple[str, str] | None:
        """The column of a sequence's ``OWNED BY`` (None: none, or not in the schema); for a
        row that kept only the table, that table's column whose default draws from it."""
        table = self.table(stored.owned_by) if stored.owned_by else None
        if table is None:
            return None
        if stored.owned_column is not None:
            found = table.column(stored.owned_column)
            return (table.name, found[1].name) if found is not None else None
        for column in table.columns:
            if column.sequence == name:
                return table.name, column.name
        return None

    def column_options(self, name: str) -> SequenceOptions:
        """The options of the sequence of a serial/identity column, as the catalog shows them."""
        return self._column_options(name, self.stored_sequences.get(name))

    def _column_options(self, name: str, stored: StoredSequence | None) -> SequenceOptions:
        """The options of a serial/identity column's sequence: its row's, else (no value was
        taken yet) those it will be made with.  A row with a bigint sequence's defaults for a
        narrower column, saying no owner, is one kept before the options were (or left by a
        dropped table of the same name): PostgreSQL's serial sequence has the column's type
        (the row of a serial column whose type changed names its owner: `serial_keep_sql`)."""
        data_type = self.sequence_types[name]
        typed = SequenceOptions(data_type, max_value=TYPE_RANGES[data_type][1])
        if stored is None or (stored.options == SequenceOptions() and stored.owned_by is None):
            return typed
        return stored.options

    def catalog_types(self) -> tuple[EnumType | Domain, ...]:
        """The enums and domains as the catalog emulation's objects."""
        return tuple(found.catalog_type() for found in self.types.values())

    def type_users(self) -> dict[str, tuple[str, str]]:
        """A column (table, column) using each enum or domain that is in use."""
        users: dict[str, tuple[str, str]] = {}
        for table in self.tables.values():
            for column in table.columns:
                if column.pg_type.user_type is not None:
                    users.setdefault(column.pg_type.user_type, (table.name, column.name))
        return users


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _columns(
    conn: sqlite3.Connection, table: str, kept: dict[tuple[str, str], tuple[str, str | None]]
) -> tuple[ColumnInfo, ...]:
    """The columns of ``table``; ``kept``: the PostgreSQL texts of defaults (`_kept_defaults`),
    each taken while the column's SQLite default is still the one it was kept for."""
    rows = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    columns = []
    for _cid, name, declared, not_null, default, pk in rows:
        pg_type = pg_type_of(declared or "")
        column = ColumnInfo(name, pg_type, bool(not_null) or pk > 0, default, pk)
        found = kept.get((table, name)) if default is not None else None
        if found is not None and found[0] == default:
            column = dataclasses.replace(column, kept=True, written=found[1])
        columns.append(column)
    return tuple(columns)


def _kept_defaults(conn: sqlite3.Connection) -> dict[tuple[str, str], tuple[str, str | None]]:
    """(table, column) → (SQLite default text, PostgreSQL text) of the defaults ``ddl.py`` kept
    the text of; none in a database file written before it did."""
    try:
        rows = conn.execute(
            f'SELECT relation, attribute, stored, expression FROM "{DEFAULTS_TABLE}"'
        ).fetchall()
    except sqlite3.OperationalError:
        return {}
    return {(table, column): (stored, text) for table, column, stored, text in rows}


def _declared_names(sql: str | None) -> dict[tuple[str, tuple[str, ...]], str]:
    """Names given with ``CONSTRAINT name`` in a stored CREATE TABLE, by (kind, columns):
    kind ``pk``, ``u`` (unique) or ``fk``; columns in lower case."""
    if not sql:
        return {}
    try:
        tree = sqlglot.parse_one(sql, read="sqlite")
    except SqlglotError:
        return {}
    names: dict[tuple[str, tuple[str, ...]], str] = {}
    for node in tree.find_all(exp.Constraint, exp.ColumnConstraint):
        if not node.name:
            continue
        if isinstance(node, exp.ColumnConstraint):
            column = node.parent.name.lower() if isinstance(node.parent, exp.ColumnDef) else ""
            label = _COLUMN_CONSTRAINT_KINDS.get(type(node.args.get("kind")))
            if label is not None:
                names[(label, (column,))] = node.name
            continue
        inner = node.expressions[0] if node.expressions else None
        if isinstance(inner, exp.PrimaryKey | exp.ForeignKey):
            key = ("pk" if isinstance(inner, exp.PrimaryKey) else "fk", _lower(inner.expressions))
            names[key] = node.name
        elif isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
            names[("u", _lower(inner.this.expressions))] = node.name
    return names


def _lower(parts: list[exp.Expression]) -> tuple[str, ...]:
    return tuple(part.name.lower() for part in parts)


def _indexes(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[ColumnInfo, ...],
    declared: dict[tuple[str, tuple[str, ...]], str],
) -> tuple[IndexInfo, ...]:
    indexes = []
    has_primary = False
    for _seq, name, unique, origin, _partial in conn.execute(
        f"PRAGMA index_list({_quote(table)})"
    ).fetchall():
        parts = tuple(
            row[2] for row in conn.execute(f"PRAGMA index_info({_quote(name)})").fetchall()
        )
        key = tuple((part or "").lower() for part in parts)
        if origin == "pk":
            has_primary = True
            label = declared.get(("pk", key), f"{table}_pkey")
            indexes.append(IndexInfo(label, parts, True, True, True))
        elif origin == "u":
            default = f"{table}_{'_'.join(part or 'expr' for part in parts)}_key"
            indexes.append(IndexInfo(declared.get(("u", key), default), parts, True, False, True))
        else:
            indexes.append(IndexInfo(name, parts, bool(unique), False, False))
    keyed = sorted((column for column in columns if column.pk_position), key=_pk_order)
    if keyed and not has_primary:
        names = tuple(column.name for column in keyed)
        label = declared.get(("pk", tuple(name.lower() for name in names)), f"{table}_pkey")
        indexes.insert(0, IndexInfo(label, names, True, True, True))
    indexes.sort(key=lambda index: not index.primary)
    return tuple(indexes)


def _pk_order(column: ColumnInfo) -> int:
    return column.pk_position


def _foreign_keys(
    conn: sqlite3.Connection, table: str, declared: dict[tuple[str, tuple[str, ...]], str]
) -> tuple[ForeignKeyInfo, ...]:
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for row in conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall():
        grouped.setdefault(row[0], []).append(row)
    keys = []
    for parts in reversed(list(grouped.values())):
        _id, _seq, ref_table, _source, _target, on_update, on_delete = parts[0][:7]
        sources = tuple(part[3] for part in parts)
        targets = tuple(part[4] for part in parts)
        if None in targets:  # REFERENCES t without columns: t's primary key
            targets = _primary_key(conn, ref_table) or sources
        default = f"{table}_{'_'.join(sources)}_fkey"
        name = declared.get(("fk", tuple(source.lower() for source in sources)), default)
        keys.append(ForeignKeyInfo(name, sources, ref_table, targets, on_update, on_delete))
    return tuple(keys)


def _primary_key(conn: sqlite3.Connection, table: str) -> tuple[str, ...]:
    """The primary key columns of ``table``, in key order (empty when it has none)."""
    rows = conn.execute(f"PRAGMA table_info({_quote(table)})").fetchall()
    return tuple(row[1] for row in sorted((row for row in rows if row[5]), key=lambda r: r[5]))


def _view_definition(sql: str | None) -> str | None:
    if not sql:
        return None
    match = re.search(r"\bAS\b\s*(.*)$", sql, re.IGNORECASE | re.DOTALL)
    return match.group(1).strip() if match else None


def reflect(conn: sqlite3.Connection) -> Schema:
    """A snapshot of the user tables and views as ``conn`` sees them now."""
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY rowid"
    ).fetchall()
    tables = {}
    kept = _kept_defaults(conn)
    for kind, name, sql in rows:
        if name.startswith(INTERNAL_PREFIXES):
            continue
        try:
            columns = _columns(conn, name, kept)
        except sqlite3.OperationalError:
            continue  # a view whose tables changed under it: unusable, not shown
        if kind == "view":
            tables[name] = TableInfo(name, "v", columns, definition=_view_definition(sql))
            continue
        declared = _declared_names(sql)
        indexes = _indexes(conn, name, columns, declared)
        index_sql = tuple(
            row[0]
            for row in conn.execute(
                "SELECT sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY rowid",
                (name,),
            )
        )
        tables[name] = TableInfo(
            name,
            "r",
            columns,
            indexes,
            _foreign_keys(conn, name, declared),
            sql=sql,
            index_sql=index_sql,
        )
    stored = _stored_sequences(conn)
    created = frozenset(name for name, found in stored.items() if found.created)
    for name, table in tables.items():
        tables[name] = _with_identities(table, stored)
    return Schema(tables, read_user_types(conn), created, stored)


def _with_identities(table: TableInfo, stored: dict[str, StoredSequence]) -> TableInfo:
    """``table`` with its identity columns marked: those whose sequence's row says it is an
    identity column's, owned by the column."""
    if table.kind != "r":
        return table
    columns = []
    for column in table.columns:
        row = stored.get(column.sequence or "")
        if row is not None and row.identity and row.owned_by_column(table.name, column.name):
            column = dataclasses.replace(column, identity=row.identity)
        columns.append(column)
    return dataclasses.replace(table, columns=tuple(columns))


def _stored_sequences(conn: sqlite3.Connection) -> dict[str, StoredSequence]:
    try:
        rows = conn.execute(
            "SELECT name, data_type, increment, min_value, max_value, start_value, cache, "
            f"cycle, created, owned_by, owned_column, identity FROM {SEQUENCE_TABLE} "
            "ORDER BY rowid"
        ).fetchall()
    except sqlite3.OperationalError:  # a database file no server has opened (or upgraded) yet
        return {}
    return {
        name: StoredSequence(
            SequenceOptions(
                str(data_type), int(increment), int(low), int(high), int(start), int(cache),
                bool(cycle),
            ),
            bool(created),
            owned_by,
            owned_column,
            identity,
        )
        for (
            name, data_type, increment, low, high, start, cache, cycle, created, owned_by,
            owned_column, identity,
        ) in rows
    }  # fmt: skip


def _sequence_def(
    name: str, options: SequenceOptions, owner: tuple[str, str] | None
) -> SequenceDef | None:
    """The catalog's view of a sequence (None for options it cannot describe: a database
    file edited by hand)."""
    try:
        return SequenceDef(
            name,
            type=options.data_type,
            increment=options.increment,
            min_value=options.min_value,
            max_value=options.max_value,
            start=options.start,
            cache=options.cache,
            cycle=options.cycle,
            owner=owner,
        )
    except ValueError:
        return None


def pg_default(column: ColumnInfo) -> str | None:
    """The default as the catalog is to read it (``catalog/defaults.py`` prints it as
    ``pg_get_expr(adbin)`` does): the PostgreSQL text kept for it, else read back from the
    SQLite text (a database file written before the texts were kept)."""
    if column.kept:
        return column.written
    text = column.default
    if text is None:
        return None
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    sequence = _NEXTVAL.match(text)
    if sequence:
        name = quote_identifier(sequence.group(1)).replace("'", "''")
        return f"nextval('{name}'::regclass)"
    if column.pg_type.oid == oids.BOOL and text.upper() in ("1", "0", "TRUE", "FALSE"):
        return "true" if text.upper() in ("1", "TRUE") else "false"
    string = _STRING.match(text)
    if string:  # the column's value, stored in its SQLite form: the catalog types it
        if column.pg_type.element is not None:
            return _array_literal(string.group(1).replace("''", "'"))
        return text
    return _from_sqlite(text)


def _array_literal(stored: str) -> str:
    """An array stored as JSON (``[1,"a b"]``) as PostgreSQL's array literal (``'{1,"a b"}'``);
    the stored text quoted when it is no JSON array."""
    try:
        value = json.loads(stored)
    except ValueError:
        value = None
    text = _array_text(value) if isinstance(value, list) else stored
    return "'" + text.replace("'", "''") + "'"


def _array_text(value: Any) -> str:
    if isinstance(value, list):
        return "{" + ",".join(_array_text(item) for item in value) + "}"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "t" if value else "f"
    text = str(value)
    if text and not _NEEDS_QUOTES.search(text) and text.upper() != "NULL":
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _from_sqlite(text: str) -> str:
    """A default's SQLite translation as the PostgreSQL it stands for, where the translation
    says (``pg_current_date()`` is ``CURRENT_DATE``, ``pg_cast(x, oid, typmod)`` a cast,
    ``json_array(...)`` an ARRAY); the text as it is when it cannot be read."""
    try:
        tree = sqlglot.parse_one(f"SELECT {text}", read="sqlite").expressions[0]
    except (SqlglotError, IndexError):
        return text
    return str(tree.transform(_pg_node).sql(dialect="postgres", normalize_functions="lower"))


def _pg_node(node: exp.Expression) -> exp.Expression:
    if not isinstance(node, exp.Anonymous):
        return node
    name, arguments = str(node.this).lower(), node.expressions
    keyword = _SQLITE_KEYWORDS.get(name)
    if keyword is not None and not arguments:
        return keyword()
    if name == "json_array":
        return exp.Array(expressions=arguments)
    if name != "pg_cast" or len(arguments) != 3:
        return node
    try:
        pg_type = PgType(int(arguments[1].name), int(arguments[2].sql()))
        spelled = pg_type.declaration()
        if spelled.startswith("_"):  # an array
            spelled = format_type_name(pg_type)
        return exp.Cast(this=arguments[0], to=exp.DataType.build(spelled, dialect="postgres"))
    except (ValueError, SqlglotError):
        return node


def _column_type(pg_type: PgType, types: dict[str, EnumType | Domain]) -> str | EnumType | Domain:
    """A column's type for the catalog: its enum or domain, else the type's SQL spelling."""
    if pg_type.user_type is not None:
        found = types.get(pg_type.user_type)
        if found is not None:
            return found
        pg_type = PgType(pg_type.oid, pg_type.typmod)
    return pg_type.declaration()


def _catalog_table(table: TableInfo, types: dict[str, EnumType | Domain]) -> Table:
    columns = tuple(
        Column(
            name=column.name,
            type=_column_type(column.pg_type, types),
            nullable=not column.not_null,
            default=None if column.identity else pg_default(column),
            identity=column.identity,
        )
        for column in table.columns
    )
    indexes = tuple(
        Index(
            name=index.name,
            columns=tuple(part for part in index.columns if part is not None),
            unique=index.unique,
            primary=index.primary,
            constraint=index.constraint and not index.primary,
        )
        for index in table.indexes
        if index.columns and all(part is not None for part in index.columns)
    )
    foreign_keys = tuple(
        ForeignKey(
            key.columns,
            key.ref_table,
            key.ref_columns,
            name=key.name,
            on_update=key.on_update if key.on_update in REFERENTIAL_ACTIONS else "NO ACTION",
            on_delete=key.on_delete if key.on_delete in REFERENTIAL_ACTIONS else "NO ACTION",
        )
        for key in table.foreign_keys
    )
    return Table(
        name=table.name,
        columns=columns,
        kind=table.kind,
        indexes=indexes,
        definition=table.definition,
        foreign_keys=foreign_keys,
    )
