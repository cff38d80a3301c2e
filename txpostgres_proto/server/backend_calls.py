"""Calling the backend: plain values, Deferreds and coroutines alike, cancellably.

Every backend method (``backend.py``) may return a plain value, a Deferred, or be ``async
def``.  `BackendCalls` turns each into something a command can ``await`` without making a
Deferred when the answer is already there, remembers the pending call so that a CancelRequest
(protocol section 55.2.9, via ``cancel.py``) or a lost connection can cancel it, and words what
comes of that: 57014 for a cancelled statement, `Stopped` when the client has gone.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from twisted.internet.defer import CancelledError, Deferred

from .backend import QueryResult
from .protocol_core import ServerProtocolCore, Stopped, cancelled_error

__all__ = ["BackendCalls"]


class BackendCalls(ServerProtocolCore):
    """The backend-calling part of `PostgresServerProtocol`."""

    async def _call_backend(self, method: Callable[..., Any], *args: Any) -> Any:
        """Call a backend method the cancellable way; cancellation becomes 57014."""
        if self._cancel_requested:
            raise cancelled_error()
        return await self._backend_outcome(method(*args))

    async def _backend_outcome(self, result: Any) -> Any:
        """What a backend method returned: a plain value as it is, a coroutine or Deferred
        awaited (cancellable: a cancelled one ends in 57014, or `Stopped` after a disconnect)."""
        if isinstance(result, Coroutine):
            call: Deferred[Any] = Deferred.fromCoroutine(result)
        elif isinstance(result, Deferred):
            call = result
        else:
            return result
        if call.called:
            return await call
        self._pending_call = call
        self._flush()
        try:
            return await call
        except CancelledError:
            if self._stopped:
                raise Stopped from None
            raise cancelled_error() from None
        finally:
            self._pending_call = None

    async def _backend_execute(
        self, sql: str, params: tuple[Any, ...], param_oids: tuple[int, ...]
    ) -> QueryResult:
        if self._cancel_requested:
            raise cancelled_error()
        return await self._execute_outcome(self.backend.execute(sql, params, param_oids))

    async def _execute_outcome(self, returned: Any) -> QueryResult:
        """The `QueryResult` of what ``backend.execute`` returned (awaited if need be)."""
        result = await self._backend_outcome(returned)
        if result is None:
            return QueryResult()
        if not isinstance(result, QueryResult):
            raise TypeError(f"backend.execute returned {result!r}, not a QueryResult")
        return result

    def cancel_current_command(self) -> None:
        """A CancelRequest for this connection arrived (see ``cancel.py``)."""
        if not self._busy:
            return
        self._cancel_requested = True
        if self._copy_stream is not None:
            self._copy_stream.fail(cancelled_error())
        if self._pending_call is not None:
            self._pending_call.cancel()
        self._wake_writers()
