"""`ConnectionPool`: a fixed-ceiling pool of client connections, adbapi-compatible.

Connections are opened with `connect.connect_params` (every libpq parameter works) and handed
out with `acquire` / `release`, or ``async with pool.connection() as conn:``.  Behaviour:

* at most ``max_size`` connections exist; ``min_size`` are kept open (opened by `start`, and
  re-opened in the background after failures with exponential backoff from
  ``reconnect_delay`` up to ``reconnect_max_delay`` — so the pool survives a server restart);
* callers that find every connection busy wait and are served first come, first served;
  ``acquire_timeout`` bounds the wait (`PoolTimeoutError`);
* the most recently released idle connection is reused first, so surplus connections stay
  idle and are closed after ``max_idle`` seconds (down to ``min_size``);
* a connection idle for ``health_check_after`` seconds runs ``health_check`` (``SELECT 1``;
  None disables it) before it is handed out; a broken one is replaced;
* broken connections — lost, terminated by the server (FATAL errors such as
  ``pg_terminate_backend``, a restart) — are dropped at release, at acquire and by the
  maintenance that runs every second, and replaced; a connection released inside a
  transaction is rolled back before reuse.

The ``twisted.enterprise.adbapi.ConnectionPool`` API is here too, so adbapi code changes one
line (``adbapi.ConnectionPool("psycopg2", ...)`` -> ``ConnectionPool(reactor, ...)``; the
``cp_min``, ``cp_max``, ``cp_openfun``, ``cp_good_sql``, ``cp_noisy`` and ``cp_reconnect``
options are accepted): `runQuery`, `runOperation`, `runInteraction`, `runWithConnection`,
`start`, `close`.  SQL takes psycopg2's ``%s`` / ``%(name)s`` placeholders there (see
``paramstyle.py``), and rows are tuples (`Row`).  The one real difference: adbapi runs
interaction functions in a thread, blocking; here they run in the reactor and get an
`InteractionCursor` whose ``execute`` returns a Deferred — write them as ``async def`` and
``await cursor.execute(...)`` (or return a Deferred); ``fetchall`` & co. stay synchronous.
`query` and `execute` are the native shortcuts (``$1`` placeholders).
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from types import TracebackType
from typing import Any

from twisted.internet import defer
from twisted.internet.defer import Deferred
from twisted.internet.task import LoopingCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from ..protocol.client_rows import Row
from ..protocol.messages import TransactionStatus
from .connect import connect_params
from .connection import Connection
from .dbapi_cursor import InteractionCursor
from .dsn import parse_dsn
from .errors import InterfaceError

__all__ = ["ConnectionPool", "PoolClosedError", "PoolTimeoutError"]

_PROTOCOL_OPTIONS = ("registry", "statement_cache_size")


class PoolClosedError(InterfaceError):
    """The pool was closed (or closed while the caller waited for a connection)."""


class PoolTimeoutError(TimeoutError):
    """No connection became available within ``acquire_timeout``."""


async def _call(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``fn``; wait for its result when it is a Deferred or a coroutine."""
    result = fn(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


class _Checkout:
    """``async with pool.connection() as conn``: acquire on entry, release on exit."""

    def __init__(self, pool: ConnectionPool) -> None:
        self._pool = pool
        self._connection: Connection | None = None

    async def __aenter__(self) -> Connection:
        self._connection = await self._pool.acquire()
        return self._connection

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._connection is not None:
            self._pool.release(self._connection)
            self._connection = None


class ConnectionPool:
    """A pool of `Connection`\\ s to one server (see the module docstring)."""

    log = Logger()

    def __init__(
        self,
        reactor: Any,
        dsn: str | None = None,
        *,
        min_size: int = 1,
        max_size: int = 10,
        max_idle: float = 300.0,
        health_check: str | None = "SELECT 1",
        health_check_after: float = 30.0,
        acquire_timeout: float | None = None,
        reconnect_delay: float = 0.25,
        reconnect_max_delay: float = 10.0,
        on_connect: Callable[[Connection], Any] | None = None,
        **connect_kwargs: Any,
    ) -> None:
        min_size = connect_kwargs.pop("cp_min", min_size)
        max_size = connect_kwargs.pop("cp_max", max_size)
        on_connect = connect_kwargs.pop("cp_openfun", on_connect)
        health_check = connect_kwargs.pop("cp_good_sql", health_check)
        connect_kwargs.pop("cp_noisy", None)
        connect_kwargs.pop("cp_reconnect", None)  # broken connections are always replaced
        if not 0 <= min_size <= max_size or max_size < 1:
            raise ValueError("need 0 <= min_size <= max_size and max_size >= 1")
        self.reactor = reactor
        self.min_size = min_size
        self.max_size = max_size
        self.max_idle = max_idle
        self.health_check = health_check
        self.health_check_after = health_check_after
        self.acquire_timeout = acquire_timeout
        self.reconnect_delay = reconnect_delay
        self.reconnect_max_delay = reconnect_max_delay
        self.on_connect = on_connect
        self._options = {k: connect_kwargs.pop(k) for k in _PROTOCOL_OPTIONS if k in connect_kwargs}
        self.params = parse_dsn(dsn, **connect_kwargs)
        self._idle: deque[tuple[Connection, float]] = deque()  # right end = most recent
        self._busy: set[Connection] = set()
        self._opening = 0
        self._resetting = 0
        self._waiters: deque[Deferred[Connection]] = deque()
        self._failures = 0
        self._refill_call: Any = None
        self._maintenance: LoopingCall | None = None
        self._pending: set[Deferred[Any]] = set()
        self.running = False
        self.closed = False

    # ------------------------------------------------------------------ numbers

    @property
    def min(self) -> int:
        """adbapi's name for ``min_size``."""
        return self.min_size

    @property
    def max(self) -> int:
        """adbapi's name for ``max_size``."""
        return self.max_size

    @property
    def size(self) -> int:
        """Connections open or being opened."""
        return len(self._idle) + len(self._busy) + self._opening + self._resetting

    @property
    def idle(self) -> int:
        return len(self._idle)

    @property
    def in_use(self) -> int:
        return len(self._busy)

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    # ------------------------------------------------------------------ life cycle

    def start(self) -> Deferred[None]:
        """Open ``min_size`` connections; fires when they are open (fails with the first error,
        while the pool keeps retrying in the background)."""
        if self.closed:
            return defer.fail(PoolClosedError("the pool is closed"))
        if self.running:
            return defer.succeed(None)
        self.running = True
        self._maintenance = LoopingCall(self._maintain)
        self._maintenance.clock = self.reactor
        interval = max(0.05, min(self.max_idle / 2, self.health_check_after / 2, 1.0))
        self._maintenance.start(interval, now=False)
        opening = [self._watch(self._open()) for _ in range(self.min_size)]
        done = defer.gatherResults(opening, consumeErrors=True)
        done.addCallback(lambda _: None)
        return done.addErrback(lambda failure: failure.value.subFailure)

    def close(self) -> Deferred[None]:
        """Close idle connections now, busy ones when released; fail waiting callers."""
        if self.closed:
            return defer.succeed(None)
        self.closed = True
        self.running = False
        if self._maintenance is not None and self._maintenance.running:
            self._maintenance.stop()
        if self._refill_call is not None and self._refill_call.active():
            self._refill_call.cancel()
        waiters, self._waiters = self._waiters, deque()
        for waiter in waiters:
            if not waiter.called:
                waiter.errback(PoolClosedError("the pool was closed"))
        closing = [connection.close() for connection, _ in self._idle]
        self._idle.clear()
        closing += list(self._pending)
        return defer.DeferredList(closing, consumeErrors=True).addCallback(lambda _: None)

    finalClose = close  # noqa: N815 - adbapi's name

    async def __aenter__(self) -> ConnectionPool:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    # ------------------------------------------------------------------ acquire / release

    def acquire(self) -> Deferred[Connection]:
        """Fires with a connection for the caller's exclusive use; give it back with `release`.

        Starts the pool on first use.  Waiting callers are served in the order they asked.
        """
        if self.closed:
            return defer.fail(PoolClosedError("the pool is closed"))
        if not self.running:
            self.start().addErrback(
                lambda failure: self.log.warn("connection pool: {error}", error=failure.value)
            )
        waiter: Deferred[Connection] = Deferred(self._forget_waiter)
        self._waiters.append(waiter)
        if self.acquire_timeout is not None:
            waiter.addTimeout(self.acquire_timeout, self.reactor, self._timed_out)
        self._dispatch()
        return waiter

    def release(self, connection: Connection) -> None:
        """Return ``connection`` to the pool (rolled back first if left in a transaction)."""
        if connection not in self._busy:
            raise InterfaceError("this connection is not in use from this pool")
        self._busy.discard(connection)
        if self.closed:
            self._track(connection.close())
        elif connection.closed:
            self._replace()
        elif connection.transaction_status is not TransactionStatus.IDLE:
            self._resetting += 1
            self._track(Deferred.fromCoroutine(self._reset(connection)))
        else:
            self._hand_out(connection)

    def connection(self) -> _Checkout:
        """``async with pool.connection() as conn:`` — acquire, and release when done."""
        return _Checkout(self)

    # ------------------------------------------------------------------ native shortcuts

    def query(self, sql: str, *params: Any, timeout: float | None = None) -> Deferred[list[Row]]:
        """``Connection.query`` on a pooled connection (``$1`` placeholders)."""
        return self.runWithConnection(lambda conn: conn.query(sql, *params, timeout=timeout))

    def execute(self, sql: str, *params: Any, timeout: float | None = None) -> Deferred[str]:
        """``Connection.execute`` on a pooled connection; fires with the command tag."""
        return self.runWithConnection(lambda conn: conn.execute(sql, *params, timeout=timeout))

    # ------------------------------------------------------------------ adbapi API

    def runQuery(  # noqa: N802
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Deferred[list[Row]]:
        """Run ``sql`` (DB-API placeholders) and fire with all rows, as adbapi does."""

        async def run(connection: Connection) -> list[Row]:
            cursor = InteractionCursor(connection)
            await cursor.execute(sql, params)
            return cursor.fetchall()

        return self.runWithConnection(run)

    def runOperation(  # noqa: N802
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None
    ) -> Deferred[None]:
        """Run ``sql`` (DB-API placeholders) for its effect; fire with None, as adbapi does."""

        async def run(connection: Connection) -> None:
            await InteractionCursor(connection).execute(sql, params)

        return self.runWithConnection(run)

    def runInteraction(  # noqa: N802
        self, interaction: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Deferred[Any]:
        """``interaction(cursor, *args, **kwargs)`` inside a transaction on one connection.

        Committed when it returns (or its Deferred/coroutine succeeds), rolled back when it
        raises; fires with its result.  See the module docstring for the difference from
        adbapi (the function runs in the reactor and awaits ``cursor.execute``).
        """

        async def run(connection: Connection) -> Any:
            async with connection.transaction():
                return await _call(interaction, InteractionCursor(connection), *args, **kwargs)

        return self.runWithConnection(run)

    def runWithConnection(  # noqa: N802
        self, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Deferred[Any]:
        """``fn(connection, *args, **kwargs)`` with a pooled `Connection`; fires with its result."""

        async def run() -> Any:
            connection = await self.acquire()
            try:
                return await _call(fn, connection, *args, **kwargs)
            finally:
                self.release(connection)

        return Deferred.fromCoroutine(run())

    # ------------------------------------------------------------------ internals

    def _watch(self, deferred: Deferred[Any]) -> Deferred[Any]:
        """Remember background work until it ends, so `close` can wait for it."""
        self._pending.add(deferred)

        def done(result: Any) -> Any:
            self._pending.discard(deferred)
            return result

        return deferred.addBoth(done)

    def _track(self, deferred: Deferred[Any]) -> None:
        """Background work whose failure is only worth a log line."""
        self._watch(deferred).addErrback(
            lambda failure: self.log.warn("connection pool: {error}", error=failure.value)
        )

    def _forget_waiter(self, waiter: Deferred[Connection]) -> None:
        if waiter in self._waiters:
            self._waiters.remove(waiter)

    def _timed_out(self, result: Any, timeout: float) -> Any:
        if isinstance(result, Failure) and result.check(defer.CancelledError):
            raise PoolTimeoutError(
                f"no connection available within {timeout:g} s "
                f"({self.in_use} in use, max_size={self.max_size})"
            )
        return result

    def _next_waiter(self) -> Deferred[Connection] | None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.called:
                return waiter
        return None

    def _hand_out(self, connection: Connection) -> None:
        """A connection known to be good: to the first waiter, else to the idle list."""
        waiter = self._next_waiter()
        if waiter is None:
            self._idle.append((connection, self.reactor.seconds()))
        else:
            self._busy.add(connection)
            waiter.callback(connection)
        self._dispatch()

    def _dispatch(self) -> None:
        """Hand idle connections to waiters in order; open new ones for the rest."""
        now = self.reactor.seconds()
        dropped = False
        while self._waiters and self._idle:
            connection, since = self._idle.pop()
            if connection.closed:
                dropped = True
                continue
            if self.health_check and now - since >= self.health_check_after:
                self._resetting += 1
                self._track(Deferred.fromCoroutine(self._check(connection)))
                continue
            waiter = self._next_waiter()
            if waiter is None:
                self._idle.append((connection, since))
                break
            self._busy.add(connection)
            waiter.callback(connection)
        shortfall = len(self._waiters) - self._opening - self._resetting
        while shortfall > 0 and self.size < self.max_size and not self.closed:
            self._track(self._open())
            shortfall -= 1
        if dropped:
            self._refill()

    def _open(self) -> Deferred[None]:
        """Open one connection and make it available; on failure fail the first waiter."""
        self._opening += 1
        opening = connect_params(self.reactor, self.params, **self._options)

        async def finish() -> None:
            try:
                connection = await opening
                if self.on_connect is not None:
                    try:
                        await _call(self.on_connect, connection)
                    except BaseException:
                        connection.abort()
                        raise
            except Exception as error:
                self._opening -= 1
                self._failures += 1
                waiter = self._next_waiter()
                if waiter is not None:
                    waiter.errback(error)
                self._schedule_refill()
                raise
            self._opening -= 1
            self._failures = 0
            if self.closed:
                await connection.close()
                return
            self._hand_out(connection)

        return Deferred.fromCoroutine(finish())

    async def _check(self, connection: Connection) -> None:
        """Run the health check on a long-idle connection before handing it out."""
        assert self.health_check is not None
        try:
            await connection.execute(self.health_check)
        except Exception as error:
            self.log.info("pooled connection failed its health check: {error}", error=error)
            connection.abort()
            healthy = False
        else:
            healthy = True
        self._resetting -= 1
        if self.closed:
            await connection.close()
        elif healthy:
            self._hand_out(connection)
        else:
            self._replace()

    async def _reset(self, connection: Connection) -> None:
        """Roll back what a caller left open, then make the connection available again."""
        try:
            await connection.execute("ROLLBACK")
        except Exception:
            connection.abort()
        self._resetting -= 1
        if self.closed:
            await connection.close()
        elif connection.closed:
            self._replace()
        else:
            self._hand_out(connection)

    def _replace(self) -> None:
        """A connection died: serve waiters and restore ``min_size``."""
        self._dispatch()
        self._refill()

    def _refill(self) -> None:
        """Open connections up to ``min_size`` (and for waiters)."""
        if self._refill_call is not None and self._refill_call.active():
            self._refill_call.cancel()
        self._refill_call = None
        if self.closed or not self.running:
            return
        self._idle = deque(item for item in self._idle if not item[0].closed)
        for _ in range(self.min_size - self.size):
            self._track(self._open())
        self._dispatch()

    def _schedule_refill(self) -> None:
        if self.closed or (self._refill_call is not None and self._refill_call.active()):
            return
        delay = min(
            self.reconnect_delay * 2 ** max(self._failures - 1, 0), self.reconnect_max_delay
        )
        self._refill_call = self.reactor.callLater(delay, self._refill)

    def _maintain(self) -> None:
        """Periodic: drop dead idle connections, close surplus idle ones, restore min_size."""
        now = self.reactor.seconds()
        alive = deque(item for item in self._idle if not item[0].closed)
        kept: deque[tuple[Connection, float]] = deque()
        surplus = self.size - (len(self._idle) - len(alive)) - self.min_size
        for connection, since in alive:  # oldest first
            if surplus > 0 and now - since >= self.max_idle:
                surplus -= 1
                self._track(connection.close())
            else:
                kept.append((connection, since))
        self._idle = kept
        if self._refill_call is None or not self._refill_call.active():
            self._refill()
