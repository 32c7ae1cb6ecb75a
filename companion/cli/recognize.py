"""``companion recognize``: recorded files through the same listener used live, as JSON lines."""

from __future__ import annotations

import argparse
import json

from companion import paths
from companion.audio import wavfile
from companion.audio.frontend import FrontEndKind, FrontEndSettings, make_front_end
from companion.classifier.choose import make_classifier
from companion.commands import Context, vocabulary
from companion.errors import BadInputError
from companion.listen import offline
from companion.listen.endpoint import MAX_END_SILENCE_S, MIN_END_SILENCE_S
from companion.recognisers.choose import ENGINES, make_engine, make_reader

MAX_SECONDS = wavfile.MAX_SECONDS
"""Longest recording recognised (ten minutes): longer ones are refused before decoding."""
RECOGNIZE_CONTEXTS = tuple(
    c.value
    for c in (
        Context.READY,
        Context.COUNTING,
        Context.PAUSED,
        Context.REST,
        Context.YESNO,
        Context.NUMBER,
    )
)


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command."""
    p = subs.add_parser(
        "recognize",
        parents=[common],
        help="recognise commands in WAV recordings (one JSON line per file)",
    )
    p.add_argument("--engine", default="pocketsphinx", help=f"one of: {', '.join(ENGINES)}")
    p.add_argument("--model", metavar="DIR", help="model folder (default: the built-in one)")
    p.add_argument(
        "--context",
        default="ready",
        choices=RECOGNIZE_CONTEXTS,
        help="which commands are live (default: ready)",
    )
    p.add_argument(
        "--end-silence",
        type=float,
        default=1.5,
        metavar="SECONDS",
        help=f"silence that ends a command ({MIN_END_SILENCE_S}-{MAX_END_SILENCE_S})",
    )
    p.add_argument(
        "--no-reader",
        action="store_true",
        help="without the Moonshine reader (less memory, less accurate)",
    )
    p.add_argument(
        "--front-end",
        choices=[k.value for k in FrontEndKind],
        default=FrontEndSettings().kind.value,
        help="noise suppression before recognition: webrtc or none (default: %(default)s)",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help=f"WAV files: {wavfile.MIN_RATE // 1000}-{wavfile.MAX_RATE // 1000} kHz, "
        f"up to {wavfile.MAX_CHANNELS} channels, integer or float samples, "
        f"at most {MAX_SECONDS / 60:.0f} minutes each",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Recognise each file; print one JSON object per file."""
    if not MIN_END_SILENCE_S <= args.end_silence <= MAX_END_SILENCE_S:
        raise BadInputError(
            f"--end-silence must be between {MIN_END_SILENCE_S} and {MAX_END_SILENCE_S} seconds"
        )
    for path in args.files:  # every header checked before a model is loaded
        wavfile.check(path, MAX_SECONDS)
    engine = make_engine(args.engine, args.model)
    classifier = make_classifier(engine, user_voice=paths.resolve(args.data_dir).voice_dir)
    reader = make_reader(engine, enabled=not args.no_reader)
    vocab = vocabulary()
    for path in args.files:  # one recording in memory at a time
        pcm = wavfile.read(path, engine.sample_rate, MAX_SECONDS)
        result = offline.recognise(
            engine,
            vocab,
            Context(args.context),
            pcm,
            args.end_silence,
            classifier=classifier,
            reader=reader,
            front_end=make_front_end(
                FrontEndSettings(kind=FrontEndKind(args.front_end)), engine.sample_rate
            ),
        )
        print(json.dumps(result.as_dict(str(path))), flush=True)
    return 0
