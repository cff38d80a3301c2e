"""``CREATE``, ``ALTER`` and ``DROP SEQUENCE`` onto the sequence table (``sequences.py``).

The statement is read here, at translation (PostgreSQL docs, "CREATE SEQUENCE", "ALTER
SEQUENCE", "DROP SEQUENCE")::

    CREATE [TEMP|UNLOGGED] SEQUENCE [IF NOT EXISTS] name [AS type] [INCREMENT [BY] n]
        [MINVALUE n | NO MINVALUE] [MAXVALUE n | NO MAXVALUE] [START [WITH] n] [CACHE n]
        [[NO] CYCLE] [OWNED BY table.column | OWNED BY NONE]
    ALTER SEQUENCE [IF EXISTS] name  (the same options, and RESTART [[WITH] n]) | OWNER TO …
    DROP SEQUENCE [IF EXISTS] name [, …] [CASCADE | RESTRICT]

and becomes one SQLite statement calling the session's ``pg_sequence_ddl`` function
(``functions.py``) with the parsed statement as JSON: what a statement means depends on the
sequence's current options and on the columns using it, which only running it can see, and
PostgreSQL's errors (22023 for options that do not fit, 42P07, 42P01, 2BP01) come from there.
A sequence's schema is ignored (one schema: ``public``); ``OWNER TO`` is accepted and needs
nothing; ``RENAME`` and ``SET SCHEMA`` are refused with 0A000.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.sequences import OptionChanges

if TYPE_CHECKING:
    from txpostgres_proto.sqlite.reflect import Schema

__all__ = [
    "changes_from",
    "column_sequence",
    "read_changes",
    "sequence_statement",
    "unqualified",
    "unqualified_exact",
]

_NAME: Final = r'((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))*)'
_CREATE: Final = re.compile(
    r"^CREATE\s+(?:(?:TEMP|TEMPORARY|UNLOGGED)\s+)?SEQUENCE\s+(IF\s+NOT\s+EXISTS\s+)?"
    + _NAME
    + r"(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_ALTER: Final = re.compile(
    r"^ALTER\s+SEQUENCE\s+(IF\s+EXISTS\s+)?" + _NAME + r"(.*)$", re.IGNORECASE | re.DOTALL
)
_DROP: Final = re.compile(r"^DROP\s+SEQUENCE\s+(IF\s+EXISTS\s+)?(.*)$", re.IGNORECASE | re.DOTALL)
#: A word or ``[schema.]table.column`` (any part quoted), a signed integer, or one character.
_TOKEN: Final = re.compile(
    r'[-+]?\s*\d+|(?:"(?:[^"]|"")*"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")*"|[\w$]+))*|\S'
)
_TYPES: Final = {
    "smallint": "smallint",
    "int2": "smallint",
    "integer": "integer",
    "int": "integer",
    "int4": "integer",
    "bigint": "bigint",
    "int8": "bigint",
}


@lru_cache(maxsize=256)
def unqualified_exact(name: str) -> str:
    """The last part of ``[schema.]name``, unquoted but not folded."""
    parts = re.findall(r'"(?:[^"]|"")*"|[^."\s]+', name.strip())
    last = parts[-1] if parts else name
    return last[1:-1].replace('""', '"') if last.startswith('"') else last


@lru_cache(maxsize=256)
def unqualified(name: str) -> str:
    """A sequence's own name from ``[schema.]name`` (quoted parts kept, others folded)."""
    parts = re.findall(r'"(?:[^"]|"")*"|[^."\s]+', name.strip())
    last = parts[-1] if parts else name
    if last.startswith('"'):
        return last[1:-1].replace('""', '"')
    return last.lower()


def _syntax(token: str | None) -> PostgresError:
    if token is None:
        return PostgresError("syntax error at end of input", "42601")
    return PostgresError(f'syntax error at or near "{token}"', "42601")


class _Tokens:
    """The option words of a statement, read left to right."""

    def __init__(self, text: str) -> None:
        self._items = [token for token in _TOKEN.findall(text) if token != ";"]
        self._at = 0

    def peek(self) -> str | None:
        return self._items[self._at] if self._at < len(self._items) else None

    def word(self) -> str | None:
        found = self.peek()
        if found is not None:
            self._at += 1
        return found.lower() if found is not None and not found.startswith('"') else found

    def accept(self, *words: str) -> bool:
        found = self.peek()
        if found is not None and found.lower() in words:
            self._at += 1
            return True
        return False

    def number(self) -> str:
        """An integer, as written (`changes_from` reads it: the text a statement's literal
        is in stays as it was, ``templates.py``)."""
        found = self.peek()
        if found is None or not re.fullmatch(r"[-+]?\s*\d+", found):
            raise _syntax(found)
        self._at += 1
        return re.sub(r"\s+", "", found)

    def maybe_number(self) -> str | None:
        found = self.peek()
        return self.number() if found is not None and found[-1].isdigit() else None


def read_changes(text: str, *, altering: bool) -> dict[str, Any]:
    """The options of a CREATE (``altering`` false) or ALTER SEQUENCE statement, as
    `changes_from` takes them."""
    tokens = _Tokens(text)
    given: dict[str, Any] = {}
    while (word := tokens.word()) is not None:
        if word == "as":
            found = _TYPES.get((tokens.word() or "").lower())
            if found is None:
                raise PostgresError("sequence type must be smallint, integer, or bigint", "22023")
            given["data_type"] = found
        elif word == "increment":
            tokens.accept("by")
            given["increment"] = tokens.number()
        elif word in ("minvalue", "maxvalue"):
            given[word.replace("value", "_value")] = tokens.number()
        elif word == "no":
            what = tokens.word()
            if what in ("minvalue", "maxvalue"):
                given[what.replace("value", "_value")] = "default"
            elif what == "cycle":
                given["cycle"] = False
            else:
                raise _syntax(what)
        elif word == "start":
            tokens.accept("with")
            given["start"] = tokens.number()
        elif word == "restart" and altering:
            tokens.accept("with")
            value = tokens.maybe_number()
            given["restart"] = "start" if value is None else value
        elif word == "cache":
            given["cache"] = tokens.number()
        elif word == "cycle":
            given["cycle"] = True
        elif word == "owned":
            if not tokens.accept("by"):
                raise _syntax(tokens.peek())
            owner = tokens.word()
            if owner is None:
                raise _syntax(None)
            if owner == "none":
                given["owned_by"] = ""
            else:
                given["owned_by"], given["owned_column"] = _owner_column(owner)
        elif word in ("logged", "unlogged") or (
            word == "set" and tokens.accept("logged", "unlogged")
        ):
            continue
        else:
            raise _syntax(word)
    return given


#: The options whose values are integers (written as text in the statement's call).
_NUMBERS: Final = frozenset({"increment", "min_value", "max_value", "start", "restart", "cache"})


def changes_from(given: dict[str, Any]) -> OptionChanges:
    """The `OptionChanges` a ``pg_sequence_ddl`` call carries (its integers as text)."""
    read: dict[str, Any] = {
        key: int(value) if key in _NUMBERS and value not in ("default", "start") else value
        for key, value in given.items()
    }
    return OptionChanges(**read)


def _owner_column(column: str) -> tuple[str, str]:
    """(table, column) of ``OWNED BY [schema.]table.column``."""
    parts = re.findall(r'"(?:[^"]|"")*"|[^."\s]+', column)
    if len(parts) < 2:
        raise PostgresError(
            "invalid OWNED BY option",
            "42601",
            hint="Specify OWNED BY table.column or OWNED BY NONE.",
        )
    return unqualified(parts[-2]), unqualified(parts[-1])


def _call(operation: str, name: str, flag: bool, changes: dict[str, Any] | None = None) -> str:
    payload: dict[str, Any] = {"op": operation, "name": name, "flag": flag}
    if changes:
        payload["changes"] = changes
    text = json.dumps(payload, separators=(",", ":")).replace("'", "''")
    return f"SELECT pg_sequence_ddl('{text}')"


def column_sequence(name: str, options: dict[str, Any], *, unless_table: str | None) -> str:
    """The statement making the sequence of an identity column (``options``: its sequence
    options, ``owned_by``/``owned_column`` and ``identity``, as `changes_from` takes them),
    before its table is made: nothing when the table ``unless_table`` exists already (None:
    a column added to a table)."""
    call = _call("column", name, False, options)
    if unless_table is None:
        return call
    quoted = unless_table.replace("'", "''")
    return (
        f"{call} WHERE NOT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' "
        f"AND name = '{quoted}')"
    )


def _owner_in(changes: dict[str, Any], schema: Schema | None) -> dict[str, Any]:
    """``changes`` with the column of ``OWNED BY`` as the schema names it; 42P01 or 42703
    when it names no column of a relation (PostgreSQL's messages)."""
    table_name = changes.get("owned_by")
    if not table_name or schema is None:
        return changes
    table = schema.table(table_name)
    if table is None:
        raise PostgresError(f'relation "{table_name}" does not exist', "42P01")
    column = table.column(changes["owned_column"])
    if column is None:
        raise PostgresError(
            f'column "{changes["owned_column"]}" of relation "{table.name}" does not exist',
            "42703",
        )
    return {**changes, "owned_by": table.name, "owned_column": column[1].name}


def sequence_statement(
    text: str, schema: Schema | None = None
) -> tuple[str, tuple[str, ...]] | None:
    """(command tag, SQLite statements) of a CREATE/ALTER/DROP SEQUENCE statement, None for
    any other statement; ``schema`` (when given) has the table of an ``OWNED BY``."""
    created = _CREATE.match(text)
    if created is not None:
        exists, name, options = created.groups()
        changes = _owner_in(read_changes(options, altering=False), schema)
        return "CREATE SEQUENCE", (_call("create", unqualified(name), bool(exists), changes),)
    dropped = _DROP.match(text)
    if dropped is not None:
        exists, names = dropped.groups()
        listed = re.sub(r"\s+(CASCADE|RESTRICT)\s*$", "", names.strip(), flags=re.IGNORECASE)
        return "DROP SEQUENCE", tuple(
            _call("drop", unqualified(part), bool(exists))
            for part in re.findall(r'(?:"(?:[^"]|"")*"|[^,"])+', listed)
        )
    altered = _ALTER.match(text)
    if altered is None:
        return None
    exists, name, options = altered.groups()
    words = [word.lower() for word in re.findall(r"[A-Za-z_]+", options)[:2]]
    if words[:1] == ["owner"]:
        return "ALTER SEQUENCE", ()
    if words[:1] == ["rename"] or words == ["set", "schema"]:
        raise PostgresError("ALTER SEQUENCE ... RENAME/SET SCHEMA is not supported", "0A000")
    changes = _owner_in(read_changes(options, altering=True), schema)
    return "ALTER SEQUENCE", (_call("alter", unqualified(name), bool(exists), changes),)
