"""Field-by-field decoding of runs of DataRow messages, with code generated per result shape.

`make_field_decoder` generates, once per shape (column count and inline codes), a function
that decodes DataRow messages (protocol section 55.7, "DataRow") straight out of the receive
buffer: it reads each message's length, each field's length and value, calls the column's
decoder and builds the row, all in one loop with one generated branch per column.  Compared
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
  parser rejects (``infinity`` ...) goes to the column's decoder — one Python call less.

The generated decoder can also stop after one row and report its field lengths: that is how
the bulk reader (``client_row_bulk``) learns the layout of the rows it reads.  For very wide
rows, where unrolled code stops paying for itself, `looping_run_decoder` is a plain loop.
The generated source depends only on the shape, never on data from the server.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from ..codegen import compile_factory
from .client_row_codes import FIXED_WIDTH_CODES, TEXT_PARSER, UTF8_TEXT, RunDecoder
from .client_row_type import Row
from .errors import RemoteProtocolError

__all__ = ["RUN_PADDING", "FieldDecoder", "looping_run_decoder", "make_field_decoder"]

_INT32: Final = struct.Struct("!i")
_HEADER: Final = struct.Struct("!ih")  # message length, field count
_MAX_SEGMENT: Final = 16  # fixed-width fields read by one unpack
#: Zero bytes appended to a run, so that reading a segment speculatively (before knowing
#: whether a field is NULL) never runs off the end of the data.
RUN_PADDING: Final = bytes(6 + _MAX_SEGMENT * 12 + 4)

#: ``decode_rows(data, pos, end, append, learn) -> (pos, lengths)``: see `_general_code`.
FieldDecoder = Callable[
    [bytes, int, int, Callable[[Any], None], bool], tuple[int, tuple[int, ...] | None]
]


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
    returns ``(pos, lengths)``, the lengths of its fields, -1 for NULL (what the bulk reader
    needs to read rows like it).
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
    namespace = {
        "unpack_i32": _INT32.unpack_from,
        "bad": _bad_row,
        "new": tuple.__new__,
        "struct_error": struct.error,
    }
    return compile_factory(
        f"cls, untrack{params}", lines, "decode_rows", namespace, f"run decoder {codes}"
    )


_factories: dict[tuple[str | None, ...], Callable[..., Any]] = {}


def make_field_decoder(
    cls: type[Row],
    untrack: Callable[[Row], None],
    decoders: Sequence[Callable[[bytes], Any]],
    codes: tuple[str | None, ...],
    parsers: Sequence[Callable[[str], Any] | None],
) -> FieldDecoder:
    """The generated field-by-field decoder of this shape, bound to these codecs (the
    arguments are those of ``make_run_decoder``, already checked)."""
    factory = _factories.get(codes)
    if factory is None:
        factory = _factories[codes] = _generate(codes)
    codecs: list[Any] = []
    for decode, code, parser in zip(decoders, codes, parsers, strict=True):
        fixed = struct.Struct("!i" + code).unpack_from if code in FIXED_WIDTH_CODES else None
        codecs += (decode, fixed, parser)
    for segment in _segments(codes):
        codecs.append(struct.Struct("!" + segment.layout(codes)).unpack_from)
    return factory(cls, untrack, *codecs)  # type: ignore[no-any-return]


def looping_run_decoder(
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
