"""Events the sans-IO client produces besides the backend messages themselves.

Most events `SansIOClient.next_event` returns are the decoded backend messages of
``messages.py`` (RowDescription, CommandComplete, ErrorResponse, NotificationResponse ...).
The ones here are the client's own summaries, where a single message would say too little or
where many messages are better handled as one:

* `AuthenticationCompleted` — authentication succeeded and the server finished its start-up
  report (protocol section 55.2.1): the connection is usable.
* `PreparedStatementInfo` — the answer to Describe of a statement: the ParameterDescription
  and the RowDescription (or NoData) that follow it, as one object.
* `DataRows` — a batch of decoded rows, produced instead of individual DataRow messages when
  the request has a run decoder (see ``client_rows.py``).
* `ExecutionCompleted` — the whole answer to a request's closing Bind/Execute/Sync
  (BindComplete, the rows, CommandComplete, ReadyForQuery) as one event, for a request that
  asked for it when every one of those messages was already received: a serial query then
  costs one event instead of four.
* `CopyOutData` — consecutive CopyData messages of a COPY TO STDOUT, joined, when the request
  asked for batched copy data.
* `ConnectionClosed` — the server closed the connection (end of stream).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from .messages import CommandComplete, FieldDescription, RowDescription, TransactionStatus

__all__ = [
    "NEED_DATA",
    "AuthenticationCompleted",
    "ConnectionClosed",
    "CopyOutData",
    "DataRows",
    "ExecutionCompleted",
    "NeedData",
    "PreparedStatementInfo",
]


class NeedData:
    """The type of `NEED_DATA`: the client has no complete event until more bytes arrive."""

    _instance: NeedData | None = None

    def __new__(cls) -> NeedData:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NEED_DATA"


#: Returned by ``next_event`` when the buffered bytes hold no complete event.
NEED_DATA: Final = NeedData()


@dataclass(frozen=True, slots=True)
class AuthenticationCompleted:
    """Start-up finished: the server accepted us and sent its parameters and key data."""

    parameters: Mapping[str, str]
    process_id: int | None
    secret_key: bytes | None


@dataclass(frozen=True, slots=True)
class PreparedStatementInfo:
    """A prepared statement as the server described it.

    ``parameter_oids`` come from ParameterDescription; ``row_description`` is None when the
    statement returns no rows (the server answered NoData).
    """

    name: str
    query: str
    parameter_oids: tuple[int, ...]
    row_description: RowDescription | None

    @property
    def columns(self) -> tuple[FieldDescription, ...]:
        return () if self.row_description is None else self.row_description.fields


# DataRows and ExecutionCompleted are made for every query: not frozen, because a frozen
# dataclass sets each field through object.__setattr__, which makes it several times slower to
# build.  Nothing changes them after they are made.


@dataclass(slots=True)
class DataRows:
    """Rows decoded by the request's run decoder, in order (one batch per buffer scan)."""

    rows: list[Any] = field(default_factory=list)


@dataclass(slots=True)
class ExecutionCompleted(DataRows):
    """BindComplete, the rows (decoded by the run decoder), CommandComplete with ``tag`` and
    ReadyForQuery with ``status`` answering one Bind/Execute/Sync, in one event."""

    tag: str = ""
    status: TransactionStatus = TransactionStatus.IDLE

    @property
    def command(self) -> CommandComplete:
        """The CommandComplete message the event stands for."""
        return CommandComplete(self.tag)


@dataclass(frozen=True, slots=True)
class CopyOutData:
    """The payloads of consecutive CopyData messages, concatenated."""

    data: bytes


@dataclass(frozen=True, slots=True)
class ConnectionClosed:
    """The server closed the connection; no further events will come."""
