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

The commonest case of all, a portal run to its end outside a transaction block, goes further
(`BindCycleFlow._complete_portal`): the portal is not stored (the implicit transaction would
close it at Sync), and a backend's answer that is a short list of rows goes out at once,
encoded by the statement's `RowsPlan` (its RowDescription and rows encoder, made for the
columns, result formats, type registry and settings they were made under, and checked against
them before each use) rather than through a `ResultStream`.  Longer or lazy results still
stream under backpressure, through the handlers' own functions.  Tests
(``tests/server/test_cycle_shortcut.py``) run scripts with and without the shortcuts and
compare every byte, backend call and session state.
"""

from __future__ import annotations

from typing import Final

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.protocol.server import BindCycle, ServerState

from .backend import QueryResult, ResultColumn
from .extended import Portal, PreparedStatement, result_tag
from .extended_query import Command, ExtendedQueryFlow
from .rows import RowsPlan, is_short, result_columns

__all__ = ["BindCycleFlow"]

_FAILED: Final = m.TransactionStatus.FAILED
_IDLE: Final = m.TransactionStatus.IDLE
_IN_EXTENDED: Final = ServerState.IN_EXTENDED
_SYNCING: Final = ServerState.SYNCING
_PARSE_COMPLETE: Final = m.ParseComplete().encode()
_NO_DATA: Final = m.NoData().encode()


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
            # The portal ends with the implicit transaction at Sync: unless the cycle stops
            # early, or leaves it suspended or inside a block, it need not be stored.
            keep = cycle.max_rows != 0 or session.transaction_status is not _IDLE
            portal = self._open_portal(bind, statement, values, keep)
            if not keep:
                rest = self._complete_portal(portal, cycle, data)
            elif cycle.describe and self._interrupted(self._describe_opened(portal)):
                rest = data[cycle.describe_end :]
            else:
                command = self._execute_opened(portal, cycle.max_rows)
                rest = self._stopped_at(command, data, cycle.execute_end)
            if not rest:
                conn.state = _SYNCING
                self._ready_for_query()
            elif not keep:
                session.portals[""] = portal  # the general loop goes on with it
        finally:
            self._running = False
        self._end_cycle(rest)
        return True

    def _complete_portal(self, portal: Portal, cycle: BindCycle, data: bytes) -> bytes:
        """Describe (if the cycle does) and run ``portal`` to its end, in the order and with
        the answers of ``_on_describe`` and ``_on_execute``; the bytes left to the general loop
        (from the message that waits, or the Sync after an error), b"" when only the Sync is.

        A result whose rows are a short list or tuple goes out from here, encoded by the
        statement's `RowsPlan`; any other result becomes the portal's stream and is sent by the
        handlers' own functions.
        """
        statement = portal.statement
        description = statement.description
        described = cycle.describe and description is not None
        try:
            if described:
                columns = description.columns  # type: ignore[union-attr]
                if columns is None:
                    self._out.append(_NO_DATA)
                else:
                    portal.columns = columns
                    self._out.append(self._rows_plan(statement, columns, portal).row_description)
            result = self._execute_now(statement.sql, None, portal.params, statement.param_oids)
            if isinstance(result, QueryResult):
                if is_short(result):
                    self._send_result(portal, result, cycle.describe and not described)
                    return b""
                self._keep_result(portal, result)
                if cycle.describe and not described:
                    self._describe_stream(portal)
                return self._stopped_at(self._execute_opened(portal, 0), data, cycle.execute_end)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
            return data[cycle.execute_end :]
        # The backend is still working: the handlers' own commands finish the cycle.
        started = self._finish_start(portal, result)
        if cycle.describe and not described:
            if self._interrupted(self._guarded(self._describe_started(started, portal))):
                return data[cycle.describe_end :]
            return self._stopped_at(self._execute_opened(portal, 0), data, cycle.execute_end)
        command = self._guarded(self._execute_started(started, portal, 0))
        return self._stopped_at(command, data, cycle.execute_end)

    def _send_result(self, portal: Portal, result: QueryResult, describe: bool) -> None:
        """RowDescription (when ``describe``), the rows and CommandComplete of ``result``."""
        statement = portal.statement
        description = statement.description
        columns = result_columns(
            result, portal.columns or (description.columns if description is not None else None)
        )
        out = self._out
        if columns is None:
            if describe:
                out.append(_NO_DATA)
            self._send_command_complete(result_tag(result, False, statement.sql, 0))
            return
        plan = self._rows_plan(statement, columns, portal)
        if describe:
            out.append(plan.row_description)
        self._send_short_result(plan, result, statement.sql)

    def _rows_plan(
        self, statement: PreparedStatement, columns: tuple[ResultColumn, ...], portal: Portal
    ) -> RowsPlan:
        """The statement's `RowsPlan` for ``columns`` in the portal's result formats (made
        anew when they, or the settings, changed); 08P01 or 22023 for formats that do not fit,
        as Describe and Execute say."""
        session = self.session
        assert session is not None
        plan = statement.rows_plan
        if plan is None or not plan.fits(columns, portal.result_formats, session):
            plan = statement.rows_plan = RowsPlan(columns, portal.result_formats, session)
        return plan  # type: ignore[no-any-return]

    def _stopped_at(self, command: Command | None, data: bytes, end: int) -> bytes:
        """Run ``command`` (that of the message ending at ``end``); b"" if it finished, else
        the bytes after that message."""
        return data[end:] if self._interrupted(command) else b""

    def _interrupted(self, command: Command | None) -> bool:
        """Run ``command`` (if any); whether the cycle cannot go on here: it waits, it failed
        (the state left `ServerState.IN_EXTENDED`), or the connection stopped."""
        if command is not None:
            self._step(command)
        conn = self._conn
        assert conn is not None
        return self._busy or self._stopped or conn.state is not _IN_EXTENDED
