"""``companion voice``: teach the companion how the user says its words (their own recordings)."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import sys
from pathlib import Path

from companion import paths, prompts, routine, wiring
from companion.audio import wavfile
from companion.commands import user_words, vocabulary
from companion.errors import BadInputError, DeviceError, ExitStatus, ModelError
from companion.inputs.keymap import TEACH_LEGEND, TEACH_SKIP_KEYS, TEACH_STOP_KEYS
from companion.inputs.terminal_keys import TerminalKeys
from companion.user_voice.usage import read_usage
from companion.user_voice.voice_profile import (
    COMMAND_WORDS,
    DIGITS,
    TEACHABLE,
    VoiceProfile,
    check_word,
)
from companion.user_voice.word_recording import MAX_FILE_SECONDS, read_word

DEFAULT_WORDS = (*COMMAND_WORDS, *DIGITS)


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command and its sub-commands."""
    p = subs.add_parser(
        "voice",
        parents=[common],
        help="teach the companion your voice (record a few words), list or forget recordings",
    )
    own = p.add_subparsers(dest="voice_command", metavar="ACTION")

    t = own.add_parser(
        "teach",
        parents=[common],
        help="say each word when asked; the companion learns your voice from it",
        description="The companion asks for each word in turn and records it. Say it once, "
        "in your own way. Ctrl+C stops at any time: what was recorded is kept, and running "
        "this again asks only for what is missing.",
    )
    t.add_argument(
        "--words",
        help=f"comma-separated words to teach (default: all of {', '.join(TEACHABLE)}, then "
        "the user's own words from the routine's [vocabulary])",
    )
    t.add_argument("--times", type=int, default=2, help="recordings of each word (1-5, default 2)")
    t.add_argument("--device", help="microphone: a number or part of its name")
    t.add_argument("--no-voice", action="store_true", help="captions only, nothing spoken")
    t.set_defaults(func=run_teach)

    a = own.add_parser(
        "add",
        parents=[common],
        help="add recordings of a word from WAV files, then learn from them",
    )
    a.add_argument(
        "word", help=f"one of: {', '.join(TEACHABLE)}, or one of the routine's [vocabulary]"
    )
    a.add_argument("files", nargs="+", metavar="FILE", help="WAV files, one word each")
    a.set_defaults(func=run_add)

    ls = own.add_parser(
        "list",
        parents=[common],
        help="show the recordings kept of each word, and how well voice commands worked lately",
    )
    ls.add_argument(
        "--days", type=int, default=14, help="how many days of use to count (default 14)"
    )
    ls.set_defaults(func=run_list)

    f = own.add_parser("forget", parents=[common], help="delete recordings (and what was learnt)")
    f.add_argument("words", nargs="*", metavar="WORD", help="words to forget")
    f.add_argument("--all", action="store_true", help="forget every recording")
    f.set_defaults(func=run_forget)

    def usage(_args: argparse.Namespace) -> int:
        p.print_help()
        return int(ExitStatus.USAGE)

    p.set_defaults(func=usage)


def _profile(args: argparse.Namespace) -> VoiceProfile:
    return VoiceProfile(paths.resolve(args.data_dir).ensure().voice_dir)


def run_list(args: argparse.Namespace) -> int:
    """One line per taught word, whether the listener uses them, and recent use."""
    if args.days < 1:
        raise BadInputError("--days must be 1 or more")
    where = paths.resolve(args.data_dir).ensure()
    profile = VoiceProfile(where.voice_dir)
    recs = profile.recordings()
    if not recs:
        print("No recordings of your voice yet. Run: companion voice teach")
    for word in TEACHABLE:
        if word in recs:
            n = len(recs[word])
            print(f"  {word:<6} {n} recording{'s' if n != 1 else ''}")
    for word, found in profile.own_recordings().items():
        n = len(found)
        print(f"  {word:<6} {n} recording{'s' if n != 1 else ''} (the user's own word)")
    if recs and profile.up_to_date():
        print(f"The listener uses them ({profile.model_file}).")
    elif recs:
        print("Not learnt yet (or damaged): run  companion voice teach  to learn from them.")
    since = dt.date.today() - dt.timedelta(days=args.days - 1)
    use = read_usage(where.event_log, since)
    print(
        f"Last {args.days} days: {use.by_voice} commands by voice, {use.by_keys} by keys; "
        f"asked 'Is that right?' {use.asked} times, wrong {use.wrong} times."
    )
    if use.teaching_would_help:
        print("Many wrong guesses: teaching your voice should help (companion voice teach).")
    return 0


def _own_words(args: argparse.Namespace) -> dict[str, str]:
    """The routine's [vocabulary] words, each with the word it is learnt as ("" for none)."""
    from companion.user_voice.teach import own_words  # deferred: loads the recognisers' parts

    chosen = routine.load(paths.resolve(args.data_dir).ensure().routine_file)
    return own_words(vocabulary(chosen.language).phrases, user_words(chosen.vocabulary.pairs))


def _check_words(words: list[str], own: dict[str, str]) -> None:
    """BadInputError naming what can be taught unless each of ``words`` can be."""
    for w in words:
        if w not in own:
            try:
                check_word(w)
            except BadInputError as exc:
                extra = f"; or the routine's own words: {', '.join(own)}" if own else ""
                exc.hint = f"Choose from: {', '.join(TEACHABLE)}{extra}."
                raise


def run_add(args: argparse.Namespace) -> int:
    """Check every file first; keep them all and learn from them, or keep none."""
    own = _own_words(args) if args.word not in TEACHABLE else {}
    _check_words([args.word], own)
    for f in args.files:  # every header before any audio is decoded
        wavfile.check(f, MAX_FILE_SECONDS)
    audio = [read_word(Path(f)) for f in args.files]
    profile = _profile(args)
    if args.word in own and not own[args.word]:
        return _add_own(profile, args.word, audio)
    word, said = (own[args.word], args.word) if args.word in own else (args.word, "")
    try:
        kept = profile.keep_all(word, audio, dt.datetime.now(), said)
    except OSError as exc:
        raise BadInputError(
            f"The recordings cannot be kept in {profile.root}: {exc.strerror or exc}. "
            "None was kept."
        ) from exc
    print(f"Kept {len(audio)} recording(s) of {args.word!r}. Learning from them...")
    try:
        profile.retrain()
    except BaseException:
        profile.discard(kept)  # all or none: what was not learnt is not kept either
        raise
    n = profile.count(word, said)
    print(f"Done: {n} recording(s) of {args.word!r}; the listener uses them from now on.")
    return 0


def _add_own(profile: VoiceProfile, said: str, audio: list[bytes]) -> int:
    """Keep recordings of the user's own word ``said`` (its command has no class of the
    classifier: heard by template, nothing to retrain), all or none."""
    kept: list[Path] = []
    now = dt.datetime.now()
    try:
        for one in audio:
            kept.append(profile.add_own(said, one, now))
    except BaseException as exc:
        profile.discard(kept)
        if isinstance(exc, OSError):
            raise BadInputError(
                f"The recordings cannot be kept in {profile.root}: {exc.strerror or exc}. "
                "None was kept."
            ) from exc
        raise
    n = profile.count_own(said)
    print(f"Done: {n} recording(s) of {said!r}; the listener uses them from now on.")
    return 0


def run_forget(args: argparse.Namespace) -> int:
    """Delete the recordings of the words named (or all with --all), then relearn the rest."""
    if not args.words and not args.all:
        raise BadInputError(
            "Say which words to forget, or --all for every recording.",
            hint="Example: companion voice forget yes   or   companion voice forget --all",
        )
    profile = _profile(args)
    removed = profile.forget(None if args.all else args.words)
    left = profile.retrain() is not None
    rest = " The listener uses the remaining recordings." if left else ""
    print(f"Deleted {removed} recording(s).{rest}")
    return 0


def run_teach(args: argparse.Namespace) -> int:
    """The guided recording: the companion asks, the user says the word."""
    # Deferred: teaching loads the recognisers, numpy and sounddevice (over a second).
    from companion.user_voice.teach import (
        SkipWord,
        StopTeaching,
        TeachSettings,
        own_words,
        teach,
    )
    from companion.user_voice.utterance_capture import MicCapture

    named = args.words if args.words is not None else ",".join(DEFAULT_WORDS)
    words = [w.strip() for w in named.split(",") if w.strip()]
    if not words:
        raise BadInputError("--words names no word", hint=f"Choose from: {', '.join(TEACHABLE)}.")
    if not 1 <= args.times <= 5:
        raise BadInputError("--times must be between 1 and 5")
    where = paths.resolve(args.data_dir).ensure()
    chosen = routine.load(where.routine_file)
    words_said = prompts.load(chosen.language)
    own = own_words(vocabulary(chosen.language).phrases, user_words(chosen.vocabulary.pairs))
    _check_words(words, own)
    if args.words is not None:  # only the words named
        own = {w: own[w] for w in words if w in own}
        words = [w for w in words if w not in own]
    device = args.device or chosen.listening.device or None  # a number or part of a name
    profile = VoiceProfile(where.voice_dir)
    speaker = wiring.make_speaker(chosen, not args.no_voice)
    try:
        with contextlib.ExitStack() as stack:
            capture = stack.enter_context(MicCapture(device, chosen.listening.end_silence_seconds))

            def on_key(key: str) -> None:
                if key in TEACH_SKIP_KEYS:
                    capture.interrupt(SkipWord())
                elif key.lower() in TEACH_STOP_KEYS:
                    capture.interrupt(StopTeaching())

            keys = TerminalKeys.for_terminal(on_key)
            if keys is not None:
                stack.enter_context(keys)
                print(TEACH_LEGEND, file=sys.stderr)
            print("(Ctrl+C stops; what is recorded is kept.)", file=sys.stderr)
            result = teach(
                profile,
                words,
                speaker,
                capture,
                words_said,
                dt.datetime.now,
                TeachSettings(times=args.times),
                own=own,
            )
    finally:
        speaker.close()
    kept = sum(result.saved.values())
    print(f"[{kept} new recording(s); skipped: {', '.join(result.skipped) or 'none'}]")
    if result.problem:
        raise DeviceError(result.problem, hint="What was recorded is kept; run this again later.")
    if result.not_learnt:
        raise ModelError(result.not_learnt, hint="The recordings are kept. Reinstall: make setup")
    return 0
