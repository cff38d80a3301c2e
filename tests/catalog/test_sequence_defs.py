"""Sequences given to the catalog with their options (``SequenceDef``): stand-alone ones get
``pg_class`` rows of their own, ``nextval('name')`` defaults use them, ``OWNED BY`` shows in
``pg_depend``, and ``pg_sequence``/``pg_sequences``/``information_schema.sequences`` carry the
options.  Serial columns without a definition keep their made-up sequences.
(``tests/catalog_e2e/test_sequences.py`` compares the rows with a real PostgreSQL's.)
"""

from __future__ import annotations

import pytest

from txpostgres_proto.catalog import Catalog, Column, SequenceDef, SimpleSession, Table

TABLES = (
    Table(
        "orders",
        (
            Column("id", "serial", primary_key=True),
            Column("ref", "integer", nullable=False, default="nextval('counter'::regclass)"),
            Column("no", "integer"),
        ),
    ),
)
SEQUENCES = (
    SequenceDef("counter", increment=5, start=20, min_value=10, max_value=1000, cache=3,
                cycle=True, type="integer"),
    SequenceDef("orders_no_seq", type="smallint", owner=("orders", "no")),
    SequenceDef("down", increment=-1),
)  # fmt: skip
OPTIONS = """
SELECT c.relname, s.seqtypid::regtype::text, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
       s.seqcache, s.seqcycle
FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid ORDER BY c.relname
"""
OWNERS = """
SELECT c.relname, d.refobjid::regclass::text, d.refobjsubid
FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype = 'a'
WHERE c.relkind = 'S' ORDER BY c.relname
"""


@pytest.fixture(scope="module")
def loaded() -> Catalog:
    catalog = Catalog(database="seqdefs")
    catalog.set_tables(TABLES, sequences=SEQUENCES)
    return catalog


def _rows(catalog: Catalog, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in catalog.execute(sql, (), SimpleSession("seqdefs")).rows]


def test_options_and_defaults_of_the_definition() -> None:
    down = SequenceDef("down", type="smallint", increment=-2)
    assert (down.type_oid, down.minimum, down.maximum, down.start_value) == (21, -32768, -1, -1)
    for wrong in (
        {"type": "text"},
        {"increment": 0},
        {"min_value": 5, "max_value": 5},
        {"start": 0},
        {"cache": 0},
    ):
        with pytest.raises(ValueError):
            SequenceDef("bad", **wrong)  # type: ignore[arg-type]


def test_every_sequence_has_its_options(loaded: Catalog) -> None:
    assert _rows(loaded, OPTIONS) == [
        ("counter", "integer", 20, 5, 10, 1000, 3, True),
        ("down", "bigint", -1, -1, -(2**63), -1, 1, False),
        ("orders_id_seq", "integer", 1, 1, 1, 2**31 - 1, 1, False),
        ("orders_no_seq", "smallint", 1, 1, 1, 2**15 - 1, 1, False),
    ]
    listed = "SELECT sequencename, increment_by, cycle FROM pg_sequences ORDER BY 1"
    assert _rows(loaded, listed) == [
        ("counter", 5, True), ("down", -1, False), ("orders_id_seq", 1, False),
        ("orders_no_seq", 1, False),
    ]  # fmt: skip
    info = "SELECT sequence_name, minimum_value, maximum_value, cycle_option FROM " + (
        "information_schema.sequences WHERE sequence_name = 'counter'"
    )
    assert _rows(loaded, info) == [("counter", "10", "1000", "YES")]


def test_owners_and_default_dependencies(loaded: Catalog) -> None:
    # The serial's and the OWNED BY sequence are owned; ``counter``, which a default only
    # uses, is not, but that default depends on it.
    assert _rows(loaded, OWNERS) == [("orders_id_seq", "orders", 1), ("orders_no_seq", "orders", 3)]
    used = (
        "SELECT a.adnum FROM pg_depend d JOIN pg_attrdef a ON a.oid = d.objid "
        "WHERE d.refobjid = 'counter'::regclass AND d.deptype = 'n'"
    )
    assert _rows(loaded, used) == [(2,)]
    serial = (
        "SELECT pg_get_serial_sequence('orders', 'no'), pg_get_serial_sequence('orders', 'ref')"
    )
    assert _rows(loaded, serial) == [("public.orders_no_seq", None)]


def test_oids_stay_and_sequences_come_and_go() -> None:
    catalog = Catalog(database="seqdefs")
    catalog.set_tables(TABLES, sequences=SEQUENCES)
    oid = "SELECT oid FROM pg_class WHERE relname = 'down'"
    before = _rows(catalog, oid)
    catalog.set_tables(TABLES, sequences=SEQUENCES[:2])
    assert _rows(catalog, oid) == []
    catalog.set_tables(TABLES, sequences=SEQUENCES)
    assert _rows(catalog, oid) == before
    # Without tables a stand-alone sequence is still there; one named like a table is not.
    catalog.set_tables((), sequences=(SequenceDef("alone"),))
    assert _rows(catalog, "SELECT sequencename FROM pg_sequences") == [("alone",)]
    catalog.set_tables(TABLES, sequences=(SequenceDef("orders"),))
    assert _rows(catalog, "SELECT relkind FROM pg_class WHERE relname = 'orders'") == [("r",)]
