"""Expressions inside a statement: where they end, and what PostgreSQL calls their result.

The analysers do not need a full expression grammar; they need to know where an expression
ends (to find a bare alias after it, or the next clause) and what PostgreSQL would call the
result column (the rules of ``FigureColname`` in the parser: column, function and type names
are "strong", ``CASE`` is weak, anything else is ``?column?``).  Type names are read here too,
normalised to the names PostgreSQL stores (``int`` is ``int4``).

Expressions are walked as operand (operator operand)*, where an operand is a primary (literal,
parameter, name, function call, bracketed group, CASE ... END, CAST(...), ARRAY[...], typed
literal) with its postfixes (``::type``, subscripts, ``.field``, COLLATE).  Precedence does not
matter for any of those questions.
"""

from __future__ import annotations

from .lexer import TokenKind
from .token_list import TokenList

__all__ = [
    "NOT_BARE_LABEL",
    "NOT_OPERAND",
    "QUERY_START",
    "SELECT_LIST_END",
    "VALUE_KEYWORDS",
    "clause_start",
    "group_is_query",
    "name_chain_end",
    "select_item",
    "type_name",
]

#: Keywords that start a query where a subquery can appear.
QUERY_START = frozenset({"select", "with", "values", "table"})

#: Words PostgreSQL does not take as a column alias without AS (reserved words, operators,
#: clause and join words, and the keywords that continue a type name).
NOT_BARE_LABEL = frozenset(
    """
    all and any array as asc asymmetric between both case cast check collate column constraint
    create cross current_catalog current_date current_role current_time current_timestamp
    current_user day default deferrable desc distinct do else end escape except false fetch
    filter for foreign freeze from full grant group having hour ilike in initially inner intersect
    into is isnull join lateral leading left like limit localtime localtimestamp minute month
    natural not notnull null offset on only or order outer over overlaps placing precision primary
    references returning right second select session_user similar some symmetric table tablesample
    then to trailing true union unique user using variadic varying when where window with within
    without year
    """.split()
)

# Keywords that can be an operand on their own (SQL value functions and constants).
VALUE_KEYWORDS = frozenset(
    """
    current_catalog current_date current_role current_schema current_time current_timestamp
    current_user localtime localtimestamp session_user user null true false default
    """.split()
)
# Reserved words that cannot start an operand (ANY, SOME and ALL only with an argument list).
NOT_OPERAND = NOT_BARE_LABEL - VALUE_KEYWORDS - {"case", "cast", "array"}
_ARRAY_COMPARISONS = frozenset({"any", "some", "all"})
_IS_OPERANDS = frozenset({"null", "true", "false", "unknown", "document", "normalized"})
_INTERVAL_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "to"})
# Unqualified type keywords and the name PostgreSQL stores for them.
_TYPE_KEYWORDS = {
    "int": "int4",
    "integer": "int4",
    "smallint": "int2",
    "bigint": "int8",
    "real": "float4",
    "float": "float8",
    "decimal": "numeric",
    "dec": "numeric",
    "boolean": "bool",
    "varchar": "varchar",
    "char": "bpchar",
    "character": "bpchar",
    "nchar": "bpchar",
}
_TRIM_FUNCTIONS = {"leading": "ltrim", "trailing": "rtrim"}
_UNNAMED = "?column?"
_STRENGTH_NONE, _STRENGTH_WEAK, _STRENGTH_STRONG = 0, 1, 2
_LITERALS = (TokenKind.STRING, TokenKind.INTEGER, TokenKind.NUMERIC, TokenKind.BITSTRING)


#: Keywords that end the select list of a SELECT.
SELECT_LIST_END = frozenset(
    {"from", "into", "where", "group", "having", "window", "union", "intersect", "except"}
    | {"order", "limit", "offset", "fetch", "for"}
)


def clause_start(
    tl: TokenList, start: int, end: int, words: frozenset[str], in_from: bool = False
) -> int:
    """Like `TokenList.find`, except that the FROM of ``IS [NOT] DISTINCT FROM`` does not
    count as the start of a FROM clause, nor (``in_from`` a FROM clause) that of
    ``ROWS FROM (...)``."""
    index = tl.find(start, end, words)
    while index < end and tl.keywords[index] == "from":
        before = tl.kw(index - 1)
        if before == "distinct":
            if tl.kw(index - 2 - (tl.kw(index - 2) == "not")) != "is":
                break
        elif not (in_from and before == "rows" and tl.opens_group(index + 1)):
            break
        index = tl.find(index + 1, end, words)
    return index


def group_is_query(tl: TokenList, open_index: int) -> bool:
    """True if the ``(`` at ``open_index`` encloses a query (possibly in more parentheses)."""
    inner = open_index + 1
    while tl.opens_group(inner):
        inner += 1
    return tl.kw(inner) in QUERY_START


def type_name(tl: TokenList, start: int, end: int) -> tuple[int, str, bool]:
    """Parse a type name at ``start``; return (index after it, PostgreSQL's type name, whether
    it is an array).  The index equals ``start`` if there is no type name there."""
    kw = tl.kw(start)
    index = start + 1
    name = ""
    if kw == "double" and tl.kw(index) == "precision":
        name, index = "float8", index + 1
    elif kw in ("character", "char", "national", "nchar"):
        if kw == "national" and tl.kw(index) in ("character", "char"):
            index += 1
        name = "bpchar"
        if tl.kw(index) == "varying":
            name, index = "varchar", index + 1
    elif kw == "bit":
        name = "bit"
        if tl.kw(index) == "varying":
            name, index = "varbit", index + 1
    elif kw in ("time", "timestamp"):
        name = kw
        if tl.opens_group(index):
            index = tl.next(index)
        if tl.kw(index) in ("with", "without") and tl.kw(index + 1) == "time":
            if tl.kw(index + 2) == "zone":
                if tl.kw(index) == "with":
                    name += "tz"
                index += 3
    elif kw == "interval":
        name = "interval"
        while tl.kw(index) in _INTERVAL_FIELDS:
            index += 1
    elif kw == "float" and tl.opens_group(index):
        precision = tl.tokens[index + 1]
        small = precision.kind is TokenKind.INTEGER and precision.value <= 24  # type: ignore[operator]
        name = "float4" if small else "float8"
    elif tl.is_name(start):
        parts = [tl.tokens[start]]
        while tl.is_punct(index, ".") and tl.is_name(index + 1):
            parts.append(tl.tokens[index + 1])
            index += 2
        last = parts[-1]
        name = str(last.value)
        if len(parts) == 1 and last.kind is TokenKind.IDENT:
            name = _TYPE_KEYWORDS.get(name, name)
    else:
        return start, "", False
    if tl.opens_group(index):
        index = tl.next(index)
    is_array = False
    while index < end:
        if tl.is_punct(index, "["):
            is_array, index = True, tl.next(index)
        elif tl.kw(index) == "array":
            is_array, index = True, index + 1
        else:
            break
    return min(index, end), name, is_array


def name_chain_end(tl: TokenList, start: int, end: int) -> int:
    """End of a dotted name ``a.b.c`` (the last part may be ``*``) starting at ``start``."""
    index = start + 1
    while index + 1 < end and tl.is_punct(index, "."):
        if tl.is_name(index + 1) or tl.is_op(index + 1, "*"):
            index += 2
        else:
            break
    return index


def _case(tl: TokenList, start: int, end: int) -> tuple[int, str, int]:
    """CASE ... END at ``start``: (index after END, name, strength).  Like PostgreSQL, the
    name is that of the ELSE result when it is strong, otherwise ``case``."""
    depth = 0
    else_index = -1
    index = start
    while index < end:
        kw = tl.keywords[index]
        if kw == "case":
            depth += 1
        elif kw == "else" and depth == 1:
            else_index = index
        elif kw == "end":
            depth -= 1
            if depth == 0:
                break
        index = tl.next(index)
    if else_index >= 0:
        else_end, name, strength = scan_expression(tl, else_index + 1, index)
        if strength == _STRENGTH_STRONG and else_end == index:
            return index + 1, name, strength
    return min(index + 1, end), "case", _STRENGTH_WEAK


def _query_first_name(tl: TokenList, start: int, end: int) -> str:
    """The name of the first output column of the query in ``[start, end)``."""
    while tl.opens_group(start) and tl.partner[start] == end - 1:
        start, end = start + 1, end - 1
    first = tl.find(start, end, ("select", "values"))
    if first >= end or tl.kw(first) == "values":
        return "column1" if first < end else _UNNAMED
    index = first + 1
    if tl.kw(index) == "all":
        index += 1
    elif tl.kw(index) == "distinct":
        index += 1
        if tl.kw(index) == "on":
            index = tl.next(index + 1)
    stop = clause_start(tl, index, end, SELECT_LIST_END)
    items = tl.split(index, stop)
    if not items:
        return _UNNAMED
    return select_item(tl, *items[0])[1]


def _primary(tl: TokenList, start: int, end: int) -> tuple[int, str, int]:
    """Parse one operand at ``start``: (index after it, column name, name strength).  The index
    equals ``start`` when no operand starts there."""
    token = tl.tokens[start]
    kind = token.kind
    if kind in _LITERALS or kind is TokenKind.PARAM:
        return start + 1, _UNNAMED, _STRENGTH_NONE
    if kind is TokenKind.PUNCT:
        if token.text != "(":
            return start, _UNNAMED, _STRENGTH_NONE
        close = tl.partner[start]
        if group_is_query(tl, start):
            return close + 1, _query_first_name(tl, start + 1, close), _STRENGTH_STRONG
        if len(tl.split(start + 1, close)) > 1:
            return close + 1, "row", _STRENGTH_STRONG
        inner_end, name, strength = scan_expression(tl, start + 1, close)
        if inner_end != close:
            name, strength = _UNNAMED, _STRENGTH_NONE
        return close + 1, name, strength
    if kind is TokenKind.OP:
        if token.text == "*":
            return start + 1, "*", _STRENGTH_STRONG
        return start, _UNNAMED, _STRENGTH_NONE
    kw = tl.keywords[start]
    following_group = tl.opens_group(start + 1)
    if kw:
        if kw == "case":
            return _case(tl, start, end)
        if kw in ("null", "true", "false", "default"):
            return start + 1, _UNNAMED, _STRENGTH_NONE
        if kw == "cast" and following_group:
            return _cast(tl, start + 1)
        if kw in ("exists", "row") and following_group:
            return tl.next(start + 1), kw, _STRENGTH_STRONG
        if kw == "array" and (following_group or tl.is_punct(start + 1, "[")):
            return tl.next(start + 1), "array", _STRENGTH_STRONG
        if kw in NOT_OPERAND and not (following_group and kw in _ARRAY_COMPARISONS):
            return start, _UNNAMED, _STRENGTH_NONE
        if kw == "interval" and start + 1 < end and tl.tokens[start + 1].kind is TokenKind.STRING:
            index = start + 2
            while index < end and tl.kw(index) in _INTERVAL_FIELDS:
                index += 1
            if index < end and tl.opens_group(index):
                index = tl.next(index)
            return index, "interval", _STRENGTH_WEAK
    chain_end = name_chain_end(tl, start, end)
    if tl.opens_group(chain_end):
        name = str(tl.tokens[chain_end - 1].value)
        if kw == "trim" and chain_end == start + 1:  # TRIM([LEADING|TRAILING|BOTH] ...)
            name = _TRIM_FUNCTIONS.get(tl.kw(chain_end + 1), "btrim")
        return _function_call(tl, chain_end, end, name)
    if chain_end < end and tl.tokens[chain_end].kind is TokenKind.STRING:
        type_end, name, _ = type_name(tl, start, end)
        if type_end == chain_end:  # a typed literal such as date '2024-01-01'
            return chain_end + 1, name, _STRENGTH_WEAK
    if kw in ("double", "character", "char", "national", "bit", "time", "timestamp"):
        type_end, name, _ = type_name(tl, start, end)
        if tl.tokens[type_end : type_end + 1] and tl.tokens[type_end].kind is TokenKind.STRING:
            return type_end + 1, name, _STRENGTH_WEAK
    last = tl.tokens[chain_end - 1]
    name = "*" if last.kind is TokenKind.OP else str(last.value)
    return chain_end, name, _STRENGTH_STRONG


def _function_call(tl: TokenList, open_index: int, end: int, name: str) -> tuple[int, str, int]:
    """A call whose argument list opens at ``open_index``, with WITHIN GROUP, FILTER, OVER."""
    index = tl.next(open_index)
    while index < end:
        kw = tl.kw(index)
        if kw == "within" and tl.kw(index + 1) == "group" and tl.opens_group(index + 2):
            index = tl.next(index + 2)
        elif kw == "filter" and tl.opens_group(index + 1):
            index = tl.next(index + 1)
        elif kw == "over" and index + 1 < end:
            index = tl.next(index + 1)
        else:
            break
    return index, name, _STRENGTH_STRONG


def _cast(tl: TokenList, open_index: int) -> tuple[int, str, int]:
    """CAST(expr AS type) with its group at ``open_index``."""
    close = tl.partner[open_index]
    as_index = tl.find(open_index + 1, close, ("as",))
    _, name, strength = scan_expression(tl, open_index + 1, as_index)
    if strength <= _STRENGTH_WEAK:
        _, type_, _ = type_name(tl, as_index + 1, close)
        name, strength = type_ or _UNNAMED, _STRENGTH_WEAK
    return close + 1, name, strength


def _postfix(tl: TokenList, index: int, end: int, name: str, strength: int) -> tuple[int, str, int]:
    """Apply casts, subscripts, field selections and COLLATE after an operand."""
    while index < end:
        token = tl.tokens[index]
        if token.kind is TokenKind.PUNCT:
            if token.text == "::":
                type_end, type_, _ = type_name(tl, index + 1, end)
                if type_end == index + 1:
                    break
                if strength <= _STRENGTH_WEAK:
                    name, strength = type_, _STRENGTH_WEAK
                index = type_end
            elif token.text == "[":
                index = tl.next(index)
            elif token.text == "." and index + 1 < end:
                field = tl.tokens[index + 1]
                if field.kind in (TokenKind.IDENT, TokenKind.QIDENT):
                    name, strength = str(field.value), _STRENGTH_STRONG
                index += 2
            else:
                break
        elif tl.keywords[index] == "collate" and index + 1 < end:
            index = name_chain_end(tl, index + 1, end)
        else:
            break
    return index, name, strength


def _binary_operator(tl: TokenList, index: int, end: int) -> tuple[int, bool]:
    """If a binary or postfix operator starts at ``index``, return (index after it, whether an
    operand must follow); otherwise (``index``, False)."""
    token = tl.tokens[index]
    if token.kind is TokenKind.OP:
        return index + 1, True
    kw = tl.keywords[index]
    if kw in ("and", "or", "in", "like", "ilike", "between", "escape", "overlaps"):
        if tl.kw(index + 1) == "symmetric":
            return index + 2, True
        return index + 1, True
    if kw == "similar" and tl.kw(index + 1) == "to":
        return index + 2, True
    if kw == "not" and tl.kw(index + 1) in ("in", "like", "ilike", "between", "similar"):
        return _binary_operator(tl, index + 1, end)
    if kw == "at" and tl.kw(index + 1) == "time" and tl.kw(index + 2) == "zone":
        return index + 3, True
    if kw == "operator" and tl.opens_group(index + 1):
        return tl.next(index + 1), True
    if kw in ("isnull", "notnull"):
        return index + 1, False
    if kw == "is":
        index += 1
        if tl.kw(index) == "not":
            index += 1
        if tl.kw(index) == "distinct" and tl.kw(index + 1) == "from":
            return index + 2, True
        if tl.kw(index) == "of" and tl.opens_group(index + 1):
            return tl.next(index + 1), False
        if tl.kw(index) in _IS_OPERANDS:
            return index + 1, False
    return index, False


def _is_prefix_operator(tl: TokenList, index: int) -> bool:
    token = tl.tokens[index]
    if token.kind is TokenKind.OP:
        return token.text != "*"
    return tl.keywords[index] == "not"


def scan_expression(tl: TokenList, start: int, end: int) -> tuple[int, str, int]:
    """Walk the expression at ``start`` (not beyond ``end``): return (index after it, the name
    PostgreSQL gives its result column, strength of that name: 2 strong, 1 weak, 0 none)."""
    name, strength = _UNNAMED, _STRENGTH_NONE
    index = start
    operators = 0
    only_time_zone = False
    while True:
        operand_start = index
        while index < end and _is_prefix_operator(tl, index):
            index += 1
        if index >= end:
            return operand_start, _UNNAMED, _STRENGTH_NONE
        after, operand_name, operand_strength = _primary(tl, index, end)
        if after == index:
            return operand_start, _UNNAMED, _STRENGTH_NONE
        after, operand_name, operand_strength = _postfix(
            tl, after, end, operand_name, operand_strength
        )
        if index == start:
            name, strength = operand_name, operand_strength
        index = after
        needs_operand = False
        while index < end:
            after, needs_operand = _binary_operator(tl, index, end)
            if after == index:
                break
            operators += 1
            only_time_zone = operators == 1 and tl.keywords[index] == "at"
            index = after
            if needs_operand:
                break
        if not needs_operand:
            break
    if operators == 0:
        return index, name, strength
    if only_time_zone:
        return index, "timezone", _STRENGTH_STRONG
    return index, _UNNAMED, _STRENGTH_NONE


def select_item(tl: TokenList, start: int, end: int) -> tuple[int, str, str | None]:
    """Analyse one select-list item: (end of its expression, column name, alias or None)."""
    expression_end, name, _ = scan_expression(tl, start, end)
    alias_index = -1
    if expression_end == end - 2 and tl.kw(expression_end) == "as":
        alias_index = end - 1
    elif expression_end == end - 1 and expression_end > start:
        token = tl.tokens[expression_end]
        if token.kind is TokenKind.QIDENT or (
            token.kind is TokenKind.IDENT and token.value not in NOT_BARE_LABEL
        ):
            alias_index = expression_end
    elif expression_end != end:
        expression_end, name = end, _UNNAMED
        if end - start > 2 and tl.kw(end - 2) == "as":
            expression_end, alias_index = end - 2, end - 1
    if alias_index >= 0 and tl.is_name(alias_index):
        alias = str(tl.tokens[alias_index].value)
        return expression_end, alias, alias
    return expression_end, name, None
