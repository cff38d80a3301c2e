"""Shared pieces of the catalog's SQLite user functions (``sqlfuncs.py``, ``valuefuncs.py``).

SQLite calls a user function with the values it stores (see ``store.py``): integers, text,
JSON array text; NULL is ``None``.  :func:`strict` gives a function PostgreSQL's STRICT
behaviour (NULL in, NULL out).  :class:`FunctionContext` is what session-dependent functions
read: the engine points it at the session running the current statement.  An error a function
raises on purpose (``'nope'::regclass``) is a :class:`PostgresError`; SQLite only lets a user
function fail with a generic message, so the context keeps the real error for the engine.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable
from typing import Any

from txpostgres_proto.catalog.directory import Directory
from txpostgres_proto.catalog.session import SessionInfo, parse_search_path
from txpostgres_proto.protocol.errors import PostgresError


class FunctionContext:
    """What the functions know about the server and the session running the query."""

    def __init__(self, directory: Directory, server_version: str, start_time: datetime.datetime):
        self.directory = directory
        self.server_version = server_version
        self.start_time = start_time
        self.session: SessionInfo | None = None
        self.error: PostgresError | None = None
        self.query_time = start_time
        self._path: list[int] | None = None

    def begin(self, session: SessionInfo) -> None:
        """Point at ``session`` for the next statement."""
        self.session = session
        self.error = None
        self._path = None
        self.query_time = datetime.datetime.now(datetime.UTC)

    def fail(self, error: PostgresError) -> PostgresError:
        self.error = error
        return error

    def setting(self, name: str) -> str | None:
        """The session's value, else PostgreSQL 15's built-in one, else None."""
        key = name.lower()
        if self.session is not None:
            value = self.session.get_setting(key)
            if value is not None:
                return value
        if key == "server_version":
            return self.server_version
        if key == "server_version_num":
            major, _, minor = self.server_version.partition(".")
            return f"{int(major):d}{int(minor or 0):04d}"
        show = self.directory.builtin.show
        for candidate, value in show.items():
            if candidate.lower() == key:
                return value
        return None

    @property
    def user(self) -> str:
        return self.session.user if self.session is not None else self.directory.owner

    def search_path(self) -> list[int]:
        if self._path is None:
            setting = self.setting("search_path")
            path = parse_search_path('"$user", public' if setting is None else setting)
            self._path = self.directory.effective_path(path, self.user)
        return self._path


def strict(function: Callable[..., Any]) -> Callable[..., Any]:
    """NULL in any argument gives NULL, like a STRICT PostgreSQL function."""

    @functools.wraps(function)
    def wrapper(*args: Any) -> Any:
        if any(arg is None for arg in args):
            return None
        return function(*args)

    return wrapper


def as_int(value: Any) -> int:
    return int(value)


def as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("t", "true", "1", "y", "yes", "on")
    return bool(value)


def as_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
