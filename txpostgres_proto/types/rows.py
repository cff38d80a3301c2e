"""Whole-row converters: the hot path of every query, built once per result and run per row.

A row decoder turns a DataRow's field list (``bytes`` or ``None`` for NULL) into a tuple of
Python values; a row encoder turns a sequence of Python values into field bytes (``None`` stays
``None``, i.e. NULL). Both are specialised for their column count: the function is generated
once per count as straight-line code (``v0, v1 = row``; ``None if v0 is None else d0(v0)``),
with each column's codec bound as a closure variable. Per row that costs one unpack, one
identity test and one direct codec call per field: no loop, no dict lookup, no isinstance.
The generated source depends only on the column count (never on user data), and is cached.

A data-row encoder goes one step further for the server: it returns the whole DataRow message
(protocol section 55.7: ``D``, the length, the field count, then each field's length, -1 for
NULL, and bytes) in one ``join``, with no intermediate field list. Its generated code also
spells out the common case of the cheapest built-in codecs (an ``int`` or a ``Decimal`` as
text, a ``str``, a bool) and the cache look-up of the float8 and timestamp text codecs, so
most fields cost no call at all; the source then depends on which codecs the columns use
(still never on data).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from txpostgres_proto.codegen import compile_factory
from txpostgres_proto.types import binary_codecs, datetimes, floats, numeric, text_codecs
from txpostgres_proto.types.typecodecs import Decoder, Encoder

RowDecoder = Callable[[Sequence[bytes | None]], tuple[Any, ...]]
RowEncoder = Callable[[Sequence[Any]], list[bytes | None]]
DataRowEncoder = Callable[[Sequence[Any]], bytes]

# Beyond this many columns straight-line code stops paying for itself; use a loop.
_MAX_GENERATED_COLUMNS: Final = 64

_decoder_factories: dict[int, Callable[..., RowDecoder]] = {}
_encoder_factories: dict[int, Callable[..., RowEncoder]] = {}
_data_row_factories: dict[tuple[str, ...], Callable[..., DataRowEncoder]] = {}

# Data-row encoders spell out the common case of these codecs in the generated code instead of
# calling them (a call is most of their cost); ``{v}`` is the value, ``{c}`` the codec, which
# still handles every other case. Each expression gives exactly what the codec returns.
_INLINE: Final[dict[Encoder, str]] = {
    text_codecs.encode_int: "b'%d' % {v} if type({v}) is int else {c}({v})",
    text_codecs.encode_text: "{v}.encode() if type({v}) is str else {c}({v})",
    binary_codecs.encode_text: "{v}.encode() if type({v}) is str else {c}({v})",
    text_codecs.encode_bool: "b't' if {v} else b'f'",
    binary_codecs.encode_bool: "b'\\x01' if {v} else b'\\x00'",
    # Values the codec printed recently come from its cache, without the call.
    floats.encode_float8: "(f8.get({v}) or {c}({v})) if type({v}) is float else {c}({v})",
    datetimes.encode_timestamp_text: (
        "(ts.get({v}) or {c}({v})) if type({v}) is datetime else {c}({v})"
    ),
    numeric.encode_numeric_text: (
        "s_{v}.encode() if type({v}) is Decimal and {v} and {v}.is_finite()"
        " and 'E' not in (s_{v} := str({v})) else {c}({v})"
    ),
}
# Names the inline expressions use besides the codecs.
_INLINE_NAMES: Final[dict[str, Any]] = {
    "datetime": datetime,
    "Decimal": Decimal,
    "f8": floats._float8_texts,
    "ts": datetimes._timestamp_texts,
}
_CALL: Final = "{c}({v})"

_FIELD_LENGTH: Final = struct.Struct("!i").pack
_DATA_ROW_HEAD: Final = struct.Struct("!cih").pack
_NULL_LENGTH: Final = _FIELD_LENGTH(-1)
# Length prefixes of short fields, ready-made: indexing beats a call to pack per field.
_SHORT_LENGTHS: Final = tuple(_FIELD_LENGTH(size) for size in range(256))


def _generate(count: int, kind: str) -> Callable[..., Any]:
    codecs = ", ".join(f"c{i}" for i in range(count))
    fields = "".join(f"v{i}, " for i in range(count))
    converted = ", ".join(f"None if v{i} is None else c{i}(v{i})" for i in range(count))
    if kind == "decode":
        body = f"return ({converted},)"
    else:
        body = f"return [{converted}]"
    lines = (f"def {kind}_row(row):", f"    {fields}= row", f"    {body}")
    return compile_factory(codecs, lines, f"{kind}_row", {}, f"{kind}_row_{count}")


def _generate_data_row(templates: tuple[str, ...]) -> Callable[..., DataRowEncoder]:
    count = len(templates)
    codecs = ", ".join(f"c{i}" for i in range(count))
    fields = "".join(f"v{i}, " for i in range(count))
    encoded = [
        line
        for i, template in enumerate(templates)
        for line in (
            f"    e{i} = b'' if v{i} is None else {template.format(v=f'v{i}', c=f'c{i}')}",
            f"    n{i} = len(e{i})",
        )
    ]
    size = " + ".join(f"n{i}" for i in range(count))
    parts = ", ".join(
        f"null if v{i} is None else short[n{i}] if n{i} < 256 else length(n{i}), e{i}"
        for i in range(count)
    )
    lines = [
        "def data_row(row):",
        f"    {fields}= row",
        *encoded,
        f"    return b''.join((head(b'D', {size} + {6 + 4 * count}, {count}), {parts}))",
    ]
    return compile_factory(
        f"{codecs}, length, short, head, null",
        lines,
        "data_row",
        _INLINE_NAMES,
        f"data_row_{count}",
    )


def _looping_decoder(decoders: Sequence[Decoder]) -> RowDecoder:
    pairs = tuple(decoders)

    def decode_row(row: Sequence[bytes | None]) -> tuple[Any, ...]:
        if len(row) != len(pairs):
            raise ValueError(f"expected {len(pairs)} fields, got {len(row)}")
        return tuple(
            None if field is None else decode(field)
            for decode, field in zip(pairs, row, strict=True)
        )

    return decode_row


def _looping_encoder(encoders: Sequence[Encoder]) -> RowEncoder:
    pairs = tuple(encoders)

    def encode_row(row: Sequence[Any]) -> list[bytes | None]:
        if len(row) != len(pairs):
            raise ValueError(f"expected {len(pairs)} values, got {len(row)}")
        return [
            None if value is None else encode(value)
            for encode, value in zip(pairs, row, strict=True)
        ]

    return encode_row


def _empty_decoder(row: Sequence[bytes | None]) -> tuple[Any, ...]:
    if len(row):
        raise ValueError(f"expected 0 fields, got {len(row)}")
    return ()


def _empty_encoder(row: Sequence[Any]) -> list[bytes | None]:
    if len(row):
        raise ValueError(f"expected 0 values, got {len(row)}")
    return []


def compile_row_decoder(decoders: Sequence[Decoder]) -> RowDecoder:
    """A function decoding one row, field ``i`` by ``decoders[i]`` (NULL -> None). It raises
    ``ValueError`` when a row has the wrong number of fields."""
    count = len(decoders)
    if count == 0:
        return _empty_decoder
    if count > _MAX_GENERATED_COLUMNS:
        return _looping_decoder(decoders)
    factory = _decoder_factories.get(count)
    if factory is None:
        factory = _decoder_factories[count] = _generate(count, "decode")
    return factory(*decoders)


def compile_row_encoder(encoders: Sequence[Encoder]) -> RowEncoder:
    """A function encoding one row, value ``i`` by ``encoders[i]`` (None -> NULL). It raises
    ``ValueError`` when a row has the wrong number of values."""
    count = len(encoders)
    if count == 0:
        return _empty_encoder
    if count > _MAX_GENERATED_COLUMNS:
        return _looping_encoder(encoders)
    factory = _encoder_factories.get(count)
    if factory is None:
        factory = _encoder_factories[count] = _generate(count, "encode")
    return factory(*encoders)


def _looping_data_row(encode: RowEncoder) -> DataRowEncoder:
    def data_row(row: Sequence[Any]) -> bytes:
        fields = encode(row)
        parts = [b""]
        for field in fields:
            if field is None:
                parts.append(_NULL_LENGTH)
            else:
                parts.append(_FIELD_LENGTH(len(field)))
                parts.append(field)
        body = b"".join(parts)
        return _DATA_ROW_HEAD(b"D", len(body) + 6, len(fields)) + body

    return data_row


def compile_data_row_encoder(encoders: Sequence[Encoder]) -> DataRowEncoder:
    """A function turning one row of Python values into a complete DataRow message, value ``i``
    encoded by ``encoders[i]`` (None -> NULL). It raises ``ValueError`` when a row has the
    wrong number of values."""
    count = len(encoders)
    if count == 0 or count > _MAX_GENERATED_COLUMNS:
        return _looping_data_row(compile_row_encoder(encoders))
    templates = tuple(_INLINE.get(encoder, _CALL) for encoder in encoders)
    factory = _data_row_factories.get(templates)
    if factory is None:
        factory = _data_row_factories[templates] = _generate_data_row(templates)
    return factory(*encoders, _FIELD_LENGTH, _SHORT_LENGTHS, _DATA_ROW_HEAD, _NULL_LENGTH)
