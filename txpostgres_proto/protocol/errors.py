"""Errors shared by both sides of the protocol.

Two families live here, and they must never be confused:

* Protocol errors (`LocalProtocolError`, `RemoteProtocolError`): the byte stream or the order of
  messages is wrong.  A *remote* error means the peer broke the protocol (we answer FATAL 08P01
  or close); a *local* one means our own code asked for something the protocol does not allow
  in the current state (a bug in the caller).  This split follows h11.
* `PostgresError`: an SQL-level error that travels inside an ErrorResponse.  A server handler
  raises one to answer a query with an error; the client raises one (or a subclass chosen by
  SQLSTATE, e.g. `UniqueViolation` under `IntegrityError`) when the server reports an error.

Error and notice fields use the single-byte field codes of the protocol (section 55.8,
"Error and Notice Message Fields"); `PostgresError` exposes each as a readable attribute.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import ClassVar

#: Field code -> attribute name, in the order PostgreSQL sends them.
FIELD_NAMES: dict[str, str] = {
    "S": "severity",
    "V": "severity_nonlocalized",
    "C": "sqlstate",
    "M": "message",
    "D": "detail",
    "H": "hint",
    "P": "position",
    "p": "internal_position",
    "q": "internal_query",
    "W": "where",
    "s": "schema_name",
    "t": "table_name",
    "c": "column_name",
    "d": "data_type_name",
    "n": "constraint_name",
    "F": "file",
    "L": "line",
    "R": "routine",
}
FIELD_CODES: dict[str, str] = {name: code for code, name in FIELD_NAMES.items()}


class ProtocolError(Exception):
    """The conversation broke the frontend/backend protocol."""

    sqlstate: str = "08P01"

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if sqlstate is not None:
            self.sqlstate = sqlstate


class LocalProtocolError(ProtocolError):
    """Our side tried to do something the protocol forbids in the current state."""


class RemoteProtocolError(ProtocolError):
    """The peer sent bytes or messages the protocol forbids (malformed, oversized, out of state)."""


class PostgresError(Exception):
    """An SQL error carried by an ErrorResponse (or a notice carried by a NoticeResponse).

    Construct it with a message and a SQLSTATE; any other field of the protocol may be given
    by its attribute name (``detail=``, ``hint=``, ``position=``, ``constraint_name=`` …).
    """

    #: Default SQLSTATE for instances of this class created without one.
    default_sqlstate: ClassVar[str] = "XX000"
    #: Registry used by `from_fields` to pick the most specific subclass.
    _by_sqlstate: ClassVar[dict[str, type[PostgresError]]] = {}
    _by_class: ClassVar[dict[str, type[PostgresError]]] = {}

    severity: str
    severity_nonlocalized: str | None
    sqlstate: str
    message: str
    detail: str | None
    hint: str | None
    position: str | None
    internal_position: str | None
    internal_query: str | None
    where: str | None
    schema_name: str | None
    table_name: str | None
    column_name: str | None
    data_type_name: str | None
    constraint_name: str | None
    file: str | None
    line: str | None
    routine: str | None

    def __init__(
        self,
        message: str,
        sqlstate: str | None = None,
        *,
        severity: str = "ERROR",
        **fields: object,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.sqlstate = sqlstate or self.default_sqlstate
        self.severity = severity
        for name in FIELD_NAMES.values():
            if name not in ("message", "sqlstate", "severity"):
                value = fields.pop(name, None)
                setattr(self, name, None if value is None else str(value))
        if fields:
            raise TypeError(f"unknown error fields: {', '.join(sorted(fields))}")

    def __init_subclass__(cls, sqlstate: str | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)  # type: ignore[arg-type]
        if sqlstate is not None:
            cls.default_sqlstate = sqlstate
            registry = PostgresError._by_class if sqlstate.endswith("000") else None
            PostgresError._by_sqlstate[sqlstate] = cls
            if registry is not None:
                registry[sqlstate[:2]] = cls

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, {self.sqlstate!r})"

    def to_fields(self) -> dict[str, str]:
        """The ErrorResponse fields of this error (code -> value), omitting empty ones."""
        fields = {"S": self.severity, "V": self.severity_nonlocalized or self.severity}
        fields["C"] = self.sqlstate
        fields["M"] = self.message
        for code, name in FIELD_NAMES.items():
            if code not in fields:
                value = getattr(self, name)
                if value is not None:
                    fields[code] = value
        return fields

    @classmethod
    def from_fields(cls, fields: Mapping[str, str]) -> PostgresError:
        """Build the most specific registered error class for an ErrorResponse's fields."""
        from . import sqlstates  # noqa: F401  (defines and registers the per-SQLSTATE classes)

        sqlstate = fields.get("C", "XX000")
        error_class = (
            cls._by_sqlstate.get(sqlstate) or cls._by_class.get(sqlstate[:2]) or PostgresError
        )
        kwargs = {FIELD_NAMES[code]: value for code, value in fields.items() if code in FIELD_NAMES}
        message = kwargs.pop("message", "")
        kwargs.pop("sqlstate", None)
        severity = kwargs.pop("severity", "ERROR")
        error = error_class.__new__(error_class)
        PostgresError.__init__(error, message, sqlstate, severity=severity, **kwargs)
        return error


@contextlib.contextmanager
def catch_all_as_postgres_error_context(sqlstate: str = "XX000") -> Iterator[None]:
    """Run a block so that any exception leaves it as a `PostgresError` (seed API).

    A `PostgresError` passes through unchanged; anything else is wrapped, keeping the original
    as ``__cause__`` and its text as the message.
    """
    try:
        yield
    except PostgresError:
        raise
    except Exception as exc:
        raise PostgresError(str(exc) or type(exc).__name__, sqlstate) from exc
