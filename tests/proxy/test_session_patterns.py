"""The statements that pin a transaction-pooled session or drop its prepared statements.

The relay hands a Query or Parse to the patterns only when its text starts with a byte in
``_SESSION_START``; these tests check that this shortcut never skips a statement the patterns
would have matched, and that the relay still recognises such statements (no network).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from txpostgres_proto.proxy.session import _PINNING, _SESSION_QUERY, _SESSION_START

_PIECES = st.sampled_from(
    [
        b" ",
        b"\t",
        b"\n",
        b"\r",
        b"\x0b",
        b"\x0c",
        b"/* c */",
        b"/*",
        b"*/",
        b"-- note\n",
        b"-",
        b"LISTEN",
        b"listen",
        b"Discard",
        b"DEALLOCATE",
        b"prepare",
        b"ALL",
        b"all",
        b"x",
        b";",
        b"select 1",
        b"\x00",
        b"\xc3\xa9",
    ]
)
_TEXTS = st.one_of(
    st.lists(_PIECES, max_size=8).map(b"".join),
    st.binary(max_size=40),
)


@given(_TEXTS)
def test_a_text_the_patterns_match_starts_with_a_listed_byte(text: bytes) -> None:
    for pattern in (_PINNING, _SESSION_QUERY):
        if pattern.match(text) is not None:
            assert text[0] in _SESSION_START


@pytest.mark.parametrize(
    ("text", "pins", "drops"),
    [
        (b"LISTEN channel", True, False),
        (b"  /* why */ listen x", True, False),
        (b"-- first\nListen x", True, False),
        (b"\x0bdiscard ALL", False, True),
        (b"DEALLOCATE PREPARE ALL", False, True),
        (b"deallocate all", False, True),
        (b"SELECT 'listen'", False, False),
        (b"listening", False, False),
        (b"", False, False),
    ],
)
def test_session_statements_are_still_recognised(text: bytes, pins: bool, drops: bool) -> None:
    starts = text[:1] != b"" and text[0] in _SESSION_START
    found = _SESSION_QUERY.match(text) if starts else None
    assert (found is not None and found.group(1) is not None) is pins
    assert (found is not None and found.group(1) is None) is drops
    assert (starts and _PINNING.match(text) is not None) is pins
