"""Bounded caches of recently encoded values, shared by the hot text and binary encoders.

Result sets repeat values far more often than they hold distinct ones (a timestamp column of
one day's events, prices, flags), and printing a float8, timestamp or numeric costs several
times a dict lookup.  `EncodedValues` is a plain dict (so the generated row encoders in
``rows.py`` can call its C ``get`` directly) that `remember` empties when it is full: dropping
everything at once costs nothing per hit, where an LRU would cost bookkeeping on every lookup.
Only keys whose encoding depends on nothing but the key may be stored.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final

__all__ = ["DEFAULT_LIMIT", "EncodedValues"]

#: How many encodings each cache keeps before it starts over.
DEFAULT_LIMIT: Final = 4096


class EncodedValues(dict[Hashable, bytes]):
    """Encodings by key, at most ``limit`` of them."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: Hashable, encoded: bytes) -> bytes:
        """Store ``encoded`` under ``key`` (emptying the cache first when it is full); returns
        ``encoded``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = encoded
        return encoded
