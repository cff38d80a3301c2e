"""How an application describes its tables and types to the catalog emulation.

A server built on txpostgres_proto answers its own SQL, but clients also ask PostgreSQL's system
catalogs about the tables they see (psql ``\\d``, JDBC ``DatabaseMetaData``, SQLAlchemy
reflection, asyncpg's type introspection).  The application states its schema with these frozen
dataclasses and hands them to :meth:`txpostgres_proto.catalog.Catalog.set_tables`; the catalog
turns them into ``pg_class``/``pg_attribute``/``pg_type``/``pg_enum``/``pg_index``/
``pg_constraint``/... rows and into the ``information_schema`` views.  Primary keys, unique
indexes, :class:`ForeignKey` and :class:`Check` constraints appear as PostgreSQL shows them
(psql's "Foreign-key constraints:", "Referenced by:" and "Check constraints:", SQLAlchemy's
``get_foreign_keys``, JDBC's ``getImportedKeys``, pg_dump's ``CONSTRAINT ... CHECK``).

Column types are a type OID, any SQL spelling of a built-in type (``int4``, ``integer``,
``varchar(20)``, ``numeric(10,2)``, ``timestamp with time zone``, ``text[]``), or an
application-defined type: an :class:`EnumType` (``CREATE TYPE … AS ENUM``, ``typtype`` 'e') or
a :class:`Domain` (``CREATE DOMAIN``, ``typtype`` 'd').
``serial``/``bigserial``/``smallserial`` work as in ``CREATE TABLE``: the column becomes a
``NOT NULL`` integer whose default draws from an owned sequence ``<table>_<column>_seq``.
Sequences with options (``CREATE SEQUENCE ... INCREMENT BY 5 OWNED BY t.c``) are stated as
:class:`SequenceDef` objects; a column default ``nextval('name')`` uses the one of that name.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from txpostgres_proto.types import oids

_SERIALS: Final = {"smallserial": "int2", "serial2": "int2", "serial": "int4", "serial4": "int4"}
_SERIALS_8: Final = {"bigserial": "int8", "serial8": "int8"}
_MODIFIERS: Final = re.compile(r"\(\s*([^()]*?)\s*\)")
_KINDS: Final = ("r", "v", "m", "p", "f")
_SYSTEM_SCHEMAS: Final = ("pg_catalog", "information_schema", "pg_toast")


def type_modifier(oid: int, spelling: str) -> int:
    """The ``atttypmod`` PostgreSQL stores for a type spelled with modifiers, else -1.

    ``varchar(20)`` → 24 (length + 4 header bytes), ``numeric(10,2)`` → ``(10 << 16 | 2) + 4``,
    ``timestamp(3)``/``time(3)``/``interval(3)`` → 3, ``bit(8)`` → 8 (PostgreSQL's typmodin
    functions for those types).
    """
    match = _MODIFIERS.search(spelling)
    element = oids.BUILTIN_TYPES.get(oid)
    if element is not None and element.is_array:
        oid = element.element_oid
    if match is None:
        return (
            1 + 4
            if oid == oids.BPCHAR and spelling.strip().lower() in ("char", "character")
            else -1
        )
    numbers = [int(part) for part in match.group(1).split(",") if part.strip()]
    if not numbers:
        return -1
    if oid in (oids.VARCHAR, oids.BPCHAR):
        return numbers[0] + 4
    if oid == oids.NUMERIC:
        scale = numbers[1] if len(numbers) > 1 else 0
        return ((numbers[0] << 16) | scale) + 4
    if oid in (
        oids.TIMESTAMP,
        oids.TIMESTAMPTZ,
        oids.TIME,
        oids.TIMETZ,
        oids.INTERVAL,
        oids.BIT,
        oids.VARBIT,
    ):
        return numbers[0]
    return -1


@dataclass(frozen=True)
class EnumType:
    """An enum type, as ``CREATE TYPE name AS ENUM (labels…)`` makes it."""

    name: str
    labels: tuple[str, ...]
    schema: str = "public"
    comment: str | None = None

    def __post_init__(self) -> None:
        if len(set(self.labels)) != len(self.labels):
            raise ValueError(f"enum {self.name!r} has duplicate labels")
        if self.schema in _SYSTEM_SCHEMAS:
            raise ValueError(f"application types cannot live in schema {self.schema!r}")


@dataclass(frozen=True)
class Domain:
    """A domain over a built-in type, as ``CREATE DOMAIN`` makes it.

    ``default`` and ``check`` are SQL expression texts as PostgreSQL prints them (``check``
    refers to the value as ``VALUE``, e.g. ``VALUE > 0``); ``check_name`` defaults to
    ``<name>_check`` like PostgreSQL's.
    """

    name: str
    base: int | str
    nullable: bool = True
    default: str | None = None
    check: str | None = None
    check_name: str | None = None
    schema: str = "public"
    comment: str | None = None

    def __post_init__(self) -> None:
        if _resolve(self.base)[2]:
            raise ValueError(f"domain {self.name!r} cannot be based on a serial type")
        if self.schema in _SYSTEM_SCHEMAS:
            raise ValueError(f"application types cannot live in schema {self.schema!r}")

    @property
    def base_oid(self) -> int:
        return _resolve(self.base)[0]

    @property
    def base_typmod(self) -> int:
        return _resolve(self.base)[1]

    @property
    def constraint_name(self) -> str:
        return self.check_name or f"{self.name}_check"


#: An application-defined type a column may have.
UserType = EnumType | Domain


@functools.lru_cache(maxsize=1024)
def _resolve(type_: int | str | UserType) -> tuple[int, int, bool]:
    """(type OID, typmod, is serial) for a Column.type value (for an application-defined type:
    what a result column of it is described as without the catalog, see `Column.type_oid`)."""
    if isinstance(type_, Domain):
        return type_.base_oid, type_.base_typmod, False
    if isinstance(type_, EnumType):
        return oids.TEXT, -1, False
    if isinstance(type_, int):
        if type_ not in oids.BUILTIN_TYPES:
            raise ValueError(f"unknown type OID {type_}")
        return type_, -1, False
    spelling = " ".join(type_.strip().lower().split())
    for names in (_SERIALS, _SERIALS_8):
        if spelling in names:
            info = oids.type_by_name(names[spelling])
            assert info is not None
            return info.oid, -1, True
    info = oids.type_by_name(spelling)
    if info is None:
        raise ValueError(f"type {type_!r} is not a PostgreSQL built-in type")
    return info.oid, type_modifier(info.oid, spelling), False


@dataclass(frozen=True)
class Column:
    """One column: name, type (OID, SQL spelling or application-defined type), nullability,
    default, key flag, comment, and ``identity``: ``"a"`` for ``GENERATED ALWAYS AS
    IDENTITY``, ``"d"`` for ``GENERATED BY DEFAULT AS IDENTITY`` (``pg_attribute.attidentity``;
    such a column is NOT NULL, has no default, and its sequence is the :class:`SequenceDef`
    owned by it, else a made-up ``<table>_<column>_seq``).  ``default`` is a PostgreSQL
    expression as written in ``CREATE TABLE`` (``nextval('s') + 1``); the catalog shows it as
    PostgreSQL prints it (``defaults.py``: ``(nextval('s'::regclass) + 1)``)."""

    name: str
    type: int | str | UserType = "text"
    nullable: bool = True
    default: str | None = None
    primary_key: bool = False
    comment: str | None = None
    identity: str = ""

    def __post_init__(self) -> None:
        _resolve(self.type)  # fail early on a type the catalog cannot describe
        if self.identity not in ("", "a", "d"):
            raise ValueError(f"column {self.name!r}: identity must be 'a', 'd' or ''")
        if self.identity and (self.default is not None or self.is_serial):
            raise ValueError(f"column {self.name!r}: an identity column has no default")

    @property
    def type_oid(self) -> int:
        """The type OID of the column's values in a result.  For a domain that is its base type,
        as PostgreSQL describes it; an enum's OID is assigned by the catalog
        (`Catalog.type_oid`), so without one its labels are described as ``text``."""
        return _resolve(self.type)[0]

    @property
    def user_type(self) -> UserType | None:
        """The application-defined type of the column, if it has one."""
        return self.type if isinstance(self.type, EnumType | Domain) else None

    @property
    def typmod(self) -> int:
        return _resolve(self.type)[1]

    @property
    def is_serial(self) -> bool:
        """True for ``serial``-style types: a default from an owned sequence."""
        return _resolve(self.type)[2]


@dataclass(frozen=True)
class Index:
    """An index on plain columns.  ``constraint=True`` makes a unique index a UNIQUE constraint
    (``pg_constraint`` row, like ``ALTER TABLE ... ADD UNIQUE``); ``primary`` is the primary key.
    """

    name: str
    columns: tuple[str, ...]
    unique: bool = False
    primary: bool = False
    constraint: bool = False


#: Referential actions, and their ``pg_constraint.confupdtype``/``confdeltype`` codes.
REFERENTIAL_ACTIONS: Final = {
    "NO ACTION": "a",
    "RESTRICT": "r",
    "CASCADE": "c",
    "SET NULL": "n",
    "SET DEFAULT": "d",
}
#: The SQL spelling of each referential action code.
REFERENTIAL_ACTION_WORDS: Final = {code: words for words, code in REFERENTIAL_ACTIONS.items()}


@dataclass(frozen=True)
class ForeignKey:
    """A FOREIGN KEY constraint: ``columns`` of the table reference ``referenced_columns`` of
    ``referenced_table`` (in ``referenced_schema``), which should carry a primary key or unique
    index on them.  ``name`` defaults to PostgreSQL's ``<table>_<columns>_fkey``; the actions
    are spelled as in SQL (`REFERENTIAL_ACTIONS`)."""

    columns: tuple[str, ...]
    referenced_table: str
    referenced_columns: tuple[str, ...]
    referenced_schema: str = "public"
    name: str | None = None
    on_update: str = "NO ACTION"
    on_delete: str = "NO ACTION"

    def __post_init__(self) -> None:
        if not self.columns or len(self.columns) != len(self.referenced_columns):
            raise ValueError("a foreign key needs as many referenced columns as columns")
        for action in (self.on_update, self.on_delete):
            if action not in REFERENTIAL_ACTIONS:
                raise ValueError(f"unknown referential action {action!r}")

    def constraint_name(self, table: str) -> str:
        """The constraint's name on ``table`` (PostgreSQL's default when none was given)."""
        if self.name is not None:
            return self.name
        return f"{table}_{'_'.join(self.columns)}_fkey"[:63]


@dataclass(frozen=True)
class Check:
    """A CHECK constraint of a table: ``expression`` is SQL as PostgreSQL prints it, over the
    table's columns (``price > 0``).  Without a ``name``, PostgreSQL's default applies:
    ``<table>_<column>_check`` when the expression names exactly one column, else
    ``<table>_check``."""

    expression: str
    name: str | None = None

    def columns(self, names: Iterable[str]) -> tuple[str, ...]:
        """Which of the column ``names`` the expression mentions, in ``names`` order."""
        return tuple(name for name in names if _mentions(self.expression, name))

    def constraint_name(self, table: str, names: Iterable[str]) -> str:
        if self.name is not None:
            return self.name
        columns = self.columns(names)
        return (f"{table}_{columns[0]}_check" if len(columns) == 1 else f"{table}_check")[:63]


def _mentions(expression: str, column: str) -> bool:
    """Whether ``expression`` names ``column``: double-quoted, or (a lower-case name) as a
    bare word that is not a function call; string literals do not count."""
    text = re.sub(r"'(?:[^']|'')*'", "''", expression)
    quoted = {name.replace('""', '"') for name in re.findall(r'"((?:[^"]|"")*)"', text)}
    if column in quoted:
        return True
    if column != column.lower():
        return False
    bare = re.sub(r'"(?:[^"]|"")*"', '""', text).lower()
    word = rf"(?<![\w$]){re.escape(column)}(?![\w$])(?!\s*\()"
    return re.search(word, bare) is not None


#: The types a sequence may have, and their widths in bits.
_SEQUENCE_BITS: Final = {oids.INT2: 16, oids.INT4: 32, oids.INT8: 64}


@dataclass(frozen=True)
class SequenceDef:
    """A sequence with its options, as ``CREATE SEQUENCE`` makes it (PostgreSQL docs, "CREATE
    SEQUENCE").  ``type`` is ``smallint``, ``integer`` or ``bigint`` (or its OID);
    ``min_value``/``max_value``/``start`` left as None take PostgreSQL's defaults for the type
    and the direction of ``increment``; ``owner`` is the (table, column) of ``OWNED BY``, a
    table of the sequence's schema.  A column whose default is ``nextval('<name>')`` draws
    from the sequence of that name; without one the catalog makes up a serial column's."""

    name: str
    schema: str = "public"
    type: int | str = "bigint"
    increment: int = 1
    min_value: int | None = None
    max_value: int | None = None
    start: int | None = None
    cache: int = 1
    cycle: bool = False
    owner: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.schema in _SYSTEM_SCHEMAS:
            raise ValueError(f"application sequences cannot live in schema {self.schema!r}")
        if _resolve(self.type)[0] not in _SEQUENCE_BITS:
            raise ValueError(f"sequence {self.name!r} must be smallint, integer or bigint")
        if self.increment == 0:
            raise ValueError("INCREMENT must not be zero")
        if not self.minimum < self.maximum:
            raise ValueError(f"sequence {self.name!r}: MINVALUE must be less than MAXVALUE")
        if not self.minimum <= self.start_value <= self.maximum:
            raise ValueError(f"sequence {self.name!r}: START must lie in MINVALUE..MAXVALUE")
        if self.cache <= 0:
            raise ValueError("CACHE must be greater than zero")

    @property
    def type_oid(self) -> int:
        return _resolve(self.type)[0]

    @property
    def minimum(self) -> int:
        """MINVALUE: as given, else 1 ascending or the type's lowest descending."""
        if self.min_value is not None:
            return self.min_value
        return 1 if self.increment > 0 else -(2 ** (_SEQUENCE_BITS[self.type_oid] - 1))

    @property
    def maximum(self) -> int:
        """MAXVALUE: as given, else the type's highest ascending or -1 descending."""
        if self.max_value is not None:
            return self.max_value
        return 2 ** (_SEQUENCE_BITS[self.type_oid] - 1) - 1 if self.increment > 0 else -1

    @property
    def start_value(self) -> int:
        """START: as given, else MINVALUE ascending or MAXVALUE descending."""
        if self.start is not None:
            return self.start
        return self.minimum if self.increment > 0 else self.maximum


@dataclass(frozen=True)
class Table:
    """A relation of the application: an ordinary table (``r``), view (``v``), materialized view
    (``m``), partitioned table (``p``) or foreign table (``f``).  ``definition`` is the view's
    ``SELECT`` (what ``pg_get_viewdef`` returns)."""

    name: str
    columns: tuple[Column, ...]
    schema: str = "public"
    kind: str = "r"
    indexes: tuple[Index, ...] = ()
    comment: str | None = None
    definition: str | None = None
    foreign_keys: tuple[ForeignKey, ...] = ()
    checks: tuple[Check, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"table kind must be one of {_KINDS}, not {self.kind!r}")
        if self.schema in _SYSTEM_SCHEMAS:
            raise ValueError(f"application tables cannot live in schema {self.schema!r}")
        names = [column.name for column in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name!r} has duplicate column names")
        for index in self.indexes:
            missing = set(index.columns) - set(names)
            if missing:
                raise ValueError(f"index {index.name!r} names unknown columns {sorted(missing)}")
        for key in self.foreign_keys:
            missing = set(key.columns) - set(names)
            if missing:
                raise ValueError(f"foreign key names unknown columns {sorted(missing)}")

    @property
    def primary_key(self) -> tuple[str, ...]:
        """Primary key columns: from a primary Index if given, else the primary_key columns."""
        for index in self.indexes:
            if index.primary:
                return index.columns
        return tuple(column.name for column in self.columns if column.primary_key)

    def all_indexes(self) -> tuple[Index, ...]:
        """The declared indexes plus the implicit ``<table>_pkey`` of primary_key columns."""
        if any(index.primary for index in self.indexes) or not self.primary_key:
            return self.indexes
        pkey = Index(f"{self.name}_pkey", self.primary_key, unique=True, primary=True)
        return (pkey, *self.indexes)
