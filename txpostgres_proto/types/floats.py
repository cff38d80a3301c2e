"""Text output of ``float4``/``float8`` exactly as PostgreSQL 12+ prints it.

With the default ``extra_float_digits = 1``, ``float8out``/``float4out`` print the shortest
decimal that reads back as the same value (the Ryu algorithm, src/common/d2s.c and f2s.c), laid
out like C's ``%g``: positional when the decimal exponent is in [-4, 15) for float8 or [-4, 6)
for float4, otherwise ``d.ddde±XX``; and ``NaN``, ``Infinity``, ``-Infinity``, ``-0``.

Python's ``repr`` finds the same shortest digits with one difference: a decimal lying exactly
half-way between two doubles reads back (round-half-even) as the even one, and ``repr`` accepts
it, while PostgreSQL's Ryu only accepts decimals strictly inside the rounding interval and then
needs one more digit (``2.2977061337673472e+16``, not ``2.297706133767347e+16``). Half-way
decimals short enough to be chosen only exist for integers of 2**53 and more, so the common
range takes ``repr`` as it is and only the rest is checked exactly (with ``Decimal``, which
represents every float exactly). float4 values are always checked exactly, in single precision.

Text input needs nothing special: ``float()`` reads every spelling PostgreSQL prints.
"""

from __future__ import annotations

import math
import struct
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any, Final

from .memo import RecentValues

_DOUBLE: Final = (struct.Struct("!d"), struct.Struct("!q"))
_SINGLE: Final = (struct.Struct("!f"), struct.Struct("!i"))
_FLOAT4_MAX: Final = 3.4028234663852886e38
_TWO_HALF: Final = Decimal(2)
# At and above 2**53 a half-way point between doubles can be a short integer.
_EXACT_CHECK_FROM: Final = 2.0**53


def _rounding_interval(
    value: float, layout: tuple[struct.Struct, struct.Struct]
) -> tuple[Decimal, Decimal]:
    """The open interval of reals that round to ``value`` (> 0) in the given precision."""
    as_float, as_int = layout
    bits = as_int.unpack(as_float.pack(value))[0]
    below = as_float.unpack(as_int.pack(bits - 1))[0]
    try:
        above = as_float.unpack(as_int.pack(bits + 1))[0]
    except (OverflowError, struct.error):  # largest finite value: mirror the gap below
        above = value + (value - below)
    if math.isinf(above):
        above = value + (value - below)
    exact = Decimal(value)
    return (exact + Decimal(below)) / _TWO_HALF, (exact + Decimal(above)) / _TWO_HALF


def _shortest_strict(
    value: float, layout: tuple[struct.Struct, struct.Struct], start: int, limit: int
) -> Decimal:
    """The fewest significant digits (from ``start``) strictly inside the rounding interval of
    ``value`` (> 0), nearest to it when two candidates of that length qualify, and the one
    with an even last digit when both are equally near (Ryu's round-half-even:
    ``1048576.75::float4`` prints ``1.0485768e+06``)."""
    low, high = _rounding_interval(value, layout)
    exact = Decimal(value)
    for digits in range(start, limit + 1):
        candidates = [
            Context(prec=digits, rounding=rounding).plus(exact)
            for rounding in (ROUND_FLOOR, ROUND_CEILING)
        ]
        inside = [candidate for candidate in candidates if low < candidate < high]
        if inside:
            return min(inside, key=lambda candidate: (abs(candidate - exact), _odd(candidate)))
    raise AssertionError(f"no {limit}-digit decimal identifies {value!r}")


def _odd(number: Decimal) -> bool:
    """Whether the last significant digit of ``number`` is odd."""
    return number.as_tuple().digits[-1] % 2 == 1


def _render(number: Decimal, negative: bool, fixed_limit: int) -> bytes:
    """Lay out ``number`` like ``%g``: positional when -4 <= exponent < fixed_limit (15 for
    float8, 6 for float4), otherwise ``d.ddde±xx`` with at least two exponent digits."""
    _, digit_tuple, _ = number.as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    exponent = number.adjusted()
    sign = "-" if negative else ""
    if -4 <= exponent < fixed_limit:
        if exponent < 0:
            text = f"{sign}0.{'0' * (-exponent - 1)}{digits}"
        elif len(digits) <= exponent + 1:
            text = sign + digits + "0" * (exponent + 1 - len(digits))
        else:
            text = f"{sign}{digits[: exponent + 1]}.{digits[exponent + 1 :]}"
    else:
        head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{sign}{head}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    return text.encode()


def _special(value: float) -> bytes | None:
    if value != value:
        return b"NaN"
    if value == math.inf:
        return b"Infinity"
    if value == -math.inf:
        return b"-Infinity"
    return None


# Text of recently printed float8 values in the positional range (never 0.0, which equals
# -0.0, nor NaN): a float's hash is cheap, a hit costs a seventh of printing. Emptied when full.
_float8_texts: RecentValues[bytes] = RecentValues()


def encode_float8(value: Any) -> bytes:
    """``float8out``: ``1.5``, ``100``, ``1e+15``, ``0.0001``, ``1e-05``, ``-0``, ``NaN``."""
    if type(value) is not float:
        value = float(value)
    encoded = _float8_texts.get(value)
    if encoded is not None:
        return encoded
    magnitude = abs(value)
    if 1e-4 <= magnitude < 1e15:
        # Python's repr is positional in this range and its digits are PostgreSQL's.
        text = repr(value)
        return _float8_texts.remember(value, (text[:-2] if text.endswith(".0") else text).encode())
    if magnitude == 0.0:
        return b"-0" if math.copysign(1.0, value) < 0 else b"0"
    special = _special(value)
    if special is not None:
        return special
    number = Decimal(repr(magnitude))
    if magnitude >= _EXACT_CHECK_FROM:
        low, high = _rounding_interval(magnitude, _DOUBLE)
        if not low < number < high:
            number = _shortest_strict(magnitude, _DOUBLE, len(number.as_tuple().digits) + 1, 17)
    return _render(number, value < 0, 15)


def encode_float4(value: Any) -> bytes:
    """``float4out``: the value rounded to single precision, printed with the fewest digits
    that identify it (``0.1``, ``1.234567e+06``, ``100000``)."""
    value = float(value)
    special = _special(value)
    if special is not None:
        return special
    if abs(value) > _FLOAT4_MAX:
        raise ValueError(f"{value!r} is out of range for type real")
    single = _SINGLE[0].unpack(_SINGLE[0].pack(value))[0]
    if single == 0.0:
        return b"-0" if math.copysign(1.0, single) < 0 else b"0"
    number = _shortest_strict(abs(single), _SINGLE, 1, 9)
    return _render(number, single < 0, 6)
