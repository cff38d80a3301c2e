"""`CopyParser.feed_values`: COPY data as one flat list of fields (``server/copy_in.py``).

The flat form has a fast path for chunks with nothing to unescape or unquote; whatever path a
chunk takes, the fields, the line count and any error (SQLSTATE, message, context line) must be
exactly those of the row-by-row parser (`CopyParser.feed`), which these tests compare on
generated data cut into chunks at arbitrary places.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.copy import CopyFormat
from txpostgres_proto.server.copy_in import CopyInStream, CopyParser, CopyValues

COLUMNS = ("a", "b", "c")
#: Field texts: plain ones, NULL spellings, escapes, quotes, delimiters, a stray carriage return.
PIECES = [
    "1",
    "x y",
    "",
    "\\N",
    "NULL",
    "é",
    "\\t",
    "\\\\",
    "\\",
    "\\x41",
    '"q"',
    ",",
    "\t",
    "\r",
    "\\.",
    '"open',
    'close"',
]

Outcome = tuple[list[Any], int] | tuple[str, str, str | None, int]


def _parser(copy_format: CopyFormat, width: int = 3) -> CopyParser:
    force = COLUMNS[1:2] if copy_format.kind == "csv" else ()
    return CopyParser(copy_format, "t", COLUMNS[:width], (), force, ())


def _by_rows(copy_format: CopyFormat, chunks: list[bytes], width: int = 3) -> Outcome:
    parser = _parser(copy_format, width)
    try:
        rows = [row for chunk in chunks for row in parser.feed(chunk)] + parser.finish()
    except PostgresError as error:
        return (error.sqlstate, str(error), error.where, parser.line)
    return [field for row in rows for field in row], parser.line


def _by_values(copy_format: CopyFormat, chunks: list[bytes], width: int = 3) -> Outcome:
    parser = _parser(copy_format, width)
    try:
        values = [field for chunk in chunks for field in parser.feed_values(chunk)]
        values += parser.finish_values()
    except PostgresError as error:
        return (error.sqlstate, str(error), error.where, parser.line)
    return values, parser.line


def _cut(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(cut, len(data)) for cut in cuts})
    return [data[start:end] for start, end in zip([0, *points], [*points, len(data)], strict=True)]


formats = st.sampled_from(
    [
        CopyFormat(),
        CopyFormat(null="NULL"),
        CopyFormat(null=""),
        CopyFormat(delimiter="|"),
        CopyFormat(kind="csv", delimiter=",", null=""),
        CopyFormat(kind="csv", delimiter=",", null="\\N"),
        CopyFormat(kind="csv", delimiter=";", null="NULL"),
        CopyFormat(kind="csv", delimiter=",", null="", header=True),
        CopyFormat(header=True),
    ]
)


@settings(max_examples=500, deadline=None)
@given(
    copy_format=formats,
    lines=st.lists(
        st.lists(st.sampled_from(PIECES), min_size=1, max_size=4).filter(bool), max_size=8
    ),
    plain_only=st.booleans(),
    final_newline=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=3),
)
def test_values_are_the_rows_fields_whatever_the_data(
    copy_format: CopyFormat,
    lines: list[list[str]],
    plain_only: bool,
    final_newline: bool,
    cuts: list[int],
) -> None:
    if plain_only:  # mostly well-formed lines: the fast path's ground
        lines = [[p for p in line if p in ("1", "x y", "", "\\N", "NULL")] for line in lines]
        lines = [(line + ["1", "1", "1"])[:3] for line in lines]
    text = "\n".join(copy_format.delimiter.join(line) for line in lines)
    data = (text + ("\n" if final_newline and lines else "")).encode()
    chunks = _cut(data, cuts)
    assert _by_values(copy_format, chunks) == _by_rows(copy_format, chunks)


@pytest.mark.parametrize("width", [1, 2, 3])
def test_each_width_cuts_plain_text_the_same(width: int) -> None:
    data = b"".join(
        "\t".join(f"{row}-{column}" for column in range(width)).encode() + b"\n"
        for row in range(50)
    )
    chunks = _cut(data, [7, 100, 333])
    values, lines = _by_values(CopyFormat(), chunks, width)  # type: ignore[misc]
    assert lines == 50
    assert values == [f"{row}-{column}" for row in range(50) for column in range(width)]
    assert (values, lines) == _by_rows(CopyFormat(), chunks, width)


def test_null_markers_stay_on_the_fast_path() -> None:
    parser = _parser(CopyFormat())
    chunk = b"1\t\\N\tx\n\\N\tb\t\\N"
    assert parser._plain_values(chunk, chunk.decode()) == ["1", None, "x", None, "b", None]
    assert parser.line == 2


def test_escapes_are_undone_field_by_field() -> None:
    parser = _parser(CopyFormat())
    chunk = b"1\t\\N\tx\n2\tb\\tc\\\\d\t\\x41\\N"
    assert parser._plain_values(chunk, chunk.decode()) == ["1", None, "x", "2", "b\tc\\d", "AN"]


def test_an_escaped_delimiter_takes_the_general_path() -> None:
    parser = _parser(CopyFormat())
    chunk = b"1\ta\\\tb\tc"
    assert parser._plain_values(chunk, chunk.decode()) is None
    assert parser.line == 0
    assert parser.feed_values(chunk + b"\n") == ["1", "a\tb", "c"]


def test_csv_force_not_null_on_the_fast_path() -> None:
    parser = _parser(CopyFormat(kind="csv", delimiter=",", null=""))
    chunk = b"1,,\n,,3"
    assert parser._plain_values(chunk, chunk.decode()) == ["1", "", None, None, "", "3"]


def test_csv_force_not_null_keeps_the_values_that_are_not_null() -> None:
    parser = _parser(CopyFormat(kind="csv", delimiter=",", null=""))
    assert parser.feed(b"1,x,\n2,,\n") == [("1", "x", None), ("2", "", None)]


@pytest.mark.parametrize(
    ("data", "message", "where"),
    [
        (b"1\t2\t3\n4\t5\n6\t7\t8\n", 'missing data for column "c"', 'COPY t, line 2: "4\t5"'),
        (b"1\t2\t3\n4\t5\t6\t7\n", "extra data after last expected column", "line 2"),
        (b"1\t2\t3\n\n", 'missing data for column "b"', 'COPY t, line 2: ""'),
    ],
)
def test_a_line_with_the_wrong_width_is_reported_at_its_line(
    data: bytes, message: str, where: str
) -> None:
    outcome = _by_values(CopyFormat(), [data])
    assert outcome == _by_rows(CopyFormat(), [data])
    sqlstate, text, context, _ = outcome  # type: ignore[misc]
    assert (sqlstate, text) == ("22P04", message) and where in str(context)


def test_stream_batches_number_their_first_line() -> None:
    parser = _parser(CopyFormat())
    stream = CopyInStream(parser, lambda: None)
    first: CopyValues = stream._parse_values(b"1\ta\t\\N\n2\tb\t\\N\n3\tc", False)
    second: CopyValues = stream._parse_values(b"\t\\N\n", True)
    assert (first.count, first.first_line, first.width) == (2, 1, 3)
    assert first.column(0) == ["1", "2"] and first.column(2) == [None, None]
    assert (second.count, second.first_line, second.values) == (1, 3, ["3", "c", None])
    assert stream.rows_read == 3
