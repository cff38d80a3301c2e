"""The state of one authenticated connection, and the statements it answers itself.

A `Session` is what a backend receives in ``connection_made``: who is connected (user,
database, application_name, peer address, TLS), the cancel key, the settings (GUCs, see
``settings.py``), the transaction status, the prepared statements and portals of the extended
protocol, and a way to send notices.  It satisfies the catalog's ``SessionInfo`` protocol
(``user``, ``database``, ``backend_pid``, ``get_setting``, ``set_setting``, ``all_settings``),
so ``current_setting()``, ``set_config()`` and ``pg_settings`` see the same values as SHOW.

It also executes the utility statements that belong to the connection rather than to the
application (``utility.py``): SET/SHOW/RESET, DISCARD, DEALLOCATE and transaction control.
Transaction control follows PostgreSQL's rules (``xact.c``): WARNING 25001 for BEGIN inside a
block, WARNING 25P01 for COMMIT/ROLLBACK outside one, COMMIT of a failed block answers
ROLLBACK, savepoints form a stack, and a failed block refuses everything but COMMIT/ROLLBACK
(25P02).  The backend is told about each transaction command through
``backend.transaction(command, savepoint)`` so one with real transactions can follow.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import FIELD_CODES, PostgresError
from txpostgres_proto.protocol.messages import TransactionStatus
from txpostgres_proto.types import DEFAULT_REGISTRY, TypeRegistry, oids

from .backend import QueryResult, ResultColumn
from .settings import Settings, flatten_set_values
from .utility import (
    Deallocate,
    Discard,
    NoOperation,
    Reset,
    SetTransaction,
    SetVariable,
    Show,
    TransactionControl,
    UtilityStatement,
)

if TYPE_CHECKING:
    from .extended import Portal, PreparedStatement

__all__ = ["Session", "transaction_exit_allowed"]

#: Calls a backend method the protocol's way (maybeDeferred, cancellable); set by the protocol.
BackendCaller = Callable[..., Deferred[Any]]


def transaction_exit_allowed(statement: UtilityStatement | None) -> bool:
    """True for the statements a failed transaction block still accepts (IsTransactionExitStmt)."""
    return isinstance(statement, TransactionControl) and statement.command in (
        "COMMIT",
        "ROLLBACK",
        "ROLLBACK TO",
    )


def _text_columns(*names: str) -> tuple[ResultColumn, ...]:
    return tuple(ResultColumn(name, oids.TEXT) for name in names)


class Session:
    """One connection's identity, settings, transaction state and extended-query objects."""

    def __init__(
        self,
        *,
        user: str,
        database: str,
        process_id: int,
        secret_key: bytes,
        settings: Settings,
        peer: object = None,
        tls: bool = False,
        startup_parameters: Mapping[str, str] | None = None,
        registry: TypeRegistry = DEFAULT_REGISTRY,
    ) -> None:
        self.user = user
        self.database = database
        self.process_id = process_id
        self.secret_key = secret_key
        self.settings = settings
        self.peer = peer
        self.tls = tls
        self.startup_parameters = dict(startup_parameters or {})
        self.registry = registry
        self.transaction_status = TransactionStatus.IDLE
        self.statements: dict[str, PreparedStatement] = {}
        self.portals: dict[str, Portal] = {}
        self.pending_notices: list[dict[str, str]] = []
        #: Closes every portal (their row iterators) and forgets them; set by the protocol.
        self.close_portals: Callable[[], None] = self.portals.clear
        self._savepoints: list[tuple[str, int]] = []
        self._call_backend: BackendCaller | None = None
        self._backend: Any = None

    def attach(self, backend: Any, call_backend: BackendCaller) -> None:
        """Connect the session to its backend and the protocol's way of calling it."""
        self._backend = backend
        self._call_backend = call_backend

    # -- identity (also the catalog's SessionInfo) ----------------------------------------

    @property
    def backend_pid(self) -> int:
        return self.process_id

    @property
    def application_name(self) -> str:
        return self.settings.get("application_name")

    @property
    def timezone(self) -> str:
        """The session's TimeZone, for timestamptz codecs."""
        return self.settings.get("TimeZone")

    @property
    def in_transaction_block(self) -> bool:
        return self.transaction_status is not TransactionStatus.IDLE

    @property
    def failed(self) -> bool:
        return self.transaction_status is TransactionStatus.FAILED

    def get_setting(self, name: str) -> str | None:
        """The value of setting ``name`` as SHOW prints it, or None when there is no such one."""
        return self.settings.find(name)

    def set_setting(self, name: str, value: str, is_local: bool = False) -> None:
        """Change a setting (``set_config``); PostgresError for unknown names or bad values."""
        self.settings.set(name, value, local=is_local and self.in_transaction_block)

    def current_setting(self, name: str, missing_ok: bool = False) -> str | None:
        """``current_setting(name [, missing_ok])``: 42704 for an unknown name unless missing_ok."""
        if missing_ok:
            return self.settings.find(name)
        return self.settings.get(name)

    def set_config(self, name: str, value: str, is_local: bool) -> str:
        """``set_config(name, value, is_local)``: returns the new value as SHOW prints it."""
        self.set_setting(name, value, is_local)
        return self.settings.get(name)

    def all_settings(self) -> Iterable[tuple[str, str]]:
        return self.settings.items()

    # -- notices ---------------------------------------------------------------------------

    def notice(
        self, message: str, sqlstate: str = "00000", *, severity: str = "NOTICE", **fields: str
    ) -> None:
        """Queue a NoticeResponse; it is sent before the current statement's CommandComplete."""
        notice = {"S": severity, "V": severity, "C": sqlstate, "M": message}
        for name, value in fields.items():
            notice[FIELD_CODES[name]] = value
        self.pending_notices.append(notice)

    def _warning(self, message: str, sqlstate: str) -> None:
        self.notice(message, sqlstate, severity="WARNING")

    # -- implicit transactions -------------------------------------------------------------

    def statement_failed(self) -> None:
        """An error ended the current statement: a block fails, an implicit one is undone."""
        if self.in_transaction_block:
            self.transaction_status = TransactionStatus.FAILED
        else:
            self.settings.rollback()

    def end_implicit_transaction(self) -> None:
        """ReadyForQuery outside a block: the implicit transaction (if any) commits."""
        if not self.in_transaction_block:
            self.settings.commit()
            self.close_portals()

    def start_implicit_transaction(self) -> None:
        """A statement runs outside a block: settings changes become undoable until it ends."""
        if not self.in_transaction_block:
            self.settings.begin()

    # -- utility statements ----------------------------------------------------------------

    async def execute_utility(self, statement: UtilityStatement) -> QueryResult:
        """Run a session statement; PostgresError for what PostgreSQL would refuse."""
        if isinstance(statement, TransactionControl):
            return await self._transaction(statement)
        if isinstance(statement, SetVariable):
            return self._set(statement)
        if isinstance(statement, Show):
            return self._show(statement)
        if isinstance(statement, Reset):
            if statement.name is None:
                self.settings.reset_all()
            else:
                self.settings.reset(statement.name)
            return QueryResult(command_tag="RESET")
        if isinstance(statement, SetTransaction):
            return self._set_transaction(statement)
        if isinstance(statement, Discard):
            return self._discard(statement)
        if isinstance(statement, Deallocate):
            return self._deallocate(statement)
        assert isinstance(statement, NoOperation)
        return QueryResult(command_tag=statement.tag)

    def _set(self, statement: SetVariable) -> QueryResult:
        local = statement.local
        if local and not self.in_transaction_block:
            self._warning("SET LOCAL can only be used in transaction blocks", "25P01")
        value = (
            None
            if statement.values is None
            else flatten_set_values(statement.name, statement.values)
        )
        self.settings.set(statement.name, value, local=local)
        return QueryResult(command_tag="SET")

    def _show(self, statement: Show) -> QueryResult:
        if statement.name is None:
            return QueryResult(
                columns=_text_columns("name", "setting", "description"),
                rows=self.settings.show_all(),
                command_tag="SHOW",
            )
        name = self.settings.canonical_name(statement.name)
        value = self.settings.get(statement.name)
        return QueryResult(columns=_text_columns(name), rows=[(value,)], command_tag="SHOW")

    def _set_transaction(self, statement: SetTransaction) -> QueryResult:
        if statement.session_characteristics:
            for name, value in statement.modes.items():
                self.settings.set(f"default_{name}", value)
            return QueryResult(command_tag="SET")
        if not self.in_transaction_block:
            self._warning("SET TRANSACTION can only be used in transaction blocks", "25P01")
        for name, value in statement.modes.items():
            self.settings.set(name, value, local=True)
        return QueryResult(command_tag="SET")

    def _discard(self, statement: Discard) -> QueryResult:
        if statement.what == "ALL":
            if self.in_transaction_block:
                raise PostgresError("DISCARD ALL cannot run inside a transaction block", "25001")
            self.settings.reset_all()
            self.close_portals()
            self._drop_named_statements()
        return QueryResult(command_tag=f"DISCARD {statement.what}")

    def _drop_named_statements(self) -> None:
        for name in [name for name in self.statements if name]:
            del self.statements[name]

    def _deallocate(self, statement: Deallocate) -> QueryResult:
        if statement.name is None:
            self._drop_named_statements()
            return QueryResult(command_tag="DEALLOCATE ALL")
        if self.statements.pop(statement.name, None) is None:
            raise PostgresError(f'prepared statement "{statement.name}" does not exist', "26000")
        return QueryResult(command_tag="DEALLOCATE")

    # -- transaction control ---------------------------------------------------------------

    async def _tell_backend(self, command: str, savepoint: str | None = None) -> None:
        method = getattr(self._backend, "transaction", None)
        if method is None or self._call_backend is None:
            return
        await self._call_backend(method, command, savepoint)

    async def _transaction(self, statement: TransactionControl) -> QueryResult:
        command = statement.command
        status = self.transaction_status
        if command == "BEGIN":
            if status is not TransactionStatus.IDLE:
                self._warning("there is already a transaction in progress", "25001")
            else:
                await self._tell_backend("BEGIN")
                self.settings.begin()
                self.transaction_status = TransactionStatus.IN_TRANSACTION
                self._savepoints.clear()
            for name, value in statement.modes.items():
                self.settings.set(name, value, local=True)
            return QueryResult(command_tag=statement.tag)
        if command in ("COMMIT", "ROLLBACK"):
            return await self._end_block(statement)
        if status is TransactionStatus.IDLE:
            what = {"SAVEPOINT": "SAVEPOINT", "RELEASE": "RELEASE SAVEPOINT"}.get(
                command, "ROLLBACK TO SAVEPOINT"
            )
            raise PostgresError(f"{what} can only be used in transaction blocks", "25P01")
        assert statement.savepoint is not None
        if command == "SAVEPOINT":
            await self._tell_backend("SAVEPOINT", statement.savepoint)
            self._savepoints.append((statement.savepoint, self.settings.savepoint()))
            return QueryResult(command_tag="SAVEPOINT")
        index = self._find_savepoint(statement.savepoint)
        name, level = self._savepoints[index]
        if command == "RELEASE":
            await self._tell_backend("RELEASE", name)
            self.settings.release(level)
            del self._savepoints[index:]
            return QueryResult(command_tag="RELEASE")
        await self._tell_backend("ROLLBACK TO", name)
        self.settings.rollback_to(level)
        del self._savepoints[index + 1 :]
        self.transaction_status = TransactionStatus.IN_TRANSACTION
        return QueryResult(command_tag="ROLLBACK")

    def _find_savepoint(self, name: str) -> int:
        for index in range(len(self._savepoints) - 1, -1, -1):
            if self._savepoints[index][0] == name:
                return index
        raise PostgresError(f'savepoint "{name}" does not exist', "3B001")

    async def _end_block(self, statement: TransactionControl) -> QueryResult:
        status = self.transaction_status
        if status is TransactionStatus.IDLE:
            if statement.chain:
                raise PostgresError(
                    f"{statement.command} AND CHAIN can only be used in transaction blocks",
                    "25P01",
                )
            self._warning("there is no transaction in progress", "25P01")
            return QueryResult(command_tag=statement.tag)
        commit = statement.command == "COMMIT" and status is TransactionStatus.IN_TRANSACTION
        modes = {
            name: self.settings.get(name)
            for name in ("transaction_isolation", "transaction_read_only", "transaction_deferrable")
        }
        self.transaction_status = TransactionStatus.IDLE
        self._savepoints.clear()
        self.close_portals()
        try:
            await self._tell_backend("COMMIT" if commit else "ROLLBACK")
        finally:
            if commit:
                self.settings.commit()
            else:
                self.settings.rollback()
        if statement.chain:
            await self._tell_backend("BEGIN")
            self.settings.begin()
            self.transaction_status = TransactionStatus.IN_TRANSACTION
            for name, value in modes.items():
                self.settings.set(name, value, local=True)
        return QueryResult(command_tag="COMMIT" if commit else "ROLLBACK")
