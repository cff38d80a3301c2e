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

`shape` runs for every such statement, so it does not scan token by token each time: one
regular expression finds the candidates (strings and numbers), and which of them are taken is
worked out by the full scan once per *skeleton* of text (the text with each candidate replaced
by its class) and remembered; the full scan's decision only depends on what the skeleton keeps.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

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


class Literal(NamedTuple):
    """A literal taken out of a statement: ``kind`` (`INTEGER` or `STRING`) and its text as
    written (a string with its quotes).  A named tuple: one is made per literal of every
    statement, and a tuple is made fastest."""

    kind: str
    text: str

    @property
    def value(self) -> int | str:
        """The literal's Python value."""
        if self.kind == INTEGER:
            return int(self.text)
        return self.text[1:-1].replace("''", "'")


#: The tokens `shape` looks at, found without looking at the others one by one: strings and
#: numbers, and what must not be mistaken for them: words (which may hold digits), comments,
#: quoted names, parameters, and what `_TOKEN` cannot scan (``bad``).
_CANDIDATE: Final = re.compile(
    r"""
    [A-Za-z_\x80-\U0010ffff][\w$\x80-\U0010ffff]*
  | (?P<comment>--[^\n]*)
  | (?P<string>'(?:[^']|'')*')
  | (?P<ident>"(?:[^"]|"")*")
  | (?P<param>\$\d+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<bad>/\*|\$|'|")
    """,
    re.VERBOSE | re.DOTALL,
)
#: Skeletons by text: the text with each candidate literal replaced by its class.
_SKELETONS = 4096
#: `_decisions` value of a skeleton whose texts `_scan` answers (the candidates disagreed).
_SCAN: Final[tuple[tuple[int, str], ...]] = ((-1, ""),)
#: A skeleton's decision: (candidate number, kind) of each literal taken, None for no shape.
_Decision = tuple[tuple[int, str], ...] | None
_decisions: dict[str, _Decision] = {}


def shape(sql: str) -> tuple[str, tuple[Literal, ...]] | None:
    """(key, literals) of ``sql`` (module docstring); None when it has no literal to take out
    or cannot be scanned safely.

    Which literals are taken depends only on the text around them and on the class of each
    literal (a string with or without a backslash, a plain integer or another number), so
    the decision is made once per *skeleton* (the text with each literal replaced by its
    class, found by one regular expression) by the full scan (`_scan`), and remembered; the
    full scan's decision is kept only when its literals are exactly candidates of the
    skeleton, else texts of that skeleton are always scanned in full."""
    candidates: list[tuple[int, int, str]] = []
    parts: list[str] = []
    done = 0
    for match in _CANDIDATE.finditer(sql):
        kind = match.lastgroup
        if kind is None:  # a word
            continue
        if kind == "string":
            text = match.group()
            mark = "\x01b" if "\\" in text else "\x01s"
        elif kind == "number":
            text = match.group()
            if _PLAIN_INTEGER.fullmatch(text):
                mark = "\x01i"
            else:  # what ends it may glue a string to it (`_scan`)
                mark = "\x01n" if text[-1].isdigit() else "\x01d"
        elif kind == "bad":
            return _taken(sql, _scan(sql))
        else:
            continue
        start = match.start()
        parts.append(sql[done:start])
        parts.append(mark)
        done = match.end()
        candidates.append((start, done, text))
    parts.append(sql[done:])
    skeleton = "".join(parts)
    decision = _decisions.get(skeleton, _SCAN)
    if decision is _SCAN and skeleton not in _decisions:
        decision = _decide(sql, candidates)
        if len(_decisions) >= _SKELETONS:
            _decisions.clear()
        _decisions[skeleton] = decision
    if decision is _SCAN:
        return _taken(sql, _scan(sql))
    if decision is None:
        return None
    pieces: list[str] = []
    literals: list[Literal] = []
    done = 0
    for index, kind in decision:
        start, end, text = candidates[index]
        pieces.append(sql[done:start])
        pieces.append("\x00" + kind)
        literals.append(Literal(kind, text))
        done = end
    pieces.append(sql[done:])
    return "".join(pieces), tuple(literals)


def _decide(sql: str, candidates: list[tuple[int, int, str]]) -> _Decision:
    """The decision for the skeleton of ``sql``: (candidate number, kind) of each literal
    taken, None for no shape, or `_SCAN` when the full scan took a literal that is not a
    candidate."""
    spans = _scan(sql)
    if spans is None:
        return None
    by_start = {start: (index, end) for index, (start, end, _) in enumerate(candidates)}
    decision = []
    for start, end, kind in spans:
        found = by_start.get(start)
        if found is None or found[1] != end:
            return _SCAN
        decision.append((found[0], kind))
    return tuple(decision)


def _taken(
    sql: str, spans: list[tuple[int, int, str]] | None
) -> tuple[str, tuple[Literal, ...]] | None:
    """The shape from the literals the full scan took."""
    if spans is None:
        return None
    parts: list[str] = []
    done = 0
    for start, end, kind in spans:
        parts.append(sql[done:start])
        parts.append("\x00" + kind)
        done = end
    parts.append(sql[done:])
    return "".join(parts), tuple(Literal(kind, sql[start:end]) for start, end, kind in spans)


def _scan(sql: str) -> list[tuple[int, int, str]] | None:
    """The literals `shape` takes out of ``sql`` (start, end, kind), token by token; None when
    it takes none or cannot scan the text."""
    spans: list[tuple[int, int, str]] = []
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
            spans.append((match.start(kind), match.end(), taken))  # type: ignore[arg-type]
        previous = text
    return spans or None
