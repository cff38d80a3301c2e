"""One upstream PostgreSQL connection in relay mode: raw bytes in, raw bytes out.

`connect()` does the upstream start-up (TLS per ``sslmode``, authentication); the connection
is then switched to relay mode (`Connection.detach_for_relay`) and wrapped in an `Upstream`.
From there on the backend's messages are not decoded: `scan_frames` cuts them, and only the
type byte of most is looked at.  The few exceptions:

* ReadyForQuery (``Z``): its status byte, and the count of answered Sync/Query messages, tell
  the pool when the connection is idle and outside a transaction (protocol section 55.2.3);
* ParseComplete (``1``): confirms a named Parse, or is swallowed when the proxy injected that
  Parse (see ``statements.py``); Parses still unconfirmed at the ReadyForQuery of their Sync
  failed or were skipped: forgotten here, and by the client when it sent them;
* ErrorResponse (``E``): a FATAL one means the listener already told its client why the
  connection ends; during quiet queries (reset, settings) any error makes them fail;
* ParameterStatus (``S``): `parameters` follows the upstream's reported settings, and the
  listener hears of changes (a client's ``SET TimeZone`` must follow it to other upstreams).

Everything else is handed to the listener (the client's proxy session) as one ``bytes`` per
received chunk, which it writes in one call.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any, Final, Protocol

from twisted.internet.defer import Deferred
from twisted.logger import Logger
from twisted.python.failure import Failure

from txpostgres_proto.protocol.messages import CancelRequest, Query

from .frames import scan_frames, split_cstring
from .writer import write_now

__all__ = ["Upstream", "UpstreamListener"]

_READY: Final = ord("Z")
_PARSE_COMPLETE: Final = ord("1")
_ERROR: Final = ord("E")
_PARAMETER_STATUS: Final = ord("S")


class UpstreamListener(Protocol):
    """The proxy session an upstream is lent to."""

    def upstream_data(self, data: bytes) -> None: ...

    def upstream_ready(self) -> None: ...

    def upstream_parameter(self, name: str, value: str) -> None: ...

    def upstream_parse_failed(self, name: bytes) -> None: ...

    def upstream_lost(self, fatal_relayed: bool) -> None: ...


class Upstream:
    """A relay-mode connection to the upstream server (see the module docstring)."""

    _log = Logger()

    def __init__(self, connection: Any) -> None:
        self.parameters: dict[str, str] = dict(connection.parameters)
        #: The settings of a fresh session (the server's defaults for this user and database).
        self.initial_parameters: dict[str, str] = dict(self.parameters)
        self._protocol = connection.detach_for_relay(self)
        self.transport: Any = self._protocol.transport
        self.listener: UpstreamListener | None = None
        #: ReadyForQuery status of the last answered Sync: ``I``, ``T`` or ``E``.
        self.status = b"I"
        self.syncs_sent = 0
        self.syncs_done = 0
        #: Upstream names of the named statements this connection has (or is parsing).
        self.prepared: set[bytes] = set()
        self.closed = False
        self._parses: deque[tuple[bytes | None, bool, int]] = deque()
        self._buffer = bytearray()
        self._fatal_relayed = False
        self._quiet: Deferred[None] | None = None
        self._quiet_failed = False
        #: Set by the pool: called once when the connection is gone.
        self.on_lost: Callable[[Upstream], None] | None = None

    @property
    def pending(self) -> int:
        """Sync/Query/FunctionCall messages sent whose ReadyForQuery has not arrived."""
        return self.syncs_sent - self.syncs_done

    # -- sending ---------------------------------------------------------------------------

    def write(self, data: bytes) -> bool:
        """Send ``data``; False when some of it had to be buffered."""
        return self.closed or write_now(self.transport, data)

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
        buffer = self._buffer
        buffer += data
        out: list[bytes] = []
        run = consumed = 0
        ready = False
        try:
            for code, start, end in scan_frames(buffer):
                consumed = end
                if code == _READY:
                    self.status = bytes(buffer[start + 5 : end])
                    self._sync_answered()
                    ready = True
                elif code == _PARSE_COMPLETE:
                    if self._parses and self._parses.popleft()[1]:
                        out.append(bytes(buffer[run:start]))
                        run = end
                elif code == _ERROR:
                    severity = bytes(buffer[start + 5 : start + 11])
                    if severity in (b"SFATAL", b"SPANIC"):
                        self._fatal_relayed = self.listener is not None
                    self._quiet_failed = True
                elif code == _PARAMETER_STATUS:
                    name, after = split_cstring(buffer, start + 5)
                    value = split_cstring(buffer, after)[0].decode("utf-8", "replace")
                    self.parameters[name.decode("utf-8", "replace")] = value
                    if self.listener is not None:
                        self.listener.upstream_parameter(name.decode("utf-8", "replace"), value)
        except Exception:  # noqa: BLE001 - a garbled stream: the connection is unusable
            self._log.failure("bad data from the upstream server", failure=Failure())
            self.abort()
            return
        if run < consumed:
            out.append(bytes(buffer[run:consumed]))
        del buffer[:consumed]
        listener = self.listener
        if listener is not None:
            if out:
                listener.upstream_data(b"".join(out) if len(out) > 1 else out[0])
            if ready:
                listener.upstream_ready()
        elif ready and self._quiet is not None and self.pending == 0:
            waiter, self._quiet = self._quiet, None
            if self._quiet_failed or self.status != b"I":
                waiter.errback(RuntimeError("a query run quietly on the upstream failed"))
            else:
                waiter.callback(None)

    def _sync_answered(self) -> None:
        parses = self._parses
        done = self.syncs_done
        while parses and parses[0][2] <= done:
            name, injected, _ = parses.popleft()
            if name is not None:
                self.prepared.discard(name)
                if not injected and self.listener is not None:
                    self.listener.upstream_parse_failed(name)
        self.syncs_done = done + 1

    def connectionLost(self, reason: Failure | None = None) -> None:  # noqa: N802
        self.closed = True
        waiter, self._quiet = self._quiet, None
        if waiter is not None:
            waiter.errback(reason or RuntimeError("upstream connection lost"))
        listener, self.listener = self.listener, None
        if listener is not None:
            listener.upstream_lost(self._fatal_relayed)
        if self.on_lost is not None:
            self.on_lost(self)
