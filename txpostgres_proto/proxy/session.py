"""The client side of the proxy: a server connection that relays after authentication.

`ProxyServerProtocol` is a `PostgresServerProtocol` (so SSL negotiation, ``require_tls``,
trust/password/md5/SCRAM authentication against the users file and the startup timeout are the
server's own) that, once the client is authenticated, stops running the server state machine:
it borrows an upstream from the pool, reports the upstream's ParameterStatus values with its
own BackendKeyData, and from then on relays raw frames both ways: each chunk read from one
side is cut into frames once (`frames.FrameCutter`) and written to the other side in one
call, straight to the socket when it can take it (`writer.send_relayed`).  Reading both
sides goes through the factory's `ReadLoop` where the sockets allow it
(``txpostgres_proto/readloop.py``).

Pool modes:

* ``session`` — one upstream for the whole client session, reset with ``DISCARD ALL`` (after
  a ``ROLLBACK`` if needed) when the client leaves;
* ``transaction`` — an upstream is borrowed when the client sends something and returned when
  a ReadyForQuery with status ``I`` answers the last Sync/Query sent and no unsynced extended
  message is outstanding.  Borrowing an idle upstream whose settings match the client's is
  a list pop and one tuple comparison; giving it back is an append.  Named prepared
  statements are rewritten by `StatementMap`; ``LISTEN`` pins the session to its upstream
  for good.

Multiplexing (``--multiplex N``, transaction pooling only): a client's unit that qualifies
(``units.py``) waits for the end of the read batch, where the `Multiplexer` sends it together
with other clients' units down one upstream connection (``multiplex.py``); the session is then
*riding* that upstream, which hands it its answer up to the ReadyForQuery.  Anything the
client sends meanwhile is held (reading paused) until that answer is in, so answers keep their
order.

Settings: the reported settings a client asked for in its startup packet (``client_encoding``,
``DateStyle``, ``TimeZone`` …) and later changed with ``SET`` follow it: an upstream whose
values differ gets quiet ``SET`` commands before it serves the client (as pgbouncer does).

Cancel: the client's BackendKeyData is registered with the factory's `CancelRegistry`; a
matching CancelRequest makes the upstream serving the session send its own CancelRequest.

Flow control: a client that reads slowly pauses reading from its upstream (this protocol is
the client transport's producer); an upstream whose send buffer fills pauses reading from the
client (`_ClientReader`, registered once a write could not go out at once).

Faults: an upstream that dies while lent to this session ends the session — with the
upstream's own FATAL error when it sent one (57P01 on shutdown), otherwise with FATAL 08006.
A client that leaves mid-query gets its upstream closed; one that leaves inside a transaction
gets it rolled back before reuse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from time import monotonic
from typing import TYPE_CHECKING, Final

from twisted.internet.defer import Deferred, succeed
from twisted.internet.interfaces import IPushProducer
from twisted.internet.protocol import connectionDone
from twisted.python.failure import Failure
from zope.interface import implementer

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError, ProtocolError
from txpostgres_proto.server.protocol import PostgresServerProtocol

from .frames import FrameCutter, frame_end
from .statements import StatementMap
from .units import unit_shape
from .upstream import TRACKED_SETTINGS, Upstream, settings_key
from .writer import relay_fd, send_relayed

if TYPE_CHECKING:
    from .factory import ProxyFactory
    from .multiplex import Multiplexer

__all__ = ["ProxyServerProtocol"]

_SYNC, _QUERY, _FUNCTION_CALL, _TERMINATE = b"S"[0], b"Q"[0], b"F"[0], b"X"[0]
_PARSE, _BIND, _DESCRIBE, _CLOSE, _EXECUTE = b"P"[0], b"B"[0], b"D"[0], b"C"[0], b"E"[0]
#: Client messages the relay looks at: the ones answered by ReadyForQuery, the extended-query
#: messages that leave the upstream busy until a Sync follows, and Terminate.
_NOTABLE: Final = frozenset(b"QSFPBDCEX")
#: Leading blanks and comments of a statement.
_LEAD: Final = rb"\s*(?:/\*.*?\*/\s*|--[^\n]*\n\s*)*"
#: Statements that tie the session to one upstream (transaction pooling).
_PINNING: Final = re.compile(_LEAD + rb"listen\b", re.I | re.S)
#: A Query that pins (group 1) or drops the upstream's prepared statements.
_SESSION_QUERY: Final = re.compile(
    _LEAD + rb"(?:(listen)|discard\s+all|deallocate\s+(?:prepare\s+)?all)\b", re.I | re.S
)
#: The bytes either pattern can start with (blank, comment, ``l``, ``d``): a statement starting
#: otherwise (``SELECT`` …, nearly all of them) is not handed to the patterns at all.
_SESSION_START: Final = frozenset(b" \t\n\r\x0b\x0c/-lLdD")
_ROLLBACK: Final = "ROLLBACK"
#: Settings that follow a client from upstream to upstream (lower-case name -> proper name).
_TRACKED: Final = {name.lower(): name for name in TRACKED_SETTINGS}
_DISCARD_ALL: Final = "DISCARD ALL"


class ProxyServerProtocol(PostgresServerProtocol):
    """One client connection of the proxy (see the module docstring)."""

    factory: ProxyFactory

    def __init__(self) -> None:
        super().__init__()
        self._relaying = False
        self._transaction_pooling = False
        self._frames = FrameCutter(_NOTABLE)
        self._fd: int | None = None
        self._upstream: Upstream | None = None
        self._acquiring = False
        #: The client transport paused us: its send buffer is full.
        self._client_full = False
        #: Complete client frames that arrived while an upstream was being acquired.
        self._waiting: list[bytes] = []
        self._pinned = False
        self._unsynced = False
        self._cancel_key: int | None = None
        self._statements = StatementMap()
        self._settings: dict[str, str] = {}
        self._settings_key = settings_key(self._settings)
        self._reader = _ClientReader(self)
        #: Set when multiplexing applies to this session (``multiplex.py``).
        self._multiplexer: Multiplexer | None = None
        #: The upstream carrying this client's unit with other clients' (`ride`).
        self.riding: Upstream | None = None
        #: Complete frames that arrived while riding: sent once the unit is answered.
        self._held: list[bytes] = []
        #: The shape of the unit awaiting its answer, and when it was sent.
        self._timing: tuple[bytes, float] | None = None

    # -- start-up: authentication is the server's, the rest comes from an upstream ----------

    async def _start_session(self) -> None:
        factory = self.factory
        assert self._startup is not None
        try:
            upstream: Upstream = await factory.pool.acquire()
        except Exception as error:  # noqa: BLE001 - any connect failure is the client's 08006
            self._send_fatal(_upstream_error(error))
            return
        # The client's settings: the server's defaults, then what its startup packet asks for.
        for name in TRACKED_SETTINGS:
            if name in upstream.initial_parameters:
                self._settings[name] = upstream.initial_parameters[name]
        for name, value in self._startup.parameters.items():
            if name.lower() in _TRACKED:
                self._settings[_TRACKED[name.lower()]] = value
        self._settings_key = settings_key(self._settings)
        try:
            await self._apply_settings(upstream)
        except Exception:  # noqa: BLE001 - the upstream said why; the values are the client's
            factory.pool.release(upstream)
            self._send_fatal(PostgresError("invalid value for a startup parameter", "22023"))
            return
        if self._stopped:
            factory.pool.release(upstream)
            return
        process_id, secret = factory.cancel_registry.register(self)
        self._cancel_key = process_id
        self._cancel_startup_timer()
        for name, value in upstream.parameters.items():
            self._send(m.ParameterStatus(name, value))
        self._send(m.BackendKeyData(process_id, secret))
        self._send(m.ReadyForQuery(m.TransactionStatus.IDLE))
        self._flush()
        if factory.session_pooling:
            self._attach(upstream)
        else:
            factory.pool.release(upstream)
        self._transaction_pooling = not factory.session_pooling
        self._frames.limit = factory.max_message_size
        self._fd = relay_fd(self.transport)
        self._relaying = True
        if factory.read_loop.adopt(self.transport, self._relay_input):
            # Units are collected per read batch, so only sessions read in batches share.
            self._multiplexer = factory.multiplexer if self._transaction_pooling else None
        assert self._conn is not None
        leftover = self._conn.take_unprocessed()
        if leftover:
            self._relay_input(leftover)

    # -- Twisted interface -----------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted API
        if self._relaying:
            self._relay_input(data)
        else:
            super().dataReceived(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        super().connectionLost(reason)
        if self._cancel_key is not None:
            self.factory.cancel_registry.unregister(self._cancel_key)
            self._cancel_key = None
        upstream = self._detach()
        if upstream is not None:
            self._give_back(upstream)

    def pauseProducing(self) -> None:  # noqa: N802 - the client reads slowly: so does upstream
        super().pauseProducing()
        self._client_full = True
        if self._upstream is not None and not self._upstream.closed:
            self._upstream.transport.pauseProducing()

    def resumeProducing(self) -> None:  # noqa: N802
        super().resumeProducing()
        self._client_full = False
        if self._upstream is not None and not self._upstream.closed:
            self._upstream.transport.resumeProducing()

    def cancel_current_command(self) -> None:
        """A CancelRequest with this session's key arrived: cancel upstream.

        A unit sharing its upstream is cancelled only while it is the last one there: with
        others' units behind it, the cancel could reach one of them instead."""
        upstream = self._upstream
        if upstream is None:
            upstream = self.riding
            if upstream is None or list(upstream.riders) != [self]:
                return
        if upstream.pending:
            upstream.cancel()

    @property
    def settings_key(self) -> tuple[str | None, ...]:
        """The client's tracked settings (`upstream.settings_key`)."""
        return self._settings_key

    # -- client -> upstream ----------------------------------------------------------------

    def _relay_input(self, data: bytes) -> None:
        """One chunk from the client: cut, looked at where needed, sent on in one write."""
        try:
            data, notable = self._frames.cut(data)
        except ProtocolError as error:
            self._fail(PostgresError(str(error), "08P01", severity="FATAL"))
            return
        if data:
            self._forward(data, notable)

    def _forward(self, data: bytes, notable: Sequence[int]) -> None:
        """Send the complete frames ``data`` upstream (``notable``: see `FrameCutter.cut`)."""
        upstream = self._upstream
        if upstream is None:
            if self.riding is not None:  # answers must come back in order: wait for ours
                self._hold(data)
                return
            multiplexer = self._multiplexer
            if multiplexer is not None and notable and not self._acquiring and not self._pinned:
                shape = unit_shape(data, notable, self._statements)
                if shape is not None:
                    if multiplexer.shapes.fast(shape):
                        multiplexer.add(self, data, notable, shape)
                        return
                    self._timing = (shape, monotonic())  # learn how long it takes alone
            upstream = self._lease(data)
            if upstream is None:
                return
        self._relay_to(upstream, data, notable)

    def send_alone(self, data: bytes, notable: Sequence[int], shape: bytes) -> None:
        """Send a unit the multiplexer could not combine with others, the usual way."""
        self._timing = (shape, monotonic())
        upstream = self._lease(data)
        if upstream is not None:
            self._relay_to(upstream, data, notable)

    def ride(
        self, upstream: Upstream, data: bytes, notable: Sequence[int], shape: bytes, now: float
    ) -> bytes | None:
        """The bytes of this client's unit as sent with others' to ``upstream`` (None when
        the client has gone meanwhile)."""
        if self._stopped:
            return None
        self.riding = upstream
        self._timing = (shape, now)
        return self._client_messages(data, notable, upstream)

    def _hold(self, data: bytes) -> None:
        if not self._held:
            self.transport.pauseProducing()
        self._held.append(data)

    def _relay_to(self, upstream: Upstream, data: bytes, notable: Sequence[int]) -> None:
        if notable:
            try:
                relayed = self._client_messages(data, notable, upstream)
            except (ProtocolError, ValueError) as error:
                self._fail(PostgresError(str(error), "08P01", severity="FATAL"))
                return
            if relayed is None:
                return
            data = relayed
        if data:
            self._write_upstream(upstream, data)

    def _client_messages(
        self, data: bytes, offsets: Sequence[int], upstream: Upstream
    ) -> bytes | None:
        """Count the Syncs, rewrite named statements, spot pinning queries: the bytes to
        send upstream, or None when the client said Terminate."""
        transaction_pooling = self._transaction_pooling
        kept: list[bytes] | None = None
        run = 0
        for start in offsets:
            code = data[start]
            if code == _QUERY or code == _SYNC or code == _FUNCTION_CALL:
                upstream.syncs_sent += 1
                self._unsynced = False
                if (
                    code == _QUERY
                    and transaction_pooling
                    and start + 5 < len(data)
                    and data[start + 5] in _SESSION_START
                ):
                    found = _SESSION_QUERY.match(data, start + 5)
                    if found is not None:
                        self._session_query(found, upstream)
            elif code == _TERMINATE:
                before = b"".join(kept) + data[run:start] if kept is not None else data[:start]
                if before:
                    self._write_upstream(upstream, before)
                self._close()
                return None
            else:
                self._unsynced = True
                if transaction_pooling and code != _EXECUTE:
                    if kept is None:
                        kept = []
                    kept.append(data[run:start])
                    run = frame_end(data, start)
                    self._rewrite(code, data[start + 5 : run], upstream, kept)
        if kept is None:
            return data
        kept.append(data[run:])
        return b"".join(kept)

    def _rewrite(self, code: int, body: bytes, upstream: Upstream, out: list[bytes]) -> None:
        statements = self._statements
        if code == _PARSE:
            query = body.index(0) + 1
            if query < len(body) and body[query] in _SESSION_START and _PINNING.match(body, query):
                self._pinned = True
            statements.parse(body, upstream, out)
        elif code == _BIND:
            statements.bind(body, upstream, out)
        elif code == _DESCRIBE:
            statements.describe(body, upstream, out)
        else:
            statements.close(body, out)

    def _session_query(self, found: re.Match[bytes], upstream: Upstream) -> None:
        """A Query that pins the session (LISTEN) or drops the prepared statements."""
        if found.group(1) is not None:
            self._pinned = True
        else:
            upstream.prepared.clear()

    def _lease(self, data: bytes) -> Upstream | None:
        """An upstream for the complete frames ``data``: an idle one with the client's
        settings at once, else None after starting to acquire one (``data`` then waits)."""
        if self._acquiring:
            self._waiting.append(data)
            return None
        if self._stopped:
            return None
        if data[0] == _TERMINATE:
            self._close()
            return None
        pool = self.factory.pool
        upstream = pool.take_idle()
        if upstream is not None and (
            upstream.settings == self._settings_key or not self._settings_missing(upstream)
        ):
            self._attach(upstream)
            return upstream
        self._acquiring = True
        self._waiting.append(data)
        self.transport.pauseProducing()
        waiting = succeed(upstream) if upstream is not None else pool.acquire()
        waiting.addCallback(self._prepare).addCallbacks(self._borrowed, self._borrow_failed)
        return None

    def _settings_missing(self, upstream: Upstream) -> list[str]:
        """``SET`` commands that give ``upstream`` this client's settings."""
        current = upstream.parameters
        return [
            f"SET {name} = '{value.replace(chr(39), chr(39) * 2)}'"
            for name, value in self._settings.items()
            if current.get(name) != value
        ]

    async def _apply_settings(self, upstream: Upstream) -> None:
        queries = self._settings_missing(upstream)
        if queries:
            await upstream.run_quietly(queries)
            # Remember the values as the server spells them (utf-8 -> UTF8), or every borrow
            # would SET them again.
            for name in self._settings:
                self._settings[name] = upstream.parameters.get(name, self._settings[name])
            self._settings_key = settings_key(self._settings)

    def _prepare(self, upstream: Upstream) -> Deferred[Upstream]:
        """``upstream`` once it has this client's settings (returned to the pool if not)."""

        def failed(failure: Failure) -> Failure:
            self.factory.pool.release(upstream)
            return failure

        applying = Deferred.fromCoroutine(self._apply_settings(upstream))
        return applying.addCallbacks(lambda _: upstream, failed)

    def _borrowed(self, upstream: Upstream) -> None:
        self._acquiring = False
        waiting, self._waiting = self._waiting, []
        if self._stopped:
            self.factory.pool.release(upstream)
            return
        self.transport.resumeProducing()
        self._attach(upstream)
        self._replay(waiting)

    def _replay(self, frames: list[bytes]) -> None:
        """Send on complete ``frames`` that had to wait."""
        cutter = FrameCutter(_NOTABLE, self._frames.limit)
        data, notable = cutter.cut(b"".join(frames))  # whole frames: nothing is held
        self._forward(data, notable)

    def _borrow_failed(self, failure: Failure) -> None:
        self._acquiring = False
        self._waiting = []
        if not self._stopped:
            self._fail(_upstream_error(failure.value))

    def _attach(self, upstream: Upstream) -> None:
        self._upstream = upstream
        upstream.listener = self
        if self._client_full:  # the client's send buffer is full: hold the answers back
            upstream.transport.pauseProducing()

    def _write_upstream(self, upstream: Upstream, data: bytes) -> None:
        # Client -> upstream backpressure (a large COPY FROM STDIN): once the upstream buffers
        # what we send, reading from the client follows its buffer (stops while it is full).
        if not upstream.write(data) and not self._reader.registered:
            self._reader.registered = True
            upstream.transport.registerProducer(self._reader, True)

    def _detach(self) -> Upstream | None:
        upstream, self._upstream = self._upstream, None
        if upstream is None:
            return None
        if self._client_full and not upstream.closed:
            # Paused on this client's account (its last answer filled the send buffer): the
            # next session must find it reading.
            upstream.transport.resumeProducing()
        if self._reader.registered:
            self._reader.registered = False
            if not upstream.closed:
                upstream.transport.unregisterProducer()
            self._reader.resumeProducing()
        return upstream

    # -- upstream -> client (UpstreamListener) ---------------------------------------------

    def upstream_data(self, data: bytes, ready: bool) -> None:
        if data and not self._stopped:
            send_relayed(self.transport, self._fd, data)
        if not ready:
            return
        timing = self._timing
        if timing is not None and self._multiplexer is not None:
            self._timing = None
            self._multiplexer.shapes.record(timing[0], monotonic() - timing[1])
        if self.riding is not None:  # our shared unit is answered
            self.riding = None
            held, self._held = self._held, []
            if held and not self._stopped:
                self.transport.resumeProducing()
                self._replay(held)
            return
        if self._transaction_pooling and not self._pinned and not self._unsynced:
            upstream = self._upstream
            if (
                upstream is not None
                and upstream.syncs_sent == upstream.syncs_done
                and upstream.status == b"I"
            ):
                self._detach()
                self.factory.pool.release(upstream)

    def upstream_parse_failed(self, name: bytes) -> None:
        self._statements.forget(name)

    def upstream_parameter(self, name: str, value: str) -> None:
        if name.lower() in _TRACKED:
            self._settings[_TRACKED[name.lower()]] = value
            self._settings_key = settings_key(self._settings)

    def upstream_lost(self, fatal_relayed: bool) -> None:
        self._detach()
        self.riding = None
        if self._stopped:
            return
        if fatal_relayed:
            self._close()
        else:
            self._fail(
                PostgresError(
                    "server closed the connection unexpectedly", "08006", severity="FATAL"
                )
            )

    def _fail(self, error: PostgresError) -> None:
        """End a relaying session with a FATAL error (written raw: no server state here)."""
        if not self._stopped:
            self.transport.write(m.ErrorResponse(error.to_fields()).encode())
        self._close()

    # -- giving an upstream back -----------------------------------------------------------

    def _give_back(self, upstream: Upstream) -> None:
        pool = self.factory.pool
        upstream.listener = None
        if upstream.pending or self._unsynced:
            upstream.abort()  # mid-query: the cheapest safe reset is a new connection
            return
        reset: list[str] = []
        if upstream.status != b"I":
            reset.append(_ROLLBACK)
        if self.factory.session_pooling or self._pinned:
            reset.append(_DISCARD_ALL)
        pool.release(upstream, reset)


@implementer(IPushProducer)
class _ClientReader:
    """Reading from the client as a producer for the upstream transport (backpressure)."""

    def __init__(self, session: ProxyServerProtocol) -> None:
        self._session = session
        self._paused = False
        self.registered = False

    def pauseProducing(self) -> None:  # noqa: N802 - Twisted API
        if not self._paused:
            self._paused = True
            self._session.transport.pauseProducing()

    def resumeProducing(self) -> None:  # noqa: N802
        if self._paused:
            self._paused = False
            if not self._session._stopped:
                self._session.transport.resumeProducing()

    def stopProducing(self) -> None:  # noqa: N802 - the upstream went away: upstream_lost
        pass


def _upstream_error(error: BaseException) -> PostgresError:
    if isinstance(error, PostgresError):
        return PostgresError(error.message, error.sqlstate, severity="FATAL")
    return PostgresError(
        f"could not connect to the upstream server: {error}", "08006", severity="FATAL"
    )
