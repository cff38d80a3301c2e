"""The pool of upstream connections a proxy lends to its client sessions.

At most ``size`` connections exist (open or being opened).  `acquire` hands out an idle one,
opens a new one while under the limit, or waits in line (first come, first served);
`release` takes one back, optionally after reset queries (``ROLLBACK``, ``DISCARD ALL``) whose
failure discards it.  A connection that dies — idle in the pool or lent out — leaves the pool,
and a waiting session gets a fresh one: after an upstream restart the pool refills by itself.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from twisted.internet.defer import Deferred, succeed
from twisted.python.failure import Failure

from txpostgres_proto.client.connect import connect_params
from txpostgres_proto.client.dsn import ConnectParams

from ..readloop import ReadLoop
from .upstream import Upstream

__all__ = ["UpstreamPool"]


class UpstreamPool:
    """Upstream connections to one server, database and user (see the module docstring)."""

    def __init__(
        self, reactor: Any, params: ConnectParams, size: int, read_loop: ReadLoop | None = None
    ) -> None:
        if size < 1:
            raise ValueError("the pool size must be at least 1")
        self.reactor = reactor
        self.read_loop = read_loop
        self.params = params
        self.size = size
        self._count = 0
        #: Idle connections, the most recently returned last: `take_idle` pops, `release`
        #: appends while `waiters` is empty.
        self.idle_upstreams: deque[Upstream] = deque()
        #: Sessions waiting for a connection, first come first served.
        self.waiters: deque[Deferred[Upstream]] = deque()

    @property
    def connections(self) -> int:
        """Connections open or being opened."""
        return self._count

    @property
    def idle(self) -> int:
        return len(self.idle_upstreams)

    def take_idle(self) -> Upstream | None:
        """An idle upstream at once (the fast path of `acquire`), or None."""
        idle = self.idle_upstreams
        while idle:
            upstream = idle.pop()
            if not upstream.closed:
                return upstream
        return None

    def acquire(self) -> Deferred[Upstream]:
        """An upstream for the caller alone until it calls `release`."""
        upstream = self.take_idle()
        if upstream is not None:
            return succeed(upstream)
        waiter: Deferred[Upstream] = Deferred(self._forget_waiter)
        self.waiters.append(waiter)
        if self._count < self.size:
            self._open()
        return waiter

    def release(self, upstream: Upstream, reset: list[str] | None = None) -> None:
        """Take ``upstream`` back, running the ``reset`` queries first when given."""
        upstream.listener = None
        if upstream.closed:
            return
        if reset:
            upstream.run_quietly(reset).addCallbacks(
                lambda _: self._put(upstream), lambda _: upstream.abort()
            )
        elif self.waiters:
            self.waiters.popleft().callback(upstream)
        else:
            self.idle_upstreams.append(upstream)

    def close(self) -> None:
        """Drop every idle connection and fail the waiters (the proxy is stopping)."""
        idle = list(self.idle_upstreams)
        self.idle_upstreams.clear()
        for upstream in idle:
            upstream.abort()
        waiters = list(self.waiters)
        self.waiters.clear()
        for waiter in waiters:
            waiter.errback(ConnectionError("the proxy is shutting down"))

    def _forget_waiter(self, waiter: Deferred[Upstream]) -> None:
        if waiter in self.waiters:
            self.waiters.remove(waiter)

    def _put(self, upstream: Upstream) -> None:
        if upstream.closed:
            return
        if self.waiters:
            self.waiters.popleft().callback(upstream)
        else:
            self.idle_upstreams.append(upstream)

    def _open(self) -> None:
        self._count += 1
        connect_params(self.reactor, self.params).addCallbacks(self._opened, self._open_failed)

    def _opened(self, connection: Any) -> None:
        upstream = Upstream(connection, self.read_loop)
        upstream.on_lost = self._lost
        self._put(upstream)

    def _open_failed(self, failure: Failure) -> None:
        # The server is unreachable or refuses us: everyone waiting is told, nobody hangs.
        self._count -= 1
        waiters = list(self.waiters)
        self.waiters.clear()
        for waiter in waiters:
            waiter.errback(failure)

    def _lost(self, upstream: Upstream) -> None:
        self._count -= 1
        if upstream in self.idle_upstreams:
            self.idle_upstreams.remove(upstream)
        if self.waiters and self._count < self.size:
            self._open()
