"""Lay out the application's tables and types as catalog objects: OIDs, attnums, indexes, keys.

:func:`layout_types` turns :class:`~txpostgres_proto.catalog.schema.EnumType` and
:class:`~txpostgres_proto.catalog.schema.Domain` objects into :class:`AppType` records (the
type, its array type, enum label and domain constraint OIDs); :func:`layout` turns
:class:`~txpostgres_proto.catalog.schema.Table` objects into :class:`AppRelation` records that
carry every OID PostgreSQL would have assigned (relation, row type, array type, indexes,
constraints, column defaults, owned sequences) plus the facts the catalog rows are built from.
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
from txpostgres_proto.catalog.schema import (
    REFERENTIAL_ACTIONS,
    Check,
    Column,
    EnumType,
    ForeignKey,
    Index,
    Table,
    UserType,
)
from txpostgres_proto.types import oids

_INTEGER_TYPES: Final = frozenset({oids.INT2, oids.INT4, oids.INT8})
_NEXTVAL: Final = re.compile(
    r"^nextval\('(?:\"?([^'\".]+)\"?\.)?\"?([^'\"]+)\"?'(?:::regclass)?\)$"
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
    oid: int
    name: str
    type_oid: int
    owner_attnum: int  # the serial column it belongs to, 0 if not owned


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
    sequences: tuple[AppSequence, ...]
    comment: str | None
    definition: str | None
    foreign_keys: tuple[AppForeignKey, ...] = ()
    rule_oid: int = 0  # a view's _RETURN rule (pg_rewrite)
    checks: tuple[AppCheck, ...] = ()


def _serial_default(table: Table, column: Column) -> tuple[str, str]:
    """(sequence name, default expression) of a serial column."""
    sequence = f"{table.name}_{column.name}_seq"
    qualified = sequence if table.schema == "public" else f"{table.schema}.{sequence}"
    return sequence, f"nextval('{qualified}'::regclass)"


def _layout_one(table: Table, namespace_oid: int, alloc: OidAllocator) -> AppRelation:
    schema, name = table.schema, table.name
    oid = alloc.oid("rel", schema, name)
    attributes: list[AppAttribute] = []
    sequences: list[AppSequence] = []
    primary = set(table.primary_key)
    for attnum, column in enumerate(table.columns, start=1):
        default = column.default
        if column.is_serial and default is None:
            sequence, default = _serial_default(table, column)
            sequences.append(
                AppSequence(alloc.oid("rel", schema, sequence), sequence, column.type_oid, attnum)
            )
        elif default is not None and (match := _NEXTVAL.match(default.strip())):
            sequence = match.group(2)
            # The sequence of ``integer DEFAULT nextval(...)`` is typed as its column, as
            # ``serial`` makes it (what else it was created as is not known here).
            seq_type = column.type_oid if column.type_oid in _INTEGER_TYPES else oids.INT8
            sequences.append(
                AppSequence(alloc.oid("rel", schema, sequence), sequence, seq_type, attnum)
            )
        user_type = column.user_type
        attributes.append(
            AppAttribute(
                attnum=attnum,
                name=column.name,
                type_oid=column.type_oid if user_type is None else _user_type_oid(alloc, user_type),
                typmod=column.typmod if user_type is None else -1,
                not_null=not column.nullable or column.name in primary or column.is_serial,
                default=default,
                default_oid=alloc.oid("attrdef", schema, name, column.name) if default else 0,
                comment=column.comment,
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
        sequences=tuple(sequences),
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
