"""One statement run through the unnamed portal, answered as one unit.

Nearly every query a driver sends is one read holding ``[Parse] Bind [Describe] Execute Sync``
of the unnamed portal: libpq's ``PQexecParams`` and ``PQexecPrepared`` (pgbench ``-M extended``
and ``-M prepared``), psycopg, asyncpg, pg8000 and JDBC alike.  `ServerConnection.take_bind_cycle`
recognises such a read, and `BindCycleFlow` answers it here with the very steps the message
handlers of ``extended_query.py`` take (the statement made as Parse makes it, the parameters
decoded by the statement's bind plan, the portal described and executed by the same
functions), minus what only a general sequence of messages needs: a decoded message object
per message, dispatch by type, a state lookup per message, looking the portal up by name.

The read goes the general way (nothing done here) whenever it is not plain: a failed
transaction, a statement that is missing, refused, empty or one the session answers itself
(SET, BEGIN, FETCH …), or parameters without a fitting bind plan (the first Bind of a
statement makes the plan, so the next ones come here).  Once answering has started, a step
that has to wait (the backend returns a Deferred, the transport pauses us) or fails hands the
rest of the read to the general loop, exactly as `ServerProtocolCore._run_cycle` does.
"""

from __future__ import annotations

from typing import Final

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.server import BindCycle, ServerState

from .extended_query import Command, ExtendedQueryFlow

__all__ = ["BindCycleFlow"]

_FAILED: Final = m.TransactionStatus.FAILED
_IN_EXTENDED: Final = ServerState.IN_EXTENDED
_SYNCING: Final = ServerState.SYNCING
_PARSE_COMPLETE: Final = m.ParseComplete().encode()


class BindCycleFlow(ExtendedQueryFlow):
    """The bind-cycle shortcut of `PostgresServerProtocol`."""

    def dataReceived(self, data: bytes) -> None:  # noqa: N802 - Twisted API
        conn = self._conn
        if (
            self.fast_path
            and conn is not None
            and not self._busy
            and not self._running
            and not self._stopped
            and self._copy_stream is None
        ):
            cycle = conn.take_bind_cycle(data)
            if cycle is not None and self._run_bind_cycle(data, cycle):
                return
        super().dataReceived(data)

    def _run_bind_cycle(self, data: bytes, cycle: BindCycle) -> bool:
        """Answer ``cycle`` (all of ``data``); False, with nothing done, when it is not plain
        enough for this (see the module docstring)."""
        session = self.session
        conn = self._conn
        assert session is not None and conn is not None
        if session.transaction_status is _FAILED:
            return False
        parse, bind = cycle.parse, cycle.bind
        try:
            if parse is None:
                statement = session.statements.get(bind.statement)
            else:
                statement = self._parsed_statement(parse)
            if statement is None or statement.utility is not None or not statement.sql:
                return False
            values = self._planned_values(bind, statement)
        except PostgresError:
            return False
        if values is None:
            return False
        conn.state = _IN_EXTENDED
        rest = b""
        self._running = True
        try:
            if parse is not None:
                session.statements[""] = statement
                self._out.append(_PARSE_COMPLETE)
            portal = self._open_portal(bind, statement, values)
            if cycle.describe and self._interrupted(self._describe_opened(portal)):
                rest = data[cycle.describe_end :]
            elif self._interrupted(self._execute_opened(portal, cycle.max_rows)):
                rest = data[cycle.execute_end :]
            else:
                conn.state = _SYNCING
                self._ready_for_query()
        finally:
            self._running = False
        self._end_cycle(rest)
        return True

    def _interrupted(self, command: Command | None) -> bool:
        """Run ``command`` (if any); whether the cycle cannot go on here: it waits, it failed
        (the state left `ServerState.IN_EXTENDED`), or the connection stopped."""
        if command is not None:
            self._step(command)
        conn = self._conn
        assert conn is not None
        return self._busy or self._stopped or conn.state is not _IN_EXTENDED
