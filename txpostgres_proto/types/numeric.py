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
from decimal import (
    MAX_EMAX,
    MAX_PREC,
    MIN_EMIN,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Any, Final

from . import oids
from .memo import RecentValues

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
# Up to this many base-10000 digits, decode through an int (fast); beyond, through strings.
_MAX_INT_GROUPS: Final = 256
# A context that never rounds: used only to shift a Decimal's exponent exactly.
_EXACT: Final = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)
_DIGIT_LAYOUTS: dict[int, tuple[struct.Struct, str]] = {}
_PACKERS: dict[int, struct.Struct] = {}  # header plus that many digits


#: Numeric division and remainder: digits enough for any float-stored operand, and Infinity
#: over Infinity is NaN (as in PostgreSQL) rather than an exception.
_DIVISION: Final = Context(prec=40, traps=[DivisionByZero, Overflow])


def divide_numerics(dividend: Any, divisor: Any, remainder: bool = False) -> Decimal:
    """``dividend / divisor`` (``%`` when ``remainder``) as PostgreSQL divides numerics, for the
    engines that store numbers as SQLite integers and reals (or 'NaN' text): decimally, where
    SQLite's own operators would divide two integers as integers.  ZeroDivisionError for a
    zero divisor (of anything but NaN, which stays NaN)."""
    left, right = _as_decimal(dividend), _as_decimal(divisor)
    if right == 0:
        if left.is_nan():
            return left
        raise ZeroDivisionError("division by zero")
    try:
        return _DIVISION.remainder(left, right) if remainder else _DIVISION.divide(left, right)
    except InvalidOperation:  # the remainder of an infinite dividend
        return Decimal("NaN")


#: PostgreSQL's integer types: the name its "... out of range" errors use, and the range.
_INTEGER_RANGES: Final = {
    oids.INT2: ("smallint", -(2**15), 2**15 - 1),
    oids.INT4: ("integer", -(2**31), 2**31 - 1),
    oids.INT8: ("bigint", -(2**63), 2**63 - 1),
}


def integer_overflow(value: Any, type_oid: int) -> str | None:
    """The error PostgreSQL raises (22003) for an integer result of ``+``, ``-`` or ``*`` that
    ``value`` gives for type ``type_oid`` (int2, int4 or int8), or None when it fits.  SQLite
    computes in 64 bits and turns an overflow into a real, which never fits."""
    if value is None or isinstance(value, str | bytes):
        return None
    name, low, high = _INTEGER_RANGES[type_oid]
    if isinstance(value, float) or not low <= value <= high:
        return f"{name} out of range"
    return None


def stored_number(value: Decimal) -> int | float | str:
    """A numeric as those engines store it: an integer when it has no fraction (and fits 64
    bits), else a real; NaN and the infinities as their text."""
    if not value.is_finite():
        return str(value)
    if value == value.to_integral_value() and abs(value) < 2**63:
        return int(value)
    return float(value)


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
    if type(value) is Decimal and value and value.is_finite():
        # The common case, finite and not zero: ``str`` is positional (and three times faster
        # than ``format``) unless the exponent is positive or the value tiny; then it has "E".
        text = str(value)
        if "E" not in text:
            return text.encode("ascii")
        return format(value, "f").encode("ascii")
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
    groups = unpacker.unpack_from(data, 8)
    # The value is coefficient * 10**(4 * (weight - ndigits + 1)); ``extra`` moves that to
    # exactly dscale fraction digits (digits dropped below dscale are zero padding).
    extra = 4 * (weight - ndigits + 1) + dscale
    if ndigits > _MAX_INT_GROUPS:
        # Huge values: stay in strings (exact, and clear of the int <-> str size limit).
        digits = printer % groups
        if extra > 0:
            digits += "0" * extra
        elif extra < 0:
            digits = digits[:extra] or "0"
        return Decimal(f"-{digits}E-{dscale}" if sign == _NEGATIVE else f"{digits}E-{dscale}")
    coefficient = 0
    for group in groups:
        coefficient = coefficient * 10000 + group
    if extra > 0:
        coefficient *= 10**extra
    elif extra < 0:
        coefficient //= 10**-extra
    if sign == _NEGATIVE:
        coefficient = -coefficient
    return Decimal(coefficient).scaleb(-dscale, _EXACT)


# ``numeric_send`` of recently sent Decimals, by their ``str``: it keeps the exponent, so values
# that compare equal but print differently (``1.5``, ``1.50``) never share an entry; a hit costs
# a tenth of encoding. Emptied when full.
_numeric_binaries: RecentValues[bytes] = RecentValues()


def encode_numeric_binary(value: Any) -> bytes:
    if type(value) is not Decimal:
        return _encode_numeric_binary(value)
    key = str(value)
    encoded = _numeric_binaries.get(key)
    if encoded is None:
        encoded = _numeric_binaries.remember(key, _encode_numeric_binary(value))
    return encoded


def _encode_numeric_binary(value: Any) -> bytes:
    number = _as_decimal(value)
    if not number.is_finite():
        if number.is_nan():
            if number.is_snan():
                raise ValueError("signalling NaN cannot be stored in numeric")
            return _HEADER.pack(0, 0, _NAN, 0)
        sign = _MINUS_INFINITY if number.is_signed() else _PLUS_INFINITY
        return _HEADER.pack(0, 0, sign, _INFINITY_DSCALE)
    negative, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)
    dscale = -exponent if exponent < 0 else 0
    if len(digits) > 4 * _MAX_INT_GROUPS:
        return _encode_huge(negative, digits, exponent, dscale)
    # Shift so the coefficient's last digit ends a base-10000 group of weight ``low``.
    pad = exponent % 4
    coefficient = abs(int(number.scaleb(pad - exponent, _EXACT)))
    if not coefficient:
        return _HEADER.pack(0, 0, _POSITIVE, dscale)
    low = (exponent - pad) // 4
    while not coefficient % 10000:  # PostgreSQL drops trailing zero groups
        coefficient //= 10000
        low += 1
    groups: list[int] = []
    while coefficient:
        coefficient, group = divmod(coefficient, 10000)
        groups.append(group)
    groups.reverse()
    return _pack(groups, low + len(groups) - 1, negative, dscale)


def _encode_huge(negative: int, digits: tuple[int, ...], exponent: int, dscale: int) -> bytes:
    """The same as ``encode_numeric_binary`` through strings, for thousands of digits."""
    pad = exponent % 4
    text = "".join(map(str, digits)) + "0" * pad
    text = "0" * (-len(text) % 4) + text
    groups = [int(text[i : i + 4]) for i in range(0, len(text), 4)]
    weight = (exponent - pad) // 4 + len(groups) - 1
    start = 0
    while groups[start] == 0:
        start += 1
    end = len(groups)
    while groups[end - 1] == 0:
        end -= 1
    return _pack(groups[start:end], weight - start, negative, dscale)


def _pack(groups: list[int], weight: int, negative: int, dscale: int) -> bytes:
    if not -0x8000 <= weight <= 0x7FFF or dscale > 0x3FFF:
        raise ValueError("value is out of range for type numeric")
    count = len(groups)
    layout = _PACKERS.get(count)
    if layout is None:
        layout = _PACKERS[count] = struct.Struct(f"!hhHh{count}H")
    return layout.pack(count, weight, _NEGATIVE if negative else _POSITIVE, dscale, *groups)
