"""The column-wise bulk conversion and its collector pause, against one-by-one decoding.

``client_row_bulk`` reads a batch of same-layout DataRows with one flat ``unpack_from`` per
power of two in the batch size and converts it column by column (``client_row_convert``), with
the garbage collector paused while an atomic batch is built and untracked
(``client_row_gc.untracked_rows``).  The reference is the same decoder shape used on one
message at a time (a fresh decoder never reads in bulk): edge values (NULLs, NaN, infinities,
negative and long numerics, non-ASCII text, values the inline parsers reject) must come out
identical — same types, same ``repr`` — whatever the run lengths, and the collector must be
left exactly as it was found, also when a batch fails.
"""

from __future__ import annotations

import gc
import math
import struct
from collections.abc import Callable, Iterator
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.protocol.test_client_rows_bulk import CODES, DECODERS, NAMES, one_by_one, run
from txpostgres_proto.protocol.client_row_bulk import (
    _MAX_UNPACKED_VALUES,
    _flat_values,
    _unpackers,
)
from txpostgres_proto.protocol.client_row_gc import untracked_rows
from txpostgres_proto.protocol.client_rows import RunDecoder, make_run_decoder
from txpostgres_proto.protocol.messages import encode_data_row


def _identical(left: list[Any], right: list[Any]) -> bool:
    """Rows equal value by value with the same types and reprs (NaN, -0.0, Decimal exponents)."""
    if len(left) != len(right):
        return False
    for row_a, row_b in zip(left, right, strict=True):
        if type(row_a) is not type(row_b) or len(row_a) != len(row_b):
            return False
        for a, b in zip(row_a, row_b, strict=True):
            if type(a) is not type(b) or repr(a) != repr(b):
                return False
            if isinstance(a, float) and not math.isnan(a) and a != b:
                return False
    return True


def _edge_row(g: int) -> bytes:
    """Row ``g``: each column cycles through edge values in runs of a few dozen rows, so every
    combination repeats long enough to be read in bulk."""
    ints = [None, -(2**31), -1, 0, 2**31 - 1]
    texts = [None, "", "é", "日本語", "🐘 x", "plain text", "ascii\x7f"]
    floats = [None, math.nan, math.inf, -math.inf, -0.0, 1e308, 5e-324]
    stamps = [None, "infinity", "-infinity", "2024-02-29 23:59:59.999999", "0001-01-01 00:00:00"]
    numbers = [
        None,
        "NaN",
        "Infinity",
        "-Infinity",
        "-123456789012345678901234567890.123456789",
        "0.000",
        "0." + "0" * 300 + "1",
        "12345.67",
    ]
    i = ints[g // 37 % len(ints)]
    t = texts[g // 41 % len(texts)]
    f = floats[g // 43 % len(floats)]
    ts = stamps[g // 47 % len(stamps)]
    n = numbers[g // 53 % len(numbers)]
    return encode_data_row(
        [
            None if i is None else struct.pack("!i", i),
            None if t is None else t.encode(),
            None if f is None else struct.pack("!d", f),
            None if ts is None else ts.encode(),
            None if g % 5 == 0 else bytes([g % 2]),
            None if n is None else n.encode(),
        ]
    )


def _exact_decimal(text: str) -> Decimal:
    """A numeric parser like the client's: exact, or raises."""
    return Decimal(text)


def _timestamp(data: bytes) -> Any:
    text = data.decode()
    return text if text.endswith("infinity") else datetime.fromisoformat(text)


def _decoder(atomic: bool = True) -> RunDecoder:
    decoders = list(DECODERS)
    decoders[3] = _timestamp
    parsers: list[Callable[[str], Any] | None] = [
        None,
        None,
        None,
        datetime.fromisoformat,
        None,
        _exact_decimal,
    ]
    return make_run_decoder(NAMES, decoders, CODES, atomic=atomic, parsers=parsers)


@pytest.mark.parametrize("cut", [1, 3, 4, 7, 100, 513, 4096])
def test_edge_values_in_bulk_are_identical_to_one_by_one(cut: int) -> None:
    messages = [_edge_row(g) for g in range(3000)]
    expected = one_by_one(_decoder, messages)
    rows = run(_decoder(), messages, cuts=range(0, len(messages), cut))
    assert _identical(rows, expected)
    assert _identical(run(_decoder(atomic=False), messages, cuts=[1000]), expected)
    # the values really are the edge values
    assert any(row[3] == "-infinity" for row in rows)
    assert any(isinstance(row[2], float) and math.isnan(row[2]) for row in rows)
    assert any(row[5] is not None and row[5].is_nan() for row in rows)
    assert any(row[1] == "🐘 x" for row in rows)
    assert {row[0] for row in rows} == {None, -(2**31), -1, 0, 2**31 - 1}


@pytest.mark.parametrize("count", [1, 2, 3, 5, 31, 64, 255, 511, 512, 513, 1000, 1025])
def test_flat_values_of_any_count_match_per_row_unpacking(count: int) -> None:
    row_format = "7x4xi4x3s4xd"
    size = struct.calcsize("!" + row_format)
    messages = [
        encode_data_row([struct.pack("!i", g), b"%03d" % (g % 1000), struct.pack("!d", g / 4)])
        for g in range(count + 2)
    ]
    data = b"".join(messages)
    assert all(len(message) == size for message in messages)
    values_of = _flat_values(row_format, size, 3)
    flat = values_of(data, size, count)  # from the second message on
    per_row = [value for row in struct.iter_unpack("!" + row_format, data) for value in row]
    assert flat == tuple(per_row[3 : 3 + 3 * count])


@pytest.mark.parametrize("count", [1, 7, 64, 100, 512])
def test_wide_rows_are_unpacked_by_bounded_formats(count: int) -> None:
    width = 60  # 68 rows of it fill a bulk format: bigger batches take several
    messages = [
        encode_data_row([struct.pack("!i", g * width + column) for column in range(width)])
        for g in range(count)
    ]
    data = b"".join(messages)
    row_format = "7x" + "4xi" * width
    flat = _flat_values(row_format, len(messages[0]), width)(data, 0, count)
    assert flat == tuple(range(count * width))
    used = [times for format_, times in _unpackers if format_ == row_format]
    assert used and max(used) * width <= _MAX_UNPACKED_VALUES

    def make() -> RunDecoder:
        return make_run_decoder([f"c{i}" for i in range(width)], [bytes] * width, ["i"] * width)

    rows = run(make(), messages + messages, cuts=[count])
    assert rows == one_by_one(make, messages + messages)
    assert [row[-1] for row in rows[:count]] == [g * width + width - 1 for g in range(count)]


def _gc_watching_parser(seen: list[bool], reject: str = "") -> Callable[[str], Decimal]:
    def parse(text: str) -> Decimal:
        seen.append(gc.isenabled())
        if text == reject:
            raise ValueError("rejected")
        return Decimal(text)

    return parse


def _numbers(values: list[str]) -> list[bytes]:
    return [
        encode_data_row([struct.pack("!i", g), value.encode()]) for g, value in enumerate(values)
    ]


def _number_decoder(parse: Callable[[str], Decimal], atomic: bool = True) -> RunDecoder:
    return make_run_decoder(
        ["g", "n"],
        [lambda data: struct.unpack("!i", data)[0], lambda data: Decimal(data.decode())],
        ["i", "parse"],
        atomic=atomic,
        parsers=[None, parse],
    )


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.mark.usefixtures("collector_on")
def test_the_collector_is_paused_only_while_an_atomic_batch_is_built() -> None:
    seen: list[bool] = []
    rows = run(_number_decoder(_gc_watching_parser(seen)), _numbers(["1.25"] * 600))
    assert gc.isenabled()
    assert len(rows) == 600 and rows[-1] == (599, Decimal("1.25"))
    assert False in seen  # rows built in bulk, with the collector paused
    assert True in seen  # the first rows, one by one
    assert not any(gc.is_tracked(row) for row in rows)

    seen.clear()
    run(_number_decoder(_gc_watching_parser(seen), atomic=False), _numbers(["1.25"] * 600))
    assert all(seen) and gc.isenabled()


@pytest.mark.usefixtures("collector_on")
def test_a_failing_batch_switches_the_collector_back_on() -> None:
    seen: list[bool] = []
    values = ["2.5"] * 700
    values[400] = "NaN"  # the parser rejects it, the decoder takes it
    messages = _numbers(values)
    rows = run(_number_decoder(_gc_watching_parser(seen, reject="NaN")), messages)
    assert gc.isenabled()
    assert False in seen
    assert rows[400][0] == 400 and repr(rows[400][1]) == "Decimal('NaN')"
    assert rows[:400] == [(g, Decimal("2.5")) for g in range(400)]
    assert rows[401:] == [(g, Decimal("2.5")) for g in range(401, 700)]


def test_a_collector_switched_off_stays_off() -> None:
    was = gc.isenabled()
    gc.disable()
    try:
        seen: list[bool] = []
        rows = run(_number_decoder(_gc_watching_parser(seen)), _numbers(["3"] * 600))
        assert not gc.isenabled()
        assert not any(seen)
        assert len(rows) == 600
    finally:
        if was:
            gc.enable()


@pytest.mark.usefixtures("collector_on")
def test_untracked_rows_restores_the_collector_when_nested_or_failing() -> None:
    untrack_calls: list[int] = []

    def inner(values: tuple[Any, ...], count: int) -> list[Any]:
        assert not gc.isenabled()
        return [(value,) for value in values]

    def outer(values: tuple[Any, ...], count: int) -> list[Any]:
        rows = untracked_rows(inner, values, count, untrack_calls.append)
        assert not gc.isenabled()  # the inner call leaves the outer pause alone
        return rows

    rows = untracked_rows(outer, (1, 2, 3), 3, untrack_calls.append)
    assert rows == [(1,), (2,), (3,)] and gc.isenabled()
    assert untrack_calls[-3:] == [id(row) for row in rows]

    def failing(values: tuple[Any, ...], count: int) -> list[Any]:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        untracked_rows(failing, (), 0, untrack_calls.append)
    assert gc.isenabled()
