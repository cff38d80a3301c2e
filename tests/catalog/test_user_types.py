"""Application-defined enums and domains in the emulated catalog, compared with PostgreSQL.

The same types and table exist as catalog objects (``EnumType``, ``Domain``) and as DDL in a
real PostgreSQL 15 database; the catalog rows clients read about them (``pg_type``,
``pg_enum``, ``pg_constraint``, ``pg_attribute`` with ``format_type``, ``information_schema``)
must match, OIDs aside.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.catalog.support import Reference
from tests.pgserver import SUPERUSER, RealPostgres
from txpostgres_proto.catalog import (
    Catalog,
    Column,
    Domain,
    EnumType,
    Index,
    SimpleSession,
    Table,
)
from txpostgres_proto.types import oids

DATABASE = "catref_types"
DDL = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE DOMAIN shorttext AS varchar(10) NOT NULL DEFAULT 'a'::character varying;
CREATE TABLE feelings(id integer PRIMARY KEY, feeling mood NOT NULL, weight posint,
                      label shorttext);
CREATE INDEX feelings_feeling_idx ON feelings(feeling);
COMMENT ON TYPE mood IS 'how it went';
"""
MOOD = EnumType("mood", ("sad", "ok", "happy"), comment="how it went")
POSINT = Domain("posint", "integer", check="VALUE > 0")
SHORTTEXT = Domain("shorttext", "varchar(10)", nullable=False, default="'a'::character varying")
FEELINGS = Table(
    "feelings",
    (
        Column("id", "integer", primary_key=True),
        Column("feeling", MOOD, nullable=False),
        Column("weight", POSINT),
        Column("label", SHORTTEXT),
    ),
    indexes=(Index("feelings_feeling_idx", ("feeling",)),),
)
QUERIES = {
    "types": "SELECT typname, typtype, typlen, typbyval, typcategory, typdelim, typalign,"
    " typstorage, typnotnull, format_type(typbasetype, typtypmod), typtypmod, typdefault,"
    " typcollation, typinput::text, typoutput::text, typreceive::text, typsend::text,"
    " (SELECT e.typname FROM pg_type e WHERE e.oid = t.typelem),"
    " (SELECT a.typname FROM pg_type a WHERE a.oid = t.typarray)"
    " FROM pg_type t WHERE typname IN ('mood', '_mood', 'posint', '_posint', 'shorttext',"
    " '_shorttext') ORDER BY t.typname",
    "enum": "SELECT enumlabel, enumsortorder::int FROM pg_enum e"
    " JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'mood' ORDER BY enumsortorder",
    "checks": "SELECT conname, contype, pg_get_constraintdef(c.oid), t.typname"
    " FROM pg_constraint c JOIN pg_type t ON t.oid = c.contypid WHERE t.typname = 'posint'",
    "columns": "SELECT attname, format_type(atttypid, atttypmod), attnotnull, attlen, attstorage,"
    " attcollation FROM pg_attribute WHERE attrelid = 'feelings'::regclass AND attnum > 0"
    " ORDER BY attnum",
    "information_schema": "SELECT column_name, data_type, udt_name, domain_name,"
    " character_maximum_length, numeric_precision FROM information_schema.columns"
    " WHERE table_name = 'feelings' ORDER BY ordinal_position",
    "index": "SELECT opc.opcname FROM pg_index i JOIN pg_opclass opc ON opc.oid = i.indclass[0]"
    " WHERE i.indexrelid = 'feelings_feeling_idx'::regclass",
    "regtype": "SELECT 'mood'::regtype::text, 'mood[]'::regtype::text,"
    " format_type('posint'::regtype, NULL)",
    "comment": "SELECT obj_description('mood'::regtype, 'pg_type')",
}


@pytest.fixture(scope="module")
def types_catalog() -> Catalog:
    catalog = Catalog(database=DATABASE)
    catalog.set_tables([FEELINGS])
    return catalog


@pytest.fixture(scope="module")
def types_reference(real_postgres: RealPostgres) -> Iterator[Reference]:
    real_postgres.psql(f"CREATE DATABASE {DATABASE}", dbname="postgres")
    real_postgres.psql(DDL, dbname=DATABASE)
    reference = Reference(real_postgres.dsn(SUPERUSER, dbname=DATABASE))
    yield reference
    reference.close()


@pytest.mark.parametrize("name", list(QUERIES))
def test_catalog_rows_match_postgresql(
    types_catalog: Catalog, types_reference: Reference, name: str
) -> None:
    session = SimpleSession(user=SUPERUSER, database=DATABASE, backend_pid=1)
    sql = QUERIES[name]
    ours = [
        tuple(None if value is None else _text(value) for value in row)
        for row in types_catalog.execute(sql, [], session).rows
    ]
    assert ours == types_reference.rows(sql)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value)


def test_type_oids_are_stable_and_named(types_catalog: Catalog) -> None:
    mood = types_catalog.type_oid("public", "mood")
    assert mood is not None and mood >= 16384
    types_catalog.set_tables([FEELINGS], [MOOD, POSINT])
    assert types_catalog.type_oid("public", "mood") == mood
    assert types_catalog.type_oid("public", "no_such_type") is None


def test_result_types_without_a_catalog() -> None:
    assert Column("c", MOOD).type_oid == oids.TEXT
    assert (Column("c", SHORTTEXT).type_oid, Column("c", SHORTTEXT).typmod) == (oids.VARCHAR, 14)
    assert Column("c", POSINT).user_type is POSINT
    assert Column("c", "int4").user_type is None


def test_invalid_types_are_rejected() -> None:
    with pytest.raises(ValueError):
        EnumType("e", ("a", "a"))
    with pytest.raises(ValueError):
        Domain("d", "no_such_type")
    with pytest.raises(ValueError):
        Domain("d", "serial")
    catalog = Catalog()
    with pytest.raises(ValueError):
        catalog.set_tables([FEELINGS], [EnumType("mood", ("other",))])
    with pytest.raises(ValueError):
        catalog.set_tables([FEELINGS], [EnumType("feelings", ("a",))])
