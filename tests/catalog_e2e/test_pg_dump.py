"""PostgreSQL 15's ``pg_dump`` and ``pg_restore`` against our servers, compared with a real
PostgreSQL holding the same schema and data.

pg_dump reads the whole catalog (pg_namespace, pg_class, pg_attribute, pg_attrdef,
pg_constraint, pg_index, pg_depend, pg_rewrite, pg_init_privs, ``acldefault()``,
``pg_get_expr``/``pg_get_indexdef``/``pg_get_constraintdef``/``pg_get_viewdef`` ...) with an
empty search path, then ``LOCK TABLE``\\ s and ``COPY``\\ s the tables.  The tests check that
what it prints for our default server matches what it prints for a real PostgreSQL loaded with
the same DDL, that the dump restores into a fresh real database with the same rows, and that
the custom format, ``--data-only``, ``--schema-only`` and ``-t`` work.

Sequence state: pg_dump reads every sequence whose data it dumps with ``SELECT last_value,
is_called FROM seq``, and writes ``setval`` from the answer.  The SQLite default answers from its
sequence table; a handler application answers from ``sequence_state`` (the inventory example
reports its own counter; without that override the default is the largest value of the
column).  Either way full dumps carry ``setval`` and the restored sequences continue after the
dumped rows.  Handler applications accept pg_dump's ``LOCK TABLE`` in its transaction.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg2
import pytest

from tests.catalog_e2e.servers import (
    DATABASE,
    PROGRAM_TIMEOUT,
    USER,
    ServerProcess,
    run_psql,
)
from tests.pgserver import RealPostgres, client_environment

#: Every kind of column and object a dump must carry (and NULLs, unicode, tabs, newlines).
DUMP_SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE authors(id serial PRIMARY KEY, name text NOT NULL, born date, rank posint);
CREATE TABLE books(
    id serial PRIMARY KEY,
    author_id integer REFERENCES authors(id) ON DELETE CASCADE,
    title varchar(200) NOT NULL,
    price numeric(10,2),
    published timestamptz,
    cover bytea,
    feeling mood,
    note text
);
CREATE INDEX books_title_idx ON books(title);
CREATE VIEW cheap_books AS SELECT id, title, price FROM books WHERE price < 10;
INSERT INTO authors(name, born, rank) VALUES ('Zoë Ünicode', '1970-01-02', 1), ('Bob', NULL, NULL);
INSERT INTO books(author_id, title, price, published, cover, feeling, note) VALUES
    (1, 'Ça va — ☃', 9.99, '2024-01-02 03:04:05+00', '\\x00ff10', 'happy', 'x'),
    (2, 'Plain', 123.45, NULL, NULL, NULL, NULL),
    (NULL, 'Orphan', NULL, '2020-02-29 23:59:59.123456+00', '\\x', 'sad', E'tab\\tand\\nnewline');
"""
TABLES = {"authors": ("id", "name", "born", "rank"), "books": ("id", "author_id", "title", "price",
          "published", "cover", "feeling", "note")}  # fmt: skip
VIEW = "cheap_books"


def _program(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"the {name} client program is not installed")
    return found


def _run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        input=stdin,
        capture_output=True,
        text=True,
        env=client_environment(PGCONNECT_TIMEOUT="10"),
        timeout=PROGRAM_TIMEOUT,
        check=False,
    )


def pg_dump(host: str, port: int, dbname: str, *options: str) -> str:
    """Run pg_dump (plain format to stdout); assert it succeeds; return the script."""
    done = _run([_program("pg_dump"), "-h", host, "-p", str(port), "-U", USER, *options, dbname])
    assert done.returncode == 0, done.stderr
    return done.stdout


def dump_ours(server: ServerProcess, *options: str) -> str:
    return pg_dump(server.host, server.port, DATABASE, *options)


def dump_real(real: RealPostgres, dbname: str, *options: str) -> str:
    return pg_dump(str(real.unix_socket_dir), real.port, dbname, *options)


@pytest.fixture(scope="module")
def dumped(psql: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Our default server loaded with ``DUMP_SCHEMA``."""
    server = ServerProcess("default", tmp_path_factory.mktemp("dumped"))
    try:
        loaded = run_psql(server.host, server.port, script=DUMP_SCHEMA)
        assert loaded.returncode == 0 and not loaded.stderr, loaded.stderr
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def original(real_postgres: RealPostgres) -> str:
    """A real PostgreSQL database holding ``DUMP_SCHEMA``; its name."""
    real_postgres.psql("CREATE DATABASE dump_original", dbname="postgres")
    real_postgres.psql(DUMP_SCHEMA, dbname="dump_original")
    return "dump_original"


def _fresh_database(real: RealPostgres, name: str) -> str:
    real.psql(f"DROP DATABASE IF EXISTS {name}", dbname="postgres")
    real.psql(f"CREATE DATABASE {name}", dbname="postgres")
    return name


def _restore(real: RealPostgres, dbname: str, script: str) -> None:
    psql = str(real.program("psql"))
    argv = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", str(real.unix_socket_dir)]
    argv += ["-p", str(real.port), "-U", USER, "-d", dbname, "-f", "-"]
    done = _run(argv, stdin=script)
    assert done.returncode == 0, done.stderr


# -- comparing dumps ---------------------------------------------------------------------------


def statements(script: str) -> list[str]:
    """The SQL statements of a plain dump: comments, psql meta-commands and COPY data left out,
    whitespace normalized."""
    kept: list[str] = []
    in_copy = False
    for line in script.splitlines():
        if in_copy:
            in_copy = line != "\\."
            continue
        if line.startswith("COPY ") and line.endswith("FROM stdin;"):
            in_copy = True
            kept.append(line)
            continue
        if line.startswith(("--", "\\")):
            continue
        kept.append(line)
    text = "\n".join(kept)
    return [" ".join(part.split()) for part in text.split(";\n") if part.strip()]


def _kinds(script: str, *prefixes: str) -> list[str]:
    return sorted(stmt for stmt in statements(script) if stmt.startswith(prefixes))


_SCHEMA_STATEMENTS = (
    "CREATE TYPE", "CREATE DOMAIN", "CREATE TABLE", "CREATE SEQUENCE", "ALTER SEQUENCE",
    "ALTER TABLE", "CREATE INDEX", "CREATE UNIQUE INDEX", "SET ", "SELECT pg_catalog.set_config",
)  # fmt: skip


def test_plain_dump_schema_is_postgresql_s(
    dumped: ServerProcess, real_postgres: RealPostgres, original: str
) -> None:
    ours = dump_ours(dumped, "--schema-only")
    theirs = dump_real(real_postgres, original, "--schema-only")
    # Everything but the view is printed exactly as PostgreSQL prints it: types, tables with
    # NOT NULL, sequences AS integer with OWNED BY, defaults as separate ALTER TABLE (pg_dump
    # breaks the table/default/sequence loop pg_depend shows), the primary keys, the index and
    # the foreign key with its action, names qualified for the empty search path.
    assert _kinds(ours, *_SCHEMA_STATEMENTS) == _kinds(theirs, *_SCHEMA_STATEMENTS)
    assert "ADD CONSTRAINT books_author_id_fkey FOREIGN KEY (author_id) REFERENCES " in ours
    # The view: PostgreSQL prints its parsed query back (``books.id``, ``(10)::numeric``);
    # ours prints the SQL the view was created with (as the SQLite default stores it), with
    # the relation names qualified for the dump's empty search path.
    (view,) = _kinds(ours, "CREATE VIEW")
    assert view.startswith("CREATE VIEW public.cheap_books AS SELECT ")
    assert "FROM public.books WHERE price < 10" in view
    assert len(_kinds(theirs, "CREATE VIEW")) == 1


def test_plain_dump_statement_order_matches(
    dumped: ServerProcess, real_postgres: RealPostgres, original: str
) -> None:
    """pg_dump orders objects by their dependencies (pg_depend, pg_rewrite): ours the same."""

    def order(script: str) -> list[str]:
        return re.findall(r"^-- Name: ([^;]+); Type: ([^;]+);", script, re.MULTILINE)

    ours = dump_ours(dumped)
    theirs = dump_real(real_postgres, original)
    assert order(ours) == order(theirs)


def _rows(dsn: str, table: str, columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
        rows = cursor.fetchall()
    conn.close()
    return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in rows]


def test_plain_dump_restores_into_postgresql(
    dumped: ServerProcess, real_postgres: RealPostgres
) -> None:
    script = dump_ours(dumped)
    target = _fresh_database(real_postgres, "dump_restored")
    _restore(real_postgres, target, script)
    restored = real_postgres.dsn(USER, dbname=target)
    for table, columns in TABLES.items():
        expected = _rows(dumped.dsn(), table, columns)
        assert expected, table
        assert _rows(restored, table, columns) == expected
    assert _rows(restored, VIEW, ("id", "title", "price")) == [(1, "Ça va — ☃", Decimal("9.99"))]
    # The foreign key came along and is enforced by the real server.
    check = "INSERT INTO books(id, author_id, title) VALUES (100, 99, 'x')"
    with pytest.raises(Exception, match="books_author_id_fkey"):
        real_postgres.psql(check, dbname=target)


def test_custom_format_and_pg_restore_list(dumped: ServerProcess, tmp_path: Path) -> None:
    archive = tmp_path / "dump.custom"
    done = _run(
        [_program("pg_dump"), "-Fc", "-f", str(archive), "-h", dumped.host,
         "-p", str(dumped.port), "-U", USER, DATABASE]
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    listed = _run([_program("pg_restore"), "--list", str(archive)])
    assert listed.returncode == 0, listed.stderr
    entries = {
        " ".join(line.split()[3:]) for line in listed.stdout.splitlines() if line[:1].isdigit()
    }
    for entry in (
        "TYPE public mood postgres",
        "DOMAIN public posint postgres",
        "TABLE public authors postgres",
        "TABLE public books postgres",
        "SEQUENCE public books_id_seq postgres",
        "SEQUENCE OWNED BY public books_id_seq postgres",
        "VIEW public cheap_books postgres",
        "DEFAULT public books id postgres",
        "TABLE DATA public books postgres",
        "CONSTRAINT public books books_pkey postgres",
        "INDEX public books_title_idx postgres",
        "FK CONSTRAINT public books books_author_id_fkey postgres",
    ):
        assert entry in entries, listed.stdout
    # pg_restore turns the archive back into the same script as the plain format.
    script = _run([_program("pg_restore"), "-f", "-", str(archive)])
    assert script.returncode == 0, script.stderr
    plain = dump_ours(dumped)
    assert statements(script.stdout) == statements(plain)


def test_data_only_and_schema_only(dumped: ServerProcess) -> None:
    data = statements(dump_ours(dumped, "--data-only"))
    assert not [stmt for stmt in data if stmt.startswith(("CREATE", "ALTER TABLE"))]
    assert "COPY public.authors (id, name, born, rank) FROM stdin" in data
    script = dump_ours(dumped, "--data-only")
    assert "1\tZoë Ünicode\t1970-01-02\t1\n2\tBob\t\\N\t\\N\n\\.\n" in script
    orphan = "3\t\\N\tOrphan\t\\N\t2020-02-29 23:59:59.123456+00\t\\\\x\tsad\t"
    assert orphan + "tab\\tand\\nnewline\n" in script
    schema = dump_ours(dumped, "--schema-only")
    assert "COPY " not in schema
    assert "CREATE TABLE public.books (" in schema


def test_single_table(dumped: ServerProcess) -> None:
    script = dump_ours(dumped, "-t", "authors")
    assert "CREATE TABLE public.authors (" in script
    assert "COPY public.authors (id, name, born, rank) FROM stdin;" in script
    assert "public.books" not in script
    assert "CREATE SEQUENCE public.authors_id_seq" in script


def test_full_dump_carries_sequence_state(
    dumped: ServerProcess, real_postgres: RealPostgres, original: str
) -> None:
    script = dump_ours(dumped)
    assert "SELECT pg_catalog.setval('public.books_id_seq', 3, true);" in script
    assert "SELECT pg_catalog.setval('public.authors_id_seq', 2, true);" in script
    setvals = [stmt for stmt in statements(script) if "setval" in stmt]
    theirs = [stmt for stmt in statements(dump_real(real_postgres, original)) if "setval" in stmt]
    assert setvals == theirs
    target = _fresh_database(real_postgres, "dump_sequences")
    _restore(real_postgres, target, script)
    # The restored sequences continue after the dumped rows.
    added = "INSERT INTO books(title) VALUES ('next') RETURNING id"
    assert real_postgres.psql(added, dbname=target).split()[0] == "4"
    assert real_postgres.psql("SELECT nextval('authors_id_seq')", dbname=target) == "3"


def test_inserts_dump_restores_into_postgresql(
    dumped: ServerProcess, real_postgres: RealPostgres
) -> None:
    """``--inserts`` reads each table through ``DECLARE ... CURSOR FOR SELECT ... FROM ONLY``."""
    script = dump_ours(dumped, "--inserts")
    assert "INSERT INTO public.authors VALUES (2, 'Bob', NULL, NULL);" in script
    target = _fresh_database(real_postgres, "dump_inserts")
    _restore(real_postgres, target, script)
    restored = real_postgres.dsn(USER, dbname=target)
    for table, columns in TABLES.items():
        assert _rows(restored, table, columns) == _rows(dumped.dsn(), table, columns)


# -- a handler application ---------------------------------------------------------------------


def _inventory(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """An inventory server that handed out ids 1-3 and deleted item 3 again."""
    server = ServerProcess(kind, tmp_path_factory.mktemp(kind))
    try:
        insert = "INSERT INTO items (name, price, quantity) VALUES ('bolt', 0.25, 100), "
        added = run_psql(
            server.host, server.port,
            insert + "('nüt', NULL, 3), ('gone', 1, 1)", "DELETE FROM items WHERE id = 3",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def dumped_inventory(
    psql: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The inventory example (it reports its own counter as the sequence's state)."""
    yield from _inventory("inventory", tmp_path_factory)


@pytest.fixture(scope="module")
def derived_inventory(
    psql: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """The inventory with the default sequence state (``dumpable_app.py``)."""
    yield from _inventory("derived_inventory", tmp_path_factory)


def _sequence_row(server: ServerProcess) -> tuple[Any, ...]:
    with psycopg2.connect(server.dsn()) as conn, conn.cursor() as cursor:
        cursor.execute("SELECT last_value, is_called FROM public.items_id_seq")
        (row,) = cursor.fetchall()
    conn.close()
    return tuple(row)


def test_handler_application_dump_restores(
    dumped_inventory: ServerProcess, real_postgres: RealPostgres
) -> None:
    """An application's tables, described with ``Table``/``Column``, dump as PostgreSQL's
    would (serial key, defaults, comments, primary key) with the application's rows."""
    script = dump_ours(dumped_inventory)
    for expected in (
        "CREATE TABLE public.items (\n    id integer NOT NULL,\n    name text NOT NULL,\n",
        "    quantity integer DEFAULT 0 NOT NULL,\n    active boolean DEFAULT true NOT NULL,\n",
        "COMMENT ON TABLE public.items IS 'things in stock';",
        "ALTER SEQUENCE public.items_id_seq OWNED BY public.items.id;",
        "ALTER TABLE ONLY public.items ALTER COLUMN id SET DEFAULT "
        "nextval('public.items_id_seq'::regclass);",
        "ADD CONSTRAINT items_pkey PRIMARY KEY (id);",
        "COPY public.items (id, name, price, quantity, active, updated_at) FROM stdin;\n1\tbolt\t",
    ):
        assert expected in script
    target = _fresh_database(real_postgres, "dump_inventory")
    _restore(real_postgres, target, script)
    columns = ("id", "name", "price", "quantity", "active", "updated_at")
    restored = _rows(real_postgres.dsn(USER, dbname=target), "items", columns)
    assert restored == _rows(dumped_inventory.dsn(), "items", columns)
    assert [row[:5] for row in restored] == [
        (1, "bolt", Decimal("0.25"), 100, True), (2, "nüt", None, 3, True)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "last_id"),
    [
        # The example's counter: id 3 was handed out, though its row is gone.
        ("dumped_inventory", 3),
        # The default: the largest id among the rows.
        ("derived_inventory", 2),
    ],
)
def test_handler_application_sequences_continue_after_restore(
    kind: str, last_id: int, request: pytest.FixtureRequest, real_postgres: RealPostgres
) -> None:
    server: ServerProcess = request.getfixturevalue(kind)
    assert _sequence_row(server) == (last_id, True)
    script = dump_ours(server)
    assert f"SELECT pg_catalog.setval('public.items_id_seq', {last_id}, true);" in script
    target = _fresh_database(real_postgres, f"dump_{kind}_sequence")
    _restore(real_postgres, target, script)
    # The restored sequence continues after the dumped rows (and after the counter).
    added = "INSERT INTO items(name) VALUES ('next') RETURNING id"
    assert real_postgres.psql(added, dbname=target).split()[0] == str(last_id + 1)


def test_inventory_handler_view_dump_restores(
    inventory_server: ServerProcess, real_postgres: RealPostgres
) -> None:
    """A view the application computes has no SQL: it is dumped as a query of its typed
    columns that returns no rows, so the dump recreates a view of the same shape."""
    script = dump_ours(inventory_server, "-t", "numbers")
    assert "CREATE VIEW public.numbers AS" in script
    assert "NULL::bigint AS n" in script
    target = _fresh_database(real_postgres, "dump_inventory_view")
    _restore(real_postgres, target, script)
    described = real_postgres.psql(
        "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'numbers'::regclass AND attnum > 0 ORDER BY attnum",
        dbname=target,
    )
    assert described.splitlines() == ["n|bigint", "square|bigint"]
