"""Parse client SQL as PostgreSQL with sqlglot, keeping every function call as written.

sqlglot's stock PostgreSQL dialect maps many function names onto its own portable expression
classes (``unnest`` becomes ``Explode``, ``generate_series`` a series generator ...).  The
catalog compiler needs the function names exactly as the client wrote them (they select the
implementation and the PostgreSQL result type), so :class:`PgDialect` empties the function
table: every ordinary call parses as ``exp.Anonymous``.  Only the calls with special syntax
keep their parsers (``CAST(x AS t)``, ``EXTRACT(f FROM x)``, ``SUBSTRING(x FROM a FOR b)``,
``POSITION(a IN b)``, ``TRIM(BOTH x FROM y)``, ``OVERLAY``).

sqlglot cannot parse an array type after a user-defined type name (``$1::oid[]``); since
PostgreSQL names the array type of ``t`` ``_t``, :func:`parse` rewrites ``::t[]`` and
``AS t[]`` to ``::_t``/``AS _t`` at the token level before parsing.  With the function table
empty, ``x <> ALL ('{...}')`` parses as a call of a function named ``ALL``; :func:`parse` turns
such calls back into the ``ANY``/``ALL`` quantifiers.
"""

from __future__ import annotations

import re
from typing import Final

import sqlglot
from sqlglot import exp
from sqlglot.dialects.postgres import Postgres
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

from txpostgres_proto.protocol.errors import PostgresError

_SPECIAL_SYNTAX: Final = frozenset({"CAST", "EXTRACT", "POSITION", "SUBSTRING", "TRIM", "OVERLAY"})
_WORD: Final = re.compile(r"^\w+$")


class PgDialect(Postgres):
    """PostgreSQL syntax; function calls stay ``Anonymous`` (see the module docstring).

    ``INDEX_OFFSET = 0`` stops sqlglot from rewriting literal subscripts to 0-based ones
    (``arr[2]`` would become ``arr[1]``): the compiler applies PostgreSQL's own rules.
    """

    INDEX_OFFSET = 0

    class Parser(Postgres.Parser):  # type: ignore[valid-type,misc]
        FUNCTIONS: dict = {}  # type: ignore[type-arg]  # noqa: RUF012
        FUNCTION_PARSERS = {
            name: parser
            for name, parser in Postgres.Parser.FUNCTION_PARSERS.items()
            if name in _SPECIAL_SYNTAX
        }


DIALECT: Final = PgDialect()


def _rewrite_array_casts(sql: str) -> str:
    tokens = DIALECT.tokenize(sql)
    edits: list[tuple[int, int, str]] = []
    for i in range(2, len(tokens) - 1):
        if tokens[i].token_type != TokenType.L_BRACKET:
            continue
        if tokens[i + 1].token_type != TokenType.R_BRACKET:
            continue
        name = tokens[i - 1]
        before = tokens[i - 2].token_type
        if before == TokenType.DOT and i >= 4:
            before = tokens[i - 4].token_type
        if before in (TokenType.DCOLON, TokenType.ALIAS) and _WORD.match(name.text):
            edits.append((name.start, tokens[i + 1].end + 1, "_" + name.text))
    for start, end, text in reversed(edits):
        sql = sql[:start] + text + sql[end:]
    return sql


def parse(sql: str) -> exp.Expr:
    """Parse one statement; raise PostgresError 42601 on a syntax error."""
    text = sql.strip().rstrip(";").strip()
    try:
        if "[" in text:
            text = _rewrite_array_casts(text)
        statements = [tree for tree in sqlglot.parse(text, dialect=DIALECT) if tree is not None]
    except SqlglotError as error:
        details = getattr(error, "errors", None) or [{}]
        description = details[0].get("description") or str(error).splitlines()[0]
        raise PostgresError(f"syntax error: {description}", "42601") from None
    if len(statements) != 1:
        raise PostgresError("cannot run several statements at once here", "42601")
    return statements[0].transform(_quantifier)


def _quantifier(node: exp.Expr) -> exp.Expr:
    if isinstance(node, exp.Anonymous) and len(node.expressions) == 1:
        name = str(node.this).upper()
        if name in ("ANY", "SOME"):
            return exp.Any(this=node.expressions[0])
        if name == "ALL":
            return exp.All(this=node.expressions[0])
    return node
