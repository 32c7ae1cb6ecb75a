"""Speech timing and delivery through the real audio path (a private PulseAudio null sink).

Usage:  .venv/bin/python scripts/benchmark_speech.py [--beats 20] [--lines 100] [--quick]

The speakers are the companion's own (``PiperSpeaker``, and the system voice through
``make_speaker(..., "system")``), playing with aplay into the null sink of tests/pulse.py,
whose monitor is recorded all along. Three measurements:

1. Counting on the beat: count lines ("1. Palm up.", "And down.", ...) are handed over as beat
   lines on a fixed schedule, as the session does; the onset error of each is the time from its
   scheduled moment to its first sound on the monitor. Piper with its lines rendered before
   (the cache: numbers and fixed lines rendered once), Piper rendering on demand (an empty
   cache: a first session), and the system voice.
2. First sound of an ordinary line: a line from prompts/ handed over after silence, time to its
   first sound; each line once uncached, then again cached.
3. Delivery: ``--lines`` lines queued at once; on the recording, line by line, none may be
   lost and none cut off (each heard as long as its rendering).

Every time includes the recorder's own latency (parec, 20 ms), so the numbers are pessimistic
by about that much. The machine's load is printed with the results: 2 shared cores make them
noisy.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.speech.captions import CaptionedSpeaker, CaptionSink  # noqa: E402
from companion.speech.factory import make_speaker  # noqa: E402
from companion.speech.piper_voice import PiperSpeaker, find_voice  # noqa: E402
from companion.speech.queued import QueuedSpeaker  # noqa: E402
from companion.speech.voice_cache import VoiceCache  # noqa: E402
from tests.pulse import PulseServer, Recording, voiced_segments  # noqa: E402

THRESHOLD = 300
"""Peak level (16-bit) a 10 ms frame must pass to count as sound."""
RATE_WPM = 150


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
    heard = voiced_segments(rec, threshold=THRESHOLD, min_gap=0.45)
    cut = 0
    for (begin, end), line in zip(heard, lines, strict=False):
        audio = speaker.piper.render(line, RATE_WPM)
        ref = voiced_segments(
            Recording(audio.samples, audio.sample_rate), threshold=THRESHOLD, min_gap=0.45
        )
        expected = ref[-1][1] - ref[0][0] if ref else 0.0
        if end - begin < expected - 0.15:
            cut += 1
    return len(heard), max(0, count - len(heard)), cut


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
    args = ap.parse_args(argv)
    if args.quick:
        args.beats, args.lines, args.ordinary = 6, 5, 2
    work = Path(tempfile.mkdtemp(prefix="benchmark-speech-"))
    server = PulseServer.start(work / "pulse")
    os.environ.update(server.env)
    rows: list[str] = []
    try:
        beats = count_lines((args.beats + 1) // 2)[: args.beats]

        warm = piper_speaker(VoiceCache())
        warm.prepare(beats).join()
        rows.append(summary("Piper, lines rendered before", onsets_on_schedule(
            server, warm, beats, args.interval)))  # fmt: skip
        cold = piper_speaker(VoiceCache())
        rows.append(summary("Piper, rendered on demand", onsets_on_schedule(
            server, cold, beats, args.interval)))  # fmt: skip
        system = make_speaker(True, RATE_WPM, 1.0, "system", CaptionSink(io.StringIO()),
                              lambda d: print("problem:", d, file=sys.stderr))  # fmt: skip
        assert isinstance(system, CaptionedSpeaker) and isinstance(system.voice, QueuedSpeaker)
        rows.append(summary("System voice (eSpeak NG)", onsets_on_schedule(
            server, system.voice, beats, args.interval)))  # fmt: skip

        ordinary = prompt_lines(args.ordinary)
        fresh = piper_speaker(VoiceCache())
        lat_cold = first_sound_latency(server, fresh, ordinary)
        lat_warm = first_sound_latency(server, fresh, ordinary)  # the same lines again
        fresh.close()
        sys_cold = first_sound_latency(server, system.voice, ordinary)

        heard, lost, cut = delivery(server, cold, args.lines)
        for s in (warm, cold):
            s.close()
        system.close()
    finally:
        server.stop()
    load = os.getloadavg()
    print(f"Machine: {os.cpu_count()} cores, load average {load[0]:.1f} / {load[1]:.1f}")
    print(f"\nCounting on the beat ({args.beats} beats, every {args.interval} s): onset error, ms")
    print("| voice | beats | median | 90th percentile | worst | not heard |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))
    print(f"\nFirst sound of an ordinary line ({len(ordinary)} lines from prompts/), ms")
    print("| voice | lines | median | 90th percentile | worst | not heard |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    print(summary("Piper, not rendered before", lat_cold))
    print(summary("Piper, cached", lat_warm))
    print(summary("System voice (eSpeak NG)", sys_cold))
    print(f"\nDelivery: {args.lines} lines queued at once (Piper): heard {heard}, lost {lost}, "
          f"cut off {cut}")  # fmt: skip
    return 0 if lost == 0 and cut == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
