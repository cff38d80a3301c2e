"""The sans-IO client: start-up, authentication, answers matched to requests, COPY, errors.

Backend bytes are built with the codec's own message classes, fed to the client, and the
events checked; frontend bytes the client produces are compared with exact byte strings.
No reactor and no server are involved (the real-server tests live in tests/client).
"""

from __future__ import annotations

from datetime import UTC, tzinfo

import pytest

from txpostgres_proto.protocol.client import NEED_DATA, ProtocolState, SansIOClient
from txpostgres_proto.protocol.client_auth import AuthenticationError
from txpostgres_proto.protocol.client_events import (
    AuthenticationCompleted,
    ConnectionClosed,
    CopyOutData,
    DataRows,
    ExecutionCompleted,
    PreparedStatementInfo,
)
from txpostgres_proto.protocol.client_pipeline import Expect, PreEncoded
from txpostgres_proto.protocol.client_rows import make_run_decoder
from txpostgres_proto.protocol.errors import LocalProtocolError, RemoteProtocolError
from txpostgres_proto.protocol.md5 import md5_response
from txpostgres_proto.protocol.messages import (
    AuthenticationCleartextPassword,
    AuthenticationMD5Password,
    AuthenticationOk,
    AuthenticationSASL,
    AuthenticationSASLContinue,
    AuthenticationSASLFinal,
    BackendKeyData,
    Bind,
    BindComplete,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyInResponse,
    CopyOutResponse,
    DataRow,
    Describe,
    EmptyQueryResponse,
    ErrorResponse,
    Execute,
    FieldDescription,
    NoData,
    NoticeResponse,
    NotificationResponse,
    ParameterDescription,
    ParameterStatus,
    Parse,
    ParseComplete,
    PortalSuspended,
    Query,
    ReadyForQuery,
    RowDescription,
    SASLInitialResponse,
    SASLResponse,
    Sync,
    TransactionStatus,
    decode_frontend,
)
from txpostgres_proto.protocol.scram import ScramError, ScramServer, make_scram_verifier

INT4 = 23
TEXT = 25


def wire(*messages: object) -> bytes:
    return b"".join(message.encode() for message in messages)  # type: ignore[attr-defined]


def drain(client: SansIOClient) -> list[object]:
    events = []
    while (event := client.next_event()) is not NEED_DATA:
        events.append(event)
    return events


def responses(client: SansIOClient) -> list[tuple[object, object]]:
    items = []
    while (item := client.next_response()) is not NEED_DATA:
        items.append(item)
    return items


def frontend_messages(data: bytes) -> list[object]:
    """Decode typed frontend messages (what the client sent)."""
    messages = []
    pos = 0
    while pos < len(data):
        code = data[pos]
        length = int.from_bytes(data[pos + 1 : pos + 5], "big")
        messages.append(decode_frontend(code, data[pos + 5 : pos + 1 + length]))
        pos += 1 + length
    return messages


STARTUP_REPORT = wire(
    ParameterStatus("client_encoding", "UTF8"),
    ParameterStatus("server_version", "15.18"),
    ParameterStatus("TimeZone", "Europe/Berlin"),
    BackendKeyData(4242, b"\x01\x02\x03\x04"),
    ReadyForQuery(TransactionStatus.IDLE),
)


def ready_client(**options: object) -> SansIOClient:
    client = SansIOClient("alice", "shop", **options)  # type: ignore[arg-type]
    client.do_startup()
    client.receive_bytes(wire(AuthenticationOk()) + STARTUP_REPORT)
    drain(client)
    assert client.ready
    return client


ROWS = RowDescription(
    (FieldDescription("id", INT4, format=0), FieldDescription("name", TEXT, format=0))
)


# ----------------------------------------------------------------------------- start-up


def test_startup_message_bytes() -> None:
    client = SansIOClient("alice", "shop", application_name="app")
    data = client.do_startup()
    body = (
        b"\x00\x03\x00\x00user\x00alice\x00database\x00shop\x00application_name\x00app\x00"
        b"client_encoding\x00UTF8\x00\x00"
    )
    assert data == len(body + b"xxxx").to_bytes(4, "big") + body
    assert client.state is ProtocolState.AUTHENTICATING
    with pytest.raises(LocalProtocolError):
        client.do_startup()


def test_trust_startup_events_and_state() -> None:
    client = SansIOClient("alice")
    assert client.database == "alice"
    client.do_startup()
    client.receive_bytes(wire(AuthenticationOk()) + STARTUP_REPORT)
    events = drain(client)
    assert [type(event) for event in events] == [
        AuthenticationOk,
        ParameterStatus,
        ParameterStatus,
        ParameterStatus,
        BackendKeyData,
        AuthenticationCompleted,
        ReadyForQuery,
    ]
    completed = events[5]
    assert isinstance(completed, AuthenticationCompleted)
    assert completed.parameters["server_version"] == "15.18"
    assert (completed.process_id, completed.secret_key) == (4242, b"\x01\x02\x03\x04")
    assert client.ready and not client.dead
    assert client.encoding == "UTF8"
    assert isinstance(client.timezone, tzinfo)
    assert str(client.timezone) == "Europe/Berlin"
    assert client.backend_key == (4242, b"\x01\x02\x03\x04")
    assert client.cancel_request().encode() == (
        b"\x00\x00\x00\x10\x04\xd2\x16\x2e\x00\x00\x10\x92\x01\x02\x03\x04"
    )


@pytest.mark.parametrize("setting", ["No/Such_Zone", "../../etc/passwd", "", "<+03>-03"])
def test_unknown_time_zone_setting_is_not_an_error(setting: str) -> None:
    client = ready_client()
    client.receive_bytes(wire(ParameterStatus("TimeZone", setting)))
    assert drain(client) == [ParameterStatus("TimeZone", setting)]
    assert client.timezone is None
    assert client.server_parameters["TimeZone"] == setting


def test_time_zone_resolver_is_pluggable() -> None:
    client = ready_client(timezone_resolver=lambda name: UTC if name == "<+00>-00" else None)
    client.receive_bytes(wire(ParameterStatus("TimeZone", "<+00>-00")))
    drain(client)
    assert client.timezone is UTC


def test_cleartext_password_is_nul_terminated() -> None:
    client = SansIOClient("alice", "shop", "s3cret")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationCleartextPassword()))
    assert isinstance(drain(client)[0], AuthenticationCleartextPassword)
    assert client.get_needed_synchronisation() == b"p\x00\x00\x00\x0bs3cret\x00"
    assert client.get_needed_synchronisation() == b""


def test_md5_password() -> None:
    client = SansIOClient("alice", "shop", "s3cret")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationMD5Password(b"abcd")))
    drain(client)
    expected = md5_response("alice", "s3cret", b"abcd").encode() + b"\x00"
    sent = client.data_to_send()
    assert sent == b"p" + (len(expected) + 4).to_bytes(4, "big") + expected


def test_password_requested_without_one() -> None:
    client = SansIOClient("alice", "shop")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationMD5Password(b"abcd")))
    with pytest.raises(AuthenticationError, match="no password"):
        drain(client)
    assert client.dead and client.state is ProtocolState.FAILED
    with pytest.raises(AuthenticationError):
        client.next_event()


def scram_exchange(client: SansIOClient, password: str, tamper: bool = False) -> None:
    server = ScramServer(make_scram_verifier(password, iterations=64))
    client.do_startup()
    client.receive_bytes(wire(AuthenticationSASL(server.mechanisms)))
    drain(client)
    (initial,) = frontend_messages(client.data_to_send())
    initial = SASLInitialResponse.from_payload(initial.payload)  # type: ignore[attr-defined]
    assert initial.mechanism == "SCRAM-SHA-256"
    assert initial.data is not None
    server_first = server.handle_client_first(initial.mechanism, initial.data)
    client.receive_bytes(wire(AuthenticationSASLContinue(server_first)))
    drain(client)
    (final,) = frontend_messages(client.data_to_send())
    final = SASLResponse.from_payload(final.payload)  # type: ignore[attr-defined]
    server_final = server.handle_client_final(final.data)
    assert server.authenticated
    if tamper:
        server_final = server_final[:-4] + (b"AAA=" if server_final[-4:] != b"AAA=" else b"BBB=")
    client.receive_bytes(wire(AuthenticationSASLFinal(server_final), AuthenticationOk()))


def test_scram_authentication_succeeds() -> None:
    client = SansIOClient("alice", "shop", "pencil")
    scram_exchange(client, "pencil")
    client.receive_bytes(STARTUP_REPORT)
    events = drain(client)
    assert isinstance(events[-1], ReadyForQuery)
    assert client.ready


def test_scram_server_signature_is_verified() -> None:
    client = SansIOClient("alice", "shop", "pencil")
    scram_exchange(client, "pencil", tamper=True)
    with pytest.raises(ScramError, match="signature"):
        drain(client)
    assert client.dead


def test_scram_ok_without_server_final_is_refused() -> None:
    client = SansIOClient("alice", "shop", "pencil")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationSASL(("SCRAM-SHA-256",)), AuthenticationOk()))
    with pytest.raises(ScramError, match="before proving"):
        drain(client)


@pytest.mark.parametrize(
    "request_message",
    [AuthenticationCleartextPassword(), AuthenticationMD5Password(b"salt")],
)
def test_channel_binding_require_refuses_password_methods(request_message: object) -> None:
    client = SansIOClient("alice", "shop", "pw", channel_binding="require")
    client.do_startup()
    client.receive_bytes(wire(request_message))
    with pytest.raises(AuthenticationError, match="channel binding required"):
        drain(client)


def test_channel_binding_require_refuses_trust() -> None:
    client = SansIOClient("alice", "shop", "pw", channel_binding="require")
    client.do_startup()
    client.receive_bytes(wire(AuthenticationOk()))
    with pytest.raises(AuthenticationError, match="channel binding required"):
        drain(client)


def test_startup_error_is_an_event_then_the_client_is_dead() -> None:
    client = SansIOClient("alice", "shop", "pw")
    client.do_startup()
    fatal = ErrorResponse({"S": "FATAL", "V": "FATAL", "C": "28P01", "M": "bad password"})
    client.receive_bytes(wire(fatal))
    assert client.next_event() == fatal
    assert client.dead
    with pytest.raises(RemoteProtocolError, match="bad password"):
        client.next_event()


# ----------------------------------------------------------------------------- queries


def test_multi_statement_simple_query_delivers_every_result_set() -> None:
    client = ready_client()
    assert client.do_simple_query("SELECT 1; SELECT 2; CREATE TABLE t ()") == wire(
        Query("SELECT 1; SELECT 2; CREATE TABLE t ()")
    )
    assert client.state is ProtocolState.BUSY
    client.receive_bytes(
        wire(
            ROWS,
            DataRow((b"1", b"a")),
            CommandComplete("SELECT 1"),
            ROWS,
            DataRow((b"2", None)),
            DataRow((b"3", b"c")),
            CommandComplete("SELECT 2"),
            CommandComplete("CREATE TABLE"),
            ReadyForQuery(TransactionStatus.IDLE),
        )
    )
    events = drain(client)
    assert [type(event).__name__ for event in events] == [
        "RowDescription",
        "DataRow",
        "CommandComplete",
        "RowDescription",
        "DataRow",
        "DataRow",
        "CommandComplete",
        "CommandComplete",
        "ReadyForQuery",
    ]
    assert events[5] == DataRow((b"3", b"c"))
    assert client.ready


def test_simple_query_error_then_ready() -> None:
    client = ready_client()
    client.do_simple_query("SELECT 1/0")
    error = ErrorResponse({"S": "ERROR", "C": "22012", "M": "division by zero"})
    client.receive_bytes(wire(error, ReadyForQuery(TransactionStatus.IDLE)))
    assert drain(client) == [error, ReadyForQuery(TransactionStatus.IDLE)]
    assert client.ready


def test_prepared_statement_info_and_bind_execute() -> None:
    client = ready_client()
    data = client.do_create_prepared_statement("s1", "SELECT $1::int")
    assert frontend_messages(data) == [
        Parse("s1", "SELECT $1::int"),
        Describe("S", "s1"),
        Sync(),
    ]
    client.receive_bytes(
        wire(
            ParseComplete(),
            ParameterDescription((INT4,)),
            ROWS,
            ReadyForQuery(TransactionStatus.IDLE),
        )
    )
    events = drain(client)
    assert events[:2] == [ParseComplete(), ParameterDescription((INT4,))]
    info = events[2]
    assert isinstance(info, PreparedStatementInfo)
    assert (info.name, info.query, info.parameter_oids) == ("s1", "SELECT $1::int", (INT4,))
    assert info.columns == ROWS.fields
    data = client.do_bind_execute(info, ["41"])
    assert frontend_messages(data) == [
        Bind("", "s1", (), (b"41",), ()),
        Execute("", 0),
        Sync(),
    ]
    with pytest.raises(LocalProtocolError):
        client.do_bind_execute(info, [])


def test_statement_without_rows_gives_info_with_no_row_description() -> None:
    client = ready_client()
    client.do_create_prepared_statement("", "CREATE TABLE t ()")
    client.receive_bytes(wire(ParseComplete(), ParameterDescription(()), NoData(), ReadyForQuery()))
    info = drain(client)[2]
    assert isinstance(info, PreparedStatementInfo)
    assert info.row_description is None and info.columns == ()


def test_pipelined_requests_get_their_own_answers() -> None:
    client = ready_client()
    first = client.submit([Query("SELECT 1")], owner="first")
    second = client.submit([Bind("", "s"), Execute("", 2), Sync()], owner="second")
    third = client.submit([Parse("x", "BAD"), Bind("", "x"), Execute(), Sync()], owner="third")
    fourth = client.submit([Query("SELECT 4")], owner="fourth")
    assert client.in_flight == 9
    client.receive_bytes(
        wire(
            ROWS,
            DataRow((b"1", b"a")),
            CommandComplete("SELECT 1"),
            ReadyForQuery(),
            BindComplete(),
            DataRow((b"2", b"b")),
            DataRow((b"3", b"c")),
            PortalSuspended(),
            ReadyForQuery(TransactionStatus.IN_TRANSACTION),
            ErrorResponse({"S": "ERROR", "C": "42601", "M": "syntax error"}),
            ReadyForQuery(TransactionStatus.IN_TRANSACTION),
            EmptyQueryResponse(),
            ReadyForQuery(TransactionStatus.FAILED),
        )
    )
    items = responses(client)
    owners = [request.owner for request, _ in items]  # type: ignore[attr-defined]
    assert owners == ["first"] * 4 + ["second"] * 5 + ["third"] * 2 + ["fourth"] * 2
    assert all(request.done for request in (first, second, third, fourth))
    assert client.transaction_status is TransactionStatus.FAILED
    assert client.ready


def test_error_in_extended_group_skips_to_its_sync_only() -> None:
    client = ready_client()
    failing = client.submit([Parse("", "BAD"), Describe("S", ""), Bind("", ""), Execute(), Sync()])
    after = client.submit([Bind("", "ok"), Execute(), Sync()])
    error = ErrorResponse({"S": "ERROR", "C": "42601", "M": "syntax error"})
    client.receive_bytes(wire(error, ReadyForQuery()))
    assert [event for _, event in responses(client)] == [error, ReadyForQuery()]
    assert failing.done and not after.done
    client.receive_bytes(wire(BindComplete(), CommandComplete("SELECT 0"), ReadyForQuery()))
    assert [request for request, _ in responses(client)] == [after] * 3
    assert client.ready


def test_run_decoder_batches_rows_and_async_messages_interleave() -> None:
    client = ready_client()
    decoder = make_run_decoder(["id", "name"], [lambda data: int(data), lambda data: data.decode()])
    request = client.submit([Query("SELECT")], row_decoder=decoder)
    notice = NoticeResponse({"S": "NOTICE", "C": "00000", "M": "hello"})
    notification = NotificationResponse(7, "chan", "payload")
    client.receive_bytes(
        wire(
            ROWS,
            DataRow((b"1", b"a")),
            DataRow((b"2", None)),
            notice,
            DataRow((b"3", b"c")),
            notification,
            ParameterStatus("TimeZone", "UTC"),
            CommandComplete("SELECT 3"),
            ReadyForQuery(),
        )
    )
    items = responses(client)
    assert [(owner is request, type(event).__name__) for owner, event in items] == [
        (True, "RowDescription"),
        (True, "DataRows"),
        (False, "NoticeResponse"),
        (True, "DataRows"),
        (False, "NotificationResponse"),
        (False, "ParameterStatus"),
        (True, "CommandComplete"),
        (True, "ReadyForQuery"),
    ]
    batches = [event for _, event in items if isinstance(event, DataRows)]
    assert [tuple(row) for row in batches[0].rows] == [(1, "a"), (2, None)]
    assert batches[1].rows[0]["name"] == "c"
    assert items[2][0] is None and items[4][0] is None
    assert client.server_parameters["TimeZone"] == "UTC"


def test_data_row_without_row_description_in_simple_query_is_a_protocol_error() -> None:
    client = ready_client()
    client.submit([Query("SELECT")])
    client.receive_bytes(wire(DataRow((b"1",))))
    with pytest.raises(RemoteProtocolError):
        drain(client)
    assert client.state is ProtocolState.FAILED


# ----------------------------------------------------------------------------- COPY


def test_copy_out_events_and_batches() -> None:
    client = ready_client()
    plain = client.submit([Query("COPY t TO STDOUT")])
    batched = client.submit([Query("COPY t TO STDOUT")], batch_copy=True)
    copy = [CopyOutResponse(0, (0,)), CopyData(b"1\n"), CopyData(b"2\n"), CopyDone()]
    client.receive_bytes(wire(*copy, CommandComplete("COPY 2"), ReadyForQuery()))
    client.receive_bytes(wire(*copy, CommandComplete("COPY 2"), ReadyForQuery()))
    items = responses(client)
    first = [event for request, event in items if request is plain]
    assert first == [*copy, CommandComplete("COPY 2"), ReadyForQuery()]
    second = [event for request, event in items if request is batched]
    assert second[1] == CopyOutData(b"1\n2\n")
    assert second[2] == CopyDone()
    assert client.ready


def test_copy_in_from_simple_query() -> None:
    client = ready_client()
    client.submit([Query("COPY t FROM STDIN")])
    client.data_to_send()
    with pytest.raises(LocalProtocolError):
        client.send_copy_data(b"early")
    client.receive_bytes(wire(CopyInResponse(0, (0, 0))))
    assert drain(client) == [CopyInResponse(0, (0, 0))]
    assert client.state is ProtocolState.COPY_IN
    with pytest.raises(LocalProtocolError):
        client.submit([Query("SELECT 1")])
    client.send_copy_data(b"1\tone\n")
    client.send_copy_done()
    assert client.data_to_send() == wire(CopyData(b"1\tone\n"), CopyDone())
    client.receive_bytes(wire(CommandComplete("COPY 1"), ReadyForQuery()))
    assert drain(client) == [CommandComplete("COPY 1"), ReadyForQuery()]
    assert client.ready


def test_copy_in_from_execute_resends_sync() -> None:
    client = ready_client()
    client.submit([Bind("", "copy"), Execute(), Sync()])
    client.data_to_send()
    client.receive_bytes(wire(BindComplete(), CopyInResponse(0, ())))
    drain(client)
    client.send_copy_fail("no data here")
    assert client.data_to_send() == wire(*[_copy_fail("no data here")], Sync())
    error = ErrorResponse({"S": "ERROR", "C": "57014", "M": "COPY from stdin failed"})
    client.receive_bytes(wire(error, ReadyForQuery()))
    assert drain(client) == [error, ReadyForQuery()]
    assert client.ready


def test_error_during_copy_in_from_execute_resends_sync() -> None:
    client = ready_client()
    client.submit([Bind("", "copy"), Execute(), Sync()])
    client.data_to_send()
    client.receive_bytes(wire(BindComplete(), CopyInResponse(0, ())))
    drain(client)
    client.send_copy_data(b"bad data\n")
    error = ErrorResponse({"S": "ERROR", "C": "22P02", "M": "invalid input"})
    client.receive_bytes(wire(error))
    assert drain(client) == [error]
    assert client.data_to_send() == wire(CopyData(b"bad data\n"), Sync())
    with pytest.raises(LocalProtocolError):
        client.send_copy_done()
    client.receive_bytes(wire(ReadyForQuery()))
    assert drain(client) == [ReadyForQuery()]
    assert client.ready


def _copy_fail(message: str) -> object:
    from txpostgres_proto.protocol.messages import CopyFail

    return CopyFail(message)


# ----------------------------------------------------------------------------- failures


def test_unknown_backend_message_is_a_remote_protocol_error() -> None:
    client = ready_client()
    client.submit([Query("SELECT 1")])
    client.receive_bytes(b"!\x00\x00\x00\x04")
    with pytest.raises(RemoteProtocolError):
        client.next_event()
    assert client.dead
    with pytest.raises(RemoteProtocolError):
        client.next_event()


def test_answer_nobody_asked_for_is_a_remote_protocol_error() -> None:
    client = ready_client()
    client.receive_bytes(wire(BindComplete()))
    with pytest.raises(RemoteProtocolError, match="unexpected message type '2' in state ready"):
        client.next_event()


def test_answer_of_the_wrong_kind_is_a_remote_protocol_error() -> None:
    client = ready_client()
    client.submit([Parse("", "SELECT 1"), Sync()])
    client.receive_bytes(wire(BindComplete()))
    with pytest.raises(RemoteProtocolError, match="waiting for the answer to PARSE"):
        client.next_event()


def test_fatal_error_ends_the_connection() -> None:
    client = ready_client()
    request = client.submit([Query("SELECT pg_sleep(10)")])
    fatal = ErrorResponse({"S": "FATAL", "V": "FATAL", "C": "57P01", "M": "terminating"})
    client.receive_bytes(wire(fatal))
    assert client.next_response() == (request, fatal)
    assert client.dead
    with pytest.raises(RemoteProtocolError, match="terminating"):
        client.next_event()


def test_end_of_stream() -> None:
    client = ready_client()
    client.receive_bytes(b"")
    assert client.next_event() == ConnectionClosed()
    assert client.state is ProtocolState.CLOSED and client.dead


def test_end_of_stream_inside_a_message() -> None:
    client = ready_client()
    client.submit([Query("SELECT 1")])
    client.receive_bytes(wire(CommandComplete("SELECT 1"))[:-2])
    client.receive_bytes(b"")
    with pytest.raises(RemoteProtocolError, match="middle of a message"):
        client.next_event()


def test_oversized_length_is_refused_before_the_body_arrives() -> None:
    client = ready_client()
    client.submit([Query("SELECT 1")])
    client.receive_bytes(b"Z\x7f\xff\xff\xff")
    with pytest.raises(RemoteProtocolError, match="too large"):
        client.next_event()


def test_terminate_waits_for_requests_in_flight() -> None:
    client = ready_client()
    client.submit([Query("SELECT 1")])
    assert client.do_terminate().endswith(b"X\x00\x00\x00\x04")
    assert client.state is ProtocolState.BUSY
    with pytest.raises(LocalProtocolError):
        client.submit([Query("SELECT 2")])
    client.receive_bytes(wire(CommandComplete("SELECT 0"), ReadyForQuery()))
    drain(client)
    assert client.state is ProtocolState.TERMINATED and client.dead
    with pytest.raises(LocalProtocolError):
        client.do_terminate()


def test_quiet_requests_skip_routine_answers_and_count_rows() -> None:
    client = ready_client()
    pairs = b"".join(Bind("", "s").encode() + Execute().encode() for _ in range(3))
    batch = client.submit(
        [PreEncoded(pairs, (Expect.BIND, Expect.EXECUTE) * 3), Sync()], quiet=True
    )
    after = client.submit([Query("SELECT 1")])
    answers = wire(
        BindComplete(),
        CommandComplete("INSERT 0 1"),
        BindComplete(),
        CommandComplete("UPDATE 5"),
        NoticeResponse({"S": "NOTICE", "M": "in between"}),
        BindComplete(),
        CommandComplete("CREATE TABLE"),
        ReadyForQuery(),
        ROWS,
        CommandComplete("SELECT 0"),
        ReadyForQuery(),
    )
    for cut in range(1, len(answers)):  # every split point gives the same result
        fresh = ready_client()
        fresh_batch = fresh.submit(
            [PreEncoded(pairs, (Expect.BIND, Expect.EXECUTE) * 3), Sync()], quiet=True
        )
        fresh.submit([Query("SELECT 1")])
        fresh.receive_bytes(answers[:cut])
        seen = responses(fresh)
        fresh.receive_bytes(answers[cut:])
        seen += responses(fresh)
        assert [type(event).__name__ for _, event in seen] == [
            "NoticeResponse",
            "ReadyForQuery",
            "RowDescription",
            "CommandComplete",
            "ReadyForQuery",
        ]
        assert fresh_batch.rowcount == 6 and fresh_batch.done
    client.receive_bytes(answers)
    events = responses(client)
    assert [request for request, _ in events] == [None, batch, after, after, after]
    assert batch.rowcount == 6


@pytest.mark.parametrize(
    "answer", [b"2\x00\x00\x00\x05x", b"C\x00\x00\x00\x06ab", b"C\x00\x00\x00\x07a\x00b"]
)
def test_quiet_requests_check_what_they_skip(answer: bytes) -> None:
    client = ready_client()
    client.submit([PreEncoded(b"", (Expect.BIND, Expect.EXECUTE)), Sync()], quiet=True)
    client.receive_bytes(wire(BindComplete()) + answer if answer[:1] == b"C" else answer)
    with pytest.raises(RemoteProtocolError):
        drain(client)


def test_quiet_request_errors_are_reported() -> None:
    client = ready_client()
    batch = client.submit([PreEncoded(b"", (Expect.BIND, Expect.EXECUTE) * 2), Sync()], quiet=True)
    error = ErrorResponse({"S": "ERROR", "C": "23505", "M": "duplicate"})
    client.receive_bytes(
        wire(BindComplete(), CommandComplete("INSERT 0 1"), BindComplete(), error, ReadyForQuery())
    )
    assert responses(client) == [(batch, error), (batch, ReadyForQuery())]
    assert batch.rowcount == 1 and batch.done


def test_pre_encoded_messages_keep_their_expectations() -> None:
    client = ready_client()
    pairs = b"".join(Bind("", "s").encode() + Execute().encode() for _ in range(3))
    request = client.submit(
        [PreEncoded(pairs, (Expect.BIND, Expect.EXECUTE) * 3), Sync()], owner="batch"
    )
    assert request.outstanding == 7
    answers = [BindComplete(), CommandComplete("INSERT 0 1")] * 3
    client.receive_bytes(wire(*answers, ReadyForQuery()))
    assert [event for _, event in responses(client)] == [*answers, ReadyForQuery()]
    with pytest.raises(LocalProtocolError):
        client.submit([PreEncoded(b"", (Expect.DESCRIBE_STATEMENT,))])


def test_quiet_requests_skip_runs_of_identical_pairs_at_every_split_point() -> None:
    sets = 40
    expects = (Expect.BIND, Expect.EXECUTE) * sets
    tags = ["INSERT 0 1"] * 17 + ["INSERT 0 0", "INSERT 0 12"] + ["INSERT 0 1"] * (sets - 19)
    answers = wire(*[m for tag in tags for m in (BindComplete(), CommandComplete(tag))])
    answers += wire(ReadyForQuery())
    for cut in range(1, len(answers), 7):
        client = ready_client()
        batch = client.submit([PreEncoded(b"", expects), Sync()], quiet=True)
        client.receive_bytes(answers[:cut])
        seen = responses(client)
        client.receive_bytes(answers[cut:])
        seen += responses(client)
        assert seen == [(batch, ReadyForQuery())]
        assert batch.rowcount == sets - 2 + 12 and batch.done and client.ready


def test_quiet_pairs_stop_where_the_batch_ends() -> None:
    # Two quiet requests back to back: the run of identical pairs of the first one must not
    # swallow the answers of the second one (a separate request, with its own row count).
    client = ready_client()
    first = client.submit([PreEncoded(b"", (Expect.BIND, Expect.EXECUTE) * 2)], quiet=True)
    second = client.submit([PreEncoded(b"", (Expect.BIND, Expect.EXECUTE) * 3), Sync()], quiet=True)
    pair = wire(BindComplete(), CommandComplete("INSERT 0 1"))
    client.receive_bytes(pair * 5 + wire(ReadyForQuery()))
    assert responses(client) == [(second, ReadyForQuery())]
    assert (first.rowcount, first.done) == (2, True)
    assert (second.rowcount, second.done) == (3, True)


# ----------------------------------------------------------------------------- combined answers

INT_ROWS = RowDescription((FieldDescription("n", INT4, format=0),))


def int_decoder() -> object:
    return make_run_decoder(["n"], [lambda data: int(data)])


def execution(client: SansIOClient, decoder: object = None) -> object:
    messages = [Bind("", "s"), Execute(), Sync()]
    return client.submit(messages, row_decoder=decoder, combine=True)  # type: ignore[arg-type]


def test_combined_answer_is_one_event() -> None:
    client = ready_client()
    request = execution(client, int_decoder())
    client.receive_bytes(
        wire(
            BindComplete(),
            DataRow((b"1",)),
            DataRow((b"2",)),
            CommandComplete("SELECT 2"),
            ReadyForQuery(TransactionStatus.IN_TRANSACTION),
        )
    )
    [(owner, event)] = responses(client)
    assert owner is request and isinstance(event, ExecutionCompleted)
    assert [tuple(row) for row in event.rows] == [(1,), (2,)]
    assert event.tag == "SELECT 2" and event.command == CommandComplete("SELECT 2")
    assert event.status is TransactionStatus.IN_TRANSACTION
    assert client.transaction_status is TransactionStatus.IN_TRANSACTION
    assert request.done and client.ready  # type: ignore[attr-defined]


def test_combined_answer_split_anywhere_gives_the_same_rows_and_tag() -> None:
    answers = wire(
        BindComplete(),
        DataRow((b"1",)),
        DataRow((b"22",)),
        CommandComplete("SELECT 2"),
        ReadyForQuery(TransactionStatus.IN_TRANSACTION),
        BindComplete(),
        CommandComplete("UPDATE 0"),
        ReadyForQuery(TransactionStatus.IDLE),
    )
    first_end = answers.index(b"Z") + 6
    for cut in range(1, len(answers)):
        client = ready_client()
        first = execution(client, int_decoder())
        second = execution(client, int_decoder())
        client.receive_bytes(answers[:cut])
        seen = responses(client)
        client.receive_bytes(answers[cut:])
        seen += responses(client)
        for request, tag in ((first, "SELECT 2"), (second, "UPDATE 0")):
            events = [event for owner, event in seen if owner is request]
            rows = [
                tuple(row) for event in events if isinstance(event, DataRows) for row in event.rows
            ]
            tags = [
                event.tag
                for event in events
                if isinstance(event, CommandComplete | ExecutionCompleted)
            ]
            assert tags == [tag]
            assert rows == ([(1,), (22,)] if request is first else [])
            assert request.done  # type: ignore[attr-defined]
        combined = [event for _, event in seen if isinstance(event, ExecutionCompleted)]
        # An answer is one event unless the cut left its BindComplete alone in the first part.
        bind_size = len(BindComplete().encode())
        first_combined = cut < bind_size or cut >= first_end
        second_combined = cut < first_end + bind_size
        assert len(combined) == first_combined + second_combined
        assert client.ready and client.transaction_status is TransactionStatus.IDLE


@pytest.mark.parametrize(
    "middle",
    [
        [NoticeResponse({"S": "NOTICE", "M": "hello"}), CommandComplete("SELECT 1")],
        [PortalSuspended()],
        [EmptyQueryResponse()],
        [ParameterStatus("TimeZone", "UTC"), CommandComplete("SELECT 1")],
    ],
    ids=["notice", "suspended", "empty", "parameter"],
)
def test_anything_unusual_gives_the_usual_events(middle: list[object]) -> None:
    client = ready_client()
    request = execution(client, int_decoder())
    client.receive_bytes(wire(BindComplete(), DataRow((b"7",)), *middle, ReadyForQuery()))
    items = responses(client)
    assert not any(isinstance(event, ExecutionCompleted) for _, event in items)
    assert [type(event).__name__ for owner, event in items if owner is request] == [
        "BindComplete",
        "DataRows",
        *[type(m).__name__ for m in middle if not isinstance(m, NoticeResponse | ParameterStatus)],
        "ReadyForQuery",
    ]
    assert request.done and client.ready  # type: ignore[attr-defined]


def test_error_after_bind_complete_is_reported_as_usual() -> None:
    client = ready_client()
    request = execution(client, int_decoder())
    error = ErrorResponse({"S": "ERROR", "C": "22012", "M": "division by zero"})
    client.receive_bytes(wire(BindComplete(), error, ReadyForQuery()))
    assert responses(client) == [
        (request, BindComplete()),
        (request, error),
        (request, ReadyForQuery()),
    ]


def test_rows_without_a_decoder_are_not_combined() -> None:
    client = ready_client()
    request = execution(client)
    client.receive_bytes(
        wire(BindComplete(), DataRow((b"1",)), CommandComplete("SELECT 1"), ReadyForQuery())
    )
    assert [event for _, event in responses(client)] == [
        BindComplete(),
        DataRow((b"1",)),
        CommandComplete("SELECT 1"),
        ReadyForQuery(),
    ]
    assert request.done  # type: ignore[attr-defined]


def test_without_rows_no_decoder_is_needed() -> None:
    client = ready_client()
    execution(client)
    client.receive_bytes(wire(BindComplete(), CommandComplete("INSERT 0 1"), ReadyForQuery()))
    [(_, event)] = responses(client)
    assert event == ExecutionCompleted([], "INSERT 0 1", TransactionStatus.IDLE)


@pytest.mark.parametrize(
    "messages",
    [
        [BindComplete(), b"C\x00\x00\x00\x07a\x00b", ReadyForQuery()],  # NUL inside the tag
        [BindComplete(), b"C\x00\x00\x00\x06\xff\x00", ReadyForQuery()],  # not UTF-8
        [BindComplete(), CommandComplete("SELECT 0"), b"Z\x00\x00\x00\x05?"],  # bad status
        [BindComplete(), b"D\x00\x00\x00\x02", CommandComplete("SELECT 0"), ReadyForQuery()],
    ],
    ids=["tag-nul", "tag-utf8", "status", "row-length"],
)
def test_malformed_answers_are_reported_by_the_usual_path(messages: list[object]) -> None:
    client = ready_client()
    execution(client, int_decoder())
    data = b"".join(m if isinstance(m, bytes) else m.encode() for m in messages)  # type: ignore[attr-defined]
    client.receive_bytes(data)
    with pytest.raises(RemoteProtocolError):
        drain(client)


def test_combine_only_applies_to_a_closing_bind_execute_sync() -> None:
    client = ready_client()
    simple = client.submit([Query("SELECT 1")], combine=True)
    unsynced = client.submit([Bind("", "s"), Execute()], combine=True)
    prepared = client.submit(
        [Parse("s", "SELECT 1"), Describe("S", "s"), Bind("", "s"), Execute(), Sync()],
        combine=True,
    )
    assert not simple.combine and not unsynced.combine and prepared.combine


def test_statement_description_then_combined_execution() -> None:
    client = ready_client()
    decoder = int_decoder()
    request = client.submit(
        [Parse("s", "SELECT $1"), Describe("S", "s"), Bind("", "s"), Execute(), Sync()],
        row_decoder=decoder,  # type: ignore[arg-type]
        combine=True,
    )
    client.receive_bytes(
        wire(
            ParseComplete(),
            ParameterDescription((INT4,)),
            INT_ROWS,
            BindComplete(),
            DataRow((b"5",)),
            CommandComplete("SELECT 1"),
            ReadyForQuery(),
        )
    )
    kinds = [type(event).__name__ for owner, event in responses(client) if owner is request]
    assert kinds == [
        "ParseComplete",
        "ParameterDescription",
        "PreparedStatementInfo",
        "ExecutionCompleted",
    ]


def test_decoder_failure_leaves_the_rest_to_the_usual_path() -> None:
    client = ready_client()

    def refuse(data: bytes) -> int:
        raise ValueError("no")

    request = execution(client, make_run_decoder(["n"], [refuse]))
    client.receive_bytes(
        wire(BindComplete(), DataRow((b"1",)), CommandComplete("SELECT 1"), ReadyForQuery())
    )
    with pytest.raises(ValueError):
        client.next_response()
    assert client.current_request is request
    assert responses(client) == [
        (request, CommandComplete("SELECT 1")),
        (request, ReadyForQuery()),
    ]
    assert request.done and client.ready  # type: ignore[attr-defined]
