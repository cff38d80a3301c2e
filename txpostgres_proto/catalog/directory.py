"""The catalog's objects in Python: lookups by OID and name, and PostgreSQL's text renderings.

The SQL functions clients call (``format_type``, ``pg_get_indexdef``, ``'items'::regclass``,
``pg_table_is_visible`` ...) need fast answers about catalog objects without another SQL query
per row.  :class:`Directory` keeps the built-in objects (read once from the data file) plus the
application's (replaced by :meth:`Directory.set_application`) in dicts, and implements the
renderings with PostgreSQL's rules: ``format_type`` (src/backend/utils/adt/format_type.c),
``quote_ident`` (keyword-aware, ruleutils.c ``quote_identifier``), index and constraint
definitions as ``pg_get_indexdef``/``pg_get_constraintdef`` print them, and name lookup along
the search path (namespace.c: ``pg_catalog`` is searched first unless listed explicitly).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from txpostgres_proto.catalog.application import (
    AppForeignKey,
    AppIndex,
    AppRelation,
    AppSequence,
    AppType,
)
from txpostgres_proto.catalog.builtin import (
    BOOTSTRAP_SUPERUSER_OID,
    PG_CATALOG_OID,
    BuiltinData,
)
from txpostgres_proto.catalog.pgtypes import format_type
from txpostgres_proto.catalog.schema import REFERENTIAL_ACTION_WORDS
from txpostgres_proto.catalog.viewsql import qualified_definition
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

_REGCLASS_CONSTANT: Final = re.compile(r"'((?:[^']|'')*)'::regclass")
PG_CLASS_OID: Final = 1259
PUBLIC_NAMESPACE_OID: Final = 2200
#: The search path of a session that has not changed it: ``"$user", public``.
DEFAULT_PATH: Final = [PG_CATALOG_OID, PUBLIC_NAMESPACE_OID]
PG_TYPE_OID: Final = 1247

_SAFE_IDENT: Final = re.compile(r"^[a-z_][a-z0-9_$]*$")


def check_definition(check: str, pretty: bool = False) -> str:
    """``pg_get_constraintdef`` of a CHECK constraint: the expression in parentheses, as
    PostgreSQL prints it (``CHECK ((VALUE > 0))``; pretty: ``CHECK (VALUE > 0)``)."""
    return f"CHECK ({check})" if pretty else f"CHECK (({check}))"


@dataclass(frozen=True, slots=True)
class RelInfo:
    oid: int
    namespace: int
    name: str
    kind: str


@dataclass
class Directory:
    """Name and OID lookups over built-in plus application objects."""

    builtin: BuiltinData
    owner: str
    namespaces: dict[int, str] = field(default_factory=dict)
    relations: dict[int, RelInfo] = field(default_factory=dict)
    attributes: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    types: dict[int, dict[str, Any]] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    descriptions: dict[tuple[int, int, int], str] = field(default_factory=dict)
    shared_descriptions: dict[tuple[int, int], str] = field(default_factory=dict)
    app_relations: dict[int, AppRelation] = field(default_factory=dict)
    indexes: dict[int, tuple[AppRelation, AppIndex]] = field(default_factory=dict)
    constraints: dict[int, tuple[AppRelation, AppIndex]] = field(default_factory=dict)
    foreign_keys: dict[int, AppForeignKey] = field(default_factory=dict)
    domain_checks: dict[int, str] = field(default_factory=dict)
    table_checks: dict[int, str] = field(default_factory=dict)
    defaults: dict[int, tuple[int, int, str]] = field(default_factory=dict)
    #: (relation OID, default as printed) -> its pretty form (``pg_get_expr(..., true)``).  Two
    #: columns of one relation whose defaults print alike but differ in pretty form (only an
    #: unshown conversion to the column's type tells them apart) share the first one's.
    pretty_defaults: dict[tuple[int, str], str] = field(default_factory=dict)
    serial_sequences: dict[tuple[int, str], int] = field(default_factory=dict)
    databases: dict[str, int] = field(default_factory=dict)
    _rel_names: dict[tuple[int, str], int] = field(default_factory=dict)
    _type_names: dict[tuple[int, str], int] = field(default_factory=dict)
    _proc_names: dict[str, list[int]] = field(default_factory=dict)
    _procs: dict[int, tuple[str, int]] = field(default_factory=dict)
    _keywords: dict[str, str] = field(default_factory=dict)
    _first_proc_namespace: dict[tuple[int, ...], dict[str, int]] = field(default_factory=dict)
    _builtin_state: tuple[dict[Any, Any], ...] = ()

    def __post_init__(self) -> None:
        data = self.builtin
        for row in data.table("pg_catalog.pg_namespace").dicts():
            self.namespaces[row["oid"]] = row["nspname"]
        for row in data.table("pg_catalog.pg_class").dicts():
            self._add_relation(
                RelInfo(row["oid"], row["relnamespace"], row["relname"], row["relkind"])
            )
        for row in data.table("pg_catalog.pg_attribute").dicts():
            if row["attnum"] > 0:
                self.attributes.setdefault(row["attrelid"], []).append(
                    (row["attnum"], row["attname"])
                )
        for row in data.types.values():
            self._add_type(row)
        for row in data.table("pg_catalog.pg_authid").dicts():
            self.roles[row["oid"]] = row["rolname"]
        self.roles[BOOTSTRAP_SUPERUSER_OID] = self.owner
        for row in data.table("pg_catalog.pg_description").dicts():
            key = (row["objoid"], row["classoid"], row["objsubid"])
            self.descriptions[key] = row["description"]
        for row in data.table("pg_catalog.pg_shdescription").dicts():
            self.shared_descriptions[row["objoid"], row["classoid"]] = row["description"]
        for row in data.table("pg_catalog.pg_proc").dicts():
            self._procs[row["oid"]] = (row["proname"], row["pronamespace"])
            self._proc_names.setdefault(row["proname"], []).append(row["oid"])
        self._keywords = {word: code for word, code, *_ in data.keywords}
        self._builtin_state = tuple(
            dict(part)
            for part in (
                self.namespaces,
                self.relations,
                self.attributes,
                self.types,
                self.descriptions,
                self._rel_names,
                self._type_names,
            )
        )

    # -- building ----------------------------------------------------------------------

    def _add_relation(self, rel: RelInfo) -> None:
        self.relations[rel.oid] = rel
        self._rel_names[rel.namespace, rel.name] = rel.oid

    def _add_type(self, row: dict[str, Any]) -> None:
        self.types[row["oid"]] = row
        self._type_names[row["typnamespace"], row["typname"]] = row["oid"]

    def set_application(
        self,
        relations: Iterable[AppRelation],
        namespaces: dict[str, int],
        type_rows: Iterable[dict[str, Any]],
        types: Iterable[AppType] = (),
        sequences: Iterable[AppSequence] = (),
    ) -> None:
        """Replace the application's objects (built-in ones stay); ``type_rows`` are the
        ``pg_type`` rows of ``types`` (enums, domains) and of the relations."""
        (
            self.namespaces,
            self.relations,
            self.attributes,
            self.types,
            self.descriptions,
            self._rel_names,
            self._type_names,
        ) = (dict(part) for part in self._builtin_state)  # type: ignore[assignment]
        self.app_relations.clear()
        self.indexes.clear()
        self.constraints.clear()
        self.foreign_keys.clear()
        self.domain_checks.clear()
        self.table_checks.clear()
        self.defaults.clear()
        self.pretty_defaults.clear()
        self.serial_sequences.clear()
        for name, oid in namespaces.items():
            self.namespaces[oid] = name
        for row in type_rows:
            self._add_type(row)
        for user_type in types:
            if user_type.check is not None:
                self.domain_checks[user_type.check_oid] = user_type.check
            if user_type.comment:
                self.descriptions[user_type.oid, PG_TYPE_OID, 0] = user_type.comment
        for rel in relations:
            self.app_relations[rel.oid] = rel
            self._add_relation(RelInfo(rel.oid, rel.namespace_oid, rel.name, rel.kind))
            self.attributes[rel.oid] = [(att.attnum, att.name) for att in rel.attributes]
            if rel.comment:
                self.descriptions[rel.oid, PG_CLASS_OID, 0] = rel.comment
            for att in rel.attributes:
                if att.comment:
                    self.descriptions[rel.oid, PG_CLASS_OID, att.attnum] = att.comment
                if att.default is not None:
                    self.defaults[att.default_oid] = (rel.oid, att.attnum, att.default)
                    pretty = att.pretty_default or att.default
                    self.pretty_defaults.setdefault((rel.oid, att.default), pretty)
            for check in rel.checks:
                self.table_checks[check.oid] = check.expression
            for index in rel.indexes:
                self._add_relation(RelInfo(index.oid, rel.namespace_oid, index.name, "i"))
                self.attributes[index.oid] = list(enumerate(index.columns, start=1))
                self.indexes[index.oid] = (rel, index)
                if index.constraint_oid:
                    self.constraints[index.constraint_oid] = (rel, index)
            for key in rel.foreign_keys:
                self.foreign_keys[key.oid] = key
        for sequence in sequences:
            self._add_relation(RelInfo(sequence.oid, sequence.namespace_oid, sequence.name, "S"))
            if sequence.owner is not None:
                self.serial_sequences[sequence.owner_oid, sequence.owner[1]] = sequence.oid

    def ensure_role(self, name: str, oid_for: Any) -> int:
        """The OID of role ``name``, registering it (via ``oid_for(name)``) when new."""
        for oid, existing in self.roles.items():
            if existing == name:
                return oid
        oid = oid_for(name)
        self.roles[oid] = name
        return int(oid)

    # -- names -------------------------------------------------------------------------

    def quote_ident(self, name: str) -> str:
        """``quote_ident``: quote unless a lower-case identifier that is not a reserved word."""
        if _SAFE_IDENT.match(name) and self._keywords.get(name, "U") == "U":
            return name
        return '"' + name.replace('"', '""') + '"'

    def namespace_oid(self, name: str) -> int | None:
        for oid, existing in self.namespaces.items():
            if existing == name:
                return oid
        return None

    def effective_path(self, search_path: list[str], user: str) -> list[int]:
        """Namespace OIDs searched for unqualified names, ``pg_catalog`` first unless listed."""
        path: list[int] = []
        for name in search_path:
            oid = self.namespace_oid(user if name == "$user" else name)
            if oid is not None and oid not in path:
                path.append(oid)
        if PG_CATALOG_OID not in path:
            path.insert(0, PG_CATALOG_OID)
        return path

    def _visible(
        self, names: dict[tuple[int, str], int], oid: int, nsp: int, name: str, path: list[int]
    ) -> bool:
        for candidate in path:
            found = names.get((candidate, name))
            if found is not None:
                return found == oid
        return False

    def relation_visible(self, oid: int, path: list[int]) -> bool:
        rel = self.relations.get(oid)
        return rel is not None and self._visible(
            self._rel_names, oid, rel.namespace, rel.name, path
        )

    def type_visible(self, oid: int, path: list[int]) -> bool:
        row = self.types.get(oid)
        return row is not None and self._visible(
            self._type_names, oid, row["typnamespace"], row["typname"], path
        )

    def function_visible(self, oid: int, path: list[int]) -> bool:
        """Visible when no namespace earlier on the path has a function of that name
        (argument types are not compared)."""
        proc = self._procs.get(oid)
        if proc is None:
            return False
        key = tuple(path)
        first = self._first_proc_namespace.get(key)
        if first is None:
            rank = {nsp: position for position, nsp in enumerate(path)}
            first = {}
            for name, nsp in self._procs.values():
                if nsp in rank and (name not in first or rank[nsp] < rank[first[name]]):
                    first[name] = nsp
            self._first_proc_namespace[key] = first
        return first.get(proc[0]) == proc[1]

    def _split_qualified(self, text: str) -> list[str]:
        parts: list[str] = []
        for match in re.finditer(r'"((?:[^"]|"")*)"|([^."]+)', text.strip()):
            quoted, plain = match.groups()
            parts.append(quoted.replace('""', '"') if quoted is not None else plain.strip().lower())
        return parts

    def lookup_relation(self, text: str, path: list[int]) -> int:
        """``'name'::regclass``: OID of a (possibly qualified) relation name."""
        if text.strip().isdigit():
            return int(text)
        parts = self._split_qualified(text)
        if len(parts) == 2:
            nsp = self.namespace_oid(parts[0])
            oid = self._rel_names.get((nsp, parts[1])) if nsp is not None else None
        else:
            oid = next(
                (self._rel_names[n, parts[-1]] for n in path if (n, parts[-1]) in self._rel_names),
                None,
            )
        if oid is None:
            raise PostgresError(f'relation "{text}" does not exist', "42P01")
        return oid

    def lookup_type(self, text: str, path: list[int]) -> int:
        """``'name'::regtype``: OID of a type spelled any SQL way (``integer``, ``text[]``)."""
        if text.strip().isdigit():
            return int(text)
        info = oids.type_by_name(text)
        if info is not None:
            return info.oid
        spelling = text.strip()
        is_array = spelling.endswith("[]")
        parts = self._split_qualified(spelling[:-2] if is_array else spelling)
        oid: int | None
        if len(parts) == 2:
            nsp = self.namespace_oid(parts[0])
            oid = self._type_names.get((nsp, parts[1])) if nsp is not None else None
        else:
            oid = next(
                (
                    self._type_names[n, parts[-1]]
                    for n in path
                    if (n, parts[-1]) in self._type_names
                ),
                None,
            )
        if oid is not None and is_array:
            oid = self.types[oid]["typarray"] or None
        if oid is None:
            raise PostgresError(f'type "{text}" does not exist', "42704")
        return oid

    def lookup_function(self, text: str, path: list[int]) -> int:
        """``'name'::regproc``: OID of the only function with that (possibly qualified) name."""
        if text.strip().isdigit():
            return int(text)
        parts = self._split_qualified(text.split("(")[0])
        candidates = self._proc_names.get(parts[-1], [])
        if len(parts) == 2:
            nsp = self.namespace_oid(parts[0])
            candidates = [oid for oid in candidates if self._procs[oid][1] == nsp]
        else:
            for n in path:
                in_schema = [oid for oid in candidates if self._procs[oid][1] == n]
                if in_schema:
                    candidates = in_schema
                    break
        if not candidates:
            raise PostgresError(f'function "{text}" does not exist', "42883")
        if len(candidates) > 1 and "(" not in text:
            raise PostgresError(f'more than one function named "{text}"', "42725")
        return candidates[0]

    def lookup_namespace(self, text: str) -> int:
        if text.strip().isdigit():
            return int(text)
        parts = self._split_qualified(text)
        oid = self.namespace_oid(parts[-1]) if parts else None
        if oid is None:
            raise PostgresError(f'schema "{text}" does not exist', "3F000")
        return oid

    def lookup_role(self, text: str) -> int:
        if text.strip().isdigit():
            return int(text)
        parts = self._split_qualified(text)
        for oid, name in self.roles.items():
            if parts and name == parts[-1]:
                return oid
        raise PostgresError(f'role "{text}" does not exist', "42704")

    # -- renderings ---------------------------------------------------------------------

    def relation_name(self, oid: int, path: list[int]) -> str:
        """regclass output: the name, schema-qualified when not visible."""
        rel = self.relations.get(oid)
        if rel is None:
            return str(oid)
        name = self.quote_ident(rel.name)
        if self.relation_visible(oid, path):
            return name
        return f"{self.quote_ident(self.namespaces.get(rel.namespace, '?'))}.{name}"

    def function_name(self, oid: int, path: list[int]) -> str:
        proc = self._procs.get(oid)
        if proc is None:
            return "-" if oid == 0 else str(oid)
        name = self.quote_ident(proc[0])
        if self.function_visible(oid, path):
            return name
        return f"{self.quote_ident(self.namespaces.get(proc[1], '?'))}.{name}"

    def role_name(self, oid: int) -> str:
        return self.roles.get(oid, f"unknown (OID={oid})")

    def format_type(self, oid: int, typmod: int | None, path: list[int]) -> str:
        """``format_type(oid, typmod)``; ``typmod=None`` is SQL NULL (no modifier given).
        OID 0 (no type, e.g. ``typbasetype`` of a non-domain) is ``-``, an unknown OID ``???``."""
        return format_type(self.types, oid, typmod, lambda row: self._type_spelling(row, path))

    def _type_spelling(self, row: Mapping[str, Any], path: list[int]) -> str:
        """A type's name, schema-qualified when not visible on ``path``."""
        name = self.quote_ident(row["typname"])
        if self.type_visible(row["oid"], path):
            return name
        return f"{self.quote_ident(self.namespaces.get(row['typnamespace'], '?'))}.{name}"

    def type_name(self, oid: int, path: list[int]) -> str:
        """regtype output: ``format_type`` without a modifier."""
        if oid == 0:
            return "-"
        return self.format_type(oid, None, path) if oid in self.types else str(oid)

    def index_definition(self, index_oid: int, column: int) -> str | None:
        """``pg_get_indexdef(oid, column, pretty)``."""
        found = self.indexes.get(index_oid)
        if found is None:
            if column > 0:
                names = dict(self.attributes.get(index_oid, ()))
                return self.quote_ident(names[column]) if column in names else None
            return self.builtin.index_definitions.get(index_oid)
        rel, index = found
        if column > 0:
            return (
                self.quote_ident(index.columns[column - 1]) if column <= len(index.columns) else ""
            )
        unique = "UNIQUE " if index.unique else ""
        table = f"{self.quote_ident(rel.schema)}.{self.quote_ident(rel.name)}"
        columns = ", ".join(self.quote_ident(name) for name in index.columns)
        name = self.quote_ident(index.name)
        return f"CREATE {unique}INDEX {name} ON {table} USING btree ({columns})"

    def constraint_definition(
        self, constraint_oid: int, path: list[int], pretty: bool = False
    ) -> str | None:
        """``pg_get_constraintdef(oid, pretty)`` (``path``: the search path, which decides
        whether a referenced table's name is schema-qualified)."""
        check = self.table_checks.get(constraint_oid)
        if check is not None:
            return check_definition(check, pretty)
        check = self.domain_checks.get(constraint_oid)
        if check is not None:
            return check_definition(check, pretty)
        key = self.foreign_keys.get(constraint_oid)
        if key is not None:
            return self._foreign_key_definition(key, path)
        found = self.constraints.get(constraint_oid)
        if found is None:
            return self.builtin.constraint_definitions.get(constraint_oid)
        _, index = found
        columns = ", ".join(self.quote_ident(name) for name in index.columns)
        return f"{'PRIMARY KEY' if index.primary else 'UNIQUE'} ({columns})"

    def _foreign_key_definition(self, key: AppForeignKey, path: list[int]) -> str:
        columns = ", ".join(self.quote_ident(name) for name in key.columns)
        referenced = ", ".join(self.quote_ident(name) for name in key.ref_columns)
        text = f"FOREIGN KEY ({columns}) REFERENCES {self.relation_name(key.ref_oid, path)}"
        text += f"({referenced})"
        for event, code in (("UPDATE", key.update_code), ("DELETE", key.delete_code)):
            if code != "a":
                text += f" ON {event} {REFERENTIAL_ACTION_WORDS[code]}"
        return text

    def description(self, objoid: int, catalog: str, objsubid: int = 0) -> str | None:
        """``obj_description(oid, 'pg_class')``: the comment on an object of a catalog."""
        classoid = self._rel_names.get((PG_CATALOG_OID, catalog.rpartition(".")[2]))
        return self.descriptions.get((objoid, classoid or 0, objsubid))

    def expression_text(
        self, text: str, path: list[int], relid: int | None = None, pretty: bool = False
    ) -> str:
        """``pg_get_expr``: an application expression (a column default, written for the
        default search path) as PostgreSQL deparses it on ``path``: relation names in
        ``'name'::regclass`` constants are schema-qualified when not visible there.
        ``pretty``: a default of relation ``relid`` with only the parentheses it needs."""
        if pretty and relid is not None:
            text = self.pretty_defaults.get((relid, text), text)

        def requalify(match: re.Match[str]) -> str:
            name = match.group(1).replace("''", "'")
            try:
                oid = self.lookup_relation(name, DEFAULT_PATH)
            except PostgresError:
                return match.group(0)
            return "'" + self.relation_name(oid, path).replace("'", "''") + "'::regclass"

        return _REGCLASS_CONSTANT.sub(requalify, text)

    def _qualifier(self, name: str, path: list[int]) -> str | None:
        """The schema to write before ``name`` (a relation a view reads, resolved on the
        default search path) when it is not visible on ``path``."""
        try:
            oid = self.lookup_relation('"' + name.replace('"', '""') + '"', DEFAULT_PATH)
        except PostgresError:
            return None
        if self.relation_visible(oid, path):
            return None
        rel = self.relations.get(oid)
        return None if rel is None else self.namespaces.get(rel.namespace)

    def view_definition(self, oid: int, path: list[int] = DEFAULT_PATH) -> str | None:
        """``pg_get_viewdef(oid)``: the application's definition or PostgreSQL's own.

        A view the application computes without SQL (no ``definition``) reads as a query of
        its typed columns that yields no rows, so it can be recreated (``pg_dump``) with the
        same columns; PostgreSQL never returns an empty definition."""
        app = self.app_relations.get(oid)
        if app is None:
            return self.builtin.view_definitions.get(oid)
        if app.kind not in ("v", "m"):
            return app.definition
        if app.definition is not None:
            text = qualified_definition(
                app.definition,
                lambda schema, name: None if schema is not None else self._qualifier(name, path),
            )
            return text if text.rstrip().endswith(";") else text.rstrip() + ";"
        columns = ",\n    ".join(
            f"NULL::{self.format_type(att.type_oid, att.typmod, path)} AS "
            f"{self.quote_ident(att.name)}"
            for att in app.attributes
        )
        return f" SELECT {columns}\n  WHERE false;"

    def function_texts(self, oid: int) -> tuple[str, str, str] | None:
        return self.builtin.function_texts.get(oid)
