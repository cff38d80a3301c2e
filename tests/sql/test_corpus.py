"""Every statement real clients sent (psql, pgbench, JDBC, psycopg2/3, asyncpg, pg8000,
SQLAlchemy) splits, classifies and parses; the queries classify as SELECT and name their
result columns the way PostgreSQL 15 did for them."""

from __future__ import annotations

import pytest

from tests.sql.corpus import CORPUS_FILES, corpus_entries
from txpostgres_proto.sql import StatementInfo, TableRef, parse_sql, parse_utility, split_statements

ENTRIES = [entry for path in CORPUS_FILES for entry in corpus_entries(path)]
STATEMENTS = list(dict.fromkeys(s for entry in ENTRIES for s in split_statements(entry)))


def test_the_corpus_was_read() -> None:
    assert len(ENTRIES) >= 250
    assert len(STATEMENTS) >= 100
    assert "select 1" in STATEMENTS
    assert any(s.startswith("WITH RECURSIVE typeinfo_tree") for s in STATEMENTS)
    # the JDBC driver sent three statements in one simple Query
    assert "SET DateStyle = 'ISO';SET extra_float_digits = 2;show transaction_isolation" in ENTRIES
    assert {"SET DateStyle = 'ISO'", "SET extra_float_digits = 2"} <= set(STATEMENTS)


@pytest.mark.parametrize("sql", STATEMENTS, ids=range(len(STATEMENTS)))
def test_statement_parses(sql: str) -> None:
    stmt_type, info = parse_sql(sql)
    assert stmt_type
    assert info.stmt_type == stmt_type
    assert info.sql == sql
    if sql.lstrip("(").lower().startswith(("select", "with")):
        assert stmt_type == "SELECT"
        assert info.columns
    parse_utility(sql)  # utility or not, it must not raise


def _info(prefix: str, contains: str = "") -> StatementInfo:
    sql = next(s for s in STATEMENTS if s.startswith(prefix) and contains in s)
    return parse_sql(sql)[1]


def test_psql_describe_query() -> None:
    info = _info("SELECT a.attname,", "a.attgenerated\nFROM")
    # as named by PostgreSQL 15 in its RowDescription
    assert [c.name for c in info.columns] == [
        "attname",
        "format_type",
        "pg_get_expr",
        "attnotnull",
        "attcollation",
        "attidentity",
        "attgenerated",
    ]
    assert info.tables[0] == TableRef("pg_catalog", "pg_attribute", "a")
    assert {t.name for t in info.tables} == {
        "pg_attribute",
        "pg_attrdef",
        "pg_collation",
        "pg_type",
    }


def test_psql_relation_details_query() -> None:
    info = _info("SELECT c.relchecks", "c.relispartition, '', c.reltablespace")
    assert [c.name for c in info.columns] == [
        "relchecks",
        "relkind",
        "relhasindex",
        "relhasrules",
        "relhastriggers",
        "relrowsecurity",
        "relforcerowsecurity",
        "relhasoids",
        "relispartition",
        "?column?",
        "reltablespace",
        "reloftype",
        "relpersistence",
        "relreplident",
        "amname",
    ]
    assert info.where is not None
    assert info.where.complete
    assert [(c.qualifier, c.column, c.operator, c.value) for c in info.where.conditions] == [
        ("c", "oid", "=", "16385")
    ]


def test_pgbench_select() -> None:
    info = _info("SELECT abalance FROM pgbench_accounts WHERE aid = $1")
    assert info.tables[0].name == "pgbench_accounts"
    assert info.params == (1,)
    assert info.where is not None and info.where.complete
    assert info.where.conditions[0].column == "aid"


def test_sqlalchemy_parameter_casts() -> None:
    info = _info("SELECT pg_catalog.pg_am.oid, pg_catalog.pg_am.amname", "$1::VARCHAR")
    assert info.param_casts == ((1, "varchar"),)
    assert [c.name for c in info.columns] == ["oid", "amname"]


def test_asyncpg_introspection_reads_catalog_tables_not_its_cte() -> None:
    info = _info("WITH RECURSIVE typeinfo_tree(")
    names = {t.name for t in info.tables}
    assert "typeinfo_tree" not in names
    assert {"pg_type", "pg_namespace", "pg_range", "pg_attribute", "pg_class"} <= names
