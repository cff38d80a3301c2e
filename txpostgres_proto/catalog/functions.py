"""The PostgreSQL functions the catalog understands: result types, argument types, SQLite form.

For each function name (as clients call it, with or without ``pg_catalog.``) a :class:`Func`
says

* ``returns``: the PostgreSQL result type, from the argument types (``array_agg(int4)`` →
  ``int4[]``, ``max(x)`` → type of x), as the type resolver of PostgreSQL's parser would;
* ``params``: the declared argument types, used to type ``$n`` parameters passed directly
  (``set_config('jit', $1, false)`` makes ``$1`` text, ``t.oid = $1`` is typed elsewhere);
* ``sql``: how to call it in SQLite — ``None`` means the user function ``pgf_<name>`` from
  ``sqlfuncs.py``, a string names a SQLite function (native or ``pgf_``), a callable builds the
  SQL text from the compiled arguments and their types.

Set-returning functions (``unnest``, ``generate_series``, ``generate_subscripts``,
``information_schema._pg_expandarray``, ``pg_options_to_table``) are not here: the compiler
expands them into joins with SQLite's ``json_each`` (see ``compiler.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Final

from txpostgres_proto.catalog import pgtypes as t
from txpostgres_proto.catalog.pgtypes import Ty
from txpostgres_proto.catalog.sequences import last_value_sql
from txpostgres_proto.types import oids

ReturnRule = Callable[[Sequence[Ty]], Ty]
SqlBuilder = Callable[[Sequence[str], Sequence[Ty]], str]


@dataclass(frozen=True, slots=True)
class Func:
    returns: ReturnRule
    params: tuple[int, ...] = ()
    sql: str | SqlBuilder | None = None
    aggregate: bool = False


def fixed(oid: int) -> ReturnRule:
    ty = Ty(oid)
    return lambda args: ty


def same(index: int = 0) -> ReturnRule:
    return lambda args: args[index] if len(args) > index else t.TEXT


def first_known(args: Sequence[Ty]) -> Ty:
    for ty in args:
        if ty.oid not in (oids.UNKNOWN, 0):
            return ty
    return t.TEXT


def _sum_type(args: Sequence[Ty]) -> Ty:
    arg = args[0] if args else t.INT8
    if arg.oid in (oids.INT2, oids.INT4):
        return t.INT8
    if arg.oid == oids.INT8:
        return t.NUMERIC
    return arg if arg.oid in (oids.FLOAT4, oids.FLOAT8, oids.NUMERIC) else t.NUMERIC


def constant(sql: str) -> SqlBuilder:
    return lambda args, types: sql


def call(name: str, *fixed_args: str) -> SqlBuilder:
    """Call SQLite function ``name`` with ``fixed_args`` before the compiled arguments."""
    return lambda args, types: f"{name}({', '.join([*fixed_args, *args])})"


def _format_type(args: Sequence[str], types: Sequence[Ty]) -> str:
    typmod = args[1] if len(args) > 1 else "NULL"
    return f"pgf_format_type({args[0]}, {typmod})"


def _typeof(args: Sequence[str], types: Sequence[Ty]) -> str:
    return str(t.output_type(types[0]).oid if types else oids.UNKNOWN)


def _mod(args: Sequence[str], types: Sequence[Ty]) -> str:
    return f"({args[0]} % {args[1]})"


def _to_json(args: Sequence[str], types: Sequence[Ty]) -> str:
    if types and types[0].oid in t.TEXT_TYPES:
        return f"json_quote({args[0]})"
    return f"json({args[0]})" if types and t.is_array(types[0]) else f"json_quote({args[0]})"


_TRUE: Final = Func(fixed(oids.BOOL), sql="pgf_true")
_NULL_TEXT: Final = Func(fixed(oids.TEXT), sql="pgf_null")
_ZERO_INT8: Final = Func(fixed(oids.INT8), sql="pgf_zero")
_NOW: Final = Func(fixed(oids.TIMESTAMPTZ), sql="pgf_now")


def _reg_lookup(kind: str, oid: int) -> Func:
    return Func(fixed(oid), (oids.TEXT,), call("pgf_to_reg", f"'{kind}'"))


FUNCTIONS: Final[dict[str, Func]] = {
    # session and server
    "version": Func(fixed(oids.TEXT)),
    "current_database": Func(fixed(oids.NAME)),
    "current_schema": Func(fixed(oids.NAME)),
    "current_schemas": Func(fixed(oids.NAME_ARRAY), (oids.BOOL,)),
    "current_user": Func(fixed(oids.NAME)),
    "session_user": Func(fixed(oids.NAME), sql="pgf_current_user"),
    "pg_backend_pid": Func(fixed(oids.INT4), sql="pgf_backend_pid"),
    "current_setting": Func(fixed(oids.TEXT), (oids.TEXT, oids.BOOL)),
    "set_config": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT, oids.BOOL)),
    "pg_postmaster_start_time": Func(fixed(oids.TIMESTAMPTZ)),
    "pg_conf_load_time": Func(fixed(oids.TIMESTAMPTZ), sql="pgf_postmaster_start_time"),
    "now": _NOW,
    "transaction_timestamp": _NOW,
    "statement_timestamp": _NOW,
    "clock_timestamp": _NOW,
    "pg_is_in_recovery": Func(fixed(oids.BOOL), sql="pgf_false"),
    "pg_is_wal_replay_paused": Func(fixed(oids.BOOL), sql="pgf_false"),
    "pg_jit_available": Func(fixed(oids.BOOL), sql="pgf_false"),
    "pg_current_wal_lsn": Func(fixed(oids.PG_LSN), sql=constant("'0/1000000'")),
    "pg_last_wal_receive_lsn": Func(fixed(oids.PG_LSN), sql="pgf_null"),
    "pg_last_wal_replay_lsn": Func(fixed(oids.PG_LSN), sql="pgf_null"),
    "pg_last_xact_replay_timestamp": Func(fixed(oids.TIMESTAMPTZ), sql="pgf_null"),
    "pg_my_temp_schema": Func(fixed(oids.OID), sql=constant("0")),
    "pg_column_is_updatable": _TRUE,
    "date_trunc": Func(same(1), (oids.TEXT, oids.TIMESTAMPTZ)),
    "txid_current": Func(fixed(oids.INT8), sql=constant("750")),
    "pg_current_xact_id": Func(fixed(5069), sql=constant("750")),
    "txid_current_if_assigned": Func(fixed(oids.INT8), sql="pgf_null"),
    "inet_server_addr": Func(fixed(oids.INET), sql="pgf_null"),
    "inet_client_addr": Func(fixed(oids.INET), sql="pgf_null"),
    "inet_server_port": Func(fixed(oids.INT4), sql="pgf_null"),
    "inet_client_port": Func(fixed(oids.INT4), sql="pgf_null"),
    "getdatabaseencoding": Func(fixed(oids.NAME), sql=constant("'UTF8'")),
    "pg_client_encoding": Func(fixed(oids.NAME), sql=constant("'UTF8'")),
    "pg_encoding_to_char": Func(fixed(oids.NAME), (oids.INT4,)),
    "pg_char_to_encoding": Func(fixed(oids.INT4), (oids.NAME,)),
    "pg_tablespace_location": Func(fixed(oids.TEXT), (oids.OID,), constant("''")),
    "pg_typeof": Func(fixed(oids.REGTYPE), sql=_typeof),
    "age": Func(fixed(oids.INT4), sql=constant("0")),
    # catalog lookups and renderings
    "format_type": Func(fixed(oids.TEXT), (oids.OID, oids.INT4), _format_type),
    "acldefault": Func(fixed(oids.ACLITEM_ARRAY), (oids.CHAR, oids.OID)),
    "pg_get_userbyid": Func(fixed(oids.NAME), (oids.OID,)),
    "pg_table_is_visible": Func(fixed(oids.BOOL), (oids.OID,)),
    "pg_type_is_visible": Func(fixed(oids.BOOL), (oids.OID,)),
    "pg_function_is_visible": Func(fixed(oids.BOOL), (oids.OID,)),
    "pg_collation_is_visible": _TRUE,
    "pg_conversion_is_visible": _TRUE,
    "pg_operator_is_visible": _TRUE,
    "pg_opclass_is_visible": _TRUE,
    "pg_opfamily_is_visible": _TRUE,
    "pg_statistics_obj_is_visible": _TRUE,
    "pg_ts_config_is_visible": _TRUE,
    "pg_ts_dict_is_visible": _TRUE,
    "pg_ts_parser_is_visible": _TRUE,
    "pg_ts_template_is_visible": _TRUE,
    "pg_get_expr": Func(fixed(oids.TEXT), (oids.PG_NODE_TREE, oids.OID, oids.BOOL)),
    "pg_get_indexdef": Func(fixed(oids.TEXT), (oids.OID, oids.INT4, oids.BOOL)),
    "pg_get_constraintdef": Func(fixed(oids.TEXT), (oids.OID, oids.BOOL)),
    "pg_get_viewdef": Func(fixed(oids.TEXT), (oids.OID, oids.BOOL)),
    "pg_get_triggerdef": _NULL_TEXT,
    "pg_get_ruledef": _NULL_TEXT,
    "pg_get_functiondef": _NULL_TEXT,
    "pg_get_function_sqlbody": _NULL_TEXT,
    "pg_get_statisticsobjdef": _NULL_TEXT,
    "pg_get_statisticsobjdef_columns": _NULL_TEXT,
    "pg_get_statisticsobjdef_expressions": Func(fixed(oids.TEXT_ARRAY), sql="pgf_null"),
    "pg_get_partkeydef": _NULL_TEXT,
    "pg_get_partition_constraintdef": _NULL_TEXT,
    "pg_describe_object": Func(fixed(oids.TEXT), (oids.OID, oids.OID, oids.INT4)),
    "pg_get_function_result": Func(fixed(oids.TEXT), (oids.OID,)),
    "pg_get_function_arguments": Func(fixed(oids.TEXT), (oids.OID,)),
    "pg_get_function_identity_arguments": Func(fixed(oids.TEXT), (oids.OID,)),
    "pg_get_serial_sequence": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT)),
    "pg_relation_is_publishable": Func(fixed(oids.BOOL), (oids.REGCLASS,)),
    "pg_sequence_last_value": Func(
        fixed(oids.INT8), (oids.REGCLASS,), lambda sqls, types: last_value_sql(sqls[0])
    ),
    "obj_description": Func(fixed(oids.TEXT), (oids.OID, oids.NAME)),
    "col_description": Func(fixed(oids.TEXT), (oids.OID, oids.INT4)),
    "shobj_description": Func(fixed(oids.TEXT), (oids.OID, oids.NAME)),
    "to_regtype": _reg_lookup("regtype", oids.REGTYPE),
    "to_regclass": _reg_lookup("regclass", oids.REGCLASS),
    "to_regproc": _reg_lookup("regproc", oids.REGPROC),
    "to_regprocedure": _reg_lookup("regprocedure", oids.REGPROCEDURE),
    "to_regnamespace": _reg_lookup("regnamespace", oids.REGNAMESPACE),
    "to_regrole": _reg_lookup("regrole", oids.REGROLE),
    "has_table_privilege": _TRUE,
    "has_schema_privilege": _TRUE,
    "has_database_privilege": _TRUE,
    "has_column_privilege": _TRUE,
    "has_any_column_privilege": _TRUE,
    "has_function_privilege": _TRUE,
    "has_sequence_privilege": _TRUE,
    "has_type_privilege": _TRUE,
    "has_language_privilege": _TRUE,
    "has_tablespace_privilege": _TRUE,
    "has_foreign_data_wrapper_privilege": _TRUE,
    "has_server_privilege": _TRUE,
    "pg_has_role": _TRUE,
    "pg_relation_size": _ZERO_INT8,
    "pg_total_relation_size": _ZERO_INT8,
    "pg_table_size": _ZERO_INT8,
    "pg_indexes_size": _ZERO_INT8,
    "pg_database_size": _ZERO_INT8,
    "pg_tablespace_size": _ZERO_INT8,
    "pg_column_size": Func(fixed(oids.INT4), sql="pgf_zero"),
    "pg_size_pretty": Func(fixed(oids.TEXT), (oids.INT8,)),
    # strings
    "quote_ident": Func(fixed(oids.TEXT), (oids.TEXT,)),
    "quote_literal": Func(fixed(oids.TEXT), (oids.TEXT,)),
    "quote_nullable": Func(fixed(oids.TEXT), (oids.TEXT,)),
    "lower": Func(fixed(oids.TEXT), (oids.TEXT,), "lower"),
    "upper": Func(fixed(oids.TEXT), (oids.TEXT,), "upper"),
    "length": Func(fixed(oids.INT4), (oids.TEXT,), "length"),
    "char_length": Func(fixed(oids.INT4), (oids.TEXT,), "length"),
    "character_length": Func(fixed(oids.INT4), (oids.TEXT,), "length"),
    "octet_length": Func(fixed(oids.INT4), (oids.TEXT,), "length"),
    "replace": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT, oids.TEXT), "replace"),
    "substr": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4, oids.INT4), "substr"),
    "left": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4)),
    "right": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4)),
    "lpad": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4, oids.TEXT)),
    "rpad": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4, oids.TEXT)),
    "ltrim": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT), "ltrim"),
    "rtrim": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT), "rtrim"),
    "btrim": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT), "trim"),
    "split_part": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT, oids.INT4)),
    "strpos": Func(fixed(oids.INT4), (oids.TEXT, oids.TEXT)),
    "starts_with": Func(fixed(oids.BOOL), (oids.TEXT, oids.TEXT)),
    "repeat": Func(fixed(oids.TEXT), (oids.TEXT, oids.INT4)),
    "md5": Func(fixed(oids.TEXT), (oids.TEXT,)),
    "initcap": Func(fixed(oids.TEXT), (oids.TEXT,)),
    "regexp_replace": Func(fixed(oids.TEXT), (oids.TEXT, oids.TEXT, oids.TEXT, oids.TEXT)),
    "chr": Func(fixed(oids.TEXT), (oids.INT4,), "char"),
    "ascii": Func(fixed(oids.INT4), (oids.TEXT,), "unicode"),
    "concat": Func(fixed(oids.TEXT)),
    "concat_ws": Func(fixed(oids.TEXT)),
    "format": Func(fixed(oids.TEXT)),
    # numbers and comparisons
    "abs": Func(same(), sql="abs"),
    "round": Func(same(), sql="round"),
    "mod": Func(same(), sql=_mod),
    "power": Func(fixed(oids.FLOAT8)),
    "pow": Func(fixed(oids.FLOAT8), sql="pgf_power"),
    "greatest": Func(first_known),
    "least": Func(first_known),
    "coalesce": Func(first_known, sql="coalesce"),
    "nullif": Func(same(), sql="nullif"),
    # arrays
    "array_to_string": Func(fixed(oids.TEXT), (oids.ANYARRAY, oids.TEXT, oids.TEXT)),
    "array_upper": Func(fixed(oids.INT4), (oids.ANYARRAY, oids.INT4), "pgf_array_length"),
    "array_lower": Func(fixed(oids.INT4), (oids.ANYARRAY, oids.INT4)),
    "array_length": Func(fixed(oids.INT4), (oids.ANYARRAY, oids.INT4)),
    "cardinality": Func(fixed(oids.INT4), (oids.ANYARRAY,)),
    "array_ndims": Func(fixed(oids.INT4), (oids.ANYARRAY,)),
    "array_dims": Func(fixed(oids.TEXT), (oids.ANYARRAY,)),
    "array_position": Func(fixed(oids.INT4)),
    "array_cat": Func(same(), sql="pgf_array_cat"),
    "array_append": Func(same()),
    "array_prepend": Func(same(1)),
    "array_remove": Func(same()),
    "string_to_array": Func(fixed(oids.TEXT_ARRAY), (oids.TEXT, oids.TEXT, oids.TEXT)),
    # json
    "json_build_object": Func(fixed(oids.JSON), sql="json_object"),
    "jsonb_build_object": Func(fixed(oids.JSONB), sql="json_object"),
    "json_build_array": Func(fixed(oids.JSON), sql="json_array"),
    "jsonb_build_array": Func(fixed(oids.JSONB), sql="json_array"),
    "to_json": Func(fixed(oids.JSON), sql=_to_json),
    "to_jsonb": Func(fixed(oids.JSONB), sql=_to_json),
    # aggregates (array_agg, string_agg and json_agg are built by the compiler: ORDER BY)
    "count": Func(fixed(oids.INT8), sql="count", aggregate=True),
    "sum": Func(_sum_type, sql="sum", aggregate=True),
    "avg": Func(fixed(oids.NUMERIC), sql="avg", aggregate=True),
    "min": Func(same(), sql="min", aggregate=True),
    "max": Func(same(), sql="max", aggregate=True),
    "bool_and": Func(fixed(oids.BOOL), aggregate=True),
    "every": Func(fixed(oids.BOOL), sql="pgf_bool_and", aggregate=True),
    "bool_or": Func(fixed(oids.BOOL), aggregate=True),
    # window functions
    "row_number": Func(fixed(oids.INT8), sql="row_number"),
    "rank": Func(fixed(oids.INT8), sql="rank"),
    "dense_rank": Func(fixed(oids.INT8), sql="dense_rank"),
    "percent_rank": Func(fixed(oids.FLOAT8), sql="percent_rank"),
    "cume_dist": Func(fixed(oids.FLOAT8), sql="cume_dist"),
    "ntile": Func(fixed(oids.INT4), sql="ntile"),
    "lag": Func(same(), sql="lag"),
    "lead": Func(same(), sql="lead"),
    "first_value": Func(same(), sql="first_value"),
    "last_value": Func(same(), sql="last_value"),
    "nth_value": Func(same(), sql="nth_value"),
}

#: Aggregates taking ORDER BY inside the call: name -> (result rule, SQLite aggregate).
ORDERED_AGGREGATES: Final[dict[str, tuple[ReturnRule, str]]] = {
    "array_agg": (lambda args: t.array_of(args[0]) if args else t.Ty(oids.TEXT_ARRAY),
                  "pgf_array_agg"),
    "string_agg": (fixed(oids.TEXT), "pgf_string_agg"),
    "json_agg": (fixed(oids.JSON), "pgf_json_agg"),
    "jsonb_agg": (fixed(oids.JSONB), "pgf_json_agg"),
}  # fmt: skip

#: Set-returning functions the compiler expands into json_each joins.
SET_RETURNING: Final = frozenset(
    {"unnest", "generate_series", "generate_subscripts", "_pg_expandarray",
     "pg_options_to_table", "json_array_elements", "json_array_elements_text",
     "jsonb_array_elements", "jsonb_array_elements_text", "pg_partition_ancestors"}
)  # fmt: skip

#: Functions usable only in FROM that read a hidden table: name -> (schema, relation).
TABLE_FUNCTIONS: Final = {
    "pg_get_keywords": ("main", "pg_get_keywords"),
    "pg_show_all_settings": ("pg_catalog", "pg_settings"),
}


def is_known(name: str) -> bool:
    """True when ``name`` is a function this catalog can evaluate."""
    return (
        name in FUNCTIONS
        or name in ORDERED_AGGREGATES
        or name in SET_RETURNING
        or name in TABLE_FUNCTIONS
        or name == "array"
    )
