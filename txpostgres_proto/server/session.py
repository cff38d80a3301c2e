"""The state of one authenticated connection, and the statements it answers itself.

A `Session` is what a backend receives in ``connection_made``: who is connected (user,
database, application_name, peer address, TLS), the cancel key, the settings (GUCs, see
``settings.py``), the transaction status, the prepared statements and portals of the extended
protocol, and a way to send notices.  It satisfies the catalog's ``SessionInfo`` protocol
(``user``, ``database``, ``backend_pid``, ``get_setting``, ``set_setting``, ``all_settings``),
so ``current_setting()``, ``set_config()`` and ``pg_settings`` see the same values as SHOW.

It also executes the utility statements that belong to the connection rather than to the
application (as parsed by ``sql.parse_utility``): SET/SHOW/RESET, SET TRANSACTION, DISCARD,
DEALLOCATE, PREPARE, LISTEN/UNLISTEN/NOTIFY and transaction control.  Transaction control
follows PostgreSQL's rules (``xact.c``): WARNING 25001 for BEGIN inside a block, WARNING 25P01
for COMMIT/ROLLBACK outside one, COMMIT of a failed block answers ROLLBACK, savepoints form a
stack, a failed block refuses everything but COMMIT/ROLLBACK (25P02), and NOTIFYs are delivered
when their transaction commits.  The backend is told about each transaction command through
``backend.transaction(command, savepoint)`` so one with real transactions can follow.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from txpostgres_proto.protocol.errors import FIELD_CODES, PostgresError
from txpostgres_proto.protocol.messages import TransactionStatus
from txpostgres_proto.sql import (
    DeallocateStatement,
    DiscardStatement,
    ListenStatement,
    NotifyStatement,
    PrepareStatement,
    ResetStatement,
    SetConstraintsStatement,
    SetStatement,
    SetTransactionStatement,
    ShowStatement,
    TransactionStatement,
    UnlistenStatement,
    UtilityStatement,
)
from txpostgres_proto.types import DEFAULT_REGISTRY, TypeRegistry, oids, type_by_name

from .backend import QueryResult, ResultColumn
from .notifications import MAX_PAYLOAD_BYTES, Listener, NotificationHub
from .settings import Settings, flatten_set_values, session_tzinfo

if TYPE_CHECKING:
    from datetime import tzinfo

    from .extended import Portal, PreparedStatement

__all__ = ["SESSION_STATEMENTS", "Session", "transaction_exit_allowed"]

#: Calls a backend method the protocol's way (maybeDeferred, cancellable); set by the protocol.
BackendCaller = Callable[..., Awaitable[Any]]

#: The utility statements `Session.execute_utility` runs.
SESSION_STATEMENTS = (
    SetStatement,
    SetTransactionStatement,
    SetConstraintsStatement,
    ResetStatement,
    ShowStatement,
    TransactionStatement,
    DiscardStatement,
    DeallocateStatement,
    PrepareStatement,
    ListenStatement,
    UnlistenStatement,
    NotifyStatement,
)
_IDLE = TransactionStatus.IDLE
_TRANSACTION_SETTINGS = ("transaction_isolation", "transaction_read_only", "transaction_deferrable")


def transaction_exit_allowed(statement: object) -> bool:
    """True for the statements a failed transaction block still accepts (IsTransactionExitStmt)."""
    return isinstance(statement, TransactionStatement) and statement.kind in (
        "COMMIT",
        "ROLLBACK",
        "ROLLBACK TO",
        "PREPARE TRANSACTION",
    )


def _text_columns(*names: str) -> tuple[ResultColumn, ...]:
    return tuple(ResultColumn(name, oids.TEXT) for name in names)


def _modes(statement: SetTransactionStatement | TransactionStatement) -> dict[str, str]:
    """The transaction_* settings a statement's transaction modes set."""
    modes: dict[str, str] = {}
    if statement.isolation is not None:
        modes["transaction_isolation"] = statement.isolation
    if statement.read_only is not None:
        modes["transaction_read_only"] = "on" if statement.read_only else "off"
    if statement.deferrable is not None:
        modes["transaction_deferrable"] = "on" if statement.deferrable else "off"
    return modes


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
        self.listening: set[str] = set()
        #: Closes the portals (and their row iterators), WITH HOLD cursors too unless
        #: ``keep_held``; set by the protocol.
        self.close_portals: Callable[[bool], None] = lambda keep_held: self.portals.clear()
        self._savepoints: list[tuple[str, int]] = []
        self._notifies: list[tuple[str, str]] = []
        #: LISTEN/UNLISTEN of the current transaction, applied when it commits (channel None:
        #: UNLISTEN *).
        self._listen_actions: list[tuple[bool, str | None]] = []
        self._call_backend: BackendCaller | None = None
        self._backend: Any = None
        self._hub: NotificationHub | None = None
        self._listener: Listener | None = None
        self._timezone: tzinfo | None = None
        self._timezone_version = -1

    def portal(self, name: str, noun: str = "portal") -> Portal:
        """The open portal ``name``; 34000 ``<noun> "name" does not exist`` when there is none
        (a SQL-level cursor is a portal too: ``noun`` says which the client asked for)."""
        portal = self.portals.get(name)
        if portal is None:
            raise PostgresError(f'{noun} "{name}" does not exist', "34000")
        return portal

    def attach(
        self,
        backend: Any,
        call_backend: BackendCaller,
        hub: NotificationHub | None = None,
        listener: Listener | None = None,
    ) -> None:
        """Connect the session to its backend, the protocol's way of calling it, and the
        LISTEN/NOTIFY switchboard (``listener`` receives this session's notifications)."""
        self._backend = backend
        self._call_backend = call_backend
        self._hub = hub
        self._listener = listener

    # -- identity (also the catalog's SessionInfo) ----------------------------------------

    @property
    def backend_pid(self) -> int:
        return self.process_id

    @property
    def application_name(self) -> str:
        return self.settings.get("application_name")

    @property
    def timezone(self) -> tzinfo | None:
        """The session's TimeZone as a ``tzinfo``, for timestamptz codecs."""
        version = self.settings.version
        if self._timezone_version != version:
            self._timezone = session_tzinfo(self.settings.get("TimeZone"))
            self._timezone_version = version
        return self._timezone

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

    # -- notices and notifications ---------------------------------------------------------

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

    def notify(self, channel: str, payload: str = "") -> None:
        """NOTIFY (or ``pg_notify``): delivered to the listeners when the transaction commits."""
        if not channel:
            raise PostgresError("channel name cannot be empty", "22023")
        if "\0" in channel or "\0" in payload:
            # Protocol strings end at NUL: such a notification could never be delivered.
            raise PostgresError('invalid byte sequence for encoding "UTF8": 0x00', "22021")
        if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
            raise PostgresError("payload string too long", "22023")
        if (channel, payload) not in self._notifies:
            self._notifies.append((channel, payload))

    def _listen(self, channel: str) -> None:
        if channel not in self.listening and self._hub is not None and self._listener is not None:
            self._hub.listen(channel, self._listener)
        self.listening.add(channel)

    def unlisten_all(self) -> None:
        """UNLISTEN *: stop listening on every channel."""
        for channel in list(self.listening):
            self._unlisten(channel)

    def _unlisten(self, channel: str) -> None:
        self.listening.discard(channel)
        if self._hub is not None and self._listener is not None:
            self._hub.unlisten(channel, self._listener)

    def _transaction_committed(self) -> None:
        """LISTEN/UNLISTEN take effect, then the NOTIFYs go out (as PostgreSQL's commit does)."""
        if not self._listen_actions and not self._notifies:
            return  # the usual transaction: nothing to do
        actions, self._listen_actions = self._listen_actions, []
        for listen, channel in actions:
            if listen:
                self._listen(channel)  # type: ignore[arg-type]
            elif channel is None:
                self.unlisten_all()
            else:
                self._unlisten(channel)
        notifies, self._notifies = self._notifies, []
        if self._hub is not None:
            for channel, payload in notifies:
                self._hub.notify(self.process_id, channel, payload)

    # -- implicit transactions -------------------------------------------------------------

    def statement_failed(self) -> None:
        """An error ended the current statement: a block fails, an implicit one is undone."""
        if self.in_transaction_block:
            self.transaction_status = TransactionStatus.FAILED
        else:
            self.settings.rollback()
            self._notifies.clear()
            self._listen_actions.clear()

    def end_implicit_transaction(self) -> None:
        """ReadyForQuery outside a block: the implicit transaction (if any) commits."""
        if self.transaction_status is _IDLE:
            self.settings.commit()
            if self.portals:
                self.close_portals(True)
            if self._listen_actions or self._notifies:
                self._transaction_committed()

    def start_implicit_transaction(self) -> None:
        """A statement runs outside a block: settings changes become undoable until it ends."""
        if self.transaction_status is _IDLE:
            self.settings.begin()

    # -- utility statements ----------------------------------------------------------------

    def result_columns(self, statement: UtilityStatement) -> tuple[ResultColumn, ...] | None:
        """What Describe says about a session statement (only SHOW returns rows)."""
        if not isinstance(statement, ShowStatement):
            return None
        if statement.name == "all":
            return _text_columns("name", "setting", "description")
        return _text_columns(self.settings.canonical_name(statement.name))

    async def execute_utility(self, statement: UtilityStatement) -> QueryResult:
        """Run one of `SESSION_STATEMENTS`; PostgresError for what PostgreSQL would refuse."""
        if isinstance(statement, TransactionStatement):
            return await self._transaction(statement)
        if isinstance(statement, SetStatement):
            return self._set(statement)
        if isinstance(statement, ShowStatement):
            return self._show(statement)
        if isinstance(statement, ResetStatement):
            if statement.name == "all":
                self.settings.reset_all()
            else:
                self.settings.reset(statement.name)
            return QueryResult(command_tag="RESET")
        if isinstance(statement, SetTransactionStatement):
            return self._set_transaction(statement)
        if isinstance(statement, DiscardStatement):
            return self._discard(statement)
        if isinstance(statement, DeallocateStatement):
            return self._deallocate(statement)
        if isinstance(statement, PrepareStatement):
            return self._prepare(statement)
        if isinstance(statement, ListenStatement):
            self._listen_actions.append((True, statement.channel))
        elif isinstance(statement, UnlistenStatement):
            self._listen_actions.append((False, statement.channel))
        elif isinstance(statement, NotifyStatement):
            self.notify(statement.channel, statement.payload or "")
        else:
            assert isinstance(statement, SetConstraintsStatement), statement
        return QueryResult(command_tag=statement.tag)

    def _set(self, statement: SetStatement) -> QueryResult:
        if statement.from_current:
            return QueryResult(command_tag="SET")
        local = statement.local
        if local and not self.in_transaction_block:
            self._warning("SET LOCAL can only be used in transaction blocks", "25P01")
        value = (
            None if statement.is_default else flatten_set_values(statement.name, statement.values)
        )
        self.settings.set(statement.name, value, local=local)
        return QueryResult(command_tag="SET")

    def _show(self, statement: ShowStatement) -> QueryResult:
        columns = self.result_columns(statement)
        if statement.name == "all":
            rows: Iterable[tuple[str, ...]] = self.settings.show_all()
        else:
            rows = [(self.settings.get(statement.name),)]
        return QueryResult(columns=columns, rows=rows, command_tag="SHOW")

    def _set_transaction(self, statement: SetTransactionStatement) -> QueryResult:
        modes = _modes(statement)
        if statement.session:
            for name, value in modes.items():
                self.settings.set(f"default_{name}", value)
            return QueryResult(command_tag="SET")
        if not self.in_transaction_block:
            self._warning("SET TRANSACTION can only be used in transaction blocks", "25P01")
        for name, value in modes.items():
            self.settings.set(name, value, local=True)
        return QueryResult(command_tag="SET")

    def _discard(self, statement: DiscardStatement) -> QueryResult:
        if statement.target == "ALL":
            if self.in_transaction_block:
                raise PostgresError("DISCARD ALL cannot run inside a transaction block", "25001")
            self.settings.reset_all()
            self.close_portals(False)
            self._drop_named_statements()
            self.unlisten_all()
        return QueryResult(command_tag=statement.tag)

    def _drop_named_statements(self) -> None:
        for name in [name for name in self.statements if name]:
            del self.statements[name]

    def _deallocate(self, statement: DeallocateStatement) -> QueryResult:
        if statement.name is None:
            self._drop_named_statements()
        elif self.statements.pop(statement.name, None) is None:
            raise PostgresError(f'prepared statement "{statement.name}" does not exist', "26000")
        return QueryResult(command_tag=statement.tag)

    def _prepare(self, statement: PrepareStatement) -> QueryResult:
        from .extended import PreparedStatement

        if statement.name in self.statements or not statement.name:
            raise PostgresError(f'prepared statement "{statement.name}" already exists', "42P05")
        param_oids = []
        for name in statement.param_types:
            info = type_by_name(name)
            if info is None:
                raise PostgresError(f'type "{name}" does not exist', "42704")
            param_oids.append(info.oid)
        self.statements[statement.name] = PreparedStatement.create(
            statement.name, statement.statement, tuple(param_oids), self
        )
        return QueryResult(command_tag="PREPARE")

    # -- transaction control ---------------------------------------------------------------

    async def _tell_backend(self, command: str, savepoint: str | None = None) -> None:
        method = getattr(self._backend, "transaction", None)
        if method is None or self._call_backend is None:
            return
        await self._call_backend(method, command, savepoint)

    async def _transaction(self, statement: TransactionStatement) -> QueryResult:
        kind = statement.kind
        status = self.transaction_status
        if kind == "BEGIN":
            if status is not TransactionStatus.IDLE:
                self._warning("there is already a transaction in progress", "25001")
            else:
                await self._tell_backend("BEGIN")
                self.settings.begin()
                self.transaction_status = TransactionStatus.IN_TRANSACTION
                self._savepoints.clear()
            for name, value in _modes(statement).items():
                self.settings.set(name, value, local=True)
            return QueryResult(command_tag=statement.tag)
        if kind in ("COMMIT", "ROLLBACK"):
            return await self._end_block(statement)
        if kind == "PREPARE TRANSACTION":
            await self._end_block(TransactionStatement("ROLLBACK"))
            raise PostgresError(
                "prepared transactions are disabled",
                "55000",
                hint='Set "max_prepared_transactions" to a nonzero value.',
            )
        if kind in ("COMMIT PREPARED", "ROLLBACK PREPARED"):
            raise PostgresError(
                f'prepared transaction with identifier "{statement.gid}" does not exist', "42704"
            )
        if status is TransactionStatus.IDLE:
            what = {"SAVEPOINT": "SAVEPOINT", "RELEASE": "RELEASE SAVEPOINT"}.get(
                kind, "ROLLBACK TO SAVEPOINT"
            )
            raise PostgresError(f"{what} can only be used in transaction blocks", "25P01")
        assert statement.savepoint is not None
        if kind == "SAVEPOINT":
            await self._tell_backend("SAVEPOINT", statement.savepoint)
            self._savepoints.append((statement.savepoint, self.settings.savepoint()))
            return QueryResult(command_tag="SAVEPOINT")
        index = self._find_savepoint(statement.savepoint)
        name, level = self._savepoints[index]
        if kind == "RELEASE":
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

    async def _end_block(self, statement: TransactionStatement) -> QueryResult:
        status = self.transaction_status
        if status is TransactionStatus.IDLE:
            if statement.chain:
                raise PostgresError(
                    f"{statement.kind} AND CHAIN can only be used in transaction blocks", "25P01"
                )
            self._warning("there is no transaction in progress", "25P01")
            return QueryResult(command_tag=statement.tag)
        commit = statement.kind == "COMMIT" and status is TransactionStatus.IN_TRANSACTION
        modes = {name: self.settings.get(name) for name in _TRANSACTION_SETTINGS}
        self.transaction_status = TransactionStatus.IDLE
        self._savepoints.clear()
        self.close_portals(commit)
        try:
            await self._tell_backend("COMMIT" if commit else "ROLLBACK")
        finally:
            if commit:
                self.settings.commit()
                self._transaction_committed()
            else:
                self.settings.rollback()
                self._notifies.clear()
                self._listen_actions.clear()
        if statement.chain:
            await self._tell_backend("BEGIN")
            self.settings.begin()
            self.transaction_status = TransactionStatus.IN_TRANSACTION
            for name, value in modes.items():
                self.settings.set(name, value, local=True)
        return QueryResult(command_tag="COMMIT" if commit else "ROLLBACK")
