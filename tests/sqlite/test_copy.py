"""COPY ... FROM STDIN into the SQLite default (``sqlite/copy.py``): casting, all or nothing.

The backend runs inline (``threaded=False``), so its ``copy_in`` coroutine finishes without a
reactor; rows come as the protocol hands them over: `CopyBatch` lists of text fields (or
decoded values, for the binary format).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from typing import Any

import pytest
from twisted.internet.defer import Deferred

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.copy_in import CopyBatch
from txpostgres_proto.sql import parse_utility

from .conftest import Client


def copy(client: Client, sql: str, *batches: Sequence[tuple[Any, ...]]) -> int:
    """Run ``sql`` (a COPY FROM STDIN) with ``batches``; the row count, or the error raised."""
    statement = parse_utility(sql)

    async def source() -> AsyncIterator[CopyBatch]:
        line = 1
        for rows in batches:
            yield CopyBatch(list(rows), line)
            line += len(rows)

    done = Deferred.fromCoroutine(client.backend.copy_in(statement, source()))
    outcome: list[Any] = []
    done.addBoth(outcome.append)
    assert outcome, "copy_in waited although nothing was pending"
    result = outcome[0]
    if hasattr(result, "raiseException"):
        result.raiseException()
    return int(result)


@pytest.fixture
def client(connect: Callable[[], Client]) -> Client:
    made = connect()
    made.run("create table items (id int primary key, name text, price float8, at timestamp)")
    return made


def test_text_fields_are_cast_to_the_column_types(client: Client) -> None:
    count = copy(
        client,
        "copy items from stdin",
        [("1", "one", "1.5", "2024-01-02 03:04:05"), ("2", None, "-Infinity", None)],
        [("3", "three", " -2e3 ", "2024-01-02 03:04:05.25")],
    )
    assert count == 3
    rows = client.rows("select id, name, price, at from items order by id")
    assert rows[0] == (1, "one", 1.5, datetime(2024, 1, 2, 3, 4, 5))
    assert rows[1] == (2, None, float("-inf"), None)
    assert rows[2] == (3, "three", -2000.0, datetime(2024, 1, 2, 3, 4, 5, 250000))


def test_column_list_and_decoded_values(client: Client) -> None:
    assert copy(client, "copy items (name, id) from stdin", [("x", 7), ("y", 8)]) == 2
    assert client.rows("select id, name, price from items order by id") == [
        (7, "x", None),
        (8, "y", None),
    ]


def test_a_bad_value_rolls_back_every_batch(client: Client) -> None:
    with pytest.raises(PostgresError) as caught:
        copy(client, "copy items from stdin", [("1", "a", "1", None)], [("2", "b", "x", None)])
    assert caught.value.sqlstate == "22P02"
    assert caught.value.where == 'COPY items, line 2, column price: "x"'
    assert client.value("select count(*) from items") == 0


def test_out_of_range_integer_is_22003(client: Client) -> None:
    with pytest.raises(PostgresError) as caught:
        copy(client, "copy items (id) from stdin", [("1",), ("99999999999",)])
    assert caught.value.sqlstate == "22003"
    assert caught.value.where == 'COPY items, line 2, column id: "99999999999"'


def test_a_constraint_violation_rolls_back(client: Client) -> None:
    with pytest.raises(PostgresError) as caught:
        copy(client, "copy items (id) from stdin", [("1",), ("2",)], [("1",)])
    assert caught.value.sqlstate == "23505"
    assert client.value("select count(*) from items") == 0
    assert copy(client, "copy items (id) from stdin", [("1",)]) == 1  # nothing left locked


def test_inside_a_transaction_block_the_copy_is_a_savepoint(client: Client) -> None:
    client.transaction("BEGIN")
    client.run("insert into items (id) values (100)")
    with pytest.raises(PostgresError):
        copy(client, "copy items (id) from stdin", [("1",), ("bad",)])
    assert client.rows("select id from items") == [(100,)]
    assert copy(client, "copy items (id) from stdin", [("2",)]) == 1
    client.transaction("ROLLBACK")
    assert client.value("select count(*) from items") == 0


def test_an_error_from_the_source_rolls_back(client: Client) -> None:
    statement = parse_utility("copy items (id) from stdin")

    async def source() -> AsyncIterator[CopyBatch]:
        yield CopyBatch([("1",), ("2",)], 1)
        raise PostgresError("COPY from stdin failed: gave up", "57014")

    done = Deferred.fromCoroutine(client.backend.copy_in(statement, source()))
    failures: list[Any] = []
    done.addErrback(failures.append)
    assert failures and failures[0].value.sqlstate == "57014"
    assert client.value("select count(*) from items") == 0
