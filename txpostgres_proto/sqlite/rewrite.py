"""Rewrite PostgreSQL expressions into SQLite ones, node by node, on the sqlglot tree.

sqlglot's own PostgreSQL → SQLite transpilation covers the syntax both share; what it cannot
know is how *this* backend stores values (``typemap.py``) and which user functions it installed
(``functions.py``).  `to_sqlite_tree` applies these rewrites:

* casts (``x::int``, ``CAST(x AS date)``, ``interval '1 day'``) → ``pg_cast(x, oid, typmod)``,
  PostgreSQL's strict input rules;
* ``/`` and ``%`` → the divisor goes through ``pg_nonzero`` (SQLite returns NULL for ``1/0``,
  PostgreSQL raises 22012);
* ``LIKE``/``ILIKE`` get PostgreSQL's default escape character ``\\`` (SQLite has none; the
  connection runs with ``case_sensitive_like`` so LIKE is case-sensitive as in PostgreSQL);
* ``~*`` → ``pg_regexp_i``; ``~`` uses SQLite's ``REGEXP`` operator (our ``regexp`` function);
* arrays are JSON text: ``ARRAY[…]`` → ``json_array(…)``, ``a[i]`` → ``pg_array_get(a, i)``,
  ``x = ANY(a)`` → ``x IN (SELECT value FROM json_each(a))``, ``x <> ALL(a)`` → ``NOT IN``,
  ``@>``/``&&`` → ``pg_array_contains``/``pg_array_overlaps``;
* ``now()``, ``CURRENT_TIMESTAMP``, ``CURRENT_DATE``, ``LOCALTIMESTAMP`` → the session-bound
  functions.

Arithmetic depends on its operands' types, so `typed_arithmetic` (given a ``Resolver``) does it
before those rewrites, for queries (``translate.py``) and column defaults (``ddl.py``) alike:
dates, timestamps and intervals (stored as text) go to the functions that know them
(``ts + interval``, ``ts - ts``, ``date + 7``, ``interval * 2``), numeric division to
``pg_numeric_div``, and integer ``+ - *`` through ``pg_int_range`` (PostgreSQL's overflow
error).
* ``SIMILAR TO`` → ``pg_similar``; ``x LIKE ANY (array)`` → ``EXISTS`` over the array;
  ``#>``/``#>>`` → SQLite's ``->``/``->>`` with a JSON path;
* function names PostgreSQL and SQLite spell differently (``string_agg`` → ``group_concat``,
  ``array_agg`` → ``json_group_array``, ``greatest`` → ``pg_greatest`` …); an ``ORDER BY``
  inside an aggregate call is dropped (SQLite before 3.44 cannot order inside aggregates);
* ``E'…'`` strings become plain literals; ``public.`` qualifiers are removed (SQLite's ``main``).
"""

from __future__ import annotations

from typing import Final

from sqlglot import exp

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.functions import REGISTERED
from txpostgres_proto.sqlite.resolve import Resolver, cast_target, function_name, own_nodes
from txpostgres_proto.sqlite.typemap import PgType
from txpostgres_proto.types import format_interval, oids, parse_interval

_RENAMES: Final = {
    "string_agg": "group_concat",
    "char_length": "length",
    "character_length": "length",
    "strpos": "instr",
    "array_agg": "json_group_array",
    "json_agg": "json_group_array",
    "jsonb_agg": "json_group_array",
    "json_object_agg": "json_group_object",
    "jsonb_object_agg": "json_group_object",
    "json_build_object": "json_object",
    "jsonb_build_object": "json_object",
    "json_build_array": "json_array",
    "jsonb_build_array": "json_array",
    "jsonb_array_length": "json_array_length",
    "bool_and": "min",
    "every": "min",
    "bool_or": "max",
    "greatest": "pg_greatest",
    "least": "pg_least",
    "date_part": "pg_extract",
    "ceiling": "ceil",
    "log10": "log",
    "power": "pow",
    "localtimestamp": "pg_localtimestamp",
    "user": "current_user",
    "ascii": "unicode",
    "octet_length": "pg_octet_length",
    # LEFT and RIGHT are keywords in SQLite (joins); the functions get other names.
    "left": "pg_left",
    "right": "pg_right",
}
#: SQLite built-ins whose PostgreSQL namesake means the same (SQLite docs: core, aggregate,
#: window, math and JSON functions).
SQLITE_BUILTINS: Final = frozenset(
    {
        *("abs", "coalesce", "length", "lower", "upper", "ltrim", "rtrim", "trim", "replace"),
        *("round", "substr", "substring", "instr", "nullif", "max", "min", "sign", "count"),
        *("sum", "avg", "group_concat", "ceil", "floor", "exp", "ln", "log", "mod", "pow"),
        *("sqrt", "trunc", "degrees", "radians", "sin", "cos", "tan", "asin", "acos", "atan"),
        *("atan2", "row_number", "rank", "dense_rank", "percent_rank", "cume_dist", "ntile"),
        *("lag", "lead", "first_value", "last_value", "nth_value", "json_array", "json_object"),
        *("json_group_array", "json_group_object", "json_array_length", "json_extract"),
        *("json_each", "unicode", "ceiling", "power", "log10"),
    }
)
#: Schemas whose tables are SQLite's main database.
APPLICATION_SCHEMAS: Final = frozenset({"public", "main"})


def _call(name: str, *arguments: exp.Expression) -> exp.Anonymous:
    return exp.Anonymous(this=name, expressions=list(arguments))


def _cast(node: exp.Expression, target: PgType) -> exp.Expression:
    return _call(
        "pg_cast",
        node,
        exp.Literal.number(target.oid),
        exp.Literal.number(target.typmod),
    )


def _interval_literal(node: exp.Interval) -> exp.Expression:
    text = node.this.name if isinstance(node.this, exp.Literal) else node.this.sql()
    unit = node.args.get("unit")
    if unit is not None:
        text = f"{text} {unit.name}"
    try:
        literal = exp.Literal.string(format_interval(*parse_interval(text)))
    except ValueError:
        raise PostgresError(f'invalid input syntax for type interval: "{text}"', "22007") from None
    return _cast(literal, PgType(oids.INTERVAL))


def _is_interval(node: exp.Expression) -> bool:
    """An interval value, after its own rewrite (a ``pg_cast(…, interval)`` call)."""
    if not isinstance(node, exp.Anonymous) or str(node.this) != "pg_cast":
        return False
    target = node.expressions[1]
    return isinstance(target, exp.Literal) and target.name == str(oids.INTERVAL)


def _like_any(node: exp.Like | exp.ILike) -> exp.Expression:
    """``x LIKE ANY (array)`` → ``EXISTS (SELECT 1 FROM json_each(array) WHERE x LIKE value)``."""
    array = node.expression.this
    while isinstance(array, exp.Paren):
        array = array.this
    match = node.__class__(this=node.this, expression=exp.column("value"))
    condition = exp.Escape(this=match, expression=exp.Literal.string("\\"))
    query = exp.select("1").from_(exp.Table(this=_call("json_each", array))).where(condition)
    return exp.Exists(this=query)


def _json_path(node: exp.JSONBExtract | exp.JSONBExtractScalar) -> exp.Expression:
    """``j #> '{a,0}'`` → ``j -> '$."a"[0]'`` (``#>>``: ``->>``)."""
    steps = node.expression
    if not (isinstance(steps, exp.Literal) and steps.is_string):
        raise PostgresError("#> and #>> need a constant path on the SQLite backend", "0A000")
    path = "$"
    for step in steps.name.strip("{}").split(","):
        step = step.strip().strip('"')
        path += f"[{step}]" if step.lstrip("-").isdigit() else '."' + step.replace('"', '\\"') + '"'
    extract = exp.JSONExtract if isinstance(node, exp.JSONBExtract) else exp.JSONExtractScalar
    return extract(this=node.this, expression=exp.Literal.string(path))


def _divisor(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Literal) and not node.is_string and float(node.name) != 0:
        return node
    return _call("pg_nonzero", node)


def _strip_order(argument: exp.Expression) -> exp.Expression:
    """``string_agg(x, ',' ORDER BY y)`` parses the ORDER BY around the last argument."""
    return argument.this if isinstance(argument, exp.Order) else argument


def _function(node: exp.Anonymous) -> exp.Expression:
    name = function_name(node)
    arguments = [_strip_order(argument) for argument in node.expressions]
    if name in ("now", "transaction_timestamp") and not arguments:
        return _call("now")
    renamed = _RENAMES.get(name)
    if renamed is not None or arguments != node.expressions:
        return _call(renamed or name, *arguments)
    return node


def _any_all(node: exp.Expression) -> exp.Expression | None:
    """``x = ANY(a)``/``x <> ALL(a)`` over a subquery or an array (JSON text)."""
    right = node.expression
    negate = isinstance(node, exp.NEQ)
    if isinstance(right, exp.Any) and not negate:
        inner = right.this
    elif isinstance(right, exp.Anonymous) and function_name(right) == "all" and negate:
        inner = right.expressions[0] if right.expressions else None
    else:
        return None
    while isinstance(inner, exp.Paren):
        inner = inner.this
    if inner is None:
        return None
    if isinstance(inner, exp.Subquery | exp.Select):
        query = inner.this if isinstance(inner, exp.Subquery) else inner
    else:
        query = exp.select("value").from_(exp.Table(this=_call("json_each", inner)))
    membership = exp.In(this=node.this, query=exp.Subquery(this=query))
    return exp.Not(this=membership) if negate else membership


def _source_alias(node: exp.Expression, default: str) -> tuple[str, str]:
    """(table alias, column name) of a set-returning function in FROM."""
    alias = node.args.get("alias")
    name = alias.name if isinstance(alias, exp.TableAlias) and alias.name else default
    columns = alias.columns if isinstance(alias, exp.TableAlias) else []
    return name, (columns[0].name if columns else name)


def _derived(query: exp.Select, alias: str) -> exp.Subquery:
    return exp.Subquery(
        this=query, alias=exp.TableAlias(this=exp.to_identifier(alias, quoted=True))
    )


def _generate_series(node: exp.Table, call: exp.Anonymous) -> exp.Expression:
    """``generate_series(start, stop[, step])`` in FROM as a recursive CTE."""
    arguments = call.expressions
    if len(arguments) not in (2, 3):
        raise PostgresError("function generate_series has 2 or 3 arguments", "42883")
    start, stop = arguments[0], arguments[1]
    step = arguments[2] if len(arguments) == 3 else exp.Literal.number(1)
    value = exp.column("value")
    if _is_interval(step):
        following: exp.Expression = _call(
            "pg_datetime_add", value.copy(), step.copy(), exp.Literal.number(1)
        )
        going_up: exp.Expression = exp.true()
    else:
        following = exp.Add(this=value.copy(), expression=exp.Paren(this=step.copy()))
        going_up = exp.GTE(this=step.copy(), expression=exp.Literal.number(0))
    within = exp.or_(
        exp.and_(going_up, exp.LTE(this=following.copy(), expression=stop.copy())),
        exp.and_(exp.not_(going_up.copy()), exp.GTE(this=following.copy(), expression=stop.copy())),
    )
    first = exp.select(exp.alias_(start.copy(), "value")).where(
        exp.or_(
            exp.and_(going_up.copy(), exp.LTE(this=start.copy(), expression=stop.copy())),
            exp.and_(exp.not_(going_up.copy()), exp.GTE(this=start.copy(), expression=stop.copy())),
        )
    )
    rest = exp.select(following).from_("_txpg_series").where(within)
    cte = exp.CTE(
        this=exp.union(first, rest, distinct=False),
        alias=exp.TableAlias(
            this=exp.to_identifier("_txpg_series"), columns=[exp.to_identifier("value")]
        ),
    )
    alias, column = _source_alias(node, "generate_series")
    query = exp.select(exp.alias_(value, column, quoted=True)).from_("_txpg_series")
    query.set("with_", exp.With(expressions=[cte], recursive=True))
    return _derived(query, alias)


def _unnest(node: exp.Unnest) -> exp.Expression:
    """``unnest(array)`` in FROM: the elements of the JSON array."""
    if len(node.expressions) != 1:
        raise PostgresError("unnest of several arrays is not supported", "0A000")
    alias, column = _source_alias(node, "unnest")
    source = exp.Table(this=_call("json_each", node.expressions[0]))
    query = exp.select(exp.alias_(exp.column("value"), column, quoted=True)).from_(source)
    return _derived(query, alias)


def _column_aliases(node: exp.Values | exp.Subquery) -> exp.Expression:
    """``(VALUES …) AS v(a, b)`` and ``(SELECT …) AS s(a, b)``: SQLite has no column list on a
    derived table, so the columns are renamed inside it."""
    alias = node.args.get("alias")
    if not isinstance(alias, exp.TableAlias) or not alias.columns:
        return node
    names = [column.name for column in alias.columns]
    if isinstance(node, exp.Values):
        width = len(node.expressions[0].expressions) if node.expressions else 0
        labels = [names[i] if i < len(names) else f"column{i + 1}" for i in range(width)]
        projections = [
            exp.alias_(exp.column(f"column{i + 1}"), label, quoted=True)
            for i, label in enumerate(labels)
        ]
        rows = exp.Subquery(this=exp.Values(expressions=node.expressions))
        return _derived(exp.select(*projections).from_(rows), alias.name)
    query = node.this
    if not isinstance(query, exp.Select) or any(
        isinstance(projection, exp.Star) or isinstance(projection.this, exp.Star)
        for projection in query.expressions
    ):
        return node
    for name, projection in zip(names, list(query.expressions), strict=False):
        inner = projection.this if isinstance(projection, exp.Alias) else projection
        projection.replace(exp.alias_(inner.copy(), name, quoted=True))
    node.set("alias", exp.TableAlias(this=exp.to_identifier(alias.name, quoted=True)))
    return node


def _table(node: exp.Table) -> exp.Expression:
    if isinstance(node.this, exp.Anonymous) and function_name(node.this) == "generate_series":
        return _generate_series(node, node.this)
    node.set("only", None)  # SQLite has no table inheritance: ONLY t is t
    schema = node.args.get("db")
    if schema is None:
        return node
    if schema.name.lower() not in APPLICATION_SCHEMAS:
        raise PostgresError(f'relation "{schema.name}.{node.name}" does not exist', "42P01")
    node.set("db", None)
    node.set("catalog", None)
    return node


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Cast):
        return _cast(node.this, cast_target(node.to))
    if isinstance(node, exp.Interval):
        return _interval_literal(node)
    if isinstance(node, exp.Div | exp.Mod):
        node.set("expression", _divisor(node.expression))
        return node
    if isinstance(node, exp.Like | exp.ILike) and isinstance(node.expression, exp.Any):
        return _like_any(node)
    if isinstance(node, exp.Like | exp.ILike) and not isinstance(node.parent, exp.Escape):
        return exp.Escape(this=node, expression=exp.Literal.string("\\"))
    if isinstance(node, exp.RegexpILike):
        return _call("pg_regexp_i", node.this, node.expression)
    if isinstance(node, exp.SimilarTo):
        return _call("pg_similar", node.this, node.expression)
    if isinstance(node, exp.JSONBExtract | exp.JSONBExtractScalar):
        return _json_path(node)
    if isinstance(node, exp.Array):
        return _call("json_array", *node.expressions)
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1:
        index = node.expressions[0]
        if isinstance(index, exp.Literal) and not index.is_string:
            one_based: exp.Expression = exp.Literal.number(int(index.name) + 1)
        else:
            one_based = exp.Add(this=exp.Paren(this=index), expression=exp.Literal.number(1))
        return _call("pg_array_get", node.this, one_based)
    if isinstance(node, exp.EQ | exp.NEQ):
        membership = _any_all(node)
        if membership is not None:
            return membership
    if isinstance(node, exp.ArrayContainsAll):
        return _call("pg_array_contains", node.this, node.expression)
    if isinstance(node, exp.ArrayOverlaps):
        return _call("pg_array_overlaps", node.this, node.expression)
    if isinstance(node, exp.CurrentTimestamp):
        return _call("now")
    if isinstance(node, exp.CurrentDate):
        return _call("pg_current_date")
    if isinstance(node, exp.CurrentTime):
        return _call("pg_current_time")
    if isinstance(node, exp.Localtimestamp):
        return _call("pg_localtimestamp")
    if isinstance(node, exp.Extract):
        return _call("pg_extract", exp.Literal.string(node.this.name.lower()), node.expression)
    if isinstance(node, exp.ByteString):
        return exp.Literal.string(node.this)
    if isinstance(node, exp.Anonymous):
        return _function(node)
    if isinstance(node, exp.Table):
        return _table(node)
    if isinstance(node, exp.Unnest):
        return _unnest(node)
    if isinstance(node, exp.Values | exp.Subquery):
        return _column_aliases(node)
    if isinstance(node, exp.Collate):
        return node.this
    return node


def is_local_function(name: str) -> bool:
    """True when the backend runs ``name(…)`` itself (a SQLite built-in, a rename or one of
    ``functions.py``)."""
    return name in SQLITE_BUILTINS or name in _RENAMES or name in REGISTERED


def to_sqlite_tree(tree: exp.Expression) -> exp.Expression:
    """The tree with every rewrite of the module docstring applied, children first (in place)."""
    for key, value in list(tree.args.items()):
        if isinstance(value, exp.Expression):
            tree.set(key, to_sqlite_tree(value))
        elif isinstance(value, list):
            tree.set(
                key,
                [
                    to_sqlite_tree(item) if isinstance(item, exp.Expression) else item
                    for item in value
                ],
            )
    return _rewrite(tree)


def cast_to(node: exp.Expression, target: PgType) -> exp.Expression:
    """``node`` cast to ``target`` with PostgreSQL's input rules (a ``pg_cast`` call)."""
    return _cast(node, target)


# --- typed arithmetic --------------------------------------------------------------------------


_DATETIMES: Final = frozenset({oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.DATE})
_NUMBERS: Final = frozenset(
    {oids.INT2, oids.INT4, oids.INT8, oids.NUMERIC, oids.FLOAT4, oids.FLOAT8, oids.UNKNOWN}
)


def _temporal(node: exp.Expression, left: int, right: int) -> exp.Expression | None:
    """The function computing ``left op right`` on dates, timestamps and intervals (stored as
    text, on which SQLite's arithmetic would be meaningless), or None for plain arithmetic."""
    a, b = node.this, node.expression
    sign = exp.Literal.number(-1 if isinstance(node, exp.Sub) else 1)
    interval = oids.INTERVAL
    if isinstance(node, exp.Add | exp.Sub):
        if left in _DATETIMES and right == interval:
            return _call("pg_datetime_add", a, b, sign)
        if left == interval and right in _DATETIMES and isinstance(node, exp.Add):
            return _call("pg_datetime_add", b, a, sign)
        if left == interval and right == interval:
            return _call("pg_interval_add", a, b, sign)
        if isinstance(node, exp.Sub) and left in _DATETIMES and right in _DATETIMES:
            both_dates = left == right == oids.DATE
            return _call("pg_date_diff" if both_dates else "pg_datetime_diff", a, b)
        if left == oids.DATE and right in _NUMBERS:
            return _call("pg_date_add", a, b, sign)
        if right == oids.DATE and left in _NUMBERS and isinstance(node, exp.Add):
            return _call("pg_date_add", b, a, sign)
    if isinstance(node, exp.Mul | exp.Div):
        divide = exp.Literal.number(1 if isinstance(node, exp.Div) else 0)
        if left == interval and right in _NUMBERS:
            return _call("pg_interval_mul", a, b, divide)
        if right == interval and left in _NUMBERS and isinstance(node, exp.Mul):
            return _call("pg_interval_mul", b, a, divide)
    return None


def typed_arithmetic(tree: exp.Expression, resolver: Resolver, *, integers: bool = True) -> None:
    """Date, timestamp and interval arithmetic, numeric division and (unless ``integers`` is
    False) integer overflow, through the functions that understand them; interval comparison
    and ordering by ``pg_interval_key``, and interval ``max``/``min`` (not as window
    functions).  A column default leaves integers alone: ``reflect.py`` reads a default back
    from its SQLite text (a file written before the PostgreSQL texts were kept), where
    ``pg_int_range`` would show."""
    edits = []
    keyed: list[exp.Expression] = []
    extremes: list[tuple[exp.Expression, exp.Expression]] = []
    for query, scope in resolver.scopes(tree):
        for node in own_nodes(query):
            if isinstance(node, exp.Add | exp.Sub | exp.Mul | exp.Div | exp.Mod):
                left = resolver.type_of(node.this, scope).pg_type.oid
                right = resolver.type_of(node.expression, scope).pg_type.oid
                edits.append((node, left, right))
            elif isinstance(node, _COMPARISONS):
                sides = _compared(node)
                types = [resolver.type_of(side, scope).pg_type.oid for side in sides]
                if oids.INTERVAL in types:
                    keyed.extend(sides)
            elif isinstance(node, exp.Ordered) and not isinstance(node.this, exp.Literal):
                if resolver.type_of(node.this, scope).pg_type.oid == oids.INTERVAL:
                    keyed.append(node.this)
            elif (extreme := _interval_extreme(node)) is not None:
                if resolver.type_of(extreme, scope).pg_type.oid == oids.INTERVAL:
                    extremes.append((node, extreme))
    for node, argument in extremes:
        node.replace(_call(f"pg_interval_{function_name(node)}", argument))
    for side in keyed:  # wrapped in place: the arithmetic rewrites below still reach them
        key = _call("pg_interval_key")
        side.replace(key)
        key.set("expressions", [side])
    for node, left, right in edits:
        replacement = (
            _temporal(node, left, right)
            or _numeric_division(node, left, right)
            or (_checked_integer(node, left, right) if integers else None)
        )
        if replacement is not None:
            node.replace(replacement)


#: Comparisons whose interval operands are compared by ``pg_interval_key``.
_COMPARISONS: Final = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.Between, exp.In)


def _interval_extreme(node: exp.Expression) -> exp.Expression | None:
    """The argument of a plain ``max(x)`` / ``min(x)`` aggregate call (not a window
    function: those keep SQLite's own), else None."""
    if isinstance(node.parent, exp.Window):
        return None
    if isinstance(node, exp.Max | exp.Min) and not node.expressions:
        return node.this
    if (
        isinstance(node, exp.Anonymous)
        and function_name(node) in ("max", "min")
        and len(node.expressions) == 1
    ):
        return node.expressions[0]
    return None


def _compared(node: exp.Expression) -> list[exp.Expression]:
    """The operands a comparison, BETWEEN or IN (list) compares with one another."""
    if isinstance(node, exp.Between):
        return [node.this, node.args["low"], node.args["high"]]
    if isinstance(node, exp.In):
        return [node.this, *node.expressions] if node.expressions else []
    return [node.this, node.expression]


#: Integer types by width: arithmetic between two of them has the wider one's type.
_INTEGER_WIDTHS: Final = (oids.INT2, oids.INT4, oids.INT8)


def _checked_integer(node: exp.Expression, left: int, right: int) -> exp.Expression | None:
    """Integer ``+``, ``-`` and ``*`` through ``pg_int_range``: SQLite computes in 64 bits
    and turns an overflow into a real, where PostgreSQL refuses (22003)."""
    if not isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return None
    if left not in _INTEGER_WIDTHS or right not in _INTEGER_WIDTHS:
        return None
    wider = max(_INTEGER_WIDTHS.index(left), _INTEGER_WIDTHS.index(right))
    # A new node over the same operands, so that rewrites of operands still to come reach it.
    same = type(node)(this=node.this, expression=node.expression)
    return _call("pg_int_range", same, exp.Literal.number(_INTEGER_WIDTHS[wider]))


def _numeric_division(node: exp.Expression, left: int, right: int) -> exp.Expression | None:
    """``/`` and ``%`` with a numeric operand through ``pg_numeric_div``: numerics with no
    fraction are stored as integers, which SQLite's own operators divide as integers."""
    if not isinstance(node, exp.Div | exp.Mod) or oids.NUMERIC not in (left, right):
        return None
    if left not in _NUMBERS or right not in _NUMBERS:
        return None
    remainder = exp.Literal.number(1 if isinstance(node, exp.Mod) else 0)
    return _call("pg_numeric_div", node.this, node.expression, remainder)
