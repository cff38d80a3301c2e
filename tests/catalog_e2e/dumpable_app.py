"""The inventory example made dumpable: it also accepts ``LOCK TABLE``.

pg_dump locks every table it dumps (``LOCK TABLE ... IN ACCESS SHARE MODE``) inside its
transaction; a handler application answers statement types it has no handler for with 0A000
unless it lists them in ``ignore_missing_statement_types``.  The inventory keeps its rows in
memory and has nothing to lock, so accepting the statement as a no-op is right for it.
"""

from __future__ import annotations

from examples.app_example import InventoryHandler


class LockingInventoryHandler(InventoryHandler):
    """``examples.app_example.InventoryHandler`` that accepts ``LOCK TABLE``."""

    # (the example's own tuple is typed as exactly two names)
    ignore_missing_statement_types = (  # type: ignore[assignment]
        *InventoryHandler.ignore_missing_statement_types,
        "LOCK TABLE",
    )
