"""Literal values: the Python value of ``-5``, ``'it''s'``, ``'2024-01-01'::date``, ``$1::int``.

VALUES rows, UPDATE assignments, WHERE comparisons and LIMIT counts carry values a handler wants
as Python objects.  A literal converts the way PostgreSQL's input functions read it when it is
cast to a type: integers and floats by their text syntax, booleans by PostgreSQL's accepted
spellings (``t``, ``yes``, ``on``, unique prefixes ...); a parameter keeps its cast as a type
name; anything that is not a constant stays an `Expression` with its source text.
"""

from __future__ import annotations

import re

from .expressions import group_is_query, type_name
from .lexer import Token, TokenKind
from .statement_info import Expression, Parameter, Value
from .token_list import TokenList

__all__ = ["literal", "value_of"]

_INTEGER_TYPES = frozenset({"int2", "int4", "int8", "oid"})
_FLOAT_TYPES = frozenset({"float4", "float8", "numeric"})
_TEXT_TYPES = frozenset({"text", "varchar", "bpchar", "name", "unknown"})
_INTEGER_TEXT = re.compile(r"[ \t\n\r\f\v]*[+-]?[0-9]+[ \t\n\r\f\v]*")
_FLOAT_TEXT = re.compile(
    r"[ \t\n\r\f\v]*(?:[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
    r"|[+-]?(?:infinity|inf)|nan)[ \t\n\r\f\v]*",
    re.IGNORECASE,
)
_TRUE_TEXT = frozenset({"t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"})
_FALSE_TEXT = frozenset({"f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"})


def _convert(value: Value, type_: str) -> Value:
    """Convert a literal to the Python value of a cast to ``type_`` (PostgreSQL's input rules
    for integers, floats and booleans); other types keep the literal."""
    if isinstance(value, Parameter):
        return Parameter(value.number, type_)
    if value is None or isinstance(value, Expression):
        return value
    text = str(value).lower() if isinstance(value, bool) else str(value)
    if type_ in _INTEGER_TYPES:
        if isinstance(value, bool) or not _INTEGER_TEXT.fullmatch(text) or len(text) > 40:
            return Expression(text)  # not an integer, or far out of bigint's range
        return int(text)
    if type_ in _FLOAT_TYPES:
        if isinstance(value, bool) or not _FLOAT_TEXT.fullmatch(text):
            return Expression(text)
        return float(text)
    if type_ == "bool":
        word = text.strip(" \t\n\r\f\v").lower()
        if word in _TRUE_TEXT:
            return True
        if word in _FALSE_TEXT:
            return False
        return Expression(text)
    if type_ in _TEXT_TYPES:
        return text
    return value


def literal(token: Token, keyword: str) -> tuple[bool, Value]:
    """(True, value) if ``token`` alone is a literal or parameter."""
    kind = token.kind
    if kind is TokenKind.STRING:
        return True, token.value  # type: ignore[return-value]
    if kind is TokenKind.INTEGER:
        return True, token.value  # type: ignore[return-value]
    if kind is TokenKind.NUMERIC:
        return True, float(token.text)
    if kind is TokenKind.PARAM:
        return True, Parameter(token.value)  # type: ignore[arg-type]
    if keyword == "null":
        return True, None
    if keyword in ("true", "false"):
        return True, keyword == "true"
    return False, None


def value_of(tl: TokenList, start: int, end: int) -> Value:
    """The Python value of the literal, signed number, typed or cast literal, or parameter in
    ``[start, end)``; an `Expression` with the source text for anything else."""
    source = tl.text(start, end)
    while tl.opens_group(start) and tl.partner[start] == end - 1 and end - start > 2:
        if group_is_query(tl, start):
            break
        start, end = start + 1, end - 1
    if start >= end:
        return Expression(source)
    index = start
    sign = ""
    token = tl.tokens[index]
    if token.kind is TokenKind.OP and token.text in ("-", "+") and index + 1 < end:
        sign = token.text
        index += 1
    value: Value
    ok, value = literal(tl.tokens[index], tl.keywords[index])
    if ok:
        index += 1
    elif tl.kw(index) == "cast" and tl.opens_group(index + 1) and not sign:
        close = tl.partner[index + 1]
        as_index = tl.find(index + 2, close, ("as",))
        _, type_, _ = type_name(tl, as_index + 1, close)
        value = value_of(tl, index + 2, as_index)
        if isinstance(value, Expression) or not type_:
            return Expression(source)
        value, index = _convert(value, type_), close + 1
    else:
        type_end, type_, is_array = type_name(tl, index, end)
        if type_end == index or type_end >= end:
            return Expression(source)
        typed = tl.tokens[type_end]
        if typed.kind is not TokenKind.STRING or is_array:
            return Expression(source)
        value, index = _convert(typed.value, type_), type_end + 1  # type: ignore[arg-type]
    if sign:
        if not isinstance(value, int | float) or isinstance(value, bool):
            return Expression(source)
        value = -value if sign == "-" else value
    while index < end and tl.is_punct(index, "::"):
        type_end, type_, is_array = type_name(tl, index + 1, end)
        if type_end == index + 1:
            return Expression(source)
        value = _convert(value, "_" + type_ if is_array else type_)
        index = type_end
    if index != end or isinstance(value, Expression):
        return Expression(source)
    return value
