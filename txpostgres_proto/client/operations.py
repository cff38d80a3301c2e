"""Operations: one user request each — the messages it sends and how answers become a result.

The protocol (``protocol.py``) writes an operation's messages when its turn comes and feeds it
every event that answers them (``handle``), then calls ``finish`` once the request's last
answer (ReadyForQuery) arrived.  Each operation ends with Sync or is a simple Query, so the
server's ReadyForQuery closes it and the transaction status is known when its Deferred fires.

* `SimpleQuery` — a Query message: every result set of a multi-statement string;
* `ExtendedQuery` — Bind/Execute/Sync on a cached statement (preceded by Parse/Describe the
  first time), rows decoded by the statement's run decoder; once the statement is described,
  the three messages come from its compiled encoder (``Statement.execution``) and, when the
  answer arrived in one piece, it is handled as one `ExecutionCompleted` event;
  `ExecuteQuery` wants its command tag, `StreamQuery` hands rows to a callback;
  `ExecuteMany` pipelines one Bind/Execute per parameter set before a single Sync;
* `Prepare` and `CloseStatement` for explicitly prepared statements.

A COPY that a query did not ask for (``query("COPY t FROM STDIN")``) is refused with CopyFail
and its outgoing data discarded; COPY has its own operations in ``copy.py``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final

from twisted.internet.defer import Deferred
from twisted.python.failure import Failure

from ..protocol.client_binds import BindExecute
from ..protocol.client_events import (
    CopyOutData,
    DataRows,
    ExecutionCompleted,
    PreparedStatementInfo,
)
from ..protocol.client_pipeline import EXECUTION, Expect, PreEncoded, Request
from ..protocol.client_rows import Row, RunDecoder
from ..protocol.errors import PostgresError
from ..protocol.messages import (
    Bind,
    BindComplete,
    Close,
    CloseComplete,
    CommandComplete,
    CopyData,
    CopyDone,
    CopyInResponse,
    CopyOutResponse,
    DataRow,
    EmptyQueryResponse,
    ErrorResponse,
    Execute,
    FieldDescription,
    FrontendMessage,
    NoData,
    ParameterDescription,
    ParseComplete,
    PortalSuspended,
    Query,
    ReadyForQuery,
    RowDescription,
    Sync,
    TransactionStatus,
)
from .codecs import ENCODING_ERRORS
from .errors import query_canceled
from .statements import Statement, mentions_copy, parameter_encoders

if TYPE_CHECKING:
    from .protocol import ClientProtocol

__all__ = [
    "CloseStatement",
    "CommandQuery",
    "ExecuteMany",
    "ExecuteQuery",
    "ExtendedQuery",
    "Operation",
    "Prepare",
    "Result",
    "SimpleQuery",
    "StreamQuery",
    "mentions_copy",
]

_STATEMENT_GONE: Final = "26000"  # prepared statement does not exist
_PLAN_CHANGED: Final = "RevalidateCachedQuery"  # routine of 0A000 "cached plan must not ..."
_DROPS_ALL_STATEMENTS: Final = frozenset(("DISCARD ALL", "DEALLOCATE ALL"))
_UNWANTED_COPY: Final = "COPY FROM STDIN is not supported by this call; use copy_from()"
_BIND_COMPLETE: Final = BindComplete()


@dataclass(slots=True)
class Result:
    """One result set of a simple query: its columns, rows and command tag."""

    columns: tuple[FieldDescription, ...] = ()
    rows: list[Row] = field(default_factory=list)
    tag: str = ""

    @property
    def rowcount(self) -> int | None:
        """The row count of the command tag (``INSERT 0 5`` -> 5), when it has one."""
        last = self.tag.rpartition(" ")[2]
        return int(last) if last.isdigit() else None


_HANDLER_NAMES: Final[dict[type, str]] = {
    DataRows: "on_rows",
    ExecutionCompleted: "on_execution_completed",
    DataRow: "on_data_row",
    RowDescription: "on_row_description",
    PreparedStatementInfo: "on_statement_info",
    ParseComplete: "on_parse_complete",
    BindComplete: "on_bind_complete",
    CommandComplete: "on_command_complete",
    EmptyQueryResponse: "on_ignored",
    PortalSuspended: "on_portal_suspended",
    ErrorResponse: "on_error",
    CopyInResponse: "on_copy_in",
    CopyOutResponse: "on_copy_out",
    CopyOutData: "on_copy_out_data",
    CopyData: "on_copy_data",
    CopyDone: "on_copy_done",
    ReadyForQuery: "on_ignored",
    CloseComplete: "on_ignored",
    NoData: "on_ignored",
    ParameterDescription: "on_ignored",
}


class Operation:
    """Base class: a Deferred, the request it sent, and the first error among its answers."""

    #: Nothing may be written after this operation until it completes (COPY FROM STDIN).
    exclusive: bool = False
    #: Ask for COPY TO STDOUT data in batches.
    batch_copy: ClassVar[bool] = False
    #: Drop routine BindComplete/CommandComplete answers (see ``Request``).
    quiet: ClassVar[bool] = False
    #: True while the operation still has messages to write after its first request.
    sending: bool = False
    #: Ask for the answer to a closing Bind/Execute/Sync as one `ExecutionCompleted`.
    combine: ClassVar[bool] = False

    # Per-operation state; the class attributes are the initial values (cheaper than setting
    # them in every __init__: an operation is made for every call).
    #: The first error among the answers (or raised while handling them).
    error: BaseException | None = None
    #: True once the caller cancelled; answers still arrive but the result is dropped.
    cancelled: bool = False
    row_decoder: RunDecoder | None = None
    request: Request | None = None
    #: Why the operation is being cancelled (the message of its 57014 error).
    cancel_reason: str | None = None
    #: Send a cancel request when this operation reaches the head of the pipeline.
    cancel_when_running: bool = False

    def __init__(self, protocol: ClientProtocol) -> None:
        self.protocol = protocol
        self.deferred: Deferred[Any] = Deferred(self._cancel)

    def messages(self) -> Sequence[FrontendMessage]:
        """The messages to send, built when the operation's turn to be written comes."""
        raise NotImplementedError

    def execution_data(self) -> bytes | None:
        """The fast path's alternative to `messages`: the operation as one pre-encoded
        Bind/Execute/Sync (with ``row_decoder`` set), or None when it must be built by
        `messages`.  The protocol then sets ``request`` itself, without `submitted`."""
        return None

    def handle(self, event: Any) -> None:
        getattr(self, _HANDLER_NAMES.get(type(event), "on_ignored"))(event)

    def submitted(self, request: Request) -> None:
        """The protocol wrote (part of) this operation as ``request``."""
        self.request = request

    def set_row_decoder(self, decoder: RunDecoder | None) -> None:
        self.row_decoder = decoder
        if self.request is not None:
            self.request.row_decoder = decoder

    # -- default answers -------------------------------------------------------------------

    def on_ignored(self, event: Any) -> None:
        pass

    def on_error(self, message: ErrorResponse) -> None:
        if self.error is None:
            self.error = PostgresError.from_fields(message.fields)

    def on_rows(self, event: DataRows) -> None:
        raise NotImplementedError(f"{type(self).__name__} does not expect rows")

    def on_data_row(self, message: DataRow) -> None:
        raise RuntimeError("a row arrived before its description")

    def on_execution_completed(self, event: ExecutionCompleted) -> None:
        """The answers a combined event stands for, in order (ReadyForQuery is ignored)."""
        self.on_bind_complete(_BIND_COMPLETE)
        if event.rows:
            self.on_rows(event)
        self.on_command_complete(event.command)

    on_row_description = on_ignored
    on_statement_info = on_ignored
    on_parse_complete = on_ignored
    on_bind_complete = on_ignored
    on_command_complete = on_ignored
    on_portal_suspended = on_ignored
    on_copy_data = on_ignored
    on_copy_out_data = on_ignored
    on_copy_done = on_ignored
    on_copy_out = on_ignored

    def on_copy_in(self, message: CopyInResponse) -> None:
        self.protocol.copy_fail(_UNWANTED_COPY)

    # -- completion ------------------------------------------------------------------------

    def result(self) -> Any:
        return None

    def finish(self) -> None:
        """Every answer arrived: fire the Deferred (unless the caller cancelled it)."""
        if self.deferred.called:
            return
        if self.error is not None:
            self.deferred.errback(self.error)
            return
        try:
            value = self.result()
        except Exception as error:  # a result that cannot be built fails this call only
            self.deferred.errback(error)
            return
        self.deferred.callback(value)

    def abort(self, reason: str) -> bool:
        """Stop by protocol means instead of a cancel request; True when that was possible."""
        return False

    def not_sent(self) -> None:
        """`messages` raised: nothing of this operation reached the server."""

    def detach(self) -> None:
        """The operation is over: break the reference cycle with its requests, so that its
        results (rows!) are freed as soon as the caller drops them, not at the next full
        garbage collection."""
        if self.request is not None:
            self.request.owner = None
            self.request = None

    def fail(self, error: BaseException) -> None:
        """Fail now (not sendable, or the connection ended); an earlier error takes precedence."""
        if self.error is None:
            self.error = error
        if not self.deferred.called:
            self.deferred.errback(self.error)

    def _cancel(self, deferred: Deferred[Any]) -> None:
        self.cancelled = True
        if not deferred.called:
            if self.cancel_reason is None:
                deferred.errback(query_canceled())
            else:
                deferred.errback(query_canceled(self.cancel_reason))
        self.protocol.cancel(self)


# ----------------------------------------------------------------------------- simple query


class SimpleQuery(Operation):
    """A simple Query: returns every result set (`Result` list)."""

    def __init__(self, protocol: ClientProtocol, sql: str) -> None:
        super().__init__(protocol)
        self.sql = sql
        self.exclusive = mentions_copy(sql)
        self.results: list[Result] = []
        self._current: Result | None = None

    def messages(self) -> Sequence[FrontendMessage]:
        return (Query(self.sql),)

    def on_row_description(self, message: RowDescription) -> None:
        self._current = Result(message.fields)
        formats = tuple(f.format for f in message.fields)
        self.set_row_decoder(self.protocol.codecs.run_decoder(message.fields, formats))

    def on_rows(self, event: DataRows) -> None:
        if self._current is not None:
            self._current.rows.extend(event.rows)

    def on_command_complete(self, message: CommandComplete) -> None:
        result = self._current or Result()
        result.tag = message.tag
        self.results.append(result)
        self._current = None
        self.set_row_decoder(None)
        if message.tag in _DROPS_ALL_STATEMENTS:
            self.protocol.statements.clear()

    def on_error(self, message: ErrorResponse) -> None:
        super().on_error(message)
        self._current = None

    def result(self) -> list[Result]:
        return self.results


class CommandQuery(SimpleQuery):
    """A simple Query whose caller wants the last command tag."""

    def result(self) -> str:  # type: ignore[override]
        return self.results[-1].tag if self.results else ""


# ----------------------------------------------------------------------------- extended query


class ExtendedQuery(Operation):
    """Bind/Execute/Sync of a statement (the cached one for ``sql``, or a given one)."""

    combine = True
    tag: str = ""
    suspended: bool = False
    _describes: bool = False
    _parsed: bool = False
    _result_formats: tuple[int, ...] = ()
    _stale: bool = False
    _retried: bool = False

    def __init__(
        self,
        protocol: ClientProtocol,
        sql: str,
        params: Sequence[Any],
        *,
        statement: Statement | None = None,
        portal: str = "",
        max_rows: int = 0,
    ) -> None:
        # `Operation.__init__`, inlined: one is made for every query.
        self.protocol = protocol
        self.deferred = Deferred(self._cancel)
        self.sql = sql
        self.params = params
        self.statement = statement
        self.portal = portal
        self.max_rows = max_rows
        self.rows: list[Row] = []
        self._automatic = statement is None  # the statement comes from the cache

    def statement_messages(self) -> list[FrontendMessage]:
        """Parse/Describe when the statement is new; sets ``self.statement``."""
        if self.statement is not None:
            return []
        protocol = self.protocol
        declared = protocol.codecs.declared_oids(self.params)
        statement = protocol.statements.get(self.sql, declared)
        if statement is not None:
            self.statement = statement
            return []
        self.statement = protocol.statements.add(self.sql, declared)
        self._describes = True
        return self.statement.parse_messages()

    def messages(self) -> Sequence[FrontendMessage]:
        messages = [] if self.statement is not None else self.statement_messages()
        statement = self.statement
        assert statement is not None
        self.exclusive = statement.mentions_copy
        codecs = self.protocol.codecs
        if statement.param_oids is not None:
            self._result_formats = statement.result_formats
            if self.portal or self.max_rows:
                self.row_decoder = statement.run_decoder(codecs)
            else:
                data, self.row_decoder = statement.execution(self.params, codecs)
                if data is not None:
                    messages.append(PreEncoded(data, EXECUTION))
                    return messages
        bind = statement.bind(self.params, codecs, self.portal)
        self._result_formats = bind.result_formats
        messages += [bind, Execute(self.portal, self.max_rows), Sync()]
        return messages

    def execution_data(self) -> bytes | None:
        # What `messages` gives for a described statement when its compiled encoder takes
        # the parameters; None for anything else (and nothing changed).
        statement = self.statement
        if statement is None:
            protocol = self.protocol
            declared = protocol.codecs.declared_oids(self.params)
            statement = protocol.statements.get(self.sql, declared)
            if statement is None:
                return None
        if statement.param_oids is None or statement.mentions_copy or self.portal or self.max_rows:
            return None
        data, decoder = statement.execution(self.params, self.protocol.codecs)
        if data is None:
            return None
        self.statement = statement
        self._result_formats = statement.result_formats
        self.row_decoder = decoder
        return data

    def _install_decoder(self) -> None:
        statement = self.statement
        if self.row_decoder is None and statement is not None and statement.fields:
            codecs = self.protocol.codecs
            self.set_row_decoder(codecs.run_decoder(statement.fields, self._result_formats))

    def on_parse_complete(self, message: ParseComplete) -> None:
        self._parsed = True

    def on_statement_info(self, info: PreparedStatementInfo) -> None:
        if self._describes and self.statement is not None:
            self.statement.describe(info, self.protocol.codecs)
            self._install_decoder()

    def on_bind_complete(self, message: BindComplete) -> None:
        # A statement described by an earlier request still in flight is known by now.
        self._install_decoder()

    def on_execution_completed(self, event: ExecutionCompleted) -> None:
        # No BindComplete: it installs the row decoder, and every row arrived already.
        if event.rows:
            self.on_rows(event)
        if type(self).on_command_complete is ExtendedQuery.on_command_complete:
            self.tag = event.tag  # what on_command_complete does, without a message object
        else:
            self.on_command_complete(event.command)

    def on_rows(self, event: DataRows) -> None:
        self.rows.extend(event.rows)

    def on_command_complete(self, message: CommandComplete) -> None:
        self.tag = message.tag

    def on_portal_suspended(self, message: PortalSuspended) -> None:
        self.suspended = True

    def on_error(self, message: ErrorResponse) -> None:
        super().on_error(message)
        statement = self.statement
        if statement is None:
            return
        if message.sqlstate == _STATEMENT_GONE:
            self._stale = True
            self.protocol.statements.discard(statement, close=False)
        elif message.fields.get("R") == _PLAN_CHANGED:
            self._stale = True
            self.protocol.statements.discard(statement, close=True)

    def not_sent(self) -> None:
        if self._describes and self.statement is not None:
            self.protocol.statements.discard(self.statement, close=False)

    def finish(self) -> None:
        if self._describes and not self._parsed and self.statement is not None:
            self.protocol.statements.discard(self.statement, close=False)
        if self._stale and self._may_retry():
            self._retried = True
            self._reset()
            self.protocol.retry(self)
            return
        super().finish()

    def _may_retry(self) -> bool:
        """A cached statement went stale (the table changed, or the statement was dropped):
        run again with a fresh one — once, outside transactions, and only when nothing was
        pipelined behind this call (so results still come back in call order)."""
        protocol = self.protocol
        return (
            self._stale
            and self._automatic
            and not self._retried
            and not self.deferred.called
            and protocol.client.transaction_status is TransactionStatus.IDLE
            and protocol.nothing_in_flight()
        )

    def _reset(self) -> None:
        self.statement = None
        self.error = None
        self.rows = []
        self.tag = ""
        self.suspended = False
        self.row_decoder = None
        self.request = None
        self._stale = False
        self._describes = False
        self._parsed = False

    def result(self) -> Any:
        return self.rows


class ExecuteQuery(ExtendedQuery):
    """An extended query whose caller wants the command tag."""

    def on_rows(self, event: DataRows) -> None:
        pass

    def result(self) -> str:
        return self.tag


class StreamQuery(ExtendedQuery):
    """An extended query handing each row to a callback; a Deferred from it pauses reading.

    While the callback's Deferred is pending, the protocol stops reading from the server, so
    TCP flow control holds the rest of the result on the server and memory stays flat.  The
    first exception (or failed Deferred) from the callback stops delivery; the remaining rows
    are read and dropped, and the call fails with that exception.  Its answers are not
    combined: a paused callback must hold back the CommandComplete and ReadyForQuery that end
    the call.
    """

    combine = False

    def __init__(
        self,
        protocol: ClientProtocol,
        sql: str,
        params: Sequence[Any],
        callback: Callable[[Row], Any],
    ) -> None:
        super().__init__(protocol, sql, params)
        self.callback = callback
        self._backlog: deque[Row] = deque()
        self._waiting = False

    def on_rows(self, event: DataRows) -> None:
        if self.error is None:
            self._backlog.extend(event.rows)
            if not self._waiting:
                self._deliver()

    def _deliver(self) -> None:
        backlog = self._backlog
        callback = self.callback
        while backlog and self.error is None:
            try:
                outcome = callback(backlog.popleft())
            except Exception as error:
                self.error = error
                break
            if isinstance(outcome, Deferred):
                if not outcome.called:
                    self._waiting = True
                    self.protocol.pause_reading(self)
                    outcome.addBoth(self._resume)
                    return
                outcome.addErrback(self._callback_failed)
        if self.error is not None:
            backlog.clear()

    def _callback_failed(self, failure: Failure) -> None:
        if self.error is None:
            self.error = failure.value

    def _resume(self, outcome: object) -> None:
        if isinstance(outcome, Failure):
            self._callback_failed(outcome)
        self._waiting = False
        self._deliver()
        if not self._waiting:
            self.protocol.resume_reading(self)

    def result(self) -> str:
        return self.tag


class ExecuteMany(ExtendedQuery):
    """One Bind/Execute per parameter set, all before a single Sync (atomic as one batch).

    A large batch is encoded and written in chunks, handing control back to the reactor
    between chunks: the server executes the first chunks while the next ones are encoded, and
    its answers are read meanwhile.  Chunks start small (`FIRST_CHUNK` sets, so the server
    starts at once) and double up to `CHUNK`.  Nothing else is written on the connection
    until the batch's Sync is.  If a later chunk cannot be encoded, or the call is cancelled,
    once earlier chunks went out, the batch is aborted on the server with a Bind the server
    must reject, so none of it is committed.
    """

    FIRST_CHUNK: ClassVar[int] = 64
    CHUNK: ClassVar[int] = 2048
    quiet = True
    combine = False

    def __init__(
        self,
        protocol: ClientProtocol,
        sql: str,
        param_sets: Iterable[Sequence[Any]],
        *,
        statement: Statement | None = None,
    ) -> None:
        self.param_sets: Sequence[Sequence[Any]] = (
            param_sets if isinstance(param_sets, list | tuple) else list(param_sets)
        )
        first = self.param_sets[0] if self.param_sets else ()
        super().__init__(protocol, sql, first, statement=statement)
        self.exclusive = True
        self.rowcount = 0
        self.sending = True
        self._sent = 0
        self._stop = False
        self._encode: Callable[[Sequence[Any]], bytes] | None = None
        self._requests: list[Request] = []

    def execution_data(self) -> bytes | None:
        return None

    def messages(self) -> Sequence[FrontendMessage]:
        messages = self.statement_messages()
        self._encode = self._compile()
        messages += self._next_chunk()
        self._continue_later()
        return messages

    def _compile(self, text_columns: Container[int] = ()) -> Callable[[Sequence[Any]], bytes]:
        statement = self.statement
        assert statement is not None
        count = len(statement.param_oids or self.params)
        formats, encoders, text, widths = parameter_encoders(
            self.protocol.codecs, statement.param_oids, statement.declared_oids, count, text_columns
        )
        results = statement.result_formats if statement.described else ()
        return BindExecute(statement.name, formats, results).compile(encoders, text, widths)

    def _encode_chunk(self, chunk: Sequence[Sequence[Any]]) -> bytes:
        """The chunk's Bind/Execute pairs: in binary where possible, and if some value is a
        ``str`` where binary was expected, again with its column in text (for this chunk)."""
        assert self._encode is not None
        try:
            return b"".join(map(self._encode, chunk))
        except ENCODING_ERRORS:
            pass
        codecs = self.protocol.codecs
        text_columns = codecs.str_columns(chunk)
        encode = self._compile(text_columns)
        try:
            return b"".join(map(encode, chunk))
        except ENCODING_ERRORS as error:
            statement = self.statement
            assert statement is not None
            count = len(statement.param_oids or self.params)
            oids = statement.param_oids or statement.declared_oids
            _, encoders = codecs.batch_encoders(
                statement.param_oids, statement.declared_oids, count, text_columns
            )
            raise codecs.parameter_error(chunk, encoders, oids, error) from error

    def _next_chunk(self) -> list[FrontendMessage]:
        """The next chunk's Bind/Execute pairs (and the Sync after the last one)."""
        size = min(self.CHUNK, max(self.FIRST_CHUNK, 2 * self._sent))
        chunk = self.param_sets[self._sent : self._sent + size]
        data = self._encode_chunk(chunk)
        self._sent += len(chunk)
        messages: list[FrontendMessage] = [
            PreEncoded(data, (Expect.BIND, Expect.EXECUTE) * len(chunk))
        ]
        if self._sent == len(self.param_sets):
            messages.append(Sync())
            self.sending = False
        return messages

    def _continue_later(self) -> None:
        if self.sending:
            self.protocol.reactor.callLater(0, self._continue)
        else:
            self.protocol.release_barrier(self)

    def _continue(self) -> None:
        if self.protocol.ended:
            return
        if self._stop or self.error is not None:
            # An error made the server skip to the Sync already; a stop must abort the batch.
            messages = [] if self.error is not None else [self._failing_bind()]
            self.sending = False
            self.protocol.submit_more(self, [*messages, Sync()])
        else:
            try:
                messages = self._next_chunk()
            except ENCODING_ERRORS as error:
                self.error = error
                messages = [self._failing_bind(), Sync()]
                self.sending = False
            self.protocol.submit_more(self, messages)
        self._continue_later()

    def _failing_bind(self) -> FrontendMessage:
        """A Bind the server rejects (one parameter too many), failing the whole batch."""
        assert self.statement is not None
        count = len(self.param_sets[0]) + 1
        return Bind("", self.statement.name, (), (None,) * count, ())

    def abort(self, reason: str) -> bool:
        if self.sending:
            self._stop = True
            return True
        return False

    def on_rows(self, event: DataRows) -> None:
        pass

    def on_data_row(self, message: DataRow) -> None:
        pass

    def on_command_complete(self, message: CommandComplete) -> None:
        self.rowcount += message.rowcount or 0

    def submitted(self, request: Request) -> None:
        super().submitted(request)
        self._requests.append(request)

    def detach(self) -> None:
        for request in self._requests:
            request.owner = None
        self._requests = []
        super().detach()

    def finish(self) -> None:
        self.rowcount += sum(request.rowcount for request in self._requests)
        super().finish()

    def result(self) -> int:
        return self.rowcount


# ----------------------------------------------------------------------------- statements


class Prepare(Operation):
    """Parse + Describe + Sync of a named statement; fires with the described `Statement`."""

    def __init__(self, protocol: ClientProtocol, statement: Statement) -> None:
        super().__init__(protocol)
        self.statement = statement

    def messages(self) -> Sequence[FrontendMessage]:
        return [*self.statement.parse_messages(), Sync()]

    def on_statement_info(self, info: PreparedStatementInfo) -> None:
        self.statement.describe(info, self.protocol.codecs)

    def result(self) -> Statement:
        return self.statement


class CloseStatement(Operation):
    """Close + Sync of a named statement."""

    def __init__(self, protocol: ClientProtocol, name: str) -> None:
        super().__init__(protocol)
        self.name = name

    def messages(self) -> Sequence[FrontendMessage]:
        return (Close("S", self.name), Sync())
