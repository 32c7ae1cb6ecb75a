"""Shared pytest fixtures (keep each one small and documented)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pulse import PulseServer, missing_tools

if TYPE_CHECKING:  # the screen's app is imported only by the tests that use it
    from starlette.testclient import TestClient

    from companion.screen.app import Screen

REPO = Path(__file__).resolve().parent.parent


def speech_data() -> Path:
    """The shared recordings (../shared/data/speech, or env ``COMPANION_SPEECH_DATA``);
    skips when they are absent (fails under CI, where they are always present)."""
    env = os.environ.get("COMPANION_SPEECH_DATA")
    folder = Path(env) if env else REPO.parent / "shared" / "data" / "speech"
    if not (folder / "commands").is_dir():
        skip_or_fail(f"speech recordings not found in {folder} (set COMPANION_SPEECH_DATA)")
    return folder


def skip_or_fail(reason: str) -> None:
    """Skip with ``reason``; under CI (env ``CI`` set) fail instead, nothing may be skipped."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def pulse_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    """A private PulseAudio server with a null sink, running for the whole test session.

    While it runs, this process's environment points at it (``PULSE_SERVER``,
    ``ALSA_CONFIG_PATH`` whose ``default`` PCM is the pulse plugin, ``XDG_RUNTIME_DIR``,
    ``PULSE_RUNTIME_PATH``), so child processes (aplay, paplay) and PortAudio reach it. PortAudio
    reads the ALSA configuration when it initialises: if ``sounddevice`` was imported before this
    fixture ran, call ``sounddevice._terminate(); sounddevice._initialize()`` to see the server.
    Because the environment stays set for the rest of the session, a test that needs "no audio
    device" must build its own environment (or monkeypatch these variables).

    Use it:  ``server.play(wav)`` plays a WAV into the sink (heard on the default source, the
    sink's monitor, i.e. "the microphone"); ``start = server.mark()`` ... ``server.samples(start)``
    returns a ``Recording`` (``.samples`` int16 mono at ``server.rate`` = 16 kHz, ``.seconds``,
    ``.save(path)``) of what the sink played in between; ``server.record(seconds)`` and
    ``server.record_to_wav(seconds, path)`` record from now. ``server.sink`` / ``server.source``
    name the devices, ``server.pactl(...)`` runs pactl against it.

    Skips when PulseAudio is not installed (fails under CI). The server and its one recorder are
    stopped by PID at the end of the session.
    """
    missing = missing_tools()
    if missing:
        skip_or_fail(
            f"PulseAudio is not installed (missing {', '.join(missing)}): "
            "apt-get install pulseaudio pulseaudio-utils"
        )
    server = PulseServer.start(tmp_path_factory.mktemp("pulse"))
    with pytest.MonkeyPatch.context() as patch:
        for key, value in server.env.items():
            patch.setenv(key, value)
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture()
def screen(tmp_path: Path) -> Screen:
    """The screen's app state over a new data folder in ``tmp_path`` (tests/screen_app.py)."""
    from tests.screen_app import new_screen

    return new_screen(tmp_path)


@pytest.fixture()
def client(screen: Screen) -> TestClient:
    """An in-process HTTP client of the ``screen`` fixture's app (token screen_app.TOKEN)."""
    from tests.screen_app import client_for

    return client_for(screen)
