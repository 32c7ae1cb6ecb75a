"""Playing sound on a speaker through the sound system, within a deadline."""

from __future__ import annotations

import numpy as np

from companion.audio.devices import choose
from companion.audio.sound_system import HINT, NOT_ANSWERING, leave_behind, sd
from companion.bounded import Overdue, call_within
from companion.errors import DeviceError

PLAY_GRACE_S = 10.0
"""How much longer than the sound itself ``play`` may take."""


def play(pcm16: bytes, rate: int, device: str | int | None = None) -> None:
    """Play 16-bit mono PCM and wait until it has finished (for the speech output); a
    DeviceError when the speaker fails or has not finished ``PLAY_GRACE_S`` after the sound."""
    out = choose(device, want_input=False)
    samples = np.frombuffer(pcm16, dtype="<i2")
    seconds = len(samples) / rate + PLAY_GRACE_S
    try:
        call_within(
            seconds,
            lambda: sd.play(samples, samplerate=rate, device=out.index, blocking=True),
            "playing",
        )
    except Overdue:
        leave_behind()
        raise DeviceError(
            f"The speaker '{out.name}' did not finish playing: {NOT_ANSWERING}.", hint=HINT
        ) from None
    except (sd.PortAudioError, OSError) as exc:
        raise DeviceError(f"The speaker '{out.name}' could not be used: {exc}") from exc
