"""Doctor checks of listening: the recogniser and its models, and the user's taught voice."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

from companion.doctor.finding import Context, Finding, Status, ok


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
    # imported here: a module that fails to import is this check's finding (run_all)
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
        return ok(name, f"vosk with the model {vosk_dir}")
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
        return ok(name, f"vosk with the model {vosk_dir} (pocketsphinx {ps_model} as fallback)")
    # imported here: a module that fails to import is this check's finding (run_all)
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
    # imported here: a module that fails to import is this check's finding (run_all)
    from companion.recognisers import moonshine_reader

    try:
        reader = moonshine_reader.MoonshineReader(models_dir=ctx.models_dir)
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
    return ok(
        name,
        f"pocketsphinx with its built-in model {ps_model}, the word classifier and the "
        f"Moonshine reader (compact copy in {reader.compact}){extra}",
    )


def check_own_voice(ctx: Context) -> Finding:
    """The user's recordings (companion voice) and whether the listener has learnt them."""
    # imported here: a module that fails to import is this check's finding (run_all)
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
        return ok(name, "not taught (optional: companion voice teach)")
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
    return ok(name, f"{count} of {words}, in use")
