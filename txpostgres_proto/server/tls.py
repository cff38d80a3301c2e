"""TLS for the server: the OpenSSL context and the certificate facts SCRAM-PLUS needs.

PostgreSQL negotiates TLS inside its own protocol (protocol section 55.2.10): the client sends
SSLRequest, the server answers ``S`` and both sides start TLS on the same TCP connection.  That
is why the server cannot listen on an ``ssl:`` endpoint; instead the protocol calls
``transport.startTLS(tls.context_factory)`` after answering ``S``.

`ServerTLS` carries the context factory (Twisted's ``CertificateOptions``, TLS 1.2 or newer)
and the DER form of the server certificate, from which `channel_binding` computes the
``tls-server-end-point`` data (RFC 5929) that SCRAM-SHA-256-PLUS binds to.  `load_server_tls`
builds one from PEM files: the certificate file may carry intermediate certificates after the
server's own, and a CA file makes the server ask for (and verify) client certificates.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property

from OpenSSL import crypto
from twisted.internet import ssl

from txpostgres_proto.protocol.auth import tls_server_end_point_hash

__all__ = ["ServerTLS", "load_server_tls"]


@dataclass(frozen=True)
class ServerTLS:
    """A server TLS configuration: context factory plus the server certificate (DER)."""

    context_factory: ssl.CertificateOptions
    certificate_der: bytes
    verifies_clients: bool = False

    @cached_property
    def channel_binding(self) -> bytes | None:
        """``tls-server-end-point`` data of our certificate; None when it has none defined."""
        try:
            return tls_server_end_point_hash(self.certificate_der)
        except ValueError:
            return None


def _pem_certificates(pem: bytes) -> list[crypto.X509]:
    marker = b"-----BEGIN CERTIFICATE-----"
    return [
        crypto.load_certificate(crypto.FILETYPE_PEM, marker + chunk)
        for chunk in pem.split(marker)[1:]
    ]


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
        chain = _pem_certificates(handle.read())
    if not chain:
        raise ValueError(f"no PEM certificate found in {os.fspath(cert_file)}")
    with open(key_file, "rb") as handle:
        key = crypto.load_privatekey(crypto.FILETYPE_PEM, handle.read())
    options: dict[str, object] = {}
    if ca_file is not None:
        with open(ca_file, "rb") as handle:
            options["caCerts"] = _pem_certificates(handle.read())
        options["verify"] = True
        options["requireCertificate"] = False
    context = ssl.CertificateOptions(
        privateKey=key,
        certificate=chain[0],
        extraCertChain=chain[1:],
        raiseMinimumTo=ssl.TLSVersion.TLSv1_2,
        **options,  # type: ignore[arg-type]
    )
    der = crypto.dump_certificate(crypto.FILETYPE_ASN1, chain[0])
    return ServerTLS(context, der, verifies_clients=ca_file is not None)
