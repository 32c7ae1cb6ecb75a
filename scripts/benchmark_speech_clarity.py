"""How clearly each voice speaks the companion's lines: word error rate of a recogniser on them.

Usage:  .venv/bin/python scripts/benchmark_speech_clarity.py [--limit N] [--rate 150]

Every spoken line of prompts/en/ (placeholders filled with plain values) is rendered with Piper
(the joe voice, as ``PiperSynth`` renders it) and with the system voice (eSpeak NG through
pyttsx3, as ``Pyttsx3Synth`` renders it), resampled to 16 kHz and transcribed by the
open-vocabulary reader the listener already has (Moonshine base English, the model files of
``moonshine_reader.MoonshineReader``, decoded greedily here). The word error rate per engine is
reported (numbers written as words on both sides, punctuation and case ignored). A recogniser
is not a listener after a stroke, but the lower the rate, the clearer the voice, for both.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
import tomllib
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from companion.audio import resample  # noqa: E402
from companion.recognisers.moonshine_reader import END, MoonshineReader, model_dir  # noqa: E402
from companion.recognisers.moonshine_tokens import BYTE_TOKENS, SPACE, read_tokens  # noqa: E402
from companion.speech.piper_voice import PiperSynth, find_voice  # noqa: E402
from companion.speech.tts import Pyttsx3Synth  # noqa: E402

SPOKEN = ("session", "safety", "exercises", "reminders", "progression", "simple", "voice", "scan")
"""The prompt files whose lines are said aloud."""
FILL = {"name": "Ann", "hand": "left hand", "other": "right hand", "options": "yes or no"}
"""Values for placeholders; any other is filled with "three"."""
ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def number_words(n: int) -> str:
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    return str(n)


def words(text: str) -> list[str]:
    """Lower-case words, numbers as words, punctuation dropped."""
    text = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", text.lower())
    return re.findall(r"[a-z']+", text.replace("-", " "))


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, dict):
        for value in node.values():
            yield from strings(value)


def prompt_lines() -> list[str]:
    out: dict[str, None] = {}
    for name in SPOKEN:
        path = ROOT / "prompts" / "en" / f"{name}.toml"
        for text in strings(tomllib.loads(path.read_text("utf-8"))):
            filled = re.sub(r"\{(\w+)\}", lambda m: FILL.get(m.group(1), "three"), text)
            if len(words(filled)) >= 2:
                out[filled] = None
    return list(out)


class Transcriber:
    """Moonshine, decoded greedily (the listener's reader only scores phrases)."""

    def __init__(self) -> None:
        folder = model_dir()
        if folder is None:
            raise SystemExit("Moonshine (moonshine-cpp) is not installed")
        self.model = MoonshineReader(folder)
        self.pieces = read_tokens(folder / "tokenizer.bin")

    def transcribe(self, pcm16k: np.ndarray) -> str:
        audio = pcm16k.astype(np.float32) / 32768.0
        hidden = self.model._encoder.run(None, {"input_values": audio[None, :]})[0]
        first, cache = self.model._step(hidden)
        tokens = [int(np.argmax(first))]
        limit = int(8 * len(audio) / 16000) + 8  # at most about 8 tokens a second
        while tokens[-1] != END and len(tokens) < limit:
            logp = self.model._continue(cache, np.array([tokens], dtype=np.int64))
            tokens.append(int(np.argmax(logp[0, -1])))
        raw = bytearray()
        for t in tokens:
            if t == END:
                break
            if t in BYTE_TOKENS:
                raw.append(t - BYTE_TOKENS.start)
            elif t < len(self.pieces):
                raw += self.pieces[t]
        return raw.decode("utf-8", "replace").replace(SPACE, " ").strip()


def read16k(path: Path) -> np.ndarray:
    with wave.open(str(path), "rb") as w:
        rate, frames = w.getframerate(), w.readframes(w.getnframes())
        channels = w.getnchannels()
    pcm = resample.convert(frames, rate, 16000, channels)
    return np.frombuffer(pcm, dtype="<i2")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--limit", type=int, default=0, help="every k-th line so that N are used")
    ap.add_argument("--rate", type=int, default=150, help="words per minute (the default)")
    ap.add_argument("--show", action="store_true", help="print each line's transcripts")
    args = ap.parse_args()
    lines = prompt_lines()
    if args.limit and args.limit < len(lines):
        step = len(lines) / args.limit
        lines = [lines[int(i * step)] for i in range(args.limit)]
    transcriber = Transcriber()
    engines = {"Piper (joe)": PiperSynth(find_voice("joe")), "eSpeak NG (pyttsx3)": Pyttsx3Synth()}
    errors = {name: 0 for name in engines}
    wrong_lines = {name: 0 for name in engines}
    total = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        for n, line in enumerate(lines):
            ref = words(line)
            total += len(ref)
            for name, synth in engines.items():
                wav = Path(tmp) / f"{n}.wav"
                synth.synthesize(line, args.rate, 1.0, wav)
                heard = transcriber.transcribe(read16k(wav))
                e = edit_distance(ref, words(heard))
                errors[name] += e
                wrong_lines[name] += e > 0
                if args.show:
                    print(f"{name:>20}: {heard!r}  ({e} errors)  <- {line!r}")
    print(f"{len(lines)} spoken lines from prompts/en/ ({total} words), rate {args.rate} wpm; "
          f"{time.monotonic() - started:.0f} s")  # fmt: skip
    print("| voice | word error rate | lines with any error |")
    print("| --- | ---: | ---: |")
    for name in engines:
        print(f"| {name} | {100 * errors[name] / max(1, total):.1f} % | "
              f"{wrong_lines[name]} of {len(lines)} |")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
