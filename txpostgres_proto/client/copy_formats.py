"""Rows of Python values in the three COPY data formats (PostgreSQL docs, "COPY", "File Formats").

* text — one line per row, columns separated by a tab, NULL as ``\\N``; a backslash, newline,
  carriage return or tab inside a value is written as a backslash escape;
* csv — comma separated; a value is quoted (``"`` doubled inside) when it contains the
  delimiter, a quote, a line break, is empty (an unquoted empty field is NULL) or is ``\\.``;
* binary — the ``PGCOPY\\n\\377\\r\\n\\0`` signature, flags and header extension, then per row
  an int16 field count and each field as int32 length + the type's binary form (-1 for NULL),
  and an int16 -1 trailer.

Values are rendered by the type registry: in text and CSV by the text encoder of the type the
value's Python type maps to (``infer_oid``), with the common scalar types formatted inline; in
binary by the binary encoders of the target columns' types, which the caller supplies.  Rows
are grouped into chunks of about `CHUNK_SIZE` bytes, so a COPY of millions of rows sends a
few hundred CopyData messages and never holds more than one chunk.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import tzinfo
from typing import Any, Final

from ..types import TEXT, TypeRegistry

__all__ = [
    "BINARY_HEADER",
    "BINARY_TRAILER",
    "CHUNK_SIZE",
    "binary_chunks",
    "csv_chunks",
    "text_chunks",
]

CHUNK_SIZE: Final = 256 * 1024
BINARY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
BINARY_TRAILER: Final = struct.pack("!h", -1)

_TEXT_SPECIAL: Final = re.compile(r"[\\\n\r\t]")
_TEXT_ESCAPES: Final = str.maketrans({"\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"})
_INT32: Final = struct.Struct("!i")
_INT16: Final = struct.Struct("!h")
_NULL_FIELD: Final = _INT32.pack(-1)

ValueFormatter = Callable[[Any], str]


class _TextValues:
    """Python value -> its text form (unescaped), by Python type, cached per type."""

    def __init__(self, registry: TypeRegistry, timezone: tzinfo | None) -> None:
        self._registry = registry
        self._timezone = timezone
        self._by_type: dict[type, ValueFormatter] = {
            str: str,
            int: int.__repr__,
            float: float.__repr__,
            bool: lambda value: "t" if value else "f",
            bytes: lambda value: "\\x" + value.hex(),
        }

    def formatter(self, value: Any) -> ValueFormatter:
        kind = type(value)
        found = self._by_type.get(kind)
        if found is None:
            oid = self._registry.infer_oid(value)
            encode = self._registry.encoder(oid, TEXT, timezone=self._timezone)
            if isinstance(value, list | tuple):
                # The element type decides the encoder; do not cache it per container type.
                return lambda item: encode(item).decode()
            found = self._by_type[kind] = lambda item: encode(item).decode()
        return found


def _chunks(lines: Iterator[str]) -> Iterator[bytes]:
    batch: list[str] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if size >= CHUNK_SIZE:
            yield "".join(batch).encode()
            batch = []
            size = 0
    if batch:
        yield "".join(batch).encode()


def text_chunks(
    rows: Iterable[Sequence[Any]], registry: TypeRegistry, timezone: tzinfo | None = None
) -> Iterator[bytes]:
    """``rows`` in COPY text format, in chunks of about `CHUNK_SIZE` bytes."""
    values = _TextValues(registry, timezone)
    formatter = values.formatter
    special = _TEXT_SPECIAL.search
    escapes = _TEXT_ESCAPES

    def field(value: Any) -> str:
        if value is None:
            return "\\N"
        text = formatter(value)(value)
        return text.translate(escapes) if special(text) else text

    return _chunks("\t".join(map(field, row)) + "\n" for row in rows)


def csv_chunks(
    rows: Iterable[Sequence[Any]],
    registry: TypeRegistry,
    timezone: tzinfo | None = None,
    delimiter: str = ",",
) -> Iterator[bytes]:
    """``rows`` in COPY CSV format (default quote and escape ``"``), in chunks."""
    values = _TextValues(registry, timezone)
    formatter = values.formatter
    needs_quotes = re.compile("[" + re.escape(delimiter) + '"\r\n]').search

    def field(value: Any) -> str:
        if value is None:
            return ""
        text = formatter(value)(value)
        if not text or text == "\\." or needs_quotes(text):
            return '"' + text.replace('"', '""') + '"'
        return text

    return _chunks(delimiter.join(map(field, row)) + "\n" for row in rows)


def binary_chunks(
    rows: Iterable[Sequence[Any]], encoders: Sequence[Callable[[Any], bytes]]
) -> Iterator[bytes]:
    """``rows`` in COPY binary format, ``encoders[i]`` giving column ``i``'s binary form."""
    count = len(encoders)
    row_header = _INT16.pack(count)
    pack = _INT32.pack
    parts: list[bytes] = [BINARY_HEADER]
    size = len(BINARY_HEADER)
    for row in rows:
        if len(row) != count:
            raise ValueError(f"a row has {len(row)} values, the COPY has {count} columns")
        parts.append(row_header)
        for encode, value in zip(encoders, row, strict=True):
            if value is None:
                parts.append(_NULL_FIELD)
                size += 4
            else:
                data = encode(value)
                parts.append(pack(len(data)))
                parts.append(data)
                size += 4 + len(data)
        size += 2
        if size >= CHUNK_SIZE:
            yield b"".join(parts)
            parts = []
            size = 0
    parts.append(BINARY_TRAILER)
    yield b"".join(parts)
