"""command_tag: CommandComplete tags exactly as PostgreSQL 15 sent them for the same commands
(each pair below was observed on a real server), from parse_sql types and utility tags."""

from __future__ import annotations

import pytest

from txpostgres_proto.sql import command_tag, parse_sql, parse_utility

# (statement, rows it affected or returned, PostgreSQL's tag)
OBSERVED = [
    ("select * from t", 3, "SELECT 3"),
    ("values (1), (2)", 2, "SELECT 2"),
    ("table t", 3, "SELECT 3"),
    ("with x as (select 1) select * from x", 1, "SELECT 1"),
    ("insert into t values (1), (2), (3)", 3, "INSERT 0 3"),
    ("update t set a = a", 3, "UPDATE 3"),
    ("delete from t where a = 9", 0, "DELETE 0"),
    ("merge into t using (select 1 a) s on t.a = s.a when matched then do nothing", 0, "MERGE 0"),
    ("create table t2 as select * from t", 3, "SELECT 3"),
    ("create table t9 as select 1 with no data", None, "CREATE TABLE AS"),
    ("select * into t3 from t", 3, "SELECT 3"),
    ("create materialized view m as select 1", 1, "SELECT 1"),
    ("create materialized view m as select 1 with no data", None, "CREATE MATERIALIZED VIEW"),
    ("copy t to '/tmp/t.txt'", 3, "COPY 3"),
    ("truncate t", None, "TRUNCATE TABLE"),
    ("lock t in share mode", None, "LOCK TABLE"),
    ("begin", None, "BEGIN"),
    ("begin work", None, "BEGIN"),
    ("start transaction", None, "START TRANSACTION"),
    ("commit", None, "COMMIT"),
    ("end", None, "COMMIT"),
    ("rollback work", None, "ROLLBACK"),
    ("abort", None, "ROLLBACK"),
    ("savepoint s", None, "SAVEPOINT"),
    ("release savepoint s", None, "RELEASE"),
    ("rollback to savepoint s", None, "ROLLBACK"),
    ("rollback to s", None, "ROLLBACK"),
    ("declare c cursor for select * from t", None, "DECLARE CURSOR"),
    ("fetch 2 from c", 2, "FETCH 2"),
    ("move all in c", 1, "MOVE 1"),
    ("fetch next from c", 0, "FETCH 0"),
    ("close c", None, "CLOSE CURSOR"),
    ("close all", None, "CLOSE CURSOR ALL"),
    ("discard all", None, "DISCARD ALL"),
    ("discard plans", None, "DISCARD PLANS"),
    ("discard sequences", None, "DISCARD SEQUENCES"),
    ("discard temporary", None, "DISCARD TEMP"),
    ("deallocate all", None, "DEALLOCATE ALL"),
    ("deallocate prepare p", None, "DEALLOCATE"),
    ("prepare p as select 1", None, "PREPARE"),
    ("listen x", None, "LISTEN"),
    ("notify x", None, "NOTIFY"),
    ("unlisten *", None, "UNLISTEN"),
    ("set x.y = 1", None, "SET"),
    ("set time zone 'UTC'", None, "SET"),
    ("set session characteristics as transaction read write", None, "SET"),
    ("set constraints all immediate", None, "SET CONSTRAINTS"),
    ("reset all", None, "RESET"),
    ("show x.y", None, "SHOW"),
    ("vacuum t", None, "VACUUM"),
    ("analyze t", None, "ANALYZE"),
    ("explain select 1", None, "EXPLAIN"),
    ("create table t (a int)", None, "CREATE TABLE"),
    ("alter table t add column b int", None, "ALTER TABLE"),
    ("drop table t", None, "DROP TABLE"),
    ("create index on t (a)", None, "CREATE INDEX"),
    ("create view v as select 1", None, "CREATE VIEW"),
    ("drop materialized view m", None, "DROP MATERIALIZED VIEW"),
    ("refresh materialized view m", None, "REFRESH MATERIALIZED VIEW"),
    ("create user u", None, "CREATE ROLE"),
    ("alter user u with password 'x'", None, "ALTER ROLE"),
    ("drop user u", None, "DROP ROLE"),
    ("grant r to postgres", None, "GRANT ROLE"),
    ("revoke r from postgres", None, "REVOKE ROLE"),
    ("grant select on t to public", None, "GRANT"),
    ("comment on table t is 'x'", None, "COMMENT"),
    ("create function f() returns int language sql return 1", None, "CREATE FUNCTION"),
    ("create sequence s", None, "CREATE SEQUENCE"),
    ("reindex table t", None, "REINDEX"),
    ("do $$begin end$$", None, "DO"),
    ("checkpoint", None, "CHECKPOINT"),
    ("load 'plpgsql'", None, "LOAD"),
]


@pytest.mark.parametrize(("sql", "rows", "tag"), OBSERVED)
def test_tag_of_statement(sql: str, rows: int | None, tag: str) -> None:
    utility = parse_utility(sql)
    name = utility.tag if utility is not None else parse_sql(sql)[0]
    assert command_tag(name, rows) == tag


@pytest.mark.parametrize(
    ("stmt_type", "rows", "tag"),
    [
        ("INSERT", 1, "INSERT 0 1"),
        ("SELECT", None, "SELECT 0"),
        ("select", 5, "SELECT 5"),
        ("ROLLBACK TO", None, "ROLLBACK"),
        ("TRUNCATE", 7, "TRUNCATE TABLE"),
        ("DECLARE", None, "DECLARE CURSOR"),
        ("BEGIN", 3, "BEGIN"),
        ("  create   table ", None, "CREATE TABLE"),
        ("SOMETHING NEW", None, "SOMETHING NEW"),
    ],
)
def test_tag_of_type(stmt_type: str, rows: int | None, tag: str) -> None:
    assert command_tag(stmt_type, rows) == tag


@pytest.mark.parametrize(
    ("stmt_type", "tag"),
    [
        ("COMMIT", "ROLLBACK"),  # observed: COMMIT of a failed transaction block
        ("END", "ROLLBACK"),
        ("PREPARE TRANSACTION", "ROLLBACK"),
        ("ROLLBACK", "ROLLBACK"),
        ("ROLLBACK TO", "ROLLBACK"),
        ("BEGIN", "BEGIN"),
    ],
)
def test_failed_transaction(stmt_type: str, tag: str) -> None:
    assert command_tag(stmt_type, transaction_failed=True) == tag
