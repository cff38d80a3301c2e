"""Helpers shared by the type tests."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


def same(left: Any, right: Any) -> bool:
    """Equality that also holds for NaN == NaN and compares nested lists element-wise, and
    checks that the types match (1 == 1.0 == True must not pass for a codec test)."""
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(map(same, left, right))
    if type(left) is not type(right):
        return False
    if isinstance(left, float) and math.isnan(left):
        return math.isnan(right)
    if isinstance(left, Decimal) and left.is_nan():
        return right.is_nan()
    if isinstance(left, float) and left == 0.0:
        return math.copysign(1, left) == math.copysign(1, right)
    return bool(left == right)
