"""Translations shared by statements of one shape: the same text but for plain literals.

``pgbench`` in its default simple mode and psycopg2 put parameters into the SQL text, so every
execution is a new text and a translation (sqlglot parse, typing, rewriting, writing SQLite:
about a millisecond) each time.  `Template` is the translation of a statement's *shape*
(``literals.shape``) with a hole for each literal; filling the holes with another statement's
literals gives that statement's plan without translating it.

A template is made from the first statement of a shape, and only kept when it is exact: the
shape is translated once more with each literal replaced by a sentinel of its kind (integers
``2000000000 + i``, strings ``'@txpg<i>@'``), every sentinel must come out verbatim in the
SQLite statements (or the single-row INSERT's literal values) and nowhere else in the plan,
and the template filled with the first statement's own literals must give exactly the plan
translating it gave.  A literal the translation reads (a typed literal folded to its storage
form, a position, a type modifier) fails one of these checks, and that shape is then
translated text by text as before.  Literals go into SQLite's text as they were written: a
plain PostgreSQL string ``'it''s'`` and an integer are written the same way in SQLite.

Better still, a template's SQLite statement may take its literals as parameters
(`Template.bound`: ``?1``, ``?2`` … in the holes, the literals' values bound), so that every
statement of the shape is one SQLite text, which ``sqlite3`` compiles once and keeps in its
statement cache.  SQLite gives a bound parameter exactly the meaning of a literal of the same
value (both are operands without affinity; where a value may change the query plan, a LIKE
pattern or a partial index, SQLite compiles again for the bound value: SQLite docs,
``sqlite3_prepare_v2``) except where its grammar reads the literal itself.  So a template is
bound only when each hole is a whole token of the SQLite text (not inside a string or name)
of a plain query or write (``SELECT``, ``INSERT``, ``UPDATE``, ``DELETE``, ``WITH``,
``VALUES``; parameters are not allowed in DDL) and no hole is in an ``ORDER BY``, ``GROUP BY``
or ``PARTITION BY`` list (where an integer constant is a column position) or right after a
word that makes a string a name (``AS 'x'``, ``FROM 'table'``).  Statements with parameters
of their own (``$1``) are filled as text.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.literals import INTEGER, Literal, shape
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.translate import Plan, translate

__all__ = ["Template", "TranslationCache", "make_template", "sentinel_text"]

_INTEGER_BASE: Final = 2_000_000_000
#: Holes per statement at most (sentinel integers stay ten-digit ``integer`` values).
MAX_LITERALS: Final = 999
_SENTINEL: Final = re.compile(r"'@txpg(\d+)@'|(?<![\w.])(2000000\d{3})(?![\w.])")
_LOOKS_LIKE_SENTINEL: Final = re.compile(r"@txpg\d+@|2000000\d{3}")
#: SQLite's tokens (its tokenizer's classes, as far as holes care): a sentinel must be a
#: whole ``number`` or ``string`` token to be bound.
_SQLITE_TOKEN: Final = re.compile(
    r"""
    \s*(?:
    (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
  | (?P<blob>[xX]'[^']*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<name>"(?:[^"]|"")*"|\[[^\]]*\]|`(?:[^`]|``)*`)
  | (?P<number>0[xX][0-9A-Fa-f]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\x80-\U0010ffff][\w$\x80-\U0010ffff]*)
  | (?P<other>\S)
    )""",
    re.VERBOSE | re.DOTALL,
)
#: The first words of the statements whose literals may be bound.
_BINDABLE_STATEMENTS: Final = frozenset({"select", "insert", "update", "delete", "with", "values"})
#: Words after which SQLite may read a string as a name.
_NAMING_WORDS: Final = frozenset({"as", "from", "join", "into", "update", "table", "collate"})
#: Words ending an ORDER BY / GROUP BY / PARTITION BY list at its own depth.
_LIST_ENDS: Final = frozenset(
    "limit offset having window union except intersect returning from where on "
    "select range rows groups".split()
)

#: A statement's pieces: text, or the number of the literal that goes there.
Pieces = tuple[str | int, ...]


def _sentinel(kind: str, number: int) -> str:
    return str(_INTEGER_BASE + number) if kind == INTEGER else f"'@txpg{number}@'"


def sentinel_text(key: str, literals: tuple[Literal, ...]) -> str:
    """The shape ``key`` with each hole filled by its literal's sentinel."""
    parts = key.split("\x00")
    out = [parts[0]]
    for number, part in enumerate(parts[1:]):
        out.append(_sentinel(literals[number].kind, number))
        out.append(part[1:])  # past the kind letter
    return "".join(out)


def _pieces(statement: str, kinds: tuple[str, ...], seen: set[int]) -> Pieces | None:
    pieces: list[str | int] = []
    end = 0
    for match in _SENTINEL.finditer(statement):
        text, integer = match.groups()
        number = int(text) if text is not None else int(integer) - _INTEGER_BASE
        wanted = INTEGER if integer is not None else "s"
        if number >= len(kinds) or kinds[number] != wanted:
            return None
        pieces.append(statement[end : match.start()])
        pieces.append(number)
        seen.add(number)
        end = match.end()
    pieces.append(statement[end:])
    return tuple(pieces)


@dataclass(frozen=True, slots=True)
class Template:
    """A plan with holes for literals (module docstring)."""

    plan: Plan  # translated from the sentinel text
    statements: tuple[Pieces, ...]
    #: For each single-row INSERT value: the literal number that gives it, or -1.
    inserted: tuple[int, ...]
    #: The one SQLite statement with ``?<n + 1>`` in the hole of literal ``n``, when the
    #: literals may be bound as parameters instead (module docstring); else None.
    bound: str | None = None

    def fill(self, literals: tuple[Literal, ...]) -> Plan:
        """The plan of the statement of this shape with these literals."""
        texts = [literal.text for literal in literals]
        statements = tuple(
            "".join(piece if isinstance(piece, str) else texts[piece] for piece in pieces)
            for pieces in self.statements
        )
        plan = self.plan
        if not self.inserted:
            return replace(plan, statements=statements)
        return replace(plan, statements=statements, inserted=self.inserted_values(literals))

    def inserted_values(self, literals: tuple[Literal, ...]) -> tuple[tuple[str, int, object], ...]:
        """The plan's ``inserted`` for the statement with these literals."""
        if not self.inserted:
            return self.plan.inserted
        return tuple(
            (column, number, literals[hole].value if hole >= 0 else value)
            for (column, number, value), hole in zip(self.plan.inserted, self.inserted, strict=True)
        )


def make_template(
    literals: tuple[Literal, ...], sentinel_plan: Plan, own_plan: Plan
) -> Template | None:
    """The template of a shape from the plan of its sentinel text, when it is exact (module
    docstring): ``own_plan`` is the translation of the statement with ``literals``."""
    if len(literals) > MAX_LITERALS:
        return None
    kinds = tuple(literal.kind for literal in literals)
    seen: set[int] = set()
    statements = []
    for statement in sentinel_plan.statements:
        pieces = _pieces(statement, kinds, seen)
        if pieces is None:
            return None
        statements.append(pieces)
    holes = []
    for _, _, value in sentinel_plan.inserted:
        hole = -1
        if isinstance(value, str) and value.startswith("@txpg") and value.endswith("@"):
            hole = int(value[5:-1])
        elif isinstance(value, int) and not isinstance(value, bool) and value >= _INTEGER_BASE:
            hole = value - _INTEGER_BASE
        if hole >= len(kinds):
            return None
        if hole >= 0:
            seen.add(hole)
        holes.append(hole)
    if len(seen) != len(literals):
        return None
    rest = replace(sentinel_plan, statements=(), inserted=())
    if _LOOKS_LIKE_SENTINEL.search(repr(rest)):
        return None
    filled_inserts = tuple(holes) if any(hole >= 0 for hole in holes) else ()
    template = Template(sentinel_plan, tuple(statements), filled_inserts)
    if template.fill(literals) != own_plan:
        return None
    bound = _bound_statement(sentinel_plan, kinds)
    return replace(template, bound=bound) if bound is not None else template


def _bound_statement(plan: Plan, kinds: tuple[str, ...]) -> str | None:
    """The plan's one SQLite statement (its sentinel text) with ``?<n + 1>`` for literal
    ``n``, when every hole may take a bound parameter (module docstring); else None."""
    if plan.param_types or len(plan.statements) != 1 or plan.changes_schema or plan.explain:
        return None
    statement = plan.statements[0]
    pieces: list[str] = []
    done = 0
    first = ""
    previous = ""  # the last significant token, lower case
    depth = 0
    lists: list[int] = []  # the depths of the open BY lists
    holes = 0
    for match in _SQLITE_TOKEN.finditer(statement):
        kind = match.lastgroup
        if kind == "comment":
            continue
        text = match.group(kind)  # type: ignore[arg-type]
        lowered = text.lower()
        number = _hole(kind, text, kinds)
        if number is not None:
            if lists or previous in _NAMING_WORDS or previous == ".":
                return None
            start = match.start(kind)  # type: ignore[arg-type]
            pieces.append(statement[done:start])
            pieces.append(f"?{number + 1}")
            done = match.end()
            holes += 1
        elif kind == "word":
            if not first:
                first = lowered
            if lowered == "by" and previous in ("order", "group", "partition"):
                lists.append(depth)
            elif lists and lists[-1] == depth and lowered in _LIST_ENDS:
                lists.pop()
        elif text == "(":
            depth += 1
        elif text == ")":
            if lists and lists[-1] == depth:
                lists.pop()
            depth -= 1
        elif text == ";" or kind == "blob":
            return None
        previous = lowered
    if first not in _BINDABLE_STATEMENTS or holes != len(_SENTINEL.findall(statement)):
        return None
    pieces.append(statement[done:])
    return "".join(pieces)


def _hole(kind: str | None, text: str, kinds: tuple[str, ...]) -> int | None:
    """The literal number of a sentinel token, or None for any other token."""
    if kind == "number" and len(text) == 10 and text.startswith("2000000") and text.isdigit():
        number = int(text) - _INTEGER_BASE
        return number if number < len(kinds) and kinds[number] == INTEGER else None
    if kind == "string" and text.startswith("'@txpg") and text.endswith("@'"):
        digits = text[6:-2]
        if digits.isdigit():
            number = int(digits)
            return number if number < len(kinds) and kinds[number] != INTEGER else None
    return None


#: Cache key: (SQL text or shape, the client's parameter types, schema version).
_Key = tuple[str, tuple[int, ...], int]


class TranslationCache:
    """Plans by (SQL text, client parameter types, schema version), and templates by shape
    (module docstring); least recently used out."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._plans: OrderedDict[_Key, Plan] = OrderedDict()
        #: None: the shape has no exact template (translate its texts one by one).
        self._templates: OrderedDict[_Key, Template | None] = OrderedDict()

    def plan(self, sql: str, given: Sequence[int], schema: Schema, version: int) -> Plan:
        """The plan of ``sql``: cached by text, a filled template, or translated now."""
        return self.plan_and_template(sql, given, schema, version)[0]

    def plan_and_template(
        self, sql: str, given: Sequence[int], schema: Schema, version: int
    ) -> tuple[Plan, Template | None]:
        """`plan`, and the template of the statement's shape when it has one."""
        key = (sql, tuple(given), version)
        found = self._plans.get(key)
        if found is not None:
            self._plans.move_to_end(key)
            return found, None
        shaped = shape(sql)
        if shaped is None:
            return self._translated(key, sql, given, schema), None
        form, literals = shaped
        shape_key = (form, key[1], version)
        if shape_key in self._templates:
            self._templates.move_to_end(shape_key)
            template = self._templates[shape_key]
            if template is not None:
                return template.fill(literals), template
            return self._translated(key, sql, given, schema), None
        plan = translate(sql, schema, given)
        template = self._template(form, literals, plan, given, schema)
        self._templates[shape_key] = template
        if len(self._templates) > self._size:
            self._templates.popitem(last=False)
        return plan, template

    def _translated(self, key: _Key, sql: str, given: Sequence[int], schema: Schema) -> Plan:
        plan = translate(sql, schema, given)
        self._plans[key] = plan
        if len(self._plans) > self._size:
            self._plans.popitem(last=False)
        return plan

    @staticmethod
    def _template(
        form: str, literals: tuple[Literal, ...], plan: Plan, given: Sequence[int], schema: Schema
    ) -> Template | None:
        if _LOOKS_LIKE_SENTINEL.search(form):
            return None  # the statement itself writes what looks like a sentinel
        try:
            sentinel_plan = translate(sentinel_text(form, literals), schema, given)
        except PostgresError:
            return None
        return make_template(literals, sentinel_plan, plan)
