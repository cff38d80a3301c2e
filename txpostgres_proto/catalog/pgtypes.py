"""PostgreSQL types as the catalog's SQL compiler tracks them, and result value conversion.

SQLite has no types to speak of (an integer 1 may be a boolean, an OID or a count), so the
compiler infers the PostgreSQL type of every expression (:class:`Ty`) the way PostgreSQL's
parser would, and the engine converts SQLite's values back with :func:`converter`: 0/1 become
``False``/``True`` for ``bool``, JSON text becomes a list for arrays, ``reg*`` OIDs become a
:class:`RegOid` that prints as the object's name.

``Ty`` carries the type OID, the typmod (for RowDescription) and, for anonymous records such as
``information_schema._pg_expandarray``'s result, the field names and types.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final

from txpostgres_proto.catalog.arrays import from_storage
from txpostgres_proto.catalog.builtin import load
from txpostgres_proto.catalog.schema import type_modifier
from txpostgres_proto.types import oids


@dataclass(frozen=True, slots=True)
class Ty:
    """A PostgreSQL type: OID, typmod, and fields for anonymous records."""

    oid: int
    typmod: int = -1
    fields: tuple[tuple[str, Ty], ...] = ()

    def field(self, name: str) -> Ty | None:
        for field_name, ty in self.fields:
            if field_name == name:
                return ty
        return None


UNKNOWN: Final = Ty(oids.UNKNOWN)
TEXT: Final = Ty(oids.TEXT)
NAME: Final = Ty(oids.NAME)
BOOL: Final = Ty(oids.BOOL)
INT2: Final = Ty(oids.INT2)
INT4: Final = Ty(oids.INT4)
INT8: Final = Ty(oids.INT8)
OID: Final = Ty(oids.OID)
NUMERIC: Final = Ty(oids.NUMERIC)
FLOAT8: Final = Ty(oids.FLOAT8)
CHAR: Final = Ty(oids.CHAR)
JSON: Final = Ty(oids.JSON)
TIMESTAMPTZ: Final = Ty(oids.TIMESTAMPTZ)

INTEGER_TYPES: Final = frozenset({oids.INT2, oids.INT4, oids.INT8})
OID_TYPES: Final = frozenset({oids.OID, oids.XID, oids.CID})
REG_TYPES: Final = frozenset(
    {
        oids.REGPROC, oids.REGPROCEDURE, oids.REGOPER, oids.REGOPERATOR, oids.REGCLASS,
        oids.REGTYPE, oids.REGCONFIG, oids.REGDICTIONARY, oids.REGNAMESPACE, oids.REGROLE,
        oids.REGCOLLATION,
    }
)  # fmt: skip
#: The reg* types the catalog converts, by OID, with the name SQL uses for them.
REG_KINDS: Final = {
    oids.REGCLASS: "regclass",
    oids.REGTYPE: "regtype",
    oids.REGPROC: "regproc",
    oids.REGPROCEDURE: "regprocedure",
    oids.REGNAMESPACE: "regnamespace",
    oids.REGROLE: "regrole",
}
TEXT_TYPES: Final = frozenset(
    {oids.TEXT, oids.NAME, oids.VARCHAR, oids.BPCHAR, oids.CHAR, oids.UNKNOWN}
)
NUMERIC_RANK: Final = {oids.INT2: 1, oids.INT4: 2, oids.INT8: 3, oids.NUMERIC: 4,
                       oids.FLOAT4: 5, oids.FLOAT8: 6}  # fmt: skip
_VECTOR_ELEMENTS: Final = {oids.INT2VECTOR: oids.INT2, oids.OIDVECTOR: oids.OID}


def _types() -> dict[int, dict[str, Any]]:
    return load().types


#: ``typsubscript`` of true array types (``array_subscript_handler``).
ARRAY_SUBSCRIPT_HANDLER: Final = 6179
_ZONED: Final = {
    oids.TIME: ("time", " without time zone"),
    oids.TIMETZ: ("time", " with time zone"),
    oids.TIMESTAMP: ("timestamp", " without time zone"),
    oids.TIMESTAMPTZ: ("timestamp", " with time zone"),
}


def format_type(
    types: Mapping[int, Mapping[str, Any]],
    oid: int,
    typmod: int | None,
    spell: Callable[[Mapping[str, Any]], str],
) -> str:
    """``format_type(oid, typmod)`` (format_type.c) over the ``pg_type`` rows ``types``;
    ``spell`` writes the name of a type without an SQL-standard one (from its row, quoted and
    qualified as needed).  ``typmod=None`` is SQL NULL (no modifier given).  OID 0 (no type,
    e.g. ``typbasetype`` of a non-domain) is ``-``, an unknown OID ``???``."""
    row = types.get(oid)
    if row is None:
        return "-" if oid == 0 else "???"
    if (
        row["typelem"]
        and row["typsubscript"] == ARRAY_SUBSCRIPT_HANDLER
        and row["typstorage"] != "p"
    ):
        return format_type(types, row["typelem"], typmod, spell) + "[]"
    given = typmod is not None
    with_mod = typmod is not None and typmod >= 0
    if oid == oids.BPCHAR:
        if with_mod:
            return f"character({typmod - 4})"  # type: ignore[operator]
        return "bpchar" if given else "character"
    if oid in _ZONED:
        base, suffix = _ZONED[oid]
        return base + (f"({typmod})" if with_mod else "") + suffix
    if oid in oids.SQL_NAMES:
        name = oids.SQL_NAMES[oid]
        if with_mod:
            assert typmod is not None
            if oid == oids.NUMERIC:
                return f"numeric({(typmod - 4) >> 16},{(typmod - 4) & 0xFFFF})"
            if oid == oids.VARCHAR:
                return f"{name}({typmod - 4})"
            return f"{name}({typmod})"
        return name
    return spell(row)


def is_array(ty: Ty) -> bool:
    row = _types().get(ty.oid)
    return ty.oid in _VECTOR_ELEMENTS or (row is not None and row["typcategory"] == "A")


def is_integer_like(ty: Ty) -> bool:
    return ty.oid in INTEGER_TYPES or ty.oid in OID_TYPES or ty.oid in REG_TYPES


def element_of(ty: Ty) -> Ty:
    """Element type of an array (or vector) type; ``text`` when unknown."""
    if ty.oid in _VECTOR_ELEMENTS:
        return Ty(_VECTOR_ELEMENTS[ty.oid])
    row = _types().get(ty.oid)
    if row is not None and row["typelem"] and row["typcategory"] == "A":
        return Ty(row["typelem"], ty.typmod)
    return TEXT


def array_of(ty: Ty) -> Ty:
    """The array type whose elements are ``ty`` (``text[]`` for unknown elements)."""
    if is_array(ty):
        return ty
    oid = oids.TEXT if ty.oid == oids.UNKNOWN else ty.oid
    row = _types().get(oid)
    array = row["typarray"] if row is not None else 0
    return Ty(array or oids.TEXT_ARRAY, ty.typmod)


def base_type(oid: int, typmod: int = -1) -> Ty:
    """Resolve domains to their base type, as RowDescription reports them."""
    types = _types()
    row = types.get(oid)
    while row is not None and row["typtype"] == "d":
        if typmod == -1:
            typmod = row["typtypmod"]
        oid = row["typbasetype"]
        row = types.get(oid)
    return Ty(oid, typmod)


def resolve_type_name(spelling: str) -> tuple[Ty, str] | None:
    """(type, pg_type name) for a type as written in a cast (``pg_catalog.int4``, ``_oid``,
    ``varchar(3)``, ``information_schema.sql_identifier``); None when not a catalog type."""
    text = " ".join(spelling.strip().split())
    lowered = text.lower()
    schema, _, name = lowered.rpartition(".") if '"' not in lowered else ("", "", lowered)
    if schema not in ("", "pg_catalog", "information_schema"):
        return None
    info = oids.type_by_name(name)
    if info is None and name.startswith("_"):
        element = oids.type_by_name(name[1:])
        if element is not None and element.array_oid:
            info = oids.BUILTIN_TYPES.get(element.array_oid)
    if info is not None:
        return Ty(info.oid, type_modifier(info.oid, name)), info.name
    bare = name.split("(")[0].strip()
    for row in _types().values():
        if row["typname"] == bare:
            return base_type(row["oid"]), bare
    return None


def promote(left: Ty, right: Ty) -> Ty:
    """Result type of arithmetic between two numeric types."""
    left_rank = NUMERIC_RANK.get(left.oid, 3 if is_integer_like(left) else 0)
    right_rank = NUMERIC_RANK.get(right.oid, 3 if is_integer_like(right) else 0)
    if left_rank == 0 and right_rank == 0:
        return NUMERIC
    rank = max(left_rank, right_rank, 2)
    for oid, value in NUMERIC_RANK.items():
        if value == rank:
            return Ty(oid)
    return NUMERIC


def output_type(ty: Ty) -> Ty:
    """The type reported for a result column (unknown literals resolve to text)."""
    if ty.oid == oids.UNKNOWN or ty.oid == 0:
        return TEXT
    return ty


class RegOid(int):
    """A ``reg*`` value: an OID (binary format, comparisons) that prints as the object's name
    (text format), like ``'pg_class'::regclass``."""

    name: str

    def __new__(cls, oid: int, name: str) -> RegOid:
        value = super().__new__(cls, oid)
        value.name = name
        return value

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"RegOid({int(self)}, {self.name!r})"


def _to_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in ("t", "true", "1", "yes", "on", "y")
    return bool(value)


def _to_int(value: Any) -> int:
    return int(value) if not isinstance(value, float) else round(value)


def _to_numeric(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _to_timestamptz(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


def _to_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _to_record(value: Any) -> str:
    """An anonymous record (stored as a JSON object) in PostgreSQL's text form ``(1,2)``."""
    fields = json.loads(value).values() if isinstance(value, str) else [value]
    return "(" + ",".join("" if field is None else str(field) for field in fields) + ")"


def _scalar_converter(ty: Ty, reg_name: Callable[[int, int], str] | None) -> Callable[[Any], Any]:
    oid = ty.oid
    if oid == oids.BOOL:
        return _to_bool
    if oid in INTEGER_TYPES or oid in OID_TYPES:
        return _to_int
    if oid in REG_TYPES:
        if reg_name is None:
            return _to_int
        return lambda value: RegOid(int(value), reg_name(oid, int(value)))
    if oid in (oids.FLOAT4, oids.FLOAT8):
        return float
    if oid == oids.NUMERIC:
        return _to_numeric
    if oid in (oids.TIMESTAMPTZ, oids.TIMESTAMP):
        return _to_timestamptz
    if oid in (oids.JSON, oids.JSONB):
        return _to_json
    if oid == oids.RECORD:
        return _to_record
    return str


def converter(ty: Ty, reg_name: Callable[[int, int], str] | None = None) -> Callable[[Any], Any]:
    """Turn a SQLite value of a column of type ``ty`` into the Python value codecs expect.

    ``reg_name(type_oid, oid)`` renders reg* values (regclass → relation name ...).
    """
    if is_array(ty):
        convert_element = _scalar_converter(element_of(ty), reg_name)

        def convert_array(value: Any) -> list[Any] | None:
            items = from_storage(value)
            if items is None:
                return None
            return [None if item is None else convert_element(item) for item in items]

        return convert_array
    return _scalar_converter(ty, reg_name)
