"""Doctor checks of sound: the voice makes speech, a player, speakers and a microphone."""

from __future__ import annotations

import tempfile
import wave
from pathlib import Path

from companion.doctor.finding import Context, Finding, Status, ok
from companion.errors import CompanionError


def check_speech(ctx: Context) -> Finding:
    """The voice: Piper or pyttsx3 (whichever the routine's voice setting chooses) makes real
    speech into a file, and a player is there to play it."""
    # imported here: a module that fails to import is this check's finding (run_all)
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
    # imported here: a module that fails to import is this check's finding (run_all)
    from companion.speech.piper_voice import piper_installed

    why = "Piper is not installed" if not piper_installed() else "chosen in the routine"
    return ok(
        name,
        f"system voice (pyttsx3) speaks ({seconds:.1f} s test line; {why}) "
        "and a player is installed",
    )


def _check_piper(name: str, voice: str, rate: int, volume: float) -> Finding:
    """The Piper voice ``voice`` renders a test line, and a player is there to play it."""
    # imported here: a module that fails to import is this check's finding (run_all)
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
    return ok(
        name,
        f"Piper voice {found.name} speaks ({audio.seconds:.1f} s test line) "
        "and a player is installed",
    )


def _device_check(ctx: Context, want_input: bool) -> Finding:
    # imported here: a module that fails to import is this check's finding (run_all)
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
    return ok(name, f"{device.index} {device.name} ({device.host_api})")


def check_microphone(ctx: Context) -> Finding:
    """A microphone is there (the routine's chosen one, if any)."""
    return _device_check(ctx, want_input=True)


def check_speakers(ctx: Context) -> Finding:
    """An output device is there."""
    return _device_check(ctx, want_input=False)
