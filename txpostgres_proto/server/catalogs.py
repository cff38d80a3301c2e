"""Catalog emulations shared by the connections of one application.

Building a `Catalog` (an in-memory SQLite copy of pg_catalog) and loading an application's
tables into it take a noticeable fraction of a second; doing both for every connection would
make connecting slow (pgbench ``-C``, connection pools that reconnect).  The catalog is made to
be shared: every query passes the session it runs for.  So handlers keep one catalog per
(handler class, database, server version) here, and each connection keeps its own view of the
application's tables: before a connection uses the catalog, `SharedCatalog.use` loads that
connection's tables unless they are the ones loaded already (they are, unless connections of
one application see different tables).  OIDs stay stable across reloads (the catalog allocates
them by name), so clients that cache them are not confused.

The catalogs answer reads of the applications' sequences (``sequence_reads``): handler
applications keep no sequence relations of their own, so the handler supplies each query's
sequence states (`PostgresRequestHandler.sequence_state`).

Everything runs in the reactor thread; no locking is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from weakref import WeakKeyDictionary

from txpostgres_proto.catalog import Catalog, Table


class SharedCatalog:
    """One catalog and the tables currently loaded into it."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._tables: tuple[Table, ...] = ()

    def use(self, tables: Sequence[Table]) -> Catalog:
        """The catalog, with ``tables`` loaded."""
        if tables is not self._tables and tuple(tables) != self._tables:
            self.catalog.set_tables(tables)
        self._tables = tuple(tables)
        return self.catalog


_SHARED: WeakKeyDictionary[type, dict[tuple[str, str | None], SharedCatalog]] = WeakKeyDictionary()


def shared_catalog(owner: type, database: str, server_version: str | None) -> SharedCatalog:
    """The catalog shared by ``owner``'s connections to ``database``."""
    catalogs = _SHARED.setdefault(owner, {})
    shared = catalogs.get((database, server_version))
    if shared is None:
        catalog = (
            Catalog(database, server_version, sequence_reads=True)
            if server_version
            else Catalog(database, sequence_reads=True)
        )
        shared = catalogs[database, server_version] = SharedCatalog(catalog)
    return shared
