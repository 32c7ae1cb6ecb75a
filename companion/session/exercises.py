"""Moving through the exercises: introduce one, start, pause, resume and end a set, rest, skip,
go back after an interruption, and finish the session with its summary."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from companion import library, records
from companion.records import Outcome, Reason
from companion.session.core import Core
from companion.session.state import (
    LEAD_IN_S,
    QUESTIONS,
    REST_WARNING_S,
    RUNNING,
    Progress,
    ReturnPoint,
    Stage,
)


class ExerciseFlow(Core):
    """The session's verbs for the exercises, their sets and rests, and the end."""

    def after_safety(self, now: dt.datetime) -> None:
        """The safety questions are over (or off): the plan, then the first exercise."""
        self.exercising = True
        for line in self.talk.plan_lines(self.plan, tuple(self.items)):
            self.say_text(line, "plan")
        for line in self.talk.hand_lines(self.hand_changes):
            self.say_text(line, "hand_change")
        if not self.items:
            self.end(Outcome.COMPLETED, now)
            return
        needed = self.talk.things_needed(tuple(self.items))
        if needed:
            self.say_text(needed, "things_needed")
        self.say("switch_at_any_time" if self.switch else "help_at_any_time")
        self.intro(now)

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
            self.ask(Stage.PAUSED, [("paused", {})], now)
        elif stage in RUNNING:
            self.resume(now)
        elif stage is Stage.REST and self.rest_end is not None:
            self.stage = Stage.REST
            self.listen()
            self.wake_at = max(now, self.rest_end)
        elif stage in QUESTIONS:
            for line in point.prompt:
                self.say_text(line, "repeat")
            self.enter(stage, now)
        else:
            self.ready_for_set(now)

    # ---- exercises and sets ---------------------------------------------------------------

    def intro(self, now: dt.datetime) -> None:
        """Introduce the current exercise and ask whether the user is ready for its set."""
        self.returns.clear()
        lines = self.talk.intro_lines(self.index + 1, len(self.items), self.item)
        for line in lines:
            self.say_text(line, "intro")
        ready = self.say("ready_set", set=self.set_no, sets=self.item.sets)
        self.last_prompt = [*lines, ready]
        self.enter(Stage.READY, now)

    def ready_for_set(self, now: dt.datetime) -> None:
        """Ask whether the user is ready for the next set."""
        self.ask(Stage.READY, [("ready_set", {"set": self.set_no, "sets": self.item.sets})], now)

    def start_set(self, now: dt.datetime) -> None:
        """Begin a set: counted on a beat, timed, or self-paced ("done" after each one)."""
        self.returns.clear()
        self.progress = Progress(started_at=now)
        self.say("set_start", set=self.set_no, sets=self.item.sets)
        if library.get(self.item.exercise_id).self_paced:
            self.say("self_paced_start")
            self.stage = Stage.SELF_PACED
            self.reprompted = False
            self.listen()
            self.wake_at = None  # as long as it takes: "done" after each one
            return
        if self.item.timed:
            self.say("timed_start", seconds=self.item.reps)
            self.say_text(self.talk.exercise(self.item.exercise_id).directions[0], "direction")
            self.stage = Stage.TIMED
        else:
            self.say("begin")
            self.stage = Stage.COUNTING
        self.reprompted = False
        self.listen()
        self.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * self.speed)

    def one_done(self, now: dt.datetime) -> None:
        """Self-paced: one more repetition done ("done", or a key); after the last, the cue to
        make ready again (pick the coins up) and one more "done" ends the set."""
        p = self.progress
        assert p is not None
        per_rep = max(1, len(self.phases))
        if p.beats >= self.item.reps * per_rep:
            self.set_finished(now, completed=True)
            return
        p.beats += per_rep
        n = p.beats // per_rep
        self.say_text(self.talk.line("count_only", n=n), "count")
        if n < self.item.reps:
            per_round = library.get(self.item.exercise_id).per_round
            if per_round and n % per_round == 0:  # all eight coins are down: pick them up
                cue = f"exercises.{self.item.exercise_id}.next_round"
                self.say_text(self.words.text(cue), "next_round")
            self.listen()
            return
        cue = f"exercises.{self.item.exercise_id}.reset"
        if self.words.has(cue):
            self.say_text(self.words.text(cue), "reset")
            self.listen()
        else:
            self.set_finished(now, completed=True)

    def resume(self, now: dt.datetime) -> None:
        """Carry on with the set that was paused (or ask for the next one if none runs)."""
        if self.progress is None:
            self.ready_for_set(now)
            return
        self.say("resumed")
        if library.get(self.item.exercise_id).self_paced:
            self.stage = Stage.SELF_PACED
            self.listen()
            self.wake_at = None
            return
        self.stage = Stage.TIMED if self.item.timed else Stage.COUNTING
        self.progress.leading_in = True
        self.listen()
        self.wake_at = now + dt.timedelta(seconds=LEAD_IN_S * self.speed)

    def record_set(self, now: dt.datetime, completed: bool) -> None:
        """Record the set in progress (finished or cut short) and count what was done."""
        p = self.progress
        if p is None:
            return
        done = self.item.reps if completed else p.done(self.item, len(self.phases), now)
        self.record(
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

    def set_finished(self, now: dt.datetime, completed: bool) -> None:
        """The set is over: record it and ask for the pain rating."""
        self.record_set(now, completed)
        self.wake_at = None
        self.say_text(self.talk.line("set_done", variant=self.set_no + self.index), "set_done")
        self.ask(Stage.PAIN, [("ask_pain", {})], now)

    def after_ratings(self, now: dt.datetime) -> None:
        """Pain and effort rated: a word of encouragement, then a rest or the next exercise."""
        self.say_text(
            self.talk.line("encourage", variant=self.index * 3 + self.set_no), "encourage"
        )
        if self.set_no < self.item.sets:
            self.set_no += 1
            self.start_rest(now)
        else:
            self.next_exercise(now)

    def start_rest(self, now: dt.datetime) -> None:
        """Rest before the next set (a warning shortly before it ends)."""
        seconds = self.item.rest_seconds
        self.say("rest", seconds=seconds)
        self.rest_end = now + dt.timedelta(seconds=seconds)
        self.stage = Stage.REST
        self.listen()
        first = seconds - REST_WARNING_S if seconds > REST_WARNING_S + 5 else seconds
        self.wake_at = now + dt.timedelta(seconds=first)

    def next_exercise(self, now: dt.datetime) -> None:
        """On to the next exercise, or the end of the session after the last."""
        self.index += 1
        self.set_no = 1
        self.progress = None
        if self.index >= len(self.items):
            self.finish(Outcome.COMPLETED, now)
        else:
            self.intro(now)

    def previous_exercise(self, now: dt.datetime) -> None:
        """Back to the exercise before (or the start of the first one), at its first set."""
        self.set_no = 1
        if self.index == 0:
            self.say("first_exercise")
        else:
            self.index -= 1
            self.say("back_to", name=self.talk.exercise(self.item.exercise_id).name)
        self.intro(now)

    def drop_set(self) -> None:
        """Give up the set in progress without recording it."""
        self.progress = None

    def shorten(self, now: dt.datetime) -> None:
        """One set of each from now on: finish this set, then one set of each exercise left."""
        self.record(records.Stopped(now, self.item.exercise_id, Reason.TIRED))
        self.items[self.index] = replace(self.items[self.index], sets=self.set_no)
        for i in range(self.index + 1, len(self.items)):
            self.items[i] = replace(self.items[i], sets=1)

    def skip(self, reason: Reason, now: dt.datetime) -> None:
        """Skip the current exercise (recorded with ``reason``)."""
        self.record(records.Skipped(now, self.item.exercise_id, reason))
        self.say_text(
            self.talk.line("skipped", name=self.talk.exercise(self.item.exercise_id).name),
            "skipped",
        )
        self.next_exercise(now)

    # ---- the end --------------------------------------------------------------------------

    def finish(self, how: Outcome, now: dt.datetime) -> None:
        """End the session: record the set in progress, sum up, say goodbye."""
        self.halt(now)
        if self.progress is not None and self.index < len(self.items):
            self.record_set(now, completed=False)
        if how is Outcome.COMPLETED and self.reps_total + self.seconds_total == 0:
            how = Outcome.SKIPPED  # nothing done: never a completed day, nor for progression
        if how is Outcome.INCOMPLETE:
            self.say("input_ended")
        elif how is Outcome.SKIPPED:
            self.say("summary_skipped")
        elif how is Outcome.COMPLETED:
            self.say("summary_one" if self.reps_total == 1 else "summary", reps=self.reps_total)
        elif how is Outcome.PAIN:
            self.say("summary_pain")
        else:
            one = self.reps_total == 1
            self.say("summary_stopped_one" if one else "summary_stopped", reps=self.reps_total)
        if self.seconds_total and how not in (Outcome.INCOMPLETE, Outcome.SKIPPED):
            self.say("summary_timed", seconds=self.seconds_total)
        if how is not Outcome.INCOMPLETE:
            self.say("goodbye")
        self.end(how, now)
