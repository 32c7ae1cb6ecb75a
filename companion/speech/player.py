"""Plays one WAV file in a child process that can be killed at once (aplay, paplay, afplay)."""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt

log = logging.getLogger(__name__)
KILL_WAIT_S = 2.0
"""How long a killed player may take to end before it is left behind."""

# Tried in order; the file name is appended.
_LINUX = (("aplay", "-q"), ("paplay",))
_MACOS = (("afplay",),)
_WINDOWS = (
    (
        "powershell",
        "-NoProfile",
        "-NonInteractive",
        "-Command",
        "(New-Object Media.SoundPlayer $args[0]).PlaySync()",
    ),
)


def default_player() -> tuple[str, ...] | None:
    """The command (without the file) that plays a WAV here, or None when none is installed."""
    if sys.platform == "darwin":
        candidates: Sequence[tuple[str, ...]] = _MACOS
    elif sys.platform == "win32":
        candidates = _WINDOWS
    else:
        candidates = _LINUX
    for cmd in candidates:
        found = shutil.which(cmd[0])
        if found:
            return (found, *cmd[1:])
    return None


def missing_player_hint() -> str:
    """What to install so that speech can be heard."""
    if sys.platform == "darwin":
        return "afplay (part of macOS) was not found."
    if sys.platform == "win32":
        return "PowerShell was not found."
    return "No audio player found: install alsa-utils (aplay), e.g. 'apt-get install alsa-utils'."


class Playback:
    """One WAV being played by a child process."""

    def __init__(self, command: Sequence[str], wav: Path) -> None:
        self._killed = False
        self._name = Path(command[0]).name
        self._proc = subprocess.Popen(
            [*command, str(wav)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self._started = time.monotonic()

    @property
    def started(self) -> float:
        """``time.monotonic()`` when the player was started (its sound follows soon after)."""
        return self._started

    @property
    def pid(self) -> int:
        """The player's process id."""
        return self._proc.pid

    def kill(self) -> None:
        """Cut the sound off now (safe to call more than once, from any thread)."""
        self._killed = True
        self._proc.kill()  # Popen.kill ignores a process that has already ended

    def wait(self, timeout: float, expected: float = 0.0) -> str | None:
        """Wait until the file has played; returns what went wrong, or None when all is well.

        A player still running after ``timeout`` seconds is killed and reported as hung. A
        player that ends well before the ``expected`` seconds of its file (and was not killed
        here) is reported as cut off: its exit status alone is not trusted.
        """
        try:
            _, err = self._proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            try:  # a player stuck inside a sound driver cannot even be killed: leave it
                self._proc.communicate(timeout=KILL_WAIT_S)
            except subprocess.TimeoutExpired:
                log.warning(
                    "audio player %s (pid %d) did not end when killed", self._name, self.pid
                )
            return f"the audio player {self._name} hung and was stopped after {timeout:.0f} s"
        if self._killed:
            return None
        if self._proc.returncode == 0:
            took = time.monotonic() - self._started
            if took < cut_off_before(expected):
                return (
                    f"the audio player {self._name} stopped after {took:.1f} s "
                    f"of a {expected:.1f} s line (cut off)"
                )
            return None
        detail = err.decode("utf-8", "replace").strip().splitlines()
        last = detail[-1] if detail else "no message"
        return f"the audio player {self._name} failed (exit {self._proc.returncode}): {last}"


def cut_off_before(expected: float) -> float:
    """A player ending sooner than this after starting a line of ``expected`` seconds cannot
    have played it all (players may return a little early: their buffer drains after exit)."""
    return expected * 0.8 - 0.25


def wav_seconds(path: Path, default: float = 60.0) -> float:
    """How long a WAV file plays (``default`` when it cannot be read as WAV)."""
    try:
        with wave.open(str(path), "rb") as w:
            return w.getnframes() / float(w.getframerate())
    except (OSError, EOFError, wave.Error, ZeroDivisionError):
        return default


def wav_samples(path: Path) -> tuple[npt.NDArray[np.int16], int] | None:
    """A 16-bit WAV's samples (mono: channels averaged) and rate; None when it is not one."""
    try:
        with wave.open(str(path), "rb") as w:
            if w.getsampwidth() != 2:
                return None
            raw = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2")
            channels, rate = w.getnchannels(), w.getframerate()
    except (OSError, EOFError, wave.Error):
        return None
    if channels > 1:
        raw = raw[: len(raw) // channels * channels].reshape(-1, channels).mean(axis=1)
    return raw.astype(np.int16), rate
