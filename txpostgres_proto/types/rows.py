"""Whole-row converters: the hot path of every query, built once per result and run per row.

A row decoder turns a DataRow's field list (``bytes`` or ``None`` for NULL) into a tuple of
Python values; a row encoder turns a sequence of Python values into field bytes (``None`` stays
``None``, i.e. NULL). Both are specialised for their column count: the function is generated
once per count as straight-line code (``v0, v1 = row``; ``None if v0 is None else d0(v0)``),
with each column's codec bound as a closure variable. Per row that costs one unpack, one
identity test and one direct codec call per field: no loop, no dict lookup, no isinstance.
The generated source depends only on the column count (never on user data), and is cached.

DataRow encoders, which a server uses instead, live in ``data_rows.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from txpostgres_proto.codegen import compile_factory
from txpostgres_proto.types.data_rows import DataRowEncoder
from txpostgres_proto.types.typecodecs import Decoder, Encoder

__all__ = [
    "DataRowEncoder",
    "RowDecoder",
    "RowEncoder",
    "compile_row_decoder",
    "compile_row_encoder",
]

RowDecoder = Callable[[Sequence[bytes | None]], tuple[Any, ...]]
RowEncoder = Callable[[Sequence[Any]], list[bytes | None]]

# Beyond this many columns straight-line code stops paying for itself; use a loop.
_MAX_GENERATED_COLUMNS: Final = 64

_decoder_factories: dict[int, Callable[..., RowDecoder]] = {}
_encoder_factories: dict[int, Callable[..., RowEncoder]] = {}


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
