"""TLS for the client: libpq's ``sslmode`` semantics and the SSLRequest exchange, on pyOpenSSL.

PostgreSQL negotiates TLS inside its own protocol (protocol section 55.2.10, "SSL Session
Encryption"): the client sends SSLRequest and reads exactly one byte; ``S`` means "start the
TLS handshake now", ``N`` means the server will not, and an ``E`` starts an ErrorResponse from
a server that failed before it could answer (we report that error).  Any byte after the ``S``
that arrives before the handshake was sent in plaintext by whoever sits on the wire — it would
otherwise be taken as part of the encrypted conversation — so the connection is refused
(CVE-2021-23222).

``sslmode`` (libpq documentation, 34.19.1 "Client Verification of Server Certificates" and
table 34.1 "SSL Mode Descriptions"):

* ``disable`` — plaintext only; ``allow`` — plaintext, and TLS on a retry if the server
  rejects the plaintext attempt; ``prefer`` (default) — TLS if the server answers ``S``, else
  plaintext, and a plaintext retry if the server rejects the TLS attempt; ``require`` — TLS or
  fail.
* Certificate checks: ``verify-ca`` checks the chain against ``sslrootcert`` (default
  ``~/.postgresql/root.crt``, which must then exist); ``verify-full`` also checks that the
  certificate names the host (DNS names and IP addresses of subjectAltName, via
  ``service_identity``; no fallback to the common name).  As in libpq, a root certificate file
  that exists makes the weaker modes check the chain too, and ``sslrootcert=system`` uses the
  system's trusted roots (and requires ``verify-full``).  CRLs come from ``sslcrl`` /
  ``sslcrldir`` (default ``~/.postgresql/root.crl`` when present).
* Client certificates: ``sslcert`` / ``sslkey`` (default ``~/.postgresql/postgresql.crt`` and
  ``.key`` when the certificate exists); the key must not be readable by group or others;
  ``sslpassword`` decrypts it.
* Unix sockets never use TLS, as in libpq.

The chain and the host name are checked right after the handshake, before a single byte of
the start-up message (and so before any password) is sent; failures name OpenSSL's reason.
The result, `TlsInfo`, carries the ``tls-server-end-point`` channel-binding hash for
SCRAM-SHA-256-PLUS.
"""

from __future__ import annotations

import ipaddress
import os
import ssl
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL, crypto
from service_identity import VerificationError
from service_identity.cryptography import (
    verify_certificate_hostname,
    verify_certificate_ip_address,
)
from twisted.internet.interfaces import (
    IHandshakeListener,
    IOpenSSLClientConnectionCreator,
)
from twisted.internet.protocol import Protocol, connectionDone
from twisted.protocols.tls import TLSMemoryBIOProtocol
from twisted.python.failure import Failure
from zope.interface import implementer

from txpostgres_proto.protocol.auth import tls_server_end_point_hash
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.messages import SSLRequest, decode_fields

from .connect_errors import (
    CertificateVerificationError,
    ConnectError,
    TlsConfigurationError,
    TlsError,
    TlsHandshakeError,
)
from .dsn import ConnectParams, Host
from .pgpass import home_directory

__all__ = [
    "SSLNegotiator",
    "TlsInfo",
    "TlsPolicy",
    "tls_policy",
]

_TLS_VERSIONS: Final = {
    "TLSv1": SSL.TLS1_VERSION,
    "TLSv1.1": SSL.TLS1_1_VERSION,
    "TLSv1.2": SSL.TLS1_2_VERSION,
    "TLSv1.3": SSL.TLS1_3_VERSION,
}
_MAX_ERROR_RESPONSE: Final = 30000


def _client_file(name: str) -> Path:
    return home_directory() / ".postgresql" / name


@dataclass(frozen=True, slots=True)
class TlsInfo:
    """What the TLS layer established: the server certificate and the channel-binding data."""

    peer_certificate: x509.Certificate
    #: ``tls-server-end-point`` data (RFC 5929), None when the certificate's signature
    #: algorithm defines none (channel binding is then impossible).
    end_point_hash: bytes | None
    protocol_version: str
    cipher: str | None


@dataclass(frozen=True, slots=True)
class TlsPolicy:
    """The decisions ``sslmode`` and the files imply, made once per `connect` call."""

    mode: str
    #: The OpenSSL context to use, or None when TLS is disabled.
    context: SSL.Context | None
    #: The store to check the server's chain against, or None for no chain check.
    trust: crypto.X509Store | None
    verify_hostname: bool
    sni: bool

    @property
    def tls_first(self) -> bool:
        """Whether the first attempt sends SSLRequest (prefer, require, verify-*)."""
        return self.mode not in ("disable", "allow")

    @property
    def tls_required(self) -> bool:
        return self.mode in ("require", "verify-ca", "verify-full")

    def retry_tls(self, used_tls: bool) -> bool | None:
        """After the server rejected an attempt during start-up: TLS for the retry, or None.

        libpq retries ``allow`` with TLS after a plaintext rejection and ``prefer`` without TLS
        after a TLS one (a ``hostnossl`` / ``hostssl`` rule in pg_hba.conf may be the cause).
        """
        if self.mode == "allow" and not used_tls:
            return True
        if self.mode == "prefer" and used_tls:
            return False
        return None


def tls_policy(params: ConnectParams) -> TlsPolicy:
    """Build the TLS policy for ``params``; raises TlsConfigurationError for unusable files."""
    if params.sslmode == "disable":
        return TlsPolicy("disable", None, None, False, False)
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE)  # the chain is checked after the handshake, see below
    context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_NO_TICKET | SSL.OP_NO_RENEGOTIATION)
    if params.ssl_min_protocol_version:
        context.set_min_proto_version(_TLS_VERSIONS[params.ssl_min_protocol_version])
    if params.ssl_max_protocol_version:
        context.set_max_proto_version(_TLS_VERSIONS[params.ssl_max_protocol_version])
    _load_client_certificate(context, params)
    trust = _trust_store(params)
    return TlsPolicy(
        mode=params.sslmode,
        context=context,
        trust=trust,
        verify_hostname=params.sslmode == "verify-full",
        sni=params.sslsni,
    )


def _check_key_permissions(path: Path) -> None:
    try:
        info = path.stat()
    except OSError as error:
        raise TlsConfigurationError(
            f'could not open private key file "{path}": {error.strerror}'
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise TlsConfigurationError(f'private key file "{path}" is not a regular file')
    if os.name != "posix":
        return
    too_open = (
        info.st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        if info.st_uid == os.geteuid()
        else info.st_mode & (stat.S_IWGRP | stat.S_IXGRP | stat.S_IRWXO)
        if info.st_uid == 0
        else 0
    )
    if too_open:
        raise TlsConfigurationError(
            f'private key file "{path}" has group or world access; file must have permissions '
            "u=rw (0600) or less if owned by the current user, or permissions u=rw,g=r (0640) "
            "or less if owned by root"
        )


def _load_client_certificate(context: SSL.Context, params: ConnectParams) -> None:
    certificate = Path(params.sslcert or _client_file("postgresql.crt")).expanduser()
    if not certificate.exists():
        return  # libpq silently connects without a client certificate
    key = Path(params.sslkey or _client_file("postgresql.key")).expanduser()
    if not key.exists():
        raise TlsConfigurationError(f'certificate present, but not private key file "{key}"')
    _check_key_permissions(key)
    try:
        context.use_certificate_chain_file(str(certificate))
    except SSL.Error as error:
        raise TlsConfigurationError(
            f'could not read certificate file "{certificate}": {_openssl_reason(error)}'
        ) from None
    context.use_privatekey(_private_key(key, params.sslpassword))
    try:
        context.check_privatekey()
    except SSL.Error as error:
        raise TlsConfigurationError(
            f'private key file "{key}" does not match certificate "{certificate}": '
            f"{_openssl_reason(error)}"
        ) from None


def _private_key(path: Path, password: str | None) -> Any:
    """Load a PEM (or DER) private key, decrypting it with ``sslpassword`` when needed."""
    secret = password.encode("utf-8") if password else None
    try:
        data = path.read_bytes()
        loader = (
            serialization.load_pem_private_key
            if b"-----BEGIN" in data
            else serialization.load_der_private_key
        )
        return loader(data, password=secret)
    except (OSError, TypeError, ValueError, UnsupportedAlgorithm) as error:
        raise TlsConfigurationError(f'could not load private key file "{path}": {error}') from None


def _trust_store(params: ConnectParams) -> crypto.X509Store | None:
    """The root certificates (and CRLs) to check the server against, or None for no check."""
    store = crypto.X509Store()
    if params.sslrootcert == "system":
        defaults = ssl.get_default_verify_paths()
        store.load_locations(defaults.cafile, defaults.capath)
    else:
        root = Path(params.sslrootcert or _client_file("root.crt")).expanduser()
        if not root.exists():
            if params.sslmode in ("verify-ca", "verify-full"):
                raise TlsConfigurationError(
                    f'root certificate file "{root}" does not exist\nEither provide the file, '
                    "use the system's trusted roots with sslrootcert=system, or change "
                    "sslmode to disable server certificate verification."
                )
            return None
        try:
            store.load_locations(str(root))
        except (SSL.Error, crypto.Error) as error:
            raise TlsConfigurationError(
                f'could not read root certificate file "{root}": {_openssl_reason(error)}'
            ) from None
    crl = Path(params.sslcrl or _client_file("root.crl")).expanduser()
    crl_directory = params.sslcrldir
    if crl.exists() or crl_directory:
        try:
            store.load_locations(str(crl) if crl.exists() else None, crl_directory)
        except (SSL.Error, crypto.Error) as error:
            raise TlsConfigurationError(
                f'could not load SSL certificate revocation list "{crl}": {_openssl_reason(error)}'
            ) from None
        store.set_flags(crypto.X509StoreFlags.CRL_CHECK | crypto.X509StoreFlags.CRL_CHECK_ALL)
    return store


def _openssl_reason(error: Exception) -> str:
    """The human part of a pyOpenSSL error (its reason strings), or str(error)."""
    details = error.args[0] if error.args else None
    if isinstance(details, list) and details and all(isinstance(d, tuple) for d in details):
        return "; ".join(str(entry[-1]) for entry in details)
    return str(error) or type(error).__name__


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


@implementer(IOpenSSLClientConnectionCreator)
class _ConnectionCreator:
    """Hands Twisted's TLS layer an OpenSSL connection (with SNI when ``server_name`` is set)."""

    def __init__(self, context: SSL.Context, server_name: str | None) -> None:
        self._context = context
        self._server_name = server_name

    def clientConnectionForTLS(self, tlsProtocol: TLSMemoryBIOProtocol) -> SSL.Connection:  # noqa: N802
        connection = SSL.Connection(self._context, None)
        connection.set_app_data(tlsProtocol)
        if self._server_name:
            connection.set_tlsext_host_name(self._server_name.encode("idna"))
        connection.set_connect_state()
        return connection


def verify_server(policy: TlsPolicy, host: Host, connection: SSL.Connection) -> TlsInfo:
    """Check the server's chain and name as ``policy`` demands; describe the TLS session."""
    chain = connection.get_peer_cert_chain() or []
    if not chain:
        raise CertificateVerificationError("server did not present a certificate")
    leaf, intermediates = chain[0], chain[1:]
    if policy.trust is not None:
        try:
            crypto.X509StoreContext(policy.trust, leaf, intermediates).verify_certificate()
        except crypto.X509StoreContextError as error:
            subject = (
                _common_name(error.certificate.to_cryptography()) if error.certificate else None
            )
            raise CertificateVerificationError(
                f"certificate verify failed: {error}"
                + (f" (certificate {subject!r})" if subject else "")
            ) from None
    certificate = leaf.to_cryptography()
    if policy.verify_hostname:
        _verify_name(certificate, host.host)
    try:
        end_point_hash: bytes | None = tls_server_end_point_hash(
            certificate.public_bytes(Encoding.DER)
        )
    except ValueError:
        end_point_hash = None
    return TlsInfo(
        peer_certificate=certificate,
        end_point_hash=end_point_hash,
        protocol_version=connection.get_protocol_version_name(),
        cipher=connection.get_cipher_name(),
    )


def _common_name(certificate: x509.Certificate) -> str | None:
    names = certificate.subject.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    return str(names[0].value) if names else None


def _verify_name(certificate: x509.Certificate, name: str) -> None:
    if not name:
        raise CertificateVerificationError(
            "host name must be specified for a verified SSL connection"
        )
    try:
        if _is_ip_address(name):
            verify_certificate_ip_address(certificate, name)
        else:
            verify_certificate_hostname(certificate, name)
    except VerificationError:
        raise CertificateVerificationError(_mismatch_message(certificate, name)) from None
    except Exception as error:  # service_identity.CertificateError: no usable subjectAltName
        raise CertificateVerificationError(
            f'server certificate for host "{name}" cannot be checked: {error}'
        ) from None


def _certificate_names(certificate: x509.Certificate) -> list[str]:
    """The DNS names and IP addresses in subjectAltName (what verify-full compares)."""
    try:
        names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return []
    return [
        *names.get_values_for_type(x509.DNSName),
        *(str(address) for address in names.get_values_for_type(x509.IPAddress)),
    ]


def _mismatch_message(certificate: x509.Certificate, name: str) -> str:
    """libpq's wording: 'server certificate for "a" (and 2 other names) does not match ...'."""
    names = _certificate_names(certificate)
    if not names:
        return f'server certificate has no subjectAltName entries to match host name "{name}"'
    others = len(names) - 1
    extra = f" (and {others} other name{'s' if others > 1 else ''})" if others else ""
    return f'server certificate for "{names[0]}"{extra} does not match host name "{name}"'


def _schedule_tls_writes_on(transport: Any, reactor: Any) -> None:
    """Make the TLS layer ``startTLS`` just added flush its writes on *our* reactor.

    ``ITLSTransport.startTLS`` builds its ``TLSMemoryBIOFactory`` without a clock, so the
    layer's small-write aggregation (Twisted 23+, ``BufferingTLSTransport``) schedules its
    flushes on the global reactor; with any other reactor — the one the caller passed to
    `connect` — application data would never leave.  The handshake itself is written
    directly, so pointing the aggregator at our reactor right after ``startTLS`` is enough.
    Twisted offers no public way to pass the clock through ``startTLS``; when the private
    attribute is absent (other Twisted versions) there is nothing to fix.
    """
    aggregator = getattr(getattr(transport, "protocol", None), "_aggregator", None)
    if aggregator is not None and hasattr(aggregator, "_clock"):
        aggregator._clock = reactor


def _deliver_directly(transport: Any, negotiator: Protocol, inner: Protocol) -> None:
    """Take the negotiator (and an endpoint's wrapper) out of the path of every later event.

    Once the stream is ready the negotiator only forwards, and so does the ``_WrappingProtocol``
    a Twisted endpoint puts in front of it: two extra Python calls per read.  The protocol the
    transport delivers to — the transport's own ``protocol``, or the TLS layer's
    ``wrappedProtocol`` after ``startTLS`` — is pointed straight at ``inner`` when it is the
    negotiator or a wrapper around it (then ``inner`` gets ``dataReceived`` and its single
    ``connectionLost`` directly).  Any other arrangement is left alone; forwarding still works.
    """
    holder = transport
    attribute = "protocol"
    top = getattr(transport, "protocol", None)
    if isinstance(top, TLSMemoryBIOProtocol):
        holder, attribute, top = top, "wrappedProtocol", top.wrappedProtocol
    if top is negotiator or getattr(top, "_wrappedProtocol", None) is negotiator:
        setattr(holder, attribute, inner)


@implementer(IHandshakeListener)
class SSLNegotiator(Protocol):
    """The first protocol on a new connection: settles TLS, then forwards to the real protocol.

    ``reactor`` is the reactor the connection runs on; ``use_tls`` says whether to send
    SSLRequest.  When the stream is ready — plaintext, or TLS
    established and verified — ``on_ready(tls_info_or_None)`` is called; it must return the
    protocol that handles the connection from then on (it receives ``makeConnection`` and every
    later event).  Any failure before that calls ``on_failed(failure)`` once and aborts the
    connection.  ``on_connected(transport)``, when given, runs first, while the transport is
    still the bare socket (socket options, peer checks); raising there fails the connection.
    """

    transport: Any  # a TCP or UNIX transport: ITLSTransport, getHandle, abortConnection

    def __init__(
        self,
        reactor: Any,
        policy: TlsPolicy,
        host: Host,
        use_tls: bool,
        on_ready: Callable[[TlsInfo | None], Protocol],
        on_failed: Callable[[Failure], None],
        on_connected: Callable[[Any], None] | None = None,
    ) -> None:
        self._reactor = reactor
        self._on_connected = on_connected
        self._policy = policy
        self._host = host
        self._use_tls = use_tls
        self._on_ready = on_ready
        self._on_failed = on_failed
        self._inner: Protocol | None = None
        self._awaiting_answer = False
        self._error_buffer = b""
        self._handshaking = False
        self._failed = False

    # -- Protocol -------------------------------------------------------------------------

    def connectionMade(self) -> None:  # noqa: N802
        if self._on_connected is not None:
            try:
                self._on_connected(self.transport)
            except Exception as error:
                self._fail(error)
                return
        if self._use_tls:
            self._awaiting_answer = True
            self.transport.write(SSLRequest().encode())
        else:
            self._ready(None)

    def dataReceived(self, data: bytes) -> None:  # noqa: N802
        if self._inner is not None:
            self._inner.dataReceived(data)
        elif self._error_buffer:
            self._collect_error(data)
        elif self._awaiting_answer:
            self._answer(data)
        elif not self._failed:
            self._fail(TlsError("server sent data during the TLS handshake"))

    def connectionLost(self, reason: Failure = connectionDone) -> None:  # noqa: N802
        if self._inner is not None:
            self._inner.connectionLost(reason)
            return
        if self._failed:
            return
        if self._handshaking:
            reason_text = _openssl_reason(reason.value)
            self._fail(TlsHandshakeError(f"SSL handshake failed: {reason_text}"))
        elif self._awaiting_answer:
            self._fail(
                ConnectError("server closed the connection unexpectedly during SSL negotiation")
            )
        else:
            self._fail(ConnectError(f"connection lost: {reason.getErrorMessage()}"))

    def handshakeCompleted(self) -> None:  # noqa: N802
        self._handshaking = False
        connection = self.transport.getHandle()
        try:
            info = verify_server(self._policy, self._host, connection)
        except ConnectError as error:
            self._fail(error)
            return
        self._ready(info)

    # -- the exchange ---------------------------------------------------------------------

    def _answer(self, data: bytes) -> None:
        self._awaiting_answer = False
        answer, rest = data[:1], data[1:]
        if answer == b"S":
            if rest:
                self._fail(
                    TlsError(
                        "received unencrypted data after SSL response "
                        "(possible man-in-the-middle attack; CVE-2021-23222)"
                    )
                )
                return
            assert self._policy.context is not None
            name = self._host.host if self._policy.sni else ""
            server_name = name if name and not _is_ip_address(name) else None
            self._handshaking = True
            self.transport.startTLS(_ConnectionCreator(self._policy.context, server_name))
            _schedule_tls_writes_on(self.transport, self._reactor)
        elif answer == b"N":
            if self._policy.tls_required:
                self._fail(TlsError("server does not support SSL, but SSL was required"))
            elif rest:
                self._fail(TlsError("received unexpected data after the SSL refusal"))
            else:
                self._ready(None)
        elif answer == b"E":
            self._collect_error(data)
        else:
            self._fail(TlsError(f"received invalid response to SSL negotiation: {answer!r}"))

    def _collect_error(self, data: bytes) -> None:
        """An old or failing server answered SSLRequest with an ErrorResponse: report it."""
        self._error_buffer += data
        if len(self._error_buffer) < 5:
            return
        length = int.from_bytes(self._error_buffer[1:5], "big")
        if not 4 <= length <= _MAX_ERROR_RESPONSE:
            self._fail(TlsError("received invalid response to SSL negotiation"))
        elif len(self._error_buffer) >= 1 + length:
            body = self._error_buffer[5 : 1 + length]
            try:
                error: Exception = PostgresError.from_fields(decode_fields(body, "ErrorResponse"))
            except Exception:
                error = TlsError("received invalid response to SSL negotiation")
            self._fail(error)

    def _ready(self, info: TlsInfo | None) -> None:
        try:
            inner = self._on_ready(info)
        except Exception as error:
            self._fail(error)
            return
        self._inner = inner
        inner.makeConnection(self.transport)
        if not self._failed:
            _deliver_directly(self.transport, self, inner)

    def _fail(self, error: Exception) -> None:
        if self._failed:
            return
        self._failed = True
        self.transport.abortConnection()
        self._on_failed(Failure(error))
