"""The voice input's worker never makes the session wait: a stuck or failing listener leaves
``listen`` and ``close`` prompt (stand-in listeners: this is threading logic, not recognition)."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable

from companion.audio.microphone import Microphone
from companion.commands import Command
from companion.events import Event, Listen
from companion.listen.microphone_source import OwnVoice, VoiceSource
from companion.speech.captions import CaptionSink, SilentSpeaker

CHUNK = bytes(640)  # 20 ms of silence at 16 kHz


class StuckListener:
    """Blocks in ``process`` until released (a recogniser that hangs)."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()
        self.contexts: list[str] = []

    def set_context(self, context: str, _commands: frozenset[Command]) -> None:
        self.contexts.append(context)

    def own_speech(self, _text: str | None) -> None:
        pass

    def process(self, _pcm16: bytes) -> list[object]:
        self.entered.set()
        self.release.wait(30)
        return []


class FailingListener(StuckListener):
    """Raises on every chunk."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def process(self, _pcm16: bytes) -> list[object]:
        self.calls += 1
        raise RuntimeError("decoder broke")


def source_with(listener: StuckListener, told: Callable[[str], None]) -> VoiceSource:
    own = OwnVoice(SilentSpeaker(CaptionSink(io.StringIO())))
    return VoiceSource(listener, own, lambda sink: Microphone(sink), told)  # type: ignore[arg-type]


def returns_within(seconds: float, call: Callable[[], object]) -> bool:
    """Whether ``call()`` returned within ``seconds`` (it runs on a daemon thread)."""
    done = threading.Thread(target=call, daemon=True)
    done.start()
    done.join(seconds)
    return not done.is_alive()


def test_listen_and_close_never_wait_for_a_stuck_listener() -> None:
    listener = StuckListener()
    events: list[Event] = []
    source = source_with(listener, print)
    source.start(events.append)
    try:
        for _ in range(VoiceSource.BACKLOG + 100):  # 12 s of audio arrives meanwhile
            source._on_chunk(CHUNK)
        assert listener.entered.wait(5)
        listen = Listen("yesno", frozenset({Command.YES, Command.NO}))
        assert returns_within(1.0, lambda: source.listen(listen)), "listen() waited"
        start = time.monotonic()
        assert returns_within(VoiceSource.CLOSE_S + 1.5, source.close), "close() waited"
        assert time.monotonic() - start >= VoiceSource.CLOSE_S * 0.9
    finally:
        listener.release.set()
    assert events == []


def test_a_failing_listener_is_reported_once_and_the_session_goes_on() -> None:
    listener = FailingListener()
    told: list[str] = []
    source = source_with(listener, told.append)
    source.start(lambda _event: None)
    for _ in range(50):
        source._on_chunk(CHUNK)
    source.listen(Listen("ready", frozenset({Command.STOP})))
    deadline = time.monotonic() + 5
    while source._chunks.qsize() and time.monotonic() < deadline:  # the worker drains it all
        time.sleep(0.01)
    assert source._chunks.qsize() == 0
    assert returns_within(VoiceSource.CLOSE_S + 1.5, source.close)
    assert told == ["voice input failed: decoder broke"]
    assert listener.calls == 1
