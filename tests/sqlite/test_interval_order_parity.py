"""Intervals compare and sort as PostgreSQL 15 compares them (a month is 30 days, a day 24
hours), not as their stored text would (``parity.py``: the same statements on our SQLite
default server and a real PostgreSQL must answer alike)."""

from __future__ import annotations

from tests.sqlite.parity import parity_servers, same

ours, theirs = parity_servers("intervals")


def test_interval_comparison_and_order(ours: str, theirs: str) -> None:
    got = same(
        ours,
        theirs,
        [
            "create table spans (n int, i interval)",
            "insert into spans values (1, '23:59:59'), (2, '1 day'), (3, '2 hours'), "
            "(4, '1 mon'), (5, '-1 day'), (6, '30 days'), (7, null), (8, '1 year 2 mons')",
            "select n, i from spans order by i, n",
            "select n from spans order by i desc nulls last, n",
            "select n from spans where i > interval '3 hours' order by n",
            "select n from spans where i = interval '24 hours' or i <= '-12:00' order by n",
            "select n from spans where i + interval '1 hour' >= interval '1 day' order by i, n",
            "select n from spans where i between interval '1 hour' and interval '1 day' order by n",
            "select interval '23:59:59' < interval '1 day', interval '1 mon' = interval '30 days',"
            " interval '1 year' > interval '360 days', interval '1 day' <> interval '24:00:00'",
            "select n from spans where i in (interval '24 hours', '720:00:00') order by n",
            "select n from spans where i not between '-1 day' and '1 day' order by n",
            ("select n from spans where i < %s::interval order by n", ("1 day 1 second",)),
            "select max(i), min(i), count(i) from spans where n < 8",
            "select n % 2, max(i), min(i) from spans group by n % 2 order by 1",
            "select max(i) from spans where n in (4, 6)",
            "select min(i) from spans where n in (6, 4)",
        ],
    )
    assert [n for n, _ in got.outcomes[2][1]] == [5, 3, 1, 2, 4, 6, 8, 7]
