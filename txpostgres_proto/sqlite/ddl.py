"""PostgreSQL DDL as SQLite DDL: CREATE/ALTER/DROP TABLE, CREATE/DROP INDEX and VIEW, TRUNCATE.

``CREATE TABLE`` is written out column by column rather than by sqlglot's generator, because
every column must carry its PostgreSQL type as the declared type (``typemap.py``) and
PostgreSQL's column semantics have to be spelled out for SQLite:

* ``serial``/``bigserial``/``smallserial`` and identity columns become ``int4``/``int8``/
  ``int2`` ``NOT NULL DEFAULT (nextval('<table>_<column>_seq'))`` (``functions.py`` keeps the
  sequences), which is also what PostgreSQL stores for a serial column; an identity column's
  sequence is made before the table, with its options (`identity_options` reads those sqlglot
  does not), owning column and kind (``ALWAYS``/``BY DEFAULT``), which mark the column as an
  identity column (``sequences.py``, ``reflect.py``; ``identity.py`` enforces the kind);
* primary key columns are ``NOT NULL`` (SQLite allows NULL in a non-INTEGER primary key);
* ``CHECK`` constraints get PostgreSQL's default names (``<table>_<column>_check``) so that
  SQLite's "CHECK constraint failed: <name>" can be reported as PostgreSQL reports it;
* a string default for a typed column is converted now (``DEFAULT 'true'`` on a boolean is
  stored as ``1``), other defaults are translated expressions in parentheses (``now()``),
  their arithmetic typed as a query's is (``rewrite.typed_arithmetic``: ``current_date + 1``
  is a date);
* the default as the application wrote it, in PostgreSQL's syntax, is kept beside its SQLite
  translation in `DEFAULTS_TABLE` with the text SQLite reports for the translation
  (``PRAGMA table_info``), so that the catalog prints what PostgreSQL's ``pg_get_expr`` would
  (``CURRENT_DATE``, not the translation's ``pg_current_date()``); ``reflect.py`` takes a
  row only while the column's SQLite default is still the one it was written for, so a row
  gone stale (or missing: a database file written before) leaves the SQLite text to speak;
* a column of an enum or domain (``usertypes.py``) gets the type's rules as CHECK constraints
  (an enum's labels; a domain's CHECK, named like PostgreSQL's, and NOT NULL) and the domain's
  default unless it has its own.

Tables, views, indexes and sequences share PostgreSQL's one namespace (`relation_kind`):
DROP of a relation of another kind is its 42809 error, ``DROP … IF EXISTS`` of a missing one
its "…, skipping" NOTICE (`drop_checks`).

ALTER TABLE lives in ``alter.py`` (it rebuilds tables when SQLite cannot alter them in place).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from sqlglot import exp
from sqlglot.dialects.postgres import Postgres

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite.casts import cast_value
from txpostgres_proto.sqlite.dialect import parse_statement, to_sqlite
from txpostgres_proto.sqlite.reflect import DEFAULTS_TABLE, DEFAULTS_TABLE_SQL, Schema
from txpostgres_proto.sqlite.resolve import Resolver, cast_target
from txpostgres_proto.sqlite.rewrite import APPLICATION_SCHEMAS, to_sqlite_tree, typed_arithmetic
from txpostgres_proto.sqlite.sequence_ddl import column_sequence, read_changes, unqualified
from txpostgres_proto.sqlite.typemap import PgType, pg_type_named
from txpostgres_proto.sqlite.usertypes import UserTypeDef
from txpostgres_proto.types import oids

_SERIALS: Final = {
    exp.DataType.Type.SERIAL: oids.INT4,
    exp.DataType.Type.BIGSERIAL: oids.INT8,
    exp.DataType.Type.SMALLSERIAL: oids.INT2,
}
#: (sqlglot's identity option, the sequence option it sets).
_IDENTITY_OPTIONS: Final = (
    ("start", "start"),
    ("increment", "increment"),
    ("minvalue", "min_value"),
    ("maxvalue", "max_value"),
)
_SEQUENCE_TYPES: Final = {oids.INT2: "smallint", oids.INT4: "integer"}
_TEXT_LIKE: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME})
_AS_IDENTITY: Final = re.compile(r"\bAS\s+IDENTITY\b(\s*\()?", re.IGNORECASE)
_SEQUENCE_NAME: Final = re.compile(
    r'\bSEQUENCE\s+NAME\s+((?:"(?:[^"]|"")+"|[\w$]+)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[\w$]+))*)',
    re.IGNORECASE,
)
#: The sequence name (None: PostgreSQL's default) and options (as `read_changes` gives them)
#: of one identity column.
IdentityOptions = tuple[str | None, dict[str, Any]]
#: A NOTICE for the client: (message, detail).
Notice = tuple[str, str | None]
_SEQUENCE_CALLS: Final = frozenset({"nextval", "currval", "setval"})


def identity_options(sql: str) -> tuple[str, list[IdentityOptions]]:
    """``sql`` without the parenthesized sequence options of its ``GENERATED … AS IDENTITY
    (…)`` clauses (sqlglot reads only some of them), and the options of each identity column
    in order (PostgreSQL docs, "CREATE TABLE": ``sequence_options`` are those of CREATE
    SEQUENCE, plus ``SEQUENCE NAME``)."""
    kept: list[str] = []
    found: list[IdentityOptions] = []
    at = 0
    for match in _AS_IDENTITY.finditer(sql):
        if match.start() < at:
            continue
        if match.group(1) is None:
            found.append((None, {}))
            continue
        end, depth = match.end(), 1
        while end < len(sql) and depth:
            depth += {"(": 1, ")": -1}.get(sql[end], 0)
            end += 1
        inner = sql[match.end() : end - 1]
        named = _SEQUENCE_NAME.search(inner)
        sequence = unqualified(named.group(1)) if named is not None else None
        if named is not None:
            inner = inner[: named.start()] + inner[named.end() :]
        found.append((sequence, read_changes(inner, altering=False)))
        kept.append(sql[at : match.start()] + "AS IDENTITY")
        at = end
    return "".join(kept) + sql[at:], found


def quote(name: str) -> str:
    """A SQLite identifier, always quoted (names keep PostgreSQL's folding already)."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(value: object) -> str:
    """A stored value as a SQLite literal."""
    if value is None:
        return "NULL"
    if isinstance(value, bytes):
        return f"X'{value.hex()}'"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def table_name(node: exp.Expression) -> str:
    """The name of a table reference, refusing schemas other than ``public``."""
    table = node.this if isinstance(node, exp.Schema) else node
    schema = table.args.get("db")
    if schema is not None and schema.name.lower() not in APPLICATION_SCHEMAS:
        raise PostgresError(f'schema "{schema.name}" does not exist', "3F000")
    return table.name


def expression_sql(node: exp.Expression) -> str:
    """A PostgreSQL expression (CHECK, DEFAULT, index part) as SQLite text."""
    return to_sqlite(to_sqlite_tree(node.copy()))


def is_serial(kind: exp.DataType | None) -> bool:
    """Whether a column definition's type is ``serial``/``bigserial``/``smallserial``."""
    return kind is not None and kind.this in _SERIALS


def column_type(
    kind: exp.DataType | None, types: Mapping[str, UserTypeDef] | None = None
) -> tuple[PgType, bool]:
    """(PostgreSQL type, is serial) of a column definition's data type; ``types`` are the
    enums and domains it may name."""
    if kind is None:
        return PgType(oids.TEXT), False
    serial = _SERIALS.get(kind.this)
    if serial is not None:
        return PgType(serial), True
    named = kind.args.get("kind")
    if isinstance(named, exp.Dot) and named.this.name.lower() in APPLICATION_SCHEMAS:
        named = named.expression  # ``public.mood`` as pg_dump writes it
    if kind.this == exp.DataType.Type.USERDEFINED and isinstance(named, exp.Identifier):
        user_type = (types or {}).get(named.name)
        if user_type is not None:
            return user_type.storage_type, False
    spelling = kind.sql(dialect="postgres")
    found = pg_type_named(spelling)
    if found is None:
        name = spelling.lower().split("(")[0].rstrip("[]")
        raise PostgresError(f'type "{name}" does not exist', "42704")
    return found, False


def _sequence_default(node: exp.Expression) -> str | None:
    """``nextval('public.seq'::regclass)`` (pg_dump's form) as a serial column's default."""
    if not isinstance(node, exp.Anonymous) or str(node.this).lower() != "nextval":
        return None
    arguments = node.expressions
    argument = arguments[0] if len(arguments) == 1 else None
    if isinstance(argument, exp.Cast):
        argument = argument.this
    if not isinstance(argument, exp.Literal) or not argument.is_string:
        return None
    schema, _, name = argument.name.rpartition(".")
    if schema and schema.strip('"').lower() not in APPLICATION_SCHEMAS:
        return None
    return f"(nextval({sql_literal(name.strip(chr(34)))}))"


class _PgText(Postgres):
    """PostgreSQL as a default's text is written for the catalog: casts as ``x::type``, the
    form PostgreSQL prints (the catalog keeps the text of a cast it cannot read, such as one to
    an enum)."""

    class Generator(Postgres.Generator):  # type: ignore[misc, valid-type]
        def cast_sql(self, expression: exp.Cast, safe_prefix: str | None = None) -> str:
            value = self.sql(expression, "this")
            if not isinstance(expression.this, exp.Literal | exp.Column | exp.Paren | exp.Func):
                value = f"({value})"
            return f"{value}::{self.sql(expression, 'to')}"


_PG_TEXT: Final = _PgText()


def pg_default_text(node: exp.Expression) -> str:
    """A column default as PostgreSQL text for the catalog to print (``catalog/defaults.py``):
    the expression as given, its sequence names without the schema (``nextval('public.s')``
    names the sequence ``s``, printed ``nextval('s'::regclass)``)."""
    tree = node.copy()
    for call in tree.find_all(exp.Anonymous):
        if str(call.this).lower() not in _SEQUENCE_CALLS or not call.expressions:
            continue
        argument = call.expressions[0]
        literal = argument.this if isinstance(argument, exp.Cast) else argument
        if isinstance(literal, exp.Literal) and literal.is_string:
            schema, _, name = literal.name.rpartition(".")
            if schema and schema.strip('"').lower() in APPLICATION_SCHEMAS:
                literal.replace(exp.Literal.string(name))
    if _sequence_default(tree) is not None:  # as the catalog finds a column's sequence
        argument = tree.expressions[0]
        literal = argument.this if isinstance(argument, exp.Cast) else argument
        return f"nextval({literal.sql(dialect='postgres')}::regclass)"
    return tree.sql(dialect=_PG_TEXT, normalize_functions="lower")


def record_defaults_sql(
    table: str, written: Mapping[str, tuple[str | None, str | None]], *, replace: bool = True
) -> str:
    """The statement keeping the PostgreSQL text of the defaults of columns of ``table`` (just
    made or altered) with the SQLite text the table has for them (after `DEFAULTS_TABLE_SQL`).
    ``written``: by column name, (the PostgreSQL text, None for no default of its own in
    PostgreSQL; the SQLite text written, None when a rebuild wrote it anew).  ``replace``
    False keeps rows already there, and takes a column only if its SQLite default is the one
    written (``CREATE TABLE IF NOT EXISTS`` of a table that may exist already)."""
    pairs = ", ".join(
        f"({sql_literal(column)}, {sql_literal(text)}, {sql_literal(_reported(stored))})"
        for column, (text, stored) in written.items()
    )
    verb = "INSERT OR REPLACE" if replace else "INSERT OR IGNORE"
    same = "" if replace else " AND p.dflt_value = v.column3"
    return (
        f'{verb} INTO "{DEFAULTS_TABLE}" (relation, attribute, stored, expression) '
        f"SELECT {sql_literal(table)}, p.name, p.dflt_value, v.column2 "
        f"FROM pragma_table_info({sql_literal(table)}) AS p JOIN (VALUES {pairs}) AS v "
        f"ON v.column1 = p.name WHERE p.dflt_value IS NOT NULL{same}"
    )


def _reported(stored: str | None) -> str | None:
    """A column's SQLite default text as ``PRAGMA table_info`` reports it: without the
    parentheses around an expression."""
    if stored is None:
        return None
    stored = stored.strip()
    return stored[1:-1].strip() if stored.startswith("(") and stored.endswith(")") else stored


def forget_defaults_sql(tables: list[str], column: str | None = None) -> str:
    """The statement dropping the kept default texts of ``tables`` (of one ``column``), after
    `DEFAULTS_TABLE_SQL`."""
    names = ", ".join(sql_literal(name) for name in tables)
    only = f" AND attribute = {sql_literal(column)}" if column is not None else ""
    return f'DELETE FROM "{DEFAULTS_TABLE}" WHERE relation IN ({names}){only}'


def rename_defaults_sql(table: str, new: str, column: str | None = None) -> list[str]:
    """The statements making the kept default texts of ``table`` follow it to its ``new`` name,
    or those of its ``column`` to the column's ``new`` name."""
    if column is None:
        forgotten = forget_defaults_sql([new])
        change, where = f"relation = {sql_literal(new)}", f"relation = {sql_literal(table)}"
    else:
        forgotten = forget_defaults_sql([table], new)
        change = f"attribute = {sql_literal(new)}"
        where = f"relation = {sql_literal(table)} AND attribute = {sql_literal(column)}"
    updated = f'UPDATE "{DEFAULTS_TABLE}" SET {change} WHERE {where}'
    return [DEFAULTS_TABLE_SQL, forgotten, updated]


def default_sql(node: exp.Expression, pg_type: PgType) -> str:
    """A column default as SQLite text: string literals converted now, a sequence's
    ``nextval`` as a serial column has it, else an expression."""
    sequence = _sequence_default(node)
    if sequence is not None:
        return sequence
    if isinstance(node, exp.Literal) and node.is_string and pg_type.oid not in _TEXT_LIKE:
        return sql_literal(cast_value(node.name, pg_type))
    if isinstance(node, exp.Boolean) and pg_type.oid == oids.BOOL:
        return "1" if node.this else "0"
    if isinstance(node, exp.Cast) and isinstance(node.this, exp.Literal):
        return sql_literal(cast_value(node.this.name, cast_target(node.to)))
    # Typed as a query's select list is (a default names no column): ``current_date + 1``.
    select = exp.select(node.copy())
    typed_arithmetic(select, Resolver(Schema()), integers=False)
    return f"({expression_sql(select.expressions[0])})"


def _pg_expression(text: str) -> exp.Expression:
    """A PostgreSQL expression given as text (a domain's CHECK or DEFAULT)."""
    select = parse_statement(f"SELECT {text}")
    return select.expressions[0]  # type: ignore[no-any-return]


def _user_type_rules(user_type: UserTypeDef, table: str, column: str) -> list[str]:
    """CHECK constraints enforcing an enum's labels or a domain's rules on a column."""
    if user_type.kind == "e":
        labels = ", ".join(sql_literal(label) for label in user_type.labels)
        label = f"{table}_{column}_check"
        return [f"CONSTRAINT {quote(label)} CHECK ({quote(column)} IN ({labels}))"]
    rules = []
    if user_type.check is not None:
        check = _pg_expression(user_type.check).transform(
            lambda node: (
                exp.column(column, quoted=True)
                if isinstance(node, exp.Column) and not node.table and node.name.lower() == "value"
                else node
            )
        )
        label = user_type.check_name or f"{user_type.name}_check"
        rules.append(f"CONSTRAINT {quote(label)} CHECK ({expression_sql(check)})")
    if not user_type.nullable:
        label = f"{user_type.name}_not_null"
        rules.append(f"CONSTRAINT {quote(label)} CHECK ({quote(column)} IS NOT NULL)")
    return rules


def _reference_sql(reference: exp.Reference) -> str:
    target = reference.this
    table = table_name(target)
    columns = ""
    if isinstance(target, exp.Schema) and target.expressions:
        columns = " (" + ", ".join(quote(column.name) for column in target.expressions) + ")"
    options = " ".join(str(option).upper() for option in reference.args.get("options") or [])
    return f"REFERENCES {quote(table)}{columns}" + (f" {options}" if options else "")


class TableWriter:
    """Writes one CREATE TABLE (or ADD COLUMN) column by column."""

    def __init__(
        self,
        table: str,
        primary: set[str],
        types: Mapping[str, UserTypeDef] | None = None,
        identity_options: list[IdentityOptions] | None = None,
    ) -> None:
        self.table = table
        self.primary = primary
        self.types = types or {}
        #: The options of the identity columns to write, in order (`identity_options`):
        #: taken from the list as the columns are written (one list may serve several).
        self.identity_options = identity_options or []
        #: (sequence, options as `column_sequence` takes them) of the identity columns written.
        self.identities: list[tuple[str, dict[str, Any]]] = []
        #: The defaults written, by column: (PostgreSQL text, None for a domain's default;
        #: SQLite text), as `record_defaults_sql` takes them (not those of serial and identity
        #: columns, which ``reflect.py`` reads from the SQLite text).
        self.written: dict[str, tuple[str | None, str | None]] = {}

    def column(self, definition: exp.ColumnDef) -> str:
        name = definition.name
        pg_type, serial = column_type(definition.args.get("kind"), self.types)
        not_null = serial or name.lower() in self.primary
        default = f"(nextval('{self.table}_{name}_seq'))" if serial else None
        written: tuple[str | None] | None = None  # the default's PostgreSQL text, if kept
        extras: list[str] = []
        for constraint in definition.constraints:
            kind = constraint.args.get("kind")
            given = constraint.name or None
            if isinstance(kind, exp.NotNullColumnConstraint):
                not_null = not_null or not kind.args.get("allow_null")
            elif isinstance(kind, exp.PrimaryKeyColumnConstraint):
                not_null = True
                extras.append("PRIMARY KEY")
            elif isinstance(kind, exp.UniqueColumnConstraint):
                extras.append("UNIQUE")
            elif isinstance(kind, exp.DefaultColumnConstraint):
                default = default_sql(kind.this, pg_type)
                written = (pg_default_text(kind.this),)
            elif isinstance(kind, exp.GeneratedAsIdentityColumnConstraint):
                not_null = True
                sequence = self._identity(name, kind, pg_type)
                default = f"(nextval({sql_literal(sequence)}))"
                written = None
            elif isinstance(kind, exp.ComputedColumnConstraint):
                extras.append(f"GENERATED ALWAYS AS ({expression_sql(kind.this)}) STORED")
            elif isinstance(kind, exp.CheckColumnConstraint):
                label = given or f"{self.table}_{name}_check"
                extras.append(f"CONSTRAINT {quote(label)} CHECK ({expression_sql(kind.this)})")
            elif isinstance(kind, exp.Reference):
                extras.append(_reference_sql(kind))
            elif isinstance(kind, exp.CollateColumnConstraint):
                continue
            else:
                raise PostgresError(
                    f"column option {constraint.sql(dialect='postgres')} is not supported by "
                    "the SQLite backend",
                    "0A000",
                )
        if pg_type.user_type is not None:
            user_type = self.types[pg_type.user_type]
            extras.extend(_user_type_rules(user_type, self.table, name))
            if default is None and user_type.default is not None:
                default = default_sql(_pg_expression(user_type.default), pg_type)
                written = (None,)  # the domain's: the column has none of its own
        parts = [quote(name), pg_type.declaration()]
        if not_null:
            parts.append("NOT NULL")
        if default is not None:
            parts.append(f"DEFAULT {default}")
            if written is not None:
                self.written[name] = (written[0], default)
        return " ".join(parts + extras)

    def _identity(
        self, column: str, identity: exp.GeneratedAsIdentityColumnConstraint, pg_type: PgType
    ) -> str:
        """Note the sequence an identity column needs (its options: ``AS IDENTITY (START
        …)``, given in the constraint or, as sqlglot does not read them all, in the next of
        ``identity_options``); its name."""
        changes: dict[str, Any] = {
            field: value.sql(dialect="postgres").replace(" ", "")
            for option, field in _IDENTITY_OPTIONS
            if (value := identity.args.get(option)) is not None
        }
        if identity.args.get("cycle") is not None:
            changes["cycle"] = bool(identity.args["cycle"])
        sequence = f"{self.table}_{column}_seq"
        if self.identity_options:
            named, given = self.identity_options.pop(0)
            changes.update(given)
            sequence = named or sequence
        changes.setdefault("data_type", _SEQUENCE_TYPES.get(pg_type.oid, "bigint"))
        changes.update(
            owned_by=self.table, owned_column=column, identity="a" if identity.this else "d"
        )
        self.identities.append((sequence, changes))
        return sequence

    def constraint(self, node: exp.Expression, given: str | None = None) -> str:
        prefix = f"CONSTRAINT {quote(given)} " if given else ""
        if isinstance(node, exp.Constraint):
            inner = node.expressions[0]
            return self.constraint(inner, node.name)
        if isinstance(node, exp.PrimaryKey):
            return prefix + "PRIMARY KEY (" + _names(node.expressions) + ")"
        if isinstance(node, exp.UniqueColumnConstraint):
            schema = node.this
            columns = schema.expressions if isinstance(schema, exp.Schema) else []
            return prefix + "UNIQUE (" + _names(columns) + ")"
        if isinstance(node, exp.ForeignKey):
            reference = _reference_sql(node.args["reference"])
            return prefix + f"FOREIGN KEY ({_names(node.expressions)}) {reference}"
        if isinstance(node, exp.CheckColumnConstraint):
            first = next(iter(node.this.find_all(exp.Column)), None)
            label = given or (
                f"{self.table}_{first.name}_check" if first is not None else f"{self.table}_check"
            )
            return f"CONSTRAINT {quote(label)} CHECK ({expression_sql(node.this)})"
        raise PostgresError(
            f"table constraint {node.sql(dialect='postgres')} is not supported by the SQLite "
            "backend",
            "0A000",
        )


def _names(nodes: list[exp.Expression]) -> str:
    return ", ".join(quote(node.name) for node in nodes)


def _primary_columns(elements: list[exp.Expression]) -> set[str]:
    primary: set[str] = set()
    for element in elements:
        node = element.expressions[0] if isinstance(element, exp.Constraint) else element
        if isinstance(node, exp.PrimaryKey):
            primary.update(column.name.lower() for column in node.expressions)
    return primary


def create_table(
    create: exp.Create,
    types: Mapping[str, UserTypeDef] | None = None,
    identities: list[IdentityOptions] | None = None,
) -> list[str]:
    """``CREATE TABLE`` (without AS) as SQLite statements; ``types`` are the enums and domains
    its columns may have, ``identities`` the options of its identity columns
    (`identity_options`)."""
    schema = create.this
    if not isinstance(schema, exp.Schema):
        raise PostgresError('syntax error at or near ";"', "42601")
    name = table_name(schema)
    elements = list(schema.expressions)
    writer = TableWriter(name, _primary_columns(elements), types, identities)
    parts = [
        writer.column(element) if isinstance(element, exp.ColumnDef) else writer.constraint(element)
        for element in elements
    ]
    exists = " IF NOT EXISTS" if create.args.get("exists") else ""
    # The sequences of identity columns, made first: only with the table.
    sequences = [
        column_sequence(sequence, options, unless_table=name)
        for sequence, options in writer.identities
    ]
    created = f"CREATE TABLE{exists} {quote(name)} ({', '.join(parts)})"
    if not writer.written:
        return [*sequences, created]
    kept = [DEFAULTS_TABLE_SQL, record_defaults_sql(name, writer.written, replace=not exists)]
    if not exists:  # rows left by a table of the same name, made by an older version
        kept.insert(1, forget_defaults_sql([name]))
    return [*sequences, created, *kept]


def create_table_as(name: str, columns: list[tuple[str, PgType]], select_sql: str) -> list[str]:
    """``CREATE TABLE … AS SELECT``: a typed table, then the rows."""
    definitions = ", ".join(
        f"{quote(column)} {pg_type.declaration()}" for column, pg_type in columns
    )
    return [
        f"CREATE TABLE {quote(name)} ({definitions})",
        f"INSERT INTO {quote(name)} {select_sql}",
    ]


def create_index(create: exp.Create) -> list[str]:
    index = create.this
    table = table_name(index.args["table"])
    params = index.args.get("params")
    parts = list(params.args.get("columns") or []) if params is not None else []
    rendered = []
    labels = []
    for part in parts:
        ordered = part if isinstance(part, exp.Ordered) else None
        expression = part.this if ordered is not None else part
        text = expression_sql(expression)
        if ordered is not None and ordered.args.get("desc"):
            text += " DESC"
        rendered.append(text)
        labels.append(expression.name if isinstance(expression, exp.Column) else "expr")
    name = index.name or f"{table}_{'_'.join(labels)}_idx"
    unique = "UNIQUE " if create.args.get("unique") else ""
    exists = "IF NOT EXISTS " if create.args.get("exists") else ""
    where = params.args.get("where") if params is not None else None
    condition = f" WHERE {expression_sql(where.this)}" if where is not None else ""
    columns = ", ".join(rendered)
    return [f"CREATE {unique}INDEX {exists}{quote(name)} ON {quote(table)} ({columns}){condition}"]


def create_view(create: exp.Create, select_sql: str) -> list[str]:
    name = table_name(create.this)
    statements = []
    if create.args.get("replace"):
        statements.append(f"DROP VIEW IF EXISTS {quote(name)}")
    exists = "IF NOT EXISTS " if create.args.get("exists") else ""
    statements.append(f"CREATE VIEW {exists}{quote(name)} AS {select_sql}")
    return statements


def drop(node: exp.Drop) -> tuple[list[str], list[str]]:
    """(SQLite statements, names dropped) for DROP TABLE/VIEW/INDEX."""
    kind = str(node.args.get("kind") or "").upper()
    if kind not in ("TABLE", "VIEW", "INDEX"):
        raise PostgresError(f"DROP {kind} is not supported by the SQLite backend", "0A000")
    exists = " IF EXISTS" if node.args.get("exists") else ""
    names = [table_name(item) for item in node.args.get("tables") or [node.this]]
    statements = [f"DROP {kind}{exists} {quote(name)}" for name in names]
    if kind == "TABLE":
        statements.extend([DEFAULTS_TABLE_SQL, forget_defaults_sql(names)])
    return statements, names


def relation_kind(schema: Schema, name: str) -> str | None:
    """What the relation named ``name`` is (``table``, ``view``, ``index``, ``sequence``; one
    namespace in PostgreSQL: ``pg_class``), None when there is none."""
    table = schema.table(name)
    if table is not None:
        return "view" if table.kind == "v" else "table"
    if name in schema.stored_sequences:
        return "sequence"
    if any(index.name == name for table in schema.tables.values() for index in table.indexes):
        return "index"
    return None


def drop_checks(schema: Schema, node: exp.Drop, names: list[str]) -> tuple[Notice, ...]:
    """PostgreSQL's "…, skipping" NOTICEs for the relations ``names`` of ``DROP
    TABLE/VIEW/INDEX IF EXISTS`` (``node``) does not find; its errors for a missing one
    without ``IF EXISTS`` and for one of another kind."""
    kind = str(node.args.get("kind")).lower()
    notices: tuple[Notice, ...] = ()
    for name in names:
        found = relation_kind(schema, name)
        if found is None:
            if not node.args.get("exists"):
                code = "42704" if kind == "index" else "42P01"
                raise PostgresError(f'{kind} "{name}" does not exist', code)
            notices += ((f'{kind} "{name}" does not exist, skipping', None),)
        elif found != kind:
            raise PostgresError(
                f'"{name}" is not {_article(kind)} {kind}',
                "42809",
                hint=f"Use DROP {found.upper()} to remove {_article(found)} {found}.",
            )
    return notices


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def truncate(node: exp.TruncateTable) -> tuple[list[str], list[str]]:
    """(SQLite statements, tables) for TRUNCATE."""
    names = [table_name(item) for item in node.expressions]
    return [f"DELETE FROM {quote(name)}" for name in names], names
