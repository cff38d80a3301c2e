"""The password file (``~/.pgpass``), looked up the way libpq does it.

libpq documentation, section 34.16 "The Password File": each line is
``hostname:port:database:username:password``; a field that is exactly ``*`` matches anything;
``\\:`` and ``\\\\`` stand for a literal colon and backslash (in the password too); lines starting
with ``#`` are comments; the first matching line wins.  On POSIX systems a file that the group
or others may access is ignored (libpq prints a warning; we log one), as is anything that is not
a regular file.

The host name looked up is the ``host`` connection parameter, else ``hostaddr``, else
``localhost``; a connection over the default Unix socket directory also looks up ``localhost``
(any other socket directory is looked up by its path).  The port is compared as the decimal
string of the port number.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from twisted.logger import Logger

__all__ = ["default_passfile", "lookup_password", "parse_passfile_line"]

_log = Logger()

#: What a line's fields are: (text, is_wildcard) for the first four, the password last.
PassfileEntry = tuple[tuple[tuple[str, bool], ...], str]


def home_directory() -> Path:
    """The user's home directory: ``$HOME``, else the password database entry."""
    return Path(os.path.expanduser("~"))


def default_passfile() -> Path:
    """``~/.pgpass``: the password file when neither ``passfile`` nor ``PGPASSFILE`` is set."""
    return home_directory() / ".pgpass"


def parse_passfile_line(line: str) -> PassfileEntry | None:
    """Split one line into four matchable fields and the password; None for comments/short lines.

    Backslash escapes any character; an unescaped colon ends each of the first four fields; the
    password is the rest of the line with escapes removed.
    """
    line = line.rstrip("\r\n")
    if not line or line.startswith("#"):
        return None
    fields: list[tuple[str, bool]] = []
    current: list[str] = []
    escaped_any = False
    chars = iter(line)
    for char in chars:
        if char == "\\":
            current.append(next(chars, ""))
            escaped_any = True
        elif char == ":" and len(fields) < 4:
            text = "".join(current)
            fields.append((text, text == "*" and not escaped_any))
            current = []
            escaped_any = False
        else:
            current.append(char)
    if len(fields) < 4:
        return None
    return tuple(fields), "".join(current)


def _entries(path: Path) -> Iterator[PassfileEntry]:
    try:
        info = path.stat()
    except OSError:
        return
    if not stat.S_ISREG(info.st_mode):
        _log.warn("password file {path} is not a plain file", path=str(path))
        return
    if os.name == "posix" and info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        _log.warn(
            "password file {path} has group or world access; "
            "permissions should be u=rw (0600) or less",
            path=str(path),
        )
        return
    try:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
    except OSError:
        return
    for line in text.splitlines():
        entry = parse_passfile_line(line)
        if entry is not None:
            yield entry


def lookup_password(
    path: str | os.PathLike[str], host: str, port: int, database: str, user: str
) -> str | None:
    """The password of the first line matching (host, port, database, user), or None.

    ``host`` must already be the name libpq looks up (``localhost`` for the default socket
    directory, see the module docstring).  An empty password counts as none.
    """
    wanted = (host, str(port), database, user)
    for fields, password in _entries(Path(path)):
        if all(wild or text == value for (text, wild), value in zip(fields, wanted, strict=True)):
            return password or None
    return None
