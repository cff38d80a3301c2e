"""Result rows for the client: the `Row` type and the fused DataRow decoder (the hot path).

`Row` is a tuple subclass, so building one is a single C call and iterating, unpacking,
comparing and hashing run at tuple speed; it adds lookup by column name (``row["name"]``),
``keys()`` / ``values()`` / ``items()`` and therefore ``dict(row)``.  One subclass per result
shape (the tuple of column names) carries the name -> index table; `row_class` caches them.

`make_run_decoder` generates, once per result shape, a function that decodes a *run* of
consecutive DataRow messages (protocol section 55.7, "DataRow") straight out of the receive
buffer: it reads each message's length, each field's length and value, calls the column's
decoder and builds the `Row`, all in one loop with one generated branch per column.  Compared
with cutting a DataRow message object per row, splitting its fields into a tuple, and then
converting that tuple (``types.make_row_decoder``), this saves three allocations and two
function calls per row.  Further savings, all chosen by the caller per column:

* fixed-width binary fields (int2/int4/int8/oid/float4/float8/bool, `FIXED_WIDTH_CODES`) are
  read in place by ``struct.unpack_from`` — no slice, no codec call;
* a *segment* — the message header or the end of a variable-width field, the fixed-width
  fields that follow, and the length of the next variable-width field — is read with one
  precompiled ``Struct``; a NULL among its fixed-width fields (their lengths do not match)
  sends just that segment through field-by-field code;
* plain UTF-8 text (`UTF8_TEXT`) is decoded inline;
* a text value with a parser (`TEXT_PARSER`: a C callable taking the text, such as
  ``Decimal`` or ``datetime.fromisoformat``) is decoded and parsed inline, and only what the
  parser rejects (``infinity`` ...) goes to the column's decoder — one Python call less;
* when no column can hold a mutable container (``atomic``), each row is taken out of the
  cyclic garbage collector (CPython's ``PyObject_GC_UnTrack``, what the interpreter does by
  itself for plain tuples of such values).  A row of atomic values cannot be part of a
  reference cycle, and untracking keeps a large result from making every full collection
  walk it: without it, holding 100,000 rows costs more in collections than in decoding.

Rows whose field lengths (and NULLs) repeat — fixed-width columns, text of one length
(timestamps, dates, numerics of one width, codes, uuids), columns that are always NULL — are
read in *bulk* (`_bulk_run_decoder`): once two rows decoded field by field have shown the
decoder their layout (each field's length), the rows after them are checked against that
layout a batch at a time with one ``Struct.iter_unpack`` of their headers and field lengths,
the leading rows that match are read with one ``iter_unpack`` of their values, and they are
converted column by column (``zip`` and ``map`` over the column codecs, C loops throughout):
no Python bytecode runs per row.  This takes about a third off the per-row cost of the
field-by-field loop.  Rows of another layout go field by field (and show the next layout); a
run whose rows keep changing layout stops trying after a few misses, so free text of varying
length costs no more than before.  Both paths apply the same codecs to the same bytes, so
they give the same rows.

The generated source depends only on the shape (column count and inline codes), never on data
from the server.  This module is sans-IO and knows nothing about type OIDs: the client layer
passes one decoder callable per column (from the type registry) and the inline codes.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from collections.abc import Callable, Iterator, Sequence
from itertools import repeat
from typing import Any, ClassVar, Final

from .errors import RemoteProtocolError

__all__ = [
    "FIXED_WIDTH_CODES",
    "RUN_PADDING",
    "UTF8_TEXT",
    "Row",
    "RunDecoder",
    "TEXT_PARSER",
    "make_run_decoder",
    "row_class",
]

#: Struct codes a column may be read with in place (binary format), and their field sizes.
FIXED_WIDTH_CODES: Final[dict[str, int]] = {
    "h": 2,
    "i": 4,
    "q": 8,
    "I": 4,
    "f": 4,
    "d": 8,
    "?": 1,
}

#: ``decode(data, pos, end, append) -> None``: decode the DataRow messages in
#: ``data[pos:end]`` (complete messages only) and append one row per message.
RunDecoder = Callable[[bytes, int, int, Callable[[Any], None]], None]

_MAX_CACHED_CLASSES: Final = 512
_MAX_CACHED_LAYOUTS: Final = 16
_MAX_CACHED_CONVERTERS: Final = 1024
#: Rows per run that may miss the expected layout before the run stops reading in bulk.
_MAX_MISSES: Final = 4
_FIRST_BATCH: Final = 4
_MAX_BATCH: Final = 128
_DATA_ROW: Final = ord("D")
_MAX_UNROLLED_COLUMNS: Final = 64


class Row(tuple):  # type: ignore[type-arg]
    """One result row: a tuple whose items can also be read by column name.

    ``row[0]``, ``row["name"]``, ``row.keys()``, ``dict(row)``, ``a, b = row``.  When two
    columns share a name, ``row[name]`` is the first of them.
    """

    __slots__ = ()
    _keys: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if key.__class__ is str:
            try:
                key = self._index[key]
            except KeyError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        """The column names, in order."""
        return self._keys

    def values(self) -> tuple[Any, ...]:
        return tuple(self)

    def items(self) -> list[tuple[str, Any]]:
        return list(zip(self._keys, self, strict=True))

    def get(self, key: str, default: Any = None) -> Any:
        index = self._index.get(key)
        return default if index is None else tuple.__getitem__(self, index)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._keys, self, strict=True)
        )
        return f"Row({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_row, (self._keys, tuple(self)))


def _rebuild_row(keys: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return row_class(keys)(values)


_classes: dict[tuple[str, ...], type[Row]] = {}


def row_class(names: Sequence[str]) -> type[Row]:
    """The `Row` subclass for results with these column names (cached per name tuple)."""
    key = tuple(names)
    cls = _classes.get(key)
    if cls is None:
        index: dict[str, int] = {}
        for position, name in enumerate(key):
            index.setdefault(name, position)
        cls = type("Row", (Row,), {"__slots__": (), "_keys": key, "_index": index})
        if len(_classes) >= _MAX_CACHED_CLASSES:
            _classes.clear()
        _classes[key] = cls
    return cls


# --------------------------------------------------------------------------- run decoders

#: Inline code for UTF-8 text: the value is decoded in the generated code (``bytes.decode``)
#: instead of by a call to the column's decoder.
UTF8_TEXT: Final = "utf8"

#: Inline code for text parsed by a given ``str`` parser (see `make_run_decoder`).
TEXT_PARSER: Final = "parse"

_INT32: Final = struct.Struct("!i")
_HEADER: Final = struct.Struct("!ih")  # message length, field count
_MAX_SEGMENT: Final = 16  # fixed-width fields read by one unpack
#: Zero bytes appended to a run, so that reading a segment speculatively (before knowing
#: whether a field is NULL) never runs off the end of the data.
RUN_PADDING: Final = bytes(6 + _MAX_SEGMENT * 12 + 4)


def _keep_tracked(row: Row) -> None:
    pass


def _gc_untrack() -> Callable[[Row], None]:
    """CPython's ``PyObject_GC_UnTrack`` (a no-op elsewhere)."""
    if sys.implementation.name != "cpython":
        return _keep_tracked
    try:
        untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    except AttributeError:  # not CPython
        return _keep_tracked
    untrack.argtypes = (ctypes.py_object,)
    untrack.restype = None
    return untrack  # type: ignore[no-any-return]


_untrack: Final = _gc_untrack()


def _gc_untrack_address() -> Callable[[int], None] | None:
    """``PyObject_GC_UnTrack`` called with the object's address (``id`` in CPython), which
    ctypes converts faster than the object itself: for rows untracked in bulk."""
    if _untrack is _keep_tracked:
        return None
    prototype = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)
    return prototype(("PyObject_GC_UnTrack", ctypes.pythonapi))  # type: ignore[call-overload]


_untrack_address: Final = _gc_untrack_address()


def _bad_row(problem: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"invalid DataRow message format: {problem}")


class _Segment:
    """Fields read by one ``unpack_from``: [the message header], fixed-width fields, and
    [the length of the variable-width field that follows]."""

    def __init__(self, header: bool, fixed: list[int], variable: int | None) -> None:
        self.header = header
        self.fixed = fixed
        self.variable = variable

    def layout(self, codes: tuple[str | None, ...]) -> str:
        return (
            ("ih" if self.header else "")
            + "".join("i" + codes[i] for i in self.fixed)  # type: ignore[operator]
            + ("i" if self.variable is not None else "")
        )


def _segments(codes: tuple[str | None, ...]) -> list[_Segment]:
    segments: list[_Segment] = []
    fixed: list[int] = []
    header = True
    for index, code in enumerate(codes):
        if code is not None and code in FIXED_WIDTH_CODES:
            fixed.append(index)
            if len(fixed) == _MAX_SEGMENT:
                segments.append(_Segment(header, fixed, None))
                fixed, header = [], False
        else:
            segments.append(_Segment(header, fixed, index))
            fixed, header = [], False
    if fixed or header:
        segments.append(_Segment(header, fixed, None))
    return segments


def _fixed_field(i: int, size: int) -> list[str]:
    # One unpack reads the length and the value; the value is junk when the field is NULL.
    return [
        f"n, v{i} = fixed{i}(data, p)",
        f"if n == {size}:",
        f"    p += {4 + size}",
        "elif n == -1:",
        f"    v{i} = None",
        "    p += 4",
        "else:",
        "    raise bad('wrong length for a fixed-width field')",
    ]


def _variable_field(i: int, code: str | None) -> list[str]:
    if code == TEXT_PARSER:
        value = [
            "    try:",
            f"        v{i} = parse{i}(data[p:q].decode())",
            "    except (ValueError, ArithmeticError):",
            f"        v{i} = d{i}(data[p:q])",
        ]
    else:
        value = [
            f"    v{i} = " + ("data[p:q].decode()" if code == UTF8_TEXT else f"d{i}(data[p:q])")
        ]
    return [
        f"if n{i} >= 0:",
        f"    q = p + n{i}",
        *value,
        "    p = q",
        f"elif n{i} == -1:",
        f"    v{i} = None",
        "else:",
        "    raise bad('negative field length')",
    ]


def _segment_code(
    index: int, segment: _Segment, codes: tuple[str | None, ...], count: int
) -> list[str]:
    sizes = [FIXED_WIDTH_CODES[codes[i]] for i in segment.fixed]  # type: ignore[index]
    base = 2 if segment.header else 0
    lines = [
        f"s = segment{index}(data, pos + 1)" if segment.header else f"s = segment{index}(data, p)"
    ]
    if segment.header:
        lines += [
            "stop = pos + 1 + s[0]",
            f"if s[1] != {count}:",
            "    raise bad('wrong number of fields')",
        ]
    fast = [f"v{i} = s[{base + 2 * k + 1}]" for k, i in enumerate(segment.fixed)]
    width = sum(4 + size for size in sizes)
    if segment.variable is not None:
        fast.append(f"n{segment.variable} = s[{base + 2 * len(sizes)}]")
        width += 4
    start = "pos + 7" if segment.header else "p"
    fast.append(f"p = {start} + {width}")
    slow = [f"p = {start}"]
    for i, size in zip(segment.fixed, sizes, strict=True):
        slow += _fixed_field(i, size)
    if segment.variable is not None:
        slow += [f"n{segment.variable} = unpack_i32(data, p)[0]", "p += 4"]
    if sizes:
        checks = " and ".join(f"s[{base + 2 * k}] == {size}" for k, size in enumerate(sizes))
        lines += [f"if {checks}:", *("    " + line for line in fast), "else:"]
        lines += ["    " + line for line in slow]
    else:
        lines += fast
    if segment.variable is not None:
        lines += _variable_field(segment.variable, codes[segment.variable])
    return lines


def _general_code(codes: tuple[str | None, ...]) -> list[str]:
    """``decode_rows(data, pos, end, append, learn)``: rows one at a time, field by field.

    Returns ``(pos, None)`` at ``end``; with ``learn`` it stops after the first row and
    returns ``(pos, lengths)``, the lengths of its fields, -1 for NULL (what `_layouts` needs
    to read rows like it in bulk).
    """
    count = len(codes)
    segments = _segments(codes)
    body: list[str] = []
    for index, segment in enumerate(segments):
        body += _segment_code(index, segment, codes, count)
    row = "".join(f"v{i}, " for i in range(count))
    lengths = "".join(
        f"n{i}, " if code not in FIXED_WIDTH_CODES else f"-1 if v{i} is None else {size}, "
        for i, (code, size) in enumerate(
            (code, FIXED_WIDTH_CODES.get(code or "", 0)) for code in codes
        )
    )
    body += [
        "if p != stop:",
        "    raise bad('field lengths do not add up to the message length')",
        f"row = new(cls, ({row}))",
        "untrack(row)",
        "append(row)",
        "pos = stop",
        "if learn:",
        f"    return pos, ({lengths})",
    ]
    return [
        "def decode_rows(data, pos, end, append, learn):",
        "    try:",
        "        while pos < end:",
        *("            " + line for line in body),
        "    except (struct_error, IndexError):",
        "        raise bad('truncated') from None",
        "    return pos, None",
    ]


def _generate(codes: tuple[str | None, ...]) -> Callable[..., Any]:
    """Source for the field-by-field half of one shape's run decoder; returns a factory
    binding the codecs and returning ``decode_rows``."""
    count = len(codes)
    lines = _general_code(codes)
    params = "".join(f", d{i}, fixed{i}, parse{i}" for i in range(count))
    params += "".join(f", segment{index}" for index in range(len(_segments(codes))))
    source = (
        f"def factory(cls, untrack{params}):\n"
        + "\n".join("    " + line for line in lines)
        + "\n    return decode_rows\n"
    )
    namespace: dict[str, Any] = {
        "unpack_i32": _INT32.unpack_from,
        "bad": _bad_row,
        "new": tuple.__new__,
        "struct_error": struct.error,
    }
    exec(compile(source, f"<run decoder {codes}>", "exec"), namespace)
    return namespace["factory"]  # type: ignore[no-any-return]


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
    source = (
        f"def factory(cls{params}):\n"
        + "\n".join("    " + line for line in _convert_code(codes, nulls))
        + "\n    return convert\n"
    )
    namespace: dict[str, Any] = {"new": tuple.__new__, "repeat": repeat, "utf8": bytes.decode}
    exec(compile(source, f"<row converter {codes} {nulls}>", "exec"), namespace)
    return namespace["factory"]  # type: ignore[no-any-return]


_converter_factories: dict[tuple[Any, ...], Callable[..., Any]] = {}


def _converters(
    codes: tuple[str | None, ...], cls: type[Row], codecs: Sequence[Any]
) -> Callable[[tuple[bool, ...]], Callable[[Iterator[tuple[Any, ...]]], list[Row]]]:
    """``convert_for(nulls)``: the bound converter of this decoder for a NULL pattern."""

    def convert_for(nulls: tuple[bool, ...]) -> Callable[[Iterator[tuple[Any, ...]]], list[Row]]:
        key = (codes, nulls)
        factory = _converter_factories.get(key)
        if factory is None:
            if len(_converter_factories) >= _MAX_CACHED_CONVERTERS:
                _converter_factories.clear()
            factory = _converter_factories[key] = _generate_convert(codes, nulls)
        return factory(cls, *codecs)  # type: ignore[no-any-return]

    return convert_for


#: (key, keys_of, values_of, size, convert) of one layout: ``keys_of(chunk)`` iterates over
#: the header and field lengths of the rows in ``chunk`` (each must equal ``key`` for the row
#: to have this layout), ``values_of(chunk)`` over their field values (bytes for the
#: variable-width fields, nothing for NULLs), ``convert`` makes the rows from those;
#: ``size`` is the length of one whole message.
Layout = tuple[
    tuple[int, ...],
    Callable[[memoryview], Iterator[tuple[Any, ...]]],
    Callable[[memoryview], Iterator[tuple[Any, ...]]],
    int,
    Callable[[Iterator[tuple[Any, ...]]], list[Row]],
]


def _layouts(
    codes: tuple[str | None, ...],
    convert_for: Callable[[tuple[bool, ...]], Callable[[Iterator[tuple[Any, ...]]], list[Row]]],
) -> Callable[[tuple[int, ...]], Layout]:
    """``layout_of(lengths)``: the `Layout` of a DataRow whose fields have these lengths (-1
    for NULL), cached per lengths."""
    cache: dict[tuple[int, ...], Layout] = {}

    def layout_of(lengths: tuple[int, ...]) -> Layout:
        found = cache.get(lengths)
        if found is None:
            keys = ["!Bih"]
            values = ["!7x"]
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
            keys_of = struct.Struct("".join(keys)).iter_unpack
            values_of = struct.Struct("".join(values)).iter_unpack
            convert = convert_for(tuple(size < 0 for size in lengths))
            found = (key, keys_of, values_of, length + 1, convert)
            if len(cache) >= _MAX_CACHED_LAYOUTS:
                cache.clear()
            cache[lengths] = found
        return found

    return layout_of


def _leading(keys: list[tuple[int, ...]], key: tuple[int, ...]) -> int:
    """How many of ``keys`` equal ``key`` before the first that does not."""
    for index, found in enumerate(keys):
        if found != key:
            return index
    return len(keys)


def _bulk_run_decoder(
    decode_rows: Callable[..., tuple[int, tuple[int, ...] | None]],
    layout_of: Callable[[tuple[int, ...]], Layout],
    untrack_address: Callable[[int], None] | None,
) -> RunDecoder:
    """The run decoder: rows of a known layout in bulk, the others one by one.

    Two consecutive rows decoded one by one with the same field lengths (and NULLs) make
    that layout the expected one; the rows after them are checked against it in batches
    (one ``iter_unpack`` of their lengths) and the leading rows that match are read with one
    ``iter_unpack`` of their values and converted column-wise.  Batches grow from
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
        with memoryview(data) as view:
            while pos < end:
                if layout is not None:
                    key, keys_of, values_of, size, convert = layout
                    count = min(batch, (end - pos) // size)
                    if count:
                        stop = pos + count * size
                        keys = list(keys_of(view[pos:stop]))
                        if keys.count(key) == count:
                            batch = min(batch * 2, _MAX_BATCH)
                            misses = 0
                        else:  # bulk only for the leading rows, if there are enough
                            count = _leading(keys, key)
                            count = count if count >= _FIRST_BATCH else 0
                            stop = pos + count * size
                            batch = _FIRST_BATCH
                    if count:
                        try:
                            rows = convert(values_of(view[pos:stop]))
                        except Exception:  # a value only its column decoder takes, or none
                            decode_rows(data, pos, stop, append, False)
                        else:
                            if untrack_address is not None:
                                any(map(untrack_address, map(id, rows)))
                            any(map(append, rows))
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


_factories: dict[tuple[str | None, ...], Callable[..., Any]] = {}


def _looping_run_decoder(
    cls: type[Row], untrack: Callable[[Row], None], decoders: Sequence[Callable[[bytes], Any]]
) -> RunDecoder:
    """For very wide rows, where unrolled code stops paying for itself."""
    count = len(decoders)
    unpack_i32 = _INT32.unpack_from
    header = _HEADER.unpack_from
    new = tuple.__new__

    def decode_run(data: bytes, pos: int, end: int, append: Callable[[Any], None]) -> None:
        try:
            while pos < end:
                length, fields = header(data, pos + 1)
                stop = pos + 1 + length
                if fields != count:
                    raise _bad_row("wrong number of fields")
                p = pos + 7
                values: list[Any] = []
                for decode in decoders:
                    n = unpack_i32(data, p)[0]
                    p += 4
                    if n >= 0:
                        values.append(decode(data[p : p + n]))
                        p += n
                    elif n == -1:
                        values.append(None)
                    else:
                        raise _bad_row("negative field length")
                if p != stop:
                    raise _bad_row("field lengths do not add up to the message length")
                row = new(cls, values)
                untrack(row)
                append(row)
                pos = stop
        except (struct.error, IndexError):
            raise _bad_row("truncated") from None

    return decode_run


def make_run_decoder(
    names: Sequence[str],
    decoders: Sequence[Callable[[bytes], Any]],
    inline_codes: Sequence[str | None] | None = None,
    *,
    atomic: bool = False,
    parsers: Sequence[Callable[[str], Any] | None] | None = None,
) -> RunDecoder:
    """A decoder for runs of DataRow messages of this shape, producing `row_class(names)` rows.

    ``decoders[i]`` turns field ``i``'s bytes into a value (NULL never reaches it).
    ``inline_codes[i]``, when not None, lets the generated code decode field ``i`` itself:
    a `FIXED_WIDTH_CODES` key for a fixed-width binary value read in place, `UTF8_TEXT`
    for UTF-8 text, or `TEXT_PARSER` for UTF-8 text passed to ``parsers[i]`` (a callable
    taking a ``str``; when it raises ``ValueError`` or ``ArithmeticError`` the field goes to
    ``decoders[i]``); the result must be what ``decoders[i]`` would return.  The data given to
    the decoder must be followed by `RUN_PADDING` (or any bytes of that length) after
    ``end``.  Malformed messages raise `RemoteProtocolError`.

    ``atomic`` promises that no decoder returns a mutable container (a list, a dict ...): the
    rows are then taken out of the garbage collector's care (see the module docstring).
    """
    if len(names) != len(decoders):
        raise ValueError("one decoder per column is needed")
    cls = row_class(names)
    codes = tuple(inline_codes) if inline_codes is not None else (None,) * len(decoders)
    known = (UTF8_TEXT, TEXT_PARSER)
    if len(codes) != len(decoders) or any(
        code is not None and code not in FIXED_WIDTH_CODES and code not in known for code in codes
    ):
        raise ValueError("inline_codes must give a known code or None per column")
    parse = tuple(parsers) if parsers is not None else (None,) * len(decoders)
    if len(parse) != len(codes) or any(
        (code == TEXT_PARSER) != (parser is not None)
        for code, parser in zip(codes, parse, strict=True)
    ):
        raise ValueError("a parser is needed for each TEXT_PARSER column, and only for them")
    untrack = _untrack if atomic else _keep_tracked
    if len(decoders) > _MAX_UNROLLED_COLUMNS:  # parsers unused: the decoders give the same
        return _looping_run_decoder(cls, untrack, decoders)
    factory = _factories.get(codes)
    if factory is None:
        factory = _factories[codes] = _generate(codes)
    codecs: list[Any] = []
    for decode, code, parser in zip(decoders, codes, parse, strict=True):
        fixed = struct.Struct("!i" + code).unpack_from if code in FIXED_WIDTH_CODES else None
        codecs += (decode, fixed, parser)
    for segment in _segments(codes):
        codecs.append(struct.Struct("!" + segment.layout(codes)).unpack_from)
    decode_rows = factory(cls, untrack, *codecs)
    convert_for = _converters(
        codes, cls, [f for pair in zip(decoders, parse, strict=True) for f in pair]
    )
    bulk_untrack = None if untrack is _keep_tracked else _untrack_address
    return _bulk_run_decoder(decode_rows, _layouts(codes, convert_for), bulk_untrack)
