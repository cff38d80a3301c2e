"""Analyse the commands around queries: INSERT, UPDATE, DELETE, MERGE, COPY, DDL and wrappers.

Each analyser takes the statement's tokens from its command keyword on and fills the fields of
`StatementInfo` that make sense for it (see that class).  Commands that only wrap another
statement (EXPLAIN, PREPARE ... AS, DECLARE ... FOR, CREATE VIEW ... AS) report the tables of
the wrapped statement.  Statement types without an analyser get no details.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .classify import classify_at, with_clause
from .conditions import where_clause
from .expressions import QUERY_START, clause_start, select_item
from .literals import value_of
from .queries import Analysis, alias_at, from_list, nested, query, table_name
from .statement_info import Assignment, ColumnRef, Expression, TableRef, Value
from .token_list import TokenList

__all__ = ["analyze"]

Details = dict[str, Any]
Analyser = Callable[[Analysis, int, int, Details], None]
# Words that start a table constraint (or LIKE) instead of a column in CREATE TABLE (...).
_NOT_COLUMNS = frozenset({"constraint", "primary", "unique", "check", "foreign", "exclude", "like"})
# Words before the names of DROP TABLE, TRUNCATE, LOCK, VACUUM, ANALYZE.
_LIST_NOISE = frozenset(
    {"table", "only", "if", "exists", "full", "freeze", "verbose", "analyze", "analyse"}
)


def _returning(an: Analysis, start: int, end: int, details: Details) -> None:
    tl = an.tl
    items = []
    for item_start, item_end in tl.split(start, end):
        expression_end, name, alias = select_item(tl, item_start, item_end)
        items.append(ColumnRef(tl.text(item_start, expression_end), name, alias))
    nested(an, start, end, 0)
    details["returning"] = tuple(items)


def _target(an: Analysis, index: int, end: int) -> int:
    """``[ONLY] name [*] [[AS] alias]``: record the target table, return the index after it."""
    tl = an.tl
    if tl.kw(index) == "only":
        index += 1
    name_end, table = table_name(tl, index, end)
    if table is None:
        return index
    index = name_end + tl.is_op(name_end, "*")
    index, alias = alias_at(tl, index, end)
    an.add_table(0, TableRef(table.schema, table.name, alias, table.catalog))
    return index


def _assignments(an: Analysis, start: int, end: int) -> tuple[Assignment, ...]:
    """``col = value, (a, b) = (1, 2), ...`` of a SET list."""
    tl = an.tl
    result: list[Assignment] = []
    for item_start, item_end in tl.split(start, end):
        equals = item_start
        while equals < item_end and not tl.is_op(equals, "="):
            equals = tl.next(equals)
        if equals >= item_end:
            continue
        if tl.opens_group(item_start):
            names = [
                str(tl.tokens[s].value)
                for s, _ in tl.split(item_start + 1, tl.partner[item_start])
                if tl.is_name(s)
            ]
            source = equals + 1 + (tl.kw(equals + 1) == "row")
            values: list[Value]
            if tl.opens_group(source) and tl.partner[source] == item_end - 1:
                values = [value_of(tl, *v) for v in tl.split(source + 1, item_end - 1)]
            else:
                values = []
            if len(values) != len(names):
                values = [Expression(tl.text(equals + 1, item_end))] * len(names)
            result.extend(Assignment(n, v) for n, v in zip(names, values, strict=True))
        elif tl.is_name(item_start):
            column = str(tl.tokens[item_start].value)
            result.append(Assignment(column, value_of(tl, equals + 1, item_end)))
        nested(an, equals + 1, item_end, 0)
    return tuple(result)


def _insert(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index += 1
    if tl.kw(index) != "into":
        return
    name_end, table = table_name(tl, index + 1, end)
    if table is None:
        return
    index, alias = name_end, None
    if tl.kw(index) == "as" and tl.is_name(index + 1):
        alias, index = str(tl.tokens[index + 1].value), index + 2
    an.add_table(0, TableRef(table.schema, table.name, alias, table.catalog))
    if tl.opens_group(index) and tl.kw(index + 1) not in QUERY_START:
        close = tl.partner[index]
        details["columns"] = tuple(
            ColumnRef(tl.text(s, e), str(tl.tokens[s].value))
            for s, e in tl.split(index + 1, close)
            if tl.is_name(s)
        )
        index = close + 1
    if tl.kw(index) == "overriding":
        index += 3
    returning = tl.find(index, end, ("returning",))
    conflict = index
    while True:
        conflict = tl.find(conflict, returning, ("on",))
        if conflict >= returning or tl.kw(conflict + 1) == "conflict":
            break
        conflict += 1
    if tl.kw(index) in QUERY_START or tl.opens_group(index):
        details["values"] = query(an, index, conflict, 0).values
    if conflict < returning:
        set_index = tl.find(conflict, returning, ("set",))
        if set_index < returning:
            where = tl.find(set_index, returning, ("where",))
            details["assignments"] = _assignments(an, set_index + 1, where)
            nested(an, where, returning, 0)
    if returning < end:
        _returning(an, returning + 1, end, details)


def _update(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index = _target(an, index + 1, end)
    if tl.kw(index) != "set":
        return
    clauses = frozenset({"from", "where", "returning"})
    set_end = clause_start(tl, index + 1, end, clauses)
    assignments = _assignments(an, index + 1, set_end)
    details["assignments"] = assignments
    details["columns"] = tuple(ColumnRef(a.column, a.column) for a in assignments)
    _dml_clauses(an, set_end, end, details, clauses)


def _dml_clauses(
    an: Analysis, index: int, end: int, details: Details, clauses: frozenset[str]
) -> None:
    """The FROM/USING, WHERE and RETURNING clauses of UPDATE and DELETE."""
    tl = an.tl
    while index < end:
        kw = tl.keywords[index]
        clause_end = clause_start(tl, index + 1, end, clauses)
        if kw in ("from", "using"):
            from_list(an, index + 1, clause_end, 0)
        elif kw == "where":
            details["where"] = where_clause(tl, index + 1, clause_end)
            nested(an, index + 1, clause_end, 0)
        elif kw == "returning":
            _returning(an, index + 1, clause_end, details)
        index = clause_end


def _delete(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    if tl.kw(index + 1) != "from":
        return
    index = _target(an, index + 2, end)
    _dml_clauses(an, index, end, details, frozenset({"using", "where", "returning"}))


def _merge(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    if tl.kw(index + 1) != "into":
        return
    index = _target(an, index + 2, end)
    if tl.kw(index) == "using":
        on = tl.find(index + 1, end, ("on",))
        from_list(an, index + 1, on, 0)
        index = on
    returning = tl.find(index, end, ("returning",))
    nested(an, index, returning, 0)
    if returning < end:
        _returning(an, returning + 1, end, details)


def _copy(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index += 1 + (tl.kw(index + 1) == "binary")
    if tl.opens_group(index):
        query(an, index + 1, tl.partner[index], 0)
        return
    name_end, table = table_name(tl, index, end)
    if table is None:
        return
    an.add_table(0, table)
    if tl.opens_group(name_end):
        details["columns"] = tuple(
            ColumnRef(tl.text(s, e), str(tl.tokens[s].value))
            for s, e in tl.split(name_end + 1, tl.partner[name_end])
            if tl.is_name(s)
        )


def _object_name_after(tl: TokenList, index: int, end: int, word: str) -> int:
    """Index just after the first ``word`` at this level (``end`` if missing)."""
    found = tl.find(index, end, (word,))
    return found + 1 if found < end else end


def _skip_if_exists(tl: TokenList, index: int) -> int:
    if tl.kw(index) == "if" and tl.kw(index + 1) == "not" and tl.kw(index + 2) == "exists":
        return index + 3
    if tl.kw(index) == "if" and tl.kw(index + 1) == "exists":
        return index + 2
    return index


def _create_table(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index = _skip_if_exists(tl, _object_name_after(tl, index, end, "table"))
    name_end, table = table_name(tl, index, end)
    if table is None:
        return
    an.add_table(0, table)
    if tl.opens_group(name_end):
        columns = []
        for start, stop in tl.split(name_end + 1, tl.partner[name_end]):
            if tl.is_name(start) and tl.kw(start) not in _NOT_COLUMNS:
                columns.append(ColumnRef(tl.text(start + 1, stop), str(tl.tokens[start].value)))
        details["columns"] = tuple(columns)
    as_index = tl.find(name_end, end, ("as",))
    if as_index < end:
        query(an, as_index + 1, end, 0)


def _list_command(stop_words: frozenset[str]) -> Analyser:
    """Analyser for ``<command> [(options)] [noise] name [, ...] [<stop word> ...]`` (DROP
    TABLE, TRUNCATE, LOCK, VACUUM, ANALYZE)."""

    def analyser(an: Analysis, index: int, end: int, details: Details) -> None:
        tl = an.tl
        index += 1
        if tl.opens_group(index):  # VACUUM (options) / ANALYZE (options)
            index = tl.next(index)
        for start, stop in tl.split(index, tl.find(index, end, stop_words)):
            while tl.kw(start) in _LIST_NOISE:
                start += 1
            _, table = table_name(tl, start, stop)
            if table is not None:
                an.add_table(0, table)

    return analyser


def _alter_table(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index = _skip_if_exists(tl, _object_name_after(tl, index, end, "table"))
    if tl.kw(index) == "only":
        index += 1
    _, table = table_name(tl, index, end)
    if table is not None:
        an.add_table(0, table)


def _create_index(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index = _object_name_after(tl, index, end, "on")
    if tl.kw(index) == "only":
        index += 1
    _, table = table_name(tl, index, end)
    if table is not None:
        an.add_table(0, table)


def _create_view(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index = _skip_if_exists(tl, _object_name_after(tl, index, end, "view"))
    _, view = table_name(tl, index, end)
    if view is not None:
        an.add_table(0, view)
    as_index = tl.find(index, end, ("as",))
    if as_index < end:
        query(an, as_index + 1, end, 1)


def _explain(an: Analysis, index: int, end: int, details: Details) -> None:
    tl = an.tl
    index += 1
    if tl.opens_group(index):
        index = tl.next(index)
    while tl.kw(index) in ("analyze", "analyse", "verbose"):
        index += 1
    if index < end:
        _statement(an, index, end, {}, _EXPLAINABLE)


def _prepare(an: Analysis, index: int, end: int, details: Details) -> None:
    as_index = an.tl.find(index, end, ("as",))
    if as_index + 1 < end:
        _statement(an, as_index + 1, end, {}, _PREPARABLE)


def _declare(an: Analysis, index: int, end: int, details: Details) -> None:
    found = an.tl.find(index, end, ("for",))
    if found + 1 < end:
        query(an, found + 1, end, 0)


def _query(an: Analysis, index: int, end: int, details: Details) -> None:
    parts = query(an, index, end, 0)
    details.update(
        columns=parts.columns,
        where=parts.where,
        group_by=parts.group_by,
        order_by=parts.order_by,
        limit=parts.limit,
        offset=parts.offset,
        values=parts.values,
    )


_QUERY_TYPES = frozenset({"SELECT", "SELECT INTO", "VALUES"})
_ANALYSERS: dict[str, Analyser] = {
    "SELECT": _query,
    "SELECT INTO": _query,
    "VALUES": _query,
    "INSERT": _insert,
    "UPDATE": _update,
    "DELETE": _delete,
    "MERGE": _merge,
    "COPY": _copy,
    "CREATE TABLE": _create_table,
    "CREATE TABLE AS": _create_table,
    "DROP TABLE": _list_command(frozenset({"cascade", "restrict"})),
    "ALTER TABLE": _alter_table,
    "CREATE INDEX": _create_index,
    "CREATE VIEW": _create_view,
    "CREATE MATERIALIZED VIEW": _create_view,
    "DECLARE CURSOR": _declare,
    "TRUNCATE": _list_command(frozenset({"restart", "continue", "cascade", "restrict"})),
    "LOCK TABLE": _list_command(frozenset({"in", "nowait"})),
    "VACUUM": _list_command(frozenset()),
    "ANALYZE": _list_command(frozenset()),
    "EXPLAIN": _explain,
    "PREPARE": _prepare,
}


# The statements PREPARE and EXPLAIN can wrap (PostgreSQL accepts no others).
_PREPARABLE = frozenset({"SELECT", "SELECT INTO", "VALUES", "INSERT", "UPDATE", "DELETE", "MERGE"})
_EXPLAINABLE = _PREPARABLE | {"CREATE TABLE AS", "CREATE MATERIALIZED VIEW", "DECLARE CURSOR"}


def _statement(
    an: Analysis, start: int, end: int, details: Details, allowed: frozenset[str] | None = None
) -> None:
    """Classify and analyse the statement in ``[start, end)`` if its type is ``allowed``."""
    tl = an.tl
    stmt_type, main = classify_at(tl, start, end)
    analyser = _ANALYSERS.get(stmt_type)
    if analyser is None or (allowed is not None and stmt_type not in allowed):
        return
    if stmt_type in _QUERY_TYPES:
        main = start  # the query analyser reads WITH and parentheses itself
    elif main > start:  # WITH ... INSERT/UPDATE/DELETE/MERGE
        _, ctes = with_clause(tl, start, end)
        an.cte_names.update(cte.name for cte in ctes)
        for cte in ctes:
            query(an, cte.body_start, cte.body_end, 1)
    analyser(an, main, end, details)


def analyze(tl: TokenList) -> tuple[Details, tuple[TableRef, ...]]:
    """Analyse a whole statement: return the `StatementInfo` fields found and the tables."""
    an = Analysis(tl)
    details: Details = {}
    end = len(tl.tokens)
    while end > 0 and tl.is_punct(end - 1, ";"):
        end -= 1
    _statement(an, 0, end, details)
    return details, an.tables()
