"""The per-connection facts the catalog emulation reads while it answers a query.

``current_user``, ``current_database()``, ``pg_backend_pid()``, ``current_setting()``,
``set_config()``, ``SHOW``, ``pg_settings`` and ``pg_stat_activity`` depend on the connection
asking.  The server passes an object satisfying :class:`SessionInfo` to
:meth:`~txpostgres_proto.catalog.Catalog.execute`; :class:`SimpleSession` is a plain in-memory
implementation for tests and for embedding the catalog without a server.

Settings are GUC names and their text values, as ``SHOW`` prints them.  ``get_setting`` returns
``None`` for a name the session does not track; the catalog then falls back to PostgreSQL 15's
built-in default for that name (and reports "unrecognized configuration parameter" for names
PostgreSQL does not know either).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable


@runtime_checkable
class SessionInfo(Protocol):
    """What the catalog needs to know about the connection running a query."""

    @property
    def user(self) -> str: ...

    @property
    def database(self) -> str: ...

    @property
    def backend_pid(self) -> int: ...

    def get_setting(self, name: str) -> str | None:
        """The session's value of a setting (lower-case name), or None if not tracked."""
        ...

    def set_setting(self, name: str, value: str, is_local: bool) -> None:
        """Change a setting (``set_config(name, value, is_local)``, ``SET [LOCAL]``)."""
        ...

    def all_settings(self) -> Iterable[tuple[str, str]]:
        """Every (name, value) the session tracks (feeds ``pg_settings`` and ``SHOW ALL``)."""
        ...


@dataclass
class SimpleSession:
    """A :class:`SessionInfo` kept in a dict; ``is_local`` changes are not undone at commit."""

    user: str = "postgres"
    database: str = "postgres"
    backend_pid: int = 1
    settings: dict[str, str] = field(default_factory=dict)

    def get_setting(self, name: str) -> str | None:
        return self.settings.get(name.lower())

    def set_setting(self, name: str, value: str, is_local: bool) -> None:
        self.settings[name.lower()] = value

    def all_settings(self) -> Iterable[tuple[str, str]]:
        return self.settings.items()


def parse_search_path(value: str) -> list[str]:
    """Split a ``search_path`` value (``"$user", public``) into schema names."""
    names: list[str] = []
    for part in value.split(","):
        part = part.strip()
        if len(part) >= 2 and part[0] == part[-1] == '"':
            names.append(part[1:-1].replace('""', '"'))
        elif part:
            names.append(part.lower())
    return names
