"""DB-API ``pyformat`` placeholders (``%s``, ``%(name)s``) turned into PostgreSQL's ``$n``.

Code written for ``twisted.enterprise.adbapi`` with psycopg2 passes SQL in psycopg2's
paramstyle (PEP 249 "pyformat").  `convert` rewrites it for the extended protocol, following
psycopg2's rules so that such SQL keeps its meaning:

* without parameters (``params`` is None) the SQL is left alone — ``LIKE 'a%'`` needs no
  escaping;
* with parameters, the whole string is a format string, *including* the inside of quoted
  literals, exactly as in psycopg2 and psycopg 3: ``%%`` stands for ``%`` (``LIKE 'a%%'``), a
  placeholder is ``%s`` (``%b`` and ``%t`` are accepted as in psycopg 3) or ``%(name)s``, and
  any other ``%`` is an error.  Skipping literals would change the meaning of SQL that was
  written for those drivers (``'100%%'`` would stay doubled);
* positional placeholders take the parameters in order; named ones read a mapping, and the
  same name used twice becomes the same ``$n``; the two styles cannot be mixed;
* a ``tuple`` value expands to a parenthesised list of parameters — psycopg2 adapts tuples that
  way, and ``WHERE id IN %s`` with ``(tuple(ids),)`` is common in adbapi code.  Lists stay
  single (array) parameters, as psycopg2 adapts them to ARRAY.

What cannot carry over: the server binds ``$n`` only where a value is allowed, so SQL that
relied on psycopg2 pasting a literal into other places (``SET search_path = %s``, a type
modifier, DDL defaults) fails with a syntax error from the server, as with psycopg 3.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["convert"]

_PLACEHOLDER: Final = re.compile(r"%(?:\((?P<name>[^)]*)\))?(?P<kind>.)?", re.DOTALL)
_KINDS: Final = frozenset("sbt")
_END: Final = object()


def convert(
    sql: str, params: Sequence[Any] | Mapping[str, Any] | None
) -> tuple[str, tuple[Any, ...]]:
    """``(sql with $n placeholders, values in $n order)`` for DB-API ``sql`` and ``params``."""
    if params is None:
        return sql, ()
    named = isinstance(params, Mapping)
    if not named and isinstance(params, str | bytes):
        raise TypeError("parameters must be a sequence or a mapping, not a string")
    values: list[Any] = []
    numbers: dict[str, str] = {}
    mapping: Mapping[str, Any] = params if isinstance(params, Mapping) else {}
    positional = iter(()) if isinstance(params, Mapping) else iter(params)

    def add(value: Any) -> str:
        if isinstance(value, tuple):
            return "(" + ", ".join(add(item) for item in value) + ")"
        values.append(value)
        return f"${len(values)}"

    def replace(match: re.Match[str]) -> str:
        name, kind = match.group("name"), match.group("kind")
        if name is None and kind == "%":
            return "%"
        if kind not in _KINDS:
            shown = match.group(0) if kind is not None else "%"
            raise ValueError(
                f"unsupported format character in {shown!r} at index {match.start()}: "
                "use %s for parameters and %% for a literal %"
            )
        if name is None:
            if named:
                raise TypeError("format requires a mapping when %s is used with named params")
            try:
                value = next(positional)
            except StopIteration:
                raise TypeError(
                    "not enough parameters for the %s placeholders in the query"
                ) from None
            return add(value)
        if not named:
            raise TypeError(f"placeholder %({name})s needs a mapping of parameters")
        if name not in numbers:
            try:
                value = mapping[name]
            except KeyError:
                raise KeyError(f"no value for the query parameter %({name})s") from None
            numbers[name] = add(value)
        return numbers[name]

    converted = _PLACEHOLDER.sub(replace, sql)
    if not named and next(positional, _END) is not _END:
        raise TypeError("not all parameters were used by the %s placeholders in the query")
    return converted, tuple(values)
