"""A protocol-level test client: encoded messages out, the server's raw answer bytes back."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Sequence

from tests.pgserver import DATABASE, TRUST_USER
from txpostgres_proto.protocol import messages as m
from txpostgres_proto.proxy.frames import FrameCutter


class RawClient:
    """A protocol-level client: sends encoded messages, returns the server's raw answers."""

    def __init__(
        self, host: str, port: int, tls: bool = False, parameters: dict[str, str] | None = None
    ) -> None:
        sock = socket.create_connection((host, port), timeout=30)
        if tls:
            sock.sendall(m.SSLRequest().encode())
            assert sock.recv(1) == b"S"
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            sock = context.wrap_socket(sock)
        self.sock = sock
        self._frames = FrameCutter(frozenset(b"Z"))
        startup = m.StartupMessage({"user": TRUST_USER, "database": DATABASE, **(parameters or {})})
        self.sock.sendall(startup.encode())
        started = self.read_until_ready(1)
        key = started.index(b"K\x00\x00\x00\x0c")
        #: The BackendKeyData the server gave: (process id, secret key).
        self.backend_key = (
            int.from_bytes(started[key + 5 : key + 9], "big", signed=True),
            started[key + 9 : key + 13],
        )
        self._address = (host, port)

    def cancel(self) -> None:
        """Send a CancelRequest for this session on a new connection."""
        with socket.create_connection(self._address, timeout=30) as sock:
            sock.sendall(m.CancelRequest(*self.backend_key).encode())
            sock.recv(1)  # the server closes it once the request is handled

    def send(self, messages: Sequence[m.FrontendMessage]) -> None:
        self.sock.sendall(b"".join(message.encode() for message in messages))

    def exchange(self, messages: Sequence[m.FrontendMessage], ready: int, pause: float) -> bytes:
        self.sock.sendall(b"".join(message.encode() for message in messages))
        time.sleep(pause)
        return self.read_until_ready(ready)

    def read_until_ready(self, count: int) -> bytes:
        received = bytearray()
        while count:
            data = self.sock.recv(65536)
            assert data, "the server closed the connection"
            frames, ready = self._frames.cut(data)
            received += frames
            count -= len(ready)
        assert count == 0
        return bytes(received)

    def close(self) -> None:
        self.sock.sendall(m.Terminate().encode())
        self.sock.close()
