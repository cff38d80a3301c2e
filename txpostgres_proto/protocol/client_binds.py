"""Bind + Execute (+ Sync) for the parameter sets of one statement, encoded fast.

``executemany`` sends thousands of Bind/Execute pairs that differ only in their parameter
values, and a prepared statement run serially sends the same Bind/Execute/Sync again and again
with other values.  `BindExecute` precomputes everything else of those messages (protocol
section 55.7: portal and statement names, the parameter format codes, the result format codes,
the whole Execute message, and the Sync when asked), and fuses the encoding of the values with
the assembly of the messages into one generated function: per parameter set one call, one
encoder call per value and a single join.  Where an encoder's output has a fixed width (the
``struct`` packers of int4, float8 ...), the value's length field is a constant of the code.
The generated source depends only on what each parameter accepts and those widths, never on
names or values, so it is compiled once per shape.

* `BindExecute.compile` — every value goes through its encoder (a ``str`` for a text-format
  parameter is encoded in place), None is NULL (the batch path: its format codes are fixed for
  the whole batch);
* `BindExecute.compile_checked` — for a statement's serial executions, where the format codes
  a general encoder picks depend on the values (None and ``str`` are sent as text): each
  parameter accepts only the values for which the precomputed format codes are the ones the
  general encoder would choose, and the function returns None for any other parameter set,
  so the caller encodes that one the general way.

The bytes are exactly what ``messages.Bind(...).encode() + messages.Execute(...).encode()``
(``+ messages.Sync().encode()``) produce for the same arguments; the tests check this.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from typing import Any, Final

from ..codegen import compile_factory
from .messages import INT16, INT32, Execute, Sync, cstr

__all__ = ["BindExecute"]

_NULL: Final = INT32.pack(-1)
_SYNC: Final = Sync().encode()
#: Parameter kinds of the generated code: any value with NULL for None (batches), the same
#: with a ``str`` sent as its UTF-8 text (a text parameter of a batch), a value that is neither
#: None nor a ``str`` (a binary parameter), a ``str`` only (a text parameter).
_ANY, _TEXT, _BINARY, _STR = "a", "t", "b", "s"

ValueEncoder = Callable[[Any], bytes]
ParamsEncoder = Callable[[Sequence[Any]], bytes]
CheckedEncoder = Callable[[Sequence[Any]], bytes | None]

#: Source lines per kind: ``{length}`` is the value's length field, ``{shrink}`` and
#: ``{grow}`` keep ``size`` (the message length, counting fixed-width values as present) right;
#: lines that format to nothing are left out.
_VALUE_LINES: Final[dict[str, list[str]]] = {
    _ANY: [
        "if p{i} is None:",
        "    l{i} = null",
        "    v{i} = b''",
        "    {shrink}",
        "else:",
        "    v{i} = e{i}(p{i})",
        "    l{i} = {length}",
        "    {grow}",
    ],
    _TEXT: [
        "if p{i} is None:",
        "    l{i} = null",
        "    v{i} = b''",
        "else:",
        "    v{i} = p{i}.encode() if type(p{i}) is str else e{i}(p{i})",
        "    l{i} = {length}",
        "    {grow}",
    ],
    _BINARY: [
        "if p{i} is None or type(p{i}) is str:",
        "    return None",
        "v{i} = e{i}(p{i})",
        "l{i} = {length}",
        "{grow}",
    ],
    _STR: [
        "if type(p{i}) is not str:",
        "    return None",
        "v{i} = p{i}.encode()",
        "l{i} = {length}",
        "{grow}",
    ],
}


def _int16_array(values: Sequence[int]) -> bytes:
    return INT16.pack(len(values)) + struct.pack(f"!{len(values)}h", *values)


def _value_lines(i: int, kind: str, width: int) -> list[str]:
    """The source lines encoding parameter ``i``; a nonzero ``width`` is the fixed length of
    what its encoder returns."""
    fields = {
        "i": i,
        "length": repr(INT32.pack(width)) if width else f"pack(len(v{i}))",
        "shrink": f"size -= {width}" if width else "",
        "grow": "" if width else f"size += len(v{i})",
    }
    lines = [line.format(**fields) for line in _VALUE_LINES[kind]]
    return [line for line in lines if line.strip()]


def _padded(widths: Sequence[int], count: int) -> list[int]:
    """``widths`` for ``count`` parameters, 0 (unknown) for those it leaves out."""
    return [*widths, *[0] * (count - len(widths))]


def _generate(shape: tuple[tuple[str, int], ...]) -> Callable[..., Any]:
    count = len(shape)
    lines = ["def encode_bind_execute(params):"]
    # Unpacking checks the number of values (``() = params`` too).
    targets = "".join(f"p{i}, " for i in range(count)) or "()"
    lines.append(f"    {targets} = params")
    lines.append("    size = fixed")
    for i, (kind, width) in enumerate(shape):
        lines += ["    " + line for line in _value_lines(i, kind, width)]
    values = "".join(f"l{i}, v{i}, " for i in range(count))
    lines.append(f"    return join((code, pack(size), head, {values}tail))")
    encoders = "".join(f", e{i}" for i in range(count))
    namespace = {"pack": INT32.pack, "null": _NULL, "join": b"".join, "code": b"B"}
    name = "".join(f"{kind}{width or ''}" for kind, width in shape)
    return compile_factory(
        f"head, tail, fixed{encoders}",
        lines,
        "encode_bind_execute",
        namespace,
        f"bind execute {name}",
    )


_factories: dict[tuple[tuple[str, int], ...], Callable[..., Any]] = {}


class BindExecute:
    """Bind(portal, statement, param_formats, ..., result_formats) + Execute (+ Sync)."""

    __slots__ = ("_head", "_tail", "_fixed_size")

    def __init__(
        self,
        statement: str,
        param_formats: Sequence[int] = (),
        result_formats: Sequence[int] = (),
        portal: str = "",
        max_rows: int = 0,
        *,
        sync: bool = False,
    ) -> None:
        self._head = cstr(portal) + cstr(statement) + _int16_array(param_formats)
        formats = _int16_array(result_formats)
        self._tail = formats + Execute(portal, max_rows).encode() + (_SYNC if sync else b"")
        # Bytes of the Bind that do not depend on the values: length field, head, value count
        # and result formats.
        self._fixed_size = 4 + len(self._head) + 2 + len(formats)

    def _build(
        self,
        kinds: Sequence[str],
        encoders: Sequence[ValueEncoder],
        widths: Sequence[int],
    ) -> Any:
        shape = tuple(zip(kinds, widths, strict=True))
        factory = _factories.get(shape)
        if factory is None:
            factory = _factories[shape] = _generate(shape)
        head = self._head + INT16.pack(len(shape))
        fixed = self._fixed_size + 4 * len(shape) + sum(width for _, width in shape)
        return factory(head, self._tail, fixed, *encoders)

    def compile(
        self,
        encoders: Sequence[ValueEncoder],
        text: Sequence[bool] = (),
        widths: Sequence[int] = (),
    ) -> ParamsEncoder:
        """A function from a parameter set (Python values, None for NULL) to the messages'
        bytes, ``encoders[i]`` encoding value ``i`` — except a ``str`` where ``text[i]`` is
        true, which is sent as its UTF-8 text (as a text-format encoder would).  A nonzero
        ``widths[i]`` (missing ones are 0) promises that ``encoders[i]`` always returns that
        many bytes.  A set of the wrong length raises ValueError; an encoder's exception
        passes through."""
        kinds = [
            _TEXT if index < len(text) and text[index] else _ANY for index in range(len(encoders))
        ]
        widths = [
            0 if kind == _TEXT else width
            for kind, width in zip(kinds, _padded(widths, len(kinds)), strict=True)
        ]
        return self._build(kinds, encoders, widths)  # type: ignore[no-any-return]

    def compile_checked(
        self, encoders: Sequence[ValueEncoder | None], widths: Sequence[int] = ()
    ) -> CheckedEncoder:
        """Like `compile`, for the parameter sets whose format codes are the precomputed ones:
        where ``encoders[i]`` is None, value ``i`` must be a ``str`` (sent as its UTF-8 text),
        elsewhere it must be neither None nor a ``str`` (``encoders[i]`` encodes it).  Any
        other parameter set gives None."""
        kinds = [_BINARY if encode is not None else _STR for encode in encoders]
        widths = [
            0 if kind == _STR else width
            for kind, width in zip(kinds, _padded(widths, len(kinds)), strict=True)
        ]
        return self._build(  # type: ignore[no-any-return]
            kinds, [encode or str.encode for encode in encoders], widths
        )
