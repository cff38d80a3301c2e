"""TLS for the server: the OpenSSL context and the certificate facts SCRAM-PLUS needs.

PostgreSQL negotiates TLS inside its own protocol (protocol section 55.2.10): the client sends
SSLRequest, the server answers ``S`` and both sides start TLS on the same TCP connection.  That
is why the server cannot listen on an ``ssl:`` endpoint; instead the protocol calls
``transport.startTLS(tls.context_factory)`` after answering ``S``.

`ServerTLS` carries the context factory (an OpenSSL context made straight from the PEM files,
TLS 1.2 or newer) and the DER form of the server certificate, from which `channel_binding`
computes the ``tls-server-end-point`` data (RFC 5929) that SCRAM-SHA-256-PLUS binds to.
`load_server_tls`
builds one from PEM files: the certificate file may carry intermediate certificates after the
server's own, and a CA file makes the server ask for (and verify) client certificates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL
from twisted.internet import ssl

from txpostgres_proto.protocol.auth import tls_server_end_point_hash

__all__ = ["ServerContextFactory", "ServerTLS", "load_server_tls"]


class ServerContextFactory(ssl.ContextFactory):
    """An OpenSSL server context from PEM files: TLS 1.2 or newer, the certificate chain, and
    optionally client-certificate verification against ``ca_file``."""

    isClient = False

    def __init__(self, cert_file: str, key_file: str, ca_file: str | None = None) -> None:
        self._cert_file = cert_file
        self._key_file = key_file
        self._ca_file = ca_file
        self._context = self._build()

    def _build(self) -> SSL.Context:
        context = SSL.Context(SSL.TLS_SERVER_METHOD)
        context.set_min_proto_version(SSL.TLS1_2_VERSION)
        context.set_options(SSL.OP_NO_COMPRESSION | SSL.OP_CIPHER_SERVER_PREFERENCE)
        context.use_certificate_chain_file(self._cert_file)
        context.use_privatekey_file(self._key_file)
        context.check_privatekey()
        if self._ca_file is not None:
            context.load_verify_locations(self._ca_file)
            context.set_verify(SSL.VERIFY_PEER, lambda conn, cert, errno, depth, ok: bool(ok))
        return context

    def getContext(self) -> SSL.Context:
        return self._context


@dataclass(frozen=True)
class ServerTLS:
    """A server TLS configuration: context factory plus the server certificate (DER)."""

    context_factory: ssl.ContextFactory
    certificate_der: bytes
    verifies_clients: bool = False

    @cached_property
    def channel_binding(self) -> bytes | None:
        """``tls-server-end-point`` data of our certificate; None when it has none defined."""
        try:
            return tls_server_end_point_hash(self.certificate_der)
        except ValueError:
            return None


def load_server_tls(
    cert_file: str | os.PathLike[str],
    key_file: str | os.PathLike[str],
    *,
    ca_file: str | os.PathLike[str] | None = None,
) -> ServerTLS:
    """A `ServerTLS` from PEM files.

    ``cert_file`` holds the server certificate, optionally followed by its chain; ``key_file``
    the private key (unencrypted).  With ``ca_file`` clients may present a certificate, which
    must then be signed by one of those CAs (as PostgreSQL's ``ssl_ca_file``).
    """
    with open(cert_file, "rb") as handle:
        pem = handle.read()
    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise ValueError(f"no PEM certificate in {os.fspath(cert_file)}: {error}") from None
    factory = ServerContextFactory(
        os.fspath(cert_file),
        os.fspath(key_file),
        None if ca_file is None else os.fspath(ca_file),
    )
    der = certificate.public_bytes(Encoding.DER)
    return ServerTLS(factory, der, verifies_clients=ca_file is not None)
