"""The utility statements a server answers itself, as small frozen dataclasses.

`parse_utility` turns SET, SHOW, RESET, transaction control, DISCARD, LISTEN/NOTIFY, PREPARE/
EXECUTE/DEALLOCATE, cursors and COPY into these objects, so the server can keep its session state
(settings, transaction block, prepared statements, portals, channels) without parsing SQL itself.
Values follow PostgreSQL's own normalisation: names folded, strings unquoted, numbers as typed.

Every class has a ``tag``: the command name to pass to `command_tag` (``DISCARD ALL``,
``START TRANSACTION``, ``FETCH`` ...).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, TypeAlias

from .statement_info import TableRef, Value

__all__ = [
    "CloseStatement",
    "CopyStatement",
    "DeallocateStatement",
    "DeclareCursorStatement",
    "DiscardStatement",
    "ExecuteStatement",
    "FetchStatement",
    "ListenStatement",
    "NotifyStatement",
    "PrepareStatement",
    "ResetStatement",
    "SetConstraintsStatement",
    "SetStatement",
    "SetTransactionStatement",
    "ShowStatement",
    "TransactionStatement",
    "UnlistenStatement",
    "UtilityStatement",
    "quote_identifier",
]

#: Settings whose list elements PostgreSQL quotes as identifiers when joining them
#: (GUC_LIST_QUOTE).
LIST_QUOTE_SETTINGS = frozenset(
    {
        "search_path",
        "temp_tablespaces",
        "local_preload_libraries",
        "session_preload_libraries",
        "shared_preload_libraries",
    }
)
_SAFE_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


def quote_identifier(name: str) -> str:
    """Quote ``name`` unless it is a plain lower-case identifier (PostgreSQL's
    ``quote_identifier``, without the keyword check)."""
    if _SAFE_IDENTIFIER.fullmatch(name):
        return name
    return '"' + name.replace('"', '""') + '"'


@dataclass(frozen=True, slots=True)
class SetStatement:
    """``SET [SESSION | LOCAL] name {TO | =} value [, ...] | DEFAULT`` and the special forms
    ``SET TIME ZONE`` (name ``timezone``), ``SET NAMES`` (``client_encoding``), ``SET SCHEMA``
    (``search_path``), ``SET ROLE`` (``role``), ``SET SESSION AUTHORIZATION``
    (``session_authorization``), ``SET XML OPTION`` (``xmloption``) and ``SET TRANSACTION
    SNAPSHOT`` (``transaction_snapshot``).

    Attributes:
        name: the setting, lower-cased (``myapp.key`` for a custom one).
        values: the values as PostgreSQL flattens them: identifiers lower-cased, strings
            unquoted, numbers as written (``-1``, ``1.50``), ``TRUE``/``ON`` as ``true``/``on``.
            ``SET TIME ZONE INTERVAL '+02:00' HOUR TO MINUTE`` gives the interval string.
        local: SET LOCAL (only for the current transaction).
        is_default: ``TO DEFAULT`` (also ``SET TIME ZONE LOCAL``, bare ``SET NAMES``): reset.
        from_current: ``FROM CURRENT``: keep the current value.
    """

    name: str
    values: tuple[str, ...] = ()
    local: bool = False
    is_default: bool = False
    from_current: bool = False
    tag: ClassVar[str] = "SET"

    @property
    def value(self) -> str | None:
        """The values joined the way SHOW displays them (``"$user", public``); None for
        DEFAULT and FROM CURRENT."""
        if self.is_default or self.from_current:
            return None
        if self.name in LIST_QUOTE_SETTINGS:
            return ", ".join(quote_identifier(value) for value in self.values)
        return ", ".join(self.values)


@dataclass(frozen=True, slots=True)
class SetTransactionStatement:
    """``SET TRANSACTION modes`` or ``SET SESSION CHARACTERISTICS AS TRANSACTION modes``.

    Attributes:
        isolation: ``serializable``, ``repeatable read``, ``read committed``,
            ``read uncommitted`` or None.
        read_only: True for READ ONLY, False for READ WRITE, None if not given.
        deferrable: True for DEFERRABLE, False for NOT DEFERRABLE, None if not given.
        session: True for SESSION CHARACTERISTICS (the ``default_transaction_*`` settings).
    """

    isolation: str | None = None
    read_only: bool | None = None
    deferrable: bool | None = None
    session: bool = False
    tag: ClassVar[str] = "SET"


@dataclass(frozen=True, slots=True)
class SetConstraintsStatement:
    """``SET CONSTRAINTS {ALL | name [, ...]} {DEFERRED | IMMEDIATE}``.

    Attributes:
        names: the constraint names, or None for ALL.
        deferred: True for DEFERRED, False for IMMEDIATE.
    """

    names: tuple[str, ...] | None
    deferred: bool
    tag: ClassVar[str] = "SET CONSTRAINTS"


@dataclass(frozen=True, slots=True)
class ResetStatement:
    """``RESET name | ALL``: ``name`` is lower-cased, ``"all"`` for RESET ALL, ``timezone`` for
    RESET TIME ZONE, ``transaction_isolation`` for RESET TRANSACTION ISOLATION LEVEL,
    ``session_authorization`` for RESET SESSION AUTHORIZATION."""

    name: str
    tag: ClassVar[str] = "RESET"


@dataclass(frozen=True, slots=True)
class ShowStatement:
    """``SHOW name | ALL``, with the same special names as `ResetStatement`."""

    name: str
    tag: ClassVar[str] = "SHOW"


@dataclass(frozen=True, slots=True)
class TransactionStatement:
    """Transaction control: BEGIN / START TRANSACTION, COMMIT / END, ROLLBACK / ABORT,
    SAVEPOINT, RELEASE, ROLLBACK TO, and two-phase PREPARE TRANSACTION / COMMIT PREPARED /
    ROLLBACK PREPARED.

    Attributes:
        kind: ``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``, ``RELEASE``, ``ROLLBACK TO``,
            ``PREPARE TRANSACTION``, ``COMMIT PREPARED`` or ``ROLLBACK PREPARED``.
        isolation, read_only, deferrable: BEGIN's transaction modes, as in
            `SetTransactionStatement`.
        savepoint: the savepoint name of SAVEPOINT, RELEASE and ROLLBACK TO.
        chain: ``AND CHAIN`` of COMMIT or ROLLBACK.
        gid: the transaction identifier of the two-phase commands.
        start_transaction: BEGIN was written as START TRANSACTION (its tag differs).
    """

    kind: str
    isolation: str | None = None
    read_only: bool | None = None
    deferrable: bool | None = None
    savepoint: str | None = None
    chain: bool = False
    gid: str | None = None
    start_transaction: bool = False

    @property
    def tag(self) -> str:
        """The command tag: ``START TRANSACTION`` when written so, ``ROLLBACK`` for ROLLBACK
        TO; COMMIT of a failed transaction reports ``ROLLBACK`` (see `command_tag`)."""
        if self.start_transaction:
            return "START TRANSACTION"
        return "ROLLBACK" if self.kind == "ROLLBACK TO" else self.kind


@dataclass(frozen=True, slots=True)
class DiscardStatement:
    """``DISCARD ALL | PLANS | SEQUENCES | TEMP``: ``target`` is one of those words."""

    target: str

    @property
    def tag(self) -> str:
        """``DISCARD ALL``, ``DISCARD PLANS`` ..."""
        return f"DISCARD {self.target}"


@dataclass(frozen=True, slots=True)
class ListenStatement:
    """``LISTEN channel``."""

    channel: str
    tag: ClassVar[str] = "LISTEN"


@dataclass(frozen=True, slots=True)
class UnlistenStatement:
    """``UNLISTEN channel | *``: ``channel`` is None for ``*``."""

    channel: str | None
    tag: ClassVar[str] = "UNLISTEN"


@dataclass(frozen=True, slots=True)
class NotifyStatement:
    """``NOTIFY channel [, 'payload']``."""

    channel: str
    payload: str | None = None
    tag: ClassVar[str] = "NOTIFY"


@dataclass(frozen=True, slots=True)
class DeallocateStatement:
    """``DEALLOCATE [PREPARE] name | ALL``: ``name`` is None for ALL."""

    name: str | None

    @property
    def tag(self) -> str:
        """``DEALLOCATE`` or ``DEALLOCATE ALL``."""
        return "DEALLOCATE" if self.name is not None else "DEALLOCATE ALL"


@dataclass(frozen=True, slots=True)
class PrepareStatement:
    """``PREPARE name [(type, ...)] AS statement``.

    Attributes:
        name: the prepared statement's name.
        param_types: PostgreSQL's names of the declared parameter types (``int`` is ``int4``).
        statement: the text of the prepared statement.
    """

    name: str
    param_types: tuple[str, ...]
    statement: str
    tag: ClassVar[str] = "PREPARE"


@dataclass(frozen=True, slots=True)
class ExecuteStatement:
    """``EXECUTE name [(argument, ...)]``; arguments are `Value` s.  Its command tag is that
    of the prepared statement (``SELECT 3`` ...), so ``tag`` only names the command."""

    name: str
    args: tuple[Value, ...] = ()
    tag: ClassVar[str] = "EXECUTE"


@dataclass(frozen=True, slots=True)
class DeclareCursorStatement:
    """``DECLARE name [BINARY] [ASENSITIVE | INSENSITIVE] [[NO] SCROLL] CURSOR
    [{WITH | WITHOUT} HOLD] FOR query``.

    Attributes:
        name: the cursor (portal) name.
        query: the text of the query.
        binary: BINARY: rows in binary format.
        scroll: True for SCROLL, False for NO SCROLL, None if not given.
        hold: WITH HOLD: the cursor survives the transaction.
        insensitive: INSENSITIVE was given.
    """

    name: str
    query: str
    binary: bool = False
    scroll: bool | None = None
    hold: bool = False
    insensitive: bool = False
    tag: ClassVar[str] = "DECLARE CURSOR"


@dataclass(frozen=True, slots=True)
class FetchStatement:
    """``FETCH`` or ``MOVE`` ``[direction] [FROM | IN] cursor``, normalised the way PostgreSQL
    does: NEXT is FORWARD 1, PRIOR is BACKWARD 1, FIRST is ABSOLUTE 1, LAST is ABSOLUTE -1,
    a bare count n is FORWARD n, ALL is FORWARD ALL.

    Attributes:
        kind: ``FETCH`` or ``MOVE``.
        direction: ``FORWARD``, ``BACKWARD``, ``ABSOLUTE`` or ``RELATIVE``.
        count: the row count or position; None for ALL.
        cursor: the cursor name.
    """

    kind: str
    direction: str
    count: int | None
    cursor: str

    @property
    def tag(self) -> str:
        """``FETCH`` or ``MOVE`` (the tag adds the row count)."""
        return self.kind


@dataclass(frozen=True, slots=True)
class CloseStatement:
    """``CLOSE name | ALL``: ``name`` is None for ALL."""

    name: str | None

    @property
    def tag(self) -> str:
        """``CLOSE CURSOR`` or ``CLOSE CURSOR ALL``."""
        return "CLOSE CURSOR" if self.name is not None else "CLOSE CURSOR ALL"


@dataclass(frozen=True, slots=True)
class CopyStatement:
    """``COPY table [(columns)] | (query)  FROM | TO  'file' | PROGRAM 'command' | STDIN |
    STDOUT  [[WITH] (options) | old-style options] [WHERE condition]``.

    Attributes:
        table: the table, or None when copying a query's result.
        columns: the column list (empty for all columns).
        query: the query text of ``COPY (query) TO``, else None.
        direction: ``FROM`` (into the table) or ``TO``.
        filename: the file or program, or None for STDIN/STDOUT (the protocol's copy modes).
        program: True for PROGRAM.
        options: ``(name, value)`` pairs, names lower-cased; the old syntax is mapped to the
            new one (``CSV`` is ``("format", "csv")``, ``FORCE QUOTE *`` is
            ``("force_quote", "*")``); value None means the option was given without one,
            a tuple holds a column list.
        where: the WHERE condition text of COPY FROM, else None.
    """

    table: TableRef | None
    columns: tuple[str, ...]
    query: str | None
    direction: str
    filename: str | None = None
    program: bool = False
    options: tuple[tuple[str, str | tuple[str, ...] | None], ...] = ()
    where: str | None = None
    tag: ClassVar[str] = "COPY"

    @property
    def format(self) -> str:
        """``text``, ``csv`` or ``binary``."""
        value = self.option("format")
        return value.lower() if isinstance(value, str) else "text"

    def option(self, name: str) -> str | tuple[str, ...] | None:
        """The value of option ``name`` (the last one given), or None."""
        found = None
        for key, value in self.options:
            if key == name:
                found = value
        return found


#: What `parse_utility` returns.
UtilityStatement: TypeAlias = (
    SetStatement
    | SetTransactionStatement
    | SetConstraintsStatement
    | ResetStatement
    | ShowStatement
    | TransactionStatement
    | DiscardStatement
    | ListenStatement
    | UnlistenStatement
    | NotifyStatement
    | DeallocateStatement
    | PrepareStatement
    | ExecuteStatement
    | DeclareCursorStatement
    | FetchStatement
    | CloseStatement
    | CopyStatement
)
