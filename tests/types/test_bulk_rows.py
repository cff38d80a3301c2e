"""The client's row decoders on PostgreSQL's own bytes, read in bulk and one row at a time.

For every reference value of ``pg_samples`` (what a real PostgreSQL 15 sends for it in text
and in binary), rows of the formats the client asks for (``ClientCodecs.result_format``) are
decoded by one run decoder — so repeated rows are read in bulk — and by a fresh decoder per
row, which never reads in bulk: both must give the reference value, of the same type.
"""

from __future__ import annotations

from typing import Any

import pytest

from txpostgres_proto.client.codecs import ClientCodecs
from txpostgres_proto.protocol.client_rows import RUN_PADDING
from txpostgres_proto.protocol.messages import FieldDescription, encode_data_row
from txpostgres_proto.types import Interval

from .pg_samples import SAMPLES
from .support import same
from .test_reference import decoded_form

#: Samples per row shape: several columns of different types in one row.
WIDTH = 7
SHAPES = [SAMPLES[start : start + WIDTH] for start in range(0, len(SAMPLES), WIDTH)]


def binary_form(value: Any) -> Any:
    """What decoding binary gives back for a sample value (as in ``test_reference``)."""
    return value.to_timedelta() if isinstance(value, Interval) and not value.months else value


def _decode(codecs: ClientCodecs, fields: list[FieldDescription], messages: list[bytes]) -> Any:
    formats = codecs.result_formats(fields)
    rows: list[Any] = []
    data = b"".join(messages)
    codecs.run_decoder(fields, formats)(data + RUN_PADDING, 0, len(data), rows.append)
    return rows


@pytest.mark.parametrize("shape", SHAPES, ids=lambda shape: "-".join(str(s[0]) for s in shape))
def test_bulk_and_one_by_one_give_the_reference_values(shape: list[tuple[Any, ...]]) -> None:
    codecs = ClientCodecs()
    fields = [FieldDescription(f"c{index}", oid) for index, (oid, *_) in enumerate(shape)]
    wire = [
        text.encode() if codecs.result_format(oid) == 0 else bytes.fromhex(send)
        for oid, _, text, send in shape
    ]
    expected = tuple(
        decoded_form(oid, value, text) if codecs.result_format(oid) == 0 else binary_form(value)
        for oid, value, text, _ in shape
    )
    nulls = [None] * len(shape)
    messages = [encode_data_row(wire)] * 40 + [encode_data_row(nulls)] + [encode_data_row(wire)] * 9
    bulk = _decode(codecs, fields, messages)
    single = [row for message in messages for row in _decode(ClientCodecs(), fields, [message])]
    assert len(bulk) == len(single) == 50
    for got, alone in zip(bulk, single, strict=True):
        assert tuple(got.keys()) == tuple(field.name for field in fields)
        reference = (None,) * len(shape) if got == tuple(nulls) else expected
        assert all(map(same, got, reference)), (got, reference)
        assert all(map(same, alone, reference)), (alone, reference)
