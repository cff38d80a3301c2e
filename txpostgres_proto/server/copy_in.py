"""COPY ... FROM STDIN as a stream: incremental parsers and the row source a backend reads.

PostgreSQL reads COPY data as it arrives and stores each row before the next one is read
(SQL reference "COPY", "File Formats"; protocol section 55.2.6 "COPY Operations").  This module
does the same for the protocol:

* `CopyParser` cuts received CopyData into rows incrementally (a row may span messages):
  text and CSV rows become tuples of ``str``/None (the backend casts them to the column types),
  binary rows are decoded with the type registry's binary decoders of the target columns.  A
  malformed row raises 22P04 (``bad_copy_file_format``) with a ``where`` field naming the table
  and line, as PostgreSQL's error context does (``COPY t, line 3: "..."``).
* `CopyInStream` is what a backend's ``copy_in(statement, rows)`` receives: an async iterator
  of `CopyBatch` lists of rows.  The protocol feeds it raw CopyData; it parses lazily, one batch
  per pull, and reports itself ``full`` while unread data piles up, which is when the protocol
  stops reading from the socket (TCP backpressure).  CopyFail, a bad row, a cancel or a lost
  connection make the next pull raise, so the backend can undo what it stored.
"""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, Final

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement

from .copy import BINARY_HEADER, CopyFormat, csv_quoted, split_unescaped, unescape_text

__all__ = ["CopyBatch", "CopyInStream", "CopyParser", "RawCopyBatch", "column_option"]

#: Unparsed CopyData held before a batch is cut even if nobody asked for one.
BATCH_BYTES: Final = 256 * 1024
#: Unparsed CopyData the stream holds before it reports itself full (reading pauses).
FULL_BYTES: Final = 2 * BATCH_BYTES
_SIGNATURE: Final = BINARY_HEADER[:11]
_INT16: Final = struct.Struct("!h")
_INT32: Final = struct.Struct("!i")

Row = tuple[Any, ...]


class CopyBatch(list[Row]):
    """Rows in arrival order; ``first_line`` is the data line (or tuple) number of the first."""

    first_line: int

    def __init__(self, rows: list[Row], first_line: int) -> None:
        super().__init__(rows)
        self.first_line = first_line


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
        buffer = self._buffer + data if self._buffer else data
        cut = buffer.rfind(b"\n")
        if cut < 0:
            self._buffer = buffer
            return []
        self._buffer = buffer[cut + 1 :]
        return self._lines(self._decode(buffer[:cut]))

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
        rows = self._lines(self._decode(rest)) if rest else []
        if self._pending_record:
            raise _bad_format("unterminated CSV quoted field", self.table, self.line)
        return rows

    def _decode(self, data: bytes) -> str:
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise PostgresError(
                f'invalid byte sequence for encoding "UTF8": 0x{data[error.start]:02x}',
                "22021",
                where=f"COPY {self.table}, line {self.line + 1}",
            ) from None

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

    def _text_row(self, line: str) -> Row:
        delimiter = self.format.delimiter
        null = self.format.null
        if "\\" not in line:
            fields: list[Any] = line.split(delimiter)
            if null in fields:
                fields = [None if field == null else field for field in fields]
        else:
            fields = [
                None if raw == null else unescape_text(raw)
                for raw in split_unescaped(line, delimiter)
            ]
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
                    "" if index in self._force_not_null else None if field == null else field
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


class CopyInStream:
    """The rows of one COPY FROM STDIN, pulled by the backend in batches as data arrives."""

    def __init__(self, parser: CopyParser, on_drained: Callable[[], None]) -> None:
        self.parser = parser
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
            yield RawCopyBatch(self, *data)

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
        except PostgresError as error:
            self._error = error
            raise
        self.rows_read += len(rows)
        return CopyBatch(rows, first_line)


class RawCopyBatch:
    """Received COPY data not parsed yet (see `CopyInStream.raw_batches`)."""

    def __init__(self, stream: CopyInStream, data: bytes, final: bool) -> None:
        self._stream = stream
        self.data = data
        self.final = final

    def parse(self) -> CopyBatch:
        return self._stream._parse(self.data, self.final)
