"""Joins a running session to the screen: its presses in (a Source), its effects out (a watcher),
and room in its voice for the screen's own lines (a new pairing code). The screen's state is a
``Live`` in the same process, or one in a ``companion screen`` process (``screen/attach.py``)."""

from __future__ import annotations

import datetime as dt
import itertools
import logging
import secrets
from collections.abc import Callable
from typing import Any, Protocol

from companion.events import Effect, End, Event, Heard, Listen, Say
from companion.inputs.base import Sink
from companion.prompts import Prompts
from companion.screen.live import UNCHECKED
from companion.screen.session_voice import SessionVoice
from companion.session.engine import Session
from companion.speech.base import Speaker

log = logging.getLogger(__name__)
CAPTION_LINES = 2
"""Lines of one batch shown in very large type (the rest, above them, in normal type)."""
Watcher = Callable[[list[Effect], dt.datetime], None]
"""Called by the loop with each batch of effects it has carried out."""


class Shows(Protocol):
    """Where the session's state is shown (the page's state, or something passing it on)."""

    def update(self, **changes: Any) -> None:
        """Change some fields of what the page shows."""


class LiveState(Shows, Protocol):
    """What a session changes on the page (``screen.live.Live`` or ``screen.attach.RemoteLive``)."""

    def reset(self) -> None:
        """Back to the state before any session."""

    def connect(self, sink: Sink | None) -> None:
        """Where the page's presses go (None: nowhere)."""

    def connect_voice(self, say: Callable[[str], None] | None) -> None:
        """How the session says the screen's own lines (None: it cannot)."""


class ScreenSource:
    """The page as an input, like the keyboard: presses become events on the loop's queue."""

    def __init__(
        self,
        live: LiveState,
        on_close: Callable[[], None] = lambda: None,
        asked: Asked | None = None,
    ) -> None:
        self._live = live
        self._on_close = on_close
        self._asked = asked

    def start(self, sink: Sink) -> None:
        """The session begins: nothing left over from an earlier one; presses now reach it."""
        self._live.reset()
        self._live.connect(sink if self._asked is None else self._asked.noting(sink))
        self._live.update(running=True, ended="")

    def listen(self, listen: Listen) -> None:
        """Nothing here: the watcher shows the buttons live now together with the name of the
        question they answer, in one update (never the new buttons with the old name)."""

    def close(self) -> None:
        """The session is over: presses go nowhere."""
        self._live.connect(None)
        self._live.update(running=False, commands=[])
        self._on_close()


def day_done(session: Session, rep: int) -> float:
    """How much of today's plan is done, 0 to 1 (sets done, plus the current set's part)."""
    items = session.items
    total = sum(i.sets for i in items)
    if total == 0:
        return 0.0
    if session.finished and session.index >= len(items) - 1:
        return 1.0
    index = min(session.index, len(items))
    done: float = sum(i.sets for i in items[:index])
    if session.exercising and index < len(items):
        item = items[index]
        done += session.set_no - 1 + (min(rep, item.reps) / item.reps if item.reps else 0)
    return max(0.0, min(1.0, done / total))


class Asked:
    """Names the question the page's presses answer (the snapshot's ``asked``). A press carries
    the name the page showed, so one made before the session moved on (a double click, another
    tab, a stale page) is never taken as the answer to the next question (``Live.press``).

    A new name when the session's stage or question changes, and after the session has acted
    on an answer from the page (even one that left the question as it was); not for "slower",
    "repeat" or "help" (the same question, asked again) nor a count's status. Names differ from
    one session to the next (a page left open from an earlier one)."""

    def __init__(self) -> None:
        self._prefix = secrets.token_hex(3)
        self._numbers = itertools.count(1)
        self._question: tuple[object, ...] | None = None
        self._pressed = False
        """An answer from the page has been handed to the session since the last name."""

    def noting(self, sink: Sink) -> Sink:
        """``sink``, noting each answer from the page that goes through it."""

        def note(event: Event) -> None:
            if isinstance(event, Heard) and event.command not in UNCHECKED:
                self._pressed = True
            sink(event)

        return note

    def after(self, effects: list[Effect], question: tuple[object, ...]) -> str | None:
        """The new name after these effects (the session now at ``question``: its stage and
        lines), or None when the page still shows the question its name stands for."""
        listens = any(isinstance(e, Listen) for e in effects)
        if question == self._question and not (listens and self._pressed):
            return None
        self._question, self._pressed = question, False
        return f"{self._prefix}-{next(self._numbers)}"


def watcher(live: Shows, session: Session, words: Prompts, asked: Asked | None = None) -> Watcher:
    """A watcher that sends the session's caption, progress and question to the page."""
    asked = asked or Asked()

    def watch(effects: list[Effect], now: dt.datetime) -> None:
        try:
            changes = _changes(session, words, effects, now)
            name = asked.after(effects, (session.stage, *session.last_prompt))
            if name is not None:
                changes["asked"] = name
            listens = [e for e in effects if isinstance(e, Listen)]
            if listens:
                changes["context"] = listens[-1].context
                changes["commands"] = sorted(c.value for c in listens[-1].commands)
            live.update(**changes)
        except Exception:  # noqa: BLE001 - the page must never stop the session
            log.exception("the screen could not show the session's state")

    return watch


def _changes(
    session: Session, words: Prompts, effects: list[Effect], now: dt.datetime
) -> dict[str, object]:
    """What the page shows after these effects: caption, exercise, set and rep, the day."""
    changes: dict[str, object] = {"stage": session.stage.value}
    said = [e.text for e in effects if isinstance(e, Say)]
    if said:
        if _beat(effects):  # a count: the count alone, the instructions stay
            changes["caption"] = said[-1]
        else:  # the last two lines large (usually the question), the ones before smaller
            changes["caption"] = " ".join(said[-CAPTION_LINES:])
            changes["said"] = " ".join(said[:-CAPTION_LINES])
    ended = next((e.how for e in effects if isinstance(e, End)), None)
    if ended is not None:
        changes["ended"] = ended
    exercise = session.current_exercise()
    rep = 0
    if exercise:
        item = session.item
        if session.progress is not None:
            rep = session.progress.done(item, len(session.phases), now)
        changes.update(
            exercise=exercise,
            exercise_name=words.exercise(exercise).name,
            set_no=session.set_no,
            sets=item.sets,
            rep=rep,
            reps=item.reps,
            timed=item.timed,
        )
    changes["day_done"] = round(day_done(session, rep), 3)
    return changes


def _beat(effects: list[Effect]) -> bool:
    return any(isinstance(e, Say) and e.beat for e in effects)


class ScreenLink:
    """What a session needs to show itself on the screen (handed to the runner)."""

    def __init__(self, live: LiveState, shown: Callable[[], bool] = lambda: True) -> None:
        self.live = live
        self.shown = shown
        """Whether a page shows the session now (a way to answer it; False: a screen that may
        open later)."""
        self._voice: SessionVoice | None = None
        self._asked = Asked()
        self._caption = ""
        """The caption the session last showed."""

    def source(self) -> ScreenSource:
        """The page's buttons, as an input source."""
        return ScreenSource(self.live, on_close=self._ended, asked=self._asked)

    def voice(self, speaker: Speaker) -> Speaker:
        """The session's speaker, with room for the screen's lines (the loop speaks through it)."""
        self._voice = SessionVoice(speaker)
        self.live.connect_voice(self._interject)
        return self._voice

    def _interject(self, text: str) -> None:
        """The screen's line (a new pairing code), said after the session's current line and
        shown as the caption (the caption before it shown smaller, as the next line said is)."""
        if self._voice is None:
            return
        self._voice.interject(text)
        self.update(said=self._caption, caption=text)

    def update(self, **changes: Any) -> None:
        """What the session's watcher shows, passed on (its caption kept for ``_interject``)."""
        self._caption = str(changes.get("caption", self._caption))
        self.live.update(**changes)

    def _ended(self) -> None:
        """The session's loop is over: the screen's lines no longer go to its voice."""
        self.live.connect_voice(None)
        if self._voice is not None:
            self._voice.finish()

    def watcher(self, session: Session, words: Prompts) -> Watcher:
        """The watcher the loop calls after carrying out effects."""
        return watcher(self, session, words, self._asked)
