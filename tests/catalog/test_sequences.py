"""The application's sequences as catalog relations (``catalog/sequences.py``).

A catalog made with ``sequence_reads=True`` claims ``SELECT ... FROM <sequence>`` and answers it
from the states the caller passes to ``execute`` (fresh when none is given); ``pg_sequences``
and ``pg_sequence_last_value`` read the same states.  Without the flag such queries stay the
backend's.  Result columns are compared with a real PostgreSQL's.
"""

from __future__ import annotations

import pytest

from tests.catalog.support import Reference, sample_tables
from txpostgres_proto.catalog import Catalog, Column, SimpleSession, Table
from txpostgres_proto.catalog.sequences import SequenceInfo, SequenceState
from txpostgres_proto.protocol.errors import PostgresError

READ = "SELECT last_value, is_called FROM public.items_id_seq"


@pytest.fixture(scope="module")
def reading() -> Catalog:
    catalog = Catalog(database="catref", sequence_reads=True)
    catalog.set_tables(sample_tables())
    return catalog


def _items_sequence(catalog: Catalog) -> SequenceInfo:
    (sequence,) = catalog.sequences(READ)
    return sequence


def test_sequence_reads_are_claimed_only_when_asked_for(catalog: Catalog, reading: Catalog) -> None:
    for sql in (READ, "select * from items_id_seq", 'SELECT last_value FROM "items_id_seq"'):
        assert not catalog.handles(sql)
        assert reading.handles(sql)
    assert catalog.sequences("SELECT last_value FROM pg_sequences") == ()
    with pytest.raises(PostgresError) as refused:
        catalog.describe("SELECT pg_sequence_last_value('items_id_seq')")
    assert refused.value.sqlstate == "42883"
    assert not reading.handles("SELECT id FROM items")
    assert not reading.handles("SELECT last_value FROM public.nope_seq")
    # pg_catalog comes first on the search path; a CTE hides the relation.
    assert (
        reading.sequences("WITH items_id_seq AS (SELECT 1 AS x) SELECT x FROM items_id_seq") == ()
    )


def test_the_sequence_a_query_reads(reading: Catalog) -> None:
    sequence = _items_sequence(reading)
    assert (sequence.schema, sequence.name, sequence.table, sequence.column) == (
        "public", "items_id_seq", "items", "id"
    )  # fmt: skip
    assert sequence.oid == (reading.table_oid("public", "items") or 0) + 1
    assert reading.sequences("select relname from pg_class") == ()
    assert reading.sequences("select * from pg_sequences") == (sequence,)
    assert reading.sequences("select pg_sequence_last_value($1)") == (sequence,)


def test_states_given_and_fresh(reading: Catalog) -> None:
    session = SimpleSession(database="catref")
    sequence = _items_sequence(reading)
    assert reading.execute(READ, (), session).rows == [(1, False)]
    given = {sequence: SequenceState(41)}
    assert reading.execute(READ, (), session, given).rows == [(41, True)]
    # A state is for one query only: the next one without it reads fresh again.
    assert reading.execute("select * from items_id_seq", (), session).rows == [(1, 0, False)]
    listed = "SELECT sequencename, last_value FROM pg_sequences"
    assert reading.execute(listed, (), session, given).rows == [("items_id_seq", 41)]
    assert reading.execute(listed, (), session).rows == [("items_id_seq", None)]
    function = "SELECT pg_sequence_last_value('items_id_seq'), pg_sequence_last_value($1)"
    assert reading.execute(function, (sequence.oid,), session, given).rows == [(41, 41)]
    uncalled = {sequence: SequenceState(5, False)}
    assert reading.execute(function, (sequence.oid,), session, uncalled).rows == [(None, None)]


def test_columns_match_postgresql(reading: Catalog, reference: Reference) -> None:
    for sql in (
        READ,
        "SELECT * FROM items_id_seq",
        "SELECT pg_sequence_last_value('items_id_seq')",
    ):
        ours = [(column.name, column.type_oid) for column in reading.describe(sql)]
        theirs = [(name, type_oid) for name, type_oid, _ in reference.describe(sql)[0]]
        assert ours == theirs, sql
    assert reference.rows(READ) == [("1", "f")]


def test_tables_changing_change_what_is_claimed() -> None:
    catalog = Catalog(sequence_reads=True)
    catalog.set_tables([Table("a", (Column("id", "serial"),))])
    assert catalog.handles("SELECT last_value FROM a_id_seq")
    catalog.set_tables([Table("b", (Column("id", "bigserial"),))])
    assert not catalog.handles("SELECT last_value FROM a_id_seq")
    assert [sequence.name for sequence in catalog.sequences("TABLE pg_sequences")] == ["b_id_seq"]
    explicit = Column("n", "int8", default="nextval('counter'::regclass)")
    catalog.set_tables([Table("c", (explicit,))])
    (counter,) = catalog.sequences("SELECT last_value FROM counter")
    assert (counter.name, counter.table, counter.column) == ("counter", "c", "n")
