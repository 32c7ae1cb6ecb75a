"""The live benchmark's scoring (scripts/benchmark_live.py ``results``): which clip a command
the session took from the voice belongs to. Pure logic on made-up times."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "scripts"))

import benchmark_live as live  # noqa: E402


def trial(kind: str, played: float, seconds: float) -> live.Trial:
    return live.Trial(
        kind=kind,
        clip=f"{kind}.wav",
        gain_db=0.0,
        context="counting",
        played_wall=played,
        mark=0,
        half="A",
        end_wall=played + seconds,
    )


def test_a_stop_soon_after_a_long_noise_clip_is_the_stops_not_the_noises() -> None:
    # as in a 22-minute run: household noise 2.5 s long, the next clip a "stop" 5 s after the
    # noise began, the command 0.9 s after that: within 4 s of the noise's end, but the stop's
    noise, stop = trial("noise", 100.0, 2.5), trial("stop", 105.0, 0.75)
    run = live.Run(trials=[noise, stop], commands=[(105.9, "stop", "voice")], counting_s=60.0,
                   companion_db=-30.0)  # fmt: skip
    live.results(run)
    assert noise.heard is None
    assert stop.heard == "stop" and stop.latency_s == 0.15


def test_a_command_in_a_clips_window_is_its_own_and_a_key_is_nobodys() -> None:
    word, stop = trial("word", 100.0, 0.8), trial("stop", 110.0, 0.7)
    run = live.Run(
        trials=[word, stop],
        commands=[(101.5, "pause", "voice"), (110.5, "stop", "key"), (114.0, "stop", "voice")],
        counting_s=60.0,
        companion_db=-30.0,
    )
    live.results(run)
    assert word.heard == "pause" and word.latency_s == 0.7
    assert stop.heard == "stop" and stop.latency_s == 3.3
    assert run.commands[1][2] == "key"  # not explained by a clip: a key press
