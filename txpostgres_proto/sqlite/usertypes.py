"""Enums and domains in the embedded SQLite default: CREATE TYPE … AS ENUM, CREATE DOMAIN, DROP.

SQLite has no user-defined types, so the definitions live in the database file itself, in the
internal table ``_txpg_types`` (name, kind, JSON definition): a file database keeps them, and
`read_user_types` gives them back to reflection (``reflect.py``), which hands them to the
catalog emulation: they appear in ``pg_type`` (``typtype`` 'e' or 'd'), ``pg_enum`` and
``pg_constraint``, so psql's ``\\dT``, SQLAlchemy's enum and domain reflection and asyncpg's type
introspection find them (PostgreSQL docs: CREATE TYPE, CREATE DOMAIN, section 53.20 pg_enum).

A column of such a type stores its storage type (``text`` for an enum, the base type for a
domain); its declared type carries the type's name (``typemap.PgType``), and the type's rules
become column constraints when the table is created (``ddl.py``): an enum's labels a CHECK
``IN (…)``, a domain's CHECK with ``VALUE`` standing for the column, its NOT NULL a CHECK, and
its DEFAULT the column's default unless the column has one.

`type_statement` turns the statements into what runs on SQLite, with PostgreSQL's "…, skipping"
NOTICE for each type ``DROP … IF EXISTS`` does not find.  Not supported (0A000): other
CREATE TYPE forms (composite, range, base), ALTER TYPE/ALTER DOMAIN, DROP … CASCADE, a domain
over an application-defined type or with more than one CHECK.  Enum labels compare as text, not
in declaration order.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from txpostgres_proto.catalog.schema import Domain, EnumType
from txpostgres_proto.protocol.errors import PostgresError
from txpostgres_proto.sql.lexer import Token, TokenKind, tokenize
from txpostgres_proto.sqlite.typemap import TEXT, PgType, pg_type_named, pg_type_of

TYPES_TABLE: Final = "_txpg_types"
_CREATE_TABLE: Final = (
    f'CREATE TABLE IF NOT EXISTS "{TYPES_TABLE}" '
    "(name TEXT PRIMARY KEY, kind TEXT NOT NULL, definition TEXT NOT NULL)"
)
_DOMAIN_CLAUSES: Final = frozenset({"default", "constraint", "not", "null", "check", "collate"})
_KIND_WORDS: Final = {"e": "TYPE", "d": "DOMAIN"}
#: A NOTICE for the client: (message, detail).
Notice = tuple[str, str | None]


@dataclass(frozen=True)
class UserTypeDef:
    """An enum (``kind`` 'e', ``labels``) or a domain (``kind`` 'd': ``base`` declaration such as
    ``int4`` or ``varchar(10)``, NOT NULL, ``default`` and ``check`` as PostgreSQL text)."""

    name: str
    kind: str
    labels: tuple[str, ...] = ()
    base: str = ""
    nullable: bool = True
    default: str | None = None
    check: str | None = None
    check_name: str | None = None

    @property
    def storage_type(self) -> PgType:
        """The column type of a column of this type (storage type plus the type's name)."""
        storage = TEXT if self.kind == "e" else pg_type_of(self.base)
        return PgType(storage.oid, storage.typmod, self.name, self.kind)

    def catalog_type(self) -> EnumType | Domain:
        """The type as the catalog emulation describes it."""
        if self.kind == "e":
            return EnumType(self.name, self.labels)
        return Domain(
            self.name,
            pg_type_of(self.base).declaration(),
            nullable=self.nullable,
            default=self.default,
            check=self.check,
            check_name=self.check_name,
        )

    def definition(self) -> str:
        """The JSON stored in ``_txpg_types``."""
        if self.kind == "e":
            return json.dumps({"labels": list(self.labels)})
        fields = {"base": self.base, "nullable": self.nullable, "default": self.default,
                  "check": self.check, "check_name": self.check_name}  # fmt: skip
        return json.dumps(fields)

    @classmethod
    def from_row(cls, name: str, kind: str, definition: str) -> UserTypeDef:
        fields = json.loads(definition)
        if kind == "e":
            return cls(name, kind, labels=tuple(fields["labels"]))
        return cls(
            name,
            kind,
            base=fields["base"],
            nullable=fields["nullable"],
            default=fields["default"],
            check=fields["check"],
            check_name=fields["check_name"],
        )


def read_user_types(conn: sqlite3.Connection) -> dict[str, UserTypeDef]:
    """The enums and domains stored in the database, by name."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?", (TYPES_TABLE,)
    ).fetchone()
    if exists is None:
        return {}
    rows = conn.execute(f'SELECT name, kind, definition FROM "{TYPES_TABLE}" ORDER BY rowid')
    return {name: UserTypeDef.from_row(name, kind, definition) for name, kind, definition in rows}


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class _Tokens:
    """A cursor over one statement's tokens."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.tokens = [token for token in tokenize(sql) if token.text != ";"]
        self.index = 0

    def peek(self, offset: int = 0) -> Token | None:
        at = self.index + offset
        return self.tokens[at] if at < len(self.tokens) else None

    def word(self, offset: int = 0) -> str:
        """The keyword (or punctuation) at ``offset`` from the cursor, "" for anything else."""
        token = self.peek(offset)
        if token is None:
            return ""
        return token.text if token.kind is TokenKind.PUNCT else token.keyword

    def text(self) -> str:
        token = self.peek()
        return token.text if token is not None else ""

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise PostgresError("syntax error at end of input", "42601")
        self.index += 1
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.keyword != text and token.text != text:
            raise PostgresError(f'syntax error at or near "{token.text}"', "42601")

    def accept(self, *words: str) -> bool:
        if list(words) == [self.word(offset) for offset in range(len(words))]:
            self.index += len(words)
            return True
        return False

    def name(self) -> str:
        """A type name, ``public.`` allowed as its schema."""
        token = self.take()
        if self.text() == ".":
            if _identifier(token) != "public":
                raise PostgresError(f'schema "{_identifier(token)}" does not exist', "3F000")
            self.take()
            token = self.take()
        return _identifier(token)

    def span(self, stop: Collection[str]) -> str:
        """The text up to the next word of ``stop`` outside parentheses, or the end ("" when
        there is none before it)."""
        first = self.index
        depth = 0
        while (token := self.peek()) is not None:
            if depth == 0 and token.keyword in stop:
                break
            depth += {"(": 1, ")": -1}.get(token.text, 0)
            self.index += 1
        if self.index == first:
            return ""
        return self.sql[self.tokens[first].start : self.tokens[self.index - 1].end]


def _identifier(token: Token) -> str:
    if token.kind not in (TokenKind.IDENT, TokenKind.QIDENT):
        raise PostgresError(f'syntax error at or near "{token.text}"', "42601")
    return str(token.value)


def _create_enum(tokens: _Tokens, name: str) -> UserTypeDef:
    tokens.expect("as")
    tokens.expect("enum")
    tokens.expect("(")
    labels: list[str] = []
    while tokens.text() != ")":
        token = tokens.take()
        if token.kind is not TokenKind.STRING:
            raise PostgresError(f'syntax error at or near "{token.text}"', "42601")
        labels.append(str(token.value))
        if tokens.text() != ")":
            tokens.expect(",")
    tokens.expect(")")
    if len(set(labels)) != len(labels):
        raise PostgresError(f'enum label "{labels[0]}" used more than once', "42710")
    return UserTypeDef(name, "e", labels=tuple(labels))


def _create_domain(tokens: _Tokens, name: str) -> UserTypeDef:
    tokens.accept("as")
    spelling = tokens.span(_DOMAIN_CLAUSES)
    base = pg_type_named(spelling) if spelling else None
    if base is None:
        raise PostgresError(f'type "{spelling}" does not exist', "42704")
    nullable, default, check, check_name = True, None, None, None
    while tokens.peek() is not None:
        given = tokens.name() if tokens.accept("constraint") else None
        if tokens.accept("not", "null"):
            nullable = False
        elif tokens.accept("null"):
            nullable = True
        elif tokens.accept("default", "null"):
            default = None
        elif tokens.accept("default"):
            default = tokens.span(_DOMAIN_CLAUSES) or None
        elif tokens.accept("collate"):
            tokens.name()
        elif tokens.accept("check"):
            if check is not None:
                raise PostgresError("only one CHECK constraint per domain is supported", "0A000")
            if tokens.text() != "(":
                raise PostgresError(f'syntax error at or near "{tokens.text()}"', "42601")
            check, check_name = tokens.span(_DOMAIN_CLAUSES)[1:-1].strip(), given
        else:
            raise PostgresError(f'syntax error at or near "{tokens.take().text}"', "42601")
    return UserTypeDef(name, "d", base=base.declaration(), nullable=nullable, default=default,
                       check=check, check_name=check_name)  # fmt: skip


def _drop(
    tokens: _Tokens,
    kind: str,
    types: Mapping[str, UserTypeDef],
    users: Mapping[str, tuple[str, str]],
) -> tuple[list[str], tuple[Notice, ...]]:
    missing_ok = tokens.accept("if", "exists")
    names = [tokens.name()]
    while tokens.accept(","):
        names.append(tokens.name())
    if tokens.accept("cascade"):
        raise PostgresError("DROP … CASCADE is not supported by the SQLite backend", "0A000")
    tokens.accept("restrict")
    if tokens.peek() is not None:
        raise PostgresError(f'syntax error at or near "{tokens.take().text}"', "42601")
    dropped = []
    skipped: list[Notice] = []
    for name in names:
        found = types.get(name)
        if found is None:
            if missing_ok:
                skipped.append((f'type "{name}" does not exist, skipping', None))
                continue
            raise PostgresError(f'type "{name}" does not exist', "42704")
        if kind == "d" and found.kind != "d":
            raise PostgresError(f'"{name}" is not a domain', "42809")
        if name in users:
            table, column = users[name]
            raise PostgresError(
                f"cannot drop type {name} because other objects depend on it",
                "2BP01",
                detail=f"column {column} of table {table} depends on type {name}",
                hint="Use DROP ... CASCADE to drop the dependent objects too.",
            )
        dropped.append(name)
    if not dropped:
        return [], tuple(skipped)
    placeholders = ", ".join(_literal(name) for name in dropped)
    return [f'DELETE FROM "{TYPES_TABLE}" WHERE name IN ({placeholders})'], tuple(skipped)


def type_statement(
    sql: str,
    types: Mapping[str, UserTypeDef],
    relations: Collection[str],
    users: Mapping[str, tuple[str, str]],
) -> tuple[str, list[str], tuple[Notice, ...]]:
    """(command tag, SQLite statements, notices) of CREATE TYPE/CREATE DOMAIN/DROP TYPE/DROP
    DOMAIN; the notices are PostgreSQL's for the types ``DROP … IF EXISTS`` did not find.

    ``types`` are the existing types, ``relations`` the names of tables and views (a type may
    not share a name with one), ``users`` a column using each type in use (table, column).
    """
    tokens = _Tokens(sql)
    verb = tokens.take().keyword
    kind = "d" if tokens.take().keyword == "domain" else "e"
    command = f"{verb.upper()} {_KIND_WORDS[kind]}"
    if verb == "drop":
        return command, *_drop(tokens, kind, types, users)
    name = tokens.name()
    if kind == "e" and tokens.word(1) != "enum":
        raise PostgresError(
            "only CREATE TYPE … AS ENUM is supported by the SQLite backend", "0A000"
        )
    if name in types or name in relations:
        raise PostgresError(f'type "{name}" already exists', "42710")
    created = _create_enum(tokens, name) if kind == "e" else _create_domain(tokens, name)
    if tokens.peek() is not None:
        raise PostgresError(f'syntax error at or near "{tokens.take().text}"', "42601")
    insert = (
        f'INSERT INTO "{TYPES_TABLE}" (name, kind, definition) VALUES '
        f"({_literal(name)}, {_literal(kind)}, {_literal(created.definition())})"
    )
    return command, [_CREATE_TABLE, insert], ()
