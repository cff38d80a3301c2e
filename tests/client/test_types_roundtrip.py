"""Every sample value of every built-in type, through a real PostgreSQL, in text and binary.

The samples (``tests/types/pg_samples.py``) were read from PostgreSQL itself.  For each one:

* decoding: the server parses the sample's text and returns the value; the first execution of
  a statement returns text (it is described in the same round trip), the second binary;
* encoding: a prepared ``SELECT $1::type`` takes the Python value as a parameter of that exact
  type (binary where the registry has a binary encoder), and the server must return it
  unchanged; the server's own text output is compared too, so an encoder that the decoder
  happens to undo cannot hide a wrong wire value;
* by Python type: ``SELECT $1`` with the bare value (the type inferred from the value) comes
  back as an equal value, first in text, then in binary.
"""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.defer import gatherResults

from tests.client.conftest import Database, ReactorThread
from tests.types.pg_samples import SAMPLES
from tests.types.support import same
from txpostgres_proto.types import DEFAULT_REGISTRY, oids

IDS = [f"{oids.BUILTIN_TYPES[oid].name}-{index}" for index, (oid, *_) in enumerate(SAMPLES)]


def cast(oid: int) -> str:
    return '"' + oids.BUILTIN_TYPES[oid].name + '"'


@pytest.fixture(scope="module")
def outcomes(real_postgres: Any, reactor_thread: ReactorThread) -> dict[str, list[Any]]:
    """Run every sample through the server once (pipelined), keyed by test id."""
    db = Database(real_postgres, reactor_thread)

    async def body() -> dict[str, list[Any]]:
        connection = await db.connect(parameters={"TimeZone": "UTC"})
        results: dict[str, list[Any]] = {}
        for test_id, (oid, value, text, _) in zip(IDS, SAMPLES, strict=True):
            decode_sql = f"SELECT $1::text::{cast(oid)}"
            encode_sql = f"SELECT $1::{cast(oid)} AS v, ($1::{cast(oid)})::text AS t"
            prepared = await connection.prepare(encode_sql)
            results[test_id] = await gatherResults(
                [
                    connection.query(decode_sql, text),
                    connection.query(decode_sql, text),
                    prepared.query(value),
                    connection.query("SELECT $1 AS v", value),
                    connection.query("SELECT $1 AS v", value),
                ],
                consumeErrors=True,
            )
        return results

    try:
        return reactor_thread(body, timeout=120)  # type: ignore[no-any-return]
    finally:
        db.close_all()


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_decoding_text_and_binary(
    outcomes: dict[str, list[Any]], request: pytest.FixtureRequest, oid: int, value: Any, text: str, _binary: str
) -> None:
    from_text, from_binary, *_ = outcomes[request.node.callspec.id]
    assert same(from_text[0][0], value), from_text
    assert same(from_binary[0][0], value), from_binary


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_encoding_for_the_exact_type(
    outcomes: dict[str, list[Any]], request: pytest.FixtureRequest, oid: int, value: Any, text: str, _binary: str
) -> None:
    ((echoed, printed),) = outcomes[request.node.callspec.id][2]
    assert same(echoed, value)
    assert printed == text
    assert DEFAULT_REGISTRY.supports_binary(oid) or oid in NO_BINARY


# Types the registry handles in text only (so their parameters and results travel as text).
NO_BINARY = {oids.MACADDR, oids.BIT, oids.VARBIT}


INFERRED_DIFFERENTLY = {
    # Python value type -> what the bare parameter comes back as, where not the value itself.
    oids.NAME,  # a str: comes back as text, equal
}


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_parameters_typed_by_their_python_type(
    outcomes: dict[str, list[Any]], request: pytest.FixtureRequest, oid: int, value: Any, text: str, _binary: str
) -> None:
    first, second = outcomes[request.node.callspec.id][3:]
    assert same(first[0][0], value), first
    assert same(second[0][0], value), second
