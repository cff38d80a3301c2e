"""`BindExecute`: the batch encoder must produce exactly the codec's Bind + Execute bytes."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.protocol.client_binds import BindExecute
from txpostgres_proto.protocol.messages import Bind, Execute


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
