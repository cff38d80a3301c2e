"""The forgiving SQL layer: split a simple Query, classify and analyse statements, parse the
utility statements the server handles itself, and word command tags.  Sans-IO, no Twisted."""

from .command_tag import command_tag
from .errors import SqlSyntaxError
from .lexer import Token, TokenKind, tokenize
from .parser import parse_sql
from .splitter import (
    count_parameters,
    is_empty_query,
    split_statements,
    split_statements_with_offsets,
)
from .statement_info import (
    Assignment,
    ColumnRef,
    Condition,
    Expression,
    OrderBy,
    Parameter,
    StatementInfo,
    TableRef,
    Value,
    WhereClause,
)
from .utility import parse_utility
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

__all__ = [
    "Assignment",
    "CloseStatement",
    "ColumnRef",
    "Condition",
    "CopyStatement",
    "DeallocateStatement",
    "DeclareCursorStatement",
    "DiscardStatement",
    "ExecuteStatement",
    "Expression",
    "FetchStatement",
    "ListenStatement",
    "NotifyStatement",
    "OrderBy",
    "Parameter",
    "PrepareStatement",
    "ResetStatement",
    "SetConstraintsStatement",
    "SetStatement",
    "SetTransactionStatement",
    "ShowStatement",
    "SqlSyntaxError",
    "StatementInfo",
    "TableRef",
    "Token",
    "TokenKind",
    "TransactionStatement",
    "UnlistenStatement",
    "UtilityStatement",
    "Value",
    "WhereClause",
    "command_tag",
    "count_parameters",
    "is_empty_query",
    "parse_sql",
    "parse_utility",
    "split_statements",
    "split_statements_with_offsets",
    "tokenize",
]
