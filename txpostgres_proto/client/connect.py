"""`connect`: open a `Connection` to a PostgreSQL server the way libpq's PQconnectdb does.

PostgreSQL documentation, 34.1 "Database Connection Control Functions" (multiple hosts,
``target_session_attrs``, ``connect_timeout``) and protocol section 55.2 "Message Flow"
(start-up, cancelling requests).  Steps:

1. the parameters are resolved by `dsn.parse_dsn` (connection string, keywords, environment,
   password file) and the TLS policy by `tls.tls_policy`;
2. each host is tried in order (shuffled with ``load_balance_hosts=random``), and each address a
   host name resolves to; a Unix socket directory means ``<dir>/.s.PGSQL.<port>``.  Every
   attempt gets ``connect_timeout`` of its own;
3. `tls.SSLNegotiator` settles TLS per ``sslmode``; then the client core's `ClientProtocol`
   runs start-up and authentication (cleartext, MD5, SCRAM-SHA-256, SCRAM-SHA-256-PLUS with the
   server certificate's channel-binding data); with ``sslmode=allow`` or ``prefer`` an attempt
   the server rejects during start-up is retried once with the other TLS choice, as libpq does;
4. ``target_session_attrs`` is checked (from the ``in_hot_standby`` and
   ``default_transaction_read_only`` parameters PostgreSQL 14+ reports, else by asking with
   ``SHOW transaction_read_only`` / ``pg_is_in_recovery()``); a server that does not qualify is
   closed and the next one tried; ``prefer-standby`` makes a second pass accepting any server.

Errors: the server's own error when it refused us (``InvalidPassword`` 28P01 …);
`connect_errors.ConnectError` subclasses for client-side failures (timeout, TLS, session
attributes); `AllHostsFailed` listing every attempt when several failed — unless exactly one
attempt reached a server and was refused by it, in which case that error is raised with the
other failures added as notes.

The `Connection` gets a cancel connector: cancelling opens a new connection to the same address,
negotiates TLS the same way the connection did, and sends CancelRequest (protocol section
55.2.9 "Canceling Requests in Progress").
"""

from __future__ import annotations

import random
import socket
import struct
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Final

from twisted.internet import defer
from twisted.internet.abstract import isIPAddress, isIPv6Address
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.defer import Deferred
from twisted.internet.endpoints import (
    TCP4ClientEndpoint,
    TCP6ClientEndpoint,
    UNIXClientEndpoint,
)
from twisted.internet.error import ConnectError as TwistedConnectError
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolutionReceiver
from twisted.internet.protocol import Factory, Protocol
from twisted.python.failure import Failure
from zope.interface import implementer

# Importing the SQLSTATE classes registers them, so start-up errors get specific classes.
from txpostgres_proto.protocol import sqlstates  # noqa: F401
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.messages import CancelRequest

from .cancel import CancelRequestProtocol
from .connect_errors import (
    AllHostsFailed,
    ConnectError,
    ConnectTimeoutError,
    SessionAttributesError,
    TlsHandshakeError,
)
from .dsn import ConnectParams, Host, parse_dsn
from .protocol import ClientProtocol
from .tls import SSLNegotiator, TlsInfo, TlsPolicy, tls_policy

if TYPE_CHECKING:
    from .connection import Connection

__all__ = ["connect", "connect_params"]

#: Unix sockets never use TLS (as in libpq).
_NO_TLS: Final = TlsPolicy("disable", None, None, False, False)

#: Keyword arguments of `connect` that configure the client, not the server connection.
_PROTOCOL_OPTIONS: Final = ("registry", "statement_cache_size")


def connect(reactor: Any, dsn: str | None = None, **params: Any) -> Deferred[Connection]:
    """Connect to a PostgreSQL server; the Deferred fires with a ready `Connection`.

    ``dsn`` is a libpq connection string or URI; keyword arguments override its keywords (see
    `dsn.parse_dsn`).  ``registry`` (a type registry) and ``statement_cache_size`` are passed
    to the client protocol.
    """
    options = {name: params.pop(name) for name in _PROTOCOL_OPTIONS if name in params}
    try:
        resolved = parse_dsn(dsn, **params)
    except Exception:
        return defer.fail()
    return connect_params(reactor, resolved, **options)


def connect_params(reactor: Any, params: ConnectParams, **options: Any) -> Deferred[Connection]:
    """`connect` with parameters already resolved (the pool uses this for every connection)."""
    return Deferred.fromCoroutine(_Connector(reactor, params, options).run())


class _Connector:
    """One `connect` call: the loop over passes, hosts and addresses."""

    def __init__(self, reactor: Any, params: ConnectParams, options: dict[str, Any]) -> None:
        self.reactor = reactor
        self.params = params
        self.options = options
        self.errors: list[tuple[str, BaseException]] = []
        self._policy: TlsPolicy | None = None

    def policy_for(self, host: Host) -> TlsPolicy:
        """The TLS policy (built on first use: Unix sockets never need the TLS files)."""
        if host.is_unix_socket:
            return _NO_TLS
        if self._policy is None:
            self._policy = tls_policy(self.params)
        return self._policy

    async def run(self) -> Connection:
        params = self.params
        hosts = list(params.hosts)
        if params.load_balance_hosts == "random":
            random.shuffle(hosts)
        wanted = params.target_session_attrs
        passes = ["standby", "any"] if wanted == "prefer-standby" else [wanted]
        for session_attrs in passes:
            for host in hosts:
                try:
                    addresses = await _resolve(self.reactor, host)
                except Exception as error:
                    self.errors.append((host.describe(), _as_connect_error(error)))
                    continue
                for address in addresses:
                    policy = self.policy_for(host)
                    connection = await self._try(policy, host, address, session_attrs)
                    if connection is not None:
                        return connection
        raise self._final_error()

    async def _try(
        self, policy: TlsPolicy, host: Host, address: str | None, session_attrs: str
    ) -> Connection | None:
        where = _describe(host, address)
        use_tls = policy.tls_first
        try:
            connection = await self._attempt(policy, host, address, use_tls)
        except defer.CancelledError:
            raise
        except Exception as error:
            retry = policy.retry_tls(use_tls)
            if retry is None or not _rejected_during_startup(error):
                self.errors.append((where, error))
                return None
            try:
                connection = await self._attempt(policy, host, address, retry)
            except defer.CancelledError:
                raise
            except Exception as second:
                second.add_note(f"an earlier attempt {_tls_word(use_tls)} failed: {error}")
                self.errors.append((where, second))
                return None
        try:
            await _check_session(connection, session_attrs)
        except SessionAttributesError as error:
            self.errors.append((where, error))
            await connection.close()
            return None
        except BaseException:
            await connection.close()
            raise
        return connection

    def _attempt(
        self, policy: TlsPolicy, host: Host, address: str | None, use_tls: bool
    ) -> Deferred[Connection]:
        attempt = _Attempt(self.reactor, self.params, policy, host, address, use_tls, self.options)
        return attempt.start()

    def _final_error(self) -> Exception:
        errors = self.errors
        if len(errors) == 1 and isinstance(errors[0][1], Exception):
            return errors[0][1]
        from_servers = [
            error
            for _, error in errors
            if isinstance(error, PostgresError) and not isinstance(error, ConnectError)
        ]
        if len(from_servers) == 1 and isinstance(from_servers[0], Exception):
            chosen = from_servers[0]
            for where, error in errors:
                if error is not chosen:
                    chosen.add_note(f"connection to {where} failed: {error}")
            return chosen
        return AllHostsFailed(errors)


def _tls_word(used_tls: bool) -> str:
    return "with SSL" if used_tls else "without SSL"


def _rejected_during_startup(error: BaseException) -> bool:
    """Errors after which libpq's allow/prefer retry with the other TLS choice."""
    return isinstance(error, TlsHandshakeError) or (
        isinstance(error, PostgresError) and not isinstance(error, ConnectError)
    )


def _describe(host: Host, address: str | None) -> str:
    if host.is_unix_socket or address is None or address == host.address:
        return host.describe()
    return f'server at "{host.host}" ({address}), port {host.port}'


def _as_connect_error(error: BaseException) -> BaseException:
    if isinstance(error, DNSLookupError):
        return ConnectError(f"could not translate host name to address: {error}")
    return error


# ------------------------------------------------------------------------- name resolution


@implementer(IResolutionReceiver)
class _Addresses:
    def __init__(self) -> None:
        self.found: list[str] = []
        self.done: Deferred[list[str]] = Deferred()

    def resolutionBegan(self, resolution: object) -> None:  # noqa: N802
        pass

    def addressResolved(self, address: IPv4Address | IPv6Address) -> None:  # noqa: N802
        if address.host not in self.found:
            self.found.append(address.host)

    def resolutionComplete(self) -> None:  # noqa: N802
        self.done.callback(self.found)


async def _resolve(reactor: Any, host: Host) -> Sequence[str | None]:
    """The addresses to try for ``host`` (None stands for "the Unix socket")."""
    if host.is_unix_socket:
        return [None]
    name = host.address
    if isIPAddress(name) or isIPv6Address(name):
        return [name]
    receiver = _Addresses()
    reactor.nameResolver.resolveHostName(receiver, name, portNumber=host.port)
    addresses = await receiver.done
    if not addresses:
        raise ConnectError(f'could not translate host name "{name}" to address')
    return addresses


# ------------------------------------------------------------------------- one attempt


def _endpoint(reactor: Any, host: Host, address: str | None) -> Any:
    if address is None:
        return UNIXClientEndpoint(reactor, host.socket_path)
    if isIPv6Address(address):
        return TCP6ClientEndpoint(reactor, address, host.port)
    return TCP4ClientEndpoint(reactor, address, host.port)


class _Attempt:
    """One connection attempt to one address: TCP/Unix connect, TLS, start-up, with a timeout."""

    def __init__(
        self,
        reactor: Any,
        params: ConnectParams,
        policy: TlsPolicy,
        host: Host,
        address: str | None,
        use_tls: bool,
        options: dict[str, Any],
    ) -> None:
        self.reactor = reactor
        self.params = params
        self.policy = policy
        self.host = host
        self.address = address
        self.use_tls = use_tls
        self.options = options
        self.negotiator: SSLNegotiator | None = None
        self.result: Deferred[Connection] = Deferred(self._cancel)
        self._connecting: Deferred[Any] | None = None
        self._timeout: Any = None
        self._tls: TlsInfo | None = None

    def start(self) -> Deferred[Connection]:
        factory = Factory.forProtocol(self._negotiator)
        self._connecting = _endpoint(self.reactor, self.host, self.address).connect(factory)
        self._connecting.addErrback(self._connect_failed)
        timeout = self.params.connect_timeout
        if timeout is not None and not self.result.called:
            self._timeout = self.reactor.callLater(timeout, self._expire, timeout)
            self.result.addBoth(self._disarm)
        return self.result

    def _negotiator(self) -> SSLNegotiator:
        self.negotiator = SSLNegotiator(
            self.reactor,
            self.policy,
            self.host,
            self.use_tls,
            self._start_protocol,
            self._failed,
            self._connected,
        )
        return self.negotiator

    def _connected(self, transport: Any) -> None:
        if self.address is None:
            _check_peer(transport, self.params.requirepeer)
        else:
            _set_keepalives(transport, self.params)

    def _start_protocol(self, tls: TlsInfo | None) -> Protocol:
        """Called by the negotiator once the stream is ready: build the client core's protocol."""
        self._tls = tls
        params = self.params
        if params.channel_binding == "require" and tls is None:
            raise ConnectError("channel binding is required, but SSL is not in use")
        password = params.password_for(self.host)
        protocol = ClientProtocol(
            params.user,
            params.database,
            password,
            reactor=self.reactor,
            application_name=params.application_name,
            parameters=params.startup_parameters(),
            channel_binding=params.channel_binding,
            tls_server_end_point=tls.end_point_hash if tls is not None else None,
            cancel_connector=self._cancel_connector(tls is not None),
            **self.options,
        )
        ready = protocol.when_ready()
        if params.password is None and password is not None:
            ready.addErrback(_note_passfile, params.passfile)
        ready.addCallbacks(self._succeeded, self._failed)
        return protocol

    def _cancel_connector(self, used_tls: bool) -> Any:
        reactor, params, policy, host, address = (
            self.reactor,
            self.params,
            self.policy,
            self.host,
            self.address,
        )

        def send_cancel(request: CancelRequest) -> Deferred[None]:
            return _send_cancel(reactor, params, policy, host, address, used_tls, request)

        return send_cancel

    def _succeeded(self, connection: Connection) -> None:
        if not self.result.called:
            self.result.callback(connection)
        else:  # timed out or cancelled meanwhile
            connection.close()

    def _failed(self, failure: Failure) -> None:
        if not self.result.called:
            self.result.errback(failure)

    def _connect_failed(self, failure: Failure) -> None:
        if failure.check(defer.CancelledError):
            return
        if failure.check(TwistedConnectError):
            self._failed(Failure(ConnectError(str(failure.value))))
        else:
            self._failed(failure)

    def _expire(self, timeout: float) -> None:
        self._timeout = None
        if self.result.called:
            return
        self._abort()
        self.result.errback(ConnectTimeoutError(f"timeout expired ({timeout:g} s)"))

    def _disarm(self, result: Any) -> Any:
        if self._timeout is not None and self._timeout.active():
            self._timeout.cancel()
        self._timeout = None
        return result

    def _cancel(self, result: Deferred[Connection]) -> None:
        self._abort()

    def _abort(self) -> None:
        if self._connecting is not None and not self._connecting.called:
            self._connecting.cancel()
        transport = self.negotiator.transport if self.negotiator is not None else None
        if transport is not None:
            transport.abortConnection()


def _note_passfile(failure: Failure, passfile: str | None) -> Failure:
    """libpq adds where the password came from when the server rejects it."""
    if failure.check(PostgresError) and failure.value.sqlstate == "28P01":
        failure.value.add_note(f'password retrieved from file "{passfile}"')
    return failure


def _set_keepalives(transport: Any, params: ConnectParams) -> None:
    """libpq's keepalives, keepalives_idle/_interval/_count and tcp_user_timeout."""
    sock = transport.getHandle()
    options = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, int(params.keepalives))]
    if params.keepalives:
        for value, name in (
            (params.keepalives_idle, "TCP_KEEPIDLE"),
            (params.keepalives_interval, "TCP_KEEPINTVL"),
            (params.keepalives_count, "TCP_KEEPCNT"),
        ):
            if value is not None and hasattr(socket, name):
                options.append((socket.IPPROTO_TCP, getattr(socket, name), value))
    if params.tcp_user_timeout is not None and hasattr(socket, "TCP_USER_TIMEOUT"):
        options.append((socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, params.tcp_user_timeout))
    for level, option, value in options:
        sock.setsockopt(level, option, value)


def _check_peer(transport: Any, requirepeer: str | None) -> None:
    """``requirepeer``: the server process on the Unix socket must run as this user."""
    if not requirepeer:
        return
    import pwd

    if not hasattr(socket, "SO_PEERCRED"):
        raise ConnectError("requirepeer parameter is not supported on this platform")
    credentials = transport.getHandle().getsockopt(
        socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i")
    )
    _pid, uid, _gid = struct.unpack("3i", credentials)
    try:
        name = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise ConnectError(f"could not look up local user ID {uid}") from None
    if name != requirepeer:
        raise ConnectError(
            f'requirepeer parameter is "{requirepeer}" but actual peer user name is "{name}"'
        )


# ------------------------------------------------------------------------- target_session_attrs


async def _check_session(connection: Connection, wanted: str) -> None:
    if wanted == "any":
        return
    parameters = connection.parameters
    if wanted in ("read-write", "read-only"):
        if "in_hot_standby" in parameters and "default_transaction_read_only" in parameters:
            read_only = "on" in (
                parameters["in_hot_standby"],
                parameters["default_transaction_read_only"],
            )
        else:
            rows = await connection.query("SHOW transaction_read_only")
            read_only = rows[0][0] == "on"
        if wanted == "read-write" and read_only:
            raise SessionAttributesError("session is read-only")
        if wanted == "read-only" and not read_only:
            raise SessionAttributesError("session is not read-only")
        return
    if "in_hot_standby" in parameters:
        standby = parameters["in_hot_standby"] == "on"
    else:
        rows = await connection.query("SELECT pg_catalog.pg_is_in_recovery()")
        standby = bool(rows[0][0])
    if wanted == "primary" and standby:
        raise SessionAttributesError("server is in hot standby mode")
    if wanted == "standby" and not standby:
        raise SessionAttributesError("server is not in hot standby mode")


# ------------------------------------------------------------------------- cancel requests


def _send_cancel(
    reactor: Any,
    params: ConnectParams,
    policy: TlsPolicy,
    host: Host,
    address: str | None,
    use_tls: bool,
    request: CancelRequest,
) -> Deferred[None]:
    """Deliver ``request`` on a new connection to ``address``, with the connection's TLS mode."""
    negotiators: list[SSLNegotiator] = []

    def abort(done: Deferred[None]) -> None:
        connecting.cancel()
        for negotiator in negotiators:
            if negotiator.transport is not None:
                negotiator.transport.abortConnection()

    done: Deferred[None] = Deferred(abort)

    def settle(failure: Failure | None = None) -> None:
        if done.called:
            return
        if failure is None:
            done.callback(None)
        else:
            done.errback(failure)

    def sender(tls: TlsInfo | None) -> Protocol:
        protocol = CancelRequestProtocol(request)
        protocol.done.addCallback(lambda _: settle())
        return protocol

    def make() -> SSLNegotiator:
        negotiators.append(SSLNegotiator(reactor, policy, host, use_tls, sender, settle))
        return negotiators[-1]

    connecting = _endpoint(reactor, host, address).connect(Factory.forProtocol(make))
    connecting.addErrback(
        lambda failure: None if failure.check(defer.CancelledError) else settle(failure)
    )
    if params.connect_timeout is not None:
        done.addTimeout(params.connect_timeout, reactor)
    return done
