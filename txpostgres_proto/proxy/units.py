"""Which client messages form a unit that may share an upstream connection with others'.

Multiplexing (``multiplex.py``) sends several clients' *units* down one upstream connection in
one write.  PostgreSQL runs them one after another, each in its own implicit transaction: a
Query message, or the extended-query messages up to a Sync, is committed (or rolled back on an
error) before the next is read (protocol section 55.2.3 on implicit transactions; 55.2.4 on
pipelining).  That is only harmless to the clients behind a unit when the unit cannot leave
anything behind on the connection and does not wait on other sessions' locks.  So a chunk of
client frames is a shareable unit only when it is all of:

* exactly one unit: a single Query frame, or extended-query frames of the form
  ``[Parse] [Describe] Bind [Describe] Execute Sync`` with the Sync last;
* one plain ``SELECT`` statement: the text starts with ``SELECT`` (after blanks), holds no
  ``;`` before its end, and no row-locking clause (``FOR UPDATE`` / ``SHARE`` …) or ``INTO``
  (which would create a table) — so it opens no transaction block, takes no row locks and
  changes no settings through a ``SET``;
* for a Bind of a named statement, one this client prepared through the proxy (its text is
  known; see ``statements.py``).

`unit_shape` answers with the unit's *shape*: the statement text with its digits removed (a
named statement's upstream name stands for its text), so the repeats of one query with other
numbers share what was learnt about its duration (``multiplex.ShapeTimes``).  The test is
deliberately narrow: a unit it turns down simply takes its own upstream connection as usual.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Final

from .frames import frame_end, split_cstring
from .statements import StatementMap

__all__ = ["unit_shape"]

_QUERY: Final = ord("Q")
_PARSE: Final = ord("P")
_BIND: Final = ord("B")
#: The notable frame types of one extended-query unit, in order (``frames.FrameCutter``).
_EXTENDED_UNIT: Final = re.compile(rb"P?D?BD?ES")
#: Clauses that make a SELECT wait on other sessions' row locks, or create a table.
_LOCKING: Final = re.compile(
    rb"\b(?:for\s+(?:update|share|no\s+key\s+update|key\s+share)|into)\b", re.I
)
_DIGITS: Final = b"0123456789"
_BLANKS: Final = b" \t\r\n"
#: Whether each shape seen lately is a plain SELECT (digits never change the answer).
_SHAPES: dict[bytes, bool] = {}
_SHAPES_KEPT: Final = 4096


def unit_shape(data: bytes, offsets: Sequence[int], statements: StatementMap) -> bytes | None:
    """The shape of the client frames ``data`` when they are one shareable unit (module
    docstring), else None.  ``offsets`` are the notable frames `FrameCutter.cut` found."""
    try:
        if data[0] == _QUERY:
            if len(offsets) != 1 or frame_end(data, 0) != len(data):
                return None
            return _select_shape(data[5:-1])
        return _extended_shape(data, offsets, statements)
    except (IndexError, ValueError):  # a malformed frame: the general path reports it
        return None


def _select_shape(text: bytes) -> bytes | None:
    """The shape of one plain SELECT statement ``text``, or None."""
    shape = text.translate(None, _DIGITS)
    known = _SHAPES.get(shape)
    if known is None:
        if len(_SHAPES) >= _SHAPES_KEPT:
            _SHAPES.clear()
        known = _SHAPES[shape] = _is_plain_select(shape)
    return shape if known else None


def _is_plain_select(text: bytes) -> bool:
    text = text.strip(_BLANKS)
    return (
        text[:6].upper() == b"SELECT"
        and not (text[6:7].isalnum() or text[6:7] == b"_")
        and b";" not in text.rstrip(b"; \t\r\n")
        and _LOCKING.search(text) is None
    )


def _extended_shape(data: bytes, offsets: Sequence[int], statements: StatementMap) -> bytes | None:
    codes = bytes(data[start] for start in offsets)
    if not _EXTENDED_UNIT.fullmatch(codes) or frame_end(data, offsets[-1]) != len(data):
        return None
    start = offsets[codes.index(_BIND)]
    portal_end = data.index(0, start + 5) + 1
    name, _ = split_cstring(data, portal_end)
    if codes[0] == _PARSE:
        parsed, query_start = split_cstring(data, offsets[0] + 5)
        if parsed != name:
            return None
        return _select_shape(split_cstring(data, query_start)[0])
    if not name:
        return None  # the unnamed statement of an earlier unit: it lives on one connection
    known = statements.upstream_statement(name)
    if known is None:
        return None
    upstream_name, query = known
    return upstream_name if _select_shape(query) is not None else None
