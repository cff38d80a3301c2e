"""Result rows for the client: the entry point that builds DataRow run decoders, and `Row`.

`make_run_decoder` checks a result shape given by the client layer (column names, one
decoder callable per column from the type registry, optional inline codes and parsers) and
builds its run decoder, the hot path of reading results (protocol section 55.7, "DataRow"):
rows are decoded straight out of the receive buffer, field by field with code generated per
shape (``client_row_fields``), or in bulk where consecutive rows share one layout
(``client_row_bulk``, ``client_row_convert``); with ``atomic`` the rows are taken out of the
garbage collector's care (``client_row_gc``).  The rows are `Row` tuples
(``client_row_type``).  This module is where the rest of the tree imports all of these names
from; it is sans-IO and knows nothing about type OIDs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final

from .client_row_bulk import make_bulk_run_decoder
from .client_row_codes import FIXED_WIDTH_CODES, TEXT_PARSER, UTF8_TEXT, RunDecoder
from .client_row_fields import RUN_PADDING, looping_run_decoder, make_field_decoder
from .client_row_gc import keep_tracked, untrack, untrack_address
from .client_row_type import Row, row_class

__all__ = [
    "FIXED_WIDTH_CODES",
    "RUN_PADDING",
    "UTF8_TEXT",
    "Row",
    "RunDecoder",
    "TEXT_PARSER",
    "make_run_decoder",
    "row_class",
]

_MAX_UNROLLED_COLUMNS: Final = 64


def make_run_decoder(
    names: Sequence[str],
    decoders: Sequence[Callable[[bytes], Any]],
    inline_codes: Sequence[str | None] | None = None,
    *,
    atomic: bool = False,
    parsers: Sequence[Callable[[str], Any] | None] | None = None,
) -> RunDecoder:
    """A decoder for runs of DataRow messages of this shape, producing `row_class(names)` rows.

    ``decoders[i]`` turns field ``i``'s bytes into a value (NULL never reaches it).
    ``inline_codes[i]``, when not None, lets the generated code decode field ``i`` itself:
    a `FIXED_WIDTH_CODES` key for a fixed-width binary value read in place, `UTF8_TEXT`
    for UTF-8 text, or `TEXT_PARSER` for UTF-8 text passed to ``parsers[i]`` (a callable
    taking a ``str``; when it raises ``ValueError`` or ``ArithmeticError`` the field goes to
    ``decoders[i]``); the result must be what ``decoders[i]`` would return.  The data given to
    the decoder must be followed by `RUN_PADDING` (or any bytes of that length) after
    ``end``.  Malformed messages raise `RemoteProtocolError`.

    ``atomic`` promises that no decoder returns a mutable container (a list, a dict ...): the
    rows are then taken out of the garbage collector's care (see ``client_row_gc``).
    """
    if len(names) != len(decoders):
        raise ValueError("one decoder per column is needed")
    cls = row_class(names)
    codes = tuple(inline_codes) if inline_codes is not None else (None,) * len(decoders)
    known = (UTF8_TEXT, TEXT_PARSER)
    if len(codes) != len(decoders) or any(
        code is not None and code not in FIXED_WIDTH_CODES and code not in known for code in codes
    ):
        raise ValueError("inline_codes must give a known code or None per column")
    parse = tuple(parsers) if parsers is not None else (None,) * len(decoders)
    if len(parse) != len(codes) or any(
        (code == TEXT_PARSER) != (parser is not None)
        for code, parser in zip(codes, parse, strict=True)
    ):
        raise ValueError("a parser is needed for each TEXT_PARSER column, and only for them")
    row_untrack = untrack if atomic else keep_tracked
    if len(decoders) > _MAX_UNROLLED_COLUMNS:  # parsers unused: the decoders give the same
        return looping_run_decoder(cls, row_untrack, decoders)
    decode_rows = make_field_decoder(cls, row_untrack, decoders, codes, parse)
    bulk_untrack = untrack_address if atomic else None
    return make_bulk_run_decoder(decode_rows, cls, codes, decoders, parse, bulk_untrack)
