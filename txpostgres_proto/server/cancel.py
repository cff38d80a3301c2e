"""Cancel keys: which connection a CancelRequest (protocol section 55.2.9) is aimed at.

Every authenticated connection gets a process id and a secret key (sent in BackendKeyData).
To cancel the running query a client opens a *new* connection and sends CancelRequest with the
pair; the server compares the secret in constant time and, when it matches, interrupts the
target's current command.  The cancelling connection gets no answer either way, so a wrong guess
reveals nothing.

`CancelRegistry` is shared by all connections of one factory: it hands out unique random
process ids (positive int32, like PostgreSQL's pids) and 4-byte secrets (protocol 3.0), and
routes a matching request to the target's ``cancel_current_command``.
"""

from __future__ import annotations

import hmac
import os
import secrets
from typing import Protocol

__all__ = ["CancelRegistry", "Cancellable"]

_MAX_PID = 0x7FFFFFFF
_SECRET_LENGTH = 4


class Cancellable(Protocol):
    """A connection whose running command can be interrupted."""

    def cancel_current_command(self) -> None: ...


class CancelRegistry:
    """Process id -> (secret, connection) for every authenticated connection."""

    def __init__(self) -> None:
        self._targets: dict[int, tuple[bytes, Cancellable]] = {}

    def __len__(self) -> int:
        return len(self._targets)

    def register(self, target: Cancellable) -> tuple[int, bytes]:
        """Give ``target`` a new (process id, secret key) pair."""
        while True:
            process_id = secrets.randbelow(_MAX_PID - 1) + 1
            if process_id not in self._targets:
                break
        secret = os.urandom(_SECRET_LENGTH)
        self._targets[process_id] = (secret, target)
        return process_id, secret

    def unregister(self, process_id: int) -> None:
        """The connection is gone; its key stops working."""
        self._targets.pop(process_id, None)

    def cancel(self, process_id: int, secret_key: bytes) -> bool:
        """Interrupt the command of the connection owning this key; False if none does."""
        entry = self._targets.get(process_id)
        if entry is None:
            hmac.compare_digest(secret_key, bytes(len(secret_key)))  # same work either way
            return False
        secret, target = entry
        if not hmac.compare_digest(secret, secret_key):
            return False
        target.cancel_current_command()
        return True
