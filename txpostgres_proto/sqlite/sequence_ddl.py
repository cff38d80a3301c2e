"""``CREATE SEQUENCE`` and ``ALTER SEQUENCE`` as pg_dump writes them, onto the sequence table.

A plain ``pg_dump`` of PostgreSQL writes a serial column as a table, a separate sequence and a
default (PostgreSQL docs, "CREATE SEQUENCE", "ALTER SEQUENCE")::

    CREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1
        NO MINVALUE NO MAXVALUE CACHE 1;
    ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;
    ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);

The SQLite default keeps a sequence as a row of the sequence table (``functions.Sequences``)
and knows which column owns it from the column's ``nextval`` default (``reflect.py``).  So
``CREATE SEQUENCE`` (re)starts the row at its START value, not yet called (a new random
generation, negative, so every process forgets what it handed out under the old one),
``ALTER SEQUENCE ... RESTART [WITH n]``
does the same, and ``OWNED BY``, ``AS type``, ``CACHE``, ``NO MINVALUE``/``NO MAXVALUE`` and
``[NO] CYCLE`` are accepted and need nothing.  An increment other than 1 is refused (0A000):
the table counts by one.
"""

from __future__ import annotations

import re
from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.functions import SEQUENCE_TABLE

__all__ = ["sequence_statement"]

#: Random generations are below 2**62; negative: no value handed out since (``Sequences``).
#: ``random()`` is PostgreSQL's on the session's connection (``functions.py``): in [0, 1).
_GENERATIONS: Final = 2**62 - 1

_NAME: Final = r'((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))?)'
_CREATE: Final = re.compile(
    r"^CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?"
    + _NAME
    + r"(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_ALTER: Final = re.compile(
    r"^ALTER\s+SEQUENCE\s+(?:IF\s+EXISTS\s+)?" + _NAME + r"(.*)$", re.IGNORECASE | re.DOTALL
)
_START: Final = re.compile(r"\bSTART\s+(?:WITH\s+)?(-?\d+)", re.IGNORECASE)
_RESTART: Final = re.compile(r"\bRESTART(?:\s+(?:WITH\s+)?(-?\d+))?", re.IGNORECASE)
_INCREMENT: Final = re.compile(r"\bINCREMENT\s+(?:BY\s+)?(-?\d+)", re.IGNORECASE)


def _bare(name: str) -> str:
    """The sequence's own name, without schema and quotes (one schema: ``public``)."""
    last = re.split(r'\.(?=(?:[^"]*"[^"]*")*[^"]*$)', name)[-1].strip()
    if last.startswith('"'):
        return last[1:-1].replace('""', '"')
    return last.lower()


def _check_increment(options: str) -> None:
    increment = _INCREMENT.search(options)
    if increment is not None and int(increment.group(1)) != 1:
        raise PostgresError(
            "INCREMENT other than 1 is not supported: the SQLite backend counts by 1", "0A000"
        )


def _restart(name: str, start: int, *, keep_existing: bool = False) -> str:
    """The statement (re)starting ``name`` so that its next value is ``start``."""
    conflict = (
        "DO NOTHING"
        if keep_existing
        else "DO UPDATE SET last_value = excluded.last_value, generation = excluded.generation"
    )
    quoted = name.replace("'", "''")
    return (
        f"INSERT INTO {SEQUENCE_TABLE} (name, last_value, generation) "
        f"VALUES ('{quoted}', {start - 1}, -1 - CAST(random() * {_GENERATIONS} AS INTEGER)) "
        f"ON CONFLICT (name) {conflict}"
    )


def sequence_statement(text: str) -> tuple[str, tuple[str, ...]] | None:
    """(command tag, SQLite statements) of a CREATE/ALTER SEQUENCE statement, None for any
    other statement; 0A000 for what the sequence table cannot do."""
    created = _CREATE.match(text)
    if created is not None:
        exists, name, options = created.groups()
        _check_increment(options)
        start = _START.search(options)
        first = int(start.group(1)) if start is not None else 1
        return "CREATE SEQUENCE", (_restart(_bare(name), first, keep_existing=bool(exists)),)
    altered = _ALTER.match(text)
    if altered is None:
        return None
    name, options = altered.groups()
    words = {word.lower() for word in re.findall(r"[A-Za-z_]+", options)}
    if "owner" in words or "rename" in words or "schema" in words:
        if "owner" in words:
            return "ALTER SEQUENCE", ()
        raise PostgresError("ALTER SEQUENCE ... RENAME/SET SCHEMA is not supported", "0A000")
    _check_increment(options)
    restart = _RESTART.search(options)
    if restart is None:
        return "ALTER SEQUENCE", ()
    start = _START.search(options)
    value = restart.group(1) or (start.group(1) if start is not None else "1")
    return "ALTER SEQUENCE", (_restart(_bare(name), int(value)),)
