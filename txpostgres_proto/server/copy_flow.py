"""COPY driven through the backend: the protocol's side of COPY TO STDOUT and COPY FROM STDIN.

Protocol section 55.2.6 (COPY operations).  COPY ... TO STDOUT runs the table's ``SELECT`` (or
the COPY's query) through the backend's ``execute`` and streams the rows as CopyData in the
format asked for (``copy.py`` formats them); COPY ... FROM STDIN first asks the backend for the
target columns, answers CopyInResponse, and hands the rows to the backend while they arrive: to
its ``copy_in(statement, rows)`` when it has one, else one INSERT per row through ``execute``.
Parsing the data is ``copy_in.py``'s job; this module is the glue between that stream, the
event loop (CopyData/CopyDone/CopyFail are read while the command runs, and the socket is left
unread while the backend is behind) and the backend.  COPY to or from a server file is the
backend's own business.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement

from .backend import QueryResult, ResultColumn, StatementDescription
from .copy import CopyFormat, copy_insert_query, copy_source_query
from .copy_in import CopyInStream, CopyParser, column_option
from .copy_options import copy_format
from .copy_where import CopyRowFilter, check_copy_where
from .rows import RowOutput

__all__ = ["CopyFlow"]


class CopyFlow(RowOutput):
    """The COPY part of `PostgresServerProtocol`."""

    async def _copy(
        self,
        sql: str,
        statement: CopyStatement,
        params: tuple[Any, ...],
        param_oids: tuple[int, ...],
    ) -> QueryResult:
        """COPY ... TO STDOUT / FROM STDIN through the backend's SELECT and INSERT (or its own
        ``copy_in(statement, rows)``); COPY to or from a server file is the backend's."""
        if statement.filename is not None:
            return await self._backend_execute(sql, params, param_oids)
        data_format = copy_format(statement)
        check_copy_where(statement)
        if statement.direction == "TO":
            return await self._copy_out(statement, data_format)
        return await self._copy_in(statement, data_format)

    async def _copy_out(self, statement: CopyStatement, copy_format: CopyFormat) -> QueryResult:
        session = self.session
        assert session is not None
        result = await self._backend_execute(copy_source_query(statement), (), ())
        if result.columns is None:
            raise PostgresError("COPY query must have a RETURNING clause", "0A000")
        count = len(result.columns)
        names = [column.name for column in result.columns]
        table = statement.table.name if statement.table is not None else None
        copy_format = copy_format.for_columns(names, table)
        formats = (1 if copy_format.binary else 0,) * count
        stream = self._stream(result, None, formats)
        self._send(m.CopyOutResponse(1 if copy_format.binary else 0, formats))
        header = copy_format.header_line(names)
        # PostgreSQL sends the binary signature in the CopyData of the first row (or of the
        # trailer), and clients parse it that way; a CSV header line is a CopyData of its own.
        prefix = header if copy_format.binary else b""
        convert = _converter_to("utf-8" if copy_format.binary else copy_format.encoding)
        if header and not prefix:
            self._send(m.CopyData(convert(header)))

        def frame(fields: list[bytes | None]) -> bytes:
            nonlocal prefix
            data = convert(copy_format.format_row(fields))
            if prefix:
                data, prefix = prefix + data, b""
            return m.CopyData(data).encode()

        sent, _ = await self._send_rows(stream, 0, frame, m.CopyData)
        trailer = copy_format.trailer()
        if trailer:
            self._send(m.CopyData(prefix + trailer))
        self._send(m.CopyDone())
        return QueryResult(command_tag="COPY", rowcount=sent)

    async def _copy_in(self, statement: CopyStatement, copy_format: CopyFormat) -> QueryResult:
        """COPY ... FROM STDIN: the rows go to the backend as they arrive (see copy_in.py)."""
        session = self.session
        assert session is not None and statement.table is not None
        columns = await self._copy_target_columns(statement)
        names = [column.name for column in columns] if columns else list(statement.columns)
        decoders = []
        if copy_format.binary:
            if columns is None:
                raise PostgresError("binary COPY needs the table's column types", "0A000")
            registry, zone = session.registry, session.timezone
            decoders = [registry.decoder(c.type_oid, 1, timezone=zone) for c in columns]
        parser = CopyParser(
            copy_format,
            statement.table.name,
            names,
            decoders,
            column_option(statement, "force_not_null", names),
            column_option(statement, "force_null", names),
        )
        row_filter = None
        if statement.where is not None and not getattr(
            self.backend, "copy_in_applies_where", False
        ):
            type_oids = [c.type_oid for c in columns] if columns else [0] * len(names)
            row_filter = CopyRowFilter(statement, names, type_oids, session)
        stream = CopyInStream(parser, self._copy_drained, row_filter)
        code = 1 if copy_format.binary else 0
        self._send(m.CopyInResponse(code, (code,) * len(names)))
        self._flush()
        self._copy_stream = stream
        self._copy_drained()  # COPY data may have arrived while the target was described
        try:
            backend_copy = getattr(self.backend, "copy_in", None)
            if backend_copy is not None:
                outcome = await self._call_backend(backend_copy, statement, stream)
            else:
                typed = columns if copy_format.binary else None
                outcome = await self._copy_in_by_inserts(statement, stream, typed)
            async for _ in stream:  # what the backend left unread, up to CopyDone
                pass
        finally:
            self._copy_stream = None
        if isinstance(outcome, QueryResult):
            return outcome
        return QueryResult(
            command_tag="COPY", rowcount=stream.rows_read if outcome is None else outcome
        )

    async def _copy_target_columns(
        self, statement: CopyStatement
    ) -> tuple[ResultColumn, ...] | None:
        """The COPY's target columns as the backend describes them (None: it cannot say)."""
        describe = getattr(self.backend, "describe", None)
        if describe is None:
            return None
        described = await self._call_backend(describe, copy_source_query(statement), ())
        if not isinstance(described, StatementDescription) or described.columns is None:
            return None
        return tuple(described.columns)

    async def _copy_in_by_inserts(
        self,
        statement: CopyStatement,
        stream: CopyInStream,
        columns: tuple[ResultColumn, ...] | None,
    ) -> int:
        """A backend without ``copy_in``: one INSERT per row through ``execute`` (parameter
        types: the ``columns`` of decoded binary values, else unknown: text to be cast)."""
        count = 0
        async for batch in stream:
            for row in batch:
                width = len(row)
                oids = tuple(c.type_oid for c in columns) if columns else (0,) * width
                await self._backend_execute(copy_insert_query(statement, width), row, oids)
                count += 1
        return count

    def _copy_drained(self) -> None:
        """COPY data may be taken again (the backend read a backlog): read buffered input."""
        if not self._running and not self._stopped:
            self._run()

    def _on_copy_data(self, data: m.CopyData) -> None:
        if self._copy_stream is not None:
            self._copy_stream.feed(data.data)

    def _on_copy_done(self, _: m.CopyDone) -> None:
        if self._copy_stream is not None:
            self._copy_stream.finish()

    def _on_copy_fail(self, fail: m.CopyFail) -> None:
        if self._copy_stream is not None:
            self._copy_stream.fail(
                PostgresError(f"COPY from stdin failed: {fail.message}", "57014")
            )


def _converter_to(codec: str) -> Callable[[bytes], bytes]:
    """COPY TO data (UTF-8) converted to the COPY's ENCODING (22P05 for a character that
    encoding cannot hold)."""
    if codec == "utf-8":
        return lambda data: data

    def convert(data: bytes) -> bytes:
        text = data.decode("utf-8")
        try:
            return text.encode(codec)
        except UnicodeEncodeError as error:
            character = text[error.start].encode("utf-8")
            raise PostgresError(
                f'character with byte sequence 0x{character.hex()} in encoding "UTF8" has no '
                f'equivalent in encoding "{codec.upper()}"',
                "22P05",
            ) from None

    return convert
