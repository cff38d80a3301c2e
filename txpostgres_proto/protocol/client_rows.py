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

The generated source depends only on the shape (column count and inline codes), never on data
from the server.  This module is sans-IO and knows nothing about type OIDs: the client layer
passes one decoder callable per column (from the type registry) and the inline codes.
"""

from __future__ import annotations

import ctypes
import struct
from collections.abc import Callable, Sequence
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
    try:
        untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    except AttributeError:  # not CPython
        return _keep_tracked
    untrack.argtypes = (ctypes.py_object,)
    untrack.restype = None
    return untrack  # type: ignore[no-any-return]


_untrack: Final = _gc_untrack()


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
        "if n >= 0:",
        "    q = p + n",
        *value,
        "    p = q",
        "elif n == -1:",
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
        fast.append(f"n = s[{base + 2 * len(sizes)}]")
        width += 4
    start = "pos + 7" if segment.header else "p"
    fast.append(f"p = {start} + {width}")
    slow = [f"p = {start}"]
    for i, size in zip(segment.fixed, sizes, strict=True):
        slow += _fixed_field(i, size)
    if segment.variable is not None:
        slow += ["n = unpack_i32(data, p)[0]", "p += 4"]
    if sizes:
        checks = " and ".join(f"s[{base + 2 * k}] == {size}" for k, size in enumerate(sizes))
        lines += [f"if {checks}:", *("    " + line for line in fast), "else:"]
        lines += ["    " + line for line in slow]
    else:
        lines += fast
    if segment.variable is not None:
        lines += _variable_field(segment.variable, codes[segment.variable])
    return lines


def _generate(codes: tuple[str | None, ...]) -> Callable[..., RunDecoder]:
    """Source for the run decoder of one shape; returns a factory binding the codecs."""
    count = len(codes)
    segments = _segments(codes)
    body: list[str] = []
    for index, segment in enumerate(segments):
        body += _segment_code(index, segment, codes, count)
    row = "".join(f"v{i}, " for i in range(count))
    body += [
        "if p != stop:",
        "    raise bad('field lengths do not add up to the message length')",
        f"row = new(cls, ({row}))",
        "untrack(row)",
        "append(row)",
        "pos = stop",
    ]
    lines = [
        "def decode_run(data, pos, end, append):",
        "    try:",
        "        while pos < end:",
        *("            " + line for line in body),
        "    except (struct_error, IndexError):",
        "        raise bad('truncated') from None",
    ]
    params = "".join(f", d{i}, fixed{i}, parse{i}" for i in range(count))
    params += "".join(f", segment{index}" for index in range(len(segments)))
    source = (
        f"def factory(cls, untrack{params}):\n"
        + "\n".join("    " + line for line in lines)
        + "\n    return decode_run\n"
    )
    namespace: dict[str, Any] = {
        "unpack_i32": _INT32.unpack_from,
        "bad": _bad_row,
        "new": tuple.__new__,
        "struct_error": struct.error,
    }
    exec(compile(source, f"<run decoder {codes}>", "exec"), namespace)
    return namespace["factory"]  # type: ignore[no-any-return]


_factories: dict[tuple[str | None, ...], Callable[..., RunDecoder]] = {}


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
    return factory(cls, untrack, *codecs)
