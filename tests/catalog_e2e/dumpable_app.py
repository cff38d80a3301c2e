"""The inventory example with the framework's default sequence state.

``examples.app_example.InventoryHandler`` reports its store's counter as the state of
``items_id_seq``; this subclass drops that override, so reading the sequence (as pg_dump does)
takes the default of ``PostgresRequestHandler.sequence_state``: the largest ``items.id``, read
through the example's own ``query_tables``.
"""

from __future__ import annotations

from examples.app_example import InventoryHandler
from txpostgres_proto.server.handler import PostgresRequestHandler


class DerivedSequenceInventoryHandler(InventoryHandler):
    """``InventoryHandler`` whose sequence state is derived from its rows."""

    sequence_state = PostgresRequestHandler.sequence_state
