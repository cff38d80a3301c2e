"""Typed arithmetic (``rewrite.typed_arithmetic``) in column defaults as in queries: dates,
timestamps and intervals are stored as text, so ``current_date + 1`` must go to the functions
that know them, or SQLite computes a number.  ``test_if_exists_parity.py`` compares the values
with a real PostgreSQL."""

from __future__ import annotations

import datetime

from tests.sqlite.conftest import Client, fails


def test_date_and_interval_defaults_give_dates_and_intervals(client: Client) -> None:
    client.run(
        "create table da (id int, a date default current_date + 1, "
        "b date default current_date - 3, "
        "c timestamp default timestamp '2024-01-31 10:00' + interval '1 month', "
        "d interval default interval '1 day' * 3, "
        "e int default date '2024-03-01' - date '2024-02-01')"
    )
    client.run("alter table da add column f date default 2 + current_date")
    client.run("alter table da alter column b set default current_date - 30")
    client.run("insert into da (id) values (1)")
    row = client.rows("select a - current_date, current_date - b, c, d, e, f from da")
    assert row == [(1, 30, datetime.datetime(2024, 2, 29, 10, 0), datetime.timedelta(days=3), 29,
                    client.value("select current_date + 2"))]  # fmt: skip


def test_integer_overflow_inside_an_expression_is_an_error(client: Client) -> None:
    """Each integer operation is checked, not only the outermost (PostgreSQL: 22003)."""
    assert fails(client, "select (2147483647 + 1) - 1").sqlstate == "22003"
    assert client.value("select (2147483646 + 1) - 1") == 2147483646
