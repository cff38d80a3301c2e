"""One PostgreSQL statement → a `Plan`: the SQLite statements to run and what the client is told.

`translate` is the single entry point the backend calls (its results are cached per SQL text,
or per shape of text, parameter types and schema version by ``templates.TranslationCache``).  It

1. recognises the statements that are not queries by their leading keywords: transaction
   control (handed to ``QueryBackend.transaction``), utility statements accepted as no-ops
   (``SET``, ``COMMENT``, ``GRANT`` … — the protocol keeps settings itself), ``VACUUM``,
   ``ANALYZE``, ``CHECKPOINT``, ``EXPLAIN``, and the ones answered with 0A000 for now
   (``COPY``, ``LISTEN``, ``NOTIFY``, ``UNLISTEN``);
2. parses the rest with sqlglot (``dialect.py``) and folds unquoted identifiers to lower case
   as PostgreSQL does;
3. types parameters and result columns (``resolve.py``), before any rewriting;
4. coerces string literals that meet typed columns (``flag = 't'``, ``ts > '2024-01-02'``,
   ``VALUES ('{a,b}')`` into a ``text[]``) to the column's storage form through ``pg_cast``,
   and sends arithmetic on dates, timestamps and intervals (stored as text) to the functions
   that know them (``rewrite.typed_arithmetic``: ``ts + interval``, ``date + 7`` …);
5. names every result column with PostgreSQL's name (an explicit alias in the SQLite text,
   so ``cursor.description`` agrees with RowDescription);
6. rewrites the expressions (``rewrite.py``) or the DDL (``ddl.py``; enums and domains:
   ``usertypes.py``) and writes SQLite text.

DDL answers as PostgreSQL's does where it knows the schema: tables, views, indexes and
sequences share one namespace (``pg_class``), so a name taken by another kind is PostgreSQL's
error (42P07, 42809 "… is not a table"); ``CREATE … IF NOT EXISTS`` of a taken name and
``DROP … IF EXISTS`` of a missing one send its "…, skipping" NOTICE, as do the no-op forms of
``CREATE SCHEMA IF NOT EXISTS public`` and ``DROP SCHEMA IF EXISTS`` (other schemas are not
supported).  Such a plan depends on the schema, as every plan does: plans are cached per
schema version.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from sqlglot import exp
from sqlglot.optimizer.normalize_identifiers import normalize_identifiers

from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sqlite import alter, ddl, identity, usertypes
from txpostgres_proto.sqlite.dialect import READ, parse_statement, to_sqlite
from txpostgres_proto.sqlite.identity_ddl import identity_statement
from txpostgres_proto.sqlite.reflect import Schema
from txpostgres_proto.sqlite.resolve import (
    UNTYPED,
    Resolver,
    Scope,
    Typed,
    cast_target,
    function_name,
    own_nodes,
    result_name,
)
from txpostgres_proto.sqlite.rewrite import (
    cast_to,
    is_local_function,
    to_sqlite_tree,
    typed_arithmetic,
)
from txpostgres_proto.sqlite.sequence_ddl import sequence_statement
from txpostgres_proto.sqlite.sequence_state import sequence_relations
from txpostgres_proto.sqlite.typemap import TEXT, PgType
from txpostgres_proto.types import oids

_TEXT_LIKE: Final = frozenset({oids.TEXT, oids.VARCHAR, oids.BPCHAR, oids.NAME, oids.UNKNOWN})
_COMPARISONS: Final = (exp.EQ, exp.NEQ, exp.GT, exp.GTE, exp.LT, exp.LTE)
_NOT_YET: Final = {
    "COPY": "COPY",
    "LISTEN": "LISTEN",
    "NOTIFY": "NOTIFY",
    "UNLISTEN": "UNLISTEN",
}
#: Statements accepted and ignored: the protocol tracks settings, and a single-user embedded
#: database has no privileges, comments or explicit locks to keep.
_NO_OPS: Final = {
    "SET": "SET",
    "RESET": "RESET",
    "DISCARD": "DISCARD ALL",
    "DEALLOCATE": "DEALLOCATE",
    "COMMENT": "COMMENT",
    "GRANT": "GRANT",
    "REVOKE": "REVOKE",
    "LOCK": "LOCK TABLE",
}
_KNOWN_EXTENSIONS: Final = frozenset({"uuid-ossp", "pgcrypto", "plpgsql"})
_TYPE_STATEMENTS: Final = (
    ["CREATE", "TYPE"],
    ["CREATE", "DOMAIN"],
    ["DROP", "TYPE"],
    ["DROP", "DOMAIN"],
)
_WORDS: Final = re.compile(r"[A-Za-z_]+")
_IDENT: Final = r'(?:"(?:[^"]|"")+"|[\w$]+)'
_OWNER_TO: Final = re.compile(
    rf"^ALTER\s+(?:[A-Z]+\s+){{1,2}}(?:IF\s+EXISTS\s+)?(?:ONLY\s+)?{_IDENT}(?:\s*\.\s*{_IDENT})?"
    rf"(?:\s*\([^)]*\))?\s+OWNER\s+TO\s+{_IDENT}\s*$",
    re.IGNORECASE,
)
_SAVEPOINT_NAME: Final = re.compile(r'("(?:[^"]|"")+"|[A-Za-z_][\w$]*)\s*$')
#: ``CREATE VIEW IF NOT EXISTS``, which PostgreSQL's grammar lacks (a materialized view has it):
#: the word its syntax error names.
_VIEW_IF_NOT: Final = re.compile(
    r"^CREATE\s+(?:OR\s+REPLACE\s+)?(?:(?:TEMP|TEMPORARY|RECURSIVE)\s+)*VIEW\s+IF\s+(NOT)\b",
    re.IGNORECASE,
)
#: The schemas of a PostgreSQL database from the start, the only ones here (one SQLite file).
_SCHEMAS: Final = frozenset({"public", "pg_catalog", "information_schema", "pg_toast"})
_EXPLAIN: Final = re.compile(
    r"^EXPLAIN(\s*\([^)]*\)|(\s+(ANALY[SZ]E|VERBOSE|COSTS|BUFFERS|TIMING|SUMMARY))*)\s+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class OutputColumn:
    """A result column: PostgreSQL name and type, and the table column it comes from."""

    name: str
    pg_type: PgType
    table: str | None = None
    attnum: int = 0


@dataclass(frozen=True, slots=True)
class Plan:
    """What running one statement means.

    ``statements`` run in order on the session's connection; the last one produces the result
    rows when ``columns`` is not None.  ``command`` is the command tag (``INSERT`` gets
    ``0 n`` appended, ``UPDATE``/``DELETE``/``SELECT`` get ``n``).  ``transaction`` is set for
    transaction control, ``(command, savepoint)`` as ``QueryBackend.transaction`` takes them.
    """

    command: str
    statements: tuple[str, ...] = ()
    columns: tuple[OutputColumn, ...] | None = None
    param_types: tuple[PgType, ...] = ()
    changes_schema: bool = False
    tables: tuple[str, ...] = ()
    restart_sequences: bool = False
    transaction: tuple[str, str | None] | None = None
    explain: bool = False
    #: For a single-row INSERT: (column, parameter number or 0, literal value) of each value
    #: given, so that a unique violation can say which key already exists.
    inserted: tuple[tuple[str, int, object], ...] = ()
    #: The notices (message, detail) to send the client once the statements ran.
    notices: tuple[tuple[str, str | None], ...] = ()


def _words(sql: str, count: int) -> list[str]:
    return [word.upper() for word in _WORDS.findall(sql[:200])[:count]]


def _savepoint(sql: str) -> str:
    match = _SAVEPOINT_NAME.search(sql)
    if match is None:
        raise PostgresError("syntax error at end of input", "42601")
    name = match.group(1)
    return name[1:-1].replace('""', '"') if name.startswith('"') else name.lower()


def _transaction(sql: str, words: list[str]) -> Plan | None:
    first = words[0] if words else ""
    if first in ("BEGIN", "START"):
        return Plan("BEGIN", transaction=("BEGIN", None))
    if first in ("COMMIT", "END"):
        if len(words) > 1 and words[1] == "PREPARED":
            raise PostgresError("prepared transactions are not supported", "0A000")
        return Plan("COMMIT", transaction=("COMMIT", None))
    if first in ("ROLLBACK", "ABORT"):
        if "TO" in words:
            return Plan("ROLLBACK", transaction=("ROLLBACK TO", _savepoint(sql)))
        if len(words) > 1 and words[1] == "PREPARED":
            raise PostgresError("prepared transactions are not supported", "0A000")
        return Plan("ROLLBACK", transaction=("ROLLBACK", None))
    if first == "SAVEPOINT":
        return Plan("SAVEPOINT", transaction=("SAVEPOINT", _savepoint(sql)))
    if first == "RELEASE":
        return Plan("RELEASE", transaction=("RELEASE", _savepoint(sql)))
    if first == "PREPARE" and len(words) > 1 and words[1] == "TRANSACTION":
        raise PostgresError("prepared transactions are not supported", "0A000")
    return None


def _utility(sql: str, words: list[str]) -> Plan | None:
    first = words[0] if words else ""
    if first in _NOT_YET:
        raise PostgresError(
            f"{_NOT_YET[first]} is not supported by the embedded SQLite backend yet", "0A000"
        )
    if first in _NO_OPS:
        return Plan(_NO_OPS[first])
    if first == "ALTER" and len(words) > 1 and _OWNER_TO.search(sql):
        return Plan(f"ALTER {words[1]}")  # one user owns everything here
    if words[:2] == ["CREATE", "EXTENSION"]:
        names = re.findall(r'"([^"]+)"|(\w[\w-]*)\s*;?\s*$', sql)
        name = next((quoted or bare for quoted, bare in names), "")
        if name.lower() not in _KNOWN_EXTENSIONS:
            raise PostgresError(f'extension "{name}" is not available', "0A000")
        return Plan("CREATE EXTENSION")
    if first == "VACUUM":
        return Plan("VACUUM", ("VACUUM",))
    if first == "ANALYZE" or first == "ANALYSE":
        return Plan("ANALYZE", ("ANALYZE",))
    if first == "CHECKPOINT":
        return Plan("CHECKPOINT", ("PRAGMA wal_checkpoint(PASSIVE)",))
    return None


# --- typing and naming -------------------------------------------------------------------------


def _is_string(node: exp.Expression) -> bool:
    return isinstance(node, exp.Literal) and node.is_string


def _coercible(typed: Typed) -> bool:
    return typed is not UNTYPED and typed.pg_type.oid not in _TEXT_LIKE


def _coerce_pair(
    literal: exp.Expression,
    other: exp.Expression,
    scope: Scope,
    resolver: Resolver,
    edits: list[tuple[exp.Expression, PgType]],
) -> None:
    if _is_string(literal):
        typed = resolver.type_of(other, scope)
        if _coercible(typed):
            edits.append((literal, typed.pg_type))


def _coerce_literals(tree: exp.Expression, resolver: Resolver) -> None:
    """Wrap string literals meeting typed columns in casts (module docstring, step 4)."""
    edits: list[tuple[exp.Expression, PgType]] = []
    for query, scope in resolver.scopes(tree):
        for node in own_nodes(query):
            if isinstance(node, _COMPARISONS):
                _coerce_pair(node.expression, node.this, scope, resolver, edits)
                _coerce_pair(node.this, node.expression, scope, resolver, edits)
            elif isinstance(node, exp.In):
                for value in node.expressions:
                    _coerce_pair(value, node.this, scope, resolver, edits)
            elif isinstance(node, exp.Between):
                for bound in ("low", "high"):
                    _coerce_pair(node.args[bound], node.this, scope, resolver, edits)
        assignments = list(query.expressions) if isinstance(query, exp.Update) else []
        conflict = query.args.get("conflict")
        if conflict is not None:
            assignments.extend(conflict.expressions)
        for assignment in assignments:
            if isinstance(assignment, exp.EQ):
                _coerce_pair(assignment.expression, assignment.this, scope, resolver, edits)
        if isinstance(query, exp.Insert):
            for value, pg_type in resolver.insert_targets(query):
                if _is_string(value) and pg_type.oid not in _TEXT_LIKE:
                    edits.append((value, pg_type))
    for literal, pg_type in edits:
        literal.replace(cast_to(literal.copy(), pg_type))


def _name_projections(tree: exp.Expression) -> None:
    """Alias every result column with PostgreSQL's name (module docstring, step 5)."""
    lists: list[list[exp.Expression]] = [select.expressions for select in tree.find_all(exp.Select)]
    returning = tree.args.get("returning")
    if returning is not None:
        lists.append(returning.expressions)
    for projections in lists:
        for projection in projections:
            if isinstance(projection, exp.Alias | exp.Star):
                continue
            if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                continue
            name = result_name(projection)
            projection.replace(exp.alias_(projection.copy(), name, quoted=True))


def _columns(found: list[tuple[str, Typed]]) -> tuple[OutputColumn, ...]:
    return tuple(
        OutputColumn(name, typed.pg_type, typed.table, typed.attnum) for name, typed in found
    )


def _param_types(
    tree: exp.Expression, resolver: Resolver, given: Sequence[int]
) -> tuple[PgType, ...]:
    numbers = [int(node.name) for node in tree.find_all(exp.Parameter) if node.name.isdigit()]
    count = max([len(given), *numbers]) if numbers or given else 0
    return tuple(resolver.params.get(number, TEXT) for number in range(1, count + 1))


# --- statements --------------------------------------------------------------------------------


def _delete_using(delete: exp.Delete) -> None:
    """``DELETE FROM t USING u WHERE c`` → ``DELETE FROM t WHERE EXISTS (SELECT … WHERE c)``."""
    using = delete.args.get("using")
    if not using:
        return
    where = delete.args.get("where")
    inner = exp.select("1").from_(using[0].copy())
    for extra in using[1:]:
        inner = inner.join(extra.copy())
    if where is not None:
        inner = inner.where(where.this.copy())
    delete.set("using", None)
    delete.set("where", exp.Where(this=exp.Exists(this=inner)))


def _conflict_target(insert: exp.Insert, schema: Schema) -> None:
    conflict = insert.args.get("conflict")
    if conflict is None:
        return
    keys = conflict.args.get("conflict_keys") or []
    conflict.set(
        "conflict_keys", [key.this if isinstance(key, exp.Ordered) else key for key in keys]
    )
    constraint = conflict.args.get("constraint")
    if constraint is None:
        return
    table = schema.table(
        ddl.table_name(insert.this.this if isinstance(insert.this, exp.Schema) else insert.this)
    )
    found = None
    if table is not None:
        found = next((index for index in table.indexes if index.name == constraint.name), None)
    if found is None or None in found.columns:
        raise PostgresError(f'constraint "{constraint.name}" for table does not exist', "42704")
    conflict.set("constraint", None)
    conflict.set("conflict_keys", [exp.column(column) for column in found.columns if column])


def _inserted(insert: exp.Insert, resolver: Resolver) -> tuple[tuple[str, int, object], ...]:
    """The values a single-row INSERT gives its columns (a parameter's number, or a literal),
    for the key of a unique violation's detail; none for ``ON CONFLICT DO UPDATE``, whose
    violating row may be the one it updated (``violations.py`` finds which)."""
    source = insert.expression
    if not isinstance(source, exp.Values) or len(source.expressions) != 1:
        return ()
    conflict = insert.args.get("conflict")
    if conflict is not None and conflict.args.get("expressions"):
        return ()
    values: list[tuple[str, int, object]] = []
    for column, value in resolver.insert_columns(insert):
        if isinstance(value, exp.Parameter) and value.name.isdigit():
            values.append((column, int(value.name), None))
        elif isinstance(value, exp.Literal):
            literal: object = value.name if value.is_string else value.to_py()
            values.append((column, 0, literal))
    return tuple(values)


def _query_plan(
    tree: exp.Expression, schema: Schema, given: Sequence[int], overriding: str | None = None
) -> Plan:
    sequence_relations(tree, schema)
    if isinstance(tree, exp.Insert):
        identity.apply_insert_rules(tree, schema, overriding)
    elif isinstance(tree, exp.Update):
        identity.check_update(tree, schema)
    resolver = Resolver(schema)
    resolver.params.update(
        {number: PgType(oid) for number, oid in enumerate(given, 1) if oid and oid != oids.UNKNOWN}
    )
    resolver.infer_parameters(tree)
    columns: tuple[OutputColumn, ...] | None = None
    tables: tuple[str, ...] = ()
    inserted: tuple[tuple[str, int, object], ...] = ()
    command = "SELECT"
    if isinstance(tree, exp.Insert | exp.Update | exp.Delete):
        command = tree.key.upper()
        target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
        tables = (ddl.table_name(target),)
        returning = tree.args.get("returning")
        if returning is not None:
            scope = resolver.scope_of(tree, None)
            columns = _columns(resolver.select_list(returning.expressions, scope))
        if isinstance(tree, exp.Insert):
            _conflict_target(tree, schema)
            inserted = _inserted(tree, resolver)
        if isinstance(tree, exp.Delete):
            _delete_using(tree)
    else:
        columns = _columns(resolver.projections(tree, None))
    param_types = _param_types(tree, resolver, given)
    _coerce_literals(tree, resolver)
    typed_arithmetic(tree, resolver)
    _name_projections(tree)
    sqlite = to_sqlite(to_sqlite_tree(tree))
    return Plan(command, (sqlite,), columns, param_types, tables=tables, inserted=inserted)


def _select_sql(query: exp.Expression, schema: Schema) -> tuple[str, list[tuple[str, Typed]]]:
    resolver = Resolver(schema)
    found = resolver.projections(query, None)
    _coerce_literals(query, resolver)
    typed_arithmetic(query, resolver)
    _name_projections(query)
    return to_sqlite(to_sqlite_tree(query)), found


def _skipping(message: str) -> tuple[ddl.Notice, ...]:
    """PostgreSQL's NOTICE for an ``IF [NOT] EXISTS`` that leaves something undone."""
    return ((f"{message}, skipping", None),)


def _schema_plan(tree: exp.Create | exp.Drop) -> Plan:
    """``CREATE SCHEMA`` of one that exists and ``DROP SCHEMA`` of one that does not: with
    ``IF [NOT] EXISTS`` PostgreSQL's NOTICE, else its error; making or dropping a schema is
    not supported (a SQLite file has one)."""
    creating = isinstance(tree, exp.Create)
    verb = "CREATE" if creating else "DROP"
    targets = [tree.this] if creating else list(tree.args.get("tables") or [])
    name = targets[0].db if len(targets) == 1 else ""
    if creating and name.startswith("pg_"):
        raise PostgresError(
            f'unacceptable schema name "{name}"',
            "42939",
            detail='The prefix "pg_" is reserved for system schemas.',
        )
    exists = name in _SCHEMAS
    if name and exists == creating:
        if not tree.args.get("exists"):
            if creating:
                raise PostgresError(f'schema "{name}" already exists', "42P06")
            raise PostgresError(f'schema "{name}" does not exist', "3F000")
        what = "already exists" if creating else "does not exist"
        return Plan(f"{verb} SCHEMA", notices=_skipping(f'schema "{name}" {what}'))
    raise PostgresError(f"{verb} SCHEMA is not supported by the SQLite backend", "0A000")


def _create_plan(tree: exp.Create, schema: Schema, identities: list[ddl.IdentityOptions]) -> Plan:
    kind = str(tree.args.get("kind") or "").upper()
    if kind == "SCHEMA":
        return _schema_plan(tree)
    exists = bool(tree.args.get("exists"))
    if kind == "TABLE":
        name = ddl.table_name(tree.this)
        existing = ddl.relation_kind(schema, name)
        if existing is not None and not exists:
            raise PostgresError(f'relation "{name}" already exists', "42P07")
        if existing is not None:
            as_select = tree.args.get("expression") is not None
            notices = _skipping(f'relation "{name}" already exists')
            return Plan("CREATE TABLE AS" if as_select else "CREATE TABLE", notices=notices)
        if tree.args.get("expression") is not None:
            name = ddl.table_name(tree.this)
            select_sql, found = _select_sql(tree.expression, schema)
            columns = [(column, typed.pg_type) for column, typed in found]
            statements = ddl.create_table_as(name, columns, select_sql)
            return Plan("SELECT", tuple(statements), changes_schema=True, tables=(name,))
        statements = ddl.create_table(tree, schema.types, identities)
        return Plan("CREATE TABLE", tuple(statements), changes_schema=True)
    if kind == "INDEX":
        index = tree.this
        named = index.name
        table = schema.table(ddl.table_name(index.args["table"]))
        if named and table is not None and ddl.relation_kind(schema, named) is not None:
            if not exists:
                raise PostgresError(f'relation "{named}" already exists', "42P07")
            return Plan("CREATE INDEX", notices=_skipping(f'relation "{named}" already exists'))
        return Plan("CREATE INDEX", tuple(ddl.create_index(tree)), changes_schema=True)
    if kind == "VIEW":
        select_sql, _ = _select_sql(tree.expression, schema)
        return Plan("CREATE VIEW", tuple(ddl.create_view(tree, select_sql)), changes_schema=True)
    raise PostgresError(f"CREATE {kind} is not supported by the SQLite backend", "0A000")


def _statement_plan(
    tree: exp.Expression,
    schema: Schema,
    given: Sequence[int],
    overriding: str | None = None,
    identities: list[ddl.IdentityOptions] | None = None,
) -> Plan:
    if isinstance(tree, exp.Select | exp.SetOperation | exp.Insert | exp.Update | exp.Delete):
        return _query_plan(tree, schema, given, overriding)
    if isinstance(tree, exp.Create):
        return _create_plan(tree, schema, identities or [])
    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind")).upper()
        if kind == "SCHEMA":
            return _schema_plan(tree)
        statements, names = ddl.drop(tree)
        skipped = ddl.drop_checks(schema, tree, names)
        first = alter.drop_table_defaults(schema, tree, names) if kind == "TABLE" else None
        return Plan(
            f"DROP {kind}",
            tuple((first.statements if first else []) + statements),
            changes_schema=True,
            tables=tuple(names),
            restart_sequences=kind == "TABLE",
            notices=skipped + (first.notices if first else ()),
        )
    if isinstance(tree, exp.TruncateTable):
        statements, names = ddl.truncate(tree)
        restart = str(tree.args.get("identity") or "").upper() == "RESTART"
        return Plan(
            "TRUNCATE TABLE", tuple(statements), tables=tuple(names), restart_sequences=restart
        )
    if isinstance(tree, exp.Alter):
        altered = alter.alter_table(tree, schema, identities or [])
        return Plan(
            "ALTER TABLE",
            tuple(altered.statements),
            changes_schema=True,
            tables=(ddl.table_name(tree.this),),
            notices=altered.notices,
        )
    verb = tree.sql(dialect=READ).split(" ")[0].upper() if tree is not None else ""
    raise PostgresError(
        f"{verb or 'this statement'} is not supported by the SQLite backend", "0A000"
    )


def translate(sql: str, schema: Schema, given: Sequence[int] = ()) -> Plan:
    """The `Plan` of one PostgreSQL statement (module docstring)."""
    text = sql.strip().rstrip(";").strip()
    words = _words(text, 3)
    plan = _transaction(text, words) or _utility(text, words)
    if plan is not None:
        return plan
    if "SEQUENCE" in words[:3]:
        found = sequence_statement(text, schema)
        if found is not None:
            return Plan(found[0], found[1], changes_schema=bool(found[1]))
    explained = _EXPLAIN.match(text)
    if explained:
        inner = translate(text[explained.end() :], schema, given)
        if not inner.statements:
            return Plan("EXPLAIN")
        statement = "EXPLAIN QUERY PLAN " + inner.statements[-1]
        columns = (OutputColumn("QUERY PLAN", TEXT),)
        return Plan("EXPLAIN", (statement,), columns, inner.param_types, explain=True)
    if words[:2] in _TYPE_STATEMENTS:
        command, statements, notices = usertypes.type_statement(
            text, schema.types, schema.tables, schema.type_users()
        )
        return Plan(command, tuple(statements), changes_schema=bool(statements), notices=notices)
    view_if_not = _VIEW_IF_NOT.match(text)
    if view_if_not:
        raise PostgresError(f'syntax error at or near "{view_if_not.group(1)}"', "42601")
    if words[:2] == ["ALTER", "TABLE"]:
        text = alter.name_unnamed_checks(text)
    identities: list[ddl.IdentityOptions] = []
    if words[:1] in (["CREATE"], ["ALTER"]) and "IDENTITY" in text.upper():
        text, identities = ddl.identity_options(text)
    if words[:2] == ["ALTER", "TABLE"]:
        altered = identity_statement(text, schema, identities)
        if altered is not None:
            return Plan(
                "ALTER TABLE",
                tuple(altered[1].statements),
                changes_schema=True,
                tables=(altered[0],),
                notices=altered[1].notices,
            )
    text, overriding = identity.split_overriding(text)
    tree = normalize_identifiers(parse_statement(text), dialect=READ)
    _unqualify_functions(tree)
    return _statement_plan(tree, schema, given, overriding, identities)


def _unqualify_functions(tree: exp.Expression) -> None:
    """``pg_catalog.setval(...)`` (as pg_dump writes calls) is ``setval(...)``: one schema."""
    found = [
        node
        for node in tree.find_all(exp.Dot)
        if isinstance(node.this, exp.Identifier)
        and node.this.name.lower() in ("pg_catalog", "public")
        and isinstance(node.expression, exp.Func)
    ]
    for node in found:
        node.replace(node.expression)


#: Bare words PostgreSQL reads as functions of the session (``SELECT user``).
_KEYWORD_COLUMNS: Final = frozenset(
    {"user", "current_user", "session_user", "current_role", "current_catalog", "current_schema"}
)
_SESSION_KEYWORDS: Final = (
    exp.CurrentUser,
    exp.CurrentSchema,
    exp.CurrentCatalog,
    exp.CurrentRole,
    exp.CurrentDatabase,
)


@lru_cache(maxsize=1024)
def needs_catalog(sql: str) -> bool:
    """Whether a statement the catalog emulation claims really needs it.

    The catalog answers anything that reads no application table, including plain expressions
    (``SELECT 1/0``, ``SELECT now()``, ``SELECT count(*) FROM generate_series(1, 10)``,
    ``VALUES``).  Those run here instead: with this backend's semantics (division by zero,
    transaction time) and in a worker thread that a CancelRequest can interrupt.  What names a
    catalog relation, a function only the catalog has (``version()``, ``current_setting``), the
    session (``current_user``) or a ``reg*`` type stays with the catalog, as does whatever this
    module cannot parse (``SHOW``)."""
    try:
        tree = parse_statement(sql.strip().rstrip(";").strip())
    except PostgresError:
        return True
    if not isinstance(tree, exp.Query):
        return True
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for node in tree.walk():
        if isinstance(node, _SESSION_KEYWORDS):
            return True
        if isinstance(node, exp.Table) and isinstance(node.this, exp.Identifier):
            if node.db or node.name.lower() not in ctes:
                return True
        if (
            isinstance(node, exp.Column)
            and not node.table
            and node.name.lower() in _KEYWORD_COLUMNS
        ):
            return True
        if isinstance(node, exp.Anonymous):
            name = function_name(node)
            if not is_local_function(name) and name != "generate_series":
                return True
        if isinstance(node, exp.Cast) and cast_target(node.to).name.startswith("reg"):
            return True
    return False
