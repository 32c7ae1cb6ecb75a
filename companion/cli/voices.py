"""``companion voices``: list the installed Piper voices, download another."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from companion import commands, paths, prompts, routine
from companion import plan as plan_mod
from companion.cli import downloads
from companion.history.store import HistoryStore
from companion.progression import today_plan
from companion.session import preferences
from companion.session.engine import Session
from companion.session.rehearsal import rehearse
from companion.speech import piper_voice, voice_download
from companion.speech.factory import engine_for
from companion.speech.voice_cache import VoiceCache


def register(
    subs: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    """Add the command and its sub-commands."""
    own = downloads.action_group(subs, common, "voices", help="list or download voices (Piper)")
    folder = argparse.ArgumentParser(add_help=False)
    folder.add_argument(
        "--voice-dir",
        metavar="DIR",
        help=f"the voices folder (default: ${piper_voice.VOICES_ENV} or models/voices)",
    )

    ls = own.add_parser("list", parents=[common, folder], help="show the installed voices")
    ls.set_defaults(func=run_list)

    dl = own.add_parser(
        "download", parents=[common, folder], help="download a Piper voice into the voices folder"
    )
    dl.add_argument("name", metavar="NAME", help="a Piper voice name, e.g. en_US-lessac-medium")
    dl.add_argument(
        "--url", help=f"fetch from this base address instead (or set {voice_download.URL_ENV})"
    )
    dl.add_argument("--sha256", metavar="HEX", help="expected SHA-256 of the voice's .onnx file")
    dl.add_argument("--force", action="store_true", help="download again even if installed")
    dl.set_defaults(func=run_download)

    pr = own.add_parser(
        "prepare",
        parents=[common, folder],
        help="render the routine's counts, the fixed lines and what today's session will say now, "
        "so sessions start on the beat",
    )
    pr.set_defaults(func=run_prepare)


def run_list(args: argparse.Namespace) -> int:
    """Print one line per voice: the setting that chooses it, size, where it is."""
    folder = piper_voice.voices_dir(args.voice_dir)
    kind, default = engine_for("", folder)
    print(f"Voices folder: {folder}")
    print(f"  {'SETTING':<28} {'SIZE':>9}  WHERE")
    for v in piper_voice.installed_voices(folder):
        setting = piper_voice.PREFIX + v.short
        mark = "  (default)" if kind == "piper" and default in (v.short, v.name) else ""
        where = "from a Python package" if v.source == "package" else str(v.model)
        print(f"  {setting:<28} {downloads.mb(v.size_bytes):>9}  {where}{mark}")
    system_mark = "  (default)" if kind == "system" else ""
    print(f"  {piper_voice.SYSTEM:<28} {'':>9}  pyttsx3 (eSpeak NG on Linux){system_mark}")
    if not piper_voice.piper_installed():
        print("Piper is not installed, so the system voice speaks: pip install 'companion[piper]'")
    print('Choose one with: companion routine set speech.voice "piper:joe"')
    return 0


def run_download(args: argparse.Namespace) -> int:
    """Download, verify and install a voice; prints where it went."""
    name = voice_download.check_name(args.name)
    folder = piper_voice.voices_dir(args.voice_dir)
    target = folder / f"{name}.onnx"
    if not args.force and any(v.name == name for v in piper_voice.folder_voices(folder)):
        print(f"{name} is already installed in {folder}")
        return 0
    with downloads.progress_bar(f"Downloading {name}") as bar:
        installed = voice_download.install(
            name, folder, url=args.url, sha256=args.sha256, progress=bar
        )
    size = installed.stat().st_size + Path(f"{target}.json").stat().st_size
    print(f"Installed {name} ({downloads.mb(size)}) in {folder}")
    short = name.split("-")[1]
    print(f'Use it with: companion routine set speech.voice "piper:{short}"')
    return 0


def lines_to_prepare(chosen: routine.Routine, words: prompts.Prompts) -> list[str]:
    """The routine's count lines (for up to five more repetitions than set, as progression may
    add) and every fixed spoken line of the session and safety questions."""
    out: dict[str, None] = {}
    for item in chosen.exercises:
        phases = words.exercise(item.id).phases
        for n in range(1, min(60, item.reps + 5) + 1):
            if not phases:
                out[words.text("session.count_only", n=n)] = None
                continue
            out[words.text("session.count_first", n=n, phase=phases[0].capitalize())] = None
        for phase in phases[1:]:
            out[words.text("session.count_phase", phase=phase.capitalize())] = None
    for table in ("session", "safety"):
        for value in words.tables.get(table, {}).values():
            for line in [value] if isinstance(value, str) else value:
                if isinstance(line, str) and not prompts.placeholders(line):
                    out[line] = None
    return list(out)


def todays_session(where: paths.Paths, chosen: routine.Routine, words: prompts.Prompts) -> Session:
    """Today's session as it would start now (today's plan from the history, when there is
    one; the speech preferences kept from the last session), not begun."""
    day = dt.date.today()
    if where.history_db.exists():
        with HistoryStore.open(where.history_db, create=False) as store:
            plan = today_plan(chosen, store, day)
    else:
        plan = plan_mod.from_routine(chosen, day)
    vocab = commands.vocabulary(chosen.language).with_words(
        commands.user_words(chosen.vocabulary.pairs)
    )
    prefs = preferences.load(preferences.path_in(where.data_dir))
    return Session(chosen, plan, words, vocab, prefs)


def run_prepare(args: argparse.Namespace) -> int:
    """Render the lines a session says on the beat (and the fixed ones), and what today's
    session will say (its rehearsal), into the speech cache."""
    where = paths.resolve(args.data_dir).check().ensure()
    chosen = routine.load(where.routine_file)
    folder = piper_voice.voices_dir(args.voice_dir)
    kind, name = engine_for(chosen.speech.voice, folder)
    if kind != "piper":
        print("The system voice speaks; it needs nothing prepared.")
        return 0
    voice = piper_voice.find_voice(name, folder)
    words = prompts.load(chosen.language)
    session = todays_session(where, chosen, words)
    todo = lines_to_prepare(chosen, words)
    today = [u.text for u in rehearse(session, dt.datetime.now().astimezone())]
    today = [line for line in dict.fromkeys(today) if line not in set(todo)]
    cache = VoiceCache(folder=where.speech_cache)
    synth = piper_voice.PiperSynth(voice, cache)
    rate = session.rate  # the routine's, or the user's "slower"/"faster" kept
    every = todo + today
    for n, line in enumerate(every, 1):
        synth.prepare(piper_voice.sentences(line), rate)
        if n % 25 == 0 or n == len(every):
            print(f"  {n} of {len(every)} lines", file=sys.stderr)
    print(
        f"{len(todo)} lines ready in {cache.folder}, and {len(today)} more of today's session "
        f"({synth.renders} rendered now, voice {voice.name}, rate {rate})"
    )
    return 0
