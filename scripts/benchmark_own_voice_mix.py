"""Offline benchmark of the listener hearing the user over the companion's own voice.

Usage:  .venv/bin/python scripts/benchmark_own_voice_mix.py [--cross-dir DIR] [--every N]
                                                             [--conditions sir0,...] [--workers N]

The companion's lines of a set and a rest (count lines such as "1. Palm up." and "And down.",
the exercise steps, the questions; from prompts/en/session.toml and prompts/en/exercises.toml
with their placeholders filled) are rendered by Piper's joe voice (cached in --lines-dir) and
played one after another with short gaps under the whole piece of sound (1 s before the word,
2 s after it, as benchmark_room.py). The held-out half's go, stop, yes and no clips (in
`ready`, `counting`, `yesno`) and FSDD digits (in `number`) are said over them:
- sir0, sir5, sir10: the companion as loud as the word, 5 dB and 10 dB below it (no echo
  cancellation: a speaker beside the microphone);
- resid20: the companion 20 dB below the word and through a short room response, as the
  residual an echo canceller leaves.
- lines, lines-resid20: the companion's lines alone (full level, and as a residual at the
  level of a word 20 dB down) in each of ready, counting, yesno and number; none may give a
  command. Lines that contain a live phrase of the context ("And stop." in counting, "Go." in
  ready, the "0 to 10" questions in number) are left out there: the listener's own-voice rules
  compare what was heard with the text being spoken (listen/own_voice.py), which this offline
  path has no part of.
Every piece is judged through `offline.recognise` (the code path of `companion recognize`) with
the word classifier trained on the other half of the speakers (--cross-dir, as
benchmark_room.py), no front end. Reported per condition: in-context accuracy, false accepts
(a command taken without a question where none or another was said) and needless questions.
The lines and their renders are also what scripts/train_room_classifier.py --own-voice mixes
into the training clips (Piper at two rates, eSpeak NG at three).
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import re
import string
import subprocess
import sys
import time
import tomllib
import zlib
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import benchmark_recognition as br  # noqa: E402
import benchmark_room as room  # noqa: E402

from companion.audio import wavfile  # noqa: E402
from companion.commands import CONTEXTS, Context, vocabulary  # noqa: E402
from companion.listen import offline  # noqa: E402
from companion.user_voice.word_recording import wav_bytes  # noqa: E402

RATE = 16000
Pcm = npt.NDArray[np.float64]
SET_KEYS = (
    "set_start", "begin", "count_first", "count_only", "count_phase", "set_done", "encourage",
    "timed_start", "timed_go", "timed_left", "timed_stop", "where_counting", "passive_ok",
)  # fmt: skip
"""Lines of session.toml said during a set."""
REST_KEYS = (
    "rest", "rest_left", "rest_over", "ask_pain", "ask_effort", "heard_number", "pain_noted",
    "offer_fewer", "not_reduced", "effort_high", "intro", "equipment", "ready", "ready_set",
    "where_ready", "exercises_left", "exercises_left_one", "exercises_left_none",
)  # fmt: skip
"""Lines said around a set: the rest, the questions, the introduction of an exercise."""
PIPER_RATES = (150, 125)
"""Words per minute of the Piper renders (150: the routine's default; 125: slowed)."""
ESPEAK_RATES = (130, 160, 190)
CONDITIONS = ("sir0", "sir5", "sir10", "resid20", "lines", "lines-resid20")
SIR_DB = {"sir0": 0.0, "sir5": 5.0, "sir10": 10.0, "resid20": 20.0}
WORD_LEVEL = 3000.0
"""Active RMS of a word (16-bit units) when only the companion is heard (lines conditions)."""


def _fills(field: str, exercise: dict[str, object]) -> list[str]:
    phases = [str(p).capitalize() for p in exercise.get("phases", [])] or ["Squeeze"]  # type: ignore[attr-defined]
    values: dict[str, list[str]] = {
        "n": [str(n) for n in range(1, 11)],
        "phase": phases,
        "set": ["1", "2", "3"],
        "sets": ["3"],
        "seconds": ["5", "10", "20", "30"],
        "number": ["1", "2"],
        "total": ["4"],
        "name": [str(exercise.get("name", "Finger tap"))],
        "value": ["3", "7"],
        "done": ["4"],
        "left": ["6", "3"],
        "items": ["a water bottle"],
        "hand": ["your left hand"],
        "other": ["your right hand"],
        "reps": ["8"],
    }
    return values.get(field, ["five"])


def fill(template: str, exercise: dict[str, object]) -> list[str]:
    """Every filling of ``template``'s placeholders (a few values of each)."""
    fields = sorted({f for _, f, _, _ in string.Formatter().parse(template) if f})
    if not fields:
        return [template]
    out = []
    for combo in itertools.product(*(_fills(f, exercise) for f in fields)):
        out.append(template.format(**dict(zip(fields, combo, strict=True))))
    return out


def companion_lines() -> dict[str, list[str]]:
    """The companion's lines: "count" (what it says on the beat), "set" (the rest of a set)
    and "rest" (between sets and the questions), sorted, without repeats."""
    prompts = ROOT / "prompts" / "en"
    session = tomllib.loads((prompts / "session.toml").read_text("utf-8"))
    exercises = tomllib.loads((prompts / "exercises.toml").read_text("utf-8"))
    library = {k: v for k, v in exercises.items() if isinstance(v, dict) and "name" in v}
    groups: dict[str, set[str]] = {"count": set(), "set": set(), "rest": set()}
    for ex in library.values():
        for key in SET_KEYS + REST_KEYS:
            value = session.get(key)
            templates = value if isinstance(value, list) else [value] if value else []
            group = "rest" if key in REST_KEYS else "count" if key.startswith("count") else "set"
            for t in templates:
                groups[group].update(fill(str(t), ex))
        for t in [*ex.get("steps", []), ex.get("safety", "")]:
            if t:
                groups["rest"].update(fill(str(t), ex))
    return {k: sorted(v) for k, v in groups.items()}


def _name(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def render_lines(lines: list[str], folder: Path, espeak: bool = True) -> dict[str, list[Path]]:
    """16 kHz WAV files of each line: Piper joe at PIPER_RATES (and eSpeak NG at ESPEAK_RATES
    if ``espeak``), made once into ``folder``."""
    out: dict[str, list[Path]] = {}
    synth = None
    for text in lines:
        files = []
        for rate in PIPER_RATES:
            path = folder / f"piper-{rate}" / f"{_name(text)}.wav"
            if not path.exists():
                if synth is None:
                    from companion.speech.piper_voice import PiperSynth, find_voice
                    from companion.speech.voice_cache import VoiceCache

                    synth = PiperSynth(find_voice("joe"), VoiceCache(size=4))
                audio = synth.render(text, rate)
                _write16k(path, audio.samples.astype(np.float64), audio.sample_rate)
            files.append(path)
        if espeak:
            for rate in ESPEAK_RATES:
                path = folder / f"espeak-{rate}" / f"{_name(text)}.wav"
                if not path.exists():
                    path.parent.mkdir(parents=True, exist_ok=True)
                    tmp = path.with_suffix(".tmp.wav")
                    cmd = ["espeak-ng", "-v", "en-us", "-s", str(rate), "-w", str(tmp), text]
                    subprocess.run(cmd, check=True, capture_output=True)
                    x = np.frombuffer(wavfile.read(str(tmp), RATE), dtype="<i2")
                    tmp.unlink()
                    _write16k(path, x.astype(np.float64), RATE)
                files.append(path)
        out[text] = files
    return out


def _write16k(path: Path, x: Pcm, rate: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = ["-t", "raw", "-e", "signed", "-b", "16", "-c", "1"]
    pcm = np.clip(np.round(x), -32768, 32767).astype("<i2").tobytes()
    if rate != RATE:
        pcm = subprocess.run(
            ["sox", *raw, "-r", str(rate), "-", *raw, "-r", str(RATE), "-"],
            input=pcm,
            capture_output=True,
            check=True,
        ).stdout
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(wav_bytes(pcm))
    tmp.replace(path)


def voice_stream(rng: np.random.Generator, files: list[Path], samples: int) -> Pcm:
    """Lines of ``files`` one after another with 0.2-1.0 s gaps, ``samples`` long, from a random
    place, scaled to an active level of 1."""
    out: list[Pcm] = []
    n = 0
    while n < samples + RATE:
        x = room.read(str(files[int(rng.integers(len(files)))]))
        gap = np.zeros(int(rng.uniform(0.2, 1.0) * RATE))
        out += [x, gap]
        n += len(x) + len(gap)
    whole = np.concatenate(out)
    start = int(rng.integers(0, RATE))
    whole = whole[start : start + samples]
    return whole / np.sqrt(room.active_power(whole))


def residual(rng: np.random.Generator, x: Pcm) -> Pcm:
    """``x`` through a short synthetic room response (what a canceller leaves is filtered)."""
    h = room.room_response(rng, float(rng.uniform(0.1, 0.3)), float(rng.uniform(-6, 6)))
    wet = room.convolve(x, h)[: len(x)]
    return wet / np.sqrt(room.active_power(wet))


@dataclass(frozen=True)
class Piece:
    path: str
    """The word's clip ("" for the lines alone)."""
    context: str
    expect: str | None
    kind: str
    """"command", "digit" or "lines"."""
    half: str
    condition: str
    index: int


LINE_GROUPS = {"counting": ("count", "set"), "ready": ("rest", "set"), "yesno": ("rest",)}
LINE_GROUPS["number"] = ("rest",)


def context_lines(lines: dict[str, list[str]], context: str) -> list[str]:
    """The lines said in ``context``, without those holding one of its live phrases."""
    live = [p.lower() for p in vocabulary().phrases_for(CONTEXTS[Context(context)])]
    pool = [t for g in LINE_GROUPS[context] for t in lines[g]]

    def holds(text: str) -> bool:
        said = " ".join(re.sub(r"[^a-z0-9' ]", " ", text.lower()).split())
        return any(f" {p} " in f" {said} " for p in live)

    return [t for t in pool if not holds(t)]


def pieces(data: Path, every: int, digits_every: int, conditions: list[str]) -> list[Piece]:
    out: list[Piece] = []
    cmds = data / "commands"
    words: list[tuple[str, str, str | None, str, str]] = []
    for folder, (ctx, cmd) in br.IN_CONTEXT.items():
        for f in sorted((cmds / folder).glob("*.wav"))[::every]:
            words.append((str(f), ctx, cmd, "command", br.half(room.speaker_of(f))))
    for f in sorted((data / "digits").glob("*.wav"))[:: digits_every * every]:
        digit, s = f.stem.split("_")[:2]
        words.append((str(f), "number", f"number:{digit}", "digit", br.half(s)))
    for c in conditions:
        if c.startswith("lines"):
            n = max(4, 96 // every)
            for i in range(n):
                ctx = ("counting", "ready", "yesno", "number")[i % 4]
                out.append(Piece("", ctx, None, "lines", "AB"[i % 2], c, i))
        else:
            out += [Piece(p, ctx, e, k, h, c, i) for i, (p, ctx, e, k, h) in enumerate(words)]
    return out


class Mixer:
    """Builds the audio of a piece."""

    def __init__(self, lines_dir: Path) -> None:
        self.lines = companion_lines()
        every = [t for g in self.lines.values() for t in g]
        renders = render_lines(every, lines_dir, espeak=False)
        self.files = {
            ctx: [renders[t][0] for t in context_lines(self.lines, ctx)] for ctx in LINE_GROUPS
        }

    def build(self, p: Piece) -> bytes:
        rng = np.random.default_rng(
            zlib.crc32(f"{p.condition}|{p.path}|{p.context}|{p.index}".encode())
        )
        lead, trail = int(room.LEAD_S * RATE), int(room.TRAIL_S * RATE)
        if p.kind == "lines":
            total = int(rng.uniform(3.0, 5.0) * RATE)
            mix = voice_stream(rng, self.files[p.context], total) * WORD_LEVEL
            if p.condition == "lines-resid20":
                mix = residual(rng, mix) * WORD_LEVEL / 10
        else:
            x = room.read(p.path)
            total = lead + len(x) + trail
            mix = np.zeros(total)
            mix[lead : lead + len(x)] = x
            level = np.sqrt(room.active_power(x))
            voice = voice_stream(rng, self.files[p.context], total)
            if p.condition == "resid20":
                voice = residual(rng, voice)
            mix += voice * level / 10 ** (SIR_DB[p.condition] / 20)
        mix += rng.standard_normal(len(mix)) * 2
        return np.clip(np.round(mix), -32768, 32767).astype("<i2").tobytes()


_MIXER: Mixer | None = None


def run_batch(work: tuple[tuple[object, ...], str, list[Piece]]) -> list[dict[str, object]]:
    global _MIXER
    init, lines_dir, batch = work
    br._init(*init)  # type: ignore[arg-type]
    _MIXER = Mixer(Path(lines_dir))
    return [run_piece(p) for p in batch]


def run_piece(p: Piece) -> dict[str, object]:
    assert br._ENGINE is not None and _MIXER is not None
    if br._WARM is not None:
        br._ENGINE.restore(br._WARM)  # type: ignore[attr-defined]
    pcm = _MIXER.build(p)
    reader = None if br._READER is None else br._READER.reader
    r = offline.recognise(
        br._ENGINE,
        vocabulary(),
        Context(p.context),
        pcm,
        classifier=br._CLASSIFIER[p.half],  # type: ignore[arg-type]
        reader=reader,  # type: ignore[arg-type]
    )
    got = None if r.command is None else f"number:{r.value}" if r.command == "number" else r.command
    return {"piece": p, "got": got, "unsure": r.unsure}


def report(rows: list[dict[str, object]], conditions: list[str]) -> list[str]:
    out = [
        "| condition | commands in context | digits | both | false accepts | needless questions |",
        "|---|---|---|---|---|---|",
    ]
    for c in conditions:
        sel = [r for r in rows if r["piece"].condition == c]  # type: ignore[attr-defined]

        def share(rs: list[dict[str, object]], ok) -> str:  # type: ignore[no-untyped-def]
            if not rs:
                return "-"
            good = sum(1 for r in rs if ok(r))
            return f"{good / len(rs):.3f} ({good}/{len(rs)})"

        def right(r: dict[str, object]) -> bool:
            return r["got"] == r["piece"].expect  # type: ignore[attr-defined]

        def wrong(r: dict[str, object]) -> bool:
            return r["got"] is not None and not r["unsure"] and not right(r)

        def asked(r: dict[str, object]) -> bool:
            return r["got"] is not None and bool(r["unsure"]) and not right(r)

        cmd = [r for r in sel if r["piece"].kind == "command"]  # type: ignore[attr-defined]
        dig = [r for r in sel if r["piece"].kind == "digit"]  # type: ignore[attr-defined]
        out.append(
            f"| {c} | {share(cmd, right)} | {share(dig, right)} | {share(cmd + dig, right)} "
            f"| {share(sel, wrong)} | {share(sel, asked)} |"
        )
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--conditions", default=",".join(CONDITIONS))
    ap.add_argument("--every", type=int, default=1, help="use every Nth clip (quick runs)")
    ap.add_argument("--digits-every", type=int, default=10, help="every Nth FSDD digit clip")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--data", default=None, help="speech folder (default ../shared/data/speech)")
    ap.add_argument("--cross-dir", default="/tmp/companion-cross")
    ap.add_argument("--lines-dir", type=Path, default=Path("/tmp/companion-b/lines"))
    ap.add_argument("--reader", choices=("moonshine", "none"), default="moonshine")
    args = ap.parse_args(argv)
    data = br.speech_dir(args.data)
    conditions = [c for c in args.conditions.split(",") if c]
    refused = room.refuse_run(conditions, CONDITIONS, args.cross_dir)
    if refused:
        return refused
    Mixer(args.lines_dir)  # render the lines once, before the workers start
    todo = pieces(data, args.every, args.digits_every, conditions)
    warm_up = tuple(
        (str(sorted((data / "commands" / word).glob("*.wav"))[0]), ctx) for word, ctx in br.WARM_UP
    )
    init = ("pocketsphinx", None, None, None, "cross", args.cross_dir, warm_up, args.reader)
    began = time.perf_counter()
    rows: list[dict[str, object]] = [{} for _ in todo]
    n = max(1, min(br.BATCHES, len(todo)))
    with ProcessPoolExecutor(args.workers) as pool:
        work = [(init, str(args.lines_dir), todo[i::n]) for i in range(n)]
        for i, done in enumerate(pool.map(run_batch, work)):
            rows[i::n] = done
    print(
        f"Cross classifiers: {args.cross_dir}; reader: {args.reader}; {len(todo)} pieces in "
        f"{time.perf_counter() - began:.0f} s with {args.workers} workers.\n"
    )
    print("\n".join(report(rows, conditions)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
