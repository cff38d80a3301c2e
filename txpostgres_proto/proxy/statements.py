"""Named prepared statements under transaction pooling (the pgbouncer 1.21+ approach).

With transaction pooling a client's next transaction may run on another upstream connection,
where the statements it prepared do not exist.  `StatementMap` keeps, per client, the Parse of
every named statement and rewrites the extended-protocol messages naming one:

* statement names are replaced by *content-addressed* upstream names (a hash of query text and
  parameter types), so two clients preparing ``s1`` with different queries never collide on one
  upstream, and clients preparing the same query share it there;
* Bind / Describe of a statement the current upstream lacks are preceded by an injected Parse
  whose ParseComplete the upstream relay swallows;
* a client Parse of a statement the upstream already has becomes a Parse of an empty unnamed
  statement (the client still gets its ParseComplete, in order);
* a client Close of a statement becomes a Close of the unnamed statement (CloseComplete in
  order) — the shared upstream statement stays for other clients.

Which statements an upstream has is `Upstream.prepared`, confirmed by ParseComplete (see
``upstream.py``).  Protocol sections 55.2.3 and 55.7 (Parse, Bind, Describe, Close).
"""

from __future__ import annotations

import hashlib
from typing import Final, Protocol

from .frames import frame, split_cstring

__all__ = ["StatementMap", "StatementTarget"]

#: Parse of the unnamed statement with an empty query: answered by ParseComplete, no effect
#: beyond replacing the unnamed statement.
_EMPTY_PARSE: Final = frame(b"P", b"\x00\x00\x00\x00")
#: Close of the unnamed statement: answered by CloseComplete.
_UNNAMED_CLOSE: Final = frame(b"C", b"S\x00")


class StatementTarget(Protocol):
    """What the map needs of an upstream connection."""

    prepared: set[bytes]

    def note_parse(self, name: bytes | None, swallow: bool) -> None: ...


class StatementMap:
    """One client's named statements: client name -> (upstream name, Parse body after name)."""

    def __init__(self) -> None:
        self._statements: dict[bytes, tuple[bytes, bytes]] = {}

    def __len__(self) -> int:
        return len(self._statements)

    def _ensure(self, name: bytes, target: StatementTarget, out: list[bytes]) -> bytes:
        """The upstream name of client statement ``name``, parsed there first if needed."""
        upstream_name, rest = self._statements[name]
        if upstream_name not in target.prepared:
            out.append(frame(b"P", upstream_name + b"\x00" + rest))
            target.prepared.add(upstream_name)
            target.note_parse(upstream_name, True)
        return upstream_name

    def parse(self, body: bytes, target: StatementTarget, out: list[bytes]) -> None:
        name, after = split_cstring(body, 0)
        if not name:
            out.append(frame(b"P", body))
            target.note_parse(None, False)
            return
        rest = body[after:]
        upstream_name = b"pxs_" + hashlib.blake2b(rest, digest_size=12).hexdigest().encode()
        self._statements[name] = (upstream_name, rest)
        if upstream_name in target.prepared:
            out.append(_EMPTY_PARSE)
            target.note_parse(None, False)
        else:
            out.append(frame(b"P", upstream_name + b"\x00" + rest))
            target.prepared.add(upstream_name)
            target.note_parse(upstream_name, False)

    def bind(self, body: bytes, target: StatementTarget, out: list[bytes]) -> None:
        portal, after_portal = split_cstring(body, 0)
        name, after = split_cstring(body, after_portal)
        if name not in self._statements:
            out.append(frame(b"B", body))
            return
        upstream_name = self._ensure(name, target, out)
        out.append(frame(b"B", portal + b"\x00" + upstream_name + b"\x00" + body[after:]))

    def describe(self, body: bytes, target: StatementTarget, out: list[bytes]) -> None:
        name, _ = split_cstring(body, 1)
        if body[:1] != b"S" or name not in self._statements:
            out.append(frame(b"D", body))
            return
        out.append(frame(b"D", b"S" + self._ensure(name, target, out) + b"\x00"))

    def upstream_statement(self, name: bytes) -> tuple[bytes, bytes] | None:
        """``(upstream name, query text)`` of the client's statement ``name``, if it has one."""
        known = self._statements.get(name)
        if known is None:
            return None
        upstream_name, rest = known
        return upstream_name, rest[: rest.index(0)]

    def forget(self, upstream_name: bytes) -> None:
        """The client's Parse of ``upstream_name`` failed (or was skipped after an error):
        like PostgreSQL, the statement does not exist."""
        for name in [n for n, (u, _) in self._statements.items() if u == upstream_name]:
            del self._statements[name]

    def close(self, body: bytes, out: list[bytes]) -> None:
        name, _ = split_cstring(body, 1)
        if body[:1] == b"S" and self._statements.pop(name, None) is not None:
            out.append(_UNNAMED_CLOSE)
        else:
            out.append(frame(b"C", body))
