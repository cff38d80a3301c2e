"""The key a unique violation of an UPDATE or an ``INSERT ... ON CONFLICT`` names, against a
real PostgreSQL 15 (``parity.py``: the same SQLSTATE, message, detail and hint).

PostgreSQL checks each row's new key at once, the rows taken in turn: the key a row had is
free once that row changed, the keys of rows not yet reached still count.  Covered: a
single-column unique key, a composite one, a primary key; ``SET (a, b) = (...)``; keys from
parameters; inside a transaction (written inline there: ``inline_writes.py``); NULLs, which
never conflict; and upserts: ``DO UPDATE`` giving the row it updates a key another unique
index holds (with ``excluded``, and a ``WHERE`` that leaves rows alone), the inserted rows
violating another index, ``DO NOTHING`` skipping rows.
"""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same

ours, theirs = parity_servers("unique_update")


def test_update_violating_unique_keys(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table uk (id int primary key, code text unique, x int, y text, unique (x, y))",
            "insert into uk values (1, 'a', 1, 'p'), (2, 'b', 1, 'q'), (3, 'c', 2, 'p')",
            "update uk set code = 'b' where id = 1",
            "update uk set y = 'q' where id = 1",
            "update uk set x = 1, y = 'q'",
            "update uk set (x, y) = (2, 'p') where id = 1",
            "update uk set id = id + 1",
            "update uk set id = id - 1 where id > 1",
            "update uk set id = 4 - id",
            "update uk set code = case id when 1 then 'z' when 2 then 'a' else code end",
            ("update uk set code = %s where id = %s", ("c", 2)),
            ("update uk set x = %s, y = %s where code = %s", (2, "p", "a")),
            "begin",
            ("update uk set code = %s where id = %s", ("a", 3)),
            "rollback",
            "begin",
            "update uk set id = 3 where id = 2",
            "rollback",
            "update uk set id = id + 10",
            "select * from uk order by id",
        ],
    )


def test_nulls_never_conflict(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table nk (id int primary key, m text unique, a int, b int, unique (a, b))",
            "insert into nk values (1, null, 1, null), (2, null, 1, null), (3, 'x', 1, 1)",
            "update nk set m = null, b = null",
            "update nk set m = 'x' where id = 1",
            "update nk set b = 1 where id = 2",
            "update nk set a = 1, b = 2",
            "select * from nk order by id",
        ],
    )


def test_upsert_violating_another_unique_index(ours: str, theirs: str) -> None:
    same(
        ours,
        theirs,
        [
            "create table up (id int primary key, code text unique, n int)",
            "insert into up values (1, 'a', 0), (2, 'b', 0), (3, 'c', 5)",
            "insert into up values (1, 'q', 0) on conflict (id) do update set code = 'b'",
            (
                "insert into up values (%s, %s, 0) on conflict (id) do update set code = %s",
                (2, "z", "c"),
            ),
            "insert into up values (3, 'a', 0) on conflict (id) do update set code = excluded.code",
            "insert into up as u values (2, 'q', 0) on conflict (id) do update set id = u.id + 1",
            "insert into up values (9, 'a', 0) on conflict (id) do update set code = 'x'",
            "insert into up values (8, 'h', 0), (1, 'h', 0) on conflict (id) do update "
            "set code = excluded.code || 'x'",
            "insert into up values (7, 'g', 0), (1, 'c', 0) on conflict (id) do update "
            "set code = excluded.code",
            "insert into up values (1, 'c', 0) on conflict (id) do update "
            "set code = excluded.code where up.n > 0",
            "insert into up values (3, 'a', 0) on conflict (id) do update "
            "set code = excluded.code where up.n > 0",
            "insert into up values (2, 'x', 0) on conflict (code) do update set id = 3",
            "insert into up values (1, 'y', 0) on conflict (id) do nothing",
            "insert into up values (1, 'b', 0), (4, 'b', 0) on conflict (id) do nothing",
            "insert into up values (5, 'e', 0), (6, 'e', 0) on conflict (id) do nothing",
            "select * from up order by id",
        ],
    )
