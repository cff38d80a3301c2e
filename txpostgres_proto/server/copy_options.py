"""The options of one COPY statement, checked the way PostgreSQL 15 checks them.

`copy_format(statement)` turns a parsed ``COPY`` (``sql.CopyStatement``) into the `CopyFormat`
the data is read or written with, or raises the error PostgreSQL raises for the same options
(SQL reference "COPY", "Parameters"): an unknown or repeated option is 42601, a format it does
not know 22023, an option that does not fit the format or the direction (QUOTE outside CSV,
FORCE_QUOTE with FROM, HEADER MATCH with TO ...) 0A000, a delimiter that cannot work (newline,
backslash, a letter or digit in text format, the quote character) 22023 — checked in
PostgreSQL's order, so the first complaint is the same one.  Silently accepting such options
would make COPY read data differently from how the client wrote it.

Checked but without effect here: FREEZE (a storage hint).  ENCODING names the encoding of the
COPY data, which is converted from and to the server's UTF-8.
"""

from __future__ import annotations

from typing import Final

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql import CopyStatement

from .copy import CopyFormat
from .encodings import python_codec

__all__ = ["copy_format"]

_OptionValue = str | tuple[str, ...] | None
_KNOWN: Final = frozenset(
    {
        "format",
        "freeze",
        "delimiter",
        "null",
        "header",
        "quote",
        "escape",
        "force_quote",
        "force_not_null",
        "force_null",
        "encoding",
    }
)
#: Characters a text-format delimiter may not be: they start or appear in escapes and markers.
_TEXT_RESERVED: Final = "\\.abcdefghijklmnopqrstuvwxyz0123456789"


def _unsupported(message: str) -> PostgresError:
    return PostgresError(message, "0A000")


def _invalid(message: str) -> PostgresError:
    return PostgresError(message, "22023")


def _syntax(message: str) -> PostgresError:
    return PostgresError(message, "42601")


def _collect(statement: CopyStatement) -> dict[str, _OptionValue]:
    given: dict[str, _OptionValue] = {}
    for name, value in statement.options:
        if name not in _KNOWN:
            raise _syntax(f'option "{name}" not recognized')
        if name in given:
            raise _syntax("conflicting or redundant options")
        given[name] = value
    return given


def _boolean_word(value: str) -> bool | None:
    """A boolean option's value as PostgreSQL's option parser takes it: true/false/on/off or
    1/0 (no other spellings), or None."""
    return {"true": True, "on": True, "1": True, "false": False, "off": False, "0": False}.get(
        value.lower()
    )


def _boolean(name: str, value: _OptionValue) -> bool:
    if value is None:
        return True
    answer = _boolean_word(value) if isinstance(value, str) else None
    if answer is None:
        raise _syntax(f"{name} requires a Boolean value")
    return answer


def _header(value: _OptionValue, is_from: bool) -> tuple[bool, bool]:
    """HEADER's (header, match)."""
    if value is None:
        return True, False
    if isinstance(value, str):
        if value.lower() == "match":
            if not is_from:
                raise _unsupported('cannot use "match" with HEADER in COPY TO')
            return True, True
        answer = _boolean_word(value)
        if answer is not None:
            return answer, False
    raise _syntax('header requires a Boolean value or "match"')


def _string(name: str, value: _OptionValue) -> str:
    if value is None:
        raise _syntax(f"{name} requires a parameter")
    if not isinstance(value, str):
        raise _syntax(f"{name} requires a string value")
    return value


def _column_list(name: str, value: _OptionValue, star_allowed: bool) -> tuple[str, ...] | None:
    """A FORCE_* option's columns; None for ``*`` (every column)."""
    if star_allowed and value in ("*", ("*",)):
        return None
    if isinstance(value, tuple) and value and "*" not in value:
        return value
    raise _invalid(f'argument to option "{name}" must be a list of column names')


def copy_format(statement: CopyStatement) -> CopyFormat:
    """The format of ``statement``'s data; PostgreSQL's error for options it would refuse."""
    given = _collect(statement)
    is_from = statement.direction == "FROM"
    kind = "text"
    if "format" in given:
        kind = _string("format", given["format"]).lower()
        if kind not in ("text", "csv", "binary"):
            raise _invalid(f'COPY format "{kind}" not recognized')
    header, header_match = (
        _header(given["header"], is_from) if "header" in given else (False, False)
    )
    if "freeze" in given:
        _boolean("freeze", given["freeze"])
    encoding = None
    if "encoding" in given:
        encoding = python_codec(_string("encoding", given["encoding"]))
        if encoding is None:
            raise _invalid('argument to option "encoding" must be a valid encoding name')
    force_quote: tuple[str, ...] | None = ()
    if "force_quote" in given:
        force_quote = _column_list("force_quote", given["force_quote"], star_allowed=True)
    for name in ("force_not_null", "force_null"):
        if name in given:
            _column_list(name, given[name], star_allowed=False)
    csv, binary = kind == "csv", kind == "binary"
    if binary and "delimiter" in given:
        raise _syntax("cannot specify DELIMITER in BINARY mode")
    if binary and "null" in given:
        raise _syntax("cannot specify NULL in BINARY mode")
    delimiter = _string("delimiter", given["delimiter"]) if "delimiter" in given else None
    delimiter = delimiter if delimiter is not None else ("," if csv else "\t")
    null = _string("null", given["null"]) if "null" in given else ("" if csv else "\\N")
    quote = _string("quote", given["quote"]) if "quote" in given else '"'
    escape = _string("escape", given["escape"]) if "escape" in given else quote
    if len(delimiter.encode("utf-8")) != 1:
        raise _unsupported("COPY delimiter must be a single one-byte character")
    if delimiter in "\r\n":
        raise _invalid("COPY delimiter cannot be newline or carriage return")
    if "\r" in null or "\n" in null:
        raise _invalid("COPY null representation cannot use newline or carriage return")
    if not csv and delimiter in _TEXT_RESERVED:
        raise _invalid(f'COPY delimiter cannot be "{delimiter}"')
    if binary and header:
        raise _unsupported("cannot specify HEADER in BINARY mode")
    if not csv and "quote" in given:
        raise _unsupported("COPY quote available only in CSV mode")
    if csv and len(quote.encode("utf-8")) != 1:
        raise _unsupported("COPY quote must be a single one-byte character")
    if csv and delimiter == quote:
        raise _invalid("COPY delimiter and quote must be different")
    if not csv and "escape" in given:
        raise _unsupported("COPY escape available only in CSV mode")
    if csv and len(escape.encode("utf-8")) != 1:
        raise _unsupported("COPY escape must be a single one-byte character")
    for option, words, wants_from in (
        ("force_quote", "force quote", False),
        ("force_not_null", "force not null", True),
        ("force_null", "force null", True),
    ):
        if option not in given:
            continue
        if not csv:
            raise _unsupported(f"COPY {words} available only in CSV mode")
        if is_from != wants_from:
            direction = "COPY FROM" if wants_from else "COPY TO"
            raise _unsupported(f"COPY {words} only available using {direction}")
    if delimiter in null:
        raise _unsupported("COPY delimiter must not appear in the NULL specification")
    if csv and quote in null:
        raise _unsupported("CSV quote character must not appear in the NULL specification")
    return CopyFormat(
        kind=kind,
        delimiter=delimiter,
        null=null,
        header=header,
        header_match=header_match,
        quote=quote,
        escape=escape,
        force_quote=force_quote,
        encoding=encoding or "utf-8",
    )
