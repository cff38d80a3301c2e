"""Column-wise conversion of the rows of one bulk read, with code generated per NULL pattern.

The bulk reader (``client_row_bulk``) unpacks a batch of same-layout DataRows into one tuple
of raw values per row.  `converters` turns those into rows without running Python bytecode
per row: ``zip(*values)`` makes columns, each column goes through its codec with ``map`` (or
is decoded as UTF-8 inline, per the column's inline code), and ``zip`` / ``map`` build the
rows again.  The generated source depends only on the inline codes and on which columns are
NULL in the layout, never on data from the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Any, Final

from ..codegen import compile_factory
from .client_row_codes import FIXED_WIDTH_CODES, TEXT_PARSER, UTF8_TEXT
from .client_row_type import Row

__all__ = ["Converter", "converters"]

_MAX_CACHED_CONVERTERS: Final = 1024

#: ``convert(values)``: the rows of a bulk read from its per-row value tuples.
Converter = Callable[[Iterator[tuple[Any, ...]]], list[Row]]


def _convert_code(codes: tuple[str | None, ...], nulls: tuple[bool, ...]) -> list[str]:
    """``convert(values)``: the rows of a bulk read, from its per-row value tuples (one value
    per column that is not NULL in this layout: ``nulls``).

    Column-wise: ``zip(*values)`` turns the rows into columns, each column goes through its
    codec with ``map``, and ``zip`` / ``map(new, ...)`` make the rows again: no bytecode per
    row.  A value a codec rejects raises; the caller then decodes those rows one by one.
    """
    present = [i for i, null in enumerate(nulls) if not null]
    if not present:
        return [
            "def convert(values):",
            f"    return [new(cls, {(None,) * len(codes)}) for _ in values]",
        ]
    if len(present) == len(codes) and all(code in FIXED_WIDTH_CODES for code in codes):
        return ["def convert(values):", "    return list(map(new, repeat(cls), values))"]
    columns: list[str] = []
    for i, code in enumerate(codes):
        if nulls[i]:
            columns.append("repeat(None)")
        elif code in FIXED_WIDTH_CODES:
            columns.append(f"c{i}")
        elif code == UTF8_TEXT:
            columns.append(f"map(utf8, c{i})")
        elif code == TEXT_PARSER:
            columns.append(f"map(parse{i}, map(utf8, c{i}))")
        else:
            columns.append(f"map(d{i}, c{i})")
    return [
        "def convert(values):",
        f"    {''.join(f'c{i}, ' for i in present)}= zip(*values)",
        f"    return list(map(new, repeat(cls), zip({', '.join(columns)})))",
    ]


def _generate_convert(codes: tuple[str | None, ...], nulls: tuple[bool, ...]) -> Callable[..., Any]:
    """A factory binding the codecs into ``convert`` for one shape and NULL pattern."""
    params = "".join(f", d{i}, parse{i}" for i in range(len(codes)))
    namespace = {"new": tuple.__new__, "repeat": repeat, "utf8": bytes.decode}
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
