"""Multiplexing: short units of several clients sent down one upstream connection together.

With transaction pooling every client transaction costs the upstream server a wake-up, a read
and a write of its own, and the proxy one write to that server.  When several clients send a
short statement at the same moment (they arrive in one batch of the `ReadLoop`), the proxy can
instead send them all to *one* idle upstream connection in one write: PostgreSQL reads them in
one go and answers each in turn, each statement in its own implicit transaction
(``units.py`` says which units qualify).  On a loaded server this saves a large share of the
server's CPU per statement (see ``bench/proxy_vs_pgbouncer.py``).

The price is waiting: a unit runs after the ones ahead of it in its batch.  Three rules keep
that small:

* only units of the same read batch are combined, and only onto an upstream that is idle —
  never behind a query already running;
* one connection carries at most ``depth`` units of a batch (the rest take the next idle one),
  and ``depth`` units go out as soon as they are in, so the server starts on them while the
  rest of the batch is read;
* a statement shape joins others only once it has been seen to finish within
  ``SHARE_WITHIN`` seconds, and its last run did (`ShapeTimes`): a statement new to the proxy,
  or one that last ran long (a report, a ``pg_sleep``), travels alone on its own connection.

Multiplexing is off by default (``ProxyFactory(multiplex=0)``) because of that wait and because
a cancel cannot safely reach a unit with others behind it (see `ProxyServerProtocol`);
``--multiplex N`` turns it on with depth N.  A unit whose client's settings differ from those of
the idle connection, or that arrives while no idle connection exists, takes the usual
transaction-pooling path.
"""

from __future__ import annotations

from collections.abc import Sequence
from time import monotonic
from typing import TYPE_CHECKING, Final

from ..readloop import ReadLoop
from .pool import UpstreamPool
from .upstream import Upstream

if TYPE_CHECKING:
    from .session import ProxyServerProtocol

__all__ = ["SHARE_WITHIN", "Multiplexer", "ShapeTimes"]

#: A statement shape shares connections while its last run took less than this (seconds).
SHARE_WITHIN: Final = 0.005
#: Shapes remembered at most; past that the record starts afresh (every shape relearnt).
_SHAPES_KEPT: Final = 4096


class ShapeTimes:
    """How long each statement shape last took, from sending to its ReadyForQuery."""

    def __init__(self, within: float = SHARE_WITHIN) -> None:
        self.within = within
        self._last: dict[bytes, float] = {}

    def fast(self, shape: bytes) -> bool:
        """Whether ``shape`` was seen, and last finished within the limit."""
        last = self._last.get(shape)
        return last is not None and last < self.within

    def record(self, shape: bytes, seconds: float) -> None:
        last = self._last
        if len(last) >= _SHAPES_KEPT and shape not in last:
            last.clear()
        last[shape] = seconds


#: One unit waiting for the end of the batch: session, frames, notable offsets, shape.
_Unit = tuple["ProxyServerProtocol", bytes, Sequence[int], bytes]


class Multiplexer:
    """Collects the shareable units of one read batch and sends them (module docstring)."""

    def __init__(self, pool: UpstreamPool, depth: int, read_loop: ReadLoop) -> None:
        if depth < 1:
            raise ValueError("the multiplexing depth must be at least 1")
        self.pool = pool
        self.depth = depth
        self.shapes = ShapeTimes()
        self._read_loop = read_loop
        self._units: list[_Unit] = []
        read_loop.after_batch.append(self.flush)

    def add(
        self, session: ProxyServerProtocol, data: bytes, notable: Sequence[int], shape: bytes
    ) -> None:
        """Queue one unit for the end of the current read batch; send the queue at once
        when it holds ``depth`` units (the upstream can start on them while the rest of the
        batch is read) or outside a batch."""
        units = self._units
        units.append((session, data, notable, shape))
        if len(units) >= self.depth or not self._read_loop.reading:
            self.flush()

    def flush(self) -> None:
        """Send the queued units, grouped by the clients' settings."""
        units = self._units
        if not units:
            return
        self._units = []
        groups: dict[tuple[str | None, ...], list[_Unit]] = {}
        for unit in units:
            groups.setdefault(unit[0].settings_key, []).append(unit)
        for settings, group in groups.items():
            self._send(settings, group)

    def _send(self, settings: tuple[str | None, ...], group: list[_Unit]) -> None:
        """``depth`` units at a time to an idle upstream with these ``settings``; a unit
        left alone, or without such an upstream, goes its usual way."""
        pool = self.pool
        depth = self.depth
        while group:
            upstream = pool.take_idle() if len(group) > 1 else None
            if upstream is None or upstream.settings != settings:
                if upstream is not None:
                    pool.release(upstream)
                for session, data, notable, shape in group:
                    session.send_alone(data, notable, shape)
                return
            riders: list[ProxyServerProtocol] = []
            sent: list[bytes] = []
            now = monotonic()
            for session, data, notable, shape in group[:depth]:
                relayed = session.ride(upstream, data, notable, shape, now)
                if relayed is not None:
                    riders.append(session)
                    sent.append(relayed)
            del group[:depth]
            if riders:
                upstream.carry(riders, b"".join(sent), self._drained)
            else:
                pool.release(upstream)

    def _drained(self, upstream: Upstream) -> None:
        """All units ``upstream`` carried are answered: back to the pool (rolled back first
        if one of them left it inside a transaction, which a plain SELECT cannot)."""
        self.pool.release(upstream, None if upstream.status == b"I" else ["ROLLBACK"])
