"""One connection's authentication exchange (protocol section 55.2.1 and 55.3), without I/O.

`Authenticator` runs the exchange that `credentials.plan_authentication` chose: it produces the
Authentication requests to send and checks the client's answers against the `PasswordStore`:

* trust — AuthenticationOk at once;
* password — AuthenticationCleartextPassword, then the password is checked against whatever
  form is stored;
* md5 — AuthenticationMD5Password with a random salt; a role stored as a SCRAM verifier gets
  SCRAM instead, as in PostgreSQL;
* scram-sha-256 — AuthenticationSASL / SASLContinue / SASLFinal through `ScramServer`, with
  SCRAM-SHA-256-PLUS (tls-server-end-point channel binding) offered over TLS.

Failures are FATAL `PostgresError`s worded like PostgreSQL's, which never tell a wrong password
from an unknown role: 28P01 ``password authentication failed for user "x"``, 28000 for a
refused connection, 08P01 for malformed SASL messages.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.scram import ScramAuthenticationError, ScramError, ScramServer

from .credentials import AuthExchange, AuthMethod, PasswordStore, plan_authentication

__all__ = ["AuthStep", "Authenticator"]


@dataclass(frozen=True, slots=True)
class AuthStep:
    """What to do after a step: send ``messages``; then either done (``ok``) or keep waiting."""

    messages: tuple[m.BackendMessage, ...] = ()
    ok: bool = False


def fatal(message: str, sqlstate: str, **fields: str) -> PostgresError:
    return PostgresError(message, sqlstate, severity="FATAL", **fields)


class Authenticator:
    """Authenticates ``user`` with ``method``; see the module docstring."""

    def __init__(
        self,
        method: AuthMethod | str,
        store: PasswordStore | None,
        user: str,
        *,
        channel_binding: bytes | None = None,
        refusal: str = "",
    ) -> None:
        self._method = AuthMethod(method)
        self._store = store if store is not None else PasswordStore()
        self._user = user
        self._channel_binding = channel_binding
        self._refusal = refusal
        self._salt = b""
        self._scram: ScramServer | None = None
        self._exchange = AuthExchange.TRUST

    def _failed(self) -> PostgresError:
        return fatal(f'password authentication failed for user "{self._user}"', "28P01")

    def start(self) -> AuthStep:
        """The first step, right after the startup packet."""
        secret = self._store.get_secret(self._user)
        plan = plan_authentication(self._method, secret, self._channel_binding)
        self._exchange = plan.exchange
        if plan.exchange is AuthExchange.TRUST:
            return AuthStep(ok=True)
        if plan.exchange is AuthExchange.REJECT:
            raise fatal(f"pg_hba.conf rejects connection for {self._refusal}", "28000")
        if plan.exchange is AuthExchange.CLEARTEXT:
            return AuthStep((m.AuthenticationCleartextPassword(),))
        if plan.exchange is AuthExchange.MD5:
            self._salt = os.urandom(4)
            return AuthStep((m.AuthenticationMD5Password(self._salt),))
        verifier = self._store.scram_verifier_for(self._user)
        self._scram = ScramServer(verifier, self._channel_binding)
        return AuthStep((m.AuthenticationSASL(plan.mechanisms),))

    def receive(self, message: m.FrontendMessage) -> AuthStep:
        """The client answered; raises a FATAL PostgresError when authentication fails."""
        if isinstance(message, m.PasswordMessage):
            return self._password(message.password)
        if self._scram is None:
            raise fatal("invalid SASL message for this authentication method", "08P01")
        try:
            if isinstance(message, m.SASLInitialResponse):
                reply = self._scram.handle_client_first(message.mechanism, message.data or b"")
                return AuthStep((m.AuthenticationSASLContinue(reply),))
            assert isinstance(message, m.SASLResponse)
            final = self._scram.handle_client_final(message.data)
        except ScramAuthenticationError:
            raise self._failed() from None
        except ScramError as error:
            raise fatal(error.message, error.sqlstate) from None
        return AuthStep((m.AuthenticationSASLFinal(final),), ok=True)

    def _password(self, password: str) -> AuthStep:
        if self._exchange not in (AuthExchange.CLEARTEXT, AuthExchange.MD5):
            raise fatal("expected SASL response, got password message", "08P01")
        if not password:
            raise self._failed()
        secret = self._store.get_secret(self._user)
        if secret is None:
            raise self._failed()
        if self._exchange is AuthExchange.CLEARTEXT:
            ok = secret.check_plaintext(password)
        else:
            ok = secret.md5_check(self._user, self._salt, password)
        if not ok:
            raise self._failed()
        return AuthStep(ok=True)
