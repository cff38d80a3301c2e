"""The smallest server: a table kept in a Python dict (the postgres_proto seed example).

Run it and connect::

    twistd -n pgproto --handler examples.dict_example.DictHandler
    psql -h localhost -p 55432 -c 'select * from table1'

Columns are given by name only, so their types are inferred from the values (``id`` is
``bigint``, ``title`` is ``text``); ``\\d table1`` and ``information_schema.columns`` list the
table from ``list_tables`` and ``describe_table``.  The handler returns every column of the
table; the framework keeps those the select list asks for.
"""

from __future__ import annotations

from typing import Any

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.server.handler import PostgresRequestHandler

DATABASE: dict[str, list[dict[str, Any]]] = {"table1": [{"id": 1, "title": "hello world"}]}


class DictHandler(PostgresRequestHandler):
    """Serves the tables of `DATABASE`."""

    def query_tables(self, stmt_info: Any) -> tuple[list[dict[str, Any]], list[str]]:
        name = stmt_info.tables[0].name if stmt_info.tables else None
        if name not in DATABASE:
            raise PostgresError(f'relation "{name}" does not exist', "42P01")
        rows = DATABASE[name]
        return rows, list(rows[0].keys())

    def list_tables(self) -> list[str]:
        return list(DATABASE.keys())

    def describe_table(self, table_name: str) -> list[str]:
        return list(DATABASE.get(table_name, [{}])[0].keys())
