"""The SQLite database that holds the emulated catalogs.

``pg_catalog`` and ``information_schema`` are two attached in-memory SQLite databases, so the
qualified names clients write (``pg_catalog.pg_class``, ``information_schema.columns``) resolve
natively, and unqualified ``pg_class`` resolves too (SQLite searches attached databases after
``main``).  Every relation of both schemas exists as a table with PostgreSQL 15's columns, in
attnum order, so ``SELECT *`` and column lists match PostgreSQL even for catalogs the emulation
leaves empty.

Storage conventions (the SQL compiler relies on them):

* integers, OIDs and ``reg*`` values are INTEGER; booleans are 0/1;
* arrays, ``int2vector`` and ``oidvector`` are JSON text (``[1,2]``, compact separators), so
  SQLite's ``json_each`` can unnest them;
* everything else is TEXT (timestamps as ISO 8601 text).

The built-in rows are loaded once per process into a template database whose serialized images
are kept; each :class:`Store` starts by deserializing them, which takes a few milliseconds
instead of re-inserting ~15,000 rows.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

from txpostgres_proto.catalog.builtin import (
    PG_CATALOG_OID,
    BuiltinData,
    RelationDef,
    TableData,
    load,
)
from txpostgres_proto.types import oids

SCHEMAS: Final = ("pg_catalog", "information_schema")
_INTEGER_TYPES: Final = frozenset(
    {oids.INT2, oids.INT4, oids.INT8, oids.OID, oids.BOOL, oids.XID, oids.CID}
)
_REAL_TYPES: Final = frozenset({oids.FLOAT4, oids.FLOAT8})
_PG_CLASS: Final = 1259
_PG_PROC: Final = 1255
_PG_NAMESPACE: Final = 2615
_NO_ROWS: Final = TableData((), ())
#: Columns that joins and lookups use, indexed in SQLite ("schema.table": columns).
_INDEXED: Final = {
    "pg_catalog.pg_class": ("oid", "relname", "relnamespace"),
    "pg_catalog.pg_attribute": ("attrelid",),
    "pg_catalog.pg_type": ("oid", "typname", "typrelid", "typelem"),
    "pg_catalog.pg_namespace": ("oid",),
    "pg_catalog.pg_proc": ("oid", "proname"),
    "pg_catalog.pg_index": ("indrelid", "indexrelid"),
    "pg_catalog.pg_constraint": ("conrelid", "oid"),
    "pg_catalog.pg_attrdef": ("adrelid",),
    "pg_catalog.pg_description": ("objoid",),
    "pg_catalog.pg_inherits": ("inhrelid", "inhparent"),
    "pg_catalog.pg_range": ("rngtypid",),
    "pg_catalog.pg_collation": ("oid",),
    "pg_catalog.pg_am": ("oid",),
    "pg_catalog.pg_operator": ("oid",),
    "information_schema.columns": ("table_name",),
}


def sqlite_value(value: Any) -> Any:
    """A Python value as stored in SQLite (see the module docstring)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    return value


def _affinity(column_type: int, types: dict[int, dict[str, Any]]) -> str:
    if column_type in _INTEGER_TYPES:
        return "INTEGER"
    if column_type in _REAL_TYPES:
        return "REAL"
    if column_type == oids.NUMERIC:
        return "NUMERIC"
    name = types.get(column_type, {}).get("typname", "")
    return "INTEGER" if name.startswith("reg") else "TEXT"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def qualified(relation: RelationDef) -> str:
    return f"{relation.schema}.{_quote(relation.name)}"


def _create_schema(conn: sqlite3.Connection, data: BuiltinData) -> None:
    for schema in SCHEMAS:
        conn.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
    for relation in data.relations.values():
        columns = ", ".join(
            f"{_quote(column.name)} {_affinity(column.type_oid, data.types)}"
            for column in relation.columns
        )
        conn.execute(f"CREATE TABLE {qualified(relation)} ({columns})")
    conn.execute(
        "CREATE TABLE main.pg_get_keywords "
        "(word TEXT, catcode TEXT, barelabel INTEGER, catdesc TEXT, baredesc TEXT)"
    )
    for qualified_name, indexed in _INDEXED.items():
        schema, _, table = qualified_name.partition(".")
        for column in indexed:
            conn.execute(f"CREATE INDEX {schema}.{table}_{column} ON {table} ({column})")


def _keep(value: Any) -> Any:
    return value


def _converter(column_type: int, types: dict[int, dict[str, Any]]) -> Callable[[Any], Any]:
    """How values of a column of this type are stored (most are stored as they are)."""
    row = types.get(column_type, {})
    if column_type == oids.BOOL or row.get("typcategory") in ("A", "U") or column_type in (
        oids.INT2VECTOR, oids.OIDVECTOR, oids.JSON, oids.JSONB,
    ):  # fmt: skip
        return sqlite_value
    return _keep


def _insert(
    conn: sqlite3.Connection, relation: RelationDef, rows: Iterable[dict[str, Any]]
) -> None:
    types = load().types
    columns = [(c.name, _converter(c.type_oid, types)) for c in relation.columns]
    placeholders = ", ".join("?" * len(columns))
    conn.executemany(
        f"INSERT INTO {qualified(relation)} VALUES ({placeholders})",
        ([convert(row.get(name)) for name, convert in columns] for row in rows),
    )


def _initial_privileges(data: BuiltinData) -> Iterator[dict[str, Any]]:
    """``pg_init_privs`` as initdb leaves it: the ACL of every object of ``pg_catalog`` that
    has one (relations, their columns, functions), and of the schemas ``pg_catalog`` and
    ``public``.  pg_dump compares ACLs with these to leave built-in privileges out of a dump."""

    def entry(oid: int, classoid: int, subid: int, acl: Any) -> dict[str, Any]:
        return {"objoid": oid, "classoid": classoid, "objsubid": subid, "privtype": "i",
                "initprivs": acl}  # fmt: skip

    tables = data.tables
    catalog_relations = set()
    for rel in tables["pg_catalog.pg_class"].dicts():
        if rel["relnamespace"] == PG_CATALOG_OID and rel["relacl"] is not None:
            catalog_relations.add(rel["oid"])
            yield entry(rel["oid"], _PG_CLASS, 0, rel["relacl"])
    for att in tables["pg_catalog.pg_attribute"].dicts():
        if att["attrelid"] in catalog_relations and att["attacl"] is not None:
            yield entry(att["attrelid"], _PG_CLASS, att["attnum"], att["attacl"])
    for proc in tables["pg_catalog.pg_proc"].dicts():
        if proc["pronamespace"] == PG_CATALOG_OID and proc["proacl"] is not None:
            yield entry(proc["oid"], _PG_PROC, 0, proc["proacl"])
    for nsp in tables["pg_catalog.pg_namespace"].dicts():
        if nsp["nspname"] in ("pg_catalog", "public") and nsp["nspacl"] is not None:
            yield entry(nsp["oid"], _PG_NAMESPACE, 0, nsp["nspacl"])


def _build_template() -> sqlite3.Connection:
    data = load()
    conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
    _create_schema(conn, data)
    conn.execute("BEGIN")
    for name, table in data.tables.items():
        schema, _, relname = name.partition(".")
        _insert(conn, data.relations[schema, relname], table.dicts())
    if not data.tables.get("pg_catalog.pg_init_privs", _NO_ROWS).rows:
        _insert(conn, data.relations["pg_catalog", "pg_init_privs"], _initial_privileges(data))
    conn.executemany(
        "INSERT INTO main.pg_get_keywords VALUES (?, ?, ?, ?, ?)",
        [tuple(sqlite_value(value) for value in row) for row in data.keywords],
    )
    conn.execute("COMMIT")
    return conn


_images: dict[str, bytes] = {}
_images_lock = threading.Lock()


def _template_images() -> dict[str, bytes]:
    """Serialized ``main``, ``pg_catalog`` and ``information_schema`` of the template."""
    with _images_lock:
        if not _images:
            template = _build_template()
            for schema in ("main", *SCHEMAS):
                _images[schema] = template.serialize(name=schema)
            template.close()
        return _images


class Store:
    """One SQLite connection holding a full copy of the emulated catalogs."""

    def __init__(self) -> None:
        self.data = load()
        self.conn = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        for schema in SCHEMAS:
            self.conn.execute(f"ATTACH DATABASE ':memory:' AS {schema}")
        for schema, image in _template_images().items():
            self.conn.deserialize(image, name=schema)
        self.conn.execute("PRAGMA case_sensitive_like = ON")

    def relation(self, name: str) -> RelationDef:
        schema, _, relname = name.rpartition(".")
        return self.data.relations[schema or "pg_catalog", relname]

    def replace(self, name: str, rows: Iterable[dict[str, Any]], where: str = "") -> None:
        """Delete the rows of ``name`` matching ``where`` (all when empty), insert ``rows``."""
        relation = self.relation(name)
        self.conn.execute(
            f"DELETE FROM {qualified(relation)}" + (f" WHERE {where}" if where else "")
        )
        _insert(self.conn, relation, rows)
