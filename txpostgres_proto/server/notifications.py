"""LISTEN / NOTIFY between the connections of one server (protocol section 55.2.7).

PostgreSQL delivers a NOTIFY to every session listening on the channel once the notifying
transaction commits, as a NotificationResponse carrying the notifier's process id, the channel
and the payload.  `NotificationHub` is that switchboard for the connections of one factory:
sessions register the channels they LISTEN on and publish their committed NOTIFYs; each
listener decides when to pass a notification to its client (at once when idle, otherwise
before its next ReadyForQuery outside a transaction block).
"""

from __future__ import annotations

from typing import Protocol

from twisted.logger import Logger

__all__ = ["Listener", "NotificationHub", "MAX_PAYLOAD_BYTES"]

_log = Logger()

#: PostgreSQL's limit on a NOTIFY payload (NAMEDATALEN-independent, in bytes).
MAX_PAYLOAD_BYTES = 7999


class Listener(Protocol):
    """A connection that can receive notifications."""

    def deliver_notification(self, process_id: int, channel: str, payload: str) -> None: ...


class NotificationHub:
    """Channel -> listening connections."""

    def __init__(self) -> None:
        self._channels: dict[str, set[Listener]] = {}

    def listen(self, channel: str, listener: Listener) -> None:
        self._channels.setdefault(channel, set()).add(listener)

    def unlisten(self, channel: str, listener: Listener) -> None:
        listeners = self._channels.get(channel)
        if listeners is not None:
            listeners.discard(listener)
            if not listeners:
                del self._channels[channel]

    def listeners(self, channel: str) -> int:
        """How many connections listen on ``channel``."""
        return len(self._channels.get(channel, ()))

    def notify(self, process_id: int, channel: str, payload: str) -> None:
        """Deliver a committed NOTIFY to every listener of ``channel``.

        A listener that fails is logged and skipped: the others still get the notification,
        and the failure never reaches the committing connection.
        """
        for listener in list(self._channels.get(channel, ())):
            try:
                listener.deliver_notification(process_id, channel, payload)
            except Exception:  # noqa: BLE001 - one listener's bug must not hurt the others
                _log.failure("delivering a notification failed")
