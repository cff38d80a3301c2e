"""The fixed-size binary encoders used for client parameters are plain ``Struct.pack``:
same bytes as ``struct.pack`` and the same ``struct.error`` for values out of range or of
the wrong type, and their decoders invert them."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

import pytest

from txpostgres_proto.types import binary_codecs as b

CODECS: list[tuple[str, Callable[[Any], bytes], Callable[[bytes], Any]]] = [
    ("!h", b.encode_int2, b.decode_int2),
    ("!i", b.encode_int4, b.decode_int4),
    ("!q", b.encode_int8, b.decode_int8),
    ("!I", b.encode_uint4, b.decode_uint4),
    ("!Q", b.encode_uint8, b.decode_uint8),
    ("!f", b.encode_float4, b.decode_float4),
    ("!d", b.encode_float8, b.decode_float8),
]
VALUES: list[Any] = [
    0,
    1,
    -1,
    2**15,
    -(2**15) - 1,
    2**31,
    2**63,
    -(2**63) - 1,
    2**64,
    1.5,
    True,
    "7",
    None,
    10**400,
]


def _outcome(function: Callable[[Any], bytes], value: Any) -> Any:
    try:
        return function(value)
    except Exception as error:
        return (type(error), str(error))


@pytest.mark.parametrize(("fmt", "encode", "decode"), CODECS)
def test_encoders_match_struct_pack(
    fmt: str, encode: Callable[[Any], bytes], decode: Callable[[bytes], Any]
) -> None:
    layout = struct.Struct(fmt)
    for value in VALUES:
        assert _outcome(encode, value) == _outcome(layout.pack, value), value
        data = _outcome(encode, value)
        if isinstance(data, bytes):
            assert decode(data) == layout.unpack(data)[0]
    with pytest.raises(struct.error):
        decode(b"\x00" * (layout.size + 1))
