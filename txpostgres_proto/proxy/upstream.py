"""One upstream PostgreSQL connection in relay mode: raw bytes in, raw bytes out.

`connect()` does the upstream start-up (TLS per ``sslmode``, authentication); the connection
is then switched to relay mode (`Connection.detach_for_relay`) and wrapped in an `Upstream`.
From there on the backend's messages are not decoded: a `FrameCutter` cuts each received chunk,
and only four message types are looked at:

* ReadyForQuery (``Z``): its status byte, and the count of answered Sync/Query messages, tell
  the pool when the connection is idle and outside a transaction (protocol section 55.2.3);
* ParseComplete (``1``): confirms a named Parse, or is swallowed when the proxy injected that
  Parse (see ``statements.py``); Parses still unconfirmed at the ReadyForQuery of their Sync
  failed or were skipped: forgotten here, and by the client when it sent them;
* ErrorResponse (``E``): a FATAL one means the listener already told its client why the
  connection ends; during quiet queries (reset, settings) any error makes them fail;
* ParameterStatus (``S``): `parameters` follows the upstream's reported settings, and the
  listener hears of changes (a client's ``SET TimeZone`` must follow it to other upstreams).

When several sessions' units were sent together (`Upstream.carry`, ``multiplex.py``), the
sessions wait in `riders`: the stream is cut after each ReadyForQuery and each part goes to the
next rider, which is the listener meanwhile; once all are answered the connection goes back to
the pool.

Everything else is handed to the listener (the client's proxy session) in one ``bytes`` per
received chunk — the very object received when the chunk ends on a frame boundary and nothing
is swallowed — together with whether a ReadyForQuery was among it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final, Protocol

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txpostgres_proto.protocol.messages import CancelRequest, Query

from ..readloop import ReadLoop
from .frames import FrameCutter, split_cstring
from .writer import relay_fd, send_relayed

__all__ = ["TRACKED_SETTINGS", "Upstream", "UpstreamListener"]

_READY: Final = ord("Z")
_PARSE_COMPLETE: Final = ord("1")
_ERROR: Final = ord("E")
_PARAMETER_STATUS: Final = ord("S")
_NOTABLE: Final = frozenset((_READY, _PARSE_COMPLETE, _ERROR, _PARAMETER_STATUS))
#: Reported settings that follow a client from upstream to upstream (pgbouncer's list).
TRACKED_SETTINGS: Final = (
    "application_name",
    "client_encoding",
    "DateStyle",
    "IntervalStyle",
    "TimeZone",
    "standard_conforming_strings",
)


#: Recent `settings_key` answers, each its own key: equal keys are then usually one object,
#: which the comparison on every borrow finds at once (element by element only otherwise).
_KEYS: dict[tuple[str | None, ...], tuple[str | None, ...]] = {}
_KEYS_KEPT: Final = 1024


def settings_key(values: dict[str, str]) -> tuple[str | None, ...]:
    """The tracked settings in ``values`` in a form compared in one step."""
    key = tuple(values.get(name) for name in TRACKED_SETTINGS)
    known = _KEYS.get(key)
    if known is not None:
        return known
    if len(_KEYS) >= _KEYS_KEPT:  # many clients with their own settings: start again
        _KEYS.clear()
    _KEYS[key] = key
    return key


class UpstreamListener(Protocol):
    """The proxy session an upstream is lent to."""

    def upstream_data(self, data: bytes, ready: bool) -> None: ...

    def upstream_parameter(self, name: str, value: str) -> None: ...

    def upstream_parse_failed(self, name: bytes) -> None: ...

    def upstream_lost(self, fatal_relayed: bool) -> None: ...


class Upstream:
    """A relay-mode connection to the upstream server (see the module docstring)."""

    _log = Logger()

    def __init__(self, connection: Any, read_loop: ReadLoop | None = None) -> None:
        self.parameters: dict[str, str] = dict(connection.parameters)
        #: The settings of a fresh session (the server's defaults for this user and database).
        self.initial_parameters: dict[str, str] = dict(self.parameters)
        #: `settings_key` of `parameters`: a session whose key is equal needs no ``SET``.
        self.settings = settings_key(self.parameters)
        self._protocol = connection.detach_for_relay(self)
        self.transport: Any = self._protocol.transport
        #: The plain socket's descriptor, written at once (`writer.relay_fd`); None for TLS.
        self.fd = relay_fd(self.transport)
        self.listener: UpstreamListener | None = None
        #: Sessions whose units were sent together (`carry`), answered in this order; the
        #: first is `listener` meanwhile.
        self.riders: deque[UpstreamListener] = deque()
        self._drained: Callable[[Upstream], None] | None = None
        #: ReadyForQuery status of the last answered Sync: ``I``, ``T`` or ``E``.
        self.status = b"I"
        self.syncs_sent = 0
        self.syncs_done = 0
        #: Upstream names of the named statements this connection has (or is parsing).
        self.prepared: set[bytes] = set()
        self.closed = False
        self._parses: deque[tuple[bytes | None, bool, int]] = deque()
        self._frames = FrameCutter(_NOTABLE)
        self._fatal_relayed = False
        self._quiet: Deferred[None] | None = None
        self._quiet_failed = False
        #: Set by the pool: called once when the connection is gone.
        self.on_lost: Callable[[Upstream], None] | None = None
        if read_loop is not None:
            read_loop.adopt(self.transport, self.dataReceived)

    @property
    def pending(self) -> int:
        """Sync/Query/FunctionCall messages sent whose ReadyForQuery has not arrived."""
        return self.syncs_sent - self.syncs_done

    # -- sending ---------------------------------------------------------------------------

    def write(self, data: bytes) -> bool:
        """Send ``data``; False when some of it had to be buffered."""
        return self.closed or send_relayed(self.transport, self.fd, data)

    def carry(
        self,
        riders: Sequence[UpstreamListener],
        data: bytes,
        drained: Callable[[Upstream], None],
    ) -> None:
        """Send the units ``data`` of several sessions at once (``multiplex.py``): the answer
        up to each ReadyForQuery goes to the next of ``riders``; ``drained`` gets the connection
        back once all are answered."""
        self.riders.extend(riders)
        self.listener = riders[0]
        self._drained = drained
        self.write(data)

    def note_parse(self, name: bytes | None, swallow: bool) -> None:
        """A Parse was written (named ``name``); swallow its ParseComplete when injected."""
        self._parses.append((name, swallow, self.syncs_sent))

    def cancel(self) -> None:
        """Send a CancelRequest for the running query on a new connection."""
        key = self._protocol.client.backend_key
        connector = self._protocol.cancel_connector
        if key is None or connector is None or self.closed:
            return
        connector(CancelRequest(*key)).addErrback(
            lambda failure: self._log.failure("upstream cancel failed", failure=failure)
        )

    def run_quietly(self, queries: list[str]) -> Deferred[None]:
        """Run ``queries`` (one Query each) with the answers discarded; fails on any error.

        The connection has no listener meanwhile: resets (``ROLLBACK``, ``DISCARD ALL``) and
        the ``SET`` of a client's settings go this way.
        """
        self.listener = None
        self._quiet_failed = False
        waiter: Deferred[None] = Deferred()
        self._quiet = waiter
        if any(query.upper().startswith("DISCARD") for query in queries):
            self.prepared.clear()
        self.write(b"".join(Query(query).encode() for query in queries))
        self.syncs_sent += len(queries)
        return waiter

    def abort(self) -> None:
        if not self.closed:
            self.transport.abortConnection()

    # -- receiving (relay-mode protocol) ---------------------------------------------------

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted protocol API
        """Cut ``data``, look at its notable frames, hand the rest on (module docstring)."""
        ready = drained = False
        try:
            data, offsets = self._frames.cut(data)
            kept: list[bytes] | None = None
            run = 0
            for start in offsets:
                code = data[start]
                if code == _READY:
                    self.status = data[start + 5 : start + 6]
                    if self._parses:
                        self._forget_unconfirmed()
                    self.syncs_done += 1
                    if self.riders:  # one rider's answer is complete
                        end = start + 6
                        answer = data[run:end] if kept is None else b"".join((*kept, data[run:end]))
                        kept = None
                        run = end
                        drained = self._answer_rider(answer)
                    else:
                        ready = True
                elif code == _PARSE_COMPLETE:
                    if self._parses and self._parses.popleft()[1]:  # injected by us: swallow it
                        if kept is None:
                            kept = []
                        kept.append(data[run:start])
                        run = start + 5
                elif code == _ERROR:
                    severity = data[start + 5 : start + 11]
                    if severity in (b"SFATAL", b"SPANIC"):
                        self._fatal_relayed = self.listener is not None
                    self._quiet_failed = True
                else:
                    self._parameter_status(data, start)
            if kept is not None:
                kept.append(data[run:])
                data = b"".join(kept)
            elif run:
                data = data[run:]
        except Exception:  # noqa: BLE001 - a garbled stream: the connection is unusable
            self._log.failure("bad data from the upstream server", failure=Failure())
            self.abort()
            return
        listener = self.listener
        if listener is not None:
            if data or ready:
                listener.upstream_data(data, ready)
        elif drained:
            done, self._drained = self._drained, None
            if done is not None:
                done(self)
        elif ready and self._quiet is not None and self.syncs_sent == self.syncs_done:
            waiter, self._quiet = self._quiet, None
            if self._quiet_failed or self.status != b"I":
                waiter.errback(RuntimeError("a query run quietly on the upstream failed"))
            else:
                waiter.callback(None)

    def _answer_rider(self, answer: bytes) -> bool:
        """Hand the first rider its complete ``answer``; True when none is left."""
        riders = self.riders
        rider = riders.popleft()
        self.listener = riders[0] if riders else None
        rider.upstream_data(answer, True)
        return not riders

    def _parameter_status(self, data: bytes, start: int) -> None:
        raw_name, after = split_cstring(data, start + 5)
        name = raw_name.decode("utf-8", "replace")
        value = split_cstring(data, after)[0].decode("utf-8", "replace")
        self.parameters[name] = value
        self.settings = settings_key(self.parameters)
        if self.listener is not None:
            self.listener.upstream_parameter(name, value)

    def _forget_unconfirmed(self) -> None:
        """At a ReadyForQuery: Parses sent before its Sync and not confirmed failed."""
        parses = self._parses
        done = self.syncs_done
        while parses and parses[0][2] <= done:
            name, injected, _ = parses.popleft()
            if name is not None:
                self.prepared.discard(name)
                if not injected and self.listener is not None:
                    self.listener.upstream_parse_failed(name)

    def connectionLost(self, reason: Failure | None = None) -> None:  # noqa: N802
        self.closed = True
        waiter, self._quiet = self._quiet, None
        if waiter is not None:
            waiter.errback(reason or RuntimeError("upstream connection lost"))
        listener, self.listener = self.listener, None
        riders, self.riders = list(self.riders), deque()
        if listener is not None and not riders:
            listener.upstream_lost(self._fatal_relayed)
        for number, rider in enumerate(riders):  # the first one's FATAL reached its client
            rider.upstream_lost(self._fatal_relayed and number == 0)
        if self.on_lost is not None:
            self.on_lost(self)
