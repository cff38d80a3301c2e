"""What the client expects back for each frontend message it sent (the basis of pipelining).

The extended query protocol (section 55.2.3) answers every message in order, and each message
type has a fixed answer: Parse -> ParseComplete, Bind -> BindComplete, Describe of a statement
-> ParameterDescription + RowDescription/NoData, Describe of a portal -> RowDescription/NoData,
Execute -> rows then CommandComplete / EmptyQueryResponse / PortalSuspended (or a COPY),
Close -> CloseComplete, Sync -> ReadyForQuery, Flush -> nothing.  A simple Query (section
55.2.2) answers with any number of result sets and one ReadyForQuery.  After an ErrorResponse
in an extended-protocol group the server skips everything up to the next Sync.

So the client keeps one `Expect` entry per answered message, in a queue, each tagged with the
`Request` (the group of messages submitted together) it belongs to; matching an incoming
message to the head of that queue says which request it answers, however many requests are
in flight.  `PreEncoded` lets a caller that builds many Bind/Execute pairs itself (executemany)
submit their bytes with the list of expectations they produce.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import LocalProtocolError
from .messages import (
    Bind,
    Close,
    Describe,
    Execute,
    Flush,
    FrontendMessage,
    FunctionCall,
    Parse,
    Query,
    Sync,
)

__all__ = ["EXECUTION", "ROUTINE_ANSWERS", "Expect", "PreEncoded", "Request", "expectation_of"]


class Expect(enum.IntEnum):
    """The answer a sent message is waiting for."""

    PARSE = 1
    BIND = 2
    DESCRIBE_STATEMENT = 3
    DESCRIBE_PORTAL = 4
    EXECUTE = 5
    CLOSE = 6
    SYNC = 7
    QUERY = 8
    FUNCTION_CALL = 9


#: Expectations that end with ReadyForQuery (a tuple: an enum's hash is computed in Python).
SYNC_POINTS = (Expect.SYNC, Expect.QUERY, Expect.FUNCTION_CALL)
#: The answers a Bind/Execute/Sync waits for (see `Request` ``combine``).
EXECUTION = (Expect.BIND, Expect.EXECUTE, Expect.SYNC)
#: `bytes.translate` table from expectations to the type bytes of `Request.routine`.
ROUTINE_ANSWERS = bytes(
    ord("2") if kind == Expect.BIND else ord("C") if kind == Expect.EXECUTE else 0
    for kind in range(256)
)


@dataclass(slots=True)
class PreEncoded(FrontendMessage):
    """Frontend messages already in wire form, with the answers they will produce.

    Not frozen, unlike the messages: one is made for every query, and a frozen dataclass is
    several times slower to build.  Nothing changes it after it is made.

    Only messages with plain answers may be pre-encoded (Bind, Execute, Close, Sync, Flush,
    Parse); Describe of a statement must be submitted as a `Describe` object, because the
    client reports its answer together with the statement's name.
    """

    data: bytes
    expects: Sequence[Expect]

    def encode(self) -> bytes:
        return self.data


class Request:
    """Messages submitted together, and where their answers go.

    ``owner`` is anything the caller wants to find again when an answer arrives.
    ``row_decoder``, when set, is a run decoder (``client_rows.make_run_decoder``): rows
    answering this request then arrive as `DataRows` batches instead of DataRow messages; it
    may be set or replaced while the request is in flight (for instance once its
    RowDescription is known).  ``batch_copy`` asks for COPY TO STDOUT data as `CopyOutData`
    batches instead of CopyData messages.  ``quiet`` drops the routine answers to Bind and
    Execute (BindComplete, and CommandComplete, whose row counts add up in `rowcount`):
    a batch of thousands of executions then costs no event per execution.  ``combine``, for
    a request ending with Bind/Execute/Sync, asks for the answers to those three as one
    `ExecutionCompleted` event when they arrived together (and as the usual events when not).
    """

    __slots__ = (
        "owner",
        "row_decoder",
        "batch_copy",
        "quiet",
        "combine",
        "outstanding",
        "rowcount",
        "routine",
    )

    def __init__(
        self,
        owner: Any = None,
        row_decoder: Callable[..., Any] | None = None,
        batch_copy: bool = False,
        quiet: bool = False,
        combine: bool = False,
    ) -> None:
        self.owner = owner
        self.row_decoder = row_decoder
        self.batch_copy = batch_copy
        self.quiet = quiet
        self.combine = combine
        #: How many answers are still to come.
        self.outstanding = 0
        #: Rows affected, summed over the CommandCompletes a quiet request did not report.
        self.rowcount = 0
        #: For a quiet request: per expectation, the type byte of the routine answer it skips
        #: (BindComplete, CommandComplete; 0 where the answer is reported).
        self.routine = b""

    @property
    def done(self) -> bool:
        """True once every answer of this request has arrived (or was skipped after an error)."""
        return self.outstanding == 0

    def __repr__(self) -> str:
        return f"<Request owner={self.owner!r} outstanding={self.outstanding}>"


_SIMPLE: dict[type, Expect] = {
    Parse: Expect.PARSE,
    Bind: Expect.BIND,
    Execute: Expect.EXECUTE,
    Close: Expect.CLOSE,
    Sync: Expect.SYNC,
    Query: Expect.QUERY,
    FunctionCall: Expect.FUNCTION_CALL,
}


def expectation_of(message: FrontendMessage) -> Sequence[Expect]:
    """The answers ``message`` will produce, in order (none for Flush)."""
    kind = _SIMPLE.get(type(message))
    if kind is not None:
        return (kind,)
    if isinstance(message, Describe):
        return (Expect.DESCRIBE_STATEMENT if message.kind == "S" else Expect.DESCRIBE_PORTAL,)
    if isinstance(message, Flush):
        return ()
    if isinstance(message, PreEncoded):
        if Expect.DESCRIBE_STATEMENT in message.expects:
            raise LocalProtocolError("a statement Describe cannot be pre-encoded")
        return message.expects
    raise LocalProtocolError(f"{type(message).__name__} cannot be part of a request")
