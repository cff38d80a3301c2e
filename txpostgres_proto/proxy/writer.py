"""Writing relayed bytes at once instead of at the reactor's next turn.

A Twisted TCP transport's ``write`` only buffers: the bytes go out when the reactor next finds
the socket writable, which costs two epoll updates and one more trip round the loop for every
message the proxy relays — most of a small query's time in the proxy.  When nothing is
buffered already, `write_now` sends straight away with the transport's own ``writeSomeData``
and buffers only what the socket did not take, so ordering and backpressure are unchanged.
Transports without that machinery, and TLS ones (``startTLS`` encrypts inside ``write``),
simply get ``write``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["write_now"]


def write_now(transport: Any, data: bytes) -> bool:
    """Write ``data`` to ``transport``, sending immediately when its buffer is empty.

    True when everything went out at once; False when some of it waits in the transport.
    """
    if (
        getattr(transport, "TLS", None) is False  # after startTLS writes must go through TLS
        and getattr(transport, "dataBuffer", None) == b""
        and not getattr(transport, "_tempDataBuffer", True)
        and transport.connected
        and not transport.disconnecting
    ):
        sent = transport.writeSomeData(data)
        if isinstance(sent, int):
            if sent == len(data):
                return True
            data = data[sent:]
    transport.write(data)
    return False
