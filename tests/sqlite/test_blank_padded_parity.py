"""``character(n)`` values come out blank-padded to their length, as PostgreSQL 15 keeps them,
while length, concatenation and casts to text see them without the blanks (``parity.py``:
the same statements on our SQLite default server and a real PostgreSQL must answer alike)."""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same

ours, theirs = parity_servers("padded")


def test_character_columns_and_casts_are_padded_in_results(ours: str, theirs: str) -> None:
    got = same(
        ours,
        theirs,
        [
            "create table padded (id int, c char(3), one char, v varchar(5))",
            "insert into padded values (1, 'ab', 'x', 'ab'), (2, 'abc', '', ''), "
            "(3, null, null, null)",
            "select id, c, one, v from padded order by id",
            "select c, length(c), c || '|', c::text || '|', upper(c), c = 'ab' "
            "from padded order by id",
            "select 'q'::char(4), cast('qr' as character(3)), 'q'::char, 'long'::char(2)",
            "select c from padded where id = 1 union all select 'zz'::char(3)",
        ],
    )
    assert got.outcomes[2] == (
        "SELECT 3",
        [(1, "ab ", "x", "ab"), (2, "abc", " ", ""), (3, None, None, None)],
    )
