"""COPY TO STDOUT and COPY FROM STDIN through the protocol, and the COPY data formats."""

from __future__ import annotations

import struct
from typing import Any

import pytest

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.copy_in import CopyParser
from txpostgres_proto.server.copy_options import copy_format
from txpostgres_proto.sql import parse_utility
from txpostgres_proto.types import oids

from .test_protocol import Backend, connected, errors, kinds

COLUMNS = (ResultColumn("id", oids.INT4), ResultColumn("note", oids.TEXT))
ROWS = [(1, "plain"), (2, "tab\there"), (3, None), (4, 'say "hi", ok\n')]


class CopyBackend(Backend):
    """Answers ``SELECT ... FROM t`` with `ROWS` and records INSERTs."""

    def __init__(self) -> None:
        super().__init__()
        self.inserted: list[tuple[Any, ...]] = []

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        if sql.startswith("SELECT") and sql.endswith("FROM t"):
            return StatementDescription((), COLUMNS)
        return super().describe(sql, param_oids)

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        if sql.startswith("SELECT") or sql.startswith("select"):
            self.calls.append(("execute", sql, tuple(params)))
            return QueryResult(COLUMNS, ROWS)
        if sql.startswith("INSERT"):
            self.calls.append(("execute", sql, tuple(params)))
            self.inserted.append(tuple(params))
            return QueryResult(rowcount=1)
        return super().execute(sql, params, param_oids)


class CopyInBackend(CopyBackend):
    async def copy_in(self, statement: Any, rows: Any) -> int:
        count = 0
        async for batch in rows:
            self.inserted.extend(batch)
            count += len(batch)
        return count


def copy_data(answers: list[m.BackendMessage]) -> bytes:
    return b"".join(a.data for a in answers if isinstance(a, m.CopyData))


def test_copy_to_stdout_text() -> None:
    client = connected(backend_factory=CopyBackend)
    answers = client.query("COPY t (id, note) TO STDOUT")
    assert kinds(answers) == ["CopyOutResponse"] + ["CopyData"] * 4 + [
        "CopyDone",
        "C:COPY 4",
        "Z:I",
    ]
    assert answers[0] == m.CopyOutResponse(0, (0, 0))
    assert copy_data(answers) == b'1\tplain\n2\ttab\\there\n3\t\\N\n4\tsay "hi", ok\\n\n'
    assert client.backend.calls[0][1] == "SELECT id, note FROM t"


def test_copy_query_to_stdout_csv_with_header() -> None:
    client = connected(backend_factory=CopyBackend)
    answers = client.query("COPY (select id, note from t) TO STDOUT WITH (FORMAT csv, HEADER)")
    assert copy_data(answers) == (b'id,note\n1,plain\n2,tab\there\n3,\n4,"say ""hi"", ok\n"\n')


def test_copy_to_stdout_binary() -> None:
    client = connected(backend_factory=CopyBackend)
    answers = client.query("COPY t TO STDOUT (FORMAT binary)")
    assert answers[0] == m.CopyOutResponse(1, (1, 1))
    data = copy_data(answers)
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00")
    first_row = struct.pack("!hi", 2, 4) + struct.pack("!i", 1) + struct.pack("!i", 5) + b"plain"
    assert data[19 : 19 + len(first_row)] == first_row
    assert data.endswith(b"\xff\xff")


def test_copy_from_stdin_through_inserts() -> None:
    client = connected(backend_factory=CopyBackend)
    assert kinds(client.query("COPY t (id, note) FROM STDIN")) == ["CopyInResponse"]
    client.send(m.CopyData(b"1\tone\n2\t\\N\n"), m.CopyData(b"3\ttab\\there\n\\.\n"), m.CopyDone())
    assert kinds(client.received()) == ["C:COPY 3", "Z:I"]
    assert client.backend.inserted == [("1", "one"), ("2", None), ("3", "tab\there")]
    assert client.backend.calls[0][1] == "INSERT INTO t (id, note) VALUES ($1, $2)"


def test_copy_from_stdin_csv_through_the_backend_hook() -> None:
    client = connected(backend_factory=CopyInBackend)
    client.send(
        m.Query("COPY t FROM STDIN WITH (FORMAT csv, HEADER true)"),
        m.CopyData(b'id,note\n1,"a, b"\n2,\n3,""\n4,"multi\nline"\n'),
        m.CopyDone(),
    )
    assert kinds(client.received()) == ["CopyInResponse", "C:COPY 4", "Z:I"]
    assert client.backend.inserted == [("1", "a, b"), ("2", None), ("3", ""), ("4", "multi\nline")]


@pytest.mark.parametrize("backend", [CopyBackend, CopyInBackend])
def test_copy_from_stdin_where_filters_rows_for_any_backend(backend: type[CopyBackend]) -> None:
    """The WHERE condition is applied before the backend sees a row, with the target
    columns' types (id is int4: 10 > 9 numerically, though "10" < "9" as text)."""
    client = connected(backend_factory=backend)
    client.send(
        m.Query("COPY t FROM STDIN WHERE id > 2 AND note <> 'skip'"),
        m.CopyData(b"1\tone\n10\tten\n9\tskip\n3\t\\N\n"),
        m.CopyDone(),
    )
    assert kinds(client.received()) == ["CopyInResponse", "C:COPY 1", "Z:I"]
    assert client.backend.inserted == [("10", "ten")]


def test_copy_fail() -> None:
    client = connected(backend_factory=CopyBackend)
    client.send(m.Query("COPY t FROM STDIN"), m.CopyData(b"1\tx\n"), m.CopyFail("client gave up"))
    answers = client.received()
    assert kinds(answers) == ["CopyInResponse", "E:57014", "Z:I"]
    assert errors(answers)[0].message == "COPY from stdin failed: client gave up"
    assert client.backend.inserted == []
    assert kinds(client.query("select 1"))[-1] == "Z:I"


def test_copy_in_the_extended_protocol() -> None:
    client = connected(backend_factory=CopyBackend)
    client.send(
        m.Parse("", "COPY t FROM STDIN"),
        m.Describe("S", ""),
        m.Bind("", ""),
        m.Execute(),
        m.CopyData(b"7\tseven\n"),
        m.CopyDone(),
        m.Sync(),
    )
    assert kinds(client.received()) == [
        "ParseComplete",
        "ParameterDescription",
        "NoData",
        "BindComplete",
        "CopyInResponse",
        "C:COPY 1",
        "Z:I",
    ]
    assert client.backend.inserted == [("7", "seven")]


def test_copy_from_stdin_binary() -> None:
    client = connected(backend_factory=CopyInBackend)
    assert client.query("COPY t FROM STDIN (FORMAT binary)") == [m.CopyInResponse(1, (1, 1))]
    row = struct.pack("!hi", 2, 4) + struct.pack("!i", 7) + struct.pack("!i", 2) + b"hi"
    null_row = struct.pack("!hii", 2, 4, 8) + struct.pack("!i", -1)
    data = b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0) + row + null_row + b"\xff\xff"
    client.send(m.CopyData(data[:5]), m.CopyData(data[5:30]), m.CopyData(data[30:]), m.CopyDone())
    assert kinds(client.received()) == ["C:COPY 2", "Z:I"]
    assert client.backend.inserted == [(7, "hi"), (8, None)]


@pytest.mark.parametrize(
    ("sql", "data", "rows"),
    [
        ("COPY t FROM STDIN", b"a\\\\b\t\\x41\\101\n", [("a\\b", "AA")]),
        (
            "COPY t FROM STDIN (DELIMITER '|', NULL 'nil')",
            b"x|nil\r\ny\\|z|w\n",
            [
                ("x", None),
                ("y|z", "w"),
            ],
        ),
        (
            "COPY t FROM STDIN (FORMAT csv, QUOTE '''', ESCAPE '\\')",
            b"'it\\'s',x\n",
            [("it's", "x")],
        ),
    ],
)
def test_parse_formats(sql: str, data: bytes, rows: list[tuple[str | None, ...]]) -> None:
    statement = parse_utility(sql)
    assert statement is not None
    parser = CopyParser(copy_format(statement), "t", ("a", "b"))  # type: ignore[arg-type]
    assert parser.feed(data) + parser.finish() == rows
