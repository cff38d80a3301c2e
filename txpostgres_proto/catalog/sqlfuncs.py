"""The catalog's SQLite user functions: PostgreSQL's session and catalog functions.

The compiler (``compiler.py``) turns a call of PostgreSQL function ``f`` into a call of the
SQLite function ``pgf_f`` (or of a native SQLite function with the same meaning, see
``functions.py``).  This module holds the functions that read the session or the catalog
(``current_user``, ``current_setting``, ``set_config``, ``format_type``, ``pg_get_indexdef``,
``pg_table_is_visible``, ``'name'::regclass`` ...); the pure value functions are in
``valuefuncs.py`` and the aggregates in ``aggregates.py``.  :func:`register` installs all of
them on a connection.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Final

from txpostgres_proto.catalog.aggregates import AGGREGATES
from txpostgres_proto.catalog.arrays import to_storage
from txpostgres_proto.catalog.directory import Directory
from txpostgres_proto.catalog.session import parse_search_path
from txpostgres_proto.catalog.udf import FunctionContext, as_bool, as_int, strict
from txpostgres_proto.catalog.valuefuncs import ValueFunctions
from txpostgres_proto.protocol.errors import PostgresError

_ENCODINGS: Final = {0: "SQL_ASCII", 6: "UTF8", 8: "LATIN1"}
#: acldefault's built-in privileges per object type: (owner's, PUBLIC's), as in acl.c.
_DEFAULT_PRIVILEGES: Final = {
    "c": ("", ""), "r": ("arwdDxt", ""), "s": ("rwU", ""), "d": ("CTc", "Tc"), "f": ("X", "X"),
    "l": ("U", "U"), "L": ("rw", ""), "n": ("UC", ""), "t": ("C", ""), "F": ("U", ""),
    "S": ("U", ""), "T": ("U", "U"), "p": ("sA", ""),
}  # fmt: skip
_RELATION_KINDS: Final = {
    "r": "table", "p": "table", "v": "view", "m": "materialized view", "i": "index",
    "I": "index", "S": "sequence", "f": "foreign table", "c": "composite type",
}  # fmt: skip


class SqlFunctions:
    """The ``pgf_*`` scalar functions; each method named ``pgf_x`` is registered as such."""

    def __init__(self, context: FunctionContext):
        self.ctx = context

    @property
    def _dir(self) -> Directory:
        return self.ctx.directory

    # -- session and server ------------------------------------------------------------

    def pgf_version(self) -> str:
        return (
            f"PostgreSQL {self.ctx.server_version} on x86_64-pc-linux-gnu, compiled by gcc "
            "(Debian 12.2.0-14) 12.2.0, 64-bit"
        )

    def pgf_current_user(self) -> str:
        return self.ctx.user

    def pgf_current_database(self) -> str:
        session = self.ctx.session
        return session.database if session is not None else "postgres"

    def pgf_current_schema(self) -> str | None:
        schemas = self._schemas(False)
        return schemas[0] if schemas else None

    def _schemas(self, implicit: bool) -> list[str]:
        path = self.ctx.search_path()
        names = [self._dir.namespaces[oid] for oid in path]
        explicit = parse_search_path(self.ctx.setting("search_path") or "")
        if not implicit and "pg_catalog" not in explicit and names[:1] == ["pg_catalog"]:
            names = names[1:]
        return names

    def pgf_current_schemas(self, implicit: Any) -> str | None:
        if implicit is None:
            return None
        return to_storage(self._schemas(as_bool(implicit)))

    def pgf_backend_pid(self) -> int:
        session = self.ctx.session
        return session.backend_pid if session is not None else 0

    def pgf_current_setting(self, name: Any, missing_ok: Any = False) -> str | None:
        if name is None:
            return None
        value = self.ctx.setting(str(name))
        if value is None and not as_bool(missing_ok):
            raise self.ctx.fail(
                PostgresError(f'unrecognized configuration parameter "{name}"', "42704")
            )
        return value

    def pgf_set_config(self, name: Any, value: Any, is_local: Any) -> str | None:
        if name is None:
            raise self.ctx.fail(PostgresError("SET requires parameter name", "22023"))
        text = "" if value is None else str(value)
        if self.ctx.session is not None:
            self.ctx.session.set_setting(str(name).lower(), text, as_bool(is_local))
        self.ctx._path = None
        return text

    def pgf_now(self) -> str:
        return self.ctx.query_time.isoformat(sep=" ")

    def pgf_postmaster_start_time(self) -> str:
        return self.ctx.start_time.isoformat(sep=" ")

    # -- visibility and names ----------------------------------------------------------

    @strict
    def pgf_table_is_visible(self, oid: Any) -> bool:
        return self._dir.relation_visible(as_int(oid), self.ctx.search_path())

    @strict
    def pgf_type_is_visible(self, oid: Any) -> bool:
        return self._dir.type_visible(as_int(oid), self.ctx.search_path())

    @strict
    def pgf_function_is_visible(self, oid: Any) -> bool:
        return self._dir.function_visible(as_int(oid), self.ctx.search_path())

    @strict
    def pgf_get_userbyid(self, oid: Any) -> str:
        return self._dir.role_name(as_int(oid))

    @strict
    def pgf_acldefault(self, object_type: Any, owner: Any) -> str | None:
        """The privileges an object of ``object_type`` has while its ACL is NULL (acl.c):
        PUBLIC's item first, then the owner's, each granted by the owner."""
        privileges = _DEFAULT_PRIVILEGES.get(str(object_type))
        if privileges is None:
            message = f"unrecognized object type abbreviation: {object_type}"
            raise self.ctx.fail(PostgresError(message, "XX000"))
        name = _acl_name(self._dir.role_name(as_int(owner)))
        owner_rights, public_rights = privileges
        items = [f"={public_rights}/{name}"] if public_rights else []
        if owner_rights:
            items.append(f"{name}={owner_rights}/{name}")
        return to_storage(items)

    def pgf_format_type(self, oid: Any, typmod: Any) -> str | None:
        """format_type is not strict in its typmod: NULL means "no modifier"."""
        if oid is None:
            return None
        mod = None if typmod is None else as_int(typmod)
        return self._dir.format_type(as_int(oid), mod, self.ctx.search_path())

    def _lookup(self, kind: str, text: Any) -> int:
        try:
            return reg_lookup(self._dir, self.ctx.search_path(), kind, str(text))
        except PostgresError as error:
            raise self.ctx.fail(error) from None

    def pgf_reg_in(self, kind: Any, value: Any) -> int | None:
        """``'text'::regclass`` and friends: an OID from a name (or a numeric string)."""
        if value is None:
            return None
        if isinstance(value, int):
            return value
        return self._lookup(str(kind), value)

    def pgf_to_reg(self, kind: Any, value: Any) -> int | None:
        """``to_regclass('name')``: like the cast, but NULL when nothing matches."""
        if value is None:
            return None
        try:
            return self._lookup(str(kind), value)
        except PostgresError:
            self.ctx.error = None
            return None

    def pgf_reg_out(self, kind: Any, oid: Any) -> str | None:
        """``oid::regclass::text``: the object's name (schema-qualified if not visible)."""
        if oid is None:
            return None
        return reg_name(self._dir, self.ctx.search_path(), str(kind), as_int(oid))

    # -- descriptions and definitions --------------------------------------------------

    @strict
    def pgf_obj_description(self, oid: Any, catalog: Any = "pg_class") -> str | None:
        return self._dir.description(as_int(oid), str(catalog))

    @strict
    def pgf_col_description(self, relid: Any, attnum: Any) -> str | None:
        return self._dir.description(as_int(relid), "pg_class", as_int(attnum))

    @strict
    def pgf_shobj_description(self, oid: Any, catalog: Any) -> str | None:
        key = (as_int(oid), 1262 if str(catalog).endswith("pg_database") else 0)
        return self._dir.shared_descriptions.get(key)

    def pgf_get_expr(self, node: Any, relid: Any = None, pretty: Any = None) -> str | None:
        if node is None:
            return None
        return self._dir.expression_text(
            str(node),
            self.ctx.search_path(),
            None if relid is None else as_int(relid),
            pretty is not None and as_bool(pretty),
        )

    @strict
    def pgf_get_indexdef(self, oid: Any, column: Any = 0, pretty: Any = False) -> str | None:
        return self._dir.index_definition(as_int(oid), as_int(column))

    @strict
    def pgf_get_constraintdef(self, oid: Any, pretty: Any = False) -> str | None:
        return self._dir.constraint_definition(
            as_int(oid), self.ctx.search_path(), pretty is not None and as_bool(pretty)
        )

    @strict
    def pgf_get_viewdef(self, view: Any, pretty: Any = False) -> str | None:
        oid = view if isinstance(view, int) else self._lookup("regclass", view)
        return self._dir.view_definition(as_int(oid), self.ctx.search_path())

    def _functionas_text(self, oid: Any, index: int) -> str | None:
        texts = self._dir.function_texts(as_int(oid)) if oid is not None else None
        return texts[index] if texts is not None else None

    def pgf_get_function_result(self, oid: Any) -> str | None:
        return self._functionas_text(oid, 0)

    def pgf_get_function_arguments(self, oid: Any) -> str | None:
        return self._functionas_text(oid, 1)

    def pgf_get_function_identity_arguments(self, oid: Any) -> str | None:
        return self._functionas_text(oid, 2)

    @strict
    def pgf_describe_object(self, classid: Any, objid: Any, objsubid: Any) -> str | None:
        """``pg_describe_object``: "table items", "column id of table items", "type int4"."""
        directory, path = self._dir, self.ctx.search_path()
        catalog, oid = as_int(classid), as_int(objid)
        if catalog == 1259 and oid in directory.relations:
            kind = _RELATION_KINDS.get(directory.relations[oid].kind, "relation")
            text = f"{kind} {directory.relation_name(oid, path)}"
            column = dict(directory.attributes.get(oid, ())).get(as_int(objsubid))
            return f"column {column} of {text}" if column else text
        if catalog == 1247 and oid in directory.types:
            return f"type {directory.type_name(oid, path)}"
        if catalog == 1255:
            texts = directory.function_texts(oid)
            name = directory.function_name(oid, path)
            return f"function {name}({texts[2] if texts else ''})"
        if catalog == 2615 and oid in directory.namespaces:
            return f"schema {directory.namespaces[oid]}"
        return None

    @strict
    def pgf_get_serial_sequence(self, table: Any, column: Any) -> str | None:
        relid = self._lookup("regclass", table)
        oid = self._dir.serial_sequences.get((relid, str(column)))
        if oid is None:
            return None
        rel = self._dir.relations[oid]
        schema = self._dir.namespaces[rel.namespace]
        return f"{self._dir.quote_ident(schema)}.{self._dir.quote_ident(rel.name)}"

    @strict
    def pgf_relation_is_publishable(self, oid: Any) -> bool:
        rel = self._dir.relations.get(as_int(oid))
        return rel is not None and rel.kind in ("r", "p") and as_int(oid) >= 16384

    @strict
    def pgf_encoding_to_char(self, encoding: Any) -> str:
        return _ENCODINGS.get(as_int(encoding), "")

    @strict
    def pgf_char_to_encoding(self, name: Any) -> int:
        for number, encoding in _ENCODINGS.items():
            if encoding == str(name).upper():
                return number
        return -1

    @strict
    def pgf_quote_ident(self, name: Any) -> str:
        return self._dir.quote_ident(str(name))


def reg_lookup(directory: Directory, path: list[int], kind: str, text: str) -> int:
    """The OID a reg* type ``kind`` (``regclass``, ``regtype`` ...) reads from ``text``."""
    if kind == "regclass":
        return directory.lookup_relation(text, path)
    if kind == "regtype":
        return directory.lookup_type(text, path)
    if kind in ("regproc", "regprocedure"):
        return directory.lookup_function(text, path)
    if kind == "regnamespace":
        return directory.lookup_namespace(text)
    if kind == "regrole":
        return directory.lookup_role(text)
    return int(text)


def reg_name(directory: Directory, path: list[int], kind: str, oid: int) -> str:
    """The text form of ``oid`` as a value of reg* type ``kind`` (``regclass`` ...)."""
    if kind == "regclass":
        return directory.relation_name(oid, path)
    if kind == "regtype":
        return directory.type_name(oid, path)
    if kind in ("regproc", "regprocedure"):
        return directory.function_name(oid, path)
    if kind == "regnamespace":
        return directory.namespaces.get(oid, str(oid))
    if kind == "regrole":
        return directory.roles.get(oid, str(oid))
    return str(oid)


def _acl_name(role: str) -> str:
    """A role name as aclitem text writes it: double-quoted unless plain (acl.c putid)."""
    if role and all(char.isalnum() or char == "_" for char in role):
        return role
    return '"' + role.replace('"', '""') + '"'


def register(conn: sqlite3.Connection, context: FunctionContext) -> None:
    """Register every ``pgf_*`` function and aggregate on ``conn``."""
    for functions in (SqlFunctions(context), ValueFunctions(context)):
        for name in dir(functions):
            if name.startswith("pgf_"):
                conn.create_function(name, -1, getattr(functions, name))
    for name, (arity, aggregate) in AGGREGATES.items():
        conn.create_aggregate(name, arity, aggregate)
