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
it does not model such as CASE) is kept as given.

A constant prints in its type's output form, as PostgreSQL stores the value the literal reads
as: ``'2 hours'::interval`` is ``'02:00:00'::interval``, ``'Jan 2 2024'::date`` is
``'2024-01-02'::date``, likewise for time, timestamp, uuid, jsonb, numbers and booleans (the
common input spellings; a literal it cannot read keeps its text, as do ``timestamptz`` and
``timetz``, whose output depends on the session's time zone).  A ``regclass`` literal names its
relation as ``regclassin`` reads it: ``'Items'`` is ``items``, ``'"Items"'`` keeps its case.

``pretty`` printing (``pg_get_expr(..., true)``, psql's ``\\d``) follows ruleutils.c's
PRETTYFLAG_PAREN: no parentheses of an operator's or connective's own, an operand in
parentheses only where precedence or associativity needs them (``(1 + 2) * 3``,
``1 - (2 - 3)``, ``('a'::text || 'b'::text) || 'c'::text``), a cast of a simple operand as
``arg::type``.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from sqlglot import exp

from txpostgres_proto.catalog.arrays import format_array_literal, parse_array_literal
from txpostgres_proto.catalog.builtin import load
from txpostgres_proto.catalog.dialect import parse
from txpostgres_proto.catalog.pgtypes import format_type, resolve_type_name
from txpostgres_proto.catalog.scopes import cast_target, function_name, ident
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids
from txpostgres_proto.types.floats import encode_float4, encode_float8
from txpostgres_proto.types.intervals import format_interval, parse_interval

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
_QUOTED_PART: Final = re.compile(r'"((?:[^"]|"")*)"')
_PLAIN_PART: Final = re.compile(r'[^."\s]+')
_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
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
    template: str  # ``name({})``, ``{} + {}``, ``- {}``, ``{} AND {}``, ``NOT {}``, a keyword
    args: tuple[_Node, ...]
    implicit_args: bool  # True for operator and function arguments (ruleutils' showimplicit)
    #: "func" (a call, keyword or ARRAY: its own delimiters), "op" (binary), "prefix", or the
    #: boolean connective "AND", "OR", "NOT"; all but "func" print in parentheses unless pretty.
    kind: str = "func"
    operator: str = ""  # the name of a binary operator


@dataclass(frozen=True)
class _Cast(_Node):
    arg: _Node
    explicit: bool
    #: pg_cast.castmethod: "f" is a function call (a FuncExpr, simple in pretty printing),
    #: "b" a relabelling and "i" an I/O conversion (as simple as their argument).
    method: str = "f"


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
    methods: dict[tuple[int, int], str]  # (source, target): castmethod


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
    methods = {
        (row["castsource"], row["casttarget"]): str(row["castmethod"])
        for row in data.table("pg_catalog.pg_cast").dicts()
    }
    return _Rules(data.types, operators, functions, implicit, binary, methods)


def deparse_default(
    text: str,
    type_oid: int,
    typmod: int,
    *,
    type_name: str | None = None,
    domain: bool = False,
    pretty: bool = False,
) -> str | None:
    """The default ``text`` of a column of type ``type_oid(typmod)`` as ``pg_get_expr`` prints
    it; None for a NULL constant, which PostgreSQL does not store.  ``type_name`` spells
    ``type_oid`` when it is not a built-in type (an enum's name); for a ``domain`` column
    ``type_oid`` is the domain's base type, and a NULL default is kept (it overrides the
    domain's).  ``pretty``: as ``pg_get_expr(..., true)`` prints it, with only the parentheses
    the operators' precedence needs.  The text is kept as given when it cannot be read."""
    return _deparsed(text, type_oid, typmod, type_name, domain)[pretty]


@functools.lru_cache(maxsize=4096)
def _deparsed(
    text: str, type_oid: int, typmod: int, type_name: str | None, domain: bool
) -> tuple[str | None, str | None]:
    """The plain and the pretty form of a default: one parse, two printings."""
    builtin = _rules().types

    def spell(oid: int, modifier: int) -> str:
        if oid == type_oid and type_name is not None:
            return type_name
        return format_type(builtin, oid, modifier, _spell_builtin)

    try:
        select = parse(f"SELECT {text}")
        if not isinstance(select, exp.Select) or len(select.expressions) != 1:
            return text, text
        printer = _Printer(_rules(), spell)
        node = printer.coerce(printer.build(select.expressions[0]), type_oid, typmod, False)
        if isinstance(node, _Const) and node.value is None and not domain:
            return None, None
        plain = printer.show(node, False)
        printer.pretty = True
        return plain, printer.show(node, False)
    except (_Unreadable, PostgresError):
        return text, text


def relation_name_parts(text: str) -> tuple[str, ...] | None:
    """The parts of a possibly qualified relation name as ``regclassin`` reads them:
    ``'Items'`` is ``items`` (unquoted letters fold to lower case), ``'"Items"'`` keeps its
    case, ``'public.s'`` has two parts; None when it is not such a name (varlena.c
    ``SplitIdentifierString``)."""
    parts: list[str] = []
    rest = text.strip()
    while True:
        quoted = _QUOTED_PART.match(rest)
        plain = None if quoted else _PLAIN_PART.match(rest)
        if quoted is not None:
            part, rest = quoted.group(1).replace('""', '"'), rest[quoted.end() :]
        elif plain is not None:
            part, rest = plain.group(0).translate(_ASCII_LOWER), rest[plain.end() :]
        else:
            return None
        if not part:
            return None  # PostgreSQL: zero-length delimited identifier
        parts.append(part)
        rest = rest.lstrip()
        if not rest:
            return tuple(parts) if len(parts) <= 3 else None
        if not rest.startswith("."):
            return None
        rest = rest[1:].lstrip()


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

    def __init__(
        self, rules: _Rules, format_type: Callable[[int, int], str], pretty: bool = False
    ) -> None:
        self.rules = rules
        self.format_type = format_type
        self.pretty = pretty

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
            negated = _negated_number(node)
            if negated is not None:
                return _number(negated)
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
            template = f" {word} ".join("{}" for _ in parts)
            return _Call(oids.BOOL, -1, template, tuple(parts), False, word)
        if isinstance(node, exp.Not):
            part = self.coerce(self.build(node.this), oids.BOOL, -1, False)
            return _Call(oids.BOOL, -1, "NOT {}", (part,), False, "NOT")
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
        result = self._result(chosen, args)
        if len(args) == 2:
            return _Call(result, -1, f"{{}} {name} {{}}", coerced, True, "op", name)
        return _Call(result, -1, f"{name} {{}}", coerced, True, "prefix", name)

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
            return _Cast(ty, typmod, node, explicit, self.rules.methods.get((node.ty, ty), "i"))
        if typmod >= 0 and node.typmod != typmod:
            return _Cast(ty, typmod, node, explicit)  # a length coercion function
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
            if node.kind == "func":  # arguments within the call's own delimiters
                return node.template.format(*(self.show(a, node.implicit_args) for a in node.args))
            parts = (self._operand(a, node.implicit_args, node) for a in node.args)
            text = node.template.format(*parts)
            return text if self.pretty else f"({text})"
        assert isinstance(node, _Cast)
        if not node.explicit and not implicit:
            return self._operand(node.arg, False, node)
        arg = node.arg
        if isinstance(arg, _Const) and arg.ty == node.ty and arg.typmod == -1:
            text = self._constant(arg, -1)
        else:
            text = self._operand(arg, False, node)
            text = text if self.pretty else f"({text})"
        return f"{text}::{self.format_type(node.ty, node.typmod)}"

    def _operand(self, node: _Node, implicit: bool, parent: _Node) -> str:
        """ruleutils.c ``get_rule_expr_paren``: pretty printing puts ``node`` in parentheses
        where it is not simple below ``parent``."""
        text = self.show(node, implicit)
        return f"({text})" if self.pretty and not _simple(node, parent) else text

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


_LOW_PRIORITY: Final = frozenset({"+", "-"})
_HIGH_PRIORITY: Final = frozenset({"*", "/", "%"})


def _simple(node: _Node, parent: _Node) -> bool:
    """ruleutils.c ``isSimpleNode`` with PRETTYFLAG_PAREN: whether ``node`` reads unambiguously
    without parentheses as an operand of ``parent`` (an operator, a connective or a cast)."""
    if isinstance(node, _Const) or (isinstance(node, _Call) and node.kind == "func"):
        return True
    if isinstance(node, _Cast):
        return node.method == "f" or _simple(node.arg, node)
    assert isinstance(node, _Call)
    parent_kind = parent.kind if isinstance(parent, _Call) else "cast"
    if node.kind in ("op", "prefix"):
        if parent_kind == "op":
            assert isinstance(parent, _Call)
            return _binds_tighter(node, parent)
        return parent_kind in ("AND", "OR", "NOT")
    if parent_kind in ("AND", "OR"):
        return node.kind != "OR" or parent_kind == "OR"
    return False


def _binds_tighter(node: _Call, parent: _Call) -> bool:
    """An arithmetic operand of arithmetic: ``a * b + c``, ``a - b - c``; other operators
    (``||``, ``^``, comparisons) always take parentheses below an operator."""
    ranks = []
    for call in (node, parent):
        if call.kind != "op" or call.operator not in _LOW_PRIORITY | _HIGH_PRIORITY:
            return False
        ranks.append(call.operator in _HIGH_PRIORITY)
    if ranks[0] != ranks[1]:
        return ranks[0]
    return parent.args[0] is node


def _unreadable() -> int:
    raise _Unreadable


def _negated_number(node: exp.Neg) -> str | None:
    """The grammar's ``doNegate``: a minus before a numeric literal (in parentheses or not,
    itself maybe negated: ``-(-3)`` is 3) makes a constant, not an operator call."""
    operand = node.this
    while isinstance(operand, exp.Paren):
        operand = operand.this
    if isinstance(operand, exp.Literal) and not operand.is_string:
        return "-" + str(operand.this)
    inner = _negated_number(operand) if isinstance(operand, exp.Neg) else None
    if inner is None:
        return None
    return inner[1:] if inner.startswith("-") else "-" + inner


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
        encode = encode_float4 if ty == oids.FLOAT4 else encode_float8
        try:
            return _Const(ty, typmod, encode(float(stripped)).decode())
        except ValueError:
            raise _Unreadable from None
    if ty == oids.REGCLASS and not stripped.isdigit():
        parts = relation_name_parts(value)
        if parts is None:
            raise _Unreadable
        return _Const(ty, typmod, ".".join(quote_identifier(part) for part in parts))
    if ty == oids.BOOL:
        flag = stripped.lower()
        if flag not in _TRUE | _FALSE:
            raise _Unreadable
        return _Const(ty, typmod, "t" if flag in _TRUE else "f")
    return _Const(ty, typmod, _output_form(value, ty, typmod))


# -- constants' output forms ---------------------------------------------------------------
# PostgreSQL stores a typed constant, so it prints the type's output form of what the literal
# read as: ``'2 hours'::interval`` is ``'02:00:00'::interval``.  These read the input forms
# applications write (a subset of each type's input function); anything else keeps its text.

_INTERVAL_UNITS: Final[dict[str, str]] = {
    **dict.fromkeys(("microsecond", "microseconds", "us", "usec", "usecs"), "us"),
    **dict.fromkeys(("millisecond", "milliseconds", "ms", "msec", "msecs"), "ms"),
    **dict.fromkeys(("second", "seconds", "s", "sec", "secs"), "s"),
    **dict.fromkeys(("minute", "minutes", "m", "min", "mins"), "min"),
    **dict.fromkeys(("hour", "hours", "h", "hr", "hrs"), "h"),
    **dict.fromkeys(("day", "days", "d"), "d"),
    **dict.fromkeys(("week", "weeks", "w"), "w"),
    **dict.fromkeys(("month", "months", "mon", "mons"), "mon"),
    **dict.fromkeys(("year", "years", "y", "yr", "yrs"), "y"),
    **dict.fromkeys(("decade", "decades"), "dec"),
    **dict.fromkeys(("century", "centuries"), "c"),
    **dict.fromkeys(("millennium", "millennia"), "mil"),
}
#: Whole seconds of the time units, and months of the longer ones (datetime.c).
_UNIT_SECONDS: Final = {"s": 1, "min": 60, "h": 3600, "d": 86400}
_UNIT_MONTHS: Final = {"y": 12, "dec": 120, "c": 1200, "mil": 12000}
_INTERVAL_TOKEN: Final = re.compile(
    r"(?P<clock>[+-]?\d+:\d+(?::\d+(?:\.\d*)?)?)|(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"\s*(?P<unit>[a-z]+)?|(?P<word>[a-z@]+)",
    re.IGNORECASE,
)
_DATE_FORMS: Final = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), (0, 1, 2)),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), (0, 1, 2)),
    (re.compile(r"^(\d{4})(\d{2})(\d{2})$"), (0, 1, 2)),
    (re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$"), (2, 0, 1)),  # DateStyle MDY
)
_NAMED_DATE: Final = re.compile(
    r"^(?:([a-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})|(\d{1,2})[\s-]+([a-z]+)\.?[\s-]+(\d{4}))$",
    re.IGNORECASE,
)
_CLOCK_TIME: Final = re.compile(
    r"^(\d{1,2}):(\d{2})(?::(\d{2})(\.\d*)?)?\s*([ap]\.?m\.?)?$", re.IGNORECASE
)
_STAMP: Final = re.compile(r"^(.*?\d)(?:\s+|T)(\d{1,2}:\d{2}.*)$", re.IGNORECASE)


def _output_form(value: str, ty: int, typmod: int) -> str:
    """``value`` (the literal's text) as the output function of ``ty`` prints what the input
    function reads from it, where this module knows both; else ``value`` itself."""
    try:
        if ty == oids.INTERVAL and typmod < 0:
            return format_interval(*_interval(value))
        if ty == oids.DATE:
            return _date_text(value.strip(), "")
        if ty == oids.TIME and typmod < 0:
            return _time_text(value.strip())
        if ty == oids.TIMESTAMP and typmod < 0:
            return _timestamp_text(value.strip())
        if ty == oids.UUID:
            return _uuid_text(value)
        if ty == oids.JSONB:
            return _jsonb_text(json.loads(value, parse_float=Decimal, parse_int=Decimal))
        element = _rules().types.get(ty, {})
        if element.get("typcategory") == "A" and element.get("typelem"):
            return _array_text(value, int(element["typelem"]))
    except (ValueError, OverflowError, RecursionError, StopIteration, _Unreadable):
        pass
    return value


def _array_text(text: str, element: int) -> str:
    """``array_in`` then ``array_out`` of a one-dimensional array: each element in its type's
    output form, quoted only where ``array_out`` quotes (``'{ 1 , 2 }'`` is ``'{1,2}'``)."""
    if text.count("{") != 1 or text.count("}") != 1:
        raise ValueError(text)  # several dimensions, or braces inside elements: kept
    items = parse_array_literal(text)
    return format_array_literal(
        [None if item is None else _typed_const(item, element, -1).value for item in items]
    )


def _interval(text: str) -> tuple[int, int, int]:
    """(months, days, microseconds) that ``interval_in`` reads from ``text`` (postgres style:
    ``1 day 02:00``, ``1.5 hours``, ``@ 1 hour ago``; ISO 8601 ``P1D``), fractions of a unit
    cascading to the smaller ones as ``DecodeInterval`` does."""
    stripped = text.strip()
    if stripped[:1] in ("P", "p"):
        return parse_interval(stripped.upper())
    tokens = list(_INTERVAL_TOKEN.finditer(stripped))
    covered = "".join(m.group(0) for m in tokens)
    if not tokens or "".join(covered.split()) != "".join(stripped.split()):
        raise ValueError(text)
    months = days = 0
    seconds = 0
    micro = 0.0
    ago = False
    for index, token in enumerate(tokens):
        word = token.group("word")
        if word is not None:
            if word == "@" and index == 0:
                continue
            if word.lower() == "ago" and index == len(tokens) - 1:
                ago = True
                continue
            raise ValueError(text)
        clock = token.group("clock")
        if clock is not None:
            sign = -1 if clock.startswith("-") else 1
            hours, minutes, *rest = clock.lstrip("+-").split(":")
            whole = float(rest[0]) if rest else 0.0
            seconds += sign * ((int(hours) * 60 + int(minutes)) * 60 + int(whole))
            micro += sign * round((whole - int(whole)) * 1e6)
            continue
        number, unit = token.group("number"), token.group("unit")
        if unit is None:
            following = tokens[index + 1].group("clock") if index + 1 < len(tokens) else None
            unit = "d" if following is not None else "s" if index == len(tokens) - 1 else ""
        kind = _INTERVAL_UNITS.get(unit.lower()) if unit else None
        if kind is None:
            raise ValueError(text)
        value = float(number)
        whole, fraction = int(value), value - int(value)
        if kind in ("us", "ms"):
            micro += round(value * (1 if kind == "us" else 1000))
        elif kind in _UNIT_SECONDS:
            if kind == "d":
                days += whole
            else:
                seconds += whole * _UNIT_SECONDS[kind]
            scaled = fraction * _UNIT_SECONDS[kind]
            seconds += int(scaled)
            micro += round((scaled - int(scaled)) * 1e6)
        elif kind in ("w", "mon"):
            if kind == "w":
                days += whole * 7
            else:
                months += whole
            extra = fraction * (7 if kind == "w" else 30)  # AdjustFractDays
            days += int(extra)
            scaled = (extra - int(extra)) * 86400
            seconds += int(scaled)
            micro += round((scaled - int(scaled)) * 1e6)
        else:
            months += whole * _UNIT_MONTHS[kind] + round(fraction * _UNIT_MONTHS[kind])
    total = seconds * 1_000_000 + int(micro)
    return (-months, -days, -total) if ago else (months, days, total)


def _date_text(text: str, suffix: str) -> str:
    """``date_in`` then ``date_out`` (DateStyle ISO, MDY): ``Jan 2 2024`` is ``2024-01-02``."""
    lowered = text.lower()
    if lowered in ("infinity", "-infinity"):
        return lowered
    if lowered == "epoch":
        return "1970-01-01" + suffix
    for pattern, order in _DATE_FORMS:
        match = pattern.match(text)
        if match is not None:
            parts = [int(match.group(position + 1)) for position in order]
            return datetime.date(*parts).isoformat() + suffix
    named = _NAMED_DATE.match(text)
    if named is None:
        raise ValueError(text)
    name, day, year = named.group(1, 2, 3) if named.group(1) else named.group(5, 4, 6)
    name = name.lower()
    month = next(i for i, full in enumerate(_MONTH_NAMES, 1) if full.startswith(name[:3]))
    if not (_MONTH_NAMES[month - 1].startswith(name) or name == "sept"):
        raise ValueError(text)
    return datetime.date(int(year), month, int(day)).isoformat() + suffix


_MONTH_NAMES: Final = (
    "january", "february", "march", "april", "may", "june", "july", "august", "september",
    "october", "november", "december",
)  # fmt: skip


def _time_text(text: str) -> str:
    """``time_in`` then ``time_out``: ``3:04 pm`` is ``15:04:00``, fractions to microseconds."""
    if text.lower() == "allballs":
        return "00:00:00"
    match = _CLOCK_TIME.match(text)
    if match is None:
        raise ValueError(text)
    hours, minutes = int(match.group(1)), int(match.group(2))
    meridiem = (match.group(5) or "").lower().replace(".", "")
    if meridiem:
        if not 1 <= hours <= 12:
            raise ValueError(text)
        hours = hours % 12 + (12 if meridiem == "pm" else 0)
    total = ((hours * 60 + minutes) * 60 + int(match.group(3) or 0)) * 1_000_000
    total += round(float("0" + (match.group(4) or ".")) * 1e6)
    if hours > 24 or minutes > 59 or int(match.group(3) or 0) > 60 or total > 86_400_000_000:
        raise ValueError(text)
    whole, micro = divmod(total, 1_000_000)
    clock = f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"
    return clock + (f".{micro:06d}".rstrip("0") if micro else "")


def _timestamp_text(text: str) -> str:
    """``timestamp_in`` then ``timestamp_out`` for a date with an optional time of day (no
    time zone, which a ``timestamp`` would ignore)."""
    lowered = text.lower()
    if lowered in ("infinity", "-infinity"):
        return lowered
    if lowered == "epoch":
        return "1970-01-01 00:00:00"
    match = _STAMP.match(text)
    if match is None:
        return _date_text(text, " 00:00:00")
    clock = _time_text(match.group(2))
    if clock.startswith("24:"):
        raise ValueError(text)
    return _date_text(match.group(1), " " + clock)


def _uuid_text(text: str) -> str:
    """``uuid_in`` then ``uuid_out``: 32 hex digits, maybe braced and hyphenated after any
    group of four, in lower case with the standard hyphens."""
    stripped = text.strip()
    if stripped.startswith("{") and stripped.endswith("}"):
        stripped = stripped[1:-1]
    if stripped.startswith("-") or stripped.endswith("-") or "--" in stripped:
        raise ValueError(text)
    digits = stripped.replace("-", "")
    if len(digits) != 32 or any(c not in string.hexdigits for c in digits):
        raise ValueError(text)
    return str(uuid.UUID(digits))


def _jsonb_text(value: Any) -> str:
    """``jsonb_out``: keys ordered by length then bytes, the last of equal keys kept, numbers
    as ``numeric`` prints them, ``", "`` and ``": "`` between items."""
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda item: (len(item[0].encode()), item[0].encode()))
        inner = ", ".join(f"{_json_string(key)}: {_jsonb_text(item)}" for key, item in items)
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_jsonb_text(item) for item in value) + "]"
    if isinstance(value, str):
        return _json_string(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if not isinstance(value, Decimal) or not value.is_finite():
        raise ValueError(value)
    return _numeric_text(value)


def _json_string(text: str) -> str:
    if "\x00" in text:
        raise ValueError(text)  # jsonb has no NUL character
    escaped = []
    for char in text:
        if char in _JSON_ESCAPES:
            escaped.append(_JSON_ESCAPES[char])
        elif char < " ":
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(char)
    return '"' + "".join(escaped) + '"'


_JSON_ESCAPES: Final = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
}
