"""Binary-format (format code 1) codecs for the simple scalar types.

The binary format of a type is what its ``typsend`` function writes and its ``typreceive``
function reads (protocol docs 55.2.3; the layouts are defined by the ``*send``/``*recv``
functions in PostgreSQL's source). All integers are big-endian ("network byte order").

Decoders are kept as close to a single C call as possible (a bound ``Struct.unpack_from`` plus an
index, ``bytes.decode``) because the row decoder calls them once per field. Date/time, interval,
numeric, network and array types live in their own modules.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

from txpostgres_proto.types.text_codecs import encode_json

_BIT_COUNT: Final = struct.Struct("!i")

# --- fixed-width numbers ----------------------------------------------------------------------


def _struct_codec(fmt: str) -> tuple[Callable[[Any], bytes], Callable[[bytes], Any]]:
    """Encoder and decoder of one fixed-size value: the encoder is the bound ``Struct.pack``
    itself (same bytes, same ``struct.error``, no Python frame per parameter)."""
    layout = struct.Struct(fmt)
    unpack = layout.unpack

    def decode(data: bytes) -> Any:
        return unpack(data)[0]

    decode.__qualname__ = decode.__name__ = f"decode_{fmt[1:]}"
    return layout.pack, decode


encode_int2, decode_int2 = _struct_codec("!h")
encode_int4, decode_int4 = _struct_codec("!i")
encode_int8, decode_int8 = _struct_codec("!q")
encode_uint4, decode_uint4 = _struct_codec("!I")  # oid, xid, cid, reg* types
encode_uint8, decode_uint8 = _struct_codec("!Q")  # xid8
encode_float4, decode_float4 = _struct_codec("!f")
encode_float8, decode_float8 = _struct_codec("!d")


def decode_bool(data: bytes) -> bool:
    return data != b"\x00"


def encode_bool(value: Any) -> bytes:
    return b"\x01" if value else b"\x00"


# --- byte strings -----------------------------------------------------------------------------


# The unbound C method (UTF-8, strict): no Python frame per field on the hot path.
decode_text: Final[Callable[[bytes], str]] = bytes.decode


def encode_text(value: Any) -> bytes:
    """Text's binary form is its UTF-8 bytes, the same as its text form."""
    if type(value) is str:
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


def decode_bytea(data: bytes) -> bytes:
    return bytes(data)


def encode_bytea(value: Any) -> bytes:
    return bytes(value)


def decode_char(data: bytes) -> str:
    """``"char"``: one raw byte; the zero byte is the empty value ``''``."""
    return data.rstrip(b"\x00").decode("latin-1")


def encode_char(value: Any) -> bytes:
    raw = value[:1] if isinstance(value, bytes) else str(value).encode("latin-1")[:1]
    return raw or b"\x00"


# --- bit strings ------------------------------------------------------------------------------


def decode_bit(data: bytes) -> str:
    """``bit``/``varbit``: int32 bit count then the bits, most significant first; returned as
    the ``'0101'`` string PostgreSQL prints."""
    count = _BIT_COUNT.unpack_from(data)[0]
    if count == 0:
        return ""
    return format(int.from_bytes(data[4:], "big"), f"0{(len(data) - 4) * 8}b")[:count]


def encode_bit(value: Any) -> bytes:
    bits = str(value)
    padded = bits + "0" * (-len(bits) % 8)
    body = int(padded, 2).to_bytes(len(padded) // 8, "big") if bits else b""
    return _BIT_COUNT.pack(len(bits)) + body


# --- uuid and json ----------------------------------------------------------------------------


def decode_uuid(data: bytes) -> UUID:
    return UUID(bytes=bytes(data))


def encode_uuid(value: Any) -> bytes:
    return (value if isinstance(value, UUID) else UUID(str(value))).bytes


def decode_json(data: bytes) -> Any:
    """``json``'s binary form is its text."""
    return json.loads(data)


_JSONB_VERSION: Final = b"\x01"


def decode_jsonb(data: bytes) -> Any:
    """``jsonb``'s binary form is a version byte (1) followed by the JSON text."""
    if data[:1] != _JSONB_VERSION:
        raise ValueError(f"unsupported jsonb version number {data[:1]!r}")
    return json.loads(data[1:])


def encode_jsonb(value: Any) -> bytes:
    return _JSONB_VERSION + encode_json(value)


# --- pg_lsn -----------------------------------------------------------------------------------


def decode_pg_lsn(data: bytes) -> str:
    """A WAL position (uint64) in PostgreSQL's printed form ``hi/lo`` (upper-case hex)."""
    position = int.from_bytes(data, "big")
    return f"{position >> 32:X}/{position & 0xFFFFFFFF:X}"


def encode_pg_lsn(value: Any) -> bytes:
    high, _, low = str(value).partition("/")
    return ((int(high, 16) << 32) | int(low, 16)).to_bytes(8, "big")
