"""Name and type result columns and parameters the way PostgreSQL would, without running anything.

RowDescription and ParameterDescription must be right before a statement runs (Describe comes
before Execute, and drivers such as asyncpg refuse to bind a parameter of unknown type).  SQLite
cannot tell: its values carry a storage class, not a type.  `Resolver` works on the sqlglot tree
of the PostgreSQL statement and the reflected schema instead:

* a column reference is looked up through the FROM clause (tables, views, derived tables, CTEs,
  ``generate_series``/``unnest``) to the declared type of the column it names, and keeps the
  table and attribute number for RowDescription;
* expressions get PostgreSQL's result types by simple rules: ``count`` is ``int8``, ``sum`` of
  integers ``int8`` (of ``int8`` or ``numeric``: ``numeric``), ``avg`` ``numeric``, comparisons
  and ``LIKE`` ``bool``, arithmetic the wider operand type, ``||`` and the string functions
  ``text``, a cast its target type, an integer literal ``int4`` (``int8`` when large), a decimal
  literal ``numeric``, a string literal ``text``;
* result names follow PostgreSQL's ``FigureColname`` rules: the alias, else the column name,
  else the function name (``count``), else ``?column?``; a cast is named after its operand, or
  after its type when the operand has no name (``'1'::int`` → ``int4``).

Parameters take the type of what they meet: the other side of a comparison or arithmetic, the
target column of an INSERT or UPDATE, ``int8`` for LIMIT/OFFSET, their own cast; else ``text``.
Whatever the rules do not cover is typed ``text`` (every value has a text form).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

from sqlglot import exp

from txpostgres_proto.sqlite.reflect import Schema, TableInfo
from txpostgres_proto.sqlite.typemap import TEXT, PgType, pg_type_named
from txpostgres_proto.types import oids

INT2: Final = PgType(oids.INT2)
INT4: Final = PgType(oids.INT4)
INT8: Final = PgType(oids.INT8)
NUMERIC: Final = PgType(oids.NUMERIC)
FLOAT8: Final = PgType(oids.FLOAT8)
BOOL: Final = PgType(oids.BOOL)
TIMESTAMPTZ: Final = PgType(oids.TIMESTAMPTZ)
INTERVAL: Final = PgType(oids.INTERVAL)

_INTEGER_ORDER: Final = (oids.INT2, oids.INT4, oids.INT8)
_NUMBER_ORDER: Final = (oids.INT2, oids.INT4, oids.INT8, oids.NUMERIC, oids.FLOAT4, oids.FLOAT8)
_DATETIMES: Final = frozenset({oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.DATE, oids.TIME})
_BOOLEAN_NODES: Final = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.And,
    exp.Or,
    exp.Not,
    exp.Like,
    exp.ILike,
    exp.In,
    exp.Between,
    exp.Is,
    exp.Exists,
    exp.RegexpLike,
    exp.RegexpILike,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
    exp.SimilarTo,
    exp.ArrayContainsAll,
    exp.ArrayOverlaps,
    exp.Boolean,
    exp.Escape,
)
_COMPARISONS: Final = (
    exp.EQ,
    exp.NEQ,
    exp.GT,
    exp.GTE,
    exp.LT,
    exp.LTE,
    exp.NullSafeEQ,
    exp.NullSafeNEQ,
)
_ARITHMETIC: Final = (exp.Add, exp.Sub, exp.Mul, exp.Div, exp.Mod)
#: Functions whose PostgreSQL result type does not depend on their arguments.
_FIXED: Final = {
    **dict.fromkeys(("count", "row_number", "rank", "dense_rank", "nextval", "currval"), INT8),
    **dict.fromkeys(("setval", "lastval", "pg_backend_pid", "pg_sequence_last_value"), INT8),
    **dict.fromkeys(("ntile", "length", "char_length", "character_length", "strpos"), INT4),
    **dict.fromkeys(("octet_length", "array_length", "cardinality", "ascii"), INT4),
    **dict.fromkeys(("array_position", "position", "instr"), INT4),
    **dict.fromkeys(("bool_and", "bool_or", "every", "starts_with"), BOOL),
    **dict.fromkeys(("now", "transaction_timestamp", "statement_timestamp"), TIMESTAMPTZ),
    **dict.fromkeys(("clock_timestamp", "to_timestamp"), TIMESTAMPTZ),
    **dict.fromkeys(("to_char", "md5", "concat", "concat_ws"), TEXT),
    **dict.fromkeys(("random", "pi", "date_part", "percent_rank", "cume_dist"), FLOAT8),
    **dict.fromkeys(("extract",), NUMERIC),
    **dict.fromkeys(("age",), INTERVAL),
    **dict.fromkeys(("gen_random_uuid", "uuid_generate_v4"), PgType(oids.UUID)),
    **dict.fromkeys(
        ("json_agg", "to_json", "json_build_object", "json_build_array"), PgType(oids.JSON)
    ),
    **dict.fromkeys(("json_object_agg",), PgType(oids.JSON)),
    **dict.fromkeys(
        ("jsonb_agg", "to_jsonb", "jsonb_build_object", "jsonb_build_array"), PgType(oids.JSONB)
    ),
    **dict.fromkeys(("jsonb_object_agg",), PgType(oids.JSONB)),
    **dict.fromkeys(("jsonb_array_length", "json_array_length"), INT4),
    **dict.fromkeys(("string_to_array", "regexp_split_to_array"), PgType(oids.TEXT_ARRAY)),
    **dict.fromkeys(("current_user", "session_user", "current_database"), PgType(oids.NAME)),
    **dict.fromkeys(("current_schema", "user"), PgType(oids.NAME)),
    **dict.fromkeys(("pg_sleep",), PgType(oids.VOID)),
}
#: Functions that return the type of their first argument (or of the first typed one).
_SAME_AS_ARGUMENT: Final = frozenset(
    {
        "min",
        "max",
        "abs",
        "coalesce",
        "nullif",
        "greatest",
        "least",
        "lag",
        "lead",
        "first_value",
        "last_value",
        "nth_value",
        "round",
        "trunc",
        "floor",
        "ceil",
        "ceiling",
        "sign",
        "mod",
        "date_trunc",
        "array_append",
        "array_cat",
        "array_remove",
        "generate_series",
    }
)
_FLOAT_MATH: Final = frozenset({"sqrt", "cbrt", "exp", "ln", "log", "log10", "power", "pow"})


@dataclass(frozen=True, slots=True)
class Typed:
    """An expression's type, and the table column it comes from (RowDescription fields)."""

    pg_type: PgType
    table: str | None = None
    attnum: int = 0


UNTYPED: Final = Typed(TEXT)


class Source:
    """Something in a FROM clause: its columns in order, by name."""

    def columns(self) -> list[tuple[str, Typed]]:
        raise NotImplementedError

    def column(self, name: str) -> Typed | None:
        folded = name.lower()
        for candidate, typed in self.columns():
            if candidate == name or candidate.lower() == folded:
                return typed
        return None


class TableSource(Source):
    def __init__(self, table: TableInfo) -> None:
        self.table = table

    def columns(self) -> list[tuple[str, Typed]]:
        return [
            (column.name, Typed(column.pg_type, self.table.name, attnum))
            for attnum, column in enumerate(self.table.columns, 1)
        ]


class FixedSource(Source):
    """A set-returning function (``generate_series``, ``unnest``) or VALUES list."""

    def __init__(self, columns: list[tuple[str, Typed]]) -> None:
        self._columns = columns

    def columns(self) -> list[tuple[str, Typed]]:
        return self._columns


class QuerySource(Source):
    """A derived table or CTE: the projections of its query, typed lazily."""

    def __init__(
        self, resolver: Resolver, query: exp.Expression, parent: Scope | None, names: list[str]
    ) -> None:
        self._resolver = resolver
        self._query = query
        self._parent = parent
        self._names = names
        self._cached: list[tuple[str, Typed]] | None = None

    def columns(self) -> list[tuple[str, Typed]]:
        if self._cached is None:
            self._cached = []  # a recursive CTE refers to itself: see nothing while resolving
            found = self._resolver.projections(self._query, self._parent)
            if self._names:
                found = [
                    (self._names[i] if i < len(self._names) else name, typed)
                    for i, (name, typed) in enumerate(found)
                ]
            self._cached = found
        return self._cached


class Scope:
    """The sources visible in one SELECT (or DML statement), with the enclosing scope."""

    def __init__(self, parent: Scope | None, ctes: dict[str, Source]) -> None:
        self.parent = parent
        self.ctes = ctes
        self.sources: list[tuple[str, Source]] = []

    def cte(self, name: str) -> Source | None:
        scope: Scope | None = self
        while scope is not None:
            found = scope.ctes.get(name.lower())
            if found is not None:
                return found
            scope = scope.parent
        return None

    def column(self, name: str, table: str | None) -> Typed | None:
        scope: Scope | None = self
        while scope is not None:
            for alias, source in scope.sources:
                if table and alias.lower() != table.lower():
                    continue
                found = source.column(name)
                if found is not None:
                    return found
            scope = scope.parent
        return None

    def star(self, table: str | None) -> list[tuple[str, Typed]]:
        columns: list[tuple[str, Typed]] = []
        for alias, source in self.sources:
            if table is None or alias.lower() == table.lower():
                columns.extend(source.columns())
        return columns


def _literal_type(literal: exp.Literal) -> PgType:
    if literal.is_string:
        return TEXT
    text = literal.name
    if text.isdigit():
        return INT4 if int(text) < 2**31 else (INT8 if int(text) < 2**63 else NUMERIC)
    return NUMERIC


def cast_target(data_type: exp.DataType) -> PgType:
    """The PostgreSQL type named by a sqlglot data type (``text`` when it is not built in)."""
    spelling = data_type.sql(dialect="postgres")
    found = pg_type_named(spelling)
    if found is None and data_type.this == exp.DataType.Type.USERDEFINED:
        found = pg_type_named(str(data_type.args.get("kind") or ""))
    return found or TEXT


def function_name(node: exp.Expression) -> str:
    """The lower-case name of a function call as written (``exp.Anonymous``) or its SQL name."""
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    return node.sql_name().lower() if isinstance(node, exp.Func) else node.key


def _wider(first: PgType, second: PgType) -> PgType:
    if first.oid in _NUMBER_ORDER and second.oid in _NUMBER_ORDER:
        rank = max(_NUMBER_ORDER.index(first.oid), _NUMBER_ORDER.index(second.oid))
        return PgType(_NUMBER_ORDER[rank])
    return first if first.oid in _NUMBER_ORDER else second


class Resolver:
    """Types and names for one statement against one schema snapshot."""

    def __init__(self, schema: Schema) -> None:
        self.schema = schema
        #: parameter number → inferred type
        self.params: dict[int, PgType] = {}

    # --- scopes --------------------------------------------------------------------------------

    def scope_of(self, query: exp.Expression, parent: Scope | None) -> Scope:
        """The scope of a SELECT/INSERT/UPDATE/DELETE: its CTEs and FROM/JOIN items."""
        ctes: dict[str, Source] = {}
        scope = Scope(parent, ctes)
        with_ = query.args.get("with_")
        if with_ is not None:
            for cte in with_.expressions:
                names = [column.name for column in cte.args["alias"].columns]
                ctes[cte.alias.lower()] = QuerySource(self, cte.this, scope, names)
        items: list[exp.Expression] = []
        if isinstance(query, exp.Update | exp.Delete | exp.Insert):
            target = query.this
            if isinstance(target, exp.Schema):
                target = target.this
            items.append(target)
        from_ = query.args.get("from_")
        if from_ is not None:
            items.append(from_.this)
        items.extend(query.args.get("using") or [])
        for join in query.args.get("joins") or []:
            items.append(join.this)
        for item in items:
            self._add_source(scope, item)
        return scope

    def _add_source(self, scope: Scope, item: exp.Expression) -> None:
        alias = item.alias_or_name
        names = []
        table_alias = item.args.get("alias")
        if isinstance(table_alias, exp.TableAlias):
            names = [column.name for column in table_alias.columns]
        if isinstance(item, exp.Table) and isinstance(item.this, exp.Identifier):
            source = scope.cte(item.name) if not item.db else None
            if source is None:
                table = self.schema.table(item.name)
                if table is None:
                    return
                source = TableSource(table)
            scope.sources.append((alias or item.name, source))
        elif isinstance(item, exp.Subquery):
            scope.sources.append((alias, QuerySource(self, item.this, scope.parent, names)))
        elif isinstance(item, exp.Table) and isinstance(item.this, exp.Anonymous):
            self._add_function_source(scope, item.this, alias, names)
        elif isinstance(item, exp.Unnest):
            array = item.expressions[0] if item.expressions else None
            typed = self.type_of(array, scope) if array is not None else UNTYPED
            element = typed.pg_type.element or TEXT
            name = names[0] if names else (alias or "unnest")
            scope.sources.append((alias or "unnest", FixedSource([(name, Typed(element))])))
        elif isinstance(item, exp.Values):
            first = item.expressions[0].expressions if item.expressions else []
            columns = [
                (names[i] if i < len(names) else f"column{i + 1}", self.type_of(value, scope))
                for i, value in enumerate(first)
            ]
            scope.sources.append((alias, FixedSource(columns)))

    def _add_function_source(
        self, scope: Scope, call: exp.Anonymous, alias: str, names: list[str]
    ) -> None:
        name = function_name(call)
        arguments = call.expressions
        first = self.type_of(arguments[0], scope).pg_type if arguments else TEXT
        if name == "unnest":
            first = first.element or TEXT
        elif name == "generate_series" and len(arguments) > 1:
            first = _wider(first, self.type_of(arguments[1], scope).pg_type)
        column = names[0] if names else (alias or name)
        scope.sources.append((alias or name, FixedSource([(column, Typed(first))])))

    # --- projections -----------------------------------------------------------------------------

    def projections(self, query: exp.Expression, parent: Scope | None) -> list[tuple[str, Typed]]:
        """(PostgreSQL name, type) of every result column of a query."""
        if isinstance(query, exp.Subquery):
            return self.projections(query.this, parent)
        if isinstance(query, exp.SetOperation):
            return self.projections(query.this, parent)
        if isinstance(query, exp.Values):
            first = query.expressions[0].expressions if query.expressions else []
            scope = Scope(parent, {})
            return [(f"column{i + 1}", self.type_of(v, scope)) for i, v in enumerate(first)]
        if not isinstance(query, exp.Select):
            return []
        scope = self.scope_of(query, parent)
        return self.select_list(query.expressions, scope)

    def select_list(
        self, expressions: list[exp.Expression], scope: Scope
    ) -> list[tuple[str, Typed]]:
        columns: list[tuple[str, Typed]] = []
        for projection in expressions:
            if isinstance(projection, exp.Star):
                columns.extend(scope.star(None))
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                columns.extend(scope.star(projection.table))
            else:
                columns.append((result_name(projection), self.type_of(projection, scope)))
        return columns

    # --- expressions ---------------------------------------------------------------------------

    def type_of(self, node: exp.Expression, scope: Scope) -> Typed:
        """PostgreSQL's type of an expression (module docstring)."""
        while isinstance(node, exp.Alias | exp.Paren):
            node = node.this
        if isinstance(node, exp.Column):
            if isinstance(node.this, exp.Star):
                return UNTYPED
            return scope.column(node.name, node.table or None) or UNTYPED
        if isinstance(node, exp.Literal):
            return Typed(_literal_type(node))
        if isinstance(node, exp.Cast):
            return Typed(cast_target(node.to))
        if isinstance(node, exp.Parameter):
            found = self.params.get(int(node.name))
            return Typed(found) if found is not None else UNTYPED
        if isinstance(node, _BOOLEAN_NODES):
            return Typed(BOOL)
        if isinstance(node, _ARITHMETIC):
            return Typed(self._arithmetic(node, scope))
        if isinstance(node, exp.Neg):
            return Typed(self.type_of(node.this, scope).pg_type)
        if isinstance(node, exp.Subquery):
            selected = self.projections(node.this, scope)
            return Typed(selected[0][1].pg_type) if selected else UNTYPED
        if isinstance(node, exp.Case):
            for branch in [*node.args.get("ifs", []), node.args.get("default")]:
                if branch is None:
                    continue
                value = branch.args.get("true") if isinstance(branch, exp.If) else branch
                typed = self.type_of(value, scope) if value is not None else UNTYPED
                if not isinstance(value, exp.Null):
                    return Typed(typed.pg_type)
            return UNTYPED
        if isinstance(node, exp.Array):
            first = node.expressions[0] if node.expressions else None
            element = self.type_of(first, scope).pg_type if first is not None else TEXT
            return Typed(element.array())
        if isinstance(node, exp.Bracket):
            array = self.type_of(node.this, scope).pg_type
            return Typed(array.element or TEXT)
        if isinstance(node, exp.JSONExtract | exp.JSONBExtract):
            return Typed(self.type_of(node.this, scope).pg_type)
        if isinstance(node, exp.JSONExtractScalar | exp.JSONBExtractScalar):
            return Typed(TEXT)
        if isinstance(node, exp.Extract):
            return Typed(NUMERIC)
        if isinstance(node, exp.StrPosition):
            return Typed(INT4)
        if isinstance(node, exp.CurrentTimestamp):
            return Typed(TIMESTAMPTZ)
        if isinstance(node, exp.CurrentDate):
            return Typed(PgType(oids.DATE))
        if isinstance(node, exp.Localtimestamp):
            return Typed(PgType(oids.TIMESTAMP))
        if isinstance(node, exp.CurrentTime):
            return Typed(PgType(oids.TIMETZ))
        if isinstance(node, exp.Interval):
            return Typed(INTERVAL)
        if isinstance(node, exp.Window | exp.Filter | exp.WithinGroup):
            return self.type_of(node.this, scope)
        if isinstance(node, exp.Anonymous):
            return Typed(self._function(node, scope))
        return UNTYPED

    def _arithmetic(self, node: exp.Expression, scope: Scope) -> PgType:
        left = self.type_of(node.this, scope).pg_type
        right = self.type_of(node.expression, scope).pg_type
        if left.oid in _DATETIMES or right.oid in _DATETIMES:
            if isinstance(node, exp.Sub) and left.oid in _DATETIMES and right.oid in _DATETIMES:
                return INT4 if left.oid == oids.DATE and right.oid == oids.DATE else INTERVAL
            stamp = left if left.oid in _DATETIMES else right
            other = right if stamp is left else left
            if stamp.oid == oids.DATE and other.oid == oids.INTERVAL:
                return PgType(oids.TIMESTAMP)
            return stamp
        if left.oid == oids.INTERVAL or right.oid == oids.INTERVAL:
            return INTERVAL
        if left.oid in _NUMBER_ORDER or right.oid in _NUMBER_ORDER:
            wider = _wider(left, right)
            if wider.oid == oids.INT2:
                return INT4
            return PgType(wider.oid)
        return TEXT if left.oid == oids.TEXT and right.oid == oids.TEXT else left

    def _function(self, node: exp.Anonymous, scope: Scope) -> PgType:
        name = function_name(node)
        fixed = _FIXED.get(name)
        if fixed is not None:
            return fixed
        arguments = [
            argument for argument in node.expressions if not isinstance(argument, exp.Star)
        ]
        first = self._first_typed(arguments, scope)
        if name in _SAME_AS_ARGUMENT:
            return first if first.oid != oids.UNKNOWN else TEXT
        if name == "sum":
            if first.oid in (oids.INT2, oids.INT4):
                return INT8
            return FLOAT8 if first.oid in (oids.FLOAT4, oids.FLOAT8) else NUMERIC
        if name == "avg":
            return FLOAT8 if first.oid in (oids.FLOAT4, oids.FLOAT8) else NUMERIC
        if name in _FLOAT_MATH:
            return NUMERIC if first.oid == oids.NUMERIC else FLOAT8
        if name == "array_agg":
            return first.array()
        if name == "unnest":
            return first.element or TEXT
        return TEXT

    def _first_typed(self, arguments: list[exp.Expression], scope: Scope) -> PgType:
        for argument in arguments:
            if isinstance(argument, exp.Null):
                continue
            typed = self.type_of(argument, scope).pg_type
            if not (isinstance(argument, exp.Literal) and argument.is_string):
                return typed
        return TEXT

    # --- parameters ----------------------------------------------------------------------------

    def infer_parameters(self, tree: exp.Expression) -> None:
        """Fill `params` from the contexts the ``$n`` of ``tree`` appear in."""
        for query, scope in self.scopes(tree, None):
            self._infer_in(query, scope)

    def scopes(
        self, node: exp.Expression, parent: Scope | None = None
    ) -> Iterator[tuple[exp.Expression, Scope]]:
        """Every SELECT/DML node of the tree with its scope, innermost first."""
        scope = self.scope_of(node, parent) if _has_scope(node) else parent
        for child in _child_queries(node):
            yield from self.scopes(child, scope)
        if scope is not None and _has_scope(node):
            yield node, scope

    def _infer_in(self, query: exp.Expression, scope: Scope) -> None:
        if isinstance(query, exp.Insert):
            self._infer_insert(query)
        if isinstance(query, exp.Update):
            self._infer_assignments(query.expressions, scope)
        conflict = query.args.get("conflict")
        if conflict is not None:
            self._infer_assignments(conflict.expressions, scope)
        for node in own_nodes(query):
            if isinstance(node, exp.Cast) and isinstance(node.this, exp.Parameter):
                self._set_param(node.this, cast_target(node.to))
            elif isinstance(node, (*_COMPARISONS, *_ARITHMETIC, exp.Like, exp.ILike)):
                self._infer_pair(node.this, node.expression, scope)
                self._infer_pair(node.expression, node.this, scope)
            elif isinstance(node, exp.In):
                for value in node.expressions:
                    self._infer_pair(value, node.this, scope)
            elif isinstance(node, exp.Between):
                for bound in ("low", "high"):
                    self._infer_pair(node.args[bound], node.this, scope)
            elif isinstance(node, exp.Limit | exp.Offset | exp.Fetch):
                value = node.args.get("expression") or node.args.get("count")
                if isinstance(value, exp.Parameter):
                    self._set_param(value, INT8)
            elif isinstance(node, exp.Any) and isinstance(node.parent, exp.EQ | exp.NEQ):
                inner = node.this.this if isinstance(node.this, exp.Paren) else node.this
                other = node.parent.this
                if isinstance(inner, exp.Parameter) and other is not node:
                    self._set_param(inner, self.type_of(other, scope).pg_type.array())

    def _infer_pair(self, node: exp.Expression, other: exp.Expression, scope: Scope) -> None:
        while isinstance(node, exp.Paren):
            node = node.this
        if not isinstance(node, exp.Parameter):
            return
        typed = self.type_of(other, scope).pg_type
        if isinstance(other, exp.Parameter) and int(other.name) not in self.params:
            return
        if isinstance(node.parent, exp.Like | exp.ILike):
            typed = TEXT
        self._set_param(node, typed)

    def insert_targets(self, insert: exp.Insert) -> list[tuple[exp.Expression, PgType]]:
        """(value expression, target column type) of every value an INSERT writes."""
        table = self._insert_table(insert)
        if table is None:
            return []
        targets = []
        for name, value in self.insert_columns(insert):
            found = table.column(name)
            if found is not None:
                targets.append((value, found[1].pg_type))
        return targets

    def _insert_table(self, insert: exp.Insert) -> TableInfo | None:
        target = insert.this
        table_node = target.this if isinstance(target, exp.Schema) else target
        return self.schema.table(table_node.name)

    def insert_columns(self, insert: exp.Insert) -> list[tuple[str, exp.Expression]]:
        """(target column name, value expression) of every value an INSERT writes."""
        target = insert.this
        names = (
            [column.name for column in target.expressions] if isinstance(target, exp.Schema) else []
        )
        table = self._insert_table(insert)
        if table is None:
            return []
        if not names:
            names = [column.name for column in table.columns]
        rows: list[list[exp.Expression]] = []
        source = insert.expression
        if isinstance(source, exp.Values):
            rows = [list(row.expressions) for row in source.expressions]
        elif isinstance(source, exp.Select):
            rows = [list(source.expressions)]
        return [pair for row in rows for pair in zip(names, row, strict=False)]

    def _infer_insert(self, insert: exp.Insert) -> None:
        for value, pg_type in self.insert_targets(insert):
            if isinstance(value, exp.Parameter):
                self._set_param(value, pg_type)

    def _infer_assignments(self, assignments: list[exp.Expression], scope: Scope) -> None:
        for assignment in assignments:
            if isinstance(assignment, exp.EQ) and isinstance(assignment.expression, exp.Parameter):
                typed = self.type_of(assignment.this, scope)
                if typed is not UNTYPED:
                    self._set_param(assignment.expression, typed.pg_type)

    def _set_param(self, parameter: exp.Parameter, pg_type: PgType) -> None:
        number = int(parameter.name)
        if number not in self.params and pg_type.oid != oids.UNKNOWN:
            self.params[number] = PgType(pg_type.oid)


def _has_scope(node: exp.Expression) -> bool:
    return isinstance(node, exp.Select | exp.Insert | exp.Update | exp.Delete)


def _child_queries(node: exp.Expression) -> Iterator[exp.Expression]:
    """The nearest SELECT/DML nodes below ``node`` (not below those)."""
    for child in node.iter_expressions():
        if _has_scope(child):
            yield child
        else:
            yield from _child_queries(child)


def own_nodes(query: exp.Expression) -> Iterator[exp.Expression]:
    """The nodes of a query that are not inside a nested query."""
    stack = list(query.iter_expressions())
    while stack:
        node = stack.pop()
        yield node
        if not _has_scope(node):
            stack.extend(node.iter_expressions())


_NAMED_NODES: Final[dict[type[exp.Expression], str]] = {
    exp.Case: "case",
    exp.Exists: "exists",
    exp.Array: "array",
    exp.Extract: "extract",
    exp.Substring: "substring",
    exp.Trim: "btrim",
    exp.StrPosition: "position",
    exp.CurrentTimestamp: "current_timestamp",
    exp.CurrentDate: "current_date",
    exp.CurrentTime: "current_time",
    exp.Localtimestamp: "localtimestamp",
    exp.Interval: "interval",
    exp.Boolean: "bool",
}


def result_name(node: exp.Expression) -> str:
    """PostgreSQL's name for a result column (``FigureColname``, module docstring)."""
    if isinstance(node, exp.Alias):
        return node.alias
    return _figure_name(node) or "?column?"


def _figure_name(node: exp.Expression) -> str | None:
    while isinstance(node, exp.Paren):
        node = node.this
    if isinstance(node, exp.Column):
        return node.name
    if isinstance(node, exp.Cast):
        inner = _figure_name(node.this)
        if inner is not None:
            return inner
        return cast_target(node.to).name
    if isinstance(node, exp.Window | exp.Filter | exp.WithinGroup | exp.Bracket):
        return _figure_name(node.this)
    if isinstance(node, exp.Subquery):
        query = node.this
        if isinstance(query, exp.Select) and query.expressions:
            first = query.expressions[0]
            return None if isinstance(first, exp.Star) else _figure_name_or_alias(first)
        return None
    if isinstance(node, exp.Anonymous):
        return function_name(node)
    for node_type, name in _NAMED_NODES.items():
        if isinstance(node, node_type):
            return name
    return None


def _figure_name_or_alias(node: exp.Expression) -> str | None:
    return node.alias if isinstance(node, exp.Alias) else _figure_name(node)
