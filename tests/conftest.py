"""Shared pytest fixtures (keep each one small and documented)."""

from __future__ import annotations

import os
import resource
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.pulse import PulseServer, missing_tools

if TYPE_CHECKING:  # the screen's app is imported only by the tests that use it
    from starlette.testclient import TestClient

    from companion.screen.app import Screen

REPO = Path(__file__).resolve().parent.parent
AUDIO_GROUP = "real-time-audio"
"""The pytest-xdist group (``-n 2 --dist loadgroup``) of every test that plays or records real
audio. Not in effect today: the marker is added after xdist reads it (helper T, session 11);
making it effective (d2be33e) ran the suite 4 minutes longer, so it was reverted."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Put every test using the ``pulse_server`` fixture or marked ``audio`` in AUDIO_GROUP.

    Each pytest process has its own audio server, so two such tests could not hear each other;
    they are kept apart anyway because they measure real time (what is heard when), and two of
    them at once on a small machine would each disturb the other's timing. Without xdist the
    group changes nothing."""
    for item in items:
        if "pulse_server" in getattr(item, "fixturenames", ()) or item.get_closest_marker("audio"):
            item.add_marker(pytest.mark.xdist_group(AUDIO_GROUP))


@pytest.fixture(autouse=True)
def _browser_without_a_memory_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test marked ``browser`` runs without a virtual memory limit (``ulimit -v``), restored
    after it: Chromium reserves far more address space than it uses (V8's cage alone is many
    GB) and does not start under a limit of a few GB. The browser inherits the lifted limit
    from this process. Where the limit cannot be lifted (an unprivileged account whose hard
    limit is set), the test is skipped with the reason (failed under CI)."""
    if request.node.get_closest_marker("browser") is None:
        yield
        return
    old = resource.getrlimit(resource.RLIMIT_AS)
    if old[0] == resource.RLIM_INFINITY:
        yield
        return
    try:
        resource.setrlimit(resource.RLIMIT_AS, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    except (ValueError, OSError):
        skip_or_fail(
            f"Chromium does not start under a virtual memory limit ({old[0] // 1024} KB, "
            "ulimit -v): run the browser tests without it"
        )
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, old)


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


QUICK_TRAINING_STEPS = 100
"""Gradient steps of ``quick_training`` (the product takes 2000, about 12 s on this machine)."""


@pytest.fixture()
def quick_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retrain the user's word classifier in-process with ``QUICK_TRAINING_STEPS`` gradient
    steps instead of 2000: the same data, code path and files, a less converged model. Only for
    tests that check what is stored, listed and reported (not what the classifier then hears);
    the tests of what a retrained classifier hears train it fully."""
    from functools import partial

    from companion.classifier import training

    monkeypatch.setattr(training, "train", partial(training.train, steps=QUICK_TRAINING_STEPS))
