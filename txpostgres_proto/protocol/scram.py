"""SCRAM-SHA-256 and SCRAM-SHA-256-PLUS, client and server side, as PostgreSQL speaks them.

Implements RFC 5802 (SCRAM) with the SHA-256 hash of RFC 7677, in the dialect described in the
PostgreSQL protocol documentation (section 55.3.1, "SCRAM-SHA-256 Authentication") and
implemented by the server (``auth-scram.c``) and libpq:

* the user name in client-first-message is ignored; clients send an empty one (``n=``) because
  the startup packet already named the role;
* no authorization identity (``a=``) and no mandatory extension (``m=``) is accepted;
* the only channel binding is ``tls-server-end-point`` (RFC 5929, see ``auth.py``), and only
  with the SCRAM-SHA-256-PLUS mechanism.  The GS2 flag says ``n`` (client does not bind), ``y``
  (client could bind but believes the server cannot — a server that offers -PLUS must refuse
  this, it means someone stripped -PLUS from the offer) or ``p=tls-server-end-point``;
* the password goes through SASLprep with PostgreSQL's fallback to the raw bytes (``auth.py``);
* the server stores ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>`` (base64
  fields), the layout of ``pg_authid.rolpassword``.

Both classes are sans-IO: message payloads go in and out as bytes, and the caller wraps them in
AuthenticationSASL / SASLContinue / SASLFinal and SASLInitialResponse / SASLResponse.

Malformed or unexpected messages raise :class:`ScramError` (a remote protocol error, SQLSTATE
08P01); wrong credentials raise :class:`ScramAuthenticationError` (28P01) and failed channel
binding :class:`ScramChannelBindingError` (28000) — the codes PostgreSQL 15 sends.  The server never
reveals whether a role exists: for an unknown role, or one whose stored secret cannot do SCRAM,
it runs the whole exchange against :func:`mock_scram_verifier` — stable per role, so the salt a
prober sees does not change between attempts — and fails only at the very end, as PostgreSQL's
"doomed" exchange does.  Every comparison of secret-derived values is constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from txpostgres_proto.protocol.auth import prepare_password
from txpostgres_proto.protocol.errors import RemoteProtocolError

__all__ = [
    "DEFAULT_ITERATIONS",
    "SALT_LENGTH",
    "SCRAM_SHA_256",
    "SCRAM_SHA_256_PLUS",
    "TLS_SERVER_END_POINT",
    "ScramAuthenticationError",
    "ScramChannelBindingError",
    "ScramClient",
    "ScramError",
    "ScramServer",
    "ScramVerifier",
    "is_scram_secret",
    "make_scram_verifier",
    "mock_scram_verifier",
    "scram_mechanisms",
    "select_scram_mechanism",
]

SCRAM_SHA_256 = "SCRAM-SHA-256"
SCRAM_SHA_256_PLUS = "SCRAM-SHA-256-PLUS"
TLS_SERVER_END_POINT = "tls-server-end-point"
DEFAULT_ITERATIONS = 4096
SALT_LENGTH = 16
_NONCE_BYTES = 18  # base64-encoded into 24 printable characters, as PostgreSQL and libpq do
_KEY_LENGTH = hashlib.sha256().digest_size
_VERIFIER = re.compile(r"SCRAM-SHA-256\$([0-9]+):([^$:]+)\$([^$:]+):([^$:]+)")
_DIGITS = re.compile(r"[0-9]+")


class ScramError(RemoteProtocolError):
    """A SCRAM message was malformed, out of order, or not what the exchange allows."""


class ScramAuthenticationError(ScramError):
    """The credentials did not verify: a wrong client proof, or a wrong server signature."""

    sqlstate = "28P01"


class ScramChannelBindingError(ScramError):
    """Channel binding failed: the client saw another certificate, or claims the server cannot
    bind while it can (a stripped -PLUS offer).  SQLSTATE 28000, as PostgreSQL reports it."""

    sqlstate = "28000"


# -- primitives (RFC 5802 section 3) ---------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _decode_b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except ValueError:
        return None


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _hmac(key: bytes, message: bytes) -> bytes:
    return hmac.digest(key, message, "sha256")


def _xor(left: bytes, right: bytes) -> bytes:
    value = int.from_bytes(left, "big") ^ int.from_bytes(right, "big")
    return value.to_bytes(len(left), "big")


def _salted_password(password: str | bytes, salt: bytes, iterations: int) -> bytes:
    """SaltedPassword := Hi(Normalize(password), salt, i) — Hi is PBKDF2 with HMAC-SHA-256."""
    return hashlib.pbkdf2_hmac("sha256", prepare_password(password), salt, iterations)


def _client_and_server_keys(salted_password: bytes) -> tuple[bytes, bytes]:
    return _hmac(salted_password, b"Client Key"), _hmac(salted_password, b"Server Key")


def _new_nonce() -> str:
    return _b64(os.urandom(_NONCE_BYTES))


def _is_printable(nonce: str) -> bool:
    """RFC 5802 ``printable``: %x21-2B / %x2D-7E (no comma), and at least one character."""
    return bool(nonce) and all("!" <= char <= "~" and char != "," for char in nonce)


# -- stored secret ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScramVerifier:
    """What a server stores to check SCRAM-SHA-256 logins without knowing the password.

    ``doomed`` marks a mock verifier (see :func:`mock_scram_verifier`): an exchange against it
    runs to the end and then fails, whatever the client sends.
    """

    iterations: int
    salt: bytes
    stored_key: bytes = field(repr=False)
    server_key: bytes = field(repr=False)
    doomed: bool = False

    def __post_init__(self) -> None:
        if self.iterations < 1:
            raise ValueError("SCRAM iteration count must be positive")
        if not self.salt:
            raise ValueError("SCRAM salt must not be empty")
        if len(self.stored_key) != _KEY_LENGTH or len(self.server_key) != _KEY_LENGTH:
            raise ValueError(f"SCRAM-SHA-256 keys are {_KEY_LENGTH} bytes")

    @classmethod
    def parse(cls, text: str) -> ScramVerifier:
        """Parse ``SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>``."""
        match = _VERIFIER.fullmatch(text)
        if match is None:
            raise ValueError("not a SCRAM-SHA-256 secret")
        salt, stored_key, server_key = (_decode_b64(part) for part in match.group(2, 3, 4))
        if salt is None or stored_key is None or server_key is None:
            raise ValueError("SCRAM-SHA-256 secret has an invalid base64 field")
        return cls(int(match.group(1)), salt, stored_key, server_key)

    def format(self) -> str:
        """PostgreSQL's text form, as stored in ``pg_authid.rolpassword``."""
        return (
            f"SCRAM-SHA-256${self.iterations}:{_b64(self.salt)}"
            f"${_b64(self.stored_key)}:{_b64(self.server_key)}"
        )

    def verify_password(self, password: str | bytes) -> bool:
        """Does ``password`` produce this verifier?  (For the cleartext ``password`` method.)"""
        client_key, server_key = _client_and_server_keys(
            _salted_password(password, self.salt, self.iterations)
        )
        stored_ok = hmac.compare_digest(_sha256(client_key), self.stored_key)
        server_ok = hmac.compare_digest(server_key, self.server_key)
        return stored_ok and server_ok and not self.doomed


def is_scram_secret(text: str) -> bool:
    """True when ``text`` parses as a SCRAM-SHA-256 secret (how PostgreSQL classifies one)."""
    try:
        ScramVerifier.parse(text)
    except ValueError:
        return False
    return True


def make_scram_verifier(
    password: str | bytes, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS
) -> ScramVerifier:
    """Derive a verifier from a password (a fresh random 16-byte salt unless one is given)."""
    if salt is None:
        salt = os.urandom(SALT_LENGTH)
    client_key, server_key = _client_and_server_keys(_salted_password(password, salt, iterations))
    return ScramVerifier(iterations, salt, _sha256(client_key), server_key)


def mock_scram_verifier(
    username: str, server_secret: bytes, iterations: int = DEFAULT_ITERATIONS
) -> ScramVerifier:
    """A doomed verifier for a role that does not exist (or cannot do SCRAM).

    Deterministic per (``username``, ``server_secret``) so that repeated probes see the same
    salt, as they would for a real role; keep ``server_secret`` private and stable.
    """
    user = username.encode("utf-8")
    return ScramVerifier(
        iterations,
        _hmac(server_secret, b"mock salt\0" + user)[:SALT_LENGTH],
        _hmac(server_secret, b"mock stored key\0" + user),
        _hmac(server_secret, b"mock server key\0" + user),
        doomed=True,
    )


# -- mechanism negotiation -------------------------------------------------------------------


def scram_mechanisms(channel_binding: bytes | None) -> tuple[str, ...]:
    """The SASL mechanisms a server offers, preferred first (-PLUS only with binding data)."""
    if channel_binding is None:
        return (SCRAM_SHA_256,)
    return (SCRAM_SHA_256_PLUS, SCRAM_SHA_256)


def select_scram_mechanism(
    offered: Iterable[str], channel_binding: bytes | None, *, require_channel_binding: bool = False
) -> str:
    """Client side: pick the mechanism from the server's AuthenticationSASL list.

    -PLUS when the server offers it and we have channel-binding data; otherwise plain
    SCRAM-SHA-256 (which the client then flags ``y`` if it has binding data, see ScramClient).
    """
    offered = tuple(offered)
    if channel_binding is not None and SCRAM_SHA_256_PLUS in offered:
        return SCRAM_SHA_256_PLUS
    if require_channel_binding:
        raise ScramError("channel binding required, but the server did not offer it")
    if SCRAM_SHA_256 in offered:
        return SCRAM_SHA_256
    raise ScramError("none of the server's SASL authentication mechanisms are supported")


# -- message parsing -------------------------------------------------------------------------


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ScramError(f"malformed SCRAM message: {what} is not valid UTF-8") from None


def _attributes(text: str, what: str) -> list[tuple[str, str]]:
    """Split ``a=value,b=value,...`` (values never contain commas in SCRAM)."""
    attributes: list[tuple[str, str]] = []
    for part in text.split(","):
        if len(part) < 2 or part[1] != "=" or not (part[0].isascii() and part[0].isalpha()):
            raise ScramError(f"malformed SCRAM message: bad attribute syntax in {what}")
        attributes.append((part[0], part[2:]))
    return attributes


def _expect(attributes: list[tuple[str, str]], index: int, name: str, what: str) -> str:
    if index >= len(attributes) or attributes[index][0] != name:
        raise ScramError(f"malformed SCRAM message: expected attribute {name!r} in {what}")
    return attributes[index][1]


def _saslname(username: str) -> str:
    return username.replace("=", "=3D").replace(",", "=2C")


# -- the two sides ---------------------------------------------------------------------------


class ScramClient:
    """The client half of one SCRAM exchange.

    ``channel_binding`` is the ``tls-server-end-point`` data of the server certificate when the
    connection uses TLS (see ``auth.tls_server_end_point_hash``), else None.  ``username`` and
    ``nonce`` exist for test vectors; PostgreSQL clients leave the name empty.
    """

    def __init__(
        self,
        password: str | bytes,
        channel_binding: bytes | None = None,
        cb_name: str = TLS_SERVER_END_POINT,
        mechanism: str = SCRAM_SHA_256,
        *,
        username: str = "",
        nonce: str | None = None,
    ) -> None:
        if mechanism == SCRAM_SHA_256_PLUS:
            if channel_binding is None:
                raise ValueError("SCRAM-SHA-256-PLUS needs channel-binding data")
            self._gs2_header = f"p={cb_name},,"
            self._cbind_data = channel_binding
        elif mechanism == SCRAM_SHA_256:
            self._gs2_header = "n,," if channel_binding is None else "y,,"
            self._cbind_data = b""
        else:
            raise ValueError(f"unsupported SASL mechanism {mechanism!r}")
        self.mechanism = mechanism
        self._password = password
        self._client_nonce = _new_nonce() if nonce is None else nonce
        if not _is_printable(self._client_nonce):
            raise ValueError("SCRAM nonce must be printable ASCII without commas")
        self._client_first_bare = f"n={_saslname(username)},r={self._client_nonce}"
        self._server_signature: bytes | None = None
        self._done = False

    @property
    def done(self) -> bool:
        """True once the server's signature has been verified (the server knows the password)."""
        return self._done

    def client_first(self) -> bytes:
        """client-first-message: the payload of SASLInitialResponse."""
        return (self._gs2_header + self._client_first_bare).encode("utf-8")

    def handle_server_first(self, data: bytes) -> bytes:
        """Take server-first-message (AuthenticationSASLContinue), return client-final-message."""
        if self._server_signature is not None:
            raise ScramError("unexpected second server-first-message")
        what = "server-first-message"
        server_first = _decode(data, what)
        attributes = _attributes(server_first, what)
        if attributes[0][0] == "m":
            raise ScramError("server requires an unsupported SCRAM extension")
        nonce = _expect(attributes, 0, "r", what)
        salt = _decode_b64(_expect(attributes, 1, "s", what))
        iterations_text = _expect(attributes, 2, "i", what)
        if not nonce.startswith(self._client_nonce) or not _is_printable(nonce):
            raise ScramError("invalid SCRAM response: nonce mismatch")
        if not salt:
            raise ScramError("malformed SCRAM message: invalid salt")
        if _DIGITS.fullmatch(iterations_text) is None or int(iterations_text) < 1:
            raise ScramError("malformed SCRAM message: invalid iteration count")

        client_key, server_key = _client_and_server_keys(
            _salted_password(self._password, salt, int(iterations_text))
        )
        binding = _b64(self._gs2_header.encode("utf-8") + self._cbind_data)
        without_proof = f"c={binding},r={nonce}"
        auth_message = f"{self._client_first_bare},{server_first},{without_proof}".encode()
        proof = _xor(client_key, _hmac(_sha256(client_key), auth_message))
        self._server_signature = _hmac(server_key, auth_message)
        return f"{without_proof},p={_b64(proof)}".encode("ascii")

    def verify_server_final(self, data: bytes) -> None:
        """Check server-final-message (AuthenticationSASLFinal); raise unless it proves the
        server knows the verifier.  Only after this may the client accept AuthenticationOk."""
        if self._server_signature is None or self._done:
            raise ScramError("unexpected server-final-message")
        what = "server-final-message"
        attributes = _attributes(_decode(data, what), what)
        if attributes[0][0] == "e":
            raise ScramAuthenticationError(f"server rejected SCRAM exchange: {attributes[0][1]}")
        signature = _decode_b64(_expect(attributes, 0, "v", what))
        if signature is None or not hmac.compare_digest(signature, self._server_signature):
            raise ScramAuthenticationError("SCRAM server signature does not match")
        self._done = True


class ScramServer:
    """The server half of one SCRAM exchange, checking against ``verifier``.

    ``channel_binding`` is the ``tls-server-end-point`` data of our own certificate when the
    connection uses TLS; with it the server offers (and accepts) SCRAM-SHA-256-PLUS and refuses
    a client that claims the server cannot bind.  Any error ends the exchange for good.
    """

    def __init__(
        self,
        verifier: ScramVerifier,
        channel_binding: bytes | None = None,
        *,
        nonce: str | None = None,
    ) -> None:
        self._verifier = verifier
        self._channel_binding = channel_binding
        self._server_nonce = _new_nonce() if nonce is None else nonce
        if not _is_printable(self._server_nonce):
            raise ValueError("SCRAM nonce must be printable ASCII without commas")
        self._state = "client-first"
        self._client_first_bare = ""
        self._server_first = ""
        self._nonce = ""
        self._cbind_input = b""

    @property
    def mechanisms(self) -> tuple[str, ...]:
        """The list for AuthenticationSASL, preferred first."""
        return scram_mechanisms(self._channel_binding)

    @property
    def authenticated(self) -> bool:
        """True once a client-final-message carried a valid proof."""
        return self._state == "authenticated"

    def handle_client_first(self, mechanism: str, data: bytes) -> bytes:
        """Take SASLInitialResponse's mechanism and payload, return server-first-message."""
        self._enter("client-first")
        try:
            reply = self._client_first(mechanism, data)
        except ScramError:
            self._state = "failed"
            raise
        self._state = "client-final"
        return reply

    def handle_client_final(self, data: bytes) -> bytes:
        """Take SASLResponse's payload, return server-final-message (for SASLFinal)."""
        self._enter("client-final")
        try:
            reply = self._client_final(data)
        except ScramError:
            self._state = "failed"
            raise
        self._state = "authenticated"
        return reply

    def _enter(self, expected: str) -> None:
        if self._state != expected:
            state, self._state = self._state, "failed"
            raise ScramError(f"unexpected SCRAM message (exchange is {state!r})")

    def _client_first(self, mechanism: str, data: bytes) -> bytes:
        if mechanism not in self.mechanisms:
            raise ScramError("client selected an invalid SASL authentication mechanism")
        plus = mechanism == SCRAM_SHA_256_PLUS
        what = "client-first-message"
        text = _decode(data, what)
        flag, _, rest = text.partition(",")
        authzid, comma, bare = rest.partition(",")
        if not comma:
            raise ScramError(f"malformed SCRAM message: no GS2 header in {what}")
        if flag in ("n", "y"):
            if plus:
                raise ScramError(
                    "client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not "
                    "include channel binding data"
                )
            if flag == "y" and self._channel_binding is not None:
                raise ScramChannelBindingError(
                    "SCRAM channel binding negotiation error: the client supports channel "
                    "binding but thinks the server does not, yet this server does"
                )
        elif flag.startswith("p="):
            if not plus:
                raise ScramError(
                    "client selected SCRAM-SHA-256 without channel binding, but the SCRAM "
                    "message includes channel binding data"
                )
            if flag[2:] != TLS_SERVER_END_POINT:
                raise ScramError("unsupported SCRAM channel-binding type")
        else:
            raise ScramError(f"malformed SCRAM message: unexpected channel-binding flag in {what}")
        if authzid:
            raise ScramError("client uses authorization identity, but it is not supported")
        attributes = _attributes(bare, what)
        if attributes[0][0] == "m":
            raise ScramError("client requires an unsupported SCRAM extension")
        _expect(attributes, 0, "n", what)  # the role comes from the startup packet
        client_nonce = _expect(attributes, 1, "r", what)
        if not _is_printable(client_nonce):
            raise ScramError("non-printable characters in SCRAM nonce")

        cbind_data = self._channel_binding if plus and self._channel_binding else b""
        self._cbind_input = f"{flag},,".encode() + cbind_data
        self._client_first_bare = bare
        self._nonce = client_nonce + self._server_nonce
        verifier = self._verifier
        self._server_first = f"r={self._nonce},s={_b64(verifier.salt)},i={verifier.iterations}"
        return self._server_first.encode("ascii")

    def _client_final(self, data: bytes) -> bytes:
        what = "client-final-message"
        attributes = _attributes(_decode(data, what), what)
        binding = _expect(attributes, 0, "c", what)
        nonce = _expect(attributes, 1, "r", what)
        if len(attributes) < 3:
            raise ScramError(f"malformed SCRAM message: no proof in {what}")
        if any(name == "p" for name, _ in attributes[2:-1]):
            raise ScramError(f"malformed SCRAM message: misplaced proof in {what}")
        proof = _decode_b64(_expect(attributes, len(attributes) - 1, "p", what))
        if proof is None or len(proof) != _KEY_LENGTH:
            raise ScramError(f"malformed SCRAM message: malformed proof in {what}")
        if not hmac.compare_digest(binding.encode(), _b64(self._cbind_input).encode()):
            raise ScramChannelBindingError("SCRAM channel binding check failed")
        if not hmac.compare_digest(nonce.encode(), self._nonce.encode()):
            raise ScramError("invalid SCRAM response: nonce does not match")

        without_proof = ",".join(f"{name}={value}" for name, value in attributes[:-1])
        auth_message = f"{self._client_first_bare},{self._server_first},{without_proof}".encode()
        verifier = self._verifier
        client_key = _xor(proof, _hmac(verifier.stored_key, auth_message))
        proof_ok = hmac.compare_digest(_sha256(client_key), verifier.stored_key)
        if not proof_ok or verifier.doomed:
            raise ScramAuthenticationError("SCRAM authentication failed: invalid client proof")
        return f"v={_b64(_hmac(verifier.server_key, auth_message))}".encode("ascii")
