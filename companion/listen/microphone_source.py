"""Voice input for the session: microphone → listener → commands, on a worker thread of its own."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path

from companion.audio.echo_cancel import ECHO_TAIL_S, EchoFilter, echo_filter
from companion.audio.frontend import FrontEnd, FrontEndKind, FrontEndSettings, make_front_end
from companion.audio.microphone import Microphone
from companion.audio.playback_tap import SHARED
from companion.classifier.choose import make_classifier
from companion.classifier.word_classifier import WordJudge
from companion.commands import Vocabulary
from companion.errors import ModelError
from companion.events import Heard, Listen
from companion.inputs.base import Sink
from companion.listen.listener import Listener
from companion.listen.own_voice_lines import OwnVoice
from companion.listen.settings import ListenerSettings
from companion.listen.verdict import Decision
from companion.recognisers.base import Engine
from companion.recognisers.choose import make_engine, make_reader
from companion.routine import Routine
from companion.speech.base import Speaker

log = logging.getLogger(__name__)


def choose_engine(name: str, model: str | None) -> Engine:
    """``auto``: Vosk when a Vosk model is given or installed, else the built-in PocketSphinx."""
    if name != "auto":
        return make_engine(name, model)
    if model:
        return make_engine("vosk" if _looks_like_vosk(Path(model)) else "pocketsphinx", model)
    try:
        return make_engine("vosk", None)
    except Exception:  # noqa: BLE001 - no Vosk model installed: the built-in engine
        return make_engine("pocketsphinx", None)


def _looks_like_vosk(folder: Path) -> bool:
    return (folder / "am").is_dir() or (folder / "conf" / "model.conf").is_file()


def _classifier_or_none(engine: Engine, user_voice: Path | None) -> WordJudge | None:
    """The word classifier; without it (damaged files) voice still works, less accurately:
    logged here, and `companion doctor` warns about it. Not a microphone problem, so the
    user is not told to use the keys."""
    try:
        return make_classifier(engine, user_voice=user_voice)
    except ModelError as exc:
        log.warning("listening without the word classifier: %s", exc)
        return None


def listener_settings(echo_cancelled: bool) -> ListenerSettings:
    """The listener's settings for live listening, with or without echo cancellation. With it,
    its own voice is known to the 10 ms from what it played (``OwnVoice.heard``), and only
    ``ECHO_TAIL_S`` more after its last sound is its own (the room's echo). Without it:
    ``own_voice_tail_s`` (0.5 s) after the speaker stops being busy."""
    if not echo_cancelled:
        return ListenerSettings()
    return ListenerSettings(echo_cancelled=True, own_voice_tail_s=ECHO_TAIL_S)


class VoiceSource:
    """Feeds microphone audio to a Listener and hands its decisions to the session.

    Nothing here waits on the worker for good: audio and the session's ``Listen`` reach it
    without blocking the caller, and ``close`` returns within ``CLOSE_S`` (plus the
    microphone's own bound) even when the worker is stuck."""

    CLOSE_S = 2.0
    """How long ``close`` waits for the worker to finish."""
    BACKLOG = 500
    """Chunks of audio (10 s) waiting for the worker beyond which new audio is dropped."""

    def __init__(
        self,
        listener: Listener,
        own: OwnVoice,
        mic_factory: Callable[[Callable[[bytes], None]], Microphone],
        on_problem: Callable[[str], None] | None = None,
        echo: EchoFilter | None = None,
        front_end: FrontEnd | None = None,
    ) -> None:
        self.listener = listener
        self.front_end = front_end
        """Noise suppression after the echo is taken out, on the worker (None: none)."""
        self.echo = echo
        """Takes the companion's own voice out of each block, on the worker, with the time the
        block was captured (``companion.audio.echo_cancel.EchoFilter``); None: the microphone as
        it is."""
        self.own = own
        self.on_problem = on_problem
        """Told once, in plain words, when the listener fails (voice input then stops)."""
        self._chunks: queue.Queue[tuple[bytes, float, float] | Listen] = queue.Queue()
        """Audio and the session's ``Listen`` in order; unbounded so that a ``Listen`` never
        waits, while audio beyond ``BACKLOG`` chunks is dropped."""
        self._closed = threading.Event()
        self._behind = False
        self._mic = mic_factory(self._on_chunk)
        self._thread: threading.Thread | None = None

    @classmethod
    def create(
        cls,
        routine: Routine,
        vocab: Vocabulary,
        *,
        engine: str,
        model: str | None,
        device: str | None,
        speaker: Speaker,
        on_problem: Callable[[str], None],
        user_voice: Path | None = None,
        cancel_echo: bool = True,
    ) -> VoiceSource:
        """The live voice input; raises DeviceError/ModelError when it cannot work.

        ``user_voice``: the user's voice folder (the classifier retrained with their words).
        ``cancel_echo``: take what the speaker plays (``playback_tap.SHARED``) out of the
        microphone, and let the listener believe "stop" over its voice accordingly."""
        chosen = choose_engine(engine, model)
        echo = echo_filter(SHARED) if cancel_echo else None
        own_engine = (
            make_engine(chosen.name, model, fresh=True) if chosen.name == "pocketsphinx" else None
        )
        listener = Listener(
            chosen,
            vocab,
            end_silence_s=routine.listening.end_silence_seconds,
            own_voice_engine=own_engine,
            classifier=_classifier_or_none(chosen, user_voice),
            reader=make_reader(chosen, enabled=routine.listening.reader),
            settings=listener_settings(echo is not None),
        )
        own = OwnVoice(speaker)

        def mic(sink: Callable[[bytes], None]) -> Microphone:
            return Microphone(sink, device=device, rate=chosen.sample_rate, on_problem=on_problem)

        front = make_front_end(
            FrontEndSettings(kind=FrontEndKind(routine.listening.front_end)), chosen.sample_rate
        )
        source = cls(listener, own, mic, on_problem, echo, front)
        source._mic.start()
        return source

    def start(self, sink: Sink) -> None:
        """Start the worker that runs the listener."""
        self._thread = threading.Thread(
            target=self._run, args=(sink,), daemon=True, name="voice-input"
        )
        self._thread.start()

    def listen(self, listen: Listen) -> None:
        """Follow the session's live commands (applied on the worker, between chunks; never
        waits, whatever the worker is doing)."""
        self._chunks.put(listen)

    def close(self) -> None:
        """Stop the microphone and the worker (bounded: see the class)."""
        self._mic.stop()
        self._closed.set()
        if self._thread is not None:
            self._thread.join(timeout=self.CLOSE_S)
            if self._thread.is_alive():
                log.warning("voice input did not stop within %g s; left running", self.CLOSE_S)

    def _on_chunk(self, pcm16: bytes) -> None:
        """On the audio thread: hand the block over with when it was captured (0.0: not told)
        and when it arrived."""
        arrived = time.monotonic()
        captured = getattr(self._mic, "captured_at", 0.0) if hasattr(self, "_mic") else 0.0
        if self._chunks.qsize() >= self.BACKLOG:
            if not self._behind:
                log.warning("voice input is falling behind; dropping audio")
            self._behind = True
            return
        self._behind = False
        self._chunks.put_nowait((pcm16, captured, arrived))

    def _run(self, sink: Sink) -> None:
        failed = False
        while not self._closed.is_set():
            try:
                item = self._chunks.get(timeout=0.25)
            except queue.Empty:
                continue
            if failed:
                continue  # keep draining, so the queue never grows
            try:
                if isinstance(item, Listen):
                    self.listener.set_context(item.context, item.commands)
                    continue
                pcm16, captured, arrived = item
                if self.echo is not None:  # whole 10 ms blocks: b"" until one is complete
                    pcm16 = self.echo(pcm16, arrived, captured=captured or None)
                    if not pcm16:
                        continue
                if self.echo is not None:  # its voice where it is in the audio, exactly
                    self.listener.own_speech(self.own.heard(self.echo))
                else:
                    self.listener.own_speech(self.own.now())
                if self.front_end is not None:
                    pcm16 = self.front_end.process(pcm16)
                for decision in self.listener.process(pcm16):
                    sink(to_event(decision))
            except Exception as exc:  # the session goes on with the keys
                log.exception("voice input failed")
                failed = True
                if self.on_problem is not None:
                    self.on_problem(f"voice input failed: {exc}")


def to_event(decision: Decision) -> Heard:
    """A listener decision as a session event."""
    return Heard(
        decision.command,
        decision.value,
        source="voice",
        text=decision.text,
        confidence=decision.confidence,
        unsure=decision.unsure,
    )


class TeeSpeaker:
    """A speaker that also tells the listener what it is saying (its own voice)."""

    def __init__(self, speaker: Speaker, own: OwnVoice) -> None:
        self.inner = speaker
        self.own = own

    def say(self, text: str, *, beat: bool = False) -> None:
        """Speak the line, and remember it (once queued, so it is not forgotten as over)."""
        self.inner.say(text, beat=beat)
        self.own.said(text)

    def stop(self) -> None:
        """Stop speaking."""
        self.inner.stop()

    def set_voice(self, rate: int, volume: float) -> None:
        """Change rate and volume."""
        self.inner.set_voice(rate, volume)

    def busy(self) -> bool:
        """Whether anything is being said."""
        return self.inner.busy()

    def close(self) -> None:
        """Close the inner speaker."""
        self.inner.close()
