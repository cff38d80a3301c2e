"""Every client against a handler-based server: the inventory example (``examples/app_example.py``).

The rest of the interop suite runs against servers with a full SQL engine behind them (real
PostgreSQL, our SQLite default).  This module proves the other way of building a server works
with the same clients: ``python -m txpostgres_proto --handler
examples.app_example.InventoryHandler`` (TLS, SCRAM-SHA-256), where a `PostgresRequestHandler`
answers SELECT from Python rows and INSERT/UPDATE/DELETE with its own statement handlers, and
the framework does the rest (Describe, parameter types, binary results, portals, catalog
queries, errors).

The inventory lives in the server process and is shared by every connection, so each test works
on items named with its own prefix.  ``numbers`` is a generator-backed view of a million rows.
"""

from __future__ import annotations

import asyncio
import datetime
import subprocess
import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import pg8000.native
import psycopg
import psycopg.errors
import psycopg2
import psycopg2.errors
import pytest

from tests import pgserver
from tests.interop import txserver
from tests.interop.targets import (
    CONNECT_TIMEOUT,
    PROGRAM_TIMEOUT,
    TargetServer,
    find_program,
    run_psql,
)
from tests.java import compile_java, run_java

pytestmark = pytest.mark.timeout(120)

HANDLER = "examples.app_example.InventoryHandler"
JDBC_SOURCE = Path(__file__).parent / "java" / "JdbcAppProbe.java"
#: ``\d items`` as PostgreSQL 15's psql prints it for the table the example declares (without
#: the blanks psql pads the last column with).
DESCRIBE_ITEMS = """\
                                       Table "public.items"
   Column   |           Type           | Collation | Nullable |              Default
------------+--------------------------+-----------+----------+-----------------------------------
 id         | integer                  |           | not null | nextval('items_id_seq'::regclass)
 name       | text                     |           | not null |
 price      | numeric(10,2)            |           |          |
 quantity   | integer                  |           | not null | 0
 active     | boolean                  |           | not null | true
 updated_at | timestamp with time zone |           |          |
Indexes:
    "items_pkey" PRIMARY KEY, btree (id)

"""


@pytest.fixture(scope="module")
def app(txserver_pool: txserver.TxServerPool) -> TargetServer:
    """The inventory server: TLS, SCRAM-SHA-256 with the suite's users file."""
    server = txserver_pool.server(
        "app-inventory",
        [
            "--handler", HANDLER, *txserver_pool.tls_options(),
            "--auth", "scram-sha-256", "--users", str(txserver_pool.users_file),
        ],
    )  # fmt: skip
    return TargetServer(
        name="inventory",
        host=server.host,
        port=server.port,
        database="inventory",
        user=pgserver.SCRAM_USER,
        password=txserver.role(pgserver.SCRAM_USER).password,
        ssl=True,
        ca_cert=txserver_pool.pki.ca_cert,
    )


@pytest.fixture
def prefix() -> str:
    """A prefix for the names of the items one test creates."""
    return f"it{uuid.uuid4().hex[:10]}"


# -- psql ------------------------------------------------------------------------------------


def test_psql_statements(app: TargetServer, prefix: str) -> None:
    script = f"""\\set VERBOSITY verbose
INSERT INTO items (name, price, quantity) VALUES ('{prefix} bolt', 0.25, 100), ('{prefix} nut', 0.1, 5) RETURNING name, price;
UPDATE items SET quantity = 90 WHERE name = '{prefix} bolt';
SELECT name, price, quantity, active FROM items WHERE name LIKE '{prefix}%' ORDER BY price DESC;
DELETE FROM items WHERE name = '{prefix} nut';
SELECT name AS found FROM items WHERE name LIKE '{prefix} b%' \\gset
\\echo found :found
SELECT n, square FROM numbers LIMIT 3;
SELECT * FROM nowhere;
VACUUM;
"""  # noqa: E501
    result = run_psql(app, "-At", script=script, sslmode="verify-full")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"{prefix} bolt|0.25",
        f"{prefix} nut|0.10",
        "INSERT 0 2",
        "UPDATE 1",
        f"{prefix} bolt|0.25|90|t",
        f"{prefix} nut|0.10|5|t",
        "DELETE 1",
        f"found {prefix} bolt",
        "1|1",
        "2|4",
        "3|9",
        "VACUUM",
    ]
    assert 'ERROR:  42P01: relation "nowhere" does not exist' in result.stderr


def test_psql_describe(app: TargetServer) -> None:
    result = run_psql(app, "-c", r"\d items", "-c", r"\dt", sslmode="verify-full")
    assert result.returncode == 0, result.stderr
    described, listed = result.stdout.split("         List of relations\n")
    assert [line.rstrip() for line in described.splitlines()] == DESCRIBE_ITEMS.splitlines()
    assert listed.splitlines()[2:] == [" public | items | table | postgres", "(1 row)", ""]


def test_psql_over_tls_with_scram(app: TargetServer) -> None:
    result = run_psql(app, "-c", r"\conninfo", sslmode="verify-full")
    assert result.returncode == 0, result.stderr
    assert f'as user "{app.user}"' in result.stdout
    assert "SSL connection (protocol: TLSv1." in result.stdout


# -- psycopg 3 -------------------------------------------------------------------------------


@pytest.fixture
def conn3(app: TargetServer) -> Iterator[psycopg.Connection]:
    with psycopg.connect(app.conninfo(), autocommit=True) as connection:
        yield connection


@pytest.mark.parametrize("binary", [False, True], ids=["text", "binary"])
def test_psycopg3_parameters(conn3: psycopg.Connection, prefix: str, binary: bool) -> None:
    cur = conn3.cursor(binary=binary)
    cur.execute(
        "INSERT INTO items (name, price, quantity) VALUES (%s, %s, %s) RETURNING id, name, price",
        (f"{prefix} washer", Decimal("0.05"), 7),
    )
    inserted = cur.fetchone()
    assert inserted is not None and inserted[1:] == (f"{prefix} washer", Decimal("0.05"))
    cur.execute(
        "SELECT id, name, price, quantity, active, updated_at FROM items WHERE name = %s",
        (f"{prefix} washer",),
    )
    row = cur.fetchone()
    assert row is not None
    assert row[:5] == (inserted[0], f"{prefix} washer", Decimal("0.05"), 7, True)
    assert isinstance(row[5], datetime.datetime) and row[5].tzinfo is not None
    assert cur.pgresult is not None and cur.pgresult.fformat(0) == (1 if binary else 0)
    assert cur.description is not None
    assert [column.type_code for column in cur.description] == [23, 25, 1700, 23, 16, 1184]


def test_psycopg3_prepared_and_pipeline(conn3: psycopg.Connection, prefix: str) -> None:
    with conn3.pipeline():
        with conn3.cursor() as cur:
            cur.executemany(
                "INSERT INTO items (name, quantity) VALUES (%s, %s)",
                [(f"{prefix} {n}", n) for n in range(1, 6)],
            )
        updated = conn3.execute(
            "UPDATE items SET quantity = %s WHERE name = %s", (50, f"{prefix} 5")
        )
        big = conn3.execute(
            "SELECT name FROM items WHERE name LIKE %s AND quantity > %s ORDER BY name",
            (f"{prefix}%", 3),
        )
    assert updated.rowcount == 1
    assert big.fetchall() == [(f"{prefix} 4",), (f"{prefix} 5",)]
    query = "SELECT quantity FROM items WHERE name = %s"
    found = [conn3.execute(query, (f"{prefix} {n}",), prepare=True).fetchone() for n in (1, 2, 3)]
    assert found == [(1,), (2,), (3,)]


def test_psycopg3_named_cursor_and_errors(conn3: psycopg.Connection) -> None:
    with conn3.transaction():
        with conn3.cursor(name="numbers_cursor") as cur:
            cur.execute("SELECT n, square FROM numbers LIMIT 25")
            chunks = []
            while rows := cur.fetchmany(10):
                chunks.append(rows)
    assert [len(chunk) for chunk in chunks] == [10, 10, 5]
    assert chunks[2][-1] == (25, 625)
    with pytest.raises(psycopg.errors.UndefinedTable):
        conn3.execute("SELECT * FROM nowhere")
    with pytest.raises(psycopg.errors.NotNullViolation) as null:
        conn3.execute("INSERT INTO items (name) VALUES (%s)", (None,))
    assert null.value.diag.column_name == "name"
    assert conn3.execute("SELECT n FROM numbers LIMIT 1").fetchone() == (1,)


# -- asyncpg ---------------------------------------------------------------------------------


def test_asyncpg(app: TargetServer, prefix: str) -> None:
    async def session() -> None:
        conn = await asyncpg.connect(
            host=app.host,
            port=app.port,
            user=app.user,
            password=app.password,
            database=app.database,
            ssl=app.ssl_context(),
            timeout=CONNECT_TIMEOUT,
        )
        try:
            assert conn._transport.get_extra_info("ssl_object") is not None
            await conn.executemany(
                "INSERT INTO items (name, price, quantity) VALUES ($1, $2, $3)",
                [(f"{prefix} {n}", Decimal(n) / 4, n) for n in range(1, 5)],
            )
            statement = await conn.prepare(
                "SELECT id, name, price, quantity, active, updated_at FROM items WHERE name = $1"
            )
            assert [(a.name, a.type.name) for a in statement.get_attributes()] == [
                ("id", "int4"),
                ("name", "text"),
                ("price", "numeric"),
                ("quantity", "int4"),
                ("active", "bool"),
                ("updated_at", "timestamptz"),
            ]
            rows = [await statement.fetchrow(f"{prefix} {n}") for n in range(1, 5)]
            assert [(r["name"], r["price"], r["quantity"], r["active"]) for r in rows] == [
                (f"{prefix} {n}", Decimal(n) / 4, n, True) for n in range(1, 5)
            ]
            assert all(isinstance(r["updated_at"], datetime.datetime) for r in rows)
            returned = await conn.fetchrow(
                "UPDATE items SET price = $1 WHERE name = $2 RETURNING name, price",
                Decimal("9.99"),
                f"{prefix} 1",
            )
            assert tuple(returned) == (f"{prefix} 1", Decimal("9.99"))
            assert await conn.execute("DELETE FROM items WHERE name = $1", f"{prefix} 2") == (
                "DELETE 1"
            )
            numbers = []
            async with conn.transaction():
                async for record in conn.cursor("SELECT n FROM numbers", prefetch=4):
                    numbers.append(record["n"])
                    if len(numbers) == 10:
                        break  # a portal over a million-row generator, read in chunks of 4
            assert numbers == list(range(1, 11))
            with pytest.raises(asyncpg.UndefinedTableError):
                await conn.fetch("SELECT * FROM nowhere")
            assert await conn.fetchval("SELECT 'usable'") == "usable"
        finally:
            await conn.close(timeout=CONNECT_TIMEOUT)

    asyncio.run(session())


# -- psycopg2 --------------------------------------------------------------------------------


def test_psycopg2(app: TargetServer, prefix: str) -> None:
    conn = psycopg2.connect(app.conninfo(sslmode="verify-full"))
    try:
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO items (name, price) VALUES (%s, %s), (%s, %s)",
                (f"{prefix} a", Decimal("1.50"), f"{prefix} b", 2),
            )
            assert cur.rowcount == 2
            conn.commit()
            cur.execute(
                "SELECT name, price, active FROM items WHERE name LIKE %s ORDER BY name",
                (f"{prefix}%",),
            )
            assert cur.fetchall() == [
                (f"{prefix} a", Decimal("1.50"), True),
                (f"{prefix} b", Decimal("2.00"), True),
            ]
            price = cur.description[1]
            assert (price.type_code, price.precision, price.scale) == (1700, 10, 2)
            with pytest.raises(psycopg2.errors.UndefinedTable):
                cur.execute("SELECT * FROM nowhere")
            conn.rollback()
        with conn.cursor(name="numbers") as named:
            named.itersize = 4
            named.execute("SELECT n, square FROM numbers LIMIT 9")
            assert list(named) == [(n, n * n) for n in range(1, 10)]
        conn.commit()
    finally:
        conn.close()


# -- pg8000 ----------------------------------------------------------------------------------


def test_pg8000(app: TargetServer, prefix: str) -> None:
    conn = pg8000.native.Connection(
        host=app.host,
        port=app.port,
        database=app.database,
        user=app.user,
        password=app.password,
        ssl_context=app.ssl_context(),
        timeout=CONNECT_TIMEOUT,
    )
    try:
        inserted = conn.run(
            "INSERT INTO items (name, price, quantity) VALUES (:n, :p, :q) RETURNING id, name",
            n=f"{prefix} x",
            p=Decimal("3.10"),
            q=4,
        )
        assert inserted[0][1] == f"{prefix} x"
        rows = conn.run(
            "SELECT name, price, quantity, active FROM items WHERE name = :n", n=f"{prefix} x"
        )
        assert rows == [[f"{prefix} x", Decimal("3.10"), 4, True]]
        assert conn.columns is not None
        assert [column["type_oid"] for column in conn.columns] == [25, 1700, 23, 16]
        with pytest.raises(pg8000.exceptions.DatabaseError) as error:
            conn.run("INSERT INTO items (id, name) VALUES (:id, 'dup')", id=inserted[0][0])
        assert error.value.args[0]["C"] == "23505"
    finally:
        conn.close()


# -- JDBC ------------------------------------------------------------------------------------


def test_jdbc(app: TargetServer, tmp_path: Path, prefix: str) -> None:
    classes = compile_java(JDBC_SOURCE, tmp_path)
    query = urlencode({"sslmode": "verify-full", "sslrootcert": str(app.ca_cert)})
    url = f"jdbc:postgresql://{app.host}:{app.port}/{app.database}?{query}"
    printed = run_java(classes, "JdbcAppProbe", url, app.user, app.password, prefix)
    prepared = [
        f"prepared {run} {prefix} {run % 3 + 1}|{run % 3 + 1}.25|{(run % 3 + 1) * 10}|true"
        for run in range(7)
    ]
    assert printed == [
        "columns id:serial:NO name:text:NO price:numeric:YES quantity:int4:NO active:bool:NO "
        "updated_at:timestamptz:YES",
        *[f"inserted {prefix} {n}|{n}.25" for n in (1, 2, 3)],
        *prepared,
        "updated 1",
        "deleted 1",
        "fetch 1:1 2:4 3:9 4:16 5:25 6:36 7:49",
    ]


# -- pgbench ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["simple", "extended", "prepared"])
def test_pgbench(app: TargetServer, tmp_path: Path, mode: str) -> None:
    script = tmp_path / "inventory.sql"
    script.write_text(
        "\\set n random(1, 100)\n"
        "SELECT n, square FROM numbers WHERE n = :n LIMIT 1;\n"
        "SELECT name, price FROM items WHERE quantity > :n ORDER BY price LIMIT 3;\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [find_program("pgbench"), "-n", "-M", mode, "-f", str(script), "-t", "20", "-c", "2"],
        capture_output=True,
        text=True,
        env=app.libpq_env(sslmode="verify-full"),
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "number of transactions actually processed: 40/40\n" in result.stdout
