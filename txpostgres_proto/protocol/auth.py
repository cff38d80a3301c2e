"""Inputs to SCRAM defined outside SCRAM itself: password preparation and channel-binding data.

* :func:`saslprep` / :func:`prepare_password` — the SASLprep profile of stringprep (RFC 4013 on
  top of RFC 3454), applied the way PostgreSQL applies it (``src/common/saslprep.c``), so that a
  verifier computed here matches one computed by the PostgreSQL server or by libpq for the same
  password.  PostgreSQL deviates from the RFC in three ways, mirrored here on purpose:

  - a password that is not valid UTF-8, or that SASLprep rejects, is not an error: the raw
    bytes are used instead (passwords in PostgreSQL are byte strings in any client encoding);
  - a pure-ASCII string is used as is (no prohibition check for ASCII control characters);
  - the prohibited-character and bidirectional checks look at the string after mapping but
    *before* NFKC normalisation, and a string that maps to nothing is rejected.

  Normalisation uses the interpreter's Unicode tables (Python 3.11 and PostgreSQL 15 both ship
  Unicode 14); the mapping, prohibition and bidi tables are those of RFC 3454 (Unicode 3.2),
  taken from the standard library's ``stringprep`` module.

* :func:`tls_server_end_point_hash` — the ``tls-server-end-point`` channel-binding data of
  RFC 5929 section 4.1, used by SCRAM-SHA-256-PLUS: the hash of the server's DER certificate,
  with the hash function of the certificate's signature algorithm, except that MD5 and SHA-1
  are replaced by SHA-256.
"""

from __future__ import annotations

import stringprep
import unicodedata

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes

__all__ = ["prepare_password", "saslprep", "tls_server_end_point_hash"]


def _is_prohibited(char: str) -> bool:
    """RFC 4013 section 2.3 prohibited output, plus unassigned code points (section 2.5)."""
    return (
        stringprep.in_table_c12(char)
        or stringprep.in_table_c21_c22(char)
        or stringprep.in_table_c3(char)
        or stringprep.in_table_c4(char)
        or stringprep.in_table_c5(char)
        or stringprep.in_table_c6(char)
        or stringprep.in_table_c7(char)
        or stringprep.in_table_c8(char)
        or stringprep.in_table_c9(char)
        or stringprep.in_table_a1(char)
    )


def _map(text: str) -> str:
    """RFC 4013 section 2.1: non-ASCII spaces become U+0020, B.1 characters disappear."""
    mapped: list[str] = []
    for char in text:
        if stringprep.in_table_c12(char):
            mapped.append(" ")
        elif not stringprep.in_table_b1(char):
            mapped.append(char)
    return "".join(mapped)


def _check_bidi(text: str) -> None:
    """RFC 3454 section 6: right-to-left strings must be purely and visibly right-to-left."""
    if not any(stringprep.in_table_d1(char) for char in text):
        return
    if any(stringprep.in_table_d2(char) for char in text):
        raise ValueError("SASLprep: string mixes left-to-right and right-to-left characters")
    if not (stringprep.in_table_d1(text[0]) and stringprep.in_table_d1(text[-1])):
        raise ValueError("SASLprep: right-to-left string must start and end with RandALCat")


def saslprep(text: str) -> str:
    """Prepare ``text`` with SASLprep as PostgreSQL does; raise ValueError where it refuses."""
    if text.isascii():
        return text
    mapped = _map(text)
    if not mapped:
        raise ValueError("SASLprep: string is empty after mapping")
    for char in mapped:
        if _is_prohibited(char):
            raise ValueError(f"SASLprep: prohibited character U+{ord(char):04X}")
    _check_bidi(mapped)
    return unicodedata.normalize("NFKC", mapped)


def prepare_password(password: str | bytes) -> bytes:
    """The bytes SCRAM hashes for ``password``: SASLprep'd UTF-8, or the raw bytes on failure."""
    if isinstance(password, bytes):
        try:
            text = password.decode("utf-8")
        except UnicodeDecodeError:
            return password
        raw = password
    else:
        text = password
        raw = password.encode("utf-8", "surrogatepass")
    try:
        return saslprep(text).encode("utf-8")
    except ValueError:
        return raw


def tls_server_end_point_hash(cert_der: bytes) -> bytes:
    """RFC 5929 ``tls-server-end-point`` channel-binding data for a DER-encoded certificate.

    Raises ValueError when the certificate's signature algorithm names no hash function (for
    example Ed25519), where the RFC leaves the binding undefined and PostgreSQL refuses too.
    """
    certificate = x509.load_der_x509_certificate(cert_der)
    try:
        algorithm = certificate.signature_hash_algorithm
    except UnsupportedAlgorithm as error:
        raise ValueError(f"unsupported certificate signature algorithm: {error}") from error
    if algorithm is None:
        raise ValueError(
            "certificate signature algorithm has no hash function; "
            "tls-server-end-point channel binding is undefined for it"
        )
    if isinstance(algorithm, hashes.MD5 | hashes.SHA1):
        algorithm = hashes.SHA256()
    digest = hashes.Hash(algorithm)
    digest.update(cert_der)
    return digest.finalize()
