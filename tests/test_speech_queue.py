"""The speaking queue: order, beat lines, stop, problems (stand-in synth, real processes)."""

from __future__ import annotations

import io
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from companion.errors import BadInputError
from companion.speech.captions import CaptionedSpeaker, CaptionSink
from companion.speech.queued import QueuedSpeaker
from tests.pulse import write_wav

PLAYER = """\
import sys, time, wave
log, path = sys.argv[1], sys.argv[2]
with open(log, "a") as f:
    f.write(f"start {path} {time.monotonic()}\\n")
with wave.open(path) as w:
    time.sleep(w.getnframes() / w.getframerate())
with open(log, "a") as f:
    f.write(f"end {path} {time.monotonic()}\\n")
"""


class ToneSynth:
    """Writes a silent WAV as long as ``lengths[text]`` (default 10 ms) and remembers each call."""

    def __init__(self, lengths: dict[str, float] | None = None) -> None:
        self.lengths = lengths or {}
        self.calls: list[tuple[str, int, float]] = []
        self.texts: dict[str, str] = {}

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        self.calls.append((text, rate, volume))
        self.texts[str(wav)] = text
        write_wav(wav, np.zeros(int(8000 * self.lengths.get(text, 0.01)), np.int16), 8000)


class Rig:
    """A QueuedSpeaker with a logging player process, and readers for what was played."""

    def __init__(self, tmp: Path, lengths: dict[str, float] | None = None, **kw: object) -> None:
        self.log = tmp / "played.log"
        self.log.touch()
        script = tmp / "player.py"
        script.write_text(PLAYER)
        self.synth = ToneSynth(lengths)
        self.problems: list[str] = []
        player = kw.pop("player", (sys.executable, str(script), str(self.log)))
        self.speaker = QueuedSpeaker(
            self.synth,
            player,  # type: ignore[arg-type]
            self.problems.append,
            pause=kw.pop("pause", 0.0),  # type: ignore[arg-type]
            grace=kw.pop("grace", 5.0),  # type: ignore[arg-type]
            synth_timeout=kw.pop("synth_timeout", 30.0),  # type: ignore[arg-type]
        )

    def events(self) -> list[tuple[str, str, float]]:
        out = []
        for line in self.log.read_text().splitlines():
            kind, path, when = line.split(" ")
            out.append((kind, self.synth.texts[path], float(when)))
        return out

    def started(self) -> list[str]:
        return [text for kind, text, _ in self.events() if kind == "start"]

    def ended(self) -> list[str]:
        return [text for kind, text, _ in self.events() if kind == "end"]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path, {"long": 5.0})


def test_every_line_is_played_once_in_order(rig: Rig) -> None:
    lines = [f"line {i}" for i in range(40)]
    for line in lines:
        rig.speaker.say(line)
    assert rig.speaker.busy()
    assert rig.speaker.wait(timeout=60)
    assert rig.started() == lines
    assert rig.ended() == lines
    assert not rig.speaker.busy()
    assert rig.problems == []
    rig.speaker.close()


def test_stop_kills_the_player_at_once_and_drops_the_queue(rig: Rig) -> None:
    rig.speaker.say("long")
    rig.speaker.say("after")
    _wait_for(lambda: rig.started() == ["long"])
    rig.speaker.stop()
    assert rig.speaker.wait(timeout=0.5), "still busy half a second after stop()"
    time.sleep(0.3)
    assert rig.started() == ["long"]
    assert rig.ended() == []
    rig.speaker.close()


def test_a_beat_line_cuts_in_and_drops_stale_lines(rig: Rig) -> None:
    rig.speaker.say("long")
    rig.speaker.say("stale 1")
    rig.speaker.say("stale 2")
    _wait_for(lambda: rig.started() == ["long"])
    asked = time.monotonic()
    rig.speaker.say("one", beat=True)
    rig.speaker.say("after one")
    assert rig.speaker.wait(timeout=10)
    assert rig.started() == ["long", "one", "after one"]
    assert "long" not in rig.ended()
    one_started = next(
        when for kind, text, when in rig.events() if (kind, text) == ("start", "one")
    )
    assert one_started - asked < 1.0
    rig.speaker.close()


def test_a_failing_player_is_reported_once_and_captions_continue(tmp_path: Path) -> None:
    failing = (sys.executable, "-c", "import sys; sys.exit('no audio device')")
    r = Rig(tmp_path, player=failing)
    shown = io.StringIO()
    speaker = CaptionedSpeaker(r.speaker, CaptionSink(shown))
    for i in range(5):
        speaker.say(f"line {i}")
    assert r.speaker.wait(timeout=30)
    assert len(r.problems) == 1
    assert "no audio device" in r.problems[0]
    assert shown.getvalue().splitlines() == [f"line {i}" for i in range(5)]
    assert [t for t, _, _ in r.synth.calls] == [f"line {i}" for i in range(5)]
    speaker.close()


def test_a_missing_player_is_reported_once_at_start(tmp_path: Path) -> None:
    r = Rig(tmp_path, player=None)
    assert len(r.problems) == 1
    for i in range(3):
        r.speaker.say(f"line {i}")
    assert r.speaker.wait(timeout=5)
    assert len(r.problems) == 1
    r.speaker.close()


def test_a_player_that_cannot_start_is_reported_once(tmp_path: Path) -> None:
    r = Rig(tmp_path, player=(str(tmp_path / "no-such-player"),))
    for i in range(3):
        r.speaker.say(f"line {i}")
    assert r.speaker.wait(timeout=5)
    assert len(r.problems) == 1
    assert "could not start" in r.problems[0]
    r.speaker.close()


def test_a_hung_player_is_stopped_reported_once_and_speaking_goes_on(tmp_path: Path) -> None:
    hung = (sys.executable, "-c", "import time; time.sleep(60)")
    r = Rig(tmp_path, player=hung, grace=0.5)
    asked = time.monotonic()
    r.speaker.say("first")
    r.speaker.say("second")
    assert r.speaker.wait(timeout=10)
    assert time.monotonic() - asked < 5
    assert len(r.problems) == 1
    assert "hung" in r.problems[0]
    assert [t for t, _, _ in r.synth.calls] == ["first", "second"]
    r.speaker.close()


def test_set_voice_applies_to_lines_handed_over_after_it(rig: Rig) -> None:
    rig.speaker.say("a")
    rig.speaker.set_voice(120, 0.5)
    rig.speaker.say("b")
    assert rig.speaker.wait(timeout=10)
    assert rig.synth.calls == [("a", 160, 1.0), ("b", 120, 0.5)]
    with pytest.raises(BadInputError):
        rig.speaker.set_voice(1000, 0.5)
    with pytest.raises(BadInputError):
        rig.speaker.set_voice(150, 1.5)
    rig.speaker.close()


def test_repeated_lines_are_synthesised_once(rig: Rig) -> None:
    for word in ["one", "two", "one", "two", "one"]:
        rig.speaker.say(word)
    assert rig.speaker.wait(timeout=20)
    assert [c[0] for c in rig.synth.calls] == ["one", "two"]
    assert rig.started() == ["one", "two", "one", "two", "one"]
    rig.speaker.close()


def test_the_next_line_is_synthesised_while_one_plays(tmp_path: Path) -> None:
    rig = Rig(tmp_path, lengths={"first": 0.8})
    synthesised: dict[str, float] = {}
    plain = rig.synth.synthesize

    def timed(text: str, rate: int, volume: float, wav: Path) -> None:
        synthesised[text] = time.monotonic()
        plain(text, rate, volume, wav)

    rig.synth.synthesize = timed  # type: ignore[method-assign]
    rig.speaker.say("first")
    rig.speaker.say("second")
    assert rig.speaker.wait(timeout=20)
    times = {(kind, text): at for kind, text, at in rig.events()}
    assert synthesised["first"] < synthesised["second"] < times[("end", "first")]
    assert rig.started() == ["first", "second"] and rig.problems == []
    rig.speaker.close()


def test_a_line_that_cannot_be_synthesised_is_reported_and_the_next_is_said(
    tmp_path: Path,
) -> None:
    rig = Rig(tmp_path, lengths={"first": 0.3})
    plain = rig.synth.synthesize

    def failing(text: str, rate: int, volume: float, wav: Path) -> None:
        if text == "broken":
            raise BadInputError("no audio for this line")
        plain(text, rate, volume, wav)

    rig.synth.synthesize = failing  # type: ignore[method-assign]
    for line in ("first", "broken", "third"):
        rig.speaker.say(line)
    assert rig.speaker.wait(timeout=20)
    assert rig.started() == ["first", "third"]
    assert rig.problems == ["no audio for this line"]
    rig.speaker.close()


class Hang:
    """Makes ``rig``'s synthesis of one text hang until released (a speech engine stuck)."""

    def __init__(self, rig: Rig, text: str) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        plain = rig.synth.synthesize

        def hanging(said: str, rate: int, volume: float, wav: Path) -> None:
            if said == text:
                self.entered.set()
                self.release.wait(60)
            if wav.parent.exists():  # not when the speaker was closed meanwhile
                plain(said, rate, volume, wav)

        rig.synth.synthesize = hanging  # type: ignore[method-assign]


def returns_within(seconds: float, call: Callable[[], object]) -> bool:
    """Whether ``call()`` returned within ``seconds`` (it runs on a daemon thread)."""
    done = threading.Thread(target=call, daemon=True)
    done.start()
    done.join(seconds)
    return not done.is_alive()


def test_a_hung_synthesis_is_given_up_reported_once_and_close_returns(tmp_path: Path) -> None:
    rig = Rig(tmp_path, synth_timeout=1.0)
    hang = Hang(rig, "stuck")
    try:
        rig.speaker.say("stuck")
        rig.speaker.say("next")
        assert hang.entered.wait(5)
        assert rig.speaker.wait(timeout=6), "the speaker waited for good on its synthesis"
        assert rig.problems == ["speech synthesis did not finish within 1 s"]
        assert rig.started() == []  # "next" waited its turn behind the stuck line: given up
        assert returns_within(7, rig.speaker.close), "close() waited for the synthesis"
    finally:
        hang.release.set()


def test_stop_is_not_held_up_by_a_hung_synthesis(tmp_path: Path) -> None:
    rig = Rig(tmp_path, synth_timeout=30.0)
    hang = Hang(rig, "stuck")
    try:
        rig.speaker.say("stuck")
        assert hang.entered.wait(5)
        rig.speaker.stop()
        assert rig.speaker.wait(timeout=1.0), "still busy a second after stop()"
        assert rig.problems == []  # a line cut short by stop() is no problem
    finally:
        hang.release.set()
    rig.speaker.say("after")
    assert rig.speaker.wait(timeout=10)
    assert rig.started() == ["after"]
    rig.speaker.close()


def test_close_says_what_is_queued_first(rig: Rig) -> None:
    for i in range(3):
        rig.speaker.say(f"line {i}")
    rig.speaker.close()
    assert rig.ended() == [f"line {i}" for i in range(3)]
    rig.speaker.say("too late")
    assert not rig.speaker.busy()


def test_speaking_from_many_threads_loses_nothing(rig: Rig) -> None:
    def talk(who: int) -> None:
        for i in range(5):
            rig.speaker.say(f"{who}-{i}")

    threads = [threading.Thread(target=talk, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert rig.speaker.wait(timeout=60)
    played = rig.started()
    assert sorted(played) == sorted(f"{w}-{i}" for w in range(4) for i in range(5))
    for w in range(4):
        assert [p for p in played if p.startswith(f"{w}-")] == [f"{w}-{i}" for i in range(5)]
    rig.speaker.close()


def _wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)
