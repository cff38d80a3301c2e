"""The harness of the SQLite default's parity tests against a real PostgreSQL 15.

The same statements run through our server (``python -m txpostgres_proto`` on a database
file) and through PostgreSQL, both with psycopg, one session each, and must give the same
command tags and rows, or the same SQLSTATE, message, detail and hint, and the same notices
(severity, message, detail) after each statement.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from pprint import pformat
from typing import Any, NamedTuple

import psycopg
import pytest

from tests.ourserver import running_server
from tests.pgserver import SUPERUSER, RealPostgres

#: SQL, or SQL with psycopg parameters.
Statement = str | tuple[str, Sequence[Any]]
Notice = tuple[str | None, str | None, str | None]


class Answers(NamedTuple):
    """What one server answered to a list of statements: an outcome and notices each."""

    outcomes: list[tuple[Any, ...]]
    notices: list[tuple[Notice, ...]]


@contextmanager
def connected(database: Path) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit session on our server serving ``database`` (started and stopped here)."""
    with serving(database) as dsn, psycopg.connect(dsn, autocommit=True) as conn:
        yield conn


@contextmanager
def serving(database: Path) -> Iterator[str]:
    """Our server on ``database``, for as long as the block runs: its DSN."""
    with running_server(["--database", str(database)], database.parent) as port:
        yield f"host=127.0.0.1 port={port} user=postgres dbname=postgres connect_timeout=10"


def fresh_database(real_postgres: RealPostgres, name: str) -> str:
    """The DSN of database ``name`` on ``real_postgres``, made anew."""
    admin_dsn = real_postgres.dsn(SUPERUSER, dbname="postgres")
    with psycopg.connect(admin_dsn, autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    return real_postgres.dsn(SUPERUSER, dbname=name)


def outcome(conn: psycopg.Connection[Any], statement: Statement) -> tuple[Any, ...]:
    """The command tag and rows of ``statement``, or its error's SQLSTATE, message, detail
    and hint."""
    sql, params = (statement, None) if isinstance(statement, str) else statement
    try:
        cursor = conn.execute(sql, params)
    except psycopg.Error as error:
        diag = error.diag
        return (
            "error",
            error.sqlstate,
            diag.message_primary,
            diag.message_detail,
            diag.message_hint,
        )
    rows = cursor.fetchall() if cursor.description else None
    return (cursor.statusmessage, rows)


def answers(dsn: str, statements: Sequence[Statement]) -> Answers:
    """Run ``statements`` in one session of the server at ``dsn``."""
    found = Answers([], [])
    notices: list[Notice] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.add_notice_handler(partial(_keep_notice, notices))
        for statement in statements:
            found.outcomes.append(outcome(conn, statement))
            found.notices.append(tuple(notices))
            notices.clear()
    return found


def _keep_notice(notices: list[Notice], diag: psycopg.errors.Diagnostic) -> None:
    notices.append((diag.severity_nonlocalized, diag.message_primary, diag.message_detail))


def same(ours: str, theirs: str, statements: Sequence[Statement]) -> Answers:
    """Run ``statements`` on both servers; they must answer alike.  PostgreSQL's answers."""
    got, expected = answers(ours, statements), answers(theirs, statements)
    differing = [
        (statement, mine, real)
        for statement, mine, real in zip(
            statements,
            zip(*got, strict=True),
            zip(*expected, strict=True),
            strict=True,
        )
        if mine != real
    ]
    assert not differing, "\n".join(pformat(item, width=100) for item in differing)
    return expected


def parity_servers(name: str) -> tuple[Any, Any]:
    """The module fixtures ``ours`` and ``theirs`` of a parity test module: our server on a
    fresh database file, and a fresh database ``sqlite_<name>`` on the real PostgreSQL, both
    for the whole module (``ours, theirs = parity_servers("identity")``)."""

    @pytest.fixture(scope="module", name="ours")
    def ours(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
        with serving(tmp_path_factory.mktemp(name) / "app.sqlite3") as dsn:
            yield dsn

    @pytest.fixture(scope="module", name="theirs")
    def theirs(real_postgres: RealPostgres) -> str:
        return fresh_database(real_postgres, f"sqlite_{name}")

    return ours, theirs
