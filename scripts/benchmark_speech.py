"""Speech timing and delivery through the real audio path (a private PulseAudio null sink).

Usage:  .venv/bin/python scripts/benchmark_speech.py [--beats 20] [--lines 100] [--quick]
        [--parts session,beats,ordinary,delivery]

The speakers are the companion's own (``PiperSpeaker``, and the system voice through
``make_speaker(..., "system")``), playing as the companion does (the in-process output stream
unless ``COMPANION_PLAYBACK=command``: aplay) into the null sink of tests/pulse.py, whose
monitor is recorded all along. Four measurements (``--parts`` picks some):

1. Counting on the beat: count lines ("1. Palm up.", "And down.", ...) are handed over as beat
   lines on a fixed schedule, as the session does; the onset error of each is the time from its
   scheduled moment to its first sound on the monitor. Piper with its lines rendered before
   (the cache: numbers and fixed lines rendered once), Piper rendering on demand (an empty
   cache: a first session), and the system voice.
2. First sound of an ordinary line: a line from prompts/ handed over after silence, time to its
   first sound; each line once uncached, then again cached.
3. Delivery: ``--lines`` lines queued at once; on the recording, line by line, none may be
   lost and none cut off (each heard as long as its rendering).
4. A session's lines as it says them (``--session-only`` runs just this): a real ``Session``
   (safety questions on, two exercises) with the ``PiperSpeaker`` of a first session (empty
   cache), driven in real time: the user answers one second after the companion falls quiet,
   counts and rests run on the clock. Each line handed over in silence (the first of what the
   session says after an answer, a count or a rest) is timed to its first sound, and marked
   cached or not (its first sentence in the cache when asked).
   Run twice: with the prefetch of a session (``wiring.prefetch``: the lines ahead rendered in
   the background) and without it.

Every time includes the recorder's own latency (parec, 20 ms), so the numbers are pessimistic
by about that much. The machine's load is printed with the results: 2 shared cores make them
noisy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion import commands, prompts, routine, wiring  # noqa: E402
from companion.commands import Command  # noqa: E402
from companion.events import Begin, Event, Heard, Say, SetVoice, Tick  # noqa: E402
from companion.plan import Plan, PlannedExercise  # noqa: E402
from companion.session.engine import Session  # noqa: E402
from companion.session.state import Stage  # noqa: E402
from companion.speech.captions import CaptionedSpeaker, CaptionSink  # noqa: E402
from companion.speech.factory import make_speaker  # noqa: E402
from companion.speech.piper_voice import PiperSpeaker, find_voice, sentences  # noqa: E402
from companion.speech.queued import QueuedSpeaker  # noqa: E402
from companion.speech.voice_cache import VoiceCache  # noqa: E402
from tests.pulse import PulseServer, Recording, voiced_segments  # noqa: E402

THRESHOLD = 300
"""Peak level (16-bit) a 10 ms frame must pass to count as sound."""
RATE_WPM = 150
LINE_GAP = 0.25
"""Silence (s) that separates two lines on the recording: the speaker's pause is 0.3 s, and
the lines' own pauses ("Line 7 is done.") are 0.06 s at most. (It was 0.45, which held only
while the output added its latency, or a player's start-up, to the pause.)"""


def count_lines(reps: int) -> list[str]:
    """What a counted exercise says on its beats (prompts/en/session.toml's count lines)."""
    out: list[str] = []
    for n in range(1, reps + 1):
        out += [f"{n}. Palm up.", "And down."]
    return out


def first_sound(rec: Recording, after: float, within: float = 3.0) -> float | None:
    """Seconds into ``rec`` of the first sound starting at or after ``after`` - 50 ms."""
    for start, _ in voiced_segments(rec, threshold=THRESHOLD, min_gap=0.05):
        if start >= after - 0.05:
            return start if start <= after + within else None
    return None


def onsets_on_schedule(
    server: PulseServer, speaker: QueuedSpeaker, lines: Sequence[str], interval: float
) -> list[float | None]:
    """Say ``lines`` as beat lines every ``interval`` s; each one's onset error in seconds."""
    start = time.monotonic() + 0.5
    while time.monotonic() < start:
        time.sleep(0.001)
    mark = server.mark()
    for k, line in enumerate(lines, start=1):
        due = start + k * interval
        while (left := due - time.monotonic()) > 0:
            time.sleep(min(left, 0.002))
        speaker.say(line, beat=True)
    speaker.wait(timeout=60)
    rec = server.samples(mark, settle=0.5)
    errors: list[float | None] = []
    for k in range(1, len(lines) + 1):
        heard = first_sound(rec, k * interval, within=interval)
        errors.append(None if heard is None else heard - k * interval)
    return errors


def first_sound_latency(
    server: PulseServer, speaker: QueuedSpeaker, lines: Sequence[str]
) -> list[float | None]:
    """Each line handed over after silence: seconds until its first sound."""
    out: list[float | None] = []
    for line in lines:
        speaker.wait(timeout=60)
        time.sleep(0.5)
        mark = server.mark()
        speaker.say(line)
        speaker.wait(timeout=60)
        out.append(first_sound(server.samples(mark, settle=0.3), 0.0, within=10.0))
    return out


def delivery(server: PulseServer, speaker: PiperSpeaker, count: int) -> tuple[int, int, int]:
    """Queue ``count`` lines at once; (heard, lost, cut off) on the recording."""
    lines = [f"Line {i} is done." for i in range(1, count + 1)]
    mark = server.mark()
    for line in lines:
        speaker.say(line)
    speaker.wait(timeout=30 + count * 5)
    rec = server.samples(mark, settle=0.5)
    heard = voiced_segments(rec, threshold=THRESHOLD, min_gap=LINE_GAP)
    cut = 0
    for (begin, end), line in zip(heard, lines, strict=False):
        audio = speaker.piper.render(line, RATE_WPM)
        ref = voiced_segments(
            Recording(audio.samples, audio.sample_rate), threshold=THRESHOLD, min_gap=LINE_GAP
        )
        expected = ref[-1][1] - ref[0][0] if ref else 0.0
        if end - begin < expected - 0.15:
            cut += 1
    return len(heard), max(0, count - len(heard)), cut


ANSWERS: dict[Stage, Heard] = {
    Stage.SAFETY: Heard(Command.NO),
    Stage.READY: Heard(Command.START),
    Stage.PAIN: Heard(Command.NUMBER, 2),
    Stage.EFFORT: Heard(Command.NUMBER, 4),
    Stage.REST: Heard(Command.NEXT),
}
"""The benchmark user's answers (pain and effort differ from the rehearsal's 1 and 3)."""
ON_THE_CLOCK = (Stage.COUNTING, Stage.TIMED, Stage.REST)
ANSWER_AFTER_S = 1.0


@dataclass(frozen=True)
class Timed:
    """One line handed over in silence or on a beat: was it cached, when was it heard."""

    text: str
    cached: bool
    mark: int
    """The monitor's position when it was handed over."""


def bench_session() -> Session:
    """The default routine with the safety questions, two exercises (the second one's lines
    are what the prefetch renders while the first runs)."""
    r = routine.default()
    r = replace(r, safety=replace(r.safety, pre_session_check=True))
    plan = Plan(
        day=dt.date(2026, 12, 5),
        items=(
            PlannedExercise("palm_turn", 2, 3, 4.0, 10),
            PlannedExercise("wrist_bend", 1, 3, 4.0, 10),
        ),
    )
    return Session(r, plan, prompts.load("en"), commands.vocabulary("en"))


def session_lines(
    server: PulseServer, speaker: PiperSpeaker, prefetch: bool
) -> tuple[list[float | None], list[float | None]]:
    """Run a session in real time; first sound (s) of each line asked in silence: (cached
    when asked, not cached)."""
    session = bench_session()
    t0 = time.monotonic()
    start = dt.datetime(2026, 12, 5, 10, 0, tzinfo=dt.UTC)

    def now() -> dt.datetime:
        return start + dt.timedelta(seconds=time.monotonic() - t0)

    ahead = wiring.prefetch(session, speaker, start) if prefetch else None
    cache = speaker.piper.cache
    timed: list[Timed] = []
    event: Event = Begin()
    while True:
        quiet = not speaker.busy()
        effects = session.handle(event, now())
        first = True
        for effect in effects:
            if isinstance(effect, SetVoice):
                speaker.set_voice(effect.rate, effect.volume)
            elif isinstance(effect, Say):
                if first and quiet:  # (a line still sounding would be taken for it)
                    head = sentences(effect.text)[0]
                    hit = cache.get(speaker.piper.voice.name, session.rate, head) is not None
                    timed.append(Timed(effect.text, hit, server.mark()))
                first = False
                speaker.say(effect.text, beat=effect.beat)
        if session.finished:
            break
        if session.wake_at is not None and session.stage in ON_THE_CLOCK:
            while (left := (session.wake_at - now()).total_seconds()) > 0:
                time.sleep(min(left, 0.005))
            event = Tick()
        else:
            speaker.wait(timeout=120)
            time.sleep(ANSWER_AFTER_S)
            event = ANSWERS.get(session.stage, Heard(Command.NO))
    speaker.wait(timeout=120)
    if ahead is not None:
        ahead.stop()
    cached: list[float | None] = []
    fresh: list[float | None] = []
    for line in timed:
        heard = first_sound(server.samples(line.mark, settle=0.0), 0.0, within=5.0)
        (cached if line.cached else fresh).append(heard)
        if not line.cached or heard is None or heard > 0.1:
            ms = "not heard" if heard is None else f"{heard * 1000:.0f} ms"
            how = "cached" if line.cached else "not cached"
            print(f"  {how} when asked ({ms}): {line.text}", file=sys.stderr)
    return cached, fresh


def summary(name: str, values: Sequence[float | None]) -> str:
    got = [v * 1000 for v in values if v is not None]
    missing = len(values) - len(got)
    if not got:
        return f"| {name} | {len(values)} | - | - | - | {missing} |"
    return (
        f"| {name} | {len(values)} | {statistics.median(got):.0f} | "
        f"{np.percentile(got, 90):.0f} | {max(got):.0f} | {missing} |"
    )


def prompt_lines(limit: int) -> list[str]:
    """Ordinary lines from prompts/en/session.toml, placeholders filled."""
    import tomllib

    table = tomllib.loads((ROOT / "prompts" / "en" / "session.toml").read_text("utf-8"))
    lines = [v for v in table.values() if isinstance(v, str) and "{" not in v and len(v) > 20]
    return lines[:limit]


def piper_speaker(cache: VoiceCache) -> PiperSpeaker:
    return PiperSpeaker(
        lambda d: print("problem:", d, file=sys.stderr),
        voice=find_voice("joe"),
        rate=RATE_WPM,
        volume=1.0,
        pause=0.3,
        cache=cache,
    )


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beats", type=int, default=20, help="count lines per run")
    ap.add_argument("--interval", type=float, default=1.5, help="seconds between beats")
    ap.add_argument("--lines", type=int, default=100, help="lines for the delivery check")
    ap.add_argument("--ordinary", type=int, default=8, help="ordinary lines timed")
    ap.add_argument("--quick", action="store_true", help="few of each (a smoke test)")
    ap.add_argument(
        "--session-runs",
        default="prefetch,none",
        metavar="RUNS",
        help="the session runs, e.g. prefetch,none or prefetch:stream,prefetch:command "
        "(prefetch or none; optionally the playback: stream or command)",
    )
    ap.add_argument(
        "--session-only",
        action="store_true",
        help="only a session's lines (with and without prefetch): --parts session",
    )
    ap.add_argument(
        "--parts",
        default="session,beats,ordinary,delivery",
        help="which measurements, comma-separated (default: all four)",
    )
    args = ap.parse_args(argv)
    if args.quick:
        args.beats, args.lines, args.ordinary = 6, 5, 2
    parts = {"session"} if args.session_only else set(args.parts.split(","))
    work = Path(tempfile.mkdtemp(prefix="benchmark-speech-"))
    server = PulseServer.start(work / "pulse")
    os.environ.update(server.env)
    if "sounddevice" in sys.modules:  # PortAudio read the ALSA settings before: again
        import sounddevice

        sounddevice._terminate()
        sounddevice._initialize()
    rows: list[str] = []
    latency: list[str] = []
    in_session: list[str] = []
    delivered: tuple[int, int, int] | None = None
    try:
        for run in args.session_runs.split(",") if "session" in parts else []:
            ahead, _, playback = run.strip().partition(":")
            prefetch = ahead == "prefetch"
            how = "with prefetch" if prefetch else "no prefetch"
            if playback:  # COMPANION_PLAYBACK: "stream" (in-process) or "command" (aplay)
                os.environ["COMPANION_PLAYBACK"] = playback
                how += f", playback {playback}"
            print(f"A session, {how}:", file=sys.stderr)
            speaker = piper_speaker(VoiceCache())
            hit, miss = session_lines(server, speaker, prefetch)
            speaker.close()
            os.environ.pop("COMPANION_PLAYBACK", None)
            in_session.append(summary(f"{how}: cached when asked", hit))
            in_session.append(summary(f"{how}: not cached", miss))
            in_session.append(summary(f"{how}: all", hit + miss))
        beats = count_lines((args.beats + 1) // 2)[: args.beats]
        system = make_speaker(True, RATE_WPM, 1.0, "system", CaptionSink(io.StringIO()),
                              lambda d: print("problem:", d, file=sys.stderr))  # fmt: skip
        assert isinstance(system, CaptionedSpeaker) and isinstance(system.voice, QueuedSpeaker)
        if "beats" in parts:
            warm = piper_speaker(VoiceCache())
            warm.prepare(beats).join()
            rows.append(summary("Piper, lines rendered before", onsets_on_schedule(
                server, warm, beats, args.interval)))  # fmt: skip
            warm.close()
            cold = piper_speaker(VoiceCache())
            rows.append(summary("Piper, rendered on demand", onsets_on_schedule(
                server, cold, beats, args.interval)))  # fmt: skip
            cold.close()
            rows.append(summary("System voice (eSpeak NG)", onsets_on_schedule(
                server, system.voice, beats, args.interval)))  # fmt: skip
        ordinary = prompt_lines(args.ordinary)
        if "ordinary" in parts:
            fresh = piper_speaker(VoiceCache())
            latency.append(summary("Piper, not rendered before", first_sound_latency(
                server, fresh, ordinary)))  # fmt: skip
            latency.append(summary("Piper, cached", first_sound_latency(
                server, fresh, ordinary)))  # the same lines again  # fmt: skip
            fresh.close()
            latency.append(summary("System voice (eSpeak NG)", first_sound_latency(
                server, system.voice, ordinary)))  # fmt: skip
        system.close()
        if "delivery" in parts:
            lines = piper_speaker(VoiceCache())
            delivered = delivery(server, lines, args.lines)
            lines.close()
    finally:
        server.stop()
    load = os.getloadavg()
    print(f"Machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f}")
    print(f"Playback: {os.environ.get('COMPANION_PLAYBACK', 'stream')}")
    if rows:
        print(f"\nCounting on the beat ({args.beats} beats, every {args.interval} s): "
              "onset error, ms")  # fmt: skip
        print("| voice | beats | median | 90th percentile | worst | not heard |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        print("\n".join(rows))
    if latency:
        print(f"\nFirst sound of an ordinary line ({len(ordinary)} lines from prompts/), ms")
        print("| voice | lines | median | 90th percentile | worst | not heard |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        print("\n".join(latency))
    if in_session:
        report_session(in_session)
    if delivered is None:
        return 0
    heard, lost, cut = delivered
    print(f"\nDelivery: {args.lines} lines queued at once (Piper): heard {heard}, lost {lost}, "
          f"cut off {cut}")  # fmt: skip
    return 0 if lost == 0 and cut == 0 else 1


def report_session(rows: Sequence[str]) -> int:
    """Print the session table (and the load, when it is the only one)."""
    load = os.getloadavg()
    print(
        f"Machine: {os.cpu_count()} cores, load average "
        f"{load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print("\nA first session's lines as it says them (each asked in silence): first sound, ms")
    print("| run | lines | median | 90th percentile | worst | not heard |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
