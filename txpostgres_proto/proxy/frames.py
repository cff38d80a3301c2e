"""Raw protocol frames for the proxy: cutting a byte stream without decoding the messages.

A proxy relays almost every message unchanged, so it never builds message objects for them:
`scan_frames` walks a buffer and reports each complete frame as ``(type byte, start, end)``
offsets (protocol section 55.7: one type byte, an Int32 length counting itself, the body).
Callers look at the few types they care about (ReadyForQuery, ParseComplete, ErrorResponse on
one side; Sync, Query, Parse, Bind, Describe, Close, Terminate on the other) and copy the
runs in between as single slices, so a batch of DataRows costs one slice and one write.

Unlike `framing.MessageBuffer` (which the server and client cores use to hand out message
bodies) nothing is copied per message here; the length limit is the same large-message limit.
"""

from __future__ import annotations

from collections.abc import Iterator
from struct import Struct
from typing import Final

from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.protocol.framing import DEFAULT_LARGE_MESSAGE_LIMIT

__all__ = ["frame", "scan_frames", "split_cstring"]

_INT32: Final = Struct("!i")
_unpack_length = _INT32.unpack_from


def scan_frames(
    buffer: bytearray, limit: int = DEFAULT_LARGE_MESSAGE_LIMIT
) -> Iterator[tuple[int, int, int]]:
    """Yield ``(code, start, end)`` for each complete frame at the start of ``buffer``.

    ``buffer[start:end]`` is the whole frame, type byte included.  Iteration stops at the
    first incomplete frame; the caller drops ``buffer[:end]`` of the last frame it used.
    """
    size = len(buffer)
    pos = 0
    while size - pos >= 5:
        length = _unpack_length(buffer, pos + 1)[0]
        if length < 4 or length > limit:
            raise RemoteProtocolError(f"invalid message length {length}", "08P01")
        end = pos + 1 + length
        if end > size:
            return
        yield buffer[pos], pos, end
        pos = end


def frame(code: bytes, body: bytes) -> bytes:
    """One message: type byte, length, body."""
    return code + _INT32.pack(len(body) + 4) + body


def split_cstring(data: bytes | bytearray, start: int) -> tuple[bytes, int]:
    """The NUL-terminated string at ``start`` and the offset just after its NUL."""
    end = data.index(0, start)
    return bytes(data[start:end]), end + 1
