"""ALTER TABLE: in place where SQLite can, by rebuilding the table where it cannot.

SQLite alters a table in place only to add a plain column, drop or rename a column, or rename
the table.  Everything else PostgreSQL allows — a column's type, default or NOT NULL, adding or
dropping a constraint, adding a UNIQUE/PRIMARY KEY column — is done with the procedure of
SQLite's ALTER TABLE documentation ("Making Other Kinds Of Table Schema Changes"): create the
new table, copy the rows, drop the old one, recreate the indexes — except that the old table is
first renamed to a scratch name under SQLite's legacy rename rule, so that foreign keys of
other tables and views keep naming the table (the documented procedure instead turns foreign
keys off, which SQLite allows only outside a transaction).  The backend runs the statements
atomically (one transaction or savepoint); the copy checks the new table's constraints against
the existing rows, as PostgreSQL does when it adds a constraint.

The new definition is derived from the stored one (``sqlite_schema.sql``, which this backend
wrote itself, see ``ddl.py``): its column definitions and constraints are edited as a sqlglot
tree, and each column keeps its declared PostgreSQL type unless the ALTER changes it.  The
ALTER actions of one statement apply in order, as in PostgreSQL.  The PostgreSQL texts of the
columns' defaults (``ddl.py``) follow: kept anew for the rebuilt table (SET DEFAULT and ADD
COLUMN giving new ones), renamed and dropped with their table or column in place.

Sequences follow as in PostgreSQL: a dropped column's sequences go with it (the defaults of
other columns drawing from them too, under ``CASCADE``, with PostgreSQL's NOTICE; 2BP01
without), an identity column's sequence takes the column's new type, a serial column's keeps
its own (``sequences.py``).

``ADD COLUMN IF NOT EXISTS`` of a column the table has and ``DROP COLUMN/CONSTRAINT IF EXISTS``
of one it lacks do nothing, with PostgreSQL's "…, skipping" NOTICE, as does ``ALTER TABLE IF
EXISTS`` of a table that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final, cast

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite import ddl
from txpostgres_proto.sqlite.dialect import WRITE
from txpostgres_proto.sqlite.reflect import DEFAULTS_TABLE_SQL, Schema, TableInfo
from txpostgres_proto.sqlite.sequence_ddl import column_sequence, sequence_statement
from txpostgres_proto.sqlite.sequences import drop_sql, rename_sql, serial_keep_sql, serial_sql
from txpostgres_proto.sqlite.typemap import PgType
from txpostgres_proto.types import oids

_SCRATCH: Final = "_txpg_rebuild"
#: A NOTICE: its message and detail.
Notice = tuple[str, str | None]
_UNNAMED_CHECK: Final = re.compile(r"\bADD\s+CHECK\b", re.IGNORECASE)
UNNAMED: Final = "_txpg_unnamed"
#: The data type of the sequence of a serial or identity column of each integer type.
_SEQUENCE_TYPES: Final = {oids.INT2: "smallint", oids.INT4: "integer", oids.INT8: "bigint"}


def name_unnamed_checks(sql: str) -> str:
    """sqlglot parses ``ADD CONSTRAINT x CHECK`` but not ``ADD CHECK``: give it a placeholder
    name that `alter_table` replaces with PostgreSQL's default one."""
    return _UNNAMED_CHECK.sub(f"ADD CONSTRAINT {UNNAMED} CHECK", sql)


#: An enum's or domain's declared type (``typemap.py``): two words, which SQLite's grammar
#: takes and sqlglot's does not; the rebuild writes every column's type anew anyway.
_USER_TYPE_DECLARATION: Final = re.compile(r"\b(pg(?:enum|domain)_(?:[0-9a-f]{2})+)\s+(?=\w)")


def _sqlite_tree(sql: str) -> exp.Expression:
    try:
        return cast(
            exp.Expression,
            sqlglot.parse_one(_USER_TYPE_DECLARATION.sub(r"\1_", sql), read="sqlite"),
        )
    except SqlglotError as error:
        raise PostgresError(
            f"cannot alter this table on the SQLite backend: {error}", "0A000"
        ) from None


@dataclass
class _Column:
    """One column of the table being rebuilt: its definition and where its values come from."""

    name: str
    pg_type: PgType
    definition: exp.ColumnDef
    source: str | None  # SQLite expression over the old table; None for a new column
    #: The PostgreSQL text of its default, in a 1-tuple when known (``ddl.record_defaults_sql``)
    written: tuple[str | None] | None = None


@dataclass
class _Rebuild:
    """The table definition being edited by the actions of one ALTER TABLE."""

    table: TableInfo
    columns: list[_Column] = field(default_factory=list)
    constraints: list[exp.Expression] = field(default_factory=list)
    name: str = ""
    index_sql: tuple[str, ...] = ()
    #: old column name (lower case) → new name; None when the column was dropped
    renamed: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def of(cls, table: TableInfo) -> _Rebuild:
        if not table.sql:
            raise PostgresError(f'cannot alter "{table.name}": no stored definition', "0A000")
        tree = _sqlite_tree(table.sql)
        schema = tree.this
        rebuild = cls(table, name=table.name, index_sql=table.index_sql)
        declared = {column.name.lower(): column.pg_type for column in table.columns}
        for element in schema.expressions:
            if isinstance(element, exp.ColumnDef):
                pg_type = declared.get(element.name.lower(), PgType(25))
                found = table.column(element.name)
                written = (found[1].written,) if found is not None and found[1].kept else None
                rebuild.columns.append(
                    _Column(element.name, pg_type, element, ddl.quote(element.name), written)
                )
            else:
                rebuild.constraints.append(element)
        return rebuild

    def column(self, name: str) -> _Column:
        for column in self.columns:
            if column.name.lower() == name.lower():
                return column
        raise PostgresError(
            f'column "{name}" of relation "{self.table.name}" does not exist', "42703"
        )

    def sql(self) -> list[str]:
        """The statements that replace the old table by the edited one."""
        parts = []
        for column in self.columns:
            definition = column.definition.copy()
            definition.set(
                "kind",
                exp.DataType(this=exp.DataType.Type.USERDEFINED, kind=column.pg_type.declaration()),
            )
            parts.append(definition.sql(dialect=WRITE, normalize_functions="lower"))
        parts.extend(
            constraint.sql(dialect=WRITE, normalize_functions="lower")
            for constraint in self.constraints
        )
        copied = [column for column in self.columns if column.source is not None]
        targets = ", ".join(ddl.quote(column.name) for column in copied)
        sources = ", ".join(column.source or "NULL" for column in copied)
        scratch, old, new = ddl.quote(_SCRATCH), ddl.quote(self.table.name), ddl.quote(self.name)
        rebuilt = [
            "PRAGMA legacy_alter_table = ON",
            f"ALTER TABLE {old} RENAME TO {scratch}",
            "PRAGMA legacy_alter_table = OFF",
            f"CREATE TABLE {new} ({', '.join(parts)})",
            f"INSERT INTO {new} ({targets}) SELECT {sources} FROM {scratch}",
            f"DROP TABLE {scratch}",
            *(index for index in map(self._index, self.index_sql) if index is not None),
        ]
        return rebuilt + self._kept_defaults()

    def _kept_defaults(self) -> list[str]:
        """The statements keeping the PostgreSQL texts of the defaults known (``ddl.py``) with
        the SQLite texts the new table has for them."""
        written = {
            column.name: (column.written[0], None)
            for column in self.columns
            if column.written is not None
            and _constraints_of(column.definition, exp.DefaultColumnConstraint)
        }
        if not written:
            return []
        names = list(dict.fromkeys([self.table.name, self.name]))
        return [
            DEFAULTS_TABLE_SQL,
            ddl.forget_defaults_sql(names),
            ddl.record_defaults_sql(self.name, written),
        ]

    def _index(self, sql: str) -> str | None:
        """An index of the old table for the new one: columns renamed, gone if one was dropped."""
        tree = _sqlite_tree(sql)
        index = tree.this
        params = index.args.get("params")
        for column in tree.find_all(exp.Column):
            key = column.name.lower()
            if key in self.renamed:
                new = self.renamed[key]
                if new is None:
                    return None
                column.set("this", exp.to_identifier(new, quoted=True))
        parts = []
        for part in params.args.get("columns") or []:
            ordered = part if isinstance(part, exp.Ordered) else None
            expression = part.this if ordered is not None else part
            text = expression.sql(dialect=WRITE, normalize_functions="lower")
            parts.append(
                text + (" DESC" if ordered is not None and ordered.args.get("desc") else "")
            )
        where = params.args.get("where")
        condition = f" WHERE {where.this.sql(dialect=WRITE)}" if where is not None else ""
        unique = "UNIQUE " if tree.args.get("unique") else ""
        name, table = ddl.quote(index.name), ddl.quote(self.name)
        return f"CREATE {unique}INDEX {name} ON {table} ({', '.join(parts)}){condition}"


def _constraints_of(definition: exp.ColumnDef, kind: type[exp.Expression]) -> list[exp.Expression]:
    return [
        constraint
        for constraint in definition.constraints
        if isinstance(constraint.args.get("kind"), kind)
    ]


def _remove(definition: exp.ColumnDef, kind: type[exp.Expression]) -> None:
    for constraint in _constraints_of(definition, kind):
        constraint.pop()


def _add(definition: exp.ColumnDef, sql: str) -> None:
    """Append a column constraint written as SQLite text (``NOT NULL``, ``DEFAULT (…)``)."""
    parsed = _sqlite_tree(f"CREATE TABLE x (y z {sql})").this.expressions[0]
    for constraint in parsed.constraints:
        definition.append("constraints", constraint)


def _in_primary_key(rebuild: _Rebuild, name: str) -> bool:
    if _constraints_of(rebuild.column(name).definition, exp.PrimaryKeyColumnConstraint):
        return True
    return any(
        isinstance(constraint, exp.PrimaryKey)
        and name.lower() in (part.name.lower() for part in constraint.expressions)
        for constraint in rebuild.constraints
    )


def _alter_column(rebuild: _Rebuild, action: exp.AlterColumn, schema: Schema) -> list[str]:
    """Change the column; the statements its sequence needs first (a new type: ``_retype``)."""
    column = rebuild.column(action.this.name)
    definition = column.definition
    dtype = action.args.get("dtype")
    keeps_identity = dtype is not None or action.args.get("allow_null") is False
    if not keeps_identity and _is_identity(rebuild.table, column.name):
        # Its default and NOT NULL are the identity's (``identity_ddl.py`` changes that).
        raise PostgresError(
            f'column "{column.name}" of relation "{rebuild.table.name}" is an identity column',
            "42601",
            hint="Use ALTER TABLE ... ALTER COLUMN ... DROP IDENTITY instead."
            if action.args.get("drop") and action.args.get("allow_null") is None
            else None,
        )
    sequences: list[str] = []
    if dtype is not None:
        pg_type, _ = ddl.column_type(dtype)
        sequences = _retype(schema, rebuild.table, column.name, pg_type)
        using = action.args.get("using")
        column.source = (
            ddl.expression_sql(using)
            if isinstance(using, exp.Expression)
            else f"pg_cast({ddl.quote(column.name)}, {pg_type.oid}, {pg_type.typmod})"
        )
        column.pg_type = pg_type
    elif action.args.get("allow_null") is False:
        if not _constraints_of(definition, exp.NotNullColumnConstraint):
            _add(definition, "NOT NULL")
    elif action.args.get("allow_null"):
        if _in_primary_key(rebuild, column.name):
            raise PostgresError(f'column "{column.name}" is in a primary key', "42P16")
        _remove(definition, exp.NotNullColumnConstraint)
    elif action.args.get("default") is not None:
        _remove(definition, exp.DefaultColumnConstraint)
        _add(definition, "DEFAULT " + ddl.default_sql(action.args["default"], column.pg_type))
        column.written = (ddl.pg_default_text(action.args["default"]),)
    elif action.args.get("drop"):
        _remove(definition, exp.DefaultColumnConstraint)
        column.written = None
    else:
        raise PostgresError(
            f"ALTER COLUMN {action.sql(dialect='postgres')} is not supported by the SQLite backend",
            "0A000",
        )
    return sequences


def _retype(schema: Schema, table: TableInfo, name: str, pg_type: PgType) -> list[str]:
    """What a column's new type does to its sequence, as in PostgreSQL: an identity column's
    sequence takes the type (``ALTER SEQUENCE ... AS``: a maximum or minimum at the old
    type's bound moves to the new one's), only smallint, integer or bigint; a serial
    column's stays as it is."""
    found = table.column(name)
    sequence = found[1].sequence if found is not None else None
    if found is None or sequence is None:
        return []
    if found[1].identity:
        data_type = _SEQUENCE_TYPES.get(pg_type.oid)
        if data_type is None:
            raise PostgresError(
                "identity column type must be smallint, integer, or bigint", "22023"
            )
        altered = sequence_statement(f"ALTER SEQUENCE {ddl.quote(sequence)} AS {data_type}")
        assert altered is not None
        return list(altered[1])
    if schema.sequences.get(sequence) != (table.name, found[1].name):
        return []
    options = schema.column_options(sequence)
    return [serial_keep_sql(sequence, options, table.name, found[1].name)]


def _is_identity(table: TableInfo, name: str) -> bool:
    found = table.column(name)
    return found is not None and bool(found[1].identity)


def _constraint_name(table: str, node: exp.Expression) -> str | None:
    """The name PostgreSQL gives (or the user gave) a constraint of the stored definition."""
    if isinstance(node, exp.Constraint | exp.ColumnConstraint) and node.name:
        return node.name
    if isinstance(node, exp.PrimaryKey):
        return f"{table}_pkey"
    if isinstance(node, exp.UniqueColumnConstraint) and isinstance(node.this, exp.Schema):
        return f"{table}_{'_'.join(part.name for part in node.this.expressions)}_key"
    if isinstance(node, exp.ForeignKey):
        return f"{table}_{'_'.join(part.name for part in node.expressions)}_fkey"
    return None


def _drop_constraint(rebuild: _Rebuild, action: exp.Drop) -> list[Notice]:
    """Drop the constraints; PostgreSQL's NOTICEs for those ``IF EXISTS`` does not find."""
    names = [item.name for item in action.args.get("tables") or []]
    table = rebuild.table.name
    skipped: list[Notice] = []
    for name in names:
        for constraint in list(rebuild.constraints):
            if _constraint_name(table, constraint) == name:
                rebuild.constraints.remove(constraint)
                break
        else:
            if _drop_column_constraint(rebuild, name):
                continue
            message = f'constraint "{name}" of relation "{table}" does not exist'
            if not action.args.get("exists"):
                raise PostgresError(message, "42704")
            skipped.append((f"{message}, skipping", None))
    return skipped


def _drop_column_constraint(rebuild: _Rebuild, name: str) -> bool:
    table = rebuild.table.name
    for column in rebuild.columns:
        for constraint in column.definition.constraints:
            suffixes: dict[type, str] = {
                exp.PrimaryKeyColumnConstraint: "pkey",
                exp.UniqueColumnConstraint: f"{column.name}_key",
                exp.Reference: f"{column.name}_fkey",
            }
            suffix = suffixes.get(type(constraint.args.get("kind")))
            derived = f"{table}_{suffix}" if suffix else None
            if name in (constraint.name, derived):
                constraint.pop()
                return True
    return False


def _add_constraint(rebuild: _Rebuild, action: exp.AddConstraint) -> None:
    writer = ddl.TableWriter(rebuild.table.name, set())
    for node in action.expressions:
        inner = node.expressions[0] if isinstance(node, exp.Constraint) else node
        given = node.name if isinstance(node, exp.Constraint) and node.name != UNNAMED else None
        if isinstance(inner, exp.PrimaryKey):
            for part in inner.expressions:
                definition = rebuild.column(part.name).definition
                if not _constraints_of(definition, exp.NotNullColumnConstraint):
                    _add(definition, "NOT NULL")
        text = writer.constraint(inner, given)
        rebuild.constraints.append(
            _sqlite_tree(f"CREATE TABLE x (y z, {text})").this.expressions[1]
        )


def _add_column(
    rebuild: _Rebuild, action: exp.ColumnDef, identities: list[ddl.IdentityOptions]
) -> list[str]:
    """Add the column; the statements making its sequence first, for an identity column."""
    if any(column.name.lower() == action.name.lower() for column in rebuild.columns):
        if action.args.get("exists"):
            return []
        raise PostgresError(
            f'column "{action.name}" of relation "{rebuild.table.name}" already exists', "42701"
        )
    writer = ddl.TableWriter(rebuild.table.name, set(), identity_options=identities)
    text = writer.column(action)
    definition = _sqlite_tree(f"CREATE TABLE x ({text})").this.expressions[0]
    pg_type, serial = ddl.column_type(action.args.get("kind"))
    kept = writer.written.get(action.name)
    written = (kept[0],) if kept is not None else None
    rebuild.columns.append(_Column(action.name, pg_type, definition, None, written))
    if serial:
        sequence = f"{rebuild.table.name}_{action.name}_seq"
        return [serial_sql(sequence, _SEQUENCE_TYPES.get(pg_type.oid, "bigint"))]
    return [
        column_sequence(sequence, options, unless_table=None)
        for sequence, options in writer.identities
    ]


def _drop_column(rebuild: _Rebuild, action: exp.Drop) -> None:
    for item in action.args.get("tables") or []:
        try:
            column = rebuild.column(item.name)
        except PostgresError:
            if action.args.get("exists"):
                continue
            raise
        rebuild.columns.remove(column)
        rebuild.renamed[column.name.lower()] = None
        rebuild.constraints = [
            constraint
            for constraint in rebuild.constraints
            if column.name.lower() not in _mentioned(constraint)
        ]


def _mentioned(constraint: exp.Expression) -> set[str]:
    """Lower-case names of the columns a table constraint names (its own, not referenced ones)."""
    names = {column.name.lower() for column in constraint.find_all(exp.Column)}
    inner = constraint.expressions[0] if isinstance(constraint, exp.Constraint) else constraint
    if isinstance(inner, exp.PrimaryKey | exp.ForeignKey):
        names.update(part.name.lower() for part in inner.expressions)
    if isinstance(inner, exp.UniqueColumnConstraint) and isinstance(inner.this, exp.Schema):
        names.update(part.name.lower() for part in inner.this.expressions)
    if isinstance(inner, exp.ForeignKey):
        reference = inner.args.get("reference")
        if reference is not None:
            names -= {column.name.lower() for column in reference.find_all(exp.Column)}
    return names


def _rename_column(rebuild: _Rebuild, action: exp.RenameColumn) -> None:
    column = rebuild.column(action.this.name)
    new = action.args["to"].name
    column.definition.set("this", exp.to_identifier(new, quoted=True))
    for old, current in rebuild.renamed.items():
        if current is not None and current.lower() == column.name.lower():
            rebuild.renamed[old] = new
    rebuild.renamed.setdefault(column.name.lower(), new)
    column.name = new


def _constant(node: exp.Expression) -> bool:
    """A default SQLite accepts in ADD COLUMN: a literal (possibly signed or in parentheses)."""
    while isinstance(node, exp.Paren | exp.Neg):
        node = node.this
    return isinstance(node, exp.Literal | exp.Boolean | exp.Null)


def _dependent_views(schema: Schema, table: str, action: exp.Drop) -> list[str]:
    """Views that name a column DROP COLUMN removes: 2BP01 unless CASCADE drops them too."""
    found = []
    for item in action.args.get("tables") or []:
        word = re.compile(rf"\b{re.escape(item.name)}\b", re.IGNORECASE)
        mentions = re.compile(rf"\b{re.escape(table)}\b", re.IGNORECASE)
        for view in schema.tables.values():
            definition = view.definition or ""
            if view.kind == "v" and word.search(definition) and mentions.search(definition):
                if not action.args.get("cascade"):
                    raise PostgresError(
                        f"cannot drop column {item.name} of table {table} because other "
                        "objects depend on it",
                        "2BP01",
                        detail=f"view {view.name} depends on column {item.name} of table {table}",
                        hint="Use DROP ... CASCADE to drop the dependent objects too.",
                    )
                found.append(view.name)
    return found


def _needs_rebuild(action: exp.Expression) -> bool:
    if isinstance(action, exp.ColumnDef):
        if ddl.is_serial(action.args.get("kind")):
            return True  # its default draws from the sequence: not constant
        kinds = [constraint.args.get("kind") for constraint in action.constraints]
        return any(
            isinstance(
                kind,
                exp.PrimaryKeyColumnConstraint
                | exp.UniqueColumnConstraint
                | exp.GeneratedAsIdentityColumnConstraint,
            )
            or (isinstance(kind, exp.DefaultColumnConstraint) and not _constant(kind.this))
            for kind in kinds
        )
    return not isinstance(action, exp.RenameColumn | exp.AlterRename)


def _in_place(table: TableInfo, action: exp.Expression) -> list[str]:
    """The statements altering ``table`` in place, the kept texts of its columns' defaults
    (``ddl.py``) following."""
    quoted = ddl.quote(table.name)
    if isinstance(action, exp.ColumnDef):
        writer = ddl.TableWriter(table.name, set())
        column = writer.column(action)
        added = f"ALTER TABLE {quoted} ADD COLUMN {column}"
        if not writer.written:
            return [added]
        return [added, DEFAULTS_TABLE_SQL, ddl.record_defaults_sql(table.name, writer.written)]
    if isinstance(action, exp.Drop):
        statements = []
        for item in action.args.get("tables") or []:
            statements.append(f"ALTER TABLE {quoted} DROP COLUMN {ddl.quote(item.name)}")
            found = table.column(item.name)
            if found is not None and found[1].kept:
                forgotten = ddl.forget_defaults_sql([table.name], found[1].name)
                statements.extend([DEFAULTS_TABLE_SQL, forgotten])
        return statements
    if isinstance(action, exp.RenameColumn):
        old, new = action.this.name, action.args["to"].name
        renamed = f"ALTER TABLE {quoted} RENAME COLUMN {ddl.quote(old)} TO {ddl.quote(new)}"
        found = table.column(old)
        if found is None or not found[1].kept:
            return [renamed]
        return [renamed, *ddl.rename_defaults_sql(table.name, new, found[1].name)]
    assert isinstance(action, exp.AlterRename)
    new = ddl.table_name(action.this)
    renamed = f"ALTER TABLE {quoted} RENAME TO {ddl.quote(new)}"
    if not any(column.kept for column in table.columns):
        return [renamed]
    return [renamed, *ddl.rename_defaults_sql(table.name, new)]


def with_defaults(table: TableInfo, defaults: dict[str, str | None]) -> list[str]:
    """The statements giving columns of ``table`` the SQLite default texts ``defaults`` (None:
    none) by a rebuild (``identity_ddl.py`` adds and drops identities so)."""
    rebuild = _Rebuild.of(table)
    _set_defaults(rebuild, defaults)
    return rebuild.sql()


def _set_defaults(rebuild: _Rebuild, defaults: dict[str, str | None]) -> None:
    for column, default in defaults.items():
        found = rebuild.column(column)
        found.written = None  # a sequence's: read from the SQLite text
        definition = found.definition
        _remove(definition, exp.DefaultColumnConstraint)
        if default is not None:
            _add(definition, f"DEFAULT {default}")


def _dropped_columns(table: TableInfo, action: exp.Expression) -> set[tuple[str, str]]:
    """(table, column) of each existing column a ``DROP COLUMN`` action drops."""
    if not isinstance(action, exp.Drop) or str(action.args.get("kind")).upper() != "COLUMN":
        return set()
    return {
        (table.name, found[1].name)
        for item in action.args.get("tables") or []
        if (found := table.column(item.name)) is not None
    }


def _sequence_dependents(
    schema: Schema, dropped: Collection[tuple[str, str]]
) -> list[tuple[tuple[str, str], str]]:
    """Each column (table, column) whose default draws from a sequence one of the ``dropped``
    columns owns, with that sequence (the dropped columns themselves included)."""
    owned = {name for key in dropped for name in schema.owned_sequences(*key)}
    return [
        (user, sequence)
        for sequence, users in schema.sequence_users.items()
        if sequence in owned
        for user in users
    ]


def _cascaded_defaults(
    schema: Schema, table: TableInfo, actions: list[exp.Expression]
) -> list[tuple[str, str]]:
    """The columns (table, column) whose defaults draw from a sequence a dropped column owns,
    other than the dropped columns: 2BP01 unless every such DROP COLUMN says CASCADE (then
    the defaults go too, as PostgreSQL drops them)."""
    found: list[tuple[str, str]] = []
    for action in actions:
        dropped = _dropped_columns(table, action)
        dependents = [
            pair for pair in _sequence_dependents(schema, dropped) if pair[0] not in dropped
        ]
        if dependents and not action.args.get("cascade"):
            raise _still_used(schema, dropped, dependents)
        found.extend(user for user, _ in dependents if user not in found)
    return found


def _sequence_upkeep(schema: Schema, table: TableInfo, action: exp.Expression) -> list[str]:
    """What the sequence table needs after ``action``: the sequences a dropped column owns
    go with it, and ``OWNED BY`` follows a renamed table or column (``sequences.py``)."""
    dropped = _dropped_columns(table, action)
    if dropped:
        owned = {name for key in dropped for name in schema.owned_sequences(*key)}
        used = {name for name, owner in schema.sequences.items() if owner in dropped}
        return drop_sql(owned, used)
    if isinstance(action, exp.RenameColumn):
        found = table.column(action.this.name)
        if found is None:
            return []
        return [rename_sql(table.name, None, found[1].name, action.args["to"].name)]
    if isinstance(action, exp.AlterRename):
        return [rename_sql(table.name, ddl.table_name(action.this))]
    return []


def _still_used(
    schema: Schema,
    dropped: set[tuple[str, str]],
    dependents: list[tuple[tuple[str, str], str]],
    whole_table: bool = False,
) -> PostgresError:
    """2BP01: a dropped column (of a dropped table, ``whole_table``) owns a sequence other
    columns' defaults draw from."""
    first = dependents[0][1]
    owner = next(key for key in sorted(dropped) if first in schema.owned_sequences(*key))
    what = f"table {owner[0]}" if whole_table else f"column {owner[1]} of table {owner[0]}"
    return PostgresError(
        f"cannot drop {what} because other objects depend on it",
        "2BP01",
        detail="\n".join(
            f"default value for column {column} of table {table} depends on sequence {sequence}"
            for (table, column), sequence in dependents
        ),
        hint="Use DROP ... CASCADE to drop the dependent objects too.",
    )


def _cascade_notices(views: list[str], defaults: list[tuple[str, str]]) -> tuple[Notice, ...]:
    """PostgreSQL's NOTICE naming what a ``DROP ... CASCADE`` dropped besides its target."""
    lines = [f"drop cascades to view {view}" for view in views] + [
        f"drop cascades to default value for column {column} of table {table}"
        for table, column in defaults
    ]
    if not lines:
        return ()
    if len(lines) == 1:
        return ((lines[0], None),)
    return ((f"drop cascades to {len(lines)} other objects", "\n".join(lines)),)


def _without_defaults(schema: Schema, defaults: list[tuple[str, str]], table: str) -> list[str]:
    """The statements dropping the defaults of other tables' columns (``defaults``)."""
    statements = []
    for name in dict.fromkeys(other for other, _ in defaults if other != table):
        rebuild = _Rebuild.of(schema.tables[name])
        for other, column in defaults:
            if other == name:
                _remove(rebuild.column(column).definition, exp.DefaultColumnConstraint)
        statements.extend(rebuild.sql())
    return statements


def drop_table_defaults(schema: Schema, node: exp.Drop, names: list[str]) -> Altered:
    """What ``DROP TABLE`` (``node``) of tables ``names`` does first to the defaults of other
    tables' columns drawing from a sequence a dropped table owns: 2BP01 unless ``CASCADE``,
    which drops those defaults too (PostgreSQL's NOTICE)."""
    folded = {name.lower() for name in names}
    dropped = {
        (table.name, column.name)
        for name in names
        if (table := schema.table(name)) is not None
        for column in table.columns
    }
    dependents = [
        pair for pair in _sequence_dependents(schema, dropped) if pair[0][0].lower() not in folded
    ]
    if not dependents:
        return Altered([])
    if not node.args.get("cascade"):
        raise _still_used(schema, dropped, dependents, whole_table=True)
    defaults = list(dict.fromkeys(user for user, _ in dependents))
    return Altered(_without_defaults(schema, defaults, ""), _cascade_notices([], defaults))


@dataclass(frozen=True)
class Altered:
    """What an ALTER TABLE runs, and the notices PostgreSQL sends for it."""

    statements: list[str]
    notices: tuple[Notice, ...] = ()


def skipped(table: str) -> Altered:
    """``ALTER TABLE IF EXISTS`` of a table that does not exist: nothing, and a NOTICE."""
    return Altered([], ((f'relation "{table}" does not exist, skipping', None),))


def alter_table(
    node: exp.Alter,
    schema: Schema,
    identities: list[ddl.IdentityOptions] | None = None,
    defaults: dict[str, str | None] | None = None,
) -> Altered:
    """The SQLite statements of an ALTER TABLE (module docstring); ``identities``: the
    options of the identity columns it adds (``ddl.identity_options``); ``defaults``: the
    SQLite default texts its identity actions give columns (``identity_ddl.py``), set after
    its other actions."""
    name = ddl.table_name(node.this)
    actions = list(node.args.get("actions") or [])
    table = schema.table(name)
    if table is None:
        if node.args.get("exists"):
            return skipped(name)
        raise PostgresError(f'relation "{name}" does not exist', "42P01")
    cascaded = _cascaded_defaults(schema, table, actions)
    views = [
        view
        for action in actions
        if isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN"
        for view in _dependent_views(schema, name, action)
    ]
    notices = _skipped_columns(table, actions) + _cascade_notices(views, cascaded)
    dropped_views = [f"DROP VIEW IF EXISTS {ddl.quote(view)}" for view in views]
    upkeep = [
        statement for action in actions for statement in _sequence_upkeep(schema, table, action)
    ]
    elsewhere = _without_defaults(schema, cascaded, table.name)
    own = [column for other, column in cascaded if other == table.name]
    if not own and not defaults and not any(_needs_rebuild(action) for action in actions):
        in_place = [statement for action in actions for statement in _skip_existing(table, action)]
        return Altered(dropped_views + elsewhere + in_place + upkeep, notices)
    rebuild = _Rebuild.of(table)
    for column in own:
        _remove(rebuild.column(column).definition, exp.DefaultColumnConstraint)
    sequences: list[str] = []
    missing: list[Notice] = []
    for action in actions:
        if isinstance(action, exp.AlterColumn):
            sequences.extend(_alter_column(rebuild, action, schema))
        elif isinstance(action, exp.AddConstraint):
            _add_constraint(rebuild, action)
        elif isinstance(action, exp.ColumnDef):
            sequences.extend(_add_column(rebuild, action, identities or []))
        elif isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN":
            _drop_column(rebuild, action)
        elif isinstance(action, exp.Drop):
            missing.extend(_drop_constraint(rebuild, action))
        elif isinstance(action, exp.RenameColumn):
            _rename_column(rebuild, action)
        elif isinstance(action, exp.AlterRename):
            rebuild.name = ddl.table_name(action.this)
        else:
            raise PostgresError(
                f"ALTER TABLE … {action.sql(dialect='postgres')} is not supported by the SQLite "
                "backend",
                "0A000",
            )
    _set_defaults(rebuild, defaults or {})
    statements = dropped_views + elsewhere + sequences + rebuild.sql() + upkeep
    return Altered(statements, notices + tuple(missing))


def _skipped_columns(table: TableInfo, actions: list[exp.Expression]) -> tuple[Notice, ...]:
    """PostgreSQL's NOTICEs for ``ADD COLUMN IF NOT EXISTS`` of a column ``table`` has and
    ``DROP COLUMN IF EXISTS`` of one it lacks (the actions themselves do nothing)."""
    notices: list[Notice] = []
    for action in actions:
        if not action.args.get("exists"):
            continue
        if isinstance(action, exp.ColumnDef) and table.column(action.name) is not None:
            what = "already exists"
            names = [action.name]
        elif isinstance(action, exp.Drop) and str(action.args.get("kind")).upper() == "COLUMN":
            what = "does not exist"
            names = [
                item.name
                for item in action.args.get("tables") or []
                if table.column(item.name) is None
            ]
        else:
            continue
        notices.extend(
            (f'column "{name}" of relation "{table.name}" {what}, skipping', None) for name in names
        )
    return tuple(notices)


def _skip_existing(table: TableInfo, action: exp.Expression) -> list[str]:
    """In-place statements, leaving out ADD COLUMN IF NOT EXISTS of a column that exists and
    DROP COLUMN IF EXISTS of one that does not."""
    if isinstance(action, exp.ColumnDef) and action.args.get("exists"):
        if table.column(action.name) is not None:
            return []
    if isinstance(action, exp.Drop) and action.args.get("exists"):
        kept = [item for item in action.args.get("tables") or [] if table.column(item.name)]
        if not kept:
            return []
        action.set("tables", kept)
    return _in_place(table, action)
