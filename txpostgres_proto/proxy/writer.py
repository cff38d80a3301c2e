"""Writing relayed bytes straight to the socket instead of at the reactor's next turn.

A Twisted socket transport's ``write`` only buffers: the bytes go out when the reactor next
finds the socket writable, which costs two epoll updates and one more trip round the loop for
every chunk the proxy relays.  `send_relayed` sends at once when nothing is buffered already
and buffers only what the socket did not take, so ordering and backpressure are unchanged —
the same rule as the library's `direct_write.write_now`, trimmed for the relay: which socket
qualifies (`relay_fd`) is decided once per connection, not per write, and the caller learns
whether anything had to be buffered (its cue to apply backpressure).

The bytes go out with ``os.write`` on the socket's file descriptor: the same ``write(2)`` as
``socket.send`` without flags, minus the socket object's argument parsing and timeout handling
(the transport's socket never blocks).  The descriptor is only written while the transport is
connected: Twisted marks it disconnected before it closes the socket, so a number that might
already belong to another file is never used.
"""

from __future__ import annotations

import os
from typing import Any

from txpostgres_proto.direct_write import can_write_now

__all__ = ["relay_fd", "send_relayed"]


def relay_fd(transport: Any) -> int | None:
    """The file descriptor of a plain TCP/UNIX ``transport``'s socket; None for TLS or any
    other transport, which `send_relayed` then always writes through ``transport.write``."""
    return transport.socket.fileno() if can_write_now(transport) else None


def send_relayed(transport: Any, fd: int | None, data: bytes) -> bool:
    """Write ``data``: True when the socket took it all at once, False when some or all of it
    waits in the transport's buffer (``fd`` is `relay_fd`'s answer for ``transport``)."""
    if (
        fd is not None
        and not transport._tempDataLen
        and not transport.dataBuffer
        and transport.connected
        and not transport.disconnecting
    ):
        try:
            sent = os.write(fd, data)
        except OSError:  # would block, or a broken connection that transport.write reports
            sent = 0
        if sent == len(data):
            return True
        data = data[sent:]
    transport.write(data)
    return False
