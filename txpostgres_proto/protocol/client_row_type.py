"""The client's result row type: `Row`, a tuple whose items can also be read by column name.

A row is a tuple subclass, so building one is a single C call and iterating, unpacking,
comparing and hashing run at tuple speed; it adds lookup by column name (``row["name"]``),
``keys()`` / ``values()`` / ``items()`` and therefore ``dict(row)``.  One subclass per result
shape (the tuple of column names) carries the name -> index table; `row_class` caches them.
Kept apart from the DataRow decoders (``client_rows``), which only ever build rows of a class
given by `row_class`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Final

__all__ = ["Row", "row_class"]

_MAX_CACHED_CLASSES: Final = 512


class Row(tuple):  # type: ignore[type-arg]
    """One result row: a tuple whose items can also be read by column name.

    ``row[0]``, ``row["name"]``, ``row.keys()``, ``dict(row)``, ``a, b = row``.  When two
    columns share a name, ``row[name]`` is the first of them.
    """

    __slots__ = ()
    _keys: ClassVar[tuple[str, ...]] = ()
    _index: ClassVar[dict[str, int]] = {}

    def __getitem__(self, key: Any) -> Any:
        if key.__class__ is str:
            try:
                key = self._index[key]
            except KeyError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        """The column names, in order."""
        return self._keys

    def values(self) -> tuple[Any, ...]:
        return tuple(self)

    def items(self) -> list[tuple[str, Any]]:
        return list(zip(self._keys, self, strict=True))

    def get(self, key: str, default: Any = None) -> Any:
        index = self._index.get(key)
        return default if index is None else tuple.__getitem__(self, index)

    def __repr__(self) -> str:
        fields = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._keys, self, strict=True)
        )
        return f"Row({fields})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_row, (self._keys, tuple(self)))


def _rebuild_row(keys: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return row_class(keys)(values)


_classes: dict[tuple[str, ...], type[Row]] = {}


def row_class(names: Sequence[str]) -> type[Row]:
    """The `Row` subclass for results with these column names (cached per name tuple)."""
    key = tuple(names)
    cls = _classes.get(key)
    if cls is None:
        index: dict[str, int] = {}
        for position, name in enumerate(key):
            index.setdefault(name, position)
        cls = type("Row", (Row,), {"__slots__": (), "_keys": key, "_index": index})
        if len(_classes) >= _MAX_CACHED_CLASSES:
            _classes.clear()
        _classes[key] = cls
    return cls
