"""Transactions and savepoints, as an async context manager or with explicit calls.

``async with conn.transaction():`` sends ``BEGIN`` (with the isolation level and access mode
asked for) and, when the block ends, ``COMMIT`` — or ``ROLLBACK`` when it raised, including
when the coroutine was cancelled.  A transaction started while another is active on the same
connection is a savepoint (``SAVEPOINT`` / ``RELEASE SAVEPOINT`` / ``ROLLBACK TO SAVEPOINT``),
so blocks nest.  The statements are pipelined like any other call: ``BEGIN`` does not cost a
round trip of its own before the block's first query.

`run_interaction` is the ``adbapi.ConnectionPool.runInteraction`` shape: it calls
``fn(connection, *args, **kw)`` inside a transaction (``fn`` may return a value, a Deferred or
be a coroutine function) and commits when it succeeds.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.logger import Logger

from .errors import InterfaceError

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["ISOLATION_LEVELS", "Transaction", "run_interaction"]

#: Accepted ``isolation`` values (spaces, underscores or hyphens, any case).
ISOLATION_LEVELS: Final = ("read uncommitted", "read committed", "repeatable read", "serializable")


def _isolation_clause(isolation: str) -> str:
    level = " ".join(isolation.replace("_", " ").replace("-", " ").lower().split())
    if level not in ISOLATION_LEVELS:
        raise ValueError(f"unknown isolation level {isolation!r}")
    return f" ISOLATION LEVEL {level.upper()}"


class Transaction:
    """One transaction (or savepoint, when nested) on a connection."""

    log = Logger()

    def __init__(
        self,
        connection: Connection,
        isolation: str | None = None,
        readonly: bool = False,
        deferrable: bool = False,
    ) -> None:
        self.connection = connection
        self.isolation = isolation
        self.readonly = readonly
        self.deferrable = deferrable
        self.savepoint: str | None = None
        self.state = "new"

    def _begin_sql(self) -> str:
        stack = self.connection._transactions
        if stack:
            if self.isolation is not None or self.readonly or self.deferrable:
                raise InterfaceError("a nested transaction cannot change the transaction mode")
            self.savepoint = f"txpg_savepoint_{len(stack)}"
            return f"SAVEPOINT {self.savepoint}"
        sql = "BEGIN"
        if self.isolation is not None:
            sql += _isolation_clause(self.isolation)
        if self.readonly:
            sql += " READ ONLY"
        if self.deferrable:
            sql += " DEFERRABLE"
        return sql

    def start(self) -> Deferred[Transaction]:
        """Send BEGIN (or SAVEPOINT); fires with this transaction once the server agreed."""
        if self.state != "new":
            raise InterfaceError(f"the transaction is already {self.state}")
        sql = self._begin_sql()
        self.state = "started"
        self.connection._transactions.append(self)

        def begun(tag: str) -> Transaction:
            return self

        def failed(failure: Any) -> Any:
            self._leave()
            self.state = "failed"
            return failure

        return self.connection.execute(sql).addCallbacks(begun, failed)

    def _leave(self) -> None:
        stack = self.connection._transactions
        if self in stack:
            del stack[stack.index(self) :]

    def _finish(self, sql: str, state: str) -> Deferred[None]:
        if self.state != "started":
            raise InterfaceError(f"the transaction is {self.state}")
        stack = self.connection._transactions
        if stack and stack[-1] is not self:
            raise InterfaceError("an inner transaction is still active")
        self._leave()
        self.state = state

        def check(tag: str) -> None:
            if state == "committed" and tag == "ROLLBACK":
                self.state = "rolled back"
                raise InterfaceError(
                    "the transaction was aborted by an earlier error; COMMIT rolled it back"
                )

        return self.connection.execute(sql).addCallback(check)

    def commit(self) -> Deferred[None]:
        """COMMIT (or RELEASE SAVEPOINT).

        Fails with `InterfaceError` when the server rolled back instead (an earlier error had
        aborted the transaction, and PostgreSQL answers COMMIT with ROLLBACK then).
        """
        if self.savepoint is not None:
            return self._finish(f"RELEASE SAVEPOINT {self.savepoint}", "committed")
        return self._finish("COMMIT", "committed")

    def rollback(self) -> Deferred[None]:
        """ROLLBACK (or ROLLBACK TO SAVEPOINT, then RELEASE it)."""
        if self.savepoint is not None:
            name = self.savepoint
            return self._finish(
                f"ROLLBACK TO SAVEPOINT {name}; RELEASE SAVEPOINT {name}", "rolled back"
            )
        return self._finish("ROLLBACK", "rolled back")

    async def __aenter__(self) -> Transaction:
        return await self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exc_type is None:
            await self.commit()
            return False
        try:
            await self.rollback()
        except Exception:
            self.log.failure("rollback after an error failed")
        return False

    def __repr__(self) -> str:
        kind = f"savepoint {self.savepoint}" if self.savepoint else "transaction"
        return f"<Transaction {kind} {self.state}>"


def run_interaction(
    connection: Connection, fn: Callable[..., Any], *args: Any, **kwargs: Any
) -> Deferred[Any]:
    """``fn(connection, *args, **kwargs)`` in a transaction; fires with its result."""

    async def interaction() -> Any:
        async with Transaction(connection):
            return await maybeDeferred(fn, connection, *args, **kwargs)

    return Deferred.fromCoroutine(interaction())
