"""`BindExecute`: its encoders must produce exactly the codec's Bind + Execute (+ Sync) bytes."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_binds import BindExecute
from txpostgres_proto.protocol.messages import Bind, Execute, Sync


def int4(value: int) -> bytes:
    return struct.pack("!i", value)


ENCODERS = [int4, str.encode, bytes]


@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-(2**31), 2**31 - 1),
            st.none() | st.text(),
            st.none() | st.binary(),
        ),
        max_size=10,
    ),
    st.sampled_from([("", "", 0), ("s1", "portal", 5), ("txpg_123", "", 0)]),
    st.sampled_from([(), (1,), (1, 0, 1)]),
    st.sampled_from([(), (0,), (1, 0)]),
)
def test_same_bytes_as_the_codec(
    rows: list[tuple[Any, ...]],
    names: tuple[str, str, int],
    param_formats: tuple[int, ...],
    result_formats: tuple[int, ...],
) -> None:
    statement, portal, max_rows = names
    encode = BindExecute(statement, param_formats, result_formats, portal, max_rows).compile(
        ENCODERS
    )
    for row in rows:
        values = tuple(None if v is None else f(v) for f, v in zip(ENCODERS, row, strict=True))
        expected = Bind(portal, statement, param_formats, values, result_formats).encode()
        assert encode(row) == expected + Execute(portal, max_rows).encode()


def test_no_parameters() -> None:
    assert BindExecute("s").compile([])(()) == Bind("", "s").encode() + Execute().encode()


def test_wrong_number_of_values() -> None:
    encode = BindExecute("s").compile(ENCODERS)
    with pytest.raises(ValueError):
        encode((1, "a"))


INT4 = struct.Struct("!i").pack
FLOAT8 = struct.Struct("!d").pack


def text_of(value: Any) -> bytes:
    """A text-format encoder that is not str.encode (so the fast path's own is visible)."""
    return repr(value).encode()


@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-(2**31), 2**31 - 1),
            st.none() | st.text() | st.integers(),
            st.none() | st.floats(allow_nan=False),
        ),
        max_size=10,
    ),
    st.booleans(),
)
def test_text_parameters_and_fixed_widths_give_the_same_bytes(
    rows: list[tuple[Any, ...]], sync: bool
) -> None:
    encoders = [INT4, text_of, FLOAT8]
    encode = BindExecute("s", (1, 0, 1), (1,), sync=sync).compile(
        encoders, [False, True, False], [4, 0, 8]
    )
    for row in rows:
        values = tuple(
            None if v is None else v.encode() if type(v) is str and index == 1 else f(v)
            for index, (f, v) in enumerate(zip(encoders, row, strict=True))
        )
        expected = Bind("", "s", (1, 0, 1), values, (1,)).encode() + Execute().encode()
        assert encode(row) == expected + (Sync().encode() if sync else b"")


@given(
    st.lists(
        st.tuples(
            st.none() | st.integers(-(2**31), 2**31 - 1) | st.text(),
            st.none() | st.text() | st.integers(),
        ),
        max_size=10,
    )
)
def test_checked_encoder_takes_only_what_its_formats_fit(rows: list[tuple[Any, ...]]) -> None:
    encode = BindExecute("s", (1, 0), (1, 0), sync=True).compile_checked([INT4, None], [4])
    for row in rows:
        number, text = row
        if number is None or type(number) is str or type(text) is not str:
            assert encode(row) is None
            continue
        expected = Bind("", "s", (1, 0), (INT4(number), text.encode()), (1, 0)).encode()
        assert encode(row) == expected + Execute().encode() + Sync().encode()


def test_checked_encoder_without_parameters_and_errors() -> None:
    encode = BindExecute("s", sync=True).compile_checked([])
    assert encode(()) == Bind("", "s").encode() + Execute().encode() + Sync().encode()
    with pytest.raises(ValueError):
        encode((1,))
    with pytest.raises(struct.error):
        BindExecute("s").compile_checked([INT4], [4])((2**40,))
