"""What `parse_sql` tells an application about one statement.

These are the objects a request handler receives (``query_tables(stmt_info)``,
``@stmt_handler("INSERT")``): plain frozen dataclasses, hashable, with tuples instead of lists so
nothing a handler holds can change under it.  Names are folded the way PostgreSQL folds them
(unquoted identifiers lower-cased, quoted ones kept), literals are converted to Python values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, TypeAlias

__all__ = [
    "Assignment",
    "ColumnRef",
    "Condition",
    "Expression",
    "OrderBy",
    "Parameter",
    "StatementInfo",
    "TableRef",
    "Value",
    "WhereClause",
]


@dataclass(frozen=True, slots=True)
class Parameter:
    """A ``$n`` placeholder used as a value.

    Attributes:
        number: n (1-based, as in Bind).
        cast: PostgreSQL's name of the type the parameter is explicitly cast to (``$1::int``
            gives ``"int4"``, ``$1::text[]`` gives ``"_text"``), or None.
    """

    number: int
    cast: str | None = None


@dataclass(frozen=True, slots=True)
class Expression:
    """A value the parser does not evaluate (``now()``, ``a + 1``, ``DEFAULT``), kept as the
    source text."""

    text: str


#: A value in VALUES rows, assignments, conditions, LIMIT/OFFSET: a literal converted to Python
#: (int, float, str, bool, None), a tuple of values (IN lists, BETWEEN bounds), a `Parameter`
#: or an `Expression`.
Value: TypeAlias = "int | float | str | bool | None | tuple[Value, ...] | Parameter | Expression"


@dataclass(frozen=True, slots=True)
class TableRef:
    """A table named by the statement (FROM/JOIN items, DML targets, COPY, DDL objects).

    Attributes:
        schema: the schema qualifier, or None when the name is unqualified.
        name: the table name.
        alias: the alias given in the statement (``FROM items i``), or None.
        catalog: the database qualifier of a three-part name (rare), or None.
    """

    schema: str | None
    name: str
    alias: str | None = None
    catalog: str | None = None


@dataclass(frozen=True, slots=True)
class ColumnRef:
    """One output column, target column or column definition.

    Attributes:
        expression: the expression's source text (``"t.id"``, ``"count(*)"``, ``"*"``); for
            CREATE TABLE, the definition after the column name (``"int NOT NULL"``).
        name: the column name PostgreSQL gives the result column: the alias if there is one,
            else the column, function or type name (``count(*)`` is ``"count"``,
            ``$1::int`` is ``"int4"``), else ``"?column?"``; ``"*"`` for star expansions.
        alias: the alias written in the statement (``AS x`` or a bare label), or None.
    """

    expression: str
    name: str
    alias: str | None = None


@dataclass(frozen=True, slots=True)
class Condition:
    """A simple comparison from a WHERE clause: ``column operator value``.

    Attributes:
        column: the column name.
        operator: ``=``, ``<>`` (also for ``!=``), ``<``, ``<=``, ``>``, ``>=``, ``LIKE``,
            ``NOT LIKE``, ``ILIKE``, ``NOT ILIKE``, ``IN``, ``NOT IN``, ``BETWEEN``,
            ``NOT BETWEEN``, ``IS`` or ``IS NOT``.  ``5 < x`` is reported as ``x > 5``.
        value: the compared `Value`; a tuple for IN and BETWEEN, None/True/False for IS.
        qualifier: the table or alias the column was qualified with (``t.id``), or None.
    """

    column: str
    operator: str
    value: Value
    qualifier: str | None = None


@dataclass(frozen=True, slots=True)
class WhereClause:
    """A WHERE clause.

    Attributes:
        text: the clause's source text, without the WHERE keyword.
        conditions: the clause's AND-ed terms that are simple `Condition` s, in order.
        complete: True when every AND-ed term is in ``conditions``, so that filtering rows by
            all of them is exactly the clause; False when some terms (ORs, function calls,
            subqueries ...) were left out.
    """

    text: str
    conditions: tuple[Condition, ...] = ()
    complete: bool = False


class OrderBy(NamedTuple):
    """One ORDER BY item: the expression's source text and whether it sorts ascending."""

    expression: str
    ascending: bool = True


@dataclass(frozen=True, slots=True)
class Assignment:
    """``column = value`` from UPDATE ... SET or INSERT ... ON CONFLICT DO UPDATE SET."""

    column: str
    value: Value


@dataclass(frozen=True, slots=True)
class StatementInfo:
    """Everything `parse_sql` found out about one statement.

    Statements the parser can classify but not analyse carry only ``sql``, ``stmt_type`` and
    ``params``; every other field then has its empty default.

    Attributes:
        sql: the statement text that was parsed.
        stmt_type: the upper-case command (``SELECT``, ``INSERT``, ``CREATE TABLE`` ...), see
            `parse_sql`; ``""`` for an empty statement.
        tables: tables referenced: the statement's own FROM/JOIN items and targets first, then
            those of subqueries and WITH queries, each group in order of appearance.  Names of
            WITH queries are not tables and are left out.
        columns: the select list (of the first branch of a UNION), the INSERT column list, the
            UPDATE SET targets, the COPY column list, or the CREATE TABLE column definitions.
        where: the WHERE clause of SELECT (not of a UNION), UPDATE and DELETE, or None.
        group_by: source texts of the GROUP BY items.
        order_by: the ORDER BY items.
        limit: LIMIT or FETCH FIRST count: int, `Parameter`, `Expression`; None without one or
            for ``LIMIT ALL``.
        offset: OFFSET count, like ``limit``.
        values: INSERT ... VALUES (or a VALUES statement): one tuple of `Value` per row.
        assignments: UPDATE SET (or ON CONFLICT DO UPDATE SET) assignments.
        returning: the RETURNING list of INSERT, UPDATE, DELETE and MERGE.
        params: the parameter numbers referenced anywhere, ascending.
        param_casts: ``(number, type name)`` for each parameter written with a cast, such as
            ``$1::int4``: the types a ParameterDescription can report.
    """

    sql: str
    stmt_type: str
    tables: tuple[TableRef, ...] = ()
    columns: tuple[ColumnRef, ...] = ()
    where: WhereClause | None = None
    group_by: tuple[str, ...] = ()
    order_by: tuple[OrderBy, ...] = ()
    limit: Value = None
    offset: Value = None
    values: tuple[tuple[Value, ...], ...] = ()
    assignments: tuple[Assignment, ...] = ()
    returning: tuple[ColumnRef, ...] = ()
    params: tuple[int, ...] = ()
    param_casts: tuple[tuple[int, str], ...] = ()
