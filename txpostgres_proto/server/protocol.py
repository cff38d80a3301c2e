"""The Twisted protocol of a PostgreSQL server connection (model: twisted/web/_http2.py).

`PostgresServerProtocol` is a thin adapter between a transport and the sans-IO
`ServerConnection`: ``dataReceived`` feeds the connection, the events that come out are
dispatched to small ``_on_*`` handlers, and what they produce is written back.  Everything about
message order lives in the state machine; everything about SQL lives in the backend
(``backend.py``) and, for settings and transaction control, in the `Session`.  The protocol's
jobs (protocol chapter 55) are spread over one module each, combined here:

* ``protocol_core.py``: connection state, the event loop, output, errors, ReadyForQuery,
  LISTEN/NOTIFY delivery;
* ``backend_calls.py``: calling the backend, cancellably;
* ``startup.py``: SSL/GSS negotiation, protocol negotiation, authentication, the session;
* ``simple_query.py`` and ``extended_query.py``: the two query protocols, and
  ``bind_cycle.py``: the commonest extended-query read answered as one unit;
* ``statements.py``: who runs a statement (session, cursors, EXECUTE, COPY, backend);
* ``copy_flow.py``: COPY TO STDOUT / FROM STDIN through the backend;
* ``rows.py``: sending rows in batches under backpressure.

Errors: `PostgresError` becomes an ErrorResponse with all its fields, anything else is logged
and answered with XX000 and the connection lives on; protocol violations end the connection with
FATAL 08P01.  Cancellation (55.2.9): a CancelRequest with the right key cancels the Deferred of
the running command, which then fails with 57014; a client that disconnects cancels it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from txpostgres_proto.protocol import messages as m

from .bind_cycle import BindCycleFlow
from .copy_flow import CopyFlow
from .extended_query import ExtendedQueryFlow
from .protocol_core import MAX_BUFFERED_INPUT, ServerProtocolCore
from .rows import ROW_BATCH_BYTES
from .simple_query import SimpleQueryFlow
from .startup import StartupFlow

__all__ = ["MAX_BUFFERED_INPUT", "ROW_BATCH_BYTES", "PostgresServerProtocol"]


class PostgresServerProtocol(StartupFlow, SimpleQueryFlow, BindCycleFlow):
    """One server connection; built by `PostgresServerFactory`."""

    def _on_terminate(self, _: m.Terminate) -> None:
        self._close()

    _handlers: ClassVar[dict[type, Callable[[Any, Any], Any]]] = {
        m.SSLRequest: StartupFlow._on_ssl_request,
        m.GSSENCRequest: StartupFlow._on_gssenc_request,
        m.CancelRequest: StartupFlow._on_cancel_request,
        m.StartupMessage: StartupFlow._on_startup,
        m.PasswordMessage: StartupFlow._on_auth_response,
        m.SASLInitialResponse: StartupFlow._on_auth_response,
        m.SASLResponse: StartupFlow._on_auth_response,
        m.Query: SimpleQueryFlow._on_query,
        m.FunctionCall: SimpleQueryFlow._on_function_call,
        m.Parse: ExtendedQueryFlow._on_parse,
        m.Bind: ExtendedQueryFlow._on_bind,
        m.Describe: ExtendedQueryFlow._on_describe,
        m.Execute: ExtendedQueryFlow._on_execute,
        m.Close: ExtendedQueryFlow._on_close,
        m.Sync: ServerProtocolCore._ready_for_query,
        m.Flush: ExtendedQueryFlow._on_flush,
        m.Terminate: _on_terminate,
        m.CopyData: CopyFlow._on_copy_data,
        m.CopyDone: CopyFlow._on_copy_done,
        m.CopyFail: CopyFlow._on_copy_fail,
    }
