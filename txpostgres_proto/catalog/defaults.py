"""Column defaults as PostgreSQL prints them: ``pg_get_expr(adbin, adrelid)``.

PostgreSQL keeps a default as its parsed, type-resolved expression tree and prints it back with
ruleutils.c: every operator call and boolean connective in parentheses (``(nextval(...) + 1)``,
``(- x)``), constants as ``get_const_expr`` writes them (a non-negative ``integer``, a
fractional ``numeric`` and a boolean bare, anything else quoted with its type:
``'-1'::integer``, ``'x'::text``), an explicit cast as ``(x)::type`` or ``'lit'::type(n)``
(``get_coercion_expr``), an implicit cast only where it is the argument of an operator or a
function (``upper((CURRENT_USER)::text)``), SQL value functions by keyword
(``CURRENT_TIMESTAMP``).  String literals take the type of what receives them: the column, the
operator's or the function's parameter.

The application gives a default as SQL text, in its own spelling or in PostgreSQL's;
:func:`deparse_default` parses it and prints what PostgreSQL would store, resolving operators
and functions against the built-in ``pg_operator``/``pg_proc``/``pg_cast`` rows with
PostgreSQL's rules in brief (parse_func.c ``func_select_candidate``: an exact match, else the
candidates reachable by implicit casts with the most exact, then preferred, argument types,
then the string category for unknown literals).  A default already in PostgreSQL's printed
form is printed unchanged (as PostgreSQL would re-read it: ``(- 1)`` is the constant
``'-1'::integer`` then).  A default it cannot resolve (an unknown function or type, a construct
it does not model such as CASE) is kept as given.  Constants of types whose output form it does
not compute (intervals, timestamps, JSON) keep their literal's text: ``'2 hours'::interval``
where PostgreSQL prints ``'02:00:00'::interval``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlglot import exp

from txpostgres_proto.catalog.builtin import load
from txpostgres_proto.catalog.dialect import parse
from txpostgres_proto.catalog.pgtypes import format_type, resolve_type_name
from txpostgres_proto.catalog.scopes import cast_target, function_name, ident
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

_OPERATORS: Final[dict[type[exp.Expr], str]] = {
    exp.Add: "+", exp.Sub: "-", exp.Mul: "*", exp.Div: "/", exp.Mod: "%", exp.Pow: "^",
    exp.DPipe: "||", exp.EQ: "=", exp.NEQ: "<>", exp.GT: ">", exp.GTE: ">=", exp.LT: "<",
    exp.LTE: "<=",
}  # fmt: skip
#: SQL value functions: (keyword as ruleutils.c prints it, result type).
_KEYWORDS: Final[dict[type[exp.Expr], tuple[str, int]]] = {
    exp.CurrentTimestamp: ("CURRENT_TIMESTAMP", oids.TIMESTAMPTZ),
    exp.Localtimestamp: ("LOCALTIMESTAMP", oids.TIMESTAMP),
    exp.CurrentDate: ("CURRENT_DATE", oids.DATE),
    exp.CurrentTime: ("CURRENT_TIME", oids.TIMETZ),
    exp.CurrentUser: ("CURRENT_USER", oids.NAME),
    exp.SessionUser: ("SESSION_USER", oids.NAME),
    exp.CurrentSchema: ("CURRENT_SCHEMA", oids.NAME),
    exp.CurrentCatalog: ("CURRENT_CATALOG", oids.NAME),
}
#: The same keywords written bare, which parse as column names.
_BARE_KEYWORDS: Final = {
    "current_timestamp": ("CURRENT_TIMESTAMP", oids.TIMESTAMPTZ),
    "localtimestamp": ("LOCALTIMESTAMP", oids.TIMESTAMP),
    "localtime": ("LOCALTIME", oids.TIME),
    "current_date": ("CURRENT_DATE", oids.DATE),
    "current_time": ("CURRENT_TIME", oids.TIMETZ),
    "current_user": ("CURRENT_USER", oids.NAME),
    "current_role": ("CURRENT_ROLE", oids.NAME),
    "session_user": ("SESSION_USER", oids.NAME),
    "user": ("USER", oids.NAME),
    "current_schema": ("CURRENT_SCHEMA", oids.NAME),
    "current_catalog": ("CURRENT_CATALOG", oids.NAME),
}
_SAFE_IDENT: Final = re.compile(r"^[a-z_][a-z0-9_$]*$")
#: Calls with their own syntax whose arguments take one common type.
_COMMON_TYPED: Final = frozenset({"coalesce", "greatest", "least"})
_INTEGERS: Final = {oids.INT2: 2**15, oids.INT4: 2**31, oids.INT8: 2**63}
_TRUE: Final = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE: Final = frozenset({"f", "false", "n", "no", "off", "0"})
_ARRAY_LIKE: Final = frozenset({"anyarray", "anycompatiblearray"})
_NONARRAY_LIKE: Final = frozenset({"anynonarray", "anycompatiblenonarray"})
_ELEMENT_LIKE: Final = frozenset({"anyelement", "anycompatible", "any"}) | _NONARRAY_LIKE


class _Unreadable(Exception):
    """The default uses something this module does not model: keep its text."""


@dataclass(frozen=True)
class _Node:
    ty: int
    typmod: int


@dataclass(frozen=True)
class _Const(_Node):
    value: str | None  # the type's output text; None is NULL


@dataclass(frozen=True)
class _Call(_Node):
    template: str  # ``name({})``, ``({} + {})``, ``(- {})``, ``({} AND {})``, a keyword
    args: tuple[_Node, ...]
    implicit_args: bool  # True for operator and function arguments (ruleutils' showimplicit)


@dataclass(frozen=True)
class _Cast(_Node):
    arg: _Node
    explicit: bool


@dataclass(frozen=True)
class _Candidate:
    args: tuple[int, ...]
    result: int


@dataclass(frozen=True)
class _Rules:
    """What resolution reads from the built-in catalogs, indexed once per process."""

    types: dict[int, dict[str, Any]]
    operators: dict[tuple[str, int], list[_Candidate]]  # by (name, 1 prefix / 2 binary)
    functions: dict[tuple[str, int], list[_Candidate]]  # by (name, number of arguments)
    implicit: frozenset[tuple[int, int]]  # (source, target) of implicit casts
    binary: frozenset[tuple[int, int]]  # (source, target) of casts without a function


@functools.cache
def _rules() -> _Rules:
    data = load()
    operators: dict[tuple[str, int], list[_Candidate]] = {}
    for row in data.table("pg_catalog.pg_operator").dicts():
        args = (row["oprright"],) if row["oprkind"] == "l" else (row["oprleft"], row["oprright"])
        candidate = _Candidate(args, row["oprresult"])
        operators.setdefault((row["oprname"], len(args)), []).append(candidate)
    functions: dict[tuple[str, int], list[_Candidate]] = {}
    for row in data.table("pg_catalog.pg_proc").dicts():
        if row["prokind"] == "f" and not row["proretset"] and not row["provariadic"]:
            candidate = _Candidate(tuple(row["proargtypes"]), row["prorettype"])
            functions.setdefault((row["proname"], len(candidate.args)), []).append(candidate)
    implicit = frozenset(
        (row["castsource"], row["casttarget"])
        for row in data.table("pg_catalog.pg_cast").dicts()
        if row["castcontext"] == "i"
    )
    binary = frozenset(
        (row["castsource"], row["casttarget"])
        for row in data.table("pg_catalog.pg_cast").dicts()
        if row["castmethod"] == "b"
    )
    return _Rules(data.types, operators, functions, implicit, binary)


@functools.lru_cache(maxsize=4096)
def deparse_default(
    text: str, type_oid: int, typmod: int, *, type_name: str | None = None, domain: bool = False
) -> str | None:
    """The default ``text`` of a column of type ``type_oid(typmod)`` as ``pg_get_expr`` prints
    it; None for a NULL constant, which PostgreSQL does not store.  ``type_name`` spells
    ``type_oid`` when it is not a built-in type (an enum's name); for a ``domain`` column
    ``type_oid`` is the domain's base type, and a NULL default is kept (it overrides the
    domain's).  The text is kept as given when it cannot be read."""
    builtin = _rules().types

    def spell(oid: int, modifier: int) -> str:
        if oid == type_oid and type_name is not None:
            return type_name
        return format_type(builtin, oid, modifier, _spell_builtin)

    try:
        select = parse(f"SELECT {text}")
        if not isinstance(select, exp.Select) or len(select.expressions) != 1:
            return text
        printer = _Printer(_rules(), spell)
        node = printer.coerce(printer.build(select.expressions[0]), type_oid, typmod, False)
        if isinstance(node, _Const) and node.value is None and not domain:
            return None
        return printer.show(node, False)
    except (_Unreadable, PostgresError):
        return text


def quote_identifier(name: str) -> str:
    """``name`` as ruleutils.c ``quote_identifier`` writes it: bare when lower-case and not a
    reserved word, else double-quoted (``"char"``)."""
    if _SAFE_IDENT.match(name) and _keyword_codes().get(name, "U") == "U":
        return name
    return '"' + name.replace('"', '""') + '"'


def _spell_builtin(row: Mapping[str, Any]) -> str:
    return quote_identifier(str(row["typname"]))


@functools.cache
def _keyword_codes() -> dict[str, str]:
    return {word: code for word, code, *_ in load().keywords}


class _Printer:
    """Builds the resolved tree of one expression and prints it as ruleutils.c does."""

    def __init__(self, rules: _Rules, format_type: Callable[[int, int], str]) -> None:
        self.rules = rules
        self.format_type = format_type

    # -- building ----------------------------------------------------------------------

    def build(self, node: exp.Expr) -> _Node:
        if isinstance(node, exp.Paren):
            return self.build(node.this)
        if isinstance(node, exp.Literal):
            return _number(str(node.this)) if not node.is_string else _unknown(str(node.this))
        if isinstance(node, exp.Boolean):
            return _Const(oids.BOOL, -1, "t" if node.this else "f")
        if isinstance(node, exp.Null):
            return _Const(oids.UNKNOWN, -1, None)
        if isinstance(node, exp.Neg):
            operand = node.this
            while isinstance(operand, exp.Paren):
                operand = operand.this
            if isinstance(operand, exp.Literal) and not operand.is_string:
                return _number("-" + str(operand.this))  # the grammar's doNegate
            return self._operator("-", [self.build(node.this)])
        if isinstance(node, exp.Cast):
            resolved = cast_target(node)
            if resolved is None:
                raise _Unreadable
            target, _ = resolved
            return self.coerce(self.build(node.this), target.oid, target.typmod, True)
        if isinstance(node, exp.Interval):
            unit = node.args.get("unit")
            value = node.this.name if unit is None else f"{node.this.name} {unit.name.lower()}"
            return self.coerce(_unknown(value), oids.INTERVAL, -1, True)
        if type(node) in _OPERATORS:
            return self._operator(
                _OPERATORS[type(node)], [self.build(node.this), self.build(node.expression)]
            )
        if isinstance(node, exp.And | exp.Or):
            word = "AND" if isinstance(node, exp.And) else "OR"
            parts = [self.coerce(self.build(part), oids.BOOL, -1, False) for part in node.flatten()]
            template = "(" + f" {word} ".join("{}" for _ in parts) + ")"
            return _Call(oids.BOOL, -1, template, tuple(parts), False)
        if isinstance(node, exp.Not):
            part = self.coerce(self.build(node.this), oids.BOOL, -1, False)
            return _Call(oids.BOOL, -1, "(NOT {})", (part,), False)
        if isinstance(node, exp.Array) and node.expressions:
            return self._common("ARRAY", [self.build(item) for item in node.expressions])
        keyword = _KEYWORDS.get(type(node))
        if keyword is None and isinstance(node, exp.Column) and not node.args.get("table"):
            keyword = _BARE_KEYWORDS.get(ident(node.this))
        if keyword is None and isinstance(node, exp.Anonymous) and not node.expressions:
            keyword = _BARE_KEYWORDS.get(str(node.this).lower())  # ``current_user()``
        if keyword is not None:
            return _Call(keyword[1], -1, keyword[0], (), False)
        if isinstance(node, exp.Extract):
            return self._extract(node)
        if isinstance(node, exp.Dot) and ident(node.this) == "pg_catalog":
            node = node.expression
        name = function_name(node)
        if name in _COMMON_TYPED and node.expressions:
            return self._common(name.upper(), [self.build(arg) for arg in node.expressions])
        if name is not None and not any(isinstance(a, exp.Distinct) for a in node.expressions):
            return self._function(name, [self.build(arg) for arg in node.expressions])
        raise _Unreadable

    def _operator(self, name: str, args: list[_Node]) -> _Node:
        candidates = self.rules.operators.get((name, len(args)), [])
        chosen = self._choose(candidates, args, binary=len(args) == 2)
        coerced = self._arguments(chosen, args)
        template = f"({{}} {name} {{}})" if len(args) == 2 else f"({name} {{}})"
        return _Call(self._result(chosen, args), -1, template, coerced, True)

    def _function(self, name: str, args: list[_Node]) -> _Node:
        candidates = self.rules.functions.get((name, len(args)), [])
        if len(args) == 1 and not any(c.args == (args[0].ty,) for c in candidates):
            # ``int4(x)``, ``text('x')``: a type's name called on one value whose type converts
            # to it without a function is a cast (parse_func.c ``func_get_detail``).
            resolved = resolve_type_name(name)
            if resolved is not None:
                target = resolved[0]
                if args[0].ty in (oids.UNKNOWN, target.oid) or (
                    (args[0].ty, target.oid) in self.rules.binary
                ):
                    return self.coerce(args[0], target.oid, target.typmod, True)
        chosen = self._choose(candidates, args)
        coerced = self._arguments(chosen, args)
        template = f"{name}({', '.join('{}' for _ in args)})"
        return _Call(self._result(chosen, args), -1, template, coerced, True)

    def _extract(self, node: exp.Extract) -> _Node:
        """``EXTRACT(field FROM x)``: PostgreSQL 14's ``extract(text, x)``, printed in the SQL
        syntax (ruleutils.c ``get_func_sql_syntax``)."""
        field = node.this.name.lower()
        args = [_Const(oids.TEXT, -1, field), self.build(node.expression)]
        chosen = self._choose(self.rules.functions.get(("extract", 2), []), args)
        source = self._arguments(chosen, args)[1]
        template = f"EXTRACT({field} FROM {{}})"
        return _Call(self._result(chosen, args), -1, template, (source,), False)

    def _common(self, keyword: str, items: list[_Node]) -> _Node:
        """``ARRAY[...]``, ``COALESCE(...)``, ``GREATEST``/``LEAST``: the items converted to
        their common type (parse_coerce.c ``select_common_type``: the first known type,
        replaced by a later one it converts to implicitly but not back; text if none)."""
        common = oids.TEXT
        known = [item.ty for item in items if item.ty != oids.UNKNOWN]
        if known:
            common = known[0]
            for other in known[1:]:
                implicit = self.rules.implicit
                if (common, other) in implicit and (other, common) not in implicit:
                    common = other
        result = common
        if keyword == "ARRAY":
            result = self.rules.types.get(common, {}).get("typarray") or _unreadable()
        coerced = tuple(self.coerce(item, common, -1, False) for item in items)
        listed = ", ".join("{}" for _ in items)
        template = f"ARRAY[{listed}]" if keyword == "ARRAY" else f"{keyword}({listed})"
        return _Call(result, -1, template, coerced, True)

    def _arguments(self, chosen: _Candidate, args: list[_Node]) -> tuple[_Node, ...]:
        coerced = []
        for arg, target in zip(args, chosen.args, strict=True):
            if self._polymorphic(target) is not None:
                target = oids.TEXT if arg.ty == oids.UNKNOWN else arg.ty
            coerced.append(self.coerce(arg, target, -1, False))
        return tuple(coerced)

    def _result(self, chosen: _Candidate, args: list[_Node]) -> int:
        """The result type, a polymorphic one taken from the arguments it stands for."""
        kind = self._polymorphic(chosen.result)
        if kind is None:
            return chosen.result
        for arg, declared in zip(args, chosen.args, strict=True):
            given = self._polymorphic(declared)
            if given is None or arg.ty == oids.UNKNOWN:
                continue
            if (kind in _ARRAY_LIKE) == (given in _ARRAY_LIKE):
                return arg.ty
            if kind in _ARRAY_LIKE:
                return self.rules.types.get(arg.ty, {}).get("typarray") or _unreadable()
            return self.rules.types.get(arg.ty, {}).get("typelem") or _unreadable()
        return oids.TEXT

    def coerce(self, node: _Node, ty: int, typmod: int, explicit: bool) -> _Node:
        """``node`` as a value of type ``ty(typmod)`` (parse_coerce.c ``coerce_type``: an
        unknown literal becomes a constant of the type, typmod applied by a cast)."""
        if node.ty == oids.UNKNOWN and isinstance(node, _Const):
            node = _typed_const(node.value, ty, typmod if ty == oids.INTERVAL else -1)
        elif node.ty != ty:
            return _Cast(ty, typmod, node, explicit)
        if typmod >= 0 and node.typmod != typmod:
            return _Cast(ty, typmod, node, explicit)
        return node

    def _polymorphic(self, ty: int) -> str | None:
        row = self.rules.types.get(ty)
        if row is None or row["typtype"] != "p" or not str(row["typname"]).startswith("any"):
            return None
        return str(row["typname"])

    def _accepts(self, given: int, declared: int) -> bool:
        if given in (declared, oids.UNKNOWN):
            return True
        kind = self._polymorphic(declared)
        if kind is None:
            return (given, declared) in self.rules.implicit
        is_array = bool(self.rules.types.get(given, {}).get("typcategory") == "A")
        if kind in _ARRAY_LIKE:
            return is_array
        if kind in _NONARRAY_LIKE:
            return not is_array
        return kind in _ELEMENT_LIKE

    def _category(self, ty: int) -> tuple[str, bool]:
        row = self.rules.types.get(ty, {})
        return str(row.get("typcategory", "")), bool(row.get("typispreferred"))

    def _choose(
        self, candidates: Sequence[_Candidate], args: list[_Node], binary: bool = False
    ) -> _Candidate:
        """The candidate PostgreSQL picks for arguments of these types (see the module
        docstring); _Unreadable when none or several remain."""
        given = [arg.ty for arg in args]
        for candidate in candidates:
            if list(candidate.args) == given:
                return candidate
        known = {ty for ty in given if ty != oids.UNKNOWN}
        if binary and len(known) == 1 and oids.UNKNOWN in given:
            for candidate in candidates:  # an unknown operand is taken for the other's type
                if set(candidate.args) == known:
                    return candidate
        viable = [
            candidate
            for candidate in candidates
            if all(self._accepts(g, d) for g, d in zip(given, candidate.args, strict=True))
        ]
        for score in (
            lambda c: sum(g == d for g, d in zip(given, c.args, strict=True)),
            lambda c: sum(
                g != oids.UNKNOWN and (g == d or self._category(d)[1])
                for g, d in zip(given, c.args, strict=True)
            ),
        ):
            if len(viable) > 1:
                best = max(score(c) for c in viable)
                viable = [c for c in viable if score(c) == best]
        for position, ty in enumerate(given):
            if len(viable) <= 1 or ty != oids.UNKNOWN:
                continue
            categories = {self._category(c.args[position])[0] for c in viable}
            if "S" in categories:
                viable = [c for c in viable if self._category(c.args[position])[0] == "S"]
            preferred = [c for c in viable if self._category(c.args[position])[1]]
            viable = preferred or viable
        if len(viable) != 1:
            raise _Unreadable
        return viable[0]

    # -- printing ----------------------------------------------------------------------

    def show(self, node: _Node, implicit: bool) -> str:
        """ruleutils.c ``get_rule_expr``; ``implicit``: show implicit casts."""
        if isinstance(node, _Const):
            return self._constant(node, 0)
        if isinstance(node, _Call):
            return node.template.format(*(self.show(a, node.implicit_args) for a in node.args))
        assert isinstance(node, _Cast)
        if not node.explicit and not implicit:
            return self.show(node.arg, False)
        arg = node.arg
        if isinstance(arg, _Const) and arg.ty == node.ty and arg.typmod == -1:
            text = self._constant(arg, -1)
        else:
            text = f"({self.show(arg, False)})"
        return f"{text}::{self.format_type(node.ty, node.typmod)}"

    def _constant(self, node: _Const, showtype: int) -> str:
        """ruleutils.c ``get_const_expr``."""
        label = f"::{self.format_type(node.ty, node.typmod)}"
        if node.value is None:
            return "NULL" + (label if showtype >= 0 else "")
        value = node.value
        needs_label = node.ty not in (oids.BOOL, oids.UNKNOWN, oids.INT4, oids.NUMERIC)
        if node.ty == oids.INT4 and not value.startswith("-"):
            text = value
        elif node.ty == oids.NUMERIC and value[:1].isdigit() and any(c in value for c in ".eE"):
            text = value
            needs_label = node.typmod >= 0
        elif node.ty == oids.BOOL:
            text = "true" if value == "t" else "false"
        else:
            text = "'" + value.replace("'", "''") + "'"
            needs_label = needs_label or node.ty in (oids.INT4, oids.NUMERIC)
        return text + (label if showtype >= 0 and needs_label else "")


def _unreadable() -> int:
    raise _Unreadable


def _unknown(text: str) -> _Const:
    return _Const(oids.UNKNOWN, -1, text)


def _number(text: str) -> _Const:
    """A numeric literal as the parser types it: integer, bigint, else numeric."""
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise _Unreadable from None
    if number == number.to_integral_value() and not any(c in text for c in ".eE"):
        value = int(number)
        for ty in (oids.INT4, oids.INT8):
            if -_INTEGERS[ty] <= value < _INTEGERS[ty]:
                return _Const(ty, -1, str(value))
    return _Const(oids.NUMERIC, -1, _numeric_text(number))


def _numeric_text(number: Decimal) -> str:
    text = format(number, "f")
    return "0" if text.lstrip("-") in ("0", "") else text


def _typed_const(value: str | None, ty: int, typmod: int) -> _Const:
    """An unknown literal as a constant of type ``ty``, in the type's output form where that
    is simple to know (numbers, booleans), else as written."""
    if value is None:
        return _Const(ty, typmod, None)
    stripped = value.strip()
    if ty in _INTEGERS:
        try:
            number = int(stripped)
        except ValueError:
            raise _Unreadable from None
        if not -_INTEGERS[ty] <= number < _INTEGERS[ty]:
            raise _Unreadable
        return _Const(ty, typmod, str(number))
    if ty == oids.NUMERIC:
        try:
            return _Const(ty, typmod, _numeric_text(Decimal(stripped)))
        except InvalidOperation:
            raise _Unreadable from None
    if ty in (oids.FLOAT4, oids.FLOAT8):
        try:
            number_ = float(stripped)
        except ValueError:
            raise _Unreadable from None
        text = str(int(number_)) if number_.is_integer() and abs(number_) < 1e15 else repr(number_)
        return _Const(ty, typmod, text)
    if ty == oids.BOOL:
        flag = stripped.lower()
        if flag not in _TRUE | _FALSE:
            raise _Unreadable
        return _Const(ty, typmod, "t" if flag in _TRUE else "f")
    return _Const(ty, typmod, value)
