"""The state of an application's sequences: what ``SELECT last_value, is_called FROM seq`` reads.

A handler application describes ``serial`` columns (or ``DEFAULT nextval('seq')``); the catalog
emulation then shows their sequences (``\\ds``, pg_dump's ``CREATE SEQUENCE`` and ``OWNED BY``),
but the numbers they hand out are the application's.  PostgreSQL keeps a sequence as a one-row
relation, and clients read that row: pg_dump 15 sends ``SELECT last_value, is_called FROM
public.items_id_seq`` for every sequence whose data it dumps and writes ``setval(...)`` from the
answer, so the restored sequence continues where the dumped one stood.  Monitoring tools read
``pg_sequences.last_value`` and ``pg_sequence_last_value(regclass)``.  All of these are answered
by the catalog, from the states the handler hook ``sequence_state`` gives (see
``catalog/sequences.py``); the hook may return

* a `SequenceState` or a ``(last_value, is_called)`` pair;
* an ``int``: the last value handed out (``is_called`` true);
* None: nothing was handed out yet (``last_value`` is the start value, ``is_called`` false).

The default, for a sequence that numbers a column, is derived from the application's data: the
largest value of the column, read with ``SELECT <column> FROM <table>`` through the
application's own SELECT handling (``query_tables``), as a client would read it.  Why this
default and its limits:

* it is what a dump needs: the restored sequence continues after every dumped row, so the
  first insert after a restore does not collide with a restored key;
* it costs a scan of the table whenever the sequence is read (pg_dump reads each sequence once;
  ``pg_sequences`` reads all of them), through the application's hook, which sees an ordinary
  query;
* it is a lower bound: numbers handed out to rows since deleted are not seen.  An application
  with a counter of its own should override ``sequence_state`` and report it (the inventory
  example does);
* a table without rows, or whose largest value is below the start value (which ``setval``
  would refuse), reads as a fresh sequence;
* an error the application raises for that SELECT is the error of the query reading the
  sequence: a state cannot be made up without risking a restored key being handed out again.

A sequence that numbers no column has no data to look at and reads as fresh.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterable, Iterable
from typing import Any, Final

from txpostgres_proto.catalog.sequences import SequenceInfo, SequenceState

__all__ = [
    "SequenceInfo",
    "SequenceState",
    "as_sequence_state",
    "highest_value",
    "max_query",
    "state_after",
]

_PLAIN_NAME: Final = re.compile(r"[a-z_][a-z0-9_]*")
#: Words that cannot be an unquoted table or column name (the reserved ones clients meet).
_RESERVED: Final = frozenset(
    "all analyse analyze and any array as asc asymmetric both case cast check collate column "
    "constraint create current_catalog current_date current_role current_time "
    "current_timestamp current_user default deferrable desc distinct do else end except false "
    "fetch for foreign from grant group having in initially intersect into lateral leading "
    "limit localtime localtimestamp not null offset on only or order placing primary "
    "references returning select session_user some symmetric table then to trailing true "
    "union unique user using variadic when where window with".split()
)


def _identifier(name: str) -> str:
    """``name`` as SQL: bare when PostgreSQL would read it back unchanged, else quoted."""
    if _PLAIN_NAME.fullmatch(name) and name not in _RESERVED:
        return name
    return '"' + name.replace('"', '""') + '"'


def max_query(sequence: SequenceInfo) -> str | None:
    """The SELECT reading the column ``sequence`` numbers (None when it numbers none)."""
    if sequence.table is None or sequence.column is None:
        return None
    table = _identifier(sequence.table)
    if sequence.schema != "public":
        table = f"{_identifier(sequence.schema)}.{table}"
    return f"SELECT {_identifier(sequence.column)} FROM {table}"


async def highest_value(rows: Iterable[Any] | AsyncIterable[Any]) -> int | None:
    """The largest integer in the first column of ``rows`` (None when there is none)."""
    highest: int | None = None

    def see(row: Any) -> None:
        nonlocal highest
        value = row[0]
        if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            value = int(value)  # a column the application described by name only
        if isinstance(value, int) and not isinstance(value, bool):
            highest = value if highest is None else max(highest, value)

    if isinstance(rows, AsyncIterable):
        async for row in rows:
            see(row)
    else:
        for row in rows:
            see(row)
    return highest


def as_sequence_state(value: Any, sequence: SequenceInfo) -> SequenceState:
    """What ``sequence_state`` returned, as a `SequenceState` (see the module docstring)."""
    if value is None:
        return SequenceState.fresh(sequence)
    if isinstance(value, SequenceState):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return SequenceState(value, True)
    if isinstance(value, tuple | list) and len(value) == 2:
        last_value, is_called = value
        if isinstance(last_value, int) and not isinstance(last_value, bool):
            if isinstance(is_called, int):  # bool, or 0/1
                return SequenceState(last_value, bool(is_called))
    raise TypeError(
        "sequence_state() must return a SequenceState, (last_value, is_called), an int or "
        f"None, not {value!r}"
    )


def state_after(highest: int | None, sequence: SequenceInfo) -> SequenceState:
    """The state of a sequence whose column's largest value is ``highest``."""
    if highest is None or highest < sequence.start:
        return SequenceState.fresh(sequence)
    return SequenceState(highest, True)
