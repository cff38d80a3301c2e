"""Reading a sequence as a relation: ``SELECT last_value, is_called FROM [schema.]seq``.

PostgreSQL lets a sequence be read like a one-row table with the columns ``last_value``
(bigint), ``log_cnt`` (bigint) and ``is_called`` (boolean) (PostgreSQL docs, "CREATE SEQUENCE",
Notes); ``pg_dump`` reads every sequence whose data it dumps that way and prints
``SELECT pg_catalog.setval('seq', last_value, is_called)``.

Sequences (those of serial columns, `Schema.sequences`, and those made with CREATE SEQUENCE,
`Schema.created_sequences`) are no SQLite relations: they are rows of the sequence table
(``sequences.py``).  `sequence_relations` replaces each relation of a query that names such a
sequence (and no table) by a one-row subquery with the same alias, whose values come from two
functions of the session (``functions.py``):

* ``pg_sequence_state_value(name)`` — the last value handed out, or, when none was since the
  sequence (re)started (``CREATE SEQUENCE``, ``setval(s, n, false)``, a restart), the value
  the next ``nextval`` gives (PostgreSQL's ``pg_sequence_last_value`` is NULL then);
* ``pg_sequence_is_called(name)`` — whether a value was handed out since (re)start.

``log_cnt`` is always 0 (nothing is pre-logged).  Only ``SELECT`` reads a sequence this way.

Catalog queries read sequences' states too: ``pg_sequences.last_value``,
``pg_sequence_last_value(regclass)``, and a query that reads nothing but sequences (pg_dump's
``SELECT last_value, is_called FROM public.t_id_seq``), which the catalog emulation answers.
The catalog tells which sequences a query reads (``Catalog.sequences``); `catalog_states` reads
their states, with one query on the session's connection, for ``Catalog.execute``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

from sqlglot import exp

from txpostgres_proto.catalog import SequenceInfo, SequenceState
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.rewrite import APPLICATION_SCHEMAS
from txpostgres_proto.sqlite.sequences import Sequences, Start, column_owner

__all__ = ["catalog_states", "sequence_relations"]


def _state(name: str, alias: str) -> exp.Subquery:
    """The one-row subquery standing for sequence ``name``, aliased ``alias``."""
    argument = exp.Literal.string(name)
    last = exp.cast(exp.Anonymous(this="pg_sequence_state_value", expressions=[argument]), "bigint")
    called = exp.cast(
        exp.Anonymous(this="pg_sequence_is_called", expressions=[argument.copy()]), "boolean"
    )
    select = exp.select(
        exp.alias_(last, "last_value"),
        exp.alias_(exp.cast(exp.Literal.number(0), "bigint"), "log_cnt"),
        exp.alias_(called, "is_called"),
    )
    return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias)))


def sequence_relations(tree: exp.Expression, schema: Schema) -> None:
    """Replace, in place, every relation of ``tree`` that names an owned sequence of ``schema``
    (and no table or common table expression) by the subquery of its state."""
    if not isinstance(tree, exp.Query):
        return
    owned = schema.sequences.keys() | schema.created_sequences
    if not owned:
        return
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = [
        node
        for node in tree.find_all(exp.Table)
        if isinstance(node.this, exp.Identifier)
        and node.name in owned
        and node.name not in ctes
        and schema.table(node.name) is None
        and not node.args.get("catalog")
        and (not node.db or node.db.lower() in APPLICATION_SCHEMAS)
    ]
    for node in found:
        node.replace(_state(node.name, node.alias or node.name))


def catalog_states(
    conn: sqlite3.Connection,
    sequences: Sequences,
    schema: Schema,
    read: Iterable[SequenceInfo],
) -> dict[SequenceInfo, SequenceState]:
    """The states of the sequences ``read`` a catalog query reads, as ``conn`` sees them
    (``Sequences.state``: the last value handed out and true, or the next value and false);
    a sequence that is not one of ``schema``'s is left out (the catalog reads it as fresh)."""
    wanted: dict[str, SequenceInfo] = {
        info.name: info for info in read if info.schema in APPLICATION_SCHEMAS
    }
    owners, types = schema.sequences, schema.sequence_types
    starts: dict[str, Start] = {name: column_owner(conn, owners, types, name) for name in wanted}
    return {
        wanted[name]: SequenceState(last_value, is_called)
        for name, (last_value, is_called) in sequences.states(conn, starts).items()
    }
