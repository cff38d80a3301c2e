"""COPY FROM STDIN as a stream through the protocol: rows reach the backend as they arrive,
reading pauses while the backend is behind, and errors, CopyFail, a cancel or a lost connection
end the COPY the way PostgreSQL does (``server/copy_in.py``)."""

from __future__ import annotations

import struct
from typing import Any

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.backend import ResultColumn, StatementDescription
from txpostgres_proto.server.copy_in import FULL_BYTES, CopyParser
from txpostgres_proto.server.copy_options import copy_format
from txpostgres_proto.sql import parse_utility
from txpostgres_proto.types import oids

from .test_protocol import Backend, connected, errors, kinds

COLUMNS = (
    ResultColumn("id", oids.INT4),
    ResultColumn("note", oids.TEXT),
    ResultColumn("at", oids.TIMESTAMP),
)


class StreamingBackend(Backend):
    """Stores COPY batches as they come; ``gate`` (when set) holds it after each batch."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[list[tuple[Any, ...]]] = []
        self.outcome: BaseException | None = None
        self.gate: Deferred[None] | None = None

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        if sql.startswith("SELECT *"):
            return StatementDescription((), COLUMNS)
        if sql.startswith("SELECT") and sql.endswith(" FROM t"):
            names = sql[len("SELECT ") : -len(" FROM t")].split(", ")
            return StatementDescription((), tuple(c for c in COLUMNS if c.name in names))
        return super().describe(sql, param_oids)

    async def copy_in(self, statement: Any, rows: Any) -> int:
        try:
            async for batch in rows:
                self.batches.append(list(batch))
                if self.gate is not None:
                    await self.gate
        except BaseException as error:
            self.outcome = error  # a real backend rolls back here
            raise
        return sum(map(len, self.batches))

    @property
    def stored(self) -> list[tuple[Any, ...]]:
        return [row for batch in self.batches for row in batch]


def test_rows_reach_the_backend_before_copy_done() -> None:
    client = connected(backend_factory=StreamingBackend)
    assert client.query("COPY t FROM STDIN") == [m.CopyInResponse(0, (0, 0, 0))]
    client.send(m.CopyData(b"1\tone\t2024-01-02 03:04:05\n2\t"))
    assert client.backend.stored == [("1", "one", "2024-01-02 03:04:05")]
    client.send(m.CopyData(b"two\t\\N\n"))
    assert client.backend.stored[-1] == ("2", "two", None)
    client.send(m.CopyDone())
    assert kinds(client.received()) == ["C:COPY 2", "Z:I"]


def test_reading_pauses_while_the_backend_is_behind() -> None:
    client = connected(backend_factory=StreamingBackend)
    backend = client.backend
    backend.gate = Deferred()
    client.query("COPY t (id) FROM STDIN")
    line = b"12345678\n"
    chunk = m.CopyData(line * 10_000)
    client.send(chunk)  # taken by the backend, which now waits on the gate
    assert len(backend.stored) == 10_000
    for _ in range(2 + (FULL_BYTES + 2 * 1024 * 1024) // len(chunk.data)):
        client.send(chunk)
    assert client.transport.producerState == "paused"
    assert len(backend.stored) == 10_000
    while client.transport.producerState == "paused":  # each batch read lets more in
        gate, backend.gate = backend.gate, Deferred()
        gate.callback(None)
    assert len(backend.stored) > 10_000
    backend.gate, gate = None, backend.gate
    client.send(m.CopyDone())
    gate.callback(None)
    assert kinds(client.received()) == [f"C:COPY {len(backend.stored)}", "Z:I"]
    assert len(backend.stored) == 10_000 * (3 + (FULL_BYTES + 2 * 1024 * 1024) // len(chunk.data))


def test_binary_rows_are_decoded_with_the_column_types() -> None:
    client = connected(backend_factory=StreamingBackend)
    assert client.query("COPY t FROM STDIN (FORMAT binary)") == [m.CopyInResponse(1, (1, 1, 1))]
    stamp = struct.pack("!q", 86_400_000_000)  # 2000-01-02 00:00:00
    row = (
        struct.pack("!hi", 3, 4)
        + struct.pack("!i", 42)
        + struct.pack("!i", 3)
        + b"abc"
        + struct.pack("!i", 8)
        + stamp
    )
    data = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + row + b"\xff\xff"
    client.send(*(m.CopyData(data[i : i + 7]) for i in range(0, len(data), 7)), m.CopyDone())
    assert kinds(client.received()) == ["C:COPY 1", "Z:I"]
    (decoded,) = client.backend.stored
    assert decoded[:2] == (42, "abc") and decoded[2].isoformat() == "2000-01-02T00:00:00"


def test_bad_binary_signature_is_22p04() -> None:
    client = connected(backend_factory=StreamingBackend)
    client.query("COPY t FROM STDIN (FORMAT binary)")
    client.send(m.CopyData(b"NOTPGCOPY" + b"\x00" * 20), m.CopyDone())
    answers = client.received()
    assert kinds(answers) == ["E:22P04", "Z:I"]
    assert errors(answers)[0].fields["M"] == "COPY file signature not recognized"


def test_malformed_row_fails_at_once_and_the_rest_is_discarded() -> None:
    client = connected(backend_factory=StreamingBackend)
    client.query("COPY t FROM STDIN")
    client.send(m.CopyData(b"1\ta\t\\N\n2\tb\t\\N\n3\tc\n"))
    answers = client.received()
    assert kinds(answers) == ["E:22P04", "Z:I"]
    fields = errors(answers)[0].fields
    assert fields["M"] == 'missing data for column "at"'
    assert fields["W"] == 'COPY t, line 3: "3\tc"'
    assert isinstance(client.backend.outcome, Exception)
    client.send(m.CopyData(b"4\td\t\\N\n"), m.CopyDone())  # leftovers: dropped
    assert client.received() == []
    assert kinds(client.query("select 1"))[-1] == "Z:I"


def test_extra_column_and_csv_options() -> None:
    client = connected(backend_factory=StreamingBackend)
    client.query(
        "COPY t FROM STDIN (FORMAT csv, DELIMITER ';', NULL 'NULL', FORCE_NOT_NULL (note))"
    )
    client.send(m.CopyData(b'1;NULL;NULL\n2;"NULL";x;y\n'), m.CopyDone())
    answers = client.received()
    assert errors(answers)[0].fields["M"] == "extra data after last expected column"
    assert errors(answers)[0].fields["W"] == 'COPY t, line 2: "2;"NULL";x;y"'


def test_copy_fail_reaches_the_backend_as_57014() -> None:
    client = connected(backend_factory=StreamingBackend)
    client.query("COPY t (id) FROM STDIN")
    client.send(m.CopyData(b"1\n"), m.CopyFail("client gave up"))
    answers = client.received()
    assert kinds(answers) == ["E:57014", "Z:I"]
    assert errors(answers)[0].fields["M"] == "COPY from stdin failed: client gave up"
    assert getattr(client.backend.outcome, "sqlstate", None) == "57014"


def test_cancel_request_aborts_the_copy() -> None:
    client = connected(backend_factory=StreamingBackend)
    client.query("COPY t (id) FROM STDIN")
    client.send(m.CopyData(b"1\n"))
    client.protocol.cancel_current_command()
    answers = client.received()
    assert kinds(answers) == ["E:57014", "Z:I"]
    assert errors(answers)[0].fields["M"] == "canceling statement due to user request"


def test_disconnect_mid_copy_tells_the_backend() -> None:
    client = connected(backend_factory=StreamingBackend)
    backend = client.backend
    client.query("COPY t (id) FROM STDIN")
    client.send(m.CopyData(b"1\n2\n"))
    client.disconnect()
    assert backend.outcome is not None
    assert backend.lost


def test_parser_csv_quotes_spanning_messages_and_header() -> None:
    statement = parse_utility("COPY t FROM STDIN (FORMAT csv, HEADER)")
    assert statement is not None
    parser = CopyParser(copy_format(statement), "t", ("a", "b"))  # type: ignore[arg-type]
    rows = parser.feed(b'a,b\n1,"multi\n')
    rows += parser.feed(b'line ""quoted"""\n2,\n')
    rows += parser.finish()
    assert rows == [("1", 'multi\nline "quoted"'), ("2", None)]
    assert parser.line == 3
