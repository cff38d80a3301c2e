"""``TypeRegistry``: the one place both sides look codecs up, by type OID and format code.

The server uses it to encode result values into DataRow fields and to decode Bind parameters;
the client uses it to decode DataRow fields and to encode parameters. Format code 0 is text and 1
is binary (protocol docs 55.2.3).

Lookups never fail for a well-formed OID: a type without its own codec (an enum, a composite,
a domain the registry was not told about) decodes from text to ``str``; from binary to the raw
``bytes``. Its text encoder encodes by the Python value's type (``True`` -> ``t``, a list -> an
array literal, anything else ``str()``), which is also how the unspecified (0) and ``unknown``
types encode. Its binary encoder passes bytes through and sends ``str`` as UTF-8 (an enum's
binary form is its label); use ``supports_binary`` to choose formats per column.

Array OIDs get codecs built from their element's codecs, cached on first use. Codecs that depend
on the session time zone (``timestamptz`` and arrays of it) are built for the ``timezone`` given
at lookup time and cached per zone.

``DEFAULT_REGISTRY`` holds the built-in types and is shared; a connection that registers its
own types works on ``DEFAULT_REGISTRY.copy()``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import tzinfo
from typing import Any, Final

from txpostgres_proto.types import arrays
from txpostgres_proto.types import binary_codecs as b
from txpostgres_proto.types import oids as type_oids
from txpostgres_proto.types import text_codecs as t
from txpostgres_proto.types.builtin_codecs import builtin_codecs
from txpostgres_proto.types.data_rows import (
    DataRowEncoder,
    DataRowsEncoder,
    compile_data_row_encoder,
    compile_data_rows_encoder,
)
from txpostgres_proto.types.datetimes import TimeZoneSpec, resolve_timezone
from txpostgres_proto.types.infer import oid_for_value
from txpostgres_proto.types.oids import TypeInfo
from txpostgres_proto.types.rows import (
    RowDecoder,
    RowEncoder,
    compile_row_decoder,
    compile_row_encoder,
)
from txpostgres_proto.types.typecodecs import BINARY, TEXT, Decoder, Encoder, TypeCodecs

_RECORD_HEADER_SIZE: Final = 4
#: How many data-row encoders a registry keeps (the cache starts over when full).
_DATA_ROW_CACHE_SIZE: Final = 1024


def _passthrough(data: bytes) -> bytes:
    return bytes(data)


def _encode_unknown_binary(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    raise TypeError(
        f"no binary encoder for this type; cannot send {type(value).__name__} in binary"
    )


def per_column_formats(formats: Sequence[int], count: int) -> Sequence[int]:
    """Expand protocol format codes (none = all text, one = all alike, else one per column)."""
    if len(formats) == count:
        return formats
    if not formats:
        return (TEXT,) * count
    if len(formats) == 1:
        return (formats[0],) * count
    raise ValueError(f"{len(formats)} format codes for {count} columns")


class TypeRegistry:
    """Codecs by (OID, format); see the module docstring for the fallbacks."""

    def __init__(self, codecs: dict[int, TypeCodecs] | None = None) -> None:
        """A registry of ``codecs`` (by default, the built-in types)."""
        self._codecs: dict[int, TypeCodecs] = builtin_codecs() if codecs is None else codecs
        self._arrays: dict[int, tuple[int, str]] = {}  # custom array oid -> (element, delim)
        self._python_types: dict[type, int] = {}
        self._array_of: dict[int, int] = {}  # custom element oid -> array oid
        self._cache: dict[tuple[int, int, bool, tzinfo | None], Any] = {}
        # Data-row encoders by (oids, formats, zone, many): servers answer the same shapes again
        # and again.
        self._data_rows: dict[tuple[Any, ...], DataRowEncoder | DataRowsEncoder] = {}

    def copy(self) -> TypeRegistry:
        """An independent registry with the same types; registering on it leaves self alone."""
        clone = TypeRegistry(dict(self._codecs))
        clone._arrays = dict(self._arrays)
        clone._python_types = dict(self._python_types)
        clone._array_of = dict(self._array_of)
        return clone

    # --- registration -------------------------------------------------------------------------

    def register(
        self,
        oid: int,
        name: str,
        *,
        text_encoder: Encoder | None = None,
        text_decoder: Decoder | None = None,
        binary_encoder: Encoder | None = None,
        binary_decoder: Decoder | None = None,
        array_oid: int | None = None,
        delimiter: str = ",",
        python_type: type | None = None,
    ) -> None:
        """Add or replace the codecs of type ``oid``. Codecs left out fall back to the generic
        ones. ``array_oid`` also makes that OID an array of this type; ``python_type`` makes
        ``infer_oid`` pick ``oid`` for instances of that class."""
        self._codecs[oid] = TypeCodecs(
            name,
            text_encoder,
            text_decoder,
            binary_encoder,
            binary_decoder,
            array_oid or 0,
            delimiter,
        )
        if array_oid:
            self._arrays[array_oid] = (oid, delimiter)
            self._array_of[oid] = array_oid
        if python_type is not None:
            self._python_types[python_type] = oid
        self._cache.clear()
        self._data_rows.clear()

    # --- questions ----------------------------------------------------------------------------

    def _element_of(self, oid: int) -> tuple[int, str] | None:
        """(element OID, delimiter) when ``oid`` is an array type."""
        custom = self._arrays.get(oid)
        if custom is not None:
            return custom
        if oid in self._codecs:
            return None
        info = type_oids.BUILTIN_TYPES.get(oid)
        if info is not None and info.is_array:
            return info.element_oid, info.delimiter
        return None

    def type_info(self, oid: int) -> TypeInfo | None:
        """Static facts about ``oid``: built-in types from ``oids``, registered types as given
        (typlen -1, category ``U``, or ``A`` for their arrays)."""
        info = type_oids.BUILTIN_TYPES.get(oid)
        if info is not None:
            return info
        codecs = self._codecs.get(oid)
        if codecs is not None:
            return TypeInfo(oid, codecs.name, codecs.array_oid, 0, -1, "U", codecs.delimiter)
        element = self._arrays.get(oid)
        if element is not None:
            element_info = self.type_info(element[0])
            name = "_" + element_info.name if element_info else "_"
            return TypeInfo(oid, name, 0, element[0], -1, "A", element[1])
        return None

    def supports_binary(self, oid: int) -> bool:
        """True when values of ``oid`` have a binary encoder and decoder of their own (so a
        client may ask for this column in binary)."""
        element = self._element_of(oid)
        if element is not None:
            return self.supports_binary(element[0])
        codecs = self._codecs.get(oid)
        return (
            codecs is not None
            and codecs.binary_encoder is not None
            and codecs.binary_decoder is not None
        )

    def infer_oid(self, value: Any) -> int:
        """The type OID ``value`` is sent as; rules in ``infer.py``, custom types first."""
        return oid_for_value(value, self._python_types, self._array_of)

    # --- codec lookup -------------------------------------------------------------------------

    def encoder(self, oid: int, fmt: int, *, timezone: TimeZoneSpec = None) -> Encoder:
        """The function turning a Python value into a field of type ``oid`` in format ``fmt``.
        ``timezone`` (the session TimeZone) makes timestamptz text print in that zone."""
        return self._lookup(oid, fmt, True, resolve_timezone(timezone))  # type: ignore[no-any-return]

    def decoder(self, oid: int, fmt: int, *, timezone: TimeZoneSpec = None) -> Decoder:
        """The function turning a field of type ``oid`` in format ``fmt`` into a Python value.
        ``timezone`` (the session TimeZone) makes timestamptz values come out in that zone."""
        return self._lookup(oid, fmt, False, resolve_timezone(timezone))  # type: ignore[no-any-return]

    def _lookup(self, oid: int, fmt: int, encode: bool, zone: tzinfo | None) -> Any:
        if fmt != TEXT and fmt != BINARY:
            raise ValueError(f"unknown format code {fmt}")
        key = (oid, fmt, encode, zone)
        codec = self._cache.get(key)
        if codec is None:
            codec = self._build(oid, fmt, encode, zone)
            self._cache[key] = codec
        return codec

    def _build(self, oid: int, fmt: int, encode: bool, zone: tzinfo | None) -> Any:
        element = self._element_of(oid)
        if element is not None:
            return self._build_array(element[0], element[1], fmt, encode, zone)
        codecs = self._codecs.get(oid)
        if codecs is not None:
            if fmt == TEXT:
                codec = codecs.text_encoder if encode else codecs.text_decoder
            else:
                codec = codecs.binary_encoder if encode else codecs.binary_decoder
            if codec is not None:
                return codec(zone) if codecs.zoned else codec  # type: ignore[arg-type]
        if oid == type_oids.RECORD and fmt == BINARY and not encode:
            return self._record_binary_decoder(zone)
        if fmt == TEXT:
            return self._encode_by_value_type(zone) if encode else t.decode_text
        return _encode_unknown_binary if encode else _passthrough

    def _build_array(
        self, element_oid: int, delimiter: str, fmt: int, encode: bool, zone: tzinfo | None
    ) -> Any:
        element = self._lookup(element_oid, fmt, encode, zone)
        if fmt == TEXT:
            delim = delimiter.encode()
            if encode:
                return arrays.make_text_encoder(element, delim)
            return arrays.make_text_decoder(element, delim)
        if encode:
            if not self.supports_binary(element_oid):
                return _encode_unknown_binary
            return arrays.make_binary_encoder(element, element_oid)
        return arrays.make_binary_decoder(element)

    def _encode_by_value_type(self, zone: tzinfo | None) -> Encoder:
        """Text encoder for values of no declared type: pick the codec by the value's type."""

        def encode_by_value_type(value: Any) -> bytes:
            if isinstance(value, str):
                return value.encode()
            if isinstance(value, list | tuple):
                # Mixed lists are fine here: each element is encoded by its own type.
                return encode_list(value)
            oid = self.infer_oid(value)
            if oid == type_oids.TEXT or oid == type_oids.UNKNOWN:
                return t.encode_text(value)
            return self._lookup(oid, TEXT, True, zone)(value)  # type: ignore[no-any-return]

        encode_list = arrays.make_text_encoder(encode_by_value_type)
        return encode_by_value_type

    def _record_binary_decoder(self, zone: tzinfo | None) -> Decoder:
        """``record_send`` output (int32 count, then per column: uint32 OID, int32 length, data)
        as a tuple, each column decoded by its own type's binary decoder."""

        def decode_record(data: bytes) -> tuple[Any, ...]:
            data = bytes(data)
            count = b.decode_int4(data[:_RECORD_HEADER_SIZE])
            position = _RECORD_HEADER_SIZE
            values: list[Any] = []
            for _ in range(count):
                column_oid = b.decode_uint4(data[position : position + 4])
                length = b.decode_int4(data[position + 4 : position + 8])
                position += 8
                if length < 0:
                    values.append(None)
                    continue
                decode = self._lookup(column_oid, BINARY, False, zone)
                values.append(decode(data[position : position + length]))
                position += length
            return tuple(values)

        return decode_record

    # --- rows ---------------------------------------------------------------------------------

    def make_row_decoder(
        self, oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
    ) -> RowDecoder:
        """A function decoding one DataRow (a sequence of ``bytes``/``None``) into a tuple.
        ``formats`` are protocol format codes: empty (all text), one (all alike) or one per
        column. Build it once per result (after RowDescription) and call it per row."""
        zone = resolve_timezone(timezone)
        per_column = per_column_formats(formats, len(oids))
        columns = zip(oids, per_column, strict=True)
        decoders = [self._lookup(oid, fmt, False, zone) for oid, fmt in columns]
        return compile_row_decoder(decoders)

    def make_row_encoder(
        self, oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
    ) -> RowEncoder:
        """A function encoding one row of Python values into fields (``None`` stays NULL).
        ``formats`` as for ``make_row_decoder``; ``timezone`` as for ``encoder``."""
        zone = resolve_timezone(timezone)
        per_column = per_column_formats(formats, len(oids))
        columns = zip(oids, per_column, strict=True)
        encoders = [self._lookup(oid, fmt, True, zone) for oid, fmt in columns]
        return compile_row_encoder(encoders)

    def make_data_row_encoder(
        self, oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
    ) -> DataRowEncoder:
        """Like ``make_row_encoder``, but the function returns the row's whole DataRow message
        (what a server sends); arguments as for ``make_row_encoder``."""
        return self._data_row_encoder(oids, formats, timezone, False)

    def make_data_rows_encoder(
        self, oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
    ) -> DataRowsEncoder:
        """Like ``make_data_row_encoder``, but the function encodes many rows per call into a
        list of DataRow pieces (``types.data_rows``: what a server sends in one write)."""
        return self._data_row_encoder(oids, formats, timezone, True)

    def _data_row_encoder(
        self, oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec, many: bool
    ) -> Any:
        """The rows encoder (``many``) or the row encoder, from the cache or compiled."""
        zone = resolve_timezone(timezone)
        key = (tuple(oids), tuple(formats), zone, many)
        encoder = self._data_rows.get(key)
        if encoder is None:
            per_column = per_column_formats(formats, len(oids))
            columns = zip(oids, per_column, strict=True)
            encoders = [self._lookup(oid, fmt, True, zone) for oid, fmt in columns]
            compile_encoder = compile_data_rows_encoder if many else compile_data_row_encoder
            encoder = compile_encoder(encoders)
            if len(self._data_rows) >= _DATA_ROW_CACHE_SIZE:
                self._data_rows.clear()
            self._data_rows[key] = encoder
        return encoder


DEFAULT_REGISTRY: Final = TypeRegistry()


def infer_oid(value: Any) -> int:
    """``DEFAULT_REGISTRY.infer_oid(value)``."""
    return DEFAULT_REGISTRY.infer_oid(value)


def make_row_decoder(
    oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
) -> RowDecoder:
    """``DEFAULT_REGISTRY.make_row_decoder``."""
    return DEFAULT_REGISTRY.make_row_decoder(oids, formats, timezone)


def make_row_encoder(
    oids: Sequence[int], formats: Sequence[int], timezone: TimeZoneSpec = None
) -> RowEncoder:
    """``DEFAULT_REGISTRY.make_row_encoder``."""
    return DEFAULT_REGISTRY.make_row_encoder(oids, formats, timezone)
