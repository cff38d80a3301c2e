"""PostgreSQL types for both sides: OIDs, text and binary codecs, and one registry to find them.

Sans-IO (no Twisted). See ``registry.py`` for the lookup rules and ``oids.py`` for the type table.
"""

from txpostgres_proto.types import oids
from txpostgres_proto.types.datetimes import TimeZoneSpec, resolve_timezone
from txpostgres_proto.types.infer import oid_for_value
from txpostgres_proto.types.intervals import format_interval, parse_interval
from txpostgres_proto.types.oids import BUILTIN_TYPES, TypeInfo, type_by_name
from txpostgres_proto.types.registry import (
    DEFAULT_REGISTRY,
    TypeRegistry,
    infer_oid,
    make_row_decoder,
    make_row_encoder,
    per_column_formats,
)
from txpostgres_proto.types.rows import RowDecoder, RowEncoder
from txpostgres_proto.types.typecodecs import BINARY, TEXT, Decoder, Encoder, TypeCodecs
from txpostgres_proto.types.values import Interval

__all__ = [
    "BINARY",
    "BUILTIN_TYPES",
    "DEFAULT_REGISTRY",
    "TEXT",
    "Decoder",
    "Encoder",
    "Interval",
    "RowDecoder",
    "RowEncoder",
    "TimeZoneSpec",
    "TypeCodecs",
    "TypeInfo",
    "TypeRegistry",
    "format_interval",
    "infer_oid",
    "make_row_decoder",
    "make_row_encoder",
    "oid_for_value",
    "oids",
    "parse_interval",
    "per_column_formats",
    "resolve_timezone",
    "type_by_name",
]
