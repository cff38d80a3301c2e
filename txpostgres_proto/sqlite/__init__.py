"""The embedded SQLite backend's parts: PostgreSQL SQL translated to SQLite, types, errors, schema.

``txpostgres_proto.sqlite_backend`` puts them together as a ``QueryBackend``.
"""

from txpostgres_proto.sqlite.database import SQLiteDatabase
from txpostgres_proto.sqlite.reflect import Schema, reflect
from txpostgres_proto.sqlite.translate import OutputColumn, Plan, translate
from txpostgres_proto.sqlite.typemap import PgType

__all__ = ["OutputColumn", "PgType", "Plan", "SQLiteDatabase", "Schema", "reflect", "translate"]
