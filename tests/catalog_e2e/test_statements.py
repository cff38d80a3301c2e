"""Every catalog statement real clients sent, through the wire to the embedded default.

The statements of ``shared/clients/statements.sql`` that read the system catalogs (those
the catalog engine claims) run on our default server with psycopg (3): statements without
parameters through the simple query protocol (``execute(..., prepare=False)``), statements the
capture ran with parameters through the extended protocol with those values (libpq's
``PQexecParams``).  Each must succeed and return the columns — names and type OIDs — that a real
PostgreSQL 15 returns for the same statement, run the same way on the same schema.

The capture recorded the OID its ``items`` table had (16385); each side runs the statements with
the OID its own ``items`` has.
"""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from psycopg import pq

from tests.catalog.support import CORPUS_ITEMS_OID, Statement, corpus_statements
from tests.catalog_e2e.servers import DATABASE, USER, ServerProcess
from tests.pgserver import RealPostgres
from tests.sql.corpus import CLIENTS_DIR
from txpostgres_proto.catalog import Catalog

STATEMENTS_FILE = CLIENTS_DIR / "statements.sql"
_ROUTER = Catalog()
STATEMENTS = [s for s in corpus_statements([STATEMENTS_FILE]) if _ROUTER.handles(s.sql)]
IDS = [f"{i:02d}-" + " ".join(s.sql.split())[:50] for i, s in enumerate(STATEMENTS)]

Columns = list[tuple[str, int]]


class Side:
    """One server, its connection, and the OID its ``items`` table has."""

    def __init__(self, conninfo: str) -> None:
        self.conn = psycopg.connect(conninfo, autocommit=True)
        self.items_oid = str(self.conn.execute("SELECT 'items'::regclass::oid").fetchone()[0])  # type: ignore[index]

    def run(self, statement: Statement) -> Columns:
        sql = statement.sql.replace(CORPUS_ITEMS_OID, self.items_oid)
        if not statement.params:
            cursor = self.conn.execute(sql, prepare=False)  # type: ignore[call-overload]
            return [(column.name, column.type_code) for column in cursor.description or ()]
        params = [
            value.replace(CORPUS_ITEMS_OID, self.items_oid).encode() for value in statement.params
        ]
        result = self.conn.pgconn.exec_params(sql.encode(), params)  # type: ignore[arg-type]
        if result.status not in (pq.ExecStatus.TUPLES_OK, pq.ExecStatus.COMMAND_OK):
            raise AssertionError(result.error_message.decode())
        return [(result.fname(i).decode(), result.ftype(i)) for i in range(result.nfields)]  # type: ignore[union-attr]

    def close(self) -> None:
        self.conn.close()


@pytest.fixture(scope="module")
def sides(default_server: ServerProcess, reference: RealPostgres) -> Iterator[tuple[Side, Side]]:
    ours = Side(default_server.dsn())
    theirs = Side(reference.dsn(USER, dbname=DATABASE))
    yield ours, theirs
    ours.close()
    theirs.close()


def test_the_corpus_has_catalog_statements_with_and_without_parameters() -> None:
    assert len(STATEMENTS) >= 60
    assert sum(1 for statement in STATEMENTS if statement.params) >= 15


@pytest.mark.parametrize("statement", STATEMENTS, ids=IDS)
def test_statement_answers_like_postgresql(statement: Statement, sides: tuple[Side, Side]) -> None:
    ours, theirs = sides
    expected = theirs.run(statement)
    assert ours.run(statement) == expected
