"""How the client applies the type registry: parameter types and formats, result formats, rows.

* Parameters of a statement the server has not described yet are declared by their Python
  type (``TypeRegistry.infer_oid``), except where the server knows better: ``str``, ``None``
  and lists of strings are declared as 0 ("unknown") so the server types them from context
  (a string may be meant for a date, an enum or a json column); so are lists without any
  element, whose array type only the context can tell.  An ``int`` is declared
  ``int4`` when it fits (``int8``, then ``numeric``, when it does not): int4 widens implicitly
  to every other numeric type, while an int8 argument would not match functions taking
  ``integer`` (``substr(text, $1)``, ``pg_terminate_backend($1)``).  These parameters are sent
  in text format.
* Once the server described a statement (ParameterDescription), parameters are encoded for the
  types it reported, in binary where the registry has a binary codec.  A ``str`` value is
  always sent in text format, so the server parses it with the parameter type's input
  function — the same thing that happens on the first execution, which keeps a query's
  behaviour independent of whether its statement was cached (and for ``json``/``jsonb`` a
  ``str`` is the JSON text, as in asyncpg and psycopg).  A list bound to a parameter the
  server typed as text is sent as its array literal, again as on the first execution.
* Result columns are requested in the format that decodes faster.  Binary is the rule where
  the registry has a binary decoder: fixed-width numbers and booleans are then read in place
  by the row decoder, with no codec call at all, and floats are exact.  The exceptions are
  the types whose text form Python parses in C — ``numeric`` (``Decimal(str)``), the date and
  time types (``datetime.fromisoformat``) and ``json``/``jsonb`` (``json.loads``) — and arrays
  of them: measured with the registry's codecs, their text decoders are 1.5x (``date``) to 6x
  (``numeric``) faster than the binary ones, and the values are the same (PostgreSQL prints
  timestamps to the microsecond and numerics exactly).  Types without a binary decoder come
  as text.
* Row decoders are ``protocol.client_rows`` run decoders built from the registry's column
  decoders; fixed-width binary types whose decoder is the registry's own are read in place,
  plain UTF-8 text is decoded inline, numeric, timestamp and date text is parsed inline (by
  ``create_decimal`` of an exact context and ``fromisoformat``; the decoders get what those
  reject, the infinities), and rows made only of immutable scalar values are untracked by the
  garbage collector.
  They are cached per (columns, formats, session time zone).
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Container, Sequence
from datetime import date, datetime, tzinfo
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context
from typing import Any, Final

from ..protocol.client_rows import TEXT_PARSER, UTF8_TEXT, RunDecoder, make_run_decoder
from ..protocol.messages import BINARY_FORMAT, TEXT_FORMAT, FieldDescription
from ..types import DEFAULT_REGISTRY, TypeRegistry, oids, per_column_formats

__all__ = ["ClientCodecs", "ParameterError"]

_UNDECLARED: Final = frozenset((oids.TEXT, oids.UNKNOWN))
#: Types whose text form decodes faster than their binary form (see the module docstring).
_TEXT_DECODES_FASTER: Final = frozenset(
    (
        oids.NUMERIC,
        oids.DATE,
        oids.TIME,
        oids.TIMETZ,
        oids.TIMESTAMP,
        oids.TIMESTAMPTZ,
        oids.JSON,
        oids.JSONB,
    )
)
#: A context in which ``create_decimal`` gives exactly ``Decimal(text)`` or raises: precision
#: and exponent limits as wide as they go, and every signal trapped, so a text it would have to
#: round, clamp or reject raises instead (and goes to the decoder).  It skips the keyword parsing
#: and the current-context lookup of ``Decimal(text)``: a numeric column decodes 10% faster.
_EXACT_DECIMALS: Final = Context(
    prec=MAX_PREC,
    Emax=MAX_EMAX,
    Emin=MIN_EMIN,
    traps=list(Context().flags),
)
#: Text parsers (C callables) that give what the registry's text decoder of the type gives, for
#: every value PostgreSQL prints that they accept (the decoder handles the rest: infinities).
_TEXT_PARSERS: Final[dict[int, Callable[[str], Any]]] = {
    oids.NUMERIC: _EXACT_DECIMALS.create_decimal,
    oids.TIMESTAMP: datetime.fromisoformat,
    oids.DATE: date.fromisoformat,
}
#: Types the registry decodes to immutable, non-container values (so rows holding only them
#: cannot be part of a reference cycle; see ``protocol.client_rows``).
_ATOMIC_VALUES: Final = frozenset(
    (
        oids.BOOL,
        oids.BYTEA,
        oids.CHAR,
        oids.NAME,
        oids.INT8,
        oids.INT2,
        oids.INT4,
        oids.TEXT,
        oids.OID,
        oids.XID,
        oids.CID,
        oids.FLOAT4,
        oids.FLOAT8,
        oids.BPCHAR,
        oids.VARCHAR,
        oids.DATE,
        oids.TIME,
        oids.TIMETZ,
        oids.TIMESTAMP,
        oids.TIMESTAMPTZ,
        oids.INTERVAL,
        oids.NUMERIC,
        oids.UUID,
        oids.INET,
        oids.CIDR,
        oids.UNKNOWN,
    )
)
_TEXTUAL: Final = frozenset((oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN))
_FIXED_WIDTH: Final = {
    oids.INT2: "h",
    oids.INT4: "i",
    oids.INT8: "q",
    oids.OID: "I",
    oids.FLOAT4: "f",
    oids.FLOAT8: "d",
    oids.BOOL: "?",
}
_MAX_CACHED_DECODERS: Final = 1024
_INT4_MIN: Final = -(2**31)
_INT4_MAX: Final = 2**31 - 1
#: What a codec raises for a value it cannot encode.
ENCODING_ERRORS: Final = (TypeError, ValueError, ArithmeticError, struct.error)


class ParameterError(TypeError):
    """A query parameter cannot be encoded for the type the server expects."""


class ClientCodecs:
    """One connection's view of a `TypeRegistry` and its session time zone."""

    def __init__(self, registry: TypeRegistry | None = None) -> None:
        self.registry = registry if registry is not None else DEFAULT_REGISTRY
        self.timezone: tzinfo | None = None
        self._decoders: dict[tuple[Any, ...], RunDecoder] = {}

    def set_timezone(self, zone: tzinfo | None) -> None:
        """The session time zone changed (ParameterStatus TimeZone)."""
        if zone != self.timezone:
            self.timezone = zone
            self._decoders.clear()

    # ------------------------------------------------------------------ parameters

    def declared_oids(self, params: Sequence[Any]) -> tuple[int, ...]:
        """The types to declare in Parse for these parameters (see the module docstring)."""
        infer = self.registry.infer_oid
        declared: list[int] = []
        for value in params:
            kind = type(value)
            if value is None or kind is str:
                declared.append(0)
            elif kind is int and _INT4_MIN <= value <= _INT4_MAX:
                declared.append(oids.INT4)
            else:
                oid = infer(value)
                if oid in _UNDECLARED or (oid == oids.TEXT_ARRAY and not _has_element(value)):
                    oid = 0
                declared.append(oid)
        return tuple(declared)

    def encode_text_params(
        self, oids_: Sequence[int], params: Sequence[Any]
    ) -> tuple[bytes | None, ...]:
        """Every parameter in text format, for the declared (or unknown) types ``oids_``."""
        registry = self.registry
        zone = self.timezone
        values: list[bytes | None] = []
        for index, (oid, value) in enumerate(zip(oids_, params, strict=True)):
            if value is None:
                values.append(None)
            elif type(value) is str:
                values.append(value.encode())
            else:
                try:
                    values.append(registry.encoder(oid, TEXT_FORMAT, timezone=zone)(value))
                except ENCODING_ERRORS as error:
                    raise _parameter_error(index, value, oid, error) from error
        return tuple(values)

    def encode_params(
        self, oids_: Sequence[int], params: Sequence[Any]
    ) -> tuple[tuple[int, ...], tuple[bytes | None, ...]]:
        """(format codes, values) for the parameter types the server described."""
        registry = self.registry
        zone = self.timezone
        formats: list[int] = []
        values: list[bytes | None] = []
        for index, (oid, value) in enumerate(zip(oids_, params, strict=True)):
            if value is None:
                formats.append(TEXT_FORMAT)
                values.append(None)
            elif type(value) is str:
                formats.append(TEXT_FORMAT)
                values.append(value.encode())
            elif oid in _TEXTUAL and isinstance(value, list | tuple):
                # A list the server typed as text (declared "unknown": empty, say): send the
                # array literal the first execution sent.
                formats.append(TEXT_FORMAT)
                values.append(registry.encoder(0, TEXT_FORMAT)(value))
            else:
                fmt = BINARY_FORMAT if registry.supports_binary(oid) else TEXT_FORMAT
                try:
                    values.append(registry.encoder(oid, fmt, timezone=zone)(value))
                except ENCODING_ERRORS as error:
                    raise _parameter_error(index, value, oid, error) from error
                formats.append(fmt)
        if BINARY_FORMAT not in formats:
            return (), tuple(values)
        return tuple(formats), tuple(values)

    def batch_encoders(
        self,
        oids_: Sequence[int] | None,
        declared: Sequence[int],
        count: int,
        text_columns: Container[int] = (),
    ) -> tuple[tuple[int, ...], list[Callable[[Any], bytes]]]:
        """(format codes, one encoder per parameter) for parameter sets of a statement.

        ``oids_`` are the described parameter types (None when not described yet: then all
        parameters go as text for the ``declared`` types).  Textual types take any value's
        text form (a ``str`` as it is, a list as its array literal); other types go in binary
        where possible, except the ``text_columns`` (those holding a ``str``, see
        `str_columns`).  An encoder raises what its codec raises; `parameter_error` explains.
        """
        registry = self.registry
        zone = self.timezone
        if oids_ is None:
            oids_ = tuple(declared[:count]) + (0,) * max(0, count - len(declared))
            binary = [False] * count
        else:
            binary = [
                oid not in _TEXTUAL and index not in text_columns and registry.supports_binary(oid)
                for index, oid in enumerate(oids_)
            ]
        encoders: list[Callable[[Any], bytes]] = []
        for oid, in_binary in zip(oids_, binary, strict=True):
            if in_binary:
                encoders.append(registry.encoder(oid, BINARY_FORMAT, timezone=zone))
            else:
                text_oid = 0 if oid in _TEXTUAL else oid
                encoders.append(_text_first(registry.encoder(text_oid, TEXT_FORMAT, timezone=zone)))
        codes = tuple(BINARY_FORMAT if flag else TEXT_FORMAT for flag in binary)
        return (codes if any(binary) else ()), encoders

    @staticmethod
    def str_columns(param_sets: Sequence[Sequence[Any]]) -> set[int]:
        """The parameter positions holding a ``str`` in any of ``param_sets``."""
        return {
            index
            for params in param_sets
            for index, value in enumerate(params)
            if type(value) is str
        }

    def parameter_error(
        self,
        param_sets: Sequence[Sequence[Any]],
        encoders: Sequence[Callable[[Any], bytes]],
        oids_: Sequence[int] | None,
        error: Exception,
    ) -> ParameterError:
        """The `ParameterError` naming the value of ``param_sets`` that ``encoders`` reject."""
        for number, params in enumerate(param_sets):
            if len(params) != len(encoders):
                return ParameterError(
                    f"parameter set {number} has {len(params)} values, "
                    f"the statement takes {len(encoders)}"
                )
            for index, (encode, value) in enumerate(zip(encoders, params, strict=True)):
                if value is None:
                    continue
                try:
                    encode(value)
                except ENCODING_ERRORS as specific:
                    oid = oids_[index] if oids_ is not None else 0
                    return _parameter_error(index, value, oid, specific)
        return ParameterError(f"cannot encode the parameters: {error}")

    # ------------------------------------------------------------------ results

    def result_format(self, oid: int) -> int:
        """The format to ask for a column of type ``oid`` (see the module docstring)."""
        registry = self.registry
        if not registry.supports_binary(oid):
            return TEXT_FORMAT
        info = registry.type_info(oid)
        element = info.element_oid if info is not None else 0
        if oid in _TEXT_DECODES_FASTER or element in _TEXT_DECODES_FASTER:
            return TEXT_FORMAT
        return BINARY_FORMAT

    def result_formats(self, fields: Sequence[FieldDescription]) -> tuple[int, ...]:
        """The format codes to ask for, in the protocol's shorthand (one code when all agree)."""
        formats = tuple(self.result_format(field.type_oid) for field in fields)
        if not formats or all(fmt == formats[0] for fmt in formats):
            return formats[:1]
        return formats

    def run_decoder(self, fields: Sequence[FieldDescription], formats: Sequence[int]) -> RunDecoder:
        """The (cached) run decoder for rows of ``fields`` in ``formats`` (protocol shorthand)."""
        count = len(fields)
        per_column = tuple(per_column_formats(formats, count))
        key = (tuple((field.name, field.type_oid) for field in fields), per_column)
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._build_run_decoder(fields, per_column)
            if len(self._decoders) >= _MAX_CACHED_DECODERS:
                self._decoders.clear()
            self._decoders[key] = decoder
        return decoder

    def _build_run_decoder(
        self, fields: Sequence[FieldDescription], formats: tuple[int, ...]
    ) -> RunDecoder:
        registry = self.registry
        zone = self.timezone
        decoders = []
        inline: list[str | None] = []
        parsers: list[Callable[[str], Any] | None] = []
        for field, fmt in zip(fields, formats, strict=True):
            decode = registry.decoder(field.type_oid, fmt, timezone=zone)
            decoders.append(decode)
            code = _FIXED_WIDTH.get(field.type_oid) if fmt == BINARY_FORMAT else None
            if code is not None and decode is not DEFAULT_REGISTRY.decoder(field.type_oid, fmt):
                code = None  # a custom decoder: call it
            if decode is DEFAULT_REGISTRY.decoder(oids.TEXT, fmt):
                code = UTF8_TEXT  # plain UTF-8 text (text, varchar, unknown types ...)
            parser = _TEXT_PARSERS.get(field.type_oid) if fmt == TEXT_FORMAT else None
            if parser is not None and decode is DEFAULT_REGISTRY.decoder(field.type_oid, fmt):
                code = TEXT_PARSER
            else:
                parser = None
            inline.append(code)
            parsers.append(parser)
        atomic = all(
            field.type_oid in _ATOMIC_VALUES
            and decode is DEFAULT_REGISTRY.decoder(field.type_oid, fmt, timezone=zone)
            for field, fmt, decode in zip(fields, formats, decoders, strict=True)
        )
        names = [field.name for field in fields]
        return make_run_decoder(names, decoders, inline, atomic=atomic, parsers=parsers)


def _text_first(encode: Callable[[Any], bytes]) -> Callable[[Any], bytes]:
    """A text-format encoder that sends a ``str`` as it is."""

    def encode_text(value: Any) -> bytes:
        return value.encode() if type(value) is str else encode(value)

    return encode_text


def _has_element(value: Any) -> bool:
    """True when a (nested) list holds something other than None."""
    return any(
        _has_element(item) if isinstance(item, list | tuple) else item is not None for item in value
    )


def _parameter_error(index: int, value: Any, oid: int, error: Exception) -> ParameterError:
    info = oids.BUILTIN_TYPES.get(oid)
    name = info.name if info is not None else f"type {oid}"
    return ParameterError(
        f"parameter ${index + 1}: cannot send {type(value).__name__} {value!r:.60} as {name}: "
        f"{error}"
    )
