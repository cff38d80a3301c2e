"""Foreign keys an application declares with `ForeignKey` (``catalog/schema.py``): what the
catalog makes of them, including references between schemas and to relations it lacks."""

from __future__ import annotations

import pytest

from txpostgres_proto.catalog import Catalog, Column, ForeignKey, SimpleSession, Table


def _catalog(*tables: Table) -> Catalog:
    catalog = Catalog()
    catalog.set_tables(tables)
    return catalog


def _rows(catalog: Catalog, sql: str) -> list[tuple[object, ...]]:
    return [tuple(row) for row in catalog.execute(sql, [], SimpleSession()).rows]


# Declared before the table it references: keys are resolved once every table has its OIDs.
LINES = Table(
    "lines",
    (Column("order_id", "int4"), Column("sku", "text")),
    schema="sales",
    foreign_keys=(
        ForeignKey(("order_id",), "orders", ("id",), on_delete="CASCADE", on_update="RESTRICT"),
        ForeignKey(("sku",), "missing", ("sku",)),
    ),
)
ORDERS = Table("orders", (Column("id", "int4", primary_key=True),))


def test_keys_are_resolved_across_schemas_and_forward() -> None:
    lines = Table(
        LINES.name,
        LINES.columns,
        schema="sales",
        foreign_keys=(ForeignKey(("order_id",), "orders", ("id",), on_delete="CASCADE"),),
    )
    catalog = _catalog(lines, ORDERS)
    rows = _rows(
        catalog,
        "SELECT conname, conrelid::regclass::text, confrelid::regclass::text, conkey, confkey, "
        "confdeltype, conindid::regclass::text, pg_get_constraintdef(oid) "
        "FROM pg_constraint WHERE contype = 'f'",
    )
    assert rows == [
        (
            "lines_order_id_fkey", "sales.lines", "orders", [1], [1], "c", "orders_pkey",
            "FOREIGN KEY (order_id) REFERENCES orders(id) ON DELETE CASCADE",
        )
    ]  # fmt: skip


def test_the_referenced_name_is_qualified_when_not_on_the_search_path() -> None:
    orders = Table("orders", (Column("id", "int4", primary_key=True),), schema="sales")
    lines = Table(
        "lines",
        (Column("order_id", "int4"),),
        foreign_keys=(
            ForeignKey(("order_id",), "orders", ("id",), referenced_schema="sales", name="fk"),
        ),
    )
    catalog = _catalog(orders, lines)
    [(definition,)] = _rows(catalog, "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
                                     "WHERE conname = 'fk'")  # fmt: skip
    assert definition == "FOREIGN KEY (order_id) REFERENCES sales.orders(id)"


def test_a_key_to_a_relation_the_catalog_lacks_is_left_out() -> None:
    catalog = _catalog(LINES, ORDERS)
    names = _rows(catalog, "SELECT conname FROM pg_constraint WHERE contype = 'f' ORDER BY 1")
    assert names == [("lines_order_id_fkey",)]
    [rule] = _rows(
        catalog,
        "SELECT update_rule || '/' || delete_rule FROM information_schema.referential_constraints",
    )
    assert rule == ("RESTRICT/CASCADE",)


def test_bad_declarations_are_refused() -> None:
    with pytest.raises(ValueError, match="as many referenced columns"):
        ForeignKey(("a", "b"), "t", ("a",))
    with pytest.raises(ValueError, match="referential action"):
        ForeignKey(("a",), "t", ("a",), on_delete="EXPLODE")
    with pytest.raises(ValueError, match="unknown columns"):
        Table("t", (Column("a"),), foreign_keys=(ForeignKey(("b",), "u", ("b",)),))
