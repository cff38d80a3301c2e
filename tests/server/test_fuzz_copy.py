"""Property-based fuzzing of COPY FROM STDIN: any data, in any chunks, in any format.

The protocol runs in memory in front of the SQLite default backend (inline) and a table with
columns of several types.  Hypothesis draws the COPY options (text, csv or binary; delimiter,
NULL string, header, quote), the rows — well-formed lines with values of every kind, lines with
too few or too many fields, broken escapes and quotes, invalid UTF-8, binary tuples with wrong
counts and lengths, plain garbage — the cuts of the data into CopyData messages, stray Flush
and Sync among them (both ignored during COPY), and the end: CopyDone or CopyFail.
Properties:

* ``dataReceived`` never raises and nothing is logged as an unexpected error;
* the COPY ends with exactly ``CommandComplete("COPY n")`` or one ErrorResponse (always after
  CopyFail), then ReadyForQuery, and the connection stays open;
* all or nothing: after ``COPY n`` the table holds n more rows, after an error none;
* the connection answers the next query.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.server.protocol import PostgresServerProtocol
from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite_backend import SQLiteBackend

from .test_fuzz_protocol import check_answers, factory, fuzz_settings, no_logged_failures, started
from .test_protocol import Client, kinds

COLUMNS = "(a int4, b text, c float8, d timestamp, e bool, f bytea)"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Client]:
    database = SQLiteDatabase(str(tmp_path_factory.mktemp("fuzz") / "copy.sqlite3"), busy_timeout=0)
    made = started(factory(lambda: SQLiteBackend(database, threaded=False), PostgresServerProtocol))
    assert kinds(made.query(f"create table t {COLUMNS}"))[-1] == "Z:I"
    yield made
    made.disconnect()
    database.close()


_TEXT_VALUES = st.one_of(
    st.sampled_from(
        [
            "1",
            "-7",
            "2147483648",
            "x",
            "",
            "\\N",
            "NULL",
            "3.5",
            "NaN",
            "-Infinity",
            "1e400",
            "2024-02-29 12:00:00",
            "2023-02-29",
            "t",
            "false",
            "maybe",
            "\\x00ff",
            "\\xzz",
            "\\\\",
            "\\",
            "a\\tb",
            "\\.",
            '"',
            '""',
            '"a,b"',
            "é",
        ]
    ),
    st.text(max_size=6),
)


#: Values every column takes (NULL, or 1: also true, a float, text, bytes; not a timestamp).
_EASY_VALUES = st.sampled_from(["\\N", "1", "1", "1"])


@st.composite
def text_data(draw: st.DrawFn, width: int, delimiter: str, csv: bool) -> bytes:
    """Lines: mostly of ``width`` fields, often ones every column takes."""
    lines = []
    for _ in range(draw(st.integers(0, 5))):
        fields = draw(
            st.lists(_EASY_VALUES, min_size=width, max_size=width)
            | st.lists(_TEXT_VALUES, min_size=width, max_size=width)
            | st.lists(_TEXT_VALUES)
        )
        if csv:
            fields = ["" if field == "\\N" else field for field in fields]
        lines.append(delimiter.join(fields))
    ending = draw(st.sampled_from(["\n", "\r\n", ""]))
    data = "".join(line + "\n" for line in lines[:-1]) + (lines[-1] + ending if lines else "")
    if draw(st.integers(0, 9)) == 0:
        data += "\\.\n" if not csv else "\\.\n"
    encoded = data.encode()
    if draw(st.integers(0, 9)) == 0:
        encoded += draw(st.binary(max_size=8))
    return encoded


_SIGNATURE = b"PGCOPY\n\xff\r\n\0"


@st.composite
def binary_data(draw: st.DrawFn) -> bytes:
    header = draw(st.sampled_from([_SIGNATURE + b"\0" * 8, _SIGNATURE + b"\0\0\0\0", b"PGCOPY"]))
    tuples = b""
    for _ in range(draw(st.integers(0, 4))):
        values = draw(
            st.lists(
                st.none()
                | st.sampled_from([struct.pack("!i", 5), b"abc", struct.pack("!d", 1.5), b"\1"])
                | st.binary(max_size=9),
                max_size=7,
            )
        )
        count = draw(st.just(len(values)) | st.integers(-2, 8))
        tuples += struct.pack("!h", count)
        for value in values:
            if value is None:
                tuples += struct.pack("!i", -1)
            else:
                length = draw(st.just(len(value)) | st.integers(-3, 12))
                tuples += struct.pack("!i", length) + value
    trailer = draw(st.sampled_from([b"\xff\xff", b"", b"\xff"]))
    return header + tuples + trailer


@st.composite
def copies(draw: st.DrawFn) -> tuple[str, bytes]:
    """A COPY statement and the data sent for it."""
    kind = draw(st.sampled_from(["text", "csv", "binary"]))
    columns, width = draw(
        st.sampled_from([("", 6), (" (a, b)", 2), (" (f, e, d, c, b, a)", 6), (" (b)", 1)])
    )
    if kind == "binary":
        return f"copy t{columns} from stdin (format binary)", draw(binary_data())
    delimiter = draw(st.sampled_from(["\t", ",", "|"] if kind == "text" else [",", ";", "\t"]))
    options = [f"format {kind}", f"delimiter E'{delimiter.encode('unicode_escape').decode()}'"]
    if draw(st.integers(0, 3)) == 0:
        options.append("null 'NULL'")
    if draw(st.integers(0, 3)) == 0:
        options.append("header")
    if kind == "csv" and draw(st.booleans()):
        options.append("quote ''''")
    sql = f"copy t{columns} from stdin ({', '.join(options)})"
    return sql, draw(text_data(width, delimiter, kind == "csv"))


def count_rows(client: Client) -> int:
    answers = client.query("select count(*) from t")
    assert kinds(answers) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"], answers
    row = answers[1]
    assert isinstance(row, m.DataRow)
    value = row.values[0]
    assert value is not None
    return int(value)


@fuzz_settings(1000)
@given(
    copy=copies(),
    points=st.lists(st.integers(0, 2**16), max_size=5),
    extras=st.lists(st.sampled_from([m.Flush(), m.Sync()]), max_size=2),
    fail=st.integers(0, 7),
)
def test_any_copy_data(
    client: Client,
    copy: tuple[str, bytes],
    points: list[int],
    extras: list[m.FrontendMessage],
    fail: int,
) -> None:
    sql, data = copy
    with no_logged_failures():
        before = count_rows(client)
        client.send(m.Query(sql))
        started_copy = client.received()
        if kinds(started_copy) != ["CopyInResponse"]:  # refused: the options do not fit
            assert kinds(started_copy)[-2:][0].startswith("E:"), started_copy
            return
        cuts = sorted({point % (len(data) + 1) for point in points})
        chunks = [
            data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)], strict=True)
        ]
        for index, chunk in enumerate(chunks):
            client.send(m.CopyData(chunk), *(extras if index == 0 else ()))
        client.send(m.CopyFail("changed my mind") if fail == 0 else m.CopyDone())
        answers = client.received()
        check_answers(answers)
        assert not client.closed, answers
        assert len(answers) == 2 and isinstance(answers[-1], m.ReadyForQuery), answers
        outcome = answers[0]
        after = count_rows(client)
        if isinstance(outcome, m.CommandComplete):
            assert fail != 0
            assert outcome.tag == f"COPY {after - before}", (outcome, before, after)
        else:
            assert isinstance(outcome, m.ErrorResponse), answers
            assert outcome.severity == "ERROR"
            # (With CopyFail: 57014, or the error of bad data the server met before it.)
            assert after == before
