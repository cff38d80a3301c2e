"""PostgreSQL types on SQLite: what a column is declared as, how values are stored and read back.

SQLite keeps whatever type name a column is declared with (it only derives an *affinity* from
it, SQLite docs section 3.1 "Determination Of Column Affinity").  The embedded backend therefore
declares every column with its PostgreSQL ``pg_type`` name and modifiers (``int4``,
``varchar(20)``, ``numeric(10,2)``, ``timestamptz``, ``_text`` for ``text[]``): the database
file describes itself, ``PRAGMA table_info`` gives the type back, and no side table has to
follow ALTER/DROP/RENAME.  The affinities SQLite derives from those names are the useful ones
(``int*`` → INTEGER, ``float*`` → REAL, ``*char``/``text`` → TEXT, ``numeric``/``bool``/dates
→ NUMERIC).

Storage conventions (what `to_storage` writes and the converters of `reader_for` read):

* ``bool`` is 0/1; integers and floats are SQLite numbers;
* ``numeric`` is a SQLite number: exact up to 15 significant digits (SQLite keeps REAL), read
  back as ``Decimal`` rounded to the column's declared scale;
* ``timestamptz`` is ISO 8601 text in UTC with its offset (``2024-01-02 03:04:05.5+00:00``),
  ``timestamp``/``date``/``time`` ISO text, so that text order is time order;
* ``interval`` is PostgreSQL's interval text; ``uuid`` its text; ``bytea`` a BLOB;
* ``json``/``jsonb`` and arrays (any dimension) are JSON text.

Columns declared by other SQLite tools (``INTEGER``, ``DATETIME``, no type at all …) are typed by
`pg_type_of` with SQLite's own affinity rules, so an existing database file can be served too.

A column of an application-defined enum or domain (``usertypes.py``) is stored as its storage
type (``text`` for an enum, the base type for a domain) and declared as that type preceded by a
tag naming the type: ``pgenum_6d6f6f64 text`` for an enum ``mood``, ``pgdomain_… int4`` for a
domain.  The name is hex-encoded so that the tag cannot change the affinity SQLite derives from
the declared type (hex digits never spell ``INT``, ``CHAR``, ``TEXT``, ``BLOB``, ``REAL`` …).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache, lru_cache
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network
from typing import Any, Final

from txpostgres_proto.catalog.schema import type_modifier
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import Interval, format_interval, oids, parse_interval, type_by_name
from txpostgres_proto.types.numeric import stored_number
from txpostgres_proto.types.values import interval_parts, interval_value

Reader = Callable[[Any], Any]

#: SQLite spellings that PostgreSQL reads differently (SQLite integers are 64-bit, REAL is
#: double precision) or does not know.
_SQLITE_NAMES: Final = {
    "": oids.TEXT,
    "integer": oids.INT8,
    "int": oids.INT8,
    "tinyint": oids.INT2,
    "mediumint": oids.INT4,
    "unsigned big int": oids.INT8,
    "real": oids.FLOAT8,
    "double": oids.FLOAT8,
    "float": oids.FLOAT8,
    "blob": oids.BYTEA,
    "clob": oids.TEXT,
    "string": oids.TEXT,
    "datetime": oids.TIMESTAMP,
    "num": oids.NUMERIC,
}
_INTEGERS: Final = frozenset({oids.INT2, oids.INT4, oids.INT8, oids.OID})
_FLOATS: Final = frozenset({oids.FLOAT4, oids.FLOAT8})
_TEXTS: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.CHAR})
_INT_RANGES: Final = {
    oids.INT2: (-(2**15), 2**15 - 1, "smallint"),
    oids.INT4: (-(2**31), 2**31 - 1, "integer"),
    oids.INT8: (-(2**63), 2**63 - 1, "bigint"),
}
_FORMAT_NAMES: Final = {
    **oids.SQL_NAMES,
    oids.BPCHAR: "character",
    oids.TIMESTAMP: "timestamp without time zone",
    oids.TIMESTAMPTZ: "timestamp with time zone",
    oids.TIME: "time without time zone",
}
_USER_TYPE_TAGS: Final = {"e": "pgenum_", "d": "pgdomain_"}
_USER_TYPE_TAG: Final = re.compile(r"^pg(enum|domain)_((?:[0-9a-f]{2})+)\s+(.*)$")
_TRUE: Final = frozenset({"t", "true", "y", "yes", "on", "1"})
_FALSE: Final = frozenset({"f", "false", "n", "no", "off", "0"})


@dataclass(frozen=True, slots=True)
class PgType:
    """A PostgreSQL type with its modifier, as a column or expression has it."""

    oid: int
    typmod: int = -1
    #: The enum or domain a column was declared with (``user_kind`` 'e' or 'd'); ``oid`` and
    #: ``typmod`` are then its storage type (see the module docstring).
    user_type: str | None = None
    user_kind: str = ""

    @property
    def name(self) -> str:
        info = oids.BUILTIN_TYPES.get(self.oid)
        return info.name if info is not None else "text"

    @property
    def element(self) -> PgType | None:
        """The element type of an array type, else None."""
        info = oids.BUILTIN_TYPES.get(self.oid)
        if info is None or not info.is_array:
            return None
        return PgType(info.element_oid, self.typmod)

    def array(self) -> PgType:
        """The array type of this type (an array of arrays is the same array type)."""
        if self.element is not None:
            return self
        info = oids.BUILTIN_TYPES.get(self.oid)
        return PgType(info.array_oid if info and info.array_oid else oids.TEXT_ARRAY, self.typmod)

    def declaration(self) -> str:
        """The SQLite declared type: ``pg_type`` name plus modifiers (see the module docstring)."""
        base = self.element or self
        modifier = _modifier_text(base.oid, self.typmod)
        if self.user_type is not None:
            tag = _USER_TYPE_TAGS[self.user_kind] + self.user_type.encode().hex()
            return f"{tag} {self.name}{modifier}"
        return f"{self.name}{modifier}"


TEXT: Final = PgType(oids.TEXT)


def format_type_name(pg_type: PgType) -> str:
    """The type's name as PostgreSQL prints it in messages and casts (``character varying``)."""
    if pg_type.user_type is not None:
        return pg_type.user_type
    element = pg_type.element
    if element is not None:
        return format_type_name(element) + "[]"
    return _FORMAT_NAMES.get(pg_type.oid, pg_type.name)


def _modifier_text(oid: int, typmod: int) -> str:
    if typmod < 0:
        return ""
    if oid in (oids.VARCHAR, oids.BPCHAR):
        return f"({typmod - 4})"
    if oid == oids.NUMERIC:
        precision, scale = (typmod - 4) >> 16, (typmod - 4) & 0xFFFF
        return f"({precision},{scale})"
    if oid in (oids.TIMESTAMP, oids.TIMESTAMPTZ, oids.TIME, oids.TIMETZ, oids.INTERVAL):
        return f"({typmod})"
    return ""


def pg_type_named(spelling: str) -> PgType | None:
    """The PostgreSQL type of a SQL type spelling (``varchar(20)``, ``int[]``), or None."""
    info = type_by_name(spelling)
    if info is None:
        return None
    return PgType(info.oid, type_modifier(info.oid, spelling.lower()))


def pg_type_of(declared: str) -> PgType:
    """The PostgreSQL type of a SQLite declared column type (ours or another tool's)."""
    spelling = " ".join(declared.strip().lower().split())
    tagged = _USER_TYPE_TAG.match(spelling)
    if tagged is not None:
        kind, name, storage = tagged.groups()
        return replace(
            pg_type_of(storage),
            user_type=bytes.fromhex(name).decode(errors="replace"),
            user_kind=kind[0],
        )
    bare = spelling.split("(")[0].strip()
    if bare in _SQLITE_NAMES:
        return PgType(_SQLITE_NAMES[bare])
    found = pg_type_named(spelling)
    if found is not None:
        return found
    upper = spelling.upper()
    if "INT" in upper:
        return PgType(oids.INT8)
    if "CHAR" in upper or "CLOB" in upper or "TEXT" in upper:
        return TEXT
    if "BLOB" in upper:
        return PgType(oids.BYTEA)
    if "REAL" in upper or "FLOA" in upper or "DOUB" in upper:
        return PgType(oids.FLOAT8)
    return PgType(oids.NUMERIC)


# --- Python values → SQLite ------------------------------------------------------------------


def storage_timestamp(value: datetime) -> str:
    """A datetime as stored: aware values in UTC with ``+00:00``, naive ones as they are."""
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.isoformat(" ")


def _json_default(value: Any) -> Any:
    stored = to_storage(value)
    return stored.hex() if isinstance(stored, bytes) else stored


def to_storage(value: Any) -> Any:
    """A decoded parameter (or any Python value) as SQLite stores it (module docstring)."""
    if value is None or isinstance(value, str | float) or type(value) is int:
        return value
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Decimal):
        return stored_number(value)
    if isinstance(value, datetime):
        return storage_timestamp(value)
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta | Interval):
        return format_interval(*interval_parts(value))
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default)
    if isinstance(value, uuid.UUID | IPv4Address | IPv6Address | IPv4Network | IPv6Network):
        return str(value)
    return str(value)


# --- SQLite → Python values ------------------------------------------------------------------


def _invalid(type_name: str, value: Any) -> PostgresError:
    return PostgresError(f'invalid input syntax for type {type_name}: "{value}"', "22P02")


def _read_bool(value: Any) -> Any:
    if isinstance(value, int | float):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid("boolean", value)


def integer_range(oid: int) -> tuple[int, int]:
    """The values an integer type holds (lowest, highest); 64-bit for ``oid`` and others."""
    low, high, _ = _INT_RANGES.get(oid, _INT_RANGES[oids.INT8])
    return low, high


@cache  # one reader per integer type: `reader_for` runs for every cast of a parameter
def _integer_reader(oid: int) -> Reader:
    low, high, name = _INT_RANGES.get(oid, _INT_RANGES[oids.INT8])

    def read_integer(value: Any) -> Any:
        if type(value) is int:
            number = value
        elif isinstance(value, float):
            if not math.isfinite(value):
                raise PostgresError(f"{name} out of range", "22003")
            number = round(value)
        else:
            try:
                number = int(str(value).strip())
            except ValueError:
                raise _invalid(name, value) from None
        if not low <= number <= high:
            raise PostgresError(f"{name} out of range", "22003")
        return number

    return read_integer


def _read_float(value: Any) -> Any:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _invalid("double precision", value) from None


@lru_cache(maxsize=256)
def _numeric_reader(typmod: int) -> Reader:
    quantum = Decimal(1).scaleb(-((typmod - 4) & 0xFFFF)) if typmod >= 4 else None

    def read_numeric(value: Any) -> Any:
        try:
            number = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
        except InvalidOperation:
            raise _invalid("numeric", value) from None
        if quantum is not None and number.is_finite():
            return number.quantize(quantum, rounding=ROUND_HALF_UP)
        return number

    return read_numeric


def _read_text(value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return repr(value)
    return str(value)


def _read_bytea(value: Any) -> Any:
    if isinstance(value, bytes):
        return value
    return str(value).encode()


def _parse_datetime(value: Any, type_name: str) -> datetime:
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        if text.lower() == "infinity":
            return datetime.max
        if text.lower() == "-infinity":
            return datetime.min
        raise _invalid(type_name, value) from None


def _read_timestamp(value: Any) -> Any:
    if type(value) is str:
        try:  # the usual case: stored the way we store timestamps, read with no clean-up
            stamp = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return stamp if stamp.tzinfo is None else stamp.replace(tzinfo=None)
    return _parse_datetime(value, "timestamp").replace(tzinfo=None)


def _read_timestamptz(value: Any) -> Any:
    stamp = _parse_datetime(value, "timestamp with time zone")
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _read_date(value: Any) -> Any:
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise _invalid("date", value) from None


def _read_time(value: Any) -> Any:
    text = str(value).strip()
    try:
        parsed = time.fromisoformat(text)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(text).time()
        except ValueError:
            raise _invalid("time without time zone", value) from None
    return parsed.replace(tzinfo=None)


def _read_interval(value: Any) -> Any:
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    try:
        return interval_value(*parse_interval(str(value).strip()))
    except ValueError:
        raise _invalid("interval", value) from None


def _read_json(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise _invalid("json", value) from None


def _read_uuid(value: Any) -> Any:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise _invalid("uuid", value) from None


def _array_reader(element: PgType) -> Reader:
    read_element = reader_for(element)

    def convert(item: Any) -> Any:
        if isinstance(item, list):
            return [convert(part) for part in item]
        if item is None or read_element is None:
            return item
        if isinstance(item, bool):
            item = int(item)
        elif isinstance(item, dict):
            item = json.dumps(item)
        return read_element(item)

    def read_array(value: Any) -> Any:
        if isinstance(value, str):
            try:
                items = json.loads(value)
            except ValueError:
                raise _invalid(f"{element.name}[]", value) from None
        else:
            items = [value]
        if not isinstance(items, list):
            items = [items]
        return convert(items)

    return read_array


def reader_for(pg_type: PgType) -> Reader | None:
    """The function turning a stored SQLite value into the Python value of ``pg_type`` (None:
    the stored value is already right).  Readers raise `PostgresError` for values the type
    cannot hold (SQLite's typing is loose, PostgreSQL's is not)."""
    oid = pg_type.oid
    element = pg_type.element
    if element is not None:
        return _array_reader(element)
    if oid == oids.BOOL:
        return _read_bool
    if oid in _INTEGERS:
        return _integer_reader(oid)
    if oid in _FLOATS:
        return _read_float
    if oid == oids.NUMERIC:
        return _numeric_reader(pg_type.typmod)
    if oid == oids.BPCHAR and pg_type.typmod > 4:
        return _blank_padded_reader(pg_type.typmod - 4)
    if oid in _TEXTS or oid == oids.UNKNOWN:
        return _read_text
    return _READERS.get(oid, _read_text)


@lru_cache(maxsize=64)
def _blank_padded_reader(length: int) -> Reader:
    """``character(length)``: PostgreSQL keeps such a value padded with blanks to its length
    (and ignores the blanks wherever it compares or converts it, as the SQLite default does
    by storing it unpadded), so the blanks appear only in results."""

    def read(value: Any) -> Any:
        return _read_text(value).ljust(length)

    return read


_READERS: Final[dict[int, Reader]] = {
    oids.BYTEA: _read_bytea,
    oids.TIMESTAMP: _read_timestamp,
    oids.TIMESTAMPTZ: _read_timestamptz,
    oids.DATE: _read_date,
    oids.TIME: _read_time,
    oids.INTERVAL: _read_interval,
    oids.JSON: _read_json,
    oids.JSONB: _read_json,
    oids.UUID: _read_uuid,
}
