"""pg_catalog and information_schema emulation: answer clients' catalog SQL (SQLite engine)."""

from txpostgres_proto.catalog.engine import Catalog, CatalogResult, ResultColumn
from txpostgres_proto.catalog.pgtypes import RegOid
from txpostgres_proto.catalog.schema import Column, Index, Table
from txpostgres_proto.catalog.session import SessionInfo, SimpleSession

__all__ = [
    "Catalog",
    "CatalogResult",
    "Column",
    "Index",
    "RegOid",
    "ResultColumn",
    "SessionInfo",
    "SimpleSession",
    "Table",
]
