"""Bounded caches of recent results, shared by the hot encoders and the SQLite default's readers.

Result sets repeat values far more often than they hold distinct ones (a timestamp column of
one day's events, prices, flags), and printing or parsing a float8, timestamp or numeric costs
several times a dict lookup.  `RecentValues` is a plain dict (so generated per-row code, in
``rows.py`` and ``sqlite/rowconvert.py``, can call its C ``get`` directly) that `remember`
empties when it is full: dropping everything at once costs nothing per hit, where an LRU would
cost bookkeeping on every lookup.  Only keys whose result depends on nothing but the key may be
stored.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Final, TypeVar

__all__ = ["DEFAULT_LIMIT", "RecentValues"]

#: How many results each cache keeps before it starts over.
DEFAULT_LIMIT: Final = 4096

V = TypeVar("V")


class RecentValues(dict[Hashable, V]):
    """Results by key, at most ``limit`` of them."""

    __slots__ = ("limit",)

    def __init__(self, limit: int = DEFAULT_LIMIT) -> None:
        super().__init__()
        self.limit = limit

    def remember(self, key: Hashable, value: V) -> V:
        """Store ``value`` under ``key`` (emptying the cache first when it is full); returns
        ``value``."""
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value
