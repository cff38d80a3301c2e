"""PostgreSQL's MD5 password scheme (protocol section 55.3 "Authentication", message
AuthenticationMD5Password).

The stored form is ``"md5" + hex(md5(password + username))``; on the wire the client answers a
4-byte salt with ``"md5" + hex(md5(hex(md5(password + username)) + salt))``.  Knowing the stored
hash is therefore enough to log in (a proxy such as pgbouncer relies on that), which is why
:func:`md5_response` accepts either the password or the stored hash.

Both sides use these functions: the client to answer the challenge, the server to check the
answer against whatever it stores (plaintext or the md5 hash).  Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import re

__all__ = ["is_md5_hash", "md5_check", "md5_password_hash", "md5_response"]

_MD5_HASH = re.compile(rb"md5[0-9a-f]{32}")


def _as_bytes(value: str | bytes) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _hexdigest(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def is_md5_hash(secret: str) -> bool:
    """True when ``secret`` has the stored md5 form (as PostgreSQL classifies pg_authid entries)."""
    return secret.isascii() and _MD5_HASH.fullmatch(secret.encode("ascii")) is not None


def md5_password_hash(user: str, password: str | bytes) -> str:
    """The stored form: ``"md5" + hex(md5(password + user))``."""
    return "md5" + _hexdigest(_as_bytes(password) + _as_bytes(user))


def md5_response(user: str, password_or_md5hash: str | bytes, salt: bytes) -> str:
    """What the client sends back for AuthenticationMD5Password with ``salt``.

    ``password_or_md5hash`` may be the password itself or its stored md5 hash.  A password that
    looks exactly like an md5 hash is taken as one, just as ``CREATE ROLE ... PASSWORD`` stores
    such a string unchanged.
    """
    if len(salt) != 4:
        raise ValueError(f"an MD5 salt is 4 bytes, got {len(salt)}")
    secret = _as_bytes(password_or_md5hash)
    if _MD5_HASH.fullmatch(secret) is None:
        secret = md5_password_hash(user, secret).encode("ascii")
    return "md5" + _hexdigest(secret[3:] + salt)


def md5_check(stored: str, user: str, salt: bytes, response: str | bytes) -> bool:
    """Server side: does the client's ``response`` match ``stored`` (plaintext or md5 hash)?"""
    expected = md5_response(user, stored, salt).encode("ascii")
    return hmac.compare_digest(expected, _as_bytes(response))
