"""PostgreSQL's value functions as SQLite user functions: strings, numbers, arrays, casts.

The compiler calls PostgreSQL function ``f`` as ``pgf_f`` (see ``functions.py``); this module
holds the ones that only compute on their arguments — string functions, POSIX regular
expressions (translated to Python's ``re``), number helpers, the array functions over the
catalog's JSON array storage, and the conversions casts need (``bool`` and array text forms).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import math
import re
from typing import Any, Final

from txpostgres_proto.catalog.arrays import format_array_literal, from_storage, to_storage
from txpostgres_proto.catalog.udf import FunctionContext, as_bool, as_int, as_text, strict
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types.numeric import divide_numerics, integer_overflow, stored_number

_POSIX_CLASSES: Final = {
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:alnum:]": "a-zA-Z0-9",
    "[:upper:]": "A-Z",
    "[:lower:]": "a-z",
    "[:space:]": r"\s",
    "[:punct:]": r"!-/:-@\[-`{-~",
    "[:xdigit:]": "0-9A-Fa-f",
    "[:word:]": r"\w",
}


@functools.lru_cache(maxsize=256)
def posix_regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    """Compile a PostgreSQL (POSIX ARE) regular expression with Python's ``re``."""
    for posix, python in _POSIX_CLASSES.items():
        pattern = pattern.replace(posix, python)
    pattern = pattern.replace(r"\m", r"\b").replace(r"\M", r"\b").replace(r"\y", r"\b")
    return re.compile(pattern, re.IGNORECASE if ignore_case else 0)


class ValueFunctions:
    """The ``pgf_*`` value functions; each method ``pgf_x`` is registered under that name."""

    def __init__(self, context: FunctionContext):
        self.ctx = context

    # -- strings and regular expressions -----------------------------------------------

    @strict
    def pgf_regex(self, text: Any, pattern: Any, ignore_case: Any) -> bool:
        return posix_regex(str(pattern), bool(ignore_case)).search(str(text)) is not None

    @strict
    def pgf_regexp_replace(self, text: Any, pattern: Any, replacement: Any, flags: Any = "") -> str:
        regex = posix_regex(str(pattern), "i" in str(flags))
        python_replacement = re.sub(r"\\(\d)", r"\\g<\1>", str(replacement))
        count = 0 if "g" in str(flags) else 1
        return regex.sub(python_replacement, str(text), count=count)

    @strict
    def pgf_ilike(self, text: Any, pattern: Any) -> bool:
        regex = ""
        chars = iter(str(pattern))
        for char in chars:
            if char == "\\":
                regex += re.escape(next(chars, ""))
            elif char == "%":
                regex += ".*"
            elif char == "_":
                regex += "."
            else:
                regex += re.escape(char)
        return re.fullmatch(regex, str(text), re.IGNORECASE | re.DOTALL) is not None

    @strict
    def pgf_split_part(self, text: Any, delimiter: Any, field: Any) -> str:
        parts = str(text).split(str(delimiter)) if delimiter else [str(text)]
        index = as_int(field)
        if index < 0:
            index = len(parts) + index + 1
        return parts[index - 1] if 1 <= index <= len(parts) else ""

    @strict
    def pgf_left(self, text: Any, count: Any) -> str:
        n = as_int(count)
        return str(text)[:n] if n >= 0 else str(text)[:n]

    @strict
    def pgf_right(self, text: Any, count: Any) -> str:
        n = as_int(count)
        value = str(text)
        return (value[-n:] if n > 0 else "") if n >= 0 else value[-n:]

    @strict
    def pgf_strpos(self, text: Any, needle: Any) -> int:
        return str(text).find(str(needle)) + 1

    @strict
    def pgf_starts_with(self, text: Any, prefix: Any) -> bool:
        return str(text).startswith(str(prefix))

    @strict
    def pgf_repeat(self, text: Any, count: Any) -> str:
        return str(text) * max(as_int(count), 0)

    @strict
    def pgf_lpad(self, text: Any, length: Any, fill: Any = " ") -> str:
        value, n = str(text), as_int(length)
        if len(value) >= n or not fill:
            return value[:n]
        padding = (str(fill) * n)[: n - len(value)]
        return padding + value

    @strict
    def pgf_rpad(self, text: Any, length: Any, fill: Any = " ") -> str:
        value, n = str(text), as_int(length)
        if len(value) >= n or not fill:
            return value[:n]
        return value + (str(fill) * n)[: n - len(value)]

    @strict
    def pgf_initcap(self, text: Any) -> str:
        return re.sub(r"[A-Za-z0-9]+", lambda m: m.group(0).capitalize(), str(text))

    @strict
    def pgf_md5(self, text: Any) -> str:
        return hashlib.md5(str(text).encode()).hexdigest()

    def pgf_concat(self, *values: Any) -> str:
        return "".join(as_text(value) for value in values if value is not None)

    def pgf_concat_ws(self, separator: Any, *values: Any) -> str | None:
        if separator is None:
            return None
        return str(separator).join(as_text(value) for value in values if value is not None)

    def pgf_format(self, template: Any, *args: Any) -> str | None:
        if template is None:
            return None
        values = iter(args)

        def substitute(match: re.Match[str]) -> str:
            kind = match.group(1)
            if kind == "%":
                return "%"
            value = next(values, None)
            if kind == "I":
                return self.ctx.directory.quote_ident(as_text(value))
            if kind == "L":
                return self.pgf_quote_nullable(value)
            return "" if value is None else as_text(value)

        return re.sub(r"%([sIL%])", substitute, str(template))

    @strict
    def pgf_quote_literal(self, value: Any) -> str:
        text = str(value)
        quoted = "'" + text.replace("'", "''").replace("\\", "\\\\") + "'"
        return ("E" + quoted) if "\\" in text else quoted

    def pgf_quote_nullable(self, value: Any) -> str:
        return "NULL" if value is None else self.pgf_quote_literal(value)

    @strict
    def pgf_size_pretty(self, size: Any) -> str:
        value = as_int(size)
        for unit in ("bytes", "kB", "MB", "GB", "TB"):
            if abs(value) < 10240 or unit == "TB":
                return f"{value} {unit}"
            value = (value + 512) // 1024
        return f"{value} PB"

    # -- numbers -----------------------------------------------------------------------

    def pgf_greatest(self, *values: Any) -> Any:
        present = [value for value in values if value is not None]
        return max(present) if present else None

    def pgf_least(self, *values: Any) -> Any:
        present = [value for value in values if value is not None]
        return min(present) if present else None

    @strict
    def pgf_power(self, base: Any, exponent: Any) -> float:
        return float(math.pow(float(base), float(exponent)))

    @strict
    def pgf_date_trunc(self, field: Any, value: Any) -> str:
        moment = datetime.datetime.fromisoformat(str(value)).replace(microsecond=0)
        unit = str(field).lower()
        if unit in ("minute", "hour", "day", "month", "year"):
            moment = moment.replace(second=0)
        if unit in ("hour", "day", "month", "year"):
            moment = moment.replace(minute=0)
        if unit in ("day", "month", "year"):
            moment = moment.replace(hour=0)
        if unit in ("month", "year"):
            moment = moment.replace(day=1)
        if unit == "year":
            moment = moment.replace(month=1)
        return moment.isoformat(sep=" ")

    @strict
    def pgf_extract(self, field: Any, value: Any) -> float | None:
        moment = datetime.datetime.fromisoformat(str(value))
        name = str(field).lower()
        if name == "epoch":
            return moment.timestamp()
        return float(getattr(moment, name, 0))

    # -- arrays ------------------------------------------------------------------------

    def pgf_array(self, *items: Any) -> str:
        return to_storage(list(items)) or "[]"

    def pgf_array_in(self, value: Any) -> str | None:
        """A PostgreSQL array literal (or already JSON) as the JSON storage form."""
        if value is None:
            return None
        text = str(value)
        if text.startswith("["):
            return text
        try:
            return to_storage(_typed_items(from_storage(text) or []))
        except ValueError as error:
            raise self.ctx.fail(PostgresError(str(error), "22P02")) from None

    def pgf_array_out(self, value: Any) -> str | None:
        items = from_storage(value)
        return None if items is None else format_array_literal(items)

    def pgf_array_get(self, value: Any, index: Any) -> Any:
        items = from_storage(value)
        if items is None or index is None:
            return None
        position = as_int(index)
        if 1 <= position <= len(items):
            item = items[position - 1]
            return to_storage(item) if isinstance(item, list) else item
        return None

    def pgf_array_length(self, value: Any, dimension: Any = 1) -> int | None:
        items = from_storage(value)
        if not items or dimension is None or as_int(dimension) != 1:
            return None
        return len(items)

    def pgf_array_lower(self, value: Any, dimension: Any = 1) -> int | None:
        items = from_storage(value)
        return 1 if items and dimension is not None and as_int(dimension) == 1 else None

    def pgf_cardinality(self, value: Any) -> int | None:
        items = from_storage(value)
        return None if items is None else len(items)

    def pgf_array_ndims(self, value: Any) -> int | None:
        items = from_storage(value)
        return 1 if items else None

    def pgf_array_dims(self, value: Any) -> str | None:
        items = from_storage(value)
        return f"[1:{len(items)}]" if items else None

    def pgf_array_to_string(self, value: Any, separator: Any, null_text: Any = None) -> str | None:
        items = from_storage(value)
        if items is None or separator is None:
            return None
        parts = [
            as_text(item) if item is not None else null_text
            for item in items
            if item is not None or null_text is not None
        ]
        return str(separator).join(str(part) for part in parts)

    def pgf_array_position(self, value: Any, element: Any) -> int | None:
        items = from_storage(value)
        if items is None:
            return None
        for position, item in enumerate(items, start=1):
            if item == element or (item is not None and str(item) == str(element)):
                return position
        return None

    def pgf_array_cat(self, left: Any, right: Any) -> str | None:
        """``||`` and array_cat/array_append/array_prepend on arrays (or an element)."""
        if left is None and right is None:
            return None
        left_items = _as_items(left)
        right_items = _as_items(right)
        return to_storage(left_items + right_items)

    def pgf_array_append(self, value: Any, element: Any) -> str:
        return to_storage((from_storage(value) or []) + [element]) or "[]"

    def pgf_array_prepend(self, element: Any, value: Any) -> str:
        return to_storage([element] + (from_storage(value) or [])) or "[]"

    def pgf_array_remove(self, value: Any, element: Any) -> str | None:
        items = from_storage(value)
        return None if items is None else to_storage([i for i in items if i != element])

    def pgf_string_to_array(self, text: Any, delimiter: Any, null_text: Any = None) -> str | None:
        if text is None:
            return None
        parts = list(str(text)) if delimiter is None else str(text).split(str(delimiter))
        if str(text) == "":
            parts = []
        return to_storage([None if part == null_text else part for part in parts])

    def pgf_array_contains(self, left: Any, right: Any) -> bool | None:
        left_items, right_items = from_storage(left), from_storage(right)
        if left_items is None or right_items is None:
            return None
        return all(item in left_items for item in right_items)

    def pgf_array_overlaps(self, left: Any, right: Any) -> bool | None:
        left_items, right_items = from_storage(left), from_storage(right)
        if left_items is None or right_items is None:
            return None
        return any(item in left_items for item in right_items)

    def pgf_series(self, start: Any, stop: Any, step: Any = 1) -> str:
        """generate_series as a JSON array (for ``json_each``)."""
        if start is None or stop is None or step is None:
            return "[]"
        first, last, increment = as_int(start), as_int(stop), as_int(step)
        if increment == 0:
            raise self.ctx.fail(PostgresError("step size cannot equal zero", "22023"))
        values = range(first, last + (1 if increment > 0 else -1), increment)
        return to_storage(list(values)) or "[]"

    def pgf_options(self, value: Any) -> str:
        """pg_options_to_table: ``["k=v"]`` → ``[["k","v"]]``."""
        pairs = []
        for item in from_storage(value) or []:
            name, _, setting = str(item).partition("=")
            pairs.append([name, setting])
        return to_storage(pairs) or "[]"

    def pgf_record_out(self, value: Any) -> str | None:
        if value is None:
            return None
        record = json.loads(value)
        fields = record.values() if isinstance(record, dict) else record
        return "(" + ",".join("" if field is None else str(field) for field in fields) + ")"

    def pgf_bool_out(self, value: Any) -> str | None:
        return None if value is None else ("true" if as_bool(value) else "false")

    def pgf_bool_in(self, value: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return int(bool(value))
        text = str(value).strip().lower()
        if text in ("t", "tr", "tru", "true", "y", "ye", "yes", "on", "1"):
            return 1
        if text in ("f", "fa", "fal", "fals", "false", "n", "no", "of", "off", "0"):
            return 0
        raise self.ctx.fail(
            PostgresError(f'invalid input syntax for type boolean: "{value}"', "22P02")
        )

    def pgf_divisor(self, value: Any) -> Any:
        """The right operand of ``/`` or ``%``: SQLite answers NULL for a zero divisor,
        PostgreSQL raises 22012."""
        if value == 0 and value is not None and not isinstance(value, str):
            raise self.ctx.fail(PostgresError("division by zero", "22012"))
        return value

    def pgf_int_range(self, value: Any, type_oid: int) -> Any:
        """An integer result of ``+``, ``-`` or ``*``, refused (22003) outside its type's
        range, as PostgreSQL does (``types.numeric.integer_overflow``)."""
        error = integer_overflow(value, type_oid)
        if error is not None:
            raise self.ctx.fail(PostgresError(error, "22003"))
        return value

    def pgf_numeric_div(self, dividend: Any, divisor: Any, remainder: int) -> Any:
        """``/`` (``%`` when ``remainder``) with a numeric operand: decimal, where SQLite
        would divide two integers as integers (``types.numeric.divide_numerics``)."""
        if dividend is None or divisor is None:
            return None
        try:
            return stored_number(divide_numerics(dividend, divisor, bool(remainder)))
        except ZeroDivisionError:
            raise self.ctx.fail(PostgresError("division by zero", "22012")) from None

    def pgf_int_in(self, value: Any) -> int | None:
        if value is None or isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise self.ctx.fail(
                PostgresError(f'invalid input syntax for type integer: "{value}"', "22P02")
            ) from None

    def pgf_true(self, *args: Any) -> bool:
        """The privilege checks: the emulated catalog grants everything."""
        return True

    def pgf_false(self, *args: Any) -> bool:
        return False

    def pgf_zero(self, *args: Any) -> int:
        return 0

    def pgf_null(self, *args: Any) -> None:
        return None


def _typed_items(items: list[Any]) -> list[Any]:
    """Array literal elements: integers where every element is one, else text."""
    if all(item is None or re.fullmatch(r"-?\d+", item) for item in items):
        return [None if item is None else int(item) for item in items]
    return items


def _as_items(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str) and value.startswith("["):
        loaded = json.loads(value)
        return loaded if isinstance(loaded, list) else [loaded]
    return [value]
