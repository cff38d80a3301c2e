"""Our server as a user runs it, and what each kind of server is expected to show.

:class:`ServerProcess` starts ``python -m txpostgres_proto`` in a subprocess listening on a free
loopback port (``tests/ourserver.py``), so the real client programs (psql, the JDBC driver) and
drivers talk to exactly what a user gets.

Two kinds are tested (:data:`KINDS`):

* ``default`` — the embedded SQLite default, given :data:`DEFAULT_SCHEMA` through psql first;
  the same DDL goes into a real PostgreSQL database so answers can be compared;
* ``inventory`` — the ``examples.app_example.InventoryHandler`` application, whose schema is
  described with ``Table``/``Column`` objects.

:class:`Expected` says, per kind, which table and view the clients must find and how psql
prints each column (type, nullability, default).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.ourserver import start_server

USER = "postgres"
DATABASE = "e2e"
PROGRAM_TIMEOUT = 60.0

#: The application schema of the default server (and of the reference PostgreSQL database).
DEFAULT_SCHEMA = """
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TABLE items(
    id serial PRIMARY KEY,
    name varchar(20) NOT NULL DEFAULT 'x',
    price numeric(10,2),
    created timestamptz,
    active boolean,
    qty integer NOT NULL DEFAULT 0,
    note text
);
CREATE INDEX items_name_idx ON items(name);
CREATE VIEW cheap_items AS SELECT id, name, price FROM items WHERE price < 10;
CREATE TABLE feelings(id integer PRIMARY KEY, feeling mood NOT NULL, weight posint);
INSERT INTO items(name, price, created, active, qty, note)
    VALUES ('bolt', 0.25, '2024-01-02 03:04:05+00', true, 100, 'steel'),
           ('nut', 12.50, NULL, false, 7, NULL);
INSERT INTO feelings VALUES (1, 'happy', 3), (2, 'sad', 1), (3, 'ok', NULL);
"""


@dataclass(frozen=True)
class ExpectedColumn:
    """A column as psql's ``\\d`` prints it."""

    name: str
    type: str
    not_null: bool = False
    default: str = ""


@dataclass(frozen=True)
class Expected:
    """What one kind of server must show its clients."""

    table: str
    view: str
    view_columns: tuple[str, ...]
    columns: tuple[ExpectedColumn, ...]
    indexes: tuple[str, ...]  # non-primary-key indexes of ``table``

    def column(self, name: str) -> ExpectedColumn:
        return next(column for column in self.columns if column.name == name)


_SERIAL = "nextval('items_id_seq'::regclass)"
EXPECTED: dict[str, Expected] = {
    "default": Expected(
        table="items",
        view="cheap_items",
        view_columns=("id", "name", "price"),
        columns=(
            ExpectedColumn("id", "integer", True, _SERIAL),
            ExpectedColumn("name", "character varying(20)", True, "'x'::character varying"),
            ExpectedColumn("price", "numeric(10,2)"),
            ExpectedColumn("created", "timestamp with time zone"),
            ExpectedColumn("active", "boolean"),
            ExpectedColumn("qty", "integer", True, "0"),
            ExpectedColumn("note", "text"),
        ),
        indexes=("items_name_idx",),
    ),
    "inventory": Expected(
        table="items",
        view="numbers",
        view_columns=("n", "square"),
        columns=(
            ExpectedColumn("id", "integer", True, _SERIAL),
            ExpectedColumn("name", "text", True),
            ExpectedColumn("price", "numeric(10,2)"),
            ExpectedColumn("quantity", "integer", True, "0"),
            ExpectedColumn("active", "boolean", True, "true"),
            ExpectedColumn("updated_at", "timestamp with time zone"),
        ),
        indexes=(),
    ),
}
KINDS = tuple(EXPECTED)
_HANDLERS = {
    "default": None,
    "inventory": "examples.app_example.InventoryHandler",
    # Not one of KINDS: the inventory with the default sequence state (test_pg_dump.py).
    "derived_inventory": "tests.catalog_e2e.dumpable_app.DerivedSequenceInventoryHandler",
}


class ServerProcess:
    """``python -m txpostgres_proto`` serving one kind of backend on a loopback port (the
    default's database in a temporary file, or in ``database``), its log in ``workdir``."""

    def __init__(self, kind: str, workdir: Path, database: Path | None = None) -> None:
        self.kind = kind
        arguments = []
        handler = _HANDLERS[kind]
        if handler is not None:
            arguments += ["--handler", handler]
        if database is not None:
            arguments += ["--database", str(database)]
        self._server = start_server(arguments, workdir)
        self.host = self._server.host
        self.port = self._server.port

    @property
    def expected(self) -> Expected:
        return EXPECTED[self.kind]

    def dsn(self, **extra: str) -> str:
        options = " ".join(f"{key}={value}" for key, value in extra.items())
        return f"host={self.host} port={self.port} user={USER} dbname={DATABASE} {options}".strip()

    def url(self, driver: str) -> str:
        return f"postgresql+{driver}://{USER}@{self.host}:{self.port}/{DATABASE}"

    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://{self.host}:{self.port}/{DATABASE}"

    def stop(self) -> None:
        self._server.stop()


@dataclass(frozen=True)
class PsqlRun:
    returncode: int
    stdout: str
    stderr: str


def psql_program() -> str | None:
    return shutil.which("psql")


def run_psql(
    host: str,
    port: int,
    *commands: str,
    script: str | None = None,
    echo_hidden: bool = False,
    database: str = DATABASE,
) -> PsqlRun:
    """psql as a user runs it (``-X``: no ~/.psqlrc; stop at the first error): each of
    ``commands`` as a ``-c``, or ``script`` read from standard input (``-f -``)."""
    program = psql_program()
    assert program is not None
    arguments = [program, "-X", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", str(port)]
    arguments += ["-U", USER, "-d", database]
    if echo_hidden:
        arguments.append("-E")
    for command in commands:
        arguments += ["-c", command]
    if script is not None:
        arguments += ["-f", "-"]
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env.update(PGCONNECT_TIMEOUT="10", PAGER="", PSQL_PAGER="", COLUMNS="250")
    done = subprocess.run(
        arguments, input=script, capture_output=True, text=True, env=env, timeout=PROGRAM_TIMEOUT
    )
    return PsqlRun(done.returncode, done.stdout, done.stderr)


def psql_rows(output: str) -> list[list[str]]:
    """The cells of psql's aligned table output (header and data rows)."""
    return [
        [cell.strip() for cell in line.split("|")] for line in output.splitlines() if "|" in line
    ]
