"""The relations an application view's SQL reads, and that SQL with those names qualified.

PostgreSQL stores a view as a parsed query, so ``pg_get_viewdef`` prints every relation name
as it resolves on the caller's search path (schema-qualified when not visible: pg_dump sets
an empty search path and gets ``FROM public.books``), and ``pg_depend`` records that the view's
``_RETURN`` rule depends on each relation it reads (pg_dump orders a dump by these
dependencies).  An application gives a view as SQL text written for the default search path;
this module finds the relations in that text (sqlglot, PostgreSQL dialect) and rewrites it
with names qualified where the caller needs it.  Names of the query's own CTEs are not
relations.  Text sqlglot cannot parse is left as it is and reads nothing.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

#: (schema or None, relation name) -> schema to write, or None to keep the name as it is.
Qualifier = Callable[[str | None, str], str | None]


def _parse(definition: str) -> exp.Expr | None:
    try:
        tree = sqlglot.parse_one(definition.strip().rstrip(";"), read="postgres")
    except SqlglotError:
        return None
    return tree


def _relation_tables(tree: exp.Expr) -> list[exp.Table]:
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return [
        table
        for table in tree.find_all(exp.Table)
        if table.name and not (not table.db and table.name in ctes)
    ]


def referenced_relations(definition: str) -> list[tuple[str | None, str]]:
    """(schema or None, name) of every relation ``definition`` reads, in order, once each."""
    tree = _parse(definition)
    if tree is None:
        return []
    found: list[tuple[str | None, str]] = []
    for table in _relation_tables(tree):
        key = (table.db or None, table.name)
        if key not in found:
            found.append(key)
    return found


def qualified_definition(definition: str, qualifier: Qualifier) -> str:
    """``definition`` with each relation name the ``qualifier`` gives a schema for written as
    ``schema.name``; unchanged (same text) when no name needs it."""
    tree = _parse(definition)
    if tree is None:
        return definition
    changed = False
    for table in _relation_tables(tree):
        schema = qualifier(table.db or None, table.name)
        if schema is not None and not table.db:
            table.set("db", exp.to_identifier(schema))
            changed = True
    if not changed:
        return definition
    return tree.sql(dialect="postgres") + ";"
