"""Column-wise conversion of the rows of one bulk read, with code generated per NULL pattern.

The bulk reader (``client_row_bulk``) unpacks a batch of same-layout DataRows with one
``unpack_from`` into one flat tuple of raw values: the values of the fields that are not NULL
in the layout, row after row.  `converters` turns those into rows without running Python
bytecode per row: a strided slice of the flat tuple is one column (fixed-width values are
already Python values), the other columns go through UTF-8 decoding, their parser or their
codec with ``map``, and ``zip`` / ``map(cls, ...)`` build the rows.  Compared with unpacking one
tuple per row and transposing them (``zip(*rows)``), this saves a tuple and an iterator per
row.  The generated source depends only on the inline codes and on which columns are NULL in
the layout, never on data from the server.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from typing import Any, Final

from ..codegen import compile_factory
from .client_row_codes import FIXED_WIDTH_CODES, TEXT_PARSER, UTF8_TEXT
from .client_row_type import Row

__all__ = ["Converter", "converters"]

_MAX_CACHED_CONVERTERS: Final = 1024

#: ``convert(flat, count)``: the ``count`` rows of a bulk read from its flat value tuple.
Converter = Callable[[tuple[Any, ...], int], list[Row]]


def _convert_code(codes: tuple[str | None, ...], nulls: tuple[bool, ...]) -> list[str]:
    """``convert(flat, count)``: the rows of a bulk read from its flat tuple of values (one
    value per column that is not NULL in this layout: ``nulls``, row after row).

    A value a codec rejects raises; the caller then decodes those rows one by one.
    """
    present = [i for i, null in enumerate(nulls) if not null]
    if not present:
        return [
            "def convert(flat, count):",
            f"    return list(map(cls, repeat({(None,) * len(codes)}, count)))",
        ]
    width = len(present)
    columns: list[str] = []
    for i, code in enumerate(codes):
        if nulls[i]:
            columns.append("repeat(None)")
            continue
        values = f"flat[{present.index(i)}::{width}]" if width > 1 else "flat"
        if code in FIXED_WIDTH_CODES:
            columns.append(values)
        elif code == UTF8_TEXT:
            columns.append(f"map(utf8, {values})")
        elif code == TEXT_PARSER:
            columns.append(f"map(parse{i}, map(utf8, {values}))")
        else:
            columns.append(f"map(d{i}, {values})")
    return [
        "def convert(flat, count):",
        f"    return list(map(cls, zip({', '.join(columns)})))",
    ]


def _generate_convert(codes: tuple[str | None, ...], nulls: tuple[bool, ...]) -> Callable[..., Any]:
    """A factory binding the codecs into ``convert`` for one shape and NULL pattern."""
    params = "".join(f", d{i}, parse{i}" for i in range(len(codes)))
    namespace = {
        "repeat": repeat,
        "utf8": bytes.decode,
    }
    return compile_factory(
        f"cls{params}",
        _convert_code(codes, nulls),
        "convert",
        namespace,
        f"row converter {codes} {nulls}",
    )


_converter_factories: dict[tuple[Any, ...], Callable[..., Any]] = {}


def converters(
    codes: tuple[str | None, ...], cls: type[Row], codecs: Sequence[Any]
) -> Callable[[tuple[bool, ...]], Converter]:
    """``convert_for(nulls)``: the converter for a NULL pattern, bound to ``codecs`` (each
    column's decoder and parser, in turn: ``d0, parse0, d1, parse1 ...``)."""

    def convert_for(nulls: tuple[bool, ...]) -> Converter:
        key = (codes, nulls)
        factory = _converter_factories.get(key)
        if factory is None:
            if len(_converter_factories) >= _MAX_CACHED_CONVERTERS:
                _converter_factories.clear()
            factory = _converter_factories[key] = _generate_convert(codes, nulls)
        return factory(cls, *codecs)  # type: ignore[no-any-return]

    return convert_for
