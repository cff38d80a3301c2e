"""Taking result rows out of CPython's cyclic garbage collector.

When no column of a result can hold a mutable container (``make_run_decoder(atomic=True)``),
each row is untracked (``PyObject_GC_UnTrack``, what the interpreter does by itself for plain
tuples of such values).  A row of atomic values cannot be part of a reference cycle, and
untracking keeps a large result from making every full collection walk it: without it,
holding 100,000 rows costs more in collections than in decoding.  On other interpreters the
rows stay tracked.

A batch read in bulk is built and untracked with the collector paused (`untracked_rows`):
otherwise every 700th row built starts a young collection that walks the rows of the batch
built so far, which are about to be untracked anyway (a tenth of the cost of a bulk read).
"""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Callable
from typing import Any, Final

from .client_row_type import Row

__all__ = ["keep_tracked", "untrack", "untrack_address", "untracked_rows"]


def keep_tracked(row: Row) -> None:
    """The stand-in for `untrack` where rows stay tracked."""


def _gc_untrack() -> Callable[[Row], None]:
    """CPython's ``PyObject_GC_UnTrack`` (a no-op elsewhere)."""
    if sys.implementation.name != "cpython":
        return keep_tracked
    try:
        untrack = ctypes.pythonapi.PyObject_GC_UnTrack
    except AttributeError:  # not CPython
        return keep_tracked
    untrack.argtypes = (ctypes.py_object,)
    untrack.restype = None
    return untrack  # type: ignore[no-any-return]


#: ``untrack(row)``: take one row out of the collector's care (`keep_tracked` if impossible).
untrack: Final = _gc_untrack()


def _gc_untrack_address() -> Callable[[int], None] | None:
    """``PyObject_GC_UnTrack`` called with the object's address (``id`` in CPython), which
    ctypes converts faster than the object itself: for rows untracked in bulk."""
    if untrack is keep_tracked:
        return None
    prototype = ctypes.PYFUNCTYPE(None, ctypes.c_void_p)
    return prototype(("PyObject_GC_UnTrack", ctypes.pythonapi))  # type: ignore[call-overload]


#: ``untrack_address(id(row))``, or None where rows cannot be untracked.
untrack_address: Final = _gc_untrack_address()


_collector_enabled = gc.isenabled
_disable_collector = gc.disable
_enable_collector = gc.enable


def untracked_rows(
    convert: Callable[[tuple[Any, ...], int], list[Row]],
    values: tuple[Any, ...],
    count: int,
    untrack: Callable[[int], None],
) -> list[Row]:
    """``convert(values, count)``, each row then passed to ``untrack`` by ``id`` (an
    `untrack_address`), all with the collector paused: no collection can start while the
    batch is built, so none walks rows that are about to leave its care.

    The collector is switched back on afterwards, also when ``convert`` raises, and only if
    it was on: nested use and an application that turned it off are left as they were.  The
    pause lasts one batch (a few hundred rows, no application code: rows are untracked only
    when every column decoder is the registry's own), and the allocations made meanwhile are
    still counted, so the next young collection comes as early as it would have.
    """
    paused = _collector_enabled()
    if paused:
        _disable_collector()
    try:
        rows = convert(values, count)
        any(map(untrack, map(id, rows)))
    finally:
        if paused:
            _enable_collector()
    return rows
