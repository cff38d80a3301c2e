"""The bugs the server fuzzers (``test_fuzz_protocol.py``, ``test_fuzz_startup.py``) found, each
pinned by a plain example."""

from __future__ import annotations

import struct
from typing import Any

import pytest
from twisted.logger import globalLogPublisher

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.copy_in import CopyParser
from txpostgres_proto.server.copy_options import copy_format
from txpostgres_proto.server.notifications import NotificationHub
from txpostgres_proto.sql import parse_utility
from txpostgres_proto.types import oids

from .test_protocol import Backend, connected, kinds


def test_an_empty_read_is_not_the_end_of_the_stream() -> None:
    # dataReceived(b"") used to reach ServerConnection.receive_data, for which b"" means end of
    # stream: the next real read then raised LocalProtocolError out of dataReceived.
    client = connected()
    client.protocol.dataReceived(b"")
    assert kinds(client.query("select 1")) == ["RowDescription", "DataRow", "C:SELECT 1", "Z:I"]
    assert not client.closed


@pytest.mark.parametrize("type_oid", [oids.BOOL, oids.TEXT, 0])
def test_a_text_parameter_holding_nul_is_refused(type_oid: int) -> None:
    # A NUL in a text parameter reached the 22P02 message quoting the value (encoding that
    # ErrorResponse raised ValueError out of dataReceived) or, for text, the backend: a
    # pg_notify payload with NUL then broke the delivery of the notification.  PostgreSQL
    # refuses such a value at Bind (a text value is a C string there); so does the bind plan
    # a statement keeps for its next Bind.
    client = connected()
    expected = ["ParseComplete", "E:22021", "Z:I"]
    for value in (b"t\0f", b"t", b"\0"):
        client.send(
            m.Parse("", "select $1", (type_oid,)),
            m.Bind("", "", (), (value,), ()),
            m.Execute("", 0),
            m.Sync(),
        )
        answers = client.received()
        if value == b"t":
            assert kinds(answers)[:2] == ["ParseComplete", "BindComplete"]
            continue
        assert kinds(answers) == expected
        error = answers[1]
        assert isinstance(error, m.ErrorResponse)
        assert error.message == 'invalid byte sequence for encoding "UTF8": 0x00'
        assert error.fields["W"] == "unnamed portal parameter $1"
    client.send(
        m.Parse("", "select $1", (type_oid,)),
        m.Bind("", "", (1,), (b"\0\0\0\1",), ()),
        m.Execute("", 0),
        m.Sync(),
    )
    assert "E:22021" not in kinds(client.received())


class CarelessBackend(Backend):
    """Errors and notices with NUL characters and a malformed SQLSTATE."""

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        if sql == "careless error":
            raise PostgresError("bad\0value", "2201", detail="a\0b")
        if sql == "careless notice":
            self.session.notice("look\0here", "0100")
        return super().execute(sql, params, param_oids)


def test_errors_and_notices_are_made_sendable() -> None:
    client = connected(backend_factory=CarelessBackend)
    answers = client.query("careless error")
    assert kinds(answers) == ["E:XX000", "Z:I"]
    error = answers[0]
    assert isinstance(error, m.ErrorResponse)
    assert (error.message, error.fields["D"]) == ("bad\\0value", "a\\0b")
    answers = client.query("careless notice")
    assert kinds(answers) == ["N:XX000", "C:CARELESS", "Z:I"]
    notice = answers[0]
    assert isinstance(notice, m.NoticeResponse)
    assert notice.message == "look\\0here"
    assert not client.closed


class Notifier(Backend):
    """``announce <payload>`` queues a notification on channel ``c`` through the session (as a
    backend's ``pg_notify`` does)."""

    def execute(self, sql: str, params: Any, param_oids: Any) -> Any:
        if sql.startswith("announce "):
            self.session.notify("c", sql[len("announce ") :].replace("NUL", "\0"))
            return None
        return super().execute(sql, params, param_oids)


def test_a_notification_that_cannot_be_sent_is_refused() -> None:
    client = connected(backend_factory=Notifier)
    answers = client.query("announce aNULb")
    assert kinds(answers) == ["E:22021", "Z:I"]


def test_a_failing_listener_does_not_hurt_the_notifier_or_other_listeners() -> None:
    hub = NotificationHub()
    delivered: list[tuple[int, str, str]] = []

    class Broken:
        def deliver_notification(self, process_id: int, channel: str, payload: str) -> None:
            raise RuntimeError("listener bug")

    class Working:
        def deliver_notification(self, process_id: int, channel: str, payload: str) -> None:
            delivered.append((process_id, channel, payload))

    logged: list[dict[str, Any]] = []
    hub.listen("c", Broken())
    hub.listen("c", Working())
    observer: Any = logged.append
    globalLogPublisher.addObserver(observer)
    try:
        hub.notify(7, "c", "hello")
    finally:
        globalLogPublisher.removeObserver(observer)
    assert delivered == [(7, "c", "hello")]
    assert [str(event["log_failure"].value) for event in logged if "log_failure" in event] == [
        "listener bug"
    ]


def test_a_binary_copy_header_with_a_negative_extension_length_is_refused() -> None:
    # The header extension length was used as is: a negative one made the row loop read at a
    # negative offset (struct.error out of the backend's COPY, logged as a backend crash).
    statement = parse_utility("COPY t FROM STDIN (FORMAT binary)")
    assert statement is not None
    parser = CopyParser(copy_format(statement), "t", ("a",))  # type: ignore[arg-type]
    header = b"PGCOPY\n\xff\r\n\0" + struct.pack("!ii", 0, -65537)
    with pytest.raises(PostgresError) as raised:
        parser.feed(header + b"\xff\xff")
    assert (raised.value.sqlstate, raised.value.message) == (
        "22P04",
        "invalid COPY file header (wrong length)",
    )


def test_nul_in_a_text_value_among_binary_ones_is_refused() -> None:
    client = connected()
    types = (oids.INT4, oids.TEXT)
    for value in (b"a", b"a\0", b"b", b"b\0"):  # the first of each pair makes the bind plan
        client.send(
            m.Parse("s", "select $1", types) if value == b"a" else m.Sync(),
            m.Bind("", "s", (1, 0), (b"\0\0\0\7", value), ()),
            m.Execute("", 0),
            m.Sync(),
        )
        refused = "E:22021" in kinds(client.received())
        assert refused == value.endswith(b"\0"), value


def test_invalid_utf8_in_a_message_is_named_as_postgresql_names_it() -> None:
    client = connected()
    client.send(b"Q\0\0\0\x07\xc3\x28\0")
    [error] = client.received()
    assert isinstance(error, m.ErrorResponse)
    assert (error.severity, error.sqlstate) == ("FATAL", "22021")
    assert error.message == 'invalid byte sequence for encoding "UTF8": 0xc3'
    assert client.closed
