"""The session's state and its speaking verbs: say, record, ask, listen, interrupt, go on."""

from __future__ import annotations

import datetime as dt

from companion import records
from companion.commands import CONTEXTS, Vocabulary
from companion.events import Effect, End, Heard, Listen, Record, Say, SetVoice, StopSpeech
from companion.inputs.keymap import spoken_keys
from companion.plan import Plan, PlannedExercise, for_hand
from companion.prompts import Prompts
from companion.records import Outcome
from companion.routine import Routine
from companion.session import wording
from companion.session.preferences import Preferences
from companion.session.state import (
    FEW_OPTIONS,
    QUESTIONS,
    SUGGESTED,
    Alert,
    Progress,
    ReturnPoint,
    Stage,
)
from companion.session.talk import Talk

Lines = list[tuple[str, dict[str, object]]]
"""Session lines to say, as (prompt key, values)."""


class Core:
    """Where one session is, and the verbs that speak, record and listen for it.

    Every verb appends effects for the event being handled; nothing here reads a clock."""

    def __init__(
        self,
        routine: Routine,
        plan: Plan,
        words: Prompts,
        vocab: Vocabulary,
        prefs: Preferences | None = None,
    ) -> None:
        self.routine = routine
        self.plan, self.hand_changes = for_hand(plan, routine.hand.pinch)
        self.items = list(self.plan.items)
        words = wording.for_user(words, routine.speech.simple)
        self.talk = Talk(words, vocab, routine.affected_side, routine.progression.days_needed)
        self.words = words
        self.switch = routine.input.switch
        """Single-switch mode: what is said names what the switch does (not keys or words)."""
        self.stage = Stage.READY
        self.index = 0
        self.set_no = 1
        self.progress: Progress | None = None
        self.wake_at: dt.datetime | None = None
        prefs = prefs or Preferences()
        self.speed = prefs.speed
        self.rate = prefs.rate or routine.speech.rate
        self.volume = prefs.volume or routine.speech.volume
        self.last_prompt: list[str] = []
        self.returns: list[ReturnPoint] = []
        """Where each interruption in progress came from (innermost last)."""
        self.pending: Heard | None = None
        self.safety_q = 0
        self.safety_answers: list[tuple[str, bool]] = []
        """(question, yes) for each pre-session question answered, in order."""
        self.exercising = False
        """The exercises have begun (the safety questions are over)."""
        self.pain_reduced: set[int] = set()
        """Exercises (by position) whose dose was already lowered for pain today."""
        self.pain_after_set = False
        """The pain being dealt with was rated after a whole set (not "it hurts" mid-set)."""
        self.alert: Alert | None = None
        """The "call now" lines being said, once the session has come to that."""
        self.reps_total = 0
        self.seconds_total = 0
        self.told: set[str] = set()
        self.reprompted = False
        self.rest_end: dt.datetime | None = None
        self.now = dt.datetime.min
        """The time of the event being handled."""
        self._out: list[Effect] = []

    # ---- what the session is at -----------------------------------------------------------

    @property
    def preferences(self) -> Preferences:
        """Speech as the user has set it ("slower", "louder"), to keep for the next session."""
        return Preferences(self.speed, self.rate, self.volume)

    @property
    def finished(self) -> bool:
        """Whether the session has ended."""
        return self.stage is Stage.DONE

    @property
    def item(self) -> PlannedExercise:
        """The current exercise."""
        return self.items[self.index]

    def current_exercise(self) -> str:
        """The exercise under way, or "" before the exercises (at the safety questions)."""
        return self.item.exercise_id if self.exercising and self.index < len(self.items) else ""

    @property
    def phases(self) -> tuple[str, ...]:
        """The beat words of the current exercise."""
        return self.talk.exercise(self.item.exercise_id).phases

    def few_options(self) -> str:
        """The two or three things that fit now ("yes, or no"); the rest are on "help"."""
        return self.talk.options(FEW_OPTIONS.get(self.stage.context, frozenset()))

    def key_options(self, few: bool = True) -> str:
        """The keys that fit now, named: "y for yes, or n for no" (all live ones if not few)."""
        chosen = FEW_OPTIONS.get(self.stage.context, frozenset()) if few else None
        keys = [
            (key, cmd)
            for key, cmd in spoken_keys(self.stage.context)
            if chosen is None or cmd in chosen
        ]
        return self.talk.key_options(keys)

    def status(self) -> str:
        """Where the session is, for the status line on screen."""
        if not self.exercising or self.index >= len(self.items):
            return self.words.text("ui.status.safety") if self.stage is Stage.SAFETY else ""
        where = self.words.text(
            "ui.status.where",
            number=self.index + 1,
            total=len(self.items),
            name=self.talk.exercise(self.item.exercise_id).name,
            set=self.set_no,
            sets=self.item.sets,
        )
        if self.progress is not None and not self.item.timed:
            done = min(self.item.reps, self.progress.done(self.item, len(self.phases), self.now))
            where += " " + self.words.text("ui.status.rep", done=done, reps=self.item.reps)
        return where + " " + self.words.text("ui.status.say", options=self.few_options())

    # ---- effects --------------------------------------------------------------------------

    def say(self, key: str, **values: object) -> str:
        """Say a session line (prompts' ``session.<key>``); returns its text."""
        text = self.talk.line(key, **values)
        self._out.append(Say(text, key=key))
        return text

    def say_text(self, text: str, key: str, beat: bool = False) -> None:
        """Say ``text`` already composed (``key`` names it in logs and tests)."""
        self._out.append(Say(text, key=key, beat=beat))

    def record(self, rec: records.Record) -> None:
        """Write ``rec`` to the history."""
        self._out.append(Record(rec))

    def stop_speech(self) -> None:
        """Cut off whatever is being said now."""
        self._out.append(StopSpeech())

    def set_voice(
        self, speed: float | None = None, rate: int | None = None, volume: float | None = None
    ) -> None:
        """Speak at the session's rate and volume from now on, changing the beat's ``speed``,
        the speech ``rate`` and ``volume`` first where given."""
        if speed is not None:
            self.speed = speed
        if rate is not None:
            self.rate = rate
        if volume is not None:
            self.volume = volume
        self._out.append(SetVoice(self.rate, self.volume))

    def listen(self) -> None:
        """Listen for the commands of the current stage (nothing once the session is over)."""
        if self.stage is Stage.DONE:
            return
        context = self.stage.context
        self._out.append(
            Listen(context, CONTEXTS[context], SUGGESTED.get(self.stage), status=self.status())
        )

    def close(self, how: Outcome) -> None:
        """The session is over (its end already recorded): nothing more is said or heard."""
        self._out.append(End(how))
        self.stage = Stage.DONE
        self.wake_at = None

    def end(self, how: Outcome, now: dt.datetime) -> None:
        """Record the session's end and close it."""
        self.record(records.SessionEnded(now, how))
        self.close(how)

    # ---- questions ------------------------------------------------------------------------

    def ask(self, stage: Stage, lines: Lines, now: dt.datetime) -> None:
        """Say the lines, remember them for "repeat", and listen in the stage's context."""
        self.last_prompt = [self.say(k, **v) for k, v in lines]
        self.enter(stage, now)

    def enter(self, stage: Stage, now: dt.datetime) -> None:
        """Move to ``stage`` and listen; a question is asked again after a quiet while."""
        self.stage = stage
        self.reprompted = False
        self.listen()
        if stage in (Stage.COUNTING, Stage.TIMED, Stage.REST):
            return
        delay = self.routine.listening.reprompt_seconds
        self.wake_at = now + dt.timedelta(seconds=delay) if delay > 0 else None

    def interrupt(
        self, stage: Stage, lines: Lines, now: dt.datetime, back_to: Stage | None = None
    ) -> None:
        """Ask a question that interrupts the current one; ``go_back`` returns to it exactly."""
        self.returns.append(ReturnPoint(back_to or self.stage, tuple(self.last_prompt)))
        self.ask(stage, lines, now)

    def forget_interruptions(self) -> None:
        """Nothing interrupted is to be gone back to any more."""
        self.returns.clear()

    def take_pending(self) -> Heard | None:
        """The unsure command being confirmed (then forgotten), or None."""
        pending, self.pending = self.pending, None
        return pending

    def ask_again(self) -> None:
        """Say the current question again (after help or a word not understood)."""
        if self.stage in QUESTIONS or self.stage in (Stage.READY, Stage.PAUSED):
            for line in self.last_prompt[-1:]:
                self.say_text(line, "repeat")

    def halt(self, now: dt.datetime) -> None:
        """Freeze the set in progress (pause, stop, question)."""
        p = self.progress
        if p is not None and p.running_since is not None:
            p.elapsed += (now - p.running_since).total_seconds()
            p.running_since = None
        self.wake_at = None
