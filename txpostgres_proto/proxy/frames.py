"""Raw protocol frames for the proxy: cutting a byte stream without decoding the messages.

A proxy relays almost every message unchanged, so it never builds message objects for them.
Each received chunk goes through `FrameCutter.cut` once: it walks the frames (protocol section
55.7: one type byte, an Int32 length counting itself, the body), returns the complete ones,
and lists the offsets of the few frames whose type the caller must look at (ReadyForQuery,
ParseComplete, ErrorResponse, ParameterStatus from the server; Sync, Query, Parse, Bind,
Describe, Close, Execute, Terminate from the client).  Everything else — DataRows, CopyData —
is passed on inside the chunk it arrived in, so a chunk costs one scan and one write.

The incomplete frame at the end of a chunk is held until the rest arrives; it is not scanned
again before it is complete, so a large message arriving in many chunks costs linear time.
The length limit is the large-message limit of `framing.MessageBuffer` (which the server and
client cores use to hand out message bodies).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from struct import Struct
from typing import Final

from txpostgres_proto.protocol.errors import RemoteProtocolError
from txpostgres_proto.protocol.framing import DEFAULT_LARGE_MESSAGE_LIMIT

__all__ = ["FrameCutter", "frame", "frame_end", "split_cstring"]

_INT32: Final = Struct("!i")
_unpack_length = _INT32.unpack_from
#: The offsets `FrameCutter.cut` reports for a chunk that is one notable frame, or none.
_FIRST: Final = (0,)
_NONE: Final = ()


@lru_cache(maxsize=16)
def _notable_table(notable: frozenset[int] | range) -> tuple[bool, ...]:
    """Whether each byte value is in ``notable``: made once per set, shared by every cutter
    using it."""
    return tuple(code in notable for code in range(256))


def _bad_length(length: int) -> RemoteProtocolError:
    return RemoteProtocolError(f"invalid message length {length}", "08P01")


class FrameCutter:
    """Cuts one direction of a connection into complete frames, chunk by chunk.

    ``notable`` are the type bytes the caller looks at; ``limit`` is the largest length a
    frame may declare (a larger or negative one raises `RemoteProtocolError`, 08P01).
    """

    __slots__ = ("_held", "_need", "_notable", "limit")

    def __init__(
        self, notable: frozenset[int] | range, limit: int = DEFAULT_LARGE_MESSAGE_LIMIT
    ) -> None:
        #: Whether each type byte is notable, by its value: one tuple index per frame.
        self._notable = _notable_table(notable)
        self.limit = limit
        #: The received start of an incomplete frame, and the size it must reach to be whole
        #: (5 while even its length is unknown).
        self._held: bytearray | None = None
        self._need = 0

    def cut(self, data: bytes) -> tuple[bytes, Sequence[int]]:
        """``(frames, offsets)``: the complete frames now available (what was held first, then
        ``data``; empty when none is complete yet), and the offsets in ``frames`` of those
        whose type byte is notable.  The incomplete rest is held for the next call."""
        held = self._held
        if held is not None:
            held += data
            if len(held) < self._need or len(held) < self._frame_size(held):
                return b"", _NONE
            data, self._held = bytes(held), None
        size = len(data)
        if size < 5:
            if size:
                self._hold(data)
            return b"", _NONE
        length = _unpack_length(data, 1)[0]
        if length == size - 1 and length <= self.limit:
            # Exactly one whole frame (a client's usual chunk): nothing to walk or hold.
            return data, _FIRST if self._notable[data[0]] else _NONE
        pos = 0
        found: list[int] = []
        notable = self._notable
        limit = self.limit
        last = size - 5  # the last offset where a frame's type and length fit
        while True:  # ``length`` is that of the frame at ``pos``, read but not yet checked
            if length < 4 or length > limit:
                raise _bad_length(length)
            end = pos + 1 + length
            if end > size:
                break
            if notable[data[pos]]:
                found.append(pos)
            pos = end
            if pos > last:
                break
            length = _unpack_length(data, pos + 1)[0]
        if pos < size:
            self._hold(data[pos:])
            data = data[:pos]
        return data, found

    def _hold(self, start: bytes) -> None:
        """Keep ``start``, the beginning of an incomplete frame, until the rest arrives."""
        self._held = bytearray(start)
        self._frame_size(self._held)

    def _frame_size(self, held: bytearray) -> int:
        """Remember (and return) how long the held frame is, once its length has arrived."""
        if len(held) < 5:
            self._need = 5
        else:
            length = _unpack_length(held, 1)[0]
            if length < 4 or length > self.limit:
                raise _bad_length(length)
            self._need = 1 + length
        return self._need


def frame_end(data: bytes, start: int) -> int:
    """The end of the frame starting at ``start`` (one `FrameCutter.cut` returned)."""
    return start + 1 + _unpack_length(data, start + 1)[0]


def frame(code: bytes, body: bytes) -> bytes:
    """One message: type byte, length, body."""
    return code + _INT32.pack(len(body) + 4) + body


def split_cstring(data: bytes | bytearray, start: int) -> tuple[bytes, int]:
    """The NUL-terminated string at ``start`` and the offset just after its NUL."""
    end = data.index(0, start)
    return bytes(data[start:end]), end + 1
