"""Describe: parameter and result types without running the statement."""

from __future__ import annotations

import pytest

from tests.sqlite.conftest import Client
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.backend import StatementDescription
from txpostgres_proto.types import oids


@pytest.fixture(scope="module")
def db(module_client: Client) -> Client:
    module_client.run(
        "create table items (id bigserial primary key, name varchar(30), price numeric(8,2), "
        "seen timestamptz, tags text[])"
    )
    return module_client


def describe(client: Client, sql: str, param_oids: tuple[int, ...] = ()) -> StatementDescription:
    described = client.backend.describe(sql, param_oids)
    assert isinstance(described, StatementDescription)
    return described


def test_select_parameters_from_context(db: Client) -> None:
    described = describe(
        db,
        "select id, name, price * 2 from items "
        "where id = $1 and name like $2 and seen > $3 and $4 = any(tags) limit $5",
    )
    assert described.param_oids == (oids.INT8, oids.TEXT, oids.TIMESTAMPTZ, oids.TEXT, oids.INT8)
    assert described.columns is not None
    assert [(c.name, c.type_oid, c.type_modifier) for c in described.columns] == [
        ("id", oids.INT8, -1),
        ("name", oids.VARCHAR, 34),
        ("?column?", oids.NUMERIC, -1),
    ]


def test_insert_parameters_take_the_column_types(db: Client) -> None:
    described = describe(
        db, "insert into items (name, price, tags) values ($1, $2, $3) returning id"
    )
    assert described.param_oids == (oids.VARCHAR, oids.NUMERIC, oids.TEXT_ARRAY)
    assert described.columns is not None and described.columns[0].type_oid == oids.INT8
    assert db.value("select count(*) from items") == 0  # described, not run


def test_update_and_casts(db: Client) -> None:
    described = describe(db, "update items set price = $1 where id = $2::int4 and $3::date < now()")
    assert described.param_oids == (oids.NUMERIC, oids.INT4, oids.DATE)
    assert described.columns is None


def test_client_types_win(db: Client) -> None:
    described = describe(db, "select * from items where id = $1", (oids.INT4,))
    assert described.param_oids == (oids.INT4,)
    assert described.columns is not None and len(described.columns) == 5


def test_unknown_parameters_are_text(db: Client) -> None:
    assert describe(db, "select $1").param_oids == (oids.TEXT,)


def test_errors_are_reported_at_describe(db: Client) -> None:
    with pytest.raises(PostgresError) as raised:
        describe(db, "select nope from items")
    assert raised.value.sqlstate == "42703"


def test_catalog_queries_are_described_by_the_catalog(db: Client) -> None:
    described = describe(db, "select relname, relkind from pg_catalog.pg_class where oid = $1")
    assert described.param_oids == (oids.OID,)
    assert described.columns is not None
    assert [(c.name, c.type_oid) for c in described.columns] == [
        ("relname", oids.NAME),
        ("relkind", oids.CHAR),
    ]


def test_ddl_has_no_result(db: Client) -> None:
    assert describe(db, "create table other (x int)").columns is None
    with pytest.raises(PostgresError):
        db.run("select * from other")  # described, not created
