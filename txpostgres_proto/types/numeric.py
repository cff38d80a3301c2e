"""``numeric`` <-> ``decimal.Decimal``, text and binary.

Text (``numeric_out``): positional notation, never an exponent, as many fraction digits as the
value's display scale, no negative zero; ``NaN``, ``Infinity`` and ``-Infinity`` (PostgreSQL 14+).

Binary (``numeric_send``): four int16 header fields then base-10000 digits::

    ndigits  weight  sign  dscale  digit[0] ... digit[ndigits-1]

The value is ``sum(digit[i] * 10000 ** (weight - i))``; ``dscale`` is the number of decimal
digits after the point to display; ``sign`` is 0x0000 (+), 0x4000 (-), 0xC000 (NaN), 0xD000
(+Infinity) or 0xF000 (-Infinity). PostgreSQL strips leading and trailing zero digits, and zero
has no digits at all, so the encoder does too (the output is byte-identical to ``numeric_send``).
Construction from digit tuples and strings is exact: no decimal context is involved.
"""

from __future__ import annotations

import struct
from decimal import Decimal
from typing import Any, Final

_HEADER: Final = struct.Struct("!hhHh")
_POSITIVE: Final = 0x0000
_NEGATIVE: Final = 0x4000
_NAN: Final = 0xC000
_PLUS_INFINITY: Final = 0xD000
_MINUS_INFINITY: Final = 0xF000

# numeric_send reports dscale 32 for the infinities (an artefact of how their header bits read
# as a short-format dscale); copy it so our output is byte-identical.
_INFINITY_DSCALE: Final = 32

_SPECIALS: Final[dict[int, Decimal]] = {
    _NAN: Decimal("NaN"),
    _PLUS_INFINITY: Decimal("Infinity"),
    _MINUS_INFINITY: Decimal("-Infinity"),
}
_DIGIT_LAYOUTS: dict[int, tuple[struct.Struct, str]] = {}


def decode_numeric_text(data: bytes) -> Decimal:
    return Decimal(data.decode("ascii"))


def _as_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        # repr gives the shortest decimal that reads back as the same float.
        return Decimal(repr(value))
    return Decimal(value)


def encode_numeric_text(value: Any) -> bytes:
    """Print like ``numeric_out``: ``1E+3`` -> ``1000``, ``1.50`` -> ``1.50``, ``-0`` -> ``0``."""
    number = _as_decimal(value)
    if not number.is_finite():
        if number.is_nan():
            if number.is_snan():
                raise ValueError("signalling NaN cannot be stored in numeric")
            return b"NaN"
        return b"-Infinity" if number.is_signed() else b"Infinity"
    if number.is_zero():
        number = abs(number)
    return format(number, "f").encode("ascii")


def _digits_layout(count: int) -> tuple[struct.Struct, str]:
    """The unpacker for ``count`` base-10000 digits and the format that prints them."""
    layout = _DIGIT_LAYOUTS.get(count)
    if layout is None:
        layout = _DIGIT_LAYOUTS[count] = (struct.Struct(f"!{count}H"), "%04d" * count)
    return layout


def decode_numeric_binary(data: bytes) -> Decimal:
    ndigits, weight, sign, dscale = _HEADER.unpack_from(data)
    if sign != _POSITIVE and sign != _NEGATIVE:
        special = _SPECIALS.get(sign)
        if special is None:
            raise ValueError(f"invalid sign in external numeric value: {sign:#x}")
        return special
    if ndigits == 0:
        return Decimal((0, (0,), -dscale))
    unpacker, printer = _digits_layout(ndigits)
    # Work on the decimal digit string (exact, and free of int <-> str size limits).
    digits = printer % unpacker.unpack_from(data, 8)
    # digits * 10**exponent is the value; bring it to exactly dscale fraction digits.
    extra = 4 * (weight - ndigits + 1) + dscale
    if extra > 0:
        digits += "0" * extra
    elif extra < 0:
        digits = digits[:extra] or "0"
    return Decimal("%s%sE-%d" % ("-" if sign == _NEGATIVE else "", digits, dscale))


def encode_numeric_binary(value: Any) -> bytes:
    number = _as_decimal(value)
    if not number.is_finite():
        if number.is_nan():
            if number.is_snan():
                raise ValueError("signalling NaN cannot be stored in numeric")
            return _HEADER.pack(0, 0, _NAN, 0)
        sign = _MINUS_INFINITY if number.is_signed() else _PLUS_INFINITY
        return _HEADER.pack(0, 0, sign, _INFINITY_DSCALE)
    negative, digit_tuple, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    dscale = -exponent if exponent < 0 else 0
    if not any(digit_tuple):
        return _HEADER.pack(0, 0, _POSITIVE, dscale)
    # Pad on the right so the last digit ends a base-10000 group, then on the left to whole
    # groups; the least significant group then has weight (exponent - pad) / 4.
    pad = exponent % 4
    text = "".join(map(str, digit_tuple)) + "0" * pad
    text = "0" * (-len(text) % 4) + text
    groups = [int(text[i : i + 4]) for i in range(0, len(text), 4)]
    weight = (exponent - pad) // 4 + len(groups) - 1
    start = 0
    while groups[start] == 0:
        start += 1
    end = len(groups)
    while groups[end - 1] == 0:
        end -= 1
    weight -= start
    groups = groups[start:end]
    if not -0x8000 <= weight <= 0x7FFF or dscale > 0x3FFF:
        raise ValueError(f"value {number} is out of range for type numeric")
    header = _HEADER.pack(len(groups), weight, _NEGATIVE if negative else _POSITIVE, dscale)
    return header + _digits_layout(len(groups))[0].pack(*groups)
