"""The session state machine: ``handle(event, now) -> effects``; no clock, no I/O inside."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from companion import library, records
from companion.commands import CONTEXTS, SAFETY, Command, Vocabulary
from companion.events import (
    Begin,
    DeviceProblem,
    Effect,
    End,
    Event,
    Heard,
    InputEnded,
    Listen,
    NotUnderstood,
    Record,
    Say,
    SetVoice,
    Tick,
)
from companion.inputs.keymap import spoken_keys
from companion.plan import Plan, PlannedExercise, for_hand
from companion.prompts import Prompts
from companion.routine import Routine
from companion.session import handlers, safety, wording
from companion.session.preferences import Preferences
from companion.session.state import (
    FEW_OPTIONS,
    FIRST_DAYS,
    HARMLESS,
    LEAD_IN_S,
    QUESTIONS,
    REST_WARNING_S,
    RUNNING,
    SUGGESTED,
    TIMED_WARNING_S,
    Progress,
    ReturnPoint,
    Stage,
)
from companion.session.talk import Talk


class Session:
    """One guided session over a plan. Mutable, but pure: time comes in, effects go out."""

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
        self.talk = Talk(words, vocab, routine.affected_side)
        self.words = words
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
        self.alert: safety.Alert | None = None
        """The "call now" lines being said, once the session has come to that."""
        self.reps_total = 0
        self.seconds_total = 0
        self.told: set[str] = set()
        self.reprompted = False
        self.rest_end: dt.datetime | None = None
        self.now = dt.datetime.min
        """The time of the event being handled."""
        self._out: list[Effect] = []

    # ---- plumbing -------------------------------------------------------------------------

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

    def _say(self, key: str, **values: object) -> str:
        text = self.talk.line(key, **values)
        self._out.append(Say(text, key=key))
        return text

    def _say_text(self, text: str, key: str, beat: bool = False) -> None:
        self._out.append(Say(text, key=key, beat=beat))

    def _record(self, rec: records.Record) -> None:
        self._out.append(Record(rec))

    def _ask(
        self, stage: Stage, lines: list[tuple[str, dict[str, object]]], now: dt.datetime
    ) -> None:
        """Say the lines, remember them for "repeat", and listen in the stage's context."""
        self.last_prompt = [self._say(k, **v) for k, v in lines]
        self._enter(stage, now)

    def _enter(self, stage: Stage, now: dt.datetime) -> None:
        self.stage = stage
        self.reprompted = False
        self._listen()
        if stage in (Stage.COUNTING, Stage.TIMED, Stage.REST):
            return
        delay = self.routine.listening.reprompt_seconds
        self.wake_at = now + dt.timedelta(seconds=delay) if delay > 0 else None

    def interrupt(
        self,
        stage: Stage,
        lines: list[tuple[str, dict[str, object]]],
        now: dt.datetime,
        back_to: Stage | None = None,
    ) -> None:
        """Ask a question that interrupts the current one; ``go_back`` returns to it exactly."""
        self.returns.append(ReturnPoint(back_to or self.stage, tuple(self.last_prompt)))
        self._ask(stage, lines, now)

    def go_back(self, now: dt.datetime, quietly: bool = False) -> None:
        """Return to where the latest interruption came from (asking its question again)."""
        point = self.returns.pop() if self.returns else ReturnPoint(Stage.READY, ())
        stage = point.stage
        self.last_prompt = list(point.prompt)
        if quietly:
            self.stage = stage
            if stage in RUNNING and self.progress is not None:
                self.progress.leading_in = stage is Stage.TIMED
                self.wake_at = now
            return
        if stage is Stage.PAUSED:
            self._ask(Stage.PAUSED, [("paused", {})], now)
        elif stage in RUNNING:
            self._resume(now)
        elif stage is Stage.REST and self.rest_end is not None:
            self.stage = Stage.REST
            self._listen()
            self.wake_at = max(now, self.rest_end)
        elif stage in QUESTIONS:
            for line in point.prompt:
                self._say_text(line, "repeat")
            self._enter(stage, now)
        else:
            self._ready_for_set(now)

    def ask_again(self) -> None:
        """Say the current question again (after help or a word not understood)."""
        if self.stage in QUESTIONS or self.stage in (Stage.READY, Stage.PAUSED):
            for line in self.last_prompt[-1:]:
                self._say_text(line, "repeat")

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

    def _listen(self) -> None:
        if self.stage is Stage.DONE:
            return
        context = self.stage.context
        self._out.append(
            Listen(context, CONTEXTS[context], SUGGESTED.get(self.stage), status=self.status())
        )

    def handle(self, event: Event, now: dt.datetime) -> list[Effect]:
        """React to one event at time ``now``; returns what to do."""
        self._out = []
        self.now = now
        if self.stage is Stage.DONE and not isinstance(event, Begin):
            return []
        if isinstance(event, Begin):
            self._begin(now)
        elif isinstance(event, Tick):
            if self.wake_at is not None and now >= self.wake_at:
                self._tick(now)
        elif isinstance(event, Heard):
            self._heard(event, now)
        elif isinstance(event, NotUnderstood):
            if event.source in ("key", "switch"):
                self._say("unknown_key", keys=self.key_options())
            else:
                self._say("not_understood", options=self.few_options())
            self.ask_again()
            self._listen()
        elif isinstance(event, DeviceProblem):
            if event.device not in self.told:
                self.told.add(event.device)
                self._say("no_speaker" if event.device == "speaker" else "no_microphone")
        elif isinstance(event, InputEnded):
            if self.stage is Stage.ALERT:
                safety.close_alert(self)
            else:
                self._finish("incomplete", now)
        return self._out

    # ---- start and safety check -----------------------------------------------------------

    def _begin(self, now: dt.datetime) -> None:
        self._record(
            records.SessionStarted(
                at=now,
                day=self.plan.day,
                planned=tuple((i.exercise_id, i.sets, i.reps) for i in self.items),
            )
        )
        self._out.append(SetVoice(self.rate, self.volume))
        if self.routine.name:
            self._say("greeting", name=self.routine.name)
        else:
            self._say("greeting_anonymous")
        if self.plan.practice_days < FIRST_DAYS:
            self._say("teach_hurts")
            self._say("teach_stop")
        else:
            self._say("teach_short")
        if self.routine.safety.pre_session_check:
            self._say_text(self.words.text("safety.intro"), "safety.intro")
            safety.ask(self, now)
        else:
            self.after_safety(now)

    def after_safety(self, now: dt.datetime) -> None:
        """The safety questions are over (or off): the plan, then the first exercise."""
        self.exercising = True
        for line in self.talk.plan_lines(self.plan, tuple(self.items)):
            self._say_text(line, "plan")
        for line in self.talk.hand_lines(self.hand_changes):
            self._say_text(line, "hand_change")
        if not self.items:
            self._end("completed", now)
            return
        needed = self.talk.things_needed(tuple(self.items))
        if needed:
            self._say_text(needed, "things_needed")
        self._say("help_at_any_time")
        self._intro(now)

    # ---- exercises and sets ---------------------------------------------------------------

    def _intro(self, now: dt.datetime) -> None:
        self.returns.clear()
        lines = self.talk.intro_lines(self.index + 1, len(self.items), self.item)
        for line in lines:
            self._say_text(line, "intro")
        ready = self._say("ready_set", set=self.set_no, sets=self.item.sets)
        self.last_prompt = [*lines, ready]
        self._enter(Stage.READY, now)

    def _ready_for_set(self, now: dt.datetime) -> None:
        self._ask(Stage.READY, [("ready_set", {"set": self.set_no, "sets": self.item.sets})], now)

    def _start_set(self, now: dt.datetime) -> None:
        self.returns.clear()
        self.progress = Progress(started_at=now)
        self._say("set_start", set=self.set_no, sets=self.item.sets)
        if library.get(self.item.exercise_id).self_paced:
            self._say("self_paced_start")
            self.stage = Stage.SELF_PACED
            self.reprompted = False
            self._listen()
            self.wake_at = None  # as long as it takes: "done" after each one
            return
        if self.item.timed:
            self._say("timed_start", seconds=self.item.reps)
            self._say_text(self.talk.exercise(self.item.exercise_id).directions[0], "direction")
            self.stage = Stage.TIMED
        else:
            self._say("begin")
            self.stage = Stage.COUNTING
        self.reprompted = False
        self._listen()
        self.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * self.speed)

    def one_done(self, now: dt.datetime) -> None:
        """Self-paced: one more repetition done ("done", or a key); after the last, the cue to
        make ready again (pick the coins up) and one more "done" ends the set."""
        p = self.progress
        assert p is not None
        per_rep = max(1, len(self.phases))
        if p.beats >= self.item.reps * per_rep:
            self._set_finished(now, completed=True)
            return
        p.beats += per_rep
        n = p.beats // per_rep
        self._say_text(self.talk.line("count_only", n=n), "count")
        if n < self.item.reps:
            self._listen()
            return
        cue = f"exercises.{self.item.exercise_id}.reset"
        if self.words.has(cue):
            self._say_text(self.words.text(cue), "reset")
            self._listen()
        else:
            self._set_finished(now, completed=True)

    def _beat_interval(self) -> float:
        return self.item.seconds_per_rep * self.speed / max(1, len(self.phases))

    def _tick(self, now: dt.datetime) -> None:
        if self.stage is Stage.SELF_PACED:
            self.wake_at = None
        elif self.stage is Stage.COUNTING:
            self._count_beat(now)
        elif self.stage is Stage.TIMED:
            self._timed_tick(now)
        elif self.stage is Stage.REST:
            self._rest_tick(now)
        elif self.stage is Stage.ALERT:
            safety.alert_tick(self, now)
        elif not self.reprompted and self.last_prompt:
            self.reprompted = True
            self.wake_at = None
            self._say("reprompt")
            for line in self.last_prompt[-1:]:
                self._say_text(line, "reprompt")

    def _count_beat(self, now: dt.datetime) -> None:
        p = self.progress
        assert p is not None and self.wake_at is not None
        phases = self.phases
        per_rep = max(1, len(phases))
        if p.beats >= self.item.reps * per_rep:
            self._set_finished(now, completed=True)
            return
        n, phase = divmod(p.beats, per_rep)
        self._say_text(self.talk.count_line(n + 1, phase, phases), "count", beat=True)
        p.beats += 1
        self.wake_at = self.wake_at + dt.timedelta(seconds=self._beat_interval())

    def _timed_tick(self, now: dt.datetime) -> None:
        p = self.progress
        assert p is not None
        seconds = self.item.reps
        if p.leading_in:
            p.leading_in = False
            p.running_since = now
            p.warned = seconds <= TIMED_WARNING_S
            self._say("timed_go")
        else:
            run = p.elapsed + (now - (p.running_since or now)).total_seconds()
            if not p.warned and seconds - run > 0.5:
                p.warned = True
                self._say("timed_left", seconds=round(seconds - run))
            elif run >= seconds - 0.05:
                self._say("timed_stop")
                directions = self.talk.exercise(self.item.exercise_id).directions
                if p.direction + 1 < max(1, len(directions)):
                    p.direction += 1
                    p.elapsed, p.running_since, p.leading_in = 0.0, None, True
                    self._say_text(directions[p.direction], "direction")
                    self.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * self.speed)
                    return
                p.elapsed, p.running_since = float(seconds), None
                self._set_finished(now, completed=True)
                return
        run = p.elapsed + (now - (p.running_since or now)).total_seconds()
        left = seconds - run
        step = left - TIMED_WARNING_S if left > TIMED_WARNING_S + 0.5 else left
        self.wake_at = now + dt.timedelta(seconds=max(0.05, step))

    def _halt(self, now: dt.datetime) -> None:
        """Freeze the set in progress (pause, stop, question)."""
        p = self.progress
        if p is not None and p.running_since is not None:
            p.elapsed += (now - p.running_since).total_seconds()
            p.running_since = None
        self.wake_at = None

    def _resume(self, now: dt.datetime) -> None:
        if self.progress is None:
            self._ready_for_set(now)
            return
        self._say("resumed")
        if library.get(self.item.exercise_id).self_paced:
            self.stage = Stage.SELF_PACED
            self._listen()
            self.wake_at = None
            return
        self.stage = Stage.TIMED if self.item.timed else Stage.COUNTING
        self.progress.leading_in = True
        self._listen()
        self.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * self.speed)

    def _record_set(self, now: dt.datetime, completed: bool) -> None:
        p = self.progress
        if p is None:
            return
        done = self.item.reps if completed else p.done(self.item, len(self.phases), now)
        self._record(
            records.SetDone(
                at=now,
                exercise_id=self.item.exercise_id,
                set_number=self.set_no,
                planned=self.plan.items[self.index].reps,  # a dose lowered today falls short
                done=done,
                duration_s=round((now - p.started_at).total_seconds(), 2),
                completed=completed,
            )
        )
        if self.item.timed:
            self.seconds_total += done
        else:
            self.reps_total += done
        self.progress = None

    def _set_finished(self, now: dt.datetime, completed: bool) -> None:
        self._record_set(now, completed)
        self.wake_at = None
        self._say_text(self.talk.line("set_done", variant=self.set_no + self.index), "set_done")
        self._ask(Stage.PAIN, [("ask_pain", {})], now)

    def _after_ratings(self, now: dt.datetime) -> None:
        self._say_text(
            self.talk.line("encourage", variant=self.index * 3 + self.set_no), "encourage"
        )
        if self.set_no < self.item.sets:
            self.set_no += 1
            self._start_rest(now)
        else:
            self._next_exercise(now)

    def _start_rest(self, now: dt.datetime) -> None:
        seconds = self.item.rest_seconds
        self._say("rest", seconds=seconds)
        self.rest_end = now + dt.timedelta(seconds=seconds)
        self.stage = Stage.REST
        self._listen()
        first = seconds - REST_WARNING_S if seconds > REST_WARNING_S + 5 else seconds
        self.wake_at = now + dt.timedelta(seconds=first)

    def _rest_tick(self, now: dt.datetime) -> None:
        assert self.rest_end is not None
        left = (self.rest_end - now).total_seconds()
        if left > 0.5:
            self._say("rest_left", seconds=round(left))
            self.wake_at = self.rest_end
            return
        self._say("rest_over")
        self._ready_for_set(now)

    def _next_exercise(self, now: dt.datetime) -> None:
        self.index += 1
        self.set_no = 1
        self.progress = None
        if self.index >= len(self.items):
            self._finish("completed", now)
        else:
            self._intro(now)

    def _skip(self, reason: str, now: dt.datetime) -> None:
        self._record(records.Skipped(now, self.item.exercise_id, reason))
        self._say_text(
            self.talk.line("skipped", name=self.talk.exercise(self.item.exercise_id).name),
            "skipped",
        )
        self._next_exercise(now)

    # ---- the end --------------------------------------------------------------------------

    def _finish(self, how: str, now: dt.datetime) -> None:
        """End the session: record the set in progress, sum up, say goodbye."""
        self._halt(now)
        if self.progress is not None and self.index < len(self.items):
            self._record_set(now, completed=False)
        if how == "completed" and self.reps_total + self.seconds_total == 0:
            how = "skipped"  # nothing done: never a completed day, never counts for progression
        if how == "incomplete":
            self._say("input_ended")
        elif how == "skipped":
            self._say("summary_skipped")
        elif how == "completed":
            self._say("summary_one" if self.reps_total == 1 else "summary", reps=self.reps_total)
        elif how == "pain":
            self._say("summary_pain")
        else:
            one = self.reps_total == 1
            self._say("summary_stopped_one" if one else "summary_stopped", reps=self.reps_total)
        if self.seconds_total and how not in ("incomplete", "skipped"):
            self._say("summary_timed", seconds=self.seconds_total)
        if how != "incomplete":
            self._say("goodbye")
        self._end(how, now)

    def _end(self, how: str, now: dt.datetime) -> None:
        self._record(records.SessionEnded(now, how))
        self._out.append(End(how))
        self.stage = Stage.DONE
        self.wake_at = None

    # ---- commands -------------------------------------------------------------------------

    def _heard(self, event: Heard, now: dt.datetime) -> None:
        cmd = event.command
        if (
            event.unsure
            and cmd not in SAFETY
            and cmd not in HARMLESS
            and self.stage not in (Stage.CONFIRM_UNSURE, Stage.ALERT)
        ):
            self.pending = replace(event, unsure=False)
            self._halt(now)
            phrase = self.talk.vocab.teach(cmd) if cmd is not Command.NUMBER else str(event.value)
            self.interrupt(Stage.CONFIRM_UNSURE, [("unsure", {"phrase": phrase})], now)
            return
        handlers.dispatch(self, event, now)
