"""Analyse queries: WITH, SELECT, VALUES, TABLE, set operations, FROM lists and the tail clauses.

A query (the SELECT command of the manual) is taken apart one nesting level at a time:
``[WITH ...] term {UNION|INTERSECT|EXCEPT term} [ORDER BY] [LIMIT] [OFFSET] [FETCH] [FOR ...]``
where a term is ``SELECT ...``, ``VALUES ...``, ``TABLE name`` or a parenthesized query.  The
clauses of a SELECT term are found by their keywords at the term's own nesting level, so
subqueries never confuse the outer statement; subqueries are analysed recursively, but only for
the tables they read.

Tables are collected into an `Analysis` with a nesting level, so that a statement's own FROM
items come before those of its subqueries and WITH queries (``stmt_info.tables[0]`` is the
table a simple handler wants).
"""

from __future__ import annotations

from dataclasses import dataclass

from .classify import with_clause
from .conditions import where_clause
from .errors import SqlSyntaxError
from .expressions import NOT_BARE_LABEL, QUERY_START, SELECT_LIST_END, clause_start, select_item
from .lexer import TokenKind
from .literals import value_of
from .statement_info import ColumnRef, OrderBy, TableRef, Value, WhereClause
from .token_list import TokenList

__all__ = ["Analysis", "QueryParts", "alias_at", "from_list", "nested", "query", "table_name"]

_SET_OPERATIONS = frozenset({"union", "intersect", "except"})
_TAIL = frozenset({"order", "limit", "offset", "fetch", "for"})
_SELECT_CLAUSES = frozenset({"into", "from", "where", "group", "having", "window"})
_JOIN_WORDS = frozenset({"natural", "left", "right", "full", "inner", "outer", "cross", "join"})
_JOIN_BOUNDARY = _JOIN_WORDS - {"outer"}
_NOT_TABLE_ALIAS = NOT_BARE_LABEL | {"set", "tablesample", "when"}


class Analysis:
    """Accumulates the tables of one statement with their nesting level."""

    __slots__ = ("_tables", "cte_names", "tl")

    def __init__(self, tl: TokenList) -> None:
        self.tl = tl
        self.cte_names: set[str] = set()
        self._tables: list[tuple[int, int, TableRef]] = []

    def add_table(self, level: int, table: TableRef) -> None:
        """Record a table read or written at nesting ``level`` (WITH names are skipped)."""
        if table.schema is None and table.name in self.cte_names:
            return
        self._tables.append((level, len(self._tables), table))

    def tables(self) -> tuple[TableRef, ...]:
        """The tables, outer levels first, each level in order of appearance."""
        return tuple(table for _, _, table in sorted(self._tables, key=lambda t: t[:2]))


@dataclass
class QueryParts:
    """What a query contributes to `StatementInfo` besides its tables."""

    columns: tuple[ColumnRef, ...] = ()
    where: WhereClause | None = None
    group_by: tuple[str, ...] = ()
    order_by: tuple[OrderBy, ...] = ()
    limit: Value = None
    offset: Value = None
    values: tuple[tuple[Value, ...], ...] = ()


def table_name(tl: TokenList, start: int, end: int) -> tuple[int, TableRef | None]:
    """Parse a (qualified) name at ``start``: (index after it, the `TableRef` without alias)."""
    if not tl.is_name(start):
        return start, None
    parts = [str(tl.tokens[start].value)]
    index = start + 1
    while index + 1 < end and tl.is_punct(index, ".") and tl.is_name(index + 1):
        parts.append(str(tl.tokens[index + 1].value))
        index += 2
    if len(parts) == 1:
        return index, TableRef(None, parts[0])
    if len(parts) == 2:
        return index, TableRef(parts[0], parts[1])
    return index, TableRef(parts[-2], parts[-1], catalog=parts[-3])


def alias_at(tl: TokenList, index: int, end: int) -> tuple[int, str | None]:
    """Parse ``[AS] alias [(column aliases)]`` at ``index``: (index after it, alias or None)."""
    explicit = tl.kw(index) == "as"
    candidate = index + explicit
    if candidate >= end or not tl.is_name(candidate):
        return index, None
    token = tl.tokens[candidate]
    if not explicit and token.kind is TokenKind.IDENT and token.value in _NOT_TABLE_ALIAS:
        return index, None
    index = candidate + 1
    if index < end and tl.opens_group(index):
        index = tl.next(index)
    return index, str(token.value)


def nested(an: Analysis, start: int, end: int, level: int) -> None:
    """Find the subqueries in ``[start, end)`` and collect their tables at ``level + 1``."""
    tl = an.tl
    tokens = tl.tokens
    partner = tl.partner
    stack = [(start, end)]
    while stack:
        index, stop = stack.pop()
        while index < stop:
            token = tokens[index]
            if token.kind is TokenKind.PUNCT and token.text == "(":
                close = partner[index]
                if tl.kw(index + 1) in QUERY_START:
                    query(an, index + 1, close, level + 1)
                else:
                    stack.append((index + 1, close))
                index = close + 1
            else:
                index += 1


def _order_items(tl: TokenList, start: int, end: int) -> tuple[OrderBy, ...]:
    items = []
    for item_start, item_end in tl.split(start, end):
        stop = item_end
        if tl.kw(stop - 2) == "nulls" and tl.kw(stop - 1) in ("first", "last"):
            stop -= 2
        ascending = True
        if tl.kw(stop - 1) in ("asc", "desc"):
            ascending = tl.kw(stop - 1) == "asc"
            stop -= 1
        elif tl.kw(stop - 2) == "using":
            ascending = not tl.tokens[stop - 1].text.startswith(">")
            stop -= 2
        items.append(OrderBy(tl.text(item_start, stop), ascending))
    return tuple(items)


def _count(tl: TokenList, start: int, end: int) -> Value:
    """A LIMIT/OFFSET/FETCH count: ALL and NULL mean no limit."""
    if end - start == 1 and tl.kw(start) in ("all", "null"):
        return None
    return value_of(tl, start, end)


def _tail(tl: TokenList, start: int, end: int, parts: QueryParts) -> None:
    """ORDER BY, LIMIT, OFFSET and FETCH after the last term of a query."""
    index = start
    while index < end:
        kw = tl.keywords[index]
        clause_end = tl.find(index + 1, end, _TAIL)
        if kw == "order" and tl.kw(index + 1) == "by":
            parts.order_by = _order_items(tl, index + 2, clause_end)
        elif kw == "limit":
            if len(tl.split(index + 1, clause_end)) > 1:
                position = tl.tokens[index].start + 1
                raise SqlSyntaxError("LIMIT #,# syntax is not supported", position)
            parts.limit = _count(tl, index + 1, clause_end)
        elif kw == "offset":
            stop = clause_end - (tl.kw(clause_end - 1) in ("row", "rows"))
            parts.offset = _count(tl, index + 1, stop)
        elif kw == "fetch" and tl.kw(index + 1) in ("first", "next"):
            stop = tl.find(index + 2, clause_end, ("row", "rows"))
            parts.limit = 1 if stop == index + 2 else _count(tl, index + 2, stop)
        index = clause_end


def _values_rows(an: Analysis, start: int, end: int, level: int) -> tuple[tuple[Value, ...], ...]:
    """The rows of ``VALUES (...), (...)`` starting after the VALUES keyword."""
    tl = an.tl
    rows = []
    index = start
    while index < end and tl.opens_group(index):
        close = tl.partner[index]
        rows.append(tuple(value_of(tl, *item) for item in tl.split(index + 1, close)))
        nested(an, index + 1, close, level)
        index = close + 1
        if not tl.is_punct(index, ","):
            break
        index += 1
    return tuple(rows)


def _select(an: Analysis, start: int, end: int, level: int) -> QueryParts:
    """A SELECT term: ``start`` is the SELECT keyword."""
    tl = an.tl
    index = start + 1
    if tl.kw(index) == "all":
        index += 1
    elif tl.kw(index) == "distinct":
        index += 1
        if tl.kw(index) == "on" and tl.opens_group(index + 1):
            index = tl.next(index + 1)
    list_end = clause_start(tl, index, end, SELECT_LIST_END)
    columns = []
    for item_start, item_end in tl.split(index, list_end):
        expression_end, name, alias = select_item(tl, item_start, item_end)
        columns.append(ColumnRef(tl.text(item_start, expression_end), name, alias))
    nested(an, index, list_end, level)
    parts = QueryParts(columns=tuple(columns))
    index = list_end
    while index < end:
        kw = tl.keywords[index]
        clause_end = clause_start(tl, index + 1, end, _SELECT_CLAUSES, in_from=kw == "from")
        if kw == "from":
            from_list(an, index + 1, clause_end, level)
        elif kw == "into":
            _into(an, index + 1, clause_end, level)
        elif kw == "where":
            parts.where = where_clause(tl, index + 1, clause_end)
            nested(an, index + 1, clause_end, level)
        elif kw == "group" and tl.kw(index + 1) == "by":
            first = index + 2 + (tl.kw(index + 2) in ("all", "distinct"))
            parts.group_by = tuple(tl.text(*item) for item in tl.split(first, clause_end))
            nested(an, first, clause_end, level)
        else:
            nested(an, index + 1, clause_end, level)
        index = clause_end
    return parts


def _into(an: Analysis, start: int, end: int, level: int) -> None:
    """``INTO [TEMP|TEMPORARY|UNLOGGED] [TABLE] name`` of SELECT INTO."""
    tl = an.tl
    while tl.kw(start) in ("temp", "temporary", "unlogged", "local", "global", "table"):
        start += 1
    _, table = table_name(tl, start, end)
    if table is not None:
        an.add_table(level, table)


def _term(an: Analysis, start: int, end: int, level: int) -> QueryParts:
    tl = an.tl
    kw = tl.kw(start)
    if kw == "select":
        return _select(an, start, end, level)
    if kw == "values":
        rows = _values_rows(an, start + 1, end, level)
        width = len(rows[0]) if rows else 0
        names = tuple(ColumnRef(f"column{n}", f"column{n}") for n in range(1, width + 1))
        return QueryParts(columns=names, values=rows)
    if kw == "table":
        index = start + 1 + (tl.kw(start + 1) == "only")
        _, table = table_name(tl, index, end)
        if table is not None:
            an.add_table(level, table)
        return QueryParts(columns=(ColumnRef("*", "*"),))
    if tl.opens_group(start) and tl.partner[start] == end - 1:
        return query(an, start + 1, end - 1, level)
    nested(an, start, end, level)
    return QueryParts()


def query(an: Analysis, start: int, end: int, level: int) -> QueryParts:
    """Analyse the query in ``[start, end)``, collecting its tables at ``level``."""
    tl = an.tl
    if tl.kw(start) == "with":
        main, ctes = with_clause(tl, start, end)
        an.cte_names.update(cte.name for cte in ctes)
        for cte in ctes:
            query(an, cte.body_start, cte.body_end, level + 1)
        start = main
    terms = []
    term_start = start
    tail = end
    index = start
    while index < end:
        kw = tl.keywords[index]
        if kw in _SET_OPERATIONS:
            terms.append((term_start, index))
            index += 1 + (tl.kw(index + 1) in ("all", "distinct"))
            term_start = index
            continue
        if kw in _TAIL:
            tail = index
            break
        index = tl.next(index)
    terms.append((term_start, tail))
    parts = _term(an, *terms[0], level)
    for term in terms[1:]:
        _term(an, *term, level)
    if len(terms) > 1:
        parts = QueryParts(columns=parts.columns)
    _tail(tl, tail, end, parts)
    return parts


def _join_condition_end(tl: TokenList, start: int, end: int) -> int:
    """End of an ON condition: the next join keyword or comma on the same level."""
    index = start
    while index < end:
        if tl.keywords[index] in _JOIN_BOUNDARY or tl.is_punct(index, ","):
            return index
        index = tl.next(index)
    return end


def _table_ref(an: Analysis, index: int, end: int, level: int) -> int:
    """One FROM item at ``index`` (a table, subquery, function or parenthesized join)."""
    tl = an.tl
    if tl.opens_group(index):
        close = tl.partner[index]
        if tl.kw(index + 1) in QUERY_START or (
            tl.opens_group(index + 1) and tl.kw(index + 2) in QUERY_START
        ):
            query(an, index + 1, close, level + 1)
        else:
            from_list(an, index + 1, close, level)
        return alias_at(tl, close + 1, end)[0]
    if tl.kw(index) == "rows" and tl.kw(index + 1) == "from" and tl.opens_group(index + 2):
        nested(an, index + 3, tl.partner[index + 2], level)
        index = tl.next(index + 2)
        if tl.kw(index) == "with" and tl.kw(index + 1) == "ordinality":
            index += 2
        return alias_at(tl, index, end)[0]
    name_end, table = table_name(tl, index, end)
    if table is None:
        return index + 1
    if tl.opens_group(name_end):  # a function in FROM
        nested(an, name_end + 1, tl.partner[name_end], level)
        index = tl.next(name_end)
        if tl.kw(index) == "with" and tl.kw(index + 1) == "ordinality":
            index += 2
        return alias_at(tl, index, end)[0]
    index = name_end + tl.is_op(name_end, "*")
    index, alias = alias_at(tl, index, end)
    an.add_table(level, TableRef(table.schema, table.name, alias, table.catalog))
    if tl.kw(index) == "tablesample":
        index = tl.next(index + 2) if tl.opens_group(index + 2) else index + 2
        if tl.kw(index) == "repeatable":
            index = tl.next(index + 1)
    return index


def from_list(an: Analysis, start: int, end: int, level: int) -> None:
    """The FROM items in ``[start, end)`` with their joins."""
    tl = an.tl
    index = start
    while index < end:
        kw = tl.keywords[index]
        if kw in _JOIN_WORDS or kw in ("lateral", "only") or tl.is_punct(index, ","):
            index += 1
        elif kw == "on":
            condition_end = _join_condition_end(tl, index + 1, end)
            nested(an, index + 1, condition_end, level)
            index = condition_end
        elif kw == "using" and tl.opens_group(index + 1):
            index = alias_at(tl, tl.next(index + 1), end)[0]
        else:
            index = _table_ref(an, index, end, level)
