"""Identity columns given to the catalog (``Column(identity="a"|"d")``): ``attidentity``, no
default, NOT NULL, a sequence owned internally (``pg_depend`` 'i') — the ``SequenceDef`` owned
by the column, else a made-up ``<table>_<column>_seq`` — the ``information_schema.columns``
identity facts, and ``information_schema.sequences`` leaving such sequences out, as PostgreSQL
15 does.  (``tests/catalog_e2e/test_sequences.py`` and ``tests/sqlite/test_identity_parity.py``
compare the same with a real PostgreSQL through the SQLite default.)
"""

from __future__ import annotations

import pytest

from txpostgres_proto.catalog import Catalog, Column, SequenceDef, SimpleSession, Table

TABLES = (
    Table(
        "jobs",
        (
            Column("id", "integer", identity="a", primary_key=True),
            Column("no", "bigint", identity="d"),
            Column("label", "text"),
        ),
    ),
)
SEQUENCES = (SequenceDef("job_numbers", start=10, increment=5, owner=("jobs", "no")),)


@pytest.fixture(scope="module")
def loaded() -> Catalog:
    catalog = Catalog(database="identity")
    catalog.set_tables(TABLES, sequences=SEQUENCES)
    return catalog


def _rows(catalog: Catalog, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in catalog.execute(sql, (), SimpleSession("identity")).rows]


def test_columns_are_identity_columns_without_defaults(loaded: Catalog) -> None:
    attributes = (
        "SELECT attname, attidentity, attnotnull, atthasdef FROM pg_attribute "
        "WHERE attrelid = 'jobs'::regclass AND attnum > 0 ORDER BY attnum"
    )
    assert _rows(loaded, attributes) == [
        ("id", "a", True, False),
        ("no", "d", True, False),
        ("label", "", False, False),
    ]
    assert _rows(loaded, "SELECT count(*) FROM pg_attrdef") == [(0,)]


def test_sequences_depend_internally_on_their_columns(loaded: Catalog) -> None:
    owners = (
        "SELECT c.relname, d.refobjid::regclass::text, d.refobjsubid, d.deptype "
        "FROM pg_class c JOIN pg_depend d ON d.objid = c.oid AND d.deptype IN ('a', 'i') "
        "WHERE c.relkind = 'S' ORDER BY c.relname"
    )
    assert _rows(loaded, owners) == [
        ("job_numbers", "jobs", 2, "i"),
        ("jobs_id_seq", "jobs", 1, "i"),
    ]
    assert _rows(loaded, "SELECT sequencename FROM pg_sequences ORDER BY 1") == [
        ("job_numbers",),
        ("jobs_id_seq",),
    ]
    assert _rows(loaded, "SELECT count(*) FROM information_schema.sequences") == [(0,)]
    serial = "SELECT pg_get_serial_sequence('jobs', 'no')"
    assert _rows(loaded, serial) == [("public.job_numbers",)]


def test_information_schema_columns_identity_facts(loaded: Catalog) -> None:
    facts = (
        "SELECT column_name, column_default, is_identity, identity_generation, identity_start, "
        "identity_increment, identity_maximum, identity_minimum, identity_cycle "
        "FROM information_schema.columns WHERE table_name = 'jobs' ORDER BY ordinal_position"
    )
    assert _rows(loaded, facts) == [
        ("id", None, "YES", "ALWAYS", "1", "1", str(2**31 - 1), "1", "NO"),
        ("no", None, "YES", "BY DEFAULT", "10", "5", str(2**63 - 1), "1", "NO"),
        ("label", None, "NO", None, None, None, None, None, "NO"),
    ]


def test_identity_is_checked() -> None:
    for wrong in (
        {"identity": "x"},
        {"identity": "a", "default": "1"},
        {"identity": "d", "type": "serial"},
    ):
        with pytest.raises(ValueError):
            Column("bad", **wrong)  # type: ignore[arg-type]
