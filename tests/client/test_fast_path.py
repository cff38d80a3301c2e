"""The serial-query fast paths give the same results and errors as the general path.

``ClientProtocol`` writes an extended query on a described statement at once when nothing waits
to be written (`enqueue`), and handles a read that holds exactly one whole answer
without its ready loop (`SansIOClient.next_sole_execution`).  Here the same calls run on a
connection with the fast paths and on one with ``fast_path = False`` against the real
PostgreSQL, and the outcomes (rows, tags, errors, transaction status) are compared; a protocol
subclass counts the ready-loop and write-queue runs to show which path was taken.  The sans-IO
part feeds recorded answers to two clients and compares the events and the bytes sent.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Any

import pytest
from twisted.internet.defer import Deferred, gatherResults
from twisted.internet.endpoints import connectProtocol

from tests.client.conftest import Database, ReactorThread
from tests.pgserver import TRUST_USER
from txpostgres_proto.client.cancel import endpoint_cancel_connector
from txpostgres_proto.client.connection import Connection
from txpostgres_proto.client.protocol import ClientProtocol
from txpostgres_proto.protocol.client import NEED_DATA, SansIOClient
from txpostgres_proto.protocol.client_events import ExecutionCompleted
from txpostgres_proto.protocol.client_pipeline import EXECUTION, PreEncoded
from txpostgres_proto.protocol.client_rows import make_run_decoder
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.messages import (
    AuthenticationOk,
    Bind,
    BindComplete,
    CommandComplete,
    DataRow,
    ErrorResponse,
    Execute,
    NoticeResponse,
    ReadyForQuery,
    Sync,
    TransactionStatus,
)

Outcome = tuple[str, Any]


class CountingProtocol(ClientProtocol):
    """A client protocol that counts how often the general machinery runs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pumps = 0
        self.drains = 0

    def _pump(self) -> None:
        self.pumps += 1
        super()._pump()

    def _drain(self) -> None:
        self.drains += 1
        super()._drain()


async def counting_connection(db: Database, fast: bool) -> tuple[Connection, CountingProtocol]:
    protocol = CountingProtocol(
        TRUST_USER,
        db.server.database,
        reactor=db.reactor,
        cancel_connector=endpoint_cancel_connector(db.endpoint()),
    )
    protocol.fast_path = fast
    await connectProtocol(db.endpoint(), protocol)
    connection = await protocol.when_ready()
    db.opened.append(connection)
    return connection, protocol


async def outcome(pending: Deferred[Any]) -> Outcome:
    """The result of ``pending`` or its error, in a comparable form."""
    try:
        value = await pending
    except PostgresError as error:
        return "error", (type(error).__name__, error.sqlstate, str(error))
    except Exception as error:
        return "error", (type(error).__name__, str(error))
    if isinstance(value, list):
        value = [tuple(row) if not isinstance(row, str) else row for row in value]
    return "ok", value


Scenario = Callable[[Connection], Coroutine[Any, Any, list[Outcome]]]


async def serial_calls(connection: Connection) -> list[Outcome]:
    """A mix of prepared and cached statements, one at a time: rows, NULLs, no rows, many
    rows, command tags, errors inside and outside a transaction, an encoding fallback."""
    numbers = await connection.prepare("SELECT $1::int AS n, $1::int * 2 AS twice")
    texts = await connection.prepare("SELECT $1::text || 'x', $2::numeric")
    series = await connection.prepare("SELECT g, g::text FROM generate_series(1, $1::int) g")
    divide = await connection.prepare("SELECT 10 / $1::int")
    await connection.execute("CREATE TEMP TABLE fast_path_items (id int PRIMARY KEY, v text)")
    insert = await connection.prepare("INSERT INTO fast_path_items VALUES ($1, $2)")
    seen: list[Outcome] = []
    for number in (0, 1, -7, 2**31 - 1):
        seen.append(await outcome(numbers.query(number)))
    seen.append(await outcome(numbers.query(None)))
    seen.append(await outcome(numbers.query("12")))  # str for int: text fallback
    seen.append(await outcome(texts.query("a", Decimal("1.50"))))
    seen.append(await outcome(texts.query(None, None)))
    for count in (0, 1, 3000):
        seen.append(await outcome(series.query(count)))
    seen.append(await outcome(divide.query(5)))
    seen.append(await outcome(divide.query(0)))
    seen.append(await outcome(divide.execute(2)))
    seen.append(await outcome(insert.execute(1, "one")))
    seen.append(await outcome(insert.execute(1, "again")))  # duplicate key
    seen.append(await outcome(numbers.query(1, 2)))  # wrong parameter count
    seen.append(await outcome(connection.query("SELECT $1::int + 1", 41)))
    seen.append(await outcome(connection.query("SELECT $1::int + 1", 41)))
    seen.append(await outcome(connection.execute("BEGIN")))
    seen.append(await outcome(numbers.query(3)))
    seen.append(("status", connection.transaction_status))
    seen.append(await outcome(divide.query(0)))
    seen.append(await outcome(numbers.query(4)))  # in a failed transaction
    seen.append(("status", connection.transaction_status))
    seen.append(await outcome(connection.execute("ROLLBACK")))
    seen.append(await outcome(numbers.query(5)))
    seen.append(("status", connection.transaction_status))
    return seen


async def pipelined_calls(connection: Connection) -> list[Outcome]:
    """The same statements issued without waiting: the answers share reads."""
    numbers = await connection.prepare("SELECT $1::int")
    divide = await connection.prepare("SELECT 10 / $1::int")
    calls = [numbers.query(n) for n in range(20)] + [divide.query(0), numbers.query(99)]
    waiting = [Deferred.fromCoroutine(outcome(call)) for call in calls]
    return list(await gatherResults(waiting))


async def notices_and_notifications(connection: Connection) -> list[Outcome]:
    """Answers with a notice inside them, and a notification arriving between queries."""
    notices: list[str] = []
    connection.notice_callbacks.append(lambda notice: notices.append(str(notice)))
    noisy = await connection.prepare(
        "SELECT $1::int, set_config('client_min_messages', 'notice', true)"
    )
    await connection.execute(
        "CREATE FUNCTION pg_temp.shout(n int) RETURNS int LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE NOTICE 'n is %', n; RETURN n; END $$"
    )
    shout = await connection.prepare("SELECT pg_temp.shout($1::int)")
    heard: list[str] = []
    await connection.listen("fast_path_channel", lambda event: heard.append(event.payload))
    seen = [await outcome(noisy.query(1))]
    for number in range(3):
        seen.append(await outcome(shout.query(number)))
    seen.append(await outcome(connection.execute("NOTIFY fast_path_channel, 'hi'")))
    seen.append(await outcome(shout.query(7)))
    seen.append(("notices", list(notices)))
    seen.append(("heard", list(heard)))
    return seen


SCENARIOS: dict[str, Scenario] = {
    "serial": serial_calls,
    "pipelined": pipelined_calls,
    "notices": notices_and_notifications,
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_fast_and_general_paths_agree(run: ReactorThread, db: Database, name: str) -> None:
    scenario = SCENARIOS[name]

    async def go() -> tuple[list[Outcome], list[Outcome]]:
        fast, _ = await counting_connection(db, fast=True)
        general, _ = await counting_connection(db, fast=False)
        return await scenario(fast), await scenario(general)

    fast_outcomes, general_outcomes = run(go)
    assert fast_outcomes == general_outcomes
    assert any(kind == "error" for kind, _ in fast_outcomes) or name == "notices"


def test_serial_prepared_queries_skip_the_general_machinery(
    run: ReactorThread, db: Database
) -> None:
    async def go() -> tuple[tuple[int, int], tuple[int, int], list[int]]:
        counts = []
        values = []
        for fast in (True, False):
            connection, protocol = await counting_connection(db, fast)
            statement = await connection.prepare("SELECT $1::int")
            before = protocol.pumps, protocol.drains
            for number in range(50):
                values.append((await statement.query(number))[0][0])
            counts.append((protocol.pumps - before[0], protocol.drains - before[1]))
        return counts[0], counts[1], values

    fast, general, values = run(go)
    assert values == [*range(50), *range(50)]
    assert fast == (0, 0)
    assert general == (50, 50)


# ----------------------------------------------------------------------------- sans-IO


def wire(*messages: Any) -> bytes:
    return b"".join(message.encode() for message in messages)


def busy_client() -> SansIOClient:
    client = SansIOClient("alice", "shop")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationOk(), ReadyForQuery(TransactionStatus.IDLE)))
    while client.next_response() is not NEED_DATA:
        pass
    return client


EXECUTION_BYTES = wire(Bind("", "s", (), (), ()), Execute(), Sync())
DECODER = make_run_decoder(["n"], [lambda data: int(data)])
ANSWER = wire(
    BindComplete(),
    DataRow((b"1",)),
    DataRow((b"2",)),
    CommandComplete("SELECT 2"),
    ReadyForQuery(TransactionStatus.IN_TRANSACTION),
)


def test_send_execution_matches_submit() -> None:
    fast, general = busy_client(), busy_client()
    request, sent = fast.send_execution(EXECUTION_BYTES, "owner", DECODER, True)
    expected = general.submit([PreEncoded(EXECUTION_BYTES, EXECUTION)], "owner", combine=True)
    assert sent == general.data_to_send() == EXECUTION_BYTES
    assert fast.data_to_send() == b""
    assert (request.owner, request.outstanding, request.combine) == ("owner", 3, True)
    assert (expected.outstanding, expected.combine) == (3, True)
    assert fast.state is general.state
    assert [kind for kind, _, _ in fast._expect] == [kind for kind, _, _ in general._expect]


def test_sole_execution_is_the_event_next_response_gives() -> None:
    fast, general = busy_client(), busy_client()
    fast_request, _ = fast.send_execution(EXECUTION_BYTES, None, DECODER, True)
    general_request, _ = general.send_execution(EXECUTION_BYTES, None, DECODER, True)
    fast.receive_bytes(ANSWER)
    general.receive_bytes(ANSWER)
    fast_response = fast.next_sole_execution()
    general_response = general.next_response()
    assert fast_response is not None and fast_response[0] is fast_request
    assert general_response[0] is general_request  # type: ignore[index]
    fast_event, general_event = fast_response[1], general_response[1]  # type: ignore[index]
    assert type(fast_event) is type(general_event) is ExecutionCompleted
    assert [tuple(row) for row in fast_event.rows] == [(1,), (2,)]
    assert [tuple(row) for row in general_event.rows] == [(1,), (2,)]
    assert (fast_event.tag, fast_event.status) == (general_event.tag, general_event.status)
    assert fast.next_response() is NEED_DATA and general.next_response() is NEED_DATA
    assert fast.state is general.state and fast.ready
    assert fast.transaction_status is TransactionStatus.IN_TRANSACTION
    assert fast_request.outstanding == general_request.outstanding == 0


NOTICE = NoticeResponse({"S": "NOTICE", "C": "00000", "M": "hello"})
ERROR = ErrorResponse({"S": "ERROR", "C": "22012", "M": "division by zero"})


@pytest.mark.parametrize(
    ("received", "why"),
    [
        (ANSWER + wire(NOTICE), "something follows the answer"),
        (ANSWER[:-3], "the answer is incomplete"),
        (wire(BindComplete(), NOTICE) + ANSWER[5:], "a notice inside the answer"),
        (wire(BindComplete(), ERROR, ReadyForQuery()), "an error"),
        (ANSWER + ANSWER, "two answers"),
    ],
)
def test_anything_else_is_left_to_next_response(received: bytes, why: str) -> None:
    fast = busy_client()
    fast.send_execution(EXECUTION_BYTES, None, DECODER, True)
    if why == "two answers":
        fast.send_execution(EXECUTION_BYTES, None, DECODER, True)
    fast.receive_bytes(received)
    assert fast.next_sole_execution() is None, why
    assert fast.in_flight == (6 if why == "two answers" else 3)
    assert fast.next_response() is not NEED_DATA  # nothing was consumed


def test_no_sole_execution_without_combine_or_decoder() -> None:
    plain = busy_client()
    plain.send_execution(EXECUTION_BYTES, None, DECODER, False)
    plain.receive_bytes(ANSWER)
    assert plain.next_sole_execution() is None
    undecoded = busy_client()
    undecoded.send_execution(EXECUTION_BYTES, None, None, True)
    undecoded.receive_bytes(ANSWER)
    assert undecoded.next_sole_execution() is None
    rowless = busy_client()
    rowless.send_execution(EXECUTION_BYTES, None, None, True)
    rowless.receive_bytes(wire(BindComplete(), CommandComplete("INSERT 0 1"), ReadyForQuery()))
    response = rowless.next_sole_execution()
    assert response is not None
    assert response[1] == ExecutionCompleted([], "INSERT 0 1", TransactionStatus.IDLE)
