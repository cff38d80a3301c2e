"""The server protocol over an in-memory transport: startup, simple query, errors, cancel.

`Client` (also used by the other ``test_protocol_*`` modules) plays the frontend: it encodes
messages into the protocol's ``dataReceived`` and decodes what the protocol wrote to a
``StringTransport``.  `Backend` is a small backend answering a fixed repertoire of statements.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import pytest
from twisted.internet.address import IPv4Address
from twisted.internet.defer import Deferred
from twisted.internet.protocol import connectionDone
from twisted.internet.testing import MemoryReactorClock, StringTransport
from twisted.logger import globalLogPublisher

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.framing import BACKEND_LARGE_MESSAGES, MessageBuffer, message_limits
from txpostgres_proto.server.backend import QueryResult, ResultColumn, StatementDescription
from txpostgres_proto.server.factory import PostgresServerFactory
from txpostgres_proto.types import oids

ITEMS = (ResultColumn("id", oids.INT4), ResultColumn("name", oids.TEXT))
NUMBER = (ResultColumn("n", oids.INT8),)


class Backend:
    """Answers: ``select <int>``, ``items``, ``count <n>``, ``insert``, ``fail <sqlstate>``,
    ``crash``, ``wait`` (a Deferred the test fires), ``param`` (echoes parameters)."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.waiting: list[Deferred[Any]] = []
        self.cancelled: list[str] = []
        self.session: Any = None
        self.lost = False
        self.rows: Iterable[Any] | None = None

    def connection_made(self, session: Any) -> None:
        self.session = session

    def connection_lost(self) -> None:
        self.lost = True

    def transaction(self, command: str, savepoint: str | None = None) -> None:
        self.calls.append(("transaction", command, savepoint))

    def _columns(self, sql: str) -> tuple[ResultColumn, ...] | None:
        word = sql.split()[0].lower()
        if word == "select":
            return (ResultColumn("?column?", oids.INT4),)
        if word == "items":
            return ITEMS
        if word in ("count", "rows"):
            return NUMBER
        if word == "param":
            return (ResultColumn("p", oids.TEXT),)
        return None

    def describe(self, sql: str, param_oids: Any) -> StatementDescription:
        self.calls.append(("describe", sql, tuple(param_oids)))
        if sql.startswith("fail"):
            raise PostgresError("cannot describe", "42601")
        params = (oids.INT4,) * len(param_oids) if sql.startswith("select") else ()
        return StatementDescription(params, self._columns(sql))

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        self.calls.append(("execute", sql, tuple(params)))
        words = sql.split()
        word = words[0].lower()
        if word == "select":
            value = params[0] if words[1].startswith("$") else int(words[1])
            return QueryResult(self._columns(sql), [(value,)])
        if word == "items":
            return QueryResult(ITEMS, [(1, "one"), (2, "two"), (3, None)])
        if word == "count":
            return QueryResult(NUMBER, ((i,) for i in range(int(words[1]))))
        if word == "rows":
            return QueryResult(NUMBER, self.rows or ())
        if word == "param":
            return QueryResult(self._columns(sql), [(repr(value),) for value in params])
        if word == "insert":
            return QueryResult(rowcount=1)
        if word == "fail":
            raise PostgresError("it failed", words[1], detail="details", hint="a hint")
        if word == "crash":
            raise RuntimeError("backend bug")
        if word == "wait":
            waiting: Deferred[Any] = Deferred(lambda _: self.cancelled.append(sql))
            self.waiting.append(waiting)
            return waiting
        return QueryResult()


class Client:
    """The frontend side of one in-memory connection."""

    def __init__(
        self,
        factory: PostgresServerFactory | None = None,
        backend_factory: Callable[[], Any] = Backend,
        transport: StringTransport | None = None,
        **options: Any,
    ) -> None:
        self.reactor: Any = options.pop("reactor", None) or MemoryReactorClock()
        self.factory = factory or PostgresServerFactory(
            backend_factory, reactor=self.reactor, **options
        )
        address: Any = IPv4Address("TCP", "127.0.0.1", 40000)
        self.protocol = self.factory.buildProtocol(address)
        self.transport = transport or StringTransport(peerAddress=address)
        self.protocol.makeConnection(self.transport)
        self._read = 0
        self._buffer = MessageBuffer(message_limits(BACKEND_LARGE_MESSAGES, 2**30))

    @property
    def backend(self) -> Any:
        return self.protocol.backend

    @property
    def session(self) -> Any:
        return self.protocol.session

    @property
    def closed(self) -> bool:
        return self.transport.disconnecting

    def send(self, *messages: m.FrontendMessage | bytes) -> None:
        wire = b"".join(
            message if isinstance(message, bytes) else message.encode() for message in messages
        )
        self.protocol.dataReceived(wire)

    def raw(self) -> bytes:
        data = self.transport.value()[self._read :]
        self._read += len(data)
        return data

    def received(self) -> list[m.BackendMessage]:
        self._buffer.feed(self.raw())
        found = []
        while (cut := self._buffer.next_message()) is not None:
            found.append(m.decode_backend(*cut))
        return found

    def startup(self, user: str = "alice", **parameters: str) -> list[m.BackendMessage]:
        self.send(m.StartupMessage({"user": user, "database": "db", **parameters}))
        return self.received()

    def query(self, sql: str) -> list[m.BackendMessage]:
        self.send(m.Query(sql))
        return self.received()

    def disconnect(self) -> None:
        self.protocol.connectionLost(connectionDone)


def connected(**options: Any) -> Client:
    client = Client(**options)
    answers = client.startup()
    assert answers[-1] == m.ReadyForQuery(m.TransactionStatus.IDLE), answers
    return client


def kinds(messages: list[m.BackendMessage]) -> list[str]:
    """Compact names: ``RowDescription`` ... ``CommandComplete:SELECT 1`` ``Z:I``."""
    names = []
    for message in messages:
        if isinstance(message, m.CommandComplete):
            names.append(f"C:{message.tag}")
        elif isinstance(message, m.ReadyForQuery):
            names.append(f"Z:{message.status.value}")
        elif isinstance(message, m.ErrorResponse | m.NoticeResponse):
            names.append(f"{type(message).__name__[0]}:{message.sqlstate}")
        else:
            names.append(type(message).__name__)
    return names


def status(messages: list[m.BackendMessage]) -> str:
    last = messages[-1]
    assert isinstance(last, m.ReadyForQuery)
    return last.status.value


def errors(messages: list[m.BackendMessage]) -> list[m.ErrorResponse]:
    return [message for message in messages if isinstance(message, m.ErrorResponse)]


@pytest.fixture
def logged() -> Iterable[list[dict[str, Any]]]:
    events: list[dict[str, Any]] = []
    observer: Any = events.append
    globalLogPublisher.addObserver(observer)
    yield events
    globalLogPublisher.removeObserver(observer)


# -- startup ------------------------------------------------------------------------------

REPORTED_AT_STARTUP = [
    ("application_name", ""),
    ("client_encoding", "UTF8"),
    ("DateStyle", "ISO, MDY"),
    ("default_transaction_read_only", "off"),
    ("in_hot_standby", "off"),
    ("integer_datetimes", "on"),
    ("IntervalStyle", "postgres"),
    ("is_superuser", "on"),
    ("server_encoding", "UTF8"),
    ("server_version", "15.18"),
    ("session_authorization", "alice"),
    ("standard_conforming_strings", "on"),
    ("TimeZone", "UTC"),
]


def test_startup_sends_what_postgresql_15_sends() -> None:
    client = Client()
    answers = client.startup()
    assert answers[0] == m.AuthenticationOk()
    statuses = [(a.name, a.value) for a in answers if isinstance(a, m.ParameterStatus)]
    assert statuses == REPORTED_AT_STARTUP
    key = answers[-2]
    assert isinstance(key, m.BackendKeyData) and len(key.secret_key) == 4
    assert key.process_id == client.session.process_id > 0
    assert answers[-1] == m.ReadyForQuery()
    assert client.session.user == "alice" and client.session.database == "db"
    assert client.backend.session is client.session


def test_startup_parameters_and_options_are_applied() -> None:
    client = Client(parameters={"TimeZone": "Europe/Paris"}, server_version="16.1")
    answers = client.startup(
        application_name="psql",
        client_encoding="'utf-8'",
        DateStyle="iso, dmy",
        options="-c search_path=app,public --statement-timeout=5s -cwork_mem=8MB",
    )
    statuses = {a.name: a.value for a in answers if isinstance(a, m.ParameterStatus)}
    assert statuses["application_name"] == "psql"
    assert statuses["client_encoding"] == "UTF8"
    assert statuses["DateStyle"] == "ISO, DMY"
    assert statuses["TimeZone"] == "Europe/Paris"
    assert statuses["server_version"] == "16.1"
    settings = client.session.settings
    assert settings.get("search_path") == "app,public"
    assert settings.get("statement_timeout") == "5s"
    assert settings.get("work_mem") == "8MB"
    assert settings.get("server_version_num") == "160001"
    # RESET goes back to the startup value, not the built-in default.
    answers = client.query("SET search_path = x; RESET search_path; SHOW search_path")
    assert answers[-3] == m.DataRow((b"app,public",))


@pytest.mark.parametrize(
    ("parameters", "sqlstate", "message"),
    [
        ({"bogus": "1"}, "42704", 'unrecognized configuration parameter "bogus"'),
        ({"TimeZone": "Mars/Base"}, "22023", 'invalid value for parameter "TimeZone": "Mars/Base"'),
        ({"options": "-x"}, "42601", "invalid command-line argument for server process: -x"),
        ({"client_encoding": "klingon"}, "22023", "invalid value for parameter"),
    ],
)
def test_bad_startup_settings_are_fatal(
    parameters: dict[str, str], sqlstate: str, message: str
) -> None:
    client = Client()
    answers = client.startup(**parameters)
    assert answers[0] == m.AuthenticationOk()
    error = answers[-1]
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", sqlstate)
    assert message in error.message
    assert client.closed


def test_no_user_is_fatal_28000() -> None:
    client = Client()
    client.send(m.StartupMessage({"database": "db"}))
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse)
    assert error.sqlstate == "28000"
    assert error.message == "no PostgreSQL user name specified in startup packet"
    assert client.closed


def test_newer_protocol_gets_negotiate_protocol_version_first() -> None:
    client = Client()
    client.send(m.StartupMessage({"user": "u", "_pq_.compression": "on"}, m.PROTOCOL_3_2))
    answers = client.received()
    assert answers[0] == m.NegotiateProtocolVersion(m.PROTOCOL_3_0, ("_pq_.compression",))
    assert answers[1] == m.AuthenticationOk()
    assert answers[-1] == m.ReadyForQuery()


def test_protocol_2_is_refused() -> None:
    client = Client()
    client.send(m.StartupMessage({"user": "u"}, 2 << 16))
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", "0A000")
    assert client.closed


def test_ssl_and_gss_requests_refused_without_tls() -> None:
    client = Client()
    client.send(m.GSSENCRequest())
    assert client.raw() == b"N"
    client.send(m.SSLRequest())
    assert client.raw() == b"N"
    assert client.startup()[-1] == m.ReadyForQuery()


def test_plaintext_pipelined_after_ssl_request_is_fatal() -> None:
    client = Client()
    client.send(m.SSLRequest(), m.StartupMessage({"user": "mallory"}))
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse)
    assert error.sqlstate == "08P01"
    assert error.message == "received unencrypted data after SSL request"
    assert client.closed
    assert client.backend is None


def test_startup_timeout_closes_the_connection() -> None:
    client = Client(startup_timeout=5)
    client.reactor.advance(4.9)
    assert not client.closed
    client.reactor.advance(0.2)
    assert client.closed
    assert client.raw() == b""


def test_startup_timeout_during_authentication_is_fatal() -> None:
    from txpostgres_proto.server.credentials import PasswordStore

    client = Client(startup_timeout=5, auth="password", password_store=PasswordStore())
    client.startup()
    client.reactor.advance(6)
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse) and error.sqlstate == "57014"
    assert client.closed


def test_no_timeout_once_authenticated() -> None:
    client = connected(startup_timeout=5)
    client.reactor.advance(100)
    assert not client.closed
    assert client.reactor.getDelayedCalls() == []


def test_oversized_message_is_fatal_08p01() -> None:
    client = connected()
    client.send(b"Q" + (2**30).to_bytes(4, "big"))
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", "08P01")
    assert client.closed


def test_unknown_message_type_is_fatal() -> None:
    client = connected()
    client.send(b"Y\x00\x00\x00\x04")
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse) and error.sqlstate == "08P01"
    assert client.closed


# -- simple query -------------------------------------------------------------------------


def test_simple_query_rows() -> None:
    client = connected()
    answers = client.query("items")
    assert answers == [
        m.RowDescription(
            (
                m.FieldDescription("id", oids.INT4),
                m.FieldDescription("name", oids.TEXT),
            )
        ),
        m.DataRow((b"1", b"one")),
        m.DataRow((b"2", b"two")),
        m.DataRow((b"3", None)),
        m.CommandComplete("SELECT 3"),
        m.ReadyForQuery(),
    ]


def test_one_command_complete_per_statement() -> None:
    client = connected()
    answers = client.query("select 1; insert into t; ;create table x (a int);select 2")
    assert kinds(answers) == [
        "RowDescription",
        "DataRow",
        "C:SELECT 1",
        "C:INSERT 0 1",
        "C:CREATE TABLE",
        "RowDescription",
        "DataRow",
        "C:SELECT 1",
        "Z:I",
    ]


@pytest.mark.parametrize("sql", ["", "  ", ";", ";;", "-- only a comment", "/* c */ ;"])
def test_empty_query(sql: str) -> None:
    client = connected()
    assert kinds(client.query(sql)) == ["EmptyQueryResponse", "Z:I"]


def test_error_skips_the_rest_of_the_query() -> None:
    client = connected()
    answers = client.query("select 1; fail 22012; select 2")
    assert kinds(answers) == ["RowDescription", "DataRow", "C:SELECT 1", "E:22012", "Z:I"]
    error = errors(answers)[0]
    assert error.fields == {
        "S": "ERROR",
        "V": "ERROR",
        "C": "22012",
        "M": "it failed",
        "D": "details",
        "H": "a hint",
    }
    assert [call[1] for call in client.backend.calls] == ["select 1", "fail 22012"]


def test_transaction_status_and_failed_block() -> None:
    client = connected()
    assert kinds(client.query("BEGIN")) == ["C:BEGIN", "Z:T"]
    assert status(client.query("select 1")) == "T"
    assert kinds(client.query("fail 22012")) == ["E:22012", "Z:E"]
    answers = client.query("select 1")
    assert kinds(answers) == ["E:25P02", "Z:E"]
    assert errors(answers)[0].message == (
        "current transaction is aborted, commands ignored until end of transaction block"
    )
    assert kinds(client.query("show DateStyle")) == ["E:25P02", "Z:E"]
    assert kinds(client.query("COMMIT")) == ["C:ROLLBACK", "Z:I"]
    assert client.backend.calls[-1] == ("transaction", "ROLLBACK", None)


def test_transaction_warnings_like_postgresql() -> None:
    client = connected()
    answers = client.query("commit")
    assert kinds(answers) == ["N:25P01", "C:COMMIT", "Z:I"]
    assert answers[0].message == "there is no transaction in progress"  # type: ignore[attr-defined]
    assert answers[0].severity == "WARNING"  # type: ignore[attr-defined]
    answers = client.query("begin; start transaction")
    assert kinds(answers) == ["C:BEGIN", "N:25001", "C:START TRANSACTION", "Z:T"]
    assert kinds(client.query("end")) == ["C:COMMIT", "Z:I"]
    assert kinds(client.query("rollback")) == ["N:25P01", "C:ROLLBACK", "Z:I"]
    assert [call for call in client.backend.calls if call[0] == "transaction"] == [
        ("transaction", "BEGIN", None),
        ("transaction", "COMMIT", None),
    ]


def test_savepoints() -> None:
    client = connected()
    assert kinds(client.query("savepoint a")) == ["E:25P01", "Z:I"]
    answers = client.query("begin; savepoint a; fail 22012")
    assert kinds(answers) == ["C:BEGIN", "C:SAVEPOINT", "E:22012", "Z:E"]
    assert kinds(client.query("rollback to savepoint a")) == ["C:ROLLBACK", "Z:T"]
    assert kinds(client.query("release b")) == ["E:3B001", "Z:E"]
    assert kinds(client.query("rollback to a; release a; commit")) == [
        "C:ROLLBACK",
        "C:RELEASE",
        "C:COMMIT",
        "Z:I",
    ]
    assert ("transaction", "ROLLBACK TO", "a") in client.backend.calls
    assert ("transaction", "RELEASE", "a") in client.backend.calls


def test_backend_exception_is_xx000_and_logged(logged: list[dict[str, Any]]) -> None:
    client = connected()
    answers = client.query("crash")
    assert kinds(answers) == ["E:XX000", "Z:I"]
    assert errors(answers)[0].message == "backend bug"
    assert any(
        "log_failure" in event and isinstance(event["log_failure"].value, RuntimeError)
        for event in logged
    )
    assert not client.closed
    assert kinds(client.query("select 7")) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"]


def test_fatal_postgres_error_from_backend_closes() -> None:
    class Fatal(Backend):
        def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
            raise PostgresError("terminating connection", "57P01", severity="FATAL")

    client = connected(backend_factory=Fatal)
    answers = client.query("select 1")
    assert kinds(answers) == ["E:57P01"]
    assert client.closed


def test_terminate_closes_and_tells_the_backend() -> None:
    client = connected()
    backend = client.backend
    client.send(m.Terminate())
    assert client.closed
    client.disconnect()
    assert backend.lost


def test_pipelined_queries_wait_for_the_pending_one() -> None:
    client = connected()
    client.send(m.Query("wait"), m.Query("select 2"), m.Query("select 3"))
    assert client.received() == []
    [waiting] = client.backend.waiting
    waiting.callback(QueryResult(NUMBER, [(1,)]))
    answers = client.received()
    assert kinds(answers) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"] * 3
    values = [a.values for a in answers if isinstance(a, m.DataRow)]
    assert values == [(b"1",), (b"2",), (b"3",)]


def test_reading_pauses_when_too_much_input_waits() -> None:
    client = connected()
    client.send(m.Query("wait"))
    client.send(m.Query("select 1 -- " + "x" * 600_000))
    assert client.transport.producerState == "producing"
    client.send(m.Query("select 2 -- " + "x" * 600_000))
    assert client.transport.producerState == "paused"
    client.backend.waiting[0].callback(QueryResult())
    assert client.transport.producerState == "producing"


def test_reading_goes_on_while_one_large_message_arrives() -> None:
    client = connected()
    wire = m.Query("select 4 -- " + "x" * 3_000_000).encode()
    for start in range(0, len(wire), 65536):  # the message is incomplete until the last piece
        client.send(wire[start : start + 65536])
        assert client.transport.producerState == "producing"
    assert kinds(client.received()) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"]


def test_disconnect_cancels_the_pending_backend_call() -> None:
    client = connected()
    client.send(m.Query("wait"))
    backend = client.backend
    client.disconnect()
    assert backend.cancelled == ["wait"]
    assert backend.lost


# -- cancel -------------------------------------------------------------------------------


def test_cancel_request_with_the_right_key() -> None:
    client = connected()
    client.send(m.Query("wait"))
    session = client.session
    canceller = Client(factory=client.factory)
    canceller.send(m.CancelRequest(session.process_id, session.secret_key))
    assert canceller.raw() == b""
    assert canceller.closed
    answers = client.received()
    assert kinds(answers) == ["E:57014", "Z:I"]
    assert errors(answers)[0].message == "canceling statement due to user request"
    assert client.backend.cancelled == ["wait"]
    assert kinds(client.query("select 1"))[-1] == "Z:I"


def test_cancel_request_with_a_wrong_key_does_nothing() -> None:
    client = connected()
    client.send(m.Query("wait"))
    session = client.session
    wrong = bytes(byte ^ 1 for byte in session.secret_key)
    canceller = Client(factory=client.factory)
    canceller.send(m.CancelRequest(session.process_id, wrong))
    assert canceller.closed and canceller.raw() == b""
    canceller = Client(factory=client.factory)
    canceller.send(m.CancelRequest(session.process_id + 1, session.secret_key))
    assert client.received() == []
    client.backend.waiting[0].callback(QueryResult(NUMBER, [(5,)]))
    assert kinds(client.received()) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"]


def test_cancel_when_idle_is_ignored() -> None:
    client = connected()
    session = client.session
    Client(factory=client.factory).send(m.CancelRequest(session.process_id, session.secret_key))
    assert kinds(client.query("select 1")) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"]


def test_cancel_key_is_forgotten_after_disconnect() -> None:
    client = connected()
    assert len(client.factory.cancel_registry) == 1
    client.disconnect()
    assert len(client.factory.cancel_registry) == 0
