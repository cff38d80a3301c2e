"""Which handler method answers which statement type: the ``stmt_handler`` decorator.

Seed API (postgres_proto): an application marks a method with ``@stmt_handler("INSERT")`` (or
several types at once, ``@stmt_handler("UPDATE", "DELETE")``) and `PostgresRequestHandler`
calls it with the parsed ``stmt_info`` of every statement of that type.  SELECT is routed to
``query_tables`` unless a method claims it explicitly.

The decorator only tags the function; `statement_routes` collects the tags over the class
hierarchy by *method name*, so a subclass that overrides a decorated method without repeating
the decorator keeps the route, and a subclass's own decorator wins over its bases'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

_F = TypeVar("_F", bound=Callable[..., Any])

#: Attribute set on decorated functions: the statement types they answer.
_ROUTE_ATTRIBUTE = "__pgproto_statement_types__"


def normalize_statement_type(stmt_type: str) -> str:
    """Upper-case, single-spaced: ``"create  table"`` becomes ``"CREATE TABLE"``."""
    return " ".join(stmt_type.upper().split())


def stmt_handler(*stmt_types: str) -> Callable[[_F], _F]:
    """Mark a handler method as the answer to the given statement types.

    The method receives ``stmt_info`` and may return ``(rows, columns)``, ``None``, an ``int``
    row count or a `QueryResult`, plainly, as a Deferred or from an ``async def``.
    """
    if not stmt_types:
        raise TypeError("stmt_handler() needs at least one statement type")
    normalized = tuple(normalize_statement_type(stmt_type) for stmt_type in stmt_types)

    def mark(function: _F) -> _F:
        setattr(function, _ROUTE_ATTRIBUTE, normalized)
        return function

    return mark


def statement_routes(cls: type, defaults: dict[str, str]) -> dict[str, str]:
    """Statement type -> method name for ``cls``: ``defaults`` overridden by decorated methods,
    base classes first so that subclasses win."""
    routes = dict(defaults)
    for klass in reversed(cls.__mro__):
        for name, member in vars(klass).items():
            for stmt_type in getattr(member, _ROUTE_ATTRIBUTE, ()):
                routes[stmt_type] = name
    return routes
