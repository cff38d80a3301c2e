"""PostgreSQL's lexical rules: a tokenizer for the parser and scanning primitives for the splitter.

This follows the server's own scanner (chapter 4.1 "Lexical Structure" of the PostgreSQL manual,
as implemented by ``src/backend/parser/scan.l`` in PostgreSQL 15), not a generic SQL lexer, because
the details decide where a statement ends and what a literal means:

* ``'...'`` strings double a quote to escape it; a backslash is an ordinary character while
  ``standard_conforming_strings`` is on (the default, and what this server reports).
* ``E'...'`` strings take backslash escapes (octal and hex bytes, ``\\u``/``\\U`` code points).
* Two string constants separated by whitespace that contains a newline are one constant;
  the continuation keeps the escaping mode of the first part.
* ``U&'...'`` and ``U&"..."`` take Unicode escapes, with an optional ``UESCAPE 'c'``.
* ``B'...'``/``X'...'`` are bit strings, ``N'...'`` a national character string.
* ``$tag$...$tag$`` dollar quotes; ``$`` inside an identifier is part of it (``a$1``).
* ``--`` comments run to the end of the line; ``/* */`` comments nest.
* Identifiers fold ASCII letters to lower case and are truncated to 63 bytes; quoted ones keep
  their case.  ``1abc`` and ``$1abc`` are errors ("trailing junk"), as in PostgreSQL 15.

Every error is a `SqlSyntaxError` with PostgreSQL's message and a 1-based position.
"""

from __future__ import annotations

import enum
import re
from typing import NamedTuple

from .errors import SqlSyntaxError

__all__ = [
    "IDENT_CONT",
    "IDENT_CONT_CHAR",
    "IDENT_START",
    "MAX_IDENTIFIER_BYTES",
    "PARAMETER",
    "QUOTED_IDENTIFIER_BODY",
    "WHITESPACE",
    "Token",
    "TokenKind",
    "block_comment_end",
    "dollar_quote_end",
    "fold_identifier",
    "string_end",
    "tokenize",
]

#: PostgreSQL's whitespace characters (anything else, even U+00A0, is part of a token).
WHITESPACE = " \t\n\r\f\v"
#: NAMEDATALEN - 1: longer identifiers are truncated, as PostgreSQL does with a NOTICE.
MAX_IDENTIFIER_BYTES = 63

#: Regular-expression character classes (without brackets) of identifier characters.
IDENT_START = "A-Za-z_\x80-\U0010ffff"
IDENT_CONT = "A-Za-z_0-9$\x80-\U0010ffff"
_DOLLAR_TAG_CONT = "A-Za-z_0-9\x80-\U0010ffff"

_STANDARD_STRING_BODY = re.compile(r"(?:[^']++|'')*+'")
_ESCAPE_STRING_BODY = re.compile(r"(?:[^'\\]++|\\.|'')*+'", re.S)
QUOTED_IDENTIFIER_BODY = re.compile(r'(?:[^"]++|"")*+"')
_DOLLAR_DELIMITER = re.compile(rf"\$(?:[{IDENT_START}][{_DOLLAR_TAG_CONT}]*+)?\$")
PARAMETER = re.compile(r"\$([0-9]++)")
_IDENT_START_CHAR = re.compile(rf"[{IDENT_START}]")
IDENT_CONT_CHAR = re.compile(rf"[{IDENT_CONT}]")
# A quote, whitespace containing at least one newline (comments allowed), another quote.
_STRING_CONTINUATION = re.compile(
    r"(?:[ \t\f\v]|--[^\n\r]*+)*+[\n\r](?:[ \t\n\r\f\v]|--[^\n\r]*+[\n\r])*+'"
)
_COMMENT_DELIMITER = re.compile(r"/\*|\*/")
_GAP = re.compile(r"(?:[ \t\n\r\f\v]++|--[^\n\r]*+)*+")
_NEXT_TOKEN = re.compile(
    rf"""
    (?:[ \t\n\r\f\v]++|--[^\n\r]*+)*+
    (?:
        (?P<ident>[{IDENT_START}][{IDENT_CONT}]*+)
      | (?P<number>(?:[0-9]++(?:\.(?!\.)[0-9]*+)?|\.[0-9]++)(?:[eE][-+]?[0-9]++)?)
      | (?P<punct>::|:=|\.\.|[()\[\],;:.])
      | (?P<op>[~!@\#^&|`?+\-*/%<>=]++)
      | (?P<special>['"$])
      | (?P<other>.)
    )?
    """,
    re.X | re.S,
)
_OPERATOR_KEEPS_TRAILING_SIGN = frozenset("~!@#^&|`?%")
_MAX_INT8 = 2**63 - 1
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_E_ESCAPE = re.compile(
    r"\\(?:([0-7]{1,3})|x([0-9A-Fa-f]{1,2})|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|([uU])|(.))",
    re.S,
)
_SIMPLE_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class TokenKind(enum.StrEnum):
    """What a `Token` is; the meaning of `Token.value` depends on it."""

    IDENT = "ident"  #: unquoted identifier or keyword; value = folded name
    QIDENT = "qident"  #: "quoted identifier"; value = the name
    STRING = "string"  #: character string constant; value = the decoded text
    BITSTRING = "bitstring"  #: B'0101' or X'1f'; value = the digits as written
    INTEGER = "integer"  #: an integer that fits in bigint; value = int
    NUMERIC = "numeric"  #: decimal, exponent form or a larger integer; value = the text
    PARAM = "param"  #: $n; value = n
    OP = "op"  #: operator (``=``, ``<>``, ``*``, ``||``, ``=>`` ...); value = text
    PUNCT = "punct"  #: one of ``( ) [ ] , ; . : :: := ..``; value = text


class Token(NamedTuple):
    """One token: its kind, source text, ``[start, end)`` offsets and decoded value."""

    kind: TokenKind
    text: str
    start: int
    end: int
    value: object

    @property
    def keyword(self) -> str:
        """The lower-case word of an unquoted identifier (``""`` for any other token), for
        comparing against keywords: a quoted identifier is never a keyword."""
        return self.value if self.kind is TokenKind.IDENT else ""  # type: ignore[return-value]


def fold_identifier(name: str, quoted: bool = False) -> str:
    """Fold an identifier the way PostgreSQL does: ASCII letters lower-cased unless quoted,
    then truncated to 63 bytes."""
    if not quoted:
        name = name.lower() if name.isascii() else name.translate(_ASCII_LOWER)
    if len(name) > MAX_IDENTIFIER_BYTES // 4:  # could be longer than 63 bytes
        raw = name.encode("utf-8", "surrogatepass")
        if len(raw) > MAX_IDENTIFIER_BYTES:
            name = raw[:MAX_IDENTIFIER_BYTES].decode("utf-8", "ignore")
    return name


def block_comment_end(sql: str, start: int) -> int:
    """Offset just after the (nested) block comment opening at ``start``, or -1 if unclosed."""
    depth = 1
    pos = start + 2
    while True:
        match = _COMMENT_DELIMITER.search(sql, pos)
        if match is None:
            return -1
        pos = match.end()
        if match.group() == "/*":
            depth += 1
        else:
            depth -= 1
            if depth == 0:
                return pos


def string_end(
    sql: str, quote: int, escapes: bool, pieces: list[tuple[int, str]] | None = None
) -> int:
    """Offset just after the string constant whose opening quote is at ``quote``, following
    newline continuations; -1 if unterminated.  With ``escapes`` a backslash escapes the next
    character (E'' strings).  The raw bodies of the parts are appended to ``pieces`` with
    their offsets."""
    body = _ESCAPE_STRING_BODY if escapes else _STANDARD_STRING_BODY
    pos = quote + 1
    while True:
        match = body.match(sql, pos)
        if match is None:
            return -1
        end = match.end()
        if pieces is not None:
            pieces.append((pos, sql[pos : end - 1]))
        continuation = _STRING_CONTINUATION.match(sql, end)
        if continuation is None:
            return end
        pos = continuation.end()


def dollar_quote_end(sql: str, start: int) -> tuple[int, int]:
    """For a ``$`` at ``start`` that opens a dollar quote, return (end of the opening delimiter,
    end of the closing one or -1 if unterminated); (-1, -1) if it does not open one."""
    match = _DOLLAR_DELIMITER.match(sql, start)
    if match is None:
        return -1, -1
    close = sql.find(match.group(), match.end())
    if close < 0:
        return match.end(), -1
    return match.end(), close + len(match.group())


def _error(message: str, sql: str, start: int, end: int | None = None) -> SqlSyntaxError:
    """PostgreSQL's ``<message> at or near "<text>"`` for the text from ``start`` to ``end``
    (to the end of the input when ``end`` is None, as for unterminated literals)."""
    return SqlSyntaxError(f'{message} at or near "{sql[start:end]}"', start + 1)


def _operator_tokens(text: str) -> tuple[str, list[str]]:
    """Split a run of operator characters the way PostgreSQL's scanner does.

    An embedded comment start ends the run, and trailing ``+``/``-`` are split off unless the
    operator has one of the characters that allow them; the split-off signs then become
    one-character operators each (rescanning them, as the server does, would be quadratic).
    Returns (the run without any comment, its operators).
    """
    for marker in ("/*", "--"):
        cut = text.find(marker)
        if cut >= 0:
            text = text[:cut]
    operator = text
    if len(text) > 1 and text[-1] in "+-":
        if not any(char in _OPERATOR_KEEPS_TRAILING_SIGN for char in text[:-1]):
            operator = text.rstrip("+-") or text[0]
    return text, [operator, *text[len(operator) :]] if text else []


class _CodePoints:
    """Turns escaped code points into text, pairing UTF-16 surrogates as PostgreSQL does.
    Errors name the offending text (``near``) the way PostgreSQL does for E'' strings."""

    def __init__(self, with_near: bool) -> None:
        self.high_surrogate = 0
        self.with_near = with_near

    def _error(self, message: str, at: int, near: str) -> SqlSyntaxError:
        if self.with_near:
            message = f'{message} at or near "{near}"'
        return SqlSyntaxError(message, at + 1)

    def text(self, code: int, at: int, near: str) -> str:
        """The character for ``code`` (escaped as ``near`` at offset ``at``), "" while a
        surrogate pair is open."""
        if self.high_surrogate:
            if not 0xDC00 <= code <= 0xDFFF:
                raise self._error("invalid Unicode surrogate pair", at, near)
            code = 0x10000 + ((self.high_surrogate - 0xD800) << 10) + (code - 0xDC00)
            self.high_surrogate = 0
        elif 0xD800 <= code <= 0xDBFF:
            self.high_surrogate = code
            return ""
        elif 0xDC00 <= code <= 0xDFFF:
            raise self._error("invalid Unicode surrogate pair", at, near)
        if code == 0 or code > 0x10FFFF:
            raise self._error("invalid Unicode escape value", at, near)
        return chr(code)

    def close(self, at: int, near: str) -> None:
        """``near``, at offset ``at``, is not the second half of an open surrogate pair."""
        if self.high_surrogate:
            raise self._error("invalid Unicode surrogate pair", at, near)


def _invalid_utf8(data: bytes | bytearray, start: int) -> str:
    """PostgreSQL's description of the bad byte sequence at ``data[start]``: as many bytes as
    the lead byte announces."""
    lead = data[start]
    length = 2 if 0xC0 <= lead < 0xE0 else 3 if 0xE0 <= lead < 0xF0 else 4 if lead >= 0xF0 else 1
    bad = " ".join(f"0x{byte:02x}" for byte in data[start : start + length])
    return f'invalid byte sequence for encoding "UTF8": {bad}'


def _decode_escape_string(pieces: list[tuple[int, str]], start: int) -> str:
    """Decode the bodies (with their offsets) of an E'' string starting at ``start``:
    backslash escapes produce bytes or code points, and the result must be valid UTF-8."""
    out = bytearray()
    code_points = _CodePoints(with_near=True)
    for offset, piece in pieces:
        pos = 0
        for match in _E_ESCAPE.finditer(piece):
            literal = piece[pos : match.start()]
            if literal:
                code_points.close(offset + pos, literal[0])
                out += literal.replace("''", "'").encode("utf-8", "surrogatepass")
            pos = match.end()
            octal, hexa, short, long, bad_unicode, char = match.groups()
            at = offset + match.start()
            if bad_unicode:
                raise SqlSyntaxError("invalid Unicode escape", at + 1)
            if short or long:
                code = int(short or long, 16)
                out += code_points.text(code, at, match.group()).encode("utf-8")
                continue
            code_points.close(at, match.group())
            if octal is not None:
                out.append(int(octal, 8) & 0xFF)
            elif hexa is not None:
                out.append(int(hexa, 16))
            else:
                out += _SIMPLE_ESCAPES.get(char, char).encode("utf-8", "surrogatepass")
        if pos < len(piece):
            code_points.close(offset + pos, piece[pos])
            out += piece[pos:].replace("''", "'").encode("utf-8", "surrogatepass")
        code_points.close(offset + len(piece), "'")
    if 0 in out:
        raise SqlSyntaxError(_invalid_utf8(out, out.index(0)), start + 1)
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SqlSyntaxError(_invalid_utf8(out, exc.start), start + 1) from exc


def _decode_unicode_escapes(body: str, escape: str, offset: int) -> str:
    """Decode the body (at ``offset``) of a U&'' string or U&"" identifier whose escape
    character is ``escape``."""
    out: list[str] = []
    code_points = _CodePoints(with_near=False)
    pos = 0
    length = len(body)
    while pos < length:
        char = body[pos]
        if char != escape:
            code_points.close(offset + pos, char)
            out.append(char)
            pos += 1
            continue
        if body.startswith(escape, pos + 1):
            code_points.close(offset + pos, escape)
            out.append(escape)
            pos += 2
            continue
        digits = 6 if body.startswith("+", pos + 1) else 4
        first = pos + 1 + (digits == 6)
        hex_digits = body[first : first + digits]
        if len(hex_digits) != digits or not all(c in "0123456789abcdefABCDEF" for c in hex_digits):
            raise SqlSyntaxError("invalid Unicode escape", offset + pos + 1)
        out.append(code_points.text(int(hex_digits, 16), offset + pos, ""))
        pos = first + digits
    code_points.close(offset + length, "")
    return "".join(out)


def _unicode_escape_char(sql: str, pos: int) -> tuple[str, int]:
    """Look for ``UESCAPE 'c'`` after a U& literal ending at ``pos``; return the escape
    character and the offset after the clause (``\\`` and ``pos`` when there is none)."""
    after_gap = _GAP.match(sql, pos).end()  # type: ignore[union-attr]
    if sql[after_gap : after_gap + 7].upper() != "UESCAPE":
        return "\\", pos
    if IDENT_CONT_CHAR.match(sql, after_gap + 7):
        return "\\", pos
    quote = _GAP.match(sql, after_gap + 7).end()  # type: ignore[union-attr]
    end = string_end(sql, quote, False) if sql.startswith("'", quote) else -1
    body = sql[quote + 1 : end - 1] if end > 0 else ""
    if len(body) != 1 or body in "0123456789abcdefABCDEF+'\" \t\n\r\f\v":
        where = quote if end > 0 else after_gap
        raise _error("invalid Unicode escape character", sql, where, end if end > 0 else None)
    return body, end


class _Tokenizer:
    """Turns one SQL text into a list of tokens (comments and whitespace dropped)."""

    def __init__(self, sql: str, standard_conforming_strings: bool) -> None:
        self.sql = sql
        self.scs = standard_conforming_strings
        self.tokens: list[Token] = []

    def run(self) -> list[Token]:
        sql = self.sql
        length = len(sql)
        pos = 0
        append = self.tokens.append
        while pos < length:
            match = _NEXT_TOKEN.match(sql, pos)
            assert match is not None  # the pattern can always match the empty string
            kind = match.lastgroup
            if kind is None:
                break
            text = match.group(kind)
            end = match.end()
            start = end - len(text)
            if kind == "ident":
                if end - start == 1 and end < length and sql[end] in "'&":
                    prefixed = self._prefixed_literal(start, end)
                    if prefixed is not None:
                        pos = prefixed
                        continue
                if text.isascii() and len(text) <= MAX_IDENTIFIER_BYTES:
                    value = text.lower()
                else:
                    value = fold_identifier(text)
                append(Token(TokenKind.IDENT, text, start, end, value))
            elif kind == "number":
                if _IDENT_START_CHAR.match(sql, end):
                    junk_end = end + 1
                    while junk_end < length and IDENT_CONT_CHAR.match(sql, junk_end):
                        junk_end += 1
                    near = sql[start:junk_end]
                    message = f'trailing junk after numeric literal at or near "{near}"'
                    raise SqlSyntaxError(message, start + 1)
                digits = text.lstrip("0")
                if text.isdigit() and (
                    len(digits) < 19 or (len(digits) == 19 and int(digits) <= _MAX_INT8)
                ):
                    append(Token(TokenKind.INTEGER, text, start, end, int(digits or "0")))
                else:  # like PostgreSQL: beyond bigint, an integer constant is numeric
                    append(Token(TokenKind.NUMERIC, text, start, end, text))
            elif kind == "punct":
                append(Token(TokenKind.PUNCT, text, start, end, text))
            elif kind == "op":
                text, operators = _operator_tokens(text)
                if not text:  # the operator run started with a comment
                    end = self._skip_comment(start)
                for operator in operators:
                    end = start + len(operator)
                    append(Token(TokenKind.OP, operator, start, end, operator))
                    start = end
            elif kind == "special":
                end = self._special(start)
            else:
                raise _error("syntax error", sql, start, start + 1)
            pos = end
        return self.tokens

    def _skip_comment(self, start: int) -> int:
        end = block_comment_end(self.sql, start)
        if end < 0:
            raise _error("unterminated /* comment", self.sql, start)
        return end

    def _special(self, start: int) -> int:
        sql = self.sql
        char = sql[start]
        if char == "'":
            return self._string(start, start, escapes=not self.scs)
        if char == '"':
            return self._quoted_identifier(start, start)
        param = PARAMETER.match(sql, start)
        if param is not None:
            end = param.end()
            if _IDENT_START_CHAR.match(sql, end):
                junk_end = end + 1
                while junk_end < len(sql) and IDENT_CONT_CHAR.match(sql, junk_end):
                    junk_end += 1
                raise _error("trailing junk after parameter", sql, start, junk_end)
            number = _parameter_number(param.group(1), sql, start)
            self.tokens.append(Token(TokenKind.PARAM, sql[start:end], start, end, number))
            return end
        body_start, end = dollar_quote_end(sql, start)
        if body_start < 0:
            raise _error("syntax error", sql, start, start + 1)
        if end < 0:
            raise _error("unterminated dollar-quoted string", sql, start)
        tag_length = body_start - start
        body = sql[body_start : end - tag_length]
        self.tokens.append(Token(TokenKind.STRING, sql[start:end], start, end, body))
        return end

    def _prefixed_literal(self, start: int, end: int) -> int | None:
        """Handle E'', B'', X'', N'' and U&''/U&"" (``start``..``end`` is the one-letter
        prefix); return the offset after the literal, or None for a plain identifier."""
        sql = self.sql
        prefix = sql[start].upper()
        if sql.startswith("'", end):
            if prefix == "E":
                return self._string(start, end, escapes=True)
            if prefix == "N":
                return self._string(start, end, escapes=not self.scs)
            if prefix in ("B", "X"):
                close = string_end(sql, end, False)
                if close < 0:
                    kind = "bit" if prefix == "B" else "hexadecimal"
                    raise _error(f"unterminated {kind} string literal", sql, start)
                digits = sql[end + 1 : close - 1]
                token = Token(TokenKind.BITSTRING, sql[start:close], start, close, digits)
                self.tokens.append(token)
                return close
            return None
        if prefix == "U" and sql.startswith("&'", end):
            if not self.scs:
                message = "unsafe use of string constant with Unicode escapes"
                raise SqlSyntaxError(message, start + 1)
            return self._string(start, end + 1, escapes=False, unicode=True)
        if prefix == "U" and sql.startswith('&"', end):
            return self._quoted_identifier(start, end + 1, unicode=True)
        return None

    def _string(self, start: int, quote: int, escapes: bool, unicode: bool = False) -> int:
        sql = self.sql
        pieces: list[tuple[int, str]] = []
        end = string_end(sql, quote, escapes, pieces)
        if end < 0:
            raise _error("unterminated quoted string", sql, start)
        token_end = end
        if escapes:
            value = _decode_escape_string(pieces, start)
        else:
            value = "".join(piece for _, piece in pieces).replace("''", "'")
            if unicode:
                escape, end = _unicode_escape_char(sql, end)
                value = _decode_unicode_escapes(value, escape, quote + 1)
        self.tokens.append(Token(TokenKind.STRING, sql[start:token_end], start, token_end, value))
        return end

    def _quoted_identifier(self, start: int, quote: int, unicode: bool = False) -> int:
        sql = self.sql
        match = QUOTED_IDENTIFIER_BODY.match(sql, quote + 1)
        if match is None:
            raise _error("unterminated quoted identifier", sql, start)
        end = token_end = match.end()
        name = sql[quote + 1 : end - 1].replace('""', '"')
        if not name:
            raise _error("zero-length delimited identifier", sql, start, end)
        if unicode:
            escape, end = _unicode_escape_char(sql, end)
            name = _decode_unicode_escapes(name, escape, quote + 1)
        value = fold_identifier(name, quoted=True)
        self.tokens.append(Token(TokenKind.QIDENT, sql[start:token_end], start, token_end, value))
        return end


def _parameter_number(digits: str, sql: str, start: int) -> int:
    """The number of ``$digits``; PostgreSQL rejects numbers that overflow a 32-bit int."""
    if len(digits.lstrip("0")) > 10 or int(digits) > 0x7FFFFFFF:
        raise SqlSyntaxError(f'parameter number too large at or near "${digits}"', start + 1)
    return int(digits)


def tokenize(sql: str, *, standard_conforming_strings: bool = True) -> list[Token]:
    """Split ``sql`` into tokens following PostgreSQL's scanner; comments and whitespace are
    dropped.  Raises `SqlSyntaxError` for unterminated literals and comments, zero-length
    quoted identifiers, trailing junk after numbers and parameters, and stray characters."""
    return _Tokenizer(sql, standard_conforming_strings).run()
