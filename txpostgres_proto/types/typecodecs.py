"""The shapes every codec has, shared by the codec modules and the registry.

A codec works on one field's bytes (format code 0 = text, 1 = binary, protocol docs 55.2.3):
an ``Encoder`` turns a Python value into the field's bytes and a ``Decoder`` turns the bytes
back. ``None``/SQL NULL never reaches a codec: the row encoders and decoders handle it.

``TypeCodecs`` is one type's entry in a registry. Codecs whose output depends on the session
time zone are given as factories taking the resolved ``tzinfo`` (or None for "no session zone").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any, Final

Encoder = Callable[[Any], bytes]
Decoder = Callable[[bytes], Any]
ZonedEncoder = Callable[[tzinfo | None], Encoder]
ZonedDecoder = Callable[[tzinfo | None], Decoder]

TEXT: Final = 0
BINARY: Final = 1


@dataclass(frozen=True, slots=True)
class TypeCodecs:
    """The codecs of one type; a missing codec means "fall back to the generic one"."""

    name: str
    text_encoder: Encoder | ZonedEncoder | None = None
    text_decoder: Decoder | ZonedDecoder | None = None
    binary_encoder: Encoder | ZonedEncoder | None = None
    binary_decoder: Decoder | ZonedDecoder | None = None
    array_oid: int = 0
    delimiter: str = ","
    zoned: bool = False
    """True when the four codecs above are factories taking the session ``tzinfo``."""
