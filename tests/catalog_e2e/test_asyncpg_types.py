"""asyncpg and application-defined types in the embedded default.

asyncpg asks for binary results and must know every result type: a type OID it has not seen
(an enum created with ``CREATE TYPE … AS ENUM``) makes it run its type-introspection query
against ``pg_type``/``pg_enum``, and decode the values by what it learns.  A domain's values are
described with the base type's OID, as PostgreSQL does, so they decode like the base type.
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from tests.catalog_e2e.servers import DATABASE, USER, ServerProcess


def _session(server: ServerProcess, work: Any) -> Any:
    async def run() -> Any:
        connection = await asyncpg.connect(
            host=server.host, port=server.port, user=USER, database=DATABASE, ssl=False
        )
        try:
            return await work(connection)
        finally:
            await connection.close()

    return asyncio.run(run())


def test_enum_and_domain_columns_decode(default_server: ServerProcess) -> None:
    async def work(connection: Any) -> Any:
        statement = await connection.prepare("SELECT id, feeling, weight FROM feelings ORDER BY id")
        described = [(a.name, a.type.name, a.type.schema) for a in statement.get_attributes()]
        mood_oid = await connection.fetchval("SELECT 'mood'::regtype::oid")
        feeling_oid = statement.get_attributes()[1].type.oid
        rows = [tuple(row) for row in await statement.fetch()]
        matching = await connection.fetch("SELECT id FROM feelings WHERE feeling = $1", "sad")
        return described, mood_oid, feeling_oid, rows, [row["id"] for row in matching]

    described, mood_oid, feeling_oid, rows, matching = _session(default_server, work)
    assert described == [
        ("id", "int4", "pg_catalog"),
        ("feeling", "mood", "public"),
        ("weight", "int4", "pg_catalog"),
    ]
    assert feeling_oid == mood_oid >= 16384
    assert rows == [(1, "happy", 3), (2, "sad", 1), (3, "ok", None)]
    assert all(isinstance(feeling, str) for _, feeling, _ in rows)
    assert matching == [2]


def test_enum_values_as_parameters(default_server: ServerProcess) -> None:
    async def work(connection: Any) -> Any:
        transaction = connection.transaction()
        await transaction.start()
        try:
            await connection.execute("INSERT INTO feelings VALUES ($1, $2, $3)", 4, "ok", 2)
            stored = await connection.fetchrow("SELECT feeling, weight FROM feelings WHERE id = 4")
            try:
                await connection.execute("INSERT INTO feelings VALUES (5, $1, 1)", "angry")
            except asyncpg.PostgresError as error:
                refused = error.sqlstate
            else:
                refused = None
            return tuple(stored), refused
        finally:
            await transaction.rollback()

    stored, refused = _session(default_server, work)
    assert stored == ("ok", 2)
    assert refused is not None and refused[:2] in ("22", "23")
