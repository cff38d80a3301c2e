"""The codec table for PostgreSQL's built-in types: which Python codec serves which OID.

Array types are not listed: the registry builds their codecs from the element type's codecs
(``oids.BUILTIN_TYPES`` says which OID is an array of what). Built-in types not listed here (for
example ``point``, ``money``, ``tsvector``, ranges) decode from text to ``str``, encode text via
``str()``, and have no binary codec (a client should request text for them).

Type choices worth knowing:
* ``oid``, ``xid``, ``cid``, ``xid8`` are ``int`` in both formats. The ``reg*`` types
  (``regclass``, ``regtype``...) are ``int`` in binary (an OID) but ``str`` in text, because
  their text form is a name (``pg_class``), not a number.
* ``bit``/``varbit`` and ``macaddr``/``macaddr8``/``pg_lsn`` are the ``str`` PostgreSQL prints.
* ``"char"`` is a one-character ``str``; ``void`` decodes to ``None``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import tzinfo
from typing import Any, Final

from txpostgres_proto.types import arrays, datetimes, floats, intervals, network, numeric, oids
from txpostgres_proto.types import binary_codecs as b
from txpostgres_proto.types import text_codecs as t
from txpostgres_proto.types.typecodecs import Decoder, Encoder, TypeCodecs


def _constant(codec: Encoder | Decoder) -> Callable[[tzinfo | None], Encoder | Decoder]:
    def for_zone(zone: tzinfo | None) -> Encoder | Decoder:
        return codec

    return for_zone


def _decode_void(data: bytes) -> None:
    return None


def _encode_void(value: Any) -> bytes:
    return b""


def _entry(
    oid: int,
    text: tuple[Encoder, Decoder] | None,
    binary: tuple[Encoder, Decoder] | None = None,
) -> tuple[int, TypeCodecs]:
    info = oids.BUILTIN_TYPES[oid]
    text_encoder, text_decoder = text or (None, None)
    binary_encoder, binary_decoder = binary or (None, None)
    codecs = TypeCodecs(
        info.name,
        text_encoder,
        text_decoder,
        binary_encoder,
        binary_decoder,
        info.array_oid,
        info.delimiter,
    )
    return oid, codecs


_INT_TEXT: Final = (t.encode_int, int)
_STR_TEXT: Final = (t.encode_text, t.decode_text)
_STR_BINARY: Final = (b.encode_text, b.decode_text)
_UINT4_BINARY: Final = (b.encode_uint4, b.decode_uint4)
_NAME_TYPES: Final = (oids.TEXT, oids.VARCHAR, oids.NAME, oids.BPCHAR, oids.XML)
_REG_TYPES: Final = (
    oids.REGPROC,
    oids.REGPROCEDURE,
    oids.REGOPER,
    oids.REGOPERATOR,
    oids.REGCLASS,
    oids.REGTYPE,
    oids.REGCONFIG,
    oids.REGDICTIONARY,
    oids.REGNAMESPACE,
    oids.REGROLE,
    oids.REGCOLLATION,
)


def builtin_codecs() -> dict[int, TypeCodecs]:
    """A fresh table of the built-in codecs, keyed by type OID."""
    table = dict(
        [
            _entry(oids.BOOL, (t.encode_bool, t.decode_bool), (b.encode_bool, b.decode_bool)),
            _entry(oids.INT2, _INT_TEXT, (b.encode_int2, b.decode_int2)),
            _entry(oids.INT4, _INT_TEXT, (b.encode_int4, b.decode_int4)),
            _entry(oids.INT8, _INT_TEXT, (b.encode_int8, b.decode_int8)),
            _entry(oids.OID, _INT_TEXT, _UINT4_BINARY),
            _entry(oids.XID, _INT_TEXT, _UINT4_BINARY),
            _entry(oids.CID, _INT_TEXT, _UINT4_BINARY),
            _entry(oids.XID8, _INT_TEXT, (b.encode_uint8, b.decode_uint8)),
            _entry(oids.FLOAT4, (floats.encode_float4, float), (b.encode_float4, b.decode_float4)),
            _entry(oids.FLOAT8, (floats.encode_float8, float), (b.encode_float8, b.decode_float8)),
            _entry(
                oids.NUMERIC,
                (numeric.encode_numeric_text, numeric.decode_numeric_text),
                (numeric.encode_numeric_binary, numeric.decode_numeric_binary),
            ),
            _entry(oids.CHAR, (t.encode_char, t.decode_char), (b.encode_char, b.decode_char)),
            _entry(oids.BYTEA, (t.encode_bytea, t.decode_bytea), (b.encode_bytea, b.decode_bytea)),
            _entry(oids.UUID, (t.encode_uuid, t.decode_uuid), (b.encode_uuid, b.decode_uuid)),
            _entry(oids.JSON, (t.encode_json, t.decode_json), (t.encode_json, b.decode_json)),
            _entry(oids.JSONB, (t.encode_json, t.decode_json), (b.encode_jsonb, b.decode_jsonb)),
            _entry(
                oids.INET,
                (network.encode_inet_text, network.decode_inet_text),
                (network.encode_inet_binary, network.decode_inet_binary),
            ),
            _entry(
                oids.CIDR,
                (network.encode_cidr_text, network.decode_cidr_text),
                (network.encode_cidr_binary, network.decode_cidr_binary),
            ),
            _entry(
                oids.MACADDR,
                _STR_TEXT,
                (network.encode_macaddr_binary, network.decode_macaddr_binary),
            ),
            _entry(
                oids.MACADDR8,
                _STR_TEXT,
                (network.encode_macaddr_binary, network.decode_macaddr_binary),
            ),
            _entry(oids.BIT, _STR_TEXT, (b.encode_bit, b.decode_bit)),
            _entry(oids.VARBIT, _STR_TEXT, (b.encode_bit, b.decode_bit)),
            _entry(oids.PG_LSN, _STR_TEXT, (b.encode_pg_lsn, b.decode_pg_lsn)),
            _entry(oids.VOID, (_encode_void, _decode_void), (_encode_void, _decode_void)),
            _entry(
                oids.INT2VECTOR,
                (t.encode_int_vector, t.decode_int_vector),
                (
                    arrays.make_binary_encoder(b.encode_int2, oids.INT2, lower_bound=0),
                    arrays.make_binary_decoder(b.decode_int2),
                ),
            ),
            _entry(
                oids.OIDVECTOR,
                (t.encode_int_vector, t.decode_int_vector),
                (
                    arrays.make_binary_encoder(b.encode_uint4, oids.OID, lower_bound=0),
                    arrays.make_binary_decoder(b.decode_uint4),
                ),
            ),
            _entry(
                oids.DATE,
                (datetimes.encode_date_text, datetimes.decode_date_text),
                (datetimes.encode_date_binary, datetimes.decode_date_binary),
            ),
            _entry(
                oids.TIME,
                (datetimes.encode_time_text, datetimes.decode_time_text),
                (datetimes.encode_time_binary, datetimes.decode_time_binary),
            ),
            _entry(
                oids.TIMETZ,
                (datetimes.encode_timetz_text, datetimes.decode_time_text),
                (datetimes.encode_timetz_binary, datetimes.decode_timetz_binary),
            ),
            _entry(
                oids.TIMESTAMP,
                (datetimes.encode_timestamp_text, datetimes.decode_timestamp_text),
                (datetimes.encode_timestamp_binary, datetimes.decode_timestamp_binary),
            ),
            _entry(
                oids.INTERVAL,
                (intervals.encode_interval_text, intervals.decode_interval_text),
                (intervals.encode_interval_binary, intervals.decode_interval_binary),
            ),
        ]
    )
    for oid in _NAME_TYPES:
        table.update([_entry(oid, _STR_TEXT, _STR_BINARY)])
    for oid in _REG_TYPES:
        table.update([_entry(oid, _STR_TEXT, _UINT4_BINARY)])
    # unknown (an untyped literal) has no text encoder: the value's own type decides.
    table[oids.UNKNOWN] = TypeCodecs("unknown", None, t.decode_text, b.encode_text, b.decode_text)
    info = oids.BUILTIN_TYPES[oids.TIMESTAMPTZ]
    table[oids.TIMESTAMPTZ] = TypeCodecs(
        info.name,
        datetimes.make_timestamptz_text_encoder,
        datetimes.make_timestamptz_text_decoder,
        _constant(datetimes.encode_timestamptz_binary),
        datetimes.make_timestamptz_binary_decoder,
        info.array_oid,
        info.delimiter,
        zoned=True,
    )
    return table
