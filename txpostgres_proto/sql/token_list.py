"""A statement's tokens with matched brackets: the cursor the statement analysers walk.

The analysers never build a full syntax tree; they look at the tokens of one nesting level and
jump over bracketed groups.  Matching every ``(``/``[`` with its partner once, up front, makes
each jump O(1) and turns unbalanced brackets into the syntax error PostgreSQL reports.
"""

from __future__ import annotations

from collections.abc import Collection

from .errors import SqlSyntaxError
from .lexer import Token, TokenKind

__all__ = ["MAX_ANALYSED_DEPTH", "TokenList"]

#: Statements nested deeper than this (brackets) are classified but not analysed, which keeps
#: the recursive analysers far from Python's recursion limit.
MAX_ANALYSED_DEPTH = 100

_OPENERS = {"(": ")", "[": "]"}
_CLOSERS = frozenset(_OPENERS.values())


class TokenList:
    """The tokens of one statement, their keywords and the partner of every bracket.

    Indexes are token positions; ranges are half-open ``[start, end)``.
    """

    __slots__ = ("depth", "keywords", "partner", "punctuation", "skip", "sql", "tokens")

    def __init__(self, sql: str, tokens: list[Token]) -> None:
        self.sql = sql
        self.tokens = tokens
        #: lower-case word of each unquoted identifier, "" for every other token
        self.keywords: list[str] = [
            token.value if token.kind is TokenKind.IDENT else ""  # type: ignore[misc]
            for token in tokens
        ]
        #: text of each punctuation token, "" for every other token
        self.punctuation: list[str] = [
            token.text if token.kind is TokenKind.PUNCT else "" for token in tokens
        ]
        #: deepest bracket nesting
        self.depth = 0
        #: index of the matching bracket for brackets, -1 for anything else
        self.partner: list[int] = self._match_brackets()
        #: index of the next token on the same nesting level
        self.skip: list[int] = [
            index + 1 if other < index else other + 1 for index, other in enumerate(self.partner)
        ]

    def _match_brackets(self) -> list[int]:
        partner = [-1] * len(self.tokens)
        stack: list[int] = []
        for index, token in enumerate(self.tokens):
            if token.kind is not TokenKind.PUNCT:
                continue
            text = token.text
            if text in _OPENERS:
                stack.append(index)
                self.depth = max(self.depth, len(stack))
            elif text in _CLOSERS:
                if not stack or _OPENERS[self.tokens[stack[-1]].text] != text:
                    raise SqlSyntaxError(f'syntax error at or near "{text}"', token.start + 1)
                opener = stack.pop()
                partner[opener] = index
                partner[index] = opener
        if stack:
            raise SqlSyntaxError("syntax error at end of input", len(self.sql) + 1)
        return partner

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def too_deep(self) -> bool:
        """True if brackets nest deeper than `MAX_ANALYSED_DEPTH`."""
        return self.depth > MAX_ANALYSED_DEPTH

    def kw(self, index: int) -> str:
        """The keyword at ``index`` ("" past the end or for non-words)."""
        return self.keywords[index] if 0 <= index < len(self.keywords) else ""

    def is_punct(self, index: int, text: str) -> bool:
        """True if the token at ``index`` is the punctuation ``text``."""
        return 0 <= index < len(self.punctuation) and self.punctuation[index] == text

    def is_op(self, index: int, text: str) -> bool:
        """True if the token at ``index`` is the operator ``text``."""
        if not 0 <= index < len(self.tokens):
            return False
        token = self.tokens[index]
        return token.kind is TokenKind.OP and token.text == text

    def is_name(self, index: int) -> bool:
        """True if the token at ``index`` is an identifier, quoted or not."""
        return 0 <= index < len(self.tokens) and self.tokens[index].kind in (
            TokenKind.IDENT,
            TokenKind.QIDENT,
        )

    def next(self, index: int) -> int:
        """The index after the token at ``index``, jumping over a whole bracketed group."""
        return self.skip[index] if 0 <= index < len(self.skip) else index + 1

    def opens_group(self, index: int) -> bool:
        """True if the token at ``index`` is ``(``."""
        return 0 <= index < len(self.punctuation) and self.punctuation[index] == "("

    def find(self, start: int, end: int, words: Collection[str]) -> int:
        """First index in ``[start, end)`` at this nesting level whose keyword is in ``words``;
        ``end`` if there is none."""
        keywords = self.keywords
        skip = self.skip
        index = start
        while index < end:
            if keywords[index] in words:
                return index
            index = skip[index]
        return end

    def split(self, start: int, end: int, separator: str = ",") -> list[tuple[int, int]]:
        """Split ``[start, end)`` at the punctuation ``separator`` on this nesting level."""
        parts = []
        index = part_start = start
        tokens = self.tokens
        skip = self.skip
        while index < end:
            token = tokens[index]
            if token.kind is TokenKind.PUNCT and token.text == separator:
                parts.append((part_start, index))
                part_start = index + 1
            index = skip[index]
        if part_start < end or parts:
            parts.append((part_start, end))
        return parts

    def text(self, start: int, end: int) -> str:
        """The source text of the tokens ``[start, end)`` (comments inside included)."""
        if end <= start:
            return ""
        return self.sql[self.tokens[start].start : self.tokens[end - 1].end]
