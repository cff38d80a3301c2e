"""The start of a connection: encryption, protocol version, authentication, the session.

Protocol section 55.2.1 (Start-up) and 55.2.9/55.2.10 (SSL and GSSAPI session encryption): an
SSLRequest is answered ``S`` and the transport switched to TLS (``transport.startTLS``) when
the factory has a certificate, ``N`` otherwise; GSSENCRequest is always declined; a
CancelRequest is passed to the cancel registry and the connection closed.  The StartupMessage
names user and database; a newer 3.x version or ``_pq_.`` options are answered with
NegotiateProtocolVersion; authentication (``authentication.py``) runs its exchange; then the
session is built (settings from the factory, the startup packet and its ``options``), the
backend created and told (``connection_made``), and ParameterStatus, BackendKeyData and the
first ReadyForQuery sent.  A client that takes longer than the factory's startup timeout is
disconnected.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any, Final

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.server import EncryptionResponse, negotiate_protocol

from .authentication import Authenticator, fatal
from .backend_calls import BackendCalls
from .protocol_core import Stopped
from .session import Session
from .settings import Settings

__all__ = ["StartupFlow"]

#: Startup parameters that are not settings.
_STARTUP_KEYS: Final = frozenset({"user", "database", "options", "replication"})


def _split_options(options: str) -> list[str]:
    """Split ``options`` at whitespace; a backslash makes the next character literal."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    chars = iter(options)
    for char in chars:
        if char.isspace():
            if in_word:
                words.append("".join(current))
                current, in_word = [], False
            continue
        in_word = True
        current.append(next(chars, "") if char == "\\" else char)
    if in_word:
        words.append("".join(current))
    return words


def _options_settings(options: str) -> list[tuple[str, str]]:
    """The ``-c name=value`` / ``--name=value`` pairs of the startup ``options`` parameter."""
    words = _split_options(options)
    pairs: list[tuple[str, str]] = []
    index = 0
    while index < len(words):
        word = words[index]
        if word == "-c" and index + 1 < len(words):
            setting = words[index + 1]
            index += 2
        elif word.startswith("-c") and len(word) > 2:
            setting, index = word[2:], index + 1
        elif word.startswith("--") and "=" in word:
            name, _, value = word[2:].partition("=")
            setting, index = f"{name.replace('-', '_')}={value}", index + 1
        else:
            raise fatal(
                f"invalid command-line argument for server process: {word}",
                "42601",
                hint='Try "postgres --help" for more information.',
            )
        name, equals, value = setting.partition("=")
        if not equals:
            raise fatal(f"-c {setting} requires a value", "42601")
        pairs.append((name, value))
    return pairs


class StartupFlow(BackendCalls):
    """The start-up part of `PostgresServerProtocol`."""

    def __init__(self) -> None:
        super().__init__()
        self._authenticator: Authenticator | None = None

    def _startup_timed_out(self) -> None:
        self._startup_timer = None
        if self._stopped:
            return
        if self._startup is not None:
            self._send_fatal(fatal("canceling authentication due to timeout", "57014"))
        else:
            self._close()

    def _on_ssl_request(self, _: m.SSLRequest) -> None:
        tls = self.factory.tls
        self._send(EncryptionResponse(tls is not None))
        self._flush()
        if tls is not None:
            # TLS bytes must pass through the TLS engine: the reactor reads this socket again.
            self.factory.read_loop.release(self.transport)
            self.transport.startTLS(tls.context_factory)
            self._tls = True

    def _on_gssenc_request(self, _: m.GSSENCRequest) -> None:
        self._send(EncryptionResponse(False))

    def _on_cancel_request(self, request: m.CancelRequest) -> None:
        self.factory.cancel_registry.cancel(request.process_id, request.secret_key)
        self._close()

    def _peer_description(self, user: str, database: str) -> str:
        peer = self.transport.getPeer()
        host = getattr(peer, "host", None) or "[local]"
        encryption = "SSL encryption" if self._tls else "no encryption"
        return f'host "{host}", user "{user}", database "{database}", {encryption}'

    def _on_startup(self, startup: m.StartupMessage) -> Coroutine[Any, Any, None] | None:
        self._startup = startup
        factory = self.factory
        user = startup.parameters.get("user", "")
        if not user:
            self._send_fatal(fatal("no PostgreSQL user name specified in startup packet", "28000"))
            return None
        database = startup.parameters.get("database") or user
        negotiation = negotiate_protocol(startup)
        if negotiation is not None:
            self._send(negotiation)
        where = self._peer_description(user, database)
        if factory.require_tls and not self._tls:
            self._send_fatal(fatal(f"no pg_hba.conf entry for {where}", "28000"))
            return None
        tls = factory.tls
        self._authenticator = Authenticator(
            factory.auth,
            factory.password_store,
            user,
            channel_binding=tls.channel_binding if tls is not None and self._tls else None,
            refusal=where,
        )
        return self._auth_step(self._authenticator.start)

    def _on_auth_response(self, message: m.FrontendMessage) -> Coroutine[Any, Any, None] | None:
        assert self._authenticator is not None
        authenticator = self._authenticator
        return self._auth_step(lambda: authenticator.receive(message))

    def _auth_step(self, step: Callable[[], Any]) -> Coroutine[Any, Any, None] | None:
        try:
            outcome = step()
        except PostgresError as error:
            self._send_fatal(error)
            return None
        for message in outcome.messages:
            self._send(message)
        if not outcome.ok:
            return None
        self._authenticator = None
        self._send(m.AuthenticationOk())
        return self._start_session()

    def _session_settings(self, startup: m.StartupMessage, user: str) -> Settings:
        settings = Settings()
        for name, value in self.factory.parameters.items():
            settings.set(name, value, source="internal")
        settings.set("session_authorization", user, source="internal")
        if self._tls:
            settings.set("ssl", "on", source="internal")
        for name, value in startup.parameters.items():
            if name in _STARTUP_KEYS or name.startswith("_pq_."):
                continue
            settings.set(name, value, source="startup")
        for name, value in _options_settings(startup.parameters.get("options", "")):
            settings.set(name, value, source="startup")
        return settings

    async def _start_session(self) -> None:
        startup = self._startup
        assert startup is not None
        factory = self.factory
        user = startup.parameters["user"]
        try:
            settings = self._session_settings(startup, user)
        except PostgresError as error:
            self._send_fatal(error)
            return
        process_id, secret = factory.cancel_registry.register(self)
        session = Session(
            user=user,
            database=startup.parameters.get("database") or user,
            process_id=process_id,
            secret_key=secret,
            settings=settings,
            peer=self.transport.getPeer(),
            tls=self._tls,
            startup_parameters=startup.parameters,
            registry=factory.registry,
        )
        session.close_portals = self._close_portals
        self.session = session
        backend = factory.backend_factory()
        self.backend = backend
        session.attach(backend, self._call_backend, factory.notifications, self)
        self._flush()
        try:
            await self._call_backend(backend.connection_made, session)
        except Stopped:
            return
        except Exception as error:  # noqa: BLE001 - the client is told, and the log too
            fields = self._error_fields(error)
            self._send_fatal(PostgresError(fields["M"], fields["C"], severity="FATAL"))
            return
        self._cancel_startup_timer()
        for name, value in settings.reported_values().items():
            self._send(m.ParameterStatus(name, value))
        self._reported = settings.reported_values()
        self._settings_version = settings.version
        self._send(m.BackendKeyData(process_id, secret))
        self._send(m.ReadyForQuery(session.transaction_status))
