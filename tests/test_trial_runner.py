"""A session's clock against the wall clock: the event log's times are the times things
happened, however long the voice takes to load (it lagged by that long: up to 1.2 s seen)."""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from pathlib import Path
from typing import Any

import pytest

from companion import paths, prompts, routine, runner, wiring

LOAD_S = 1.0
"""How long the voice takes to load here (a Piper voice on a busy machine)."""


def test_the_event_log_keeps_the_wall_clock_while_the_voice_loads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = wiring.make_speaker
    loaded: list[dt.datetime] = []

    def slow_voice(*args: Any, **kwargs: Any) -> Any:
        time.sleep(LOAD_S)
        speaker = real(*args, **kwargs)
        loaded.append(dt.datetime.now().astimezone())
        return speaker

    monkeypatch.setattr(wiring, "make_speaker", slow_voice)
    where = paths.resolve(tmp_path).ensure()
    options = runner.Options(script=["yes"], voice=False, listen=False)
    with contextlib.ExitStack() as stack:
        runner.run(where, routine.default(), prompts.load("en"), options, stack)
    first = where.event_log.read_text(encoding="utf-8").splitlines()[0]
    logged = dt.datetime.fromisoformat(first.split("\t", 1)[0])
    assert loaded, "the voice was made"
    lag = (loaded[0] - logged).total_seconds()
    assert lag < 0.2, f"the event log lags the wall clock by {lag:.2f} s"
