"""Name the command a statement runs: ``SELECT``, ``CREATE TABLE``, ``ROLLBACK TO`` ...

The statement type is what request handlers are dispatched on (``@stmt_handler("INSERT")``).
It is the command's leading keyword(s), normalised the way PostgreSQL names commands in its
command tags (chapter "SQL Commands" of the manual; ``cmdtaglist.h`` in the server), with the
synonyms folded together: ``START TRANSACTION`` is ``BEGIN``, ``END`` is ``COMMIT``, ``ABORT``
is ``ROLLBACK``, ``TABLE t`` is ``SELECT``, ``CREATE USER`` is ``CREATE ROLE``, and a statement
that starts with ``WITH`` or a parenthesis has the type of its main statement.  A few types need
more than the first words: ``SELECT ... INTO`` and ``CREATE TABLE ... AS`` (both report
``SELECT n`` rather than their own tag), ``GRANT role TO user`` (``GRANT ROLE``).

The mapping is data: one table for single words, one for two-word commands, one for the
objects of CREATE/ALTER/DROP.
"""

from __future__ import annotations

from .errors import SqlSyntaxError
from .token_list import TokenList

__all__ = ["CommonTableExpression", "classify", "with_clause"]

_SINGLE_WORD = {
    "abort": "ROLLBACK",
    "analyse": "ANALYZE",
    "analyze": "ANALYZE",
    "begin": "BEGIN",
    "call": "CALL",
    "checkpoint": "CHECKPOINT",
    "close": "CLOSE",
    "cluster": "CLUSTER",
    "comment": "COMMENT",
    "commit": "COMMIT",
    "copy": "COPY",
    "deallocate": "DEALLOCATE",
    "declare": "DECLARE CURSOR",
    "delete": "DELETE",
    "discard": "DISCARD",
    "do": "DO",
    "end": "COMMIT",
    "execute": "EXECUTE",
    "explain": "EXPLAIN",
    "fetch": "FETCH",
    "grant": "GRANT",
    "import": "IMPORT FOREIGN SCHEMA",
    "insert": "INSERT",
    "listen": "LISTEN",
    "load": "LOAD",
    "lock": "LOCK TABLE",
    "merge": "MERGE",
    "move": "MOVE",
    "notify": "NOTIFY",
    "prepare": "PREPARE",
    "reassign": "REASSIGN OWNED",
    "refresh": "REFRESH MATERIALIZED VIEW",
    "reindex": "REINDEX",
    "release": "RELEASE",
    "reset": "RESET",
    "revoke": "REVOKE",
    "rollback": "ROLLBACK",
    "savepoint": "SAVEPOINT",
    "security": "SECURITY LABEL",
    "select": "SELECT",
    "set": "SET",
    "show": "SHOW",
    "table": "SELECT",
    "truncate": "TRUNCATE",
    "unlisten": "UNLISTEN",
    "update": "UPDATE",
    "vacuum": "VACUUM",
    "values": "VALUES",
}

# First word, second word -> type.
_TWO_WORDS = {
    ("commit", "prepared"): "COMMIT PREPARED",
    ("prepare", "transaction"): "PREPARE TRANSACTION",
    ("rollback", "prepared"): "ROLLBACK PREPARED",
    ("rollback", "to"): "ROLLBACK TO",
    ("set", "constraints"): "SET CONSTRAINTS",
    ("start", "transaction"): "BEGIN",
}
_NOISE = frozenset({"work", "transaction"})  # ROLLBACK [WORK | TRANSACTION] TO

# Objects of CREATE/ALTER/DROP, as word tuples -> the name in the statement type.
_OBJECTS = {
    ("access", "method"): "ACCESS METHOD",
    ("aggregate",): "AGGREGATE",
    ("cast",): "CAST",
    ("collation",): "COLLATION",
    ("conversion",): "CONVERSION",
    ("database",): "DATABASE",
    ("default", "privileges"): "DEFAULT PRIVILEGES",
    ("domain",): "DOMAIN",
    ("event", "trigger"): "EVENT TRIGGER",
    ("extension",): "EXTENSION",
    ("foreign", "data", "wrapper"): "FOREIGN DATA WRAPPER",
    ("foreign", "table"): "FOREIGN TABLE",
    ("function",): "FUNCTION",
    ("group",): "ROLE",
    ("index",): "INDEX",
    ("language",): "LANGUAGE",
    ("large", "object"): "LARGE OBJECT",
    ("materialized", "view"): "MATERIALIZED VIEW",
    ("operator",): "OPERATOR",
    ("operator", "class"): "OPERATOR CLASS",
    ("operator", "family"): "OPERATOR FAMILY",
    ("owned",): "OWNED",
    ("policy",): "POLICY",
    ("procedure",): "PROCEDURE",
    ("publication",): "PUBLICATION",
    ("role",): "ROLE",
    ("routine",): "ROUTINE",
    ("rule",): "RULE",
    ("schema",): "SCHEMA",
    ("sequence",): "SEQUENCE",
    ("server",): "SERVER",
    ("statistics",): "STATISTICS",
    ("subscription",): "SUBSCRIPTION",
    ("system",): "SYSTEM",
    ("table",): "TABLE",
    ("tablespace",): "TABLESPACE",
    ("text", "search", "configuration"): "TEXT SEARCH CONFIGURATION",
    ("text", "search", "dictionary"): "TEXT SEARCH DICTIONARY",
    ("text", "search", "parser"): "TEXT SEARCH PARSER",
    ("text", "search", "template"): "TEXT SEARCH TEMPLATE",
    ("transform",): "TRANSFORM",
    ("trigger",): "TRIGGER",
    ("type",): "TYPE",
    ("user",): "ROLE",
    ("user", "mapping"): "USER MAPPING",
    ("view",): "VIEW",
}
# Words between CREATE and the object that do not change the statement type.
_CREATE_MODIFIERS = frozenset(
    {"or", "replace", "global", "local", "temp", "temporary", "unlogged", "unique", "recursive"}
    | {"trusted", "procedural", "constraint"}
)
_DDL_VERBS = {"create": "CREATE", "alter": "ALTER", "drop": "DROP"}
_MAIN_STATEMENTS = frozenset({"select", "insert", "update", "delete", "merge", "values", "table"})


def _syntax_error(tl: TokenList, index: int) -> SqlSyntaxError:
    if index >= len(tl.tokens):
        return SqlSyntaxError("syntax error at end of input", len(tl.sql) + 1)
    token = tl.tokens[index]
    return SqlSyntaxError(f'syntax error at or near "{token.text}"', token.start + 1)


class CommonTableExpression:
    """One ``name AS (query)`` of a WITH clause: the name and the token range of the query."""

    __slots__ = ("body_end", "body_start", "name")

    def __init__(self, name: str, body_start: int, body_end: int) -> None:
        self.name = name
        self.body_start = body_start
        self.body_end = body_end


def with_clause(tl: TokenList, index: int, end: int) -> tuple[int, list[CommonTableExpression]]:
    """Parse ``WITH [RECURSIVE] name [(columns)] AS [[NOT] MATERIALIZED] (query) [SEARCH ...]
    [CYCLE ...], ...`` starting at the WITH keyword; return the index of the main statement and
    the common table expressions."""
    ctes = []
    index += 1
    if tl.kw(index) == "recursive":
        index += 1
    while True:
        if not tl.is_name(index):
            raise _syntax_error(tl, index)
        name = str(tl.tokens[index].value)
        index += 1
        if tl.opens_group(index):
            index = tl.next(index)
        if tl.kw(index) != "as":
            raise _syntax_error(tl, index)
        index += 1
        if tl.kw(index) == "not":
            index += 1
        if tl.kw(index) == "materialized":
            index += 1
        if not tl.opens_group(index):
            raise _syntax_error(tl, index)
        close = tl.partner[index]
        ctes.append(CommonTableExpression(name, index + 1, close))
        index = close + 1
        while index < end and not tl.is_punct(index, ","):
            if tl.kw(index) in _MAIN_STATEMENTS or tl.opens_group(index):
                return index, ctes
            index = tl.next(index)  # SEARCH ... SET col / CYCLE ... SET col USING path
        if index >= end:
            raise _syntax_error(tl, index)
        index += 1


def _ddl_type(tl: TokenList, verb_index: int, end: int) -> str:
    verb = _DDL_VERBS[tl.keywords[verb_index]]
    index = verb_index + 1
    if verb == "CREATE":
        while tl.kw(index) in _CREATE_MODIFIERS:
            index += 1
    for length in (3, 2, 1):
        words = tuple(tl.kw(index + offset) for offset in range(length))
        object_name = _OBJECTS.get(words)
        if object_name is not None:
            if verb == "CREATE" and object_name == "TABLE" and tl.find(index, end, ("as",)) < end:
                return "CREATE TABLE AS"
            return f"{verb} {object_name}"
    raise _syntax_error(tl, index)


def _command_type(tl: TokenList, index: int, end: int) -> str:
    """The type of the command whose first keyword is at ``index``."""
    first = tl.keywords[index]
    second_index = index + 1
    if first == "rollback" and tl.kw(second_index) in _NOISE:
        second_index += 1
    two_words = _TWO_WORDS.get((first, tl.kw(second_index)))
    if two_words is not None:
        return two_words
    if first in _DDL_VERBS:
        return _ddl_type(tl, index, end)
    stmt_type = _SINGLE_WORD.get(first)
    if stmt_type is None:  # START needs TRANSACTION after it; anything else is no command
        raise _syntax_error(tl, index + (first == "start"))
    if stmt_type == "SELECT" and first == "select" and tl.find(index, end, ("into",)) < end:
        return "SELECT INTO"
    if stmt_type in ("GRANT", "REVOKE") and tl.find(index, end, ("on",)) >= end:
        return f"{stmt_type} ROLE"
    return stmt_type


def classify_at(tl: TokenList, index: int, end: int) -> tuple[str, int]:
    """Classify the statement at ``index``; return its type and the index where its main
    statement starts (after WITH clauses and opening parentheses).  A query in parentheses
    has the type of the first query inside."""
    parenthesized = False
    while index < end:
        if tl.keywords[index] == "with":
            index = with_clause(tl, index, end)[0]
        elif tl.opens_group(index):
            while tl.opens_group(index):
                index += 1
            if tl.kw(index) not in _MAIN_STATEMENTS and tl.kw(index) != "with":
                raise _syntax_error(tl, index)
            parenthesized = True
        else:
            stmt_type = _command_type(tl, index, end)
            if parenthesized and stmt_type == "SELECT INTO":
                stmt_type = "SELECT"
            return stmt_type, index
    return "", index


def classify(tl: TokenList) -> tuple[str, int]:
    """Classify a whole statement (see `classify_at`); ``("", 0)`` for no tokens.  Raises
    `SqlSyntaxError` when the statement starts with something that is not a command."""
    return classify_at(tl, 0, len(tl.tokens))
