"""Progression: pure rules turning (routine, history, day) into that day's plan and its reasons."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from companion import library
from companion.history import practice_days, queries
from companion.history.summary import DaySummary, HistorySummary
from companion.plan import Change, Plan, PlannedExercise
from companion.prompts import Prompts
from companion.records import Outcome
from companion.routine import Progression, Routine

if TYPE_CHECKING:
    from companion.history.store import HistoryStore

RESTART_STEPS = 2
"""After a long gap every dose goes down by this many ``rep_step``s."""
WARNING_HOLD = "hold_warning"
"""The rule after a day whose safety answers stopped it: announced once for the whole
programme (an exercise-less change), its advice said once."""


@dataclass(frozen=True)
class Status:
    """Where one exercise of the plan stands, and why."""

    exercise_id: str
    reps: int
    """Today's dose: repetitions per set, or seconds for a timed exercise."""
    start: int
    """The dose it started at (half of it is the floor for stepping back)."""
    ceiling: int
    """The most it goes up to before the next exercise unlocks."""
    easy_days: int
    """Easy practice days in a row at this dose."""
    rule: str
    """What the last practice day meant for it (a progression.toml key, or new/none/easy)."""


@dataclass(frozen=True)
class Explained:
    """A day's plan with everything behind it (for ``companion plan``)."""

    plan: Plan
    status: tuple[Status, ...]
    last_day: dt.date | None
    """The last practice day before the plan day."""
    waiting: tuple[str, ...] = field(default=())
    """Exercises ready to start once the caregiver approves."""


def _floor(s: Status) -> int:
    return max(1, s.start // 2)


def _fresh(exercise_id: str, rule: str) -> Status:
    ex = library.get(exercise_id)
    dose = ex.default_seconds if ex.kind is library.Kind.TIMED else ex.default_reps
    return Status(exercise_id, dose, dose, max(ex.max_reps, dose), 0, rule)


def _evaluate(s: Status, facts: DaySummary, p: Progression) -> tuple[Status, Change | None]:
    """One exercise after one practice day: up, down, hold, or one more easy day."""
    f = facts.get(s.exercise_id)
    if f is None:
        return s, None

    def hold(rule: str) -> tuple[Status, Change]:
        return replace(s, easy_days=0, rule=rule), Change(
            s.exercise_id, "hold", s.reps, s.reps, rule
        )

    def down(rule: str) -> tuple[Status, Change]:
        new = max(_floor(s), s.reps - p.rep_step)
        if new == s.reps:
            return hold(rule.replace("down", "hold"))
        return (
            replace(s, reps=new, easy_days=0, rule=rule),
            Change(s.exercise_id, "down", s.reps, new, rule),
        )

    if f.pain_stop or (f.max_pain is not None and f.max_pain > p.max_pain):
        return down("down_pain")
    if f.max_effort is not None and f.max_effort > p.max_effort:
        return down("down_effort")
    if facts.warning_signs:  # the stroke warning signs or the safety questions: nothing advances
        return hold(WARNING_HOLD)
    if not f.met_completed:
        cut_short = f.met_cut_short or any(h != Outcome.COMPLETED for h in facts.hows)
        return hold("hold_short" if cut_short else "hold_missed")
    if facts.pain_stopped or (facts.max_pain is not None and facts.max_pain > p.max_pain):
        return hold("hold_pain")  # pain anywhere that day: nothing advances
    if f.max_pain is None or f.max_effort is None:
        return hold("hold_unrated")
    easy = s.easy_days + 1
    if easy < p.days_needed or s.reps >= s.ceiling:
        return replace(s, easy_days=easy, rule="easy"), None
    new = min(s.ceiling, s.reps + p.rep_step)
    return (
        replace(s, reps=new, easy_days=0, rule="up_easy"),
        Change(s.exercise_id, "up", s.reps, new, "up_easy"),
    )


def _next_exercise(taken: set[str]) -> str | None:
    return next((e.id for e in library.LIBRARY if e.id not in taken), None)


@dataclass
class _Replay:
    """The programme as it stands while the history is replayed day by day."""

    routine: Routine
    history: HistorySummary
    items: list[Status]
    settings: dict[str, PlannedExercise]
    waiting: dict[str, str] = field(default_factory=dict)
    """Graduating exercise id -> the exercise that waits to replace it."""
    taken: set[str] = field(default_factory=set)
    changes: list[Change] = field(default_factory=list)
    last: dt.date | None = None

    def approved(self, exercise_id: str, day: dt.date) -> bool:
        if not self.routine.progression.caregiver_approval:
            return True
        return any(d <= day and ex == exercise_id for d, ex in self.history.approvals)

    def begin(self, day: dt.date) -> None:
        """What happens at the start of ``day``: restart after a gap, unlocks, approvals."""
        p = self.routine.progression
        missed = (day - self.last).days - 1 if self.last else 0
        if missed >= p.gap_days:
            self.items = [
                replace(
                    s,
                    reps=max(_floor(s), s.reps - RESTART_STEPS * p.rep_step),
                    easy_days=0,
                    rule="restart_gap",
                )
                for s in self.items
            ]
            self.changes = [Change("", "restart", missed, 0, "restart_gap")]
            self.taken -= set(self.waiting.values())  # a new exercise must be earned again
            self.waiting.clear()
        for n, s in enumerate(self.items):
            nxt = self.waiting.get(s.exercise_id)
            if nxt is None:
                continue
            new = _fresh(nxt, "unlock")
            if self.approved(nxt, day):
                del self.waiting[s.exercise_id]
                self.items[n] = new
                old = self.settings[s.exercise_id]
                self.settings[nxt] = PlannedExercise(
                    nxt, old.sets, new.reps, library.get(nxt).seconds_per_rep, old.rest_seconds
                )
                self.changes.append(Change(nxt, "unlock", s.reps, new.reps, "unlock"))
            else:
                self.changes.append(
                    Change(nxt, "approval_needed", s.reps, new.reps, "approval_needed")
                )

    def practise(self, facts: DaySummary) -> None:
        """Apply one practice day's results; its changes are announced next time."""
        p = self.routine.progression
        self.changes = []
        for n, s in enumerate(self.items):
            s, change = _evaluate(s, facts, p)
            if change is not None and change.rule == WARNING_HOLD:
                change = Change("", "hold", 0, 0, WARNING_HOLD)
                if change in self.changes:
                    change = None
            if change is not None:
                self.changes.append(change)
            if s.exercise_id in self.waiting and s.rule != "easy":
                self.taken.discard(self.waiting.pop(s.exercise_id))  # no longer ready
            elif (
                s.rule == "easy"
                and s.reps >= s.ceiling
                and s.easy_days >= p.days_needed
                and s.exercise_id not in self.waiting
            ):
                nxt = _next_exercise(self.taken)
                if nxt is not None:
                    self.waiting[s.exercise_id] = nxt
                    self.taken.add(nxt)
            self.items[n] = s
        self.last = facts.day


def explain(routine: Routine, history: HistorySummary, day: dt.date) -> Explained:
    """Replay the history day by day from the routine; the plan for ``day`` and its reasons."""
    settings = {
        e.id: PlannedExercise(e.id, e.sets, e.reps, e.seconds_per_rep, e.rest_seconds)
        for e in routine.exercises
    }
    items = [
        Status(e.id, e.reps, e.reps, max(library.get(e.id).max_reps, e.reps), 0, "new")
        for e in routine.exercises
    ]
    r = _Replay(routine, history, items, settings, taken=set(settings))
    practised = 0
    for facts in history.days:
        if facts.day >= day:
            break
        if not practice_day(facts):
            continue  # nothing done that day: it neither advances nor holds anything
        r.begin(facts.day)
        r.practise(facts)
        practised += 1
    r.begin(day)
    planned = tuple(replace(r.settings[s.exercise_id], reps=s.reps) for s in r.items)
    return Explained(
        Plan(day, planned, tuple(r.changes), practised),
        tuple(r.items),
        r.last,
        tuple(r.waiting.values()),
    )


def practice_day(facts: DaySummary) -> bool:
    """Whether a day counts for progression: not when every session of it was skipped
    (nothing done)."""
    return any(how != Outcome.SKIPPED for how in facts.hows)


def plan_for(routine: Routine, history: HistorySummary, day: dt.date) -> Plan:
    """The plan for ``day`` from the routine and the practice days before it (pure)."""
    return explain(routine, history, day).plan


def today_plan(routine: Routine, store: HistoryStore, day: dt.date) -> Plan:
    """The plan for ``day`` from the stored history.

    A repeat session on a day that already has one keeps the same plan but announces no
    changes again.
    """
    plan = plan_for(routine, practice_days.summary(store.connection, day), day)
    if queries.sessions(store.connection, day, day):
        return replace(plan, changes=())
    return plan


def rule_key(change: Change, words: Prompts, days_needed: int) -> str:
    """The wording key of ``change``'s reason: its rule, or the rule's "_one" twin when the
    rule took a single day ("last time was easy", not "the last few days")."""
    key = f"progression.{change.rule}"
    if days_needed == 1 and words.has(f"{key}_one"):
        return f"{key}_one"
    return key


def describe(change: Change, words: Prompts, days_needed: int) -> str:
    """The one short sentence that announces ``change`` (wording: prompts progression.toml)."""
    name = words.exercise(change.exercise_id).name if change.exercise_id else ""
    days = change.old if change.kind == "restart" else days_needed
    key = rule_key(change, words, days_needed)
    text = words.text(key, exercise=name, old=change.old, new=change.new, days=days)
    return text[:1].upper() + text[1:]
