"""What ``CREATE TYPE``/``CREATE DOMAIN``/``CREATE TABLE`` would have written into the base
catalogs for the application.

:func:`application_rows` turns laid-out application types and relations (``application.py``)
into rows of ``pg_namespace``, ``pg_type`` (enums and domains with their array types, tables'
row and array types), ``pg_enum``, ``pg_class`` (tables, views, their indexes, and the
sequences), ``pg_attribute`` (including the system columns), ``pg_index``, ``pg_constraint``
(primary keys, UNIQUE constraints, foreign keys, domain CHECK constraints), ``pg_attrdef``,
``pg_description``, ``pg_sequence`` (each sequence's options) and ``pg_depend`` (a column
default on the sequence it draws from, an owned sequence on its column), with the values a
fresh PostgreSQL 15 object has (``relam`` heap, ``relreplident`` 'd', default btree operator
classes, the type's collation, an enum's ``enum_in``/``enum_out`` functions, a domain's
base-type storage ...).
Rows are dicts keyed by column name; missing columns are NULL.
"""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Iterable, Mapping
from typing import Any, Final

from txpostgres_proto.catalog.application import (
    AppAttribute,
    AppCheck,
    AppForeignKey,
    AppRelation,
    AppSequence,
    AppType,
)
from txpostgres_proto.catalog.builtin import BOOTSTRAP_SUPERUSER_OID, BuiltinData
from txpostgres_proto.catalog.directory import PG_CLASS_OID, PG_TYPE_OID
from txpostgres_proto.catalog.viewsql import referenced_relations
from txpostgres_proto.types import oids

Row = dict[str, Any]
Rows = dict[str, list[Row]]
Types = Mapping[int, Row]

PG_ATTRDEF_OID: Final = 2604
PG_CONSTRAINT_OID: Final = 2606
PG_REWRITE_OID: Final = 2618
HEAP_AM: Final = 2
BTREE_AM: Final = 403
TABLE_ROW_TYPE: Final = 83  # pg_class's row type: template for application row types
TABLE_ARRAY_TYPE: Final = 210  # an array of a catalog row type: template for their arrays
ANYENUM: Final = 3500
_ENUM_FUNCTIONS: Final = {"typinput": 3506, "typoutput": 3507, "typreceive": 3532, "typsend": 3533}
_DOMAIN_FUNCTIONS: Final = {"typinput": 2597, "typreceive": 2598}
_SYSTEM_COLUMNS: Final = (
    ("tableoid", oids.OID, -6),
    ("cmax", oids.CID, -5),
    ("xmax", oids.XID, -4),
    ("cmin", oids.CID, -3),
    ("xmin", oids.XID, -2),
    ("ctid", oids.TID, -1),
)


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
    types: Types,
    relid: int,
    attnum: int,
    name: str,
    type_oid: int,
    typmod: int,
    **fields: Any,
) -> Row:
    typ = types[type_oid]
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


def _default_opclass(builtin: BuiltinData, types: Types, type_oid: int) -> int:
    typ = types[type_oid]
    if typ["typtype"] == "d":
        type_oid, typ = typ["typbasetype"], types[typ["typbasetype"]]
    wanted = oids.ANYARRAY if typ["typcategory"] == "A" else type_oid
    if typ["typtype"] == "e":
        wanted = ANYENUM
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


def _user_type_rows(builtin: BuiltinData, user_type: AppType) -> list[Row]:
    """The ``pg_type`` rows of an enum or domain and of its array type."""
    if user_type.kind == "e":
        row: Row = {
            "typlen": 4, "typbyval": True, "typcategory": "E", "typispreferred": False,
            "typisdefined": True, "typdelim": ",", "typrelid": 0, "typsubscript": 0,
            "typelem": 0, "typmodin": 0, "typmodout": 0, "typanalyze": 0, "typalign": "i",
            "typstorage": "p", "typnotnull": False, "typbasetype": 0, "typtypmod": -1,
            "typndims": 0, "typcollation": 0, "typdefaultbin": None, "typdefault": None,
            "typacl": None, **_ENUM_FUNCTIONS,
        }  # fmt: skip
    else:
        row = dict(builtin.types[user_type.base_oid])
        row.update(
            typispreferred=False, typrelid=0, typsubscript=0, typelem=0, typmodin=0,
            typmodout=0, typanalyze=0, typnotnull=user_type.not_null,
            typbasetype=user_type.base_oid, typtypmod=user_type.base_typmod,
            typdefault=user_type.default, typdefaultbin=user_type.default,
            **_DOMAIN_FUNCTIONS,
        )  # fmt: skip
    row.update(
        oid=user_type.oid,
        typname=user_type.name,
        typnamespace=user_type.namespace_oid,
        typowner=BOOTSTRAP_SUPERUSER_OID,
        typtype=user_type.kind,
        typarray=user_type.array_oid,
    )
    array_type = dict(builtin.types[oids.INT4_ARRAY])
    array_type.update(
        oid=user_type.array_oid,
        typname="_" + user_type.name,
        typnamespace=user_type.namespace_oid,
        typelem=user_type.oid,
        typalign=row["typalign"],
        typcollation=row["typcollation"],
    )
    return [row, array_type]


def application_type_rows(
    builtin: BuiltinData, relations: Iterable[AppRelation], types: Iterable[AppType] = ()
) -> list[Row]:
    """``pg_type`` rows of the application's types (enums, domains and their arrays) and of
    its tables and views (row type and array type)."""
    return [row for user_type in types for row in _user_type_rows(builtin, user_type)] + [
        row for rel in relations if rel.kind != "S" for row in _type_rows(builtin, rel)
    ]


def _user_type_extras(user_type: AppType, rows: Rows) -> None:
    """``pg_enum``, ``pg_constraint`` and ``pg_description`` rows of an enum or domain."""
    for position, (oid, label) in enumerate(user_type.labels, start=1):
        rows["pg_enum"].append(
            {"oid": oid, "enumtypid": user_type.oid, "enumsortorder": float(position),
             "enumlabel": label}
        )  # fmt: skip
    if user_type.check is not None:
        rows["pg_constraint"].append(
            {"oid": user_type.check_oid, "conname": user_type.check_name,
             "connamespace": user_type.namespace_oid, "contype": "c", "condeferrable": False,
             "condeferred": False, "convalidated": True, "conrelid": 0,
             "contypid": user_type.oid, "conindid": 0, "conparentid": 0, "confrelid": 0,
             "confupdtype": " ", "confdeltype": " ", "confmatchtype": " ", "conislocal": True,
             "coninhcount": 0, "connoinherit": False, "conkey": None,
             "conbin": f"({user_type.check})"}
        )  # fmt: skip
    if user_type.comment:
        rows["pg_description"].append(
            {"objoid": user_type.oid, "classoid": PG_TYPE_OID, "objsubid": 0,
             "description": user_type.comment}
        )  # fmt: skip


def type_lookup(builtin: BuiltinData, type_rows: Iterable[Row]) -> Types:
    """``pg_type`` rows by OID: the application's over the built-in ones."""
    return ChainMap({row["oid"]: row for row in type_rows}, builtin.types)


def application_rows(
    builtin: BuiltinData,
    relations: list[AppRelation],
    namespaces: dict[str, int],
    types: Iterable[AppType] = (),
    sequences: Iterable[AppSequence] = (),
) -> Rows:
    """Base-catalog rows for the application's types, relations and sequences."""
    rows: Rows = {
        name: []
        for name in (
            "pg_namespace", "pg_class", "pg_attribute", "pg_type", "pg_enum", "pg_index",
            "pg_constraint", "pg_attrdef", "pg_description", "pg_sequence", "pg_depend",
            "pg_rewrite",
        )
    }  # fmt: skip
    for name, oid in namespaces.items():
        if oid >= 16384:
            rows["pg_namespace"].append(
                {"oid": oid, "nspname": name, "nspowner": BOOTSTRAP_SUPERUSER_OID}
            )
    types = list(types)
    rows["pg_type"] = application_type_rows(builtin, relations, types)
    for user_type in types:
        _user_type_extras(user_type, rows)
    lookup = type_lookup(builtin, rows["pg_type"])
    # Foreign keys are enforced by triggers on both tables: relhastriggers is what tells psql
    # to list "Foreign-key constraints" and "Referenced by".
    with_triggers = {key.ref_oid for rel in relations for key in rel.foreign_keys}
    with_triggers.update(rel.oid for rel in relations if rel.foreign_keys)
    sequences = list(sequences)
    known = {sequence.oid for sequence in sequences}
    for rel in relations:
        _relation_rows(builtin, lookup, rel, rows, rel.oid in with_triggers, known)
    for sequence in sequences:
        _sequence_rows(lookup, sequence, rows)
    by_name = {(rel.schema, rel.name): rel.oid for rel in relations}
    for rel in relations:
        if rel.rule_oid:
            _view_rule_rows(builtin, by_name, rel, rows)
    return rows


def _view_rule_rows(
    builtin: BuiltinData, by_name: dict[tuple[str, str], int], view: AppRelation, rows: Rows
) -> None:
    """A view's ``_RETURN`` rule and what it depends on: the view (internal) and each relation
    its SQL reads (normal), found on the default search path (``pg_catalog``, ``public``)."""
    rows["pg_rewrite"].append(
        {"oid": view.rule_oid, "rulename": "_RETURN", "ev_class": view.oid, "ev_type": "1",
         "ev_enabled": "O", "is_instead": True, "ev_qual": "<>", "ev_action": view.definition}
    )  # fmt: skip
    base = {"classid": PG_REWRITE_OID, "objid": view.rule_oid, "objsubid": 0,
            "refclassid": PG_CLASS_OID, "refobjsubid": 0}  # fmt: skip
    rows["pg_depend"].append({**base, "refobjid": view.oid, "deptype": "i"})
    read: list[int] = []
    for schema, name in referenced_relations(view.definition or ""):
        candidates = [schema] if schema is not None else ["pg_catalog", "public"]
        for candidate in candidates:
            oid = by_name.get((candidate, name))
            if oid is None and (candidate, name) in builtin.relations:
                oid = builtin.relations[candidate, name].oid
            if oid is not None:
                if oid != view.oid and oid not in read:
                    read.append(oid)
                break
    rows["pg_depend"].extend({**base, "refobjid": oid, "deptype": "n"} for oid in read)


def _default_dependencies(
    rel: AppRelation, att: AppAttribute, depend: list[Row], sequences: set[int]
) -> None:
    """A column default depends on its column (auto) and on the sequence it draws from
    (normal): pg_dump sees the loop table -> default -> sequence -> table this makes and
    writes such defaults as a separate ``ALTER TABLE ... SET DEFAULT``, as for PostgreSQL."""
    base = {"classid": PG_ATTRDEF_OID, "objid": att.default_oid, "objsubid": 0,
            "refclassid": PG_CLASS_OID}  # fmt: skip
    depend.append({**base, "refobjid": rel.oid, "refobjsubid": att.attnum, "deptype": "a"})
    if att.sequence_oid in sequences:
        depend.append({**base, "refobjid": att.sequence_oid, "refobjsubid": 0, "deptype": "n"})


def _relation_rows(
    builtin: BuiltinData,
    types: Types,
    rel: AppRelation,
    rows: Rows,
    has_triggers: bool,
    sequences: set[int],
) -> None:
    rows["pg_class"].append(
        _class_row(
            rel.oid, rel.name, rel.namespace_oid, rel.kind,
            reltype=rel.type_oid,
            relnatts=len(rel.attributes),
            relhasindex=bool(rel.indexes),
            relhastriggers=has_triggers,
            relchecks=len(rel.checks),
        )
    )  # fmt: skip
    attributes = rows["pg_attribute"]
    for att in rel.attributes:
        attributes.append(
            _attribute_row(
                types, rel.oid, att.attnum, att.name, att.type_oid, att.typmod,
                attnotnull=att.not_null, atthasdef=att.default is not None,
                attidentity=att.identity,
            )
        )  # fmt: skip
        if att.default is not None:
            rows["pg_attrdef"].append(
                {"oid": att.default_oid, "adrelid": rel.oid, "adnum": att.attnum,
                 "adbin": att.default}
            )  # fmt: skip
            _default_dependencies(rel, att, rows["pg_depend"], sequences)
        if att.comment:
            rows["pg_description"].append(
                {"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": att.attnum,
                 "description": att.comment}
            )  # fmt: skip
    if rel.kind != "v":
        for name, type_oid, attnum in _SYSTEM_COLUMNS:
            attributes.append(_attribute_row(types, rel.oid, attnum, name, type_oid, -1))
    if rel.comment:
        rows["pg_description"].append(
            {"objoid": rel.oid, "classoid": PG_CLASS_OID, "objsubid": 0,
             "description": rel.comment}
        )  # fmt: skip
    for index in rel.indexes:
        _index_rows(builtin, types, rel, index.oid, rows)
    for key in rel.foreign_keys:
        rows["pg_constraint"].append(_foreign_key_row(rel, key))
    for check in rel.checks:
        rows["pg_constraint"].append(_check_row(rel, check))
        rows["pg_depend"].extend(
            {"classid": PG_CONSTRAINT_OID, "objid": check.oid, "objsubid": 0,
             "refclassid": PG_CLASS_OID, "refobjid": rel.oid, "refobjsubid": attnum,
             "deptype": "a"}
            for attnum in check.attnums or (0,)
        )  # fmt: skip


def _sequence_rows(types: Types, sequence: AppSequence, rows: Rows) -> None:
    """A sequence's ``pg_class`` row (relkind 'S', the three columns of its one row), its
    ``pg_sequence`` row with its options, and the dependency on its owning column that
    ``OWNED BY`` (or ``serial``) records, auto ('a'), or internal ('i') for an identity
    column's, which psql's "Owned by:"/"Sequence for identity column:" and pg_dump read."""
    rows["pg_class"].append(
        _class_row(sequence.oid, sequence.name, sequence.namespace_oid, "S", relnatts=3)
    )
    for attnum, (name, type_oid) in enumerate(
        (("last_value", oids.INT8), ("log_cnt", oids.INT8), ("is_called", oids.BOOL)), 1
    ):
        rows["pg_attribute"].append(
            _attribute_row(types, sequence.oid, attnum, name, type_oid, -1, attnotnull=True)
        )
    rows["pg_sequence"].append(
        {"seqrelid": sequence.oid, "seqtypid": sequence.type_oid, "seqstart": sequence.start,
         "seqincrement": sequence.increment, "seqmax": sequence.max_value,
         "seqmin": sequence.min_value, "seqcache": sequence.cache, "seqcycle": sequence.cycle}
    )  # fmt: skip
    if sequence.owner_oid:
        rows["pg_depend"].append(
            {"classid": PG_CLASS_OID, "objid": sequence.oid, "objsubid": 0,
             "refclassid": PG_CLASS_OID, "refobjid": sequence.owner_oid,
             "refobjsubid": sequence.owner_attnum,
             "deptype": "i" if sequence.identity else "a"}
        )  # fmt: skip


def _index_rows(
    builtin: BuiltinData, types: Types, rel: AppRelation, index_oid: int, rows: Rows
) -> None:
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
            _attribute_row(types, index.oid, position, att.name, att.type_oid, att.typmod)
        )
    key_types = [atts[attnum].type_oid for attnum in index.attnums]
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
            "indcollation": [types[oid]["typcollation"] for oid in key_types],
            "indclass": [_default_opclass(builtin, types, oid) for oid in key_types],
            "indoption": [0] * len(key_types),
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


def _check_row(rel: AppRelation, check: AppCheck) -> Row:
    """The ``pg_constraint`` row of a table's CHECK constraint."""
    return {
        "oid": check.oid, "conname": check.name, "connamespace": rel.namespace_oid,
        "contype": "c", "condeferrable": False, "condeferred": False, "convalidated": True,
        "conrelid": rel.oid, "contypid": 0, "conindid": 0, "conparentid": 0, "confrelid": 0,
        "confupdtype": " ", "confdeltype": " ", "confmatchtype": " ", "conislocal": True,
        "coninhcount": 0, "connoinherit": False, "conkey": list(check.attnums) or None,
        "conbin": f"({check.expression})",
    }  # fmt: skip


def _foreign_key_row(rel: AppRelation, key: AppForeignKey) -> Row:
    """The ``pg_constraint`` row of a FOREIGN KEY (MATCH SIMPLE, not deferrable)."""
    return {
        "oid": key.oid,
        "conname": key.name,
        "connamespace": rel.namespace_oid,
        "contype": "f",
        "condeferrable": False,
        "condeferred": False,
        "convalidated": True,
        "conrelid": rel.oid,
        "contypid": 0,
        "conindid": key.ref_index_oid,
        "conparentid": 0,
        "confrelid": key.ref_oid,
        "confupdtype": key.update_code,
        "confdeltype": key.delete_code,
        "confmatchtype": "s",
        "conislocal": True,
        "coninhcount": 0,
        "connoinherit": True,
        "conkey": list(key.attnums),
        "confkey": list(key.ref_attnums),
    }
