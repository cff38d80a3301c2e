"""Arrays in the emulated catalog: PostgreSQL's text form, Python lists and the JSON storage form.

SQLite has no arrays, so the catalog stores them as compact JSON text (``[1,2]``,
``["a","b"]``); SQLite's ``json_each`` then unnests them.  Clients send arrays as PostgreSQL
array literals (``'{16401}'``, a ``$1::oid[]`` parameter) and expect ``array::text`` in the same
syntax, so this module converts between the three forms following the array I/O rules of
PostgreSQL (src/backend/utils/adt/arrayfuncs.c, ``array_in``/``array_out``): elements are
separated by commas, double quotes protect special characters, backslash escapes the next
character, unquoted ``NULL`` is a null element.  One-dimensional arrays only.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final

_NEEDS_QUOTES: Final = frozenset('{},"\\ \t\n\r\v\f')


def parse_array_literal(text: str) -> list[str | None]:
    """Split ``'{a,"b c",NULL}'`` into ``['a', 'b c', None]`` (elements stay text)."""
    body = text.strip()
    if body.startswith("[") and "=" in body:  # optional dimension decoration: [1:2]={...}
        body = body.split("=", 1)[1].strip()
    if not (body.startswith("{") and body.endswith("}")):
        raise ValueError(f"malformed array literal: {text!r}")
    body = body[1:-1]
    items: list[str | None] = []
    if not body.strip():
        return items
    i, n = 0, len(body)
    while i <= n:
        while i < n and body[i].isspace():
            i += 1
        chars: list[str] = []
        quoted = False
        if i < n and body[i] == '"':
            quoted = True
            i += 1
            while i < n and body[i] != '"':
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
            i += 1
            while i < n and body[i] != ",":
                i += 1
        else:
            while i < n and body[i] != ",":
                if body[i] == "\\" and i + 1 < n:
                    i += 1
                chars.append(body[i])
                i += 1
        value = "".join(chars) if quoted else "".join(chars).strip()
        items.append(None if not quoted and value.upper() == "NULL" else value)
        i += 1
    return items


def _element_text(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        text = "t" if value else "f"
    elif isinstance(value, list):
        return format_array_literal(value)
    else:
        text = str(value)
    if text == "" or text.upper() == "NULL" or any(char in _NEEDS_QUOTES for char in text):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def format_array_literal(items: Sequence[Any]) -> str:
    """``['a', 'b c', None]`` → ``'{a,"b c",NULL}'`` (array_out)."""
    return "{" + ",".join(_element_text(item) for item in items) + "}"


def to_storage(items: Sequence[Any] | None) -> str | None:
    """A Python list as the catalog's JSON array text."""
    if items is None:
        return None
    return json.dumps(list(items), separators=(",", ":"), ensure_ascii=False)


def from_storage(value: Any) -> list[Any] | None:
    """The catalog's JSON array text (or a PostgreSQL array literal) as a Python list."""
    if value is None:
        return None
    if isinstance(value, list):
        return value
    text = str(value)
    if text.startswith("["):
        loaded = json.loads(text)
        return loaded if isinstance(loaded, list) else [loaded]
    return parse_array_literal(text)
