"""The shape of a statement: its text with the plain literals taken out.

Clients that send parameters inside the SQL text (``pgbench`` in its default simple mode,
psycopg2, which interpolates them client-side) send a new text for every execution, so a cache
keyed by text never hits.  `shape` scans the text (no parsing: a few regular expressions) and
returns a key in which each *plain* literal is a placeholder, with the literals in order; the
translation cache (``templates.py``) keys statements of one shape together.

Only literals whose value cannot change the statement's meaning are taken out, the others stay
in the key verbatim:

* integers of at most nine digits (all ``integer``, whatever the value), except ORDER BY /
  GROUP BY positions, LIMIT / OFFSET / FETCH counts, type modifiers (``numeric(10, 2)``),
  divisors (a literal zero divisor is checked where it is written) and array subscripts;
  other numbers (decimals, exponents, ``bigint`` sizes) stay;
* standard strings ``'...'`` without backslashes, unless written after a word that types them
  (``DATE '2024-01-02'``, ``E'\\n'``, ``interval '1 day'``) or makes them something else.

A text `shape` cannot scan safely (dollar quoting, block comments, an unterminated quote) has
no shape: it is cached by text only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Literal", "shape"]

_TOKEN: Final = re.compile(
    r"""
    \s*(?:
    (?P<comment>--[^\n]*)
  | (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<param>\$\d+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<word>[A-Za-z_\x80-\U0010ffff][\w$\x80-\U0010ffff]*)
  | (?P<bad>/\*|\$|'|")
  | (?P<other>::|<=|>=|<>|!=|\|\||\S)
    )""",
    re.VERBOSE | re.DOTALL,
)
_PLAIN_INTEGER: Final = re.compile(r"0|[1-9]\d{0,8}")
#: Words after which a string literal is an ordinary value (of unknown type).
_VALUE_WORDS: Final = frozenset(
    "select where and or not when then else in like ilike between values set returning on is "
    "case distinct from".split()
)
#: Words after which an integer is a count, not a value.
_COUNT_WORDS: Final = frozenset({"limit", "offset", "fetch", "first", "next"})
#: Divisors (a zero divisor is checked where it is written) and array subscripts (sqlglot
#: reads a literal subscript itself).
_SPECIAL_BEFORE_INTEGER: Final = frozenset({"/", "%", "[", ":"})
#: Words ending an ORDER BY / GROUP BY list.
_LIST_ENDS: Final = frozenset(
    "limit offset fetch having window for union except intersect returning".split()
)
#: Type names whose parenthesized numbers are type modifiers.
_TYPMOD_WORDS: Final = frozenset(
    "numeric decimal varchar char character varying bit time timestamp timestamptz interval "
    "float".split()
)
INTEGER: Final = "i"
STRING: Final = "s"


@dataclass(frozen=True, slots=True)
class Literal:
    """A literal taken out of a statement: ``kind`` (`INTEGER` or `STRING`) and its text as
    written (a string with its quotes)."""

    kind: str
    text: str

    @property
    def value(self) -> int | str:
        """The literal's Python value."""
        if self.kind == INTEGER:
            return int(self.text)
        return self.text[1:-1].replace("''", "'")


def shape(sql: str) -> tuple[str, tuple[Literal, ...]] | None:
    """(key, literals) of ``sql`` (module docstring); None when it has no literal to take out
    or cannot be scanned safely."""
    parts: list[str] = []
    literals: list[Literal] = []
    done = 0  # the end of the text copied to ``parts``
    previous = ""  # the last significant token, lower case
    owners: list[str] = []  # per open parenthesis: the word before it
    by_depth = -1  # the parenthesis depth of an open ORDER BY / GROUP BY list, or -1
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "comment":
            continue
        if kind == "bad":
            return None
        text = match.group(kind)  # type: ignore[arg-type]
        taken = ""
        if kind == "string":
            start = match.start(kind)  # type: ignore[arg-type]
            glued = start > 0 and (sql[start - 1].isalnum() or sql[start - 1] in "_&")
            if "\\" not in text and not glued:
                if not previous.isidentifier() or previous in _VALUE_WORDS:
                    taken = STRING
        elif kind == "number":
            if (
                _PLAIN_INTEGER.fullmatch(text)
                and by_depth != len(owners)
                and previous not in _SPECIAL_BEFORE_INTEGER
                and previous not in _COUNT_WORDS
                and not (owners and owners[-1] in _TYPMOD_WORDS)
            ):
                taken = INTEGER
        elif kind == "word":
            text = text.lower()
            if text == "by" and previous in ("order", "group"):
                by_depth = len(owners)
            elif text in _LIST_ENDS and by_depth == len(owners):
                by_depth = -1
        elif text == "(":
            owners.append(previous if previous.isidentifier() else "")
        elif text == ")":
            if by_depth == len(owners):
                by_depth = -1
            if owners:
                owners.pop()
        if taken:
            start = match.start(kind)  # type: ignore[arg-type]
            parts.append(sql[done:start])
            parts.append("\x00" + taken)
            done = match.end()
            literals.append(Literal(taken, text))
        previous = text
    if not literals:
        return None
    parts.append(sql[done:])
    return "".join(parts), tuple(literals)
