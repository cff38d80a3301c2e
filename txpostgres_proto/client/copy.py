"""COPY TO STDOUT and COPY FROM STDIN with Twisted flow control (protocol section 55.2.6).

`CopyOut` runs ``COPY ... TO STDOUT`` and hands the data to a target, in batches of whatever
arrived (the run of CopyData messages in the receive buffer, joined):

* a callable — called with each batch; if it returns an unfired Deferred, reading from the
  server stops until it fires;
* an ``IConsumer`` (has ``registerProducer``) — the copy registers itself as a streaming
  producer on it, so the consumer's ``pauseProducing`` stops reading from the server;
* a file-like object (has ``write``) — written synchronously (text files get UTF-8 text).

`CopyIn` runs ``COPY ... FROM STDIN`` and feeds it from a source:

* ``bytes`` / ``str``, or a file-like object with ``read``;
* an iterable of ``bytes``/``str`` chunks, or of rows (sequences of values), which are encoded
  in the COPY's format by ``copy_formats``;
* an ``IBodyProducer`` (``startProducing(consumer)`` returning a Deferred, such as
  ``twisted.web.client.FileBodyProducer``), registered on the transport as a streaming
  producer;
* a callable taking an ``IConsumer`` and returning a Deferred that fires when done — the
  general form for ``IPushProducer`` / ``IPullProducer`` sources (e.g. ``FileSender``), which
  register themselves on that consumer.

Iterables and files are pulled one chunk (about 256 kB) each time the transport's send buffer
drains (the copy is registered as a pull producer on the transport), so nothing is read from
the source faster than the network takes it.  An exception from the source aborts the COPY
with CopyFail and the call fails with that exception; cancelling the call's Deferred sends
CopyFail too.  Nothing else is written on the connection while COPY FROM STDIN runs.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.interfaces import IConsumer, IPullProducer, IPushProducer
from twisted.python.failure import Failure
from zope.interface import implementer

from ..protocol.client_events import CopyOutData
from ..protocol.messages import (
    CommandComplete,
    CopyData,
    CopyInResponse,
    CopyOutResponse,
    ErrorResponse,
    FrontendMessage,
    Query,
)
from .operations import Operation

if TYPE_CHECKING:
    from .protocol import ClientProtocol

__all__ = ["CopyIn", "CopyOut", "source_chunks"]

_READ_SIZE = 256 * 1024


def _copy_rowcount(tag: str) -> int:
    last = tag.rpartition(" ")[2]
    return int(last) if last.isdigit() else 0


# ----------------------------------------------------------------------------- COPY TO STDOUT


@implementer(IPushProducer)
class CopyOut(Operation):
    """``COPY ... TO STDOUT`` into a callable, consumer or file; fires with the row count."""

    batch_copy = True

    def __init__(self, protocol: ClientProtocol, sql: str, target: Any) -> None:
        super().__init__(protocol)
        self.sql = sql
        self.rowcount = 0
        self._consumer: Any = None
        self._write: Callable[[bytes], Any]
        if callable(target) and not hasattr(target, "write"):
            self._write = self._callback_writer(target)
        elif hasattr(target, "registerProducer"):
            self._consumer = target
            self._write = target.write
        elif isinstance(target, io.TextIOBase):
            self._write = lambda data: target.write(data.decode())
        elif hasattr(target, "write"):
            self._write = target.write
        else:
            raise TypeError(f"cannot copy into {type(target).__name__}")

    def _callback_writer(self, target: Callable[[bytes], Any]) -> Callable[[bytes], None]:
        def write(data: bytes) -> None:
            outcome = target(data)
            if isinstance(outcome, Deferred) and not outcome.called:
                self.pauseProducing()
                outcome.addErrback(self._target_failed)
                outcome.addBoth(lambda _: self.resumeProducing())
            elif isinstance(outcome, Deferred):
                outcome.addErrback(self._target_failed)

        return write

    def _target_failed(self, failure: Failure) -> None:
        if self.error is None:
            self.error = failure.value

    def messages(self) -> list[FrontendMessage]:
        return [Query(self.sql)]

    def on_copy_out(self, message: CopyOutResponse) -> None:
        if self._consumer is not None:
            self._consumer.registerProducer(self, True)

    def on_copy_out_data(self, event: CopyOutData) -> None:
        self._deliver(event.data)

    def on_copy_data(self, message: CopyData) -> None:
        self._deliver(message.data)

    def _deliver(self, data: bytes) -> None:
        if self.error is not None:
            return
        try:
            self._write(data)
        except Exception as error:
            self.error = error

    def on_copy_done(self, message: Any) -> None:
        self._unregister()

    def on_error(self, message: ErrorResponse) -> None:
        super().on_error(message)
        self._unregister()

    def on_command_complete(self, message: CommandComplete) -> None:
        self.rowcount = _copy_rowcount(message.tag)

    def _unregister(self, resume: bool = True) -> None:
        if self._consumer is not None:
            consumer, self._consumer = self._consumer, None
            consumer.unregisterProducer()
        if resume:
            self.protocol.resume_reading(self)

    def fail(self, error: BaseException) -> None:
        self._unregister(resume=False)
        super().fail(error)

    def result(self) -> int:
        return self.rowcount

    # IPushProducer, for the consumer
    def pauseProducing(self) -> None:
        self.protocol.pause_reading(self)

    def resumeProducing(self) -> None:
        self.protocol.resume_reading(self)

    def stopProducing(self) -> None:
        if self.error is None:
            self.error = ConnectionError("the COPY consumer stopped")
        self.protocol.resume_reading(self)


# ----------------------------------------------------------------------------- COPY FROM STDIN


def _file_chunks(source: Any) -> Iterator[bytes]:
    while True:
        data = source.read(_READ_SIZE)
        if not data:
            return
        yield data.encode() if isinstance(data, str) else bytes(data)


def source_chunks(
    source: Any, encode_rows: Callable[[Iterable[Any]], Iterator[bytes]]
) -> Iterator[bytes]:
    """The bytes of ``source`` (bytes, str, file, iterable of chunks or of rows), chunked."""
    if isinstance(source, bytes | bytearray | memoryview):
        return iter((bytes(source),))
    if isinstance(source, str):
        return iter((source.encode(),))
    if hasattr(source, "read"):
        return _file_chunks(source)
    items = iter(source)
    first = next(items, None)
    if first is None:
        return iter(())
    rest = itertools.chain((first,), items)
    if isinstance(first, bytes | bytearray | memoryview):
        return (bytes(chunk) for chunk in rest)
    if isinstance(first, str):
        return (chunk.encode() for chunk in rest)
    return encode_rows(rest)


@implementer(IConsumer)
class _CopyConsumer:
    """The IConsumer handed to producer sources: writes become CopyData."""

    def __init__(self, operation: CopyIn) -> None:
        self._operation = operation

    def write(self, data: bytes) -> None:
        self._operation.send(data)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self._operation.protocol.transport.registerProducer(producer, streaming)

    def unregisterProducer(self) -> None:
        self._operation.protocol.transport.unregisterProducer()


@implementer(IPullProducer)
class CopyIn(Operation):
    """``COPY ... FROM STDIN`` from a source (see the module docstring); fires with the count."""

    def __init__(
        self,
        protocol: ClientProtocol,
        sql: str,
        source: Any,
        encode_rows: Callable[[Iterable[Any]], Iterator[bytes]],
    ) -> None:
        super().__init__(protocol)
        self.sql = sql
        self.exclusive = True
        self.rowcount = 0
        self._source = source
        self._encode_rows = encode_rows
        self._chunks: Iterator[bytes] | None = None
        self._copying = False
        self._registered = False

    def messages(self) -> list[FrontendMessage]:
        return [Query(self.sql)]

    # -- the server is ready for data -------------------------------------------------------

    def on_copy_in(self, message: CopyInResponse) -> None:
        self._copying = True
        source = self._source
        transport = self.protocol.transport
        if hasattr(source, "startProducing"):
            self._registered = True
            transport.registerProducer(source, True)
            done = maybeDeferred(source.startProducing, _CopyConsumer(self))
            done.addCallbacks(lambda _: self._end(None), self._end)
        elif callable(source) and not hasattr(source, "read"):
            done = maybeDeferred(source, _CopyConsumer(self))
            done.addCallbacks(lambda _: self._end(None), self._end)
        else:
            try:
                self._chunks = source_chunks(source, self._encode_rows)
            except Exception as error:
                self._end(Failure(error))
                return
            self._registered = True
            transport.registerProducer(self, False)  # calls resumeProducing at once

    def send(self, data: bytes) -> None:
        if self._copying and data:
            self.protocol.copy_data(data)

    def resumeProducing(self) -> None:
        """The transport drained its buffer: send the next chunk."""
        if not self._copying or self._chunks is None:
            return
        try:
            chunk = next(self._chunks, None)
        except Exception as error:
            self._end(Failure(error))
            return
        if chunk is None:
            self._end(None)
        else:
            self.send(chunk)

    def stopProducing(self) -> None:
        self._end(Failure(ConnectionError("the connection stopped the COPY")))

    def _end(self, failure: Failure | None) -> Any:
        if self._registered:
            self._registered = False
            self.protocol.transport.unregisterProducer()
        if not self._copying:
            return None
        self._copying = False
        if failure is None:
            self.protocol.copy_done()
        else:
            if self.error is None:
                self.error = failure.value
            self.protocol.copy_fail(f"COPY aborted by the client: {failure.getErrorMessage()}")
        return None

    def abort(self, reason: str) -> bool:
        if not self._copying:
            return False
        self._end(Failure(ConnectionAbortedError(reason)))
        return True

    # -- answers -------------------------------------------------------------------------------

    def on_error(self, message: ErrorResponse) -> None:
        super().on_error(message)
        if self._copying:  # the server gave up on the COPY: stop sending
            self._copying = False
            if self._registered:
                self._registered = False
                self.protocol.transport.unregisterProducer()

    def on_command_complete(self, message: CommandComplete) -> None:
        self.rowcount = _copy_rowcount(message.tag)

    def fail(self, error: BaseException) -> None:
        self._copying = False
        if self._registered and self.protocol.transport is not None:
            self._registered = False
            self.protocol.transport.unregisterProducer()
        super().fail(error)

    def result(self) -> int:
        return self.rowcount
