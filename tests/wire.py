"""Raw protocol frames for the fuzz tests of both sides: building them and breaking them.

The fuzzers draw messages as bytes (so that any field value, valid or not, can be sent) and
then break some of them in the ways a confused or hostile peer does (`corrupted`).
"""

from __future__ import annotations

import struct

from hypothesis import strategies as st

__all__ = ["INT16", "corrupted", "cstring", "frame", "sized"]

#: Int16 fields: the small counts and format codes that matter most, or anything.
INT16 = st.one_of(st.sampled_from([0, 1, 2]), st.integers(-(2**15), 2**15 - 1))


def frame(code: bytes, body: bytes) -> bytes:
    return code + struct.pack("!i", len(body) + 4) + body


def cstring(value: str | bytes) -> bytes:
    return (value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value) + b"\0"


def sized(values: list[bytes | None]) -> bytes:
    """Length-prefixed values (-1 for NULL), as in Bind and DataRow."""
    return b"".join(
        struct.pack("!i", -1) if value is None else struct.pack("!i", len(value)) + value
        for value in values
    )


@st.composite
def corrupted(draw: st.DrawFn, messages: st.SearchStrategy[bytes]) -> bytes:
    """A message of ``messages`` broken in one of the ways a confused or hostile peer breaks
    them: cut short, a wrong or huge length, another type byte, no NULs, a wrong count,
    trailing bytes, or garbage."""
    message = draw(messages)
    body = message[5:]
    how = draw(
        st.sampled_from(
            ["truncate", "length", "code", "no-nul", "count", "garbage", "huge", "trailing"]
        )
    )
    if how == "truncate":
        return message[: draw(st.integers(0, max(len(message) - 1, 0)))]
    if how == "length":
        length = draw(st.integers(-(2**31), 2**31 - 1) | st.integers(-3, len(body) + 8))
        return message[:1] + struct.pack("!i", length) + body
    if how == "code":
        return bytes([draw(st.integers(0, 255))]) + message[1:]
    if how == "no-nul":
        return frame(message[:1], body.replace(b"\0", b"\1"))
    if how == "count" and len(body) >= 2:
        at = draw(st.integers(0, len(body) - 2))
        return frame(message[:1], body[:at] + struct.pack("!h", draw(INT16)) + body[at + 2 :])
    if how == "huge":
        return message[:1] + struct.pack("!i", draw(st.integers(10_000, 2**31 - 1)))
    if how == "trailing":
        return frame(message[:1], body + draw(st.binary(min_size=1, max_size=4)))
    return draw(st.binary(min_size=1, max_size=16))
