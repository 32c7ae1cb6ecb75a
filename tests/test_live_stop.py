"""Live: "stop" said while the companion counts stops the set (issue 18).

A real ``companion session`` speaks into a PulseAudio null sink whose monitor is its microphone
(tests/pulse.py). A keyboard on a pseudo-terminal starts the set and, after each stop, says
"n" (do not end the session) and "c" (continue), as a caregiver might. Twenty recordings of
"stop" by real speakers are played into the sink at the companion's level while it counts: every
other one over a count line (0-0.4 s after the line was handed to the speaker), the others just
after one (in the gap before the next). Before issue 18
3 of 23 live "stop"s were heard. The companion plays its speech in-process and takes exactly
what it played out of the microphone (echo cancellation). The live benchmark
(scripts/benchmark_live.py) carries the targets; this test guards against a regression, and
checks that nothing but "stop" came from the voice (its own lines included).
"""

from __future__ import annotations

import json
import os
import pty
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import skip_or_fail, speech_data
from tests.pulse import RATE, PulseServer, read_wav, write_wav

REPO = Path(__file__).resolve().parent.parent
ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 60
sets = 1

[safety]
pre_session_check = false

[speech]
volume = 0.3
"""
CLIPS = 20
NEEDED = 17
"""The issue's bar. With the companion's speech played in-process (sample-true echo reference),
Speex's linear canceller and the residual gate: 20 of 20 (load ~8), 19 of 20 (load 0.5;
9-10 of the 10 over its voice). Before (an aplay per line, AEC3): 10, 12, 13 and 13
of 20 at load 5-17, with the bar at 9."""
OVER_S = (0.0, 0.4)
"""A clip said over a count line starts this long after the line was handed to the speaker."""
HEARD_WITHIN_S = 4.0
COMPANION_DB = -31.0
"""The companion's voice at volume 0.3 in the sink (loud part, dBFS; benchmark_live measures it)."""

# solo: what is heard live is measured against a bar; `make pytest` runs these alone, after the rest
pytestmark = [pytest.mark.audio, pytest.mark.slow, pytest.mark.solo]


class LiveSession:
    """``companion session`` with a keyboard on a pseudo-terminal; its event log followed."""

    def __init__(self, proc: subprocess.Popen[bytes], master: int, log: Path) -> None:
        self.proc, self.master, self.log = proc, master, log
        self.events: list[tuple[str, dict[str, object]]] = []
        self.cursor = 0

    def poll(self) -> None:
        if self.log.exists():
            lines = self.log.read_text(encoding="utf-8").splitlines()
            for line in lines[len(self.events) :]:
                _at, kind, details = line.split("\t", 2)
                self.events.append((kind, json.loads(details)))

    def wait_for(self, kind: str, timeout: float, **match: object) -> dict[str, object] | None:
        """The next event of ``kind`` matching ``match`` after those consumed (None: none came)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            self.poll()
            for i in range(self.cursor, len(self.events)):
                k, d = self.events[i]
                if k == kind and all(d.get(key) == v for key, v in match.items()):
                    self.cursor = i + 1
                    return d
            time.sleep(0.02)
        return None

    def key(self, key: str) -> None:
        os.write(self.master, key.encode())

    def carry_on(self, timeout: float = 20) -> None:
        """Answer "n" to ending the session, "c" to continue and space to start the set again,
        until it counts again."""
        deadline = time.monotonic() + timeout
        answered = ""
        while time.monotonic() < deadline:
            self.poll()
            listens = [d["context"] for k, d in self.events if k == "listen"]
            context = listens[-1] if listens else ""
            if context == "counting":
                self.cursor = len(self.events)
                return
            if context in ("yesno", "paused", "ready") and context != answered:
                self.key({"yesno": "n", "paused": "c", "ready": " "}[str(context)])
                answered = str(context)
            time.sleep(0.05)
        raise AssertionError("it never counted again")


@contextmanager
def live_session(
    server: PulseServer, tmp_path: Path, routine: str = ROUTINE
) -> Iterator[LiveSession]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "routine.toml").write_text(routine, encoding="utf-8")
    master, slave = pty.openpty()
    with (tmp_path / "stderr.txt").open("w") as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", "companion.cli.main", "--debug", "--data-dir", str(data),
             "session", "--engine", "pocketsphinx"],
            cwd=REPO, env=server.client_env(), stdin=slave, stdout=subprocess.DEVNULL,
            stderr=errors,
        )  # fmt: skip
        os.close(slave)
        session = LiveSession(proc, master, data / "events.log")
        try:
            yield session
        except AssertionError as exc:
            lines = (tmp_path / "stderr.txt").read_text().splitlines()
            heard = "\n".join([x for x in lines if "listener" in x][-30:])
            session.poll()
            seen = "\n".join(map(str, session.events[-12:]))
            raise AssertionError(
                f"{exc}\nevents:\n{seen}\nwhat the listener did:\n{heard}"
            ) from None
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait(timeout=10)
            os.close(master)


def at_companion_level(clip: Path, out: Path) -> Path:
    """The recording with its loud part at the companion's level (``COMPANION_DB``)."""
    x = read_wav(clip).samples.astype(np.float64)
    frames = x[: len(x) // 160 * 160].reshape(-1, 160)
    db = 20 * np.log10(np.maximum(frames.std(axis=1), 1e-3) / 32768)
    level = float(np.median(db[db >= db.max() - 20]))
    y = np.clip(np.rint(x * 10 ** ((COMPANION_DB - level) / 20)), -32768, 32767)
    write_wav(out, y.astype(np.int16), RATE)
    return out


@pytest.mark.timeout(420)
def test_stop_said_while_it_counts_stops_the_set(pulse_server: PulseServer, tmp_path: Path) -> None:
    stops = sorted((speech_data() / "commands" / "stop").glob("*.wav"))[:CLIPS]
    clips = [at_companion_level(p, tmp_path / f"stop-{i}.wav") for i, p in enumerate(stops)]
    rng = random.Random(18)
    heard: list[str] = []
    with live_session(pulse_server, tmp_path) as session:
        assert session.wait_for("listen", 60, context="ready"), "the session never got ready"
        session.key(" ")  # start now: the first count line cuts the introduction short
        for n, clip in enumerate(clips):
            over = n % 2 == 0
            assert session.wait_for("say", 15, key="count"), "it stopped counting"
            if over:
                time.sleep(rng.uniform(*OVER_S))
            else:  # just after the line, in the gap before the next
                assert session.wait_for("quiet", 5) is not None, "the count line never ended"
                time.sleep(rng.uniform(0.0, 0.1))  # "quiet" comes 0.3 s after the line
            pulse_server.play(clip)
            if session.wait_for("command", HEARD_WITHIN_S, command="stop", source="voice"):
                heard.append(("over " if over else "after ") + clip.name)
                time.sleep(0.3)  # "Stopped." begins; the count after the keys cuts it short
                session.carry_on()
        session.poll()
        by_voice = [d["command"] for k, d in session.events if k == "command" and
                    d["source"] == "voice"]  # fmt: skip
    over = sum(h.startswith("over") for h in heard)
    print(f"{len(heard)} of {CLIPS} stopped the set ({over} of {CLIPS // 2} said over its voice)")
    assert len(heard) >= NEEDED, f"{len(heard)} of {CLIPS} stopped the set"
    assert set(by_voice) == {"stop"}, by_voice  # nothing else, from its voice or the clips


SITUATIONS_ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 2
sets = 3
rest_seconds = 30

[safety]
pre_session_check = false

[speech]
volume = 0.3
"""
"""Short sets, so that a set is introduced, counted, rested after and asked about soon; a rest
long enough that it is still on when "it hurts" is said after the "stop" in it (with 14 s it
had ended, and "it hurts" was said once the next set was offered)."""


def it_hurts(voice: str, out: Path) -> Path:
    """ "It hurts" in one of flite's voices at the companion's level: no person's recording of
    it is shared, and flite is not the companion's synthesiser."""
    if shutil.which("flite") is None:
        skip_or_fail("flite is not installed to say 'it hurts' (apt-get install flite)")
    raw = out.with_name(f"raw-{out.name}")
    subprocess.run(["flite", "-voice", voice, "-t", "it hurts", "-o", str(raw)], check=True)
    return at_companion_level(raw, out)


def heard_as(session: LiveSession, server: PulseServer, clips: list[Path], command: str) -> int:
    """Play ``clips`` one after the other until ``command`` comes from the voice (as a user
    says it again when it was not acted on); the attempt that was heard (0: none)."""
    for attempt, clip in enumerate(clips, 1):
        server.play(clip)
        if session.wait_for("command", HEARD_WITHIN_S, command=command, source="voice"):
            return attempt
    return 0


def answer_until(
    session: LiveSession, context: str, answers: dict[str, str], timeout: float = 60
) -> None:
    """Answer each question the session asks from now on with ``answers`` (context: key) once
    it has been asked (the companion quiet), as a caregiver at the keyboard, until it listens
    in ``context``."""
    deadline = time.monotonic() + timeout
    due: str | None = None
    while time.monotonic() < deadline:
        session.poll()
        for i in range(session.cursor, len(session.events)):
            kind, d = session.events[i]
            session.cursor = i + 1
            if kind == "listen" and d["context"] == context:
                return
            if kind == "listen":
                due = answers.get(str(d["context"]))
            elif kind == "quiet" and due is not None:
                session.key(due)
                due = None
        time.sleep(0.05)
    raise AssertionError(f"the session never listened in {context}")


def quietly(session: LiveSession, timeout: float = 20) -> None:
    """Wait until the companion has said all it had to (answered by the keys at once, its
    questions and "Rest for 14 seconds" may still be playing) and stays quiet for a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session.poll()
        kinds = [k for k, _ in session.events]
        last_say = max((i for i, k in enumerate(kinds) if k == "say"), default=-1)
        if "quiet" in kinds[last_say + 1 :]:
            time.sleep(1.0)
            session.poll()
            if "say" not in [k for k, _ in session.events[len(kinds) :]]:
                return
        time.sleep(0.05)
    raise AssertionError("the companion never fell quiet")


CARRY_ON = {"yesno": "n", "paused": "c", "ready": " "}
"""Do not end the session, continue, start the set again."""


@pytest.mark.timeout(300)
def test_stop_and_it_hurts_are_heard_at_an_introduction_a_question_and_a_rest(
    pulse_server: PulseServer, tmp_path: Path
) -> None:
    """Issue 18: "stop" while a set is introduced ("Set 1 of 3. Get ready."), while the pain
    question is asked and during a rest, and "it hurts" during a rest (flite's rms, then slt
    voice: the reader read "it hurts" as 0.00 before it scored phrases as the model writes
    them). A user whose word is not acted on says it again: two attempts each (the attempt
    heard is printed). The recordings of "stop" are those the first test does not use, but
    speaker 1acc97de's (who says it like "slow": even offline only the reader hears him,
    docs/benchmarks.md)."""
    every = sorted((speech_data() / "commands" / "stop").glob("*.wav"))
    stops = [every[i] for i in (25, 30, 27, 31, 29, 32)]
    clips = [at_companion_level(p, tmp_path / f"stop-{i}.wav") for i, p in enumerate(stops)]
    attempts: dict[str, int] = {}
    with live_session(pulse_server, tmp_path, SITUATIONS_ROUTINE) as session:
        assert session.wait_for("listen", 60, context="ready"), "the session never got ready"
        session.key(" ")
        assert session.wait_for("say", 15, key="set_start"), "no set was introduced"
        time.sleep(0.3)  # over "Set 1 of 3. Get ready."
        attempts["stop, a set introduced"] = heard_as(session, pulse_server, clips[0:2], "stop")
        answer_until(session, "number", CARRY_ON)  # the set, then "Any pain? Say a number"
        time.sleep(0.3)  # over the question
        attempts["stop, a question"] = heard_as(session, pulse_server, clips[2:4], "stop")
        answer_until(session, "rest", {**CARRY_ON, "number": "1"})  # pain 1, effort 1
        quietly(session)
        attempts["stop, a rest"] = heard_as(session, pulse_server, clips[4:6], "stop")
        answer_until(session, "rest", CARRY_ON)  # "Do you want to end the session?": no
        quietly(session)  # "All right. We will carry on." and the rest goes on
        hurts = [it_hurts(v, tmp_path / f"it-hurts-{v}.wav") for v in ("rms", "slt")]
        attempts["it hurts, a rest"] = heard_as(session, pulse_server, hurts, "hurts")
        session.poll()
        hurt = [i for i, (k, d) in enumerate(session.events) if d.get("command") == "hurts"]
        listens = (
            [d["context"] for k, d in session.events[: hurt[0]] if k == "listen"] if hurt else []
        )
        by_voice = [d["command"] for k, d in session.events if k == "command" and
                    d["source"] == "voice"]  # fmt: skip
    print(f"attempt heard (0: not heard): {attempts}")
    assert all(attempts.values()), attempts
    assert listens[-1:] == ["rest"], f"'it hurts' was heard in {listens[-1:]}, not in a rest"
    assert by_voice == ["stop", "stop", "stop", "hurts"], by_voice  # nothing else
