"""Sending a result's rows: encoding, batching into few writes, and waiting for the transport.

A backend's `QueryResult` becomes a `ResultStream` (its rows, lazily, and their encoder) here.

Rows are encoded by the result's row encoder and framed (a DataRow, or CopyData for COPY TO
STDOUT), collected into batches of `ROW_BATCH_BYTES` and written one ``write`` per batch.  The
protocol is the transport's push producer: after each batch it waits while the transport is
paused (`RowOutput._writable`), so a result of any size runs in constant memory.  A stopped
connection or a cancel request (protocol section 55.2.9) ends the sending there.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, Final

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types.data_rows import DataRowsEncoder

from .backend import QueryResult, ResultColumn
from .backend_calls import BackendCalls
from .extended import ResultStream, result_formats, result_tag, row_description_bytes
from .protocol_core import Stopped, cancelled_error
from .session import Session

__all__ = ["ROW_BATCH_BYTES", "RowOutput", "RowsPlan", "is_short", "result_columns"]

#: Encoded rows are written once this many bytes have accumulated.
ROW_BATCH_BYTES: Final = 64 * 1024
#: Results whose rows are a list or tuple of at most this many are sent in one piece.
_SEQUENCES: Final = (list, tuple)
_SHORT: Final = 64
_NO_LIMIT: Final = sys.maxsize
#: Simple-query `RowsPlan`s a session keeps, by result columns.
_SIMPLE_PLANS: Final = 8


def result_columns(
    result: QueryResult, described: tuple[ResultColumn, ...] | None
) -> tuple[ResultColumn, ...] | None:
    """The columns ``result`` is sent with: those ``described`` to the client (the result must
    have as many), else its own."""
    columns = result.columns
    if columns is None or described is None:
        return described if columns is None else tuple(columns)
    if len(columns) != len(described):
        raise PostgresError(
            f"query returned {len(columns)} columns but was described with {len(described)}",
            "XX000",
        )
    return described


def is_short(result: QueryResult) -> bool:
    """Whether ``result``'s rows are a list or tuple short enough to send in one piece
    (`RowOutput._send_short_result`), rather than streamed."""
    rows = result.rows
    return type(rows) in _SEQUENCES and len(rows) <= _SHORT  # type: ignore[arg-type]


class RowOutput(BackendCalls):
    """The row-sending part of `PostgresServerProtocol`."""

    def _stream(
        self, result: QueryResult, columns: tuple[ResultColumn, ...] | None, formats: Any
    ) -> ResultStream:
        """The stream of ``result``'s rows, in ``formats``; ``columns`` are those already
        described to the client (the result must have as many)."""
        session = self.session
        assert session is not None
        columns = result_columns(result, columns)
        return ResultStream(result, columns, formats, session.registry, session.timezone)

    def _send_short_result(self, plan: RowsPlan, result: QueryResult, sql: str) -> None:
        """The rows of a short result (`is_short`), encoded by ``plan``, and CommandComplete."""
        out = self._out
        batch: list[bytes] = []
        try:
            count = plan.encode_rows(iter(result.rows), batch, 0, _NO_LIMIT)[0]  # type: ignore[arg-type]
        finally:  # the rows before one that fails to encode are sent, then the error
            if batch:
                out.append(b"".join(batch))
        self._send_command_complete(result_tag(result, True, sql, count))

    def _simple_rows_plan(self, columns: tuple[ResultColumn, ...]) -> RowsPlan:
        """The session's `RowsPlan` for a simple query's ``columns`` (text formats)."""
        session = self.session
        assert session is not None
        plans = self._simple_plans
        plan = plans.get(columns)
        if plan is None or not plan.fits(columns, (), session):
            if len(plans) >= _SIMPLE_PLANS:
                plans.clear()
            plan = plans[columns] = RowsPlan(columns, (), session)
        return plan

    async def _writable(self) -> None:
        """Wait until the transport wants more output; raise if the command must stop."""
        while True:
            if self._stopped:
                raise Stopped
            if self._cancel_requested:
                raise cancelled_error()
            if not self._producer_paused:
                return
            waiter: Deferred[None] = Deferred()
            self._resume_waiters.append(waiter)
            await waiter

    def _data_rows_encoder(self, stream: ResultStream) -> DataRowsEncoder:
        """The encoder of many rows at once into DataRow pieces, for ``stream``'s columns."""
        session = self.session
        assert session is not None and stream.columns is not None
        oids = [column.type_oid for column in stream.columns]
        return session.registry.make_data_rows_encoder(oids, stream.formats, session.timezone)

    @staticmethod
    def _row_framer(
        stream: ResultStream, frame: Callable[[list[bytes | None]], bytes]
    ) -> Callable[[Any], bytes]:
        """One row to its whole message: a DataRow, or the fields framed by ``frame``."""
        if frame is m.encode_data_row:
            return stream.data_row_encoder()
        encode = stream.encoder
        assert encode is not None

        def encode_row(row: Any) -> bytes:
            return frame(encode(row))

        return encode_row

    async def _send_rows(
        self,
        stream: ResultStream,
        max_rows: int,
        frame: Callable[[list[bytes | None]], bytes] = m.encode_data_row,
        kind: type[m.BackendMessage] = m.DataRow,
    ) -> tuple[int, bool]:
        """Send up to ``max_rows`` rows (0: all); returns (rows sent, suspended).

        Each row is encoded by the stream's row encoder and framed (a DataRow, or CopyData for
        COPY TO STDOUT).  DataRows of a synchronous source are encoded a batch at a time by the
        registry's rows encoder (no call per row); those of an async source come whole from
        the stream's data-row encoder.  Rows are written in batches of `ROW_BATCH_BYTES`, one
        ``write`` each, and early when an async row source has to wait (so slow sources still
        deliver promptly); after each write the transport may pause us (`_writable`).  A
        synchronous source never makes this wait unless the transport does: run through
        ``eager.run_now``, it usually ends at once.
        """
        conn = self._conn
        assert conn is not None and stream.columns is not None
        if stream.finished:
            return 0, False
        batch: list[bytes] = []
        size = 0
        count = 0

        def write_batch() -> None:
            nonlocal batch, size
            self._out.append(conn.send_encoded(kind, b"".join(batch)))
            self._flush()
            batch = []
            size = 0

        try:
            sync_rows = stream.sync_rows
            if sync_rows is not None and frame is m.encode_data_row:
                encode_rows = self._data_rows_encoder(stream)
                while True:
                    added, _, stopped = encode_rows(
                        sync_rows, batch, max_rows - count if max_rows else 0, ROW_BATCH_BYTES
                    )
                    count += added
                    if not stopped:
                        stream.finished = True
                        break
                    if count == max_rows:
                        break
                    write_batch()
                    if self._producer_paused or self._stopped or self._cancel_requested:
                        await self._writable()
            else:
                encode_row = self._row_framer(stream, frame)

                def add(row: Any) -> bool:
                    """Encode ``row`` into the batch; whether the batch is full."""
                    nonlocal size, count
                    encoded = encode_row(row)
                    batch.append(encoded)
                    size += len(encoded)
                    count += 1
                    return size >= ROW_BATCH_BYTES

                if sync_rows is not None:
                    for row in sync_rows:
                        if add(row):
                            write_batch()
                            if self._producer_paused or self._stopped or self._cancel_requested:
                                await self._writable()
                        if count == max_rows:
                            break
                    else:
                        stream.finished = True
                else:
                    while not max_rows or count < max_rows:
                        pending = Deferred.fromCoroutine(stream.next_async_row())
                        if not pending.called and batch:
                            write_batch()
                        try:
                            row = await pending
                        except StopAsyncIteration:
                            stream.finished = True
                            break
                        if add(row):
                            write_batch()
                            await self._writable()
        except BaseException:
            if batch and not self._stopped:
                self._out.append(conn.send_encoded(kind, b"".join(batch)))
            stream.close()
            raise
        if batch:
            data = b"".join(batch)
            self._out.append(data if kind in conn.quiet else conn.send_encoded(kind, data))
        stream.sent_total += count
        return count, not stream.finished


class RowsPlan:
    """How a result is sent: its columns in the formats the client asked for, with the
    RowDescription and the rows encoder made for them (under the session's type registry and
    settings, which the encoders depend on).  Kept for the next result of the same shape: on
    its prepared statement (``bind_cycle.py``), or by the session's columns (simple queries)."""

    __slots__ = (
        "columns",
        "encode_rows",
        "registry",
        "requested_formats",
        "row_description",
        "settings_version",
    )

    def __init__(
        self, columns: tuple[ResultColumn, ...], requested: tuple[int, ...], session: Session
    ) -> None:
        formats = tuple(result_formats(requested, len(columns)))
        self.columns = columns
        self.requested_formats = requested
        self.registry = session.registry
        self.settings_version = session.settings.version
        self.row_description = row_description_bytes(columns, formats)
        self.encode_rows = session.registry.make_data_rows_encoder(
            [column.type_oid for column in columns], formats, session.timezone
        )

    def fits(
        self, columns: tuple[ResultColumn, ...], requested: tuple[int, ...], session: Session
    ) -> bool:
        """Whether this plan sends ``columns`` in the ``requested`` formats now."""
        return (
            columns == self.columns
            and requested == self.requested_formats
            and session.settings.version == self.settings_version
            and session.registry is self.registry
        )
