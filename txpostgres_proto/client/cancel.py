"""Delivering a CancelRequest (protocol section 55.2.8, "Canceling Requests in Progress").

A cancel request travels on a *new* connection to the same server: the client sends the
16-byte CancelRequest packet (process id and secret key from BackendKeyData) and the server
closes that connection without answering.  `deliver_cancel_request` does that over an
already-connected transport; `endpoint_cancel_connector` builds the ``cancel_connector`` a
``ClientProtocol`` needs from a Twisted client endpoint (``connect()`` provides one that also
negotiates TLS the way the main connection did).
"""

from __future__ import annotations

from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.protocol import Factory, Protocol, connectionDone
from twisted.python.failure import Failure

from ..protocol.messages import CancelRequest
from .protocol import CancelConnector

__all__ = ["CancelRequestProtocol", "endpoint_cancel_connector"]


class CancelRequestProtocol(Protocol):
    """Writes one CancelRequest and waits for the server to close the connection."""

    transport: Any

    def __init__(self, request: CancelRequest) -> None:
        self.request = request
        self.done: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.request.encode())

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        if not self.done.called:
            self.done.callback(None)


def endpoint_cancel_connector(endpoint: Any) -> CancelConnector:
    """A ``cancel_connector``: connect to ``endpoint`` (an ``IStreamClientEndpoint``), send the
    request, wait for the server to close the connection."""

    def connector(request: CancelRequest) -> Deferred[None]:
        protocol = CancelRequestProtocol(request)
        connected: Deferred[Any] = endpoint.connect(Factory.forProtocol(lambda: protocol))
        connected.addCallback(lambda _: protocol.done)
        return connected

    return connector
