"""The extended query messages: Parse, Bind, Describe, Execute, Close, Sync, Flush.

Protocol section 55.2.3.  Parse makes a `PreparedStatement`, Bind a `Portal` (parameters decoded
with the type registry), Describe answers without executing when the backend can describe the
statement (a portal whose statement it cannot describe is run, and its result kept for the
Execute that follows), Execute sends the rows (PortalSuspended after ``max_rows``), Sync ends
the cycle with ReadyForQuery.  After an error every message up to Sync is skipped (that is the
state machine's job, ``protocol/server.py``).

This is the server's hottest code (pgbench and every driver's prepared statements come this
way), so each handler does its work in one go whenever nothing has to wait: the backend is
called directly and, when it answers at once, no coroutine or Deferred is made; fixed answers
(ParseComplete, BindComplete, ReadyForQuery, NoData) are encoded once; a statement remembers
its parameter decoders for the next Bind.  Only when something does wait (a backend returning
a Deferred, a transport pausing us) does a handler hand the loop a command (``eager.py``) that
finishes the same work later; the answers are the same bytes either way.
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from typing import Any, Final, NoReturn

from txpostgres_proto.protocol import messages as m
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import ExecuteStatement, FetchStatement
from txpostgres_proto.types import oids
from txpostgres_proto.types.input_names import input_sqlstate, input_type_name

from .backend import QueryResult, ResultColumn, StatementDescription
from .eager import run_now
from .extended import Portal, PreparedStatement, result_formats, row_description_bytes
from .statements import StatementRunner

__all__ = ["ExtendedQueryFlow"]

_FAILED: Final = m.TransactionStatus.FAILED
_PARSE_COMPLETE: Final = m.ParseComplete().encode()
_BIND_COMPLETE: Final = m.BindComplete().encode()
_CLOSE_COMPLETE: Final = m.CloseComplete().encode()
_NO_DATA: Final = m.NoData().encode()
_PORTAL_SUSPENDED: Final = m.PortalSuspended().encode()
_EMPTY_QUERY: Final = m.EmptyQueryResponse().encode()

Command = Coroutine[Any, Any, None]
#: PostgreSQL's error for a text value holding NUL (a text parameter is a C string there).
_NUL_IN_TEXT: Final = 'invalid byte sequence for encoding "UTF8": 0x00'


def _holds_nul() -> NoReturn:
    """A bind plan met a text value holding NUL: the general path reports it."""
    raise ValueError(_NUL_IN_TEXT)


def _parameter_place(bind: m.Bind, index: int) -> str:
    """Where parameter ``index`` of ``bind`` is, as an error's context says it."""
    if not bind.portal:
        return f"unnamed portal parameter ${index + 1}"
    return f'portal "{bind.portal}" parameter ${index + 1}'


class ExtendedQueryFlow(StatementRunner):
    """The extended-query part of `PostgresServerProtocol`."""

    def _guarded(self, work: Awaitable[None]) -> Command:
        """A command finishing ``work``; its error is reported to the client."""

        async def guarded() -> None:
            try:
                await work
            except Exception as error:  # noqa: BLE001 - reported to the client
                self._report_error(error)

        return guarded()

    def _portal(self, name: str) -> Portal:
        session = self.session
        assert session is not None
        return session.portal(name, "portal")

    # -- Parse -----------------------------------------------------------------------------

    def _on_parse(self, parse: m.Parse) -> None:
        session = self.session
        conn = self._conn
        assert session is not None and conn is not None
        try:
            name = parse.name
            if name and name in session.statements:
                raise PostgresError(f'prepared statement "{name}" already exists', "42P05")
            session.statements[name] = self._parsed_statement(parse)
            kind = m.ParseComplete
            self._out.append(
                _PARSE_COMPLETE if kind in conn.quiet else conn.send_encoded(kind, _PARSE_COMPLETE)
            )
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)

    def _parsed_statement(self, parse: m.Parse) -> PreparedStatement:
        """The statement ``parse`` makes (not yet stored); PostgresError when it is refused."""
        session = self.session
        assert session is not None
        failed = session.transaction_status is _FAILED
        version = session.settings.version
        old = session.statements.get(parse.name)
        if old is not None and old.parsed_by == (parse, version) and not failed:
            if old.utility is None and old.description is None:
                # The same Parse again under the same settings (clients re-parse the unnamed
                # statement for every query), of a statement the backend has not described
                # since: the new statement would be this one.
                return old
        statement = PreparedStatement.create(parse.name, parse.query, parse.param_types, session)
        statement.parsed_by = (parse, version)
        if failed:
            self._check_not_failed(statement.utility)
        if old is not None and old.sql == statement.sql:
            # The same statement again: its parameter decoders and result encoders still fit
            # (each plan records what it is for, and is checked against that before use).
            statement.bind_plan = old.bind_plan
            statement.rows_plan = old.rows_plan
        return statement

    # -- Bind ------------------------------------------------------------------------------

    def _on_bind(self, bind: m.Bind) -> Command | None:
        try:
            return self._bind(bind)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
            return None

    def _bind(self, bind: m.Bind) -> Command | None:
        """Open the portal now (None), or return the command that will (the statement must
        be described first)."""
        session = self.session
        assert session is not None
        statement = session.statements.get(bind.statement) or self._statement(bind.statement)
        if session.transaction_status is _FAILED:
            self._check_not_failed(statement.utility)
        if bind.portal and bind.portal in session.portals:
            raise PostgresError(f'cursor "{bind.portal}" already exists', "42P03")
        values = self._planned_values(bind, statement)
        if values is not None:
            self._open_portal(bind, statement, values)
            return None
        # Parameter types: as described (when the statement was), else as Parse gave them; a
        # binary value of unspecified type needs the backend to describe the statement.
        formats = bind.param_formats
        per_param = _per_param(formats, len(bind.params))
        types = _param_types(statement)
        if any(fmt == 1 and oid == 0 for fmt, oid in zip(per_param, types, strict=True)):
            return self._guarded(self._bind_described(bind, statement, per_param))
        values = self._decode_params(bind, per_param, types)
        version = session.settings.version
        statement.bind_plan = self._bind_plan(formats, per_param, types, version)
        self._open_portal(bind, statement, values)
        return None

    def _planned_values(self, bind: m.Bind, statement: PreparedStatement) -> tuple[Any, ...] | None:
        """``bind``'s parameter values, when there are none or the statement's bind plan
        decodes them; None when the plan does not fit (other formats, types or settings) or a
        value does not decode (the general path then words the error).  08P01 when the counts
        do not fit the statement."""
        params = bind.params
        count = len(params)
        formats = bind.param_formats
        if len(formats) > 1 and len(formats) != count:
            raise PostgresError(
                f"bind message has {len(formats)} parameter formats but {count} parameters",
                "08P01",
            )
        param_oids = statement.param_oids
        if count != len(param_oids):
            raise PostgresError(
                f"bind message supplies {count} parameters, but prepared statement "
                f'"{statement.name}" requires {len(param_oids)}',
                "08P01",
            )
        if not count:
            return ()
        plan = statement.bind_plan
        session = self.session
        assert session is not None
        if (
            plan is None
            or plan[0] != formats
            or plan[1] != _param_types(statement)
            or plan[2] != session.settings.version
        ):
            return None
        # A text value holding NUL is refused too (``0 in raw``: a memchr), by the general path.
        text = plan[4]
        try:
            if text is None:
                return tuple(
                    [
                        None if raw is None else decode(raw) if 0 not in raw else _holds_nul()
                        for raw, decode in zip(params, plan[3], strict=True)
                    ]
                )
            if text and any(params[index] and 0 in params[index] for index in text):
                return None
            return tuple(
                [
                    None if raw is None else decode(raw)
                    for raw, decode in zip(params, plan[3], strict=True)
                ]
            )
        except Exception:  # noqa: BLE001 - the general path words the error
            return None

    async def _bind_described(
        self, bind: m.Bind, statement: PreparedStatement, per_param: tuple[int, ...]
    ) -> None:
        types = (await self._describe_statement(statement)).param_oids
        self._open_portal(bind, statement, self._decode_params(bind, per_param, types))

    def _bind_plan(
        self,
        formats: tuple[int, ...],
        per_param: tuple[int, ...],
        types: tuple[int, ...],
        version: int,
    ) -> tuple[Any, ...] | None:
        """What the next Bind with the same formats and types reuses: the decoders, and where
        the text values are (see `_planned_values`)."""
        session = self.session
        assert session is not None
        if any(fmt not in (0, 1) for fmt in per_param):
            return None
        registry, zone = session.registry, session.timezone
        try:
            decoders = tuple(
                registry.decoder(oid, fmt, timezone=zone)
                for fmt, oid in zip(per_param, types, strict=True)
            )
        except Exception:  # noqa: BLE001 - no plan; every Bind takes the general path
            return None
        # Where text values are, to refuse NUL in them: None when all are, else their positions.
        text = (
            None
            if 1 not in per_param
            else tuple(index for index, fmt in enumerate(per_param) if fmt == 0)
        )
        return (formats, types, version, decoders, text)

    def _open_portal(
        self, bind: m.Bind, statement: PreparedStatement, values: tuple[Any, ...], keep: bool = True
    ) -> Portal:
        """The portal ``bind`` opens, replacing one of the same name, and BindComplete;
        ``keep``: store it in the session (else the caller does, if it outlives the cycle)."""
        session = self.session
        conn = self._conn
        assert session is not None and conn is not None
        portals = session.portals
        if portals:
            old = portals.pop(bind.portal, None)
            if old is not None:
                old.close()
        portal = Portal(bind.portal, statement, values, bind.result_formats)
        if keep:
            portals[bind.portal] = portal
        kind = m.BindComplete
        self._out.append(
            _BIND_COMPLETE if kind in conn.quiet else conn.send_encoded(kind, _BIND_COMPLETE)
        )
        return portal

    def _decode_params(
        self, bind: m.Bind, formats: tuple[int, ...], types: tuple[int, ...]
    ) -> tuple[Any, ...]:
        session = self.session
        assert session is not None
        registry = session.registry
        values: list[Any] = []
        for index, (raw, fmt, oid) in enumerate(zip(bind.params, formats, types, strict=True)):
            if raw is None:
                values.append(None)
                continue
            if fmt not in (0, 1):
                raise PostgresError(f"unsupported format code: {fmt}", "08P01")
            if fmt == 0 and 0 in raw:
                raise PostgresError(_NUL_IN_TEXT, "22021", where=_parameter_place(bind, index))
            try:
                decoder = registry.decoder(oid, fmt, timezone=session.timezone)
                values.append(decoder(raw))
            except Exception:  # noqa: BLE001 - any codec failure is bad input
                info = registry.type_info(oid)
                type_name = input_type_name(oid, info.name if info is not None else str(oid))
                where = _parameter_place(bind, index)
                if fmt == 1:
                    raise PostgresError(
                        f"incorrect binary data format in bind parameter {index + 1}",
                        "22P03",
                        where=where,
                    ) from None
                text = raw.decode("utf-8", "replace")
                raise PostgresError(
                    f'invalid input syntax for type {type_name}: "{text}"',
                    input_sqlstate(oid),
                    where=where,
                ) from None
        return tuple(values)

    # -- Describe --------------------------------------------------------------------------

    async def _describe_statement(self, statement: PreparedStatement) -> StatementDescription:
        utility = statement.utility
        if isinstance(utility, FetchStatement):
            stream = self._cursor(utility.cursor).stream
            assert stream is not None
            columns = None if stream.columns is None else tuple(stream.columns)
            return StatementDescription(statement.param_oids, columns)
        if isinstance(utility, ExecuteStatement):
            inner = await self._describe_statement(self._statement(utility.name))
            return StatementDescription(statement.param_oids, inner.columns)
        if statement.description is None:
            described = await self._call_backend(
                self.backend.describe, statement.sql, statement.param_oids
            )
            if not isinstance(described, StatementDescription):
                raise TypeError(
                    f"backend.describe returned {described!r}, not a StatementDescription"
                )
            given = statement.param_oids
            found = tuple(described.param_oids) + (0,) * (len(given) - len(described.param_oids))
            merged = tuple(
                given_oid or found_oid or oids.TEXT
                for given_oid, found_oid in zip(given, found, strict=False)
            )
            columns = None if described.columns is None else tuple(described.columns)
            statement.description = StatementDescription(merged, columns)
        return statement.description

    def _on_describe(self, describe: m.Describe) -> Command | None:
        try:
            if describe.kind == "S":
                return self._guarded(self._describe_statement_message(describe.name))
            assert self.session is not None
            portal = self.session.portals.get(describe.name) or self._portal(describe.name)
            return self._describe_opened(portal)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
        return None

    def _describe_opened(self, portal: Portal) -> Command | None:
        """Describe ``portal``: at once (None) from its statement's description or its result,
        else by running it first (the command that does); errors are reported."""
        try:
            if portal.stream is None:
                description = portal.statement.description
                if description is not None:
                    self._describe_portal(portal, description.columns)
                    return None
                started = self._start_portal(portal)
                if started is not None:
                    return self._guarded(self._describe_started(started, portal))
            self._describe_stream(portal)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
        return None

    async def _describe_statement_message(self, name: str) -> None:
        description = await self._describe_statement(self._statement(name))
        self._send(m.ParameterDescription(description.param_oids))
        if description.columns is None:
            self._send_encoded(m.NoData, _NO_DATA)
        else:
            formats = (0,) * len(description.columns)
            self._send_encoded(
                m.RowDescription, row_description_bytes(description.columns, formats)
            )

    async def _describe_started(self, started: Awaitable[None], portal: Portal) -> None:
        await started
        self._describe_stream(portal)

    def _describe_stream(self, portal: Portal) -> None:
        """RowDescription (or NoData) for a portal that has run: its result's columns, in the
        formats the result is sent in."""
        stream = portal.stream
        assert stream is not None
        columns = stream.columns
        if columns is None:
            self._send_encoded(m.NoData, _NO_DATA)
            return
        portal.columns = columns  # type: ignore[assignment]
        formats = tuple(stream.formats)
        self._send_encoded(m.RowDescription, row_description_bytes(columns, formats))

    def _describe_portal(self, portal: Portal, columns: tuple[ResultColumn, ...] | None) -> None:
        """RowDescription (or NoData) for a portal returning ``columns``."""
        if columns is None:
            self._send_encoded(m.NoData, _NO_DATA)
            return
        portal.columns = columns
        formats = tuple(result_formats(portal.result_formats, len(columns)))
        self._send_encoded(m.RowDescription, row_description_bytes(columns, formats))

    # -- Execute ---------------------------------------------------------------------------

    def _start_portal(self, portal: Portal) -> Awaitable[None] | None:
        """Run the portal's statement, keeping the result in ``portal.stream``: None when that
        happened at once, else what finishes it."""
        statement = portal.statement
        result = self._execute_now(
            statement.sql, statement.utility, portal.params, statement.param_oids
        )
        if isinstance(result, QueryResult):
            self._keep_result(portal, result)
            return None
        return self._finish_start(portal, result)

    async def _finish_start(self, portal: Portal, pending: Awaitable[QueryResult]) -> None:
        self._keep_result(portal, await pending)

    def _keep_result(self, portal: Portal, result: QueryResult) -> None:
        columns = portal.columns
        description = portal.statement.description
        if columns is None and description is not None:
            columns = description.columns
        portal.stream = self._stream(result, columns, portal.result_formats)

    def _on_execute(self, execute: m.Execute) -> Command | None:
        try:
            session = self.session
            assert session is not None
            portal = session.portals.get(execute.portal) or self._portal(execute.portal)
            statement = portal.statement
            if session.transaction_status is _FAILED:
                self._check_not_failed(statement.utility)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
            return None
        return self._execute_opened(portal, execute.max_rows)

    def _execute_opened(self, portal: Portal, max_rows: int) -> Command | None:
        """Execute ``portal``: at once (None), or the command that finishes; errors are
        reported."""
        try:
            if not portal.statement.sql:
                self._send_encoded(m.EmptyQueryResponse, _EMPTY_QUERY)
                return None
            if portal.stream is None:
                started = self._start_portal(portal)
                if started is not None:
                    return self._guarded(self._execute_started(started, portal, max_rows))
            rest = self._finish_execute(portal, max_rows)
            return None if rest is None else self._guarded(rest)
        except Exception as error:  # noqa: BLE001 - reported to the client
            self._report_error(error)
            return None

    async def _execute_started(
        self, started: Awaitable[None], portal: Portal, max_rows: int
    ) -> None:
        await started
        rest = self._finish_execute(portal, max_rows)
        if rest is not None:
            await rest

    def _finish_execute(self, portal: Portal, max_rows: int) -> Awaitable[None] | None:
        """Send the rows and CommandComplete (or PortalSuspended) of a started portal: None
        when all went out at once, else what sends the rest."""
        stream = portal.stream
        assert stream is not None
        if stream.columns is None:
            self._send_command_complete(stream.tag(portal.statement.sql, 0))
            return None
        sent, rest = run_now(self._send_rows(stream, max(max_rows, 0)))
        if rest is not None:
            return self._complete_execute(portal, rest)
        assert sent is not None
        self._rows_sent(portal, *sent)
        return None

    async def _complete_execute(self, portal: Portal, sending: Awaitable[tuple[int, bool]]) -> None:
        self._rows_sent(portal, *await sending)

    def _rows_sent(self, portal: Portal, count: int, suspended: bool) -> None:
        if suspended:
            self._send_encoded(m.PortalSuspended, _PORTAL_SUSPENDED)
            return
        assert portal.stream is not None
        self._send_command_complete(portal.stream.tag(portal.statement.sql, count))

    # -- Close, Sync, Flush ----------------------------------------------------------------

    def _on_close(self, close: m.Close) -> None:
        session = self.session
        assert session is not None
        if close.kind == "S":
            session.statements.pop(close.name, None)
        else:
            portal = session.portals.pop(close.name, None)
            if portal is not None:
                portal.close()
        self._send_encoded(m.CloseComplete, _CLOSE_COMPLETE)

    def _on_flush(self, _: m.Flush) -> None:
        self._flush()


def _param_types(statement: PreparedStatement) -> tuple[int, ...]:
    """A statement's parameter types: as described (when it was), else as Parse gave them."""
    described = statement.description
    return described.param_oids if described is not None else statement.param_oids


def _per_param(formats: tuple[int, ...], count: int) -> tuple[int, ...]:
    """Bind's parameter format codes, one per parameter."""
    return formats * count if len(formats) == 1 else formats or (0,) * count
