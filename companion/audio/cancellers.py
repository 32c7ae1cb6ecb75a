"""The echo cancellers: each removes the sound the companion played (``far``) from what the
microphone heard (``near``), 10 ms at a time. WebRTC's AEC3 (pywebrtc-audio), Speex's MDF echo
canceller (libspeexdsp through ctypes; its linear stage alone is the one used) and a
delay-and-subtract baseline; measured side by side in docs/recognition.md. ``EchoFilter``
(echo_cancel.py) feeds them, aligned.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from companion.audio.playback_tap import RATE

FRAME = RATE // 100
"""Samples in one 10 ms block: the unit every canceller works in."""
Samples = npt.NDArray[np.int16]


class Canceller(Protocol):
    """Removes the echo of ``far`` (what was played) from ``near`` (what the microphone heard)."""

    name: str

    def process(self, near: Samples, far: Samples) -> Samples:
        """``near`` without the echo of ``far``; both ``FRAME`` samples, ``far`` a little ahead."""


class WebRtcCanceller:
    """WebRTC's AEC3 (the echo canceller of Chrome and PulseAudio), via pywebrtc-audio."""

    name = "webrtc"

    def __init__(self) -> None:
        from pywebrtc_audio import EchoCanceller  # optional and slow to import: here only

        self._aec: Any = EchoCanceller(sample_rate=RATE, num_channels=1, stream_delay_ms=0)

    def process(self, near: Samples, far: Samples) -> Samples:
        return np.asarray(self._aec.process(near, far), dtype=np.int16)


class SpeexCanceller:
    """Speex's MDF echo canceller and residual-echo suppressor (libspeexdsp, via ctypes)."""

    name = "speex"
    _SET_SAMPLING_RATE = 24
    _PREPROCESS_SET_ECHO_STATE = 24
    _PREPROCESS_SET_DENOISE = 0

    def __init__(self, tail_s: float = 0.2, suppress: bool = True) -> None:
        found = ctypes.util.find_library("speexdsp") or "libspeexdsp.so.1"
        lib = ctypes.CDLL(found)
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] + [ctypes.c_void_p] * 3
        lib.speex_echo_state_destroy.argtypes = [ctypes.c_void_p]
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.speex_preprocess_state_destroy.argtypes = [ctypes.c_void_p]
        self._lib = lib
        self._echo = lib.speex_echo_state_init(FRAME, int(tail_s * RATE))
        rate = ctypes.c_int(RATE)
        lib.speex_echo_ctl(self._echo, self._SET_SAMPLING_RATE, ctypes.byref(rate))
        self._pre = None
        if suppress:
            self._pre = lib.speex_preprocess_state_init(FRAME, RATE)
            off = ctypes.c_int(0)
            lib.speex_preprocess_ctl(self._pre, self._PREPROCESS_SET_DENOISE, ctypes.byref(off))
            lib.speex_preprocess_ctl(
                self._pre, self._PREPROCESS_SET_ECHO_STATE, ctypes.c_void_p(self._echo)
            )

    def process(self, near: Samples, far: Samples) -> Samples:
        rec = np.ascontiguousarray(near, dtype=np.int16)
        play = np.ascontiguousarray(far, dtype=np.int16)
        out = np.empty(FRAME, dtype=np.int16)
        self._lib.speex_echo_cancellation(
            self._echo, rec.ctypes.data, play.ctypes.data, out.ctypes.data
        )
        if self._pre is not None:
            self._lib.speex_preprocess_run(self._pre, out.ctypes.data)
        return out

    def __del__(self) -> None:
        lib = getattr(self, "_lib", None)
        if lib is not None:
            if self._pre is not None:
                lib.speex_preprocess_state_destroy(self._pre)
            lib.speex_echo_state_destroy(self._echo)


class SubtractCanceller:
    """The baseline: subtract the aligned reference, scaled by a least-squares gain."""

    name = "subtract"

    def __init__(self, memory: float = 0.98) -> None:
        self._memory = memory
        self._xy = 0.0
        self._xx = 1e-9

    def process(self, near: Samples, far: Samples) -> Samples:
        x, y = far.astype(np.float64), near.astype(np.float64)
        self._xy = self._memory * self._xy + float(x @ y)
        self._xx = self._memory * self._xx + float(x @ x)
        gain = self._xy / self._xx if self._xx > 1.0 else 0.0
        return np.clip(np.rint(y - gain * x), -32768, 32767).astype(np.int16)


def _speex_linear() -> Canceller:
    canceller = SpeexCanceller(suppress=False)
    canceller.name = "speex-linear"
    return canceller


KINDS: dict[str, Callable[[], Canceller]] = {
    "speex-linear": _speex_linear,
    "webrtc": WebRtcCanceller,
    "speex": SpeexCanceller,
    "subtract": SubtractCanceller,
}
DEFAULT = "speex-linear"
"""Speex's adaptive filter without its residual suppressor: on a sample-true reference it cuts
the companion's voice by ~17 dB and leaves a word said over it whole (the judges' scores as
on the word alone); AEC3 cuts more but damages that word (docs/benchmarks.md)."""


SETTING = "COMPANION_ECHO"
"""Environment variable naming the canceller (``KINDS``; for measuring them side by side)."""
GATED = frozenset({"speex-linear"})
"""Linear cancellers, whose residual is gated (``residual_gate``)."""


def make_canceller(kind: str = DEFAULT) -> Canceller:
    """The canceller named ``kind`` (``KINDS``)."""
    return KINDS[kind]()
