"""The one exception the SQL layer raises.

Whatever text a client sends, the parser either understands it or raises `SqlSyntaxError`.  It
carries the 1-based character position PostgreSQL would report in the ``P`` field of an
ErrorResponse (protocol section 55.8) so the server can answer SQLSTATE 42601 with a cursor
position, just like a real server does for ``syntax error at or near ...``.
"""

from __future__ import annotations

__all__ = ["SqlSyntaxError"]


class SqlSyntaxError(ValueError):
    """SQL the parser cannot understand.

    Attributes:
        message: the primary message, worded like PostgreSQL's (``syntax error at or near "x"``).
        position: 1-based character offset into the statement text that was parsed; a statement
            taken out of a longer query string must be shifted by its offset in that string
            (see `split_statements_with_offsets`).
        sqlstate: always ``42601`` (syntax_error).
    """

    sqlstate = "42601"

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message, position)
        self.message = message
        self.position = position

    def __str__(self) -> str:
        return f"{self.message} (at character {self.position})"
