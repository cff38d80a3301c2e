"""Write to a plain TCP/UNIX transport's socket at once when nothing is queued before the data.

Twisted's socket transports never send inside ``write``: they buffer the bytes, ask the reactor to
watch the socket for writability, and send on the next reactor iteration (then stop watching).  For
a client doing one request at a time, or a server answering one, that costs a full extra reactor
iteration and two ``epoll_ctl`` calls per exchange — about a third of a prepared round trip's
client-side time.  `write_now` sends straight away instead when the transport's own buffers are
empty (so the byte order on the wire cannot change) and hands whatever the socket did not take (or
the whole data, after an error) to ``transport.write``, which then proceeds exactly as usual:
buffering, retrying, or reporting the lost connection.  While a pull producer is registered on the
transport (the client's COPY FROM STDIN), everything goes through ``transport.write``: a pull
producer is asked for more only when the transport's buffer drains, which needs the buffer to be
used.  A push producer (the server registers itself as one) is paused by ``transport.write`` when
what the socket did not take fills the buffer, exactly as before.

The socket's ``send`` is called directly: the transport's ``writeSomeData`` adds a Python-level
retry loop and a size cap, which the socket's own partial sends make unnecessary here.
Only transports that are Twisted's own socket connections without TLS qualify; TLS transports
(whose bytes must pass through the TLS engine) and any other transport always go through
``transport.write``.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.tcp import Connection as SocketConnection

__all__ = ["can_write_now", "write_now"]


def can_write_now(transport: Any) -> bool:
    """Whether `write_now` may be used with ``transport`` (a socket connection, not TLS)."""
    return isinstance(transport, SocketConnection) and not getattr(transport, "TLS", False)


def write_now(transport: SocketConnection, data: bytes) -> None:
    """Send ``data`` on ``transport`` (one `can_write_now` accepted), as far as the socket takes
    it now when nothing else waits to be sent; the rest goes through ``transport.write``."""
    if (
        not transport._tempDataLen
        and not transport.dataBuffer
        and transport.connected
        and not transport.disconnecting
        and not transport.TLS
        and (transport.producer is None or transport.streamingProducer)
    ):
        try:
            sent = transport.socket.send(data)
        except OSError:  # would block, interrupted or lost: ``write`` sees to it
            sent = 0
        if sent == len(data):
            return
        if sent:
            data = data[sent:]
    transport.write(data)
