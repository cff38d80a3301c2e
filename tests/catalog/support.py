"""Shared helpers for the catalog tests: the sample schema, the SQL corpus, a live reference.

The sample schema exists twice: as :class:`Table` objects for the emulated catalog and as DDL
for a real PostgreSQL database (``REFERENCE_DDL``), so the same catalog statement can run on
both and the answers can be compared.  :class:`Reference` talks to that real database through
libpq (psycopg's ``pq`` layer): ``describe`` prepares a statement and reads PostgreSQL's
ParameterDescription/RowDescription, ``rows`` runs it and returns text-format values.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from psycopg import pq

from tests.sql.corpus import CLIENTS_DIR
from txpostgres_proto.catalog import Catalog, Column, Index, RegOid, SimpleSession, Table
from txpostgres_proto.catalog.arrays import format_array_literal
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.types import oids

CORPUS_FILES = (CLIENTS_DIR / "statements.sql", CLIENTS_DIR / "psql15_describe.sql")
EXTRA_FILE = Path(__file__).with_name("extra_statements.sql")
#: OIDs the captured corpus was recorded with: ``items`` and the ``mood`` enum type.
CORPUS_ITEMS_OID = "16385"

REFERENCE_DDL = """
CREATE TABLE items(id serial PRIMARY KEY, name text NOT NULL DEFAULT 'x', ts timestamptz,
                   amount numeric(10,2), tags text[], data jsonb);
CREATE INDEX items_name_idx ON items(name);
CREATE VIEW v_items AS SELECT id, name FROM items;
CREATE TABLE users(id int8 PRIMARY KEY,
                   email varchar(200) NOT NULL CONSTRAINT users_email_key UNIQUE);
COMMENT ON TABLE users IS 'people';
COMMENT ON COLUMN users.email IS 'login';
"""


def sample_tables() -> list[Table]:
    """The schema of ``REFERENCE_DDL`` as the application describes it."""
    return [
        Table(
            "items",
            (
                Column("id", "serial", primary_key=True),
                Column("name", "text", nullable=False, default="'x'::text"),
                Column("ts", "timestamptz"),
                Column("amount", "numeric(10,2)"),
                Column("tags", "text[]"),
                Column("data", "jsonb"),
            ),
            indexes=(Index("items_name_idx", ("name",)),),
        ),
        Table(
            "v_items",
            (Column("id", "int4"), Column("name", "text")),
            kind="v",
            definition=" SELECT items.id,\n    items.name\n   FROM items;",
        ),
        Table(
            "users",
            (
                Column("id", "int8", primary_key=True),
                Column("email", "varchar(200)", nullable=False, comment="login"),
            ),
            comment="people",
            indexes=(Index("users_email_key", ("email",), unique=True, constraint=True),),
        ),
    ]


@dataclass
class Statement:
    """One statement of a captured log, with the parameter values it ran with."""

    sql: str
    params: list[str] = field(default_factory=list)
    compare_rows: bool = False


def corpus_statements(paths: Sequence[Path] = CORPUS_FILES) -> list[Statement]:
    """Distinct statements of the shared capture files (log_statement=all format)."""
    statements: list[Statement] = []
    seen: set[str] = set()
    for path in paths:
        blocks = re.split(r"\n(?=-- \[\d+\])", path.read_text())
        current: Statement | None = None
        for block in blocks:
            match = re.match(
                r"-- \[\d+\](?: app='[^']*')? (statement|execute [^\n]*|parameters)\n(.*)",
                block,
                re.S,
            )
            if match is None:
                continue
            kind, body = match.group(1), match.group(2).strip()
            if kind == "parameters":
                if current is not None:
                    values = re.findall(r"\$\d+ = '((?:[^']|'')*)'", body)
                    current.params = [value.replace("''", "'") for value in values]
                continue
            current = None
            if body not in seen:
                seen.add(body)
                current = Statement(body)
                statements.append(current)
    return statements


def extra_statements() -> list[Statement]:
    """The statements of ``extra_statements.sql``."""
    statements = []
    for block in re.split(r"^-- statement", EXTRA_FILE.read_text(), flags=re.M)[1:]:
        header, _, body = block.partition("\n")
        statements.append(Statement(body.strip(), compare_rows=header.strip() == "rows"))
    return statements


def catalog_statements(catalog: Catalog) -> Iterator[Statement]:
    """Corpus statements the catalog engine claims (SHOW excluded: not preparable)."""
    for statement in corpus_statements():
        if catalog.handles(statement.sql) and not statement.sql.lower().startswith("show"):
            yield statement


def pg_text(value: Any, type_oid: int = 0) -> str | None:
    """A Python value from the catalog engine in PostgreSQL's text output format."""
    if value is None:
        return None
    if type_oid in (oids.JSON, oids.JSONB) and not isinstance(value, str):
        return json.dumps(value, separators=(", ", ": "))
    if type_oid in (oids.INT2VECTOR, oids.OIDVECTOR):
        return " ".join(str(item) for item in value)
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, RegOid):
        return str(value)
    if isinstance(value, list):
        return format_array_literal([None if item is None else pg_text(item) for item in value])
    if isinstance(value, dict):
        return json.dumps(value, separators=(", ", ": "))
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)


#: A statement's outcome: ``("rows", [text tuples])`` or ``("error", sqlstate, message)``.
Outcome = tuple[Any, ...]


def catalog_outcome(catalog: Catalog, sql: str, session: SimpleSession) -> Outcome:
    """`Reference.outcome` of ``sql`` run by the emulated catalog."""
    try:
        result = catalog.execute(sql, (), session)
    except PostgresError as error:
        return ("error", error.sqlstate, error.message)
    types = [column.type_oid for column in result.columns]
    return (
        "rows",
        [tuple(pg_text(value, oid) for value, oid in zip(row, types, strict=True))
         for row in result.rows],
    )  # fmt: skip


class Reference:
    """A real PostgreSQL database holding ``REFERENCE_DDL``."""

    def __init__(self, conninfo: str) -> None:
        self.conn = pq.PGconn.connect(conninfo.encode())
        if self.conn.status != pq.ConnStatus.OK:
            raise RuntimeError(self.conn.error_message.decode())

    def close(self) -> None:
        self.conn.finish()

    def _check(self, result: pq.PGresult) -> pq.PGresult:
        if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
            raise RuntimeError(result.error_message.decode())
        return result

    def run(self, sql: str) -> None:
        self._check(self.conn.exec_(sql.encode()))

    def describe(self, sql: str) -> tuple[list[tuple[str, int, int]], list[int]]:
        """((name, type OID, typmod) per column, parameter type OIDs) of ``sql``."""
        self._check(self.conn.prepare(b"", sql.encode(), None))
        desc = self._check(self.conn.describe_prepared(b""))
        columns = [
            (desc.fname(i).decode(), desc.ftype(i), desc.fmod(i)) for i in range(desc.nfields)
        ]
        return columns, [desc.param_type(i) for i in range(desc.nparams)]

    def rows(self, sql: str, params: Sequence[str] = ()) -> list[tuple[str | None, ...]]:
        """Rows of ``sql`` in text format."""
        result = self._check(
            self.conn.exec_params(sql.encode(), [p.encode() for p in params], result_format=0)
        )
        return [
            tuple(
                None if result.get_value(row, col) is None
                else result.get_value(row, col).decode()  # type: ignore[union-attr]
                for col in range(result.nfields)
            )
            for row in range(result.ntuples)
        ]  # fmt: skip

    def outcome(self, sql: str) -> Outcome:
        """What ``sql`` gives: its rows in text format, or its error (SQLSTATE, message)."""
        result = self.conn.exec_params(sql.encode(), [], result_format=0)
        if result.status != pq.ExecStatus.TUPLES_OK:
            return (
                "error",
                (result.error_field(pq.DiagnosticField.SQLSTATE) or b"").decode(),
                (result.error_field(pq.DiagnosticField.MESSAGE_PRIMARY) or b"").decode(),
            )
        return (
            "rows",
            [
                tuple(
                    None if result.get_value(row, col) is None
                    else result.get_value(row, col).decode()  # type: ignore[union-attr]
                    for col in range(result.nfields)
                )
                for row in range(result.ntuples)
            ],
        )  # fmt: skip

    def relation_oid(self, name: str) -> str:
        return str(self.rows(f"SELECT '{name}'::regclass::oid")[0][0])
