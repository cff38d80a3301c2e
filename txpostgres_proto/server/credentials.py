"""Where a server keeps passwords, and which authentication exchange a connection runs.

PostgreSQL's password methods need different things from the store:

* ``password`` (cleartext on the wire) works with any stored form;
* ``md5`` needs the password or its md5 hash — except that, as in PostgreSQL, a role whose
  stored secret is a SCRAM verifier is authenticated with SCRAM instead;
* ``scram-sha-256`` needs a SCRAM verifier or the password (a verifier is derived from it once);
  a stored md5 hash cannot do SCRAM, and such a role fails at the end of a full, mock exchange.

So the store hands out the stored secret itself (:class:`StoredSecret`), not a yes/no answer:
``twisted.cred``'s checkers only see the credentials the client sent, and a challenge-response
method never sends the password.  :class:`PasswordStoreChecker` still plugs the store into a
``twisted.cred`` Portal for the cleartext ``password`` method (``IUsernamePassword``); any other
``ICredentialsChecker`` for ``IUsernamePassword`` (LDAP, PAM, ...) can serve that method too,
while ``md5`` and ``scram-sha-256`` always need a :class:`PasswordStore`.

:func:`load_auth_file` reads pgbouncer's ``auth_file`` format (pgbouncer(5), "Authentication
file format"): one ``"user" "secret"`` pair per line, double quotes around both fields, ``""``
for a quote inside a field, anything after the second field ignored, blank lines and lines
starting with ``;`` skipped.  Lines starting with ``#`` are skipped too, although pgbouncer
itself calls them a broken file.  Where pgbouncer logs "broken auth file" and keeps the lines
before, this parser raises ValueError naming the line.  The secret is a plaintext password, an
md5 hash (``md5`` + 32 hex digits) or a ``SCRAM-SHA-256$...`` verifier, classified as
PostgreSQL classifies ``pg_authid`` entries.

:func:`plan_authentication` maps (method, stored secret, channel binding) to the exchange the
server runs; the server glue then only has to do what the plan says:

=============  ==================  ==================  ==================  ===============
method         plaintext stored    md5 hash stored     SCRAM stored        unknown role
=============  ==================  ==================  ==================  ===============
trust          TRUST               TRUST               TRUST               TRUST
password       CLEARTEXT           CLEARTEXT           CLEARTEXT           CLEARTEXT
md5            MD5                 MD5                 SCRAM               SCRAM (mock)
scram-sha-256  SCRAM               SCRAM (mock)        SCRAM               SCRAM (mock)
reject         REJECT              REJECT              REJECT              REJECT
=============  ==================  ==================  ==================  ===============

An unknown role under ``md5`` gets SCRAM because PostgreSQL picks the exchange a genuine role
would most likely get (its default ``password_encryption`` is scram-sha-256), so that probing
cannot tell the two apart.  A plaintext password under ``md5`` gets MD5, as in pgbouncer
(PostgreSQL itself no longer stores plaintext).
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet import defer
from zope.interface import implementer

from txpostgres_proto.protocol.md5 import is_md5_hash, md5_check, md5_password_hash
from txpostgres_proto.protocol.scram import (
    ScramVerifier,
    is_scram_secret,
    make_scram_verifier,
    mock_scram_verifier,
    scram_mechanisms,
)

__all__ = [
    "AuthExchange",
    "AuthMethod",
    "AuthPlan",
    "PasswordStore",
    "PasswordStoreChecker",
    "SecretKind",
    "StoredSecret",
    "load_auth_file",
    "parse_auth_file",
    "plan_authentication",
]


class SecretKind(enum.Enum):
    """The three forms a stored password takes."""

    PLAINTEXT = "plaintext"
    MD5 = "md5"
    SCRAM = "scram-sha-256"


def _classify(secret: str) -> SecretKind:
    if is_md5_hash(secret):
        return SecretKind.MD5
    if is_scram_secret(secret):
        return SecretKind.SCRAM
    return SecretKind.PLAINTEXT


class StoredSecret:
    """One role's stored password, in whichever form it was configured."""

    __slots__ = ("user", "kind", "_secret", "_verifier")

    def __init__(self, user: str, secret: str) -> None:
        self.user = user
        self.kind = _classify(secret)
        self._secret = secret
        self._verifier = ScramVerifier.parse(secret) if self.kind is SecretKind.SCRAM else None

    def __repr__(self) -> str:
        return f"<StoredSecret user={self.user!r} kind={self.kind.value}>"

    def check_plaintext(self, password: str | bytes) -> bool:
        """Check a password received in cleartext (the ``password`` method)."""
        if self.kind is SecretKind.PLAINTEXT:
            return _same(password, self._secret)
        if self.kind is SecretKind.MD5:
            return _same(md5_password_hash(self.user, password), self._secret)
        verifier = self.scram_verifier()
        return verifier is not None and verifier.verify_password(password)

    def md5_check(self, user: str, salt: bytes, response: str | bytes) -> bool:
        """Check the answer to AuthenticationMD5Password (False for a SCRAM verifier)."""
        if self.kind is SecretKind.SCRAM:
            return False
        return md5_check(self._secret, user, salt, response)

    def scram_verifier(self) -> ScramVerifier | None:
        """The verifier for SCRAM: stored, or derived once from a plaintext password; None for
        an md5 hash, from which SCRAM is impossible (as in PostgreSQL)."""
        if self._verifier is None and self.kind is SecretKind.PLAINTEXT:
            self._verifier = make_scram_verifier(self._secret)
        return self._verifier


def _digest(value: str | bytes) -> bytes:
    return hashlib.sha256(value.encode("utf-8") if isinstance(value, str) else value).digest()


def _same(left: str | bytes, right: str | bytes) -> bool:
    """Constant-time equality; comparing digests hides the lengths too."""
    return hmac.compare_digest(_digest(left), _digest(right))


class PasswordStore:
    """Stored secrets by role name, plus the server secret behind mock SCRAM verifiers.

    ``mock_secret`` keeps the fake salts of unknown roles stable; give a persistent one if the
    same role names must look the same across server restarts (random by default).  Subclass
    and override :meth:`get_secret` to look secrets up elsewhere.
    """

    def __init__(
        self, secrets: Mapping[str, str] | None = None, *, mock_secret: bytes | None = None
    ) -> None:
        self._secrets: dict[str, StoredSecret] = {}
        self._mock_secret = os.urandom(32) if mock_secret is None else mock_secret
        for user, secret in (secrets or {}).items():
            self.set_secret(user, secret)

    def set_secret(self, user: str, secret: str) -> None:
        """Store ``secret`` (plaintext, md5 hash or SCRAM verifier) for ``user``."""
        self._secrets[user] = StoredSecret(user, secret)

    def get_secret(self, user: str) -> StoredSecret | None:
        """The stored secret of ``user``, or None when the role is unknown."""
        return self._secrets.get(user)

    def scram_verifier_for(self, user: str) -> ScramVerifier:
        """The verifier to run SCRAM against: the role's own, or a doomed mock verifier when
        the role is unknown or only has an md5 hash."""
        secret = self.get_secret(user)
        verifier = secret.scram_verifier() if secret is not None else None
        if verifier is None:
            verifier = mock_scram_verifier(user, self._mock_secret)
        return verifier


@implementer(ICredentialsChecker)
class PasswordStoreChecker:
    """A ``twisted.cred`` checker for cleartext passwords over a :class:`PasswordStore`.

    The avatar ID is the user name as the credentials carried it.
    """

    credentialInterfaces = (IUsernamePassword,)

    def __init__(self, store: PasswordStore) -> None:
        self._store = store

    def requestAvatarId(self, credentials: IUsernamePassword) -> defer.Deferred[str | bytes]:
        username = credentials.username
        user = username.decode("utf-8", "replace") if isinstance(username, bytes) else username
        secret = self._store.get_secret(user)
        if secret is not None and secret.check_plaintext(credentials.password):
            return defer.succeed(username)
        return defer.fail(UnauthorizedLogin(f'password authentication failed for user "{user}"'))


# -- choosing the exchange -------------------------------------------------------------------


class AuthMethod(enum.StrEnum):
    """The ``pg_hba.conf`` methods this server supports."""

    TRUST = "trust"
    PASSWORD = "password"
    MD5 = "md5"
    SCRAM_SHA_256 = "scram-sha-256"
    REJECT = "reject"


class AuthExchange(enum.Enum):
    """What the server sends after the startup packet."""

    TRUST = "trust"  # AuthenticationOk at once
    REJECT = "reject"  # FATAL 28000 at once
    CLEARTEXT = "cleartext"  # AuthenticationCleartextPassword, then StoredSecret.check_plaintext
    MD5 = "md5"  # AuthenticationMD5Password(salt), then StoredSecret.md5_check
    SCRAM = "scram"  # AuthenticationSASL(mechanisms), then ScramServer


@dataclass(frozen=True, slots=True)
class AuthPlan:
    """The exchange to run and, for SCRAM, the mechanisms to offer (preferred first)."""

    exchange: AuthExchange
    mechanisms: tuple[str, ...] = ()


def plan_authentication(
    method: AuthMethod | str, secret: StoredSecret | None, channel_binding: bytes | None = None
) -> AuthPlan:
    """Decide the exchange for a connection (see the table in the module docstring).

    ``channel_binding`` is the ``tls-server-end-point`` data of the server certificate when
    the connection runs over TLS; with it SCRAM-SHA-256-PLUS is offered first.  For SCRAM the
    server then runs ``ScramServer(store.scram_verifier_for(user), channel_binding)``.
    """
    method = AuthMethod(method)
    if method is AuthMethod.TRUST:
        return AuthPlan(AuthExchange.TRUST)
    if method is AuthMethod.REJECT:
        return AuthPlan(AuthExchange.REJECT)
    if method is AuthMethod.PASSWORD:
        return AuthPlan(AuthExchange.CLEARTEXT)
    if method is AuthMethod.MD5 and secret is not None and secret.kind is not SecretKind.SCRAM:
        return AuthPlan(AuthExchange.MD5)
    return AuthPlan(AuthExchange.SCRAM, scram_mechanisms(channel_binding))


# -- pgbouncer auth_file ---------------------------------------------------------------------


def _quoted_field(line: str, start: int, where: str) -> tuple[str, int]:
    """Read a double-quoted field starting at ``line[start]``; return it and the end index."""
    if start >= len(line) or line[start] != '"':
        raise ValueError(f"{where}: expected a double-quoted field")
    chars: list[str] = []
    index = start + 1
    while index < len(line):
        char = line[index]
        if char == '"':
            if line.startswith('""', index):
                chars.append('"')
                index += 2
                continue
            return "".join(chars), index + 1
        chars.append(char)
        index += 1
    raise ValueError(f"{where}: unterminated double-quoted field")


def parse_auth_file(text: str, source: str = "<auth_file>") -> dict[str, str]:
    """Parse pgbouncer's auth_file format into ``{user: secret}`` (a later line wins)."""
    entries: dict[str, str] = {}
    for number, raw_line in enumerate(text.splitlines(), start=1):
        line = raw_line.strip()
        if not line or line[0] in ";#":
            continue
        where = f"{source}:{number}"
        user, end = _quoted_field(line, 0, where)
        rest = line[end:]
        secret, _ = _quoted_field(rest, len(rest) - len(rest.lstrip()), where)
        entries[user] = secret
    return entries


def load_auth_file(
    path: str | os.PathLike[str], *, mock_secret: bytes | None = None
) -> PasswordStore:
    """Read a pgbouncer-style auth_file into a :class:`PasswordStore`."""
    file = Path(path)
    text = file.read_text(encoding="utf-8")
    return PasswordStore(parse_auth_file(text, str(file)), mock_secret=mock_secret)
