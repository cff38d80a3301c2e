"""Compile PostgreSQL expressions to SQLite SQL and infer their PostgreSQL types.

:class:`ExpressionCompiler` is the expression half of the catalog's SQL compiler (the query
half, which owns FROM clauses and scopes, is ``compiler.py``; see its docstring for the overall
approach).  Every ``expr()`` call returns SQLite SQL text plus the :class:`Ty` PostgreSQL's
parser would give the expression: operators, casts (``reg*`` lookups and renderings, boolean
and array text forms), ``ANY``/``ALL``, array constructors and subscripts, regular
expressions, ``LIKE``, ``CASE``, window and aggregate calls, and every function of
``functions.py``.  Untyped literals and ``$n`` parameters take the type their context expects
(``coerce``), which is also how parameter types are inferred for ParameterDescription.
Default result column names follow ``FigureColname`` (src/backend/parser/parse_target.c).
"""

from __future__ import annotations

import abc
import itertools
from typing import Final

from sqlglot import exp

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.arrays import parse_array_literal, to_storage
from txpostgres_proto.catalog.functions import (
    FUNCTIONS,
    ORDERED_AGGREGATES,
    SET_RETURNING,
    first_known,
)
from txpostgres_proto.catalog.literals import check_literal, checked_integer, numeric_literal
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.catalog.scopes import (
    OutColumn,
    Scope,
    SourceColumn,
    cast_target,
    ident,
    literal,
    only_column,
    param_number,
    quote,
    unwrap,
)
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

_COMPARISONS: Final[dict[type[exp.Expr], str]] = {
    exp.EQ: "=",
    exp.NEQ: "<>",
    exp.GT: ">",
    exp.GTE: ">=",
    exp.LT: "<",
    exp.LTE: "<=",
}
_ARITHMETIC: Final[dict[type[exp.Expr], str]] = {
    exp.Add: "+",
    exp.Sub: "-",
    exp.Mul: "*",
    exp.Div: "/",
    exp.Mod: "%",
    exp.BitwiseAnd: "&",
    exp.BitwiseOr: "|",
    exp.BitwiseLeftShift: "<<",
    exp.BitwiseRightShift: ">>",
}
#: Integer result types whose range ``+``, ``-`` and ``*`` are checked against.
_CHECKED_INTEGERS: Final = frozenset({oids.INT2, oids.INT4, oids.INT8})
_REG_KINDS: Final = t.REG_KINDS
_KEYWORD_FUNCTIONS: Final[dict[type[exp.Expr], tuple[str, str, Ty]]] = {
    exp.CurrentUser: ("current_user", "pgf_current_user()", t.NAME),
    exp.SessionUser: ("session_user", "pgf_current_user()", t.NAME),
    exp.CurrentSchema: ("current_schema", "pgf_current_schema()", t.NAME),
    exp.CurrentCatalog: ("current_catalog", "pgf_current_database()", t.NAME),
    exp.CurrentTimestamp: ("current_timestamp", "pgf_now()", t.TIMESTAMPTZ),
    exp.Localtimestamp: ("localtimestamp", "pgf_now()", Ty(oids.TIMESTAMP)),
    exp.CurrentDate: ("current_date", "date(pgf_now())", Ty(oids.DATE)),
    exp.CurrentTime: ("current_time", "time(pgf_now())", Ty(oids.TIMETZ)),
}
#: Identifiers that are SQL value functions when no column of that name exists.
_BARE_FUNCTIONS: Final = {
    "current_user": ("current_user", "pgf_current_user()"),
    "session_user": ("session_user", "pgf_current_user()"),
    "user": ("current_user", "pgf_current_user()"),
    "current_role": ("current_role", "pgf_current_user()"),
    "current_schema": ("current_schema", "pgf_current_schema()"),
    "current_catalog": ("current_catalog", "pgf_current_database()"),
}


class ExpressionCompiler(abc.ABC):
    """Expression compilation; :class:`~txpostgres_proto.catalog.compiler.Compiler` adds
    queries (subqueries in expressions call back into it through the abstract methods)."""

    def __init__(self) -> None:
        self.params: dict[int, Ty] = {}
        self._aliases = itertools.count()

    @abc.abstractmethod
    def query(
        self, node: exp.Expr, parent: Scope | None, names: list[str] | None = None
    ) -> tuple[str, list[OutColumn]]:
        """Compile a query expression (defined by the query compiler)."""

    @abc.abstractmethod
    def _from_clause(self, node: exp.Select, scope: Scope) -> str:
        """Compile a FROM clause into ``scope`` (defined by the query compiler)."""

    # -- names -------------------------------------------------------------------------

    def _resolve(
        self, node: exp.Column, scope: Scope, required: bool = True
    ) -> SourceColumn | None:
        name = ident(node.this)
        table = ident(node.args.get("table")) if node.args.get("table") else None
        current: Scope | None = scope
        while current is not None:
            if table is not None:
                for source in reversed(current.sources):
                    if source.alias == table:
                        found = only_column(source.named(name), name)
                        if found is None and required:
                            raise PostgresError(f"column {table}.{name} does not exist", "42703")
                        return found
            else:
                # A USING column of a join's right side is the left side's: not a second one.
                found = only_column(
                    [
                        column
                        for source in current.sources
                        if name not in source.hidden
                        for column in source.named(name)
                    ],
                    name,
                )
                if found is not None:
                    return found
                for source in current.sources:
                    if source.alias == name and source.scalar is not None:
                        return source.scalar
            current = current.parent
        if required and (table is not None or name not in _BARE_FUNCTIONS):
            if table is not None:
                raise PostgresError(f'missing FROM-clause entry for table "{table}"', "42P01")
            raise PostgresError(f'column "{name}" does not exist', "42703")
        return None

    def figure_name(self, node: exp.Expr, scope: Scope) -> tuple[str, int]:
        """PostgreSQL's default column name for an expression, with its strength."""
        node = unwrap(node)
        if isinstance(node, exp.Column):
            name = ident(node.this)
            found = self._resolve(node, scope, required=False)
            if found is None and name in _BARE_FUNCTIONS and not node.args.get("table"):
                return _BARE_FUNCTIONS[name][0], 2
            return name, 2
        if isinstance(node, exp.Dot):
            if isinstance(node.expression, exp.Anonymous):
                return self.figure_name(node.expression, scope)
            return ident(node.expression), 2
        if isinstance(node, exp.Anonymous):
            name = str(node.this).lower()
            if name == "array":
                return "array", 2
            return name, 2
        if isinstance(node, exp.Window | exp.Filter):
            return self.figure_name(node.this, scope)
        if isinstance(node, exp.Cast):
            name, strength = self.figure_name(node.this, scope)
            if strength > 1:
                return name, strength
            resolved = cast_target(node)
            if resolved is None:
                return "?column?", 1
            target, name = resolved
            if t.is_array(target) and name.startswith("_"):
                name = name[1:]  # int4[] is named after its element type, like the TypeName
            return name, 1
        if isinstance(node, exp.Case):
            default = node.args.get("default")
            if default is not None:
                name, strength = self.figure_name(default, scope)
                if strength > 1:
                    return name, strength
            return "case", 1
        if isinstance(node, exp.Boolean):
            return "bool", 1
        if isinstance(node, exp.Exists):
            return "exists", 2
        if isinstance(node, exp.Array):
            return "array", 2
        if isinstance(node, exp.Subquery):
            inner = node.this
            while isinstance(inner, exp.SetOperation):
                inner = inner.left
            if isinstance(inner, exp.Subquery):
                return self.figure_name(inner, scope)
            if isinstance(inner, exp.Select) and inner.expressions:
                first = inner.expressions[0]
                if isinstance(first, exp.Alias):
                    return ident(first.args["alias"]), 2
                sub_scope = Scope(scope)
                try:
                    self._from_clause(inner, sub_scope)
                except PostgresError:
                    pass
                return self.figure_name(first, sub_scope)[0], 2
            return "?column?", 0
        if isinstance(node, exp.Bracket):
            return self.figure_name(node.this, scope)
        for node_type, (name, _, _) in _KEYWORD_FUNCTIONS.items():
            if isinstance(node, node_type):
                return name, 2
        if isinstance(node, exp.Trim):
            position = str(node.args.get("position") or "").upper()
            return {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "btrim"), 2
        simple: dict[type[exp.Expr], str] = {
            exp.Substring: "substring", exp.StrPosition: "position", exp.Extract: "extract",
            exp.Interval: "interval",
        }  # fmt: skip
        for node_type, name in simple.items():
            if isinstance(node, node_type):
                return name, 2
        return "?column?", 0

    # -- expressions -------------------------------------------------------------------

    def condition(self, node: exp.Expr, scope: Scope) -> str:
        return self.expr(node, scope)[0]

    def filter_condition(self, node: exp.Expr, scope: Scope) -> str:
        """A WHERE/ON/HAVING condition, arranged so Python functions run last.

        SQLite checks each AND term as soon as the tables it mentions are joined, so
        ``pg_function_is_visible(p.oid) AND n.nspname <> 'pg_catalog'`` would call Python for
        every ``pg_proc`` row before the join with ``pg_namespace`` filters them.  Rendering
        it as ``cheap AND CASE WHEN cheap THEN python_terms ELSE 0 END`` keeps the cheap
        terms usable for index lookups and defers the Python calls until the cheap terms
        hold (only valid where NULL counts as false, hence only for filters).
        """
        if not isinstance(node, exp.And):
            return self.condition(node, scope)
        conjuncts = [self.condition(part, scope) for part in node.flatten()]
        cheap = [sql for sql in conjuncts if "pgf_" not in sql]
        costly = [sql for sql in conjuncts if "pgf_" in sql]
        if not cheap or not costly:
            return "(" + " AND ".join(conjuncts) + ")"
        cheap_sql = " AND ".join(cheap)
        return f"({cheap_sql} AND CASE WHEN {cheap_sql} THEN {' AND '.join(costly)} ELSE 0 END)"

    def expr(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        """SQLite SQL for an expression and its PostgreSQL type."""
        if node.args.get("negate"):
            positive = node.copy()
            positive.set("negate", None)
            sql, _ = self.expr(positive, scope)
            return f"(NOT {sql})", t.BOOL
        handler = getattr(self, f"_x_{type(node).__name__.lower()}", None)
        if handler is not None:
            return handler(node, scope)
        for node_type, op in _COMPARISONS.items():
            if type(node) is node_type:
                return self._comparison(node, op, scope)
        for node_type, op in _ARITHMETIC.items():
            if type(node) is node_type:
                return self._arithmetic(node, op, scope)
        for node_type, (_, sql, ty) in _KEYWORD_FUNCTIONS.items():
            if type(node) is node_type:
                return sql, ty
        raise PostgresError(f"unsupported expression: {node.sql(dialect='postgres')}", "0A000")

    def _x_paren(self, node: exp.Paren, scope: Scope) -> tuple[str, Ty]:
        sql, ty = self.expr(node.this, scope)
        return f"({sql})", ty

    def _x_alias(self, node: exp.Alias, scope: Scope) -> tuple[str, Ty]:
        return self.expr(node.this, scope)

    def _x_literal(self, node: exp.Literal, scope: Scope) -> tuple[str, Ty]:
        if node.is_string:
            return literal(node.this), t.UNKNOWN
        text = str(node.this)
        if text.isdigit():
            return text, t.INT4 if int(text) <= 2147483647 else t.INT8
        return text, t.NUMERIC

    def _x_bytestring(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        return literal(str(node.this)), t.UNKNOWN

    _x_unicodestring = _x_bytestring
    _x_national = _x_bytestring

    def _x_boolean(self, node: exp.Boolean, scope: Scope) -> tuple[str, Ty]:
        return ("1" if node.this else "0"), t.BOOL

    def _x_null(self, node: exp.Null, scope: Scope) -> tuple[str, Ty]:
        return "NULL", t.UNKNOWN

    def _x_parameter(self, node: exp.Parameter, scope: Scope) -> tuple[str, Ty]:
        number = param_number(node)
        assert number is not None
        self.params.setdefault(number, t.UNKNOWN)
        return f":p{number}", self.params[number]

    def _x_placeholder(self, node: exp.Placeholder, scope: Scope) -> tuple[str, Ty]:
        raise PostgresError("unsupported parameter placeholder", "42601")

    def _x_column(self, node: exp.Column, scope: Scope) -> tuple[str, Ty]:
        found = self._resolve(node, scope)
        if found is None:
            name = ident(node.this)
            return _BARE_FUNCTIONS[name][1], t.NAME
        return found.sql, found.ty

    def _x_dot(self, node: exp.Dot, scope: Scope) -> tuple[str, Ty]:
        if isinstance(node.expression, exp.Anonymous):
            return self._x_anonymous(node.expression, scope)
        sql, ty = self.expr(node.this, scope)
        field_name = ident(node.expression)
        field_ty = ty.field(field_name)
        if field_ty is None:
            raise PostgresError(f'could not identify column "{field_name}"', "42703")
        return f"json_extract({sql}, '$.{field_name}')", field_ty

    def _x_collate(self, node: exp.Collate, scope: Scope) -> tuple[str, Ty]:
        return self.expr(node.this, scope)

    def _x_and(self, node: exp.And, scope: Scope) -> tuple[str, Ty]:
        conjuncts = [self.condition(part, scope) for part in node.flatten()]
        return "(" + " AND ".join(conjuncts) + ")", t.BOOL

    def _x_or(self, node: exp.Or, scope: Scope) -> tuple[str, Ty]:
        return (
            f"({self.condition(node.this, scope)} OR {self.condition(node.expression, scope)})",
            t.BOOL,
        )

    def _x_not(self, node: exp.Not, scope: Scope) -> tuple[str, Ty]:
        return f"(NOT {self.condition(node.this, scope)})", t.BOOL

    def _x_neg(self, node: exp.Neg, scope: Scope) -> tuple[str, Ty]:
        sql, ty = self.expr(node.this, scope)
        return f"(-{sql})", ty

    def _x_is(self, node: exp.Is, scope: Scope) -> tuple[str, Ty]:
        left, _ = self.expr(node.this, scope)
        right = node.expression
        if isinstance(right, exp.Null):
            return f"({left} IS NULL)", t.BOOL
        if isinstance(right, exp.Boolean):
            return f"({left} IS {'TRUE' if right.this else 'FALSE'})", t.BOOL
        return f"({left} IS {self.expr(right, scope)[0]})", t.BOOL

    def _x_nullsafeeq(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        left, right = self._coerced_pair(node.this, node.expression, scope)
        return f"({left} IS {right})", t.BOOL

    def _x_nullsafeneq(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        left, right = self._coerced_pair(node.this, node.expression, scope)
        return f"({left} IS NOT {right})", t.BOOL

    def _x_between(self, node: exp.Between, scope: Scope) -> tuple[str, Ty]:
        value, ty = self.expr(node.this, scope)
        low, _ = self.coerce(node.args["low"], ty, scope)
        high, _ = self.coerce(node.args["high"], ty, scope)
        return f"({value} BETWEEN {low} AND {high})", t.BOOL

    def _x_exists(self, node: exp.Exists, scope: Scope) -> tuple[str, Ty]:
        sql, _ = self.query(node.this, scope)
        return f"EXISTS ({sql})", t.BOOL

    def _x_subquery(self, node: exp.Subquery, scope: Scope) -> tuple[str, Ty]:
        sql, columns = self.query(node, scope)
        if len(columns) != 1:
            raise PostgresError("subquery must return only one column", "42601")
        return f"({sql})", columns[0].ty

    def _x_select(self, node: exp.Select, scope: Scope) -> tuple[str, Ty]:
        return self._x_subquery(exp.Subquery(this=node), scope)

    def _x_in(self, node: exp.In, scope: Scope) -> tuple[str, Ty]:
        value, ty = self.expr(node.this, scope)
        query = node.args.get("query")
        if query is not None:
            sql, _ = self.query(query.this if isinstance(query, exp.Subquery) else query, scope)
            return f"({value} IN ({sql}))", t.BOOL
        unnest = node.args.get("unnest")
        if unnest is not None:
            array, _ = self.expr(unnest.expressions[0], scope)
            return f"({value} IN (SELECT value FROM json_each({array})))", t.BOOL
        items = [self.coerce(item, ty, scope)[0] for item in node.expressions]
        return f"({value} IN ({', '.join(items)}))", t.BOOL

    def _x_like(self, node: exp.Like, scope: Scope, escape: str = "'\\'") -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        pattern, _ = self.expr(node.expression, scope)
        return f"({value} LIKE {pattern} ESCAPE {escape})", t.BOOL

    def _x_escape(self, node: exp.Escape, scope: Scope) -> tuple[str, Ty]:
        inner = node.this
        escape, _ = self.expr(node.expression, scope)
        if isinstance(inner, exp.Like):
            return self._x_like(inner, scope, escape)
        return self.expr(inner, scope)

    def _x_ilike(self, node: exp.ILike, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        pattern, _ = self.expr(node.expression, scope)
        return f"pgf_ilike({value}, {pattern})", t.BOOL

    def _x_regexplike(self, node: exp.RegexpLike, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        pattern, _ = self.expr(node.expression, scope)
        return f"pgf_regex({value}, {pattern}, 0)", t.BOOL

    def _x_regexpilike(self, node: exp.RegexpILike, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        pattern, _ = self.expr(node.expression, scope)
        return f"pgf_regex({value}, {pattern}, 1)", t.BOOL

    def _x_operator(self, node: exp.Operator, scope: Scope) -> tuple[str, Ty]:
        operator = str(node.args.get("operator")).rpartition(".")[2].strip()
        left, right = node.this, node.expression
        if operator in ("~", "~*", "!~", "!~*"):
            flags = "1" if "*" in operator else "0"
            value, _ = self.expr(left, scope)
            pattern, _ = self.expr(right, scope)
            sql = f"pgf_regex({value}, {pattern}, {flags})"
            return (f"(NOT {sql})" if operator.startswith("!") else sql), t.BOOL
        if operator in ("~~", "!~~"):
            sql, ty = self._x_like(exp.Like(this=left, expression=right), scope)
            return (f"(NOT {sql})" if operator.startswith("!") else sql), ty
        comparison = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", ">": ">", "<=": "<=",
                      ">=": ">="}.get(operator)  # fmt: skip
        if comparison is not None:
            return self._comparison(exp.EQ(this=left, expression=right), comparison, scope)
        raise PostgresError(f"operator does not exist: {operator}", "42883")

    def _x_arraycontainsall(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        left, _ = self.expr(node.this, scope)
        right, _ = self.expr(node.expression, scope)
        return f"pgf_array_contains({left}, {right})", t.BOOL

    def _x_arrayoverlaps(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        left, _ = self.expr(node.this, scope)
        right, _ = self.expr(node.expression, scope)
        return f"pgf_array_overlaps({left}, {right})", t.BOOL

    def _x_dpipe(self, node: exp.DPipe, scope: Scope) -> tuple[str, Ty]:
        left, left_ty = self.expr(node.this, scope)
        right, right_ty = self.expr(node.expression, scope)
        if t.is_array(left_ty) or t.is_array(right_ty):
            array_ty = left_ty if t.is_array(left_ty) else right_ty
            return f"pgf_array_cat({left}, {right})", array_ty
        if left_ty.oid == oids.BOOL:
            left = f"pgf_bool_out({left})"
        if right_ty.oid == oids.BOOL:
            right = f"pgf_bool_out({right})"
        return f"({left} || {right})", t.TEXT

    def _x_bracket(self, node: exp.Bracket, scope: Scope) -> tuple[str, Ty]:
        array, ty = self.expr(node.this, scope)
        if len(node.expressions) != 1 or isinstance(node.expressions[0], exp.Slice):
            raise PostgresError("array slices are not supported", "0A000")
        index, _ = self.expr(node.expressions[0], scope)
        if ty.oid == oids.NAME:  # a name is a fixed-length array of "char", from 0
            return f"substr({array}, ({index}) + 1, 1)", Ty(oids.CHAR)
        if ty.oid in (oids.INT2VECTOR, oids.OIDVECTOR):  # subscripts of these start at 0
            index = f"({index} + 1)"
        return f"pgf_array_get({array}, {index})", t.element_of(ty)

    def _x_array(self, node: exp.Array, scope: Scope) -> tuple[str, Ty]:
        compiled = [self.expr(item, scope) for item in node.expressions]
        element = first_known([ty for _, ty in compiled]) if compiled else t.TEXT
        return f"pgf_array({', '.join(sql for sql, _ in compiled)})", t.array_of(element)

    def _x_case(self, node: exp.Case, scope: Scope) -> tuple[str, Ty]:
        operand_node = node.args.get("this")
        parts = ["CASE"]
        operand_ty = t.UNKNOWN
        if operand_node is not None:
            operand, operand_ty = self.expr(operand_node, scope)
            parts.append(operand)
        results: list[tuple[str, Ty]] = []
        for branch in node.args.get("ifs") or []:
            condition = (
                self.coerce(branch.this, operand_ty, scope)[0]
                if operand_node is not None
                else self.condition(branch.this, scope)
            )
            results.append(self.expr(branch.args["true"], scope))
            parts.append(f"WHEN {condition} THEN {results[-1][0]}")
        default = node.args.get("default")
        if default is not None:
            results.append(self.expr(default, scope))
            parts.append(f"ELSE {results[-1][0]}")
        parts.append("END")
        return " ".join(parts), first_known([ty for _, ty in results])

    def _x_if(self, node: exp.If, scope: Scope) -> tuple[str, Ty]:
        condition = self.condition(node.this, scope)
        true_sql, true_ty = self.expr(node.args["true"], scope)
        false_node = node.args.get("false")
        false_sql, false_ty = self.expr(false_node, scope) if false_node else ("NULL", t.UNKNOWN)
        return f"CASE WHEN {condition} THEN {true_sql} ELSE {false_sql} END", first_known(
            [true_ty, false_ty]
        )

    def _x_window(self, node: exp.Window, scope: Scope) -> tuple[str, Ty]:
        call, ty = self.expr(node.this, scope)
        parts = []
        partition = node.args.get("partition_by")
        if partition:
            parts.append("PARTITION BY " + ", ".join(self.expr(p, scope)[0] for p in partition))
        order = node.args.get("order")
        if order is not None:
            keys = []
            for ordered in order.expressions:
                key, _ = self.expr(ordered.this, scope)
                descending = bool(ordered.args.get("desc"))
                nulls_first = ordered.args.get("nulls_first")
                if nulls_first is None:
                    nulls_first = descending
                nulls = "FIRST" if nulls_first else "LAST"
                keys.append(f"{key}{' DESC' if descending else ''} NULLS {nulls}")
            parts.append("ORDER BY " + ", ".join(keys))
        return f"{call} OVER ({' '.join(parts)})", ty

    def _x_filter(self, node: exp.Filter, scope: Scope) -> tuple[str, Ty]:
        call, ty = self.expr(node.this, scope)
        where = node.expression
        condition = self.condition(where.this if isinstance(where, exp.Where) else where, scope)
        return f"{call} FILTER (WHERE {condition})", ty

    def _x_substring(self, node: exp.Substring, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        start = node.args.get("start")
        length = node.args.get("length")
        start_sql = self.expr(start, scope)[0] if start is not None else "1"
        if length is not None:
            return f"substr({value}, {start_sql}, {self.expr(length, scope)[0]})", t.TEXT
        return f"substr({value}, {start_sql})", t.TEXT

    def _x_strposition(self, node: exp.StrPosition, scope: Scope) -> tuple[str, Ty]:
        haystack, _ = self.expr(node.this, scope)
        needle, _ = self.expr(node.args["substr"], scope)
        return f"instr({haystack}, {needle})", t.INT4

    def _x_trim(self, node: exp.Trim, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.this, scope)
        chars = node.expression
        position = str(node.args.get("position") or "BOTH").upper()
        function = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "trim")
        if chars is not None:
            return f"{function}({value}, {self.expr(chars, scope)[0]})", t.TEXT
        return f"{function}({value})", t.TEXT

    def _x_extract(self, node: exp.Extract, scope: Scope) -> tuple[str, Ty]:
        value, _ = self.expr(node.expression, scope)
        return f"pgf_extract({literal(node.this.name)}, {value})", t.NUMERIC

    def _x_interval(self, node: exp.Interval, scope: Scope) -> tuple[str, Ty]:
        unit = node.args.get("unit")
        text = f"{node.this.name} {unit.name.lower()}" if unit is not None else node.this.name
        return literal(text), Ty(oids.INTERVAL)

    def _x_tuple(self, node: exp.Tuple, scope: Scope) -> tuple[str, Ty]:
        compiled = [self.expr(item, scope) for item in node.expressions]
        return "(" + ", ".join(sql for sql, _ in compiled) + ")", Ty(oids.RECORD)

    # -- comparisons and coercion ------------------------------------------------------

    def coerce(self, node: exp.Expr, target: Ty, scope: Scope) -> tuple[str, Ty]:
        """Compile ``node`` for use where a value of type ``target`` is expected.

        Untyped string literals take the expected type (PostgreSQL's unknown-literal rule):
        ``'16385'`` compared with an OID is the number 16385, ``'{0}'`` compared with an
        ``oid[]`` is an array, ``'pg_class'`` compared with a ``regclass`` is its OID.
        Parameters take the expected type (it decides how their values are bound).
        """
        number = param_number(node)
        if number is not None:
            known = self.params.get(number, t.UNKNOWN)
            if known.oid == oids.UNKNOWN and target.oid not in (oids.UNKNOWN, 0):
                self.params[number] = target
            return f":p{number}", self.params.get(number, t.UNKNOWN)
        bare = unwrap(node)
        if isinstance(bare, exp.Literal) and bare.is_string:
            if target.oid in (oids.UNKNOWN, 0):
                return literal(str(bare.this)), t.UNKNOWN
            return self._typed_literal(str(bare.this), target), target
        return self.expr(node, scope)

    @staticmethod
    def _is_untyped(node: exp.Expr) -> bool:
        bare = unwrap(node)
        return (isinstance(bare, exp.Literal) and bare.is_string) or isinstance(bare, exp.Parameter)

    def _typed_literal(self, text: str, target: Ty) -> str:
        if target.oid in _REG_KINDS:
            return f"pgf_reg_in('{_REG_KINDS[target.oid]}', {literal(text)})"
        if t.is_integer_like(target):
            stripped = text.strip()
            if stripped.lstrip("-").isdigit():
                return str(checked_integer(int(stripped), text, target))
            return f"pgf_int_in({literal(text)})"
        if target.oid == oids.BOOL:
            flag = text.strip().lower()
            if flag in ("t", "true", "y", "yes", "on", "1"):
                return "1"
            if flag in ("f", "false", "n", "no", "off", "0"):
                return "0"
            return f"pgf_bool_in({literal(text)})"
        if target.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC):
            return numeric_literal(text, target)
        if t.is_array(target):
            try:
                items = parse_array_literal(text)
            except ValueError as error:
                raise PostgresError(str(error), "22P02") from None
            if t.is_integer_like(t.element_of(target)):
                converted = [None if item is None else int(item) for item in items]
                return literal(to_storage(converted) or "[]")
            return literal(to_storage(items) or "[]")
        return literal(text)

    def _coerced_pair(self, left: exp.Expr, right: exp.Expr, scope: Scope) -> tuple[str, str]:
        """Compile both operands of a comparison, each typed by the other when untyped."""
        left_sql = right_sql = ""
        left_ty = right_ty = t.UNKNOWN
        if not self._is_untyped(left):
            left_sql, left_ty = self.expr(left, scope)
        if not self._is_untyped(right):
            right_sql, right_ty = self.expr(right, scope)
        if self._is_untyped(left):
            left_sql, left_ty = self.coerce(left, right_ty, scope)
        if self._is_untyped(right):
            right_sql, right_ty = self.coerce(right, left_ty, scope)
        return left_sql, right_sql

    def _comparison(self, node: exp.Expr, op: str, scope: Scope) -> tuple[str, Ty]:
        right_node = node.expression
        if isinstance(right_node, exp.Any | exp.All):
            return self._quantified(node.this, op, right_node, scope)
        left, right = self._coerced_pair(node.this, right_node, scope)
        return f"({left} {op} {right})", t.BOOL

    def _quantified(
        self, left_node: exp.Expr, op: str, quantifier: exp.Expr, scope: Scope
    ) -> tuple[str, Ty]:
        """``x op ANY(...)`` / ``x op ALL(...)`` over a subquery, ARRAY[...] or an array."""
        is_all = isinstance(quantifier, exp.All)
        inner = unwrap(quantifier.this)
        left_sql, left_ty = ("", t.UNKNOWN)
        if not self._is_untyped(left_node):
            left_sql, left_ty = self.expr(left_node, scope)
        if isinstance(inner, exp.Select | exp.SetOperation | exp.Subquery):
            sql, columns = self.query(inner, scope)
            element = columns[0].ty if columns else t.UNKNOWN
            source, value, members = f"({sql})", columns[0].sql_name, sql
        elif isinstance(inner, exp.Array):
            compiled = [self.coerce(item, left_ty, scope) for item in inner.expressions]
            element = first_known([ty for _, ty in compiled])
            items = ", ".join(sql for sql, _ in compiled)
            source, value, members = f"json_each(pgf_array({items}))", "value", items
        else:
            expected = t.array_of(left_ty) if left_ty.oid not in (oids.UNKNOWN, 0) else t.UNKNOWN
            array, array_ty = self.coerce(inner, expected, scope)
            if array_ty.oid == oids.UNKNOWN:
                array, array_ty = self.coerce(inner, Ty(oids.TEXT_ARRAY), scope)
            element = t.element_of(array_ty)
            members = f"SELECT value FROM json_each({array})"
            source, value = f"json_each({array})", "value"
        if self._is_untyped(left_node):
            left_sql, left_ty = self.coerce(left_node, element, scope)
        if op == "=" and not is_all:
            return f"({left_sql} IN ({members}))", t.BOOL
        if op == "<>" and is_all:
            return f"({left_sql} NOT IN ({members}))", t.BOOL
        if is_all:
            return (
                f"(NOT EXISTS (SELECT 1 FROM {source} WHERE NOT ({left_sql} {op} {value})))",
                t.BOOL,
            )
        return f"EXISTS (SELECT 1 FROM {source} WHERE {left_sql} {op} {value})", t.BOOL

    def _arithmetic(self, node: exp.Expr, op: str, scope: Scope) -> tuple[str, Ty]:
        left, left_ty = self.expr(node.this, scope)
        right, right_ty = self.expr(node.expression, scope)
        result = t.promote(left_ty, right_ty)
        if op in ("/", "%") and oids.NUMERIC in (left_ty.oid, right_ty.oid):
            remainder = 1 if op == "%" else 0
            return f"pgf_numeric_div({left}, {right}, {remainder})", result
        if op in ("/", "%"):
            right = f"pgf_divisor({right})"
        elif op in ("+", "-", "*") and result.oid in _CHECKED_INTEGERS:
            # SQLite computes in 64 bits and turns an overflow into a real: PostgreSQL refuses.
            return f"pgf_int_range({left} {op} {right}, {result.oid})", result
        return f"({left} {op} {right})", result

    def _x_pow(self, node: exp.Pow, scope: Scope) -> tuple[str, Ty]:
        left, _ = self.expr(node.this, scope)
        right, _ = self.expr(node.expression, scope)
        return f"pgf_power({left}, {right})", t.FLOAT8

    # -- casts -------------------------------------------------------------------------

    def _x_cast(self, node: exp.Cast, scope: Scope) -> tuple[str, Ty]:
        resolved = cast_target(node)
        if resolved is None:
            raise PostgresError(f'type "{node.args["to"].sql()}" does not exist', "42704")
        target, _ = resolved
        number = param_number(node.this)
        if number is not None:
            if self.params.get(number, t.UNKNOWN).oid == oids.UNKNOWN:
                self.params[number] = target
        bare = unwrap(node.this)
        if isinstance(bare, exp.Literal) and bare.is_string:
            return self._literal_cast(str(bare.this), target), target
        sql, source = self.expr(node.this, scope)
        return self._convert(sql, source, target), target

    def _literal_cast(self, text: str, target: Ty) -> str:
        if target.oid in _REG_KINDS:
            return f"pgf_reg_in('{_REG_KINDS[target.oid]}', {literal(text)})"
        check_literal(text, target)
        if (
            t.is_integer_like(target)
            or target.oid in (oids.BOOL, oids.FLOAT4, oids.FLOAT8, oids.NUMERIC)
            or t.is_array(target)
        ):
            return self._typed_literal(text, target)  # fmt: skip
        return literal(text)

    def _convert(self, sql: str, source: Ty, target: Ty) -> str:
        """SQL converting a value of type ``source`` to ``target`` (cast semantics)."""
        if source.oid == target.oid:
            return sql
        textual_source = source.oid in t.TEXT_TYPES or source.oid == 0
        if target.oid in _REG_KINDS:
            if textual_source:
                return f"pgf_reg_in('{_REG_KINDS[target.oid]}', {sql})"
            return sql
        if target.oid in t.TEXT_TYPES or target.oid in (oids.JSON, oids.JSONB, oids.XML):
            if source.oid in _REG_KINDS:
                return f"pgf_reg_out('{_REG_KINDS[source.oid]}', {sql})"
            if source.oid == oids.BOOL:
                return f"pgf_bool_out({sql})"
            if t.is_array(source):
                return f"pgf_array_out({sql})"
            if source.oid == oids.RECORD:
                return f"pgf_record_out({sql})"
            if target.oid in (oids.JSON, oids.JSONB):
                return sql
            return f"CAST({sql} AS TEXT)" if not textual_source else sql
        if t.is_integer_like(target):
            if textual_source:
                return f"pgf_int_in({sql})"
            if source.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC):
                return f"CAST(round({sql}) AS INTEGER)"
            return sql
        if target.oid == oids.BOOL:
            return f"pgf_bool_in({sql})"
        if target.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC):
            return f"CAST({sql} AS REAL)" if target.oid != oids.NUMERIC else sql
        if t.is_array(target):
            return f"pgf_array_in({sql})" if textual_source else sql
        return sql

    # -- function calls ----------------------------------------------------------------

    def _x_anonymous(self, node: exp.Anonymous, scope: Scope) -> tuple[str, Ty]:
        current: Scope | None = scope
        while current is not None:
            if id(node) in current.srf:
                return current.srf[id(node)]
            current = current.parent
        name = str(node.this).lower()
        args = list(node.expressions)
        if (
            name == "array"
            and len(args) == 1
            and isinstance(unwrap(args[0]), exp.Select | exp.SetOperation | exp.Subquery)
        ):
            return self._array_subquery(unwrap(args[0]), scope)
        if name in ORDERED_AGGREGATES:
            return self._ordered_aggregate(name, args, scope)
        if name in SET_RETURNING:
            raise PostgresError(f"set-returning function {name} is not allowed here", "0A000")
        spec = FUNCTIONS.get(name)
        if spec is None:
            raise PostgresError(f"function {name} does not exist", "42883")
        distinct = ""
        if len(args) == 1 and isinstance(args[0], exp.Distinct):
            distinct = "DISTINCT "
            args = list(args[0].expressions)
        compiled: list[tuple[str, Ty]] = []
        for position, arg in enumerate(args):
            if isinstance(arg, exp.Star):
                compiled.append(("*", t.UNKNOWN))
                continue
            declared = spec.params[position] if position < len(spec.params) else 0
            if declared and declared != oids.ANYARRAY:
                compiled.append(self.coerce(arg, Ty(declared), scope))
            else:
                compiled.append(self.expr(arg, scope))
        sqls = [sql for sql, _ in compiled]
        types = [ty for _, ty in compiled]
        ty = spec.returns(types)
        builder = spec.sql
        if callable(builder):
            return builder(sqls, types), ty
        target = builder if builder is not None else f"pgf_{name.removeprefix('pg_')}"
        return f"{target}({distinct}{', '.join(sqls)})", ty

    def _array_subquery(self, node: exp.Expr, scope: Scope) -> tuple[str, Ty]:
        sql, columns = self.query(node, scope)
        if len(columns) != 1:
            raise PostgresError("subquery must return only one column", "42601")
        alias = quote(f"_array{next(self._aliases)}")
        column = columns[0].sql_name
        return (
            f"(SELECT pgf_array_sub({alias}.{column}) FROM ({sql}) AS {alias})",
            t.array_of(columns[0].ty),
        )

    def _ordered_aggregate(self, name: str, args: list[exp.Expr], scope: Scope) -> tuple[str, Ty]:
        """``array_agg``/``string_agg``/``json_agg``, with ``DISTINCT`` and ``ORDER BY`` in the
        call (see ``aggregates.py``)."""
        rule, function = ORDERED_AGGREGATES[name]
        order: exp.Order | None = None
        if args and isinstance(args[-1], exp.Order):
            order = args[-1]
            args = [*args[:-1], order.this]
        distinct = len(args) == 1 and isinstance(args[0], exp.Distinct)
        if distinct:
            args = list(args[0].expressions)
            function += "_distinct"
        compiled = [self.expr(unwrap(arg), scope) for arg in args]
        ty = rule([ty for _, ty in compiled])
        values = [sql for sql, _ in compiled][: 2 if name == "string_agg" else 1]
        if name == "string_agg" and len(values) == 1:
            values.append("''")
        directions = ""
        keys: list[str] = []
        for ordered in order.expressions if order is not None else []:
            descending = bool(ordered.args.get("desc"))
            nulls_first = ordered.args.get("nulls_first")
            if nulls_first is None:
                nulls_first = descending
            letter = "d" if descending else "a"
            directions += letter.upper() if nulls_first else letter
            keys.append(self.expr(unwrap(ordered.this), scope)[0])
            if distinct and keys[-1] not in (sql for sql, _ in compiled):
                raise PostgresError(
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in "
                    "argument list",
                    "42P10",
                )
        if distinct and order is None:  # PostgreSQL sorts the input by the arguments
            directions, keys = "a" * len(values), values
        return f"{function}({', '.join([*values, literal(directions), *keys])})", ty
