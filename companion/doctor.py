"""Checks of this machine's set-up (sound, speech, models, files, daemon), each in plain words."""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from companion import paths, routine
from companion.errors import CompanionError
from companion.plurals import plural

log = logging.getLogger(__name__)


class Status(str, Enum):
    """How a check went."""

    OK = "ok"
    WARN = "warning"
    """Works with less (captions without a voice, keyboard without a microphone ...)."""
    FAIL = "broken"
    """Essential: the companion cannot run properly until this is fixed."""


@dataclass(frozen=True)
class Finding:
    """The result of one check."""

    name: str
    status: Status
    detail: str
    """What was found, in plain words."""
    fix: str = ""
    """What to do about it (empty when nothing is needed)."""


@dataclass
class Context:
    """What the checks look at."""

    paths: paths.Paths
    models_dir: Path
    routine: routine.Routine | None = None
    routine_problem: str = ""


def _ok(name: str, detail: str) -> Finding:
    return Finding(name, Status.OK, detail)


def check_data_dir(ctx: Context) -> Finding:
    """The data and settings folders exist (or can be made) and a file can be written there."""
    name = "Data folder"
    try:
        ctx.paths.ensure()
        for folder in {ctx.paths.data_dir, ctx.paths.config_dir}:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-") as f:
                f.write(b"ok")
                f.flush()
                os.fsync(f.fileno())
    except (OSError, CompanionError) as exc:  # ensure(): a plain StorageError
        why = exc.message if isinstance(exc, CompanionError) else exc.strerror or exc
        return Finding(
            name,
            Status.FAIL,
            f"cannot write in {ctx.paths.data_dir}: {why}",
            "Choose a folder you can write to with --data-dir DIR (or COMPANION_DATA_DIR), "
            "or fix the folder's owner and permissions.",
        )
    return _ok(name, f"{ctx.paths.data_dir} is writable")


def check_routine(ctx: Context) -> Finding:
    """The routine file is valid (or absent: the defaults are used)."""
    name = "Routine"
    if ctx.routine is None:
        return Finding(
            name,
            Status.FAIL,
            ctx.routine_problem,
            "Fix the line named above, then run: companion routine check",
        )
    where = ctx.paths.routine_file
    source = str(where) if where.exists() else "the packaged defaults (no routine file yet)"
    ids = ", ".join(e.id for e in ctx.routine.exercises)
    return _ok(name, f"valid, from {source}: {ids}")


def check_emergency_number(ctx: Context) -> Finding:
    """The routine names the number said with "call now" (chest pain, stroke warning signs)."""
    name = "Emergency number"
    if ctx.routine is None:
        return Finding(name, Status.WARN, "cannot be read: the routine file is not valid")
    number = ctx.routine.safety.emergency_number
    if not number:
        return Finding(
            name,
            Status.WARN,
            'not set: the session can only say "call your emergency number"',
            "Set it with: companion routine set safety.emergency_number 999 "
            "(your local emergency number)",
        )
    return _ok(name, f"{number} is said with the warning signs")


def check_history(ctx: Context) -> Finding:
    """The history database opens (checked, migrated) or does not exist yet."""
    from companion.history.store import HistoryStore

    name = "History database"
    db = ctx.paths.history_db
    if not db.exists():
        return _ok(name, "no history yet; it is created by the first session")
    try:
        with HistoryStore.open(db, create=False) as store:
            count = store.connection.execute("SELECT COUNT(*) FROM sessions").fetchone()[0]
    except CompanionError as exc:
        return Finding(
            name,
            Status.FAIL,
            exc.message,
            exc.hint
            or f"Move {db} somewhere safe (do not delete it: it holds the history), "
            "then a new one is made at the next session.",
        )
    except Exception as exc:  # sqlite errors the store did not translate
        return Finding(name, Status.FAIL, f"{db} cannot be read: {exc}", f"Move {db} aside.")
    return _ok(name, f"{db} opens; {plural(count, 'session')} recorded")


def check_speech(ctx: Context) -> Finding:
    """The voice: Piper or pyttsx3 (whichever the routine's voice setting chooses) makes real
    speech into a file, and a player is there to play it."""
    from companion.speech.factory import engine_for
    from companion.speech.player import default_player, missing_player_hint
    from companion.speech.tts import Pyttsx3Synth

    name = "Speech (voice out)"
    voice, rate, volume = "", 150, 0.9
    if ctx.routine is not None:
        voice = ctx.routine.speech.voice
        rate, volume = ctx.routine.speech.rate, ctx.routine.speech.volume
    try:
        kind, voice = engine_for(voice)
        if kind == "piper":
            return _check_piper(name, voice, rate, volume)
        synth = Pyttsx3Synth(voice)
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "check.wav"
            synth.synthesize("Hello. This is a test.", rate, volume, wav)
            with wave.open(str(wav), "rb") as w:
                seconds = w.getnframes() / max(1, w.getframerate())
        synth.close()
    except CompanionError as exc:
        return Finding(name, Status.FAIL, exc.message, exc.hint or "Reinstall: make setup")
    except Exception as exc:
        return Finding(name, Status.FAIL, f"the speech engine failed: {exc}", "Run: make setup")
    if seconds <= 0.2:
        return Finding(name, Status.FAIL, "the speech engine made no sound", "Run: make setup")
    if default_player() is None:
        return Finding(
            name, Status.FAIL, "speech is made but cannot be played", missing_player_hint()
        )
    from companion.speech.piper_voice import piper_installed

    why = "Piper is not installed" if not piper_installed() else "chosen in the routine"
    return _ok(
        name,
        f"system voice (pyttsx3) speaks ({seconds:.1f} s test line; {why}) "
        "and a player is installed",
    )


def _check_piper(name: str, voice: str, rate: int, volume: float) -> Finding:
    """The Piper voice ``voice`` renders a test line, and a player is there to play it."""
    from companion.speech.piper_voice import PiperSynth, find_voice
    from companion.speech.player import default_player, missing_player_hint

    found = find_voice(voice)
    audio = PiperSynth(found).render("Hello. This is a test.", rate).scaled(volume)
    if audio.seconds <= 0.2:
        return Finding(name, Status.FAIL, "the Piper voice made no sound", "Run: make setup")
    if default_player() is None:
        return Finding(
            name, Status.FAIL, "speech is made but cannot be played", missing_player_hint()
        )
    return _ok(
        name,
        f"Piper voice {found.name} speaks ({audio.seconds:.1f} s test line) "
        "and a player is installed",
    )


def _device_check(ctx: Context, want_input: bool) -> Finding:
    from companion.audio import devices

    name = "Microphone" if want_input else "Speakers"
    choice = ctx.routine.listening.device if (ctx.routine and want_input) else ""
    keyboard = ctx.routine is None or ctx.routine.input.keyboard or ctx.routine.input.switch
    try:
        device = devices.choose(choice or None, want_input=want_input, refresh=True)
    except CompanionError as exc:
        hint = f"{exc.hint} " if choice else ""
        if want_input:
            wanted = ctx.routine is not None and ctx.routine.input.voice
            status = Status.FAIL if wanted and not keyboard else Status.WARN
            fix = hint + (
                "Plug in a microphone (companion devices lists what is found). Until then "
                "spoken commands are off; the keyboard and switch still work."
                if keyboard
                else "Plug in a microphone, or turn the keyboard on: "
                "companion routine set input.keyboard true"
            )
        else:
            status = Status.WARN
            fix = (
                "Plug in speakers or headphones (companion devices lists what is found). "
                "Until then the words are shown on screen only."
            )
        return Finding(name, status, exc.message, fix)
    return _ok(name, f"{device.index} {device.name} ({device.host_api})")


def check_microphone(ctx: Context) -> Finding:
    """A microphone is there (the routine's chosen one, if any)."""
    return _device_check(ctx, want_input=True)


def check_speakers(ctx: Context) -> Finding:
    """An output device is there."""
    return _device_check(ctx, want_input=False)


def _imports(module: str) -> str:
    """'' if ``module`` imports cleanly in a fresh interpreter, else why not."""
    try:
        run = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    lines = run.stderr.strip().splitlines()
    return "" if run.returncode == 0 else (lines[-1] if lines else f"exit {run.returncode}")


def check_recognition(ctx: Context) -> Finding:
    """The speech recogniser the routine asks for, with a model."""
    from companion.listen import models

    name = "Speech recognition"
    engine = ctx.routine.listening.engine if ctx.routine else "auto"
    model = ctx.routine.listening.model if ctx.routine else ""
    vosk_dir = Path(model).expanduser() if model else models.find_vosk(ctx.models_dir)
    if engine == "vosk" or model:
        problem = _imports("vosk")
        if problem:
            return Finding(
                name, Status.FAIL, f"vosk cannot be loaded: {problem}", "Reinstall: make setup"
            )
        if vosk_dir is None:
            return Finding(
                name,
                Status.FAIL,
                f"no Vosk model in {ctx.models_dir}",
                "Run: companion models download en-us",
            )
        problem = models.vosk_problem(vosk_dir)
        if problem:
            return Finding(
                name,
                Status.FAIL,
                problem,
                "Run: companion models download en-us, or fix listening.model",
            )
        return _ok(name, f"vosk with the model {vosk_dir}")
    problem = _imports("pocketsphinx")
    ps_model = models.pocketsphinx_model_dir()
    if problem or ps_model is None:
        detail = (
            f"pocketsphinx cannot be loaded: {problem}"
            if problem
            else ("pocketsphinx has no built-in English model")
        )
        return Finding(name, Status.FAIL, detail, "Reinstall: make setup")
    if engine == "auto" and vosk_dir is not None and not models.vosk_problem(vosk_dir):
        return _ok(name, f"vosk with the model {vosk_dir} (pocketsphinx {ps_model} as fallback)")
    from companion.classifier import word_classifier
    from companion.errors import ModelError

    try:
        word_classifier.WordClassifier(word_classifier.WEIGHTS)
    except ModelError as exc:
        return Finding(
            name,
            Status.WARN,
            f"pocketsphinx works, but without its word classifier (less accurate): {exc.message}",
            "Reinstall: make setup",
        )
    from companion.recognisers import moonshine_reader

    try:
        reader = moonshine_reader.MoonshineScorer(models_dir=ctx.models_dir)
    except ModelError as exc:
        return Finding(
            name,
            Status.WARN,
            f"pocketsphinx works, but without the Moonshine reader (less accurate): {exc.message}",
            "Reinstall: make setup",
        )
    if reader.compact is None:
        return Finding(
            name,
            Status.WARN,
            "pocketsphinx and the Moonshine reader work, but the reader runs from its packaged "
            f"model, which takes about 640 MB: its compact copy cannot be made in {ctx.models_dir}",
            f"Make {ctx.models_dir} writable (or set COMPANION_MODELS_DIR), then run "
            "companion doctor again; reinstall (make setup) if onnx is missing",
        )
    extra = (
        ""
        if vosk_dir
        else (f"; no Vosk model in {ctx.models_dir} (optional: companion models download en-us)")
    )
    return _ok(
        name,
        f"pocketsphinx with its built-in model {ps_model}, the word classifier and the "
        f"Moonshine reader (compact copy in {reader.compact}){extra}",
    )


def check_own_voice(ctx: Context) -> Finding:
    """The user's recordings (companion voice) and whether the listener has learnt them."""
    from companion.classifier.word_classifier import WordClassifier
    from companion.errors import ModelError
    from companion.user_voice.usage import read_usage
    from companion.user_voice.voice_profile import VoiceProfile

    name = "Your voice"
    profile = VoiceProfile(ctx.paths.voice_dir)
    recs = profile.recordings()
    if not recs:
        use = read_usage(ctx.paths.event_log, dt.date.today() - dt.timedelta(days=13))
        if use.teaching_would_help:
            return Finding(
                name,
                Status.WARN,
                f"not taught, and in the last 14 days {use.wrong} of {use.asked} guesses "
                "('Is that right?') were wrong",
                "Run: companion voice teach   (a few minutes; it learns how the user speaks)",
            )
        return _ok(name, "not taught (optional: companion voice teach)")
    n = sum(len(f) for f in recs.values())
    count = f"{n} recording{'s' if n != 1 else ''}"
    teach = "Run: companion voice teach   (it learns from the recordings kept)"
    try:
        WordClassifier(profile.model_file)
    except ModelError as exc:
        return Finding(name, Status.WARN, f"{count}, not in use: {exc.message}", teach)
    if not profile.up_to_date():
        return Finding(name, Status.WARN, f"{count}, some not learnt yet", teach)
    words = f"{len(recs)} word{'s' if len(recs) != 1 else ''}"
    return _ok(name, f"{count} of {words}, in use")


def check_daemon(ctx: Context) -> Finding:
    """The reminder daemon is running (it holds the lock file)."""
    from companion.reminders.lock import holder

    name = "Reminder daemon"
    try:
        pid = holder(ctx.paths.daemon_lock)
    except OSError as exc:
        return Finding(name, Status.WARN, f"the lock file cannot be read: {exc}", "")
    if pid is None:
        return Finding(
            name,
            Status.WARN,
            "not running, so no spoken reminders will come",
            "Start it with: companion daemon   (or make it start by itself: "
            "companion reminders install)",
        )
    return _ok(name, "running" + (f" (pid {pid})" if pid > 0 else ""))


CHECKS: tuple[Callable[[Context], Finding], ...] = (
    check_data_dir,
    check_routine,
    check_emergency_number,
    check_history,
    check_speech,
    check_speakers,
    check_microphone,
    check_recognition,
    check_own_voice,
    check_daemon,
)
"""Every check, in the order they are shown."""


def context(data_dir: str | None) -> Context:
    """Paths, models folder and the routine (or the reason it cannot be loaded)."""
    p = paths.resolve(data_dir)
    ctx = Context(paths=p, models_dir=paths.models_dir())
    try:
        ctx.routine = routine.load(p.routine_file)
    except CompanionError as exc:
        ctx.routine_problem = exc.message
    return ctx


def run_all(ctx: Context) -> list[Finding]:
    """Run every check; a check that crashes is itself reported, never raised."""
    found = []
    for check in CHECKS:
        try:
            found.append(check(ctx))
        except Exception as exc:  # a doctor must not die of the illness it looks for
            log.exception("check %s crashed", check.__name__)
            found.append(Finding(check.__name__, Status.FAIL, f"the check failed: {exc}"))
    return found
