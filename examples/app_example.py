"""A small application: an inventory with its own INSERT, UPDATE and DELETE.

Run it and use it like a database::

    twistd -n pgproto --handler examples.app_example.InventoryHandler
    psql -h localhost -p 55432
    => insert into items (name, price, quantity) values ('bolt', 0.25, 100) returning id;
    => update items set quantity = 90 where name = 'bolt';
    => select id, name, price from items where quantity > 10 order by price desc;
    => select n, square from numbers limit 5;
    => delete from items where id = 1;

    pg_dump -h localhost -p 55432 -U postgres postgres > inventory.sql

What it shows:

* tables described with `Table` and typed `Column` objects (a serial primary key, numeric(10,2),
  defaults), so Describe, parameter types and ``\\d items`` are exact;
* statement handlers: ``@stmt_handler("INSERT")`` as an ``async def``, and one method for two
  statement types, ``@stmt_handler("UPDATE", "DELETE")``; both honour WHERE conditions and
  ``$n`` parameters (the ``stmt_info`` they receive holds the bound values), and RETURNING
  (they return whole rows; the framework keeps the columns RETURNING lists);
* a notice (a WARNING before a DELETE without WHERE empties the table);
* a streaming SELECT: ``numbers`` is produced by a generator, so ``select * from numbers``
  sends a million rows with flat memory, and LIMIT stops the generator early;
* ``ignore_missing_statement_types``: VACUUM and ANALYZE succeed and do nothing;
* ``sequence_state``: the serial column's sequence reports the store's own counter, so
  ``SELECT last_value, is_called FROM items_id_seq`` (what pg_dump reads to write
  ``setval``) is exact even after the newest rows were deleted.  Together with the
  framework's ``LOCK TABLE`` and ``COPY`` this makes the application dumpable with pg_dump.

The data lives in `InventoryStore`, shared by all connections of the process.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from examples.rowfilter import Row, coerce, select_rows, where_predicate
from txpostgres_proto.catalog.schema import Column, Table
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.handler import PostgresRequestHandler, SequenceInfo, stmt_handler
from txpostgres_proto.sql import Expression

ITEMS = Table(
    "items",
    (
        Column("id", "serial", primary_key=True, comment="assigned by the server"),
        Column("name", "text", nullable=False),
        Column("price", "numeric(10,2)"),
        Column("quantity", "integer", nullable=False, default="0"),
        Column("active", "boolean", nullable=False, default="true"),
        Column("updated_at", "timestamp with time zone"),
    ),
    comment="things in stock",
)
NUMBERS = Table(
    "numbers", (Column("n", "bigint"), Column("square", "bigint")), kind="v", comment="1..1e6"
)
NUMBERS_COUNT = 1_000_000

_DEFAULTS: dict[str, Any] = {"quantity": 0, "active": True}
#: A value of each non-text column's Python type, for converting literals and text parameters.
_LIKE: dict[str, Any] = {"id": 0, "quantity": 0, "price": Decimal(0), "active": True}
_CENTS = Decimal("0.01")


def _typed(name: str, value: Any) -> Any:
    """A value for column ``name``: literals and text parameters converted to its type."""
    if isinstance(value, Expression):
        raise PostgresError(f'cannot evaluate "{value.text}" for column "{name}"', "0A000")
    if value is None or name not in _LIKE:
        return value
    if name == "price" and isinstance(value, int | float):
        value = str(value)  # an exact decimal from the literal's digits
    value = coerce(value, _LIKE[name])
    return value.quantize(_CENTS) if name == "price" else value


class InventoryStore:
    """The items, in memory: a list of row dicts and the next serial id."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.next_id = 1

    def insert(self, values: Mapping[str, Any]) -> dict[str, Any]:
        row = {column.name: None for column in ITEMS.columns} | _DEFAULTS
        row.update({name: _typed(name, value) for name, value in values.items()})
        if row.get("id") is None:
            row["id"] = self.next_id
        if any(existing["id"] == row["id"] for existing in self.rows):
            raise PostgresError(
                'duplicate key value violates unique constraint "items_pkey"',
                "23505",
                detail=f"Key (id)=({row['id']}) already exists.",
                table_name="items",
                constraint_name="items_pkey",
            )
        if row["name"] is None:
            raise PostgresError(
                'null value in column "name" of relation "items" violates not-null constraint',
                "23502",
                table_name="items",
                column_name="name",
            )
        self.next_id = max(self.next_id, row["id"]) + 1
        row["updated_at"] = datetime.now(UTC)
        self.rows.append(row)
        return row


def _numbers() -> Iterator[dict[str, int]]:
    for n in range(1, NUMBERS_COUNT + 1):
        yield {"n": n, "square": n * n}


class InventoryHandler(PostgresRequestHandler):
    """The inventory application (see the module docstring)."""

    store = InventoryStore()
    ignore_missing_statement_types = ("VACUUM", "ANALYZE")

    def list_tables(self) -> list[Table]:
        return [ITEMS, NUMBERS]

    def sequence_state(self, sequence: SequenceInfo) -> Any:
        if (sequence.table, sequence.column) != ("items", "id"):
            return super().sequence_state(sequence)
        last_id = self.store.next_id - 1
        return last_id or None  # None: no id handed out yet

    def _table(self, stmt_info: Any, *allowed: str) -> str:
        name = stmt_info.tables[0].name if stmt_info.tables else None
        if name not in ("items", "numbers"):
            raise PostgresError(f'relation "{name}" does not exist', "42P01")
        if name not in allowed:
            raise PostgresError(f'cannot change relation "{name}"', "42809")
        return name

    def query_tables(self, stmt_info: Any) -> tuple[Iterator[Row], tuple[Column, ...]]:
        if len(stmt_info.tables) != 1:
            raise PostgresError("this example answers queries of exactly one table", "0A000")
        if self._table(stmt_info, "items", "numbers") == "numbers":
            return select_rows(_numbers(), stmt_info), NUMBERS.columns
        return select_rows(list(self.store.rows), stmt_info), ITEMS.columns

    @stmt_handler("INSERT")
    async def insert(self, stmt_info: Any) -> Any:
        self._table(stmt_info, "items")
        names = [column.name for column in stmt_info.columns] or [c.name for c in ITEMS.columns]
        inserted = []
        for values in stmt_info.values:
            given = {
                name: value
                for name, value in zip(names, values, strict=False)
                if not (isinstance(value, Expression) and value.text.lower() == "default")
            }
            inserted.append(self.store.insert(given))
        if stmt_info.returning:
            return inserted, ITEMS.columns
        return len(inserted)

    @stmt_handler("UPDATE", "DELETE")
    def modify(self, stmt_info: Any) -> Any:
        self._table(stmt_info, "items")
        keep = where_predicate(stmt_info.where)
        affected = [row for row in self.store.rows if keep(row)]
        if stmt_info.stmt_type == "DELETE":
            if stmt_info.where is None and affected:
                self.notice(f"deleting all {len(affected)} rows of items", severity="WARNING")
            self.store.rows = [row for row in self.store.rows if not keep(row)]
        else:
            changes = {a.column: _typed(a.column, a.value) for a in stmt_info.assignments}
            for row in affected:
                row.update(changes, updated_at=datetime.now(UTC))
        if stmt_info.returning:
            return affected, ITEMS.columns
        return len(affected)
