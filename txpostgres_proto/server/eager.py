"""Run a coroutine eagerly: as far as it goes without waiting, and go on later only if it waits.

Most of what the server does for a message never really waits: the backend answers at once,
the rows are a list, the transport takes the output.  Wrapping such work in a command that the
event loop drives (``protocol_core._step``) costs a few function calls and a Deferred callback
per message for nothing.  `run_now` starts a coroutine right away; when it finishes without
waiting, its value is returned directly.  When it does wait on a Deferred, the caller gets a
`Resumption`: an awaitable that, awaited from a command, hands the Deferred the coroutine is
waiting on to the loop and then drives the rest of it, exactly as ``await coroutine`` would have
from the start (values and exceptions pass through unchanged, as with ``yield from``).
"""

from __future__ import annotations

from collections.abc import Coroutine, Generator
from typing import Any, Generic, TypeVar

__all__ = ["Resumption", "run_now"]

T = TypeVar("T")


class Resumption(Generic[T]):
    """The rest of a coroutine that waited the first time it ran (see `run_now`)."""

    __slots__ = ("_coroutine", "_waiting")

    def __init__(self, coroutine: Coroutine[Any, Any, T], waiting: Any) -> None:
        self._coroutine = coroutine
        self._waiting = waiting

    def __await__(self) -> Generator[Any, Any, T]:
        coroutine, waiting = self._coroutine, self._waiting
        while True:
            try:
                sent = yield waiting
            except GeneratorExit:
                coroutine.close()
                raise
            except BaseException as error:  # noqa: BLE001 - passed on, like `yield from`
                try:
                    waiting = coroutine.throw(error)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]
            else:
                try:
                    waiting = coroutine.send(sent)
                except StopIteration as stop:
                    return stop.value  # type: ignore[no-any-return]


def run_now(coroutine: Coroutine[Any, Any, T]) -> tuple[T | None, Resumption[T] | None]:
    """``(value, None)`` when ``coroutine`` ran to its end at once, ``(None, rest)`` when it
    waits: ``await rest`` then gives its value."""
    try:
        waiting = coroutine.send(None)
    except StopIteration as stop:
        return stop.value, None
    return None, Resumption(coroutine, waiting)
