"""Why a connection could not be established, as exceptions with SQLSTATE 08001.

Failures detected on the client side (a refused TCP connection, a timeout, a TLS problem, a
server that does not match ``target_session_attrs``) are `ConnectError`\\ s.  They are
`PostgresError` subclasses under ``SqlclientUnableToEstablishSqlconnection`` (08001, the code
JDBC and the SQL standard use for this), hence also ``OperationalError``; errors the *server*
reports during start-up (``InvalidPassword`` 28P01, ``InvalidCatalogName`` 3D000,
``TooManyConnections`` 53300 …) are raised as the server's own error classes instead.

When several hosts or addresses were tried, `AllHostsFailed` lists each attempt's error.
"""

from __future__ import annotations

from collections.abc import Sequence

from txpostgres_proto.protocol.sqlstates import SqlclientUnableToEstablishSqlconnection

__all__ = [
    "AllHostsFailed",
    "CertificateVerificationError",
    "ConnectError",
    "ConnectTimeoutError",
    "SessionAttributesError",
    "TlsConfigurationError",
    "TlsError",
    "TlsHandshakeError",
]


class ConnectError(SqlclientUnableToEstablishSqlconnection):
    """A connection to the server could not be established."""

    def __init__(self, message: str) -> None:
        super().__init__(message, severity="FATAL")


class ConnectTimeoutError(ConnectError):
    """``connect_timeout`` expired before the server accepted us."""


class TlsError(ConnectError):
    """TLS was required but refused, or the TLS handshake or negotiation failed."""


class TlsHandshakeError(TlsError):
    """The TLS handshake failed (``sslmode=prefer`` then retries without TLS, as libpq does)."""


class CertificateVerificationError(TlsHandshakeError):
    """The server certificate is not trusted, or does not name the host we connected to."""


class TlsConfigurationError(ConnectError):
    """The local TLS files (root certificate, client certificate or key, CRL) are unusable."""


class SessionAttributesError(ConnectError):
    """The server does not have the properties ``target_session_attrs`` asks for."""


class AllHostsFailed(ConnectError):
    """Every host (and every address of every host) failed; ``errors`` says how each did."""

    def __init__(self, errors: Sequence[tuple[str, BaseException]]) -> None:
        lines = [f"connection to {where} failed: {error}" for where, error in errors]
        super().__init__("\n".join(lines) or "no host to connect to")
        self.errors = list(errors)
