"""DataRow encoders for servers: Python rows straight to whole DataRow messages.

A DataRow (protocol section 55.7) is ``D``, an int32 length, an int16 field count, then per
field an int32 length (-1 for NULL) and the field's bytes.  The server sends one per result row,
so this is its hottest code: it is generated per column shape as straight-line Python (see
``codegen.py``), in two forms built from the same field code:

* a *row* encoder, ``data_row(row) -> bytes``, one DataRow per call;
* a *rows* encoder, ``data_rows(rows, out, max_rows, max_bytes) -> (count, size, stopped)``,
  which encodes rows from an iterator in a loop, adding each row's pieces to the ``out`` list
  (header, then per field its length and bytes), so that a server joins a whole batch of rows
  at once and pays no call, ``join`` or bookkeeping per row.  It stops after ``max_rows`` rows
  (0: no limit) or once ``size`` (the bytes added) reaches ``max_bytes``, returning
  ``stopped=True``, else at the end of ``rows`` (``stopped=False``).  A row whose encoding
  raises adds nothing to ``out``: what is there are the complete rows before it.

The field code spells out the common case of the cheapest built-in codecs (an ``int``, a
``str`` or a ``Decimal`` as text, a bool, a fixed-width binary number packed together with its
length) and fetches float8 and timestamp text and timestamp and numeric binary fields from
caches of recently sent values that hold the field *with* its length prefix; anything else goes
to the column's codec.  Every fast path gives exactly the codec's bytes (and errors).  The
generated source depends on which of these cases the columns use, never on data.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from txpostgres_proto.codegen import compile_factory
from txpostgres_proto.types import binary_codecs, datetimes, floats, numeric, text_codecs
from txpostgres_proto.types.memo import RecentValues
from txpostgres_proto.types.typecodecs import Encoder

__all__ = [
    "DataRowEncoder",
    "DataRowsEncoder",
    "compile_data_row_encoder",
    "compile_data_rows_encoder",
]

DataRowEncoder = Callable[[Sequence[Any]], bytes]
DataRowsEncoder = Callable[[Iterator[Any], list[bytes], int, int], tuple[int, int, bool]]

_FIELD_LENGTH: Final = struct.Struct("!i").pack
_NULL: Final = _FIELD_LENGTH(-1)
# Length prefixes of short fields, ready-made: indexing beats a call to pack per field.
_SHORT_LENGTHS: Final = tuple(_FIELD_LENGTH(size) for size in range(256))
# ``D`` and the message length, ready-made for rows up to this length.
_SHORT_ROWS: Final = 1024
_ROW_HEADS: Final = tuple(b"D" + _FIELD_LENGTH(size) for size in range(_SHORT_ROWS))
_ROW_HEAD: Final = struct.Struct("!ci").pack
_COUNT: Final = struct.Struct("!h").pack


def _framed(data: bytes) -> bytes:
    """A field's bytes after their length."""
    return _FIELD_LENGTH(len(data)) + data


class _FramedValues(RecentValues[bytes]):
    """Framed fields (length, then bytes) by key; a missing key is encoded by ``encode`` and
    kept when ``keep(key)``.  Generated code indexes it directly (one C lookup per hit)."""

    __slots__ = ("_encode", "_keep")

    def __init__(self, encode: Callable[[Any], bytes], keep: Callable[[Any], bool]) -> None:
        super().__init__()
        self._encode = encode
        self._keep = keep

    def __missing__(self, key: Any) -> bytes:
        field = _framed(self._encode(key))
        if self._keep(key):
            self.remember(key, field)
        return field


def _float_key(value: float) -> bool:
    # 0.0 and -0.0 are equal keys that print differently; a NaN never finds itself again.
    return value != 0.0 and value == value


def _naive(value: datetime) -> bool:
    # Aware values equal to each other can have different wall clocks (printed, or dropped).
    return value.tzinfo is None


# Keys are floats, datetimes (checked by ``type(v) is ...`` first) and a Decimal's ``str``,
# which keeps its exponent and round-trips exactly (1.5 and 1.50 are different keys).
_FLOAT8_TEXTS: Final = _FramedValues(floats.encode_float8, _float_key)
_TIMESTAMP_TEXTS: Final = _FramedValues(datetimes.encode_timestamp_text, _naive)
_TIMESTAMP_BINARIES: Final = _FramedValues(datetimes.encode_timestamp_binary, _naive)
_NUMERIC_BINARIES: Final = _FramedValues(
    lambda text: numeric.encode_numeric_binary(Decimal(text)), lambda text: True
)

# Field code of the inlined codecs.  ``split`` fields set ``e{i}`` to the value's bytes when
# the test holds (else the codec is called); ``framed`` fields set ``f{i}`` to the whole field
# when the test holds; ``{v}`` is the value, ``{c}`` the codec, ``{k}`` the cache.
_SPLIT: Final[dict[Encoder, tuple[str, str]]] = {
    text_codecs.encode_int: ("type({v}) is int", "b'%d' % {v}"),
    text_codecs.encode_text: ("type({v}) is str", "{v}.encode()"),
    binary_codecs.encode_text: ("type({v}) is str", "{v}.encode()"),
    # Finite and not zero (no "-0"): ``str`` is positional unless it shows an exponent.
    numeric.encode_numeric_text: (
        "type({v}) is Decimal",
        "s_{v}.encode() if {v} and {v}.is_finite() and 'E' not in (s_{v} := str({v}))"
        " else {c}({v})",
    ),
}
_FRAMED: Final[dict[Encoder, tuple[str, str, _FramedValues]]] = {
    floats.encode_float8: ("type({v}) is float", "{k}[{v}]", _FLOAT8_TEXTS),
    datetimes.encode_timestamp_text: ("type({v}) is datetime", "{k}[{v}]", _TIMESTAMP_TEXTS),
    datetimes.encode_timestamp_binary: ("type({v}) is datetime", "{k}[{v}]", _TIMESTAMP_BINARIES),
    numeric.encode_numeric_binary: ("type({v}) is Decimal", "{k}[str({v})]", _NUMERIC_BINARIES),
}
# Whole fields of a bool (the codecs take any value's truth).
_BOOLS: Final[dict[Encoder, tuple[bytes, bytes]]] = {
    text_codecs.encode_bool: (_framed(b"t"), _framed(b"f")),
    binary_codecs.encode_bool: (_framed(b"\x01"), _framed(b"\x00")),
}
_NAMES: Final[dict[str, Any]] = {"datetime": datetime, "Decimal": Decimal, "framed": _framed}


def _packed_with_length(encoder: Encoder) -> tuple[Callable[..., bytes], int] | None:
    """For a fixed-width binary codec that is a bound ``Struct.pack`` (``binary_codecs``): the
    pack of the length and the value together, and that length (same bytes, same errors)."""
    layout = getattr(encoder, "__self__", None)
    if not isinstance(layout, struct.Struct) or getattr(encoder, "__name__", "") != "pack":
        return None
    fmt = layout.format
    if len(fmt) != 2 or fmt[0] != "!":
        return None
    return struct.Struct("!i" + fmt[1:]).pack, layout.size


class _Shape:
    """The generated field code of one row shape, and the objects it refers to."""

    def __init__(self, encoders: Sequence[Encoder]) -> None:
        self.count = len(encoders)
        self.lines: list[str] = []
        self.parts: list[str] = []
        self.sizes: list[str] = []
        self.fixed = 2 + 4  # the field count and the length itself
        self.bound: dict[str, Any] = {}
        for index, encoder in enumerate(encoders):
            self._field(index, encoder)

    def _field(self, i: int, encoder: Encoder) -> None:
        v, c = f"v{i}", f"c{i}"
        self.bound[c] = encoder
        packed = _packed_with_length(encoder)
        if encoder in _BOOLS:
            self.bound[f"yes{i}"], self.bound[f"no{i}"] = _BOOLS[encoder]
            self._whole(i, [f"f{i} = null if {v} is None else yes{i} if {v} else no{i}"])
        elif packed is not None:
            self.bound[f"k{i}"], width = packed
            self._whole(i, [f"f{i} = null if {v} is None else k{i}({width}, {v})"])
        elif encoder in _FRAMED:
            test, lookup, cache = _FRAMED[encoder]
            self.bound[f"k{i}"] = cache
            self._whole(
                i,
                [
                    f"if {test.format(v=v)}:",
                    f"    f{i} = {lookup.format(v=v, k=f'k{i}')}",
                    f"elif {v} is None:",
                    f"    f{i} = null",
                    "else:",
                    f"    f{i} = framed({c}({v}))",
                ],
            )
        else:
            self._split(i, encoder)

    def _split(self, i: int, encoder: Encoder) -> None:
        """A field whose bytes come first, then their length prefix (``p{i}``, ``e{i}``)."""
        v, c = f"v{i}", f"c{i}"
        prefix = [
            f"    n{i} = len(e{i})",
            f"    p{i} = short[n{i}] if n{i} < 256 else length(n{i})",
        ]
        lines = []
        test, expression = _SPLIT.get(encoder, ("", ""))
        if test:
            lines += [f"if {test.format(v=v)}:", f"    e{i} = {expression.format(v=v, c=c)}"]
            lines += [*prefix, f"elif {v} is None:"]
        else:
            lines.append(f"if {v} is None:")
        lines += [f"    p{i} = null", f"    e{i} = b''", f"    n{i} = 0"]
        lines += ["else:", f"    e{i} = {c}({v})", *prefix]
        self.lines += lines
        self.parts += [f"p{i}", f"e{i}"]
        self.sizes.append(f"n{i}")
        self.fixed += 4

    def _whole(self, i: int, lines: list[str]) -> None:
        self.lines += lines
        self.parts.append(f"f{i}")
        self.sizes.append(f"len(f{i})")

    def source(self, batch: bool) -> list[str]:
        """The generated function: the rows encoder (``batch``) or the row encoder."""
        unpack = "".join(f"v{i}, " for i in range(self.count)) + "= row"
        size = " + ".join([*self.sizes, str(self.fixed)])
        pieces = f"heads[n] if n < {_SHORT_ROWS} else head(b'D', n), {_COUNT(self.count)!r}, "
        pieces += ", ".join(self.parts)
        if not batch:
            return [
                "def data_row(row):",
                f"    {unpack}",
                *("    " + line for line in self.lines),
                f"    n = {size}",
                f"    return b''.join(({pieces}))",
            ]
        return [
            "def data_rows(rows, out, max_rows, max_bytes):",
            "    count = size = 0",
            "    for row in rows:",
            f"        {unpack}",
            *("        " + line for line in self.lines),
            f"        n = {size}",
            f"        out += ({pieces})",
            "        count += 1",
            "        size += n + 1",
            "        if size >= max_bytes or count == max_rows:",
            "            return count, size, True",
            "    return count, size, False",
        ]


_FIXED: Final[dict[str, Any]] = {
    "short": _SHORT_LENGTHS,
    "length": _FIELD_LENGTH,
    "null": _NULL,
    "heads": _ROW_HEADS,
    "head": _ROW_HEAD,
}
_factories: dict[tuple[tuple[str, ...], bool], Callable[..., Any]] = {}


def _compile(encoders: Sequence[Encoder], batch: bool) -> Any:
    shape = _Shape(encoders)
    names = (*shape.bound, *_FIXED)
    key = (tuple(shape.lines), batch)
    factory = _factories.get(key)
    if factory is None:
        lines = shape.source(batch)
        returns = "data_rows" if batch else "data_row"
        label = f"{returns}_{shape.count}"
        factory = _factories[key] = compile_factory(", ".join(names), lines, returns, _NAMES, label)
    return factory(*shape.bound.values(), *_FIXED.values())


def _looping_data_row(encoders: Sequence[Encoder]) -> DataRowEncoder:
    """A data-row encoder as a loop over the fields (no columns, or very many)."""
    pairs = tuple(encoders)
    count = _COUNT(len(pairs))

    def data_row(row: Sequence[Any]) -> bytes:
        if len(row) != len(pairs):
            raise ValueError(f"expected {len(pairs)} values, got {len(row)}")
        parts = [count]
        for encode, value in zip(pairs, row, strict=True):
            parts.append(_NULL if value is None else _framed(encode(value)))
        body = b"".join(parts)
        return _ROW_HEAD(b"D", len(body) + 4) + body

    return data_row


def _looping_data_rows(data_row: DataRowEncoder) -> DataRowsEncoder:
    """A rows encoder calling ``data_row`` once per row."""

    def data_rows(
        rows: Iterator[Any], out: list[bytes], max_rows: int, max_bytes: int
    ) -> tuple[int, int, bool]:
        count = size = 0
        for row in rows:
            message = data_row(row)
            out.append(message)
            count += 1
            size += len(message)
            if size >= max_bytes or count == max_rows:
                return count, size, True
        return count, size, False

    return data_rows


# Beyond this many columns straight-line code stops paying for itself; use a loop.
_MAX_GENERATED_COLUMNS: Final = 64


def compile_data_row_encoder(encoders: Sequence[Encoder]) -> DataRowEncoder:
    """A function turning one row of Python values into a complete DataRow message, value ``i``
    encoded by ``encoders[i]`` (None -> NULL). It raises ``ValueError`` when a row has the
    wrong number of values."""
    if not encoders or len(encoders) > _MAX_GENERATED_COLUMNS:
        return _looping_data_row(encoders)
    return _compile(encoders, False)  # type: ignore[no-any-return]


def compile_data_rows_encoder(encoders: Sequence[Encoder]) -> DataRowsEncoder:
    """A function encoding rows from an iterator into DataRow pieces (see the module
    docstring), value ``i`` encoded by ``encoders[i]`` (None -> NULL). It raises
    ``ValueError`` when a row has the wrong number of values."""
    if not encoders or len(encoders) > _MAX_GENERATED_COLUMNS:
        return _looping_data_rows(_looping_data_row(encoders))
    return _compile(encoders, True)  # type: ignore[no-any-return]
