"""COPY data formats: turning rows into COPY TO STDOUT data and COPY FROM STDIN data into rows.

PostgreSQL's COPY (SQL command reference, "COPY", section "File Formats") has three formats:

* ``text`` — one line per row, fields separated by a delimiter (tab), NULL written ``\\N``, and
  backslash escapes for the delimiter, backslash, newline, carriage return and tab (input also
  accepts ``\\b \\f \\v``, octal ``\\ooo`` and hex ``\\xhh``); a line ``\\.`` ends the data;
* ``csv`` — fields separated by a delimiter (comma), quoted with ``"`` when they contain the
  delimiter, the quote, a newline or look like the NULL string; NULL is an unquoted empty field
  and an empty string is ``""``; an optional header line;
* ``binary`` — the ``PGCOPY`` signature, then per row an int16 field count and per field an
  int32 length (-1 for NULL) followed by the type's binary form, then an int16 ``-1`` trailer.

`CopyFormat` holds the options of one COPY statement; `format_row` produces the wire payload
for rows already encoded as field bytes (the server encodes them with the type registry); the
escaping rules' inverse (``unescape_text``, ``csv_quoted``) serves the incremental parser of
received data in ``copy_in.py``.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement

from .settings import quote_identifier

__all__ = [
    "BINARY_HEADER",
    "BINARY_TRAILER",
    "CopyFormat",
    "copy_insert_query",
    "copy_source_query",
    "csv_quoted",
    "split_unescaped",
    "unescape_text",
]

BINARY_HEADER: Final = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
BINARY_TRAILER: Final = struct.pack("!h", -1)
_INT16: Final = struct.Struct("!h")
_INT32: Final = struct.Struct("!i")
_NULL_FIELD: Final = _INT32.pack(-1)
_TEXT_ESCAPES: Final = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v"}
_TEXT_ESCAPE: Final = re.compile(r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|(.))", re.S)


@dataclass(frozen=True)
class CopyFormat:
    """The format options of one COPY statement (``copy_options.copy_format`` makes them from
    the statement, with PostgreSQL's checks)."""

    kind: str = "text"
    delimiter: str = "\t"
    null: str = "\\N"
    header: bool = False
    #: HEADER MATCH: the header line of COPY FROM data must name the columns.
    header_match: bool = False
    quote: str = '"'
    escape: str = '"'
    #: FORCE_QUOTE's columns (None: ``*``, all); `for_columns` turns them into positions.
    force_quote: tuple[str, ...] | None = ()
    quoted_columns: frozenset[int] = frozenset()
    #: The Python codec of the data's ENCODING.
    encoding: str = "utf-8"

    def for_columns(self, names: Sequence[str], table: str | None) -> CopyFormat:
        """This format for output columns ``names`` (of ``table``, None for a query):
        FORCE_QUOTE's columns resolved to positions (42703 for a name not among them)."""
        if self.force_quote is None:
            return replace(self, quoted_columns=frozenset(range(len(names))))
        positions = set()
        for name in self.force_quote:
            if name not in names:
                relation = f' of relation "{table}"' if table is not None else ""
                raise PostgresError(f'column "{name}"{relation} does not exist', "42703")
            positions.add(names.index(name))
        return replace(self, quoted_columns=frozenset(positions))

    @property
    def binary(self) -> bool:
        return self.kind == "binary"

    # -- output ----------------------------------------------------------------------------

    def header_line(self, names: Sequence[str]) -> bytes:
        """The header line (column names, never force-quoted), or the binary signature."""
        if self.binary:
            return BINARY_HEADER
        if not self.header:
            return b""
        fields = [name.encode("utf-8") for name in names]
        if self.kind == "csv":
            return self._csv_row(fields, frozenset())
        return self._text_row(fields)

    def trailer(self) -> bytes:
        return BINARY_TRAILER if self.binary else b""

    def format_row(self, fields: Sequence[bytes | None]) -> bytes:
        """One row (fields already in text or binary form) as COPY data."""
        if self.binary:
            parts = [_INT16.pack(len(fields))]
            for field in fields:
                parts.append(_NULL_FIELD if field is None else _INT32.pack(len(field)) + field)
            return b"".join(parts)
        if self.kind == "csv":
            return self._csv_row(fields, self.quoted_columns)
        return self._text_row(fields)

    def _text_row(self, fields: Sequence[bytes | None]) -> bytes:
        null = self.null.encode("utf-8")
        delimiter = self.delimiter.encode("utf-8")
        out = []
        for field in fields:
            if field is None:
                out.append(null)
                continue
            value = (
                field.replace(b"\\", b"\\\\")
                .replace(b"\n", b"\\n")
                .replace(b"\r", b"\\r")
                .replace(b"\t", b"\\t")
            )
            if delimiter != b"\t":
                value = value.replace(delimiter, b"\\" + delimiter)
            out.append(value)
        return delimiter.join(out) + b"\n"

    def _csv_row(self, fields: Sequence[bytes | None], quoted: frozenset[int]) -> bytes:
        quote = self.quote.encode("utf-8")
        escape = self.escape.encode("utf-8")
        delimiter = self.delimiter.encode("utf-8")
        null = self.null.encode("utf-8")
        special = (delimiter, quote, b"\n", b"\r")
        out = []
        for index, field in enumerate(fields):
            if field is None:
                out.append(null)
            elif (
                index in quoted
                or field == null
                or field == b"\\."
                or any(char in field for char in special)
            ):
                body = field.replace(escape, escape + escape) if escape != quote else field
                out.append(quote + body.replace(quote, escape + quote) + quote)
            else:
                out.append(field)
        return delimiter.join(out) + b"\n"


def split_unescaped(line: str, delimiter: str) -> list[str]:
    """Split a text-format line at delimiters not preceded by an escaping backslash."""
    fields: list[str] = []
    start = index = 0
    while index < len(line):
        char = line[index]
        if char == "\\":
            index += 2
            continue
        if char == delimiter:
            fields.append(line[start:index])
            start = index + 1
        index += 1
    fields.append(line[start:])
    return fields


def unescape_text(raw: str) -> str:
    """A text-format field with its backslash escapes resolved.  Octal and hex escapes stand
    for bytes of the server encoding (UTF-8), as in PostgreSQL: ``\\303\\251`` is ``é``, and
    bytes that do not form UTF-8 (or a zero byte) are 22021."""
    if "\\" not in raw:
        return raw
    raw_bytes = False

    def replace(match: re.Match[str]) -> str:
        nonlocal raw_bytes
        octal, hexadecimal, char = match.groups()
        if octal is None and hexadecimal is None:
            return _TEXT_ESCAPES.get(char, char)
        code = int(octal, 8) & 0xFF if octal is not None else int(hexadecimal, 16)
        if code == 0:
            raise _invalid_byte(0)
        if code < 0x80:
            return chr(code)
        raw_bytes = True
        return chr(0xDC00 + code)  # the byte, in surrogateescape's notation

    text = _TEXT_ESCAPE.sub(replace, raw)
    if not raw_bytes:
        return text
    data = text.encode("utf-8", "surrogateescape")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _invalid_byte(data[error.start]) from None


def _invalid_byte(byte: int) -> PostgresError:
    return PostgresError(f'invalid byte sequence for encoding "UTF8": 0x{byte:02x}', "22021")


def csv_quoted(text: str, position: int, quote: str, escape: str) -> tuple[str, int]:
    """A quoted CSV field starting after its opening quote; returns it and the position after
    the closing quote."""
    out: list[str] = []
    length = len(text)
    while position < length:
        char = text[position]
        if char == escape and position + 1 < length and text[position + 1] in (quote, escape):
            if escape != quote or text[position + 1] == quote:
                out.append(text[position + 1])
                position += 2
                continue
        if char == quote:
            position += 1
            break
        out.append(char)
        position += 1
    else:
        raise PostgresError("unterminated CSV quoted field", "22P04")
    return "".join(out), position


def _table(statement: CopyStatement) -> str:
    table = statement.table
    assert table is not None
    name = quote_identifier(table.name)
    return f"{quote_identifier(table.schema)}.{name}" if table.schema else name


def copy_source_query(statement: CopyStatement) -> str:
    """The query whose rows COPY ... TO sends: its own query, or the table's columns."""
    if statement.query is not None:
        return statement.query
    columns = ", ".join(map(quote_identifier, statement.columns)) or "*"
    return f"SELECT {columns} FROM {_table(statement)}"


def copy_insert_query(statement: CopyStatement, width: int) -> str:
    """The INSERT that stores one row of COPY ... FROM data with ``width`` fields."""
    columns = (
        f" ({', '.join(map(quote_identifier, statement.columns))})" if statement.columns else ""
    )
    values = ", ".join(f"${number}" for number in range(1, width + 1))
    return f"INSERT INTO {_table(statement)}{columns} VALUES ({values})"
