"""The control channel between the supervisor of a multi-process server and its workers.

Each worker has two pipes to the supervisor (one per direction, see ``workers.py``); both carry
one JSON object per line.  The messages are few and small:

* ``{"op": "cancel", "pid": P, "key": "hex"}`` — a CancelRequest (protocol section 55.2.9)
  arrived at a worker that does not own process id ``P``; the supervisor hands it to every other
  worker, and the one owning the key cancels its running command;
* ``{"op": "notify", "pid": P, "channel": C, "payload": S}`` — a committed NOTIFY (section
  55.2.7); the supervisor hands it to every other worker, whose listeners receive it.

`ControlChannel` is the line protocol used on both ends: it decodes incoming lines and passes
each message to ``on_message``, and encodes outgoing ones with `send`.  Lines that are not valid
JSON objects are logged and dropped (a broken worker must not take the supervisor down).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from twisted.logger import Logger
from twisted.protocols.basic import LineOnlyReceiver
from twisted.python.failure import Failure

__all__ = ["ControlChannel", "Message"]

#: One control message, a JSON object with an ``op`` member.
Message = dict[str, Any]
_log = Logger()


class ControlChannel(LineOnlyReceiver):
    """JSON lines in both directions; ``on_lost`` runs when the other end goes away."""

    delimiter = b"\n"
    MAX_LENGTH = 1 << 20  # a NOTIFY payload is at most 8000 bytes; leave room for escaping

    def __init__(
        self, on_message: Callable[[Message], None], on_lost: Callable[[], None] | None = None
    ) -> None:
        self.on_message = on_message
        self.on_lost = on_lost

    def send(self, message: Message) -> None:
        """Write ``message`` as one line (dropped silently once the channel is closed)."""
        if self.transport is not None:
            self.sendLine(json.dumps(message, separators=(",", ":")).encode())

    def lineReceived(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except ValueError:
            _log.warn("dropping a malformed control message: {line!r}", line=line[:200])
            return
        if isinstance(message, dict) and isinstance(message.get("op"), str):
            self.on_message(message)
        else:
            _log.warn("dropping a control message without op: {line!r}", line=line[:200])

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.transport = None
        if self.on_lost is not None:
            self.on_lost()
