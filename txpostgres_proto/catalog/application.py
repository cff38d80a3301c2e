"""Lay out the application's tables and types as catalog objects: OIDs, attnums, indexes, keys.

:func:`layout_types` turns :class:`~txpostgres_proto.catalog.schema.EnumType` and
:class:`~txpostgres_proto.catalog.schema.Domain` objects into :class:`AppType` records (the
type, its array type, enum label and domain constraint OIDs); :func:`layout` turns
:class:`~txpostgres_proto.catalog.schema.Table` objects into :class:`AppRelation` records that
carry every OID PostgreSQL would have assigned (relation, row type, array type, indexes,
constraints, column defaults) plus the facts the catalog rows are built from;
:func:`layout_sequences` turns :class:`~txpostgres_proto.catalog.schema.SequenceDef` objects,
and the sequences that column defaults (``serial``, ``nextval('seq')``) draw from, into
:class:`AppSequence` records with their options and owning column.
OIDs come from an :class:`OidAllocator` that remembers what it handed out, so calling
``set_tables`` again with the same tables yields the same OIDs (clients cache OIDs: asyncpg's
type cache, JDBC's field metadata), and new objects get new ones, starting at 16384
(``FirstNormalObjectId``) like in a fresh database.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from txpostgres_proto.catalog.builtin import FIRST_NORMAL_OID
from txpostgres_proto.catalog.defaults import (
    deparse_default,
    quote_identifier,
    relation_name_parts,
)
from txpostgres_proto.catalog.schema import (
    REFERENTIAL_ACTIONS,
    Check,
    Column,
    Domain,
    EnumType,
    ForeignKey,
    Index,
    SequenceDef,
    Table,
    UserType,
)
from txpostgres_proto.types import oids

_INTEGER_TYPES: Final = frozenset({oids.INT2, oids.INT4, oids.INT8})
#: A ``nextval('name')`` call anywhere in a default, as written or as printed.
_NEXTVAL: Final = re.compile(
    r"\bnextval\s*\(\s*'((?:[^']|'')*)'\s*(?:::\s*regclass\s*)?\)", re.IGNORECASE
)


class OidAllocator:
    """Stable OIDs for named objects: the same key always gets the same OID."""

    def __init__(self) -> None:
        self._next = FIRST_NORMAL_OID
        self._assigned: dict[tuple[str, ...], int] = {}

    def oid(self, *key: str) -> int:
        oid = self._assigned.get(key)
        if oid is None:
            oid = self._assigned[key] = self._next
            self._next += 1
        return oid


@dataclass(frozen=True, slots=True)
class AppType:
    """An enum (``kind`` 'e', with ``labels`` as (OID, label)) or a domain (``kind`` 'd', with
    its base type, NOT NULL, default and CHECK constraint)."""

    oid: int
    array_oid: int
    schema: str
    namespace_oid: int
    name: str
    kind: str
    comment: str | None
    labels: tuple[tuple[int, str], ...] = ()
    base_oid: int = 0
    base_typmod: int = -1
    not_null: bool = False
    default: str | None = None
    check: str | None = None
    check_name: str = ""
    check_oid: int = 0


def _user_type_oid(alloc: OidAllocator, user_type: UserType) -> int:
    return alloc.oid("type", user_type.schema, user_type.name)


def _namespace(schema: str, namespaces: dict[str, int], alloc: OidAllocator) -> int:
    if schema not in namespaces:
        namespaces[schema] = alloc.oid("namespace", schema)
    return namespaces[schema]


def _layout_type(user_type: UserType, namespaces: dict[str, int], alloc: OidAllocator) -> AppType:
    schema, name = user_type.schema, user_type.name
    oid = _user_type_oid(alloc, user_type)
    array_oid = alloc.oid("type", schema, "_" + name)
    namespace_oid = _namespace(schema, namespaces, alloc)
    if isinstance(user_type, EnumType):
        labels = tuple(
            (alloc.oid("enum", schema, name, label), label) for label in user_type.labels
        )
        return AppType(
            oid, array_oid, schema, namespace_oid, name, "e", user_type.comment, labels=labels
        )
    check_oid = 0
    if user_type.check is not None:
        check_oid = alloc.oid("constraint", schema, name, user_type.constraint_name)
    return AppType(
        oid, array_oid, schema, namespace_oid, name, "d", user_type.comment,
        base_oid=user_type.base_oid,
        base_typmod=user_type.base_typmod,
        not_null=not user_type.nullable,
        default=user_type.default,
        check=user_type.check,
        check_name=user_type.constraint_name,
        check_oid=check_oid,
    )  # fmt: skip


def layout_types(
    types: Iterable[UserType], namespaces: dict[str, int], alloc: OidAllocator
) -> list[AppType]:
    """Assign OIDs to application-defined types (as `layout` does for tables)."""
    return [_layout_type(user_type, namespaces, alloc) for user_type in types]


@dataclass(frozen=True, slots=True)
class AppAttribute:
    attnum: int
    name: str
    type_oid: int
    typmod: int
    not_null: bool
    default: str | None
    default_oid: int
    comment: str | None
    #: (schema, name) of the sequence a ``nextval`` default (or serial type) draws from.
    sequence: tuple[str, str] | None = None
    sequence_oid: int = 0
    #: ``pg_attribute.attidentity``: ``"a"``, ``"d"`` or ``""``.
    identity: str = ""
    #: The default as ``pg_get_expr(adbin, adrelid, true)`` prints it (psql's ``\d``).
    pretty_default: str | None = None


@dataclass(frozen=True, slots=True)
class AppIndex:
    oid: int
    name: str
    attnums: tuple[int, ...]
    columns: tuple[str, ...]
    unique: bool
    primary: bool
    constraint_oid: int  # 0 when the index backs no constraint


@dataclass(frozen=True, slots=True)
class AppSequence:
    """A sequence with its options resolved; ``owner_oid``/``owner_attnum`` (0: none) and
    ``owner`` (table, column) name the column that owns it (serial, ``OWNED BY``)."""

    oid: int
    schema: str
    namespace_oid: int
    name: str
    type_oid: int
    start: int
    increment: int
    min_value: int
    max_value: int
    cache: int
    cycle: bool
    owner_oid: int = 0
    owner_attnum: int = 0
    owner: tuple[str, str] | None = None
    #: The sequence of an identity column (its dependency on the column is internal, 'i').
    identity: bool = False


@dataclass(frozen=True, slots=True)
class AppForeignKey:
    """A foreign key with both ends resolved to OIDs and attribute numbers."""

    oid: int
    name: str
    attnums: tuple[int, ...]
    columns: tuple[str, ...]
    ref_oid: int
    ref_schema: str
    ref_name: str
    ref_attnums: tuple[int, ...]
    ref_columns: tuple[str, ...]
    ref_index_oid: int  # the referenced unique index (0 when there is none)
    update_code: str  # pg_constraint.confupdtype
    delete_code: str  # pg_constraint.confdeltype


@dataclass(frozen=True, slots=True)
class AppCheck:
    oid: int
    name: str
    expression: str
    attnums: tuple[int, ...]  # the columns it mentions (pg_constraint.conkey)


@dataclass(frozen=True, slots=True)
class AppRelation:
    oid: int
    schema: str
    namespace_oid: int
    name: str
    kind: str
    type_oid: int
    array_type_oid: int
    attributes: tuple[AppAttribute, ...]
    indexes: tuple[AppIndex, ...]
    comment: str | None
    definition: str | None
    foreign_keys: tuple[AppForeignKey, ...] = ()
    rule_oid: int = 0  # a view's _RETURN rule (pg_rewrite)
    checks: tuple[AppCheck, ...] = ()


def _serial_default(table: Table, column: Column) -> tuple[tuple[str, str], str]:
    """((schema, sequence name), default expression) of a serial column."""
    sequence = f"{table.name}_{column.name}_seq"
    qualified = quote_identifier(sequence)
    if table.schema != "public":
        qualified = f"{quote_identifier(table.schema)}.{qualified}"
    qualified = qualified.replace("'", "''")
    return (table.schema, sequence), f"nextval('{qualified}'::regclass)"


def _drawn_sequence(default: str, schema: str) -> tuple[str, str] | None:
    """(schema, name) of the first sequence a default calls ``nextval`` on, as PostgreSQL
    records it in ``pg_depend`` for any default containing the call (``nextval('s') + 1``
    too); an unqualified name is taken in the table's ``schema``."""
    for match in _NEXTVAL.finditer(default):
        parts = relation_name_parts(match.group(1).replace("''", "'"))
        if parts is not None:
            return (parts[-2] if len(parts) > 1 else schema, parts[-1])
    return None


def _printed_default(
    text: str, column: Column, alloc: OidAllocator, pretty: bool = False
) -> str | None:
    """A column default as ``pg_get_expr`` prints it (None: a NULL constant, no default);
    ``pretty``: as its pretty form does."""
    user_type = column.user_type
    if isinstance(user_type, EnumType):
        name = quote_identifier(user_type.name)
        if user_type.schema != "public":  # not on the default search path
            name = f"{quote_identifier(user_type.schema)}.{name}"
        oid = _user_type_oid(alloc, user_type)
        return deparse_default(text, oid, -1, type_name=name, pretty=pretty)
    domain = isinstance(user_type, Domain)
    return deparse_default(text, column.type_oid, column.typmod, domain=domain, pretty=pretty)


def _layout_one(table: Table, namespace_oid: int, alloc: OidAllocator) -> AppRelation:
    schema, name = table.schema, table.name
    oid = alloc.oid("rel", schema, name)
    attributes: list[AppAttribute] = []
    primary = set(table.primary_key)
    for attnum, column in enumerate(table.columns, start=1):
        default = column.default
        sequence: tuple[str, str] | None = None
        if column.is_serial and default is None:
            sequence, default = _serial_default(table, column)
        elif column.identity:
            sequence = (schema, f"{name}_{column.name}_seq")
        pretty_default = None
        if default is not None:
            pretty_default = _printed_default(default, column, alloc, pretty=True)
            default = _printed_default(default, column, alloc)
        if sequence is None and default is not None:
            sequence = _drawn_sequence(default, schema)
        sequence_oid = alloc.oid("rel", *sequence) if sequence else 0
        user_type = column.user_type
        attributes.append(
            AppAttribute(
                attnum=attnum,
                name=column.name,
                type_oid=column.type_oid if user_type is None else _user_type_oid(alloc, user_type),
                typmod=column.typmod if user_type is None else -1,
                not_null=(
                    not column.nullable
                    or column.name in primary
                    or column.is_serial
                    or bool(column.identity)
                ),
                default=default,
                default_oid=alloc.oid("attrdef", schema, name, column.name) if default else 0,
                comment=column.comment,
                sequence=sequence,
                sequence_oid=sequence_oid,
                identity=column.identity,
                pretty_default=pretty_default,
            )
        )
    attnums = {attribute.name: attribute.attnum for attribute in attributes}
    indexes = tuple(_layout_index(table, index, attnums, alloc) for index in table.all_indexes())
    return AppRelation(
        oid=oid,
        schema=schema,
        namespace_oid=namespace_oid,
        name=name,
        kind=table.kind,
        type_oid=alloc.oid("type", schema, name),
        array_type_oid=alloc.oid("type", schema, "_" + name),
        attributes=tuple(attributes),
        indexes=indexes,
        comment=table.comment,
        definition=table.definition,
        rule_oid=alloc.oid("rule", schema, name) if table.kind in ("v", "m") else 0,
        checks=tuple(_layout_check(table, check, attnums, alloc) for check in table.checks),
    )


def _layout_check(
    table: Table, check: Check, attnums: dict[str, int], alloc: OidAllocator
) -> AppCheck:
    name = check.constraint_name(table.name, attnums)
    return AppCheck(
        oid=alloc.oid("constraint", table.schema, table.name, name),
        name=name,
        expression=check.expression,
        attnums=tuple(attnums[column] for column in check.columns(attnums)),
    )


def _layout_index(
    table: Table, index: Index, attnums: dict[str, int], alloc: OidAllocator
) -> AppIndex:
    has_constraint = index.primary or (index.unique and index.constraint)
    return AppIndex(
        oid=alloc.oid("rel", table.schema, index.name),
        name=index.name,
        attnums=tuple(attnums[column] for column in index.columns),
        columns=index.columns,
        unique=index.unique or index.primary,
        primary=index.primary,
        constraint_oid=(
            alloc.oid("constraint", table.schema, table.name, index.name) if has_constraint else 0
        ),
    )


def _layout_foreign_key(
    table: Table,
    rel: AppRelation,
    key: ForeignKey,
    relations: dict[tuple[str, str], AppRelation],
    alloc: OidAllocator,
) -> AppForeignKey | None:
    """``key`` resolved, or None when it references a relation or column the catalog lacks."""
    ref = relations.get((key.referenced_schema, key.referenced_table))
    if ref is None:
        return None
    own = {att.name: att.attnum for att in rel.attributes}
    theirs = {att.name: att.attnum for att in ref.attributes}
    if any(name not in theirs for name in key.referenced_columns):
        return None
    wanted = set(key.referenced_columns)
    index_oid = next(
        (index.oid for index in ref.indexes if index.unique and set(index.columns) == wanted), 0
    )
    name = key.constraint_name(table.name)
    return AppForeignKey(
        oid=alloc.oid("constraint", table.schema, table.name, name),
        name=name,
        attnums=tuple(own[column] for column in key.columns),
        columns=key.columns,
        ref_oid=ref.oid,
        ref_schema=ref.schema,
        ref_name=ref.name,
        ref_attnums=tuple(theirs[column] for column in key.referenced_columns),
        ref_columns=key.referenced_columns,
        ref_index_oid=index_oid,
        update_code=REFERENTIAL_ACTIONS[key.on_update],
        delete_code=REFERENTIAL_ACTIONS[key.on_delete],
    )


def layout(
    tables: Iterable[Table], namespaces: dict[str, int], alloc: OidAllocator
) -> list[AppRelation]:
    """Assign OIDs to ``tables``; ``namespaces`` maps schema names to OIDs and gains new ones.
    Foreign keys are resolved once every relation has its OIDs (they may point forward)."""
    tables = list(tables)
    relations = [
        _layout_one(table, _namespace(table.schema, namespaces, alloc), alloc) for table in tables
    ]
    by_name = {(rel.schema, rel.name): rel for rel in relations}
    for position, table in enumerate(tables):
        if table.foreign_keys:
            rel = relations[position]
            keys = (
                _layout_foreign_key(table, rel, key, by_name, alloc) for key in table.foreign_keys
            )
            relations[position] = replace(
                rel, foreign_keys=tuple(key for key in keys if key is not None)
            )
    return relations


def _owner(
    definition: SequenceDef, relations: dict[tuple[str, str], AppRelation]
) -> tuple[AppRelation, AppAttribute] | None:
    """The relation and column of a sequence's ``owner`` (None: none, or not in the schema)."""
    if definition.owner is None:
        return None
    table, column = definition.owner
    rel = relations.get((definition.schema, table))
    found = next((att for att in rel.attributes if att.name == column), None) if rel else None
    return (rel, found) if rel is not None and found is not None else None


def layout_sequences(
    relations: Iterable[AppRelation],
    sequences: Iterable[SequenceDef],
    namespaces: dict[str, int],
    alloc: OidAllocator,
) -> list[AppSequence]:
    """Assign OIDs to ``sequences`` and to those the relations' column defaults draw from that
    are not among them: each is taken for a serial column's, typed as the first column using
    it (bigint unless an integer type) and owned by it.  A sequence named like a relation or
    index of its schema is left out (PostgreSQL's relations share one namespace per schema)."""
    relations = list(relations)
    by_name = {(rel.schema, rel.name): rel for rel in relations}
    taken = set(by_name) | {(rel.schema, index.name) for rel in relations for index in rel.indexes}
    given: dict[tuple[str, str], SequenceDef] = {}
    for definition in sequences:
        given.setdefault((definition.schema, definition.name), definition)
    owners: dict[tuple[str, str], tuple[AppRelation, AppAttribute] | None] = {
        key: _owner(definition, by_name) for key, definition in given.items()
    }
    owning = {(owner[0].oid, owner[1].attnum) for owner in owners.values() if owner}
    for rel in relations:
        for att in rel.attributes:
            if att.sequence is None or att.sequence in given:
                continue
            if att.identity and (rel.oid, att.attnum) in owning:
                continue  # its sequence is given under another name
            schema, name = att.sequence
            seq_type = att.type_oid if att.type_oid in _INTEGER_TYPES else oids.INT8
            given[att.sequence] = SequenceDef(name, schema, seq_type)
            owners[att.sequence] = (rel, att)
    laid_out = []
    for key, definition in given.items():
        if key in taken:
            continue
        owner = owners[key]
        laid_out.append(
            AppSequence(
                oid=alloc.oid("rel", *key),
                schema=definition.schema,
                namespace_oid=_namespace(definition.schema, namespaces, alloc),
                name=definition.name,
                type_oid=definition.type_oid,
                start=definition.start_value,
                increment=definition.increment,
                min_value=definition.minimum,
                max_value=definition.maximum,
                cache=definition.cache,
                cycle=definition.cycle,
                owner_oid=owner[0].oid if owner else 0,
                owner_attnum=owner[1].attnum if owner else 0,
                owner=(owner[0].name, owner[1].name) if owner else None,
                identity=bool(owner and owner[1].identity),
            )
        )
    return laid_out
