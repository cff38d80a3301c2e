"""What the client's DataRow run decoders share: the inline codes and the run decoder signature.

A caller (the client layer, which knows the type OIDs) describes each column to
``client_rows.make_run_decoder`` with a decoder callable and, optionally, an *inline code* that
lets the generated code decode the field without calling it.  The field-by-field decoder
(``client_row_fields``) and the bulk reader (``client_row_bulk``) both generate code from these
codes, so they are defined once, here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

__all__ = ["FIXED_WIDTH_CODES", "TEXT_PARSER", "UTF8_TEXT", "RunDecoder"]

#: Struct codes a column may be read with in place (binary format), and their field sizes.
FIXED_WIDTH_CODES: Final[dict[str, int]] = {
    "h": 2,
    "i": 4,
    "q": 8,
    "I": 4,
    "f": 4,
    "d": 8,
    "?": 1,
}

#: Inline code for UTF-8 text: the value is decoded in the generated code (``bytes.decode``)
#: instead of by a call to the column's decoder.
UTF8_TEXT: Final = "utf8"

#: Inline code for text parsed by a given ``str`` parser (see ``make_run_decoder``).
TEXT_PARSER: Final = "parse"

#: ``decode(data, pos, end, append) -> None``: decode the DataRow messages in
#: ``data[pos:end]`` (complete messages only) and append one row per message.
RunDecoder = Callable[[bytes, int, int, Callable[[Any], None]], None]
