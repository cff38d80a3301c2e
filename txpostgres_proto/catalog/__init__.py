"""pg_catalog and information_schema emulation: answer clients' catalog SQL (SQLite engine)."""

from txpostgres_proto.catalog.engine import Catalog, CatalogResult, ResultColumn
from txpostgres_proto.catalog.pgtypes import RegOid
from txpostgres_proto.catalog.schema import (
    Check,
    Column,
    Domain,
    EnumType,
    ForeignKey,
    Index,
    SequenceDef,
    Table,
    UserType,
)
from txpostgres_proto.catalog.sequences import SequenceInfo, SequenceState
from txpostgres_proto.catalog.session import SessionInfo, SimpleSession

__all__ = [
    "Catalog",
    "CatalogResult",
    "Check",
    "Column",
    "Domain",
    "EnumType",
    "ForeignKey",
    "Index",
    "RegOid",
    "ResultColumn",
    "SequenceDef",
    "SequenceInfo",
    "SequenceState",
    "SessionInfo",
    "SimpleSession",
    "Table",
    "UserType",
]
