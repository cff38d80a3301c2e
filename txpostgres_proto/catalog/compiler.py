"""Compile a client's PostgreSQL query into SQLite SQL over the emulated catalogs.

Input is the sqlglot tree of one query (parsed by ``dialect.py``); output is a
:class:`Compiled`: SQLite SQL text, the result columns exactly as PostgreSQL would describe
them (names by the rules of ``FigureColname`` in parse_target.c, type OIDs and typmods by
PostgreSQL's type resolution), the inferred type of every ``$n`` parameter, and which
session-dependent relations the query reads.

Why a hand-written compiler rather than ``sqlglot.transpile(..., write="sqlite")``: the
translation depends on PostgreSQL types (``x::text`` must print ``true`` for a boolean, a name
for a ``regclass``, ``{a,b}`` for an array; ``||`` concatenates arrays; a string literal
compared with an OID column is an OID; ``$1`` compared with ``pg_type.oid`` is an OID), and
the result types must be tracked anyway for RowDescription.  So one recursive pass over the
tree resolves names through scopes, infers types and renders SQLite text.  sqlglot supplies
the parser only.  This module compiles queries (WITH, set operations, SELECT, FROM items);
``expressions.py`` compiles expressions and ``scopes.py`` holds the name-resolution model.

Why SQLite at all rather than evaluating the catalog queries in Python: catalog queries are
real SQL (outer joins, correlated and recursive subqueries, window functions, GROUP BY), and
SQLite runs them correctly and fast (psql's ``\\d`` queries take well under a millisecond
after the first compile), so only the PostgreSQL-specific parts need translating.

PostgreSQL features without an SQLite counterpart and how they are rendered:

* the application's sequences (``FROM public.items_id_seq``; ``pg_sequences``,
  ``pg_sequence_last_value``) read the state table of ``sequences.py``, and the query records
  which sequences it reads so that the caller can supply their states;
* arrays are JSON text (``store.py``); ``ARRAY[...]``, ``ARRAY(SELECT ...)``, subscripts,
  ``= ANY(array)`` and ``array_agg`` go through ``json_each`` and ``pgf_*`` functions;
* set-returning functions in FROM (``unnest``, ``generate_series``, ``_pg_expandarray`` ...)
  become correlated ``json_each(...)`` table-valued calls; in the select list they run in
  lockstep (PostgreSQL 10+ semantics) by joining ``json_each`` over the row numbers 1..n;
* ``LATERAL (SELECT expr ...)`` without FROM is inlined into the referencing expressions;
* casts to ``reg*`` types look names up at run time (``pgf_reg_in``), casts from them print
  names (``pgf_reg_out``); regular expressions (``~``, ``OPERATOR(pg_catalog.~)``) use
  Python's ``re`` via ``pgf_regex``;
* ``LIKE`` is case-sensitive (``PRAGMA case_sensitive_like``) with backslash escapes;
* ``ORDER BY`` gets explicit ``NULLS FIRST/LAST`` (PostgreSQL sorts NULLs as largest);
* columns named alike (``SELECT 1, 2`` has two ``?column?``; ``"A"`` and ``a``) get distinct
  SQLite names (``scopes.keyed``): SQLite finds a subquery's column by its name, ignoring
  case, so the outer query would read the first one twice;
* aggregates with ``ORDER BY`` in the call use ``pgf_*`` aggregates that sort themselves
  (SQLite 3.40 has no ordered-set arguments).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Final

from sqlglot import exp

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.builtin import RelationDef, load
from txpostgres_proto.catalog.expressions import ExpressionCompiler
from txpostgres_proto.catalog.functions import SET_RETURNING, TABLE_FUNCTIONS, first_known
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.catalog.scopes import (
    Compiled,
    OutColumn,
    Scope,
    Source,
    SourceColumn,
    call_args,
    function_name,
    ident,
    keyed,
    param_number,
    quote,
    unwrap,
    walk_expressions,
)
from txpostgres_proto.catalog.sequences import SequenceInfo, relation_def, relation_sql
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

#: Relations whose rows depend on the session; the engine refreshes them before a query.
DYNAMIC_RELATIONS: Final = frozenset({"pg_settings", "pg_stat_activity"})
#: One output column of a select list that is a bare parameter or integer literal, as
#: `Compiler.select` renders it (at most 18 digits: SQLite reads longer literals as REAL).
_CONSTANT_ITEM: Final = re.compile(r'(?::(p\d+)|(\d{1,18})) AS "(?:[^"]|"")*"')


class Compiler(ExpressionCompiler):
    """Compiles one statement; create a new instance per statement.  ``sequences`` are the
    application's sequences by (schema, name): relations a query may read besides the
    catalogs; None when the caller supplies no sequence states (then there is no
    ``pg_sequence_last_value``)."""

    def __init__(self, sequences: Mapping[tuple[str, str], SequenceInfo] | None = None) -> None:
        super().__init__()
        self.relations: dict[tuple[str, str], RelationDef] = load().relations
        self.dynamic: set[str] = set()
        self.reads_sequences = sequences is not None
        self.sequences: Mapping[tuple[str, str], SequenceInfo] = sequences or {}
        self.sequences_read: set[SequenceInfo] = set()

    # -- entry point -------------------------------------------------------------------

    def compile(self, tree: exp.Expr) -> Compiled:
        if not isinstance(tree, exp.Select | exp.SetOperation | exp.Subquery | exp.Values):
            raise PostgresError("only queries can run against the catalog", "0A000")
        sql, columns = self.query(tree, None)
        count = max(self.params, default=0)
        param_types = tuple(self.params.get(n, t.UNKNOWN) for n in range(1, count + 1))
        param_types = tuple(t.TEXT if ty.oid == oids.UNKNOWN else ty for ty in param_types)
        out = tuple(OutColumn(c.name, t.output_type(c.ty), c.table_oid, c.attnum) for c in columns)
        return Compiled(
            sql, out, param_types, frozenset(self.dynamic), frozenset(self.sequences_read)
        )

    # -- queries -----------------------------------------------------------------------

    def query(
        self, node: exp.Expr, parent: Scope | None, names: list[str] | None = None
    ) -> tuple[str, list[OutColumn]]:
        """Compile a query expression; ``names`` renames its output columns."""
        with_ = node.args.get("with") or node.args.get("with_")
        prefix = ""
        if with_ is not None:
            parent, prefix = self._with(with_, parent)
        if isinstance(node, exp.Subquery):
            sql, columns = self.query(node.this, parent, names)
            sql = self._modifiers(node, sql, columns, parent)
        elif isinstance(node, exp.SetOperation):
            sql, columns = self._set_operation(node, parent, names)
        elif isinstance(node, exp.Select):
            sql, columns = self.select(node, parent, names)
        elif isinstance(node, exp.Values):
            sql, columns = self._values(node, parent, names)
        else:
            raise PostgresError(f"unsupported query form {node.key}", "0A000")
        return prefix + sql, columns

    def _with(self, with_: exp.With, parent: Scope | None) -> tuple[Scope, str]:
        scope = Scope(parent)
        parts = []
        for cte in with_.expressions:
            name = ident(cte.alias)
            alias_columns = [ident(column) for column in cte.args["alias"].columns or []]
            body = cte.this
            if with_.args.get("recursive") and isinstance(body, exp.Union):
                _, anchor = self.query(body.left, scope, alias_columns or None)
                scope.ctes[name] = keyed(self._rename(anchor, alias_columns))
            sql, columns = self.query(body, scope, alias_columns or None)
            columns = keyed(self._rename(columns, alias_columns))
            scope.ctes[name] = columns
            column_list = "(" + ", ".join(c.sql_name for c in columns) + ")"
            parts.append(f"{quote(name)}{column_list} AS ({sql})")
        keyword = "WITH RECURSIVE " if with_.args.get("recursive") else "WITH "
        return scope, keyword + ", ".join(parts) + " "

    @staticmethod
    def _rename(columns: list[OutColumn], names: list[str]) -> list[OutColumn]:
        """Apply a column alias list (``AS t(a, b)``) to the first columns (their SQL names
        are to be made again: `keyed`)."""
        new = Compiler._rename_names([c.name for c in columns], names)
        return [
            OutColumn(name, c.ty, c.table_oid, c.attnum)
            for name, c in zip(new, columns, strict=True)
        ]

    def _set_operation(
        self, node: exp.SetOperation, parent: Scope | None, names: list[str] | None
    ) -> tuple[str, list[OutColumn]]:
        left_sql, left = self.query(node.left, parent, names)
        right_sql, right = self.query(node.right, parent)
        if len(left) != len(right):
            raise PostgresError("each UNION query must have the same number of columns", "42601")
        columns = [  # named as the left member names them, in the SQL too
            replace(lc, ty=first_known([lc.ty, rc.ty])) if lc.ty.oid in (oids.UNKNOWN, 0) else lc
            for lc, rc in zip(left, right, strict=True)
        ]
        keyword = {exp.Union: "UNION", exp.Intersect: "INTERSECT", exp.Except: "EXCEPT"}[
            type(node)  # type: ignore[index]
        ]
        if not node.args.get("distinct", True):
            keyword += " ALL"
        sql = f"{self._compound_member(node.left, left_sql)} {keyword} " + self._compound_member(
            node.right, right_sql
        )
        sql = self._modifiers(node, sql, columns, parent)
        return sql, columns

    @staticmethod
    def _compound_member(node: exp.Expr, sql: str) -> str:
        """SQLite forbids ORDER BY/LIMIT on compound members: wrap such members."""
        inner = node.this if isinstance(node, exp.Subquery) else node
        if any(inner.args.get(key) for key in ("order", "limit", "offset")) or isinstance(
            node, exp.Subquery
        ):
            return f"SELECT * FROM ({sql})"
        return sql

    def _modifiers(
        self, node: exp.Expr, sql: str, columns: list[OutColumn], parent: Scope | None
    ) -> str:
        """ORDER BY / LIMIT / OFFSET applied to a compound or parenthesized query."""
        scope = Scope(parent, output=_output_names(columns))
        scope.sources.append(Source("", [SourceColumn(c.name, c.ty, c.sql_name) for c in columns]))
        return sql + self._order_limit(node, scope)

    def _values(
        self, node: exp.Values, parent: Scope | None, names: list[str] | None
    ) -> tuple[str, list[OutColumn]]:
        scope = Scope(parent)
        rows = []
        types: list[Ty] = []
        for row in node.expressions:
            compiled = [self.expr(value, scope) for value in row.expressions]
            rows.append("(" + ", ".join(sql for sql, _ in compiled) + ")")
            if not types:
                types = [ty for _, ty in compiled]
        default = [f"column{i}" for i in range(1, len(types) + 1)]
        out_names = self._rename_names(default, names or [])
        columns = keyed([OutColumn(name, ty) for name, ty in zip(out_names, types, strict=True)])
        select = ", ".join(
            f"{quote(d)} AS {c.sql_name}" for d, c in zip(default, columns, strict=True)
        )
        return f"SELECT {select} FROM (VALUES {', '.join(rows)})", columns

    # -- SELECT ------------------------------------------------------------------------

    def select(
        self, node: exp.Select, parent: Scope | None, names: list[str] | None = None
    ) -> tuple[str, list[OutColumn]]:
        scope = Scope(parent)
        from_sql = self._from_clause(node, scope)
        srf_join = self._select_list_srfs(node, scope)
        if srf_join:
            from_sql = f"{from_sql}, {srf_join}" if from_sql else srf_join
        items: list[str] = []
        columns: list[OutColumn] = []
        for item in node.expressions:
            for sql, column in self._select_item(item, scope):
                columns.append(column)
                items.append(sql)
        if names:
            columns = self._rename(columns, names)
        columns = keyed(columns)
        rendered = [f"{sql} AS {c.sql_name}" for sql, c in zip(items, columns, strict=True)]
        scope.output = _output_names(columns, items)
        parts = ["SELECT"]
        distinct = node.args.get("distinct")
        if distinct is not None:
            if distinct.args.get("on"):
                raise PostgresError("SELECT DISTINCT ON is not supported here", "0A000")
            parts.append("DISTINCT")
        parts.append(", ".join(rendered))
        if from_sql:
            parts.append("FROM " + from_sql)
        where = node.args.get("where")
        if where is not None:
            parts.append("WHERE " + self.filter_condition(where.this, scope))
        group = node.args.get("group")
        if group is not None:
            keys = [self._order_key(key, scope, "GROUP BY") for key in group.expressions]
            parts.append("GROUP BY " + ", ".join(keys))
        having = node.args.get("having")
        if having is not None:
            parts.append("HAVING " + self.filter_condition(having.this, scope))
        return " ".join(parts) + self._order_limit(node, scope), columns

    def _order_limit(self, node: exp.Expr, scope: Scope) -> str:
        sql = ""
        order = node.args.get("order")
        if order is not None:
            keys = []
            for ordered in order.expressions:
                key = self._order_key(ordered.this, scope, "ORDER BY")
                descending = bool(ordered.args.get("desc"))
                nulls_first = ordered.args.get("nulls_first")
                if nulls_first is None:
                    nulls_first = descending
                direction = " DESC" if descending else ""
                keys.append(f"{key}{direction} NULLS {'FIRST' if nulls_first else 'LAST'}")
            sql += " ORDER BY " + ", ".join(keys)
        limit = node.args.get("limit")
        offset = node.args.get("offset")
        if limit is not None:
            value = limit.args.get("expression") or limit.this
            sql += " LIMIT " + self._integer_clause(value, scope)
        if offset is not None:
            if limit is None:
                sql += " LIMIT -1"
            value = offset.args.get("expression") or offset.this
            sql += " OFFSET " + self._integer_clause(value, scope)
        return sql

    def _integer_clause(self, node: exp.Expr, scope: Scope) -> str:
        number = param_number(node)
        if number is not None:
            self.params.setdefault(number, t.INT8)
        return self.expr(node, scope)[0]

    def _order_key(self, node: exp.Expr, scope: Scope, clause: str) -> str:
        """ORDER BY / GROUP BY key: output position, output column name, or expression.

        A bare name is an output column's, except that in GROUP BY a column of the FROM
        items comes first (``findTargetlistEntrySQL92`` in parse_clause.c)."""
        if isinstance(node, exp.Literal) and not node.is_string:
            return str(node.this)
        if isinstance(node, exp.Column) and not node.args.get("table"):
            name = ident(node.this)
            if name in scope.output and not (
                clause == "GROUP BY" and self._resolve(node, scope, required=False)
            ):
                key = scope.output[name]
                if key is None:
                    raise PostgresError(f'{clause} "{name}" is ambiguous', "42702")
                return key
        return self.expr(node, scope)[0]

    def _select_item(self, item: exp.Expr, scope: Scope) -> Iterator[tuple[str, OutColumn]]:
        if isinstance(item, exp.Star):
            yield from self._star(None, scope)
            return
        if isinstance(item, exp.Column) and isinstance(item.this, exp.Star):
            yield from self._star(ident(item.args.get("table")), scope)
            return
        alias = None
        node = item
        if isinstance(item, exp.Alias):
            alias = ident(item.args["alias"])
            node = item.this
        sql, ty = self.expr(node, scope)
        name = alias if alias is not None else self.figure_name(node, scope)[0]
        origin = self._origin(node, scope)
        yield sql, OutColumn(name, ty, *origin)

    def _star(self, alias: str | None, scope: Scope) -> Iterator[tuple[str, OutColumn]]:
        sources = [s for s in scope.sources if alias is None or s.alias == alias]
        if alias is not None and not sources:
            raise PostgresError(f'missing FROM-clause entry for table "{alias}"', "42P01")
        for source in sources:
            for column in source.columns:
                if column.system or (alias is None and column.name in source.hidden):
                    continue
                yield column.sql, OutColumn(column.name, column.ty, *column.origin)

    def _origin(self, node: exp.Expr, scope: Scope) -> tuple[int, int]:
        node = unwrap(node)
        if isinstance(node, exp.Column) and not isinstance(node.this, exp.Star):
            found = self._resolve(node, scope, required=False)
            if found is not None:
                return found.origin
        return (0, 0)

    # -- FROM --------------------------------------------------------------------------

    def _from_clause(self, node: exp.Select, scope: Scope) -> str:
        from_ = node.args.get("from") or node.args.get("from_")
        if from_ is None:
            if node.args.get("joins"):
                raise PostgresError("JOIN without FROM", "42601")
            return ""
        sql = self._from_item(from_.this, scope) or ""
        for join in node.args.get("joins") or []:
            sql = self._join(sql, join, scope)
        return sql

    def _join(self, left_sql: str, join: exp.Join, scope: Scope) -> str:
        item = self._from_item(join.this, scope)
        on = join.args.get("on")
        using = join.args.get("using")
        if item is None:  # an inlined LATERAL subquery
            if on is not None and not (isinstance(on, exp.Boolean) and on.this):
                raise PostgresError("LATERAL with a join condition is not supported", "0A000")
            return left_sql
        side = str(join.args.get("side") or "").upper()
        kind = str(join.args.get("kind") or "").upper()
        if not side and not kind and on is None and using is None:
            return f"{left_sql}, {item}"
        if kind == "CROSS":
            keyword = "CROSS JOIN"
        elif side in ("LEFT", "RIGHT", "FULL"):
            keyword = f"{side} JOIN"
        elif kind in ("", "INNER", "OUTER"):
            keyword = "JOIN"
        else:
            raise PostgresError(f"{kind} JOIN is not supported here", "0A000")
        sql = f"{left_sql} {keyword} {item}"
        if on is not None:
            sql += " ON " + self.filter_condition(on, scope)
        elif using:
            names = [ident(name) for name in using]
            scope.sources[-1].hidden.update(names)
            sql += " USING (" + ", ".join(quote(name) for name in names) + ")"
        return sql

    def _alias_parts(self, node: exp.Expr) -> tuple[str | None, list[str]]:
        alias = node.args.get("alias")
        if alias is None:
            return None, []
        if isinstance(alias, exp.TableAlias):
            return (ident(alias.this) if alias.this else None), [ident(c) for c in alias.columns]
        return ident(alias), []

    def _from_item(self, node: exp.Expr, scope: Scope) -> str | None:
        """Compile a FROM item, register its source in ``scope``, return its SQL."""
        alias, columns = self._alias_parts(node)
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            return self._relation(node, alias, columns, scope)
        if isinstance(node, exp.Table):
            call = node.this
            name = function_name(call)
            if name is None:
                raise PostgresError(f"unsupported FROM item {node.sql()}", "0A000")
            ordinality = bool(node.args.get("ordinality"))
            return self._function_source(name, call_args(call), alias, columns, ordinality, scope)
        if isinstance(node, exp.Unnest):
            offset = node.args.get("offset")  # WITH ORDINALITY: True, or the column's name
            if isinstance(offset, exp.Identifier):
                columns = [*columns, ident(offset)]
            return self._function_source(
                "unnest", list(node.expressions), alias, columns, offset is not None, scope
            )
        if isinstance(node, exp.Lateral):
            return self._lateral(node, scope)
        if isinstance(node, exp.Values):
            node = exp.Subquery(this=node.copy(), alias=node.args.get("alias"))
        if isinstance(node, exp.Subquery):
            sql, out = self.query(node, scope.parent, columns or None)
            name = alias or f"_sub{next(self._aliases)}"
            scope.sources.append(
                Source(
                    name,
                    [SourceColumn(c.name, c.ty, f"{quote(name)}.{c.sql_name}",
                                  (c.table_oid, c.attnum)) for c in out],
                )
            )  # fmt: skip
            return f"({sql}) AS {quote(name)}"
        raise PostgresError(f"unsupported FROM item {node.key}", "0A000")

    def _relation(
        self, node: exp.Table, alias: str | None, columns: list[str], scope: Scope
    ) -> str:
        name = ident(node.this)
        schema = ident(node.args.get("db")) if node.args.get("db") else ""
        alias = alias or name
        if not schema:
            cte = scope.cte(name)
            if cte is not None:
                out = self._rename(cte, columns)
                scope.sources.append(
                    Source(alias, [SourceColumn(n.name, n.ty,
                                                f"{quote(alias)}.{c.sql_name}",
                                                (n.table_oid, n.attnum))
                                   for n, c in zip(out, cte, strict=True)])
                )  # fmt: skip
                return f"{quote(name)} AS {quote(alias)}"
            # pg_catalog comes first on every search path; then the default ``public``.
            schema = "pg_catalog"
            if ("pg_catalog", name) not in self.relations and ("public", name) in self.sequences:
                schema = "public"
        sequence = self.sequences.get((schema, name))
        if sequence is not None:
            return self._sequence(sequence, alias, columns, scope)
        relation = self.relations.get((schema, name))
        if relation is None:
            raise PostgresError(f'relation "{schema}.{name}" does not exist', "42P01")
        if schema == "pg_catalog" and name in DYNAMIC_RELATIONS:
            self.dynamic.add(name)
        if schema == "pg_catalog" and name == "pg_sequences":
            self.sequences_read.update(self.sequences.values())
        names = self._rename_names([c.name for c in relation.columns], columns)
        source_columns = [
            SourceColumn(new, Ty(c.type_oid, c.typmod), f"{quote(alias)}.{quote(c.name)}",
                         (relation.oid, c.attnum))
            for new, c in zip(names, relation.columns, strict=True)
        ]  # fmt: skip
        if relation.kind == "r":
            source_columns += [
                SourceColumn(name, Ty(type_oid), sql, (relation.oid, attnum), system=True)
                for name, type_oid, attnum, sql in (
                    ("tableoid", oids.OID, -6, str(relation.oid)),
                    ("cmax", oids.CID, -5, "0"),
                    ("xmax", oids.XID, -4, "0"),
                    ("cmin", oids.CID, -3, "0"),
                    ("xmin", oids.XID, -2, "1"),
                    ("ctid", oids.TID, -1, "'(0,1)'"),
                )
            ]
        scope.sources.append(Source(alias, source_columns))
        return f"{schema}.{quote(name)} AS {quote(alias)}"

    def _sequence(
        self, sequence: SequenceInfo, alias: str, columns: list[str], scope: Scope
    ) -> str:
        self.sequences_read.add(sequence)
        relation = relation_def(sequence)
        names = self._rename_names([c.name for c in relation.columns], columns)
        scope.sources.append(
            Source(alias, [
                SourceColumn(new, Ty(c.type_oid, c.typmod), f"{quote(alias)}.{quote(c.name)}",
                             (relation.oid, c.attnum))
                for new, c in zip(names, relation.columns, strict=True)
            ])
        )  # fmt: skip
        return relation_sql(sequence.oid, quote(alias))

    def _x_anonymous(self, node: exp.Anonymous, scope: Scope) -> tuple[str, Ty]:
        if str(node.this).lower() == "pg_sequence_last_value":
            if not self.reads_sequences:
                raise PostgresError("function pg_sequence_last_value does not exist", "42883")
            self.sequences_read.update(self.sequences.values())
        return super()._x_anonymous(node, scope)

    @staticmethod
    def _rename_names(original: list[str], new: list[str]) -> list[str]:
        if len(new) > len(original):
            raise PostgresError(
                f"table has {len(original)} columns available but {len(new)} columns specified",
                "42P10",
            )
        return new + original[len(new) :]

    def _lateral(self, node: exp.Lateral, scope: Scope) -> str | None:
        alias, columns = self._alias_parts(node)
        body = node.this
        name = function_name(body)
        if name is not None:
            return self._function_source(name, call_args(body), alias, columns, False, scope)
        select = body.this if isinstance(body, exp.Subquery) else body
        if (
            not isinstance(select, exp.Select)
            or select.args.get("from")
            or select.args.get("from_")
        ):
            raise PostgresError("only FROM-less LATERAL subqueries are supported", "0A000")
        compiled = []
        for position, item in enumerate(select.expressions):
            node_ = item.this if isinstance(item, exp.Alias) else item
            sql, ty = self.expr(node_, scope)
            default = ident(item.args["alias"]) if isinstance(item, exp.Alias) else (
                self.figure_name(node_, scope)[0])  # fmt: skip
            column = columns[position] if position < len(columns) else default
            compiled.append(SourceColumn(column, ty, f"({sql})"))
        scope.sources.append(Source(alias or f"_lateral{next(self._aliases)}", compiled))
        return None

    def _function_source(
        self,
        name: str,
        args: list[exp.Expr],
        alias: str | None,
        columns: list[str],
        ordinality: bool,
        scope: Scope,
    ) -> str:
        if name in TABLE_FUNCTIONS:
            schema, table = TABLE_FUNCTIONS[name]
            if schema == "main":
                return self._keywords_source(alias or name, columns, scope)
            target = exp.Table(this=exp.to_identifier(table), db=exp.to_identifier(schema))
            return self._relation(target, alias or name, columns, scope)
        if name not in SET_RETURNING:
            return self._scalar_function_source(name, args, alias, columns, scope)
        compiled = [self.expr(arg, scope) for arg in args]
        sqls = [sql for sql, _ in compiled]
        types = [ty for _, ty in compiled]
        alias = alias or name
        a = quote(alias)
        value, key = f"{a}.value", f"({a}.key + 1)"
        outputs: list[tuple[str, Ty, str]]
        if name == "unnest":
            source = sqls[0]
            outputs = [(alias, t.element_of(types[0]), value)]
        elif name == "generate_series":
            source = f"pgf_series({', '.join(sqls)})"
            outputs = [(alias, t.promote(types[0], types[1]), value)]
        elif name == "generate_subscripts":
            source = f"pgf_series(1, pgf_cardinality({sqls[0]}))"
            outputs = [(alias, t.INT4, value)]
        elif name == "_pg_expandarray":
            source = sqls[0]
            outputs = [("x", t.element_of(types[0]), value), ("n", t.INT4, key)]
        elif name == "pg_partition_ancestors":
            source = f"json_array({self._partition_root(args[0], scope)})"
            outputs = [("relid", Ty(oids.REGCLASS), value)]
        elif name == "pg_options_to_table":
            source = f"pgf_options({sqls[0]})"
            outputs = [
                ("option_name", t.TEXT, f"json_extract({value}, '$[0]')"),
                ("option_value", t.TEXT, f"json_extract({value}, '$[1]')"),
            ]
        else:  # json_array_elements[_text], jsonb_...
            source = sqls[0]
            element = t.TEXT if name.endswith("_text") else Ty(oids.JSON)
            outputs = [("value", element, value)]
        if ordinality:
            outputs.append(("ordinality", t.INT8, key))
        names = self._rename_names([o[0] for o in outputs], columns)
        source_columns = [
            SourceColumn(n, ty, sql) for n, (_, ty, sql) in zip(names, outputs, strict=True)
        ]
        scalar = source_columns[0] if len(outputs) == 1 + int(ordinality) else None
        scope.sources.append(Source(alias, source_columns, scalar))
        return f"json_each({source}) AS {a}"

    def _partition_root(self, relation: exp.Expr, scope: Scope) -> str:
        """``pg_partition_ancestors(rel)``'s only row: the catalog has no partitions (no
        ``pg_inherits`` rows), so a relation is its own and only ancestor."""
        sql, _ = self.coerce(relation, Ty(oids.REGCLASS), scope)
        return sql

    def _scalar_function_source(
        self, name: str, args: list[exp.Expr], alias: str | None, columns: list[str], scope: Scope
    ) -> str:
        """``FROM string_to_array(...) AS s``: a one-row source holding the function's value."""
        sql, ty = self._x_anonymous(exp.Anonymous(this=name, expressions=args), scope)
        alias = alias or name
        column = SourceColumn(columns[0] if columns else alias, ty, f"{quote(alias)}.value")
        scope.sources.append(Source(alias, [column], column))
        element = f"json({sql})" if t.is_array(ty) else sql
        return f"json_each(json_array({element})) AS {quote(alias)}"

    def _keywords_source(self, alias: str, columns: list[str], scope: Scope) -> str:
        spec = [("word", t.TEXT), ("catcode", t.CHAR), ("barelabel", t.BOOL),
                ("catdesc", t.TEXT), ("baredesc", t.TEXT)]  # fmt: skip
        names = self._rename_names([name for name, _ in spec], columns)
        scope.sources.append(
            Source(alias, [SourceColumn(new, ty, f"{quote(alias)}.{quote(old)}")
                           for new, (old, ty) in zip(names, spec, strict=True)])
        )  # fmt: skip
        return f"main.pg_get_keywords AS {quote(alias)}"

    def _select_list_srfs(self, node: exp.Select, scope: Scope) -> str:
        """Set-returning calls in the select list: run them in lockstep over row numbers."""
        calls = [
            sub
            for item in node.expressions
            for sub in walk_expressions(item)
            if isinstance(sub, exp.Anonymous) and str(sub.this).lower() in SET_RETURNING
        ]
        if not calls:
            return ""
        alias = quote(f"_srf{next(self._aliases)}")
        index = f"{alias}.value"
        lengths = []
        for call in calls:
            name = str(call.this).lower()
            compiled = [self.expr(arg, scope) for arg in call.expressions]
            sqls = [sql for sql, _ in compiled]
            types = [ty for _, ty in compiled]
            if name in ("unnest", "generate_subscripts", "_pg_expandarray"):
                length = f"pgf_cardinality({sqls[0]})"
                element = f"pgf_array_get({sqls[0]}, {index})"
                if name == "unnest":
                    replacement = (element, t.element_of(types[0]))
                elif name == "generate_subscripts":
                    replacement = (f"CASE WHEN {index} <= {length} THEN {index} END", t.INT4)
                else:
                    record = Ty(oids.RECORD, fields=(("x", t.element_of(types[0])), ("n", t.INT4)))
                    replacement = (f"json_object('x', {element}, 'n', {index})", record)
            elif name == "generate_series":
                step = sqls[2] if len(sqls) > 2 else "1"
                length = f"((({sqls[1]}) - ({sqls[0]})) / ({step}) + 1)"
                value = f"(({sqls[0]}) + ({index} - 1) * ({step}))"
                replacement = (
                    f"CASE WHEN {index} <= {length} THEN {value} END",
                    t.promote(types[0], types[1]),
                )
            elif name == "pg_partition_ancestors":
                length = "1"
                relid = self._partition_root(call.expressions[0], scope)
                replacement = (f"CASE WHEN {index} = 1 THEN {relid} END", Ty(oids.REGCLASS))
            else:
                raise PostgresError(f"{name} in the select list is not supported", "0A000")
            lengths.append(length)
            scope.srf[id(call)] = replacement
        greatest = lengths[0] if len(lengths) == 1 else f"pgf_greatest({', '.join(lengths)})"
        return f"json_each(pgf_series(1, {greatest})) AS {alias}"


def _output_names(
    columns: list[OutColumn], items: list[str] | None = None
) -> dict[str, str | None]:
    """`Scope.output` of a select list (``items``: its SQL, when it has one): a name several
    columns share is ambiguous unless they are the same expression (``SELECT a, a``)."""
    output: dict[str, str | None] = {}
    first: dict[str, str | None] = {}
    for position, column in enumerate(columns):
        sql = items[position] if items is not None else None
        if column.name not in output:
            output[column.name] = column.sql_name
            first[column.name] = sql
        elif sql is None or first[column.name] != sql:
            output[column.name] = None
    return output


def constant_row(sql: str) -> tuple[str | int, ...] | None:
    """What compiled ``sql`` returns if it is one row of bare parameters and integer literals
    (``SELECT $1``, ``SELECT 1``; no FROM, no clauses): per column, the parameter's name
    (``p1``) or the integer; None for any other query.  SQLite would return exactly the
    bound values and the integers, so the caller may skip running it for values SQLite
    stores unchanged."""
    if not sql.startswith("SELECT "):
        return None
    row: list[str | int] = []
    position = len("SELECT ")
    while True:
        item = _CONSTANT_ITEM.match(sql, position)
        if item is None:
            return None
        name, number = item.groups()
        row.append(name if name is not None else int(number))
        position = item.end()
        if position == len(sql):
            return tuple(row)
        if not sql.startswith(", ", position):
            return None
        position += 2
