"""``pg_notify(channel, payload)`` for the SQLite default (SQL reference "NOTIFY").

``pg_notify`` is NOTIFY as a function: the notification is queued in the session (deduplicated
within the transaction, delivered at commit, dropped on rollback — ``server/session.py``).  It
runs inside SQLite (in a worker thread), so it only queues: delivery happens on the reactor
thread when the protocol ends the transaction.  An invalid channel or payload raises the same
PostgresError NOTIFY does; `FunctionContext.error` carries it out of SQLite.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from txpostgres_proto.protocol.errors import PostgresError

from .functions import FunctionContext

__all__ = ["register_pg_notify"]


def register_pg_notify(conn: sqlite3.Connection, session: Any, context: FunctionContext) -> None:
    """Install ``pg_notify`` on ``conn``, queueing on ``session`` (which has ``notify``)."""
    notify = getattr(session, "notify", None)

    def pg_notify(channel: Any, payload: Any) -> None:
        if notify is None:
            error = PostgresError("notifications are not supported by this session", "0A000")
        elif channel is None:
            error = PostgresError("channel name cannot be empty", "22023")
        else:
            try:
                notify(str(channel), "" if payload is None else str(payload))
                return
            except PostgresError as raised:
                error = raised
        context.error = error
        raise error

    conn.create_function("pg_notify", 2, pg_notify)
