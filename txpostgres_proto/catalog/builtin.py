"""PostgreSQL 15's built-in catalog contents, read once from ``data/pg15_catalog.json.gz``.

The data file is produced by ``data/generate.py`` from a freshly initdb'd PostgreSQL 15 (see its
docstring for the format).  This module turns it into Python structures: the rows of each
dumped catalog, and a :class:`RelationDef` for every relation of ``pg_catalog`` and
``information_schema`` (its OID, kind and columns with their types), which is what the SQLite
tables are created from and what the SQL compiler types column references with.

Domain-typed columns (``information_schema.sql_identifier`` and friends) are described with
their base type, because that is what PostgreSQL puts in RowDescription (printtup.c sends
``getBaseTypeAndTypmod`` of each column).
"""

from __future__ import annotations

import functools
import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

DATA_FILE: Final = Path(__file__).with_name("data") / "pg15_catalog.json.gz"

PG_CATALOG_OID: Final = 11
BOOTSTRAP_SUPERUSER_OID: Final = 10
FIRST_NORMAL_OID: Final = 16384


@dataclass(frozen=True, slots=True)
class ColumnDef:
    """One column of a relation, typed as RowDescription reports it."""

    name: str
    type_oid: int
    typmod: int
    attnum: int


@dataclass(frozen=True, slots=True)
class RelationDef:
    """A relation: where it lives, its OID and kind, and its user columns in attnum order."""

    schema: str
    name: str
    oid: int
    kind: str
    columns: tuple[ColumnDef, ...]


@dataclass(frozen=True, slots=True)
class TableData:
    """The dumped rows of one catalog, as lists in ``columns`` order."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]

    def dicts(self) -> Iterator[dict[str, Any]]:
        for row in self.rows:
            yield dict(zip(self.columns, row, strict=True))


@dataclass(frozen=True)
class BuiltinData:
    """Everything read from the data file."""

    server_version: str
    tables: dict[str, TableData]
    function_texts: dict[int, tuple[str, str, str]]
    keywords: tuple[tuple[str, str, bool, str, str], ...]
    show: dict[str, str]
    relations: dict[tuple[str, str], RelationDef]
    types: dict[int, dict[str, Any]]
    index_definitions: dict[int, str]
    constraint_definitions: dict[int, str]
    view_definitions: dict[int, str]

    def table(self, qualified: str) -> TableData:
        return self.tables[qualified]


def _base_type(types: dict[int, dict[str, Any]], oid: int, typmod: int) -> tuple[int, int]:
    row = types.get(oid)
    while row is not None and row["typtype"] == "d":
        if typmod == -1:
            typmod = row["typtypmod"]
        oid = row["typbasetype"]
        row = types.get(oid)
    return oid, typmod


def _relations(
    tables: dict[str, TableData], types: dict[int, dict[str, Any]]
) -> dict[tuple[str, str], RelationDef]:
    namespaces = {row["oid"]: row["nspname"] for row in tables["pg_catalog.pg_namespace"].dicts()}
    columns: dict[int, list[ColumnDef]] = {}
    for att in tables["pg_catalog.pg_attribute"].dicts():
        if att["attnum"] > 0 and not att["attisdropped"]:
            oid, typmod = _base_type(types, att["atttypid"], att["atttypmod"])
            column = ColumnDef(att["attname"], oid, typmod, att["attnum"])
            columns.setdefault(att["attrelid"], []).append(column)
    relations: dict[tuple[str, str], RelationDef] = {}
    for rel in tables["pg_catalog.pg_class"].dicts():
        if rel["relkind"] == "i":
            continue  # indexes are not queryable relations
        schema = namespaces[rel["relnamespace"]]
        cols = tuple(sorted(columns.get(rel["oid"], ()), key=lambda column: column.attnum))
        relations[schema, rel["relname"]] = RelationDef(
            schema, rel["relname"], rel["oid"], rel["relkind"], cols
        )
    return relations


@functools.cache
def load() -> BuiltinData:
    """Parse the data file (once per process)."""
    raw = json.loads(gzip.decompress(DATA_FILE.read_bytes()))
    tables = {
        name: TableData(tuple(body["columns"]), tuple(tuple(row) for row in body["rows"]))
        for name, body in raw["tables"].items()
    }
    types = {row["oid"]: row for row in tables["pg_catalog.pg_type"].dicts()}
    definitions = {
        kind: {int(oid): text for oid, text in texts.items()}
        for kind, texts in raw["definitions"].items()
    }
    return BuiltinData(
        server_version=raw["server_version"],
        tables=tables,
        function_texts={int(oid): tuple(texts) for oid, texts in raw["functions"].items()},
        keywords=tuple(tuple(row) for row in raw["keywords"]),
        show=raw["show"],
        relations=_relations(tables, types),
        types=types,
        index_definitions=definitions["index"],
        constraint_definitions=definitions["constraint"],
        view_definitions=definitions["view"],
    )
