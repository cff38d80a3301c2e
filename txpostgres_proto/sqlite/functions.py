"""PostgreSQL functions SQLite lacks, registered as user functions on every connection.

The translation (``translate.py``) maps a PostgreSQL call onto one of three things: a SQLite
built-in with the same meaning (``lower``, ``abs``, ``coalesce`` …), a renamed built-in
(``string_agg`` → ``group_concat``), or one of the functions here.  Most are plain string, date
and array helpers; a few carry session state and are bound to a `FunctionContext`:

* ``now()`` is the start of the current transaction (PostgreSQL's ``transaction_timestamp``),
  ``statement_timestamp()``/``clock_timestamp()`` the wall clock;
* ``nextval``/``currval``/``setval``/``lastval`` drive the sequences (``sequences.py``: kept in
  the database file, so shared by every connection and every process serving it), and
  ``pg_sequence_ddl`` runs CREATE/ALTER/DROP SEQUENCE (``sequence_ddl.py``),
  ``pg_sequence_last_value(name)`` is PostgreSQL's (NULL until a value is taken), and
  ``pg_sequence_state_value``/``pg_sequence_is_called`` read a sequence as a relation
  (``sequence_state.py``);
* ``current_user``/``current_database()`` answer from the session;
* ``pg_sleep(seconds)`` waits in the worker thread and ends early, with 57014, when the
  statement is cancelled (SQLite's own interrupt cannot stop a user function).

SQLite reports an exception raised inside a user function only as "user-defined function raised
exception"; the wrapper keeps the `PostgresError` in ``FunctionContext.error`` so that the error
mapping can answer with the real SQLSTATE and message.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import math
import random
import re
import sqlite3
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import lru_cache
from typing import Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.casts import cast_value
from txpostgres_proto.sqlite.sequence_ddl import changes_from, unqualified, unqualified_exact
from txpostgres_proto.sqlite.sequences import Owner, Sequences, column_owner
from txpostgres_proto.sqlite.typemap import PgType, storage_timestamp, to_storage
from txpostgres_proto.types import format_interval, parse_interval
from txpostgres_proto.types.numeric import divide_numerics, integer_overflow

_EXTRACT_FIELDS: Final = {
    "year": lambda d: d.year,
    "month": lambda d: d.month,
    "day": lambda d: d.day,
    "hour": lambda d: d.hour,
    "minute": lambda d: d.minute,
    "second": lambda d: d.second + d.microsecond / 1_000_000,
    "milliseconds": lambda d: d.second * 1000 + d.microsecond / 1000,
    "microseconds": lambda d: d.second * 1_000_000 + d.microsecond,
    "dow": lambda d: (d.weekday() + 1) % 7,
    "isodow": lambda d: d.isoweekday(),
    "doy": lambda d: d.timetuple().tm_yday,
    "week": lambda d: d.isocalendar()[1],
    "quarter": lambda d: (d.month - 1) // 3 + 1,
    "decade": lambda d: d.year // 10,
    "century": lambda d: (d.year + 99) // 100,
    "epoch": lambda d: (d if d.tzinfo else d.replace(tzinfo=UTC)).timestamp(),
}
#: date_trunc units from finest to coarsest; truncating to the unit at index i clears the first
#: i - 1 of microsecond, second, minute, hour (all four from ``day`` on).
_TRUNC_UNITS: Final = (
    "microseconds", "milliseconds", "second", "minute", "hour", "day", "week", "month",
    "quarter", "year",
)  # fmt: skip


@dataclass
class FunctionContext:
    """The session state the functions of one connection read."""

    sequences: Sequences
    #: sequence name → (table, column) it belongs to, from the current schema.
    owners: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: sequence name → the data type of that column's sequence (``smallint``, ``integer``,
    #: ``bigint``).
    owner_types: dict[str, str] = field(default_factory=dict)
    user: str = "postgres"
    database: str = "postgres"
    zone: tzinfo = UTC
    #: The start of the transaction (or statement), fixed by the backend.
    started: datetime = field(default_factory=lambda: datetime.now(UTC))
    currvals: dict[str, int] = field(default_factory=dict)
    #: The values ``nextval`` handed out during the current statement, by sequence (the last
    #: one of each: the key of the row a unique violation stopped at, ``violations.py``).
    drawn: dict[str, int] = field(default_factory=dict)
    last_sequence: str | None = None
    #: The `PostgresError` a function raised during the current statement.
    error: PostgresError | None = None
    #: Notices (message, detail) functions left during the current statement, for the client.
    notices: list[tuple[str, str | None]] = field(default_factory=list)
    #: Per worker thread: the cancel flag of the statement that thread runs (``pg_sleep``).
    _worker: threading.local = field(default_factory=threading.local, repr=False)

    def run_cancellable(
        self, cancelled: threading.Event, function: Callable[..., Any], *args: Any
    ) -> Any:
        """Run ``function`` in this thread; ``cancelled`` ends a ``pg_sleep`` it calls."""
        self._worker.cancelled = cancelled
        try:
            return function(*args)
        finally:
            self._worker.cancelled = None

    def cancel_requested(self) -> bool:
        """Whether the statement this worker thread runs was cancelled."""
        cancelled = getattr(self._worker, "cancelled", None)
        return cancelled is not None and cancelled.is_set()

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; a cancel of the running statement ends the wait with 57014."""
        cancelled = getattr(self._worker, "cancelled", None) or threading.Event()
        if cancelled.wait(max(seconds, 0.0)):
            raise PostgresError("canceling statement due to user request", "57014")


def _guarded(context: FunctionContext, function: Callable[..., Any]) -> Callable[..., Any]:
    def call(*args: Any) -> Any:
        try:
            return function(*args)
        except PostgresError as error:
            context.error = error
            raise
        except (ValueError, TypeError, ArithmeticError) as error:
            context.error = PostgresError(str(error), "22023")
            raise

    return call


# --- scalar helpers (no session state) --------------------------------------------------------


def _nonzero(value: Any) -> Any:
    if value == 0 and value is not None and not isinstance(value, str | bytes):
        raise PostgresError("division by zero", "22012")
    return value


def _int_range(value: Any, type_oid: int) -> Any:
    """An integer result refused (22003) outside its type's range, as PostgreSQL does."""
    error = integer_overflow(value, type_oid)
    if error is not None:
        raise PostgresError(error, "22003")
    return value


def _numeric_division(dividend: Any, divisor: Any, remainder: int) -> Any:
    """``/`` (``%`` when ``remainder``) with a numeric operand (``types.numeric``)."""
    if dividend is None or divisor is None:
        return None
    try:
        return to_storage(divide_numerics(dividend, divisor, bool(remainder)))
    except ZeroDivisionError:
        raise PostgresError("division by zero", "22012") from None


@lru_cache(maxsize=256)
def _pattern(pattern: str, flags: int) -> re.Pattern[str]:
    try:
        return re.compile(pattern, flags)
    except re.error as error:
        raise PostgresError(f"invalid regular expression: {error}", "2201B") from None


def _regexp(pattern: Any, value: Any) -> Any:
    if pattern is None or value is None:
        return None
    return int(_pattern(str(pattern), 0).search(str(value)) is not None)


def _regexp_i(value: Any, pattern: Any) -> Any:
    if pattern is None or value is None:
        return None
    return int(_pattern(str(pattern), re.IGNORECASE).search(str(value)) is not None)


def _regexp_replace(value: Any, pattern: Any, replacement: Any, flags: Any = "") -> Any:
    if value is None or pattern is None or replacement is None:
        return None
    options = re.IGNORECASE if "i" in str(flags or "") else 0
    compiled = _pattern(str(pattern), options)
    template = re.sub(r"\\(\d)", r"\\g<\1>", str(replacement)).replace("\\&", "\\g<0>")
    count = 0 if "g" in str(flags or "") else 1
    return compiled.sub(template, str(value), count=count)


def _md5(value: Any) -> Any:
    if value is None:
        return None
    data = value if isinstance(value, bytes) else str(value).encode()
    return hashlib.md5(data).hexdigest()


def _split_part(value: Any, delimiter: Any, index: Any) -> Any:
    if value is None or delimiter is None or index is None:
        return None
    if index == 0:
        raise PostgresError("field position must not be zero", "22023")
    parts = str(value).split(str(delimiter)) if delimiter != "" else [str(value)]
    position = index - 1 if index > 0 else len(parts) + index
    return parts[position] if 0 <= position < len(parts) else ""


def _concat(*values: Any) -> Any:
    return "".join(_text(value) for value in values if value is not None)


def _concat_ws(separator: Any, *values: Any) -> Any:
    if separator is None:
        return None
    return str(separator).join(_text(value) for value in values if value is not None)


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return "\\x" + value.hex()
    return str(value)


def _left(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    text = str(value)
    return text[:count] if count >= 0 else text[: count or None]


def _right(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    text = str(value)
    return (text[-count:] if count else "") if count >= 0 else text[-count:]


def _repeat(value: Any, count: Any) -> Any:
    if value is None or count is None:
        return None
    return str(value) * max(int(count), 0)


def _reverse(value: Any) -> Any:
    return None if value is None else str(value)[::-1]


def _pad(left: bool) -> Callable[..., Any]:
    def pad(value: Any, length: Any, fill: Any = " ") -> Any:
        if value is None or length is None or fill is None:
            return None
        text, fill = str(value), str(fill)
        if len(text) >= length or not fill:
            return text[: max(length, 0)]
        padding = (fill * length)[: length - len(text)]
        return padding + text if left else text + padding

    return pad


def _initcap(value: Any) -> Any:
    if value is None:
        return None
    return re.sub(r"[A-Za-z0-9]+", lambda match: match.group(0).capitalize(), str(value))


def _btrim(value: Any, characters: Any = " ") -> Any:
    if value is None or characters is None:
        return None
    return str(value).strip(str(characters))


def _translate(value: Any, source: Any, target: Any) -> Any:
    if value is None or source is None or target is None:
        return None
    source, target = str(source), str(target)
    table = {ord(char): (target[i] if i < len(target) else None) for i, char in enumerate(source)}
    return str(value).translate(table)


def _starts_with(value: Any, prefix: Any) -> Any:
    if value is None or prefix is None:
        return None
    return int(str(value).startswith(str(prefix)))


def _chr(code: Any) -> Any:
    return None if code is None else chr(int(code))


def _to_hex(value: Any) -> Any:
    return None if value is None else format(int(value) & (2**64 - 1) if value < 0 else value, "x")


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def choose(*values: Any) -> Any:
        present = [value for value in values if value is not None]
        return pick(present) if present else None

    return choose


def _stamp(value: Any) -> datetime:
    text = str(value).strip().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise PostgresError(
            f'invalid input syntax for type timestamp: "{value}"', "22007"
        ) from None


def _unit(field_name: Any) -> str:
    """A date/time field name as PostgreSQL reads it (``'Years'`` is ``year``)."""
    name = str(field_name).strip().lower()
    if name not in _EXTRACT_FIELDS and name.endswith("s") and name[:-1] in _EXTRACT_FIELDS:
        return name[:-1]
    return name


def _extract(field_name: Any, value: Any) -> Any:
    if field_name is None or value is None:
        return None
    getter = _EXTRACT_FIELDS.get(_unit(field_name))
    if getter is None:
        raise PostgresError(f'unit "{field_name}" not recognized for type timestamp', "22023")
    return getter(_stamp(value))


def _date_trunc(field_name: Any, value: Any) -> Any:
    if field_name is None or value is None:
        return None
    unit = _unit(field_name)
    if unit not in _TRUNC_UNITS:
        raise PostgresError(f'unit "{field_name}" not recognized for type timestamp', "22023")
    stamp = _stamp(value)
    if unit == "week":
        stamp -= timedelta(days=stamp.weekday())
    if unit in ("year", "quarter", "month"):
        first = (
            1
            if unit == "year"
            else stamp.month - (stamp.month - 1) % 3
            if unit == "quarter"
            else stamp.month
        )
        stamp = stamp.replace(month=first, day=1)
    kept = _TRUNC_UNITS.index(unit)
    fields = ("microsecond", "second", "minute", "hour")
    cleared: dict[str, Any] = {name: 0 for name in fields[: max(0, min(kept - 1, 4))]}
    if unit == "milliseconds":
        cleared = {"microsecond": stamp.microsecond // 1000 * 1000}
    return storage_timestamp(stamp.replace(**cleared))


def _age(later: Any, earlier: Any = None) -> Any:
    if later is None:
        return None
    end = _stamp(later)
    start = _stamp(earlier) if earlier is not None else None
    if start is None:
        start, end = (
            end,
            datetime.now(end.tzinfo).replace(hour=0, minute=0, second=0, microsecond=0),
        )
    if (end.tzinfo is None) != (start.tzinfo is None):
        end, start = end.replace(tzinfo=None), start.replace(tzinfo=None)
    delta = end - start
    return format_interval(0, delta.days, delta.seconds * 1_000_000 + delta.microseconds)


def _datetime_add(stamp: Any, interval: Any, sign: Any) -> Any:
    """``timestamp ± interval``: months first (clamping the day), then days and time."""
    if stamp is None or interval is None:
        return None
    try:
        months, days, micro = parse_interval(str(interval))
    except ValueError:
        raise PostgresError(
            f'invalid input syntax for type interval: "{interval}"', "22007"
        ) from None
    value = _stamp(stamp)
    months, days, micro = months * sign, days * sign, micro * sign
    if months:
        total = value.year * 12 + value.month - 1 + months
        year, month = divmod(total, 12)
        day = min(value.day, calendar.monthrange(year, month + 1)[1])
        value = value.replace(year=year, month=month + 1, day=day)
    return storage_timestamp(value + timedelta(days=days, microseconds=micro))


def _interval_parts(value: Any) -> tuple[int, int, int]:
    try:
        return parse_interval(str(value).strip())
    except ValueError:
        raise PostgresError(f'invalid input syntax for type interval: "{value}"', "22007") from None


def _interval_add(first: Any, second: Any, sign: Any) -> Any:
    if first is None or second is None:
        return None
    a, b = _interval_parts(first), _interval_parts(second)
    return format_interval(*(x + sign * y for x, y in zip(a, b, strict=True)))


#: Microseconds in PostgreSQL's interval comparison: a month is 30 days, a day 24 hours.
_MONTH_MICROSECONDS: Final = 30 * 86_400_000_000
_DAY_MICROSECONDS: Final = 86_400_000_000


def _interval_key(interval: Any) -> Any:
    """``pg_interval_key(interval)``: a number ordering stored intervals as PostgreSQL's
    interval comparison does (``1 mon`` = ``30 days``, ``1 day`` = ``24:00:00``); the value
    itself when it is not an interval's text."""
    if interval is None or not isinstance(interval, str):
        return interval
    try:
        months, days, microseconds = parse_interval(interval.strip())
    except ValueError:
        return interval
    return months * _MONTH_MICROSECONDS + days * _DAY_MICROSECONDS + microseconds


class _IntervalExtreme:
    """``pg_interval_max`` / ``pg_interval_min``: the largest or smallest interval by
    `_interval_key` (SQLite's own ``max``/``min`` would compare the stored text)."""

    larger = True

    def __init__(self) -> None:
        self.best: Any = None
        self.best_key: tuple[int, Any] | None = None

    def step(self, value: Any) -> None:
        if value is None:
            return
        key = _interval_key(value)
        ordered = (0, key) if isinstance(key, int) else (1, str(key))
        best = self.best_key
        # Equal intervals ('1 mon', '30 days'): the later one, as PostgreSQL's
        # interval_larger/interval_smaller give.
        if best is None or (ordered >= best if self.larger else ordered <= best):
            self.best, self.best_key = value, ordered

    def finalize(self) -> Any:
        return self.best


class _IntervalMin(_IntervalExtreme):
    larger = False


def _interval_mul(interval: Any, factor: Any, divide: Any) -> Any:
    """``interval * factor`` (``/`` when ``divide``); fractions of a month spill into days and
    fractions of a day into time, as PostgreSQL's interval_mul does."""
    if interval is None or factor is None:
        return None
    if divide and factor == 0:
        raise PostgresError("division by zero", "22012")
    scale = 1 / factor if divide else factor
    months, days, micro = _interval_parts(interval)
    total_months = months * scale
    whole_months = int(total_months)
    total_days = days * scale + (total_months - whole_months) * 30
    whole_days = int(total_days)
    total_micro = round(micro * scale + (total_days - whole_days) * 86_400_000_000)
    return format_interval(whole_months, whole_days, total_micro)


def _datetime_diff(later: Any, earlier: Any) -> Any:
    """``timestamp - timestamp``: days and time, never months (PostgreSQL's timestamp_mi)."""
    if later is None or earlier is None:
        return None
    end, start = _stamp(later), _stamp(earlier)
    if (end.tzinfo is None) != (start.tzinfo is None):
        end, start = end.replace(tzinfo=None), start.replace(tzinfo=None)
    delta = end - start
    return format_interval(0, delta.days, delta.seconds * 1_000_000 + delta.microseconds)


def _date_diff(later: Any, earlier: Any) -> Any:
    if later is None or earlier is None:
        return None
    return (_stamp(later).date() - _stamp(earlier).date()).days


def _date_add(day: Any, count: Any, sign: Any) -> Any:
    if day is None or count is None:
        return None
    return (_stamp(day).date() + timedelta(days=sign * int(count))).isoformat()


def _to_timestamp(seconds: Any) -> Any:
    if seconds is None:
        return None
    return storage_timestamp(datetime.fromtimestamp(float(seconds), UTC))


_CHAR_FIELDS: Final = (
    ("YYYY", "%Y"), ("HH24", "%H"), ("HH12", "%I"), ("MONTH", "%B"), ("Month", "%B"),
    ("MON", "%b"), ("Mon", "%b"), ("DAY", "%A"), ("Day", "%A"), ("DY", "%a"), ("Dy", "%a"),
    ("YY", "%y"), ("MM", "%m"), ("DD", "%d"), ("HH", "%I"), ("MI", "%M"), ("SS", "%S"),
    ("MS", "{ms}"), ("US", "%f"), ("AM", "%p"), ("PM", "%p"), ("TZ", "%Z"),
)  # fmt: skip
_CHAR_PATTERN: Final = re.compile("|".join(re.escape(name) for name, _ in _CHAR_FIELDS))


def _to_char(value: Any, template: Any) -> Any:
    """``to_char`` for dates and timestamps with the common template patterns; numbers are
    printed as they are."""
    if value is None or template is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    stamp = _stamp(value)
    codes = dict(_CHAR_FIELDS)
    pattern = _CHAR_PATTERN.sub(
        lambda match: codes[match.group(0)], str(template).replace("%", "%%")
    )
    text = stamp.strftime(pattern)
    text = text.replace("{ms}", f"{stamp.microsecond // 1000:03d}")
    return text.upper() if "MONTH" in str(template) or "DAY" in str(template) else text


def _similar(value: Any, pattern: Any) -> Any:
    """``SIMILAR TO``: SQL regular expressions (``%``, ``_``, ``|``, ``*``, ``+`` …), matching the
    whole string."""
    if value is None or pattern is None:
        return None
    translated = []
    for char in str(pattern):
        translated.append({"%": ".*", "_": ".", ".": "\\.", "^": "\\^", "$": "\\$"}.get(char, char))
    return int(_pattern("^(?:" + "".join(translated) + ")$", 0).match(str(value)) is not None)


def _octet_length(value: Any) -> Any:
    if value is None:
        return None
    return len(value) if isinstance(value, bytes) else len(str(value).encode())


# --- arrays (JSON text) -----------------------------------------------------------------------


def _items(value: Any) -> list[Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            raise PostgresError(f'malformed array literal: "{value}"', "22P02") from None
        return loaded if isinstance(loaded, list) else [loaded]
    return [value]


def _dump(items: list[Any]) -> str:
    return json.dumps(items, separators=(",", ":"), ensure_ascii=False)


def _array_length(value: Any, dimension: Any = 1) -> Any:
    items = _items(value)
    if not items:
        return None
    for _ in range(int(dimension) - 1):
        items = items[0] if items and isinstance(items[0], list) else None
        if not items:
            return None
    return len(items)


def _cardinality(value: Any) -> Any:
    items = _items(value)
    if items is None:
        return None

    def count(part: Any) -> int:
        return sum(count(item) for item in part) if isinstance(part, list) else 1

    return count(items)


def _array_to_string(value: Any, separator: Any, null_text: Any = None) -> Any:
    items = _items(value)
    if items is None or separator is None:
        return None
    texts = [
        _scalar_text(item) if item is not None else null_text
        for item in items
        if item is not None or null_text is not None
    ]
    return str(separator).join(texts)


def _scalar_text(item: Any) -> str:
    if isinstance(item, bool):
        return "t" if item else "f"
    if isinstance(item, list | dict):
        return json.dumps(item)
    return str(item)


def _array_append(value: Any, item: Any) -> Any:
    return _dump((_items(value) or []) + [item])


def _array_prepend(item: Any, value: Any) -> Any:
    return _dump([item] + (_items(value) or []))


def _array_cat(first: Any, second: Any) -> Any:
    if first is None and second is None:
        return None
    return _dump((_items(first) or []) + (_items(second) or []))


def _array_position(value: Any, item: Any) -> Any:
    items = _items(value)
    if items is None:
        return None
    for index, candidate in enumerate(items, 1):
        if candidate == item:
            return index
    return None


def _array_remove(value: Any, item: Any) -> Any:
    items = _items(value)
    return None if items is None else _dump([part for part in items if part != item])


def _array_get(value: Any, index: Any) -> Any:
    items = _items(value)
    if items is None or index is None or not 1 <= int(index) <= len(items):
        return None
    item = items[int(index) - 1]
    return json.dumps(item, separators=(",", ":")) if isinstance(item, list | dict) else item


def _string_to_array(value: Any, separator: Any, null_text: Any = None) -> Any:
    if value is None:
        return None
    text = str(value)
    parts = list(text) if separator is None else (text.split(str(separator)) if text else [])
    return _dump([None if part == null_text else part for part in parts])


def _array_contains(container: Any, contained: Any) -> Any:
    outer, inner = _items(container), _items(contained)
    if outer is None or inner is None:
        return None
    return int(all(item in outer for item in inner))


def _array_overlaps(first: Any, second: Any) -> Any:
    one, two = _items(first), _items(second)
    if one is None or two is None:
        return None
    return int(any(item in two for item in one))


def _to_json(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bytes):
        return json.dumps("\\x" + value.hex())
    return json.dumps(value, ensure_ascii=False)


def _json_typeof(value: Any) -> Any:
    if value is None:
        return None
    loaded = json.loads(value) if isinstance(value, str) else value
    if loaded is None:
        return "null"
    if isinstance(loaded, bool):
        return "boolean"
    if isinstance(loaded, int | float | Decimal):
        return "number"
    if isinstance(loaded, str):
        return "string"
    return "array" if isinstance(loaded, list) else "object"


def _random() -> float:
    return random.random()


def _log(*args: Any) -> Any:
    if any(arg is None for arg in args):
        return None
    if len(args) == 1:
        return math.log10(args[0])
    return math.log(args[1], args[0])


_SCALARS: Final[tuple[tuple[str, int, Callable[..., Any], bool], ...]] = (
    ("pg_nonzero", 1, _nonzero, True),
    ("pg_numeric_div", 3, _numeric_division, True),
    ("pg_int_range", 2, _int_range, True),
    ("regexp", 2, _regexp, True),
    ("pg_regexp_i", 2, _regexp_i, True),
    ("regexp_replace", 3, _regexp_replace, True),
    ("regexp_replace", 4, _regexp_replace, True),
    ("md5", 1, _md5, True),
    ("split_part", 3, _split_part, True),
    ("concat", -1, _concat, True),
    ("concat_ws", -1, _concat_ws, True),
    ("pg_left", 2, _left, True),
    ("pg_right", 2, _right, True),
    ("repeat", 2, _repeat, True),
    ("reverse", 1, _reverse, True),
    ("lpad", 2, _pad(True), True),
    ("lpad", 3, _pad(True), True),
    ("rpad", 2, _pad(False), True),
    ("rpad", 3, _pad(False), True),
    ("initcap", 1, _initcap, True),
    ("btrim", 1, _btrim, True),
    ("btrim", 2, _btrim, True),
    ("translate", 3, _translate, True),
    ("starts_with", 2, _starts_with, True),
    ("chr", 1, _chr, True),
    ("to_hex", 1, _to_hex, True),
    ("pg_greatest", -1, _extreme(max), True),
    ("pg_least", -1, _extreme(min), True),
    ("pg_extract", 2, _extract, True),
    ("date_trunc", 2, _date_trunc, True),
    ("age", 1, _age, False),
    ("age", 2, _age, True),
    ("pg_datetime_add", 3, _datetime_add, True),
    ("pg_interval_add", 3, _interval_add, True),
    ("pg_interval_mul", 3, _interval_mul, True),
    ("pg_interval_key", 1, _interval_key, True),
    ("pg_datetime_diff", 2, _datetime_diff, True),
    ("pg_date_diff", 2, _date_diff, True),
    ("pg_date_add", 3, _date_add, True),
    ("to_timestamp", 1, _to_timestamp, True),
    ("to_char", 2, _to_char, True),
    ("pg_similar", 2, _similar, True),
    ("pg_octet_length", 1, _octet_length, True),
    ("array_length", 2, _array_length, True),
    ("cardinality", 1, _cardinality, True),
    ("array_to_string", 2, _array_to_string, True),
    ("array_to_string", 3, _array_to_string, True),
    ("array_append", 2, _array_append, True),
    ("array_prepend", 2, _array_prepend, True),
    ("array_cat", 2, _array_cat, True),
    ("array_position", 2, _array_position, True),
    ("array_remove", 2, _array_remove, True),
    ("pg_array_get", 2, _array_get, True),
    ("string_to_array", 2, _string_to_array, True),
    ("string_to_array", 3, _string_to_array, True),
    ("pg_array_contains", 2, _array_contains, True),
    ("pg_array_overlaps", 2, _array_overlaps, True),
    ("to_json", 1, _to_json, True),
    ("to_jsonb", 1, _to_json, True),
    ("json_typeof", 1, _json_typeof, True),
    ("jsonb_typeof", 1, _json_typeof, True),
    ("random", 0, _random, False),
    ("gen_random_uuid", 0, lambda: str(uuid.uuid4()), False),
    ("uuid_generate_v4", 0, lambda: str(uuid.uuid4()), False),
    ("pi", 0, lambda: math.pi, True),
    ("log", 1, _log, True),
    ("log", 2, _log, True),
)


# --- functions bound to the session -----------------------------------------------------------


def _bound(context: FunctionContext, conn: sqlite3.Connection) -> list[tuple[str, int, Any, bool]]:
    def now() -> str:
        return storage_timestamp(context.started)

    def clock() -> str:
        return storage_timestamp(datetime.now(UTC))

    def local_now() -> str:
        return storage_timestamp(context.started.astimezone(context.zone).replace(tzinfo=None))

    def current_date() -> str:
        return context.started.astimezone(context.zone).date().isoformat()

    def current_time() -> str:
        return context.started.astimezone(context.zone).time().isoformat()

    def start_of(name: str) -> Owner | None:
        """The column whose default is sequence ``name`` (None: none)."""
        return column_owner(conn, context.owners, context.owner_types, name)

    def sequence_of(name: Any) -> str:
        """The sequence ``name`` names: as PostgreSQL reads it (unquoted parts folded), or as
        written when that is a column's (``ddl.py`` writes ``nextval('Items_id_seq')`` for a
        serial column of table "Items")."""
        folded = unqualified(str(name))
        if folded in context.owners:
            return folded
        exact = unqualified_exact(str(name))
        return exact if exact in context.owners else folded

    def nextval(name: Any) -> int:
        sequence = sequence_of(name)
        value = context.sequences.next(conn, sequence, start_of(sequence))
        context.currvals[sequence] = value
        context.last_sequence = sequence
        context.drawn[sequence] = value
        return value

    def currval(name: Any) -> int:
        sequence = sequence_of(name)
        if sequence not in context.currvals:
            raise PostgresError(
                f'currval of sequence "{sequence}" is not yet defined in this session', "55000"
            )
        return context.currvals[sequence]

    def lastval() -> int:
        if context.last_sequence is None:
            raise PostgresError("lastval is not yet defined in this session", "55000")
        return context.currvals[context.last_sequence]

    def setval(name: Any, value: Any, is_called: Any = 1) -> int:
        sequence = sequence_of(name)
        context.sequences.assign(
            conn, sequence, int(value), start_of(sequence), called=bool(is_called)
        )
        if is_called:
            context.currvals[sequence] = int(value)
        return int(value)

    def stored_value(name: Any) -> int:
        sequence = sequence_of(name)
        return context.sequences.state(conn, sequence, start_of(sequence))[0]

    def last_value(name: Any) -> int | None:
        sequence = sequence_of(name)
        value, called = context.sequences.state(conn, sequence, start_of(sequence))
        return value if called else None

    def is_called(name: Any) -> int:
        sequence = sequence_of(name)
        return int(context.sequences.state(conn, sequence, start_of(sequence))[1])

    def sequence_ddl(statement: str) -> str:
        given = json.loads(statement)
        name, flag = given["name"], bool(given["flag"])
        sequences = context.sequences
        changes = changes_from(given.get("changes", {}))
        skipped = None
        if given["op"] == "create":
            owned = name in context.owners
            skipped = sequences.define(conn, name, changes, if_not_exists=flag, owned=owned)
        elif given["op"] == "column":
            sequences.attach(conn, name, changes)
        elif given["op"] == "alter":
            skipped = sequences.alter(conn, name, changes, start_of(name), if_exists=flag)
        else:
            skipped = sequences.drop(conn, name, context.owners.get(name), if_exists=flag)
        if skipped is not None:
            context.notices.append((skipped, None))
        return ""

    def pg_cast(value: Any, type_oid: int, typmod: int) -> Any:
        return cast_value(value, PgType(type_oid, typmod), context.zone)

    def pg_sleep(seconds: Any) -> str:
        context.sleep(float(seconds or 0))
        return ""  # void: an empty, non-null value

    return [
        ("pg_sleep", 1, pg_sleep, False),
        ("now", 0, now, False),
        ("transaction_timestamp", 0, now, False),
        ("statement_timestamp", 0, clock, False),
        ("clock_timestamp", 0, clock, False),
        ("pg_localtimestamp", 0, local_now, False),
        ("pg_current_date", 0, current_date, False),
        ("pg_current_time", 0, current_time, False),
        ("nextval", 1, nextval, False),
        ("currval", 1, currval, False),
        ("lastval", 0, lastval, False),
        ("setval", 2, setval, False),
        ("setval", 3, setval, False),
        ("pg_sequence_last_value", 1, last_value, False),
        ("pg_sequence_state_value", 1, stored_value, False),
        ("pg_sequence_is_called", 1, is_called, False),
        ("pg_sequence_ddl", 1, sequence_ddl, False),
        ("pg_cast", 3, pg_cast, True),
        ("current_user", 0, lambda: context.user, False),
        ("session_user", 0, lambda: context.user, False),
        ("current_database", 0, lambda: context.database, False),
        ("current_schema", 0, lambda: "public", True),
    ]


#: Names bound to the session by `_bound` (listed here for routing decisions).
_BOUND_NAMES: Final = frozenset(
    {
        "pg_sleep",
        "now",
        "transaction_timestamp",
        "statement_timestamp",
        "clock_timestamp",
        "pg_localtimestamp",
        "pg_current_date",
        "pg_current_time",
        "nextval",
        "currval",
        "lastval",
        "setval",
        "pg_sequence_last_value",
        "pg_sequence_state_value",
        "pg_sequence_is_called",
        "pg_sequence_ddl",
        "pg_cast",
        "current_user",
        "session_user",
        "current_database",
        "current_schema",
    }
)
#: Every function this module installs.
#: Aggregates: (name, class with ``step`` and ``finalize``).
_AGGREGATES: Final = (("pg_interval_max", _IntervalExtreme), ("pg_interval_min", _IntervalMin))
REGISTERED: Final = (
    frozenset({name for name, *_ in _SCALARS})
    | _BOUND_NAMES
    | frozenset(name for name, _ in _AGGREGATES)
)


def register_functions(conn: sqlite3.Connection, context: FunctionContext) -> None:
    """Install every function of this module on ``conn``, bound to ``context``."""
    for name, arity, function, deterministic in (*_SCALARS, *_bound(context, conn)):
        conn.create_function(name, arity, _guarded(context, function), deterministic=deterministic)
    for name, aggregate in _AGGREGATES:
        conn.create_aggregate(name, 1, aggregate)
