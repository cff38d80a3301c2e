"""Text-format (format code 0) codecs for the simple scalar types.

The text format of a type is what its ``typoutput`` function prints and its ``typinput``
function reads (protocol docs 55.2.3 "Formats and Format Codes"; chapter 8, "Data Types", for
each type's literal syntax). Every decoder takes the raw field ``bytes`` and every encoder
returns ``bytes``; text is UTF-8 (the connection's ``client_encoding`` is assumed to be UTF8).

Encoders print exactly what PostgreSQL 15 prints with its default settings (``DateStyle=ISO``,
``extra_float_digits=1``, ``bytea_output=hex``), so a server built on them is indistinguishable
from PostgreSQL and a client's parameters are read back unchanged. Date/time, interval, numeric,
network, array and floating-point types live in their own modules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any, Final
from uuid import UUID

# --- bool -------------------------------------------------------------------------------------

_BOOL_WORDS: Final[dict[bytes, bool]] = {
    b"t": True,
    b"f": False,
    b"true": True,
    b"false": False,
    b"y": True,
    b"n": False,
    b"yes": True,
    b"no": False,
    b"on": True,
    b"off": False,
    b"1": True,
    b"0": False,
}


def decode_bool(data: bytes) -> bool:
    """``t``/``f`` as PostgreSQL prints them; also every spelling ``boolin`` accepts."""
    if data == b"t":
        return True
    if data == b"f":
        return False
    try:
        return _BOOL_WORDS[data.strip().lower()]
    except KeyError:
        raise ValueError(f"invalid input syntax for type boolean: {data!r}") from None


def encode_bool(value: Any) -> bytes:
    return b"t" if value else b"f"


# --- integers and other whole numbers ---------------------------------------------------------


def encode_int(value: Any) -> bytes:
    """Integers print in decimal. Only whole numbers are accepted: 2.5 is an error, not 2."""
    if type(value) is int:
        return b"%d" % value
    number = int(value)
    if number != value and not isinstance(value, str | bytes):
        raise ValueError(f"{value!r} is not a whole number")
    return b"%d" % number


# --- strings ----------------------------------------------------------------------------------


# The unbound C method (UTF-8, strict): no Python frame per field on the hot path.
decode_text: Final[Callable[[bytes], str]] = bytes.decode


def encode_text(value: Any) -> bytes:
    """``str`` values as UTF-8; anything else via ``str()``."""
    if type(value) is str:
        return value.encode()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode()


# --- bytea ------------------------------------------------------------------------------------

_ESCAPED_BYTE: Final = re.compile(rb"\\([0-3][0-7][0-7]|\\)")


def _unescape_byte(match: re.Match[bytes]) -> bytes:
    code = match.group(1)
    return b"\\" if code == b"\\" else bytes((int(code, 8),))


def decode_bytea(data: bytes) -> bytes:
    """Hex format (``\\x0aff``, PostgreSQL 9.0+) or the traditional escape format."""
    if data[:2] == b"\\x":
        return bytes.fromhex(data[2:].decode())
    return _ESCAPED_BYTE.sub(_unescape_byte, data)


def encode_bytea(value: Any) -> bytes:
    return b"\\x" + bytes(value).hex().encode()


# --- uuid -------------------------------------------------------------------------------------


def decode_uuid(data: bytes) -> UUID:
    return UUID(data.decode())


def encode_uuid(value: Any) -> bytes:
    return str(value if isinstance(value, UUID) else UUID(str(value))).encode()


# --- json -------------------------------------------------------------------------------------

_json_decoder: Final = json.JSONDecoder()
_json_encoder: Final = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": "))


def decode_json(data: bytes) -> Any:
    return _json_decoder.decode(data.decode())


def encode_json(value: Any) -> bytes:
    """Python objects as JSON. A ``str`` is encoded as a JSON string, not taken as JSON text."""
    return _json_encoder.encode(value).encode()


# --- oid vectors ------------------------------------------------------------------------------


def decode_int_vector(data: bytes) -> list[int]:
    """``int2vector``/``oidvector``: space separated integers (``1 2 3``)."""
    return [int(part) for part in data.split()]


def encode_int_vector(value: Any) -> bytes:
    return b" ".join(b"%d" % int(item) for item in value)


# --- "char" -----------------------------------------------------------------------------------


def decode_char(data: bytes) -> str:
    """The one-byte ``"char"`` type; PostgreSQL prints bytes >= 0x80 as ``\\ooo`` octal."""
    if len(data) == 4 and data[:1] == b"\\":
        return chr(int(data[1:], 8))
    return data.decode("latin-1")


def encode_char(value: Any) -> bytes:
    if isinstance(value, bytes):
        code = value[0] if value else 0
    else:
        text = str(value)
        code = ord(text) if text else 0
    if code == 0:
        return b""
    if code >= 0x80:
        return b"\\%03o" % code
    return bytes((code,))
