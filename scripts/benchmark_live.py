"""Live benchmark: is "stop" heard over the companion's own voice, through a real audio path?

Usage:  .venv/bin/python scripts/benchmark_live.py [--minutes 30] [--seed 1] [--trials N]
                                                   [--cross-dir /tmp/companion-cross]
                                                   [--rows FILE] [--data DIR] [--noise-db 10]
                                                   [--hurts-share 0.3]

A real ``companion session`` (the real listener, the real speech synthesis) runs against a
private PulseAudio server (tests/pulse.py): the companion speaks into a null sink whose monitor
is its microphone, as a loudspeaker beside a microphone in a room. A keyboard on a
pseudo-terminal answers its questions ("n" to ending the session, "c" to continue, space to
start, "3" to a rating), as a caregiver might. While it introduces a set, counts, rests and asks,
the benchmark plays shared recordings into the same sink at random moments:

- "stop" (../shared/data/speech/commands/stop), at the companion's level and 10 dB below;
- non-command words (up, down, left, off, on, _unknown_) and household noise (_silence_);
- "it hurts" (flite's voices: no person's recording is shared; the word classifier never
  learnt flite's "it hurts"), a tenth of the clips while counting, or with ``--hurts-share P``
  a share P of the clips during rests, at questions and while counting;
- with ``--noise-db N``, household noise all along (the _silence_ cuts one after another), N dB
  below the companion's voice (taken out of the recording again before the clips are judged).

It also reports how long the companion's own voice was heard (the recording with the clips and
the noise taken out) and the commands no clip explains (its own voice giving a command).

Each speaker half is judged by the word classifier trained on the other half
(``word-classifier-A.npz``/``-B.npz`` in --cross-dir, from ``train_word_classifier.py --half``;
see docs/benchmarks.md), installed as the user's own classifier in the session's data folder, so
every clip is of a speaker the classifier never heard. Without them the shipped classifier is
used (it trained on these very speakers: the report says so).

Afterwards each clip is found in the recording of the monitor (it is mixed in sample-exactly),
so what the companion was saying under it is known: "over its voice" when its voice is under the
word, else "between lines". Latency runs from the end of the word (last 10 ms within 30 dB of
the loudest) as the monitor carried it, to the session's event-log time of the command. A
command from the voice that no clip can explain is the companion's own voice giving a command.
Seeded; prints a Markdown report (paste it into docs/benchmarks.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import pty
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from benchmark_recognition import half, speech_dir  # noqa: E402

from tests.pulse import RATE, PulseServer, read_wav, write_wav  # noqa: E402

ROUTINE = """
[[exercise]]
id = "palm_turn"
reps = 12
sets = 3
rest_seconds = 12

[[exercise]]
id = "wrist_bend"
reps = 12
sets = 2
rest_seconds = 12

[safety]
pre_session_check = false

[speech]
volume = 0.3
"""
"""Counting (a line every 2 s), rests, set introductions and the pain and effort questions."""

TIMED_LOG = (
    "import logging, sys\n"
    "from companion.cli.main import main\n"
    "basic = logging.basicConfig\n"
    "stamp = lambda kw: {**kw, 'format': '%(created).3f ' + kw['format']}\n"
    "logging.basicConfig = lambda **kw: basic(**stamp(kw))\n"
    "sys.exit(main(sys.argv[1:]))\n"
)
"""``companion`` with each line of its debug log stamped with the wall-clock time (to read a
clip's fate in the session's log: ``--keep``)."""

WINDOW_S = 4.0
"""A command this long after the end of a clip's word is that clip's result."""
WORDS = ("up", "down", "left", "off", "on", "_unknown_")
"""Non-command words while counting ("right" means yes; "go" and "no" are commands)."""
KEYS = {"ready": " ", "yesno": "n", "paused": "c", "number": "3"}
"""The keyboard's answer in each context where the session waits for one."""


@dataclass
class Trial:
    """One clip played into the room, and what came of it."""

    kind: str
    """"stop", "word" or "noise"."""
    clip: str
    gain_db: float
    """Relative to the companion's voice level (for noise: to its level as recorded)."""
    context: str
    """"intro" (a set being introduced), "counting", "rest" or "question"."""
    played_wall: float
    mark: int
    """Position in the monitor recording just before the clip was handed to the player."""
    half: str
    samples: list[int] = field(default_factory=list, repr=False)
    over_voice: bool | None = None
    end_wall: float | None = None
    heard: str | None = None
    latency_s: float | None = None
    at: int | None = None
    """Where the clip was found in the monitor recording."""


@dataclass
class Clips:
    """The recordings for one judged half."""

    stop: list[Path]
    words: list[Path]
    noise: list[Path]
    hurts: list[Path] = field(default_factory=list)
    """ "It hurts", synthetic (flite): no recording of a person saying it is shared."""
    hurts_share: float = 0.0
    """With ``--hurts-share``: this share of the clips during a rest, at a question and while
    counting (not while a set is introduced) is "it hurts" (0: only the usual tenth of the
    clips while counting)."""


HURTS_VOICES = ("awb", "rms", "slt", "kal16")
"""flite's 16 kHz voices (the companion speaks with espeak-ng, a different synthesiser)."""


def hurts_clips(work: Path) -> list[Path]:
    """ "It hurts" in flite's voices at three speeds (none if flite is not installed)."""
    if shutil.which("flite") is None:
        return []
    out = []
    for voice in HURTS_VOICES:
        for stretch in (0.9, 1.1, 1.3):
            path = work / f"it-hurts-{voice}-{stretch}.wav"
            if not path.exists():
                cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={stretch}"]
                subprocess.run([*cmd, "-t", "it hurts", "-o", str(path)], check=True, timeout=60)
            if read_wav(path).rate == RATE:
                out.append(path)
    return out


def speaker_of(path: Path) -> str:
    parts = path.stem.split("_")
    return parts[1] if path.parent.name == "_unknown_" else parts[0]


def clips_for(data: Path, judged: str) -> Clips:
    cmds = data / "commands"

    def of(folder: str) -> list[Path]:
        return [p for p in sorted((cmds / folder).glob("*.wav")) if half(speaker_of(p)) == judged]

    words = [p for w in WORDS for p in of(w)]
    noise = sorted((cmds / "_silence_").glob("*.wav"))
    return Clips(stop=of("stop"), words=words, noise=noise)


def frame_db(x: np.ndarray, frame: int = RATE // 100) -> np.ndarray:
    """Level of each 10 ms frame in dB relative to full scale."""
    n = len(x) // frame
    if n == 0:
        return np.zeros(0)
    f = x[: n * frame].astype(np.float64).reshape(n, frame)
    rms = np.sqrt(np.mean(np.square(f - f.mean(axis=1, keepdims=True)), axis=1))
    return 20 * np.log10(np.maximum(rms, 1e-3) / 32768)


def speech_level_db(x: np.ndarray) -> float:
    """The level of the loud part of speech: the median of the frames within 20 dB of the
    loudest."""
    db = frame_db(x)
    if db.size == 0:
        return -100.0
    return float(np.median(db[db >= db.max() - 20]))


def word_span(x: np.ndarray) -> tuple[int, int]:
    """(first, last+1) sample of the word: 10 ms frames within 30 dB of the loudest."""
    db = frame_db(x)
    loud = np.flatnonzero(db >= db.max() - 30)
    frame = RATE // 100
    return int(loud[0]) * frame, (int(loud[-1]) + 1) * frame


def scaled(path: Path, gain_db: float, reference_db: float | None) -> np.ndarray:
    """The clip at 16 kHz, its speech level set to ``reference_db`` + ``gain_db`` (noise: its
    own level + ``gain_db``)."""
    rec = read_wav(path)
    x = rec.samples.astype(np.float64)
    if rec.rate != RATE:
        raise SystemExit(f"{path}: expected {RATE} Hz")
    gain = 10 ** (gain_db / 20)
    if reference_db is not None:
        gain *= 10 ** ((reference_db - speech_level_db(rec.samples)) / 20)
    return np.clip(np.rint(x * gain), -32768, 32767).astype(np.int16)


def locate(monitor: np.ndarray, clip: np.ndarray) -> int:
    """Where ``clip`` starts in ``monitor`` (cross-correlation: it was mixed in sample-exactly)."""
    n = len(monitor) + len(clip)
    size = 1 << (n - 1).bit_length()
    a = np.fft.rfft(monitor.astype(np.float64), size)
    b = np.fft.rfft(clip.astype(np.float64), size)
    corr = np.fft.irfft(a * np.conj(b), size)[: len(monitor) - len(clip) + 1]
    return int(np.argmax(corr))


class Clock:
    """Maps positions in the monitor recording to wall-clock time (fitted as it records)."""

    def __init__(self) -> None:
        self.points: list[tuple[int, float]] = []

    def note(self, server: PulseServer) -> None:
        self.points.append((server.mark(), time.time()))

    def wall(self, position: int) -> float:
        pos = np.array([p for p, _ in self.points[-2000:]], dtype=np.float64)
        wall = np.array([w for _, w in self.points[-2000:]])
        slope, icept = np.polyfit(pos, wall, 1)
        # the recorder writes a moment after the sink played: the fit's lower edge is the play
        offset = float(np.min(wall - (slope * pos + icept)))
        return float(slope * position + icept + offset)


class Session:
    """``companion session`` on a pseudo-terminal, its event log followed."""

    def __init__(self, server: PulseServer, data: Path, stderr: Path) -> None:
        self.master, slave = pty.openpty()
        self.log_path = data / "events.log"
        self.seen = 0
        self.lag = float("inf")
        self.errors = stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-c", TIMED_LOG, "--debug", "--data-dir", str(data),
             "session", "--engine", "pocketsphinx"],
            cwd=ROOT, env=server.client_env(), stdin=slave, stdout=subprocess.DEVNULL,
            stderr=self.errors,
        )  # fmt: skip
        os.close(slave)

    def events(self) -> list[tuple[float, str, dict[str, object]]]:
        """Events logged since the last call: (time logged, kind, details). The session's
        clock lags the wall clock by however long it took to start (it notes the time, then
        loads the voice, then starts counting): ``wall`` corrects that."""
        if not self.log_path.exists():
            return []
        seen = time.time()
        lines = self.log_path.read_text(encoding="utf-8").splitlines()
        out = []
        for line in lines[self.seen :]:
            at, kind, details = line.split("\t", 2)
            logged = dt.datetime.fromisoformat(at).timestamp()
            self.lag = min(self.lag, seen - logged)
            out.append((logged, kind, json.loads(details)))
        self.seen = len(lines)
        return out

    def wall(self, logged: float) -> float:
        """The wall-clock time of an event logged at ``logged``: the smallest gap seen between
        an event's logged time and the moment it was read (polled every 20 ms) is the lag."""
        return logged + (self.lag if self.lag < float("inf") else 0.0)

    def key(self, key: str) -> None:
        os.write(self.master, key.encode())

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        os.close(self.master)
        self.errors.close()


@dataclass
class Run:
    """What one judged half's live run produced."""

    trials: list[Trial]
    commands: list[tuple[float, str, str]]
    """(wall time, command, source) of every command."""
    counting_s: float
    """Time spent in the counting context."""
    companion_db: float
    voice_s: float = 0.0
    """Time the companion's own voice was heard (the recording with the clips taken out, 10 ms
    frames within 20 dB of its level)."""


def own_voice_s(whole: np.ndarray, trials: list[Trial], since: int, level_db: float) -> float:
    """Seconds of the companion's voice in ``whole[since:]``, the clips taken out."""
    rest = whole[since:].astype(np.int32)
    for t in trials:
        if t.at is not None and t.at >= since:
            clip = np.array(t.samples, dtype=np.int32)[: len(rest) - (t.at - since)]
            rest[t.at - since : t.at - since + len(clip)] -= clip
    return float(np.sum(frame_db(rest) >= level_db - 20)) / 100


def noise_bed(clips: list[Path], seconds: float, level_db: float, rng: random.Random) -> np.ndarray:
    """Household noise (the shared ``_silence_`` cuts, shuffled, one after another) for
    ``seconds``, each cut at ``level_db`` (its loud part)."""
    out: list[np.ndarray] = []
    n = 0
    while n < seconds * RATE:
        x = scaled(rng.choice(clips), 0.0, level_db)
        out.append(x)
        n += len(x)
    return np.concatenate(out)


def live_run(
    server: PulseServer,
    clips: Clips,
    judged: str,
    seconds: float,
    max_trials: int,
    rng: random.Random,
    work: Path,
    classifier: Path | None,
    routine: str = ROUTINE,
    play_clips: bool = True,
    noise_db: float | None = None,
) -> Run:
    """Play clips into a running session for ``seconds`` (restarted when it ends); without
    ``play_clips`` only listen to it. ``noise_db``: household noise all along, this many dB
    below the companion's voice (from when its level is known)."""
    trials: list[Trial] = []
    commands: list[tuple[float, str, str]] = []
    clock = Clock()
    run_start = server.mark()
    bed: tuple[np.ndarray, int, subprocess.Popen[bytes]] | None = None
    counting_s = 0.0
    start = time.time()
    companion_db: float | None = None
    sessions = 0
    while time.time() - start < seconds and len(trials) < max_trials:
        sessions += 1
        data = work / f"data-{judged}-{sessions}"
        data.mkdir(parents=True)
        (data / "routine.toml").write_text(routine, encoding="utf-8")
        if classifier is not None:
            (data / "voice").mkdir()
            (data / "voice" / "word-classifier.npz").write_bytes(classifier.read_bytes())
        session = Session(server, data, work / f"stderr-{judged}-{sessions}.txt")
        session_start = server.mark()
        context, since = "", time.time()
        set_start = 0.0
        question_at: float | None = None
        quiet_at: float | None = None
        pending: Trial | None = None
        logged: list[tuple[float, str, str]] = []
        next_at = time.time() + rng.uniform(2, 6)
        answer_at: float | None = None
        try:
            while time.time() - start < seconds and len(trials) < max_trials:
                clock.note(server)
                now = time.time()
                for at, kind, d in session.events():
                    if kind == "listen":
                        if context == "counting":
                            counting_s += at - since
                        context, since = str(d["context"]), at
                        answer_at = None
                        if context == "rest":
                            next_at = now + rng.uniform(0.2, 8.0)
                        elif context == "number":  # while it asks, or just after: some questions
                            wait = rng.uniform(0.2, 3.0)
                            trial = play_clips and rng.random() < 0.4
                            question_at = now + wait if trial else None
                    elif kind == "say":
                        quiet_at = None
                        if d.get("key") == "set_start":
                            set_start = now
                            if rng.random() < 0.5:  # while it introduces the set
                                next_at = now + rng.uniform(0.0, 1.2)
                    elif kind == "quiet":
                        quiet_at = now
                    elif kind == "command":
                        logged.append((at, str(d["command"]), str(d["source"])))
                    elif kind == "end":
                        raise EOFError
                if session.proc.poll() is not None:
                    if not session.seen:  # it never began: no point in starting it again
                        raise SystemExit(f"the session failed to start; see {session.errors.name}")
                    raise EOFError
                if companion_db is None:
                    if context == "ready" and quiet_at is not None:
                        heard = server.samples(session_start, settle=0).samples
                        companion_db = speech_level_db(heard)
                    else:
                        time.sleep(0.02)
                        continue
                if noise_db is not None and bed is None:
                    left = seconds - (time.time() - start) + 3 * WINDOW_S + 30
                    noise = noise_bed(clips.noise, left, companion_db - noise_db, rng)
                    write_wav(work / "noise.wav", noise, RATE)
                    bed = (noise, server.mark(), server.play(work / "noise.wav", wait=False))
                if pending is not None and now > pending.played_wall + 1.0 + WINDOW_S:
                    pending = None
                if pending is None and context in KEYS and quiet_at is not None:
                    if context == "number" and question_at is not None:  # a trial comes first
                        pass
                    elif answer_at is None:
                        answer_at = now + 0.4
                    elif now >= answer_at:
                        session.key(KEYS[context])
                        answer_at = now + 6  # once; again only if nothing changes
                if not play_clips:
                    pass
                elif pending is None and context == "number":
                    if question_at is not None and now >= question_at:
                        question_at = None
                        pending = play(server, clips, context, False, companion_db, rng, work,
                                       judged)  # fmt: skip
                        trials.append(pending)
                elif pending is None and now >= next_at and context in ("counting", "rest"):
                    intro = context == "counting" and now - set_start < 3.0
                    pending = play(server, clips, context, intro, companion_db, rng, work, judged)
                    trials.append(pending)
                    next_at = now + rng.uniform(3, 8)
                time.sleep(0.02)
        except EOFError:
            pass
        finally:
            if context == "counting":
                counting_s += time.time() - since
            session.close()
            time.sleep(WINDOW_S)
            for at, kind, d in session.events():
                if kind == "command":
                    logged.append((at, str(d["command"]), str(d["source"])))
            commands += [(session.wall(at), c, source) for at, c, source in logged]
    for _ in range(10):
        clock.note(server)
        time.sleep(0.01)
    whole = server.samples(0, settle=0.5).samples
    if bed is not None:  # the noise taken out of the recording: it is not the companion
        noise, mark, player = bed
        player.terminate()
        player.wait(timeout=10)
        lo = max(0, mark - RATE // 5)
        at = lo + locate(whole[lo : mark + 3 * RATE], noise[: 2 * RATE])
        whole = whole.astype(np.int32)
        part = noise[: len(whole) - at].astype(np.int32)
        whole[at : at + len(part)] -= part
    for t in trials:
        analyse(t, whole, clock, companion_db or -30.0)
    voice_s = own_voice_s(whole, trials, run_start, companion_db or -30.0)
    return Run(trials, commands, counting_s, companion_db or -30.0, voice_s)


def play(
    server: PulseServer,
    clips: Clips,
    context: str,
    intro: bool,
    companion_db: float,
    rng: random.Random,
    work: Path,
    judged: str,
) -> Trial:
    """Choose and play one clip now (``intro``: "Set 1 of 3. Get ready. Begin." is being
    said)."""
    where = "intro" if intro else context
    if context == "number":
        where = "question"
    roll = rng.random()
    if clips.hurts_share and not intro:  # a share of the clips everywhere, not by ``roll``
        hurts = rng.random() < clips.hurts_share
        roll *= 0.9  # otherwise "stop", a word or noise in the usual proportions
    else:
        hurts = context == "counting" and not intro and roll >= 0.9
    if clips.hurts and hurts:
        kind, clip = "hurts", rng.choice(clips.hurts)
        gain = rng.choice((0.0, -10.0))
        samples = scaled(clip, gain, companion_db)
    elif context != "counting" or intro or roll < 0.55:
        kind, clip = "stop", rng.choice(clips.stop)
        gain = rng.choice((0.0, -10.0))
        samples = scaled(clip, gain, companion_db)
    elif roll < 0.75:
        kind, clip = "word", rng.choice(clips.words)
        gain = rng.choice((0.0, -10.0))
        samples = scaled(clip, gain, companion_db)
    elif roll < 0.9:
        kind, clip = "noise", rng.choice(clips.noise)
        gain = rng.choice((0.0, 10.0))
        samples = scaled(clip, gain, None)
    path = work / "clip.wav"
    write_wav(path, samples, RATE)
    mark = server.mark()
    played = time.time()
    server.play(path, wait=False)
    return Trial(kind, str(clip), gain, where, played, mark, judged, samples.tolist())


def analyse(t: Trial, whole: np.ndarray, clock: Clock, companion_db: float) -> None:
    """Find the clip in the monitor recording: what was under it, and when its word ended."""
    clip = np.array(t.samples, dtype=np.int16)
    lo = max(0, t.mark - RATE // 5)
    seg = whole[lo : t.mark + 2 * RATE + len(clip)]
    if len(seg) < len(clip):
        return
    at = lo + locate(seg, clip)
    t.at = at
    residual = whole[at : at + len(clip)].astype(np.int32) - clip.astype(np.int32)
    first, last = word_span(clip)
    under = frame_db(residual[first:last])
    t.over_voice = bool(np.sum(under >= companion_db - 15) >= 5)  # 50 ms of its voice
    t.end_wall = clock.wall(at + last)


def results(run: Run) -> None:
    """Give each trial the first command after its clip (within the window, and before the
    next clip began: a stop said 2.5 s after a long noise clip ended is that stop's, not the
    noise's; it once counted as a false stop from noise and a missed stop)."""
    used: set[int] = set()
    starts = sorted(t.played_wall for t in run.trials)
    for t in run.trials:
        if t.end_wall is None:
            continue
        later = [s for s in starts if s > t.played_wall]
        until = min(t.end_wall + WINDOW_S, later[0] - 0.2 if later else float("inf"))
        for i, (at, command, source) in enumerate(run.commands):
            if source != "voice" or i in used:
                continue
            if t.played_wall - 0.2 <= at <= until:
                if t.heard is None:
                    t.heard, t.latency_s = command, round(at - t.end_wall, 3)
                used.add(i)  # a second command in the window is the clip's too, not its voice
    run.commands[:] = [
        c if i not in used else (c[0], c[1], "explained") for i, c in enumerate(run.commands)
    ]


def rate(hits: int, total: int) -> str:
    return f"{hits / total:.3f} ({hits}/{total})" if total else "- (0/0)"


def report(runs: list[Run], args: argparse.Namespace, note: str) -> None:
    trials = [t for r in runs for t in r.trials]
    stops = [t for t in trials if t.kind == "stop" and t.over_voice is not None]
    counting_h = sum(r.counting_s for r in runs) / 3600
    load = os.getloadavg()
    level = np.mean([r.companion_db for r in runs])
    noise = f", household noise {args.noise_db:g} dB below its voice" if args.noise_db else ""
    print(f"Live run: seed {args.seed}, {args.minutes} minutes, {len(trials)} clips{noise}; "
          f"{note}.")  # fmt: skip
    print(f"Companion's voice level (loud part): {level:.1f} dBFS.")
    print(f"Load average at the end (2 cores, shared): {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}.")
    print()
    print('| "stop" | heard | taken as "it hurts" | missed |')
    print("|---|---|---|---|")
    rows = [
        ("over its voice", [t for t in stops if t.over_voice]),
        ("between its lines", [t for t in stops if not t.over_voice]),
    ]
    for where in ("intro", "counting", "rest", "question"):
        rows.append((f"while {where}", [t for t in stops if t.context == where]))
    for gain in (0.0, -10.0):
        rows.append((f"at {gain:+.0f} dB", [t for t in stops if t.gain_db == gain]))
    rows.append(("all", stops))
    for name, group in rows:
        heard = sum(t.heard == "stop" for t in group)
        hurts = sum(t.heard == "hurts" for t in group)
        missed = sum(t.heard is None for t in group)
        print(f"| {name} | {rate(heard, len(group))} | {hurts} | {missed} |")
    lat = sorted(t.latency_s for t in stops if t.heard in ("stop", "hurts") and t.latency_s)
    if lat:
        q = np.percentile(lat, [50, 90])
        print(f"\nDecided after the end of the word: median {q[0]:.2f} s, 90th percentile "
              f"{q[1]:.2f} s, max {lat[-1]:.2f} s ({len(lat)} stops).")  # fmt: skip
    hurts = [t for t in trials if t.kind == "hurts" and t.over_voice is not None]
    if hurts:
        print('\n| "it hurts" (synthetic, flite) | heard | taken as "stop" | missed |')
        print("|---|---|---|---|")
        for name, group in (
            ("over its voice", [t for t in hurts if t.over_voice]),
            ("between its lines", [t for t in hurts if not t.over_voice]),
        ):
            heard = sum(t.heard == "hurts" for t in group)
            stop = sum(t.heard == "stop" for t in group)
            missed = sum(t.heard is None for t in group)
            print(f"| {name} | {rate(heard, len(group))} | {stop} | {missed} |")
        for where in ("counting", "rest", "question"):
            group = [t for t in hurts if t.context == where]
            if group and args.hurts_share:
                heard = sum(t.heard == "hurts" for t in group)
                stop = sum(t.heard == "stop" for t in group)
                missed = sum(t.heard is None for t in group)
                print(f"| while {where} | {rate(heard, len(group))} | {stop} | {missed} |")
    others = [t for t in trials if t.kind in ("word", "noise") and t.over_voice is not None]
    print('\n| other sound while counting | clips | any command | "stop" |')
    print("|---|---|---|---|")
    for kind in ("word", "noise"):
        group = [t for t in others if t.kind == kind]
        anything = sum(t.heard is not None for t in group)
        stop = sum(t.heard == "stop" for t in group)
        print(f"| {kind} | {len(group)} | {anything} | {stop} |")
    false_stops = sum(t.heard == "stop" for t in others)
    per_hour = false_stops / counting_h if counting_h else float("nan")
    own = [c for r in runs for c in r.commands if c[2] == "voice"]
    print(f"\nCounting: {counting_h * 60:.1f} minutes. False stops from other words and noise: "
          f"{false_stops} ({per_hour:.1f} per hour of counting).")  # fmt: skip
    voice_min = sum(r.voice_s for r in runs) / 60
    print(f"Its own voice heard: {voice_min:.1f} minutes (its lines, clips taken out).")
    print(f"Commands from the companion's own voice (no clip explains them): {len(own)} "
          f"{[c[1] for c in own]}.")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=30.0, help="live time, both halves")
    ap.add_argument("--trials", type=int, default=10_000, help="at most this many clips")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", default=None, help="the shared recordings (speech folder)")
    ap.add_argument("--cross-dir", type=Path, default=Path("/tmp/companion-cross"))
    ap.add_argument("--rows", type=Path, help="write one JSON line per clip here")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    ap.add_argument(
        "--noise-db",
        type=float,
        help="household noise all along, this many dB below the companion's voice (10: 10 dB)",
    )
    ap.add_argument(
        "--hurts-share",
        type=float,
        default=0.0,
        help='this share of the clips in rests, at questions and while counting is "it hurts" '
        "(0: only a tenth of those while counting)",
    )
    ap.add_argument(
        "--own-voice-only",
        action="store_true",
        help="play nothing: count (longer sets) and see whether its own voice gives commands",
    )
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the audio server on the way out
    data = speech_dir(args.data)
    if not (data / "commands" / "stop").is_dir():
        print(f"No recordings of 'stop' in {data} (set COMPANION_SPEECH_DATA).", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="companion-live-"))
    server = PulseServer.start(work / "pulse")
    runs = []
    notes = []
    routine = ROUTINE.replace("reps = 12", "reps = 40") if args.own_voice_only else ROUTINE
    try:
        for judged in ("A", "B"):
            trained = "B" if judged == "A" else "A"
            cross = args.cross_dir / f"word-classifier-{trained}.npz"
            classifier = cross if cross.is_file() else None
            notes.append(
                f"half {judged} judged by {cross.name}" if classifier else "shipped classifier"
            )
            clips = clips_for(data, judged)
            clips.hurts = hurts_clips(work)
            clips.hurts_share = args.hurts_share
            run = live_run(
                server, clips, judged, args.minutes * 30, args.trials // 2,
                rng, work, classifier, routine, play_clips=not args.own_voice_only,
                noise_db=args.noise_db,
            )  # fmt: skip
            results(run)
            runs.append(run)
    finally:
        server.stop()
    if args.rows:
        with args.rows.open("w") as f:
            for t in (t for r in runs for t in r.trials):
                row = {k: v for k, v in asdict(t).items() if k != "samples"}
                f.write(json.dumps(row) + "\n")
    report(runs, args, "; ".join(dict.fromkeys(notes)))
    if args.keep:
        print(f"\nWork folder (session logs): {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
