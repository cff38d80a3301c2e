"""The two syntaxes of libpq connection strings: ``key=value`` lists and ``postgresql://`` URIs.

PostgreSQL documentation, section 34.1.1 "Connection Strings".  Both parsers return the
keywords exactly as written (a later duplicate wins) and check nothing but syntax and keyword
names; `dsn.parse_dsn` applies defaults and validates values.  The details follow libpq's own
parser, including its corner cases:

* ``key=value``: whitespace may surround ``=``; a value is either a run of non-blank
  characters or single-quoted; in both forms a backslash takes the next character literally
  (``\\'``, ``\\\\``, ``\\ `` for a space); an empty value needs quotes (``password=''``).
* URIs: ``postgresql://[user[:password]@][host][:port][,host[:port]...][/dbname][?key=value&...]``
  (or ``postgres://``).  Every part is percent-decoded (``+`` stays a plus sign, ``%00`` is
  refused); an IPv6 address is written in brackets; a Unix socket directory is written
  percent-encoded as the host (``%2Fvar%2Frun%2Fpostgresql``) or as a ``host`` query parameter.
  The user information ends at the first ``@`` before any ``/``.  Hosts and ports of a
  multi-host URI are joined with commas, as in the ``key=value`` form, so an empty port means
  the default for that host.  ``ssl=true`` is accepted as ``sslmode=require`` (JDBC
  compatibility, as in libpq).
"""

from __future__ import annotations

from typing import Final

__all__ = ["KEYWORDS", "DsnError", "parse_conninfo", "parse_keyword_value", "parse_uri"]

#: Every keyword libpq (PostgreSQL 16) accepts.
KEYWORDS: Final = frozenset(
    {
        "application_name", "channel_binding", "client_encoding", "connect_timeout", "dbname",
        "fallback_application_name", "gssencmode", "gsslib", "host", "hostaddr",
        "keepalives", "keepalives_count", "keepalives_idle", "keepalives_interval",
        "krbsrvname", "load_balance_hosts", "options", "passfile", "password", "port",
        "replication", "requirepeer", "service", "ssl_max_protocol_version",
        "ssl_min_protocol_version", "sslcert", "sslcompression", "sslcrl", "sslcrldir", "sslkey",
        "sslmode", "sslpassword", "sslrootcert", "sslsni", "target_session_attrs",
        "tcp_user_timeout", "user",
    }
)  # fmt: skip

_URI_PREFIXES: Final = ("postgresql://", "postgres://")
_HEX_DIGITS: Final = frozenset("0123456789abcdefABCDEF")


class DsnError(ValueError):
    """A connection string or connection parameter is invalid."""


def _check_keyword(keyword: str, message: str) -> None:
    if keyword not in KEYWORDS:
        raise DsnError(message.format(keyword))


def parse_conninfo(text: str) -> dict[str, str]:
    """Parse either syntax: a URI when ``text`` starts with a URI prefix, else ``key=value``."""
    if text.startswith(_URI_PREFIXES):
        return parse_uri(text)
    return parse_keyword_value(text)


# ------------------------------------------------------------------------- key=value


def parse_keyword_value(text: str) -> dict[str, str]:
    """Parse a ``key=value`` connection string (see the module docstring)."""
    result: dict[str, str] = {}
    pos, end = 0, len(text)
    while True:
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end:
            return result
        start = pos
        while pos < end and text[pos] != "=" and not text[pos].isspace():
            pos += 1
        keyword = text[start:pos]
        while pos < end and text[pos].isspace():
            pos += 1
        if pos >= end or text[pos] != "=":
            raise DsnError(f'missing "=" after "{keyword}" in connection info string')
        pos += 1
        while pos < end and text[pos].isspace():
            pos += 1
        value, pos = _read_value(text, pos)
        _check_keyword(keyword, 'invalid connection option "{}"')
        result[keyword] = value


def _read_value(text: str, pos: int) -> tuple[str, int]:
    """One value starting at ``pos``: returns it and the position after it."""
    end = len(text)
    chars: list[str] = []
    quoted = pos < end and text[pos] == "'"
    if quoted:
        pos += 1
    while True:
        if pos >= end:
            if quoted:
                raise DsnError("unterminated quoted string in connection info string")
            return "".join(chars), pos
        char = text[pos]
        pos += 1
        if char == "\\":
            if pos < end:
                chars.append(text[pos])
                pos += 1
        elif quoted and char == "'":
            return "".join(chars), pos
        elif not quoted and char.isspace():
            return "".join(chars), pos
        else:
            chars.append(char)


# ------------------------------------------------------------------------- URIs


def _decode(text: str) -> str:
    """Percent-decode one URI component (as UTF-8), refusing bad escapes and NUL."""
    if "%" not in text:
        return text
    out = bytearray()
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char != "%":
            out += char.encode("utf-8")
            pos += 1
            continue
        digits = text[pos + 1 : pos + 3]
        if len(digits) != 2 or not all(c in _HEX_DIGITS for c in digits):
            raise DsnError(f'invalid percent-encoded token: "{text}"')
        if digits == "00":
            raise DsnError(f'forbidden value %00 in percent-encoded value: "{text}"')
        out.append(int(digits, 16))
        pos += 3
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        raise DsnError(f'percent-encoded value is not valid UTF-8: "{text}"') from None


def parse_uri(uri: str) -> dict[str, str]:
    """Parse a ``postgresql://`` URI (see the module docstring)."""
    prefix = next((p for p in _URI_PREFIXES if uri.startswith(p)), None)
    if prefix is None:
        raise DsnError(f'invalid URI: "{uri}" does not start with postgresql:// or postgres://')
    result: dict[str, str] = {}
    pos = len(prefix)
    at = _find_any(uri, pos, "@/")
    if at < len(uri) and uri[at] == "@":
        user, colon, password = uri[pos:at].partition(":")
        if user:
            result["user"] = _decode(user)
        if colon and password:
            result["password"] = _decode(password)
        pos = at + 1
    hosts: list[str] = []
    ports: list[str] = []
    while True:
        host, pos = _read_uri_host(uri, pos)
        port = ""
        if pos < len(uri) and uri[pos] == ":":
            stop = _find_any(uri, pos + 1, "/?,")
            port, pos = uri[pos + 1 : stop], stop
        hosts.append(host)
        ports.append(port)
        if pos < len(uri) and uri[pos] == ",":
            pos += 1
            continue
        break
    if joined_hosts := ",".join(hosts):
        result["host"] = _decode(joined_hosts)
    if joined_ports := ",".join(ports):
        result["port"] = _decode(joined_ports)
    if pos < len(uri) and uri[pos] == "/":
        stop = _find_any(uri, pos + 1, "?")
        if dbname := uri[pos + 1 : stop]:
            result["dbname"] = _decode(dbname)
        pos = stop
    if pos < len(uri) and uri[pos] == "?":
        result.update(_parse_query(uri[pos + 1 :]))
    return result


def _find_any(text: str, start: int, characters: str) -> int:
    """Index of the first of ``characters`` at or after ``start``, or ``len(text)``."""
    for index in range(start, len(text)):
        if text[index] in characters:
            return index
    return len(text)


def _read_uri_host(uri: str, pos: int) -> tuple[str, int]:
    if pos < len(uri) and uri[pos] == "[":
        close = uri.find("]", pos)
        if close < 0:
            raise DsnError(
                'end of string reached when looking for matching "]" in IPv6 host address '
                f'in URI: "{uri}"'
            )
        if close == pos + 1:
            raise DsnError(f'IPv6 host address may not be empty in URI: "{uri}"')
        after = close + 1
        if after < len(uri) and uri[after] not in ":/?,":
            raise DsnError(
                f'unexpected character "{uri[after]}" at position {after + 1} in URI '
                f'(expected ":" or "/"): "{uri}"'
            )
        return uri[pos + 1 : close], after
    stop = _find_any(uri, pos, ":/?,")
    return uri[pos:stop], stop


def _parse_query(query: str) -> dict[str, str]:
    result: dict[str, str] = {}
    items = query.split("&")
    if items[-1] == "":
        items.pop()  # libpq tolerates one trailing "&" (and an empty query), nothing else
    for item in items:
        keyword, equals, value = item.partition("=")
        if not equals:
            raise DsnError(f'missing key/value separator "=" in URI query parameter: "{item}"')
        if "=" in value:
            raise DsnError(f'extra key/value separator "=" in URI query parameter: "{item}"')
        keyword, value = _decode(keyword), _decode(value)
        if keyword == "ssl" and value == "true":
            keyword, value = "sslmode", "require"
        _check_keyword(keyword, 'invalid URI query parameter: "{}"')
        result[keyword] = value
    return result
