"""SQLAlchemy 2 reflection against our servers, through four PostgreSQL drivers.

``create_engine`` connects (the dialect's initialisation queries run), then ``inspect`` reflects
the application's tables: names, columns with their types, primary key, indexes, views, and
for the embedded default an enum and a domain column.  psycopg2, psycopg (3) and pg8000 run
with a plain engine, asyncpg with an async engine (``run_sync``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import create_engine, inspect, types
from sqlalchemy.dialects import postgresql

from tests.catalog_e2e.servers import ServerProcess

DRIVERS = ("psycopg2", "psycopg", "asyncpg", "pg8000")
#: How psql prints a type → the SQLAlchemy type reflection must produce (and its arguments).
SQLALCHEMY_TYPES: dict[str, Callable[[Any], bool]] = {
    "integer": lambda t: isinstance(t, types.INTEGER),
    "text": lambda t: isinstance(t, types.TEXT),
    "character varying(20)": lambda t: isinstance(t, types.VARCHAR) and t.length == 20,
    "numeric(10,2)": lambda t: isinstance(t, types.NUMERIC) and (t.precision, t.scale) == (10, 2),
    "timestamp with time zone": lambda t: isinstance(t, types.TIMESTAMP) and t.timezone,
    "boolean": lambda t: isinstance(t, types.BOOLEAN),
}


def _reflect(server: ServerProcess, driver: str, work: Callable[[Any], Any]) -> Any:
    """``work(inspector)`` through ``driver``: a plain engine, or an async one for asyncpg."""
    if driver != "asyncpg":
        engine = create_engine(server.url(driver))
        try:
            return work(inspect(engine))
        finally:
            engine.dispose()
    pytest.importorskip("greenlet", reason="SQLAlchemy's asyncio support needs greenlet")
    from sqlalchemy.ext.asyncio import create_async_engine

    async def run() -> Any:
        engine = create_async_engine(server.url(driver))
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(lambda sync: work(inspect(sync)))
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _everything(inspector: Any, table: str) -> dict[str, Any]:
    return {
        "tables": inspector.get_table_names(),
        "views": inspector.get_view_names(),
        "columns": inspector.get_columns(table),
        "pk": inspector.get_pk_constraint(table),
        "has_table": inspector.has_table(table),
        "has_missing": inspector.has_table("no_such_table"),
        "indexes": inspector.get_indexes(table),
    }


@pytest.mark.parametrize("driver", DRIVERS)
def test_inspect(server: ServerProcess, driver: str) -> None:
    expected = server.expected
    found = _reflect(server, driver, lambda inspector: _everything(inspector, expected.table))
    tables = {"default": ["feelings", "items"], "inventory": ["items"]}[server.kind]
    assert sorted(found["tables"]) == tables
    assert found["views"] == [expected.view]
    assert [column["name"] for column in found["columns"]] == [c.name for c in expected.columns]
    for column, wanted in zip(found["columns"], expected.columns, strict=True):
        assert SQLALCHEMY_TYPES[wanted.type](column["type"]), (column, wanted)
        assert column["nullable"] is not wanted.not_null, column
        assert (column["default"] or "") == wanted.default, column
    assert found["pk"]["constrained_columns"] == ["id"]
    assert found["pk"]["name"] == f"{expected.table}_pkey"
    assert (found["has_table"], found["has_missing"]) == (True, False)
    indexes = [
        (index["name"], index["column_names"], index["unique"]) for index in found["indexes"]
    ]
    assert indexes == [(name, ["name"], False) for name in expected.indexes]


@pytest.mark.parametrize("driver", DRIVERS)
def test_enum_and_domain_columns(default_server: ServerProcess, driver: str) -> None:
    def work(inspector: Any) -> Any:
        return inspector.get_columns("feelings"), inspector.get_enums(), inspector.get_domains()

    columns, enums, domains = _reflect(default_server, driver, work)
    by_name = {column["name"]: column["type"] for column in columns}
    assert isinstance(by_name["feeling"], postgresql.ENUM)
    assert by_name["feeling"].name == "mood"
    assert list(by_name["feeling"].enums) == ["sad", "ok", "happy"]
    assert isinstance(by_name["weight"], postgresql.DOMAIN)
    assert isinstance(by_name["weight"].data_type, types.INTEGER)
    assert [(enum["name"], enum["labels"]) for enum in enums] == [("mood", ["sad", "ok", "happy"])]
    assert [(domain["name"], domain["type"], domain["constraints"]) for domain in domains] == [
        ("posint", "integer", [{"name": "posint_check", "check": "VALUE > 0"}])
    ]
