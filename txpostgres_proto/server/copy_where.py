"""``COPY ... FROM STDIN WHERE condition``: only the rows that satisfy the condition are stored.

PostgreSQL evaluates the condition on each row after its fields are converted to the target
columns' types, and stores the row only when the condition is true (SQL reference "COPY",
"WHERE").  The condition may use the columns and ordinary functions, never an aggregate, a
window function, a set-returning function or a subquery — those are refused before any data
is read, with PostgreSQL's SQLSTATEs (42803, 42P20, 0A000), as is a WHERE on COPY TO (42601).

`check_copy_where` makes those checks.  `CopyRowFilter` evaluates the condition before any
backend sees the rows, so every backend (a handler storing rows one INSERT at a time, a bulk
``copy_in``, the SQLite default) stores exactly the rows PostgreSQL would: each row becomes
the one row of a ``VALUES`` list typed like the target columns, and the catalog engine (which
runs PostgreSQL expressions) answers whether the condition holds for it — a few microseconds
per row.  Compiling that query when the COPY starts also reports unknown columns (42703) and
type errors before CopyInResponse, as PostgreSQL does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from sqlglot import expressions as exp

from txpostgres_proto.catalog import Catalog
from txpostgres_proto.catalog.dialect import parse
from txpostgres_proto.catalog.session import SessionInfo
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement
from txpostgres_proto.types.oids import BUILTIN_TYPES

from .catalogs import shared_catalog
from .settings import quote_identifier

__all__ = ["CopyRowFilter", "check_copy_where"]

_AGGREGATES: Final = frozenset(
    "count sum avg min max array_agg string_agg bool_and bool_or every bit_and bit_or bit_xor "
    "json_agg jsonb_agg json_object_agg jsonb_object_agg xmlagg stddev stddev_pop stddev_samp "
    "variance var_pop var_samp corr covar_pop covar_samp regr_count mode percentile_cont "
    "percentile_disc range_agg range_intersect_agg".split()
)
_SET_RETURNING: Final = frozenset(
    "generate_series generate_subscripts unnest regexp_matches regexp_split_to_table "
    "string_to_table json_each jsonb_each json_each_text jsonb_each_text json_array_elements "
    "jsonb_array_elements json_array_elements_text jsonb_array_elements_text json_object_keys "
    "jsonb_object_keys json_populate_recordset jsonb_populate_recordset pg_options_to_table".split()
)
_CONTEXT: Final = "COPY FROM WHERE conditions"


def _function_name(node: exp.Expr) -> str:
    if isinstance(node, exp.Anonymous):
        return str(node.this).lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return ""


def check_copy_where(statement: CopyStatement) -> None:
    """PostgreSQL's error for a WHERE clause COPY cannot have (none when it can)."""
    if statement.where is None:
        return
    if statement.direction != "FROM":
        raise PostgresError("WHERE clause not allowed with COPY TO", "42601")
    tree = parse(f"SELECT 1 WHERE {statement.where}")
    condition = tree.args["where"]
    for node in condition.walk():
        if isinstance(node, exp.Select | exp.Subquery | exp.Exists):
            raise PostgresError("cannot use subquery in COPY FROM WHERE condition", "0A000")
        if isinstance(node, exp.Window):
            raise PostgresError(f"window functions are not allowed in {_CONTEXT}", "42P20")
        name = _function_name(node)
        if name in _AGGREGATES or isinstance(node, exp.AggFunc):
            raise PostgresError(f"aggregate functions are not allowed in {_CONTEXT}", "42803")
        if name in _SET_RETURNING or isinstance(node, exp.Explode):
            message = f"set-returning functions are not allowed in {_CONTEXT}"
            raise PostgresError(message, "0A000")


class CopyRowFilter:
    """The WHERE condition of one COPY FROM, evaluated row by row (see the module docstring).

    ``type_oids`` are the target columns' types (0 where unknown: the field is text).
    """

    def __init__(
        self,
        statement: CopyStatement,
        names: Sequence[str],
        type_oids: Sequence[int],
        session: SessionInfo,
    ) -> None:
        assert statement.table is not None and statement.where is not None
        self._catalog: Catalog = shared_catalog(CopyRowFilter, session.database, None).catalog
        self._session = session
        fields = ", ".join(
            f"${number}::{_type_name(oid)}" for number, oid in enumerate(type_oids, start=1)
        )
        columns = ", ".join(map(quote_identifier, names))
        table = quote_identifier(statement.table.name)
        self._sql = (
            f"SELECT 1 FROM (VALUES ({fields})) AS {table} ({columns}) WHERE {statement.where}"
        )
        self._catalog.describe(self._sql)  # compile now: unknown columns, type errors

    def keep(self, row: Sequence[Any]) -> bool:
        """Whether ``row`` (fields as the COPY parser gives them) satisfies the condition."""
        return bool(self._catalog.execute(self._sql, row, self._session).rows)

    def rows(self, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """The rows of ``rows`` that satisfy the condition, in order."""
        keep = self.keep
        return [row for row in rows if keep(row)]


def _type_name(type_oid: int) -> str:
    info = BUILTIN_TYPES.get(type_oid)
    return "text" if info is None else info.name
