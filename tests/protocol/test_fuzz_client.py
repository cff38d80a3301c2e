"""Property-based fuzzing of the sans-IO client (`SansIOClient`) with what a broken or hostile
server may send.

The client is first brought into one of its states the regular way — authenticating, starting,
idle, waiting for the answers to a simple query, to Parse/Describe/Sync, to a combined
Bind/Execute/Sync (with a run decoder whose columns are decoded inline or by callables), to a
quiet batch, in COPY IN or COPY OUT, terminating — and then fed backend messages with arbitrary
field values (the answers it waits for, and any others) and corruptions of them (truncated
bodies, wrong lengths, unknown type bytes, missing terminators, counts that disagree with the
data), cut into reads at random points, then the end of the stream.  Properties:

* the only exceptions are the library's protocol errors (`ProtocolError`: the server broke the
  protocol, an authentication or SCRAM failure); never IndexError, struct.error,
  UnicodeDecodeError, KeyError ...;
* after such an error the client is dead and says the same again;
* every call returns: a bounded number of events comes out of a bounded input.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Callable
from itertools import pairwise
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.wire import INT16, corrupted, cstring, frame, sized
from txpostgres_proto.protocol.client import NEED_DATA, SansIOClient
from txpostgres_proto.protocol.client_events import ConnectionClosed
from txpostgres_proto.protocol.client_pipeline import EXECUTION, PreEncoded
from txpostgres_proto.protocol.client_row_codes import FIXED_WIDTH_CODES, TEXT_PARSER, UTF8_TEXT
from txpostgres_proto.protocol.client_rows import make_run_decoder
from txpostgres_proto.protocol.errors import ProtocolError
from txpostgres_proto.protocol.messages import (
    AuthenticationOk,
    BackendKeyData,
    Bind,
    CopyInResponse,
    CopyOutResponse,
    Describe,
    Execute,
    ParameterStatus,
    Parse,
    Query,
    ReadyForQuery,
    Sync,
    TransactionStatus,
)

#: ``FUZZ_EXAMPLES=20000`` hunts with fresh random examples; by default a fixed, repeatable set
#: keeps CI fast.
_HUNT = int(os.environ.get("FUZZ_EXAMPLES", "0"))
SETTINGS = settings(
    max_examples=_HUNT or 1000,
    deadline=None,
    derandomize=not _HUNT,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # (The explain phase can take minutes on these inputs; the shrunk example is enough.)
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink],
)
#: More events than any input drawn here can honestly produce: reaching it means a loop.
MAX_EVENTS = 10_000


_INT32 = st.one_of(st.sampled_from([0, 1, 4, -1]), st.integers(-(2**31), 2**31 - 1))
_TEXT = st.one_of(
    st.sampled_from(["", "x", "SELECT 1", "INSERT 0 1", "COPY 3", "TimeZone", "UTC", "UTF8"]),
    st.text(max_size=8),
    st.binary(max_size=8).filter(lambda data: b"\0" not in data),
)
_VALUE = st.one_of(
    st.none(),
    st.sampled_from([b"1", b"x", b"", b"\0\0\0\1", b"\xff\xfe", b"3.5", b"t"]),
    st.binary(max_size=10),
)


@st.composite
def authentications(draw: st.DrawFn) -> bytes:
    code = draw(st.sampled_from([0, 0, 2, 3, 5, 7, 8, 9, 10, 11, 12]) | st.integers(-1, 20))
    if code == 5:
        rest = draw(st.binary(min_size=4, max_size=4) | st.binary(max_size=6))
    elif code == 10:
        names = draw(st.lists(st.sampled_from(["SCRAM-SHA-256", "SCRAM-SHA-256-PLUS", "X"])))
        rest = b"".join(cstring(name) for name in names) + (b"\0" if draw(st.booleans()) else b"")
    elif code in (11, 12):
        rest = draw(
            st.sampled_from([b"r=abc,s=QSXCR+Q6sek8bf92,i=4096", b"v=xyz", b"e=bad", b""])
            | st.binary(max_size=40)
        )
    else:
        rest = draw(st.binary(max_size=4))
    return frame(b"R", struct.pack("!i", code) + rest)


@st.composite
def row_descriptions(draw: st.DrawFn) -> bytes:
    fields = draw(st.lists(st.tuples(_TEXT, INT16, st.sampled_from([0, 1]) | INT16), max_size=3))
    count = draw(st.just(len(fields)) | INT16)
    body = struct.pack("!h", count)
    for name, type_size, fmt in fields:
        body += cstring(name) + struct.pack("!IhIhih", 0, 0, 23, type_size, -1, fmt)
    return frame(b"T", body)


@st.composite
def data_rows(draw: st.DrawFn) -> bytes:
    values = draw(st.lists(_VALUE, max_size=3))
    count = draw(st.just(len(values)) | INT16)
    return frame(b"D", struct.pack("!h", count) + sized(values))


@st.composite
def fields_messages(draw: st.DrawFn) -> bytes:
    code = draw(st.sampled_from([b"E", b"N"]))
    fields = [("S", draw(st.sampled_from(["ERROR", "FATAL", "PANIC", "WARNING", "NOTICE"])))]
    fields.append(("C", draw(st.sampled_from(["42P01", "57P01", "XX000", ""]) | st.text())))
    fields.append(("M", draw(st.text(max_size=8))))
    fields += draw(st.lists(st.tuples(st.characters(codec="latin-1"), st.text(max_size=4))))
    body = b"".join(cstring(key.encode("latin-1"))[:-1] + cstring(value) for key, value in fields)
    return frame(code, body + (b"\0" if draw(st.integers(0, 5)) else b""))


def copy_responses(code: bytes) -> st.SearchStrategy[bytes]:
    return st.builds(
        lambda overall, formats, count: frame(
            code,
            struct.pack("!bh", overall, len(formats) if count is None else count)
            + struct.pack(f"!{len(formats)}h", *formats),
        ),
        st.sampled_from([0, 1]) | st.integers(-128, 127),
        st.lists(st.sampled_from([0, 1]) | INT16, max_size=3),
        st.none() | INT16,
    )


_EMPTY = [b"1", b"2", b"3", b"n", b"s", b"I", b"c"]

MESSAGES = st.one_of(
    authentications(),
    st.builds(lambda n, v: frame(b"S", cstring(n) + cstring(v)), _TEXT, _TEXT),
    st.builds(
        lambda pid, key: frame(b"K", struct.pack("!i", pid) + key),
        _INT32,
        st.binary(min_size=4, max_size=4) | st.binary(max_size=8),
    ),
    st.builds(
        lambda status: frame(b"Z", status),
        st.sampled_from([b"I", b"T", b"E"]) | st.binary(max_size=2),
    ),
    row_descriptions(),
    data_rows(),
    data_rows(),
    st.builds(lambda tag: frame(b"C", cstring(tag)), _TEXT),
    st.builds(lambda code: frame(code, b""), st.sampled_from(_EMPTY)),
    st.builds(
        lambda types: frame(b"t", struct.pack(f"!h{len(types)}I", len(types), *types)),
        st.lists(st.integers(0, 2**32 - 1), max_size=3),
    ),
    fields_messages(),
    st.builds(
        lambda pid, channel, payload: frame(
            b"A", struct.pack("!i", pid) + cstring(channel) + cstring(payload)
        ),
        _INT32,
        _TEXT,
        _TEXT,
    ),
    copy_responses(b"G"),
    copy_responses(b"H"),
    copy_responses(b"W"),
    st.builds(lambda data: frame(b"d", data), st.binary(max_size=12)),
    st.builds(lambda value: frame(b"V", sized([value])), _VALUE),
    st.builds(
        lambda version, names: frame(
            b"v", struct.pack("!ii", version, len(names)) + b"".join(map(cstring, names))
        ),
        _INT32,
        st.lists(_TEXT, max_size=2),
    ),
)

#: The answers a request in flight expects most: rows and their ends, in plausible order.
ANSWERS = st.one_of(
    st.builds(lambda code: frame(code, b""), st.sampled_from([b"1", b"2", b"n"])),
    row_descriptions(),
    data_rows(),
    st.builds(lambda tag: frame(b"C", cstring(tag)), st.sampled_from(["SELECT 1", "INSERT 0 2"])),
    st.just(ReadyForQuery(TransactionStatus.IDLE).encode()),
)


@st.composite
def answer_scripts(draw: st.DrawFn, width: int | None = None) -> list[bytes]:
    """A plausible answer to the request in flight (the rows' values still from anywhere), so
    the fuzzing gets past the first message: rows decoded in runs, combined executions."""
    script = [frame(code, b"") for code in draw(st.sampled_from([[], [b"2"], [b"1", b"2"]]))]
    width = width or draw(st.integers(1, 3))
    if draw(st.booleans()):
        fields = b"".join(
            cstring(f"c{i}") + struct.pack("!IhIhih", 0, 0, 25, -1, -1, 0) for i in range(width)
        )
        script.append(frame(b"T", struct.pack("!h", width) + fields))
    values = st.lists(_VALUE, min_size=width, max_size=width)
    for row in draw(st.lists(values, max_size=6)):
        script.append(frame(b"D", struct.pack("!h", width) + sized(row)))
    script.append(frame(b"C", cstring(draw(st.sampled_from(["SELECT 2", "UPDATE 1", "COPY 1"])))))
    return [*script, ReadyForQuery(TransactionStatus.IDLE).encode()]


STREAMS = st.builds(
    lambda script, rest: [*script, *rest],
    st.just([]) | answer_scripts(),
    st.lists(st.one_of(MESSAGES, ANSWERS, ANSWERS, corrupted(MESSAGES)), max_size=8),
)

# -- the client in each of its states --------------------------------------------------------

STARTUP_REPORT = b"".join(
    message.encode()
    for message in (
        ParameterStatus("client_encoding", "UTF8"),
        ParameterStatus("TimeZone", "UTC"),
        BackendKeyData(7, b"\1\2\3\4"),
        ReadyForQuery(TransactionStatus.IDLE),
    )
)


def _drain(client: SansIOClient) -> None:
    while client.next_response() is not NEED_DATA:
        pass


def authenticating() -> SansIOClient:
    client = SansIOClient("alice", "shop", "secret")
    client.do_startup()
    return client


def starting() -> SansIOClient:
    client = authenticating()
    client.receive_bytes(AuthenticationOk().encode())
    _drain(client)
    return client


def ready() -> SansIOClient:
    client = starting()
    client.receive_bytes(STARTUP_REPORT)
    _drain(client)
    assert client.ready
    return client


class Rejected(Exception):
    """What the fuzzed column decoders raise for a value starting with ``x``."""


def reject_x(data: bytes) -> bytes:
    if data.startswith(b"x"):
        raise Rejected(data)
    return bytes(data)


def decoder(inline: list[str | None]) -> Any:
    """A run decoder whose columns are decoded inline (``inline`` codes) or by `reject_x`."""
    parsers = [int if code == TEXT_PARSER else None for code in inline]
    return make_run_decoder(
        [f"c{index}" for index in range(len(inline))],
        [reject_x] * len(inline),
        inline,
        parsers=parsers,
    )


#: What a column decoder may raise through `SansIOClient.next_response` (the client layer
#: records it as the query's error and reads on): `reject_x`'s error, and inline UTF-8
#: decoding's, as the registry's text decoder would raise it.
DECODING_ERRORS = (Rejected, UnicodeDecodeError)


_INLINE = st.lists(
    st.sampled_from([None, UTF8_TEXT, TEXT_PARSER, *FIXED_WIDTH_CODES]), min_size=1, max_size=3
)


@st.composite
def clients(draw: st.DrawFn) -> SansIOClient:
    """A client in one of its states, waiting for what the server sends next."""
    state = draw(
        st.sampled_from(
            [
                "authenticating",
                "starting",
                "ready",
                "query",
                "prepare",
                "execution",
                "quiet",
                "copy in",
                "copy out",
                "terminating",
            ]
        )
    )
    if state == "authenticating":
        return authenticating()
    if state == "starting":
        return starting()
    client = ready()
    rows = decoder(draw(_INLINE)) if draw(st.booleans()) else None
    if state == "query" or state.startswith("copy"):
        client.submit([Query("q")], row_decoder=rows, batch_copy=draw(st.booleans()))
    elif state == "prepare":
        client.submit([Parse("s", "q"), Describe("S", "s"), Sync()])
    elif state == "execution":
        client.submit([Bind("", "s"), Execute(), Sync()], row_decoder=rows, combine=True)
    elif state == "quiet":
        execution = PreEncoded(Bind("", "s").encode() + Execute().encode(), EXECUTION[:2])
        client.submit([execution, execution, Sync()], quiet=True)
    elif state == "terminating":
        client.do_terminate()
    if state == "copy in":
        client.receive_bytes(CopyInResponse(0, (0,)).encode())
        _drain(client)
    elif state == "copy out":
        client.receive_bytes(CopyOutResponse(0, (0,)).encode())
        _drain(client)
    client.data_to_send()
    return client


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    return [
        stream[start:end]
        for start, end in pairwise([0, *sorted(points), len(stream)])
        if end > start
    ]


def pull(client: SansIOClient, take: Callable[[], Any], events: list[Any]) -> bool:
    """Events until NEED_DATA (True) or the end of the connection (False); a value a column
    decoder rejects is skipped, as the client layer does."""
    while True:
        try:
            event = take()
        except DECODING_ERRORS as error:
            events.append(error)
            continue
        finally:
            assert len(events) < MAX_EVENTS, "the client loops"
        if event is NEED_DATA:
            return True
        events.append(event)
        if isinstance(event[1], ConnectionClosed):
            return False


@SETTINGS
@given(client=clients(), stream=STREAMS, data=st.data())
def test_any_server_bytes(client: SansIOClient, stream: list[bytes], data: st.DataObject) -> None:
    whole = b"".join(stream)
    reads = cut(whole, data.draw(st.lists(st.integers(0, len(whole)), max_size=5)))
    sole = data.draw(st.booleans())
    events: list[Any] = []
    try:
        for read in [*reads, b""]:
            client.receive_bytes(read)
            if sole:
                try:
                    if client.next_sole_execution() is not None:
                        continue
                except DECODING_ERRORS as error:
                    events.append(error)
            if not pull(client, client.next_response, events):
                break
    except ProtocolError as error:
        assert client.dead
        try:
            client.next_response()
        except ProtocolError as again:
            assert again is error
        else:
            raise AssertionError("a failed client answered again")


@SETTINGS
@given(
    # (A fixed-width column's value of another width is a protocol error, not a rejection.)
    inline=st.lists(st.sampled_from([None, UTF8_TEXT, TEXT_PARSER]), min_size=1, max_size=3),
    combine=st.booleans(),
    data=st.data(),
)
def test_rejected_values_lose_no_answer(
    inline: list[str | None], combine: bool, data: st.DataObject
) -> None:
    """A well-formed answer whose values the column decoders reject now and then: every
    rejection comes out as the decoder's error, and the client still reads the whole answer
    and is ready again."""
    script = data.draw(answer_scripts(len(inline)))
    client = ready()
    rows = decoder(inline)
    if combine:
        client.submit([Bind("", "s"), Execute(), Sync()], row_decoder=rows, combine=True)
        script = [frame(b"2", b""), *(piece for piece in script if piece[:1] in b"DCZ")]
    else:
        client.submit([Query("q")], row_decoder=rows)
        width = len(inline)
        fields = b"".join(
            cstring(f"c{i}") + struct.pack("!IhIhih", 0, 0, 25, -1, -1, 0) for i in range(width)
        )
        script = [
            frame(b"T", struct.pack("!h", width) + fields),
            *(piece for piece in script if piece[:1] in b"CZ"),
        ]
    whole = b"".join(script)
    events: list[Any] = []
    for read in cut(whole, data.draw(st.lists(st.integers(0, len(whole)), max_size=4))):
        client.receive_bytes(read)
        assert pull(client, client.next_response, events)
    assert client.ready, events
