"""Bind + Execute for many parameter sets of one statement, encoded fast.

``executemany`` sends thousands of Bind/Execute pairs that differ only in their parameter
values.  `BindExecute` precomputes everything else of the two messages (protocol section
55.7: portal and statement names, the parameter format codes, the result format codes, the
whole Execute message), and `BindExecute.compile` fuses the encoding of the values with the
assembly of the messages into one generated function per parameter count: per parameter set
one call, one encoder call per value and a single join.  The generated source depends only on
the parameter count.  The bytes are exactly what ``messages.Bind(...).encode() +
messages.Execute(...).encode()`` produce for the same arguments (the tests check this).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from .messages import INT16, INT32, Execute, cstr

__all__ = ["BindExecute"]

_NULL: Final = INT32.pack(-1)

ValueEncoder = Callable[[Any], bytes]
ParamsEncoder = Callable[[Sequence[Any]], bytes]


def _int16_array(values: Sequence[int]) -> bytes:
    return INT16.pack(len(values)) + struct.pack(f"!{len(values)}h", *values)


def _generate(count: int) -> Callable[..., ParamsEncoder]:
    lines = ["def encode_bind_execute(params):"]
    if count:
        lines.append("    " + "".join(f"p{i}, " for i in range(count)) + "= params")
    for i in range(count):
        lines += [
            f"    if p{i} is None:",
            f"        l{i} = null",
            f"        v{i} = b''",
            "    else:",
            f"        v{i} = e{i}(p{i})",
            f"        l{i} = pack(len(v{i}))",
        ]
    size = " + ".join(["fixed", *(f"len(v{i})" for i in range(count))])
    values = "".join(f"l{i}, v{i}, " for i in range(count))
    lines.append(f"    return join((code, pack({size}), head, {values}tail))")
    encoders = "".join(f", e{i}" for i in range(count))
    source = (
        f"def factory(head, tail, fixed{encoders}):\n"
        + "\n".join("    " + line for line in lines)
        + "\n    return encode_bind_execute\n"
    )
    namespace: dict[str, Any] = {
        "pack": INT32.pack,
        "null": _NULL,
        "join": b"".join,
        "code": b"B",
    }
    exec(compile(source, f"<bind execute {count}>", "exec"), namespace)
    return namespace["factory"]  # type: ignore[no-any-return]


_factories: dict[int, Callable[..., ParamsEncoder]] = {}


class BindExecute:
    """Bind(portal, statement, param_formats, ..., result_formats) + Execute, for `compile`."""

    __slots__ = ("_head", "_tail", "_fixed_size")

    def __init__(
        self,
        statement: str,
        param_formats: Sequence[int] = (),
        result_formats: Sequence[int] = (),
        portal: str = "",
        max_rows: int = 0,
    ) -> None:
        self._head = cstr(portal) + cstr(statement) + _int16_array(param_formats)
        formats = _int16_array(result_formats)
        self._tail = formats + Execute(portal, max_rows).encode()
        # Bytes of the Bind that do not depend on the values: length field, head, value count
        # and result formats.
        self._fixed_size = 4 + len(self._head) + 2 + len(formats)

    def compile(self, encoders: Sequence[ValueEncoder]) -> ParamsEncoder:
        """A function from a parameter set (Python values, None for NULL) to the Bind and
        Execute bytes, ``encoders[i]`` encoding value ``i``.  A set of the wrong length
        raises ValueError; an encoder's exception passes through."""
        count = len(encoders)
        factory = _factories.get(count)
        if factory is None:
            factory = _factories[count] = _generate(count)
        head = self._head + INT16.pack(count)
        return factory(head, self._tail, self._fixed_size + 4 * count, *encoders)
