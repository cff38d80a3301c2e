"""Compile generated per-shape code into a factory function.

The hot paths of both sides (the client's Bind/Execute encoding, DataRow decoding and row
conversion; the server's DataRow encoding in ``types/rows.py``; the SQLite default's row
conversion) generate straight-line Python for each shape they meet, so that the per-row work has
no loops or branches over the columns. Each of them wraps its generated code in a ``factory`` whose
parameters are the codecs of the shape and which returns the inner function: the source is
compiled once per shape and the factory binds it to a connection's codecs as often as needed.
This module holds that one step, so that the modules only say what code they generate.  It
imports nothing from the package, so every layer may use it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


def compile_factory(
    parameters: str,
    body: Iterable[str],
    returns: str,
    namespace: Mapping[str, Any],
    label: str,
) -> Callable[..., Any]:
    """Compile ``def factory(parameters):`` around the ``body`` lines (indented one level
    here), ending in ``return returns``, and hand back that factory.

    ``namespace`` gives the generated code's globals (it is copied, not changed); ``label``
    names the code in tracebacks as ``<label>``.
    """
    source = (
        f"def factory({parameters}):\n"
        + "\n".join("    " + line for line in body)
        + f"\n    return {returns}\n"
    )
    scope = dict(namespace)
    exec(compile(source, f"<{label}>", "exec"), scope)
    return scope["factory"]  # type: ignore[no-any-return]
