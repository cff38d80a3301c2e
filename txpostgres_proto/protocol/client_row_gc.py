"""Taking result rows out of CPython's cyclic garbage collector.

When no column of a result can hold a mutable container (``make_run_decoder(atomic=True)``),
each row is untracked (``PyObject_GC_UnTrack``, what the interpreter does by itself for plain
tuples of such values).  A row of atomic values cannot be part of a reference cycle, and
untracking keeps a large result from making every full collection walk it: without it,
holding 100,000 rows costs more in collections than in decoding.  On other interpreters the
rows stay tracked.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable
from typing import Final

from .client_row_type import Row

__all__ = ["keep_tracked", "untrack", "untrack_address"]


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
