"""Bulk reading of runs of DataRow messages whose field lengths (and NULLs) repeat.

Fixed-width columns, text of one length (timestamps, dates, numerics of one width, codes,
uuids) and columns that are always NULL give DataRows of one *layout* (protocol section
55.7, "DataRow"). Once two rows decoded field by field (``client_row_fields``) have shown
the layout, the rows after them are checked against it a batch at a time — one strided slice
per byte of their headers and field lengths, compared with that byte repeated; only when one
differs does one ``Struct.iter_unpack`` of the lengths find the first row that does not
match — the leading rows that match are read with one ``unpack_from`` of all their values
into one flat tuple (a format repeated once per row, one per power of two of rows), and they
are converted column by column (``client_row_convert``): no Python bytecode runs per row.
Atomic rows are built and untracked with the garbage collector paused (``client_row_gc``).
Rows of another layout go field by field (and show the next layout); a run whose rows keep
changing layout stops trying after a few misses, so free text of varying length costs no
more than before. Both paths apply the same codecs to the same bytes, so they give the same
rows.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

from .client_row_codes import FIXED_WIDTH_CODES, RunDecoder
from .client_row_convert import Converter, converters
from .client_row_fields import FieldDecoder
from .client_row_gc import untracked_rows
from .client_row_type import Row

__all__ = ["make_bulk_run_decoder"]

_MAX_CACHED_LAYOUTS: Final = 16
#: Formats kept for bulk reads (one per layout and power of two of rows up to `_MAX_BATCH`),
#: and the most values one of them reads (a format takes about 32 bytes per value it reads,
#: so one takes at most 128 KB).
_MAX_CACHED_UNPACKERS: Final = 64
_MAX_UNPACKED_VALUES: Final = 4096
#: Rows per run that may miss the expected layout before the run stops reading in bulk.
_MAX_MISSES: Final = 4
_FIRST_BATCH: Final = 4
_MAX_BATCH: Final = 512
_DATA_ROW: Final = ord("D")


#: (key, keys_of, values_of, size, convert, marks) of one layout: ``keys_of(chunk)``
#: iterates over the header and field lengths of the rows in ``chunk`` (each must equal
#: ``key`` for the row to have this layout), ``values_of(data, pos, count)`` is the flat tuple
#: of the field values of the ``count`` rows from ``pos`` (bytes for the variable-width
#: fields, nothing for NULLs), ``convert`` makes the rows from those; ``size`` is the length
#: of one whole message; ``marks`` are the offsets in a message of the bytes ``key`` covers
#: (type byte, length, field count and field lengths), each with its value in this layout as
#: a one-byte ``bytes``.
Layout = tuple[
    tuple[int, ...],
    Callable[[memoryview], Iterator[tuple[Any, ...]]],
    Callable[[bytes, int, int], tuple[Any, ...]],
    int,
    Converter,
    tuple[tuple[int, bytes], ...],
]

#: ``unpack_from`` of a format repeated a power of two times, per (format, times).
_unpackers: dict[tuple[str, int], Callable[[bytes, int], tuple[Any, ...]]] = {}


def _unpacker(row_format: str, times: int) -> Callable[[bytes, int], tuple[Any, ...]]:
    """``unpack_from`` of ``times`` consecutive messages of ``row_format`` (cached)."""
    found = _unpackers.get((row_format, times))
    if found is None:
        if len(_unpackers) >= _MAX_CACHED_UNPACKERS:
            _unpackers.clear()
        found = struct.Struct("!" + row_format * times).unpack_from
        _unpackers[row_format, times] = found
    return found


def _flat_values(
    row_format: str, size: int, width: int
) -> Callable[[bytes, int, int], tuple[Any, ...]]:
    """``values_of(data, pos, count)``: the values of ``count`` messages of ``size`` bytes
    from ``pos`` (``width`` values each) in one flat tuple, read by one ``unpack_from`` per
    power of two in ``count`` (one format per batch size, whatever the count); no format
    reads more than `_MAX_UNPACKED_VALUES` values, which bounds the memory a format takes."""
    most = max(1, _MAX_UNPACKED_VALUES // max(width, 1))
    most = 1 << (most.bit_length() - 1)

    def values_of(data: bytes, pos: int, count: int) -> tuple[Any, ...]:
        times = min(most, 1 << (count.bit_length() - 1))
        flat = _unpacker(row_format, times)(data, pos)
        count -= times
        while count:
            pos += times * size
            times = min(most, 1 << (count.bit_length() - 1))
            flat += _unpacker(row_format, times)(data, pos)
            count -= times
        return flat

    return values_of


def _layouts(
    codes: tuple[str | None, ...],
    convert_for: Callable[[tuple[bool, ...]], Converter],
) -> Callable[[tuple[int, ...]], Layout]:
    """``layout_of(lengths)``: the `Layout` of a DataRow whose fields have these lengths (-1
    for NULL), cached per lengths."""
    cache: dict[tuple[int, ...], Layout] = {}

    def layout_of(lengths: tuple[int, ...]) -> Layout:
        found = cache.get(lengths)
        if found is None:
            keys = ["!Bih"]
            values = ["7x"]
            for code, size in zip(codes, lengths, strict=True):
                if size < 0:
                    keys.append("i")
                    values.append("4x")
                    continue
                keys.append(f"i{size}x")
                fixed = code is not None and code in FIXED_WIDTH_CODES
                values.append("4x" + code if fixed else f"4x{size}s")  # type: ignore[operator]
            length = 6 + sum(4 + max(size, 0) for size in lengths)
            key = (_DATA_ROW, length, len(codes), *lengths)
            marks = _marks(key, lengths)
            keys_of = struct.Struct("".join(keys)).iter_unpack
            width = sum(size >= 0 for size in lengths)
            values_of = _flat_values("".join(values), length + 1, width)
            convert = convert_for(tuple(size < 0 for size in lengths))
            found = (key, keys_of, values_of, length + 1, convert, marks)
            if len(cache) >= _MAX_CACHED_LAYOUTS:
                cache.clear()
            cache[lengths] = found
        return found

    return layout_of


def _marks(key: tuple[int, ...], lengths: tuple[int, ...]) -> tuple[tuple[int, bytes], ...]:
    """(offset, byte) of each byte of a DataRow of this layout that ``key`` stands for."""
    header = struct.pack("!Bih", *key[:3])
    marks = [(offset, header[offset : offset + 1]) for offset in range(len(header))]
    offset = len(header)
    for size in lengths:
        field = struct.pack("!i", size)
        marks += [(offset + index, field[index : index + 1]) for index in range(4)]
        offset += 4 + max(size, 0)
    return tuple(marks)


def _all_match(
    data: bytes, start: int, stop: int, size: int, count: int, marks: tuple[tuple[int, bytes], ...]
) -> bool:
    """True when all ``count`` messages of ``size`` bytes from ``start`` to ``stop`` have the
    bytes ``marks`` gives: one strided slice per mark, no bytecode per row."""
    for offset, byte in marks:
        if data[start + offset : stop : size] != byte * count:
            return False
    return True


def _leading(keys: list[tuple[int, ...]], key: tuple[int, ...]) -> int:
    """How many of ``keys`` equal ``key`` before the first that does not."""
    for index, found in enumerate(keys):
        if found != key:
            return index
    return len(keys)


def _adder(append: Callable[[Any], None]) -> Callable[[list[Row]], Any]:
    """``add(rows)``: ``append`` each row; one ``list.extend`` when ``append`` is the
    ``append`` of a list (as it is from the receive buffer)."""
    owner = getattr(append, "__self__", None)
    if type(owner) is list and append == owner.append:
        return owner.extend
    return lambda rows: any(map(append, rows))


def _bulk_run_decoder(
    decode_rows: FieldDecoder,
    layout_of: Callable[[tuple[int, ...]], Layout],
    untrack_address: Callable[[int], None] | None,
) -> RunDecoder:
    """The run decoder: rows of a known layout in bulk, the others one by one.

    Two consecutive rows decoded one by one with the same field lengths (and NULLs) make
    that layout the expected one; the rows after them are checked against it in batches
    (strided slices of their headers and field lengths) and the leading rows that match are
    read with one flat ``unpack_from`` per power of two of rows and converted column-wise
    (with the collector paused while atomic rows are built and untracked), then added to
    the caller's list with one ``extend``.  Batches grow from
    `_FIRST_BATCH` to `_MAX_BATCH` while every row matches.  A row that does not match goes
    one by one; after `_MAX_MISSES` such misses (or pairs of rows that disagree) without a
    whole batch in between, the rest of the run goes one by one, so varying field lengths
    (free text) cost almost nothing extra.  The answers are those of the one-by-one path:
    the same codecs on the same bytes.
    """
    state: list[Any] = [None, _FIRST_BATCH]  # the layout and batch size, kept between runs

    def decode_run(data: bytes, pos: int, end: int, append: Callable[[Any], None]) -> None:
        layout, batch = state
        misses = 0
        previous = None  # field lengths of the row just decoded one by one
        if layout is None and pos < end:  # the loop's first step, without its set-up
            pos, previous = decode_rows(data, pos, end, append, True)
            if pos >= end:  # a run of one row (a serial query's answer)
                return
        add = _adder(append)
        with memoryview(data) as view:
            while pos < end:
                if layout is not None:
                    key, keys_of, values_of, size, convert, marks = layout
                    count = min(batch, (end - pos) // size)
                    if count:
                        stop = pos + count * size
                        if _all_match(data, pos, stop, size, count, marks):
                            batch = min(batch * 2, _MAX_BATCH)
                            misses = 0
                        else:  # bulk only for the leading rows, if there are enough
                            count = _leading(list(keys_of(view[pos:stop])), key)
                            count = count if count >= _FIRST_BATCH else 0
                            stop = pos + count * size
                            batch = _FIRST_BATCH
                    if count:
                        try:
                            values = values_of(data, pos, count)
                            if untrack_address is None:
                                rows = convert(values, count)
                            else:
                                rows = untracked_rows(convert, values, count, untrack_address)
                        except Exception:  # a value only its column decoder takes, or none
                            decode_rows(data, pos, stop, append, False)
                        else:
                            add(rows)
                            pos = stop
                            previous = None
                            continue
                        pos = stop
                    layout = previous = None
                    misses += 1
                pos, lengths = decode_rows(data, pos, end, append, misses < _MAX_MISSES)
                if lengths is not None:
                    if lengths == previous:
                        layout = layout_of(lengths)
                    elif previous is not None:
                        misses += 1
                    previous = lengths
        state[0] = layout
        state[1] = batch

    return decode_run


def make_bulk_run_decoder(
    decode_rows: FieldDecoder,
    cls: type[Row],
    codes: tuple[str | None, ...],
    decoders: Sequence[Callable[[bytes], Any]],
    parsers: Sequence[Callable[[str], Any] | None],
    untrack_address: Callable[[int], None] | None,
) -> RunDecoder:
    """The run decoder of this shape: ``decode_rows`` (from ``make_field_decoder``) for the
    rows it reads one by one, bulk reads with these codecs for the others; each row read in
    bulk is passed to ``untrack_address`` (by ``id``) unless that is None."""
    convert_for = converters(
        codes, cls, [f for pair in zip(decoders, parsers, strict=True) for f in pair]
    )
    return _bulk_run_decoder(decode_rows, _layouts(codes, convert_for), untrack_address)
