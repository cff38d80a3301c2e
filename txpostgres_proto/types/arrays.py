"""Arrays of any element type, text and binary, built from the element's codecs.

Python mapping: an array is a ``list``; a multi-dimensional array is a list of lists (every
sub-list of one level has the same length); SQL NULL elements are ``None``. Lists always denote
dimensions, so a JSON array cannot be an element of a ``json[]`` value given as nested lists.
Lower bounds other than 1 are accepted on input and dropped (Python lists start at 0 anyway);
an empty array (``{}``, zero dimensions) is ``[]``.

Text (``array_out``/``array_in``, docs 8.15.6): ``{1,2,NULL}``, ``{{1,2},{3,4}}``; an element is
double-quoted when it is empty, equals ``NULL`` in any case, or contains ``{ } " \\``, the
delimiter (``,``, or ``;`` for ``box``) or white space, and inside quotes ``"`` and ``\\`` are
backslash-escaped. Input may start with bounds (``[0:1]={7,8}``), unquoted elements may carry
backslash escapes, and white space around elements is ignored.

Binary (``array_send``): int32 ndim, int32 has-nulls flag, uint32 element OID, then per
dimension int32 size and int32 lower bound, then each element in row-major order as an int32
length (-1 for NULL) and that many bytes of the element's binary form.
"""

from __future__ import annotations

import re
import struct
from typing import Any, Final

from txpostgres_proto.types.typecodecs import Decoder, Encoder

_HEADER: Final = struct.Struct("!iiI")
_INT4: Final = struct.Struct("!i")
_DIMENSION: Final = struct.Struct("!ii")
_NULL_LENGTH: Final = _INT4.pack(-1)
_ESCAPE: Final = re.compile(rb"\\(.)", re.DOTALL)
_RAGGED: Final = "multidimensional arrays must have sub-arrays with matching dimensions"


# --- shape ------------------------------------------------------------------------------------


def _dimensions(value: list[Any]) -> list[int]:
    """The size of each dimension of a nested list; [] for an empty array. Raises ValueError
    for ragged nesting (which PostgreSQL cannot represent)."""
    dims: list[int] = []
    level: Any = value
    while isinstance(level, list):
        if not level:
            if dims and not _all_empty(value):
                raise ValueError("multidimensional arrays must not contain empty sub-arrays")
            return []  # like ARRAY[ARRAY[]::int[]], nested empty lists are the empty array
        dims.append(len(level))
        level = level[0]
    _check_shape(value, dims, 0)
    return dims


def _all_empty(value: list[Any]) -> bool:
    return all(isinstance(item, list) and _all_empty(item) for item in value)


def _check_shape(value: list[Any], dims: list[int], depth: int) -> None:
    if len(value) != dims[depth]:
        raise ValueError(_RAGGED)
    if depth + 1 == len(dims):
        for item in value:
            if isinstance(item, list):
                raise ValueError("array nesting is deeper in some elements than in others")
        return
    for item in value:
        if not isinstance(item, list):
            raise ValueError(_RAGGED)
        _check_shape(item, dims, depth + 1)


def _flatten(value: list[Any], ndim: int) -> list[Any]:
    for _ in range(ndim - 1):
        value = [item for sub in value for item in sub]
    return value


def _reshape(flat: list[Any], dims: list[int]) -> list[Any]:
    for size in reversed(dims[1:]):
        flat = [flat[start : start + size] for start in range(0, len(flat), size)]
    return flat


# --- text -------------------------------------------------------------------------------------


def make_text_decoder(element: Decoder, delimiter: bytes = b",") -> Decoder:
    """A decoder for ``array_out`` text whose elements are decoded by ``element``."""
    delim = re.escape(delimiter)
    plain = rb'(?:[^{}"\\\s' + delim + rb"]|\\.)"  # one unquoted character or escape
    token = re.compile(
        rb'\{|\}|"((?:[^"\\]|\\.)*)"|(' + plain + rb"(?:\s*" + plain + rb")*)|" + delim + rb"|\s+",
        re.DOTALL,
    )

    def parse_general(data: bytes) -> list[Any]:
        stack: list[list[Any]] = []
        result: list[Any] | None = None
        position = 0
        for match in token.finditer(data):
            if match.start() != position:
                break
            position = match.end()
            text = match.group()
            if text == b"{":
                stack.append([])
            elif text == b"}":
                if not stack:
                    break
                done = stack.pop()
                if stack:
                    stack[-1].append(done)
                else:
                    result = done
            elif not stack:
                break
            elif match.group(1) is not None:
                stack[-1].append(element(_ESCAPE.sub(rb"\1", match.group(1))))
            elif match.group(2) is not None:
                raw = match.group(2)
                if raw.upper() == b"NULL":
                    stack[-1].append(None)
                else:
                    stack[-1].append(element(_ESCAPE.sub(rb"\1", raw)))
            if not stack and result is not None:
                break
        if result is None or data[position:].strip():
            raise ValueError(f"malformed array literal: {data!r}")
        return result

    def decode_array_text(data: bytes) -> list[Any]:
        if data[:1] == b"[":
            data = data[data.index(b"=") + 1 :]
        data = data.strip()
        if data == b"{}":
            return []
        if (
            b'"' in data
            or b"\\" in data
            or data[:1] != b"{"
            or data[-1:] != b"}"
            or data.count(b"{") != 1
        ):
            return parse_general(data)
        items: list[Any] = []
        for raw in data[1:-1].split(delimiter):
            raw = raw.strip()
            items.append(None if raw.upper() == b"NULL" else element(raw))
        return items

    return decode_array_text


def make_text_encoder(element: Encoder, delimiter: bytes = b",") -> Encoder:
    """An encoder printing nested lists like ``array_out``, elements encoded by ``element``."""
    needs_quotes = re.compile(rb'[{}"\\\s' + re.escape(delimiter) + rb"]").search

    def quote(text: bytes) -> bytes:
        if text and not needs_quotes(text) and text.upper() != b"NULL":
            return text
        return b'"' + text.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'

    def build(items: list[Any], depth: int) -> bytes:
        if depth:
            parts = [build(item, depth - 1) for item in items]
        else:
            parts = [b"NULL" if item is None else quote(element(item)) for item in items]
        return b"{" + delimiter.join(parts) + b"}"

    def encode_array_text(value: Any) -> bytes:
        if not isinstance(value, list):
            value = list(value)
        dims = _dimensions(value)
        if not dims:
            return b"{}"
        return build(value, len(dims) - 1)

    return encode_array_text


# --- binary -----------------------------------------------------------------------------------


def make_binary_decoder(element: Decoder) -> Decoder:
    """A decoder for ``array_send`` output whose elements are decoded by ``element``."""
    unpack_length = _INT4.unpack_from

    def decode_array_binary(data: bytes) -> list[Any]:
        if type(data) is not bytes:
            data = bytes(data)
        ndim = _HEADER.unpack_from(data)[0]
        if ndim == 0:
            return []
        dims = [_DIMENSION.unpack_from(data, 12 + 8 * index)[0] for index in range(ndim)]
        position = 12 + 8 * ndim
        count = 1
        for size in dims:
            count *= size
        flat: list[Any] = []
        append = flat.append
        for _ in range(count):
            length = unpack_length(data, position)[0]
            position += 4
            if length < 0:
                append(None)
            else:
                append(element(data[position : position + length]))
                position += length
        return _reshape(flat, dims) if ndim > 1 else flat

    return decode_array_binary


def make_binary_encoder(element: Encoder, element_oid: int, lower_bound: int = 1) -> Encoder:
    """An encoder writing nested lists in ``array_send`` form, elements of type
    ``element_oid`` encoded by ``element``. (``int2vector``/``oidvector`` use lower bound 0.)"""
    pack_length = _INT4.pack

    def encode_array_binary(value: Any) -> bytes:
        if not isinstance(value, list):
            value = list(value)
        dims = _dimensions(value)
        if not dims:
            return _HEADER.pack(0, 0, element_oid)
        parts: list[bytes] = []
        has_null = 0
        for item in _flatten(value, len(dims)):
            if item is None:
                has_null = 1
                parts.append(_NULL_LENGTH)
            else:
                encoded = element(item)
                parts.append(pack_length(len(encoded)))
                parts.append(encoded)
        header = [_HEADER.pack(len(dims), has_null, element_oid)]
        header.extend(_DIMENSION.pack(size, lower_bound) for size in dims)
        return b"".join(header + parts)

    return encode_array_binary
