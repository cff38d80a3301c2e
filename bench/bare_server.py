"""The floor under our server: Twisted alone holding connections, ``python -m bench.bare_server``.

No txpostgres_proto at all: each connection's first packet (the StartupMessage) is answered
with two canned messages, AuthenticationOk and ReadyForQuery, and everything after it is
ignored.  The idle-connections benchmark runs it next to our servers to show what one idle
connection costs in Twisted itself (its transport and protocol objects), the part of the
per-connection memory our code cannot remove.

``--listen`` takes a Twisted endpoint string like ``python -m txpostgres_proto`` does
(``tcp:5432:interface=127.0.0.1``); the server runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
from typing import Any, Final

from twisted.internet.endpoints import serverFromString
from twisted.internet.protocol import Factory, Protocol

_AUTHENTICATION_OK: Final = b"R\x00\x00\x00\x08\x00\x00\x00\x00"
_READY_FOR_QUERY: Final = b"Z\x00\x00\x00\x05I"


class BareStartup(Protocol):
    """Answers the first packet with AuthenticationOk + ReadyForQuery, then ignores input."""

    answered = False

    def dataReceived(self, data: bytes) -> None:
        if not self.answered:
            self.answered = True
            transport: Any = self.transport
            transport.write(_AUTHENTICATION_OK + _READY_FOR_QUERY)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--listen", required=True, help="Twisted server endpoint string")
    args = parser.parse_args()

    from twisted.internet import reactor as global_reactor

    reactor: Any = global_reactor
    serverFromString(reactor, args.listen).listen(Factory.forProtocol(BareStartup))
    reactor.run()


if __name__ == "__main__":
    main()
