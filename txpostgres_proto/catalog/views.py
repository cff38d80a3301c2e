"""The contents of the system views PostgreSQL computes, for the emulated catalog.

``pg_tables``, ``pg_views``, ``pg_matviews``, ``pg_indexes``, ``pg_sequences``,
``pg_stat_*_tables``, ``pg_roles``/``pg_user``/``pg_shadow``/``pg_authid``, ``pg_database``
and the ``information_schema`` views (``tables``, ``columns``, ``views``, ``schemata``,
``table_constraints``, ``key_column_usage``, ``constraint_column_usage``,
``referential_constraints``, ``sequences`` ...)
are stored as plain tables.  :func:`builtin_view_rows` fills them for the built-in relations
once per catalog; :func:`application_view_rows` computes the application's rows, which
``set_tables`` swaps in using the predicates of :data:`VIEW_APPLICATION_ROWS`.  The values
follow the view definitions of PostgreSQL 15 (``system_views.sql``, ``information_schema.sql``).

Session-dependent views are built per query: :func:`settings_rows` (``pg_settings``) and
:func:`activity_row` (``pg_stat_activity``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Iterator
from typing import Final

from txpostgres_proto.catalog.application import AppForeignKey, AppIndex, AppRelation
from txpostgres_proto.catalog.builtin import (
    BOOTSTRAP_SUPERUSER_OID,
    FIRST_NORMAL_OID,
    BuiltinData,
)
from txpostgres_proto.catalog.directory import DEFAULT_PATH, Directory
from txpostgres_proto.catalog.rows import Row, Rows
from txpostgres_proto.catalog.schema import REFERENTIAL_ACTION_WORDS
from txpostgres_proto.catalog.session import SessionInfo
from txpostgres_proto.types import oids

PG_DEFAULT_TABLESPACE: Final = 1663
DEFAULT_COLLATION_OID: Final = 100
_INT_PRECISION: Final = {oids.INT2: 16, oids.INT4: 32, oids.INT8: 64}
_FLOAT_PRECISION: Final = {oids.FLOAT4: 24, oids.FLOAT8: 53}
_DATETIMES: Final = (oids.DATE, oids.TIME, oids.TIMETZ, oids.TIMESTAMP, oids.TIMESTAMPTZ)


def _yes(flag: bool) -> str:
    return "YES" if flag else "NO"


class _Relations:
    """The relations one call of :func:`view_rows` covers (the application's, or the built-in
    ones), with their columns."""

    def __init__(
        self,
        directory: Directory,
        application: bool,
        apps: list[AppRelation],
        classes: Iterable[Row],
        attributes: Iterable[Row],
        defaults: Iterable[Row],
        indexes: Iterable[Row] = (),
        sequences: Iterable[Row] = (),
        depends: Iterable[Row] = (),
    ):
        self.directory = directory
        self.application = application
        self.apps = {rel.oid: rel for rel in apps}
        self.classes = list(classes)
        self.attributes: dict[int, list[Row]] = {}
        for att in attributes:
            if att["attnum"] > 0:
                self.attributes.setdefault(att["attrelid"], []).append(att)
        #: Column defaults as ``pg_get_expr`` prints them on the default search path.
        self.defaults = {
            (row["adrelid"], row["adnum"]): directory.expression_text(row["adbin"], DEFAULT_PATH)
            for row in defaults
        }
        #: ``pg_sequence`` rows by sequence OID.
        self.sequences = {row["seqrelid"]: row for row in sequences}
        #: The sequence of each identity column, by (table OID, attnum): its internal
        #: ``pg_depend`` entry.
        self.identities = {
            (row["refobjid"], row["refobjsubid"]): row["objid"]
            for row in depends
            if row["deptype"] == "i" and row["objid"] in self.sequences
        }
        self.indexes_of: dict[int, list[int]] = {}
        for index in indexes:
            self.indexes_of.setdefault(index["indrelid"], []).append(index["indexrelid"])
        self.namespaces = {
            oid: name
            for oid, name in directory.namespaces.items()
            if (oid >= FIRST_NORMAL_OID) == application
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
    if typ["typcollation"] and typ["typcollation"] != DEFAULT_COLLATION_OID:
        facts.update(collation_schema="pg_catalog", collation_name="C")
    return facts


def _named(database: str, schema: str, name: str) -> Row:
    """The columns naming a constraint in the information_schema views."""
    return {"constraint_catalog": database, "constraint_schema": schema, "constraint_name": name}


def _constraint(database: str, schema: str, name: str, table: Row, kind: str) -> Row:
    """An ``information_schema.table_constraints`` row (``table``: the table's name columns;
    only a UNIQUE constraint has a ``nulls_distinct``)."""
    return {
        **_named(database, schema, name),
        **table,
        "constraint_type": kind,
        "is_deferrable": "NO",
        "initially_deferred": "NO",
        "enforced": "YES",
        "nulls_distinct": "YES" if kind == "UNIQUE" else None,
    }


def _referenced_constraint(rels: _Relations, key: AppForeignKey) -> AppIndex | None:
    """The primary key or UNIQUE constraint whose index a foreign key references."""
    referenced = rels.apps.get(key.ref_oid)
    for index in referenced.indexes if referenced else ():
        if index.oid == key.ref_index_oid and index.constraint_oid:
            return index
    return None


def _position(unique: AppIndex | None, key: AppForeignKey, position: int) -> int | None:
    """key_column_usage.position_in_unique_constraint of a foreign key's column."""
    if unique is None:
        return None
    return unique.columns.index(key.ref_columns[position - 1]) + 1


def _identity_facts(rels: _Relations, att: Row) -> Row:
    """information_schema.columns' identity columns of an identity column (else nothing)."""
    sequence = rels.identities.get((att["attrelid"], att["attnum"]))
    if not att.get("attidentity") or sequence is None:
        return {}
    options = rels.sequences[sequence]
    return {
        "is_identity": "YES",
        "identity_generation": "ALWAYS" if att["attidentity"] == "a" else "BY DEFAULT",
        "identity_start": str(options["seqstart"]),
        "identity_increment": str(options["seqincrement"]),
        "identity_maximum": str(options["seqmax"]),
        "identity_minimum": str(options["seqmin"]),
        "identity_cycle": _yes(options["seqcycle"]),
    }


def _information_schema(rels: _Relations, database: str) -> Rows:
    directory = rels.directory
    tables: list[Row] = []
    columns: list[Row] = []
    views: list[Row] = []
    constraints: list[Row] = []
    key_columns: list[Row] = []
    constraint_columns: list[Row] = []
    constraint_tables: list[Row] = []
    referential: list[Row] = []
    checks: list[Row] = []
    sequences: list[Row] = []
    identity_sequences = set(rels.identities.values())  # PostgreSQL leaves them out
    for cls in rels.classes:
        kind, schema, name = cls["relkind"], rels.schema(cls["relnamespace"]), cls["relname"]
        base = {"table_catalog": database, "table_schema": schema, "table_name": name}
        app = rels.apps.get(cls["oid"])
        options = rels.sequences.get(cls["oid"])
        if kind == "S" and options is not None and cls["oid"] not in identity_sequences:
            typ = options["seqtypid"]
            sequences.append(
                {"sequence_catalog": database, "sequence_schema": schema,
                 "sequence_name": name,
                 "data_type": directory.format_type(typ, None, [11]),
                 "numeric_precision": _INT_PRECISION.get(typ, 64), "numeric_precision_radix": 2,
                 "numeric_scale": 0, "start_value": str(options["seqstart"]),
                 "minimum_value": str(options["seqmin"]),
                 "maximum_value": str(options["seqmax"]),
                 "increment": str(options["seqincrement"]),
                 "cycle_option": _yes(options["seqcycle"])}
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
                {**base, "view_definition": directory.view_definition(cls["oid"]),
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
                 **_column_facts(directory, att["atttypid"], att["atttypmod"]),
                 **_identity_facts(rels, att)}
            )  # fmt: skip
            if att["attnotnull"] and app is not None:
                name = f"{cls['relnamespace']}_{cls['oid']}_{att['attnum']}_not_null"
                constraints.append(_constraint(database, schema, name, base, "CHECK"))
        for index in app.indexes if app else ():
            if not index.constraint_oid:
                continue
            kind = "PRIMARY KEY" if index.primary else "UNIQUE"
            constraints.append(_constraint(database, schema, index.name, base, kind))
            named = _named(database, schema, index.name)
            constraint_tables.append({**base, **named})
            for position, column in enumerate(index.columns, start=1):
                key_columns.append({**named, **base, "column_name": column,
                                    "ordinal_position": position})  # fmt: skip
                constraint_columns.append({**base, "column_name": column, **named})
        for check in app.checks if app else ():
            constraints.append(_constraint(database, schema, check.name, base, "CHECK"))
            named = _named(database, schema, check.name)
            checks.append({**named, "check_clause": f"(({check.expression}))"})
            names = dict(directory.attributes.get(cls["oid"], ()))
            constraint_columns.extend(
                {**base, "column_name": names[attnum], **named} for attnum in check.attnums
            )
        for key in app.foreign_keys if app else ():
            constraints.append(_constraint(database, schema, key.name, base, "FOREIGN KEY"))
            named = _named(database, schema, key.name)
            referenced = {"table_catalog": database, "table_schema": key.ref_schema,
                          "table_name": key.ref_name}  # fmt: skip
            constraint_tables.append({**referenced, **named})
            unique = _referenced_constraint(rels, key)
            for position, column in enumerate(key.columns, start=1):
                key_columns.append(
                    {**named, **base, "column_name": column, "ordinal_position": position,
                     "position_in_unique_constraint": _position(unique, key, position)}
                )  # fmt: skip
            for column in key.ref_columns:
                constraint_columns.append({**referenced, "column_name": column, **named})
            referential.append(
                {**named, "unique_constraint_catalog": database,
                 "unique_constraint_schema": key.ref_schema if unique else None,
                 "unique_constraint_name": unique.name if unique else None,
                 "match_option": "NONE", "update_rule": REFERENTIAL_ACTION_WORDS[key.update_code],
                 "delete_rule": REFERENTIAL_ACTION_WORDS[key.delete_code]}
            )  # fmt: skip
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
        "information_schema.check_constraints": checks,
        "information_schema.key_column_usage": key_columns,
        "information_schema.constraint_column_usage": constraint_columns,
        "information_schema.constraint_table_usage": constraint_tables,
        "information_schema.referential_constraints": referential,
        "information_schema.sequences": sequences,
    }
    if rels.application:
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
        has_indexes = bool(app.indexes) if app else bool(cls["relhasindex"])
        if kind in ("r", "p"):
            tables.append(
                {"schemaname": schema, "tablename": name, "tableowner": owner,
                 "hasindexes": has_indexes, "hasrules": False, "hastriggers": False,
                 "rowsecurity": False}
            )  # fmt: skip
        elif kind == "v":
            views.append({"schemaname": schema, "viewname": name, "viewowner": owner,
                          "definition": directory.view_definition(cls["oid"])})  # fmt: skip
        elif kind == "m":
            matviews.append(
                {"schemaname": schema, "matviewname": name, "matviewowner": owner,
                 "hasindexes": has_indexes, "ispopulated": True,
                 "definition": directory.view_definition(cls["oid"])}
            )  # fmt: skip
        if kind in ("r", "m", "p") and app is not None:
            stats.append({"relid": cls["oid"], "schemaname": schema, "relname": name})
            io.append({"relid": cls["oid"], "schemaname": schema, "relname": name})
        index_oids = (
            [index.oid for index in app.indexes] if app else rels.indexes_of.get(cls["oid"], [])
        )
        for index_oid in index_oids:
            indexes.append(
                {"schemaname": schema, "tablename": name,
                 "indexname": directory.relations[index_oid].name,
                 "indexdef": directory.index_definition(index_oid, 0)}
            )  # fmt: skip
        options = rels.sequences.get(cls["oid"])
        if kind == "S" and options is not None:
            sequences.append(
                {"schemaname": schema, "sequencename": name, "sequenceowner": owner,
                 "data_type": options["seqtypid"], "start_value": options["seqstart"],
                 "min_value": options["seqmin"], "max_value": options["seqmax"],
                 "increment_by": options["seqincrement"], "cycle": options["seqcycle"],
                 "cache_size": options["seqcache"], "last_value": None}
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
    **{
        f"information_schema.{name}": "constraint_schema NOT IN ('pg_catalog', "
        "'information_schema')"
        for name in ("referential_constraints", "check_constraints")
    },
    "information_schema.sequences": "",
    "information_schema.schemata": "schema_name NOT IN "
    "('pg_catalog', 'pg_toast', 'public', 'information_schema')",
}


def builtin_view_rows(builtin: BuiltinData, directory: Directory, database: str) -> Rows:
    """Computed views over the built-in relations (plus roles and databases)."""
    rels = _Relations(
        directory,
        False,
        [],
        builtin.table("pg_catalog.pg_class").dicts(),
        builtin.table("pg_catalog.pg_attribute").dicts(),
        (),
        builtin.table("pg_catalog.pg_index").dicts(),
    )
    rows = _system_views(rels)
    rows.update(_information_schema(rels, database))
    rows.update(role_rows(builtin, directory))
    rows.update(database_rows(directory))
    return rows


def application_view_rows(
    apps: list[AppRelation], app_rows: Rows, directory: Directory, database: str
) -> Rows:
    """Computed views' rows for the application's relations and sequences (see
    VIEW_APPLICATION_ROWS)."""
    if not apps and not app_rows["pg_sequence"]:
        return {name: [] for name in VIEW_APPLICATION_ROWS}
    rels = _Relations(
        directory,
        True,
        apps,
        app_rows["pg_class"],
        app_rows["pg_attribute"],
        app_rows["pg_attrdef"],
        sequences=app_rows["pg_sequence"],
        depends=app_rows["pg_depend"],
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
