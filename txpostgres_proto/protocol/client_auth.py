"""The client's side of authentication (protocol section 55.2.1 and 55.3, "SASL Authentication").

`ClientAuthenticator` answers each Authentication* request the server sends during start-up:

* cleartext password — a PasswordMessage (its string NUL-terminated, as the protocol requires);
* MD5 — ``md5`` + hex digest, computed by ``md5.md5_response``;
* SASL — SCRAM-SHA-256, or SCRAM-SHA-256-PLUS when the connection runs over TLS and the
  caller supplied the ``tls-server-end-point`` hash of the server certificate.  The server's
  final signature is verified before AuthenticationOk is accepted: a server that cannot prove
  it knows the password (a man in the middle) fails the connection with `ScramError`.

``channel_binding`` follows libpq's option of the same name: ``disable`` never binds,
``prefer`` binds when possible, ``require`` fails unless SCRAM-SHA-256-PLUS was completed
(so a server that asks for a cleartext or MD5 password, or none at all, is refused).

Kerberos, GSSAPI and SSPI are not implemented and fail with `AuthenticationError`.
"""

from __future__ import annotations

from typing import Final

from .errors import LocalProtocolError
from .md5 import md5_response
from .messages import (
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    BackendMessage,
    FrontendMessage,
    PasswordMessage,
    SASLInitialResponse,
    SASLResponse,
)
from .scram import SCRAM_SHA_256_PLUS, ScramClient, ScramError, select_scram_mechanism

__all__ = ["CHANNEL_BINDING_MODES", "AuthenticationError", "ClientAuthenticator"]

CHANNEL_BINDING_MODES: Final = ("disable", "prefer", "require")


class AuthenticationError(LocalProtocolError):
    """We cannot (or will not) authenticate the way the server asks."""

    sqlstate = "28000"


class ClientAuthenticator:
    """Answers the server's authentication requests for one start-up."""

    def __init__(
        self,
        user: str,
        password: str | bytes | None,
        *,
        channel_binding: str = "prefer",
        tls_server_end_point: bytes | None = None,
    ) -> None:
        if channel_binding not in CHANNEL_BINDING_MODES:
            raise ValueError(f"channel_binding must be one of {', '.join(CHANNEL_BINDING_MODES)}")
        self.user = user
        self.password = password
        self.channel_binding = channel_binding
        #: ``tls-server-end-point`` data of the server certificate (None without TLS).  It may
        #: be set after construction, as long as it is before the SASL exchange starts.
        self.tls_server_end_point = tls_server_end_point
        self._scram: ScramClient | None = None
        self.method: str | None = None

    def _password(self, method: str) -> str | bytes:
        if self.channel_binding == "require":
            raise AuthenticationError(
                f"channel binding required, but the server asked for {method} authentication"
            )
        if self.password is None:
            raise AuthenticationError(
                f"the server requested {method} authentication, but no password was supplied"
            )
        return self.password

    def handle(self, message: BackendMessage) -> FrontendMessage | None:
        """The reply to one Authentication* message (None for AuthenticationOk)."""
        if isinstance(message, AuthenticationOk):
            self._check_ok()
            return None
        if isinstance(message, AuthenticationCleartextPassword):
            password = self._password("password")
            self.method = "password"
            if isinstance(password, bytes):
                password = password.decode("utf-8")
            return PasswordMessage(password)
        if isinstance(message, AuthenticationMD5Password):
            password = self._password("md5")
            self.method = "md5"
            return PasswordMessage(md5_response(self.user, password, message.salt))
        if isinstance(message, AuthenticationSASL):
            return self._sasl_start(message)
        if isinstance(message, AuthenticationSASLContinue):
            if self._scram is None:
                raise ScramError("unexpected SASL continuation")
            return SASLResponse(self._scram.handle_server_first(message.data))
        if isinstance(message, AuthenticationSASLFinal):
            if self._scram is None:
                raise ScramError("unexpected SASL final message")
            self._scram.verify_server_final(message.data)
            return None
        raise AuthenticationError(
            f"authentication method {type(message).__name__} is not supported"
        )

    def _sasl_start(self, message: AuthenticationSASL) -> SASLInitialResponse:
        if self._scram is not None:
            raise ScramError("unexpected second SASL authentication request")
        if self.password is None:
            raise AuthenticationError(
                "the server requested SCRAM authentication, but no password was supplied"
            )
        binding = None if self.channel_binding == "disable" else self.tls_server_end_point
        mechanism = select_scram_mechanism(
            message.mechanisms, binding, require_channel_binding=self.channel_binding == "require"
        )
        self._scram = ScramClient(self.password, channel_binding=binding, mechanism=mechanism)
        self.method = mechanism
        return SASLInitialResponse(mechanism, self._scram.client_first())

    def _check_ok(self) -> None:
        if self._scram is not None and not self._scram.done:
            raise ScramError("server sent AuthenticationOk before proving it knows the password")
        if self.channel_binding == "require" and self.method != SCRAM_SHA_256_PLUS:
            raise AuthenticationError(
                "channel binding required, but the server authenticated without it"
            )
