"""LISTEN/NOTIFY and notices: routing the server's asynchronous messages to callbacks.

NotificationResponse (protocol section 55.2.7, "Asynchronous Operations") arrives whenever the
session listens on a channel and another session NOTIFYs it — between query answers, or while
the connection is idle.  `NotificationDispatcher` keeps channel -> callbacks; the connection
issues ``LISTEN`` when a channel gets its first callback and ``UNLISTEN`` when it loses its
last.  A callback receives the NotificationResponse (``process_id``, ``channel``,
``payload``); an exception from one callback is logged and does not stop the others.

Notices (NoticeResponse: warnings, ``RAISE NOTICE``, ...) go to every callable in
``notice_callbacks`` as a `PostgresError` built from the notice fields (the same attributes as
an error: ``severity``, ``message``, ``detail``, ...), and are logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.logger import Logger

from ..protocol.errors import PostgresError
from ..protocol.messages import NoticeResponse, NotificationResponse

__all__ = ["NotificationDispatcher", "NoticeDispatcher", "quote_identifier"]

NotificationCallback = Callable[[NotificationResponse], Any]
NoticeCallback = Callable[[PostgresError], Any]


def quote_identifier(name: str) -> str:
    """``name`` as an SQL identifier in double quotes (embedded quotes doubled)."""
    if "\x00" in name:
        raise ValueError("identifiers cannot contain NUL characters")
    return '"' + name.replace('"', '""') + '"'


class NotificationDispatcher:
    """channel -> callbacks for NotificationResponse messages."""

    log = Logger()

    def __init__(self) -> None:
        self._callbacks: dict[str, list[NotificationCallback]] = {}

    def channels(self) -> list[str]:
        return list(self._callbacks)

    def add(self, channel: str, callback: NotificationCallback) -> bool:
        """Register ``callback``; True when ``channel`` had no callback before (LISTEN it)."""
        callbacks = self._callbacks.setdefault(channel, [])
        callbacks.append(callback)
        return len(callbacks) == 1

    def remove(self, channel: str, callback: NotificationCallback | None = None) -> bool:
        """Unregister ``callback`` (all of the channel's when None); True when the channel has
        no callback left (UNLISTEN it)."""
        callbacks = self._callbacks.get(channel)
        if callbacks is None:
            return False
        if callback is None:
            callbacks.clear()
        elif callback in callbacks:
            callbacks.remove(callback)
        if callbacks:
            return False
        del self._callbacks[channel]
        return True

    def dispatch(self, notification: NotificationResponse) -> None:
        for callback in list(self._callbacks.get(notification.channel, ())):
            try:
                callback(notification)
            except Exception:
                self.log.failure(
                    "notification callback for channel {channel} failed",
                    channel=notification.channel,
                )


class NoticeDispatcher:
    """Notices to ``callbacks`` and to the log."""

    log = Logger()

    def __init__(self) -> None:
        self.callbacks: list[NoticeCallback] = []

    def dispatch(self, message: NoticeResponse) -> None:
        notice = PostgresError.from_fields(message.fields)
        if notice.severity_nonlocalized == "WARNING" or notice.severity == "WARNING":
            self.log.warn("PostgreSQL warning: {message}", message=notice.message)
        else:
            self.log.info(
                "PostgreSQL {severity}: {message}", severity=notice.severity, message=notice.message
            )
        for callback in list(self.callbacks):
            try:
                callback(notice)
            except Exception:
                self.log.failure("notice callback failed")
