"""`parse_utility`: parse the utility statements the server implements itself.

The grammar followed is PostgreSQL's (the "SQL Commands" reference pages of SET, SHOW, RESET,
BEGIN, START TRANSACTION, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE SAVEPOINT, ROLLBACK
TO SAVEPOINT, PREPARE TRANSACTION, COMMIT/ROLLBACK PREPARED, SET TRANSACTION, SET CONSTRAINTS,
DISCARD, LISTEN, UNLISTEN, NOTIFY, PREPARE, EXECUTE, DEALLOCATE, DECLARE, FETCH, MOVE, CLOSE
and COPY), including the synonyms and optional noise words, so that whatever a driver sends
either parses into the same object PostgreSQL would act on, or raises `SqlSyntaxError` at the
token PostgreSQL would complain about.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from .classify import classify
from .errors import SqlSyntaxError
from .expressions import type_name
from .lexer import TokenKind, tokenize
from .literals import value_of
from .queries import table_name
from .statement_info import Expression, TableRef, Value
from .token_list import TokenList
from .utility_statements import (
    CloseStatement,
    CopyStatement,
    DeallocateStatement,
    DeclareCursorStatement,
    DiscardStatement,
    ExecuteStatement,
    FetchStatement,
    ListenStatement,
    NotifyStatement,
    PrepareStatement,
    ResetStatement,
    SetConstraintsStatement,
    SetStatement,
    SetTransactionStatement,
    ShowStatement,
    TransactionStatement,
    UnlistenStatement,
    UtilityStatement,
)

__all__ = ["parse_utility"]

_ISOLATION_LEVELS = {
    ("serializable",): "serializable",
    ("repeatable", "read"): "repeatable read",
    ("read", "committed"): "read committed",
    ("read", "uncommitted"): "read uncommitted",
}
# Multi-word names of SHOW/RESET and the setting they mean.
_SPECIAL_NAMES = {
    ("time", "zone"): "timezone",
    ("transaction", "isolation", "level"): "transaction_isolation",
    ("session", "authorization"): "session_authorization",
}
_DISCARD_TARGETS = {"all": "ALL", "plans": "PLANS", "sequences": "SEQUENCES"}
_DISCARD_TARGETS |= {"temp": "TEMP", "temporary": "TEMP"}
_FETCH_WORDS = {
    "next": ("FORWARD", 1),
    "prior": ("BACKWARD", 1),
    "first": ("ABSOLUTE", 1),
    "last": ("ABSOLUTE", -1),
    "all": ("FORWARD", None),
}
_OLD_COPY_FLAGS: dict[str, tuple[str, str | None]] = {
    "binary": ("format", "binary"),
    "csv": ("format", "csv"),
    "freeze": ("freeze", None),
    "header": ("header", None),
}
_OLD_COPY_VALUES = frozenset({"delimiter", "null", "quote", "escape", "encoding"})
_NOISE = frozenset({"work", "transaction"})
_INTERVAL_FIELDS = frozenset({"year", "month", "day", "hour", "minute", "second", "to"})


class _Reader:
    """A cursor over the tokens of one utility statement."""

    def __init__(self, tl: TokenList) -> None:
        self.tl = tl
        self.pos = 0
        self.end = len(tl.tokens)
        while self.end > 0 and tl.is_punct(self.end - 1, ";"):
            self.end -= 1

    def kw(self, offset: int = 0) -> str:
        index = self.pos + offset
        return self.tl.kw(index) if index < self.end else ""

    def accept(self, *words: str) -> bool:
        """Consume ``words`` if the next tokens are exactly those keywords."""
        if all(self.kw(offset) == word for offset, word in enumerate(words)):
            self.pos += len(words)
            return True
        return False

    def accept_any(self, words: Collection[str]) -> str:
        """Consume and return the next keyword if it is one of ``words``, else ""."""
        word = self.kw()
        if word and word in words:
            self.pos += 1
            return word
        return ""

    def expect(self, *words: str) -> None:
        if not self.accept(*words):
            raise self.error()

    def at_end(self) -> bool:
        return self.pos >= self.end

    def finish(self) -> None:
        if not self.at_end():
            raise self.error()

    def error(self) -> SqlSyntaxError:
        if self.pos >= len(self.tl.tokens):
            return SqlSyntaxError("syntax error at end of input", len(self.tl.sql) + 1)
        token = self.tl.tokens[self.pos]
        return SqlSyntaxError(f'syntax error at or near "{token.text}"', token.start + 1)

    def name(self) -> str:
        """An identifier, quoted or not."""
        if self.at_end() or not self.tl.is_name(self.pos):
            raise self.error()
        self.pos += 1
        return str(self.tl.tokens[self.pos - 1].value)

    def dotted_name(self) -> str:
        """``name[.name...]`` joined with dots (setting names)."""
        parts = [self.name()]
        while self.pos < self.end and self.tl.is_punct(self.pos, "."):
            self.pos += 1
            parts.append(self.name())
        return ".".join(parts)

    def string(self) -> str:
        if self.at_end() or self.tl.tokens[self.pos].kind is not TokenKind.STRING:
            raise self.error()
        self.pos += 1
        return str(self.tl.tokens[self.pos - 1].value)

    def name_or_string(self) -> str:
        if not self.at_end() and self.tl.tokens[self.pos].kind is TokenKind.STRING:
            return self.string()
        return self.name()

    def signed_integer(self) -> int | None:
        """An optionally signed integer constant, or None (nothing consumed) if there is none."""
        tokens = self.tl.tokens
        sign = 1
        index = self.pos
        if index < self.end and tokens[index].kind is TokenKind.OP:
            if tokens[index].text not in ("-", "+"):
                return None
            sign = -1 if tokens[index].text == "-" else 1
            index += 1
        if index >= self.end or tokens[index].kind is not TokenKind.INTEGER:
            return None
        self.pos = index + 1
        return sign * int(tokens[index].value)  # type: ignore[call-overload]

    def rest(self) -> str:
        """The source text from the current token to the end of the statement."""
        return self.tl.text(self.pos, self.end)


def _transaction_modes(reader: _Reader) -> tuple[str | None, bool | None, bool | None]:
    """``ISOLATION LEVEL ... | READ ONLY | READ WRITE | [NOT] DEFERRABLE``, comma-separated
    or not; return (isolation, read_only, deferrable)."""
    isolation = None
    read_only = deferrable = None
    while not reader.at_end():
        if reader.accept("isolation", "level"):
            for words, level in _ISOLATION_LEVELS.items():
                if reader.accept(*words):
                    isolation = level
                    break
            else:
                raise reader.error()
        elif reader.accept("read", "only"):
            read_only = True
        elif reader.accept("read", "write"):
            read_only = False
        elif reader.accept("deferrable"):
            deferrable = True
        elif reader.accept("not", "deferrable"):
            deferrable = False
        else:
            raise reader.error()
        if reader.tl.is_punct(reader.pos, ",") and reader.pos + 1 < reader.end:
            reader.pos += 1
    return isolation, read_only, deferrable


def _set_value(reader: _Reader) -> str:
    """One value of a SET list, flattened the way PostgreSQL does."""
    tl = reader.tl
    if reader.at_end():
        raise reader.error()
    token = tl.tokens[reader.pos]
    if token.kind is TokenKind.OP and token.text in ("-", "+"):
        number = tl.tokens[reader.pos + 1] if reader.pos + 1 < reader.end else None
        if number is None or number.kind not in (TokenKind.INTEGER, TokenKind.NUMERIC):
            raise reader.error()
        reader.pos += 2
        text = str(number.value) if number.kind is TokenKind.INTEGER else number.text
        return "-" + text if token.text == "-" else text
    if token.kind is TokenKind.INTEGER:
        reader.pos += 1
        return str(token.value)
    if token.kind is TokenKind.NUMERIC:
        reader.pos += 1
        return token.text
    return reader.name_or_string()


def _set(reader: _Reader) -> UtilityStatement:
    reader.expect("set")
    local = bool(reader.accept_any(frozenset({"local"})))
    if (
        not local
        and reader.kw() == "session"
        and reader.kw(1)
        not in (
            "authorization",
            "characteristics",
        )
    ):
        reader.pos += 1
    if reader.accept("transaction", "snapshot"):
        return _finish(reader, SetStatement("transaction_snapshot", (reader.string(),), local))
    session = reader.accept("session", "characteristics", "as", "transaction")
    if session or reader.accept("transaction"):
        isolation, read_only, deferrable = _transaction_modes(reader)
        return SetTransactionStatement(isolation, read_only, deferrable, session)
    if reader.accept("constraints"):
        names = None if reader.accept("all") else tuple(_comma_list(reader, reader.dotted_name))
        mode = reader.accept_any(frozenset({"deferred", "immediate"}))
        if not mode:
            raise reader.error()
        return _finish(reader, SetConstraintsStatement(names, mode == "deferred"))
    special = _set_special(reader, local)
    if special is not None:
        return _finish(reader, special)
    name = reader.dotted_name()
    if reader.accept("from", "current"):
        return _finish(reader, SetStatement(name, (), local, from_current=True))
    if not (reader.accept("to") or _accept_op(reader, "=")):
        raise reader.error()
    if reader.accept("default"):
        return _finish(reader, SetStatement(name, (), local, is_default=True))
    values = _comma_list(reader, lambda: _set_value(reader))
    return _finish(reader, SetStatement(name, tuple(values), local))


def _set_special(reader: _Reader, local: bool) -> SetStatement | None:
    """SET TIME ZONE / NAMES / SCHEMA / ROLE / SESSION AUTHORIZATION / XML OPTION."""
    if reader.accept("time", "zone"):
        if reader.accept("local") or reader.accept("default"):
            return SetStatement("timezone", (), local, is_default=True)
        if reader.accept("interval"):
            value = reader.string()
            while reader.accept_any(_INTERVAL_FIELDS):
                pass
            if reader.tl.opens_group(reader.pos):
                reader.pos = reader.tl.next(reader.pos)
            return SetStatement("timezone", (value,), local)
        return SetStatement("timezone", (_set_value(reader),), local)
    if reader.accept("names"):
        if reader.at_end() or reader.accept("default"):
            return SetStatement("client_encoding", (), local, is_default=True)
        return SetStatement("client_encoding", (reader.name_or_string(),), local)
    if reader.accept("schema"):
        return SetStatement("search_path", (reader.string(),), local)
    if reader.kw() == "role" and reader.pos + 1 < reader.end:
        if reader.kw(1) != "to" and not reader.tl.is_op(reader.pos + 1, "="):
            reader.pos += 1
            return SetStatement("role", (reader.name_or_string(),), local)
    if reader.accept("session", "authorization"):
        if reader.accept("default"):
            return SetStatement("session_authorization", (), local, is_default=True)
        return SetStatement("session_authorization", (reader.name_or_string(),), local)
    if reader.accept("xml", "option"):
        option = reader.accept_any(frozenset({"document", "content"}))
        if not option:
            raise reader.error()
        return SetStatement("xmloption", (option,), local)
    return None


def _accept_op(reader: _Reader, text: str) -> bool:
    if reader.pos < reader.end and reader.tl.is_op(reader.pos, text):
        reader.pos += 1
        return True
    return False


def _comma_list(reader: _Reader, item: Callable[[], str]) -> list[str]:
    items = [item()]
    while reader.pos < reader.end and reader.tl.is_punct(reader.pos, ","):
        reader.pos += 1
        items.append(item())
    return items


def _finish(reader: _Reader, statement: UtilityStatement) -> UtilityStatement:
    reader.finish()
    return statement


def _setting_name(reader: _Reader) -> str:
    """The name after SHOW or RESET."""
    for words, name in _SPECIAL_NAMES.items():
        if reader.accept(*words):
            return name
    if reader.accept("all"):
        return "all"
    return reader.dotted_name()


def _show(reader: _Reader) -> UtilityStatement:
    reader.expect("show")
    return _finish(reader, ShowStatement(_setting_name(reader)))


def _reset(reader: _Reader) -> UtilityStatement:
    reader.expect("reset")
    return _finish(reader, ResetStatement(_setting_name(reader)))


def _begin(reader: _Reader) -> UtilityStatement:
    start = reader.accept("start", "transaction")
    if not start:
        reader.expect("begin")
        reader.accept_any(_NOISE)
    isolation, read_only, deferrable = _transaction_modes(reader)
    return TransactionStatement("BEGIN", isolation, read_only, deferrable, start_transaction=start)


def _chain(reader: _Reader) -> bool:
    """``[AND [NO] CHAIN]``."""
    if not reader.accept("and"):
        return False
    chain = not reader.accept("no")
    reader.expect("chain")
    return chain


def _commit(reader: _Reader) -> UtilityStatement:
    if reader.accept("commit", "prepared"):
        return _finish(reader, TransactionStatement("COMMIT PREPARED", gid=reader.string()))
    if not reader.accept_any(frozenset({"commit", "end"})):
        raise reader.error()
    reader.accept_any(_NOISE)
    return _finish(reader, TransactionStatement("COMMIT", chain=_chain(reader)))


def _rollback(reader: _Reader) -> UtilityStatement:
    if reader.accept("rollback", "prepared"):
        return _finish(reader, TransactionStatement("ROLLBACK PREPARED", gid=reader.string()))
    first = reader.accept_any(frozenset({"rollback", "abort"}))
    if not first:
        raise reader.error()
    reader.accept_any(_NOISE)
    if first == "rollback" and reader.accept("to"):
        reader.accept("savepoint")
        return _finish(reader, TransactionStatement("ROLLBACK TO", savepoint=reader.name()))
    return _finish(reader, TransactionStatement("ROLLBACK", chain=_chain(reader)))


def _savepoint(reader: _Reader) -> UtilityStatement:
    reader.expect("savepoint")
    return _finish(reader, TransactionStatement("SAVEPOINT", savepoint=reader.name()))


def _release(reader: _Reader) -> UtilityStatement:
    reader.expect("release")
    reader.accept("savepoint")
    return _finish(reader, TransactionStatement("RELEASE", savepoint=reader.name()))


def _prepare_transaction(reader: _Reader) -> UtilityStatement:
    reader.expect("prepare", "transaction")
    return _finish(reader, TransactionStatement("PREPARE TRANSACTION", gid=reader.string()))


def _discard(reader: _Reader) -> UtilityStatement:
    reader.expect("discard")
    target = reader.accept_any(_DISCARD_TARGETS)
    if not target:
        raise reader.error()
    return _finish(reader, DiscardStatement(_DISCARD_TARGETS[target]))


def _listen(reader: _Reader) -> UtilityStatement:
    reader.expect("listen")
    return _finish(reader, ListenStatement(reader.name()))


def _unlisten(reader: _Reader) -> UtilityStatement:
    reader.expect("unlisten")
    if _accept_op(reader, "*"):
        return _finish(reader, UnlistenStatement(None))
    return _finish(reader, UnlistenStatement(reader.name()))


def _notify(reader: _Reader) -> UtilityStatement:
    reader.expect("notify")
    channel = reader.name()
    payload = None
    if reader.pos < reader.end and reader.tl.is_punct(reader.pos, ","):
        reader.pos += 1
        payload = reader.string()
    return _finish(reader, NotifyStatement(channel, payload))


def _deallocate(reader: _Reader) -> UtilityStatement:
    reader.expect("deallocate")
    reader.accept("prepare")
    if reader.accept("all"):
        return _finish(reader, DeallocateStatement(None))
    return _finish(reader, DeallocateStatement(reader.name()))


def _prepare(reader: _Reader) -> UtilityStatement:
    tl = reader.tl
    reader.expect("prepare")
    name = reader.name()
    types: list[str] = []
    if tl.opens_group(reader.pos):
        close = tl.partner[reader.pos]
        for start, end in tl.split(reader.pos + 1, close):
            type_end, type_, is_array = type_name(tl, start, end)
            if type_end != end:
                raise SqlSyntaxError(
                    f'syntax error at or near "{tl.tokens[type_end].text}"',
                    tl.tokens[type_end].start + 1,
                )
            types.append("_" + type_ if is_array else type_)
        reader.pos = close + 1
    reader.expect("as")
    if reader.at_end():
        raise reader.error()
    return PrepareStatement(name, tuple(types), reader.rest())


def _execute(reader: _Reader) -> UtilityStatement:
    tl = reader.tl
    reader.expect("execute")
    name = reader.name()
    args: tuple[Value, ...] = ()
    if tl.opens_group(reader.pos):
        close = tl.partner[reader.pos]
        items = tl.split(reader.pos + 1, close)
        if tl.too_deep:  # too deep to evaluate: keep the arguments as text
            args = tuple(Expression(tl.text(*item)) for item in items)
        else:
            args = tuple(value_of(tl, *item) for item in items)
        reader.pos = close + 1
    return _finish(reader, ExecuteStatement(name, args))


def _declare(reader: _Reader) -> UtilityStatement:
    reader.expect("declare")
    name = reader.name()
    binary = insensitive = False
    scroll = None
    while not reader.accept("cursor"):
        if reader.accept("binary"):
            binary = True
        elif reader.accept("insensitive"):
            insensitive = True
        elif reader.accept("asensitive"):
            pass
        elif reader.accept("scroll"):
            scroll = True
        elif reader.accept("no", "scroll"):
            scroll = False
        else:
            raise reader.error()
    hold = reader.accept("with", "hold")
    if not hold:
        reader.accept("without", "hold")
    reader.expect("for")
    if reader.at_end():
        raise reader.error()
    return DeclareCursorStatement(name, reader.rest(), binary, scroll, hold, insensitive)


def _fetch(reader: _Reader) -> UtilityStatement:
    kind = reader.accept_any(frozenset({"fetch", "move"})).upper()
    direction, count = "FORWARD", 1
    remaining = reader.end - reader.pos
    word = reader.kw()
    if remaining > 1 or reader.tl.kw(reader.pos + 1) in ("from", "in"):
        if word in _FETCH_WORDS:
            reader.pos += 1
            direction, count = _FETCH_WORDS[word]  # type: ignore[assignment]
        elif word in ("absolute", "relative"):
            reader.pos += 1
            direction = word.upper()
            count = reader.signed_integer()  # type: ignore[assignment]
            if count is None:
                raise reader.error()
        elif word in ("forward", "backward"):
            reader.pos += 1
            direction = word.upper()
            if reader.accept("all"):
                count = None  # type: ignore[assignment]
            else:
                number = reader.signed_integer()
                count = 1 if number is None else number
        else:
            number = reader.signed_integer()
            if number is not None:
                count = number
    reader.accept_any(frozenset({"from", "in"}))
    return _finish(reader, FetchStatement(kind, direction, count, reader.name()))


def _close(reader: _Reader) -> UtilityStatement:
    reader.expect("close")
    if reader.accept("all"):
        return _finish(reader, CloseStatement(None))
    return _finish(reader, CloseStatement(reader.name()))


def _copy_option_value(reader: _Reader) -> str | tuple[str, ...] | None:
    """The argument of a COPY option in the parenthesized syntax."""
    tl = reader.tl
    if reader.at_end() or tl.is_punct(reader.pos, ","):
        return None
    token = tl.tokens[reader.pos]
    if tl.opens_group(reader.pos):
        close = tl.partner[reader.pos]
        names = tuple(str(tl.tokens[s].value) for s, _ in tl.split(reader.pos + 1, close))
        reader.pos = close + 1
        return names
    if token.kind is TokenKind.OP and token.text == "*":
        reader.pos += 1
        return "*"
    return _set_value(reader)


def _copy_options(reader: _Reader) -> list[tuple[str, str | tuple[str, ...] | None]]:
    tl = reader.tl
    options: list[tuple[str, str | tuple[str, ...] | None]] = []
    reader.accept("with")
    if tl.opens_group(reader.pos):
        close = tl.partner[reader.pos]
        inner = _Reader(tl)
        for start, end in tl.split(reader.pos + 1, close):
            inner.pos, inner.end = start, end
            name = inner.name()
            options.append((name, _copy_option_value(inner)))
            inner.finish()
        reader.pos = close + 1
        return options
    while not reader.at_end() and reader.kw() != "where":
        word = reader.kw()
        if word in _OLD_COPY_FLAGS:
            reader.pos += 1
            options.append(_OLD_COPY_FLAGS[word])
        elif word in _OLD_COPY_VALUES:
            reader.pos += 1
            reader.accept("as")
            options.append((word, reader.string()))
        elif reader.accept("force", "quote"):
            star = _accept_op(reader, "*")
            value = "*" if star else tuple(_comma_list(reader, reader.name))
            options.append(("force_quote", value))
        elif reader.accept("force", "not", "null"):
            options.append(("force_not_null", tuple(_comma_list(reader, reader.name))))
        elif reader.accept("force", "null"):
            options.append(("force_null", tuple(_comma_list(reader, reader.name))))
        else:
            raise reader.error()
    return options


def _copy(reader: _Reader) -> UtilityStatement:
    tl = reader.tl
    reader.expect("copy")
    binary = reader.accept("binary")
    table: TableRef | None = None
    query = None
    columns: tuple[str, ...] = ()
    if tl.opens_group(reader.pos):
        close = tl.partner[reader.pos]
        query = tl.text(reader.pos + 1, close)
        reader.pos = close + 1
    else:
        reader.pos, table = table_name(tl, reader.pos, reader.end)
        if table is None:
            raise reader.error()
        if tl.opens_group(reader.pos):
            close = tl.partner[reader.pos]
            columns = tuple(str(tl.tokens[s].value) for s, _ in tl.split(reader.pos + 1, close))
            reader.pos = close + 1
    if query is not None and reader.kw() == "from":
        raise reader.error()  # a query can only be copied TO somewhere
    direction = reader.accept_any(frozenset({"from", "to"})).upper()
    if not direction:
        raise reader.error()
    program = reader.accept("program")
    filename = None
    if program or not reader.accept_any(frozenset({"stdin", "stdout"})):
        filename = reader.string()
    options = ([("format", "binary")] if binary else []) + _copy_options(reader)
    where = None
    if reader.accept("where"):
        where = reader.rest()
        reader.pos = reader.end
    reader.finish()
    return CopyStatement(table, columns, query, direction, filename, program, tuple(options), where)


_PARSERS: dict[str, Callable[[_Reader], UtilityStatement]] = {
    "SET": _set,
    "SET CONSTRAINTS": _set,
    "SHOW": _show,
    "RESET": _reset,
    "BEGIN": _begin,
    "COMMIT": _commit,
    "COMMIT PREPARED": _commit,
    "ROLLBACK": _rollback,
    "ROLLBACK TO": _rollback,
    "ROLLBACK PREPARED": _rollback,
    "SAVEPOINT": _savepoint,
    "RELEASE": _release,
    "PREPARE TRANSACTION": _prepare_transaction,
    "DISCARD": _discard,
    "LISTEN": _listen,
    "UNLISTEN": _unlisten,
    "NOTIFY": _notify,
    "DEALLOCATE": _deallocate,
    "PREPARE": _prepare,
    "EXECUTE": _execute,
    "DECLARE CURSOR": _declare,
    "FETCH": _fetch,
    "MOVE": _fetch,
    "CLOSE": _close,
    "COPY": _copy,
}


def parse_utility(sql: str, *, standard_conforming_strings: bool = True) -> UtilityStatement | None:
    """Parse one utility statement the server implements itself (see the module docstring);
    None if ``sql`` is some other statement (or empty).  Raises `SqlSyntaxError` for a utility
    statement that does not follow PostgreSQL's grammar."""
    tokens = tokenize(sql, standard_conforming_strings=standard_conforming_strings)
    if not tokens:
        return None
    tl = TokenList(sql, tokens)
    stmt_type, main = classify(tl)
    parser = _PARSERS.get(stmt_type)
    if parser is None or main != 0:
        return None
    return parser(_Reader(tl))
