"""Cutting a stream of 16-bit PCM into whole frames, keeping what is left over for the next
piece."""

from __future__ import annotations


class Framer:
    """Whole frames of ``frame_bytes`` from pieces of any length."""

    def __init__(self, frame_bytes: int) -> None:
        self.frame_bytes = frame_bytes
        self._pending = b""

    def frames(self, pcm16: bytes) -> list[bytes]:
        """The whole frames completed by ``pcm16``; the rest waits for the next piece."""
        data = self._pending + pcm16
        n = len(data) - len(data) % self.frame_bytes
        self._pending = data[n:]
        return [data[i : i + self.frame_bytes] for i in range(0, n, self.frame_bytes)]

    def last(self) -> bytes | None:
        """End of input: what is left, padded with silence to a whole frame (None: nothing)."""
        if not self._pending:
            return None
        frame = self._pending + b"\0" * (self.frame_bytes - len(self._pending))
        self._pending = b""
        return frame
