"""PostgreSQL aggregates the catalog needs, as SQLite aggregate classes.

SQLite 3.40 has no ``ORDER BY`` inside aggregate calls and no arrays, so ``array_agg``,
``string_agg`` and ``json_agg`` are Python aggregates that collect their values with the
ORDER BY keys the compiler passes along (``pgf_array_agg(x, 'aD', key1, key2)``) and sort
them at the end, with PostgreSQL's NULL placement.  Their ``_distinct`` variants
(``array_agg(DISTINCT x ...)``) aggregate equal arguments once; PostgreSQL sorts such input by
the ORDER BY keys, which must be arguments, or else by the arguments, and the compiler passes
the keys accordingly (nodeAgg.c, process_ordered_aggregate_single/_multi).
``ARRAY(SELECT ...)`` uses the same collector but yields an empty array for no rows;
``bool_and``/``bool_or`` ignore NULLs.
"""

from __future__ import annotations

from typing import Any, Final

from txpostgres_proto.catalog.arrays import to_storage
from txpostgres_proto.catalog.udf import as_bool, as_text


class _OrderedAggregate:
    """Collects values with their ORDER BY keys and sorts them at the end.

    ``directions`` has one letter per ORDER BY key: ``a``/``d`` (ascending/descending), upper
    case when NULLs sort first.  With ``distinct`` set, a value equal to one collected
    already is left out (values are the aggregate's arguments: equal arguments, equal keys).
    """

    distinct = False

    def __init__(self) -> None:
        self.items: list[tuple[Any, tuple[Any, ...]]] = []
        self.directions = ""
        self.seen: set[Any] = set()

    def add(self, value: Any, directions: Any, keys: tuple[Any, ...]) -> None:
        if self.distinct:
            if value in self.seen:
                return
            self.seen.add(value)
        self.directions = str(directions or "")
        self.items.append((value, keys))

    def ordered(self) -> list[Any]:
        items = list(self.items)
        for position in reversed(range(len(self.directions))):
            flag = self.directions[position]
            present = [item for item in items if item[1][position] is not None]
            nulls = [item for item in items if item[1][position] is None]
            present.sort(key=lambda item: _sort_key(item[1][position]), reverse=flag in "dD")
            items = nulls + present if flag.isupper() else present + nulls
        return [value for value, _ in items]


class ArrayAgg(_OrderedAggregate):
    """``array_agg(x [ORDER BY ...])`` as ``pgf_array_agg(x, directions, keys...)``; NULL for
    no rows, like PostgreSQL."""

    empty: str | None = None

    def step(self, value: Any, directions: Any = "", *keys: Any) -> None:
        self.add(value, directions, keys)

    def finalize(self) -> str | None:
        if not self.items:
            return self.empty
        return to_storage(self.ordered())


class ArraySubquery(ArrayAgg):
    """``ARRAY(SELECT ...)``: like array_agg but an empty array for no rows."""

    empty = "[]"


class StringAgg(_OrderedAggregate):
    """``string_agg(x, sep [ORDER BY ...])`` as ``pgf_string_agg(x, sep, directions, keys...)``:
    each value but the first is preceded by the separator it came with; NULL values are
    skipped."""

    def step(self, value: Any, separator: Any = "", directions: Any = "", *keys: Any) -> None:
        if value is not None:
            self.add((as_text(value), "" if separator is None else as_text(separator)),
                     directions, keys)  # fmt: skip

    def finalize(self) -> str | None:
        if not self.items:
            return None
        pairs = self.ordered()
        return pairs[0][0] + "".join(separator + text for text, separator in pairs[1:])


class JsonAgg(ArrayAgg):
    """``json_agg(x [ORDER BY ...])``."""


class DistinctArrayAgg(ArrayAgg):
    """``array_agg(DISTINCT x [ORDER BY x])`` (and ``json_agg``)."""

    distinct = True


class DistinctStringAgg(StringAgg):
    """``string_agg(DISTINCT x, sep [ORDER BY ...])``: distinct (value, separator) pairs."""

    distinct = True


class BoolAnd:
    def __init__(self) -> None:
        self.value: bool | None = None

    def step(self, value: Any) -> None:
        if value is not None:
            self.value = as_bool(value) if self.value is None else self.value and as_bool(value)

    def finalize(self) -> int | None:
        return None if self.value is None else int(self.value)


class BoolOr(BoolAnd):
    def step(self, value: Any) -> None:
        if value is not None:
            self.value = as_bool(value) if self.value is None else self.value or as_bool(value)


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, int | float):
        return (1, value)
    return (2, str(value))


AGGREGATES: Final[dict[str, tuple[int, type]]] = {
    "pgf_array_agg": (-1, ArrayAgg),
    "pgf_array_agg_distinct": (-1, DistinctArrayAgg),
    "pgf_array_sub": (1, ArraySubquery),
    "pgf_string_agg": (-1, StringAgg),
    "pgf_string_agg_distinct": (-1, DistinctStringAgg),
    "pgf_json_agg": (-1, JsonAgg),
    "pgf_json_agg_distinct": (-1, DistinctArrayAgg),
    "pgf_bool_and": (1, BoolAnd),
    "pgf_bool_or": (1, BoolOr),
}
