"""Catalog rows for the application's objects and for the views PostgreSQL computes.

Two groups of rows, both plain dicts keyed by column name (missing columns are NULL):

* :func:`application_rows` — what ``CREATE TABLE`` would have written into the base catalogs
  (``pg_class``, ``pg_attribute``, ``pg_type`` row and array types, ``pg_index``,
  ``pg_constraint``, ``pg_attrdef``, ``pg_description``, ``pg_sequence``, ``pg_depend``,
  ``pg_namespace``) for each application relation, with the values a fresh PostgreSQL 15 table
  has (``relam`` heap, ``relreplident`` 'd', default operator classes and collations ...).
* :func:`builtin_view_rows` (once per catalog) and :func:`application_view_rows` (per
  ``set_tables``) — the contents of system views that PostgreSQL computes from the catalogs
  (``pg_tables``, ``pg_indexes``, ``pg_roles``, ``pg_database``, ``pg_stat_*_tables`` and the
  ``information_schema`` views: ``tables``, ``columns``, ``schemata``, ``table_constraints``,
  ``key_column_usage`` ...), over built-in and application relations alike, following the view
  definitions in PostgreSQL 15's ``system_views.sql`` and ``information_schema.sql``.

Session-dependent relations (``pg_settings``, ``pg_stat_activity``) are built per query by
:func:`settings_rows` and :func:`activity_row`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Any, Final

from txpostgres_proto.catalog.application import AppRelation
from txpostgres_proto.catalog.builtin import (
    BOOTSTRAP_SUPERUSER_OID,
    FIRST_NORMAL_OID,
    BuiltinData,
)
from txpostgres_proto.catalog.directory import PG_CLASS_OID, Directory
from txpostgres_proto.catalog.session import SessionInfo
from txpostgres_proto.types import oids

Row = dict[str, Any]
Rows = dict[str, list[Row]]

HEAP_AM: Final = 2
BTREE_AM: Final = 403
PG_DEFAULT_TABLESPACE: Final = 1663
PG_ATTRDEF_OID: Final = 2604
PG_CONSTRAINT_CLASS: Final = 2606
PG_INDEX_AM_COLLATION_DEFAULT: Final = 100
TABLE_ROW_TYPE: Final = 83  # pg_class's row type: template for application row types
TABLE_ARRAY_TYPE: Final = 210  # an array of a catalog row type: template for their arrays
_SYSTEM_COLUMNS: Final = (
    ("tableoid", oids.OID, -6),
    ("cmax", oids.CID, -5),
    ("xmax", oids.XID, -4),
    ("cmin", oids.CID, -3),
    ("xmin", oids.XID, -2),
    ("ctid", oids.TID, -1),
)
_INT_PRECISION: Final = {oids.INT2: 16, oids.INT4: 32, oids.INT8: 64}
_FLOAT_PRECISION: Final = {oids.FLOAT4: 24, oids.FLOAT8: 53}
_DATETIMES: Final = (oids.DATE, oids.TIME, oids.TIMETZ, oids.TIMESTAMP, oids.TIMESTAMPTZ)
_SEQUENCE_MAX: Final = {oids.INT2: 32767, oids.INT4: 2147483647, oids.INT8: 9223372036854775807}


def _class_row(oid: int, name: str, namespace: int, kind: str, **fields: Any) -> Row:
    storage = kind in ("r", "m", "i", "S", "t")
    row: Row = {
        "oid": oid,
        "relname": name,
        "relnamespace": namespace,
        "reltype": 0,
        "reloftype": 0,
        "relowner": BOOTSTRAP_SUPERUSER_OID,
        "relam": HEAP_AM if kind in ("r", "m", "S", "t") else 0,
        "relfilenode": oid if storage else 0,
        "reltablespace": 0,
        "relpages": 0,
        "reltuples": -1.0,
        "relallvisible": 0,
        "reltoastrelid": 0,
        "relhasindex": False,
        "relisshared": False,
        "relpersistence": "p",
        "relkind": kind,
        "relnatts": 0,
        "relchecks": 0,
        "relhasrules": kind == "v",
        "relhastriggers": False,
        "relhassubclass": False,
        "relrowsecurity": False,
        "relforcerowsecurity": False,
        "relispopulated": True,
        "relreplident": "d" if kind in ("r", "p") else "n",
        "relispartition": False,
        "relrewrite": 0,
        "relfrozenxid": "0" if not storage or kind == "i" else "716",
        "relminmxid": "0" if not storage or kind == "i" else "1",
        "relacl": None,
        "reloptions": None,
        "relpartbound": None,
    }
    row.update(fields)
    return row


def _attribute_row(
    builtin: BuiltinData,
    relid: int,
    attnum: int,
    name: str,
    type_oid: int,
    typmod: int,
    **fields: Any,
) -> Row:
    typ = builtin.types[type_oid]
    row: Row = {
        "attrelid": relid,
        "attname": name,
        "atttypid": type_oid,
        "attstattarget": -1 if attnum > 0 else 0,
        "attlen": typ["typlen"],
        "attnum": attnum,
        "attndims": 1 if typ["typcategory"] == "A" else 0,
        "attcacheoff": -1,
        "atttypmod": typmod,
        "attbyval": typ["typbyval"],
        "attalign": typ["typalign"],
        "attstorage": typ["typstorage"],
        "attcompression": "",
        "attnotnull": attnum < 0,
        "atthasdef": False,
        "atthasmissing": False,
        "attidentity": "",
        "attgenerated": "",
        "attisdropped": False,
        "attislocal": True,
        "attinhcount": 0,
        "attcollation": typ["typcollation"],
    }
    row.update(fields)
    return row


def _default_opclass(builtin: BuiltinData, type_oid: int) -> int:
    typ = builtin.types[type_oid]
    wanted = oids.ANYARRAY if typ["typcategory"] == "A" else type_oid
    if type_oid in (oids.VARCHAR,):
        wanted = oids.TEXT
    for row in builtin.table("pg_catalog.pg_opclass").dicts():
        if row["opcmethod"] == BTREE_AM and row["opcdefault"] and row["opcintype"] == wanted:
            return int(row["oid"])
    return 0


def _type_rows(builtin: BuiltinData, rel: AppRelation) -> list[Row]:
    row_type = dict(builtin.types[TABLE_ROW_TYPE])
    row_type.update(
        oid=rel.type_oid,
        typname=rel.name,
        typnamespace=rel.namespace_oid,
        typrelid=rel.oid,
        typarray=rel.array_type_oid,
    )
    array_type = dict(builtin.types[TABLE_ARRAY_TYPE])
    array_type.update(
        oid=rel.array_type_oid,
        typname="_" + rel.name,
        typnamespace=rel.namespace_oid,
        typelem=rel.type_oid,
    )
    return [row_type, array_type]


def application_type_rows(builtin: BuiltinData, relations: Iterable[AppRelation]) -> list[Row]:
    """``pg_type`` rows (row type and array type) of the application's tables and views."""
    return [row for rel in relations if rel.kind != "S" for row in _type_rows(builtin, rel)]


def application_rows(
    builtin: BuiltinData, relations: list[AppRelation], namespaces: dict[str, int]
) -> Rows:
    """Base-catalog rows for the application's relations."""
    rows: Rows = {
        name: []
        for name in (
            "pg_namespace", "pg_class", "pg_attribute", "pg_type", "pg_index", "pg_constraint",
            "pg_attrdef", "pg_description", "pg_sequence", "pg_depend",
        )
    }  # fmt: skip
    for name, oid in namespaces.items():
        if oid >= 16384:
            rows["pg_namespace"].append(
                {"oid": oid, "nspname": name, "nspowner": BOOTSTRAP_SUPERUSER_OID}
            )
    rows["pg_type"] = application_type_rows(builtin, relations)
    for rel in relations:
        _relation_rows(builtin, rel, rows)
    return rows


def _relation_rows(builtin: BuiltinData, rel: AppRelation, rows: Rows) -> None:
    rows["pg_class"].append(
        _class_row(
            rel.oid, rel.name, rel.namespace_oid, rel.kind,
            reltype=rel.type_oid,
            relnatts=len(rel.attributes),
            relhasindex=bool(rel.indexes),
        )
    )  # fmt: skip
    attributes = rows["pg_attribute"]
    for att in rel.attributes:
        attributes.append(
            _attribute_row(
                builtin, rel.oid, att.attnum, att.name, att.type_oid, att.typmod,
                attnotnull=att.not_null, atthasdef=att.default is not None,
            )
        )  # fmt: skip
        if att.default is not None:
            rows["pg_attrdef"].append(
                {"oid": att.default_oid, "adrelid": rel.oid, "adnum": att.attnum,
                 "adbin": att.default}
            )  # fmt: skip
        if att.comment:
            rows["pg_description"].append(
                {"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": att.attnum,
                 "description": att.comment}
            )  # fmt: skip
    if rel.kind != "v":
        for name, type_oid, attnum in _SYSTEM_COLUMNS:
            attributes.append(_attribute_row(builtin, rel.oid, attnum, name, type_oid, -1))
    if rel.comment:
        rows["pg_description"].append(
            {"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": 0,
             "description": rel.comment}
        )  # fmt: skip
    for index in rel.indexes:
        _index_rows(builtin, rel, index.oid, rows)
    for sequence in rel.sequences:
        rows["pg_class"].append(
            _class_row(sequence.oid, sequence.name, rel.namespace_oid, "S", relnatts=3)
        )
        for attnum, (name, type_oid) in enumerate(
            (("last_value", oids.INT8), ("log_cnt", oids.INT8), ("is_called", oids.BOOL)), 1
        ):
            attributes.append(
                _attribute_row(builtin, sequence.oid, attnum, name, type_oid, -1, attnotnull=True)
            )
        rows["pg_sequence"].append(
            {"seqrelid": sequence.oid, "seqtypid": sequence.type_oid, "seqstart": 1,
             "seqincrement": 1, "seqmax": _SEQUENCE_MAX.get(sequence.type_oid, 2**63 - 1),
             "seqmin": 1, "seqcache": 1, "seqcycle": False}
        )  # fmt: skip
        if sequence.owner_attnum:
            rows["pg_depend"].append(
                {"classid": PG_CLASS_OID, "objid": sequence.oid, "objsubid": 0,
                 "refclassid": PG_CLASS_OID, "refobjid": rel.oid,
                 "refobjsubid": sequence.owner_attnum, "deptype": "a"}
            )  # fmt: skip


def _index_rows(builtin: BuiltinData, rel: AppRelation, index_oid: int, rows: Rows) -> None:
    index = next(index for index in rel.indexes if index.oid == index_oid)
    atts = {att.attnum: att for att in rel.attributes}
    rows["pg_class"].append(
        _class_row(
            index.oid, index.name, rel.namespace_oid, "i",
            relam=BTREE_AM, relnatts=len(index.attnums),
        )
    )  # fmt: skip
    for position, attnum in enumerate(index.attnums, start=1):
        att = atts[attnum]
        rows["pg_attribute"].append(
            _attribute_row(builtin, index.oid, position, att.name, att.type_oid, att.typmod)
        )
    types = [atts[attnum].type_oid for attnum in index.attnums]
    rows["pg_index"].append(
        {
            "indexrelid": index.oid,
            "indrelid": rel.oid,
            "indnatts": len(index.attnums),
            "indnkeyatts": len(index.attnums),
            "indisunique": index.unique,
            "indnullsnotdistinct": False,
            "indisprimary": index.primary,
            "indisexclusion": False,
            "indimmediate": True,
            "indisclustered": False,
            "indisvalid": True,
            "indcheckxmin": False,
            "indisready": True,
            "indislive": True,
            "indisreplident": False,
            "indkey": list(index.attnums),
            "indcollation": [builtin.types[oid]["typcollation"] for oid in types],
            "indclass": [_default_opclass(builtin, oid) for oid in types],
            "indoption": [0] * len(types),
            "indexprs": None,
            "indpred": None,
        }
    )
    if index.constraint_oid:
        rows["pg_constraint"].append(
            {
                "oid": index.constraint_oid,
                "conname": index.name,
                "connamespace": rel.namespace_oid,
                "contype": "p" if index.primary else "u",
                "condeferrable": False,
                "condeferred": False,
                "convalidated": True,
                "conrelid": rel.oid,
                "contypid": 0,
                "conindid": index.oid,
                "conparentid": 0,
                "confrelid": 0,
                "confupdtype": " ",
                "confdeltype": " ",
                "confmatchtype": " ",
                "conislocal": True,
                "coninhcount": 0,
                "connoinherit": True,
                "conkey": list(index.attnums),
            }
        )


# -- views ---------------------------------------------------------------------------------


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


class _Relations:
    """The relations one call of :func:`view_rows` covers, with their columns."""

    def __init__(
        self,
        directory: Directory,
        apps: list[AppRelation],
        classes: Iterable[Row],
        attributes: Iterable[Row],
        defaults: Iterable[Row],
    ):
        self.directory = directory
        self.apps = {rel.oid: rel for rel in apps}
        self.classes = list(classes)
        self.attributes: dict[int, list[Row]] = {}
        for att in attributes:
            if att["attnum"] > 0:
                self.attributes.setdefault(att["attrelid"], []).append(att)
        self.defaults = {(row["adrelid"], row["adnum"]): row["adbin"] for row in defaults}
        self.namespaces = {
            oid: name
            for oid, name in directory.namespaces.items()
            if (oid >= FIRST_NORMAL_OID) == bool(apps)
        }

    def schema(self, namespace: int) -> str:
        return self.directory.namespaces.get(namespace, "?")

    def owner(self, row: Row) -> str:
        return self.directory.role_name(row["relowner"])


def _column_facts(directory: Directory, type_oid: int, typmod: int) -> Row:
    """information_schema's data_type and length/precision columns for one type."""
    types = directory.types
    typ = types[type_oid]
    domain: Row = {}
    if typ["typtype"] == "d":
        domain = {"domain_schema": directory.namespaces.get(typ["typnamespace"]),
                  "domain_name": typ["typname"]}  # fmt: skip
        if typmod == -1:
            typmod = typ["typtypmod"]
        type_oid = typ["typbasetype"]
        typ = types[type_oid]
    if typ["typcategory"] == "A":
        data_type = "ARRAY"
    elif typ["typtype"] in ("c", "e", "r", "m") or typ["typnamespace"] != 11:
        data_type = "USER-DEFINED"
    else:
        data_type = directory.format_type(type_oid, None, [11])
    facts: Row = {
        "data_type": data_type,
        "udt_schema": directory.namespaces.get(typ["typnamespace"]),
        "udt_name": typ["typname"],
        **domain,
    }
    if type_oid in (oids.VARCHAR, oids.BPCHAR, oids.TEXT):
        length = typmod - 4 if typmod >= 0 else None
        facts["character_maximum_length"] = length
        facts["character_octet_length"] = length * 4 if length is not None else 1073741824
    if type_oid in _INT_PRECISION:
        facts.update(numeric_precision=_INT_PRECISION[type_oid], numeric_precision_radix=2,
                     numeric_scale=0)  # fmt: skip
    elif type_oid in _FLOAT_PRECISION:
        facts.update(numeric_precision=_FLOAT_PRECISION[type_oid], numeric_precision_radix=2)
    elif type_oid == oids.NUMERIC:
        facts["numeric_precision_radix"] = 10
        if typmod >= 4:
            facts["numeric_precision"] = (typmod - 4) >> 16
            facts["numeric_scale"] = (typmod - 4) & 0xFFFF
    if type_oid in _DATETIMES:
        facts["datetime_precision"] = 0 if type_oid == oids.DATE else (typmod if typmod >= 0 else 6)
    elif type_oid == oids.INTERVAL:
        facts["datetime_precision"] = typmod & 0xFFFF if typmod >= 0 else 6
    if typ["typcollation"] and typ["typcollation"] != PG_INDEX_AM_COLLATION_DEFAULT:
        facts.update(collation_schema="pg_catalog", collation_name="C")
    return facts


def _information_schema(rels: _Relations, database: str) -> Rows:
    directory = rels.directory
    tables: list[Row] = []
    columns: list[Row] = []
    views: list[Row] = []
    constraints: list[Row] = []
    key_columns: list[Row] = []
    constraint_columns: list[Row] = []
    constraint_tables: list[Row] = []
    sequences: list[Row] = []
    for cls in rels.classes:
        kind, schema, name = cls["relkind"], rels.schema(cls["relnamespace"]), cls["relname"]
        base = {"table_catalog": database, "table_schema": schema, "table_name": name}
        app = rels.apps.get(cls["oid"])
        if kind == "S":
            typ = next(s.type_oid for a in rels.apps.values() for s in a.sequences
                       if s.oid == cls["oid"])  # fmt: skip
            sequences.append(
                {"sequence_catalog": database, "sequence_schema": schema,
                 "sequence_name": name,
                 "data_type": directory.format_type(typ, None, [11]),
                 "numeric_precision": _INT_PRECISION.get(typ, 64), "numeric_precision_radix": 2,
                 "numeric_scale": 0, "start_value": "1", "minimum_value": "1",
                 "maximum_value": str(_SEQUENCE_MAX.get(typ, 2**63 - 1)), "increment": "1",
                 "cycle_option": "NO"}
            )  # fmt: skip
        if kind not in ("r", "v", "f", "p"):
            continue
        updatable = kind in ("r", "p", "f")
        tables.append(
            {**base, "table_type": {"r": "BASE TABLE", "p": "BASE TABLE", "v": "VIEW",
                                    "f": "FOREIGN"}[kind],
             "is_insertable_into": _yes(updatable), "is_typed": "NO"}
        )  # fmt: skip
        if kind == "v":
            views.append(
                {**base, "view_definition": app.definition if app else None,
                 "check_option": "NONE", "is_updatable": "NO", "is_insertable_into": "NO",
                 "is_trigger_updatable": "NO", "is_trigger_deletable": "NO",
                 "is_trigger_insertable_into": "NO"}
            )  # fmt: skip
        for att in rels.attributes.get(cls["oid"], ()):
            columns.append(
                {**base, "column_name": att["attname"], "ordinal_position": att["attnum"],
                 "column_default": rels.defaults.get((cls["oid"], att["attnum"])),
                 "is_nullable": _yes(not att["attnotnull"]), "udt_catalog": database,
                 "dtd_identifier": str(att["attnum"]), "is_self_referencing": "NO",
                 "is_identity": "NO", "identity_cycle": "NO", "is_generated": "NEVER",
                 "is_updatable": _yes(updatable),
                 **_column_facts(directory, att["atttypid"], att["atttypmod"])}
            )  # fmt: skip
            if att["attnotnull"] and app is not None:
                constraints.append(
                    {"constraint_catalog": database, "constraint_schema": schema,
                     "constraint_name": f"{cls['relnamespace']}_{cls['oid']}_{att['attnum']}"
                     "_not_null", **base, "constraint_type": "CHECK", "is_deferrable": "NO",
                     "initially_deferred": "NO", "enforced": "YES", "nulls_distinct": None}
                )  # fmt: skip
        for index in app.indexes if app else ():
            if not index.constraint_oid:
                continue
            named = {"constraint_catalog": database, "constraint_schema": schema,
                     "constraint_name": index.name}  # fmt: skip
            constraints.append(
                {**named, **base,
                 "constraint_type": "PRIMARY KEY" if index.primary else "UNIQUE",
                 "is_deferrable": "NO", "initially_deferred": "NO", "enforced": "YES",
                 "nulls_distinct": None if index.primary else "YES"}
            )  # fmt: skip
            constraint_tables.append({**base, **named})
            for position, column in enumerate(index.columns, start=1):
                key_columns.append({**named, **base, "column_name": column,
                                    "ordinal_position": position})  # fmt: skip
                constraint_columns.append({**base, "column_name": column, **named})
    schemata = [
        {"catalog_name": database, "schema_name": name,
         "schema_owner": directory.role_name(BOOTSTRAP_SUPERUSER_OID if oid != 2200 else 6171)}
        for oid, name in sorted(rels.namespaces.items())
    ]  # fmt: skip
    rows = {
        "information_schema.tables": tables,
        "information_schema.columns": columns,
        "information_schema.views": views,
        "information_schema.schemata": schemata,
        "information_schema.table_constraints": constraints,
        "information_schema.key_column_usage": key_columns,
        "information_schema.constraint_column_usage": constraint_columns,
        "information_schema.constraint_table_usage": constraint_tables,
        "information_schema.sequences": sequences,
    }
    if rels.apps:
        return rows
    return {
        **rows,
        "information_schema.information_schema_catalog_name": [{"catalog_name": database}],
        "information_schema.character_sets": [
            {
                "character_set_name": "UTF8",
                "character_repertoire": "UCS",
                "form_of_use": "UTF8",
                "default_collate_catalog": database,
                "default_collate_schema": "pg_catalog",
                "default_collate_name": "C.UTF-8",
            }
        ],  # fmt: skip
        "information_schema.enabled_roles": [
            {"role_name": name} for name in directory.roles.values()
        ],
    }


def _system_views(rels: _Relations) -> Rows:
    directory = rels.directory
    tables, views, matviews, indexes, sequences, stats, io = [], [], [], [], [], [], []
    for cls in rels.classes:
        kind, schema, name = cls["relkind"], rels.schema(cls["relnamespace"]), cls["relname"]
        app = rels.apps.get(cls["oid"])
        owner = rels.owner(cls)
        has_indexes = bool(app.indexes) if app else kind == "r"
        if kind in ("r", "p"):
            tables.append(
                {"schemaname": schema, "tablename": name, "tableowner": owner,
                 "hasindexes": has_indexes, "hasrules": False, "hastriggers": False,
                 "rowsecurity": False}
            )  # fmt: skip
        elif kind == "v":
            views.append({"schemaname": schema, "viewname": name, "viewowner": owner,
                          "definition": app.definition if app else None})  # fmt: skip
        elif kind == "m":
            matviews.append(
                {"schemaname": schema, "matviewname": name, "matviewowner": owner,
                 "hasindexes": has_indexes, "ispopulated": True,
                 "definition": app.definition if app else None}
            )  # fmt: skip
        if kind in ("r", "m", "p") and app is not None:
            stats.append({"relid": cls["oid"], "schemaname": schema, "relname": name})
            io.append({"relid": cls["oid"], "schemaname": schema, "relname": name})
        for index in app.indexes if app else ():
            indexes.append(
                {"schemaname": schema, "tablename": name, "indexname": index.name,
                 "indexdef": directory.index_definition(index.oid, 0)}
            )  # fmt: skip
        for sequence in app.sequences if app else ():
            sequences.append(
                {"schemaname": schema, "sequencename": sequence.name, "sequenceowner": owner,
                 "data_type": sequence.type_oid, "start_value": 1, "min_value": 1,
                 "max_value": _SEQUENCE_MAX.get(sequence.type_oid, 2**63 - 1),
                 "increment_by": 1, "cycle": False, "cache_size": 1, "last_value": None}
            )  # fmt: skip
    return {
        "pg_catalog.pg_tables": tables,
        "pg_catalog.pg_views": views,
        "pg_catalog.pg_matviews": matviews,
        "pg_catalog.pg_indexes": indexes,
        "pg_catalog.pg_sequences": sequences,
        "pg_catalog.pg_stat_user_tables": stats,
        "pg_catalog.pg_stat_all_tables": stats,
        "pg_catalog.pg_statio_user_tables": io,
        "pg_catalog.pg_statio_all_tables": io,
    }


def role_rows(builtin: BuiltinData, directory: Directory) -> Rows:
    """``pg_authid``, ``pg_roles``, ``pg_user``, ``pg_shadow`` for every known role.

    The built-in predefined roles keep their flags; the bootstrap superuser and every session
    user the catalog has seen are login superusers (the emulated server has no privileges).
    """
    predefined = {row["oid"]: row for row in builtin.table("pg_catalog.pg_authid").dicts()}
    authid: list[Row] = []
    for oid, name in sorted(directory.roles.items()):
        row = dict(predefined.get(oid) or predefined[BOOTSTRAP_SUPERUSER_OID])
        row.update(oid=oid, rolname=name)
        authid.append(row)
    roles = [
        {**{key: value for key, value in row.items() if key != "rolpassword"},
         "rolpassword": "********"}
        for row in authid
    ]  # fmt: skip
    users = [
        {"usename": row["rolname"], "usesysid": row["oid"], "usecreatedb": row["rolcreatedb"],
         "usesuper": row["rolsuper"], "userepl": row["rolreplication"],
         "usebypassrls": row["rolbypassrls"], "passwd": "********"}
        for row in authid
        if row["rolcanlogin"]
    ]  # fmt: skip
    return {
        "pg_catalog.pg_authid": authid,
        "pg_catalog.pg_roles": roles,
        "pg_catalog.pg_user": users,
        "pg_catalog.pg_shadow": [{**user, "passwd": None} for user in users],
    }


def database_rows(directory: Directory) -> Rows:
    """``pg_database``: one row per database name the catalog serves."""
    return {
        "pg_catalog.pg_database": [
            {"oid": oid, "datname": name, "datdba": BOOTSTRAP_SUPERUSER_OID, "encoding": 6,
             "datlocprovider": "c", "datistemplate": False, "datallowconn": True,
             "datconnlimit": -1, "datfrozenxid": "716", "datminmxid": "1",
             "dattablespace": PG_DEFAULT_TABLESPACE, "datcollate": "C.UTF-8",
             "datctype": "C.UTF-8"}
            for name, oid in sorted(directory.databases.items())
        ]
    }  # fmt: skip


#: Computed views that hold rows of application objects, and the predicate selecting them.
VIEW_APPLICATION_ROWS: Final = {
    "pg_catalog.pg_tables": "schemaname NOT IN ('pg_catalog', 'information_schema')",
    "pg_catalog.pg_views": "schemaname NOT IN ('pg_catalog', 'information_schema')",
    "pg_catalog.pg_matviews": "",
    "pg_catalog.pg_indexes": "",
    "pg_catalog.pg_sequences": "",
    "pg_catalog.pg_stat_user_tables": "",
    "pg_catalog.pg_stat_all_tables": "",
    "pg_catalog.pg_statio_user_tables": "",
    "pg_catalog.pg_statio_all_tables": "",
    **{
        f"information_schema.{name}": "table_schema NOT IN ('pg_catalog', 'information_schema')"
        for name in (
            "tables",
            "columns",
            "views",
            "table_constraints",
            "key_column_usage",
            "constraint_column_usage",
            "constraint_table_usage",
        )
    },  # fmt: skip
    "information_schema.sequences": "",
    "information_schema.schemata": "schema_name NOT IN "
    "('pg_catalog', 'pg_toast', 'public', 'information_schema')",
}


def builtin_view_rows(builtin: BuiltinData, directory: Directory, database: str) -> Rows:
    """Computed views over the built-in relations (plus roles and databases)."""
    rels = _Relations(
        directory,
        [],
        builtin.table("pg_catalog.pg_class").dicts(),
        builtin.table("pg_catalog.pg_attribute").dicts(),
        (),
    )
    rows = _system_views(rels)
    rows.update(_information_schema(rels, database))
    rows.update(role_rows(builtin, directory))
    rows.update(database_rows(directory))
    return rows


def application_view_rows(
    apps: list[AppRelation], app_rows: Rows, directory: Directory, database: str
) -> Rows:
    """Computed views' rows for the application's relations (see VIEW_APPLICATION_ROWS)."""
    if not apps:
        return {name: [] for name in VIEW_APPLICATION_ROWS}
    rels = _Relations(
        directory, apps, app_rows["pg_class"], app_rows["pg_attribute"], app_rows["pg_attrdef"]
    )
    rows = _system_views(rels)
    rows.update(_information_schema(rels, database))
    return rows


def settings_rows(builtin: BuiltinData, values: dict[str, str]) -> Iterator[Row]:
    """``pg_settings`` with the session's values; unknown names become custom options."""
    known = set()
    for row in builtin.table("pg_catalog.pg_settings").dicts():
        known.add(row["name"].lower())
        value = values.get(row["name"].lower())
        if value is not None and row["unit"] is None:
            row = {**row, "setting": value, "source": "session"}
        yield row
    for name, value in values.items():
        if name not in known:
            yield {"name": name, "setting": value, "category": "Customized Options",
                   "short_desc": "", "context": "user", "vartype": "string",
                   "source": "session", "pending_restart": False}  # fmt: skip


def activity_row(
    directory: Directory,
    session: SessionInfo,
    application_name: str,
    started: datetime.datetime,
    now: datetime.datetime,
    query: str,
) -> Row:
    """``pg_stat_activity``'s row for the session running ``query``."""
    user_oid = next((oid for oid, name in directory.roles.items() if name == session.user), 0)
    return {
        "datid": directory.databases.get(session.database),
        "datname": session.database,
        "pid": session.backend_pid,
        "usesysid": user_oid,
        "usename": session.user,
        "application_name": application_name,
        "backend_start": started.isoformat(sep=" "),
        "xact_start": now.isoformat(sep=" "),
        "query_start": now.isoformat(sep=" "),
        "state_change": now.isoformat(sep=" "),
        "state": "active",
        "query": query,
        "backend_type": "client backend",
    }
