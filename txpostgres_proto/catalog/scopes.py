"""Names and result shapes for the catalog's SQL compiler.

The compiler (``compiler.py`` for queries, ``expressions.py`` for expressions) resolves every
name the way PostgreSQL's parser does: a FROM item becomes a :class:`Source` with typed
columns, a query level is a :class:`Scope` (looked through outwards for correlated
references), and a compiled query reports its result as :class:`OutColumn` objects.  The small
helpers here read identifiers as PostgreSQL folds them, quote SQLite names and literals, and
recognize sqlglot's shapes for calls, parameters and casts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from sqlglot import exp

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.catalog.sequences import SequenceInfo
from txpostgres_proto.protocol.errors import PostgresError


@dataclass(frozen=True, slots=True)
class OutColumn:
    """A result column: PostgreSQL's name and type, and its source table column if direct.

    ``key`` is the name the compiled SQL gives the column when that is not ``name``: columns
    named alike (``SELECT 1, 2`` has two ``?column?``) get distinct SQLite names (`keyed`),
    so that a query reading them finds each by its position's key rather than the first.
    """

    name: str
    ty: Ty
    table_oid: int = 0
    attnum: int = 0
    key: str | None = None

    @property
    def sql_name(self) -> str:
        """The column's name in the compiled SQL, quoted."""
        return quote(self.name if self.key is None else self.key)


@dataclass(frozen=True)
class Compiled:
    """A compiled query, ready to run against the catalog store."""

    sql: str
    columns: tuple[OutColumn, ...]
    param_types: tuple[Ty, ...]
    dynamic: frozenset[str]
    #: The application sequences whose state the query reads.
    sequences: frozenset[SequenceInfo] = frozenset()


@dataclass
class SourceColumn:
    name: str
    ty: Ty
    sql: str
    origin: tuple[int, int] = (0, 0)
    system: bool = False  # tableoid, ctid ...: addressable by name, not part of ``*``


@dataclass
class Source:
    """A FROM item as seen by name resolution."""

    alias: str
    columns: list[SourceColumn]
    scalar: SourceColumn | None = None  # whole-row reference of a scalar function source
    hidden: set[str] = field(default_factory=set)  # USING columns left out of ``*``

    def named(self, name: str) -> list[SourceColumn]:
        """The columns called ``name`` (more than one: a reference to it is ambiguous)."""
        return [column for column in self.columns if column.name == name]


@dataclass
class Scope:
    parent: Scope | None
    sources: list[Source] = field(default_factory=list)
    ctes: dict[str, list[OutColumn]] = field(default_factory=dict)
    srf: dict[int, tuple[str, Ty]] = field(default_factory=dict)
    #: The select list's names, for ORDER BY/GROUP BY: each name's column in the compiled
    #: SQL, or None when several different columns have that name (a reference is ambiguous).
    output: dict[str, str | None] = field(default_factory=dict)

    def cte(self, name: str) -> list[OutColumn] | None:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.ctes:
                return scope.ctes[name]
            scope = scope.parent
        return None


def keyed(columns: list[OutColumn]) -> list[OutColumn]:
    """``columns`` with distinct SQL names: those whose name another column also has (as
    SQLite compares names, ignoring ASCII case) are keyed by name and position."""
    counts = Counter(column.name.lower() for column in columns)
    taken = set(counts)
    out = []
    for position, column in enumerate(columns, start=1):
        key = None
        if counts[column.name.lower()] > 1:
            key = f"{column.name}#{position}"
            while key.lower() in taken:
                key += "#"
            taken.add(key.lower())
        out.append(replace(column, key=key))
    return out


def only_column(candidates: list[SourceColumn], name: str) -> SourceColumn | None:
    """The one column a reference to ``name`` means; PostgreSQL's error when several are
    candidates."""
    if len(candidates) > 1:
        raise PostgresError(f'column reference "{name}" is ambiguous', "42702")
    return candidates[0] if candidates else None


def ident(node: exp.Expr | str | None) -> str:
    """An identifier as PostgreSQL folds it (unquoted → lower case)."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node.lower()
    if isinstance(node, exp.Identifier):
        return node.this if node.quoted else node.this.lower()
    return ident(node.this) if isinstance(node.this, exp.Expr | str) else str(node).lower()


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def function_name(node: exp.Expr) -> str | None:
    """Lower-cased name of a call (``Anonymous`` or ``schema.f(...)``), else None."""
    if isinstance(node, exp.Dot) and isinstance(node.expression, exp.Anonymous):
        return function_name(node.expression)
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return None


def call_args(node: exp.Expr) -> list[exp.Expr]:
    if isinstance(node, exp.Dot):
        node = node.expression
    return list(node.expressions)


def unwrap(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def param_number(node: exp.Expr) -> int | None:
    node = unwrap(node)
    if isinstance(node, exp.Parameter):
        return int(node.this.this if isinstance(node.this, exp.Literal) else node.name)
    return None


def walk_expressions(node: exp.Expr) -> Iterator[exp.Expr]:
    """Sub-expressions of ``node`` that belong to the same query level."""
    yield node
    for child in node.iter_expressions():
        if isinstance(child, exp.Select | exp.SetOperation | exp.Subquery):
            continue
        yield from walk_expressions(child)


def cast_target(node: exp.Cast) -> tuple[Ty, str] | None:
    """(type, pg_type name) a cast converts to; None when the type is not a catalog type."""
    to = node.args["to"]
    if isinstance(to, exp.DataType) and to.this == exp.DataType.Type.USERDEFINED:
        kind = to.args.get("kind")
        if isinstance(kind, exp.Identifier):  # "char" (quoted) is not char (bpchar)
            spelling = f'"{kind.this}"' if kind.quoted and kind.this == "char" else kind.this
        else:
            spelling = kind.sql(dialect="postgres") if kind is not None else to.sql("postgres")
    else:
        spelling = to.sql(dialect="postgres")
    return t.resolve_type_name(spelling)
