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

import json
from typing import Any

import pytest
from twisted.internet.defer import gatherResults

from tests.client.conftest import Database, ReactorThread
from tests.types.pg_samples import SAMPLES
from tests.types.support import same
from txpostgres_proto.types import DEFAULT_REGISTRY, Interval, oids
from txpostgres_proto.types.values import interval_value

IDS = [f"{oids.BUILTIN_TYPES[oid].name}-{index}" for index, (oid, *_) in enumerate(SAMPLES)]


def cast(oid: int) -> str:
    return '"' + oids.BUILTIN_TYPES[oid].name + '"'


def as_parameter(oid: int, value: Any) -> Any:
    """A ``str`` for a json parameter is JSON text (as in asyncpg and psycopg)."""
    if oid in (oids.JSON, oids.JSONB) and isinstance(value, str):
        return json.dumps(value)
    return value


def expected(value: Any) -> Any:
    """What the registry decodes ``value`` to: an interval without months is a timedelta."""
    if isinstance(value, Interval):
        return interval_value(value.months, value.days, value.microseconds)
    if isinstance(value, list):
        return [expected(item) for item in value]
    return value


@pytest.fixture(scope="module")
def outcomes(real_postgres: Any, reactor_thread: ReactorThread) -> dict[str, list[Any]]:
    """Run every sample through the server once (pipelined), keyed by test id."""
    db = Database(real_postgres, reactor_thread)

    async def body() -> dict[str, list[Any]]:
        connection = await db.connect(parameters={"TimeZone": "UTC"})
        results: dict[str, list[Any]] = {}
        for test_id, (oid, value, text, _) in zip(IDS, SAMPLES, strict=True):
            decode_sql = f"SELECT $1::text::{cast(oid)}"
            encode_sql = f"SELECT $1::{cast(oid)} AS v, format('%s', $1::{cast(oid)}) AS t"
            prepared = await connection.prepare(encode_sql)
            calls = [
                connection.query(decode_sql, text),
                connection.query(decode_sql, text),
                prepared.query(as_parameter(oid, value)),
                connection.query("SELECT $1 AS v", value),
                connection.query("SELECT $1 AS v", value),
            ]
            # Each outcome is the rows or the exception, so one failure cannot hide the rest.
            results[test_id] = await gatherResults(
                [call.addErrback(lambda failure: failure.value) for call in calls]
            )
        return results

    try:
        return reactor_thread(body, timeout=120)  # type: ignore[no-any-return]
    finally:
        db.close_all()


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_decoding_text_and_binary(
    outcomes: dict[str, list[Any]],
    request: pytest.FixtureRequest,
    oid: int,
    value: Any,
    text: str,
    _binary: str,
) -> None:
    from_text, from_binary, *_ = outcomes[request.node.callspec.id]
    assert same(from_text[0][0], expected(value)), from_text
    assert same(from_binary[0][0], expected(value)), from_binary


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_encoding_for_the_exact_type(
    outcomes: dict[str, list[Any]],
    request: pytest.FixtureRequest,
    oid: int,
    value: Any,
    text: str,
    _binary: str,
) -> None:
    ((echoed, printed),) = outcomes[request.node.callspec.id][2]
    assert same(echoed, expected(value))
    assert printed == text
    assert DEFAULT_REGISTRY.supports_binary(oid) or oid in NO_BINARY


# Types the registry handles in text only (so their parameters and results travel as text).
NO_BINARY = {oids.MACADDR, oids.BIT, oids.VARBIT}


@pytest.mark.parametrize(("oid", "value", "text", "_binary"), SAMPLES, ids=IDS)
def test_parameters_typed_by_their_python_type(
    outcomes: dict[str, list[Any]],
    request: pytest.FixtureRequest,
    oid: int,
    value: Any,
    text: str,
    _binary: str,
) -> None:
    first, second = outcomes[request.node.callspec.id][3:]
    if value == []:  # an empty list says nothing about its type: the server sees text
        assert first == second == [("{}",)]
        return
    assert same(first[0][0], expected(value)), first
    assert same(second[0][0], expected(value)), second
