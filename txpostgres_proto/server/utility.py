"""Recognise the statements a session answers itself, without the application.

Settings and transaction control belong to the connection, not to the application's data:
SET / SET LOCAL / SET TIME ZONE / SET NAMES / SET SCHEMA / SET SESSION CHARACTERISTICS /
SET TRANSACTION / SHOW / RESET / BEGIN / START TRANSACTION / COMMIT / END / ROLLBACK / ABORT /
SAVEPOINT / RELEASE / ROLLBACK TO / DISCARD / DEALLOCATE.  `parse_utility` turns such a
statement into a small dataclass the session executes (``session.py``), and returns None for
everything else, which goes to the backend.  The grammar followed is PostgreSQL's (the SQL
command reference pages of those commands); anything it does not recognise is left alone
rather than rejected, so a backend can still answer it.

Tokens come from `txpostgres_proto.sql.lexer`, so quoting, comments and string escapes follow
PostgreSQL's scanner.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from txpostgres_proto.sql.errors import SqlSyntaxError
from txpostgres_proto.sql.lexer import Token, TokenKind, tokenize

from .settings import SetValue, offset_zone_name

__all__ = [
    "Deallocate",
    "Discard",
    "Reset",
    "SetTransaction",
    "SetVariable",
    "Show",
    "TransactionControl",
    "UtilityStatement",
    "parse_utility",
]


@dataclass(frozen=True, slots=True)
class TransactionControl:
    """BEGIN/START TRANSACTION, COMMIT/END, ROLLBACK/ABORT, SAVEPOINT, RELEASE, ROLLBACK TO.

    ``command`` is one of ``BEGIN``, ``COMMIT``, ``ROLLBACK``, ``SAVEPOINT``, ``RELEASE``,
    ``ROLLBACK TO``; ``tag`` the command tag PostgreSQL answers on success.
    """

    command: str
    tag: str
    savepoint: str | None = None
    modes: dict[str, str] = field(default_factory=dict)
    chain: bool = False


@dataclass(frozen=True, slots=True)
class SetVariable:
    """SET [SESSION | LOCAL] name TO value [, ...] | DEFAULT (``values`` None for DEFAULT)."""

    name: str
    values: tuple[SetValue, ...] | None
    local: bool = False


@dataclass(frozen=True, slots=True)
class SetTransaction:
    """SET TRANSACTION modes, or SET SESSION CHARACTERISTICS AS TRANSACTION modes."""

    modes: dict[str, str]
    session_characteristics: bool = False


@dataclass(frozen=True, slots=True)
class Show:
    """SHOW name | ALL (``name`` None)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class Reset:
    """RESET name | ALL (``name`` None)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class Discard:
    """DISCARD ALL | PLANS | SEQUENCES | TEMP."""

    what: str


@dataclass(frozen=True, slots=True)
class Deallocate:
    """DEALLOCATE [PREPARE] name | ALL (``name`` None)."""

    name: str | None


@dataclass(frozen=True, slots=True)
class NoOperation:
    """A statement accepted and answered with a tag only (SET CONSTRAINTS)."""

    tag: str


UtilityStatement = (
    TransactionControl
    | SetVariable
    | SetTransaction
    | Show
    | Reset
    | Discard
    | Deallocate
    | NoOperation
)

#: Multi-word setting names SHOW/RESET/SET accept, and the setting each means.
_SPECIAL_NAMES = {
    ("time", "zone"): "TimeZone",
    ("transaction", "isolation", "level"): "transaction_isolation",
    ("session", "authorization"): "session_authorization",
}


class _NotUtility(Exception):
    """The statement is not one of ours (or not in a form we understand)."""


class _Cursor:
    def __init__(self, tokens: list[Token]) -> None:
        if tokens and tokens[-1].kind is TokenKind.PUNCT and tokens[-1].text == ";":
            tokens = tokens[:-1]
        self.tokens = tokens
        self.pos = 0

    def peek(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.tokens[index].keyword if index < len(self.tokens) else ""

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def accept(self, *words: str) -> bool:
        """Consume the keywords ``words`` if they come next."""
        if all(self.peek(i) == word for i, word in enumerate(words)):
            self.pos += len(words)
            return True
        return False

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise _NotUtility

    def take(self) -> Token:
        if self.at_end():
            raise _NotUtility
        token = self.tokens[self.pos]
        self.pos += 1
        return token

    def accept_punct(self, text: str) -> bool:
        if not self.at_end():
            token = self.tokens[self.pos]
            if token.kind in (TokenKind.PUNCT, TokenKind.OP) and token.text == text:
                self.pos += 1
                return True
        return False

    def name(self) -> str:
        """An identifier, possibly dotted (``a.b``)."""
        parts = [self._identifier()]
        while self.accept_punct("."):
            parts.append(self._identifier())
        return ".".join(parts)

    def _identifier(self) -> str:
        token = self.take()
        if token.kind not in (TokenKind.IDENT, TokenKind.QIDENT):
            raise _NotUtility
        return str(token.value)

    def end(self) -> None:
        if not self.at_end():
            raise _NotUtility


def parse_utility(sql: str) -> UtilityStatement | None:
    """The session statement ``sql`` is, or None when it is for the backend."""
    try:
        tokens = tokenize(sql)
    except SqlSyntaxError:
        return None
    cursor = _Cursor(tokens)
    word = cursor.peek()
    parser = _PARSERS.get(word)
    if parser is None:
        return None
    cursor.pos = 1
    try:
        return parser(cursor)
    except _NotUtility:
        return None


def _transaction_word(cursor: _Cursor) -> None:
    cursor.accept("work") or cursor.accept("transaction")


def _modes(cursor: _Cursor) -> dict[str, str]:
    modes: dict[str, str] = {}
    while not cursor.at_end():
        if cursor.accept("isolation", "level"):
            for words in (("serializable",), ("repeatable", "read"), ("read", "committed"),
                          ("read", "uncommitted")):  # fmt: skip
                if cursor.accept(*words):
                    modes["transaction_isolation"] = " ".join(words)
                    break
            else:
                raise _NotUtility
        elif cursor.accept("read", "only"):
            modes["transaction_read_only"] = "on"
        elif cursor.accept("read", "write"):
            modes["transaction_read_only"] = "off"
        elif cursor.accept("not", "deferrable"):
            modes["transaction_deferrable"] = "off"
        elif cursor.accept("deferrable"):
            modes["transaction_deferrable"] = "on"
        else:
            raise _NotUtility
        cursor.accept_punct(",")
    return modes


def _begin(cursor: _Cursor) -> TransactionControl:
    _transaction_word(cursor)
    return TransactionControl("BEGIN", "BEGIN", modes=_modes(cursor))


def _start(cursor: _Cursor) -> TransactionControl:
    cursor.expect("transaction")
    return TransactionControl("BEGIN", "START TRANSACTION", modes=_modes(cursor))


def _chain(cursor: _Cursor) -> bool:
    if cursor.accept("and", "no", "chain"):
        return False
    return cursor.accept("and", "chain")


def _commit(cursor: _Cursor) -> TransactionControl:
    if cursor.peek() == "prepared":
        raise _NotUtility
    _transaction_word(cursor)
    chain = _chain(cursor)
    cursor.end()
    return TransactionControl("COMMIT", "COMMIT", chain=chain)


def _rollback(cursor: _Cursor) -> TransactionControl:
    if cursor.peek() == "prepared":
        raise _NotUtility
    _transaction_word(cursor)
    if cursor.accept("to"):
        cursor.accept("savepoint")
        name = cursor.name()
        cursor.end()
        return TransactionControl("ROLLBACK TO", "ROLLBACK", savepoint=name)
    chain = _chain(cursor)
    cursor.end()
    return TransactionControl("ROLLBACK", "ROLLBACK", chain=chain)


def _savepoint(cursor: _Cursor) -> TransactionControl:
    name = cursor.name()
    cursor.end()
    return TransactionControl("SAVEPOINT", "SAVEPOINT", savepoint=name)


def _release(cursor: _Cursor) -> TransactionControl:
    cursor.accept("savepoint")
    name = cursor.name()
    cursor.end()
    return TransactionControl("RELEASE", "RELEASE", savepoint=name)


def _setting_name(cursor: _Cursor) -> str:
    for words, name in _SPECIAL_NAMES.items():
        if cursor.accept(*words):
            return name
    return cursor.name()


def _show(cursor: _Cursor) -> Show:
    if cursor.accept("all"):
        cursor.end()
        return Show(None)
    name = _setting_name(cursor)
    cursor.end()
    return Show(name)


def _reset(cursor: _Cursor) -> Reset:
    if cursor.accept("all"):
        cursor.end()
        return Reset(None)
    name = _setting_name(cursor)
    cursor.end()
    return Reset(name)


def _set_value(cursor: _Cursor) -> SetValue:
    token = cursor.take()
    negative = False
    if token.kind is TokenKind.OP and token.text in ("-", "+"):
        negative = token.text == "-"
        token = cursor.take()
        if token.kind not in (TokenKind.INTEGER, TokenKind.NUMERIC):
            raise _NotUtility
    if token.kind in (TokenKind.INTEGER, TokenKind.NUMERIC):
        return SetValue("number", ("-" if negative else "") + token.text)
    if token.kind is TokenKind.STRING:
        return SetValue("string", str(token.value))
    if token.kind in (TokenKind.IDENT, TokenKind.QIDENT):
        return SetValue("ident", str(token.value))
    raise _NotUtility


def _set_values(cursor: _Cursor) -> tuple[SetValue, ...] | None:
    if cursor.accept("default"):
        cursor.end()
        return None
    values = [_set_value(cursor)]
    while cursor.accept_punct(","):
        values.append(_set_value(cursor))
    cursor.end()
    return tuple(values)


def _time_zone_value(cursor: _Cursor) -> tuple[SetValue, ...] | None:
    if cursor.accept("local") or cursor.accept("default"):
        cursor.end()
        return None
    if cursor.accept("interval"):
        token = cursor.take()
        if token.kind is not TokenKind.STRING:
            raise _NotUtility
        text = str(token.value).strip()
        while not cursor.at_end():  # "hour to minute" and the like qualify the literal only
            cursor.take()
        sign = -1 if text.startswith("-") else 1
        hours, _, minutes = text.lstrip("+-").partition(":")
        try:
            offset = sign * (int(hours) + int(minutes.partition(":")[0] or 0) / 60)
        except ValueError:
            raise _NotUtility from None
        return (SetValue("string", offset_zone_name(offset)),)
    value = _set_value(cursor)
    cursor.end()
    return (value,)


def _set(cursor: _Cursor) -> UtilityStatement:
    local = cursor.accept("local")
    if not local:
        if cursor.accept("session", "characteristics", "as", "transaction"):
            return SetTransaction(_modes(cursor), session_characteristics=True)
        cursor.accept("session")
    if cursor.accept("transaction"):
        return SetTransaction(_modes(cursor))
    if cursor.accept("constraints"):
        return NoOperation("SET CONSTRAINTS")
    if cursor.accept("time", "zone"):
        return SetVariable("TimeZone", _time_zone_value(cursor), local)
    if cursor.accept("names"):
        return SetVariable("client_encoding", _set_values(cursor), local)
    if cursor.accept("schema"):
        return SetVariable("search_path", _set_values(cursor), local)
    if cursor.accept("xml", "option"):
        return SetVariable("xmloption", _set_values(cursor), local)
    if cursor.accept("session", "authorization"):
        return SetVariable("session_authorization", _set_values(cursor), local)
    if cursor.accept("role"):
        values = _set_values(cursor)
        return SetVariable("role", values, local)
    name = cursor.name()
    if not (cursor.accept("to") or cursor.accept_punct("=")):
        raise _NotUtility
    return SetVariable(name, _set_values(cursor), local)


def _discard(cursor: _Cursor) -> Discard:
    for word, what in (("all", "ALL"), ("plans", "PLANS"), ("sequences", "SEQUENCES"),
                       ("temp", "TEMP"), ("temporary", "TEMP")):  # fmt: skip
        if cursor.accept(word):
            cursor.end()
            return Discard(what)
    raise _NotUtility


def _deallocate(cursor: _Cursor) -> Deallocate:
    cursor.accept("prepare")
    if cursor.accept("all"):
        cursor.end()
        return Deallocate(None)
    name = cursor.name()
    cursor.end()
    return Deallocate(name)


_PARSERS = {
    "begin": _begin,
    "start": _start,
    "commit": _commit,
    "end": _commit,
    "rollback": _rollback,
    "abort": _rollback,
    "savepoint": _savepoint,
    "release": _release,
    "show": _show,
    "reset": _reset,
    "set": _set,
    "discard": _discard,
    "deallocate": _deallocate,
}
