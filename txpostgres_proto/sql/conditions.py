"""WHERE clauses: the AND-ed terms that are simple comparisons of a column with a value.

A handler that serves rows from its own storage can filter by ``id = $1`` or ``name IN (...)``
without an SQL engine; `where_clause` lists such terms as `Condition` s and says whether they
are the whole clause.  ``value op column`` is turned around, ``!=`` is ``<>``, parentheses
around terms and nested AND chains are flattened, the AND of ``BETWEEN x AND y`` is not a
separator.  Anything else (OR, function calls, subqueries) is left out.
"""

from __future__ import annotations

from .expressions import NOT_OPERAND, VALUE_KEYWORDS, group_is_query, name_chain_end
from .lexer import TokenKind
from .literals import literal, value_of
from .statement_info import Condition, Expression, Value, WhereClause
from .token_list import TokenList

__all__ = ["where_clause"]

_COMPARISONS = {"=": "=", "<>": "<>", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_MIRRORED = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def _column(tl: TokenList, start: int, end: int) -> tuple[str, str | None] | None:
    """(column, qualifier) if ``[start, end)`` is exactly a (qualified) column name."""
    if end - start not in (1, 3, 5) or not tl.is_name(start):
        return None
    if tl.kw(start) in VALUE_KEYWORDS or tl.kw(start) in NOT_OPERAND:
        return None
    if name_chain_end(tl, start, end) != end or tl.is_op(end - 1, "*"):
        return None
    column = str(tl.tokens[end - 1].value)
    qualifier = str(tl.tokens[end - 3].value) if end - start >= 3 else None
    return column, qualifier


def _plain_value(tl: TokenList, start: int, end: int) -> tuple[bool, Value]:
    value = value_of(tl, start, end)
    return not isinstance(value, Expression), value


def _condition(tl: TokenList, start: int, end: int) -> Condition | None:
    """A `Condition` if ``[start, end)`` is a simple comparison of a column, else None."""
    column_end = name_chain_end(tl, start, end) if tl.is_name(start) else start
    column = _column(tl, start, column_end)
    if column is None:
        return _reversed_condition(tl, start, end)
    name, qualifier = column
    index = column_end
    token = tl.tokens[index] if index < end else None
    if token is None:
        return None
    if token.kind is TokenKind.OP and token.text in _COMPARISONS:
        ok, value = _plain_value(tl, index + 1, end)
        return Condition(name, _COMPARISONS[token.text], value, qualifier) if ok else None
    negated = tl.kw(index) == "not"
    keyword = tl.kw(index + negated)
    prefix = "NOT " if negated else ""
    index += negated + 1
    if keyword in ("like", "ilike"):
        ok, value = _plain_value(tl, index, end)
        operator = prefix + keyword.upper()
        return Condition(name, operator, value, qualifier) if ok else None
    if keyword == "in" and tl.opens_group(index) and tl.partner[index] == end - 1:
        if group_is_query(tl, index):
            return None
        items = []
        for item_start, item_end in tl.split(index + 1, end - 1):
            ok, value = _plain_value(tl, item_start, item_end)
            if not ok:
                return None
            items.append(value)
        return Condition(name, prefix + "IN", tuple(items), qualifier)
    if keyword == "between":
        and_index = tl.find(index, end, ("and",))
        low_ok, low = _plain_value(tl, index, and_index)
        high_ok, high = _plain_value(tl, and_index + 1, end)
        if low_ok and high_ok and and_index < end:
            return Condition(name, prefix + "BETWEEN", (low, high), qualifier)
        return None
    if keyword == "is" and not negated:
        negated = tl.kw(index) == "not"
        index += negated
        if index == end - 1 and tl.kw(index) in ("null", "true", "false"):
            ok, value = literal(tl.tokens[index], tl.kw(index))
            return Condition(name, "IS NOT" if negated else "IS", value, qualifier)
    return None


def _reversed_condition(tl: TokenList, start: int, end: int) -> Condition | None:
    """``value op column`` reported as ``column op' value``."""
    index = start
    while index < end:
        token = tl.tokens[index]
        if token.kind is TokenKind.OP and token.text in _COMPARISONS:
            column = _column(tl, index + 1, end)
            ok, value = _plain_value(tl, start, index)
            if column is None or not ok:
                return None
            operator = _MIRRORED[_COMPARISONS[token.text]]
            return Condition(column[0], operator, value, column[1])
        index = tl.next(index)
    return None


def _strip_parentheses(tl: TokenList, start: int, end: int) -> tuple[int, int]:
    while end - start >= 2 and tl.opens_group(start) and tl.partner[start] == end - 1:
        start, end = start + 1, end - 1
    return start, end


def _and_terms(tl: TokenList, start: int, end: int, terms: list[tuple[int, int]]) -> None:
    """Collect the AND-ed terms of ``[start, end)``, flattening parenthesized AND chains and
    leaving the AND of ``BETWEEN x AND y`` alone."""
    start, end = _strip_parentheses(tl, start, end)
    parts: list[tuple[int, int]] = []
    index = part_start = start
    in_between = False
    while index < end:
        kw = tl.keywords[index]
        if kw == "between":
            in_between = True
        elif kw == "and":
            if in_between:
                in_between = False
            else:
                parts.append((part_start, index))
                part_start = index + 1
        index = tl.next(index)
    parts.append((part_start, end))
    if len(parts) == 1:
        terms.append((start, end))
        return
    for part in parts:
        _and_terms(tl, *part, terms)


def where_clause(tl: TokenList, start: int, end: int) -> WhereClause:
    """Analyse the condition ``[start, end)`` of a WHERE clause."""
    terms: list[tuple[int, int]] = []
    _and_terms(tl, start, end, terms)
    conditions = []
    for term in terms:
        condition = _condition(tl, *term) if term[1] > term[0] else None
        if condition is not None:
            conditions.append(condition)
    complete = len(conditions) == len(terms)
    return WhereClause(tl.text(start, end), tuple(conditions), complete)
