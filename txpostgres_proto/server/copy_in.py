"""COPY ... FROM STDIN as a stream: incremental parsers and the row source a backend reads.

PostgreSQL reads COPY data as it arrives and stores each row before the next one is read
(SQL reference "COPY", "File Formats"; protocol section 55.2.6 "COPY Operations").  This module
does the same for the protocol:

* `CopyParser` cuts received CopyData into rows incrementally (a row may span messages):
  text and CSV rows become tuples of ``str``/None (the backend casts them to the column types),
  binary rows are decoded with the type registry's binary decoders of the target columns.  A
  malformed row raises 22P04 (``bad_copy_file_format``) with a ``where`` field naming the table
  and line, as PostgreSQL's error context does (``COPY t, line 3: "..."``).
* `CopyParser.feed_values` gives the same rows as one flat list of fields (`CopyValues`): lines
  whose every delimiter and newline separates fields (no CSV quote, no escaped delimiter) are
  cut with one ``str.split`` of a whole run of them instead of one per line, and no tuple is
  made per row; a bulk loader binds the list as it is.  Other lines (quoted CSV, the header)
  take the line-by-line path, and give the same fields and errors.
* `CopyInStream` is what a backend's ``copy_in(statement, rows)`` receives: an async iterator
  of `CopyBatch` lists of rows.  The protocol feeds it raw CopyData; it parses lazily, one batch
  per pull, and reports itself ``full`` while unread data piles up, which is when the protocol
  stops reading from the socket (TCP backpressure).  CopyFail, a bad row, a cancel or a lost
  connection make the next pull raise, so the backend can undo what it stored.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final, Protocol

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement

from .copy import BINARY_HEADER, CopyFormat, csv_quoted, split_unescaped, unescape_text

__all__ = [
    "CopyBatch",
    "CopyInStream",
    "CopyParser",
    "CopyValues",
    "RawCopyBatch",
    "column_option",
]

#: Unparsed CopyData held before a batch is cut even if nobody asked for one.
BATCH_BYTES: Final = 256 * 1024
#: Unparsed CopyData the stream holds before it reports itself full (reading pauses).
FULL_BYTES: Final = 2 * BATCH_BYTES
_SIGNATURE: Final = BINARY_HEADER[:11]
_INT16: Final = struct.Struct("!h")
_INT32: Final = struct.Struct("!i")

Row = tuple[Any, ...]


class RowFilter(Protocol):
    """Which rows a COPY stores (its WHERE condition; ``copy_where.CopyRowFilter``)."""

    def rows(self, rows: list[Row]) -> list[Row]: ...


class CopyBatch(list[Row]):
    """Rows in arrival order; ``first_line`` is the data line (or tuple) number of the first."""

    first_line: int

    def __init__(self, rows: list[Row], first_line: int) -> None:
        super().__init__(rows)
        self.first_line = first_line


class CopyValues:
    """The rows of a batch as one flat list, row after row: field j of row i is
    ``values[i * width + j]``; ``count`` rows, the first of them data line (or tuple)
    ``first_line``."""

    def __init__(self, values: list[Any], width: int, count: int, first_line: int) -> None:
        self.values = values
        self.width = width
        self.count = count
        self.first_line = first_line

    def __len__(self) -> int:
        return self.count

    def column(self, index: int) -> list[Any]:
        """Field ``index`` of every row."""
        return self.values[index :: self.width]


def column_option(statement: CopyStatement, name: str, columns: Sequence[str]) -> tuple[str, ...]:
    """The columns of a column-list option such as FORCE_NOT_NULL (``*``: all of them)."""
    value = statement.option(name)
    if value is None:
        return ()
    if value == "*" or value == ("*",):
        return tuple(columns)
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _bad_format(message: str, table: str, line: int, text: str | None = None) -> PostgresError:
    where = f"COPY {table}, line {line}"
    if text is not None:
        where += f': "{text}"'
    return PostgresError(message, "22P04", where=where)


class CopyParser:
    """Incremental parser of one COPY FROM STDIN's data (text, CSV or binary)."""

    def __init__(
        self,
        copy_format: CopyFormat,
        table: str,
        columns: Sequence[str],
        decoders: Sequence[Callable[[bytes], Any]] = (),
        force_not_null: Sequence[str] = (),
        force_null: Sequence[str] = (),
    ) -> None:
        self.format = copy_format
        self.table = table
        self.columns = tuple(columns)
        self.decoders = tuple(decoders)
        #: Lines (or binary tuples) parsed so far; the number of the last one.
        self.line = 0
        self.ended = False
        self._buffer = b""
        self._pending_record = ""
        self._header_seen = False
        self._force_not_null = {self._index(name) for name in force_not_null}
        self._force_null = {self._index(name) for name in force_null}
        # What `_plain_values` deletes to see the lines' structure (None: it does not apply).
        self._others: bytes | None = None
        delimiter = copy_format.delimiter
        if self.columns and delimiter.isascii() and delimiter not in "\n\\":
            kept = {ord(delimiter), ord("\n")}
            self._others = bytes(byte for byte in range(256) if byte not in kept)
        self._row_skeleton = (delimiter * (len(self.columns) - 1) + "\n").encode()

    def _index(self, name: str) -> int:
        if name in self.columns:
            return self.columns.index(name)
        raise PostgresError(f'column "{name}" does not exist', "42703")

    # -- entry points ----------------------------------------------------------------------

    def feed(self, data: bytes) -> list[Row]:
        """The rows completed by ``data``."""
        if self.ended:
            return []
        if self.format.binary:
            self._buffer += data
            return self._binary_rows(final=False)
        chunk = self._complete_lines(data)
        return [] if chunk is None else self._lines(self._decode(chunk))

    def feed_values(self, data: bytes) -> list[Any]:
        """`feed`'s rows as one flat list of fields, row after row (see `CopyValues`)."""
        if self.format.binary or self.ended:
            return _flat(self.feed(data))
        chunk = self._complete_lines(data)
        if chunk is None:
            return []
        text = self._decode(chunk)
        plain = self._plain_values(chunk, text)
        if plain is not None:
            return plain
        if self.format.kind == "csv" or (self.format.header and not self._header_seen):
            return self._segmented_values(text)
        return _flat(self._lines(text))

    def _complete_lines(self, data: bytes) -> bytes | None:
        """The complete lines buffered with ``data`` (without the last newline), in UTF-8; the
        incomplete rest stays buffered."""
        buffer = self._buffer + data if self._buffer else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._buffer = buffer
            return None
        self._buffer = buffer[cut + 1 :]
        return self._utf8(buffer[:cut])

    def _utf8(self, data: bytes) -> bytes:
        """Data in the COPY's ENCODING converted to UTF-8.  Every encoding PostgreSQL speaks
        keeps byte 0x0A for newline alone, so lines can be cut before converting."""
        codec = self.format.encoding
        if codec == "utf-8":
            return data
        try:
            return data.decode(codec).encode("utf-8")
        except UnicodeDecodeError as error:
            raise self._bad_byte(data, error, codec.upper()) from None

    def finish(self) -> list[Row]:
        """The last rows, at CopyDone; a truncated row is an error."""
        if self.ended:
            return []
        if self.format.binary:
            rows = self._binary_rows(final=True)
            if not self.ended:
                raise _bad_format("unexpected EOF in COPY data", self.table, self.line + 1)
            return rows
        rest, self._buffer = self._buffer, b""
        rows = self._lines(self._decode(self._utf8(rest))) if rest else []
        if self._pending_record:
            raise _bad_format("unterminated CSV quoted field", self.table, self.line)
        return rows

    def finish_values(self) -> list[Any]:
        """`finish`'s rows as one flat list of fields."""
        return _flat(self.finish())

    def _decode(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise self._bad_byte(data, error, "UTF8") from None

    def _bad_byte(self, data: bytes, error: UnicodeDecodeError, encoding: str) -> PostgresError:
        line = self.line + 1 + data.count(b"\n", 0, error.start)
        return PostgresError(
            f'invalid byte sequence for encoding "{encoding}": 0x{data[error.start]:02x}',
            "22021",
            where=f"COPY {self.table}, line {line}",
        )

    # -- text and CSV ----------------------------------------------------------------------

    def _lines(self, text: str) -> list[Row]:
        """The rows of complete lines ``text`` (without the last line's newline)."""
        fmt = self.format
        lines = text.split("\n")
        if (
            fmt.kind == "text"
            and "\\" in fmt.null
            and (self._header_seen or not fmt.header)
            and "\\" not in text
            and "\r" not in text
        ):
            return self._plain_text_lines(lines)
        csv = fmt.kind == "csv"
        rows: list[Row] = []
        append = rows.append
        skip_header = self.format.header and not self._header_seen
        width = len(self.columns)
        text_row = self._text_row
        for line in lines:
            if self.ended:
                break
            if line.endswith("\r"):
                line = line[:-1]
            if csv and self._pending_record:
                line = self._pending_record + "\n" + line
                self._pending_record = ""
            elif line == "\\.":
                self.ended = True
                break
            if csv and not self._csv_complete(line):
                self._pending_record = line
                continue
            self.line += 1
            if skip_header:
                skip_header = False
                self._header_seen = True
                if fmt.header_match and width:
                    self._match_header(self._csv_row(line) if csv else text_row(line), line)
                continue
            row = self._csv_row(line) if csv else text_row(line)
            if len(row) != width and width:
                self._wrong_width(row, line)
            append(row)
        return rows

    def _plain_text_lines(self, lines: list[str]) -> list[Row]:
        """Text-format lines without a backslash: no escapes, no NULLs, no end marker."""
        delimiter = self.format.delimiter
        rows = [tuple(line.split(delimiter)) for line in lines]
        width = len(self.columns)
        if width and set(map(len, rows)) != {width}:
            for index, row in enumerate(rows):
                if len(row) != width:
                    self.line += index + 1
                    self._wrong_width(row, lines[index])
        self.line += len(rows)
        return rows  # type: ignore[return-value]

    def _plain_values(self, chunk: bytes, text: str) -> list[Any] | None:
        """The fields of lines with nothing to unescape or unquote, cut with one ``split`` of
        the whole text (``chunk`` decoded); None when the general path must decide (other data,
        or a line with the wrong number of fields: its error is raised there).

        Every line has the right number of fields when the chunk's delimiters and newlines
        alone (``bytes.translate`` deletes the rest) are ``width - 1`` delimiters per newline.

        Plain means: no carriage return, no end marker, no header still to skip; in CSV no
        quote and no record left open by the previous chunk; in the text format no backslash
        right before a delimiter or a newline, so that every delimiter and newline separates
        fields.  Fields with a backslash other than NULL markers (``\\N``; counted: when the
        text holds as many backslashes as its NULL fields do, there is nothing else) are
        unescaped one by one.
        """
        fmt = self.format
        width = len(self.columns)
        delimiter, null = fmt.delimiter, fmt.null
        csv = fmt.kind == "csv"
        if self._others is None or (fmt.header and not self._header_seen) or "\r" in text:
            return None
        if csv:
            escapes = 0
            if fmt.quote in text or "\\." in text or self._pending_record:
                return None
        else:
            escapes = text.count("\\")
            if escapes and "\\." in text:
                return None
        skeleton = chunk.translate(None, self._others) + b"\n"
        count = skeleton.count(b"\n")
        if skeleton != self._row_skeleton * count:
            return None
        values: list[Any] = (
            text.replace("\n", delimiter).split(delimiter) if width > 1 else text.split("\n")
        )
        nulls = values.count(null) if csv or escapes or "\\" not in null else 0
        if not csv and escapes != nulls * null.count("\\"):
            # Escapes too: the split is right when none of them escapes a delimiter or newline.
            if "\\" + delimiter in text or "\\\n" in text or text.endswith("\\"):
                return None
            try:
                values = [
                    unescape_text(field) if "\\" in field and field != null else field
                    for field in values
                ]
            except PostgresError:
                return None  # the line-by-line path reports it with its line

        self.line += count
        if nulls:
            for index in range(width):
                column = values[index::width]
                if null in column:
                    marker = "" if index in self._force_not_null else None
                    values[index::width] = [marker if field == null else field for field in column]
        return values

    def _segmented_values(self, text: str) -> list[Any]:
        """The fields of complete lines ``text`` that cannot be cut at once: the lines that
        need the general path (the header, a line with a CSV quote, the rest of a record
        spanning lines) take it one by one, the runs of lines between them the fast path."""
        fmt = self.format
        values: list[Any] = []
        start, end = 0, len(text)
        while start <= end and not self.ended:
            if self._pending_record or (fmt.header and not self._header_seen):
                special = start
            else:
                quote = text.find(fmt.quote, start) if fmt.kind == "csv" else -1
                special = end + 1 if quote < 0 else max(text.rfind("\n", start, quote) + 1, start)
            if special > start:
                run = text[start : special - 1]
                plain = self._plain_values(run.encode("utf-8"), run)
                values.extend(plain if plain is not None else _flat(self._lines(run)))
                if special > end:
                    break
            line_end = text.find("\n", special)
            line_end = end if line_end < 0 else line_end
            values.extend(_flat(self._lines(text[special:line_end])))
            start = line_end + 1
        return values

    def _text_row(self, line: str) -> Row:
        delimiter = self.format.delimiter
        null = self.format.null
        if "\\" not in line:
            fields: list[Any] = line.split(delimiter)
            if null in fields:
                fields = [None if field == null else field for field in fields]
        else:
            try:
                fields = [
                    None if raw == null else unescape_text(raw)
                    for raw in split_unescaped(line, delimiter)
                ]
            except PostgresError as error:
                error.where = f'COPY {self.table}, line {self.line}: "{line}"'
                raise
        if self._force_not_null:
            fields = [
                "" if field is None and index in self._force_not_null else field
                for index, field in enumerate(fields)
            ]
        return tuple(fields)

    def _csv_complete(self, record: str) -> bool:
        """Whether ``record`` ends outside a quoted field."""
        quote, escape = self.format.quote, self.format.escape
        if quote not in record:
            return True
        if escape == quote:
            return record.count(quote) % 2 == 0
        inside = False
        index = 0
        length = len(record)
        while index < length:
            char = record[index]
            if inside and char == escape and index + 1 < length:
                index += 2
                continue
            if char == quote:
                inside = not inside
            index += 1
        return not inside

    def _csv_row(self, record: str) -> Row:
        fmt = self.format
        quote, delimiter, null = fmt.quote, fmt.delimiter, fmt.null
        if quote not in record:
            fields: list[Any] = record.split(delimiter)
            if null in fields:
                fields = [
                    ("" if index in self._force_not_null else None) if field == null else field
                    for index, field in enumerate(fields)
                ]
            return tuple(fields)
        fields = []
        position = 0
        length = len(record)
        while True:
            index = len(fields)
            if position < length and record[position] == quote:
                try:
                    value, position = csv_quoted(record, position + 1, quote, fmt.escape)
                except PostgresError:
                    raise _bad_format(
                        "unterminated CSV quoted field", self.table, self.line, record
                    ) from None
                end = record.find(delimiter, position)
                end = length if end < 0 else end
                value += record[position:end]
                position = end
                fields.append(None if index in self._force_null and value == null else value)
            else:
                end = record.find(delimiter, position)
                end = length if end < 0 else end
                raw = record[position:end]
                position = end
                is_null = raw == null and index not in self._force_not_null
                fields.append(None if is_null else raw)
            if position < length:
                position += 1
                continue
            break
        return tuple(fields)

    def _match_header(self, names: Row, line: str) -> None:
        """HEADER MATCH: the header line must name the target columns, in order."""
        expected = self.columns
        if len(names) != len(expected):
            message = (
                f"wrong number of fields in header line: got {len(names)}, expected {len(expected)}"
            )
            raise _bad_format(message, self.table, self.line, line)
        for number, (name, wanted) in enumerate(zip(names, expected, strict=True), start=1):
            if name == wanted:
                continue
            got = f'null value ("{self.format.null}")' if name is None else f'"{name}"'
            message = (
                f"column name mismatch in header line field {number}: "
                f'got {got}, expected "{wanted}"'
            )
            raise _bad_format(message, self.table, self.line, line)

    def _wrong_width(self, row: Row, line: str) -> None:
        if len(row) > len(self.columns):
            raise _bad_format("extra data after last expected column", self.table, self.line, line)
        missing = self.columns[len(row)]
        raise _bad_format(f'missing data for column "{missing}"', self.table, self.line, line)

    # -- binary ----------------------------------------------------------------------------

    def _binary_rows(self, final: bool) -> list[Row]:
        buffer = self._buffer
        position = 0
        rows: list[Row] = []
        if not self._header_seen:
            if len(buffer) < 19:
                if final or (buffer and not _SIGNATURE.startswith(buffer[:11])):
                    raise _bad_format("COPY file signature not recognized", self.table, 1)
                return rows
            if buffer[:11] != _SIGNATURE:
                raise _bad_format("COPY file signature not recognized", self.table, 1)
            (flags,) = _INT32.unpack_from(buffer, 11)
            if flags & 0x10000:
                raise _bad_format("COPY file with OIDs is not supported", self.table, 1)
            (extension,) = _INT32.unpack_from(buffer, 15)
            if extension < 0:
                raise _bad_format("invalid COPY file header (wrong length)", self.table, 1)
            if len(buffer) < 19 + extension:
                return rows
            position = 19 + extension
            self._header_seen = True
        width = len(self.columns)
        decoders = self.decoders
        length = len(buffer)
        unpack16, unpack32 = _INT16.unpack_from, _INT32.unpack_from
        while position + 2 <= length:
            (count,) = unpack16(buffer, position)
            if count == -1:
                self.ended = True
                position += 2
                break
            if count != width:
                raise _bad_format(
                    f"row field count is {count}, expected {width}", self.table, self.line + 1
                )
            cursor = position + 2
            fields: list[Any] = []
            complete = True
            for index in range(count):
                if cursor + 4 > length:
                    complete = False
                    break
                (size,) = unpack32(buffer, cursor)
                cursor += 4
                if size == -1:
                    fields.append(None)
                    continue
                if size < 0:
                    raise _bad_format("invalid field size", self.table, self.line + 1)
                if cursor + size > length:
                    complete = False
                    break
                raw = buffer[cursor : cursor + size]
                cursor += size
                try:
                    fields.append(decoders[index](raw))
                except PostgresError:
                    raise
                except Exception as error:  # noqa: BLE001 - a client's bad bytes
                    raise PostgresError(
                        f"incorrect binary data format in field {index + 1}: {error}",
                        "22P03",
                        where=f"COPY {self.table}, line {self.line + 1}, "
                        f"column {self.columns[index]}",
                    ) from None
            if not complete:
                break
            self.line += 1
            rows.append(tuple(fields))
            position = cursor
        self._buffer = buffer[position:]
        return rows


def _flat(rows: list[Row]) -> list[Any]:
    return [field for row in rows for field in row]


class CopyInStream:
    """The rows of one COPY FROM STDIN, pulled by the backend in batches as data arrives."""

    def __init__(
        self,
        parser: CopyParser,
        on_drained: Callable[[], None],
        row_filter: RowFilter | None = None,
    ) -> None:
        self.parser = parser
        self._row_filter = row_filter
        self.rows_read = 0
        self._chunks: list[bytes] = []
        self._size = 0
        self._finished = False
        self._error: BaseException | None = None
        self._waiter: Deferred[None] | None = None
        self._final_taken = False
        self._on_drained = on_drained

    # -- the protocol's side ----------------------------------------------------------------

    @property
    def full(self) -> bool:
        """Unread data has piled up: the protocol should stop reading for now."""
        return self._size >= FULL_BYTES

    @property
    def done(self) -> bool:
        """CopyDone or an error has been seen: no more input belongs to this COPY."""
        return self._finished or self._error is not None

    def feed(self, data: bytes) -> None:
        if self.done:
            return
        self._chunks.append(data)
        self._size += len(data)
        if self._size >= BATCH_BYTES:
            self._wake()

    def input_idle(self) -> None:
        """No complete message is buffered: a waiting reader gets what has arrived."""
        if self._chunks:
            self._wake()

    def finish(self) -> None:
        self._finished = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        if self._error is None:
            self._error = error
        self._chunks = []
        self._size = 0
        self._wake()

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            waiter.callback(None)

    # -- the backend's side ----------------------------------------------------------------

    def __aiter__(self) -> CopyInStream:
        return self

    async def __anext__(self) -> CopyBatch:
        while True:
            data = await self._next_data()
            if data is None:
                raise StopAsyncIteration
            batch = self._parse(*data)
            if batch or data[1]:
                return batch

    def raw_batches(self) -> AsyncIterator[RawCopyBatch]:
        """The same data unparsed: each `RawCopyBatch` is parsed by its ``parse()``, which a
        backend may call in a worker thread (one at a time, in order), so that the reactor
        thread only receives data."""
        return self._raw()

    async def _raw(self) -> AsyncIterator[RawCopyBatch]:
        while (data := await self._next_data()) is not None:
            if self._row_filter is None:
                yield RawCopyBatch(self, *data)
            else:  # the filter runs in this (the reactor) thread: parse here too
                yield RawCopyBatch(self, *data, parsed=self._parse(*data))

    async def _next_data(self) -> tuple[bytes, bool] | None:
        """The CopyData received since the last call (True: it is the last), or None."""
        while True:
            if self._error is not None:
                raise self._error
            if self._chunks:
                return self._take(), False
            if self._finished:
                if self._final_taken:
                    return None
                self._final_taken = True
                return b"", True
            waiter: Deferred[None] = Deferred()
            self._waiter = waiter
            await waiter

    def _take(self) -> bytes:
        was_full = self.full
        chunks, self._chunks, self._size = self._chunks, [], 0
        if was_full:
            self._on_drained()
        return b"".join(chunks)

    def _parse(self, data: bytes, final: bool) -> CopyBatch:
        """Rows of ``data`` (and, at the end, of what the parser still holds)."""
        first_line = self.parser.line + 1
        try:
            rows = self.parser.feed(data) if data else []
            if final:
                rows.extend(self.parser.finish())
            if self._row_filter is not None:
                rows = self._row_filter.rows(rows)
        except PostgresError as error:
            self._error = error
            raise
        self.rows_read += len(rows)
        return CopyBatch(rows, first_line)

    def _parse_values(self, data: bytes, final: bool) -> CopyValues:
        """`_parse`'s rows as one flat list of fields."""
        parser = self.parser
        width = len(parser.columns)
        if self._row_filter is not None:
            batch = self._parse(data, final)
            return CopyValues(_flat(batch), width, len(batch), batch.first_line)
        first_line = parser.line + 1
        try:
            values = parser.feed_values(data)
            if final:
                values.extend(parser.finish_values())
        except PostgresError as error:
            self._error = error
            raise
        count = len(values) // width if width else 0
        self.rows_read += count
        return CopyValues(values, width, count, first_line)


class RawCopyBatch:
    """Received COPY data not parsed yet (see `CopyInStream.raw_batches`)."""

    def __init__(
        self, stream: CopyInStream, data: bytes, final: bool, parsed: CopyBatch | None = None
    ) -> None:
        self._stream = stream
        self.data = data
        self.final = final
        self._parsed = parsed

    @property
    def width(self) -> int:
        """The number of fields of each row (0: not known, `parse_values` cannot be used)."""
        return len(self._stream.parser.columns)

    def parse(self) -> CopyBatch:
        if self._parsed is not None:
            return self._parsed
        return self._stream._parse(self.data, self.final)

    def parse_values(self) -> CopyValues:
        """The rows as one flat list (cheaper than `parse` for plain text and CSV data)."""
        parsed = self._parsed
        if parsed is not None:
            return CopyValues(_flat(parsed), self.width, len(parsed), parsed.first_line)
        return self._stream._parse_values(self.data, self.final)
