"""Which row broke a constraint: the keys PostgreSQL's 23505 and 23503 details name.

SQLite says which unique constraint failed ("UNIQUE constraint failed: t.id") but not for which
row, and of a foreign key only that one failed.  PostgreSQL names the row (its
``_bt_check_unique`` and ``ri_ReportViolation``)::

    duplicate key value violates unique constraint "t_pkey"
        DETAIL: Key (id)=(2) already exists.
    update or delete on table "p" violates foreign key constraint "c_pid_fkey" on table "c"
        DETAIL: Key (id)=(1) is still referenced from table "c".

`Violations` finds that row after the statement failed (SQLite has undone it by then), on the
session's connection, so only a failing statement pays:

* a unique violation of an INSERT: the rows the INSERT was given are computed again (the
  ``VALUES`` rows or the ``SELECT``, only the key's columns) and the first whose key is in the
  table or in a row before it is the one; a key that came from a sequence default is the value
  ``nextval`` handed out last in the statement (``FunctionContext.drawn``);
* a unique violation of an UPDATE: the new keys of the rows its WHERE selects are computed
  (a SELECT of its ``SET`` values, in the table's row order) and the rows taken in turn, as
  PostgreSQL checks them: a new key conflicts with the rows not reached yet (their old keys)
  and with those changed already (their new keys), never with a changed row's old key
  (`_Keys`); the first that conflicts is the one;
* a unique violation of ``INSERT ... ON CONFLICT (arbiter) DO UPDATE/DO NOTHING``: its rows
  taken in turn the same way, each inserted, or (its arbiter key taken) skipped or made to
  update the row holding it, whose new key is computed from the ``DO UPDATE SET`` values with
  the row given as ``excluded``;
* a foreign key violation of an INSERT: the first row whose key is not in the referenced
  table;
* a foreign key violation of an UPDATE or DELETE: the statement is run again inside a
  savepoint with the checks deferred (``PRAGMA defer_foreign_keys``), ``PRAGMA
  foreign_key_check`` lists the rows left dangling, and the savepoint is rolled back.  A
  dangling row whose key was in the referenced table before the statement means the statement
  took a referenced row away ("still referenced"); otherwise it pointed a row elsewhere ("is not
  present").  ``ON DELETE/UPDATE RESTRICT`` fails at once even deferred: then the rows the
  statement's WHERE selects are read, and the first whose key it removes or changes while
  another table still refers to it is the one.

Nothing is computed again that has side effects (``nextval``, ``setval``, ``pg_notify`` …): such
a statement gets no key, as before.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from txpostgres_proto.sqlite.dialect import WRITE
from txpostgres_proto.sqlite.reflect import ForeignKeyInfo, Schema, TableInfo

__all__ = ["ForeignKeyFinding", "Violations"]

#: A string, a quoted name or a numbered parameter (``?3``) of a SQLite statement.
_PARAMETER: Final = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\?(\d+)")
_SIDE_EFFECTS: Final = re.compile(
    r"\b(?:nextval|setval|pg_notify|pg_sleep|pg_sequence_ddl|random|gen_random_uuid|uuid_generate_v4)\s*\(",
    re.IGNORECASE,
)
_SAVEPOINT: Final = '"_txpg_diagnosis"'


@dataclass(frozen=True, slots=True)
class ForeignKeyFinding:
    """A foreign key a statement broke: ``referenced`` true when it took away (or changed) a
    row ``child`` still refers to, false when it made a row of ``child`` refer to a missing
    one.  ``columns`` and ``values``: the referenced table's key (``referenced``) or the
    child's foreign key columns."""

    referenced: bool
    key: ForeignKeyInfo
    child: str
    columns: tuple[str, ...]
    values: tuple[Any, ...]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _named(bound: Sequence[Any]) -> dict[str, Any]:
    return {f"txpg{number}": value for number, value in enumerate(bound, 1)}


def _parse(statement: str) -> exp.Expression | None:
    """The statement's tree, its ``?n`` parameters as ``:txpgn`` (sqlglot reads those)."""
    text = _PARAMETER.sub(
        lambda match: f":txpg{match.group(1)}" if match.group(1) else match.group(0), statement
    )
    try:
        tree = sqlglot.parse_one(text, read=WRITE)
    except SqlglotError:
        return None
    return tree if isinstance(tree, exp.Expression) else None


def _same(left: str, right: str) -> bool:
    return left.lower() == right.lower()


def _assignments(assignments: Sequence[exp.Expression] | None) -> dict[str, exp.Expression] | None:
    """The new value of each column an UPDATE's (or ``DO UPDATE``'s) ``SET`` assigns, by
    lower-case name (``SET a = 1``, ``SET (a, b) = (1, 2)``); None for an assignment of
    another form (``SET (a, b) = (SELECT ...)``)."""
    found: dict[str, exp.Expression] = {}
    for assignment in assignments or ():
        if not isinstance(assignment, exp.EQ):
            return None
        targets, values = assignment.this, assignment.expression
        if isinstance(targets, exp.Tuple) and isinstance(values, exp.Tuple):
            if len(targets.expressions) != len(values.expressions):
                return None
            pairs = list(zip(targets.expressions, values.expressions, strict=True))
        else:
            pairs = [(targets, values)]
        for target, value in pairs:
            if not isinstance(target, exp.Column):
                return None
            found[target.name.lower()] = value
    return found


#: `_Keys.holder`: the key is one the statement gave a row.
_GIVEN: Final = -1


class _Keys:
    """The keys of a unique index (``columns`` of ``table``) while a failed statement's rows
    are taken in turn: those the table's rows held before it, but not those of the rows it
    gave another key (PostgreSQL checks each new key at once against the rows its statement
    has not changed or has changed already: a row's old key is free once it changed), and
    those it gave."""

    def __init__(self, conn: sqlite3.Connection, table: str, columns: Sequence[str]) -> None:
        self._conn = conn
        condition = " AND ".join(f"{_quote(column)} = ?" for column in columns)
        self._query = f"SELECT rowid FROM {_quote(table)} WHERE {condition}"
        self._changed: set[int] = set()
        self._given: set[tuple[Any, ...]] = set()

    def holder(self, key: tuple[Any, ...]) -> int | None:
        """The rowid of the row holding ``key`` (`_GIVEN`: a row the statement gave it);
        None when no row does (a key with a NULL never conflicts)."""
        if None in key:
            return None
        if key in self._given:
            return _GIVEN
        for (rowid,) in self._conn.execute(self._query, key).fetchall():
            if rowid not in self._changed:
                return int(rowid)
        return None

    def take(self, rowid: int | None, key: tuple[Any, ...]) -> bool:
        """Row ``rowid`` (None: a new row) takes ``key``: whether another row holds it."""
        if rowid is not None:
            self._changed.add(rowid)
        if self.holder(key) is not None:
            return True
        if None not in key:
            self._given.add(key)
        return False


class Violations:
    """Finds the row a failed INSERT/UPDATE/DELETE stopped at (module docstring)."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        statement: str,
        bound: Sequence[Any],
        schema: Schema,
        drawn: Mapping[str, int],
    ) -> None:
        self._conn = conn
        self._statement = statement
        self._bound = bound
        self._schema = schema
        self._drawn = dict(drawn)

    @functools.cached_property
    def _tree(self) -> exp.Expression | None:
        """The failed statement's tree (`_parse`); its users change copies only."""
        return _parse(self._statement)

    # -- INSERT ----------------------------------------------------------------------------

    def _insert_rows(
        self, table: TableInfo, columns: Sequence[str]
    ) -> list[tuple[Any, ...]] | None:
        """The values of ``columns`` in each row the INSERT into ``table`` was given, in
        order; None when they cannot be computed again without side effects."""
        tree = self._tree
        if not isinstance(tree, exp.Insert) or tree.args.get("default"):
            return None
        target = tree.this
        if isinstance(target, exp.Schema):
            names = [column.name for column in target.expressions]
        else:
            names = [column.name for column in table.columns]
        positions = [
            next((index for index, name in enumerate(names) if _same(name, column)), None)
            for column in columns
        ]
        indexes = [index for index in positions if index is not None]
        if len(indexes) < len(positions):
            return self._drawn_row(table, columns) if not indexes else None
        source = tree.expression
        if isinstance(source, exp.Values):
            reduced = exp.Values(
                expressions=[
                    exp.Tuple(expressions=[row.expressions[index].copy() for index in indexes])
                    for row in source.expressions
                ]
            )
            text = reduced.sql(dialect=WRITE)
            indexes = list(range(len(indexes)))
        elif isinstance(source, exp.Query):
            query = source.copy()
            if tree.args.get("with_") is not None:
                query.set("with_", tree.args["with_"].copy())
            text = query.sql(dialect=WRITE)
        else:
            return None
        if _SIDE_EFFECTS.search(text):
            return None
        rows = self._conn.execute(text, _named(self._bound)).fetchall()
        return [tuple(row[index] for index in indexes) for row in rows]

    def _drawn_row(self, table: TableInfo, columns: Sequence[str]) -> list[tuple[Any, ...]] | None:
        """The key of every column from its sequence default: the last values handed out."""
        values = []
        for name in columns:
            found = table.column(name)
            sequence = found[1].sequence if found is not None else None
            if sequence is None or sequence not in self._drawn:
                return None
            values.append(self._drawn[sequence])
        return [tuple(values)]

    def _exists(self, table: str, columns: Sequence[str], values: Sequence[Any]) -> bool:
        condition = " AND ".join(f"{_quote(column)} = ?" for column in columns)
        found = self._conn.execute(
            f"SELECT 1 FROM {_quote(table)} WHERE {condition} LIMIT 1", tuple(values)
        ).fetchone()
        return found is not None

    def unique_key(self, table_name: str, columns: tuple[str, ...]) -> tuple[Any, ...] | None:
        """The key of ``columns`` (a unique index of ``table_name``) PostgreSQL's 23505 names
        for the failed statement: that of its first row to take a key another row holds."""
        table = self._schema.table(table_name)
        tree = self._tree
        if table is None or tree is None:
            return None
        try:
            if isinstance(tree, exp.Update):
                return self._updated_key(tree, table, columns)
            if isinstance(tree, exp.Insert) and tree.args.get("conflict") is not None:
                return self._upserted_key(tree, table, columns)
            rows = self._insert_rows(table, columns)
            if rows is None:
                return None
            if len(rows) == 1:
                return rows[0]
            keys = _Keys(self._conn, table.name, columns)
            return next((key for key in rows if keys.take(None, key)), None)
        except sqlite3.Error:
            return None

    def _updated_key(
        self, tree: exp.Update, table: TableInfo, columns: Sequence[str]
    ) -> tuple[Any, ...] | None:
        """The new key of the first row the failed UPDATE gave a key another row held, the
        rows its WHERE selects taken in the table's order (PostgreSQL's sequential scan of a
        table whose rows were not updated since: the order they were inserted in)."""
        assignments = _assignments(tree.expressions)
        if assignments is None or tree.args.get("from_") or tree.args.get("with_"):
            return None
        news = [
            assignments.get(column.lower(), exp.column(column, quoted=True)) for column in columns
        ]
        query = exp.select(exp.column("rowid"), *(new.copy() for new in news))
        query = query.from_(tree.this.copy())
        where = tree.args.get("where")
        if where is not None:
            query.set("where", where.copy())
        text = query.order_by("rowid").sql(dialect=WRITE)
        if _SIDE_EFFECTS.search(text):
            return None
        keys = _Keys(self._conn, table.name, columns)
        for rowid, *new_key in self._conn.execute(text, _named(self._bound)).fetchall():
            if keys.take(rowid, tuple(new_key)):
                return tuple(new_key)
        return None

    def _upserted_key(
        self, tree: exp.Insert, table: TableInfo, columns: Sequence[str]
    ) -> tuple[Any, ...] | None:
        """The key of the first row of a failed ``INSERT ... ON CONFLICT (arbiter) DO
        UPDATE/NOTHING`` to take a key another row holds, its rows taken in turn as PostgreSQL
        does: a row whose arbiter key no row holds is inserted; one whose key a row of the
        table holds updates that row (``DO UPDATE``: the ``SET`` values, ``excluded`` being
        the row given, where its ``WHERE`` holds) or is skipped (``DO NOTHING``)."""
        conflict = tree.args["conflict"]
        arbiter = [
            (key.this if isinstance(key, exp.Ordered) else key).name
            for key in conflict.args.get("conflict_keys") or ()
        ]
        action = conflict.args.get("action")
        updating = action is not None and "UPDATE" in action.name.upper()
        assignments = _assignments(conflict.expressions) if updating else {}
        target = tree.this
        if not arbiter or assignments is None:
            return None
        if isinstance(target, exp.Schema):
            names = [column.name for column in target.expressions]
            target = target.this
        else:
            names = [column.name for column in table.columns]
        given = self._insert_rows(table, names)
        lowered = [name.lower() for name in names]
        if given is None or any(column.lower() not in lowered for column in (*arbiter, *columns)):
            return None
        arbiters = _Keys(self._conn, table.name, arbiter)
        same = [column.lower() for column in arbiter] == [column.lower() for column in columns]
        keys = arbiters if same else _Keys(self._conn, table.name, columns)
        for row in given:
            values = dict(zip(lowered, row, strict=True))
            holder = arbiters.holder(tuple(values[column.lower()] for column in arbiter))
            if holder == _GIVEN and updating:
                return None  # PostgreSQL: ON CONFLICT DO UPDATE cannot affect a row twice
            if holder is not None and not updating:
                continue
            if holder is not None:
                updated = self._upserted_row(target, conflict, holder, values, arbiter, columns)
                if updated is None:
                    return None
                if not updated:
                    continue  # its WHERE left the row alone
                values = updated
            key = tuple(values[column.lower()] for column in columns)
            if keys.take(holder, key):
                return key
            if not same:
                arbiters.take(holder, tuple(values[column.lower()] for column in arbiter))
        return None

    def _upserted_row(
        self,
        table: exp.Expression,
        conflict: exp.OnConflict,
        rowid: int,
        given: Mapping[str, Any],
        *column_lists: Sequence[str],
    ) -> dict[str, Any] | None:
        """The values of the columns of ``column_lists`` row ``rowid`` of ``table`` has after
        ``DO UPDATE`` with ``given`` as ``excluded``; empty when the update's ``WHERE`` leaves
        it alone; None when they cannot be computed (side effects, an ``excluded`` column the
        INSERT gave no value)."""
        assignments = _assignments(conflict.expressions) or {}
        wanted = list(
            dict.fromkeys(column.lower() for columns in column_lists for column in columns)
        )
        bound = _named(self._bound)
        missing = False

        def excluded(node: exp.Expression) -> exp.Expression:
            nonlocal missing
            if not isinstance(node, exp.Column) or node.table.lower() != "excluded":
                return node
            if node.name.lower() not in given:
                missing = True
                return node
            name = f"txpgexcluded{len(bound)}"
            bound[name] = given[node.name.lower()]
            return exp.Placeholder(this=name)

        news = [
            assignments.get(column, exp.column(column, quoted=True)).copy().transform(excluded)
            for column in wanted
        ]
        where = conflict.args.get("where")
        condition = where.this.copy().transform(excluded) if where is not None else exp.true()
        bound["txpgrowid"] = rowid
        query = exp.select(*news, condition).from_(table.copy())
        query = query.where(
            exp.EQ(this=exp.column("rowid"), expression=exp.Placeholder(this="txpgrowid"))
        )
        text = query.sql(dialect=WRITE)
        if missing or _SIDE_EFFECTS.search(text):
            return None
        row = self._conn.execute(text, bound).fetchone()
        if row is None:
            return None
        if not row[-1]:
            return {}
        return dict(zip(wanted, row[:-1], strict=True))

    def missing_reference(self, table_name: str) -> ForeignKeyFinding | None:
        """The first row of the failed INSERT whose foreign key has no referenced row."""
        table = self._schema.table(table_name)
        if table is None:
            return None
        try:
            for key in table.foreign_keys:
                rows = self._insert_rows(table, key.columns)
                if rows is None:
                    continue
                referenced = self._referenced_columns(key)
                for values in rows:
                    if None in values or self._exists(key.ref_table, referenced, values):
                        continue
                    return ForeignKeyFinding(False, key, table.name, key.columns, values)
        except sqlite3.Error:
            return None
        return None

    # -- UPDATE and DELETE -------------------------------------------------------------------

    def _referenced_columns(self, key: ForeignKeyInfo) -> tuple[str, ...]:
        if key.ref_columns:
            return key.ref_columns
        parent = self._schema.table(key.ref_table)
        if parent is None:
            return ()
        return tuple(column.name for column in parent.columns if column.pk_position) or ()

    def _dangling(self) -> set[tuple[str, int, int]]:
        """(table, rowid, foreign key id) of every row whose foreign key has no target."""
        found = set()
        for table in self._schema.tables.values():
            if table.kind != "r" or not table.foreign_keys:
                continue
            for name, rowid, _, key_id in self._conn.execute(
                f"PRAGMA foreign_key_check({_quote(table.name)})"
            ):
                if rowid is not None:
                    found.add((name, int(rowid), int(key_id)))
        return found

    def _key_of(self, table: str, key_id: int) -> ForeignKeyInfo | None:
        """The schema's foreign key SQLite numbers ``key_id`` on ``table``."""
        rows = self._conn.execute(f"PRAGMA foreign_key_list({_quote(table)})").fetchall()
        columns = tuple(row[3] for row in sorted(rows, key=lambda row: row[1]) if row[0] == key_id)
        found = self._schema.table(table)
        if found is None:
            return None
        return next(
            (
                key
                for key in found.foreign_keys
                if tuple(map(str.lower, key.columns)) == tuple(map(str.lower, columns))
            ),
            None,
        )

    def broken_reference(self) -> ForeignKeyFinding | None:
        """The foreign key the failed UPDATE/DELETE broke, found by running it again with the
        checks deferred, inside a savepoint rolled back at once; for ``ON DELETE/UPDATE
        RESTRICT`` (checked at once even when deferred) from the rows its WHERE selects."""
        if _SIDE_EFFECTS.search(self._statement):
            return None
        try:
            return self._rerun()
        except sqlite3.IntegrityError:
            try:
                return self._taken_away()
            except sqlite3.Error:
                return None
        except sqlite3.Error:
            return None

    def _rerun(self) -> ForeignKeyFinding | None:
        conn = self._conn
        dangling: list[tuple[str, int, ForeignKeyInfo, tuple[Any, ...]]] = []
        before = self._dangling()
        conn.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            conn.execute("PRAGMA defer_foreign_keys = ON")
            conn.execute(self._statement, self._bound)
            for table, rowid, key_id in sorted(self._dangling() - before):
                key = self._key_of(table, key_id)
                if key is None:
                    continue
                columns = ", ".join(_quote(column) for column in key.columns)
                values = conn.execute(
                    f"SELECT {columns} FROM {_quote(table)} WHERE rowid = ?", (rowid,)
                ).fetchone()
                dangling.append((table, rowid, key, tuple(values)))
        finally:
            conn.execute(f"ROLLBACK TO {_SAVEPOINT}")
            conn.execute(f"RELEASE {_SAVEPOINT}")
            conn.execute("PRAGMA defer_foreign_keys = OFF")
        return self._first(dangling)

    def _taken_away(self) -> ForeignKeyFinding | None:
        """The first row the UPDATE/DELETE would take away (or give another key) that a row
        of another table still refers to, from the rows its WHERE selects."""
        tree = self._tree
        if not isinstance(tree, exp.Update | exp.Delete) or tree.args.get("from_"):
            return None
        table = self._schema.table(tree.this.name) if isinstance(tree.this, exp.Table) else None
        new_values = _assignments(tree.expressions) if isinstance(tree, exp.Update) else {}
        if table is None or new_values is None:
            return None
        references = [
            (child, key)
            for child in self._schema.tables.values()
            for key in child.foreign_keys
            if _same(key.ref_table, table.name)
        ]
        for child, key in references:
            columns = self._referenced_columns(key)
            olds = [exp.column(column, quoted=True) for column in columns]
            news = [
                new_values.get(column.lower(), old).copy()
                for column, old in zip(columns, olds, strict=True)
            ]
            query = exp.select(*olds, *news).from_(tree.this.copy())
            where = tree.args.get("where")
            if where is not None:
                query.set("where", where.copy())
            text = query.sql(dialect=WRITE)
            if _SIDE_EFFECTS.search(text):
                return None
            count = len(columns)
            for row in self._conn.execute(text, _named(self._bound)):
                old, new = tuple(row[:count]), tuple(row[count:])
                changed = isinstance(tree, exp.Delete) or old != new
                if changed and None not in old and self._exists(child.name, key.columns, old):
                    return ForeignKeyFinding(True, key, child.name, columns, old)
        return None

    def _first(
        self, dangling: list[tuple[str, int, ForeignKeyInfo, tuple[Any, ...]]]
    ) -> ForeignKeyFinding | None:
        """The dangling row PostgreSQL reports: one whose referenced row the statement took
        away, the first of those in the referenced table's order; else the first one made to
        point at nothing."""
        best: tuple[tuple[int, int], ForeignKeyFinding] | None = None
        for table, rowid, key, values in dangling:
            referenced = self._referenced_columns(key)
            condition = " AND ".join(f"{_quote(column)} = ?" for column in referenced)
            row = self._conn.execute(
                f"SELECT rowid FROM {_quote(key.ref_table)} WHERE {condition} LIMIT 1", values
            ).fetchone()
            if row is not None:
                finding = ForeignKeyFinding(True, key, table, referenced, values)
                order = (0, int(row[0]))
            else:
                finding = ForeignKeyFinding(False, key, table, key.columns, values)
                order = (1, rowid)
            if best is None or order < best[0]:
                best = (order, finding)
        return best[1] if best is not None else None
