"""The front end before recognition: noise suppression and automatic gain on microphone audio.

Blocks of 16-bit mono PCM at the recogniser's rate (16 kHz) go in as they come (any length);
cleaned audio comes out in whole 10 ms frames, so at most 9 ms is held back until the next
block or ``flush``. Echo cancellation, where there is any, comes before this stage.
The only module that imports ``webrtc_noise_gain`` (WebRTC's audio processing, as Home
Assistant's wyoming-satellite uses it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Protocol

from companion.errors import ModelError

log = logging.getLogger(__name__)

RATE = 16000
"""Sample rate the front end works at (the recogniser's)."""


class FrontEnd(Protocol):
    """A stage between the microphone and the listener."""

    def process(self, pcm16: bytes) -> bytes:
        """Clean a block; returns what is ready (whole frames only)."""
        ...

    def flush(self) -> bytes:
        """The audio still held back (padded to a whole frame), at the end of a recording."""
        ...


class FrontEndKind(Enum):
    """Which front end listens before the recogniser."""

    NONE = "none"
    """The microphone's audio as it is."""
    WEBRTC = "webrtc"
    """WebRTC noise suppression and automatic gain."""


@dataclass(frozen=True)
class FrontEndSettings:
    """How the front end is built."""

    kind: FrontEndKind = FrontEndKind.NONE
    """Which front end (``none``: off, the default until it wins on the room benchmark)."""
    noise_suppression: int = 2
    """WebRTC noise suppression level, 0 (off) to 4 (strongest)."""
    auto_gain_dbfs: int = 0
    """WebRTC automatic gain target, 0 (off) to 31 dB below full scale."""


class PassThrough:
    """No front end: audio goes on unchanged."""

    def process(self, pcm16: bytes) -> bytes:
        """The block as it is."""
        return pcm16

    def flush(self) -> bytes:
        """Nothing is held back."""
        return b""


class Framed:
    """Cuts blocks of any length into frames of ``frame_samples`` for a per-frame processor
    (``clean(frame) -> frame``, both 16-bit PCM of the same length)."""

    def __init__(self, frame_samples: int, clean: Callable[[bytes], bytes]) -> None:
        self.frame_bytes = frame_samples * 2
        self.clean = clean
        self._held = b""

    def process(self, pcm16: bytes) -> bytes:
        """Clean every whole frame; keep the rest for the next block."""
        data = self._held + pcm16
        whole = len(data) - len(data) % self.frame_bytes
        self._held = data[whole:]
        fb = self.frame_bytes
        return b"".join(self.clean(data[i : i + fb]) for i in range(0, whole, fb))

    def flush(self) -> bytes:
        """The held-back samples, padded with silence to one frame, cleaned, cut back."""
        if not self._held:
            return b""
        n = len(self._held)
        out = self.clean(self._held + bytes(self.frame_bytes - n))[:n]
        self._held = b""
        return out


class WebRtcFrontEnd(Framed):
    """WebRTC noise suppression (and automatic gain when asked), 10 ms at a time."""

    def __init__(self, noise_suppression: int = 2, auto_gain_dbfs: int = 0) -> None:
        try:  # optional native library, loaded only when this front end is chosen
            from webrtc_noise_gain import AudioProcessor
        except ImportError as exc:
            raise ModelError(
                f"The noise suppressor is not available: {exc}",
                hint="Reinstall the companion (pip install webrtc-noise-gain), "
                "or turn the front end off (--front-end none).",
            ) from exc
        self._processor = AudioProcessor(auto_gain_dbfs, noise_suppression)
        super().__init__(RATE // 100, self._clean)

    def _clean(self, frame: bytes) -> bytes:
        audio: bytes = self._processor.Process10ms(frame).audio
        return audio


def make_front_end(settings: FrontEndSettings, rate: int = RATE) -> FrontEnd:
    """The front end ``settings`` ask for; none at another rate than 16 kHz (Vosk models
    of 8 kHz), which is logged."""
    if settings.kind is FrontEndKind.NONE:
        return PassThrough()
    if rate != RATE:
        log.info("no front end at %d Hz (it works at %d Hz)", rate, RATE)
        return PassThrough()
    return WebRtcFrontEnd(settings.noise_suppression, settings.auto_gain_dbfs)
